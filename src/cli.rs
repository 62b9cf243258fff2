//! The command line as typed (clap derive). Nothing here checks files or talks to FFmpeg: `config.rs` turns
//! these raw arguments into a checked `RunConfig`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::export::Format;
use crate::media::Rate;
use crate::render::{DEFAULT_PRESET, PRESETS, Resolution};
use crate::story::{Length, TitleCard};
use crate::workdir::Stage;

const EXAMPLES: &str = "\
Examples:
  cinecut film.mkv -s film.srt -v thriller
      make film_trailer_thriller.mp4 next to film.mkv
  cinecut film.mkv -s film.srt -v 'sci fi' --until proxy
      run only the analysis pass; run the same command again to continue where it stopped
  cinecut film.mkv -s film.srt -v comedy --length teaser
      a 60-second teaser (spot: 30 s; or any number of seconds)
  cinecut film.mkv -s film.srt -v drama --review
      stop after choosing the clips; edit TRAILER_MANIFEST.json, then render it with --manifest
  cinecut vibes
      list the 18 vibes and what each one does
  cinecut film.mkv -s film.srt -v thriller --export otio,fcpxml,edl
      also write the cut list for Resolve, Premiere, Final Cut or Avid beside the trailer
  cinecut export film_cinecut_work/TRAILER_MANIFEST.json
      write the cut list of an (edited and re-rendered) manifest
  cinecut schema > trailer_manifest.schema.json
      the JSON Schema of TRAILER_MANIFEST.json, for editors and validators

The work dir (<film>_cinecut_work/ next to the film, or --work-dir) keeps everything needed to resume:
run the same command again after a crash or Ctrl-C and finished stages are skipped.";

#[derive(Debug, Parser)]
#[command(
    name = "cinecut",
    version,
    about = "Turn a feature film and its subtitles into a vibe-styled trailer, with an editable cut list",
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// The film (any format FFmpeg reads: mkv, mp4, mov, avi, …)
    #[arg(value_name = "VIDEO", required_unless_present = "manifest")]
    pub video: Option<PathBuf>,

    /// Subtitles for the film (SRT, ASS/SSA or WebVTT)
    #[arg(short = 's', long, value_name = "FILE")]
    pub subtitle: Option<PathBuf>,

    /// The trailer's style: action, thriller, romance, sci-fi, … (`cinecut vibes` lists all 18)
    #[arg(short = 'v', long, value_name = "NAME", required_unless_present = "manifest")]
    pub vibe: Option<String>,

    /// Where to write the trailer [default: <film dir>/<film>_trailer_<vibe>.mp4]
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Work dir for resumable state [default: <film dir>/<film>_cinecut_work]
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,

    /// Ignore any checkpoint and redo every stage
    #[arg(long)]
    pub fresh: bool,

    /// Run up to and including this stage, then stop
    #[arg(long, value_name = "STAGE", value_parser = parse_stage)]
    pub until: Option<Stage>,

    /// How long: `trailer` (the vibe's default, about 2 min), `teaser` (60 s), `spot` (30 s), or seconds
    #[arg(short = 'l', long, value_name = "LENGTH", default_value = "trailer", value_parser = Length::parse, conflicts_with = "manifest")]
    pub length: Length,

    /// The title card's text [default: the film's title tag, else its file name cleaned up]
    #[arg(long, value_name = "TEXT", conflicts_with = "manifest")]
    pub title: Option<String>,

    /// A line under the title on the title card
    #[arg(long, value_name = "TEXT", conflicts_with = "manifest")]
    pub tagline: Option<String>,

    /// The title card: `film` (the film's own title shot, when its title is found on screen; else the typeset
    /// card) or `text` (the typeset card)
    #[arg(long, value_name = "CARD", default_value = "film", value_parser = TitleCard::parse, conflicts_with = "manifest")]
    pub title_card: TitleCard,

    /// Allow clips from the last 5 % of the story (the ending is left out by default)
    #[arg(long, conflicts_with = "manifest")]
    pub allow_spoilers: bool,

    /// The music bed: an audio file (mp3, m4a/aac, wav, flac, ogg/opus) [default: a track from --music-dir,
    /// else from Jamendo when JAMENDO_CLIENT_ID is set, else the built-in bed]
    #[arg(long, value_name = "FILE", help_heading = "Sound")]
    pub music: Option<PathBuf>,

    /// A folder of music to choose from by the vibe's style and tempo [env: CINECUT_MUSIC_DIR]
    #[arg(long, value_name = "DIR", help_heading = "Sound")]
    pub music_dir: Option<PathBuf>,

    /// Picture size: `1080p`, `720p` (fit inside 1920×1080, 1280×720, keeping the film's shape) or WIDTHxHEIGHT
    /// (exactly, letterboxed) [default: the film's own]
    #[arg(long, value_name = "SIZE", value_parser = Resolution::parse, help_heading = "Picture")]
    pub resolution: Option<Resolution>,

    /// Frame rate: 24, 25, 23.976, 29.97, 30000/1001 … [default: the film's own]
    #[arg(long, value_name = "RATE", value_parser = Rate::parse, help_heading = "Picture")]
    pub fps: Option<Rate>,

    /// Grade with this 3D LUT (.cube, from Resolve, Photoshop, …) instead of the vibe's
    #[arg(long, value_name = "FILE", conflicts_with = "no_grade", help_heading = "Picture")]
    pub lut: Option<PathBuf>,

    /// Keep the film's own colours: no colour grade
    #[arg(long, help_heading = "Picture")]
    pub no_grade: bool,

    /// x264 preset: slower presets make smaller files at the same quality
    #[arg(long, value_name = "NAME", default_value = DEFAULT_PRESET, value_parser = clap::builder::PossibleValuesParser::new(PRESETS), help_heading = "Picture")]
    pub preset: String,

    /// Also write the cut list for an editor beside the trailer: otio (OpenTimelineIO), fcpxml (Final Cut Pro,
    /// DaVinci Resolve), edl (CMX3600), comma-separated
    #[arg(long, value_name = "FORMATS", value_delimiter = ',', value_parser = Format::parse, conflicts_with = "review", help_heading = "Hand-off")]
    pub export: Vec<Format>,

    /// Do not write the HTML report (report/index.html in the work dir)
    #[arg(long, help_heading = "Hand-off")]
    pub no_report: bool,

    /// Stop after choosing the clips, to review and edit TRAILER_MANIFEST.json before rendering
    #[arg(long, conflicts_with_all = ["until", "manifest"])]
    pub review: bool,

    /// Render this (edited) TRAILER_MANIFEST.json exactly as written
    #[arg(short = 'm', long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,

    /// Who describes the keyframes: `builtin` (image and sound statistics, no model) or `openai` (a vision model
    /// on an OpenAI-compatible server: llama-server with --mmproj, Ollama, vLLM, LM Studio, OpenAI)
    #[arg(long, value_name = "NAME", default_value = "builtin", value_parser = ["builtin", "openai"], help_heading = "Models")]
    pub analyzer: String,

    /// The OpenAI-compatible server [env: CINECUT_OPENAI_BASE_URL, then OPENAI_BASE_URL; default
    /// http://127.0.0.1:8080/v1]. The API key, if any, comes from CINECUT_OPENAI_API_KEY or OPENAI_API_KEY
    #[arg(long, value_name = "URL", help_heading = "Models")]
    pub endpoint: Option<String>,

    /// The vision model's name on the server, for --analyzer openai
    #[arg(long, value_name = "NAME", help_heading = "Models")]
    pub vision_model: Option<String>,

    /// A text model on the server: it reads the dialogue to find the story's turning points
    #[arg(long, value_name = "NAME", help_heading = "Models")]
    pub text_model: Option<String>,

    /// Model requests in flight at once, for servers that batch (llama-server -np N, vLLM)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64), help_heading = "Models")]
    pub jobs: u32,

    /// The text model's context window, in tokens: longer dialogue goes in several requests
    #[arg(long, value_name = "TOKENS", default_value_t = 8192, value_parser = clap::value_parser!(u32).range(512..), help_heading = "Models")]
    pub text_context: u32,

    /// No progress output (errors and warnings are still shown)
    #[arg(short = 'q', long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also log the FFmpeg commands and each stage's details
    #[arg(long)]
    pub verbose: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the vibes and their parameters
    Vibes,
    /// Print the JSON Schema of TRAILER_MANIFEST.json
    Schema,
    /// Write the cut list of a rendered trailer for an editor (OpenTimelineIO, FCPXML, CMX3600 EDL)
    Export(ExportArgs),
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The trailer's TRAILER_MANIFEST.json (in its work dir, or where --work-dir says)
    #[arg(value_name = "MANIFEST")]
    pub manifest: PathBuf,

    /// Which formats, comma-separated
    #[arg(short = 'f', long, value_name = "FORMATS", value_delimiter = ',', value_parser = Format::parse, default_value = "otio,fcpxml,edl")]
    pub format: Vec<Format>,

    /// Where to write: this path with each format's extension [default: beside the film, named like the trailer]
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// The work dir the trailer was rendered in [default: the manifest's folder if it holds timeline.json, else
    /// <film dir>/<film>_cinecut_work]
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,

    /// Print nothing but errors
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    Stage::from_name(s).ok_or_else(|| {
        let names: Vec<_> = Stage::ALL.iter().map(|s| s.name()).collect();
        format!("unknown stage '{s}'; the stages are {}", names.join(", "))
    })
}
