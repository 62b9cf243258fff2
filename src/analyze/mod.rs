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

pub mod anchors;
pub mod builtin;
pub mod cache;
pub mod embed;
pub mod faces;
pub mod image;
pub mod inference;
pub mod openai;
pub mod scene;
pub mod structural;
pub mod turning_points;
pub mod zones;

pub use anchors::Anchors;
pub use scene::{SceneDescription, SceneText, TextSource};
