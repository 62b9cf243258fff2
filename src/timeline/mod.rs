//! The one model of trailer time (`timeline.json`) and the code that builds it from the manifest, the music's
//! beats and the film's edges: segments snapped to beats (`build`), the music's placement (`placement`), the
//! voice lines heard over montage (`voice`). Pure: data in, data out. Below `sound/` (the mix) and `render/`
//! (the picture), which only read it.

mod build;
mod model;
mod music;
mod placement;
mod voice;

pub use build::{Bed, Footage, build};
pub use model::{BOUNDARY_BOOM_S, FilmAudio, Kind, Music, Segment, SfxEvent, SfxKind, TIMELINE, Timeline, Voice};
pub use music::{MusicAnalysis, MusicSource, MusicTrack};
pub use placement::{Piece, Placement, place};
