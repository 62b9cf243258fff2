//! Subtitle bytes to text. Fan-made subtitles come in every encoding (windows-1252, ISO-8859-x, Shift_JIS,
//! UTF-16 from Windows tools), so: a BOM wins, then strict UTF-8, then UTF-16 recognised by its zero bytes, then
//! chardetng's guess. The encoding used is returned so the caller can say "decoded as windows-1252".

use chardetng::{Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE};

pub(super) struct Decoded {
    pub text: String,
    /// encoding_rs's name for it: "UTF-8", "UTF-16LE", "windows-1252", ...
    pub encoding: &'static str,
    /// Some bytes were malformed for that encoding and became U+FFFD.
    pub lossy: bool,
}

pub(super) fn decode(bytes: &[u8]) -> Decoded {
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        return decode_with(encoding, &bytes[bom_len..]);
    }
    if let Some(encoding) = utf16_without_bom(bytes) {
        return decode_with(encoding, bytes);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Decoded {
            text: text.to_string(),
            encoding: encoding_rs::UTF_8.name(),
            lossy: false,
        };
    }
    // ISO-2022-JP is 7-bit, so a file in it passed as UTF-8 above; UTF-8 itself was ruled out there too.
    let mut detector = chardetng::EncodingDetector::new(Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    decode_with(detector.guess(None, Utf8Detection::Deny), bytes)
}

fn decode_with(encoding: &'static Encoding, bytes: &[u8]) -> Decoded {
    let (text, lossy) = encoding.decode_without_bom_handling(bytes);
    Decoded {
        text: text.into_owned(),
        encoding: encoding.name(),
        lossy,
    }
}

/// Mostly-ASCII text in UTF-16 has a zero in every other byte; UTF-8 text and legacy encodings never do, and
/// binary data does not show the pattern on one side only.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    if sample.len() < 8 {
        return None;
    }
    let pairs = sample.len() / 2;
    let zeros = |offset: usize| sample.iter().skip(offset).step_by(2).filter(|&&b| b == 0).count();
    let (even, odd) = (zeros(0), zeros(1));
    let mostly = |n: usize| n * 10 >= pairs * 3;
    let rarely = |n: usize| n * 20 <= pairs;
    if mostly(odd) && rarely(even) {
        Some(UTF_16LE)
    } else if mostly(even) && rarely(odd) {
        Some(UTF_16BE)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, little_endian: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| {
                if little_endian {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                }
            })
            .collect()
    }

    #[test]
    fn utf8_bom_is_removed() {
        let d = decode(b"\xEF\xBB\xBF1\n");
        assert_eq!((d.text.as_str(), d.encoding, d.lossy), ("1\n", "UTF-8", false));
    }

    #[test]
    fn utf16_with_bom_both_byte_orders() {
        let mut le = vec![0xFF, 0xFE];
        le.extend(utf16("Café -->", true));
        let mut be = vec![0xFE, 0xFF];
        be.extend(utf16("Café -->", false));
        assert_eq!(
            (decode(&le).text, decode(&le).encoding),
            ("Café -->".to_string(), "UTF-16LE")
        );
        assert_eq!(
            (decode(&be).text, decode(&be).encoding),
            ("Café -->".to_string(), "UTF-16BE")
        );
    }

    #[test]
    fn utf16_without_bom_is_recognised() {
        let text = "1\r\n00:00:01,000 --> 00:00:02,000\r\nHello\r\n";
        assert_eq!(decode(&utf16(text, true)).text, text);
        assert_eq!(decode(&utf16(text, false)).encoding, "UTF-16BE");
    }

    #[test]
    fn windows_1252_is_guessed() {
        // "Ça va très bien, garçon. À bientôt!" in windows-1252.
        let bytes = b"\xC7a va tr\xE8s bien, gar\xE7on. \xC0 bient\xF4t! Qu'est-ce que tu fais l\xE0?";
        let d = decode(bytes);
        assert_eq!(d.encoding, "windows-1252");
        assert!(d.text.starts_with("Ça va très bien, garçon. À bientôt!"), "{}", d.text);
    }

    #[test]
    fn malformed_utf16_is_lossy_not_fatal() {
        let d = decode(&[0xFF, 0xFE, 0x00, 0xD8]); // a lone surrogate
        assert!(d.lossy);
        assert_eq!(d.text, "\u{FFFD}");
    }
}
