//! Sound effects: a whoosh into a hard cut, a riser with a soft boom at an act boundary, a big impact on the act-3
//! entry and the title. Synthesised from `synth.rs` blocks (filtered noise, pitch-dropping sines, swept saws), so
//! no sample files ship and every trailer's effects are seeded. `bed.rs` reuses `riser` and `impact`.
//!
//! The timeline (stage `assembly`) decides where effects go; this module only renders them, and keeps the silence
//! beat silent: a build-up that would end inside a mute ends at the mute's start instead, and whatever still
//! overlaps a mute is cut out of it.

use super::synth::{Noise, OnePole, Osc, RATE, Stereo, Svf, exp_decay, pan, soft_clip};
use crate::timeline::{BOUNDARY_BOOM_S, SfxEvent, SfxKind};

/// Bump when the effects sound different, so stage `assembly` renders them again.
pub(super) const VERSION: u32 = 1;

/// The stem's ceiling: -3 dBFS leaves the mix its headroom.
const CEILING: f32 = 0.708;
/// The riser under a boundary effect, an A: neutral, and low enough that its two-octave climb stays below harshness.
const RISER_BASE_HZ: f32 = 110.0;

/// The sound-effects stem: every event at its time; exactly silent inside `mutes` (nothing leaks into the silence beat).
pub fn render_sfx(events: &[SfxEvent], duration_s: f64, mutes: &[(f64, f64)], seed: u64) -> Stereo {
    let mut out = Stereo::silent(duration_s);
    for (i, e) in events.iter().enumerate() {
        // Each event gets its own noise, so ten whooshes are ten different whooshes.
        let seed = seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let build_end = build_end(e.at_s, mutes);
        match e.kind {
            SfxKind::Hard => {
                let lead = SfxKind::Hard.lead_s();
                out.mix_in(&whoosh(seed), build_end - lead, 0.5);
            }
            SfxKind::Boundary => {
                let lead = SfxKind::Boundary.lead_s();
                out.mix_in(&riser(lead, RISER_BASE_HZ, seed), build_end - lead, 0.45);
                out.mix_in(&impact(0.35, BOUNDARY_BOOM_S, seed), e.at_s, 0.6);
            }
            SfxKind::Hit => out.mix_in(&impact(1.0, SfxKind::Hit.duration_s(), seed), e.at_s, 0.9),
        }
    }
    out.soft_clip(CEILING);
    for &(a, b) in mutes {
        out.mute_smooth(a, b);
    }
    out
}

/// Where a build-up aimed at `at_s` must end: at `at_s`, or at the start of a mute that `at_s` falls in or ends
/// (a boundary right after the silence beat builds INTO the silence, not through it).
pub(super) fn build_end(at_s: f64, mutes: &[(f64, f64)]) -> f64 {
    mutes
        .iter()
        .find(|&&(a, b)| a < at_s && at_s <= b + 1e-9)
        .map_or(at_s, |&(a, _)| a)
}

/// A whoosh `SfxKind::Hard.duration_s()` long whose loudest point is `lead_s` in (the cut): band-passed noise
/// sweeping up into the cut and back down after it, panning across, with a small low thump on the cut itself.
pub(super) fn whoosh(seed: u64) -> Stereo {
    let lead = SfxKind::Hard.lead_s() as f32;
    let mut out = Stereo::silent(SfxKind::Hard.duration_s());
    let (mut noise, mut thump) = (Noise::new(seed), Osc::default());
    let (mut band, mut body) = (Svf::new(500.0, 1.4), OnePole::new(900.0));
    let n = out.len();
    for i in 0..n {
        let t = i as f32 / RATE as f32;
        let x = t - lead;
        // Rises steeply into the cut, falls fast after it: the ear hears the peak as the cut.
        let env = if x < 0.0 {
            (1.0 + x / lead).powi(3)
        } else {
            exp_decay(x, 0.07)
        };
        if i % 16 == 0 {
            let centre = if x < 0.0 {
                500.0 * 8f32.powf(1.0 + x / lead)
            } else {
                4_000.0 * exp_decay(x, 0.15) + 600.0
            };
            band.tune(centre, 1.4);
        }
        let w = noise.white();
        let s = env * (band.process(w).band * 1.6 + body.lowpass(w) * 0.5);
        let kick = if x >= 0.0 {
            thump.sine(70.0) * exp_decay(x, 0.06) * 0.6
        } else {
            0.0
        };
        let (gl, gr) = pan(-0.7 + 1.4 * t / (n as f32 / RATE as f32));
        out.add(i, s * gl + kick, s * gr + kick);
    }
    out.fade_out(0.01);
    out
}

/// A riser `length_s` long that ends at its last sample: noise through a band-pass climbing from 300 Hz to 6 kHz,
/// and three detuned saws gliding up two octaves from `base_hz` under an accelerating tremolo. Both swell towards
/// the end; the last 8 ms fade so the cut-off into a hit or a silence does not click.
pub(super) fn riser(length_s: f64, base_hz: f32, seed: u64) -> Stereo {
    let mut out = Stereo::silent(length_s);
    let n = out.len().max(1);
    let (mut nl, mut nr) = (Noise::new(seed), Noise::new(seed.rotate_left(17)));
    let (mut bl, mut br) = (Svf::new(300.0, 2.0), Svf::new(300.0, 2.0));
    let (mut tone_l, mut tone_r) = (Svf::new(400.0, 0.8), Svf::new(400.0, 0.8));
    let mut saws = [Osc::at(0.0), Osc::at(0.33), Osc::at(0.67)];
    let mut trem = Osc::default();
    let tail = (0.008 * RATE as f32) as usize;
    for i in 0..n {
        let x = i as f32 / n as f32;
        if i % 16 == 0 {
            bl.tune(300.0 * 20f32.powf(x), 2.0);
            br.tune(320.0 * 20f32.powf(x), 2.0);
            tone_l.tune(400.0 * 12f32.powf(x), 0.8);
            tone_r.tune(400.0 * 12f32.powf(x), 0.8);
        }
        let hz = base_hz * 4f32.powf(x);
        let (a, b, c) = (saws[0].saw(hz * 0.995), saws[1].saw(hz * 1.005), saws[2].saw(hz * 2.0));
        // The tremolo speeds up from 3 to 18 Hz and deepens: the classic "something is coming" flutter.
        let gate = 1.0 - x * 0.6 * (0.5 + 0.5 * trem.sine(3.0 + 15.0 * x * x));
        let env = x
            * x
            * if n - i < tail {
                (n - i) as f32 / tail as f32
            } else {
                1.0
            };
        let tl = tone_l.process(a + 0.5 * c).low * gate * 0.35;
        let tr = tone_r.process(b + 0.5 * c).low * gate * 0.35;
        let hiss = x * 0.6;
        let l = bl.process(nl.white()).band * (0.9 + hiss);
        let r = br.process(nr.white()).band * (0.9 + hiss);
        out.add(i, env * (tl + l), env * (tr + r));
    }
    out
}

/// An impact `length_s` long starting on its first sample. `size` 0..1: 1 is the act-3 slam, ~0.3 a soft boom.
/// Layers: a sub sine dropping from ~120 to 32 Hz (the weight), a low noise punch, a bright crack (the edge), and a
/// long wide tail of darkening noise that stands in for a hall's reverb.
pub(super) fn impact(size: f32, length_s: f64, seed: u64) -> Stereo {
    let mut out = Stereo::silent(length_s);
    let (mut nl, mut nr) = (Noise::new(seed), Noise::new(seed.rotate_left(29)));
    let (mut sub, mut punch, mut crack) = (Osc::default(), OnePole::new(300.0), Svf::new(2_500.0, 0.7));
    let (mut tail_l, mut tail_r) = (Svf::new(4_000.0, 0.6), Svf::new(4_000.0, 0.6));
    let (body_s, tail_s) = (0.5 + 1.0 * size, 0.4 + 1.2 * size);
    // The last 20 ms fade so a shortened impact never ends on a step.
    let end = out.len();
    let fade = (0.02 * RATE as f32) as usize;
    for i in 0..end {
        let t = i as f32 / RATE as f32;
        if i % 16 == 0 {
            let cut = 250.0 + 3_750.0 * exp_decay(t, 0.4);
            tail_l.tune(cut, 0.6);
            tail_r.tune(cut, 0.6);
        }
        let attack = (t / 0.001).min(1.0);
        let weight = sub.sine(32.0 + 90.0 * exp_decay(t, 0.06)) * exp_decay(t, body_s) * attack;
        let (wl, wr) = (nl.white(), nr.white());
        let thud = punch.lowpass(wl) * exp_decay(t, 0.05) * 2.0;
        let edge = crack.process(0.5 * (wl + wr)).high * exp_decay(t, 0.012) * size;
        let room = (1.0 - exp_decay(t, 0.03)) * exp_decay(t, tail_s) * 0.35 * size.sqrt();
        let mono = 0.8 * weight + thud + 0.6 * edge;
        let fade_gain = if end - i < fade {
            (end - i) as f32 / fade as f32
        } else {
            1.0
        };
        out.add(
            i,
            fade_gain * soft_clip(mono + room * tail_l.process(wl).low, 1.0),
            fade_gain * soft_clip(mono + room * tail_r.process(wr).low, 1.0),
        );
    }
    out
}

/// Loudest 20 ms window's start in a span, for the tests here and in `bed.rs`.
#[cfg(test)]
pub(crate) fn loudest_window(s: &Stereo, a_s: f64, b_s: f64) -> f64 {
    let step = 0.005;
    let mut best = (a_s, 0.0f32);
    let mut t = a_s;
    while t + 0.02 <= b_s {
        let r = s.rms(t, t + 0.02);
        if r > best.1 {
            best = (t, r);
        }
        t += step;
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sound::synth::sample_at;

    fn one(kind: SfxKind, at_s: f64, mutes: &[(f64, f64)]) -> Stereo {
        render_sfx(&[SfxEvent { at_s, kind }], 10.0, mutes, 7)
    }

    #[test]
    fn whoosh_peaks_at_the_cut() {
        let s = one(SfxKind::Hard, 3.0, &[]);
        let peak = loudest_window(&s, 2.0, 4.0);
        assert!((peak - 3.0).abs() < 0.06, "loudest at {peak}");
        assert_eq!(s.rms(0.0, 2.6), 0.0);
        assert!(s.rms(2.7, 3.05) > 0.02);
        assert!(s.rms(3.4, 10.0) < 1e-4, "the whoosh is short");
    }

    #[test]
    fn riser_builds_to_the_boundary_then_a_boom() {
        let s = one(SfxKind::Boundary, 5.0, &[]);
        assert_eq!(s.rms(0.0, 2.99), 0.0);
        let early = s.rms(3.0, 3.5);
        let late = s.rms(4.5, 5.0);
        assert!(late > 3.0 * early, "riser swells: {early} -> {late}");
        let build_peak = loudest_window(&s, 3.0, 5.0);
        assert!(build_peak > 4.7, "the build is loudest at its end, not at {build_peak}");
        assert!(s.rms(5.0, 5.3) > 0.05, "a boom on the boundary");
    }

    #[test]
    fn hit_starts_on_its_time_with_a_long_tail() {
        let s = one(SfxKind::Hit, 2.0, &[]);
        assert_eq!(s.rms(0.0, 2.0), 0.0);
        assert!(s.rms(2.0, 2.05) > 0.15, "a loud transient right on the hit");
        assert!(s.rms(3.0, 4.0) > 0.005, "a tail");
        assert!(s.peak() < CEILING);
    }

    #[test]
    fn nothing_sounds_inside_a_mute_even_when_events_overlap_it() {
        let mutes = [(4.0, 8.0)];
        let events = [
            SfxEvent {
                at_s: 3.9,
                kind: SfxKind::Hit,
            },
            SfxEvent {
                at_s: 4.1,
                kind: SfxKind::Hard,
            },
            SfxEvent {
                at_s: 8.0,
                kind: SfxKind::Boundary,
            },
            SfxEvent {
                at_s: 8.1,
                kind: SfxKind::Hard,
            },
            SfxEvent {
                at_s: 8.0,
                kind: SfxKind::Hit,
            },
        ];
        let s = render_sfx(&events, 12.0, &mutes, 3);
        let (a, b) = (sample_at(4.0) as usize, sample_at(8.0) as usize);
        assert!(s.left[a..b].iter().chain(&s.right[a..b]).all(|&x| x == 0.0));
        assert!(s.rms(3.9, 4.0) > 0.05, "the hit before the mute sounds until it");
        assert!(
            s.rms(3.7, 3.97) > 0.05,
            "the boundary riser builds into the silence's start"
        );
        assert!(s.rms(8.0, 8.1) > 0.1, "the hit after the mute sounds");
    }

    #[test]
    fn same_seed_same_samples() {
        let events = [
            SfxEvent {
                at_s: 1.0,
                kind: SfxKind::Hard,
            },
            SfxEvent {
                at_s: 3.0,
                kind: SfxKind::Boundary,
            },
        ];
        assert_eq!(render_sfx(&events, 6.0, &[], 1), render_sfx(&events, 6.0, &[], 1));
        assert_ne!(render_sfx(&events, 6.0, &[], 1), render_sfx(&events, 6.0, &[], 2));
    }
}
