//! The HTML report on a real run: a synthetic film with many shots and lines made into a trailer by `cinecut`,
//! then `report::write` on its work dir. Checked as a reader would see it: every picture is a real JPEG inside
//! the report and loads in Chromium, one per clip plus the money-shot grid, hostile text shows literally, the page
//! is not blank; and the report survives a work dir with only the manifest, the timeline and the trailer.
//! The Tears of Steel demo report (ignored by default) is the visual check.

use crate::util::{self, Cinecut};

use std::path::{Path, PathBuf};

use cinecut::export::{self, REPORT_DIR, ReportInput};
use util::{browser, ffmpeg, read_json};

/// A title that breaks a page which does not escape it.
const HOSTILE: &str = r#"</title><script>alert(1)</script> & "x""#;
/// The film's licence tag, which the report shows wherever it shows the film's frames.
const CREDIT: &str = "(CC) Synthetic Films | example.org";
/// A line of dialogue with markup characters that survive the subtitle cleaner.
const LINE: &str = r#"if 2 < 3 && 4 > 1 then "go"!"#;

/// Three minutes of 40 shots from different generated pictures, over pink noise that swells and fades, with a
/// line of dialogue every 7 s: enough distinct moments for every act of a 30 s spot.
fn varied_film(dir: &Path) -> (PathBuf, PathBuf) {
    const SOURCES: [&str; 10] = [
        "testsrc2=s=320x180:r=24",
        "mandelbrot=s=320x180:r=24",
        "smptehdbars=s=320x180:r=24",
        "sierpinski=s=320x180:r=24:seed=7",
        "cellauto=s=320x180:r=24:rule=30:seed=7",
        "life=s=320x180:r=24:mold=10:ratio=0.1:life_color=#ffcc00:death_color=#002266:seed=7",
        "gradients=s=320x180:r=24:speed=0.02:seed=7",
        "testsrc=s=320x180:r=24",
        "rgbtestsrc=s=320x180:r=24",
        "color=c=0x803030:s=320x180:r=24",
    ];
    const SHOTS: usize = 40;
    let mut args: Vec<String> = Vec::new();
    let mut graph = String::new();
    for i in 0..SHOTS {
        args.extend(["-f", "lavfi", "-i", SOURCES[i % SOURCES.len()]].map(String::from));
        let secs = 3 + (i * 7) % 4;
        graph.push_str(&format!(
            "[{i}:v]trim=duration={secs},setpts=PTS-STARTPTS,format=yuv420p,setsar=1[s{i}];"
        ));
    }
    graph.extend((0..SHOTS).map(|i| format!("[s{i}]")));
    graph.push_str(&format!("concat=n={SHOTS}[v]"));
    args.extend(
        [
            "-f",
            "lavfi",
            "-i",
            "anoisesrc=color=pink:amplitude=0.5:sample_rate=48000:seed=7,volume=0.2+0.8*abs(sin(t/9)):eval=frame",
        ]
        .map(String::from),
    );
    let film = dir.join("film.mp4");
    let audio = format!("{SHOTS}:a");
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(["-filter_complex", &graph, "-map", "[v]", "-map", &audio]);
    all.extend(["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest"]);
    let tag = format!("copyright={CREDIT}");
    all.extend(["-metadata", &tag]);
    all.push(film.to_str().unwrap());
    ffmpeg(&all);
    let srt = dir.join("film.srt");
    let cues: Vec<String> = (0..20)
        .map(|i| {
            let s = 3 + i * 7;
            format!(
                "{}\n00:{:02}:{:02},000 --> 00:{:02}:{:02},900\nLine {}: {LINE}\n",
                i + 1,
                s / 60,
                s % 60,
                s / 60,
                s % 60,
                i + 1
            )
        })
        .collect();
    std::fs::write(&srt, cues.join("\n")).unwrap();
    (film, srt)
}

fn write_report(work: &Path, trailer: &Path, commands: &[(&str, &str)]) -> PathBuf {
    let tools = cinecut::media::Tools::locate().unwrap();
    let manifest = work.join("TRAILER_MANIFEST.json");
    let input = ReportInput {
        work_dir: work,
        manifest: &manifest,
        trailer,
        analyzer: "built-in image analysis".into(),
        commands: commands.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect(),
    };
    export::write_report(&input, &tools, &cinecut::Cancel::new()).unwrap()
}

/// Every `<img src="…">` in document order, as a browser reads the attribute.
fn img_srcs(html: &str) -> Vec<String> {
    html.split("<img ")
        .skip(1)
        .map(|tag| {
            let from = tag.find("src=\"").expect("an img with a src") + 5;
            unescape(&tag[from..from + tag[from..].find('"').unwrap()])
        })
        .collect()
}

/// The entities minijinja writes.
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text of `<section id="{id}">`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!(r#"<section id="{id}""#))
        .unwrap_or_else(|| panic!("no section {id}"));
    let len = html[start..].find("</section>").unwrap();
    &html[start..start + len]
}

/// Folders in the work dir that a report write leaves behind besides `report/`.
fn leftovers(work: &Path) -> Vec<String> {
    std::fs::read_dir(work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("report."))
        .collect()
}

/// Every image the page names is a JPEG inside the report dir, 480 px wide, of even height.
fn check_images(page: &Path, html: &str) {
    let dir = page.parent().unwrap().canonicalize().unwrap();
    for src in img_srcs(html) {
        let file = dir.join(&src).canonicalize().unwrap_or_else(|e| panic!("{src}: {e}"));
        assert!(file.starts_with(&dir), "{src} is outside the report");
        let img = image::open(&file).unwrap_or_else(|e| panic!("{src}: {e}"));
        assert_eq!(img.width(), 480, "{src}");
        assert_eq!(img.height() % 2, 0, "{src}");
    }
}

#[test]
fn report_of_a_real_run_shows_every_clip_escapes_user_text_and_renders_in_a_browser() {
    let d = tempfile::tempdir().unwrap();
    let (film, srt) = varied_film(d.path());
    let work = d.path().join("w");
    let trailer = d.path().join("trailer.mp4");
    let r = Cinecut::film(&film)
        .subtitles(&srt)
        .vibe("action")
        .length("spot")
        .arg("--title")
        .arg(HOSTILE)
        .work_dir(&work)
        .output(&trailer)
        .quiet()
        .run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let commands = [
        (
            "Render again after editing the manifest",
            "cinecut --manifest 'my cut <v2> & final.json'",
        ),
        ("Export for an editor", "cinecut --manifest cut.json --export otio"),
    ];
    let page = write_report(&work, &trailer, &commands);
    assert_eq!(page, work.join(REPORT_DIR).join("index.html"));
    assert!(leftovers(&work).is_empty(), "{:?}", leftovers(&work));
    let html = std::fs::read_to_string(&page).unwrap();

    // One picture per clip of the trailer (the button included), in trailer order, and the money-shot grid.
    let tl = read_json(&work.join("timeline.json"));
    let segments = tl["video"].as_array().unwrap();
    let clips = segments.iter().filter(|s| s["clip_index"].is_u64()).count();
    assert!(clips >= 4, "{clips} clips");
    let sheet = img_srcs(section(&html, "clips"));
    let expected: Vec<String> = (1..=clips).map(|n| format!("img/clip-{n:02}.jpg")).collect();
    assert_eq!(sheet, expected);
    let grid = img_srcs(section(&html, "money"));
    assert_eq!(grid.len(), clips.min(9));
    assert!(
        grid.iter().all(|g| sheet.contains(g)),
        "the grid reuses the sheet's pictures"
    );
    check_images(&page, &html);
    // Only the pictures the page shows are in the report.
    let files = std::fs::read_dir(work.join(REPORT_DIR).join("img")).unwrap().count();
    assert_eq!(files, clips);

    // Both timelines: a mark per clip in the film, a segment per stretch of trailer.
    let film_svg = section(&html, "film");
    assert_eq!(film_svg.matches(r#"<rect class="clip""#).count(), clips);
    assert_eq!(
        section(&html, "trailer").matches(r#"<rect class="seg"#).count(),
        segments.len()
    );
    assert!(
        section(&html, "trailer").contains(r#"class="short-term line""#),
        "the mix's loudness curve"
    );
    // Time codes at the trailer's rate: the first clip starts the trailer.
    assert!(section(&html, "clips").contains("00:00:00:00"));

    // User text is escaped everywhere: no script, no broken tag, the title and commands shown as typed.
    assert!(
        !html.contains("<script"),
        "the report has no script, and no injected one"
    );
    assert!(!html.contains("alert(1)</"));
    assert!(html.contains("&amp; &quot;x&quot;"));
    assert!(html.contains("my cut &lt;v2&gt; &amp; final.json"));
    assert!(
        html.contains("if 2 &lt; 3 &amp;&amp; 4 &gt; 1"),
        "a line of dialogue, escaped"
    );
    assert!(html.contains(&format!("Frames: {CREDIT}.")), "the film's credit");

    // In a browser: the title reads literally, every image loads, and the page is not blank.
    let title = browser::eval(&page, "document.querySelector('h1').textContent");
    assert_eq!(title, HOSTILE);
    let dialogue = browser::eval(
        &page,
        &format!("document.querySelector('#clips').textContent.includes('{LINE}')"),
    );
    assert_eq!(dialogue, "true", "a line of dialogue reads literally");
    assert_eq!(browser::broken_images(&page), (clips + clips.min(9), 0));
    let png = d.path().join("report.png");
    browser::screenshot(&page, &png, 1280, 2400);
    let (colours, spread) = browser::png_variety(&png);
    assert!(
        colours > 500 && spread > 10.0,
        "a blank-looking page: {colours} colours, spread {spread:.1}"
    );

    // Written again: replaced whole, nothing left over.
    let again = write_report(&work, &trailer, &commands);
    assert_eq!(again, page);
    assert!(leftovers(&work).is_empty(), "{:?}", leftovers(&work));

    // A work dir with only the cut (a manifest rendered on a bare work dir, a film without subtitles): the
    // report still shows every clip, and says what it lacks.
    for gone in [
        "dialogue.json",
        "structure.json",
        "analysis/shots.json",
        "probe.json",
        "sound/master.wav",
        "render/mix.json",
        "pipeline_checkpoint.json",
    ] {
        std::fs::remove_file(work.join(gone)).unwrap();
    }
    let page = write_report(&work, &trailer, &[]);
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(img_srcs(section(&html, "clips")).len(), clips);
    check_images(&page, &html);
    assert!(html.contains("no dialogue") && html.contains("no mix to measure"));
    assert!(html.contains("Not recorded"), "no stage times");
    assert!(!html.contains(r#"id="commands""#), "no commands given, none shown");
    assert_eq!(browser::broken_images(&page).1, 0);

    // A trailer that is not there is an error naming it, and leaves the report as it was.
    let tools = cinecut::media::Tools::locate().unwrap();
    let missing = d.path().join("gone.mp4");
    let manifest = work.join("TRAILER_MANIFEST.json");
    let input = ReportInput {
        work_dir: &work,
        manifest: &manifest,
        trailer: &missing,
        analyzer: String::new(),
        commands: Vec::new(),
    };
    let e = export::write_report(&input, &tools, &cinecut::Cancel::new()).unwrap_err();
    assert!(e.to_string().contains("gone.mp4"), "{e}");
    assert_eq!(std::fs::read_to_string(&page).unwrap(), html);
    assert!(leftovers(&work).is_empty(), "{:?}", leftovers(&work));
}

/// The report of the demo's drama trailer of Tears of Steel, for a look: `cargo test --release --test report --
/// --ignored`. Copies what the report reads from `demo/tears_of_steel_cinecut_work` into
/// `$CINECUT_REPORT_DEMO` (default `/tmp/report-demo`), writes the report there and screenshots the whole page to
/// `report.png` beside it. Needs `make demo` first.
#[test]
#[ignore = "a visual check on the demo's work dir; run `make demo` first"]
fn tears_of_steel_demo_report() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo");
    let from = root.join("tears_of_steel_cinecut_work");
    let trailer = root.join("tears_of_steel_trailer_drama.mp4");
    assert!(from.is_dir() && trailer.is_file(), "run `make demo` first");
    let out = PathBuf::from(std::env::var_os("CINECUT_REPORT_DEMO").unwrap_or_else(|| "/tmp/report-demo".into()));
    let work = out.join("tears_of_steel_cinecut_work");
    for rel in [
        "TRAILER_MANIFEST.json",
        "timeline.json",
        "probe.json",
        "analysis/shots.json",
        "dialogue.json",
        "structure.json",
        "render/mix.json",
        "sound/master.wav",
        "pipeline_checkpoint.json",
    ] {
        let to = work.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from.join(rel), &to).unwrap_or_else(|e| panic!("{rel}: {e}"));
    }
    let manifest = work.join("TRAILER_MANIFEST.json");
    let rerender = format!("cinecut --manifest {} -o {}", manifest.display(), trailer.display());
    let export = format!("cinecut --manifest {} --export otio,fcpxml,edl", manifest.display());
    let started = std::time::Instant::now();
    let page = write_report(
        &work,
        &trailer,
        &[
            ("Render the trailer again after editing the manifest", &rerender),
            ("Export the cut for an editor (Resolve, Premiere, Final Cut)", &export),
        ],
    );
    eprintln!(
        "report written in {:.2} s: {}",
        started.elapsed().as_secs_f64(),
        page.display()
    );
    let height: u32 = browser::eval(&page, "document.documentElement.scrollHeight")
        .parse()
        .unwrap();
    let png = out.join("report.png");
    browser::screenshot(&page, &png, 1280, height);
    browser::screenshot(&page, &out.join("report-top.png"), 1280, 1000);
    assert_eq!(browser::broken_images(&page).1, 0);
    eprintln!("screenshot: {} (1280 × {height})", png.display());
}
