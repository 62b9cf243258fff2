//! The title card's typography: the film's title in large type on black, an optional tagline under it, fading
//! from and to black, each styled per vibe ([`TitleStyle`]).
//!
//! `narrative` books the card's length and `conform` draws it: it writes each [`TextLine`]'s text to a file and
//! appends [`filters`] to a black `color` source. [`layout`] is pure (case, tracking, wrapping, sizes and
//! positions), so it is tested without FFmpeg; `tests/card.rs` renders every style and looks at the pixels.
//!
//! Text reaches `drawtext` only through a text file with `expansion=none`, never inline, so quotes, `%{pts}`,
//! backslashes, colons and emoji in a title are drawn as typed and cannot change the filter graph.

use std::path::PathBuf;

use crate::media::filter_value;
use crate::story::TitleStyle;

/// What the card says, and in which style.
#[derive(Debug, Clone, Copy)]
pub struct Card<'a> {
    /// The film's title as chosen elsewhere (`--title`, the container's title tag, or the cleaned file name).
    pub title: &'a str,
    /// `--tagline`, drawn smaller under the title.
    pub tagline: Option<&'a str>,
    pub style: TitleStyle,
}

/// One line of text, laid out: one `drawtext` each, centred horizontally.
#[derive(Debug, Clone, PartialEq)]
pub struct TextLine {
    /// What to draw, already cased and tracked. Write it to the line's text file as is: UTF-8, no newline.
    pub text: String,
    /// fontconfig pattern, e.g. `DejaVu Sans:style=Bold`; [`filters`] hands it to `drawtext` as `fontfile`.
    pub font: String,
    /// Font size in pixels (the em).
    pub size: u32,
    /// Top of the line's capitals, pixels from the top of the frame.
    pub y: i64,
    /// The baseline the capitals stand on; descenders hang below it.
    pub baseline: i64,
    /// Estimated width in pixels: an upper bound for DejaVu (see [`Face`] and [`Extent::pixels`]).
    pub width: u32,
    /// `0xRRGGBB`.
    pub color: String,
    /// When the line starts to appear. The card fades from black over the first line's `fade_in_s` and back to
    /// black over the same length at its end; a line that starts later (the tagline) also ramps in by itself.
    pub fade_in_start_s: f64,
    pub fade_in_s: f64,
    /// A thin horizontal rule centred under the line (Epic's title).
    pub rule_below: Option<Rule>,
}

/// A filled bar, centred horizontally.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Top of the bar, pixels from the top of the frame.
    pub y: i64,
    pub width: u32,
    pub thickness: u32,
    /// `0xRRGGBB`.
    pub color: String,
}

/// The widest line may take this share of the frame's width: the rest is margin, and slack for the estimate.
const MEASURE: f64 = 0.86;
/// The whole text block (title, rule, tagline) may take this share of the frame's height.
const MAX_BLOCK: f64 = 0.8;
/// DejaVu's capital height (1493 of 2048 units, the same in every face we use), as a share of the em.
const CAP_HEIGHT: f64 = 1493.0 / 2048.0;
const MAX_TITLE_LINES: usize = 3;
const MAX_TAGLINE_LINES: usize = 2;
/// A title stays on fewer lines while that keeps it at least this share of its target size: "Tears of Steel"
/// stays on one line, a 60-character title takes two (three in the wider, tracked capitals of Impact and Epic), and
/// only a very long title or a narrow frame takes three otherwise.
const KEEP_SHARE: f64 = 0.45;
/// The tagline's target capital height, as a share of the frame's shorter side.
const TAGLINE_CAP_SHARE: f64 = 0.034;
/// The tagline is never more than this share of the title's size, so it always reads as secondary.
const TAGLINE_MAX_RATIO: f64 = 0.6;
/// What hinting may add to each glyph's advance, in pixels (see [`Extent::pixels`]).
const HINTING_SLACK_PX: f64 = 0.5;
/// Longer text is cut before wrapping; no frame could show it at a readable size anyway.
const MAX_CHARS: usize = 1000;

/// Lay the card out for a `w`×`h` frame lasting `dur_s`: case, tracking, wrapping, sizes and positions. Title lines
/// come first, then the tagline's. An empty title gives no lines: the card is plain black.
pub fn layout(card: &Card, w: u32, h: u32, dur_s: f64) -> Vec<TextLine> {
    let look = look(card.style);
    let title = words(card.title, card.style.uppercase());
    if title.is_empty() || w == 0 || h == 0 {
        return Vec::new();
    }
    let tagline = card
        .tagline
        .map(|t| words(t, look.tagline.uppercase))
        .unwrap_or_default();
    let (fw, fh) = (f64::from(w), f64::from(h));
    // 1. Each text at the largest size that fits the measure in its most lines.
    let (mut title, mut tagline) = fit_blocks(card.style, &look, &title, &tagline, fw, fh);
    // 2. Both stacked, shrunk to fit the frame's height, centred.
    let top = stack(&mut title, &mut tagline, look.rule, fh);
    // 3. Every line placed, with its fade, and the rule under the title.
    place(card.style, look.rule, &title, &tagline, top, fw, dur_s)
}

/// One text of the card (the title or the tagline) set in lines at one size.
struct Block {
    lines: Vec<String>,
    size: f64,
    spacer: Option<char>,
    face: Face,
    font: String,
    color: u32,
    /// Baseline to baseline, in sizes.
    pitch: f64,
}

impl Block {
    /// From the first line's capitals to the last baseline.
    fn height(&self, size: f64) -> f64 {
        CAP_HEIGHT * size + (self.lines.len() - 1) as f64 * self.pitch * size
    }
}

/// Title baseline to the tagline's capitals, in title sizes: room for descenders, and for the rule when there is
/// one.
fn gap(rule: bool) -> f64 {
    if rule { 0.8 } else { 0.6 }
}

/// Below the last title baseline, the rule of a card without a tagline, in title sizes.
const RULE_ALONE: f64 = 0.4;

/// Step 1: the title at its style's size (the shorter side decides, so a portrait frame is not given type only
/// its height could hold), the tagline smaller, each shrunk until it fits the measure in its most lines.
fn fit_blocks(
    style: TitleStyle,
    look: &Look,
    title: &[String],
    tagline: &[String],
    fw: f64,
    fh: f64,
) -> (Block, Block) {
    let reference = fw.min(fh);
    // Whole pixels, so a line's width rounded up still fits.
    let measure = (fw * MEASURE).floor();
    let title_spacer = spacer(f64::from(style.tracking()));
    let target = look.cap_share * reference / CAP_HEIGHT;
    let min = (fh / 40.0).max(12.0).min(target);
    let (title_lines, title_size) = fit(title, look.face, title_spacer, measure, target, min, MAX_TITLE_LINES);
    let tag_spacer = spacer(look.tagline.tracking);
    let (tag_lines, tag_size) = if tagline.is_empty() {
        (Vec::new(), 0.0)
    } else {
        let target = (TAGLINE_CAP_SHARE * reference / CAP_HEIGHT).min(title_size * TAGLINE_MAX_RATIO);
        let min = (fh / 60.0).max(9.0).min(target);
        fit(
            tagline,
            look.tagline.face,
            tag_spacer,
            measure,
            target,
            min,
            MAX_TAGLINE_LINES,
        )
    };
    let title = Block {
        lines: title_lines,
        size: title_size,
        spacer: title_spacer,
        face: look.face,
        font: font(style.font(), look.weight),
        color: look.color,
        pitch: if style.uppercase() { 1.12 } else { 1.2 },
    };
    let tagline = Block {
        lines: tag_lines,
        size: tag_size,
        spacer: tag_spacer,
        face: look.tagline.face,
        font: font(style.font(), look.tagline.weight),
        color: look.tagline.color,
        pitch: 1.35,
    };
    (title, tagline)
}

/// Step 2: the two blocks (and the rule) one above the other, scaled down together when taller than `MAX_BLOCK`
/// of the frame, at whole-pixel sizes; returns the top of the stack, centring it.
fn stack(title: &mut Block, tagline: &mut Block, rule: Option<u32>, fh: f64) -> f64 {
    let rule = rule.is_some();
    let height = |ts: f64, gs: f64| {
        if tagline.lines.is_empty() {
            title.height(ts) + if rule { RULE_ALONE * ts } else { 0.0 }
        } else {
            let tag_lines = (tagline.lines.len() - 1) as f64;
            title.height(ts) + gap(rule) * ts + CAP_HEIGHT * gs + tag_lines * tagline.pitch * gs
        }
    };
    let overflow = height(title.size, tagline.size) / (MAX_BLOCK * fh);
    let scale = if overflow > 1.0 { overflow } else { 1.0 };
    // Whole pixels, rounded down so the widths only shrink.
    let (ts, gs) = (
        (title.size / scale).floor().max(1.0),
        (tagline.size / scale).floor().max(1.0),
    );
    let total = height(ts, if tagline.lines.is_empty() { 0.0 } else { gs });
    (title.size, tagline.size) = (ts, gs);
    (fh - total) / 2.0
}

/// Step 3: each line at its baseline, fading in with the card (the tagline a little later), and the rule under
/// the last title line for styles that have one.
fn place(
    style: TitleStyle,
    rule: Option<u32>,
    title: &Block,
    tagline: &Block,
    top: f64,
    fw: f64,
    dur_s: f64,
) -> Vec<TextLine> {
    let fade = card_fade(style, dur_s);
    let dur = if dur_s.is_finite() { dur_s.max(0.0) } else { 0.0 };
    let tag_start = (fade * 0.8 + 0.3).min(dur * 0.35);
    let tag_fade = fade.max(0.3).min(dur * 0.2);
    let line = |block: &Block, text: &str, baseline: f64| {
        let text = track(text, block.spacer);
        TextLine {
            width: Extent::of(&text, block.face).pixels(block.size).ceil() as u32,
            text,
            font: block.font.clone(),
            size: block.size as u32,
            y: (baseline - CAP_HEIGHT * block.size).round() as i64,
            baseline: baseline.round() as i64,
            color: color(block.color),
            fade_in_start_s: 0.0,
            fade_in_s: fade,
            rule_below: None,
        }
    };
    let mut out = Vec::with_capacity(title.lines.len() + tagline.lines.len());
    let mut baseline = top + CAP_HEIGHT * title.size;
    for (i, text) in title.lines.iter().enumerate() {
        if i > 0 {
            baseline += title.pitch * title.size;
        }
        out.push(line(title, text, baseline));
    }
    if let (Some(rule_color), Some(last)) = (rule, out.last_mut()) {
        let thickness = (title.size * 0.025).round().max(1.0);
        let below = if tagline.lines.is_empty() {
            RULE_ALONE
        } else {
            gap(true) / 2.0
        };
        last.rule_below = Some(Rule {
            y: (baseline + below * title.size - thickness / 2.0).round() as i64,
            width: (f64::from(last.width) * 0.4).min(fw * 0.3).round() as u32,
            thickness: thickness as u32,
            color: color(rule_color),
        });
    }
    baseline += gap(rule.is_some()) * title.size + CAP_HEIGHT * tagline.size;
    for (i, text) in tagline.lines.iter().enumerate() {
        if i > 0 {
            baseline += tagline.pitch * tagline.size;
        }
        out.push(TextLine {
            fade_in_start_s: tag_start,
            fade_in_s: tag_fade,
            ..line(tagline, text, baseline)
        });
    }
    out
}

/// The filters to append to a black `color` source of `w`×`h` lasting `dur_s`: one `drawtext` per line reading the
/// text file written for it (`files`, in the order of `lines`), the rule, and the fades. The picture stays in the
/// source's format; the caller converts it (e.g. to yuv420p).
pub fn filters(lines: &[TextLine], files: &[PathBuf], w: u32, h: u32, dur_s: f64) -> String {
    debug_assert_eq!(lines.len(), files.len(), "one text file per line");
    let mut parts = Vec::new();
    for (line, file) in lines.iter().zip(files) {
        // `fontfile`, not `font`: `font` is taken as a bare family name (FFmpeg 5.1 to 7), so a weight in it falls
        // back to the default face; a `fontfile` that is no file is parsed as a whole fontconfig pattern.
        // `y=BASELINE-ascent`: `ascent` is the tallest glyph drawn, so the baseline lands on BASELINE whatever
        // the letters (plain `y` is the top of the tallest glyph, which moves with the text).
        let mut text = format!(
            "drawtext=expansion=none:textfile={}:fontfile={}:fontsize={}:fontcolor={}:x=(w-text_w)/2:y={}-ascent",
            filter_value(&file.to_string_lossy()),
            filter_value(&line.font),
            line.size,
            line.color,
            line.baseline,
        );
        if line.fade_in_start_s > 0.0005 {
            let ramp = if line.fade_in_s > 0.0005 {
                format!("clip((t-{:.3})/{:.3},0,1)", line.fade_in_start_s, line.fade_in_s)
            } else {
                format!("gte(t,{:.3})", line.fade_in_start_s)
            };
            text.push_str(&format!(":alpha={}", filter_value(&ramp)));
        }
        parts.push(text);
        // `drawbox` reads a zero width or height as the whole frame's.
        if let Some(rule) = line.rule_below.as_ref().filter(|r| r.width > 0 && r.thickness > 0) {
            parts.push(format!(
                "drawbox=x={}:y={}:w={}:h={}:color={}:t=fill",
                (i64::from(w) - i64::from(rule.width)) / 2,
                rule.y.clamp(0, i64::from(h)),
                rule.width,
                rule.thickness,
                rule.color,
            ));
        }
    }
    let fade = lines.first().map_or(0.0, |l| l.fade_in_s);
    // A zero `d` would make `fade` fall back to its 25-frame default.
    if fade >= 0.0005 && dur_s.is_finite() && dur_s > 0.0 {
        parts.push(format!(
            "fade=t=in:st=0:d={fade:.3},fade=t=out:st={:.3}:d={fade:.3}",
            (dur_s - fade).max(0.0)
        ));
    }
    if parts.is_empty() {
        "null".to_string()
    } else {
        parts.join(",")
    }
}

/// Fade from and to black, each: the style's, but never more than a third of the card.
fn card_fade(style: TitleStyle, dur_s: f64) -> f64 {
    let dur = if dur_s.is_finite() { dur_s.max(0.0) } else { 0.0 };
    f64::from(style.fade_s()).min(dur / 3.0)
}

/// How a style sets its title and tagline, beyond what [`TitleStyle`] says (family, bold, case, tracking).
struct Look {
    /// fontconfig style within `TitleStyle::font()`'s family.
    weight: &'static str,
    /// The advance table that bounds the title's width.
    face: Face,
    /// Target height of the title's capitals, as a share of the frame's shorter side (about 1/8 to 1/6).
    cap_share: f64,
    color: u32,
    tagline: TaglineLook,
    /// Colour of the thin rule under the title, for styles that have one.
    rule: Option<u32>,
}

struct TaglineLook {
    weight: &'static str,
    face: Face,
    uppercase: bool,
    /// Extra space between letters, as a share of the font size.
    tracking: f64,
    color: u32,
}

fn look(style: TitleStyle) -> Look {
    match style {
        // Condensed heavy capitals, as big as any style gets; the tagline in small spaced bold capitals. Measured
        // with the wider DejaVu Sans Bold, which fontconfig substitutes where the condensed face is missing.
        TitleStyle::Impact => Look {
            weight: "Condensed Bold",
            face: Face::SansBold,
            cap_share: 0.165,
            color: 0xFFFFFF,
            tagline: TaglineLook {
                weight: "Bold",
                face: Face::SansBold,
                uppercase: true,
                tracking: 0.2,
                color: 0xCCCCCC,
            },
            rule: None,
        },
        // Book serif in a warm parchment white; the tagline in italic.
        TitleStyle::Classic => Look {
            weight: "Book",
            face: Face::Serif,
            cap_share: 0.14,
            color: 0xF3E9D2,
            tagline: TaglineLook {
                weight: "Italic",
                face: Face::Serif,
                uppercase: false,
                tracking: 0.0,
                color: 0xCDBFA6,
            },
            rule: None,
        },
        // Hairline capitals in a cold white; the tagline in widely spaced grey capitals (Book: ExtraLight at
        // tagline sizes is a one-pixel smear).
        TitleStyle::Stark => Look {
            weight: "ExtraLight",
            face: Face::Sans,
            cap_share: 0.13,
            color: 0xE8EEF2,
            tagline: TaglineLook {
                weight: "Book",
                face: Face::Sans,
                uppercase: true,
                tracking: 0.33,
                color: 0xA3ABB2,
            },
            rule: None,
        },
        // Bold serif capitals in pale gold over a thin dim-gold rule; the tagline in widely spaced serif capitals.
        TitleStyle::Epic => Look {
            weight: "Bold",
            face: Face::SerifBold,
            cap_share: 0.135,
            color: 0xF4E6BE,
            tagline: TaglineLook {
                weight: "Book",
                face: Face::Serif,
                uppercase: true,
                tracking: 0.33,
                color: 0xCBBE9A,
            },
            rule: Some(0xB9A26E),
        },
        // Round bold letters in a sunny yellow; the tagline in bold white.
        TitleStyle::Playful => Look {
            weight: "Bold",
            face: Face::SansBold,
            cap_share: 0.15,
            color: 0xFFE97A,
            tagline: TaglineLook {
                weight: "Bold",
                face: Face::SansBold,
                uppercase: false,
                tracking: 0.0,
                color: 0xF2F2F2,
            },
            rule: None,
        },
        // Plain sans, a little smaller, soft white; the tagline in grey.
        TitleStyle::Clean => Look {
            weight: "Book",
            face: Face::Sans,
            cap_share: 0.125,
            color: 0xF5F5F5,
            tagline: TaglineLook {
                weight: "Book",
                face: Face::Sans,
                uppercase: false,
                tracking: 0.0,
                color: 0xBDBDBD,
            },
            rule: None,
        },
    }
}

fn font(family: &str, weight: &str) -> String {
    format!("{family}:style={weight}")
}

fn color(rgb: u32) -> String {
    format!("0x{rgb:06X}")
}

/// The text's words: control characters and runs of white space become single spaces, cased as the style says.
fn words(text: &str, uppercase: bool) -> Vec<String> {
    let text: String = text
        .chars()
        .take(MAX_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = if uppercase { text.to_uppercase() } else { text };
    text.split_whitespace().map(str::to_string).collect()
}

/// Split `words` into at most `max_lines` lines and size them to fit `measure` pixels: the fewest lines that keep
/// the size near `target`, each split balanced (the one that allows the largest size). Below `min`, the text is
/// filled line by line at `min` and cut with an ellipsis.
fn fit(
    words: &[String],
    face: Face,
    spacer: Option<char>,
    measure: f64,
    target: f64,
    min: f64,
    max_lines: usize,
) -> (Vec<String>, f64) {
    // Each word tracked, and the gap between words (a space with a spacer either side), as (ems, glyphs).
    let sizes: Vec<Extent> = words.iter().map(|w| Extent::of(&track(w, spacer), face)).collect();
    let gap = Extent::of(&spacer.map_or(" ".to_string(), |s| format!("{s} {s}")), face);
    let mut prefix = vec![Extent::default()];
    for e in &sizes {
        prefix.push(prefix[prefix.len() - 1].plus(*e));
    }
    // The largest size at which words i..j fit on one line.
    let line = |i: usize, j: usize| {
        let e = prefix[j].minus(prefix[i]).plus(gap.times(j - i - 1));
        e.size_within(measure)
    };
    let n = words.len();
    let mut best: Option<(Vec<usize>, f64)> = None;
    for lines in 1..=max_lines.min(n) {
        let (breaks, size) = match lines {
            1 => Some((vec![], line(0, n))),
            2 => (1..n)
                .map(|i| (vec![i], line(0, i).min(line(i, n))))
                .max_by(|a, b| a.1.total_cmp(&b.1)),
            _ => (1..n - 1)
                .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
                .map(|(i, j)| (vec![i, j], line(0, i).min(line(i, j)).min(line(j, n))))
                .max_by(|a, b| a.1.total_cmp(&b.1)),
        }
        .unwrap_or_default();
        let size = size.min(target);
        if best.as_ref().is_none_or(|b| size > b.1) {
            best = Some((breaks, size));
        }
        if size >= KEEP_SHARE * target && size >= min {
            break;
        }
    }
    match best {
        Some((breaks, size)) if size >= min => {
            let mut bounds = vec![0];
            bounds.extend(breaks);
            bounds.push(n);
            (bounds.windows(2).map(|b| words[b[0]..b[1]].join(" ")).collect(), size)
        }
        _ => (fill(words, face, spacer, measure, min, max_lines), min),
    }
}

/// Fill lines that fit `measure` pixels at `size` word by word (breaking a word only when it alone is too wide);
/// what does not fit in `max_lines` is cut, with an ellipsis.
fn fill(words: &[String], face: Face, spacer: Option<char>, measure: f64, size: f64, max_lines: usize) -> Vec<String> {
    let fits = |s: &str| Extent::of(&track(s, spacer), face).pixels(size) <= measure;
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in words {
        let joined = if line.is_empty() {
            word.clone()
        } else {
            format!("{line} {word}")
        };
        if fits(&joined) {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            line.push(c);
            if !fits(&line) && line.chars().count() > 1 {
                line.pop();
                lines.push(std::mem::replace(&mut line, c.to_string()));
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            loop {
                let cut = format!("{}…", last.trim_end());
                if fits(&cut) || last.is_empty() {
                    *last = cut;
                    break;
                }
                last.pop();
            }
        }
    }
    lines
}

/// `drawtext` has no letter spacing, so tracking is a space character between letters: the Unicode space whose
/// width (DejaVu has them all) is nearest the style's tracking, or none below 0.04 em.
fn spacer(tracking: f64) -> Option<char> {
    const SPACES: [(f64, char); 5] = [
        (0.1, '\u{200A}'),       // hair space
        (1.0 / 6.0, '\u{2006}'), // six-per-em space
        (0.2, '\u{2009}'),       // thin space
        (0.25, '\u{2005}'),      // four-per-em space
        (1.0 / 3.0, '\u{2004}'), // three-per-em space
    ];
    if tracking < 0.04 {
        return None;
    }
    SPACES
        .iter()
        .min_by(|a, b| (a.0 - tracking).abs().total_cmp(&(b.0 - tracking).abs()))
        .map(|s| s.1)
}

/// Put `spacer` between every two characters, except where that would split what is drawn as one (a letter and
/// its combining mark, an emoji sequence, a flag) or break the joins of a cursive script.
fn track(text: &str, spacer: Option<char>) -> String {
    let Some(spacer) = spacer else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len() * 4);
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if let Some(p) = prev
            && !(attaches(c) || p == '\u{200D}' || (regional(p) && regional(c)) || (cursive(p) && cursive(c)))
        {
            out.push(spacer);
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

/// Drawn on or with the character before it: combining marks, joiners, variation selectors, emoji modifiers, tags.
fn attaches(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05C7 | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670
        | 0x06D6..=0x06ED | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF
        | 0x200B..=0x200D | 0x20D0..=0x20FF | 0x3099..=0x309A | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F
        | 0x1F3FB..=0x1F3FF | 0xE0020..=0xE007F | 0xE0100..=0xE01EF)
}

fn regional(c: char) -> bool {
    matches!(c as u32, 0x1F1E6..=0x1F1FF)
}

/// Scripts whose letters join: Arabic, Syriac, N'Ko, Mongolian.
fn cursive(c: char) -> bool {
    matches!(c as u32, 0x0600..=0x08FF | 0x1800..=0x18AF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF)
}

/// The DejaVu faces whose advance widths we carry.
///
/// Text widths are estimated rather than measured: FFmpeg's `drawtext` draws the card, and measuring here would
/// need a font-rendering dependency (FreeType and a shaper) only to predict what `drawtext` will do. The tables
/// are the `hmtx` advances of DejaVu 2.37 for `' '..='~'`, rounded up to thousandths of an em. ExtraLight is
/// measured as Book (its advances are the same or narrower), Italic as Book (the same), Condensed Bold as Bold
/// (10 % wider), so a missing face that fontconfig replaces still fits. Accented Latin-1 letters count as their
/// base letter (each at least as wide); anything else counts a full em, as wide as a CJK ideograph and wider than
/// DejaVu's missing-glyph box. `drawtext` applies the fonts' `kern` pairs: nearly all pull letters closer, and the
/// few that push apart (a hyphen before J, at most 0.06 em) stay well inside the margin [`MEASURE`] leaves.
#[derive(Debug, Clone, Copy)]
enum Face {
    Sans,
    SansBold,
    Serif,
    SerifBold,
}

#[rustfmt::skip]
const SANS: [u16; 95] = [
    318, 401, 460, 838, 637, 951, 780, 275, 391, 391, 500, 838, 318, 361, 318, 337, 637, 637, 637, 637, 637, 637,
    637, 637, 637, 637, 337, 337, 838, 838, 838, 531, 1000, 685, 687, 699, 771, 632, 576, 775, 752, 295, 295, 656,
    558, 863, 749, 788, 604, 788, 695, 635, 611, 732, 685, 989, 686, 611, 686, 391, 337, 391, 838, 500, 500, 613,
    635, 550, 635, 616, 353, 635, 634, 278, 278, 580, 278, 975, 634, 612, 635, 635, 412, 521, 393, 634, 592, 818,
    592, 592, 525, 637, 337, 637, 838,
];
#[rustfmt::skip]
const SANS_BOLD: [u16; 95] = [
    349, 457, 521, 838, 696, 1002, 873, 307, 458, 458, 523, 838, 380, 416, 380, 366, 696, 696, 696, 696, 696, 696,
    696, 696, 696, 696, 400, 400, 838, 838, 838, 581, 1000, 774, 763, 734, 831, 684, 684, 821, 837, 373, 373, 775,
    638, 996, 837, 851, 733, 851, 771, 721, 683, 813, 774, 1104, 771, 725, 726, 458, 366, 458, 838, 500, 500, 675,
    716, 593, 716, 679, 436, 716, 712, 343, 343, 666, 343, 1042, 712, 688, 716, 716, 494, 596, 479, 712, 652, 924,
    646, 652, 583, 712, 366, 712, 838,
];
#[rustfmt::skip]
const SERIF: [u16; 95] = [
    318, 402, 460, 838, 637, 951, 891, 275, 391, 391, 500, 838, 318, 338, 318, 337, 637, 637, 637, 637, 637, 637,
    637, 637, 637, 637, 337, 337, 838, 838, 838, 537, 1000, 723, 735, 766, 802, 730, 694, 799, 873, 396, 401, 748,
    665, 1024, 875, 820, 673, 820, 753, 686, 667, 843, 723, 1028, 712, 661, 695, 391, 337, 391, 838, 500, 500, 597,
    641, 561, 641, 592, 371, 641, 645, 320, 311, 606, 320, 949, 645, 603, 641, 641, 479, 514, 402, 645, 565, 856,
    564, 565, 527, 637, 337, 637, 838,
];
#[rustfmt::skip]
const SERIF_BOLD: [u16; 95] = [
    349, 439, 521, 838, 696, 951, 903, 307, 474, 474, 523, 838, 349, 416, 349, 366, 696, 696, 696, 696, 696, 696,
    696, 696, 696, 696, 370, 370, 838, 838, 838, 586, 1000, 776, 846, 796, 868, 763, 710, 855, 945, 468, 474, 870,
    704, 1107, 915, 872, 752, 872, 832, 723, 745, 873, 776, 1124, 776, 714, 730, 474, 366, 474, 838, 500, 500, 648,
    700, 609, 700, 637, 431, 700, 728, 380, 362, 693, 380, 1059, 728, 667, 700, 700, 527, 563, 462, 728, 582, 861,
    597, 582, 568, 644, 364, 644, 838,
];

/// U+00C0..=U+00FF measured as these ASCII letters (each at least as wide in every face): À..ß, then à..ÿ.
const LATIN1_AS: &[u8; 64] = b"AAAAAAWCEEEEIIIIONOOOOO+OUUUUYDBaaaaaaWceeeeiiiidnooooo+ouuuuypy";

/// A character's advance in ems (see [`Face`]).
fn advance(face: Face, c: char) -> f64 {
    let table = match face {
        Face::Sans => &SANS,
        Face::SansBold => &SANS_BOLD,
        Face::Serif => &SERIF,
        Face::SerifBold => &SERIF_BOLD,
    };
    let c = match c as u32 {
        0xC0..=0xFF => char::from(LATIN1_AS[c as usize - 0xC0]),
        _ => c,
    };
    match c {
        ' '..='~' => f64::from(table[c as usize - 0x20]) / 1000.0,
        '\u{200A}' => 0.1,
        '\u{2006}' => 1.0 / 6.0,
        '\u{2009}' => 0.2,
        '\u{2005}' => 0.25,
        '\u{2004}' => 1.0 / 3.0,
        '\u{2013}' => 0.5,
        '\u{2018}' | '\u{2019}' => 0.38,
        '\u{201C}' | '\u{201D}' => 0.66,
        c if attaches(c) => 0.0,
        _ => 1.0,
    }
}

/// How much room a run of text takes: its advances in ems, and how many glyphs carry them.
#[derive(Debug, Clone, Copy, Default)]
struct Extent {
    em: f64,
    glyphs: usize,
}

impl Extent {
    fn of(text: &str, face: Face) -> Extent {
        let advances = text.chars().map(|c| advance(face, c)).filter(|&a| a > 0.0);
        advances.fold(Extent::default(), |e, a| Extent {
            em: e.em + a,
            glyphs: e.glyphs + 1,
        })
    }

    fn plus(self, o: Extent) -> Extent {
        Extent {
            em: self.em + o.em,
            glyphs: self.glyphs + o.glyphs,
        }
    }

    fn minus(self, o: Extent) -> Extent {
        Extent {
            em: self.em - o.em,
            glyphs: self.glyphs - o.glyphs,
        }
    }

    fn times(self, n: usize) -> Extent {
        Extent {
            em: self.em * n as f64,
            glyphs: self.glyphs * n,
        }
    }

    /// Width in pixels at `size`, an upper bound: `drawtext` steps each glyph by its hinted advance, a whole pixel,
    /// which ran up to 0.48 px over the exact advance (DejaVu, sizes 6 to 100), plus a pixel for the last glyph's
    /// overhang.
    fn pixels(self, size: f64) -> f64 {
        self.em * size + HINTING_SLACK_PX * self.glyphs as f64 + 1.0
    }

    /// The largest size at which this fits `measure` pixels.
    fn size_within(self, measure: f64) -> f64 {
        if self.em <= 0.0 {
            f64::MAX
        } else {
            ((measure - 1.0 - HINTING_SLACK_PX * self.glyphs as f64) / self.em).max(0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u32 = 1280;
    const H: u32 = 534;

    fn card(title: &str, tagline: Option<&'static str>, style: TitleStyle) -> Vec<TextLine> {
        layout(&Card { title, tagline, style }, W, H, f64::from(style.duration_s()))
    }

    fn untracked(text: &str) -> String {
        text.chars()
            .filter(|c| !matches!(c, '\u{2004}' | '\u{2005}' | '\u{2006}' | '\u{2009}' | '\u{200A}'))
            .collect()
    }

    #[test]
    fn uppercase_where_the_style_says() {
        for &style in TitleStyle::ALL {
            let lines = card("Tears of Steel", None, style);
            assert_eq!(lines.len(), 1, "{style:?}");
            let want = if style.uppercase() {
                "TEARS OF STEEL"
            } else {
                "Tears of Steel"
            };
            assert_eq!(untracked(&lines[0].text), want, "{style:?}");
        }
    }

    #[test]
    fn tracking_puts_a_space_between_letters() {
        let epic = card("Dune", None, TitleStyle::Epic);
        assert_eq!(epic[0].text, "D\u{2005}U\u{2005}N\u{2005}E");
        let stark = card("It", None, TitleStyle::Stark);
        assert_eq!(stark[0].text, "I\u{2006}T");
        assert_eq!(card("Up", None, TitleStyle::Classic)[0].text, "Up");
        // A combining accent stays on its letter; a flag's two halves stay together.
        assert_eq!(track("e\u{301}t", Some('\u{2009}')), "e\u{301}\u{2009}t");
        assert_eq!(track("\u{1F1EB}\u{1F1F7}", Some('\u{2009}')), "\u{1F1EB}\u{1F1F7}");
    }

    #[test]
    fn a_long_title_wraps_onto_two_balanced_lines_that_fit() {
        let title = "The Extraordinary Adventures of the Girl Who Kicked the Moon";
        assert_eq!(title.chars().count(), 60);
        for style in [
            TitleStyle::Classic,
            TitleStyle::Clean,
            TitleStyle::Playful,
            TitleStyle::Stark,
        ] {
            let lines = card(title, None, style);
            assert_eq!(lines.len(), 2, "{style:?}: {lines:?}");
            let (a, b) = (lines[0].width as f64, lines[1].width as f64);
            assert!(a.max(b) <= f64::from(W) * MEASURE, "{style:?}: {a} {b}");
            assert!(a.min(b) / a.max(b) > 0.7, "{style:?}: unbalanced {a} {b}");
            assert_eq!(
                untracked(&format!("{} {}", lines[0].text, lines[1].text)).to_lowercase(),
                title.to_lowercase()
            );
        }
        // Every style fits in two or three lines.
        for &style in TitleStyle::ALL {
            let lines = card(title, None, style);
            assert!((2..=3).contains(&lines.len()), "{style:?}");
            assert!(
                lines.iter().all(|l| f64::from(l.width) <= f64::from(W) * MEASURE),
                "{style:?}"
            );
        }
    }

    #[test]
    fn a_short_title_is_bigger_than_a_long_one() {
        for &style in TitleStyle::ALL {
            let short = card("Heat", None, style)[0].size;
            let long = card("Tears of Steel and the Secret of the Dragon Mountain", None, style)[0].size;
            assert!(short > long, "{style:?}: {short} vs {long}");
            // Large type: the short title's capitals are between 1/9 and 1/5 of the frame's height.
            let cap = f64::from(short) * CAP_HEIGHT / f64::from(H);
            assert!((1.0 / 9.0..=1.0 / 5.0).contains(&cap), "{style:?}: {cap}");
        }
    }

    #[test]
    fn the_tagline_is_smaller_and_below_and_comes_later() {
        for &style in TitleStyle::ALL {
            let lines = card("Tears of Steel", Some("The future is not what it used to be"), style);
            assert_eq!(lines.len(), 2, "{style:?}: {lines:?}");
            let (title, tag) = (&lines[0], &lines[1]);
            assert!(tag.size < title.size, "{style:?}");
            assert!(tag.y > title.baseline, "{style:?}");
            assert!(tag.fade_in_start_s > 0.0 && tag.fade_in_start_s < f64::from(style.duration_s()) / 2.0);
            assert_eq!(title.fade_in_start_s, 0.0);
            // The block sits in the middle of the frame.
            let (top, bottom) = (title.y, tag.baseline);
            assert!((top - (i64::from(H) - bottom)).abs() <= 2, "{style:?}: {top} {bottom}");
        }
    }

    #[test]
    fn a_portrait_frame_gives_smaller_type() {
        for &style in TitleStyle::ALL {
            // One word cannot wrap: it is simply smaller in the narrow frame.
            let c = Card {
                title: "Interstellar",
                tagline: None,
                style,
            };
            assert!(
                layout(&c, 720, 1280, 4.0)[0].size < layout(&c, 1280, 720, 4.0)[0].size,
                "{style:?}"
            );
            // Words may stack in the tall frame, but never come out larger, and always fit.
            let c = Card {
                title: "Tears of Steel",
                tagline: None,
                style,
            };
            let (wide, tall) = (layout(&c, 640, 360, 4.0), layout(&c, 360, 640, 4.0));
            assert!(tall[0].size <= wide[0].size, "{style:?}: {tall:?} vs {wide:?}");
            assert!(
                tall.iter().all(|l| f64::from(l.width) <= 360.0 * MEASURE),
                "{style:?}: {tall:?}"
            );
        }
    }

    #[test]
    fn an_empty_title_draws_nothing() {
        assert!(card("", Some("tagline"), TitleStyle::Epic).is_empty());
        assert!(card(" \n\t ", None, TitleStyle::Clean).is_empty());
        assert_eq!(filters(&[], &[], W, H, 4.0), "null");
    }

    #[test]
    fn an_endless_title_is_cut_with_an_ellipsis_and_still_fits() {
        let title = "word ".repeat(400);
        for (w, h) in [(1280, 534), (320, 180), (360, 640)] {
            let lines = layout(
                &Card {
                    title: &title,
                    tagline: None,
                    style: TitleStyle::Impact,
                },
                w,
                h,
                3.5,
            );
            assert!(lines.len() <= MAX_TITLE_LINES);
            assert!(lines.last().is_some_and(|l| l.text.ends_with('…')));
            assert!(
                lines.iter().all(|l| f64::from(l.width) <= f64::from(w) * MEASURE),
                "{w}x{h}"
            );
        }
        // One unbroken word too long for any line is broken inside.
        let word = "x".repeat(300);
        let lines = layout(
            &Card {
                title: &word,
                tagline: None,
                style: TitleStyle::Clean,
            },
            640,
            360,
            4.0,
        );
        assert!(lines.iter().all(|l| f64::from(l.width) <= 640.0 * MEASURE));
    }

    #[test]
    fn odd_frames_and_lengths_do_not_panic() {
        for (w, h) in [(1, 1), (16, 9), (320, 180), (1920, 800), (360, 640), (4096, 1716)] {
            for dur in [0.0, 0.5, 5.0, f64::NAN] {
                for &style in TitleStyle::ALL {
                    let lines = layout(
                        &Card {
                            title: "Tears of Steel",
                            tagline: Some("A tale"),
                            style,
                        },
                        w,
                        h,
                        dur,
                    );
                    let files: Vec<PathBuf> = (0..lines.len()).map(|i| PathBuf::from(format!("t{i}.txt"))).collect();
                    let _ = filters(&lines, &files, w, h, dur);
                }
            }
        }
    }

    #[test]
    fn fades_are_a_third_of_the_card_at_most() {
        assert_eq!(card_fade(TitleStyle::Classic, 5.0), 1.0);
        assert!((card_fade(TitleStyle::Classic, 1.5) - 0.5).abs() < 1e-9);
        assert_eq!(card_fade(TitleStyle::Impact, 3.5), 0.25);
    }

    #[test]
    fn the_filter_reads_text_from_files_and_escapes_paths_and_fonts() {
        let lines = card("100% %{pts}", Some("it's: a test"), TitleStyle::Epic);
        let files = [PathBuf::from("/tmp/a dir/it's,0.txt"), PathBuf::from("/tmp/b.txt")];
        let f = filters(&lines, &files, W, H, 5.0);
        assert!(f.contains(r"textfile=/tmp/a\\\ dir/it\\\'s\,0.txt:"), "{f}");
        assert!(f.contains(r"fontfile=DejaVu\\\ Serif\\:style=Bold:"), "{f}");
        assert!(!f.contains("pts"), "{f}");
        assert!(f.contains("expansion=none"));
        assert!(f.contains(r"alpha=clip((t-0.940)/0.800\,0\,1)"), "{f}");
        assert!(f.contains("drawbox="), "{f}");
        assert!(f.ends_with("fade=t=in:st=0:d=0.800,fade=t=out:st=4.200:d=0.800"), "{f}");
    }
}
