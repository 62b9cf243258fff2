//! The cut lists for editors (`--export otio,fcpxml,edl`, `cinecut export`), read back with the reference
//! library, OpenTimelineIO (PyPI, with its CMX3600 and FCPXML adapters), and held against `timeline.json` and
//! the rendered trailer frame for frame: on a film whose grey level counts its frames, every frame the exported
//! edit says shows source frame N does show it in the trailer.

use crate::util::{self, Cinecut};

use serde_json::{Value, json};
use util::export_check::{Edit, check_exports};
use util::{grey_count_film, grey_of_frame, mean_lumas, read_json, write_manifest};

/// Every frame of every edit outside the transitions shows the source frame the edit names.
fn check_against_render(edits: &[Edit], tl: &Value, lumas: &[f64], tc_start: u64, what: &str) -> usize {
    let blended: Vec<(u64, u64)> = tl["video"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            let h = s["transition_frames"].as_u64().unwrap_or(0) / 2;
            let cut = s["start_frame"].as_u64().unwrap();
            (h > 0).then_some((cut - h, cut + h))
        })
        .collect();
    let mut checked = 0;
    for e in edits {
        for f in e.rec_in..e.rec_in + e.frames {
            if blended.iter().any(|&(a, b)| (a..b).contains(&f)) {
                continue;
            }
            let k = e.src_in - tc_start + (f - e.rec_in);
            let got = lumas[f as usize];
            assert!(
                (got - grey_of_frame(k)).abs() < 2.0,
                "{what}: trailer frame {f} has grey {got}, but the export says source frame {k} ({})",
                grey_of_frame(k)
            );
            checked += 1;
        }
    }
    checked
}

/// Render a manifest with every kind of edit (hard cuts, a crossfade, a fade to black, the silence, the title
/// card) at `rate`, export it three ways, and hold each export against the timeline and the trailer.
fn exports_match_the_render(rate: &str, (num, den): (u64, u64), timecode: Option<&str>, tc_start: u64) {
    let d = tempfile::tempdir().unwrap();
    let film = d.path().join("count.mp4");
    grey_count_film(&film, rate, 90);
    if let Some(tc) = timecode {
        // Stamp a start timecode on the film, as cameras and post houses do.
        let stamped = d.path().join("stamped.mp4");
        util::ffmpeg(&[
            "-i",
            film.to_str().unwrap(),
            "-c",
            "copy",
            "-timecode",
            tc,
            stamped.to_str().unwrap(),
        ]);
        std::fs::rename(&stamped, &film).unwrap();
    }
    let m = write_manifest(
        d.path(),
        "count.mp4",
        &[
            (5.0, 8.0, "act1", "hard_cut"),
            (15.0, 19.0, "act1", "crossfade"),
            (32.0, 36.0, "act2", "fade_to_black"),
            (48.0, 51.0, "act2", "hard_cut"),
            (63.0, 67.0, "act3", "hard_cut"),
            (80.0, 82.5, "button", "crossfade"),
        ],
        json!({"silence_s": 1.5, "title_card_s": 2.0}),
    );
    let out = d.path().join("out.mp4");
    let r = Cinecut::manifest(&m)
        .output(&out)
        .arg("--no-grade")
        .quiet()
        .arg("--export")
        .arg("otio,fcpxml,edl")
        .arg("--no-report")
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tl = read_json(&d.path().join("count_cinecut_work/timeline.json"));
    assert_eq!(tl["rate"], json!({"num": num, "den": den}));
    let kinds: Vec<&str> = tl["video"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["transition_in"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"crossfade") && kinds.contains(&"fade_to_black"),
        "{kinds:?}"
    );
    let lumas = mean_lumas(&out);
    assert_eq!(lumas.len() as u64, tl["frames"].as_u64().unwrap());
    let film = film.canonicalize().unwrap();
    for (format, edits) in check_exports(&out, &tl, &film, tc_start) {
        let checked = check_against_render(&edits, &tl, &lumas, tc_start, format);
        assert!(checked > 300, "{format}: {checked} frames checked");
    }
    assert!(!d.path().join("count_cinecut_work/report").exists(), "--no-report");

    // `cinecut export` writes the same files from the work dir.
    let again = d.path().join("again");
    let r = Cinecut::export(&m).output(&again).quiet().run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    for ext in ["otio", "fcpxml", "edl"] {
        assert_eq!(
            std::fs::read(again.with_extension(ext)).unwrap(),
            std::fs::read(out.with_extension(ext)).unwrap(),
            "{ext}"
        );
    }
}

#[test]
fn exports_match_the_render_at_24_fps_with_a_start_timecode() {
    exports_match_the_render("24", (24, 1), Some("10:00:00:00"), 864_000);
}

#[test]
fn exports_match_the_render_at_29_97_drop_frame() {
    exports_match_the_render("30000/1001", (30000, 1001), None, 0);
}

#[test]
fn exports_match_the_render_at_23_976() {
    exports_match_the_render("24000/1001", (24000, 1001), None, 0);
}

#[test]
fn an_edited_manifest_must_be_rendered_before_it_is_exported() {
    let d = tempfile::tempdir().unwrap();
    let film = d.path().join("count.mp4");
    grey_count_film(&film, "24", 20);
    let m = write_manifest(
        d.path(),
        "count.mp4",
        &[(2.0, 5.0, "act1", "hard_cut"), (8.0, 11.0, "act2", "hard_cut")],
        json!({}),
    );
    let r = Cinecut::manifest(&m).arg("--no-grade").quiet().until("assembly").run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = Cinecut::export(&m).args(["--format", "edl"]).quiet().run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.path().join("count_trailer_drama.edl").is_file());
    // An edit after the render: the old timeline no longer describes it.
    let mut v = read_json(&m);
    v["clips"][1]["source_start_s"] = json!(9.0);
    std::fs::write(&m, v.to_string()).unwrap();
    let r = Cinecut::export(&m).quiet().run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("changed since") && r.stderr.contains("cinecut --manifest"),
        "{}",
        r.stderr
    );
    let r = Cinecut::export(d.path().join("nothing.json")).run();
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("nothing.json"), "{}", r.stderr);
}
