//! The one error type. Every variant a user can act on says what failed, on which file, and what to do next;
//! `exit_code` maps it to the documented exit status (2 bad input, 1 runtime failure, 130 interrupted).

use std::io;
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or option the user gave is wrong. Exit 2.
    #[error("{}: {problem}\n  fix: {fix}", path.display())]
    BadInput {
        path: PathBuf,
        problem: String,
        fix: String,
    },

    /// A command-line problem not tied to one file. Exit 2.
    #[error("{problem}\n  fix: {fix}")]
    Usage { problem: String, fix: String },

    #[error(
        "unknown vibe '{given}'{suggestion}\n  the vibes: {known}\n  fix: pass one of them (`cinecut vibes` shows what each does)"
    )]
    UnknownVibe {
        given: String,
        suggestion: String,
        /// Every vibe's name, comma-separated.
        known: String,
    },

    #[error("{tool} was not found ({looked})\n  fix: {hint}")]
    ToolMissing {
        tool: &'static str,
        looked: String,
        hint: String,
    },

    #[error("{}: FFmpeg {found} is too old; CineCut needs FFmpeg {need} or newer\n  fix: {hint}", path.display())]
    ToolTooOld {
        path: PathBuf,
        found: String,
        need: &'static str,
        hint: String,
    },

    #[error(
        "work dir {} is in use by another cinecut run{pid}\n  fix: wait for that run to finish, or pass --work-dir to use another directory",
        dir.display()
    )]
    Locked { dir: PathBuf, pid: String },

    /// A file-system operation failed; `action` says what we were doing.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },

    /// The disk holding `path` filled up while writing there (the work dir or the output). Exit 1: nothing is
    /// wrong with the input, and the same command resumes once there is room.
    #[error(
        "{}: no space left on its disk ({detail})\n  fix: free some space there, or pass --work-dir (and -o) on a disk \
         with more room; then run the same command again",
        path.display()
    )]
    DiskFull { path: PathBuf, detail: String },

    /// An FFmpeg or ffprobe run failed: what it was for, the command, and the tail of what it said.
    #[error("{what} failed ({status})\n  command: {command}\n  FFmpeg said:\n{tail}")]
    Process {
        what: String,
        status: String,
        command: String,
        tail: String,
    },

    /// The model server cannot be used as configured (unreachable, key refused, unknown model, no vision).
    /// `problem` names the URL; the API key never appears in it.
    #[error("{problem}\n  fix: {fix}")]
    Model { url: String, problem: String, fix: String },

    /// Something went wrong inside a stage that is not the user's input; the message carries the context.
    #[error("{0}")]
    Runtime(String),

    #[error("interrupted")]
    Interrupted,
}

impl Error {
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::BadInput { .. }
            | Error::Usage { .. }
            | Error::UnknownVibe { .. }
            | Error::ToolMissing { .. }
            | Error::ToolTooOld { .. }
            | Error::Locked { .. } => 2,
            Error::Interrupted => 130,
            _ => 1,
        }
    }

    /// A failed file-system operation; a full disk becomes `DiskFull`, which says what to do about it.
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: io::Error) -> Self {
        if matches!(source.kind(), io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded) {
            return Error::DiskFull {
                path: path.into(),
                detail: format!("{action}: {source}"),
            };
        }
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }

    pub fn bad_input(path: impl Into<PathBuf>, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Error::BadInput {
            path: path.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }
}

/// Attach a path and an action to an `io::Result`.
pub(crate) trait IoContext<T> {
    fn at(self, path: impl Into<PathBuf>, action: &'static str) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn at(self, path: impl Into<PathBuf>, action: &'static str) -> Result<T> {
        self.map_err(|e| Error::io(path, action, e))
    }
}
