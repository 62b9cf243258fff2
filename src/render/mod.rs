//! Stage `conform`: the timeline made into the finished trailer. The picture cut from the source in cached pieces
//! (`plan`, `picture`), graded (`grade`), with transitions and the title card (`card`), at the trailer's size and
//! rate (`format`); the sound from `sound::mix`; one MP4 (`conform`).

pub mod card;
pub mod conform;
pub mod format;
pub mod grade;
pub mod picture;
pub mod plan;
