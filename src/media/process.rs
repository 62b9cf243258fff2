//! The one way CineCut starts FFmpeg or ffprobe.
//!
//! - Arguments go as a list, never through a shell.
//! - stderr is drained on its own thread into a bounded tail (`\r` status lines overwrite each other), so a
//!   chatty child can neither deadlock us nor push the real error out of the message.
//! - `-progress pipe:1` is parsed into `FfProgress` events for the caller's progress bar.
//! - The child is killed and reaped when the guard drops (error, cancel, panic), and on Linux it also dies
//!   with us if we are SIGKILLed (`PR_SET_PDEATHSIG`), so an orphan never keeps writing into the work dir.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use super::progress::{FfProgress, ProgressParser};
use super::tools::Tools;
use crate::cancel::Cancel;
use crate::error::{Error, Result};

/// Enough for the last screenful of FFmpeg errors; older lines are dropped.
const STDERR_TAIL_BYTES: usize = 32 * 1024;
/// How often a waiting caller checks the stop flag.
const CANCEL_POLL: Duration = Duration::from_millis(100);

/// An FFmpeg or ffprobe command line under construction.
#[derive(Debug, Clone)]
pub struct FfCommand {
    program: PathBuf,
    args: Vec<OsString>,
    /// What the run is for, for error messages ("making the proxy").
    what: String,
    /// The files it writes (`output`), to tell a full disk from other failures.
    outputs: Vec<PathBuf>,
    /// Environment variables set for the child only.
    env: Vec<(OsString, OsString)>,
}

impl FfCommand {
    /// `ffmpeg -hide_banner -nostdin -nostats -loglevel warning`: quiet, never reads the terminal.
    pub fn ffmpeg(tools: &Tools, what: impl Into<String>) -> Self {
        FfCommand {
            program: tools.ffmpeg.clone(),
            args: Vec::new(),
            what: what.into(),
            outputs: Vec::new(),
            env: Vec::new(),
        }
        .args(["-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning"])
    }

    /// Another tool run at the edge the same way (Tesseract), with no arguments yet.
    pub(crate) fn tool(program: PathBuf, what: impl Into<String>) -> Self {
        FfCommand {
            program,
            args: Vec::new(),
            what: what.into(),
            outputs: Vec::new(),
            env: Vec::new(),
        }
    }

    pub fn ffprobe(tools: &Tools, what: impl Into<String>) -> Self {
        FfCommand {
            program: tools.ffprobe.clone(),
            args: Vec::new(),
            what: what.into(),
            outputs: Vec::new(),
            env: Vec::new(),
        }
        .args(["-hide_banner", "-loglevel", "error"])
    }

    /// Set an environment variable for the child only.
    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Self {
        self.args.push(a.as_ref().to_os_string());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|a| a.as_ref().to_os_string()));
        self
    }

    /// An option and its value: `.arg2("-c:v", "libx264")`.
    pub fn arg2(self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.arg(key).arg(value)
    }

    pub fn arg2_opt(self, key: impl AsRef<OsStr>, value: Option<impl AsRef<OsStr>>) -> Self {
        match value {
            Some(v) => self.arg2(key, v),
            None => self,
        }
    }

    pub fn arg_if(self, cond: bool, a: impl AsRef<OsStr>) -> Self {
        if cond { self.arg(a) } else { self }
    }

    /// `-i path`. A path that starts with `-` is made explicit (`file:-x.mp4`) so FFmpeg never reads it as an
    /// option.
    pub fn input(self, path: impl AsRef<OsStr>) -> Self {
        let p = file_arg(path.as_ref());
        self.arg("-i").arg(p)
    }

    /// An output file, made explicit like `input`.
    pub fn output(mut self, path: impl AsRef<OsStr>) -> Self {
        self.outputs.push(PathBuf::from(path.as_ref()));
        let p = file_arg(path.as_ref());
        self.arg(p)
    }

    /// The command as one shell-quoted line, for logs and error messages only (it is never run through a shell).
    pub fn to_cmd_string(&self) -> String {
        std::iter::once(self.program.as_os_str())
            .chain(self.args.iter().map(OsString::as_os_str))
            .map(|a| shell_quote(&a.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `to_cmd_string` for an error message: a command of thousands of inputs keeps its head and tail, so the
    /// message stays readable (the whole line is in the `--verbose` log).
    fn shown_command(&self) -> String {
        const KEEP: usize = 1500;
        let full = self.to_cmd_string();
        let chars = full.chars().count();
        if chars <= 3 * KEEP {
            return full;
        }
        let head: String = full.chars().take(2 * KEEP).collect();
        let tail: String = full.chars().skip(chars - KEEP).collect();
        format!("{head} … ({} characters left out) … {tail}", chars - 3 * KEEP)
    }

    fn spawn(&self, stdout: Stdio) -> Result<(ChildGuard, JoinHandle<StderrTail>)> {
        self.spawn_with(stdout, |_| {})
    }

    fn spawn_with(
        &self,
        stdout: Stdio,
        prepare: impl FnOnce(&mut Command),
    ) -> Result<(ChildGuard, JoinHandle<StderrTail>)> {
        tracing::debug!("running: {}", self.to_cmd_string());
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::piped());
        die_with_parent(&mut cmd);
        prepare(&mut cmd);
        let mut child = cmd.spawn().map_err(|e| Error::Process {
            what: self.what.clone(),
            status: format!("could not start: {e}"),
            command: self.shown_command(),
            tail: String::new(),
        })?;
        let stderr = child.stderr.take().expect("stderr was piped");
        let tail = std::thread::spawn(move || StderrTail::drain(stderr));
        Ok((ChildGuard(Some(child)), tail))
    }

    fn failure(&self, status: String, tail: &StderrTail) -> Error {
        let tail = tail.text();
        // FFmpeg says "No space left on device" in words only; the disk itself says it in numbers.
        if let Some(dir) = self.outputs.iter().filter_map(|o| o.parent()).find(|d| nearly_full(d)) {
            let said = tail
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or_default()
                .trim();
            return Error::DiskFull {
                path: dir.to_path_buf(),
                detail: format!("{} failed ({status}): {said}", self.what),
            };
        }
        Error::Process {
            what: self.what.clone(),
            status,
            command: self.shown_command(),
            tail,
        }
    }

    /// Run to completion, reporting `-progress` blocks; killed at once when `cancel` fires.
    /// Returns the tail of stderr (FFmpeg's warnings) on success.
    pub fn run(&self, cancel: &Cancel, on_progress: &mut dyn FnMut(&FfProgress)) -> Result<String> {
        let with_progress = self.clone().args(["-progress", "pipe:1"]);
        let (mut child, tail) = with_progress.spawn(Stdio::piped())?;
        let stdout = child.stdout_take();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut parser = ProgressParser::default();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(p) = parser.push_line(&line)
                    && tx.send(p).is_err()
                {
                    break;
                }
            }
        });
        loop {
            match rx.recv_timeout(CANCEL_POLL) {
                Ok(p) => on_progress(&p),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            if cancel.is_cancelled() {
                child.kill_and_reap();
                let _ = reader.join();
                let _ = tail.join();
                return Err(Error::Interrupted);
            }
        }
        let _ = reader.join();
        let status = child.wait()?;
        let tail = tail.join().unwrap_or_default();
        with_progress.check_status(status, &tail, cancel)?;
        Ok(tail.text())
    }

    /// Run and return stdout (ffprobe's JSON). Small outputs only.
    pub fn output_bytes(&self, cancel: &Cancel) -> Result<Vec<u8>> {
        let (mut child, tail) = self.spawn(Stdio::piped())?;
        let mut stdout = child.stdout_take();
        let mut out = Vec::new();
        let read = stdout.read_to_end(&mut out);
        let status = child.wait()?;
        let tail = tail.join().unwrap_or_default();
        self.check_status(status, &tail, cancel)?;
        read.map_err(|e| self.failure(format!("reading its output failed: {e}"), &tail))?;
        Ok(out)
    }

    /// Start the command with stdout as a raw byte stream (`-f rawvideo pipe:1`, `-f f32le pipe:1`).
    pub fn spawn_reader(&self) -> Result<FfReader> {
        let (mut child, tail) = self.spawn(Stdio::piped())?;
        let stdout = child.stdout_take();
        Ok(FfReader {
            command: self.clone(),
            child,
            stdout,
            tail: Some(tail),
        })
    }

    /// As `spawn_reader`, with a second raw stream: what FFmpeg writes to `pipe:3` (a filter graph's second raw
    /// output). Read the two at once (the second on its own thread), or FFmpeg stalls on the fuller pipe.
    #[cfg(unix)]
    pub fn spawn_reader_and_side(&self) -> Result<(FfReader, std::io::PipeReader)> {
        let (side, side_writer) =
            std::io::pipe().map_err(|e| self.failure(format!("no pipe: {e}"), &StderrTail::default()))?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&side_writer);
        let (mut child, tail) = self.spawn_with(Stdio::piped(), |cmd| {
            use std::os::unix::process::CommandExt;
            // SAFETY: only async-signal-safe calls (dup2, fcntl) run between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    // The pipe is close-on-exec; its copy as fd 3 is not (dup2 onto itself keeps the flag).
                    if fd == 3 {
                        let flags = libc::fcntl(3, libc::F_GETFD);
                        if flags < 0 || libc::fcntl(3, libc::F_SETFD, flags & !libc::FD_CLOEXEC) < 0 {
                            return Err(std::io::Error::last_os_error());
                        }
                    } else if libc::dup2(fd, 3) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        })?;
        // Only FFmpeg writes: our copy must close, or the reader never sees the end.
        drop(side_writer);
        let stdout = child.stdout_take();
        Ok((
            FfReader {
                command: self.clone(),
                child,
                stdout,
                tail: Some(tail),
            },
            side,
        ))
    }

    fn check_status(&self, status: ExitStatus, tail: &StderrTail, cancel: &Cancel) -> Result<()> {
        if status.success() {
            return Ok(());
        }
        // A terminal Ctrl-C reaches FFmpeg too; its death is then our interruption, not its failure.
        if cancel.is_cancelled() {
            return Err(Error::Interrupted);
        }
        Err(self.failure(describe_status(status), tail))
    }
}

/// A running FFmpeg whose stdout the caller reads (raw frames or samples).
pub struct FfReader {
    command: FfCommand,
    child: ChildGuard,
    stdout: ChildStdout,
    tail: Option<JoinHandle<StderrTail>>,
}

impl FfReader {
    /// Fill `buf` completely. `Ok(false)` at the end of the stream (a partial last chunk is discarded).
    pub fn read_chunk(&mut self, buf: &mut [u8]) -> Result<bool> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.stdout.read(&mut buf[filled..]) {
                Ok(0) => return Ok(false),
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Error::Runtime(format!(
                        "{}: reading FFmpeg's output failed: {e}",
                        self.command.what
                    )));
                }
            }
        }
        Ok(true)
    }

    /// Wait for FFmpeg to exit and check it succeeded. Returns its warnings (stderr tail).
    pub fn finish(mut self, cancel: &Cancel) -> Result<String> {
        // Drain anything left so FFmpeg is not blocked on a full pipe while we wait for it.
        let _ = std::io::copy(&mut self.stdout, &mut std::io::sink());
        let status = self.child.wait()?;
        let tail = self.tail.take().and_then(|t| t.join().ok()).unwrap_or_default();
        self.command.check_status(status, &tail, cancel)?;
        Ok(tail.text())
    }
}

/// Owns the child; dropping it kills and reaps (the ripgrep/ab-av1 habit), so no exit path leaves an orphan.
struct ChildGuard(Option<Child>);

impl ChildGuard {
    fn stdout_take(&mut self) -> ChildStdout {
        self.0.as_mut().and_then(|c| c.stdout.take()).expect("stdout was piped")
    }

    fn wait(&mut self) -> Result<ExitStatus> {
        let mut child = self.0.take().expect("waited once");
        child
            .wait()
            .map_err(|e| Error::Runtime(format!("waiting for FFmpeg failed: {e}")))
    }

    fn kill_and_reap(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill_and_reap();
    }
}

/// The last `STDERR_TAIL_BYTES` of stderr, with `\r`-rewritten status lines collapsed to their last state.
#[derive(Debug, Default)]
struct StderrTail {
    lines: std::collections::VecDeque<String>,
    bytes: usize,
}

impl StderrTail {
    fn drain(stderr: impl Read) -> StderrTail {
        let mut tail = StderrTail::default();
        let mut reader = BufReader::new(stderr);
        let mut buf = Vec::new();
        while let Ok(n) = reader.read_until(b'\n', &mut buf) {
            if n == 0 {
                break;
            }
            let text = String::from_utf8_lossy(&buf);
            let line = text.trim_end().rsplit('\r').next().unwrap_or("").to_string();
            tail.push(line);
            buf.clear();
        }
        tail
    }

    fn push(&mut self, line: String) {
        self.bytes += line.len() + 1;
        self.lines.push_back(line);
        while self.bytes > STDERR_TAIL_BYTES
            && let Some(old) = self.lines.pop_front()
        {
            self.bytes -= old.len() + 1;
        }
    }

    fn text(&self) -> String {
        self.lines
            .iter()
            .filter(|l| !l.is_empty())
            .map(|l| format!("    {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn describe_status(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {sig}");
        }
    }
    match status.code() {
        Some(c) => format!("exit code {c}"),
        None => "unknown exit status".into(),
    }
}

/// FFmpeg reads any argument starting with `-` as an option, even after `-i`; the `file:` protocol prefix
/// makes such a path unambiguous. Other paths pass unchanged (and `file:` would disable pipe: and URLs).
fn file_arg(p: &OsStr) -> OsString {
    if p.to_string_lossy().starts_with('-') {
        let mut s = OsString::from("file:");
        s.push(p);
        s
    } else {
        p.to_os_string()
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Linux: ask the kernel to SIGKILL the child when the thread that spawned it dies, so FFmpeg never outlives a
/// killed cinecut. (Spawn from a long-lived thread: the signal follows the spawning thread, not the process.)
#[cfg(target_os = "linux")]
fn die_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: only async-signal-safe calls (prctl, getppid, _exit) run between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl; then nobody will send the signal.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

#[cfg(not(target_os = "linux"))]
fn die_with_parent(_cmd: &mut Command) {}

/// Less than 1 MiB free for us on the disk holding `dir`: what a write that just failed there ran into.
#[cfg(unix)]
#[allow(
    clippy::unnecessary_cast,
    reason = "statvfs's counts are narrower than u64 on 32-bit targets"
)]
fn nearly_full(dir: &std::path::Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    const ROOM: u64 = 1 << 20;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    let mut st = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c` is a valid C string and `st` is written by statvfs before it is read.
    if unsafe { libc::statvfs(c.as_ptr(), st.as_mut_ptr()) } != 0 {
        return false;
    }
    // SAFETY: statvfs returned 0, so it filled `st`.
    let st = unsafe { st.assume_init() };
    (st.f_bavail as u64).saturating_mul(st.f_frsize as u64) < ROOM
}

#[cfg(not(unix))]
fn nearly_full(_dir: &std::path::Path) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_end_and_collapses_carriage_returns() {
        let mut text = String::new();
        for i in 0..5000 {
            text.push_str(&format!("line {i}\n"));
        }
        text.push_str("frame=1\rframe=2\rframe=3\nreal error here\n");
        let tail = StderrTail::drain(text.as_bytes());
        let out = tail.text();
        assert!(out.len() <= STDERR_TAIL_BYTES * 2);
        assert!(
            out.ends_with("    frame=3\n    real error here"),
            "{}",
            &out[out.len() - 80..]
        );
        assert!(!out.contains("line 0\n"));
    }

    #[test]
    fn quoting_for_logs() {
        assert_eq!(shell_quote("-c:v"), "-c:v");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn a_command_of_thousands_of_inputs_is_shortened_in_errors() {
        let tools = Tools {
            ffmpeg: "ffmpeg".into(),
            ffprobe: "ffprobe".into(),
            version: "5.1".into(),
        };
        let mut cmd = FfCommand::ffmpeg(&tools, "cutting");
        for i in 0..10_000 {
            cmd = cmd.arg2("-ss", i.to_string()).input("/w/film.mp4");
        }
        let shown = cmd.output("/w/out.wav").shown_command();
        assert!(shown.chars().count() < 5000, "{} characters", shown.len());
        assert!(shown.starts_with("ffmpeg -hide_banner") && shown.ends_with("-i /w/film.mp4 /w/out.wav"));
        assert!(shown.contains("characters left out"));
        let small = FfCommand::ffmpeg(&tools, "x").input("/a.mp4");
        assert_eq!(small.shown_command(), small.to_cmd_string());
    }

    #[test]
    fn dash_paths_are_made_explicit() {
        assert_eq!(file_arg(OsStr::new("-x.mp4")), OsString::from("file:-x.mp4"));
        assert_eq!(file_arg(OsStr::new("/a/-x.mp4")), OsString::from("/a/-x.mp4"));
    }
}
