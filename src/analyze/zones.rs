//! Zone matching for `narrative`: which act of the trailer (beginning, escalation, climax) a moment belongs to,
//! from where it sits relative to the story anchors (`anchors`) and what its text sounds like (`embed`).
//!
//! The earlier tool took the zone from meaning alone whenever a line had text, ignoring position, and compared
//! each line with one bag of keywords per zone (reference §6.7). Here both count, and each zone has several
//! natural sentences to match against. Pure: no FFmpeg, no files; the model is passed in.

use serde::{Deserialize, Serialize};

use super::anchors::Anchors;
use super::embed::{self, Embedder, HOW_TO_GET, MODEL_NAME};
use crate::error::Result;
use crate::ingest::Span;

/// Written as the manifest's `narrative_zone` has always spelled it (`"BEGINNING"`); lower case is read too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Zone {
    #[serde(alias = "beginning")]
    Beginning,
    #[serde(alias = "escalation")]
    Escalation,
    #[serde(alias = "climax")]
    Climax,
}

impl Zone {
    pub const ALL: [Zone; 3] = [Zone::Beginning, Zone::Escalation, Zone::Climax];

    /// As the manifest spells it.
    pub fn name(self) -> &'static str {
        match self {
            Zone::Beginning => "BEGINNING",
            Zone::Escalation => "ESCALATION",
            Zone::Climax => "CLIMAX",
        }
    }

    /// What a line of this zone sounds like, for reasons.
    fn sounds_like(self) -> &'static str {
        match self {
            Zone::Beginning => "a setup or introduction",
            Zone::Escalation => "rising danger",
            Zone::Climax => "a final confrontation",
        }
    }
}

/// Trailer-language examples of each zone, dialogue and scene-description style. Several short sentences, not
/// one keyword list: a line matches the zone whose closest examples it is close to.
const PROTOTYPES: [&[&str]; 3] = [
    &[
        "My name is Sarah, and this is the town where I grew up.",
        "It was an ordinary day, like every other day.",
        "Let me introduce you to my family.",
        "Welcome to your first day here.",
        "Life was simple and quiet back then.",
        "I always dreamed there was something more out there.",
        "A calm, peaceful morning in a small town.",
    ],
    &[
        "Something is wrong. They are coming for us.",
        "We are running out of time.",
        "You have no idea what you have gotten yourself into.",
        "It is getting worse every day, and nobody believes me.",
        "They know where we are. We have to move.",
        "Who are these people, and what do they want from us?",
        "Tense, dark scene: people arguing, a threat closing in.",
    ],
    &[
        "This ends now!",
        "This is our last chance. Everything comes down to this.",
        "If we fail, everyone dies.",
        "Hold the line! Fire everything you have!",
        "Get down, it is going to blow!",
        "I will never let you win.",
        "Explosions, fighting and chaos everywhere.",
    ],
];

/// Stems per zone for the lexical fallback. A word matches a stem when it is the stem or the stem plus a common
/// ending (`SUFFIXES`), so "fighting" matches "fight" but "diet" does not match "die".
#[rustfmt::skip]
const WORDS: [&[&str]; 3] = [
    &[
        "name", "hello", "meet", "welcome", "home", "family", "born", "grew", "grow", "school", "morning", "friend",
        "dream", "begin", "ordinary", "quiet", "peace", "calm", "introduc", "childhood", "remember", "normal",
    ],
    &[
        "wrong", "secret", "lie", "trouble", "danger", "threat", "warn", "worse", "afraid", "fear", "follow", "hunt",
        "chase", "missing", "disappear", "strange", "suspect", "hurry", "escape", "hide", "trap", "coming", "hurt",
        "tense", "dark", "problem", "betray",
    ],
    &[
        "fight", "kill", "die", "dead", "death", "destroy", "explod", "explos", "war", "battle", "final", "last",
        "save", "shoot", "bomb", "blow", "chaos", "scream", "sacrific", "end", "now", "everything", "forever", "run",
    ],
];
const SUFFIXES: [&str; 11] = ["s", "es", "ed", "d", "ing", "er", "ers", "ion", "ions", "e", "y"];

/// Weight of position in the combined score; meaning gets `1 - W_POSITION`:
///
/// `score[z] = W_POSITION · position[z] + (1 − W_POSITION) · meaning[z]`, zone = the highest score.
///
/// `position` (see `position_prior`) sums to 1 and is non-zero for at most two neighbouring zones. `meaning`
/// (see `meaning_shares`) is shared out among those same zones only, so a line can never jump an act: one shouted
/// line from minute 2 does not become the climax, and in the middle of an act (position 1 for that zone) the act
/// decides alone. Between two act middles, with position `p` for one zone and `1 − p` for its neighbour, the
/// neighbour wins when `(1 − W)(2s − 1) > W(2p − 1)`, `s` being the neighbour's meaning share. At 0.5 that is
/// simply `s > p`: right at an anchor (p = ½) meaning decides, and the further into an act, the clearer the line
/// must sound like the next one to move there. That is what an editor does with a line that already sounds like
/// the next act. Empty text: position alone.
pub(super) const W_POSITION: f32 = 0.5;

/// Softmax temperature that turns similarities into meaning shares. MiniLM similarities to our prototypes differ
/// between zones by a few hundredths for a neutral line and 0.1–0.3 for a clear one; at 0.05 a 0.05 lead is a
/// share of about 3 to 1, a 0.1 lead about 7 to 1, and neutral lines stay near an even split.
const TEMPERATURE: f32 = 0.05;

/// Below this best similarity a line has no clear tone, and the reason says so.
const WEAK_SIMILARITY: f32 = 0.15;

/// One candidate moment: a time in the film and its text (dialogue line and/or scene description; may be empty).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Moment<'a> {
    pub time_s: f64,
    pub text: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct ZoneScores {
    pub beginning: f32,
    pub escalation: f32,
    pub climax: f32,
}

impl From<[f32; 3]> for ZoneScores {
    fn from([beginning, escalation, climax]: [f32; 3]) -> Self {
        ZoneScores {
            beginning,
            escalation,
            climax,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ZoneMatch {
    pub zone: Zone,
    /// The combined scores (see `W_POSITION`); the zone is the highest.
    pub scores: ZoneScores,
    /// The position prior alone.
    pub position: ZoneScores,
    /// Mean of the top-2 prototype similarities (model) or the count of zone words (fallback); none for empty text.
    pub meaning: Option<ZoneScores>,
    pub reason: String,
}

/// Built once per run; the prototypes are encoded once, the moments in one batched call.
pub(crate) struct ZoneMatcher {
    model: Option<(Embedder, [Vec<Vec<f32>>; 3])>,
}

impl ZoneMatcher {
    /// With the model, zones come from meaning and position; without it, from zone word lists and position.
    pub(crate) fn new(embedder: Option<Embedder>) -> Result<ZoneMatcher> {
        let model = match embedder {
            Some(e) => {
                let mut vectors = e.embed(&PROTOTYPES.concat())?.into_iter();
                let prototypes = PROTOTYPES.map(|texts| vectors.by_ref().take(texts.len()).collect());
                Some((e, prototypes))
            }
            None => None,
        };
        Ok(ZoneMatcher { model })
    }

    /// A one-line warning for the user when the matcher runs on word lists.
    pub(crate) fn warning(&self) -> Option<String> {
        self.model.is_none().then(|| {
            let dir = embed::expected_dir();
            format!("zone matching uses word lists: the sentence model {MODEL_NAME} is not in {dir}; {HOW_TO_GET}")
        })
    }

    /// One `ZoneMatch` per moment, in order.
    pub(crate) fn classify(&self, moments: &[Moment], anchors: &Anchors, story: Span) -> Result<Vec<ZoneMatch>> {
        let meanings: Vec<Option<[f32; 3]>> = match &self.model {
            Some((embedder, prototypes)) => {
                let texts: Vec<&str> = moments
                    .iter()
                    .map(|m| m.text.trim())
                    .filter(|t| !t.is_empty())
                    .collect();
                let mut vectors = embedder.embed(&texts)?.into_iter();
                moments
                    .iter()
                    .map(|m| {
                        (!m.text.trim().is_empty()).then(|| {
                            let v = vectors.next().expect("one vector per text");
                            [0, 1, 2].map(|z| top2_mean(&v, &prototypes[z]))
                        })
                    })
                    .collect()
            }
            None => moments.iter().map(|m| word_hits(m.text)).collect(),
        };
        let lexical = self.model.is_none();
        Ok(moments
            .iter()
            .zip(meanings)
            .map(|(m, meaning)| combine(m.time_s, anchors, story, meaning, lexical))
            .collect())
    }
}

fn top2_mean(v: &[f32], prototypes: &[Vec<f32>]) -> f32 {
    let (mut a, mut b) = (f32::MIN, f32::MIN);
    for p in prototypes {
        let s = embed::cosine(v, p);
        if s > a {
            (a, b) = (s, a);
        } else if s > b {
            b = s;
        }
    }
    (a + b) / 2.0
}

/// How many of each zone's stems the text contains; `None` when it has no words at all.
fn word_hits(text: &str) -> Option<[f32; 3]> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    if words.is_empty() {
        return None;
    }
    let matches = |w: &str, stem: &str| {
        w.strip_prefix(stem)
            .is_some_and(|rest| rest.is_empty() || SUFFIXES.contains(&rest))
    };
    Some([0, 1, 2].map(|z| words.iter().filter(|w| WORDS[z].iter().any(|s| matches(w, s))).count() as f32))
}

/// Position prior: each zone's share at time `t`, piecewise linear through these points (story times):
/// the middle of the beginning act (between `begin_t` and `escalation_t`) is all beginning, `escalation_t` is
/// half beginning / half escalation, the middle of the escalation act is all escalation, `climax_t` is half
/// escalation / half climax, and the middle of the climax act (to the end of the story) is all climax. Before
/// the first point it is all beginning, after the last all climax. Only neighbouring zones ever share.
pub(super) fn position_prior(t: f64, anchors: &Anchors, story: Span) -> [f32; 3] {
    // Anchors are validated upstream; sorting keeps a bad file from producing nonsense here.
    let mut a = [anchors.begin_t, anchors.escalation_t, anchors.climax_t];
    a.sort_by(f64::total_cmp);
    let [begin, escalation, climax] = a;
    let end = story.end_s.max(climax);
    let knots: [(f64, [f32; 3]); 5] = [
        ((begin + escalation) / 2.0, [1.0, 0.0, 0.0]),
        (escalation, [0.5, 0.5, 0.0]),
        ((escalation + climax) / 2.0, [0.0, 1.0, 0.0]),
        (climax, [0.0, 0.5, 0.5]),
        ((climax + end) / 2.0, [0.0, 0.0, 1.0]),
    ];
    if t <= knots[0].0 {
        return knots[0].1;
    }
    for pair in knots.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if t <= x1 {
            let f = if x1 > x0 { ((t - x0) / (x1 - x0)) as f32 } else { 1.0 };
            return [0, 1, 2].map(|z| y0[z] + f * (y1[z] - y0[z]));
        }
    }
    knots[4].1
}

/// Similarities (or word counts) → shares over the zones position allows (`allowed`), summing to 1 there and 0
/// elsewhere. Similarities go through a softmax (`TEMPERATURE`); word counts are their own proportions, and no
/// zone word at all means no opinion (an even split).
fn meaning_shares(meaning: [f32; 3], allowed: [bool; 3], lexical: bool) -> [f32; 3] {
    let weights = if lexical {
        let hits = [0, 1, 2].map(|z| if allowed[z] { meaning[z] } else { 0.0 });
        if hits.iter().sum::<f32>() > 0.0 {
            hits
        } else {
            allowed.map(f32::from)
        }
    } else {
        let max = (0..3)
            .filter(|&z| allowed[z])
            .map(|z| meaning[z])
            .fold(f32::MIN, f32::max);
        [0, 1, 2].map(|z| {
            if allowed[z] {
                ((meaning[z] - max) / TEMPERATURE).exp()
            } else {
                0.0
            }
        })
    };
    let total: f32 = weights.iter().sum();
    weights.map(|w| w / total)
}

fn combine(t: f64, anchors: &Anchors, story: Span, meaning: Option<[f32; 3]>, lexical: bool) -> ZoneMatch {
    let position = position_prior(t, anchors, story);
    let scores = match meaning {
        Some(m) => {
            let shares = meaning_shares(m, position.map(|p| p > 0.0), lexical);
            [0, 1, 2].map(|z| W_POSITION * position[z] + (1.0 - W_POSITION) * shares[z])
        }
        None => position,
    };
    // Highest score; a tie goes to the zone position favours.
    let best = (0..3)
        .max_by(|&a, &b| {
            scores[a]
                .total_cmp(&scores[b])
                .then(position[a].total_cmp(&position[b]))
        })
        .unwrap_or(0);
    ZoneMatch {
        zone: Zone::ALL[best],
        scores: scores.into(),
        position: position.into(),
        meaning: meaning.map(Into::into),
        reason: reason(t, anchors, story, position, meaning, lexical),
    }
}

fn reason(
    t: f64,
    anchors: &Anchors,
    story: Span,
    position: [f32; 3],
    meaning: Option<[f32; 3]>,
    lexical: bool,
) -> String {
    let length = (story.end_s - story.start_s).max(1e-9);
    let percent = ((t - story.start_s) / length * 100.0).clamp(0.0, 100.0);
    let place = if t < anchors.begin_t {
        "before the beginning anchor"
    } else if t < anchors.escalation_t {
        "between the beginning and escalation anchors"
    } else if t < anchors.climax_t {
        "between the escalation and climax anchors"
    } else {
        "after the climax anchor"
    };
    let place = format!("position {percent:.0}% of the story, {place}");
    let Some(m) = meaning else {
        return format!("{place}; no text, so position only");
    };
    let best = (0..3).max_by(|&a, &b| m[a].total_cmp(&m[b])).unwrap_or(0);
    let tone = Zone::ALL[best].sounds_like();
    // Say so when the text points at a zone the position does not allow, or the reason reads like a contradiction.
    let ruled_out = if position[best] > 0.0 {
        ""
    } else {
        ", too far from that act to move there"
    };
    if lexical {
        if m[best] == 0.0 {
            format!("{place}; no zone words in the text")
        } else {
            format!("{place}; words suggest {tone} ({} of them){ruled_out}", m[best])
        }
    } else if m[best] < WEAK_SIMILARITY {
        format!("{place}; text has no clear tone ({:.2})", m[best])
    } else {
        format!("{place}; text is closest to {tone} ({:.2}){ruled_out}", m[best])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANCHORS: Anchors = Anchors {
        begin_t: 60.0,
        escalation_t: 300.0,
        climax_t: 540.0,
    };
    const STORY: Span = Span {
        start_s: 20.0,
        end_s: 700.0,
    };

    fn zone_at(t: f64) -> Zone {
        combine(t, &ANCHORS, STORY, None, false).zone
    }

    #[test]
    fn position_alone_follows_the_anchors() {
        assert_eq!(zone_at(30.0), Zone::Beginning);
        assert_eq!(zone_at(299.0), Zone::Beginning);
        assert_eq!(zone_at(301.0), Zone::Escalation);
        assert_eq!(zone_at(539.0), Zone::Escalation);
        assert_eq!(zone_at(541.0), Zone::Climax);
        assert_eq!(zone_at(690.0), Zone::Climax);
    }

    #[test]
    fn the_prior_sums_to_one_and_only_neighbours_share() {
        for t in (0..800).step_by(7).map(f64::from) {
            let p = position_prior(t, &ANCHORS, STORY);
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5, "{t}: {p:?}");
            assert!(p[0] == 0.0 || p[2] == 0.0, "{t}: beginning and climax share: {p:?}");
        }
        assert_eq!(position_prior(ANCHORS.escalation_t, &ANCHORS, STORY), [0.5, 0.5, 0.0]);
        assert_eq!(position_prior(ANCHORS.climax_t, &ANCHORS, STORY), [0.0, 0.5, 0.5]);
        assert_eq!(position_prior(420.0, &ANCHORS, STORY), [0.0, 1.0, 0.0]);
    }

    #[test]
    fn moving_the_anchors_moves_the_zones() {
        let late = Anchors {
            begin_t: 100.0,
            escalation_t: 500.0,
            climax_t: 650.0,
        };
        let at = |t| combine(t, &late, STORY, None, false).zone;
        assert_eq!(at(400.0), Zone::Beginning);
        assert_eq!(at(600.0), Zone::Escalation);
        assert_eq!(zone_at(400.0), Zone::Escalation);
    }

    #[test]
    fn anchors_out_of_order_or_past_the_story_give_finite_scores() {
        let bad = Anchors {
            begin_t: 500.0,
            escalation_t: 100.0,
            climax_t: 900.0,
        };
        for t in [0.0, 100.0, 500.0, 899.0, 900.0, 1000.0] {
            let p = position_prior(t, &bad, STORY);
            assert!(
                p.iter().all(|x| x.is_finite()) && (p.iter().sum::<f32>() - 1.0).abs() < 1e-5,
                "{t}: {p:?}"
            );
        }
        let same = Anchors {
            begin_t: 300.0,
            escalation_t: 300.0,
            climax_t: 300.0,
        };
        assert_eq!(position_prior(299.0, &same, STORY)[0], 1.0);
        assert_eq!(position_prior(700.0, &same, STORY)[2], 1.0);
    }

    #[test]
    fn meaning_moves_a_line_only_near_the_neighbouring_act() {
        let climactic = Some([0.1, 0.2, 0.45]);
        // Just before the climax anchor: the line goes to the climax.
        assert_eq!(combine(520.0, &ANCHORS, STORY, climactic, false).zone, Zone::Climax);
        // Middle of the escalation act or minute 2: position wins.
        assert_eq!(combine(420.0, &ANCHORS, STORY, climactic, false).zone, Zone::Escalation);
        assert_eq!(combine(120.0, &ANCHORS, STORY, climactic, false).zone, Zone::Beginning);
        // At the escalation anchor only beginning and escalation are open: the line goes to the nearer of them.
        let at_anchor = combine(ANCHORS.escalation_t, &ANCHORS, STORY, climactic, false);
        assert_eq!(at_anchor.zone, Zone::Escalation);
        assert_eq!(at_anchor.scores.climax, 0.0);
        assert!(
            at_anchor.reason.contains("too far from that act"),
            "{}",
            at_anchor.reason
        );
    }

    #[test]
    fn at_half_weight_the_neighbour_wins_when_its_share_beats_the_position() {
        // 30 s before the climax anchor: position 0.625 escalation / 0.375 climax.
        let t = ANCHORS.climax_t - 30.0;
        assert_eq!(position_prior(t, &ANCHORS, STORY), [0.0, 0.625, 0.375]);
        // Similarity lead for climax of 0.025 → share e^0.5/(1+e^0.5) = 0.62 < 0.625: stays escalation.
        assert_eq!(
            combine(t, &ANCHORS, STORY, Some([0.0, 0.300, 0.325]), false).zone,
            Zone::Escalation
        );
        // Lead of 0.03 → share 0.646 > 0.625: climax.
        assert_eq!(
            combine(t, &ANCHORS, STORY, Some([0.0, 0.300, 0.330]), false).zone,
            Zone::Climax
        );
    }

    #[test]
    fn empty_text_is_position_only_and_says_so() {
        let matcher = ZoneMatcher::new(None).unwrap();
        let moments = [
            Moment {
                time_s: 600.0,
                text: "  ",
            },
            Moment {
                time_s: 100.0,
                text: "",
            },
        ];
        let out = matcher.classify(&moments, &ANCHORS, STORY).unwrap();
        assert_eq!(out[0].zone, Zone::Climax);
        assert_eq!(out[1].zone, Zone::Beginning);
        assert!(out[0].meaning.is_none());
        assert_eq!(out[0].scores, out[0].position);
        assert!(out[0].reason.contains("after the climax anchor") && out[0].reason.contains("position only"));
        assert!(out[0].reason.contains("85%"), "{}", out[0].reason);
    }

    #[test]
    fn the_lexical_fallback_matches_word_forms_and_warns() {
        assert_eq!(word_hits("They're fighting! The bomb exploded!"), Some([0.0, 0.0, 3.0]));
        assert_eq!(
            word_hits("Stay on your diet."),
            Some([0.0, 0.0, 0.0]),
            "diet is not die"
        );
        assert_eq!(
            word_hits("Hello, my name is Thom. Welcome home!"),
            Some([4.0, 0.0, 0.0])
        );
        assert_eq!(word_hits("...!"), None);

        let matcher = ZoneMatcher::new(None).unwrap();
        let warning = matcher.warning().unwrap();
        assert!(warning.contains("make models") && !warning.contains('\n'), "{warning}");
        // Next to the escalation anchor, the words decide; far from it, position does.
        let moments = [
            Moment {
                time_s: 310.0,
                text: "Hello, my name is Thom. Welcome home!",
            },
            Moment {
                time_s: 290.0,
                text: "Something is wrong, we are in danger, hurry!",
            },
            Moment {
                time_s: 420.0,
                text: "Hello, my name is Thom. Welcome home!",
            },
        ];
        let out = matcher.classify(&moments, &ANCHORS, STORY).unwrap();
        let zones: Vec<Zone> = out.iter().map(|m| m.zone).collect();
        assert_eq!(zones, [Zone::Beginning, Zone::Escalation, Zone::Escalation]);
        assert!(out[0].reason.contains("words suggest a setup"), "{}", out[0].reason);
    }

    #[test]
    fn zones_are_spelled_as_in_the_manifest() {
        assert_eq!(
            serde_json::to_string(&Zone::ALL).unwrap(),
            r#"["BEGINNING","ESCALATION","CLIMAX"]"#
        );
        let read: Vec<Zone> = serde_json::from_str(r#"["climax","BEGINNING"]"#).unwrap();
        assert_eq!(read, [Zone::Climax, Zone::Beginning]);
    }

    mod with_the_model {
        use super::*;

        fn matcher() -> ZoneMatcher {
            let Some(dir) = Embedder::locate() else {
                panic!("the sentence model is not in {}: {HOW_TO_GET}", embed::expected_dir());
            };
            ZoneMatcher::new(Some(Embedder::load(&dir).unwrap())).unwrap()
        }

        fn meaning(m: &ZoneMatcher, text: &str) -> [f32; 3] {
            let out = m.classify(&[Moment { time_s: 0.0, text }], &ANCHORS, STORY).unwrap();
            let s = out[0].meaning.unwrap();
            [s.beginning, s.escalation, s.climax]
        }

        #[test]
        fn lines_sound_like_their_zone() {
            let m = matcher();
            let s = meaning(&m, "We have to stop them before they destroy the city!");
            assert!(s[1].max(s[2]) > s[0], "a threat is not a setup: {s:?}");
            let s = meaning(&m, "My name is Thom, I grew up here.");
            assert!(s[0] > s[1] && s[0] > s[2], "an introduction is a beginning: {s:?}");
            let s = meaning(&m, "This is it. Our final stand. Everything ends tonight!");
            assert!(s[2] > s[0] && s[2] > s[1], "a last stand is a climax: {s:?}");
        }

        #[test]
        fn a_batch_of_moments_combines_meaning_with_position() {
            let m = matcher();
            assert!(m.warning().is_none());
            let moments = [
                Moment {
                    time_s: 30.0,
                    text: "Fire everything! This ends now!",
                },
                Moment {
                    time_s: 530.0,
                    text: "It all comes down to this, the final battle!",
                },
                Moment {
                    time_s: 310.0,
                    text: "Hi, I'm new here. Nice to meet you.",
                },
                Moment {
                    time_s: 450.0,
                    text: "",
                },
            ];
            let out = m.classify(&moments, &ANCHORS, STORY).unwrap();
            let zones: Vec<Zone> = out.iter().map(|m| m.zone).collect();
            assert_eq!(
                zones,
                [Zone::Beginning, Zone::Climax, Zone::Beginning, Zone::Escalation],
                "{out:#?}"
            );
            assert!(out[1].reason.contains("final confrontation"), "{}", out[1].reason);
        }
    }
}
