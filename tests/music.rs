//! Where the music bed comes from, with real FFmpeg: the user's file and how a bad one is refused, a music folder
//! scored by name, tags and tempo, Jamendo against a local stub (download, cache, attribution, failures).

use crate::util;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use cinecut::Cancel;
use cinecut::media::Tools;
use cinecut::sound::{Chosen, JamendoEndpoint as Endpoint, MusicOptions, check_user_file, choose_with};
use cinecut::story::Vibe;
use cinecut::timeline::MusicSource;
use util::jamendo_stub::{Answer, JamendoStub, search_answer, track};

fn tools() -> Tools {
    Tools::locate().expect("ffmpeg and ffprobe on PATH")
}

fn vibe(name: &str) -> &'static Vibe {
    Vibe::parse(name).unwrap()
}

/// A click track: a 1 kHz blip that decays in 40 ms, once per beat, over a quiet low tone.
fn click_track(path: &Path, bpm: f64, secs: u32, metadata: &[&str]) {
    let period = 60.0 / bpm;
    // Commas inside a filter option must be escaped in the filter-graph text.
    let expr = format!("0.8*exp(-25*mod(t\\,{period}))*sin(2*PI*1000*t)+0.05*sin(2*PI*110*t)");
    let src = format!("aevalsrc={expr}:s=44100:d={secs}");
    let mut args = vec!["-f", "lavfi", "-i", &src];
    args.extend_from_slice(metadata);
    let out = path.to_str().unwrap();
    args.push(out);
    util::ffmpeg(&args);
}

fn tone(path: &Path, secs: f64, metadata: &[&str]) {
    let src = format!("sine=frequency=330:sample_rate=44100:duration={secs}");
    let mut args = vec!["-f", "lavfi", "-i", &src];
    args.extend_from_slice(metadata);
    args.push(path.to_str().unwrap());
    util::ffmpeg(&args);
}

fn options<'a>(vibe: &'a Vibe, cache: &Path) -> MusicOptions<'a> {
    MusicOptions {
        file: None,
        dir: None,
        jamendo_client_id: None,
        vibe,
        seed: 1,
        cache_dir: cache.to_path_buf(),
    }
}

fn choose(opts: &MusicOptions) -> Chosen {
    choose_with(&tools(), opts, &Endpoint::default(), &Cancel::new()).unwrap()
}

// ---------------------------------------------------------------------------------------------------------------
// --music FILE

#[test]
fn user_file_gives_its_tags_for_the_credits() {
    let dir = tempfile::tempdir().unwrap();
    let mp3 = dir.path().join("bed.mp3");
    click_track(
        &mp3,
        120.0,
        8,
        &["-metadata", "title=Night Drive", "-metadata", "artist=The Stubs"],
    );
    let t = check_user_file(&tools(), &mp3, &Cancel::new()).unwrap();
    assert_eq!(t.source, MusicSource::User);
    assert!(t.path.is_absolute());
    assert_eq!(t.title.as_deref(), Some("Night Drive"));
    assert_eq!(t.artist.as_deref(), Some("The Stubs"));
    assert_eq!(t.license_url, None);
    assert!((t.duration_s - 8.0).abs() < 0.2, "{}", t.duration_s);
}

#[test]
fn user_file_without_tags_is_named_after_its_file() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("my_theme.wav");
    tone(&wav, 6.0, &[]);
    let t = check_user_file(&tools(), &wav, &Cancel::new()).unwrap();
    assert_eq!((t.title.as_deref(), t.artist.as_deref()), (Some("my_theme"), None));
}

#[test]
fn bad_user_files_are_errors_that_name_the_file_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = d.join("notes.mp3");
    std::fs::write(&text, "these are my notes, not a song\n".repeat(50)).unwrap();
    let short = d.join("short.mp3");
    tone(&short, 2.0, &[]);
    let silent = d.join("silent.wav");
    util::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "anullsrc=r=44100:cl=mono",
        "-t",
        "8",
        silent.to_str().unwrap(),
    ]);
    let picture = d.join("cover.mp3");
    util::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "color=c=red:s=64x64:d=1",
        "-frames:v",
        "1",
        "-f",
        "image2",
        "-c:v",
        "png",
        picture.to_str().unwrap(),
    ]);
    let cases: [(PathBuf, &str); 6] = [
        (text, "cannot read this file as audio"),
        (short, "only 2.0 s long"),
        (silent, "silent"),
        (picture, "audio"),
        (d.join("missing.mp3"), "does not exist"),
        (d.to_path_buf(), "this is a folder"),
    ];
    for (path, problem) in cases {
        let err = check_user_file(&tools(), &path, &Cancel::new()).unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.exit_code(), 2, "{msg}");
        assert!(msg.contains(&path.display().to_string()), "names the file: {msg}");
        assert!(msg.contains(problem), "{problem}: {msg}");
        assert!(msg.contains("fix: ") && msg.contains("--music"), "{msg}");
    }
}

#[test]
fn the_user_file_wins_over_a_folder_and_jamendo() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("mine.wav");
    tone(&mine, 6.0, &[]);
    let folder = dir.path().join("folder");
    std::fs::create_dir(&folder).unwrap();
    click_track(&folder.join("thriller.mp3"), 120.0, 8, &[]);
    let mut opts = options(vibe("thriller"), &dir.path().join("cache"));
    opts.file = Some(&mine);
    opts.dir = Some(&folder);
    opts.jamendo_client_id = Some("never-used");
    let chosen = choose(&opts);
    assert_eq!(chosen.track.unwrap().source, MusicSource::User);
    assert!(chosen.warnings.is_empty());
}

// ---------------------------------------------------------------------------------------------------------------
// --music-dir

#[test]
fn the_folder_track_that_fits_the_vibe_is_chosen_and_measured_once() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("music");
    std::fs::create_dir(&folder).unwrap();
    click_track(&folder.join("dark_thriller_120bpm.mp3"), 120.0, 20, &[]);
    click_track(&folder.join("happy_pop.mp3"), 100.0, 20, &[]);
    util::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "anoisesrc=color=pink:amplitude=0.3:r=44100:d=20:seed=7",
        folder.join("dark_ambient.wav").to_str().unwrap(),
    ]);
    let cache = dir.path().join("cache");
    let pick = |name: &str| {
        let mut opts = options(vibe(name), &cache);
        opts.dir = Some(&folder);
        let chosen = choose(&opts);
        assert!(chosen.warnings.is_empty(), "{:?}", chosen.warnings);
        chosen.track.unwrap()
    };
    let thriller = pick("thriller");
    assert_eq!(thriller.source, MusicSource::Folder);
    assert_eq!(thriller.path, folder.join("dark_thriller_120bpm.mp3"));
    assert_eq!(thriller.title.as_deref(), Some("dark_thriller_120bpm"));
    assert!((thriller.duration_s - 20.0).abs() < 0.5);
    let bpm = thriller.bpm.expect("a click track has a confident tempo");
    assert!((bpm - 120.0).abs() < 3.0, "{bpm}");
    assert_eq!(pick("comedy").path, folder.join("happy_pop.mp3"));
    // "dark_ambient" is horror's own tag run together; the thriller track's tempo alone would not beat it.
    assert_eq!(pick("horror").path, folder.join("dark_ambient.wav"));

    // The tempos are kept: the same folder and vibe again measure nothing and choose the same.
    let index = util::read_json(&cache.join("folder-index.json"));
    let files = index["files"].as_object().unwrap();
    assert_eq!(files.len(), 3);
    let entry = &files[&folder.join("dark_thriller_120bpm.mp3").display().to_string()];
    assert!(!entry["tempo"].as_object().unwrap().is_empty(), "{entry}");
    assert_eq!(pick("thriller"), thriller);
}

#[test]
fn a_folder_without_music_warns_and_leaves_the_built_in_bed() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("empty");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("readme.txt"), "no music here").unwrap();
    let mut opts = options(vibe("drama"), &dir.path().join("cache"));
    opts.dir = Some(&folder);
    let chosen = choose(&opts);
    assert_eq!(chosen.track, None);
    assert_eq!(chosen.warnings.len(), 1);
    assert!(chosen.warnings[0].contains("no audio files"), "{:?}", chosen.warnings);
    assert!(chosen.warnings[0].contains(&folder.display().to_string()));
}

#[test]
fn a_stop_request_interrupts_instead_of_becoming_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("thriller.mp3"), b"not looked at").unwrap();
    let mut opts = options(vibe("thriller"), &dir.path().join("cache"));
    opts.dir = Some(dir.path());
    let cancel = Cancel::new();
    cancel.cancel();
    let err = choose_with(&tools(), &opts, &Endpoint::default(), &cancel).unwrap_err();
    assert!(matches!(err, cinecut::Error::Interrupted), "{err}");
}

// ---------------------------------------------------------------------------------------------------------------
// Jamendo

const CLIENT_ID: &str = "stub-client-9f3a";

/// A Jamendo stand-in: the search lists `ids` (the first not downloadable), each downloads as `audio`.
fn jamendo(ids: &[&'static str], audio: Vec<u8>) -> JamendoStub {
    let base: Arc<OnceLock<String>> = Arc::new(OnceLock::new());
    let ids = ids.to_vec();
    let base_in = base.clone();
    let stub = JamendoStub::start(move |target| {
        let base = base_in.get().unwrap();
        if target.starts_with("/v3.0/tracks/") {
            let results = ids
                .iter()
                .enumerate()
                .map(|(i, id)| {
                    track(
                        id,
                        &format!("Song {id}"),
                        150,
                        &format!("{base}/download/{id}.mp3"),
                        i > 0,
                    )
                })
                .collect();
            Answer::json(search_answer(results))
        } else if target.starts_with("/download/") {
            Answer::bytes(audio.clone())
        } else {
            Answer::status(404, "not found")
        }
    });
    base.set(stub.base_url()).unwrap();
    stub
}

fn endpoint(base_url: String) -> Endpoint {
    Endpoint {
        base_url,
        search_timeout: Duration::from_secs(5),
        download_timeout: Duration::from_secs(10),
        ..Endpoint::default()
    }
}

fn choose_jamendo(opts: &MusicOptions, base_url: String) -> Chosen {
    choose_with(&tools(), opts, &endpoint(base_url), &Cancel::new()).unwrap()
}

fn mp3_bytes(dir: &Path) -> Vec<u8> {
    let p = dir.join("download-source.mp3");
    click_track(&p, 110.0, 8, &[]);
    std::fs::read(p).unwrap()
}

fn cache_names(cache: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(cache)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn jamendo_downloads_with_attribution_and_the_cache_outlives_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let stub = jamendo(&["100", "201"], mp3_bytes(dir.path()));
    let mut opts = options(vibe("thriller"), &cache);
    opts.jamendo_client_id = Some(CLIENT_ID);

    let first = choose_jamendo(&opts, stub.base_url());
    assert!(first.warnings.is_empty(), "{:?}", first.warnings);
    let t = first.track.unwrap();
    // 100 is not downloadable, so 201 is the only choice.
    assert_eq!((t.source, t.track_id.as_deref()), (MusicSource::Jamendo, Some("201")));
    assert_eq!(t.path, cache.join("jamendo-201.mp3"));
    assert_eq!(
        (t.title.as_deref(), t.artist.as_deref()),
        (Some("Song 201"), Some("The Stubs"))
    );
    assert_eq!(
        t.license_url.as_deref(),
        Some("http://creativecommons.org/licenses/by/3.0/")
    );
    assert_eq!(t.url.as_deref(), Some("https://www.jamendo.com/track/201"));
    assert!(
        (t.duration_s - 8.0).abs() < 0.3,
        "the file's own length: {}",
        t.duration_s
    );
    assert_eq!(
        cache_names(&cache),
        ["jamendo-201.json", "jamendo-201.mp3"],
        "no part files left"
    );
    let sidecar = util::read_json(&cache.join("jamendo-201.json"));
    assert_eq!(
        (sidecar["tag"].as_str(), sidecar["artist"].as_str()),
        (Some("dramatic"), Some("The Stubs"))
    );

    let search = &stub.requests()[0];
    for param in [
        "client_id=stub-client-9f3a",
        "tags=dramatic",
        "order=popularity_total",
        "audiodlformat=mp32",
        "include=musicinfo+licenses",
    ] {
        assert!(search.contains(param), "{param} in {search}");
    }

    // A second run finds the track in the cache: a search, no download.
    let again = choose_jamendo(&opts, stub.base_url());
    assert_eq!(again.track.as_ref(), Some(&t));
    let downloads = stub.requests().iter().filter(|r| r.starts_with("/download/")).count();
    assert_eq!(downloads, 1);

    // The server is gone: the cached track stands in, credits intact, with a warning that hides the client id.
    let base = stub.base_url();
    drop(stub);
    let offline = choose_jamendo(&opts, base);
    assert_eq!(offline.track.as_ref(), Some(&t));
    assert_eq!(offline.warnings.len(), 1, "{:?}", offline.warnings);
    let w = &offline.warnings[0];
    assert!(
        w.contains("search") && w.contains("cached") && w.contains("Song 201"),
        "{w}"
    );
    assert!(!w.contains(CLIENT_ID), "{w}");
}

#[test]
fn jamendo_failures_warn_and_fall_back_to_the_built_in_bed() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, JamendoStub, &str)> = vec![
        (
            "server error",
            JamendoStub::start(|_| Answer::status(500, "<h1>oops</h1>")),
            "HTTP 500",
        ),
        (
            "garbage",
            JamendoStub::start(|_| Answer::json("{\"headers\": ".into())),
            "not JSON",
        ),
        (
            "refused id",
            JamendoStub::start(|_| {
                Answer::json(
                    r#"{"headers":{"status":"failed","code":5,"error_message":"Invalid client_id"},"results":[]}"#
                        .into(),
                )
            }),
            "JAMENDO_CLIENT_ID",
        ),
        (
            "not audio",
            jamendo(&["1", "2"], b"<html>rate limited</html>".to_vec()),
            "not audio",
        ),
        (
            "nothing downloadable",
            jamendo(&["1"], Vec::new()),
            "no downloadable track",
        ),
    ];
    for (what, stub, said) in cases {
        let cache = dir.path().join(what.replace(' ', "_"));
        let mut opts = options(vibe("western"), &cache);
        opts.jamendo_client_id = Some(CLIENT_ID);
        let chosen = choose_jamendo(&opts, stub.base_url());
        assert_eq!(chosen.track, None, "{what}");
        assert_eq!(chosen.warnings.len(), 1, "{what}: {:?}", chosen.warnings);
        let w = &chosen.warnings[0];
        assert!(w.starts_with("Jamendo: ") && w.contains(said), "{what}: {w}");
        assert!(!w.contains(CLIENT_ID), "{what}: {w}");
        assert_eq!(
            cache_names(&cache),
            Vec::<String>::new(),
            "{what}: nothing half-written"
        );
    }
}

#[test]
fn a_download_over_the_size_cap_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let stub = jamendo(&["1", "2"], mp3_bytes(dir.path()));
    let mut opts = options(vibe("war"), &cache);
    opts.jamendo_client_id = Some(CLIENT_ID);
    let small = Endpoint {
        max_bytes: 10_000,
        ..endpoint(stub.base_url())
    };
    let chosen = choose_with(&tools(), &opts, &small, &Cancel::new()).unwrap();
    assert_eq!(chosen.track, None);
    assert!(chosen.warnings[0].contains("larger than"), "{:?}", chosen.warnings);
    assert_eq!(cache_names(&cache), Vec::<String>::new());
}

#[test]
fn without_a_client_id_jamendo_is_never_asked() {
    let dir = tempfile::tempdir().unwrap();
    let stub = JamendoStub::start(|_| Answer::status(500, ""));
    let chosen = choose_jamendo(&options(vibe("action"), dir.path()), stub.base_url());
    assert_eq!(chosen.track, None);
    assert!(chosen.warnings.is_empty());
    assert!(stub.requests().is_empty());
}
