//! The glue between the runner and the stages. For each stage it builds ONE inputs value from the checked config
//! (`Inputs::for_stage`): everything that stage reads from the command line and the environment. The stage's key
//! is that value's hash (chained to the key of the stage before it, with the stage's version), and the stage is
//! called with that same value, so what a stage reads and what invalidates it cannot drift apart. The stages
//! themselves live in the folder named for their part of the work (`ingest/`, `analyze/`, `story/`, `sound/`,
//! `render/`) and take data and return data; recording their results in the checkpoint happens here.

use std::path::Path;

use serde::Serialize;

use crate::analyze::{Embedder, EndpointConfig, FaceDetector, inference, structural};
use crate::cancel::Cancel;
use crate::config::RunConfig;
use crate::error::{Error, Result};
use crate::ingest::{analysis, dialogue, keyframes};
use crate::media::{Ocr, Probe, Tools};
use crate::render::conform;
use crate::sound::{assembly, default_music_cache};
use crate::story::{MANIFEST, Manifest, card_title, narrative};
use crate::timeline::TIMELINE;
use crate::workdir::{PipelineCheckpoint, Progress, SourceFingerprint, Stage, WorkDir};

/// Everything a stage may use besides its inputs: the means to work, never what changes its answer.
pub(super) struct StageCtx<'a> {
    pub tools: &'a Tools,
    pub work: &'a WorkDir,
    pub cancel: &'a Cancel,
}

/// One stage's inputs. Serialised, it is what the stage's key covers.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "snake_case")]
#[expect(
    clippy::large_enum_variant,
    reason = "eight values a run, each made once: boxing would buy nothing"
)]
pub(super) enum Inputs {
    Proxy(analysis::Inputs),
    Subtitles(dialogue::Inputs),
    Keyframes(keyframes::Inputs),
    Inference(inference::Inputs),
    Structural(structural::Inputs),
    Narrative(narrative::Inputs),
    Assembly(assembly::Inputs),
    Conform(conform::Inputs),
}

impl Inputs {
    pub(super) fn for_stage(stage: Stage, cfg: &RunConfig, fp: &SourceFingerprint) -> Result<Inputs> {
        let probe = &cfg.probe;
        let duration_s = probe.duration().unwrap_or(0.0);
        // Each stage that asks the server sees only its own model: naming another model does not redo it.
        let vision = cfg
            .model
            .clone()
            .filter(|_| cfg.vision)
            .map(|m| EndpointConfig { text_model: None, ..m });
        let text = cfg
            .model
            .clone()
            .filter(|m| m.text_model.is_some())
            .map(|m| EndpointConfig {
                vision_model: None,
                ..m
            });
        Ok(match stage {
            Stage::Proxy => Inputs::Proxy(analysis::Inputs {
                probe: probe.clone(),
                settings: analysis::Settings::default(),
            }),
            Stage::Subtitles => Inputs::Subtitles(dialogue::Inputs::new(cfg.subtitles.clone(), probe)?),
            Stage::Keyframes => Inputs::Keyframes(keyframes::Inputs {
                duration_s,
                proxy_fps: analysis::Settings::default().proxy_fps,
                title: card_title(cfg.title.as_deref(), probe.title.as_deref(), &cfg.source),
                tesseract: Ocr::locate(),
            }),
            Stage::Inference => Inputs::Inference(inference::Inputs {
                faces: FaceDetector::locate(),
                vision,
            }),
            Stage::Structural => Inputs::Structural(structural::Inputs {
                duration_s,
                text: text.map(|endpoint| structural::TextModel {
                    endpoint,
                    context_tokens: cfg.text_context,
                }),
            }),
            Stage::Narrative => Inputs::Narrative(narrative::Inputs {
                source: cfg.source.clone(),
                vibe: cfg.vibe,
                length: cfg.length,
                allow_spoilers: cfg.allow_spoilers,
                title: cfg.title.clone(),
                container_title: probe.title.clone(),
                tagline: cfg.tagline.clone(),
                title_card: cfg.title_card,
                fingerprint: Some(fp.content_id()),
                embedder: Embedder::locate(),
            }),
            Stage::Assembly => Inputs::Assembly(assembly::Inputs {
                manifest: cfg.manifest_path(),
                manifest_key: cfg.manifest.as_deref().map(manifest_key).transpose()?,
                // Only into the work dir's own manifest (which need not exist yet): one passed from elsewhere is
                // never rewritten.
                record_music: cfg
                    .manifest
                    .as_ref()
                    .is_none_or(|m| same_file(m, &cfg.work_dir.join(MANIFEST))),
                rate: cfg.rate(),
                film_duration_s: film_duration(probe),
                has_audio: probe.audio().is_some(),
                music: cfg.music.clone(),
                music_stamp: cfg.music.as_ref().and_then(|m| file_stamp(&m.path)),
                music_dir: cfg.music_dir.clone(),
                jamendo_client_id: cfg.jamendo_client_id.clone(),
                music_cache: default_music_cache(),
            }),
            Stage::Conform => Inputs::Conform(conform::Inputs {
                source: cfg.source.clone(),
                source_id: fp.content_id(),
                video: probe.video().cloned().ok_or_else(|| {
                    Error::bad_input(&cfg.source, "has no video stream", "pass the film's video file")
                })?,
                vibe: cfg.vibe,
                output: cfg.output.clone(),
                resolution: cfg.resolution,
                grade: cfg.grade.clone(),
                preset: cfg.preset.clone(),
            }),
        })
    }

    pub(super) fn stage(&self) -> Stage {
        match self {
            Inputs::Proxy(_) => Stage::Proxy,
            Inputs::Subtitles(_) => Stage::Subtitles,
            Inputs::Keyframes(_) => Stage::Keyframes,
            Inputs::Inference(_) => Stage::Inference,
            Inputs::Structural(_) => Stage::Structural,
            Inputs::Narrative(_) => Stage::Narrative,
            Inputs::Assembly(_) => Stage::Assembly,
            Inputs::Conform(_) => Stage::Conform,
        }
    }

    /// The versions of the code behind the stage: bumping one re-runs it.
    fn versions(&self) -> &'static [u32] {
        match self {
            Inputs::Proxy(_) => analysis::VERSIONS,
            Inputs::Subtitles(_) => dialogue::VERSIONS,
            Inputs::Keyframes(_) => keyframes::VERSIONS,
            Inputs::Inference(_) => inference::VERSIONS,
            Inputs::Structural(_) => structural::VERSIONS,
            Inputs::Narrative(_) => narrative::VERSIONS,
            Inputs::Assembly(_) => assembly::VERSIONS,
            Inputs::Conform(_) => conform::VERSIONS,
        }
    }

    /// Chained: the key covers the stage's versions and inputs and the key of the stage before it, so any
    /// upstream change reaches every later stage and no earlier one.
    pub(super) fn key(&self, prev: &str) -> String {
        let value = serde_json::to_value(self).expect("stage inputs serialise");
        key_of(prev, self.stage(), self.versions(), &value)
    }
}

/// The hash behind `Inputs::key`, on the serialised inputs.
pub(super) fn key_of(prev: &str, stage: Stage, versions: &[u32], inputs: &serde_json::Value) -> String {
    let mut h = blake3::Hasher::new();
    for part in [prev, stage.name(), &format!("{versions:?}"), &inputs.to_string()] {
        h.update(part.as_bytes());
        h.update(b"\0");
    }
    h.finalize().to_hex()[..32].to_string()
}

/// A manifest's hash without the fields assembly writes back, so recording the music does not look like an edit.
fn manifest_key(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))?;
    // The parsed manifest, so the defaults assembly writes back on save do not count as an edit either.
    Ok(match Manifest::parse(&text, None) {
        Ok(m) => m.decisions_key(),
        Err(_) => blake3::hash(serde_json::Value::String(text).to_string().as_bytes())
            .to_hex()
            .to_string(),
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    a.canonicalize()
        .ok()
        .zip(b.canonicalize().ok())
        .is_some_and(|(a, b)| a == b)
}

/// Size and modification time: a changed music file is analysed again without hashing megabytes each run.
fn file_stamp(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), mtime))
}

/// Where the film's picture ends: the video stream's own end when the container runs longer (a clip past it
/// would have no pictures).
fn film_duration(probe: &Probe) -> Option<f64> {
    let video = probe
        .video()
        .and_then(|v| Some(v.start_time_s.unwrap_or(0.0) + v.duration_s?));
    match (probe.duration(), video) {
        (Some(c), Some(v)) => Some(c.min(v)),
        (c, v) => c.or(v),
    }
}

/// A complete stage whose files were deleted must run again.
pub(super) fn outputs_present(inputs: &Inputs, work: &WorkDir) -> bool {
    match inputs {
        Inputs::Proxy(_) => analysis::outputs_present(work),
        Inputs::Subtitles(_) => dialogue::outputs_present(work),
        Inputs::Keyframes(_) => keyframes::outputs_present(work),
        Inputs::Inference(_) => inference::outputs_present(work),
        Inputs::Structural(_) => structural::outputs_present(work),
        Inputs::Narrative(_) => narrative::outputs_present(work),
        Inputs::Assembly(_) => assembly::outputs_present(work),
        Inputs::Conform(i) => i.output.is_file(),
    }
}

/// Run one stage with its inputs, record its results in the checkpoint, and return a one-line summary.
pub(super) fn run(
    inputs: &Inputs,
    ctx: &StageCtx,
    ckpt: &mut PipelineCheckpoint,
    progress: &mut dyn Progress,
) -> Result<String> {
    let StageCtx { tools, work, cancel } = *ctx;
    match inputs {
        Inputs::Proxy(i) => {
            let out = analysis::run(tools, i, work, cancel, progress)?;
            ckpt.proxy_path = Some(analysis::PROXY.to_string());
            Ok(out.summary())
        }
        Inputs::Subtitles(i) => {
            let d = dialogue::run(tools, i, work, cancel)?;
            ckpt.dialogue_event_count = Some(d.events.len());
            Ok(d.summary())
        }
        Inputs::Keyframes(i) => {
            let (list, spans) = keyframes::run(tools, i, work, cancel, progress)?;
            ckpt.keyframe_count = Some(list.keyframes.len());
            let credits = spans.end_credits.map_or("no end credits found".to_string(), |c| {
                format!("end credits from {:.1} s", c.start_s)
            });
            Ok(format!(
                "{} keyframes; story {:.1}–{:.1} s, {credits}",
                list.keyframes.len(),
                spans.story.start_s,
                spans.story.end_s
            ))
        }
        Inputs::Inference(i) => {
            let out = inference::run(i, work, cancel, progress)?;
            ckpt.inference_complete = true;
            Ok(out.summary())
        }
        Inputs::Structural(i) => Ok(structural::run(i, work)?.summary()),
        Inputs::Narrative(i) => {
            let out = narrative::run(i, work)?;
            ckpt.manifest_path = Some(MANIFEST.to_string());
            Ok(with_warnings(out.summary(), &out.warnings))
        }
        Inputs::Assembly(i) => {
            let out = assembly::run(tools, i, work, cancel)?;
            ckpt.assembly_manifest_path = Some(TIMELINE.to_string());
            Ok(with_warnings(out.summary(), &out.warnings))
        }
        Inputs::Conform(i) => {
            let out = conform::run(tools, i, work, cancel, progress)?;
            Ok(with_warnings(out.summary(), &out.warnings))
        }
    }
}

fn with_warnings(mut summary: String, warnings: &[String]) -> String {
    for w in warnings {
        summary.push_str(&format!("\n  warning: {w}"));
    }
    summary
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::Value;

    use super::*;
    use crate::ingest::dialogue::SubtitleSource;
    use crate::media::Rate;
    use crate::media::parse_probe_json;
    use crate::render::Resolution;
    use crate::render::{Grade, Lut};
    use crate::story::VIBES;
    use crate::story::{Length, TitleCard};
    use crate::timeline::{MusicSource, MusicTrack};
    use crate::workdir::Secret;

    fn probe() -> Probe {
        let json = br#"{"format": {"format_name": "mov", "duration": "60.0", "size": "1000", "tags": {"title": "T"}},
            "streams": [{"index": 0, "codec_type": "video", "codec_name": "h264", "width": 640, "height": 360,
                         "avg_frame_rate": "24/1", "pix_fmt": "yuv420p", "color_space": "bt709"},
                        {"index": 1, "codec_type": "audio", "codec_name": "aac"}]}"#;
        parse_probe_json(Path::new("/films/f.mkv"), json).unwrap()
    }

    fn endpoint() -> EndpointConfig {
        let mut e = EndpointConfig::new("http://127.0.0.1:8080/v1").unwrap();
        e.api_key = Some(Secret::new("sk-test"));
        e.vision_model = Some("llava".into());
        e.text_model = Some("qwen".into());
        e
    }

    /// Every stage's inputs with every field of its own set, so none hides as a null.
    fn samples() -> Vec<Inputs> {
        let p = PathBuf::from;
        vec![
            Inputs::Proxy(analysis::Inputs {
                probe: probe(),
                settings: analysis::Settings::default(),
            }),
            Inputs::Subtitles(dialogue::Inputs {
                source: SubtitleSource::File {
                    path: p("/films/f.srt"),
                },
                file_hash: Some("abc".into()),
                film: p("/films/f.mkv"),
                film_duration_s: Some(60.0),
            }),
            Inputs::Keyframes(keyframes::Inputs {
                duration_s: 60.0,
                proxy_fps: 2,
                title: "Title".into(),
                tesseract: Some(p("/usr/bin/tesseract")),
            }),
            Inputs::Inference(inference::Inputs {
                faces: Some(p("/usr/share/cascade.xml")),
                vision: Some(endpoint()),
            }),
            Inputs::Structural(structural::Inputs {
                duration_s: 60.0,
                text: Some(structural::TextModel {
                    endpoint: endpoint(),
                    context_tokens: 8192,
                }),
            }),
            Inputs::Narrative(narrative::Inputs {
                source: p("/films/f.mkv"),
                vibe: &VIBES[0],
                length: Length::Seconds(90.0),
                allow_spoilers: true,
                title: Some("Title".into()),
                container_title: Some("Tag".into()),
                tagline: Some("Tagline".into()),
                title_card: TitleCard::Text,
                fingerprint: Some("1000:abc".into()),
                embedder: Some(p("/models/minilm")),
            }),
            Inputs::Assembly(assembly::Inputs {
                manifest: p("/work/TRAILER_MANIFEST.json"),
                manifest_key: Some("abc".into()),
                record_music: true,
                rate: Rate::new(24000, 1001),
                film_duration_s: Some(60.0),
                has_audio: true,
                music: Some(MusicTrack {
                    source: MusicSource::User,
                    path: p("/music/a.mp3"),
                    title: Some("A".into()),
                    artist: Some("B".into()),
                    license_url: Some("https://creativecommons.org/licenses/by/4.0/".into()),
                    url: Some("https://example.org/a".into()),
                    track_id: Some("1".into()),
                    duration_s: 120.0,
                    bpm: Some(120.0),
                }),
                music_stamp: Some((1, 2)),
                music_dir: Some(p("/music")),
                jamendo_client_id: Some(Secret::new("id")),
                music_cache: p("/cache/music"),
            }),
            Inputs::Conform(conform::Inputs {
                source: p("/films/f.mkv"),
                source_id: "1000:abc".into(),
                video: probe().video().unwrap().clone(),
                vibe: &VIBES[1],
                output: p("/films/f_trailer.mp4"),
                resolution: Some(Resolution::Fit {
                    width: 1280,
                    height: 720,
                }),
                grade: Grade::User {
                    path: p("/luts/a.cube"),
                    lut: Lut::identity(2),
                },
                preset: "medium".into(),
            }),
        ]
    }

    /// JSON pointers to every leaf (scalars, and empty arrays or objects) of `v`.
    fn leaves(v: &Value, at: String, out: &mut Vec<String>) {
        match v {
            Value::Object(m) if !m.is_empty() => m.iter().for_each(|(k, v)| leaves(v, format!("{at}/{k}"), out)),
            Value::Array(a) if !a.is_empty() => a
                .iter()
                .enumerate()
                .for_each(|(i, v)| leaves(v, format!("{at}/{i}"), out)),
            _ => out.push(at),
        }
    }

    fn changed(v: &Value) -> Value {
        match v {
            Value::Null => Value::from("set"),
            Value::Bool(b) => Value::from(!b),
            Value::Number(n) => Value::from(n.as_f64().unwrap() + 1.0),
            Value::String(s) => Value::from(format!("{s}x")),
            Value::Array(_) => Value::from(vec![0]),
            Value::Object(_) => serde_json::json!({ "x": 0 }),
        }
    }

    #[test]
    fn every_field_of_every_stage_changes_its_key() {
        let samples = samples();
        let stages: Vec<Stage> = samples.iter().map(Inputs::stage).collect();
        assert_eq!(stages, Stage::ALL, "one sample per stage, in order");
        for inputs in &samples {
            let stage = inputs.stage();
            let value = serde_json::to_value(inputs).unwrap();
            let base = key_of("prev", stage, inputs.versions(), &value);
            assert_eq!(
                inputs.key("prev"),
                base,
                "{stage}: the key is the hash of the serialised inputs"
            );
            // The stage's own fields are all set in the sample, so each is exercised below.
            let own = value.as_object().unwrap().values().next().unwrap();
            if let Value::Object(fields) = own {
                for (name, v) in fields {
                    assert!(!v.is_null(), "{stage}: the sample leaves `{name}` unset");
                }
            }
            let mut paths = vec![];
            leaves(&value, String::new(), &mut paths);
            for path in paths {
                let mut v = value.clone();
                let leaf = v.pointer_mut(&path).unwrap();
                *leaf = changed(leaf);
                assert_ne!(
                    key_of("prev", stage, inputs.versions(), &v),
                    base,
                    "{stage}: changing {path} does not change the key"
                );
            }
            assert_ne!(inputs.key("other"), base, "{stage}: an upstream change reaches the key");
        }
    }

    #[test]
    fn secrets_reach_the_key_but_not_the_text_it_hashes() {
        for inputs in samples() {
            let text = serde_json::to_string(&inputs).unwrap();
            assert!(!text.contains("sk-test") && !text.contains("\"id\""), "{text}");
        }
    }
}
