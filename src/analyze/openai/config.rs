//! Where the model server is and how patiently to talk to it.

use std::time::Duration;

use serde::Serialize;

use crate::workdir::Secret;
use crate::{Error, Result};

/// Used when neither `--endpoint` nor an environment variable names a server: llama-server's default port.
pub(super) const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080/v1";

/// The endpoint, models and retry policy. It is part of the inputs of the stages that ask the server, so any
/// change to it re-runs them; the key is a `Secret`, shown and hashed but never written.
#[derive(Debug, Clone, Serialize)]
pub struct EndpointConfig {
    /// The API base, e.g. `http://127.0.0.1:8080/v1`; requests go to `{base_url}/chat/completions`.
    pub base_url: String,
    pub api_key: Option<Secret>,
    /// Sent as `model`; `None` leaves the choice to the server (llama-server serves one model anyway).
    pub vision_model: Option<String>,
    pub text_model: Option<String>,
    /// For one whole request, answer included. Generous: a CPU server takes tens of seconds per image.
    pub timeout: Duration,
    /// Extra tries after a network error or a 5xx.
    pub retries: u32,
    /// Wait before the first retry; doubles after each.
    pub backoff: Duration,
    /// Requests in flight at once (for servers that batch, e.g. llama-server `-np 4`).
    pub jobs: usize,
}

impl EndpointConfig {
    /// A config for `base_url` (normalized as in [`normalize_base_url`]) with the default policy: 120 s per
    /// request, 3 retries, 1 s backoff doubling, one job.
    pub fn new(base_url: &str) -> Result<Self> {
        Ok(EndpointConfig {
            base_url: normalize_base_url(base_url)?,
            api_key: None,
            vision_model: None,
            text_model: None,
            timeout: Duration::from_secs(120),
            retries: 3,
            backoff: Duration::from_secs(1),
            jobs: 1,
        })
    }

    /// The config from the command line and the environment: `--endpoint`, else `CINECUT_OPENAI_BASE_URL`, else
    /// `OPENAI_BASE_URL`, else [`DEFAULT_BASE_URL`]; the key from `CINECUT_OPENAI_API_KEY`, else `OPENAI_API_KEY`.
    pub fn resolve(
        endpoint_flag: Option<&str>,
        vision_model: Option<&str>,
        text_model: Option<&str>,
        jobs: usize,
    ) -> Result<Self> {
        Self::resolve_with(endpoint_flag, vision_model, text_model, jobs, |k| std::env::var(k).ok())
    }

    /// [`resolve`](Self::resolve) with the environment passed in, so tests need not touch the process's.
    pub fn resolve_with(
        endpoint_flag: Option<&str>,
        vision_model: Option<&str>,
        text_model: Option<&str>,
        jobs: usize,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        // An empty variable counts as unset: `OPENAI_API_KEY= cinecut …` is a common way to switch one off.
        let var = |k: &str| env(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let base = endpoint_flag
            .map(str::to_string)
            .or_else(|| var("CINECUT_OPENAI_BASE_URL"))
            .or_else(|| var("OPENAI_BASE_URL"))
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
        let name = |m: Option<&str>| m.map(str::trim).filter(|m| !m.is_empty()).map(str::to_string);
        Ok(EndpointConfig {
            api_key: var("CINECUT_OPENAI_API_KEY")
                .or_else(|| var("OPENAI_API_KEY"))
                .map(Secret::new),
            vision_model: name(vision_model),
            text_model: name(text_model),
            jobs: jobs.max(1),
            ..Self::new(&base)?
        })
    }

    /// Where every request goes.
    pub fn chat_url(&self) -> String {
        format!("{}/chat/completions", self.base_url)
    }
}

/// The rule for `--endpoint`: we append `/chat/completions` to the base. So a base already ending in
/// `/chat/completions` loses that tail, a bare host (`http://host:8080`, no path) gets `/v1` (what llama-server,
/// Ollama, vLLM and LM Studio all serve), and any other path is kept as given (`https://host/openai/v1`).
/// A missing scheme means `http://`.
pub(super) fn normalize_base_url(given: &str) -> Result<String> {
    let bad = |problem: String| Error::Usage {
        problem,
        fix: "pass --endpoint like http://127.0.0.1:8080/v1 (or set CINECUT_OPENAI_BASE_URL)".into(),
    };
    let given = given.trim();
    if given.is_empty() {
        return Err(bad("the model endpoint URL is empty".into()));
    }
    let mut url = match given.contains("://") {
        true => given.trim_end_matches('/').to_string(),
        false => format!("http://{}", given.trim_end_matches('/')),
    };
    let (scheme, rest) = url.split_once("://").unwrap_or_default();
    if scheme != "http" && scheme != "https" {
        return Err(bad(format!(
            "the model endpoint '{given}' is not an http:// or https:// URL"
        )));
    }
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad(format!("the model endpoint '{given}' has no host")));
    }
    if let Some(base) = url.strip_suffix("/chat/completions") {
        url = base.trim_end_matches('/').to_string();
    }
    let has_path = url.split_once("://").is_some_and(|(_, rest)| rest.contains('/'));
    if !has_path {
        url.push_str("/v1");
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalized_by_the_documented_rule() {
        let n = |s| normalize_base_url(s).unwrap();
        assert_eq!(n("http://127.0.0.1:8080"), "http://127.0.0.1:8080/v1");
        assert_eq!(n("http://127.0.0.1:8080/"), "http://127.0.0.1:8080/v1");
        assert_eq!(n("http://127.0.0.1:8080/v1/"), "http://127.0.0.1:8080/v1");
        assert_eq!(n("localhost:11434"), "http://localhost:11434/v1");
        assert_eq!(
            n("https://api.example.com/openai/v1"),
            "https://api.example.com/openai/v1"
        );
        assert_eq!(n("http://h:1/v1/chat/completions"), "http://h:1/v1");
        assert_eq!(n("http://h:1/chat/completions"), "http://h:1/v1");
        assert!(normalize_base_url("ftp://h/v1").is_err());
        assert!(normalize_base_url("  ").is_err());
        assert!(normalize_base_url("http://").is_err());
    }

    #[test]
    fn resolve_prefers_flag_then_cinecut_env_then_openai_env() {
        let env = |k: &str| match k {
            "CINECUT_OPENAI_BASE_URL" => Some("http://a:1".to_string()),
            "OPENAI_BASE_URL" => Some("http://b:2/v1".to_string()),
            "OPENAI_API_KEY" => Some("sk-secret".to_string()),
            "CINECUT_OPENAI_API_KEY" => Some(" ".to_string()),
            _ => None,
        };
        let cfg = EndpointConfig::resolve_with(Some("http://flag:3"), Some("llava"), None, 0, env).unwrap();
        assert_eq!(cfg.base_url, "http://flag:3/v1");
        assert_eq!(cfg.jobs, 1);
        assert_eq!(cfg.vision_model.as_deref(), Some("llava"));
        assert_eq!(
            cfg.api_key.as_ref().map(Secret::expose),
            Some("sk-secret"),
            "an empty CINECUT key falls through"
        );
        assert_eq!(
            EndpointConfig::resolve_with(None, None, None, 1, env).unwrap().base_url,
            "http://a:1/v1"
        );
        let only_openai = |k: &str| (k == "OPENAI_BASE_URL").then(|| "http://b:2/v1".to_string());
        let cfg = EndpointConfig::resolve_with(None, None, None, 1, only_openai).unwrap();
        assert_eq!(cfg.base_url, "http://b:2/v1");
        assert_eq!(cfg.api_key, None);
        let cfg = EndpointConfig::resolve_with(None, None, None, 1, |_| None).unwrap();
        assert_eq!(cfg.base_url, DEFAULT_BASE_URL);
        assert_eq!(
            (cfg.timeout, cfg.retries, cfg.backoff),
            (Duration::from_secs(120), 3, Duration::from_secs(1))
        );
    }

    #[test]
    fn debug_output_and_the_stage_key_hide_the_key() {
        let mut cfg = EndpointConfig::new("http://h:1").unwrap();
        cfg.api_key = Some(Secret::new("sk-very-secret"));
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("sk-very-secret"), "{shown}");
        assert!(shown.contains("<set>"), "{shown}");
        let written = serde_json::to_string(&cfg).unwrap();
        assert!(!written.contains("sk-very-secret"), "{written}");
    }
}
