//! Stage `proxy`: probe the source, then ONE decode of it that writes the low-rate proxy video.

use serde::{Deserialize, Serialize};

use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::media::{FfCommand, Probe, Tools, probe};
use crate::pipeline::workdir::{PartFile, WorkDir};
use crate::pipeline::{Progress, Unit};

/// Bump when the outputs change shape or meaning; a new version re-runs the stage on resume.
pub const VERSION: u32 = 1;
pub const PROXY: &str = "proxy.mp4";
pub const PROBE: &str = "probe.json";
/// Files the stage leaves; all must exist for a resume to skip it.
pub const OUTPUTS: &[&str] = &[PROXY, PROBE];

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Settings {
    /// Proxy frame rate: enough for keyframe images and the report, cheap to encode.
    pub proxy_fps: u32,
    pub proxy_height: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            proxy_fps: 2,
            proxy_height: 480,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AnalysisOutput {
    pub proxy_frames: u64,
    pub duration_s: f64,
}

impl AnalysisOutput {
    pub fn summary(&self) -> String {
        format!(
            "{:.1} s of film, proxy of {} frames",
            self.duration_s, self.proxy_frames
        )
    }
}

pub fn run(
    tools: &Tools,
    source: &Probe,
    work: &WorkDir,
    settings: &Settings,
    cancel: &Cancel,
    progress: &mut dyn Progress,
) -> Result<AnalysisOutput> {
    let video = source
        .video()
        .ok_or_else(|| Error::bad_input(&source.path, "has no video stream", "pass a video file"))?;
    work.write_json(PROBE, source)?;
    let duration_s = source.duration().unwrap_or(0.0);

    let proxy = PartFile::new(work.path(PROXY));
    let filter = format!(
        "fps={fps},scale=w='trunc({h}*dar/2)*2':h={h},setsar=1,format=yuv420p",
        fps = settings.proxy_fps,
        h = settings.proxy_height
    );
    let cmd = FfCommand::ffmpeg(tools, "making the proxy")
        .input(&source.path)
        .arg2("-map", format!("0:{}", video.index))
        .arg2("-vf", filter)
        // ultrafast: on 2 cores a slower preset costs more than the source decode itself (bench: 1.77x vs 1.28x
        // of a bare decode with veryfast vs ultrafast); CRF 34 keeps the file near the veryfast size.
        .args(["-c:v", "libx264", "-preset", "ultrafast", "-crf", "34"])
        // A keyframe every 2 s of proxy keeps seeking for keyframe images cheap.
        .arg2("-g", (settings.proxy_fps * 2).to_string())
        .args(["-an", "-sn", "-dn", "-f", "mp4"])
        .output(proxy.part_path());
    progress.start((duration_s * 1000.0) as u64, Unit::MediaMs);
    progress.message("decoding");
    cmd.run(cancel, &mut |p| {
        if let Some(us) = p.out_time_us {
            progress.set(us / 1000);
        }
    })?;

    // Exit code 0 is not proof: the proxy must have a video stream and a sensible length.
    let made = probe(tools, proxy.part_path(), cancel)?;
    let frames = made.video().and_then(|v| v.nb_frames).unwrap_or(0);
    let made_s = made.duration().unwrap_or(0.0);
    if frames == 0 || (duration_s > 0.0 && made_s < duration_s * 0.5) {
        return Err(Error::Runtime(format!(
            "{}: the proxy came out with {frames} frames and {made_s:.1} s from a {duration_s:.1} s film",
            source.path.display()
        )));
    }
    proxy.commit()?;
    Ok(AnalysisOutput {
        proxy_frames: frames,
        duration_s,
    })
}
