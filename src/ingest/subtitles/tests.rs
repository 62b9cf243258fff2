//! Whole-file tests of `parse_bytes`: the oddities real subtitle files have, hostile input, and the shared test
//! media (Tears of Steel, Popeye) when `../shared/media` is present.

use super::*;

fn parse(text: &str) -> ParsedSubtitles {
    parse_bytes(text.as_bytes(), None).expect("parses")
}

fn texts(parsed: &ParsedSubtitles) -> Vec<&str> {
    parsed.events.iter().map(|e| e.text.as_str()).collect()
}

fn times(parsed: &ParsedSubtitles) -> Vec<(f64, f64)> {
    parsed.events.iter().map(|e| (e.start_s, e.end_s)).collect()
}

fn warning_lines(parsed: &ParsedSubtitles) -> Vec<usize> {
    parsed.warnings.iter().map(|w| w.line).collect()
}

const TWO_CUES: &str = "1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03,000 --> 00:00:04,000\nWorld\n";

#[test]
fn line_endings_crlf_cr_and_lf_agree() {
    let lf = parse(TWO_CUES);
    assert_eq!(texts(&lf), ["Hello", "World"]);
    assert_eq!(parse(&TWO_CUES.replace('\n', "\r\n")), lf);
    assert_eq!(parse(&TWO_CUES.replace('\n', "\r")), lf);
}

#[test]
fn bom_and_utf16() {
    let with_bom = format!("\u{FEFF}{TWO_CUES}");
    assert_eq!(texts(&parse(&with_bom)), ["Hello", "World"]);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(TWO_CUES.encode_utf16().flat_map(u16::to_le_bytes));
    let parsed = parse_bytes(&utf16, Some("srt")).expect("parses");
    assert_eq!((texts(&parsed).len(), parsed.encoding), (2, "UTF-16LE"));
}

#[test]
fn legacy_encoding_is_reported() {
    let bytes = b"1\n00:00:01,000 --> 00:00:02,000\nTu es tr\xE8s en retard, gar\xE7on. D\xE9p\xEAche-toi!\n";
    let parsed = parse_bytes(bytes, Some("srt")).expect("parses");
    assert_eq!(parsed.encoding, "windows-1252");
    assert_eq!(texts(&parsed), ["Tu es très en retard, garçon. Dépêche-toi!"]);
}

#[test]
fn millisecond_separators_long_hours_and_short_fractions() {
    let file = "1\n00:00:01.000 --> 00:00:02,5\nA\n\n2\n100:00:01,000 --> 100:00:02,05\nB\n\n\
                3\n00:00:03,000-->00:00:04,000\nC\n\n4\n00:00:05,000    -->    00:00:06,000   \nD\n";
    let parsed = parse(file);
    let got: Vec<(f64, f64)> = times(&parsed)
        .iter()
        .map(|&(s, e)| (s, (e * 1000.0).round() / 1000.0))
        .collect();
    assert_eq!(got, [(1.0, 2.5), (3.0, 4.0), (5.0, 6.0), (360_001.0, 360_002.05)]);
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
}

#[test]
fn blank_line_runs_and_missing_blank_lines() {
    let file = "\n\n\n1\n00:00:01,000 --> 00:00:02,000\nA\n2\n00:00:03,000 --> 00:00:04,000\nB\n\n\n\n\n\
                00:00:05,000 --> 00:00:06,000\nC\n00:00:07,000 --> 00:00:08,000\nD\n\n\n";
    assert_eq!(texts(&parse(file)), ["A", "B", "C", "D"]);
}

#[test]
fn number_lines_in_text_stay_text() {
    let file =
        "1\n00:00:01,000 --> 00:00:02,000\nHow many?\n42\n\n2\n00:00:03,000 --> 00:00:04,000\n1984\nWas a year.\n";
    assert_eq!(texts(&parse(file)), ["How many? 42", "1984 Was a year."]);
}

#[test]
fn overlapping_and_out_of_order_cues_are_kept_and_sorted() {
    let file = "1\n00:00:05,000 --> 00:00:07,000\nLate\n\n2\n00:00:01,000 --> 00:00:06,000\nEarly\n\n\
                3\n00:00:01,000 --> 00:00:02,000\nEarly too\n";
    let parsed = parse(file);
    assert_eq!(texts(&parsed), ["Early", "Early too", "Late"]); // stable for equal starts
    assert!(parsed.warnings.is_empty());
}

#[test]
fn bad_cues_are_dropped_with_their_line() {
    let file = "1\n00:00:01,000 --> 00:00:02,000\n\n\
                2\n00:00:04,000 --> 00:00:03,000\nReversed\n\n\
                3\n00:00:05,000 --> 00:00:05,000\nZero\n\n\
                4\n-00:00:01,000 --> 00:00:02,000\nNegative\n\n\
                5\n00:00:0x,000 --> 00:00:09,000\nGarbled\n\n\
                6\n00:00:10,000 --> 00:00:11,000\n<i></i>{\\an8}\n\n\
                7\n00:00:12,000 --> 00:00:13,000\nSurvivor\n";
    let parsed = parse(file);
    assert_eq!(texts(&parsed), ["Survivor"]);
    let mut lines = warning_lines(&parsed);
    lines.sort_unstable();
    assert_eq!(lines, [2, 5, 9, 13, 17, 21]);
}

#[test]
fn trailing_garbage_is_ignored_with_a_warning() {
    let file = format!("{TWO_CUES}\n\u{0}\u{1}garbage ~~~\nmore\n");
    let parsed = parse(&file);
    assert_eq!(texts(&parsed), ["Hello", "World"]);
    assert_eq!(warning_lines(&parsed), [9]);
}

#[test]
fn speakers_sound_cues_and_emotions_end_to_end() {
    let file = "WEBVTT\n\n00:01.000 --> 00:02.000\n<v Bob>Run!\n\n00:03.000 --> 00:04.000\n[explosion]\n\n\
                00:05.000 --> 00:06.000\n(sighs)\n\n00:07.000 --> 00:08.000\nMARY: I love you &amp; you know it.\n\n\
                00:09.000 --> 00:10.000\n[SCREAMS]\n";
    let parsed = parse(file);
    let summary: Vec<(&str, Option<&str>, Emotion, bool)> = parsed
        .events
        .iter()
        .map(|e| (e.text.as_str(), e.speaker.as_deref(), e.emotion, e.sound_cue))
        .collect();
    assert_eq!(
        summary,
        [
            ("Run!", Some("Bob"), Emotion::Intense, false),
            ("explosion", None, Emotion::Intense, true),
            ("sighs", None, Emotion::Neutral, true),
            ("I love you & you know it.", Some("MARY"), Emotion::Romantic, false),
            ("SCREAMS", None, Emotion::Intense, true),
        ]
    );
}

#[test]
fn all_caps_files_are_not_all_shouting() {
    let file = "1\n00:00:01,000 --> 00:00:02,000\nWHERE ARE YOU GOING?\n\n2\n00:00:03,000 --> 00:00:04,000\nHOME.\n";
    let parsed = parse(file);
    assert!(
        parsed.events.iter().all(|e| e.emotion == Emotion::Neutral),
        "{:?}",
        parsed.events
    );
}

#[test]
fn ass_file_end_to_end() {
    let file = "[Script Info]\nScriptType: v4.00+\n\n[Events]\n\
                Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n\
                Dialogue: 0,0:00:03.00,0:00:04.00,Default,,0,0,0,,Later, then\n\
                Comment: 0,0:00:01.00,0:00:02.00,Default,,0,0,0,,a hidden note\n\
                Dialogue: 0,0:00:01.00,0:00:02.00,Default,Celia,0,0,0,,{\\i1}Look{\\i0}, Thom\\Nwe're done.\n";
    let parsed = parse(file);
    assert_eq!(parsed.format, SubtitleFormat::Ass);
    assert_eq!(texts(&parsed), ["Look, Thom we're done.", "Later, then"]);
    assert_eq!(parsed.events[0].speaker.as_deref(), Some("Celia"));
}

#[test]
fn empty_and_cueless_files_are_ok_with_a_warning() {
    for text in [
        "",
        "\n\n  \r\n",
        "\u{FEFF}",
        "WEBVTT\n\n",
        "[Script Info]\nTitle: nothing\n",
    ] {
        let parsed = parse_bytes(text.as_bytes(), Some("srt")).expect("ok");
        assert!(parsed.events.is_empty());
        assert_eq!(parsed.warnings.len(), 1, "{text:?}: {:?}", parsed.warnings);
    }
}

#[test]
fn non_subtitles_are_errors_that_say_what_they_are() {
    let mkv = parse_bytes(b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01\x42\xF7\x81\x01", Some("srt")).unwrap_err();
    assert!(mkv.contains("Matroska"), "{mkv}");
    let prose = parse_bytes(b"Call me Ishmael. Some years ago...", None).unwrap_err();
    assert!(prose.contains("plain text"), "{prose}");
    let noise: Vec<u8> = Rng(7).bytes(4096);
    assert!(parse_bytes(&noise, None).unwrap_err().contains("binary"));
}

#[test]
fn serde_shape() {
    let event = DialogueEvent {
        start_s: 1.0,
        end_s: 2.0,
        text: "Hi".into(),
        speaker: None,
        emotion: Emotion::Neutral,
        sound_cue: false,
    };
    let json = serde_json::to_string(&event).expect("serialises");
    assert_eq!(
        json,
        r#"{"start_s":1.0,"end_s":2.0,"text":"Hi","speaker":null,"emotion":"neutral"}"#
    );
    let back: DialogueEvent = serde_json::from_str(&json).expect("deserialises");
    assert_eq!(back, event);
    let sound = DialogueEvent {
        sound_cue: true,
        ..event
    };
    assert!(
        serde_json::to_string(&sound)
            .expect("serialises")
            .contains(r#""sound_cue":true"#)
    );
}

/// A tiny deterministic generator, so the hostile-input tests are reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Pieces that stress the parsers when shuffled together.
const FRAGMENTS: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    "\n\n",
    "1",
    "42",
    "-->",
    " --> ",
    "00:00:01,000",
    "00:01.5",
    "-00:00:01,000",
    "100:00:00,0",
    "WEBVTT",
    "NOTE",
    "STYLE",
    "[Events]",
    "[Script Info]",
    "Format: Start, End, Text",
    "Format: Text",
    "Dialogue: ",
    "Comment: ",
    ",",
    "{",
    "}",
    "{\\p1}",
    "{\\p0}",
    "\\N",
    "<",
    ">",
    "<v",
    " Bob>",
    "</i>",
    "&",
    "&amp;",
    "&#x",
    ";",
    "[",
    "]",
    "(",
    ")",
    "♪",
    "- ",
    "JOHN:",
    ":",
    "é",
    "\u{FEFF}",
    "\u{0}",
    "Run!",
    "love",
    "not",
    "!!",
];

#[test]
fn hostile_input_never_panics() {
    let mut rng = Rng(0x5EED);
    for round in 0..3_000 {
        let bytes = if round % 3 == 0 {
            let len = rng.below(600);
            rng.bytes(len)
        } else {
            let pieces = rng.below(80);
            (0..pieces)
                .map(|_| FRAGMENTS[rng.below(FRAGMENTS.len())])
                .collect::<String>()
                .into_bytes()
        };
        if let Ok(parsed) = parse_bytes(&bytes, None) {
            for event in &parsed.events {
                assert!(
                    event.end_s > event.start_s && event.start_s >= 0.0,
                    "{event:?} from {bytes:?}"
                );
                assert!(!event.text.is_empty(), "{bytes:?}");
            }
        }
    }
}

#[test]
fn mutated_real_files_never_panic() {
    let mut rng = Rng(0xF00D);
    let base = format!("{TWO_CUES}\n{}", include_str!("srt.rs").len()); // any non-trivial text would do
    for _ in 0..2_000 {
        let mut bytes = base.clone().into_bytes();
        for _ in 0..1 + rng.below(6) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] = rng.next() as u8,
                1 => bytes.truncate(at),
                _ => bytes.insert(at, b"\n->:,.0"[rng.below(7)]),
            }
            if bytes.is_empty() {
                break;
            }
        }
        let _ = parse_bytes(&bytes, Some("srt"));
    }
}

#[test]
fn huge_inputs_stay_linear() {
    // No timing here (speed targets live in benchmarks); a quadratic step would make this test crawl.
    let one_line = "a".repeat(1 << 20);
    assert!(parse_bytes(one_line.as_bytes(), None).is_err());
    let long_cue = format!("1\n00:00:01,000 --> 00:00:02,000\n{}\n", "[(<{&".repeat(200_000));
    assert_eq!(parse(&long_cue).events.len(), 1);

    let mut many = String::new();
    for i in 0..50_000u32 {
        let (s, e) = (i * 2, i * 2 + 1);
        many.push_str(&format!(
            "{}\n{:02}:{:02}:{:02},000 --> {:02}:{:02}:{:02},500\n<i>Line {i}</i>, run!\n\n",
            i + 1,
            s / 3600,
            s / 60 % 60,
            s % 60,
            e / 3600,
            e / 60 % 60,
            e % 60
        ));
    }
    let parsed = parse(&many);
    assert_eq!(parsed.events.len(), 50_000);
    assert!(parsed.warnings.is_empty());
}

/// The shared test media, when this checkout has it beside the crate.
fn media(path: &str) -> Option<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/media");
    if !root.is_dir() {
        return None;
    }
    Some(std::fs::read(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}")))
}

#[test]
fn real_files_have_the_known_cue_counts() {
    let expected = [
        ("tears_of_steel/TOS-en.vtt", 76, SubtitleFormat::Vtt),
        ("tears_of_steel/tears_of_steel.en.srt", 76, SubtitleFormat::Srt),
        ("tears_of_steel/tears_of_steel.en.ass", 76, SubtitleFormat::Ass),
        ("tears_of_steel/TOS-en.round-times.vtt", 75, SubtitleFormat::Vtt),
        ("tears_of_steel/TOS-fr.vtt", 76, SubtitleFormat::Vtt),
        ("popeye_1936/popeye_p3.eng.srt", 15, SubtitleFormat::Srt),
    ];
    for (path, count, format) in expected {
        let Some(bytes) = media(path) else {
            return;
        };
        let extension = path.rsplit('.').next();
        let parsed = parse_bytes(&bytes, extension).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(parsed.events.len(), count, "{path}");
        assert_eq!(parsed.format, format, "{path}");
        assert!(parsed.warnings.is_empty(), "{path}: {:?}", parsed.warnings);
        assert!(parsed.events.iter().all(|e| !e.text.is_empty()), "{path}");
        if path.contains("tears_of_steel") {
            assert!(
                (parsed.events[0].start_s - 23.0).abs() <= 0.02,
                "{path}: {}",
                parsed.events[0].start_s
            );
            assert!(parsed.events.iter().all(|e| !e.sound_cue), "{path}");
        }
    }
}

#[test]
fn real_files_read_as_a_viewer_would() {
    let Some(en) = media("tears_of_steel/TOS-en.vtt") else {
        return;
    };
    let en = parse_bytes(&en, Some("vtt")).expect("parses");
    assert_eq!(en.encoding, "UTF-8");
    assert_eq!(en.events[0].text, "You're a jerk, Thom.");
    assert_eq!(
        en.events[2].text,
        "...you have your robotics, and I just want to be awesome in space."
    );

    let Some(fr) = media("tears_of_steel/TOS-fr.vtt") else {
        return;
    };
    let fr = parse_bytes(&fr, Some("vtt")).expect("parses");
    assert_eq!(
        fr.events[2].text,
        "...toi t'as la robotique, et moi je veux juste être super dans l'espace."
    );

    let Some(ass) = media("tears_of_steel/tears_of_steel.en.ass") else {
        return;
    };
    let ass = parse_bytes(&ass, Some("ass")).expect("parses");
    let en_texts: Vec<&str> = texts(&en);
    assert_eq!(texts(&ass), en_texts);

    let Some(popeye) = media("popeye_1936/popeye_p3.eng.srt") else {
        return;
    };
    let popeye = parse_bytes(&popeye, Some("srt")).expect("parses");
    let sounds: Vec<&str> = popeye
        .events
        .iter()
        .filter(|e| e.sound_cue)
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(sounds, ["squawk", "squawk", "screams"]);
    assert_eq!(popeye.events[4].emotion, Emotion::Intense); // "H-H-Help! P-P-Popeye!"
}
