//! Many keyframes, `jobs` requests in flight, results handed back on the caller's thread.

use std::path::PathBuf;

use super::{CallError, Client};
use crate::analyze::SceneText;
use crate::error::IoContext;
use crate::workdir::parallel_map;
use crate::{Cancel, Result};

impl Client {
    /// Describe every image with `jobs` requests in flight. `on_done(index, result)` runs on the calling thread,
    /// in completion order, once per finished image, so the caller can append to its cache without locking;
    /// per-request failures reach it too (to keep the built-in text). A fatal error, a cancel, or `on_done`
    /// failing stops handing out images; requests already sent are waited for, then the error is returned
    /// (`Error::Interrupted` for a cancel).
    pub fn describe_images(
        &self,
        images: &[PathBuf],
        cancel: &Cancel,
        on_done: impl FnMut(usize, Result<SceneText, CallError>) -> Result<()>,
    ) -> Result<()> {
        let describe = |i: usize| {
            let jpeg = std::fs::read(&images[i]).at(&images[i], "reading the keyframe image")?;
            match self.describe_image(&jpeg) {
                Err(CallError::Fatal(e)) => Err(e),
                answer => Ok(answer),
            }
        };
        parallel_map(images.len(), self.cfg.jobs, cancel, describe, on_done)
    }
}
