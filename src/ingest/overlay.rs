//! Overlay text as spans of the film: the per-frame text measure (`text.rs`, 2 fps) tracked over time, read
//! where Tesseract is installed, and named by kind. Pure: rows and readings in, spans out; reading the frames is
//! the stage's (`keyframes`) edge.
//!
//! 1. Tracks: frames with text (a compact box: the lines fill at least `MIN_FILL` of it) follow one another when
//!    the box stays where it was (overlap `MIN_OVERLAP`) or slides as a roll does. A gap of one frame is bridged.
//!    A track of at least `MIN_FRAMES` frames is a candidate. It starts half a frame interval before its first
//!    frame (the text was there, but not yet still, one frame earlier) and ends half an interval after its last.
//! 2. Reading (when Tesseract is there): the middle frame of each candidate, cropped to its box, is read. A
//!    candidate is overlay text when the reading finds real words: one of `MIN_WORD_LETTERS` letters or more read
//!    with confidence `MIN_CONFIDENCE`, or two shorter ones. Without Tesseract a candidate counts when the
//!    evidence is strong on its own: a roll, text on a flat ground, or text held still over a changing picture.
//! 3. Kinds: a roll is `credits`; words that spell the film's title are its `title`; a block of three lines or
//!    more, or text on a flat ground in the film's first or last fifth, is `credits`; lower-third lines that come
//!    and go with the dialogue, on most of it, are burned-in `subtitles`; the rest are `caption`s.

use serde::{Deserialize, Serialize};

use super::subtitles::DialogueEvent;
use super::text::TextFrame;

/// The lines fill at least this share of their box (a true line of text does; specks over a texture do not).
const MIN_FILL: f32 = 0.2;
/// Share of the smaller of two boxes they must have in common to be the same text.
const MIN_OVERLAP: f32 = 0.4;
/// Frames (at 2 fps) a candidate spans at least: a caption is up for a second and a half or more.
const MIN_FRAMES: usize = 3;
/// A roll: the text slides up by at least this share of the frame height per second.
const ROLL: f32 = 0.02;
/// Reading: a word of this many letters or more, read with this confidence (Tesseract's 0–100), is real.
const MIN_WORD_LETTERS: usize = 3;
const MIN_CONFIDENCE: f32 = 70.0;
/// Without a reading: a flat ground has at least this share of plain cells; a changing picture changes by this
/// much (grey levels of 255, on average) between frames.
const FLAT_GROUND: f32 = 0.9;
const CHANGING: f32 = 5.0;
/// A word read is a title word when this similar (normalised Levenshtein): "STE" for "STEEL" is.
const TITLE_SIMILAR: f64 = 0.6;
/// Burned-in subtitles: lower-third text over at least this share of the spoken lines.
const SUBTITLE_SHARE: f64 = 0.4;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TextKind {
    /// Opening or closing credits, funding and studio lines, a roll.
    Credits,
    /// A caption or intertitle ("40 YEARS LATER", "Paris, 1943"), a name caption.
    Caption,
    /// The film's own title treatment.
    Title,
    /// Subtitles burned into the picture.
    Subtitles,
}

impl TextKind {
    pub fn name(self) -> &'static str {
        match self {
            TextKind::Credits => "credits",
            TextKind::Caption => "caption",
            TextKind::Title => "title",
            TextKind::Subtitles => "subtitles",
        }
    }
}

/// Where on the frame the text sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    LowerThird,
    Centre,
    Top,
    /// A block of lines filling much of the frame.
    Block,
    /// Lines sliding up the frame.
    Roll,
}

/// Text laid over the film by its makers, in film seconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextSpan {
    pub kind: TextKind,
    pub start_s: f64,
    pub end_s: f64,
    /// Left, top, right, bottom, as shares of the frame (the median over the span).
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    pub placement: Placement,
    /// What Tesseract read on the middle frame, when it is installed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<String>,
}

impl TextSpan {
    /// Whether any of `[a, b)` (film seconds) shows this text.
    pub fn overlaps(&self, a: f64, b: f64) -> bool {
        a < self.end_s && b > self.start_s
    }
}

/// A stretch of frames with the same text: candidate of a span, before it is read.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Track {
    /// Frame indices, first and last (inclusive).
    pub first: usize,
    pub last: usize,
    pub bbox: [f32; 4],
    pub placement: Placement,
    pub lines: f32,
    pub flat: f32,
    pub change: f32,
    pub roll: bool,
}

impl Track {
    /// The frame to read: the middle one.
    pub(crate) fn middle(&self) -> usize {
        (self.first + self.last) / 2
    }
}

/// What was read on a track's middle frame: each word with its confidence.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Reading {
    pub words: Vec<(String, f32)>,
}

impl Reading {
    /// Real words were read: one long confident word, or two shorter confident ones.
    fn found(&self) -> bool {
        let letters = |w: &str| w.chars().filter(|c| c.is_alphanumeric()).count();
        let sure: Vec<&(String, f32)> = self.words.iter().filter(|(_, c)| *c >= MIN_CONFIDENCE).collect();
        sure.iter().any(|(w, _)| letters(w) >= MIN_WORD_LETTERS)
            || sure.iter().filter(|(w, _)| letters(w) >= 2).count() >= 2
    }

    /// Letters in the words read with confidence: which of two readings of the same text is better.
    pub(crate) fn sure_letters(&self) -> usize {
        self.words
            .iter()
            .filter(|(_, c)| *c >= MIN_CONFIDENCE)
            .map(|(w, _)| w.chars().filter(|c| c.is_alphanumeric()).count())
            .sum()
    }

    fn text(&self) -> String {
        self.words
            .iter()
            .filter(|(_, c)| *c >= MIN_CONFIDENCE / 2.0)
            .map(|(w, _)| w.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn has_text(f: &TextFrame) -> bool {
    let area = (f.x1 - f.x0) * (f.y1 - f.y0);
    f.share > 0.0 && area > 0.0 && f.share / area >= MIN_FILL
}

/// Share of the smaller box the two have in common.
fn overlap(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let area = |r: &[f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    w * h / area(a).min(area(b)).max(1e-9)
}

fn bbox(f: &TextFrame) -> [f32; 4] {
    [f.x0, f.y0, f.x1, f.y1]
}

fn median(mut v: Vec<f32>) -> f32 {
    v.sort_by(f32::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Step 1: the frames with text, followed over time into candidate tracks.
pub(crate) fn tracks(frames: &[TextFrame]) -> Vec<Track> {
    let mut out = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    let same = |a: &TextFrame, b: &TextFrame| {
        let rolling = a.slide > ROLL && b.slide > ROLL;
        rolling || overlap(&bbox(a), &bbox(b)) >= MIN_OVERLAP
    };
    for (i, f) in frames.iter().enumerate() {
        if !has_text(f) {
            continue;
        }
        let continues = run.last().is_some_and(|&j| i - j <= 2 && same(&frames[j], f));
        if !continues {
            out.extend(finish(frames, &run));
            run.clear();
        }
        run.push(i);
    }
    out.extend(finish(frames, &run));
    out
}

fn finish(frames: &[TextFrame], run: &[usize]) -> Option<Track> {
    let (&first, &last) = (run.first()?, run.last()?);
    if last + 1 - first < MIN_FRAMES || run.len() + 1 < MIN_FRAMES {
        return None;
    }
    let col = |f: fn(&TextFrame) -> f32| median(run.iter().map(|&i| f(&frames[i])).collect());
    let roll = col(|f| f.slide) > ROLL;
    let bbox = if roll {
        // A roll's box is the stretch of frame it passes through.
        [
            run.iter().map(|&i| frames[i].x0).fold(1.0, f32::min),
            run.iter().map(|&i| frames[i].y0).fold(1.0, f32::min),
            run.iter().map(|&i| frames[i].x1).fold(0.0, f32::max),
            run.iter().map(|&i| frames[i].y1).fold(0.0, f32::max),
        ]
    } else {
        [col(|f| f.x0), col(|f| f.y0), col(|f| f.x1), col(|f| f.y1)]
    };
    let lines = col(|f| f.lines);
    let centre = (bbox[1] + bbox[3]) / 2.0;
    let placement = if roll {
        Placement::Roll
    } else if lines >= 3.0 || bbox[3] - bbox[1] >= 0.3 {
        Placement::Block
    } else if centre >= 0.66 {
        Placement::LowerThird
    } else if centre <= 0.25 {
        Placement::Top
    } else {
        Placement::Centre
    };
    Some(Track {
        first,
        last,
        bbox,
        placement,
        lines,
        flat: col(|f| f.flat),
        change: col(|f| f.change),
        roll,
    })
}

/// What the film is, for naming spans.
pub(crate) struct FilmInfo<'a> {
    pub fps: f64,
    pub duration_s: f64,
    /// The title's words (from `--title`, the container's tag or the file name), for recognising the title.
    pub title: &'a str,
    pub dialogue: &'a [DialogueEvent],
}

/// Steps 2 and 3: which tracks are overlay text, and of what kind. `readings[i]` is what was read on track `i`,
/// `None` when nothing could read it (no Tesseract).
pub(crate) fn spans(tracks: &[Track], readings: &[Option<Reading>], film: &FilmInfo) -> Vec<TextSpan> {
    let half = 0.5 / film.fps;
    let mut out: Vec<TextSpan> = tracks
        .iter()
        .zip(readings)
        .filter(|(t, r)| match r {
            Some(r) => r.found(),
            None => t.roll || t.flat >= FLAT_GROUND || t.change >= CHANGING,
        })
        .map(|(t, r)| {
            let start_s = (t.first as f64 / film.fps - 2.0 * half).max(0.0);
            let end_s = (t.last as f64 / film.fps + 2.0 * half).min(film.duration_s.max(0.0));
            let words = r.as_ref().map(Reading::text).filter(|w| !w.is_empty());
            let at_ends = start_s < 0.2 * film.duration_s || end_s > 0.8 * film.duration_s;
            // Text in the film's last fifth is its closing credits, over footage or not (an epilogue's caption
            // there is named credits too: either way it is the makers' text).
            let in_tail = start_s > 0.8 * film.duration_s;
            let kind = if t.roll {
                TextKind::Credits
            } else if words.as_deref().is_some_and(|w| spells_title(w, film.title)) {
                TextKind::Title
            } else if t.placement == Placement::Block || (t.flat >= FLAT_GROUND && at_ends) || in_tail {
                TextKind::Credits
            } else {
                TextKind::Caption
            };
            TextSpan {
                kind,
                start_s,
                end_s,
                bbox: t.bbox,
                placement: t.placement,
                words,
            }
        })
        .collect();
    mark_subtitles(&mut out, film.dialogue);
    out
}

/// Whether `read` spells `title`: more than half the title's words (of two letters or more) are read, each
/// allowing for the odd misread letter of a designed typeface, and little else is (a title treatment shows the
/// title alone, not a sentence that happens to hold its word).
fn spells_title(read: &str, title: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() >= 2)
            .map(|w| w.to_lowercase())
            .collect()
    };
    let (read, title) = (words(read), words(title));
    let near = |t: &String| {
        read.iter()
            .any(|r| strsim::normalized_levenshtein(r, t) >= TITLE_SIMILAR)
    };
    !title.is_empty() && read.len() <= title.len() + 2 && title.iter().filter(|t| near(t)).count() * 2 > title.len()
}

/// Lower-third captions that come and go with the spoken lines, over most of them, are the film's subtitles
/// burned into its picture.
fn mark_subtitles(spans: &mut [TextSpan], dialogue: &[DialogueEvent]) {
    let spoken: Vec<&DialogueEvent> = dialogue.iter().filter(|d| !d.sound_cue).collect();
    if spoken.is_empty() {
        return;
    }
    // A lower-third line with the dialogue is a subtitle even where the other rules called it credits (on a
    // flat ground near the film's ends); a title or a roll is not.
    let lower =
        |s: &TextSpan| matches!(s.kind, TextKind::Caption | TextKind::Credits) && s.placement == Placement::LowerThird;
    let covered = spoken
        .iter()
        .filter(|d| spans.iter().any(|s| lower(s) && s.overlaps(d.start_s, d.end_s)))
        .count();
    if (covered as f64) < SUBTITLE_SHARE * spoken.len() as f64 {
        return;
    }
    for s in spans.iter_mut().filter(|s| lower(s)) {
        if spoken.iter().any(|d| s.overlaps(d.start_s, d.end_s)) {
            s.kind = TextKind::Subtitles;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(b: [f32; 4], lines: f32, slide: f32) -> TextFrame {
        TextFrame {
            share: 0.5 * (b[2] - b[0]) * (b[3] - b[1]),
            x0: b[0],
            y0: b[1],
            x1: b[2],
            y1: b[3],
            lines,
            line_height: 0.05,
            slide,
            flat: 0.95,
            change: 0.5,
        }
    }

    fn film(frames: &[TextFrame]) -> FilmInfo<'static> {
        FilmInfo {
            fps: 2.0,
            duration_s: frames.len() as f64 / 2.0,
            title: "The Last Signal",
            dialogue: &[],
        }
    }

    #[test]
    fn a_still_caption_becomes_one_span_with_its_times() {
        let none = TextFrame::default();
        let cap = frame([0.3, 0.45, 0.7, 0.52], 1.0, 0.0);
        let mut f = vec![none; 40];
        f[20..30].fill(cap);
        f[24] = none; // a flicker
        let t = tracks(&f);
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!((t[0].first, t[0].last), (20, 29));
        assert_eq!(t[0].placement, Placement::Centre);
        let s = spans(&t, &[None], &film(&f));
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].start_s, s[0].end_s), (9.5, 15.0));
        assert_eq!(s[0].kind, TextKind::Caption);
    }

    #[test]
    fn a_box_that_jumps_is_two_tracks_and_a_blink_is_none() {
        let none = TextFrame::default();
        let mut f = vec![none; 30];
        f[2..6].fill(frame([0.1, 0.1, 0.3, 0.15], 1.0, 0.0));
        f[6..10].fill(frame([0.6, 0.7, 0.9, 0.75], 1.0, 0.0));
        f[20] = frame([0.1, 0.1, 0.3, 0.15], 1.0, 0.0);
        let t = tracks(&f);
        assert_eq!(t.len(), 2, "{t:?}");
        assert_eq!(t[1].placement, Placement::LowerThird);
    }

    #[test]
    fn a_roll_is_credits_and_the_title_is_recognised() {
        let none = TextFrame::default();
        let mut f = vec![none; 60];
        for (k, fr) in f[40..56].iter_mut().enumerate() {
            let y = 0.9 - 0.05 * k as f32;
            *fr = frame([0.3, y - 0.1, 0.7, y], 2.0, 0.1);
        }
        f[10..16].fill(frame([0.2, 0.45, 0.8, 0.55], 1.0, 0.0));
        let t = tracks(&f);
        assert_eq!(t.len(), 2, "{t:?}");
        assert!(t[1].roll && t[1].placement == Placement::Roll);
        let read = Reading {
            words: vec![("THE".into(), 91.0), ("LAST".into(), 93.0), ("SIGNAL".into(), 88.0)],
        };
        let s = spans(&t, &[Some(read), Some(Reading::default())], &film(&f));
        assert_eq!(s.len(), 1, "the roll read nothing: not text");
        assert_eq!(s[0].kind, TextKind::Title);
        assert_eq!(s[0].words.as_deref(), Some("THE LAST SIGNAL"));
        let s = spans(&t, &[None, None], &film(&f));
        assert_eq!(s[1].kind, TextKind::Credits);
    }

    #[test]
    fn readings_need_real_words() {
        let r = |w: &[(&str, f32)]| Reading {
            words: w.iter().map(|(a, c)| (a.to_string(), *c)).collect(),
        };
        assert!(r(&[("YEARS", 85.0)]).found());
        assert!(!r(&[("YEARS", 40.0), ("=", 90.0)]).found());
        assert!(r(&[("OF", 90.0), ("40", 90.0)]).found());
        assert!(!r(&[("a", 95.0), ("|", 95.0)]).found());
        assert!(spells_title("TEARS OF STEEL.", "Tears of Steel"));
        assert!(
            spells_title("US OF STE®|", "Tears of Steel"),
            "a designed face, read in part"
        );
        assert!(
            !spells_title("A FILM BY JANE DOE", "Film"),
            "a sentence holding the title's word"
        );
        assert!(!spells_title("SIMULATION READY", "Tears of Steel"));
    }

    #[test]
    fn lower_third_text_with_most_lines_is_burned_in_subtitles() {
        use crate::ingest::subtitles::Emotion;
        let line = |a: f64, b: f64| DialogueEvent {
            start_s: a,
            end_s: b,
            text: "hi".into(),
            speaker: None,
            emotion: Emotion::Neutral,
            sound_cue: false,
        };
        let dialogue = [line(10.0, 12.0), line(20.0, 22.0), line(40.0, 42.0)];
        let span = |a: f64, b: f64, placement| TextSpan {
            kind: TextKind::Caption,
            start_s: a,
            end_s: b,
            bbox: [0.2, 0.8, 0.8, 0.9],
            placement,
            words: None,
        };
        let mut spans = vec![
            span(9.8, 12.2, Placement::LowerThird),
            span(19.9, 22.1, Placement::LowerThird),
            span(30.0, 33.0, Placement::Centre),
        ];
        mark_subtitles(&mut spans, &dialogue);
        assert_eq!(spans[0].kind, TextKind::Subtitles);
        assert_eq!(spans[2].kind, TextKind::Caption);
        let mut one = vec![span(9.8, 12.2, Placement::LowerThird)];
        mark_subtitles(&mut one, &dialogue[..]);
        assert_eq!(one[0].kind, TextKind::Caption, "one line of three is a caption");
    }
}
