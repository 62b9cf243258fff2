//! Choose the trailer's clips, fit them to the plan, order them, and describe each one: the heart of stage
//! `narrative`. Data in (shots, cues, scenes, anchors), a `Manifest` out.
//!
//! 1. Candidates: every keyframe is a picture moment; every spoken line that plays well alone is a line moment.
//!    Each gets a score (`score.rs`) and a zone (BEGINNING / ESCALATION / CLIMAX, from `zones.rs`).
//! 2. Choosing, slot by slot (cold open, acts 1–3, button): the act's own zone first, best score first, lines up to
//!    the plan's count, each clip placed in a safe window (`edges.rs`) of the act's cut length, and never too near
//!    a clip already chosen (`rules::compatible`). A zone short of moments borrows the moments that lean most
//!    towards it.
//! 3. Fitting: each act's picture clips are resized so the act lasts its planned time; then clip ends move by whole
//!    frames, to allowed edges only, until the trailer is its target length.
//! 4. Order (decided here, never re-sorted later): within acts 1 and 2 the strongest picture opens the act and the
//!    rest rise in score; act 3 rises all the way to its strongest image; lines keep their film order among
//!    themselves and are spread evenly between the pictures.
//!
//! Each step is a file of its own (`candidates`, `choose`, `fit`, `order`), all working on one `Chooser`; this
//! file holds the types and `build`, which runs the steps in order.

use super::edges::{CUE_MARGIN_S, Edges, TEXT_MARGIN_S};
use super::manifest::{Act, BeatType, Clip, Manifest, SCHEMA_VERSION, StructuralAnchors, Transition};
use super::plan::Plan;
use super::rules::{self, MIN_CLIP_FRAMES, MIN_CLIP_S};
use super::score::{self, BeatInput, Scored};
use super::vibes::Vibe;
use crate::analyze::{Moment, SceneDescription, TextSource, Zone, ZoneMatch, ZoneMatcher};
use crate::error::{Error, Result};
use crate::ingest::{DialogueEvent, Emotion};

mod candidates;
mod choose;
mod fit;
mod order;

use super::film::Film;

/// What the user asked for.
pub(super) struct Request {
    pub vibe: &'static Vibe,
    pub target_s: f64,
    pub allow_spoilers: bool,
    pub title: String,
    pub source_file: String,
    pub fingerprint: Option<String>,
}

pub(super) struct Trailer {
    pub manifest: Manifest,
    /// Things the user should know (a film too short for the length asked, too few lines, …).
    pub warnings: Vec<String>,
    /// The film had too few usable moments for the plan: the length and the falling pace are best effort.
    pub short_of_material: bool,
}

/// Lines below this quality (`score::line_quality`) are not offered as line moments.
const MIN_LINE_QUALITY: f64 = 0.5;
/// A line clip's lead-in before the first word and tail after the last.
const LINE_LEAD_S: f64 = 0.3;
const LINE_TAIL_S: f64 = 0.4;
/// How far a line clip may reach before and after its line for a safe edge.
const LINE_REACH_S: f64 = 2.0;
/// Lines in an act take at most this share of its time, so its pictures keep a real cut length.
const LINE_SHARE_MAX: f64 = 0.6;
/// The button is short: a line that needs longer does not qualify.
const BUTTON_MAX_S: f64 = 4.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    ColdOpen,
    Act(usize),
    Button,
}

impl Slot {
    fn act(self) -> Act {
        match self {
            Slot::ColdOpen => Act::ColdOpen,
            Slot::Act(0) => Act::Act1,
            Slot::Act(1) => Act::Act2,
            Slot::Act(_) => Act::Act3,
            Slot::Button => Act::Button,
        }
    }
}

#[derive(Debug, Clone)]
struct Candidate {
    time_s: f64,
    frame: u64,
    shot: usize,
    /// The spoken cue, for a line moment.
    line: Option<usize>,
    /// The keyframe that describes the picture (the nearest one for a line).
    scene: Option<usize>,
    score: f64,
    emotion: Emotion,
    zone: ZoneMatch,
}

#[derive(Debug, Clone, Copy)]
struct Pick {
    cand: usize,
    a: u64,
    b: u64,
    slot: Slot,
}

struct Chooser<'a> {
    film: &'a Film<'a>,
    edges: Edges,
    cands: Vec<Candidate>,
    scored: Vec<Scored>,
    /// Starts of the spoken cues, sorted: counts the lines a window holds.
    spoken: Vec<f64>,
    min_len: u64,
    picks: Vec<Pick>,
    pacing: &'static str,
}

pub(super) fn build(film: &Film, zones: &ZoneMatcher, req: &Request) -> Result<Trailer> {
    let st = film.structure;
    let region = rules::usable(st.story, st.opening_logos, st.end_credits, req.allow_spoilers);
    let plan = Plan::new(req.vibe, req.target_s);
    // Where the moments were looked for, and what to try: the end of a "too few moments" error.
    let between = || format!("between {:.1} s and {:.1} s", region.0, region.1);

    // 1. Candidates.
    let mut ch = Chooser::new(film, req.vibe, region);
    ch.candidates(zones, region)?;
    if ch.cands.iter().filter(|c| c.line.is_none()).count() < 3 {
        return Err(Error::Runtime(format!(
            "the film has too few usable moments for a trailer ({} {}, after the opening logos, end credits and \
             the ending are left out); {}",
            ch.cands.len(),
            between(),
            what_to_try(film.cues, region)
        )));
    }
    // 2. Choosing.
    ch.choose_slots(&plan);
    // 3. Fitting.
    let (mut warnings, mut short_of_material) = ch.fit(&plan);
    if let Some(a) = (0..3).find(|&a| !ch.picks.iter().any(|p| p.slot == Slot::Act(a))) {
        return Err(Error::Runtime(format!(
            "the film has too few usable moments for a trailer: nothing is left for act {} ({} distinct moments \
             {}); {}",
            a + 1,
            ch.picks.len(),
            between(),
            what_to_try(film.cues, region)
        )));
    }
    let lines = ch.picks.iter().filter(|p| ch.holds_line(p)).count();
    if lines + 1 < plan.lines() {
        warnings.push(format!(
            "{lines} clips carry a line, fewer than the {} the vibe asks for: the subtitles offer few short, \
             complete lines",
            plan.lines()
        ));
    }
    if !ch.pace_falls() {
        // Every resize and drop was tried: the clips are boxed in by shots and lines (a film talking wall to wall).
        short_of_material = true;
        let m = ch.act_means().map(|f| f / film.fps);
        warnings.push(format!(
            "the cuts do not quicken from act to act (mean {:.1} s, {:.1} s, {:.1} s): the film's shots and lines \
             leave too few places to cut",
            m[0], m[1], m[2]
        ));
    }
    // 4. Order.
    let manifest = ch.manifest(&ch.order(), req, &plan);
    let total = rules::total_s(&manifest);
    if (total - plan.target_s).abs() > super::plan::LENGTH_TOLERANCE * plan.target_s {
        short_of_material = true;
        warnings.push(format!(
            "the trailer runs {total:.1} s instead of {:.1} s: the film has too little usable material for this \
             length",
            plan.target_s
        ));
    }
    Ok(Trailer {
        manifest,
        warnings,
        short_of_material,
    })
}

impl<'a> Chooser<'a> {
    fn new(film: &'a Film<'a>, vibe: &'static Vibe, region: (f64, f64)) -> Chooser<'a> {
        let mut spoken: Vec<f64> = film.cues.iter().filter(|c| !c.sound_cue).map(|c| c.start_s).collect();
        spoken.sort_by(f64::total_cmp);
        Chooser {
            film,
            min_len: ((MIN_CLIP_S * film.fps).ceil() as u64).max(MIN_CLIP_FRAMES),
            spoken,
            cands: Vec::new(),
            scored: score::score(film.scenes, film.cues, film.structure.story),
            edges: Edges::new(film.fps, film.offset_s, film.frames, film.shots, film.cues, region)
                .with_text(film.structure.no_clip_text().map(|t| (t.start_s, t.end_s))),
            picks: Vec::new(),
            pacing: vibe.pacing,
        }
    }
}

/// The advice for a film with too few moments. A cut never falls inside a line, so subtitles with a line over
/// nearly every second leave nowhere to cut: most likely they are not this film's, or badly timed.
fn what_to_try(cues: &[DialogueEvent], region: (f64, f64)) -> String {
    let mut covered = 0.0;
    let mut reached = region.0;
    for c in cues {
        let (a, b) = (c.start_s.max(reached), c.end_s.min(region.1));
        if b > a {
            covered += b - a;
            reached = b;
        }
    }
    let share = covered / (region.1 - region.0).max(1e-9);
    if share > 0.9 {
        format!(
            "the subtitles have a line over {:.0} % of it, and a cut never falls inside a line: check that they \
             are this film's and in time with it (or leave -s out)",
            100.0 * share
        )
    } else {
        "try --allow-spoilers, or a longer film".to_string()
    }
}
