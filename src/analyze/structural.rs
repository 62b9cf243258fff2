//! Stage `structural`: read what the earlier stages measured, find the anchors (`anchors.rs`), write
//! `structure.json`.

use serde::Serialize;

use super::anchors::{self, AnchorSource, STRUCTURE, Signals, Structure};
use super::openai::{CallError, Client, EndpointConfig};
use super::turning_points;
use crate::error::Result;
use crate::ingest::{
    DIALOGUE, Dialogue, ENVELOPE, SPANS, StorySpans,
    analysis::{self, ShotList},
    per_second,
};
use crate::workdir::WorkDir;

pub(crate) const VERSIONS: &[u32] = &[anchors::VERSION, turning_points::PROMPT_VERSION];

pub(crate) fn outputs_present(work: &WorkDir) -> bool {
    work.path(STRUCTURE).is_file()
}

/// What stage `structural` reads: the film's length (0 when the container does not say) and the text model,
/// when the user named one.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Inputs {
    pub duration_s: f64,
    pub text: Option<TextModel>,
}

/// The text model's server and its context window in tokens.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct TextModel {
    pub endpoint: EndpointConfig,
    pub context_tokens: usize,
}

/// Room for the answer: three short JSON objects.
const ANSWER_TOKENS: u32 = 200;

pub(crate) fn run(inputs: &Inputs, work: &WorkDir) -> Result<Structure> {
    let duration_s = inputs.duration_s;
    let shots: ShotList = work.read_json(analysis::SHOTS)?;
    let dialogue: Dialogue = work.read_json(DIALOGUE)?;
    let spans: StorySpans = work.read_json(SPANS)?;
    // A container without a duration: the analysed frames say how long the film is.
    let duration_s = if duration_s > 0.0 {
        duration_s
    } else {
        shots.frames as f64 / shots.fps
    };
    let seconds = duration_s.ceil().max(1.0) as usize;
    let signals = Signals {
        loudness_lufs: per_second(work.root(), ENVELOPE, &["short_term_lufs"], 0.0, seconds)?.remove(0),
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
    let mut asked = None;
    if let Some(m) = &inputs.text {
        let client = Client::new(m.endpoint.clone());
        let mut ask = |system: &str, user: &str, schema: &serde_json::Value| match client.complete_json(
            system,
            user,
            schema,
            ANSWER_TOKENS,
        ) {
            Ok(v) => Ok(Ok(v)),
            Err(CallError::Fatal(e)) => Err(e),
            Err(e) => Ok(Err(e.to_string())),
        };
        asked = Some(turning_points::ask_model(
            &dialogue.events,
            spans.story,
            m.context_tokens,
            &mut ask,
        )?);
    }
    let (anchors, source, reason) = match asked {
        Some(Ok((anchors, why))) => (anchors, AnchorSource::Llm, why),
        Some(Err(why)) => {
            tracing::warn!("the text model's anchors were not usable ({why}); using the film's intensity curve");
            let (a, s, r) = anchors::heuristic(&curve, spans.story);
            (a, s, format!("{r} (the text model's answer was not usable: {why})"))
        }
        None => anchors::heuristic(&curve, spans.story),
    };
    let structure = Structure {
        anchors,
        source,
        reason,
        story: spans.story,
        opening_logos: spans.opening_logos,
        end_credits: spans.end_credits,
        protagonist: anchors::protagonist(&dialogue.events),
        intensity: curve,
        text: spans.text,
    };
    work.write_json(STRUCTURE, &structure)?;
    Ok(structure)
}

impl Structure {
    pub(crate) fn summary(&self) -> String {
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
