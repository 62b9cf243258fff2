//! Stage `assembly`, its edge: read the manifest and what the analysis knows about the film, choose the music and
//! find its beats, build `timeline.json`, and write the stems that are synthesised rather than cut from files (the
//! built-in bed, the sound effects).

use std::path::PathBuf;

use serde::Serialize;

use crate::media::Rate;

use crate::analyze::{STRUCTURE, Structure};
use crate::cancel::Cancel;
use crate::error::Result;
use crate::ingest::{
    DIALOGUE, Dialogue,
    analysis::{self, ShotList},
};
use crate::media::Tools;
use crate::sound::{
    beats::{self, ANALYSIS_RATE, TempoPrior},
    bed::{self, BedPlan},
    decode,
    music::{self, MusicOptions},
    sfx, wav,
};
use crate::story::{Act, BpmGrid, Edges, Manifest, MusicBed, Vibe};
use crate::timeline::{self, Bed, Footage, Kind, MusicAnalysis, MusicTrack, SfxKind, TIMELINE, Timeline};
use crate::workdir::{Secret, WorkDir};

/// Bump when the timeline or the synthesised sound for the same manifest changes.
pub(crate) const VERSION: u32 = 4;
/// The built-in bed and the effects stem, written for the timeline.
pub(crate) const BED: &str = "sound/bed.wav";
pub(crate) const SFX: &str = "sound/sfx.wav";
/// Without a climax anchor, voice lines come from the first three quarters of the film.
const VOICE_SHARE: f64 = 0.75;

/// The timeline's code, and the synthesised bed and effects it writes.
pub(crate) const VERSIONS: &[u32] = &[VERSION, bed::VERSION, sfx::VERSION];

/// What stage `assembly` reads: the manifest to lay out, the trailer's rate, what the film offers, and where the
/// music may come from.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Inputs {
    /// The work dir's own manifest, or the one `--manifest` names.
    pub manifest: PathBuf,
    /// `--manifest`'s decisions (`Manifest::decisions_key`: not `music_bed`, which assembly itself records); the
    /// work dir's own manifest is covered by `narrative`'s key.
    pub manifest_key: Option<String>,
    /// Write the chosen music into the manifest's `music_bed` (only for the work dir's own manifest).
    pub record_music: bool,
    /// The trailer's frame rate.
    pub rate: Rate,
    /// Where the film's picture ends, when known.
    pub film_duration_s: Option<f64>,
    pub has_audio: bool,
    /// `--music`, checked at startup, with its size and mtime: a changed file is analysed again without
    /// hashing megabytes each run.
    pub music: Option<MusicTrack>,
    pub music_stamp: Option<(u64, u128)>,
    /// `--music-dir`, else `CINECUT_MUSIC_DIR`.
    pub music_dir: Option<PathBuf>,
    /// `JAMENDO_CLIENT_ID`: enables Jamendo as a music source.
    pub jamendo_client_id: Option<Secret>,
    /// Downloaded tracks and the music folder's index (`~/.cache/cinecut/music`).
    pub music_cache: PathBuf,
}

pub(crate) struct Outcome {
    pub timeline: Timeline,
    pub warnings: Vec<String>,
}

impl Outcome {
    pub(crate) fn summary(&self) -> String {
        let tl = &self.timeline;
        let music = tl.music.as_ref().map_or("no music".to_string(), |m| {
            let name = m.title.as_deref().unwrap_or("untitled");
            format!("{name} at {:.0} BPM", m.bpm)
        });
        format!(
            "{:.1} s, {} segments, {}/{} cuts on the beat, {music}, {} voice lines, {} effects; {TIMELINE}",
            tl.duration_s,
            tl.video.len(),
            tl.cuts_on_beat,
            tl.cuts,
            tl.voice.len(),
            tl.sfx.len()
        )
    }
}

pub(crate) fn run(tools: &Tools, opts: &Inputs, work: &WorkDir, cancel: &Cancel) -> Result<Outcome> {
    let mut manifest = Manifest::load(&opts.manifest, opts.film_duration_s)?;
    let vibe = manifest.vibe()?;
    let duration_s = opts.film_duration_s.unwrap_or(f64::MAX);
    // A bare work dir (a manifest rendered on its own) has no analysis: any frame is then an edge.
    let mut warnings = vec![];
    let dialogue: Option<Dialogue> = optional(work, DIALOGUE, &mut warnings);
    let shots: Option<ShotList> = optional(work, analysis::SHOTS, &mut warnings);
    let structure: Option<Structure> = optional(work, STRUCTURE, &mut warnings);
    let mut cues = dialogue.map(|d| d.events).unwrap_or_default();
    cues.sort_by(|a, b| a.start_s.total_cmp(&b.start_s));
    // Any frame of the film may be an edge, as long as it keeps to the analysis' rules (cues, slivers, blends,
    // the film's own text).
    let text: Vec<(f64, f64)> = structure
        .iter()
        .flat_map(|s| s.no_clip_text().map(|t| (t.start_s, t.end_s)))
        .collect();
    let edges = shots.as_ref().map(|s| {
        Edges::new(s.fps, s.offset_s, s.frames, &s.shots, &cues, (0.0, duration_s)).with_text(text.iter().copied())
    });
    let film = Footage {
        duration_s,
        edges: edges.as_ref(),
        cues: &cues,
        protagonist: structure.as_ref().and_then(|s| s.protagonist.as_deref()),
        spoilers_from_s: structure
            .as_ref()
            .map_or(duration_s * VOICE_SHARE, |s| s.anchors.climax_t),
        has_audio: opts.has_audio,
    };

    let seed = seed(&manifest);
    let chosen = match &opts.music {
        Some(track) => music::Chosen {
            track: Some(track.clone()),
            warnings: vec![],
        },
        None => music::choose(
            tools,
            &MusicOptions {
                file: None,
                dir: opts.music_dir.as_deref(),
                jamendo_client_id: opts.jamendo_client_id.as_ref().map(Secret::expose),
                vibe,
                seed,
                cache_dir: opts.music_cache.clone(),
            },
            cancel,
        )?,
    };
    warnings.extend(chosen.warnings);
    let analysis = match &chosen.track {
        Some(track) => Some(analyse(tools, track, vibe, cancel)?),
        None => None,
    };
    let bed_path = work.path(BED);
    let bed = match (&chosen.track, &analysis) {
        (Some(track), Some(analysis)) => Bed::Track { track, analysis },
        _ => Bed::Builtin {
            path: bed_path.to_string_lossy().into_owned(),
            bpm: vibe.bpm_default as f64,
        },
    };
    let tl = timeline::build(&manifest, vibe, opts.rate, &film, &bed);
    if tl.cuts > 0 && tl.cuts_on_beat * 100 < tl.cuts * 95 {
        warnings.push(format!(
            "only {} of {} cuts land on a beat: the clips leave little room to move",
            tl.cuts_on_beat, tl.cuts
        ));
    }

    work.subdir("sound")?;
    let mutes: Vec<(f64, f64)> = tl.silence().into_iter().collect();
    let builtin = matches!(bed, Bed::Builtin { .. });
    if builtin {
        let at = |kind: SfxKind| -> Vec<f64> { tl.sfx.iter().filter(|e| e.kind == kind).map(|e| e.at_s).collect() };
        let (risers, hits) = (at(SfxKind::Boundary), at(SfxKind::Hit));
        let plan = BedPlan {
            mutes: &mutes,
            risers_to_s: &risers,
            hits_s: &hits,
            ..bed_plan(&tl, vibe, seed)
        };
        wav::write_wav(&bed_path, &bed::render_bed(&plan))?;
    }
    // The built-in bed plays the risers and hits itself, in its key; the effects stem adds only the rest.
    let effects: Vec<_> = tl
        .sfx
        .iter()
        .copied()
        .filter(|e| !builtin || e.kind == SfxKind::Hard)
        .collect();
    wav::write_wav(&work.path(SFX), &sfx::render_sfx(&effects, tl.duration_s, &mutes, seed))?;
    work.write_json(TIMELINE, &tl)?;

    if opts.record_music {
        manifest.music_bed = Some(music_bed(&tl, chosen.track.as_ref()));
        manifest.bpm_grid = tl.music.as_ref().map(|m| BpmGrid {
            bpm: m.bpm,
            beat_count: m.beats_s.len() as u64,
            source: Some(if builtin { "builtin" } else { "tracked" }.to_string()),
        });
        manifest.save(&opts.manifest)?;
    }
    Ok(Outcome { timeline: tl, warnings })
}

/// An analysis file: `None` when absent; when present but unreadable, `None` with a warning saying what is lost.
fn optional<T: serde::de::DeserializeOwned>(work: &WorkDir, rel: &str, warnings: &mut Vec<String>) -> Option<T> {
    if !work.path(rel).exists() {
        return None;
    }
    work.read_json(rel)
        .map_err(|e| {
            warnings.push(format!(
                "{e}; the timeline is built without it (run with --fresh to redo it)"
            ))
        })
        .ok()
}

/// Tempo, beats and the loudness of each bar of a music file.
fn analyse(tools: &Tools, track: &MusicTrack, vibe: &Vibe, cancel: &Cancel) -> Result<MusicAnalysis> {
    let mono = decode::decode_mono(tools, &track.path, ANALYSIS_RATE, cancel)?;
    let prior = TempoPrior {
        min_bpm: vibe.bpm_range.0 as f64,
        max_bpm: vibe.bpm_range.1 as f64,
        default_bpm: vibe.bpm_default as f64,
    };
    let found = beats::track(&mono, ANALYSIS_RATE, prior);
    let mut analysis = MusicAnalysis {
        duration_s: mono.len() as f64 / ANALYSIS_RATE as f64,
        bpm: found.bpm,
        beats_s: found.beats_s,
        downbeats_s: found.downbeats_s,
        bar_rms: vec![],
    };
    analysis.bar_rms = beats::bar_rms(&mono, ANALYSIS_RATE, &analysis.bars());
    Ok(analysis)
}

/// The built-in bed follows the timeline: its grid, and sections at the acts (the caller adds mutes, risers, hits).
fn bed_plan<'a>(tl: &'a Timeline, vibe: &'a Vibe, seed: u64) -> BedPlan<'a> {
    let music = tl.music.as_ref().expect("the timeline always has music");
    let first = |acts: &[Act]| {
        tl.video
            .iter()
            .find(|s| s.act.is_some_and(|a| acts.contains(&a)))
            .map(|s| s.start_s)
    };
    let act3 = first(&[Act::Act3]).unwrap_or(tl.duration_s);
    let act2 = first(&[Act::BeatDrop, Act::Act2, Act::Breath]).unwrap_or(act3);
    let act1 = first(&[Act::Act1]).unwrap_or(0.0);
    BedPlan {
        vibe,
        bpm: music.bpm,
        downbeat_s: music.downbeats_s.first().copied().unwrap_or(0.0),
        duration_s: tl.duration_s,
        act_starts_s: [act1, act2, act3],
        mutes: &[],
        risers_to_s: &[],
        hits_s: &[],
        fade_out_s: music.fade_out_s,
        seed,
    }
}

/// What the manifest records about the bed (licence and attribution included).
fn music_bed(tl: &Timeline, track: Option<&MusicTrack>) -> MusicBed {
    let m = tl.music.as_ref();
    MusicBed {
        track_id: track.and_then(|t| t.track_id.clone()),
        track_name: m.and_then(|m| m.title.clone()),
        artist_name: m.and_then(|m| m.artist.clone()),
        license_ccurl: m.and_then(|m| m.license_url.clone()),
        local_path: m.map(|m| m.path.clone()),
        bpm: m.map(|m| m.bpm),
    }
}

/// Varies the music among equally good choices per film, the same every run.
fn seed(m: &Manifest) -> u64 {
    let key = m.source_fingerprint.as_deref().unwrap_or(&m.source_file);
    let h = blake3::hash(key.as_bytes());
    u64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// Whether every file the timeline points at is still there.
pub(crate) fn outputs_present(work: &WorkDir) -> bool {
    let Ok(tl) = work.read_json::<Timeline>(TIMELINE) else {
        return false;
    };
    let music_ok = tl.music.as_ref().is_none_or(|m| PathBuf::from(&m.path).is_file());
    music_ok && work.path(SFX).is_file() && tl.video.iter().all(|s| s.kind != Kind::Card || s.text.is_some())
}
