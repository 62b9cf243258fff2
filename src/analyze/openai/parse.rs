//! Reading what the model wrote: the chat-completion envelope, the JSON inside it, the four scene fields.

use serde_json::Value;

use crate::analyze::SceneText;

/// Longest text kept per scene field, in characters: a description, not an essay (and a runaway model's
/// repetition loop must not bloat `scenes.jsonl`).
pub(super) const MAX_FIELD_CHARS: usize = 300;

/// `choices[0].message.content` of a chat-completion answer.
pub(super) fn message_content(body: &str) -> Result<String, String> {
    let v: Value = serde_json::from_str(body).map_err(|e| format!("the answer is not JSON ({e})"))?;
    let content = &v["choices"][0]["message"]["content"];
    match content.as_str() {
        Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
        Some(_) => Err("the model's message is empty".into()),
        None => Err("the answer has no choices[0].message.content".into()),
    }
}

/// The first JSON object in the model's text. Strict servers give exactly one; without a schema, models wrap
/// it in prose or ```json fences, so every `{` is tried as the start of an object, trailing text ignored.
pub(super) fn first_json_object(text: &str) -> Result<Value, String> {
    let mut first_err = None;
    for (i, _) in text.match_indices('{') {
        let mut stream = serde_json::Deserializer::from_str(&text[i..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v @ Value::Object(_))) => return Ok(v),
            Some(Err(e)) => {
                first_err.get_or_insert(e.to_string());
            }
            _ => {}
        }
    }
    Err(match first_err {
        Some(e) => format!("the model's JSON is malformed ({e}): {}", snippet(text)),
        None => format!("the model wrote no JSON object: {}", snippet(text)),
    })
}

/// The four fields, each present and a string, trimmed and capped at [`MAX_FIELD_CHARS`].
pub(super) fn scene_text(v: &Value) -> Result<SceneText, String> {
    let field = |name: &str| -> Result<String, String> {
        match v.get(name) {
            Some(Value::String(s)) => Ok(cap(s.trim())),
            Some(other) => Err(format!(
                "field '{name}' is not a string: {}",
                snippet(&other.to_string())
            )),
            None => Err(format!("field '{name}' is missing")),
        }
    };
    let text = SceneText {
        visual_content: field("visual_content")?,
        mood: field("mood")?,
        action: field("action")?,
        setting: field("setting")?,
    };
    if [&text.visual_content, &text.mood, &text.action, &text.setting]
        .iter()
        .all(|s| s.is_empty())
    {
        return Err("all four fields are empty".into());
    }
    Ok(text)
}

fn cap(s: &str) -> String {
    match s.char_indices().nth(MAX_FIELD_CHARS) {
        Some((at, _)) => s[..at].trim_end().to_string(),
        None => s.to_string(),
    }
}

/// A short, single-line excerpt for error messages.
pub(super) fn snippet(s: &str) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(160) {
        Some((at, _)) => format!("{}…", &one_line[..at]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_the_object_inside_fences_and_prose() {
        let v = first_json_object("Sure! ```json\n{\"a\": \"{x}\", \"b\": 1}\n``` Hope this helps {").unwrap();
        assert_eq!(v, json!({"a": "{x}", "b": 1}));
        assert!(first_json_object("no json here").is_err());
        assert!(first_json_object("{\"a\": ").unwrap_err().contains("malformed"));
    }

    #[test]
    fn scene_fields_are_checked_trimmed_and_capped() {
        let long = "x".repeat(1000);
        let v = json!({"visual_content": " a man ", "mood": "tense", "action": long, "setting": "", "extra": 1});
        let t = scene_text(&v).unwrap();
        assert_eq!(t.visual_content, "a man");
        assert_eq!(t.action.chars().count(), MAX_FIELD_CHARS);
        assert!(scene_text(&json!({"visual_content": "a", "mood": "b", "action": "c"})).is_err());
        assert!(scene_text(&json!({"visual_content": 1, "mood": "b", "action": "c", "setting": "d"})).is_err());
    }

    #[test]
    fn content_comes_from_the_first_choice() {
        let body = json!({"choices": [{"message": {"role": "assistant", "content": "{}"}}]}).to_string();
        assert_eq!(message_content(&body).unwrap(), "{}");
        assert!(message_content("<html>").is_err());
        assert!(message_content("{\"choices\": []}").is_err());
    }
}
