//! The contact sheet's pictures, taken from the rendered trailer so they show the grade: ONE decode of the
//! trailer, whose `select` filter keeps the middle frame of each clip (by frame number from `timeline.json`),
//! scaled to `WIDTH` and written as numbered JPEGs. FFmpeg stops once the last one is out, so the decode never
//! runs past the last clip.

use std::path::{Path, PathBuf};

use crate::cancel::Cancel;
use crate::error::{IoContext, Result};
use crate::media::{FfCommand, Tools, filter_value, image2_pattern};
use crate::timeline::Timeline;

/// Wide enough for the three-column money-shot grid on a wide screen, small enough for a light page.
pub(super) const WIDTH: u32 = 480;
/// The images' folder inside the report.
pub(super) const IMG_DIR: &str = "img";

/// A frame to take: the `number`-th clip of the trailer (1-based), at trailer frame `frame`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pick {
    pub number: usize,
    pub frame: u64,
}

impl Pick {
    /// The image's path relative to the report's page.
    pub(super) fn file(&self) -> String {
        format!("{IMG_DIR}/clip-{:02}.jpg", self.number)
    }
}

/// The middle frame of each clip (and the button) in trailer order. Cards, silence and the title have no
/// source picture and get no thumbnail.
pub(super) fn picks(timeline: &Timeline) -> Vec<Pick> {
    timeline
        .video
        .iter()
        .filter(|s| s.clip_index.is_some() && s.end_frame > s.start_frame)
        .enumerate()
        .map(|(i, s)| Pick {
            number: i + 1,
            frame: s.start_frame + (s.end_frame - s.start_frame) / 2,
        })
        .collect()
}

/// The `select` expression that keeps exactly these frames.
fn select_expr(picks: &[Pick]) -> String {
    picks
        .iter()
        .map(|p| format!("eq(n,{})", p.frame))
        .collect::<Vec<_>>()
        .join("+")
}

/// Write one JPEG per pick into `report_dir/img/`. Returns the picks whose image was written (all of them unless
/// the trailer is shorter than its timeline, e.g. a file from another run).
pub(super) fn extract(
    tools: &Tools,
    trailer: &Path,
    picks: &[Pick],
    report_dir: &Path,
    cancel: &Cancel,
) -> Result<Vec<Pick>> {
    let dir = report_dir.join(IMG_DIR);
    std::fs::create_dir_all(&dir).at(&dir, "cannot create the report's image folder")?;
    if picks.is_empty() {
        return Ok(Vec::new());
    }
    // Frames come out in trailer order and picks are in trailer order, so output image k is pick k. The image2
    // muxer numbers them; we rename to the clip's number afterwards (they are equal unless a clip has no frame).
    let pattern: PathBuf = image2_pattern(&dir, "frame-%04d.jpg");
    let graph = format!(
        "select=expr={},scale=w={WIDTH}:h=-2:flags=bicubic,format=yuvj420p",
        filter_value(&select_expr(picks))
    );
    FfCommand::ffmpeg(tools, "taking the report's pictures from the trailer")
        .input(trailer)
        .args(["-an", "-sn", "-dn"])
        .arg2("-vf", graph)
        .args(["-fps_mode", "passthrough"])
        .arg2("-frames:v", picks.len().to_string())
        .args(["-q:v", "3", "-f", "image2", "-start_number", "1", "-y"])
        .output(&pattern)
        .run(cancel, &mut |_| {})?;
    let mut written = Vec::new();
    for (k, pick) in picks.iter().enumerate() {
        let out = dir.join(format!("frame-{:04}.jpg", k + 1));
        if !out.is_file() {
            tracing::warn!(
                "report: {} has no frame {} (shorter than its timeline?); clip {} gets no picture",
                trailer.display(),
                pick.frame,
                pick.number
            );
            continue;
        }
        let to = report_dir.join(pick.file());
        std::fs::rename(&out, &to).at(&to, "cannot name the report's picture")?;
        written.push(*pick);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_select_term_per_clip_at_its_middle_frame() {
        let mut tl: Timeline = serde_json::from_value(serde_json::json!({
            "rate": {"num": 24, "den": 1}, "fps": 24.0, "frames": 100, "duration_s": 4.1667,
            "vibe": "drama", "source_file": "f.mp4", "title_style": "classic",
            "video": [], "music": null, "sfx": [], "voice": [], "film_audio": [], "cuts": 0, "cuts_on_beat": 0
        }))
        .unwrap();
        let seg = |kind: &str, a: u64, b: u64, clip: Option<usize>| {
            serde_json::from_value(serde_json::json!({
                "kind": kind, "start_s": a as f64 / 24.0, "end_s": b as f64 / 24.0, "start_frame": a, "end_frame": b,
                "transition_in": "hard_cut", "clip_index": clip, "keep_audio": false
            }))
            .unwrap()
        };
        tl.video = vec![
            seg("clip", 0, 30, Some(0)),
            seg("silence", 30, 40, None),
            seg("clip", 40, 61, Some(1)),
            seg("title", 61, 80, None),
            seg("button", 80, 100, Some(2)),
        ];
        let p = picks(&tl);
        assert_eq!(
            p,
            vec![
                Pick { number: 1, frame: 15 },
                Pick { number: 2, frame: 50 },
                Pick { number: 3, frame: 90 }
            ]
        );
        assert_eq!(select_expr(&p), "eq(n,15)+eq(n,50)+eq(n,90)");
        assert_eq!(p[1].file(), "img/clip-02.jpg");
    }
}
