//! Glue between the runner and the stage modules: what each stage's key covers, whether its outputs are still
//! on disk, and the call that runs it. The stages themselves live in the folder named for their part of the
//! work (`ingest/`, `analyze/`, `story/`, `sound/`, `render/`) and take data and return data; writing their
//! results into the work dir and the checkpoint happens here.

use serde_json::json;

use crate::analyze::embed::Embedder;
use crate::analyze::faces::FaceDetector;
use crate::analyze::openai::Client;
use crate::analyze::{anchors, builtin, cache, inference, structural, turning_points};
use crate::cancel::Cancel;
use crate::config::{Grade, RunConfig};
use crate::error::{Error, Result};
use crate::ingest::dialogue::{self, SubtitleSource};
use crate::ingest::{analysis, keyframes};
use crate::media::Tools;
use crate::render::grade::Lut;
use crate::timeline::TIMELINE;
use crate::render::{conform, picture};
use crate::sound::{assembly, bed, sfx};
use crate::story::{manifest, narrative};
use crate::workdir::{PipelineCheckpoint, Progress, Stage, WorkDir};

/// Everything a stage may read.
pub struct StageCtx<'a> {
    pub cfg: &'a RunConfig,
    pub tools: &'a Tools,
    pub work: &'a WorkDir,
    pub cancel: &'a Cancel,
}

/// The inputs that change a stage's answer, besides the stages before it (those arrive through the chained key).
pub fn inputs(stage: Stage, ctx: &StageCtx) -> Result<serde_json::Value> {
    let cfg = ctx.cfg;
    Ok(match stage {
        Stage::Proxy => json!({
            "version": analysis::VERSION,
            "source": cfg.source,
            "settings": analysis::Settings::default(),
        }),
        Stage::Subtitles => json!({
            "version": dialogue::VERSION,
            "source": cfg.subtitles,
            // An embedded track is covered by the film's fingerprint; a file by its bytes.
            "file_hash": match &cfg.subtitles {
                SubtitleSource::File { path } => Some(file_hash(path)?),
                _ => None,
            },
        }),
        Stage::Narrative => json!({
            "version": narrative::VERSION,
            "vibe": cfg.vibe.name,
            "target_s": cfg.length.target_s(cfg.vibe),
            "allow_spoilers": cfg.allow_spoilers,
            "title": cfg.title,
            "tagline": cfg.tagline,
            // Zones come from the sentence model when it is installed, from word lists when not.
            "embedder": Embedder::locate(),
        }),
        Stage::Assembly => json!({
            "version": assembly::VERSION,
            // The manifest's decisions; not `music_bed`, which assembly itself records there.
            "manifest": match &cfg.manifest {
                Some(p) => Some(manifest_key(p)?),
                None => None,
            },
            "music": cfg.music.as_ref().map(|m| (&m.path, file_stamp(&m.path))),
            "music_dir": cfg.music_dir,
            "jamendo": cfg.jamendo_client_id.is_some(),
            "sound": (bed::VERSION, sfx::VERSION),
            "rate": cfg.rate(),
        }),
        Stage::Conform => json!({
            "version": (conform::VERSION, picture::VERSION),
            "output": cfg.output,
            "resolution": cfg.resolution,
            // The LUT itself, so a change to a vibe's look renders again.
            "grade": match &cfg.grade {
                Grade::Vibe => Some(Lut::for_vibe(cfg.vibe).key()),
                Grade::Off => None,
                Grade::User { lut, .. } => Some(lut.key()),
            },
            "preset": cfg.preset,
        }),
        Stage::Keyframes => json!({ "version": keyframes::VERSION }),
        Stage::Inference => json!({
            "builtin": builtin::VERSION,
            // Installing the face cascade later redoes the descriptions.
            "faces": FaceDetector::locate(),
            // The server too: a changed endpoint is asked again, though cached frames of a named model are kept.
            "vision": vision_model(cfg).map(|c| (c.identity_vision(), c.config().base_url.clone())),
        }),
        Stage::Structural => json!({
            "version": anchors::VERSION,
            "text": text_model(cfg).map(|c| {
                let url = c.config().base_url.clone();
                (c.identity_text(), url, turning_points::PROMPT_VERSION, cfg.text_context)
            }),
        }),
    })
}

fn vision_model(cfg: &RunConfig) -> Option<Client> {
    cfg.model.clone().filter(|_| cfg.vision).map(Client::new)
}

fn text_model(cfg: &RunConfig) -> Option<Client> {
    cfg.model.clone().filter(|m| m.text_model.is_some()).map(Client::new)
}

fn file_hash(path: &std::path::Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read", e))?;
    Ok(blake3::hash(&bytes).to_hex().to_string())
}

/// A manifest's hash without the fields assembly writes back, so recording the music does not look like an edit.
fn manifest_key(path: &std::path::Path) -> Result<String> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "cannot read", e))?;
    // The parsed manifest, so the defaults assembly writes back on save do not count as an edit either.
    Ok(match manifest::Manifest::parse(&text, None) {
        Ok(m) => m.decisions_key(),
        Err(_) => blake3::hash(serde_json::Value::String(text).to_string().as_bytes())
            .to_hex()
            .to_string(),
    })
}

/// Size and modification time: a changed music file is analysed again without hashing megabytes each run.
fn file_stamp(path: &std::path::Path) -> Option<(u64, u128)> {
    let meta = std::fs::metadata(path).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some((meta.len(), mtime))
}

/// A complete stage whose files were deleted must run again.
pub fn outputs_present(stage: Stage, ctx: &StageCtx) -> bool {
    match stage {
        Stage::Proxy => analysis::OUTPUTS.iter().all(|rel| ctx.work.path(rel).is_file()),
        Stage::Subtitles => ctx.work.path(dialogue::DIALOGUE).is_file(),
        Stage::Keyframes => {
            let present = |rel: &str| ctx.work.path(rel).is_file();
            present(keyframes::KEYFRAMES)
                && present(keyframes::SPANS)
                && ctx
                    .work
                    .read_json::<keyframes::KeyframeList>(keyframes::KEYFRAMES)
                    .is_ok_and(|l| l.keyframes.iter().all(|k| present(&k.image)))
        }
        Stage::Inference => ctx.work.path(cache::SCENES).is_file(),
        Stage::Structural => ctx.work.path(anchors::STRUCTURE).is_file(),
        Stage::Narrative => ctx.work.path(manifest::MANIFEST).is_file(),
        Stage::Assembly => assembly::outputs_present(ctx.work),
        Stage::Conform => ctx.cfg.output.is_file(),
    }
}

/// Run one stage, store its results, and return a one-line summary for the user.
pub fn run(stage: Stage, ctx: &StageCtx, ckpt: &mut PipelineCheckpoint, progress: &mut dyn Progress) -> Result<String> {
    match stage {
        Stage::Proxy => {
            let out = analysis::run(
                ctx.tools,
                &ctx.cfg.probe,
                ctx.work,
                &analysis::Settings::default(),
                ctx.cancel,
                progress,
            )?;
            ckpt.proxy_path = Some(analysis::PROXY.to_string());
            Ok(out.summary())
        }
        Stage::Subtitles => {
            let d = dialogue::run(ctx.tools, &ctx.cfg.probe, &ctx.cfg.subtitles, ctx.work, ctx.cancel)?;
            ckpt.dialogue_event_count = Some(d.events.len());
            Ok(d.summary())
        }
        Stage::Keyframes => {
            let settings = analysis::Settings::default();
            let duration = ctx.cfg.probe.duration().unwrap_or(0.0);
            let (list, spans) =
                keyframes::run(ctx.tools, ctx.work, duration, settings.proxy_fps, ctx.cancel, progress)?;
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
        Stage::Inference => {
            let out = inference::run(ctx.work, vision_model(ctx.cfg).as_ref(), ctx.cancel, progress)?;
            ckpt.inference_complete = true;
            Ok(out.summary())
        }
        Stage::Structural => {
            let duration = ctx.cfg.probe.duration().unwrap_or(0.0);
            let client = text_model(ctx.cfg);
            let model = client.as_ref().map(|client| structural::TextModel {
                client,
                context_tokens: ctx.cfg.text_context,
            });
            Ok(structural::run(ctx.work, duration, model)?.summary())
        }
        Stage::Narrative => {
            let cfg = ctx.cfg;
            let out = narrative::run(
                ctx.work,
                &cfg.source,
                &narrative::Options {
                    vibe: cfg.vibe,
                    length: cfg.length,
                    allow_spoilers: cfg.allow_spoilers,
                    title: cfg.title.as_deref(),
                    container_title: cfg.probe.title.as_deref(),
                    tagline: cfg.tagline.as_deref(),
                    // Size and content hash, not the mtime: a copied film still matches its manifest.
                    fingerprint: ckpt
                        .source_fingerprint
                        .as_ref()
                        .map(|f| format!("{}:{}", f.size, f.head_tail_blake3)),
                },
            )?;
            ckpt.manifest_path = Some(manifest::MANIFEST.to_string());
            Ok(with_warnings(out.summary(), &out.warnings))
        }
        Stage::Assembly => {
            let cfg = ctx.cfg;
            let own = ctx.work.path(manifest::MANIFEST);
            let path = cfg.manifest.clone().unwrap_or_else(|| own.clone());
            let same_file = |a: &std::path::Path, b: &std::path::Path| {
                a.canonicalize()
                    .ok()
                    .zip(b.canonicalize().ok())
                    .is_some_and(|(a, b)| a == b)
            };
            let out = assembly::run(
                ctx.tools,
                ctx.work,
                &assembly::Options {
                    record_music: same_file(&path, &own),
                    manifest: &path,
                    rate: cfg.rate(),
                    film_duration_s: film_duration(&cfg.probe),
                    has_audio: cfg.probe.audio().is_some(),
                    music: cfg.music.as_ref(),
                    music_dir: cfg.music_dir.as_deref(),
                    jamendo_client_id: cfg.jamendo_client_id.as_deref(),
                },
                ctx.cancel,
            )?;
            ckpt.assembly_manifest_path = Some(TIMELINE.to_string());
            Ok(with_warnings(out.summary(), &out.warnings))
        }
        Stage::Conform => {
            let out = conform::run(ctx.tools, ctx.work, ctx.cfg, ctx.cancel, progress)?;
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

/// Where the film's picture ends: the video stream's own end when the container runs longer (a clip past it
/// would have no pictures).
fn film_duration(probe: &crate::media::Probe) -> Option<f64> {
    let video = probe
        .video()
        .and_then(|v| Some(v.start_time_s.unwrap_or(0.0) + v.duration_s?));
    match (probe.duration(), video) {
        (Some(c), Some(v)) => Some(c.min(v)),
        (c, v) => c.or(v),
    }
}
