//! Filter-graph escaping through real FFmpeg: paths and text full of `' : , [ ] ; \ %`, spaces, a leading `-`,
//! unicode and emoji must reach the filter exactly as written.

use std::path::{Path, PathBuf};

use cinecut::Cancel;
use cinecut::media::{FfCommand, Tools, drawtext_text, filter_value};

const HOSTILE: &[&str] = &[
    "plain",
    "with space",
    "quote's",
    "colon:comma,semi;",
    "[brackets]",
    r"back\slash",
    "100%{pts}",
    "-leading dash",
    " edges ",
    "ünï códe 🎬",
    r#"all ' : , [ ] ; \ % " = of them"#,
];

fn tools() -> Tools {
    Tools::locate().expect("FFmpeg installed (make test installs it)")
}

/// Run a filter graph on one generated frame; FFmpeg must accept it.
fn run_graph(t: &Tools, graph: &str) -> Vec<u8> {
    FfCommand::ffmpeg(t, "escape test")
        .args(["-f", "lavfi", "-i", "color=c=gray:s=64x64:d=0.1", "-filter_complex"])
        .arg(format!("[0:v]{graph}[out]"))
        .args([
            "-map",
            "[out]",
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "pipe:1",
        ])
        .output_bytes(&Cancel::new())
        .unwrap_or_else(|e| panic!("graph `{graph}` was refused:\n{e}"))
}

fn identity_cube(path: &Path) {
    let mut s = String::from("LUT_3D_SIZE 2\n");
    for b in 0..2 {
        for g in 0..2 {
            for r in 0..2 {
                s.push_str(&format!("{r} {g} {b}\n"));
            }
        }
    }
    std::fs::write(path, s).unwrap();
}

fn hostile_file(dir: &Path, name: &str, ext: &str) -> PathBuf {
    dir.join(format!("{name}.{ext}"))
}

#[test]
fn lut3d_and_subtitles_and_movie_find_files_with_hostile_names() {
    let t = tools();
    let d = tempfile::tempdir().unwrap();
    for name in HOSTILE {
        // Trailing spaces and slashes cannot be file names everywhere; trim those for the file tests only.
        let name = name.trim().replace('\\', "_bs_");
        let cube = hostile_file(d.path(), &name, "cube");
        identity_cube(&cube);
        run_graph(&t, &format!("lut3d=file={}", filter_value(cube.to_str().unwrap())));

        let srt = hostile_file(d.path(), &name, "srt");
        std::fs::write(&srt, "1\n00:00:00,000 --> 00:00:01,000\nhi\n\n").unwrap();
        run_graph(
            &t,
            &format!("subtitles=filename={}", filter_value(srt.to_str().unwrap())),
        );

        let clip = hostile_file(d.path(), &name, "mkv");
        FfCommand::ffmpeg(&t, "clip")
            .args([
                "-f",
                "lavfi",
                "-i",
                "color=c=white:s=64x64:d=0.2",
                "-map",
                "0:v",
                "-c:v",
                "ffv1",
                "-y",
            ])
            .output(&clip)
            .output_bytes(&Cancel::new())
            .unwrap();
        // movie= replaces the input with the clip: a white frame proves the file was opened.
        let px = run_graph(
            &t,
            &format!(
                "nullsink;movie=filename={},format=gray",
                filter_value(clip.to_str().unwrap())
            ),
        );
        assert!(px.iter().all(|&p| p > 200), "{name}: movie did not read the file");
    }
}

#[test]
fn drawtext_shows_text_exactly_as_typed() {
    let t = tools();
    let d = tempfile::tempdir().unwrap();
    for (i, text) in HOSTILE.iter().enumerate() {
        // The reference: the same text read from a file, which involves no escaping at all.
        let file = d.path().join(format!("t{i}.txt"));
        std::fs::write(&file, text).unwrap();
        let style = "fontsize=12:fontcolor=white:x=2:y=20";
        let from_file = run_graph(
            &t,
            &format!(
                "drawtext=expansion=none:textfile={}:{style}",
                filter_value(file.to_str().unwrap())
            ),
        );
        let escaped = run_graph(&t, &format!("drawtext={}:{style}", drawtext_text(text)));
        assert_eq!(from_file, escaped, "text {text:?} rendered differently");
        let blank = run_graph(&t, "null");
        assert_ne!(blank, escaped, "text {text:?} drew nothing");
    }
}

#[test]
fn aevalsrc_expressions_keep_their_commas() {
    let t = tools();
    // 0.25 after half a second, 0 before; sin(2π·440·t) is 0 at both sample points.
    let expr = "0.5*sin(2*PI*440*t)+if(gt(t,0.5),0.25,0)";
    let raw = FfCommand::ffmpeg(&t, "aevalsrc")
        .args(["-f", "lavfi", "-i"])
        .arg(format!("aevalsrc=exprs={}:s=8000:d=1", filter_value(expr)))
        .args(["-map", "0:a", "-f", "f32le", "pipe:1"])
        .output_bytes(&Cancel::new())
        .unwrap();
    let samples: Vec<f32> = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
        .collect();
    assert_eq!(samples.len(), 8000);
    assert!(samples[2000].abs() < 1e-3, "{}", samples[2000]);
    assert!((samples[6000] - 0.25).abs() < 1e-3, "{}", samples[6000]);
}
