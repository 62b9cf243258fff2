//! A stand-in for the Jamendo API on 127.0.0.1: answers each GET as a closure says and records the request
//! lines (path and query), so tests see what was asked without a network or a client id.
//!
//! Minimal HTTP/1.1 like `stub_server`, but for GET with any body bytes (JSON searches, MP3 downloads).

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use serde_json::{Value, json};

/// One answer: status, content type, body.
pub struct Answer {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(body: String) -> Answer {
        Answer {
            status: 200,
            content_type: "application/json",
            body: body.into_bytes(),
        }
    }

    pub fn bytes(body: Vec<u8>) -> Answer {
        Answer {
            status: 200,
            content_type: "audio/mpeg",
            body,
        }
    }

    pub fn status(status: u16, body: &str) -> Answer {
        Answer {
            status,
            content_type: "text/html",
            body: body.as_bytes().to_vec(),
        }
    }
}

type Behaviour = dyn Fn(&str) -> Answer + Send + Sync;

pub struct JamendoStub {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    closing: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl JamendoStub {
    /// Serve on a free local port; `behave(target)` answers a request for `target` (path and query).
    pub fn start(behave: impl Fn(&str) -> Answer + Send + Sync + 'static) -> JamendoStub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let closing = Arc::new(AtomicBool::new(false));
        let behave: Arc<Behaviour> = Arc::new(behave);
        let (reqs, stop) = (requests.clone(), closing.clone());
        let accept = thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (reqs, behave) = (reqs.clone(), behave.clone());
                thread::spawn(move || serve(stream, &reqs, &*behave));
            }
        });
        JamendoStub {
            port,
            requests,
            closing,
            accept: Some(accept),
        }
    }

    /// The API origin, e.g. `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Request targets as sent, e.g. `/v3.0/tracks/?client_id=…`.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for JamendoStub {
    /// Closes the port for good before returning, so a test can rely on "the server is gone".
    fn drop(&mut self) {
        self.closing.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve(stream: TcpStream, requests: &Mutex<Vec<String>>, behave: &Behaviour) {
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let Some(target) = line.split_whitespace().nth(1).map(str::to_string) else {
        return;
    };
    // Skip the headers: a GET has no body.
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return,
            Ok(_) if header.trim().is_empty() => break,
            Ok(_) => {}
        }
    }
    requests.lock().unwrap().push(target.clone());
    let answer = behave(&target);
    let head = format!(
        "HTTP/1.1 {} Stub\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        answer.status,
        answer.content_type,
        answer.body.len()
    );
    let mut stream = stream;
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(&answer.body));
}

/// One search result as Jamendo sends it, downloadable from `download_url`.
pub fn track(id: &str, name: &str, duration_s: u32, download_url: &str, allowed: bool) -> Value {
    json!({
        "id": id,
        "name": name,
        "duration": duration_s,
        "artist_id": "7",
        "artist_name": "The Stubs",
        "album_name": "Tests",
        "license_ccurl": "http://creativecommons.org/licenses/by/3.0/",
        "shareurl": format!("https://www.jamendo.com/track/{id}"),
        "audio": format!("{download_url}?stream"),
        "audiodownload": download_url,
        "audiodownload_allowed": allowed,
        "musicinfo": {"vocalinstrumental": "instrumental", "tags": {"genres": ["dramatic"], "vartags": []}},
    })
}

/// A successful search answer with these results.
pub fn search_answer(results: Vec<Value>) -> String {
    json!({
        "headers": {"status": "success", "code": 0, "error_message": "", "warnings": "",
                    "results_count": results.len()},
        "results": results,
    })
    .to_string()
}
