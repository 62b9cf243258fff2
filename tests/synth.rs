//! The built-in bed and the effects stem as FFmpeg hears them: loudness and true peak by its `ebur128` filter,
//! format and length by ffprobe, and WAVs that FFmpeg wrote read back by `read_wav`.

use crate::util;

use std::path::Path;
use std::process::Command;

use cinecut::sound::{BedPlan, RATE, read_wav, render_bed, render_sfx, write_wav};
use cinecut::story::Vibe;
use cinecut::timeline::{SfxEvent, SfxKind};

/// Integrated loudness (LUFS) and true peak (dBTP) from the summary FFmpeg's `ebur128` filter prints.
fn loudness(wav: &Path) -> (f64, f64) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-nostdin", "-i"])
        .arg(wav)
        .args(["-af", "ebur128=peak=true", "-f", "null", "-"])
        .output()
        .expect("ffmpeg on PATH (make test installs it)");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    let summary = &text[text.rfind("Summary:").expect("an ebur128 summary")..];
    let value = |label: &str| -> f64 {
        let line = summary.lines().find(|l| l.trim_start().starts_with(label)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (value("I:"), value("Peak:"))
}

/// ffprobe's sample rate, channels, codec and duration of the first audio stream.
fn probe(wav: &Path) -> (u32, u32, String, f64) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "a:0", "-of", "json"])
        .args([
            "-show_entries",
            "stream=sample_rate,channels,codec_name:format=duration",
        ])
        .arg(wav)
        .output()
        .expect("ffprobe on PATH");
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &j["streams"][0];
    (
        s["sample_rate"].as_str().unwrap().parse().unwrap(),
        s["channels"].as_u64().unwrap() as u32,
        s["codec_name"].as_str().unwrap().to_string(),
        j["format"]["duration"].as_str().unwrap().parse().unwrap(),
    )
}

#[test]
fn the_bed_is_a_loud_but_safe_48k_stereo_stem() {
    let d = tempfile::tempdir().unwrap();
    let wav = d.path().join("bed.wav");
    let plan = BedPlan {
        vibe: Vibe::parse("thriller").unwrap(),
        bpm: 120.0,
        downbeat_s: 0.3,
        duration_s: 30.0,
        act_starts_s: [2.0, 10.0, 20.0],
        mutes: &[(17.0, 20.0)],
        risers_to_s: &[10.0, 20.0],
        hits_s: &[20.0, 27.0],
        fade_out_s: 1.5,
        seed: 5,
    };
    write_wav(&wav, &render_bed(&plan)).unwrap();

    let (rate, channels, codec, duration) = probe(&wav);
    assert_eq!((rate, channels, codec.as_str()), (48_000, 2, "pcm_f32le"));
    assert!((duration - 30.0).abs() < 0.001, "duration {duration}");

    let (lufs, true_peak) = loudness(&wav);
    assert!((-24.0..=-8.0).contains(&lufs), "integrated loudness {lufs} LUFS");
    assert!(true_peak < 0.0, "true peak {true_peak} dBTP");
}

#[test]
fn the_effects_stem_stays_under_full_scale() {
    let d = tempfile::tempdir().unwrap();
    let wav = d.path().join("sfx.wav");
    let events = [
        SfxEvent {
            at_s: 1.0,
            kind: SfxKind::Hard,
        },
        SfxEvent {
            at_s: 4.0,
            kind: SfxKind::Boundary,
        },
        SfxEvent {
            at_s: 6.0,
            kind: SfxKind::Hit,
        },
    ];
    write_wav(&wav, &render_sfx(&events, 10.0, &[(4.0, 6.0)], 1)).unwrap();
    let (rate, channels, _, duration) = probe(&wav);
    assert_eq!((rate, channels), (48_000, 2));
    assert!((duration - 10.0).abs() < 0.001);
    let (_, true_peak) = loudness(&wav);
    assert!(true_peak < 0.0, "true peak {true_peak} dBTP");
}

#[test]
fn wavs_that_ffmpeg_writes_are_read_back() {
    let d = tempfile::tempdir().unwrap();
    let (s16, mono, cd) = (
        d.path().join("s16.wav"),
        d.path().join("mono.wav"),
        d.path().join("cd.wav"),
    );
    let tone = "sine=frequency=1000:sample_rate=48000:duration=0.5";
    util::ffmpeg_line(&format!(
        "-f lavfi -i {tone} -af pan=stereo|c0=c0|c1=c0 -c:a pcm_s16le {}",
        s16.display()
    ));
    util::ffmpeg_line(&format!("-f lavfi -i {tone} -ac 1 -c:a pcm_s24le {}", mono.display()));
    util::ffmpeg_line(&format!("-f lavfi -i {tone} -ar 44100 {}", cd.display()));

    for p in [&s16, &mono] {
        let a = read_wav(p).unwrap();
        assert_eq!(a.len(), RATE as usize / 2, "{}", p.display());
        // lavfi's sine is at 1/8 of full scale.
        assert!((a.peak() - 0.125).abs() < 0.01, "{}: peak {}", p.display(), a.peak());
        assert_eq!(a.left, a.right);
    }
    let e = read_wav(&cd).unwrap_err().to_string();
    assert!(e.contains("44100 Hz"), "{e}");
}
