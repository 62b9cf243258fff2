//! `pipeline_checkpoint.json`: which stages are complete, and with which inputs.
//!
//! The ledger of a resumable run (the plan is the fixed stage list). It is always saved with `atomic_write`, so
//! the file on disk is intact or absent; a file that does not parse is treated as absent (with one warning),
//! never as a crash. Unknown fields are ignored so older and newer files both load.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Stage;
use super::dir::atomic_write;

pub const CHECKPOINT_FILE: &str = "pipeline_checkpoint.json";
/// Bumped when a field changes meaning; a file with a different version is treated as absent.
pub(super) const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PipelineCheckpoint {
    #[serde(default)]
    pub schema_version: u32,
    /// Absolute path of the source film.
    pub source_file: String,
    #[serde(default)]
    pub source_fingerprint: Option<SourceFingerprint>,
    pub vibe: String,
    pub stages_complete: Vec<String>,
    /// The input key each completed stage ran with; a different key means the stage must run again.
    #[serde(default)]
    pub stage_keys: BTreeMap<String, String>,
    /// How long each completed stage took when it last ran, in seconds (for the report).
    #[serde(default)]
    pub stage_seconds: BTreeMap<String, f64>,
    #[serde(default)]
    pub proxy_path: Option<String>,
    #[serde(default)]
    pub keyframe_count: Option<usize>,
    #[serde(default)]
    pub dialogue_event_count: Option<usize>,
    #[serde(default)]
    pub inference_complete: bool,
    #[serde(default)]
    pub manifest_path: Option<String>,
    #[serde(default)]
    pub assembly_manifest_path: Option<String>,
}

impl PipelineCheckpoint {
    pub fn new(source_file: &Path, fingerprint: Option<SourceFingerprint>, vibe: &str) -> Self {
        PipelineCheckpoint {
            schema_version: SCHEMA_VERSION,
            source_file: source_file.to_string_lossy().into_owned(),
            source_fingerprint: fingerprint,
            vibe: vibe.to_string(),
            stages_complete: Vec::new(),
            stage_keys: BTreeMap::new(),
            stage_seconds: BTreeMap::new(),
            proxy_path: None,
            keyframe_count: None,
            dialogue_event_count: None,
            inference_complete: false,
            manifest_path: None,
            assembly_manifest_path: None,
        }
    }

    pub fn is_stage_complete(&self, stage: Stage) -> bool {
        self.stages_complete.iter().any(|s| s == stage.name())
    }

    /// Idempotent: marking a stage twice leaves one entry.
    pub fn mark_stage_complete(&mut self, stage: Stage) {
        if !self.is_stage_complete(stage) {
            self.stages_complete.push(stage.name().to_string());
        }
    }

    pub fn mark_stage_complete_with_key(&mut self, stage: Stage, key: &str) {
        self.mark_stage_complete(stage);
        self.stage_keys.insert(stage.name().to_string(), key.to_string());
    }

    pub fn stage_key(&self, stage: Stage) -> Option<&str> {
        self.stage_keys.get(stage.name()).map(String::as_str)
    }

    /// Forget `stage` and every stage after it, with the fields they filled.
    pub fn invalidate_from(&mut self, stage: Stage) {
        for s in Stage::ALL.iter().filter(|s| **s >= stage) {
            self.stages_complete.retain(|n| n != s.name());
            self.stage_keys.remove(s.name());
            self.stage_seconds.remove(s.name());
            match s {
                Stage::Proxy => self.proxy_path = None,
                Stage::Subtitles => self.dialogue_event_count = None,
                Stage::Keyframes => self.keyframe_count = None,
                Stage::Inference => self.inference_complete = false,
                Stage::Narrative => self.manifest_path = None,
                Stage::Assembly => self.assembly_manifest_path = None,
                Stage::Structural | Stage::Conform => {}
            }
        }
    }
}

/// Identifies the source file's content cheaply: size, mtime, and a hash of the first and last MiB.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceFingerprint {
    pub size: u64,
    pub mtime_ns: u128,
    pub head_tail_blake3: String,
}

impl SourceFingerprint {
    /// Size and content hash, not the mtime: a copied or touched film is still the same film (the manifest's
    /// `source_fingerprint`, the render cache's name for the film's pixels).
    pub fn content_id(&self) -> String {
        format!("{}:{}", self.size, self.head_tail_blake3)
    }
}

const FINGERPRINT_SPAN: u64 = 1 << 20;

pub fn fingerprint(path: &Path) -> io::Result<SourceFingerprint> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    let size = meta.len();
    let mtime_ns = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; FINGERPRINT_SPAN.min(size) as usize];
    file.read_exact(&mut buf)?;
    hasher.update(&buf);
    if size > FINGERPRINT_SPAN {
        let tail_start = size.saturating_sub(FINGERPRINT_SPAN).max(FINGERPRINT_SPAN);
        file.seek(SeekFrom::Start(tail_start))?;
        buf.clear();
        file.take(FINGERPRINT_SPAN).read_to_end(&mut buf)?;
        hasher.update(&buf);
    }
    Ok(SourceFingerprint {
        size,
        mtime_ns,
        head_tail_blake3: hasher.finalize().to_hex().to_string(),
    })
}

pub fn checkpoint_path(work_dir: &Path) -> PathBuf {
    work_dir.join(CHECKPOINT_FILE)
}

/// `None` when there is no checkpoint, and also when it cannot be read or parsed (with a one-line warning):
/// the run then starts clean. Never panics.
pub fn load_checkpoint(work_dir: &Path) -> Option<PipelineCheckpoint> {
    let path = checkpoint_path(work_dir);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!("{}: cannot read the checkpoint ({e}); starting fresh", path.display());
            return None;
        }
    };
    match parse_checkpoint(&bytes) {
        Ok(c) => Some(c),
        Err(why) => {
            tracing::warn!("{}: {why}; starting fresh", path.display());
            None
        }
    }
}

/// `load_checkpoint` without the file (and what the fuzz target calls): the checkpoint, or why it is unusable.
pub fn parse_checkpoint(bytes: &[u8]) -> Result<PipelineCheckpoint, String> {
    match serde_json::from_slice::<PipelineCheckpoint>(bytes) {
        Ok(c) if c.schema_version == SCHEMA_VERSION => Ok(c),
        Ok(c) => Err(format!(
            "checkpoint format {} is not this version's ({SCHEMA_VERSION})",
            c.schema_version
        )),
        Err(e) => Err(format!("checkpoint is damaged ({e})")),
    }
}

/// Atomic: temp file in the work dir, fsync, rename, fsync the dir. On error no temp file remains.
pub fn save_checkpoint(checkpoint: &PipelineCheckpoint, work_dir: &Path) -> io::Result<()> {
    let mut bytes = serde_json::to_vec_pretty(checkpoint).map_err(io::Error::other)?;
    bytes.push(b'\n');
    atomic_write(&checkpoint_path(work_dir), &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PipelineCheckpoint {
        let mut c = PipelineCheckpoint::new(Path::new("/films/a.mkv"), None, "action");
        c.mark_stage_complete_with_key(Stage::Proxy, "k1");
        c.proxy_path = Some("proxy.mp4".into());
        c
    }

    fn files_in(dir: &Path) -> Vec<String> {
        let mut v: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let c = sample();
        save_checkpoint(&c, dir.path()).unwrap();
        assert_eq!(load_checkpoint(dir.path()), Some(c));
        assert_eq!(files_in(dir.path()), vec![CHECKPOINT_FILE]);
    }

    #[test]
    fn missing_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load_checkpoint(dir.path()), None);
    }

    #[test]
    fn every_corrupt_form_is_none() {
        let dir = tempfile::tempdir().unwrap();
        let good = serde_json::to_string(&sample()).unwrap();
        let corrupt: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            good.as_bytes()[..good.len() / 2].to_vec(),
            b"not json at all".to_vec(),
            b"[1,2,3]".to_vec(),
            b"{\"source_file\": 3, \"vibe\": \"action\", \"stages_complete\": []}".to_vec(),
            b"{\"vibe\": \"action\"}".to_vec(),
            b"null".to_vec(),
            vec![0xff, 0xfe, 0x00, 0x01],
            good.replace("\"schema_version\": 1", "\"schema_version\": 99")
                .replace("\"schema_version\":1", "\"schema_version\":99")
                .into_bytes(),
        ];
        for bytes in corrupt {
            std::fs::write(dir.path().join(CHECKPOINT_FILE), &bytes).unwrap();
            assert_eq!(
                load_checkpoint(dir.path()),
                None,
                "{:?}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }

    #[test]
    fn unreadable_is_none() {
        let dir = tempfile::tempdir().unwrap();
        // A directory where the file should be: reading fails with an error other than NotFound.
        std::fs::create_dir(dir.path().join(CHECKPOINT_FILE)).unwrap();
        assert_eq!(load_checkpoint(dir.path()), None);
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = serde_json::to_value(sample()).unwrap();
        v["added_by_a_newer_version"] = serde_json::json!({"x": 1});
        std::fs::write(dir.path().join(CHECKPOINT_FILE), v.to_string()).unwrap();
        assert_eq!(load_checkpoint(dir.path()), Some(sample()));
    }

    #[test]
    fn older_file_with_only_the_seed_fields_loads() {
        let dir = tempfile::tempdir().unwrap();
        let seed = r#"{"schema_version": 1, "source_file": "/f.mkv", "vibe": "drama", "stages_complete": ["proxy"],
            "proxy_path": null, "keyframe_count": null, "dialogue_event_count": null,
            "inference_complete": false, "manifest_path": null, "assembly_manifest_path": null}"#;
        std::fs::write(dir.path().join(CHECKPOINT_FILE), seed).unwrap();
        let c = load_checkpoint(dir.path()).unwrap();
        assert!(c.is_stage_complete(Stage::Proxy));
        assert!(c.stage_keys.is_empty());
    }

    #[test]
    fn mark_is_idempotent() {
        let mut c = sample();
        c.mark_stage_complete(Stage::Proxy);
        c.mark_stage_complete(Stage::Proxy);
        assert_eq!(c.stages_complete, vec!["proxy"]);
    }

    #[test]
    fn save_error_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        // The checkpoint path is a non-empty directory, so the final rename fails after the temp was written.
        let blocker = dir.path().join(CHECKPOINT_FILE);
        std::fs::create_dir(&blocker).unwrap();
        std::fs::write(blocker.join("x"), b"").unwrap();
        assert!(save_checkpoint(&sample(), dir.path()).is_err());
        assert_eq!(files_in(dir.path()), vec![CHECKPOINT_FILE]);
    }

    #[test]
    fn save_into_missing_dir_errors_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        assert!(save_checkpoint(&sample(), &dir.path().join("gone")).is_err());
        assert!(files_in(dir.path()).is_empty());
    }

    #[test]
    fn invalidate_from_keeps_earlier_stages() {
        let mut c = sample();
        for s in [Stage::Subtitles, Stage::Keyframes, Stage::Narrative, Stage::Assembly] {
            c.mark_stage_complete_with_key(s, "k");
        }
        c.manifest_path = Some("TRAILER_MANIFEST.json".into());
        c.invalidate_from(Stage::Narrative);
        assert_eq!(c.stages_complete, vec!["proxy", "subtitles", "keyframes"]);
        assert_eq!(c.manifest_path, None);
        assert_eq!(c.stage_key(Stage::Keyframes), Some("k"));
        assert_eq!(c.stage_key(Stage::Narrative), None);
    }

    #[test]
    fn fingerprint_sees_a_changed_tail() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.bin");
        let mut data = vec![7u8; 3 << 20];
        std::fs::write(&p, &data).unwrap();
        let a = fingerprint(&p).unwrap();
        *data.last_mut().unwrap() = 8;
        std::fs::write(&p, &data).unwrap();
        let b = fingerprint(&p).unwrap();
        assert_ne!(a.head_tail_blake3, b.head_tail_blake3);
        assert_eq!(a.size, b.size);
    }
}
