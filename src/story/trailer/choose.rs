//! Step 2: choosing, slot by slot. Where a clip of a moment may sit (a safe window of the wanted length that
//! keeps to the edges, holds its line whole and keeps away from clips already chosen), and which moments each
//! slot takes: its own zone first, best score first, then, if it must, the moments leaning most towards it.

use super::*;

impl Chooser<'_> {
    /// Slots in the order they choose: the cold open takes the best hook, the acts their zones, the button last.
    pub(super) fn choose_slots(&mut self, plan: &Plan) {
        let fps = self.film.fps;
        let len = |s: f64| ((s * fps).round() as u64).max(1);
        self.choose(
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
                self.choose(Slot::Act(a), p.clips, p.lines, len(p.mean_cut_s()), p.time_s, borrow);
            }
        }
        self.choose(
            Slot::Button,
            1,
            plan.button_line as usize,
            len(plan.button_s),
            plan.button_s,
            true,
        );
    }

    /// Spoken lines wholly inside `[a, b)`.
    pub(super) fn lines_in(&self, a: u64, b: u64) -> usize {
        let (ta, tb) = (self.edges.time(a), self.edges.time(b));
        self.spoken.partition_point(|&s| s < tb) - self.spoken.partition_point(|&s| s < ta)
    }

    pub(super) fn holds_line(&self, p: &Pick) -> bool {
        self.cands[p.cand].line.is_some()
    }

    /// Whether `[a, b)` shows none of the film's own text and keeps its distance from every chosen clip but
    /// `skip`.
    pub(super) fn fits(&self, a: u64, b: u64, skip: Option<usize>) -> bool {
        if !self.edges.clear(a, b) {
            return false;
        }
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
    pub(super) fn picture_window(&self, c: &Candidate, len: u64, skip: Option<usize>) -> Option<(u64, u64)> {
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
    pub(super) fn can_cut_around(&self, cue: &DialogueEvent) -> bool {
        let e = &self.edges;
        let frame = |t: f64| ((t - e.offset_s) * e.fps).max(0.0);
        let start = frame(cue.start_s).floor() as u64;
        let before = e.prev(frame(cue.start_s - CUE_MARGIN_S).floor() as u64);
        let after = e.next(frame(cue.end_s + CUE_MARGIN_S).ceil() as u64);
        before.is_some_and(|a| start.saturating_sub(a) <= e.frames_for(LINE_REACH_S)) && after.is_some()
    }

    /// The best safe window holding the whole line, about `len` frames or the line's own length if longer.
    pub(super) fn line_window(&self, c: &Candidate, len: u64, max_len: u64, skip: Option<usize>) -> Option<(u64, u64)> {
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

    pub(super) fn used(&self, cand: usize) -> bool {
        self.picks.iter().any(|p| p.cand == cand)
    }

    /// Choose clips for `slot` until it has `n`, `lines` of them lines, each about `len` frames; from the slot's
    /// own zone only unless `borrow`.
    pub(super) fn choose(&mut self, slot: Slot, n: usize, lines: usize, len: u64, time_s: f64, borrow: bool) {
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
    pub(super) fn pool(&self, slot: Slot) -> Vec<usize> {
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
}
