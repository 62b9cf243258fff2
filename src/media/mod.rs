//! FFmpeg at the edge. This folder is the only place that starts `ffmpeg` or `ffprobe`: locating them and
//! checking the version (`tools`), one process wrapper with progress, a stderr tail and cancellation
//! (`process`), the `-progress` parser (`progress`), typed probing (`probe`) and filter-graph escaping (`escape`).

mod escape;
mod ocr;
mod probe;
mod process;
mod progress;
mod rate;
mod tools;

pub use escape::{drawtext_text, filter_value};
pub use ocr::Ocr;
pub use probe::{Probe, StreamInfo, StreamKind, parse_probe_json, probe};
pub use process::FfCommand;
pub use rate::Rate;
pub use tools::Tools;

pub(crate) use escape::image2_pattern;
