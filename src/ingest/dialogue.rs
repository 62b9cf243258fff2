//! Stage `subtitles`: find the film's dialogue, parse it, and write `dialogue.json`.
//!
//! Where the dialogue comes from is decided once, in the checked config (`find_source`), so the stage key can
//! cover exactly the bytes used: the `--subtitle` file; else `<stem>.srt|.ass|.ssa|.vtt` or
//! `<stem>.<lang>.<ext>` beside the film; else a text subtitle track inside the container (extracted with
//! FFmpeg); else none, and the trailer is picture-led. Image subtitles (PGS, VobSub, DVB) cannot be read as text.
//!
//! Times need no shifting: FFmpeg subtracts the file's start time from everything it outputs (an extracted track
//! included), and that is also the clock players show external subtitles on. The analysis frames sit on the same
//! clock through `ShotList::offset_s`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::subtitles::{self, DialogueEvent};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::media::{FfCommand, Probe, Tools};
use crate::workdir::WorkDir;

pub(crate) const DIALOGUE: &str = "dialogue.json";
/// Bump when `dialogue.json` changes shape or the parsing changes its answers.
pub(crate) const VERSION: u32 = 1;
const EXTENSIONS: &[&str] = &["srt", "ass", "ssa", "vtt"];
/// Warnings listed one by one; the rest are counted.
const WARNINGS_SHOWN: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum SubtitleSource {
    File { path: PathBuf },
    Embedded { stream_index: usize, codec: String },
    None { reason: String },
}

impl SubtitleSource {
    pub(crate) fn describe(&self) -> String {
        match self {
            SubtitleSource::File { path } => path.display().to_string(),
            SubtitleSource::Embedded { stream_index, codec } => format!("the film's {codec} track #{stream_index}"),
            SubtitleSource::None { reason } => reason.clone(),
        }
    }
}

/// Text subtitle codecs FFmpeg can turn into SRT or ASS.
fn is_text_codec(codec: &str) -> bool {
    matches!(
        codec,
        "subrip" | "srt" | "ass" | "ssa" | "webvtt" | "mov_text" | "text" | "microdvd" | "sami"
    )
}

/// Decide where the dialogue comes from (see the module doc).
pub(crate) fn find_source(given: Option<&Path>, film: &Path, probe: &Probe) -> SubtitleSource {
    if let Some(p) = given {
        return SubtitleSource::File { path: p.to_path_buf() };
    }
    if let Some(path) = beside(film) {
        return SubtitleSource::File { path };
    }
    let mut tracks: Vec<_> = probe.subtitles().collect();
    // English first when the film says, then the default track, then file order.
    tracks.sort_by_key(|s| {
        (
            !matches!(s.language.as_deref(), Some("en" | "eng")),
            !s.default,
            s.index,
        )
    });
    if let Some(t) = tracks.iter().find(|t| is_text_codec(&t.codec)) {
        return SubtitleSource::Embedded {
            stream_index: t.index,
            codec: t.codec.clone(),
        };
    }
    let reason = match tracks.first() {
        Some(t) => format!(
            "the film's only subtitles are images ({} track #{}), which cannot be read as text; turn them into \
             SRT with an OCR tool (e.g. Subtitle Edit) and pass -s FILE",
            t.codec, t.index
        ),
        None => "no subtitles were given (-s), found beside the film, or found inside it".into(),
    };
    SubtitleSource::None { reason }
}

/// `<stem>.srt` … then `<stem>.<lang>.srt` … (English first, then alphabetical), beside the film.
fn beside(film: &Path) -> Option<PathBuf> {
    let dir = film.parent()?;
    let stem = film.file_stem()?.to_string_lossy().into_owned();
    for ext in EXTENSIONS {
        let p = dir.join(format!("{stem}.{ext}"));
        if p.is_file() {
            return Some(p);
        }
    }
    let mut tagged: Vec<(bool, PathBuf)> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            let rest = name.strip_prefix(&format!("{stem}."))?;
            let (lang, ext) = rest.rsplit_once('.')?;
            let ok = EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str()) && !lang.is_empty() && !lang.contains('.');
            ok.then(|| {
                (
                    !matches!(lang.to_ascii_lowercase().as_str(), "en" | "eng" | "english"),
                    p,
                )
            })
        })
        .collect();
    tagged.sort();
    tagged.into_iter().next().map(|(_, p)| p)
}

/// `dialogue.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Dialogue {
    pub source: SubtitleSource,
    pub encoding: Option<String>,
    pub events: Vec<DialogueEvent>,
    /// What was skipped or repaired, the first few in full.
    pub warnings: Vec<String>,
    pub warnings_total: usize,
}

impl Dialogue {
    pub(crate) fn summary(&self) -> String {
        let spoken = self.events.iter().filter(|e| !e.sound_cue).count();
        match &self.source {
            SubtitleSource::None { .. } => "no dialogue: the trailer will be picture-led".into(),
            s => format!(
                "{spoken} lines of dialogue, {} sound cues from {}{}",
                self.events.len() - spoken,
                s.describe(),
                if self.warnings_total > 0 {
                    format!(" ({} warnings)", self.warnings_total)
                } else {
                    String::new()
                }
            ),
        }
    }
}

/// Refuse a subtitle file given with `-s` that is not subtitles at all (binary data, prose, another format), at
/// startup; the stage parses it again for real.
pub(crate) fn check_file(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read the subtitles", e))?;
    parse(&bytes, extension(path).as_deref(), &path.display().to_string()).map(|_| ())
}

fn extension(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase())
}

fn parse(bytes: &[u8], hint: Option<&str>, origin: &str) -> Result<subtitles::ParsedSubtitles> {
    subtitles::parse_bytes(bytes, hint).map_err(|why| {
        // The parser's own sentence may start the same way; say it once.
        let why = why.strip_prefix("this is not a subtitle file: ").unwrap_or(&why);
        Error::bad_input(
            PathBuf::from(origin),
            format!("is not a subtitle file: {why}"),
            "pass an SRT, ASS/SSA or WebVTT file with -s",
        )
    })
}

pub(crate) const VERSIONS: &[u32] = &[VERSION];

pub(crate) fn outputs_present(work: &WorkDir) -> bool {
    work.path(DIALOGUE).is_file()
}

/// What stage `subtitles` reads: where the dialogue comes from (decided by the checked config), the bytes of a
/// file by their hash, and the film (for an embedded track, and its length to drop cues past the end).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Inputs {
    pub source: SubtitleSource,
    /// The blake3 of a subtitle file's bytes (an embedded track is covered by the film's fingerprint).
    pub file_hash: Option<String>,
    pub film: PathBuf,
    pub film_duration_s: Option<f64>,
}

impl Inputs {
    pub(crate) fn new(source: SubtitleSource, probe: &Probe) -> Result<Inputs> {
        let file_hash = match &source {
            SubtitleSource::File { path } => {
                let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read the subtitles", e))?;
                Some(blake3::hash(&bytes).to_hex().to_string())
            }
            _ => None,
        };
        Ok(Inputs {
            source,
            file_hash,
            film: probe.path.clone(),
            film_duration_s: probe.duration(),
        })
    }
}

pub(crate) fn run(tools: &Tools, inputs: &Inputs, work: &WorkDir, cancel: &Cancel) -> Result<Dialogue> {
    let source = &inputs.source;
    let (bytes, hint, origin) = match source {
        SubtitleSource::None { reason } => {
            tracing::warn!("{reason}; continuing without dialogue, the trailer will be picture-led");
            let d = Dialogue {
                source: source.clone(),
                encoding: None,
                events: vec![],
                warnings: vec![],
                warnings_total: 0,
            };
            work.write_json(DIALOGUE, &d)?;
            return Ok(d);
        }
        SubtitleSource::File { path } => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read the subtitles", e))?;
            (bytes, extension(path), path.display().to_string())
        }
        SubtitleSource::Embedded { stream_index, codec } => {
            // ASS keeps speaker names and styling; everything else converts cleanly to SRT.
            let format = if matches!(codec.as_str(), "ass" | "ssa") {
                "ass"
            } else {
                "srt"
            };
            let bytes = FfCommand::ffmpeg(tools, "extracting the film's subtitles")
                .input(&inputs.film)
                .arg2("-map", format!("0:{stream_index}"))
                .args(["-f", format, "pipe:1"])
                .output_bytes(cancel)?;
            (
                bytes,
                Some(format.to_string()),
                format!("{} (track #{stream_index})", inputs.film.display()),
            )
        }
    };
    let parsed = parse(&bytes, hint.as_deref(), &origin)?;
    let mut warnings: Vec<String> = parsed.warnings.iter().map(|w| w.to_string()).collect();
    if !matches!(parsed.encoding, "UTF-8") {
        warnings.insert(
            0,
            format!(
                "read as {} (not UTF-8); if accents look wrong, re-save it as UTF-8",
                parsed.encoding
            ),
        );
    }
    let mut events = parsed.events;
    if let Some(end) = inputs.film_duration_s {
        let before = events.len();
        events.retain(|e| e.start_s < end);
        let dropped = before - events.len();
        if dropped > 0 {
            warnings.push(format!(
                "{dropped} cues start after the film ends ({end:.1} s) and were dropped"
            ));
        }
    }
    let warnings_total = warnings.len();
    for w in warnings.iter().take(WARNINGS_SHOWN) {
        tracing::warn!("{origin}: {w}");
    }
    if warnings_total > WARNINGS_SHOWN {
        tracing::warn!(
            "{origin}: … and {} more warnings (see {DIALOGUE})",
            warnings_total - WARNINGS_SHOWN
        );
    }
    warnings.truncate(WARNINGS_SHOWN * 10);
    let d = Dialogue {
        source: source.clone(),
        encoding: Some(parsed.encoding.to_string()),
        events,
        warnings,
        warnings_total,
    };
    work.write_json(DIALOGUE, &d)?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe_with(streams: &[(usize, &str, Option<&str>)]) -> Probe {
        let streams = streams
            .iter()
            .map(|(i, codec, lang)| {
                format!(
                    r#"{{"index":{i},"codec_type":"subtitle","codec_name":"{codec}","tags":{{"language":"{}"}}}}"#,
                    lang.unwrap_or("und")
                )
            })
            .collect::<Vec<_>>()
            .join(",");
        crate::media::parse_probe_json(Path::new("/f.mkv"), format!(r#"{{"streams":[{streams}]}}"#).as_bytes()).unwrap()
    }

    #[test]
    fn files_beside_the_film_win_and_english_comes_first() {
        let d = tempfile::tempdir().unwrap();
        let film = d.path().join("Film.mkv");
        std::fs::write(&film, b"x").unwrap();
        let none = probe_with(&[]);
        assert!(matches!(find_source(None, &film, &none), SubtitleSource::None { .. }));
        std::fs::write(d.path().join("Film.fr.srt"), b"").unwrap();
        std::fs::write(d.path().join("Film.en.vtt"), b"").unwrap();
        std::fs::write(d.path().join("Other.srt"), b"").unwrap();
        assert_eq!(
            find_source(None, &film, &none),
            SubtitleSource::File {
                path: d.path().join("Film.en.vtt")
            }
        );
        std::fs::write(d.path().join("Film.ass"), b"").unwrap();
        assert_eq!(
            find_source(None, &film, &none),
            SubtitleSource::File {
                path: d.path().join("Film.ass")
            }
        );
    }

    #[test]
    fn embedded_text_tracks_then_image_tracks_are_reported() {
        let d = tempfile::tempdir().unwrap();
        let film = d.path().join("f.mkv");
        let p = probe_with(&[
            (2, "hdmv_pgs_subtitle", Some("eng")),
            (3, "subrip", Some("fre")),
            (4, "ass", Some("eng")),
        ]);
        assert_eq!(
            find_source(None, &film, &p),
            SubtitleSource::Embedded {
                stream_index: 4,
                codec: "ass".into()
            }
        );
        let images = probe_with(&[(2, "hdmv_pgs_subtitle", Some("eng"))]);
        match find_source(None, &film, &images) {
            SubtitleSource::None { reason } => {
                assert!(reason.contains("images") && reason.contains("-s FILE"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }
}
