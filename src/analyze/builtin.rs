//! The built-in analyzer: no model, no network. Every number comes from measurements: the per-frame signals of
//! the analysis pass (`analysis/frames`), the shots, the loudness envelope, and the keyframe image itself.
//! The text fields say only what those numbers support (light, colour, movement, sound); it never names objects
//! or places it cannot see.
//!
//! - motion: mean frame-to-frame luma change over the frames of the keyframe's own shot within ±2 s of it
//!   (never across a cut, never between distant keyframes);
//! - brightness, contrast, saturation, edges, darkness: the analysis frame at the keyframe;
//! - warmth: red minus blue over the keyframe image's lit pixels;
//! - uniqueness: how far the frame is from its nearest look-alikes in the rest of the film (see `Uniqueness`);
//! - audio intensity: the loudest short-term loudness (3 s window) within ±1 s, mapped from −50..−5 LUFS to
//!   0..1 (the text compares it with the film's typical loudness instead: loud for this film);
//! - faces: counted by OpenCV's frontal-face Haar cascade (`faces.rs`) on the keyframe decoded at 240–290 px
//!   wide, so faces smaller than about an eighth of the frame's width are not counted; without the cascade
//!   file, left out (`None`) with a warning.

use std::path::Path;

use super::faces::{self, FaceDetector};
use super::image::decode_small;
use super::scene::{SceneDescription, SceneText, TextSource};
use crate::error::{Error, IoContext, Result};
use crate::ingest::{
    ColumnsReader, ENVELOPE, FrameSignals, Keyframe, SUMMARY, Shot,
    analysis::{self, ShotList},
};
use crate::workdir::WorkDir;

/// Bump when a number or a text rule changes: cached records of another version are redone.
pub(super) const VERSION: u32 = 2;

/// Motion is averaged over the keyframe's shot within this many seconds of it.
const MOTION_WINDOW_S: f64 = 2.0;
const LOUDNESS_WINDOW_S: f64 = 1.0;
/// Loudness mapped to 0..1 between these (short-term LUFS).
const QUIET_LUFS: f32 = -50.0;
const LOUD_LUFS: f32 = -5.0;
/// At or below this (R128's absolute gate) nothing is heard.
const SILENT_LUFS: f32 = -70.0;
/// Reference frames for uniqueness: the comparison is O(keyframes × this), never O(frames²).
const UNIQUENESS_REFS: usize = 2048;
/// Uniqueness is the mean distance to this many nearest look-alikes.
const UNIQUENESS_NEAREST: usize = 3;
/// A keyframe within this of a shot boundary may sit in a transition: its picture is less trustworthy.
const TRANSITION_S: f64 = 0.5;

/// What the analysis pass measured, loaded once per run.
pub struct Builtin {
    shots: ShotList,
    frames: Vec<FrameSignals>,
    loudness: Vec<f32>,
    loudness_rate: f64,
    /// The film's typical loudness (median short-term, silence left out): "loud" in the text means loud for
    /// this film. Not the integrated loudness: its gating follows the loud passages, so little would count as loud.
    film_lufs: f32,
    uniqueness: Uniqueness,
    faces: Option<FaceDetector>,
    id: String,
}

impl Builtin {
    /// The analysis the descriptions are computed from, and the face cascade at `faces` (none: faces left out).
    pub fn load(work: &WorkDir, faces: Option<&Path>) -> Result<Builtin> {
        let shots: ShotList = work.read_json(analysis::SHOTS)?;
        let mut frames = Vec::with_capacity(shots.frames as usize);
        let mut reader = ColumnsReader::open(work.root(), analysis::FRAMES)?;
        let mut row = Vec::new();
        while reader.next_row(&mut row)? {
            frames.push(FrameSignals::from_row(&row));
        }
        let mut reader = ColumnsReader::open(work.root(), ENVELOPE)?;
        let loudness_rate = reader.header.rate_hz;
        let col = reader
            .header
            .column("short_term_lufs")
            .ok_or_else(|| Error::Runtime(format!("{}: no loudness column; re-run with --fresh", ENVELOPE)))?;
        let mut loudness = Vec::new();
        while reader.next_row(&mut row)? {
            loudness.push(row[col]);
        }
        let film_lufs = typical_loudness(&loudness);
        let uniqueness = Uniqueness::new(&frames, &shots.shots);
        // The cache key covers what the numbers are computed from, so a redone analysis pass redoes the records.
        let mut h = blake3::Hasher::new();
        let (frames_bin, envelope_bin) = (format!("{}.bin", analysis::FRAMES), format!("{}.bin", ENVELOPE));
        for rel in [analysis::SHOTS, SUMMARY, &frames_bin, &envelope_bin] {
            let p = work.path(rel);
            h.update(&std::fs::read(&p).at(&p, "cannot read")?);
        }
        let faces = match faces {
            Some(path) => Some(FaceDetector::load(path)?),
            None => {
                tracing::warn!(
                    "no face cascade found, so faces are left out; install Debian's opencv-data (make deps does) \
                     or set {}",
                    faces::ENV
                );
                None
            }
        };
        let with_faces = if faces.is_some() { "faces" } else { "no-faces" };
        let id = format!("builtin/{VERSION}/{with_faces}/{}", &h.finalize().to_hex()[..12]);
        Ok(Builtin {
            shots,
            frames,
            loudness,
            loudness_rate,
            film_lufs,
            uniqueness,
            faces,
            id,
        })
    }

    /// Names this analyzer and the data it measured, for the inference cache.
    pub fn identity(&self) -> &str {
        &self.id
    }

    /// Describe one keyframe from the measurements and its JPEG.
    pub fn describe(&self, kf: &Keyframe, jpeg: &[u8], image_path: &Path) -> Result<SceneDescription> {
        let small = decode_small(jpeg).map_err(|e| {
            Error::Runtime(format!(
                "{}: not a readable JPEG ({e}); re-run with --fresh",
                image_path.display()
            ))
        })?;
        let warmth = warmth(&small.rgb);
        let faces = self
            .faces
            .as_ref()
            .map(|d| d.detect_rgb(&small.rgb, small.width, small.height).len() as u32);
        let at = self.frame_at(kf.time_s);
        let f = self.frames.get(at).cloned().unwrap_or_default();
        let shot = self.shots.shots.get(kf.shot);
        let motion = self.motion(at, shot);
        let loudest = self.loudest(kf.time_s);
        let audio_intensity = ((loudest - QUIET_LUFS) / (LOUD_LUFS - QUIET_LUFS)).clamp(0.0, 1.0);
        let in_transition =
            shot.is_some_and(|s| kf.time_s - s.start_s < TRANSITION_S || s.end_s - kf.time_s < TRANSITION_S);
        let m = Measured {
            motion,
            brightness: f.brightness,
            contrast: f.contrast,
            saturation: f.saturation,
            colourfulness: f.colourfulness,
            edges: f.edges,
            dark: f.dark,
            warmth,
            loudness_lu: loudest.max(QUIET_LUFS) - self.film_lufs,
            silent: loudest <= SILENT_LUFS,
            shot_s: shot.map_or(0.0, |s| s.end_s - s.start_s),
        };
        Ok(SceneDescription {
            time_s: kf.time_s,
            shot: kf.shot,
            text: describe_text(&m, faces),
            text_source: TextSource::Builtin,
            motion,
            contrast: f.contrast,
            brightness: f.brightness,
            saturation: f.saturation,
            edges: f.edges,
            dark: f.dark,
            warmth,
            faces,
            uniqueness: self.uniqueness.of(&f, kf.shot),
            audio_intensity,
            confidence: picture_quality(f.dark, in_transition) * BUILTIN_TRUST,
        })
    }

    fn frame_at(&self, t: f64) -> usize {
        let i = ((t - self.shots.offset_s) * self.shots.fps).round().max(0.0) as usize;
        i.min(self.frames.len().saturating_sub(1))
    }

    /// Mean frame-to-frame change over the shot's frames near `at`. The first frame of a shot is skipped: its
    /// motion value is a copy of the frame before the cut.
    fn motion(&self, at: usize, shot: Option<&Shot>) -> f32 {
        let reach = (MOTION_WINDOW_S * self.shots.fps).round() as usize;
        let (lo, hi) = match shot {
            Some(s) => (s.start_frame as usize + 1, s.end_frame as usize),
            None => (at, at + 1),
        };
        let lo = lo.max(at.saturating_sub(reach));
        let hi = hi.min(at + reach + 1).min(self.frames.len());
        if lo >= hi {
            return self.frames.get(at).map_or(0.0, |f| f.motion);
        }
        self.frames[lo..hi].iter().map(|f| f.motion).sum::<f32>() / (hi - lo) as f32
    }

    /// The loudest short-term loudness near `t`, LUFS.
    fn loudest(&self, t: f64) -> f32 {
        let idx = |t: f64| ((t * self.loudness_rate).round().max(0.0) as usize).min(self.loudness.len());
        let window = &self.loudness[idx(t - LOUDNESS_WINDOW_S)..idx(t + LOUDNESS_WINDOW_S + 1.0 / self.loudness_rate)];
        window.iter().copied().fold(f32::NEG_INFINITY, f32::max)
    }
}

fn typical_loudness(short_term: &[f32]) -> f32 {
    let mut heard: Vec<f32> = short_term.iter().copied().filter(|l| *l > SILENT_LUFS).collect();
    if heard.is_empty() {
        return QUIET_LUFS;
    }
    heard.sort_by(f32::total_cmp);
    heard[heard.len() / 2]
}

/// How much the built-in text can be trusted relative to a vision model's: it describes light, colour,
/// movement and sound correctly but says nothing about content.
pub(super) const BUILTIN_TRUST: f32 = 0.5;

/// 1 for a clean, visible frame; lower for a mostly black frame (little to see) or one that may sit inside a
/// dissolve or fade at a shot boundary.
pub(super) fn picture_quality(dark: f32, in_transition: bool) -> f32 {
    let visible = 1.0 - 0.7 * dark.clamp(0.0, 1.0);
    if in_transition { visible * 0.6 } else { visible }
}

/// Red minus blue over the lit pixels (luma above black), scaled so a strong tungsten or teal cast reaches ±1.
fn warmth(rgb: &[u8]) -> f32 {
    let (mut sum, mut n) = (0i64, 0i64);
    for p in rgb.chunks_exact(3) {
        let (r, g, b) = (p[0] as i64, p[1] as i64, p[2] as i64);
        if r + g + b > 3 * 26 {
            sum += r - b;
            n += 1;
        }
    }
    if n == 0 {
        return 0.0;
    }
    (sum as f32 / n as f32 / 128.0).clamp(-1.0, 1.0)
}

/// How far a frame is from the rest of the film: the mean distance to its `UNIQUENESS_NEAREST` nearest
/// look-alikes among up to `UNIQUENESS_REFS` frames sampled evenly from the whole film, excluding its own shot.
/// The distance mixes the perceptual hash (layout, 70 %) and brightness/saturation/colourfulness (30 %).
/// A recurring look (a dialogue scene's shot/reverse-shot, a set the film returns to) scores low; a one-off
/// image scores high. Cost: O(keyframes × refs) comparisons of a 64-bit hash and three numbers.
struct Uniqueness {
    refs: Vec<(FrameSignals, usize)>,
}

impl Uniqueness {
    fn new(frames: &[FrameSignals], shots: &[Shot]) -> Uniqueness {
        let step = frames.len().div_ceil(UNIQUENESS_REFS).max(1);
        let mut shot = 0;
        let refs = (0..frames.len())
            .step_by(step)
            .map(|i| {
                while shot + 1 < shots.len() && shots[shot].end_frame as usize <= i {
                    shot += 1;
                }
                (frames[i].clone(), shots.get(shot).map_or(usize::MAX, |s| s.id))
            })
            .collect();
        Uniqueness { refs }
    }

    fn of(&self, f: &FrameSignals, own_shot: usize) -> f32 {
        let mut nearest = [f32::INFINITY; UNIQUENESS_NEAREST];
        for (r, shot) in &self.refs {
            if *shot == own_shot {
                continue;
            }
            let d = look_distance(f, r);
            if d < nearest[UNIQUENESS_NEAREST - 1] {
                nearest[UNIQUENESS_NEAREST - 1] = d;
                nearest.sort_by(f32::total_cmp);
            }
        }
        let found: Vec<f32> = nearest.into_iter().filter(|d| d.is_finite()).collect();
        if found.is_empty() {
            return 0.5;
        }
        found.iter().sum::<f32>() / found.len() as f32
    }
}

/// 0 for the same look, about 1 for unrelated frames.
fn look_distance(a: &FrameSignals, b: &FrameSignals) -> f32 {
    // Unrelated images differ in about half of the 64 hash bits.
    let layout = ((a.phash ^ b.phash).count_ones() as f32 / 32.0).min(1.0);
    let colour = ((a.brightness - b.brightness).abs()
        + (a.saturation - b.saturation).abs()
        + (a.colourfulness - b.colourfulness).abs())
        / 0.3;
    0.7 * layout + 0.3 * colour.min(1.0)
}

/// The measurements the text is written from.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Measured {
    pub motion: f32,
    pub brightness: f32,
    pub contrast: f32,
    pub saturation: f32,
    pub colourfulness: f32,
    pub edges: f32,
    pub dark: f32,
    pub warmth: f32,
    /// Loudness near the keyframe relative to the film's typical loudness, LU.
    pub loudness_lu: f32,
    /// Nothing audible near the keyframe (or the film has no sound).
    pub silent: bool,
    pub shot_s: f64,
}

/// The first label below `low`, the last above `high`, the middle one between.
fn grade(x: f32, low: f32, high: f32, labels: [&'static str; 3]) -> &'static str {
    if x < low {
        labels[0]
    } else if x > high {
        labels[2]
    } else {
        labels[1]
    }
}

/// Short, honest text from the numbers: light, colour, movement, sound and (when counted) faces. Thresholds
/// are on the analysis pass's scales (luma 0–1, contrast as luma standard deviation, motion as mean luma change
/// per analysis frame).
pub(super) fn describe_text(m: &Measured, faces: Option<u32>) -> SceneText {
    let light = if m.dark > 0.85 {
        "near-black frame"
    } else if m.brightness < 0.2 {
        "dark frame"
    } else if m.brightness < 0.4 {
        "dim frame"
    } else if m.brightness < 0.65 {
        "evenly lit frame"
    } else {
        "bright frame"
    };
    let contrast = grade(
        m.contrast,
        0.1,
        0.25,
        ["flat, low contrast", "moderate contrast", "high contrast"],
    );
    let colour = if m.saturation < 0.12 {
        "nearly monochrome"
    } else if m.colourfulness > 0.45 {
        "vivid colour"
    } else {
        "muted colour"
    };
    let cast = if m.warmth > 0.3 {
        Some("warm cast")
    } else if m.warmth < -0.3 {
        Some("cool cast")
    } else {
        None
    };
    let detail = grade(m.edges, 0.03, 0.08, ["little detail", "some detail", "lots of detail"]);
    let faces_txt = match faces {
        None => None,
        Some(0) => Some("no faces found".to_string()),
        Some(1) => Some("one face".to_string()),
        Some(n) => Some(format!("{n} faces")),
    };
    let mut visual = vec![light.to_string(), contrast.to_string(), colour.to_string()];
    visual.extend(cast.map(str::to_string));
    visual.push(detail.to_string());
    visual.extend(faces_txt);

    let loud = !m.silent && m.loudness_lu > 4.0;
    let quiet = m.silent || m.loudness_lu < -8.0;
    let moving = m.motion > 0.02;
    let still = m.motion < 0.005;
    let dark = m.brightness < 0.25 || m.dark > 0.5;
    let mut mood = Vec::new();
    if dark {
        mood.push("dark");
    }
    if (dark && m.contrast > 0.2 && loud) || (moving && loud && m.brightness < 0.45) {
        mood.push("tense");
    } else if moving && loud {
        mood.push("energetic");
    } else if loud {
        mood.push("intense");
    } else if quiet && still {
        mood.push("calm");
    } else if quiet {
        mood.push("hushed");
    }
    if !dark && m.brightness > 0.55 && m.saturation > 0.3 {
        mood.push("lively");
    }
    if m.warmth > 0.3 && !loud {
        mood.push("warm");
    } else if m.warmth < -0.3 {
        mood.push("cold");
    }
    if mood.is_empty() {
        mood.push("neutral");
    }

    let movement = if m.motion > 0.06 {
        "fast movement"
    } else if moving {
        "steady movement"
    } else if still {
        "still picture"
    } else {
        "slight movement"
    };
    let pace = if m.shot_s > 0.0 && m.shot_s < 1.5 {
        Some("in a very short shot")
    } else if m.shot_s > 12.0 {
        Some("in a long take")
    } else {
        None
    };
    let sound = if m.silent {
        "no sound"
    } else if loud {
        "loud sound"
    } else if quiet {
        "quiet sound"
    } else {
        "moderate sound"
    };
    let action = match pace {
        Some(p) => format!("{movement} {p}, {sound}"),
        None => format!("{movement}, {sound}"),
    };
    let setting = match (m.brightness, cast) {
        (b, _) if b < 0.25 => "low light".to_string(),
        (b, Some(c)) if b > 0.6 => format!("bright light, {c}"),
        (b, None) if b > 0.6 => "bright light".to_string(),
        (_, Some(c)) => format!("medium light, {c}"),
        (_, None) => "medium light".to_string(),
    };
    SceneText {
        visual_content: visual.join(", "),
        mood: mood.join(", "),
        action,
        setting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(phash: u64, brightness: f32) -> FrameSignals {
        FrameSignals {
            phash,
            brightness,
            saturation: 0.3,
            colourfulness: 0.3,
            ..Default::default()
        }
    }

    #[test]
    fn text_follows_the_numbers() {
        let dark_loud = Measured {
            brightness: 0.1,
            dark: 0.6,
            contrast: 0.3,
            loudness_lu: 6.0,
            motion: 0.03,
            shot_s: 1.0,
            ..Default::default()
        };
        let t = describe_text(&dark_loud, Some(0));
        assert_eq!(t.mood, "dark, tense");
        assert!(
            t.visual_content.starts_with("dark frame, high contrast"),
            "{}",
            t.visual_content
        );
        assert!(t.visual_content.ends_with("no faces found"));
        assert_eq!(t.action, "steady movement in a very short shot, loud sound");
        assert_eq!(t.setting, "low light");

        let calm = Measured {
            brightness: 0.7,
            saturation: 0.4,
            contrast: 0.15,
            warmth: 0.4,
            loudness_lu: -15.0,
            motion: 0.002,
            shot_s: 20.0,
            ..Default::default()
        };
        let t = describe_text(&calm, None);
        assert_eq!(t.mood, "calm, lively, warm");
        assert_eq!(t.action, "still picture in a long take, quiet sound");
        assert_eq!(t.setting, "bright light, warm cast");
        assert!(!t.visual_content.contains("face"), "no detector, no claim");
    }

    #[test]
    fn a_recurring_look_is_less_unique_than_a_one_off() {
        // 100 shots of 10 frames: shots alternate between two looks (shot/reverse shot), except shot 50.
        let mut frames = Vec::new();
        let mut shots = Vec::new();
        for s in 0..100u64 {
            let look = if s == 50 {
                frame(0xFFFF_0000_FFFF_0000, 0.9)
            } else if s % 2 == 0 {
                frame(0x0F0F_0F0F_0F0F_0F0F, 0.3)
            } else {
                frame(0xF0F0_F0F0_F0F0_F0F0, 0.5)
            };
            frames.extend(std::iter::repeat_n(look, 10));
            shots.push(Shot {
                id: s as usize,
                start_frame: s * 10,
                end_frame: s * 10 + 10,
                start_s: s as f64 * 5.0,
                end_s: s as f64 * 5.0 + 5.0,
                transition_in: crate::ingest::TransitionKind::Cut,
            });
        }
        let u = Uniqueness::new(&frames, &shots);
        let recurring = u.of(&frames[0], 0);
        let one_off = u.of(&frames[505], 50);
        assert!(recurring < 0.05, "{recurring}");
        assert!(one_off > 0.5, "{one_off}");
    }

    #[test]
    fn warmth_sign() {
        let warm: Vec<u8> = std::iter::repeat_n([200u8, 120, 60], 100).flatten().collect();
        let cool: Vec<u8> = std::iter::repeat_n([60u8, 120, 200], 100).flatten().collect();
        let black = vec![0u8; 300];
        assert!(warmth(&warm) > 0.9);
        assert!(warmth(&cool) < -0.9);
        assert_eq!(warmth(&black), 0.0);
    }

    #[test]
    fn quality_drops_for_black_and_transitions() {
        assert_eq!(picture_quality(0.0, false), 1.0);
        assert!(picture_quality(1.0, false) < 0.31);
        assert!(picture_quality(0.0, true) < picture_quality(0.0, false));
    }
}
