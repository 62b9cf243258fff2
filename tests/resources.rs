//! Resources and concurrency: a whole run inside this process leaves no file descriptor open and no child
//! process behind; two runs on different films at once both succeed; a second run on a film whose work dir is in
//! use is refused with the lock error and does not disturb the first.
//!
//! The in-process run is counted in a process of its own: in this binary, other tests open files and start
//! children at the same time.

use crate::util;

use std::path::Path;
use std::process::Stdio;

use clap::Parser;
use util::{Cinecut, processes_mentioning, talking_film, wait_for};

/// Set in the process that runs the in-process test alone.
const ALONE: &str = "CINECUT_TEST_ALONE";

fn open_fds() -> Vec<String> {
    let mut fds: Vec<String> = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .flatten()
        .map(|e| {
            let target = std::fs::read_link(e.path()).map(|t| t.display().to_string());
            format!("{} -> {}", e.file_name().to_string_lossy(), target.unwrap_or_default())
        })
        .collect();
    fds.sort();
    fds
}

/// Children of this process (any thread's), running or not yet reaped.
fn children() -> Vec<String> {
    let mut found = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let kids = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        found.extend(kids.split_whitespace().map(String::from));
    }
    found
}

#[test]
fn a_whole_run_in_process_leaks_no_descriptor_and_no_child() {
    if std::env::var_os(ALONE).is_none() {
        let name = "a_whole_run_in_process_leaks_no_descriptor_and_no_child";
        let o = util::alone(module_path!(), name).env(ALONE, "1").output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(o.status.success() && text.contains("1 passed"), "{text}");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let (film, srt) = talking_film(d.path(), "film");
    let out = d.path().join("trailer.mp4");
    let args = cinecut::Args::parse_from([
        "cinecut".as_ref(),
        film.as_os_str(),
        "-s".as_ref(),
        srt.as_os_str(),
        "-v".as_ref(),
        "action".as_ref(),
        "-l".as_ref(),
        "15".as_ref(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    let before = open_fds();
    cinecut::run(&args, &cinecut::Cancel::new(), cinecut::NullReporter).unwrap();
    assert!(out.is_file());
    assert!(d.path().join("film_cinecut_work/report/index.html").is_file());
    assert_eq!(open_fds(), before, "file descriptors left open by a run");
    assert!(children().is_empty(), "child processes left: {:?}", children());
}

fn spawn(film: &Path, out: &Path) -> std::process::Child {
    Cinecut::film(film)
        .subtitles(film.with_extension("srt"))
        .vibe("drama")
        .length("15")
        .quiet()
        .arg("--no-report")
        .output(out)
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn two_films_at_once_both_finish_and_a_second_run_on_a_busy_film_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let (a, _) = talking_film(d.path(), "a");
    let (b, _) = talking_film(d.path(), "b");
    let (out_a, out_b) = (d.path().join("a_trailer.mp4"), d.path().join("b_trailer.mp4"));
    let run_a = spawn(&a, &out_a);
    let run_b = spawn(&b, &out_b);
    // While `a` runs (its FFmpeg is at work in its work dir), a second run on it is refused.
    let work_a = d.path().join("a_cinecut_work");
    let work_a_str = work_a.to_string_lossy().into_owned();
    assert!(
        wait_for(30.0, || !processes_mentioning(&work_a_str).is_empty()),
        "the first run never started FFmpeg"
    );
    let second = Cinecut::film(&a)
        .vibe("drama")
        .length("15")
        .quiet()
        .arg("--no-report")
        .output(d.path().join("again.mp4"))
        .run();
    let err = &second.stderr;
    assert_eq!(second.code, 2, "{err}");
    assert!(err.contains("is in use by another cinecut run"), "{err}");
    assert!(!d.path().join("again.mp4").exists());

    for (run, out) in [(run_a, &out_a), (run_b, &out_b)] {
        let o = run.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(out.is_file());
    }
}
