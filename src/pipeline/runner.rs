//! Walks the stages in order. A stage is skipped only when the checkpoint says it is complete, with the same
//! input key, and its outputs are still there; otherwise it and every later stage run again. The checkpoint is
//! saved after each stage, so an interrupted run resumes at the stage it was in.

use std::path::PathBuf;
use std::time::Instant;

use super::stages::{self, Inputs, StageCtx};
use crate::cancel::Cancel;
use crate::config::RunConfig;
use crate::error::{IoContext, Result};
use crate::media::Tools;
use crate::render;
use crate::workdir::{PipelineCheckpoint, Reporter, Stage, WorkDir, fingerprint, load_checkpoint, save_checkpoint};

/// What a run did, for the caller and for tests (the proof that a resume skipped work).
#[derive(Debug, Default)]
pub(crate) struct RunOutcome {
    pub ran: Vec<Stage>,
    pub skipped: Vec<Stage>,
    /// The last stage that completed in this run or before it.
    pub last_complete: Option<Stage>,
    pub work_dir: PathBuf,
    /// The work dir, still locked: the hand-off after the run (exports, report) writes there too.
    pub lock: Option<WorkDir>,
}

/// The stages a run covers: everything up to `until`, or only assembly and conform when rendering a manifest.
fn planned_stages(cfg: &RunConfig) -> Vec<Stage> {
    Stage::ALL
        .into_iter()
        .filter(|s| *s <= cfg.until)
        .filter(|s| cfg.manifest.is_none() || *s >= Stage::Assembly)
        .collect()
}

pub(crate) fn run(cfg: &RunConfig, tools: &Tools, cancel: &Cancel, reporter: &mut dyn Reporter) -> Result<RunOutcome> {
    let work = WorkDir::open(&cfg.work_dir)?;
    let fp = fingerprint(&cfg.source).at(&cfg.source, "cannot read the film")?;
    let mut ckpt = match (cfg.fresh, load_checkpoint(work.root())) {
        (true, _) | (false, None) => None,
        (false, Some(c)) if c.source_file != cfg.source.to_string_lossy() => {
            reporter.note(&format!(
                "the checkpoint in {} is for another film ({}); starting fresh",
                work.root().display(),
                c.source_file
            ));
            None
        }
        (false, Some(c)) if c.source_fingerprint.as_ref() != Some(&fp) => {
            reporter.note("the film changed since the checkpoint was written; starting fresh");
            None
        }
        (false, Some(c)) => Some(c),
    }
    .unwrap_or_else(|| PipelineCheckpoint::new(&cfg.source, Some(fp.clone()), cfg.vibe.name));
    ckpt.vibe = cfg.vibe.name.to_string();
    if cfg.fresh {
        // `--fresh` redoes everything, the render cache included.
        render::clear_cache(&work);
    }

    let ctx = StageCtx {
        tools,
        work: &work,
        cancel,
    };
    let mut outcome = RunOutcome {
        work_dir: work.root().to_path_buf(),
        ..Default::default()
    };
    // Keys first (cheap), then one decision: the first stage that is not complete with the same key and its
    // outputs present. It and everything after it run; everything before it is skipped.
    let (mut keyed, mut inputs) = (Vec::new(), Vec::new());
    let mut prev_key = String::new();
    for stage in planned_stages(cfg) {
        let stage_inputs = Inputs::for_stage(stage, cfg, &fp)?;
        let key = stage_inputs.key(&prev_key);
        let present = stages::outputs_present(&stage_inputs, &work);
        prev_key.clone_from(&key);
        keyed.push(PlannedStage { stage, key, present });
        inputs.push(stage_inputs);
    }
    let first_run = first_stale(&ckpt, &keyed);
    for (i, (planned, inputs)) in keyed.iter().zip(&inputs).enumerate() {
        cancel.check()?;
        let stage = planned.stage;
        if i < first_run {
            reporter.stage_skipped(stage, "complete, inputs unchanged");
            outcome.skipped.push(stage);
        } else {
            if i == first_run && ckpt.is_stage_complete(stage) {
                reporter.note(&format!(
                    "{stage}: its inputs or outputs changed since the last run; redoing it and every later stage"
                ));
            }
            // Forget this stage and the later ones on disk before touching their outputs, so a crash in the
            // middle can never leave a "complete" mark next to half-replaced artifacts.
            ckpt.invalidate_from(stage);
            save_checkpoint(&ckpt, work.root()).at(work.root(), "cannot save the checkpoint")?;
            reporter.stage_started(stage);
            let started = Instant::now();
            let summary = stages::run(inputs, &ctx, &mut ckpt, reporter.progress())?;
            ckpt.mark_stage_complete_with_key(stage, &planned.key);
            ckpt.stage_seconds
                .insert(stage.name().to_string(), started.elapsed().as_secs_f64());
            save_checkpoint(&ckpt, work.root()).at(work.root(), "cannot save the checkpoint")?;
            reporter.stage_finished(stage, started.elapsed(), &summary);
            outcome.ran.push(stage);
        }
        outcome.last_complete = Some(stage);
    }
    outcome.lock = Some(work);
    Ok(outcome)
}

/// A stage this run covers, with its input key and whether its outputs are on disk.
#[derive(Debug, Clone)]
pub(super) struct PlannedStage {
    pub stage: Stage,
    pub key: String,
    pub present: bool,
}

/// Index of the first stage that must run (`planned.len()` when all can be skipped).
pub(super) fn first_stale(ckpt: &PipelineCheckpoint, planned: &[PlannedStage]) -> usize {
    planned
        .iter()
        .position(|p| {
            !(ckpt.is_stage_complete(p.stage) && ckpt.stage_key(p.stage) == Some(p.key.as_str()) && p.present)
        })
        .unwrap_or(planned.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stage_key(prev: &str, stage: Stage, inputs: &serde_json::Value) -> String {
        stages::key_of(prev, stage, &[1], inputs)
    }

    #[test]
    fn keys_chain_and_change_with_inputs() {
        let a = stage_key("", Stage::Proxy, &json!({"v": 1}));
        let b = stage_key("", Stage::Proxy, &json!({"v": 2}));
        assert_ne!(a, b);
        let next_a = stage_key(&a, Stage::Subtitles, &json!({}));
        let next_b = stage_key(&b, Stage::Subtitles, &json!({}));
        assert_ne!(next_a, next_b, "an upstream change reaches later stages");
        assert_eq!(next_a, stage_key(&a, Stage::Subtitles, &json!({})), "stable");
    }

    /// Keys for all stages as the real inputs shape them: only `narrative` reads the vibe.
    fn plan(vibe: &str) -> Vec<PlannedStage> {
        let mut prev = String::new();
        Stage::ALL
            .into_iter()
            .map(|stage| {
                let inputs = if stage == Stage::Narrative {
                    json!({ "vibe": vibe })
                } else {
                    json!({})
                };
                prev = stage_key(&prev, stage, &inputs);
                PlannedStage {
                    stage,
                    key: prev.clone(),
                    present: true,
                }
            })
            .collect()
    }

    fn completed(plan: &[PlannedStage]) -> PipelineCheckpoint {
        let mut c = PipelineCheckpoint::new(std::path::Path::new("/f.mkv"), None, "action");
        for p in plan {
            c.mark_stage_complete_with_key(p.stage, &p.key);
        }
        c
    }

    #[test]
    fn unchanged_inputs_skip_everything() {
        let p = plan("action");
        assert_eq!(first_stale(&completed(&p), &p), p.len());
    }

    #[test]
    fn changed_vibe_reruns_narrative_and_later_only() {
        let ckpt = completed(&plan("action"));
        let now = plan("thriller");
        let first = first_stale(&ckpt, &now);
        assert_eq!(now[first].stage, Stage::Narrative);
        // The earlier keys are identical, so those stages stay skipped.
        for p in &now[..first] {
            assert_eq!(ckpt.stage_key(p.stage), Some(p.key.as_str()));
        }
    }

    #[test]
    fn missing_outputs_or_an_incomplete_stage_rerun_from_there() {
        let mut p = plan("action");
        let ckpt = completed(&p);
        p[2].present = false;
        assert_eq!(first_stale(&ckpt, &p), 2);
        let mut partial = PipelineCheckpoint::new(std::path::Path::new("/f.mkv"), None, "action");
        partial.mark_stage_complete_with_key(Stage::Proxy, &p[0].key);
        assert_eq!(first_stale(&partial, &plan("action")), 1);
        // A checkpoint from before stage keys existed (seed format) re-runs everything.
        let mut seed = PipelineCheckpoint::new(std::path::Path::new("/f.mkv"), None, "action");
        seed.mark_stage_complete(Stage::Proxy);
        assert_eq!(first_stale(&seed, &plan("action")), 0);
    }
}
