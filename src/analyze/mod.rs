//! Understanding the film (stages `inference` and `structural`): what each keyframe shows, where the story's
//! turning points are, and which part of the story a moment belongs to.
//!
//! - `scene`: the `SceneDescription` record every analyzer writes.
//! - `builtin`, `faces`, `image`: image and sound statistics and a face counter, no model (the default), on
//!   keyframes decoded small (`image`).
//! - `openai`: a client for any server that speaks the OpenAI chat-completions API.
//! - `cache`: `inference/scenes.jsonl`, appended as frames finish, so a crash loses at most a few.
//! - `inference`: the stage that runs an analyzer over the keyframes.
//! - `anchors`, `turning_points`, `structural`: the story anchors (`structure.json`), from the film's own
//!   intensity curve or a text model, and the stage that writes them.
//! - `embed`, `zones`: sentence embeddings (MiniLM via candle) and zone matching for `narrative`.

mod anchors;
mod builtin;
mod cache;
mod embed;
mod faces;
mod image;
pub mod inference;
mod openai;
mod scene;
pub(crate) mod structural;
mod turning_points;
mod zones;

pub use builtin::Builtin;
pub use cache::SCENES;
pub use embed::{Embedder, HOW_TO_GET, expected_dir};
pub use faces::{FaceDetector, MAX_WIDTH};
pub use openai::{CallError, Client, EndpointConfig};
pub use scene::{SceneDescription, SceneText, TextSource};

#[cfg(test)]
pub(crate) use anchors::Curve;
pub(crate) use anchors::{AnchorSource, Anchors, STRUCTURE, Structure};
pub(crate) use cache::read_scenes;
pub(crate) use zones::{Moment, Zone, ZoneMatch, ZoneMatcher};
