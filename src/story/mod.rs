//! Choosing and ordering the trailer's moments. Pure data in, data out: no FFmpeg, no disk.

pub mod vibes;

pub use vibes::{VIBES, Vibe};
