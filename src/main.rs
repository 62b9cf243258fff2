//! `cinecut`: parse, run, map errors to exit codes (0 ok, 1 runtime failure, 2 bad input, 130 interrupted).

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cinecut::{Args, Cancel, Command, Error, TerminalReporter, init_logging};

fn main() -> ExitCode {
    let args = Args::parse();
    let listing = match args.command {
        Some(Command::Vibes) => Some(cinecut::vibes_table()),
        Some(Command::Schema) => Some(format!("{:#}\n", cinecut::schema())),
        Some(Command::Export(_)) | None => None,
    };
    if let Some(text) = listing {
        // Not print!: that panics when the reader goes away (`cinecut schema | head`).
        let _ = std::io::stdout().write_all(text.as_bytes());
        return ExitCode::SUCCESS;
    }
    let quiet = match &args.command {
        Some(Command::Export(e)) => e.quiet,
        _ => args.quiet,
    };
    let reporter = TerminalReporter::new(quiet);
    init_logging(args.verbose, reporter.log_writer());

    let cancel = Cancel::new();
    let handler_cancel = cancel.clone();
    // First Ctrl-C: stop the running FFmpeg and exit cleanly with the checkpoint intact. Second: leave now
    // (children die with us through PR_SET_PDEATHSIG).
    let _ = ctrlc::set_handler(move || {
        if handler_cancel.is_cancelled() {
            std::process::exit(130);
        }
        handler_cancel.cancel();
    });

    // A bug must not greet the user with a Rust backtrace: one line, exit 1, and the work dir stays valid
    // (every write is atomic, and the lock and FFmpeg children are released as the stack unwinds).
    std::panic::set_hook(Box::new(|info| {
        eprintln!("cinecut: internal error: {info}\n  please report it; re-running the same command resumes safely");
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &args.command {
        Some(Command::Export(export)) => cinecut::run_export(export, &cancel, reporter).map(|_| ()),
        _ => cinecut::run(&args, &cancel, reporter),
    }));
    let Ok(result) = result else {
        return ExitCode::from(1);
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Interrupted) => {
            eprintln!("cinecut: interrupted; run the same command again to continue where it stopped");
            ExitCode::from(130)
        }
        Err(e) => {
            eprintln!("cinecut: error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
