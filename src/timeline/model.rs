//! `timeline.json`'s types: the one model of trailer time. Segments of picture in whole frames of the trailer's
//! rate, the music's placement and beats, effects, voice lines and the film's own sound, all in trailer seconds.
//! `build` makes it; `sound::mix`, `render` and `export` only read it.

use serde::{Deserialize, Serialize};

use super::music::MusicSource;
use super::placement::Piece;
use crate::media::Rate;
use crate::story::{Act, TitleStyle, Transition};

pub const TIMELINE: &str = "timeline.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Clip,
    Silence,
    Title,
    Button,
    Card,
}

/// One stretch of picture, `[start_frame, end_frame)` of the trailer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub kind: Kind,
    pub start_s: f64,
    pub end_s: f64,
    pub start_frame: u64,
    pub end_frame: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_start_s: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_end_s: Option<f64>,
    pub transition_in: Transition,
    /// Length of the transition into this segment, centred on its start: a crossfade blends the last
    /// `transition_frames / 2` frames before the cut with the first as many after it; a fade goes out over the
    /// first half and in over the second. 0 for a hard cut.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub transition_frames: u64,
    /// How much of the same shot the source holds before the clip's start and after its end (at most 1 s):
    /// what a crossfade may show beyond the clip. Where there is less, the blend holds the edge frame.
    #[serde(default, skip_serializing_if = "is_zero_s")]
    pub handle_before_s: f64,
    #[serde(default, skip_serializing_if = "is_zero_s")]
    pub handle_after_s: f64,
    /// The manifest clip this plays (index into `clips`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_index: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<Act>,
    /// The clip's own line plays at full level.
    #[serde(default)]
    pub keep_audio: bool,
    /// Text of a card (the title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The line under the title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tagline: Option<String>,
    /// A title card that is the film's own title shot: the film seconds it starts at and where the film's title
    /// stops (the last frame is held from there to the card's end). The typeset card when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_shot_s: Option<[f64; 2]>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_zero_s(s: &f64) -> bool {
    *s == 0.0
}

impl Segment {
    pub fn frames(&self) -> u64 {
        self.end_frame - self.start_frame
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Music {
    pub path: String,
    pub source: MusicSource,
    /// File time at trailer time 0 (negative: the music enters after the start).
    pub offset_s: f64,
    pub bpm: f64,
    /// Beats and bar starts in trailer seconds.
    pub beats_s: Vec<f64>,
    pub downbeats_s: Vec<f64>,
    pub fade_out_s: f64,
    /// Where each stretch of the file plays (more than one when a short track is looped on bar starts).
    pub pieces: Vec<Piece>,
    /// Trailer spans where the music is silent (the silence beat).
    pub mutes: Vec<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artist: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A line of dialogue heard over other pictures (a J/L cut).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Voice {
    pub at_s: f64,
    pub end_s: f64,
    pub source_start_s: f64,
    pub source_end_s: f64,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
}

/// The film's own sound under one clip. Through a crossfade the two clips' sounds overlap and cross too; into
/// and out of a fade to black the sound fades with the picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilmAudio {
    pub start_s: f64,
    pub end_s: f64,
    pub source_start_s: f64,
    pub gain_db: f64,
    pub clip_index: usize,
    #[serde(default, skip_serializing_if = "is_zero_s")]
    pub fade_in_s: f64,
    #[serde(default, skip_serializing_if = "is_zero_s")]
    pub fade_out_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// The frame rate, exact; `fps` is the same as a number.
    pub rate: Rate,
    pub fps: f64,
    pub frames: u64,
    pub duration_s: f64,
    pub vibe: String,
    pub source_file: String,
    /// How the title card looks: the manifest's `title_style`, else the vibe's.
    pub title_style: TitleStyle,
    pub video: Vec<Segment>,
    pub music: Option<Music>,
    pub sfx: Vec<SfxEvent>,
    pub voice: Vec<Voice>,
    pub film_audio: Vec<FilmAudio>,
    /// How many cuts were asked to land on a beat, and how many do (within one frame).
    pub cuts: usize,
    pub cuts_on_beat: usize,
    /// Which manifest this was built from (`Manifest::decisions_key`), so an export can tell a stale timeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_key: Option<String>,
}

impl Timeline {
    /// The silence beat, if the trailer has one.
    pub fn silence(&self) -> Option<(f64, f64)> {
        self.video
            .iter()
            .find(|s| s.kind == Kind::Silence)
            .map(|s| (s.start_s, s.end_s))
    }

    /// Where the picture changes: every boundary between two segments.
    pub fn cut_points_s(&self) -> Vec<f64> {
        self.video.iter().skip(1).map(|s| s.start_s).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SfxKind {
    /// a short whoosh into a hard cut
    Hard,
    /// a longer riser ending at an act boundary, with a soft boom on it
    Boundary,
    /// a big impact (act-3 entry, title)
    Hit,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SfxEvent {
    pub at_s: f64,
    pub kind: SfxKind,
}

impl SfxKind {
    /// How long before `at_s` the sound starts (whoosh/riser build up to the cut; a hit starts on it).
    pub fn lead_s(self) -> f64 {
        match self {
            SfxKind::Hard => 0.35,
            SfxKind::Boundary => 2.0,
            SfxKind::Hit => 0.0,
        }
    }

    /// The whole sound, lead included.
    pub fn duration_s(self) -> f64 {
        match self {
            SfxKind::Hard => 0.6,
            SfxKind::Boundary => 2.0 + BOUNDARY_BOOM_S,
            SfxKind::Hit => 4.0,
        }
    }
}

/// The soft boom after a boundary riser.
pub const BOUNDARY_BOOM_S: f64 = 2.0;
