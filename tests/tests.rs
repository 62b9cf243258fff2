//! CineCut's integration tests: one binary (the library is linked once), a module per stage or concern, real
//! FFmpeg on generated films with known answers and, when `../shared/media` is there, Tears of Steel.
//!
//! Run one module with `cargo test --release --test integration -- conform::`, one test with its full name.
//! `util` is the harness: the `Cinecut` builder for invocations, generated films, probes of what a viewer sees
//! and hears, stub servers, the OpenTimelineIO and Chromium checkers.
//!
//! Where each stage is tested (the pure parts of every stage also have unit tests beside their code):
//!
//! | stage or concern | modules |
//! |---|---|
//! | 1 `proxy` | `analysis` (shots, signals, the proxy, the loudness envelope) |
//! | 2 `subtitles` | `subtitles` |
//! | 3 `keyframes` | `analysis` (story spans), `text` (the film's own text), `understanding` |
//! | 4 `inference` | `understanding`, `faces`, `models`, `openai_client`, `llama_server` |
//! | 5 `structural` | `understanding`, `models`, `llama_server` |
//! | 6 `narrative` | `story_check`, `manifest`, `text`, `trailer` |
//! | 7 `assembly` | `music`, `beats`, `synth`, `trailer` |
//! | 8 `conform` | `conform`, `grade`, `card`, `escape`, `trailer` |
//! | hand-off (exports, report) | `export`, `report` |
//! | resume, checkpoint, locking | `cli`, `checkpoint`, `torture`, `resources` |
//! | bad input, hostile names | `bad_input`, `hostile` |

mod util;

mod analysis;
mod bad_input;
mod beats;
mod card;
mod checkpoint;
mod cli;
mod conform;
mod escape;
mod export;
mod faces;
mod grade;
mod hostile;
mod llama_server;
mod manifest;
mod models;
mod music;
mod openai_client;
mod report;
mod resources;
mod story_check;
mod subtitles;
mod synth;
mod text;
mod torture;
mod trailer;
mod understanding;
