//! Tesseract OCR at the edge, run like FFmpeg: located once (`CINECUT_TESSERACT`, else `tesseract` on PATH),
//! started through the one process wrapper, its TSV output parsed. It is optional: without it, overlay text is
//! judged on the picture alone (`ingest::overlay`).
//!
//! Images go in one run as a list file (Tesseract reads each line as an image), so a film's few dozen
//! candidates cost one start-up. The page segmentation is "sparse text" (`--psm 11`): credits and captions are
//! scattered lines, not a page.

use std::path::{Path, PathBuf};

use super::process::FfCommand;
use crate::cancel::Cancel;
use crate::error::{IoContext, Result};

const ENV: &str = "CINECUT_TESSERACT";

#[derive(Debug, Clone)]
pub struct Ocr {
    program: PathBuf,
}

impl Ocr {
    /// `CINECUT_TESSERACT` if it names a file, else `tesseract` on PATH; `None` when neither.
    pub fn locate() -> Option<PathBuf> {
        match std::env::var_os(ENV).filter(|v| !v.is_empty()) {
            Some(p) => Some(PathBuf::from(p)).filter(|p| p.is_file()),
            None => super::tools::find_in_path("tesseract"),
        }
    }

    pub fn new(program: PathBuf) -> Ocr {
        Ocr { program }
    }

    /// The words read on each of `images` (grey PGM files), in order, each with Tesseract's confidence (0–100).
    /// `scratch` is a folder for the list file.
    pub fn read(&self, images: &[PathBuf], scratch: &Path, cancel: &Cancel) -> Result<Vec<Vec<(String, f32)>>> {
        if images.is_empty() {
            return Ok(vec![]);
        }
        let list = scratch.join("images.txt");
        let text: String = images.iter().map(|p| format!("{}\n", p.display())).collect();
        std::fs::write(&list, text).at(&list, "cannot write")?;
        let tsv = FfCommand::tool(self.program.clone(), "reading text on screen (Tesseract)")
            .arg(list.as_os_str())
            .args(["stdout", "--psm", "11", "-l", "eng", "tsv"])
            // One thread: Tesseract's OpenMP threads spin against each other and FFmpeg (4x slower here).
            .env("OMP_THREAD_LIMIT", "1")
            .output_bytes(cancel)?;
        Ok(parse_tsv(&String::from_utf8_lossy(&tsv), images.len()))
    }
}

/// Tesseract's TSV: one row per layout element; level 5 rows are words, with their page (image), confidence
/// and text.
fn parse_tsv(tsv: &str, pages: usize) -> Vec<Vec<(String, f32)>> {
    let mut out = vec![Vec::new(); pages];
    for line in tsv.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 12 || f[0] != "5" {
            continue;
        }
        let (Ok(page), Ok(conf)) = (f[1].parse::<usize>(), f[10].parse::<f32>()) else {
            continue;
        };
        let word = f[11].trim();
        if page >= 1 && page <= pages && conf >= 0.0 && !word.is_empty() {
            out[page - 1].push((word.to_string(), conf));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_come_from_level_five_rows_by_page() {
        let tsv = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext\n\
                   1\t1\t0\t0\t0\t0\t0\t0\t100\t50\t-1\t\n\
                   5\t1\t1\t1\t1\t1\t10\t10\t20\t10\t95.53\t40\n\
                   5\t1\t1\t1\t1\t2\t40\t10\t40\t10\t96.7\tYEARS\n\
                   5\t2\t1\t1\t1\t1\t5\t5\t20\t10\t21.6\t|\n\
                   5\t3\t1\t1\t1\t1\t5\t5\t20\t10\t-1\t \n";
        let pages = parse_tsv(tsv, 3);
        assert_eq!(pages[0], vec![("40".to_string(), 95.53), ("YEARS".to_string(), 96.7)]);
        assert_eq!(pages[1], vec![("|".to_string(), 21.6)]);
        assert!(pages[2].is_empty());
    }
}
