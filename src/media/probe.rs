//! `ffprobe` JSON → a typed `Probe`: what the rest of the program needs to know about a media file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::process::FfCommand;
use super::rate::Rate;
use super::tools::Tools;
use crate::cancel::Cancel;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StreamKind {
    Video,
    Audio,
    Subtitle,
    Data,
    Attachment,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamInfo {
    /// The stream's index in the container, as used by `-map 0:N`.
    pub index: usize,
    pub kind: StreamKind,
    pub codec: String,
    pub default: bool,
    /// Cover art and thumbnails are "video" streams that are not the film.
    pub attached_pic: bool,
    pub language: Option<String>,
    pub title: Option<String>,
    pub duration_s: Option<f64>,
    pub start_time_s: Option<f64>,
    // Video
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub pix_fmt: Option<String>,
    /// Sample aspect ratio (num, den); (1, 1) for square pixels.
    pub sar: Option<(u32, u32)>,
    /// Display rotation in degrees, normalised to 0, 90, 180 or 270.
    pub rotation: u32,
    /// Average frame rate (num, den), falling back to the real base rate.
    pub frame_rate: Option<(u32, u32)>,
    pub nb_frames: Option<u64>,
    pub bits_per_raw_sample: Option<u32>,
    /// How the picture was scanned, as ffprobe names it: `progressive`, or `tt`, `bb`, `tb`, `bt` (interlaced,
    /// which field first); `None` when the stream does not say.
    #[serde(default)]
    pub field_order: Option<String>,
    /// Colour description as ffprobe names it (`bt709`, `smpte170m`, `tv`, `pc`); `None` when untagged.
    #[serde(default)]
    pub color_space: Option<String>,
    #[serde(default)]
    pub color_range: Option<String>,
    #[serde(default)]
    pub color_primaries: Option<String>,
    #[serde(default)]
    pub color_transfer: Option<String>,
    // Audio
    pub sample_rate: Option<u32>,
    pub channels: Option<u32>,
    pub channel_layout: Option<String>,
}

impl StreamInfo {
    pub fn fps(&self) -> Option<f64> {
        self.frame_rate.map(|(n, d)| n as f64 / d as f64)
    }

    /// Interlaced (fields woven into each frame): shown on a computer or phone as is, motion combs.
    pub fn interlaced(&self) -> bool {
        matches!(self.field_order.as_deref(), Some("tt" | "bb" | "tb" | "bt"))
    }

    /// Width and height as seen by a viewer: SAR applied, rotation applied.
    pub fn display_size(&self) -> Option<(u32, u32)> {
        let (w, h) = (self.width?, self.height?);
        let (sn, sd) = self.sar.unwrap_or((1, 1));
        let w = ((w as u64 * sn as u64) / sd.max(1) as u64) as u32;
        Some(if self.rotation % 180 == 90 { (h, w) } else { (w, h) })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub path: PathBuf,
    pub format: String,
    pub duration_s: Option<f64>,
    pub start_time_s: f64,
    pub size_bytes: Option<u64>,
    pub title: Option<String>,
    /// The start timecode the file carries (`01:00:00:00`), from the container or a stream, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timecode: Option<String>,
    pub streams: Vec<StreamInfo>,
}

impl Probe {
    /// The film's own frame rate, exact (24 when the film does not say).
    pub fn rate(&self) -> Rate {
        self.video()
            .and_then(|v| v.frame_rate)
            .filter(|&(n, d)| n > 0 && d > 0 && (1.0..=240.0).contains(&(n as f64 / d as f64)))
            .and_then(|(n, d)| Rate::from_fps(n as f64 / d as f64))
            .unwrap_or(Rate::new(24, 1))
    }

    /// The film's picture: the default video stream, else the first, never cover art.
    pub fn video(&self) -> Option<&StreamInfo> {
        let videos = || {
            self.streams
                .iter()
                .filter(|s| s.kind == StreamKind::Video && !s.attached_pic)
        };
        videos().find(|s| s.default).or_else(|| videos().next())
    }

    /// The default audio stream, else the first.
    pub fn audio(&self) -> Option<&StreamInfo> {
        let audios = || self.streams.iter().filter(|s| s.kind == StreamKind::Audio);
        audios().find(|s| s.default).or_else(|| audios().next())
    }

    pub fn audio_count(&self) -> usize {
        self.streams.iter().filter(|s| s.kind == StreamKind::Audio).count()
    }

    pub fn subtitles(&self) -> impl Iterator<Item = &StreamInfo> {
        self.streams.iter().filter(|s| s.kind == StreamKind::Subtitle)
    }

    /// Best known duration: the container's, else the video stream's.
    pub fn duration(&self) -> Option<f64> {
        self.duration_s
            .or_else(|| self.video().and_then(|v| v.duration_s))
            .filter(|d| d.is_finite() && *d > 0.0)
    }
}

/// Probe `path`. A file ffprobe cannot read is bad input (exit 2) naming the file.
pub fn probe(tools: &Tools, path: &Path, cancel: &Cancel) -> Result<Probe> {
    let cmd = FfCommand::ffprobe(tools, format!("probing {}", path.display()))
        .args(["-print_format", "json", "-show_format", "-show_streams"])
        .input(path);
    let out = cmd.output_bytes(cancel).map_err(|e| match e {
        Error::Process { tail, .. } => Error::bad_input(
            path,
            format!(
                "FFmpeg cannot read this file as media:\n{}",
                if tail.is_empty() {
                    "    (no details)".into()
                } else {
                    tail
                }
            ),
            "check that it is a complete video file; a partial download or a renamed non-video file cannot be read",
        ),
        other => other,
    })?;
    parse_probe_json(path, &out)
}

pub fn parse_probe_json(path: &Path, json: &[u8]) -> Result<Probe> {
    let raw: RawProbe = serde_json::from_slice(json).map_err(|e| {
        Error::Runtime(format!(
            "{}: ffprobe printed JSON we could not read: {e}",
            path.display()
        ))
    })?;
    let format = raw.format.unwrap_or_default();
    Ok(Probe {
        path: path.to_path_buf(),
        format: format.format_name.unwrap_or_default(),
        duration_s: num(&format.duration),
        start_time_s: num(&format.start_time).unwrap_or(0.0),
        size_bytes: format.size.as_deref().and_then(|s| s.parse().ok()),
        title: format.tags.title.filter(|t| !t.trim().is_empty()),
        timecode: format
            .tags
            .timecode
            .or_else(|| raw.streams.iter().find_map(|s| s.tags.timecode.clone())),
        streams: raw.streams.into_iter().map(StreamInfo::from).collect(),
    })
}

fn num(s: &Option<String>) -> Option<f64> {
    s.as_deref()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

/// ffprobe says `unknown` / `unspecified` for an untagged stream.
fn known(s: Option<String>) -> Option<String> {
    s.filter(|v| !v.is_empty() && v != "unknown" && v != "unspecified" && v != "reserved")
}

/// "24000/1001" → (24000, 1001); "0/0" and junk → None.
fn ratio(s: &Option<String>, sep: char) -> Option<(u32, u32)> {
    let (n, d) = s.as_deref()?.split_once(sep)?;
    let (n, d) = (n.parse().ok()?, d.parse().ok()?);
    (n > 0 && d > 0).then_some((n, d))
}

impl From<RawStream> for StreamInfo {
    fn from(r: RawStream) -> Self {
        let kind = match r.codec_type.as_deref() {
            Some("video") => StreamKind::Video,
            Some("audio") => StreamKind::Audio,
            Some("subtitle") => StreamKind::Subtitle,
            Some("data") => StreamKind::Data,
            Some("attachment") => StreamKind::Attachment,
            _ => StreamKind::Other,
        };
        // FFmpeg ≥ 5 reports rotation in the display-matrix side data (counter-clockwise, e.g. -90);
        // older muxers leave a `rotate` tag (clockwise).
        let rotation = r
            .side_data_list
            .iter()
            .find_map(|sd| sd.rotation)
            .map(|deg| -deg)
            .or_else(|| r.tags.rotate.as_deref().and_then(|t| t.parse::<f64>().ok()))
            .unwrap_or(0.0);
        let rotation = ((rotation.round() as i64).rem_euclid(360) as u32 + 45) / 90 * 90 % 360;
        StreamInfo {
            index: r.index,
            kind,
            codec: r.codec_name.unwrap_or_default(),
            default: r.disposition.default == 1,
            attached_pic: r.disposition.attached_pic == 1,
            language: r.tags.language.filter(|l| l != "und"),
            title: r.tags.title,
            duration_s: num(&r.duration),
            start_time_s: num(&r.start_time),
            width: r.width,
            height: r.height,
            pix_fmt: r.pix_fmt,
            sar: ratio(&r.sample_aspect_ratio, ':'),
            rotation,
            frame_rate: ratio(&r.avg_frame_rate, '/').or_else(|| ratio(&r.r_frame_rate, '/')),
            nb_frames: r.nb_frames.as_deref().and_then(|n| n.parse().ok()),
            bits_per_raw_sample: r.bits_per_raw_sample.as_deref().and_then(|n| n.parse().ok()),
            field_order: known(r.field_order),
            color_space: known(r.color_space),
            color_range: known(r.color_range),
            color_primaries: known(r.color_primaries),
            color_transfer: known(r.color_transfer),
            sample_rate: r.sample_rate.as_deref().and_then(|n| n.parse().ok()),
            channels: r.channels,
            channel_layout: r.channel_layout,
        }
    }
}

// ffprobe's JSON, as loosely as it comes: numbers arrive as strings, anything may be missing.
#[derive(Deserialize)]
struct RawProbe {
    #[serde(default)]
    streams: Vec<RawStream>,
    format: Option<RawFormat>,
}

#[derive(Deserialize, Default)]
struct RawFormat {
    format_name: Option<String>,
    duration: Option<String>,
    start_time: Option<String>,
    size: Option<String>,
    #[serde(default)]
    tags: RawTags,
}

#[derive(Deserialize, Default)]
struct RawTags {
    #[serde(alias = "TITLE")]
    title: Option<String>,
    #[serde(alias = "LANGUAGE")]
    language: Option<String>,
    rotate: Option<String>,
    #[serde(alias = "TIMECODE")]
    timecode: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawDisposition {
    #[serde(default)]
    default: u8,
    #[serde(default)]
    attached_pic: u8,
}

#[derive(Deserialize)]
struct RawSideData {
    rotation: Option<f64>,
}

#[derive(Deserialize)]
struct RawStream {
    index: usize,
    codec_type: Option<String>,
    codec_name: Option<String>,
    width: Option<u32>,
    height: Option<u32>,
    pix_fmt: Option<String>,
    sample_aspect_ratio: Option<String>,
    avg_frame_rate: Option<String>,
    r_frame_rate: Option<String>,
    duration: Option<String>,
    start_time: Option<String>,
    nb_frames: Option<String>,
    bits_per_raw_sample: Option<String>,
    field_order: Option<String>,
    color_space: Option<String>,
    color_range: Option<String>,
    color_primaries: Option<String>,
    color_transfer: Option<String>,
    sample_rate: Option<String>,
    channels: Option<u32>,
    channel_layout: Option<String>,
    #[serde(default)]
    disposition: RawDisposition,
    #[serde(default)]
    tags: RawTags,
    #[serde(default)]
    side_data_list: Vec<RawSideData>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rotation_sar_and_rates() {
        let json = br#"{"streams":[
            {"index":0,"codec_type":"video","codec_name":"hevc","width":1920,"height":1080,
             "sample_aspect_ratio":"4:3","avg_frame_rate":"30000/1001","r_frame_rate":"30/1",
             "disposition":{"default":1,"attached_pic":0},
             "side_data_list":[{"side_data_type":"Display Matrix","rotation":-90}]},
            {"index":1,"codec_type":"audio","codec_name":"aac","sample_rate":"48000","channels":6,
             "channel_layout":"5.1","tags":{"language":"eng"},"disposition":{"default":0}},
            {"index":2,"codec_type":"video","codec_name":"mjpeg","disposition":{"attached_pic":1}},
            {"index":3,"codec_type":"subtitle","codec_name":"subrip","tags":{"language":"und"}}],
            "format":{"format_name":"matroska,webm","duration":"12.5","start_time":"0.042","tags":{"TITLE":"My Film"}}}"#;
        let p = parse_probe_json(Path::new("x.mkv"), json).unwrap();
        let v = p.video().unwrap();
        assert_eq!(v.rotation, 90);
        assert_eq!(v.sar, Some((4, 3)));
        assert_eq!(v.frame_rate, Some((30000, 1001)));
        assert_eq!(v.display_size(), Some((1080, 2560)));
        assert_eq!(p.audio().unwrap().channels, Some(6));
        assert_eq!(p.title.as_deref(), Some("My Film"));
        assert_eq!(p.start_time_s, 0.042);
        assert_eq!(p.subtitles().next().unwrap().language, None);
        assert_eq!(p.duration(), Some(12.5));
    }

    #[test]
    fn rotate_tag_and_missing_fields() {
        let json = br#"{"streams":[{"index":0,"codec_type":"video","tags":{"rotate":"270"},
            "avg_frame_rate":"0/0","r_frame_rate":"25/1"}],"format":{}}"#;
        let p = parse_probe_json(Path::new("x.mp4"), json).unwrap();
        let v = p.video().unwrap();
        assert_eq!(v.rotation, 270);
        assert_eq!(v.frame_rate, Some((25, 1)));
        assert_eq!(p.duration(), None);
        assert!(p.audio().is_none());
    }
}
