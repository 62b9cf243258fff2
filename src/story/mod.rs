//! Choosing and ordering the trailer's moments. Pure data in, data out: no FFmpeg; only the
//! manifest's load and save touch the disk.

pub mod manifest;
pub mod vibes;

pub use vibes::{VIBES, Vibe};
