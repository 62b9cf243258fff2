//! Step 4: the order (decided here, never re-sorted later) and the manifest: each clip with its act, beat,
//! transition, the line it holds and the reasons it was chosen.

use super::*;

impl Chooser<'_> {
    /// The picks in playing order (indices into `picks`).
    pub(super) fn order(&self) -> Vec<usize> {
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

    pub(super) fn manifest(&self, ordered: &[usize], req: &Request, plan: &Plan) -> Manifest {
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
            title_shot: None,
            title_card_reason: None,
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

    pub(super) fn reasoning(&self, p: Pick, c: &Candidate, beat: BeatType, first: bool) -> String {
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
            "{role}{pace}. Score {:.2}{strengths}. Beat {}. Zone {}: {}.{line}{}",
            c.score,
            beat.name(),
            c.zone.zone.name(),
            c.zone.reason.trim_end_matches('.'),
            self.text_nearby(p)
        )
    }

    /// Why an edge stops where it does, when the film's own text is right there: the clip may not show it.
    fn text_nearby(&self, p: Pick) -> String {
        let (a, b) = (self.edges.time(p.a), self.edges.time(p.b));
        let reach = TEXT_MARGIN_S + 0.5;
        let mut out = String::new();
        for t in self.film.structure.no_clip_text() {
            let what = match &t.words {
                Some(w) => format!("the film's {} \"{}\"", t.kind.name(), excerpt_words(w)),
                None => format!("the film's {}", t.kind.name()),
            };
            if a >= t.end_s && a - t.end_s <= reach {
                out.push_str(&format!(
                    " It starts after {what} ({:.1}–{:.1} s), which no clip shows.",
                    t.start_s, t.end_s
                ));
            } else if b <= t.start_s && t.start_s - b <= reach {
                out.push_str(&format!(
                    " It ends before {what} ({:.1}–{:.1} s), which no clip shows.",
                    t.start_s, t.end_s
                ));
            }
        }
        out
    }
}

/// At most a few words of what was read, for a reason.
fn excerpt_words(words: &str) -> String {
    let mut w: Vec<&str> = words.split_whitespace().take(6).collect();
    if words.split_whitespace().count() > 6 {
        w.push("…");
    }
    w.join(" ")
}

/// Times as written: to 0.1 ms, far below a frame, so a re-read lands on the same frame.
fn round_time(t: f64) -> f64 {
    (t * 1e4).round() / 1e4
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
