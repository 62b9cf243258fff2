//! The music bed as the timeline takes it: the chosen file and what its credit needs (`MusicTrack`, from
//! `sound::music`'s sources), and what the beat tracker found in it (`MusicAnalysis`, from `sound::beats`).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MusicSource {
    User,
    Folder,
    Jamendo,
    Builtin,
}

/// A chosen music file and what the credits need.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MusicTrack {
    pub source: MusicSource,
    /// Absolute.
    pub path: PathBuf,
    pub title: Option<String>,
    pub artist: Option<String>,
    /// The CC licence URL for Jamendo; for a user's file only when its tags carry one.
    pub license_url: Option<String>,
    /// The track's page (Jamendo's `shareurl`).
    pub url: Option<String>,
    pub track_id: Option<String>,
    pub duration_s: f64,
    /// Tempo already measured (folder scan), so assembly need not track it twice; None = not measured yet.
    pub bpm: Option<f64>,
}

impl MusicTrack {
    /// One line for the credits and the report: `"Title" by Artist (licence URL)`.
    pub fn credit(&self) -> String {
        let title = self.title.as_deref().unwrap_or("untitled");
        let mut line = format!("\"{title}\"");
        if let Some(a) = &self.artist {
            line.push_str(&format!(" by {a}"));
        }
        if let Some(l) = &self.license_url {
            line.push_str(&format!(" ({l})"));
        }
        line
    }

    /// The manifest's `music_bed` record.
    pub fn to_music_bed(&self) -> crate::story::MusicBed {
        crate::story::MusicBed {
            track_id: self.track_id.clone(),
            track_name: self.title.clone(),
            artist_name: self.artist.clone(),
            license_ccurl: self.license_url.clone(),
            local_path: Some(self.path.display().to_string()),
            bpm: self.bpm,
        }
    }
}

/// What the tracker and the loudness scan found in a music file (times in the file's own seconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MusicAnalysis {
    pub duration_s: f64,
    pub bpm: f64,
    pub beats_s: Vec<f64>,
    /// Bar starts; empty when no metre was found (then every fourth beat is used).
    pub downbeats_s: Vec<f64>,
    /// RMS of the music in each bar, one value per downbeat (the bar that starts there).
    pub bar_rms: Vec<f32>,
}

impl MusicAnalysis {
    /// Downbeats, or every fourth beat when the tracker found no metre.
    pub fn bars(&self) -> Vec<f64> {
        if self.downbeats_s.len() >= 2 {
            self.downbeats_s.clone()
        } else {
            self.beats_s.iter().step_by(4).copied().collect()
        }
    }
}
