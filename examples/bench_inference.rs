//! Benchmark of the built-in analyzer: describe every keyframe of a work dir (made by `cinecut --until
//! keyframes`) REPS times, from scratch each time, and print the median rate.
//! Usage: cargo run --release --example bench_inference -- WORK_DIR [REPS]

use std::time::Instant;

use cinecut::Cancel;
use cinecut::NullReporter;
use cinecut::analyze::{FaceDetector, SCENES, inference};
use cinecut::workdir::WorkDir;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        eprintln!("usage: bench_inference WORK_DIR [REPS]");
        std::process::exit(2);
    };
    let reps: usize = args.get(2).and_then(|r| r.parse().ok()).unwrap_or(5).max(1);
    let work = WorkDir::open(std::path::Path::new(dir)).expect("open the work dir");
    let inputs = inference::Inputs {
        faces: FaceDetector::locate(),
        vision: None,
    };
    let mut rates = Vec::new();
    let mut n = 0;
    for _ in 0..reps {
        let _ = std::fs::remove_file(work.path(SCENES));
        let t = Instant::now();
        let out = inference::run(&inputs, &work, &Cancel::new(), &mut NullReporter).expect("inference");
        n = out.keyframes;
        rates.push(n as f64 / t.elapsed().as_secs_f64());
    }
    let t = Instant::now();
    cinecut::analyze::Builtin::load(&work, inputs.faces.as_deref()).expect("load");
    eprintln!("of which loading the analysis: {:.3} s", t.elapsed().as_secs_f64());
    rates.sort_by(f64::total_cmp);
    let rate = rates[reps / 2];
    let verdict = if rate >= 200.0 { "ok" } else { "BELOW TARGET" };
    println!("built-in analyzer: {rate:.0} keyframes/s ({n} keyframes, median of {reps}); target >= 200: {verdict}");
}
