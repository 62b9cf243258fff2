//! Face presence per keyframe: OpenCV's classic Viola–Jones Haar cascade, evaluated here in plain Rust.
//!
//! The model is `haarcascade_frontalface_default.xml` (Rainer Lienhart's 24×24 frontal face cascade) from Debian's
//! `opencv-data` package, which `scripts/install-deps.sh` installs. Its licence is the BSD-style "Intel License
//! Agreement" in the file's header (Debian lists `data/*` as BSD-3-Clause). We read it from the system at run time
//! and never ship it.
//!
//! Why by hand: no maintained, non-GPL crate evaluates OpenCV's XML cascades. The `opencv` crate binds libopencv
//! (needs the C++ library and clang to build, for one detector); `rustface` is SeetaFace, whose model comes from
//! no package registry; `scirs2-vision` has its own cascade types, not OpenCV's file format. The evaluation itself
//! is small, so it lives here, following OpenCV 4's `CascadeClassifier::detectMultiScale` (cascadedetect.cpp):
//! an image pyramid (scale 1.1, bilinear), a fixed 24×24 window slid 2 px at a time (1 px once the scale reaches
//! 2), each window's contrast normalised by its standard deviation, stumps summed per stage, and
//! `groupRectangles` (eps 0.2, more than 5 neighbours) to merge the overlapping hits. Deeper trees, tilted
//! features and LBP cascades are refused at load; the frontal default has none of them.

use std::path::{Path, PathBuf};

use quick_xml::events::Event;

use super::image::decode_small;
use crate::error::{Error, Result};

/// `detect_jpeg` shrinks images to at most this width: a 30 px face is then 12.5 % of the frame, which trailer
/// close-ups exceed, and detection costs about a quarter of what it does at 480 px.
pub const MAX_WIDTH: usize = 240;
/// Smallest face reported, in pixels of the image given to `detect`.
pub(super) const MIN_FACE: usize = 30;
const SCALE_FACTOR: f64 = 1.1;
const MIN_NEIGHBORS: usize = 5;
const GROUP_EPS: f64 = 0.2;
pub(super) const ENV: &str = "CINECUT_FACE_CASCADE";
const SYSTEM_PATHS: [&str; 2] = [
    "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
    "/usr/share/opencv/haarcascades/haarcascade_frontalface_default.xml",
];
const FIX: &str = "install Debian's opencv-data (`make deps` does) or set CINECUT_FACE_CASCADE to haarcascade_frontalface_default.xml";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaceRect {
    pub x: usize,
    pub y: usize,
    pub width: usize,
    pub height: usize,
}

/// A weak classifier: a Haar feature compared with a threshold picks one of two leaf values. (OpenCV's format
/// allows deeper trees; the face cascades in opencv-data are all stumps, and `load` refuses anything else.)
#[derive(Debug)]
struct Stump {
    feature: usize,
    threshold: f32,
    leaves: [f32; 2],
}

/// A stage passes a window when its stumps' leaves add up to at least its threshold.
#[derive(Debug)]
struct Stage {
    threshold: f32,
    stumps: std::ops::Range<usize>,
}

/// A Haar feature: two or three weighted rectangles (x, y, w, h) inside the window.
type Feature = Vec<([usize; 4], f32)>;

/// A stump ready for one integral-image stride: its rectangles as four corner offsets from the window's top-left
/// and a weight (the third of weight 0 when there are two), its threshold and leaves. Stored in cascade order so
/// a stage reads one contiguous run of memory, as OpenCV's `Stump` array does.
struct OptStump {
    rects: [([u32; 4], f32); 3],
    threshold: f32,
    leaves: [f32; 2],
}

#[derive(Debug, Default)]
pub struct FaceDetector {
    window: (usize, usize),
    stages: Vec<Stage>,
    stumps: Vec<Stump>,
    features: Vec<Feature>,
}

impl FaceDetector {
    /// The cascade file: `$CINECUT_FACE_CASCADE` when set (even if wrong, so `load` names it), else opencv-data's.
    pub fn locate() -> Option<PathBuf> {
        match std::env::var_os(ENV) {
            Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
            _ => SYSTEM_PATHS.iter().map(PathBuf::from).find(|p| p.is_file()),
        }
    }

    pub fn load(path: &Path) -> Result<FaceDetector> {
        let xml = std::fs::read_to_string(path)
            .map_err(|e| Error::bad_input(path, format!("cannot read the face cascade: {e}"), FIX))?;
        parse(&xml).map_err(|problem| Error::bad_input(path, format!("not a usable face cascade: {problem}"), FIX))
    }

    /// Faces in an 8-bit grayscale image, row-major, `width * height` bytes.
    pub fn detect(&self, gray: &[u8], width: usize, height: usize) -> Vec<FaceRect> {
        assert_eq!(gray.len(), width * height, "gray image size");
        let (ww, wh) = self.window;
        let mut hits = Vec::new();
        // Like OpenCV, every pyramid level shares one integral-image stride, so the feature offsets are computed
        // once per call rather than once per level.
        let stride = width + 1;
        let stumps = self.at_stride(stride);
        let mut level = Vec::new();
        let mut factor = 1.0f64;
        loop {
            let (fw, fh) = (
                (ww as f64 * factor).round() as usize,
                (wh as f64 * factor).round() as usize,
            );
            if fw > width || fh > height {
                break;
            }
            if fw >= MIN_FACE && fh >= MIN_FACE {
                let (lw, lh) = (
                    (width as f64 / factor).round() as usize,
                    (height as f64 / factor).round() as usize,
                );
                resize(gray, width, height, &mut level, lw, lh);
                let ii = Integral::new(&level, lw, lh, stride);
                self.scan(&ii, &stumps, factor, (fw, fh), &mut hits);
            }
            factor *= SCALE_FACTOR;
        }
        group(hits, MIN_NEIGHBORS, GROUP_EPS)
            .into_iter()
            .filter_map(|r| clip(r, width, height))
            .collect()
    }

    /// Number of faces in a JPEG file, decoded small (see `image::decode_small`).
    pub fn detect_jpeg(&self, path: &Path) -> Result<usize> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read", e))?;
        let img = decode_small(&bytes).map_err(|e| {
            Error::bad_input(
                path,
                format!("cannot decode the image: {e}"),
                "re-extract the keyframes",
            )
        })?;
        Ok(self.detect_rgb(&img.rgb, img.width, img.height).len())
    }

    /// Faces in an RGB image, as BT.601 luma shrunk to at most `MAX_WIDTH` (boxes in the shrunk image).
    pub fn detect_rgb(&self, rgb: &[u8], w: usize, h: usize) -> Vec<FaceRect> {
        // BT.601 luma in OpenCV's 14-bit fixed point (cvtColor BGR2GRAY), which the cascade was trained on.
        let gray: Vec<u8> = rgb
            .chunks_exact(3)
            .map(|p| ((4899 * p[0] as u32 + 9617 * p[1] as u32 + 1868 * p[2] as u32 + 8192) >> 14) as u8)
            .collect();
        if w > MAX_WIDTH {
            let nh = (h * MAX_WIDTH + w / 2) / w;
            let mut small = Vec::new();
            resize(&gray, w, h, &mut small, MAX_WIDTH, nh);
            return self.detect(&small, MAX_WIDTH, nh);
        }
        self.detect(&gray, w, h)
    }

    fn at_stride(&self, stride: usize) -> Vec<OptStump> {
        let corners = |[x, y, w, h]: [usize; 4]| {
            [
                y * stride + x,
                y * stride + x + w,
                (y + h) * stride + x,
                (y + h) * stride + x + w,
            ]
            .map(|o| o as u32)
        };
        let rects = |f: &Feature| std::array::from_fn(|i| f.get(i).map_or(([0; 4], 0.0), |&(r, w)| (corners(r), w)));
        let opt = |s: &Stump| OptStump {
            rects: rects(&self.features[s.feature]),
            threshold: s.threshold,
            leaves: s.leaves,
        };
        self.stumps.iter().map(opt).collect()
    }

    fn scan(&self, ii: &Integral, stumps: &[OptStump], factor: f64, found: (usize, usize), hits: &mut Vec<FaceRect>) {
        let (ww, wh) = self.window;
        let step = if factor >= 2.0 { 1 } else { 2 };
        if ii.w < ww || ii.h < wh {
            return;
        }
        let s = ii.stride;
        let norm = [s + 1, s + ww - 1, (wh - 1) * s + 1, (wh - 1) * s + ww - 1].map(|o| o as u32);
        let area = ((ww - 2) * (wh - 2)) as f64;
        for y in (0..=ii.h - wh).step_by(step) {
            let mut x = 0;
            while x + ww <= ii.w {
                let base = y * ii.stride + x;
                // OpenCV's variance normalisation over the window less a 1 px border; windows with a standard
                // deviation of 10 grey levels or less are flat and never faces.
                let (s, sq) = (ii.sum(&ii.sum, base, norm) as f64, ii.sum(&ii.sq, base, norm) as f64);
                let nf = area * sq - s * s;
                let flat = nf <= 0.0 || area / nf.sqrt() >= 0.1;
                // As OpenCV's `runAt`: a window the first stage rejects lets the scan skip the next position too.
                match if flat {
                    Some(usize::MAX)
                } else {
                    self.rejecting_stage(ii, stumps, base, (1.0 / nf.sqrt()) as f32)
                } {
                    None => hits.push(FaceRect {
                        x: (x as f64 * factor).round() as usize,
                        y: (y as f64 * factor).round() as usize,
                        width: found.0,
                        height: found.1,
                    }),
                    Some(0) => x += step,
                    _ => {}
                }
                x += step;
            }
        }
    }

    /// The first stage that turns the window down; `None` for a face.
    fn rejecting_stage(&self, ii: &Integral, stumps: &[OptStump], base: usize, inv_norm: f32) -> Option<usize> {
        for (si, stage) in self.stages.iter().enumerate() {
            let mut sum = 0.0f32;
            for st in &stumps[stage.stumps.clone()] {
                let [(c0, w0), (c1, w1), (c2, w2)] = st.rects;
                let rect = |c| ii.sum(&ii.sum, base, c) as f32;
                let mut raw = w0 * rect(c0) + w1 * rect(c1);
                if w2 != 0.0 {
                    raw += w2 * rect(c2);
                }
                sum += st.leaves[(raw * inv_norm >= st.threshold) as usize];
            }
            if sum < stage.threshold {
                return Some(si);
            }
        }
        None
    }
}

/// Summed-area tables of the pixels and of their squares, `(w+1)×(h+1)` with a zero first row and column.
/// They wrap at 2³² like OpenCV's 32-bit ones: a window's sums (≤ 24·24·255² < 2³²) still come out exact.
struct Integral {
    w: usize,
    h: usize,
    stride: usize,
    sum: Vec<u32>,
    sq: Vec<u32>,
}

impl Integral {
    fn new(img: &[u8], w: usize, h: usize, stride: usize) -> Integral {
        let (mut sum, mut sq) = (vec![0u32; stride * (h + 1)], vec![0u32; stride * (h + 1)]);
        for y in 0..h {
            let (mut row, mut row_sq) = (0u32, 0u32);
            for x in 0..w {
                let v = img[y * w + x] as u32;
                row = row.wrapping_add(v);
                row_sq = row_sq.wrapping_add(v * v);
                let at = (y + 1) * stride + x + 1;
                sum[at] = sum[at - stride].wrapping_add(row);
                sq[at] = sq[at - stride].wrapping_add(row_sq);
            }
        }
        Integral { w, h, stride, sum, sq }
    }

    /// The sum over a rectangle given by its corner offsets [top-left, top-right, bottom-left, bottom-right].
    fn sum(&self, table: &[u32], base: usize, [a, b, c, d]: [u32; 4]) -> u32 {
        let at = |o: u32| table[base + o as usize];
        at(d).wrapping_sub(at(b)).wrapping_sub(at(c)).wrapping_add(at(a))
    }
}

/// Bilinear resize with pixel centres aligned, as OpenCV's INTER_LINEAR.
fn resize(src: &[u8], sw: usize, sh: usize, dst: &mut Vec<u8>, dw: usize, dh: usize) {
    let taps = |d: usize, s: usize, n: usize| {
        let f = ((d as f32 + 0.5) * s as f32 / n as f32 - 0.5).max(0.0);
        let i = (f as usize).min(s - 1);
        (i, (i + 1).min(s - 1), f - i as f32)
    };
    let xs: Vec<_> = (0..dw).map(|x| taps(x, sw, dw)).collect();
    dst.clear();
    for y in 0..dh {
        let (y0, y1, fy) = taps(y, sh, dh);
        let (r0, r1) = (&src[y0 * sw..][..sw], &src[y1 * sw..][..sw]);
        dst.extend(xs.iter().map(|&(x0, x1, fx)| {
            let top = r0[x0] as f32 + (r0[x1] as f32 - r0[x0] as f32) * fx;
            let bottom = r1[x0] as f32 + (r1[x1] as f32 - r1[x0] as f32) * fx;
            (top + (bottom - top) * fy + 0.5) as u8 // non-negative: no roundf call
        }));
    }
}

/// OpenCV's `groupRectangles`: cluster similar hits, average each cluster, keep clusters of more than
/// `min_neighbors`, and drop a cluster lying inside a stronger one.
fn group(rects: Vec<FaceRect>, min_neighbors: usize, eps: f64) -> Vec<FaceRect> {
    let similar = |a: &FaceRect, b: &FaceRect| {
        let delta = eps * (a.width.min(b.width) + a.height.min(b.height)) as f64 * 0.5;
        let close = |p: usize, q: usize| (p as f64 - q as f64).abs() <= delta;
        close(a.x, b.x)
            && close(a.y, b.y)
            && close(a.x + a.width, b.x + b.width)
            && close(a.y + a.height, b.y + b.height)
    };
    // Union–find over all pairs: the clusters are the transitive closure of "similar", as in cv::partition.
    let mut parent: Vec<usize> = (0..rects.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..rects.len() {
        for j in 0..i {
            if similar(&rects[i], &rects[j]) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut clusters: Vec<(usize, [usize; 5])> = Vec::new(); // root, then summed x, y, w, h and the count
    for (i, r) in rects.iter().enumerate() {
        let id = root(&mut parent, i);
        let k = clusters.iter().position(|c| c.0 == id).unwrap_or_else(|| {
            clusters.push((id, [0; 5]));
            clusters.len() - 1
        });
        let add = [r.x, r.y, r.width, r.height, 1];
        clusters[k].1.iter_mut().zip(add).for_each(|(s, a)| *s += a);
    }
    let avg: Vec<(FaceRect, usize)> = clusters
        .iter()
        .map(|&(_, [x, y, w, h, n])| {
            let m = |v: usize| (v as f64 / n as f64).round() as usize;
            (
                FaceRect {
                    x: m(x),
                    y: m(y),
                    width: m(w),
                    height: m(h),
                },
                n,
            )
        })
        .collect();
    let inside = |(r1, n1): &(FaceRect, usize), (r2, n2): &(FaceRect, usize)| {
        let (dx, dy) = (
            (r2.width as f64 * eps).round() as i64,
            (r2.height as f64 * eps).round() as i64,
        );
        let (x1, y1, x2, y2) = (r1.x as i64, r1.y as i64, r2.x as i64, r2.y as i64);
        x1 >= x2 - dx
            && y1 >= y2 - dy
            && x1 + r1.width as i64 <= x2 + r2.width as i64 + dx
            && y1 + r1.height as i64 <= y2 + r2.height as i64 + dy
            && (*n2 > (*n1).max(3) || *n1 < 3)
    };
    let strong: Vec<_> = avg.iter().filter(|(_, n)| *n > min_neighbors).collect();
    strong
        .iter()
        .enumerate()
        .filter(|&(i, a)| !strong.iter().enumerate().any(|(j, b)| i != j && inside(a, b)))
        .map(|(_, a)| a.0)
        .collect()
}

fn clip(r: FaceRect, width: usize, height: usize) -> Option<FaceRect> {
    let (x1, y1) = ((r.x + r.width).min(width), (r.y + r.height).min(height));
    (x1 > r.x && y1 > r.y).then(|| FaceRect {
        width: x1 - r.x,
        height: y1 - r.y,
        ..r
    })
}

/// The new-format (`opencv_storage/cascade`) BOOST + HAAR cascade. Items are `<_>`; what one is depends on its
/// parent, so the parser keeps the element path and acts on the text of the leaves it knows.
fn parse(xml: &str) -> std::result::Result<FaceDetector, String> {
    let mut d = FaceDetector::default();
    let mut path: Vec<String> = Vec::new();
    let (mut is_cascade, mut negative) = (false, false);
    let mut reader = quick_xml::Reader::from_str(xml);
    loop {
        match reader.read_event().map_err(|e| format!("bad XML: {e}"))? {
            Event::Start(e) => {
                let name = e.name().as_ref().to_string();
                match (path.last().map(String::as_str), name.as_str()) {
                    (Some("opencv_storage"), "cascade") => is_cascade = true,
                    (Some("stages"), "_") => d.stages.push(Stage {
                        threshold: 0.0,
                        stumps: d.stumps.len()..d.stumps.len(),
                    }),
                    (Some("features"), "_") => d.features.push(Vec::new()),
                    _ => {}
                }
                path.push(name);
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Text(t) => {
                let text = t.trim();
                let n = path.len();
                if text.is_empty() || n < 2 {
                    continue;
                }
                // The numeric leaves; `None` if any word is not a number.
                let nums: Option<Vec<f64>> = text.split_whitespace().map(|v| v.parse().ok()).collect();
                let nums = nums.as_deref().unwrap_or_default();
                match (path[n - 2].as_str(), path[n - 1].as_str()) {
                    ("cascade", "stageType") if text != "BOOST" => return Err(format!("stageType {text}, not BOOST")),
                    ("cascade", "featureType") if text != "HAAR" => {
                        return Err(format!("featureType {text}, not HAAR"));
                    }
                    ("cascade", "width") => d.window.0 = text.parse().map_err(|_| "bad width")?,
                    ("cascade", "height") => d.window.1 = text.parse().map_err(|_| "bad height")?,
                    ("featureParams", "maxCatCount") if text != "0" => return Err("categorical features".into()),
                    ("_", "stageThreshold") => {
                        // OpenCV loosens every stage threshold by 1e-5 (THRESHOLD_EPS).
                        d.stages.last_mut().ok_or("threshold outside a stage")?.threshold =
                            text.parse::<f32>().map_err(|_| "bad stageThreshold")? - 1e-5
                    }
                    // "left right feature threshold": a stump is "0 -1 f t", leaf 0 below t, leaf 1 at or above.
                    ("_", "internalNodes") if nums.len() == 4 && nums[..2] == [0.0, -1.0] => {
                        let stage = d.stages.last_mut().ok_or("weak classifier outside a stage")?;
                        let (feature, threshold) = (nums[2] as usize, nums[3] as f32);
                        d.stumps.push(Stump {
                            feature,
                            threshold,
                            leaves: [0.0; 2],
                        });
                        stage.stumps.end = d.stumps.len();
                    }
                    ("_", "internalNodes") => return Err(format!("internalNodes '{text}': only stumps are supported")),
                    ("_", "leafValues") if nums.len() == 2 => {
                        d.stumps.last_mut().ok_or("leafValues before internalNodes")?.leaves =
                            [nums[0], nums[1]].map(|v| v as f32)
                    }
                    ("_", "leafValues") => return Err(format!("leafValues '{text}'")),
                    ("_", "tilted") if text != "0" => return Err("tilted (45°) features are not supported".into()),
                    ("rects", "_") if nums.len() == 5 => {
                        negative |= nums[..4].iter().any(|&v| v < 0.0);
                        let r = [nums[0], nums[1], nums[2], nums[3]].map(|v| v as usize);
                        d.features
                            .last_mut()
                            .ok_or("rect outside a feature")?
                            .push((r, nums[4] as f32));
                    }
                    ("rects", "_") => return Err(format!("rect '{text}'")),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !is_cascade || d.window.0 < 3 || d.window.1 < 3 || d.stages.is_empty() {
        return Err("no opencv_storage/cascade with a window and stages (an old-format cascade?)".into());
    }
    // Check every index once here, so the detector can never index out of bounds.
    if d.stumps.iter().any(|s| s.feature >= d.features.len()) {
        return Err("a weak classifier names a feature that does not exist".into());
    }
    let outside = |&([x, y, w, h], _): &([usize; 4], f32)| x + w > d.window.0 || y + h > d.window.1;
    if negative
        || d.features
            .iter()
            .any(|f| f.len() < 2 || f.len() > 3 || f.iter().any(outside))
    {
        return Err("a feature with fewer than 2 or more than 3 rects, or one outside the window".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_sums_match_brute_force() {
        let check = |img: &[u8], w: usize, h: usize, (x, y, rw, rh): (usize, usize, usize, usize)| {
            let ii = Integral::new(img, w, h, w + 1);
            let s = ii.stride;
            let c = [y * s + x, y * s + x + rw, (y + rh) * s + x, (y + rh) * s + x + rw].map(|o| o as u32);
            let px = (y..y + rh).flat_map(|yy| (x..x + rw).map(move |xx| img[yy * w + xx] as u64));
            assert_eq!(ii.sum(&ii.sum, 0, c) as u64, px.clone().sum::<u64>());
            assert_eq!(ii.sum(&ii.sq, 0, c) as u64, px.map(|v| v * v).sum::<u64>());
        };
        let (w, h) = (37, 23);
        let img: Vec<u8> = (0..w * h).map(|i| (i * 7919 % 256) as u8).collect();
        for r in [(0, 0, w, h), (1, 1, 22, 22), (5, 3, 7, 11), (36, 22, 1, 1)] {
            check(&img, w, h, r);
        }
        // A white 300×300 image: the squares' table wraps past 2³², a 22×22 window's sums stay exact.
        check(&[255; 300 * 300], 300, 300, (270, 270, 22, 22));
    }

    #[test]
    fn grouping_keeps_only_well_supported_clusters() {
        let r = |x, y, s| FaceRect {
            x,
            y,
            width: s,
            height: s,
        };
        let mut hits: Vec<_> = (0..6).map(|i| r(100 + i, 50, 40)).collect();
        hits.extend((0..3).map(|i| r(10 + i, 10, 30))); // too few neighbours
        assert_eq!(group(hits, 5, 0.2), vec![r(103, 50, 40)]);
    }

    #[test]
    fn unsupported_cascades_are_refused() {
        assert!(parse("<opencv_storage><haarcascade type_id=\"opencv-haar-classifier\"/></opencv_storage>").is_err());
        let lbp = "<opencv_storage><cascade><stageType>BOOST</stageType><featureType>LBP</featureType></cascade></opencv_storage>";
        assert!(parse(lbp).unwrap_err().contains("LBP"));
    }
}
