//! The built-in music bed: a trailer score synthesised from the vibe, for when no music file is given or found
//! (offline, nothing to download). It follows the timeline's grid and acts: a drone and a muted pulse in the cold
//! open and act 1, drums from act 2, the full kit with a bass ostinato in act 3, risers into the boundaries, a
//! slam on the act-3 entry and the title, silence where the timeline wants silence.
//!
//! Built from `synth.rs` blocks; `sfx.rs` lends the riser and the impact. The layers, top to bottom:
//! - sustained (`sustained`): drone (root + fifth, saws through a slowly moving low-pass), a string-like saw pad
//!   playing the chord loop through a low-pass that swells across each section, and a breath of filtered noise;
//! - rhythmic (`rhythm`): muted chord stabs on every beat (a clock tick on the off-beats for taut vibes), kick,
//!   snare, toms and hats from a 16-step pattern table, and the eighth-note bass ostinato in act 3;
//! - events (`events`): risers ending on the boundaries and hits (impact + a low chord "braam").

use std::f32::consts::TAU;

use super::sfx;
use super::synth::{
    Noise, OnePole, Osc, RATE, Stereo, Svf, adsr, exp_decay, midi_hz, pan, sample_at, soft_clip, width,
};
use crate::story::Vibe;

/// Bump when the bed sounds different, so stage `assembly` renders it again.
pub(super) const VERSION: u32 = 1;

/// What the bed must fit: the timeline's tempo, grid, acts, silences, boundaries and hits.
pub struct BedPlan<'a> {
    pub vibe: &'a Vibe,
    pub bpm: f64,
    /// A downbeat (bar start) at this time; beats lie at `downbeat_s + k·60/bpm` for every integer k (also before it).
    pub downbeat_s: f64,
    pub duration_s: f64,
    /// Where the sections start: [act 1, act 2, act 3] in seconds (before act 1 is the cold open). The bed builds:
    /// sparse drone+pulse → percussion → full drums/bass/ostinato in act 3.
    pub act_starts_s: [f64; 3],
    /// Spans where the bed must be exactly silent (the silence beat before act 3). Faded into in 30 ms, not a click.
    pub mutes: &'a [(f64, f64)],
    /// Risers end exactly at these times (act boundaries). A boundary inside a mute or at its end has its riser
    /// end at the mute's start instead: the riser builds into the silence, then the silence, then the hit.
    pub risers_to_s: &'a [f64],
    /// Impacts (boom + reverb tail) start at these times (act-3 entry, title card).
    pub hits_s: &'a [f64],
    /// The last this-many seconds fade to silence.
    pub fade_out_s: f64,
    /// Varies the noise and small choices; same seed, same samples.
    pub seed: u64,
}

/// The bed's musical character for a vibe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Character {
    /// The key's root as a MIDI note in the bass octave: the drone's pitch.
    pub root: f32,
    pub minor: bool,
    /// 0..1: how busy and loud the drums are (snare and hats in act 2, fills, sixteenth hats, four on the floor).
    pub drums: f32,
    /// 0..1: how far the filters open: a dark muffled bed at 0, an open bright one at 1.
    pub bright: f32,
    /// A ticking clock on the off-beats: the thriller's "time is running out".
    pub tick: bool,
}

/// The character from the vibe's data: key, mode, drums and timbre from its music tag (one row per tag), then
/// busier drums for faster tempos and a brighter timbre for warmer grades (`temperature` is about ±0.08).
pub(super) fn character(vibe: &Vibe) -> Character {
    #[rustfmt::skip]
    let (root, minor, drums, bright, tick) = match vibe.music_tag {
        //                   root      minor  drums bright tick
        "action" =>      (38.0 /* D */, true,  0.85, 0.70, false),
        "epic" =>        (36.0 /* C */, true,  0.80, 0.60, false),
        "electronic" =>  (33.0 /* A */, true,  0.80, 0.85, true),
        "dramatic" =>    (38.0 /* D */, true,  0.60, 0.50, true),
        "darkambient" => (37.0 /* C# */, true, 0.40, 0.25, true),
        "classical" =>   (36.0 /* C */, true,  0.45, 0.50, false),
        "adventure" =>   (38.0 /* D */, false, 0.70, 0.80, false),
        "pop" =>         (40.0 /* E */, false, 0.70, 0.90, false),
        "acoustic" =>    (40.0 /* E */, false, 0.50, 0.60, false),
        "documentary" => (38.0 /* D */, false, 0.35, 0.50, false),
        "romantic" =>    (41.0 /* F */, false, 0.30, 0.55, false),
        _ => (38.0, vibe.temperature < 0.0, 0.50, 0.50, false),
    };
    let bpm = vibe.bpm_default as f32;
    Character {
        root,
        minor,
        drums: (drums + (bpm - 100.0) / 200.0).clamp(0.0, 1.0),
        bright: (bright + 2.0 * vibe.temperature).clamp(0.1, 1.0),
        tick,
    }
}

/// Chord loops, one chord per two bars: (semitones above the key's root, minor chord). The seed picks one.
const MINOR_LOOPS: [[(i32, bool); 4]; 2] = [
    [(0, true), (8, false), (3, false), (10, false)], // i VI III VII: the epic-trailer loop
    [(0, true), (5, true), (8, false), (7, false)],   // i iv VI V: darker, and V pulls home
];
const MAJOR_LOOPS: [[(i32, bool); 4]; 2] = [
    [(0, false), (7, false), (9, true), (5, false)], // I V vi IV
    [(0, false), (5, false), (9, true), (7, false)], // I IV vi V
];

/// Per-section levels and filter ranges: [cold open, act 1, act 2, act 3]. The bed builds by adding layers,
/// raising levels and opening filters; the pad's filter also opens across each section (PAD_CUT_HZ: from the first
/// cutoff to the second).
const DRONE: [f32; 4] = [0.075, 0.072, 0.066, 0.06];
const DRONE_CUT_HZ: [f32; 4] = [180.0, 220.0, 300.0, 420.0];
const PAD: [f32; 4] = [0.032, 0.05, 0.08, 0.11];
const PAD_CUT_HZ: [(f32, f32); 4] = [(400.0, 800.0), (600.0, 1_400.0), (900.0, 2_500.0), (1_800.0, 5_000.0)];
/// The high pedal (the key's fifth, two octaves over the drone) inside the pad, swelling across each section.
const HIGH: [f32; 4] = [0.0, 0.2, 0.5, 0.8];
const AIR: [f32; 4] = [0.07, 0.07, 0.08, 0.09];
const STAB: [f32; 4] = [0.0, 0.6, 0.55, 0.5];
/// Drums, scaled by the character's `drums` (quieter for gentle vibes).
const KIT: [f32; 4] = [0.0, 0.0, 0.38, 0.55];

/// 16 steps to a bar ('x' hit, '.' rest), step 0 on the downbeat.
mod pattern {
    pub(super) const KICK_HALF: &str = "x.......x.......";
    pub(super) const KICK_PUSH: &str = "x.......x.x.....";
    pub(super) const KICK_FOUR: &str = "x...x...x...x...";
    pub(super) const SNARE: &str = "....x.......x...";
    pub(super) const HATS_8: &str = "x.x.x.x.x.x.x.x.";
    pub(super) const HATS_16: &str = "xxxxxxxxxxxxxxxx";
    /// The last beat of every fourth bar: high, mid, low.
    pub(super) const TOM_FILL: &str = "............x.xx";
    pub(super) const TICK: &str = "..x...x...x...x.";

    pub(super) fn hit(p: &str, step: usize) -> bool {
        p.as_bytes()[step] == b'x'
    }
}

/// Master gain into the soft clipper, and the clipper's ceiling (-3 dBFS): the mix normalises loudness later,
/// this only keeps peaks in check.
const MASTER: f32 = 0.9;
const CEILING: f32 = 0.708;
/// Controls (filters, gains, chords) are updated this often: 0.7 ms is far below anything the ear tracks.
const CTRL: usize = 32;

/// The bed for a plan: layers summed, soft-clipped under -3 dBFS, then the mutes and the fade-out.
pub fn render_bed(plan: &BedPlan) -> Stereo {
    let m = Music::new(plan);
    let mut out = Stereo::silent(plan.duration_s);
    sustained(&mut out, &m, plan.seed);
    rhythm(&mut out, &m, plan.seed);
    events(&mut out, &m, plan);
    for s in out.left.iter_mut().chain(out.right.iter_mut()) {
        *s = soft_clip(*s * MASTER, CEILING);
    }
    for &(a, b) in plan.mutes {
        out.mute_smooth(a, b);
    }
    out.fade_out(plan.fade_out_s.min(plan.duration_s));
    out
}

/// The score's map of time: beats, bars, chords and sections.
struct Music {
    ch: Character,
    beat_s: f64,
    downbeat_s: f64,
    /// Section starts: cold open, acts 1–3 (non-decreasing), and the end.
    bounds: [f64; 5],
    chords: [(i32, bool); 4],
    /// Multiplies every filter cutoff: the character's brightness.
    tone: f32,
}

impl Music {
    fn new(plan: &BedPlan) -> Music {
        let ch = character(plan.vibe);
        let mut bounds = [0.0, 0.0, 0.0, 0.0, plan.duration_s];
        for (k, &a) in plan.act_starts_s.iter().enumerate() {
            bounds[k + 1] = a.clamp(bounds[k], plan.duration_s);
        }
        let loops = if ch.minor { MINOR_LOOPS } else { MAJOR_LOOPS };
        Music {
            ch,
            beat_s: 60.0 / plan.bpm.clamp(30.0, 300.0),
            downbeat_s: plan.downbeat_s,
            bounds,
            chords: loops[(Noise::new(plan.seed).next_u64() % 2) as usize],
            tone: 0.6 + 0.8 * ch.bright,
        }
    }

    /// 0 cold open, 1..3 the acts.
    fn section(&self, t: f64) -> usize {
        (1..4).rev().find(|&k| t >= self.bounds[k]).unwrap_or(0)
    }

    /// How far into its section `t` is, 0..1.
    fn progress(&self, t: f64, section: usize) -> f32 {
        let (a, b) = (self.bounds[section], self.bounds[section + 1]);
        if b > a {
            ((t - a) / (b - a)).clamp(0.0, 1.0) as f32
        } else {
            1.0
        }
    }

    /// Which chord of the loop plays at `t`: a new one every two bars.
    fn chord_index(&self, t: f64) -> usize {
        let bar = ((t - self.downbeat_s) / (4.0 * self.beat_s)).floor() as i64;
        bar.div_euclid(2).rem_euclid(4) as usize
    }

    fn chord(&self, t: f64) -> (i32, bool) {
        self.chords[self.chord_index(t)]
    }

    /// The chord's three tones as MIDI notes, each folded into the octave above `low`: close voicings, so chord
    /// changes move each voice by a step or two, like a string section.
    fn voicing(&self, t: f64, low: f32) -> [f32; 3] {
        let (root, minor) = self.chord(t);
        let third = if minor { 3 } else { 4 };
        [0, third, 7].map(|iv| {
            let note = self.ch.root + (root + iv) as f32;
            low + (note - low).rem_euclid(12.0)
        })
    }
}

/// Drone, pad and air, sample by sample; controls update every CTRL samples and gains glide, so section changes
/// are quick (~10 ms) but never click.
fn sustained(out: &mut Stereo, m: &Music, seed: u64) {
    let (root, fifth) = (midi_hz(m.ch.root), midi_hz(m.ch.root + 7.0));
    let pad_low = m.ch.root + 17.0;
    let mut drone = [Osc::at(0.0), Osc::at(0.5), Osc::at(0.25), Osc::default()];
    let (mut drone_l, mut drone_r) = (Svf::new(200.0, 1.3), Svf::new(200.0, 1.3));
    let mut pad = [0.0, 0.17, 0.33, 0.5, 0.67, 0.83].map(Osc::at);
    let first = m.voicing(0.0, pad_low).map(midi_hz);
    let mut glide = first.map(|hz| OnePole::new(5.0).starting_at(hz));
    let (mut pad_l, mut pad_r) = (Svf::new(400.0, 0.9), Svf::new(400.0, 0.9));
    let (mut noise_l, mut noise_r) = (Noise::new(seed ^ 0xA1), Noise::new(seed ^ 0xA2));
    let (mut air_l, mut air_r) = (Svf::new(1_500.0, 0.8), Svf::new(1_500.0, 0.8));
    let high = midi_hz(m.ch.root + 31.0);
    let mut highs = [Osc::at(0.1), Osc::at(0.6)];
    let mut gains = [OnePole::new(15.0); 4];
    let (mut target, mut notes) = ([0.0f32; 4], first);
    for i in 0..out.len() {
        if i % CTRL == 0 {
            let t = i as f64 / RATE as f64;
            let (s, lfo) = (m.section(t), (TAU * (t / 11.0) as f32).sin());
            let p = m.progress(t, s);
            target = [DRONE[s], PAD[s] * (0.6 + 0.4 * p), AIR[s], HIGH[s] * p];
            // Left and right filters move against each other: the drone breathes and turns slowly in space.
            drone_l.tune(DRONE_CUT_HZ[s] * m.tone * (1.0 + 0.45 * lfo), 1.3);
            drone_r.tune(DRONE_CUT_HZ[s] * m.tone * (1.0 - 0.45 * lfo), 1.3);
            let (lo, hi) = PAD_CUT_HZ[s];
            let cut = lo * (hi / lo).powf(p * p) * m.tone;
            pad_l.tune(cut, 0.9);
            pad_r.tune(cut * 1.07, 0.9);
            air_l.tune(1_500.0 * m.tone * (1.0 + 0.3 * lfo), 0.8);
            air_r.tune(1_800.0 * m.tone * (1.0 - 0.3 * lfo), 0.8);
            notes = m.voicing(t, pad_low).map(midi_hz);
        }
        let g: [f32; 4] = std::array::from_fn(|k| gains[k].lowpass(target[k]));
        let hz: [f32; 3] = std::array::from_fn(|k| glide[k].lowpass(notes[k]));
        // Two saws a few cents apart beat slowly against each other: the width and life of a real drone.
        let (d0, d1) = (drone[0].saw(root * 0.996), drone[1].saw(root * 1.004));
        let (d5, sub) = (drone[2].saw(fifth), drone[3].sine(root * 0.5));
        let dl = drone_l.process(d0 + 0.6 * d5).low + 0.35 * sub;
        let dr = drone_r.process(d1 + 0.6 * d5).low + 0.35 * sub;
        // Each chord tone twice, detuned and split left/right: a string-section chorus from six saws. Over them the
        // high pedal: the key's fifth fits every chord of the loops (as fifth, root, third, seventh, sixth or ninth).
        let mut pl = g[3] * highs[0].saw(high * 0.998);
        let mut pr = g[3] * highs[1].saw(high * 1.002);
        for (k, f) in hz.iter().enumerate() {
            pl += pad[2 * k].saw(f * 0.997);
            pr += pad[2 * k + 1].saw(f * 1.003);
        }
        let (pl, pr) = width(pad_l.process(pl).low, pad_r.process(pr).low, 1.3);
        let al = air_l.process(noise_l.white()).band;
        let ar = air_r.process(noise_r.white()).band;
        out.add(i, g[0] * dl + g[1] * pl + g[2] * al, g[0] * dr + g[1] * pr + g[2] * ar);
    }
}

/// The one-shots of the kit, made once per bed and placed by `mix_in`.
struct Kit {
    kick: Stereo,
    snare: Stereo,
    toms: [Stereo; 3],
    hat: Stereo,
    tick: Stereo,
}

impl Kit {
    fn new(seed: u64, bright: f32) -> Kit {
        Kit {
            kick: kick(),
            snare: snare(seed),
            toms: [(140.0, -0.4), (105.0, 0.0), (78.0, 0.4)].map(|(hz, p)| tom(hz, p, seed)),
            hat: hat(seed, bright),
            tick: tick(seed),
        }
    }
}

/// Pulse, drums and bass, step by step over the 16th-note grid (which runs before the downbeat too).
fn rhythm(out: &mut Stereo, m: &Music, seed: u64) {
    let kit = Kit::new(seed, m.ch.bright);
    let mut rng = Noise::new(seed ^ 0xD5);
    let (mut stabs, mut bass) = (Voices::default(), Voices::default());
    let step_s = m.beat_s / 4.0;
    let end = out.duration_s();
    let first = ((-m.downbeat_s) / step_s).floor() as i64;
    let last = ((end - m.downbeat_s) / step_s).ceil() as i64;
    let drums = m.ch.drums;
    let kick_p = if drums >= 0.75 {
        pattern::KICK_FOUR
    } else if drums >= 0.45 {
        pattern::KICK_PUSH
    } else {
        pattern::KICK_HALF
    };
    for k in first..=last {
        let t = m.downbeat_s + k as f64 * step_s;
        if t < 0.0 || t >= end {
            continue;
        }
        let (step, bar) = (k.rem_euclid(16) as usize, k.div_euclid(16));
        let s = m.section(t);
        // Downbeats a touch louder, the rest varied by a few percent: a player, not a machine.
        let vel = if step == 0 { 1.0 } else { 0.85 } * (0.94 + 0.12 * rng.uniform());
        if step % 4 == 0 && STAB[s] > 0.0 {
            // Alternate beats lean left and right: the pulse moves a little, like two players.
            let (gl, gr) = pan(if (step / 4) % 2 == 0 { -0.25 } else { 0.25 });
            let voice = stabs.get(m.chord_index(t) as u32, || stab(m, t));
            out.mix_in_lr(voice, t, STAB[s] * vel * gl, STAB[s] * vel * gr);
        }
        if m.ch.tick && s >= 1 && pattern::hit(pattern::TICK, step) {
            out.mix_in(&kit.tick, t, 0.6 * vel);
        }
        if s == 3 && step % 2 == 0 {
            let note = bass_pitch(m, t, (step / 2) % 8);
            out.mix_in(bass.get(note as u32, || bass_note(m, note)), t, vel);
        }
        let kit_gain = KIT[s] * (0.5 + 0.5 * drums) * vel;
        if kit_gain <= 0.0 {
            continue;
        }
        let full = s == 3;
        let kp = if full { kick_p } else { pattern::KICK_HALF };
        if pattern::hit(kp, step) {
            out.mix_in(&kit.kick, t, kit_gain);
        }
        if (full || drums >= 0.5) && pattern::hit(pattern::SNARE, step) {
            out.mix_in(&kit.snare, t, kit_gain * if full { 0.8 } else { 0.5 });
        }
        let hats = if full && drums >= 0.7 {
            pattern::HATS_16
        } else {
            pattern::HATS_8
        };
        if (full || drums >= 0.4) && pattern::hit(hats, step) {
            let accent = if step % 4 == 0 { 1.0 } else { 0.6 };
            out.mix_in(&kit.hat, t, kit_gain * 0.5 * accent * m.ch.bright.sqrt());
        }
        let fill_bar = bar.rem_euclid(4) == 3;
        if fill_bar && (full || drums >= 0.6) && pattern::hit(pattern::TOM_FILL, step) {
            let which = [12, 14, 15].iter().position(|&x| x == step).unwrap_or(0);
            out.mix_in(&kit.toms[which], t, kit_gain * 0.8);
        }
    }
}

/// The ostinato, in eighths over the chord's root: root, root, octave... and a fifth to turn the bar around.
const OSTINATO: [f32; 8] = [0.0, 0.0, 12.0, 0.0, 0.0, 12.0, 0.0, 7.0];

/// The ostinato's note for an eighth of a bar at `t`, as a MIDI note in the drone's octave and the next.
fn bass_pitch(m: &Music, t: f64, eighth: usize) -> f32 {
    let (root, _) = m.chord(t);
    m.ch.root + (root as f32).rem_euclid(12.0) + OSTINATO[eighth]
}

/// One eighth of the bass: saw plus sine through a low-pass whose cutoff snaps open and falls (the pluck).
fn bass_note(m: &Music, note: f32) -> Stereo {
    let hz = midi_hz(note);
    let len_s = (m.beat_s / 2.0) as f32;
    let (mut saw, mut sine, mut lp) = (Osc::default(), Osc::default(), Svf::new(800.0, 1.1));
    let open = 300.0 + 1_400.0 * m.ch.bright;
    // The release rings 0.1 s into the next note, so the note fades out instead of being cut off.
    one_shot(len_s as f64 + 0.1, move |x| {
        lp.tune(120.0 + open * exp_decay(x, 0.06), 1.1);
        let env = adsr(x, len_s * 0.8, 0.003, 0.08, 0.6, 0.02);
        let s = 0.4 * env * (lp.process(saw.saw(hz)).low + 0.6 * sine.sine(hz));
        (s, s)
    })
}

/// A muted chord stab at `t`: the chord in the pad's octave, triangles with a little saw for edge, dark and short.
fn stab(m: &Music, t: f64) -> Stereo {
    let notes = m.voicing(t, m.ch.root + 24.0).map(midi_hz);
    let mut osc = [Osc::default(); 6];
    let mut lp = OnePole::new(700.0 + 2_500.0 * m.ch.bright);
    // Long enough for the decay to reach -55 dB before the end fade.
    one_shot(0.45, move |x| {
        let env = (x / 0.002).min(1.0) * exp_decay(x, 0.07);
        let mut s = 0.0;
        for (k, hz) in notes.iter().enumerate() {
            s += osc[2 * k].triangle(*hz) + 0.3 * osc[2 * k + 1].saw(hz * 2.0);
        }
        let s = env * lp.lowpass(s) * 0.5;
        (s, s)
    })
}

/// Notes rendered once and placed many times: a bed plays the same few stabs and bass notes hundreds of times.
#[derive(Default)]
struct Voices(Vec<(u32, Stereo)>);

impl Voices {
    fn get(&mut self, key: u32, render: impl FnOnce() -> Stereo) -> &Stereo {
        let at = match self.0.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                self.0.push((key, render()));
                self.0.len() - 1
            }
        };
        &self.0[at].1
    }
}

/// Risers into the boundaries and hits with a low chord on top, all in the bed's key.
fn events(out: &mut Stereo, m: &Music, plan: &BedPlan) {
    for (k, &to) in plan.risers_to_s.iter().enumerate() {
        let end = sfx::build_end(to, plan.mutes);
        // Two bars long, within reason: at 60 BPM two bars would take eight seconds.
        let len = (8.0 * m.beat_s).clamp(1.5, 4.0);
        let seed = plan.seed ^ ((k as u64 + 1) * 0x51);
        out.mix_in(&sfx::riser(len, midi_hz(m.ch.root + 12.0), seed), end - len, 0.3);
    }
    for (k, &at) in plan.hits_s.iter().enumerate() {
        let seed = plan.seed ^ ((k as u64 + 1) * 0x77);
        duck(out, at, 0.75, 0.6);
        out.mix_in(&sfx::impact(1.0, 4.0, seed), at, 0.5);
        out.mix_in(&braam(m), at, 0.35);
    }
}

/// Pull the bed down by `depth` at `at_s`, recovering exponentially over ~`recover_s`: the hit punches through the
/// music instead of piling on top of it (what a sidechain compressor does in a real mix).
fn duck(out: &mut Stereo, at_s: f64, depth: f32, recover_s: f32) {
    let start = sample_at(at_s).max(0) as usize;
    let end = (start + (5.0 * recover_s * RATE as f32) as usize).min(out.len());
    for i in start..end {
        let g = 1.0 - depth * exp_decay((i - start) as f32 / RATE as f32, recover_s);
        out.left[i] *= g;
        out.right[i] *= g;
    }
}

/// The low brass-like chord on a hit: root, fifth and octave as detuned saws through a closing low-pass.
fn braam(m: &Music) -> Stereo {
    let notes = [0.0, 7.0, 12.0, 12.1].map(|iv| midi_hz(m.ch.root + iv));
    let mut out = Stereo::silent(3.0);
    let mut osc = [0.0, 0.3, 0.6, 0.9].map(Osc::at);
    let (mut lp_l, mut lp_r) = (Svf::new(2_000.0, 1.0), Svf::new(2_000.0, 1.0));
    let n = out.len();
    for j in 0..n {
        let x = j as f32 / RATE as f32;
        if j % 16 == 0 {
            let cut = 150.0 + 2_200.0 * m.tone * exp_decay(x, 0.35);
            lp_l.tune(cut, 1.0);
            lp_r.tune(cut * 1.1, 1.0);
        }
        let env = (x / 0.008).min(1.0) * exp_decay(x, 0.9) * ((n - j) as f32 / n as f32).min(1.0);
        let (a, b) = (
            osc[0].saw(notes[0]) + osc[2].saw(notes[2]),
            osc[1].saw(notes[1]) + osc[3].saw(notes[3]),
        );
        out.add(
            j,
            env * lp_l.process(a + 0.5 * b).low,
            env * lp_r.process(b + 0.5 * a).low,
        );
    }
    out
}

/// Kick: a sine whose pitch falls from ~155 to 45 Hz in a few tens of ms (the punch), plus a 4 ms ping at 1.8 kHz
/// (the click that lets a kick be heard on small speakers).
fn kick() -> Stereo {
    one_shot(0.6, |x| {
        // Phase of a sine with that falling frequency, integrated in closed form: no oscillator state needed.
        let phase = 45.0 * x + 110.0 * 0.035 * (1.0 - exp_decay(x, 0.035));
        let body = (TAU * phase).sin() * exp_decay(x, 0.25) * (x / 0.0005).min(1.0);
        let click = (TAU * 1_800.0 * x).sin() * exp_decay(x, 0.004) * 0.3;
        let s = soft_clip(1.3 * body + click, 1.0);
        (s, s)
    })
}

/// Snare: a short tonal body and a band of noise, with a wide darker tail for the room.
fn snare(seed: u64) -> Stereo {
    let (mut nl, mut nr) = (Noise::new(seed ^ 0x5A), Noise::new(seed ^ 0x5B));
    let mut band = Svf::new(3_000.0, 0.6);
    let (mut room_l, mut room_r) = (OnePole::new(2_500.0), OnePole::new(2_500.0));
    one_shot(0.7, move |x| {
        let (wl, wr) = (nl.white(), nr.white());
        let body = (TAU * 190.0 * x).sin() * exp_decay(x, 0.05) * 0.5;
        let crack = band.process(wl).band * exp_decay(x, 0.11) * 1.2;
        let room = exp_decay(x, 0.3) * 0.25;
        let mono = body + crack;
        (mono + room * room_l.lowpass(wl), mono + room * room_r.lowpass(wr))
    })
}

/// Tom: a sine with a small pitch drop and a long decay, and a noise thump: low, big, cinematic.
fn tom(hz: f32, position: f32, seed: u64) -> Stereo {
    let mut noise = Noise::new(seed ^ hz as u64);
    let mut thump = OnePole::new(600.0);
    let (gl, gr) = pan(position);
    one_shot(1.0, move |x| {
        let phase = hz * x + hz * 0.5 * 0.05 * (1.0 - exp_decay(x, 0.05));
        let s = (TAU * phase).sin() * exp_decay(x, 0.35) + thump.lowpass(noise.white()) * exp_decay(x, 0.02) * 1.5;
        (s * gl * 1.2, s * gr * 1.2)
    })
}

/// Closed hat: high-passed noise, very short; a darker vibe gets a duller hat.
fn hat(seed: u64, bright: f32) -> Stereo {
    let mut noise = Noise::new(seed ^ 0x4A);
    let mut hp = Svf::new(5_000.0 + 4_000.0 * bright, 0.7);
    let (gl, gr) = pan(0.3);
    one_shot(0.15, move |x| {
        let s = hp.process(noise.white()).high * exp_decay(x, 0.03);
        (s * gl, s * gr)
    })
}

/// Clock tick: a 2.5 kHz ping and a click of high noise, a few milliseconds long.
fn tick(seed: u64) -> Stereo {
    let mut noise = Noise::new(seed ^ 0x71);
    let mut hp = OnePole::new(4_000.0);
    let (gl, gr) = pan(-0.3);
    one_shot(0.05, move |x| {
        let s =
            (TAU * 2_500.0 * x).sin() * exp_decay(x, 0.008) * 0.5 + hp.highpass(noise.white()) * exp_decay(x, 0.004);
        (s * gl, s * gr)
    })
}

/// A buffer `len_s` long filled from `f(seconds)` returning (left, right), its last 10 ms faded so a tail cut short
/// never ends on a step (a click on every hit).
fn one_shot(len_s: f64, mut f: impl FnMut(f32) -> (f32, f32)) -> Stereo {
    let mut out = Stereo::silent(len_s);
    for i in 0..out.len() {
        let (l, r) = f(i as f32 / RATE as f32);
        out.left[i] = l;
        out.right[i] = r;
    }
    out.fade_out(0.01);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;
    use crate::story::VIBES;

    fn vibe(name: &str) -> &'static Vibe {
        VIBES.iter().find(|v| v.name == name).unwrap()
    }

    /// 24 s at 120 BPM (a beat every 0.5 s) with the downbeat at 4.25 s, so the grid also runs before it. Cold open
    /// to 2 s, act 2 from 8 s, silence 14–16 s, act 3 from 16 s; risers into 8 s and into the silence (the
    /// boundary at 16 s), hits at 16 s and 22 s.
    fn plan(risers: bool, hits: bool) -> BedPlan<'static> {
        const MUTES: &[(f64, f64)] = &[(14.0, 16.0)];
        BedPlan {
            vibe: vibe("thriller"),
            bpm: 120.0,
            downbeat_s: 4.25,
            duration_s: 24.0,
            act_starts_s: [2.0, 8.0, 16.0],
            mutes: MUTES,
            risers_to_s: if risers { &[8.0, 16.0] } else { &[] },
            hits_s: if hits { &[16.0, 22.0] } else { &[] },
            fade_out_s: 1.0,
            seed: 11,
        }
    }

    /// Renders shared by the tests (debug builds are slow): everything, no risers, and neither risers nor hits.
    fn full() -> &'static Stereo {
        static S: OnceLock<Stereo> = OnceLock::new();
        S.get_or_init(|| render_bed(&plan(true, true)))
    }
    fn no_risers() -> &'static Stereo {
        static S: OnceLock<Stereo> = OnceLock::new();
        S.get_or_init(|| render_bed(&plan(false, true)))
    }
    fn bare() -> &'static Stereo {
        static S: OnceLock<Stereo> = OnceLock::new();
        S.get_or_init(|| render_bed(&plan(false, false)))
    }

    fn minus(a: &Stereo, b: &Stereo) -> Stereo {
        let sub = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p - q).collect();
        Stereo {
            left: sub(&a.left, &b.left),
            right: sub(&a.right, &b.right),
        }
    }

    fn db(x: f32) -> f32 {
        20.0 * x.log10()
    }

    #[test]
    fn mutes_are_exact_digital_silence_entered_without_a_click() {
        let s = full();
        let (a, b) = (sample_at(14.0) as usize, sample_at(16.0) as usize);
        assert!(s.left[a..b].iter().chain(&s.right[a..b]).all(|&x| x == 0.0));
        assert!(s.rms(13.9, 13.97) > 0.02, "sound right up to the fade");
        let last_step = (a - 10..a)
            .map(|i| (s.left[i] - s.left[i - 1]).abs())
            .fold(0.0, f32::max);
        assert!(last_step < 0.05, "no step into the silence: {last_step}");
        assert_eq!(*s.left.last().unwrap(), 0.0, "the fade-out ends in silence");
        assert!(s.peak() <= CEILING, "peak {}", s.peak());
    }

    #[test]
    fn risers_end_on_their_boundary_or_at_the_silence_before_it() {
        let riser = minus(full(), no_risers());
        // Two bars at 120 BPM: 4 s. The riser into 16 s ends at the silence's start, 14 s.
        assert_eq!(riser.rms(0.0, 3.99), 0.0);
        assert_eq!(riser.rms(8.0, 9.99), 0.0);
        assert_eq!(riser.rms(14.0, 24.0), 0.0);
        for end in [8.0, 14.0] {
            let (early, late) = (riser.rms(end - 4.0, end - 3.5), riser.rms(end - 0.5, end - 0.02));
            assert!(
                late > 3.0 * early && late > 0.03,
                "riser into {end} swells: {early} -> {late}"
            );
        }
    }

    #[test]
    fn hits_start_loud_on_their_time() {
        let hits = minus(no_risers(), bare());
        assert_eq!(hits.rms(0.0, 16.0), 0.0);
        for at in [16.0, 22.0] {
            let attack = hits.rms(at, at + 0.05);
            assert!(attack > 0.15, "hit at {at}: {attack}");
            assert!(hits.rms(at + 2.5, at + 3.0) < attack / 4.0, "and decays");
            let (before, on) = (full().rms(at - 0.3, at - 0.05), full().rms(at, at + 0.05));
            assert!(
                on > 1.5 * before.max(0.01),
                "the hit stands out of the bed: {before} -> {on}"
            );
        }
    }

    #[test]
    fn sections_build() {
        let s = bare();
        let levels = [(0.2, 1.9), (2.5, 7.5), (8.5, 13.5), (16.5, 21.5)].map(|(a, b)| db(s.rms(a, b)));
        for w in levels.windows(2) {
            assert!(w[1] > w[0] + 2.0, "each section at least 2 dB louder: {levels:?}");
        }
    }

    /// Transient energy (first difference, so the sustained low layers barely count) just after `t` over just before.
    fn onset(s: &Stereo, t: f64) -> f32 {
        let energy = |a: f64, b: f64| {
            let (a, b) = (sample_at(a) as usize, sample_at(b) as usize);
            (a..b).map(|i| (s.left[i] - s.left[i - 1]).powi(2)).sum::<f32>() / (b - a) as f32
        };
        energy(t, t + 0.025) / energy(t - 0.03, t - 0.005).max(1e-12)
    }

    fn median(mut v: Vec<f32>) -> f32 {
        v.sort_by(f32::total_cmp);
        v[v.len() / 2]
    }

    #[test]
    fn the_pulse_sits_on_the_beat_grid() {
        let s = bare();
        let beats = |a: f64, b: f64, shift: f64| -> Vec<f64> {
            (-20..60)
                .map(|k| 4.25 + (k as f64 + shift) * 0.5)
                .filter(|t| *t >= a && *t < b)
                .collect()
        };
        for (a, b) in [(2.1, 7.9), (8.1, 13.9), (16.1, 22.9)] {
            let on = median(beats(a, b, 0.0).iter().map(|&t| onset(s, t)).collect());
            let off = median(beats(a, b, 1.0 / 3.0).iter().map(|&t| onset(s, t)).collect());
            assert!(
                on > 2.0 && on > 2.5 * off,
                "section from {a}: on the grid {on}, off it {off}"
            );
        }
    }

    #[test]
    fn same_seed_same_samples() {
        let short = |seed| {
            render_bed(&BedPlan {
                duration_s: 3.0,
                act_starts_s: [0.5, 1.0, 2.0],
                seed,
                ..plan(true, true)
            })
        };
        assert_eq!(short(1), short(1));
        assert_ne!(short(1), short(2));
    }

    /// Power spectrum of 16384 samples (0.34 s) from `t`, Hann-windowed, mono.
    fn spectrum(s: &Stereo, t: f64) -> Vec<f32> {
        let n = 16_384;
        let start = sample_at(t) as usize;
        let fft = realfft::RealFftPlanner::<f32>::new().plan_fft_forward(n);
        let mut input: Vec<f32> = (0..n)
            .map(|i| {
                let w = 0.5 - 0.5 * (TAU * i as f32 / n as f32).cos();
                w * 0.5 * (s.left[start + i] + s.right[start + i])
            })
            .collect();
        let mut out = fft.make_output_vec();
        fft.process(&mut input, &mut out).unwrap();
        out.iter().map(|c| c.norm_sqr()).collect()
    }

    /// A listening proxy: a trailer bed has many strong partials and some noise (drums, air); a test tone has one
    /// peak and a flatness near zero.
    #[test]
    fn it_is_music_not_a_test_tone() {
        for t in [3.0, 18.0] {
            let p = spectrum(bare(), t);
            let bin_hz = RATE as f32 / 16_384.0;
            let band = &p[(50.0 / bin_hz) as usize..(12_000.0 / bin_hz) as usize];
            let (log_mean, mean) = (
                band.iter().map(|x| (x + 1e-20).ln()).sum::<f32>() / band.len() as f32,
                band.iter().sum::<f32>() / band.len() as f32,
            );
            let flatness = log_mean.exp() / mean;
            let top = band.iter().copied().fold(0.0, f32::max);
            let peaks = (3..band.len() - 3)
                .filter(|&i| band[i] > top * 1e-3 && (1..=3).all(|d| band[i] > band[i - d] && band[i] > band[i + d]))
                .count();
            assert!(peaks >= 12, "at {t} s: {peaks} strong partials");
            assert!(flatness > 1e-4, "at {t} s: spectral flatness {flatness}");
        }
    }

    #[test]
    fn character_follows_the_vibe() {
        for dark in ["thriller", "horror", "crime", "action", "war"] {
            assert!(character(vibe(dark)).minor, "{dark}");
        }
        for light in ["romance", "family", "comedy", "animation", "adventure"] {
            assert!(!character(vibe(light)).minor, "{light}");
        }
        assert!(character(vibe("action")).drums > character(vibe("romance")).drums + 0.3);
        assert!(character(vibe("comedy")).bright > character(vibe("horror")).bright + 0.3);
        assert!(VIBES.iter().all(|v| (0.0..=1.0).contains(&character(v).drums)));
    }
}
