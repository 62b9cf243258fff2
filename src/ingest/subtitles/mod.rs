//! Stage `subtitles`, the pure part: subtitle file bytes in, cleaned and emotion-labelled `DialogueEvent`s out.
//!
//! `decode` turns bytes into text, `detect` picks the format, `srt` / `ass` / `vtt` cut the text into raw cues,
//! `clean` strips markup and finds speakers and sound descriptions, `emotion` labels each line. Nothing here touches
//! the disk or FFmpeg; the pipeline stage reads the file (or an embedded track) and writes `dialogue.json`.
//!
//! Bad cues never abort a file: each is skipped with a `Warning` that names its line, so one typo in a two-hour
//! film costs one line of dialogue, not the run.

mod ass;
mod clean;
mod decode;
mod detect;
mod emotion;
mod srt;
mod timing;
mod vtt;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

/// One line of dialogue (or one sound description) on the film's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DialogueEvent {
    pub start_s: f64,
    pub end_s: f64,
    /// Cleaned text: no markup, single spaces, the cue's lines joined with " ".
    pub text: String,
    /// From the ASS `Name` column, a WebVTT `<v Bob>` voice, or a `JOHN:` prefix, as written.
    pub speaker: Option<String>,
    pub emotion: Emotion,
    /// The cue held only sound descriptions like "[explosion]" or "(sighs)"; `text` is the description.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sound_cue: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emotion {
    Intense,
    Romantic,
    Comedic,
    Negative,
    Positive,
    Neutral,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubtitleFormat {
    Srt,
    Ass,
    Vtt,
}

/// Something skipped or repaired while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line number in the file; 0 when the warning is about the file as a whole.
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParsedSubtitles {
    /// Sorted by start time (stable: cues that start together keep their file order). Overlaps are kept.
    pub events: Vec<DialogueEvent>,
    pub warnings: Vec<Warning>,
    pub format: SubtitleFormat,
    /// The encoding the bytes were read as, e.g. "UTF-8" or "windows-1252" (a guess worth telling the user).
    pub encoding: &'static str,
}

/// Parses a subtitle file's bytes.
///
/// The format comes from the content (a `WEBVTT` header, ASS `[Script Info]` / `[Events]` / `Dialogue:` lines, else
/// SRT-like `-->` timing lines); `hint` is the file extension if known ("srt", "ass", "ssa", "vtt") and only settles
/// what the content leaves open (a headerless file of `-->` cues is WebVTT if the hint says so).
///
/// Returns `Err` only for a non-empty file with no subtitle structure at all (binary data, another format, prose);
/// the message says what the file looks like. An empty file, or one whose cues are all unusable, is `Ok` with no
/// events and a warning.
pub fn parse_bytes(bytes: &[u8], hint: Option<&str>) -> Result<ParsedSubtitles, String> {
    let decoded = decode::decode(bytes);
    let mut warnings = Vec::new();
    if decoded.lossy {
        warnings.push(Warning::file(format!(
            "some bytes are not valid {}; they were replaced with \u{FFFD}",
            decoded.encoding
        )));
    }
    // A second BOM (files re-saved by tools that add one blindly) would hide the first line's content.
    let lines = split_lines(decoded.text.trim_start_matches('\u{FEFF}'));
    let hint_format = hint.and_then(format_from_extension);

    let Some(format) = detect::detect(&lines, hint_format) else {
        if decoded.text.trim().is_empty() {
            warnings.push(Warning::file("the subtitle file is empty"));
            return Ok(ParsedSubtitles {
                events: Vec::new(),
                warnings,
                format: hint_format.unwrap_or(SubtitleFormat::Srt),
                encoding: decoded.encoding,
            });
        }
        return Err(format!(
            "this is not a subtitle file: it looks like {}. CineCut reads SRT, ASS/SSA and WebVTT, whose cues carry \
             timings such as `00:00:01,000 --> 00:00:02,500`",
            detect::describe(bytes, &decoded.text)
        ));
    };

    let raw = match format {
        SubtitleFormat::Srt => srt::parse(&lines),
        SubtitleFormat::Ass => ass::parse(&lines),
        SubtitleFormat::Vtt => vtt::parse(&lines),
    };
    warnings.extend(raw.warnings);
    let events = finish(raw.cues, &mut warnings);
    if events.is_empty() {
        warnings.push(Warning::file("no usable cues, so no dialogue from this file"));
    }
    Ok(ParsedSubtitles {
        events,
        warnings,
        format,
        encoding: decoded.encoding,
    })
}

/// A cue as the format parsers see it: timed, but its text still raw (markup, `\N`, speaker prefixes).
#[derive(Debug, Clone, PartialEq)]
struct RawCue {
    /// 1-based line of the cue's timing (SRT/VTT) or its `Dialogue:` line (ASS), for warnings.
    line: usize,
    start_s: f64,
    end_s: f64,
    /// Raw text; lines separated by '\n'.
    text: String,
    /// From the format itself (ASS `Name` column); a speaker found in the text is used only when this is `None`.
    speaker: Option<String>,
}

#[derive(Debug, Default)]
struct RawParse {
    cues: Vec<RawCue>,
    warnings: Vec<Warning>,
}

impl Warning {
    fn at(line: usize, message: impl Into<String>) -> Warning {
        Warning {
            line,
            message: message.into(),
        }
    }

    fn file(message: impl Into<String>) -> Warning {
        Warning::at(0, message)
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => f.write_str(&self.message),
            line => write!(f, "line {line}: {}", self.message),
        }
    }
}

/// Checks times, cleans text, labels emotion and sorts; every cue dropped here leaves a warning.
fn finish(raw: Vec<RawCue>, warnings: &mut Vec<Warning>) -> Vec<DialogueEvent> {
    let mut events = Vec::with_capacity(raw.len());
    for cue in raw {
        let problem = if cue.start_s < 0.0 || cue.end_s < 0.0 {
            Some("negative time")
        } else if cue.end_s < cue.start_s {
            Some("cue ends before it starts")
        } else if cue.end_s == cue.start_s {
            Some("zero-length cue")
        } else {
            None
        };
        if let Some(problem) = problem {
            warnings.push(Warning::at(cue.line, format!("{problem}; cue skipped")));
            continue;
        }
        let cleaned = clean::clean(&cue.text);
        let (text, sound_cue) = match (cleaned.text.is_empty(), cleaned.sound) {
            (false, _) => (cleaned.text, false),
            (true, Some(sound)) => (sound, true),
            (true, None) => {
                warnings.push(Warning::at(cue.line, "cue has no text; cue skipped"));
                continue;
            }
        };
        events.push(DialogueEvent {
            start_s: cue.start_s,
            end_s: cue.end_s,
            text,
            speaker: cue.speaker.or(cleaned.speaker),
            emotion: Emotion::Neutral, // labelled below, once the whole file's style is known
            sound_cue,
        });
    }

    // Some files are written all in capitals; there, capitals are house style, not shouting.
    let dialogue = events.iter().filter(|e| !e.sound_cue).map(|e| e.text.as_str());
    let shouting = !emotion::is_all_caps_style(dialogue);
    for event in &mut events {
        // Sound descriptions are capitalised by convention ("[DOOR SLAMS]"), never shouted.
        event.emotion = emotion::classify(&event.text, shouting && !event.sound_cue);
    }
    events.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    events
}

fn format_from_extension(ext: &str) -> Option<SubtitleFormat> {
    match ext.trim_start_matches('.').to_ascii_lowercase().as_str() {
        "srt" => Some(SubtitleFormat::Srt),
        "ass" | "ssa" => Some(SubtitleFormat::Ass),
        "vtt" | "webvtt" => Some(SubtitleFormat::Vtt),
        _ => None,
    }
}

/// Splits on "\r\n", "\n" or a lone "\r" (old Mac files), so line numbers match what an editor shows.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        lines.push(&text[start..]);
    }
    lines
}
