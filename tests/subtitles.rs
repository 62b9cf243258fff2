//! Stage `subtitles` end to end: a given file, one found beside the film, a track inside the container, and a
//! file that is not subtitles at all.

use crate::util::{self, Cinecut};

use util::*;

const SRT: &str = "1\n00:00:01,000 --> 00:00:02,000\nRun!\n\n2\n00:00:02,500 --> 00:00:03,500\n<i>I love you.</i>\n\n";

fn events(work: &std::path::Path) -> Vec<(f64, String, String)> {
    read_json(&work.join("dialogue.json"))["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["start_s"].as_f64().unwrap(),
                e["text"].as_str().unwrap().into(),
                e["emotion"].as_str().unwrap().into(),
            )
        })
        .collect()
}

fn want() -> Vec<(f64, String, String)> {
    vec![
        (1.0, "Run!".into(), "intense".into()),
        (2.5, "I love you.".into(), "romantic".into()),
    ]
}

#[test]
fn found_beside_the_film_or_inside_it() {
    let d = tempfile::tempdir().unwrap();
    let film = synth_film(d.path(), "film.mp4", 4);
    std::fs::write(d.path().join("film.en.srt"), SRT).unwrap();
    let work = d.path().join("w1");
    let r = Cinecut::film(&film)
        .vibe("drama")
        .until("subtitles")
        .work_dir(&work)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("2 lines of dialogue"), "{}", r.stderr);
    assert_eq!(events(&work), want());

    // The same cues as a subtitle track inside a Matroska file.
    let mkv = d.path().join("muxed.mkv");
    let srt = d.path().join("cues.srt");
    std::fs::write(&srt, SRT).unwrap();
    ffmpeg_line(&format!(
        "-i {} -i {} -map 0 -map 1 -c copy -metadata:s:s:0 language=eng {}",
        film.to_str().unwrap(),
        srt.to_str().unwrap(),
        mkv.to_str().unwrap()
    ));
    let work = d.path().join("w2");
    let r = Cinecut::film(&mkv)
        .vibe("drama")
        .until("subtitles")
        .work_dir(&work)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("subrip track #2"), "{}", r.stderr);
    // The Matroska muxer shifts every stream so the AAC priming is not negative: in this file the cues (and
    // the first picture) really are that much later, and shots.json says where its frame 0 is.
    let shift = read_json(&work.join("analysis/shots.json"))["offset_s"]
        .as_f64()
        .unwrap();
    assert!(shift < 0.05, "{shift}");
    let got = events(&work);
    for (g, w) in got.iter().zip(want()) {
        assert!((g.0 - shift - w.0).abs() < 0.002, "{got:?} shifted by {shift}");
        assert_eq!((&g.1, &g.2), (&w.1, &w.2));
    }

    // Changing the subtitle file re-runs the stage (and keeps the analysis).
    std::fs::write(d.path().join("film.en.srt"), SRT.replace("Run!", "Hello.")).unwrap();
    let work = d.path().join("w1");
    let r = Cinecut::film(&film)
        .vibe("drama")
        .until("subtitles")
        .work_dir(&work)
        .run();
    assert!(
        r.stderr.contains("[1/8] proxy skipped") && r.stderr.contains("[2/8] subtitles done"),
        "{}",
        r.stderr
    );
    assert_eq!(events(&work)[0].1, "Hello.");
}

#[test]
fn a_file_that_is_not_subtitles_is_refused_with_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let film = synth_film(d.path(), "film.mp4", 2);
    let notes = d.path().join("notes.srt");
    std::fs::write(&notes, "Remember to buy milk.\nAnd eggs.\n").unwrap();
    let r = Cinecut::film(&film)
        .subtitles(&notes)
        .vibe("drama")
        .until("subtitles")
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("notes.srt: is not a subtitle file"), "{}", r.stderr);
}

#[test]
fn tears_of_steel_has_76_lines() {
    let Some((film, srt)) = tears_of_steel() else { return };
    let d = tempfile::tempdir().unwrap();
    let work = d.path().join("w");
    let r = Cinecut::film(&film)
        .subtitles(&srt)
        .vibe("sci-fi")
        .until("subtitles")
        .work_dir(&work)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(events(&work).len(), 76);
}
