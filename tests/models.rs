//! The model paths end to end, through the `cinecut` binary: a vision model (a stub OpenAI server: no vision
//! weights can be had from a registry) describing keyframes, crash-and-resume of that stage, and a text model
//! (the stub, and the real llama-server with SmolLM2) placing the story anchors.

use crate::util;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use util::llama::LlamaServer;
use util::stub_server::{Reply, StubServer};
use util::{Cinecut, read_json, synth_film, wait_for};

const LINES: [&str; 6] = [
    "My name is Celia, I live by the old bridge.",
    "Every morning the same walk, the same quiet.",
    "Something is wrong with the signal.",
    "They are coming, we have to move now!",
    "Run! Get out of here!",
    "I'm sorry. I should have stayed.",
];

/// A 120 s film with a line of dialogue every 5 s (so about 24 keyframes at known times).
fn film_with_dialogue(dir: &Path) -> (PathBuf, PathBuf) {
    let film = synth_film(dir, "film.mp4", 120);
    let srt = dir.join("film.srt");
    let mut text = String::new();
    for i in 0..23 {
        let t = 3 + i * 5;
        text.push_str(&format!(
            "{}\n00:{:02}:{:02},000 --> 00:{:02}:{:02},500\n{}\n\n",
            i + 1,
            t / 60,
            t % 60,
            (t + 2) / 60,
            (t + 2) % 60,
            LINES[i as usize % LINES.len()]
        ));
    }
    std::fs::write(&srt, text).unwrap();
    (film, srt)
}

/// Stage `inference` with the vision analyzer at `url`.
fn run_vision(film: &Path, srt: &Path, work: &Path, url: &str) -> util::Run {
    run(
        film,
        srt,
        work,
        "inference",
        &["--analyzer", "openai", "--endpoint", url],
    )
}

/// A temp dir (keep it alive), the film, its subtitles and a work dir path.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let (film, srt) = film_with_dialogue(d.path());
    let work = d.path().join("w");
    (d, film, srt, work)
}

fn scenes(work: &Path) -> Vec<Value> {
    std::fs::read_to_string(work.join("inference/scenes.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

fn run(film: &Path, srt: &Path, work: &Path, until: &str, extra: &[&str]) -> util::Run {
    Cinecut::film(film)
        .subtitles(srt)
        .vibe("thriller")
        .until(until)
        .work_dir(work)
        .args(extra)
        .run()
}

#[test]
fn a_vision_model_writes_the_text_and_a_failed_frame_keeps_the_builtin_text() {
    let (_d, film, srt, work) = setup();
    // Every fourth answer is broken JSON.
    let stub = StubServer::start(|n, _| if n % 4 == 3 { Reply::malformed() } else { Reply::scene() });
    let url = stub.url();
    let r = run_vision(&film, &srt, &work, &url);
    assert_eq!(r.code, 0, "{}", r.stderr);

    let scenes = scenes(&work);
    let requests = stub.requests();
    assert_eq!(requests.len(), scenes.len(), "one request per keyframe");
    assert!(scenes.len() >= 20, "{} keyframes", scenes.len());
    for req in &requests {
        let parts = req.parts();
        let image = parts.iter().find(|p| p["type"] == "image_url").expect("an image part");
        assert!(
            image["image_url"]["url"]
                .as_str()
                .unwrap()
                .starts_with("data:image/jpeg;base64,/9j/")
        );
        assert!(
            req.body["response_format"]["json_schema"]["schema"]["required"].is_array(),
            "{}",
            req.body
        );
    }
    let model: Vec<_> = scenes.iter().filter(|s| s["text_source"] == "model").collect();
    let kept: Vec<_> = scenes
        .iter()
        .filter(|s| s["text_source"] == "builtin_fallback")
        .collect();
    assert_eq!(kept.len(), scenes.len() / 4, "every fourth frame failed");
    assert_eq!(model.len() + kept.len(), scenes.len());
    for s in &model {
        assert_eq!(s["visual_content"], "a woman on a bridge");
        assert!(
            s["motion"].as_f64().unwrap() > 0.0,
            "the numbers still come from the built-in analysis"
        );
    }
    for s in &kept {
        assert!(
            s["visual_content"].as_str().unwrap().contains("frame"),
            "built-in text: {s}"
        );
    }
    assert!(r.stderr.contains("kept the built-in text"), "{}", r.stderr);

    // Changing the model redoes the frames; the same model again changes nothing.
    let again = run_vision(&film, &srt, &work, &url);
    assert_eq!(again.code, 0);
    assert_eq!(
        stub.requests().len(),
        requests.len(),
        "complete and unchanged: no new requests"
    );
    let other = run(
        &film,
        &srt,
        &work,
        "inference",
        &["--analyzer", "openai", "--endpoint", &url, "--vision-model", "other"],
    );
    assert_eq!(other.code, 0);
    assert_eq!(
        stub.requests().len(),
        2 * requests.len(),
        "another model: every frame again"
    );
    assert!(stub.requests().last().unwrap().body["model"] == "other");

    // Back to the first model: its descriptions were kept aside; only the frames it failed on are asked again.
    let back = run_vision(&film, &srt, &work, &url);
    assert_eq!(back.code, 0, "{}", back.stderr);
    assert_eq!(stub.requests().len(), 2 * requests.len() + kept.len());
}

#[test]
fn a_model_without_vision_stops_with_the_fix() {
    let (_d, film, srt, work) = setup();
    let stub = StubServer::always(Reply::no_vision());
    let r = run_vision(&film, &srt, &work, &stub.url());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("--mmproj"), "{}", r.stderr);
    assert_eq!(stub.requests().len(), 1, "no retries of a fatal refusal");
    let ckpt = read_json(&work.join("pipeline_checkpoint.json"));
    assert_eq!(ckpt["inference_complete"], false);

    let nobody = run_vision(&film, &srt, &work, "http://127.0.0.1:9");
    assert_eq!(nobody.code, 1);
    assert!(
        nobody
            .stderr
            .contains("cannot reach the model server at http://127.0.0.1:9"),
        "{}",
        nobody.stderr
    );
}

#[test]
fn killed_during_inference_the_rerun_redoes_only_the_unwritten_frames() {
    let (_d, film, srt, work) = setup();
    // Ingest first, so the kill lands in inference.
    assert_eq!(run(&film, &srt, &work, "keyframes", &[]).code, 0);
    let slow = Arc::new(AtomicBool::new(true));
    let s = slow.clone();
    let stub = StubServer::start(move |_, _| {
        if s.load(Ordering::SeqCst) {
            Reply::slow(0.2, Reply::scene())
        } else {
            Reply::scene()
        }
    });
    let url = stub.url();
    let mut child = Cinecut::film(&film)
        .subtitles(&srt)
        .vibe("thriller")
        .until("inference")
        .args(["--analyzer", "openai", "--endpoint", &url])
        .work_dir(&work)
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_for(30.0, || scenes(&work).len() >= 8), "no progress");
    child.kill().unwrap();
    child.wait().unwrap();
    let written = scenes(&work).len();
    let before = stub.requests().len();
    slow.store(false, Ordering::SeqCst);

    let r = run_vision(&film, &srt, &work, &url);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let total = scenes(&work).len();
    assert!(written < total, "killed before the end ({written} of {total})");
    assert_eq!(
        stub.requests().len() - before,
        total - written,
        "only the unwritten frames are asked again"
    );
    assert!(
        r.stderr.contains(&format!("{written} taken from the interrupted run")),
        "{}",
        r.stderr
    );
}

#[test]
fn a_text_model_places_the_anchors_and_a_bad_answer_falls_back() {
    let (_d, film, srt, work) = setup();
    let stub = StubServer::always(Reply::json(
        json!({"begin": "00:13", "escalation": "00:58", "climax": "01:38"}),
    ));
    let url = stub.url();
    let r = run(
        &film,
        &srt,
        &work,
        "structural",
        &["--text-model", "story", "--endpoint", &url],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = read_json(&work.join("structure.json"));
    assert_eq!(st["source"], "llm", "{st}");
    assert_eq!(
        (st["begin_t"].as_f64(), st["climax_t"].as_f64()),
        (Some(13.0), Some(98.0))
    );
    let req = &stub.requests()[0];
    assert_eq!(req.body["model"], "story");
    for m in req.body["messages"].as_array().unwrap() {
        assert!(m["content"].is_string(), "text-only content is a plain string: {m}");
    }
    assert!(
        req.body["messages"][1]["content"]
            .as_str()
            .unwrap()
            .contains("[00:13] Something is wrong")
    );

    // Out of order: the heuristic takes over and says why.
    let bad = StubServer::always(Reply::json(
        json!({"begin": "01:38", "escalation": "00:58", "climax": "00:13"}),
    ));
    let r = run(
        &film,
        &srt,
        &work,
        "structural",
        &["--text-model", "story", "--endpoint", &bad.url()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let st = read_json(&work.join("structure.json"));
    assert_ne!(st["source"], "llm");
    assert!(st["reason"].as_str().unwrap().contains("not in order"), "{st}");
}

#[test]
fn llama_server_reads_the_dialogue() {
    let server = LlamaServer::start();
    let (_d, film, srt, work) = setup();
    let r = run(
        &film,
        &srt,
        &work,
        "structural",
        // The server runs with -c 4096.
        &[
            "--text-model",
            &server.model,
            "--endpoint",
            &server.url,
            "--text-context",
            "4096",
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, server.log_tail());
    let st = read_json(&work.join("structure.json"));
    let t = |k: &str| st[k].as_f64().unwrap();
    assert!(
        t("begin_t") < t("escalation_t") && t("escalation_t") < t("climax_t"),
        "{st}"
    );
    assert!(
        st["story"]["start_s"].as_f64().unwrap() <= t("begin_t")
            && t("climax_t") <= st["story"]["end_s"].as_f64().unwrap()
    );
    // A 135M model rarely gives a usable answer; either way the model was asked and the answer checked.
    let reason = st["reason"].as_str().unwrap();
    assert!(
        st["source"] == "llm" || reason.contains("text model's answer was not usable"),
        "{st}"
    );
    // …and it answered: a usable or unusable answer, not a refused request or a timeout.
    assert!(!reason.contains("HTTP") && !reason.contains("no answer"), "{st}");
}

#[test]
fn model_options_without_a_use_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let film = synth_film(d.path(), "f.mp4", 2);
    let work = d.path().join("w");
    for (extra, says) in [
        (&["--vision-model", "llava"][..], "add --analyzer openai"),
        (
            &["--endpoint", "http://127.0.0.1:8080/v1"][..],
            "nothing asks for a model",
        ),
        (&["--analyzer", "openai", "--endpoint", "ftp://x"][..], "ftp://x"),
    ] {
        let r = Cinecut::film(&film).vibe("drama").work_dir(&work).args(extra).run();
        assert_eq!(r.code, 2, "{extra:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{extra:?}: {}", r.stderr);
        assert!(!work.exists(), "nothing written before the options are checked");
    }
}

#[test]
fn llama_server_without_a_projector_is_refused_as_no_vision() {
    let server = LlamaServer::start();
    let (_d, film, srt, work) = setup();
    let r = run_vision(&film, &srt, &work, &server.url);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("did not accept images") && r.stderr.contains("--mmproj"),
        "{}",
        r.stderr
    );
}
