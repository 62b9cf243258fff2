//! Subtitle bytes with the `.srt` hint: decoding, format detection, the SRT parser, cleaning and emotion.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| cinecut_fuzz::check_subtitles(data, "srt"));
