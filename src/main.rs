//! The `asrscope` binary: parses arguments and hands over to the library.

use clap::FromArgMatches;
use std::process::ExitCode;

/// jemalloc: flow records are built on the engine thread and freed on the
/// judging thread, a pattern glibc's allocator serves with locks and
/// consolidation; jemalloc's thread caches do not, and it returns memory to
/// the system as it goes. Measured on the handshakes benchmark: 0.50 s and
/// 26 MB peak, against 1.05 s and 57 MB with glibc's allocator and 0.60 s and
/// 90 MB with mimalloc. jemalloc does not build with MSVC.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    let parsed = asrscope::cli::command()
        .try_get_matches()
        .and_then(|m| asrscope::cli::Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                asrscope::app::EXIT_ERROR
            } else {
                0
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match asrscope::app::run(cli) {
        Ok(code) => code,
        Err(e) => {
            if asrscope::app::broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            // One line, whatever the error holds (a file name, an export's
            // field, a region argument): through the one sanitiser.
            eprintln!(
                "asrscope: {}",
                asrscope::sanitize::for_terminal(&format!("{e:#}"))
            );
            ExitCode::from(asrscope::app::EXIT_ERROR)
        }
    }
}
