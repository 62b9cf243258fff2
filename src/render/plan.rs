//! The picture as pieces: stretches of whole frames, each rendered by one FFmpeg run into its own file and
//! named by a key of everything that makes its pixels, so re-rendering an edited manifest redoes only the
//! pieces that changed. Pure: a timeline in, a list of pieces out.
//!
//! A hard cut or a fade ends a piece (fades are drawn inside the clip's own piece). A crossfade is a piece of
//! its own, centred on the cut, blending the end of one clip into the start of the next; so changing a clip
//! re-renders its piece and the dissolves that touch it, never its neighbours.

use serde::Serialize;

use crate::story::{TitleStyle, Transition};
use crate::timeline::{Kind, Segment, Timeline};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Fade {
    pub frames: u64,
    /// To or from white instead of black.
    pub white: bool,
}

/// Film frames for one side of a dissolve: the first frame held `hold_before` times, then `real` frames from
/// `from_s`, then the last held to the end of the piece (where the shot ends before the blend does).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Window {
    pub from_s: f64,
    pub hold_before: u64,
    pub real: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(super) enum Recipe {
    /// The silence beat.
    Black,
    Card {
        title: String,
        tagline: Option<String>,
        style: TitleStyle,
    },
    /// Film frames from `from_s` on (the last held if the film ends first), faded at either end.
    Clip {
        from_s: f64,
        fade_in: Option<Fade>,
        fade_out: Option<Fade>,
    },
    /// `a` dissolves into `b` over the whole piece.
    Dissolve { a: Window, b: Window },
    /// The film's own title shot as the title card, faded in from and out to black; graded only when the grade
    /// keeps it legible.
    FilmTitle { window: Window, fade: Fade, graded: bool },
}

impl Recipe {
    /// Film pictures are graded; black and the typeset card are not (a lifted black would turn grey).
    pub(super) fn graded(&self) -> bool {
        match self {
            Recipe::Clip { .. } | Recipe::Dissolve { .. } => true,
            Recipe::FilmTitle { graded, .. } => *graded,
            Recipe::Black | Recipe::Card { .. } => false,
        }
    }

    /// Its pixels come from the film.
    pub(super) fn uses_film(&self) -> bool {
        !matches!(self, Recipe::Black | Recipe::Card { .. })
    }
}

/// The film's title shot fades in and out over this long (at most a quarter of the card each).
const TITLE_FADE_S: f64 = 0.5;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct Piece {
    /// Where it plays in the trailer (not part of its key: a piece that only moved is reused).
    #[serde(skip)]
    pub start_frame: u64,
    pub frames: u64,
    pub recipe: Recipe,
}

/// The pieces of the trailer's picture, in order, covering every frame once. `title_graded`: the grade keeps
/// the film's title shot legible.
pub(super) fn pieces(tl: &Timeline, title_graded: bool) -> Vec<Piece> {
    let fps = tl.fps;
    let v = &tl.video;
    let dissolve_half = |i: usize| match v.get(i) {
        Some(s) if s.transition_in == Transition::Crossfade => s.transition_frames / 2,
        _ => 0,
    };
    let fade = |s: &Segment| match s.transition_in {
        Transition::FadeToBlack | Transition::FadeToWhite if s.transition_frames >= 2 => Some(Fade {
            frames: s.transition_frames / 2,
            white: s.transition_in == Transition::FadeToWhite,
        }),
        _ => None,
    };
    let mut out = Vec::with_capacity(v.len() * 2);
    for (i, seg) in v.iter().enumerate() {
        let h_in = if i > 0 { dissolve_half(i) } else { 0 };
        if h_in > 0 {
            out.push(dissolve(&v[i - 1], seg, h_in, fps));
        }
        let h_out = dissolve_half(i + 1);
        let (start, end) = (seg.start_frame + h_in, seg.end_frame - h_out);
        if end <= start {
            continue;
        }
        let recipe = match (seg.kind, seg.source_start_s) {
            (Kind::Title, _) if let Some([from, to]) = seg.title_shot_s => {
                let n = end - start;
                Recipe::FilmTitle {
                    window: Window {
                        from_s: round_us(from),
                        hold_before: 0,
                        real: (((to - from) * fps).round() as u64).clamp(1, n),
                    },
                    fade: Fade {
                        frames: ((TITLE_FADE_S * fps).round() as u64).min(n / 4),
                        white: false,
                    },
                    graded: title_graded,
                }
            }
            (Kind::Clip | Kind::Button, Some(from)) => Recipe::Clip {
                from_s: round_us(from + h_in as f64 / fps),
                fade_in: if i > 0 { fade(seg) } else { None },
                fade_out: v.get(i + 1).and_then(fade),
            },
            (Kind::Title | Kind::Card, _) => Recipe::Card {
                title: seg.text.clone().unwrap_or_default(),
                tagline: seg.tagline.clone(),
                style: tl.title_style,
            },
            _ => Recipe::Black,
        };
        out.push(Piece {
            start_frame: start,
            frames: end - start,
            recipe,
        });
    }
    out
}

/// The dissolve centred on the cut into `b`: `h` frames either side.
fn dissolve(a: &Segment, b: &Segment, h: u64, fps: f64) -> Piece {
    let frames_of = |secs: f64| ((secs * fps) + 1e-6).floor() as u64;
    let (a_from, b_from) = (a.source_start_s.unwrap_or(0.0), b.source_start_s.unwrap_or(0.0));
    let a_after = frames_of(a.handle_after_s).min(h);
    let b_before = frames_of(b.handle_before_s).min(h);
    Piece {
        start_frame: b.start_frame - h,
        frames: 2 * h,
        recipe: Recipe::Dissolve {
            a: Window {
                from_s: round_us(a_from + (a.frames() - h) as f64 / fps),
                hold_before: 0,
                real: h + a_after,
            },
            b: Window {
                from_s: round_us(b_from - b_before as f64 / fps),
                hold_before: h - b_before,
                real: h + b_before,
            },
        },
    }
}

/// Times to the microsecond, so float noise never changes a piece's key.
fn round_us(t: f64) -> f64 {
    (t * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::Rate;
    use crate::story::Act;

    fn seg(kind: Kind, start: u64, end: u64, src: Option<f64>, t: Transition, tf: u64) -> Segment {
        Segment {
            kind,
            start_s: start as f64 / 24.0,
            end_s: end as f64 / 24.0,
            start_frame: start,
            end_frame: end,
            source_start_s: src,
            source_end_s: src.map(|s| s + (end - start) as f64 / 24.0),
            transition_in: t,
            transition_frames: tf,
            handle_before_s: 1.0,
            handle_after_s: 1.0,
            clip_index: src.map(|_| 0),
            act: Some(Act::Act1),
            keep_audio: false,
            text: (kind == Kind::Title).then(|| "Night Run".into()),
            tagline: None,
            title_shot_s: None,
        }
    }

    #[test]
    fn the_films_title_shot_is_a_faded_window_of_the_film() {
        let mut tl = sample();
        let i = tl.video.iter().position(|s| s.kind == Kind::Title).unwrap();
        // 96 frames of card; the film's title stops after 3 s (72 frames), the rest holds its last frame.
        tl.video[i].title_shot_s = Some([64.9, 67.9]);
        for graded in [true, false] {
            let p = pieces(&tl, graded);
            let piece = p.iter().find(|p| matches!(p.recipe, Recipe::FilmTitle { .. })).unwrap();
            let Recipe::FilmTitle {
                window,
                fade,
                graded: g,
            } = &piece.recipe
            else {
                unreachable!()
            };
            assert_eq!(
                (piece.frames, window.from_s, window.real, window.hold_before),
                (96, 64.9, 72, 0)
            );
            assert_eq!((fade.frames, fade.white, *g), (12, false, graded));
            assert!(piece.recipe.uses_film() && piece.recipe.graded() == graded);
        }
    }

    fn timeline(video: Vec<Segment>) -> Timeline {
        let frames = video.last().map_or(0, |s| s.end_frame);
        Timeline {
            rate: Rate::new(24, 1),
            fps: 24.0,
            frames,
            duration_s: frames as f64 / 24.0,
            vibe: "drama".into(),
            source_file: "/film.mkv".into(),
            title_style: TitleStyle::Classic,
            video,
            music: None,
            sfx: vec![],
            voice: vec![],
            film_audio: vec![],
            cuts: 0,
            cuts_on_beat: 0,
            manifest_key: None,
        }
    }

    fn sample() -> Timeline {
        use Transition::*;
        timeline(vec![
            seg(Kind::Clip, 0, 96, Some(10.0), HardCut, 0),
            seg(Kind::Clip, 96, 168, Some(50.0), Crossfade, 12),
            seg(Kind::Clip, 168, 240, Some(90.0), FadeToBlack, 12),
            seg(Kind::Silence, 240, 336, None, HardCut, 0),
            seg(Kind::Clip, 336, 384, Some(120.0), HardCut, 0),
            seg(Kind::Title, 384, 480, None, HardCut, 0),
        ])
    }

    #[test]
    fn pieces_cover_every_frame_once() {
        let tl = sample();
        let p = pieces(&tl, true);
        let mut at = 0;
        for piece in &p {
            assert_eq!(piece.start_frame, at, "{p:#?}");
            assert!(piece.frames > 0);
            at += piece.frames;
        }
        assert_eq!(at, tl.frames);
    }

    #[test]
    fn a_crossfade_is_its_own_piece_centred_on_the_cut() {
        let p = pieces(&sample(), true);
        let d = &p[1];
        assert_eq!((d.start_frame, d.frames), (90, 12));
        let Recipe::Dissolve { a, b } = &d.recipe else {
            panic!("{d:?}")
        };
        // The outgoing clip's last 6 frames, then 6 of its handle; the incoming clip from 6 frames early.
        assert!((a.from_s - (10.0 + 90.0 / 24.0)).abs() < 1e-6 && a.real == 12 && a.hold_before == 0);
        assert!((b.from_s - (50.0 - 6.0 / 24.0)).abs() < 1e-6 && b.real == 12 && b.hold_before == 0);
        // The clips around it give up those frames.
        assert_eq!((p[0].frames, p[2].start_frame), (90, 102));
        let Recipe::Clip { from_s, .. } = p[2].recipe else {
            panic!()
        };
        assert!((from_s - (50.0 + 6.0 / 24.0)).abs() < 1e-6);
    }

    #[test]
    fn without_handles_a_dissolve_holds_the_edge_frames() {
        let mut tl = sample();
        tl.video[0].handle_after_s = 0.0;
        tl.video[1].handle_before_s = 2.0 / 24.0;
        let p = pieces(&tl, true);
        let Recipe::Dissolve { a, b } = &p[1].recipe else {
            panic!()
        };
        assert_eq!((a.real, a.hold_before), (6, 0));
        assert_eq!((b.real, b.hold_before), (8, 4));
        assert!((b.from_s - (50.0 - 2.0 / 24.0)).abs() < 1e-6);
    }

    #[test]
    fn fades_are_drawn_inside_the_clips() {
        let p = pieces(&sample(), true);
        let Recipe::Clip { fade_out, .. } = &p[2].recipe else {
            panic!()
        };
        assert_eq!(
            fade_out,
            &Some(Fade {
                frames: 6,
                white: false
            })
        );
        let Recipe::Clip { fade_in, .. } = &p[3].recipe else {
            panic!()
        };
        assert_eq!(
            fade_in,
            &Some(Fade {
                frames: 6,
                white: false
            })
        );
        assert_eq!(p[4].recipe, Recipe::Black);
        assert!(matches!(&p[6].recipe, Recipe::Card { title, .. } if title == "Night Run"));
        assert!(!p[6].recipe.graded() && !p[4].recipe.graded() && p[1].recipe.graded());
    }

    #[test]
    fn moving_a_piece_keeps_its_key_and_editing_a_clip_changes_only_its_pieces() {
        let tl = sample();
        let mut edited = tl.clone();
        // The second clip (crossfaded into) now comes from elsewhere in the film.
        edited.video[1].source_start_s = Some(300.0);
        let key = |p: &Piece| serde_json::to_string(p).unwrap();
        let (a, b): (Vec<String>, Vec<String>) = (
            pieces(&tl, true).iter().map(key).collect(),
            pieces(&edited, true).iter().map(key).collect(),
        );
        let changed: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        // The clip's piece and the dissolve into it.
        assert_eq!(changed, vec![1, 2]);
        // The same pieces shifted later in the trailer keep their keys.
        let mut shifted = tl.clone();
        for s in &mut shifted.video {
            s.start_frame += 24;
            s.end_frame += 24;
        }
        assert_eq!(pieces(&shifted, true).iter().map(key).collect::<Vec<_>>(), a);
    }
}
