//! The `cinecut` command as a library function: check the inputs, run the pipeline, tell the user what
//! happened and what to do next. `main.rs` only adds signal handling and exit codes.

use crate::cancel::Cancel;
use crate::cli::Args;
use crate::config::{RunConfig, default_output};
use crate::error::Result;
use crate::media::Tools;
use crate::pipeline::workdir::default_work_dir;
use crate::pipeline::{self, Reporter, Stage};
use crate::story::manifest::MANIFEST;

pub fn run(args: &Args, cancel: &Cancel, mut reporter: impl Reporter) -> Result<()> {
    let tools = Tools::locate()?;
    let cfg = RunConfig::from_args(args, &tools, cancel)?;
    reporter.note(&format!("cinecut: {} (vibe {})", cfg.source.display(), cfg.vibe.name));
    reporter.note(&format!("work dir: {}", cfg.work_dir.display()));
    let outcome = pipeline::run(&cfg, &tools, cancel, &mut reporter)?;
    if !outcome.skipped.is_empty() {
        let names: Vec<_> = outcome.skipped.iter().map(|s| s.name()).collect();
        reporter.note(&format!("resumed: skipped {} (already complete)", names.join(", ")));
    }
    if cfg.review {
        let manifest = outcome.work_dir.join(MANIFEST);
        // The manifest names the film and the vibe; the work dir and output go along only when not the defaults.
        let mut command = format!("cinecut --manifest {}", shell_word(&manifest.to_string_lossy()));
        if cfg.work_dir != default_work_dir(&cfg.source) {
            command.push_str(&format!(" --work-dir {}", shell_word(&cfg.work_dir.to_string_lossy())));
        }
        if cfg.output != default_output(&cfg.source, cfg.vibe.name) {
            command.push_str(&format!(" -o {}", shell_word(&cfg.output.to_string_lossy())));
        }
        // The picture options the render needs again (the title and tagline are in the manifest).
        command.push_str(&picture_options(args));
        reporter.note(&format!(
            "review the cut list: {}\nthen render it (after any edits) with:\n  {command}",
            manifest.display(),
        ));
    } else if cfg.until < Stage::Conform {
        reporter.note(&format!(
            "stopped after stage {} as asked (--until); run without --until to continue",
            cfg.until
        ));
    } else {
        reporter.note(&format!("trailer: {}", cfg.output.display()));
    }
    Ok(())
}

/// The picture options as typed, for the render command `--review` prints.
fn picture_options(args: &Args) -> String {
    let mut out = String::new();
    if let Some(r) = &args.resolution {
        out.push_str(&format!(" --resolution {r}"));
    }
    if let Some(f) = &args.fps {
        out.push_str(&format!(" --fps {}", f.ffmpeg()));
    }
    if let Some(l) = &args.lut {
        let abs = std::path::absolute(l).unwrap_or_else(|_| l.clone());
        out.push_str(&format!(" --lut {}", shell_word(&abs.to_string_lossy())));
    }
    if args.no_grade {
        out.push_str(" --no-grade");
    }
    if args.preset != crate::render::format::DEFAULT_PRESET {
        out.push_str(&format!(" --preset {}", args.preset));
    }
    out
}

/// Quote a path for a command the user will paste into a POSIX shell.
fn shell_word(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}
