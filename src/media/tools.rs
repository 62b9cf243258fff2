//! Finding `ffmpeg` and `ffprobe` and checking, once per run, that FFmpeg is new enough.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// FFmpeg 5.1 is the oldest with `-fps_mode`, the `ch_layout` API and the filters we rely on.
pub(super) const MIN_VERSION: (u32, u32) = (5, 1);
const MIN_VERSION_TEXT: &str = "5.1";

#[derive(Debug, Clone)]
pub struct Tools {
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// The version line FFmpeg printed, e.g. `5.1.6-0+deb12u1`.
    pub version: String,
}

fn install_hint() -> String {
    "install FFmpeg 5.1 or newer: `sudo apt-get install ffmpeg` (Debian/Ubuntu), `sudo dnf install ffmpeg` \
     (Fedora), `brew install ffmpeg` (macOS) or `winget install ffmpeg` (Windows); or point CINECUT_FFMPEG and \
     CINECUT_FFPROBE at the binaries"
        .to_string()
}

impl Tools {
    /// `CINECUT_FFMPEG` / `CINECUT_FFPROBE` if set, else the first match on `PATH`; then the version check.
    pub fn locate() -> Result<Tools> {
        let ffmpeg = find_tool("ffmpeg", "CINECUT_FFMPEG")?;
        let ffprobe = find_tool("ffprobe", "CINECUT_FFPROBE")?;
        let version = check_version(&ffmpeg)?;
        Ok(Tools {
            ffmpeg,
            ffprobe,
            version,
        })
    }
}

fn find_tool(name: &'static str, var: &str) -> Result<PathBuf> {
    if let Some(p) = env::var_os(var).filter(|v| !v.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(Error::ToolMissing {
                tool: name,
                looked: format!("{var}={} does not exist", p.display()),
                hint: install_hint(),
            })
        };
    }
    find_in_path(name).ok_or_else(|| Error::ToolMissing {
        tool: name,
        looked: "not on PATH".into(),
        hint: install_hint(),
    })
}

pub(super) fn find_in_path(name: &str) -> Option<PathBuf> {
    let exe = format!("{name}{}", env::consts::EXE_SUFFIX);
    env::split_paths(&env::var_os("PATH")?)
        .map(|dir| dir.join(&exe))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

fn check_version(ffmpeg: &Path) -> Result<String> {
    let out = Command::new(ffmpeg)
        .arg("-version")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| Error::ToolMissing {
            tool: "ffmpeg",
            looked: format!("{} could not be started: {e}", ffmpeg.display()),
            hint: install_hint(),
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(version) = version_text(&text) else {
        return Err(Error::ToolMissing {
            tool: "ffmpeg",
            looked: format!("{} did not print an FFmpeg version", ffmpeg.display()),
            hint: install_hint(),
        });
    };
    match parse_version(&version) {
        Some(v) if v < MIN_VERSION => Err(Error::ToolTooOld {
            path: ffmpeg.to_path_buf(),
            found: version,
            need: MIN_VERSION_TEXT,
            hint: install_hint(),
        }),
        Some(_) => Ok(version),
        None => {
            // Git builds say `N-112233-g…`: newer than any release we know, so accept them.
            tracing::debug!("FFmpeg version '{version}' is not a release number; assuming a recent build");
            Ok(version)
        }
    }
}

/// The word after `ffmpeg version` on the first line.
fn version_text(out: &str) -> Option<String> {
    let rest = out.lines().next()?.strip_prefix("ffmpeg version ")?;
    rest.split_whitespace().next().map(str::to_string)
}

/// `5.1.6-0+deb12u1` → (5, 1); `n6.1.1` → (6, 1); `7.0-static` → (7, 0); `N-1234-gabc` → None.
fn parse_version(v: &str) -> Option<(u32, u32)> {
    let v = v.strip_prefix('n').unwrap_or(v);
    let mut parts = v.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_real_builds() {
        let cases = [
            ("ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024", Some((5, 1))),
            ("ffmpeg version n6.1.1 Copyright", Some((6, 1))),
            ("ffmpeg version 7.0.2-static https://johnvansickle.com", Some((7, 0))),
            ("ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright", Some((4, 4))),
            ("ffmpeg version N-112345-g0123abcd Copyright", None),
            ("ffmpeg version 8 Copyright", Some((8, 0))),
        ];
        for (line, want) in cases {
            let v = version_text(line).unwrap();
            assert_eq!(parse_version(&v), want, "{line}");
        }
        assert_eq!(version_text("something else"), None);
    }
}
