//! Stage `keyframes`: the moments later stages look at, and their pictures.
//!
//! Times (pure, `choose_times`): each subtitle's midpoint, each shot's midpoint, and a fill point every 30 s
//! wherever the story has a longer gap (before the first point and after the last too); points closer than
//! 0.5 s merge (a subtitle point wins); nothing inside the opening logos or the end credits (`spans`).
//! Pictures: JPEGs about 480 px high, cut from the proxy in ONE FFmpeg pass (a `select` of the proxy frames
//! needed), never one process per keyframe. Paths in `keyframes.json` are relative to the work dir.
//!
//! Overlay text (`overlay`): the text measured in the analysis pass is followed into candidate spans; the middle
//! frame of each is cut from the proxy (in one more FFmpeg pass), cropped to its text, doubled in size and read
//! by Tesseract (one run for all) when it is installed. The spans go into `analysis/spans.json` beside the story
//! spans, whose end-credits rule they inform (credits are found on any ground, not only a dark one).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::analysis::{self, ShotList};
use super::columns::per_second;
use super::dialogue::{DIALOGUE, Dialogue};
use super::overlay::{FilmInfo, TextKind};
use super::read_text;
use super::shots::Shot;
use super::spans::{self, Second, StorySpans};
use super::subtitles::DialogueEvent;
use crate::cancel::Cancel;
use crate::error::{Error, IoContext, Result};
use crate::media::{FfCommand, Tools, filter_value, image2_pattern};
use crate::workdir::{Progress, Unit, WorkDir};

pub(crate) const KEYFRAMES: &str = "keyframes.json";
pub(crate) const IMAGES: &str = "keyframes";
pub(crate) const SPANS: &str = "analysis/spans.json";
pub(crate) const VERSION: u32 = 3;

const FILL_EVERY_S: f64 = 30.0;
const MERGE_WITHIN_S: f64 = 0.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyframeSource {
    SubtitleMidpoint,
    ShotMidpoint,
    IntervalFill,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keyframe {
    pub time_s: f64,
    pub source: KeyframeSource,
    /// Id of the shot the time falls in.
    pub shot: usize,
    /// JPEG path relative to the work dir.
    pub image: String,
}

/// `keyframes.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct KeyframeList {
    pub keyframes: Vec<Keyframe>,
}

/// The keyframe times, sorted (see the module doc).
pub(crate) fn choose_times(
    dialogue: &[DialogueEvent],
    shots: &[Shot],
    spans: &StorySpans,
) -> Vec<(f64, KeyframeSource)> {
    let mut points: Vec<(f64, KeyframeSource)> = dialogue
        .iter()
        .map(|e| ((e.start_s + e.end_s) / 2.0, KeyframeSource::SubtitleMidpoint))
        .chain(
            shots
                .iter()
                .map(|s| ((s.start_s + s.end_s) / 2.0, KeyframeSource::ShotMidpoint)),
        )
        .filter(|(t, _)| t.is_finite() && spans.story.contains(*t) && !spans.excluded(*t))
        .collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut merged: Vec<(f64, KeyframeSource)> = Vec::with_capacity(points.len());
    for p in points {
        match merged.last_mut() {
            Some(last) if p.0 - last.0 < MERGE_WITHIN_S => {
                if p.1 == KeyframeSource::SubtitleMidpoint && last.1 != KeyframeSource::SubtitleMidpoint {
                    *last = p;
                }
            }
            _ => merged.push(p),
        }
    }
    // Fill the gaps, the story's two ends included.
    let mut out = Vec::with_capacity(merged.len());
    let mut prev = spans.story.start_s;
    for p in merged
        .iter()
        .copied()
        .chain(std::iter::once((spans.story.end_s, KeyframeSource::IntervalFill)))
    {
        let mut t = prev + FILL_EVERY_S;
        while p.0 - prev > FILL_EVERY_S && t < p.0 - MERGE_WITHIN_S {
            out.push((t, KeyframeSource::IntervalFill));
            t += FILL_EVERY_S;
        }
        prev = p.0;
        out.push(p);
    }
    out.pop(); // the story's end was only a fence post
    out
}

/// Id of the shot that contains `t` (the last shot starting at or before it).
fn shot_at(shots: &[Shot], t: f64) -> usize {
    let i = shots.partition_point(|s| s.start_s <= t);
    shots.get(i.saturating_sub(1)).map_or(0, |s| s.id)
}

/// Average the stored per-frame signals into whole seconds of film.
fn seconds(work: &WorkDir, list: &ShotList, duration_s: f64) -> Result<Vec<Second>> {
    let n = duration_s.ceil().max(1.0) as usize;
    let cols = per_second(work.root(), analysis::FRAMES, &["dark", "brightness"], list.offset_s, n)?;
    Ok(cols[0]
        .iter()
        .zip(&cols[1])
        .map(|(&dark, &brightness)| Second {
            dark,
            brightness,
            text: false,
        })
        .collect())
}

pub(crate) const VERSIONS: &[u32] = &[VERSION];

/// The list, the spans and every image the list names.
pub(crate) fn outputs_present(work: &WorkDir) -> bool {
    let present = |rel: &str| work.path(rel).is_file();
    present(KEYFRAMES)
        && present(SPANS)
        && work
            .read_json::<KeyframeList>(KEYFRAMES)
            .is_ok_and(|l| l.keyframes.iter().all(|k| present(&k.image)))
}

/// What stage `keyframes` reads besides the analysis: the film's length (0 when the container does not say) and
/// the proxy's frame rate, to find a time's frame in it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Inputs {
    pub duration_s: f64,
    pub proxy_fps: u32,
    /// The film's title as the card would show it: the title treatment is recognised by its words.
    pub title: String,
    /// Tesseract, which reads the text (`Ocr::locate`); without it text is judged on the picture alone.
    pub tesseract: Option<PathBuf>,
}

pub(crate) fn run(
    tools: &Tools,
    inputs: &Inputs,
    work: &WorkDir,
    cancel: &Cancel,
    progress: &mut dyn Progress,
) -> Result<(KeyframeList, StorySpans)> {
    let (duration_s, proxy_fps) = (inputs.duration_s, inputs.proxy_fps);
    let shots: ShotList = work.read_json(analysis::SHOTS)?;
    let dialogue: Dialogue = work.read_json(DIALOGUE)?;
    let duration_s = if duration_s > 0.0 {
        duration_s
    } else {
        shots.frames as f64 / shots.fps
    };
    let proxy = work.path(analysis::PROXY);
    progress.message("reading the text on screen");
    let film = FilmInfo {
        fps: inputs.proxy_fps as f64,
        duration_s,
        title: &inputs.title,
        dialogue: &dialogue.events,
    };
    let text = read_text::film_text(tools, work, inputs.tesseract.as_deref(), &film, cancel)?;
    let burned = text.iter().filter(|s| s.kind == TextKind::Subtitles).count();
    if burned > 0 {
        tracing::warn!(
            "the film has subtitles burned into its picture ({burned} stretches of lower-third text over its \
             dialogue): its clips will show them; a copy of the film without them makes a cleaner trailer"
        );
    }
    let mut seconds = seconds(work, &shots, duration_s)?;
    for span in text.iter().filter(|s| s.kind != TextKind::Subtitles) {
        let (a, b) = (
            span.start_s.max(0.0) as usize,
            (span.end_s.ceil() as usize).min(seconds.len()),
        );
        seconds[a.min(b)..b].iter_mut().for_each(|s| s.text = true);
    }
    let mut story = spans::find(&seconds, &dialogue.events, &shots.shots, duration_s);
    story.text = text;
    work.write_json(SPANS, &story)?;

    let times = choose_times(&dialogue.events, &shots.shots, &story);
    let proxy_frames = probe_frames(tools, &proxy, cancel)?;
    let frame_of = |t: f64| ((t * proxy_fps as f64).round() as u64).min(proxy_frames.saturating_sub(1));
    let wanted: BTreeSet<u64> = times.iter().map(|(t, _)| frame_of(*t)).collect();
    progress.start(wanted.len() as u64, Unit::Items("images"));
    write_images(tools, work, &proxy, &wanted, cancel)?;
    progress.set(wanted.len() as u64);

    let keyframes = times
        .iter()
        .map(|&(t, source)| Keyframe {
            time_s: (t * 1000.0).round() / 1000.0,
            source,
            shot: shot_at(&shots.shots, t),
            image: image_name(frame_of(t)),
        })
        .collect();
    let list = KeyframeList { keyframes };
    work.write_json(KEYFRAMES, &list)?;
    Ok((list, story))
}

fn image_name(proxy_frame: u64) -> String {
    format!("{IMAGES}/kf_{proxy_frame:06}.jpg")
}

/// `a+b+c+d` as `((a)+(b))+((c)+(d))`: FFmpeg's expression parser recurses once per operator in a flat chain
/// and gives up after a few hundred; a balanced tree keeps the depth at log2 of the term count.
pub(super) fn balanced_sum(terms: &[String]) -> String {
    match terms {
        [] => "0".into(),
        [one] => one.clone(),
        _ => {
            let (a, b) = terms.split_at(terms.len() / 2);
            format!("({})+({})", balanced_sum(a), balanced_sum(b))
        }
    }
}

fn probe_frames(tools: &Tools, proxy: &Path, cancel: &Cancel) -> Result<u64> {
    let p = crate::media::probe(tools, proxy, cancel)?;
    p.video()
        .and_then(|v| v.nb_frames)
        .filter(|n| *n > 0)
        .ok_or_else(|| Error::Runtime(format!("{}: no frames; re-run with --fresh", proxy.display())))
}

/// One FFmpeg pass over the proxy writes every wanted frame; the folder is swapped in whole.
fn write_images(tools: &Tools, work: &WorkDir, proxy: &Path, wanted: &BTreeSet<u64>, cancel: &Cancel) -> Result<()> {
    let part = work.path(format!("{IMAGES}.part"));
    let _ = std::fs::remove_dir_all(&part);
    std::fs::create_dir_all(&part).at(&part, "cannot create")?;
    let terms: Vec<String> = wanted.iter().map(|n| format!("eq(n,{n})")).collect();
    // Thousands of terms: a script file keeps the command line short.
    let script = part.join("select.txt");
    std::fs::write(&script, format!("select=expr={}", filter_value(&balanced_sum(&terms))))
        .at(&script, "cannot write")?;
    FfCommand::ffmpeg(tools, "writing keyframe images")
        .input(proxy)
        .arg2("-filter_script:v", &script)
        .args(["-map", "0:v", "-fps_mode", "passthrough", "-q:v", "3", "-f", "image2"])
        .output(image2_pattern(&part, "out_%06d.jpg"))
        .run(cancel, &mut |_| {})?;
    std::fs::remove_file(&script).at(&script, "cannot remove")?;
    // FFmpeg numbers its outputs 1, 2, 3… in frame order; give each the proxy frame it came from.
    for (i, n) in wanted.iter().enumerate() {
        let from = part.join(format!("out_{:06}.jpg", i + 1));
        let to = work.path(image_name(*n).replacen(IMAGES, &format!("{IMAGES}.part"), 1));
        std::fs::rename(&from, &to).map_err(|e| {
            Error::Runtime(format!(
                "{}: FFmpeg wrote fewer keyframe images than asked ({e}); re-run with --fresh",
                from.display()
            ))
        })?;
    }
    let dest = work.path(IMAGES);
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::rename(&part, &dest).at(&dest, "cannot move into place")?;
    crate::workdir::sync_dir(work.root()).at(work.root(), "cannot sync")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::spans::Span;
    use crate::ingest::subtitles::Emotion;

    fn line(a: f64, b: f64) -> DialogueEvent {
        DialogueEvent {
            start_s: a,
            end_s: b,
            text: "x".into(),
            speaker: None,
            emotion: Emotion::Neutral,
            sound_cue: false,
        }
    }

    fn spans(end: f64, credits_from: Option<f64>) -> StorySpans {
        StorySpans {
            story: Span {
                start_s: 0.0,
                end_s: credits_from.unwrap_or(end),
            },
            opening_logos: None,
            end_credits: credits_from.map(|c| Span { start_s: c, end_s: end }),
            text: vec![],
        }
    }

    #[test]
    fn sums_are_balanced() {
        let t: Vec<String> = ["a", "b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(balanced_sum(&t), "(a)+((b)+(c))");
        assert_eq!(balanced_sum(&[]), "0");
    }

    #[test]
    fn merge_keeps_the_subtitle_point() {
        // Shot midpoint 10.0 and subtitle midpoint 10.2 merge into the subtitle one.
        let t = choose_times(&[line(9.7, 10.7)], &[Shot::at_24fps(0, 0.0, 20.0)], &spans(20.0, None));
        assert_eq!(t, vec![(10.2, KeyframeSource::SubtitleMidpoint)]);
    }

    #[test]
    fn gaps_are_filled_at_both_ends() {
        // One shot midpoint at 50 in a 120 s story: fill at 30 before it, 80 and 110 after it.
        let t = choose_times(&[], &[Shot::at_24fps(0, 40.0, 60.0)], &spans(120.0, None));
        let times: Vec<f64> = t.iter().map(|p| p.0).collect();
        assert_eq!(times, vec![30.0, 50.0, 80.0, 110.0]);
        assert_eq!(t[0].1, KeyframeSource::IntervalFill);
    }

    #[test]
    fn nothing_from_the_credits() {
        let shots = [
            Shot::at_24fps(0, 0.0, 10.0),
            Shot::at_24fps(1, 10.0, 100.0),
            Shot::at_24fps(2, 100.0, 200.0),
        ];
        let t = choose_times(&[line(150.0, 152.0)], &shots, &spans(200.0, Some(90.0)));
        assert!(t.iter().all(|p| p.0 < 90.0), "{t:?}");
        assert_eq!(shot_at(&shots, 55.0), 1);
        assert_eq!(shot_at(&shots, 0.0), 0);
    }
}
