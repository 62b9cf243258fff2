//! The trailer as an editor's cut list: `timeline.json` in whole frames, with the source named by absolute
//! path and frame. The OTIO, FCPXML and EDL writers all read this one model, so the three agree with each other
//! and with the rendered trailer frame for frame. Pure: data in, data out.
//!
//! Record side: the trailer's frames at the trailer's rate, starting at 01:00:00:00 (the editors' convention).
//! Source side: frame `n` of the film is its `n`-th decoded frame, counted the way the render seeks (half a frame
//! early, so the frame nearest a clip's start time), plus the film's own start timecode if it carries one.

use std::path::PathBuf;

use crate::media::Rate;
use crate::story::{Act, Manifest, Transition};
use crate::timeline::{Kind, Segment, Timeline};

/// Where the record side starts: one hour, as editors number their timelines.
pub(super) const RECORD_START_S: u64 = 3600;

/// A media file the cut list points at.
#[derive(Debug, Clone, PartialEq)]
pub struct Media {
    /// Absolute.
    pub path: PathBuf,
    pub duration_s: f64,
    /// `None` for sound only.
    pub video: Option<Picture>,
    /// Sample rate and channels; `None` for a film without sound.
    pub audio: Option<(u32, u32)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Picture {
    pub rate: Rate,
    pub width: u32,
    pub height: u32,
    /// The timecode of the first frame, as a frame count (0 unless the file carries a timecode).
    pub start_frame: u64,
}

impl Media {
    pub fn name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.to_string_lossy().into_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// Length in whole frames of its own rate (video only).
    pub fn frames(&self) -> u64 {
        self.video
            .map_or(0, |v| (self.duration_s * v.rate.fps()).round() as u64)
    }
}

/// How one picture event begins. Transitions are centred on the cut: `frames / 2` before it, as many after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blend {
    Dissolve,
    /// Out to black (or white) over the first half, in from it over the second.
    Dip {
        white: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionIn {
    pub blend: Blend,
    /// Even.
    pub frames: u64,
}

impl TransitionIn {
    pub fn half(&self) -> u64 {
        self.frames / 2
    }
}

/// Why a clip is in the trailer, for the editor.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipNotes {
    /// Index into the manifest's clips.
    pub clip: usize,
    pub act: Act,
    pub beat_type: String,
    pub zone: Option<String>,
    pub score: Option<f64>,
    pub reasoning: Option<String>,
    pub line: String,
    /// The clip plays its own line at full level.
    pub keep_audio: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum What {
    /// Film frames from source frame `src_in` on (at the source's rate, from its first frame).
    Clip {
        src_in: u64,
        notes: Box<ClipNotes>,
    },
    /// The silence beat.
    Black,
    Title {
        text: String,
        tagline: Option<String>,
    },
}

/// One stretch of the picture track, `[rec_in, rec_out)` in trailer frames. The events tile the trailer.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub rec_in: u64,
    pub rec_out: u64,
    pub what: What,
    pub transition_in: Option<TransitionIn>,
}

impl Event {
    pub fn frames(&self) -> u64 {
        self.rec_out - self.rec_in
    }
}

/// Which file a sound plays from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoundFile {
    Film,
    Music,
    Effects,
}

/// One sound on an audio track: `[rec_in, rec_out)` in trailer frames, playing the file from `file_s` (exact:
/// the rounding of its position to a frame is taken out of the file time, so music stays on its beats).
#[derive(Debug, Clone, PartialEq)]
pub struct Sound {
    pub rec_in: u64,
    pub rec_out: u64,
    pub file: SoundFile,
    pub file_s: f64,
    pub name: String,
    pub gain_db: f64,
    pub fade_in_frames: u64,
    pub fade_out_frames: u64,
}

/// The audio tracks an editor gets, each a list of sounds that may overlap (writers lay them on lanes).
#[derive(Debug, Clone, PartialEq)]
pub struct AudioTrack {
    pub name: &'static str,
    pub sounds: Vec<Sound>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Trailer frame.
    pub at: u64,
    pub name: String,
    pub note: String,
}

/// A story anchor of the film, in film seconds (the writers mark it on a clip that shows it).
#[derive(Debug, Clone, PartialEq)]
pub struct Anchor {
    pub name: &'static str,
    pub film_s: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CutList {
    pub name: String,
    pub vibe: String,
    pub rate: Rate,
    pub frames: u64,
    pub source: Media,
    pub music: Option<Media>,
    /// The rendered sound-effects stem (trailer time), in the work dir.
    pub effects: Option<Media>,
    pub video: Vec<Event>,
    pub audio: Vec<AudioTrack>,
    pub markers: Vec<Marker>,
    pub anchors: Vec<Anchor>,
}

impl CutList {
    /// The record timecode's first frame, as a frame count at the trailer's rate.
    pub fn record_start(&self) -> u64 {
        record_start(self.rate)
    }

    /// The film's start timecode as a frame count at its rate (0 without one).
    pub fn source_start(&self) -> u64 {
        self.source.video.map_or(0, |v| v.start_frame)
    }

    /// The source's rate (the trailer's, if the source has no picture info).
    pub fn source_rate(&self) -> Rate {
        self.source.video.map_or(self.rate, |v| v.rate)
    }

    /// The picture events that show film.
    pub fn clips(&self) -> impl Iterator<Item = (&Event, u64, &ClipNotes)> {
        self.video.iter().filter_map(|e| match &e.what {
            What::Clip { src_in, notes } => Some((e, *src_in, notes.as_ref())),
            _ => None,
        })
    }
}

/// Frames at one rate → the nearest whole number at another.
pub(super) fn convert(frames: u64, from: Rate, to: Rate) -> u64 {
    if from == to {
        return frames;
    }
    (frames as f64 * to.fps() / from.fps()).round() as u64
}

/// The whole-number rate timecode counts in: 24 for 23.976, 30 for 29.97.
pub(super) fn nominal_fps(rate: Rate) -> u64 {
    (rate.fps().round() as u64).max(1)
}

/// The frame count of 01:00:00:00 at `rate`.
pub(super) fn record_start(rate: Rate) -> u64 {
    let frames = RECORD_START_S * nominal_fps(rate);
    // Drop-frame timecode skips 2 (4 at 59.94) numbers in 54 of every hour's 60 minutes: 01:00:00;00 is frame
    // 107,892 at 29.97.
    if drop_frame(rate) {
        frames - 54 * (nominal_fps(rate) / 15)
    } else {
        frames
    }
}

/// The source frame the render shows first for film time `t` (it seeks half a frame early).
pub(super) fn source_frame(t: f64, rate: Rate) -> u64 {
    (t * rate.fps() - 0.5 - 1e-6).ceil().max(0.0) as u64
}

/// Build the cut list from the timeline and the manifest it was built from: the picture as edits, the sound as
/// up to four tracks (those whose files exist), the act markers and the story anchors.
pub(super) fn build(
    tl: &Timeline,
    m: &Manifest,
    source: Media,
    music: Option<Media>,
    effects: Option<Media>,
) -> CutList {
    let src_rate = source.video.map_or(tl.rate, |v| v.rate);
    let video = tl.video.iter().map(|s| event(s, m, src_rate)).collect();
    let mut audio = audio_tracks(tl);
    audio.retain(|t| match t.name {
        MUSIC => music.is_some(),
        EFFECTS => effects.is_some(),
        // A film without sound has neither its own sound under the clips nor voice lines.
        _ => source.audio.is_some(),
    });
    CutList {
        name: format!(
            "{} ({} trailer)",
            m.title.clone().unwrap_or_else(|| source.name()),
            tl.vibe
        ),
        vibe: tl.vibe.clone(),
        rate: tl.rate,
        frames: tl.frames,
        source,
        music,
        effects,
        video,
        audio,
        markers: markers(tl),
        anchors: anchors(m),
    }
}

const MUSIC: &str = "Music";
const EFFECTS: &str = "Effects";

/// One segment of the picture as an edit: a clip of the film, the title, or black.
fn event(s: &Segment, m: &Manifest, src_rate: Rate) -> Event {
    let what = match (s.kind, s.source_start_s, s.clip_index) {
        (Kind::Clip | Kind::Button, Some(from), Some(i)) => What::Clip {
            src_in: source_frame(from, src_rate),
            notes: Box::new(notes(m, i, s.keep_audio)),
        },
        (Kind::Title | Kind::Card, ..) => What::Title {
            text: s.text.clone().unwrap_or_default(),
            tagline: s.tagline.clone(),
        },
        _ => What::Black,
    };
    let transition_in = (s.transition_frames >= 2).then(|| TransitionIn {
        blend: match s.transition_in {
            Transition::Crossfade => Blend::Dissolve,
            Transition::FadeToWhite => Blend::Dip { white: true },
            _ => Blend::Dip { white: false },
        },
        frames: s.transition_frames / 2 * 2,
    });
    Event {
        rec_in: s.start_frame,
        rec_out: s.end_frame,
        what,
        transition_in,
    }
}

/// Puts sounds on the record side in whole frames.
struct Placer {
    fps: f64,
    frames: u64,
}

impl Placer {
    fn frame(&self, t: f64) -> u64 {
        (t * self.fps).round().max(0.0) as u64
    }

    /// A sound placed at trailer time `at` playing file time `file_at`: its start snaps to a frame and the file
    /// time moves by as much, so what plays at each instant is unchanged.
    fn sound(&self, at: f64, end: f64, file_at: f64, file: SoundFile, name: String) -> Sound {
        let rec_in = self.frame(at).min(self.frames);
        Sound {
            rec_in,
            rec_out: self.frame(end).min(self.frames),
            file,
            file_s: file_at + (rec_in as f64 / self.fps - at),
            name,
            gain_db: 0.0,
            fade_in_frames: 0,
            fade_out_frames: 0,
        }
    }
}

/// The film's own sound under the clips (with its gains and fades), the voice lines, the music (cut by the
/// silence beat, faded at the end) and the effects; sounds that round to nothing are left out.
fn audio_tracks(tl: &Timeline) -> Vec<AudioTrack> {
    let at = Placer {
        fps: tl.rate.fps(),
        frames: tl.frames,
    };
    let film = tl
        .film_audio
        .iter()
        .map(|a| Sound {
            gain_db: a.gain_db,
            fade_in_frames: at.frame(a.fade_in_s),
            fade_out_frames: at.frame(a.fade_out_s),
            ..at.sound(
                a.start_s,
                a.end_s,
                a.source_start_s,
                SoundFile::Film,
                format!("clip {}", a.clip_index + 1),
            )
        })
        .collect();
    let voice = tl
        .voice
        .iter()
        .map(|v| at.sound(v.at_s, v.end_s, v.source_start_s, SoundFile::Film, v.text.clone()))
        .collect();
    let mut music = Vec::new();
    if let Some(mu) = &tl.music {
        let name = mu.title.clone().unwrap_or_else(|| "music".into());
        for p in &mu.pieces {
            for (a, b) in minus(p.start_s.max(0.0), p.end_s, &mu.mutes) {
                music.push(at.sound(a, b, p.music_start_s + (a - p.start_s), SoundFile::Music, name.clone()));
            }
        }
        if let Some(last) = music.last_mut() {
            last.fade_out_frames = at.frame(mu.fade_out_s).min(last.rec_out - last.rec_in);
        }
    }
    let effects = tl
        .sfx
        .iter()
        .map(|e| {
            let start = (e.at_s - e.kind.lead_s()).max(0.0);
            let end = (start + e.kind.duration_s()).min(tl.duration_s);
            let name = format!("{:?}", e.kind).to_lowercase();
            at.sound(start, end, start, SoundFile::Effects, name)
        })
        .collect();
    let mut tracks = vec![
        AudioTrack {
            name: "Film sound",
            sounds: film,
        },
        AudioTrack {
            name: "Voice lines",
            sounds: voice,
        },
        AudioTrack {
            name: MUSIC,
            sounds: music,
        },
        AudioTrack {
            name: EFFECTS,
            sounds: effects,
        },
    ];
    for t in &mut tracks {
        t.sounds.retain(|s| s.rec_out > s.rec_in);
    }
    tracks
}

/// The story anchors the manifest recorded, as markers on the film.
fn anchors(m: &Manifest) -> Vec<Anchor> {
    let Some(a) = &m.structural_anchors else {
        return vec![];
    };
    [
        ("beginning", a.anchors.begin_t),
        ("escalation", a.anchors.escalation_t),
        ("climax", a.anchors.climax_t),
    ]
    .into_iter()
    .map(|(name, film_s)| Anchor { name, film_s })
    .collect()
}

fn notes(m: &Manifest, i: usize, keep_audio: bool) -> ClipNotes {
    let c = &m.clips[i];
    ClipNotes {
        clip: i,
        act: c.act,
        beat_type: c.beat_type.name().to_string(),
        zone: c.narrative_zone.map(|z| z.name().to_string()),
        score: c.money_shot_score,
        reasoning: c.reasoning.clone(),
        line: c.dialogue_excerpt.clone(),
        keep_audio,
    }
}

/// `[a, b)` without the muted spans.
fn minus(a: f64, b: f64, mutes: &[[f64; 2]]) -> Vec<(f64, f64)> {
    let mut out = vec![(a, b)];
    for &[ma, mb] in mutes {
        out = out
            .into_iter()
            .flat_map(|(x, y)| {
                if mb <= x || ma >= y {
                    vec![(x, y)]
                } else {
                    [(x, ma), (mb, y)].into_iter().filter(|(p, q)| q > p).collect()
                }
            })
            .collect();
    }
    out
}

/// Where each act begins, the silence, the title card, and the act-3 entry the music hits on.
fn markers(tl: &Timeline) -> Vec<Marker> {
    let mut out = Vec::new();
    let mut last_act = None;
    for s in &tl.video {
        match s.kind {
            Kind::Silence => out.push(Marker {
                at: s.start_frame,
                name: "Silence".into(),
                note: "the silence beat: picture and music stop before the climax".into(),
            }),
            Kind::Title | Kind::Card => out.push(Marker {
                at: s.start_frame,
                name: "Title card".into(),
                // The render plays the film's own title shot there; the cut list holds a title in its place.
                note: match s.title_shot_s {
                    Some([a, b]) => format!(
                        "{}: the film's own title shot, film {a:.2}–{b:.2} s",
                        s.text.as_deref().unwrap_or_default()
                    ),
                    None => s.text.clone().unwrap_or_default(),
                },
            }),
            _ => {}
        }
        if let Some(act) = s.act
            && last_act != Some(act)
        {
            last_act = Some(act);
            let note = if act == Act::Act3 {
                "act 3 begins; the music's bar lands here"
            } else {
                ""
            };
            out.push(Marker {
                at: s.start_frame,
                name: act_name(act).into(),
                note: note.into(),
            });
        }
    }
    out
}

pub(super) fn act_name(act: Act) -> &'static str {
    match act {
        Act::ColdOpen => "Cold open",
        Act::Act1 => "Act 1",
        Act::BeatDrop => "Beat drop",
        Act::Act2 => "Act 2",
        Act::Breath => "Breath",
        Act::Act3 => "Act 3",
        Act::TitleCard => "Title card",
        Act::Button => "Button",
    }
}

/// Lay possibly overlapping sounds on as few lanes as needed, each lane in time order without overlaps (the
/// checkerboard an editor would make).
pub(super) fn lanes(sounds: &[Sound]) -> Vec<Vec<&Sound>> {
    let mut order: Vec<&Sound> = sounds.iter().collect();
    order.sort_by_key(|s| (s.rec_in, s.rec_out));
    let mut lanes: Vec<Vec<&Sound>> = Vec::new();
    for s in order {
        match lanes
            .iter_mut()
            .find(|l| l.last().is_none_or(|p| p.rec_out <= s.rec_in))
        {
            Some(l) => l.push(s),
            None => lanes.push(vec![s]),
        }
    }
    lanes
}

/// SMPTE timecode of frame `n` at `rate`: drop-frame (`;`) at 29.97 and 59.94, as editors expect.
pub(super) fn timecode(n: u64, rate: Rate) -> String {
    let fps = nominal_fps(rate);
    let drop = drop_frame(rate);
    let mut n = n;
    if drop {
        // Frame numbers 0 and 1 (0–3 at 59.94) are skipped each minute, except every tenth minute.
        let d = fps / 15;
        let per_10min = fps * 600 - 9 * d;
        let per_min = fps * 60 - d;
        let (tens, rem) = (n / per_10min, n % per_10min);
        n += 9 * d * tens + if rem > d { d * ((rem - d) / per_min) } else { 0 };
    }
    let (f, s) = (n % fps, n / fps);
    let sep = if drop { ';' } else { ':' };
    format!("{:02}:{:02}:{:02}{sep}{:02}", s / 3600, s / 60 % 60, s % 60, f)
}

/// NTSC rates count timecode in drop-frame.
pub(super) fn drop_frame(rate: Rate) -> bool {
    rate.den == 1001 && matches!(rate.num, 30000 | 60000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timecode_counts_drop_frame_at_ntsc_rates() {
        let r24 = Rate::new(24, 1);
        assert_eq!(timecode(0, r24), "00:00:00:00");
        assert_eq!(timecode(86400, r24), "01:00:00:00");
        assert_eq!(timecode(86400 + 23, Rate::new(24000, 1001)), "01:00:00:23");
        let df = Rate::new(30000, 1001);
        assert_eq!(timecode(1799, df), "00:00:59;29");
        // The first minute boundary skips ;00 and ;01.
        assert_eq!(timecode(1800, df), "00:01:00;02");
        // Every tenth minute does not.
        assert_eq!(timecode(17982, df), "00:10:00;00");
        // One hour of real time at 29.97 is 107,892 frames.
        assert_eq!(timecode(107_892, df), "01:00:00;00");
        assert_eq!(timecode(record_start(df), df), "01:00:00;00");
        let df60 = Rate::new(60000, 1001);
        assert_eq!(timecode(record_start(df60), df60), "01:00:00;00");
        assert_eq!(record_start(Rate::new(24000, 1001)), 86_400);
        assert_eq!(timecode(3600, Rate::new(60000, 1001)), "00:01:00;04");
        assert_eq!(timecode(3 * 25 + 2, Rate::new(25, 1)), "00:00:03:02");
    }

    #[test]
    fn source_frames_match_the_renders_seek() {
        let r = Rate::new(24000, 1001);
        // A time rounded to 0.1 ms names the frame it was rounded from.
        for n in [0u64, 1, 2, 1000, 17_619] {
            let t = (r.time(n) * 10_000.0).round() / 10_000.0;
            assert_eq!(source_frame(t, r), n);
        }
        assert_eq!(source_frame(207.6897, Rate::new(24, 1)), 4985);
    }

    #[test]
    fn overlapping_sounds_go_on_lanes() {
        let s = |a: u64, b: u64| Sound {
            rec_in: a,
            rec_out: b,
            file: SoundFile::Film,
            file_s: 0.0,
            name: String::new(),
            gain_db: 0.0,
            fade_in_frames: 0,
            fade_out_frames: 0,
        };
        let sounds = [s(0, 10), s(8, 20), s(10, 12), s(20, 30)];
        let l = lanes(&sounds);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].iter().map(|s| s.rec_in).collect::<Vec<_>>(), [0, 10, 20]);
        assert_eq!(l[1].iter().map(|s| s.rec_in).collect::<Vec<_>>(), [8]);
    }

    #[test]
    fn mutes_cut_the_music() {
        assert_eq!(minus(0.0, 10.0, &[[4.0, 6.0]]), [(0.0, 4.0), (6.0, 10.0)]);
        assert_eq!(minus(0.0, 10.0, &[[0.0, 2.0], [9.0, 12.0]]), [(2.0, 9.0)]);
        assert_eq!(minus(5.0, 6.0, &[[4.0, 7.0]]), []);
    }
}
