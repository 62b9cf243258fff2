//! A small parallel map for per-keyframe work: CPU-bound analysis on every core, or requests to a model server.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::cancel::Cancel;
use crate::error::Result;

/// Every core this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Run `work(0..n)` on `jobs` threads and hand each result to `on_done` on the calling thread, in completion
/// order (so the caller can append to a file without locks). The first error, from either side, stops handing
/// out work; the threads finish the item in hand and the error is returned. A cancel stops it the same way
/// (`Error::Interrupted`).
pub fn parallel_map<T: Send>(
    n: usize,
    jobs: usize,
    cancel: &Cancel,
    work: impl Fn(usize) -> Result<T> + Sync,
    mut on_done: impl FnMut(usize, T) -> Result<()>,
) -> Result<()> {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel();
        for _ in 0..jobs.clamp(1, n.max(1)) {
            let tx = tx.clone();
            let (next, stop, work) = (&next, &stop, &work);
            scope.spawn(move || {
                while !stop.load(Ordering::SeqCst) && !cancel.is_cancelled() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let result = work(i);
                    if result.is_err() {
                        // Before the caller hears of it: no other thread starts another item.
                        stop.store(true, Ordering::SeqCst);
                    }
                    if tx.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let (mut outcome, mut done) = (Ok(()), 0);
        for (i, result) in rx {
            if outcome.is_ok() {
                outcome = result.and_then(|v| on_done(i, v));
                match outcome {
                    Ok(()) => done += 1,
                    Err(_) => stop.store(true, Ordering::SeqCst),
                }
            }
        }
        outcome?;
        // A cancel that came after the last item changed nothing.
        if done == n { Ok(()) } else { cancel.check() }
    })
}
