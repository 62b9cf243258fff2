//! Beat-tracker accuracy on generated tracks with known beats (`sound::trackgen`): click and drum tracks at
//! 70-170 BPM with swing, ±2 % tempo drift and up to 3 s of leading silence. Prints the harness's summary and the
//! worst tracks; exits 1 when a target is missed (tempo within 2 % on >= 95 % of tracks, mean F-measure >= 0.9).
//!
//! `cargo run --release --example beat_accuracy [TRACKS] [SEED]` (200 tracks, seed 1 by default).

use std::process::ExitCode;
use std::time::Instant;

use cinecut::sound::{
    ANALYSIS_RATE, TempoPrior, track,
    trackgen::{self, Spec, Style, TestTrack, f_measure, matches},
};

/// Contains every generated tempo, so the true tempo is the right answer.
const WIDE: TempoPrior = TempoPrior {
    min_bpm: 60.0,
    max_bpm: 180.0,
    default_bpm: 120.0,
};
/// Vibe ranges (drama, action) for the octave-correction check: the answer is the true tempo moved by octaves to
/// the one nearest the range.
const VIBES: [TempoPrior; 2] = [
    TempoPrior {
        min_bpm: 60.0,
        max_bpm: 110.0,
        default_bpm: 80.0,
    },
    TempoPrior {
        min_bpm: 100.0,
        max_bpm: 160.0,
        default_bpm: 128.0,
    },
];
const TOL_S: f64 = 0.05;
const TEMPO_TOL: f64 = 0.02;
const TARGET_TEMPO_SHARE: f64 = 0.95;
const TARGET_MEAN_F: f64 = 0.9;

struct Outcome {
    spec: Spec,
    true_bpm: f64,
    bpm: f64,
    f: f64,
    downbeat_f: f64,
    /// |found - true| of each matched beat, seconds.
    errors: Vec<f64>,
    octaves_ok: bool,
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let started = Instant::now();
    let outcomes: Vec<Outcome> = trackgen::suite(n, seed).iter().map(measure).collect();
    let per_track_ms = started.elapsed().as_secs_f64() * 1000.0 / n.max(1) as f64;

    let share = |ok: &dyn Fn(&Outcome) -> bool| outcomes.iter().filter(|o| ok(o)).count() as f64 / n.max(1) as f64;
    let tempo_share = share(&|o| (o.bpm / o.true_bpm - 1.0).abs() <= TEMPO_TOL);
    let octave_share = share(&|o| o.octaves_ok);
    let fs: Vec<f64> = outcomes.iter().map(|o| o.f).collect();
    let mean_f = fs.iter().sum::<f64>() / n.max(1) as f64;
    let min_f = fs.iter().copied().fold(1.0, f64::min);
    let mean_downbeat_f = outcomes.iter().map(|o| o.downbeat_f).sum::<f64>() / n.max(1) as f64;
    let mut errors: Vec<f64> = outcomes.iter().flat_map(|o| o.errors.iter().copied()).collect();
    errors.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        errors
            .get(((errors.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0.0)
    };

    let line = |what: &str, value: String, target: &str| {
        println!("{}", format!("{what:<48} {value:>8}   {target}").trim_end());
    };
    line("tracks (clicks and drums, 70-170 BPM)", n.to_string(), "");
    line(
        "tempo within 2 % (prior 60-180 BPM)",
        pct(tempo_share),
        "(target >= 95 %)",
    );
    line(
        "beat F-measure (50 ms), mean",
        format!("{mean_f:.3}"),
        "(target >= 0.90)",
    );
    line("beat F-measure, worst track", format!("{min_f:.3}"), "");
    line(
        "beat error of matched beats, median",
        format!("{:.1} ms", quantile(0.5) * 1000.0),
        "",
    );
    line(
        "beat error of matched beats, 95th percentile",
        format!("{:.1} ms", quantile(0.95) * 1000.0),
        "",
    );
    line(
        "downbeat F-measure, mean",
        format!("{mean_downbeat_f:.3}"),
        "(no target)",
    );
    line(
        "octave correction into drama and action ranges",
        pct(octave_share),
        "(right octave, within 2 %)",
    );
    line("time per track (generate + track)", format!("{per_track_ms:.0} ms"), "");
    line(
        "time to track a 4-minute song",
        format!("{:.0} ms", four_minute_ms()),
        "(target well under 1 s)",
    );

    let mut worst: Vec<&Outcome> = outcomes.iter().collect();
    worst.sort_by(|a, b| a.f.total_cmp(&b.f));
    println!("worst tracks:");
    for o in worst.iter().take(5) {
        let s = &o.spec;
        println!(
            "  {:<6} {:6.1} BPM  drift {:+.1} %  swing {:.2}  silence {:.1} s  ->  {:6.1} BPM  F {:.3}",
            format!("{:?}", s.style),
            o.true_bpm,
            s.drift * 100.0,
            s.swing,
            s.lead_silence_s,
            o.bpm,
            o.f
        );
    }
    if tempo_share >= TARGET_TEMPO_SHARE && mean_f >= TARGET_MEAN_F {
        ExitCode::SUCCESS
    } else {
        println!("beat tracking is BELOW TARGET");
        ExitCode::FAILURE
    }
}

fn measure(spec: &Spec) -> Outcome {
    let truth = trackgen::generate(spec, ANALYSIS_RATE);
    let found = track(&truth.samples, ANALYSIS_RATE, WIDE);
    let true_bpm = truth.true_bpm();
    Outcome {
        spec: *spec,
        true_bpm,
        bpm: found.bpm,
        f: f_measure(&found.beats_s, &truth.beats_s, TOL_S),
        downbeat_f: f_measure(&found.downbeats_s, &truth.downbeats_s, TOL_S),
        errors: matches(&found.beats_s, &truth.beats_s, TOL_S)
            .into_iter()
            .map(|(d, t)| (d - t).abs())
            .collect(),
        octaves_ok: VIBES.iter().all(|prior| octave_ok(&truth, prior)),
    }
}

/// With a vibe's prior the tracker must report the octave of the true tempo nearest that range.
fn octave_ok(truth: &TestTrack, prior: &TempoPrior) -> bool {
    let true_bpm = truth.true_bpm();
    let outside = |bpm: f64| (prior.min_bpm / bpm).log2().max((bpm / prior.max_bpm).log2()).max(0.0);
    let Some(expected) = [1.0, 2.0, 0.5, 4.0, 0.25]
        .into_iter()
        .map(|m| true_bpm * m)
        .min_by(|a, b| outside(*a).total_cmp(&outside(*b)))
    else {
        return false;
    };
    let found = track(&truth.samples, ANALYSIS_RATE, *prior);
    (found.bpm / expected - 1.0).abs() <= TEMPO_TOL
}

/// Median of three runs on a generated 4-minute drum track.
fn four_minute_ms() -> f64 {
    let spec = Spec {
        style: Style::Drums,
        bpm: 124.0,
        drift: 0.01,
        swing: 0.55,
        lead_silence_s: 0.0,
        music_s: 240.0,
        seed: 4,
    };
    let song = trackgen::generate(&spec, ANALYSIS_RATE);
    let mut times: Vec<f64> = (0..3)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(track(&song.samples, ANALYSIS_RATE, WIDE));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[1]
}

fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}
