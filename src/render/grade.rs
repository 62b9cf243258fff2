//! The colour grade: one 33³ `.cube` 3D LUT per vibe (or the user's `--lut`), applied by FFmpeg's `lut3d`
//! (tetrahedral) in a defined colour space.
//!
//! Neighbours: `story/vibes.rs` holds the four numbers each vibe grades with (temperature, saturation,
//! contrast, brightness); `render/conform.rs` writes [`Lut::to_cube`] into the work dir once per vibe and
//! `render/picture.rs` puts [`Colour::grade_filters`] into each piece's filter graph; `media/escape.rs` escapes
//! the LUT's path for the graph.
//!
//! The LUT works on gamma-encoded R'G'B' in [0, 1], full range, the way colourists' `.cube` files do. The
//! picture goes from the source's YUV to RGB once, with the source's matrix, and back once with the same
//! matrix. Left to itself FFmpeg would convert with BT.601 whatever the source is (the earlier tool's grade
//! shifted every HD film's colours that way, `reference/cinecut-python.md` §9.1).
//!
//! The grade, in order, each step smooth, monotone and inside [0, 1] by construction (no hard clip):
//! 1. saturation around Rec.709 luma (luma kept); above 1 a soft knee stops colours at the gamut's edge;
//! 2. contrast: an S-curve through mid-grey with slope `contrast` there, 0 → 0 and 1 → 1 (an inverse S below 1);
//! 3. temperature: a white-balance gain on red and blue that keeps black black and white white (mid-grey's red
//!    and blue move by ±temperature/2);
//! 4. brightness: mid-grey moves by `brightness`, black and white stay;
//! 5. the vibe's look, if it names one (`Look`: teal/orange, sepia/amber, cold blue, crushed).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::media::{StreamInfo, filter_value};
use crate::story::Vibe;

/// Points per axis of the vibes' LUTs: the common size for grading LUTs (Resolve, Photoshop), fine enough that
/// tetrahedral interpolation between points is within a quantisation step of the exact maths.
pub(super) const LUT_SIZE: usize = 33;
/// The `.cube` format's limit, and FFmpeg `lut3d`'s (`MAX_LEVEL`).
const MAX_CUBE_SIZE: usize = 256;
/// A grade keeps text legible when the luma step from ground to letters keeps this share of its size.
const LEGIBLE: f64 = 0.85;
/// Rec.709 luma weights: the grade's idea of brightness.
const LUMA: [f64; 3] = [0.2126, 0.7152, 0.0722];
const CUBE_FIX: &str =
    "export a 3D LUT in .cube format (33x33x33 is usual) from Resolve or Photoshop, or run without --lut";

/// The colour grade a render applies.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// The vibe's look, its LUT made at startup.
    Vibe(Lut),
    /// `--no-grade`.
    Off,
    /// `--lut FILE`, read and checked at startup.
    User { path: PathBuf, lut: Lut },
}

/// A 3D colour lookup table, as a `.cube` file holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lut {
    pub title: String,
    /// Points per axis.
    pub size: usize,
    pub domain_min: [f32; 3],
    pub domain_max: [f32; 3],
    /// `size³` output colours, red index fastest, then green, then blue (the `.cube` row order).
    pub table: Vec<[f32; 3]>,
}

impl Lut {
    /// The LUT whose every point maps to itself.
    pub fn identity(size: usize) -> Lut {
        Lut::from_fn("identity", size, |c| c)
    }

    /// A LUT sampled from `f` at every grid point of [0, 1]³.
    pub fn from_fn(title: &str, size: usize, f: impl Fn([f32; 3]) -> [f32; 3]) -> Lut {
        assert!((2..=MAX_CUBE_SIZE).contains(&size), "LUT size {size} outside 2..=256");
        let step = 1.0 / (size - 1) as f32;
        let mut table = Vec::with_capacity(size * size * size);
        for b in 0..size {
            for g in 0..size {
                for r in 0..size {
                    table.push(f([r as f32 * step, g as f32 * step, b as f32 * step]));
                }
            }
        }
        Lut {
            title: title.to_string(),
            size,
            domain_min: [0.0; 3],
            domain_max: [1.0; 3],
            table,
        }
    }

    /// The vibe's grade: its four numbers and its look, 33³.
    pub fn for_vibe(vibe: &Vibe) -> Lut {
        let grade = Steps::for_vibe(vibe);
        Lut::from_fn(&format!("CineCut {}", vibe.name), LUT_SIZE, |c| grade.apply(c))
    }

    /// The `.cube` text: `TITLE`, `LUT_3D_SIZE`, `DOMAIN_MIN`/`MAX`, then one `r g b` row per point with six
    /// decimals. The domain lines come after `LUT_3D_SIZE` because FFmpeg's reader only looks for them there.
    pub fn to_cube(&self) -> String {
        let mut s = String::with_capacity(self.table.len() * 27 + 160);
        let title: String = self.title.chars().filter(|c| *c != '"' && !c.is_control()).collect();
        let _ = writeln!(s, "TITLE \"{title}\"");
        let _ = writeln!(s, "LUT_3D_SIZE {}", self.size);
        for (key, v) in [("DOMAIN_MIN", self.domain_min), ("DOMAIN_MAX", self.domain_max)] {
            let _ = writeln!(s, "{key} {:.6} {:.6} {:.6}", num(v[0]), num(v[1]), num(v[2]));
        }
        for c in &self.table {
            let _ = writeln!(s, "{:.6} {:.6} {:.6}", num(c[0]), num(c[1]), num(c[2]));
        }
        s
    }

    /// Read an Adobe/Resolve `.cube` 3D LUT. Accepts `#` comments, blank lines, CRLF, a BOM, `TITLE`,
    /// `LUT_3D_SIZE` (2..=256), `DOMAIN_MIN`/`DOMAIN_MAX` and `LUT_3D_INPUT_RANGE`. Refuses 1D LUTs, unknown
    /// keywords (Resolve's `LUT_IN_VIDEO_RANGE` changes what the numbers mean), and any row that is not three
    /// finite numbers; the error names the line.
    pub fn parse_cube(text: &str) -> std::result::Result<Lut, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut title = String::new();
        let mut size: Option<usize> = None;
        let mut min = [0.0f32; 3];
        let mut max = [1.0f32; 3];
        let mut table: Vec<[f32; 3]> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let n = i + 1;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut words = line.split_whitespace();
            let first = words.next().unwrap_or_default();
            let is_row = first.parse::<f32>().is_ok() || !first.starts_with(|c: char| c.is_ascii_alphabetic());
            if !is_row {
                match first {
                    "TITLE" => title = line[5..].trim().trim_matches('"').to_string(),
                    "LUT_3D_SIZE" => {
                        if size.is_some() {
                            return Err(format!("line {n}: a second LUT_3D_SIZE"));
                        }
                        let v = words.next().unwrap_or_default();
                        let s: usize = v
                            .parse()
                            .map_err(|_| format!("line {n}: LUT_3D_SIZE '{v}' is not a whole number"))?;
                        if !(2..=MAX_CUBE_SIZE).contains(&s) {
                            return Err(format!(
                                "line {n}: LUT_3D_SIZE {s} is out of range (2 to {MAX_CUBE_SIZE})"
                            ));
                        }
                        size = Some(s);
                    }
                    "LUT_1D_SIZE" | "LUT_1D_INPUT_RANGE" => {
                        return Err(format!(
                            "line {n}: {first}: this is a 1D LUT (or a 1D shaper in front of a 3D one); \
                             1D LUTs are not supported, only plain 3D LUTs (LUT_3D_SIZE)"
                        ));
                    }
                    "DOMAIN_MIN" => min = numbers::<3>(n, first, words)?,
                    "DOMAIN_MAX" => max = numbers::<3>(n, first, words)?,
                    "LUT_3D_INPUT_RANGE" => {
                        let [lo, hi] = numbers::<2>(n, first, words)?;
                        (min, max) = ([lo; 3], [hi; 3]);
                    }
                    _ => {
                        return Err(format!(
                            "line {n}: unknown keyword '{first}' (a 3D .cube LUT has TITLE, LUT_3D_SIZE, \
                             DOMAIN_MIN, DOMAIN_MAX and rows of three numbers)"
                        ));
                    }
                }
                continue;
            }
            let Some(s) = size else {
                return Err(format!("line {n}: a row of numbers before the LUT_3D_SIZE line"));
            };
            if table.len() == s * s * s {
                return Err(format!(
                    "line {n}: more rows than LUT_3D_SIZE {s} has points ({})",
                    s * s * s
                ));
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() != 3 {
                return Err(format!(
                    "line {n}: expected three numbers 'R G B', found {}",
                    words.len()
                ));
            }
            let mut c = [0.0f32; 3];
            for (v, w) in c.iter_mut().zip(&words) {
                *v = number(n, w)?;
            }
            table.push(c);
        }
        let Some(size) = size else {
            return Err(if table.is_empty() && title.is_empty() {
                "the file is empty: no LUT_3D_SIZE line and no rows".to_string()
            } else {
                "no LUT_3D_SIZE line: this is not a 3D .cube LUT".to_string()
            });
        };
        let want = size * size * size;
        if table.len() != want {
            return Err(format!(
                "LUT_3D_SIZE {size} needs {want} rows of 'R G B', the file has {} (it ends early)",
                table.len()
            ));
        }
        if (0..3).any(|i| min[i] >= max[i]) {
            return Err(format!(
                "DOMAIN_MIN {min:?} is not below DOMAIN_MAX {max:?} on every channel"
            ));
        }
        Ok(Lut {
            title,
            size,
            domain_min: min,
            domain_max: max,
            table,
        })
    }

    /// The LUT at one colour: tetrahedral interpolation, the same arithmetic as FFmpeg's `lut3d`
    /// (`interp=tetrahedral`). The input is clamped to the domain and the output to [0, 1], as `lut3d` does for
    /// integer pixel formats.
    pub fn apply(&self, rgb: [f32; 3]) -> [f32; 3] {
        let n = self.size;
        let top = (n - 1) as f32;
        let mut s = [0.0f32; 3];
        for i in 0..3 {
            let x = (rgb[i] - self.domain_min[i]) / (self.domain_max[i] - self.domain_min[i]);
            s[i] = if x.is_nan() { 0.0 } else { x.clamp(0.0, 1.0) * top };
        }
        let prev = s.map(|v| v as usize);
        let next = prev.map(|p| (p + 1).min(n - 1));
        let d = [s[0] - prev[0] as f32, s[1] - prev[1] as f32, s[2] - prev[2] as f32];
        let at = |r: usize, g: usize, b: usize| self.table[r + n * (g + n * b)];
        let (p, q) = (prev, next);
        let c000 = at(p[0], p[1], p[2]);
        let c111 = at(q[0], q[1], q[2]);
        // (weights, corners) of the tetrahedron holding the point, exactly as lut3d picks and weighs them.
        let (w, c1, c2) = if d[0] > d[1] {
            if d[1] > d[2] {
                (
                    [1.0 - d[0], d[0] - d[1], d[1] - d[2], d[2]],
                    at(q[0], p[1], p[2]),
                    at(q[0], q[1], p[2]),
                )
            } else if d[0] > d[2] {
                (
                    [1.0 - d[0], d[0] - d[2], d[2] - d[1], d[1]],
                    at(q[0], p[1], p[2]),
                    at(q[0], p[1], q[2]),
                )
            } else {
                (
                    [1.0 - d[2], d[2] - d[0], d[0] - d[1], d[1]],
                    at(p[0], p[1], q[2]),
                    at(q[0], p[1], q[2]),
                )
            }
        } else if d[2] > d[1] {
            (
                [1.0 - d[2], d[2] - d[1], d[1] - d[0], d[0]],
                at(p[0], p[1], q[2]),
                at(p[0], q[1], q[2]),
            )
        } else if d[2] > d[0] {
            (
                [1.0 - d[1], d[1] - d[2], d[2] - d[0], d[0]],
                at(p[0], q[1], p[2]),
                at(p[0], q[1], q[2]),
            )
        } else {
            (
                [1.0 - d[1], d[1] - d[0], d[0] - d[2], d[2]],
                at(p[0], q[1], p[2]),
                at(q[0], q[1], p[2]),
            )
        };
        std::array::from_fn(|i| (w[0] * c000[i] + w[1] * c1[i] + w[2] * c2[i] + w[3] * c111[i]).clamp(0.0, 1.0))
    }

    /// Whether text graded by this LUT stays as legible as it was: the luma step between a dark and a light
    /// grey (a title's ground and its letters, either way round) keeps at least `LEGIBLE` of its size. A look
    /// that lifts its blacks or flattens its contrast fails, and the film's own title shot is shown ungraded.
    pub fn keeps_contrast(&self) -> bool {
        let y = |g: f32| {
            let c = self.apply([g, g, g]);
            LUMA.iter().zip(c).map(|(w, v)| w * v as f64).sum::<f64>()
        };
        let (dark, light) = (0.08, 0.85);
        (y(light) - y(dark)) >= LEGIBLE * (light - dark) as f64
    }

    /// A content key: blake3 of [`Lut::to_cube`], in hex.
    pub fn key(&self) -> String {
        blake3::hash(self.to_cube().as_bytes()).to_hex().to_string()
    }

    /// The same LUT over the domain [0, 1]³, resampled if its domain was another. FFmpeg's `lut3d` ignores
    /// `DOMAIN_MIN` (it only scales by 1 / (max − min)), so every LUT handed to it must have the unit domain.
    fn with_unit_domain(self) -> Lut {
        if self.domain_min == [0.0; 3] && self.domain_max == [1.0; 3] {
            return self;
        }
        let title = self.title.clone();
        Lut::from_fn(&title, self.size.max(LUT_SIZE), |c| self.apply(c))
    }
}

/// A LUT is known by its content: in a stage's inputs it is its key, so a change to a look renders again.
impl Serialize for Lut {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.key())
    }
}

/// `-0.0` and `-0.0000001` print as `0.000000`.
fn num(x: f32) -> f32 {
    if x.abs() < 5e-7 { 0.0 } else { x }
}

fn number(line: usize, word: &str) -> std::result::Result<f32, String> {
    match word.parse::<f32>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(format!("line {line}: '{word}' is not a finite number")),
        Err(_) => Err(format!("line {line}: '{word}' is not a number")),
    }
}

fn numbers<'a, const N: usize>(
    line: usize,
    key: &str,
    words: impl Iterator<Item = &'a str>,
) -> std::result::Result<[f32; N], String> {
    let words: Vec<&str> = words.collect();
    if words.len() != N {
        return Err(format!("line {line}: {key} needs {N} numbers, found {}", words.len()));
    }
    let mut out = [0.0f32; N];
    for (v, w) in out.iter_mut().zip(&words) {
        *v = number(line, w)?;
    }
    Ok(out)
}

/// A user's `--lut FILE`: read, parsed and checked, its domain made [0, 1]. Errors name the file and the fix.
pub(crate) fn load_user_lut(path: &Path) -> Result<Lut> {
    let bad = |problem: String| Error::bad_input(path, problem, CUBE_FIX);
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if ext != "cube" {
        let what = if ext.is_empty() {
            "no extension".to_string()
        } else {
            format!(".{ext}")
        };
        return Err(bad(format!("--lut takes a .cube 3D LUT; this file has {what}")));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Error::bad_input(
            path,
            format!("cannot read the --lut file: {e}"),
            "check the path given to --lut",
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| bad("not a text file, so not a .cube LUT".to_string()))?;
    let lut = Lut::parse_cube(&text).map_err(|e| bad(format!("not a usable 3D .cube LUT: {e}")))?;
    // Integer code values (0..1023) or scene-linear outputs would grade to white: say so instead.
    let (lo, hi) = lut
        .table
        .iter()
        .flatten()
        .fold((f32::MAX, f32::MIN), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if hi > 2.0 || lo < -1.0 {
        return Err(bad(format!(
            "its output values run from {lo} to {hi}; a display LUT's run from 0.0 to 1.0"
        )));
    }
    Ok(lut.with_unit_domain())
}

// ---------------------------------------------------------------------------------------------------------------
// The grade's maths, on one colour. f64 inside; the LUT stores f32.

/// The hue-specific look a vibe adds on top of its four numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Look {
    /// Only the four numbers.
    Plain,
    /// action: shadows toward teal, highlights and warm colours (skin) toward orange.
    TealOrange,
    /// history, western: `share` of the way toward a monochrome toned in `tone`'s hue, `amount` strong at
    /// mid-grey (sepia, or a hotter amber).
    Toned { share: f64, amount: f64, tone: [f64; 3] },
    /// sci-fi: shadows and mids toward blue-cyan.
    Cold,
    /// horror, war: blacks crushed by a toe (`toe` = how much the slope at black drops), colour reduced to
    /// `saturation`, mids tinted toward `tint`.
    Crushed {
        toe: f64,
        saturation: f64,
        tint: [f64; 3],
        amount: f64,
    },
}

impl Look {
    fn for_vibe(name: &str) -> Look {
        match name {
            "action" => Look::TealOrange,
            "history" => Look::Toned {
                share: 0.35,
                amount: 0.12,
                tone: [0.44, 0.26, 0.08],
            },
            "western" => Look::Toned {
                share: 0.42,
                amount: 0.14,
                tone: [1.0, 0.5, 0.1],
            },
            "sci-fi" => Look::Cold,
            "horror" => Look::Crushed {
                toe: 0.6,
                saturation: 0.8,
                tint: [0.2, 0.6, 0.55],
                amount: 0.02,
            },
            "war" => Look::Crushed {
                toe: 0.45,
                saturation: 0.75,
                tint: [0.45, 0.5, 0.25],
                amount: 0.025,
            },
            _ => Look::Plain,
        }
    }
}

const TEAL: [f64; 3] = [0.0, 0.5, 0.5];
const ORANGE: [f64; 3] = [1.0, 0.55, 0.1];
const BLUE_CYAN: [f64; 3] = [0.1, 0.5, 1.0];

/// One vibe's grade as its steps, ready to apply to colours.
#[derive(Debug, Clone)]
struct Steps {
    saturation: f64,
    contrast: Option<SCurve>,
    /// White-balance gains for red and blue.
    gains: [f64; 2],
    brightness: f64,
    look: Look,
}

impl Steps {
    fn for_vibe(v: &Vibe) -> Steps {
        Steps::new(
            v.saturation,
            v.contrast,
            v.temperature,
            v.brightness,
            Look::for_vibe(v.name),
        )
    }

    fn new(saturation: f32, contrast: f32, temperature: f32, brightness: f32, look: Look) -> Steps {
        let t = (temperature as f64).clamp(-0.5, 0.5);
        let g = (1.0 + t) / (1.0 - t);
        Steps {
            saturation: saturation.max(0.0) as f64,
            contrast: SCurve::new(contrast as f64),
            gains: [g, 1.0 / g],
            // Beyond ±0.25 the mid lift would stop being monotone.
            brightness: (brightness as f64).clamp(-0.24, 0.24),
            look,
        }
    }

    fn apply(&self, rgb: [f32; 3]) -> [f32; 3] {
        let mut c = rgb.map(|v| (v as f64).clamp(0.0, 1.0));
        c = saturate(c, self.saturation);
        if let Some(curve) = &self.contrast {
            c = c.map(|v| curve.apply(v));
        }
        c[0] = white_balance(c[0], self.gains[0]);
        c[2] = white_balance(c[2], self.gains[1]);
        c = c.map(|v| v + self.brightness * 4.0 * v * (1.0 - v));
        c = look(c, self.look);
        c.map(|v| v.clamp(0.0, 1.0) as f32)
    }
}

fn luma(c: [f64; 3]) -> f64 {
    LUMA[0] * c[0] + LUMA[1] * c[1] + LUMA[2] * c[2]
}

/// Saturation around luma: `s` < 1 mixes toward grey; `s` > 1 pushes away from it, with a soft knee so a colour
/// approaches the gamut's edge but never crosses it (and one already on the edge stays).
fn saturate(c: [f64; 3], s: f64) -> [f64; 3] {
    let y = luma(c);
    let d = c.map(|v| v - y);
    if s <= 1.0 {
        return d.map(|v| y + s * v);
    }
    // How far toward the gamut's edge the colour is: 0 for grey, 1 on the edge.
    let mut t: f64 = 0.0;
    for v in d {
        let room = if v > 0.0 { 1.0 - y } else { y };
        if v.abs() > 1e-12 {
            t = t.max(v.abs() / room.max(1e-12));
        }
    }
    if t < 1e-9 {
        return c;
    }
    let t = t.min(1.0);
    let k = (soft_limit(s * t) / t).max(1.0);
    d.map(|v| y + k * v)
}

/// Identity below 0.75, then a tanh knee that approaches 1 and never reaches it.
fn soft_limit(x: f64) -> f64 {
    const KNEE: f64 = 0.75;
    if x <= KNEE {
        x
    } else {
        KNEE + (1.0 - KNEE) * ((x - KNEE) / (1.0 - KNEE)).tanh()
    }
}

/// The contrast curve: a logistic S through (0.5, 0.5), scaled to pass through (0, 0) and (1, 1), with slope
/// `contrast` at mid-grey; for `contrast` < 1, the inverse of the S with slope 1/`contrast`.
#[derive(Debug, Clone, Copy)]
struct SCurve {
    /// y − ½ = ½·tanh(2q(x − ½)) / tanh(q); the slope at ½ is q / tanh(q).
    q: f64,
    tanh_q: f64,
    steeper: bool,
}

impl SCurve {
    fn new(contrast: f64) -> Option<SCurve> {
        if !contrast.is_finite() || (contrast - 1.0).abs() < 1e-6 || contrast <= 0.0 {
            return None;
        }
        let slope = if contrast > 1.0 { contrast } else { 1.0 / contrast };
        // q / tanh(q) rises from 1 at q → 0: bisect for the slope asked.
        let (mut lo, mut hi) = (1e-9f64, 60.0f64);
        for _ in 0..100 {
            let mid = 0.5 * (lo + hi);
            if mid / mid.tanh() < slope {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let q = 0.5 * (lo + hi);
        Some(SCurve {
            q,
            tanh_q: q.tanh(),
            steeper: contrast > 1.0,
        })
    }

    fn apply(&self, x: f64) -> f64 {
        let u = x.clamp(0.0, 1.0) - 0.5;
        if self.steeper {
            0.5 + 0.5 * (2.0 * self.q * u).tanh() / self.tanh_q
        } else {
            0.5 + (2.0 * u * self.tanh_q).atanh() / (2.0 * self.q)
        }
    }
}

/// A gain `g` at black that eases to 1 at white: g·x / (1 + (g − 1)·x). Black stays black, white stays white,
/// and the curves for g and 1/g are each other's inverse.
fn white_balance(x: f64, g: f64) -> f64 {
    g * x / (1.0 + (g - 1.0) * x)
}

/// Bells over luma that are 0 at black and white (so neither is ever tinted), each peaking at 1.
fn shadow_bell(y: f64) -> f64 {
    6.75 * y * (1.0 - y) * (1.0 - y)
}
fn highlight_bell(y: f64) -> f64 {
    6.75 * y * y * (1.0 - y)
}
fn mid_bell(y: f64) -> f64 {
    4.0 * y * (1.0 - y)
}

/// The hue of `tint` as a direction that changes no luma, its largest component ±1.
fn hue(tint: [f64; 3]) -> [f64; 3] {
    let y = luma(tint);
    let d = tint.map(|v| v - y);
    let m = d.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    d.map(|v| v / m)
}

/// `c + o`, with `o` shortened as far as needed to stay inside [0, 1]³. `o` carries no luma, so neither does
/// what is added.
fn shift(c: [f64; 3], o: [f64; 3]) -> [f64; 3] {
    let mut a: f64 = 1.0;
    for i in 0..3 {
        if o[i] > 1e-12 {
            a = a.min((1.0 - c[i]) / o[i]);
        } else if o[i] < -1e-12 {
            a = a.min(c[i] / -o[i]);
        }
    }
    let a = a.max(0.0);
    std::array::from_fn(|i| c[i] + a * o[i])
}

fn scaled(d: [f64; 3], k: f64) -> [f64; 3] {
    d.map(|v| v * k)
}

fn add(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|i| a[i] + b[i])
}

fn look(c: [f64; 3], look: Look) -> [f64; 3] {
    let y = luma(c);
    match look {
        Look::Plain => c,
        Look::TealOrange => {
            // Warm colours (skin, fire) go orange, not teal, whatever their luma.
            let warm = (2.0 * (c[0] - c[2])).clamp(0.0, 1.0);
            let teal = scaled(hue(TEAL), 0.06 * shadow_bell(y) * (1.0 - warm));
            let orange = scaled(hue(ORANGE), 0.05 * (highlight_bell(y) + 0.5 * warm * mid_bell(y)));
            shift(c, add(teal, orange))
        }
        Look::Toned { share, amount, tone } => {
            let toned = shift([y; 3], scaled(hue(tone), amount * mid_bell(y)));
            std::array::from_fn(|i| c[i] + share * (toned[i] - c[i]))
        }
        Look::Cold => shift(c, scaled(hue(BLUE_CYAN), 0.035 * (shadow_bell(y) + 0.5 * mid_bell(y)))),
        Look::Crushed {
            toe,
            saturation,
            tint,
            amount,
        } => {
            // toe(y) = y − k·y·(1 − y)⁴: slope 1 − k at black, ~1 from the mids up, monotone for k < 1. The
            // colour is scaled by toe(y)/y ≤ 1, so it keeps its hue and stays in range.
            let crushed = y - toe * y * (1.0 - y).powi(4);
            let c = if y > 1e-9 { c.map(|v| v * crushed / y) } else { c };
            let y = crushed;
            let c = c.map(|v| y + saturation * (v - y));
            shift(c, scaled(hue(tint), amount * mid_bell(y)))
        }
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Colour space: how the source's YUV maps to the RGB the LUT works in.

/// The YCbCr matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matrix {
    Bt601,
    Bt709,
    Bt2020,
}

impl Matrix {
    /// The name FFmpeg's `scale` filter takes (`in_color_matrix`, `out_color_matrix`).
    pub fn swscale_name(self) -> &'static str {
        match self {
            Matrix::Bt601 => "bt601",
            Matrix::Bt709 => "bt709",
            Matrix::Bt2020 => "bt2020",
        }
    }
}

/// Studio (tv, 16–235) or full (pc, 0–255) range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Tv,
    Pc,
}

impl Range {
    pub fn name(self) -> &'static str {
        match self {
            Range::Tv => "tv",
            Range::Pc => "pc",
        }
    }
}

/// How the source's YUV maps to RGB, decided once from the probe, and the tags the trailer is written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Colour {
    pub matrix: Matrix,
    /// The source's range. The trailer is always written in tv range (see [`Colour::output_args`]).
    pub range: Range,
    /// Output tags, as FFmpeg names them: `-colorspace`, `-color_primaries`, `-color_trc`.
    pub space: String,
    pub primaries: String,
    pub transfer: String,
}

/// What the probe says about a video stream's colour; `None` when untagged.
struct Tags<'a> {
    width: Option<u32>,
    height: Option<u32>,
    pix_fmt: Option<&'a str>,
    space: Option<&'a str>,
    range: Option<&'a str>,
    primaries: Option<&'a str>,
    transfer: Option<&'a str>,
}

/// Tags FFmpeg's encoder options accept and that name something definite.
const PRIMARIES: &[&str] = &[
    "bt709",
    "bt470m",
    "bt470bg",
    "smpte170m",
    "smpte240m",
    "film",
    "bt2020",
    "smpte431",
    "smpte432",
];
const TRANSFERS: &[&str] = &[
    "bt709",
    "gamma22",
    "gamma28",
    "smpte170m",
    "smpte240m",
    "linear",
    "iec61966-2-1",
    "iec61966-2-4",
    "bt1361e",
    "bt2020-10",
    "bt2020-12",
    "smpte2084",
    "arib-std-b67",
];

impl Colour {
    /// A colour space with the usual tags for its matrix (SD as NTSC).
    pub fn new(matrix: Matrix, range: Range) -> Colour {
        Colour::from_tags(&Tags {
            width: None,
            height: None,
            pix_fmt: None,
            space: Some(match matrix {
                Matrix::Bt601 => "smpte170m",
                Matrix::Bt709 => "bt709",
                Matrix::Bt2020 => "bt2020nc",
            }),
            range: Some(range.name()),
            primaries: None,
            transfer: None,
        })
    }

    /// From the probe's video stream. Untagged sources are guessed the way players guess: BT.709 when the
    /// picture is HD (width ≥ 1280 or height > 576), else BT.601; tv range unless the pixel format is `yuvj*`.
    pub fn from_stream(v: &StreamInfo) -> Colour {
        Colour::from_tags(&Tags {
            width: v.width,
            height: v.height,
            pix_fmt: v.pix_fmt.as_deref(),
            space: v.color_space.as_deref(),
            range: v.color_range.as_deref(),
            primaries: v.color_primaries.as_deref(),
            transfer: v.color_transfer.as_deref(),
        })
    }

    fn from_tags(t: &Tags) -> Colour {
        let (w, h) = (t.width.unwrap_or(0), t.height.unwrap_or(0));
        let hd = w >= 1280 || h > 576;
        let matrix = match t.space {
            Some("bt709" | "smpte240m") => Matrix::Bt709,
            Some("smpte170m" | "bt470bg" | "fcc") => Matrix::Bt601,
            Some("bt2020nc" | "bt2020c") => Matrix::Bt2020,
            _ if hd => Matrix::Bt709,
            _ => Matrix::Bt601,
        };
        let range = match t.range {
            Some("pc" | "jpeg") => Range::Pc,
            Some("tv" | "mpeg") => Range::Tv,
            _ if t.pix_fmt.is_some_and(|p| p.starts_with("yuvj")) => Range::Pc,
            _ => Range::Tv,
        };
        let pal = t.space == Some("bt470bg") || (t.space.is_none() && h == 576);
        let space = match matrix {
            Matrix::Bt709 => "bt709",
            Matrix::Bt601 if pal => "bt470bg",
            Matrix::Bt601 => "smpte170m",
            Matrix::Bt2020 => "bt2020nc",
        };
        let primaries = t.primaries.filter(|p| PRIMARIES.contains(p)).unwrap_or(match matrix {
            Matrix::Bt709 => "bt709",
            Matrix::Bt601 => space,
            Matrix::Bt2020 => "bt2020",
        });
        let transfer = t.transfer.filter(|p| TRANSFERS.contains(p)).unwrap_or(match matrix {
            Matrix::Bt709 => "bt709",
            Matrix::Bt601 => "smpte170m",
            Matrix::Bt2020 => "bt2020-10",
        });
        Colour {
            matrix,
            range,
            space: space.to_string(),
            primaries: primaries.to_string(),
            transfer: transfer.to_string(),
        }
    }

    /// Filters that take a yuv picture to full-range planar RGB with the source's matrix, apply `lut_file` with
    /// `lut3d` (tetrahedral), and return to tv-range `yuv420p` with the same matrix.
    ///
    /// The input range is read from each frame's own tag, not from the probe: an earlier `scale` to the output
    /// size has already turned a full-range source into tv range (and tagged the frames so), while frames
    /// straight from the decoder carry the source's range.
    pub fn grade_filters(&self, lut_file: &Path) -> String {
        let m = self.matrix.swscale_name();
        format!(
            "scale=in_color_matrix={m}:out_range=pc,format=gbrp,{}",
            self.lut_and_back(lut_file)
        )
    }

    /// [`Colour::grade_filters`] with the size change done in the same `scale` as the yuv → RGB conversion (one
    /// pass of swscale instead of two), for frames straight from the decoder (so the probe's range applies).
    /// For `fps,…` chains: `fps=R,{this},setsar=1` replaces `fps=R,scale=W:H,setsar=1,format=yuv420p,{grade}`.
    pub fn grade_filters_with_scale(&self, width: u32, height: u32, lut_file: &Path) -> String {
        let m = self.matrix.swscale_name();
        format!(
            "scale=w={width}:h={height}:flags=bicubic:in_color_matrix={m}:in_range={}:out_range=pc,format=gbrp,{}",
            self.range.name(),
            self.lut_and_back(lut_file)
        )
    }

    fn lut_and_back(&self, lut_file: &Path) -> String {
        let m = self.matrix.swscale_name();
        format!(
            "lut3d=file={}:interp=tetrahedral,scale=out_color_matrix={m}:out_range=tv,format=yuv420p",
            filter_value(&lut_file.to_string_lossy())
        )
    }

    /// The encoder's colour tags: the source's matrix, primaries and transfer, and tv range. Tv range always:
    /// it is what players expect from H.264 in MP4, FFmpeg's `scale` to the output size already converts a
    /// full-range source to it, and every piece of the trailer (cards and black included) must agree.
    pub fn output_args(&self) -> Vec<String> {
        [
            "-colorspace",
            &self.space,
            "-color_primaries",
            &self.primaries,
            "-color_trc",
            &self.transfer,
            "-color_range",
            "tv",
        ]
        .map(String::from)
        .to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::story::VIBES;

    fn vibe(name: &str) -> &'static Vibe {
        Vibe::parse(name).unwrap()
    }

    fn grey(x: f32) -> [f32; 3] {
        [x; 3]
    }

    fn luma32(c: [f32; 3]) -> f32 {
        luma(c.map(|v| v as f64)) as f32
    }

    /// max − min of the channels: 0 for a neutral grey.
    fn chroma(c: [f32; 3]) -> f32 {
        c.iter().fold(f32::MIN, |m, &v| m.max(v)) - c.iter().fold(f32::MAX, |m, &v| m.min(v))
    }

    #[test]
    fn a_flat_or_lifted_look_would_not_keep_a_title_legible() {
        assert!(Lut::identity(LUT_SIZE).keeps_contrast());
        let flat = Lut::from_fn("flat", LUT_SIZE, |c| c.map(|v| 0.3 + 0.4 * v));
        assert!(!flat.keeps_contrast());
        let kept: Vec<&str> = VIBES
            .iter()
            .filter(|v| Lut::for_vibe(v).keeps_contrast())
            .map(|v| v.name)
            .collect();
        eprintln!("vibes whose grade keeps a title legible: {kept:?}");
        assert!(kept.len() >= VIBES.len() / 2, "{kept:?}");
    }

    /// The vibe's four numbers without its look.
    fn plain(v: &Vibe) -> Steps {
        Steps::new(v.saturation, v.contrast, v.temperature, v.brightness, Look::Plain)
    }

    fn only(saturation: f32, contrast: f32, temperature: f32, brightness: f32) -> Steps {
        Steps::new(saturation, contrast, temperature, brightness, Look::Plain)
    }

    #[test]
    fn cube_round_trip() {
        let lut = Lut::for_vibe(vibe("western"));
        let text = lut.to_cube();
        assert!(text.starts_with("TITLE \"CineCut western\"\nLUT_3D_SIZE 33\nDOMAIN_MIN 0.000000 0.000000 0.000000\n"));
        assert_eq!(text.lines().count(), 4 + 33 * 33 * 33);
        let back = Lut::parse_cube(&text).unwrap();
        assert_eq!((back.size, back.domain_min, back.domain_max), (33, [0.0; 3], [1.0; 3]));
        assert_eq!(back.title, "CineCut western");
        for (a, b) in lut.table.iter().zip(&back.table) {
            for i in 0..3 {
                assert!((a[i] - b[i]).abs() <= 1e-6, "{a:?} vs {b:?}");
            }
        }
        assert_eq!(back.key(), lut.key());
        assert_eq!(lut.key().len(), 64);
        assert_ne!(lut.key(), Lut::for_vibe(vibe("history")).key());
    }

    #[test]
    fn rows_are_red_fastest() {
        let text = Lut::identity(2).to_cube();
        let rows: Vec<&str> = text.lines().skip(4).collect();
        assert_eq!(
            rows[..3],
            [
                "0.000000 0.000000 0.000000",
                "1.000000 0.000000 0.000000",
                "0.000000 1.000000 0.000000"
            ]
        );
        assert_eq!(rows[4], "0.000000 0.000000 1.000000");
    }

    #[test]
    fn parses_what_resolve_and_photoshop_write() {
        let text = "\u{feff}# Created by Resolve\r\nTITLE \"Film look\"\r\n\r\nLUT_3D_SIZE 2\r\n\
                    DOMAIN_MIN 0 0 0\r\nDOMAIN_MAX 1 1 1\r\n# the rows\r\n\
                    0 0 0\r\n1 0 0\r\n0 1 0\r\n1 1 0\r\n  0 0 1\t\r\n1 0 1\r\n0 1 1\r\n1.0e0 1 1\r\n";
        let lut = Lut::parse_cube(text).unwrap();
        assert_eq!(
            lut,
            Lut {
                title: "Film look".into(),
                ..Lut::identity(2)
            }
        );
    }

    fn parse_err(text: &str) -> String {
        Lut::parse_cube(text).unwrap_err()
    }

    fn rows(n: usize) -> String {
        "0.5 0.5 0.5\n".repeat(n)
    }

    #[test]
    fn parse_errors_say_what_and_where() {
        let e = parse_err("TITLE \"x\"\nLUT_1D_SIZE 1024\n0 0 0\n");
        assert!(e.contains("line 2") && e.contains("1D LUTs are not supported"), "{e}");

        let e = parse_err("LUT_3D_SIZE 300\n");
        assert!(e.contains("line 1") && e.contains("out of range (2 to 256)"), "{e}");
        let e = parse_err("LUT_3D_SIZE 1\n0 0 0\n");
        assert!(e.contains("out of range"), "{e}");
        let e = parse_err("LUT_3D_SIZE big\n");
        assert!(e.contains("line 1") && e.contains("'big' is not a whole number"), "{e}");

        let e = parse_err(&format!("LUT_3D_SIZE 2\n{}", rows(7)));
        assert!(e.contains("needs 8 rows") && e.contains("has 7"), "{e}");
        let e = parse_err(&format!("LUT_3D_SIZE 2\n{}", rows(9)));
        assert!(e.contains("line 10") && e.contains("more rows"), "{e}");

        let e = parse_err(&format!("LUT_3D_SIZE 2\n{}0.5 abc 0.5\n{}", rows(2), rows(5)));
        assert!(e.contains("line 4") && e.contains("'abc' is not a number"), "{e}");
        let e = parse_err(&format!("LUT_3D_SIZE 2\n{}0.5 NaN 0.5\n{}", rows(3), rows(4)));
        assert!(
            e.contains("line 5") && e.contains("'NaN' is not a finite number"),
            "{e}"
        );
        let e = parse_err(&format!("LUT_3D_SIZE 2\n{}inf 0 0\n", rows(7)));
        assert!(e.contains("line 9") && e.contains("not a finite number"), "{e}");
        let e = parse_err(&format!("LUT_3D_SIZE 2\n0.5 0.5\n{}", rows(7)));
        assert!(e.contains("line 2") && e.contains("expected three numbers"), "{e}");

        let e = parse_err("0 0 0\nLUT_3D_SIZE 2\n");
        assert!(e.contains("line 1") && e.contains("before the LUT_3D_SIZE"), "{e}");
        let e = parse_err(&format!("LUT_IN_VIDEO_RANGE\nLUT_3D_SIZE 2\n{}", rows(8)));
        assert!(
            e.contains("line 1") && e.contains("unknown keyword 'LUT_IN_VIDEO_RANGE'"),
            "{e}"
        );
        let e = parse_err(&format!("LUT_3D_SIZE 2\nDOMAIN_MIN 0 0\n{}", rows(8)));
        assert!(e.contains("line 2") && e.contains("DOMAIN_MIN needs 3 numbers"), "{e}");
        let e = parse_err(&format!("LUT_3D_SIZE 2\nDOMAIN_MIN 1 0 0\n{}", rows(8)));
        assert!(e.contains("not below DOMAIN_MAX"), "{e}");
        assert!(parse_err("").contains("empty"));
        assert!(parse_err("# only a comment\nTITLE \"x\"\n").contains("no LUT_3D_SIZE"));
    }

    #[test]
    fn identity_apply_is_identity() {
        for size in [2, 17, 33] {
            let lut = Lut::identity(size);
            for c in [
                [0.0, 0.0, 0.0],
                [1.0, 1.0, 1.0],
                [0.2, 0.7, 0.4],
                [0.9, 0.1, 0.55],
                [0.33, 0.33, 0.8],
            ] {
                let out = lut.apply(c);
                for i in 0..3 {
                    assert!((out[i] - c[i]).abs() < 1e-5, "size {size}: {c:?} -> {out:?}");
                }
            }
        }
    }

    #[test]
    fn apply_hits_grid_points_exactly_and_clamps() {
        let lut = Lut::from_fn("swap", 5, |c| [c[2], c[0], c[1]]);
        // Linear maps are reproduced exactly by tetrahedral interpolation, between grid points too.
        let out = lut.apply([0.1, 0.6, 0.9]);
        assert!((out[0] - 0.9).abs() < 1e-6 && (out[1] - 0.1).abs() < 1e-6 && (out[2] - 0.6).abs() < 1e-6);
        assert_eq!(lut.apply([-1.0, 2.0, f32::NAN]), [0.0, 0.0, 1.0]);
    }

    #[test]
    fn other_domains_are_resampled_to_the_unit_cube() {
        // A LUT over [0, 2] that doubles nothing: out = in / 2 at the points, so over [0, 1] it halves.
        let mut lut = Lut::from_fn("half", 3, |c| c.map(|v| v));
        lut.domain_max = [2.0; 3];
        let unit = lut.clone().with_unit_domain();
        assert_eq!((unit.size, unit.domain_max), (33, [1.0; 3]));
        for x in [0.0, 0.3, 0.8, 1.0] {
            assert!((unit.apply(grey(x))[1] - x / 2.0).abs() < 1e-5);
            assert!((lut.apply(grey(x))[1] - x / 2.0).abs() < 1e-5);
        }
    }

    #[test]
    fn every_vibe_stays_in_range_and_monotone_on_a_grey_ramp() {
        for v in &VIBES {
            let lut = Lut::for_vibe(v);
            assert_eq!(lut.table.len(), 33 * 33 * 33);
            assert!(
                lut.table.iter().flatten().all(|x| (0.0..=1.0).contains(x)),
                "{}",
                v.name
            );
            let mut last = -1.0f32;
            for i in 0..=255 {
                let out = lut.apply(grey(i as f32 / 255.0));
                let y = luma32(out);
                assert!(y > last, "{}: luma falls at grey {i}: {last} -> {y}", v.name);
                last = y;
            }
            // Black stays black; white stays near white (no look tints either end).
            assert!(
                chroma(lut.apply(grey(0.0))) < 1e-6 && luma32(lut.apply(grey(0.0))) < 1e-6,
                "{}",
                v.name
            );
            assert!(luma32(lut.apply(grey(1.0))) > 0.999, "{}", v.name);
        }
    }

    #[test]
    fn greys_stay_neutral_without_a_look_up_to_the_temperature() {
        for v in VIBES.iter().filter(|v| Look::for_vibe(v.name) == Look::Plain) {
            let lut = Lut::for_vibe(v);
            for i in 0..=20 {
                let out = lut.apply(grey(i as f32 / 20.0));
                let allowed = v.temperature.abs() * 1.2 + 1e-5;
                assert!(chroma(out) <= allowed, "{}: {out:?}", v.name);
                if v.temperature > 0.0 {
                    assert!(out[0] >= out[2], "{}: warm vibe, grey {out:?}", v.name);
                } else if v.temperature < 0.0 {
                    assert!(out[2] >= out[0], "{}: cool vibe, grey {out:?}", v.name);
                }
            }
        }
    }

    #[test]
    fn the_four_numbers_do_what_they_say() {
        let red = [0.8, 0.3, 0.2];
        let y = luma32(red);
        // Saturation below 1 moves toward grey and keeps luma; above 1 moves away, still in range.
        let less = only(0.7, 1.0, 0.0, 0.0).apply(red);
        assert!(
            chroma(less) < chroma(red) * 0.75 && (luma32(less) - y).abs() < 1e-5,
            "{less:?}"
        );
        let more = only(1.3, 1.0, 0.0, 0.0).apply(red);
        assert!(
            chroma(more) > chroma(red) && (luma32(more) - y).abs() < 1e-5,
            "{more:?}"
        );
        let edge = only(1.3, 1.0, 0.0, 0.0).apply([1.0, 0.0, 0.0]);
        assert!(
            (edge[0] - 1.0).abs() < 1e-6 && edge[1] < 1e-6 && edge[2] < 1e-6,
            "{edge:?}"
        );
        // Contrast: above 1 spreads 0.25 and 0.75, below 1 brings them closer; 0, 0.5 and 1 stay put.
        let spread = |g: &Steps| g.apply(grey(0.75))[1] - g.apply(grey(0.25))[1];
        assert!(spread(&only(1.0, 1.3, 0.0, 0.0)) > 0.55);
        assert!(spread(&only(1.0, 0.85, 0.0, 0.0)) < 0.48);
        for c in [0.8, 1.3] {
            for x in [0.0, 0.5, 1.0] {
                assert!((only(1.0, c, 0.0, 0.0).apply(grey(x))[1] - x).abs() < 1e-6);
            }
        }
        // The slope at mid-grey is the contrast.
        let g = only(1.0, 1.25, 0.0, 0.0);
        let slope = (g.apply(grey(0.501))[1] - g.apply(grey(0.499))[1]) / 0.002;
        assert!((slope - 1.25).abs() < 0.01, "{slope}");
        // Temperature: + warms a white-ish grey, − cools it; black is never tinted.
        let warm = only(1.0, 1.0, 0.08, 0.0).apply(grey(0.9));
        assert!(
            warm[0] > 0.9 && warm[2] < 0.9 && (warm[1] - 0.9).abs() < 1e-6,
            "{warm:?}"
        );
        let mid = only(1.0, 1.0, 0.08, 0.0).apply(grey(0.5));
        assert!((mid[0] - 0.54).abs() < 1e-4 && (mid[2] - 0.46).abs() < 1e-4, "{mid:?}");
        let cool = only(1.0, 1.0, -0.08, 0.0).apply(grey(0.9));
        assert!(cool[2] > cool[0], "{cool:?}");
        assert_eq!(only(1.0, 1.0, 0.08, 0.0).apply(grey(0.0)), [0.0; 3]);
        // Brightness moves mid-grey by its amount and leaves black and white.
        assert!((only(1.0, 1.0, 0.0, 0.04).apply(grey(0.5))[1] - 0.54).abs() < 1e-6);
        assert!((only(1.0, 1.0, 0.0, -0.05).apply(grey(0.5))[1] - 0.45).abs() < 1e-6);
        assert_eq!(only(1.0, 1.0, 0.0, 0.04).apply(grey(1.0)), [1.0; 3]);
        assert_eq!(only(1.0, 1.0, 0.0, -0.05).apply(grey(0.0)), [0.0; 3]);
    }

    #[test]
    fn nothing_clips_hard() {
        // A bright ramp keeps rising through the vibe with the most contrast and lift (no flat top).
        for v in &VIBES {
            let g = Steps::for_vibe(v);
            let a = g.apply(grey(0.96));
            let b = g.apply(grey(0.98));
            assert!(luma32(b) > luma32(a) && luma32(b) < 1.0, "{}: {a:?} {b:?}", v.name);
            let a = g.apply(grey(0.02));
            let b = g.apply(grey(0.04));
            assert!(luma32(b) > luma32(a) && luma32(a) > 0.0, "{}: {a:?} {b:?}", v.name);
        }
    }

    #[test]
    fn action_is_teal_shadows_and_orange_highlights() {
        let v = vibe("action");
        let (lut, bare) = (Lut::for_vibe(v), plain(v));
        let dark = lut.apply(grey(0.2));
        assert!(dark[2] > dark[0], "{dark:?}");
        assert!(
            dark[2] - dark[0] > bare.apply(grey(0.2))[2] - bare.apply(grey(0.2))[0] + 0.02,
            "{dark:?}"
        );
        let bright = lut.apply(grey(0.8));
        assert!(bright[0] > bright[2], "{bright:?}");
        // Skin goes warmer, not teal.
        let skin = [0.75, 0.55, 0.45];
        let (graded, without) = (lut.apply(skin), bare.apply(skin));
        assert!(
            graded[0] - graded[2] > without[0] - without[2],
            "{graded:?} vs {without:?}"
        );
    }

    #[test]
    fn sci_fi_is_cold() {
        let v = vibe("sci-fi");
        let mid = Lut::for_vibe(v).apply(grey(0.5));
        assert!(mid[2] > mid[0] && mid[1] > mid[0], "{mid:?}");
        let bare = plain(v).apply(grey(0.5));
        assert!(mid[2] - mid[0] > bare[2] - bare[0] + 0.03, "{mid:?} vs {bare:?}");
    }

    #[test]
    fn history_and_western_are_sepia_and_amber() {
        for name in ["history", "western"] {
            let mid = Lut::for_vibe(vibe(name)).apply(grey(0.5));
            assert!(mid[0] > mid[1] && mid[1] > mid[2], "{name}: {mid:?}");
            // A blue sky loses much of its blue to the toning.
            let sky = [0.35, 0.55, 0.85];
            let (graded, bare) = (Lut::for_vibe(vibe(name)).apply(sky), plain(vibe(name)).apply(sky));
            assert!(
                graded[2] - graded[0] < bare[2] - bare[0] - 0.05,
                "{name}: {graded:?} vs {bare:?}"
            );
        }
        let (h, w) = (
            Lut::for_vibe(vibe("history")).apply(grey(0.5)),
            Lut::for_vibe(vibe("western")).apply(grey(0.5)),
        );
        assert!(w[0] - w[2] > h[0] - h[2], "western is hotter: {w:?} vs {h:?}");
    }

    #[test]
    fn horror_and_war_are_crushed_and_desaturated() {
        let doc = Lut::for_vibe(vibe("documentary"));
        let red = [0.8, 0.2, 0.15];
        for name in ["horror", "war"] {
            let lut = Lut::for_vibe(vibe(name));
            let (c, d) = (lut.apply(red), doc.apply(red));
            assert!(chroma(c) < chroma(d) * 0.8, "{name}: {c:?} vs documentary {d:?}");
            let black = lut.apply(grey(0.06));
            assert!(luma32(black) < 0.045, "{name}: {black:?}");
            assert!(
                luma32(black) < luma32(plain(vibe(name)).apply(grey(0.06))) - 0.005,
                "{name}: toe"
            );
        }
    }

    #[test]
    fn user_luts_are_checked_and_errors_name_the_file_and_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("Film Look.CUBE");
        let mut lut = Lut::from_fn("mine", 17, |c| [c[0] * 0.5, c[1], c[2]]);
        std::fs::write(&good, lut.to_cube()).unwrap();
        let loaded = load_user_lut(&good).unwrap();
        assert_eq!((loaded.size, loaded.title.as_str()), (17, "mine"));
        // Another domain comes back resampled over [0, 1], so FFmpeg and apply() agree.
        lut.domain_max = [2.0; 3];
        std::fs::write(&good, lut.to_cube()).unwrap();
        let loaded = load_user_lut(&good).unwrap();
        assert_eq!((loaded.size, loaded.domain_max), (33, [1.0; 3]));
        assert!((loaded.apply([1.0, 0.5, 0.5])[0] - 0.25).abs() < 1e-5);

        let message = |path: &Path| {
            let e = load_user_lut(path).unwrap_err();
            assert_eq!(e.exit_code(), 2);
            e.to_string()
        };
        let e = message(&dir.path().join("missing.cube"));
        assert!(
            e.contains("missing.cube") && e.contains("cannot read") && e.contains("--lut"),
            "{e}"
        );
        let three_dl = dir.path().join("look.3dl");
        std::fs::write(&three_dl, "0 512 1023\n").unwrap();
        let e = message(&three_dl);
        assert!(
            e.contains("look.3dl") && e.contains(".cube") && e.contains("Resolve"),
            "{e}"
        );
        let one_d = dir.path().join("curve.cube");
        std::fs::write(&one_d, "LUT_1D_SIZE 2\n0 0 0\n1 1 1\n").unwrap();
        let e = message(&one_d);
        assert!(
            e.contains("curve.cube") && e.contains("line 1") && e.contains("1D LUTs are not supported"),
            "{e}"
        );
        assert!(e.contains("export a 3D LUT in .cube format"), "{e}");
        let codes = dir.path().join("codes.cube");
        std::fs::write(&codes, Lut::from_fn("codes", 2, |c| c.map(|v| v * 1023.0)).to_cube()).unwrap();
        let e = message(&codes);
        assert!(e.contains("1023") && e.contains("0.0 to 1.0"), "{e}");
    }

    fn tags<'a>(w: u32, h: u32, pix_fmt: &'a str, space: Option<&'a str>, range: Option<&'a str>) -> Tags<'a> {
        Tags {
            width: Some(w),
            height: Some(h),
            pix_fmt: Some(pix_fmt),
            space,
            range,
            primaries: None,
            transfer: None,
        }
    }

    #[test]
    fn untagged_sources_are_guessed_like_players_do() {
        let c = Colour::from_tags(&tags(1280, 534, "yuv420p", None, None));
        assert_eq!((c.matrix, c.range), (Matrix::Bt709, Range::Tv));
        assert_eq!(
            c.output_args().join(" "),
            "-colorspace bt709 -color_primaries bt709 -color_trc bt709 -color_range tv"
        );
        let c = Colour::from_tags(&tags(720, 480, "yuv420p", None, None));
        assert_eq!(
            (c.matrix, c.space.as_str(), c.primaries.as_str()),
            (Matrix::Bt601, "smpte170m", "smpte170m")
        );
        let c = Colour::from_tags(&tags(720, 576, "yuv420p", None, None));
        assert_eq!(
            (c.matrix, c.space.as_str(), c.primaries.as_str()),
            (Matrix::Bt601, "bt470bg", "bt470bg")
        );
        let c = Colour::from_tags(&tags(1024, 768, "yuv420p", None, None));
        assert_eq!(c.matrix, Matrix::Bt709);
        let c = Colour::from_tags(&tags(640, 480, "yuvj420p", None, None));
        assert_eq!((c.matrix, c.range), (Matrix::Bt601, Range::Pc));
        let c = Colour::from_tags(&tags(640, 480, "yuv420p", Some("unknown"), Some("unknown")));
        assert_eq!((c.matrix, c.range), (Matrix::Bt601, Range::Tv));
    }

    #[test]
    fn tagged_sources_keep_their_tags() {
        let c = Colour::from_tags(&tags(640, 480, "yuv420p", Some("bt709"), Some("pc")));
        assert_eq!(
            (c.matrix, c.range, c.space.as_str()),
            (Matrix::Bt709, Range::Pc, "bt709")
        );
        let c = Colour::from_tags(&tags(1920, 1080, "yuv420p", Some("smpte170m"), Some("tv")));
        assert_eq!((c.matrix, c.space.as_str()), (Matrix::Bt601, "smpte170m"));
        let mut t = tags(3840, 2160, "yuv420p10le", Some("bt2020nc"), Some("tv"));
        t.primaries = Some("bt2020");
        t.transfer = Some("smpte2084");
        let c = Colour::from_tags(&t);
        assert_eq!(
            c.output_args().join(" "),
            "-colorspace bt2020nc -color_primaries bt2020 -color_trc smpte2084 -color_range tv"
        );
        // A tag the encoder would not take falls back to the matrix's usual one.
        let mut t = tags(1920, 1080, "yuv420p", Some("bt709"), None);
        t.primaries = Some("reserved");
        assert_eq!(Colour::from_tags(&t).primaries, "bt709");
    }

    #[test]
    fn the_filter_chain_names_the_matrix_and_escapes_the_path() {
        let c = Colour::new(Matrix::Bt709, Range::Tv);
        assert_eq!(
            c.grade_filters(Path::new("/w/luts/action.cube")),
            "scale=in_color_matrix=bt709:out_range=pc,format=gbrp,lut3d=file=/w/luts/action.cube:interp=tetrahedral,\
             scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
        );
        let c = Colour::new(Matrix::Bt601, Range::Pc);
        let f = c.grade_filters_with_scale(1280, 534, Path::new("/a:b,c/it's [x].cube"));
        assert!(
            f.starts_with(
                "scale=w=1280:h=534:flags=bicubic:in_color_matrix=bt601:in_range=pc:out_range=pc,format=gbrp,"
            ),
            "{f}"
        );
        assert!(
            f.contains(r"lut3d=file=/a\\:b\,c/it\\\'s\\\ \[x\].cube:interp=tetrahedral"),
            "{f}"
        );
        assert!(
            f.ends_with("scale=out_color_matrix=bt601:out_range=tv,format=yuv420p"),
            "{f}"
        );
    }
}
