//! Reading CineCut's cut lists back with the reference library, OpenTimelineIO (PyPI, with its CMX3600 and
//! FCPXML adapters, in the venv scripts/otio-venv.sh makes), and what each format should state for a timeline.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// The reference reader's python (scripts/otio-venv.sh makes it; `make test` runs that first).
pub fn otio_python() -> PathBuf {
    if let Some(p) = std::env::var_os("CINECUT_OTIO_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
    let python = cache.join("cinecut/otio-venv/bin/python");
    assert!(
        python.is_file(),
        "OpenTimelineIO is not installed for the tests: run scripts/otio-venv.sh (make test does)"
    );
    python
}

/// What OpenTimelineIO reads from `file` (see tests/otio_read.py). A file it cannot read fails the test.
pub fn read_with_otio(file: &Path, adapter: &str, rate: (u64, u64)) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otio_read.py");
    let o = Command::new(otio_python())
        .arg(script)
        .arg(file)
        .args([adapter.to_string(), rate.0.to_string(), rate.1.to_string()])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "OpenTimelineIO ({adapter}) cannot read {}:\n{}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// One film edit as an export states it, in trailer frames (record) and film frames (source).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edit {
    pub rec_in: u64,
    pub frames: u64,
    pub src_in: u64,
}

/// The picture track's film clips (those naming `film`), record positions counted from the trailer's start.
pub fn film_edits(read: &Value, film: &Path, skip_frames: f64) -> Vec<Edit> {
    picture(read)["items"]
        .as_array()
        .unwrap()
        .iter()
        // The FCPXML adapter predates FCPXML 1.9's `media-rep` and reads no path: its spine clips are all film.
        .filter(|i| {
            i["schema"] == "Clip"
                && (i["path"].as_str() == Some(film.to_str().unwrap())
                    || (i["path"].is_null() && i["generator"].is_null()))
        })
        .map(|i| {
            let f = |k: &str| i[k].as_f64().unwrap();
            assert_eq!(f("rec_frames"), f("src_frames"), "{i}");
            Edit {
                rec_in: (f("rec_in") - skip_frames) as u64,
                frames: f("rec_frames") as u64,
                src_in: f("src_in") as u64,
            }
        })
        .collect()
}

/// The picture track: the first video track, or where the FCPXML adapter names tracks by lane (and reads the
/// film-sound lanes as video), lane 0, the spine.
pub fn picture(read: &Value) -> &Value {
    let tracks = read["tracks"].as_array().unwrap();
    tracks
        .iter()
        .find(|t| t["name"] == "0")
        .or_else(|| tracks.iter().find(|t| t["kind"] == "Video"))
        .expect("a video track")
}

pub fn items_of<'a>(read: &'a Value, schema: &str) -> Vec<&'a Value> {
    read["tracks"][0]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["schema"] == schema)
        .collect()
}

/// The timeline's film clips as OTIO and FCPXML state them: cut to cut, the film frame the render seeks to
/// (plus the film's start timecode).
pub fn expected_edits(tl: &Value, fps: f64, tc_start: u64) -> Vec<Edit> {
    clip_segments(tl)
        .map(|s| Edit {
            rec_in: s["start_frame"].as_u64().unwrap(),
            frames: s["end_frame"].as_u64().unwrap() - s["start_frame"].as_u64().unwrap(),
            src_in: tc_start + (s["source_start_s"].as_f64().unwrap() * fps - 0.5 - 1e-6).ceil() as u64,
        })
        .collect()
}

pub fn clip_segments(tl: &Value) -> impl Iterator<Item = &Value> {
    tl["video"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["source_start_s"].is_number())
}

/// The same in CMX3600, where a dissolve starts at its edit: a clip entered by a crossfade starts half of it
/// earlier (source backed up as much), and a clip left by any blend ends half of it earlier.
pub fn expected_cmx_edits(tl: &Value, fps: f64, tc_start: u64) -> Vec<Edit> {
    let video = tl["video"].as_array().unwrap();
    let half = |s: &Value| s["transition_frames"].as_u64().unwrap_or(0) / 2;
    let mut out = Vec::new();
    for (i, s) in video.iter().enumerate() {
        if !s["source_start_s"].is_number() {
            continue;
        }
        let mut e = expected_edits(&json!({ "video": [s] }), fps, tc_start)[0];
        if s["transition_in"] == "crossfade" && half(s) > 0 {
            e.rec_in -= half(s);
            e.src_in -= half(s);
            e.frames += half(s);
        }
        if let Some(next) = video.get(i + 1)
            && half(next) > 0
        {
            e.frames -= half(next);
        }
        out.push(e);
    }
    out
}

/// Read the three exports written beside `trailer` with OpenTimelineIO and hold each against the timeline:
/// clips cut to cut on the frames the render shows (CMX3600's dissolves starting at their edits), the silence
/// and title as gaps, one centred transition per blended cut, the sound on its tracks. Returns each format's
/// film edits, for checks against the rendered frames.
pub fn check_exports(trailer: &Path, tl: &Value, film: &Path, tc_start: u64) -> Vec<(&'static str, Vec<Edit>)> {
    let (num, den) = (tl["rate"]["num"].as_u64().unwrap(), tl["rate"]["den"].as_u64().unwrap());
    let fps = num as f64 / den as f64;
    let ntsc_df = den == 1001 && (num == 30000 || num == 60000);
    // 01:00:00:00 as a frame count: drop-frame skips 2 (4 at 59.94) numbers in 54 minutes of the hour.
    let hour = 3600.0 * fps.round() - if ntsc_df { 54.0 * (fps.round() / 15.0) } else { 0.0 };
    let want = expected_edits(tl, fps, tc_start);
    let mut found = Vec::new();

    let otio = read_with_otio(&trailer.with_extension("otio"), "otio_json", (num, den));
    assert_eq!(
        otio["global_start"].as_f64(),
        Some(hour),
        "the OTIO timeline starts at 01:00:00:00"
    );
    let tc = if ntsc_df { "01:00:00;00" } else { "01:00:00:00" };
    assert_eq!(otio["global_start_tc"], tc, "OpenTimelineIO's own reading of the start");
    let edits = film_edits(&otio, film, 0.0);
    assert_eq!(edits, want, "OTIO clips");
    let blacks = tl["video"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| !s["source_start_s"].is_number())
        .count();
    assert_eq!(
        items_of(&otio, "Gap").len(),
        blacks,
        "a gap for the silence and the title card"
    );
    let halves: Vec<f64> = tl["video"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            s["transition_frames"]
                .as_u64()
                .filter(|&f| f > 0)
                .map(|f| (f / 2) as f64)
        })
        .collect();
    let transitions = items_of(&otio, "Transition");
    let offsets: Vec<f64> = transitions.iter().map(|t| t["in_offset"].as_f64().unwrap()).collect();
    assert_eq!(offsets, halves, "one centred transition per blended cut");
    assert!(transitions.iter().all(|t| t["in_offset"] == t["out_offset"]));
    let tracks: Vec<&str> = otio["tracks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(
        tracks.iter().any(|t| t.starts_with("Music")) && tracks.iter().any(|t| t.starts_with("Film sound")),
        "{tracks:?}"
    );
    for t in otio["tracks"].as_array().unwrap() {
        for i in t["items"].as_array().unwrap().iter().filter(|i| i["path"].is_string()) {
            assert!(Path::new(i["path"].as_str().unwrap()).is_file(), "{i}");
        }
    }
    found.push(("OTIO", edits));

    let edl = read_with_otio(&trailer.with_extension("edl"), "cmx_3600", (num, den));
    let edits = film_edits(&edl, film, 0.0);
    assert_eq!(edits, expected_cmx_edits(tl, fps, tc_start), "EDL edits");
    found.push(("EDL", edits));

    // The FCPXML adapter reads whole-number rates only (it truncates 23.976 to 23): check those with it.
    let fcpxml = trailer.with_extension("fcpxml");
    let text = std::fs::read_to_string(&fcpxml).unwrap();
    assert!(
        text.contains("<fcpxml version=\"1.10\""),
        "{}",
        &text[..text.len().min(300)]
    );
    assert!(
        text.contains(&format!(
            "<media-rep kind=\"original-media\" src=\"file://{}\"",
            film.display()
        )),
        "the FCPXML names the film"
    );
    if den == 1 {
        let read = read_with_otio(&fcpxml, "fcpx_xml", (num, den));
        // The adapter puts the sequence's one-hour start in front as a gap.
        let first = &picture(&read)["items"][0];
        let skip = if first["schema"] == "Gap" {
            first["rec_frames"].as_f64().unwrap()
        } else {
            0.0
        };
        assert_eq!(skip, hour, "the FCPXML sequence starts at 01:00:00:00");
        let edits = film_edits(&read, film, skip);
        assert_eq!(edits, want, "FCPXML clips");
        found.push(("FCPXML", edits));
    }
    found
}
