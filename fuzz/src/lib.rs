//! What the fuzz targets check beyond "no panic, no hang": the promises the parsers' docs make about their output.

use cinecut::ingest::parse_bytes;

/// Parses subtitle bytes with `hint` (an extension, as the pipeline passes it) and checks the result: every kept
/// event is timed inside the film (non-negative, finite, ends after it starts), has text, and the events are sorted.
pub fn check_subtitles(data: &[u8], hint: &str) {
    let parsed = match parse_bytes(data, Some(hint)) {
        Ok(parsed) => parsed,
        Err(message) => {
            assert!(!message.is_empty(), "an error must say why");
            return;
        }
    };
    for event in &parsed.events {
        assert!(event.start_s.is_finite() && event.end_s.is_finite(), "{event:?}");
        assert!(0.0 <= event.start_s && event.start_s < event.end_s, "{event:?}");
        assert!(!event.text.trim().is_empty(), "{event:?}");
    }
    assert!(
        parsed.events.is_sorted_by(|a, b| a.start_s <= b.start_s),
        "events are not sorted by start"
    );
}
