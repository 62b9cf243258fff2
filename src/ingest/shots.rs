//! Shot boundaries from the analysis frames, streaming: a bounded window of descriptors, never the whole film.
//!
//! Three detectors over the same frames, each small:
//! - **hard cuts**: the content distance to the previous frame is high both absolutely and relative to the
//!   frames around it (adaptive, so fast motion alone does not cut), and the picture does not return to the
//!   old content within a few frames (that would be a flash: lightning, a muzzle flash, a camera flash);
//! - **dissolves**: the colour distribution half a second either side of a point differs a lot, while each flank
//!   stays steady and changes more slowly than the window does (a pan or a slow drift of the light changes at
//!   one pace throughout; motion inside a shot barely moves the colour histogram at all);
//! - **fades**: a run of black frames between two pieces of picture; the boundary is its middle.
//!
//! Candidates closer than the minimum shot length are merged, keeping the strongest.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::signals::Descriptor;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct ShotSettings {
    /// Content distance (0–1) a hard cut must reach.
    pub cut_threshold: f32,
    /// …and how many times the neighbouring frames' distance it must be.
    pub cut_ratio: f32,
    /// Distance across a dissolve window (0–1).
    pub dissolve_threshold: f32,
    /// A frame is black when its mean luma (0–1) is below this…
    pub black_brightness: f32,
    /// …and it is flat (luma standard deviation below this): a dark scene with detail is not black.
    pub black_contrast: f32,
    /// Shorter shots are merged into their neighbours.
    pub min_shot_s: f64,
    /// Half the dissolve window.
    pub dissolve_half_window_s: f64,
}

impl Default for ShotSettings {
    fn default() -> Self {
        ShotSettings {
            cut_threshold: 0.25,
            cut_ratio: 2.5,
            dissolve_threshold: 0.30,
            black_brightness: 0.06,
            black_contrast: 0.04,
            min_shot_s: 0.5,
            dissolve_half_window_s: 0.5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// The film's first shot.
    Start,
    Cut,
    Dissolve,
    Fade,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shot {
    pub id: usize,
    pub start_frame: u64,
    /// Exclusive.
    pub end_frame: u64,
    pub start_s: f64,
    pub end_s: f64,
    /// How this shot begins.
    pub transition_in: TransitionKind,
}

#[cfg(test)]
impl Shot {
    /// For tests: the shot from `a` to `b` seconds of a 24 fps film, cut in (the first one starts the film).
    pub(crate) fn at_24fps(id: usize, a: f64, b: f64) -> Shot {
        Shot {
            id,
            start_frame: (a * 24.0) as u64,
            end_frame: (b * 24.0) as u64,
            start_s: a,
            end_s: b,
            transition_in: if id == 0 {
                TransitionKind::Start
            } else {
                TransitionKind::Cut
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
struct Boundary {
    frame: u64,
    kind: TransitionKind,
    strength: f32,
}

struct Entry {
    desc: Descriptor,
    /// Distance to the previous frame.
    d1: f32,
    /// Colour-histogram distance to the previous frame.
    h1: f32,
}

/// Frames a hard cut waits for, to see whether the picture comes back (a flash).
const FLASH_LOOKAHEAD: u64 = 4;
/// Frames either side a cut is compared with.
const CUT_NEIGHBOURS: u64 = 3;
/// How close to a black run a cut is taken as that fade's ramp.
const FADE_RAMP_S: f64 = 0.6;

pub(super) struct ShotDetector {
    s: ShotSettings,
    fps: f64,
    half: u64,
    ring: VecDeque<Entry>,
    first: u64,
    next: u64,
    candidates: Vec<Boundary>,
    black_start: Option<u64>,
    seen_picture: bool,
    /// Qualifying dissolve centres so far: (first, last, strongest distance).
    dissolve_run: Option<(u64, u64, f32)>,
    /// Every black run (first frame, first frame after), including those at the film's ends.
    black_runs: Vec<(u64, u64)>,
}

impl ShotDetector {
    pub(super) fn new(settings: ShotSettings, fps: f64) -> Self {
        let half = ((settings.dissolve_half_window_s * fps).round() as u64).max(2);
        ShotDetector {
            s: settings,
            fps,
            half,
            ring: VecDeque::with_capacity((3 * half + 2) as usize),
            first: 0,
            next: 0,
            candidates: Vec::new(),
            black_start: None,
            seen_picture: false,
            dissolve_run: None,
            black_runs: Vec::new(),
        }
    }

    fn entry(&self, frame: u64) -> Option<&Entry> {
        frame.checked_sub(self.first).and_then(|i| self.ring.get(i as usize))
    }

    fn d1(&self, frame: u64) -> Option<f32> {
        self.entry(frame).map(|e| e.d1)
    }

    fn hist_distance(&self, a: u64, b: u64) -> Option<f32> {
        Some(self.entry(a)?.desc.hist_distance(&self.entry(b)?.desc))
    }

    /// Mean frame-to-frame colour change over `from..=to`.
    fn mean_h1(&self, from: u64, to: u64) -> Option<f32> {
        let v: Vec<f32> = (from..=to)
            .map(|f| self.entry(f).map(|e| e.h1))
            .collect::<Option<_>>()?;
        Some(v.iter().sum::<f32>() / v.len().max(1) as f32)
    }

    /// Feed the next frame; returns its distance to the previous frame (the stored `cut_score`).
    pub(super) fn push(&mut self, desc: Descriptor) -> f32 {
        let frame = self.next;
        let (d1, h1) = self.ring.back().map_or((0.0, 0.0), |prev| {
            (prev.desc.distance(&desc), prev.desc.hist_distance(&desc))
        });
        let black = desc.brightness < self.s.black_brightness && desc.contrast < self.s.black_contrast;
        self.track_black(frame, black);
        self.ring.push_back(Entry { desc, d1, h1 });
        self.next += 1;
        let cap = (3 * self.half + 2).max(2 * CUT_NEIGHBOURS + FLASH_LOOKAHEAD + 2) as usize;
        while self.ring.len() > cap {
            self.ring.pop_front();
            self.first += 1;
        }
        if let Some(k) = frame.checked_sub(FLASH_LOOKAHEAD) {
            self.check_cut(k);
        }
        if let Some(c) = frame.checked_sub(self.half + self.half / 2) {
            self.check_dissolve(c);
        }
        d1
    }

    fn track_black(&mut self, frame: u64, black: bool) {
        match (black, self.black_start) {
            (true, None) => self.black_start = Some(frame),
            (false, Some(start)) => {
                self.black_runs.push((start, frame));
                // Black between two pieces of picture: a fade (or a cut to black and back).
                if self.seen_picture {
                    self.candidates.push(Boundary {
                        frame: (start + frame).div_ceil(2),
                        kind: TransitionKind::Fade,
                        strength: 1.0,
                    });
                }
                self.black_start = None;
            }
            _ => {}
        }
        if !black {
            self.seen_picture = true;
        }
    }

    fn check_cut(&mut self, k: u64) {
        let Some(dk) = self.d1(k) else { return };
        if k == 0 || dk < self.s.cut_threshold {
            return;
        }
        // The median of the neighbours, so a second cut a few frames away does not hide this one.
        let mut around: Vec<f32> = (k.saturating_sub(CUT_NEIGHBOURS)..=k + CUT_NEIGHBOURS)
            .filter(|f| *f != k)
            .filter_map(|f| self.d1(f))
            .collect();
        around.sort_by(f32::total_cmp);
        let typical = around.get(around.len() / 2).copied().unwrap_or(0.0);
        if dk < self.s.cut_ratio * typical.max(0.02) {
            return;
        }
        let (Some(prev), Some(cur)) = (self.entry(k - 1), self.entry(k)) else {
            return;
        };
        // A flash: the picture comes back to what it was, soon after (seen from either side of the jump).
        let returns = (k + 1..=k + FLASH_LOOKAHEAD)
            .filter_map(|m| self.entry(m))
            .any(|e| prev.desc.distance(&e.desc) < 0.4 * dk);
        let came_back = (k.saturating_sub(FLASH_LOOKAHEAD + 1)..k - 1)
            .filter_map(|m| self.entry(m))
            .any(|e| cur.desc.distance(&e.desc) < 0.4 * dk);
        if !returns && !came_back {
            self.candidates.push(Boundary {
                frame: k,
                kind: TransitionKind::Cut,
                strength: dk,
            });
        }
    }

    fn check_dissolve(&mut self, c: u64) {
        match self.dissolve_strength(c) {
            // Consecutive centres all qualify; the boundary is the middle of the run.
            Some(strength) => match &mut self.dissolve_run {
                Some(run) if c <= run.1 + 1 => {
                    run.1 = c;
                    run.2 = run.2.max(strength);
                }
                _ => {
                    self.flush_dissolve();
                    self.dissolve_run = Some((c, c, strength));
                }
            },
            None => self.flush_dissolve(),
        }
    }

    fn flush_dissolve(&mut self) {
        if let Some((first, last, strength)) = self.dissolve_run.take() {
            self.candidates.push(Boundary {
                frame: (first + last).div_ceil(2),
                kind: TransitionKind::Dissolve,
                strength,
            });
        }
    }

    /// `Some(distance across)` when a dissolve is centred on frame `c`.
    fn dissolve_strength(&self, c: u64) -> Option<f32> {
        let h = self.half;
        let a = self.entry(c.checked_sub(h)?)?;
        let b = self.entry(c + h)?;
        let black = self.s.black_brightness;
        if a.desc.brightness < black || b.desc.brightness < black {
            return None; // fades are found from their black frames
        }
        let across = a.desc.hist_distance(&b.desc);
        if across < self.s.dissolve_threshold {
            return None;
        }
        // The cut detector (4 frames behind the input) has already judged this window; a cut there owns it.
        let cut_inside = self
            .candidates
            .iter()
            .rev()
            .take_while(|b| b.frame > c - h)
            .any(|b| b.kind == TransitionKind::Cut && b.frame <= c + h);
        if cut_inside {
            return None;
        }
        let flank_start = (c - h).checked_sub(h / 2)?;
        let left = self.hist_distance(flank_start, c - h)?;
        let right = self.hist_distance(c + h, c + h + h / 2)?;
        if left.max(right) > 0.2 * across {
            return None;
        }
        // A dissolve changes the colours faster than the shots either side of it do; a slow drift (a sunset,
        // a fading light) changes them at the same pace throughout.
        let inside = self.mean_h1(c - h + 1, c + h)?;
        let flanks = self
            .mean_h1(flank_start + 1, c - h)?
            .max(self.mean_h1(c + h + 1, c + h + h / 2)?);
        (inside >= 2.0 * flanks.max(0.002)).then_some(across)
    }

    /// The shots, once every frame has been pushed. `offset_s` is the film time of frame 0.
    pub(super) fn finish(mut self, offset_s: f64) -> Vec<Shot> {
        let total = self.next;
        for k in total.saturating_sub(FLASH_LOOKAHEAD)..total {
            self.check_cut(k);
        }
        self.flush_dissolve();
        if let Some(start) = self.black_start {
            self.black_runs.push((start, total));
        }
        // The ramp into or out of black is often quick enough to look like a cut; it belongs to the fade.
        let ramp = (FADE_RAMP_S * self.fps).round() as u64;
        let runs = std::mem::take(&mut self.black_runs);
        self.candidates.retain(|b| {
            b.kind == TransitionKind::Fade || !runs.iter().any(|&(s, e)| b.frame + ramp >= s && b.frame <= e + ramp)
        });
        let min_frames = (self.s.min_shot_s * self.fps).round().max(1.0) as u64;
        let boundaries = merge_close(self.candidates, min_frames, total);
        shots_from(&boundaries, total, self.fps, offset_s)
    }
}

/// Sort, then keep the strongest of any candidates closer than `min_frames` (fades win ties: a black run is
/// unambiguous), and drop boundaries that would leave a sliver at either end of the film.
fn merge_close(mut c: Vec<Boundary>, min_frames: u64, total: u64) -> Vec<Boundary> {
    c.sort_by_key(|b| b.frame);
    let mut out: Vec<Boundary> = Vec::new();
    for b in c {
        if b.frame < min_frames || b.frame + min_frames > total {
            continue;
        }
        match out.last_mut() {
            Some(last) if b.frame - last.frame < min_frames => {
                let rank = |x: &Boundary| (x.kind == TransitionKind::Fade, x.strength);
                if rank(&b) > rank(last) {
                    *last = b;
                }
            }
            _ => out.push(b),
        }
    }
    out
}

fn shots_from(boundaries: &[Boundary], total: u64, fps: f64, offset_s: f64) -> Vec<Shot> {
    let mut starts = vec![(0u64, TransitionKind::Start)];
    starts.extend(boundaries.iter().map(|b| (b.frame, b.kind)));
    starts
        .iter()
        .enumerate()
        .filter(|(_, (f, _))| *f < total)
        .map(|(id, &(start, kind))| {
            let end = starts.get(id + 1).map_or(total, |n| n.0);
            Shot {
                id,
                start_frame: start,
                end_frame: end,
                start_s: offset_s + start as f64 / fps,
                end_s: offset_s + end as f64 / fps,
                transition_in: kind,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::signals::analyse_frame;

    const W: usize = 32;
    const H: usize = 18;

    /// A textured frame whose colour and pattern depend on `scene`, shifted by `t` (motion).
    fn frame(scene: u32, t: u32) -> Vec<u8> {
        let mut img = Vec::with_capacity(W * H * 3);
        let base = [(scene * 97) % 256, (scene * 53 + 80) % 256, (scene * 29 + 160) % 256];
        for y in 0..H as u32 {
            for x in 0..W as u32 {
                let tex = ((x + t) * (scene + 3) + y * (scene + 5)) % 40;
                for c in base {
                    img.push(((c + tex) % 256) as u8);
                }
            }
        }
        img
    }

    fn blend(a: &[u8], b: &[u8], w: f32) -> Vec<u8> {
        a.iter()
            .zip(b)
            .map(|(x, y)| (*x as f32 * (1.0 - w) + *y as f32 * w) as u8)
            .collect()
    }

    fn detect(frames: &[Vec<u8>]) -> Vec<Shot> {
        let mut d = ShotDetector::new(ShotSettings::default(), 24.0);
        for f in frames {
            d.push(analyse_frame(f, W, H).1);
        }
        d.finish(0.0)
    }

    fn starts(shots: &[Shot]) -> Vec<(u64, TransitionKind)> {
        shots.iter().skip(1).map(|s| (s.start_frame, s.transition_in)).collect()
    }

    #[test]
    fn hard_cuts_with_motion() {
        let mut frames = Vec::new();
        for (scene, len) in [(1, 40), (2, 30), (3, 50)] {
            frames.extend((0..len).map(|t| frame(scene, t)));
        }
        assert_eq!(
            starts(&detect(&frames)),
            vec![(40, TransitionKind::Cut), (70, TransitionKind::Cut)]
        );
    }

    #[test]
    fn a_flash_is_not_a_cut() {
        let mut frames: Vec<_> = (0..60).map(|t| frame(1, t)).collect();
        frames[30] = vec![255; W * H * 3];
        frames[31] = vec![240; W * H * 3];
        assert!(starts(&detect(&frames)).is_empty());
    }

    #[test]
    fn dissolve_and_fade() {
        let mut frames: Vec<_> = (0..48).map(|t| frame(1, t)).collect();
        // 24-frame dissolve into scene 2, centred on frame 60.
        for i in 0..24 {
            frames.push(blend(&frame(1, 48 + i), &frame(2, i), (i as f32 + 0.5) / 24.0));
        }
        frames.extend((24..72).map(|t| frame(2, t)));
        // Fade out over 12 frames, 6 black, fade in: boundary in the black.
        for i in 0..12 {
            frames.push(blend(&frame(2, 72 + i), &vec![0; W * H * 3], (i + 1) as f32 / 12.0));
        }
        frames.extend((0..6).map(|_| vec![0; W * H * 3]));
        for i in 0..12 {
            frames.push(blend(&vec![0; W * H * 3], &frame(3, i), (i + 1) as f32 / 12.0));
        }
        frames.extend((12..48).map(|t| frame(3, t)));
        let got = starts(&detect(&frames));
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!(got[0].1, TransitionKind::Dissolve);
        assert!(got[0].0.abs_diff(60) <= 12, "{got:?}");
        // The black run is frames 131–138 (the ends of the ramps are near-black too).
        assert_eq!(got[1].1, TransitionKind::Fade);
        assert!((129..=140).contains(&got[1].0), "{got:?}");
    }

    #[test]
    fn a_static_shot_and_a_short_sliver_give_no_extra_shots() {
        let mut frames: Vec<_> = (0..50).map(|_| frame(4, 0)).collect();
        frames.extend((0..3).map(|t| frame(5, t))); // 3 frames: below the minimum shot length
        frames.extend((0..50).map(|t| frame(6, t)));
        let got = starts(&detect(&frames));
        assert_eq!(got.len(), 1, "{got:?}");
    }
}
