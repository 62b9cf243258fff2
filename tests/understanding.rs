//! Stages `inference` and `structural` on films with known ground truth, and on Tears of Steel.

use crate::util::{self, Cinecut};

use std::path::{Path, PathBuf};

use util::{ffmpeg_line, read_json};

/// 120 s: a still grey picture with a quiet hum, then 20 s of a moving test pattern with loud noise
/// (85–105 s), then the quiet grey again. The loud, busy stretch is the film's climax by any measure.
fn quiet_loud_quiet(dir: &Path) -> PathBuf {
    let out = dir.join("film.mp4");
    let seg = |i: usize, v: &str, a: &str, secs: u32| {
        let p = dir.join(format!("seg{i}.mp4"));
        ffmpeg_line(&format!(
            "-f lavfi -i {v}:rate=24:duration={secs} -f lavfi -i {a}:duration={secs} \
             -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -ar 48000 -shortest {}",
            p.display()
        ));
        p
    };
    let parts = [
        seg(
            0,
            "color=c=0x606060:size=320x180",
            "sine=frequency=220:sample_rate=48000",
            85,
        ),
        seg(
            1,
            "testsrc2=size=320x180",
            "anoisesrc=color=pink:amplitude=0.9:sample_rate=48000:seed=7",
            20,
        ),
        seg(
            2,
            "color=c=0x606060:size=320x180",
            "sine=frequency=220:sample_rate=48000",
            15,
        ),
    ];
    let list = dir.join("list.txt");
    let text: String = parts.iter().map(|p| format!("file '{}'\n", p.display())).collect();
    std::fs::write(&list, text).unwrap();
    // The hum is quiet: -30 dB under the noise.
    ffmpeg_line(&format!(
        "-f concat -safe 0 -i {} -c:v copy -af volume=enable='lt(t,85)+gt(t,105)':volume=0.03 -c:a aac {}",
        list.display(),
        out.display()
    ));
    out
}

fn scenes(work: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(work.join("inference/scenes.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn f(v: &serde_json::Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or_else(|| panic!("{k} in {v}"))
}

#[test]
fn builtin_analysis_and_anchors_follow_the_film() {
    let d = tempfile::tempdir().unwrap();
    let film = quiet_loud_quiet(d.path());
    let work = d.path().join("w");
    let r = Cinecut::film(&film)
        .vibe("action")
        .until("structural")
        .work_dir(&work)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);

    let scenes = scenes(&work);
    let keyframes = read_json(&work.join("keyframes.json"));
    assert_eq!(scenes.len(), keyframes["keyframes"].as_array().unwrap().len());
    let (busy, calm): (Vec<_>, Vec<_>) = scenes.iter().partition(|s| (86.0..104.0).contains(&f(s, "time_s")));
    assert!(!busy.is_empty() && !calm.is_empty());
    for s in &busy {
        assert!(f(s, "motion") > 0.005, "the test pattern moves: {s}");
        assert!(f(s, "audio_intensity") > 0.6, "loud noise: {s}");
        let mood = s["mood"].as_str().unwrap();
        assert!(
            ["tense", "energetic", "intense"].iter().any(|m| mood.contains(m)),
            "{s}"
        );
        assert!(f(s, "saturation") > 0.3, "colour bars: {s}");
    }
    for s in calm.iter().filter(|s| (3.0..82.0).contains(&f(s, "time_s"))) {
        assert!(f(s, "motion") < 0.002, "a still picture: {s}");
        assert!(f(s, "audio_intensity") < 0.4, "a quiet hum: {s}");
        assert!(f(s, "saturation") < 0.05, "grey: {s}");
        assert!(s["action"].as_str().unwrap().starts_with("still picture"), "{s}");
    }
    for s in &scenes {
        assert_eq!(s["text_source"], "builtin");
        assert_eq!(s["faces"], 0, "no faces in grey or colour bars: {s}");
        for k in [
            "motion",
            "brightness",
            "saturation",
            "uniqueness",
            "audio_intensity",
            "confidence",
        ] {
            assert!((0.0..=1.0).contains(&f(s, k)), "{k} in {s}");
        }
        for k in ["visual_content", "mood", "action", "setting"] {
            assert!(!s[k].as_str().unwrap().is_empty());
        }
    }

    let st = read_json(&work.join("structure.json"));
    let (b, e, c) = (f(&st, "begin_t"), f(&st, "escalation_t"), f(&st, "climax_t"));
    assert!(b < e && e < c, "{st}");
    assert!((85.0..106.0).contains(&c), "the climax is the loud, busy stretch: {st}");
    assert_eq!(st["source"], "heuristic", "{st}");
}
