//! A real browser for the tests: headless Chromium renders a page to a PNG, or runs a line of script against a
//! copy of it, so a test can assert what a reader would see (not blank, no broken images) rather than on HTML
//! text. Each run gets a throwaway profile and is killed if it hangs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long one Chromium run may take before the test gives up on it.
const TIMEOUT: Duration = Duration::from_secs(120);
/// Virtual time the page gets to load its images before the DOM is read.
const LOAD_BUDGET_MS: u32 = 10_000;

/// Chromium's path: `CINECUT_CHROMIUM` if set, else the first of the usual names on `PATH`.
pub fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("CINECUT_CHROMIUM").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for name in ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"] {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("headless Chromium is not installed (needed to check the HTML report in a browser): run `make deps`");
}

/// Run Chromium headless on `page` with `extra` arguments; kill it (and its helpers) after `TIMEOUT`.
fn run(page: &Path, extra: &[String]) -> Output {
    use std::os::unix::process::CommandExt;
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let mut child = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a hung browser is killed with every helper process it started.
        .process_group(0)
        .spawn()
        .expect("start chromium");
    let pid = child.id() as i32;
    let started = Instant::now();
    // Drain the pipes on threads so a chatty browser never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut out, &mut b).ok();
        b
    });
    let err_t = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut err, &mut b).ok();
        b
    });
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if started.elapsed() > TIMEOUT {
            // SAFETY: signals our own child's process group.
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            let _ = child.wait();
            panic!("chromium did not finish {} within {TIMEOUT:?}", page.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    }
}

/// Render `page` at `width` × `height` CSS pixels into `png` (the top of the page, as a reader first sees it;
/// pass a tall height for the whole page).
pub fn screenshot(page: &Path, png: &Path, width: u32, height: u32) {
    let _ = std::fs::remove_file(png);
    let out = run(
        page,
        &[
            format!("--window-size={width},{height}"),
            format!("--screenshot={}", png.display()),
            format!("--virtual-time-budget={LOAD_BUDGET_MS}"),
        ],
    );
    assert!(
        png.is_file(),
        "chromium wrote no screenshot of {} ({}):\n{}",
        page.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Evaluate the JavaScript expression `expr` in a copy of `page` once it has loaded (images included), and
/// return its value as a string. The copy sits beside the page, so relative links resolve as they do for the
/// page itself, and is removed afterwards; the page itself needs no script.
pub fn eval(page: &Path, expr: &str) -> String {
    let html = std::fs::read_to_string(page).unwrap();
    let probe = format!(
        "<script>addEventListener('load', () => {{ let v; try {{ v = String({expr}); }} catch (e) {{ v = 'error: ' + e; }} \
         const p = document.createElement('pre'); p.id = 'cinecut-eval'; p.setAttribute('data-v', encodeURIComponent(v)); \
         document.documentElement.appendChild(p); }});</script>"
    );
    let copy = page.with_file_name(format!(".cinecut-eval-{}.html", std::process::id()));
    let html = match html.rfind("</body>") {
        Some(i) => format!("{}{probe}{}", &html[..i], &html[i..]),
        None => format!("{html}{probe}"),
    };
    std::fs::write(&copy, html).unwrap();
    // The width of a laptop screen, so layout-dependent answers (the page's height) match a screenshot's.
    let out = run(
        &copy,
        &[
            "--dump-dom".into(),
            "--window-size=1280,1000".into(),
            format!("--virtual-time-budget={LOAD_BUDGET_MS}"),
        ],
    );
    let _ = std::fs::remove_file(&copy);
    let dom = String::from_utf8_lossy(&out.stdout);
    let marker = r#"id="cinecut-eval" data-v=""#;
    let Some(at) = dom.find(marker) else {
        panic!(
            "the page's script did not run in chromium ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let rest = &dom[at + marker.len()..];
    percent_decode(&rest[..rest.find('"').unwrap()])
}

/// Images on `page` and how many of them did not load (missing file, not an image).
pub fn broken_images(page: &Path) -> (usize, usize) {
    let v = eval(
        page,
        "[...document.images].length + ' ' + [...document.images].filter(i => !i.complete || i.naturalWidth === 0).length",
    );
    let (all, bad) = v.split_once(' ').unwrap_or_else(|| panic!("{v}"));
    (all.parse().unwrap(), bad.parse().unwrap())
}

/// Distinct colours and the standard deviation of the luma of a PNG, from a small decode by FFmpeg: a blank or
/// single-colour render has few colours and no spread.
pub fn png_variety(png: &Path) -> (usize, f64) {
    let rgb = super::raw_frames(png, "scale=320:-1:flags=area", "rgb24");
    let px: Vec<[u8; 3]> = rgb.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect();
    let colours: std::collections::HashSet<[u8; 3]> = px.iter().copied().collect();
    let luma: Vec<f64> = px
        .iter()
        .map(|p| 0.2126 * p[0] as f64 + 0.7152 * p[1] as f64 + 0.0722 * p[2] as f64)
        .collect();
    let mean = luma.iter().sum::<f64>() / luma.len() as f64;
    let var = luma.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / luma.len() as f64;
    (colours.len(), var.sqrt())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 3 <= b.len()
            && let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
