//! A credential a stage reads (an API key, a client id). It belongs in the stage's inputs, so a new one counts as
//! a change, but it is serialised only as a short hash and shown as `<set>`: neither the checkpoint, a log nor an
//! error message can hold it.

use std::fmt;

use serde::{Serialize, Serializer};

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The credential itself, for the one request header or query that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<set>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("blake3:{}", &blake3::hash(self.0.as_bytes()).to_hex()[..16]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shown_or_written_but_a_change_is_seen() {
        let s = Secret::new("sk-very-secret");
        assert_eq!(format!("{s:?}"), "<set>");
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("very-secret"), "{json}");
        assert_ne!(json, serde_json::to_string(&Secret::new("sk-other")).unwrap());
        assert_eq!(s.expose(), "sk-very-secret");
    }
}
