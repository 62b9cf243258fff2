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

use super::edges::{CUE_MARGIN_S, Edges};
use super::manifest::{Act, BeatType, Clip, Manifest, SCHEMA_VERSION, StructuralAnchors, Transition};
use super::plan::Plan;
use super::rules::{self, MIN_CLIP_FRAMES, MIN_CLIP_S};
use super::score::{self, BeatInput, Scored};
use super::vibes::Vibe;
use crate::analyze::Structure;
use crate::analyze::{Moment, Zone, ZoneMatch, ZoneMatcher};
use crate::analyze::{SceneDescription, TextSource};
use crate::error::{Error, Result};
use crate::ingest::Shot;
use crate::ingest::{DialogueEvent, Emotion};

/// What the film offers, from the analysis stages.
pub(super) struct Film<'a> {
    /// The analysis grid: `shots.json`'s rate and the film time of its frame 0.
    pub fps: f64,
    pub offset_s: f64,
    pub frames: u64,
    pub shots: &'a [Shot],
    /// Sorted by start.
    pub cues: &'a [DialogueEvent],
    /// One per keyframe, in time order.
    pub scenes: &'a [SceneDescription],
    pub structure: &'a Structure,
}

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
    let edges = Edges::new(film.fps, film.offset_s, film.frames, film.shots, film.cues, region);
    let plan = Plan::new(req.vibe, req.target_s);
    let scored = score::score(film.scenes, film.cues, st.story);
    let mut warnings = Vec::new();

    let mut ch = Chooser {
        film,
        min_len: ((MIN_CLIP_S * film.fps).ceil() as u64).max(MIN_CLIP_FRAMES),
        spoken: film.cues.iter().filter(|c| !c.sound_cue).map(|c| c.start_s).collect(),
        cands: Vec::new(),
        scored,
        edges,
        picks: Vec::new(),
        pacing: req.vibe.pacing,
    };
    ch.spoken.sort_by(f64::total_cmp);
    ch.candidates(zones, region)?;
    if ch.cands.iter().filter(|c| c.line.is_none()).count() < 3 {
        return Err(Error::Runtime(format!(
            "the film has too few usable moments for a trailer ({} between {:.1} s and {:.1} s, after the \
             opening logos, end credits and the ending are left out); {}",
            ch.cands.len(),
            region.0,
            region.1,
            what_to_try(film.cues, region)
        )));
    }

    let fps = film.fps;
    let len = |s: f64| ((s * fps).round() as u64).max(1);
    // Slots in the order they choose: the cold open takes the best hook, the acts their zones, the button last.
    ch.choose(
        Slot::ColdOpen,
        1,
        plan.cold_open_line as usize,
        len(plan.cold_open_s),
        plan.cold_open_s,
        true,
    );
    // Every act takes its own zone's moments before any act borrows, so a rich zone cannot starve a later act.
    for borrow in [false, true] {
        for (a, p) in plan.acts.iter().enumerate() {
            ch.choose(Slot::Act(a), p.clips, p.lines, len(p.mean_cut_s()), p.time_s, borrow);
        }
    }
    ch.choose(
        Slot::Button,
        1,
        plan.button_line as usize,
        len(plan.button_s),
        plan.button_s,
        true,
    );

    let mut short_of_material = false;
    for a in 0..3 {
        let got = ch.picks.iter().filter(|p| p.slot == Slot::Act(a)).count();
        if got < plan.acts[a].clips {
            short_of_material = true;
            warnings.push(format!(
                "act {} has {got} of its {} clips: the film has too few distinct moments left",
                a + 1,
                plan.acts[a].clips
            ));
        }
        // An act short of moments does not stretch the few it has: the trailer's other clips take up the time.
        let longest = ch.edges.frames_for(1.5 * plan.acts[a].mean_cut_s());
        ch.fit_act(Slot::Act(a), plan.acts[a].time_s, longest);
    }
    ch.keep_pace_falling();
    let clip_target = ch.edges.frames_for(plan.target_s - plan.silence_s - plan.title_s);
    ch.fit_total(clip_target);

    if let Some(a) = (0..3).find(|&a| !ch.picks.iter().any(|p| p.slot == Slot::Act(a))) {
        return Err(Error::Runtime(format!(
            "the film has too few usable moments for a trailer: nothing is left for act {} ({} distinct moments \
             between {:.1} s and {:.1} s); {}",
            a + 1,
            ch.picks.len(),
            region.0,
            region.1,
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
        let m = ch.act_means().map(|f| f / fps);
        warnings.push(format!(
            "the cuts do not quicken from act to act (mean {:.1} s, {:.1} s, {:.1} s): the film's shots and lines \
             leave too few places to cut",
            m[0], m[1], m[2]
        ));
    }
    let ordered = ch.order();
    let manifest = ch.manifest(&ordered, req, &plan);
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

impl Chooser<'_> {
    fn candidates(&mut self, zones: &ZoneMatcher, region: (f64, f64)) -> Result<()> {
        let film = self.film;
        let inside = |t: f64| t >= region.0 && t <= region.1;
        for (i, s) in film.scenes.iter().enumerate() {
            if !inside(s.time_s) {
                continue;
            }
            let frame = self.edges.frame(s.time_s);
            self.cands.push(Candidate {
                time_s: s.time_s,
                frame,
                shot: self.edges.shot_of(frame),
                line: None,
                scene: Some(i),
                score: self.scored[i].score,
                emotion: score::emotion_near(s.time_s, film.cues).map_or(Emotion::Neutral, |c| c.emotion),
                zone: placeholder_zone(),
            });
        }
        for (i, c) in film.cues.iter().enumerate() {
            let quality = score::line_quality(&c.text);
            if c.sound_cue
                || quality < MIN_LINE_QUALITY
                || !inside(c.start_s - 0.1)
                || !inside(c.end_s + 0.1)
                || !self.can_cut_around(c)
            {
                continue;
            }
            let mid = (c.start_s + c.end_s) / 2.0;
            let scene = nearest_scene(film.scenes, mid);
            let picture = scene.map_or(0.5, |k| self.scored[k].score);
            self.cands.push(Candidate {
                time_s: mid,
                frame: self.edges.frame(c.start_s),
                shot: self.edges.shot_of(self.edges.frame(mid)),
                line: Some(i),
                scene,
                // The picture counts, but a line is chosen for what it says and how.
                score: 0.5 * picture + 0.3 * score::emotion_weight(c.emotion) + 0.2 * quality,
                emotion: c.emotion,
                zone: placeholder_zone(),
            });
        }
        // A vision model's words say something about the scene; the built-in text only restates the numbers.
        let texts: Vec<String> = self
            .cands
            .iter()
            .map(|c| match (c.line, c.scene) {
                (Some(l), _) => film.cues[l].text.clone(),
                (None, Some(k)) if film.scenes[k].text_source == TextSource::Model => {
                    let t = &film.scenes[k].text;
                    format!("{}. {}. {}", t.visual_content, t.mood, t.action)
                }
                _ => String::new(),
            })
            .collect();
        let moments: Vec<Moment> = self
            .cands
            .iter()
            .zip(&texts)
            .map(|(c, t)| Moment {
                time_s: c.time_s,
                text: t,
            })
            .collect();
        let matches = zones.classify(&moments, &film.structure.anchors, film.structure.story)?;
        for (c, m) in self.cands.iter_mut().zip(matches) {
            c.zone = m;
        }
        Ok(())
    }

    /// Spoken lines wholly inside `[a, b)`.
    fn lines_in(&self, a: u64, b: u64) -> usize {
        let (ta, tb) = (self.edges.time(a), self.edges.time(b));
        self.spoken.partition_point(|&s| s < tb) - self.spoken.partition_point(|&s| s < ta)
    }

    fn holds_line(&self, p: &Pick) -> bool {
        self.cands[p.cand].line.is_some()
    }

    /// Whether `[a, b)` keeps its distance from every chosen clip but `skip`.
    fn fits(&self, a: u64, b: u64, skip: Option<usize>) -> bool {
        let ta = (self.edges.time(a), self.edges.time(b));
        let mine = self.edges.shots_in(a, b);
        self.picks
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != skip)
            .all(|(_, p)| {
                let theirs = self.edges.shots_in(p.a, p.b);
                let shared = (*mine.start().max(theirs.start())..=*mine.end().min(theirs.end()))
                    .map(|s| {
                        let (x, y) = self.edges.shot(s);
                        (y - x) as f64 / self.edges.fps
                    })
                    .reduce(f64::min);
                rules::compatible(ta, (self.edges.time(p.a), self.edges.time(p.b)), shared)
            })
    }

    /// The best safe window of about `len` frames for a picture moment: in or around its shot, near its keyframe
    /// (30 % before, 70 % after, like a glance that lands on the moment), preferring one shot and no lines.
    fn picture_window(&self, c: &Candidate, len: u64, skip: Option<usize>) -> Option<(u64, u64)> {
        let e = &self.edges;
        let len = len.max(self.min_len);
        let (s0, s1) = e.shot(c.shot);
        let ideal = c.frame as f64 - 0.3 * len as f64;
        let from = (c.frame as f64 - 1.5 * len as f64).max(0.0) as u64;
        let to = (c.frame + len / 2).min(e.frames());
        let mut best: Option<(f64, u64, u64)> = None;
        let mut a = e.next(from)?;
        while a <= to {
            let want = a + len;
            for b in [e.prev(want), e.next(want)].into_iter().flatten() {
                if b < a + self.min_len || b > a + 2 * len || b <= s0 || a >= s1 {
                    continue;
                }
                let cuts = e.shots_in(a, b).count() - 1;
                // Length matters most (it is the act's pace); a second shot in a long clip is normal editing.
                let cost = 2.0 * (b - a).abs_diff(len) as f64 / len as f64
                    + 0.4 * cuts as f64
                    + 0.8 * self.lines_in(a, b) as f64
                    + 0.5 * (a as f64 - ideal).abs() / len as f64
                    + if (a..b).contains(&c.frame) { 0.0 } else { 0.5 };
                if best.is_none_or(|(bc, _, _)| cost < bc) && self.fits(a, b, skip) {
                    best = Some((cost, a, b));
                }
            }
            match e.next(a + 1) {
                Some(n) => a = n,
                None => break,
            }
        }
        best.map(|(_, a, b)| (a, b))
    }

    /// Whether `line_window` can find any cut before the line within reach and any after it: a line with other
    /// lines over it wall to wall has none, and is not worth its embedding (50,000 such cues took minutes).
    fn can_cut_around(&self, cue: &DialogueEvent) -> bool {
        let e = &self.edges;
        let frame = |t: f64| ((t - e.offset_s) * e.fps).max(0.0);
        let start = frame(cue.start_s).floor() as u64;
        let before = e.prev(frame(cue.start_s - CUE_MARGIN_S).floor() as u64);
        let after = e.next(frame(cue.end_s + CUE_MARGIN_S).ceil() as u64);
        before.is_some_and(|a| start.saturating_sub(a) <= e.frames_for(LINE_REACH_S)) && after.is_some()
    }

    /// The best safe window holding the whole line, about `len` frames or the line's own length if longer.
    fn line_window(&self, c: &Candidate, len: u64, max_len: u64, skip: Option<usize>) -> Option<(u64, u64)> {
        let e = &self.edges;
        let cue = &self.film.cues[c.line?];
        let fps = e.fps;
        let frame_floor = |t: f64| ((t - e.offset_s) * fps).floor().max(0.0) as u64;
        let frame_ceil = |t: f64| ((t - e.offset_s) * fps).ceil().max(0.0) as u64;
        let line = frame_ceil(cue.end_s) - frame_floor(cue.start_s);
        let want = len.max(line + e.frames_for(LINE_LEAD_S + LINE_TAIL_S));
        let ideal_lead = e.frames_for(LINE_LEAD_S) as f64;
        let reach = e.frames_for(LINE_REACH_S);
        let start_at = frame_floor(cue.start_s - CUE_MARGIN_S);
        let end_at = frame_ceil(cue.end_s + CUE_MARGIN_S);
        let mut best: Option<(f64, u64, u64)> = None;
        let mut a = e.prev(start_at)?;
        loop {
            let lead = (frame_floor(cue.start_s) as f64 - a as f64).max(0.0);
            if lead > reach as f64 {
                break;
            }
            let mut b = match e.next(end_at) {
                Some(b) => b,
                None => break,
            };
            while b <= a + max_len && b - frame_ceil(cue.end_s) <= reach + want.saturating_sub(line) {
                if b >= a + self.min_len {
                    let extra = self.lines_in(a, b).saturating_sub(1);
                    let cuts = e.shots_in(a, b).count() - 1;
                    let cost = (b - a).abs_diff(want) as f64 / want as f64
                        + 1.2 * extra as f64
                        + 0.3 * cuts as f64
                        + 0.3 * (lead - ideal_lead).abs() / fps;
                    if best.is_none_or(|(bc, _, _)| cost < bc) && self.fits(a, b, skip) {
                        best = Some((cost, a, b));
                    }
                }
                match e.next(b + 1) {
                    Some(n) => b = n,
                    None => break,
                }
            }
            match a.checked_sub(1).and_then(|x| e.prev(x)) {
                Some(p) => a = p,
                None => break,
            }
        }
        best.map(|(_, a, b)| (a, b))
    }

    fn used(&self, cand: usize) -> bool {
        self.picks.iter().any(|p| p.cand == cand)
    }

    /// Choose clips for `slot` until it has `n`, `lines` of them lines, each about `len` frames; from the slot's
    /// own zone only unless `borrow`.
    fn choose(&mut self, slot: Slot, n: usize, lines: usize, len: u64, time_s: f64, borrow: bool) {
        let len_s = len as f64 / self.edges.fps;
        // A line runs as long as it runs, so only lines near the act's pace qualify.
        let max_line = self.edges.frames_for(match slot {
            Slot::Button => BUTTON_MAX_S,
            _ => (1.6 * len_s).max(len_s + 1.0).min(8.0),
        });
        let line_budget = match slot {
            Slot::Act(_) => self.edges.frames_for(LINE_SHARE_MAX * time_s),
            _ => u64::MAX,
        };
        let mut order = self.pool(slot);
        if let (Slot::Act(a), false) = (slot, borrow) {
            order.retain(|&i| self.cands[i].zone.zone == Zone::ALL[a]);
        }
        let mine: Vec<Pick> = self.picks.iter().filter(|p| p.slot == slot).copied().collect();
        let mut got = mine.len();
        let mut got_lines = mine.iter().filter(|p| self.holds_line(p)).count();
        let mut line_frames: u64 = mine.iter().filter(|p| self.holds_line(p)).map(|p| p.b - p.a).sum();
        // Pictures first, leaving room for the lines; then the lines; then pictures for any line not found.
        // An act always has pictures to set its pace; lines run as long as they run.
        let pictures = |me: &mut Self, upto: usize, got: &mut usize| {
            for &i in order.iter().filter(|&&i| me.cands[i].line.is_none()) {
                if *got >= upto {
                    break;
                }
                if me.used(i) {
                    continue;
                }
                if let Some((a, b)) = me.picture_window(&me.cands[i], len, None) {
                    me.picks.push(Pick { cand: i, a, b, slot });
                    *got += 1;
                }
            }
        };
        pictures(self, n.saturating_sub(lines.saturating_sub(got_lines)), &mut got);
        for &i in order.iter().filter(|&&i| self.cands[i].line.is_some()) {
            if got_lines >= lines || got >= n {
                break;
            }
            if self.used(i) {
                continue;
            }
            if let Some((a, b)) = self.line_window(&self.cands[i], len, max_line, None)
                && line_frames + (b - a) <= line_budget
            {
                self.picks.push(Pick { cand: i, a, b, slot });
                got += 1;
                got_lines += 1;
                line_frames += b - a;
            }
        }
        pictures(self, n, &mut got);
    }

    /// Candidates for a slot, best first.
    fn pool(&self, slot: Slot) -> Vec<usize> {
        let key = |c: &Candidate| -> (u8, f64) {
            match slot {
                Slot::Act(a) => {
                    let z = Zone::ALL[a];
                    let share = [c.zone.scores.beginning, c.zone.scores.escalation, c.zone.scores.climax][a] as f64;
                    // Its own zone first; borrowed moments after, those leaning most towards the zone first.
                    if c.zone.zone == z {
                        (0, c.score)
                    } else {
                        (1, share + 0.1 * c.score)
                    }
                }
                // A hook: a charged line or question from before the climax (the climax is for act 3).
                Slot::ColdOpen => {
                    let hook = c.line.is_some_and(|l| {
                        let cue = &self.film.cues[l];
                        cue.text.trim_end().ends_with('?')
                            || matches!(cue.emotion, Emotion::Intense | Emotion::Negative | Emotion::Romantic)
                    });
                    let early = c.zone.zone != Zone::Climax;
                    (if early { 0 } else { 1 }, c.score + if hook { 0.3 } else { 0.0 })
                }
                // The last word: a short punchy or funny line, or a sharp image, from before the climax.
                Slot::Button => {
                    let punch = c.line.is_some_and(|l| {
                        let cue = &self.film.cues[l];
                        let t = cue.text.trim_end();
                        t.ends_with('!') || t.ends_with('?') || cue.emotion == Emotion::Comedic
                    });
                    let early = c.zone.zone != Zone::Climax;
                    (if early { 0 } else { 1 }, c.score + if punch { 0.3 } else { 0.0 })
                }
            }
        };
        let mut idx: Vec<usize> = (0..self.cands.len()).collect();
        idx.sort_by(|&x, &y| {
            let (kx, ky) = (key(&self.cands[x]), key(&self.cands[y]));
            kx.0.cmp(&ky.0).then(ky.1.total_cmp(&kx.1)).then(x.cmp(&y))
        });
        idx
    }

    /// Resize the act's picture clips so the act lasts `time_s`, none longer than `longest` frames.
    fn fit_act(&mut self, slot: Slot, time_s: f64, longest: u64) {
        let members: Vec<usize> = (0..self.picks.len()).filter(|&i| self.picks[i].slot == slot).collect();
        let fixed: u64 = members
            .iter()
            .filter(|&&i| self.holds_line(&self.picks[i]))
            .map(|&i| self.picks[i].b - self.picks[i].a)
            .sum();
        let pictures: Vec<usize> = members
            .into_iter()
            .filter(|&i| !self.holds_line(&self.picks[i]))
            .collect();
        if pictures.is_empty() {
            return;
        }
        let budget = self.edges.frames_for(time_s).saturating_sub(fixed);
        let each = (budget / pictures.len() as u64).min(longest).max(self.min_len);
        for i in pictures {
            let c = self.cands[self.picks[i].cand].clone();
            if let Some((a, b)) = self.picture_window(&c, each, Some(i)) {
                self.picks[i].a = a;
                self.picks[i].b = b;
            }
        }
    }

    /// Mean clip length of each act, in frames (0 for an empty act).
    fn act_means(&self) -> [f64; 3] {
        [0, 1, 2].map(|a| {
            let lens: Vec<u64> = self
                .picks
                .iter()
                .filter(|p| p.slot == Slot::Act(a))
                .map(|p| p.b - p.a)
                .collect();
            lens.iter().sum::<u64>() as f64 / lens.len().max(1) as f64
        })
    }

    fn pace_falls(&self) -> bool {
        let m = self.act_means();
        m[0] > m[1] && m[1] > m[2]
    }

    /// Lines run their own length, so an act full of long lines can end up slower than the act before it. Move
    /// time from the later act's pictures to the earlier act's until the pace falls again.
    fn keep_pace_falling(&mut self) {
        for round in 0..24 {
            let m = self.act_means();
            let Some(a) = (0..2).find(|&a| m[a] <= m[a + 1] * 1.02) else {
                return;
            };
            if round >= 8 {
                // Resizing could not do it (clips boxed in by cuts, lines and neighbours): drop the longest clip
                // of the slower later act, or else the shortest of the earlier one. The length is made up later.
                self.drop_for_pace(a);
                continue;
            }
            let count = |act: usize| self.picks.iter().filter(|p| p.slot == Slot::Act(act)).count() as f64;
            let time = |act: usize| m[act] * count(act) / self.edges.fps;
            // Meet in the middle, a little past it.
            let shift = (m[a + 1] - m[a]) / self.edges.fps * 0.6 + 0.1;
            let (later, earlier) = (time(a + 1) - shift * count(a + 1), time(a) + shift * count(a));
            self.fit_act(Slot::Act(a + 1), later.max(0.0), u64::MAX);
            self.fit_act(Slot::Act(a), earlier, u64::MAX);
        }
    }

    fn drop_for_pace(&mut self, a: usize) {
        let in_act = |act: usize| -> Vec<usize> {
            (0..self.picks.len())
                .filter(|&i| self.picks[i].slot == Slot::Act(act))
                .collect()
        };
        let len = |i: usize| self.picks[i].b - self.picks[i].a;
        let (later, earlier) = (in_act(a + 1), in_act(a));
        let victim = if later.len() > 1 {
            later.into_iter().max_by_key(|&i| (len(i), i))
        } else if earlier.len() > 1 {
            earlier.into_iter().min_by_key(|&i| (len(i), i))
        } else {
            None
        };
        if let Some(i) = victim {
            self.picks.remove(i);
        }
    }

    /// Move picture clips' edges, frame by frame to allowed edges only, until the clips add up to `target`
    /// frames. Longer acts absorb first, so act 3's short cuts stay short.
    fn fit_total(&mut self, target: u64) {
        let total = |p: &[Pick]| p.iter().map(|p| p.b - p.a).sum::<u64>();
        let mut order: Vec<usize> = (0..self.picks.len())
            .filter(|&i| !self.holds_line(&self.picks[i]))
            .collect();
        order.sort_by_key(|&i| match self.picks[i].slot {
            Slot::Act(a) => a,
            Slot::ColdOpen | Slot::Button => 3,
        });
        for share in [0.15, 0.3, 0.6] {
            for &i in &order {
                let cur = total(&self.picks);
                if cur == target {
                    return;
                }
                let p = self.picks[i];
                let len = p.b - p.a;
                let cap = ((len as f64 * share).ceil() as u64).max(1);
                let e = &self.edges;
                let moves: Vec<(u64, u64)> = if cur < target {
                    let d = (target - cur).min(cap);
                    let b = e.prev(p.b + d).filter(|&b| b > p.b);
                    let a = e.next(p.a.saturating_sub(d)).filter(|&a| a < p.a);
                    [b.map(|b| (p.a, b)), a.map(|a| (a, p.b))]
                        .into_iter()
                        .flatten()
                        .collect()
                } else {
                    let d = (cur - target).min(cap).min(len.saturating_sub(self.min_len));
                    let b = e.next(p.b - d).filter(|&b| b < p.b && b >= p.a + self.min_len);
                    let a = e.prev(p.a + d).filter(|&a| a > p.a && p.b >= a + self.min_len);
                    [b.map(|b| (p.a, b)), a.map(|a| (a, p.b))]
                        .into_iter()
                        .flatten()
                        .collect()
                };
                let (s0, s1) = e.shot(self.cands[p.cand].shot);
                let lines_now = self.lines_in(p.a, p.b);
                for &(a, b) in &moves {
                    // Still on its moment's shot, no new line swallowed, clear of the other clips.
                    let keeps_moment = a < s1 && b > s0 && self.lines_in(a, b) <= lines_now;
                    if !keeps_moment || !self.fits(a, b, Some(i)) {
                        continue;
                    }
                    let before = self.picks[i];
                    self.picks[i].a = a;
                    self.picks[i].b = b;
                    // Never at the cost of the falling pace.
                    if self.pace_falls() {
                        break;
                    }
                    self.picks[i] = before;
                }
            }
        }
    }

    /// The picks in playing order (indices into `picks`).
    fn order(&self) -> Vec<usize> {
        let mut out = Vec::new();
        for slot in [Slot::ColdOpen, Slot::Act(0), Slot::Act(1), Slot::Act(2), Slot::Button] {
            let mut pictures: Vec<usize> = (0..self.picks.len())
                .filter(|&i| self.picks[i].slot == slot && !self.holds_line(&self.picks[i]))
                .collect();
            let mut lines: Vec<usize> = (0..self.picks.len())
                .filter(|&i| self.picks[i].slot == slot && self.holds_line(&self.picks[i]))
                .collect();
            let score = |i: usize| self.cands[self.picks[i].cand].score;
            pictures.sort_by(|&x, &y| score(x).total_cmp(&score(y)).then(x.cmp(&y)));
            if matches!(slot, Slot::Act(0) | Slot::Act(1))
                && let Some(top) = pictures.pop()
            {
                pictures.insert(0, top);
            }
            lines.sort_by_key(|&i| self.picks[i].a);
            // Lines spread evenly: line k goes after round((k + 1) · pictures / (lines + 1)) pictures.
            let (np, nl) = (pictures.len(), lines.len());
            let mut merged = Vec::with_capacity(np + nl);
            let mut pi = pictures.into_iter();
            for (k, l) in lines.into_iter().enumerate() {
                let upto = ((k + 1) * np + nl / 2) / (nl + 1);
                while merged.iter().filter(|&&m| !self.holds_line(&self.picks[m])).count() < upto {
                    merged.push(pi.next().expect("counted"));
                }
                merged.push(l);
            }
            merged.extend(pi);
            out.extend(merged);
        }
        out
    }

    fn manifest(&self, ordered: &[usize], req: &Request, plan: &Plan) -> Manifest {
        let st = self.film.structure;
        let vibe = req.vibe;
        let mut clips = Vec::with_capacity(ordered.len());
        let mut prev_slot = None;
        for &i in ordered {
            let p = self.picks[i];
            let c = &self.cands[p.cand];
            let first_in_slot = prev_slot != Some(p.slot);
            prev_slot = Some(p.slot);
            let transition = match p.slot {
                // The montage is cut hard, and it opens out of the silence with a hit; the button out of the card.
                Slot::Act(2) | Slot::Button => Transition::HardCut,
                _ if first_in_slot => vibe.secondary_transition.into(),
                _ => vibe.primary_transition.into(),
            };
            let scene = c.scene.map(|k| &self.film.scenes[k]);
            let beat = score::beat(
                &BeatInput {
                    time_s: c.time_s,
                    score: c.score,
                    emotion: c.emotion,
                    faces: scene.and_then(|s| s.faces).unwrap_or(0),
                    motion_rank: c.scene.map_or(0.5, |k| self.scored[k].ranks[0]),
                },
                &st.anchors,
            );
            let (a, b) = (self.edges.time(p.a), self.edges.time(p.b));
            let held: Vec<&DialogueEvent> = self
                .film
                .cues
                .iter()
                .filter(|q| q.start_s >= a && q.end_s <= b && !q.sound_cue)
                .collect();
            let excerpt = excerpt(&held);
            let keep_audio = c.line.is_some();
            clips.push(Clip {
                source_start_s: round_time(a),
                source_end_s: round_time(b),
                beat_type: beat,
                act: p.slot.act(),
                transition,
                dialogue_excerpt: excerpt,
                narrative_zone: Some(c.zone.zone),
                money_shot_score: Some((c.score * 1e4).round() / 1e4),
                reasoning: Some(self.reasoning(p, c, beat, first_in_slot)),
                visual_analysis: scene.map(|s| {
                    let t = &s.text;
                    [&t.visual_content, &t.mood, &t.action, &t.setting]
                        .iter()
                        .filter(|x| !x.is_empty())
                        .map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(". ")
                }),
                subtitle_analysis: Some(match (keep_audio, held.first()) {
                    (true, Some(q)) => format!("A line with its own sound ({:?} emotion).", q.emotion).to_lowercase(),
                    (false, Some(_)) => "Holds a line, played under the music without the film's sound.".into(),
                    (_, None) => "No dialogue.".into(),
                }),
                keep_audio,
                extra: Default::default(),
            });
        }
        Manifest {
            schema_version: SCHEMA_VERSION.into(),
            source_file: req.source_file.clone(),
            vibe: vibe.name.into(),
            title: Some(req.title.clone()),
            tagline: None,
            target_length_s: Some(plan.target_s),
            silence_s: Some(round_time(plan.silence_s)),
            title_card_s: Some(round_time(plan.title_s)),
            title_style: Some(vibe.title_card.name().into()),
            source_fingerprint: req.fingerprint.clone(),
            clips,
            structural_anchors: Some(StructuralAnchors {
                anchors: st.anchors,
                source: st.source,
            }),
            bpm_grid: None,
            music_bed: None,
            extra: Default::default(),
        }
    }

    fn reasoning(&self, p: Pick, c: &Candidate, beat: BeatType, first: bool) -> String {
        let role = match (p.slot, c.line.is_some(), first) {
            (Slot::ColdOpen, true, _) => "Cold open: a charged line before anything is explained",
            (Slot::ColdOpen, false, _) => "Cold open: a striking image before anything is explained",
            (Slot::Act(2), false, _) => "Act 3 montage: rising to the strongest image",
            (Slot::Act(_), false, true) => "Opens the act: its strongest image",
            (Slot::Act(0), true, _) => "Act 1: a line that sets up the world and the people in it",
            (Slot::Act(1), true, _) => "Act 2: a line that raises the stakes",
            (Slot::Act(_), true, _) => "Act 3: a line inside the montage",
            (Slot::Act(_), false, false) => "Builds the act, in rising score",
            (Slot::Button, true, _) => "Button: the last word, after the title",
            (Slot::Button, false, _) => "Button: a last sting after the title",
        };
        let strengths = c
            .scene
            .map(|k| self.scored[k].strengths())
            .filter(|s| !s.is_empty())
            .map_or(String::new(), |s| format!(" ({})", s.join(", ")));
        let line = c
            .line
            .map_or(String::new(), |l| format!(" Line: \"{}\".", self.film.cues[l].text));
        // The vibe's pace word for the act ("moderate→fast→montage"), so the reasoning says how it should feel.
        let pace = match p.slot {
            Slot::Act(a) => self
                .pacing
                .split('→')
                .nth(a)
                .map_or(String::new(), |w| format!(" ({w} pace)")),
            _ => String::new(),
        };
        format!(
            "{role}{pace}. Score {:.2}{strengths}. Beat {}. Zone {}: {}.{line}",
            c.score,
            beat.name(),
            c.zone.zone.name(),
            c.zone.reason.trim_end_matches('.')
        )
    }
}

/// Times as written: to 0.1 ms, far below a frame, so a re-read lands on the same frame.
fn round_time(t: f64) -> f64 {
    (t * 1e4).round() / 1e4
}

fn nearest_scene(scenes: &[SceneDescription], t: f64) -> Option<usize> {
    let i = scenes.partition_point(|s| s.time_s < t);
    [i.checked_sub(1), (i < scenes.len()).then_some(i)]
        .into_iter()
        .flatten()
        .min_by(|&x, &y| (scenes[x].time_s - t).abs().total_cmp(&(scenes[y].time_s - t).abs()))
}

fn placeholder_zone() -> ZoneMatch {
    ZoneMatch {
        zone: Zone::Beginning,
        scores: [1.0, 0.0, 0.0].into(),
        position: [1.0, 0.0, 0.0].into(),
        meaning: None,
        reason: String::new(),
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

/// The most characters of dialogue a clip's `dialogue_excerpt` shows: it is a reminder for the editor, not the
/// script (a subtitle file may hold a megabyte in one cue).
const EXCERPT_CHARS: usize = 400;

/// The lines a clip holds, joined with " / " and cut short with "…".
fn excerpt(held: &[&DialogueEvent]) -> String {
    let joined = held.iter().map(|q| q.text.as_str()).collect::<Vec<_>>().join(" / ");
    match joined.char_indices().nth(EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}…", joined[..cut].trim_end()),
        None => joined,
    }
}
