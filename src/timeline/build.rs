//! Building `timeline.json` from the manifest, in the manifest's order (never re-sorted), on the output frame
//! grid; every later step (picture, music, effects, voice lines, exports) takes its positions from it, so nothing
//! drifts. Pure: data in, data out.
//!
//! How it is built:
//! 1. Lay the segments out as the manifest books them: clips, the silence beat before the first act-3 clip, the
//!    title card before the first button clip.
//! 2. Place the music so a bar start lands on the act-3 entry (`placement`, or the built-in bed's own grid).
//! 3. Snap each cut to the beat nearest its booked position (so errors never add up), within what the clip
//!    allows: its end must stay on an allowed source edge (`story::edges`), never shrink into the line it holds,
//!    and never grow past a beat. Act-3 cuts may also land on half beats.
//! 4. Lay effects, voice lines (`voice`) and film-audio gains on the snapped segments.

use super::model::{FilmAudio, Kind, Music, Segment, SfxEvent, SfxKind, Timeline};
use super::music::{MusicAnalysis, MusicSource, MusicTrack};
use super::placement::{self, Piece};
use super::voice;
use crate::ingest::DialogueEvent;
use crate::media::Rate;
use crate::story::{Act, CUE_MARGIN_S, Edges, MIN_CLIP_FRAMES, Manifest, TitleStyle, Transition, Vibe};

/// Montage clips keep a bed of their own sound under the music (footsteps, engines), this far down.
const AMBIENT_DB: f64 = -12.0;
/// Under a voice line the pictures' own sound steps further back, so the line is clear.
const UNDER_VOICE_DB: f64 = -24.0;
/// The music fades out over the trailer's last seconds.
const MUSIC_FADE_OUT_S: f64 = 2.0;
/// A crossfade lasts this long, centred on its cut (half in each clip), less when a clip is short.
const CROSSFADE_S: f64 = 0.5;
/// A fade to (or from) black or white: this long out of one clip, then as long into the next.
const FADE_S: f64 = 0.25;
/// Source beyond a clip's edges that a crossfade may show, at most.
const MAX_HANDLE_S: f64 = 1.0;
/// Two effects closer than this blur into one.
const SFX_MIN_GAP_S: f64 = 1.5;

/// What the timeline needs to know about the film's footage: where a clip may be cut, its lines, and what the
/// voice lines may use. Every part but the length may be missing (a manifest rendered in a bare work dir).
pub struct Footage<'a> {
    pub duration_s: f64,
    /// Allowed clip edges from the analysis; `None` (a bare work dir) allows any frame outside the cues.
    pub edges: Option<&'a Edges>,
    /// Every cue, in film order.
    pub cues: &'a [DialogueEvent],
    pub protagonist: Option<&'a str>,
    /// Lines from here on are not heard as voice-overs (they give the ending away).
    pub spoilers_from_s: f64,
    /// Without sound, there are no voice lines and no film audio to lay out.
    pub has_audio: bool,
}

/// The music bed.
pub enum Bed<'a> {
    /// A file, with its beats in file time.
    Track {
        track: &'a MusicTrack,
        analysis: &'a MusicAnalysis,
    },
    /// The built-in bed, synthesised afterwards to fit this timeline on a grid of `bpm`.
    Builtin { path: String, bpm: f64 },
}

/// Which item of the trailer a booked stretch holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Item {
    Clip(usize),
    Silence,
    Title,
}

pub fn build(m: &Manifest, vibe: &Vibe, rate: Rate, film: &Footage, bed: &Bed) -> Timeline {
    let fps = rate.fps();
    let items = layout(m);
    let booked: Vec<u64> = items.iter().map(|&it| booked_frames(m, it, fps)).collect();
    let booked_end: Vec<u64> = booked
        .iter()
        .scan(0, |acc, &f| {
            *acc += f;
            Some(*acc)
        })
        .collect();
    let total = booked_end.last().copied().unwrap_or(0);
    // The act-3 entry: the moment the music must hit (else the title, else the start).
    let anchor = items
        .iter()
        .position(|&it| matches!(it, Item::Clip(i) if m.clips[i].act == Act::Act3))
        .or_else(|| items.iter().position(|&it| it == Item::Title))
        .map_or(0, |i| booked_end[i] - booked[i]);
    let anchor_s = anchor as f64 / fps;
    // Beats a little past the booked end, for snapping the last cut.
    let grid = beat_grid(bed, total as f64 / fps + 2.0, anchor_s);

    let mut video = Vec::with_capacity(items.len());
    let mut cur = 0u64;
    for (i, &item) in items.iter().enumerate() {
        let next_is_silence = items.get(i + 1) == Some(&Item::Silence);
        let target = if next_is_silence {
            anchor.saturating_sub(booked[i + 1])
        } else {
            booked_end[i]
        };
        // A cut that cannot reach a beat keeps the clip's booked length.
        let end = match item {
            Item::Silence => (anchor.max(cur + 1), 0.0),
            Item::Clip(c) => {
                let act3 = matches!(m.clips[c].act, Act::Act3 | Act::Button);
                // The clip before the silence leaves it at least three quarters of its booked length.
                let latest = if next_is_silence {
                    anchor.saturating_sub(booked[i + 1] * 3 / 4)
                } else {
                    u64::MAX
                };
                let fits = |end: u64| (end <= latest).then(|| clip_fits(m, c, film, fps, cur, end)).flatten();
                snap(&grid, fps, target, act3, &fits)
                    // Off the beat, the clip before the silence still ends in time for act 3 to land on its bar.
                    .or_else(|| {
                        let last = latest.min(cur + booked[i]);
                        (next_is_silence && last > cur)
                            .then(|| (cur + 1..=last).rev().find_map(|f| fits(f).map(|x| (f, x))))
                            .flatten()
                    })
                    .unwrap_or((cur + booked[i], m.clips[c].source_start_s))
            }
            Item::Title => {
                let min = ((booked[i] as f64 * 0.6) as u64).max(1);
                snap(&grid, fps, target, false, &|end: u64| (end >= cur + min).then_some(0.0))
                    .unwrap_or((cur + booked[i], 0.0))
            }
        };
        let (end, source_start) = end;
        video.push(segment(m, item, cur, end, fps, source_start));
        cur = end;
    }
    transitions(&mut video, fps, film);
    let frames = cur;
    let duration_s = frames as f64 / fps;
    let mut tl = Timeline {
        rate,
        fps,
        frames,
        duration_s,
        vibe: vibe.name.to_string(),
        source_file: m.source_file.clone(),
        title_style: m
            .title_style
            .as_deref()
            .and_then(|n| TitleStyle::ALL.iter().copied().find(|t| t.name() == n))
            .unwrap_or(vibe.title_card),
        music: None,
        sfx: vec![],
        voice: vec![],
        film_audio: vec![],
        cuts: 0,
        cuts_on_beat: 0,
        manifest_key: Some(m.decisions_key()),
        video,
    };
    (tl.cuts, tl.cuts_on_beat) = beat_alignment(&tl.video, &grid, fps);
    let silence = tl.silence();
    tl.music = Some(music(bed, &grid, duration_s, silence));
    tl.sfx = effects(&tl, vibe);
    if film.has_audio {
        tl.voice = voice::choose(&tl, film, vibe);
        tl.film_audio = film_audio(&tl);
    }
    tl
}

/// Clips in manifest order, the silence before the first act-3 clip, the title before the first button clip.
fn layout(m: &Manifest) -> Vec<Item> {
    let silence_at = m.clips.iter().position(|c| c.act == Act::Act3);
    let title_at = m
        .clips
        .iter()
        .position(|c| c.act == Act::Button)
        .unwrap_or(m.clips.len());
    let mut items = Vec::with_capacity(m.clips.len() + 2);
    for i in 0..=m.clips.len() {
        if Some(i) == silence_at && m.silence_s.is_some_and(|s| s > 0.0) {
            items.push(Item::Silence);
        }
        if i == title_at && m.title_card_s.is_some_and(|s| s > 0.0) {
            items.push(Item::Title);
        }
        if i < m.clips.len() {
            items.push(Item::Clip(i));
        }
    }
    items
}

fn booked_frames(m: &Manifest, item: Item, fps: f64) -> u64 {
    let secs = match item {
        Item::Clip(i) => m.clips[i].duration_s(),
        Item::Silence => m.silence_s.unwrap_or(0.0),
        Item::Title => m.title_card_s.unwrap_or(0.0),
    };
    ((secs * fps).round() as u64).max(1)
}

/// Beats in trailer time, and the half beats between them.
struct Grid {
    beats: Vec<f64>,
    halves: Vec<f64>,
    downbeats: Vec<f64>,
    placement: Option<Vec<Piece>>,
    bpm: f64,
}

fn beat_grid(bed: &Bed, until_s: f64, anchor_s: f64) -> Grid {
    let (beats, downbeats, pieces, bpm) = match bed {
        Bed::Track { analysis, .. } => {
            let p = placement::place(analysis, until_s, anchor_s);
            (p.beats_s, p.downbeats_s, Some(p.pieces), analysis.bpm)
        }
        Bed::Builtin { bpm, .. } => {
            // Our own bed: its grid is whatever we say, so a bar starts exactly on the act-3 entry.
            let period = 60.0 / bpm;
            let first = -((anchor_s / period).floor());
            let beats: Vec<f64> = (0..)
                .map(|k| anchor_s + (first + k as f64) * period)
                .take_while(|&t| t <= until_s)
                .collect();
            let downbeats = beats
                .iter()
                .copied()
                .filter(|t| (((t - anchor_s) / period).round() as i64).rem_euclid(4) == 0)
                .collect();
            (beats, downbeats, None, *bpm)
        }
    };
    let halves = beats.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    Grid {
        beats,
        halves,
        downbeats,
        placement: pieces,
        bpm,
    }
}

/// The frame nearest `target` on a beat (or half beat) within one beat of it that `fits` accepts, with what
/// `fits` said about it.
fn snap<T>(grid: &Grid, fps: f64, target: u64, halves: bool, fits: &dyn Fn(u64) -> Option<T>) -> Option<(u64, T)> {
    let period = 60.0 / grid.bpm;
    let t = target as f64 / fps;
    let near = |b: &&f64| (**b - t).abs() <= period * 1.01;
    let mut cands: Vec<f64> = grid.beats.iter().filter(near).copied().collect();
    if halves {
        cands.extend(grid.halves.iter().filter(near));
    }
    cands.sort_by(|a, b| (a - t).abs().total_cmp(&(b - t).abs()));
    cands
        .into_iter()
        .map(|b| (b * fps).round().max(0.0) as u64)
        .find_map(|f| fits(f).map(|x| (f, x)))
}

/// Cuts, and cuts within one frame of a beat (or, into and inside act 3, of a half beat).
fn beat_alignment(video: &[Segment], grid: &Grid, fps: f64) -> (usize, usize) {
    let near = |v: &[f64], t: f64| v.iter().any(|&b| (b - t).abs() <= 1.0 / fps + 1e-9);
    let on = video
        .windows(2)
        .filter(|w| {
            let t = w[1].start_s;
            let act3 = w.iter().any(|s| matches!(s.act, Some(Act::Act3 | Act::Button)));
            near(&grid.beats, t) || act3 && near(&grid.halves, t)
        })
        .count();
    (video.len().saturating_sub(1), on)
}

/// Can clip `c`, starting at trailer frame `start`, end at trailer frame `end`? Its source window may keep its
/// start and move its end, or slip by up to a second, as long as both edges are allowed, it stays in the film,
/// and it still holds the lines it was booked with. Returns the source start to use.
fn clip_fits(m: &Manifest, c: usize, film: &Footage, fps: f64, start: u64, end: u64) -> Option<f64> {
    let clip = &m.clips[c];
    let frames = end.checked_sub(start)?;
    let booked = ((clip.duration_s() * fps).round() as u64).max(1);
    if frames < MIN_CLIP_FRAMES.min(booked) {
        return None;
    }
    let len = frames as f64 / fps;
    // The lines the clip was booked with (kept whole, with their margins, when the clip plays its sound).
    let held: Option<(f64, f64)> = clip
        .keep_audio
        .then(|| {
            film.cues
                .iter()
                .filter(|q| q.start_s >= clip.source_start_s - 1e-6 && q.end_s <= clip.source_end_s + 1e-6)
                .fold(None, |acc: Option<(f64, f64)>, q| {
                    let (a, b) = (q.start_s - CUE_MARGIN_S, q.end_s + CUE_MARGIN_S);
                    Some(acc.map_or((a, b), |(x, y)| (x.min(a), y.max(b))))
                })
        })
        .flatten();
    let ok = |from: f64| {
        let to = from + len;
        from >= 0.0
            && to <= film.duration_s
            && held
                .is_none_or(|(a, b)| from <= a.max(clip.source_start_s) + 1e-6 && to >= b.min(clip.source_end_s) - 1e-6)
            && edge_ok(film, fps, from)
            && edge_ok(film, fps, to)
            && film.edges.is_none_or(|e| e.clear(e.frame(from), e.frame(to)))
    };
    // The booked start first, then slips outward frame by frame.
    let max_slip = fps.round() as i64;
    (0..=max_slip)
        .flat_map(|k| [k, -k])
        .map(|k| clip.source_start_s + k as f64 / fps)
        .find(|&from| ok(from))
}

/// Is `t` (film seconds) an allowed clip edge?
fn edge_ok(film: &Footage, fps: f64, t: f64) -> bool {
    match film.edges {
        Some(edges) => {
            let e = edges.frame(t);
            // Near an edge on the film's own frame grid, closer than half a frame of either rate, so a trailer at
            // another rate (`--fps`) never rounds a frame of the next shot into the clip.
            (edges.time(e) - t).abs() < 0.5 / edges.fps.max(fps) && edges.allowed(e)
        }
        None => !film
            .cues
            .iter()
            .any(|q| t > q.start_s - CUE_MARGIN_S && t < q.end_s + CUE_MARGIN_S),
    }
}

/// How long each transition lasts, and the source handles a crossfade may use. A crossfade needs pictures on
/// both sides; next to black (the silence, the title) it becomes a fade. Either half of a transition takes at
/// most a third of its clip, so every clip shows some of itself unblended.
fn transitions(video: &mut [Segment], fps: f64, film: &Footage) {
    let is_clip = |s: &Segment| matches!(s.kind, Kind::Clip | Kind::Button);
    for i in 1..video.len() {
        let (prev, seg) = (&video[i - 1], &video[i]);
        let third = |s: &Segment| if is_clip(s) { s.frames() / 3 } else { u64::MAX };
        let half = |secs: f64| ((secs * fps).round() as u64).min(third(prev)).min(third(seg));
        let (kind, h) = match seg.transition_in {
            Transition::HardCut => (Transition::HardCut, 0),
            Transition::Crossfade if is_clip(prev) && is_clip(seg) => (Transition::Crossfade, half(CROSSFADE_S / 2.0)),
            Transition::Crossfade => (Transition::FadeToBlack, half(FADE_S)),
            t @ (Transition::FadeToBlack | Transition::FadeToWhite) => (t, half(FADE_S)),
        };
        let (kind, h) = if h == 0 { (Transition::HardCut, 0) } else { (kind, h) };
        video[i].transition_in = kind;
        video[i].transition_frames = 2 * h;
        if kind == Transition::Crossfade {
            let (before, _) = handles(&video[i], film);
            let (_, after) = handles(&video[i - 1], film);
            video[i].handle_before_s = before;
            video[i - 1].handle_after_s = after;
        }
    }
}

/// Seconds of the same shot before a clip's source start and after its source end (0 without shot analysis,
/// which cannot tell where the shot ends).
fn handles(seg: &Segment, film: &Footage) -> (f64, f64) {
    let (Some(edges), Some(a), Some(b)) = (film.edges, seg.source_start_s, seg.source_end_s) else {
        return (0.0, 0.0);
    };
    let (fa, fb) = (edges.frame(a), edges.frame(b));
    // Within the clip's shots, and never into the film's own text.
    let shot_start = edges.shot(edges.shot_of(fa)).0.max(edges.text_before(fa));
    let shot_end = edges
        .shot(edges.shot_of(fb.saturating_sub(1).max(fa)))
        .1
        .min(edges.text_after(fb));
    let secs = |frames: u64| (frames as f64 / edges.fps).min(MAX_HANDLE_S);
    (secs(fa.saturating_sub(shot_start)), secs(shot_end.saturating_sub(fb)))
}

fn segment(m: &Manifest, item: Item, start: u64, end: u64, fps: f64, source_start: f64) -> Segment {
    let base = Segment {
        kind: Kind::Silence,
        start_s: start as f64 / fps,
        end_s: end as f64 / fps,
        start_frame: start,
        end_frame: end,
        source_start_s: None,
        source_end_s: None,
        transition_in: Transition::HardCut,
        transition_frames: 0,
        handle_before_s: 0.0,
        handle_after_s: 0.0,
        clip_index: None,
        act: None,
        keep_audio: false,
        text: None,
        tagline: None,
        title_shot_s: None,
    };
    match item {
        Item::Silence => base,
        Item::Title => {
            // The film's own title shot: the card's length from its middle, never before its start; frames
            // past its end are the last one held.
            let n_s = (end - start) as f64 / fps;
            let window = m.title_shot.as_ref().map(|t| {
                let from = ((t.source_start_s + t.source_end_s - n_s) / 2.0)
                    .min(t.source_end_s - n_s)
                    .max(t.source_start_s);
                (from, (from + n_s).min(t.source_end_s))
            });
            Segment {
                kind: Kind::Title,
                text: m.title.clone(),
                tagline: m.tagline.clone(),
                title_shot_s: window.map(|(a, b)| [a, b]),
                ..base
            }
        }
        Item::Clip(i) => {
            let c = &m.clips[i];
            Segment {
                kind: if c.act == Act::Button { Kind::Button } else { Kind::Clip },
                source_start_s: Some(source_start),
                source_end_s: Some(source_start + (end - start) as f64 / fps),
                transition_in: c.transition,
                clip_index: Some(i),
                act: Some(c.act),
                keep_audio: c.keep_audio,
                ..base
            }
        }
    }
}

fn music(bed: &Bed, grid: &Grid, duration_s: f64, silence: Option<(f64, f64)>) -> Music {
    let within = |v: &[f64]| -> Vec<f64> { v.iter().copied().filter(|&t| t < duration_s).collect() };
    let (path, source, title, artist, license_url, url) = match bed {
        Bed::Track { track, .. } => (
            track.path.to_string_lossy().into_owned(),
            track.source,
            track.title.clone(),
            track.artist.clone(),
            track.license_url.clone(),
            track.url.clone(),
        ),
        Bed::Builtin { path, .. } => (
            path.clone(),
            MusicSource::Builtin,
            Some("CineCut built-in bed".to_string()),
            Some("CineCut".to_string()),
            None,
            None,
        ),
    };
    let pieces: Vec<Piece> = match &grid.placement {
        Some(pieces) => pieces
            .iter()
            .filter(|p| p.start_s < duration_s)
            .map(|p| Piece {
                end_s: p.end_s.min(duration_s),
                ..*p
            })
            .collect(),
        None => vec![Piece {
            start_s: 0.0,
            end_s: duration_s,
            music_start_s: 0.0,
        }],
    };
    Music {
        path,
        source,
        offset_s: pieces.first().map_or(0.0, |p| p.music_start_s - p.start_s),
        bpm: grid.bpm,
        beats_s: within(&grid.beats),
        downbeats_s: within(&grid.downbeats),
        fade_out_s: MUSIC_FADE_OUT_S.min(duration_s / 4.0),
        pieces,
        mutes: silence.map(|(a, b)| vec![[a, b]]).unwrap_or_default(),
        title,
        artist,
        license_url,
        url,
    }
}

/// Risers into act boundaries (and into the silence), hits on the act-3 entry and the title, and for vibes cut
/// hard, a whoosh on act 3's bar-start cuts. Nothing sounds inside the silence.
fn effects(tl: &Timeline, vibe: &Vibe) -> Vec<SfxEvent> {
    let mut events: Vec<SfxEvent> = Vec::new();
    let whooshes = Transition::from(vibe.primary_transition) == Transition::HardCut;
    let downbeats = tl.music.as_ref().map(|m| m.downbeats_s.clone()).unwrap_or_default();
    let on_bar = |t: f64| downbeats.iter().any(|&d| (d - t).abs() <= 1.0 / tl.fps);
    for w in tl.video.windows(2) {
        let (prev, next) = (&w[0], &w[1]);
        let at = next.start_s;
        let kind = match (prev.kind, next.kind) {
            (_, Kind::Silence) => Some(SfxKind::Boundary),
            (Kind::Silence, _) | (_, Kind::Title) => Some(SfxKind::Hit),
            _ if section(prev.act) != section(next.act) => Some(SfxKind::Boundary),
            _ if whooshes && next.act == Some(Act::Act3) && next.transition_in == Transition::HardCut && on_bar(at) => {
                Some(SfxKind::Hard)
            }
            _ => None,
        };
        if let Some(kind) = kind {
            events.push(SfxEvent { at_s: at, kind });
        }
    }
    // Keep the bigger of two effects that crowd each other.
    let rank = |k: SfxKind| match k {
        SfxKind::Hit => 2,
        SfxKind::Boundary => 1,
        SfxKind::Hard => 0,
    };
    let mut kept: Vec<SfxEvent> = Vec::new();
    for e in events {
        match kept.last_mut() {
            Some(last) if e.at_s - last.at_s < SFX_MIN_GAP_S => {
                if rank(e.kind) > rank(last.kind) {
                    *last = e;
                }
            }
            _ => kept.push(e),
        }
    }
    let silence = tl.silence();
    kept.retain(|e| silence.is_none_or(|(a, b)| e.at_s <= a || e.at_s >= b));
    kept
}

/// The trailer section an act belongs to: risers mark a change of section.
fn section(act: Option<Act>) -> u8 {
    match act {
        Some(Act::ColdOpen) => 0,
        Some(Act::Act1) => 1,
        Some(Act::BeatDrop | Act::Act2 | Act::Breath) => 2,
        Some(Act::Act3) => 3,
        Some(Act::TitleCard | Act::Button) | None => 4,
    }
}

/// Each clip's own sound: full for a clip that holds a line, an ambient bed under montage, lower still under a
/// voice line. It follows the picture's transitions: through a crossfade each clip's sound reaches half the
/// transition into the other and the two cross; with a fade the sound fades too.
fn film_audio(tl: &Timeline) -> Vec<FilmAudio> {
    let v = &tl.video;
    let fps = tl.fps;
    let half_s = |s: Option<&Segment>, t: Transition| {
        s.filter(|s| s.transition_in == t)
            .map_or(0.0, |s| (s.transition_frames / 2) as f64 / fps)
    };
    let fade_s = |s: Option<&Segment>| half_s(s, Transition::FadeToBlack).max(half_s(s, Transition::FadeToWhite));
    v.iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let (clip_index, source_start_s) = (s.clip_index?, s.source_start_s?);
            let next = v.get(i + 1);
            // The sound reaches past the clip only within the same shot (as the picture does), never before the
            // film's start, and not at all for a clip that holds a line (it could catch the next line).
            let reach = |half: f64, handle: f64| if s.keep_audio { 0.0 } else { half.min(handle) };
            let (half_in, half_out) = (
                half_s(Some(s), Transition::Crossfade),
                half_s(next, Transition::Crossfade),
            );
            let into = reach(half_in, s.handle_before_s).min(source_start_s);
            let out_of = reach(half_out, s.handle_after_s);
            let under_voice = tl.voice.iter().any(|v| v.at_s < s.end_s && v.end_s > s.start_s);
            let gain_db = if s.keep_audio {
                0.0
            } else if under_voice {
                UNDER_VOICE_DB
            } else {
                AMBIENT_DB
            };
            Some(FilmAudio {
                start_s: s.start_s - into,
                end_s: s.end_s + out_of,
                source_start_s: source_start_s - into,
                gain_db,
                clip_index,
                // Across the whole blend: the part past the clip and the clip's own blended half.
                fade_in_s: if i == 0 { 0.0 } else { into + half_in + fade_s(Some(s)) },
                fade_out_s: out_of + half_out + fade_s(next),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Emotion;
    use crate::story::Clip;
    use serde_json::json;

    const FPS: f64 = 24.0;
    const RATE: Rate = Rate::new(24, 1);

    fn clip(a: f64, b: f64, act: Act, keep_audio: bool) -> Clip {
        serde_json::from_value(json!({
            "source_start_s": a, "source_end_s": b, "beat_type": "escalation_beat", "act": act.name(),
            "keep_audio": keep_audio,
        }))
        .unwrap()
    }

    fn cue(a: f64, b: f64, text: &str) -> DialogueEvent {
        DialogueEvent {
            start_s: a,
            end_s: b,
            text: text.into(),
            speaker: None,
            emotion: Emotion::Intense,
            sound_cue: false,
        }
    }

    /// Cold open, act 1, act 2 montage, silence, act 3, title, button (116.6 s): 600 s of film, clips 15 s apart.
    fn manifest() -> Manifest {
        let mut clips = vec![clip(10.0, 13.3, Act::ColdOpen, true)];
        let mut t = 30.0;
        for (act, n, len) in [(Act::Act1, 6, 7.0), (Act::Act2, 10, 3.5), (Act::Act3, 14, 1.8)] {
            for _ in 0..n {
                clips.push(clip(t, t + len, act, false));
                t += 15.0;
            }
        }
        clips.push(clip(500.0, 502.6, Act::Button, true));
        serde_json::from_value(json!({
            "source_file": "film.mkv", "vibe": "thriller", "title": "Night Run",
            "silence_s": 4.5, "title_card_s": 4.0, "clips": clips,
        }))
        .unwrap()
    }

    fn cues() -> Vec<DialogueEvent> {
        vec![
            cue(10.5, 12.9, "Nobody leaves this city tonight."),
            cue(200.0, 202.0, "We have to finish what we started."),
            cue(260.0, 262.5, "They are coming for all of us."),
            cue(340.0, 341.5, "Run!"),
            cue(500.3, 502.2, "Not without you."),
        ]
    }

    fn build_with(bed: &Bed) -> Timeline {
        build_for(&manifest(), "thriller", bed)
    }

    fn build_for(m: &Manifest, vibe: &str, bed: &Bed) -> Timeline {
        let cues = cues();
        let film = Footage {
            duration_s: 600.0,
            edges: None,
            cues: &cues,
            protagonist: None,
            spoilers_from_s: 450.0,
            has_audio: true,
        };
        build(m, Vibe::parse(vibe).unwrap(), RATE, &film, bed)
    }

    fn builtin() -> Timeline {
        build_with(&Bed::Builtin {
            path: "bed.wav".into(),
            bpm: 120.0,
        })
    }

    #[test]
    fn segments_follow_the_manifest_on_whole_frames() {
        let m = manifest();
        let tl = builtin();
        let kinds: Vec<Kind> = tl.video.iter().map(|s| s.kind).collect();
        assert_eq!(kinds.len(), m.clips.len() + 2);
        assert_eq!(kinds[1 + 6 + 10], Kind::Silence, "silence right before act 3");
        assert_eq!(kinds[kinds.len() - 2], Kind::Title, "title right before the button");
        assert_eq!(*kinds.last().unwrap(), Kind::Button);
        let order: Vec<usize> = tl.video.iter().filter_map(|s| s.clip_index).collect();
        assert_eq!(order, (0..m.clips.len()).collect::<Vec<_>>(), "never re-sorted");
        let mut at = 0;
        for s in &tl.video {
            assert_eq!(s.start_frame, at, "contiguous");
            assert!(s.end_frame > s.start_frame);
            assert!((s.start_s - s.start_frame as f64 / FPS).abs() < 1e-9);
            at = s.end_frame;
        }
        assert_eq!(tl.frames, at);
        // Snapping moves each cut by at most a beat and never lets errors add up.
        assert!((tl.duration_s - 116.6).abs() < 1.0, "{}", tl.duration_s);
    }

    #[test]
    fn cuts_land_on_beats_and_act_three_enters_on_a_bar() {
        let tl = builtin();
        assert_eq!(tl.cuts, tl.video.len() - 1);
        assert!(tl.cuts_on_beat * 100 >= tl.cuts * 95, "{}/{}", tl.cuts_on_beat, tl.cuts);
        let music = tl.music.as_ref().unwrap();
        let act3 = tl.video.iter().find(|s| s.act == Some(Act::Act3)).unwrap().start_s;
        assert!(
            music.downbeats_s.iter().any(|&d| (d - act3).abs() < 0.5 / FPS),
            "bar on act 3"
        );
        let (a, b) = tl.silence().unwrap();
        assert!((b - act3).abs() < 1e-9);
        assert_eq!(music.mutes, vec![[a, b]]);
        assert!(
            (b - a - 4.5).abs() <= 0.5 + 1e-9,
            "the silence keeps about its length: {}",
            b - a
        );
    }

    #[test]
    fn a_clip_never_shrinks_into_its_line() {
        let tl = builtin();
        for s in tl.video.iter().filter(|s| s.keep_audio) {
            let (a, b) = (s.source_start_s.unwrap(), s.source_end_s.unwrap());
            let held = cues()
                .into_iter()
                .filter(|q| q.start_s >= a - 1.0 && q.end_s <= b + 1.0)
                .count();
            assert!(held >= 1, "{s:?}");
            for q in cues() {
                let cut = (a > q.start_s - CUE_MARGIN_S && a < q.end_s + CUE_MARGIN_S)
                    || (b > q.start_s - CUE_MARGIN_S && b < q.end_s + CUE_MARGIN_S);
                assert!(!cut, "{s:?} cuts {q:?}");
            }
        }
    }

    #[test]
    fn effects_and_voices_stay_out_of_the_silence() {
        let tl = builtin();
        let (a, b) = tl.silence().unwrap();
        for e in &tl.sfx {
            let (from, to) = (e.at_s - e.kind.lead_s(), e.at_s - e.kind.lead_s() + e.kind.duration_s());
            // Only the riser into the silence may ring past its start; the renderer cuts it there.
            assert!(e.at_s <= a + 1e-9 || e.at_s >= b - 1e-9, "{e:?}");
            assert!(to <= a + 2.0 || from >= b - 1e-9, "{e:?}");
        }
        let kinds: Vec<SfxKind> = tl.sfx.iter().map(|e| e.kind).collect();
        assert!(
            kinds.contains(&SfxKind::Hit) && kinds.contains(&SfxKind::Boundary),
            "{kinds:?}"
        );
        assert!(
            tl.sfx
                .iter()
                .any(|e| e.kind == SfxKind::Hit && (e.at_s - b).abs() < 1e-9),
            "hit on act 3"
        );
        assert!(!tl.voice.is_empty());
        assert!(
            tl.voice.windows(2).all(|w| w[1].at_s >= w[0].end_s),
            "one line at a time"
        );
        for v in &tl.voice {
            assert!(v.end_s <= a || v.at_s >= b, "{v:?}");
            // A J/L cut: the line runs across a cut.
            assert!(tl.cut_points_s().iter().any(|&c| v.at_s < c && v.end_s > c), "{v:?}");
            // Never a line the pictures already play, never one from the ending.
            assert!(v.source_start_s < 450.0 && !v.text.contains("Nobody"));
        }
        // Under a voice line the clips' own sound steps back.
        for v in &tl.voice {
            let under: Vec<&FilmAudio> = tl
                .film_audio
                .iter()
                .filter(|f| f.start_s < v.end_s && f.end_s > v.at_s)
                .collect();
            assert!(under.iter().all(|f| f.gain_db == UNDER_VOICE_DB), "{under:?}");
        }
    }

    #[test]
    fn a_short_track_is_looped_and_its_beats_are_used() {
        let period = 60.0 / 100.0;
        let beats: Vec<f64> = (0..100).map(|k| 0.25 + k as f64 * period).collect();
        let analysis = MusicAnalysis {
            duration_s: 60.0,
            bpm: 100.0,
            downbeats_s: beats.iter().step_by(4).copied().collect(),
            bar_rms: vec![0.2; 25],
            beats_s: beats,
        };
        let track = MusicTrack {
            source: MusicSource::User,
            path: "/music/track.mp3".into(),
            title: Some("Track".into()),
            artist: None,
            license_url: None,
            url: None,
            track_id: None,
            duration_s: 60.0,
            bpm: None,
        };
        let tl = build_with(&Bed::Track {
            track: &track,
            analysis: &analysis,
        });
        let m = tl.music.as_ref().unwrap();
        assert!(m.pieces.len() >= 2, "{:?}", m.pieces);
        assert!((m.bpm - 100.0).abs() < 1e-9);
        assert!(tl.cuts_on_beat * 100 >= tl.cuts * 95, "{}/{}", tl.cuts_on_beat, tl.cuts);
        let act3 = tl.video.iter().find(|s| s.act == Some(Act::Act3)).unwrap().start_s;
        assert!(m.downbeats_s.iter().any(|&d| (d - act3).abs() < 0.5 / FPS));
    }

    #[test]
    fn transitions_get_lengths_and_the_sound_follows_them() {
        let mut m = manifest();
        m.clips[2].transition = Transition::Crossfade;
        m.clips[4].transition = Transition::FadeToBlack;
        // Right after the silence: a crossfade from black is a fade.
        let first_act3 = m.clips.iter().position(|c| c.act == Act::Act3).unwrap();
        m.clips[first_act3].transition = Transition::Crossfade;
        let bed = Bed::Builtin {
            path: "bed.wav".into(),
            bpm: 120.0,
        };
        let tl = build_for(&m, "drama", &bed);
        let seg = |clip: usize| tl.video.iter().position(|s| s.clip_index == Some(clip)).unwrap();
        let xf = &tl.video[seg(2)];
        assert_eq!((xf.transition_in, xf.transition_frames), (Transition::Crossfade, 12));
        // No shot analysis: no handles, the blend holds the edge frames.
        assert_eq!((xf.handle_before_s, tl.video[seg(1)].handle_after_s), (0.0, 0.0));
        let fb = &tl.video[seg(4)];
        assert_eq!((fb.transition_in, fb.transition_frames), (Transition::FadeToBlack, 12));
        let after_silence = &tl.video[seg(first_act3)];
        assert_eq!(after_silence.transition_in, Transition::FadeToBlack);
        // Short act-3 clips give at most a third of themselves to a transition.
        for s in &tl.video {
            if s.transition_frames > 0 {
                assert!(s.transition_frames / 2 <= s.frames() / 3, "{s:?}");
            }
        }
        // Without handles the crossfaded clips' sounds cross inside the clips.
        let audio = |tl: &Timeline, clip: usize| tl.film_audio.iter().find(|a| a.clip_index == clip).unwrap().clone();
        let (a, b) = (audio(&tl, 1), audio(&tl, 2));
        assert!((a.end_s - xf.start_s).abs() < 1e-9 && (b.start_s - xf.start_s).abs() < 1e-9);
        assert!((a.fade_out_s - 0.25).abs() < 1e-9 && (b.fade_in_s - 0.25).abs() < 1e-9);
        // A fade to black fades the sound out and in with the picture.
        assert!((audio(&tl, 3).fade_out_s - 0.25).abs() < 1e-9 && (audio(&tl, 4).fade_in_s - 0.25).abs() < 1e-9);
        // With the same shot going on past the edges, the sounds overlap by the crossfade and cross over it.
        let mut with_handles = tl.clone();
        with_handles.video[seg(1)].handle_after_s = 1.0;
        with_handles.video[seg(2)].handle_before_s = 1.0;
        with_handles.film_audio = film_audio(&with_handles);
        let (a, b) = (audio(&with_handles, 1), audio(&with_handles, 2));
        assert!((a.end_s - (xf.start_s + 0.25)).abs() < 1e-9 && (b.start_s - (xf.start_s - 0.25)).abs() < 1e-9);
        assert!((a.fade_out_s - 0.5).abs() < 1e-9 && (b.fade_in_s - 0.5).abs() < 1e-9);
        assert!((b.source_start_s - (xf.source_start_s.unwrap() - 0.25)).abs() < 1e-9);
    }
}
