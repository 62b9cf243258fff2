//! The trailer's picture format: size (`--resolution`), frame rate (`--fps`) and encoder settings. Pure.

use serde::{Deserialize, Serialize};

/// x264 presets, fastest first (`--preset`).
pub(crate) const PRESETS: &[&str] = &[
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
];
/// x264's own default: the usual balance of encode time and file size for a finished deliverable.
pub(crate) const DEFAULT_PRESET: &str = "medium";
/// Constant quality near visually lossless for 8-bit H.264.
pub(super) const CRF: u32 = 18;

/// `--resolution`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// Fit inside the box, keeping the film's shape: `1080p` is 1920×1080, `720p` 1280×720.
    Fit { width: u32, height: u32 },
    /// Exactly this size, the film letterboxed or pillarboxed inside it.
    Exact { width: u32, height: u32 },
}

/// The named sizes: fit inside these boxes.
const NAMED: &[(&str, u32, u32)] = &[
    ("2160p", 3840, 2160),
    ("1440p", 2560, 1440),
    ("1080p", 1920, 1080),
    ("720p", 1280, 720),
    ("540p", 960, 540),
    ("480p", 854, 480),
    ("360p", 640, 360),
];

impl Resolution {
    pub fn parse(s: &str) -> Result<Resolution, String> {
        let t = s.trim().to_ascii_lowercase();
        let t = if t == "4k" { "2160p".to_string() } else { t };
        if let Some(&(_, width, height)) = NAMED.iter().find(|(n, _, _)| *n == t) {
            return Ok(Resolution::Fit { width, height });
        }
        let bad = || format!("'{s}' is not a size; give 1080p, 720p or WIDTHxHEIGHT such as 1280x720");
        let (w, h) = t.split_once('x').ok_or_else(bad)?;
        let (width, height): (u32, u32) = (
            w.trim().parse().map_err(|_| bad())?,
            h.trim().parse().map_err(|_| bad())?,
        );
        if !(16..=8192).contains(&width) || !(16..=8192).contains(&height) {
            return Err(format!(
                "{width}x{height} is out of range; each side must be 16 to 8192 pixels"
            ));
        }
        Ok(Resolution::Exact { width, height })
    }
}

/// As a user types it: `1080p`, `1280x720`.
impl std::fmt::Display for Resolution {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match *self {
            Resolution::Fit { width, height } => match NAMED.iter().find(|n| (n.1, n.2) == (width, height)) {
                Some((name, _, _)) => f.write_str(name),
                None => write!(f, "{width}x{height}"),
            },
            Resolution::Exact { width, height } => write!(f, "{width}x{height}"),
        }
    }
}

/// The frame and the picture inside it (smaller when letterboxed), all even: 4:2:0 needs whole chroma pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FrameSize {
    pub width: u32,
    pub height: u32,
    pub picture_width: u32,
    pub picture_height: u32,
}

impl FrameSize {
    pub(super) fn letterboxed(&self) -> bool {
        (self.width, self.height) != (self.picture_width, self.picture_height)
    }
}

/// Down to an even number (never up: no pixel is invented).
fn even(x: f64) -> u32 {
    (((x + 1e-9) / 2.0).floor() as u32 * 2).max(2)
}

/// The output frame for a film whose pictures look `display` (SAR and rotation applied) big.
pub(super) fn frame_size(display: (u32, u32), resolution: Option<Resolution>) -> FrameSize {
    let (dw, dh) = (display.0.max(1) as f64, display.1.max(1) as f64);
    let fit = |bw: f64, bh: f64| {
        let s = (bw / dw).min(bh / dh);
        (even(dw * s).min(bw as u32 & !1), even(dh * s).min(bh as u32 & !1))
    };
    match resolution {
        None => {
            let (w, h) = (even(dw), even(dh));
            FrameSize {
                width: w,
                height: h,
                picture_width: w,
                picture_height: h,
            }
        }
        Some(Resolution::Fit { width, height }) => {
            let (w, h) = fit(width as f64, height as f64);
            FrameSize {
                width: w,
                height: h,
                picture_width: w,
                picture_height: h,
            }
        }
        Some(Resolution::Exact { width, height }) => {
            let (fw, fh) = (width & !1, height & !1);
            let (pw, ph) = fit(fw as f64, fh as f64);
            FrameSize {
                width: fw,
                height: fh,
                picture_width: pw,
                picture_height: ph,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn size(display: (u32, u32), r: &str) -> (u32, u32, u32, u32) {
        let f = frame_size(display, Some(Resolution::parse(r).unwrap()));
        (f.width, f.height, f.picture_width, f.picture_height)
    }

    #[test]
    fn named_sizes_keep_the_shape() {
        // Tears of Steel, 2.4:1.
        assert_eq!(size((1280, 534), "1080p"), (1920, 800, 1920, 800));
        assert_eq!(size((1280, 534), "720p"), (1280, 534, 1280, 534));
        // A portrait phone video fits the box's height.
        assert_eq!(size((1080, 1920), "720p"), (404, 720, 404, 720));
        // 4:3 in a 16:9 box.
        assert_eq!(size((640, 480), "1080p"), (1440, 1080, 1440, 1080));
    }

    #[test]
    fn exact_sizes_letterbox() {
        assert_eq!(size((1280, 534), "1280x720"), (1280, 720, 1280, 534));
        assert_eq!(size((640, 480), "1280x720"), (1280, 720, 960, 720));
        // Odd sizes come out even.
        assert_eq!(size((1280, 720), "641x361"), (640, 360, 640, 360));
        assert!(frame_size((1280, 534), Some(Resolution::parse("1280x720").unwrap())).letterboxed());
    }

    #[test]
    fn source_size_is_made_even() {
        let f = frame_size((853, 481), None);
        assert_eq!((f.width, f.height), (852, 480));
        assert!(!f.letterboxed());
    }

    #[test]
    fn sizes_print_as_typed() {
        for s in ["1080p", "720p", "2160p", "1280x720"] {
            assert_eq!(Resolution::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn bad_sizes_say_what_to_type() {
        for bad in ["big", "1920", "0x0", "1920x", "99999x10", "-5x10"] {
            let e = Resolution::parse(bad).unwrap_err();
            assert!(e.contains("1080p") || e.contains("out of range"), "{bad}: {e}");
        }
    }
}
