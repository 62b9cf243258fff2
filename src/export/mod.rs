//! Hand-off: the cut list for an editor (OpenTimelineIO, FCPXML, CMX3600 EDL) and the HTML report. All are
//! written from `timeline.json` and `TRAILER_MANIFEST.json` after the render; nothing here changes the trailer.

mod cutlist;
mod edl;
mod fcpxml;
mod otio;
mod report;

pub use report::{REPORT_DIR, ReportInput, write as write_report};

use std::path::{Path, PathBuf};

use crate::cancel::Cancel;
use crate::error::{Error, IoContext, Result};
use crate::media::{Probe, Rate, Tools, probe};
use crate::sound::SFX;
use crate::story::Manifest;
use crate::timeline::{TIMELINE, Timeline};
use crate::workdir::atomic_write;
use cutlist::{CutList, Media, Picture};

/// The cut-list formats, by the names `--export` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Otio,
    Fcpxml,
    Edl,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Otio, Format::Fcpxml, Format::Edl];

    pub fn name(self) -> &'static str {
        match self {
            Format::Otio => "otio",
            Format::Fcpxml => "fcpxml",
            Format::Edl => "edl",
        }
    }

    /// The file extension, the same as the name.
    pub fn ext(self) -> &'static str {
        self.name()
    }

    pub fn parse(s: &str) -> std::result::Result<Format, String> {
        let s = s.trim().to_ascii_lowercase();
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s || (s == "xml" && *f == Format::Fcpxml))
            .ok_or_else(|| format!("unknown export format '{s}'; the formats are otio, fcpxml and edl"))
    }

    fn render(self, cl: &CutList) -> String {
        match self {
            Format::Otio => otio::write(cl),
            Format::Fcpxml => fcpxml::write(cl),
            Format::Edl => edl::write(cl),
        }
    }
}

/// The timeline a render left in `work_dir`, checked to be the one `manifest` makes: an edited manifest must
/// be rendered (or at least assembled) before its cut list means anything.
pub fn load_timeline(work_dir: &Path, manifest: &Manifest, manifest_path: &Path) -> Result<Timeline> {
    let path = work_dir.join(TIMELINE);
    let work = if manifest_path.parent() == Some(work_dir) {
        String::new()
    } else {
        format!(" --work-dir {}", work_dir.display())
    };
    let render = format!(
        "render it first: cinecut --manifest {}{work} (or add --until assembly for the cut list alone)",
        manifest_path.display()
    );
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::bad_input(
                manifest_path,
                format!("no {TIMELINE} in {}", work_dir.display()),
                render,
            ));
        }
        Err(e) => return Err(Error::io(&path, "cannot read the timeline", e)),
    };
    let tl: Timeline = serde_json::from_str(&text)
        .map_err(|e| Error::bad_input(&path, format!("the timeline cannot be read: {e}"), render.clone()))?;
    // A timeline without the key was made by an older CineCut: which manifest it followed is unknown.
    let problem = match tl.manifest_key.as_deref() {
        None => "its timeline was made by an older CineCut, which did not record the manifest it followed",
        Some(k) if k != manifest.decisions_key() => {
            "the manifest changed since its timeline was built, so the cut list would not match the trailer"
        }
        Some(_) => return Ok(tl),
    };
    Err(Error::bad_input(manifest_path, problem, render))
}

/// The cut list, with the source (`source`, absolute: the manifest may name it relative to itself), music and
/// effects files probed for what editors need to know about them.
pub fn cut_list(
    tools: &Tools,
    work_dir: &Path,
    tl: &Timeline,
    manifest: &Manifest,
    source: &Path,
    cancel: &Cancel,
) -> Result<CutList> {
    let source = media(&probe(tools, source, cancel)?, &real_path(source));
    let optional = |path: PathBuf| -> Result<Option<Media>> {
        Ok(if path.is_file() {
            Some(media(&probe(tools, &path, cancel)?, &real_path(&path)))
        } else {
            None
        })
    };
    let music = match &tl.music {
        Some(m) => optional(PathBuf::from(&m.path))?,
        None => None,
    };
    let effects = optional(work_dir.join(SFX))?;
    Ok(cutlist::build(tl, manifest, source, music, effects))
}

/// The file itself, by absolute path with links resolved: an editor's project outlives the demo's links and the
/// folder the command ran in.
fn real_path(path: &Path) -> PathBuf {
    path.canonicalize()
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

fn media(p: &Probe, path: &Path) -> Media {
    let video = p.video().map(|v| {
        let rate = p.rate();
        Picture {
            rate,
            width: v.display_size().map_or(0, |s| s.0),
            height: v.display_size().map_or(0, |s| s.1),
            start_frame: p
                .timecode
                .as_deref()
                .and_then(|tc| parse_timecode(tc, rate))
                .unwrap_or(0),
        }
    });
    Media {
        path: path.to_path_buf(),
        duration_s: p.duration().unwrap_or(0.0),
        video,
        audio: p
            .audio()
            .map(|a| (a.sample_rate.unwrap_or(48_000), a.channels.unwrap_or(2))),
    }
}

/// `HH:MM:SS:FF` (or `;FF`, drop-frame) → a frame count at `rate`.
pub fn parse_timecode(tc: &str, rate: Rate) -> Option<u64> {
    let parts: Vec<u64> = tc
        .split([':', ';', '.'])
        .map(|p| p.trim().parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s, f] = parts[..] else { return None };
    let fps = cutlist::nominal_fps(rate);
    if m >= 60 || s >= 60 || f >= fps {
        return None;
    }
    let mut frames = ((h * 60 + m) * 60 + s) * fps + f;
    // `;` (or `.`) before the frames marks drop-frame; a 29.97 film tagged `01:00:00:00` counts every number.
    if cutlist::drop_frame(rate) && tc.contains([';', '.']) {
        // Drop-frame skips 2 (4 at 59.94) numbers a minute, except every tenth minute.
        let minutes = h * 60 + m;
        frames -= (fps / 15) * (minutes - minutes / 10);
    }
    Some(frames)
}

/// Write each format beside `base` (its extension replaced), atomically; returns the files written.
pub fn write(cl: &CutList, formats: &[Format], base: &Path) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for f in formats {
        let path = base.with_extension(f.ext());
        atomic_write(&path, f.render(cl).as_bytes()).at(&path, "cannot write the export")?;
        written.push(path);
    }
    Ok(written)
}

/// `file://` URL of an absolute path, percent-encoded (RFC 3986: everything but unreserved characters and `/`),
/// as OTIO and FCPXML name media.
pub fn file_url(path: &Path) -> String {
    let mut out = String::from("file://");
    // The path's own bytes, so a name that is not UTF-8 still points at its file.
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(path.as_os_str()).to_vec();
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().into_owned().into_bytes();
    for b in bytes {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timecodes_parse_back() {
        let df = Rate::new(30000, 1001);
        for n in [0, 1799, 1800, 17_982, 107_892, 123_456] {
            assert_eq!(parse_timecode(&cutlist::timecode(n, df), df), Some(n), "{n}");
        }
        assert_eq!(parse_timecode("01:00:00:00", Rate::new(24, 1)), Some(86_400));
        assert_eq!(parse_timecode("01:00:00:24", Rate::new(24, 1)), None);
        assert_eq!(parse_timecode("junk", Rate::new(24, 1)), None);
    }

    #[test]
    fn a_colon_timecode_at_29_97_is_non_drop() {
        let df = Rate::new(30000, 1001);
        assert_eq!(parse_timecode("01:00:00:00", df), Some(108_000));
        assert_eq!(parse_timecode("01:00:00;00", df), Some(107_892));
        assert_eq!(parse_timecode("00:01:00;02", df), Some(1800));
    }

    #[test]
    fn file_urls_escape_what_urls_cannot_hold() {
        assert_eq!(
            file_url(Path::new("/a b/ü%#?.mp4")),
            "file:///a%20b/%C3%BC%25%23%3F.mp4"
        );
    }
}
