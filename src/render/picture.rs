//! The picture's pieces rendered with FFmpeg, and their cache.
//!
//! Each piece is one FFmpeg run: input seeking into the source (only the piece's frames and the GOP before them
//! are decoded), the frame rate, size and SAR of the trailer, the grade (`lut3d`, tetrahedral, in RGB converted
//! with the source's matrix), fades or a dissolve, encoded with the trailer's exact x264 settings. Pieces
//! are named by a key of everything that makes their pixels (`render/pieces/<key>.mp4`), written as `.part` and
//! renamed when complete, so a piece on disk is always whole and an edited manifest re-renders only what
//! changed. The pieces are then joined without re-encoding (`concat`), which works because every piece has
//! the same parameter sets (same size, rate, profile and settings).

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::mpsc;
use std::time::Duration;

use super::card::{self, Card};
use super::format::{CRF, FrameSize};
use super::grade::Colour;
use super::plan::{Fade, Piece, Recipe, Window};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::media::{FfCommand, Rate, Tools};
use crate::workdir::{PartFile, WorkDir, atomic_write};

/// Bump when the pixels of the same piece change.
pub(super) const VERSION: u32 = 1;
pub(super) const PIECES: &str = "render/pieces";
/// One frame out per frame in, at the film's rate; only frames flagged interlaced are touched.
const DEINTERLACE: &str = "bwdif=mode=send_frame:parity=auto:deint=interlaced";

/// How every piece is rendered.
pub(super) struct Settings<'a> {
    pub source: &'a Path,
    /// The source's content fingerprint (size and a hash of its ends): a replaced film re-renders, a copied or
    /// touched one does not.
    pub source_id: Option<String>,
    /// The source's frame rate: seeks aim half a frame early, so rounding in a manifest's times never skips the
    /// frame they name.
    pub source_fps: f64,
    /// Pieces of different vibes live side by side in the cache (named `<vibe>-<key>.mp4`).
    pub vibe: &'a str,
    /// FFmpeg's version: pieces joined without re-encoding must come from the same encoder.
    pub ffmpeg_version: &'a str,
    pub size: FrameSize,
    pub rate: Rate,
    pub preset: &'a str,
    pub colour: &'a Colour,
    /// The `.cube` file and its content key; `None` for `--no-grade`.
    pub lut: Option<(&'a Path, &'a str)>,
    /// The film's own pixel count: when the trailer is larger, the grade runs before the upscale (fewer pixels).
    pub source_pixels: u64,
    /// The film is interlaced: its frames are deinterlaced first (a trailer is progressive, and woven fields
    /// comb on every movement).
    pub deinterlace: bool,
}

impl Settings<'_> {
    /// The file name of a piece: a hash of its recipe and of everything in the settings that changes pixels.
    pub(super) fn key(&self, piece: &Piece) -> String {
        // Black and the typeset card use neither the film nor the grade.
        let film = piece.recipe.uses_film();
        let mut key = serde_json::json!({
            "v": VERSION,
            "piece": piece,
            "source": film.then_some((self.source, &self.source_id, self.source_fps)),
            "lut": piece.recipe.graded().then(|| self.lut.map(|(_, k)| k)),
            "size": self.size,
            "rate": self.rate,
            "x264": (self.preset, CRF, self.ffmpeg_version),
            "colour": self.colour.output_args(),
        });
        // Only when set, so the pieces of every progressive film keep their names.
        if film && self.deinterlace {
            key["deinterlace"] = DEINTERLACE.into();
        }
        blake3::hash(key.to_string().as_bytes()).to_hex()[..32].to_string()
    }

    /// Where a seek for film time `t` aims: half a frame early, so the frame at `t` is the first one kept even
    /// when `t` was rounded a little past it.
    fn seek(&self, t: f64) -> String {
        format!("{:.6}", (t - 0.5 / self.source_fps.max(1.0)).max(0.0))
    }

    fn x264_args(&self) -> Vec<String> {
        let mut a: Vec<String> = ["-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-crf"]
            .map(String::from)
            .to_vec();
        a.push(CRF.to_string());
        a.extend(["-preset".into(), self.preset.into()]);
        a.extend(self.colour.output_args());
        a.extend(["-r".into(), self.rate.ffmpeg()]);
        a.extend(["-video_track_timescale".into(), self.rate.timescale().to_string()]);
        a
    }

    fn upscaling(&self) -> bool {
        (self.size.picture_width as u64 * self.size.picture_height as u64) > self.source_pixels
    }
}

/// A piece's file in the work dir.
pub(super) fn piece_path(work: &WorkDir, vibe: &str, key: &str) -> PathBuf {
    work.path(format!("{PIECES}/{vibe}-{key}.mp4"))
}

/// Render every piece not already on disk, `jobs` at a time. `done` is told how many of the trailer's frames
/// are finished (rendered or found) as work goes on. Returns every piece's file and how many were rendered.
pub(super) fn render_missing(
    tools: &Tools,
    work: &WorkDir,
    pieces: &[Piece],
    s: &Settings,
    jobs: usize,
    cancel: &Cancel,
    done: &mut dyn FnMut(u64),
) -> Result<(Vec<PathBuf>, usize)> {
    work.subdir(PIECES)?;
    let paths: Vec<PathBuf> = pieces.iter().map(|p| piece_path(work, s.vibe, &s.key(p))).collect();
    // A piece the trailer plays twice (the same clip booked twice) is rendered once.
    let mut seen = std::collections::HashSet::new();
    let todo: Vec<usize> = (0..pieces.len())
        .filter(|&i| !paths[i].is_file() && seen.insert(&paths[i]))
        .collect();
    let rendered = todo.len();
    let mut finished: u64 = pieces
        .iter()
        .enumerate()
        .filter(|(i, _)| !todo.contains(i))
        .map(|(_, piece)| piece.frames)
        .sum();
    done(finished);

    // The pool stops at the first failure or when the user cancels; the main thread relays progress.
    let stop = Cancel::new();
    let queue = Mutex::new(todo.into_iter());
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let (tx, rx) = mpsc::channel::<(usize, u64, bool)>();
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            let tx = tx.clone();
            let (queue, failure, stop, paths) = (&queue, &failure, &stop, &paths);
            scope.spawn(move || {
                loop {
                    let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                    let Some(i) = next.filter(|_| !stop.is_cancelled()) else {
                        break;
                    };
                    let piece = &pieces[i];
                    let result = render_piece(tools, piece, &paths[i], s, stop, &mut |frames| {
                        let _ = tx.send((i, frames, false));
                    });
                    match result {
                        Ok(()) => {
                            let _ = tx.send((i, piece.frames, true));
                        }
                        // Stopped because another piece failed (or the user cancelled): not the cause.
                        Err(Error::Interrupted) if stop.is_cancelled() => break,
                        Err(e) => {
                            if let Ok(mut f) = failure.lock() {
                                f.get_or_insert(e);
                            }
                            stop.cancel();
                            break;
                        }
                    }
                }
            });
        }
        drop(tx);
        let mut partial = std::collections::HashMap::new();
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok((i, frames, complete)) => {
                    if complete {
                        partial.remove(&i);
                        finished += frames;
                    } else {
                        partial.insert(i, frames);
                    }
                    done(finished + partial.values().sum::<u64>());
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if cancel.is_cancelled() {
                stop.cancel();
            }
        }
    });
    cancel.check()?;
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    Ok((paths, rendered))
}

/// One piece: one FFmpeg run into `<key>.mp4.part`, renamed when complete.
fn render_piece(
    tools: &Tools,
    piece: &Piece,
    out: &Path,
    s: &Settings,
    cancel: &Cancel,
    progress: &mut dyn FnMut(u64),
) -> Result<()> {
    let mut cmd = FfCommand::ffmpeg(tools, "rendering a piece of the trailer's picture");
    let n = piece.frames;
    let graph = match &piece.recipe {
        Recipe::Black => format!("{},format=yuv420p[v]", black(s, n)),
        Recipe::Card { title, tagline, style } => {
            let dur_s = s.rate.time(n);
            let (w, h) = (s.size.width, s.size.height);
            let card = Card {
                title,
                tagline: tagline.as_deref(),
                style: *style,
            };
            let lines = card::layout(&card, w, h, dur_s);
            let stem = out.with_extension("");
            let mut files = Vec::with_capacity(lines.len());
            for (k, line) in lines.iter().enumerate() {
                let f = PathBuf::from(format!("{}.line{k}.txt", stem.display()));
                atomic_write(&f, line.text.as_bytes()).map_err(|e| Error::io(&f, "cannot write", e))?;
                files.push(f);
            }
            let text = card::filters(&lines, &files, w, h, dur_s);
            format!("{},{text},format=yuv420p[v]", black(s, n))
        }
        Recipe::Clip {
            from_s,
            fade_in,
            fade_out,
        } => {
            let window = Window {
                from_s: *from_s,
                hold_before: 0,
                real: n,
            };
            let (c, graph) = film_frames(cmd, &window, n, s, true, [fade_in.as_ref(), fade_out.as_ref()]);
            cmd = c;
            graph
        }
        Recipe::FilmTitle {
            window,
            fade: f,
            graded,
        } => {
            let (c, graph) = film_frames(cmd, window, n, s, *graded, [Some(f), Some(f)]);
            cmd = c;
            graph
        }
        Recipe::Dissolve { a, b } => {
            for w in [a, b] {
                cmd = cmd
                    .arg2("-ss", s.seek(w.from_s))
                    .arg2("-t", read_for(s, w.real))
                    .input(s.source);
            }
            format!(
                "{}[a];{}[b];[a][b]xfade=transition=fade:duration={:.6}:offset=0{}{},format=yuv420p[v]",
                window_chain(0, a, n, s, false),
                window_chain(1, b, n, s, false),
                s.rate.time(n),
                grade(s),
                pad(s),
            )
        }
    };
    let part = PartFile::new(out);
    cmd.arg2("-filter_complex", graph)
        .args(["-map", "[v]", "-an", "-sn", "-dn"])
        .args(s.x264_args())
        .args(["-f", "mp4", "-y"])
        .output(part.part_path())
        .run(cancel, &mut |p| {
            if let Some(f) = p.frame {
                progress(f.min(n));
            }
        })?;
    // FFmpeg can succeed with fewer frames than asked (a seek past the end of the video): such a piece never
    // enters the cache.
    let got = count_frames(tools, part.part_path(), cancel)?;
    if got != n {
        return Err(Error::Runtime(format!(
            "a piece of the picture came out with {got} frames instead of {n} (from {}); \
             check that the film's video runs as long as the manifest's clips",
            s.source.display()
        )));
    }
    part.commit()?;
    Ok(())
}

/// How long to read the film for `frames` frames: half a second more, so the last is never cut short.
fn read_for(s: &Settings, frames: u64) -> String {
    format!("{:.6}", s.rate.time(frames) + 0.5)
}

/// `n` frames of the film's `window` (its last frame held past it), faded in and out, graded or not: a clip's
/// piece and the film's title shot.
fn film_frames(
    cmd: FfCommand,
    window: &Window,
    n: u64,
    s: &Settings,
    graded: bool,
    [fade_in, fade_out]: [Option<&Fade>; 2],
) -> (FfCommand, String) {
    let cmd = cmd
        .arg2("-ss", s.seek(window.from_s))
        .arg2("-t", read_for(s, window.real))
        .input(s.source);
    let graph = format!(
        "{}{}{}{},format=yuv420p[v]",
        window_chain(0, window, n, s, graded),
        pad(s),
        fade("in", fade_in, 0),
        fade("out", fade_out, n),
    );
    (cmd, graph)
}

/// Frames in a file's video stream, from its packets (no decoding).
pub(super) fn count_frames(tools: &Tools, file: &Path, cancel: &Cancel) -> Result<u64> {
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

fn black(s: &Settings, n: u64) -> String {
    format!(
        "color=c=black:s={}x{}:r={},trim=end_frame={n},setsar=1",
        s.size.width,
        s.size.height,
        s.rate.ffmpeg()
    )
}

/// Input `input`'s frames for a window, on the trailer's frame grid, at the picture's size; graded here when
/// `with_grade` (a dissolve grades once, after the blend).
fn window_chain(input: usize, w: &Window, n: u64, s: &Settings, with_grade: bool) -> String {
    // Frames past the film's end (or the window's) repeat the last one, so the piece keeps its length.
    let frames = format!(
        "[{input}:v:0]{}setpts=PTS-STARTPTS,fps={},trim=end_frame={},\
         tpad=start_mode=clone:start={}:stop_mode=clone:stop=-1,trim=end_frame={n},setpts=PTS-STARTPTS",
        if s.deinterlace {
            format!("{DEINTERLACE},")
        } else {
            String::new()
        },
        s.rate.ffmpeg(),
        w.real.max(1),
        w.hold_before,
    );
    let (w, h) = (s.size.picture_width, s.size.picture_height);
    // Always to tv range: a full-range source is converted here, once.
    let scale = format!(",scale={w}:{h}:flags=bicubic:out_range=tv,setsar=1");
    match (with_grade, s.lut) {
        (true, Some(_)) if s.upscaling() => format!("{frames}{}{scale}", grade(s)),
        // Resized and converted to RGB in one pass.
        (true, Some((lut, _))) => format!("{frames},{},setsar=1", s.colour.grade_filters_with_scale(w, h, lut)),
        _ => format!("{frames}{scale}"),
    }
}

/// The grade, from and back to YUV with the source's matrix; nothing with `--no-grade`.
fn grade(s: &Settings) -> String {
    match s.lut {
        Some((file, _)) => format!(",{}", s.colour.grade_filters(file)),
        None => String::new(),
    }
}

/// Black bars around a picture smaller than the frame (`--resolution WxH` of another shape).
fn pad(s: &Settings) -> String {
    let z = &s.size;
    if !z.letterboxed() {
        return String::new();
    }
    // Even offsets keep the chroma planes aligned.
    let x = ((z.width - z.picture_width) / 2) & !1;
    let y = ((z.height - z.picture_height) / 2) & !1;
    format!(",pad=w={}:h={}:x={x}:y={y}:color=black", z.width, z.height)
}

/// A fade at the start (`in`) or the end (`out`) of an `n`-frame piece, counted in frames: the piece's first
/// (or last) frame is fully black or white.
fn fade(dir: &str, f: Option<&Fade>, n: u64) -> String {
    let Some(f) = f else { return String::new() };
    let start = if dir == "in" { 0 } else { n.saturating_sub(f.frames + 1) };
    let color = if f.white { "white" } else { "black" };
    format!(",fade=t={dir}:s={start}:n={}:color={color}", f.frames)
}

/// The concat demuxer's list: each piece with its exact duration. The durations are differences of rounded
/// running totals, so rounding to the microsecond never adds up over many pieces.
pub(super) fn concat_list(paths: &[PathBuf], pieces: &[Piece], rate: Rate) -> String {
    let us = |frame: u64| (rate.time(frame) * 1e6).round() as u64;
    let mut out = String::from("ffconcat version 1.0\n");
    for (path, piece) in paths.iter().zip(pieces) {
        let d = us(piece.start_frame + piece.frames) - us(piece.start_frame);
        // Inside single quotes only `'` needs escaping ('\'').
        let quoted = path.to_string_lossy().replace('\'', "'\\''");
        out.push_str(&format!(
            "file '{quoted}'\nduration {}.{:06}\n",
            d / 1_000_000,
            d % 1_000_000
        ));
    }
    out
}

/// Empty the render cache (`--fresh` redoes everything, the rendered pieces included).
pub(crate) fn clear_cache(work: &WorkDir) {
    let _ = std::fs::remove_dir_all(work.path(PIECES));
}

/// Remove this vibe's pieces (and their stray `.part` and card text files) that the current trailer does not
/// use: earlier versions of edited clips. Other vibes' pieces stay, so switching back is quick.
pub(super) fn sweep(work: &WorkDir, vibe: &str, keep: &[PathBuf]) {
    let Ok(entries) = std::fs::read_dir(work.path(PIECES)) else {
        return;
    };
    let keep: std::collections::HashSet<String> = keep
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .collect();
    let prefix = format!("{vibe}-");
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        // `<vibe>-<hex key>` before the first dot (vibe names have no dots).
        let stem = name.split('.').next().unwrap_or_default();
        let ours = stem
            .strip_prefix(&prefix)
            .is_some_and(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_hexdigit()));
        if ours && !keep.contains(stem) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_durations_never_drift() {
        let rate = Rate::new(24000, 1001);
        let pieces: Vec<Piece> = (0..1000)
            .map(|i| Piece {
                start_frame: i * 7,
                frames: 7,
                recipe: Recipe::Black,
            })
            .collect();
        let paths: Vec<PathBuf> = (0..1000).map(|i| PathBuf::from(format!("/w/it's {i}.mp4"))).collect();
        let list = concat_list(&paths, &pieces, rate);
        assert!(list.contains("file '/w/it'\\''s 0.mp4'"));
        let total_us: u64 = list
            .lines()
            .filter_map(|l| l.strip_prefix("duration "))
            .map(|d| (d.parse::<f64>().unwrap() * 1e6).round() as u64)
            .sum();
        let exact = rate.time(7000) * 1e6;
        assert!((total_us as f64 - exact).abs() <= 1.0, "{total_us} vs {exact}");
    }
}
