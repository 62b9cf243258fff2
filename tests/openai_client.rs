//! The OpenAI-API client against a stub server on 127.0.0.1: what the requests carry, how answers are read, and
//! which failures stop the run versus cost one frame.

use crate::util;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cinecut::Cancel;
use cinecut::analyze::{CallError, Client, EndpointConfig};
use serde_json::json;
use util::stub_server::{Reply, Request, StubServer};

/// A fast policy for tests: short timeout, short backoff.
fn config(url: &str) -> EndpointConfig {
    let mut cfg = EndpointConfig::new(url).unwrap();
    cfg.vision_model = Some("stub-vision".into());
    cfg.text_model = Some("stub-text".into());
    cfg.timeout = Duration::from_secs(10);
    cfg.backoff = Duration::from_millis(10);
    cfg
}

fn client(stub: &StubServer) -> Client {
    Client::new(config(&stub.url()))
}

/// A small real JPEG: a colour gradient.
fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 36, |x, y| image::Rgb([(x * 4) as u8, (y * 7) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

fn assert_vision_request(req: &Request) {
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(req.body["model"], "stub-vision");
    let parts = req.parts();
    assert!(parts.iter().any(|p| p["type"] == "text"), "{parts:?}");
    let url = parts
        .iter()
        .find(|p| p["type"] == "image_url")
        .expect("an image_url part")["image_url"]["url"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(url.starts_with("data:image/jpeg;base64,/9j/"), "{}", &url[..40]);
}

fn fatal_message(result: Result<impl std::fmt::Debug, CallError>) -> String {
    match result {
        Err(CallError::Fatal(e)) => e.to_string(),
        other => panic!("expected a fatal error, got {other:?}"),
    }
}

#[test]
fn a_canned_answer_becomes_scene_text_and_the_request_carries_image_and_schema() {
    let stub = StubServer::always(Reply::scene());
    let text = client(&stub).describe_image(&jpeg()).unwrap();
    assert_eq!(text.visual_content, "a woman on a bridge");
    assert_eq!(text.mood, "tense");
    assert_eq!(text.action, "she runs");
    assert_eq!(text.setting, "night, a city");

    let reqs = stub.requests();
    assert_eq!(reqs.len(), 1);
    assert_vision_request(&reqs[0]);
    let format = &reqs[0].body["response_format"];
    assert_eq!(format["type"], "json_schema");
    let schema = &format["json_schema"]["schema"];
    assert_eq!(
        schema["required"],
        json!(["visual_content", "mood", "action", "setting"])
    );
    assert_eq!(schema["additionalProperties"], false);
    assert_eq!(reqs[0].body["temperature"], 0.1);
}

#[test]
fn malformed_json_costs_only_that_frame() {
    let stub = StubServer::always(Reply::malformed());
    let err = client(&stub).describe_image(&jpeg()).unwrap_err();
    assert!(matches!(err, CallError::Malformed(_)), "{err:?}");
    assert_eq!(stub.requests().len(), 1, "a bad answer is not retried");

    let missing_field = StubServer::always(Reply::json(json!({"visual_content": "a", "mood": "b", "action": "c"})));
    let err = client(&missing_field).describe_image(&jpeg()).unwrap_err();
    assert!(err.to_string().contains("setting"), "{err}");
}

#[test]
fn a_500_is_retried_and_the_next_answer_is_used() {
    let stub = StubServer::start(|n, _| if n == 0 { Reply::server_error() } else { Reply::scene() });
    let text = client(&stub).describe_image(&jpeg()).unwrap();
    assert_eq!(text.mood, "tense");
    assert_eq!(stub.requests().len(), 2);
}

#[test]
fn a_server_that_keeps_failing_costs_the_frame_after_three_retries() {
    let stub = StubServer::always(Reply::server_error());
    let err = client(&stub).describe_image(&jpeg()).unwrap_err();
    assert!(matches!(err, CallError::Status { status: 500, .. }), "{err:?}");
    assert_eq!(stub.requests().len(), 4, "one try and three retries");

    // A model name that says "vision", echoed in a crash message, is no vision complaint.
    let stub = StubServer::always(Reply::Raw(
        500,
        util::stub_server::error_body("stub-vision crashed", "server_error"),
    ));
    let err = client(&stub).describe_image(&jpeg()).unwrap_err();
    assert!(matches!(err, CallError::Status { status: 500, .. }), "{err:?}");
}

#[test]
fn a_reply_slower_than_the_timeout_is_a_frame_timeout() {
    let stub = StubServer::always(Reply::slow(2.0, Reply::scene()));
    let mut cfg = config(&stub.url());
    cfg.timeout = Duration::from_millis(300);
    cfg.retries = 1;
    let err = Client::new(cfg).describe_image(&jpeg()).unwrap_err();
    assert!(matches!(err, CallError::Timeout { tries: 2, .. }), "{err:?}");
    assert!(!err.is_fatal());
}

#[test]
fn a_refused_response_format_is_remembered_and_the_prompt_asks_for_json() {
    let stub = StubServer::start(|_, req| {
        if req.has_response_format() {
            Reply::refuse_response_format()
        } else {
            // Without a schema, models wrap their JSON in prose and fences.
            Reply::Content(format!(
                "Here you go:\n```json\n{}\n```",
                json!({
                    "visual_content": "two robots", "mood": "grim", "action": "they fight", "setting": "a ruined lab"
                })
            ))
        }
    });
    let client = client(&stub);
    assert_eq!(client.describe_image(&jpeg()).unwrap().visual_content, "two robots");
    assert_eq!(client.describe_image(&jpeg()).unwrap().setting, "a ruined lab");

    let reqs = stub.requests();
    assert_eq!(reqs.len(), 3, "one refusal, then no response_format for the rest");
    assert!(reqs[0].has_response_format());
    assert!(!reqs[1].has_response_format() && !reqs[2].has_response_format());
    for req in &reqs {
        assert_vision_request(req);
    }
    let prompt = reqs[1].parts()[0]["text"].as_str().unwrap().to_string();
    assert!(prompt.contains("JSON") && prompt.contains("visual_content"), "{prompt}");
}

#[test]
fn a_model_without_vision_stops_the_run_with_the_mmproj_hint() {
    let stub = StubServer::always(Reply::no_vision());
    let msg = fatal_message(client(&stub).describe_image(&jpeg()));
    assert!(
        msg.contains(&format!("the model at {} did not accept images", stub.url())),
        "{msg}"
    );
    assert!(msg.contains("--mmproj"), "{msg}");
    assert_eq!(stub.requests().len(), 1, "not retried although it is a 500");
}

#[test]
fn an_unreachable_server_stops_the_run() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let mut cfg = config(&url);
    cfg.retries = 1;
    let msg = fatal_message(Client::new(cfg).describe_image(&jpeg()));
    assert!(
        msg.contains(&format!("cannot reach the model server at {url}")),
        "{msg}"
    );
    assert!(msg.contains("--endpoint"), "{msg}");
}

#[test]
fn the_api_key_is_sent_as_bearer_and_never_shown() {
    const KEY: &str = "sk-test-0123456789abcdef";
    // The server echoes the key, as some do in their 401 messages.
    let stub = StubServer::start(|_, req| {
        let said = format!("invalid key {}", req.auth.clone().unwrap_or_default());
        Reply::Raw(401, util::stub_server::error_body(&said, "invalid_request_error"))
    });
    let mut cfg = config(&stub.url());
    cfg.api_key = Some(cinecut::workdir::Secret::new(KEY));
    assert!(!format!("{cfg:?}").contains(KEY));
    let msg = fatal_message(Client::new(cfg).describe_image(&jpeg()));
    assert_eq!(
        stub.requests()[0].auth.as_deref(),
        Some(format!("Bearer {KEY}").as_str())
    );
    assert!(
        msg.contains("refused the API key") && msg.contains("CINECUT_OPENAI_API_KEY"),
        "{msg}"
    );
    assert!(!msg.contains(KEY), "{msg}");
    assert_eq!(stub.requests().len(), 1, "a 401 is not retried");
}

#[test]
fn an_unknown_model_stops_the_run() {
    let stub = StubServer::always(Reply::Raw(
        404,
        util::stub_server::error_body("model 'stub-vision' not found, try pulling it first", "not_found"),
    ));
    let msg = fatal_message(client(&stub).describe_image(&jpeg()));
    assert!(msg.contains("no such model") && msg.contains("--vision-model"), "{msg}");
}

#[test]
fn text_requests_send_string_content_and_fall_back_without_response_format() {
    let stub = StubServer::start(|_, req| {
        if req.has_response_format() {
            Reply::refuse_response_format()
        } else {
            Reply::Content("The anchors: {\"begin_t\": 12.5, \"climax_t\": 600}".into())
        }
    });
    let schema = json!({"type": "object", "properties": {"begin_t": {"type": "number"}}, "required": ["begin_t"]});
    let answer = client(&stub)
        .complete_json("You analyse films.", "[00:12] Hello.", &schema, 128)
        .unwrap();
    assert_eq!(answer["begin_t"], 12.5);

    let reqs = stub.requests();
    assert_eq!(reqs.len(), 2);
    for req in &reqs {
        assert_eq!(req.body["model"], "stub-text");
        for m in req.body["messages"].as_array().unwrap() {
            assert!(m["content"].is_string(), "content must be a plain string: {m}");
        }
    }
    assert_eq!(reqs[0].body["response_format"]["json_schema"]["schema"], schema);
    assert_eq!(reqs[0].body["max_tokens"], 128);
    let user = reqs[1].body["messages"][1]["content"].as_str().unwrap();
    assert!(
        user.contains("[00:12] Hello.") && user.contains("begin_t"),
        "the fallback names the schema: {user}"
    );
}

/// Keyframes on disk for `describe_images`.
fn keyframes(n: usize) -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let paths = (0..n)
        .map(|i| {
            let p = dir.path().join(format!("kf_{i:04}.jpg"));
            std::fs::write(&p, jpeg()).unwrap();
            p
        })
        .collect();
    (dir, paths)
}

#[test]
fn many_images_run_jobs_requests_at_once_and_report_each_once() {
    let stub = StubServer::always(Reply::slow(0.3, Reply::scene()));
    let (_dir, paths) = keyframes(12);
    let mut cfg = config(&stub.url());
    cfg.jobs = 4;
    let mut done = Vec::new();
    Client::new(cfg)
        .describe_images(&paths, &Cancel::new(), |i, r| {
            assert_eq!(r.unwrap().mood, "tense");
            done.push(i);
            Ok(())
        })
        .unwrap();
    done.sort();
    assert_eq!(done, (0..12).collect::<Vec<_>>());
    assert_eq!(stub.max_in_flight(), 4, "four workers, four requests in flight");

    let one = StubServer::always(Reply::slow(0.05, Reply::scene()));
    let (_dir, paths) = keyframes(3);
    client(&one)
        .describe_images(&paths, &Cancel::new(), |_, _| Ok(()))
        .unwrap();
    assert_eq!(one.max_in_flight(), 1);
}

#[test]
fn per_frame_failures_are_reported_and_the_rest_go_on() {
    // Every third request gets malformed JSON.
    let stub = StubServer::start(|n, _| if n % 3 == 0 { Reply::malformed() } else { Reply::scene() });
    let (_dir, paths) = keyframes(6);
    let (mut ok, mut failed) = (0, 0);
    client(&stub)
        .describe_images(&paths, &Cancel::new(), |_, r| {
            if r.is_ok() {
                ok += 1
            } else {
                failed += 1
            }
            Ok(())
        })
        .unwrap();
    assert_eq!((ok, failed), (4, 2));
}

#[test]
fn a_fatal_error_stops_handing_out_frames() {
    let stub = StubServer::always(Reply::no_vision());
    let (_dir, paths) = keyframes(20);
    let mut cfg = config(&stub.url());
    cfg.jobs = 2;
    let calls = Arc::new(Mutex::new(0));
    let err = Client::new(cfg)
        .describe_images(&paths, &Cancel::new(), |_, _| {
            *calls.lock().unwrap() += 1;
            Ok(())
        })
        .unwrap_err();
    assert!(err.to_string().contains("--mmproj"), "{err}");
    assert_eq!(err.exit_code(), 1);
    assert!(
        stub.requests().len() <= 2,
        "{} requests after a fatal error",
        stub.requests().len()
    );
    assert_eq!(*calls.lock().unwrap(), 0);
}

#[test]
fn cancel_and_a_failing_callback_stop_the_run() {
    let stub = StubServer::always(Reply::scene());
    let (_dir, paths) = keyframes(10);
    let cancel = Cancel::new();
    let err = client(&stub)
        .describe_images(&paths, &cancel, |_, _| {
            cancel.cancel();
            Ok(())
        })
        .unwrap_err();
    assert!(matches!(err, cinecut::Error::Interrupted), "{err:?}");
    assert!(stub.requests().len() < 10);

    let err = client(&stub)
        .describe_images(&paths, &Cancel::new(), |_, _| {
            Err(cinecut::Error::Runtime("disk full".into()))
        })
        .unwrap_err();
    assert_eq!(err.to_string(), "disk full");
}
