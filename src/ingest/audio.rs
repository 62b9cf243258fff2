//! The film's loudness envelope, from an audio-only read (audio decodes cheaply, so it runs beside the video
//! pass): short-term and momentary loudness every 100 ms (EBU R128, `ebur128`), the sample peak per block,
//! the silent spans and the loudest moments. Constant memory: the envelope streams to a column file.

use serde::{Deserialize, Serialize};

use super::columns::ColumnsWriter;
use super::spans::Span;
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::media::{FfCommand, Probe, Tools};
use crate::workdir::WorkDir;

pub(crate) const ENVELOPE: &str = "analysis/audio_envelope";
pub(crate) const SUMMARY: &str = "analysis/audio.json";
pub(super) const ENVELOPE_COLUMNS: &[&str] = &["short_term_lufs", "momentary_lufs", "peak_dbfs"];

const RATE: u32 = 48_000;
const HOP_S: f64 = 0.1;
/// Momentary loudness below this is silence (−70 LUFS is R128's absolute gate; room tone sits near −50).
const SILENCE_LUFS: f64 = -50.0;
const MIN_SILENCE_S: f64 = 1.0;
/// Loud moments closer than this are one moment.
const PEAK_SPACING_S: f64 = 2.0;
/// A loud moment stands this far above the film's integrated loudness.
const PEAK_ABOVE_LU: f64 = 6.0;
/// Stored for "no signal at all" (R128 reports −∞).
const FLOOR: f64 = -120.0;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Peak {
    pub t_s: f64,
    pub momentary_lufs: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct AudioSummary {
    /// The container stream analysed; `None` when the film has no audio.
    pub stream_index: Option<usize>,
    pub hop_s: f64,
    pub blocks: u64,
    pub integrated_lufs: Option<f64>,
    pub silence: Vec<Span>,
    pub peaks: Vec<Peak>,
}

impl AudioSummary {
    pub(crate) fn describe(&self) -> String {
        match (self.stream_index, self.integrated_lufs) {
            (None, _) => "no audio stream".into(),
            (Some(i), Some(l)) => format!("audio #{i} at {l:.1} LUFS, {} loud moments", self.peaks.len()),
            (Some(i), None) => format!("audio #{i} is silent"),
        }
    }
}

pub(super) fn analyse(tools: &Tools, probe: &Probe, work: &WorkDir, cancel: &Cancel) -> Result<AudioSummary> {
    let mut env = ColumnsWriter::create(work, ENVELOPE, ENVELOPE_COLUMNS, 1.0 / HOP_S)?;
    let Some(stream) = probe.audio() else {
        env.finish(work)?;
        let s = AudioSummary {
            stream_index: None,
            hop_s: HOP_S,
            blocks: 0,
            integrated_lufs: None,
            silence: vec![],
            peaks: vec![],
        };
        work.write_json(SUMMARY, &s)?;
        return Ok(s);
    };
    if probe.audio_count() > 1 {
        tracing::info!(
            "the film has {} audio streams; analysing #{}",
            probe.audio_count(),
            stream.index
        );
    }
    let mut reader = FfCommand::ffmpeg(tools, "reading the film's audio")
        .input(&probe.path)
        .arg2("-map", format!("0:{}", stream.index))
        .args(["-ac", "2", "-ar", &RATE.to_string(), "-f", "f32le", "pipe:1"])
        .spawn_reader()?;
    let mut meter = ebur128::EbuR128::new(
        2,
        RATE,
        ebur128::Mode::I | ebur128::Mode::S | ebur128::Mode::M | ebur128::Mode::SAMPLE_PEAK | ebur128::Mode::HISTOGRAM,
    )
    .map_err(|e| Error::Runtime(format!("loudness meter: {e}")))?;
    let block_frames = (RATE as f64 * HOP_S) as usize;
    let mut bytes = vec![0u8; block_frames * 2 * 4];
    let mut samples = vec![0f32; block_frames * 2];
    let mut tracker = Tracker::default();
    let mut block = 0u64;
    while reader.read_chunk(&mut bytes)? {
        cancel.check()?;
        for (s, b) in samples.iter_mut().zip(bytes.chunks_exact(4)) {
            *s = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        meter
            .add_frames_f32(&samples)
            .map_err(|e| Error::Runtime(format!("loudness meter: {e}")))?;
        let short = finite(meter.loudness_shortterm().unwrap_or(f64::NEG_INFINITY));
        let momentary = finite(meter.loudness_momentary().unwrap_or(f64::NEG_INFINITY));
        let peak = (0..2)
            .filter_map(|c| meter.prev_sample_peak(c).ok())
            .fold(0.0f64, f64::max);
        let peak_db = if peak > 0.0 { 20.0 * peak.log10() } else { FLOOR };
        env.push(&[short as f32, momentary as f32, peak_db as f32])?;
        // Time of the block's end: where the momentary window (400 ms) closes.
        tracker.push((block + 1) as f64 * HOP_S, momentary);
        block += 1;
    }
    reader.finish(cancel)?;
    env.finish(work)?;
    let integrated = meter.loudness_global().ok().filter(|l| l.is_finite());
    let summary = AudioSummary {
        stream_index: Some(stream.index),
        hop_s: HOP_S,
        blocks: block,
        integrated_lufs: integrated,
        silence: tracker.silence(block as f64 * HOP_S),
        peaks: tracker.peaks(integrated),
    };
    work.write_json(SUMMARY, &summary)?;
    Ok(summary)
}

fn finite(l: f64) -> f64 {
    if l.is_finite() { l.max(FLOOR) } else { FLOOR }
}

/// Silence spans and loud moments, found as the blocks stream past.
#[derive(Default)]
struct Tracker {
    silence: Vec<Span>,
    silent_since: Option<f64>,
    peaks: Vec<Peak>,
    /// The loudest block of the current cluster, not yet final.
    pending: Option<Peak>,
}

impl Tracker {
    fn push(&mut self, t: f64, momentary: f64) {
        match (momentary < SILENCE_LUFS, self.silent_since) {
            (true, None) => self.silent_since = Some(t - HOP_S),
            (false, Some(start)) => {
                self.close_silence(start, t - HOP_S);
            }
            _ => {}
        }
        match &mut self.pending {
            Some(p) if t - p.t_s < PEAK_SPACING_S => {
                if momentary > p.momentary_lufs {
                    *p = Peak {
                        t_s: t,
                        momentary_lufs: momentary,
                    };
                }
            }
            _ => {
                if let Some(p) = self.pending.take() {
                    self.peaks.push(p);
                }
                self.pending = Some(Peak {
                    t_s: t,
                    momentary_lufs: momentary,
                });
            }
        }
    }

    fn close_silence(&mut self, start: f64, end: f64) {
        if end - start >= MIN_SILENCE_S {
            self.silence.push(Span {
                start_s: round_ms(start),
                end_s: round_ms(end),
            });
        }
        self.silent_since = None;
    }

    fn silence(&mut self, end: f64) -> Vec<Span> {
        if let Some(start) = self.silent_since {
            self.close_silence(start, end);
        }
        std::mem::take(&mut self.silence)
    }

    fn peaks(&mut self, integrated: Option<f64>) -> Vec<Peak> {
        if let Some(p) = self.pending.take() {
            self.peaks.push(p);
        }
        let Some(level) = integrated else { return vec![] };
        std::mem::take(&mut self.peaks)
            .into_iter()
            .filter(|p| p.momentary_lufs >= level + PEAK_ABOVE_LU)
            .map(|p| Peak {
                t_s: round_ms(p.t_s),
                momentary_lufs: (p.momentary_lufs * 10.0).round() / 10.0,
            })
            .collect()
    }
}

fn round_ms(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_finds_silence_and_spaced_peaks() {
        let mut t = Tracker::default();
        // 0–3 s normal (−25), 3–5 s silent, 5–10 s normal with two bangs at 6.0 s and 9.0 s.
        for i in 0..100 {
            let time = (i + 1) as f64 * HOP_S;
            let l = match time {
                x if x > 3.0 && x <= 5.0 => -90.0,
                x if (x - 6.0).abs() < 0.05 => -10.0,
                x if (x - 9.0).abs() < 0.05 => -12.0,
                _ => -25.0,
            };
            t.push(time, l);
        }
        let silence = t.silence(10.0);
        assert_eq!(silence.len(), 1);
        assert!(
            (silence[0].start_s - 3.0).abs() < 0.11 && (silence[0].end_s - 5.0).abs() < 0.11,
            "{silence:?}"
        );
        let peaks = t.peaks(Some(-24.0));
        let times: Vec<f64> = peaks.iter().map(|p| p.t_s).collect();
        assert_eq!(times, vec![6.0, 9.0]);
    }
}
