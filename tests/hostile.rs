//! Hostile names and text through a whole run: the film, subtitles, music and output in a folder whose name has
//! spaces, both quotes, `: , ; [ ] % \`, a leading `-`, unicode and emoji; subtitle lines and a title with the
//! same plus FFmpeg expression syntax (`%{pts}`, `\,`). The run must succeed, write exactly the paths asked,
//! show the title and the lines as typed, and the cut lists must name the files as they are. (No shell is ever
//! used to start FFmpeg: every argument goes to it as one argv entry, so there is nothing to inject into.)
//! tests/escape.rs checks the filter-graph escaping itself, value by value.

use crate::util::{self, Cinecut};

use std::path::Path;

use util::export_check::read_with_otio;
use util::{ffmpeg, read_json, talking_film};

const HOSTILE_DIR: &str = r#"-it's a "cut": [1], 50% ; back\slash ünï 🎬"#;
const TITLE: &str = r#"Don't "Stop": 100%{pts} \, [x]; ünï 🎬"#;
/// A line of dialogue with the same trouble; it replaces the film's first line.
const LINE: &str = r#"He said "run": 50% \, [now]; %{pts} 'go' 🎬"#;
/// The line as the subtitle cleaner keeps it: `[now]` is read as a sound cue and `{pts}` as an ASS override tag,
/// both taken out; everything else stays as typed.
const CLEAN_LINE: &str = r#"He said "run": 50% \, ; % 'go' 🎬"#;

/// The brightest luma of the frame shown at `t` seconds.
fn max_luma(video: &Path, t: f64) -> f64 {
    let out = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-ss", &format!("{t:.3}"), "-i"])
        .arg(video)
        .args([
            "-frames:v",
            "1",
            "-vf",
            "signalstats,metadata=print:file=-",
            "-f",
            "null",
            "-",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find_map(|l| l.strip_prefix("lavfi.signalstats.YMAX="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no YMAX at {t}: {text} {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn hostile_paths_titles_and_lines_render_as_typed() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join(HOSTILE_DIR);
    std::fs::create_dir(&dir).unwrap();
    let (plain_film, plain_srt) = talking_film(d.path(), "plain");
    let film = dir.join("-film, 'one' [v2] %d.mp4");
    std::fs::rename(&plain_film, &film).unwrap();
    let srt = dir.join(r#"subs "en" 100%; [cc] \ 🎬.srt"#);
    let text = std::fs::read_to_string(&plain_srt).unwrap();
    let first = text.lines().nth(2).unwrap().to_string();
    std::fs::write(&srt, text.replacen(&first, LINE, 1)).unwrap();
    let music = dir.join(r#"music; "beat" \ 🎵 [1].wav"#);
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "aevalsrc=0.6*sin(2*PI*60*t)*exp(-15*mod(t\\,0.5))+0.1*sin(2*PI*440*t):s=48000:d=60",
        "-ac",
        "2",
        music.to_str().unwrap(),
    ]);
    let out = dir.join(r#"-out: 'trailer' [v1] %d 50%.mp4"#);
    let work = dir.join("work, [w] %s 'dir'");

    let r = Cinecut::film(&film)
        .subtitles(&srt)
        .vibe("thriller")
        .length("spot")
        .arg("--music")
        .arg(&music)
        .arg("--title")
        .arg(TITLE)
        .work_dir(&work)
        .output(&out)
        .arg("--export")
        .arg("otio,edl,fcpxml")
        .quiet()
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Exactly the paths asked for, and nothing else beside them but the cut lists.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let stem = out.file_stem().unwrap().to_string_lossy().into_owned();
    let mut want = vec![
        film.file_name().unwrap().to_string_lossy().into_owned(),
        srt.file_name().unwrap().to_string_lossy().into_owned(),
        music.file_name().unwrap().to_string_lossy().into_owned(),
        work.file_name().unwrap().to_string_lossy().into_owned(),
        format!("{stem}.mp4"),
        format!("{stem}.otio"),
        format!("{stem}.edl"),
        format!("{stem}.fcpxml"),
    ];
    want.sort();
    assert_eq!(names, want);

    // The trailer plays, the music is the file given, the title and the line are as typed.
    let tl = read_json(&work.join("timeline.json"));
    assert_eq!(tl["music"]["path"], music.to_str().unwrap());
    let m = read_json(&work.join("TRAILER_MANIFEST.json"));
    assert_eq!(m["title"], TITLE);
    let dialogue = read_json(&work.join("dialogue.json"));
    assert!(
        dialogue["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["text"] == CLEAN_LINE),
        "the line as typed: {}",
        dialogue["events"][0]
    );
    let duration: f64 = util::probe_video_field(&out, "duration").parse().unwrap();
    assert!((duration - 30.0).abs() < 1.5, "{duration}");
    assert_eq!(util::probe_video_field(&out, "pix_fmt"), "yuv420p");
    // The title card shows text: bright pixels over its black.
    let card = tl["video"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "title")
        .expect("a title card");
    let mid = (card["start_s"].as_f64().unwrap() + card["end_s"].as_f64().unwrap()) / 2.0;
    assert!(max_luma(&out, mid) > 150.0, "the title is not visible");

    // The cut lists name the film as it is, read back by OpenTimelineIO.
    let otio = read_with_otio(&out.with_extension("otio"), "otio_json", (24, 1));
    let paths: Vec<&str> = otio["tracks"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["path"].as_str())
        .collect();
    assert!(!paths.is_empty());
    assert!(paths.iter().all(|p| *p == film.to_str().unwrap()), "{paths:?}");
    read_with_otio(&out.with_extension("edl"), "cmx_3600", (24, 1));
    read_with_otio(&out.with_extension("fcpxml"), "fcpx_xml", (24, 1));
}
