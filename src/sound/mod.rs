//! Sound: where the music comes from, its tempo and beats, the built-in bed, sound effects, voice lines, the mix.

pub mod beats;
pub mod bed;
pub mod decode;
pub mod jamendo;
pub mod mix;
pub mod music;
pub mod placement;
pub mod sfx;
pub mod synth;
pub mod trackgen;
pub mod voice;
pub mod wav;
