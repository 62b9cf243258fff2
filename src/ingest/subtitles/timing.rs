//! Timestamps and `-->` timing lines, shared by the SRT, WebVTT and ASS parsers.
//!
//! One lenient grammar covers all three: `[-][h+:]mm:ss[(,|.)f+]`. Hours may have any number of digits
//! (`100:00:01,000`), minutes and seconds one or two, and the fraction is a decimal fraction of any length, so
//! `01,5` is 1.5 s, ASS centiseconds `01.50` too, and `01,500` as well.

/// Parses one timestamp; `None` when it is not one.
pub(super) fn parse_timestamp(text: &str) -> Option<f64> {
    let text = text.trim();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (clock, fraction) = match text.find([',', '.']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let mut parts = clock.split(':');
    let (hours, minutes, seconds) = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(m), Some(s), None, None) => ("0", m, s),
        (Some(h), Some(m), Some(s), None) => (h, m, s),
        _ => return None,
    };
    // Ten digits of hours is over a million years: anything longer is garbage, not a time.
    let hours = digits(hours, 1, 10)? as f64;
    let minutes = digits(minutes, 1, 2)? as f64;
    let seconds = digits(seconds, 1, 2)? as f64;
    let fraction = match fraction {
        None => 0.0,
        // Nine digits is nanoseconds; more adds nothing but overflow risk.
        Some(f) => digits(f, 1, 9)? as f64 / 10f64.powi(f.len() as i32),
    };
    let total = hours * 3600.0 + minutes * 60.0 + seconds + fraction;
    Some(if negative { -total } else { total })
}

/// The value of `text` if it is `min..=max` ASCII digits.
fn digits(text: &str, min: usize, max: usize) -> Option<u64> {
    if !(min..=max).contains(&text.len()) || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Whether a line is meant as a timing line: it has `-->` and starts like a time. Dialogue that happens to
/// contain an arrow ("Go --> there") is not one.
pub(super) fn is_timing_line(line: &str) -> bool {
    let Some(arrow) = line.find("-->") else {
        return false;
    };
    let left = line[..arrow].trim_start();
    let left = left.strip_prefix('-').unwrap_or(left);
    left.starts_with(|c: char| c.is_ascii_digit())
}

/// Start and end of a timing line such as `00:00:01,000 --> 00:00:02,500 X1:10` or
/// `01:02.500 --> 01:04.000 align:start position:10%`. Anything after the end time (VTT cue settings, SRT
/// coordinates) is ignored. `Err` says what is wrong, for the warning.
pub(super) fn parse_timing_line(line: &str) -> Result<(f64, f64), String> {
    let Some(arrow) = line.find("-->") else {
        return Err("expected a timing line with `-->`".to_string());
    };
    let start_text = line[..arrow].trim();
    let end_text = line[arrow + 3..].split_whitespace().next().unwrap_or("");
    let start = parse_timestamp(start_text).ok_or_else(|| format!("bad start time {}", quoted(start_text)))?;
    let end = parse_timestamp(end_text).ok_or_else(|| format!("bad end time {}", quoted(end_text)))?;
    Ok((start, end))
}

/// Quotes a piece of the input for a message, cut short so a 1 MB line does not become a 1 MB warning.
pub(super) fn quoted(text: &str) -> String {
    const MAX_CHARS: usize = 40;
    if text.is_empty() {
        return "(missing)".to_string();
    }
    let mut short: String = text.chars().take(MAX_CHARS).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    format!("\"{short}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Option<f64> {
        parse_timestamp(text).map(|t| (t * 1000.0).round() / 1000.0)
    }

    #[test]
    fn timestamp_forms() {
        assert_eq!(ts("00:00:01,000"), Some(1.0));
        assert_eq!(ts("00:00:01.250"), Some(1.25));
        assert_eq!(ts("00:00:01,5"), Some(1.5));
        assert_eq!(ts("00:00:01,05"), Some(1.05));
        assert_eq!(ts("0:00:22.99"), Some(22.99)); // ASS centiseconds
        assert_eq!(ts("01:02.500"), Some(62.5)); // VTT without hours
        assert_eq!(ts("100:00:01,000"), Some(360_001.0));
        assert_eq!(ts("01:00:00"), Some(3600.0));
        assert_eq!(ts(" 00:00:02,000 "), Some(2.0));
        assert_eq!(ts("-00:00:01,000"), Some(-1.0));
    }

    #[test]
    fn not_timestamps() {
        for bad in [
            "",
            "1",
            "10:30:",
            "aa:bb:cc,ddd",
            "00:000:01,000",
            "00:00:01,",
            "1:2:3:4",
            "00:00:01,0x",
            "١:٠٠",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad:?}");
        }
        assert_eq!(parse_timestamp(&"9".repeat(40)), None);
        assert_eq!(parse_timestamp(&format!("{}:00:00", "9".repeat(40))), None);
    }

    #[test]
    fn timing_lines() {
        assert_eq!(parse_timing_line("00:00:01,000 --> 00:00:02,000"), Ok((1.0, 2.0)));
        assert_eq!(parse_timing_line("00:00:01,000-->00:00:02,000"), Ok((1.0, 2.0)));
        assert_eq!(
            parse_timing_line("  00:00:01.000   -->   00:00:02.000  "),
            Ok((1.0, 2.0))
        );
        assert_eq!(
            parse_timing_line("00:01.000 --> 00:02.000 align:start position:10%"),
            Ok((1.0, 2.0))
        );
        assert_eq!(
            parse_timing_line("00:00:01,000 --> 00:00:02,000 X1:100 X2:200 Y1:1 Y2:2"),
            Ok((1.0, 2.0))
        );
        assert!(
            parse_timing_line("00:00:01,000 --> ")
                .unwrap_err()
                .contains("(missing)")
        );
        assert!(
            parse_timing_line("00:00:0x,000 --> 00:00:02,000")
                .unwrap_err()
                .contains("start")
        );
    }

    #[test]
    fn timing_line_recognition() {
        assert!(is_timing_line("00:00:01,000 --> 00:00:02,000"));
        assert!(is_timing_line("0:00:0x --> garbage"));
        assert!(is_timing_line("-00:00:01,000 --> 00:00:02,000"));
        assert!(!is_timing_line("Go --> there"));
        assert!(!is_timing_line("00:00:01,000"));
    }

    #[test]
    fn quoted_is_short() {
        assert_eq!(quoted("abc"), "\"abc\"");
        assert!(quoted(&"é".repeat(1000)).chars().count() < 50);
    }
}
