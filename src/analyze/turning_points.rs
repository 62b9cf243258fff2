//! Asking a text model for the story anchors. The whole dialogue goes in ONE request when it fits the model's
//! context (one line per event, `[mm:ss] text`). A longer film goes in chunks, and each chunk is asked, for each
//! turning point, for its best moment AND how strongly the chunk holds that turning point (0–10); the anchors are
//! then the ordered combination with the highest total score across all chunks. (The earlier tool took the
//! median of per-chunk answers, which pulls all three anchors to the middle of the film.)
//!
//! Every answer is checked: the times must parse, lie in the story span, sit within `SNAP_S` of a transcript
//! line (a model inventing times is caught), and be strictly ordered. A failed check is a `Rejected` with the
//! reason, and the caller falls back to the heuristic.

use serde_json::{Value, json};

use super::anchors::Anchors;
use crate::error::Result;
use crate::ingest::{DialogueEvent, Span};

/// Bump when a prompt or schema changes (part of the stage key).
pub(super) const PROMPT_VERSION: u32 = 1;
/// Tokens kept for the instructions and the answer.
const RESERVED_TOKENS: usize = 700;
/// A conservative characters-per-token for English subtitles (real tokenizers give about 4).
const CHARS_PER_TOKEN: usize = 3;
/// Halving the budget stops here.
const MIN_CONTEXT_TOKENS: usize = 1024;
/// An answer time must lie this close to a transcript line.
const SNAP_S: f64 = 15.0;

const SYSTEM: &str = "You are a film story analyst. You read a film's dialogue transcript, with the time of each \
line as [mm:ss], and find the story's turning points. Answer with a JSON object only.";

const TURNING_POINTS: &str = "- begin: where the story truly begins (the inciting incident, the first conflict)\n\
- escalation: where the tension escalates significantly\n\
- climax: the climax, the peak emotional moment";

/// One request to the model: `(system, user, JSON schema)` → the parsed JSON answer. `Ok(Err(why))` is a failed
/// request the run survives (bad JSON, a server error after retries); `Err` stops the run (unreachable, refused).
pub(super) type Ask<'a> = dyn FnMut(&str, &str, &Value) -> Result<std::result::Result<Value, String>> + 'a;

/// The model's anchors, or why none could be used. A server that says the prompt is too long for its context
/// (its window is smaller than `--text-context`) is asked again with half the budget, in more parts.
pub(super) fn ask_model(
    dialogue: &[DialogueEvent],
    story: Span,
    context_tokens: usize,
    ask: &mut Ask,
) -> Result<std::result::Result<(Anchors, String), String>> {
    let mut context = context_tokens;
    loop {
        match ask_within(dialogue, story, context, ask)? {
            Err(why) if why.to_lowercase().contains("context") && context / 2 >= MIN_CONTEXT_TOKENS => {
                tracing::info!(
                    "the text model's context is smaller than {context} tokens; trying {}",
                    context / 2
                );
                context /= 2;
            }
            answer => return Ok(answer),
        }
    }
}

fn ask_within(
    dialogue: &[DialogueEvent],
    story: Span,
    context_tokens: usize,
    ask: &mut Ask,
) -> Result<std::result::Result<(Anchors, String), String>> {
    let lines: Vec<(f64, String)> = dialogue
        .iter()
        .filter(|e| story.contains(e.start_s))
        .map(|e| (e.start_s, format_line(e)))
        .collect();
    if lines.len() < 3 {
        return Ok(Err(format!("only {} lines of dialogue in the story", lines.len())));
    }
    let budget = context_tokens.saturating_sub(RESERVED_TOKENS).max(200) * CHARS_PER_TOKEN;
    let chunks = chunk(&lines, budget);
    let times: Vec<f64> = lines.iter().map(|l| l.0).collect();
    if chunks.len() == 1 {
        let user = format!(
            "TRANSCRIPT:\n{}\n\nFind these three moments in the transcript:\n{TURNING_POINTS}\n\
             They happen in this order. Answer with their timestamps from the transcript, as \
             {{\"begin\": \"mm:ss\", \"escalation\": \"mm:ss\", \"climax\": \"mm:ss\"}}.",
            chunks[0].join("\n")
        );
        let answer = match ask(SYSTEM, &user, &whole_schema())? {
            Ok(v) => v,
            Err(why) => return Ok(Err(why)),
        };
        let got = ["begin", "escalation", "climax"].map(|k| answer.get(k).and_then(Value::as_str).and_then(parse_mmss));
        let [Some(b), Some(e), Some(c)] = got else {
            return Ok(Err(format!("the answer has no usable times: {}", clip(&answer))));
        };
        return Ok(check([b, e, c], &times, story).map(|a| (a, "the text model read the whole dialogue".to_string())));
    }

    let mut candidates: [Vec<(f64, f64)>; 3] = Default::default();
    let mut failures = Vec::new();
    for (i, lines) in chunks.iter().enumerate() {
        let user = format!(
            "This is part {} of {} of a film's dialogue.\nTRANSCRIPT:\n{}\n\nFor each of these turning points:\n\
             {TURNING_POINTS}\ngive the timestamp in THIS part that fits it best, and a score from 0 to 10 for how \
             strongly this part contains it (0: not at all). Answer as {{\"begin\": {{\"t\": \"mm:ss\", \"score\": 0}}, \
             \"escalation\": {{...}}, \"climax\": {{...}}}}.",
            i + 1,
            chunks.len(),
            lines.join("\n")
        );
        match ask(SYSTEM, &user, &chunk_schema())? {
            Ok(answer) => {
                for (k, key) in ["begin", "escalation", "climax"].iter().enumerate() {
                    let t = answer[key]["t"].as_str().and_then(parse_mmss);
                    let score = answer[key]["score"].as_f64().unwrap_or(0.0).clamp(0.0, 10.0);
                    if let Some(t) = t.and_then(|t| snap(t, &times)) {
                        candidates[k].push((t, score));
                    }
                }
            }
            Err(why) => failures.push(format!("part {}: {why}", i + 1)),
        }
    }
    let Some(best) = best_ordered(&candidates) else {
        let mut why = "no ordered turning points across the chunks".to_string();
        if !failures.is_empty() {
            why.push_str(&format!(" ({})", failures.join("; ")));
        }
        return Ok(Err(why));
    };
    Ok(check(best, &times, story).map(|a| {
        (
            a,
            format!(
                "the text model scored {} parts of the dialogue; the best ordered moments",
                chunks.len()
            ),
        )
    }))
}

fn format_line(e: &DialogueEvent) -> String {
    let t = e.start_s.max(0.0) as u64;
    let text = match &e.speaker {
        Some(s) => format!("{s}: {}", e.text),
        None => e.text.clone(),
    };
    format!("[{:02}:{:02}] {}", t / 60, t % 60, text)
}

/// Consecutive lines in chunks of at most `budget` characters.
fn chunk(lines: &[(f64, String)], budget: usize) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = vec![Vec::new()];
    let mut size = 0;
    for (_, l) in lines {
        if size + l.len() + 1 > budget && !out.last().expect("one chunk").is_empty() {
            out.push(Vec::new());
            size = 0;
        }
        size += l.len() + 1;
        out.last_mut().expect("one chunk").push(l.clone());
    }
    out
}

/// `mm:ss` (minutes may exceed 59) or `h:mm:ss`, with an optional `[` `]`.
fn parse_mmss(s: &str) -> Option<f64> {
    let s = s.trim().trim_start_matches('[').trim_end_matches(']');
    let parts: Vec<&str> = s.split(':').collect();
    let nums: Vec<f64> = parts
        .iter()
        .map(|p| p.trim().parse::<f64>().ok())
        .collect::<Option<_>>()?;
    match nums.as_slice() {
        [m, s] if *s < 60.0 => Some(m * 60.0 + s),
        [h, m, s] if *m < 60.0 && *s < 60.0 => Some(h * 3600.0 + m * 60.0 + s),
        _ => None,
    }
}

/// The transcript line time nearest `t`, if one is within `SNAP_S`.
fn snap(t: f64, times: &[f64]) -> Option<f64> {
    let nearest = times
        .iter()
        .copied()
        .min_by(|a, b| (a - t).abs().total_cmp(&(b - t).abs()))?;
    ((nearest - t).abs() <= SNAP_S).then_some(nearest)
}

fn check(t: [f64; 3], times: &[f64], story: Span) -> std::result::Result<Anchors, String> {
    let snapped: Option<Vec<f64>> = t.iter().map(|&x| snap(x, times)).collect();
    let Some(s) = snapped else {
        return Err(format!("the answer's times {t:?} are not times from the transcript"));
    };
    let a = Anchors {
        begin_t: s[0],
        escalation_t: s[1],
        climax_t: s[2],
    };
    if a.is_valid(story) {
        Ok(a)
    } else {
        Err(format!(
            "the answer's times ({:.0}, {:.0}, {:.0} s) are not in order inside the story ({:.0}–{:.0} s)",
            a.begin_t, a.escalation_t, a.climax_t, story.start_s, story.end_s
        ))
    }
}

/// The ordered triple (one candidate per turning point) with the highest total score; ties go to the earlier.
fn best_ordered(c: &[Vec<(f64, f64)>; 3]) -> Option<[f64; 3]> {
    let mut best: Option<(f64, [f64; 3])> = None;
    for &(b, sb) in &c[0] {
        for &(e, se) in c[1].iter().filter(|(e, _)| *e > b) {
            for &(x, sx) in c[2].iter().filter(|(x, _)| *x > e) {
                let total = sb + se + sx;
                if best.is_none_or(|(t, _)| total > t) {
                    best = Some((total, [b, e, x]));
                }
            }
        }
    }
    best.map(|(_, t)| t)
}

fn whole_schema() -> Value {
    let time = json!({"type": "string", "pattern": "^[0-9]{1,3}:[0-5][0-9]$"});
    json!({
        "type": "object",
        "properties": {"begin": time, "escalation": time, "climax": time},
        "required": ["begin", "escalation", "climax"],
        "additionalProperties": false
    })
}

fn chunk_schema() -> Value {
    let point = json!({
        "type": "object",
        "properties": {
            "t": {"type": "string", "pattern": "^[0-9]{1,3}:[0-5][0-9]$"},
            "score": {"type": "integer", "minimum": 0, "maximum": 10}
        },
        "required": ["t", "score"],
        "additionalProperties": false
    });
    json!({
        "type": "object",
        "properties": {"begin": point, "escalation": point, "climax": point},
        "required": ["begin", "escalation", "climax"],
        "additionalProperties": false
    })
}

fn clip(v: &Value) -> String {
    let s = v.to_string();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Emotion;

    fn dialogue(n: usize, every_s: f64) -> Vec<DialogueEvent> {
        (0..n)
            .map(|i| DialogueEvent {
                start_s: 10.0 + i as f64 * every_s,
                end_s: 12.0 + i as f64 * every_s,
                text: format!("line number {i} of the film"),
                speaker: None,
                emotion: Emotion::Neutral,
                sound_cue: false,
            })
            .collect()
    }

    const STORY: Span = Span {
        start_s: 5.0,
        end_s: 6000.0,
    };

    #[test]
    fn one_request_when_it_fits() {
        let d = dialogue(50, 60.0);
        let mut asked = Vec::new();
        let mut ask = |_: &str, user: &str, schema: &Value| {
            asked.push(user.to_string());
            assert_eq!(schema["required"][2], "climax");
            Ok(Ok(json!({"begin": "05:10", "escalation": "20:10", "climax": "45:10"})))
        };
        let (a, why) = ask_model(&d, STORY, 8192, &mut ask).unwrap().unwrap();
        assert_eq!(asked.len(), 1);
        assert!(asked[0].contains("[00:10] line number 0 of the film\n[01:10] line number 1"));
        assert_eq!((a.begin_t, a.escalation_t, a.climax_t), (310.0, 1210.0, 2710.0));
        assert!(why.contains("whole dialogue"));
    }

    #[test]
    fn answers_are_checked() {
        let d = dialogue(50, 60.0);
        let reply = |v: Value| move |_: &str, _: &str, _: &Value| Ok(Ok(v.clone()));
        let bad = [
            (
                json!({"begin": "45:10", "escalation": "20:10", "climax": "05:10"}),
                "not in order",
            ),
            (
                json!({"begin": "05:10", "escalation": "05:10", "climax": "45:10"}),
                "not in order",
            ),
            (
                json!({"begin": "05:10", "escalation": "20:10", "climax": "99:10"}),
                "not times from the transcript",
            ),
            (
                json!({"begin": "soon", "escalation": "20:10", "climax": "45:10"}),
                "no usable times",
            ),
        ];
        for (answer, want) in bad {
            let why = ask_model(&d, STORY, 8192, &mut reply(answer)).unwrap().unwrap_err();
            assert!(why.contains(want), "{why}");
        }
        let failing = &mut |_: &str, _: &str, _: &Value| Ok(Err("HTTP 500".to_string()));
        assert_eq!(ask_model(&d, STORY, 8192, failing).unwrap().unwrap_err(), "HTTP 500");
    }

    #[test]
    fn long_dialogue_takes_the_best_across_chunks_not_the_median() {
        // 100 minutes, a line a minute; a small context forces several chunks.
        let d = dialogue(100, 60.0);
        let mut parts = 0;
        let mut ask = |_: &str, user: &str, _: &Value| {
            parts += 1;
            // Each chunk answers with its own first line for everything; only the right chunk scores high.
            let first = user.lines().find(|l| l.starts_with('[')).unwrap()[1..6].to_string();
            let t = parse_mmss(&first).unwrap();
            let s = |lo: f64, hi: f64| if (lo..hi).contains(&t) { 9 } else { 1 };
            Ok(Ok(json!({
                "begin": {"t": first, "score": s(0.0, 900.0)},
                "escalation": {"t": first, "score": s(2400.0, 3300.0)},
                "climax": {"t": first, "score": s(4800.0, 5700.0)},
            })))
        };
        let (a, why) = ask_model(&d, STORY, 900, &mut ask).unwrap().unwrap();
        assert!(parts > 3, "{parts} parts");
        assert!(why.contains("parts"));
        assert!(a.begin_t < 900.0, "{a:?}");
        assert!((2400.0..3300.0).contains(&a.escalation_t), "{a:?}");
        assert!((4800.0..5700.0).contains(&a.climax_t), "{a:?}");
    }

    #[test]
    fn a_context_too_small_is_retried_in_more_parts() {
        let d = dialogue(100, 60.0);
        let mut sizes = Vec::new();
        let mut ask = |_: &str, user: &str, _: &Value| {
            sizes.push(user.len());
            if user.len() > 2000 {
                return Ok(Err(
                    "HTTP 400: the request exceeds the available context size".to_string()
                ));
            }
            let first = user.lines().find(|l| l.starts_with('[')).unwrap()[1..6].to_string();
            Ok(Ok(json!({
                "begin": {"t": first, "score": 1}, "escalation": {"t": first, "score": 1}, "climax": {"t": first, "score": 1},
            })))
        };
        let (a, _) = ask_model(&d, STORY, 8192, &mut ask).unwrap().unwrap();
        assert!(a.is_valid(STORY));
        assert!(sizes[0] > 2000 && *sizes.last().unwrap() <= 2000, "{sizes:?}");
    }

    #[test]
    fn parses_times() {
        assert_eq!(parse_mmss("[01:30]"), Some(90.0));
        assert_eq!(parse_mmss("95:12"), Some(5712.0));
        assert_eq!(parse_mmss("1:02:03"), Some(3723.0));
        assert_eq!(parse_mmss("1:75"), None);
        assert_eq!(parse_mmss("x"), None);
    }
}
