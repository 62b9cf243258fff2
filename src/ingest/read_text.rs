//! The edge of the overlay-text finder: frames out of FFmpeg, text boxes cut out of them, Tesseract reading them.
//! Two callers: stage `keyframes`, which has the analysis pass's per-frame measure and cuts the frames it needs
//! from the proxy (one FFmpeg pass); and `overlay_text_in`, which measures any video from scratch (a rendered
//! trailer, for the tests' check that none of a film's own text reached it).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::analysis;
use super::columns::ColumnsReader;
use super::keyframes::balanced_sum;
use super::overlay::{self, FilmInfo, Reading, TextSpan, Track};
use super::subtitles::DialogueEvent;
use super::text::{TextDetector, TextFrame};
use crate::cancel::Cancel;
use crate::error::{Error, IoContext, Result};
use crate::media::{FfCommand, Ocr, Tools, filter_value};
use crate::workdir::WorkDir;

/// The rate and height text is measured at (the proxy's).
const FPS: u32 = 2;
const HEIGHT: usize = 480;
/// Margin around a text box when it is cut out for reading, as a share of the frame.
const CROP_MARGIN: f32 = 0.02;
/// Cut-outs are read at twice the proxy's size: Tesseract reads best with capitals 20–30 px high.
const READ_SCALE: usize = 2;
/// A box taller than this (shares of the frame: a block of credits, a roll) is read in a band this high across
/// its middle: a few lines show whether it is text, and a whole screen of credits takes Tesseract many seconds.
const READ_BAND: f32 = 0.2;
/// A line's box is read this many of its own heights wider on each side: a designed title's wide letter gaps
/// can leave its first and last letters outside the measured box ("ARS OF STE").
const WIDEN: f32 = 3.0;

/// Grey frames by index, all `w`×`h`.
struct Frames {
    w: usize,
    h: usize,
    by_index: BTreeMap<u64, Vec<u8>>,
}

/// Stage `keyframes`: the film's overlay text, from the analysis pass's measure and its proxy.
pub(super) fn film_text(
    tools: &Tools,
    work: &WorkDir,
    tesseract: Option<&Path>,
    film: &FilmInfo,
    cancel: &Cancel,
) -> Result<Vec<TextSpan>> {
    let mut reader = ColumnsReader::open(work.root(), analysis::TEXT)?;
    let (mut rows, mut row) = (Vec::new(), Vec::new());
    while reader.next_row(&mut row)? {
        rows.push(TextFrame::from_row(&row));
    }
    let tracks = overlay::tracks(&rows);
    let readings = match tesseract {
        Some(program) if !tracks.is_empty() => {
            let frames = proxy_frames(tools, work, &tracks, cancel)?;
            let scratch = work.path(format!("{}.ocr", analysis::TEXT));
            read(&Ocr::new(program.to_path_buf()), &tracks, &frames, &scratch, cancel)?
        }
        _ => vec![None; tracks.len()],
    };
    Ok(overlay::spans(&tracks, &readings, film))
}

/// The overlay text of any video, measured from scratch at 2 fps and 480 px and read when Tesseract is found.
/// `title` is the film's, to tell its title treatment.
pub fn overlay_text_in(tools: &Tools, video: &Path, title: &str, cancel: &Cancel) -> Result<Vec<TextSpan>> {
    let p = crate::media::probe(tools, video, cancel)?;
    let (dw, dh) = p
        .video()
        .and_then(|v| v.display_size())
        .ok_or_else(|| Error::bad_input(video, "has no video stream", "pass a video file"))?;
    let w = (((HEIGHT as f64 * dw as f64 / dh.max(1) as f64) / 2.0).trunc() as usize * 2).max(2);
    let mut reader = FfCommand::ffmpeg(tools, "measuring the text on screen")
        .input(video)
        .arg2("-vf", format!("fps={FPS},scale=w={w}:h={HEIGHT},format=gray"))
        .args(["-an", "-f", "rawvideo", "pipe:1"])
        .spawn_reader()?;
    let mut detector = TextDetector::new(w, HEIGHT, FPS as f64);
    let mut frames = Frames {
        w,
        h: HEIGHT,
        by_index: BTreeMap::new(),
    };
    let (mut rows, mut buf) = (Vec::new(), vec![0u8; w * HEIGHT]);
    while reader.read_chunk(&mut buf)? {
        cancel.check()?;
        let f = detector.push(&buf);
        // Only frames with text can be a track's frame to read.
        if f.share > 0.0 {
            frames.by_index.insert(rows.len() as u64, buf.clone());
        }
        rows.push(f);
    }
    reader.finish(cancel)?;
    let tracks = overlay::tracks(&rows);
    let readings = match Ocr::locate() {
        Some(program) if !tracks.is_empty() => {
            let scratch = tempfile::tempdir().map_err(|e| Error::io(Path::new("/tmp"), "cannot make a temp dir", e))?;
            read(&Ocr::new(program), &tracks, &frames, scratch.path(), cancel)?
        }
        _ => vec![None; tracks.len()],
    };
    let film = FilmInfo {
        fps: FPS as f64,
        duration_s: rows.len() as f64 / FPS as f64,
        title,
        dialogue: &[] as &[DialogueEvent],
    };
    Ok(overlay::spans(&tracks, &readings, &film))
}

/// Each track's middle frame, cut from the proxy in one FFmpeg pass.
fn proxy_frames(tools: &Tools, work: &WorkDir, tracks: &[Track], cancel: &Cancel) -> Result<Frames> {
    let proxy = work.path(analysis::PROXY);
    let p = crate::media::probe(tools, &proxy, cancel)?;
    let (w, h) = p
        .video()
        .and_then(|v| Some((v.width? as usize, v.height? as usize)))
        .ok_or_else(|| Error::Runtime(format!("{}: no picture size; re-run with --fresh", proxy.display())))?;
    let wanted: std::collections::BTreeSet<u64> = tracks.iter().map(|t| t.middle() as u64).collect();
    let terms: Vec<String> = wanted.iter().map(|n| format!("eq(n,{n})")).collect();
    let mut reader = FfCommand::ffmpeg(tools, "cutting out the text on screen")
        .input(&proxy)
        .arg2(
            "-vf",
            format!("select=expr={},format=gray", filter_value(&balanced_sum(&terms))),
        )
        .args(["-map", "0:v", "-fps_mode", "passthrough", "-f", "rawvideo", "pipe:1"])
        .spawn_reader()?;
    let mut frames = Frames {
        w,
        h,
        by_index: BTreeMap::new(),
    };
    let mut grey = vec![0u8; w * h];
    // FFmpeg hands the selected frames back in order, each once.
    for &n in &wanted {
        if !reader.read_chunk(&mut grey)? {
            break;
        }
        frames.by_index.insert(n, grey.clone());
    }
    reader.finish(cancel)?;
    Ok(frames)
}

/// Each track's frame nearest its middle, cut to its text with a margin and doubled, read in one Tesseract
/// run. A line is cut twice, to its box and `WIDEN`ed, and the better reading kept: the wide cut finds a
/// title's outer letters on a plain ground, the narrow one keeps a caption over busy footage legible. `None`
/// for a track with no frame to read.
fn read(ocr: &Ocr, tracks: &[Track], frames: &Frames, scratch: &Path, cancel: &Cancel) -> Result<Vec<Option<Reading>>> {
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).at(scratch, "cannot create")?;
    let mut files: Vec<(usize, PathBuf)> = Vec::new();
    for (i, t) in tracks.iter().enumerate() {
        let mid = t.middle() as u64;
        let Some(frame) = frames
            .by_index
            .range(t.first as u64..=t.last as u64)
            .min_by_key(|(n, _)| n.abs_diff(mid))
            .map(|(_, f)| f)
        else {
            continue;
        };
        let line = t.bbox[3] - t.bbox[1] <= READ_BAND;
        for widen in if line { &[0.0, WIDEN][..] } else { &[0.0][..] } {
            let path = scratch.join(format!("track_{i:04}_{}.pgm", *widen as u32));
            let (cw, ch, pixels) = crop_doubled(frame, frames.w, frames.h, t.bbox, *widen);
            let mut bytes = format!("P5\n{cw} {ch}\n255\n").into_bytes();
            bytes.extend_from_slice(&pixels);
            std::fs::write(&path, bytes).at(&path, "cannot write")?;
            files.push((i, path));
        }
    }
    let paths: Vec<PathBuf> = files.iter().map(|(_, p)| p.clone()).collect();
    let read = ocr.read(&paths, scratch, cancel);
    let _ = std::fs::remove_dir_all(scratch);
    let mut out: Vec<Option<Reading>> = vec![None; tracks.len()];
    for ((i, _), words) in files.iter().zip(read?) {
        let reading = Reading { words };
        if out[*i]
            .as_ref()
            .is_none_or(|r| reading.sure_letters() > r.sure_letters())
        {
            out[*i] = Some(reading);
        }
    }
    Ok(out)
}

/// The box (shares of the frame) with `CROP_MARGIN` around it, cut from a `w`×`h` grey frame and scaled up
/// `READ_SCALE` times (each pixel repeated: sharp edges read better than blurred ones). A box taller than
/// `READ_BAND` is cut to a band across its middle; a line is widened `widen` of its heights each side.
fn crop_doubled(frame: &[u8], w: usize, h: usize, mut bbox: [f32; 4], widen: f32) -> (usize, usize, Vec<u8>) {
    let tall = bbox[3] - bbox[1];
    if tall > READ_BAND {
        let mid = (bbox[1] + bbox[3]) / 2.0;
        (bbox[1], bbox[3]) = (mid - READ_BAND / 2.0, mid + READ_BAND / 2.0);
    } else {
        let wider = widen * tall * h as f32 / w as f32;
        (bbox[0], bbox[2]) = (bbox[0] - wider, bbox[2] + wider);
    }
    let px = |v: f32, size: usize| ((v.clamp(0.0, 1.0) * size as f32).round() as usize).min(size - 1);
    let (x0, y0) = (px(bbox[0] - CROP_MARGIN, w), px(bbox[1] - CROP_MARGIN, h));
    let (x1, y1) = (
        px(bbox[2] + CROP_MARGIN, w).max(x0) + 1,
        px(bbox[3] + CROP_MARGIN, h).max(y0) + 1,
    );
    let (cw, ch) = ((x1 - x0) * READ_SCALE, (y1 - y0) * READ_SCALE);
    let mut out = Vec::with_capacity(cw * ch);
    for y in 0..ch {
        let row = &frame[(y0 + y / READ_SCALE) * w..];
        out.extend((0..cw).map(|x| row[x0 + x / READ_SCALE]));
    }
    (cw, ch, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crop_is_the_box_with_its_margin_doubled() {
        let (w, h) = (100, 50);
        let frame: Vec<u8> = (0..w * h).map(|i| (i % w) as u8).collect();
        let (cw, ch, px) = crop_doubled(&frame, w, h, [0.5, 0.5, 0.6, 0.6], 0.0);
        // x 48..=62 (15 px), y 24..=31 (8 px), doubled.
        assert_eq!((cw, ch), (30, 16));
        assert_eq!((px[0], px[1], px[2], px[29]), (48, 48, 49, 62));
        let (cw, _, px) = crop_doubled(&frame, w, h, [0.5, 0.5, 0.6, 0.6], WIDEN);
        // A line 5 px high widened by 15 px each side: x 33..=77 (45 px).
        assert_eq!((cw, px[0], px[89]), (90, 33, 77));
        let (_, ch, _) = crop_doubled(&frame, w, h, [0.0, 0.0, 1.0, 1.0], WIDEN);
        assert_eq!(ch, 2 * 13, "a full-frame box is read in a band");
    }
}
