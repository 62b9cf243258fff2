//! Where the music bed comes from, tried in order: the user's file (`--music`), a music folder (`--music-dir` or
//! `CINECUT_MUSIC_DIR`), Jamendo (with `JAMENDO_CLIENT_ID`), else the built-in bed (`bed`).
//!
//! A bad `--music` file is an error: the user named it. Every other source only warns and hands over to the next,
//! because a trailer on the built-in bed beats no trailer. Neighbours: `jamendo` (search, download, a cache that
//! keeps the attribution), `decode` + `beats` (the tempo a folder track is scored on), `placement` (where the
//! chosen track sits on the timeline).

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{beats, decode, jamendo};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::media::{FfCommand, Tools};
use crate::story::Vibe;
use crate::timeline::{MusicSource, MusicTrack};
use crate::workdir::atomic_write;

/// Shorter than this is a jingle, not a bed: even looped it would repeat every couple of cuts.
pub(super) const MIN_DURATION_S: f64 = 5.0;
/// The file extensions a music folder is scanned for (what `--music` is documented to take).
pub(super) const AUDIO_EXTENSIONS: &[&str] = &["mp3", "m4a", "aac", "wav", "flac", "ogg", "opus"];
/// A loudest sample below this (−60 dBFS) is silence, whatever the file's length.
const SILENT_PEAK: f32 = 0.001;
/// The silence check needs only a coarse signal; 8 kHz decodes several times faster than the analysis rate.
const CHECK_RATE: u32 = 8000;
/// Decoding and beat tracking cost about a second per track, so only the best few by name and tags are measured.
const MEASURE_MAX: usize = 5;
/// Seconds of each track the tempo is measured on: enough beats for a stable tempo, little tracking work.
const MEASURE_S: usize = 60;
/// Below this the tracker is guessing (a drone, a noise bed): such a tempo neither scores nor is passed on.
const MIN_TEMPO_CONFIDENCE: f64 = 0.3;
/// More files than this in a music folder are ignored (sorted by name), so one huge library cannot stall a run.
const MAX_FOLDER_FILES: usize = 2000;
/// The folder index (tags, lengths, tempos) kept in the cache dir so a folder is probed and measured once.
const FOLDER_INDEX: &str = "folder-index.json";
/// Bump when the beat tracker or what the index stores changes: older measurements are then taken again.
const FOLDER_INDEX_VERSION: u32 = 1;

pub struct MusicOptions<'a> {
    pub file: Option<&'a Path>,
    /// `--music-dir` or `CINECUT_MUSIC_DIR` (the caller resolves the env).
    pub dir: Option<&'a Path>,
    /// `JAMENDO_CLIENT_ID`.
    pub jamendo_client_id: Option<&'a str>,
    pub vibe: &'a Vibe,
    /// Varies the choice among equally good tracks per film (e.g. the film's fingerprint hash); same seed, same
    /// choice.
    pub seed: u64,
    /// `~/.cache/cinecut/music` by default; tests pass a temp dir.
    pub cache_dir: PathBuf,
}

/// The music for this trailer (`None`: the built-in bed) and why better sources were passed over.
#[derive(Debug)]
pub struct Chosen {
    pub track: Option<MusicTrack>,
    pub warnings: Vec<String>,
}

/// Try the sources in order; Jamendo at `CINECUT_JAMENDO_URL` when set (tests), else the real API.
pub(super) fn choose(tools: &Tools, opts: &MusicOptions, cancel: &Cancel) -> Result<Chosen> {
    choose_with(tools, opts, &jamendo::Endpoint::from_env(), cancel)
}

/// `choose` with an explicit Jamendo endpoint.
pub fn choose_with(
    tools: &Tools,
    opts: &MusicOptions,
    endpoint: &jamendo::Endpoint,
    cancel: &Cancel,
) -> Result<Chosen> {
    let mut warnings = Vec::new();
    let track = first_source(tools, opts, endpoint, &mut warnings, cancel)?;
    Ok(Chosen { track, warnings })
}

fn first_source(
    tools: &Tools,
    opts: &MusicOptions,
    endpoint: &jamendo::Endpoint,
    warnings: &mut Vec<String>,
    cancel: &Cancel,
) -> Result<Option<MusicTrack>> {
    if let Some(file) = opts.file {
        return check_user_file(tools, file, cancel).map(Some);
    }
    if let Some(dir) = opts.dir {
        match from_folder(tools, dir, opts, cancel) {
            Ok(track) => return Ok(Some(track)),
            Err(why) => {
                // A stop request surfaces as a failed decode; it must stop the run, not read as a warning.
                cancel.check()?;
                warnings.push(why);
            }
        }
    }
    if let Some(client_id) = opts.jamendo_client_id.map(str::trim).filter(|id| !id.is_empty()) {
        let request = jamendo::Request {
            client_id,
            tag: opts.vibe.music_tag,
            seed: opts.seed,
            cache_dir: &opts.cache_dir,
        };
        let found = jamendo::find(tools, &request, endpoint, warnings, cancel);
        cancel.check()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

/// `$XDG_CACHE_HOME/cinecut/music`, else `~/.cache/cinecut/music` (the temp dir when there is no home).
pub(crate) fn default_cache_dir() -> PathBuf {
    let xdg = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let home = || std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache"));
    xdg.or_else(home)
        .unwrap_or_else(std::env::temp_dir)
        .join("cinecut")
        .join("music")
}

/// Validate a user's `--music` file before any work (called at startup): it exists, is a file, FFmpeg finds
/// audio in it, and that audio is at least 5 s long and not silent. Every error names the file and the fix.
pub fn check_user_file(tools: &Tools, path: &Path, cancel: &Cancel) -> Result<MusicTrack> {
    const FORMATS: &str = "pass an audio file (mp3, m4a/aac, wav, flac, ogg or opus) to --music";
    let meta = fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::bad_input(
            path,
            "the --music file does not exist",
            "check the path given to --music",
        ),
        _ => Error::bad_input(
            path,
            format!("cannot read the --music file: {e}"),
            "check the path and its permissions",
        ),
    })?;
    if meta.is_dir() {
        return Err(Error::bad_input(
            path,
            "--music takes a file, and this is a folder",
            "pass one audio file to --music, or pass the folder to --music-dir to pick a track from it",
        ));
    }
    let unreadable = |e: Error| match e {
        Error::Process { tail, .. } => {
            Error::bad_input(path, format!("FFmpeg cannot read this file as audio:\n{tail}"), FORMATS)
        }
        other => other,
    };
    let Some(info) = probe_audio(tools, path, cancel).map_err(unreadable)? else {
        return Err(Error::bad_input(path, "the file has no audio in it", FORMATS));
    };
    // Decoding is the proof: a container can claim a length its broken stream never delivers.
    let samples = decode::decode_mono(tools, path, CHECK_RATE, cancel).map_err(unreadable)?;
    let decoded_s = samples.len() as f64 / CHECK_RATE as f64;
    if decoded_s < MIN_DURATION_S {
        return Err(Error::bad_input(
            path,
            format!("the track is only {decoded_s:.1} s long; a music bed needs at least {MIN_DURATION_S:.0} s"),
            "pass a longer track to --music (a track shorter than the trailer is looped, but not one this short)",
        ));
    }
    if peak(&samples) < SILENT_PEAK {
        return Err(Error::bad_input(
            path,
            "the track is silent",
            "pass a track with music in it to --music",
        ));
    }
    // `decode_mono` stops at `MAX_DECODE_S`; the container's length is right for longer files.
    let duration_s = info.duration_s.unwrap_or(decoded_s).max(decoded_s);
    Ok(MusicTrack {
        source: MusicSource::User,
        path: absolute(path),
        title: info.tag("title").or_else(|| file_stem(path)),
        artist: info.tag("artist"),
        license_url: info.license_url(),
        url: None,
        track_id: None,
        duration_s,
        bpm: None,
    })
}

fn peak(samples: &[f32]) -> f32 {
    samples.iter().fold(0.0f32, |m, s| m.max(s.abs()))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn file_stem(path: &Path) -> Option<String> {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
}

// ---------------------------------------------------------------------------------------------------------------
// Probing: length and tags. `media::probe` keeps only the title; the credits and the scoring need more.

/// What ffprobe says about an audio file: its length and its tags (keys lower-cased).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct AudioInfo {
    pub duration_s: Option<f64>,
    pub tags: BTreeMap<String, String>,
}

impl AudioInfo {
    pub(crate) fn tag(&self, key: &str) -> Option<String> {
        self.tags
            .get(key)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// A licence only counts when a tag gives it as a link (`license`, or a copyright tag holding a URL).
    fn license_url(&self) -> Option<String> {
        ["license", "licence", "copyright", "wcop"]
            .iter()
            .filter_map(|k| self.tag(k))
            .find(|v| v.starts_with("http://") || v.starts_with("https://"))
    }
}

/// `Ok(None)`: FFmpeg reads the file but finds no audio in it (a picture, a silent video).
pub(crate) fn probe_audio(tools: &Tools, path: &Path, cancel: &Cancel) -> Result<Option<AudioInfo>> {
    let out = FfCommand::ffprobe(tools, format!("probing {}", path.display()))
        .args(["-print_format", "json"])
        .arg2(
            "-show_entries",
            "format=duration:format_tags:stream=codec_type,duration:stream_tags",
        )
        .input(path)
        .output_bytes(cancel)?;
    parse_audio_probe(&out).map_err(|e| {
        Error::Runtime(format!(
            "{}: ffprobe printed JSON we could not read: {e}",
            path.display()
        ))
    })
}

fn parse_audio_probe(json: &[u8]) -> serde_json::Result<Option<AudioInfo>> {
    #[derive(Deserialize)]
    struct Raw {
        #[serde(default)]
        streams: Vec<RawStream>,
        #[serde(default)]
        format: RawFormat,
    }
    #[derive(Deserialize, Default)]
    struct RawFormat {
        duration: Option<String>,
        #[serde(default)]
        tags: HashMap<String, String>,
    }
    #[derive(Deserialize)]
    struct RawStream {
        codec_type: Option<String>,
        duration: Option<String>,
        #[serde(default)]
        tags: HashMap<String, String>,
    }
    let raw: Raw = serde_json::from_slice(json)?;
    let Some(audio) = raw.streams.iter().find(|s| s.codec_type.as_deref() == Some("audio")) else {
        return Ok(None);
    };
    let seconds = |s: &Option<String>| {
        s.as_deref()
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v > 0.0)
    };
    // MP3 and MP4 keep tags on the container, Ogg and Opus on the stream, FLAC sometimes on both.
    let mut tags = BTreeMap::new();
    for (k, v) in raw.format.tags.iter().chain(audio.tags.iter()) {
        tags.entry(k.to_lowercase()).or_insert_with(|| v.clone());
    }
    Ok(Some(AudioInfo {
        duration_s: seconds(&raw.format.duration).or_else(|| seconds(&audio.duration)),
        tags,
    }))
}

// ---------------------------------------------------------------------------------------------------------------
// The music folder.

/// Pick the folder's best track for the vibe, or say why none was taken.
fn from_folder(
    tools: &Tools,
    dir: &Path,
    opts: &MusicOptions,
    cancel: &Cancel,
) -> std::result::Result<MusicTrack, String> {
    let dir_text = dir.display();
    let files = list_audio_files(dir).map_err(|e| format!("music folder {dir_text}: cannot read it ({e})"))?;
    if files.is_empty() {
        return Err(format!(
            "music folder {dir_text}: no audio files in it (looked for {})",
            AUDIO_EXTENSIONS.join(", ")
        ));
    }
    let mut index = FolderIndex::load(&opts.cache_dir);
    let mut candidates = Vec::new();
    for path in &files {
        if cancel.is_cancelled() {
            return Err("interrupted".into());
        }
        match index.audio_info(tools, path, cancel) {
            Some(info) if info.duration_s.is_some_and(|d| d >= MIN_DURATION_S) => {
                candidates.push(Candidate::new(path.clone(), info, opts.vibe, opts.seed));
            }
            _ => tracing::debug!("music folder: skipping {} (not audio, or too short)", path.display()),
        }
    }
    if candidates.is_empty() {
        index.save(&opts.cache_dir, dir, &files);
        return Err(format!(
            "music folder {dir_text}: none of its {} audio files could be read as a track of {MIN_DURATION_S:.0} s \
             or more",
            files.len()
        ));
    }
    candidates.sort_by_key(|c| (std::cmp::Reverse(c.prelim_score(opts.vibe)), c.tiebreak));
    candidates.truncate(MEASURE_MAX);
    let prior = tempo_prior(opts.vibe);
    for c in &mut candidates {
        c.tempo = index.tempo(tools, &c.path, &prior, cancel);
        if cancel.is_cancelled() {
            return Err("interrupted".into());
        }
    }
    index.save(&opts.cache_dir, dir, &files);
    candidates.sort_by_key(|c| (std::cmp::Reverse(c.score(opts.vibe)), c.tiebreak));
    let best = candidates.swap_remove(0);
    if !best.fits(opts.vibe) {
        let (lo, hi) = opts.vibe.bpm_range;
        return Err(format!(
            "music folder {dir_text}: no track fits the vibe '{}' (tag '{}', {lo}-{hi} BPM); name files after the \
             mood or genre (e.g. '{}_{}bpm.mp3') or set the genre tag",
            opts.vibe.name, opts.vibe.music_tag, opts.vibe.music_tag, opts.vibe.bpm_default
        ));
    }
    Ok(best.into_track())
}

/// Audio files in `dir` and in its direct sub-folders (an `Artist/` or `Album/` level is common), sorted by
/// path, without hidden files (macOS leaves `._name.mp3` metadata files that only look like audio).
fn list_audio_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut subdirs = Vec::new();
    collect_audio(dir, &mut files, Some(&mut subdirs))?;
    for sub in subdirs {
        // A sub-folder we cannot read only loses its own tracks.
        let _ = collect_audio(&sub, &mut files, None);
    }
    files.sort();
    if files.len() > MAX_FOLDER_FILES {
        tracing::debug!(
            "music folder {}: {} audio files; using the first {MAX_FOLDER_FILES} by name",
            dir.display(),
            files.len()
        );
        files.truncate(MAX_FOLDER_FILES);
    }
    Ok(files)
}

fn collect_audio(dir: &Path, files: &mut Vec<PathBuf>, mut subdirs: Option<&mut Vec<PathBuf>>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        // `metadata` follows links, so a linked track or folder counts like a real one.
        let Ok(meta) = fs::metadata(&path) else { continue };
        if meta.is_dir() {
            if let Some(subdirs) = subdirs.as_deref_mut() {
                subdirs.push(path);
            }
        } else if meta.is_file() && is_audio_name(&path) {
            files.push(absolute(&path));
        }
    }
    Ok(())
}

fn is_audio_name(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.as_str()))
}

fn tempo_prior(vibe: &Vibe) -> beats::TempoPrior {
    beats::TempoPrior {
        min_bpm: f64::from(vibe.bpm_range.0),
        max_bpm: f64::from(vibe.bpm_range.1),
        default_bpm: f64::from(vibe.bpm_default),
    }
}

/// A measured tempo and how sure the tracker was of it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Tempo {
    bpm: f64,
    confidence: f64,
}

/// A folder track being considered.
#[derive(Debug)]
struct Candidate {
    path: PathBuf,
    info: AudioInfo,
    /// How well its name and tags fit the vibe (`fit_score`).
    fit: u32,
    /// A tempo the name or tags state ("…_120bpm.mp3", an ID3 `TBPM`): free, so it ranks the shortlist.
    declared_bpm: Option<f64>,
    tempo: Option<Tempo>,
    /// Orders equally good tracks differently per film, the same way every time for one film.
    tiebreak: u64,
}

impl Candidate {
    fn new(path: PathBuf, info: AudioInfo, vibe: &Vibe, seed: u64) -> Candidate {
        let stem = file_stem(&path).unwrap_or_default();
        let text = [
            Some(stem.clone()),
            info.tag("genre"),
            info.tag("title"),
            info.tag("comment"),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
        let declared_bpm = declared_bpm(&stem, &info);
        let tiebreak = seeded(seed, &path.to_string_lossy());
        Candidate {
            fit: fit_score(vibe, &text),
            path,
            info,
            declared_bpm,
            tempo: None,
            tiebreak,
        }
    }

    /// The tempo to score on: a confident measurement, else what the file declares.
    fn bpm(&self) -> Option<f64> {
        self.tempo
            .filter(|t| t.confidence >= MIN_TEMPO_CONFIDENCE)
            .map(|t| t.bpm)
            .or(self.declared_bpm)
    }

    fn long_enough(&self, vibe: &Vibe) -> bool {
        self.info.duration_s.unwrap_or(0.0) >= vibe.default_length_s as f64
    }

    /// Before measuring: name, tags and any declared tempo.
    fn prelim_score(&self, vibe: &Vibe) -> u32 {
        self.fit + tempo_score(self.declared_bpm, vibe.bpm_range) + u32::from(self.long_enough(vibe))
    }

    fn score(&self, vibe: &Vibe) -> u32 {
        self.fit + tempo_score(self.bpm(), vibe.bpm_range) + u32::from(self.long_enough(vibe))
    }

    /// Taken only if its name or tags fit, or its tempo is in the vibe's range: a folder of unrelated music
    /// should not win over a Jamendo track that does fit.
    fn fits(&self, vibe: &Vibe) -> bool {
        self.fit > 0 || tempo_score(self.bpm(), vibe.bpm_range) == TEMPO_IN_RANGE
    }

    fn into_track(self) -> MusicTrack {
        let measured = self
            .tempo
            .filter(|t| t.confidence >= MIN_TEMPO_CONFIDENCE)
            .map(|t| t.bpm);
        MusicTrack {
            source: MusicSource::Folder,
            title: self.info.tag("title").or_else(|| file_stem(&self.path)),
            artist: self.info.tag("artist"),
            license_url: self.info.license_url(),
            url: None,
            track_id: None,
            duration_s: self.info.duration_s.unwrap_or(0.0),
            bpm: measured,
            path: self.path,
        }
    }
}

const FIT_PRIMARY: u32 = 4;
const FIT_RELATED_MAX: u32 = 3;
const TEMPO_IN_RANGE: u32 = 3;

/// How well a file's name and tags fit the vibe: `FIT_PRIMARY` for the vibe's music tag or its name, plus one per
/// related word (at most `FIT_RELATED_MAX`). Words are compared whole ("pop" is not in "popcorn"); long terms also
/// inside run-together names ("darkthriller").
fn fit_score(vibe: &Vibe, text: &str) -> u32 {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let joined: String = words.concat();
    let has = |term: &str| {
        let term = term.replace('-', "");
        words.contains(&term.as_str()) || (term.len() >= 6 && joined.contains(&term))
    };
    let primary = has(vibe.music_tag) || has(vibe.name);
    // The vibe's own words already scored as primary; counting them again as related would double them.
    let own = |t: &str| [vibe.music_tag, vibe.name].iter().any(|o| o.replace('-', "") == t);
    let mut related: Vec<&str> = synonyms(vibe.music_tag)
        .iter()
        .chain(synonyms(vibe.name))
        .copied()
        .filter(|t| !own(t))
        .collect();
    related.sort_unstable();
    related.dedup();
    let related_hits = related.iter().filter(|t| has(t)).count() as u32;
    FIT_PRIMARY * u32::from(primary) + related_hits.min(FIT_RELATED_MAX)
}

/// Words that mark a track as fitting a music tag or a vibe, beyond the tag itself. Genre and mood words as
/// music libraries and stock sites name them.
fn synonyms(tag_or_vibe: &str) -> &'static [&'static str] {
    match tag_or_vibe {
        "action" => &["energetic", "rock", "intense", "chase", "fight", "metal"],
        "adventure" => &["epic", "orchestral", "heroic", "journey", "quest"],
        "pop" | "comedy" | "family" | "animation" => &["happy", "upbeat", "fun", "cheerful", "playful", "funk"],
        "darkambient" => &["dark", "ambient", "drone", "eerie", "creepy", "suspense"],
        "documentary" => &["ambient", "calm", "piano", "minimal", "corporate", "soft"],
        "dramatic" | "drama" => &["drama", "dramatic", "tension", "cinematic", "emotional", "strings"],
        "epic" | "fantasy" | "war" => &["orchestral", "cinematic", "heroic", "trailer", "battle", "choir"],
        "classical" | "history" => &["orchestral", "piano", "strings", "baroque", "symphony"],
        "electronic" | "sci-fi" => &["synth", "electro", "techno", "edm", "synthwave", "space", "scifi"],
        "romantic" | "romance" => &["love", "romance", "romantic", "piano", "tender", "soft"],
        "acoustic" | "western" => &["guitar", "folk", "country", "western", "americana"],
        "thriller" | "crime" | "mystery" => &["suspense", "tension", "dark", "noir", "thriller"],
        "horror" => &["scary", "creepy", "eerie", "dark", "horror"],
        "music" => &["dance", "upbeat", "groove"],
        _ => &[],
    }
}

/// `TEMPO_IN_RANGE` inside the vibe's range, 1 within 15 % of it (a tempo a touch off still drives the cuts),
/// 0 otherwise or unknown.
fn tempo_score(bpm: Option<f64>, (lo, hi): (u32, u32)) -> u32 {
    let Some(bpm) = bpm else { return 0 };
    let (lo, hi) = (lo as f64, hi as f64);
    if (lo..=hi).contains(&bpm) {
        TEMPO_IN_RANGE
    } else if (lo * 0.85..=hi * 1.15).contains(&bpm) {
        1
    } else {
        0
    }
}

/// A tempo the file states: "120bpm" / "120 BPM" / "120_bpm" in its name, or a `bpm` / `TBPM` tag.
fn declared_bpm(stem: &str, info: &AudioInfo) -> Option<f64> {
    let plausible = |b: f64| (30.0..=300.0).contains(&b).then_some(b);
    let from_tag = ["bpm", "tbpm"]
        .iter()
        .filter_map(|k| info.tag(k))
        .find_map(|v| v.parse::<f64>().ok().and_then(plausible));
    from_tag.or_else(|| {
        let lower = stem.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        words.iter().enumerate().find_map(|(i, w)| {
            let number = match w.strip_suffix("bpm") {
                Some("") if i > 0 => words[i - 1],
                Some(n) => n,
                None => return None,
            };
            number.parse::<f64>().ok().and_then(plausible)
        })
    })
}

/// A 64-bit value from the seed and a key: the same pair always gives the same value, a new seed reshuffles.
pub(crate) fn seeded(seed: u64, key: &str) -> u64 {
    let mut h = blake3::Hasher::new();
    h.update(&seed.to_le_bytes());
    h.update(key.as_bytes());
    let bytes = h.finalize();
    u64::from_le_bytes(bytes.as_bytes()[..8].try_into().expect("8 bytes"))
}

// ---------------------------------------------------------------------------------------------------------------
// The folder index: what ffprobe and the beat tracker said about each file, keyed by path, size and mtime.
// A cache error is never a failure: at worst a folder is probed and measured again.

#[derive(Debug, Default, Serialize, Deserialize)]
struct FolderIndex {
    version: u32,
    files: BTreeMap<String, IndexEntry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IndexEntry {
    size: u64,
    mtime_ns: u64,
    /// `None`: FFmpeg could not read the file as audio (kept, so it is not probed again).
    audio: Option<AudioInfo>,
    /// Measured tempos keyed by the tempo prior they were tracked with (the vibe's range changes the answer).
    #[serde(default)]
    tempo: BTreeMap<String, Tempo>,
}

impl FolderIndex {
    fn load(cache_dir: &Path) -> FolderIndex {
        let path = cache_dir.join(FOLDER_INDEX);
        let loaded = fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<FolderIndex>(&bytes).ok())
            .filter(|i| i.version == FOLDER_INDEX_VERSION);
        loaded.unwrap_or(FolderIndex {
            version: FOLDER_INDEX_VERSION,
            files: BTreeMap::new(),
        })
    }

    /// Write the index back, dropping entries for files that left the scanned folder.
    fn save(&mut self, cache_dir: &Path, dir: &Path, listed: &[PathBuf]) {
        let dir = format!("{}{}", absolute(dir).display(), std::path::MAIN_SEPARATOR);
        let listed: std::collections::HashSet<String> =
            listed.iter().map(|p| p.to_string_lossy().into_owned()).collect();
        self.files.retain(|k, _| !k.starts_with(&dir) || listed.contains(k));
        let path = cache_dir.join(FOLDER_INDEX);
        let written = fs::create_dir_all(cache_dir).and_then(|_| {
            let bytes = serde_json::to_vec(self).map_err(std::io::Error::other)?;
            atomic_write(&path, &bytes)
        });
        if let Err(e) = written {
            tracing::debug!("{}: cannot save the music folder index: {e}", path.display());
        }
    }

    /// The entry for `path` if the file is unchanged since it was indexed; a new, unprobed entry otherwise.
    fn entry(&mut self, path: &Path) -> Option<(&mut IndexEntry, bool)> {
        let meta = fs::metadata(path).ok()?;
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos() as u64);
        let key = path.to_string_lossy().into_owned();
        let fresh = self
            .files
            .get(&key)
            .is_some_and(|e| e.size == meta.len() && e.mtime_ns == mtime_ns);
        if !fresh {
            self.files.insert(
                key.clone(),
                IndexEntry {
                    size: meta.len(),
                    mtime_ns,
                    audio: None,
                    tempo: BTreeMap::new(),
                },
            );
        }
        self.files.get_mut(&key).map(|e| (e, fresh))
    }

    fn audio_info(&mut self, tools: &Tools, path: &Path, cancel: &Cancel) -> Option<AudioInfo> {
        let (entry, fresh) = self.entry(path)?;
        if !fresh {
            entry.audio = match probe_audio(tools, path, cancel) {
                Ok(info) => info,
                Err(e) => {
                    tracing::debug!("music folder: {e}");
                    None
                }
            };
        }
        entry.audio.clone()
    }

    fn tempo(&mut self, tools: &Tools, path: &Path, prior: &beats::TempoPrior, cancel: &Cancel) -> Option<Tempo> {
        let key = format!("{}-{}-{}", prior.min_bpm, prior.max_bpm, prior.default_bpm);
        let (entry, _) = self.entry(path)?;
        if let Some(t) = entry.tempo.get(&key) {
            return Some(*t);
        }
        match measure_tempo(tools, path, prior, cancel) {
            Ok(t) => {
                entry.tempo.insert(key, t);
                Some(t)
            }
            Err(e) => {
                tracing::debug!("music folder: measuring the tempo of {} failed: {e}", path.display());
                None
            }
        }
    }
}

fn measure_tempo(tools: &Tools, path: &Path, prior: &beats::TempoPrior, cancel: &Cancel) -> Result<Tempo> {
    let rate = beats::ANALYSIS_RATE;
    let samples = decode::decode_mono(tools, path, rate, cancel)?;
    let head = &samples[..samples.len().min(MEASURE_S * rate as usize)];
    let found = beats::track(head, rate, *prior);
    // Rounded so that a tempo read back from the index equals a fresh one (JSON floats can lose the last bit);
    // 0.001 BPM drifts 1 ms over a whole trailer.
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    Ok(Tempo {
        bpm: round(found.bpm),
        confidence: round(found.confidence),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::VIBES;

    fn vibe(name: &str) -> &'static Vibe {
        VIBES.iter().find(|v| v.name == name).unwrap()
    }

    fn info(tags: &[(&str, &str)], duration_s: f64) -> AudioInfo {
        AudioInfo {
            duration_s: Some(duration_s),
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    fn candidate(name: &str, tags: &[(&str, &str)], vibe: &Vibe, seed: u64) -> Candidate {
        Candidate::new(PathBuf::from(format!("/music/{name}")), info(tags, 180.0), vibe, seed)
    }

    #[test]
    fn names_and_tags_fit_their_vibe() {
        let thriller = vibe("thriller");
        assert_eq!(
            fit_score(thriller, "dark_thriller_120bpm"),
            FIT_PRIMARY + 1,
            "its name, plus 'dark'"
        );
        assert_eq!(fit_score(thriller, "happy_pop"), 0);
        assert_eq!(fit_score(vibe("comedy"), "happy_pop"), FIT_PRIMARY + 1);
        assert_eq!(fit_score(vibe("horror"), "ambient"), 1);
        assert_eq!(
            fit_score(vibe("horror"), "Dark Ambient"),
            FIT_PRIMARY + 2,
            "run-together tag"
        );
        assert_eq!(fit_score(vibe("sci-fi"), "SciFi Synthwave"), FIT_PRIMARY + 1);
        // Whole words only for short terms: "pop" is not in "popcorn".
        assert_eq!(fit_score(vibe("comedy"), "popcorn"), 0);
        // Related words add up to a cap, and never outweigh the vibe's own tag.
        assert_eq!(
            fit_score(thriller, "suspense tension dark noir cinematic"),
            FIT_RELATED_MAX
        );
        assert!(fit_score(vibe("war"), "battle choir trailer orchestral") < FIT_PRIMARY);
    }

    #[test]
    fn tags_count_like_names() {
        let c = candidate("track01.mp3", &[("genre", "Dark Ambient")], vibe("horror"), 0);
        assert_eq!(c.fit, FIT_PRIMARY + 2);
        let c = candidate("track01.mp3", &[("comment", "for a western")], vibe("western"), 0);
        assert!(c.fit >= FIT_PRIMARY);
    }

    #[test]
    fn tempo_scores_inside_near_and_far() {
        assert_eq!(tempo_score(Some(120.0), (90, 150)), TEMPO_IN_RANGE);
        assert_eq!(tempo_score(Some(160.0), (90, 150)), 1);
        assert_eq!(tempo_score(Some(60.0), (90, 150)), 0);
        assert_eq!(tempo_score(None, (90, 150)), 0);
    }

    #[test]
    fn declared_tempo_from_name_or_tag() {
        let none = AudioInfo::default();
        assert_eq!(declared_bpm("dark_thriller_120bpm", &none), Some(120.0));
        assert_eq!(declared_bpm("Night Drive 96 BPM", &none), Some(96.0));
        assert_eq!(declared_bpm("loop-85bpm-v2", &none), Some(85.0));
        assert_eq!(declared_bpm("bpm", &none), None);
        assert_eq!(declared_bpm("track 9000bpm", &none), None);
        assert_eq!(declared_bpm("x", &info(&[("tbpm", "128")], 1.0)), Some(128.0));
    }

    #[test]
    fn measured_tempo_beats_declared_and_unsure_measurements_do_not_count() {
        let thriller = vibe("thriller");
        let mut c = candidate("slow_60bpm.mp3", &[], thriller, 0);
        assert_eq!(c.bpm(), Some(60.0));
        c.tempo = Some(Tempo {
            bpm: 121.0,
            confidence: 0.9,
        });
        assert_eq!(c.bpm(), Some(121.0));
        assert!(c.fits(thriller), "no name fit, but the measured tempo is in range");
        c.tempo = Some(Tempo {
            bpm: 121.0,
            confidence: 0.1,
        });
        assert_eq!(c.bpm(), Some(60.0));
        assert!(!c.fits(thriller));
        assert_eq!(c.into_track().bpm, None, "a guess is not passed on as a measured tempo");
    }

    #[test]
    fn ties_break_by_seed_and_the_same_seed_repeats() {
        let v = vibe("thriller");
        let best = |seed: u64| {
            let mut cs: Vec<Candidate> = (0..6)
                .map(|i| candidate(&format!("thriller_{i}.mp3"), &[], v, seed))
                .collect();
            cs.sort_by_key(|c| (std::cmp::Reverse(c.score(v)), c.tiebreak));
            cs[0].path.clone()
        };
        let picks: std::collections::HashSet<PathBuf> = (0..20).map(best).collect();
        assert!(picks.len() >= 3, "seeds vary the pick: {picks:?}");
        assert_eq!(best(7), best(7));
    }

    #[test]
    fn probe_json_merges_format_and_stream_tags() {
        let ogg = br#"{"streams":[{"codec_type":"audio","duration":"3.000000",
            "tags":{"TITLE":"Night Drive","artist":"Stubs","GENRE":"Dark Ambient"}}],"format":{"duration":"3.000000"}}"#;
        let i = parse_audio_probe(ogg).unwrap().unwrap();
        assert_eq!(i.duration_s, Some(3.0));
        assert_eq!(i.tag("title").as_deref(), Some("Night Drive"));
        assert_eq!(i.tag("genre").as_deref(), Some("Dark Ambient"));
        let mp3 = br#"{"streams":[{"codec_type":"video"},{"codec_type":"audio"}],
            "format":{"duration":"181.2","tags":{"title":"T","TBPM":"120","copyright":"https://creativecommons.org/licenses/by/4.0/"}}}"#;
        let i = parse_audio_probe(mp3).unwrap().unwrap();
        assert_eq!(i.duration_s, Some(181.2));
        assert_eq!(
            i.license_url().as_deref(),
            Some("https://creativecommons.org/licenses/by/4.0/")
        );
        let picture = br#"{"streams":[{"codec_type":"video"}],"format":{"duration":"0.04"}}"#;
        assert_eq!(parse_audio_probe(picture).unwrap(), None);
        let plain =
            br#"{"streams":[{"codec_type":"audio","duration":"N/A"}],"format":{"tags":{"copyright":"(c) me"}}}"#;
        let i = parse_audio_probe(plain).unwrap().unwrap();
        assert_eq!((i.duration_s, i.license_url()), (None, None));
    }

    #[test]
    fn folder_listing_keeps_audio_one_level_down_and_skips_hidden_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::create_dir(d.join("Album")).unwrap();
        fs::create_dir_all(d.join("Album/Deeper")).unwrap();
        for f in [
            "a.mp3",
            "b.FLAC",
            "._a.mp3",
            "notes.txt",
            "Album/c.ogg",
            "Album/Deeper/d.mp3",
        ] {
            fs::write(d.join(f), b"x").unwrap();
        }
        let names: Vec<String> = list_audio_files(d)
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["Album/c.ogg", "a.mp3", "b.FLAC"]);
    }

    #[test]
    fn default_cache_dir_ends_in_cinecut_music() {
        assert!(default_cache_dir().ends_with("cinecut/music"));
    }

    #[test]
    fn credit_line() {
        let t = MusicTrack {
            source: MusicSource::Jamendo,
            path: PathBuf::from("/c/jamendo-1.mp3"),
            title: Some("Night Drive".into()),
            artist: Some("Stubs".into()),
            license_url: Some("https://creativecommons.org/licenses/by/3.0/".into()),
            url: None,
            track_id: Some("1".into()),
            duration_s: 100.0,
            bpm: None,
        };
        assert_eq!(
            t.credit(),
            "\"Night Drive\" by Stubs (https://creativecommons.org/licenses/by/3.0/)"
        );
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["source"], "jamendo");
        assert_eq!(t.to_music_bed().track_name.as_deref(), Some("Night Drive"));
    }
}
