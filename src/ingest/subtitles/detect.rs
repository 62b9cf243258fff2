//! Which format a file is, from its content; and, for a file that is none of them, what it looks like instead, so
//! the error can say "this is a Matroska video" rather than "parse error".

use super::SubtitleFormat;
use super::timing::is_timing_line;

/// `None` when the text has no subtitle structure at all. The first marker wins: a `WEBVTT` first line, an ASS
/// section header or `Dialogue:` line, or a `-->` timing line (WebVTT if `hint` says so, else SRT).
pub(super) fn detect(lines: &[&str], hint: Option<SubtitleFormat>) -> Option<SubtitleFormat> {
    let first = lines
        .iter()
        .map(|l| l.trim_start_matches('\u{FEFF}').trim())
        .find(|l| !l.is_empty())?;
    if first.starts_with("WEBVTT") {
        return Some(SubtitleFormat::Vtt);
    }
    lines.iter().find_map(|line| {
        if is_ass_marker(line.trim_start_matches('\u{FEFF}').trim()) {
            Some(SubtitleFormat::Ass)
        } else if is_timing_line(line) {
            Some(if hint == Some(SubtitleFormat::Vtt) {
                SubtitleFormat::Vtt
            } else {
                SubtitleFormat::Srt
            })
        } else {
            None
        }
    })
}

fn is_ass_marker(line: &str) -> bool {
    const SECTIONS: &[&str] = &[
        "[script info]",
        "[events]",
        "[v4+ styles]",
        "[v4 styles]",
        "[v4 styles+]",
    ];
    SECTIONS.iter().any(|s| line.eq_ignore_ascii_case(s))
        || line.get(..9).is_some_and(|head| head.eq_ignore_ascii_case("dialogue:"))
}

/// A short description of what a non-subtitle file seems to be.
pub(super) fn describe(bytes: &[u8], text: &str) -> String {
    if let Some(kind) = magic(bytes) {
        return kind.to_string();
    }
    let head: String = text.chars().take(4096).collect();
    let lower = head.to_lowercase();
    if lower.contains("<sami") {
        return "SAMI subtitles (.smi), which CineCut does not read; convert them, e.g. `ffmpeg -i in.smi out.srt`"
            .to_string();
    }
    if lower.contains("<tt ") || lower.contains("<tt>") || lower.contains("ttml") {
        return "TTML/DFXP subtitles (XML), which CineCut does not read; convert them to SRT first".to_string();
    }
    if head.lines().any(|l| is_microdvd(l.trim())) {
        return "MicroDVD subtitles (`{frame}{frame}text`), which CineCut does not read; convert them to SRT first"
            .to_string();
    }
    let total = head.chars().count().max(1);
    let odd = head
        .chars()
        .filter(|&c| c == '\u{FFFD}' || (c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{0C}')))
        .count();
    // Real text has next to no control characters; a few percent means binary data read as text.
    if odd * 50 > total {
        return "binary data, not text".to_string();
    }
    let first_line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    format!(
        "plain text with no subtitle timings (it starts {})",
        super::timing::quoted(first_line)
    )
}

fn magic(bytes: &[u8]) -> Option<&'static str> {
    let starts = |m: &[u8]| bytes.starts_with(m);
    Some(match () {
        _ if starts(b"\x1A\x45\xDF\xA3") => "a Matroska/WebM video (for its subtitle track, extract it first)",
        _ if bytes.get(4..8) == Some(b"ftyp") => "an MP4/MOV video",
        _ if starts(b"RIFF") => "a RIFF file (AVI video or WAV audio)",
        _ if starts(b"OggS") => "an Ogg audio/video file",
        _ if starts(b"ID3") || starts(b"fLaC") => "an audio file",
        _ if starts(b"\x89PNG") => "a PNG image",
        _ if starts(b"\xFF\xD8\xFF") => "a JPEG image",
        _ if starts(b"GIF8") => "a GIF image",
        _ if starts(b"%PDF") => "a PDF document",
        _ if starts(b"PK\x03\x04") => "a ZIP archive (unpack it and pass the .srt inside)",
        _ if starts(b"\x1F\x8B") => "a gzip archive (unpack it first)",
        _ if starts(b"Rar!") => "a RAR archive (unpack it first)",
        _ if starts(b"7z\xBC\xAF") => "a 7z archive (unpack it first)",
        _ if starts(b"\x7FELF") || starts(b"MZ") => "a program, not a text file",
        _ => return None,
    })
}

fn is_microdvd(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('{') else {
        return false;
    };
    let Some((frame, rest)) = rest.split_once('}') else {
        return false;
    };
    !frame.is_empty() && frame.bytes().all(|b| b.is_ascii_digit()) && rest.starts_with('{')
}

#[cfg(test)]
mod tests {
    use super::*;
    use SubtitleFormat::*;

    fn format_of(text: &str, hint: Option<SubtitleFormat>) -> Option<SubtitleFormat> {
        let lines: Vec<&str> = text.lines().collect();
        detect(&lines, hint)
    }

    #[test]
    fn detects_by_content_not_extension() {
        assert_eq!(
            format_of("\u{FEFF}WEBVTT\n\n00:01.000 --> 00:02.000\nhi", Some(Srt)),
            Some(Vtt)
        );
        assert_eq!(format_of("[Script Info]\nTitle: x\n", Some(Srt)), Some(Ass));
        assert_eq!(
            format_of("Dialogue: 0,0:00:01.00,0:00:02.00,,,0,0,0,,hi", None),
            Some(Ass)
        );
        assert_eq!(format_of("1\n00:00:01,000 --> 00:00:02,000\nhi", Some(Ass)), Some(Srt));
        assert_eq!(format_of("\n\n00:01.000 --> 00:02.000\nhi", Some(Vtt)), Some(Vtt));
        assert_eq!(format_of("just some words\n", Some(Srt)), None);
        assert_eq!(format_of("", Some(Srt)), None);
    }

    #[test]
    fn describes_what_it_is() {
        assert!(describe(b"\x1A\x45\xDF\xA3\x01\x02", "").contains("Matroska"));
        assert!(describe(b"\0\0\0\x20ftypisom", "").contains("MP4"));
        assert!(describe(b"", "<SAMI><BODY>").contains("SAMI"));
        assert!(describe(b"", "{0}{25}Hello|World").contains("MicroDVD"));
        assert!(describe(b"", "\u{1}\u{2}\u{3}abc\u{0}\u{0}").contains("binary"));
        assert!(describe(b"", "Dear diary,\ntoday").contains("\"Dear diary,\""));
    }
}
