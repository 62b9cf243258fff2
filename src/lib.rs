//! CineCut: turn a feature film and its subtitles into a vibe-styled trailer.
//!
//! The library is the whole program; `main.rs` only parses the command line and maps errors to exit codes.
//! `ARCHITECTURE.md` maps the folders: `pipeline/` runs the stages, each in the folder named after its part of
//! the work (`ingest/`, `analyze/`, `story/`, `timeline/`, `sound/`, `render/`), on the ground floor of
//! `workdir/`; FFmpeg is reached only through `media/`.
//!
//! # The public API
//! - [`run`] and [`run_export`]: `cinecut FILM …` and `cinecut export MANIFEST`, from parsed [`Args`], reporting
//!   through a [`Reporter`] ([`TerminalReporter`] on a terminal, [`NullReporter`] for nothing).
//! - The checkpoint, `pipeline_checkpoint.json`: [`PipelineCheckpoint`], [`load_checkpoint`] (nothing for a
//!   missing or corrupt file), [`save_checkpoint`] (atomic), [`parse_checkpoint`], [`Stage`].
//! - The cut list, `TRAILER_MANIFEST.json`: [`Manifest`] and its [`Clip`]s, [`schema`], the [`Vibe`]s.
//! - Each folder's public face (`cinecut::sound`, `cinecut::render`, …): the parts the integration tests,
//!   benchmarks and fuzz targets drive directly, each documented where it is defined. Everything else is
//!   `pub(crate)`; the `unreachable_pub` lint keeps it so.

#![warn(unreachable_pub)]

pub mod analyze;
mod app;
mod cancel;
mod cli;
mod config;
mod error;
pub mod export;
pub mod ingest;
pub mod media;
mod pipeline;
pub mod render;
pub mod sound;
pub mod story;
pub mod timeline;
mod ui;
pub mod workdir;

pub use app::{run, run_export};
pub use cancel::Cancel;
pub use cli::{Args, Command, ExportArgs};
pub use error::{Error, Result};
pub use story::{Act, BeatType, Clip, Manifest, Transition, VIBES, Vibe, schema, vibes_table};
pub use ui::{TerminalReporter, init_logging};
pub use workdir::{
    NullReporter, PipelineCheckpoint, Reporter, Stage, checkpoint_path, load_checkpoint, parse_checkpoint,
    save_checkpoint,
};
