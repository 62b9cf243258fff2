//! Text on screen, measured per proxy frame (2 fps, 480 px high, grey) during the single analysis pass. Pure: a
//! frame in, a `TextFrame` out; the span finding and reading are in `overlay.rs`.
//!
//! Overlay text (credits, captions, a title, burned-in subtitles) is laid over the picture by its makers, so it
//! is sharp, dense in edges both ways (strokes and their ends), set in horizontal lines with quiet margins, and
//! still while the picture under it moves (or slides up at a constant speed, for a roll). Text in the world (a
//! sign, a screen, a newspaper) moves with the picture. The measure, on 8×8-pixel cells:
//!
//! 1. Edges: a pixel is an edge where the grey changes by more than `EDGE` across it, horizontally or vertically.
//!    A cell is *busy* with at least `BUSY_X` horizontal-gradient and `BUSY_Y` vertical-gradient edges (strokes
//!    have both; a horizon or a pole has one).
//! 2. Still: a busy cell whose edge pixels are at least `STILL` the same pixels as in the frame before. When
//!    little is still but much is busy, the frame is searched for a vertical slide (a roll): then a busy cell is
//!    still if its edges match the frame before shifted by that slide.
//! 3. Lines: the still cells, gaps of up to two cells in a row closed (word spaces), grouped into connected
//!    components. A component is a text line (or a block of lines) when it is at least 3 cells wide, wider than
//!    high by half again, at most `MAX_LINE_CELLS` high, filled to `MIN_FILL`, not a quarter of the frame, and
//!    mostly quiet around: at most `RING` of the cells around it are still too (a still texture of a locked-off
//!    shot fails this; text over moving footage passes).
//!
//! Per frame it reports, for its main group of lines (the largest and those near it), the share of the
//! frame they cover, their bounding box, how many there are and their
//! median height, the slide (share of the frame height per second, up is positive), and, outside the lines, how
//! flat the ground is and how much it changed since the frame before. Known limit: a caption on a still, busy
//! ground (a locked-off shot of foliage) is not seen; a caption over moving footage or a flat ground is.

use std::io::Read;

/// Measure every `w`×`h` grey frame read from `frames` (FFmpeg's raw output) until it ends: one row a frame.
pub(crate) fn measure(mut frames: impl Read, w: usize, h: usize, fps: f64) -> std::io::Result<Vec<[f32; 10]>> {
    let mut detector = TextDetector::new(w, h, fps);
    let mut buf = vec![0u8; detector.frame_len()];
    let mut rows = Vec::new();
    loop {
        match frames.read_exact(&mut buf) {
            Ok(()) => rows.push(detector.push(&buf).to_row()),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(rows),
            Err(e) => return Err(e),
        }
    }
}

/// Grey levels (of 255) across a pixel that make it an edge: glyph edges are sharp and high-contrast.
const EDGE: u8 = 48;
/// Edge pixels (of 64) a busy cell has, across (vertical strokes) and along (horizontal strokes) the rows.
const BUSY_X: u16 = 6;
const BUSY_Y: u16 = 3;
/// Share of a busy cell's edge pixels that must be the same as in the frame before for it to be still.
const STILL: f32 = 0.7;
/// The cell side in pixels.
const CELL: usize = 8;
/// A text line (or block of lines) is at most this many cells high (96 px of the 480 px proxy).
const MAX_LINE_CELLS: usize = 12;
/// A line's cells fill at least this share of its box (large type has quiet cells inside its strokes).
const MIN_FILL: f32 = 0.3;
/// At most this share of the cells around a line may be still too.
const RING: f32 = 0.35;
/// A roll is looked for up to this many pixels per frame (2 fps: 128 px/s of a 480 px frame).
const MAX_SLIDE: usize = 64;
/// Share of the busy cells' edges a slide must explain to count as a roll.
const SLIDE_MATCH: f32 = 0.5;

/// The names of the columns `analysis/text.json` stores, in `TextFrame::to_row` order.
pub(crate) const COLUMNS: &[&str] = &[
    "text_share",
    "x0",
    "y0",
    "x1",
    "y1",
    "lines",
    "line_height",
    "slide",
    "flat",
    "change",
];

/// The text on one frame (all sizes as shares of the frame's width or height).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct TextFrame {
    /// Share of the frame's cells inside text lines.
    pub share: f32,
    /// The lines' bounding box, left, top, right, bottom; all 0 without text.
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    /// Text lines (or blocks) found.
    pub lines: f32,
    /// Their median height.
    pub line_height: f32,
    /// The text slides up by this share of the frame height per second (a roll); 0 when still.
    pub slide: f32,
    /// Outside the lines: the share of cells with (almost) no edge, and the mean change of the cells' grey since
    /// the frame before (of 255).
    pub flat: f32,
    pub change: f32,
}

impl TextFrame {
    pub(crate) fn to_row(self) -> [f32; 10] {
        [
            self.share,
            self.x0,
            self.y0,
            self.x1,
            self.y1,
            self.lines,
            self.line_height,
            self.slide,
            self.flat,
            self.change,
        ]
    }

    pub(crate) fn from_row(r: &[f32]) -> TextFrame {
        TextFrame {
            share: r[0],
            x0: r[1],
            y0: r[2],
            x1: r[3],
            y1: r[4],
            lines: r[5],
            line_height: r[6],
            slide: r[7],
            flat: r[8],
            change: r[9],
        }
    }
}

/// Per-cell counts of one frame.
#[derive(Debug, Clone, Default)]
struct Cells {
    across: Vec<u16>,
    along: Vec<u16>,
    /// Edge pixels, and of them those that were edges in the frame before too.
    edges: Vec<u16>,
    same: Vec<u16>,
    /// Mean grey.
    mean: Vec<f32>,
}

/// Measures frame after frame of one size; keeps what the next frame is compared with.
pub(crate) struct TextDetector {
    w: usize,
    h: usize,
    fps: f64,
    cols: usize,
    rows: usize,
    /// Edge pixels of the frame before (1 = edge).
    prev: Vec<u8>,
    prev_mean: Vec<f32>,
    edges: Vec<u8>,
}

impl TextDetector {
    pub(crate) fn new(w: usize, h: usize, fps: f64) -> TextDetector {
        TextDetector {
            w,
            h,
            fps,
            cols: w / CELL,
            rows: h / CELL,
            prev: Vec::new(),
            prev_mean: Vec::new(),
            edges: vec![0; w * h],
        }
    }

    /// Bytes of one grey frame.
    pub(crate) fn frame_len(&self) -> usize {
        self.w * self.h
    }

    pub(crate) fn push(&mut self, grey: &[u8]) -> TextFrame {
        debug_assert_eq!(grey.len(), self.w * self.h);
        let cells = self.cells(grey);
        let first = self.prev.is_empty();
        let busy: Vec<bool> = (0..cells.edges.len())
            .map(|i| cells.across[i] >= BUSY_X && cells.along[i] >= BUSY_Y)
            .collect();
        let mut out = TextFrame::default();
        if !first {
            let mut still: Vec<bool> = (0..busy.len())
                .map(|i| busy[i] && cells.same[i] as f32 >= STILL * cells.edges[i] as f32)
                .collect();
            let (nb, ns) = (count(&busy), count(&still));
            if nb >= 6
                && (ns as f32) < 0.5 * nb as f32
                && let Some(dy) = self.slide(&busy)
            {
                still = self.still_after_slide(&busy, &cells, dy);
                out.slide = (dy as f64 * self.fps / self.h as f64) as f32;
            }
            self.lines(&still, &cells, &mut out);
        }
        std::mem::swap(&mut self.prev, &mut self.edges);
        if self.edges.len() != self.w * self.h {
            self.edges = vec![0; self.w * self.h];
        }
        self.prev_mean = cells.mean;
        out
    }

    /// One pass over the pixels: edges, their counts per cell, and the cells' mean grey. Row by row, in flat
    /// loops the compiler vectorises (this runs on every proxy frame, beside the decode).
    fn cells(&mut self, g: &[u8]) -> Cells {
        let (w, h, cols, rows) = (self.w, self.h, self.cols, self.rows);
        let n = cols * rows;
        let mut c = Cells {
            across: vec![0; n],
            along: vec![0; n],
            edges: vec![0; n],
            same: vec![0; n],
            mean: vec![0.0; n],
        };
        let has_prev = !self.prev.is_empty();
        let mut sums = vec![0u32; n];
        let (mut gx, mut gy) = (vec![0u8; w], vec![0u8; w]);
        for y in 0..rows * CELL {
            let row = &g[y * w..(y + 1) * w];
            let up = &g[y.saturating_sub(1) * w..][..w];
            let down = &g[(y + 1).min(h - 1) * w..][..w];
            for ((o, l), r) in gx[1..w - 1].iter_mut().zip(&row[..w - 2]).zip(&row[2..]) {
                *o = (l.abs_diff(*r) > EDGE) as u8;
            }
            for ((o, u), d) in gy.iter_mut().zip(up).zip(down) {
                *o = (u.abs_diff(*d) > EDGE) as u8;
            }
            let edges = &mut self.edges[y * w..(y + 1) * w];
            for ((e, a), b) in edges.iter_mut().zip(&gx).zip(&gy) {
                *e = a | b;
            }
            let base = (y / CELL) * cols;
            for k in 0..cols {
                let span = k * CELL..(k + 1) * CELL;
                let sum = |v: &[u8]| v.iter().map(|&x| x as u16).sum::<u16>();
                c.across[base + k] += sum(&gx[span.clone()]);
                c.along[base + k] += sum(&gy[span.clone()]);
                c.edges[base + k] += sum(&edges[span.clone()]);
                if has_prev {
                    let prev = &self.prev[y * w + span.start..y * w + span.end];
                    c.same[base + k] += edges[span.clone()]
                        .iter()
                        .zip(prev)
                        .map(|(a, b)| (a & b) as u16)
                        .sum::<u16>();
                }
                sums[base + k] += row[span].iter().map(|&x| x as u32).sum::<u32>();
            }
        }
        let per_cell = (CELL * CELL) as f32;
        for (m, s) in c.mean.iter_mut().zip(&sums) {
            *m = *s as f32 / per_cell;
        }
        c
    }

    /// The vertical slide (pixels up per frame) that best explains the busy cells' edges by the frame before,
    /// if one explains enough of them: first in whole cells, then to the pixel.
    fn slide(&self, busy: &[bool]) -> Option<usize> {
        let (cols, rows) = (self.cols, self.rows);
        let total: usize = count(busy);
        let coarse = (1..=MAX_SLIDE / CELL)
            .map(|d| {
                let matched = (0..rows.saturating_sub(d))
                    .flat_map(|r| (0..cols).map(move |c| (r, c)))
                    .filter(|&(r, c)| busy[r * cols + c] && self.prev_busy(r + d, c))
                    .count();
                (matched, d)
            })
            .max()?;
        if (coarse.0 as f32) < 0.3 * total as f32 {
            return None;
        }
        let lo = (coarse.1 * CELL).saturating_sub(CELL).max(2);
        let hi = (coarse.1 * CELL + CELL).min(MAX_SLIDE);
        let (best, dy) = (lo..=hi)
            .map(|dy| (self.matched_after(busy, dy), dy))
            .max_by(|a, b| a.0.total_cmp(&b.0))?;
        (best >= SLIDE_MATCH).then_some(dy)
    }

    /// Whether the frame before had a busy-looking cell at (r, c): enough edge pixels there.
    fn prev_busy(&self, r: usize, c: usize) -> bool {
        let mut n = 0;
        for y in r * CELL..(r + 1) * CELL {
            n += self.prev[y * self.w + c * CELL..][..CELL]
                .iter()
                .map(|&e| e as u32)
                .sum::<u32>();
        }
        n >= (BUSY_X + BUSY_Y) as u32
    }

    /// Share of the busy cells' edge pixels that were edges `dy` pixels lower in the frame before.
    fn matched_after(&self, busy: &[bool], dy: usize) -> f32 {
        let (mut edges, mut same) = (0u32, 0u32);
        for (k, _) in busy.iter().enumerate().filter(|(_, b)| **b) {
            let (r, c) = (k / self.cols, k % self.cols);
            for y in r * CELL..(r + 1) * CELL {
                if y + dy >= self.h {
                    continue;
                }
                for x in c * CELL..(c + 1) * CELL {
                    let e = self.edges[y * self.w + x] as u32;
                    edges += e;
                    same += e & self.prev[(y + dy) * self.w + x] as u32;
                }
            }
        }
        same as f32 / edges.max(1) as f32
    }

    /// Busy cells whose edges match the frame before moved by `dy`.
    fn still_after_slide(&self, busy: &[bool], cells: &Cells, dy: usize) -> Vec<bool> {
        let mut still = vec![false; busy.len()];
        for (k, s) in still.iter_mut().enumerate() {
            if !busy[k] {
                continue;
            }
            let (r, c) = (k / self.cols, k % self.cols);
            let mut same = 0u32;
            for y in r * CELL..((r + 1) * CELL).min(self.h.saturating_sub(dy)) {
                for x in c * CELL..(c + 1) * CELL {
                    same += (self.edges[y * self.w + x] & self.prev[(y + dy) * self.w + x]) as u32;
                }
            }
            *s = same as f32 >= STILL * cells.edges[k] as f32;
        }
        still
    }

    /// Text lines among the still cells, and the frame's numbers from them.
    fn lines(&self, still: &[bool], cells: &Cells, out: &mut TextFrame) {
        let (cols, rows) = (self.cols, self.rows);
        let closed = close_gaps(still, cols, 2);
        let lines: Vec<Component> = components(&closed, cols, rows)
            .into_iter()
            .filter(|c| {
                let (w, h) = (c.x1 - c.x0, c.y1 - c.y0);
                w >= 3
                    && w as f32 >= 1.5 * h as f32
                    && h <= MAX_LINE_CELLS
                    && c.cells as f32 >= MIN_FILL * (w * h) as f32
                    && (c.cells as f32) <= 0.25 * (cols * rows) as f32
                    && ring(&closed, cols, rows, c) <= RING
            })
            .collect();
        let lines = main_group(lines);
        let mut inside = vec![false; still.len()];
        for c in &lines {
            for r in c.y0..c.y1 {
                inside[r * cols + c.x0..r * cols + c.x1]
                    .iter_mut()
                    .for_each(|v| *v = true);
            }
        }
        let outside: Vec<usize> = (0..still.len()).filter(|&k| !inside[k]).collect();
        if !outside.is_empty() {
            let n = outside.len() as f32;
            out.flat = outside
                .iter()
                .filter(|&&k| cells.across[k] + cells.along[k] <= 1)
                .count() as f32
                / n;
            out.change = outside
                .iter()
                .map(|&k| (cells.mean[k] - self.prev_mean[k]).abs())
                .sum::<f32>()
                / n;
        }
        if lines.is_empty() {
            out.slide = 0.0;
            return;
        }
        let (fw, fh) = ((cols * CELL) as f32, (rows * CELL) as f32);
        out.share = lines.iter().map(|c| c.cells).sum::<usize>() as f32 / (cols * rows) as f32;
        out.x0 = lines.iter().map(|c| c.x0).min().unwrap_or(0) as f32 * CELL as f32 / fw;
        out.y0 = lines.iter().map(|c| c.y0).min().unwrap_or(0) as f32 * CELL as f32 / fh;
        out.x1 = lines.iter().map(|c| c.x1).max().unwrap_or(0) as f32 * CELL as f32 / fw;
        out.y1 = lines.iter().map(|c| c.y1).max().unwrap_or(0) as f32 * CELL as f32 / fh;
        out.lines = lines.len() as f32;
        let mut heights: Vec<usize> = lines.iter().map(|c| c.y1 - c.y0).collect();
        heights.sort_unstable();
        out.line_height = heights[heights.len() / 2] as f32 * CELL as f32 / fh;
    }
}

/// The frame's text is its main group of lines: the largest, and the lines near it (within twice the tallest
/// line's height, so a block's lines and a title's words join) of at least an eighth of its size. A speck
/// elsewhere does not stretch the box.
fn main_group(mut lines: Vec<Component>) -> Vec<Component> {
    let Some(i) = (0..lines.len()).max_by_key(|&i| lines[i].cells) else {
        return lines;
    };
    let largest = lines.swap_remove(i);
    let mut group = vec![largest];
    let mut rest: Vec<Component> = lines.into_iter().filter(|c| 8 * c.cells >= largest.cells).collect();
    loop {
        let reach = 2 * group.iter().map(|c| c.y1 - c.y0).max().unwrap_or(1);
        let (x0, y0) = (
            group.iter().map(|c| c.x0).min().unwrap_or(0),
            group.iter().map(|c| c.y0).min().unwrap_or(0),
        );
        let (x1, y1) = (
            group.iter().map(|c| c.x1).max().unwrap_or(0),
            group.iter().map(|c| c.y1).max().unwrap_or(0),
        );
        let near = |c: &Component| c.x0 <= x1 + reach && c.x1 + reach >= x0 && c.y0 <= y1 + reach && c.y1 + reach >= y0;
        let (joined, apart): (Vec<Component>, Vec<Component>) = rest.into_iter().partition(near);
        rest = apart;
        if joined.is_empty() {
            return group;
        }
        group.extend(joined);
    }
}

fn count(flags: &[bool]) -> usize {
    flags.iter().filter(|f| **f).count()
}

/// Within each row, gaps of up to `gap` cells between set cells are set too (the spaces between words).
fn close_gaps(cells: &[bool], cols: usize, gap: usize) -> Vec<bool> {
    let mut out = cells.to_vec();
    for row in out.chunks_mut(cols) {
        let set: Vec<usize> = (0..cols).filter(|&c| row[c]).collect();
        for pair in set.windows(2) {
            if pair[1] - pair[0] <= gap + 1 {
                row[pair[0]..pair[1]].iter_mut().for_each(|v| *v = true);
            }
        }
    }
    out
}

/// A connected group of set cells: its bounding box (cells, end exclusive) and size.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Component {
    x0: usize,
    y0: usize,
    x1: usize,
    y1: usize,
    cells: usize,
}

/// 4-connected components of the set cells.
fn components(cells: &[bool], cols: usize, rows: usize) -> Vec<Component> {
    let mut seen = vec![false; cells.len()];
    let mut out = Vec::new();
    let mut stack = Vec::new();
    for start in 0..cells.len() {
        if !cells[start] || seen[start] {
            continue;
        }
        seen[start] = true;
        stack.push(start);
        let mut c = Component {
            x0: usize::MAX,
            y0: usize::MAX,
            x1: 0,
            y1: 0,
            cells: 0,
        };
        while let Some(k) = stack.pop() {
            let (r, col) = (k / cols, k % cols);
            c.x0 = c.x0.min(col);
            c.y0 = c.y0.min(r);
            c.x1 = c.x1.max(col + 1);
            c.y1 = c.y1.max(r + 1);
            c.cells += 1;
            let mut visit = |n: usize| {
                if cells[n] && !seen[n] {
                    seen[n] = true;
                    stack.push(n);
                }
            };
            if col > 0 {
                visit(k - 1);
            }
            if col + 1 < cols {
                visit(k + 1);
            }
            if r > 0 {
                visit(k - cols);
            }
            if r + 1 < rows {
                visit(k + cols);
            }
        }
        out.push(c);
    }
    out
}

/// Share of the cells in the one-cell ring around `c` that are set.
fn ring(cells: &[bool], cols: usize, rows: usize, c: &Component) -> f32 {
    let (x0, y0) = (c.x0.saturating_sub(1), c.y0.saturating_sub(1));
    let (x1, y1) = ((c.x1 + 1).min(cols), (c.y1 + 1).min(rows));
    let (mut set, mut total) = (0, 0);
    for r in y0..y1 {
        for col in x0..x1 {
            let inner = r >= c.y0 && r < c.y1 && col >= c.x0 && col < c.x1;
            if !inner {
                total += 1;
                set += cells[r * cols + col] as usize;
            }
        }
    }
    set as f32 / total.max(1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 320;
    const H: usize = 160;

    /// A frame of noise (moving footage: a new seed every frame) with bright "glyphs" (thin bars) in a line.
    fn frame(seed: u64, text_at: Option<(usize, usize)>) -> Vec<u8> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut g: Vec<u8> = (0..W * H)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                // Footage: soft, mid-grey texture, below the edge threshold between neighbours.
                100 + (s % 20) as u8
            })
            .collect();
        if let Some((x0, y0)) = text_at {
            // 12 "letters", each a 2 px stroke box 8 wide 14 high, 4 px apart.
            for l in 0..12 {
                let lx = x0 + l * 12;
                for y in y0..y0 + 14 {
                    for x in lx..lx + 8 {
                        let edge = y < y0 + 2 || y >= y0 + 12 || x < lx + 2 || x >= lx + 6;
                        if edge {
                            g[y * W + x] = 250;
                        }
                    }
                }
            }
        }
        g
    }

    #[test]
    fn still_text_over_moving_footage_is_found_and_placed() {
        let mut d = TextDetector::new(W, H, 2.0);
        d.push(&frame(1, Some((40, 100))));
        let f = d.push(&frame(2, Some((40, 100))));
        assert!(f.share > 0.0, "{f:?}");
        assert!(f.x0 <= 40.0 / W as f32 && f.x1 >= 160.0 / W as f32, "{f:?}");
        assert!(f.y0 <= 100.0 / H as f32 && f.y1 >= 112.0 / H as f32, "{f:?}");
        assert_eq!(f.slide, 0.0);
    }

    #[test]
    fn text_that_moves_with_the_picture_is_not_overlay() {
        let mut d = TextDetector::new(W, H, 2.0);
        d.push(&frame(1, Some((20, 60))));
        let f = d.push(&frame(2, Some((60, 64))));
        assert_eq!(f.share, 0.0, "{f:?}");
    }

    #[test]
    fn a_roll_is_still_after_its_slide() {
        let mut d = TextDetector::new(W, H, 2.0);
        d.push(&frame(1, Some((40, 120))));
        let f = d.push(&frame(2, Some((40, 90))));
        assert!(f.share > 0.0, "{f:?}");
        assert!((f.slide - 30.0 * 2.0 / H as f32).abs() < 0.02, "{f:?}");
    }

    #[test]
    fn footage_alone_has_no_text() {
        let mut d = TextDetector::new(W, H, 2.0);
        for s in 0..4 {
            assert_eq!(d.push(&frame(s, None)).share, 0.0);
        }
    }
}
