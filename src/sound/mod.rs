//! Sound, and stage `assembly`: where the music comes from (`music`, `jamendo`), its tempo and beats (`beats`),
//! the built-in bed and the effects (`synth`, `bed`, `sfx`), the timeline laid on the music (`assembly`), and the
//! four-stem mix that `render` puts under the picture (`mix`).

pub(crate) mod assembly;
mod beats;
mod bed;
mod decode;
mod jamendo;
pub(crate) mod mix;
mod music;
mod sfx;
mod synth;
pub mod trackgen;
mod wav;

pub use beats::{ANALYSIS_RATE, TempoPrior, track};
pub use bed::{BedPlan, render_bed};
pub use decode::decode_mono;
pub use jamendo::Endpoint as JamendoEndpoint;
pub use music::{Chosen, MusicOptions, check_user_file, choose_with};
pub use sfx::render_sfx;
pub use synth::{RATE, Stereo};
pub use wav::{read_wav, write_wav};

pub(crate) use assembly::SFX;
pub(crate) use mix::{MASTER, MixReport};
pub(crate) use music::default_cache_dir as default_music_cache;
