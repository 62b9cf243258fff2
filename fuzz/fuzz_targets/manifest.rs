//! `TRAILER_MANIFEST.json` text: `Manifest::parse` without and with a film duration. A manifest that loads must
//! survive save → load unchanged (the loader's checks and serde must agree).
#![no_main]

use cinecut::Manifest;
use libfuzzer_sys::fuzz_target;

/// A film length for the "past the film's end" checks.
const FILM_S: f64 = 600.0;

fuzz_target!(|data: &[u8]| {
    // `Manifest::load` reads the file with `read_to_string`, so only UTF-8 reaches `parse`.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for duration in [None, Some(FILM_S)] {
        match Manifest::parse(text, duration) {
            Ok(manifest) => {
                let saved = serde_json::to_string_pretty(&manifest).expect("a loaded manifest serialises");
                let reloaded = Manifest::parse(&saved, duration).expect("a saved manifest loads again");
                assert_eq!(reloaded, manifest);
            }
            Err(problems) => assert!(!problems.is_empty(), "an error must list its problems"),
        }
    }
});
