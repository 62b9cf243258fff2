//! Step 1: the candidates. Every keyframe inside the usable region is a picture moment; every spoken line that
//! plays well alone (and has a place to cut around it) is a line moment. Each is scored and given a zone.

use super::*;

impl Chooser<'_> {
    pub(super) fn candidates(&mut self, zones: &ZoneMatcher, region: (f64, f64)) -> Result<()> {
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
