//! Voice lines: a few strong lines of dialogue heard over OTHER pictures, starting before a cut and running across
//! it (a J/L cut), the way trailers bridge a montage with a voice. Pure: data in, data out.
//!
//! A line already on screen in a clip is never used again (the earlier tool doubled it). Lines come from the
//! protagonist or carry strong emotion, are short and complete, and never come from the ending. They go over
//! montage cuts in the cold open and acts 1–2; act 3 only when the vibe keeps dialogue there.

use super::{Footage, Kind, Segment, Timeline, Voice};
use crate::ingest::DialogueEvent;
use crate::story::{Act, CUE_MARGIN_S, Vibe, emotion_weight, line_quality};

/// Lines shorter than this don't carry; longer ones hold up the montage.
const MIN_LINE_S: f64 = 0.8;
const MAX_LINE_S: f64 = 4.5;
/// How much of a line plays before the cut it crosses.
const BEFORE_CUT: f64 = 0.4;
/// Room kept between a voice line and another line or the segment's edge.
const GAP_S: f64 = 0.3;
/// Act 3 gets voice lines when the vibe gives at least this dialogue weight there.
const ACT3_DIALOGUE: f32 = 0.5;

/// 2–4 lines (by trailer length), placed over montage cuts, in film order.
pub(super) fn choose(tl: &Timeline, film: &Footage, vibe: &Vibe) -> Vec<Voice> {
    let slots = slots(&tl.video, vibe);
    let want = ((tl.duration_s / 40.0).round() as usize).clamp(2, 4).min(slots.len());
    if want == 0 {
        return vec![];
    }
    let best = best_lines(tl, film, want * 4);
    // The best `k` lines, from `want` up: more only when a long line fits no cut.
    let mut placed = vec![];
    for k in want.min(best.len())..=best.len() {
        let mut pick = best[..k].to_vec();
        pick.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
        placed = assign(&slots, &pick, want, tl.fps);
        if placed.len() == want {
            break;
        }
    }
    placed
}

/// Lines in film order onto cuts in trailer order, spread out: line `k` takes the first cut at or after its share
/// of the slots that it fits.
fn assign(slots: &[Slot], lines: &[&DialogueEvent], want: usize, fps: f64) -> Vec<Voice> {
    let mut placed: Vec<Voice> = Vec::new();
    let mut next_slot = 0;
    for line in lines {
        if placed.len() == want {
            break;
        }
        let from = next_slot.max(placed.len() * slots.len() / want);
        // Neighbouring slots share a clip: a line starts only after the last one ended.
        let clear = placed.last().map_or(0.0, |v| v.end_s + GAP_S);
        let Some((si, at)) = (from..slots.len()).find_map(|si| fit(&slots[si], line, clear, fps).map(|at| (si, at)))
        else {
            continue;
        };
        let len = line.end_s - line.start_s + 2.0 * CUE_MARGIN_S;
        placed.push(Voice {
            at_s: at,
            end_s: at + len,
            source_start_s: line.start_s - CUE_MARGIN_S,
            source_end_s: line.end_s + CUE_MARGIN_S,
            text: line.text.clone(),
            speaker: line.speaker.clone(),
        });
        next_slot = si + 1;
    }
    placed
}

/// A cut between two montage clips, and the stretch of trailer (both clips) a line may cover.
struct Slot {
    cut_s: f64,
    from_s: f64,
    to_s: f64,
}

fn slots(video: &[Segment], vibe: &Vibe) -> Vec<Slot> {
    let act3_ok = vibe.act_dialogue[2] >= ACT3_DIALOGUE;
    let montage = |s: &Segment| {
        s.kind == Kind::Clip
            && !s.keep_audio
            && match s.act {
                Some(Act::Act3) => act3_ok,
                Some(Act::Button | Act::TitleCard) | None => false,
                _ => true,
            }
    };
    video
        .windows(2)
        .filter(|w| montage(&w[0]) && montage(&w[1]))
        .map(|w| Slot {
            cut_s: w[1].start_s,
            from_s: w[0].start_s + GAP_S,
            to_s: w[1].end_s - GAP_S,
        })
        .collect()
}

/// Where a line starts in the slot (on a frame), so it crosses the cut; `None` when it does not fit.
fn fit(slot: &Slot, line: &DialogueEvent, clear_s: f64, fps: f64) -> Option<f64> {
    let len = line.end_s - line.start_s + 2.0 * CUE_MARGIN_S;
    let from = slot.from_s.max(clear_s);
    if len > slot.to_s - from {
        return None;
    }
    let ideal = slot.cut_s - BEFORE_CUT * len;
    let at = ideal.clamp(from, slot.to_s - len);
    // It must still cross the cut, or it is not a J/L cut.
    let at = (at * fps).ceil() / fps;
    (at < slot.cut_s && at + len > slot.cut_s).then_some(at)
}

/// The strongest lines not already on screen, best first, at least a few seconds apart in the film.
fn best_lines<'a>(tl: &Timeline, film: &'a Footage, n: usize) -> Vec<&'a DialogueEvent> {
    let on_screen = |q: &DialogueEvent| {
        tl.video.iter().any(|s| match (s.source_start_s, s.source_end_s) {
            (Some(a), Some(b)) => q.start_s < b + 1.0 && q.end_s > a - 1.0,
            _ => false,
        })
    };
    let score = |q: &DialogueEvent| {
        let protagonist = film
            .protagonist
            .zip(q.speaker.as_deref())
            .is_some_and(|(p, s)| p.eq_ignore_ascii_case(s));
        line_quality(&q.text) + emotion_weight(q.emotion) + if protagonist { 0.5 } else { 0.0 }
    };
    let mut cands: Vec<&DialogueEvent> = film
        .cues
        .iter()
        .filter(|q| {
            let len = q.end_s - q.start_s;
            !q.sound_cue
                && (MIN_LINE_S..=MAX_LINE_S).contains(&len)
                && q.end_s < film.spoilers_from_s
                && q.start_s > CUE_MARGIN_S
                && line_quality(&q.text) >= 0.5
                && !on_screen(q)
        })
        .collect();
    cands.sort_by(|a, b| score(b).total_cmp(&score(a)).then(a.start_s.total_cmp(&b.start_s)));
    let mut chosen: Vec<&DialogueEvent> = Vec::new();
    for q in cands {
        if chosen.len() == n {
            break;
        }
        if chosen.iter().all(|c| (c.start_s - q.start_s).abs() > 5.0) {
            chosen.push(q);
        }
    }
    chosen
}
