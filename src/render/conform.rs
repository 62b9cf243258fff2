//! Stage `conform`, its edge: render `timeline.json` to the finished trailer.
//!
//! Picture: ONE FFmpeg run cuts every clip from the source (input seeking per clip, so only the clips are decoded),
//! brings each segment to the same size, frame rate, SAR and pixel format, draws the title card and the black
//! silence, and concatenates them into one H.264 stream. Sound: `sound::mix` renders the four-stem mix to a float
//! WAV at the vibe's loudness. The two are muxed with the sound encoded to AAC exactly once, into `<output>.part`,
//! renamed only when complete.
//!
//! Not yet here (issue 7): the vibe's colour grade, crossfades (rendered as cuts for now), the vibe's title-card
//! typography beyond font, weight and fades, `--resolution`/`--fps`, and a per-segment cache.

use std::path::Path;

use super::timeline::{Kind, Segment, TIMELINE, Timeline};
use crate::cancel::Cancel;
use crate::config::RunConfig;
use crate::error::{Error, Result};
use crate::media::escape::filter_value;
use crate::media::process::FfCommand;
use crate::media::{Probe, Tools};
use crate::pipeline::Progress;
use crate::pipeline::progress::Unit;
use crate::pipeline::workdir::{PartFile, WorkDir, atomic_write};
use crate::sound::mix::{self, MixReport};
use crate::sound::wav;
use crate::story::manifest::Transition;
use crate::story::vibes::{TitleStyle, Vibe};

/// Bump when the rendered output for the same timeline changes.
pub const VERSION: u32 = 1;
pub const VIDEO: &str = "render/video.mp4";
pub const MIX_REPORT: &str = "render/mix.json";
/// A fade to black at a clip's edges lasts this long on each side (inside the clips, so no time is added).
const FADE_S: f64 = 0.25;
/// x264 settings of the trailer (and of the benchmark's baseline encode).
pub const CRF: &str = "18";
pub const PRESET: &str = "veryfast";
/// The trailer's sound never peaks over this (EBU R128 / streaming delivery).
pub const TRUE_PEAK_DBTP: f64 = -1.0;

pub struct Outcome {
    pub output: std::path::PathBuf,
    pub duration_s: f64,
    pub mix: MixReport,
    pub warnings: Vec<String>,
}

impl Outcome {
    pub fn summary(&self) -> String {
        format!(
            "{:.1} s, {:.1} LUFS (target {:.0}), true peak {:.1} dBTP; {}",
            self.duration_s,
            self.mix.integrated_lufs,
            self.mix.target_lufs,
            self.mix.true_peak_dbtp,
            self.output.display()
        )
    }
}

pub fn run(
    tools: &Tools,
    work: &WorkDir,
    cfg: &RunConfig,
    cancel: &Cancel,
    progress: &mut dyn Progress,
) -> Result<Outcome> {
    let tl: Timeline = work.read_json(TIMELINE)?;
    let vibe = Vibe::parse(&tl.vibe)?;
    let probe = &cfg.probe;
    work.subdir("render")?;

    progress.message("mixing the sound");
    let mix = mix::render(tools, &tl, &cfg.source, work, vibe.lufs as f64, cancel)?;

    progress.message("rendering the picture");
    progress.start((tl.duration_s * 1000.0) as u64, Unit::MediaMs);
    let video = work.path(VIDEO);
    render_picture(tools, work, &tl, &cfg.source, probe, &video, cancel, progress)?;

    // The AAC encoder overshoots the limiter a little: measure what was encoded, and if it peaks over the
    // target, limit lower and encode again.
    progress.message("writing the trailer");
    let part = PartFile::new(&cfg.output);
    let mut ceiling = mix::CEILING_DBTP;
    let mut mix = mix;
    for attempt in 0.. {
        mux(tools, &video, &work.path(mix::MASTER), part.part_path(), cancel)?;
        let (i, tp) = encoded_loudness(tools, work, part.part_path(), cancel)?;
        (mix.integrated_lufs, mix.true_peak_dbtp) = (i, tp);
        if tp <= TRUE_PEAK_DBTP - 0.1 || attempt == 2 {
            break;
        }
        ceiling -= tp - (TRUE_PEAK_DBTP - 0.2);
        mix::master(tools, work, vibe.lufs as f64, ceiling, cancel)?;
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
    Ok(Outcome {
        output,
        duration_s: tl.duration_s,
        mix,
        warnings,
    })
}

/// Picture copied, sound encoded to AAC: the only lossy step the sound takes.
fn mux(tools: &Tools, video: &Path, sound: &Path, out: &Path, cancel: &Cancel) -> Result<()> {
    FfCommand::ffmpeg(tools, "writing the trailer")
        .input(video)
        .input(sound)
        .args(["-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy"])
        .args(["-c:a", "aac", "-b:a", "192k", "-ar", "48000", "-ac", "2"])
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
    let measured = mix::loudness(&wav::read_wav(&decoded)?);
    let _ = std::fs::remove_file(&decoded);
    Ok(measured)
}

/// The picture of every segment, concatenated, encoded once.
#[allow(clippy::too_many_arguments)]
fn render_picture(
    tools: &Tools,
    work: &WorkDir,
    tl: &Timeline,
    source: &Path,
    probe: &Probe,
    out: &Path,
    cancel: &Cancel,
    progress: &mut dyn Progress,
) -> Result<()> {
    let v = probe
        .video()
        .ok_or_else(|| Error::bad_input(source, "has no video stream", "pass the film's video file"))?;
    let (w, h) = v.display_size().unwrap_or((1280, 720));
    let (w, h) = (w & !1, h & !1);
    let rate = match v.frame_rate {
        Some((n, d)) if n > 0 && d > 0 => format!("{n}/{d}"),
        _ => format!("{}", tl.fps),
    };
    let common = format!("fps={rate},scale={w}:{h}:flags=bicubic,setsar=1,format=yuv420p");
    let style = tl.title_style;

    let mut cmd = FfCommand::ffmpeg(tools, "rendering the trailer's picture");
    let mut graph = String::new();
    let mut inputs = 0;
    for (i, seg) in tl.video.iter().enumerate() {
        let n = seg.frames();
        let fades = fades(tl, i);
        match (seg.kind, seg.source_start_s) {
            (Kind::Clip | Kind::Button, Some(from)) => {
                // Half a second more than needed; a clip past the end of the video stream holds its last frame
                // (the clone pad), so the picture keeps the timeline's length and the sound stays in sync.
                cmd = cmd
                    .arg2("-ss", format!("{from:.6}"))
                    .arg2("-t", format!("{:.6}", n as f64 / tl.fps + 0.5))
                    .input(source);
                graph.push_str(&format!(
                    "[{inputs}:v:0]setpts=PTS-STARTPTS,{common},tpad=stop_mode=clone:stop=-1,\
                     trim=end_frame={n},setpts=PTS-STARTPTS{fades}[s{i}];"
                ));
                inputs += 1;
            }
            (Kind::Title | Kind::Card, _) => {
                let text = work.path(format!("render/title_{i}.txt"));
                let words = seg.text.clone().unwrap_or_default();
                let words = if style.uppercase() { words.to_uppercase() } else { words };
                atomic_write(&text, words.as_bytes()).map_err(|e| Error::io(&text, "cannot write", e))?;
                let dur = n as f64 / tl.fps;
                let fade = (style.fade_s() as f64).min(dur / 3.0);
                graph.push_str(&format!(
                    "color=c=black:s={w}x{h}:r={rate},{common},trim=end_frame={n},\
                     drawtext=expansion=none:textfile={}:font={}:fontcolor=white:fontsize={}:\
                     x=(w-text_w)/2:y=(h-text_h)/2,\
                     fade=t=in:st=0:d={fade:.3},fade=t=out:st={:.3}:d={fade:.3}[s{i}];",
                    filter_value(&text.to_string_lossy()),
                    filter_value(&font_name(style)),
                    (h / 9).max(12),
                    dur - fade,
                ));
            }
            _ => graph.push_str(&format!(
                "color=c=black:s={w}x{h}:r={rate},{common},trim=end_frame={n}[s{i}];"
            )),
        }
    }
    for i in 0..tl.video.len() {
        graph.push_str(&format!("[s{i}]"));
    }
    graph.push_str(&format!("concat=n={}:v=1:a=0[v]", tl.video.len()));
    let graph_file = work.path("render/picture.graph");
    atomic_write(&graph_file, graph.as_bytes()).map_err(|e| Error::io(&graph_file, "cannot write", e))?;
    let part = PartFile::new(out);
    cmd.arg2("-filter_complex_script", &graph_file)
        .args([
            "-map",
            "[v]",
            "-an",
            "-c:v",
            "libx264",
            "-profile:v",
            "high",
            "-pix_fmt",
            "yuv420p",
        ])
        .args(["-crf", CRF, "-preset", PRESET, "-r", &rate, "-f", "mp4", "-y"])
        .output(part.part_path())
        .run(cancel, &mut |p| {
            if let Some(us) = p.out_time_us {
                progress.set(us / 1000);
            }
        })?;
    let frames = count_frames(tools, part.part_path(), cancel)?;
    if frames != tl.frames {
        return Err(Error::Runtime(format!(
            "the rendered picture has {frames} frames, the timeline {} (a bug in cinecut; please report it)",
            tl.frames
        )));
    }
    part.commit()?;
    Ok(())
}

/// Frames in a file's video stream, from its packets (no decoding).
fn count_frames(tools: &Tools, file: &Path, cancel: &Cancel) -> Result<u64> {
    let out = FfCommand::ffprobe(tools, "counting the rendered frames")
        .args([
            "-select_streams",
            "v:0",
            "-count_packets",
            "-show_entries",
            "stream=nb_read_packets",
        ])
        .args(["-of", "csv=p=0"])
        .input(file)
        .output_bytes(cancel)?;
    let text = String::from_utf8_lossy(&out);
    text.trim()
        .trim_end_matches(',')
        .parse()
        .map_err(|_| Error::Runtime(format!("ffprobe gave no frame count for {}: {text}", file.display())))
}

/// Fades inside segment `i` for a fade to black into it or out of it.
fn fades(tl: &Timeline, i: usize) -> String {
    let seg: &Segment = &tl.video[i];
    let dur = seg.end_s - seg.start_s;
    let d = FADE_S.min(dur / 3.0);
    let mut f = String::new();
    if seg.transition_in == Transition::FadeToBlack && i > 0 {
        f.push_str(&format!(",fade=t=in:st=0:d={d:.3}"));
    }
    if tl
        .video
        .get(i + 1)
        .is_some_and(|n| n.transition_in == Transition::FadeToBlack)
    {
        f.push_str(&format!(",fade=t=out:st={:.3}:d={d:.3}", dur - d));
    }
    f
}

/// The fontconfig name of the title style's font.
fn font_name(style: TitleStyle) -> String {
    let weight = if style.bold() { ":style=Bold" } else { "" };
    format!("{}{weight}", style.font())
}
