//! The eight stages by their checkpoint names, in the order they run. They live on the ground floor because the
//! checkpoint records them and progress reports name them; `pipeline/` decides what each one does.

/// The eight stages, in the order they run (`DESIGN.md`). The names are the checkpoint's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Proxy,
    Subtitles,
    Keyframes,
    Inference,
    Structural,
    Narrative,
    Assembly,
    Conform,
}

impl Stage {
    pub const ALL: [Stage; 8] = [
        Stage::Proxy,
        Stage::Subtitles,
        Stage::Keyframes,
        Stage::Inference,
        Stage::Structural,
        Stage::Narrative,
        Stage::Assembly,
        Stage::Conform,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Proxy => "proxy",
            Stage::Subtitles => "subtitles",
            Stage::Keyframes => "keyframes",
            Stage::Inference => "inference",
            Stage::Structural => "structural",
            Stage::Narrative => "narrative",
            Stage::Assembly => "assembly",
            Stage::Conform => "conform",
        }
    }

    /// 1-based position, for "[3/8] keyframes".
    pub fn number(self) -> usize {
        Stage::ALL.iter().position(|s| *s == self).unwrap() + 1
    }

    pub fn from_name(s: &str) -> Option<Stage> {
        let s = s.trim().to_ascii_lowercase();
        Stage::ALL.into_iter().find(|st| st.name() == s)
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
