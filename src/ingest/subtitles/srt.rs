//! SubRip (SRT): `index`, `start --> end`, text lines, blank line. Also the cue scanner that WebVTT reuses once
//! `vtt` has blanked its header and NOTE/STYLE/REGION blocks.
//!
//! Real files break the rules, so the scanner trusts timing lines over blank lines: a timing line starts a new cue
//! even with no blank line before it, and a bare number (or, after a blank line, any single line) right before a
//! timing line is the cue's index, not text. A number line anywhere else is dialogue ("42"). A bad timing line
//! skips its cue with a warning; the next timing line resynchronises.

use super::timing::{is_timing_line, parse_timing_line, quoted};
use super::{RawCue, RawParse, Warning};

pub(super) fn parse(lines: &[&str]) -> RawParse {
    scan(lines)
}

enum State {
    /// Between cues.
    Idle,
    /// Collecting the text of a cue.
    InCue(RawCue),
    /// Ignoring lines up to the next blank or timing line: after a bad timing line, or stray text already warned of.
    Skipping,
}

/// Cuts lines into timed cues with raw text. `lines[i]` is line `i + 1` of the file.
pub(super) fn scan(lines: &[&str]) -> RawParse {
    let mut out = RawParse::default();
    let mut state = State::Idle;
    for (i, &line) in lines.iter().enumerate() {
        let number = i + 1;
        if is_timing_line(line) {
            close(&mut state, &mut out);
            state = match parse_timing_line(line) {
                Ok((start_s, end_s)) => State::InCue(RawCue {
                    line: number,
                    start_s,
                    end_s,
                    text: String::new(),
                    speaker: None,
                }),
                Err(why) => {
                    out.warnings.push(Warning::at(number, format!("{why}; cue skipped")));
                    State::Skipping
                }
            };
            continue;
        }
        if line.trim().is_empty() {
            close(&mut state, &mut out);
            continue;
        }
        let before_timing = lines.get(i + 1).is_some_and(|next| is_timing_line(next));
        let is_index = before_timing && (matches!(state, State::Idle) || is_bare_number(line));
        if is_index {
            close(&mut state, &mut out);
            continue;
        }
        match &mut state {
            State::InCue(cue) => {
                if !cue.text.is_empty() {
                    cue.text.push('\n');
                }
                cue.text.push_str(line);
            }
            State::Skipping => {}
            State::Idle => {
                // Index numbers with no timing line after them are noise, not worth a warning of their own.
                if !is_bare_number(line) {
                    out.warnings.push(Warning::at(
                        number,
                        format!("text outside any cue ignored: {}", quoted(line.trim())),
                    ));
                    state = State::Skipping;
                }
            }
        }
    }
    close(&mut state, &mut out);
    out
}

/// Ends the current cue, if any, and returns to `Idle`. Empty cues are kept here; `finish` warns about them
/// together with cues that become empty after cleaning.
fn close(state: &mut State, out: &mut RawParse) {
    if let State::InCue(cue) = std::mem::replace(state, State::Idle) {
        out.cues.push(cue);
    }
}

fn is_bare_number(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty() && line.len() <= 9 && line.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cues(text: &str) -> Vec<(usize, f64, f64, String)> {
        let lines: Vec<&str> = text.lines().collect();
        scan(&lines)
            .cues
            .into_iter()
            .map(|c| (c.line, c.start_s, c.end_s, c.text))
            .collect()
    }

    #[test]
    fn plain_file() {
        let got = cues("1\n00:00:01,000 --> 00:00:02,000\nHello\nthere\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n");
        assert_eq!(
            got,
            vec![
                (2, 1.0, 2.0, "Hello\nthere".to_string()),
                (7, 3.0, 4.0, "Bye".to_string())
            ]
        );
    }

    #[test]
    fn missing_blank_line_between_cues() {
        let got = cues("1\n00:00:01,000 --> 00:00:02,000\nHello\n2\n00:00:03,000 --> 00:00:04,000\nBye\n");
        assert_eq!(got[0].3, "Hello");
        assert_eq!(got[1].3, "Bye");
        let no_index = cues("00:00:01,000 --> 00:00:02,000\nHello\n00:00:03,000 --> 00:00:04,000\nBye\n");
        assert_eq!((no_index[0].3.as_str(), no_index[1].3.as_str()), ("Hello", "Bye"));
    }

    #[test]
    fn number_line_inside_text_is_text() {
        let got = cues("1\n00:00:01,000 --> 00:00:02,000\nThe answer is\n42\n\n2\n00:00:03,000 --> 00:00:04,000\n7\n");
        assert_eq!(got[0].3, "The answer is\n42");
        assert_eq!(got[1].3, "7");
    }

    #[test]
    fn blank_line_runs_and_no_indices() {
        let got = cues("\n\n\n00:00:01,000 --> 00:00:02,000\nA\n\n\n\n\n00:00:03,000 --> 00:00:04,000\nB\n\n\n");
        assert_eq!(got.len(), 2);
    }

    #[test]
    fn bad_timing_skips_only_that_cue() {
        let lines = [
            "1",
            "00:00:0x,000 --> 00:00:02,000",
            "Lost",
            "",
            "2",
            "00:00:03,000 --> 00:00:04,000",
            "Kept",
        ];
        let parsed = scan(&lines);
        assert_eq!(parsed.cues.len(), 1);
        assert_eq!(parsed.cues[0].text, "Kept");
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].line, 2);
    }

    #[test]
    fn stray_text_warns_once_per_run() {
        let lines = ["00:00:01,000 --> 00:00:02,000", "A", "", "junk", "more junk", "", "7"];
        let parsed = scan(&lines);
        assert_eq!(parsed.cues.len(), 1);
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].line, 4);
    }
}
