//! The only module that knows every layer: turns arguments into work and
//! picks the views. It parses and checks ([`config`], [`outputs`]), runs
//! the one judging pipeline ([`offline`], [`live`]) into the sinks a
//! command chooses ([`sink`]), and ends every command the same way
//! ([`ending`]); the views themselves are in [`crate::report`] and
//! [`crate::tui`].
//!
//! One file per command: [`analyze`], [`bundle`], [`tui`], [`live`] (and
//! `interfaces`), [`check`], [`requirements`], [`tags`].

pub mod analyze;
pub mod bundle;
pub mod check;
pub mod config;
pub mod ending;
pub mod live;
pub mod offline;
pub mod outputs;
pub mod requirements;
pub mod sink;
pub mod tags;
pub mod tui;

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
        Command::Analyze(args) => analyze::run(&args),
        Command::Bundle(args) => bundle::run(&args),
        Command::Tags(t) => tags::run(&t),
        Command::Requirements(r) => requirements::run(&r),
        Command::Check(c) => check::run(&c),
        Command::Live(l) => live::run(&l),
        Command::Interfaces => live::interfaces(),
        Command::Tui(t) => tui::run(&t),
    }
}

/// True when an error comes from writing to a closed pipe (`asrscope … |
/// head`), in any of the writers the views use: the reader has what it
/// wanted, and asrscope ends quietly. A command whose status says what it
/// found (`analyze`, `check`, `bundle`) keeps that status ([`unless_closed`]);
/// for any other, `main` ends with 0, as ripgrep does.
pub fn broken_pipe(e: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
    })
}

/// The result of writing to standard output, with a closed pipe taken as
/// done: the command then ends quietly with the status its work decided (a
/// finding is still 1, however early `head -1` left). Other errors stay.
pub fn unless_closed(written: anyhow::Result<()>) -> anyhow::Result<()> {
    match written {
        Err(e) if broken_pipe(&e) => Ok(()),
        other => other,
    }
}

/// Standard output whose write errors say that it was standard output
/// ("standard output: No space left on device"), keeping their kind so that
/// a closed pipe is still told by [`broken_pipe`].
pub struct Stdout(std::io::StdoutLock<'static>);

/// Standard output, locked, with errors that name it.
pub fn stdout() -> Stdout {
    Stdout(std::io::stdout().lock())
}

fn named(e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("standard output: {e}"))
}

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(named)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(named)
    }
}

/// Standard output that can cross threads (not locked), with errors that
/// name it, for a writer that streams from another thread.
pub struct StdoutSend(pub std::io::Stdout);

impl std::io::Write for StdoutSend {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf).map_err(named)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush().map_err(named)
    }
}
