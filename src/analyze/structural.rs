//! Stage `structural`: read what the earlier stages measured, find the anchors (`anchors.rs`), write
//! `structure.json`.

use super::anchors::{self, AnchorSource, STRUCTURE, Signals, Structure};
use crate::error::Result;
use crate::ingest::analysis::{self, ShotList};
use crate::ingest::audio;
use crate::ingest::columns::per_second;
use crate::ingest::dialogue::{DIALOGUE, Dialogue};
use crate::ingest::keyframes::SPANS;
use crate::ingest::spans::StorySpans;
use crate::pipeline::workdir::WorkDir;

pub fn run(work: &WorkDir, duration_s: f64) -> Result<Structure> {
    let shots: ShotList = work.read_json(analysis::SHOTS)?;
    let dialogue: Dialogue = work.read_json(DIALOGUE)?;
    let spans: StorySpans = work.read_json(SPANS)?;
    let seconds = duration_s.ceil().max(1.0) as usize;
    let signals = Signals {
        loudness_lufs: per_second(work.root(), audio::ENVELOPE, &["short_term_lufs"], 0.0, seconds)?.remove(0),
        motion: per_second(work.root(), analysis::FRAMES, &["motion"], shots.offset_s, seconds)?.remove(0),
        cuts: {
            let mut cuts = vec![0f32; seconds];
            for s in shots.shots.iter().skip(1) {
                cuts[(s.start_s.max(0.0) as usize).min(seconds - 1)] += 1.0;
            }
            cuts
        },
    };
    let curve = anchors::intensity(&signals, &dialogue.events, spans.story);
    let (anchors, source, reason) = anchors::heuristic(&curve, spans.story);
    let structure = Structure {
        anchors,
        source,
        reason,
        story: spans.story,
        opening_logos: spans.opening_logos,
        end_credits: spans.end_credits,
        protagonist: anchors::protagonist(&dialogue.events),
        intensity: curve,
    };
    work.write_json(STRUCTURE, &structure)?;
    Ok(structure)
}

impl Structure {
    pub fn summary(&self) -> String {
        let a = &self.anchors;
        let by = match self.source {
            AnchorSource::Llm => "text model",
            AnchorSource::Heuristic => "intensity curve",
            AnchorSource::Fixed => "fixed 5/45/80 %",
        };
        let mut s = format!(
            "anchors {:.1} / {:.1} / {:.1} s ({by})",
            a.begin_t, a.escalation_t, a.climax_t
        );
        if let Some(p) = &self.protagonist {
            s.push_str(&format!("; protagonist {p}"));
        }
        s
    }
}
