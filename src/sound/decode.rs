//! Music in, samples out: any audio file FFmpeg reads, decoded to mono f32 at the rate the caller asks for
//! (`beats::ANALYSIS_RATE` for the beat tracker). Streams from FFmpeg's stdout; the only FFmpeg call of
//! `sound/` that returns samples rather than files.

use std::path::Path;

use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::media::{FfCommand, Tools, probe};

/// At most this much audio is decoded. Music for a trailer is a few minutes long, and beat tracking needs far
/// less; without a cap a one-hour file would hold ~300 MB of samples at 22.05 kHz (15 min is ~80 MB).
pub(super) const MAX_DECODE_S: u32 = 15 * 60;

/// Samples per read from FFmpeg's pipe (16 KB).
const CHUNK_SAMPLES: usize = 4096;

/// Decode any audio file FFmpeg reads to mono f32 at `rate` (downmixed), streaming from ffmpeg's stdout.
///
/// Returns at most `MAX_DECODE_S` seconds. A file without an audio stream is `Error::BadInput` naming it.
pub fn decode_mono(tools: &Tools, path: &Path, rate: u32, cancel: &Cancel) -> Result<Vec<f32>> {
    if rate == 0 {
        return Err(Error::Runtime(format!(
            "decoding {}: a sample rate of 0 was asked for",
            path.display()
        )));
    }
    // The downmix is a plain average (`rematrix_maxval=1`): FFmpeg's default matrix raises correlated stereo by
    // 3 dB and 5.1 by 11 dB. The reader drops a partial last chunk, so the stream is padded with one chunk of
    // silence: every real sample then arrives in a whole chunk, and the padding is cut off again below. Resampling
    // comes first so that the padding is counted in output samples.
    let filter =
        format!("aresample={rate}:rematrix_maxval=1,aformat=channel_layouts=mono,apad=pad_len={CHUNK_SAMPLES}");
    let cmd = FfCommand::ffmpeg(tools, format!("decoding the audio of {}", path.display()))
        .input(path)
        .args(["-vn", "-sn", "-dn"])
        .arg2("-af", filter)
        .arg2("-ac", "1")
        .arg2("-ar", rate.to_string())
        .arg2("-t", MAX_DECODE_S.to_string())
        .arg2("-f", "f32le")
        // Not `output("-")`: that makes a leading dash explicit as the file `file:-`.
        .arg("pipe:1");
    match read_samples(&cmd, rate, cancel) {
        Ok(samples) => Ok(samples),
        Err(e @ Error::Process { .. }) => Err(explain_failure(tools, path, cancel, e)),
        Err(e) => Err(e),
    }
}

fn read_samples(cmd: &FfCommand, rate: u32, cancel: &Cancel) -> Result<Vec<f32>> {
    let max_samples = MAX_DECODE_S as usize * rate as usize;
    let mut reader = cmd.spawn_reader()?;
    let mut buf = vec![0u8; CHUNK_SAMPLES * 4];
    let mut samples = Vec::new();
    while samples.len() < max_samples && reader.read_chunk(&mut buf)? {
        cancel.check()?;
        samples.extend(
            buf.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
    }
    reader.finish(cancel)?;
    samples.truncate(max_samples);
    drop_padding(&mut samples);
    Ok(samples)
}

/// Cut the `apad` silence: the exact zeros at the end, at most one chunk of them. Real digital silence that ends
/// a track may go with it, which changes nothing for the caller (by under 0.2 s of silence at 22.05 kHz).
fn drop_padding(samples: &mut Vec<f32>) {
    let zeros = samples
        .iter()
        .rev()
        .take(CHUNK_SAMPLES)
        .take_while(|s| **s == 0.0)
        .count();
    samples.truncate(samples.len() - zeros);
}

/// FFmpeg failed: a file with no audio stream gets a message that says so (FFmpeg's own words are obscure), any
/// other failure keeps FFmpeg's error.
fn explain_failure(tools: &Tools, path: &Path, cancel: &Cancel, failure: Error) -> Error {
    match probe(tools, path, cancel) {
        Ok(p) if p.audio().is_none() => Error::bad_input(
            path,
            "the file has no audio stream",
            "give a file with sound in it (an MP3, M4A, WAV, FLAC, OGG or a video with a soundtrack)",
        ),
        Ok(_) => failure,
        Err(probe_error) => probe_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_cut_but_not_the_music() {
        let mut s = vec![0.5f32; 10];
        s.extend(std::iter::repeat_n(0.0, 100));
        drop_padding(&mut s);
        assert_eq!(s.len(), 10);

        let mut silent = vec![0.0f32; CHUNK_SAMPLES * 3];
        drop_padding(&mut silent);
        assert_eq!(silent.len(), CHUNK_SAMPLES * 2, "at most one chunk of zeros is padding");
    }
}
