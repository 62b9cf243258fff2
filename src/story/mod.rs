//! Choosing and ordering the trailer's moments. Pure data in, data out: no FFmpeg; only the
//! manifest's load and save touch the disk.
//!
//! `plan` splits the target length into acts; `score` rates moments and names their beats; `edges` knows where
//! a clip may start and end; `trailer` chooses, fits and orders the clips; `rules` checks the result.

pub mod edges;
pub mod manifest;
pub mod narrative;
pub mod plan;
pub mod rules;
pub mod score;
pub mod trailer;
pub mod vibes;

pub use vibes::{VIBES, Vibe};

#[cfg(test)]
mod tests;
