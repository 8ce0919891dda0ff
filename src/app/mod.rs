//! The only module that knows every layer: turns arguments into work and
//! picks the views.

pub mod offline;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Exit status: analysis done.
pub const EXIT_OK: u8 = 0;
/// Exit status: unusable input or arguments (after reporting what could be read).
pub const EXIT_ERROR: u8 = 2;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Analyze(args) => offline::run(&args),
    }
}
