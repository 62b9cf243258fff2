//! The chooser on hand-made films: every rule, every vibe and length, and random films (proptest).

use proptest::prelude::*;

use super::film::Film;
use super::manifest::{Act, Manifest};
use super::plan::{LENGTH_TOLERANCE, Length};
use super::rules;
use super::trailer::{self, Request, Trailer};
use super::{VIBES, Vibe};
use crate::analyze::{
    AnchorSource, Anchors, Curve, SceneDescription, SceneText, Structure, TextSource, Zone, ZoneMatcher,
};
use crate::ingest::{DialogueEvent, Emotion, Placement, Shot, Span, TextKind, TextSpan, TransitionKind};

const FPS: f64 = 24.0;

/// Story anchors at fixed shares of `story`, with the logos and credits given.
pub(super) fn structure(story: Span, logos: Option<Span>, credits: Option<Span>) -> Structure {
    Structure {
        anchors: Anchors::fixed(story),
        source: AnchorSource::Fixed,
        reason: String::new(),
        story,
        opening_logos: logos,
        end_credits: credits,
        protagonist: None,
        intensity: Curve {
            start_s: 0.0,
            step_s: 1.0,
            values: vec![],
            signals: vec![],
        },
        text: vec![],
    }
}

/// A film as the analysis stages would describe it.
struct Synth {
    frames: u64,
    shots: Vec<Shot>,
    cues: Vec<DialogueEvent>,
    scenes: Vec<SceneDescription>,
    structure: Structure,
}

impl Synth {
    /// Shots of the given lengths (frames), cues as (start, end, text), logos for the first `logos_s`, credits
    /// from `credits_s` on. Signals vary from shot to shot with `seed`.
    fn new(shot_frames: &[u64], cues: &[(f64, f64, &str)], logos_s: f64, credits_s: Option<f64>, seed: u64) -> Synth {
        let mut shots = Vec::new();
        let mut f = 0;
        for (i, &n) in shot_frames.iter().enumerate() {
            shots.push(Shot {
                id: i,
                start_frame: f,
                end_frame: f + n,
                start_s: f as f64 / FPS,
                end_s: (f + n) as f64 / FPS,
                transition_in: if i == 0 {
                    TransitionKind::Start
                } else {
                    TransitionKind::Cut
                },
            });
            f += n;
        }
        let frames = f;
        let duration = frames as f64 / FPS;
        let mut rng = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut next = || {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (rng >> 33) as f32 / (1u64 << 31) as f32
        };
        let scenes = shots
            .iter()
            .map(|s| SceneDescription {
                time_s: (s.start_s + s.end_s) / 2.0,
                shot: s.id,
                text: SceneText::default(),
                text_source: TextSource::Builtin,
                motion: next() * 0.1,
                contrast: next() * 0.3,
                brightness: 0.3 + next() * 0.4,
                saturation: next(),
                edges: next() * 0.2,
                dark: next() * 0.3,
                warmth: next() - 0.5,
                faces: Some((next() * 2.5) as u32),
                uniqueness: next(),
                audio_intensity: next(),
                confidence: 0.5,
            })
            .collect();
        let cues = cues
            .iter()
            .map(|&(a, b, t)| DialogueEvent {
                start_s: a,
                end_s: b,
                text: t.into(),
                speaker: None,
                emotion: if t.ends_with('!') {
                    Emotion::Intense
                } else {
                    Emotion::Neutral
                },
                sound_cue: false,
            })
            .collect();
        let story = Span {
            start_s: logos_s,
            end_s: credits_s.unwrap_or(duration),
        };
        let structure = structure(
            story,
            (logos_s > 0.0).then_some(Span {
                start_s: 0.0,
                end_s: logos_s,
            }),
            credits_s.map(|c| Span {
                start_s: c,
                end_s: duration,
            }),
        );
        Synth {
            frames,
            shots,
            cues,
            scenes,
            structure,
        }
    }

    /// A 10-minute film: shots of 1–9 s, a line every 7 s or so, logos for 10 s, credits for the last 60 s.
    fn ten_minutes(seed: u64) -> Synth {
        let lens: Vec<u64> = (0..400u64)
            .map(|i| 24 + (i * 37 + seed * 11) % 192)
            .take_while(|_| true)
            .collect();
        let mut total = 0;
        let lens: Vec<u64> = lens
            .into_iter()
            .take_while(|&n| {
                total += n;
                total <= 600 * 24
            })
            .collect();
        let duration = lens.iter().sum::<u64>() as f64 / FPS;
        const LINES: [&str; 5] = ["Get down!", "Where is she?", "We have to go.", "I know.", "This is it!"];
        let cues: Vec<(f64, f64, &str)> = (0..)
            .map(|i| 12.0 + i as f64 * 7.3)
            .take_while(|&t| t + 2.0 < duration)
            .enumerate()
            .map(|(i, t)| (t, t + 1.2 + (i % 3) as f64 * 0.5, LINES[i % LINES.len()]))
            .collect();
        Synth::new(&lens, &cues, 10.0, Some(duration - 60.0), seed)
    }

    fn film(&self) -> Film<'_> {
        Film {
            fps: FPS,
            offset_s: 0.0,
            frames: self.frames,
            shots: &self.shots,
            cues: &self.cues,
            scenes: &self.scenes,
            structure: &self.structure,
        }
    }

    fn build(&self, vibe: &'static Vibe, target_s: f64, allow_spoilers: bool) -> crate::Result<Trailer> {
        let req = Request {
            vibe,
            target_s,
            allow_spoilers,
            title: "Test".into(),
            source_file: "/films/test.mkv".into(),
            fingerprint: None,
        };
        trailer::build(&self.film(), &ZoneMatcher::new(None).unwrap(), &req)
    }
}

fn vibe(name: &str) -> &'static Vibe {
    Vibe::parse(name).unwrap()
}

fn times(m: &Manifest) -> Vec<(f64, f64)> {
    m.clips.iter().map(|c| (c.source_start_s, c.source_end_s)).collect()
}

#[test]
fn every_vibe_and_length_obeys_every_rule() {
    let film = Synth::ten_minutes(1);
    for v in &VIBES {
        for len in [Length::Trailer, Length::Teaser, Length::Spot] {
            let t = film.build(v, len.target_s(v), false).unwrap();
            let problems = rules::check(&t.manifest, &film.film(), false);
            assert!(problems.is_empty(), "{} {len:?}: {problems:#?}", v.name);
            assert!(!t.short_of_material);
            assert!(t.warnings.is_empty(), "{} {len:?}: {:?}", v.name, t.warnings);
            let total = rules::total_s(&t.manifest);
            assert!((total - len.target_s(v)).abs() <= LENGTH_TOLERANCE * len.target_s(v));
        }
    }
}

#[test]
fn no_edge_inside_a_line_and_every_kept_line_is_whole() {
    let film = Synth::ten_minutes(2);
    let t = film.build(vibe("comedy"), 120.0, false).unwrap();
    for (a, b) in times(&t.manifest) {
        for c in &film.cues {
            for edge in [a, b] {
                assert!(
                    edge <= c.start_s - 0.1 + 1e-6 || edge >= c.end_s + 0.1 - 1e-6,
                    "{edge} in {c:?}"
                );
            }
        }
    }
    let lines = t.manifest.clips.iter().filter(|c| c.keep_audio).count();
    assert!(lines >= 8, "comedy talks: {lines} lines");
}

#[test]
fn nothing_from_logos_credits_or_the_ending_unless_spoilers_are_allowed() {
    let film = Synth::ten_minutes(3);
    let story = film.structure.story;
    let guard = story.end_s - 0.05 * (story.end_s - story.start_s);
    let t = film.build(vibe("action"), 120.0, false).unwrap();
    for (a, b) in times(&t.manifest) {
        assert!(a >= 10.0 && b <= guard + 1e-6, "{a}–{b}");
    }
    // Make the ending the strongest part of the film: with spoilers allowed, it is used.
    let mut loud = Synth::ten_minutes(3);
    for s in loud
        .scenes
        .iter_mut()
        .filter(|s| s.time_s > guard && s.time_s < story.end_s)
    {
        (s.motion, s.audio_intensity, s.uniqueness) = (1.0, 1.0, 1.0);
    }
    let t = loud.build(vibe("action"), 120.0, true).unwrap();
    assert!(
        times(&t.manifest).iter().any(|&(_, b)| b > guard),
        "the ending is allowed"
    );
    assert!(
        times(&t.manifest).iter().all(|&(_, b)| b <= story.end_s + 1e-6),
        "never the credits"
    );
}

#[test]
fn acts_follow_the_zones_and_are_not_in_film_order() {
    let film = Synth::ten_minutes(4);
    let t = film.build(vibe("thriller"), 125.0, false).unwrap();
    let m = &t.manifest;
    for (act, zone) in [
        (Act::Act1, Zone::Beginning),
        (Act::Act2, Zone::Escalation),
        (Act::Act3, Zone::Climax),
    ] {
        let clips: Vec<_> = m.clips.iter().filter(|c| c.act == act).collect();
        let inside = clips.iter().filter(|c| c.narrative_zone == Some(zone)).count();
        assert!(inside * 10 >= clips.len() * 7, "{act:?}: {inside} of {}", clips.len());
        let starts: Vec<f64> = clips.iter().map(|c| c.source_start_s).collect();
        assert!(
            starts.windows(2).any(|w| w[0] > w[1]),
            "{act:?} is in film order: {starts:?}"
        );
    }
    // Act 3 rises to its strongest picture.
    let act3: Vec<_> = m.clips.iter().filter(|c| c.act == Act::Act3 && !c.keep_audio).collect();
    let best = act3.iter().map(|c| c.money_shot_score.unwrap()).fold(0.0, f64::max);
    assert_eq!(act3.last().unwrap().money_shot_score.unwrap(), best);
}

#[test]
fn vibes_differ_in_length_pace_and_choice() {
    let film = Synth::ten_minutes(5);
    let action = film
        .build(vibe("action"), Length::Trailer.target_s(vibe("action")), false)
        .unwrap();
    let drama = film
        .build(vibe("drama"), Length::Trailer.target_s(vibe("drama")), false)
        .unwrap();
    let mean = |m: &Manifest| rules::total_s(m) / m.clips.len() as f64;
    assert!(action.manifest.clips.len() > drama.manifest.clips.len() + 10);
    assert!(mean(&action.manifest) * 1.5 < mean(&drama.manifest));
    assert!(rules::total_s(&drama.manifest) > rules::total_s(&action.manifest));
    let lines = |m: &Manifest| m.clips.iter().filter(|c| c.keep_audio).count() as f64 / m.clips.len() as f64;
    assert!(lines(&drama.manifest) > lines(&action.manifest) + 0.15);
}

#[test]
fn the_same_input_gives_the_same_manifest() {
    let film = Synth::ten_minutes(6);
    let a = film.build(vibe("western"), 90.0, false).unwrap();
    let b = film.build(vibe("western"), 90.0, false).unwrap();
    assert_eq!(a.manifest, b.manifest);
}

#[test]
fn a_film_too_short_is_refused_clearly() {
    let film = Synth::new(&[24, 24], &[], 0.0, None, 1);
    let err = film.build(vibe("action"), 30.0, false).err().unwrap().to_string();
    assert!(err.contains("too few usable moments"), "{err}");
}

#[test]
fn subtitles_talking_wall_to_wall_are_blamed() {
    // A line over every moment of a 5-minute film: nowhere to cut.
    let cues: Vec<(f64, f64, &str)> = (0..600)
        .map(|i| (i as f64 * 0.5, i as f64 * 0.5 + 2.0, "Again and again."))
        .collect();
    let film = Synth::new(&[72; 100], &cues, 0.0, None, 1);
    let err = film.build(vibe("action"), 30.0, false).err().unwrap().to_string();
    assert!(
        err.contains("too few usable moments") && err.contains("check that they are this film's"),
        "{err}"
    );
}

#[test]
fn a_short_film_makes_a_shorter_trailer_and_says_so() {
    // 40 s of film for a 2-minute trailer.
    let film = Synth::new(&[72; 20], &[], 0.0, None, 1);
    let t = film.build(vibe("action"), 120.0, false).unwrap();
    assert!(
        t.warnings.iter().any(|w| w.contains("too little usable material")),
        "{:?}",
        t.warnings
    );
    assert!(t.short_of_material);
    let problems = rules::check(&t.manifest, &film.film(), false);
    assert!(problems.iter().all(|p| p.rule.needs_material()), "{problems:#?}");
}

#[test]
fn a_huge_line_is_cut_short_in_the_excerpt() {
    let huge = "word ".repeat(200_000);
    let cues: Vec<(f64, f64, &str)> = (0..60)
        .map(|i| (i as f64 * 5.0 + 1.0, i as f64 * 5.0 + 3.0, huge.as_str()))
        .collect();
    let film = Synth::new(&[72; 100], &cues, 0.0, None, 2);
    let t = film.build(vibe("drama"), 60.0, false).unwrap();
    let excerpts: Vec<&str> = t
        .manifest
        .clips
        .iter()
        .map(|c| c.dialogue_excerpt.as_str())
        .filter(|e| !e.is_empty())
        .collect();
    assert!(!excerpts.is_empty());
    for e in excerpts {
        assert!(
            e.chars().count() <= 401 && e.starts_with("word word") && e.ends_with("word…"),
            "{} chars",
            e.len()
        );
    }
}

type RandomFilm = (Vec<u64>, Vec<(f64, f64)>, Vec<(f64, f64)>, u64, usize, f64);

fn random_film() -> impl Strategy<Value = RandomFilm> {
    (
        prop::collection::vec(8u64..400, 40..200),
        prop::collection::vec((0.0f64..1.0, 0.3f64..6.0), 0..150),
        // The film's own text: captions and credits anywhere, short or long.
        prop::collection::vec((0.0f64..1.0, 1.0f64..12.0), 0..12),
        any::<u64>(),
        0..VIBES.len(),
        prop_oneof![Just(30.0), Just(60.0), 20.0f64..150.0],
    )
}

/// `film` with overlay text at `spans` (film seconds).
fn with_text(mut film: Synth, spans: &[(f64, f64)]) -> Synth {
    film.structure.text = spans
        .iter()
        .map(|&(a, b)| TextSpan {
            kind: TextKind::Caption,
            start_s: a,
            end_s: b,
            bbox: [0.3, 0.45, 0.7, 0.55],
            placement: Placement::Centre,
            words: None,
        })
        .collect();
    film
}

#[test]
fn no_clip_shows_the_films_own_text() {
    let lens = [96u64; 60];
    let spans: Vec<(f64, f64)> = (0..12)
        .map(|i| (10.0 + i as f64 * 20.0, 14.0 + i as f64 * 20.0))
        .collect();
    let film = with_text(Synth::new(&lens, &[], 0.0, None, 9), &spans);
    let t = film.build(vibe("thriller"), 60.0, false).unwrap();
    for c in &t.manifest.clips {
        for &(a, b) in &spans {
            assert!(
                c.source_end_s <= a - 0.49 || c.source_start_s >= b + 0.49,
                "{c:?} shows {a}–{b}"
            );
        }
    }
    let problems = rules::check(&t.manifest, &film.film(), false);
    assert!(
        problems.iter().all(|p| p.rule != rules::Rule::FilmText),
        "{problems:#?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Any shots, any cues (overlapping cuts, dense or none), any vibe and length: what is chosen obeys the rules,
    /// and only a film too short for the length asked may miss the length.
    #[test]
    fn any_selection_obeys_the_rules((lens, cue_spec, text_spec, seed, v, target) in random_film()) {
        let duration = lens.iter().sum::<u64>() as f64 / FPS;
        let cues: Vec<(f64, f64, &str)> = {
            let mut c: Vec<(f64, f64)> = cue_spec.iter().map(|&(at, len)| (at * duration, (at * duration + len).min(duration))).collect();
            c.sort_by(|a, b| a.0.total_cmp(&b.0));
            c.into_iter().map(|(a, b)| (a, b, "Where are you going?")).collect()
        };
        let text: Vec<(f64, f64)> = text_spec.iter().map(|&(at, len)| (at * duration, (at * duration + len).min(duration))).collect();
        let film = with_text(Synth::new(&lens, &cues, (duration * 0.02).min(8.0), Some(duration * 0.93), seed), &text);
        match film.build(&VIBES[v], target, false) {
            Ok(t) => {
                let problems: Vec<String> = rules::check(&t.manifest, &film.film(), false)
                    .into_iter()
                    .filter(|p| !(t.short_of_material && p.rule.needs_material()))
                    .map(|p| p.text)
                    .collect();
                prop_assert!(problems.is_empty(), "{:#?}", problems);
                if !t.short_of_material {
                    prop_assert!(t.warnings.iter().all(|w| !w.contains("too little")), "{:?}", t.warnings);
                }
            }
            Err(e) => prop_assert!(e.to_string().contains("too few usable moments"), "{}", e),
        }
    }
}
