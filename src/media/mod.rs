//! FFmpeg at the edge. This folder is the only place that starts `ffmpeg` or `ffprobe`: locating them and
//! checking the version (`tools`), one process wrapper with progress, a stderr tail and cancellation
//! (`process`), the `-progress` parser (`progress`), typed probing (`probe`) and filter-graph escaping (`escape`).

pub mod escape;
pub mod probe;
pub mod process;
pub mod progress;
pub mod rate;
pub mod tools;

pub use probe::{Probe, StreamInfo, StreamKind, probe};
pub use process::FfCommand;
pub use rate::Rate;
pub use tools::Tools;
