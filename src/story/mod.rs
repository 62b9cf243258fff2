//! Choosing and ordering the trailer's moments. Pure data in, data out: no FFmpeg; only the
//! manifest's load and save touch the disk.
//!
//! `plan` splits the target length into acts; `score` rates moments and names their beats; `edges` knows where
//! a clip may start and end; `trailer` chooses, fits and orders the clips; `rules` checks the result;
//! `title_shot` decides whether the title card is the film's own title shot.

mod edges;
mod film;
mod manifest;
pub(crate) mod narrative;
mod plan;
mod rules;
mod score;
mod title_shot;
mod trailer;
mod vibes;

pub use manifest::{Act, BeatType, Clip, MANIFEST, Manifest, StructuralAnchors, TitleShot, Transition, schema};
pub use title_shot::TitleCard;
pub use vibes::{TitleStyle, VIBES, Vibe, vibes_table};

pub(crate) use edges::{CUE_MARGIN_S, Edges};
pub(crate) use manifest::{BpmGrid, MusicBed};
pub(crate) use narrative::card_title;
pub(crate) use plan::{Length, MIN_LENGTH_S};
pub(crate) use rules::MIN_CLIP_FRAMES;
pub(crate) use score::{emotion_weight, line_quality};

#[cfg(test)]
mod tests;
