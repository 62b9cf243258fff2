//! Advanced SubStation Alpha (ASS) and SSA: the `[Events]` section's `Format:` line names the columns of the
//! `Dialogue:` lines that follow. `Start`, `End`, `Name` (`Actor` in some tools) and `Text` matter here; `Text` is
//! always the last column and may itself contain commas. `Comment:` lines are hidden cues and are skipped.
//! Override tags (`{\i1}`, `\N`) are left in the text for `clean`.

use super::timing::{parse_timestamp, quoted};
use super::{RawCue, RawParse, Warning};

/// The standard v4+ columns; SSA v4's `Marked` sits where `Layer` is, so the positions that matter are the same.
const DEFAULT_FORMAT: &[&str] = &[
    "layer", "start", "end", "style", "name", "marginl", "marginr", "marginv", "effect", "text",
];

struct Columns {
    count: usize,
    start: usize,
    end: usize,
    name: Option<usize>,
}

impl Columns {
    fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Columns, String> {
        let find = |wanted: &[&str]| names.iter().position(|n| wanted.contains(&n.as_ref()));
        let (Some(start), Some(end), Some(text)) = (find(&["start"]), find(&["end"]), find(&["text"])) else {
            return Err("the Format: line lacks Start, End or Text".to_string());
        };
        if text + 1 != names.len() {
            return Err("Text is not the last column of the Format: line".to_string());
        }
        Ok(Columns {
            count: names.len(),
            start,
            end,
            name: find(&["name", "actor"]),
        })
    }
}

pub(super) fn parse(lines: &[&str]) -> RawParse {
    let mut out = RawParse::default();
    let mut columns = Columns::from_names(DEFAULT_FORMAT).ok();
    let mut saw_format = false;
    let mut in_events = false;
    for (i, &line) in lines.iter().enumerate() {
        let number = i + 1;
        let line = line.trim_start_matches('\u{FEFF}').trim_start();
        if line.starts_with('[') {
            in_events = line.trim_end().eq_ignore_ascii_case("[events]");
            continue;
        }
        if let Some(spec) = strip_key(line, "format").filter(|_| in_events) {
            let names: Vec<String> = spec.split(',').map(|n| n.trim().to_ascii_lowercase()).collect();
            saw_format = true;
            columns = match Columns::from_names(&names) {
                Ok(c) => Some(c),
                Err(why) => {
                    out.warnings.push(Warning::at(
                        number,
                        format!("{why}; the Dialogue lines after it are skipped"),
                    ));
                    None
                }
            };
            continue;
        }
        // Dialogue lines are read in any section: some files lose their `[Events]` header.
        let Some(fields) = strip_key(line, "dialogue") else {
            continue;
        };
        let Some(columns) = &columns else {
            continue; // already warned at the bad Format: line
        };
        if !saw_format {
            saw_format = true;
            out.warnings.push(Warning::at(
                number,
                "no Format: line before the first Dialogue; assuming standard ASS columns",
            ));
        }
        match dialogue(fields, columns, number) {
            Ok(cue) => out.cues.push(cue),
            Err(why) => out.warnings.push(Warning::at(number, format!("{why}; cue skipped"))),
        }
    }
    out
}

fn dialogue(fields: &str, columns: &Columns, line: usize) -> Result<RawCue, String> {
    let values: Vec<&str> = fields.splitn(columns.count, ',').collect();
    if values.len() < columns.count {
        return Err(format!(
            "expected {} comma-separated fields, found {}",
            columns.count,
            values.len()
        ));
    }
    let time = |index: usize, what: &str| {
        let text = values[index].trim();
        parse_timestamp(text).ok_or_else(|| format!("bad {what} time {}", quoted(text)))
    };
    let speaker = columns
        .name
        .map(|index| values[index].trim())
        .filter(|name| !name.is_empty())
        .map(str::to_string);
    Ok(RawCue {
        line,
        start_s: time(columns.start, "start")?,
        end_s: time(columns.end, "end")?,
        text: values[columns.count - 1].to_string(),
        speaker,
    })
}

/// The rest of `line` after `key:` (key matched case-insensitively), or `None`.
fn strip_key<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let head = line.get(..key.len())?;
    let rest = line[key.len()..].strip_prefix(':')?;
    head.eq_ignore_ascii_case(key).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> RawParse {
        let lines: Vec<&str> = text.lines().collect();
        parse(&lines)
    }

    #[test]
    fn columns_follow_the_format_line() {
        let file = "[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname\nStyle: Default,Arial\n\n\
                    [Events]\nFormat: Layer, Start, End, Style, Actor, MarginL, MarginR, MarginV, Effect, Text\n\
                    Comment: 0,0:00:00.00,0:00:05.00,Default,,0,0,0,,hidden note\n\
                    Dialogue: 0,0:00:01.50,0:00:03.00,Default,Bob,0,0,0,,Well, well, well\\Nhello\n\
                    dialogue: 0,0:00:04.00,0:00:05.00,Default, ,0,0,0,,{\\i1}Yes{\\i0}\n";
        let parsed = parse_text(file);
        assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
        let cue = &parsed.cues[0];
        assert_eq!((cue.line, cue.start_s, cue.end_s), (11, 1.5, 3.0));
        assert_eq!(cue.text, "Well, well, well\\Nhello");
        assert_eq!(cue.speaker.as_deref(), Some("Bob"));
        assert_eq!(parsed.cues[1].speaker, None);
        assert_eq!(parsed.cues.len(), 2);
    }

    #[test]
    fn reordered_columns() {
        let file = "[Events]\nFormat: Start, End, Text\nDialogue: 0:00:01.00,0:00:02.00,a, b\n";
        let parsed = parse_text(file);
        assert_eq!(parsed.cues[0].text, "a, b");
        assert_eq!(parsed.cues[0].start_s, 1.0);
    }

    #[test]
    fn bad_lines_are_skipped_with_their_line_number() {
        let file = "[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n\
                    Dialogue: 0,0:00:01.00\n\
                    Dialogue: 0,0:0x:01.00,0:00:02.00,Default,,0,0,0,,bad time\n\
                    Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,good\n";
        let parsed = parse_text(file);
        assert_eq!(parsed.cues.len(), 1);
        let lines: Vec<usize> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, vec![3, 4]);
    }

    #[test]
    fn missing_events_header_and_format_line() {
        let parsed = parse_text("[Script Info]\nDialogue: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,hi\n");
        assert_eq!(parsed.cues.len(), 1);
        assert_eq!(parsed.warnings.len(), 1);
    }

    #[test]
    fn format_without_text_last_skips_dialogue() {
        let parsed = parse_text("[Events]\nFormat: Text, Start, End\nDialogue: hi,0:00:01.00,0:00:02.00\n");
        assert!(parsed.cues.is_empty());
        assert_eq!(parsed.warnings[0].line, 2);
    }
}
