//! The picture of `conform`, on generated films whose every frame is known: a film of one-second shots in
//! solid colours, so each output frame can be checked against the source frame the timeline says it shows
//! (frame-accurate cuts), dissolves are blends of their two clips, fades reach black, the title shows text.
//! And the geometry: anamorphic pixels, a phone's rotation, odd sizes, `--resolution`, `--fps`.

use crate::util::{self, Cinecut};

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use util::{
    ffmpeg_line, grey_count_film, grey_of_frame, mean_lumas, picture_check, read_json, set_mp4_rotation_90,
    write_manifest,
};

/// Shot colours (RGB), one per second of film, repeating.
const COLOURS: [[u8; 3]; 8] = [
    [200, 40, 40],
    [40, 200, 40],
    [40, 40, 200],
    [200, 200, 40],
    [40, 200, 200],
    [200, 40, 200],
    [230, 230, 230],
    [110, 110, 110],
];

/// 40 s at 24 fps, 320x240: second `k` is `COLOURS[k % 8]`, with a tone.
fn colour_film(dir: &Path) -> PathBuf {
    let film = dir.join("colours.mp4");
    let mut inputs = String::new();
    let mut graph = String::new();
    for k in 0..40 {
        let [r, g, b] = COLOURS[k % 8];
        inputs.push_str(&format!(
            "-f lavfi -i color=c=0x{r:02x}{g:02x}{b:02x}:s=320x240:r=24:d=1 "
        ));
        graph.push_str(&format!("[{k}:v]"));
    }
    graph.push_str("concat=n=40,format=yuv420p[v]");
    ffmpeg_line(&format!(
        "{inputs}-f lavfi -i sine=f=220:r=48000:d=40 -filter_complex {graph} -map [v] -map 40:a \
         -c:v libx264 -preset ultrafast -qp 0 -pix_fmt yuv420p -c:a aac -shortest {}",
        film.display()
    ));
    film
}

/// Each frame's mean colour, from a small decode.
fn mean_colours(out: &Path) -> Vec<[f64; 3]> {
    util::raw_frames(out, "scale=8:6:flags=area", "rgb24")
        .chunks(8 * 6 * 3)
        .map(|f| {
            let mut sum = [0f64; 3];
            for p in f.chunks(3) {
                for c in 0..3 {
                    sum[c] += p[c] as f64;
                }
            }
            sum.map(|s| s / 48.0)
        })
        .collect()
}

fn dist(a: [f64; 3], b: [u8; 3]) -> f64 {
    (0..3).map(|c| (a[c] - b[c] as f64).abs()).fold(0.0, f64::max)
}

fn colour_at(source_s: f64) -> [u8; 3] {
    COLOURS[((source_s * 24.0).round() as usize / 24) % 8]
}

#[test]
fn every_frame_shows_the_source_frame_the_timeline_says() {
    let d = tempfile::tempdir().unwrap();
    colour_film(d.path());
    // Clips that start and end mid-shot, so an off-by-one frame shows the wrong colour.
    let m = write_manifest(
        d.path(),
        "colours.mp4",
        &[
            (2.5, 4.5, "act1", "hard_cut"),
            (6.25, 8.75, "act1", "crossfade"),
            (10.5, 12.5, "act2", "fade_to_black"),
            (14.5, 16.5, "act2", "hard_cut"),
            (20.5, 22.5, "act3", "hard_cut"),
        ],
        json!({"silence_s": 1.0, "title_card_s": 2.0, "tagline": "Every frame counts"}),
    );
    let out = d.path().join("out.mp4");
    let r = Cinecut::manifest(&m).output(&out).arg("--no-grade").quiet().run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let work = d.path().join("colours_cinecut_work");
    let tl = read_json(&work.join("timeline.json"));
    let shot_changes: Vec<(f64, f64)> = (1..40).map(|s| (f64::from(s), 0.0)).collect();
    let report = picture_check::check(&tl, &out, &shot_changes);
    assert!(report.problems.is_empty(), "{:#?}", report.problems);

    let frames = mean_colours(&out);
    assert_eq!(frames.len() as u64, tl["frames"].as_u64().unwrap());
    let video = tl["video"].as_array().unwrap();
    let mut checked = 0;
    for (i, s) in video.iter().enumerate() {
        let (a, b) = (s["start_frame"].as_u64().unwrap(), s["end_frame"].as_u64().unwrap());
        // Frames inside a transition are checked below.
        let into = s["transition_frames"].as_u64().unwrap_or(0) / 2;
        let out_of = video
            .get(i + 1)
            .map_or(0, |n| n["transition_frames"].as_u64().unwrap_or(0) / 2);
        match s["kind"].as_str().unwrap() {
            "clip" | "button" => {
                let src = s["source_start_s"].as_f64().unwrap();
                for f in a + into..b - out_of {
                    let want = colour_at(src + (f - a) as f64 / 24.0);
                    let got = frames[f as usize];
                    assert!(dist(got, want) < 14.0, "frame {f}: {got:?}, the source shows {want:?}");
                    checked += 1;
                }
            }
            "silence" => {
                for f in a..b {
                    assert!(frames[f as usize].iter().all(|&c| c < 8.0), "silence frame {f}");
                }
            }
            _ => {}
        }
    }
    assert!(checked > 150, "{checked} frames checked");

    // The crossfade: the blend goes from the outgoing clip's colour to the incoming one's, half-way at the cut.
    let xf = video
        .iter()
        .position(|s| s["transition_in"] == "crossfade")
        .expect("a crossfade");
    let next = &video[xf];
    let cut = next["start_frame"].as_u64().unwrap();
    let h = next["transition_frames"].as_u64().unwrap() / 2;
    assert!(h >= 3, "{h}");
    let from = frames[(cut - h - 1) as usize];
    let to = frames[(cut + h) as usize];
    let mid = frames[cut as usize];
    let expect_mid: Vec<f64> = (0..3).map(|c| (from[c] + to[c]) / 2.0).collect();
    for c in 0..3 {
        assert!(
            (mid[c] - expect_mid[c]).abs() < 25.0,
            "dissolve middle {mid:?}, from {from:?} to {to:?}"
        );
    }

    // The fade to black: darkest at the cut.
    let fb = video
        .iter()
        .position(|s| s["transition_in"] == "fade_to_black")
        .expect("a fade");
    let cut = video[fb]["start_frame"].as_u64().unwrap() as usize;
    let luma = |c: [f64; 3]| 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    assert!(
        luma(frames[cut]) < 10.0,
        "the fade reaches black at the cut: {:?}",
        frames[cut]
    );
    assert!(luma(frames[cut - 4]) > luma(frames[cut - 1]) && luma(frames[cut + 4]) > luma(frames[cut]));
}

#[test]
fn the_grade_changes_the_colours_and_a_user_lut_is_used() {
    let d = tempfile::tempdir().unwrap();
    colour_film(d.path());
    let m = write_manifest(d.path(), "colours.mp4", &[(2.5, 5.5, "act1", "hard_cut")], json!({}));
    // The drama vibe's grade: not the source's colours (desaturated, more contrast).
    let graded = d.path().join("graded.mp4");
    let r = Cinecut::manifest(&m).output(&graded).quiet().run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tl = read_json(&d.path().join("colours_cinecut_work/timeline.json"));
    let src = tl["video"][0]["source_start_s"].as_f64().unwrap();
    let frames = mean_colours(&graded);
    let want = colour_at(src + 2.0 / 24.0);
    let got = frames[2];
    assert!(dist(got, want) > 6.0, "graded {got:?} = source {want:?}");
    // A user's LUT that swaps red and blue.
    let lut = d.path().join("swap.cube");
    let mut text = String::from("TITLE \"swap\"\nLUT_3D_SIZE 2\n");
    for b in 0..2 {
        for g in 0..2 {
            for r in 0..2 {
                text.push_str(&format!("{b}.0 {g}.0 {r}.0\n"));
            }
        }
    }
    std::fs::write(&lut, text).unwrap();
    let swapped = d.path().join("swapped.mp4");
    let r = Cinecut::manifest(&m)
        .output(&swapped)
        .arg("--lut")
        .arg(&lut)
        .quiet()
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = mean_colours(&swapped)[2];
    let want = [want[2], want[1], want[0]];
    assert!(dist(got, want) < 14.0, "swapped {got:?}, want {want:?}");
    // A file that is not a LUT is refused before any work, naming the file.
    let bad = d.path().join("bad.cube");
    std::fs::write(&bad, "LUT_1D_SIZE 4\n0 0 0\n").unwrap();
    let r = Cinecut::manifest(&m)
        .output(d.path().join("x.mp4"))
        .arg("--lut")
        .arg(&bad)
        .run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("bad.cube"), "{}", r.stderr);
}

fn stream(out: &Path) -> Value {
    let o = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_packets",
            "-show_entries",
        ])
        .args([
            "stream=width,height,sample_aspect_ratio,r_frame_rate,nb_read_packets,pix_fmt",
            "-of",
            "json",
        ])
        .arg(out)
        .output()
        .unwrap();
    serde_json::from_slice::<Value>(&o.stdout).unwrap()["streams"][0].clone()
}

/// Render a two-clip manifest of `film` with `args`, return the output's stream and the timeline.
fn render(dir: &Path, film: &str, args: &[&str]) -> (Value, Value, PathBuf) {
    let m = write_manifest(
        dir,
        film,
        &[(1.0, 3.0, "act1", "hard_cut"), (4.0, 6.0, "act2", "crossfade")],
        json!({}),
    );
    let out = dir.join(format!("{film}.trailer.mp4"));
    let r = Cinecut::manifest(&m).output(&out).quiet().args(args).run();
    assert_eq!(r.code, 0, "{film} {args:?}: {}", r.stderr);
    let stem = Path::new(film).file_stem().unwrap().to_string_lossy().into_owned();
    let tl = read_json(&dir.join(format!("{stem}_cinecut_work/timeline.json")));
    (stream(&out), tl, out)
}

fn dims(s: &Value) -> (u64, u64) {
    (s["width"].as_u64().unwrap(), s["height"].as_u64().unwrap())
}

#[test]
fn anamorphic_rotated_and_odd_sized_films_come_out_right() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // PAL widescreen: 720x576 stored, 64:45 pixels, shown 1024x576.
    ffmpeg_line(&format!(
        "-f lavfi -i testsrc2=s=720x576:r=25:d=8 -vf setsar=64/45 -c:v libx264 -preset ultrafast {}",
        p.join("pal.mp4").display()
    ));
    let (s, _, _) = render(p, "pal.mp4", &[]);
    assert_eq!(dims(&s), (1024, 576), "{s}");
    assert_eq!(s["sample_aspect_ratio"], "1:1");
    assert_eq!(s["r_frame_rate"], "25/1");

    // A phone video: 320x180 stored, rotated 90°, shown 180x320.
    ffmpeg_line(&format!(
        "-f lavfi -i testsrc2=s=320x180:r=30:d=8 -c:v libx264 -preset ultrafast {}",
        p.join("phone.mp4").display()
    ));
    set_mp4_rotation_90(&p.join("phone.mp4"));
    let (s, _, _) = render(p, "phone.mp4", &[]);
    assert_eq!(dims(&s), (180, 320), "{s}");

    // Odd sizes (4:4:4 allows them) come out even, 4:2:0.
    ffmpeg_line(&format!(
        "-f lavfi -i testsrc2=s=321x181:r=24:d=8 -pix_fmt yuv444p -c:v libx264 -preset ultrafast {}",
        p.join("odd.mp4").display()
    ));
    let (s, _, _) = render(p, "odd.mp4", &[]);
    assert_eq!(dims(&s), (320, 180), "{s}");
    assert_eq!(s["pix_fmt"], "yuv420p");
}

#[test]
fn resolution_and_frame_rate_options() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    // 2.4:1, like Tears of Steel.
    ffmpeg_line(&format!(
        "-f lavfi -i testsrc2=s=480x200:r=24:d=8 -c:v libx264 -preset ultrafast {}",
        p.join("wide.mp4").display()
    ));
    let (s, _, _) = render(p, "wide.mp4", &["--resolution", "720p"]);
    assert_eq!(dims(&s), (1280, 532), "{s}");

    // Exactly 640x360: letterboxed, black bars above and below the picture.
    let (s, _, out) = render(p, "wide.mp4", &["--resolution", "640x360"]);
    assert_eq!(dims(&s), (640, 360), "{s}");
    let frame = picture_check::gray_frames(&out, 12, 1, 24.0, 640, 360);
    let row_max = |y: usize| frame[y * 640..(y + 1) * 640].iter().copied().max().unwrap();
    assert!(row_max(5) < 20 && row_max(354) < 20, "bars are black");
    assert!(row_max(180) > 60, "the picture is in the middle");

    // 30 fps from a 24 fps film: the timeline and the file on the new grid.
    let (s, tl, _) = render(p, "wide.mp4", &["--fps", "30"]);
    assert_eq!(s["r_frame_rate"], "30/1");
    assert_eq!(tl["rate"], json!({"num": 30, "den": 1}));
    assert_eq!(
        s["nb_read_packets"].as_str().unwrap().parse::<u64>().unwrap(),
        tl["frames"].as_u64().unwrap()
    );
}

/// At 23.976 fps no frame time is a round number; a manifest's times are rounded to 0.1 ms, often a little past
/// the frame they name. Each output frame must still be the source frame the timeline names.
#[test]
fn clips_start_on_the_named_frame_at_ntsc_rates() {
    let d = tempfile::tempdir().unwrap();
    let film = d.path().join("ntsc.mp4");
    grey_count_film(&film, "24000/1001", 30);
    let fps = 24000.0 / 1001.0;
    let at = |k: f64| ((k / fps) * 1e4).round() / 1e4 + 0.00004;
    let m = write_manifest(
        d.path(),
        "ntsc.mp4",
        &[
            (at(101.0), at(161.0), "act1", "hard_cut"),
            (at(250.0), at(310.0), "act2", "hard_cut"),
            (at(403.0), at(463.0), "act2", "hard_cut"),
        ],
        json!({}),
    );
    let out = d.path().join("out.mp4");
    let r = Cinecut::manifest(&m).output(&out).arg("--no-grade").quiet().run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tl = read_json(&d.path().join("ntsc_cinecut_work/timeline.json"));
    assert_eq!(tl["rate"], json!({"num": 24000, "den": 1001}));
    let lumas = mean_lumas(&out);
    let mut checked = 0;
    for s in tl["video"].as_array().unwrap().iter().filter(|s| s["kind"] == "clip") {
        let first = (s["source_start_s"].as_f64().unwrap() * fps).round() as u64;
        let (a, b) = (s["start_frame"].as_u64().unwrap(), s["end_frame"].as_u64().unwrap());
        for f in a..b {
            let k = first + (f - a);
            let want = grey_of_frame(k);
            assert!(
                (lumas[f as usize] - want).abs() < 2.0,
                "frame {f}: grey {}, source frame {k} is {want}",
                lumas[f as usize]
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "{checked}");
}
