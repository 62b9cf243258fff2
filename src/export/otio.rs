//! OpenTimelineIO (`.otio`, JSON) written with serde: a Timeline whose video track holds the clips, gaps for
//! the title card and the silence, and transitions centred on their cuts; audio tracks for the film's sound,
//! voice lines, music and effects (overlapping sounds on as many tracks as they need); markers for the acts and
//! the trailer's anchors; and each clip's reasons in its metadata. Pure: a cut list in, text out.

use serde::Serialize;
use serde_json::{Value, json};

use super::cutlist::{Blend, CutList, Media, SoundFile, What, act_name, lanes, timecode};
use super::file_url;
use crate::media::Rate;

#[derive(Serialize)]
struct RationalTime {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    rate: f64,
    value: f64,
}

fn rt(value: f64, rate: Rate) -> RationalTime {
    RationalTime {
        schema: "RationalTime.1",
        rate: rate.fps(),
        value,
    }
}

#[derive(Serialize)]
struct TimeRange {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    duration: RationalTime,
    start_time: RationalTime,
}

fn range(start: f64, duration: f64, rate: Rate) -> TimeRange {
    TimeRange {
        schema: "TimeRange.1",
        duration: rt(duration, rate),
        start_time: rt(start, rate),
    }
}

#[derive(Serialize)]
struct Marker {
    metadata: Value,
    name: String,
    color: &'static str,
    marked_range: TimeRange,
    comment: String,
}

#[derive(Serialize)]
struct ExternalReference {
    metadata: Value,
    name: String,
    available_range: TimeRange,
    available_image_bounds: Option<()>,
    target_url: String,
}

#[derive(Serialize)]
struct MediaReferences {
    #[serde(rename = "DEFAULT_MEDIA")]
    default: Tagged<ExternalReference>,
}

/// An object with its `OTIO_SCHEMA` name.
#[derive(Serialize)]
struct Tagged<T> {
    #[serde(rename = "OTIO_SCHEMA")]
    schema: &'static str,
    #[serde(flatten)]
    inner: T,
}

#[derive(Serialize)]
struct Clip {
    metadata: Value,
    name: String,
    source_range: TimeRange,
    effects: Vec<()>,
    markers: Vec<Tagged<Marker>>,
    enabled: bool,
    media_references: MediaReferences,
    active_media_reference_key: &'static str,
}

#[derive(Serialize)]
struct Gap {
    metadata: Value,
    name: String,
    source_range: TimeRange,
    effects: Vec<()>,
    markers: Vec<Tagged<Marker>>,
    enabled: bool,
}

#[derive(Serialize)]
struct Transition {
    metadata: Value,
    name: String,
    in_offset: RationalTime,
    out_offset: RationalTime,
    transition_type: &'static str,
}

#[derive(Serialize)]
#[serde(tag = "OTIO_SCHEMA")]
enum Item {
    #[serde(rename = "Clip.2")]
    Clip(Clip),
    #[serde(rename = "Gap.1")]
    Gap(Gap),
    #[serde(rename = "Transition.1")]
    Transition(Transition),
}

#[derive(Serialize)]
struct Track {
    metadata: Value,
    name: String,
    source_range: Option<()>,
    effects: Vec<()>,
    markers: Vec<Tagged<Marker>>,
    enabled: bool,
    children: Vec<Item>,
    kind: &'static str,
}

#[derive(Serialize)]
struct Stack {
    metadata: Value,
    name: &'static str,
    source_range: Option<()>,
    effects: Vec<()>,
    markers: Vec<()>,
    enabled: bool,
    children: Vec<Tagged<Track>>,
}

#[derive(Serialize)]
struct Timeline {
    metadata: Value,
    name: String,
    global_start_time: RationalTime,
    tracks: Tagged<Stack>,
}

fn tagged<T>(schema: &'static str, inner: T) -> Tagged<T> {
    Tagged { schema, inner }
}

fn marker(name: &str, comment: &str, at: f64, rate: Rate, color: &'static str) -> Tagged<Marker> {
    tagged(
        "Marker.2",
        Marker {
            metadata: json!({}),
            name: name.to_string(),
            color,
            marked_range: range(at, 0.0, rate),
            comment: comment.to_string(),
        },
    )
}

fn gap(name: &str, frames: u64, rate: Rate, metadata: Value) -> Item {
    Item::Gap(Gap {
        metadata,
        name: name.to_string(),
        source_range: range(0.0, frames as f64, rate),
        effects: vec![],
        markers: vec![],
        enabled: true,
    })
}

/// A reference to a whole file, its available range at `rate`, starting at `start` (its first timecode).
fn reference(media: &Media, rate: Rate, start: f64) -> MediaReferences {
    MediaReferences {
        default: tagged(
            "ExternalReference.1",
            ExternalReference {
                metadata: json!({}),
                name: media.name(),
                available_range: range(start, (media.duration_s * rate.fps()).round(), rate),
                available_image_bounds: None,
                target_url: file_url(&media.path),
            },
        ),
    }
}

/// The cut list as an `.otio` document.
pub(super) fn write(cl: &CutList) -> String {
    let rate = cl.rate;
    let src_rate = cl.source_rate();
    let src_start = cl.source_start();
    // Source ranges count in trailer frames: the source's own frames when the rates agree (the usual case); at
    // another rate OTIO rescales, and the record side still adds up frame for frame.
    let k = rate.fps() / src_rate.fps();
    let mut children = Vec::new();
    for e in &cl.video {
        if let Some(t) = e.transition_in {
            let (name, kind, blend) = match t.blend {
                Blend::Dissolve => ("Cross dissolve", "SMPTE_Dissolve", "crossfade"),
                // OTIO has no dip: a dissolve named for what it is, with the kind in the metadata.
                Blend::Dip { white: false } => ("Dip to black", "SMPTE_Dissolve", "fade_to_black"),
                Blend::Dip { white: true } => ("Dip to white", "SMPTE_Dissolve", "fade_to_white"),
            };
            children.push(Item::Transition(Transition {
                metadata: json!({ "cinecut": { "transition": blend, "centred_on_cut": true } }),
                name: name.into(),
                in_offset: rt(t.half() as f64, rate),
                out_offset: rt(t.half() as f64, rate),
                transition_type: kind,
            }));
        }
        match &e.what {
            What::Clip { src_in, notes } => {
                let from_s = *src_in as f64 / src_rate.fps();
                let until_s = from_s + e.frames() as f64 / rate.fps();
                // The film's story anchors that this clip shows, in the clip's source time.
                let markers = cl
                    .anchors
                    .iter()
                    .filter(|a| a.film_s >= from_s && a.film_s < until_s)
                    .map(|a| {
                        let at = (src_start as f64 * k + a.film_s * rate.fps()).round();
                        marker(&format!("Story anchor: {}", a.name), "", at, rate, "PURPLE")
                    })
                    .collect();
                children.push(Item::Clip(Clip {
                    metadata: json!({ "cinecut": {
                        "clip_index": notes.clip,
                        "act": notes.act.name(),
                        "beat_type": notes.beat_type,
                        "zone": notes.zone,
                        "money_shot_score": notes.score,
                        "reasoning": notes.reasoning,
                        "dialogue": notes.line,
                        "keep_audio": notes.keep_audio,
                        "record_in": timecode(cl.record_start() + e.rec_in, rate),
                    }}),
                    // Numbered as the manifest, the report and the other exports number clips.
                    name: format!(
                        "Clip {} ({}) · {}",
                        notes.clip + 1,
                        act_name(notes.act),
                        notes.beat_type.replace('_', " ")
                    ),
                    source_range: range((src_start + src_in) as f64 * k, e.frames() as f64, rate),
                    effects: vec![],
                    markers,
                    enabled: true,
                    media_references: reference(&cl.source, rate, src_start as f64 * k),
                    active_media_reference_key: "DEFAULT_MEDIA",
                }));
            }
            What::Black => children.push(gap(
                "Silence (black)",
                e.frames(),
                rate,
                json!({ "cinecut": { "kind": "silence" } }),
            )),
            What::Title { text, tagline } => children.push(gap(
                &format!("Title: {text}"),
                e.frames(),
                rate,
                json!({ "cinecut": { "kind": "title_card", "text": text, "tagline": tagline } }),
            )),
        }
    }
    let markers = cl
        .markers
        .iter()
        .map(|m| marker(&m.name, &m.note, m.at as f64, rate, "RED"))
        .collect();
    let mut tracks = vec![tagged(
        "Track.1",
        Track {
            metadata: json!({}),
            name: "Picture".into(),
            source_range: None,
            effects: vec![],
            markers,
            enabled: true,
            children,
            kind: "Video",
        },
    )];
    tracks.extend(audio_tracks(cl));
    let anchors: Vec<Value> = cl
        .anchors
        .iter()
        .map(|a| json!({ "name": a.name, "film_s": a.film_s }))
        .collect();
    let timeline = tagged(
        "Timeline.1",
        Timeline {
            metadata: json!({ "cinecut": {
                "vibe": cl.vibe,
                "source_file": cl.source.path.to_string_lossy(),
                "story_anchors": anchors,
                "generator": concat!("CineCut ", env!("CARGO_PKG_VERSION")),
            }}),
            name: cl.name.clone(),
            global_start_time: rt(cl.record_start() as f64, rate),
            tracks: tagged(
                "Stack.1",
                Stack {
                    metadata: json!({}),
                    name: "tracks",
                    source_range: None,
                    effects: vec![],
                    markers: vec![],
                    enabled: true,
                    children: tracks,
                },
            ),
        },
    );
    let mut text = serde_json::to_string_pretty(&timeline).expect("plain data serialises");
    text.push('\n');
    text
}

/// Each audio track on as many lanes as its overlapping sounds need; gaps between the sounds.
fn audio_tracks(cl: &CutList) -> Vec<Tagged<Track>> {
    let rate = cl.rate;
    let mut out = Vec::new();
    for track in &cl.audio {
        let lanes = lanes(&track.sounds);
        let numbered = lanes.len() > 1;
        for (n, lane) in lanes.iter().enumerate() {
            let mut children = Vec::new();
            let mut at = 0;
            for s in lane {
                if s.rec_in > at {
                    children.push(gap("", s.rec_in - at, rate, json!({})));
                }
                let (media, start) = match s.file {
                    SoundFile::Film => (&cl.source, cl.source_start() as f64),
                    SoundFile::Music => (cl.music.as_ref().unwrap_or(&cl.source), 0.0),
                    SoundFile::Effects => (cl.effects.as_ref().unwrap_or(&cl.source), 0.0),
                };
                // Film sound counts in the film's timecode; the start is carried over to the trailer's rate.
                let start = start * rate.fps() / cl.source_rate().fps();
                children.push(Item::Clip(Clip {
                    metadata: json!({ "cinecut": {
                        "gain_db": s.gain_db,
                        "fade_in_frames": s.fade_in_frames,
                        "fade_out_frames": s.fade_out_frames,
                    }}),
                    name: s.name.clone(),
                    source_range: range(start + s.file_s * rate.fps(), (s.rec_out - s.rec_in) as f64, rate),
                    effects: vec![],
                    markers: vec![],
                    enabled: true,
                    media_references: reference(media, rate, start),
                    active_media_reference_key: "DEFAULT_MEDIA",
                }));
                at = s.rec_out;
            }
            let name = if numbered {
                format!("{} {}", track.name, n + 1)
            } else {
                track.name.to_string()
            };
            out.push(tagged(
                "Track.1",
                Track {
                    metadata: json!({}),
                    name,
                    source_range: None,
                    effects: vec![],
                    markers: vec![],
                    enabled: true,
                    children,
                    kind: "Audio",
                },
            ));
        }
    }
    out
}
