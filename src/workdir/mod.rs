//! The ground floor every stage stands on: the work dir (layout, lock, atomic writes, `.part` files), the
//! checkpoint and the stage names it records, the progress interface stages report through, and the parallel
//! map. Nothing here knows what a stage does; everything above may use it.

mod checkpoint;
mod dir;
mod parallel;
mod progress;
mod secret;
mod stage;

pub use checkpoint::{
    CHECKPOINT_FILE, PipelineCheckpoint, SourceFingerprint, checkpoint_path, fingerprint, load_checkpoint,
    parse_checkpoint, save_checkpoint,
};
pub use dir::{PartFile, WorkDir, atomic_write, default_work_dir, sync_dir};
pub use parallel::{cores, parallel_map};
pub use progress::{NullReporter, Progress, Reporter, Unit};
pub use secret::Secret;
pub use stage::Stage;
