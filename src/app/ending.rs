//! How every command ends: its problems told on standard error, one line
//! each, and its exit status, decided here once.
//!
//! | status | when |
//! |---|---|
//! | [`EXIT_ERROR`] (2) | a problem: an input not read whole, an output not written, the live interface failing |
//! | [`EXIT_FINDINGS`] (1) | no problem, and a command whose status reports what it found (`analyze`, `live`: Site Recovery findings; `check`: a requirement not met) found something |
//! | [`EXIT_OK`] (0) | otherwise; `bundle` and `tui` report no findings in their status: the bundle, or the screen, holds them |
//!
//! Unusable arguments end a command before it has an ending: `main` tells
//! the error and exits 2.

use super::sink::Output;
use std::process::ExitCode;

/// Exit status: done, nothing to report about Site Recovery traffic.
pub const EXIT_OK: u8 = 0;
/// Exit status: the report holds findings about Site Recovery traffic.
pub const EXIT_FINDINGS: u8 = 1;
/// Exit status: unusable input or arguments (after reporting what could be read).
pub const EXIT_ERROR: u8 = 2;

/// One line on standard error, `asrscope: ` first, escaped for the
/// terminal.
pub(crate) fn say(line: &str) {
    eprintln!("asrscope: {}", crate::sanitize::for_terminal(line));
}

/// What a command has to tell when it ends, and what its status says.
#[derive(Debug, Default)]
pub(crate) struct Ending {
    /// Told at the end, in the order they came.
    problems: Vec<String>,
    /// Problems already told.
    told: usize,
    findings: bool,
}

impl Ending {
    /// An ending with nothing to tell.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A problem, told at the end.
    pub(crate) fn problem(&mut self, line: impl Into<String>) {
        self.problems.push(line.into());
    }

    /// Problems, told at the end.
    pub(crate) fn problems(&mut self, lines: impl IntoIterator<Item = String>) {
        self.problems.extend(lines);
    }

    /// The failure of an output, if it was opened and failed (not when its
    /// reader went away).
    pub(crate) fn output<W>(&mut self, o: Option<&Output<W>>) {
        self.problems.extend(o.and_then(Output::problem));
    }

    /// A problem told now, before what follows is written.
    pub(crate) fn tell_now(&mut self, line: &str) {
        say(line);
        self.told += 1;
    }

    /// Whether the command found something its status reports (Site
    /// Recovery findings; for `check`, a requirement not met). Commands
    /// whose status reports no findings do not call it.
    pub(crate) fn found(&mut self, findings: bool) {
        self.findings = findings;
    }

    /// No problem so far.
    pub(crate) fn is_clean(&self) -> bool {
        self.problems.is_empty() && self.told == 0
    }

    /// The exit status.
    pub(crate) fn status(&self) -> u8 {
        if !self.is_clean() {
            EXIT_ERROR
        } else if self.findings {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        }
    }

    /// Tells the problems not told yet and gives the exit status.
    pub(crate) fn exit(self) -> ExitCode {
        for p in &self.problems {
            say(p);
        }
        ExitCode::from(self.status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_come_before_findings_and_findings_before_nothing() {
        let mut e = Ending::new();
        assert_eq!(e.status(), EXIT_OK);
        e.found(true);
        assert_eq!(e.status(), EXIT_FINDINGS);
        e.problem("x.pcap: stopped after frame 3");
        assert_eq!(e.status(), EXIT_ERROR);
        let mut told = Ending::new();
        told.found(true);
        told.tell_now("interface eth1: gone");
        assert_eq!(told.status(), EXIT_ERROR);
        // A command that does not report findings: clean is 0.
        assert_eq!(Ending::new().status(), EXIT_OK);
    }
}
