//! The title card drawn by real FFmpeg: every style on a scope frame, a hostile title, a portrait frame. Each card
//! is rendered to raw grey frames and judged by what a viewer would see: text in the middle of the card, inside
//! the frame, centred, black at both ends.

use std::path::{Path, PathBuf};
use std::process::Command;

use cinecut::render::{Card, TextLine, card_filters, card_layout};
use cinecut::story::TitleStyle;

const FPS: u32 = 24;
/// Brighter than this (8-bit limited-range luma, white is 235) is a lit letter.
const BRIGHT: u8 = 200;
/// Brighter than this is anything drawn, tagline and rule included (black is 16).
const INK: u8 = 40;

struct Rendered {
    w: usize,
    h: usize,
    frames: Vec<Vec<u8>>,
}

/// Lay the card out, write its text files, and render it through the same chain `conform` uses.
fn render(dir: &Path, card: &Card, w: u32, h: u32, n: u32) -> (Vec<TextLine>, Rendered) {
    let dur = f64::from(n) / f64::from(FPS);
    let lines = card_layout(card, w, h, dur);
    let files: Vec<PathBuf> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let file = dir.join(format!("line {i}.txt"));
            std::fs::write(&file, &line.text).unwrap();
            file
        })
        .collect();
    let graph = format!(
        "color=c=black:s={w}x{h}:r={FPS},trim=end_frame={n},{},format=yuv420p[v]",
        card_filters(&lines, &files, w, h, dur)
    );
    let out = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-hide_banner",
            "-v",
            "error",
            "-filter_complex",
            &graph,
            "-map",
            "[v]",
        ])
        .args(["-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .expect("ffmpeg runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // No FFmpeg error; fontconfig's cache notices (a sandbox without a writable cache) are not ours.
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.contains("Fontconfig"))
        .collect();
    assert!(out.status.success() && ours.is_empty(), "{graph}\n{stderr}");
    let (wu, hu) = (w as usize, h as usize);
    assert_eq!(out.stdout.len(), wu * hu * n as usize, "{n} frames of {w}x{h}");
    let frames = out.stdout.chunks(wu * hu).map(<[u8]>::to_vec).collect();
    (lines, Rendered { w: wu, h: hu, frames })
}

/// Left, top, right, bottom (inclusive) of the pixels brighter than `level` in rows `rows`, and how many.
fn bbox(
    r: &Rendered,
    frame: usize,
    level: u8,
    rows: std::ops::Range<usize>,
) -> Option<(usize, usize, usize, usize, usize)> {
    let f = &r.frames[frame];
    let mut b: Option<(usize, usize, usize, usize, usize)> = None;
    for y in rows.start..rows.end.min(r.h) {
        for x in 0..r.w {
            if f[y * r.w + x] > level {
                let (l, t, rr, bb, n) = b.unwrap_or((x, y, x, y, 0));
                b = Some((l.min(x), t.min(y), rr.max(x), bb.max(y), n + 1));
            }
        }
    }
    b
}

/// Median length of the horizontal runs of ink in `rows`: about a stem's width (bars and bowls make longer runs).
fn stroke(r: &Rendered, frame: usize, rows: std::ops::Range<usize>) -> f64 {
    let mut runs = Vec::new();
    for y in rows {
        let row = &r.frames[frame][y * r.w..(y + 1) * r.w];
        let mut run = 0;
        for &v in row.iter().chain([&0]) {
            if v > INK {
                run += 1;
            } else if run > 0 {
                runs.push(run);
                run = 0;
            }
        }
    }
    runs.sort_unstable();
    runs.get(runs.len() / 2).copied().unwrap_or(0) as f64
}

fn max(r: &Rendered, frame: usize) -> u8 {
    r.frames[frame].iter().copied().max().unwrap_or(0)
}

/// The checks every card must pass; returns the ink's margins (left, top, right, bottom) in pixels.
fn check_card(what: &str, lines: &[TextLine], r: &Rendered, exact_top: bool) -> [usize; 4] {
    let (w, h) = (r.w, r.h);
    let mid = r.frames.len() / 2;
    let (_, _, _, _, lit) = bbox(r, mid, BRIGHT, 0..h).unwrap_or_else(|| panic!("{what}: no lit text mid-card"));
    assert!(lit > 200 && lit < w * h / 4, "{what}: {lit} lit pixels");

    // All ink inside the frame, clear of its edges.
    let (l, t, rr, b, _) = bbox(r, mid, INK, 0..h).unwrap();
    let margins = [l, t, w - 1 - rr, h - 1 - b];
    assert!(
        l >= w / 50 && w - 1 - rr >= w / 50,
        "{what}: ink from x={l} to {rr} in {w}"
    );
    assert!(
        t >= h / 20 && h - 1 - b >= h / 20,
        "{what}: ink from y={t} to {b} in {h}"
    );
    // Centred: each line is centred, so the whole ink is too.
    let centre = (l + rr) as f64 / 2.0;
    assert!(
        (centre - w as f64 / 2.0).abs() <= 0.03 * w as f64,
        "{what}: centred at {centre} in {w}"
    );

    // Each line is drawn in its band (capitals' top to baseline), no wider than its estimate; the title's capitals
    // start where the layout put them (only checked when asked: accents and brackets rise above capitals).
    for line in lines {
        let band = line.y as usize..line.baseline as usize + 1;
        let (l, _, rr, _, _) = bbox(r, mid, INK, band).unwrap_or_else(|| panic!("{what}: {line:?} not drawn"));
        let drawn = (rr + 1 - l) as u32;
        assert!(
            drawn <= line.width + 2,
            "{what}: {drawn} px wide, estimated {}",
            line.width
        );
    }
    if exact_top {
        let title = &lines[0];
        let size = f64::from(title.size);
        let above = (title.y as f64 - 0.3 * size) as usize..title.baseline as usize;
        let (_, t, _, _, _) = bbox(r, mid, INK, above).unwrap();
        assert!(
            (t as f64 - title.y as f64).abs() <= 0.06 * size + 1.0,
            "{what}: top {t} for {title:?}"
        );
    }

    // Black at both ends.
    assert!(max(r, 0) <= 20, "{what}: first frame peaks at {}", max(r, 0));
    let last = r.frames.len() - 1;
    let peak = f64::from(max(r, mid)) - 16.0;
    assert!(
        f64::from(max(r, last)) - 16.0 <= 0.25 * peak,
        "{what}: last frame peaks at {}",
        max(r, last)
    );
    margins
}

#[test]
fn every_style_draws_a_centred_title_and_tagline_that_fade_from_and_to_black() {
    let dir = tempfile::Builder::new()
        .prefix("card it's, [odd] dir")
        .tempdir()
        .unwrap();
    let mut weight = std::collections::HashMap::new();
    for &style in TitleStyle::ALL {
        let c = Card {
            title: "Tears of Steel",
            tagline: Some("The future is not what it used to be"),
            style,
        };
        let n = (style.duration_s() * FPS as f32).round() as u32;
        let (lines, r) = render(dir.path(), &c, 1280, 534, n);
        assert_eq!(lines.len(), 2, "{style:?}: {lines:?}");
        let margins = check_card(style.name(), &lines, &r, true);
        eprintln!(
            "{}: title {} px, tagline {} px, ink margins l/t/r/b {margins:?}",
            style.name(),
            lines[0].size,
            lines[1].size
        );

        // The weight of the face drawn: its stems' width, as a share of the em.
        let (title, tag) = (&lines[0], &lines[1]);
        let stem = stroke(&r, r.frames.len() / 2, title.y as usize..title.baseline as usize);
        weight.insert(style.name(), stem / f64::from(title.size));

        // The tagline comes a little after the title: when it starts, the title is lit and its rows are black.
        let start = (tag.fade_in_start_s * f64::from(FPS)).floor() as usize;
        let title_rows = title.y as usize..title.baseline as usize;
        let tag_rows = tag.y as usize..(tag.baseline as f64 + 0.3 * f64::from(tag.size)) as usize;
        assert!(
            bbox(&r, start, BRIGHT - 40, title_rows).is_some(),
            "{style:?}: title not up at frame {start}"
        );
        assert!(
            bbox(&r, start, 24, tag_rows.clone()).is_none(),
            "{style:?}: tagline already up at frame {start}"
        );
        assert!(
            bbox(&r, r.frames.len() / 2, INK, tag_rows).is_some(),
            "{style:?}: no tagline mid-card"
        );
    }
    // Each style gets its own face: `drawtext` falls back to Book when handed a weight it cannot resolve.
    eprintln!("stems, share of the em: {weight:?}");
    assert!(
        weight["stark"] < 0.7 * weight["clean"],
        "ExtraLight is thinner than Book"
    );
    assert!(weight["playful"] > 1.4 * weight["clean"], "Bold is heavier than Book");
    assert!(
        weight["impact"] > 1.4 * weight["clean"],
        "Condensed Bold is heavier than Book"
    );
    assert!(
        weight["epic"] > 1.4 * weight["classic"],
        "Serif Bold is heavier than Serif"
    );
}

#[test]
fn a_hostile_title_is_drawn_as_typed_inside_a_small_frame() {
    let dir = tempfile::tempdir().unwrap();
    let title = "Don't \"Panic\": 100% [sure]; a\\b, %{pts} — ñ 🎬 The Very Long Return of the Everlasting Night";
    for style in [TitleStyle::Impact, TitleStyle::Classic] {
        let c = Card {
            title,
            tagline: Some("It's 50% done; 'really': %{n} \\n"),
            style,
        };
        let (lines, r) = render(dir.path(), &c, 640, 360, 48);
        assert!(lines.len() >= 3, "{style:?}: {lines:?}");
        assert!(
            lines.iter().any(|l| l.text.contains("%{pts}") || l.text.contains('%')),
            "{lines:?}"
        );
        let margins = check_card(&format!("hostile {}", style.name()), &lines, &r, false);
        eprintln!(
            "hostile {}: {} lines, ink margins l/t/r/b {margins:?}",
            style.name(),
            lines.len()
        );
    }
}

#[test]
fn a_portrait_frame_and_a_tiny_one_keep_the_title_inside() {
    let dir = tempfile::tempdir().unwrap();
    for (w, h) in [(360, 640), (320, 180), (1920, 800)] {
        for style in [TitleStyle::Epic, TitleStyle::Stark, TitleStyle::Playful] {
            let c = Card {
                title: "Tears of Steel",
                tagline: Some("The future is not what it used to be"),
                style,
            };
            let (lines, r) = render(dir.path(), &c, w, h, 36);
            let margins = check_card(&format!("{w}x{h} {}", style.name()), &lines, &r, true);
            eprintln!(
                "{w}x{h} {}: title {} px, ink margins l/t/r/b {margins:?}",
                style.name(),
                lines[0].size
            );
        }
    }
}

#[test]
fn an_empty_title_gives_a_black_card() {
    let dir = tempfile::tempdir().unwrap();
    let c = Card {
        title: "  ",
        tagline: Some("ignored"),
        style: TitleStyle::Classic,
    };
    let (lines, r) = render(dir.path(), &c, 320, 180, 12);
    assert!(lines.is_empty());
    assert!((0..r.frames.len()).all(|i| max(&r, i) <= 20));
}
