//! A compact store for per-frame and per-block signals: `NAME.bin` holds little-endian f32 rows, `NAME.json` the
//! header (column names, rate, row count). Written row by row as the decode goes, so memory stays flat however
//! long the film is, and published atomically (the `.bin` as a part file, the header last).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, IoContext, Result};
use crate::workdir::{PartFile, WorkDir};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ColumnsHeader {
    pub columns: Vec<String>,
    /// Rows per second: row `i` describes time `i / rate_hz`.
    pub rate_hz: f64,
    pub rows: u64,
}

impl ColumnsHeader {
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }
}

pub(super) struct ColumnsWriter {
    rel: String,
    part: PartFile,
    out: BufWriter<File>,
    header: ColumnsHeader,
}

impl ColumnsWriter {
    /// Start `analysis/frames` (→ `analysis/frames.bin` + `analysis/frames.json`).
    pub(super) fn create(work: &WorkDir, rel: &str, columns: &[&str], rate_hz: f64) -> Result<Self> {
        let part = PartFile::new(work.path(format!("{rel}.bin")));
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(part.part_path())
            .at(part.part_path(), "cannot create")?;
        Ok(ColumnsWriter {
            rel: rel.to_string(),
            part,
            out: BufWriter::with_capacity(1 << 16, file),
            header: ColumnsHeader {
                columns: columns.iter().map(|c| c.to_string()).collect(),
                rate_hz,
                rows: 0,
            },
        })
    }

    pub(super) fn push(&mut self, row: &[f32]) -> Result<()> {
        debug_assert_eq!(row.len(), self.header.columns.len());
        for v in row {
            self.out
                .write_all(&v.to_le_bytes())
                .at(self.part.part_path(), "cannot write")?;
        }
        self.header.rows += 1;
        Ok(())
    }

    pub(super) fn rows(&self) -> u64 {
        self.header.rows
    }

    /// Overwrite one value of an already written row (rare fix-ups, e.g. motion at a detected cut).
    pub(super) fn patch(&mut self, row: u64, column: usize, value: f32) -> Result<()> {
        let offset = self.offset(row, column)?;
        let path = self.part.part_path().to_path_buf();
        self.out
            .get_ref()
            .write_all_at(&value.to_le_bytes(), offset)
            .at(&path, "cannot write")
    }

    /// Read back one value of an already written row.
    pub(super) fn value(&mut self, row: u64, column: usize) -> Result<f32> {
        let offset = self.offset(row, column)?;
        let path = self.part.part_path().to_path_buf();
        let mut b = [0u8; 4];
        self.out
            .get_ref()
            .read_exact_at(&mut b, offset)
            .at(&path, "cannot read")?;
        Ok(f32::from_le_bytes(b))
    }

    /// Byte offset of a value, after flushing buffered rows so the file holds it.
    fn offset(&mut self, row: u64, column: usize) -> Result<u64> {
        self.out.flush().at(self.part.part_path(), "cannot write")?;
        Ok((row * self.header.columns.len() as u64 + column as u64) * 4)
    }

    pub(super) fn finish(self, work: &WorkDir) -> Result<ColumnsHeader> {
        let path = self.part.part_path().to_path_buf();
        self.out
            .into_inner()
            .map_err(|e| Error::io(&path, "cannot write", e.into_error()))?;
        self.part.commit()?;
        work.write_json(&format!("{}.json", self.rel), &self.header)?;
        Ok(self.header)
    }
}

/// Read a column file back, row by row.
pub(crate) struct ColumnsReader {
    pub header: ColumnsHeader,
    input: BufReader<File>,
    buf: Vec<u8>,
}

impl ColumnsReader {
    pub(crate) fn open(work_dir: &Path, rel: &str) -> Result<Self> {
        let hp = work_dir.join(format!("{rel}.json"));
        let header: ColumnsHeader = serde_json::from_slice(&std::fs::read(&hp).at(&hp, "cannot read")?)
            .map_err(|e| Error::Runtime(format!("{}: damaged ({e}); re-run with --fresh", hp.display())))?;
        let bp = work_dir.join(format!("{rel}.bin"));
        let file = File::open(&bp).at(&bp, "cannot read")?;
        let expect = header.rows * header.columns.len() as u64 * 4;
        let len = file.metadata().at(&bp, "cannot read")?.len();
        if len != expect {
            return Err(Error::Runtime(format!(
                "{}: {len} bytes where the header promises {expect}; re-run with --fresh",
                bp.display()
            )));
        }
        let width = header.columns.len();
        Ok(ColumnsReader {
            header,
            input: BufReader::with_capacity(1 << 16, file),
            buf: vec![0; width * 4],
        })
    }

    /// The next row into `row` (resized to the column count); false at the end.
    pub(crate) fn next_row(&mut self, row: &mut Vec<f32>) -> Result<bool> {
        match self.input.read_exact(&mut self.buf) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
            Err(e) => return Err(Error::Runtime(format!("reading analysis rows failed: {e}"))),
        }
        row.clear();
        row.extend(
            self.buf
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
        Ok(true)
    }
}

/// The mean of each named column over every whole second of film time, for `seconds` seconds (row `i` is at
/// `offset_s + i / rate_hz`). A second with no rows repeats the one before it.
pub(crate) fn per_second(
    work_dir: &Path,
    rel: &str,
    names: &[&str],
    offset_s: f64,
    seconds: usize,
) -> Result<Vec<Vec<f32>>> {
    let mut reader = ColumnsReader::open(work_dir, rel)?;
    let cols: Vec<usize> = names
        .iter()
        .map(|n| {
            reader.header.column(n).ok_or_else(|| {
                Error::Runtime(format!(
                    "{rel}: no column '{n}'; re-run with --fresh to redo the analysis"
                ))
            })
        })
        .collect::<Result<_>>()?;
    let rate = reader.header.rate_hz;
    let n = seconds.max(1);
    let mut sums = vec![vec![0f64; n]; cols.len()];
    let mut counts = vec![0u32; n];
    let (mut row, mut i) = (Vec::new(), 0u64);
    while reader.next_row(&mut row)? {
        let sec = ((offset_s + i as f64 / rate).max(0.0) as usize).min(n - 1);
        for (k, &c) in cols.iter().enumerate() {
            sums[k][sec] += row[c] as f64;
        }
        counts[sec] += 1;
        i += 1;
    }
    Ok(sums
        .into_iter()
        .map(|col| {
            let mut last = 0f32;
            col.iter()
                .zip(&counts)
                .map(|(&s, &c)| {
                    if c > 0 {
                        last = (s / c as f64) as f32;
                    }
                    last
                })
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_patch_read_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let work = WorkDir::open(dir.path()).unwrap();
        work.subdir("analysis").unwrap();
        let mut w = ColumnsWriter::create(&work, "analysis/t", &["a", "b"], 24.0).unwrap();
        for i in 0..1000 {
            w.push(&[i as f32, -(i as f32)]).unwrap();
        }
        w.patch(10, 1, 42.0).unwrap();
        assert_eq!(w.value(10, 1).unwrap(), 42.0);
        assert_eq!(w.value(999, 0).unwrap(), 999.0);
        w.push(&[1000.0, 0.0]).unwrap();
        let h = w.finish(&work).unwrap();
        assert_eq!(h.rows, 1001);
        let mut r = ColumnsReader::open(dir.path(), "analysis/t").unwrap();
        assert_eq!(r.header, h);
        let mut row = Vec::new();
        let mut n = 0;
        while r.next_row(&mut row).unwrap() {
            let want_b = if n == 10 { 42.0 } else { -(n as f32) };
            assert_eq!(row, vec![n as f32, if n == 1000 { 0.0 } else { want_b }]);
            n += 1;
        }
        assert_eq!(n, 1001);
    }
}
