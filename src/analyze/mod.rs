//! Understanding the film (stages `inference` and `structural`): what each keyframe shows, where the story's
//! turning points are, and which part of the story a moment belongs to.
//!
//! - `scene`: the `SceneDescription` record every analyzer writes.
//! - `builtin`: image and sound statistics, no model (the default).
//! - `openai`: a client for any server that speaks the OpenAI chat-completions API.
//! - `cache`: `inference/scenes.jsonl`, appended as frames finish, so a crash loses at most a few.
//! - `inference`: the stage that runs an analyzer over the keyframes.
//! - `anchors`: the story anchors (`structure.json`), from a text model or from the film's own curves.
//! - `embed`, `zones`: sentence embeddings (MiniLM via candle) and zone matching for `narrative`.

pub mod anchors;
pub mod embed;
pub mod scene;
pub mod zones;

pub use anchors::Anchors;
pub use scene::{SceneDescription, SceneText, TextSource};
