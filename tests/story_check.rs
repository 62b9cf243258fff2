//! The independent story checker (`util::story_check`) on a hand-made work dir: a manifest that keeps every rule
//! passes, and breaking each rule is reported by that rule, naming the clip, and by no other rule.

use crate::util;

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};
use util::story_check::{Film, check};

const FPS: f64 = 24.0;
const OFFSET_S: f64 = 0.023;
const FRAMES: i64 = 14_400;
const SILENCE_S: f64 = 4.0;
const TITLE_S: f64 = 3.0;

/// Film time of frame `k`.
fn f(k: i64) -> f64 {
    OFFSET_S + k as f64 / FPS
}

/// A 600 s film: shots of 240 frames (10 s), but shot 30 split in two 5 s shots at frame 7320. Logos to 10 s,
/// story 10–580 s (its last 5 % starts at 551.5 s), credits after.
fn write_work_dir(dir: &Path, spans: bool) {
    let mut cuts: Vec<i64> = (0..=FRAMES).step_by(240).collect();
    cuts.insert(31, 7320);
    let shots: Vec<Value> = cuts
        .windows(2)
        .enumerate()
        .map(|(id, w)| {
            json!({"id": id, "start_frame": w[0], "end_frame": w[1], "start_s": f(w[0]), "end_s": f(w[1]),
                   "transition_in": if id == 0 { "start" } else { "cut" }})
        })
        .collect();
    std::fs::create_dir_all(dir.join("analysis")).unwrap();
    let shots = json!({"fps": FPS, "offset_s": OFFSET_S, "frames": FRAMES, "shots": shots});
    std::fs::write(dir.join("analysis/shots.json"), shots.to_string()).unwrap();

    let line = |s: f64, e: f64, text: &str| json!({"start_s": s, "end_s": e, "text": text, "speaker": null, "emotion": "neutral"});
    let mut cue = line(f(10_824), f(10_872), "[door slams]");
    cue["sound_cue"] = json!(true);
    let events = [
        line(f(1248), f(1296), "Hello."), // inside clip 1, which keeps its audio
        cue,
        line(f(11_100), f(11_150), "Where are you going?"),
        // Exactly the pad after clip 2's end: allowed.
        line(f(840) + 0.1, f(840) + 1.1, "Just outside."),
    ];
    std::fs::write(dir.join("dialogue.json"), json!({"events": events}).to_string()).unwrap();

    let (logos, credits) = if spans {
        (
            json!({"start_s": 0.0, "end_s": 10.0}),
            json!({"start_s": 580.0, "end_s": f(FRAMES)}),
        )
    } else {
        (Value::Null, Value::Null)
    };
    let structure = json!({"begin_t": 10.0, "escalation_t": 200.0, "climax_t": 450.0,
        "story": {"start_s": 10.0, "end_s": 580.0}, "opening_logos": logos, "end_credits": credits});
    std::fs::write(dir.join("structure.json"), structure.to_string()).unwrap();
}

/// Keeps every rule. Acts 4 s / 3 s / 2 s per clip, each act zone-first (out of film order), clip 3 across the cut
/// at 2160 with 48 frames each side, clips 6 and 10 in the same 10 s shot 2.75 s apart.
fn valid_manifest() -> Value {
    #[rustfmt::skip]
    let clips: &[(i64, i64, &str, &str, bool)] = &[
        (9624, 9696, "cold_open", "ESCALATION", false),
        (1224, 1320, "act1", "BEGINNING", true),
        (744, 840, "act1", "BEGINNING", false),
        (2112, 2208, "act1", "BEGINNING", false),
        (1464, 1560, "act1", "BEGINNING", false),
        (3624, 3696, "act2", "ESCALATION", false),
        (2892, 2964, "act2", "ESCALATION", false),
        (4344, 4416, "act2", "ESCALATION", false),
        (3384, 3456, "act2", "ESCALATION", false),
        (6024, 6072, "act3", "CLIMAX", false),
        (3030, 3078, "act3", "CLIMAX", false),
        (6744, 6792, "act3", "CLIMAX", false),
        (5304, 5352, "act3", "CLIMAX", false),
        (8424, 8472, "button", "CLIMAX", false),
    ];
    let clips: Vec<Value> = clips
        .iter()
        .map(|&(s, e, act, zone, keep_audio)| {
            json!({"source_start_s": f(s), "source_end_s": f(e), "act": act, "beat_type": "escalation_beat",
                   "transition": "cut", "narrative_zone": zone, "keep_audio": keep_audio,
                   "dialogue_excerpt": if keep_audio { "Hello." } else { "" }, "money_shot_score": 0.5})
        })
        .collect();
    let mut v = json!({"vibe": "action", "silence_s": SILENCE_S, "title_card_s": TITLE_S, "clips": clips});
    rebalance(&mut v);
    v
}

/// Sets the target to exactly what the clips, silence and title card add up to, so only the rule under test breaks.
fn rebalance(v: &mut Value) {
    let clips: f64 = v["clips"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| Some(c["source_end_s"].as_f64()? - c["source_start_s"].as_f64()?))
        .sum();
    v["target_length_s"] = json!(clips + SILENCE_S + TITLE_S);
}

fn span(v: &mut Value, i: usize, start: i64, end: i64) {
    v["clips"][i]["source_start_s"] = json!(f(start));
    v["clips"][i]["source_end_s"] = json!(f(end));
    rebalance(v);
}

struct Case {
    name: &'static str,
    allow_spoilers: bool,
    mutate: fn(&mut Value),
    /// (rule, text its sentence must hold). The rules found must be exactly these.
    expect: &'static [(&'static str, &'static str)],
}

const fn case(name: &'static str, mutate: fn(&mut Value), expect: &'static [(&'static str, &'static str)]) -> Case {
    Case {
        name,
        allow_spoilers: false,
        mutate,
        expect,
    }
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    case("valid", |_| {}, &[]),
    // 1
    case("6-frame clip", |v| span(v, 4, 1464, 1470), &[("length", "clip 4 (")]),
    // 2
    case("start off the grid", |v| { v["clips"][5]["source_start_s"] = json!(f(3624) + 0.01); rebalance(v) },
         &[("frame grid", "clip 5 (")]),
    // 3
    case("cuts into a line", |v| span(v, 8, 11_130, 11_202),
         &[("dialogue edge", "clip 8 ("), ("dialogue overlap", "clip 8 (")]),
    case("ends one frame before a line", |v| span(v, 8, 11_027, 11_099), &[("dialogue edge", "clip 8 (")]),
    // 4
    case("keep_audio with no line", |v| v["clips"][2]["keep_audio"] = json!(true), &[("keep_audio", "clip 2 (")]),
    case("keep_audio over a sound cue only", |v| { span(v, 9, 10_812, 10_884); v["clips"][9]["keep_audio"] = json!(true) },
         &[("keep_audio", "clip 9 (")]),
    // 5
    case("in the opening logos", |v| span(v, 0, 24, 96), &[("region", "clip 0 (")]),
    case("in the end credits", |v| span(v, 13, 13_944, 13_992), &[("region", "clip 13 ("), ("spoiler", "clip 13 (")]),
    case("in the ending", |v| span(v, 13, 13_320, 13_368), &[("spoiler", "clip 13 (")]),
    Case { name: "in the ending, spoilers allowed", allow_spoilers: true, mutate: |v| span(v, 13, 13_320, 13_368),
           expect: &[] },
    // 6
    case("4 frames of the first shot", |v| span(v, 3, 2156, 2252), &[("flash frame", "clip 3 (")]),
    case("4 frames of the last shot", |v| span(v, 3, 2068, 2164), &[("flash frame", "clip 3 (")]),
    case("6 frames of the first shot", |v| span(v, 3, 2154, 2250), &[]),
    // 7
    case("0.25 s apart", |v| span(v, 7, 3702, 3774), &[("diversity", "clip 7 (")]),
    case("overlapping", |v| span(v, 7, 3660, 3732), &[("diversity", "clip 7 (")]),
    case("twice from a 5 s shot", |v| { span(v, 11, 7200, 7224); span(v, 12, 7296, 7320) },
         &[("diversity", "clip 11 ("), ("diversity", "clip 12 (")]),
    case("twice from a 10 s shot 1.25 s apart", |v| span(v, 10, 2994, 3042),
         &[("diversity", "clip 6 ("), ("diversity", "clip 10 (")]),
    // 8
    case("button among the acts", |v| v["clips"][13]["act"] = json!("act1"), &[("act order", "clip 13 (")]),
    case("unknown act", |v| v["clips"][0]["act"] = json!("prologue"), &[("act order", "clip 0 (")]),
    case("no act2", |v| { v["clips"].as_array_mut().unwrap().drain(5..9); rebalance(v) }, &[("act order", "act2")]),
    // 9
    case("act3 as long as act2",
         |v| { span(v, 9, 6024, 6096); span(v, 10, 3030, 3102); span(v, 11, 6744, 6816); span(v, 12, 5304, 5376) },
         &[("act length", "clip 12 (")]),
    // 10
    case("5 % too long", |v| v["target_length_s"] = json!(v["target_length_s"].as_f64().unwrap() / 1.05),
         &[("total", "target")]),
    case("2 % too long", |v| v["target_length_s"] = json!(v["target_length_s"].as_f64().unwrap() / 1.02), &[]),
    // 11
    case("half of act2 off its zone",
         |v| { v["clips"][5]["narrative_zone"] = json!("BEGINNING"); v["clips"][6]["narrative_zone"] = json!("CLIMAX") },
         &[("zone", "clip 5 ("), ("zone", "clip 6 (")]),
    case("a quarter of act2 off its zone", |v| v["clips"][5]["narrative_zone"] = json!("BEGINNING"), &[]),
    // 12
    case("act1 in film order", |v| v["clips"].as_array_mut().unwrap()[1..5]
             .sort_by(|a, b| a["source_start_s"].as_f64().unwrap().total_cmp(&b["source_start_s"].as_f64().unwrap())),
         &[("film order", "act1")]),
    // Malformed: reported, and the clip is left out of the rest (so the total is off).
    case("no end time", |v| { v["clips"][3].as_object_mut().unwrap().remove("source_end_s"); },
         &[("manifest", "clip 3"), ("total", "target")]),
];

#[test]
fn each_broken_rule_is_reported_by_that_rule_alone() {
    let dir = tempfile::tempdir().unwrap();
    write_work_dir(dir.path(), true);
    let film = Film::load(dir.path());
    let mut failures = Vec::new();
    for c in CASES {
        let mut m = valid_manifest();
        (c.mutate)(&mut m);
        let found = check(&film, &m, c.allow_spoilers);
        let rule = |s: &str| s.split(':').next().unwrap().to_string();
        let got: BTreeSet<String> = found.iter().map(|s| rule(s)).collect();
        let want: BTreeSet<String> = c.expect.iter().map(|(r, _)| r.to_string()).collect();
        let missing_text = c
            .expect
            .iter()
            .filter(|(r, text)| !found.iter().any(|s| rule(s) == *r && s.contains(text)))
            .collect::<Vec<_>>();
        if got != want || !missing_text.is_empty() {
            failures.push(format!("{}: expected {:?}, got {found:#?}", c.name, c.expect));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn no_logos_or_credits_parse_as_none() {
    let dir = tempfile::tempdir().unwrap();
    write_work_dir(dir.path(), false);
    let film = Film::load(dir.path());
    assert!(film.opening_logos.is_none() && film.end_credits.is_none());
    assert_eq!(film.shots.len(), 61);
    assert_eq!(check(&film, &valid_manifest(), false), Vec::<String>::new());
}

#[test]
fn minimum_length_counts_frames_at_low_frame_rates() {
    let dir = tempfile::tempdir().unwrap();
    write_work_dir(dir.path(), true);
    let mut film = Film::load(dir.path());
    // At 20 fps, 12 frames (0.6 s) is longer than 0.5 s.
    (film.fps, film.offset_s) = (20.0, 0.0);
    let length_findings = |end: f64| {
        let m = json!({"clips": [{"source_start_s": 100.0, "source_end_s": end, "act": "act1"}]});
        check(&film, &m, false)
            .into_iter()
            .filter(|s| s.starts_with("length:"))
            .count()
    };
    assert_eq!((length_findings(100.55), length_findings(100.6)), (1, 0));
}
