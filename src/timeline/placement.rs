//! Where a music track sits on the trailer timeline: which of its bars lands on the act-3 entry, where it is
//! looped when it is too short, and where its beats fall in trailer time. Pure: data in, data out.
//!
//! The act-3 entry is the one moment the music must hit: the silence beat drops everything out, and the music
//! comes back on a bar start. Everything else follows from that one alignment.

use serde::{Deserialize, Serialize};

use super::music::MusicAnalysis;

/// One stretch of the music: trailer `[start_s, end_s)` plays the file from `music_start_s`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Piece {
    pub start_s: f64,
    pub end_s: f64,
    pub music_start_s: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub pieces: Vec<Piece>,
    /// Beats and bar starts in trailer seconds, rising.
    pub beats_s: Vec<f64>,
    pub downbeats_s: Vec<f64>,
}

/// Before a loop point, leave this much of the file unplayed: tracks often end in a fade or a ring-out.
const TAIL_MARGIN_S: f64 = 4.0;
/// Bars of music before a bar counted as a section start (and after, for its loudness).
const SECTION_BARS: usize = 4;
/// A looped stretch is at least this many bars, so the loop does not stutter.
const LOOP_BARS: usize = 4;
/// ... and at least this long, so a tracker's odd bar grid cannot make thousands of tiny pieces.
const MIN_LOOP_S: f64 = 4.0;

/// Place `music` so a bar start lands on `anchor_s` (the act-3 entry) of a trailer `duration_s` long.
///
/// The file is played as if it went on forever: once through to its last full bar, then the stretch from the
/// hit bar to that last bar again and again (a loop on bar starts keeps the pulse). A track long enough plays
/// once, unlooped; a short one is looped before or after the hit as needed.
pub fn place(music: &MusicAnalysis, duration_s: f64, anchor_s: f64) -> Placement {
    let bars = music.bars();
    let Some(&first_bar) = bars.first() else {
        // No beats at all (the tracker always gives a grid, so only an empty file): play it once from the top.
        let end = music.duration_s.min(duration_s);
        return Placement {
            pieces: vec![Piece {
                start_s: 0.0,
                end_s: end,
                music_start_s: 0.0,
            }],
            beats_s: vec![],
            downbeats_s: vec![],
        };
    };
    let hit = choose_hit_bar(music, &bars, duration_s, anchor_s).unwrap_or(first_bar);
    let usable_end = music.duration_s - TAIL_MARGIN_S;
    let loop_end = loop_end(&bars, hit, usable_end);
    let needs_before = hit < anchor_s;
    let needs_after = hit + (duration_s - anchor_s) > usable_end;
    let looped = loop_end.filter(|_| needs_before || needs_after);
    // `v` is time in the endless version; `v = t + shift` for trailer time `t`.
    let v_hit = match looped {
        Some(le) if needs_before => hit + ((anchor_s - hit) / (le - hit)).ceil() * (le - hit),
        _ => hit,
    };
    let shift = v_hit - anchor_s;
    let (from, to) = (shift.max(0.0), duration_s + shift);
    // The endless version's stretches: [0, end) as the file, then the loop section repeated.
    let mut pieces = Vec::new();
    let mut stretch = (0.0, looped.unwrap_or(music.duration_s), 0.0);
    while stretch.0 < to {
        let (a, b) = (stretch.0.max(from), stretch.1.min(to));
        if b > a {
            pieces.push(Piece {
                start_s: a - shift,
                end_s: b - shift,
                music_start_s: stretch.2 + (a - stretch.0),
            });
        }
        let Some(le) = looped else { break };
        stretch = (stretch.1, stretch.1 + (le - hit), hit);
    }
    let map = |times: &[f64]| -> Vec<f64> {
        let mut out: Vec<f64> = pieces
            .iter()
            .flat_map(|p| {
                let shift = p.music_start_s - p.start_s;
                times
                    .iter()
                    .map(move |&m| m - shift)
                    .filter(move |&t| t >= p.start_s - 1e-6 && t < p.end_s - 1e-6)
            })
            .collect();
        out.sort_by(f64::total_cmp);
        out.dedup_by(|a, b| (*a - *b).abs() < 1e-3);
        out
    };
    Placement {
        beats_s: map(&music.beats_s),
        downbeats_s: map(&bars),
        pieces,
    }
}

/// The bar to put on the act-3 entry: the strongest section start, preferably one with music enough before it
/// and after it to need no loop, and else one with room for a loop after it.
fn choose_hit_bar(music: &MusicAnalysis, bars: &[f64], duration_s: f64, anchor_s: f64) -> Option<f64> {
    let after_needed = duration_s - anchor_s;
    let usable_end = music.duration_s - TAIL_MARGIN_S;
    let score = |i: usize| -> f64 {
        let b = bars[i];
        let mut s = 0.0;
        // A section start: the next bars are louder than the ones before.
        if music.bar_rms.len() == bars.len() && i >= 1 {
            let lo = i.saturating_sub(SECTION_BARS);
            let hi = (i + SECTION_BARS).min(bars.len());
            let mean = |r: &[f32]| r.iter().map(|&x| x as f64).sum::<f64>() / r.len().max(1) as f64;
            let before = mean(&music.bar_rms[lo..i]);
            let after = mean(&music.bar_rms[i..hi]);
            s += (after / before.max(1e-6)).ln().clamp(-1.0, 2.0);
        }
        let fits_before = b >= anchor_s;
        let fits_after = b + after_needed <= usable_end;
        if !(fits_before && fits_after) {
            s -= 1.0;
        }
        // A loop needs room after the hit.
        if !(fits_before && fits_after) && loop_end(bars, b, usable_end).is_none() {
            s -= 10.0;
        }
        s
    };
    // Ties go to the earlier bar: more of the track's own opening plays.
    (0..bars.len())
        .rev()
        .max_by(|&a, &b| score(a).total_cmp(&score(b)))
        .map(|i| bars[i])
}

/// The last bar start, at most `usable_end`, that closes a loop of at least `LOOP_BARS` bars from `hit`.
fn loop_end(bars: &[f64], hit: f64, usable_end: f64) -> Option<f64> {
    bars.iter().rev().copied().find(|&b| {
        b <= usable_end && b - hit >= MIN_LOOP_S && bars.iter().filter(|&&x| x >= hit && x < b).count() >= LOOP_BARS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steady(duration_s: f64, bpm: f64, lead_s: f64) -> MusicAnalysis {
        let p = 60.0 / bpm;
        let beats: Vec<f64> = (0..)
            .map(|k| lead_s + k as f64 * p)
            .take_while(|&t| t < duration_s)
            .collect();
        let downbeats: Vec<f64> = beats.iter().step_by(4).copied().collect();
        let bar_rms = vec![0.1; downbeats.len()];
        MusicAnalysis {
            duration_s,
            bpm,
            beats_s: beats,
            downbeats_s: downbeats,
            bar_rms,
        }
    }

    #[test]
    fn a_bar_start_lands_on_the_anchor() {
        let m = steady(200.0, 120.0, 0.3);
        let p = place(&m, 120.0, 80.0);
        assert!(
            p.downbeats_s.iter().any(|&d| (d - 80.0).abs() < 1e-6),
            "{:?}",
            p.downbeats_s
        );
        assert_eq!(p.pieces.len(), 1);
        assert!(p.pieces[0].start_s.abs() < 1e-9 && (p.pieces[0].end_s - 120.0).abs() < 1e-9);
        // Beats cover the whole trailer at the track's period.
        assert!(p.beats_s.windows(2).all(|w| (w[1] - w[0] - 0.5).abs() < 1e-6));
    }

    #[test]
    fn the_loudest_section_start_is_preferred() {
        let mut m = steady(240.0, 120.0, 0.0);
        // A drop at bar 40 (80 s): quiet before, loud after.
        for (i, r) in m.bar_rms.iter_mut().enumerate() {
            *r = if i >= 40 { 0.4 } else { 0.1 };
        }
        let p = place(&m, 120.0, 70.0);
        assert!(
            (p.pieces[0].music_start_s - (80.0 - 70.0)).abs() < 1e-6,
            "{:?}",
            p.pieces
        );
    }

    #[test]
    fn a_short_track_loops_on_bar_starts() {
        let m = steady(40.0, 120.0, 0.0);
        let p = place(&m, 120.0, 60.0);
        assert!(p.pieces.len() >= 3, "{:?}", p.pieces);
        let last = p.pieces.last().unwrap();
        assert!((last.end_s - 120.0).abs() < 1e-6);
        for w in p.pieces.windows(2) {
            assert!((w[0].end_s - w[1].start_s).abs() < 1e-9);
            // Both sides of every join are bar starts in the file.
            let file_out = w[0].music_start_s + (w[0].end_s - w[0].start_s);
            assert!(m.downbeats_s.iter().any(|&d| (d - file_out).abs() < 1e-6));
            assert!(m.downbeats_s.iter().any(|&d| (d - w[1].music_start_s).abs() < 1e-6));
        }
        // The pulse never skips across a join.
        assert!(
            p.beats_s.windows(2).all(|w| (w[1] - w[0] - 0.5).abs() < 1e-6),
            "{:?}",
            p.beats_s
        );
        assert!(p.downbeats_s.iter().any(|&d| (d - 60.0).abs() < 1e-6));
    }

    #[test]
    fn music_shorter_than_the_lead_in_is_looped_to_cover_it() {
        let m = steady(30.0, 100.0, 0.0);
        let p = place(&m, 60.0, 50.0);
        assert!(p.pieces[0].start_s.abs() < 1e-9, "{:?}", p.pieces);
        assert!(p.downbeats_s.iter().any(|&d| (d - 50.0).abs() < 1e-6));
        assert!(
            p.beats_s.windows(2).all(|w| (w[1] - w[0] - 0.6).abs() < 1e-6),
            "{:?}",
            p.beats_s
        );
    }

    #[test]
    fn a_track_too_short_to_loop_enters_late() {
        let m = steady(6.0, 120.0, 0.0);
        let p = place(&m, 60.0, 50.0);
        assert!(p.pieces[0].start_s > 0.0, "{:?}", p.pieces);
        assert!(p.downbeats_s.iter().any(|&d| (d - 50.0).abs() < 1e-6));
    }
}
