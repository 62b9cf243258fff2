//! Test harness: make synthetic films with FFmpeg, run `cinecut`, look at the work dir.
#![allow(dead_code)]

pub mod browser;
pub mod export_check;
pub mod jamendo_stub;
pub mod llama;
pub mod picture_check;
pub mod story_check;
pub mod stub_server;
pub mod timeline_check;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_cinecut");

/// `../shared/media` next to the checkout, when this machine has it.
pub fn shared_media() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/media");
    p.is_dir().then_some(p)
}

/// Tears of Steel and its English subtitles from `../shared/media`, when this machine has them.
pub fn tears_of_steel() -> Option<(PathBuf, PathBuf)> {
    let dir = shared_media()?.join("tears_of_steel");
    Some((
        dir.join("tears_of_steel_1280x534.mp4"),
        dir.join("tears_of_steel.en.srt"),
    ))
}

/// A synthetic film: moving test pattern with a tone, `secs` long, small and quick to make.
pub fn synth_film(dir: &Path, name: &str, secs: u32) -> PathBuf {
    let out = dir.join(name);
    ffmpeg_line(&format!(
        "-f lavfi -i testsrc2=size=320x180:rate=24:duration={secs} -f lavfi -i sine=frequency=440:sample_rate=48000:duration={secs} \
         -map 0:v -map 1:a -c:v libx264 -preset ultrafast -c:a aac -shortest {}",
        out.display()
    ));
    out
}

pub fn ffmpeg(args: &[&str]) {
    let st = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg on PATH (make test installs it)");
    assert!(st.success(), "ffmpeg {args:?}");
}

/// `ffmpeg` with its arguments written as one line, split on whitespace (no shell is involved, so quotes stay
/// as typed). Test paths come from `tempdir`, which has no spaces.
pub fn ffmpeg_line(args: &str) {
    let args: Vec<&str> = args.split_whitespace().collect();
    ffmpeg(&args);
}

pub fn srt(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, "1\n00:00:01,000 --> 00:00:02,500\nHello there.\n\n").unwrap();
    p
}

/// A TRAILER_MANIFEST.json for `film` (a name beside it) with clips `(start, end, act, transition)`, plus the
/// fields in `extra`; written as `dir/cut.json`.
pub fn write_manifest(dir: &Path, film: &str, clips: &[(f64, f64, &str, &str)], extra: serde_json::Value) -> PathBuf {
    let clips: Vec<serde_json::Value> = clips
        .iter()
        .map(|(a, b, act, t)| {
            serde_json::json!({"source_start_s": a, "source_end_s": b, "beat_type": "money_shot", "act": act,
                "transition": t})
        })
        .collect();
    let mut m = serde_json::json!({"source_file": film, "vibe": "drama", "title": "Colour Test", "clips": clips});
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    let path = dir.join("cut.json");
    std::fs::write(&path, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    path
}

/// A film whose frame `k` has grey level `grey_of_frame(k)` (lossless), at `rate` ("24", "30000/1001"), with a tone.
pub fn grey_count_film(path: &Path, rate: &str, secs: u32) {
    ffmpeg_line(&format!(
        "-f lavfi -i color=c=black:s=64x48:r={rate}:d={secs},format=gray,geq=lum='20+5*mod(N\\,40)' \
         -f lavfi -i sine=f=220:r=48000:d={secs} -map 0:v -map 1:a -pix_fmt yuv420p -c:v libx264 -qp 0 \
         -preset ultrafast -c:a aac -shortest {}",
        path.display()
    ));
}

pub fn grey_of_frame(k: u64) -> f64 {
    20.0 + 5.0 * (k % 40) as f64
}

/// Every frame of a video (or an image) through the filter `vf`, as raw pixels in `pix_fmt` (`gray`, `rgb24`).
pub fn raw_frames(video: &Path, vf: &str, pix_fmt: &str) -> Vec<u8> {
    let o = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-i"])
        .arg(video)
        .args(["-vf", vf, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"])
        .output()
        .unwrap();
    assert!(
        o.status.success() && !o.stdout.is_empty(),
        "{}: {}",
        video.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// Each frame's mean luma, from a small decode.
pub fn mean_lumas(video: &Path) -> Vec<f64> {
    raw_frames(video, "scale=8:6:flags=area", "gray")
        .chunks(48)
        .map(|f| f.iter().map(|&p| p as f64).sum::<f64>() / 48.0)
        .collect()
}

/// What a finished `cinecut` run left: its exit code and what it printed.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A `cinecut` invocation, built the way a user types it:
/// `Cinecut::film(&f).subtitles(&s).vibe("action").until("proxy").run()`. Options without a method go in with
/// `arg`/`args`, in order.
#[derive(Debug, Clone, Default)]
pub struct Cinecut {
    args: Vec<OsString>,
    env: Vec<(OsString, OsString)>,
}

impl Cinecut {
    /// `cinecut FILM …`
    pub fn film(film: impl AsRef<OsStr>) -> Cinecut {
        Cinecut::default().arg(film)
    }

    /// `cinecut --manifest MANIFEST …`
    pub fn manifest(manifest: impl AsRef<OsStr>) -> Cinecut {
        Cinecut::default().arg("--manifest").arg(manifest)
    }

    /// `cinecut export MANIFEST …`
    pub fn export(manifest: impl AsRef<OsStr>) -> Cinecut {
        Cinecut::default().arg("export").arg(manifest)
    }

    /// `cinecut` with exactly these arguments (a subcommand, or usage that is meant to be wrong).
    pub fn with_args<I: IntoIterator<Item = A>, A: AsRef<OsStr>>(args: I) -> Cinecut {
        Cinecut::default().args(args)
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Cinecut {
        self.args.push(a.as_ref().to_owned());
        self
    }

    pub fn args<I: IntoIterator<Item = A>, A: AsRef<OsStr>>(mut self, args: I) -> Cinecut {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    fn opt(self, flag: &str, value: impl AsRef<OsStr>) -> Cinecut {
        self.arg(flag).arg(value)
    }

    pub fn subtitles(self, s: impl AsRef<OsStr>) -> Cinecut {
        self.opt("-s", s)
    }

    pub fn vibe(self, v: &str) -> Cinecut {
        self.opt("-v", v)
    }

    pub fn until(self, stage: &str) -> Cinecut {
        self.opt("--until", stage)
    }

    pub fn work_dir(self, d: impl AsRef<OsStr>) -> Cinecut {
        self.opt("--work-dir", d)
    }

    pub fn output(self, o: impl AsRef<OsStr>) -> Cinecut {
        self.opt("-o", o)
    }

    pub fn length(self, l: &str) -> Cinecut {
        self.opt("-l", l)
    }

    pub fn quiet(self) -> Cinecut {
        self.arg("-q")
    }

    pub fn env(mut self, k: impl AsRef<OsStr>, v: impl AsRef<OsStr>) -> Cinecut {
        self.env.push((k.as_ref().to_owned(), v.as_ref().to_owned()));
        self
    }

    /// The command, for a test that spawns it (to kill it, or run two at once). Stdin is closed.
    pub fn command(&self) -> Command {
        let mut c = Command::new(BIN);
        c.args(&self.args).stdin(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    /// Run to the end and keep what it printed.
    pub fn run(&self) -> Run {
        let out: Output = self.command().output().expect("run cinecut");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// This test binary, set to run one of its tests again alone in a process of its own: for tests that must be
/// killed, or that count the process's open files and children. `module` is the caller's `module_path!()`.
pub fn alone(module: &str, test: &str) -> Command {
    let module = module.split_once("::").map_or(module, |(_crate, m)| m);
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args([
        "--exact",
        &format!("{module}::{test}"),
        "--nocapture",
        "--test-threads=1",
    ]);
    c
}

/// Processes whose command line mentions `needle` (to find FFmpeg children by their work dir).
pub fn processes_mentioning(needle: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let Ok(cmd) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmd).contains(needle) {
            found.push(pid);
        }
    }
    found
}

/// Poll until `f` is true or `secs` pass.
pub fn wait_for(secs: f64, mut f: impl FnMut() -> bool) -> bool {
    let end = std::time::Instant::now() + std::time::Duration::from_secs_f64(secs);
    while std::time::Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    f()
}

/// A film of shots from different generated sources, joined by hard cuts, with a 2-frame white flash in the
/// middle of the first shot and a static shot. Returns the path and the frames where shots start (the truth).
pub fn synth_cuts_film(dir: &Path, name: &str) -> (PathBuf, Vec<u64>) {
    const FPS: u32 = 24;
    let shots: &[(&str, u32)] = &[
        ("testsrc2=s=320x180:r=24", 60),
        ("mandelbrot=s=320x180:r=24", 36),
        ("smptehdbars=s=320x180:r=24", 30), // static
        ("sierpinski=s=320x180:r=24:seed=7", 40),
        ("cellauto=s=320x180:r=24:rule=30:seed=7", 30),
        (
            "life=s=320x180:r=24:mold=10:ratio=0.1:life_color=#ffcc00:death_color=#002266:seed=7",
            40,
        ),
        ("gradients=s=320x180:r=24:speed=0.02:seed=7", 36),
        ("testsrc=s=320x180:r=24", 30),
    ];
    let mut args: Vec<String> = Vec::new();
    let mut graph = String::new();
    for (i, (src, frames)) in shots.iter().enumerate() {
        args.extend(["-f".into(), "lavfi".into(), "-i".into(), src.to_string()]);
        graph.push_str(&format!(
            "[{i}:v]trim=end_frame={frames},setpts=PTS-STARTPTS,format=yuv420p,setsar=1[s{i}];"
        ));
    }
    for i in 0..shots.len() {
        graph.push_str(&format!("[s{i}]"));
    }
    // The flash: frames 30 and 31 of the first shot turn white.
    graph.push_str(&format!(
        "concat=n={},drawbox=c=white:t=fill:enable='between(n,30,31)'[v]",
        shots.len()
    ));
    let out = dir.join(name);
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend([
        "-filter_complex",
        &graph,
        "-map",
        "[v]",
        "-r",
        "24",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
    ]);
    all.extend(["-qp", "10", out.to_str().unwrap()]);
    ffmpeg(&all);
    let mut starts = Vec::new();
    let mut at = 0u64;
    for (_, frames) in &shots[..shots.len() - 1] {
        at += *frames as u64;
        starts.push(at);
    }
    let _ = FPS;
    (out, starts)
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// ffprobe one value of the first video stream (e.g. "width").
pub fn probe_video_field(path: &Path, field: &str) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-select_streams", "v:0", "-show_entries"])
        .arg(format!("stream={field}"))
        .args(["-of", "default=nw=1:nk=1"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Precision/recall F1 of detected boundary frames against the truth, each truth matched at most once.
pub fn f1(truth: &[u64], found: &[u64], tolerance: u64) -> f64 {
    let mut used = vec![false; found.len()];
    let mut hits = 0;
    for t in truth {
        if let Some(i) = (0..found.len()).find(|&i| !used[i] && found[i].abs_diff(*t) <= tolerance) {
            used[i] = true;
            hits += 1;
        }
    }
    if truth.is_empty() && found.is_empty() {
        return 1.0;
    }
    let p = hits as f64 / found.len().max(1) as f64;
    let r = hits as f64 / truth.len().max(1) as f64;
    if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
}

/// Mark an MP4's first track as rotated 90° the way phones do: the display matrix in its `tkhd` box.
/// (FFmpeg 5.1 cannot write one; `-display_rotation` came in 6.0.)
pub fn set_mp4_rotation_90(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes
        .windows(4)
        .position(|w| w == b"tkhd")
        .expect("an MP4 track header");
    let box_start = at - 4;
    assert_eq!(bytes[at + 4], 0, "version 0 tkhd");
    // size(4) type(4) version+flags(4) ctime mtime track reserved duration (20) reserved(8) layer group volume
    // reserved (8): the matrix starts 48 bytes in.
    let matrix = box_start + 48;
    let rot90: [u32; 9] = [0, 0x0001_0000, 0, 0xFFFF_0000, 0, 0, 0, 0, 0x4000_0000];
    for (i, v) in rot90.iter().enumerate() {
        bytes[matrix + i * 4..matrix + i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    std::fs::write(path, bytes).unwrap();
}

const FILM_S: u32 = 72;
/// Lines of dialogue, one every 9 s from 3 s.
const LINES: [&str; 8] = [
    "We have to leave the city tonight.",
    "Nobody gets out of here alive.",
    "I know what you did last winter.",
    "Run! They are right behind us!",
    "Trust me, this is the only way.",
    "The machine is waking up.",
    "Hold the door, hold it!",
    "It is over. We made it home.",
];

/// A 72 s film with dialogue and music, for whole runs: 12 shots of different generated pictures, a thumping pulse and pink noise under 8 espeak-ng
/// voices at the subtitles' times. Returns the film and its SRT.
pub fn talking_film(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    const SOURCES: [&str; 6] = [
        "testsrc2=s=320x180:r=24",
        "mandelbrot=s=320x180:r=24",
        "smptehdbars=s=320x180:r=24",
        "cellauto=s=320x180:r=24:rule=30:seed=7",
        "gradients=s=320x180:r=24:speed=0.03:seed=7",
        "rgbtestsrc=s=320x180:r=24",
    ];
    const SHOTS: usize = 12;
    let shot_s = FILM_S as usize / SHOTS;
    let mut args: Vec<String> = Vec::new();
    let mut graph = String::new();
    for i in 0..SHOTS {
        args.extend(["-f", "lavfi", "-i", SOURCES[i % SOURCES.len()]].map(String::from));
        graph.push_str(&format!(
            "[{i}:v]trim=duration={shot_s},setpts=PTS-STARTPTS,format=yuv420p,setsar=1[s{i}];"
        ));
    }
    graph.extend((0..SHOTS).map(|i| format!("[s{i}]")));
    graph.push_str(&format!("concat=n={SHOTS}[v];"));
    // Music: a decaying 80 Hz thump every half second, and some noise.
    args.extend(
        [
            "-f",
            "lavfi",
            "-i",
            &format!("aevalsrc=0.5*sin(2*PI*80*t)*exp(-12*mod(t\\,0.5)):s=48000:d={FILM_S}"),
            "-f",
            "lavfi",
            "-i",
            &format!("anoisesrc=color=pink:amplitude=0.05:sample_rate=48000:d={FILM_S}:seed=7"),
        ]
        .map(String::from),
    );
    let music = SHOTS;
    let mut mix = format!("[{music}:a][{}:a]", music + 1);
    let mut cues = Vec::new();
    for (i, line) in LINES.iter().enumerate() {
        let wav = dir.join(format!("{name}-line{i}.wav"));
        let st = Command::new("espeak-ng")
            .args(["-s", "150", "-w"])
            .arg(&wav)
            .arg(line)
            .status()
            .expect("espeak-ng (make test installs it)");
        assert!(st.success());
        args.extend(["-i".to_string(), wav.to_string_lossy().into_owned()]);
        let at_ms = 3_000 + 9_000 * i;
        let input = music + 2 + i;
        graph.push_str(&format!(
            "[{input}:a]aresample=48000,aformat=channel_layouts=stereo,adelay={at_ms}|{at_ms}[l{i}];"
        ));
        mix.push_str(&format!("[l{i}]"));
        let (a, b) = (at_ms as f64 / 1000.0, at_ms as f64 / 1000.0 + 2.6);
        cues.push(format!("{}\n{} --> {}\n{line}\n", i + 1, srt_time(a), srt_time(b)));
    }
    graph.push_str(&format!(
        "{mix}amix=inputs={}:duration=first:normalize=0,aformat=channel_layouts=stereo[a]",
        LINES.len() + 2
    ));
    let film = dir.join(format!("{name}.mp4"));
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(["-filter_complex", &graph, "-map", "[v]", "-map", "[a]"]);
    let secs = FILM_S.to_string();
    all.extend(["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-t", &secs]);
    all.push(film.to_str().unwrap());
    ffmpeg(&all);
    let srt = dir.join(format!("{name}.srt"));
    std::fs::write(&srt, cues.join("\n")).unwrap();
    (film, srt)
}

pub fn srt_time(t: f64) -> String {
    let ms = (t * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02},{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}
