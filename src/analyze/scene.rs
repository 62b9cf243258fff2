//! The description of one keyframe. Every analyzer fills the numbers (they always come from the built-in
//! analysis); the free-text fields come from a vision model when there is one, otherwise from the numbers.

use serde::{Deserialize, Serialize};

/// The four free-text fields, as the earlier tool and the vision prompt name them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SceneText {
    pub visual_content: String,
    pub mood: String,
    pub action: String,
    pub setting: String,
}

/// Who wrote the text fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// Built from the measured numbers.
    Builtin,
    /// A vision model described the image.
    Model,
    /// The model failed on this frame; the text is the built-in one.
    BuiltinFallback,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneDescription {
    pub time_s: f64,
    /// Id of the shot the keyframe falls in.
    pub shot: usize,
    #[serde(flatten)]
    pub text: SceneText,
    pub text_source: TextSource,
    /// Mean frame-to-frame luma change inside the keyframe's shot, 0–1.
    pub motion: f32,
    /// Standard deviation of luma, 0–0.5.
    pub contrast: f32,
    /// Mean luma, 0–1.
    pub brightness: f32,
    /// Mean HSV saturation, 0–1.
    pub saturation: f32,
    /// Mean absolute luma gradient, 0–1: detail and texture.
    pub edges: f32,
    /// Share of black pixels, 0–1.
    pub dark: f32,
    /// Warm (> 0) or cool (< 0) colour balance, −1–1.
    pub warmth: f32,
    /// Faces found in the keyframe; `None` when no face detector ran.
    pub faces: Option<u32>,
    /// How unlike the rest of the film the frame looks: mean distance to its nearest look-alikes, 0–1.
    pub uniqueness: f32,
    /// Loudness around the keyframe, 0 (−50 LUFS or quieter) to 1 (−5 LUFS or louder).
    pub audio_intensity: f32,
    /// How much the text fields can be trusted, 0–1.
    pub confidence: f32,
}
