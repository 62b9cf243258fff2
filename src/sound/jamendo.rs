//! Jamendo: Creative Commons music found by the vibe's tag (API v3 `tracks`), downloaded once into a cache, with
//! its licence and attribution stored beside the audio so the credits survive cache hits. The earlier tool lost
//! them after the first run, and gave every film the same most-popular song (`reference/cinecut-python.md` §8.3).
//!
//! Here the song is a seeded pick among the top results, so films vary and one film keeps its song. Every failure
//! is a warning and never an error: the caller moves on to the next music source. The client id is a credential:
//! it is sent as a query parameter and never appears in a message.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::music;
use crate::cancel::Cancel;
use crate::media::Tools;
use crate::timeline::{MusicSource, MusicTrack};
use crate::workdir::{atomic_write, sync_dir};

pub(super) const DEFAULT_BASE_URL: &str = "https://api.jamendo.com";
/// Tracks shorter than this would loop several times under one trailer.
pub(super) const MIN_TRACK_S: f64 = 30.0;
/// The seeded pick is among this many of the most popular usable results: all good, not always the same one.
pub(super) const TOP_N: usize = 5;
/// How many results to ask for: enough that `TOP_N` remain after the download and length filters.
const SEARCH_LIMIT: &str = "20";
/// A search answers in well under a second; this long means the API is down.
const SEARCH_TIMEOUT: Duration = Duration::from_secs(15);
/// A 5-minute MP3 at 320 kbit/s is 12 MB: this is room for a slow line, not for a stalled one.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);
/// Larger than any song Jamendo serves as `mp32`; a bigger body is not the track we asked for.
const MAX_DOWNLOAD_BYTES: u64 = 50 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how patiently to talk to Jamendo.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The API origin, without `/v3.0`.
    pub base_url: String,
    pub search_timeout: Duration,
    pub download_timeout: Duration,
    pub max_bytes: u64,
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint {
            base_url: DEFAULT_BASE_URL.into(),
            search_timeout: SEARCH_TIMEOUT,
            download_timeout: DOWNLOAD_TIMEOUT,
            max_bytes: MAX_DOWNLOAD_BYTES,
        }
    }
}

impl Endpoint {
    /// The real API, or `CINECUT_JAMENDO_URL` when set (a stub server in tests).
    pub fn from_env() -> Endpoint {
        let mut e = Endpoint::default();
        if let Some(url) = std::env::var("CINECUT_JAMENDO_URL")
            .ok()
            .filter(|u| !u.trim().is_empty())
        {
            e.base_url = url.trim().trim_end_matches('/').to_string();
        }
        e
    }
}

/// One search: whose key, which tag, which film (the seed), where the cache is.
pub(super) struct Request<'a> {
    pub client_id: &'a str,
    pub tag: &'a str,
    pub seed: u64,
    pub cache_dir: &'a Path,
}

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Found {
    pub id: String,
    pub title: String,
    pub artist: String,
    pub duration_s: f64,
    /// The track's page (`shareurl`).
    pub url: Option<String>,
    pub license_url: Option<String>,
    pub download_url: String,
    /// The artist allows downloads (`audiodownload_allowed`); Jamendo requires apps to honour it since 2021.
    pub download_allowed: bool,
}

/// The attribution stored beside a cached track: `jamendo-<id>.json` next to `jamendo-<id>.mp3`. It is written
/// before the audio is renamed into place, so a cached track never exists without its credits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Sidecar {
    pub track_id: String,
    pub title: String,
    pub artist: String,
    pub license_url: Option<String>,
    pub url: Option<String>,
    /// The tag it was found by, so a failed search can fall back to a cached track of the same kind.
    pub tag: String,
    pub duration_s: f64,
}

impl Sidecar {
    fn track(self, audio: PathBuf) -> MusicTrack {
        MusicTrack {
            source: MusicSource::Jamendo,
            path: std::path::absolute(&audio).unwrap_or(audio),
            title: Some(self.title),
            artist: Some(self.artist),
            license_url: self.license_url,
            url: self.url,
            track_id: Some(self.track_id),
            duration_s: self.duration_s,
            bpm: None,
        }
    }
}

/// A track for `req.tag`: searched, picked by seed, downloaded (or found in the cache). On any failure a cached
/// track with the same tag stands in; each failure adds a warning. `None`: use the next music source.
pub(super) fn find(
    tools: &Tools,
    req: &Request,
    endpoint: &Endpoint,
    warnings: &mut Vec<String>,
    cancel: &Cancel,
) -> Option<MusicTrack> {
    let failure = match try_fetch(tools, req, endpoint, cancel) {
        Ok(track) => return Some(track),
        Err(why) => redact(&why, req.client_id),
    };
    if cancel.is_cancelled() {
        return None;
    }
    match cached_for_tag(req.cache_dir, req.tag, req.seed) {
        Some(track) => {
            warnings.push(format!("Jamendo: {failure}; using the cached track {}", track.credit()));
            Some(track)
        }
        None => {
            warnings.push(format!(
                "Jamendo: {failure}; no cached track tagged '{}' either, so the built-in bed plays",
                req.tag
            ));
            None
        }
    }
}

fn try_fetch(tools: &Tools, req: &Request, endpoint: &Endpoint, cancel: &Cancel) -> Result<MusicTrack, String> {
    let results = search(req, endpoint)?;
    let total = results.len();
    let usable = usable(results);
    let Some(found) = pick(&usable, req.seed) else {
        let plural = if total == 1 { "" } else { "s" };
        return Err(format!(
            "no downloadable track of {MIN_TRACK_S:.0} s or more tagged '{}' (of {total} result{plural})",
            req.tag
        ));
    };
    if let Some(track) = load_cached(req.cache_dir, &found.id) {
        tracing::debug!("Jamendo: track {} is already cached", found.id);
        return Ok(track);
    }
    download(tools, found, req, endpoint, cancel)
}

fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout.min(CONNECT_TIMEOUT)))
        .user_agent(concat!("cinecut/", env!("CARGO_PKG_VERSION")))
        .build()
        .into()
}

/// `GET /v3.0/tracks/` by tag, most popular first.
fn search(req: &Request, endpoint: &Endpoint) -> Result<Vec<Found>, String> {
    let url = format!("{}/v3.0/tracks/", endpoint.base_url);
    let mut response = agent(endpoint.search_timeout)
        .get(&url)
        .query("client_id", req.client_id)
        .query("format", "json")
        .query("limit", SEARCH_LIMIT)
        .query("tags", req.tag)
        .query("order", "popularity_total")
        .query("audioformat", "mp32")
        .query("audiodlformat", "mp32")
        // Jamendo separates list values with a literal '+'; encoded as %2B it would be one unknown value.
        .query_raw("include", "musicinfo+licenses")
        .call()
        .map_err(|e| format!("the search at {url} failed ({e})"))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .map_err(|e| format!("reading the search answer from {url} failed ({e})"))?;
    if status != 200 {
        return Err(format!(
            "the search at {url} answered HTTP {status}: {}",
            snippet(&body)
        ));
    }
    parse_search(&body).map_err(|e| format!("the search at {url} {e}"))
}

/// Read a search answer. A result missing a field is kept with that field empty (`usable` drops what cannot be
/// used); only an answer that is not Jamendo's shape, or that reports a failure, is an error.
pub(super) fn parse_search(body: &str) -> Result<Vec<Found>, String> {
    let v: Value =
        serde_json::from_str(body).map_err(|_| format!("answered something that is not JSON: {}", snippet(body)))?;
    let headers = &v["headers"];
    let Some(status) = headers["status"].as_str() else {
        return Err(format!("answered JSON without `headers.status`: {}", snippet(body)));
    };
    if status != "success" {
        let message = headers["error_message"].as_str().unwrap_or("no details");
        let code = headers["code"]
            .as_i64()
            .map(|c| format!(" (code {c})"))
            .unwrap_or_default();
        let hint = if message.to_lowercase().contains("client") {
            "; check JAMENDO_CLIENT_ID (a free id comes from https://developer.jamendo.com)"
        } else {
            ""
        };
        return Err(format!("refused the request{code}: {message}{hint}"));
    }
    let results = v["results"].as_array().map(Vec::as_slice).unwrap_or_default();
    Ok(results.iter().map(parse_track).collect())
}

fn parse_track(t: &Value) -> Found {
    let text = |key: &str| match &t[key] {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    let link = |key: &str| Some(text(key)).filter(|s| s.starts_with("http://") || s.starts_with("https://"));
    let duration_s = match &t["duration"] {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    Found {
        id: text("id"),
        title: text("name"),
        artist: text("artist_name"),
        duration_s: duration_s.filter(|d| d.is_finite()).unwrap_or(0.0),
        url: link("shareurl"),
        license_url: link("license_ccurl"),
        download_url: link("audiodownload").unwrap_or_default(),
        // Missing means not allowed: downloading against the artist's wish is the one mistake to avoid.
        download_allowed: t["audiodownload_allowed"].as_bool() == Some(true),
    }
}

/// The results that may be downloaded and are worth it, in the API's popularity order.
pub(super) fn usable(found: Vec<Found>) -> Vec<Found> {
    found
        .into_iter()
        .filter(|f| f.download_allowed && !f.download_url.is_empty())
        .filter(|f| f.duration_s >= MIN_TRACK_S)
        .filter(|f| valid_id(&f.id))
        .collect()
}

/// The id becomes part of a file name in the cache: digits and letters only, so an odd answer cannot write
/// outside it.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The seeded choice among the first `TOP_N`: the same film always gets the same song, films differ. Ranked by
/// a hash of seed and id (not by position), so the pick survives small shifts in the popularity order.
pub(super) fn pick(usable: &[Found], seed: u64) -> Option<&Found> {
    usable.iter().take(TOP_N).min_by_key(|f| music::seeded(seed, &f.id))
}

fn audio_path(cache_dir: &Path, id: &str) -> PathBuf {
    cache_dir.join(format!("jamendo-{id}.mp3"))
}

fn sidecar_path(cache_dir: &Path, id: &str) -> PathBuf {
    cache_dir.join(format!("jamendo-{id}.json"))
}

/// Download into a `.part` file beside the cache entry, check it is audio, write the attribution, then rename
/// the audio into place. An error at any step leaves no partial file.
fn download(
    tools: &Tools,
    found: &Found,
    req: &Request,
    endpoint: &Endpoint,
    cancel: &Cancel,
) -> Result<MusicTrack, String> {
    let dir = req.cache_dir;
    let dir_problem = |e: std::io::Error| format!("cannot write the music cache {} ({e})", dir.display());
    fs::create_dir_all(dir).map_err(dir_problem)?;
    sweep_stale_parts(dir);
    // A unique name per download: two runs fetching the same track never write into one file.
    let mut part = tempfile::Builder::new()
        .prefix(&format!(".jamendo-{}.mp3.", found.id))
        .suffix(".part")
        .tempfile_in(dir)
        .map_err(dir_problem)?;
    fetch_to(&found.download_url, part.as_file_mut(), endpoint, cancel)?;
    part.as_file().sync_all().map_err(dir_problem)?;

    // Exit code 0 is not proof: an error page served as 200 must not become a cached "song".
    let info = match music::probe_audio(tools, part.path(), cancel) {
        Ok(Some(info)) => info,
        Ok(None) | Err(_) => return Err(format!("the download of track {} is not audio", found.id)),
    };
    let duration_s = info.duration_s.unwrap_or(found.duration_s);
    if duration_s < music::MIN_DURATION_S {
        return Err(format!(
            "the download of track {} is only {duration_s:.1} s long",
            found.id
        ));
    }
    let sidecar = Sidecar {
        track_id: found.id.clone(),
        title: found.title.clone(),
        artist: found.artist.clone(),
        license_url: found.license_url.clone(),
        url: found.url.clone(),
        tag: req.tag.to_string(),
        duration_s,
    };
    let json = serde_json::to_vec_pretty(&sidecar).map_err(|e| e.to_string())?;
    let side = sidecar_path(dir, &found.id);
    atomic_write(&side, &json).map_err(dir_problem)?;
    let audio = audio_path(dir, &found.id);
    part.persist(&audio).map_err(|e| dir_problem(e.error))?;
    sync_dir(dir).map_err(dir_problem)?;
    Ok(sidecar.track(audio))
}

/// Remove `.part` files that killed runs left (a finished or failed download removes its own). Only old ones:
/// a younger one may be another run's download in progress.
fn sweep_stale_parts(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with(".jamendo-") && name.ends_with(".part");
        let age = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok());
        if ours && age.is_some_and(|a| a > 2 * DOWNLOAD_TIMEOUT) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Stream `url` into `out`, refusing bodies over the size cap and stopping when asked to.
fn fetch_to(url: &str, out: &mut fs::File, endpoint: &Endpoint, cancel: &Cancel) -> Result<(), String> {
    let host = host_of(url);
    let mut response = agent(endpoint.download_timeout)
        .get(url)
        .call()
        .map_err(|e| format!("the download from {host} failed ({e})"))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(format!("the download from {host} answered HTTP {status}"));
    }
    let too_big = || format!("the download from {host} is larger than {} bytes", endpoint.max_bytes);
    if response.body().content_length().is_some_and(|n| n > endpoint.max_bytes) {
        return Err(too_big());
    }
    let mut reader = response.body_mut().as_reader();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        if cancel.is_cancelled() {
            return Err("interrupted".into());
        }
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(format!("the download from {host} broke off ({e})")),
        };
        total += n as u64;
        if total > endpoint.max_bytes {
            return Err(too_big());
        }
        out.write_all(&buf[..n])
            .map_err(|e| format!("cannot write the music cache ({e})"))?;
    }
}

/// `https://host/path?query` → `https://host`: enough to say where a download failed without its query string.
fn host_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find(['/', '?'])
        .map_or(url.len(), |i| after_scheme + i);
    url[..end].to_string()
}

/// A cache entry with both its audio and its attribution; anything less is a miss.
fn load_entry(cache_dir: &Path, id: &str) -> Option<Sidecar> {
    if !audio_path(cache_dir, id).is_file() {
        return None;
    }
    let sidecar: Sidecar = serde_json::from_slice(&fs::read(sidecar_path(cache_dir, id)).ok()?).ok()?;
    (sidecar.track_id == id).then_some(sidecar)
}

fn load_cached(cache_dir: &Path, id: &str) -> Option<MusicTrack> {
    load_entry(cache_dir, id).map(|s| s.track(audio_path(cache_dir, id)))
}

/// A cached track found earlier by the same tag, chosen by seed like a fresh pick.
fn cached_for_tag(cache_dir: &Path, tag: &str, seed: u64) -> Option<MusicTrack> {
    fs::read_dir(cache_dir)
        .ok()?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let id = name.strip_prefix("jamendo-")?.strip_suffix(".json")?.to_string();
            valid_id(&id).then_some(id)
        })
        .filter_map(|id| load_entry(cache_dir, &id))
        .filter(|s| s.tag == tag)
        .min_by_key(|s| music::seeded(seed, &s.track_id))
        .map(|s| {
            let audio = audio_path(cache_dir, &s.track_id);
            s.track(audio)
        })
}

fn redact(text: &str, client_id: &str) -> String {
    if client_id.len() >= 4 {
        text.replace(client_id, "<client id>")
    } else {
        text.to_string()
    }
}

/// The start of a body, on one line, for a message.
fn snippet(body: &str) -> String {
    let one_line: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "(empty)".into();
    }
    match one_line.char_indices().nth(160) {
        Some((i, _)) => format!("{}…", &one_line[..i]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result(id: &str, allowed: bool, duration: u32) -> Value {
        json!({
            "id": id,
            "name": format!("Song {id}"),
            "duration": duration,
            "artist_name": "Stubs",
            "shareurl": format!("https://www.jamendo.com/track/{id}"),
            "license_ccurl": "http://creativecommons.org/licenses/by-nc-sa/3.0/",
            "audiodownload": format!("https://prod-1.storage.jamendo.com/download/track/{id}/mp32/"),
            "audiodownload_allowed": allowed,
        })
    }

    fn answer(results: Vec<Value>) -> String {
        json!({"headers": {"status": "success", "code": 0, "error_message": "", "warnings": "",
                           "results_count": results.len()},
               "results": results})
        .to_string()
    }

    #[test]
    fn parses_a_search_answer() {
        let found = parse_search(&answer(vec![result("1214935", true, 183)])).unwrap();
        assert_eq!(
            found,
            vec![Found {
                id: "1214935".into(),
                title: "Song 1214935".into(),
                artist: "Stubs".into(),
                duration_s: 183.0,
                url: Some("https://www.jamendo.com/track/1214935".into()),
                license_url: Some("http://creativecommons.org/licenses/by-nc-sa/3.0/".into()),
                download_url: "https://prod-1.storage.jamendo.com/download/track/1214935/mp32/".into(),
                download_allowed: true,
            }]
        );
    }

    #[test]
    fn missing_fields_are_empty_and_unusable_results_are_dropped() {
        let body = answer(vec![
            json!({"id": 77, "duration": "95", "audiodownload": "https://x/77", "audiodownload_allowed": true}),
            json!({"name": "no id", "duration": 100, "audiodownload": "https://x/0", "audiodownload_allowed": true}),
            result("2", false, 200),
            json!({"id": "3", "duration": 200, "audiodownload": "https://x/3"}),
            result("4", true, 20),
            result("../5", true, 200),
            json!({"id": "6", "duration": 200, "audiodownload": "", "audiodownload_allowed": true}),
            result("7", true, 240),
        ]);
        let found = parse_search(&body).unwrap();
        assert_eq!(found.len(), 8);
        assert_eq!((found[0].id.as_str(), found[0].duration_s), ("77", 95.0));
        assert_eq!((found[0].url.clone(), found[0].license_url.clone()), (None, None));
        assert!(
            !found[3].download_allowed,
            "a missing audiodownload_allowed means not allowed"
        );
        let ids: Vec<String> = usable(found).into_iter().map(|f| f.id).collect();
        assert_eq!(ids, ["77", "7"]);
    }

    #[test]
    fn failures_and_garbage_are_errors() {
        let refused = json!({"headers": {"status": "failed", "code": 5,
            "error_message": "Your credential is not authorized. client_id abc not valid"}, "results": []});
        let e = parse_search(&refused.to_string()).unwrap_err();
        assert!(e.contains("code 5") && e.contains("JAMENDO_CLIENT_ID"), "{e}");
        assert!(
            parse_search("<html>502 Bad Gateway</html>")
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            parse_search("{\"results\": []}")
                .unwrap_err()
                .contains("headers.status")
        );
        assert_eq!(
            parse_search(&json!({"headers": {"status": "success"}}).to_string()).unwrap(),
            vec![]
        );
    }

    #[test]
    fn the_pick_varies_by_seed_among_the_top_results_only() {
        let found = parse_search(&answer((1..=10).map(|i| result(&i.to_string(), true, 200)).collect())).unwrap();
        let usable = usable(found);
        let picks: std::collections::HashSet<String> =
            (0..40).map(|seed| pick(&usable, seed).unwrap().id.clone()).collect();
        assert!(picks.len() >= 3, "{picks:?}");
        assert!(
            picks.iter().all(|id| id.parse::<usize>().unwrap() <= TOP_N),
            "{picks:?}"
        );
        assert_eq!(pick(&usable, 42), pick(&usable, 42));
        assert_eq!(pick(&[], 1), None);
    }

    #[test]
    fn the_client_id_is_redacted_and_hosts_lose_their_query() {
        assert_eq!(
            redact("GET /?client_id=abcd1234 failed", "abcd1234"),
            "GET /?client_id=<client id> failed"
        );
        assert_eq!(
            host_of("https://prod-1.storage.jamendo.com/download/track/1/mp32/"),
            "https://prod-1.storage.jamendo.com"
        );
        assert_eq!(host_of("http://127.0.0.1:9/x?y=1"), "http://127.0.0.1:9");
    }

    #[test]
    fn a_cache_entry_needs_its_sidecar_and_falls_back_by_tag() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let side = |id: &str, tag: &str| Sidecar {
            track_id: id.into(),
            title: format!("Song {id}"),
            artist: "Stubs".into(),
            license_url: Some("http://creativecommons.org/licenses/by/3.0/".into()),
            url: None,
            tag: tag.into(),
            duration_s: 120.0,
        };
        fs::write(audio_path(d, "1"), b"mp3").unwrap();
        assert_eq!(load_cached(d, "1"), None, "audio without attribution is a miss");
        fs::write(
            sidecar_path(d, "1"),
            serde_json::to_vec(&side("1", "dramatic")).unwrap(),
        )
        .unwrap();
        fs::write(
            sidecar_path(d, "2"),
            serde_json::to_vec(&side("2", "dramatic")).unwrap(),
        )
        .unwrap();
        fs::write(audio_path(d, "3"), b"mp3").unwrap();
        fs::write(sidecar_path(d, "3"), serde_json::to_vec(&side("3", "pop")).unwrap()).unwrap();
        let hit = load_cached(d, "1").unwrap();
        assert_eq!(
            (hit.source, hit.artist.as_deref()),
            (MusicSource::Jamendo, Some("Stubs"))
        );
        assert_eq!(cached_for_tag(d, "dramatic", 9).unwrap().track_id.as_deref(), Some("1"));
        assert_eq!(cached_for_tag(d, "pop", 9).unwrap().track_id.as_deref(), Some("3"));
        assert_eq!(cached_for_tag(d, "epic", 9), None);
    }
}
