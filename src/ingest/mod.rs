//! Getting the film in: the single analysis pass (`analysis`: proxy, per-frame signals, shots, audio envelope),
//! the subtitles, and the keyframes.

pub(crate) mod analysis;
mod audio;
mod columns;
pub(crate) mod dialogue;
pub(crate) mod keyframes;
mod overlay;
mod read_text;
mod shots;
mod signals;
mod spans;
mod subtitles;
mod text;

pub use overlay::{Placement, TextKind, TextSpan};
pub use read_text::overlay_text_in;
pub use subtitles::parse_bytes;

pub(crate) use analysis::{PROBE, SHOTS, ShotList};
pub(crate) use audio::{ENVELOPE, SUMMARY};
pub(crate) use columns::{ColumnsReader, per_second};
pub(crate) use dialogue::{DIALOGUE, Dialogue};
pub(crate) use keyframes::{KEYFRAMES, Keyframe, KeyframeList, SPANS};
pub(crate) use shots::{Shot, TransitionKind};
pub(crate) use signals::FrameSignals;
pub(crate) use spans::{Span, StorySpans};
pub(crate) use subtitles::{DialogueEvent, Emotion};
