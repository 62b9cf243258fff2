//! The work dir: where every stage's artifacts live, guarded by a lock so two runs never share it.
//!
//! Every artifact goes through `atomic_write` (or `PartFile` for files an external tool writes): the file on disk
//! is always a complete old version or a complete new one, never a torn mix. Temp files carry one marker so a run
//! that was SIGKILLed mid-write can have its leftovers swept by the next run.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

/// Every temp file we create ends with this, so a sweep can tell ours from the user's files.
const TEMP_MARKER: &str = ".cinecut-tmp";
const LOCK_FILE: &str = ".cinecut.lock";

/// `<source_dir>/<source_stem>_cinecut_work/`, the default when `--work-dir` is not given.
pub fn default_work_dir(source: &Path) -> PathBuf {
    let stem = source.file_stem().unwrap_or_default().to_string_lossy();
    source
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!("{stem}_cinecut_work"))
}

/// An open, locked work dir. The lock is an OS file lock, so it is released even if this process is killed.
#[derive(Debug)]
pub struct WorkDir {
    root: PathBuf,
    _lock: File,
}

impl WorkDir {
    /// Create (if needed) and lock `root`, then sweep temp files a killed run left behind.
    pub fn open(root: &Path) -> Result<WorkDir> {
        fs::create_dir_all(root).map_err(|e| {
            Error::bad_input(
                root,
                format!("cannot create the work dir: {e}"),
                "pass --work-dir DIR on a disk you can write to",
            )
        })?;
        let lock_path = root.join(LOCK_FILE);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| match e.kind() {
                // A work dir from another user, or on a read-only disk: the user's to fix, before any work.
                io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => Error::bad_input(
                    root,
                    format!("cannot write in the work dir: {e}"),
                    "make it writable (chmod u+w), or pass --work-dir DIR on a disk you can write to",
                ),
                _ => Error::io(&lock_path, "cannot open the work-dir lock", e),
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let mut pid = String::new();
                let _ = lock.read_to_string(&mut pid);
                let pid = pid.trim();
                return Err(Error::Locked {
                    dir: root.to_path_buf(),
                    pid: if pid.is_empty() {
                        String::new()
                    } else {
                        format!(" (pid {pid})")
                    },
                });
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(Error::io(&lock_path, "cannot lock the work dir", e));
            }
        }
        // The pid is only for the message a second run prints; failing to write it is harmless.
        let _ = lock.set_len(0).and_then(|_| write!(lock, "{}", std::process::id()));
        sweep_temp_files(root);
        Ok(WorkDir {
            root: root.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A path inside the work dir.
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join(rel)
    }

    /// Create a sub-folder (e.g. `analysis/`) and return its path.
    pub fn subdir(&self, rel: &str) -> Result<PathBuf> {
        let p = self.root.join(rel);
        fs::create_dir_all(&p).at(&p, "cannot create folder")?;
        Ok(p)
    }

    /// Serialize `value` as pretty JSON and write it atomically to `rel` inside the work dir.
    pub fn write_json<T: serde::Serialize>(&self, rel: &str, value: &T) -> Result<PathBuf> {
        let path = self.path(rel);
        let mut bytes = serde_json::to_vec_pretty(value)
            .map_err(|e| Error::Runtime(format!("{}: cannot serialize: {e}", path.display())))?;
        bytes.push(b'\n');
        atomic_write(&path, &bytes).at(&path, "cannot write")?;
        Ok(path)
    }

    /// Read and parse a JSON artifact an earlier stage wrote.
    pub fn read_json<T: serde::de::DeserializeOwned>(&self, rel: &str) -> Result<T> {
        let path = self.path(rel);
        let bytes = fs::read(&path).at(&path, "cannot read")?;
        serde_json::from_slice(&bytes).map_err(|e| {
            Error::Runtime(format!(
                "{}: not a valid artifact ({e}); re-run with --fresh to rebuild the work dir",
                path.display()
            ))
        })
    }
}

/// Write `bytes` to `path` so that readers only ever see the old or the new file: a temp file in the same
/// directory, fsync, rename over the target, fsync the directory. On error the temp file is removed.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    let mut tmp = temp_file_in(dir, path)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // `persist` renames; on failure the NamedTempFile inside the error is dropped, which deletes it.
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

fn temp_file_in(dir: &Path, target: &Path) -> io::Result<tempfile::NamedTempFile> {
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMP_MARKER);
    // tempfile creates 0600 files; artifacts should get the usual umask-derived mode like any other file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Make a rename durable. Directories cannot be opened for sync on every platform; there it is a no-op.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Remove temp files a killed run left (ours only, recognised by the marker). Errors are ignored: a leftover
/// temp file wastes space but never corrupts anything, because nothing reads temp files.
fn sweep_temp_files(root: &Path) {
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if kind.is_dir() {
                dirs.push(entry.path());
            } else if name.ends_with(TEMP_MARKER) || name.ends_with(PART_SUFFIX) {
                tracing::debug!("removing leftover temp file {}", entry.path().display());
                let _ = fs::remove_file(entry.path());
            }
        }
    }
}

const PART_SUFFIX: &str = ".part";

/// A file that an external program (FFmpeg) writes: it writes `<final>.part`; `commit` makes it durable and
/// renames it into place. Dropped without `commit` (an error, a cancel), the part file is deleted, so a
/// half-written file can never be taken for a result.
#[derive(Debug)]
pub struct PartFile {
    final_path: PathBuf,
    part_path: PathBuf,
    committed: bool,
}

impl PartFile {
    pub fn new(final_path: impl Into<PathBuf>) -> Self {
        let final_path = final_path.into();
        let mut part = final_path.clone().into_os_string();
        part.push(PART_SUFFIX);
        let part_path = PathBuf::from(part);
        let _ = fs::remove_file(&part_path);
        PartFile {
            final_path,
            part_path,
            committed: false,
        }
    }

    /// Where the writer should write. FFmpeg cannot guess a format from `.part`: pass `-f` explicitly.
    pub fn part_path(&self) -> &Path {
        &self.part_path
    }

    pub fn final_path(&self) -> &Path {
        &self.final_path
    }

    pub fn commit(mut self) -> Result<PathBuf> {
        File::open(&self.part_path)
            .and_then(|f| f.sync_all())
            .at(&self.part_path, "cannot sync")?;
        fs::rename(&self.part_path, &self.final_path).at(&self.final_path, "cannot move into place")?;
        sync_dir(parent_dir(&self.final_path)).at(&self.final_path, "cannot sync folder")?;
        self.committed = true;
        Ok(self.final_path.clone())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.part_path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        atomic_write(&p, b"one").unwrap();
        atomic_write(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.json")]);
    }

    #[test]
    fn atomic_write_error_removes_temp() {
        let dir = tempfile::tempdir().unwrap();
        // Renaming a file over a non-empty directory fails after the temp file was written.
        let target = dir.path().join("taken");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("x"), b"x").unwrap();
        assert!(atomic_write(&target, b"data").is_err());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("taken")]);
    }

    #[test]
    fn second_open_is_locked_out() {
        let dir = tempfile::tempdir().unwrap();
        let _first = WorkDir::open(dir.path()).unwrap();
        let err = WorkDir::open(dir.path()).unwrap_err();
        assert!(matches!(err, Error::Locked { .. }), "{err}");
        assert!(err.to_string().contains(&format!("pid {}", std::process::id())));
    }

    #[test]
    fn open_sweeps_leftover_temp_files_only() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".x.json.abc.cinecut-tmp"), b"torn").unwrap();
        fs::write(dir.path().join("proxy.mp4.part"), b"torn").unwrap();
        fs::write(dir.path().join("keep.json"), b"{}").unwrap();
        let _wd = WorkDir::open(dir.path()).unwrap();
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, vec![".cinecut.lock", "keep.json"]);
    }

    #[test]
    fn part_file_is_removed_unless_committed() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.mp4");
        {
            let part = PartFile::new(&out);
            fs::write(part.part_path(), b"half").unwrap();
        }
        assert!(!out.exists() && !dir.path().join("out.mp4.part").exists());
        let part = PartFile::new(&out);
        fs::write(part.part_path(), b"whole").unwrap();
        part.commit().unwrap();
        assert_eq!(fs::read(&out).unwrap(), b"whole");
    }
}
