//! Step 3: fitting. Each act's picture clips are resized so the act lasts its planned time, clips are dropped
//! or trimmed until the cut quickens from act to act, then clip ends move by whole frames, to allowed edges only,
//! until the trailer is its target length.

use super::*;

impl Chooser<'_> {
    /// Each act to its planned time (an act short of moments does not stretch the few it has: the trailer's other
    /// clips take up the time), the pace made to fall, the whole to the target length. Returns the warnings and
    /// whether the film was short of material.
    pub(super) fn fit(&mut self, plan: &Plan) -> (Vec<String>, bool) {
        let mut warnings = Vec::new();
        let mut short_of_material = false;
        for a in 0..3 {
            let got = self.picks.iter().filter(|p| p.slot == Slot::Act(a)).count();
            if got < plan.acts[a].clips {
                short_of_material = true;
                warnings.push(format!(
                    "act {} has {got} of its {} clips: the film has too few distinct moments left",
                    a + 1,
                    plan.acts[a].clips
                ));
            }
            let longest = self.edges.frames_for(1.5 * plan.acts[a].mean_cut_s());
            self.fit_act(Slot::Act(a), plan.acts[a].time_s, longest);
        }
        self.keep_pace_falling();
        let clip_target = self.edges.frames_for(plan.target_s - plan.silence_s - plan.title_s);
        self.fit_total(clip_target);
        (warnings, short_of_material)
    }

    /// Resize the act's picture clips so the act lasts `time_s`, none longer than `longest` frames.
    pub(super) fn fit_act(&mut self, slot: Slot, time_s: f64, longest: u64) {
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
    pub(super) fn act_means(&self) -> [f64; 3] {
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

    pub(super) fn pace_falls(&self) -> bool {
        let m = self.act_means();
        m[0] > m[1] && m[1] > m[2]
    }

    /// Lines run their own length, so an act full of long lines can end up slower than the act before it. Move
    /// time from the later act's pictures to the earlier act's until the pace falls again.
    pub(super) fn keep_pace_falling(&mut self) {
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

    pub(super) fn drop_for_pace(&mut self, a: usize) {
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
    pub(super) fn fit_total(&mut self, target: u64) {
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
}
