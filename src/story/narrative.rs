//! Stage `narrative`, its edge: read what the analysis stages wrote, build the trailer (`trailer.rs`), check it
//! against the rules (`rules.rs`), and write `TRAILER_MANIFEST.json`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::film::Film;
use super::manifest::{MANIFEST, Manifest};
use super::plan::Length;
use super::rules;
use super::title_shot::{self, TitleCard};
use super::trailer::{self, Request};
use super::vibes::Vibe;
use crate::analyze::{Embedder, STRUCTURE, Structure, ZoneMatcher, read_scenes};
use crate::error::{Error, Result};
use crate::ingest::{
    DIALOGUE, Dialogue,
    analysis::{self, ShotList},
};
use crate::workdir::WorkDir;

/// Bump when the choice of clips changes, so resumed runs choose again.
pub(crate) const VERSION: u32 = 4;

pub(crate) const VERSIONS: &[u32] = &[VERSION];

pub(crate) fn outputs_present(work: &WorkDir) -> bool {
    work.path(MANIFEST).is_file()
}

/// What stage `narrative` reads: what the user asked for, the film's name and fingerprint for the manifest, and
/// the sentence model (zones come from it when it is installed, from word lists when not).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Inputs {
    pub source: PathBuf,
    /// Serialised whole, so a change to a vibe's parameters chooses again.
    pub vibe: &'static Vibe,
    pub length: Length,
    pub allow_spoilers: bool,
    /// The title card's text; else the container's title, else the file name cleaned up.
    pub title: Option<String>,
    pub container_title: Option<String>,
    /// A line under the title on the card.
    pub tagline: Option<String>,
    /// `--title-card`: the film's own title shot when found, or the typeset card.
    pub title_card: TitleCard,
    /// Size and content hash, not the mtime: a copied film still matches its manifest.
    pub fingerprint: Option<String>,
    /// The MiniLM model's folder (`Embedder::locate`), if installed.
    pub embedder: Option<PathBuf>,
}

pub(crate) struct Outcome {
    pub manifest: Manifest,
    pub warnings: Vec<String>,
}

impl Outcome {
    pub(crate) fn summary(&self) -> String {
        let m = &self.manifest;
        let lines = m.clips.iter().filter(|c| c.keep_audio).count();
        format!(
            "{} clips ({lines} with a line), {:.1} s of {:.0} s asked; {MANIFEST}",
            m.clips.len(),
            rules::total_s(m),
            m.target_length_s.unwrap_or(0.0)
        )
    }
}

pub(crate) fn run(opts: &Inputs, work: &WorkDir) -> Result<Outcome> {
    let source = opts.source.as_path();
    let shots: ShotList = work.read_json(analysis::SHOTS)?;
    let dialogue: Dialogue = work.read_json(DIALOGUE)?;
    let structure: Structure = work.read_json(STRUCTURE)?;
    let scenes: Vec<_> = read_scenes(work)?.into_iter().map(|l| l.scene).collect();
    let mut cues = dialogue.events;
    cues.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));

    let embedder = opts.embedder.as_deref().map(Embedder::load).transpose()?;
    let zones = ZoneMatcher::new(embedder)?;
    let film = Film {
        fps: shots.fps,
        offset_s: shots.offset_s,
        frames: shots.frames,
        shots: &shots.shots,
        cues: &cues,
        scenes: &scenes,
        structure: &structure,
    };
    let req = Request {
        vibe: opts.vibe,
        target_s: opts.length.target_s(opts.vibe),
        allow_spoilers: opts.allow_spoilers,
        title: card_title(opts.title.as_deref(), opts.container_title.as_deref(), source),
        source_file: source.to_string_lossy().into_owned(),
        fingerprint: opts.fingerprint.clone(),
    };
    let mut built = trailer::build(&film, &zones, &req)?;
    built.manifest.tagline = opts
        .tagline
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from);
    let (shot, why) = title_shot::choose(
        opts.title_card,
        &structure.text,
        &shots.shots,
        built.manifest.title_card_s.unwrap_or(0.0),
    );
    (built.manifest.title_shot, built.manifest.title_card_reason) = (shot, Some(why));
    let mut warnings: Vec<String> = zones.warning().into_iter().collect();
    warnings.extend(built.warnings);

    // A film with too little material gets the best trailer it allows, and the user is told what it misses;
    // any other broken rule is our bug.
    let (soft, problems): (Vec<_>, Vec<_>) = rules::check(&built.manifest, &film, opts.allow_spoilers)
        .into_iter()
        .partition(|p| built.short_of_material && p.rule.needs_material());
    warnings.extend(
        soft.iter()
            .map(|p| p.text.clone())
            .filter(|t| !t.starts_with("the trailer runs")),
    );
    if !problems.is_empty() {
        let problems: Vec<String> = problems.iter().map(|p| p.text.clone()).collect();
        return Err(Error::Runtime(format!(
            "the chosen clips break the trailer rules (a bug in cinecut; please report it):\n  - {}",
            problems.join("\n  - ")
        )));
    }
    built.manifest.save(&work.path(MANIFEST))?;
    Ok(Outcome {
        manifest: built.manifest,
        warnings,
    })
}

/// The title card's text: `--title`, else the container's title tag, else the file name cleaned up.
pub(crate) fn card_title(given: Option<&str>, container: Option<&str>, source: &Path) -> String {
    given
        .or(container)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| title_from_file(source))
}

/// A title from a file name: `The.Big.Heist.2019.1080p.BluRay.x264` → "The Big Heist";
/// `tears_of_steel_1280x534` → "Tears of Steel". Release tags and everything after the first one are dropped;
/// all-lowercase words are capitalised as in English titles (short articles, conjunctions and prepositions stay
/// small except first and last).
pub(crate) fn title_from_file(path: &Path) -> String {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let is_tag = |w: &str| {
        let l = w.to_ascii_lowercase();
        let year = l.len() == 4 && l.starts_with(['1', '2']) && l.chars().all(|c| c.is_ascii_digit());
        let size = l.split_once('x').is_some_and(|(a, b)| {
            !a.is_empty() && !b.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit())
        });
        let res = l.ends_with('p') && l.len() > 3 && l[..l.len() - 1].chars().all(|c| c.is_ascii_digit());
        const TAGS: &[&str] = &[
            "bluray", "brrip", "bdrip", "webrip", "web", "webdl", "web-dl", "hdtv", "dvdrip", "x264", "x265", "h264",
            "h265", "hevc", "aac", "ac3", "dts", "remux", "proper", "repack", "extended", "unrated", "4k", "uhd",
            "hdr",
        ];
        year || size || res || TAGS.contains(&l.as_str())
    };
    const SMALL: &[&str] = &[
        "a", "an", "the", "and", "but", "or", "nor", "of", "in", "on", "at", "to", "by", "for", "as", "vs",
    ];
    let kept: Vec<&str> = stem
        .split(['.', '_', ' ', '-', '[', ']', '(', ')'])
        .filter(|w| !w.is_empty())
        .take_while(|w| !is_tag(w))
        .collect();
    let last = kept.len().saturating_sub(1);
    let words: Vec<String> = kept
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut c = w.chars();
            match c.next() {
                Some(_) if i != 0 && i != last && SMALL.contains(w) => w.to_string(),
                Some(f) if w.chars().all(|ch| ch.is_lowercase() || !ch.is_alphabetic()) => {
                    f.to_uppercase().chain(c).collect()
                }
                _ => w.to_string(),
            }
        })
        .collect();
    if words.is_empty() {
        stem.trim().to_string()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_from_file_names() {
        let t = |s: &str| title_from_file(Path::new(s));
        assert_eq!(t("/films/tears_of_steel_1280x534.mp4"), "Tears of Steel");
        assert_eq!(t("the_lord_of_the_rings.mkv"), "The Lord of the Rings");
        assert_eq!(t("what_are_you_looking_at.mkv"), "What Are You Looking At");
        assert_eq!(t("The.Big.Heist.2019.1080p.BluRay.x264.mkv"), "The Big Heist");
        assert_eq!(t("Amélie (2001).mkv"), "Amélie");
        assert_eq!(t("2001.mkv"), "2001");
        assert_eq!(t("McQueen - Le Mans.mov"), "McQueen Le Mans");
    }
}
