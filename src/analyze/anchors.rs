//! Stage `structural`: the story's turning points (`structure.json`).

use serde::{Deserialize, Serialize};

/// The three turning points, in film seconds: `begin_t < escalation_t < climax_t`, all inside the story span.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Anchors {
    pub begin_t: f64,
    pub escalation_t: f64,
    pub climax_t: f64,
}
