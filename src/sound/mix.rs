//! The trailer's sound: four stems laid out from the timeline, one mix, one loudness pass.
//!
//! 1. FFmpeg cuts every piece the timeline names (each clip's own sound, each voice line, each stretch of the
//!    music file) to 48 kHz stereo float WAVs, in one run.
//! 2. Here, sample-exact: the pieces go to their trailer positions with their gains and 5 ms edge fades (a cut
//!    never clicks); the silence beat stays digitally silent. Each stem is brought to a reference loudness so
//!    speech sits on top whatever the film's and the track's own levels.
//! 3. FFmpeg: the music ducks under the dialogue (`sidechaincompress`, settings in `DUCK`), then `amix` with
//!    `normalize=0` sums film, music, effects and voice.
//! 4. One gain to the vibe's loudness and a true-peak limiter (at 4× the rate, so inter-sample peaks are seen),
//!    measured with EBU R128 and corrected once. Everything stays float WAV: the only lossy step is the final AAC
//!    encode in `conform`.

use std::path::{Path, PathBuf};

use super::synth::{RATE, Stereo, sample_at};
use super::wav;
use crate::cancel::Cancel;
use crate::error::Result;
use crate::media::{FfCommand, Tools};
use crate::timeline::{Kind, Timeline};
use crate::workdir::WorkDir;

pub(crate) const STEMS: &str = "sound/stems";
pub(crate) const MASTER: &str = "sound/master.wav";
/// The four stems summed, before the loudness pass.
pub(crate) const MIXED: &str = "sound/stems/mix.wav";

/// Reference loudness of each stem before the mix (LUFS): speech on top, music just under it, effects under both.
const DIALOGUE_LUFS: f64 = -20.0;
const MUSIC_LUFS: f64 = -21.0;
const SFX_LUFS: f64 = -25.0;
/// No stem is pushed or pulled by more than this to reach its reference (a near-silent stem stays quiet).
const MAX_STEM_GAIN_DB: f64 = 24.0;
/// The limiter's first ceiling, under the −1 dBTP target: the AAC encode adds overshoot (`conform` measures
/// the encoded sound and lowers the ceiling if it still peaks too high).
pub(crate) const CEILING_DBTP: f64 = -1.8;
/// The trailer's first moment fades in: a full-level start overshoots in the AAC encoder's first frame.
const START_FADE_S: f64 = 0.05;
/// Fades at every piece's edges, so a cut in the film's sound never clicks.
const EDGE_FADE_S: f64 = 0.005;
const VOICE_FADE_S: f64 = 0.03;
/// Inputs per FFmpeg command when cutting the sound's pieces (each input holds the file open).
const MAX_INPUTS: usize = 200;
/// Fade at a join where a short track loops.
const LOOP_FADE_S: f64 = 0.01;

/// How the music ducks under dialogue and voice lines: the key is the dialogue stem (lines kept in clips, and
/// voice lines), boosted `level_sc` times; above `threshold` the music is compressed at `ratio`. Speech at the
/// dialogue reference level sits 15–20 dB over the threshold, so the music drops by 10 dB or more under a line,
/// within `attack` ms of its start, and comes back over `release` ms after it.
pub(crate) struct Duck {
    pub threshold: f64,
    pub ratio: f64,
    pub attack_ms: f64,
    pub release_ms: f64,
    pub level_sc: f64,
}

pub(crate) const DUCK: Duck = Duck {
    threshold: 0.02,
    ratio: 8.0,
    attack_ms: 15.0,
    release_ms: 400.0,
    level_sc: 2.0,
};

/// What the mix measured, and where the stems are.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct MixReport {
    pub integrated_lufs: f64,
    pub true_peak_dbtp: f64,
    pub target_lufs: f64,
    /// Gains applied to bring each stem to its reference, dB.
    pub dialogue_gain_db: f64,
    pub music_gain_db: f64,
    pub sfx_gain_db: f64,
}

/// The stems' files in the work dir.
pub(crate) fn stem(work: &WorkDir, name: &str) -> PathBuf {
    work.path(format!("{STEMS}/{name}.wav"))
}

/// Render the trailer's sound to `MASTER` at `target_lufs`.
pub(crate) fn render(
    tools: &Tools,
    tl: &Timeline,
    source: &Path,
    work: &WorkDir,
    target_lufs: f64,
    cancel: &Cancel,
) -> Result<MixReport> {
    let dir = work.subdir(STEMS)?;
    let pieces_dir = work.subdir(&format!("{STEMS}/pieces"))?;
    let pieces = cut_pieces(tools, tl, source, &pieces_dir, cancel)?;
    let total = Stereo::silent(tl.duration_s);

    // Film sound and the dialogue key, clip by clip.
    let (mut film, mut key, mut voice) = (total.clone(), total.clone(), total.clone());
    for (fa, path) in tl.film_audio.iter().zip(&pieces.film) {
        let mut a = fitted(path, fa.end_s - fa.start_s)?;
        fade_edges(&mut a, fa.fade_in_s.max(EDGE_FADE_S), fa.fade_out_s.max(EDGE_FADE_S));
        film.mix_in(&a, fa.start_s, db(fa.gain_db));
        if fa.gain_db == 0.0 {
            key.mix_in(&a, fa.start_s, 1.0);
        }
    }
    for (v, path) in tl.voice.iter().zip(&pieces.voice) {
        let mut a = fitted(path, v.end_s - v.at_s)?;
        fade_edges(&mut a, VOICE_FADE_S, VOICE_FADE_S);
        voice.mix_in(&a, v.at_s, 1.0);
        key.mix_in(&a, v.at_s, 1.0);
    }
    let music = music_stem(tl, &pieces.music)?;
    let sfx = wav::read_wav(&work.path(crate::sound::assembly::SFX))?;

    let dialogue_gain_db = reference_gain(&key, DIALOGUE_LUFS);
    let music_gain_db = reference_gain(&music, MUSIC_LUFS);
    let sfx_gain_db = reference_gain(&sfx, SFX_LUFS);
    let write = |name: &str, mut a: Stereo, gain_db: f64| -> Result<PathBuf> {
        let g = db(gain_db);
        a.left.iter_mut().chain(a.right.iter_mut()).for_each(|s| *s *= g);
        a.left.resize(total.len(), 0.0);
        a.right.resize(total.len(), 0.0);
        let path = dir.join(format!("{name}.wav"));
        wav::write_wav(&path, &a)?;
        Ok(path)
    };
    let paths = [
        write("film", film, dialogue_gain_db)?,
        write("music", music, music_gain_db)?,
        write("sfx", sfx, sfx_gain_db)?,
        write("voice", voice, dialogue_gain_db)?,
        write("key", key, dialogue_gain_db)?,
    ];
    sum_stems(tools, &paths, &work.path(MIXED), &stem(work, "music_ducked"), cancel)?;
    let _ = std::fs::remove_dir_all(&pieces_dir);
    let (integrated_lufs, true_peak_dbtp) = master(tools, work, target_lufs, CEILING_DBTP, cancel)?;
    Ok(MixReport {
        integrated_lufs,
        true_peak_dbtp,
        target_lufs,
        dialogue_gain_db,
        music_gain_db,
        sfx_gain_db,
    })
}

/// `MIXED` to `MASTER`: one gain to `target_lufs` and the limiter at `ceiling_dbtp`; the limiter takes a little
/// loudness off, so measure and correct (at most twice). Returns the master's loudness and true peak.
pub(crate) fn master(
    tools: &Tools,
    work: &WorkDir,
    target_lufs: f64,
    ceiling_dbtp: f64,
    cancel: &Cancel,
) -> Result<(f64, f64)> {
    let (mixed, out) = (work.path(MIXED), work.path(MASTER));
    // A silent mix (no sound at all) gets no gain rather than an infinite one.
    let mut gain = target_lufs - loudness(&wav::read_wav(&mixed)?).0;
    if !gain.is_finite() {
        gain = 0.0;
    }
    let mut measured = (f64::NEG_INFINITY, f64::NEG_INFINITY);
    for _ in 0..3 {
        limit(tools, &mixed, &out, gain, ceiling_dbtp, cancel)?;
        measured = loudness(&wav::read_wav(&out)?);
        let off = target_lufs - measured.0;
        if !off.is_finite() || off.abs() < 0.3 {
            break;
        }
        gain += off;
    }
    Ok(measured)
}

/// The pieces cut from files, in the timeline's order.
struct Pieces {
    film: Vec<PathBuf>,
    voice: Vec<PathBuf>,
    music: Vec<PathBuf>,
}

/// One FFmpeg run: every piece of film sound, voice line and music the timeline names, to float WAVs. (A film
/// without sound has no film pieces or voice lines in its timeline.)
fn cut_pieces(tools: &Tools, tl: &Timeline, source: &Path, dir: &Path, cancel: &Cancel) -> Result<Pieces> {
    // (output, file time, length) of each piece.
    let named = |kind: &str, spans: Vec<(f64, f64)>| -> Vec<(PathBuf, f64, f64)> {
        let name = |i: usize| dir.join(format!("{kind}_{i:03}.wav"));
        spans
            .into_iter()
            .enumerate()
            .map(|(i, (from, len))| (name(i), from, len))
            .collect()
    };
    let film = named(
        "film",
        tl.film_audio
            .iter()
            .map(|f| (f.source_start_s, f.end_s - f.start_s))
            .collect(),
    );
    let voice = named(
        "voice",
        tl.voice.iter().map(|v| (v.source_start_s, v.end_s - v.at_s)).collect(),
    );
    let track = tl.music.as_ref().filter(|m| !is_builtin(m));
    let music = named(
        "music",
        track.map_or(vec![], |m| {
            m.pieces
                .iter()
                .map(|p| (p.music_start_s, p.end_s - p.start_s))
                .collect()
        }),
    );
    let music_file = track.map_or(PathBuf::new(), |m| PathBuf::from(&m.path));
    let jobs: Vec<(&Path, &(PathBuf, f64, f64))> = film
        .iter()
        .chain(&voice)
        .map(|j| (source, j))
        .chain(music.iter().map(|j| (music_file.as_path(), j)))
        .collect();
    // A bounded number of inputs per command: each is an open file, and a manifest of a thousand clips would
    // pass the open-file limit (1024 on many systems) in one.
    for chunk in jobs.chunks(MAX_INPUTS) {
        let mut cmd = FfCommand::ffmpeg(tools, "cutting the trailer's sound from the film and the music");
        // A little extra past each piece: `fitted` trims to the exact sample count.
        for (file, (_, from, len)) in chunk {
            cmd = cmd
                .arg2("-ss", format!("{:.6}", from.max(0.0)))
                .arg2("-t", format!("{:.6}", len + 0.1))
                .input(file);
        }
        for (k, (_, (out, _, _))) in chunk.iter().enumerate() {
            cmd = cmd
                .arg2("-map", format!("{k}:a:0"))
                .args(["-ac", "2", "-ar", &RATE.to_string(), "-c:a", "pcm_f32le", "-y"])
                .output(out);
        }
        cmd.run(cancel, &mut |_| {})?;
    }
    let paths = |v: Vec<(PathBuf, f64, f64)>| v.into_iter().map(|(p, _, _)| p).collect();
    Ok(Pieces {
        film: paths(film),
        voice: paths(voice),
        music: paths(music),
    })
}

fn is_builtin(m: &crate::timeline::Music) -> bool {
    m.source == crate::timeline::MusicSource::Builtin
}

/// A piece read back and trimmed or padded to exactly `len_s`.
fn fitted(path: &Path, len_s: f64) -> Result<Stereo> {
    let mut a = wav::read_wav(path)?;
    let n = sample_at(len_s).max(0) as usize;
    a.left.resize(n, 0.0);
    a.right.resize(n, 0.0);
    Ok(a)
}

fn fade_edges(a: &mut Stereo, in_s: f64, out_s: f64) {
    let len = a.duration_s();
    let (i, o) = (in_s.min(len / 2.0), out_s.min(len / 2.0));
    a.ramp(0.0, i, 0.0, 1.0);
    a.ramp(len - o, len, 1.0, 0.0);
}

/// The music laid out on the timeline: the built-in bed as written (it was made for this timeline), or the
/// file's pieces with short fades at loop joins, silent through the silence beat, faded out at the end.
fn music_stem(tl: &Timeline, pieces: &[PathBuf]) -> Result<Stereo> {
    let mut out = Stereo::silent(tl.duration_s);
    let Some(m) = &tl.music else { return Ok(out) };
    if is_builtin(m) {
        let bed = wav::read_wav(Path::new(&m.path))?;
        out.mix_in(&bed, 0.0, 1.0);
    } else {
        for (p, path) in m.pieces.iter().zip(pieces) {
            let mut a = fitted(path, p.end_s - p.start_s)?;
            let len = a.duration_s();
            if p.start_s > 0.0 {
                a.ramp(0.0, LOOP_FADE_S, 0.0, 1.0);
            }
            if p.end_s < tl.duration_s {
                a.ramp(len - LOOP_FADE_S, len, 1.0, 0.0);
            }
            out.mix_in(&a, p.start_s, 1.0);
        }
        out.fade_out(m.fade_out_s);
    }
    for &[a, b] in &m.mutes {
        out.mute_smooth(a, b);
    }
    // Belt and braces for the silence beat: nothing of any stem plays there (the bed is silent there already).
    for s in tl.video.iter().filter(|s| s.kind == Kind::Silence) {
        out.mute(s.start_s, s.end_s);
    }
    Ok(out)
}

/// Sidechain the music under the dialogue key, then sum film, ducked music, effects and voice.
fn sum_stems(tools: &Tools, stems: &[PathBuf; 5], mixed: &Path, ducked: &Path, cancel: &Cancel) -> Result<()> {
    let d = &DUCK;
    let graph = format!(
        "[1:a][4:a]sidechaincompress=threshold={}:ratio={}:attack={}:release={}:level_sc={}:makeup=1,\
         asplit=2[duck][duckout];\
         [0:a][duck][2:a][3:a]amix=inputs=4:normalize=0:duration=first:dropout_transition=0[mix]",
        d.threshold, d.ratio, d.attack_ms, d.release_ms, d.level_sc
    );
    let mut cmd = FfCommand::ffmpeg(tools, "mixing the trailer's sound");
    for s in stems {
        cmd = cmd.input(s);
    }
    cmd.arg2("-filter_complex", graph)
        .args(["-map", "[mix]", "-c:a", "pcm_f32le", "-y"])
        .output(mixed)
        .args(["-map", "[duckout]", "-c:a", "pcm_f32le", "-y"])
        .output(ducked)
        .run(cancel, &mut |_| {})?;
    Ok(())
}

/// Gain, then a true-peak limiter: at 4× the rate the limiter sees the peaks between samples too.
fn limit(tools: &Tools, mixed: &Path, out: &Path, gain_db: f64, ceiling_dbtp: f64, cancel: &Cancel) -> Result<()> {
    let ceiling = db(ceiling_dbtp);
    let graph = format!(
        "volume={gain_db:.3}dB,aresample={}:filter_size=64,alimiter=limit={ceiling:.5}:attack=1:release=60:\
         level=0:latency=1,aresample={RATE}:filter_size=64,afade=t=in:d={START_FADE_S}",
        RATE * 4
    );
    FfCommand::ffmpeg(tools, "bringing the trailer's sound to its loudness")
        .input(mixed)
        .arg2("-af", graph)
        .args(["-c:a", "pcm_f32le", "-y"])
        .output(out)
        .run(cancel, &mut |_| {})?;
    Ok(())
}

/// Integrated loudness (LUFS) and true peak (dBTP) of a stem; −∞ for silence.
pub(crate) fn loudness(a: &Stereo) -> (f64, f64) {
    let Ok(mut meter) = ebur128::EbuR128::new(2, RATE, ebur128::Mode::I | ebur128::Mode::TRUE_PEAK) else {
        return (f64::NEG_INFINITY, f64::NEG_INFINITY);
    };
    if meter.add_frames_planar_f32(&[&a.left, &a.right]).is_err() {
        return (f64::NEG_INFINITY, f64::NEG_INFINITY);
    }
    let i = meter.loudness_global().unwrap_or(f64::NEG_INFINITY);
    let tp = (0..2).filter_map(|c| meter.true_peak(c).ok()).fold(0.0f64, f64::max);
    (i, 20.0 * tp.max(1e-10).log10())
}

/// The gain that brings a stem to `reference` LUFS; none for a silent stem.
fn reference_gain(a: &Stereo, reference: f64) -> f64 {
    let (i, _) = loudness(a);
    if i.is_finite() && i > -70.0 {
        (reference - i).clamp(-MAX_STEM_GAIN_DB, MAX_STEM_GAIN_DB)
    } else {
        0.0
    }
}

fn db(gain_db: f64) -> f32 {
    10f64.powf(gain_db / 20.0) as f32
}
