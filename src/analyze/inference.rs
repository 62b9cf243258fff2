//! Stage `inference`: one `SceneDescription` per keyframe, appended to `inference/scenes.jsonl` as each is done.
//! The built-in analysis always supplies the numbers; with `--analyzer openai` a vision model writes the text.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use super::builtin::{BUILTIN_TRUST, Builtin};
use super::cache::{SceneCache, SceneLine, image_hash};
use super::openai::{Client, EndpointConfig};
use super::scene::TextSource;
use crate::cancel::Cancel;
use crate::error::{IoContext, Result};
use crate::ingest::{KEYFRAMES, KeyframeList};
use crate::workdir::{Progress, Unit, WorkDir, cores, parallel_map};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InferenceSummary {
    pub keyframes: usize,
    /// Records taken from an earlier, interrupted run.
    pub reused: usize,
    /// Frames the model failed on, which kept the built-in text, and the first reason.
    pub fallbacks: usize,
    pub first_failure: Option<String>,
    pub analyzer: String,
    pub per_second: f64,
}

impl InferenceSummary {
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} keyframes described ({}, {:.1}/s)",
            self.keyframes, self.analyzer, self.per_second
        );
        if self.reused > 0 {
            s.push_str(&format!("; {} taken from the interrupted run", self.reused));
        }
        if let (n @ 1.., Some(why)) = (self.fallbacks, &self.first_failure) {
            s.push_str(&format!("; {n} kept the built-in text (the first because {why})"));
        }
        s
    }
}

/// Describe every keyframe: with the built-in analysis alone, or with the vision model writing the text.
/// The descriptions are the built-in analyzer's (with a model's text on top, keyed in the cache).
pub(crate) const VERSIONS: &[u32] = &[super::builtin::VERSION];

pub(crate) fn outputs_present(work: &WorkDir) -> bool {
    work.path(super::cache::SCENES).is_file()
}

/// What stage `inference` reads: the face cascade (found at startup; installing it later redoes the
/// descriptions) and the vision model's server, when `--analyzer openai` asks for one.
#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    pub faces: Option<PathBuf>,
    pub vision: Option<EndpointConfig>,
}

pub fn run(inputs: &Inputs, work: &WorkDir, cancel: &Cancel, progress: &mut dyn Progress) -> Result<InferenceSummary> {
    let list: KeyframeList = work.read_json(KEYFRAMES)?;
    let builtin = Builtin::load(work, inputs.faces.as_deref())?;
    let client = inputs.vision.clone().map(Client::new);
    let model = client.as_ref();
    let mut cache = SceneCache::open(work)?;
    if cache.damaged > 0 {
        tracing::warn!("{} damaged lines in the inference cache were dropped", cache.damaged);
    }
    // A model's record also carries the built-in numbers, so it is keyed by both.
    let analyzer = match model {
        None => builtin.identity().to_string(),
        Some(m) => format!("{}+{}", m.identity_vision(), builtin.identity()),
    };
    let started = Instant::now();

    // Take what an interrupted run finished.
    let mut lines: Vec<Option<SceneLine>> = Vec::with_capacity(list.keyframes.len());
    let mut hashes = Vec::with_capacity(list.keyframes.len());
    let mut todo = Vec::new();
    for (i, kf) in list.keyframes.iter().enumerate() {
        let path = work.path(&kf.image);
        let hash = image_hash(&std::fs::read(&path).at(&path, "cannot read the keyframe image")?);
        hashes.push(hash.clone());
        // A frame the model failed on is asked again.
        let done = cache
            .get(kf.time_s, &hash, &analyzer)
            .filter(|s| s.text_source != TextSource::BuiltinFallback);
        lines.push(done.map(|scene| SceneLine {
            image_hash: hash,
            analyzer: analyzer.clone(),
            scene: scene.clone(),
        }));
        if lines[i].is_none() {
            todo.push(i);
        }
    }
    let reused = lines.len() - todo.len();

    // The built-in analysis of the rest, on every core. Alone, each record is final and goes to the cache;
    // with a model, the records wait for their text. Only the work left is counted, so the rate and ETA of a
    // resumed run are right.
    progress.start(todo.len() as u64, Unit::Items("keyframes"));
    let describe = |i: usize| -> Result<SceneLine> {
        let kf = &list.keyframes[todo[i]];
        let path = work.path(&kf.image);
        let jpeg = std::fs::read(&path).at(&path, "cannot read the keyframe image")?;
        Ok(SceneLine {
            scene: builtin.describe(kf, &jpeg, &path)?,
            image_hash: hashes[todo[i]].clone(),
            analyzer: analyzer.clone(),
        })
    };
    let mut measured: Vec<Option<SceneLine>> = vec![None; todo.len()];
    let mut done = 0;
    parallel_map(todo.len(), cores(), cancel, describe, |i, line| {
        if model.is_none() {
            cache.append(&line)?;
            done += 1;
            progress.set(done as u64);
        }
        measured[i] = Some(line);
        Ok(())
    })?;
    let mut measured: Vec<SceneLine> = measured
        .into_iter()
        .map(|l| l.expect("every keyframe measured"))
        .collect();

    let (mut fallbacks, mut first_failure) = (0, None);
    if let Some(model) = model {
        progress.message("asking the vision model");
        let images: Vec<PathBuf> = todo.iter().map(|&i| work.path(&list.keyframes[i].image)).collect();
        model.describe_images(&images, cancel, |i, answer| {
            let line = &mut measured[i];
            match answer {
                Ok(text) => {
                    line.scene.text = text;
                    line.scene.text_source = TextSource::Model;
                    line.scene.confidence = line.scene.confidence / BUILTIN_TRUST * MODEL_TRUST;
                }
                Err(e) => {
                    line.scene.text_source = TextSource::BuiltinFallback;
                    fallbacks += 1;
                    first_failure.get_or_insert_with(|| e.to_string());
                    tracing::warn!("keyframe at {:.1} s keeps the built-in text: {e}", line.scene.time_s);
                }
            }
            cache.append(line)?;
            done += 1;
            progress.set(done as u64);
            Ok(())
        })?;
    }
    for (line, &i) in measured.into_iter().zip(&todo) {
        lines[i] = Some(line);
    }
    let lines: Vec<SceneLine> = lines
        .into_iter()
        .map(|l| l.expect("every keyframe described"))
        .collect();
    cache.finish(work, &lines)?;
    let secs = started.elapsed().as_secs_f64().max(1e-3);
    Ok(InferenceSummary {
        keyframes: lines.len(),
        reused,
        fallbacks,
        first_failure,
        analyzer: match model {
            None => "built-in analysis".into(),
            Some(m) => format!("vision model {}", m.identity_vision()),
        },
        per_second: todo.len() as f64 / secs,
    })
}

/// How far a vision model's text is trusted, against `BUILTIN_TRUST` for the built-in text.
const MODEL_TRUST: f32 = 0.9;
