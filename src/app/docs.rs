//! `asrscope completions SHELL` and `asrscope man`: hidden commands, for
//! packagers, that print what [`crate::cli`] generates from the argument
//! definitions on standard output.

use super::stdout;
use std::io::Write as _;
use std::process::ExitCode;

/// `asrscope completions SHELL`.
pub(super) fn completions(shell: clap_complete::Shell) -> anyhow::Result<ExitCode> {
    stdout().write_all(&crate::cli::completion_script(shell))?;
    Ok(ExitCode::SUCCESS)
}

/// `asrscope man`.
pub(super) fn man() -> anyhow::Result<ExitCode> {
    stdout().write_all(&crate::cli::man_page()?)?;
    Ok(ExitCode::SUCCESS)
}
