//! One POST with retries, and the sorting of what went wrong into fatal, per-request, or "try again".

use std::io;
use std::thread;
use std::time::Duration;

use serde_json::Value;

use super::parse::snippet;
use super::{CallError, Client, EndpointConfig, redact};
use crate::Error;
use crate::workdir::Secret;

/// Connecting is quick or never: a server that does not accept within this is treated as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) fn agent(cfg: &EndpointConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(cfg.timeout))
        .timeout_connect(Some(cfg.timeout.min(CONNECT_TIMEOUT)))
        .user_agent(concat!("cinecut/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// A request that did not produce an answer body.
pub(super) enum Failure {
    /// The server does not take `response_format` (the caller resends without it).
    FormatRefused(String),
    Call(CallError),
}

impl Failure {
    pub(super) fn into_call_error(self) -> CallError {
        match self {
            Failure::Call(e) => e,
            // Only reached when the request had no response_format, so the server is confused; say so.
            Failure::FormatRefused(why) => CallError::Status {
                status: 400,
                detail: why,
            },
        }
    }
}

/// What one attempt came to.
enum Attempt {
    Answer(String),
    /// Worth another try: the network, a timeout, a 5xx, 429.
    Again(Transient),
    Stop(Failure),
}

enum Transient {
    Unreachable(String),
    Timeout,
    Network(String),
    Status(u16, String),
}

impl Client {
    /// POST `body` to the chat endpoint; retries network errors, timeouts, 5xx and 429 with doubling backoff.
    pub(super) fn post(&self, body: &Value, vision: bool) -> Result<String, Failure> {
        let tries = self.cfg.retries + 1;
        let mut wait = self.cfg.backoff;
        for attempt in 1..=tries {
            let why = match self.post_once(body, vision) {
                Attempt::Answer(text) => return Ok(text),
                Attempt::Stop(failure) => return Err(failure),
                Attempt::Again(why) if attempt == tries => return Err(Failure::Call(self.gave_up(why, tries))),
                Attempt::Again(why) => why,
            };
            tracing::debug!(
                "model server: {}; retrying in {:?} (try {} of {tries})",
                describe(&why),
                wait,
                attempt + 1
            );
            thread::sleep(wait);
            wait = wait.saturating_mul(2);
        }
        unreachable!("the last try returns")
    }

    fn post_once(&self, body: &Value, vision: bool) -> Attempt {
        let mut request = self.agent.post(self.cfg.chat_url());
        if let Some(key) = &self.cfg.api_key {
            request = request.header("Authorization", format!("Bearer {}", key.expose()));
        }
        let mut response = match request.send_json(body) {
            Ok(r) => r,
            Err(e) => return self.transport_error(e),
        };
        let status = response.status().as_u16();
        let text = match response.body_mut().read_to_string() {
            Ok(t) => t,
            Err(e) if (200..300).contains(&status) => return self.transport_error(e),
            Err(_) => String::new(),
        };
        if (200..300).contains(&status) {
            return Attempt::Answer(text);
        }
        self.http_error(status, &text, vision, body.get("response_format").is_some())
    }

    fn transport_error(&self, e: ureq::Error) -> Attempt {
        use ureq::Timeout as T;
        let t = match e {
            ureq::Error::Timeout(T::Connect | T::Resolve) => Transient::Unreachable("connecting timed out".into()),
            ureq::Error::Timeout(_) => Transient::Timeout,
            ureq::Error::HostNotFound => Transient::Unreachable("host not found".into()),
            ureq::Error::ConnectionFailed => Transient::Unreachable("connection failed".into()),
            ureq::Error::Io(e) if unreachable_io(&e) => Transient::Unreachable(e.to_string()),
            ureq::Error::Io(e) if e.kind() == io::ErrorKind::TimedOut => Transient::Timeout,
            ureq::Error::BadUri(uri) => {
                return Attempt::Stop(Failure::Call(CallError::Fatal(self.model_error(
                    format!("the model endpoint {uri} is not a valid URL"),
                    "pass --endpoint like http://127.0.0.1:8080/v1",
                ))));
            }
            other => Transient::Network(redact(
                &other.to_string(),
                self.cfg.api_key.as_ref().map(Secret::expose),
            )),
        };
        Attempt::Again(t)
    }

    /// Sort an HTTP error answer by status and by what the server said. Order matters: a missing-vision message
    /// from llama-server comes as a 500, which would otherwise be retried and then blamed on this one frame.
    fn http_error(&self, status: u16, body: &str, vision: bool, sent_format: bool) -> Attempt {
        let url = &self.cfg.base_url;
        let said = redact(
            &snippet(&server_message(body)),
            self.cfg.api_key.as_ref().map(Secret::expose),
        );
        // Model names are taken out first: "llava-vision" in an echo must not read as a vision complaint.
        let mut low = said.to_lowercase();
        for name in [&self.cfg.vision_model, &self.cfg.text_model].into_iter().flatten() {
            low = low.replace(&name.to_lowercase(), "<model>");
        }
        let has = |words: &[&str]| words.iter().any(|w| low.contains(w));
        let fatal =
            |problem: String, fix: &str| Attempt::Stop(Failure::Call(CallError::Fatal(self.model_error(problem, fix))));

        if status == 401 || status == 403 {
            let problem = match self.cfg.api_key {
                Some(_) => format!("the model server at {url} refused the API key (HTTP {status}: {said})"),
                None => format!("the model server at {url} wants an API key (HTTP {status}: {said})"),
            };
            return fatal(
                problem,
                "set CINECUT_OPENAI_API_KEY (or OPENAI_API_KEY) to a key this server accepts",
            );
        }
        let mentions_format = has(&["response_format", "json_schema"]);
        if vision && !mentions_format && refuses_images(&low) {
            return fatal(
                format!("the model at {url} did not accept images (HTTP {status}: {said})"),
                "start llama-server with --mmproj (or pick a vision model with --vision-model)",
            );
        }
        if status == 404 || (status < 500 && has(&["model"]) && has(&["not found", "does not exist"])) {
            return fatal(
                format!("the model server at {url} has no such model or endpoint (HTTP {status}: {said})"),
                "check --vision-model / --text-model against the server's model list, and that --endpoint is the \
                 API base (e.g. http://127.0.0.1:8080/v1)",
            );
        }
        if sent_format && (mentions_format || (status < 500 && has(&["unsupported", "not supported"]))) {
            return Attempt::Stop(Failure::FormatRefused(format!("HTTP {status}: {said}")));
        }
        if status >= 500 || status == 429 || status == 408 {
            return Attempt::Again(Transient::Status(status, said));
        }
        Attempt::Stop(Failure::Call(CallError::Status { status, detail: said }))
    }

    fn gave_up(&self, why: Transient, tries: u32) -> CallError {
        match why {
            Transient::Unreachable(e) => CallError::Fatal(self.model_error(
                format!(
                    "cannot reach the model server at {} ({e}, {tries} tries)",
                    self.cfg.base_url
                ),
                "start the server, or pass --endpoint URL (or set CINECUT_OPENAI_BASE_URL)",
            )),
            Transient::Timeout => CallError::Timeout {
                secs: self.cfg.timeout.as_secs(),
                tries,
            },
            Transient::Network(e) => CallError::Network(e),
            Transient::Status(status, detail) => CallError::Status { status, detail },
        }
    }

    fn model_error(&self, problem: String, fix: &str) -> Error {
        Error::Model {
            url: self.cfg.base_url.clone(),
            problem,
            fix: fix.into(),
        }
    }
}

/// Whether an error message says the model takes no images. Phrasings from llama-server without `--mmproj`
/// ("image input is not supported - hint: … mmproj"), OpenAI, Ollama, OpenRouter and LM Studio.
fn refuses_images(low: &str) -> bool {
    const REFUSALS: [&str; 5] = [
        "not supported",
        "unsupported",
        "does not support",
        "only supported",
        "support image",
    ];
    ["mmproj", "multimodal", "vision"].iter().any(|w| low.contains(w))
        || (low.contains("image") && REFUSALS.iter().any(|w| low.contains(w)))
}

fn unreachable_io(e: &io::Error) -> bool {
    use io::ErrorKind as K;
    matches!(
        e.kind(),
        K::ConnectionRefused | K::NotConnected | K::AddrNotAvailable | K::HostUnreachable | K::NetworkUnreachable
    )
}

/// The `error.message` of an OpenAI-style error body, else the body itself.
fn server_message(body: &str) -> String {
    let v: Option<Value> = serde_json::from_str(body).ok();
    let msg = v.as_ref().and_then(|v| {
        v["error"]["message"]
            .as_str()
            .or_else(|| v["error"].as_str())
            .or_else(|| v["message"].as_str())
            .or_else(|| v["detail"].as_str())
    });
    match msg {
        Some(m) => m.to_string(),
        None if body.trim().is_empty() => "no details".into(),
        None => body.to_string(),
    }
}

fn describe(t: &Transient) -> String {
    match t {
        Transient::Unreachable(e) => format!("unreachable ({e})"),
        Transient::Timeout => "timed out".into(),
        Transient::Network(e) => format!("connection failed ({e})"),
        Transient::Status(s, d) => format!("HTTP {s} ({d})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_refusals_are_recognised_and_other_errors_are_not() {
        for said in [
            "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj",
            "Invalid content type. image_url is only supported by certain models.",
            "This model does not support image input",
            "No endpoints found that support image input",
            "vision is not supported by this model",
            "multimodal input is disabled",
        ] {
            assert!(refuses_images(&said.to_lowercase()), "{said}");
        }
        for said in [
            "internal error",
            "context length exceeded",
            "model '<model>' not found",
            "rate limited",
        ] {
            assert!(!refuses_images(said), "{said}");
        }
    }

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(server_message(r#"{"error": {"message": "boom", "code": 500}}"#), "boom");
        assert_eq!(server_message(r#"{"error": "boom"}"#), "boom");
        assert_eq!(server_message("plain text"), "plain text");
        assert_eq!(server_message(""), "no details");
    }
}
