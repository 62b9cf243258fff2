//! Per-frame signals, computed on the small analysis frames (128 px wide RGB) of the single decode.
//!
//! One pass over the pixels gives both what is stored for later stages (`FrameSignals`: brightness, contrast,
//! saturation, colourfulness, darkness, edge energy, a perceptual hash) and what the shot detector compares
//! between frames (`Descriptor`: luma plane and an HSV histogram).

/// Hue × saturation × value bins of the colour histogram.
const H_BINS: usize = 8;
const S_BINS: usize = 4;
const V_BINS: usize = 4;
pub(super) const HIST_BINS: usize = H_BINS * S_BINS * V_BINS;

/// A pixel at or below this luma (0–255) counts as black.
const DARK_LUMA: u8 = 26;

/// The columns of `analysis/frames.bin`, in order.
pub(super) const COLUMNS: &[&str] = &[
    "cut_score",
    "motion",
    "brightness",
    "contrast",
    "saturation",
    "colourfulness",
    "dark",
    "edges",
    "phash0",
    "phash1",
    "phash2",
    "phash3",
];
pub(super) const COL_MOTION: usize = 1;

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct FrameSignals {
    /// Content distance to the previous frame (what the shot detector thresholds), 0–1.
    pub cut_score: f32,
    /// Mean absolute luma change from the previous frame, 0–1 (set to the previous frame's value at cuts).
    pub motion: f32,
    /// Mean luma, 0–1.
    pub brightness: f32,
    /// Standard deviation of luma, 0–0.5.
    pub contrast: f32,
    /// Mean HSV saturation, 0–1.
    pub saturation: f32,
    /// Hasler & Süsstrunk colourfulness, scaled so 1.0 is "extremely colourful" (M = 109).
    pub colourfulness: f32,
    /// Share of pixels that are black.
    pub dark: f32,
    /// Mean absolute luma gradient, 0–1: texture, detail, text.
    pub edges: f32,
    /// 64-bit difference hash of the luma (for near-duplicate and uniqueness checks).
    pub phash: u64,
}

impl FrameSignals {
    /// The row stored in `frames.bin`. The hash goes as four 16-bit parts: f32 holds those exactly.
    pub(crate) fn to_row(&self) -> [f32; 12] {
        let h = self.phash;
        [
            self.cut_score,
            self.motion,
            self.brightness,
            self.contrast,
            self.saturation,
            self.colourfulness,
            self.dark,
            self.edges,
            (h & 0xffff) as f32,
            ((h >> 16) & 0xffff) as f32,
            ((h >> 32) & 0xffff) as f32,
            ((h >> 48) & 0xffff) as f32,
        ]
    }

    pub(crate) fn from_row(row: &[f32]) -> FrameSignals {
        let part = |i: usize| (row[i] as u64) & 0xffff;
        FrameSignals {
            cut_score: row[0],
            motion: row[1],
            brightness: row[2],
            contrast: row[3],
            saturation: row[4],
            colourfulness: row[5],
            dark: row[6],
            edges: row[7],
            phash: part(8) | part(9) << 16 | part(10) << 32 | part(11) << 48,
        }
    }
}

/// What the shot detector compares: the luma plane and a normalised colour histogram.
#[derive(Debug, Clone)]
pub(super) struct Descriptor {
    pub luma: Vec<u8>,
    pub hist: [f32; HIST_BINS],
    pub brightness: f32,
    pub contrast: f32,
}

impl Descriptor {
    /// Content distance in 0–1: mostly colour distribution (robust to motion), partly pixel change (catches
    /// cuts between shots of similar colour).
    pub(super) fn distance(&self, other: &Descriptor) -> f32 {
        let pix = mean_abs_diff(&self.luma, &other.luma) / 64.0;
        0.6 * self.hist_distance(other) + 0.4 * pix.min(1.0)
    }

    /// Colour-distribution distance only, 0–1: blind to motion within a shot.
    pub(super) fn hist_distance(&self, other: &Descriptor) -> f32 {
        self.hist
            .iter()
            .zip(&other.hist)
            .map(|(a, b)| (a - b).abs())
            .sum::<f32>()
            * 0.5
    }
}

/// Mean absolute difference of two equal planes, in luma units (0–255).
pub(super) fn mean_abs_diff(a: &[u8], b: &[u8]) -> f32 {
    if a.is_empty() || a.len() != b.len() {
        return 0.0;
    }
    let sum: u64 = a.iter().zip(b).map(|(x, y)| x.abs_diff(*y) as u64).sum();
    sum as f32 / a.len() as f32
}

/// Per quantised colour (5 bits a channel): its histogram bin and its HSV saturation (0–255). The pixel loop
/// then needs no division; the quantisation is far finer than the bins.
struct ColourLut {
    bin: Vec<u8>,
    sat: Vec<u8>,
}

fn lut() -> &'static ColourLut {
    static LUT: std::sync::OnceLock<ColourLut> = std::sync::OnceLock::new();
    LUT.get_or_init(|| {
        let mut bin = vec![0u8; 1 << 15];
        let mut sat = vec![0u8; 1 << 15];
        for i in 0..1usize << 15 {
            // The centre of the quantisation cell.
            let c = |shift: usize| (((i >> shift) & 31) * 8 + 4) as i32;
            let (r, g, b) = (c(10), c(5), c(0));
            let max = r.max(g).max(b);
            let chroma = max - r.min(g).min(b);
            let s = if max > 0 { chroma as f32 / max as f32 } else { 0.0 };
            let hue_bin = if chroma == 0 {
                0
            } else {
                hue_sector(r, g, b, max, chroma)
            };
            let s_bin = ((s * S_BINS as f32) as usize).min(S_BINS - 1);
            let v_bin = (max as usize * V_BINS / 256).min(V_BINS - 1);
            bin[i] = ((hue_bin * S_BINS + s_bin) * V_BINS + v_bin) as u8;
            sat[i] = (s * 255.0).round() as u8;
        }
        ColourLut { bin, sat }
    })
}

/// Compute the stored signals (all but the two that need the previous frame) and the descriptor.
pub(super) fn analyse_frame(rgb: &[u8], width: usize, height: usize) -> (FrameSignals, Descriptor) {
    let n = width * height;
    debug_assert_eq!(rgb.len(), n * 3);
    let lut = lut();
    let mut luma = Vec::with_capacity(n);
    let mut counts = [0u32; HIST_BINS];
    let (mut sum_y, mut sum_y2, mut sum_s, mut dark) = (0u64, 0u64, 0u64, 0u32);
    let (mut rg_sum, mut rg_sq, mut yb_sum, mut yb_sq) = (0i64, 0i64, 0i64, 0i64);
    for px in rgb.chunks_exact(3) {
        let (r, g, b) = (px[0] as i32, px[1] as i32, px[2] as i32);
        let y = ((77 * r + 150 * g + 29 * b) >> 8) as u8;
        luma.push(y);
        sum_y += y as u64;
        sum_y2 += (y as u64) * (y as u64);
        dark += (y <= DARK_LUMA) as u32;
        let q = ((r as usize >> 3) << 10) | ((g as usize >> 3) << 5) | (b as usize >> 3);
        counts[lut.bin[q] as usize] += 1;
        sum_s += lut.sat[q] as u64;
        // Colourfulness in doubled units (yb = (r+g)/2 − b) to stay in integers.
        let rg = (r - g) as i64;
        let yb2 = (r + g - 2 * b) as i64;
        rg_sum += rg;
        rg_sq += rg * rg;
        yb_sum += yb2;
        yb_sq += yb2 * yb2;
    }
    let nf = n.max(1) as f64;
    let mut hist = [0f32; HIST_BINS];
    for (h, c) in hist.iter_mut().zip(counts) {
        *h = c as f32 / nf as f32;
    }
    let mean_y = sum_y as f64 / nf;
    let var_y = (sum_y2 as f64 / nf - mean_y * mean_y).max(0.0);
    let (rg_mean, yb_mean) = (rg_sum as f64 / nf, yb_sum as f64 / nf / 2.0);
    let rg_var = (rg_sq as f64 / nf - rg_mean * rg_mean).max(0.0);
    let yb_var = (yb_sq as f64 / nf / 4.0 - yb_mean * yb_mean).max(0.0);
    let colourfulness = (rg_var + yb_var).sqrt() + 0.3 * (rg_mean * rg_mean + yb_mean * yb_mean).sqrt();
    let signals = FrameSignals {
        cut_score: 0.0,
        motion: 0.0,
        brightness: (mean_y / 255.0) as f32,
        contrast: (var_y.sqrt() / 255.0) as f32,
        saturation: (sum_s as f64 / nf / 255.0) as f32,
        colourfulness: (colourfulness / 109.0) as f32,
        dark: dark as f32 / nf as f32,
        edges: edge_energy(&luma, width, height),
        phash: dhash(&luma, width, height),
    };
    let (brightness, contrast) = (signals.brightness, signals.contrast);
    (
        signals,
        Descriptor {
            luma,
            hist,
            brightness,
            contrast,
        },
    )
}

/// Which of `H_BINS` hue sectors a non-grey pixel falls in.
fn hue_sector(r: i32, g: i32, b: i32, max: i32, chroma: i32) -> usize {
    // Hue in sixths of the circle (0–6), the usual piecewise form.
    let h6 = if max == r {
        ((g - b) as f32 / chroma as f32).rem_euclid(6.0)
    } else if max == g {
        (b - r) as f32 / chroma as f32 + 2.0
    } else {
        (r - g) as f32 / chroma as f32 + 4.0
    };
    ((h6 / 6.0 * H_BINS as f32) as usize).min(H_BINS - 1)
}

fn edge_energy(luma: &[u8], w: usize, h: usize) -> f32 {
    if w < 2 || h < 2 {
        return 0.0;
    }
    let mut sum = 0u64;
    for y in 0..h - 1 {
        let row = &luma[y * w..(y + 1) * w];
        let next = &luma[(y + 1) * w..(y + 2) * w];
        for x in 0..w - 1 {
            sum += row[x].abs_diff(row[x + 1]) as u64 + row[x].abs_diff(next[x]) as u64;
        }
    }
    sum as f32 / ((w - 1) * (h - 1) * 2) as f32 / 255.0
}

/// Difference hash: the luma box-averaged to 9×8, one bit per horizontal neighbour pair.
fn dhash(luma: &[u8], w: usize, h: usize) -> u64 {
    let mut cells = [[0u32; 9]; 8];
    let mut counts = [[0u32; 9]; 8];
    for y in 0..h {
        let cy = y * 8 / h.max(1);
        for x in 0..w {
            let cx = x * 9 / w.max(1);
            cells[cy][cx] += luma[y * w + x] as u32;
            counts[cy][cx] += 1;
        }
    }
    let mut hash = 0u64;
    for y in 0..8 {
        for x in 0..8 {
            let a = cells[y][x] * counts[y][x + 1].max(1);
            let b = cells[y][x + 1] * counts[y][x].max(1);
            hash = hash << 1 | (a > b) as u64;
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(w: usize, h: usize, rgb: [u8; 3]) -> Vec<u8> {
        rgb.iter().copied().cycle().take(w * h * 3).collect()
    }

    #[test]
    fn black_frame() {
        let (s, _) = analyse_frame(&solid(16, 8, [0, 0, 0]), 16, 8);
        assert_eq!((s.brightness, s.dark, s.saturation, s.edges), (0.0, 1.0, 0.0, 0.0));
    }

    #[test]
    fn saturated_red_is_colourful_and_not_dark() {
        let (s, d) = analyse_frame(&solid(16, 8, [255, 0, 0]), 16, 8);
        assert!(s.saturation > 0.95 && s.colourfulness > 0.5 && s.dark == 0.0, "{s:?}");
        assert!((d.hist.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }

    #[test]
    fn distance_separates_different_frames_only() {
        let (_, a) = analyse_frame(&solid(32, 16, [200, 40, 40]), 32, 16);
        let (_, b) = analyse_frame(&solid(32, 16, [40, 40, 200]), 32, 16);
        assert_eq!(a.distance(&a), 0.0);
        assert!(a.distance(&b) > 0.5, "{}", a.distance(&b));
    }

    #[test]
    fn hash_survives_the_row_format() {
        let mut img = Vec::new();
        for y in 0..18 {
            for x in 0..32 {
                let v = ((x * 7 + y * 13) % 256) as u8;
                img.extend([v, v / 2, 255 - v]);
            }
        }
        let (s, _) = analyse_frame(&img, 32, 18);
        assert_ne!(s.phash, 0);
        assert_eq!(FrameSignals::from_row(&s.to_row()), s);
    }
}
