//! Known-tempo test tracks, for the beat tracker's tests and its benchmark (`examples/beat_accuracy.rs`).
//!
//! Deterministic (a seeded PRNG, no files): click tracks with accented downbeats, and drum patterns (kick on 1
//! and 3, snare on 2 and 4, swung eighth-note hi-hats, a chord pad that changes each bar, a little noise), with a
//! linear tempo drift and leading silence. Each comes with its true beat and downbeat times, and `f_measure`
//! scores a tracker's beats against them the standard way.

/// What plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A click on every beat, higher and louder on the downbeat.
    Clicks,
    /// Kick, snare, hi-hats and a chord pad.
    Drums,
}

/// A test track's recipe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spec {
    pub style: Style,
    /// Tempo when the music starts.
    pub bpm: f64,
    /// Relative tempo change from the first beat to the last, linear in time (0.02: 2 % faster at the end).
    pub drift: f64,
    /// Where the off-beat hi-hat falls within the beat: 0.5 straight, up to ~0.62 swung (drums only).
    pub swing: f64,
    /// Digital silence before the music.
    pub lead_silence_s: f64,
    /// Length of the music after the silence.
    pub music_s: f64,
    pub seed: u64,
}

/// A generated track and its truth.
#[derive(Debug, Clone)]
pub struct TestTrack {
    pub spec: Spec,
    pub sample_rate: u32,
    pub samples: Vec<f32>,
    /// Every beat of the music, in seconds from the start of the track.
    pub beats_s: Vec<f64>,
    /// The first beat of each 4/4 bar.
    pub downbeats_s: Vec<f64>,
}

impl TestTrack {
    /// The tempo a tracker should report: from the median true beat interval (drift makes it vary).
    pub fn true_bpm(&self) -> f64 {
        let mut ibis: Vec<f64> = self.beats_s.windows(2).map(|w| w[1] - w[0]).collect();
        ibis.sort_by(f64::total_cmp);
        ibis.get(ibis.len() / 2).map_or(self.spec.bpm, |ibi| 60.0 / ibi)
    }
}

/// `n` recipes whose tempi are spread evenly over 70–170 BPM, with drift of up to ±2 %, swing up to 0.62, 0–3 s
/// of leading silence and 20–40 s length drawn from `seed`. Two in three are drum tracks.
pub fn suite(n: usize, seed: u64) -> Vec<Spec> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let spread = if n > 1 { i as f64 / (n - 1) as f64 } else { 0.5 };
            let total_s = rng.range(20.0, 40.0);
            let lead_silence_s = rng.range(0.0, 3.0);
            Spec {
                style: if i % 3 == 2 { Style::Clicks } else { Style::Drums },
                bpm: 70.0 + 100.0 * spread,
                drift: rng.range(-0.02, 0.02),
                swing: rng.range(0.5, 0.62),
                lead_silence_s,
                music_s: total_s - lead_silence_s,
                seed: rng.next_u64(),
            }
        })
        .collect()
}

/// Render `spec` at `sample_rate`.
pub fn generate(spec: &Spec, sample_rate: u32) -> TestTrack {
    let beats_s = beat_times(spec);
    let downbeats_s: Vec<f64> = beats_s.iter().step_by(4).copied().collect();
    let total_s = spec.lead_silence_s + spec.music_s;
    let mut mix = Mix {
        rate: f64::from(sample_rate),
        out: vec![0.0; (total_s * f64::from(sample_rate)) as usize],
        rng: Rng::new(spec.seed),
    };
    match spec.style {
        Style::Clicks => play_clicks(&mut mix, &beats_s),
        Style::Drums => play_drums(&mut mix, spec, &beats_s),
    }
    let peak = mix.out.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak > 0.0 {
        mix.out.iter_mut().for_each(|s| *s *= 0.9 / peak);
    }
    TestTrack {
        spec: *spec,
        sample_rate,
        samples: mix.out,
        beats_s,
        downbeats_s,
    }
}

/// Beats from the end of the silence to the end of the music, the tempo moving linearly by `drift`.
fn beat_times(spec: &Spec) -> Vec<f64> {
    let start = spec.lead_silence_s;
    let end = start + spec.music_s;
    let mut beats = Vec::new();
    let mut t = start;
    while t < end {
        beats.push(t);
        let bpm = spec.bpm * (1.0 + spec.drift * (t - start) / spec.music_s);
        t += 60.0 / bpm;
    }
    beats
}

fn play_clicks(mix: &mut Mix, beats: &[f64]) {
    for (i, &b) in beats.iter().enumerate() {
        let (freq, amp) = if i % 4 == 0 { (1600.0, 0.9) } else { (1000.0, 0.5) };
        mix.add(b, 0.06, |t, _| {
            amp * (-t / 0.012).exp() * (std::f64::consts::TAU * freq * t).sin()
        });
    }
    let (start, end) = (beats.first().copied().unwrap_or(0.0), mix.duration_s());
    mix.add(start, end - start, |_, noise| 0.005 * noise);
}

fn play_drums(mix: &mut Mix, spec: &Spec, beats: &[f64]) {
    use std::f64::consts::TAU;
    let Some(&start) = beats.first() else { return };
    let end = mix.duration_s();
    for (i, &b) in beats.iter().enumerate() {
        let vel = mix.rng.range(0.85, 1.15) * if i % 4 == 0 { 1.1 } else { 1.0 };
        if i % 2 == 0 {
            // A kick: a sine falling from 150 to 50 Hz (the phase is the integral of that sweep).
            mix.add(b, 0.4, |t, _| {
                let phase = TAU * (50.0 * t + 3.0 * (1.0 - (-t / 0.03).exp()));
                0.9 * vel * (-t / 0.15).exp() * phase.sin()
            });
        } else {
            mix.add(b, 0.25, |t, noise| {
                vel * (0.45 * noise * (-t / 0.08).exp() + 0.3 * (-t / 0.05).exp() * (TAU * 190.0 * t).sin())
            });
        }
        let next = beats
            .get(i + 1)
            .copied()
            .unwrap_or(b + (b - beats[i.saturating_sub(1)]));
        for at in [b, b + spec.swing * (next - b)] {
            let hat_vel = mix.rng.range(0.7, 1.0);
            let mut last = 0.0;
            // Differenced noise: a crude high-pass, bright like a closed hat.
            mix.add(at, 0.08, |t, noise| {
                let bright = noise - last;
                last = noise;
                0.08 * hat_vel * (-t / 0.025).exp() * bright
            });
        }
    }
    // A pad chord that changes on every downbeat (C, Am, F, G), and a little noise under everything.
    let chords = [
        [261.6, 329.6, 392.0],
        [220.0, 261.6, 329.6],
        [174.6, 220.0, 261.6],
        [196.0, 246.9, 293.7],
    ];
    for (bar, w) in beats.iter().step_by(4).collect::<Vec<_>>().windows(2).enumerate() {
        let (from, to) = (*w[0], *w[1]);
        let notes = chords[bar % chords.len()];
        mix.add(from, to - from, |t, _| {
            let envelope = (t / 0.03).min(1.0) * ((to - from - t) / 0.03).clamp(0.0, 1.0);
            0.04 * envelope * notes.iter().map(|f| (TAU * f * t).sin()).sum::<f64>()
        });
    }
    mix.add(start, end - start, |_, noise| 0.01 * noise);
}

/// The track being rendered: sounds are added at a time, each given its local time and fresh noise.
struct Mix {
    rate: f64,
    out: Vec<f32>,
    rng: Rng,
}

impl Mix {
    fn duration_s(&self) -> f64 {
        self.out.len() as f64 / self.rate
    }

    fn add(&mut self, at_s: f64, dur_s: f64, mut sound: impl FnMut(f64, f64) -> f64) {
        let first = (at_s * self.rate).round().max(0.0) as usize;
        let last = (((at_s + dur_s) * self.rate) as usize).min(self.out.len());
        for i in first..last {
            let t = (i - first) as f64 / self.rate;
            let noise = self.rng.range(-1.0, 1.0);
            self.out[i] += sound(t, noise) as f32;
        }
    }
}

/// The standard beat-tracking F-measure: a detected beat within `tol_s` of a true beat is a hit, each true beat
/// matched at most once. 1.0 when both lists are empty.
pub fn f_measure(detected: &[f64], truth: &[f64], tol_s: f64) -> f64 {
    if detected.is_empty() && truth.is_empty() {
        return 1.0;
    }
    let hits = matches(detected, truth, tol_s).len() as f64;
    if hits == 0.0 {
        return 0.0;
    }
    let precision = hits / detected.len() as f64;
    let recall = hits / truth.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

/// Pairs (detected, true) matched one to one within `tol_s`. Both lists rise, and the tolerance is well under half
/// a beat, so a single merge pass finds the best matching.
pub fn matches(detected: &[f64], truth: &[f64], tol_s: f64) -> Vec<(f64, f64)> {
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < detected.len() && j < truth.len() {
        let (d, t) = (detected[i], truth[j]);
        if (d - t).abs() <= tol_s {
            out.push((d, t));
            i += 1;
            j += 1;
        } else if d < t {
            i += 1;
        } else {
            j += 1;
        }
    }
    out
}

/// splitmix64: tiny, seeded, and the same on every platform.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_follow_the_recipe() {
        let spec = Spec {
            style: Style::Drums,
            bpm: 120.0,
            drift: 0.02,
            swing: 0.6,
            lead_silence_s: 1.5,
            music_s: 20.0,
            seed: 7,
        };
        let track = generate(&spec, 8000);
        assert_eq!(track.samples.len(), 8000 * 43 / 2);
        assert_eq!(track.beats_s[0], 1.5);
        assert!((track.true_bpm() - 121.2).abs() < 0.6, "{}", track.true_bpm());
        let last_ibi = track.beats_s[track.beats_s.len() - 1] - track.beats_s[track.beats_s.len() - 2];
        assert!((60.0 / last_ibi / 120.0 - 1.02).abs() < 0.002, "the drift reaches 2 %");
        assert!(
            track.samples[..8000].iter().all(|s| *s == 0.0),
            "silent before the music"
        );
        assert_eq!(track.downbeats_s[1], track.beats_s[4]);
        assert_eq!(generate(&spec, 8000).samples, track.samples, "deterministic");
    }

    #[test]
    fn f_measure_counts_each_true_beat_once() {
        let truth = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(f_measure(&truth, &truth, 0.05), 1.0);
        assert_eq!(
            f_measure(&[1.01, 1.02, 2.0], &truth, 0.05),
            2.0 * (2.0 / 3.0) * 0.5 / (2.0 / 3.0 + 0.5)
        );
        assert_eq!(f_measure(&[1.5, 2.5], &truth, 0.05), 0.0);
        assert_eq!(f_measure(&[], &[], 0.05), 1.0);
    }

    #[test]
    fn suite_spans_the_tempo_range() {
        let specs = suite(12, 1);
        assert_eq!(specs.first().map(|s| s.bpm), Some(70.0));
        assert_eq!(specs.last().map(|s| s.bpm), Some(170.0));
        assert!(
            specs
                .iter()
                .all(|s| (20.0..=40.0).contains(&(s.lead_silence_s + s.music_s)))
        );
        assert!(specs.iter().any(|s| s.style == Style::Clicks));
    }
}
