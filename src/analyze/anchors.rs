//! Stage `structural`: the story's turning points (`structure.json`), from a text model when there is one,
//! otherwise from the film's own intensity curve.
//!
//! The intensity curve (per second, over the story span): percentile ranks, so one loud explosion or one
//! whip-pan cannot flatten the rest, of
//!   0.40 × loudness (short-term LUFS) + 0.25 × picture motion + 0.20 × cutting rate + 0.15 × dialogue emotion
//! (intense lines 1, negative 0.6, others 0), smoothed with a moving average of 4 % of the story (10–120 s).
//! A signal that hardly varies in this film is left out and the other weights are scaled up.
//!
//! The heuristic rule, with `s0`, `s1` the story span and `L = s1 − s0`:
//! - climax: the peak of the smoothed curve in the last 40 % of the story (`s0 + 0.6 L` to `s1 − 0.02 L`):
//!   the strongest sustained intensity, not a single loud second;
//! - escalation: the first moment after the first quarter where the curve rises clearly, above its median plus
//!   half the distance from the median to its 90th percentile, at least `0.1 L` before the climax;
//! - beginning: the first moment after the opening (`s0 + 0.02 L`) where the curve passes its 60th percentile,
//!   within the first quarter and at least `0.05 L` before the escalation.
//!
//! Each anchor the curve cannot place falls back to 5 / 45 / 80 % of the story span, and `reason` says which;
//! with no signal at all (a flat curve, or a story under 30 s) all three do.

use serde::{Deserialize, Serialize};

use crate::ingest::{DialogueEvent, Emotion, Span, TextKind, TextSpan};

pub(crate) const STRUCTURE: &str = "structure.json";
/// Bump when the rules change.
pub(super) const VERSION: u32 = 3;

/// The three turning points, in film seconds: `begin_t < escalation_t < climax_t`, all inside the story span.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Anchors {
    pub begin_t: f64,
    pub escalation_t: f64,
    pub climax_t: f64,
}

impl Anchors {
    /// The fixed fallback: 5 / 45 / 80 % of the story span.
    pub fn fixed(story: Span) -> Anchors {
        // Not rounded: on a story of a fraction of a second they must still be strictly ordered.
        let at = |f: f64| story.start_s + f * (story.end_s - story.start_s);
        Anchors {
            begin_t: at(0.05),
            escalation_t: at(0.45),
            climax_t: at(0.80),
        }
    }

    /// Ordered and inside the story span.
    pub fn is_valid(&self, story: Span) -> bool {
        story.start_s <= self.begin_t
            && self.begin_t < self.escalation_t
            && self.escalation_t < self.climax_t
            && self.climax_t <= story.end_s
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorSource {
    /// A text model read the dialogue.
    Llm,
    /// The intensity-curve rule placed at least one anchor.
    Heuristic,
    /// 5 / 45 / 80 % of the story span.
    Fixed,
}

/// `structure.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Structure {
    #[serde(flatten)]
    pub anchors: Anchors,
    pub source: AnchorSource,
    /// How the anchors were found, and why a fallback was taken.
    pub reason: String,
    pub story: Span,
    pub opening_logos: Option<Span>,
    pub end_credits: Option<Span>,
    /// The most frequent named speaker, when the subtitles name speakers.
    pub protagonist: Option<String>,
    /// The smoothed intensity curve, for the later stages and the report.
    pub intensity: Curve,
    /// The film's own text (credits, captions, its title, burned-in subtitles), from `analysis/spans.json`:
    /// no clip may show it, burned-in subtitles apart.
    #[serde(default)]
    pub text: Vec<TextSpan>,
}

impl Structure {
    /// The film's own text a clip must not show: every span but burned-in subtitles (a film with them would
    /// have nothing left).
    pub(crate) fn no_clip_text(&self) -> impl Iterator<Item = &TextSpan> {
        self.text.iter().filter(|s| s.kind != TextKind::Subtitles)
    }
}

/// Values at `start_s + i * step_s`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Curve {
    pub start_s: f64,
    pub step_s: f64,
    pub values: Vec<f32>,
    /// The signals that vary enough in this film to be used (see `intensity`).
    pub signals: Vec<String>,
}

/// The film's raw per-second signals (index = film second).
#[derive(Debug, Clone, Default)]
pub(super) struct Signals {
    pub loudness_lufs: Vec<f32>,
    pub motion: Vec<f32>,
    /// Shots starting in each second.
    pub cuts: Vec<f32>,
}

const WEIGHTS: [f32; 4] = [0.40, 0.25, 0.20, 0.15];
const SIGNAL_NAMES: [&str; 4] = ["loudness", "motion", "cutting", "dialogue emotion"];
/// Below these a signal does not vary enough to rank (short-term LUFS between the 10th and 90th percentile;
/// mean luma change per frame; cuts in the story).
const MIN_LOUDNESS_RANGE_LU: f32 = 3.0;
const MIN_MOTION_RANGE: f32 = 0.004;
const MIN_CUTS: f32 = 3.0;

/// The smoothed intensity curve over the story span, one value per second.
pub(super) fn intensity(signals: &Signals, dialogue: &[DialogueEvent], story: Span) -> Curve {
    let s0 = story.start_s.max(0.0).floor() as usize;
    let s1 = (story.end_s.ceil() as usize).max(s0 + 1);
    let slice = |v: &[f32]| -> Vec<f32> { (s0..s1).map(|i| v.get(i).copied().unwrap_or(0.0)).collect() };
    let mut emotion = vec![0f32; s1 - s0];
    for e in dialogue.iter().filter(|e| !e.sound_cue) {
        let w = match e.emotion {
            Emotion::Intense => 1.0,
            Emotion::Negative => 0.6,
            _ => continue,
        };
        let (a, b) = (e.start_s.max(0.0) as usize, e.end_s.max(0.0).ceil() as usize);
        for v in emotion.iter_mut().take(b.saturating_sub(s0)).skip(a.saturating_sub(s0)) {
            *v = v.max(w);
        }
    }
    let (loudness, motion, cuts) = (
        slice(&signals.loudness_lufs),
        slice(&signals.motion),
        slice(&signals.cuts),
    );
    // Ranks turn any wobble into a full 0–1 range, so a signal that barely varies (a constant hum, a locked-off
    // test pattern, no cuts, no emotional line) is left out rather than ranked into noise.
    let informative = [
        percentile(&loudness, 0.9) - percentile(&loudness, 0.1) >= MIN_LOUDNESS_RANGE_LU,
        percentile(&motion, 0.9) - percentile(&motion, 0.1) >= MIN_MOTION_RANGE,
        cuts.iter().sum::<f32>() >= MIN_CUTS,
        emotion.iter().any(|&e| e > 0.0),
    ];
    let parts = [
        ranks(&loudness),
        ranks(&motion),
        ranks(&moving_average(&cuts, 5)),
        emotion,
    ];
    let weight: f32 = WEIGHTS
        .iter()
        .zip(informative)
        .filter(|(_, on)| *on)
        .map(|(w, _)| w)
        .sum();
    let raw: Vec<f32> = (0..s1 - s0)
        .map(|i| {
            let sum: f32 = (0..4)
                .filter(|&k| informative[k])
                .map(|k| WEIGHTS[k] * parts[k][i])
                .sum();
            if weight > 0.0 { sum / weight } else { 0.0 }
        })
        .collect();
    let window = (0.04 * (s1 - s0) as f64).clamp(10.0, 120.0) as usize;
    Curve {
        start_s: s0 as f64,
        step_s: 1.0,
        values: moving_average(&raw, window),
        signals: SIGNAL_NAMES
            .iter()
            .zip(informative)
            .filter(|(_, on)| *on)
            .map(|(n, _)| n.to_string())
            .collect(),
    }
}

/// Heuristic anchors from the intensity curve (see the module doc), with the reason.
pub(super) fn heuristic(curve: &Curve, story: Span) -> (Anchors, AnchorSource, String) {
    let fixed = Anchors::fixed(story);
    let len = story.end_s - story.start_s;
    let v = &curve.values;
    let spread = percentile(v, 1.0) - percentile(v, 0.0);
    if len < 30.0 || v.len() < 30 || spread < 0.02 || curve.signals.is_empty() {
        return (
            fixed,
            AnchorSource::Fixed,
            "no usable intensity signal; 5/45/80 % of the story span".into(),
        );
    }
    let t_of = |i: usize| curve.start_s + i as f64 * curve.step_s;
    let idx = |t: f64| (((t - curve.start_s) / curve.step_s).max(0.0) as usize).min(v.len() - 1);
    let mut notes = Vec::new();

    let (lo, hi) = (idx(story.start_s + 0.6 * len), idx(story.end_s - 0.02 * len));
    let climax = (lo..=hi)
        .max_by(|&a, &b| v[a].total_cmp(&v[b]).then(b.cmp(&a)))
        .map(t_of);
    let climax = climax.unwrap_or_else(|| {
        notes.push("climax at 80 % (no peak in the last 40 %)");
        fixed.climax_t
    });

    let median = percentile(v, 0.5);
    let rise = median + 0.5 * (percentile(v, 0.9) - median);
    let (lo, hi) = (idx(story.start_s + 0.25 * len), idx(climax - 0.1 * len));
    let escalation = (lo..hi).find(|&i| v[i] >= rise).map(t_of).unwrap_or_else(|| {
        notes.push("escalation at 45 % (no clear rise after the first quarter)");
        fixed.escalation_t.min(climax - 0.1 * len)
    });

    let p60 = percentile(v, 0.6);
    let (lo, hi) = (
        idx(story.start_s + 0.02 * len),
        idx((story.start_s + 0.25 * len).min(escalation - 0.05 * len)),
    );
    let begin = (lo..hi).find(|&i| v[i] >= p60).map(t_of).unwrap_or_else(|| {
        notes.push("beginning at 5 % (the curve stays low in the first quarter)");
        fixed.begin_t.min(escalation - 0.05 * len)
    });

    let anchors = Anchors {
        begin_t: round2(begin),
        escalation_t: round2(escalation),
        climax_t: round2(climax),
    };
    if !anchors.is_valid(story) {
        return (
            fixed,
            AnchorSource::Fixed,
            "the intensity curve gave no ordered anchors; 5/45/80 % of the story span".into(),
        );
    }
    let mut reason = format!("from the intensity curve ({})", curve.signals.join(", "));
    if !notes.is_empty() {
        reason.push_str("; ");
        reason.push_str(&notes.join("; "));
    }
    (anchors, AnchorSource::Heuristic, reason)
}

/// The most frequent named speaker: at least 3 lines and 15 % of the lines that name a speaker.
pub(super) fn protagonist(dialogue: &[DialogueEvent]) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for name in dialogue.iter().filter_map(|e| e.speaker.as_deref()) {
        let name = name.trim();
        if name.is_empty() {
            continue;
        }
        match counts.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some((_, c)) => *c += 1,
            None => counts.push((name.to_string(), 1)),
        }
    }
    let total: usize = counts.iter().map(|(_, c)| c).sum();
    // The first-named wins a tie, so the answer does not depend on hash order.
    let (name, n) = counts.into_iter().rev().max_by_key(|(_, c)| *c)?;
    (n >= 3 && n * 100 >= total * 15).then_some(name)
}

/// Each value's percentile rank among all values, 0–1 (ties share the mean rank).
fn ranks(v: &[f32]) -> Vec<f32> {
    if v.len() < 2 {
        return vec![0.5; v.len()];
    }
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut out = vec![0f32; v.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
            j += 1;
        }
        let rank = (i + j) as f32 / 2.0 / (v.len() - 1) as f32;
        for &k in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

/// Centred moving average over `window` values (shrinking at the ends).
fn moving_average(v: &[f32], window: usize) -> Vec<f32> {
    let half = window / 2;
    let mut prefix = vec![0f64; v.len() + 1];
    for (i, x) in v.iter().enumerate() {
        prefix[i + 1] = prefix[i] + *x as f64;
    }
    (0..v.len())
        .map(|i| {
            let (a, b) = (i.saturating_sub(half), (i + half + 1).min(v.len()));
            ((prefix[b] - prefix[a]) / (b - a) as f64) as f32
        })
        .collect()
}

fn percentile(v: &[f32], q: f64) -> f32 {
    if v.is_empty() {
        return 0.0;
    }
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    s[((s.len() - 1) as f64 * q).round() as usize]
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(a: f64, b: f64) -> Span {
        Span { start_s: a, end_s: b }
    }

    fn line(t: f64, emotion: Emotion, speaker: Option<&str>) -> DialogueEvent {
        DialogueEvent {
            start_s: t,
            end_s: t + 2.0,
            text: "x".into(),
            speaker: speaker.map(str::to_string),
            emotion,
            sound_cue: false,
        }
    }

    /// A 1000 s film: quiet, a rise at 400 s, the loudest stretch at 800–860 s, calm after.
    fn film() -> Signals {
        let loud = |t: usize| match t {
            800..860 => -8.0,
            400..800 => -16.0,
            _ => -30.0,
        };
        Signals {
            loudness_lufs: (0..1000).map(loud).collect(),
            motion: (0..1000)
                .map(|t| if (780..870).contains(&t) { 0.05 } else { 0.01 })
                .collect(),
            cuts: (0..1000)
                .map(|t| {
                    if t % 3 == 0 && (800..860).contains(&t) {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn heuristic_finds_the_rise_and_the_peak() {
        let s = story(20.0, 980.0);
        let curve = intensity(&film(), &[], s);
        let (a, source, reason) = heuristic(&curve, s);
        assert_eq!(source, AnchorSource::Heuristic, "{reason}");
        assert!(a.is_valid(s), "{a:?}");
        assert!((800.0..870.0).contains(&a.climax_t), "climax {a:?}");
        assert!((370.0..450.0).contains(&a.escalation_t), "escalation {a:?}");
        assert!(a.begin_t < a.escalation_t);
    }

    #[test]
    fn intense_dialogue_moves_the_curve() {
        let s = story(0.0, 1000.0);
        let flat = Signals {
            loudness_lufs: vec![-20.0; 1000],
            motion: vec![0.01; 1000],
            cuts: vec![0.0; 1000],
        };
        let lines: Vec<_> = (0..20)
            .map(|i| line(700.0 + i as f64 * 3.0, Emotion::Intense, None))
            .collect();
        let curve = intensity(&flat, &lines, s);
        let (a, source, _) = heuristic(&curve, s);
        assert_eq!(source, AnchorSource::Heuristic);
        assert!((690.0..770.0).contains(&a.climax_t), "{a:?}");
    }

    #[test]
    fn no_signal_gives_the_fixed_anchors() {
        let s = story(100.0, 1100.0);
        let flat = Signals {
            loudness_lufs: vec![-20.0; 1200],
            motion: vec![0.0; 1200],
            cuts: vec![0.0; 1200],
        };
        let (a, source, reason) = heuristic(&intensity(&flat, &[], s), s);
        assert_eq!(source, AnchorSource::Fixed);
        assert_eq!(
            a,
            Anchors {
                begin_t: 150.0,
                escalation_t: 550.0,
                climax_t: 900.0
            }
        );
        assert!(reason.contains("no usable"));
        // A short story is not worth a curve either.
        assert_eq!(
            heuristic(&intensity(&film(), &[], story(0.0, 20.0)), story(0.0, 20.0)).1,
            AnchorSource::Fixed
        );
    }

    #[test]
    fn protagonist_needs_enough_lines() {
        let mut d: Vec<_> = (0..5)
            .map(|i| line(i as f64, Emotion::Neutral, Some("CELIA")))
            .collect();
        d.extend((0..3).map(|i| line(i as f64, Emotion::Neutral, Some("Thom"))));
        d.push(line(9.0, Emotion::Neutral, Some("celia")));
        assert_eq!(protagonist(&d).as_deref(), Some("CELIA"));
        assert_eq!(protagonist(&d[..2]), None);
        assert_eq!(protagonist(&[]), None);
    }

    #[test]
    fn ranks_are_robust_to_an_outlier() {
        let r = ranks(&[1.0, 2.0, 3.0, 1000.0, 2.0]);
        assert_eq!(r, vec![0.0, 0.375, 0.75, 1.0, 0.375]);
    }
}
