//! The film's own credit or licence line, for a page that shows its frames: read from the container's tags
//! (`copyright`, `license`, `comment`, …) with one ffprobe of the header. A film without such a tag gets only
//! the page's generic "Film frames © their owners"; a film that cannot be probed any more (moved since the run)
//! is not an error, the report just has no credit line.

use std::path::Path;

use serde_json::{Map, Value};

use crate::cancel::Cancel;
use crate::media::{FfCommand, Tools};

/// Tag names that carry a credit or a licence, most specific first (compared case-insensitively).
const CREDIT_TAGS: [&str; 6] = ["copyright", "license", "licence", "rights", "comment", "description"];
/// A tag longer than this is a synopsis, not a credit line.
const MAX_CREDIT_CHARS: usize = 240;

/// The credit line of `film`, if its container names one.
pub(super) fn film_credit(tools: &Tools, film: &Path, cancel: &Cancel) -> Option<String> {
    if !film.is_file() {
        return None;
    }
    let out = FfCommand::ffprobe(tools, format!("reading the tags of {}", film.display()))
        .args(["-show_entries", "format_tags", "-of", "json"])
        .input(film)
        .output_bytes(cancel)
        .map_err(|e| tracing::debug!("report: no credit line: {e}"))
        .ok()?;
    let json: Value = serde_json::from_slice(&out).ok()?;
    pick_credit(json.pointer("/format/tags")?.as_object()?)
}

/// The first credit-like tag with a short, non-empty value.
pub(super) fn pick_credit(tags: &Map<String, Value>) -> Option<String> {
    CREDIT_TAGS.iter().find_map(|want| {
        tags.iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(want))
            .filter_map(|(_, v)| v.as_str())
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .find(|v| !v.is_empty() && v.chars().count() <= MAX_CREDIT_CHARS)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tags(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn a_licence_or_copyright_tag_becomes_the_credit_and_encoder_tags_do_not() {
        assert_eq!(
            pick_credit(&tags(json!({"encoder": "Lavf59.27.100", "major_brand": "isom"}))),
            None
        );
        assert_eq!(
            pick_credit(&tags(json!({
                "comment": "made with love",
                "COPYRIGHT": "(CC) Blender Foundation | mango.blender.org"
            }))),
            Some("(CC) Blender Foundation | mango.blender.org".into())
        );
        assert_eq!(
            pick_credit(&tags(json!({"comment": "  CC BY 3.0\n  Blender  "}))),
            Some("CC BY 3.0 Blender".into())
        );
        assert_eq!(pick_credit(&tags(json!({"description": "x".repeat(500)}))), None);
    }
}
