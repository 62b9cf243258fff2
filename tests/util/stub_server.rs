//! A small OpenAI-compatible server for tests: answers each request as a closure says, and records what came.
//!
//! Minimal HTTP/1.1: read the headers and a Content-Length body, answer with Content-Length and
//! `Connection: close`. One thread per connection, so concurrent clients really overlap.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The `Authorization` header, as sent.
    pub auth: Option<String>,
    /// The body parsed as JSON (`Null` when it was not JSON).
    pub body: Value,
}

impl Request {
    /// The content parts of the last message, when it is a list (vision requests).
    pub fn parts(&self) -> Vec<Value> {
        let messages = self.body["messages"].as_array().cloned().unwrap_or_default();
        messages
            .last()
            .and_then(|m| m["content"].as_array().cloned())
            .unwrap_or_default()
    }

    pub fn has_response_format(&self) -> bool {
        self.body.get("response_format").is_some()
    }
}

/// How to answer one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// HTTP 200 with a chat completion whose message content is this text.
    Content(String),
    /// Any status with this raw body.
    Raw(u16, String),
    /// Wait, then answer.
    Slow(Duration, Box<Reply>),
}

impl Reply {
    /// A well-formed scene description.
    pub fn scene() -> Reply {
        Reply::json(json!({
            "visual_content": "a woman on a bridge",
            "mood": "tense",
            "action": "she runs",
            "setting": "night, a city",
        }))
    }

    pub fn json(content: Value) -> Reply {
        Reply::Content(content.to_string())
    }

    /// Content that is not JSON at all.
    pub fn malformed() -> Reply {
        Reply::Content("{\"visual_content\": \"a woman\", \"mood\": ".into())
    }

    pub fn server_error() -> Reply {
        Reply::Raw(500, error_body("internal error", "server_error"))
    }

    /// What an older llama-server says about a `json_schema` response format.
    pub fn refuse_response_format() -> Reply {
        Reply::Raw(
            400,
            error_body(
                "response_format type must be one of \"text\" or \"json_object\", but got: json_schema",
                "invalid_request_error",
            ),
        )
    }

    /// What llama-server says to an image part when it was started without `--mmproj`.
    pub fn no_vision() -> Reply {
        Reply::Raw(
            500,
            error_body(
                "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj",
                "server_error",
            ),
        )
    }

    pub fn slow(secs: f64, then: Reply) -> Reply {
        Reply::Slow(Duration::from_secs_f64(secs), Box::new(then))
    }
}

pub fn error_body(message: &str, kind: &str) -> String {
    json!({"error": {"code": 0, "message": message, "type": kind}}).to_string()
}

type Behaviour = dyn Fn(usize, &Request) -> Reply + Send + Sync;

pub struct StubServer {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    max_in_flight: Arc<AtomicUsize>,
    closing: Arc<AtomicBool>,
}

impl StubServer {
    /// Serve on 127.0.0.1 at a free port; `behave(n, request)` answers the n-th request (0-based).
    pub fn start(behave: impl Fn(usize, &Request) -> Reply + Send + Sync + 'static) -> StubServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let closing = Arc::new(AtomicBool::new(false));
        let behave: Arc<Behaviour> = Arc::new(behave);
        let in_flight = Arc::new(AtomicUsize::new(0));
        let (reqs, max, stop) = (requests.clone(), max_in_flight.clone(), closing.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (reqs, max, in_flight, behave) = (reqs.clone(), max.clone(), in_flight.clone(), behave.clone());
                thread::spawn(move || serve(stream, &reqs, &*behave, &in_flight, &max));
            }
        });
        StubServer {
            port,
            requests,
            max_in_flight,
            closing,
        }
    }

    /// Every request gets the same answer.
    pub fn always(reply: Reply) -> StubServer {
        StubServer::start(move |_, _| reply.clone())
    }

    /// The API base to give the client, e.g. `http://127.0.0.1:PORT/v1`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The most requests that were being handled at the same moment.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        self.closing.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// In flight: from the whole request read to the answer ready, so a client's next request (sent only after it
/// has the answer) never overlaps its last one in the count.
fn serve(
    stream: TcpStream,
    requests: &Mutex<Vec<Request>>,
    behave: &Behaviour,
    in_flight: &AtomicUsize,
    max: &AtomicUsize,
) {
    let Some(request) = read_request(&stream) else { return };
    max.fetch_max(in_flight.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
    let n = {
        let mut all = requests.lock().unwrap();
        all.push(request.clone());
        all.len() - 1
    };
    let (status, body) = resolve(behave(n, &request));
    in_flight.fetch_sub(1, Ordering::SeqCst);
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        500 => "Internal Server Error",
        _ => "Status",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let mut stream = stream;
    // The client may have given up (timeout tests); a failed write is expected then.
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body.as_bytes()));
}

fn resolve(reply: Reply) -> (u16, String) {
    match reply {
        Reply::Content(text) => {
            let completion = json!({
                "id": "chatcmpl-stub",
                "object": "chat.completion",
                "model": "stub",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            });
            (200, completion.to_string())
        }
        Reply::Raw(status, body) => (status, body),
        Reply::Slow(wait, then) => {
            thread::sleep(wait);
            resolve(*then)
        }
    }
}

fn read_request(stream: &TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut words = line.split_whitespace();
    let (method, path) = (words.next()?.to_string(), words.next()?.to_string());
    let (mut length, mut auth) = (0usize, None);
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "authorization" => auth = Some(value.trim().to_string()),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        auth,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    })
}
