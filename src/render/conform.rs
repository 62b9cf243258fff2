//! Stage `conform`, its edge: render `timeline.json` to the finished trailer.
//!
//! Picture: `plan` cuts the timeline into pieces and `picture` renders the ones not already in the work dir
//! (graded, faded, dissolved, at the trailer's size and rate), each once, all with the same x264 settings.
//! Sound: `sound::mix` renders the four-stem mix to a float WAV at the vibe's loudness. One last FFmpeg run joins
//! the pieces without re-encoding and encodes the sound to AAC, into `<output>.part`, renamed only when the frame
//! count and the loudness check out.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::format::{self, Resolution};
use super::grade::{Colour, Grade};
use super::picture;
use super::plan;
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::media::{FfCommand, Rate, StreamInfo, Tools};
use crate::sound::{
    mix::{self, MixReport},
    read_wav,
};
use crate::story::Vibe;
use crate::timeline::{TIMELINE, Timeline};
use crate::workdir::{PartFile, Progress, Unit, WorkDir, atomic_write};

/// Bump when the rendered output for the same timeline changes.
pub(crate) const VERSION: u32 = 2;
pub(crate) const MIX_REPORT: &str = "render/mix.json";
/// The pieces in playing order, for FFmpeg's concat demuxer.
pub(crate) const CONCAT: &str = "render/pieces.ffconcat";
/// The grade's `.cube` files.
pub(crate) const LUTS: &str = "render/luts";
/// The trailer's sound never peaks over this (EBU R128 / streaming delivery).
pub(crate) const TRUE_PEAK_DBTP: f64 = -1.0;

pub(crate) struct Outcome {
    pub output: PathBuf,
    pub duration_s: f64,
    /// Pieces of picture in the trailer, and how many of them were rendered now (the rest were in the cache).
    pub pieces: usize,
    pub rendered: usize,
    pub mix: MixReport,
    pub warnings: Vec<String>,
}

impl Outcome {
    pub(crate) fn summary(&self) -> String {
        format!(
            "{:.1} s, {} pieces of picture ({} rendered, {} from the cache), {:.1} LUFS (target {:.0}), true peak {:.1} dBTP; {}",
            self.duration_s,
            self.pieces,
            self.rendered,
            self.pieces - self.rendered,
            self.mix.integrated_lufs,
            self.mix.target_lufs,
            self.mix.true_peak_dbtp,
            self.output.display()
        )
    }
}

/// The trailer's assembly and its pieces of picture.
pub(crate) const VERSIONS: &[u32] = &[VERSION, picture::VERSION];

/// What stage `conform` reads: the film and its picture, the vibe (its loudness and, with `Grade::Vibe`, its
/// look), and the picture options.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Inputs {
    pub source: PathBuf,
    /// The film's content fingerprint, naming its pixels in the render cache (a copied or touched film keeps
    /// its pieces, a replaced one does not).
    pub source_id: String,
    /// The film's picture: size, rate, colour description, scan type.
    pub video: StreamInfo,
    /// The timeline's vibe: the run's one vibe (with `--manifest`, the manifest's).
    pub vibe: &'static Vibe,
    pub output: PathBuf,
    /// `--resolution`; the film's own size when `None`.
    pub resolution: Option<Resolution>,
    pub grade: Grade,
    pub preset: String,
}

pub(crate) fn run(
    tools: &Tools,
    inputs: &Inputs,
    work: &WorkDir,
    cancel: &Cancel,
    progress: &mut dyn Progress,
) -> Result<Outcome> {
    let tl: Timeline = work.read_json(TIMELINE)?;
    let (vibe, video) = (inputs.vibe, &inputs.video);
    if tl.vibe != vibe.name {
        return Err(Error::Runtime(format!(
            "{TIMELINE} is for the vibe {}, the run for {} (a bug in cinecut; please report it)",
            tl.vibe, vibe.name
        )));
    }
    work.subdir("render")?;

    progress.message("mixing the sound");
    let mix = mix::render(tools, &tl, &inputs.source, work, vibe.lufs as f64, cancel)?;

    progress.message("rendering the picture");
    let lut = lut_file(work, &inputs.grade, vibe)?;
    let colour = Colour::from_stream(video);
    let settings = picture::Settings {
        source: &inputs.source,
        source_id: Some(inputs.source_id.clone()),
        source_fps: video.fps().unwrap_or(tl.fps),
        vibe: vibe.name,
        ffmpeg_version: &tools.version,
        size: format::frame_size(video.display_size().unwrap_or((1280, 720)), inputs.resolution),
        rate: tl.rate,
        preset: &inputs.preset,
        colour: &colour,
        lut: lut.as_ref().map(|(p, k)| (p.as_path(), k.as_str())),
        source_pixels: video.width.unwrap_or(0) as u64 * video.height.unwrap_or(0) as u64,
        deinterlace: video.interlaced(),
    };
    // The film's title shot is graded only when the grade keeps its text legible.
    let title_graded = match &inputs.grade {
        Grade::Off => false,
        Grade::Vibe(lut) | Grade::User { lut, .. } => lut.keeps_contrast(),
    };
    if tl.video.iter().any(|s| s.title_shot_s.is_some()) {
        tracing::info!(
            "the title card is the film's own title shot, {}",
            if title_graded {
                "graded"
            } else {
                "ungraded: the grade would flatten its text"
            }
        );
    }
    let pieces = plan::pieces(&tl, title_graded);
    progress.start(tl.frames, Unit::Items("frames"));
    let (paths, rendered) = picture::render_missing(tools, work, &pieces, &settings, jobs(), cancel, &mut |f| {
        progress.set(f)
    })?;
    let list = work.path(CONCAT);
    let text = picture::concat_list(&paths, &pieces, tl.rate);
    atomic_write(&list, text.as_bytes()).map_err(|e| Error::io(&list, "cannot write", e))?;

    // The AAC encoder overshoots the limiter a little: measure what was encoded, and if it peaks over the
    // target, limit lower and encode again.
    progress.message("writing the trailer");
    let part = PartFile::new(&inputs.output);
    let mut ceiling = mix::CEILING_DBTP;
    let mut mix = mix;
    for attempt in 0.. {
        mux(tools, &list, &work.path(mix::MASTER), tl.rate, part.part_path(), cancel)?;
        let (i, tp) = encoded_loudness(tools, work, part.part_path(), cancel)?;
        (mix.integrated_lufs, mix.true_peak_dbtp) = (i, tp);
        if tp <= TRUE_PEAK_DBTP - 0.1 || attempt == 2 {
            break;
        }
        ceiling -= tp - (TRUE_PEAK_DBTP - 0.2);
        mix::master(tools, work, vibe.lufs as f64, ceiling, cancel)?;
    }
    let frames = picture::count_frames(tools, part.part_path(), cancel)?;
    if frames != tl.frames {
        return Err(Error::Runtime(format!(
            "the rendered trailer has {frames} frames, the timeline {} (a bug in cinecut; please report it)",
            tl.frames
        )));
    }
    work.write_json(MIX_REPORT, &mix)?;
    let mut warnings = vec![];
    if mix.true_peak_dbtp > TRUE_PEAK_DBTP {
        warnings.push(format!(
            "the sound peaks at {:.1} dBTP, over the {TRUE_PEAK_DBTP} dBTP limit, after three tries",
            mix.true_peak_dbtp
        ));
    }
    let output = part.commit()?;
    picture::sweep(work, vibe.name, &paths);
    Ok(Outcome {
        output,
        duration_s: tl.duration_s,
        pieces: pieces.len(),
        rendered,
        mix,
        warnings,
    })
}

/// Pieces rendered at once: x264 and `lut3d` already use every core, but a second run fills the gaps while
/// one seeks, starts up or flushes its encoder.
fn jobs() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4))
}

/// The `.cube` file to grade with and its content key, written into the work dir (once per vibe; a user's LUT
/// as read and checked at startup); `None` for `--no-grade`.
fn lut_file(work: &WorkDir, grade: &Grade, vibe: &Vibe) -> Result<Option<(PathBuf, String)>> {
    let (lut, name) = match grade {
        Grade::Off => return Ok(None),
        Grade::Vibe(lut) => (lut, vibe.name.to_string()),
        Grade::User { lut, .. } => (lut, format!("user-{}", &lut.key()[..16])),
    };
    work.subdir(LUTS)?;
    let path = work.path(format!("{LUTS}/{name}.cube"));
    let text = lut.to_cube();
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        atomic_write(&path, text.as_bytes()).map_err(|e| Error::io(&path, "cannot write", e))?;
    }
    Ok(Some((path, lut.key())))
}

/// The pieces joined (copied, not re-encoded) and the sound encoded to AAC: the only lossy step the sound takes.
fn mux(tools: &Tools, list: &Path, sound: &Path, rate: Rate, out: &Path, cancel: &Cancel) -> Result<()> {
    FfCommand::ffmpeg(tools, "writing the trailer")
        .args(["-f", "concat", "-safe", "0"])
        .input(list)
        .input(sound)
        .args(["-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy"])
        .args(["-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2"])
        .arg2("-video_track_timescale", rate.timescale().to_string())
        .args(["-movflags", "+faststart", "-f", "mp4", "-y"])
        .output(out)
        .run(cancel, &mut |_| {})?;
    Ok(())
}

/// Loudness and true peak of the encoded trailer's sound, as a player decodes it.
fn encoded_loudness(tools: &Tools, work: &WorkDir, file: &Path, cancel: &Cancel) -> Result<(f64, f64)> {
    let decoded = work.path("sound/encoded.wav");
    FfCommand::ffmpeg(tools, "measuring the trailer's sound")
        .input(file)
        .args(["-map", "0:a:0", "-c:a", "pcm_f32le", "-ar", "48000", "-ac", "2", "-y"])
        .output(&decoded)
        .run(cancel, &mut |_| {})?;
    let measured = mix::loudness(&read_wav(&decoded)?);
    let _ = std::fs::remove_file(&decoded);
    Ok(measured)
}
