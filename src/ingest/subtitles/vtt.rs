//! WebVTT: a `WEBVTT` header, then blocks separated by blank lines. A block is a cue (optional identifier, a timing
//! line with optional settings such as `align:start position:10%`, text), or a NOTE / STYLE / REGION block.
//!
//! Once the header and the non-cue blocks are blanked out (keeping line numbers), what is left is SRT with free-form
//! identifiers, so the SRT scanner does the rest. Markup inside cue text (`<v Bob>`, `<c.yellow>`, karaoke
//! timestamps, entities) is `clean`'s job.

use super::timing::is_timing_line;
use super::{RawParse, Warning, srt};

pub(super) fn parse(lines: &[&str]) -> RawParse {
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut warnings = Vec::new();

    let first = lines
        .iter()
        .position(|line| !line.trim().is_empty())
        .unwrap_or(lines.len());
    let has_header = lines
        .get(first)
        .is_some_and(|line| line.trim_start_matches('\u{FEFF}').trim_start().starts_with("WEBVTT"));
    let mut rest = lines;
    if has_header {
        // The header runs to the first blank line; tolerate a missing blank line before the first cue.
        let header_len = lines[first + 1..]
            .iter()
            .position(|line| line.trim().is_empty() || is_timing_line(line))
            .map_or(lines.len(), |at| first + 1 + at);
        kept.resize(header_len, "");
        rest = &lines[header_len..];
    } else {
        warnings.push(Warning::at(first + 1, "no WEBVTT header; reading the cues anyway"));
    }

    let mut at_block_start = true;
    let mut in_skipped_block = false;
    for &line in rest {
        if line.trim().is_empty() {
            at_block_start = true;
            in_skipped_block = false;
            kept.push(line);
            continue;
        }
        if at_block_start && starts_non_cue_block(line) {
            in_skipped_block = true;
        } else if in_skipped_block && is_timing_line(line) {
            // Not allowed inside a NOTE, so the blank line before this cue was forgotten.
            in_skipped_block = false;
        }
        at_block_start = false;
        kept.push(if in_skipped_block { "" } else { line });
    }

    let mut parsed = srt::scan(&kept);
    warnings.append(&mut parsed.warnings);
    parsed.warnings = warnings;
    parsed
}

fn starts_non_cue_block(line: &str) -> bool {
    ["NOTE", "STYLE", "REGION"].iter().any(|keyword| {
        line.strip_prefix(keyword)
            .is_some_and(|after| after.is_empty() || after.starts_with([' ', '\t']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(text: &str) -> Vec<String> {
        let lines: Vec<&str> = text.lines().collect();
        parse(&lines).cues.into_iter().map(|c| c.text).collect()
    }

    #[test]
    fn header_notes_styles_regions_and_identifiers() {
        let file = "WEBVTT - Tears of Steel\nKind: captions\nLanguage: en\n\n\
                    NOTE this is a comment\nthat spans lines\n\n\
                    STYLE\n::cue { color: yellow }\n\n\
                    REGION\nid:fred width:40%\n\n\
                    intro\n00:01.000 --> 00:02.000 align:start position:10%\n<v Bob>Hello\n\n\
                    2\n00:00:03.000 --> 00:00:04.000\nNOTE is just text here\n\n\
                    NOTE\n\n00:05.000 --> 00:06.000\nLast\n";
        assert_eq!(texts(file), vec!["<v Bob>Hello", "NOTE is just text here", "Last"]);
    }

    #[test]
    fn line_numbers_survive_blanking() {
        let lines = ["WEBVTT", "", "NOTE x", "", "00:01.000 --> 00:02.000", "Hi"];
        assert_eq!(parse(&lines).cues[0].line, 5);
    }

    #[test]
    fn cue_right_after_header_or_note_without_blank_line() {
        assert_eq!(texts("WEBVTT\n00:01.000 --> 00:02.000\nA\n"), vec!["A"]);
        assert_eq!(texts("WEBVTT\n\nNOTE hi\n00:01.000 --> 00:02.000\nB\n"), vec!["B"]);
        assert_eq!(
            texts("\n\nWEBVTT\nKind: captions\n\n00:01.000 --> 00:02.000\nC\n"),
            vec!["C"]
        );
    }

    #[test]
    fn missing_header_warns_but_reads() {
        let lines = ["00:01.000 --> 00:02.000", "Hi"];
        let parsed = parse(&lines);
        assert_eq!(parsed.cues.len(), 1);
        assert_eq!(parsed.warnings[0].line, 1);
    }
}
