//! A blocking client for any server that speaks the OpenAI chat-completions API: llama.cpp's `llama-server`,
//! Ollama, vLLM, LM Studio, OpenAI.
//!
//! Two kinds of request: a keyframe with a short prompt for the vision model ([`Client::describe_image`], many at
//! once with [`Client::describe_images`]), and a text-only question for the text model
//! ([`Client::complete_json`]). Both ask for JSON that matches a schema through `response_format`; a server that
//! refuses `response_format` is remembered, and from then on the schema goes in the prompt and the answer is
//! parsed leniently.
//!
//! Failures come in two kinds ([`CallError`]): fatal ones, which no later request can fix (server unreachable,
//! key refused, unknown model, a model without vision), stop the run with a message that says what to do; the
//! rest concern one request (malformed answer, a 5xx or a timeout that outlived the retries), and the caller keeps
//! its built-in result for that frame.

mod config;
mod parse;
mod pool;
mod transport;

use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::analyze::SceneText;
use crate::{Error, Result};

pub use config::EndpointConfig;

/// Part of every cache key: bump it when the vision prompt or schema changes, so cached frames are redone.
pub(super) const PROMPT_VERSION: &str = "scene-v1";

const VISION_PROMPT: &str = "Describe this frame from a film for a trailer editor. Answer with a JSON object only, \
     with four short string fields: \"visual_content\" (what is visible), \"mood\" (the feeling), \"action\" (what \
     is happening) and \"setting\" (where and when). One sentence or a few words each.";

/// Upper bound on the vision answer: four short fields fit in well under 300 tokens.
const VISION_MAX_TOKENS: u32 = 300;

/// Why one request failed.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No later request can succeed either: stop the run and show this.
    #[error(transparent)]
    Fatal(Error),
    /// The model answered, but not with what was asked for.
    #[error("the model's answer was unusable: {0}")]
    Malformed(String),
    /// An HTTP error that is about this request (a 5xx after all retries, or a 4xx such as a too-long prompt).
    #[error("the model server answered HTTP {status}: {detail}")]
    Status { status: u16, detail: String },
    /// No answer within the timeout, on every try.
    #[error("no answer within {secs} s, {tries} tries")]
    Timeout { secs: u64, tries: u32 },
    /// The connection broke during the request, on every try.
    #[error("the connection failed: {0}")]
    Network(String),
}

impl CallError {
    pub fn is_fatal(&self) -> bool {
        matches!(self, CallError::Fatal(_))
    }
}

/// One configured server. Cheap to share between threads by reference.
pub struct Client {
    cfg: EndpointConfig,
    agent: ureq::Agent,
    /// Set once the server has refused `response_format`; later requests go without it.
    no_response_format: AtomicBool,
}

/// What one chat request asks for.
struct Ask<'a> {
    model: Option<&'a str>,
    messages: Value,
    schema_name: &'a str,
    schema: &'a Value,
    max_tokens: u32,
    /// Carries an image: a refusal that mentions images means the model has no vision.
    vision: bool,
}

impl Client {
    pub fn new(cfg: EndpointConfig) -> Self {
        let agent = transport::agent(&cfg);
        Client {
            cfg,
            agent,
            no_response_format: AtomicBool::new(false),
        }
    }

    pub fn config(&self) -> &EndpointConfig {
        &self.cfg
    }

    /// The cache identity of a vision description: model and prompt version, so changing either redoes frames.
    pub fn identity_vision(&self) -> String {
        identity(self.cfg.vision_model.as_deref(), &self.cfg.base_url)
    }

    /// The identity of the text model; callers add their own prompt's version.
    pub fn identity_text(&self) -> String {
        identity(self.cfg.text_model.as_deref(), &self.cfg.base_url)
    }

    /// The four text fields for one JPEG keyframe.
    pub fn describe_image(&self, jpeg: &[u8]) -> Result<SceneText, CallError> {
        let data_url = format!(
            "data:image/jpeg;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(jpeg)
        );
        let content = json!([
            {"type": "text", "text": VISION_PROMPT},
            {"type": "image_url", "image_url": {"url": data_url}},
        ]);
        let ask = Ask {
            model: self.cfg.vision_model.as_deref(),
            messages: json!([{"role": "user", "content": content}]),
            schema_name: "scene_description",
            schema: &scene_schema(),
            max_tokens: VISION_MAX_TOKENS,
            vision: true,
        };
        parse::scene_text(&self.ask(&ask)?).map_err(CallError::Malformed)
    }

    /// A text-only question to the text model, answered with a JSON object that should match `schema` (the
    /// caller validates the values). Content goes as plain strings: some chat templates reject a list of parts.
    pub fn complete_json(&self, system: &str, user: &str, schema: &Value, max_tokens: u32) -> Result<Value, CallError> {
        let ask = Ask {
            model: self.cfg.text_model.as_deref(),
            messages: json!([
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ]),
            schema_name: "answer",
            schema,
            max_tokens,
            vision: false,
        };
        self.ask(&ask)
    }

    /// Send with `response_format` unless the server has refused it; on a refusal, remember and resend with the
    /// schema spelled out in the last message instead.
    fn ask(&self, ask: &Ask) -> Result<Value, CallError> {
        if !self.no_response_format.load(Ordering::Relaxed) {
            match self.post(&request_body(ask, true), ask.vision) {
                Err(transport::Failure::FormatRefused(why)) => {
                    if !self.no_response_format.swap(true, Ordering::Relaxed) {
                        tracing::warn!(
                            "the model server at {} refused response_format ({why}); asking for JSON in the prompt instead",
                            self.cfg.base_url
                        );
                    }
                }
                other => return answer_object(other),
            }
        }
        answer_object(self.post(&request_body(ask, false), ask.vision))
    }
}

/// A named model is the same model on any server; an unnamed one is whatever that server serves.
fn identity(model: Option<&str>, base_url: &str) -> String {
    match model {
        Some(m) => format!("openai:{m}:{PROMPT_VERSION}"),
        None => format!("openai:server-default@{base_url}:{PROMPT_VERSION}"),
    }
}

fn answer_object(sent: Result<String, transport::Failure>) -> Result<Value, CallError> {
    let body = sent.map_err(transport::Failure::into_call_error)?;
    let content = parse::message_content(&body).map_err(CallError::Malformed)?;
    parse::first_json_object(&content).map_err(CallError::Malformed)
}

/// The SceneDescription text schema: four required strings, nothing else.
fn scene_schema() -> Value {
    let s = json!({"type": "string"});
    json!({
        "type": "object",
        "properties": {"visual_content": s, "mood": s, "action": s, "setting": s},
        "required": ["visual_content", "mood", "action", "setting"],
        "additionalProperties": false,
    })
}

fn request_body(ask: &Ask, with_format: bool) -> Value {
    let mut messages = ask.messages.clone();
    let mut body = json!({"temperature": 0.1, "max_tokens": ask.max_tokens, "stream": false});
    if let Some(model) = ask.model {
        body["model"] = json!(model);
    }
    if with_format {
        body["response_format"] = json!({
            "type": "json_schema",
            "json_schema": {"name": ask.schema_name, "strict": true, "schema": ask.schema},
        });
    } else if !ask.vision {
        // The vision prompt already names its fields; a text question gets the schema spelled out.
        let last = messages
            .as_array_mut()
            .and_then(|m| m.last_mut())
            .expect("a user message");
        let user = last["content"].as_str().unwrap_or_default();
        last["content"] = json!(format!(
            "{user}\n\nAnswer with one JSON object only, no other text, matching this JSON schema: {}",
            ask.schema
        ));
    }
    body["messages"] = messages;
    body
}

/// The API key, for whoever must not repeat it: error text from the server can echo it.
fn redact(text: &str, key: Option<&str>) -> String {
    match key {
        Some(k) if k.len() >= 4 => text.replace(k, "<api key>"),
        _ => text.to_string(),
    }
}

impl From<CallError> for Error {
    /// For callers that treat any failure as the end (e.g. a one-off request).
    fn from(e: CallError) -> Self {
        match e {
            CallError::Fatal(e) => e,
            other => Error::Runtime(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fallback_spells_out_the_schema_and_keeps_string_content() {
        let schema = json!({"type": "object"});
        let ask = Ask {
            model: Some("m"),
            messages: json!([{"role": "system", "content": "s"}, {"role": "user", "content": "u"}]),
            schema_name: "answer",
            schema: &schema,
            max_tokens: 10,
            vision: false,
        };
        let with = request_body(&ask, true);
        assert_eq!(with["response_format"]["json_schema"]["schema"], schema);
        assert_eq!(with["messages"][1]["content"], "u");
        let without = request_body(&ask, false);
        assert!(without.get("response_format").is_none());
        let user = without["messages"][1]["content"].as_str().unwrap();
        assert!(
            user.starts_with("u\n") && user.contains("{\"type\":\"object\"}"),
            "{user}"
        );
    }

    #[test]
    fn identity_changes_with_model_and_prompt() {
        let url = "http://127.0.0.1:8080/v1";
        assert_eq!(identity(Some("llava"), url), format!("openai:llava:{PROMPT_VERSION}"));
        assert_eq!(identity(Some("llava"), url), identity(Some("llava"), "http://other/v1"));
        assert_ne!(identity(None, url), identity(None, "http://other/v1"));
        assert_ne!(identity(Some("llava"), url), identity(None, url));
    }

    #[test]
    fn redact_hides_the_key() {
        assert_eq!(redact("bad key sk-123456", Some("sk-123456")), "bad key <api key>");
    }
}
