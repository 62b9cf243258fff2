//! Stage `proxy`: probe the source, then ONE decode of it. FFmpeg splits the decoded picture in two: a low-rate
//! proxy video (for keyframe images and the report) and small 128 px RGB frames piped to us, from which every
//! per-frame signal and the shot boundaries are computed as the frames stream past. The loudness envelope comes
//! from an audio-only read that runs at the same time (audio decodes cheaply).
//!
//! VFR sources are analysed on a constant-rate grid built from the frame timestamps (FFmpeg's `fps` filter), so
//! analysis frame `i` is at `i / fps` seconds of presentation time, the same clock the subtitles use.

use serde::{Deserialize, Serialize};

use super::audio::{self, AudioSummary};
use super::columns::ColumnsWriter;
use super::shots::{Shot, ShotDetector, ShotSettings};
use super::signals::{self, COL_MOTION, mean_abs_diff};
use super::text;
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::media::{FfCommand, Probe, Tools, probe};
use crate::workdir::{PartFile, Progress, Unit, WorkDir};

/// Bump when the outputs change shape or meaning; a new version re-runs the stage on resume.
pub(crate) const VERSION: u32 = 4;
/// Less than this share of the picture decoding is a broken file (a partial download), not a film to make the
/// best of: it is refused, naming the file. More is analysed as far as it decodes, with a warning.
const MIN_DECODED_SHARE: f64 = 0.5;
pub(crate) const PROXY: &str = "proxy.mp4";
pub(crate) const PROBE: &str = "probe.json";
pub(crate) const FRAMES: &str = "analysis/frames";
pub(crate) const SHOTS: &str = "analysis/shots.json";
/// Text on screen per proxy frame (`text::COLUMNS`).
pub(crate) const TEXT: &str = "analysis/text";
/// Files the stage leaves; all must exist for a resume to skip it.
pub(crate) const OUTPUTS: &[&str] = &[
    PROXY,
    PROBE,
    "analysis/frames.bin",
    "analysis/frames.json",
    "analysis/text.bin",
    "analysis/text.json",
    SHOTS,
    audio::SUMMARY,
    "analysis/audio_envelope.bin",
    "analysis/audio_envelope.json",
];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub(crate) struct Settings {
    /// Proxy frame rate: enough for keyframe images and the report, cheap to encode.
    pub proxy_fps: u32,
    pub proxy_height: u32,
    /// Width of the frames the signals are computed on.
    pub analysis_width: u32,
    pub shots: ShotSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            proxy_fps: 2,
            proxy_height: 480,
            analysis_width: 128,
            shots: ShotSettings::default(),
        }
    }
}

/// `analysis/shots.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ShotList {
    /// The analysis frame rate.
    pub fps: f64,
    /// Film time of analysis frame 0: `start_s = offset_s + start_frame / fps`. Film time is the container's
    /// presentation time minus the file's start time (what FFmpeg outputs and players show); the picture may
    /// start a little after the sound (e.g. 21 ms of AAC priming), and this keeps frames and subtitles aligned.
    pub offset_s: f64,
    pub frames: u64,
    pub shots: Vec<Shot>,
}

#[derive(Debug, Clone)]
pub(crate) struct AnalysisOutput {
    /// Seconds of picture analysed.
    pub duration_s: f64,
    pub frames: u64,
    pub shots: usize,
    pub proxy_frames: u64,
    pub audio: AudioSummary,
}

impl AnalysisOutput {
    pub(crate) fn summary(&self) -> String {
        format!(
            "{:.1} s of film: {} frames analysed, {} shots, proxy of {} frames, {}",
            self.duration_s,
            self.frames,
            self.shots,
            self.proxy_frames,
            self.audio.describe()
        )
    }
}

/// The analysis frame rate: the source's, or 24 when it does not say (or says something absurd).
fn analysis_rate(source: &Probe) -> (u32, u32) {
    source
        .video()
        .and_then(|v| v.frame_rate)
        .filter(|(n, d)| (1.0..=120.0).contains(&(*n as f64 / *d as f64)))
        .unwrap_or((24, 1))
}

/// The versions of the code behind the stage's outputs (its key covers them).
pub(crate) const VERSIONS: &[u32] = &[VERSION];

/// A complete stage whose files were deleted must run again.
pub(crate) fn outputs_present(work: &WorkDir) -> bool {
    OUTPUTS.iter().all(|rel| work.path(rel).is_file())
}

/// What stage `proxy` reads: the film as probed (its path, streams and length) and how to analyse it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Inputs {
    pub probe: Probe,
    pub settings: Settings,
}

pub(crate) fn run(
    tools: &Tools,
    inputs: &Inputs,
    work: &WorkDir,
    cancel: &Cancel,
    progress: &mut dyn Progress,
) -> Result<AnalysisOutput> {
    let (source, settings) = (&inputs.probe, &inputs.settings);
    work.write_json(PROBE, source)?;
    work.subdir("analysis")?;
    let (audio, video) = std::thread::scope(|scope| {
        let audio = scope.spawn(|| audio::analyse(tools, source, work, cancel));
        let video = analyse_video(tools, source, work, settings, cancel, progress);
        if video.is_err() {
            // Stop the audio read too; its error (Interrupted) is not the interesting one.
            cancel.cancel();
        }
        (audio.join(), video)
    });
    let (frames, shots, proxy_frames) = video?;
    let audio = audio.map_err(|_| Error::Runtime("the audio analysis thread panicked".into()))??;
    Ok(AnalysisOutput {
        duration_s: source
            .duration()
            .unwrap_or(frames as f64 / fps_f64(analysis_rate(source))),
        frames,
        shots,
        proxy_frames,
        audio,
    })
}

fn fps_f64((n, d): (u32, u32)) -> f64 {
    n as f64 / d as f64
}

fn analyse_video(
    tools: &Tools,
    source: &Probe,
    work: &WorkDir,
    settings: &Settings,
    cancel: &Cancel,
    progress: &mut dyn Progress,
) -> Result<(u64, usize, u64)> {
    let video = source
        .video()
        .ok_or_else(|| Error::bad_input(&source.path, "has no video stream", "pass a video file"))?;
    let rate = analysis_rate(source);
    let fps = fps_f64(rate);
    // Display size (SAR and rotation applied; FFmpeg rotates while decoding) gives the analysis frame height.
    let (dw, dh) = video.display_size().unwrap_or((16, 9));
    let aw = settings.analysis_width as usize;
    let ah = (((aw as f64 * dh as f64 / dw.max(1) as f64) / 2.0).round() as usize * 2).max(2);
    let ph = settings.proxy_height as usize;
    let pw = (((ph as f64 * dw as f64 / dh.max(1) as f64) / 2.0).trunc() as usize * 2).max(2);
    // The proxy's frames, in grey, are also where text on screen is measured (`text`): on `pipe:3`.
    let graph = format!(
        "[0:{idx}]split=2[p][a];\
         [p]fps={pfps},scale=w={pw}:h={ph},setsar=1,split=2[pv][pt];\
         [pv]format=yuv420p[proxy];[pt]format=gray[text];\
         [a]fps={num}/{den},scale=w={aw}:h={ah}:flags=area,setsar=1,format=rgb24[frames]",
        idx = video.index,
        pfps = settings.proxy_fps,
        num = rate.0,
        den = rate.1,
    );
    let proxy = PartFile::new(work.path(PROXY));
    let reader = FfCommand::ffmpeg(tools, "the analysis pass")
        // Skipping the deblocking filter makes H.264/HEVC decoding ~20 % cheaper; its effect vanishes in a 10×
        // downscale and is invisible in the 480 px proxy (checked by eye on Tears of Steel).
        .args(["-skip_loop_filter", "all"])
        .input(&source.path)
        .arg2("-filter_complex", graph)
        .arg2("-map", "[proxy]")
        // ultrafast: on 2 cores a slower preset costs more than the source decode itself (bench: 1.77x vs 1.28x
        // of a bare decode with veryfast vs ultrafast); CRF 34 keeps the file near the veryfast size.
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-crf", "34"])
        // A keyframe every 2 s of proxy keeps seeking in it cheap.
        .arg2("-g", (settings.proxy_fps * 2).to_string())
        .args(["-f", "mp4"])
        .output(proxy.part_path())
        .args([
            "-map",
            "[frames]",
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "pipe:1",
        ])
        .args(["-map", "[text]", "-fps_mode", "passthrough", "-f", "rawvideo", "pipe:3"])
        .spawn_reader_and_side()?;
    let (mut reader, side) = reader;

    let duration_s = source.duration().unwrap_or(0.0);
    progress.start((duration_s * 1000.0) as u64, Unit::MediaMs);
    progress.message("decoding");
    let mut frames = ColumnsWriter::create(work, FRAMES, signals::COLUMNS, fps)?;
    let mut detector = ShotDetector::new(settings.shots.clone(), fps);
    let mut buf = vec![0u8; aw * ah * 3];
    let mut prev_luma: Vec<u8> = Vec::new();
    let text_rows = std::thread::scope(|scope| -> Result<Vec<[f32; 10]>> {
        // The text is measured on its own core while this thread reads the analysis frames.
        let text = scope.spawn(move || text::measure(side, pw, ph, settings.proxy_fps as f64));
        while reader.read_chunk(&mut buf)? {
            cancel.check()?;
            let (mut sig, desc) = signals::analyse_frame(&buf, aw, ah);
            sig.motion = mean_abs_diff(&prev_luma, &desc.luma) / 255.0;
            prev_luma.clone_from(&desc.luma);
            sig.cut_score = detector.push(desc);
            frames.push(&sig.to_row())?;
            progress.set((frames.rows() as f64 * 1000.0 / fps) as u64);
        }
        reader.finish(cancel)?;
        text.join()
            .map_err(|_| Error::Runtime("the text measuring thread panicked".into()))?
            .map_err(|e| {
                Error::Runtime(format!(
                    "{}: reading the text frames failed: {e}",
                    source.path.display()
                ))
            })
    })?;
    let count = frames.rows();
    if count == 0 {
        return Err(Error::bad_input(
            &source.path,
            "no video frame could be decoded",
            "check that the file plays; re-download or re-export it",
        ));
    }
    let analysed_s = count as f64 / fps;
    // The picture's own length where known: a soundtrack running on past it is not a truncated picture.
    let duration_s = video.duration_s.filter(|d| *d > 0.0).unwrap_or(duration_s);
    if duration_s > 0.0 && analysed_s < duration_s * MIN_DECODED_SHARE {
        return Err(Error::bad_input(
            &source.path,
            format!(
                "only {analysed_s:.1} s of its {duration_s:.1} s could be decoded: the file is truncated or damaged"
            ),
            "re-download or re-export the film (check that it plays to the end)",
        ));
    }
    if duration_s > 0.0 && analysed_s < duration_s * 0.95 {
        tracing::warn!(
            "{}: only {analysed_s:.1} s of {duration_s:.1} s could be decoded; the file may be truncated. \
             Analysing what decodes.",
            source.path.display()
        );
    }
    let offset_s = (video.start_time_s.unwrap_or(source.start_time_s) - source.start_time_s).max(0.0);
    let shots = detector.finish(offset_s);
    // Motion is "change within a shot": the jump at a cut is not motion, so a cut frame takes its predecessor's.
    for shot in shots.iter().skip(1) {
        let before = frames.value(shot.start_frame - 1, COL_MOTION)?;
        frames.patch(shot.start_frame, COL_MOTION, before)?;
    }

    // Exit code 0 is not proof: the proxy must have a video stream and a sensible length.
    let made = probe(tools, proxy.part_path(), cancel)?;
    let proxy_frames = made.video().and_then(|v| v.nb_frames).unwrap_or(0);
    let made_s = made.duration().unwrap_or(0.0);
    if proxy_frames == 0 || made_s < analysed_s * 0.9 - 1.0 {
        return Err(Error::Runtime(format!(
            "{}: the proxy came out with {proxy_frames} frames and {made_s:.1} s from {analysed_s:.1} s of film",
            source.path.display()
        )));
    }
    frames.finish(work)?;
    let mut text = ColumnsWriter::create(work, TEXT, text::COLUMNS, settings.proxy_fps as f64)?;
    for row in &text_rows {
        text.push(row)?;
    }
    text.finish(work)?;
    let shot_count = shots.len();
    work.write_json(
        SHOTS,
        &ShotList {
            fps,
            offset_s,
            frames: count,
            shots,
        },
    )?;
    proxy.commit()?;
    Ok((count, shot_count, proxy_frames))
}
