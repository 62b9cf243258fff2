//! The OpenAI chat protocol as llama.cpp's `llama-server` speaks it, against the real server and SmolLM2-135M:
//! grammar-constrained JSON through `response_format`, and the refusal of images by a model without a projector.
//! These pin down what the OpenAI-API client relies on; the answers' wisdom is not tested (the model is tiny).

use crate::util;

use serde_json::{Value, json};
use util::llama::LlamaServer;

/// The reply's `choices[0].message.content`, parsed as JSON.
fn content_json(server: &LlamaServer, status: u16, body: &str) -> Value {
    assert_eq!(status, 200, "reply: {body}\nserver log:\n{}", server.log_tail());
    let reply: Value = serde_json::from_str(body).expect("the reply is JSON");
    let content = reply["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_else(|| panic!("no content: {body}"));
    serde_json::from_str(content).unwrap_or_else(|e| panic!("content is not JSON ({e}): {content:?}"))
}

fn anchors_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "begin_t": {"type": "number"},
            "escalation_t": {"type": "number"},
            "climax_t": {"type": "number"}
        },
        "required": ["begin_t", "escalation_t", "climax_t"],
        "additionalProperties": false
    })
}

const PROMPT: &str = "A film runs 600 seconds. Give the times in seconds of its beginning, escalation and climax \
                      as JSON with the keys begin_t, escalation_t, climax_t.";

#[test]
fn json_schema_response_format_constrains_the_reply() {
    let server = LlamaServer::start();
    let (status, body) = server.chat(&json!({
        "model": server.model,
        "messages": [{"role": "user", "content": PROMPT}],
        "temperature": 0,
        "max_tokens": 64,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "anchors", "strict": true, "schema": anchors_schema()}
        }
    }));
    let anchors = content_json(&server, status, &body);
    let keys: Vec<&String> = anchors.as_object().expect("an object").keys().collect();
    assert_eq!(keys.len(), 3, "only the schema's keys: {anchors}");
    for key in ["begin_t", "escalation_t", "climax_t"] {
        assert!(anchors[key].is_number(), "{key} is a number: {anchors}");
    }
}

/// `{"type": "json_object"}` is accepted and constrains the reply to a JSON object, but not its keys: this model
/// then writes keys until `max_tokens` cuts it off, so a client must treat `finish_reason: "length"` as a failed
/// answer rather than parse the truncated object.
#[test]
fn json_object_response_format_is_accepted() {
    let server = LlamaServer::start();
    let (status, body) = server.chat(&json!({
        "model": server.model,
        "messages": [{"role": "user", "content": PROMPT}],
        "temperature": 0,
        "max_tokens": 64,
        "response_format": {"type": "json_object"}
    }));
    assert_eq!(status, 200, "reply: {body}");
    let reply: Value = serde_json::from_str(&body).expect("the reply is JSON");
    let choice = &reply["choices"][0];
    let content = choice["message"]["content"]
        .as_str()
        .unwrap_or_else(|| panic!("no content: {body}"));
    assert!(
        content.trim_start().starts_with('{'),
        "grammar-constrained to an object: {content:?}"
    );
    match choice["finish_reason"].as_str() {
        Some("stop") => assert!(
            serde_json::from_str::<Value>(content).is_ok_and(|v| v.is_object()),
            "{content:?}"
        ),
        Some("length") => assert!(serde_json::from_str::<Value>(content).is_err(), "cut off: {content:?}"),
        other => panic!("finish_reason {other:?}: {body}"),
    }
}

/// A `response_format` the server does not know is refused with 400 before anything is generated: the shape a
/// client sees from a server that refuses structured output.
#[test]
fn unknown_response_format_is_a_400() {
    let server = LlamaServer::start();
    let (status, body) = server.chat(&json!({
        "model": server.model,
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 8,
        "response_format": {"type": "bogus"}
    }));
    assert_eq!(status, 400, "{body}");
    let error: Value = serde_json::from_str(&body).expect("the error is JSON");
    assert_eq!(error["error"]["type"], "invalid_request_error", "{body}");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("response_format")),
        "{body}"
    );
}

/// Without `--mmproj` an `image_url` part is refused, as a 500 (`server_error`, not a 4xx) whose message names
/// images and the projector. A client that retries 5xx must look at the message first and report "the model did
/// not accept images" instead of retrying.
#[test]
fn image_parts_are_refused_without_a_projector() {
    let server = LlamaServer::start();
    // Not a whole JPEG: the server refuses the part before it decodes anything.
    let (status, body) = server.chat(&json!({
        "model": server.model,
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": "Describe this frame."},
            {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/2w=="}}
        ]}],
        "max_tokens": 16
    }));
    assert_eq!(status, 500, "{body}");
    let error: Value = serde_json::from_str(&body).expect("the error is JSON");
    assert_eq!(error["error"]["type"], "server_error", "{body}");
    let message = error["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("error.message: {body}"));
    assert!(
        message.starts_with("image input is not supported") && message.contains("mmproj"),
        "{message}"
    );
}
