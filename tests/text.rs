//! The film's own text on screen (stage `proxy` measures it, `keyframes` follows and reads it, the story never
//! picks it): a generated film with overlay text of every kind at known times — credits on black, on white and
//! on a coloured gradient, a roll, a lower-third name caption and a centred caption over moving footage, the
//! title card — and text in the world (a sign moving with the picture) that must not be flagged. Its trailer is
//! then read back at 2 fps: no overlay text outside its own title card.

use crate::util::{self, Cinecut};

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use util::read_json;

const SIZE: &str = "854x480";
const RATE: u32 = 24;

/// One stretch of the film: its length, its ground (a lavfi source) and the text drawn on it.
struct Segment {
    secs: f64,
    ground: String,
    text: Vec<String>,
}

/// What a viewer would call each overlay text, and when it is up (film seconds).
struct Truth {
    kind: &'static str,
    start_s: f64,
    end_s: f64,
    words: &'static str,
}

fn font(pattern: &str) -> String {
    let out = Command::new("fc-match")
        .args(["-f", "%{file}", pattern])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// `drawtext` of `text` at (`x`, `y`), up from `from` to `to` seconds into its segment.
fn draw(text: &str, x: &str, y: &str, size: u32, colour: &str, face: &str, (from, to): (f64, f64)) -> String {
    format!(
        "drawtext=fontfile={}:text='{text}':x={x}:y={y}:fontsize={size}:fontcolor={colour}:enable='between(t,{from},{to})'",
        font(face)
    )
}

/// A block of credits, four roles and names centred, up from 0.5 s to 5.5 s.
fn credits(colour: &str) -> Vec<String> {
    let roles = [
        ("Directed by", "JANE DOE"),
        ("Produced by", "JOHN ROE"),
        ("Music", "THE SIGNALS"),
        ("Camera", "A. N. OTHER"),
    ];
    let mut out = Vec::new();
    for (i, (role, name)) in roles.iter().enumerate() {
        let y = 120 + i * 70;
        out.push(draw(
            role,
            "(w-tw)/2",
            &y.to_string(),
            18,
            colour,
            "DejaVu Sans",
            (0.5, 5.5),
        ));
        out.push(draw(
            name,
            "(w-tw)/2",
            &(y + 25).to_string(),
            26,
            colour,
            "DejaVu Sans:bold",
            (0.5, 5.5),
        ));
    }
    out
}

/// "The Last Signal", 80 s: the segments below, one after another, with a tone. The credits start at 70 % of it.
fn the_last_signal(dir: &Path) -> (PathBuf, Vec<Truth>, (f64, f64)) {
    let footage =
        |seed: u32| format!("mandelbrot=s={SIZE}:r={RATE}:start_scale=3:end_scale=0.2:end_pts=60,hue=H=t/3+{seed}");
    let life =
        format!("life=s={SIZE}:r={RATE}:mold=10:ratio=0.3:life_color=#ffcc88:death_color=#223344:seed=3,boxblur=2");
    let black = format!("color=c=black:s={SIZE}:r={RATE}");
    let mut roll = Vec::new();
    for (i, line) in [
        "CAST",
        "Anna Klein ... MARIA LOPEZ",
        "The Stranger ... PETER VAN DAM",
        "Hotel Clerk ... SAM OKONJO",
        "CREW",
        "Editor ... LEE PARK",
        "Sound ... ROSA BIANCHI",
        "Colourist ... TOM HALE",
        "THE END",
    ]
    .iter()
    .enumerate()
    {
        roll.push(format!(
            "drawtext=fontfile={}:text='{line}':x=(w-tw)/2:y=h+{}-60*t:fontsize=24:fontcolor=white",
            font("DejaVu Sans"),
            i * 60
        ));
    }
    let segments = vec![
        Segment {
            secs: 6.0,
            ground: black.clone(),
            text: vec![draw(
                "A FILM BY JANE DOE",
                "(w-tw)/2",
                "(h-th)/2",
                30,
                "white",
                "DejaVu Sans",
                (1.0, 5.0),
            )],
        },
        Segment {
            secs: 10.0,
            ground: footage(1),
            text: vec![
                draw(
                    "DR. ANNA KLEIN",
                    "60",
                    "330",
                    30,
                    "white",
                    "DejaVu Sans:bold",
                    (2.0, 6.0),
                ),
                draw("Chief Scientist", "60", "370", 22, "white", "DejaVu Sans", (2.0, 6.0)),
            ],
        },
        // In the world: a sign that moves with the picture.
        Segment {
            secs: 8.0,
            ground: life,
            text: vec![
                "drawtext=fontfile=FONT:text='HOTEL ASTORIA':x=20+70*t:y=150+20*sin(t):fontsize=34:fontcolor=#ffeecc"
                    .replace("FONT", &font("DejaVu Serif:bold")),
            ],
        },
        Segment {
            secs: 8.0,
            ground: format!("gradients=s={SIZE}:r={RATE}:c0=#204060:c1=#80a0c0:speed=0.05:seed=5"),
            text: vec![draw(
                "PARIS, 1943",
                "(w-tw)/2",
                "(h-th)/2",
                32,
                "white",
                "DejaVu Sans",
                (2.0, 6.0),
            )],
        },
        Segment {
            secs: 6.0,
            ground: black.clone(),
            text: vec![draw(
                "THE LAST SIGNAL",
                "(w-tw)/2",
                "(h-th)/2",
                56,
                "white",
                "DejaVu Serif:bold",
                (1.0, 5.0),
            )],
        },
        // The film's action: six shots of 3 s.
    ];
    let action = (0..6u32).map(|k| Segment {
        secs: 3.0,
        ground: match k % 3 {
            0 => footage(k + 2),
            1 => format!(
                "life=s={SIZE}:r={RATE}:mold=10:ratio=0.4:life_color=#88ccff:death_color=#442211:seed={k},boxblur=2"
            ),
            _ => format!("gradients=s={SIZE}:r={RATE}:speed=0.1:seed={k}"),
        },
        text: vec![],
    });
    let credits_on = [
        Segment {
            secs: 6.0,
            ground: format!("color=c=white:s={SIZE}:r={RATE}"),
            text: credits("black"),
        },
        Segment {
            secs: 6.0,
            ground: format!("gradients=s={SIZE}:r={RATE}:c0=#603080:c1=#d08040:speed=0.01:seed=2"),
            text: credits("white"),
        },
        Segment {
            secs: 12.0,
            ground: format!("color=c=#101018:s={SIZE}:r={RATE}"),
            text: roll,
        },
    ];
    let mut list = String::new();
    for (i, s) in segments.into_iter().chain(action).chain(credits_on).enumerate() {
        let piece = dir.join(format!("piece{i}.mp4"));
        let mut vf = s.text.clone();
        vf.push("format=yuv420p".into());
        util::ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &s.ground,
            "-vf",
            &vf.join(","),
            "-t",
            &s.secs.to_string(),
            "-r",
            &RATE.to_string(),
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "18",
            piece.to_str().unwrap(),
        ]);
        list.push_str(&format!("file '{}'\n", piece.display()));
    }
    let list_file = dir.join("pieces.txt");
    std::fs::write(&list_file, list).unwrap();
    let film = dir.join("the_last_signal.mp4");
    util::ffmpeg(&[
        "-f",
        "concat",
        "-safe",
        "0",
        "-i",
        list_file.to_str().unwrap(),
        "-f",
        "lavfi",
        "-i",
        "sine=f=220:r=48000",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "copy",
        "-c:a",
        "aac",
        "-shortest",
        film.to_str().unwrap(),
    ]);
    let truth = vec![
        Truth {
            kind: "credits",
            start_s: 1.0,
            end_s: 5.0,
            words: "JANE DOE",
        },
        Truth {
            kind: "caption",
            start_s: 8.0,
            end_s: 12.0,
            words: "Chief Scientist",
        },
        Truth {
            kind: "caption",
            start_s: 26.0,
            end_s: 30.0,
            words: "PARIS",
        },
        Truth {
            kind: "title",
            start_s: 33.0,
            end_s: 37.0,
            words: "LAST SIGNAL",
        },
        Truth {
            kind: "credits",
            start_s: 56.5,
            end_s: 61.5,
            words: "JOHN ROE",
        },
        Truth {
            kind: "credits",
            start_s: 62.5,
            end_s: 67.5,
            words: "JOHN ROE",
        },
        // The roll enters at the bottom at once and its last line leaves the top after 12 s.
        Truth {
            kind: "credits",
            start_s: 68.0,
            end_s: 80.0,
            words: "",
        },
    ];
    (film, truth, (16.0, 24.0))
}

fn spans_of(work: &Path) -> Vec<Value> {
    read_json(&work.join("analysis/spans.json"))["text"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn every_kind_of_overlay_text_is_found_and_none_reaches_the_trailer() {
    let d = tempfile::tempdir().unwrap();
    let (film, truth, in_world) = the_last_signal(d.path());
    let work = d.path().join("w");
    let out = d.path().join("spot.mp4");
    let r = Cinecut::film(&film)
        .vibe("thriller")
        .length("spot")
        .work_dir(&work)
        .output(&out)
        .quiet()
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Every overlay text is a span of its kind, edges within 0.5 s of the truth (a roll's, which runs off the
    // film's end, by its start), read where it is still.
    let spans = spans_of(&work);
    let shown: Vec<String> = spans
        .iter()
        .map(|s| format!("{} {:.2}–{:.2} {}", s["kind"], s["start_s"], s["end_s"], s["words"]))
        .collect();
    for t in &truth {
        let hit = spans.iter().find(|s| {
            let (a, b) = (s["start_s"].as_f64().unwrap(), s["end_s"].as_f64().unwrap());
            s["kind"] == t.kind && (a - t.start_s).abs() <= 0.5 && (b - t.end_s).abs() <= 0.5
        });
        let Some(hit) = hit else {
            panic!(
                "{} {}–{} not found in\n{}",
                t.kind,
                t.start_s,
                t.end_s,
                shown.join("\n")
            );
        };
        let words = hit["words"].as_str().unwrap_or("");
        assert!(
            words.to_uppercase().contains(&t.words.to_uppercase()),
            "{} at {}: read {words:?}",
            t.kind,
            t.start_s
        );
    }
    // The sign in the world is not overlay text, and nothing else is found.
    assert_eq!(spans.len(), truth.len(), "{}", shown.join("\n"));
    assert!(
        spans
            .iter()
            .all(|s| s["end_s"].as_f64().unwrap() <= in_world.0 || s["start_s"].as_f64().unwrap() >= in_world.1),
        "the sign in the world was taken for overlay text:\n{}",
        shown.join("\n")
    );
    // The end credits, on white, on a gradient and rolling, are the film's tail.
    let end = &read_json(&work.join("analysis/spans.json"))["end_credits"];
    let end_start = end["start_s"].as_f64().unwrap();
    assert!((55.5..=56.5).contains(&end_start), "end credits start at {end_start}");

    assert_no_film_text(&work, &out, "The Last Signal");

    // The title card is the film's own title shot (33–37 s on black, the shot 32–38 s), and says so.
    let m = read_json(&work.join("TRAILER_MANIFEST.json"));
    let (a, b) = (
        m["title_shot"]["source_start_s"].as_f64().unwrap(),
        m["title_shot"]["source_end_s"].as_f64().unwrap(),
    );
    assert!(
        (31.9..=33.0).contains(&a) && (37.0..=38.1).contains(&b),
        "title shot {a}–{b}"
    );
    let why = m["title_card_reason"].as_str().unwrap();
    assert!(why.contains("THE LAST SIGNAL"), "{why}");
    // Asked for the typeset card, the story stage chooses it.
    let r = Cinecut::film(&film)
        .vibe("thriller")
        .length("spot")
        .arg("--title-card")
        .arg("text")
        .until("narrative")
        .work_dir(&work)
        .quiet()
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m = read_json(&work.join("TRAILER_MANIFEST.json"));
    assert!(m.get("title_shot").is_none(), "{}", m["title_shot"]);
    assert!(m["title_card_reason"].as_str().unwrap().contains("--title-card text"));
}

/// A film with its subtitles burned into the picture: each line drawn in the lower third while it is spoken.
/// The text is found as burned-in subtitles, the user is told, and clips are still chosen from it.
#[test]
fn burned_in_subtitles_are_reported_and_clips_still_chosen() {
    let d = tempfile::tempdir().unwrap();
    let lines: Vec<(f64, f64, &str)> = (0..10)
        .map(|i| {
            let a = 3.0 + i as f64 * 5.0;
            (
                a,
                a + 3.0,
                [
                    "Where were you last night?",
                    "We have to leave now.",
                    "Nobody told me anything.",
                ][i % 3],
            )
        })
        .collect();
    let mut srt = String::new();
    let mut draw_lines = Vec::new();
    let stamp = |t: f64| format!("00:00:{:02},{:03}", t as u32, ((t.fract()) * 1000.0).round() as u32);
    for (i, (a, b, text)) in lines.iter().enumerate() {
        srt.push_str(&format!("{}\n{} --> {}\n{text}\n\n", i + 1, stamp(*a), stamp(*b)));
        draw_lines.push(draw(text, "(w-tw)/2", "h-70", 26, "white", "DejaVu Sans", (*a, *b)));
    }
    let subs = d.path().join("burned.srt");
    std::fs::write(&subs, srt).unwrap();
    // Slow colour gradients whose colours jump every 6 s: a cut for the shot detector, so the story has shots.
    let ground = format!("gradients=s={SIZE}:r={RATE}:speed=0.02:seed=4,hue=H=floor(t/6)*2.1");
    let film = d.path().join("burned.mp4");
    util::ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        &ground,
        "-f",
        "lavfi",
        "-i",
        "sine=f=330:r=48000",
        "-vf",
        &format!("{},format=yuv420p", draw_lines.join(",")),
        "-t",
        "55",
        "-map",
        "0:v",
        "-map",
        "1:a",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-c:a",
        "aac",
        film.to_str().unwrap(),
    ]);
    let work = d.path().join("w");
    let r = Cinecut::film(&film)
        .subtitles(&subs)
        .vibe("drama")
        .until("narrative")
        .work_dir(&work)
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("subtitles burned into its picture"), "{}", r.stderr);
    let spans = spans_of(&work);
    let burned = spans.iter().filter(|s| s["kind"] == "subtitles").count();
    assert!(burned >= 9, "{burned} of 10 lines found burned in: {spans:#?}");
    let clips = read_json(&work.join("TRAILER_MANIFEST.json"))["clips"]
        .as_array()
        .unwrap()
        .len();
    assert!(clips >= 3, "{clips} clips");
}

/// No clip of the work dir's manifest holds a frame of the film's own text (burned-in subtitles aside), and
/// the rendered trailer, read back at 2 fps, shows overlay text only on its own title card (which it does show).
pub fn assert_no_film_text(work: &Path, out: &Path, title: &str) {
    let spans: Vec<Value> = spans_of(work)
        .into_iter()
        .filter(|s| s["kind"] != "subtitles")
        .collect();
    let manifest = read_json(&work.join("TRAILER_MANIFEST.json"));
    for c in manifest["clips"].as_array().unwrap() {
        let (a, b) = (
            c["source_start_s"].as_f64().unwrap(),
            c["source_end_s"].as_f64().unwrap(),
        );
        for s in &spans {
            let (sa, sb) = (s["start_s"].as_f64().unwrap(), s["end_s"].as_f64().unwrap());
            assert!(
                b <= sa || a >= sb,
                "clip {a:.2}–{b:.2} shows {} {sa:.2}–{sb:.2}",
                s["kind"]
            );
        }
    }
    let tl = read_json(&work.join("timeline.json"));
    let card: Vec<(f64, f64)> = tl["video"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "title")
        .map(|s| (s["start_s"].as_f64().unwrap(), s["end_s"].as_f64().unwrap()))
        .collect();
    assert_eq!(card.len(), 1);
    let (ca, cb) = card[0];
    let found = trailer_text(out, title);
    let outside: Vec<String> = found
        .iter()
        .filter(|s| s.end_s <= ca - 0.5 || s.start_s >= cb + 0.5)
        .map(|s| format!("{:?} {:.2}–{:.2} {:?}", s.kind, s.start_s, s.end_s, s.words))
        .collect();
    assert!(
        outside.is_empty(),
        "{}: text outside its title card: {outside:?}",
        out.display()
    );
    assert!(
        found.iter().any(|s| s.start_s < cb && s.end_s > ca),
        "the title card's own text is seen: {found:?}"
    );
}

/// The overlay text of a rendered trailer, measured by the same detector and reader as a film's.
pub fn trailer_text(video: &Path, title: &str) -> Vec<cinecut::ingest::TextSpan> {
    let tools = cinecut::media::Tools::locate().unwrap();
    cinecut::ingest::overlay_text_in(&tools, video, title, &cinecut::Cancel::new()).unwrap()
}
