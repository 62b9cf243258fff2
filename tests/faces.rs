//! The Haar face detector on real frames of Tears of Steel, whose faces were checked by eye.
//! Tears of Steel: (CC) Blender Foundation | mango.blender.org, CC BY 3.0.

use crate::util;

use std::path::Path;

use cinecut::analyze::{FaceDetector, MAX_WIDTH};
use util::{ffmpeg_line, tears_of_steel};

/// The cascade comes from Debian's opencv-data, which `make test` installs; without it this must fail, not skip.
fn detector() -> FaceDetector {
    let path = FaceDetector::locate().unwrap_or_else(|| {
        panic!(
            "haarcascade_frontalface_default.xml (Debian's opencv-data) is missing: run `make test`, which installs it"
        )
    });
    FaceDetector::load(&path).unwrap_or_else(|e| panic!("{e}\n(run `make test`, which installs opencv-data)"))
}

/// One 480-px-wide frame at `secs`, as the keyframe stage writes them.
fn frame(film: &Path, dir: &Path, secs: u32) -> std::path::PathBuf {
    let out = dir.join(format!("t{secs}.jpg"));
    ffmpeg_line(&format!(
        "-ss {secs} -i {} -frames:v 1 -vf scale=480:-2 {}",
        film.display(),
        out.display()
    ));
    out
}

#[test]
fn faces_in_close_ups_and_none_in_empty_shots() {
    let faces = detector();
    let Some((film, _)) = tears_of_steel() else {
        eprintln!("skipped: ../shared/media is not here");
        return;
    };
    let d = tempfile::tempdir().unwrap();
    // Frontal close-ups: Thom (318 s, 327 s, 519 s) and Celia (363 s, 384 s).
    for secs in [318, 327, 363, 384, 519] {
        let n = faces.detect_jpeg(&frame(&film, d.path(), secs)).unwrap();
        assert!(n >= 1, "a face at {secs} s, found {n}");
    }
    // No face: black before the opening title, the city skyline, a robot, rooftops, a man seen from behind.
    for secs in [2, 20, 300, 330, 498] {
        let n = faces.detect_jpeg(&frame(&film, d.path(), secs)).unwrap();
        assert_eq!(n, 0, "no face at {secs} s");
    }
}

#[test]
fn a_black_image_has_no_face() {
    let faces = detector();
    assert!(faces.detect(&vec![0; MAX_WIDTH * 100], MAX_WIDTH, 100).is_empty());
}

#[test]
fn a_bad_cascade_names_the_file_and_the_fix() {
    let d = tempfile::tempdir().unwrap();
    let missing = d.path().join("nope.xml");
    let err = FaceDetector::load(&missing).unwrap_err().to_string();
    assert!(err.contains("nope.xml") && err.contains("opencv-data"), "{err}");
    let junk = d.path().join("junk.xml");
    std::fs::write(&junk, "<opencv_storage><x>1</x></opencv_storage>").unwrap();
    let err = FaceDetector::load(&junk).unwrap_err().to_string();
    assert!(
        err.contains("junk.xml") && err.contains("CINECUT_FACE_CASCADE"),
        "{err}"
    );
}
