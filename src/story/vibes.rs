//! The 18 vibes: one table of data that grading, pacing, music and loudness read.
//!
//! Numbers are the earlier tool's (`reference/cinecut-python.md` §7), kept so trailers are comparable.

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    HardCut,
    Crossfade,
    FadeToBlack,
}

impl Transition {
    pub fn name(self) -> &'static str {
        match self {
            Transition::HardCut => "hard_cut",
            Transition::Crossfade => "crossfade",
            Transition::FadeToBlack => "fade_to_black",
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Vibe {
    pub name: &'static str,
    /// Colour temperature shift: + warms (red up, blue down), − cools.
    pub temperature: f32,
    pub saturation: f32,
    /// Contrast around mid-grey.
    pub contrast: f32,
    pub brightness: f32,
    /// Integrated loudness target of the finished trailer.
    pub lufs: f32,
    /// Average cut length in seconds for acts 1, 2 and 3.
    pub cut_s: [f32; 3],
    pub clips: (u32, u32),
    /// Share of clips that carry a spoken line.
    pub dialogue_ratio: f32,
    pub primary_transition: Transition,
    pub secondary_transition: Transition,
    pub bpm_default: u32,
    pub bpm_range: (u32, u32),
    pub music_tag: &'static str,
    pub pacing: &'static str,
    /// Length of `--length trailer`, seconds (never over 150).
    pub default_length_s: f32,
    /// The silence beat before act 3: black picture, no sound (3–5 s).
    pub silence_s: f32,
    pub title_card: TitleStyle,
    /// How the vibe's lines spread over acts 1, 2 and 3: relative weights per clip, so `[1.5, 1.0, 0.2]` puts
    /// most of the `dialogue_ratio` lines in act 1 and almost none in the act 3 montage.
    pub act_dialogue: [f32; 3],
}

/// How the title card looks and how long it holds. `narrative` books its length; `conform` draws it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TitleStyle {
    /// Heavy capitals, tight fades: action, war, music.
    Impact,
    /// Serif, mixed case, slow fades: drama, history, romance, western.
    Classic,
    /// Thin capitals that fade up out of the dark: horror, thriller, crime, mystery.
    Stark,
    /// Wide-spaced serif capitals: adventure, fantasy, sci-fi.
    Epic,
    /// Round bold letters, quick fades: comedy, family, animation.
    Playful,
    /// Plain sans, mixed case: documentary.
    Clean,
}

impl TitleStyle {
    pub const ALL: &[TitleStyle] = &[
        TitleStyle::Impact,
        TitleStyle::Classic,
        TitleStyle::Stark,
        TitleStyle::Epic,
        TitleStyle::Playful,
        TitleStyle::Clean,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TitleStyle::Impact => "impact",
            TitleStyle::Classic => "classic",
            TitleStyle::Stark => "stark",
            TitleStyle::Epic => "epic",
            TitleStyle::Playful => "playful",
            TitleStyle::Clean => "clean",
        }
    }

    /// How long the card holds in a full-length trailer, fades included.
    pub fn duration_s(self) -> f32 {
        match self {
            TitleStyle::Impact | TitleStyle::Playful => 3.5,
            TitleStyle::Stark | TitleStyle::Clean => 4.0,
            TitleStyle::Classic | TitleStyle::Epic => 5.0,
        }
    }

    /// Fade in and fade out, each.
    pub fn fade_s(self) -> f32 {
        match self {
            TitleStyle::Impact => 0.25,
            TitleStyle::Playful => 0.4,
            TitleStyle::Clean => 0.6,
            TitleStyle::Epic => 0.8,
            TitleStyle::Stark | TitleStyle::Classic => 1.0,
        }
    }

    /// The font family (fontconfig name); DejaVu ships with nearly every Linux system.
    pub fn font(self) -> &'static str {
        match self {
            TitleStyle::Classic | TitleStyle::Epic => "DejaVu Serif",
            _ => "DejaVu Sans",
        }
    }

    pub fn bold(self) -> bool {
        matches!(self, TitleStyle::Impact | TitleStyle::Playful | TitleStyle::Epic)
    }

    pub fn uppercase(self) -> bool {
        matches!(self, TitleStyle::Impact | TitleStyle::Stark | TitleStyle::Epic)
    }

    /// Extra space between letters, as a share of the font size.
    pub fn tracking(self) -> f32 {
        match self {
            TitleStyle::Epic => 0.25,
            TitleStyle::Stark => 0.15,
            TitleStyle::Impact => 0.05,
            _ => 0.0,
        }
    }
}

use TitleStyle::{
    Classic as CLASSIC, Clean as CLEAN, Epic as EPIC, Impact as IMPACT, Playful as PLAYFUL, Stark as STARK,
};
use Transition::{Crossfade as XF, FadeToBlack as FB, HardCut as HC};

macro_rules! vibe {
    ($name:literal, $t:expr, $s:expr, $c:expr, $b:expr, $l:expr, [$a1:expr, $a2:expr, $a3:expr],
     ($cmin:expr, $cmax:expr), $d:expr, $p:expr, $q:expr, $bpm:expr, ($lo:expr, $hi:expr), $tag:literal, $pace:literal,
     $len:expr, $sil:expr, $title:expr, [$d1:expr, $d2:expr, $d3:expr]) => {
        Vibe {
            name: $name,
            temperature: $t,
            saturation: $s,
            contrast: $c,
            brightness: $b,
            lufs: $l,
            cut_s: [$a1, $a2, $a3],
            clips: ($cmin, $cmax),
            dialogue_ratio: $d,
            primary_transition: $p,
            secondary_transition: $q,
            bpm_default: $bpm,
            bpm_range: ($lo, $hi),
            music_tag: $tag,
            pacing: $pace,
            default_length_s: $len,
            silence_s: $sil,
            title_card: $title,
            act_dialogue: [$d1, $d2, $d3],
        }
    };
}

#[rustfmt::skip]
pub static VIBES: [Vibe; 18] = [
    //     name          temp   sat   con   bri    LUFS   cut s (a1,a2,a3)  clips    dlg   prim sec  bpm  range       tag            pacing                        length silence title  act dialogue
    vibe!("action",      -0.05, 1.15, 1.20,  0.00, -14.0, [4.0, 2.5, 1.2], (25, 35), 0.25, HC, HC, 128, (100, 160), "action",      "moderate→fast→montage", 120.0, 3.0, IMPACT,  [1.6, 1.0, 0.2]),
    vibe!("adventure",    0.03, 1.10, 1.10,  0.02, -14.0, [5.0, 3.5, 2.0], (20, 30), 0.35, XF, FB, 110, (90, 140),  "adventure",   "steady→brisk→swift", 135.0, 3.5, EPIC,    [1.5, 1.0, 0.3]),
    vibe!("animation",    0.00, 1.25, 1.00,  0.03, -16.0, [5.0, 3.5, 2.5], (18, 25), 0.40, HC, XF, 100, (80, 130),  "pop",         "steady→brisk→punchy", 120.0, 3.0, PLAYFUL, [1.3, 1.0, 0.5]),
    vibe!("comedy",       0.05, 1.10, 0.90,  0.03, -16.0, [5.0, 4.0, 3.0], (15, 22), 0.55, HC, XF,  95, (75, 130),  "pop",         "relaxed→moderate→lively", 120.0, 3.0, PLAYFUL, [1.2, 1.0, 0.7]),
    vibe!("crime",       -0.05, 0.75, 1.25, -0.02, -18.0, [5.0, 3.5, 2.0], (20, 28), 0.40, HC, FB, 105, (80, 140),  "darkambient", "measured→taut→sharp", 130.0, 4.0, STARK,   [1.4, 1.0, 0.3]),
    vibe!("documentary",  0.00, 0.90, 1.00,  0.00, -20.0, [7.0, 5.0, 4.0], (12, 18), 0.60, XF, XF,  75, (55, 110),  "documentary", "slow→steady→deliberate", 140.0, 4.0, CLEAN,   [1.2, 1.0, 0.7]),
    vibe!("drama",       -0.02, 0.85, 1.15, -0.01, -18.0, [7.0, 5.0, 3.5], (14, 20), 0.55, XF, FB,  80, (60, 110),  "dramatic",    "slow→steady→purposeful", 140.0, 4.5, CLASSIC, [1.4, 1.0, 0.5]),
    vibe!("family",       0.05, 1.10, 0.90,  0.03, -16.0, [5.0, 4.0, 3.0], (16, 22), 0.45, XF, XF,  95, (75, 130),  "pop",         "relaxed→moderate→lively", 120.0, 3.0, PLAYFUL, [1.3, 1.0, 0.5]),
    vibe!("fantasy",      0.00, 1.15, 1.10,  0.02, -16.0, [6.0, 4.0, 2.5], (18, 26), 0.35, XF, FB, 105, (80, 140),  "epic",        "measured→brisk→swift", 140.0, 4.0, EPIC,    [1.5, 1.0, 0.3]),
    vibe!("history",      0.07, 0.80, 1.15, -0.02, -18.0, [7.0, 5.0, 3.5], (14, 20), 0.55, XF, FB,  80, (55, 110),  "classical",   "slow→steady→purposeful", 140.0, 4.5, CLASSIC, [1.4, 1.0, 0.4]),
    vibe!("horror",      -0.03, 0.70, 1.35, -0.05, -20.0, [6.0, 4.0, 1.8], (20, 28), 0.30, HC, FB,  90, (60, 130),  "darkambient", "tense→jarring→barrage", 125.0, 5.0, STARK,   [1.5, 0.8, 0.2]),
    vibe!("music",        0.00, 1.20, 0.95,  0.02, -14.0, [4.0, 3.0, 2.0], (20, 28), 0.20, HC, HC, 120, (90, 160),  "pop",         "brisk→fast→montage", 110.0, 3.0, IMPACT,  [1.2, 1.0, 0.3]),
    vibe!("mystery",     -0.04, 0.75, 1.20, -0.03, -18.0, [6.0, 4.5, 3.0], (16, 22), 0.45, XF, FB,  88, (65, 120),  "darkambient", "measured→taut→deliberate", 130.0, 4.5, STARK,   [1.4, 1.0, 0.4]),
    vibe!("romance",      0.07, 1.05, 0.85,  0.04, -18.0, [7.0, 5.0, 4.0], (12, 18), 0.55, XF, FB,  80, (60, 110),  "romantic",    "slow→steady→tender", 135.0, 4.0, CLASSIC, [1.3, 1.0, 0.6]),
    vibe!("sci-fi",      -0.08, 0.90, 1.25, -0.02, -14.0, [5.0, 3.5, 2.0], (22, 30), 0.35, HC, FB, 115, (90, 150),  "electronic",  "measured→brisk→rapid", 130.0, 4.0, EPIC,    [1.5, 1.0, 0.3]),
    vibe!("thriller",    -0.04, 0.85, 1.30, -0.03, -16.0, [5.0, 3.0, 1.5], (25, 35), 0.30, HC, FB, 120, (90, 150),  "dramatic",    "taut→fast→barrage", 125.0, 4.5, STARK,   [1.5, 0.9, 0.2]),
    vibe!("war",         -0.02, 0.70, 1.20, -0.03, -16.0, [5.0, 3.0, 1.5], (25, 35), 0.25, HC, HC, 118, (90, 150),  "epic",        "heavy→fast→assault", 125.0, 4.0, IMPACT,  [1.5, 0.9, 0.2]),
    vibe!("western",      0.08, 0.85, 1.15, -0.01, -18.0, [6.0, 4.5, 3.0], (16, 22), 0.45, XF, FB,  90, (65, 125),  "acoustic",    "steady→measured→purposeful", 135.0, 4.0, CLASSIC, [1.4, 1.0, 0.4]),
];

/// Case, spaces and underscores don't matter; `scifi` and `sci_fi` mean `sci-fi`.
fn normalise(s: &str) -> String {
    let s: String = s
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '_' { '-' } else { c })
        .collect();
    match s.as_str() {
        "scifi" | "sci-fi" | "science-fiction" => "sci-fi".into(),
        _ => s,
    }
}

impl Vibe {
    /// The vibe a user typed, or an error naming the nearest vibe.
    pub fn parse(given: &str) -> Result<&'static Vibe> {
        let norm = normalise(given);
        if let Some(v) = VIBES.iter().find(|v| v.name == norm) {
            return Ok(v);
        }
        let nearest = VIBES
            .iter()
            .map(|v| (strsim::levenshtein(&norm, v.name), v.name))
            .min()
            .filter(|(d, _)| *d <= 3);
        Err(Error::UnknownVibe {
            given: given.to_string(),
            suggestion: nearest
                .map(|(_, n)| format!("; did you mean '{n}'?"))
                .unwrap_or_default(),
            known: VIBES.iter().map(|v| v.name).collect::<Vec<_>>().join(", "),
        })
    }
}

/// The table `cinecut vibes` prints: one row per vibe, every parameter.
pub fn vibes_table() -> String {
    let head = [
        "vibe",
        "temp",
        "sat",
        "con",
        "bright",
        "LUFS",
        "cut s 1/2/3",
        "clips",
        "dlg",
        "lines 1/2/3",
        "transitions",
        "BPM",
        "range",
        "music",
        "length",
        "silence",
        "title",
        "pacing",
    ];
    let rows: Vec<[String; 18]> = VIBES
        .iter()
        .map(|v| {
            [
                v.name.to_string(),
                format!("{:+.2}", v.temperature),
                format!("{:.2}", v.saturation),
                format!("{:.2}", v.contrast),
                format!("{:+.2}", v.brightness),
                format!("{:.0}", v.lufs),
                format!("{}/{}/{}", v.cut_s[0], v.cut_s[1], v.cut_s[2]),
                format!("{}-{}", v.clips.0, v.clips.1),
                format!("{:.2}", v.dialogue_ratio),
                format!("{}/{}/{}", v.act_dialogue[0], v.act_dialogue[1], v.act_dialogue[2]),
                format!("{}, {}", v.primary_transition.name(), v.secondary_transition.name()),
                v.bpm_default.to_string(),
                format!("{}-{}", v.bpm_range.0, v.bpm_range.1),
                v.music_tag.to_string(),
                format!("{:.0} s", v.default_length_s),
                format!("{} s", v.silence_s),
                v.title_card.name().to_string(),
                v.pacing.to_string(),
            ]
        })
        .collect();
    let width = |i: usize| {
        rows.iter()
            .map(|r| r[i].chars().count())
            .chain([head[i].len()])
            .max()
            .unwrap_or(0)
    };
    let widths: Vec<usize> = (0..head.len()).map(width).collect();
    let line = |cells: &[String]| {
        let mut l = cells
            .iter()
            .zip(&widths)
            .map(|(c, &w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect::<Vec<_>>()
            .join("  ");
        l.truncate(l.trim_end().len());
        l + "\n"
    };
    let mut out = line(&head.map(String::from));
    for r in &rows {
        out.push_str(&line(r));
    }
    out.push_str(
        "\ncut s: average clip length per act; clips: clip range at the default length; dlg: share of clips with a \
         line; lines: how the lines spread over acts 1/2/3; length: --length trailer; silence: the beat before act 3\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_normalise() {
        for s in ["Action", " ACTION ", "action"] {
            assert_eq!(Vibe::parse(s).unwrap().name, "action");
        }
        for s in ["sci fi", "scifi", "sci_fi", "Sci-Fi", "SCI FI"] {
            assert_eq!(Vibe::parse(s).unwrap().name, "sci-fi", "{s}");
        }
    }

    #[test]
    fn unknown_vibe_suggests_the_nearest() {
        let e = Vibe::parse("thriler").unwrap_err().to_string();
        assert!(e.contains("did you mean 'thriller'"), "{e}");
        assert!(e.contains("cinecut vibes"), "{e}");
        let e = Vibe::parse("zzzzzzzzzz").unwrap_err().to_string();
        assert!(!e.contains("did you mean"), "{e}");
    }

    #[test]
    fn table_is_complete_and_sane() {
        assert_eq!(VIBES.len(), 18);
        for v in &VIBES {
            assert!(v.cut_s[0] > v.cut_s[1] && v.cut_s[1] > v.cut_s[2], "{}", v.name);
            assert!(
                v.bpm_range.0 <= v.bpm_default && v.bpm_default <= v.bpm_range.1,
                "{}",
                v.name
            );
            assert!(v.clips.0 <= v.clips.1);
        }
        assert_eq!(vibes_table().lines().count(), 21);
    }
}
