//! Embedding speed: 1,000 subtitle-like lines (5–15 words) through all-MiniLM-L6-v2 on the CPU.
//! Target (issue 4): under 5 s. Run: `cargo run --release --example bench_embed`.

use std::process::ExitCode;
use std::time::Instant;

use cinecut::analyze::{Embedder, HOW_TO_GET, expected_dir};

const LINES: usize = 1000;
const WORDS: &[&str] = &[
    "we",
    "have",
    "to",
    "get",
    "out",
    "of",
    "here",
    "now",
    "the",
    "ship",
    "is",
    "falling",
    "apart",
    "I",
    "never",
    "wanted",
    "this",
    "you",
    "said",
    "would",
    "come",
    "back",
    "for",
    "me",
    "where",
    "were",
    "last",
    "night",
    "they",
    "are",
    "coming",
    "robots",
    "city",
    "stop",
    "them",
    "before",
    "it",
    "too",
    "late",
    "love",
    "remember",
    "what",
    "happened",
    "Amsterdam",
    "tell",
    "truth",
    "run",
    "don't",
    "look",
    "there",
    "no",
    "time",
    "left",
    "everyone",
];

/// Deterministic pseudo-random lines, 5–15 words each, so every run measures the same work.
fn lines() -> Vec<String> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state as usize
    };
    (0..LINES)
        .map(|_| {
            let n = 5 + next() % 11;
            let mut line: Vec<&str> = (0..n).map(|_| WORDS[next() % WORDS.len()]).collect();
            line[n - 1] = if next() % 3 == 0 { "now!" } else { "again." };
            line.join(" ")
        })
        .collect()
}

fn main() -> ExitCode {
    let Some(dir) = Embedder::locate() else {
        eprintln!(
            "bench_embed: the sentence model is not in {}\n  fix: {HOW_TO_GET}",
            expected_dir()
        );
        return ExitCode::from(2);
    };
    let start = Instant::now();
    let embedder = match Embedder::load(&dir) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("bench_embed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let load_s = start.elapsed().as_secs_f64();
    let lines = lines();
    let texts: Vec<&str> = lines.iter().map(String::as_str).collect();

    let start = Instant::now();
    let vectors = match embedder.embed(&texts) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("bench_embed: {e}");
            return ExitCode::FAILURE;
        }
    };
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(vectors.len(), LINES);
    let verdict = if secs < 5.0 { "ok" } else { "BELOW TARGET" };
    println!(
        "embed: {LINES} lines in {secs:.2} s ({:.0} lines/s); model load {load_s:.2} s; target < 5 s: {verdict}",
        LINES as f64 / secs
    );
    ExitCode::SUCCESS
}
