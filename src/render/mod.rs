//! Render: the trailer timeline, and turning it into pictures and sound.

pub mod assembly;
pub mod conform;
pub mod timeline;
