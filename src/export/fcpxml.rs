//! FCPXML 1.10 for Final Cut Pro and DaVinci Resolve, written from the shared cut list (`cutlist.rs`; the OTIO
//! and EDL writers read the same model). Pure: a cut list in, text out; quick-xml does the escaping.
//!
//! The document is one project whose spine tiles the trailer: film clips are `asset-clip`s carrying the film's
//! sound at its gain, the silence is a `gap`, and transitions sit between spine items centred on their cuts
//! (FCPXML transitions overlap their neighbours, whose offsets stay on the cut). Voice lines, music and effects
//! are connected clips on negative lanes, hung on the spine item where they start. Times are exact rationals:
//! record times on the trailer's frame grid from 01:00:00:00, file times in samples.
//!
//! Choices a reader of the XML would otherwise have to guess:
//! - The title card is a `gap` with the Basic Title connected above it (lane 1), not a `title` in the spine: the
//!   title-card hit starts there, and a `title` hosting connected clips is what the OTIO FCPXML reader cannot
//!   resolve (it looks the parent's `ref` up as an asset). A title over a gap is also how editors build cards.
//! - Dips are Final Cut's Fade To Color with its color set, the form DaVinci Resolve writes for its own Dip To
//!   Color Dissolve. They carry no audio crossfade: the film sound's own fades on the clips are the audio dip.
//! - Effect uids are the ones Final Cut Pro writes (see the constants), not invented.

use std::fmt;
use std::io;
use std::ops::Add;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event as Xml};

use super::cutlist::{
    AudioTrack, Blend, ClipNotes, CutList, Event, Marker, Media, Sound, SoundFile, TransitionIn, What, act_name,
    drop_frame, lanes,
};
use super::file_url;
use crate::media::Rate;

// Final Cut Pro's own effect ids, as FCP-exported documents declare them (e.g. the FCP sample exports in
// TheAcharya/OpenFCPXMLKit `Tests/FCPXML Samples/FCPXML/24.fcpxml`, `TitlesRoles.fcpxml`).
const CROSS_DISSOLVE: &str = "FxPlug:4731E73A-8DAC-4113-9A30-AE85B1761265";
const AUDIO_CROSSFADE: &str = "FFAudioTransition";
const BASIC_TITLE: &str = ".../Titles.localized/Bumper:Opener.localized/Basic Title.localized/Basic Title.moti";
// As DaVinci Resolve exports a Dip To Color Dissolve for Final Cut (CommandPost/FCPCafe `docs/learn/immersive.md`),
// with its color as `param key="3"`; black and white read the same whether that value is RGB or RGBA.
const FADE_TO_COLOR: &str = "FxPlug:F779C565-486D-4633-8035-0374B4DB8F5C";

/// Final Cut's floor for a volume: what a clip whose film sound the trailer drops is set to.
const SILENT_DB: f64 = -96.0;
/// File times of sounds are written in samples at this rate when the file's own rate is unknown.
const AUDIO_HZ: u32 = 48_000;

/// The cut list as an FCPXML 1.10 document.
pub(super) fn write(cl: &CutList) -> String {
    let mut doc = Doc(Writer::new_with_indent(Vec::new(), b' ', 4));
    document(&mut doc, &Plan::new(cl)).expect("writing XML to memory cannot fail");
    let mut text = String::from_utf8(doc.0.into_inner()).expect("quick-xml writes the UTF-8 it is given");
    text.push('\n');
    text
}

/// A time in seconds as FCPXML writes it: an exact, reduced fraction (`1001/24000s`, `3600s`, `0s`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Time {
    num: u128,
    den: u128,
}

impl Time {
    const ZERO: Time = Time { num: 0, den: 1 };

    fn new(num: u128, den: u128) -> Time {
        let g = gcd(num, den).max(1);
        Time {
            num: num / g,
            den: den / g,
        }
    }

    /// `n` frames at `rate`.
    fn frames(n: u64, rate: Rate) -> Time {
        Time::new(u128::from(n) * u128::from(rate.den), u128::from(rate.num))
    }

    /// `s` seconds to the nearest sample at `hz`: file times need not fall on a frame.
    fn samples(s: f64, hz: u32) -> Time {
        Time::new((s.max(0.0) * f64::from(hz)).round() as u128, u128::from(hz))
    }
}

impl Add for Time {
    type Output = Time;

    fn add(self, o: Time) -> Time {
        Time::new(self.num * o.den + o.num * self.den, self.den * o.den)
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.num, self.den) {
            (0, _) => f.write_str("0s"),
            (n, 1) => write!(f, "{n}s"),
            (n, d) => write!(f, "{n}/{d}s"),
        }
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Resource ids, given out in the order the resources are written; `None` for what the cut list does not use.
struct Ids {
    sequence_format: String,
    source_format: Option<String>,
    source: String,
    music: Option<String>,
    effects: Option<String>,
    dissolve: Option<String>,
    crossfade: Option<String>,
    fade_to_color: Option<String>,
    title: Option<String>,
}

/// A connected sound and the lane it plays on.
struct Connected<'a> {
    lane: i32,
    sound: &'a Sound,
}

/// What is hung on each spine item, worked out before writing because the DTD fixes the order of children.
struct Plan<'a> {
    cl: &'a CutList,
    ids: Ids,
    film: Option<&'a AudioTrack>,
    connected: Vec<Vec<Connected<'a>>>,
    markers: Vec<Vec<&'a Marker>>,
}

impl<'a> Plan<'a> {
    fn new(cl: &'a CutList) -> Plan<'a> {
        let mut n = 0;
        let mut id = || {
            n += 1;
            format!("r{n}")
        };
        let blends = || cl.video.iter().filter_map(|e| e.transition_in.map(|t| t.blend));
        let dissolves = blends().any(|b| b == Blend::Dissolve);
        let film = cl.audio.iter().find(|t| t.name == "Film sound");
        let sequence_format = id();
        let source_format = cl
            .source
            .video
            .filter(|v| v.rate != cl.rate)
            .map(|_| id())
            .or_else(|| cl.source.video.map(|_| sequence_format.clone()));
        let ids = Ids {
            sequence_format,
            source_format,
            source: id(),
            music: cl.music.as_ref().map(|_| id()),
            effects: cl.effects.as_ref().map(|_| id()),
            dissolve: dissolves.then(&mut id),
            crossfade: (dissolves && film.is_some()).then(&mut id),
            fade_to_color: blends().any(|b| matches!(b, Blend::Dip { .. })).then(&mut id),
            title: cl
                .video
                .iter()
                .any(|e| matches!(e.what, What::Title { .. }))
                .then(&mut id),
        };
        let mut connected: Vec<Vec<Connected>> = cl.video.iter().map(|_| Vec::new()).collect();
        let mut markers: Vec<Vec<&Marker>> = cl.video.iter().map(|_| Vec::new()).collect();
        // One lane per checkerboard lane, track after track, going down: voice first, then music, then effects.
        let mut lane = 0;
        for track in cl.audio.iter().filter(|t| t.name != "Film sound") {
            for sounds in lanes(&track.sounds) {
                lane -= 1;
                for sound in sounds {
                    if let Some(i) = containing(&cl.video, sound.rec_in) {
                        connected[i].push(Connected { lane, sound });
                    }
                }
            }
        }
        for m in &cl.markers {
            if let Some(i) = containing(&cl.video, m.at) {
                markers[i].push(m);
            }
        }
        Plan {
            cl,
            ids,
            film,
            connected,
            markers,
        }
    }

    /// `n` trailer frames.
    fn span(&self, n: u64) -> Time {
        Time::frames(n, self.cl.rate)
    }

    /// Sequence time of trailer frame `n` (the sequence starts at 01:00:00:00).
    fn at(&self, n: u64) -> Time {
        self.span(self.cl.record_start() + n)
    }

    /// Where an item's own timeline starts: the film's time (its timecode included) for a clip, zero otherwise.
    fn item_start(&self, e: &Event) -> Time {
        match e.what {
            What::Clip { src_in, .. } => {
                let start = self.cl.source_start();
                Time::frames(start + src_in, self.cl.source_rate())
            }
            _ => Time::ZERO,
        }
    }

    /// Trailer frame `n` in the local time of the item `e`, which must contain it.
    fn local(&self, e: &Event, n: u64) -> Time {
        self.item_start(e) + self.span(n - e.rec_in)
    }
}

/// The spine item showing trailer frame `n` (the last one for the frame just after the end).
fn containing(video: &[Event], n: u64) -> Option<usize> {
    let i = video.partition_point(|e| e.rec_out <= n);
    (!video.is_empty()).then(|| i.min(video.len() - 1))
}

/// quick-xml's writer with the few shapes this document needs; attribute values and text are escaped by it.
struct Doc(Writer<Vec<u8>>);

type Attrs<'a> = [(&'a str, String)];

impl Doc {
    fn open(&mut self, name: &str, attrs: &Attrs) -> io::Result<()> {
        self.0.write_event(Xml::Start(tag(name, attrs)))
    }

    fn close(&mut self, name: &str) -> io::Result<()> {
        self.0.write_event(Xml::End(BytesEnd::new(name)))
    }

    fn empty(&mut self, name: &str, attrs: &Attrs) -> io::Result<()> {
        self.0.write_event(Xml::Empty(tag(name, attrs)))
    }

    /// `<name attrs>text</name>`.
    fn text(&mut self, name: &str, attrs: &Attrs, text: &str) -> io::Result<()> {
        self.open(name, attrs)?;
        self.0.write_event(Xml::Text(BytesText::new(&xml_chars(text))))?;
        self.close(name)
    }
}

fn tag<'a>(name: &'a str, attrs: &Attrs) -> BytesStart<'a> {
    let mut t = BytesStart::new(name);
    for (k, v) in attrs {
        t.push_attribute((*k, xml_chars(v).as_str()));
    }
    t
}

/// Without the control characters XML 1.0 cannot hold at all (they could come in with a film's subtitles).
fn xml_chars(s: &str) -> String {
    s.chars()
        .filter(|&c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

fn attr(k: &str, v: impl ToString) -> (&str, String) {
    (k, v.to_string())
}

fn document(doc: &mut Doc, p: &Plan) -> io::Result<()> {
    let cl = p.cl;
    doc.0
        .write_event(Xml::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    doc.0.write_event(Xml::DocType(BytesText::from_escaped("fcpxml")))?;
    doc.open("fcpxml", &[attr("version", "1.10")])?;
    resources(doc, p)?;
    doc.open("library", &[])?;
    doc.open("event", &[attr("name", &cl.name)])?;
    doc.open("project", &[attr("name", &cl.name)])?;
    doc.open(
        "sequence",
        &[
            attr("format", &p.ids.sequence_format),
            attr("duration", p.span(cl.frames)),
            attr("tcStart", p.at(0)),
            attr("tcFormat", if drop_frame(cl.rate) { "DF" } else { "NDF" }),
            attr("audioLayout", "stereo"),
            attr("audioRate", "48k"),
        ],
    )?;
    doc.text("note", &[], &sequence_note(cl))?;
    doc.open("spine", &[])?;
    for (i, e) in cl.video.iter().enumerate() {
        if let Some(t) = e.transition_in {
            transition(doc, p, i, t)?;
        }
        match &e.what {
            What::Clip { notes, .. } => film_clip(doc, p, i, notes)?,
            What::Black => gap(doc, p, i, "Silence")?,
            What::Title { .. } => gap(doc, p, i, "Title card")?,
        }
    }
    doc.close("spine")?;
    doc.close("sequence")?;
    doc.close("project")?;
    doc.close("event")?;
    doc.close("library")?;
    doc.close("fcpxml")
}

fn resources(doc: &mut Doc, p: &Plan) -> io::Result<()> {
    let cl = p.cl;
    let ids = &p.ids;
    doc.open("resources", &[])?;
    let format = |id: &str, rate: Rate| {
        let mut a = vec![attr("id", id), attr("frameDuration", Time::frames(1, rate))];
        // The sequence takes the film's picture size, so clips play unscaled.
        if let Some(v) = cl.source.video.filter(|v| v.width > 0 && v.height > 0) {
            a.extend([attr("width", v.width), attr("height", v.height)]);
        }
        a
    };
    doc.empty("format", &format(&ids.sequence_format, cl.rate))?;
    if let (Some(id), Some(v)) = (&ids.source_format, cl.source.video)
        && *id != ids.sequence_format
    {
        doc.empty("format", &format(id, v.rate))?;
    }
    asset(doc, &ids.source, &cl.source, ids.source_format.as_deref())?;
    for (id, media) in [(&ids.music, &cl.music), (&ids.effects, &cl.effects)] {
        if let (Some(id), Some(media)) = (id, media) {
            asset(doc, id, media, None)?;
        }
    }
    let effects = [
        (&ids.dissolve, "Cross Dissolve", CROSS_DISSOLVE),
        (&ids.crossfade, "Audio Crossfade", AUDIO_CROSSFADE),
        (&ids.fade_to_color, "Fade To Color", FADE_TO_COLOR),
        (&ids.title, "Basic Title", BASIC_TITLE),
    ];
    for (id, name, uid) in effects {
        if let Some(id) = id {
            doc.empty("effect", &[attr("id", id), attr("name", name), attr("uid", uid)])?;
        }
    }
    doc.close("resources")
}

/// A media file: the film (picture and sound, starting at its timecode) or a sound file.
fn asset(doc: &mut Doc, id: &str, m: &Media, format: Option<&str>) -> io::Result<()> {
    let mut a = vec![attr("id", id), attr("name", m.name())];
    match m.video {
        Some(v) => {
            a.push(attr("start", Time::frames(v.start_frame, v.rate)));
            a.push(attr("duration", Time::frames(m.frames(), v.rate)));
            a.push(attr("hasVideo", 1));
            if let Some(f) = format {
                a.push(attr("format", f));
            }
        }
        None => {
            a.push(attr("start", Time::ZERO));
            a.push(attr("duration", Time::samples(m.duration_s, audio_hz(m))));
        }
    }
    if let Some((hz, channels)) = m.audio {
        a.extend([
            attr("hasAudio", 1),
            attr("audioSources", 1),
            attr("audioChannels", channels),
        ]);
        a.push(attr("audioRate", hz));
    }
    if m.video.is_some() {
        a.push(attr("videoSources", 1));
    }
    doc.open("asset", &a)?;
    doc.empty(
        "media-rep",
        &[attr("kind", "original-media"), attr("src", file_url(&m.path))],
    )?;
    doc.close("asset")
}

fn audio_hz(m: &Media) -> u32 {
    m.audio.map_or(AUDIO_HZ, |(hz, _)| hz)
}

/// The transition into spine item `i`, centred on its cut; at the trailer's head only the half after it.
fn transition(doc: &mut Doc, p: &Plan, i: usize, t: TransitionIn) -> io::Result<()> {
    let cut = p.cl.video[i].rec_in;
    let (from, frames) = if i == 0 {
        (cut, t.half())
    } else {
        (cut.saturating_sub(t.half()), t.frames)
    };
    let name = match t.blend {
        Blend::Dissolve => "Cross Dissolve",
        Blend::Dip { white: false } => "Dip to black",
        Blend::Dip { white: true } => "Dip to white",
    };
    doc.open(
        "transition",
        &[
            attr("name", name),
            attr("offset", p.at(from)),
            attr("duration", p.span(frames)),
        ],
    )?;
    match (t.blend, &p.ids.fade_to_color, &p.ids.dissolve) {
        (Blend::Dip { white }, Some(id), _) => {
            doc.open("filter-video", &[attr("ref", id), attr("name", "Fade To Color")])?;
            let color = if white { "1 1 1 1" } else { "0 0 0 1" };
            doc.empty("param", &[attr("name", "color"), attr("key", 3), attr("value", color)])?;
            doc.close("filter-video")?;
        }
        (Blend::Dissolve, _, Some(id)) => {
            doc.empty("filter-video", &[attr("ref", id), attr("name", "Cross Dissolve")])?;
            if let Some(id) = &p.ids.crossfade {
                doc.empty("filter-audio", &[attr("ref", id), attr("name", "Audio Crossfade")])?;
            }
        }
        _ => {}
    }
    doc.close("transition")
}

/// A film clip in the spine, with its film sound's level, the reasons it was chosen and what hangs on it.
fn film_clip(doc: &mut Doc, p: &Plan, i: usize, notes: &ClipNotes) -> io::Result<()> {
    let e = &p.cl.video[i];
    let start = p.item_start(e);
    let duration = p.span(e.frames());
    doc.open(
        "asset-clip",
        &[
            attr("ref", &p.ids.source),
            attr("offset", p.at(e.rec_in)),
            attr("name", format!("Clip {} ({})", notes.clip + 1, act_name(notes.act))),
            attr("start", start),
            attr("duration", duration),
            attr("audioRole", "dialogue"),
        ],
    )?;
    doc.text("note", &[], &clip_note(notes))?;
    if p.cl.source.audio.is_some()
        && let Some(track) = p.film
    {
        match film_sound(track, e) {
            Some(s) => {
                // Fades at the clip's own edges only: past an edge the sound overlaps a neighbour, and the
                // transition's audio crossfade is that overlap.
                let fade_in = if s.rec_in >= e.rec_in { s.fade_in_frames } else { 0 };
                let fade_out = if s.rec_out <= e.rec_out { s.fade_out_frames } else { 0 };
                volume(
                    doc,
                    p,
                    s.gain_db,
                    fade_in.min(e.frames()),
                    fade_out.min(e.frames()),
                    "linear",
                )?;
            }
            // The trailer keeps none of this clip's sound.
            None => volume(doc, p, SILENT_DB, 0, 0, "linear")?,
        }
    }
    connected(doc, p, i)?;
    markers(doc, p, i)?;
    let mut keywords = vec![act_name(notes.act).to_string(), notes.beat_type.clone()];
    keywords.extend(notes.zone.clone());
    let keywords = keywords
        .into_iter()
        .filter(|k| !k.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    doc.empty(
        "keyword",
        &[
            attr("start", start),
            attr("duration", duration),
            attr("value", keywords),
        ],
    )?;
    doc.close("asset-clip")
}

/// The film-sound cut that plays most of event `e`.
fn film_sound<'a>(track: &'a AudioTrack, e: &Event) -> Option<&'a Sound> {
    let overlap = |s: &Sound| s.rec_out.min(e.rec_out).saturating_sub(s.rec_in.max(e.rec_in));
    track
        .sounds
        .iter()
        .filter(|s| overlap(s) > 0)
        .max_by_key(|s| overlap(s))
}

/// `adjust-volume` with its fades (Final Cut's `param name="amount"` form), unless it would change nothing.
fn volume(doc: &mut Doc, p: &Plan, gain_db: f64, fade_in: u64, fade_out: u64, shape: &str) -> io::Result<()> {
    let gain = db(gain_db);
    if gain == "0dB" && fade_in == 0 && fade_out == 0 {
        return Ok(());
    }
    let amount = [attr("amount", gain)];
    if fade_in == 0 && fade_out == 0 {
        return doc.empty("adjust-volume", &amount);
    }
    doc.open("adjust-volume", &amount)?;
    doc.open("param", &[attr("name", "amount")])?;
    if fade_in > 0 {
        doc.empty("fadeIn", &[attr("type", shape), attr("duration", p.span(fade_in))])?;
    }
    if fade_out > 0 {
        doc.empty("fadeOut", &[attr("type", shape), attr("duration", p.span(fade_out))])?;
    }
    doc.close("param")?;
    doc.close("adjust-volume")
}

/// Decibels as Final Cut writes them (`-12dB`), to the hundredth, no lower than its floor.
fn db(gain: f64) -> String {
    let g = (gain.max(SILENT_DB) * 100.0).round() / 100.0;
    if g == 0.0 { "0dB".into() } else { format!("{g}dB") }
}

/// A spine gap: the silence, or the title card under its title.
fn gap(doc: &mut Doc, p: &Plan, i: usize, name: &str) -> io::Result<()> {
    let e = &p.cl.video[i];
    let duration = p.span(e.frames());
    doc.open(
        "gap",
        &[
            attr("name", name),
            attr("offset", p.at(e.rec_in)),
            attr("duration", duration),
        ],
    )?;
    if let What::Title { text, tagline } = &e.what
        && let Some(id) = &p.ids.title
    {
        title(doc, id, i, text, tagline.as_deref(), duration)?;
    }
    connected(doc, p, i)?;
    markers(doc, p, i)?;
    doc.close("gap")
}

/// The Basic Title on lane 1 over its gap: the title, and the tagline as a smaller second line.
fn title(doc: &mut Doc, id: &str, i: usize, text: &str, tagline: Option<&str>, duration: Time) -> io::Result<()> {
    let a = [
        attr("ref", id),
        attr("lane", 1),
        attr("offset", Time::ZERO),
        attr("name", if text.is_empty() { "Title card" } else { text }),
        attr("duration", duration),
    ];
    doc.open("title", &a)?;
    // Style ids are document-wide XML ids, so each card numbers its own.
    let (title_style, tagline_style) = (format!("ts{i}a"), format!("ts{i}b"));
    doc.open("text", &[])?;
    doc.text("text-style", &[attr("ref", &title_style)], text)?;
    if let Some(t) = tagline {
        doc.text("text-style", &[attr("ref", &tagline_style)], &format!("\n{t}"))?;
    }
    doc.close("text")?;
    for (id, size, face, used) in [
        (&title_style, 63, "Bold", true),
        (&tagline_style, 36, "Regular", tagline.is_some()),
    ] {
        if !used {
            continue;
        }
        doc.open("text-style-def", &[attr("id", id)])?;
        doc.empty(
            "text-style",
            &[
                attr("font", "Helvetica"),
                attr("fontSize", size),
                attr("fontFace", face),
                attr("fontColor", "1 1 1 1"),
                attr("alignment", "center"),
            ],
        )?;
        doc.close("text-style-def")?;
    }
    doc.close("title")
}

/// The voice lines, music and effects that start on spine item `i`, placed in its local time.
fn connected(doc: &mut Doc, p: &Plan, i: usize) -> io::Result<()> {
    let cl = p.cl;
    let e = &cl.video[i];
    for c in &p.connected[i] {
        let s = c.sound;
        let (id, media, role) = match s.file {
            SoundFile::Film => (Some(&p.ids.source), Some(&cl.source), "dialogue"),
            SoundFile::Music => (p.ids.music.as_ref(), cl.music.as_ref(), "music"),
            SoundFile::Effects => (p.ids.effects.as_ref(), cl.effects.as_ref(), "effects"),
        };
        let (Some(id), Some(media)) = (id, media) else { continue };
        // File times are exact to the sample; the film's also count from its timecode.
        let timecode = media.video.map_or(Time::ZERO, |v| Time::frames(v.start_frame, v.rate));
        let mut a = vec![
            attr("ref", id),
            attr("lane", c.lane),
            attr("offset", p.local(e, s.rec_in)),
            attr("name", &s.name),
            attr("start", timecode + Time::samples(s.file_s, audio_hz(media))),
            attr("duration", p.span(s.rec_out - s.rec_in)),
        ];
        if s.file == SoundFile::Film {
            a.push(attr("srcEnable", "audio"));
        }
        a.push(attr("audioRole", role));
        let frames = s.rec_out - s.rec_in;
        let (fade_in, fade_out) = (s.fade_in_frames.min(frames), s.fade_out_frames.min(frames));
        if db(s.gain_db) == "0dB" && fade_in == 0 && fade_out == 0 {
            doc.empty("asset-clip", &a)?;
        } else {
            doc.open("asset-clip", &a)?;
            // The music's fades are equal-power (Final Cut's +3 dB, `easeIn`); the other sounds' are linear.
            let shape = if s.file == SoundFile::Music { "easeIn" } else { "linear" };
            volume(doc, p, s.gain_db, fade_in, fade_out, shape)?;
            doc.close("asset-clip")?;
        }
    }
    Ok(())
}

/// The cut list's markers on spine item `i`, one frame long, in its local time.
fn markers(doc: &mut Doc, p: &Plan, i: usize) -> io::Result<()> {
    let e = &p.cl.video[i];
    for m in &p.markers[i] {
        let at = m.at.clamp(e.rec_in, e.rec_out.saturating_sub(1).max(e.rec_in));
        let mut a = vec![
            attr("start", p.local(e, at)),
            attr("duration", p.span(1)),
            attr("value", &m.name),
        ];
        if !m.note.is_empty() {
            a.push(attr("note", &m.note));
        }
        doc.empty("marker", &a)?;
    }
    Ok(())
}

/// Why the clip is in the trailer, for the editor's inspector.
fn clip_note(n: &ClipNotes) -> String {
    let mut head = vec![act_name(n.act).to_string(), format!("beat: {}", n.beat_type)];
    head.extend(n.zone.as_ref().map(|z| format!("zone: {z}")));
    head.extend(n.score.map(|s| format!("score {s:.2}")));
    if n.keep_audio {
        head.push("plays its own line".into());
    }
    let mut out = head.join(" · ");
    if !n.line.is_empty() {
        out.push_str(&format!("\nLine: \u{201c}{}\u{201d}", n.line));
    }
    if let Some(r) = n.reasoning.as_deref().filter(|r| !r.is_empty()) {
        out.push_str(&format!("\nWhy: {r}"));
    }
    out
}

fn sequence_note(cl: &CutList) -> String {
    let mut out = format!("CineCut {} trailer of {}.", cl.vibe, cl.source.name());
    if !cl.anchors.is_empty() {
        let anchors: Vec<String> = cl
            .anchors
            .iter()
            .map(|a| format!("{} {:.1} s", a.name, a.film_s))
            .collect();
        out.push_str(&format!(" Story anchors (film time): {}.", anchors.join(", ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use quick_xml::escape::resolve_predefined_entity;
    use quick_xml::events::Event as X;
    use quick_xml::{Reader, XmlVersion};

    use super::*;
    use crate::export::cutlist::{self, Picture};
    use crate::story::Act;

    /// The written document as a tree, to assert on structure rather than text.
    #[derive(Debug, Default)]
    struct Node {
        name: String,
        attrs: Vec<(String, String)>,
        text: String,
        children: Vec<Node>,
    }

    impl Node {
        fn get(&self, k: &str) -> &str {
            let found = self.attrs.iter().find(|(a, _)| a == k);
            found.map_or_else(|| panic!("<{}> has no {k}", self.name), |(_, v)| v.as_str())
        }

        fn has(&self, k: &str) -> bool {
            self.attrs.iter().any(|(a, _)| a == k)
        }

        fn child(&self, name: &str) -> &Node {
            self.children
                .iter()
                .find(|c| c.name == name)
                .unwrap_or_else(|| panic!("no <{name}> in <{}>", self.name))
        }

        fn names(&self) -> Vec<&str> {
            self.children.iter().map(|c| c.name.as_str()).collect()
        }

        fn find(&self, path: &[&str]) -> &Node {
            path.iter().fold(self, |n, p| n.child(p))
        }

        fn walk<'a>(&'a self, out: &mut Vec<&'a Node>) {
            out.push(self);
            for c in &self.children {
                c.walk(out);
            }
        }
    }

    fn parse(xml: &str) -> Node {
        let mut reader = Reader::from_str(xml);
        let mut stack = vec![Node::default()];
        let node = |e: &quick_xml::events::BytesStart| Node {
            name: e.name().as_ref().to_string(),
            attrs: e
                .attributes()
                .map(|a| {
                    let a = a.unwrap();
                    let v = a.normalized_value(XmlVersion::Explicit1_0).unwrap().into_owned();
                    (a.key.as_ref().to_string(), v)
                })
                .collect(),
            ..Node::default()
        };
        loop {
            match reader.read_event().unwrap() {
                X::Start(e) => stack.push(node(&e)),
                X::Empty(e) => {
                    let n = node(&e);
                    stack.last_mut().unwrap().children.push(n);
                }
                X::End(_) => {
                    let n = stack.pop().unwrap();
                    stack.last_mut().unwrap().children.push(n);
                }
                X::Text(t) => stack.last_mut().unwrap().text.push_str(&t.xml10_content()),
                X::GeneralRef(r) => {
                    let name = r.xml10_content();
                    let text = match r.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => resolve_predefined_entity(&name)
                            .expect("only XML's own entities")
                            .to_string(),
                    };
                    stack.last_mut().unwrap().text.push_str(&text);
                }
                X::Eof => break,
                _ => {}
            }
        }
        assert_eq!(stack.len(), 1, "unclosed elements");
        stack.pop().unwrap().children.pop().expect("a root element")
    }

    fn notes(clip: usize, act: Act) -> Box<ClipNotes> {
        Box::new(ClipNotes {
            clip,
            act,
            beat_type: "reveal".into(),
            zone: Some("setup".into()),
            score: Some(0.8125),
            reasoning: Some("the <hero> & her \"why\"".into()),
            line: "We have to follow our passions.".into(),
            keep_audio: true,
        })
    }

    fn event(rec_in: u64, rec_out: u64, what: What, transition_in: Option<TransitionIn>) -> Event {
        Event {
            rec_in,
            rec_out,
            what,
            transition_in,
        }
    }

    fn sound(rec_in: u64, rec_out: u64, file: SoundFile, file_s: f64, gain_db: f64) -> Sound {
        Sound {
            rec_in,
            rec_out,
            file,
            file_s,
            name: format!("{file:?} at {rec_in}"),
            gain_db,
            fade_in_frames: 0,
            fade_out_frames: 0,
        }
    }

    fn wav(name: &str) -> Media {
        Media {
            path: PathBuf::from(format!("/work/my film/sound/{name}")),
            duration_s: 10.0,
            video: None,
            audio: Some((48_000, 2)),
        }
    }

    /// A small trailer at `rate`: two clips with a dissolve, the silence, a clip dipped from black, the title
    /// card, and a button dipped from white; sounds on every track, and a film carrying timecode 01:00:00:00.
    fn sample(rate: Rate) -> CutList {
        let dissolve = |frames| {
            Some(TransitionIn {
                blend: Blend::Dissolve,
                frames,
            })
        };
        let dip = |white, frames| {
            Some(TransitionIn {
                blend: Blend::Dip { white },
                frames,
            })
        };
        let clip = |src_in, i, act| What::Clip {
            src_in,
            notes: notes(i, act),
        };
        let mut film = vec![
            sound(0, 54, SoundFile::Film, 4.0, 0.0),
            sound(42, 96, SoundFile::Film, 20.5, -12.0),
            sound(216, 240, SoundFile::Film, 50.0, 0.0),
        ];
        film[0].fade_out_frames = 12;
        film[1].fade_in_frames = 12;
        film[2].fade_in_frames = 3;
        let mut music = vec![
            sound(0, 96, SoundFile::Music, 0.0, 0.0),
            sound(120, 240, SoundFile::Music, 5.0, 0.0),
        ];
        music[1].fade_out_frames = 24;
        let source = Media {
            path: PathBuf::from("/work/my film/Tears & Steel.mp4"),
            duration_s: 734.19,
            video: Some(Picture {
                rate,
                width: 1280,
                height: 534,
                start_frame: 3600 * cutlist::nominal_fps(rate),
            }),
            audio: Some((48_000, 2)),
        };
        CutList {
            name: "Tears & <Steel> (drama trailer)".into(),
            vibe: "drama".into(),
            rate,
            frames: 240,
            source,
            music: Some(wav("bed.wav")),
            effects: Some(wav("sfx.wav")),
            video: vec![
                event(0, 48, clip(100, 0, Act::ColdOpen), None),
                event(48, 96, clip(500, 1, Act::Act1), dissolve(12)),
                event(96, 120, What::Black, None),
                event(120, 168, clip(900, 2, Act::Act3), dip(false, 8)),
                event(
                    168,
                    216,
                    What::Title {
                        text: "Night Run".into(),
                        tagline: Some("Run & hide".into()),
                    },
                    None,
                ),
                event(216, 240, clip(1200, 3, Act::Button), dip(true, 6)),
            ],
            audio: vec![
                AudioTrack {
                    name: "Film sound",
                    sounds: film,
                },
                AudioTrack {
                    name: "Voice lines",
                    sounds: vec![sound(60, 80, SoundFile::Film, 321.123_456, 0.0)],
                },
                AudioTrack {
                    name: "Music",
                    sounds: music,
                },
                AudioTrack {
                    name: "Effects",
                    sounds: vec![
                        sound(90, 130, SoundFile::Effects, 3.75, -6.0),
                        sound(168, 200, SoundFile::Effects, 7.0, 0.0),
                    ],
                },
            ],
            markers: vec![
                Marker {
                    at: 0,
                    name: "Cold open".into(),
                    note: String::new(),
                },
                Marker {
                    at: 96,
                    name: "Silence".into(),
                    note: "picture & music stop".into(),
                },
                Marker {
                    at: 130,
                    name: "Act 3".into(),
                    note: String::new(),
                },
                Marker {
                    at: 168,
                    name: "Title card".into(),
                    note: "Night Run".into(),
                },
            ],
            anchors: Vec::new(),
        }
    }

    fn spine(doc: &Node) -> &Node {
        doc.find(&["library", "event", "project", "sequence", "spine"])
    }

    #[test]
    fn times_are_exact_reduced_fractions() {
        assert_eq!(Time::frames(1, Rate::new(24, 1)).to_string(), "1/24s");
        assert_eq!(Time::frames(1, Rate::new(24000, 1001)).to_string(), "1001/24000s");
        assert_eq!(Time::frames(1, Rate::new(30000, 1001)).to_string(), "1001/30000s");
        assert_eq!(Time::frames(86_400, Rate::new(24, 1)).to_string(), "3600s");
        // 01:00:00:00 at 23.976 is 86,400 frames of 1001/24000 s: 3603.6 s, as Final Cut writes it.
        assert_eq!(Time::frames(86_400, Rate::new(24000, 1001)).to_string(), "18018/5s");
        assert_eq!(Time::frames(0, Rate::new(25, 1)).to_string(), "0s");
        assert_eq!(Time::frames(36, Rate::new(24, 1)).to_string(), "3/2s");
        assert_eq!(Time::samples(0.5, 48_000).to_string(), "1/2s");
        assert_eq!(Time::samples(7.0 / 48_000.0, 48_000).to_string(), "7/48000s");
        assert_eq!(Time::samples(-1e-12, 48_000), Time::ZERO);
        let sum = Time::frames(1, Rate::new(30000, 1001)) + Time::samples(1.0 / 48_000.0, 48_000);
        // 1001/30000 + 1/48000 = (8008 + 5) / 240000 = 2671/80000.
        assert_eq!(sum.to_string(), "2671/80000s");
        assert_eq!(
            (Time::frames(1, Rate::new(24, 1)) + Time::frames(1, Rate::new(24, 1))).to_string(),
            "1/12s"
        );
    }

    #[test]
    fn every_time_is_an_exact_rational_and_every_gain_in_decibels() {
        for rate in [
            Rate::new(24, 1),
            Rate::new(24000, 1001),
            Rate::new(30000, 1001),
            Rate::new(25, 1),
        ] {
            let doc = parse(&write(&sample(rate)));
            let mut all = Vec::new();
            doc.walk(&mut all);
            for n in all {
                for (k, v) in &n.attrs {
                    if ["offset", "start", "duration", "tcStart", "frameDuration"].contains(&k.as_str()) {
                        let t = v.strip_suffix('s').unwrap_or_else(|| panic!("{k}={v}"));
                        let (num, den) = t.split_once('/').unwrap_or((t, "1"));
                        let (num, den): (u128, u128) = (num.parse().unwrap(), den.parse().unwrap());
                        assert!(den > 0 && gcd(num, den) == 1 || num == 0 && v == "0s", "{k}={v}");
                        assert!(v != "0/1s" && !v.ends_with("/1s"), "{k}={v} not in lowest terms");
                    }
                    if k == "amount" {
                        assert!(v.ends_with("dB") && v[..v.len() - 2].parse::<f64>().is_ok(), "{v}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_spine_tiles_the_trailer_from_one_hour() {
        let cl = sample(Rate::new(24, 1));
        let doc = parse(&write(&cl));
        assert_eq!(doc.name, "fcpxml");
        assert_eq!(doc.get("version"), "1.10");
        let seq = doc.find(&["library", "event", "project", "sequence"]);
        assert_eq!(seq.get("tcStart"), "3600s");
        assert_eq!(seq.get("tcFormat"), "NDF");
        assert_eq!(seq.get("duration"), "10s");
        assert_eq!(seq.names(), ["note", "spine"]);
        let spine = spine(&doc);
        assert_eq!(
            spine.names(),
            [
                "asset-clip",
                "transition",
                "asset-clip",
                "gap",
                "transition",
                "asset-clip",
                "gap",
                "transition",
                "asset-clip"
            ]
        );
        let items: Vec<&Node> = spine.children.iter().filter(|c| c.name != "transition").collect();
        for (item, e) in items.iter().zip(&cl.video) {
            assert_eq!(item.get("offset"), Time::frames(86_400 + e.rec_in, cl.rate).to_string());
            assert_eq!(item.get("duration"), Time::frames(e.frames(), cl.rate).to_string());
        }
        // Source frame 100 of a film whose timecode starts at 01:00:00:00.
        assert_eq!(items[0].get("start"), "21625/6s");
        assert_eq!(items[0].get("ref"), doc.child("resources").children[1].get("id"));
        assert_eq!(items[2].get("name"), "Silence");
        assert_eq!(items[4].get("name"), "Title card");
    }

    #[test]
    fn transitions_are_centred_on_their_cuts() {
        let doc = parse(&write(&sample(Rate::new(24, 1))));
        let spine = spine(&doc);
        let transitions: Vec<&Node> = spine.children.iter().filter(|c| c.name == "transition").collect();
        // A 12-frame dissolve on the cut at frame 48 starts 6 frames before it.
        assert_eq!(transitions[0].get("name"), "Cross Dissolve");
        assert_eq!(
            transitions[0].get("offset"),
            Time::frames(86_400 + 42, Rate::new(24, 1)).to_string()
        );
        assert_eq!(transitions[0].get("duration"), "1/2s");
        assert_eq!(transitions[0].names(), ["filter-video", "filter-audio"]);
        assert_eq!(transitions[1].get("name"), "Dip to black");
        assert_eq!(
            transitions[1].get("offset"),
            Time::frames(86_400 + 116, Rate::new(24, 1)).to_string()
        );
        assert_eq!(transitions[1].get("duration"), "1/3s");
        let fade = transitions[1].child("filter-video");
        assert_eq!(fade.get("name"), "Fade To Color");
        assert_eq!(fade.child("param").get("value"), "0 0 0 1");
        assert_eq!(
            transitions[1].names(),
            ["filter-video"],
            "a dip's audio is the clips' own fades"
        );
        assert_eq!(transitions[2].get("name"), "Dip to white");
        assert_eq!(
            transitions[2].child("filter-video").child("param").get("value"),
            "1 1 1 1"
        );
        // Each filter names a declared effect with Final Cut's uid.
        let effects: Vec<&Node> = doc
            .child("resources")
            .children
            .iter()
            .filter(|c| c.name == "effect")
            .collect();
        let uid = |id: &str| {
            effects
                .iter()
                .find(|e| e.get("id") == id)
                .map(|e| e.get("uid"))
                .unwrap()
        };
        assert_eq!(uid(transitions[0].child("filter-video").get("ref")), CROSS_DISSOLVE);
        assert_eq!(uid(transitions[0].child("filter-audio").get("ref")), AUDIO_CROSSFADE);
        assert_eq!(uid(fade.get("ref")), FADE_TO_COLOR);
    }

    #[test]
    fn clips_keep_the_dtds_child_order_and_their_film_sound_level() {
        let doc = parse(&write(&sample(Rate::new(24, 1))));
        let spine = spine(&doc);
        let clips: Vec<&Node> = spine.children.iter().filter(|c| c.name == "asset-clip").collect();
        // note, intrinsic audio params, anchored items, markers: the order asset-clip's content model fixes.
        assert_eq!(clips[3].names(), ["note", "adjust-volume", "keyword"]);
        // Its sound runs on past the dissolve at its end, so the clip itself neither fades nor changes level.
        assert_eq!(clips[0].names(), ["note", "asset-clip", "marker", "keyword"]);
        let fade_in = clips[3].find(&["adjust-volume", "param", "fadeIn"]);
        assert_eq!((fade_in.get("type"), fade_in.get("duration")), ("linear", "1/8s"));
        assert_eq!(clips[3].child("adjust-volume").get("amount"), "0dB");
        // The -12 dB sound crosses into this clip under the dissolve: its gain, and no fade at the cut.
        assert_eq!(clips[1].child("adjust-volume").get("amount"), "-12dB");
        assert!(clips[1].child("adjust-volume").children.is_empty());
        // No film sound under this clip in the trailer: silent.
        assert_eq!(clips[2].child("adjust-volume").get("amount"), "-96dB");
        let note = &clips[1].child("note").text;
        assert!(
            note.starts_with("Act 1 · beat: reveal · zone: setup · score 0.81 · plays its own line"),
            "{note}"
        );
        assert!(note.contains("Why: the <hero> & her \"why\""), "{note}");
        assert_eq!(clips[1].child("keyword").get("value"), "Act 1, reveal, setup");
        assert_eq!(clips[1].child("keyword").get("start"), clips[1].get("start"));
    }

    #[test]
    fn connected_sounds_hang_on_the_item_where_they_start_in_its_local_time() {
        let cl = sample(Rate::new(24, 1));
        let doc = parse(&write(&cl));
        let spine = spine(&doc);
        let items: Vec<&Node> = spine.children.iter().filter(|c| c.name != "transition").collect();
        fn lane<'a>(n: &'a Node, lane: &str) -> Vec<&'a Node> {
            n.children
                .iter()
                .filter(|c| c.name == "asset-clip" && c.get("lane") == lane)
                .collect()
        }
        let r = cl.rate;
        // Voice on lane -1: the film's sound only, from a sub-frame file time, exact to the sample.
        let voice = lane(items[1], "-1");
        assert_eq!(voice.len(), 1);
        assert_eq!(voice[0].get("srcEnable"), "audio");
        // 12 frames into a clip whose own time starts at source frame 500 of a film at 01:00:00:00.
        assert_eq!(
            voice[0].get("offset"),
            (Time::frames(86_900, r) + Time::frames(12, r)).to_string()
        );
        let file = Time::frames(86_400, r) + Time::samples(321.123_456, 48_000);
        assert_eq!(voice[0].get("start"), file.to_string());
        assert_eq!(file.to_string(), "94106963/24000s");
        // Music below the voice, effects below the music; one lane each, as they do not overlap.
        assert_eq!(lane(items[0], "-2").len(), 1);
        assert_eq!(lane(items[3], "-2")[0].get("offset"), items[3].get("start"));
        let music_fade = lane(items[3], "-2")[0].find(&["adjust-volume", "param", "fadeOut"]);
        assert_eq!((music_fade.get("type"), music_fade.get("duration")), ("easeIn", "1s"));
        let sfx = lane(items[1], "-3");
        assert_eq!(
            sfx[0].get("offset"),
            (Time::frames(86_900, r) + Time::frames(42, r)).to_string()
        );
        assert_eq!(sfx[0].child("adjust-volume").get("amount"), "-6dB");
        assert_eq!(sfx[0].get("duration"), "5/3s");
        // The title-card hit hangs on the card's gap, under the title.
        let card = items[4];
        assert_eq!(card.names(), ["title", "asset-clip", "marker"]);
        assert_eq!(lane(card, "-3")[0].get("offset"), "0s");
    }

    #[test]
    fn the_title_card_is_a_basic_title_over_its_gap() {
        let doc = parse(&write(&sample(Rate::new(24, 1))));
        let card = &spine(&doc).children[6];
        let title = card.child("title");
        assert_eq!(
            (title.get("lane"), title.get("offset"), title.get("duration")),
            ("1", "0s", "2s")
        );
        assert_eq!(title.names(), ["text", "text-style-def", "text-style-def"]);
        let runs: Vec<&str> = title.child("text").children.iter().map(|r| r.text.as_str()).collect();
        assert_eq!(runs, ["Night Run", "\nRun & hide"]);
        let effect = doc
            .child("resources")
            .children
            .iter()
            .find(|e| e.has("uid") && e.get("id") == title.get("ref"));
        assert_eq!(effect.unwrap().get("uid"), BASIC_TITLE);
    }

    #[test]
    fn markers_sit_one_frame_long_in_their_items_local_time() {
        let doc = parse(&write(&sample(Rate::new(24, 1))));
        let items: Vec<&Node> = spine(&doc).children.iter().filter(|c| c.name != "transition").collect();
        let silence = items[2].child("marker");
        assert_eq!((silence.get("start"), silence.get("duration")), ("0s", "1/24s"));
        assert_eq!(
            (silence.get("value"), silence.get("note")),
            ("Silence", "picture & music stop")
        );
        // Act 3 at frame 130, ten frames into a clip from source frame 900 of a film starting at 01:00:00:00.
        let act3 = items[3].child("marker");
        assert_eq!(
            act3.get("start"),
            Time::frames(86_400 + 900 + 10, Rate::new(24, 1)).to_string()
        );
        assert!(!act3.has("note"));
    }

    #[test]
    fn ntsc_rates_write_their_frame_durations_and_drop_frame_timecode() {
        let doc = parse(&write(&sample(Rate::new(30000, 1001))));
        let seq = doc.find(&["library", "event", "project", "sequence"]);
        assert_eq!(seq.get("tcFormat"), "DF");
        assert_eq!(
            seq.get("tcStart"),
            Time::frames(107_892, Rate::new(30000, 1001)).to_string()
        );
        let format = doc.child("resources").child("format");
        assert_eq!(
            (format.get("frameDuration"), format.get("width"), format.get("height")),
            ("1001/30000s", "1280", "534")
        );
        let doc = parse(&write(&sample(Rate::new(24000, 1001))));
        let seq = doc.find(&["library", "event", "project", "sequence"]);
        assert_eq!((seq.get("tcFormat"), seq.get("tcStart")), ("NDF", "18018/5s"));
        // 240 frames of 1001/24000 s.
        assert_eq!(seq.get("duration"), "1001/100s");
    }

    #[test]
    fn a_film_at_another_rate_gets_its_own_format() {
        let mut cl = sample(Rate::new(24, 1));
        if let Some(v) = cl.source.video.as_mut() {
            v.rate = Rate::new(25, 1);
            v.start_frame = 0;
        }
        let doc = parse(&write(&cl));
        let resources = doc.child("resources");
        let formats: Vec<&Node> = resources.children.iter().filter(|c| c.name == "format").collect();
        assert_eq!(formats.len(), 2);
        assert_eq!(formats[1].get("frameDuration"), "1/25s");
        let source = resources.child("asset");
        assert_eq!(
            (source.get("format"), source.get("start")),
            (formats[1].get("id"), "0s")
        );
        assert_eq!(
            source.child("media-rep").get("src"),
            "file:///work/my%20film/Tears%20%26%20Steel.mp4"
        );
        // Source frame 100 at 25 fps.
        assert_eq!(spine(&doc).children[0].get("start"), "4s");
    }

    #[test]
    fn names_and_notes_are_escaped_by_the_writer() {
        let xml = write(&sample(Rate::new(24, 1)));
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE fcpxml>\n<fcpxml"));
        assert!(
            xml.contains("name=\"Tears &amp; &lt;Steel&gt; (drama trailer)\""),
            "{xml}"
        );
        let doc = parse(&xml);
        assert_eq!(
            doc.find(&["library", "event"]).get("name"),
            "Tears & <Steel> (drama trailer)"
        );
    }

    #[test]
    fn a_cut_list_without_sound_or_extras_still_writes_a_valid_shape() {
        let mut cl = sample(Rate::new(25, 1));
        cl.source.audio = None;
        cl.music = None;
        cl.effects = None;
        cl.audio.clear();
        cl.video.retain(|e| matches!(e.what, What::Clip { .. }));
        let doc = parse(&write(&cl));
        let resources = doc.child("resources");
        assert_eq!(resources.names(), ["format", "asset", "effect", "effect"]);
        assert!(!resources.child("asset").has("hasAudio"));
        // Dissolves without film sound have no audio crossfade to declare.
        assert!(
            spine(&doc)
                .children
                .iter()
                .all(|c| !c.names().contains(&"filter-audio"))
        );
        assert!(
            spine(&doc)
                .children
                .iter()
                .all(|c| !c.names().contains(&"adjust-volume"))
        );
    }

    /// Writes the sample at three rates, and the Tears of Steel demo's cut list when its work dir is there, for
    /// the checks that need outside tools: `xmllint --dtdvalid` with Apple's DTD, and OpenTimelineIO's reader.
    #[test]
    #[ignore = "writes files for external validation"]
    fn write_documents_for_external_validation() {
        let out = std::env::var_os("FCPXML_OUT").map_or_else(std::env::temp_dir, PathBuf::from);
        for (name, rate) in [
            ("24", Rate::new(24, 1)),
            ("23976", Rate::new(24000, 1001)),
            ("2997df", Rate::new(30000, 1001)),
        ] {
            std::fs::write(out.join(format!("sample-{name}.fcpxml")), write(&sample(rate))).unwrap();
        }
        let work = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/tears_of_steel_cinecut_work");
        if !work.is_dir() {
            return;
        }
        let tl: crate::timeline::Timeline =
            serde_json::from_str(&std::fs::read_to_string(work.join("timeline.json")).unwrap()).unwrap();
        let m = crate::story::Manifest::load(&work.join("TRAILER_MANIFEST.json"), None).unwrap();
        let source = Media {
            path: work.parent().unwrap().join("tears_of_steel.mp4"),
            duration_s: 734.19,
            video: Some(Picture {
                rate: Rate::new(24, 1),
                width: 1280,
                height: 534,
                start_frame: 0,
            }),
            audio: Some((48_000, 2)),
        };
        let sound = |name: &str| Media {
            path: work.join("sound").join(name),
            duration_s: tl.duration_s,
            video: None,
            audio: Some((48_000, 2)),
        };
        let cl = cutlist::build(&tl, &m, source, Some(sound("bed.wav")), Some(sound("sfx.wav")));
        std::fs::write(out.join("tos.fcpxml"), write(&cl)).unwrap();
        let frames: Vec<String> = cl
            .clips()
            .map(|(e, src_in, _)| format!("{} {} {}", e.rec_in, e.frames(), src_in))
            .collect();
        std::fs::write(out.join("tos.frames"), frames.join("\n")).unwrap();
    }
}
