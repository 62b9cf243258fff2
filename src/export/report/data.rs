//! Everything the report shows, read from the work dir into one plain struct. The manifest and the timeline are
//! required (the report is about them); every other file is optional, because a work dir made by an older
//! build, a `--manifest` render on a bare work dir or a film without subtitles lacks some of them. An optional
//! file that is present but unreadable is left out with a warning: the report is a by-product of the run and
//! never fails it for want of a chart.

use std::collections::BTreeMap;
use std::path::Path;

use serde::de::DeserializeOwned;

use super::loudness::{self, LoudnessCurve};
use crate::analyze::{STRUCTURE, Structure};
use crate::error::Result;
use crate::ingest::{DIALOGUE, Dialogue, DialogueEvent, PROBE, SHOTS, ShotList};
use crate::media::Probe;
use crate::render::MIX_REPORT;
use crate::sound::{MASTER, MixReport};
use crate::story::Manifest;
use crate::timeline::Timeline;
use crate::workdir::load_checkpoint;

/// The work dir's contents, as the report needs them.
#[derive(Debug, Clone)]
pub(super) struct WorkData {
    pub manifest: Manifest,
    pub timeline: Timeline,
    pub probe: Option<Probe>,
    pub shots: Option<ShotList>,
    /// Empty for a film without subtitles.
    pub dialogue: Vec<DialogueEvent>,
    pub structure: Option<Structure>,
    pub mix: Option<MixReport>,
    /// Seconds per stage of the run that last ran it; empty when the checkpoint predates the record.
    pub stage_seconds: BTreeMap<String, f64>,
    /// The final mix's loudness over trailer time, from `sound/master.wav`.
    pub loudness: Option<LoudnessCurve>,
}

impl WorkData {
    /// `manifest`: the one the trailer was rendered from (the work dir's, or the file `--manifest` named); a
    /// timeline rendered from another is refused, as the exports refuse it.
    pub(super) fn load(work_dir: &Path, manifest_path: &Path) -> Result<WorkData> {
        let manifest = Manifest::load(manifest_path, None)?;
        let timeline = crate::export::load_timeline(work_dir, &manifest, manifest_path)?;
        let dialogue = optional::<Dialogue>(work_dir, DIALOGUE)
            .map(|d| d.events)
            .unwrap_or_default();
        let master = work_dir.join(MASTER);
        let loudness = master
            .is_file()
            .then(|| loudness::of_file(&master))
            .and_then(|r| r.map_err(|e| tracing::warn!("report: no loudness curve: {e}")).ok());
        Ok(WorkData {
            manifest,
            timeline,
            probe: optional(work_dir, PROBE),
            shots: optional(work_dir, SHOTS),
            dialogue,
            structure: optional(work_dir, STRUCTURE),
            mix: optional(work_dir, MIX_REPORT),
            stage_seconds: load_checkpoint(work_dir).map(|c| c.stage_seconds).unwrap_or_default(),
            loudness,
        })
    }

    /// The film's length: the probe's, else the end of the last thing the work dir knows happens in it.
    pub(super) fn film_duration_s(&self) -> f64 {
        if let Some(d) = self.probe.as_ref().and_then(Probe::duration) {
            return d;
        }
        let clips = self.manifest.clips.iter().map(|c| c.source_end_s);
        let shots = self.shots.iter().flat_map(|s| s.shots.iter().map(|s| s.end_s));
        let lines = self.dialogue.iter().map(|e| e.end_s);
        clips.chain(shots).chain(lines).fold(1.0, f64::max)
    }
}

fn optional<T: DeserializeOwned>(work_dir: &Path, rel: &str) -> Option<T> {
    let path = work_dir.join(rel);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!("report: {}: cannot read ({e}); left out", path.display());
            return None;
        }
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| tracing::warn!("report: {}: not readable ({e}); left out", path.display()))
        .ok()
}
