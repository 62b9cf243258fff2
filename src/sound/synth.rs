//! The synthesiser's building blocks: a stereo buffer, a seeded noise source, oscillators, envelopes, filters, a
//! soft clipper and panning. `bed.rs` (the built-in music bed) and `sfx.rs` (whooshes, risers, hits) are made
//! from these; nothing here knows about vibes or timelines.
//!
//! Every block is plain per-sample state with no allocation, so a 150 s bed renders in a fraction of a second.

use std::f32::consts::{FRAC_PI_4, TAU};

/// The one sample rate of every stem we synthesise or mix.
pub const RATE: u32 = 48_000;
const SR: f32 = RATE as f32;

/// The first sample at or after `t_s`. A micro-sample tolerance keeps times that are exact in frames (12.5 s) on
/// their exact sample despite float rounding.
pub(super) fn sample_at(t_s: f64) -> i64 {
    (t_s * RATE as f64 - 1e-6).ceil() as i64
}

/// A stereo buffer at RATE.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stereo {
    pub left: Vec<f32>,
    pub right: Vec<f32>,
}

impl Stereo {
    pub fn silent(duration_s: f64) -> Stereo {
        let n = sample_at(duration_s.max(0.0)).max(0) as usize;
        Stereo {
            left: vec![0.0; n],
            right: vec![0.0; n],
        }
    }

    pub fn len(&self) -> usize {
        self.left.len()
    }

    pub fn is_empty(&self) -> bool {
        self.left.is_empty()
    }

    pub fn duration_s(&self) -> f64 {
        self.len() as f64 / RATE as f64
    }

    /// Add `other` starting at `at_s` (clipped to self's length), times `gain`. `at_s` may be negative: the part
    /// of `other` before zero is dropped.
    pub fn mix_in(&mut self, other: &Stereo, at_s: f64, gain: f32) {
        self.mix_in_lr(other, at_s, gain, gain);
    }

    /// `mix_in` with a gain per side: placing one rendered voice at different pan positions.
    pub fn mix_in_lr(&mut self, other: &Stereo, at_s: f64, gain_l: f32, gain_r: f32) {
        let start = sample_at(at_s);
        let skip = (-start).max(0) as usize;
        let from = start.max(0) as usize;
        if skip >= other.len() || from >= self.len() {
            return;
        }
        let n = (other.len() - skip).min(self.len() - from);
        for (d, s) in self.left[from..from + n].iter_mut().zip(&other.left[skip..skip + n]) {
            *d += s * gain_l;
        }
        for (d, s) in self.right[from..from + n].iter_mut().zip(&other.right[skip..skip + n]) {
            *d += s * gain_r;
        }
    }

    /// Exact digital silence in [a, b).
    pub fn mute(&mut self, a_s: f64, b_s: f64) {
        let (a, b) = (self.index(a_s), self.index(b_s));
        if a < b {
            self.left[a..b].fill(0.0);
            self.right[a..b].fill(0.0);
        }
    }

    /// Silence in [a, b) that does not click: a short fade into it and a shorter one out of it (what follows the
    /// silence is usually a hit, whose attack must stay sharp).
    pub fn mute_smooth(&mut self, a_s: f64, b_s: f64) {
        const INTO_S: f64 = 0.030;
        const OUT_OF_S: f64 = 0.002;
        self.ramp(a_s - INTO_S, a_s, 1.0, 0.0);
        self.mute(a_s, b_s);
        self.ramp(b_s, b_s + OUT_OF_S, 0.0, 1.0);
    }

    /// The last `fade_s` seconds fall to silence along a quarter sine (smooth at both ends, reaches exactly zero).
    pub fn fade_out(&mut self, fade_s: f64) {
        let end = self.duration_s();
        let (a, b) = (self.index(end - fade_s), self.len());
        let n = (b - a).max(1) as f32;
        for i in a..b {
            let g = (std::f32::consts::FRAC_PI_2 * (b - 1 - i) as f32 / n).sin();
            self.left[i] *= g;
            self.right[i] *= g;
        }
    }

    /// Scale [a, b) by a gain going linearly from `g0` to `g1`.
    pub fn ramp(&mut self, a_s: f64, b_s: f64, g0: f32, g1: f32) {
        let (a, b) = (self.index(a_s), self.index(b_s));
        let n = (b.saturating_sub(a)).max(1) as f32;
        for i in a..b {
            let g = g0 + (g1 - g0) * (i - a) as f32 / n;
            self.left[i] *= g;
            self.right[i] *= g;
        }
    }

    /// Root-mean-square over both channels in [a, b); 0 for an empty span.
    pub fn rms(&self, a_s: f64, b_s: f64) -> f32 {
        let (a, b) = (self.index(a_s), self.index(b_s));
        if a >= b {
            return 0.0;
        }
        let sum: f64 = (a..b)
            .map(|i| (self.left[i] as f64).powi(2) + (self.right[i] as f64).powi(2))
            .sum();
        (sum / (2 * (b - a)) as f64).sqrt() as f32
    }

    /// The largest absolute sample value.
    pub fn peak(&self) -> f32 {
        self.left.iter().chain(&self.right).fold(0.0, |m, s| m.max(s.abs()))
    }

    /// Soft-clip every sample under `ceiling` (see `soft_clip`).
    pub fn soft_clip(&mut self, ceiling: f32) {
        for s in self.left.iter_mut().chain(self.right.iter_mut()) {
            *s = soft_clip(*s, ceiling);
        }
    }

    /// Add one sample to both channels through the pan gains `(l, r)`; out-of-range indices are ignored so voices
    /// can run past the end of the buffer.
    #[inline]
    pub fn add(&mut self, i: usize, l: f32, r: f32) {
        if i < self.len() {
            self.left[i] += l;
            self.right[i] += r;
        }
    }

    fn index(&self, t_s: f64) -> usize {
        sample_at(t_s).clamp(0, self.len() as i64) as usize
    }
}

/// Seeded white noise (SplitMix64): the same seed gives the same samples on every machine, and it is cheap enough
/// to run per sample.
#[derive(Debug, Clone)]
pub(super) struct Noise(u64);

impl Noise {
    pub(super) fn new(seed: u64) -> Noise {
        Noise(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1): for small random choices (velocities, which progression).
    pub(super) fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// White noise in [-1, 1).
    pub(super) fn white(&mut self) -> f32 {
        self.uniform() * 2.0 - 1.0
    }
}

/// A phase accumulator (0..1) that any waveform can read; frequency may change every sample (glides, sweeps).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Osc {
    phase: f32,
}

impl Osc {
    /// Start at a given phase, so detuned voices do not all start in step (which sounds like one louder voice).
    pub(super) fn at(phase: f32) -> Osc {
        Osc { phase: phase.fract() }
    }

    fn step(&mut self, hz: f32) -> (f32, f32) {
        let (p, dt) = (self.phase, (hz * (1.0 / SR)).abs().min(0.5));
        self.phase += dt;
        if self.phase >= 1.0 {
            self.phase -= 1.0;
        }
        (p, dt)
    }

    pub(super) fn sine(&mut self, hz: f32) -> f32 {
        sin_turns(self.step(hz).0)
    }

    /// A band-limited saw (PolyBLEP): the naive ramp's jump aliases into a harsh fizz on high notes; smoothing the
    /// two samples around the jump removes most of it for almost no cost.
    pub(super) fn saw(&mut self, hz: f32) -> f32 {
        let (p, dt) = self.step(hz);
        2.0 * p - 1.0 - poly_blep(p, dt)
    }

    /// A naive triangle: its harmonics fall off fast enough that aliasing is inaudible at our pitches.
    pub(super) fn triangle(&mut self, hz: f32) -> f32 {
        let p = self.step(hz).0;
        4.0 * (p - 0.5).abs() - 1.0
    }
}

/// sin(2π·p) for p in [0, 1) to within 0.1 %: a parabola refined once. Its error adds harmonics near -60 dB, far
/// under the mix, at a fraction of `f32::sin`'s cost (the bed runs a dozen oscillators per sample).
pub(super) fn sin_turns(p: f32) -> f32 {
    let x = 0.5 - p.fract();
    let y = 8.0 * x - 16.0 * x * x.abs();
    0.225 * (y * y.abs() - y) + y
}

fn poly_blep(p: f32, dt: f32) -> f32 {
    if p < dt {
        let x = p / dt;
        2.0 * x - x * x - 1.0
    } else if p > 1.0 - dt {
        let x = (p - 1.0) / dt;
        x * x + 2.0 * x + 1.0
    } else {
        0.0
    }
}

/// Exponential decay with time constant `tau_s`: how struck and plucked things fade.
pub(super) fn exp_decay(t_s: f32, tau_s: f32) -> f32 {
    (-t_s / tau_s).exp()
}

/// Attack-decay-sustain-release as a function of time since the note started, held for `gate_s`. Linear attack
/// (no click, no smear), exponential decay and release (how real instruments fade).
pub(super) fn adsr(t_s: f32, gate_s: f32, a_s: f32, d_s: f32, sustain: f32, r_s: f32) -> f32 {
    let held = |t: f32| {
        if t < a_s {
            t / a_s
        } else {
            sustain + (1.0 - sustain) * exp_decay(t - a_s, d_s)
        }
    };
    if t_s < gate_s {
        held(t_s)
    } else {
        held(gate_s) * exp_decay(t_s - gate_s, r_s)
    }
}

/// A one-pole low-pass: the gentlest filter, for darkening a signal and for smoothing control values (glides).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct OnePole {
    y: f32,
    a: f32,
}

impl OnePole {
    pub(super) fn new(cutoff_hz: f32) -> OnePole {
        OnePole {
            y: 0.0,
            a: 1.0 - (-TAU * cutoff_hz / SR).exp(),
        }
    }

    /// Start at a value, so a smoothed control does not glide up from zero.
    pub(super) fn starting_at(mut self, y: f32) -> OnePole {
        self.y = y;
        self
    }

    pub(super) fn lowpass(&mut self, x: f32) -> f32 {
        self.y += self.a * (x - self.y);
        self.y
    }

    /// What the low-pass removes: a gentle high-pass (takes the rumble out of noise).
    pub(super) fn highpass(&mut self, x: f32) -> f32 {
        x - self.lowpass(x)
    }
}

/// A state-variable filter (Simper's trapezoidal form): low-, band- and high-pass from one state, stable while the
/// cutoff moves, which sweeps and swells need. `tune` costs a `tan`, so slow sweeps retune every few samples.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Svf {
    ic1: f32,
    ic2: f32,
    a1: f32,
    a2: f32,
    a3: f32,
    k: f32,
}

/// The three outputs of one `Svf` step.
#[derive(Debug, Clone, Copy)]
pub(super) struct SvfOut {
    pub low: f32,
    pub band: f32,
    pub high: f32,
}

impl Svf {
    pub(super) fn new(cutoff_hz: f32, q: f32) -> Svf {
        let mut f = Svf::default();
        f.tune(cutoff_hz, q);
        f
    }

    pub(super) fn tune(&mut self, cutoff_hz: f32, q: f32) {
        let g = (std::f32::consts::PI * cutoff_hz.clamp(10.0, 0.45 * SR) / SR).tan();
        self.k = 1.0 / q.max(0.05);
        self.a1 = 1.0 / (1.0 + g * (g + self.k));
        self.a2 = g * self.a1;
        self.a3 = g * self.a2;
    }

    pub(super) fn process(&mut self, x: f32) -> SvfOut {
        let v3 = x - self.ic2;
        let v1 = self.a1 * self.ic1 + self.a2 * v3;
        let v2 = self.ic2 + self.a2 * self.ic1 + self.a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        SvfOut {
            low: v2,
            band: v1,
            high: x - self.k * v1 - v2,
        }
    }
}

/// Linear below half the ceiling, then bends smoothly (tanh) so no sample ever exceeds `ceiling`: the master's
/// safety net. Quiet material passes untouched; only peaks are rounded off.
pub(super) fn soft_clip(x: f32, ceiling: f32) -> f32 {
    let knee = 0.5 * ceiling;
    let m = x.abs();
    if m <= knee {
        x
    } else {
        let room = ceiling - knee;
        (knee + room * ((m - knee) / room).tanh()).copysign(x)
    }
}

/// Equal-power pan gains for a position in [-1 (left), 1 (right)]: a voice keeps its loudness as it moves.
pub(super) fn pan(position: f32) -> (f32, f32) {
    let angle = (position.clamp(-1.0, 1.0) + 1.0) * FRAC_PI_4;
    (angle.cos(), angle.sin())
}

/// Mid/side width: 0 folds to mono, 1 leaves the pair alone, above 1 widens (for pads and reverb tails).
pub(super) fn width(l: f32, r: f32, w: f32) -> (f32, f32) {
    let (mid, side) = (0.5 * (l + r), 0.5 * (l - r) * w);
    (mid + side, mid - side)
}

/// The frequency of a MIDI note (69 = A4 = 440 Hz), so music is written in semitones.
pub(super) fn midi_hz(note: f32) -> f32 {
    440.0 * ((note - 69.0) / 12.0).exp2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mix_in_places_at_the_sample_and_clips_both_ends() {
        let mut a = Stereo::silent(1.0);
        let mut b = Stereo::silent(0.5);
        b.left.fill(1.0);
        b.right.fill(1.0);
        a.mix_in(&b, 0.75, 0.5);
        assert_eq!(a.left[35_999], 0.0);
        assert_eq!(a.left[36_000], 0.5);
        assert_eq!(a.right[47_999], 0.5);
        let mut c = Stereo::silent(1.0);
        c.mix_in(&b, -0.25, 1.0);
        assert_eq!(c.left[11_999], 1.0);
        assert_eq!(c.left[12_000], 0.0);
        c.mix_in(&b, 2.0, 1.0);
        assert_eq!(a.len(), 48_000);
    }

    #[test]
    fn mute_is_exact_and_smooth_mute_does_not_click() {
        let mut a = Stereo::silent(1.0);
        a.left.fill(0.5);
        a.right.fill(0.5);
        a.mute_smooth(0.5, 0.75);
        assert!(a.left[24_000..36_000].iter().all(|&s| s == 0.0));
        assert_eq!(a.left[36_000], 0.0);
        assert!(a.left[36_100] > 0.49);
        let steps = a.left.windows(2).map(|w| (w[1] - w[0]).abs()).fold(0.0, f32::max);
        assert!(steps < 0.01, "largest step {steps}");
    }

    #[test]
    fn soft_clip_is_transparent_when_quiet_and_bounded_when_loud() {
        assert_eq!(soft_clip(0.2, 0.7), 0.2);
        assert!(soft_clip(5.0, 0.7) <= 0.7 && soft_clip(5.0, 0.7) > 0.69);
        assert!(soft_clip(-5.0, 0.7) >= -0.7);
    }

    #[test]
    fn noise_is_seeded_and_centred() {
        let draw = |seed| {
            let mut n = Noise::new(seed);
            (0..10_000).map(|_| n.white()).collect::<Vec<_>>()
        };
        assert_eq!(draw(1), draw(1));
        assert_ne!(draw(1), draw(2));
        let mean = draw(3).iter().sum::<f32>() / 10_000.0;
        assert!(mean.abs() < 0.03);
    }

    #[test]
    fn svf_passes_what_it_should() {
        let tone = |hz: f32, which: fn(SvfOut) -> f32| {
            let (mut f, mut o) = (Svf::new(1_000.0, 0.7), Osc::default());
            let out: Vec<f32> = (0..RATE).map(|_| which(f.process(o.sine(hz)))).collect();
            out[24_000..].iter().fold(0.0f32, |m, s| m.max(s.abs()))
        };
        assert!(tone(100.0, |o| o.low) > 0.9 && tone(10_000.0, |o| o.low) < 0.05);
        assert!(tone(10_000.0, |o| o.high) > 0.9 && tone(100.0, |o| o.high) < 0.05);
    }

    #[test]
    fn fast_sine_is_close() {
        for i in 0..1000 {
            let p = i as f32 / 1000.0;
            assert!((sin_turns(p) - (TAU * p).sin()).abs() < 0.0015, "{p}");
        }
    }

    #[test]
    fn fade_out_ends_in_silence() {
        let mut a = Stereo::silent(1.0);
        a.left.fill(1.0);
        a.fade_out(0.5);
        assert_eq!(a.left[23_999], 1.0);
        assert_eq!(*a.left.last().unwrap(), 0.0);
        assert!(a.left[36_000] > 0.6 && a.left[36_000] < 0.8);
    }
}
