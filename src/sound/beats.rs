//! Tempo, beats and downbeats of a piece of music: the grid that trailer cuts snap to. Pure (samples in, times
//! out); `decode` brings the samples, `music` and `placement` use the result.
//!
//! The method is Ellis (2007), "Beat tracking by dynamic programming", as librosa does it:
//! 1. **Onset strength.** STFT magnitudes (realfft, Hann) summed into log-spaced bands and log-compressed; the
//!    half-wave-rectified spectral flux summed over bands; its local mean removed; scaled to unit deviation.
//! 2. **Tempo.** The envelope's autocorrelation (by FFT), weighted by a log-Gaussian prior around the vibe's range,
//!    its peak refined between lags. The metrical level is then checked on the beats themselves: a level whose
//!    every other beat is weak is halved, one with beat-strength onsets halfway between its beats is doubled.
//!    Last, the tempo moves by octaves into the vibe's range (a 70 BPM song is cut at 140 for an action trailer).
//! 3. **Beats.** Dynamic programming over the onset envelope, with a transition cost of
//!    `-tightness * ln(interval / period)²`: beats fall on onsets while the spacing stays near the period, so a
//!    drifting tempo is followed. Beats in silence before or after the music are dropped. The reported tempo is
//!    the median beat interval's.
//! 4. **Downbeats.** For each of the four phases of a 4/4 bar, the mean accent of its beats: onset strength, the
//!    rise in the bass (kick drums fall on 1 and 3), and how much the spectrum changes across the beat (chords
//!    change on the bar). The best phase wins if it stands out; otherwise no metre is reported. Good enough to
//!    start a section on a bar line; it assumes 4/4 and is no metre analysis.
//!
//! A 4-minute song takes about 0.2 s in a release build. `trackgen` makes the test tracks; the measured accuracy is
//! in `examples/beat_accuracy.rs` (`scripts/bench.sh`).

use realfft::RealFftPlanner;
use serde::{Deserialize, Serialize};

/// The tempo range a vibe expects; the tracker prefers tempi inside it (octave correction), `default_bpm` when the
/// music has no clear pulse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TempoPrior {
    pub min_bpm: f64,
    pub max_bpm: f64,
    pub default_bpm: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BeatTrack {
    pub bpm: f64,
    /// Beat times in seconds from the start of the audio, rising.
    pub beats_s: Vec<f64>,
    /// The beats that start a bar (a subset of beats_s); empty when no metre was found.
    pub downbeats_s: Vec<f64>,
    /// 0..1: how clear the pulse is (0 for silence/noise; then bpm = default and beats a plain grid).
    pub confidence: f64,
}

/// The sample rate `track` works best at (decode music to this).
pub const ANALYSIS_RATE: u32 = 22_050;

/// STFT size and hop at `ANALYSIS_RATE` (46 ms window, 11.6 ms hop), scaled with the sample rate otherwise. A
/// 93 ms window placed beats 20-27 ms early, by an amount that depends on the sound; 46 ms still resolves a kick
/// drum (21.5 Hz bins).
const FFT_SIZE: usize = 1024;
const HOP: usize = 256;
/// Log-spaced bands between these frequencies: kick drums to cymbals.
const BANDS: usize = 40;
const BAND_LOW_HZ: f64 = 30.0;
const BAND_HIGH_HZ: f64 = 10_000.0;
/// Bands below this carry the kick drum and bass, which mark the strong beats of a bar.
const LOW_HZ: f64 = 200.0;
/// Log compression `ln(1 + γ·x)`, x relative to the track's loud level: the flux follows loudness in steps
/// (as the ear does), so a quiet passage's onsets still count; below ~-40 dB it fades out instead of chasing noise.
const COMPRESSION: f32 = 100.0;
/// Below this RMS (-80 dBFS) a track is silence.
const SILENCE_RMS: f32 = 1e-4;
/// Frames quieter than this, relative to the loud level (-40 dB), are not music; beats there are dropped.
const QUIET_RATIO: f32 = 0.01;
/// Tempi the tracker considers at all.
const MIN_BPM: f64 = 30.0;
const MAX_BPM: f64 = 300.0;
/// Metre checks keep the beat level inside this range.
const LEVEL_MIN_BPM: f64 = 40.0;
const LEVEL_MAX_BPM: f64 = 240.0;
/// Width of the prior, in octaves (librosa's default).
const PRIOR_OCTAVES: f64 = 1.0;
/// How strictly beats keep the period (Ellis's α; librosa's default).
const TIGHTNESS: f64 = 100.0;
/// Beats at the start or end of the track with less onset than this share of the beats' RMS onset are dropped.
const EDGE_BEAT_RATIO: f64 = 0.5;
/// A level whose weaker alternate beats carry less than this share of the stronger ones' onset is half as fast.
const ALTERNATION_RATIO: f64 = 0.5;
/// A level with onsets halfway between beats at least this strong (relative to the beats') is twice as fast.
const MIDPOINT_RATIO: f64 = 0.5;
/// Envelope autocorrelation at the pulse that maps to confidence 0 and 1. Noise stays under the first.
const CLARITY_NONE: f64 = 0.15;
const CLARITY_FULL: f64 = 0.5;
/// Below this confidence the music has no usable pulse: a plain grid at the default tempo.
const MIN_CONFIDENCE: f64 = 0.05;
/// The flux peaks this long before the sound it measures begins (the window reaches it early); measured on the
/// test tracks (5 ms for drums, 9 ms for clicks).
const FLUX_LEAD_S: f64 = 0.006;

/// Tempo, beats and downbeats of `mono` (any rate; `ANALYSIS_RATE` is best).
pub fn track(mono: &[f32], sample_rate: u32, prior: TempoPrior) -> BeatTrack {
    let prior = prior.sanitized();
    let duration_s = if sample_rate == 0 {
        0.0
    } else {
        mono.len() as f64 / f64::from(sample_rate)
    };
    let Some(onsets) = Onsets::measure(mono, sample_rate) else {
        return grid(prior.default_bpm, duration_s, 0.0);
    };
    let Some(pulse) = find_pulse(&onsets, &prior) else {
        return grid(prior.default_bpm, duration_s, 0.0);
    };
    let confidence = ((pulse.clarity - CLARITY_NONE) / (CLARITY_FULL - CLARITY_NONE)).clamp(0.0, 1.0);
    if confidence < MIN_CONFIDENCE {
        return grid(prior.default_bpm, duration_s, confidence);
    }
    // Beats and bars at the level the music has; only then moved into the vibe's range, so a faster grid is a
    // superset of them and a slower one keeps the bar lines.
    let (period, beats) = settle_level(&onsets, pulse.period);
    let beats = onsets.trim(beats);
    let bar_phase = downbeats(&onsets, &beats);
    let octaves = octaves_into_range(60.0 * onsets.rate / period, &prior);
    let downbeats_f: Vec<f64> = bar_phase.map_or_else(Vec::new, |p| beats.iter().skip(p).step_by(4).copied().collect());
    let beats = shift_octaves(&onsets, beats, octaves, bar_phase);
    let beats_s: Vec<f64> = beats.iter().map(|&f| onsets.time_s(f)).collect();
    let downbeats_s = downbeats_f.iter().map(|&f| onsets.time_s(f)).collect();
    let bpm = median_bpm(&beats_s).unwrap_or(60.0 * onsets.rate / period * 2f64.powi(octaves));
    BeatTrack {
        bpm,
        beats_s,
        downbeats_s,
        confidence,
    }
}

impl TempoPrior {
    /// A usable prior whatever the caller passed: finite, positive, ordered, within the tempi considered.
    fn sanitized(self) -> TempoPrior {
        let ok = |v: f64| v.is_finite() && v > 0.0;
        let (mut lo, mut hi) = (self.min_bpm, self.max_bpm);
        if !ok(lo) || !ok(hi) {
            (lo, hi) = (90.0, 150.0);
        }
        if lo > hi {
            (lo, hi) = (hi, lo);
        }
        let (lo, hi) = (lo.clamp(MIN_BPM, MAX_BPM), hi.clamp(MIN_BPM, MAX_BPM));
        let default_bpm = if ok(self.default_bpm) {
            self.default_bpm.clamp(MIN_BPM, MAX_BPM)
        } else {
            (lo * hi).sqrt()
        };
        TempoPrior {
            min_bpm: lo,
            max_bpm: hi,
            default_bpm,
        }
    }

    fn centre_bpm(&self) -> f64 {
        (self.min_bpm * self.max_bpm).sqrt()
    }
}

/// No pulse: beats every `60 / bpm` s from 0, no metre.
fn grid(bpm: f64, duration_s: f64, confidence: f64) -> BeatTrack {
    let step = 60.0 / bpm;
    BeatTrack {
        bpm,
        beats_s: (0..).map(|k| k as f64 * step).take_while(|t| *t < duration_s).collect(),
        downbeats_s: Vec::new(),
        confidence,
    }
}

/// The onset-strength envelope and what else later steps need per STFT frame.
struct Onsets {
    /// Frames per second.
    rate: f64,
    /// Onset strength, ≥ 0, unit standard deviation.
    strength: Vec<f32>,
    /// Log-compressed band magnitudes, `BANDS` per frame (for the bar accents).
    bands: Vec<f32>,
    /// How many of the bands lie below `LOW_HZ`.
    low_bands: usize,
    /// First and last frame with music in them (louder than `QUIET_RATIO` of the loud level).
    audible: (usize, usize),
}

impl Onsets {
    /// `None` for silence (or nothing to analyse).
    fn measure(mono: &[f32], sample_rate: u32) -> Option<Onsets> {
        if sample_rate == 0 || mono.is_empty() {
            return None;
        }
        let scale = f64::from(sample_rate) / f64::from(ANALYSIS_RATE);
        let n_fft = 1usize << (FFT_SIZE as f64 * scale).log2().round().clamp(6.0, 16.0) as u32;
        let hop = ((HOP as f64 * scale).round() as usize).max(1);
        // Frames run until the window meets the end: past it, zero padding would turn whatever still sounds into
        // a step, and so into an onset. (At the start it is right: music that starts at once starts with an onset.)
        let frames = (mono.len().saturating_sub(n_fft / 2) / hop + 1).max(2);
        let rms = frame_rms(mono, n_fft, hop, frames);
        let level = percentile(&rms, 0.95);
        if level < SILENCE_RMS {
            return None;
        }
        let audible = {
            let loud = |r: &f32| *r >= level * QUIET_RATIO;
            (rms.iter().position(loud)?, rms.iter().rposition(loud)?)
        };
        let edges = band_edges(sample_rate, n_fft);
        let bin_hz = f64::from(sample_rate) / n_fft as f64;
        let low_bands = edges
            .windows(2)
            .filter(|w| w[1] as f64 * bin_hz <= LOW_HZ)
            .count()
            .max(1);
        let bands = band_spectrogram(mono, (n_fft, hop, frames), &edges, level)?;
        let strength = onset_strength(&bands, hop as f64 / f64::from(sample_rate));
        Some(Onsets {
            rate: f64::from(sample_rate) / hop as f64,
            strength,
            bands,
            low_bands,
            audible,
        })
    }

    fn time_s(&self, frame: f64) -> f64 {
        frame / self.rate + FLUX_LEAD_S
    }

    /// The envelope smoothed by a Gaussian a 32nd of a beat wide, which the DP follows (as librosa does).
    fn local_score(&self, period: f64) -> Vec<f32> {
        let sigma = (period / 32.0).max(0.5);
        let reach = (3.0 * sigma).ceil() as isize;
        let kernel: Vec<f32> = (-reach..=reach)
            .map(|k| (-0.5 * (k as f64 / sigma).powi(2)).exp() as f32)
            .collect();
        let n = self.strength.len() as isize;
        (0..n)
            .map(|i| {
                (-reach..=reach)
                    .filter(|k| (0..n).contains(&(i + k)))
                    .map(|k| kernel[(k + reach) as usize] * self.strength[(i + k) as usize])
                    .sum()
            })
            .collect()
    }

    /// Drop beats before the music starts or after it ends: the DP fills silence with beats at no cost, and at
    /// the edges it places a last beat where the chain's score peaks, onset or not. Edge beats must lie where the
    /// track is audible and carry at least half the RMS onset of all beats (as librosa trims).
    fn trim(&self, beats: Vec<f64>) -> Vec<f64> {
        let margin = 0.03 * self.rate;
        let (first, last) = (self.audible.0 as f64 - margin, self.audible.1 as f64 + margin);
        let strength: Vec<f64> = beats.iter().map(|&b| self.strength_near(b)).collect();
        let floor = EDGE_BEAT_RATIO * mean(strength.iter().map(|s| s * s)).sqrt();
        let keep = |i: &usize| (first..=last).contains(&beats[*i]) && strength[*i] >= floor;
        let (Some(from), Some(to)) = ((0..beats.len()).find(keep), (0..beats.len()).rfind(keep)) else {
            return Vec::new();
        };
        beats[from..=to].to_vec()
    }

    /// The strongest onset within 25 ms of `frame`.
    fn strength_near(&self, frame: f64) -> f64 {
        self.near(frame)
            .map(|t| f64::from(self.strength[t]))
            .fold(0.0, f64::max)
    }

    /// The strongest rise of the low bands (a kick, a bass note) within 25 ms of `frame`.
    fn low_rise_near(&self, frame: f64) -> f64 {
        let rise = |t: usize| -> f64 {
            let (now, before) = (&self.bands[t * BANDS..], &self.bands[(t - 1) * BANDS..]);
            (0..self.low_bands)
                .map(|b| f64::from((now[b] - before[b]).max(0.0)))
                .sum()
        };
        self.near(frame).filter(|&t| t > 0).map(rise).fold(0.0, f64::max)
    }

    fn near(&self, frame: f64) -> impl Iterator<Item = usize> {
        let reach = (0.025 * self.rate).round() as isize;
        let centre = frame.round() as isize;
        let frames = self.strength.len() as isize;
        (centre - reach..=centre + reach)
            .filter(move |i| (0..frames).contains(i))
            .map(|i| i as usize)
    }
}

/// RMS of each frame's window, from a running sum of squares.
fn frame_rms(mono: &[f32], n_fft: usize, hop: usize, frames: usize) -> Vec<f32> {
    let mut sums = Vec::with_capacity(mono.len() + 1);
    sums.push(0.0f64);
    for s in mono.iter().map(|s| if s.is_finite() { f64::from(*s) } else { 0.0 }) {
        sums.push(sums[sums.len() - 1] + s * s);
    }
    (0..frames)
        .map(|t| {
            let from = (t * hop).saturating_sub(n_fft / 2).min(mono.len());
            let to = (t * hop + n_fft / 2).min(mono.len());
            ((sums[to] - sums[from]) / n_fft as f64).sqrt() as f32
        })
        .collect()
}

/// Band magnitudes per frame (centred Hann windows), compressed relative to `level`.
fn band_spectrogram(
    mono: &[f32],
    (n_fft, hop, frames): (usize, usize, usize),
    edges: &[usize],
    level: f32,
) -> Option<Vec<f32>> {
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
    let window: Vec<f32> = (0..n_fft)
        .map(|i| (0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / n_fft as f64).cos()) as f32)
        .collect();
    let norm = COMPRESSION / (level * window.iter().sum::<f32>());
    let (mut input, mut spectrum, mut scratch) = (fft.make_input_vec(), fft.make_output_vec(), fft.make_scratch_vec());
    let mut bands = Vec::with_capacity(frames * BANDS);
    for t in 0..frames {
        let start = (t * hop) as isize - (n_fft / 2) as isize;
        for (i, x) in input.iter_mut().enumerate() {
            let at = start + i as isize;
            let s = usize::try_from(at)
                .ok()
                .and_then(|at| mono.get(at))
                .copied()
                .filter(|s| s.is_finite());
            let s = s.unwrap_or(0.0);
            *x = s * window[i];
        }
        fft.process_with_scratch(&mut input, &mut spectrum, &mut scratch).ok()?;
        for w in edges.windows(2) {
            let sum: f32 = spectrum[w[0]..w[1]].iter().map(|c| c.norm()).sum();
            bands.push((1.0 + norm * sum).ln());
        }
    }
    Some(bands)
}

/// `BANDS + 1` FFT-bin edges, log-spaced (equal weight per octave, so a kick drum counts as much as a
/// snare's broadband noise), each band at least one bin wide.
fn band_edges(sample_rate: u32, n_fft: usize) -> Vec<usize> {
    let nyquist = f64::from(sample_rate) / 2.0;
    let (lo, hi) = (BAND_LOW_HZ, BAND_HIGH_HZ.min(nyquist * 0.95));
    let bins = n_fft / 2 + 1;
    let mut edges: Vec<usize> = Vec::with_capacity(BANDS + 1);
    for k in 0..=BANDS {
        let f = lo * (hi / lo).powf(k as f64 / BANDS as f64);
        let bin = ((f * n_fft as f64 / f64::from(sample_rate)).round() as usize).min(bins - 1);
        let floor = edges.last().map_or(0, |e| e + 1);
        edges.push(bin.max(floor).min(bins - 1 - (BANDS - k)));
    }
    edges
}

/// Positive spectral flux summed over bands, minus its local mean (one second), rectified, unit deviation.
fn onset_strength(bands: &[f32], hop_s: f64) -> Vec<f32> {
    let frames = bands.len() / BANDS;
    let flux: Vec<f32> = (0..frames)
        .map(|t| {
            if t == 0 {
                return 0.0;
            }
            let (now, before) = (&bands[t * BANDS..(t + 1) * BANDS], &bands[(t - 1) * BANDS..t * BANDS]);
            now.iter().zip(before).map(|(a, b)| (a - b).max(0.0)).sum()
        })
        .collect();
    let half = (0.5 / hop_s).round() as usize;
    let mut sums = vec![0.0f64; frames + 1];
    for (i, f) in flux.iter().enumerate() {
        sums[i + 1] = sums[i] + f64::from(*f);
    }
    let mut out: Vec<f32> = (0..frames)
        .map(|i| {
            let (from, to) = (i.saturating_sub(half), (i + half + 1).min(frames));
            let mean = (sums[to] - sums[from]) / (to - from) as f64;
            (f64::from(flux[i]) - mean).max(0.0) as f32
        })
        .collect();
    let sd = (out.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / frames.max(1) as f64).sqrt();
    if sd > 0.0 {
        out.iter_mut().for_each(|v| *v = (f64::from(*v) / sd) as f32);
    }
    out
}

/// The pulse the autocorrelation favours: its period in frames, and how periodic the envelope is there (0..1).
struct Pulse {
    period: f64,
    clarity: f64,
}

fn find_pulse(onsets: &Onsets, prior: &TempoPrior) -> Option<Pulse> {
    let min_lag = (60.0 * onsets.rate / MAX_BPM).floor().max(1.0) as usize;
    let max_lag = (60.0 * onsets.rate / MIN_BPM).ceil() as usize;
    let ac = autocorrelation(&onsets.strength, max_lag + 1)?;
    let weight = |lag: f64| {
        let octaves = (60.0 * onsets.rate / lag / prior.centre_bpm()).log2();
        (-0.5 * (octaves / PRIOR_OCTAVES).powi(2)).exp()
    };
    let best = (min_lag.max(1)..max_lag.min(ac.len() - 1))
        .filter(|&l| ac[l] >= ac[l - 1] && ac[l] >= ac[l + 1] && ac[l] > 0.0)
        .max_by(|&a, &b| (ac[a] * weight(a as f64)).total_cmp(&(ac[b] * weight(b as f64))))?;
    let (y0, y1, y2) = (ac[best - 1], ac[best], ac[best + 1]);
    let denom = y0 - 2.0 * y1 + y2;
    let shift = if denom < 0.0 {
        (0.5 * (y0 - y2) / denom).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    Some(Pulse {
        period: best as f64 + shift,
        clarity: y1,
    })
}

/// Autocorrelation of `x` minus its mean, lags `0..lags`, normalised so lag 0 is 1. By FFT: O(n log n).
fn autocorrelation(x: &[f32], lags: usize) -> Option<Vec<f64>> {
    let n = x.len();
    if n < 2 {
        return None;
    }
    let mean = x.iter().map(|v| f64::from(*v)).sum::<f64>() / n as f64;
    let size = (2 * n).next_power_of_two();
    let mut planner = RealFftPlanner::<f64>::new();
    let (forward, inverse) = (planner.plan_fft_forward(size), planner.plan_fft_inverse(size));
    let mut buf = forward.make_input_vec();
    for (b, v) in buf.iter_mut().zip(x) {
        *b = f64::from(*v) - mean;
    }
    let mut spectrum = forward.make_output_vec();
    forward.process(&mut buf, &mut spectrum).ok()?;
    for c in spectrum.iter_mut() {
        *c = realfft::num_complex::Complex::new(c.norm_sqr(), 0.0);
    }
    inverse.process(&mut spectrum, &mut buf).ok()?;
    let zero = buf[0];
    if zero <= 0.0 {
        return None;
    }
    Some(buf.iter().take(lags.min(n)).map(|v| v / zero).collect())
}

/// Check the metrical level on tracked beats: halve the tempo if every other beat is weak (we were counting
/// eighths), double it if strong onsets sit halfway between beats (we were counting half notes). One step only.
/// Returns the period and the beats (frames) at that level.
fn settle_level(onsets: &Onsets, period: f64) -> (f64, Vec<f64>) {
    let (slowest, fastest) = (60.0 * onsets.rate / LEVEL_MIN_BPM, 60.0 * onsets.rate / LEVEL_MAX_BPM);
    let period = period.clamp(fastest, slowest);
    let track_at = |period: f64| (period, dp_beats(&onsets.local_score(period), period));
    let beats = dp_beats(&onsets.local_score(period), period);
    if beats.len() < 8 {
        return (period, beats);
    }
    let strengths: Vec<f64> = beats.iter().map(|&b| onsets.strength_near(b)).collect();
    let even = mean(strengths.iter().step_by(2).copied());
    let odd = mean(strengths.iter().skip(1).step_by(2).copied());
    if even.min(odd) < ALTERNATION_RATIO * even.max(odd) && period * 2.0 <= slowest {
        return track_at(period * 2.0);
    }
    let midpoints = mean(beats.windows(2).map(|w| onsets.strength_near((w[0] + w[1]) / 2.0)));
    if midpoints >= MIDPOINT_RATIO * mean(strengths.iter().copied()) && period / 2.0 >= fastest {
        return track_at(period / 2.0);
    }
    (period, beats)
}

fn mean(v: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = v.fold((0.0, 0u32), |(s, n), x| (s + x, n + 1));
    sum / f64::from(n.max(1))
}

/// How many octaves (-2..=2) to move `bpm` to be nearest the prior's range: inside it when an octave fits.
fn octaves_into_range(bpm: f64, prior: &TempoPrior) -> i32 {
    let distance = |k: i32| {
        let bpm = bpm * 2f64.powi(k);
        (prior.min_bpm / bpm).log2().max((bpm / prior.max_bpm).log2()).max(0.0)
    };
    [0, 1, -1, 2, -2]
        .into_iter()
        .min_by(|&a, &b| distance(a).total_cmp(&distance(b)))
        .unwrap_or(0)
}

/// Beats `octaves` octaves faster (midpoints inserted) or slower (every 2nd or 4th beat kept: those in the bar
/// lines' phase, else the strongest).
fn shift_octaves(onsets: &Onsets, mut beats: Vec<f64>, octaves: i32, bar_phase: Option<usize>) -> Vec<f64> {
    for _ in 0..octaves.max(0) {
        let mut finer = Vec::with_capacity(beats.len() * 2);
        for w in beats.windows(2) {
            finer.extend([w[0], (w[0] + w[1]) / 2.0]);
        }
        finer.extend(beats.last());
        beats = finer;
    }
    if octaves < 0 {
        let step = 1usize << octaves.unsigned_abs();
        let strength = |phase: usize| mean(beats.iter().skip(phase).step_by(step).map(|&b| onsets.strength_near(b)));
        let strongest = (0..step)
            .max_by(|&a, &b| strength(a).total_cmp(&strength(b)))
            .unwrap_or(0);
        let phase = bar_phase.map_or(strongest, |p| p % step);
        beats = beats.into_iter().skip(phase).step_by(step).collect();
    }
    beats
}

/// Ellis's dynamic programme: the best chain of beats through `score` with spacing near `period` frames.
/// Returns beat positions in frames, refined between frames on the score's peak.
fn dp_beats(score: &[f32], period: f64) -> Vec<f64> {
    let n = score.len();
    let (near, far) = (
        (period / 2.0).round().max(1.0) as usize,
        (2.0 * period).round() as usize,
    );
    let cost: Vec<f64> = (near..=far)
        .map(|gap| -TIGHTNESS * (gap as f64 / period).ln().powi(2))
        .collect();
    let mut total = vec![0.0f64; n];
    let mut back = vec![usize::MAX; n];
    for i in 0..n {
        // A chain may also start here, so silence before the music adds no beats.
        let mut best = 0.0;
        for gap in near..=far.min(i) {
            let v = total[i - gap] + cost[gap - near];
            if v > best {
                best = v;
                back[i] = i - gap;
            }
        }
        total[i] = f64::from(score[i]) + best;
    }
    let Some(last) = last_beat(&total) else {
        return Vec::new();
    };
    let mut beats = vec![last];
    while let Some(&prev) = back.get(beats[beats.len() - 1]).filter(|&&p| p != usize::MAX) {
        beats.push(prev);
    }
    beats.reverse();
    beats.into_iter().map(|b| refine(score, b)).collect()
}

/// The end of the best chain: the frame with the highest running score (the latest of equals). A chain gains at
/// every beat with an onset and loses a little at every step without one, so this is its last real beat; a
/// librosa-style "last local maximum" can end on a hi-hat after the last beat and so skip that beat.
fn last_beat(total: &[f64]) -> Option<usize> {
    (0..total.len())
        .rev()
        .max_by(|&a, &b| total[a].total_cmp(&total[b]).then(a.cmp(&b)))
}

/// A parabola through the peak and its neighbours places a beat between frames.
fn refine(score: &[f32], i: usize) -> f64 {
    if i == 0 || i + 1 >= score.len() {
        return i as f64;
    }
    let (a, b, c) = (f64::from(score[i - 1]), f64::from(score[i]), f64::from(score[i + 1]));
    let denom = a - 2.0 * b + c;
    if b >= a && b >= c && denom < 0.0 {
        i as f64 + (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
    } else {
        i as f64
    }
}

/// The tempo from the median beat interval, each measured over up to a bar so frame rounding barely shows.
fn median_bpm(beats_s: &[f64]) -> Option<f64> {
    let span = (beats_s.len() / 4).clamp(1, 4);
    let mut ibis: Vec<f64> = beats_s
        .windows(span + 1)
        .map(|w| (w[span] - w[0]) / span as f64)
        .collect();
    ibis.sort_by(f64::total_cmp);
    ibis.get(ibis.len() / 2).filter(|ibi| **ibi > 0.0).map(|ibi| 60.0 / ibi)
}

/// The phase (0..4) of the beats that start 4/4 bars, if one stands out. Accent of a beat = its onset strength +
/// the rise of the low bands (kick on 1 and 3; the backbeat snare on 2 and 4 is often the loudest onset, so
/// strength alone would pick it) + how much the band spectrum differs between the two beats after it and the two
/// before it (harmony changes on the bar; a drum pattern repeating every two beats cancels out), each scaled to
/// unit deviation.
fn downbeats(onsets: &Onsets, beats: &[f64]) -> Option<usize> {
    if beats.len() < 16 {
        return None;
    }
    let strength: Vec<f64> = beats.iter().map(|&b| onsets.strength_near(b)).collect();
    let low: Vec<f64> = beats.iter().map(|&b| onsets.low_rise_near(b)).collect();
    let frame = |b: f64| (b.round() as usize).min(onsets.strength.len() - 1);
    let mean_bands = |from: f64, to: f64| {
        let (from, to) = (frame(from), frame(to).max(frame(from) + 1));
        let mut m = vec![0.0f64; BANDS];
        for t in from..to.min(onsets.strength.len()) {
            for (acc, v) in m.iter_mut().zip(&onsets.bands[t * BANDS..(t + 1) * BANDS]) {
                *acc += f64::from(*v) / (to - from) as f64;
            }
        }
        m
    };
    let change: Vec<f64> = (0..beats.len())
        .map(|i| {
            if i < 2 || i + 2 >= beats.len() {
                return 0.0;
            }
            let (before, after) = (mean_bands(beats[i - 2], beats[i]), mean_bands(beats[i], beats[i + 2]));
            before.iter().zip(&after).map(|(a, b)| (a - b).abs()).sum()
        })
        .collect();
    let (strength, low, change) = (standardised(&strength), standardised(&low), standardised(&change));
    let mut score = [0.0f64; 4];
    let mut count = [0usize; 4];
    for i in 2..beats.len() - 2 {
        score[i % 4] += strength[i] + low[i] + change[i];
        count[i % 4] += 1;
    }
    let mean: Vec<f64> = (0..4).map(|k| score[k] / count[k].max(1) as f64).collect();
    let best = (0..4).max_by(|&a, &b| mean[a].total_cmp(&mean[b]))?;
    let runner_up = (0..4).filter(|&k| k != best).map(|k| mean[k]).fold(f64::MIN, f64::max);
    // Accents in unit deviations: the winner has to beat the next phase clearly.
    (mean[best] - runner_up > 0.3).then_some(best)
}

fn standardised(v: &[f64]) -> Vec<f64> {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
    v.iter().map(|x| if sd > 0.0 { (x - mean) / sd } else { 0.0 }).collect()
}

fn percentile(v: &[f32], q: f64) -> f32 {
    let mut sorted = v.to_vec();
    sorted.sort_by(f32::total_cmp);
    sorted
        .get(((sorted.len() as f64 - 1.0) * q).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

/// RMS of `mono` in each bar (from each downbeat to the next; the last bar runs one bar length).
pub(super) fn bar_rms(mono: &[f32], rate: u32, downbeats_s: &[f64]) -> Vec<f32> {
    let at = |t: f64| ((t * rate as f64).round().max(0.0) as usize).min(mono.len());
    downbeats_s
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let next = downbeats_s
                .get(i + 1)
                .copied()
                .unwrap_or_else(|| d + (d - downbeats_s.get(i.wrapping_sub(1)).copied().unwrap_or(d - 2.0)));
            let bar = &mono[at(d)..at(next).max(at(d))];
            let power = bar.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>() / bar.len().max(1) as f64;
            power.sqrt() as f32
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sound::trackgen::{self, Spec, Style, TestTrack, f_measure, matches};

    #[test]
    fn bar_rms_follows_the_level() {
        let mut mono = vec![0.1f32; 400];
        mono[200..].iter_mut().for_each(|x| *x = 0.5);
        let r = bar_rms(&mono, 100, &[0.0, 1.0, 2.0, 3.0]);
        assert_eq!(r.len(), 4);
        assert!((r[0] - 0.1).abs() < 1e-6 && (r[3] - 0.5).abs() < 1e-6, "{r:?}");
    }

    /// Covers every generated tempo, so the truth is the answer (no octave correction).
    const WIDE: TempoPrior = TempoPrior {
        min_bpm: 60.0,
        max_bpm: 180.0,
        default_bpm: 120.0,
    };
    const ACTION: TempoPrior = TempoPrior {
        min_bpm: 100.0,
        max_bpm: 160.0,
        default_bpm: 128.0,
    };
    const DRAMA: TempoPrior = TempoPrior {
        min_bpm: 60.0,
        max_bpm: 110.0,
        default_bpm: 80.0,
    };
    /// The benchmark's tolerance for a beat.
    const TOL_S: f64 = 0.05;

    fn drums(bpm: f64, lead_silence_s: f64) -> TestTrack {
        let spec = Spec {
            style: Style::Drums,
            bpm,
            drift: 0.01,
            swing: 0.58,
            lead_silence_s,
            music_s: 20.0,
            seed: 11,
        };
        trackgen::generate(&spec, ANALYSIS_RATE)
    }

    fn noise(secs: f64) -> Vec<f32> {
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        (0..(secs * f64::from(ANALYSIS_RATE)) as usize)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ((x >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.5
            })
            .collect()
    }

    #[test]
    fn tempo_and_beats_of_generated_tracks_meet_the_targets() {
        let specs = trackgen::suite(12, 2024);
        let (mut tempo_ok, mut f_sum) = (0, 0.0);
        for spec in &specs {
            let truth = trackgen::generate(spec, ANALYSIS_RATE);
            let found = track(&truth.samples, ANALYSIS_RATE, WIDE);
            let f = f_measure(&found.beats_s, &truth.beats_s, TOL_S);
            let tempo_error = found.bpm / truth.true_bpm() - 1.0;
            println!(
                "{spec:?}: {:.2} BPM ({:+.2} %), F {f:.3}",
                found.bpm,
                100.0 * tempo_error
            );
            tempo_ok += usize::from(tempo_error.abs() <= 0.02);
            f_sum += f;
            assert!(
                found.confidence > 0.5,
                "a generated track has a clear pulse: {}",
                found.confidence
            );
        }
        assert!(
            tempo_ok as f64 >= 0.95 * specs.len() as f64,
            "tempo within 2 % on {tempo_ok}/{}",
            specs.len()
        );
        let mean_f = f_sum / specs.len() as f64;
        assert!(mean_f >= 0.9, "mean F-measure {mean_f:.3}");
    }

    #[test]
    fn silence_and_noise_give_the_default_grid_with_no_confidence() {
        for (what, samples) in [
            ("silence", vec![0.0; 10 * ANALYSIS_RATE as usize]),
            ("noise", noise(10.0)),
        ] {
            let found = track(&samples, ANALYSIS_RATE, ACTION);
            assert_eq!(found.bpm, 128.0, "{what}");
            assert!(found.confidence < 0.05, "{what}: {}", found.confidence);
            assert_eq!(found.beats_s.len(), 22, "{what}: a grid over the 10 s");
            assert_eq!(found.beats_s[..3], [0.0, 60.0 / 128.0, 120.0 / 128.0], "{what}");
            assert!(found.downbeats_s.is_empty(), "{what}");
        }
        let nothing = track(&[], ANALYSIS_RATE, ACTION);
        assert!(nothing.beats_s.is_empty() && nothing.confidence == 0.0);
        assert!(
            track(&[0.5; 100], 0, ACTION).beats_s.is_empty(),
            "no sample rate, no beats"
        );
    }

    #[test]
    fn slow_music_is_doubled_into_a_fast_vibe_range() {
        let truth = drums(70.0, 0.0);
        let found = track(&truth.samples, ANALYSIS_RATE, ACTION);
        assert!(
            (found.bpm / (2.0 * truth.true_bpm()) - 1.0).abs() < 0.02,
            "{}",
            found.bpm
        );
        let hits = matches(&found.beats_s, &truth.beats_s, TOL_S).len();
        assert!(
            hits + 1 >= truth.beats_s.len(),
            "every true beat is still a beat: {hits}/{}",
            truth.beats_s.len()
        );
        let every_other: Vec<f64> = found.beats_s.iter().step_by(2).copied().collect();
        let on_beat = f_measure(&every_other, &truth.beats_s, TOL_S).max(f_measure(
            &found.beats_s.iter().skip(1).step_by(2).copied().collect::<Vec<_>>(),
            &truth.beats_s,
            TOL_S,
        ));
        assert!(on_beat > 0.95, "the added beats fall between the true ones: {on_beat}");
    }

    #[test]
    fn fast_music_is_halved_into_a_slow_vibe_range_on_the_bar_lines() {
        let truth = drums(160.0, 0.0);
        let found = track(&truth.samples, ANALYSIS_RATE, DRAMA);
        assert!(
            (found.bpm / (truth.true_bpm() / 2.0) - 1.0).abs() < 0.02,
            "{}",
            found.bpm
        );
        let on_one_and_three: Vec<f64> = truth.beats_s.iter().step_by(2).copied().collect();
        let f = f_measure(&found.beats_s, &on_one_and_three, TOL_S);
        assert!(f > 0.95, "the kept beats are beats 1 and 3 of each bar: {f}");
        assert!(found.downbeats_s.iter().all(|d| found.beats_s.contains(d)));
    }

    #[test]
    fn no_beats_in_the_silent_intro() {
        let truth = drums(100.0, 3.0);
        let found = track(&truth.samples, ANALYSIS_RATE, WIDE);
        let first = found.beats_s[0];
        assert!(
            (first - 3.0).abs() < 0.025,
            "first beat at {first}, the music starts at 3.0"
        );
    }

    #[test]
    fn downbeats_fall_on_the_bar_lines() {
        let truth = drums(120.0, 1.0);
        let found = track(&truth.samples, ANALYSIS_RATE, WIDE);
        let f = f_measure(&found.downbeats_s, &truth.downbeats_s, TOL_S);
        assert!(f > 0.9, "downbeat F {f}: {:?}", found.downbeats_s);
        assert!(found.downbeats_s.iter().all(|d| found.beats_s.contains(d)));
    }

    #[test]
    fn any_sample_rate_and_any_prior_work() {
        let spec = Spec {
            style: Style::Clicks,
            bpm: 96.0,
            drift: 0.0,
            swing: 0.5,
            lead_silence_s: 0.5,
            music_s: 12.0,
            seed: 5,
        };
        let truth = trackgen::generate(&spec, 44_100);
        let odd = TempoPrior {
            min_bpm: 200.0,
            max_bpm: f64::NAN,
            default_bpm: -1.0,
        };
        for prior in [WIDE, odd] {
            let found = track(&truth.samples, 44_100, prior);
            assert!((found.bpm / 96.0 - 1.0).abs() < 0.02, "{prior:?}: {}", found.bpm);
            assert!(f_measure(&found.beats_s, &truth.beats_s, TOL_S) > 0.95, "{prior:?}");
        }
    }
}
