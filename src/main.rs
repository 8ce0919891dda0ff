//! The `asrscope` binary: parses arguments and hands over to the library.

use clap::Parser;

/// mimalloc: flow records are built on the engine thread and freed on the
/// judging thread, a pattern glibc's allocator serves with locks and
/// consolidation; mimalloc's thread-local free lists do not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match asrscope::cli::Cli::try_parse() {
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
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("asrscope: {e:#}");
            ExitCode::from(asrscope::app::EXIT_ERROR)
        }
    }
}
