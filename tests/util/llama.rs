//! A real llama.cpp `llama-server` serving SmolLM2-135M-Instruct on 127.0.0.1, for tests of the OpenAI-API client.
//!
//! `make test` builds the server (scripts/build-llama-server.sh, cached in `~/.cache/cinecut/llama-server/`),
//! fetches the model (scripts/fetch-models.sh) and passes both on in `CINECUT_LLAMA_SERVER` and
//! `CINECUT_MODELS_DIR`. Without those variables the default places are searched.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The chat model, relative to the models dir.
pub const GGUF: &str = "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";

/// How long the server may take to load the model and answer `/health`.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `llama-server`, killed and reaped on drop. Its output goes to `log_path`, never to a pipe (a full pipe
/// would stall it).
pub struct LlamaServer {
    /// The OpenAI API base URL, ending in `/v1` (as `--endpoint` takes it).
    pub url: String,
    /// The model name the server answers to (llama-server serves one model, under this alias).
    pub model: String,
    pub log_path: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

/// `CINECUT_MODELS_DIR`, else `${XDG_DATA_HOME:-$HOME/.local/share}/cinecut/models` (as scripts/fetch-models.sh).
pub fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CINECUT_MODELS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    env_dir("XDG_DATA_HOME", ".local/share").join("cinecut/models")
}

/// `CINECUT_LLAMA_SERVER`, else a binary built by scripts/build-llama-server.sh in
/// `${XDG_CACHE_HOME:-$HOME/.cache}/cinecut/llama-server/<version>/llama-server` (the newest, if several).
pub fn server_binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("CINECUT_LLAMA_SERVER").filter(|b| !b.is_empty()) {
        return Some(PathBuf::from(bin));
    }
    let cache = env_dir("XDG_CACHE_HOME", ".cache").join("cinecut/llama-server");
    let mut found: Vec<PathBuf> = std::fs::read_dir(cache)
        .ok()?
        .filter_map(|e| Some(e.ok()?.path().join("llama-server")))
        .filter(|p| p.is_file())
        .collect();
    found.sort_by_key(|p| p.metadata().and_then(|m| m.modified()).ok());
    found.pop()
}

fn env_dir(var: &str, under_home: &str) -> PathBuf {
    match std::env::var_os(var).filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(under_home),
    }
}

impl LlamaServer {
    /// Starts the server on a free port and waits until it has loaded the model. Panics, with the server's log,
    /// when it cannot.
    pub fn start() -> LlamaServer {
        let bin = server_binary().filter(|b| b.is_file()).unwrap_or_else(|| {
            panic!(
                "no llama-server binary (CINECUT_LLAMA_SERVER unset and none built in ~/.cache/cinecut/llama-server): \
                 run `make test`, which builds it, or scripts/build-llama-server.sh"
            )
        });
        let gguf = models_dir().join(GGUF);
        assert!(
            gguf.is_file(),
            "no chat model at {}: run `make test`, which fetches it, or scripts/fetch-models.sh",
            gguf.display()
        );
        // The port is free when we look; another process may take it before the server binds, so try again then.
        for attempt in 1..=3 {
            match Self::try_start(&bin, &gguf) {
                Ok(server) => return server,
                Err(log) if attempt < 3 && log.contains("couldn't bind") => continue,
                Err(log) => panic!("llama-server ({}) did not start:\n{log}", bin.display()),
            }
        }
        unreachable!()
    }

    fn try_start(bin: &Path, gguf: &Path) -> Result<LlamaServer, String> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let dir = tempfile::tempdir().expect("temp dir");
        let log_path = dir.path().join("llama-server.log");
        let log = File::create(&log_path).expect("log file");
        let model = "SmolLM2-135M-Instruct".to_string();
        // --jinja: the model's own chat template (the default in current builds; said for older ones). One slot
        // (-np 1) with the whole 4096-token context, as the structural stage sends one long request. One thread:
        // ggml's threads spin on barriers, and with the other tests busy on 2 cores, 2 threads were 10x slower
        // (3 tokens/s against 37).
        let child = Command::new(bin)
            .args(["-m".as_ref(), gguf.as_os_str()])
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "-c",
                "4096",
                "-np",
                "1",
            ])
            .args(["--jinja", "-t", "1", "--alias", &model])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
        let mut server = LlamaServer {
            url: format!("http://127.0.0.1:{port}/v1"),
            model,
            log_path,
            child,
            _dir: dir,
        };

        let agent = agent(Duration::from_secs(2));
        let health = format!("http://127.0.0.1:{port}/health");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!("it exited ({status}); its log ends:\n{}", server.log_tail()));
            }
            // 503 while the model loads, 200 once it serves.
            if agent.get(&health).call().is_ok_and(|r| r.status() == 200) {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no 200 from {health} in {START_TIMEOUT:?}; its log ends:\n{}",
                    server.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// POSTs `body` to `{url}/chat/completions`; returns the status and the response body, whatever the status.
    pub fn chat(&self, body: &serde_json::Value) -> (u16, String) {
        let mut resp = agent(Duration::from_secs(120))
            .post(format!("{}/chat/completions", self.url))
            .send_json(body)
            .unwrap_or_else(|e| {
                panic!(
                    "POST {}/chat/completions: {e}; server log:\n{}",
                    self.url,
                    self.log_tail()
                )
            });
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().expect("response body");
        (status, text)
    }

    /// The last few KiB of the server's log.
    pub fn log_tail(&self) -> String {
        let Ok(mut f) = File::open(&self.log_path) else {
            return String::from("(no log)");
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = f.seek(SeekFrom::Start(len.saturating_sub(4096)));
        let mut buf = Vec::new();
        let _ = f.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// An HTTP agent that hands back 4xx/5xx responses instead of turning them into errors.
fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .build()
        .into()
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
