//! CineCut: turn a feature film and its subtitles into a vibe-styled trailer.
//!
//! The library is the whole program; `main.rs` only parses the command line and maps errors to exit codes.
//! The pipeline (`pipeline/`) runs the stages in `DESIGN.md` order, each in the folder named after its part of the
//! work: `ingest/`, `story/`, and so on. FFmpeg is reached only through `media/`.

pub mod analyze;
pub mod app;
pub mod cancel;
pub mod cli;
pub mod config;
pub mod error;
pub mod export;
pub mod ingest;
pub mod media;
pub mod pipeline;
pub mod render;
pub mod sound;
pub mod story;
pub mod timeline;
pub mod ui;
pub mod workdir;

pub use cancel::Cancel;
pub use error::{Error, Result};
