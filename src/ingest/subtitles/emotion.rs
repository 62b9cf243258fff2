//! A keyword classifier that labels a line of dialogue with one `Emotion`. It is deliberately simple, explainable
//! and fast (a film has ~1,500 lines); a text model can refine it later. The words live in `emotion_lexicon.txt`.
//!
//! The rules, in order:
//! 1. **Tokens.** Lowercase; split on anything that is not a letter, digit or apostrophe (`’` counts as `'`); trim
//!    apostrophes. "Run!" gives `run`, "Now, go!" gives `now`, `go`. `, . ; : ! ?` also end a clause.
//! 2. **Lookup.** A token is a keyword if it is in the lexicon, or is laughter (`haha`, `hehehe`, `ahah`), or one
//!    suffix stripped gives a keyword (`-s -es -ed -ing -ly -ness`, with `-ied/-ies/-ily/-iness` to `-y`, `-ying` to
//!    `-ie`, a dropped final `e` and an undoubled consonant: "killed" kill, "running" run, "cried" cry, "dying"
//!    die), also after dropping a plural `s` ("feelings" feel), or after squeezing stretched letters ("loooove").
//! 3. **Negation.** A negator (not, no, never, don't, can't, cannot, won't, without, nobody, nothing, nor, ... and
//!    any `-n't` word) negates keywords among the next 3 tokens of the same clause. A negated negative keyword
//!    counts for nothing ("I'm not afraid" is neutral); a negated romantic, comedic or positive keyword counts as
//!    negative ("I don't love you", "not funny"); a negated intense keyword stays intense, because a negated
//!    command is still urgent ("Don't move!"). The clause limit keeps "No, I love you" romantic.
//! 4. **"never"** is a negator, not a keyword: it counts as one negative hit only when it negates no keyword
//!    ("Never!" is negative, "never afraid" neutral).
//! 5. **Shouting.** "!!" adds one intense hit, and so does a shouted word (3+ letters, all capitals: "RUN",
//!    "GET DOWN") unless the whole file is written in capitals. A single "!" adds nothing: "Fine!" is neutral.
//! 6. **Score.** The category with the most hits wins; ties go to intense, romantic, comedic, negative, positive in
//!    that order; no hits is neutral. So "We're safe now, thank God" (safe + thank against now) is positive.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::Emotion;

const LEXICON_TEXT: &str = include_str!("emotion_lexicon.txt");

/// Categories in tie-break order; the index is the score slot.
const PRIORITY: [Emotion; 5] = [
    Emotion::Intense,
    Emotion::Romantic,
    Emotion::Comedic,
    Emotion::Negative,
    Emotion::Positive,
];

/// How far back a negator reaches, in tokens.
const NEGATION_WINDOW: usize = 3;

static LEXICON: LazyLock<HashMap<&'static str, Emotion>> = LazyLock::new(|| parse_lexicon(LEXICON_TEXT).0);

/// Labels one line of dialogue, treating capitals as shouting. See the module doc for the rules.
#[cfg(test)]
fn classify_emotion(text: &str) -> Emotion {
    classify(text, true)
}

/// `shouting`: whether all-caps words count as shouting (false for files written all in capitals).
pub(super) fn classify(text: &str, shouting: bool) -> Emotion {
    let tokens = tokenize(text);
    let hits: Vec<Option<Emotion>> = tokens.iter().map(|t| lookup(&t.word)).collect();
    let negators: Vec<bool> = tokens.iter().map(|t| is_negator(&t.word)).collect();
    let mut score = [0u32; PRIORITY.len()];
    let mut add = |emotion: Emotion| {
        if let Some(slot) = PRIORITY.iter().position(|&e| e == emotion) {
            score[slot] += 1;
        }
    };

    for (i, token) in tokens.iter().enumerate() {
        let same_clause = |j: &usize| tokens[*j].clause == token.clause;
        if negators[i] {
            let negates_a_keyword = (i + 1..tokens.len().min(i + 1 + NEGATION_WINDOW))
                .filter(same_clause)
                .any(|j| !negators[j] && hits[j].is_some_and(|e| e != Emotion::Intense));
            if token.word == "never" && !negates_a_keyword {
                add(Emotion::Negative);
            }
            continue;
        }
        let Some(emotion) = hits[i] else {
            continue;
        };
        let negated = (i.saturating_sub(NEGATION_WINDOW)..i)
            .filter(same_clause)
            .any(|j| negators[j]);
        match (emotion, negated) {
            (_, false) | (Emotion::Intense, true) => add(emotion),
            (Emotion::Negative, true) => {}
            (_, true) => add(Emotion::Negative),
        }
    }
    if text.contains("!!") {
        add(Emotion::Intense);
    }
    if shouting && tokens.iter().any(|t| t.shouted) {
        add(Emotion::Intense);
    }

    // `max_by_key` keeps the last maximum, so walk in reverse priority to let the highest priority win ties.
    match score.iter().enumerate().rev().max_by_key(|&(_, &s)| s) {
        Some((slot, &s)) if s > 0 => PRIORITY[slot],
        _ => Emotion::Neutral,
    }
}

/// True when a file's dialogue is written in capitals (old broadcast captions), so capitals are not shouting.
pub(super) fn is_all_caps_style<'a>(texts: impl Iterator<Item = &'a str>) -> bool {
    const MIN_LETTERS: usize = 20;
    let (mut upper, mut lower) = (0usize, 0usize);
    for c in texts.flat_map(str::chars) {
        if c.is_uppercase() {
            upper += 1;
        } else if c.is_lowercase() {
            lower += 1;
        }
    }
    // Under 10 % lowercase letters: capitals are the norm, not the exception.
    upper + lower >= MIN_LETTERS && lower * 10 < upper + lower
}

struct Token {
    /// Lowercased.
    word: String,
    /// 3+ letters, all capitals, as written.
    shouted: bool,
    clause: usize,
}

fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut clause = 0;
    let mut current = String::new();
    for c in text.chars() {
        let c = if matches!(c, '’' | '‘' | 'ʼ') { '\'' } else { c };
        if c.is_alphanumeric() || c == '\'' {
            current.push(c);
            continue;
        }
        push_token(&mut tokens, &mut current, clause);
        if matches!(c, ',' | '.' | ';' | ':' | '!' | '?' | '…' | '—') {
            clause += 1;
        }
    }
    push_token(&mut tokens, &mut current, clause);
    tokens
}

fn push_token(tokens: &mut Vec<Token>, current: &mut String, clause: usize) {
    let raw = current.trim_matches('\'');
    if !raw.is_empty() {
        let letters = raw.chars().filter(|c| c.is_alphabetic()).count();
        let shouted = letters >= 3 && raw.chars().filter(|c| c.is_alphabetic()).all(char::is_uppercase);
        tokens.push(Token {
            word: raw.to_lowercase(),
            shouted,
            clause,
        });
    }
    current.clear();
}

fn is_negator(word: &str) -> bool {
    const NEGATORS: &[&str] = &[
        "not", "no", "never", "dont", "cant", "cannot", "wont", "isnt", "arent", "wasnt", "without", "nobody",
        "nothing", "nor", "neither", "none", "nowhere",
    ];
    word.ends_with("n't") || NEGATORS.contains(&word)
}

fn lookup(word: &str) -> Option<Emotion> {
    if let Some(&emotion) = LEXICON.get(word) {
        return Some(emotion);
    }
    if is_laughter(word) {
        return Some(Emotion::Comedic);
    }
    if let Some(emotion) = stems(word).find_map(|stem| LEXICON.get(stem.as_str()).copied()) {
        return Some(emotion);
    }
    let squeezed = squeeze(word);
    if squeezed != word {
        return lookup(&squeezed);
    }
    None
}

/// "haha", "hahaha", "ahah", "heh", "hehehe": h and one vowel, alternating.
fn is_laughter(word: &str) -> bool {
    let bytes = word.as_bytes();
    let vowel = if bytes.contains(&b'a') { b'a' } else { b'e' };
    bytes.len() >= 3
        && bytes.iter().all(|&b| b == b'h' || b == vowel)
        && bytes.contains(&b'h')
        && bytes.contains(&vowel)
        && bytes.windows(2).all(|pair| pair[0] != pair[1])
}

/// Candidate stems, most specific first: each suffix rule on the word, then on the word without a plural `s`.
fn stems(word: &str) -> impl Iterator<Item = String> + '_ {
    let singular = word.strip_suffix('s').filter(|s| s.len() > 2);
    std::iter::once(word).chain(singular).flat_map(suffix_stems)
}

fn suffix_stems(word: &str) -> Vec<String> {
    const RULES: &[(&str, &str)] = &[
        ("iness", "y"),
        ("ness", ""),
        ("ying", "ie"),
        ("ies", "y"),
        ("ied", "y"),
        ("ily", "y"),
        ("ing", ""),
        ("ing", "e"),
        ("ed", ""),
        ("ed", "e"),
        ("es", ""),
        ("s", ""),
        ("ly", ""),
    ];
    // Two-letter results would turn "has" into "ha" (laughter).
    const MIN_RESULT: usize = 3;
    let mut out = Vec::new();
    for (suffix, replacement) in RULES {
        let Some(stem) = word.strip_suffix(suffix) else {
            continue;
        };
        let candidate = format!("{stem}{replacement}");
        if candidate.chars().count() < MIN_RESULT {
            continue;
        }
        out.push(candidate);
        // "running" -> "runn" -> "run", "stopped" -> "stop".
        if replacement.is_empty() && matches!(*suffix, "ing" | "ed") {
            let mut chars = stem.chars().rev();
            if let (Some(last), Some(before)) = (chars.next(), chars.next())
                && last == before
            {
                out.push(stem[..stem.len() - last.len_utf8()].to_string());
            }
        }
    }
    out
}

/// Squeezes runs of 3+ identical letters to one: "loooove" -> "love", "nooooo" -> "no".
fn squeeze(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..].iter().take_while(|&&c| c == chars[i]).count();
        let keep = if run >= 3 { 1 } else { run };
        out.extend(std::iter::repeat_n(chars[i], keep));
        i += run;
    }
    out
}

/// The lexicon file as a map, plus one message per line it could not use (checked by a test, so a typo in the data
/// fails the build's tests rather than silently dropping words).
fn parse_lexicon(text: &'static str) -> (HashMap<&'static str, Emotion>, Vec<String>) {
    let mut map = HashMap::new();
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let emotion = match line.split_once(':') {
            Some(("intense", _)) => Emotion::Intense,
            Some(("romantic", _)) => Emotion::Romantic,
            Some(("comedic", _)) => Emotion::Comedic,
            Some(("negative", _)) => Emotion::Negative,
            Some(("positive", _)) => Emotion::Positive,
            _ => {
                problems.push(format!("line {}: expected `category: words`", number + 1));
                continue;
            }
        };
        let words = line.split_once(':').map_or("", |(_, words)| words);
        for word in words.split_whitespace() {
            if !word.chars().all(|c| c.is_lowercase() || c == '\'') {
                problems.push(format!("line {}: {word:?} is not a lowercase word", number + 1));
            }
            if let Some(previous) = map.insert(word, emotion) {
                problems.push(format!("line {}: {word:?} is already {previous:?}", number + 1));
            }
        }
    }
    (map, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Emotion::*;

    #[test]
    fn required_examples() {
        assert_eq!(classify_emotion("Run!"), Intense);
        assert_eq!(classify_emotion("Now, go!"), Intense);
        assert_eq!(classify_emotion("I love you."), Romantic);
        assert_eq!(classify_emotion("I'm not afraid."), Neutral);
        assert_eq!(classify_emotion("I don't love you"), Negative);
        assert_eq!(classify_emotion("Ha ha, that's so funny"), Comedic);
        assert_eq!(classify_emotion("We're safe now, thank God"), Positive);
        assert_eq!(classify_emotion(""), Neutral);
    }

    #[test]
    fn stemming() {
        assert_eq!(classify_emotion("They killed him"), Intense);
        assert_eq!(classify_emotion("Keep running"), Intense);
        assert_eq!(classify_emotion("She cried all night"), Negative);
        assert_eq!(classify_emotion("He's dying"), Intense);
        assert_eq!(classify_emotion("She has it"), Neutral); // not "ha"
        assert_eq!(classify_emotion("So many feelings"), Romantic);
        assert_eq!(classify_emotion("Happily ever after"), Positive);
        assert_eq!(classify_emotion("The sadness"), Negative);
    }

    #[test]
    fn negation() {
        assert_eq!(classify_emotion("It's not funny."), Negative);
        assert_eq!(classify_emotion("Nothing to worry about."), Neutral);
        assert_eq!(classify_emotion("Don't move!"), Intense);
        assert_eq!(classify_emotion("No, I love you."), Romantic);
        assert_eq!(classify_emotion("I don’t love you"), Negative); // curly apostrophe
        assert_eq!(classify_emotion("Never!"), Negative);
        assert_eq!(classify_emotion("I was never afraid"), Neutral);
    }

    #[test]
    fn shouting_and_exclamations() {
        assert_eq!(classify_emotion("Fine!"), Neutral);
        assert_eq!(classify_emotion("Fine!!"), Intense);
        assert_eq!(classify_emotion("GET DOWN"), Intense);
        assert_eq!(classify("GET DOWN", false), Neutral);
        assert_eq!(classify_emotion("OK, I see"), Neutral);
        assert_eq!(classify_emotion("RAAAAAAAAH!"), Intense);
    }

    #[test]
    fn laughter_and_stretched_words() {
        assert_eq!(classify_emotion("Hahahaha"), Comedic);
        assert_eq!(classify_emotion("hehehe"), Comedic);
        assert_eq!(classify_emotion("Aah!"), Neutral);
        assert_eq!(classify_emotion("I loooove it"), Romantic);
        assert_eq!(classify_emotion("Helllp!"), Intense);
    }

    #[test]
    fn all_caps_style() {
        assert!(is_all_caps_style(
            ["WHERE ARE YOU GOING?", "HOME, I THINK."].into_iter()
        ));
        assert!(!is_all_caps_style(["Where are you going?", "RUN!"].into_iter()));
        assert!(!is_all_caps_style(["OK"].into_iter()));
    }

    #[test]
    fn lexicon_is_clean_and_complete() {
        let (map, problems) = parse_lexicon(LEXICON_TEXT);
        assert!(problems.is_empty(), "{problems:#?}");
        assert!((250..=400).contains(&map.len()), "{} words", map.len());
        let earlier_tool = [
            (Intense, "now run fight stop must war attack danger kill die"),
            (Romantic, "heart together always forever kiss love feel"),
            (Comedic, "ha funny joke laugh silly weird crazy"),
            (Negative, "hate lost never dead fail cry wrong afraid"),
            (Positive, "happy wonderful hope proud yes win joy great safe"),
        ];
        for (emotion, words) in earlier_tool {
            for word in words.split_whitespace() {
                assert_eq!(map.get(word), Some(&emotion), "{word}");
            }
        }
    }
}
