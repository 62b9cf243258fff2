//! Getting the film in: the single analysis pass (`analysis`: proxy, per-frame signals, shots, audio envelope),
//! the subtitles, and the keyframes.

pub mod analysis;
pub mod audio;
pub mod columns;
pub mod dialogue;
pub mod keyframes;
pub mod shots;
pub mod signals;
pub mod spans;
pub mod subtitles;
