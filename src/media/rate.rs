//! Frame rates as exact ratios: 24000/1001 is not 23.976, and a trailer of 3,000 frames at the rounded rate
//! drifts by three frames from its sound.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    pub num: u32,
    pub den: u32,
}

impl Rate {
    pub const fn new(num: u32, den: u32) -> Rate {
        Rate { num, den }
    }

    pub fn fps(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// The exact rate nearest `fps`: an NTSC rate (…/1001) within 0.01 of one, a whole rate within 0.05 % (a
    /// variable-rate phone video averaging 29.996 plays at 30), else to the millihertz.
    pub fn from_fps(fps: f64) -> Option<Rate> {
        if !(fps.is_finite() && (1.0..=1000.0).contains(&fps)) {
            return None;
        }
        let ntsc = (fps * 1.001).round();
        if ((ntsc / 1.001) - fps).abs() < 0.01 && (fps - fps.round()).abs() > 0.01 {
            return Some(Rate::new(ntsc as u32 * 1000, 1001));
        }
        if (fps - fps.round()).abs() <= fps * 0.0005 {
            return Some(Rate::new(fps.round() as u32, 1));
        }
        let milli = (fps * 1000.0).round() as u32;
        let g = gcd(milli, 1000);
        Some(Rate::new(milli / g, 1000 / g))
    }

    /// What a user types: `24`, `25`, `23.976`, `29.97`, `30000/1001`.
    pub fn parse(s: &str) -> Result<Rate, String> {
        let s = s.trim();
        let bad = || format!("'{s}' is not a frame rate; give e.g. 24, 25, 23.976, 29.97 or 30000/1001");
        let rate = match s.split_once('/') {
            Some((n, d)) => {
                let (n, d): (u32, u32) = (
                    n.trim().parse().map_err(|_| bad())?,
                    d.trim().parse().map_err(|_| bad())?,
                );
                (n > 0 && d > 0).then(|| Rate::new(n / gcd(n, d), d / gcd(n, d)))
            }
            None => match s.parse::<f64>() {
                Ok(f) if f.is_finite() && !(1.0..=240.0).contains(&f) => {
                    return Err(format!(
                        "{s} frames per second is out of range; give a rate from 1 to 240"
                    ));
                }
                Ok(f) => Rate::from_fps(f),
                Err(_) => None,
            },
        }
        .ok_or_else(bad)?;
        if !(1.0..=240.0).contains(&rate.fps()) {
            return Err(format!(
                "{s} frames per second is out of range; give a rate from 1 to 240"
            ));
        }
        Ok(rate)
    }

    /// FFmpeg's spelling, `24000/1001`.
    pub fn ffmpeg(self) -> String {
        format!("{}/{}", self.num, self.den)
    }

    /// An MP4 track timescale in which every frame lasts a whole number of ticks, and fine enough (≥ 10,000)
    /// for the sound's players: the rate's numerator doubled until large enough.
    pub fn timescale(self) -> u32 {
        let mut t = self.num;
        while t < 10_000 {
            t *= 2;
        }
        t
    }

    /// Time of frame `n`, seconds.
    pub fn time(self, frame: u64) -> f64 {
        frame as f64 * self.den as f64 / self.num as f64
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a.max(1) } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Rate::parse("24"), Ok(Rate::new(24, 1)));
        assert_eq!(Rate::parse("23.976"), Ok(Rate::new(24000, 1001)));
        assert_eq!(Rate::parse("29.97"), Ok(Rate::new(30000, 1001)));
        assert_eq!(Rate::parse("59.94"), Ok(Rate::new(60000, 1001)));
        assert_eq!(Rate::parse("30000/1001"), Ok(Rate::new(30000, 1001)));
        assert_eq!(Rate::parse("50/2"), Ok(Rate::new(25, 1)));
        assert_eq!(Rate::parse("12.5"), Ok(Rate::new(25, 2)));
        assert_eq!(Rate::from_fps(152064.0 / 6337.0), Some(Rate::new(24, 1)));
        for bad in ["0", "-24", "abc", "24/0", "1000", ""] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn timescale_holds_whole_frames() {
        for r in [
            Rate::new(24, 1),
            Rate::new(24000, 1001),
            Rate::new(25, 1),
            Rate::new(30000, 1001),
        ] {
            let t = r.timescale();
            assert!(
                t >= 10_000 && (t as u64 * r.den as u64).is_multiple_of(r.num as u64),
                "{r:?} {t}"
            );
        }
        assert_eq!(Rate::new(24, 1).timescale(), 12288);
    }
}
