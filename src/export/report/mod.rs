//! The HTML report, `report/index.html` in the work dir: what was chosen and why, with pictures. One
//! self-contained page (CSS inline, charts as inline SVG, thumbnails as JPEGs beside it, no script, nothing
//! fetched from the network) that a user opens after a run to review the cut before editing the manifest.
//!
//! - `data`: the work dir's files, loaded into one plain struct (only the manifest and timeline are required).
//! - `page`: what the page says (facts, cards, money shots, the charts' inputs): pure.
//! - `charts`: the two timelines as SVG: pure.
//! - `loudness`: the final mix's loudness curve, from `sound/master.wav`.
//! - `thumbs`, `credit`: the FFmpeg edge (one decode of the trailer; one ffprobe of the film's tags).
//! - `index.html`: the minijinja template. Its name ends in `.html`, so every value is HTML-escaped unless it is
//!   marked safe; only the two SVGs are, and they escape their own text.
//!
//! The report is built in a temp dir inside the work dir and renamed into place, so `report/` is always a
//! complete old report or a complete new one, and a failure leaves no temp dir behind.

mod charts;
mod credit;
mod data;
mod loudness;
mod page;
mod thumbs;

use std::path::{Path, PathBuf};
use std::time::Instant;

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value, context};

use crate::cancel::Cancel;
use crate::error::{Error, IoContext, Result};
use crate::media::Tools;
use crate::workdir::sync_dir;

/// The report's folder in the work dir.
pub const REPORT_DIR: &str = "report";
const PAGE: &str = "index.html";
const TEMPLATE: &str = include_str!("index.html");
/// Prefixes of the temp dirs `write` makes beside `report/`; a killed run's leftovers are swept by the next.
const PART_PREFIX: &str = "report.part-";
const OLD_PREFIX: &str = "report.old-";

/// What the report needs besides the work dir's files.
pub struct ReportInput<'a> {
    pub work_dir: &'a Path,
    /// The manifest the trailer was rendered from.
    pub manifest: &'a Path,
    /// The rendered trailer (thumbnails come from it, so they show the grade).
    pub trailer: &'a Path,
    /// Who described the keyframes, in words ("built-in image analysis", "qwen2-vl on http://…").
    pub analyzer: String,
    /// Commands to show, as (what it does, the shell command).
    pub commands: Vec<(String, String)>,
}

/// Write `report/index.html` (and its images) into the work dir; returns the page's path.
pub fn write(input: &ReportInput, tools: &Tools, cancel: &Cancel) -> Result<PathBuf> {
    let work_dir = input.work_dir;
    let data = data::WorkData::load(work_dir, input.manifest)?;
    sweep_leftovers(work_dir);
    // Probing first makes a missing or unreadable trailer a clear error before any work, and gives its size.
    let trailer = crate::media::probe(tools, input.trailer, cancel)?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(PART_PREFIX);
    // tempfile makes private (0700) folders; the report gets the usual umask-derived mode like any folder.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o777));
    }
    let part = builder
        .tempdir_in(work_dir)
        .at(work_dir, "cannot create the report's temp folder")?;

    let started = Instant::now();
    let picks = thumbs::picks(&data.timeline);
    let pictures = thumbs::extract(tools, input.trailer, &picks, part.path(), cancel)?;
    tracing::debug!(
        "report: {} thumbnails in {:.2} s",
        pictures.len(),
        started.elapsed().as_secs_f64()
    );
    let film = data.manifest.resolve_source(input.manifest);
    let extras = page::Extras {
        analyzer: &input.analyzer,
        commands: &input.commands,
        trailer_size: trailer.video().and_then(|v| v.display_size()),
        credit: credit::film_credit(tools, &film, cancel),
        pictures: &pictures,
    };
    let html = render(&data, &extras)?;
    let page_path = part.path().join(PAGE);
    std::fs::write(&page_path, html).at(&page_path, "cannot write the report")?;
    cancel.check()?;
    replace_dir(part, &work_dir.join(REPORT_DIR))?;
    Ok(work_dir.join(REPORT_DIR).join(PAGE))
}

/// The page as text.
fn render(data: &data::WorkData, extras: &page::Extras) -> Result<String> {
    let page = page::build(data, extras);
    let film_svg = charts::film_timeline(&page::film_chart(data));
    let trailer_svg = charts::trailer_timeline(&page::trailer_chart(data));
    let mut env = Environment::new();
    // A typo in the template fails the tests instead of printing nothing.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_template(PAGE, TEMPLATE).map_err(template_error)?;
    env.get_template(PAGE)
        .and_then(|t| {
            t.render(context! {
                page => Value::from(Serde(&page)),
                film_svg => Value::from_safe_string(film_svg),
                trailer_svg => Value::from_safe_string(trailer_svg),
            })
        })
        .map_err(template_error)
}

fn template_error(e: minijinja::Error) -> Error {
    Error::Runtime(format!("the report's template failed (a bug): {e:#}"))
}

/// Put the finished `part` dir at `dest`: the old report moves aside into a temp dir (deleted when it drops), the
/// new one is renamed in. If that rename fails, the old report goes back.
fn replace_dir(part: tempfile::TempDir, dest: &Path) -> Result<()> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    let old = tempfile::Builder::new()
        .prefix(OLD_PREFIX)
        .tempdir_in(parent)
        .at(parent, "cannot create the report's temp folder")?;
    let aside = old.path().join(REPORT_DIR);
    let had_old = dest.exists();
    if had_old {
        std::fs::rename(dest, &aside).at(dest, "cannot move the old report aside")?;
    }
    if let Err(e) = std::fs::rename(part.path(), dest) {
        if had_old {
            let _ = std::fs::rename(&aside, dest);
        }
        return Err(Error::io(dest, "cannot move the new report into place", e));
    }
    // The rename consumed the temp dir: nothing is left for `part` to delete.
    let _ = part.keep();
    sync_dir(parent).at(parent, "cannot sync the work dir")?;
    Ok(())
}

/// Remove temp dirs a killed run left beside `report/` (ours only, by prefix). Errors are ignored: a leftover
/// wastes space but nothing reads it.
fn sweep_leftovers(work_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(work_dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if (name.starts_with(PART_PREFIX) || name.starts_with(OLD_PREFIX)) && e.path().is_dir() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacing_keeps_the_new_report_and_leaves_no_temp_dir() {
        let d = tempfile::tempdir().unwrap();
        let dest = d.path().join(REPORT_DIR);
        for text in ["one", "two"] {
            let part = tempfile::Builder::new()
                .prefix(PART_PREFIX)
                .tempdir_in(d.path())
                .unwrap();
            std::fs::write(part.path().join(PAGE), text).unwrap();
            replace_dir(part, &dest).unwrap();
            assert_eq!(std::fs::read_to_string(dest.join(PAGE)).unwrap(), text);
        }
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec![REPORT_DIR]);
    }

    #[test]
    fn the_template_escapes_what_it_is_given() {
        let env = {
            let mut env = Environment::new();
            env.add_template(PAGE, "<p>{{ t }}</p>{{ s }}").unwrap();
            env
        };
        let out = env
            .get_template(PAGE)
            .unwrap()
            .render(context! { t => "</title><script>alert(1)</script> & \"x\"", s => Value::from_safe_string("<svg/>".into()) })
            .unwrap();
        assert_eq!(
            out,
            "<p>&lt;&#x2f;title&gt;&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; &quot;x&quot;</p><svg/>"
        );
    }
}
