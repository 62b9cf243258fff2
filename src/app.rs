//! The `cinecut` command as a library function: check the inputs, run the pipeline, tell the user what
//! happened and what to do next. `main.rs` only adds signal handling and exit codes.

use std::path::{Path, PathBuf};

use crate::cancel::Cancel;
use crate::cli::{Args, ExportArgs};
use crate::config::{RunConfig, default_output};
use crate::error::{Error, Result};
use crate::export::{self, Format, ReportInput, write_report};
use crate::media::Tools;
use crate::pipeline;
use crate::story::{MANIFEST, Manifest};
use crate::timeline::TIMELINE;
use crate::workdir::{Reporter, Stage, WorkDir, default_work_dir};

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
    let manifest = cfg.manifest.clone().unwrap_or_else(|| outcome.work_dir.join(MANIFEST));
    if cfg.review {
        reporter.note(&format!(
            "review the cut list: {}\nthen render it (after any edits) with:\n  {}",
            manifest.display(),
            render_command(args, &cfg, &manifest),
        ));
    } else if cfg.until < Stage::Conform {
        reporter.note(&format!(
            "stopped after stage {} as asked (--until); run without --until to continue",
            cfg.until
        ));
        if !args.export.is_empty() {
            reporter.note("no cut list exported: nothing is rendered yet (--export needs the render)");
        }
    } else {
        reporter.note(&format!("trailer: {}", cfg.output.display()));
        hand_off(args, &cfg, &tools, &manifest, cancel, &mut reporter)?;
    }
    Ok(())
}

/// After a render: the cut list for an editor when asked, and the report unless told not to.
fn hand_off(
    args: &Args,
    cfg: &RunConfig,
    tools: &Tools,
    manifest_path: &Path,
    cancel: &Cancel,
    reporter: &mut impl Reporter,
) -> Result<()> {
    if !args.export.is_empty() {
        let exported = Manifest::load(manifest_path, None).and_then(|manifest| {
            let tl = export::load_timeline(&cfg.work_dir, &manifest, manifest_path)?;
            let cl = export::cut_list(tools, &cfg.work_dir, &tl, &manifest, &cfg.source, cancel)?;
            export::write(&cl, &args.export, &cfg.output)
        });
        match exported {
            Ok(paths) => paths
                .iter()
                .for_each(|p| reporter.note(&format!("cut list: {}", p.display()))),
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            Err(e) => {
                // The run failed, but not the trailer: say so, and how to export without rendering again.
                reporter.note(&format!(
                    "the trailer is complete, but its cut list was not written; once fixed, export it with:\n  {}",
                    export_command(manifest_path, &args.export, cfg)
                ));
                return Err(e);
            }
        }
    }
    if args.no_report {
        return Ok(());
    }
    let export_formats = if args.export.is_empty() {
        &Format::ALL[..]
    } else {
        &args.export[..]
    };
    let input = ReportInput {
        work_dir: &cfg.work_dir,
        manifest: manifest_path,
        trailer: &cfg.output,
        analyzer: analyzer(cfg),
        commands: vec![
            (
                "Render again after editing the manifest".into(),
                render_command(args, cfg, manifest_path),
            ),
            (
                "Export the cut list for an editor (Resolve, Premiere, Final Cut, Avid)".into(),
                export_command(manifest_path, export_formats, cfg),
            ),
        ],
    };
    // The trailer is made: a report that fails is a warning, not a failed run.
    match write_report(&input, tools, cancel) {
        Ok(page) => reporter.note(&format!("report: {}", page.display())),
        Err(Error::Interrupted) => return Err(Error::Interrupted),
        Err(e) => reporter.note(&format!("warning: the report was not written: {e}")),
    }
    Ok(())
}

/// Who described the film, in words, for the report.
fn analyzer(cfg: &RunConfig) -> String {
    let model = |name: &Option<String>, what: &str, url: &str| {
        format!("{} on {url} ({what})", name.as_deref().unwrap_or("the server's model"))
    };
    match &cfg.model {
        Some(m) => {
            let mut parts = Vec::new();
            if cfg.vision {
                parts.push(model(&m.vision_model, "keyframes", &m.base_url));
            } else {
                parts.push("built-in image analysis (keyframes)".to_string());
            }
            if m.text_model.is_some() {
                parts.push(model(&m.text_model, "turning points", &m.base_url));
            }
            parts.join("; ")
        }
        None => "built-in image and sound analysis (no model)".into(),
    }
}

/// The command that renders `manifest` again, with the options this run needed that the manifest does not hold.
fn render_command(args: &Args, cfg: &RunConfig, manifest: &Path) -> String {
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
    command
}

fn export_command(manifest: &Path, formats: &[Format], cfg: &RunConfig) -> String {
    let names: Vec<_> = formats.iter().map(|f| f.name()).collect();
    let mut command = format!(
        "cinecut export {} --format {}",
        shell_word(&manifest.to_string_lossy()),
        names.join(",")
    );
    if manifest.parent() != Some(cfg.work_dir.as_path()) && cfg.work_dir != default_work_dir(&cfg.source) {
        command.push_str(&format!(" --work-dir {}", shell_word(&cfg.work_dir.to_string_lossy())));
    }
    if cfg.output != default_output(&cfg.source, cfg.vibe.name) {
        command.push_str(&format!(" -o {}", shell_word(&cfg.output.to_string_lossy())));
    }
    command
}

/// `cinecut export`: the cut list of a rendered manifest, for an editor.
pub fn run_export(args: &ExportArgs, cancel: &Cancel, mut reporter: impl Reporter) -> Result<Vec<PathBuf>> {
    let tools = Tools::locate()?;
    let manifest_path = std::path::absolute(&args.manifest).map_err(|e| Error::io(&args.manifest, "bad path", e))?;
    if !manifest_path.is_file() {
        return Err(Error::bad_input(
            &manifest_path,
            "no such manifest",
            "pass the TRAILER_MANIFEST.json of a rendered trailer (it is in the trailer's work dir)",
        ));
    }
    let manifest = Manifest::load(&manifest_path, None)?;
    let source = manifest_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(&manifest.source_file);
    let work_dir = match &args.work_dir {
        Some(w) => std::path::absolute(w).map_err(|e| Error::io(w, "bad work-dir path", e))?,
        None => match manifest_path.parent() {
            Some(dir) if dir.join(TIMELINE).is_file() => dir.to_path_buf(),
            _ => default_work_dir(&source),
        },
    };
    if !source.is_file() {
        return Err(Error::bad_input(
            &manifest_path,
            format!("its source_file {} is not there any more", source.display()),
            "move the film back, or set source_file in the manifest to where it is now",
        ));
    }
    // Held while reading, so a render running there now cannot change the timeline under the export (a work
    // dir that is not there is load_timeline's error, not one to create).
    let _lock = work_dir.is_dir().then(|| WorkDir::open(&work_dir)).transpose()?;
    let tl = export::load_timeline(&work_dir, &manifest, &manifest_path)?;
    let cl = export::cut_list(&tools, &work_dir, &tl, &manifest, &source, cancel)?;
    let base = match &args.output {
        Some(o) => std::path::absolute(o).map_err(|e| Error::io(o, "bad output path", e))?,
        None => default_output(&source, &tl.vibe),
    };
    let written = export::write(&cl, &args.format, &base)?;
    for path in &written {
        reporter.note(&format!("cut list: {}", path.display()));
    }
    Ok(written)
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
    if args.preset != crate::render::DEFAULT_PRESET {
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
