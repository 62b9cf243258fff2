//! `pipeline_checkpoint.json` bytes: `parse_checkpoint`, which `load_checkpoint` uses. A checkpoint that loads must
//! survive save → load unchanged.
#![no_main]

use cinecut::parse_checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(checkpoint) = parse_checkpoint(data) {
        let saved = serde_json::to_vec_pretty(&checkpoint).expect("a loaded checkpoint serialises");
        assert_eq!(parse_checkpoint(&saved), Ok(checkpoint));
    }
});
