//! The beat tracker on real files through real FFmpeg: a generated drum track survives MP3 encoding (encoder
//! delay, lossy high end) with its tempo and beats, and `decode_mono` reads lengths and refuses silent files well.

use std::path::{Path, PathBuf};

use cinecut::media::{FfCommand, Tools};
use cinecut::sound::{
    ANALYSIS_RATE, TempoPrior, decode_mono, track,
    trackgen::{self, Spec, Style, f_measure},
};
use cinecut::{Cancel, Error};

fn tools() -> Tools {
    Tools::locate().expect("FFmpeg installed (make test installs it)")
}

fn write_wav(path: &Path, samples: &[f32], rate: u32, channels: u16) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for s in samples {
        for _ in 0..channels {
            w.write_sample(*s).unwrap();
        }
    }
    w.finalize().unwrap();
}

fn ffmpeg(t: &Tools, args: &[&str], out: &Path) {
    FfCommand::ffmpeg(t, "making a test file")
        .args(args)
        .arg("-y")
        .output(out)
        .run(&Cancel::new(), &mut |_| {})
        .unwrap();
}

#[test]
fn a_drum_track_keeps_its_tempo_and_beats_through_mp3() {
    let dir = tempfile::tempdir().unwrap();
    let t = tools();
    let spec = Spec {
        style: Style::Drums,
        bpm: 120.0,
        drift: 0.0,
        swing: 0.56,
        lead_silence_s: 1.0,
        music_s: 24.0,
        seed: 42,
    };
    let truth = trackgen::generate(&spec, 44_100);
    let wav = dir.path().join("drums.wav");
    write_wav(&wav, &truth.samples, 44_100, 2);
    let mp3 = dir.path().join("drums.mp3");
    ffmpeg(
        &t,
        &["-i", &wav.to_string_lossy(), "-c:a", "libmp3lame", "-b:a", "128k"],
        &mp3,
    );

    let samples = decode_mono(&t, &mp3, ANALYSIS_RATE, &Cancel::new()).unwrap();
    let seconds = samples.len() as f64 / f64::from(ANALYSIS_RATE);
    assert!((seconds - 25.0).abs() < 0.1, "decoded {seconds} s of a 25 s track");

    let prior = TempoPrior {
        min_bpm: 90.0,
        max_bpm: 150.0,
        default_bpm: 110.0,
    };
    let found = track(&samples, ANALYSIS_RATE, prior);
    assert!((found.bpm / 120.0 - 1.0).abs() < 0.01, "{} BPM", found.bpm);
    let f = f_measure(&found.beats_s, &truth.beats_s, 0.05);
    println!(
        "through MP3: {:.2} BPM, F {f:.3}, confidence {:.2}",
        found.bpm, found.confidence
    );
    assert!(f >= 0.9, "F-measure {f}");
    assert!(found.confidence > 0.5, "{}", found.confidence);
}

#[test]
fn decoding_downmixes_resamples_and_keeps_the_length() {
    let dir = tempfile::tempdir().unwrap();
    let t = tools();
    let tone: Vec<f32> = (0..3 * 48_000).map(|i| 0.5 * (i as f32 * 0.05).sin()).collect();
    let wav = dir.path().join("-tone.wav");
    write_wav(&wav, &tone, 48_000, 2);
    let samples = decode_mono(&t, &wav, 16_000, &Cancel::new()).unwrap();
    assert!(
        samples.len().abs_diff(48_000) < 32,
        "{} samples for 3 s at 16 kHz",
        samples.len()
    );
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    assert!(
        (peak - 0.5).abs() < 0.02,
        "two equal channels downmix to the same level: {peak}"
    );
}

#[test]
fn a_file_without_audio_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let t = tools();
    let video: PathBuf = dir.path().join("picture only.mp4");
    ffmpeg(
        &t,
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x64:rate=10:duration=1",
            "-c:v",
            "mpeg4",
        ],
        &video,
    );
    let err = decode_mono(&t, &video, ANALYSIS_RATE, &Cancel::new()).unwrap_err();
    assert!(matches!(err, Error::BadInput { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("picture only.mp4") && text.contains("no audio"), "{text}");
}
