//! Stage `conform`: the timeline made into the finished trailer. The picture cut from the source in cached pieces
//! (`plan`, `picture`), graded (`grade`), with transitions and the title card (`card`), at the trailer's size and
//! rate (`format`); the sound from `sound::mix`; one MP4 (`conform`).

mod card;
pub(crate) mod conform;
mod format;
mod grade;
mod picture;
mod plan;

pub use card::{Card, TextLine, filters as card_filters, layout as card_layout};
pub use grade::{Colour, Grade, Lut, Matrix, Range};

pub(crate) use conform::MIX_REPORT;
pub(crate) use format::{DEFAULT_PRESET, PRESETS, Resolution};
pub(crate) use grade::load_user_lut;
pub(crate) use picture::clear_cache;
