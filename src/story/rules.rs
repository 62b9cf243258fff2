//! The rules every chosen clip obeys, in one place: the numbers, the pairwise diversity test the chooser uses,
//! and `check`, which tests a finished manifest against the film's shots, cues and spans. `narrative` runs the
//! check on what it writes (a broken rule there is a bug, and the run says so); `--manifest` runs it on a
//! user's edit and warns, since a user may break a rule on purpose.

use super::edges::{CUE_MARGIN_S, SLIVER_FRAMES};
use super::film::Film;
use super::manifest::{Act, Manifest};
use super::plan::LENGTH_TOLERANCE;
use crate::ingest::{Shot, Span};

/// No clip shorter than this, nor than `MIN_CLIP_FRAMES`.
pub(super) const MIN_CLIP_S: f64 = 0.5;
pub(crate) const MIN_CLIP_FRAMES: u64 = 12;
/// Film time between any two chosen clips: neighbouring moments look like one clip cut twice.
pub(super) const MIN_GAP_S: f64 = 0.5;
/// Two clips may come from one shot only if the shot is this long and they are this far apart.
pub(super) const LONG_SHOT_S: f64 = 8.0;
pub(super) const FAR_APART_S: f64 = 2.0;
/// Nothing from the last share of the story: the ending is not for the trailer.
pub(super) const SPOILER_SHARE: f64 = 0.05;

/// The usable film: the story without the logos before it, the credits after it and (unless spoilers are
/// allowed) its last `SPOILER_SHARE`.
pub(super) fn usable(story: Span, logos: Option<Span>, credits: Option<Span>, allow_spoilers: bool) -> (f64, f64) {
    let mut lo = story.start_s;
    let mut hi = story.end_s;
    if let Some(l) = logos {
        lo = lo.max(l.end_s);
    }
    if let Some(c) = credits {
        hi = hi.min(c.start_s);
    }
    if !allow_spoilers {
        hi = hi.min(story.end_s - SPOILER_SHARE * (story.end_s - story.start_s));
    }
    (lo, hi.max(lo))
}

/// Whether two clips (film seconds) may both be in one trailer: far enough apart, and sharing a shot only
/// when the shot is long and they are far apart in it. `shots` are the shots each clip shows.
pub(super) fn compatible(a: (f64, f64), b: (f64, f64), shared_shot_s: Option<f64>) -> bool {
    let gap = (b.0 - a.1).max(a.0 - b.1);
    if gap < MIN_GAP_S - 1e-6 {
        return false;
    }
    match shared_shot_s {
        Some(len) => len >= LONG_SHOT_S && gap >= FAR_APART_S - 1e-6,
        None => true,
    }
}

/// Which rule a problem breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rule {
    ClipLength,
    Region,
    /// A clip shows the film's own text (a credit, a caption, its title).
    FilmText,
    Dialogue,
    FlashFrame,
    KeptLine,
    Diversity,
    ActOrder,
    Pace,
    TotalLength,
}

impl Rule {
    /// Rules a film with too little usable material cannot always meet (the pace needs several clips per act,
    /// the length needs enough moments); the others hold for any film.
    pub(super) fn needs_material(self) -> bool {
        matches!(self, Rule::Pace | Rule::TotalLength)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Problem {
    pub rule: Rule,
    pub text: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Every broken rule, one sentence each; empty when the manifest obeys them all.
pub(super) fn check(m: &Manifest, film: &Film, allow_spoilers: bool) -> Vec<Problem> {
    let mut out = Vec::new();
    let eps = 1e-3;
    let min_len = MIN_CLIP_S.max(MIN_CLIP_FRAMES as f64 / film.fps);
    let st = film.structure;
    let (lo, hi) = usable(st.story, st.opening_logos, st.end_credits, allow_spoilers);
    let shots_of = |a: f64, b: f64| -> Vec<&Shot> {
        film.shots
            .iter()
            .filter(|s| s.start_s < b - eps && s.end_s > a + eps)
            .collect()
    };
    for (i, c) in m.clips.iter().enumerate() {
        let (a, b) = (c.source_start_s, c.source_end_s);
        let at = format!("clips[{i}] ({a:.3}–{b:.3} s)");
        if b - a < min_len - eps {
            out.push(problem(
                Rule::ClipLength,
                format!("{at} is shorter than {min_len:.2} s"),
            ));
        }
        if a < lo - eps || b > hi + eps {
            out.push(problem(
                Rule::Region,
                format!("{at} is outside the usable film {lo:.3}–{hi:.3} s"),
            ));
        }
        for t in st.no_clip_text().filter(|t| t.overlaps(a + eps, b - eps)) {
            out.push(problem(
                Rule::FilmText,
                format!(
                    "{at} shows the film's {} at {:.3}–{:.3} s",
                    t.kind.name(),
                    t.start_s,
                    t.end_s
                ),
            ));
        }
        for cue in film.cues {
            let inside = |t: f64| t > cue.start_s - CUE_MARGIN_S + eps && t < cue.end_s + CUE_MARGIN_S - eps;
            if inside(a) || inside(b) {
                out.push(problem(
                    Rule::Dialogue,
                    format!(
                        "{at} has an edge within {CUE_MARGIN_S} s of the cue {:.3}–{:.3} s \"{}\"",
                        cue.start_s, cue.end_s, cue.text
                    ),
                ));
            }
        }
        let shots = shots_of(a, b);
        if shots.len() > 1 {
            let first = (shots[0].end_s - a) * film.fps;
            let last = (b - shots[shots.len() - 1].start_s) * film.fps;
            if first.round() < SLIVER_FRAMES as f64 || last.round() < SLIVER_FRAMES as f64 {
                out.push(problem(
                    Rule::FlashFrame,
                    format!("{at} runs across a cut and keeps under {SLIVER_FRAMES} frames of a shot (a flash frame)"),
                ));
            }
        }
        if c.keep_audio && !film.cues.iter().any(|q| !q.sound_cue && q.start_s >= a && q.end_s <= b) {
            out.push(problem(
                Rule::KeptLine,
                format!("{at} keeps its sound but holds no whole line"),
            ));
        }
        for (j, d) in m.clips.iter().enumerate().skip(i + 1) {
            let other = (d.source_start_s, d.source_end_s);
            let shared = shots_of(other.0, other.1)
                .iter()
                .filter(|s| shots.iter().any(|t| t.id == s.id))
                .map(|s| s.end_s - s.start_s)
                .reduce(f64::min);
            if !compatible((a, b), other, shared) {
                out.push(problem(
                    Rule::Diversity,
                    format!("{at} and clips[{j}] are too close (same moment or same shot)"),
                ));
            }
        }
    }

    let rank = |act: Act| match act {
        Act::ColdOpen => 0,
        Act::Act1 => 1,
        Act::Act2 | Act::BeatDrop | Act::Breath => 2,
        Act::Act3 => 3,
        Act::TitleCard | Act::Button => 4,
    };
    if let Some(i) = (1..m.clips.len()).find(|&i| rank(m.clips[i].act) < rank(m.clips[i - 1].act)) {
        out.push(problem(
            Rule::ActOrder,
            format!(
                "clips[{i}] ({}) comes after clips[{}] ({}): acts play cold open, act 1, act 2, act 3, button",
                m.clips[i].act.name(),
                i - 1,
                m.clips[i - 1].act.name()
            ),
        ));
    }
    let mean = |act: Act| {
        let lens: Vec<f64> = m
            .clips
            .iter()
            .filter(|c| c.act == act)
            .map(|c| c.duration_s())
            .collect();
        (!lens.is_empty()).then(|| lens.iter().sum::<f64>() / lens.len() as f64)
    };
    match (mean(Act::Act1), mean(Act::Act2), mean(Act::Act3)) {
        (Some(a1), Some(a2), Some(a3)) if !(a1 > a2 && a2 > a3) => out.push(problem(
            Rule::Pace,
            format!("mean cut lengths must fall from act to act: act1 {a1:.2} s, act2 {a2:.2} s, act3 {a3:.2} s"),
        )),
        (Some(_), Some(_), Some(_)) => {}
        _ => out.push(problem(
            Rule::Pace,
            "acts 1, 2 and 3 each need at least one clip".into(),
        )),
    }
    if let Some(target) = m.target_length_s {
        let total = total_s(m);
        if (total - target).abs() > LENGTH_TOLERANCE * target + eps {
            out.push(problem(
                Rule::TotalLength,
                format!(
                    "the trailer runs {total:.2} s, not within {:.0} % of the {target:.2} s target",
                    LENGTH_TOLERANCE * 100.0
                ),
            ));
        }
    }
    out
}

fn problem(rule: Rule, text: String) -> Problem {
    Problem { rule, text }
}

/// Clips, the silence beat and the title card.
pub(super) fn total_s(m: &Manifest) -> f64 {
    m.clips.iter().map(|c| c.duration_s()).sum::<f64>() + m.silence_s.unwrap_or(0.0) + m.title_card_s.unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::DialogueEvent;

    #[test]
    fn diversity_rule() {
        assert!(compatible((0.0, 2.0), (2.5, 3.0), None));
        assert!(!compatible((0.0, 2.0), (2.4, 3.0), None));
        assert!(!compatible((0.0, 2.0), (1.0, 3.0), None), "overlap");
        assert!(!compatible((0.0, 2.0), (3.0, 4.0), Some(6.0)), "same short shot");
        assert!(
            compatible((0.0, 2.0), (4.0, 5.0), Some(9.0)),
            "same long shot, far apart"
        );
        assert!(
            !compatible((0.0, 2.0), (3.0, 5.0), Some(9.0)),
            "same long shot, too close"
        );
    }

    fn clip(a: f64, b: f64, act: Act) -> crate::story::manifest::Clip {
        serde_json::from_value(serde_json::json!({
            "source_start_s": a, "source_end_s": b, "beat_type": "escalation_beat", "act": act.name()
        }))
        .unwrap()
    }

    #[test]
    fn check_names_each_broken_rule() {
        use crate::ingest::Emotion;
        use crate::ingest::TransitionKind;
        let shots: Vec<Shot> = [(0u64, 240u64), (240, 480), (480, 2400)]
            .iter()
            .enumerate()
            .map(|(id, &(a, b))| Shot {
                id,
                start_frame: a,
                end_frame: b,
                start_s: a as f64 / 24.0,
                end_s: b as f64 / 24.0,
                transition_in: TransitionKind::Cut,
            })
            .collect();
        let cues = [DialogueEvent {
            start_s: 30.0,
            end_s: 32.0,
            text: "Run!".into(),
            speaker: None,
            emotion: Emotion::Intense,
            sound_cue: false,
        }];
        let story = Span {
            start_s: 0.0,
            end_s: 100.0,
        };
        let structure = crate::story::tests::structure(story, None, None);
        let film = Film {
            fps: 24.0,
            offset_s: 0.0,
            frames: 2400,
            shots: &shots,
            cues: &cues,
            scenes: &[],
            structure: &structure,
        };
        let manifest = |clips: Vec<crate::story::manifest::Clip>| Manifest {
            schema_version: "2.1".into(),
            source_file: "f.mkv".into(),
            vibe: "action".into(),
            title: None,
            tagline: None,
            target_length_s: None,
            silence_s: None,
            title_card_s: None,
            title_style: None,
            title_shot: None,
            title_card_reason: None,
            source_fingerprint: None,
            clips,
            structural_anchors: None,
            bpm_grid: None,
            music_bed: None,
            extra: Default::default(),
        };
        let rules_of = |clips| -> Vec<Rule> {
            check(&manifest(clips), &film, false)
                .into_iter()
                .map(|p| p.rule)
                .collect()
        };
        let good = vec![
            clip(1.0, 5.0, Act::Act1),
            clip(12.0, 15.0, Act::Act2),
            clip(40.0, 41.0, Act::Act3),
        ];
        assert_eq!(rules_of(good), vec![]);
        // An edge inside the cue (and the cue cut), a flash frame (5.9 s to 10.1 s keeps 0.1 s of shot 0), too short,
        // too close, the ending, acts out of order.
        assert!(
            rules_of(vec![
                clip(1.0, 5.0, Act::Act1),
                clip(12.0, 15.0, Act::Act2),
                clip(31.0, 33.0, Act::Act3)
            ])
            .contains(&Rule::Dialogue)
        );
        assert!(
            rules_of(vec![
                clip(9.9, 12.0, Act::Act1),
                clip(20.0, 22.0, Act::Act2),
                clip(40.0, 41.0, Act::Act3)
            ])
            .contains(&Rule::FlashFrame)
        );
        assert!(
            rules_of(vec![
                clip(1.0, 5.0, Act::Act1),
                clip(12.0, 15.0, Act::Act2),
                clip(40.0, 40.3, Act::Act3)
            ])
            .contains(&Rule::ClipLength)
        );
        assert!(
            rules_of(vec![
                clip(1.0, 5.0, Act::Act1),
                clip(5.2, 7.0, Act::Act2),
                clip(40.0, 41.0, Act::Act3)
            ])
            .contains(&Rule::Diversity)
        );
        assert!(
            rules_of(vec![
                clip(1.0, 5.0, Act::Act1),
                clip(12.0, 15.0, Act::Act2),
                clip(97.0, 98.0, Act::Act3)
            ])
            .contains(&Rule::Region)
        );
        assert!(
            rules_of(vec![
                clip(12.0, 15.0, Act::Act2),
                clip(1.0, 5.0, Act::Act1),
                clip(40.0, 41.0, Act::Act3)
            ])
            .contains(&Rule::ActOrder)
        );
        assert!(
            rules_of(vec![
                clip(1.0, 2.0, Act::Act1),
                clip(12.0, 15.0, Act::Act2),
                clip(40.0, 41.0, Act::Act3)
            ])
            .contains(&Rule::Pace)
        );
    }

    #[test]
    fn the_usable_film_leaves_out_logos_credits_and_the_ending() {
        let s = |a, b| Span { start_s: a, end_s: b };
        assert_eq!(usable(s(10.0, 110.0), Some(s(0.0, 12.0)), None, false), (12.0, 105.0));
        assert_eq!(
            usable(s(10.0, 110.0), None, Some(s(100.0, 130.0)), false),
            (10.0, 100.0)
        );
        assert_eq!(usable(s(10.0, 110.0), None, None, true), (10.0, 110.0));
    }
}
