//! Raw arguments → a checked `RunConfig`. Every check a user can fail runs here, before the work dir is created
//! and before the first decode: the film is a readable file with a video stream, the subtitles exist, the vibe is
//! known, FFmpeg is present and new enough, and the output can be written. Each failure names the file and the fix.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::analyze::EndpointConfig;
use crate::cancel::Cancel;
use crate::cli::Args;
use crate::error::{Error, Result};
use crate::ingest::dialogue::{self, SubtitleSource, find_source};
use crate::media::{Probe, Rate, StreamInfo, Tools, probe};
use crate::render::{Grade, Lut, Resolution, load_user_lut};
use crate::sound::check_user_file;
use crate::story::{Length, MANIFEST, MIN_LENGTH_S, Manifest, TitleCard, Vibe};
use crate::timeline::MusicTrack;
use crate::workdir::{Secret, Stage, default_work_dir};

#[derive(Debug, Clone)]
pub(crate) struct RunConfig {
    /// Absolute path of the film (symlinks are kept, so the work dir sits beside the path the user gave).
    pub source: PathBuf,
    /// Where the dialogue comes from (given, found beside the film, inside it, or nowhere).
    pub subtitles: SubtitleSource,
    pub vibe: &'static Vibe,
    pub output: PathBuf,
    pub work_dir: PathBuf,
    pub fresh: bool,
    /// The last stage to run.
    pub until: Stage,
    pub review: bool,
    pub manifest: Option<PathBuf>,
    pub length: Length,
    pub title: Option<String>,
    pub allow_spoilers: bool,
    /// `--music`, checked at startup.
    pub music: Option<MusicTrack>,
    /// `--music-dir`, else `CINECUT_MUSIC_DIR`.
    pub music_dir: Option<PathBuf>,
    /// `JAMENDO_CLIENT_ID`: enables Jamendo as a music source.
    pub jamendo_client_id: Option<Secret>,
    pub probe: Probe,
    /// The model server, when `--analyzer openai` or `--text-model` asks for one.
    pub model: Option<EndpointConfig>,
    /// Describe keyframes with the vision model (`--analyzer openai`).
    pub vision: bool,
    /// The text model's context window, tokens.
    pub text_context: usize,
    pub tagline: Option<String>,
    /// `--title-card`.
    pub title_card: TitleCard,
    /// `--resolution`; the film's own size when `None`.
    pub resolution: Option<Resolution>,
    /// `--fps`; the film's own rate when `None`.
    pub fps: Option<Rate>,
    pub grade: Grade,
    pub preset: String,
}

impl RunConfig {
    /// The manifest the render lays out: `--manifest`'s, else the work dir's own.
    pub(crate) fn manifest_path(&self) -> PathBuf {
        self.manifest.clone().unwrap_or_else(|| self.work_dir.join(MANIFEST))
    }

    /// The trailer's frame rate: `--fps`, else the film's.
    pub(crate) fn rate(&self) -> Rate {
        self.fps.unwrap_or_else(|| self.probe.rate())
    }
}

impl RunConfig {
    /// Every check in the order a user meets them: what to make, the film itself, the options, where it goes.
    pub(crate) fn from_args(args: &Args, tools: &Tools, cancel: &Cancel) -> Result<RunConfig> {
        let (manifest, source, vibe) = film_and_vibe(args)?;
        let subtitle = subtitle_file(args)?;

        let probe = probe(tools, &source, cancel)?;
        let picture = check_picture(&source, &probe)?;
        // A manifest to render is checked whole now, with the film's length, before any work starts.
        if let Some(m) = &manifest {
            Manifest::load(m, probe.duration())?;
        }

        let music = match &args.music {
            Some(m) => Some(check_user_file(tools, m, cancel)?),
            None => None,
        };
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let music_dir = args
            .music_dir
            .clone()
            .or_else(|| env("CINECUT_MUSIC_DIR").map(PathBuf::from));
        let jamendo_client_id = env("JAMENDO_CLIENT_ID")
            .and_then(|v| v.into_string().ok())
            .map(Secret::new);
        let grade = grade(args, vibe)?;
        let subtitles = find_source(subtitle.as_deref(), &source, &probe);
        let (output, work_dir) = destinations(args, &source, vibe)?;

        let vision = args.analyzer == "openai";
        let model = model_config(args, vision)?;
        let until = if args.review {
            Stage::Narrative
        } else {
            args.until.unwrap_or(Stage::Conform)
        };
        if manifest.is_none() {
            check_length(&source, &probe, until, args.length.target_s(vibe))?;
        }
        let resolution = args.resolution.or_else(|| fit_huge(&source, picture));
        Ok(RunConfig {
            source,
            subtitles,
            vibe,
            output,
            work_dir,
            fresh: args.fresh,
            until,
            review: args.review,
            manifest,
            length: args.length,
            title: args.title.clone(),
            allow_spoilers: args.allow_spoilers,
            music,
            music_dir,
            jamendo_client_id,
            probe,
            model,
            vision,
            text_context: args.text_context as usize,
            tagline: args.tagline.clone(),
            title_card: args.title_card,
            resolution,
            fps: args.fps,
            grade,
            preset: args.preset.clone(),
        })
    }
}

/// What to make: the manifest to render (if any), the film, and the one vibe (the manifest's, with `--manifest`).
fn film_and_vibe(args: &Args) -> Result<(Option<PathBuf>, PathBuf, &'static Vibe)> {
    let manifest = match &args.manifest {
        Some(m) => Some(readable_file(
            m,
            "manifest",
            "pass the TRAILER_MANIFEST.json that --review wrote",
        )?),
        None => None,
    };
    let (video, vibe) = match (&args.video, &args.vibe, &manifest) {
        (video, given, Some(m)) => {
            let (mv, mvibe) = manifest_source(m)?;
            (video.clone().unwrap_or(mv), manifest_vibe(m, &mvibe, given.as_deref())?)
        }
        (Some(v), Some(vibe), None) => (v.clone(), Vibe::parse(vibe)?),
        _ => {
            return Err(Error::Usage {
                problem: "a film and a vibe are needed".into(),
                fix: "cinecut FILM -s SUBTITLES -v VIBE (see cinecut --help)".into(),
            });
        }
    };
    let source = readable_file(&video, "film", "check the path; pass the film file itself")?;
    Ok((manifest, source, vibe))
}

/// `-s FILE`, checked now rather than after the proxy: a file that is not subtitles should cost a second, not a
/// decode.
fn subtitle_file(args: &Args) -> Result<Option<PathBuf>> {
    let Some(s) = &args.subtitle else { return Ok(None) };
    let path = readable_file(
        s,
        "subtitle file",
        "check the path given to -s/--subtitle, or leave -s out for a picture-led trailer",
    )?;
    dialogue::check_file(&path)?;
    Ok(Some(path))
}

/// The film's picture: there is one, and it has a film's shape.
fn check_picture<'a>(source: &Path, probe: &'a Probe) -> Result<&'a StreamInfo> {
    let Some(picture) = probe.video() else {
        return Err(Error::bad_input(
            source,
            "has no video stream (only audio or data)",
            "pass the film's video file, not its soundtrack",
        ));
    };
    check_shape(source, picture)?;
    Ok(picture)
}

/// `--lut FILE` (read and checked now), `--no-grade`, else the vibe's look.
fn grade(args: &Args, vibe: &Vibe) -> Result<Grade> {
    Ok(match (&args.lut, args.no_grade) {
        (Some(path), _) => {
            let path = readable_file(path, "LUT", "pass a 3D LUT in .cube format")?;
            let lut = load_user_lut(&path)?;
            Grade::User { path, lut }
        }
        (None, true) => Grade::Off,
        (None, false) => Grade::Vibe(Lut::for_vibe(vibe)),
    })
}

/// The trailer's path (writable, not the film) and the work dir's (a folder, or not there yet).
fn destinations(args: &Args, source: &Path, vibe: &Vibe) -> Result<(PathBuf, PathBuf)> {
    let output = match &args.output {
        Some(o) => std::path::absolute(o).map_err(|e| Error::io(o, "bad output path", e))?,
        None => default_output(source, vibe.name),
    };
    check_output(&output, source)?;
    let work_dir = match &args.work_dir {
        Some(w) => std::path::absolute(w).map_err(|e| Error::io(w, "bad work-dir path", e))?,
        None => default_work_dir(source),
    };
    if work_dir.exists() && !work_dir.is_dir() {
        return Err(Error::bad_input(
            &work_dir,
            "the work dir path exists and is not a folder",
            "pass another --work-dir",
        ));
    }
    Ok((output, work_dir))
}

/// The server config when a model is asked for; model options without a use for them are a mistake to report.
fn model_config(args: &Args, vision: bool) -> Result<Option<EndpointConfig>> {
    let usage = |problem: &str, fix: &str| Error::Usage {
        problem: problem.into(),
        fix: fix.into(),
    };
    if args.vision_model.is_some() && !vision {
        return Err(usage(
            "--vision-model is only used by the vision analyzer",
            "add --analyzer openai",
        ));
    }
    if !vision && args.text_model.is_none() {
        if args.endpoint.is_some() {
            return Err(usage(
                "--endpoint names a model server, but nothing asks for a model",
                "add --analyzer openai (keyframe descriptions) or --text-model NAME (story anchors)",
            ));
        }
        return Ok(None);
    }
    EndpointConfig::resolve(
        args.endpoint.as_deref(),
        args.vision_model.as_deref(),
        args.text_model.as_deref(),
        args.jobs as usize,
    )
    .map(Some)
}

/// `<film dir>/<stem>_trailer_<vibe>.mp4`, with `-` in the vibe as `_` (as the earlier tool named it).
pub(crate) fn default_output(source: &Path, vibe: &str) -> PathBuf {
    let stem = source.file_stem().unwrap_or_default().to_string_lossy();
    source
        .parent()
        .unwrap_or(Path::new("."))
        .join(format!("{stem}_trailer_{}.mp4", vibe.replace('-', "_")))
}

/// Absolute path of an existing, readable regular file; otherwise a bad-input error naming it.
fn readable_file(path: &Path, what: &str, fix: &str) -> Result<PathBuf> {
    let abs = std::path::absolute(path).map_err(|e| Error::io(path, "bad path", e))?;
    let meta = std::fs::metadata(&abs).map_err(|e| {
        let problem = if e.kind() == std::io::ErrorKind::NotFound {
            format!("{what} not found")
        } else {
            format!("cannot read the {what}: {e}")
        };
        Error::bad_input(&abs, problem, fix)
    })?;
    if meta.is_dir() {
        return Err(Error::bad_input(&abs, format!("is a folder, not a {what}"), fix));
    }
    File::open(&abs).map_err(|e| {
        Error::bad_input(
            &abs,
            format!("cannot read the {what}: {e}"),
            "check the file's permissions (chmod u+r)",
        )
    })?;
    if meta.len() == 0 {
        return Err(Error::bad_input(&abs, format!("the {what} is empty (0 bytes)"), fix));
    }
    Ok(abs)
}

/// The shortest film the analysis takes: the proxy keeps two frames a second, and needs at least two.
const MIN_ANALYSIS_S: f64 = 1.0;
/// The largest side of a trailer made at the film's own size: `--resolution`'s bound, and half of H.264's
/// (x264 refuses pictures over 16384 pixels a side, and the proxy of an extreme shape grows past that too).
pub(crate) const MAX_SIDE: u32 = 8192;
/// A picture more than this many times wider than high (or higher than wide) is not a film.
const MAX_ASPECT: f64 = 10.0;

/// The film is long enough for what the run does: a second for the analysis, the shortest trailer's length for
/// a trailer. Shorter than the trailer asked for is allowed (with a warning): the trailer is the best the film
/// has, and shorter.
fn check_length(source: &Path, probe: &Probe, until: Stage, target_s: f64) -> Result<()> {
    let secs = probe.duration();
    let too_short = if probe.video().and_then(|v| v.nb_frames) == Some(1) {
        Some("only one frame".to_string())
    } else {
        secs.filter(|&d| d < MIN_ANALYSIS_S)
            .map(|d| format!("only {d:.2} s long"))
    };
    if let Some(what) = too_short {
        return Err(Error::bad_input(
            source,
            format!("the film is {what}: too short to analyse"),
            "pass the film itself, not a still or a moment of it",
        ));
    }
    let Some(secs) = secs else { return Ok(()) };
    if until >= Stage::Narrative && secs < MIN_LENGTH_S {
        return Err(Error::bad_input(
            source,
            format!(
                "the film is only {secs:.1} s long; the shortest trailer is {MIN_LENGTH_S} s, cut from a longer film"
            ),
            "pass the whole film (or add --until structural to only analyse this one)",
        ));
    }
    if until >= Stage::Narrative && secs < target_s {
        tracing::warn!(
            "{}: the film ({secs:.1} s) is shorter than the {target_s:.0} s asked for; the trailer will be shorter \
             (pass a shorter --length to choose its length)",
            source.display()
        );
    }
    Ok(())
}

/// A picture of a film's shape: not a strip a few pixels high, whose proxy no encoder would take.
fn check_shape(source: &Path, picture: &StreamInfo) -> Result<()> {
    let Some((w, h)) = picture.display_size().filter(|&(w, h)| w > 0 && h > 0) else {
        return Ok(());
    };
    let aspect = w as f64 / h as f64;
    if !(1.0 / MAX_ASPECT..=MAX_ASPECT).contains(&aspect) {
        return Err(Error::bad_input(
            source,
            format!("the picture is {w}x{h}, not a film's shape (CineCut takes 1:{MAX_ASPECT} to {MAX_ASPECT}:1)"),
            "crop or scale it to a normal shape first, e.g. ffmpeg -i FILM -vf crop=ih*16/9:ih FILM_16x9.mp4",
        ));
    }
    Ok(())
}

/// A film larger than `MAX_SIDE` a side, with no `--resolution`, is made to fit inside it (with a warning).
fn fit_huge(source: &Path, picture: &StreamInfo) -> Option<Resolution> {
    let (w, h) = picture.display_size()?;
    if w <= MAX_SIDE && h <= MAX_SIDE {
        return None;
    }
    tracing::warn!(
        "{}: the picture is {w}x{h}, larger than the {MAX_SIDE} pixels a side CineCut renders; the trailer is made \
         to fit {MAX_SIDE}x{MAX_SIDE} (pass --resolution, e.g. 2160p, for another size)",
        source.display()
    );
    Some(Resolution::Fit {
        width: MAX_SIDE,
        height: MAX_SIDE,
    })
}

/// The film and vibe a manifest names (`source_file` may be relative to the manifest).
fn manifest_source(manifest: &Path) -> Result<(PathBuf, String)> {
    let bad = |problem: String| Error::bad_input(manifest, problem, "pass a TRAILER_MANIFEST.json written by cinecut");
    let text = std::fs::read(manifest).map_err(|e| bad(format!("cannot read: {e}")))?;
    let v: serde_json::Value = serde_json::from_slice(&text).map_err(|e| bad(format!("not valid JSON: {e}")))?;
    let source = v["source_file"]
        .as_str()
        .ok_or_else(|| bad("source_file is missing".into()))?;
    let vibe = v["vibe"].as_str().ok_or_else(|| bad("vibe is missing".into()))?;
    let base = manifest.parent().unwrap_or(Path::new("."));
    Ok((base.join(source), vibe.to_string()))
}

/// The manifest owns its vibe: its clips, transitions and title were chosen for it, and the output's name, the
/// grade, the mix and the stage keys all follow it. A `-v` that says otherwise is a contradiction to refuse, not a
/// setting to half-apply.
fn manifest_vibe(manifest: &Path, named: &str, given: Option<&str>) -> Result<&'static Vibe> {
    let vibe = Vibe::parse(named).map_err(|e| {
        Error::bad_input(
            manifest,
            format!("its vibe: {e}"),
            "set \"vibe\" to one of the vibes `cinecut vibes` lists",
        )
    })?;
    match given.map(Vibe::parse).transpose()? {
        Some(other) if other.name != vibe.name => Err(Error::Usage {
            problem: format!(
                "the manifest {} is a {} cut, but -v/--vibe says {}",
                manifest.display(),
                vibe.name,
                other.name
            ),
            fix: format!(
                "leave out -v to render it as {0}; to grade and mix this cut as {1}, set \"vibe\": \"{1}\" in the \
                 manifest; for a new {1} cut, run cinecut FILM -v {1} without --manifest",
                vibe.name, other.name
            ),
        }),
        _ => Ok(vibe),
    }
}

fn check_output(output: &Path, source: &Path) -> Result<()> {
    if output == source {
        return Err(Error::bad_input(
            output,
            "the output would overwrite the film",
            "pass another -o/--output",
        ));
    }
    let dir = output.parent().unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(Error::bad_input(
            output,
            "the output's folder does not exist",
            "create the folder or pass another -o/--output",
        ));
    }
    if output.is_dir() {
        return Err(Error::bad_input(
            output,
            "the output is a folder",
            "pass a file name to -o/--output",
        ));
    }
    // Fail now rather than after the render: an unnamed temp file is gone the moment it closes.
    tempfile::tempfile_in(dir).map_err(|e| {
        Error::bad_input(
            output,
            format!("cannot write in the output's folder: {e}"),
            "pass an -o/--output in a folder you can write to",
        )
    })?;
    Ok(())
}
