//! `inference/scenes.jsonl`: one `SceneDescription` per line, appended the moment a keyframe is done, so a
//! crash or Ctrl-C loses at most the line being written. Each line carries its key: the keyframe's time, a hash
//! of its image, and the analyzer's identity (built-in version and measured data, or model + prompt version).
//! A resumed run takes every line whose key still matches and redoes the rest. Lines of another analyzer for the
//! same keyframes are kept aside in `inference/other_analyzers.jsonl`, so switching back to a model costs
//! nothing.
//!
//! Durability: every line is written with one `write` straight to the file, so it survives the process being
//! killed; the file is fsynced every `SYNC_LINES` lines or `SYNC_EVERY`, so a power cut loses at most that
//! much. A torn last line (the process died inside the `write`) is cut off when the file is opened, so the next
//! line starts clean. When the stage ends the file is rewritten atomically with exactly one line per keyframe,
//! in keyframe order.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::scene::SceneDescription;
use crate::error::{IoContext, Result};
use crate::workdir::{WorkDir, atomic_write};

pub const SCENES: &str = "inference/scenes.jsonl";
pub(super) const OTHERS: &str = "inference/other_analyzers.jsonl";
const SYNC_LINES: usize = 32;
const SYNC_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SceneLine {
    /// blake3 of the keyframe JPEG, 16 hex digits.
    pub image_hash: String,
    pub analyzer: String,
    #[serde(flatten)]
    pub scene: SceneDescription,
}

type Key = (i64, String, String);

fn ms(time_s: f64) -> i64 {
    (time_s * 1000.0).round() as i64
}

fn key(time_s: f64, image_hash: &str, analyzer: &str) -> Key {
    (ms(time_s), image_hash.to_string(), analyzer.to_string())
}

fn jsonl<'a>(lines: impl IntoIterator<Item = &'a SceneLine>) -> Vec<u8> {
    let mut text = Vec::new();
    for l in lines {
        text.extend(serde_json::to_vec(l).expect("a scene serialises"));
        text.push(b'\n');
    }
    text
}

pub(super) fn image_hash(jpeg: &[u8]) -> String {
    blake3::hash(jpeg).to_hex()[..16].to_string()
}

pub(super) struct SceneCache {
    done: HashMap<Key, SceneLine>,
    file: File,
    path: PathBuf,
    unsynced: usize,
    last_sync: Instant,
    /// Lines that could not be read (reported, then dropped at the end).
    pub damaged: usize,
}

impl SceneCache {
    pub(super) fn open(work: &WorkDir) -> Result<SceneCache> {
        work.subdir("inference")?;
        let path = work.path(SCENES);
        let mut done = HashMap::new();
        let mut damaged = 0;
        let mut whole = 0;
        let mut torn = false;
        // The log last, so `whole` and `torn` describe it.
        for rel in [OTHERS, SCENES] {
            let p = work.path(rel);
            let bytes = match std::fs::read(&p) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(e).at(&p, "cannot read"),
            };
            // Everything after the last newline is a torn write.
            whole = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            torn = whole < bytes.len();
            for line in bytes[..whole].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                match serde_json::from_slice::<SceneLine>(line) {
                    Ok(l) => {
                        done.insert(key(l.scene.time_s, &l.image_hash, &l.analyzer), l);
                    }
                    Err(_) => damaged += 1,
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .at(&path, "cannot open for writing")?;
        if torn {
            file.set_len(whole as u64).at(&path, "cannot cut off a torn line")?;
        }
        Ok(SceneCache {
            done,
            file,
            path,
            unsynced: 0,
            last_sync: Instant::now(),
            damaged,
        })
    }

    /// Records known: read back from the files, or appended by this run.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.done.len()
    }

    pub(super) fn get(&self, time_s: f64, image_hash: &str, analyzer: &str) -> Option<&SceneDescription> {
        self.done.get(&key(time_s, image_hash, analyzer)).map(|l| &l.scene)
    }

    pub(super) fn append(&mut self, line: &SceneLine) -> Result<()> {
        let mut text = serde_json::to_vec(line).expect("a scene serialises");
        text.push(b'\n');
        self.file.write_all(&text).at(&self.path, "cannot append")?;
        let l = line.clone();
        self.done.insert(key(l.scene.time_s, &l.image_hash, &l.analyzer), l);
        self.unsynced += 1;
        if self.unsynced >= SYNC_LINES || self.last_sync.elapsed() >= SYNC_EVERY {
            self.sync()?;
        }
        Ok(())
    }

    pub(super) fn sync(&mut self) -> Result<()> {
        self.file.sync_data().at(&self.path, "cannot sync")?;
        self.unsynced = 0;
        self.last_sync = Instant::now();
        Ok(())
    }

    /// Replace the log with exactly `lines` (one per keyframe, in order), atomically, and keep other analyzers'
    /// records of the same keyframes aside.
    pub(super) fn finish(self, work: &WorkDir, lines: &[SceneLine]) -> Result<()> {
        let current: HashMap<(i64, &str), &str> = lines
            .iter()
            .map(|l| ((ms(l.scene.time_s), l.image_hash.as_str()), l.analyzer.as_str()))
            .collect();
        let mut others: Vec<&SceneLine> = self
            .done
            .values()
            .filter(|l| {
                current
                    .get(&(ms(l.scene.time_s), l.image_hash.as_str()))
                    .is_some_and(|a| *a != l.analyzer)
            })
            .collect();
        others.sort_by(|a, b| (&a.analyzer, ms(a.scene.time_s)).cmp(&(&b.analyzer, ms(b.scene.time_s))));
        let others_path = work.path(OTHERS);
        atomic_write(&others_path, &jsonl(others)).at(&others_path, "cannot write")?;
        drop(self.file);
        atomic_write(&self.path, &jsonl(lines)).at(&self.path, "cannot write")
    }
}

/// Read a finished `scenes.jsonl` (one line per keyframe).
pub(crate) fn read_scenes(work: &WorkDir) -> Result<Vec<SceneLine>> {
    let path = work.path(SCENES);
    let bytes = std::fs::read(&path).at(&path, "cannot read")?;
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            serde_json::from_slice(l).map_err(|e| {
                crate::Error::Runtime(format!("{}: damaged line ({e}); re-run with --fresh", path.display()))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::scene::{SceneText, TextSource};

    fn line(t: f64, analyzer: &str) -> SceneLine {
        SceneLine {
            image_hash: "abc".into(),
            analyzer: analyzer.into(),
            scene: SceneDescription {
                time_s: t,
                shot: 1,
                text: SceneText::default(),
                text_source: TextSource::Builtin,
                motion: 0.1,
                contrast: 0.2,
                brightness: 0.3,
                saturation: 0.4,
                edges: 0.05,
                dark: 0.0,
                warmth: 0.1,
                faces: Some(1),
                uniqueness: 0.5,
                audio_intensity: 0.6,
                confidence: 0.5,
            },
        }
    }

    #[test]
    fn resumes_and_cuts_off_a_torn_line() {
        let dir = tempfile::tempdir().unwrap();
        let work = WorkDir::open(dir.path()).unwrap();
        let mut c = SceneCache::open(&work).unwrap();
        c.append(&line(1.0, "a")).unwrap();
        c.append(&line(2.0, "a")).unwrap();
        drop(c);
        // A process killed inside the write of the third line.
        let mut f = OpenOptions::new().append(true).open(work.path(SCENES)).unwrap();
        f.write_all(br#"{"image_hash":"abc","analyzer":"a","ti"#).unwrap();
        drop(f);

        let mut c = SceneCache::open(&work).unwrap();
        assert_eq!(c.len(), 2);
        assert!(c.get(2.0, "abc", "a").is_some());
        assert!(c.get(2.0, "abc", "b").is_none(), "another analyzer's key");
        assert!(c.get(2.0, "abd", "a").is_none(), "another image");
        c.append(&line(3.0, "a")).unwrap();
        drop(c);
        let c = SceneCache::open(&work).unwrap();
        assert_eq!((c.len(), c.damaged), (3, 0), "the next line starts clean");

        c.finish(&work, &[line(3.0, "a"), line(1.0, "a")]).unwrap();
        let back = read_scenes(&work).unwrap();
        assert_eq!(back.iter().map(|l| l.scene.time_s).collect::<Vec<_>>(), vec![3.0, 1.0]);
        assert_eq!(back[0], line(3.0, "a"));

        // Another analyzer's records of the same keyframes survive a run of this one, aside.
        let mut c = SceneCache::open(&work).unwrap();
        c.append(&line(1.0, "b")).unwrap();
        c.append(&line(9.0, "b")).unwrap();
        c.finish(&work, &[line(1.0, "a")]).unwrap();
        assert_eq!(read_scenes(&work).unwrap(), vec![line(1.0, "a")]);
        let c = SceneCache::open(&work).unwrap();
        assert!(c.get(1.0, "abc", "b").is_some(), "kept aside");
        assert!(c.get(9.0, "abc", "b").is_none(), "not a current keyframe: dropped");
        assert!(c.get(3.0, "abc", "a").is_none(), "not a current keyframe: dropped");
    }
}
