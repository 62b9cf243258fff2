//! Cue text cleaning: raw cue text (any format) to the plain words a viewer hears, plus who says them and any
//! sound descriptions.
//!
//! In order: ASS `{...}` blocks go (drawing-mode vector shapes with them), `\N` / `\n` become line breaks and `\h`
//! a space; HTML-ish tags go, except that a WebVTT voice `<v Bob>` names the speaker; entities are decoded. Then per
//! line: `[explosion]`, `(sighs)` and `♪ ... ♪` spans are set aside as sound descriptions, a leading dialogue dash
//! is dropped, and an all-caps `JOHN:` / `MARY SMITH:` prefix becomes the speaker. The lines are joined with single
//! spaces. Every step scans forward only, so a 1 MB line costs linear time.

pub(super) struct Cleaned {
    /// The spoken text, possibly empty.
    pub text: String,
    /// The first speaker found in the text (`<v Bob>` before a `BOB:` prefix).
    pub speaker: Option<String>,
    /// The sound descriptions without their brackets, joined with ", "; `None` when there were none.
    pub sound: Option<String>,
}

pub(super) fn clean(raw: &str) -> Cleaned {
    let text = strip_braces(raw);
    let text = ass_escapes(&text);
    let (text, voice) = strip_tags(&text);
    let text = decode_entities(&text);

    let mut speaker = voice;
    let mut sounds: Vec<String> = Vec::new();
    let mut spoken: Vec<String> = Vec::new();
    for line in text.split('\n') {
        let line = take_sounds(line, &mut sounds);
        let line = strip_dialogue_dash(line.trim());
        let line = match speaker_prefix(line) {
            Some((name, rest)) => {
                speaker.get_or_insert(name);
                strip_dialogue_dash(rest)
            }
            None => line,
        };
        if !line.trim().is_empty() {
            spoken.push(collapse_whitespace(line));
        }
    }
    let sound = (!sounds.is_empty()).then(|| sounds.join(", "));
    Cleaned {
        text: spoken.join(" "),
        speaker,
        sound,
    }
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Removes `{...}` blocks. A `{\p1}` block starts ASS drawing mode, whose "text" is vector commands
/// (`m 0 0 l 100 0`), so everything up to `{\p0}` goes too. An unclosed `{` is kept as text.
fn strip_braces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut drawing = false;
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        if !drawing {
            out.push_str(&rest[..open]);
        }
        let after = &rest[open + 1..];
        // Blocks do not nest, so stopping at the next `{` keeps the scan linear.
        match after.find(['{', '}']) {
            Some(close) if after.as_bytes()[close] == b'}' => {
                if let Some(mode) = drawing_mode(&after[..close]) {
                    drawing = mode;
                }
                rest = &after[close + 1..];
            }
            _ => {
                if !drawing {
                    out.push('{');
                }
                rest = after;
            }
        }
    }
    if !drawing {
        out.push_str(rest);
    }
    out
}

/// `Some(true)` for a block holding `\p1` (or any non-zero scale), `Some(false)` for `\p0`.
fn drawing_mode(block: &str) -> Option<bool> {
    let mut mode = None;
    let mut parts = block.split('\\').skip(1);
    for tag in parts.by_ref() {
        // `\pos(...)` and `\pbo` also start with `p`; only `\p` + digits switches drawing.
        if let Some(digits) = tag
            .strip_prefix('p')
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        {
            mode = Some(digits.bytes().any(|b| b != b'0'));
        }
    }
    mode
}

/// ASS hard line break `\N`, soft break `\n` and hard space `\h`.
fn ass_escapes(text: &str) -> String {
    text.replace("\\N", "\n").replace("\\n", "\n").replace("\\h", " ")
}

/// Removes `<i>`, `</i>`, `<font color="..">`, `<c.yellow>`, `<00:00:01.000>`; a `<v Bob>` or `<v.loud Bob>` voice
/// tag names the speaker. A `<script>` or `<style>` block goes whole, code and all: it is never words said.
/// A `<` that does not open a tag ("I <3 you", "a < b") is kept.
fn strip_tags(text: &str) -> (String, Option<String>) {
    let mut out = String::with_capacity(text.len());
    let mut voice = None;
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let opens_tag = after.starts_with(|c: char| c == '/' || c.is_alphanumeric());
        match after.find(['<', '>']) {
            Some(close) if opens_tag && after.as_bytes()[close] == b'>' => {
                let tag = &after[..close];
                if voice.is_none() {
                    voice = voice_name(tag);
                }
                rest = &after[close + 1..];
                if let Some(block) = code_block(tag) {
                    rest = skip_past_close(rest, block);
                }
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, voice)
}

/// `script` or `style` when the tag opens such a block (`<script src=x>`, `<STYLE>`).
fn code_block(tag: &str) -> Option<&'static str> {
    let name = tag.split(|c: char| c.is_whitespace() || c == '/').next()?;
    ["script", "style"].into_iter().find(|b| name.eq_ignore_ascii_case(b))
}

/// What follows the block's `</script>` (any case); nothing when it is never closed.
fn skip_past_close<'a>(rest: &'a str, block: &str) -> &'a str {
    let close = format!("</{block}");
    // ASCII lowercasing keeps byte offsets, so a match in the copy is a match in `rest`.
    let Some(at) = rest.to_ascii_lowercase().find(&close) else {
        return "";
    };
    let after = &rest[at + close.len()..];
    after.find('>').map_or("", |gt| &after[gt + 1..])
}

/// "v Bob" or "v.loud.shout Bob Smith" -> "Bob" / "Bob Smith".
fn voice_name(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix('v')?;
    if !rest.starts_with(['.', ' ', '\t']) {
        return None;
    }
    let name = rest.trim_start_matches(|c: char| !c.is_whitespace()).trim();
    (!name.is_empty()).then(|| collapse_whitespace(name))
}

/// Decodes the entities WebVTT files use (and that stray into SRT). Unknown ones stay as written.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        // Entity names are short; looking at most 10 bytes ahead keeps this linear.
        let decoded = after
            .bytes()
            .take(10)
            .position(|b| b == b';')
            .and_then(|semi| Some((entity(&after[..semi])?, semi)));
        match decoded {
            Some((replacement, semi)) => {
                out.push_str(&replacement);
                rest = &after[semi + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<String> {
    let text = match name {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        "nbsp" => " ",
        // Direction marks are invisible; they only get in the way of words.
        "lrm" | "rlm" => "",
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            return char::from_u32(code).map(String::from);
        }
    };
    Some(text.to_string())
}

/// Removes `[...]`, `(...)` and `♪ ... ♪` spans from a line and pushes their insides onto `sounds`. A note with no
/// closing note runs to the end of the line (a sung lyric); an unclosed bracket is kept as text.
fn take_sounds(line: &str, sounds: &mut Vec<String>) -> String {
    const NOTES: [char; 2] = ['♪', '♫'];
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(open) = rest.find(['[', '(', '♪', '♫']) {
        out.push_str(&rest[..open]);
        let Some(opener) = rest[open..].chars().next() else {
            break;
        };
        let after = &rest[open + opener.len_utf8()..];
        let (inside, next) = if NOTES.contains(&opener) {
            match after.find(NOTES) {
                Some(close) => (&after[..close], skip_char(&after[close..])),
                None => (after, ""),
            }
        } else {
            let closer = if opener == '[' { ']' } else { ')' };
            match after.find([opener, closer]) {
                Some(close) if after[close..].starts_with(closer) => (&after[..close], &after[close + 1..]),
                _ => {
                    out.push(opener);
                    rest = after;
                    continue;
                }
            }
        };
        let inside = collapse_whitespace(inside.trim_matches(|c: char| c.is_whitespace() || NOTES.contains(&c)));
        if !inside.is_empty() {
            sounds.push(inside);
        } else if NOTES.contains(&opener) {
            sounds.push("music".to_string());
        }
        out.push(' ');
        rest = next;
    }
    out.push_str(rest);
    out
}

fn skip_char(text: &str) -> &str {
    let mut chars = text.chars();
    chars.next();
    chars.as_str()
}

/// "- Hello" / "– Hello" / "-Hello" -> "Hello". "-5 degrees" and "--" are left alone.
fn strip_dialogue_dash(line: &str) -> &str {
    let line = line.trim();
    let Some(rest) = line.strip_prefix(['-', '–', '—']) else {
        return line;
    };
    match rest.chars().next() {
        Some(c) if c.is_whitespace() || c.is_alphabetic() || matches!(c, '"' | '\'' | '¿' | '¡' | '.') => rest.trim(),
        _ => line,
    }
}

/// "JOHN: Get down!" -> ("JOHN", "Get down!"). The name is 1–3 words in capitals (digits, `.`, `'`, `-`, `#`
/// allowed, at least two letters) followed by a colon and a space or the end of the line, so "Note: it's late",
/// "10:30" and "I: ..." are not speakers.
fn speaker_prefix(line: &str) -> Option<(String, &str)> {
    const MAX_NAME_BYTES: usize = 40;
    let colon = line.find(':').filter(|&at| at <= MAX_NAME_BYTES)?;
    let after = &line[colon + 1..];
    if !(after.is_empty() || after.starts_with(char::is_whitespace)) {
        return None;
    }
    let words: Vec<&str> = line[..colon].split_whitespace().collect();
    let name_char = |c: char| c.is_uppercase() || c.is_ascii_digit() || matches!(c, '.' | '\'' | '-' | '#' | '’');
    let letters = words
        .iter()
        .flat_map(|w| w.chars())
        .filter(|c| c.is_alphabetic())
        .count();
    let ok = (1..=3).contains(&words.len())
        && words[0].starts_with(char::is_uppercase)
        && words.iter().all(|w| w.chars().all(name_char))
        && letters >= 2;
    ok.then(|| (words.join(" "), after.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(raw: &str) -> String {
        clean(raw).text
    }

    #[test]
    fn ass_overrides_and_escapes() {
        assert_eq!(text("{\\an8}{\\i1}Hello{\\i0}\\Nthere\\hfriend"), "Hello there friend");
        assert_eq!(text("{\\k20}ka{\\k30}ra{\\k25}oke"), "karaoke");
        assert_eq!(text("{unclosed brace"), "{unclosed brace");
        assert_eq!(text("a{b{c}d"), "a{bd");
    }

    #[test]
    fn ass_drawing_mode_is_not_text() {
        assert_eq!(text("{\\p1}m 0 0 l 100 0 100 100{\\p0}Sign"), "Sign");
        assert_eq!(text("{\\pos(10,10)}Not drawing"), "Not drawing");
    }

    #[test]
    fn html_tags_and_voices() {
        assert_eq!(
            text("<i>Hi</i> <b>there</b> <font color=\"#ff0000\">red</font>"),
            "Hi there red"
        );
        assert_eq!(text("<c.yellow>Karaoke</c> <00:00:01.000>time"), "Karaoke time");
        let voiced = clean("<v Bob>Hello</v>");
        assert_eq!(
            (voiced.text.as_str(), voiced.speaker.as_deref()),
            ("Hello", Some("Bob"))
        );
        assert_eq!(clean("<v.loud Mary Jane>Stop!").speaker.as_deref(), Some("Mary Jane"));
        assert_eq!(text("I <3 you"), "I <3 you");
        assert_eq!(text("a < b and c > d"), "a < b and c > d");
    }

    #[test]
    fn script_and_style_blocks_go_whole() {
        assert_eq!(text("<script>alert(\"x\")</script><b>Run</b> now!"), "Run now!");
        assert_eq!(text("Go <SCRIPT type=x>var a = 1 < 2;</Script >home"), "Go home");
        assert_eq!(text("<style>p { color: red }</style>Hi"), "Hi");
        assert_eq!(text("Never closed <script>alert(1)"), "Never closed");
        assert_eq!(text("<scripted>Lines</scripted>"), "Lines");
    }

    #[test]
    fn entities() {
        assert_eq!(
            text("Tom &amp; Jerry &lt;3 &gt; &quot;hi&quot; it&#39;s&nbsp;ok &#x263A; &lrm;x"),
            "Tom & Jerry <3 > \"hi\" it's ok ☺ x"
        );
        assert_eq!(text("AT&T &bogus; &#99999999;"), "AT&T &bogus; &#99999999;");
    }

    #[test]
    fn dialogue_dashes() {
        assert_eq!(text("- Where?\n- Here."), "Where? Here.");
        assert_eq!(text("– Où ?\n–Ici."), "Où ? Ici.");
        assert_eq!(text("-5 degrees"), "-5 degrees");
        assert_eq!(
            text("I'm not freaked out by- it's..."),
            "I'm not freaked out by- it's..."
        );
    }

    #[test]
    fn speaker_prefixes() {
        let c = clean("JOHN: Get down!");
        assert_eq!((c.text.as_str(), c.speaker.as_deref()), ("Get down!", Some("JOHN")));
        assert_eq!(clean("- MARY SMITH: Run!").speaker.as_deref(), Some("MARY SMITH"));
        assert_eq!(clean("DR. O'NEIL: Scalpel.").speaker.as_deref(), Some("DR. O'NEIL"));
        let two = clean("- JOHN: Hi.\n- MARY: Hello.");
        assert_eq!(
            (two.text.as_str(), two.speaker.as_deref()),
            ("Hi. Hello.", Some("JOHN"))
        );
        for not_speaker in [
            "Note: it's late",
            "Meet me at 10:30 sharp",
            "10:30",
            "I: am",
            "THE FOUR HORSEMEN ARE: here",
        ] {
            let c = clean(not_speaker);
            assert_eq!((c.text.as_str(), c.speaker), (not_speaker, None), "{not_speaker}");
        }
        assert_eq!(clean("ONE:TWO").speaker, None);
    }

    #[test]
    fn sound_descriptions() {
        let c = clean("[explosion]");
        assert_eq!((c.text.as_str(), c.sound.as_deref()), ("", Some("explosion")));
        assert_eq!(clean("(sighs)").sound.as_deref(), Some("sighs"));
        assert_eq!(clean("♪ music ♪").sound.as_deref(), Some("music"));
        assert_eq!(clean("♪♪").sound.as_deref(), Some("music"));
        assert_eq!(
            clean("♪ Happy birthday to you").sound.as_deref(),
            Some("Happy birthday to you")
        );
        let mixed = clean("[gasps] - JOHN: (whispering) Get down!\n[door slams]");
        assert_eq!(mixed.text, "Get down!");
        assert_eq!(mixed.speaker.as_deref(), Some("JOHN"));
        assert_eq!(mixed.sound.as_deref(), Some("gasps, whispering, door slams"));
        assert_eq!(text("an (unclosed remark"), "an (unclosed remark");
        assert_eq!(text("[a [b] c"), "[a c");
    }

    #[test]
    fn whitespace_is_collapsed() {
        assert_eq!(
            text("  too   many\tspaces \n\n second\u{a0}line "),
            "too many spaces second line"
        );
        assert_eq!(text(""), "");
    }

    #[test]
    fn long_markup_runs_are_linear() {
        // Quadratic scanning would take minutes on these.
        let many_opens = "<a".repeat(200_000) + &"{x".repeat(200_000) + &"[y".repeat(200_000) + &"&z".repeat(200_000);
        assert!(clean(&many_opens).text.len() > 1_000_000);
    }
}
