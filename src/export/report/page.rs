//! What the page says, worked out from the work dir's data: the header's facts, the contact sheet's cards, the
//! money-shot grid, the charts' inputs. Pure (data in, data out); the template only lays it out. Every string
//! here is plain text: the template escapes it.

use serde::Serialize;

use super::charts::{self, ClipMark, FilmChart, SegmentMark, TextMark, TrailerChart, act_colour, clock};
use super::data::WorkData;
use super::thumbs::Pick;
use crate::export::cutlist::{act_name, timecode};
use crate::media::Rate;
use crate::story::{Act, BeatType, Clip};
use crate::timeline::{Kind, MusicSource, Segment, SfxKind};
use crate::workdir::Stage;

/// The money-shot grid: 3 × 3.
pub(super) const MONEY_SHOTS: usize = 9;

/// What the page needs besides the work dir's files.
pub(super) struct Extras<'a> {
    pub analyzer: &'a str,
    pub commands: &'a [(String, String)],
    /// The rendered trailer's picture size, when it could be probed.
    pub trailer_size: Option<(u32, u32)>,
    pub credit: Option<String>,
    /// The thumbnails that were written.
    pub pictures: &'a [Pick],
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Page {
    pub title: String,
    pub vibe: String,
    pub film_name: String,
    pub summary: String,
    pub facts: Vec<Fact>,
    pub music: Option<MusicView>,
    pub stages: Vec<StageTime>,
    pub stages_total: Option<String>,
    pub film_caption: String,
    /// The acts the trailer uses (both charts), then the picture that is not a clip (the trailer chart only).
    pub legend: Vec<LegendItem>,
    pub legend_picture: Vec<LegendItem>,
    /// The kinds of the film's own text the film timeline shows.
    pub legend_text: Vec<LegendItem>,
    pub clips: Vec<ClipCard>,
    pub money: Vec<ClipCard>,
    pub commands: Vec<CommandView>,
    pub credit: Option<String>,
    pub thumb_w: u32,
    pub thumb_h: u32,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Fact {
    pub label: &'static str,
    pub value: String,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct MusicView {
    pub title: String,
    pub artist: Option<String>,
    pub origin: &'static str,
    pub bpm: Option<String>,
    /// Only http(s) links: a `javascript:` URL in an edited file must not become a link.
    pub licence_url: Option<String>,
    /// What to say when there is no licence link.
    pub licence_note: &'static str,
    pub url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct StageTime {
    pub name: String,
    pub time: String,
    /// Bar length, percent of the slowest stage.
    pub pct: f64,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct LegendItem {
    pub label: String,
    pub colour: &'static str,
    /// `swatch` for a filled box, `outline` for black (silence) that needs an edge to be seen.
    pub style: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct ClipCard {
    pub number: usize,
    pub img: Option<String>,
    pub act: String,
    pub colour: &'static str,
    pub beat: String,
    pub zone: Option<String>,
    pub score: Option<String>,
    pub score_pct: f64,
    /// The money-shot score to rank by; −1 for a clip without one.
    #[serde(skip)]
    pub rank: f64,
    pub reasoning: String,
    pub dialogue: Option<String>,
    pub visual: Option<String>,
    pub trailer_in: String,
    pub trailer_out: String,
    pub source_in: String,
    pub source_out: String,
    pub length: String,
    pub transition: String,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct CommandView {
    pub what: String,
    pub command: String,
}

/// The timecode of a time in seconds: the frame that shows at that time.
pub(super) fn timecode_s(t: f64, rate: Rate) -> String {
    timecode((t.max(0.0) * rate.fps()).round() as u64, rate)
}

fn words(name: &str) -> String {
    name.replace('_', " ")
}

fn beat_label(b: BeatType) -> String {
    words(b.name())
}

/// A level in dB, with a real minus sign.
fn db(v: f64, unit: &str) -> String {
    let s = format!("{v:.1} {unit}");
    s.replacen('-', "−", 1)
}

fn seconds(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.1} s")
    } else {
        let m = (s / 60.0).floor();
        format!("{m:.0} min {:02.0} s", s - m * 60.0)
    }
}

fn http_only(url: Option<&str>) -> Option<String> {
    url.map(str::trim)
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .map(str::to_string)
}

/// The film's frame rate: the probe's, else the trailer's (conform renders at the film's by default).
fn film_rate(data: &WorkData) -> Rate {
    data.probe
        .as_ref()
        .and_then(|p| p.video())
        .and_then(|v| v.fps())
        .and_then(Rate::from_fps)
        .unwrap_or(data.timeline.rate)
}

/// Clip segments (clips and the button) in trailer order, with their 1-based number and manifest clip.
fn clip_segments(data: &WorkData) -> Vec<(usize, &Segment, &Clip)> {
    data.timeline
        .video
        .iter()
        .filter_map(|s| Some((s, data.manifest.clips.get(s.clip_index?)?)))
        .enumerate()
        .map(|(i, (s, c))| (i + 1, s, c))
        .collect()
}

pub(super) fn build(data: &WorkData, x: &Extras) -> Page {
    let tl = &data.timeline;
    let m = &data.manifest;
    let film_name = std::path::Path::new(&m.source_file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| m.source_file.clone());
    let title = m
        .title
        .clone()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| film_name.clone());
    let (thumb_w, thumb_h) = thumb_size(x.trailer_size);
    let clips = cards(data, x.pictures);
    Page {
        summary: format!(
            "A {} trailer of {} in {} clips, cut from {}.",
            clock(tl.duration_s),
            m.vibe,
            clips.len(),
            film_name
        ),
        title,
        vibe: m.vibe.clone(),
        film_name,
        facts: facts(data, x),
        music: music(data),
        stages: stages(data),
        stages_total: (!data.stage_seconds.is_empty()).then(|| seconds(data.stage_seconds.values().sum())),
        film_caption: film_caption(data),
        legend: legend(data),
        legend_picture: legend_picture(data),
        legend_text: legend_text(data),
        money: money_shots(&clips),
        clips,
        commands: x
            .commands
            .iter()
            .map(|(what, command)| CommandView {
                what: what.clone(),
                command: command.clone(),
            })
            .collect(),
        credit: x.credit.clone(),
        thumb_w,
        thumb_h,
        version: env!("CARGO_PKG_VERSION"),
    }
}

/// The thumbnails' size: `thumbs::WIDTH` wide, the trailer's shape, even height (as FFmpeg's `-2` makes it).
fn thumb_size(trailer: Option<(u32, u32)>) -> (u32, u32) {
    let w = super::thumbs::WIDTH;
    let (tw, th) = trailer.filter(|(a, b)| *a > 0 && *b > 0).unwrap_or((16, 9));
    let h = ((w as f64 * th as f64 / tw as f64 / 2.0).round() as u32 * 2).max(2);
    (w, h)
}

fn facts(data: &WorkData, x: &Extras) -> Vec<Fact> {
    let tl = &data.timeline;
    let mut facts = Vec::new();
    let size = x.trailer_size.map(|(w, h)| format!("{w}×{h} · ")).unwrap_or_default();
    let clip_count = clip_segments(data).len();
    facts.push(Fact {
        label: "Trailer",
        value: clock(tl.duration_s),
        detail: format!("{clip_count} clips · {size}{} fps", fps_text(tl.rate)),
    });
    facts.push(Fact {
        label: "Cuts on the beat",
        value: format!("{} / {}", tl.cuts_on_beat, tl.cuts),
        detail: match &tl.music {
            Some(music) => format!("music at {:.0} BPM", music.bpm),
            None => "no music".into(),
        },
    });
    if let Some(mix) = &data.mix {
        facts.push(Fact {
            label: "Loudness",
            value: db(mix.integrated_lufs, "LUFS"),
            detail: format!(
                "target {} · true peak {}",
                db(mix.target_lufs, "LUFS").replace(".0 ", " "),
                db(mix.true_peak_dbtp, "dBTP")
            ),
        });
    }
    let film_detail = {
        let mut parts = Vec::new();
        if let Some((w, h)) = data
            .probe
            .as_ref()
            .and_then(|p| p.video())
            .and_then(|v| v.display_size())
        {
            parts.push(format!("{w}×{h} · {} fps", fps_text(film_rate(data))));
        }
        if let Some(shots) = &data.shots {
            parts.push(format!("{} shots", shots.shots.len()));
        }
        parts.push(match data.dialogue.len() {
            0 => "no dialogue".into(),
            n => format!("{n} lines"),
        });
        parts.join(" · ")
    };
    facts.push(Fact {
        label: "Film",
        value: clock(data.film_duration_s()),
        detail: film_detail,
    });
    if let Some(title) = tl.video.iter().find(|s| s.kind == Kind::Title) {
        facts.push(Fact {
            label: "Title card",
            value: if title.title_shot_s.is_some() {
                "the film's own"
            } else {
                "typeset"
            }
            .into(),
            detail: data.manifest.title_card_reason.clone().unwrap_or_default(),
        });
    }
    facts.push(Fact {
        label: "Analyzer",
        value: x.analyzer.to_string(),
        detail: match &data.structure {
            Some(s) => format!("story anchors: {}", anchor_source(s)),
            None => "no story analysis (a manifest render)".into(),
        },
    });
    facts
}

fn anchor_source(s: &crate::analyze::Structure) -> &'static str {
    use crate::analyze::AnchorSource;
    match s.source {
        AnchorSource::Llm => "a text model read the dialogue",
        AnchorSource::Heuristic => "from the intensity curve",
        AnchorSource::Fixed => "fixed proportions of the story",
    }
}

fn fps_text(rate: Rate) -> String {
    let f = rate.fps();
    if (f - f.round()).abs() < 1e-6 {
        format!("{f:.0}")
    } else {
        format!("{f:.3}")
    }
}

fn music(data: &WorkData) -> Option<MusicView> {
    let music = data.timeline.music.as_ref()?;
    let bed = data.manifest.music_bed.clone().unwrap_or_default();
    let file_name = std::path::Path::new(&music.path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let title = music
        .title
        .clone()
        .or(bed.track_name)
        .or(file_name)
        .unwrap_or_else(|| "Music".into());
    Some(MusicView {
        title,
        artist: music.artist.clone().or(bed.artist_name),
        origin: match music.source {
            MusicSource::User => "your music file",
            MusicSource::Folder => "chosen from your music folder",
            MusicSource::Jamendo => "from Jamendo",
            MusicSource::Builtin => "generated by CineCut: free to use",
        },
        bpm: (music.bpm > 0.0).then(|| format!("{:.0} BPM", music.bpm)),
        licence_url: http_only(music.license_url.as_deref().or(bed.license_ccurl.as_deref())),
        url: http_only(music.url.as_deref()),
        licence_note: match music.source {
            MusicSource::Builtin => "No licence needed",
            _ => "No licence recorded: check the track's terms before publishing",
        },
    })
}

/// Stage times in pipeline order; names this build does not know go last.
fn stages(data: &WorkData) -> Vec<StageTime> {
    let known: Vec<&str> = Stage::ALL.iter().map(|s| s.name()).collect();
    let mut names: Vec<&String> = data.stage_seconds.keys().collect();
    names.sort_by_key(|n| known.iter().position(|k| k == n).unwrap_or(usize::MAX));
    let max = data.stage_seconds.values().copied().fold(0.0, f64::max);
    names
        .into_iter()
        .map(|name| {
            let s = data.stage_seconds[name];
            StageTime {
                name: name.clone(),
                time: seconds(s),
                pct: if max > 0.0 {
                    (s / max * 100.0).clamp(0.5, 100.0)
                } else {
                    0.0
                },
            }
        })
        .collect()
}

fn film_caption(data: &WorkData) -> String {
    match &data.structure {
        Some(s) => format!("How the story anchors were found: {}.", s.reason.trim_end_matches('.')),
        None => "No story analysis in this work dir: the clips come from an edited manifest.".into(),
    }
}

fn acts_used(data: &WorkData) -> Vec<Act> {
    clip_segments(data)
        .iter()
        .map(|(_, s, c)| s.act.unwrap_or(c.act))
        .collect()
}

/// The acts the trailer uses, in story order.
fn legend(data: &WorkData) -> Vec<LegendItem> {
    let used = acts_used(data);
    const ORDER: [Act; 8] = [
        Act::ColdOpen,
        Act::Act1,
        Act::BeatDrop,
        Act::Act2,
        Act::Breath,
        Act::Act3,
        Act::TitleCard,
        Act::Button,
    ];
    ORDER
        .into_iter()
        .filter(|a| used.contains(a))
        .map(|a| LegendItem {
            label: act_name(a).into(),
            colour: act_colour(a),
            style: "swatch",
        })
        .collect()
}

/// The kinds of the film's own text found on screen.
fn legend_text(data: &WorkData) -> Vec<LegendItem> {
    let found: Vec<&str> = data
        .structure
        .iter()
        .flat_map(|s| s.text.iter().map(|t| t.kind.name()))
        .collect();
    charts::TEXT_COLOURS
        .iter()
        .filter(|(kind, _)| found.contains(kind))
        .map(|(kind, colour)| LegendItem {
            label: format!("film's own {kind}"),
            colour,
            style: "swatch",
        })
        .collect()
}

/// The title card, the silence and other cards, where the trailer has them.
fn legend_picture(data: &WorkData) -> Vec<LegendItem> {
    let mut items = Vec::new();
    let has = |k: Kind| data.timeline.video.iter().any(|s| s.kind == k);
    // A clip booked as the title card already put its colour in the legend.
    if has(Kind::Title) && !acts_used(data).contains(&Act::TitleCard) {
        items.push(LegendItem {
            label: "Title card".into(),
            colour: charts::TITLE_COLOUR,
            style: "swatch",
        });
    }
    if has(Kind::Silence) {
        items.push(LegendItem {
            label: "Silence (black)".into(),
            colour: charts::SILENCE_COLOUR,
            style: "outline",
        });
    }
    if has(Kind::Card) {
        items.push(LegendItem {
            label: "Card".into(),
            colour: charts::CARD_COLOUR,
            style: "swatch",
        });
    }
    items
}

fn cards(data: &WorkData, pictures: &[Pick]) -> Vec<ClipCard> {
    let rate = data.timeline.rate;
    let source_rate = film_rate(data);
    clip_segments(data)
        .into_iter()
        .map(|(number, seg, clip)| {
            let act = seg.act.unwrap_or(clip.act);
            let (src_in, src_out) = (
                seg.source_start_s.unwrap_or(clip.source_start_s),
                seg.source_end_s.unwrap_or(clip.source_end_s),
            );
            let text = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(String::from);
            ClipCard {
                number,
                img: pictures.iter().find(|p| p.number == number).map(Pick::file),
                act: act_name(act).into(),
                colour: act_colour(act),
                beat: beat_label(clip.beat_type),
                zone: clip.narrative_zone.map(|z| {
                    let n = z.name().to_lowercase();
                    n[..1].to_uppercase() + &n[1..]
                }),
                score: clip.money_shot_score.map(|s| format!("{s:.2}")),
                score_pct: clip.money_shot_score.unwrap_or(0.0).clamp(0.0, 1.0) * 100.0,
                rank: clip.money_shot_score.unwrap_or(-1.0),
                reasoning: text(&clip.reasoning).unwrap_or_else(|| "Placed by hand in the manifest.".into()),
                dialogue: text(&Some(clip.dialogue_excerpt.clone())),
                visual: text(&clip.visual_analysis),
                trailer_in: timecode(seg.start_frame, rate),
                trailer_out: timecode(seg.end_frame, rate),
                source_in: timecode_s(src_in, source_rate),
                source_out: timecode_s(src_out, source_rate),
                length: format!("{:.1} s", (seg.end_frame - seg.start_frame) as f64 / rate.fps()),
                transition: words(seg.transition_in.name()),
            }
        })
        .collect()
}

/// The clips with the highest money-shot score, best first (trailer order among equals; unscored clips last).
pub(super) fn money_shots(cards: &[ClipCard]) -> Vec<ClipCard> {
    let mut ranked: Vec<&ClipCard> = cards.iter().collect();
    ranked.sort_by(|a, b| b.rank.total_cmp(&a.rank));
    ranked.into_iter().take(MONEY_SHOTS).cloned().collect()
}

pub(super) fn film_chart(data: &WorkData) -> FilmChart {
    let story = data.structure.as_ref();
    FilmChart {
        duration_s: data.film_duration_s(),
        shots: data
            .shots
            .iter()
            .flat_map(|s| s.shots.iter().map(|s| (s.start_s, s.end_s)))
            .collect(),
        lines: data
            .dialogue
            .iter()
            .filter(|e| !e.sound_cue)
            .map(|e| (e.start_s, e.end_s))
            .collect(),
        intensity: story.map(|s| (s.intensity.start_s, s.intensity.step_s, s.intensity.values.clone())),
        anchors: story
            .map(|s| {
                vec![
                    ("begin", s.anchors.begin_t),
                    ("escalation", s.anchors.escalation_t),
                    ("climax", s.anchors.climax_t),
                ]
            })
            .unwrap_or_default(),
        opening_logos: story.and_then(|s| s.opening_logos).map(|s| (s.start_s, s.end_s)),
        end_credits: story.and_then(|s| s.end_credits).map(|s| (s.start_s, s.end_s)),
        text: story.map(|s| {
            s.text
                .iter()
                .map(|t| TextMark {
                    kind: t.kind.name(),
                    start_s: t.start_s,
                    end_s: t.end_s,
                    words: t.words.clone().unwrap_or_default(),
                })
                .collect()
        }),
        clips: clip_segments(data)
            .into_iter()
            .map(|(number, seg, clip)| {
                let act = seg.act.unwrap_or(clip.act);
                let (a, b) = (
                    seg.source_start_s.unwrap_or(clip.source_start_s),
                    seg.source_end_s.unwrap_or(clip.source_end_s),
                );
                ClipMark {
                    number,
                    act,
                    start_s: a,
                    end_s: b,
                    hover: format!(
                        "#{number} · {} · {} · film {}–{} ({:.1} s)",
                        act_name(act),
                        beat_label(clip.beat_type),
                        clock(a),
                        clock(b),
                        b - a
                    ),
                }
            })
            .collect(),
    }
}

pub(super) fn trailer_chart(data: &WorkData) -> TrailerChart {
    let tl = &data.timeline;
    let numbers: Vec<(usize, &Segment)> = clip_segments(data).into_iter().map(|(n, s, _)| (n, s)).collect();
    let segments = tl
        .video
        .iter()
        .map(|seg| {
            let number = numbers.iter().find(|(_, s)| std::ptr::eq(*s, seg)).map(|(n, _)| *n);
            let span = format!("{}–{}", clock(seg.start_s), clock(seg.end_s));
            let hover = match seg.kind {
                Kind::Title => match seg.title_shot_s {
                    Some([a, _]) => format!(
                        "Title card {span}: the film's own title shot, from {} of the film",
                        clock(a)
                    ),
                    None => format!("Title card {span}: {}", seg.text.as_deref().unwrap_or("")),
                },
                Kind::Silence => format!("Silence {span}: black, no sound"),
                Kind::Card => format!("Card {span}: {}", seg.text.as_deref().unwrap_or("")),
                Kind::Clip | Kind::Button => format!(
                    "#{} · {} · trailer {span} · film {}–{}",
                    number.unwrap_or(0),
                    seg.act.map_or("clip", act_name),
                    clock(seg.source_start_s.unwrap_or(0.0)),
                    clock(seg.source_end_s.unwrap_or(0.0))
                ),
            };
            SegmentMark {
                kind: seg.kind,
                act: seg.act,
                start_s: seg.start_s,
                end_s: seg.end_s,
                number,
                hover,
            }
        })
        .collect();
    TrailerChart {
        duration_s: tl.duration_s,
        segments,
        beats_s: tl.music.as_ref().map(|m| m.beats_s.clone()).unwrap_or_default(),
        downbeats_s: tl.music.as_ref().map(|m| m.downbeats_s.clone()).unwrap_or_default(),
        voice: tl.voice.iter().map(|v| (v.at_s, v.end_s, v.text.clone())).collect(),
        sfx: tl
            .sfx
            .iter()
            .map(|e| {
                let what = match e.kind {
                    SfxKind::Hard => "whoosh into a hard cut",
                    SfxKind::Boundary => "riser into an act boundary",
                    SfxKind::Hit => "impact",
                };
                (e.at_s, what.to_string())
            })
            .collect(),
        loudness: data.loudness.clone(),
        target_lufs: data.mix.as_ref().map(|m| m.target_lufs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timecodes_count_frames_at_the_given_rate() {
        assert_eq!(timecode(0, Rate::new(24, 1)), "00:00:00:00");
        assert_eq!(timecode(113, Rate::new(24, 1)), "00:00:04:17");
        assert_eq!(timecode(25 * 3661 + 3, Rate::new(25, 1)), "01:01:01:03");
        // 23.976 counts on a base of 24 (non-drop-frame); 29.97 in drop-frame, as the exports count.
        assert_eq!(timecode(24 * 60, Rate::new(24000, 1001)), "00:01:00:00");
        assert_eq!(timecode(1800, Rate::new(30000, 1001)), "00:01:00;02");
        assert_eq!(timecode_s(207.7730, Rate::new(24, 1)), "00:03:27:19");
        assert_eq!(timecode_s(-1.0, Rate::new(24, 1)), "00:00:00:00");
    }

    fn card(number: usize, score: Option<f64>) -> ClipCard {
        ClipCard {
            number,
            img: None,
            act: "Act 1".into(),
            colour: act_colour(Act::Act1),
            beat: "breath".into(),
            zone: None,
            score: score.map(|s| format!("{s:.2}")),
            score_pct: 0.0,
            rank: score.unwrap_or(-1.0),
            reasoning: String::new(),
            dialogue: None,
            visual: None,
            trailer_in: String::new(),
            trailer_out: String::new(),
            source_in: String::new(),
            source_out: String::new(),
            length: String::new(),
            transition: String::new(),
        }
    }

    #[test]
    fn money_shots_are_the_best_nine_best_first_or_all_of_fewer() {
        let cards: Vec<ClipCard> = (1..=12)
            .map(|n| card(n, if n == 5 { None } else { Some((n % 7) as f64 / 10.0) }))
            .collect();
        let best: Vec<usize> = money_shots(&cards).iter().map(|c| c.number).collect();
        assert_eq!(best, vec![6, 12, 4, 11, 3, 10, 2, 9, 1]);
        let few: Vec<usize> = money_shots(&cards[..4]).iter().map(|c| c.number).collect();
        assert_eq!(few, vec![4, 3, 2, 1]);
        let unscored = money_shots(&[card(1, None), card(2, Some(0.1))]);
        assert_eq!(unscored.iter().map(|c| c.number).collect::<Vec<_>>(), vec![2, 1]);
    }

    #[test]
    fn only_web_links_and_readable_levels() {
        assert_eq!(http_only(Some("javascript:alert(1)")), None);
        assert_eq!(
            http_only(Some(" https://creativecommons.org/licenses/by/3.0/ ")),
            Some("https://creativecommons.org/licenses/by/3.0/".into())
        );
        assert_eq!(db(-18.083, "LUFS"), "−18.1 LUFS");
        assert_eq!(seconds(125.0), "2 min 05 s");
        assert_eq!(thumb_size(Some((1280, 534))), (480, 200));
        assert_eq!(thumb_size(None), (480, 270));
    }
}
