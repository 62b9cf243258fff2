//! An independent check of `TRAILER_MANIFEST.json` against the story rules, written from the rules alone.
//!
//! It reads the work dir's analysis files and the manifest as plain JSON and never uses the crate's story code,
//! so a bug shared by the generator and its own validation still shows here. Every finding is one sentence
//! that starts with the rule's name, then names the clip index (its place in playing order) and its film times.

use std::path::Path;

use serde_json::Value;

/// Float slack for comparisons of times, always given in the clip's favour (JSON times are rounded).
const TOL_S: f64 = 0.001;
/// Rule 1: shorter clips read as glitches, not shots.
const MIN_CLIP_S: f64 = 0.5;
/// Rule 1: at low frame rates 0.5 s is too few frames to register.
const MIN_CLIP_FRAMES: f64 = 12.0;
/// Rule 2: how far an edge may sit from `offset_s + k / fps` (rounding in JSON, not a real off-grid cut).
const GRID_TOL_S: f64 = 0.001;
/// Rule 3: cutting this close to a line clips its first or last syllable.
const DIALOGUE_PAD_S: f64 = 0.1;
/// Rule 5: the last share of the story is the ending, kept out of the trailer unless spoilers are allowed.
const SPOILER_TAIL: f64 = 0.05;
/// Rule 6: a shot piece shorter than this at a clip's edge flashes by.
const MIN_SHOT_PIECE_FRAMES: f64 = 6.0;
/// Rule 7: clips closer than this in the film look like one shot stuttering.
const MIN_GAP_S: f64 = 0.5;
/// Rule 7: only a shot at least this long has room for two different moments.
const SAME_SHOT_MIN_SHOT_S: f64 = 8.0;
/// Rule 7: two clips from one shot must be at least this far apart to be different moments.
const SAME_SHOT_MIN_GAP_S: f64 = 2.0;
/// Rule 10: how far the trailer's total length may stray from its target, as a share of the target.
const TOTAL_TOLERANCE: f64 = 0.03;
/// Rule 11: the share of an act's clips that must come from the act's own narrative zone.
const ZONE_SHARE: f64 = 0.70;
/// Rule 12: an act with fewer clips may be in film order by chance.
const ORDER_CHECK_MIN_CLIPS: usize = 4;
/// Rule 8: the acts in the order they must play. Other legal acts (beat_drop, breath, title_card) are
/// interstitial and may sit anywhere.
const ACT_ORDER: [&str; 5] = ["cold_open", "act1", "act2", "act3", "button"];
const INTERSTITIAL_ACTS: [&str; 3] = ["beat_drop", "breath", "title_card"];
/// Rules 9, 11, 12: the three main acts and the zone each should draw from.
const MAIN_ACTS: [(&str, &str); 3] = [("act1", "BEGINNING"), ("act2", "ESCALATION"), ("act3", "CLIMAX")];

#[derive(Debug, Clone, Copy)]
pub struct Span {
    pub start_s: f64,
    pub end_s: f64,
}

#[derive(Debug, Clone)]
pub struct Shot {
    pub start_frame: u64,
    /// Exclusive.
    pub end_frame: u64,
    /// From the frames (`offset_s + frame / fps`), not the rounded seconds in the JSON.
    pub start_s: f64,
    pub end_s: f64,
}

#[derive(Debug, Clone)]
pub struct Event {
    pub start_s: f64,
    pub end_s: f64,
    pub text: String,
    pub sound_cue: bool,
}

/// What the checker knows of the film, from `analysis/shots.json`, `dialogue.json` and `structure.json`.
#[derive(Debug, Clone)]
pub struct Film {
    pub fps: f64,
    pub offset_s: f64,
    pub frames: u64,
    pub shots: Vec<Shot>,
    pub events: Vec<Event>,
    pub story: Span,
    pub opening_logos: Option<Span>,
    pub end_credits: Option<Span>,
}

fn read(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{what} must be a number, not {v}"))
}

fn span(v: &Value, what: &str) -> Span {
    Span {
        start_s: num(&v["start_s"], &format!("{what}.start_s")),
        end_s: num(&v["end_s"], &format!("{what}.end_s")),
    }
}

impl Film {
    /// Panics with the file's name when a file is missing or malformed: the checker has nothing to check against.
    pub fn load(work_dir: &Path) -> Film {
        let shots_json = read(&work_dir.join("analysis/shots.json"));
        let fps = num(&shots_json["fps"], "shots.json fps");
        let offset_s = shots_json["offset_s"].as_f64().unwrap_or(0.0);
        let frames = shots_json["frames"].as_u64().expect("shots.json frames");
        let shots = shots_json["shots"]
            .as_array()
            .expect("shots.json shots")
            .iter()
            .map(|s| {
                let start_frame = s["start_frame"].as_u64().expect("shot start_frame");
                let end_frame = s["end_frame"].as_u64().expect("shot end_frame");
                Shot {
                    start_frame,
                    end_frame,
                    start_s: offset_s + start_frame as f64 / fps,
                    end_s: offset_s + end_frame as f64 / fps,
                }
            })
            .collect();

        let dialogue = read(&work_dir.join("dialogue.json"));
        let events = dialogue["events"]
            .as_array()
            .expect("dialogue.json events")
            .iter()
            .map(|e| Event {
                start_s: num(&e["start_s"], "event start_s"),
                end_s: num(&e["end_s"], "event end_s"),
                text: e["text"].as_str().unwrap_or_default().to_string(),
                sound_cue: e["sound_cue"].as_bool().unwrap_or(false),
            })
            .collect();

        let structure = read(&work_dir.join("structure.json"));
        let optional = |key: &str| (!structure[key].is_null()).then(|| span(&structure[key], key));
        Film {
            fps,
            offset_s,
            frames,
            shots,
            events,
            story: span(&structure["story"], "story"),
            opening_logos: optional("opening_logos"),
            end_credits: optional("end_credits"),
        }
    }

    /// Shots a clip shows at least part of (more than the slack), in film order.
    fn shots_in(&self, c: &Clip) -> Vec<usize> {
        (0..self.shots.len())
            .filter(|&i| self.shots[i].start_s < c.end - TOL_S && self.shots[i].end_s > c.start + TOL_S)
            .collect()
    }
}

/// One clip of the manifest, with its place in playing order.
struct Clip {
    index: usize,
    start: f64,
    end: f64,
    act: String,
    zone: String,
    keep_audio: bool,
}

impl Clip {
    fn len(&self) -> f64 {
        self.end - self.start
    }

    /// "clip 3 (12.523–15.523 s)": how every sentence names a clip.
    fn tag(&self) -> String {
        format!("clip {} ({:.3}–{:.3} s)", self.index, self.start, self.end)
    }
}

fn list(clips: &[&Clip]) -> String {
    clips.iter().map(|c| c.tag()).collect::<Vec<_>>().join(", ")
}

/// Every broken rule, as a readable sentence naming the clip index and times. Empty = all good.
pub fn check(film: &Film, manifest: &Value, allow_spoilers: bool) -> Vec<String> {
    let mut out = Vec::new();
    let Some(raw) = manifest["clips"].as_array() else {
        return vec!["manifest: no clips array".to_string()];
    };
    let mut clips = Vec::new();
    for (index, c) in raw.iter().enumerate() {
        let (Some(start), Some(end)) = (c["source_start_s"].as_f64(), c["source_end_s"].as_f64()) else {
            out.push(format!(
                "manifest: clip {index} lacks a numeric source_start_s or source_end_s"
            ));
            continue;
        };
        clips.push(Clip {
            index,
            start,
            end,
            act: c["act"].as_str().unwrap_or_default().to_string(),
            zone: c["narrative_zone"].as_str().unwrap_or_default().to_string(),
            keep_audio: c["keep_audio"].as_bool().unwrap_or(false),
        });
    }

    for c in &clips {
        length(film, c, &mut out);
        frame_grid(film, c, &mut out);
        dialogue(film, c, &mut out);
        region(film, c, allow_spoilers, &mut out);
        flash_frames(film, c, &mut out);
    }
    diversity(film, &clips, &mut out);
    act_order(&clips, &mut out);
    act_lengths(&clips, &mut out);
    total(manifest, &clips, &mut out);
    zones(&clips, &mut out);
    film_order(&clips, &mut out);
    out
}

/// Rule 1.
fn length(film: &Film, c: &Clip, out: &mut Vec<String>) {
    let min = MIN_CLIP_S.max(MIN_CLIP_FRAMES / film.fps);
    if c.len() + TOL_S < min {
        out.push(format!(
            "length: {} is {:.3} s long, under the minimum {min:.3} s",
            c.tag(),
            c.len()
        ));
    }
}

/// Rule 2.
fn frame_grid(film: &Film, c: &Clip, out: &mut Vec<String>) {
    for (edge, t) in [("start", c.start), ("end", c.end)] {
        let k = ((t - film.offset_s) * film.fps).round();
        let on_grid = film.offset_s + k / film.fps;
        if (t - on_grid).abs() > GRID_TOL_S {
            out.push(format!(
                "frame grid: {} {edge} {t:.4} s is off the frame grid (nearest frame {k} at {on_grid:.4} s)",
                c.tag()
            ));
        }
    }
}

/// Rules 3 and 4. Sound-cue events count for rule 3 (cutting a sound mid-way is as bad) but not for rule 4.
fn dialogue(film: &Film, c: &Clip, out: &mut Vec<String>) {
    for e in &film.events {
        for (edge, t) in [("start", c.start), ("end", c.end)] {
            if t > e.start_s - DIALOGUE_PAD_S + TOL_S && t < e.end_s + DIALOGUE_PAD_S - TOL_S {
                out.push(format!(
                    "dialogue edge: {} {edge} {t:.3} s falls within {DIALOGUE_PAD_S} s of line {:.3}–{:.3} s {:?}",
                    c.tag(),
                    e.start_s,
                    e.end_s,
                    e.text
                ));
            }
        }
        let overlaps = e.start_s < c.end - TOL_S && e.end_s > c.start + TOL_S;
        let inside = e.start_s >= c.start - TOL_S && e.end_s <= c.end + TOL_S;
        if overlaps && !inside {
            out.push(format!(
                "dialogue overlap: {} cuts line {:.3}–{:.3} s {:?}, which is only partly inside it",
                c.tag(),
                e.start_s,
                e.end_s,
                e.text
            ));
        }
    }
    if c.keep_audio
        && !film
            .events
            .iter()
            .any(|e| !e.sound_cue && e.start_s >= c.start - TOL_S && e.end_s <= c.end + TOL_S)
    {
        out.push(format!(
            "keep_audio: {} keeps its audio but holds no whole spoken line",
            c.tag()
        ));
    }
}

/// Rule 5.
fn region(film: &Film, c: &Clip, allow_spoilers: bool, out: &mut Vec<String>) {
    let story = film.story;
    if c.start < story.start_s - TOL_S || c.end > story.end_s + TOL_S {
        out.push(format!(
            "region: {} is not inside the story {:.3}–{:.3} s",
            c.tag(),
            story.start_s,
            story.end_s
        ));
    }
    for (name, s) in [("opening logos", film.opening_logos), ("end credits", film.end_credits)] {
        if let Some(s) = s
            && c.start < s.end_s - TOL_S
            && c.end > s.start_s + TOL_S
        {
            out.push(format!(
                "region: {} overlaps the {name} {:.3}–{:.3} s",
                c.tag(),
                s.start_s,
                s.end_s
            ));
        }
    }
    let limit = story.end_s - SPOILER_TAIL * (story.end_s - story.start_s);
    if !allow_spoilers && c.end > limit + TOL_S {
        out.push(format!(
            "spoiler: {} ends after {limit:.3} s, in the last {:.0}% of the story",
            c.tag(),
            SPOILER_TAIL * 100.0
        ));
    }
}

/// Rule 6.
fn flash_frames(film: &Film, c: &Clip, out: &mut Vec<String>) {
    let shots = film.shots_in(c);
    let (Some(&first), Some(&last)) = (shots.first(), shots.last()) else {
        return;
    };
    if first == last {
        return;
    }
    let min = MIN_SHOT_PIECE_FRAMES / film.fps;
    for (which, i, piece) in [
        ("first", first, film.shots[first].end_s - c.start),
        ("last", last, c.end - film.shots[last].start_s),
    ] {
        if piece + TOL_S < min {
            out.push(format!(
                "flash frame: {} shows only {:.1} frames of its {which} shot (shot {i}, frames {}–{}), under {}",
                c.tag(),
                piece * film.fps,
                film.shots[i].start_frame,
                film.shots[i].end_frame,
                MIN_SHOT_PIECE_FRAMES
            ));
        }
    }
}

/// Rule 7. One sentence per offending pair: too close, else sharing a shot that cannot hold both.
fn diversity(film: &Film, clips: &[Clip], out: &mut Vec<String>) {
    let mut by_time: Vec<&Clip> = clips.iter().collect();
    by_time.sort_by(|a, b| a.start.total_cmp(&b.start));
    for (i, a) in by_time.iter().enumerate() {
        for b in &by_time[i + 1..] {
            let gap = b.start - a.end;
            if gap + TOL_S < MIN_GAP_S {
                let how = if gap < -TOL_S {
                    "overlap".to_string()
                } else {
                    format!("are only {gap:.3} s apart")
                };
                out.push(format!(
                    "diversity: {} and {} {how} in the film (need a gap of {MIN_GAP_S} s)",
                    a.tag(),
                    b.tag()
                ));
                continue;
            }
            let a_shots = film.shots_in(a);
            let Some(&shared) = film.shots_in(b).iter().find(|s| a_shots.contains(s)) else {
                continue;
            };
            let shot = &film.shots[shared];
            let shot_s = (shot.end_frame - shot.start_frame) as f64 / film.fps;
            if shot_s + TOL_S < SAME_SHOT_MIN_SHOT_S || gap + TOL_S < SAME_SHOT_MIN_GAP_S {
                out.push(format!(
                    "diversity: {} and {} both come from shot {shared} ({shot_s:.3} s long) {gap:.3} s apart \
                     (one shot may give two clips only if at least {SAME_SHOT_MIN_SHOT_S} s long and the clips \
                     are {SAME_SHOT_MIN_GAP_S} s apart)",
                    a.tag(),
                    b.tag()
                ));
            }
        }
    }
}

/// Rule 8. Reports each step backwards between neighbouring ordered clips (interstitials skipped), not every
/// clip after a misplaced one.
fn act_order(clips: &[Clip], out: &mut Vec<String>) {
    let mut prev: Option<(&Clip, usize)> = None;
    for c in clips {
        let Some(rank) = ACT_ORDER.iter().position(|a| *a == c.act) else {
            if !INTERSTITIAL_ACTS.contains(&c.act.as_str()) {
                out.push(format!("act order: {} has unknown act {:?}", c.tag(), c.act));
            }
            continue;
        };
        if let Some((p, prank)) = prev
            && rank < prank
        {
            out.push(format!(
                "act order: {} is {} but plays after {}, which is {} (order: {})",
                c.tag(),
                c.act,
                p.tag(),
                p.act,
                ACT_ORDER.join(", ")
            ));
        }
        prev = Some((c, rank));
    }
    for (act, _) in MAIN_ACTS {
        if !clips.iter().any(|c| c.act == act) {
            out.push(format!("act order: the manifest has no {act} clip"));
        }
    }
}

fn act_clips<'a>(clips: &'a [Clip], act: &str) -> Vec<&'a Clip> {
    clips.iter().filter(|c| c.act == act).collect()
}

/// Rule 9, between neighbouring acts that are present (a missing act is rule 8's finding).
fn act_lengths(clips: &[Clip], out: &mut Vec<String>) {
    let present: Vec<(&str, Vec<&Clip>)> = MAIN_ACTS
        .iter()
        .map(|(act, _)| (*act, act_clips(clips, act)))
        .filter(|(_, cs)| !cs.is_empty())
        .collect();
    let mean = |cs: &[&Clip]| cs.iter().map(|c| c.len()).sum::<f64>() / cs.len() as f64;
    for w in present.windows(2) {
        let ((a, a_clips), (b, b_clips)) = (&w[0], &w[1]);
        let (ma, mb) = (mean(a_clips), mean(b_clips));
        if mb >= ma {
            out.push(format!(
                "act length: {b} clips average {mb:.3} s, not shorter than {a}'s {ma:.3} s; {b}: {}; {a}: {}",
                list(b_clips),
                list(a_clips)
            ));
        }
    }
}

/// Rule 10. A missing `silence_s` or `title_card_s` counts as 0 s.
fn total(manifest: &Value, clips: &[Clip], out: &mut Vec<String>) {
    let Some(target) = manifest["target_length_s"].as_f64() else {
        out.push("total: the manifest has no numeric target_length_s".to_string());
        return;
    };
    let clips_s: f64 = clips.iter().map(Clip::len).sum();
    let silence = manifest["silence_s"].as_f64().unwrap_or(0.0);
    let title = manifest["title_card_s"].as_f64().unwrap_or(0.0);
    let sum = clips_s + silence + title;
    if (sum - target).abs() > TOTAL_TOLERANCE * target {
        out.push(format!(
            "total: clips {clips_s:.3} s + silence {silence:.3} s + title card {title:.3} s = {sum:.3} s, \
             {:.1}% off the target {target:.3} s (allowed ±{:.0}%)",
            (sum - target) / target * 100.0,
            TOTAL_TOLERANCE * 100.0
        ));
    }
}

/// Rule 11.
fn zones(clips: &[Clip], out: &mut Vec<String>) {
    for (act, zone) in MAIN_ACTS {
        let cs = act_clips(clips, act);
        let off: Vec<&Clip> = cs.iter().copied().filter(|c| c.zone != zone).collect();
        let on = cs.len() - off.len();
        if !cs.is_empty() && (on as f64) < ZONE_SHARE * cs.len() as f64 - 1e-9 {
            out.push(format!(
                "zone: only {on} of {} {act} clips are {zone} (need {:.0}%); the others: {}",
                cs.len(),
                ZONE_SHARE * 100.0,
                list(&off)
            ));
        }
    }
}

/// Rule 12.
fn film_order(clips: &[Clip], out: &mut Vec<String>) {
    for (act, _) in MAIN_ACTS {
        let cs = act_clips(clips, act);
        if cs.len() >= ORDER_CHECK_MIN_CLIPS && cs.windows(2).all(|w| w[0].start <= w[1].start) {
            out.push(format!(
                "film order: the {} {act} clips play in film order (zone-first, not chronological): {}",
                cs.len(),
                list(&cs)
            ));
        }
    }
}
