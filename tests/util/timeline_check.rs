//! An independent checker of `timeline.json`, written from the rules rather than from the code that builds
//! the timeline: it reads plain JSON and reports every broken rule.

use serde_json::Value;

pub struct Report {
    pub problems: Vec<String>,
    pub cuts: usize,
    pub cuts_on_beat: usize,
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// `beats` and `bars`: the beats and bar starts to check against, in trailer seconds (the timeline's own, or the
/// music's true ones). Cuts into and inside act 3 may land on half beats.
pub fn check(tl: &Value, beats: &[f64], bars: &[f64]) -> Report {
    let mut problems = Vec::new();
    let fps = f(&tl["fps"]);
    let frame = 1.0 / fps;
    let video = tl["video"].as_array().cloned().unwrap_or_default();
    let whole = |t: f64| ((t * fps) - (t * fps).round()).abs() < 1e-6;

    // Contiguous segments on whole frames, covering the whole duration.
    let mut at = 0.0;
    for (i, s) in video.iter().enumerate() {
        let (a, b) = (f(&s["start_s"]), f(&s["end_s"]));
        if (a - at).abs() > 1e-6 {
            problems.push(format!("segment {i} starts at {a}, not where the last ended ({at})"));
        }
        if b <= a {
            problems.push(format!("segment {i} is empty"));
        }
        if !whole(a) || !whole(b) {
            problems.push(format!("segment {i} is not on whole frames: {a}–{b}"));
        }
        if let (Some(ss), Some(se)) = (s["source_start_s"].as_f64(), s["source_end_s"].as_f64())
            && ((se - ss) - (b - a)).abs() > 1e-6
        {
            problems.push(format!("segment {i} plays {} s of source in {} s", se - ss, b - a));
        }
        at = b;
    }
    if (at - f(&tl["duration_s"])).abs() > 1e-6 {
        problems.push(format!("segments end at {at}, duration_s is {}", f(&tl["duration_s"])));
    }

    // The silence: nothing sounds in it.
    let silence = video
        .iter()
        .find(|s| s["kind"] == "silence")
        .map(|s| (f(&s["start_s"]), f(&s["end_s"])));
    if let Some((a, b)) = silence {
        let inside = |t: f64| t > a + 1e-6 && t < b - 1e-6;
        for e in tl["sfx"].as_array().into_iter().flatten() {
            if inside(f(&e["at_s"])) {
                problems.push(format!(
                    "a sound effect at {} s is inside the silence {a}–{b}",
                    f(&e["at_s"])
                ));
            }
        }
        for v in tl["voice"].as_array().into_iter().flatten() {
            if f(&v["at_s"]) < b && f(&v["end_s"]) > a {
                problems.push(format!("voice line \"{}\" overlaps the silence", v["text"]));
            }
        }
        for fa in tl["film_audio"].as_array().into_iter().flatten() {
            if f(&fa["start_s"]) < b - 1e-6 && f(&fa["end_s"]) > a + 1e-6 {
                problems.push(format!(
                    "film sound at {}–{} overlaps the silence",
                    fa["start_s"], fa["end_s"]
                ));
            }
        }
        let muted = tl["music"]["mutes"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|m| f(&m[0]) <= a + 1e-6 && f(&m[1]) >= b - 1e-6);
        if !muted {
            problems.push("the music is not muted through the silence".into());
        }
        // Act 3 enters on a bar.
        let bar = bars.iter().any(|&d| (d - b).abs() <= frame);
        if !bar {
            problems.push(format!("act 3 at {b} s does not enter on a bar start"));
        }
    }

    // Voice lines cross a cut (J/L cuts), one at a time.
    let cuts: Vec<f64> = video.iter().skip(1).map(|s| f(&s["start_s"])).collect();
    let voices = tl["voice"].as_array().cloned().unwrap_or_default();
    for w in voices.windows(2) {
        if f(&w[1]["at_s"]) < f(&w[0]["end_s"]) {
            problems.push(format!(
                "voice lines \"{}\" and \"{}\" overlap",
                w[0]["text"], w[1]["text"]
            ));
        }
    }
    for v in &voices {
        let (a, b) = (f(&v["at_s"]), f(&v["end_s"]));
        if !cuts.iter().any(|&c| a < c && b > c) {
            problems.push(format!("voice line \"{}\" at {a} s crosses no cut", v["text"]));
        }
    }

    // Cuts on beats.
    let halves: Vec<f64> = beats.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    let near = |set: &[f64], t: f64| set.iter().any(|&b| (b - t).abs() <= frame + 1e-6);
    let act3 = |s: &Value| s["act"] == "act3" || s["act"] == "button";
    let on_beat = video
        .windows(2)
        .filter(|w| {
            let t = f(&w[1]["start_s"]);
            near(beats, t) || ((act3(&w[0]) || act3(&w[1])) && near(&halves, t))
        })
        .count();
    Report {
        problems,
        cuts: cuts.len(),
        cuts_on_beat: on_beat,
    }
}

/// File-time beats mapped through the timeline's music pieces to trailer time.
pub fn trailer_beats(tl: &Value, file_beats: &[f64]) -> Vec<f64> {
    let mut out = Vec::new();
    for p in tl["music"]["pieces"].as_array().into_iter().flatten() {
        let (a, b, m) = (f(&p["start_s"]), f(&p["end_s"]), f(&p["music_start_s"]));
        // The tracker's bar (the piece's start) may sit a fraction of a millisecond off the true beat.
        out.extend(
            file_beats
                .iter()
                .map(|&x| x - m + a)
                .filter(|&t| t >= a - 0.01 && t < b - 0.01),
        );
    }
    out.sort_by(f64::total_cmp);
    out
}
