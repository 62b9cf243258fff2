//! The film as the analysis stages left it: what `narrative` chooses clips from (`trailer`) and checks them
//! against (`rules`).

use crate::analyze::{SceneDescription, Structure};
use crate::ingest::{DialogueEvent, Shot};

/// What the film offers, from the analysis stages.
pub(super) struct Film<'a> {
    /// The analysis grid: `shots.json`'s rate and the film time of its frame 0.
    pub fps: f64,
    pub offset_s: f64,
    pub frames: u64,
    pub shots: &'a [Shot],
    /// Sorted by start.
    pub cues: &'a [DialogueEvent],
    /// One per keyframe, in time order.
    pub scenes: &'a [SceneDescription],
    pub structure: &'a Structure,
}
