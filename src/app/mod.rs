//! The only module that knows every layer: turns arguments into work and
//! picks the views. It parses and checks ([`config`], [`outputs`]), runs
//! the one judging pipeline ([`offline`], [`live`]) into the sinks a
//! command chooses ([`sink`]), writes to standard output through one
//! wrapper ([`stdout`]), and ends every command the same way ([`ending`]);
//! the views themselves are in [`crate::report`] and [`crate::tui`].
//!
//! One file per command: [`analyze`], [`bundle`], [`tui`], [`live`] (and
//! `interfaces`), [`check`], [`requirements`], [`tags`]; `completions` and
//! `man`, hidden, for packagers, in `docs`.

pub(crate) mod analyze;
pub mod bundle;
pub(crate) mod check;
pub mod config;
mod docs;
pub(crate) mod ending;
pub(crate) mod live;
pub mod offline;
pub(crate) mod outputs;
pub(crate) mod requirements;
pub(crate) mod sink;
mod stdio;
pub(crate) mod tags;
pub mod tui;

pub use ending::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
pub use stdio::{Stdout, StdoutSend, broken_pipe, stdout, unless_closed};

use crate::cli::{Cli, Command};
use std::process::ExitCode;

/// Runs a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Analyze(args) => analyze::run(&args),
        Command::Bundle(args) => bundle::run(&args),
        Command::Tags(t) => tags::run(&t),
        Command::Requirements(r) => requirements::run(&r),
        Command::Check(c) => check::run(&c),
        Command::Live(l) => live::run(&l),
        Command::Interfaces => live::interfaces(),
        Command::Tui(t) => tui::run(&t),
        Command::Completions { shell } => docs::completions(shell),
        Command::Man => docs::man(),
    }
}
