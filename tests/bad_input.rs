//! The bad-input matrix: every way a film, subtitles, a manifest, music or the machine can be wrong, one row each.
//!
//! A row is a name, how to make its input (files in the case's own folder), and what must happen: refused with
//! exit 2 (or 1) and a message naming the file and the fix, or a playable trailer (or a clean stop after
//! `--until`). Whatever happens, every row also checks: no panic, no `.part` or temp file left, no trailer where
//! a refused run was to write it, a checkpoint that parses, no FFmpeg left running. Refusals at exit 2 must come
//! before any work: nothing new in the folder. Add a case by adding one line to `cases()`.
//!
//! One `#[test]` per category (the part of the name before `:`), so two run at once on two cores.

use crate::util;

use std::any::Any;
use std::ffi::{OsStr, OsString};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde_json::{Value, json};
use util::stub_server::{Reply, StubServer};
use util::{BIN, ffmpeg, ffmpeg_line, processes_mentioning, set_mp4_rotation_90};

/// What a row expects.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Exit `code`, the message contains each of `says`. `early`: refused before any work, nothing written.
    Refused {
        code: i32,
        says: &'static [&'static str],
        early: bool,
    },
    /// Exit 0 and a playable trailer (H.264 yuv420p with sound, decodes without an error); stderr says `says`.
    Trailer { says: &'static [&'static str] },
    /// Exit 0 after `--until stage`: that stage is in the checkpoint, no trailer; stderr says `says`.
    Stopped {
        stage: &'static str,
        says: &'static [&'static str],
    },
    /// A gap we know of: the row runs (no panic, nothing left behind) and prints what happened and this note.
    #[allow(dead_code, reason = "for a row whose fix is not done yet; every row passes today")]
    Known(&'static str),
}

/// Refused before any work, with exit `code`.
fn refused(code: i32, says: &'static [&'static str]) -> Expect {
    Expect::Refused {
        code,
        says,
        early: true,
    }
}

/// Refused once the work had started (the work dir exists, consistent).
fn refused_late(code: i32, says: &'static [&'static str]) -> Expect {
    Expect::Refused {
        code,
        says,
        early: false,
    }
}

fn trailer(says: &'static [&'static str]) -> Expect {
    Expect::Trailer { says }
}

fn stopped(stage: &'static str, says: &'static [&'static str]) -> Expect {
    Expect::Stopped { stage, says }
}

type Setup = fn(&Scene) -> Inv;
type After = Box<dyn Fn(&Scene, &Outcome) -> Result<(), String>>;

struct Case {
    name: &'static str,
    setup: Setup,
    expect: Expect,
    /// A check of the row's own, after the common ones.
    after: Option<After>,
}

fn row(name: &'static str, setup: Setup, expect: Expect) -> Case {
    Case {
        name,
        setup,
        expect,
        after: None,
    }
}

impl Case {
    fn then(mut self, after: impl Fn(&Scene, &Outcome) -> Result<(), String> + 'static) -> Case {
        self.after = Some(Box::new(after));
        self
    }
}

const STD: &[&str] = &["-v", "action", "-l", "15"];

/// The matrix. `s.cut(film, subs)` is a run with the standard options (action, 15 s, `-o out.mp4`,
/// `--work-dir work`, no report, ultrafast); `s.render(manifest)` renders a manifest the same way. One row a line,
/// so rustfmt leaves the table alone.
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    vec![
        // ---- The film.
        row("video: missing file", |s| s.cut(s.path("missing.mp4"), s.subs()), refused(2, &["missing.mp4: film not found", "fix:"])),
        row("video: a dangling symlink", |s| s.cut(s.symlink("gone.mp4", "nowhere.mp4"), s.subs()), refused(2, &["gone.mp4: film not found", "fix:"])),
        row("video: a directory", |s| s.cut(s.dir("a_folder.mp4"), s.subs()), refused(2, &["a_folder.mp4: is a folder", "fix:"])),
        row("video: zero bytes", |s| s.cut(s.write("empty.mp4", ""), s.subs()), refused(2, &["empty.mp4: the film is empty", "fix:"])),
        row("video: truncated mid-file (index at the end, lost)", |s| s.cut(s.truncated("trunc.mp4", false), s.subs()), refused(2, &["trunc.mp4: FFmpeg cannot read this file", "partial download"])),
        row("video: truncated mid-file (index first, plays a while)", |s| s.cut(s.truncated("truncfs.mp4", true), s.subs()), refused_late(2, &["truncfs.mp4: only", "could be decoded", "fix:"])),
        row("video: not a video (text renamed .mp4)", |s| s.cut(s.write("notes.mp4", "this is not a video\n"), s.subs()), refused(2, &["notes.mp4: FFmpeg cannot read this file", "fix:"])),
        row("video: audio only", |s| s.cut(s.ffmpeg("song.m4a", "-f lavfi -i sine=d=30 -c:a aac"), s.subs()), refused(2, &["song.m4a: has no video stream", "fix:"])),
        row("video: no audio stream", |s| s.cut(s.variant("mute.mp4", "-an -c:v copy"), s.subs()), trailer(&[])),
        row("video: 1 frame", |s| s.cut(s.ffmpeg("one.mp4", &format!("-f lavfi -i testsrc2=s=320x180:r=24 -frames:v 1 {X264}")), s.subs()), refused(2, &["one.mp4: the film is only one frame", "fix:"])),
        row("video: 1 frame, analysis only", |s| s.cut(s.ffmpeg("one.mp4", &format!("-f lavfi -i testsrc2=s=320x180:r=24 -frames:v 1 {X264}")), s.subs()).until("proxy"), refused(2, &["one.mp4: the film is only one frame", "fix:"])),
        row("video: a still image (JPEG)", |s| s.cut(s.ffmpeg("still.jpg", "-f lavfi -i testsrc2=s=320x180 -frames:v 1"), s.subs()), refused(2, &["still.jpg: the film is only 0.04 s long", "fix:"])),
        row("video: 2 s, shorter than any trailer", |s| s.cut(s.short_film("two.mp4", 2), s.subs()), refused(2, &["two.mp4: the film is only 2.0 s long", "fix:"])),
        row("video: 2 s, analysis only (--until proxy)", |s| s.cut(s.short_film("two.mp4", 2), s.subs()).until("proxy"), stopped("proxy", &[])),
        row("video: shorter than the length asked", |s| s.cut(s.film(), s.subs()).length("60"), trailer(&["shorter than the 60 s asked"])).then(duration_under(30.0)),
        row("video: huge (8192x4320), analysis only", |s| s.cut(s.ffmpeg("huge.mp4", &format!("-f lavfi -i testsrc2=s=8192x4320:r=1:d=2 {X264}")), s.subs()).until("proxy"), stopped("proxy", &[])),
        row("video: wider than H.264 allows (16400x2048)", |s| s.render(s.manifest_for(s.ffmpeg("wide.mkv", "-f lavfi -i testsrc2=s=16400x2048:r=2:d=2 -f lavfi -i sine=d=2 -c:v ffv1 -c:a flac"), &[(0.0, 1.5)])), trailer(&["wide.mkv", "8192"])).then(width_at_most(8192)),
        row("video: absurd shape (20000x64)", |s| s.cut(s.ffmpeg("strip.mkv", "-f lavfi -i testsrc2=s=20000x64:r=4:d=30 -c:v ffv1"), s.subs()), refused(2, &["strip.mkv: the picture is 20000x64", "fix:"])),
        row("video: variable frame rate", |s| s.cut(s.variant("vfr.mp4", &format!("-vf fps=30,setpts='(N/30+0.006*sin(N*1.7))/TB' -fps_mode passthrough {X264} -c:a copy")), s.subs()), trailer(&[])),
        row("video: rotated phone video", |s| s.cut(s.rotated("phone.mp4"), s.subs()), trailer(&[])).then(portrait),
        row("video: 10-bit HEVC", |s| s.cut(s.variant("hevc10.mp4", "-c:v libx265 -preset ultrafast -pix_fmt yuv420p10le -tag:v hvc1 -x265-params log-level=error -c:a copy"), s.subs()), trailer(&[])),
        row("video: interlaced", |s| s.cut(s.variant("interlaced.mp4", &format!("-vf fps=48,interlace {X264} -flags +ildct+ilme -x264opts tff=1 -c:a copy")), s.subs()), trailer(&[])),
        row("video: unreadable (permissions)", |s| s.cut(s.unreadable(s.film_as("secret.mp4")), s.subs()).unprivileged(), refused(2, &["secret.mp4: cannot read the film", "fix:"])),
        // ---- The subtitles.
        row("subtitles: missing file", |s| s.cut(s.film(), s.path("missing.srt")), refused(2, &["missing.srt: subtitle file not found", "fix:"])),
        row("subtitles: binary garbage", |s| s.cut(s.film(), s.write("garbage.srt", noise(5000))), refused(2, &["garbage.srt: is not a subtitle file", "binary data", "fix:"])),
        row("subtitles: prose, not cues", |s| s.cut(s.film(), s.write("notes.srt", "Remember to buy milk.\nAnd eggs.\n")), refused(2, &["notes.srt: is not a subtitle file", "fix:"])),
        row("subtitles: Windows-1252, not UTF-8", |s| s.cut(s.film(), s.write("latin1.srt", b"1\r\n00:00:01,000 --> 00:00:02,500\r\nCaf\xe9 cr\xe8me, se\xf1or!\r\n".as_slice())).until("subtitles"), stopped("subtitles", &["read as windows-1252"])).then(dialogue_says("Café crème, señor!")),
        row("subtitles: UTF-16 without a byte-order mark", |s| s.cut(s.film(), s.write("utf16.srt", utf16le(CUES))).until("subtitles"), stopped("subtitles", &["UTF-16"])).then(dialogue_says("We have to run now!")),
        row("subtitles: empty", |s| s.cut(s.film(), s.write("empty.srt", "")), refused(2, &["empty.srt: the subtitle file is empty", "fix:"])),
        row("subtitles: only blank lines", |s| s.cut(s.film(), s.write("blank.srt", "\n\n  \n")).until("narrative"), stopped("narrative", &["blank.srt: the subtitle file is empty"])),
        row("subtitles: only one cue", |s| s.cut(s.film(), s.write("one.srt", "1\n00:00:04,000 --> 00:00:05,500\nWe have to run now!\n")), trailer(&[])),
        row("subtitles: every cue past the film's end", |s| s.cut(s.film(), s.write("late.srt", "1\n00:01:40,000 --> 00:01:42,000\nLate.\n\n2\n01:00:00,000 --> 01:00:01,000\nLater.\n")).until("narrative"), stopped("narrative", &["2 cues start after the film ends"])),
        row("subtitles: negative and reversed times", |s| s.cut(s.film(), s.write("neg.srt", "1\n-00:00:01,000 --> 00:00:02,000\nNegative.\n\n2\n00:00:05,000 --> 00:00:03,000\nReversed.\n\n3\n00:00:06,000 --> 00:00:07,000\nFine.\n")).until("narrative"), stopped("narrative", &["line 2: negative time", "line 6: cue ends before it starts"])).then(dialogue_count(1)),
        row("subtitles: 50,000 cues, a line over every moment", |s| s.cut(s.film(), s.write("many.srt", many_cues(50_000))), refused_late(1, &["too few usable moments", "a line over 100 % of it", "check that they are this film's"])).then(dialogue_count(50_000)),
        row("subtitles: a 1 MB single line", |s| s.cut(s.film(), s.write("long.srt", format!("1\n00:00:01,000 --> 00:00:03,000\n{}\n\n{CUES}", "word ".repeat(200_000)))), trailer(&[])).then(excerpts_short),
        row("subtitles: HTML and script in cues", |s| s.cut(s.film(), s.write("html.srt", HTML_CUES)), trailer(&[])).then(no_markup_in_dialogue),
        row("subtitles: unreadable (permissions)", |s| s.cut(s.film(), s.unreadable(s.subs())).unprivileged(), refused(2, &["film.srt: cannot read the subtitle file", "fix:"])),
        // ---- The manifest (`--manifest`).
        row("manifest: invalid JSON", |s| s.render(s.write("garbage.json", "{ not json")), refused(2, &["garbage.json: not valid JSON", "fix:"])),
        row("manifest: a JSON array", |s| s.render(s.write("array.json", "[1, 2]")), refused(2, &["array.json: source_file is missing", "fix:"])),
        row("manifest: wrong types", |s| s.render(s.manifest_json(json!({"title": 5, "clips": [{"source_start_s": "1", "source_end_s": 2, "beat_type": 3, "act": "act1", "keep_audio": "yes"}]}))), refused(2, &["cut.json: 4 problems", "title must be a string, not 5", "clips[0].source_start_s must be a number, not \"1\"", "keep_audio must be true or false", "fix:"])),
        row("manifest: reversed clip, unknown act", |s| s.render(s.manifest_json(json!({"clips": [{"source_start_s": 1.5, "source_end_s": 0.5, "beat_type": "money_shot", "act": "act9"}]}))), refused(2, &["clips[0].source_end_s must be greater than source_start_s", "clips[0].act: unknown act \"act9\"", "fix:"])),
        row("manifest: clips past the film's end", |s| s.render(s.manifest_for(s.film(), &[(1.0, 2.0), (30.0, 31.0), (23.0, 40.0)])), refused(2, &["cut.json: 2 problems", "clips[1].source_start_s 30.0 is beyond the film's end (24.0 s)", "clips[2].source_end_s 40.0 is beyond", "fix:"])),
        row("manifest: zero clips", |s| s.render(s.manifest_for(s.film(), &[])), refused(2, &["clips: at least one clip is needed", "fix:"])),
        row("manifest: source_file does not exist", |s| s.render(s.manifest_for(s.path("moved.mp4"), &[(0.5, 1.5)])), refused(2, &["moved.mp4: film not found", "fix:"])),
        row("manifest: 10,000 clips", |s| s.render(s.manifest_for(s.film(), &(0..10_000).map(|i| ((i % 22) as f64, (i % 22) as f64 + 0.5)).collect::<Vec<_>>())), refused(2, &["cut.json: ", "10000 clips", "fix:"])),
        row("manifest: clips longer than any trailer (690 s)", |s| s.render(s.manifest_for(s.film(), &[(0.0, 23.0); 30])), refused(2, &["clips: they add up to 690.0 s, longer than the longest trailer (600 s)", "fix:"])),
        row("manifest: a folder", |s| s.render(s.dir("cut.json")), refused(2, &["cut.json: is a folder", "fix:"])),
        // ---- The music (`--music`).
        row("music: not audio", |s| s.cut(s.film(), s.subs()).arg("--music").arg(s.write("notaudio.mp3", "not audio at all\n")), refused(2, &["notaudio.mp3: FFmpeg cannot read this file as audio", "fix:"])),
        row("music: missing file", |s| s.cut(s.film(), s.subs()).arg("--music").arg(s.path("gone.mp3")), refused(2, &["gone.mp3: the --music file does not exist", "fix:"])),
        row("music: silent", |s| s.cut(s.film(), s.subs()).arg("--music").arg(s.ffmpeg("silent.mp3", "-f lavfi -i anullsrc=r=48000:cl=stereo -t 30 -c:a libmp3lame -b:a 32k")), refused(2, &["silent.mp3: the track is silent", "fix:"])),
        row("music: 2 seconds long", |s| s.cut(s.film(), s.subs()).arg("--music").arg(s.ffmpeg("short.m4a", "-f lavfi -i sine=f=440:d=2 -c:a aac")), refused(2, &["short.m4a: the track is only 2.0 s long", "fix:"])),
        row("music: 1 hour long", |s| s.cut(s.film(), s.subs()).arg("--music").arg(s.hour_of_music()), trailer(&[])).then(music_is_the_users),
        // ---- The machine.
        row("environment: FFmpeg missing (CINECUT_FFMPEG)", |s| s.cut(s.film(), s.subs()).env("CINECUT_FFMPEG", s.path("nowhere/ffmpeg")), refused(2, &["ffmpeg was not found", "apt-get install ffmpeg"])),
        row("environment: FFmpeg missing (not on PATH)", |s| s.cut(s.film(), s.subs()).env("PATH", s.dir("empty_bin")), refused(2, &["ffmpeg was not found (not on PATH)", "apt-get install ffmpeg"])),
        row("environment: FFmpeg too old (a fake ffmpeg on PATH)", |s| s.cut(s.film(), s.subs()).env("PATH", s.fake_ffmpeg("echo 'ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright (c) 2000-2021'")), refused(2, &["FFmpeg 4.4.2-0ubuntu0.22.04.1 is too old", "5.1 or newer", "fix:"])),
        row("environment: not FFmpeg (prints no version)", |s| s.cut(s.film(), s.subs()).env("PATH", s.fake_ffmpeg("echo hello")), refused(2, &["did not print an FFmpeg version", "fix:"])),
        row("environment: output folder missing", |s| s.cut(s.film(), s.subs()).output(s.path("no/such/dir/out.mp4")), refused(2, &["out.mp4: the output's folder does not exist", "fix:"])),
        row("environment: output folder not writable", |s| s.cut(s.film(), s.subs()).output(s.read_only_dir("ro").join("out.mp4")).unprivileged(), refused(2, &["out.mp4: cannot write in the output's folder", "fix:"])),
        row("environment: work dir cannot be created (read-only parent)", |s| s.cut(s.film(), s.subs()).work(s.read_only_dir("ro").join("work")).unprivileged(), refused(2, &["work: cannot create the work dir", "fix:"])),
        row("environment: work dir exists, read-only", |s| s.cut(s.film(), s.subs()).work(s.read_only_dir("work")).unprivileged(), refused(2, &["work: cannot write in the work dir", "fix:"])),
        row("environment: work dir under a regular file", |s| s.cut(s.film(), s.subs()).work(s.write("file.txt", "x").join("work")), refused(2, &["work: cannot create the work dir", "fix:"])),
        row("environment: work dir is a file", |s| s.cut(s.film(), s.subs()).work(s.write("work", "x")), refused(2, &["work: the work dir path exists and is not a folder", "fix:"])),
        row("environment: disk full (256 KiB tmpfs)", |s| s.disk_full(), refused_late(1, &["no space left", "fix:"])),
        row("environment: write error (file-size limit)", |s| s.cut(s.film(), s.subs()).file_size_limit(64 * 1024), refused_late(1, &["File too large"])),
        row("environment: model endpoint down", |s| s.cut(s.film(), s.subs()).model(None).until("inference"), refused_late(1, &["cannot reach the model server at http://127.0.0.1:", "fix:"])),
        row("environment: model endpoint slow", |s| s.cut(s.film(), s.subs()).model(Some(Reply::slow(0.2, Reply::scene()))).until("inference"), stopped("inference", &[])),
        row("environment: model returns garbage JSON", |s| s.cut(s.film(), s.subs()).model(Some(Reply::malformed())).until("inference"), stopped("inference", &["keeps the built-in text"])),
        row("environment: model returns an HTML page", |s| s.cut(s.film(), s.subs()).model(Some(Reply::Raw(200, "<html>proxy login</html>".into()))).until("inference"), stopped("inference", &["keeps the built-in text"])),
        // ---- The command line.
        row("usage: unknown vibe", |s| s.raw(&[&s.film(), &"-v", &"thriler"]), refused(2, &["did you mean 'thriller'", "fix:"])),
        row("usage: no vibe", |s| s.raw(&[&s.film()]), refused(2, &["--vibe"])),
        row("usage: unknown stage", |s| s.cut(s.film(), s.subs()).until("nope"), refused(2, &["unknown stage 'nope'"])),
        row("usage: length not a length", |s| s.raw(&[&s.film(), &"-v", &"action", &"--length", &"long"]), refused(2, &["teaser (60 s)"])),
        row("usage: length out of range", |s| s.raw(&[&s.film(), &"-v", &"action", &"--length", &"5"]), refused(2, &["outside 15–600 s"])),
    ]
}

// ---- The runs.

#[test]
fn video() {
    run_category("video");
}

#[test]
fn subtitles() {
    run_category("subtitles");
}

#[test]
fn manifest() {
    run_category("manifest");
}

#[test]
fn music() {
    run_category("music");
}

#[test]
fn environment() {
    run_category("environment");
}

#[test]
fn usage() {
    run_category("usage");
}

#[test]
fn every_row_belongs_to_a_category_with_a_test() {
    for c in cases() {
        let cat = c.name.split(':').next().unwrap();
        assert!(
            ["video", "subtitles", "manifest", "music", "environment", "usage"].contains(&cat),
            "{}: no #[test] runs category '{cat}'",
            c.name
        );
    }
}

/// x264 as the matrix makes its films: small and fast.
const X264: &str = "-c:v libx264 -preset ultrafast";

/// The subtitles of the base film: ten lines, sparse enough to leave room for picture.
const CUES: &str = "1\n00:00:01,000 --> 00:00:02,500\nWe have to run now!\n\n\
2\n00:00:03,200 --> 00:00:04,700\nWhere are you going?\n\n\
3\n00:00:05,400 --> 00:00:06,900\nI love you.\n\n\
4\n00:00:07,600 --> 00:00:09,100\nThey are coming.\n\n\
5\n00:00:09,800 --> 00:00:11,300\nHold on!\n\n\
6\n00:00:12,000 --> 00:00:13,500\nThis is the end.\n\n\
7\n00:00:14,200 --> 00:00:15,700\nNo, not yet.\n\n\
8\n00:00:16,400 --> 00:00:17,900\nFire!\n\n\
9\n00:00:18,600 --> 00:00:20,100\nWe made it.\n\n\
10\n00:00:20,800 --> 00:00:22,300\nGoodbye.\n";

const HTML_CUES: &str = "1\n00:00:01,000 --> 00:00:02,500\n<script>alert(\"x\")</script><b>Run</b> <font color=\"red\">now</font>!\n\n\
2\n00:00:07,600 --> 00:00:09,100\n<img src=x onerror=alert(1)> &lt;b&gt; {\\an8}They are coming.\n\n\
3\n00:00:14,200 --> 00:00:15,700\n<i>No, <u>not</u> yet.</i>\n";

/// The base film every row may copy: 24 s, eight 3 s shots of different generated pictures joined by hard
/// cuts, with a tone; 320x180 at 24 fps.
struct Base {
    film: PathBuf,
}

impl Base {
    fn make(dir: &Path) -> Base {
        std::fs::create_dir_all(dir).unwrap();
        let sources = [
            "testsrc2=s=320x180:r=24",
            "mandelbrot=s=320x180:r=24",
            "smptehdbars=s=320x180:r=24",
            // Seeded: unseeded, these draw a new picture every run, and the film must be the same each time.
            "sierpinski=s=320x180:r=24:seed=7",
            "cellauto=s=320x180:r=24:rule=30:seed=7",
            "life=s=320x180:r=24:mold=10:ratio=0.1:seed=7",
            "gradients=s=320x180:r=24:speed=0.02:seed=7",
            "testsrc=s=320x180:r=24",
        ];
        let mut args: Vec<String> = Vec::new();
        let mut graph = String::new();
        for (i, src) in sources.iter().enumerate() {
            args.extend(["-f", "lavfi", "-i", src].map(String::from));
            graph.push_str(&format!(
                "[{i}:v]trim=duration=3,setpts=PTS-STARTPTS,format=yuv420p,setsar=1[s{i}];"
            ));
        }
        for i in 0..sources.len() {
            graph.push_str(&format!("[s{i}]"));
        }
        graph.push_str(&format!("concat=n={}[v]", sources.len()));
        let film = dir.join("base.mp4");
        args.extend(["-f", "lavfi", "-i", "sine=f=300:r=48000:d=24"].map(String::from));
        args.extend(["-filter_complex".into(), graph, "-map".into(), "[v]".into()]);
        args.extend(["-map".into(), format!("{}:a", sources.len())]);
        args.extend(["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"].map(String::from));
        args.push(film.to_str().unwrap().into());
        ffmpeg(&args.iter().map(String::as_str).collect::<Vec<_>>());
        Base { film }
    }
}

/// One row's folder and the base media.
struct Scene<'a> {
    dir: PathBuf,
    base: &'a Base,
}

impl Scene<'_> {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The base film as `film.mp4` in this row's folder.
    fn film(&self) -> PathBuf {
        self.film_as("film.mp4")
    }

    fn film_as(&self, name: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::copy(&self.base.film, &p).unwrap();
        p
    }

    /// The base film's subtitles as `film.srt`.
    fn subs(&self) -> PathBuf {
        self.write("film.srt", CUES)
    }

    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    fn dir(&self, name: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::create_dir_all(&p).unwrap();
        p
    }

    fn symlink(&self, name: &str, target: &str) -> PathBuf {
        let p = self.path(name);
        std::os::unix::fs::symlink(self.path(target), &p).unwrap();
        p
    }

    /// `ffmpeg ARGS name` (ARGS split on spaces; no quoting).
    fn ffmpeg(&self, name: &str, args: &str) -> PathBuf {
        let p = self.path(name);
        ffmpeg_line(&format!("{args} {}", p.display()));
        p
    }

    /// The base film re-encoded with `args` (quotes are kept as typed: no shell is involved).
    fn variant(&self, name: &str, args: &str) -> PathBuf {
        let p = self.path(name);
        let mut all = vec!["-i", self.base.film.to_str().unwrap()];
        all.extend(split_args(args));
        all.push(p.to_str().unwrap());
        ffmpeg(&all);
        p
    }

    /// A film as short as `secs`, one shot with a tone.
    fn short_film(&self, name: &str, secs: u32) -> PathBuf {
        self.ffmpeg(
            name,
            &format!("-f lavfi -i testsrc2=s=320x180:r=24:d={secs} -f lavfi -i sine=d={secs} {X264} -c:a aac"),
        )
    }

    /// The base film cut off after 15 % of its bytes: with the index at the end (lost, nothing plays), or at
    /// the front (`faststart`: the first seconds play).
    fn truncated(&self, name: &str, index_first: bool) -> PathBuf {
        let whole = self.variant(
            "whole.mp4",
            if index_first {
                "-c copy -movflags +faststart"
            } else {
                "-c copy"
            },
        );
        let bytes = std::fs::read(&whole).unwrap();
        std::fs::remove_file(&whole).unwrap();
        self.write(name, &bytes[..bytes.len() * 15 / 100])
    }

    fn rotated(&self, name: &str) -> PathBuf {
        let p = self.film_as(name);
        set_mp4_rotation_90(&p);
        p
    }

    /// An hour of music in a second: a minute of tone, the stream copied 60 times.
    fn hour_of_music(&self) -> PathBuf {
        let minute = self.ffmpeg(
            "minute.mp3",
            "-f lavfi -i sine=f=220:r=22050:d=60 -c:a libmp3lame -b:a 32k",
        );
        let p = self.path("hour.mp3");
        ffmpeg(&[
            "-stream_loop",
            "59",
            "-i",
            minute.to_str().unwrap(),
            "-c",
            "copy",
            p.to_str().unwrap(),
        ]);
        std::fs::remove_file(minute).unwrap();
        p
    }

    /// A folder holding only an executable `ffmpeg` that runs `script`; returned as a PATH value with the real
    /// tools after it (so `ffprobe` is found).
    fn fake_ffmpeg(&self, script: &str) -> OsString {
        let bin = self.dir("fake_bin");
        let exe = bin.join("ffmpeg");
        std::fs::write(&exe, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut path = OsString::from(bin);
        path.push(":");
        path.push(std::env::var_os("PATH").unwrap_or_default());
        path
    }

    /// Nobody but its owner can read it (the unprivileged run is not its owner when we are root).
    fn unreadable(&self, p: PathBuf) -> PathBuf {
        let mode = if is_root() { 0o600 } else { 0o000 };
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    /// A folder the unprivileged run cannot write in.
    fn read_only_dir(&self, name: &str) -> PathBuf {
        let p = self.dir(name);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o555)).unwrap();
        p
    }

    /// A manifest (`cut.json`) for `film` with clips `(start, end)`, acts spread over the three.
    fn manifest_for(&self, film: PathBuf, clips: &[(f64, f64)]) -> PathBuf {
        let n = clips.len().max(1);
        let clips: Vec<Value> = clips
            .iter()
            .enumerate()
            .map(|(i, (a, b))| {
                json!({"source_start_s": a, "source_end_s": b, "beat_type": "money_shot",
                       "act": format!("act{}", 1 + i * 3 / n)})
            })
            .collect();
        self.manifest_json(json!({"source_file": film.file_name().unwrap().to_str().unwrap(), "clips": clips}))
    }

    /// A manifest for the base film (copied here) with these fields over the defaults.
    fn manifest_json(&self, fields: Value) -> PathBuf {
        self.film();
        let mut m = json!({"source_file": "film.mp4", "vibe": "drama", "title": "Matrix"});
        for (k, v) in fields.as_object().unwrap() {
            m[k] = v.clone();
        }
        self.write("cut.json", serde_json::to_vec_pretty(&m).unwrap())
    }

    fn out(&self) -> PathBuf {
        self.path("out.mp4")
    }

    fn work(&self) -> PathBuf {
        self.path("work")
    }

    /// A trailer run with the standard options.
    fn cut(&self, film: PathBuf, subs: PathBuf) -> Inv {
        let mut args: Vec<OsString> = vec![film.into(), "-s".into(), subs.into()];
        args.extend(STD.iter().map(OsString::from));
        Inv::new(self, args).speedy()
    }

    /// A manifest render with the standard options.
    fn render(&self, manifest: PathBuf) -> Inv {
        Inv::new(self, vec!["--manifest".into(), manifest.into()]).speedy()
    }

    /// Exactly these arguments (the output and work dir are still watched where they would default to).
    fn raw(&self, args: &[&dyn AsRef<OsStr>]) -> Inv {
        let mut inv = Inv::new(self, args.iter().map(|a| a.as_ref().to_os_string()).collect());
        inv.output = self.path("film_trailer_action.mp4");
        inv.work = self.path("film_cinecut_work");
        inv
    }

    /// The work dir on a 256 KiB tmpfs: the proxy cannot fit. Skipped where a tmpfs cannot be mounted.
    fn disk_full(&self) -> Inv {
        let mount = self.dir("small_disk");
        let inv = self.cut(self.film(), self.subs()).work(mount.join("work"));
        match Mount::tmpfs(&mount, "256k") {
            Ok(m) => inv.keep(m),
            Err(why) => inv.skip(format!(
                "cannot mount a tmpfs here ({why}); the file-size-limit row covers writes"
            )),
        }
    }
}

fn split_args(args: &str) -> Vec<&str> {
    args.split_whitespace().collect()
}

/// One run of `cinecut`, and what it needs around it.
struct Inv {
    args: Vec<OsString>,
    env: Vec<(&'static str, OsString)>,
    output: PathBuf,
    work: PathBuf,
    /// Run as an unprivileged user (root reads and writes anything).
    unprivileged: bool,
    /// RLIMIT_FSIZE for the run and its children: writes past it fail (`EFBIG`), an injected write error.
    file_size_limit: Option<u64>,
    /// Kept alive for the run (a stub server, a mount), dropped after.
    keep: Vec<Box<dyn Any>>,
    skip: Option<String>,
}

impl Inv {
    fn new(s: &Scene, args: Vec<OsString>) -> Inv {
        Inv {
            args,
            env: Vec::new(),
            output: s.out(),
            work: s.work(),
            unprivileged: false,
            file_size_limit: None,
            keep: Vec::new(),
            skip: None,
        }
    }

    /// `-o out.mp4 --work-dir work`, no report, the fastest x264 preset.
    fn speedy(self) -> Inv {
        let (o, w) = (self.output.clone(), self.work.clone());
        self.arg("-o")
            .arg(o)
            .arg("--work-dir")
            .arg(w)
            .arg("--no-report")
            .arg("--preset")
            .arg("ultrafast")
    }

    fn arg(mut self, a: impl Into<OsString>) -> Inv {
        self.args.push(a.into());
        self
    }

    /// Replace the standard `-l 15`.
    fn length(mut self, secs: &str) -> Inv {
        self.replace_value("-l", Path::new(secs));
        self
    }

    fn until(self, stage: &str) -> Inv {
        self.arg("--until").arg(stage)
    }

    fn env(mut self, k: &'static str, v: impl Into<OsString>) -> Inv {
        self.env.push((k, v.into()));
        self
    }

    /// Replace the `-o` given by `speedy`.
    fn output(mut self, o: PathBuf) -> Inv {
        self.replace_value("-o", &o);
        self.output = o;
        self
    }

    fn work(mut self, w: PathBuf) -> Inv {
        self.replace_value("--work-dir", &w);
        self.work = w;
        self
    }

    fn replace_value(&mut self, flag: &str, value: &Path) {
        let at = self.args.iter().position(|a| a == flag).expect("the flag to replace");
        self.args[at + 1] = value.into();
    }

    fn unprivileged(mut self) -> Inv {
        self.unprivileged = true;
        self
    }

    fn file_size_limit(mut self, bytes: u64) -> Inv {
        self.file_size_limit = Some(bytes);
        self
    }

    fn keep(mut self, x: impl Any) -> Inv {
        self.keep.push(Box::new(x));
        self
    }

    fn skip(mut self, why: String) -> Inv {
        self.skip = Some(why);
        self
    }

    /// The vision model on a stub server answering `reply` to everything; `None`: a port nobody listens on.
    fn model(self, reply: Option<Reply>) -> Inv {
        let (url, inv) = match reply {
            Some(r) => {
                let stub = StubServer::always(r);
                (stub.url(), self.keep(stub))
            }
            None => {
                let port = std::net::TcpListener::bind("127.0.0.1:0")
                    .unwrap()
                    .local_addr()
                    .unwrap()
                    .port();
                (format!("http://127.0.0.1:{port}/v1"), self)
            }
        };
        inv.arg("--analyzer").arg("openai").arg("--endpoint").arg(url)
    }
}

/// A tmpfs mounted for one row, unmounted when dropped.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(at: &Path, size: &str) -> Result<Mount, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Mount(at.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// What a run did.
struct Outcome {
    code: i32,
    stderr: String,
    secs: f64,
}

fn execute(s: &Scene, inv: &Inv, nobody_bin: &Path) -> Result<Outcome, String> {
    let mut cmd = if inv.unprivileged && is_root() {
        let mut c = Command::new("setpriv");
        c.args(AS_NOBODY).arg(nobody_bin);
        // Nobody's home is not ours to read.
        c.env("HOME", &s.dir);
        c
    } else {
        Command::new(BIN)
    };
    cmd.args(&inv.args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for k in [
        "CINECUT_MUSIC_DIR",
        "JAMENDO_CLIENT_ID",
        "CINECUT_OPENAI_BASE_URL",
        "OPENAI_BASE_URL",
        "CINECUT_FFMPEG",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in &inv.env {
        cmd.env(k, v);
    }
    if let Some(limit) = inv.file_size_limit {
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            cmd.pre_exec(move || {
                let lim = libc::rlimit {
                    rlim_cur: limit,
                    rlim_max: limit,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                // A write past the limit then fails with EFBIG instead of killing the writer.
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                Ok(())
            });
        }
    }
    let started = Instant::now();
    let out = cmd.output().map_err(|e| format!("could not run cinecut: {e}"))?;
    Ok(Outcome {
        code: out.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        secs: started.elapsed().as_secs_f64(),
    })
}

/// `setpriv` arguments that run a command as nobody.
const AS_NOBODY: [&str; 4] = ["--reuid=65534", "--regid=65534", "--clear-groups", "--"];

/// The binary as the unprivileged rows run it: ours, or a copy in `root` when ours sits where nobody can reach
/// it (a target dir under /root). Not root: ours, run as is.
fn binary_for_nobody(root: &Path) -> Result<PathBuf, String> {
    if !is_root() {
        return Ok(BIN.into());
    }
    let runs = |bin: &Path| {
        Command::new("setpriv")
            .args(AS_NOBODY)
            .arg(bin)
            .arg("--version")
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|st| st.success())
    };
    if runs(Path::new(BIN)) {
        return Ok(BIN.into());
    }
    let copy = root.join("cinecut");
    std::fs::copy(BIN, &copy).map_err(|e| format!("cannot copy the binary: {e}"))?;
    if runs(&copy) {
        Ok(copy)
    } else {
        Err("root, and setpriv cannot run the binary as nobody".into())
    }
}

fn run_category(category: &str) {
    let root = tempfile::tempdir().unwrap();
    // Traversable by the unprivileged rows' user.
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let base = Base::make(&root.path().join("base"));
    let mut failures = Vec::new();
    let mut lines = Vec::new();
    let (mut known, mut skipped) = (0, 0);
    let nobody = std::cell::OnceCell::new();
    let started = Instant::now();
    let rows: Vec<Case> = cases()
        .into_iter()
        .filter(|c| c.name.split(':').next() == Some(category))
        .collect();
    for (i, case) in rows.iter().enumerate() {
        let dir = root.path().join(format!("{i:02}"));
        std::fs::create_dir(&dir).unwrap();
        let scene = Scene { dir, base: &base };
        let inv = (case.setup)(&scene);
        let nobody_bin = match inv.unprivileged {
            true => nobody.get_or_init(|| binary_for_nobody(root.path())).clone(),
            false => Ok(BIN.into()),
        };
        let skip = inv.skip.clone().or_else(|| nobody_bin.clone().err());
        if let Some(why) = skip {
            skipped += 1;
            lines.push(format!("  SKIP   {:<60} {why}", case.name));
            continue;
        }
        if inv.unprivileged {
            std::fs::set_permissions(&scene.dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        let before = files_under(&scene.dir);
        let outcome = match execute(&scene, &inv, nobody_bin.as_deref().unwrap_or(Path::new(BIN))) {
            Ok(o) => o,
            Err(e) => {
                failures.push(format!("{}: {e}", case.name));
                continue;
            }
        };
        let mut problems = check(case, &scene, &inv, &outcome, &before);
        if problems.is_empty()
            && let Some(after) = &case.after
            && let Err(p) = after(&scene, &outcome)
        {
            problems.push(p);
        }
        // A known gap still may not panic or leave anything behind.
        let verdict = match (&case.expect, problems.is_empty()) {
            (_, false) => "FAILED".to_string(),
            (Expect::Known(note), true) => {
                known += 1;
                format!("KNOWN  (exit {}; {note})", outcome.code)
            }
            (_, true) => "ok".to_string(),
        };
        lines.push(format!(
            "  {verdict:<6} {:<60} exit {} in {:.1} s",
            case.name, outcome.code, outcome.secs
        ));
        if !problems.is_empty() {
            failures.push(format!(
                "{}:\n    {}\n  stderr:\n{}",
                case.name,
                problems.join("\n    "),
                indent(&outcome.stderr)
            ));
        }
        drop(inv);
    }
    eprintln!(
        "bad-input matrix, {category}: {} rows, {} failed, {known} known gaps, {skipped} skipped, {:.1} s\n{}",
        rows.len(),
        failures.len(),
        started.elapsed().as_secs_f64(),
        lines.join("\n")
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

fn indent(text: &str) -> String {
    let tail: String = text
        .chars()
        .rev()
        .take(4000)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    tail.lines()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The checks every row gets, then its expectation's.
fn check(case: &Case, s: &Scene, inv: &Inv, r: &Outcome, before: &[PathBuf]) -> Vec<String> {
    let mut p = Vec::new();
    if r.code < 0 {
        p.push("killed by a signal".into());
    }
    if r.stderr.contains("panicked") || r.stderr.contains("internal error") {
        p.push("it panicked".into());
    }
    let after = files_under(&s.dir);
    let leftovers: Vec<_> = after
        .iter()
        .filter(|f| {
            let n = f.to_string_lossy();
            n.ends_with(".part") || n.contains(".cinecut-tmp")
        })
        .collect();
    if !leftovers.is_empty() {
        p.push(format!("temp files left behind: {leftovers:?}"));
    }
    let ckpt = inv.work.join("pipeline_checkpoint.json");
    let stages = match std::fs::read(&ckpt) {
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) if v["stages_complete"].is_array() => v["stages_complete"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect(),
            _ => {
                p.push(format!("{} does not parse as a checkpoint", ckpt.display()));
                vec![]
            }
        },
        Err(_) => vec![],
    };
    // FFmpeg children die with the run.
    let dir = s.dir.to_string_lossy().into_owned();
    if !util::wait_for(2.0, || processes_mentioning(&dir).is_empty()) {
        p.push("an FFmpeg outlived the run".into());
    }
    let says = |want: &[&str], p: &mut Vec<String>| {
        for w in want {
            if !r.stderr.contains(w) {
                p.push(format!("the message does not say '{w}'"));
            }
        }
    };
    match case.expect {
        Expect::Refused {
            code,
            says: want,
            early,
        } => {
            if r.code != code {
                p.push(format!("exit {} instead of {code}", r.code));
            }
            says(want, &mut p);
            if code == 2 && !r.stderr.contains("fix:") && !r.stderr.contains("--help") {
                p.push("no fix in the message".into());
            }
            if inv.output.exists() {
                p.push(format!("a trailer was written at {}", inv.output.display()));
            }
            if early && after != before {
                let new: Vec<_> = after.iter().filter(|f| !before.contains(f)).collect();
                p.push(format!("refused late: it wrote {new:?}"));
            }
        }
        Expect::Trailer { says: want } => {
            if r.code != 0 {
                p.push(format!("exit {} instead of 0", r.code));
            }
            says(want, &mut p);
            if let Err(e) = playable(&inv.output) {
                p.push(e);
            }
        }
        Expect::Stopped { stage, says: want } => {
            if r.code != 0 {
                p.push(format!("exit {} instead of 0", r.code));
            }
            says(want, &mut p);
            if !stages.iter().any(|s| s == stage) {
                p.push(format!("{stage} is not complete in the checkpoint ({stages:?})"));
            }
            if inv.output.exists() {
                p.push("a trailer was written although the run stopped early".into());
            }
        }
        Expect::Known(_) => {}
    }
    p
}

/// Every file and folder under `dir`, sorted (mount points and all).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p.clone());
            }
            out.push(p);
        }
    }
    out.sort();
    out
}

/// H.264 yuv420p picture with sound, longer than a second, that decodes without an error.
fn playable(path: &Path) -> Result<(), String> {
    if !path.is_file() {
        return Err(format!("no trailer at {}", path.display()));
    }
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json", "-show_entries"])
        .args(["stream=codec_type,codec_name,pix_fmt,width,height:format=duration"])
        .arg(path)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| format!("ffprobe: {e}"))?;
    let streams = v["streams"].as_array().cloned().unwrap_or_default();
    let video = streams
        .iter()
        .find(|s| s["codec_type"] == "video")
        .ok_or("the trailer has no picture")?;
    if video["pix_fmt"] != "yuv420p" || video["codec_name"] != "h264" {
        return Err(format!("the trailer's picture is {video}"));
    }
    if !streams.iter().any(|s| s["codec_type"] == "audio") {
        return Err("the trailer has no sound".into());
    }
    let secs: f64 = v["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0.0);
    if secs < 1.0 {
        return Err(format!("the trailer lasts {secs} s"));
    }
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(path)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&decode.stderr);
    if !decode.status.success() || !errors.trim().is_empty() {
        return Err(format!("the trailer does not decode cleanly: {errors}"));
    }
    Ok(())
}

fn probe_json(path: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-of",
            "json",
            "-show_entries",
            "stream=width,height:format=duration",
        ])
        .arg(path)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

// ---- Row checks.

fn portrait(s: &Scene, _: &Outcome) -> Result<(), String> {
    let v = probe_json(&s.out());
    let (w, h) = (v["streams"][0]["width"].as_u64(), v["streams"][0]["height"].as_u64());
    match (w, h) {
        (Some(w), Some(h)) if h > w => Ok(()),
        _ => Err(format!(
            "a rotated film should make a portrait trailer, not {w:?}x{h:?}"
        )),
    }
}

fn width_at_most(max: u64) -> impl Fn(&Scene, &Outcome) -> Result<(), String> {
    move |s, _| {
        let w = probe_json(&s.out())["streams"][0]["width"].as_u64().unwrap_or(0);
        if (1..=max).contains(&w) {
            Ok(())
        } else {
            Err(format!("the trailer is {w} px wide, more than {max}"))
        }
    }
}

fn duration_under(max: f64) -> impl Fn(&Scene, &Outcome) -> Result<(), String> {
    move |s, _| {
        let d: f64 = probe_json(&s.out())["format"]["duration"]
            .as_str()
            .and_then(|d| d.parse().ok())
            .unwrap_or(0.0);
        if d > 5.0 && d < max {
            Ok(())
        } else {
            Err(format!("the trailer lasts {d} s"))
        }
    }
}

fn dialogue(s: &Scene) -> Value {
    serde_json::from_slice(&std::fs::read(s.work().join("dialogue.json")).unwrap_or_default()).unwrap_or(Value::Null)
}

/// No clip's `dialogue_excerpt` carries a whole megabyte line into the manifest.
fn excerpts_short(s: &Scene, _: &Outcome) -> Result<(), String> {
    let m: Value = serde_json::from_slice(&std::fs::read(s.work().join("TRAILER_MANIFEST.json")).unwrap()).unwrap();
    let longest = m["clips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["dialogue_excerpt"].as_str().unwrap_or("").chars().count())
        .max();
    match longest {
        Some(n) if n <= 401 => Ok(()),
        n => Err(format!("the longest dialogue_excerpt has {n:?} characters")),
    }
}

fn dialogue_says(want: &'static str) -> impl Fn(&Scene, &Outcome) -> Result<(), String> {
    move |s, _| {
        let got = dialogue(s)["events"][0]["text"].clone();
        if got == want {
            Ok(())
        } else {
            Err(format!("the first line reads {got}, not '{want}'"))
        }
    }
}

fn dialogue_count(n: usize) -> impl Fn(&Scene, &Outcome) -> Result<(), String> {
    move |s, _| {
        let got = dialogue(s)["events"].as_array().map_or(0, Vec::len);
        if got == n {
            Ok(())
        } else {
            Err(format!("{got} lines of dialogue, not {n}"))
        }
    }
}

fn no_markup_in_dialogue(s: &Scene, _: &Outcome) -> Result<(), String> {
    for e in dialogue(s)["events"].as_array().cloned().unwrap_or_default() {
        let t = e["text"].as_str().unwrap_or_default();
        if ["<script", "</", "<font", "onerror", "{\\an8}"]
            .iter()
            .any(|m| t.contains(m))
        {
            return Err(format!("markup kept in a line: {t}"));
        }
    }
    Ok(())
}

fn music_is_the_users(s: &Scene, _: &Outcome) -> Result<(), String> {
    let tl: Value = serde_json::from_slice(&std::fs::read(s.work().join("timeline.json")).unwrap()).unwrap();
    match tl["music"]["path"].as_str() {
        Some(p) if p.ends_with("hour.mp3") => Ok(()),
        other => Err(format!("the music is {other:?}, not the hour-long track")),
    }
}

// ---- Inputs.

fn noise(n: usize) -> Vec<u8> {
    // A fixed xorshift: the same garbage every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// `n` cues inside the base film's 24 s, overlapping, each with its own words.
fn many_cues(n: usize) -> String {
    let t = |ms: usize| util::srt_time(ms as f64 / 1000.0);
    let mut out = String::with_capacity(n * 60);
    for i in 0..n {
        let a = i * 23_000 / n;
        out.push_str(&format!(
            "{}\n{} --> {}\nLine {i} of the storm!\n\n",
            i + 1,
            t(a),
            t(a + 800)
        ));
    }
    out
}
