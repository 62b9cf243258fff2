//! Parsing FFmpeg's `-progress` output: blocks of `key=value` lines, each closed by `progress=continue` or
//! `progress=end`. A machine format, so no scraping of the human status line.

/// One completed `-progress` block.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FfProgress {
    pub frame: Option<u64>,
    /// Output time in microseconds; `None` while FFmpeg reports `N/A` (before the first frame).
    pub out_time_us: Option<u64>,
    pub speed: Option<f32>,
    /// `progress=end`: FFmpeg finished writing.
    pub end: bool,
}

/// Feed lines; a block comes out when its closing `progress=` line arrives.
#[derive(Debug, Default)]
pub(super) struct ProgressParser {
    current: FfProgress,
}

impl ProgressParser {
    pub(super) fn push_line(&mut self, line: &str) -> Option<FfProgress> {
        let (key, value) = line.trim().split_once('=')?;
        let value = value.trim();
        match key {
            "frame" => self.current.frame = value.parse().ok(),
            // `out_time_ms` is microseconds too (an FFmpeg naming bug); prefer the explicit key.
            "out_time_us" => self.current.out_time_us = value.parse().ok(),
            "speed" => self.current.speed = value.trim_end_matches('x').parse().ok(),
            "progress" => {
                let mut done = std::mem::take(&mut self.current);
                done.end = value == "end";
                return Some(done);
            }
            _ => {}
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Captured from `ffmpeg -progress pipe:1` (FFmpeg 5.1) encoding a lavfi test source.
    const CAPTURED: &str = include_str!("testdata/progress_5.1.txt");

    #[test]
    fn parses_captured_blocks() {
        let mut p = ProgressParser::default();
        let blocks: Vec<_> = CAPTURED.lines().filter_map(|l| p.push_line(l)).collect();
        assert!(blocks.len() >= 2, "{blocks:?}");
        let last = blocks.last().unwrap();
        assert!(last.end);
        assert!(last.frame.unwrap() > 0);
        assert!(last.out_time_us.unwrap() > 0);
        let times: Vec<_> = blocks.iter().filter_map(|b| b.out_time_us).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }

    #[test]
    fn not_available_time_is_none() {
        // Before the first frame is written FFmpeg prints `N/A` (seen with `-ss` far into a file).
        let mut p = ProgressParser::default();
        for l in ["frame=0", "out_time_us=N/A", "out_time=N/A", "speed=N/A"] {
            assert_eq!(p.push_line(l), None);
        }
        let b = p.push_line("progress=continue").unwrap();
        assert_eq!((b.frame, b.out_time_us, b.speed, b.end), (Some(0), None, None, false));
    }

    #[test]
    fn ignores_noise() {
        let mut p = ProgressParser::default();
        assert_eq!(p.push_line("garbage"), None);
        assert_eq!(p.push_line("speed=N/A"), None);
        let b = p.push_line("progress=continue").unwrap();
        assert_eq!(b, FfProgress::default());
    }
}
