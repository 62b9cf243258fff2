//! Sound, and stage `assembly`: where the music comes from (`music`, `jamendo`), its tempo and beats (`beats`),
//! the built-in bed and the effects (`synth`, `bed`, `sfx`), the timeline laid on the music (`assembly`), and the
//! four-stem mix that `render` puts under the picture (`mix`).

pub mod assembly;
pub mod beats;
pub mod bed;
pub mod decode;
pub mod jamendo;
pub mod mix;
pub mod music;
pub mod sfx;
pub mod synth;
pub mod trackgen;
pub mod wav;
