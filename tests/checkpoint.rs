//! Kill a process that saves checkpoints in a tight loop with SIGKILL, 200 times at random moments. After every
//! kill the checkpoint is absent or a complete version that parses: never torn.
//!
//! The child is this test binary itself, re-run with an environment variable that turns it into the saver.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::util;
use cinecut::Stage;
use cinecut::{PipelineCheckpoint, load_checkpoint, save_checkpoint};

const CHILD_ENV: &str = "CINECUT_CRASH_CHILD_DIR";
const KILLS: u32 = 200;

/// In the child: resume from the last checkpoint, then save forever, each version different in length from the
/// last, so a torn or mixed write would show.
fn saver(dir: &Path) -> ! {
    let mut c =
        load_checkpoint(dir).unwrap_or_else(|| PipelineCheckpoint::new(Path::new("/films/crash.mkv"), None, "action"));
    let mut i = c.keyframe_count.unwrap_or(0) as u64;
    loop {
        i += 1;
        c.mark_stage_complete_with_key(Stage::ALL[(i % 8) as usize], &format!("{i:0>64}"));
        c.keyframe_count = Some(i as usize);
        c.manifest_path = Some("x".repeat((i % 4096) as usize));
        save_checkpoint(&c, dir).expect("save");
    }
}

#[test]
fn checkpoint_survives_sigkill_at_any_moment() {
    if let Some(dir) = std::env::var_os(CHILD_ENV) {
        saver(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    // A tiny xorshift: random kill moments without a dependency.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut last_count = 0;
    for round in 0..KILLS {
        let mut child = util::alone(module_path!(), "checkpoint_survives_sigkill_at_any_moment")
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_micros(2_000 + seed % 30_000));
        child.kill().unwrap();
        child.wait().unwrap();
        let path = dir.path().join("pipeline_checkpoint.json");
        if path.exists() {
            let bytes = std::fs::read(&path).unwrap();
            let parsed: PipelineCheckpoint = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "round {round}: torn checkpoint ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            });
            let count = parsed.keyframe_count.unwrap();
            assert_eq!(
                parsed.manifest_path.unwrap().len(),
                count % 4096,
                "round {round}: mixed versions"
            );
            assert!(count >= last_count, "round {round}: went back in time");
            last_count = count;
            assert!(load_checkpoint(dir.path()).is_some());
        }
    }
    assert!(last_count > 0, "the saver never completed a save");
}
