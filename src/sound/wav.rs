//! WAV files for the stems (built-in bed, sound effects, the mix): written as 32-bit float stereo so nothing is
//! quantised before the final encode, and read back from whatever integer or float format a tool wrote.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use super::synth::{RATE, Stereo};
use crate::error::{Error, IoContext, Result};
use crate::workdir::PartFile;

/// Write a 32-bit float stereo WAV atomically: hound writes `<path>.part`, which is renamed into place only once
/// complete, so a reader never sees half a stem.
pub fn write_wav(path: &Path, audio: &Stereo) -> Result<()> {
    let part = PartFile::new(path);
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: RATE,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let file = File::create(part.part_path()).at(part.part_path(), "cannot create")?;
    let mut w = hound::WavWriter::new(BufWriter::new(file), spec).map_err(|e| hound_error(path, e))?;
    for (l, r) in audio.left.iter().zip(&audio.right) {
        w.write_sample(*l).map_err(|e| hound_error(path, e))?;
        w.write_sample(*r).map_err(|e| hound_error(path, e))?;
    }
    w.finalize().map_err(|e| hound_error(path, e))?;
    part.commit()?;
    Ok(())
}

/// Read a WAV at RATE into a stereo buffer: mono goes to both sides, more than two channels keep the first two
/// (front left and right). Any other rate is an error: resampling belongs to FFmpeg, not here.
pub fn read_wav(path: &Path) -> Result<Stereo> {
    let mut r = hound::WavReader::open(path).map_err(|e| hound_error(path, e))?;
    let spec = r.spec();
    if spec.sample_rate != RATE {
        return Err(Error::bad_input(
            path,
            format!("sample rate is {} Hz; CineCut's stems are {RATE} Hz", spec.sample_rate),
            format!("resample it first: ffmpeg -i IN -ar {RATE} OUT.wav"),
        ));
    }
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => r.samples::<f32>().collect::<Result<_, _>>(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            r.samples::<i32>().map(|s| s.map(|s| s as f32 * scale)).collect()
        }
    }
    .map_err(|e| hound_error(path, e))?;
    let channels = spec.channels.max(1) as usize;
    let frames = samples.chunks_exact(channels);
    let left: Vec<f32> = frames.clone().map(|f| f[0]).collect();
    let right: Vec<f32> = frames.map(|f| f[channels.min(2) - 1]).collect();
    Ok(Stereo { left, right })
}

fn hound_error(path: &Path, e: hound::Error) -> Error {
    match e {
        hound::Error::IoError(io) => Error::io(path, "cannot read or write WAV", io),
        other => Error::bad_input(
            path,
            format!("not a WAV file CineCut can read ({other})"),
            "convert it: ffmpeg -i IN -c:a pcm_f32le OUT.wav",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_stereo_round_trips_and_leaves_no_part_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.wav");
        let mut a = Stereo::silent(0.1);
        for (i, s) in a.left.iter_mut().enumerate() {
            *s = (i as f32 * 0.01).sin() * 0.5;
        }
        a.right[7] = -0.25;
        write_wav(&p, &a).unwrap();
        assert_eq!(read_wav(&p).unwrap(), a);
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.wav")]);
    }

    #[test]
    fn integer_mono_is_scaled_and_doubled_and_a_wrong_rate_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let write = |name: &str, rate: u32| {
            let p = d.path().join(name);
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: rate,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let mut w = hound::WavWriter::create(&p, spec).unwrap();
            w.write_sample(16_384i16).unwrap();
            w.write_sample(-32_768i16).unwrap();
            w.finalize().unwrap();
            p
        };
        let s = read_wav(&write("m.wav", RATE)).unwrap();
        assert_eq!(s.left, vec![0.5, -1.0]);
        assert_eq!(s.right, s.left);
        let e = read_wav(&write("r.wav", 44_100)).unwrap_err().to_string();
        assert!(e.contains("44100 Hz") && e.contains("r.wav"), "{e}");
        let e = read_wav(&d.path().join("missing.wav")).unwrap_err().to_string();
        assert!(e.contains("missing.wav"), "{e}");
    }
}
