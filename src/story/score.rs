//! How strong a moment is (the money-shot score) and what it does in the story (the beat type).
//!
//! Each signal is turned into its percentile rank among the film's keyframes (ties share the mean rank), so
//! the score says "stronger than 80 % of this film" whatever the film's range, and one outlier cannot squash
//! everyone else the way min–max scaling does. The score is the weighted sum of the ranks, ranked once more, so
//! the beat thresholds below are percentiles too.

use crate::analyze::{Anchors, SceneDescription};
use crate::ingest::{DialogueEvent, Emotion, Span};
use crate::story::manifest::BeatType;

/// The signals and their weights (sum 1). Motion and sound lead: a trailer sells movement and impact. Emotion
/// of the dialogue around the moment comes next, then how unlike the rest of the film the picture is. Faces
/// matter for the characters; contrast and colour for a striking frame; a little weight for lateness, since
/// films build towards their biggest images.
pub(super) const WEIGHTS: [(&str, f64); 8] = [
    ("motion", 0.20),
    ("audio intensity", 0.18),
    ("dialogue emotion", 0.15),
    ("uniqueness", 0.15),
    ("faces", 0.10),
    ("contrast", 0.10),
    ("saturation", 0.06),
    ("position", 0.06),
];

/// A frame mostly black (fades, night sky) makes a poor clip: the score is scaled down by its black share
/// beyond this.
const DARK_FROM: f64 = 0.5;

/// Emotion weights, as the earlier tool had them.
pub(crate) fn emotion_weight(e: Emotion) -> f64 {
    match e {
        Emotion::Intense => 1.0,
        Emotion::Romantic => 0.7,
        Emotion::Negative => 0.6,
        Emotion::Comedic => 0.5,
        Emotion::Positive => 0.4,
        Emotion::Neutral => 0.1,
    }
}

/// The cue at `t`, else the nearest one within 2 s (a reaction shot belongs to the line next to it).
/// `cues` sorted by start; their ends are not sorted (cues overlap), so every earlier cue is looked at.
pub(super) fn emotion_near(t: f64, cues: &[DialogueEvent]) -> Option<&DialogueEvent> {
    let upto = cues.partition_point(|c| c.start_s <= t + 2.0);
    cues[..upto]
        .iter()
        .filter(|c| !c.sound_cue && c.end_s >= t - 2.0)
        .min_by(|a, b| gap(t, a).total_cmp(&gap(t, b)))
}

fn gap(t: f64, c: &DialogueEvent) -> f64 {
    (c.start_s - t).max(t - c.end_s).max(0.0)
}

/// A moment's score and the ranks it came from.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Scored {
    /// 0–1, the rank of the weighted sum among the film's moments.
    pub score: f64,
    /// Percentile rank of each signal, in `WEIGHTS` order.
    pub ranks: [f64; 8],
}

impl Scored {
    /// The two signals that lifted this moment most, for the reasoning ("loud, fast movement").
    pub(super) fn strengths(&self) -> Vec<&'static str> {
        let mut idx: Vec<usize> = (0..8).filter(|&i| self.ranks[i] >= 0.75).collect();
        idx.sort_by(|&a, &b| (self.ranks[b] * WEIGHTS[b].1).total_cmp(&(self.ranks[a] * WEIGHTS[a].1)));
        idx.into_iter().take(2).map(|i| WEIGHTS[i].0).collect()
    }
}

/// Score every scene (keyframe), in order.
pub(super) fn score(scenes: &[SceneDescription], cues: &[DialogueEvent], story: Span) -> Vec<Scored> {
    let len = (story.end_s - story.start_s).max(1e-9);
    let raw: Vec<[f64; 8]> = scenes
        .iter()
        .map(|s| {
            [
                s.motion as f64,
                s.audio_intensity as f64,
                emotion_near(s.time_s, cues).map_or(0.0, |c| emotion_weight(c.emotion)),
                s.uniqueness as f64,
                s.faces.map_or(0.0, |f| f.min(3) as f64),
                s.contrast as f64,
                s.saturation as f64,
                ((s.time_s - story.start_s) / len).clamp(0.0, 1.0),
            ]
        })
        .collect();
    let columns: Vec<Vec<f64>> = (0..8)
        .map(|j| percentile_ranks(&raw.iter().map(|r| r[j]).collect::<Vec<_>>()))
        .collect();
    let sums: Vec<f64> = (0..scenes.len())
        .map(|i| {
            let s: f64 = (0..8).map(|j| WEIGHTS[j].1 * columns[j][i]).sum();
            let dark = scenes[i].dark as f64;
            s * (1.0 - (dark - DARK_FROM).max(0.0))
        })
        .collect();
    let final_ranks = percentile_ranks(&sums);
    (0..scenes.len())
        .map(|i| Scored {
            score: final_ranks[i],
            ranks: std::array::from_fn(|j| columns[j][i]),
        })
        .collect()
}

/// Rank of each value in 0–1 (the lowest 0, the highest 1); equal values share their mean rank; a single value
/// or all-equal values rank 0.5.
pub(super) fn percentile_ranks(values: &[f64]) -> Vec<f64> {
    let n = values.len();
    if n < 2 {
        return vec![0.5; n];
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; n];
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 / (n - 1) as f64;
        for &k in &order[i..=j] {
            ranks[k] = mean;
        }
        i = j + 1;
    }
    ranks
}

/// What the beat rules look at.
#[derive(Debug, Clone, Copy)]
pub(super) struct BeatInput {
    pub time_s: f64,
    pub score: f64,
    pub emotion: Emotion,
    pub faces: u32,
    pub motion_rank: f64,
}

/// The beat type, first matching rule wins (times relative to the story's anchors):
/// 1. `climax_peak`: after the climax anchor, score in the top 30 %;
/// 2. `money_shot`: score in the top 12 %;
/// 3. `breath`: a quiet moment: score in the bottom 25 %, no strong emotion, little motion;
/// 4. `inciting_incident`: between the beginning and the escalation anchor, with an intense or negative line;
/// 5. `character_introduction`: before the escalation anchor, a face, and no intense line;
/// 6. `relationship_beat`: a romantic line with a face, or a warm line with two or more faces;
/// 7. `escalation_beat`: anything else.
pub(super) fn beat(m: &BeatInput, anchors: &Anchors) -> BeatType {
    let strong = matches!(m.emotion, Emotion::Intense | Emotion::Negative);
    if m.time_s >= anchors.climax_t && m.score >= 0.70 {
        BeatType::ClimaxPeak
    } else if m.score >= 0.88 {
        BeatType::MoneyShot
    } else if m.score < 0.25 && !strong && m.motion_rank < 0.4 {
        BeatType::Breath
    } else if m.time_s >= anchors.begin_t && m.time_s < anchors.escalation_t && strong {
        BeatType::IncitingIncident
    } else if m.time_s < anchors.escalation_t && m.faces >= 1 && m.emotion != Emotion::Intense {
        BeatType::CharacterIntroduction
    } else if (m.emotion == Emotion::Romantic && m.faces >= 1) || (m.emotion == Emotion::Positive && m.faces >= 2) {
        BeatType::RelationshipBeat
    } else {
        BeatType::EscalationBeat
    }
}

/// How well a line plays in a trailer, 0–1: short, complete lines carry; long speeches and one-word cues don't.
pub(crate) fn line_quality(text: &str) -> f64 {
    let words = text.split_whitespace().count();
    let base = match words {
        0 => 0.0,
        1 | 2 => 0.5,
        3..=12 => 1.0,
        13..=20 => 0.6,
        _ => 0.25,
    };
    let ends = text.trim_end();
    let punch = if ends.ends_with('!') || ends.ends_with('?') {
        0.1
    } else {
        0.0
    };
    // A line cut off by the subtitle ("…" or a trailing comma) does not stand alone.
    let unfinished = ends.ends_with(',') || ends.ends_with("...") || ends.ends_with('…') || ends.ends_with(';');
    let scale: f64 = if unfinished { 0.6 } else { 1.0 };
    ((base + punch) * scale).min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_resist_outliers_and_share_ties() {
        let r = percentile_ranks(&[0.1, 0.2, 0.3, 1000.0]);
        assert_eq!(r, vec![0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
        let r = percentile_ranks(&[0.0, 0.0, 0.0, 1.0]);
        assert_eq!(r, vec![1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0, 1.0]);
        assert_eq!(percentile_ranks(&[5.0, 5.0]), vec![0.5, 0.5]);
        assert_eq!(percentile_ranks(&[7.0]), vec![0.5]);
    }

    #[test]
    fn weights_sum_to_one() {
        let s: f64 = WEIGHTS.iter().map(|w| w.1).sum();
        assert!((s - 1.0).abs() < 1e-9);
    }

    #[test]
    fn beat_rules_in_order() {
        let a = Anchors {
            begin_t: 10.0,
            escalation_t: 50.0,
            climax_t: 80.0,
        };
        let m = |t: f64, score: f64, emotion: Emotion, faces: u32| BeatInput {
            time_s: t,
            score,
            emotion,
            faces,
            motion_rank: 0.5,
        };
        assert_eq!(beat(&m(85.0, 0.75, Emotion::Neutral, 0), &a), BeatType::ClimaxPeak);
        assert_eq!(beat(&m(40.0, 0.95, Emotion::Neutral, 0), &a), BeatType::MoneyShot);
        let quiet = BeatInput {
            motion_rank: 0.1,
            ..m(40.0, 0.1, Emotion::Neutral, 0)
        };
        assert_eq!(beat(&quiet, &a), BeatType::Breath);
        assert_eq!(beat(&m(20.0, 0.5, Emotion::Intense, 1), &a), BeatType::IncitingIncident);
        assert_eq!(
            beat(&m(20.0, 0.5, Emotion::Neutral, 1), &a),
            BeatType::CharacterIntroduction
        );
        assert_eq!(
            beat(&m(60.0, 0.5, Emotion::Romantic, 1), &a),
            BeatType::RelationshipBeat
        );
        assert_eq!(beat(&m(60.0, 0.5, Emotion::Neutral, 0), &a), BeatType::EscalationBeat);
    }

    #[test]
    fn short_complete_lines_play_best() {
        assert!(line_quality("Run!") < line_quality("We have to get out of here!"));
        assert!(
            line_quality("We have to get out of here!") > line_quality("Look Celia, we have to follow our passions;")
        );
        assert_eq!(line_quality(""), 0.0);
    }
}
