//! The runner and the stage glue: the only folder that calls the stages. `runner` walks the stage list with the
//! checkpoint (resume, chained keys); `stages` builds each stage's inputs, runs it and records its result.

mod runner;
mod stages;

pub(crate) use runner::run;
