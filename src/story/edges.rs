//! Where a clip may start and end. Times are frames of the analysis grid (`shots.json`: the source's own rate),
//! so every clip is a whole number of frames. An edge `e` is the boundary before frame `e`.
//!
//! An edge is allowed when it is
//! - inside the usable part of the film (the story, without logos, credits and, by default, the ending);
//! - outside every subtitle cue widened by `CUE_MARGIN_S`, so a clip holds a line whole or not at all;
//! - on a cut, or at least `SLIVER_FRAMES` from the cuts on both sides, so no clip shows a few frames of a
//!   neighbouring shot (a flash frame);
//! - not inside a dissolve or a fade, which would open or close a clip on a blend of two shots;
//! - not inside the film's own text (`with_text`: credits, captions, its title), widened by `TEXT_MARGIN_S` and
//!   on to a shot boundary within `TEXT_REACH_S` (text fades in and out with its shot, a title on black, a
//!   caption over a new scene, before the measure finds it still); and a clip must not hold any of it either
//!   (`clear`), so no window reaches across it.

use crate::ingest::{DialogueEvent, Shot, TransitionKind};

/// No clip edge within this of a subtitle cue.
pub(crate) const CUE_MARGIN_S: f64 = 0.1;
/// No piece of a shot shorter than this at a clip's edge.
pub(super) const SLIVER_FRAMES: u64 = 6;
/// The film's own text is kept this far from any clip: a span's found edges may be up to half a proxy frame
/// inside its real ones, and text fades in and out.
pub(crate) const TEXT_MARGIN_S: f64 = 0.5;
/// A shot boundary this near a text span's edge is where the text's shot starts or ends: its fade is the text's.
pub(crate) const TEXT_REACH_S: f64 = 1.0;
/// Half the width of a dissolve or fade around its shot boundary.
const BLEND_S: f64 = 0.5;

/// The film's frame grid with the allowed edges, and lookups on it.
#[derive(Debug, Clone)]
pub struct Edges {
    pub fps: f64,
    pub offset_s: f64,
    /// Shots as frame ranges `[start, end)`, covering `0..frames`.
    shots: Vec<(u64, u64)>,
    allowed: Vec<bool>,
    /// Frame ranges `[start, end)` no clip may show (the film's text, widened), sorted.
    blocked: Vec<(u64, u64)>,
    /// For each edge, the nearest allowed edge at or after / at or before it (`u64::MAX` when none).
    next: Vec<u64>,
    prev: Vec<u64>,
}

impl Edges {
    /// `region` is the usable film span in seconds; `cues` every subtitle cue (sound descriptions too).
    pub fn new(
        fps: f64,
        offset_s: f64,
        frames: u64,
        shot_list: &[Shot],
        cues: &[DialogueEvent],
        region: (f64, f64),
    ) -> Edges {
        let shots: Vec<(u64, u64)> = if shot_list.is_empty() {
            vec![(0, frames)]
        } else {
            shot_list
                .iter()
                .map(|s| (s.start_frame, s.end_frame.min(frames)))
                .collect()
        };
        let n = frames as usize + 1;
        let frame_at = |t: f64| (t - offset_s) * fps;
        let mut allowed = vec![false; n];
        let lo = frame_at(region.0).ceil().max(0.0) as usize;
        let hi = (frame_at(region.1).floor().max(-1.0) as i64).min(frames as i64);
        if hi >= 0 {
            for a in allowed.iter_mut().take(hi as usize + 1).skip(lo) {
                *a = true;
            }
        }
        for &(s, e) in &shots {
            for f in s + 1..e {
                if f - s < SLIVER_FRAMES || e - f < SLIVER_FRAMES {
                    allowed[f as usize] = false;
                }
            }
        }
        // Edges strictly inside (from, to) seconds.
        let mut forbid = |from_s: f64, to_s: f64| {
            let a = (frame_at(from_s).floor() + 1.0).max(0.0) as i64;
            let b = (frame_at(to_s).ceil() - 1.0).min(frames as f64) as i64;
            for e in a..=b {
                allowed[e as usize] = false;
            }
        };
        for c in cues {
            forbid(c.start_s - CUE_MARGIN_S, c.end_s + CUE_MARGIN_S);
        }
        // Not on a blend of two shots: around the boundary of a dissolve or fade, the boundary itself included.
        let half = BLEND_S;
        for (s, &(start, _)) in shot_list.iter().zip(&shots) {
            if matches!(s.transition_in, TransitionKind::Dissolve | TransitionKind::Fade) {
                let t = offset_s + start as f64 / fps;
                forbid(t - half - 0.5 / fps, t + half + 0.5 / fps);
            }
        }
        let mut edges = Edges {
            fps,
            offset_s,
            shots,
            allowed,
            blocked: vec![],
            next: vec![],
            prev: vec![],
        };
        edges.index();
        edges
    }

    /// No clip may show any of `spans` (film seconds), each widened by `TEXT_MARGIN_S` and on to a shot boundary
    /// within `TEXT_REACH_S`: their edges are forbidden and `clear` refuses a window across them.
    pub(crate) fn with_text(mut self, spans: impl IntoIterator<Item = (f64, f64)>) -> Edges {
        let last = self.frames();
        let reach = (TEXT_REACH_S * self.fps).round() as u64;
        for (a, b) in spans {
            let from = (((a - TEXT_MARGIN_S - self.offset_s) * self.fps).floor().max(0.0) as u64).min(last);
            let to = (((b + TEXT_MARGIN_S - self.offset_s) * self.fps).ceil().max(0.0) as u64).min(last);
            let (a, b) = (
                ((a - self.offset_s) * self.fps).max(0.0) as u64,
                ((b - self.offset_s) * self.fps).max(0.0) as u64,
            );
            let from = self
                .shots
                .iter()
                .map(|&(s, _)| s)
                .filter(|&s| s <= from && s + reach >= a)
                .min()
                .unwrap_or(from);
            let to = self
                .shots
                .iter()
                .map(|&(_, e)| e)
                .filter(|&e| e >= to && e <= b + reach)
                .max()
                .unwrap_or(to);
            if to <= from {
                continue;
            }
            for e in from + 1..to {
                self.allowed[e as usize] = false;
            }
            self.blocked.push((from, to));
        }
        self.blocked.sort_unstable();
        self.index();
        self
    }

    /// Whether a clip `[a, b)` shows none of the film's own text.
    pub fn clear(&self, a: u64, b: u64) -> bool {
        !self.blocked.iter().any(|&(s, e)| a < e && b > s)
    }

    /// The nearest frame at or before `f` where the film's text ends (0 when none): a crossfade's handle before
    /// a clip starting at `f` stops there.
    pub fn text_before(&self, f: u64) -> u64 {
        self.blocked
            .iter()
            .map(|&(_, e)| e)
            .filter(|&e| e <= f)
            .max()
            .unwrap_or(0)
    }

    /// The nearest frame at or after `f` where the film's text starts (the last frame when none).
    pub fn text_after(&self, f: u64) -> u64 {
        self.blocked
            .iter()
            .map(|&(s, _)| s)
            .filter(|&s| s >= f)
            .min()
            .unwrap_or(self.frames())
    }

    fn index(&mut self) {
        let n = self.allowed.len();
        self.next = vec![u64::MAX; n];
        self.prev = vec![u64::MAX; n];
        let mut last = u64::MAX;
        for e in 0..n {
            if self.allowed[e] {
                last = e as u64;
            }
            self.prev[e] = last;
        }
        last = u64::MAX;
        for e in (0..n).rev() {
            if self.allowed[e] {
                last = e as u64;
            }
            self.next[e] = last;
        }
    }

    pub fn frames(&self) -> u64 {
        self.allowed.len() as u64 - 1
    }

    pub fn allowed(&self, e: u64) -> bool {
        self.allowed.get(e as usize).copied().unwrap_or(false)
    }

    /// Nearest allowed edge at or after `e`.
    pub fn next(&self, e: u64) -> Option<u64> {
        self.next.get(e as usize).copied().filter(|&x| x != u64::MAX)
    }

    /// Nearest allowed edge at or before `e`.
    pub fn prev(&self, e: u64) -> Option<u64> {
        let e = e.min(self.frames());
        self.prev.get(e as usize).copied().filter(|&x| x != u64::MAX)
    }

    pub fn time(&self, e: u64) -> f64 {
        self.offset_s + e as f64 / self.fps
    }

    /// The edge nearest to film time `t` (not necessarily allowed).
    pub fn frame(&self, t: f64) -> u64 {
        (((t - self.offset_s) * self.fps).round().max(0.0) as u64).min(self.frames())
    }

    pub fn frames_for(&self, secs: f64) -> u64 {
        (secs * self.fps).round().max(1.0) as u64
    }

    /// Index of the shot holding frame `f`.
    pub fn shot_of(&self, f: u64) -> usize {
        self.shots
            .partition_point(|&(_, end)| end <= f)
            .min(self.shots.len() - 1)
    }

    pub fn shot(&self, i: usize) -> (u64, u64) {
        self.shots[i]
    }

    /// Shots a clip `[a, b)` shows.
    pub fn shots_in(&self, a: u64, b: u64) -> std::ops::RangeInclusive<usize> {
        self.shot_of(a)..=self.shot_of(b.saturating_sub(1).max(a))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Emotion;

    fn shot(id: usize, a: u64, b: u64, kind: TransitionKind) -> Shot {
        Shot {
            id,
            start_frame: a,
            end_frame: b,
            start_s: a as f64 / 24.0,
            end_s: b as f64 / 24.0,
            transition_in: kind,
        }
    }

    fn cue(a: f64, b: f64) -> DialogueEvent {
        DialogueEvent {
            start_s: a,
            end_s: b,
            text: "line".into(),
            speaker: None,
            emotion: Emotion::Neutral,
            sound_cue: false,
        }
    }

    #[test]
    fn cues_cuts_and_the_region_forbid_edges() {
        let shots = [
            shot(0, 0, 100, TransitionKind::Start),
            shot(1, 100, 240, TransitionKind::Cut),
        ];
        // A cue from 2.0 to 3.0 s forbids edges in (1.9, 3.1) s = frames 46..=74 at 24 fps.
        let e = Edges::new(24.0, 0.0, 240, &shots, &[cue(2.0, 3.0)], (0.5, 9.0));
        assert!(!e.allowed(11) && e.allowed(12), "region starts at 0.5 s = frame 12");
        assert!(e.allowed(45) && !e.allowed(46) && !e.allowed(74) && e.allowed(75));
        // Cut at 100: 95..=99 and 101..=105 are slivers, 100 itself is fine.
        assert!(e.allowed(94) && !e.allowed(95) && !e.allowed(99) && e.allowed(100));
        assert!(!e.allowed(105) && e.allowed(106));
        assert!(e.allowed(216) && !e.allowed(217), "region ends at 9.0 s = frame 216");
        assert_eq!(e.next(46), Some(75));
        assert_eq!(e.prev(74), Some(45));
        assert_eq!(e.shot_of(99), 0);
        assert_eq!(e.shot_of(100), 1);
        assert_eq!(e.shots_in(90, 100), 0..=0);
        assert_eq!(e.shots_in(90, 101), 0..=1);
    }

    #[test]
    fn the_films_text_forbids_edges_and_windows_across_it() {
        let shots = [shot(0, 0, 240, TransitionKind::Start)];
        // Text at 4.0–5.0 s, widened to 3.5–5.5 s: frames 84..132 at 24 fps.
        let e = Edges::new(24.0, 0.0, 240, &shots, &[], (0.0, 10.0)).with_text([(4.0, 5.0)]);
        assert!(e.allowed(84) && !e.allowed(85) && !e.allowed(131) && e.allowed(132));
        assert!(e.clear(10, 84) && e.clear(132, 200));
        assert!(!e.clear(10, 85) && !e.clear(60, 150), "a window across the text");
        assert_eq!((e.text_before(150), e.text_before(100)), (132, 0));
        assert_eq!((e.text_after(20), e.text_after(140)), (84, 240));
    }

    #[test]
    fn text_reaches_to_the_cut_of_its_shot() {
        // A title seen still from 4.9 s in a shot that starts at 100 (4.17 s) and ends at 150 (6.25 s), text
        // until 5.5 s: the shot's start is within 1 s of the text, its end is not.
        let shots = [
            shot(0, 0, 100, TransitionKind::Start),
            shot(1, 100, 150, TransitionKind::Fade),
            shot(2, 150, 240, TransitionKind::Cut),
        ];
        let e = Edges::new(24.0, 0.0, 240, &shots, &[], (0.0, 10.0)).with_text([(4.9, 5.0)]);
        assert!(
            e.clear(10, 100) && !e.clear(10, 101),
            "the fade-in before the text is its"
        );
        assert!(!e.clear(131, 200) && e.clear(132, 200));
    }

    #[test]
    fn dissolves_forbid_edges_around_them() {
        let shots = [
            shot(0, 0, 100, TransitionKind::Start),
            shot(1, 100, 240, TransitionKind::Dissolve),
        ];
        let e = Edges::new(24.0, 0.0, 240, &shots, &[], (0.0, 10.0));
        assert!(e.allowed(87) && !e.allowed(88) && !e.allowed(100) && !e.allowed(112) && e.allowed(113));
    }
}
