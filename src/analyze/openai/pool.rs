//! Many keyframes, `jobs` requests in flight, results handed back on the caller's thread.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use super::{CallError, Client};
use crate::analyze::SceneText;
use crate::error::IoContext;
use crate::{Cancel, Error, Result};

impl Client {
    /// Describe every image with `jobs` requests in flight. `on_done(index, result)` runs on the calling thread,
    /// in completion order, once per finished image, so the caller can append to its cache without locking;
    /// per-request failures reach it too (to keep the built-in text). A fatal error, a cancel, or `on_done`
    /// failing stops handing out images; requests already sent are waited for (and still reported, unless
    /// `on_done` failed), then the error is returned (`Error::Interrupted` for a cancel).
    pub fn describe_images(
        &self,
        images: &[PathBuf],
        cancel: &Cancel,
        mut on_done: impl FnMut(usize, Result<SceneText, CallError>) -> Result<()>,
    ) -> Result<()> {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let workers = self.cfg.jobs.clamp(1, images.len().max(1));
        let mut fatal: Option<Error> = None;
        let mut caller_failed: Option<Error> = None;
        let mut reported = 0;

        thread::scope(|scope| {
            let (tx, rx) = mpsc::channel::<(usize, Result<SceneText, CallError>)>();
            for _ in 0..workers {
                let tx = tx.clone();
                let (next, stop) = (&next, &stop);
                scope.spawn(move || {
                    while !stop.load(Ordering::SeqCst) && !cancel.is_cancelled() {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some(path) = images.get(i) else { break };
                        let result = std::fs::read(path)
                            .at(path, "reading the keyframe image")
                            .map_err(CallError::Fatal)
                            .and_then(|jpeg| self.describe_image(&jpeg));
                        if result.as_ref().is_err_and(CallError::is_fatal) {
                            stop.store(true, Ordering::SeqCst);
                        }
                        if tx.send((i, result)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);

            // Ends when every worker has finished its last request and dropped its sender. Answers that arrive
            // after a fatal error are still reported: they are paid for, and the caller's cache can keep them.
            for (i, result) in rx {
                match result {
                    Err(CallError::Fatal(e)) => {
                        fatal.get_or_insert(e);
                    }
                    result if caller_failed.is_none() => match on_done(i, result) {
                        Ok(()) => reported += 1,
                        Err(e) => {
                            stop.store(true, Ordering::SeqCst);
                            caller_failed = Some(e);
                        }
                    },
                    _ => {}
                }
            }
        });

        match caller_failed.or(fatal) {
            Some(e) => Err(e),
            None if reported < images.len() => Err(Error::Interrupted),
            None => Ok(()),
        }
    }
}
