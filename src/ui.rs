//! The terminal side of progress: a `Reporter` that draws indicatif bars when stderr is a terminal and writes
//! plain log lines otherwise (at 16 s, 32 s, 64 s … into a long task), and the tracing setup that routes log
//! lines around the bars. stdout stays free for machine-readable output.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::workdir::{Progress, Reporter, Stage, Unit};

pub struct TerminalReporter {
    multi: MultiProgress,
    bar: Option<ProgressBar>,
    tty: bool,
    quiet: bool,
    stage: Option<Stage>,
    // For the non-terminal log lines.
    task_started: Instant,
    next_log: Duration,
    total: u64,
    unit: Unit,
}

impl TerminalReporter {
    pub fn new(quiet: bool) -> Self {
        let tty = std::io::stderr().is_terminal();
        let multi = MultiProgress::with_draw_target(if tty && !quiet {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        });
        TerminalReporter {
            multi,
            bar: None,
            tty,
            quiet,
            stage: None,
            task_started: Instant::now(),
            next_log: Duration::from_secs(16),
            total: 0,
            unit: Unit::Items(""),
        }
    }

    /// Log lines written through this go above the bars instead of through them.
    pub fn log_writer(&self) -> MultiProgress {
        self.multi.clone()
    }

    fn line(&self, text: &str) {
        if self.quiet {
            return;
        }
        if self.tty {
            let _ = self.multi.println(text);
        } else {
            eprintln!("{text}");
        }
    }

    fn clear_bar(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
            self.multi.remove(&bar);
        }
    }

    fn describe(&self, done: u64) -> String {
        match self.unit {
            Unit::MediaMs => format!("{} of {}", clock(done), clock(self.total)),
            Unit::Items(what) => format!("{done} of {} {what}", self.total),
        }
    }
}

fn clock(ms: u64) -> String {
    let s = ms / 1000;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn header(stage: Stage) -> String {
    format!("[{}/{}] {}", stage.number(), Stage::ALL.len(), stage.name())
}

impl Reporter for TerminalReporter {
    fn stage_started(&mut self, stage: Stage) {
        self.stage = Some(stage);
        self.line(&format!("{} …", header(stage)));
    }

    fn stage_skipped(&mut self, stage: Stage, why: &str) {
        self.line(&format!("{} skipped ({why})", header(stage)));
    }

    fn stage_finished(&mut self, stage: Stage, elapsed: Duration, summary: &str) {
        self.clear_bar();
        self.line(&format!(
            "{} done in {:.1} s: {summary}",
            header(stage),
            elapsed.as_secs_f64()
        ));
    }

    fn note(&mut self, line: &str) {
        self.line(line);
    }

    fn progress(&mut self) -> &mut dyn Progress {
        self
    }
}

impl Progress for TerminalReporter {
    fn start(&mut self, total: u64, unit: Unit) {
        self.clear_bar();
        self.total = total;
        self.unit = unit;
        self.task_started = Instant::now();
        self.next_log = Duration::from_secs(16);
        if self.quiet || !self.tty {
            return;
        }
        let template = match unit {
            Unit::MediaMs => "  {bar:40.cyan/blue} {percent:>3}% {msg} eta {eta}",
            Unit::Items(_) => "  {bar:40.cyan/blue} {pos}/{len} {msg} {per_sec} eta {eta}",
        };
        let bar = self.multi.add(ProgressBar::new(total));
        bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
        self.bar = Some(bar);
    }

    fn set(&mut self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
            return;
        }
        // No terminal: a log line at 16 s, 32 s, 64 s … so a long CI log shows life without flooding.
        let elapsed = self.task_started.elapsed();
        if !self.quiet && elapsed >= self.next_log && self.total > 0 {
            self.next_log *= 2;
            let pct = done as f64 * 100.0 / self.total as f64;
            let name = self.stage.map(|s| s.name()).unwrap_or("");
            eprintln!(
                "  {name}: {pct:.0}% ({}), {:.0} s",
                self.describe(done),
                elapsed.as_secs_f64()
            );
        }
    }

    fn message(&mut self, msg: &str) {
        if let Some(bar) = &self.bar {
            bar.set_message(msg.to_string());
        }
    }
}

/// A `tracing` writer that prints above the progress bars.
#[derive(Clone)]
pub(crate) struct BarWriter(pub MultiProgress);

impl Write for BarWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.suspend(|| std::io::stderr().write_all(buf))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Warnings always; `--verbose` adds the FFmpeg commands and stage details. `NO_COLOR` is honoured.
pub fn init_logging(verbose: bool, bars: MultiProgress) {
    let level = if verbose {
        tracing::Level::DEBUG
    } else {
        tracing::Level::WARN
    };
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_ansi(color)
        .with_writer(move || BarWriter(bars.clone()))
        .try_init();
}
