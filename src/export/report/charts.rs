//! The report's two timelines as inline SVG, built from plain numbers: no file system, no FFmpeg, so the drawing
//! is tested on its own. Both charts share one horizontal layout (lane labels on the left, time on a common axis)
//! and one act palette, which the page's legend uses too. Hover text is an SVG `<title>`; every text that came
//! from the user or the film (titles, lines of dialogue) goes through `esc`.

use std::fmt::Write;

use super::loudness::LoudnessCurve;
use crate::story::Act;
use crate::timeline::Kind;

/// The viewBox width; the page scales the SVG to its column.
pub(super) const WIDTH: f64 = 1200.0;
/// Where the plot starts (room for the lane labels) and ends.
const PLOT_X0: f64 = 92.0;
const PLOT_X1: f64 = WIDTH - 12.0;
/// Height of the time axis under the lanes.
const AXIS_H: f64 = 22.0;
/// A clip shorter than this many pixels is still drawn this wide, so every clip can be seen and hovered.
const MIN_MARK_W: f64 = 2.0;
/// The loudness lane's range: quieter than the bottom is drawn at the bottom.
const LUFS_TOP: f32 = -5.0;
const LUFS_BOTTOM: f32 = -45.0;

/// One colour per act, the same in both charts, the contact sheet and the legend. Chosen to stay apart from each
/// other on a dark page, in story order from cool to hot.
pub(super) fn act_colour(act: Act) -> &'static str {
    match act {
        Act::ColdOpen => "#8e9cff",
        Act::Act1 => "#38bdf8",
        Act::BeatDrop => "#e879f9",
        Act::Act2 => "#fbbf24",
        Act::Breath => "#4ade80",
        Act::Act3 => "#f43f5e",
        Act::TitleCard => "#f5e6c4",
        Act::Button => "#a78bfa",
    }
}

/// Picture that is not a clip.
pub(super) const TITLE_COLOUR: &str = "#f5e6c4";
pub(super) const SILENCE_COLOUR: &str = "#000000";
/// The film's own text on screen, by kind (`ingest::TextKind::name`); the title as the title card.
pub(super) const TEXT_COLOURS: [(&str, &str); 4] = [
    ("credits", "#a78bfa"),
    ("caption", "#fb923c"),
    ("title", TITLE_COLOUR),
    ("subtitles", "#5eead4"),
];

pub(super) fn text_colour(kind: &str) -> &'static str {
    TEXT_COLOURS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("#9ca3af", |(_, c)| c)
}
pub(super) const CARD_COLOUR: &str = "#3a4150";

/// Escape text for SVG/XML content and attribute values.
pub(super) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `m:ss`, or `h:mm:ss` from an hour on: how the axis and hover texts write a time.
pub(super) fn clock(t: f64) -> String {
    let s = t.max(0.0).round() as u64;
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Seconds to x on a plot of `duration_s`.
#[derive(Debug, Clone, Copy)]
struct Scale {
    duration_s: f64,
}

impl Scale {
    fn new(duration_s: f64) -> Scale {
        Scale {
            duration_s: if duration_s.is_finite() && duration_s > 0.0 {
                duration_s
            } else {
                1.0
            },
        }
    }

    fn x(self, t: f64) -> f64 {
        PLOT_X0 + (t.clamp(0.0, self.duration_s) / self.duration_s) * (PLOT_X1 - PLOT_X0)
    }

    /// x and width of a span, at least `MIN_MARK_W` wide.
    fn span(self, a: f64, b: f64) -> (f64, f64) {
        let (x0, x1) = (self.x(a.min(b)), self.x(a.max(b)));
        (x0, (x1 - x0).max(MIN_MARK_W))
    }
}

/// A span of the film that a clip of the trailer uses.
#[derive(Debug, Clone)]
pub(super) struct ClipMark {
    /// 1-based, in trailer order: the number on the contact sheet.
    pub number: usize,
    pub act: Act,
    pub start_s: f64,
    pub end_s: f64,
    pub hover: String,
}

/// A stretch of the film's own text on screen (credits, a caption, its title, burned-in subtitles).
#[derive(Debug, Clone)]
pub(super) struct TextMark {
    pub kind: &'static str,
    pub start_s: f64,
    pub end_s: f64,
    pub words: String,
}

/// What the film timeline shows; times in film seconds.
#[derive(Debug, Clone, Default)]
pub(super) struct FilmChart {
    pub duration_s: f64,
    pub shots: Vec<(f64, f64)>,
    pub lines: Vec<(f64, f64)>,
    /// Values at `start_s + i * step_s`, 0–1.
    pub intensity: Option<(f64, f64, Vec<f32>)>,
    /// (name, time): begin, escalation, climax.
    pub anchors: Vec<(&'static str, f64)>,
    pub opening_logos: Option<(f64, f64)>,
    pub end_credits: Option<(f64, f64)>,
    /// `None` when the analysis predates the text measure.
    pub text: Option<Vec<TextMark>>,
    pub clips: Vec<ClipMark>,
}

const FILM_LANES: [(&str, f64); 5] = [
    ("Shots", 14.0),
    ("Text", 12.0),
    ("Dialogue", 26.0),
    ("Intensity", 64.0),
    ("Clips", 0.0),
];
const LANE_GAP: f64 = 8.0;
const TOP_LABELS_H: f64 = 20.0;
const CLIP_ROW_H: f64 = 24.0;
/// Dialogue density: the film is cut into this many bins, each as tall as the share of it someone speaks.
const DENSITY_BINS: usize = 300;

/// The whole film: shots, dialogue density, the intensity curve, the story anchors, the logos and credits, and
/// where each clip came from, coloured by act.
pub(super) fn film_timeline(c: &FilmChart) -> String {
    let sc = Scale::new(c.duration_s);
    let rows = clip_rows(&c.clips);
    let row_count = rows.iter().copied().max().map_or(1, |r| r + 1);
    let heights = FILM_LANES.map(|(name, h)| {
        (
            name,
            if name == "Clips" {
                row_count as f64 * CLIP_ROW_H
            } else {
                h
            },
        )
    });
    let (mut s, lanes, plot_bottom) = stacked_lanes(&heights, TOP_LABELS_H, "Film timeline");
    let lane = |name: &str| lanes.iter().find(|l| l.0 == name).map(|l| (l.1, l.2)).unwrap();

    // Logos and credits: shaded behind every lane, labelled above.
    for (span, label) in [(c.opening_logos, "logos"), (c.end_credits, "end credits")] {
        let Some((a, b)) = span.filter(|(a, b)| b > a) else {
            continue;
        };
        let (x, w) = sc.span(a, b);
        let _ = write!(
            s,
            r#"<rect class="credits" x="{x:.1}" y="{TOP_LABELS_H}" width="{w:.1}" height="{:.1}"><title>{} {}–{}</title></rect>"#,
            plot_bottom - TOP_LABELS_H,
            esc(label),
            clock(a),
            clock(b)
        );
        if w > 40.0 {
            let _ = write!(
                s,
                r#"<text class="span-label" x="{:.1}" y="13">{label}</text>"#,
                x + 4.0
            );
        }
    }

    // Shots: alternating tones, so each cut is an edge.
    let (sy, sh) = lane("Shots");
    for (i, (a, b)) in c.shots.iter().enumerate() {
        let (x, w) = sc.span(*a, *b);
        let class = if i % 2 == 0 { "shot" } else { "shot alt" };
        let _ = write!(
            s,
            r#"<rect class="{class}" x="{x:.1}" y="{sy:.1}" width="{w:.1}" height="{sh:.1}"/>"#
        );
    }

    // The film's own text, coloured by kind: what no clip may show.
    let (ty, th) = lane("Text");
    match &c.text {
        Some(marks) if !marks.is_empty() => {
            for m in marks {
                let (x, w) = sc.span(m.start_s, m.end_s);
                let words = if m.words.is_empty() {
                    String::new()
                } else {
                    format!(": {}", m.words)
                };
                let _ = write!(
                    s,
                    r#"<rect class="film-text" x="{x:.1}" y="{ty:.1}" width="{:.1}" height="{th:.1}" fill="{}"><title>{} {}–{}{}</title></rect>"#,
                    w.max(1.5),
                    text_colour(m.kind),
                    m.kind,
                    clock(m.start_s),
                    clock(m.end_s),
                    esc(&words)
                );
            }
        }
        found => {
            let _ = write!(
                s,
                r#"<text class="empty" x="{:.1}" y="{:.1}">{}</text>"#,
                PLOT_X0 + 8.0,
                ty + th / 2.0 + 4.0,
                if found.is_some() {
                    "no text on screen found"
                } else {
                    "text on screen not measured"
                }
            );
        }
    }

    // Dialogue density as one filled path.
    let (dy, dh) = lane("Dialogue");
    let density = dialogue_density(&c.lines, sc.duration_s, DENSITY_BINS);
    if density.iter().any(|d| *d > 0.0) {
        let bin_w = (PLOT_X1 - PLOT_X0) / DENSITY_BINS as f64;
        let mut d = String::new();
        for (i, share) in density.iter().enumerate().filter(|(_, v)| **v > 0.0) {
            let h = share * dh;
            let _ = write!(
                d,
                "M{:.1} {:.1}h{:.2}v{:.1}h{:.2}z",
                PLOT_X0 + i as f64 * bin_w,
                dy + dh - h,
                bin_w,
                h,
                -bin_w
            );
        }
        let _ = write!(
            s,
            r#"<path class="density" d="{d}"><title>{} lines of dialogue</title></path>"#,
            c.lines.len()
        );
    } else {
        let _ = write!(
            s,
            r#"<text class="empty" x="{:.1}" y="{:.1}">no dialogue</text>"#,
            PLOT_X0 + 8.0,
            dy + dh / 2.0 + 4.0
        );
    }

    // Intensity: an area under a line.
    let (iy, ih) = lane("Intensity");
    if let Some((start, step, values)) = c.intensity.as_ref().filter(|(_, step, v)| *step > 0.0 && !v.is_empty()) {
        let pts: Vec<(f64, f64)> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let t = start + i as f64 * step;
                (sc.x(t), iy + ih - (*v as f64).clamp(0.0, 1.0) * ih)
            })
            .collect();
        area_and_line(&mut s, &pts, iy + ih, "intensity");
    }

    // The clips: act colour, one row unless two overlap in the film.
    let (cy, _) = lane("Clips");
    for (clip, row) in c.clips.iter().zip(&rows) {
        let (x, w) = sc.span(clip.start_s, clip.end_s);
        let _ = write!(
            s,
            r##"<a href="#clip-{}"><rect class="clip" x="{x:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{}"><title>{}</title></rect></a>"##,
            clip.number,
            cy + *row as f64 * CLIP_ROW_H + 1.0,
            CLIP_ROW_H - 2.0,
            act_colour(clip.act),
            esc(&clip.hover)
        );
    }

    // Anchors over everything, labelled at the top.
    for (name, t) in &c.anchors {
        let x = sc.x(*t);
        let _ = write!(
            s,
            r#"<line class="anchor" x1="{x:.1}" y1="{TOP_LABELS_H}" x2="{x:.1}" y2="{plot_bottom:.1}"><title>{name} at {}</title></line><text class="anchor-label" x="{x:.1}" y="13" text-anchor="middle">{name}</text>"#,
            clock(*t)
        );
    }
    axis(&mut s, sc, plot_bottom);
    s.push_str("</svg>");
    s
}

/// A stretch of trailer picture.
#[derive(Debug, Clone)]
pub(super) struct SegmentMark {
    pub kind: Kind,
    pub act: Option<Act>,
    pub start_s: f64,
    pub end_s: f64,
    /// The clip's number on the contact sheet.
    pub number: Option<usize>,
    pub hover: String,
}

/// What the trailer timeline shows; times in trailer seconds.
#[derive(Debug, Clone, Default)]
pub(super) struct TrailerChart {
    pub duration_s: f64,
    pub segments: Vec<SegmentMark>,
    pub beats_s: Vec<f64>,
    pub downbeats_s: Vec<f64>,
    /// (start, end, the line).
    pub voice: Vec<(f64, f64, String)>,
    /// (time, what it is).
    pub sfx: Vec<(f64, String)>,
    pub loudness: Option<LoudnessCurve>,
    pub target_lufs: Option<f64>,
}

const TRAILER_LANES: [(&str, f64); 5] = [
    ("Picture", 34.0),
    ("Beats", 18.0),
    ("Voice", 14.0),
    ("Effects", 14.0),
    ("Loudness", 72.0),
];

/// The trailer: its segments by act (title card, silence and black shown as what they are), the music's beats
/// (bar starts stronger), voice lines, sound effects and the final mix's loudness.
pub(super) fn trailer_timeline(c: &TrailerChart) -> String {
    let sc = Scale::new(c.duration_s);
    let (mut s, lanes, plot_bottom) = stacked_lanes(&TRAILER_LANES, 6.0, "Trailer timeline");
    let lane = |name: &str| lanes.iter().find(|l| l.0 == name).map(|l| (l.1, l.2)).unwrap();

    let (py, ph) = lane("Picture");
    for seg in &c.segments {
        let (x, w) = sc.span(seg.start_s, seg.end_s);
        let (fill, class, label) = match (seg.kind, seg.act) {
            (Kind::Title, _) => (TITLE_COLOUR, "seg title", Some("TITLE".to_string())),
            (Kind::Silence, _) => (SILENCE_COLOUR, "seg silence", Some("silence".to_string())),
            (Kind::Card, _) => (CARD_COLOUR, "seg card", None),
            (_, Some(act)) => (act_colour(act), "seg", seg.number.map(|n| n.to_string())),
            (_, None) => (CARD_COLOUR, "seg", seg.number.map(|n| n.to_string())),
        };
        // A clip links to its card on the contact sheet.
        let (open, close) = match seg.number {
            Some(n) => (format!(r##"<a href="#clip-{n}">"##), "</a>"),
            None => (String::new(), ""),
        };
        let _ = write!(
            s,
            r#"{open}<rect class="{class}" x="{x:.1}" y="{py:.1}" width="{w:.1}" height="{ph:.1}" fill="{fill}"><title>{}</title></rect>{close}"#,
            esc(&seg.hover)
        );
        // Only where the label fits.
        if let Some(label) = label.filter(|l| w > 7.5 * l.len() as f64 + 4.0) {
            let _ = write!(
                s,
                r#"<text class="seg-label {class}" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + w / 2.0,
                py + ph / 2.0 + 4.0,
                esc(&label)
            );
        }
    }

    let (by, bh) = lane("Beats");
    let mut beats = String::new();
    for b in c.beats_s.iter().filter(|b| !is_on(&c.downbeats_s, **b)) {
        let _ = write!(beats, "M{:.1} {:.1}v{:.1}", sc.x(*b), by + bh * 0.45, bh * 0.55);
    }
    let mut bars = String::new();
    for b in &c.downbeats_s {
        let _ = write!(bars, "M{:.1} {by:.1}v{bh:.1}", sc.x(*b));
    }
    let _ = write!(
        s,
        r#"<path class="beat" d="{beats}"><title>{} beats</title></path><path class="downbeat" d="{bars}"><title>{} bar starts</title></path>"#,
        c.beats_s.len(),
        c.downbeats_s.len()
    );

    let (vy, vh) = lane("Voice");
    for (a, b, text) in &c.voice {
        let (x, w) = sc.span(*a, *b);
        let _ = write!(
            s,
            r#"<rect class="voice" x="{x:.1}" y="{vy:.1}" width="{w:.1}" height="{vh:.1}" rx="3"><title>{} “{}”</title></rect>"#,
            clock(*a),
            esc(text)
        );
    }

    let (ey, eh) = lane("Effects");
    for (t, what) in &c.sfx {
        let x = sc.x(*t);
        let _ = write!(
            s,
            r#"<path class="sfx" d="M{x:.1} {ey:.1}l{:.1} {:.1}l{:.1} {:.1}l{:.1} {:.1}z"><title>{} {}</title></path>"#,
            eh / 2.0,
            eh / 2.0,
            -eh / 2.0,
            eh / 2.0,
            -eh / 2.0,
            -eh / 2.0,
            clock(*t),
            esc(what)
        );
    }

    let (ly, lh) = lane("Loudness");
    let lufs_y = |v: f32| {
        let f = ((v.clamp(LUFS_BOTTOM, LUFS_TOP) - LUFS_BOTTOM) / (LUFS_TOP - LUFS_BOTTOM)) as f64;
        ly + lh - f * lh
    };
    if let Some(curve) = &c.loudness {
        let pts = |v: &[(f64, f32)]| -> Vec<(f64, f64)> { v.iter().map(|(t, l)| (sc.x(*t), lufs_y(*l))).collect() };
        area_and_line(&mut s, &pts(&curve.momentary), ly + lh, "momentary");
        polyline(&mut s, &pts(&curve.short_term), "short-term");
    } else {
        let _ = write!(
            s,
            r#"<text class="empty" x="{:.1}" y="{:.1}">no mix to measure</text>"#,
            PLOT_X0 + 8.0,
            ly + lh / 2.0 + 4.0
        );
    }
    if let Some(target) = c.target_lufs {
        let ty = lufs_y(target as f32);
        let _ = write!(
            s,
            r#"<line class="target" x1="{PLOT_X0}" y1="{ty:.1}" x2="{PLOT_X1}" y2="{ty:.1}"><title>target {target:.0} LUFS</title></line><text class="target-label" x="{:.1}" y="{:.1}">target {} LUFS</text>"#,
            PLOT_X0 + 6.0,
            ty - 4.0,
            format!("{target:.0}").replace('-', "−")
        );
    }
    axis(&mut s, sc, plot_bottom);
    s.push_str("</svg>");
    s
}

/// Lanes (name, height) stacked from `top`: the opened SVG, with each lane's label and background drawn, each
/// lane as (name, y, height), and the bottom of the last lane.
fn stacked_lanes<'a>(heights: &[(&'a str, f64)], top: f64, label: &str) -> (String, Vec<(&'a str, f64, f64)>, f64) {
    let mut lanes = Vec::new();
    let mut y = top;
    for &(name, h) in heights {
        lanes.push((name, y, h));
        y += h + LANE_GAP;
    }
    let plot_bottom = y - LANE_GAP;
    let mut s = open_svg(plot_bottom + AXIS_H, label);
    for (name, ly, h) in &lanes {
        lane_label(&mut s, name, ly + h / 2.0);
        let _ = write!(
            s,
            r#"<rect class="lane" x="{PLOT_X0}" y="{ly:.1}" width="{:.1}" height="{h:.1}"/>"#,
            PLOT_X1 - PLOT_X0
        );
    }
    (s, lanes, plot_bottom)
}

fn open_svg(height: f64, label: &str) -> String {
    format!(
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {height:.0}" width="100%" role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg">"#
    )
}

fn lane_label(s: &mut String, name: &str, mid_y: f64) {
    let _ = write!(
        s,
        r#"<text class="lane-label" x="{:.1}" y="{:.1}" text-anchor="end">{name}</text>"#,
        PLOT_X0 - 10.0,
        mid_y + 4.0
    );
}

/// The time axis under the lanes: a tick every "nice" step, about ten over the whole width.
fn axis(s: &mut String, sc: Scale, y: f64) {
    let step = tick_step(sc.duration_s);
    let mut t = 0.0;
    let _ = write!(
        s,
        r#"<line class="axis" x1="{PLOT_X0}" y1="{:.1}" x2="{PLOT_X1}" y2="{:.1}"/>"#,
        y + 2.0,
        y + 2.0
    );
    while t <= sc.duration_s + 1e-9 {
        let x = sc.x(t);
        let anchor = if t == 0.0 { "start" } else { "middle" };
        let _ = write!(
            s,
            r#"<line class="tick" x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}"/><text class="tick-label" x="{x:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            y + 2.0,
            y + 6.0,
            y + 18.0,
            clock(t)
        );
        t += step;
    }
}

/// The smallest of the usual clock steps that puts at most 12 ticks on `duration_s`.
pub(super) fn tick_step(duration_s: f64) -> f64 {
    const STEPS: [f64; 14] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0,
    ];
    STEPS.into_iter().find(|s| duration_s / s <= 12.0).unwrap_or(7200.0)
}

fn area_and_line(s: &mut String, pts: &[(f64, f64)], base_y: f64, class: &str) {
    let (Some(first), Some(last)) = (pts.first(), pts.last()) else {
        return;
    };
    let mut d = format!("M{:.1} {base_y:.1}", first.0);
    for (x, y) in pts {
        let _ = write!(d, "L{x:.1} {y:.1}");
    }
    let _ = write!(d, "L{:.1} {base_y:.1}z", last.0);
    let _ = write!(s, r#"<path class="{class} area" d="{d}"/>"#);
    polyline(s, pts, class);
}

fn polyline(s: &mut String, pts: &[(f64, f64)], class: &str) {
    if pts.is_empty() {
        return;
    }
    let mut p = String::new();
    for (x, y) in pts {
        let _ = write!(p, "{x:.1},{y:.1} ");
    }
    let _ = write!(s, r#"<polyline class="{class} line" points="{}"/>"#, p.trim_end());
}

fn is_on(times: &[f64], t: f64) -> bool {
    times.iter().any(|d| (d - t).abs() < 1e-3)
}

/// For each clip, the row it is drawn in: the first whose last clip ends before it starts (greedy interval
/// colouring in film order), so clips that overlap in the film stay visible.
fn clip_rows(clips: &[ClipMark]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..clips.len()).collect();
    order.sort_by(|&a, &b| clips[a].start_s.total_cmp(&clips[b].start_s));
    let mut row_end: Vec<f64> = Vec::new();
    let mut rows = vec![0; clips.len()];
    for i in order {
        let c = &clips[i];
        let row = match row_end.iter().position(|end| *end <= c.start_s) {
            Some(r) => r,
            None => {
                row_end.push(f64::NEG_INFINITY);
                row_end.len() - 1
            }
        };
        row_end[row] = c.end_s;
        rows[i] = row;
    }
    rows
}

/// The share (0–1) of each of `bins` equal parts of the film during which a line is on screen.
pub(super) fn dialogue_density(lines: &[(f64, f64)], duration_s: f64, bins: usize) -> Vec<f64> {
    let mut out = vec![0.0; bins];
    if duration_s <= 0.0 || bins == 0 {
        return out;
    }
    let bin_s = duration_s / bins as f64;
    for (a, b) in lines {
        let (a, b) = (a.max(0.0), b.min(duration_s));
        if b <= a {
            continue;
        }
        let first = ((a / bin_s) as usize).min(bins - 1);
        let last = ((b / bin_s) as usize).min(bins - 1);
        for (i, bin) in out.iter_mut().enumerate().take(last + 1).skip(first) {
            let (lo, hi) = (i as f64 * bin_s, (i + 1) as f64 * bin_s);
            *bin += (b.min(hi) - a.max(lo)).max(0.0) / bin_s;
        }
    }
    out.iter_mut().for_each(|v| *v = v.min(1.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(number: usize, act: Act, a: f64, b: f64) -> ClipMark {
        ClipMark {
            number,
            act,
            start_s: a,
            end_s: b,
            hover: format!("clip {number}"),
        }
    }

    /// `attr="value"` of every element whose opening tag starts with `tag` and carries `class="clip"`.
    fn clip_rects(svg: &str) -> Vec<(f64, f64, String)> {
        svg.split("<rect ")
            .skip(1)
            .filter(|r| r.starts_with(r#"class="clip""#))
            .map(|r| {
                let attr = |k: &str| {
                    let from = r.find(&format!(r#" {k}=""#)).unwrap() + k.len() + 3;
                    r[from..from + r[from..].find('"').unwrap()].to_string()
                };
                (attr("x").parse().unwrap(), attr("width").parse().unwrap(), attr("fill"))
            })
            .collect()
    }

    #[test]
    fn film_timeline_has_one_rect_per_clip_at_its_place_in_the_film() {
        let chart = FilmChart {
            duration_s: 100.0,
            clips: vec![
                mark(1, Act::ColdOpen, 50.0, 60.0),
                mark(2, Act::Act1, 0.0, 10.0),
                mark(3, Act::Act3, 90.0, 100.0),
                mark(4, Act::Act2, 55.0, 57.0),
            ],
            ..Default::default()
        };
        let rects = clip_rects(&film_timeline(&chart));
        assert_eq!(rects.len(), 4);
        let span = PLOT_X1 - PLOT_X0;
        let near = |a: f64, b: f64| (a - b).abs() < 0.06;
        assert!(
            near(rects[0].0, PLOT_X0 + span * 0.5) && near(rects[0].1, span * 0.1),
            "{rects:?}"
        );
        assert!(near(rects[1].0, PLOT_X0));
        assert!(near(rects[2].0 + rects[2].1, PLOT_X1));
        assert_eq!(rects[0].2, act_colour(Act::ColdOpen));
        assert_eq!(rects[2].2, act_colour(Act::Act3));
        // Clip 4 lies inside clip 1's span: a second row keeps both visible.
        assert_eq!(clip_rows(&chart.clips), vec![0, 0, 0, 1]);
    }

    #[test]
    fn hover_text_is_escaped_and_anchors_and_credits_are_drawn() {
        let chart = FilmChart {
            duration_s: 600.0,
            anchors: vec![("begin", 30.0), ("escalation", 200.0), ("climax", 480.0)],
            end_credits: Some((540.0, 600.0)),
            opening_logos: Some((0.0, 8.0)),
            clips: vec![ClipMark {
                hover: "</title><script>alert(1)</script> & \"x\"".into(),
                ..mark(1, Act::Act1, 10.0, 12.0)
            }],
            ..Default::default()
        };
        let svg = film_timeline(&chart);
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
        assert_eq!(svg.matches(r#"class="anchor""#).count(), 3);
        assert_eq!(svg.matches(r#"class="credits""#).count(), 2);
        assert!(svg.contains(">end credits</text>"));
        assert!(svg.contains("no dialogue"), "an empty dialogue lane says so");
        assert!(svg.contains("text on screen not measured"));
    }

    #[test]
    fn the_films_own_text_is_drawn_by_kind() {
        let text = |kind, a, b, words: &str| TextMark {
            kind,
            start_s: a,
            end_s: b,
            words: words.into(),
        };
        let chart = FilmChart {
            duration_s: 600.0,
            text: Some(vec![
                text("credits", 19.0, 22.5, "Netherlands Film Fund"),
                text("caption", 42.0, 45.5, "40 YEARS <LATER>"),
                text("title", 65.0, 70.0, "TEARS OF STEEL"),
            ]),
            ..Default::default()
        };
        let svg = film_timeline(&chart);
        assert_eq!(svg.matches(r#"class="film-text""#).count(), 3);
        assert!(
            svg.contains(&format!(
                r#"fill="{}"><title>title 1:05–1:10: TEARS OF STEEL"#,
                TITLE_COLOUR
            )),
            "{svg}"
        );
        assert!(svg.contains("40 YEARS &lt;LATER&gt;"));
        let none = film_timeline(&FilmChart {
            text: Some(vec![]),
            ..chart
        });
        assert!(none.contains("no text on screen found"));
    }

    #[test]
    fn trailer_timeline_shows_each_kind_and_stronger_bar_starts() {
        let seg = |kind, act, a, b, number| SegmentMark {
            kind,
            act,
            start_s: a,
            end_s: b,
            number,
            hover: String::new(),
        };
        let chart = TrailerChart {
            duration_s: 20.0,
            segments: vec![
                seg(Kind::Clip, Some(Act::Act1), 0.0, 8.0, Some(1)),
                seg(Kind::Silence, None, 8.0, 11.0, None),
                seg(Kind::Clip, Some(Act::Act3), 11.0, 15.0, Some(2)),
                seg(Kind::Title, None, 15.0, 18.0, None),
                seg(Kind::Button, Some(Act::Button), 18.0, 20.0, Some(3)),
            ],
            beats_s: vec![0.0, 0.5, 1.0, 1.5, 2.0],
            downbeats_s: vec![0.0, 2.0],
            voice: vec![(1.0, 3.0, "Hello <there>".into())],
            sfx: vec![(8.0, "hit".into())],
            loudness: None,
            target_lufs: Some(-16.0),
        };
        let svg = trailer_timeline(&chart);
        assert_eq!(svg.matches("<rect class=\"seg").count(), 5);
        assert!(svg.contains(r#"class="seg silence""#) && svg.contains(r##"fill="#000000""##));
        assert!(svg.contains(r#"class="seg title""#) && svg.contains(">TITLE</text>"));
        assert!(svg.contains(&format!(r#"fill="{}""#, act_colour(Act::Button))));
        // Three plain beats (short ticks), two bar starts (full height).
        let d = |class: &str| {
            let from = svg.find(&format!(r#"class="{class}" d=""#)).unwrap() + class.len() + 12;
            svg[from..from + svg[from..].find('"').unwrap()].to_string()
        };
        assert_eq!(d("beat").matches('M').count(), 3);
        assert_eq!(d("downbeat").matches('M').count(), 2);
        assert!(svg.contains("“Hello &lt;there&gt;”"));
        assert!(svg.contains("target −16 LUFS"));
    }

    #[test]
    fn density_is_the_share_of_each_bin_with_a_line() {
        let d = dialogue_density(&[(0.0, 5.0), (12.5, 20.0), (30.0, 50.0)], 40.0, 4);
        assert_eq!(d, vec![0.5, 0.75, 0.0, 1.0]);
        assert_eq!(tick_step(734.0), 120.0);
        assert_eq!(tick_step(140.0), 15.0);
        assert_eq!(clock(734.2), "12:14");
        assert_eq!(clock(3725.0), "1:02:05");
    }
}
