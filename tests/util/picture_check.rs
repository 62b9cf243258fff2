//! A rendered trailer's picture checked against its `timeline.json` as a viewer would see it: every frame's
//! pixel format and timestamp, where the picture cuts (FFmpeg's `scdet`), that the title card shows text, and
//! that the silence beat is black.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

pub struct Report {
    pub problems: Vec<String>,
    /// Cuts `scdet` found, and how many of the timeline's hard cuts between two clips it found.
    pub detected: usize,
    pub hard_cuts: usize,
    pub hard_cuts_found: usize,
}

/// `source_cuts`: where the film itself changes (film seconds) and how far either side the change may be seen
/// (0 for a cut, half its length for a dissolve or a fade), so a change inside a clip that the film has is
/// expected.
pub fn check(tl: &Value, out: &Path, source_cuts: &[(f64, f64)]) -> Report {
    let mut problems = vec![];
    let fps = tl["fps"].as_f64().unwrap();
    let frames = tl["frames"].as_u64().unwrap();
    let video = tl["video"].as_array().unwrap();

    // Every frame yuv420p, one frame period apart: constant frame rate, no drops, no doubles.
    let rows = ffprobe_rows(out, "frame=pix_fmt,pts_time");
    if rows.len() as u64 != frames {
        problems.push(format!("{} frames decoded, the timeline has {frames}", rows.len()));
    }
    if let Some(bad) = rows.iter().position(|(f, _)| f != "yuv420p") {
        problems.push(format!("frame {bad} is {}", rows[bad].0));
    }
    for (k, w) in rows.windows(2).enumerate() {
        let d = w[1].1 - w[0].1;
        if (d - 1.0 / fps).abs() > 0.25 / fps {
            problems.push(format!("frames {k} and {} are {d:.4} s apart", k + 1));
            break;
        }
    }

    // Cuts: every one scdet sees is a timeline cut (within a frame, or inside a transition) or one the film has
    // inside a clip; never anything else (a flash frame, a slipped clip).
    let found = scene_changes(out);
    let mut expected: Vec<(i64, i64)> = video
        .iter()
        .skip(1)
        .map(|s| {
            let start = s["start_frame"].as_u64().unwrap() as i64;
            let half = s["transition_frames"].as_u64().unwrap_or(0) as i64 / 2;
            (start - half - 1, start + half + 1)
        })
        .collect();
    for s in video {
        let (Some(a), Some(b)) = (s["source_start_s"].as_f64(), s["source_end_s"].as_f64()) else {
            continue;
        };
        let start = s["start_frame"].as_u64().unwrap() as i64;
        for &(c, spread) in source_cuts
            .iter()
            .filter(|&&(c, spread)| c + spread > a && c - spread < b)
        {
            let f = start + ((c - a) * fps).round() as i64;
            let w = (spread * fps).ceil() as i64 + 1;
            expected.push((f - w, f + w));
        }
    }
    for &t in &found {
        let f = (t * fps).round() as i64;
        if !expected.iter().any(|&(a, b)| (a..=b).contains(&f)) {
            problems.push(format!(
                "a cut at {t:.3} s (frame {f}) that neither the timeline nor the film has"
            ));
        }
    }
    let clip = |s: &Value| matches!(s["kind"].as_str(), Some("clip" | "button"));
    let hard: Vec<i64> = video
        .windows(2)
        .filter(|w| clip(&w[0]) && clip(&w[1]) && w[1]["transition_in"] == "hard_cut")
        .map(|w| w[1]["start_frame"].as_i64().unwrap())
        .collect();
    let hard_cuts_found = hard
        .iter()
        .filter(|&&c| found.iter().any(|t| ((t * fps).round() as i64 - c).abs() <= 1))
        .count();

    let (w, h) = size(out);
    // The title card: text in its middle frame.
    for s in video.iter().filter(|s| s["kind"] == "title") {
        let mid = (s["start_frame"].as_u64().unwrap() + s["end_frame"].as_u64().unwrap()) / 2;
        let px = gray_frames(out, mid, 1, fps, w, h);
        let bright = px.iter().filter(|&&p| p > 180).count();
        if bright * 1000 < px.len() {
            problems.push(format!(
                "the title card at frame {mid} shows no text ({bright} bright pixels)"
            ));
        }
    }
    // The silence: every frame black.
    for s in video.iter().filter(|s| s["kind"] == "silence") {
        let (a, b) = (s["start_frame"].as_u64().unwrap(), s["end_frame"].as_u64().unwrap());
        let px = gray_frames(out, a, b - a, fps, w, h);
        let n = (w * h) as usize;
        if px.len() != n * (b - a) as usize {
            problems.push(format!("the silence gave {} frames, not {}", px.len() / n, b - a));
        }
        if let Some(k) = px.chunks(n).position(|f| f.iter().any(|&p| p > 20)) {
            problems.push(format!("frame {} of the silence is not black", a + k as u64));
        }
    }
    Report {
        problems,
        detected: found.len(),
        hard_cuts: hard.len(),
        hard_cuts_found,
    }
}

fn ffprobe_rows(out: &Path, entries: &str) -> Vec<(String, f64)> {
    let o = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries", entries])
        .args(["-of", "csv=p=0"])
        .arg(out)
        .output()
        .unwrap();
    // ffprobe's CSV adds empty fields or lines for frames with side data.
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split(',').map(str::trim).filter(|x| !x.is_empty());
            let (a, b) = (f.next()?, f.next()?);
            // Either order: `pix_fmt,pts_time` is printed in ffprobe's own field order.
            match (a.parse::<f64>(), b.parse::<f64>()) {
                (Ok(t), _) => Some((b.to_string(), t)),
                (_, Ok(t)) => Some((a.to_string(), t)),
                _ => None,
            }
        })
        .collect()
}

/// The threshold of FFmpeg's scene-change score at which a trailer frame counts as a cut.
pub const CUT_SCORE: f64 = 12.0;

/// Times of the frames where FFmpeg's scene-change detector scores `CUT_SCORE` or more.
pub fn scene_changes(out: &Path) -> Vec<f64> {
    scene_changes_over(out, CUT_SCORE)
}

/// Times of the frames where FFmpeg's scene-change detector scores `threshold` or more. Run on the film with a
/// lower threshold than on the trailer, it lists what the film itself does (cuts, flicker, flashes, titles
/// popping in) that the trailer's grade may push over `CUT_SCORE`.
pub fn scene_changes_over(out: &Path, threshold: f64) -> Vec<f64> {
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(out)
        .args([
            "-vf",
            &format!("scdet=threshold={threshold}:sc_pass=1,metadata=mode=print"),
        ])
        .args(["-an", "-f", "null", "-"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter_map(|l| l.split("lavfi.scd.time=").nth(1))
        .filter_map(|v| v.trim().parse().ok())
        .collect()
}

fn size(out: &Path) -> (u32, u32) {
    let px = |f| super::probe_video_field(out, f).parse().unwrap();
    (px("width"), px("height"))
}

/// `n` frames from frame `first` on, as 8-bit luma.
pub fn gray_frames(out: &Path, first: u64, n: u64, fps: f64, w: u32, h: u32) -> Vec<u8> {
    // Half a frame early: FFmpeg keeps the first frame at or after the seek point.
    let at = (first as f64 - 0.5).max(0.0) / fps;
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-ss", &format!("{at:.6}"), "-i"])
        .arg(out)
        .args(["-frames:v", &n.to_string(), "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .unwrap();
    assert!(o.stdout.len().is_multiple_of((w * h) as usize));
    o.stdout
}
