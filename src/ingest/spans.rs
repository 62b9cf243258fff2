//! Where the story is: the opening logos/idents at the start and the end credits, found from per-second picture
//! signals and the dialogue, so later stages never take a clip from them. Pure: data in, data out.
//!
//! End credits (overlay text, or graphics on a dark ground, with no dialogue, in the last 30 % of the film): the
//! earliest second that starts a 10 s run of mostly credit-like seconds, such that credit-like seconds are at
//! least 60 % of everything from there to the end — which tolerates a post-credits scene and black gaps. A
//! second is credit-like when no subtitle is on screen and it shows overlay text (`overlay`: on any ground,
//! black, white, coloured, over footage, rolling) or at least 30 % of its pixels are black (darkness still finds
//! credits whose text the reader missed; Tears of Steel's are saturated animated line-art on a dark ground). The
//! start snaps to the nearest shot boundary within 2 s.
//!
//! Opening logos: the run from the first second of seconds that are almost all black (≥ 85 %, a logo or a
//! line of text on black) with no dialogue, up to 90 s or 10 % of the film, snapped to a shot boundary.

use serde::{Deserialize, Serialize};

use super::overlay::TextSpan;
use super::shots::Shot;
use super::subtitles::DialogueEvent;

/// The picture of one second of film, averaged over its frames.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Second {
    pub dark: f32,
    pub brightness: f32,
    /// Overlay text is on screen (any kind but burned-in subtitles).
    pub text: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Span {
    pub start_s: f64,
    pub end_s: f64,
}

impl Span {
    pub fn contains(&self, t: f64) -> bool {
        t >= self.start_s && t < self.end_s
    }
}

/// `analysis/spans.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StorySpans {
    pub story: Span,
    pub opening_logos: Option<Span>,
    pub end_credits: Option<Span>,
    /// The film's own text: credits, captions, its title, burned-in subtitles (`overlay`).
    #[serde(default)]
    pub text: Vec<TextSpan>,
}

impl StorySpans {
    /// Inside the logos or the credits.
    pub(crate) fn excluded(&self, t: f64) -> bool {
        self.opening_logos.is_some_and(|s| s.contains(t)) || self.end_credits.is_some_and(|s| s.contains(t))
    }
}

const CREDITS_DARK: f32 = 0.30;
const CREDITS_SEARCH_FROM: f64 = 0.70;
const CREDITS_MIN_RUN_S: usize = 10;
const CREDITS_RUN_SHARE: f64 = 0.8;
const CREDITS_TAIL_SHARE: f64 = 0.6;
const LOGO_DARK: f32 = 0.85;
const LOGO_MAX_S: f64 = 90.0;
const SNAP_S: f64 = 2.0;

pub(super) fn find(seconds: &[Second], dialogue: &[DialogueEvent], shots: &[Shot], duration_s: f64) -> StorySpans {
    let n = seconds.len();
    let mut spoken = vec![false; n];
    for e in dialogue.iter().filter(|e| !e.sound_cue) {
        let (a, b) = (e.start_s.max(0.0) as usize, (e.end_s.max(0.0).ceil() as usize).min(n));
        for s in spoken.iter_mut().take(b).skip(a) {
            *s = true;
        }
    }
    let credit_like: Vec<bool> = (0..n)
        .map(|i| !spoken[i] && (seconds[i].text || seconds[i].dark >= CREDITS_DARK))
        .collect();

    let end_credits = (((n as f64) * CREDITS_SEARCH_FROM) as usize..n.saturating_sub(CREDITS_MIN_RUN_S))
        .find(|&s| {
            credit_like[s]
                && share(&credit_like[s..s + CREDITS_MIN_RUN_S]) >= CREDITS_RUN_SHARE
                && share(&credit_like[s..]) >= CREDITS_TAIL_SHARE
        })
        .map(|s| Span {
            start_s: snap(s as f64, shots),
            end_s: duration_s,
        });

    let limit = (LOGO_MAX_S.min(duration_s * 0.10)) as usize;
    let logo_secs = (0..n.min(limit))
        .take_while(|&i| !spoken[i] && seconds[i].dark >= LOGO_DARK)
        .count();
    let opening_logos = (logo_secs > 0).then(|| Span {
        start_s: 0.0,
        end_s: snap(logo_secs as f64, shots),
    });

    StorySpans {
        story: Span {
            start_s: opening_logos.map_or(0.0, |s| s.end_s),
            end_s: end_credits.map_or(duration_s, |s| s.start_s),
        },
        opening_logos,
        end_credits,
        text: vec![],
    }
}

fn share(flags: &[bool]) -> f64 {
    flags.iter().filter(|f| **f).count() as f64 / flags.len().max(1) as f64
}

/// The nearest shot boundary within `SNAP_S`, else `t` itself.
fn snap(t: f64, shots: &[Shot]) -> f64 {
    shots
        .iter()
        .skip(1)
        .map(|s| s.start_s)
        .filter(|b| (b - t).abs() <= SNAP_S)
        .min_by(|a, b| (a - t).abs().total_cmp(&(b - t).abs()))
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::shots::TransitionKind;
    use crate::ingest::subtitles::Emotion;

    fn secs(spec: &[(usize, f32)]) -> Vec<Second> {
        spec.iter()
            .flat_map(|&(n, dark)| {
                std::iter::repeat_n(
                    Second {
                        dark,
                        brightness: 0.3,
                        text: false,
                    },
                    n,
                )
            })
            .collect()
    }

    fn line(start: f64, end: f64) -> DialogueEvent {
        DialogueEvent {
            start_s: start,
            end_s: end,
            text: "hi".into(),
            speaker: None,
            emotion: Emotion::Neutral,
            sound_cue: false,
        }
    }

    fn shot_at(start: f64) -> Shot {
        Shot {
            id: 1,
            start_frame: (start * 24.0) as u64,
            end_frame: 0,
            start_s: start,
            end_s: 0.0,
            transition_in: TransitionKind::Cut,
        }
    }

    #[test]
    fn credits_with_a_post_credits_scene_and_logos_on_black() {
        // 8 s logo on black, 570 s of story (one dark night scene), 120 s credits, 20 s stinger, 2 s black.
        let s = secs(&[
            (8, 0.95),
            (400, 0.05),
            (30, 0.6),
            (140, 0.05),
            (120, 0.5),
            (20, 0.05),
            (2, 1.0),
        ]);
        let dialogue = vec![line(30.0, 32.0), line(560.0, 565.0), line(700.0, 702.0)];
        let spans = find(
            &s,
            &dialogue,
            &[shot_at(0.0), shot_at(8.4), shot_at(577.5)],
            s.len() as f64,
        );
        assert_eq!(
            spans.opening_logos,
            Some(Span {
                start_s: 0.0,
                end_s: 8.4
            })
        );
        assert_eq!(
            spans.end_credits,
            Some(Span {
                start_s: 577.5,
                end_s: 720.0
            })
        );
        assert_eq!(
            spans.story,
            Span {
                start_s: 8.4,
                end_s: 577.5
            }
        );
        assert!(spans.excluded(650.0) && !spans.excluded(300.0) && spans.excluded(3.0));
    }

    #[test]
    fn a_film_without_credits_or_logos() {
        let s = secs(&[(600, 0.05)]);
        let spans = find(&s, &[], &[], 600.0);
        assert_eq!((spans.opening_logos, spans.end_credits), (None, None));
        assert_eq!(
            spans.story,
            Span {
                start_s: 0.0,
                end_s: 600.0
            }
        );
    }

    #[test]
    fn a_dark_scene_with_dialogue_near_the_end_is_story() {
        let s = secs(&[(500, 0.05), (100, 0.7)]);
        let dialogue: Vec<_> = (0..20)
            .map(|i| line(500.0 + i as f64 * 5.0, 502.0 + i as f64 * 5.0))
            .collect();
        assert_eq!(find(&s, &dialogue, &[], 600.0).end_credits, None);
    }
}
