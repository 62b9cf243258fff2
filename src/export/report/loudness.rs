//! The trailer's loudness over time, measured on `sound/master.wav` (the final mix before the AAC encode) with
//! the same EBU R128 meter the mix is levelled with: momentary (400 ms) and short-term (3 s) loudness every
//! 100 ms, each placed at the middle of its window so a peak lines up with the picture that caused it.

use std::path::Path;

use crate::error::{Error, Result};
use crate::sound::{RATE, Stereo, read_wav};

/// One point per this many seconds: fine enough to show a hit, coarse enough for a small page.
pub(super) const STEP_S: f64 = 0.1;
/// Silence measures −∞; the chart needs a floor.
pub(super) const FLOOR_LUFS: f32 = -70.0;
const MOMENTARY_S: f64 = 0.4;
const SHORT_TERM_S: f64 = 3.0;

/// `(trailer seconds, LUFS)` pairs.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct LoudnessCurve {
    pub momentary: Vec<(f64, f32)>,
    pub short_term: Vec<(f64, f32)>,
}

pub(super) fn of_file(path: &Path) -> Result<LoudnessCurve> {
    curve(&read_wav(path)?).map_err(|e| Error::Runtime(format!("{}: {e}", path.display())))
}

pub(super) fn curve(audio: &Stereo) -> std::result::Result<LoudnessCurve, String> {
    let mode = ebur128::Mode::M | ebur128::Mode::S;
    let mut meter = ebur128::EbuR128::new(2, RATE, mode).map_err(|e| format!("loudness meter: {e}"))?;
    let step = (RATE as f64 * STEP_S).round() as usize;
    let mut out = LoudnessCurve::default();
    let frames = audio.left.len().min(audio.right.len());
    let mut at = 0;
    while at + step <= frames {
        let chunk = [&audio.left[at..at + step], &audio.right[at..at + step]];
        meter
            .add_frames_planar_f32(&chunk)
            .map_err(|e| format!("loudness meter: {e}"))?;
        at += step;
        let end_s = at as f64 / RATE as f64;
        let level =
            |v: std::result::Result<f64, ebur128::Error>| (v.unwrap_or(f64::NEG_INFINITY) as f32).max(FLOOR_LUFS);
        // A window is only full once that much sound has gone in.
        if end_s >= MOMENTARY_S - 1e-9 {
            out.momentary
                .push((end_s - MOMENTARY_S / 2.0, level(meter.loudness_momentary())));
        }
        if end_s >= SHORT_TERM_S - 1e-9 {
            out.short_term
                .push((end_s - SHORT_TERM_S / 2.0, level(meter.loudness_shortterm())));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two seconds of silence, then two of a full-scale 1 kHz sine (≈ −3 LUFS per channel pair).
    fn silence_then_tone() -> Stereo {
        let n = RATE as usize * 2;
        let mut left = vec![0.0f32; n];
        left.extend((0..n).map(|i| (i as f32 * 2.0 * std::f32::consts::PI * 1000.0 / RATE as f32).sin() * 0.5));
        Stereo {
            right: left.clone(),
            left,
        }
    }

    #[test]
    fn silence_sits_on_the_floor_and_the_tone_is_loud_where_it_plays() {
        let c = curve(&silence_then_tone()).unwrap();
        assert_eq!(c.momentary.len(), 37, "every 100 ms once 400 ms went in");
        assert_eq!(c.short_term.len(), 11);
        let at = |t: f64| c.momentary.iter().find(|(s, _)| (s - t).abs() < 1e-6).unwrap().1;
        assert_eq!(at(1.0), FLOOR_LUFS);
        // A 0.5-amplitude sine in both channels: −3 dBFS RMS → about −6 LUFS.
        assert!((at(3.0) + 6.0).abs() < 1.0, "{}", at(3.0));
        // Times are window middles and rise by one step.
        assert!((c.momentary[0].0 - 0.2).abs() < 1e-9);
        assert!((c.short_term[0].0 - 1.5).abs() < 1e-9);
        assert!(c.momentary.windows(2).all(|w| (w[1].0 - w[0].0 - STEP_S).abs() < 1e-9));
    }
}
