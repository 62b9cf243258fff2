//! CMX3600 EDL: the picture track as numbered edits with source and record timecodes, for any editor. Pure: a
//! cut list in, text out.
//!
//! CMX has one rate, no titles and no dips, so:
//! - timecodes count at the trailer's rate (drop-frame at 29.97 and 59.94); the film is reel `AX`, named by
//!   `FROM CLIP NAME` / `FROM FILE` comments;
//! - the silence and the title card are black (`BL`), with a comment saying which;
//! - a dissolve starts at its edit in CMX, so a crossfade centred on a cut is written to begin half its length
//!   earlier, with the incoming source backed up as much: the same frames play;
//! - a fade to black is a dissolve into `BL` ending at the cut and one out of `BL` starting at it (white dips
//!   are written as black: CMX has no white source).

use super::cutlist::{Blend, CutList, Event, What, act_name, convert, drop_frame, timecode};

const FILM: &str = "AX";
const BLACK: &str = "BL";

/// The cut list as a CMX3600 EDL.
pub(super) fn write(cl: &CutList) -> String {
    let rate = cl.rate;
    let rec = |f: u64| timecode(cl.record_start() + f, rate);
    let src_start = cl.source_start();
    // The film's frames counted at the trailer's rate (the same numbers when the rates agree).
    let src = |src_in: u64| convert(src_start + src_in, cl.source_rate(), rate);
    let mut out = format!(
        "TITLE: {}\nFCM: {}\n\n",
        clean(&cl.name),
        if drop_frame(rate) {
            "DROP FRAME"
        } else {
            "NON-DROP FRAME"
        }
    );
    let spans = spans(cl);
    let mut n = 0;
    for (i, e) in cl.video.iter().enumerate() {
        let span = spans[i];
        let reel = if is_clip(e) { FILM } else { BLACK };
        let src_in = span.src_in.map_or(0, src);
        let len = span.rec_out - span.rec_in;
        // The zero-length "from" line of a dissolve: where the edit before ended.
        let from = |p: usize| match spans[p].src_in {
            Some(s) => (FILM, src(s) + spans[p].rec_out - spans[p].rec_in),
            None => (BLACK, 0),
        };
        let edit = |n: usize, reel: &str, d: Option<u64>, src_in: u64, len: u64, rec_in: u64| {
            line(n, reel, d, src_in, src_in + len, rec(rec_in), rec(rec_in + len), rate)
        };
        match span.into {
            None => {
                n += 1;
                out.push_str(&edit(n, reel, None, src_in, len, span.rec_in));
            }
            Some((Blend::Dissolve, h)) => {
                let (from_reel, from_src) = from(i - 1);
                n += 1;
                out.push_str(&edit(n, from_reel, None, from_src, 0, span.rec_in));
                out.push_str(&edit(n, reel, Some(2 * h), src_in, len, span.rec_in));
            }
            Some((Blend::Dip { .. }, h)) => {
                let cut = e.rec_in;
                let (mut from_reel, mut from_src) = from(i - 1);
                if is_clip(&cl.video[i - 1]) && is_clip(e) {
                    // Out of the last clip into black, ending at the cut; then in from black.
                    n += 1;
                    out.push_str(&edit(n, from_reel, None, from_src, 0, cut - h));
                    out.push_str(&edit(n, BLACK, Some(h), 0, h, cut - h));
                    out.push_str("* COMMENT: FADE TO BLACK\n\n");
                    (from_reel, from_src) = (BLACK, h);
                }
                n += 1;
                out.push_str(&edit(n, from_reel, None, from_src, 0, span.rec_in));
                out.push_str(&edit(n, reel, Some(h), src_in, len, span.rec_in));
            }
        }
        out.push_str(&comments(cl, e, span.into.is_some()));
        for m in cl.markers.iter().filter(|m| (e.rec_in..e.rec_out).contains(&m.at)) {
            out.push_str(&format!("* LOC: {} RED {}\n", rec(m.at), clean(&m.name).to_uppercase()));
        }
        out.push('\n');
    }
    out
}

fn is_clip(e: &Event) -> bool {
    matches!(e.what, What::Clip { .. })
}

/// An edit as CMX sees it: record frames `[rec_in, rec_out)`, the film frame it starts on (`None` for black),
/// and how it is entered (the kind and half-length of its transition).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Span {
    rec_in: u64,
    rec_out: u64,
    src_in: Option<u64>,
    into: Option<(Blend, u64)>,
}

fn spans(cl: &CutList) -> Vec<Span> {
    // A blend with black on either side is a dip, whatever the timeline called it.
    let blend = |e: &Event, before: &Event| {
        e.transition_in.map(|t| match t.blend {
            Blend::Dissolve if !(is_clip(e) && is_clip(before)) => (Blend::Dip { white: false }, t.half()),
            b => (b, t.half()),
        })
    };
    let v = &cl.video;
    (0..v.len())
        .map(|i| {
            let e = &v[i];
            let into = i.checked_sub(1).and_then(|p| blend(e, &v[p]));
            let out_of = v.get(i + 1).and_then(|nx| blend(nx, e));
            let mut s = Span {
                rec_in: e.rec_in,
                rec_out: e.rec_out,
                src_in: match &e.what {
                    What::Clip { src_in, .. } => Some(*src_in),
                    _ => None,
                },
                into,
            };
            match into {
                // CMX dissolves start at the edit: back up by half, on both sides.
                Some((Blend::Dissolve, h)) => {
                    s.rec_in -= h;
                    s.src_in = s.src_in.map(|f| f.saturating_sub(h));
                }
                // Black dissolving in from a clip starts when the clip's dip does.
                Some((Blend::Dip { .. }, h)) if !is_clip(e) && is_clip(&v[i - 1]) => s.rec_in -= h,
                _ => {}
            }
            match out_of {
                Some((Blend::Dissolve, h)) => s.rec_out -= h,
                Some((Blend::Dip { .. }, h)) if is_clip(e) => s.rec_out -= h,
                _ => {}
            }
            s
        })
        .collect()
}

/// One edit line, in the columns CMX readers expect.
#[allow(clippy::too_many_arguments)]
fn line(
    n: usize,
    reel: &str,
    dissolve: Option<u64>,
    src_in: u64,
    src_out: u64,
    rec_in: String,
    rec_out: String,
    rate: crate::media::Rate,
) -> String {
    let kind = match dissolve {
        Some(frames) => format!("D {frames:03}    "),
        None => "C        ".to_string(),
    };
    format!(
        "{n:03}  {reel:8} V     {kind}{} {} {rec_in} {rec_out}\n",
        timecode(src_in, rate),
        timecode(src_out, rate)
    )
}

fn comments(cl: &CutList, e: &Event, blended: bool) -> String {
    match &e.what {
        What::Clip { notes, .. } => {
            let name = clean(&cl.source.name());
            let mut c = format!(
                "* FROM CLIP NAME: {name}\n* FROM FILE: {}\n",
                clean(&cl.source.path.to_string_lossy())
            );
            if blended {
                c.push_str(&format!("* TO CLIP NAME: {name}\n"));
            }
            let mut what = vec![
                act_name(notes.act).to_uppercase(),
                notes.beat_type.replace('_', " ").to_uppercase(),
            ];
            what.extend(notes.zone.clone());
            what.extend(notes.score.map(|s| format!("SCORE {s:.2}")));
            c.push_str(&format!("* COMMENT: CLIP {} | {}\n", notes.clip + 1, what.join(" | ")));
            if !notes.line.is_empty() {
                c.push_str(&format!("* COMMENT: LINE \"{}\"\n", clean(&notes.line)));
            }
            c
        }
        What::Black => "* COMMENT: SILENCE (BLACK)\n".into(),
        What::Title { text, .. } => format!(
            "* COMMENT: TITLE CARD \"{}\" (BLACK HERE; ADD THE TITLE)\n",
            clean(text)
        ),
    }
}

/// One line of text: no control characters (a newline would start a new EDL line).
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}
