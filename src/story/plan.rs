//! How long the trailer is and how its time splits into acts: the length preset, the silence beat, the title
//! card, and for each act its time, its number of clips and how many of them carry a line. Pure arithmetic.
//!
//! The order is fixed: cold open → act 1 → act 2 → silence → act 3 → title card → button. The cold open and the
//! button are one clip each; acts 1–3 share the rest. Clip counts follow from each act's time and the vibe's
//! average cut length, so the mean cut length is the vibe's in every act and falls from act to act.

use serde::{Deserialize, Serialize};

use super::vibes::Vibe;

/// `--length`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Length {
    /// The vibe's default, about two minutes.
    Trailer,
    Teaser,
    Spot,
    Seconds(f64),
}

pub(super) const TEASER_S: f64 = 60.0;
pub(super) const SPOT_S: f64 = 30.0;
/// Shortest and longest `--length SECONDS`: below 15 s there is no room for the acts, the silence and the card.
pub(crate) const MIN_LENGTH_S: f64 = 15.0;
pub(super) const MAX_LENGTH_S: f64 = 600.0;
/// The chosen clips, silence and title card add up to the target within this share.
pub(super) const LENGTH_TOLERANCE: f64 = 0.03;

impl Length {
    pub fn parse(s: &str) -> Result<Length, String> {
        let t = s.trim().to_ascii_lowercase();
        match t.as_str() {
            "trailer" => return Ok(Length::Trailer),
            "teaser" => return Ok(Length::Teaser),
            "spot" => return Ok(Length::Spot),
            _ => {}
        }
        let secs = t.strip_suffix('s').unwrap_or(&t).trim();
        match secs.parse::<f64>() {
            Ok(x) if (MIN_LENGTH_S..=MAX_LENGTH_S).contains(&x) => Ok(Length::Seconds(x)),
            Ok(x) => Err(format!(
                "{x} s is outside {MIN_LENGTH_S}–{MAX_LENGTH_S} s; pick a length in that range"
            )),
            Err(_) => Err(format!(
                "'{s}' is not a length; use trailer (the vibe's default, about 2 min), teaser (60 s), spot (30 s) or \
                 a number of seconds"
            )),
        }
    }

    pub fn target_s(self, vibe: &Vibe) -> f64 {
        match self {
            Length::Trailer => vibe.default_length_s as f64,
            Length::Teaser => TEASER_S,
            Length::Spot => SPOT_S,
            Length::Seconds(s) => s,
        }
    }

    pub fn name(self) -> String {
        match self {
            Length::Trailer => "trailer".into(),
            Length::Teaser => "teaser".into(),
            Length::Spot => "spot".into(),
            Length::Seconds(s) => format!("{s} s"),
        }
    }
}

/// Time shares of acts 1, 2 and 3 in the body (the clips between the cold open and the button): the first act
/// sets up, the second is the longest, the montage is short and dense.
const ACT_SHARES: [f64; 3] = [0.36, 0.38, 0.26];
/// Bounds for moving time between act 1 and act 3 to keep the clip count in the vibe's range.
const ACT1_SHARE: (f64, f64) = (0.30, 0.46);
const ACT3_SHARE: (f64, f64) = (0.15, 0.30);

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct ActPlan {
    pub time_s: f64,
    pub clips: usize,
    /// Of `clips`, how many carry a spoken line with the film's sound.
    pub lines: usize,
}

impl ActPlan {
    pub(super) fn mean_cut_s(&self) -> f64 {
        self.time_s / self.clips.max(1) as f64
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Plan {
    pub target_s: f64,
    pub silence_s: f64,
    pub title_s: f64,
    pub cold_open_s: f64,
    pub button_s: f64,
    /// Acts 1, 2 and 3.
    pub acts: [ActPlan; 3],
    /// Whether the cold open and the button are lines of dialogue, when the film has good ones.
    pub cold_open_line: bool,
    pub button_line: bool,
}

impl Plan {
    pub(super) fn new(vibe: &Vibe, target_s: f64) -> Plan {
        // Short formats keep every part, smaller: the silence beat never under 3 s, the card never under 2.5 s.
        let silence_s = (vibe.silence_s as f64).min((0.06 * target_s).max(3.0));
        let title_s = (vibe.title_card.duration_s() as f64).min((0.08 * target_s).max(2.5));
        let clip_s = target_s - silence_s - title_s;
        let cut = vibe.cut_s.map(|c| c as f64);
        let cold_open_s = (0.06 * clip_s).clamp(1.5, cut[0]);
        let button_s = (0.04 * clip_s).clamp(1.0, 3.0);
        let body = clip_s - cold_open_s - button_s;

        let mut shares = ACT_SHARES;
        let count = |s: &[f64; 3]| (0..3).map(|a| body * s[a] / cut[a]).sum::<f64>() + 2.0;
        // The vibe's clip range is for its default length; scaled to this one it shapes how much time the dense
        // act 3 gets. Moving δ seconds from act 3 to act 1 removes δ(1/c3 − 1/c1) clips.
        let scale = target_s / vibe.default_length_s as f64;
        let (lo, hi) = (vibe.clips.0 as f64 * scale, vibe.clips.1 as f64 * scale);
        let per_s = 1.0 / cut[2] - 1.0 / cut[0];
        let n = count(&shares);
        let delta = if n > hi {
            ((n - hi) / per_s / body)
                .min(shares[2] - ACT3_SHARE.0)
                .min(ACT1_SHARE.1 - shares[0])
        } else if n < lo {
            -((lo - n) / per_s / body)
                .min(ACT3_SHARE.1 - shares[2])
                .min(shares[0] - ACT1_SHARE.0)
        } else {
            0.0
        };
        shares[0] += delta;
        shares[2] -= delta;

        let times = shares.map(|s| body * s);
        let mut clips = [0, 1, 2].map(|a| ((times[a] / cut[a]).round() as usize).max(1));
        // Rounding must not undo the falling cut length: act 2's mean below act 1's, act 3's below act 2's.
        for a in 1..3 {
            while times[a] / clips[a] as f64 >= times[a - 1] / clips[a - 1] as f64 {
                clips[a] += 1;
            }
        }

        // Lines: the vibe's share of all clips, the cold open and the button first (a trailer opens on a line and
        // ends on one), the rest spread over the acts by the vibe's weights.
        let total = clips.iter().sum::<usize>() + 2;
        let mut lines = (vibe.dialogue_ratio as f64 * total as f64).round() as usize;
        let cold_open_line = lines >= 1;
        let button_line = lines >= 2;
        lines = lines.saturating_sub(cold_open_line as usize + button_line as usize);
        let weights: Vec<f64> = (0..3).map(|a| vibe.act_dialogue[a] as f64 * clips[a] as f64).collect();
        // Every act keeps at least one picture: lines run as long as they run, and the pictures take up the rest
        // of the act's time.
        let caps = clips.map(|c| c - 1);
        let per_act = apportion(lines, &weights, &caps);

        let acts = [0, 1, 2].map(|a| ActPlan {
            time_s: times[a],
            clips: clips[a],
            lines: per_act[a],
        });
        Plan {
            target_s,
            silence_s,
            title_s,
            cold_open_s,
            button_s,
            acts,
            cold_open_line,
            button_line,
        }
    }

    #[cfg(test)]
    fn clip_count(&self) -> usize {
        self.acts.iter().map(|a| a.clips).sum::<usize>() + 2
    }

    pub(super) fn lines(&self) -> usize {
        self.acts.iter().map(|a| a.lines).sum::<usize>() + self.cold_open_line as usize + self.button_line as usize
    }
}

/// Split `n` in proportion to `weights` (largest remainders), none over its `cap`.
fn apportion(n: usize, weights: &[f64], caps: &[usize]) -> Vec<usize> {
    let mut out = vec![0; weights.len()];
    let n = n.min(caps.iter().sum());
    for _ in 0..n {
        // Next unit to the act furthest below its share.
        let given: usize = out.iter().sum();
        let total_w: f64 = weights.iter().sum::<f64>().max(f64::MIN_POSITIVE);
        let best = (0..weights.len()).filter(|&i| out[i] < caps[i]).max_by(|&i, &j| {
            let need = |k: usize| weights[k] / total_w * (given + 1) as f64 - out[k] as f64;
            need(i).total_cmp(&need(j)).then(j.cmp(&i))
        });
        match best {
            Some(i) => out[i] += 1,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::VIBES;

    #[test]
    fn presets_and_seconds_parse() {
        assert_eq!(Length::parse("Trailer"), Ok(Length::Trailer));
        assert_eq!(Length::parse("teaser"), Ok(Length::Teaser));
        assert_eq!(Length::parse(" spot "), Ok(Length::Spot));
        assert_eq!(Length::parse("90"), Ok(Length::Seconds(90.0)));
        assert_eq!(Length::parse("45.5s"), Ok(Length::Seconds(45.5)));
        assert!(Length::parse("5").unwrap_err().contains("outside"));
        assert!(Length::parse("long").unwrap_err().contains("teaser (60 s)"));
    }

    #[test]
    fn defaults_are_about_two_minutes_and_never_over_two_thirty() {
        for v in &VIBES {
            let t = Length::Trailer.target_s(v);
            assert!((105.0..=150.0).contains(&t), "{}: {t}", v.name);
            assert!((3.0..=5.0).contains(&v.silence_s), "{}", v.name);
        }
    }

    #[test]
    fn every_vibe_and_preset_adds_up_with_falling_cut_lengths() {
        for v in &VIBES {
            for len in [Length::Trailer, Length::Teaser, Length::Spot, Length::Seconds(15.0)] {
                let p = Plan::new(v, len.target_s(v));
                let sum =
                    p.silence_s + p.title_s + p.cold_open_s + p.button_s + p.acts.iter().map(|a| a.time_s).sum::<f64>();
                assert!((sum - p.target_s).abs() < 1e-9, "{} {len:?}", v.name);
                let means = p.acts.clone().map(|a| a.mean_cut_s());
                assert!(
                    means[0] > means[1] && means[1] > means[2],
                    "{} {len:?}: {means:?}",
                    v.name
                );
                assert!(p.acts.iter().all(|a| a.lines < a.clips && a.time_s > 0.0));
                assert!((3.0..=5.0).contains(&p.silence_s));
            }
        }
    }

    #[test]
    fn cut_lengths_are_the_vibes_at_full_length() {
        for v in &VIBES {
            let p = Plan::new(v, v.default_length_s as f64);
            for a in 0..3 {
                let (mean, want) = (p.acts[a].mean_cut_s(), v.cut_s[a] as f64);
                assert!(
                    (mean - want).abs() / want < 0.3,
                    "{} act {}: {mean} vs {want}",
                    v.name,
                    a + 1
                );
            }
        }
    }

    #[test]
    fn lines_follow_the_dialogue_ratio_and_the_act_weights() {
        for v in &VIBES {
            let p = Plan::new(v, v.default_length_s as f64);
            let want = v.dialogue_ratio as f64 * p.clip_count() as f64;
            assert!(
                (p.lines() as f64 - want).abs() <= 1.0,
                "{}: {} vs {want}",
                v.name,
                p.lines()
            );
            // Per clip, act 1 carries at least as much dialogue as act 3 in every vibe.
            let per_clip = |a: usize| p.acts[a].lines as f64 / p.acts[a].clips as f64;
            assert!(per_clip(0) >= per_clip(2), "{}", v.name);
        }
        let comedy = Plan::new(crate::story::Vibe::parse("comedy").unwrap(), 120.0);
        let action = Plan::new(crate::story::Vibe::parse("action").unwrap(), 120.0);
        let share = |p: &Plan| p.lines() as f64 / p.clip_count() as f64;
        assert!(share(&comedy) > 2.0 * share(&action));
    }

    #[test]
    fn the_clip_range_moves_time_out_of_act_3_when_the_count_runs_high() {
        let action = crate::story::Vibe::parse("action").unwrap();
        let p = Plan::new(action, 120.0);
        assert!(p.acts[2].time_s < 0.26 * (p.acts.iter().map(|a| a.time_s).sum::<f64>()));
    }

    #[test]
    fn apportion_respects_caps_and_weights() {
        assert_eq!(apportion(5, &[2.0, 1.0, 0.0], &[10, 10, 10]), vec![3, 2, 0]);
        assert_eq!(apportion(5, &[1.0, 1.0, 1.0], &[1, 1, 1]), vec![1, 1, 1]);
        assert_eq!(apportion(0, &[1.0], &[3]), vec![0]);
    }
}
