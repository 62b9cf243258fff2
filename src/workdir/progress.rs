//! How stages report progress without drawing anything themselves: a stage gets a `&mut dyn Progress`; the
//! runner reports stage starts, skips and ends to a `Reporter`. The terminal implementation lives in `ui.rs`;
//! tests use `NullReporter` or their own recorder.

use std::time::Duration;

use super::Stage;

/// What the numbers passed to `Progress::set` count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds of media processed (shown as film time).
    MediaMs,
    /// Whole things: keyframes, clips, requests.
    Items(&'static str),
}

pub trait Progress {
    /// Begin a measured task of `total` units.
    fn start(&mut self, total: u64, unit: Unit);
    fn set(&mut self, done: u64);
    /// A short status ("encoding proxy", "waiting for the model server").
    fn message(&mut self, msg: &str);
}

pub trait Reporter {
    fn stage_started(&mut self, stage: Stage);
    fn stage_skipped(&mut self, stage: Stage, why: &str);
    fn stage_finished(&mut self, stage: Stage, elapsed: Duration, summary: &str);
    /// A line the user should read (why a checkpoint was ignored, where the manifest is).
    fn note(&mut self, line: &str);
    fn progress(&mut self) -> &mut dyn Progress;
}

/// Reports nothing.
#[derive(Debug, Default)]
pub struct NullReporter;

impl Progress for NullReporter {
    fn start(&mut self, _: u64, _: Unit) {}
    fn set(&mut self, _: u64) {}
    fn message(&mut self, _: &str) {}
}

impl Reporter for NullReporter {
    fn stage_started(&mut self, _: Stage) {}
    fn stage_skipped(&mut self, _: Stage, _: &str) {}
    fn stage_finished(&mut self, _: Stage, _: Duration, _: &str) {}
    fn note(&mut self, _: &str) {}
    fn progress(&mut self) -> &mut dyn Progress {
        self
    }
}
