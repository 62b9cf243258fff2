//! The `cinecut` command: `--until` stops, a second run resumes, the work dir is locked, Ctrl-C and SIGKILL
//! leave no FFmpeg behind. Bad input of every kind is the matrix in `bad_input.rs`.

use crate::util::{self, Cinecut};

use std::path::Path;
use std::process::Stdio;

use util::*;

#[test]
fn until_stops_and_a_second_run_skips_completed_stages() {
    let d = tempfile::tempdir().unwrap();
    let film = synth_film(d.path(), "film.mp4", 4);
    let sub = srt(d.path(), "film.srt");
    let r = Cinecut::film(&film).subtitles(&sub).vibe("Action").until("proxy").run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("[1/8] proxy done"), "{}", r.stderr);
    assert!(r.stderr.contains("stopped after stage proxy"), "{}", r.stderr);
    assert!(!r.stderr.contains("[2/8]"), "{}", r.stderr);
    let work = d.path().join("film_cinecut_work");
    let ckpt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(work.join("pipeline_checkpoint.json")).unwrap()).unwrap();
    assert_eq!(ckpt["stages_complete"], serde_json::json!(["proxy"]));
    assert_eq!(ckpt["vibe"], "action");
    assert!(work.join("proxy.mp4").is_file());

    let again = Cinecut::film(&film).subtitles(&sub).vibe("action").until("proxy").run();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("[1/8] proxy skipped"), "{}", again.stderr);
    assert!(again.stderr.contains("resumed: skipped proxy"), "{}", again.stderr);

    // A deleted output makes the stage run again; --fresh ignores the checkpoint.
    std::fs::remove_file(work.join("proxy.mp4")).unwrap();
    let r = Cinecut::film(&film).subtitles(&sub).vibe("action").until("proxy").run();
    assert!(r.stderr.contains("[1/8] proxy done"), "{}", r.stderr);
    let r = Cinecut::film(&film)
        .subtitles(&sub)
        .vibe("action")
        .until("proxy")
        .arg("--fresh")
        .run();
    assert!(r.stderr.contains("[1/8] proxy done"), "{}", r.stderr);

    // Four seconds cannot make a trailer: refused before any stage (exit 2), the completed stages kept.
    let r = Cinecut::film(&film).subtitles(&sub).vibe("action").run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("the film is only 4.0 s long"), "{}", r.stderr);
    assert!(!r.stderr.contains("[1/8]"), "{}", r.stderr);
    let ckpt = cinecut::load_checkpoint(&work).expect("checkpoint parses");
    assert!(ckpt.is_stage_complete(cinecut::Stage::Proxy));
}

/// Regression (issue 19): `--manifest` with a `-v` that contradicts it named the output after `-v` and keyed the
/// grade on `-v`'s LUT while grading with the manifest's. The manifest now owns its vibe: a contradiction is
/// refused before any work, and the name, the grade, the pieces and the stage key all follow the manifest.
#[test]
fn a_manifest_owns_its_vibe() {
    let d = tempfile::tempdir().unwrap();
    synth_film(d.path(), "film.mp4", 4);
    let manifest = write_manifest(
        d.path(),
        "film.mp4",
        &[(0.5, 1.5, "act1", "hard_cut"), (2.0, 3.0, "act3", "hard_cut")],
        serde_json::json!({"vibe": "thriller"}),
    );
    let work = d.path().join("film_cinecut_work");

    let r = Cinecut::manifest(&manifest).vibe("comedy").run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("thriller") && r.stderr.contains("comedy"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("leave out -v"), "names the fix: {}", r.stderr);
    assert!(!work.exists(), "refused before any work");
    assert!(!d.path().join("film_trailer_comedy.mp4").exists());

    // The same vibe, however spelled, is no contradiction.
    let r = Cinecut::manifest(&manifest).vibe("Thriller").quiet().run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.path().join("film_trailer_thriller.mp4").is_file());
    let luts: Vec<String> = std::fs::read_dir(work.join("render/luts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(luts, ["thriller.cube"], "graded with the manifest's look");
    for piece in std::fs::read_dir(work.join("render/pieces")).unwrap() {
        let name = piece.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.starts_with("thriller-"), "{name}");
    }
    let key = |stage: cinecut::Stage| {
        let ckpt = cinecut::load_checkpoint(&work).expect("checkpoint parses");
        ckpt.stage_key(stage).map(str::to_string)
    };
    let conform_key = key(cinecut::Stage::Conform).expect("conform complete");
    // Without -v the run is the same run: every stage skipped, the key unchanged.
    let r = Cinecut::manifest(&manifest).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("resumed: skipped assembly, conform"), "{}", r.stderr);
    assert_eq!(key(cinecut::Stage::Conform), Some(conform_key));
}

#[test]
fn a_manifest_renders_only_through_assembly_and_conform() {
    let d = tempfile::tempdir().unwrap();
    synth_film(d.path(), "film.mp4", 4);
    let manifest = d.path().join("cut.json");
    let clip = r#"{"source_start_s": 0.5, "source_end_s": 1.5, "beat_type": "money_shot", "act": "act1"}"#;
    // `source_file` relative to the manifest, vibe spelled loosely: both accepted.
    std::fs::write(
        &manifest,
        format!(r#"{{"source_file": "film.mp4", "vibe": "Sci Fi", "clips": [{clip}]}}"#),
    )
    .unwrap();
    let r = Cinecut::manifest(&manifest).run();
    // No analysis stage runs: a bare work dir is enough to render a manifest.
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("(vibe sci-fi)"), "{}", r.stderr);
    assert!(!r.stderr.contains("proxy"), "{}", r.stderr);
    let out = d.path().join("film_trailer_sci_fi.mp4");
    let secs: f64 = probe_video_field(&out, "duration").parse().unwrap();
    assert!((secs - 1.0).abs() < 0.3, "{secs}");
    // The user's manifest file is left as written.
    assert!(!std::fs::read_to_string(&manifest).unwrap().contains("music_bed"));
}

#[test]
fn a_film_without_sound_gets_music_and_effects() {
    let d = tempfile::tempdir().unwrap();
    let film = d.path().join("silent.mp4");
    util::ffmpeg_line(&format!(
        "-f lavfi -i testsrc2=size=320x180:rate=24:duration=12 -c:v libx264 -preset ultrafast {}",
        film.display()
    ));
    let manifest = d.path().join("cut.json");
    let clips: Vec<String> = [(0.5, 3.0, "act1"), (4.0, 6.5, "act2"), (7.0, 9.0, "act3")]
        .iter()
        .map(|(a, b, act)| {
            format!(r#"{{"source_start_s": {a}, "source_end_s": {b}, "beat_type": "money_shot", "act": "{act}"}}"#)
        })
        .collect();
    std::fs::write(
        &manifest,
        format!(
            r#"{{"source_file": "silent.mp4", "vibe": "action", "silence_s": 1.0, "title_card_s": 2.0, "title": "Quiet", "clips": [{}]}}"#,
            clips.join(",")
        ),
    )
    .unwrap();
    let out = d.path().join("out.mp4");
    let r = Cinecut::manifest(&manifest).output(&out).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0"])
        .arg(&out)
        .output()
        .unwrap();
    let kinds = String::from_utf8_lossy(&probe.stdout);
    assert_eq!(kinds.lines().collect::<Vec<_>>(), ["video", "audio"], "{kinds}");
    // The bed and the effects are there, at a sane level.
    let mix: serde_json::Value =
        serde_json::from_slice(&std::fs::read(d.path().join("silent_cinecut_work/render/mix.json")).unwrap()).unwrap();
    let lufs = mix["integrated_lufs"].as_f64().unwrap();
    assert!(lufs > -20.0, "{lufs}");
}

#[test]
fn a_checkpoint_for_another_film_is_ignored() {
    let d = tempfile::tempdir().unwrap();
    let a = synth_film(d.path(), "a.mp4", 2);
    let b = synth_film(d.path(), "b.mp4", 3);
    let work = d.path().join("shared_work");
    let r = Cinecut::film(&a).vibe("drama").until("proxy").work_dir(&work).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = Cinecut::film(&b).vibe("drama").until("proxy").work_dir(&work).run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("is for another film"), "{}", r.stderr);
    assert!(r.stderr.contains("[1/8] proxy done"), "{}", r.stderr);

    // Same path, different content: the fingerprint catches it.
    synth_film(d.path(), "b.mp4", 2);
    let r = Cinecut::film(&b).vibe("drama").until("proxy").work_dir(&work).run();
    assert!(r.stderr.contains("the film changed"), "{}", r.stderr);
}

#[test]
fn a_locked_work_dir_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let film = synth_film(d.path(), "film.mp4", 2);
    let work = d.path().join("film_cinecut_work");
    let _held = cinecut::workdir::WorkDir::open(&work).unwrap();
    let r = Cinecut::film(&film).vibe("action").until("proxy").run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("is in use by another cinecut run"), "{}", r.stderr);
    assert!(!work.join("pipeline_checkpoint.json").exists());
}

/// Start a run on a long film and wait until its FFmpeg child is working in the work dir.
fn start_long_run(dir: &Path) -> (std::process::Child, String) {
    let film = dir.join("long.mp4");
    // 10 minutes of 720p noise decodes slowly enough to interrupt reliably.
    ffmpeg_line(&format!(
        "-f lavfi -i testsrc2=size=1280x720:rate=24:duration=600 -c:v libx264 -preset ultrafast -crf 40 {}",
        film.to_str().unwrap()
    ));
    let work = dir.join("long_cinecut_work").to_string_lossy().into_owned();
    let child = Cinecut::film(&film)
        .vibe("action")
        .until("proxy")
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for(30.0, || !processes_mentioning(&work).is_empty()),
        "FFmpeg never started"
    );
    (child, work)
}

#[test]
fn ctrl_c_exits_130_with_a_valid_checkpoint_and_no_ffmpeg_left() {
    let d = tempfile::tempdir().unwrap();
    let (child, work) = start_long_run(d.path());
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        wait_for(2.0, || processes_mentioning(&work).is_empty()),
        "FFmpeg outlived cinecut"
    );
    let ckpt = cinecut::load_checkpoint(Path::new(&work)).expect("checkpoint parses");
    assert!(ckpt.stages_complete.is_empty());
    assert!(
        !Path::new(&work).join("proxy.mp4.part").exists(),
        "partial proxy left behind"
    );
}

#[test]
fn sigkill_of_cinecut_takes_its_ffmpeg_down_too() {
    let d = tempfile::tempdir().unwrap();
    let (mut child, work) = start_long_run(d.path());
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        wait_for(2.0, || processes_mentioning(&work).is_empty()),
        "an orphan FFmpeg kept running"
    );
}

#[test]
fn vibes_lists_all_18() {
    let r = Cinecut::with_args(["vibes"]).run();
    assert_eq!(r.code, 0);
    for v in ["action", "sci-fi", "western", "documentary"] {
        assert!(
            r.stdout.lines().any(|l| l.starts_with(&format!("{v} "))),
            "{v}: {}",
            r.stdout
        );
    }
    let rows = r
        .stdout
        .lines()
        .filter(|l| l.contains(" s ") && l.contains('→'))
        .count();
    assert_eq!(rows, 18, "{}", r.stdout);
}
