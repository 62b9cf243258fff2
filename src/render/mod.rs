//! Render: the trailer timeline, and turning it into pictures and sound.

pub mod assembly;
pub mod card;
pub mod conform;
pub mod format;
pub mod grade;
pub mod picture;
pub mod plan;
pub mod timeline;
