//! The only module that knows every layer: turns arguments into work and
//! picks the views.

pub mod check;
pub mod config;
pub mod live;
pub mod offline;
pub mod requirements;
pub mod tags;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Exit status: done, nothing to report about Site Recovery traffic.
pub const EXIT_OK: u8 = 0;
/// Exit status: the report holds findings about Site Recovery traffic.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: unusable input or arguments (after reporting what could be read).
pub const EXIT_ERROR: u8 = 2;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Analyze(args) => offline::run(&args),
        Command::Tags(t) => tags::run(&t),
        Command::Requirements(r) => requirements::run(&r),
        Command::Check(c) => check::run(&c),
        Command::Live(l) => live::run(&l),
        Command::Interfaces => live::interfaces(),
        Command::Tui(t) => offline::tui(&t),
    }
}
