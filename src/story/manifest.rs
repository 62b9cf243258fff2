//! `TRAILER_MANIFEST.json`: the cut list that `narrative` writes, the user may edit, and `assembly` renders
//! exactly as written.
//!
//! Compatible with the earlier tool's schema 2.0 (`reference/cinecut-python.md` §10): a file it wrote loads here,
//! and a file written here loads there (it ignores the fields added since). Unknown fields are kept in `extra` and
//! written back on save, so a hand-added note or a newer tool's field survives a load → save round trip.
//!
//! Loading first reads plain JSON, then checks every field by hand, so a user who edited the file by hand gets
//! ALL problems at once, each with its JSON path, instead of the first one serde trips over.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::plan::MAX_LENGTH_S;
use super::rules::MIN_CLIP_S;
use super::vibes::{self, TitleStyle, VIBES, Vibe};
use crate::analyze::{AnchorSource, Anchors, Zone};
use crate::error::{Error, IoContext, Result};
use crate::workdir::atomic_write;

pub const MANIFEST: &str = "TRAILER_MANIFEST.json";
/// 2.0 plus optional fields only: the earlier tool never checked the version and ignores unknown keys.
pub(super) const SCHEMA_VERSION: &str = "2.1";

const FIX: &str = "fix them in the file, or re-run with --review to write a new manifest";
/// The most problems a message lists; the count says how many more there are.
const PROBLEMS_SHOWN: usize = 20;
/// The most clips a manifest may hold: the longest trailer cut into the shortest clips the chooser makes.
const MAX_CLIPS: usize = (MAX_LENGTH_S / MIN_CLIP_S) as usize;

/// A string enum with one spelling per variant, kept in one place for serde, messages and the JSON Schema.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant,)+
        }

        impl $name {
            pub const NAMES: &[&str] = &[$($text),+];

            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }
    };
}

string_enum! {
    /// What the moment does in the story.
    BeatType {
        IncitingIncident = "inciting_incident",
        CharacterIntroduction = "character_introduction",
        EscalationBeat = "escalation_beat",
        RelationshipBeat = "relationship_beat",
        MoneyShot = "money_shot",
        ClimaxPeak = "climax_peak",
        Breath = "breath",
    }
}

string_enum! {
    /// The trailer act a clip plays in.
    Act {
        ColdOpen = "cold_open",
        Act1 = "act1",
        BeatDrop = "beat_drop",
        Act2 = "act2",
        Breath = "breath",
        Act3 = "act3",
        TitleCard = "title_card",
        Button = "button",
    }
}

string_enum! {
    /// How a clip meets the one before it. A superset of the vibes' transitions (the earlier tool had
    /// `fade_to_white` in the manifest only).
    #[derive(Default)]
    Transition {
        #[default]
        HardCut = "hard_cut",
        Crossfade = "crossfade",
        FadeToBlack = "fade_to_black",
        FadeToWhite = "fade_to_white",
    }
}

impl From<vibes::Transition> for Transition {
    fn from(t: vibes::Transition) -> Self {
        match t {
            vibes::Transition::HardCut => Transition::HardCut,
            vibes::Transition::Crossfade => Transition::Crossfade,
            vibes::Transition::FadeToBlack => Transition::FadeToBlack,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    #[serde(default = "default_schema_version")]
    pub schema_version: String,
    /// The film, as written: absolute, or relative to the manifest's folder (see `resolve_source`).
    pub source_file: String,
    /// The canonical vibe name (`Vibe::parse` accepts variants; loading stores the canonical one).
    pub vibe: String,
    /// Text of the title card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A line under the title on the card (`--tagline`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tagline: Option<String>,
    /// The trailer length `narrative` aimed at (clips, cards and silence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_length_s: Option<f64>,
    /// Length of the silence beat (black, no sound). It plays right before the first `act3` clip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silence_s: Option<f64>,
    /// Length of the title card. It plays right before the first `button` clip, or last when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_card_s: Option<f64>,
    /// How the title card looks (`impact`, `classic`, `stark`, `epic`, `playful`, `clean`); the vibe's if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_style: Option<String>,
    /// The film's own title shot, played as the title card instead of the typeset one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_shot: Option<TitleShot>,
    /// Why the title card is the film's shot or the typeset card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_card_reason: Option<String>,
    /// Identifies the film the times refer to, so a manifest is not rendered against another cut.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_fingerprint: Option<String>,
    /// In trailer order: rendered in exactly this order.
    pub clips: Vec<Clip>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structural_anchors: Option<StructuralAnchors>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bpm_grid: Option<BpmGrid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub music_bed: Option<MusicBed>,
    /// Fields this version does not know: kept, ignored, written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where the film shows its own title: the card plays the middle of this stretch, faded in and out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TitleShot {
    pub source_start_s: f64,
    pub source_end_s: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Clip {
    pub source_start_s: f64,
    pub source_end_s: f64,
    pub beat_type: BeatType,
    pub act: Act,
    #[serde(default)]
    pub transition: Transition,
    #[serde(default)]
    pub dialogue_excerpt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narrative_zone: Option<Zone>,
    /// 0–1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money_shot_score: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visual_analysis: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle_analysis: Option<String>,
    /// Play the film's own sound under this clip (dialogue), not only the music.
    #[serde(default)]
    pub keep_audio: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Clip {
    pub fn duration_s(&self) -> f64 {
        self.source_end_s - self.source_start_s
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StructuralAnchors {
    #[serde(flatten)]
    pub anchors: Anchors,
    /// The earlier tool's default when the field is absent.
    #[serde(default = "default_anchor_source")]
    pub source: AnchorSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BpmGrid {
    pub bpm: f64,
    pub beat_count: u64,
    /// "librosa" / "vibe_default" in the earlier tool; optional because its own README example lacked it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// All optional, so older and partial files load (the earlier tool required the strings).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MusicBed {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artist_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_ccurl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bpm: Option<f64>,
}

fn default_schema_version() -> String {
    "2.0".into()
}

fn default_anchor_source() -> AnchorSource {
    AnchorSource::Llm
}

impl Manifest {
    /// A hash of the decisions: everything but what assembly itself writes back (`music_bed`, `bpm_grid`), so
    /// a render does not count as an edit.
    pub fn decisions_key(&self) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(obj) = value.as_object_mut() {
            obj.remove("music_bed");
            obj.remove("bpm_grid");
        }
        blake3::hash(value.to_string().as_bytes()).to_hex().to_string()
    }

    /// Read and check a manifest. With `film_duration_s`, clip and anchor times past the film's end are errors.
    /// Every problem is reported at once, each with its JSON path (exit 2).
    pub fn load(path: &Path, film_duration_s: Option<f64>) -> Result<Manifest> {
        let text = std::fs::read_to_string(path).at(path, "reading the manifest")?;
        Manifest::parse(&text, film_duration_s).map_err(|problems| {
            let n = problems.len();
            let mut list: String = problems
                .iter()
                .take(PROBLEMS_SHOWN)
                .map(|p| format!("\n  - {p}"))
                .collect();
            if n > PROBLEMS_SHOWN {
                list.push_str(&format!("\n  - … and {} more", n - PROBLEMS_SHOWN));
            }
            let noun = if n == 1 { "problem" } else { "problems" };
            Error::bad_input(path, format!("{n} {noun}:{list}"), FIX)
        })
    }

    /// `load` without the file: the manifest, or every problem found.
    pub fn parse(text: &str, film_duration_s: Option<f64>) -> std::result::Result<Manifest, Vec<String>> {
        let value: Value = serde_json::from_str(text).map_err(|e| vec![format!("not valid JSON: {e}")])?;
        let mut check = Check::default();
        check.manifest(&value, film_duration_s);
        if !check.problems.is_empty() {
            return Err(check.problems);
        }
        // Every field serde reads was checked above, so this can fail only if the two disagree (a bug).
        let mut manifest: Manifest = serde_json::from_value(value).map_err(|e| vec![e.to_string()])?;
        if let Ok(v) = Vibe::parse(&manifest.vibe) {
            manifest.vibe = v.name.to_string();
        }
        Ok(manifest)
    }

    /// Write pretty JSON atomically: the file is the old one or the new one, never half of either.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Runtime(format!("manifest: {e}")))?;
        text.push('\n');
        atomic_write(path, text.as_bytes()).at(path, "writing the manifest")
    }

    /// The film: `source_file` as is when absolute, else relative to the manifest's folder.
    pub fn resolve_source(&self, manifest_path: &Path) -> PathBuf {
        let source = Path::new(&self.source_file);
        if source.is_absolute() {
            return source.to_path_buf();
        }
        manifest_path.parent().unwrap_or(Path::new("")).join(source)
    }

    /// The vibe's parameters. `load` has checked the name.
    pub fn vibe(&self) -> Result<&'static Vibe> {
        Vibe::parse(&self.vibe)
    }
}

/// Collects problems while walking the JSON. Each helper reports under `path.key` and returns the value only
/// when it has the right type, so later checks (end > start) run only on values that make sense.
#[derive(Default)]
struct Check {
    problems: Vec<String>,
}

/// How a wrong value looks in a message: scalars as JSON, containers by kind (they may be huge).
fn shown(v: &Value) -> String {
    match v {
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        Value::String(s) if s.chars().count() > 40 => format!("\"{}…\"", s.chars().take(40).collect::<String>()),
        _ => v.to_string(),
    }
}

/// Film-time tolerance: durations from different probes of the same file differ by a frame's rounding.
const END_TOLERANCE_S: f64 = 0.05;

impl Check {
    fn problem(&mut self, p: String) {
        self.problems.push(p);
    }

    /// The field's value; `None` when absent or null (an error when `required`).
    fn field<'a>(&mut self, obj: &'a Map<String, Value>, path: &str, key: &str, required: bool) -> Option<&'a Value> {
        match obj.get(key) {
            None if required => self.problem(format!("{path}{key} is missing")),
            Some(Value::Null) if required => self.problem(format!("{path}{key} must be given, not null")),
            Some(Value::Null) | None => {}
            v => return v,
        }
        None
    }

    fn number(&mut self, obj: &Map<String, Value>, path: &str, key: &str, required: bool) -> Option<f64> {
        let v = self.field(obj, path, key, required)?;
        let n = v.as_f64();
        if n.is_none() {
            self.problem(format!("{path}{key} must be a number, not {}", shown(v)));
        }
        n
    }

    /// A number ≥ 0.
    fn time(&mut self, obj: &Map<String, Value>, path: &str, key: &str, required: bool) -> Option<f64> {
        let t = self.number(obj, path, key, required)?;
        if t < 0.0 {
            self.problem(format!("{path}{key} must not be negative ({t:?})"));
            return None;
        }
        Some(t)
    }

    fn string<'a>(&mut self, obj: &'a Map<String, Value>, path: &str, key: &str, required: bool) -> Option<&'a str> {
        let v = self.field(obj, path, key, required)?;
        let s = v.as_str();
        if s.is_none() {
            self.problem(format!("{path}{key} must be a string, not {}", shown(v)));
        }
        s
    }

    fn boolean(&mut self, obj: &Map<String, Value>, path: &str, key: &str) {
        if let Some(v) = self.field(obj, path, key, false)
            && !v.is_boolean()
        {
            self.problem(format!("{path}{key} must be true or false, not {}", shown(v)));
        }
    }

    fn object<'a>(&mut self, v: &'a Value, path: &str) -> Option<&'a Map<String, Value>> {
        let o = v.as_object();
        if o.is_none() {
            self.problem(format!("{path} must be an object, not {}", shown(v)));
        }
        o
    }

    /// One of `names`, or what serde of `T` accepts beyond them (e.g. a lower-case zone).
    fn one_of<T: DeserializeOwned>(
        &mut self,
        obj: &Map<String, Value>,
        path: &str,
        key: &str,
        what: &str,
        names: &[String],
        required: bool,
    ) {
        let Some(s) = self.string(obj, path, key, required) else {
            return;
        };
        if serde_json::from_value::<T>(Value::from(s)).is_err() {
            self.problem(format!(
                "{path}{key}: unknown {what} \"{s}\" (expected one of {})",
                names.join(", ")
            ));
        }
    }

    /// A time that must lie inside the film, when its duration is known.
    fn in_film(&mut self, t: Option<f64>, path: &str, key: &str, duration: Option<f64>) {
        if let (Some(t), Some(d)) = (t, duration)
            && t > d + END_TOLERANCE_S
        {
            self.problem(format!("{path}{key} {t:?} is beyond the film's end ({d:?} s)"));
        }
    }

    fn manifest(&mut self, value: &Value, duration: Option<f64>) {
        let Some(top) = value.as_object() else {
            self.problem(format!("the manifest must be a JSON object, not {}", shown(value)));
            return;
        };
        self.string(top, "", "schema_version", false);
        if let Some(s) = self.string(top, "", "source_file", true)
            && s.trim().is_empty()
        {
            self.problem("source_file must not be empty".into());
        }
        if let Some(v) = self.string(top, "", "vibe", true)
            && let Err(Error::UnknownVibe { suggestion, .. }) = Vibe::parse(v)
        {
            let hint = match suggestion.trim_start_matches("; ") {
                "" => "run `cinecut vibes` to list the 18 vibes".to_string(),
                s => s.to_string(),
            };
            self.problem(format!("vibe: unknown vibe \"{v}\" ({hint})"));
        }
        self.string(top, "", "title", false);
        self.string(top, "", "tagline", false);
        self.string(top, "", "source_fingerprint", false);
        if let Some(t) = self.number(top, "", "target_length_s", false)
            && t <= 0.0
        {
            self.problem(format!("target_length_s must be greater than 0 ({t:?})"));
        }
        self.time(top, "", "silence_s", false);
        self.time(top, "", "title_card_s", false);
        self.one_of::<TitleStyle>(top, "", "title_style", "title style", &names(TitleStyle::ALL), false);
        self.string(top, "", "title_card_reason", false);
        match self.field(top, "", "title_shot", false) {
            Some(Value::Object(shot)) => {
                let a = self.time(shot, "title_shot.", "source_start_s", true);
                let b = self.time(shot, "title_shot.", "source_end_s", true);
                if let (Some(a), Some(b)) = (a, b)
                    && b <= a
                {
                    self.problem(format!(
                        "title_shot: source_end_s ({b}) must be after source_start_s ({a})"
                    ));
                }
                self.in_film(b, "title_shot.", "source_end_s", duration);
            }
            Some(v) => self.problem(format!(
                "title_shot must be an object with source_start_s and source_end_s, not {}",
                shown(v)
            )),
            None => {}
        }

        match self.field(top, "", "clips", true) {
            Some(Value::Array(clips)) if clips.is_empty() => self.problem("clips: at least one clip is needed".into()),
            // Checked before the clips one by one: ten thousand of them are one problem, not ten thousand.
            Some(Value::Array(clips)) if clips.len() > MAX_CLIPS => self.problem(format!(
                "clips: {} clips, more than a trailer holds (at most {MAX_CLIPS}: {MAX_LENGTH_S} s of clips of at \
                 least {MIN_CLIP_S} s)",
                clips.len()
            )),
            Some(Value::Array(clips)) => {
                let before = self.problems.len();
                for (i, clip) in clips.iter().enumerate() {
                    self.clip(clip, &format!("clips[{i}]"), duration);
                }
                // Over the clips that are right one by one (a clip far past the film's end is its own problem).
                let total: f64 = clips
                    .iter()
                    .filter_map(|c| Some(c["source_end_s"].as_f64()? - c["source_start_s"].as_f64()?))
                    .filter(|d| *d > 0.0)
                    .sum();
                if self.problems.len() == before && total > MAX_LENGTH_S + END_TOLERANCE_S {
                    self.problem(format!(
                        "clips: they add up to {total:.1} s, longer than the longest trailer ({MAX_LENGTH_S} s)"
                    ));
                }
            }
            Some(v) => self.problem(format!("clips must be an array, not {}", shown(v))),
            None => {}
        }

        if let Some(v) = self.field(top, "", "structural_anchors", false)
            && let Some(a) = self.object(v, "structural_anchors")
        {
            let p = "structural_anchors.";
            for key in ["begin_t", "escalation_t", "climax_t"] {
                let t = self.time(a, p, key, true);
                self.in_film(t, p, key, duration);
            }
            self.one_of::<AnchorSource>(a, p, "source", "anchor source", &names(&ANCHOR_SOURCES), false);
        }

        if let Some(v) = self.field(top, "", "bpm_grid", false)
            && let Some(g) = self.object(v, "bpm_grid")
        {
            let p = "bpm_grid.";
            self.positive(g, p, "bpm", true);
            if let Some(v) = self.field(g, p, "beat_count", true)
                && v.as_u64().is_none()
            {
                self.problem(format!(
                    "bpm_grid.beat_count must be a whole number ≥ 0, not {}",
                    shown(v)
                ));
            }
            self.string(g, p, "source", false);
        }

        if let Some(v) = self.field(top, "", "music_bed", false)
            && let Some(m) = self.object(v, "music_bed")
        {
            let p = "music_bed.";
            for key in ["track_id", "track_name", "artist_name", "license_ccurl", "local_path"] {
                self.string(m, p, key, false);
            }
            self.positive(m, p, "bpm", false);
        }
    }

    fn positive(&mut self, obj: &Map<String, Value>, path: &str, key: &str, required: bool) {
        if let Some(n) = self.number(obj, path, key, required)
            && n <= 0.0
        {
            self.problem(format!("{path}{key} must be greater than 0 ({n:?})"));
        }
    }

    fn clip(&mut self, clip: &Value, path: &str, duration: Option<f64>) {
        let Some(c) = self.object(clip, path) else {
            return;
        };
        let p = &format!("{path}.");
        let start = self.time(c, p, "source_start_s", true);
        let end = self.time(c, p, "source_end_s", true);
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            self.problem(format!(
                "{p}source_end_s must be greater than source_start_s ({e:?} <= {s:?})"
            ));
        }
        // The start is reported only when the whole clip is past the end: one problem per clip is enough.
        match (start, end, duration) {
            (Some(s), _, Some(d)) if s >= d + END_TOLERANCE_S => self.in_film(Some(s), p, "source_start_s", duration),
            _ => self.in_film(end, p, "source_end_s", duration),
        }
        self.one_of::<BeatType>(c, p, "beat_type", "beat type", &names(BeatType::NAMES), true);
        self.one_of::<Act>(c, p, "act", "act", &names(Act::NAMES), true);
        self.one_of::<Transition>(c, p, "transition", "transition", &names(Transition::NAMES), false);
        self.one_of::<Zone>(c, p, "narrative_zone", "zone", &names(&Zone::ALL), false);
        self.string(c, p, "dialogue_excerpt", false);
        if let Some(x) = self.number(c, p, "money_shot_score", false)
            && !(0.0..=1.0).contains(&x)
        {
            self.problem(format!("{p}money_shot_score must be between 0 and 1 ({x:?})"));
        }
        for key in ["reasoning", "visual_analysis", "subtitle_analysis"] {
            self.string(c, p, key, false);
        }
        self.boolean(c, p, "keep_audio");
    }
}

/// Unit enum variants as serde spells them (for `&str` names, the names themselves).
fn names<T: Serialize>(all: &[T]) -> Vec<String> {
    all.iter()
        .filter_map(|v| serde_json::to_value(v).ok()?.as_str().map(String::from))
        .collect()
}

const ANCHOR_SOURCES: [AnchorSource; 3] = [AnchorSource::Llm, AnchorSource::Heuristic, AnchorSource::Fixed];
// `anchors.rs` has no list of its sources: this match stops compiling when one is added, so the list is updated.
const _: fn(AnchorSource) = |s| match s {
    AnchorSource::Llm | AnchorSource::Heuristic | AnchorSource::Fixed => (),
};

/// The JSON Schema (draft 2020-12) of `TRAILER_MANIFEST.json`, built from the same enums the loader uses.
/// It describes what CineCut writes; the loader is a little more forgiving (vibe spelling variants, lower-case
/// zones, nulls for absent optional fields), and checks what a schema cannot (end > start, film duration).
pub fn schema() -> Value {
    let vibes: Vec<&str> = VIBES.iter().map(|v| v.name).collect();
    let time = json!({ "type": "number", "minimum": 0 });
    let text = json!({ "type": ["string", "null"] });
    let mut zones: Vec<Value> = names(&Zone::ALL).into_iter().map(Value::from).collect();
    zones.push(Value::Null);
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "CineCut TRAILER_MANIFEST.json",
        "description": "The trailer's cut list, in playing order. Compatible with schema_version 2.0. \
            Unknown fields are allowed, kept and ignored.",
        "type": "object",
        "required": ["source_file", "vibe", "clips"],
        "properties": {
            "schema_version": { "type": "string", "default": "2.0" },
            "source_file": {
                "type": "string", "minLength": 1,
                "description": "The film: absolute, or relative to the manifest's folder"
            },
            "vibe": { "type": "string", "enum": vibes, "description": "`cinecut vibes` lists them" },
            "title": { "type": "string", "description": "Text of the title card" },
            "tagline": { "type": "string", "description": "A line under the title on the card" },
            "target_length_s": { "type": "number", "exclusiveMinimum": 0 },
            "silence_s": {
                "type": "number", "minimum": 0,
                "description": "The silence beat (black, no sound); it plays right before the first act3 clip"
            },
            "title_card_s": {
                "type": "number", "minimum": 0,
                "description": "The title card; it plays right before the first button clip, or last"
            },
            "title_style": { "type": "string", "enum": names(TitleStyle::ALL) },
            "title_shot": {
                "type": "object",
                "required": ["source_start_s", "source_end_s"],
                "properties": {
                    "source_start_s": { "type": "number", "minimum": 0 },
                    "source_end_s": { "type": "number", "minimum": 0 }
                },
                "description": "The film's own title shot, played as the title card (its middle, faded in and out) \
                                instead of the typeset card; remove it for the typeset card"
            },
            "title_card_reason": { "type": "string", "description": "Why the title card is the film's or typeset" },
            "source_fingerprint": { "type": "string" },
            "clips": {
                "type": "array", "minItems": 1,
                "items": {
                    "type": "object",
                    "required": ["source_start_s", "source_end_s", "beat_type", "act"],
                    "properties": {
                        "source_start_s": time,
                        "source_end_s": {
                            "type": "number", "minimum": 0,
                            "description": "Greater than source_start_s, not past the film's end"
                        },
                        "beat_type": { "type": "string", "enum": BeatType::NAMES },
                        "act": { "type": "string", "enum": Act::NAMES },
                        "transition": { "type": "string", "enum": Transition::NAMES, "default": "hard_cut" },
                        "dialogue_excerpt": { "type": "string", "default": "" },
                        "narrative_zone": { "type": ["string", "null"], "enum": zones },
                        "money_shot_score": { "type": ["number", "null"], "minimum": 0, "maximum": 1 },
                        "reasoning": text,
                        "visual_analysis": text,
                        "subtitle_analysis": text,
                        "keep_audio": {
                            "type": "boolean", "default": false,
                            "description": "Play the film's own sound under this clip"
                        }
                    }
                }
            },
            "structural_anchors": {
                "type": ["object", "null"],
                "required": ["begin_t", "escalation_t", "climax_t"],
                "properties": {
                    "begin_t": time,
                    "escalation_t": time,
                    "climax_t": time,
                    "source": { "type": "string", "enum": names(&ANCHOR_SOURCES), "default": "llm" }
                }
            },
            "bpm_grid": {
                "type": ["object", "null"],
                "required": ["bpm", "beat_count"],
                "properties": {
                    "bpm": { "type": "number", "exclusiveMinimum": 0 },
                    "beat_count": { "type": "integer", "minimum": 0 },
                    "source": { "type": "string" }
                }
            },
            "music_bed": {
                "type": ["object", "null"],
                "properties": {
                    "track_id": text,
                    "track_name": text,
                    "artist_name": text,
                    "license_ccurl": text,
                    "local_path": text,
                    "bpm": { "type": ["number", "null"], "exclusiveMinimum": 0 }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid manifest; tests break one field at a time.
    fn base() -> Value {
        json!({
            "schema_version": "2.0",
            "source_file": "film.mp4",
            "vibe": "sci-fi",
            "clips": [
                { "source_start_s": 23.0, "source_end_s": 27.0, "beat_type": "character_introduction",
                  "act": "cold_open", "narrative_zone": "BEGINNING", "money_shot_score": 0.41 },
                { "source_start_s": 189, "source_end_s": 192.9, "beat_type": "escalation_beat", "act": "act2",
                  "transition": "crossfade" }
            ],
            "structural_anchors": { "begin_t": 36.7, "escalation_t": 330.4, "climax_t": 440.0, "source": "heuristic" },
            "bpm_grid": { "bpm": 115.0, "beat_count": 120, "source": "vibe_default" }
        })
    }

    fn problems(v: &Value, duration: Option<f64>) -> Vec<String> {
        Manifest::parse(&v.to_string(), duration).expect_err("should be refused")
    }

    /// The only problem reported for `base()` with `edit` applied.
    fn only_problem(edit: impl FnOnce(&mut Value)) -> String {
        let mut v = base();
        edit(&mut v);
        let p = problems(&v, Some(734.2));
        assert_eq!(p.len(), 1, "{p:#?}");
        p[0].clone()
    }

    #[test]
    fn a_title_shot_is_a_stretch_of_the_film() {
        let shot =
            |a: f64, b: f64| move |v: &mut Value| v["title_shot"] = json!({"source_start_s": a, "source_end_s": b});
        assert!(problems_or_none(shot(64.9, 69.9)).is_empty());
        assert!(only_problem(shot(70.0, 69.0)).contains("must be after"));
        assert!(only_problem(shot(730.0, 740.0)).contains("title_shot.source_end_s"));
        assert!(only_problem(|v| v["title_shot"] = json!(65.0)).contains("must be an object"));
    }

    fn problems_or_none(edit: impl FnOnce(&mut Value)) -> Vec<String> {
        let mut v = base();
        edit(&mut v);
        Manifest::parse(&v.to_string(), Some(734.2)).err().unwrap_or_default()
    }

    #[test]
    fn valid_manifest_loads_with_defaults() {
        let m = Manifest::parse(&base().to_string(), Some(734.2)).unwrap();
        assert_eq!(m.clips.len(), 2);
        let c = &m.clips[1];
        assert_eq!(
            (c.source_start_s, c.beat_type, c.act),
            (189.0, BeatType::EscalationBeat, Act::Act2)
        );
        assert_eq!(c.transition, Transition::Crossfade);
        assert_eq!(m.clips[0].transition, Transition::HardCut);
        assert_eq!((c.dialogue_excerpt.as_str(), c.keep_audio), ("", false));
        assert_eq!((c.narrative_zone, c.money_shot_score), (None, None));
        assert_eq!(m.clips[0].narrative_zone, Some(Zone::Beginning));
        let a = m.structural_anchors.as_ref().unwrap();
        assert_eq!((a.anchors.climax_t, a.source), (440.0, AnchorSource::Heuristic));
        assert_eq!(m.bpm_grid.as_ref().unwrap().beat_count, 120);
        assert!(m.music_bed.is_none() && m.title.is_none() && m.extra.is_empty());
        assert_eq!(m.vibe().unwrap().name, "sci-fi");
    }

    #[test]
    fn lenient_spellings_and_nulls_load() {
        let mut v = base();
        v["vibe"] = json!("Sci Fi");
        v["clips"][0]["narrative_zone"] = json!("climax");
        v["clips"][1]["reasoning"] = Value::Null;
        v["music_bed"] = json!({ "track_name": "Theme", "bpm": null });
        v["structural_anchors"].as_object_mut().unwrap().remove("source");
        let m = Manifest::parse(&v.to_string(), None).unwrap();
        assert_eq!(m.vibe, "sci-fi");
        assert_eq!(m.clips[0].narrative_zone, Some(Zone::Climax));
        assert_eq!(m.music_bed.unwrap().track_name.as_deref(), Some("Theme"));
        assert_eq!(m.structural_anchors.unwrap().source, AnchorSource::Llm);
    }

    #[test]
    fn each_problem_is_named_with_its_path() {
        type Edit = fn(&mut Value);
        let cases: Vec<(Edit, &str)> = vec![
            (
                |v| v["clips"][1]["source_end_s"] = json!(12.0),
                "clips[1].source_end_s must be greater than source_start_s (12.0 <= 189.0)",
            ),
            (
                |v| v["clips"][0]["act"] = json!("act9"),
                "clips[0].act: unknown act \"act9\" (expected one of cold_open, act1, beat_drop, act2, breath, act3, \
                 title_card, button)",
            ),
            (
                |v| v["clips"][0]["beat_type"] = json!("montage"),
                "clips[0].beat_type: unknown beat type \"montage\"",
            ),
            (
                |v| v["clips"][1]["transition"] = json!("wipe"),
                "clips[1].transition: unknown transition \"wipe\"",
            ),
            (
                |v| v["clips"][0]["narrative_zone"] = json!("END"),
                "clips[0].narrative_zone: unknown zone \"END\"",
            ),
            (
                |v| v["vibe"] = json!("sci fy"),
                "vibe: unknown vibe \"sci fy\" (did you mean 'sci-fi'?)",
            ),
            (
                |v| v["vibe"] = json!("zzzzzzzzzz"),
                "vibe: unknown vibe \"zzzzzzzzzz\" (run `cinecut vibes`",
            ),
            (|v| v["clips"] = json!([]), "clips: at least one clip is needed"),
            (|v| v["clips"] = json!({}), "clips must be an array, not an object"),
            (
                |v| v["clips"][1]["source_end_s"] = json!(900.0),
                "clips[1].source_end_s 900.0 is beyond the film's end (734.2 s)",
            ),
            (
                |v| v["clips"][0]["source_start_s"] = json!(-1.5),
                "clips[0].source_start_s must not be negative (-1.5)",
            ),
            (
                |v| v["clips"][0]["money_shot_score"] = json!(1.3),
                "clips[0].money_shot_score must be between 0 and 1 (1.3)",
            ),
            (
                |v| v["clips"][1]["source_start_s"] = json!("abc"),
                "clips[1].source_start_s must be a number, not \"abc\"",
            ),
            (
                |v| v["clips"][0]["keep_audio"] = json!("yes"),
                "clips[0].keep_audio must be true or false, not \"yes\"",
            ),
            (
                |v| v["clips"][0]["dialogue_excerpt"] = json!(3),
                "clips[0].dialogue_excerpt must be a string, not 3",
            ),
            (
                |v| v["clips"][0] = json!([1, 2]),
                "clips[0] must be an object, not an array",
            ),
            (
                |v| v["clips"][0]["act"] = Value::Null,
                "clips[0].act must be given, not null",
            ),
            (
                |v| _ = v["clips"][1].as_object_mut().unwrap().remove("act"),
                "clips[1].act is missing",
            ),
            (
                |v| _ = v.as_object_mut().unwrap().remove("source_file"),
                "source_file is missing",
            ),
            (|v| v["source_file"] = json!(" "), "source_file must not be empty"),
            (
                |v| v["structural_anchors"]["climax_t"] = json!(800),
                "structural_anchors.climax_t 800.0 is beyond the film's end (734.2 s)",
            ),
            (
                |v| v["structural_anchors"]["source"] = json!("guess"),
                "structural_anchors.source: unknown anchor source \"guess\" (expected one of llm, heuristic, fixed)",
            ),
            (
                |v| v["bpm_grid"]["bpm"] = json!(0),
                "bpm_grid.bpm must be greater than 0 (0.0)",
            ),
            (
                |v| v["bpm_grid"]["beat_count"] = json!(1.5),
                "bpm_grid.beat_count must be a whole number ≥ 0, not 1.5",
            ),
            (
                |v| v["music_bed"] = json!("song.mp3"),
                "music_bed must be an object, not \"song.mp3\"",
            ),
            (
                |v| v["target_length_s"] = json!(-5),
                "target_length_s must be greater than 0 (-5.0)",
            ),
        ];
        for (edit, want) in cases {
            let got = only_problem(edit);
            assert!(got.starts_with(want), "want {want:?}\n got {got:?}");
        }
    }

    #[test]
    fn a_clip_past_the_end_is_one_problem_and_time_is_checked_only_with_a_duration() {
        let mut v = base();
        v["clips"][1]["source_start_s"] = json!(800.0);
        v["clips"][1]["source_end_s"] = json!(810.0);
        assert_eq!(
            problems(&v, Some(734.2)),
            ["clips[1].source_start_s 800.0 is beyond the film's end (734.2 s)"]
        );
        assert!(Manifest::parse(&v.to_string(), None).is_ok());
        // A probe a few milliseconds shorter than the film the manifest was made from is not an error.
        v["clips"][1]["source_end_s"] = json!(734.22);
        v["clips"][1]["source_start_s"] = json!(730.0);
        assert!(Manifest::parse(&v.to_string(), Some(734.2)).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_once_through_load() {
        let mut v = base();
        v["vibe"] = json!("sci fy");
        v["clips"][0]["act"] = json!("act9");
        v["clips"][1]["source_start_s"] = json!("abc");
        v["clips"][1]["source_end_s"] = json!(900.0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST);
        std::fs::write(&path, v.to_string()).unwrap();
        let e = Manifest::load(&path, Some(734.2)).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let msg = e.to_string();
        assert!(msg.contains("4 problems:\n  - vibe: unknown vibe"), "{msg}");
        for part in [
            "clips[0].act",
            "clips[1].source_start_s must be a number",
            "clips[1].source_end_s 900.0",
        ] {
            assert!(msg.contains(&format!("\n  - {part}")), "{part}: {msg}");
        }
        assert!(msg.contains(FIX) && msg.contains(MANIFEST), "{msg}");
    }

    #[test]
    fn invalid_json_says_where() {
        let p = Manifest::parse("{\n  \"vibe\": \"drama\",\n  \"clips\": [,]\n}", None).unwrap_err();
        assert_eq!(p.len(), 1);
        assert!(
            p[0].starts_with("not valid JSON") && p[0].contains("line 3 column"),
            "{p:?}"
        );
        assert_eq!(
            Manifest::parse("[1]", None).unwrap_err(),
            ["the manifest must be a JSON object, not an array"]
        );
    }

    #[test]
    fn round_trip_keeps_unknown_fields() {
        let mut v = base();
        v["editor_note"] = json!({ "by": "me", "keep": [1, 2] });
        v["clips"][0]["color"] = json!("red");
        v["clips"][0]["keep_audio"] = json!(true);
        v["title"] = json!("TEARS OF STEEL");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MANIFEST);
        std::fs::write(&path, v.to_string()).unwrap();
        let m = Manifest::load(&path, None).unwrap();
        assert_eq!(m.extra["editor_note"]["keep"], json!([1, 2]));
        assert!(m.clips[0].keep_audio);
        m.save(&path).unwrap();
        let again = Manifest::load(&path, None).unwrap();
        assert_eq!(again, m);
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(saved["editor_note"], v["editor_note"]);
        assert_eq!(saved["clips"][0]["color"], "red");
        assert_eq!(saved["clips"][0]["narrative_zone"], "BEGINNING");
        assert_eq!(saved["title"], "TEARS OF STEEL");
        // Nothing but the manifest in the folder: the atomic write left no temp file.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Found by the `manifest` fuzz target: without serde_json's `float_roundtrip`, about 3 % of times came back
    /// 1 ulp off, so a saved manifest did not load back equal (and could render a frame apart).
    #[test]
    fn times_read_back_bit_for_bit() {
        let mut v = base();
        for k in 0..2000u32 {
            let t = 0.9175833333333333 + f64::from(k) * 0.37 / 7.0;
            v["clips"][0]["source_start_s"] = json!(t);
            v["clips"][0]["source_end_s"] = json!(t + 1.0 / 3.0);
            let m = Manifest::parse(&v.to_string(), None).unwrap();
            assert_eq!(m.clips[0].source_start_s.to_bits(), t.to_bits(), "{t}");
            assert_eq!(m.clips[0].source_end_s.to_bits(), (t + 1.0 / 3.0).to_bits(), "{t}");
            let again = Manifest::parse(&serde_json::to_string(&m).unwrap(), None).unwrap();
            assert_eq!(again, m);
        }
    }

    #[test]
    fn source_is_resolved_against_the_manifest_folder() {
        let mut m = Manifest::parse(&base().to_string(), None).unwrap();
        let manifest = Path::new("/films/work/TRAILER_MANIFEST.json");
        assert_eq!(m.resolve_source(manifest), Path::new("/films/work/film.mp4"));
        assert_eq!(m.resolve_source(Path::new(MANIFEST)), Path::new("film.mp4"));
        m.source_file = "/media/film.mkv".into();
        assert_eq!(m.resolve_source(manifest), Path::new("/media/film.mkv"));
    }

    #[test]
    fn enums_round_trip_through_their_names() {
        for (i, name) in Act::NAMES.iter().enumerate() {
            let act: Act = serde_json::from_value(json!(name)).unwrap();
            assert_eq!((act.name(), Act::NAMES[i]), (*name, *name));
        }
        for name in BeatType::NAMES.iter().chain(Transition::NAMES) {
            assert!(
                serde_json::from_value::<BeatType>(json!(name)).is_ok()
                    || serde_json::from_value::<Transition>(json!(name)).is_ok()
            );
        }
        assert_eq!(
            Transition::from(vibes::Transition::FadeToBlack),
            Transition::FadeToBlack
        );
        assert_eq!(names(&ANCHOR_SOURCES), ["llm", "heuristic", "fixed"]);
    }

    #[test]
    fn schema_lists_the_loader_enums() {
        let s = schema();
        let clip = &s["properties"]["clips"]["items"]["properties"];
        assert_eq!(clip["act"]["enum"], json!(Act::NAMES));
        assert_eq!(clip["beat_type"]["enum"], json!(BeatType::NAMES));
        assert_eq!(clip["transition"]["enum"], json!(Transition::NAMES));
        assert_eq!(
            clip["narrative_zone"]["enum"],
            json!(["BEGINNING", "ESCALATION", "CLIMAX", null])
        );
        assert_eq!(s["properties"]["vibe"]["enum"].as_array().unwrap().len(), 18);
        assert_eq!(s["required"], json!(["source_file", "vibe", "clips"]));
    }
}
