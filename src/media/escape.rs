//! Filter-graph escaping, in one place.
//!
//! A value inside a filter graph (`lut3d=file=VALUE`, `drawtext=text=VALUE`, an `aevalsrc` expression) is parsed
//! twice by FFmpeg: first the graph parser splits filters on `[ ] , ;` (honouring `\` and `'`), then the
//! filter's option parser splits `key=value` pairs on `:` (honouring `\` and `'` again). Both levels trim
//! unescaped leading and trailing whitespace. So a value is escaped for the option level first, then the result
//! for the graph level. Always write options as `key=value` (never positional) so `=` in a value is harmless.

/// Characters the option parser treats specially.
const OPTION_SPECIAL: &[char] = &['\\', '\'', ':'];
/// Characters the graph parser treats specially.
const GRAPH_SPECIAL: &[char] = &['\\', '\'', '[', ']', ',', ';'];

fn backslash(s: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if special.contains(&c) || c.is_whitespace() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Escape any text (a path, a title, an expression) to stand as one option value inside a filter graph.
pub fn filter_value(s: &str) -> String {
    backslash(&backslash(s, OPTION_SPECIAL), GRAPH_SPECIAL)
}

/// `drawtext` text: escaped as a value, and always used together with `expansion=none` (see `drawtext_text`),
/// so `%{pts}` in a title is shown as typed instead of being expanded.
pub fn drawtext_text(s: &str) -> String {
    format!("expansion=none:text={}", filter_value(s))
}

/// The image2 muxer's numbered-file pattern `dir/name` (`name` holds the `%0Nd`): image2 reads `%` sequences in
/// the whole path, so a `%` in the folder's name is doubled to stand for itself.
pub(crate) fn image2_pattern(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    #[cfg(unix)]
    let dir = {
        use std::os::unix::ffi::{OsStrExt, OsStringExt};
        let mut bytes = Vec::new();
        for &b in dir.as_os_str().as_bytes() {
            bytes.push(b);
            if b == b'%' {
                bytes.push(b'%');
            }
        }
        std::path::PathBuf::from(std::ffi::OsString::from_vec(bytes))
    };
    #[cfg(not(unix))]
    let dir = std::path::PathBuf::from(dir.to_string_lossy().replace('%', "%%"));
    dir.join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image2_patterns_keep_a_percent_in_the_folder_literal() {
        assert_eq!(
            image2_pattern(std::path::Path::new("/a/50% %s/b"), "out_%06d.jpg"),
            std::path::Path::new("/a/50%% %%s/b/out_%06d.jpg")
        );
    }

    #[test]
    fn plain_text_is_unchanged() {
        assert_eq!(filter_value("Tears_of_Steel.cube"), "Tears_of_Steel.cube");
    }

    #[test]
    fn both_levels_are_applied() {
        // ':' → option level `\:` → graph level `\\:`
        assert_eq!(filter_value("a:b"), r"a\\:b");
        // ',' only matters to the graph parser
        assert_eq!(filter_value("a,b"), r"a\,b");
        // a quote is escaped at both levels
        assert_eq!(filter_value("it's"), r"it\\\'s");
        assert_eq!(filter_value(" x "), r"\\\ x\\\ ");
    }
}
