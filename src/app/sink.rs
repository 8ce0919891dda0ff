//! The one way judged flows reach the views.
//!
//! The judging pipeline (files in [`super::offline`], an interface in
//! [`super::live`]) hands every finished flow, judged, to a [`FlowSink`], as
//! ripgrep's searcher hands its matches to a `Sink`: the pipeline never names
//! a view, and each command composes the sinks it wants (`analyze`: the CSV,
//! the JSON document and the text report's summary; `bundle`: those of the
//! Site Recovery flows, and the packets to keep; `tui`: the list it browses;
//! `live`: the CSV and the lines). Sinks take flows by reference: the
//! analysis path copies none.
//!
//! A view that writes somewhere (the CSV, the JSON document, the lines) is a
//! [`FlowWriter`] held in an [`Output`], which decides once, for every
//! command, what a failure to write means: the output stops, the analysis
//! goes on, and the failure is kept to be told at the end (a full disk:
//! `out.csv: cannot write the CSV (…); the analysis went on without it`),
//! or not told at all when the reader of a pipe went away (`| head`).

use crate::model::JudgedFlow;
use std::io::Write;

/// Something finished flows are handed to, judged, in the order they are
/// judged. It cannot fail: an output that can is an [`Output`].
pub trait FlowSink {
    /// One finished flow.
    fn flow(&mut self, j: &JudgedFlow);

    /// Hands on what is buffered: once a second live, and once at the end.
    fn flush(&mut self) {}
}

/// An output not asked for takes nothing.
impl<S: FlowSink> FlowSink for Option<S> {
    fn flow(&mut self, j: &JudgedFlow) {
        if let Some(s) = self {
            s.flow(j);
        }
    }
    fn flush(&mut self) {
        if let Some(s) = self {
            s.flush();
        }
    }
}

/// Both, in order.
impl<A: FlowSink, B: FlowSink> FlowSink for (A, B) {
    fn flow(&mut self, j: &JudgedFlow) {
        self.0.flow(j);
        self.1.flow(j);
    }
    fn flush(&mut self) {
        self.0.flush();
        self.1.flush();
    }
}

/// All three, in order.
impl<A: FlowSink, B: FlowSink, C: FlowSink> FlowSink for (A, B, C) {
    fn flow(&mut self, j: &JudgedFlow) {
        self.0.flow(j);
        self.1.flow(j);
        self.2.flow(j);
    }
    fn flush(&mut self) {
        self.0.flush();
        self.1.flush();
        self.2.flush();
    }
}

/// The text report's counts and the flows it lists.
impl FlowSink for crate::report::text::Summary {
    fn flow(&mut self, j: &JudgedFlow) {
        self.add(j);
    }
}

/// A view that writes flows somewhere, and can fail to.
pub(crate) trait FlowWriter {
    /// Writes one finished flow.
    fn write(&mut self, j: &JudgedFlow) -> std::io::Result<()>;

    /// Writes out what is buffered.
    fn flush(&mut self) -> std::io::Result<()>;
}

impl<W: Write> FlowWriter for crate::report::csv::CsvWriter<W> {
    fn write(&mut self, j: &JudgedFlow) -> std::io::Result<()> {
        crate::report::csv::CsvWriter::write(self, &j.flow, &j.verdict)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        crate::report::csv::CsvWriter::flush(self)
    }
}

/// The JSON document's flows; its end is written by
/// [`crate::report::json::JsonStream::finish`].
impl<W: Write> FlowWriter for crate::report::json::JsonStream<W> {
    fn write(&mut self, j: &JudgedFlow) -> std::io::Result<()> {
        self.flow(j)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The CSV, as every command writes it.
pub(crate) type Csv = crate::report::csv::CsvWriter<Box<dyn Write + Send>>;

/// Where an output goes, as messages name it.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// Standard output.
    Stdout,
    /// Standard error (`live`'s lines when the CSV has standard output).
    Stderr,
    /// A file, by the name it was given (or a description such as "the
    /// bundle's temporary packet file").
    File(String),
}

impl Target {
    /// Standard output or standard error, as a writer that crosses
    /// threads; none for a file (its command opens it).
    pub(crate) fn stream(&self) -> Option<Box<dyn Write + Send>> {
        match self {
            Target::Stdout => Some(Box::new(std::io::stdout())),
            Target::Stderr => Some(Box::new(std::io::stderr())),
            Target::File(_) => None,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Stdout => f.write_str("standard output"),
            Target::Stderr => f.write_str("standard error"),
            Target::File(name) => f.write_str(name),
        }
    }
}

/// Why an [`Output`] stopped.
#[derive(Debug)]
pub(crate) enum Stopped {
    /// The reader of the pipe went away (`asrscope … | head -1`): it has what
    /// it wanted, and nothing is told.
    Closed,
    /// Writing failed (a full disk).
    Failed(std::io::Error),
    /// It could not be opened: why, in one line naming it.
    NotOpened(String),
}

/// An output as a command opened it: a writer that stops at its first
/// failure and keeps it, to be told once at the end.
pub(crate) struct Output<W> {
    writer: Option<W>,
    /// What it holds, for the message ("the CSV", "the capture").
    what: &'static str,
    to: Target,
    stopped: Option<Stopped>,
}

impl<W> Output<W> {
    /// `writer`, holding `what`, writing to `to`.
    pub(crate) fn new(writer: W, what: &'static str, to: Target) -> Self {
        Output {
            writer: Some(writer),
            what,
            to,
            stopped: None,
        }
    }

    /// An output that could not be opened: the analysis goes on without
    /// it, and `why` is told at the end.
    pub(crate) fn not_opened(what: &'static str, to: Target, why: String) -> Self {
        Output {
            writer: None,
            what,
            to,
            stopped: Some(Stopped::NotOpened(why)),
        }
    }

    /// Runs `f` on the writer unless it has stopped; a failure stops it.
    pub(crate) fn with(&mut self, f: impl FnOnce(&mut W) -> std::io::Result<()>) {
        if let Some(w) = self.writer.as_mut()
            && let Err(e) = f(w)
        {
            self.stop(e);
        }
    }

    /// Stops the output on `e`.
    pub(crate) fn stop(&mut self, e: std::io::Error) {
        self.writer = None;
        self.stopped = Some(if e.kind() == std::io::ErrorKind::BrokenPipe {
            Stopped::Closed
        } else {
            Stopped::Failed(e)
        });
    }

    /// The reader of standard output went away while this output wrote to
    /// it.
    pub(crate) fn stdout_closed(&self) -> bool {
        matches!(self.to, Target::Stdout) && matches!(self.stopped, Some(Stopped::Closed))
    }

    /// Its failure as a problem to tell, in the words every command uses:
    /// `out.csv: cannot write the CSV (…); the analysis went on without it`.
    /// None when it did not fail, or when its reader went away.
    pub(crate) fn problem(&self) -> Option<String> {
        match &self.stopped {
            Some(Stopped::Failed(e)) => Some(format!(
                "{}: cannot write {} ({e}); the analysis went on without it",
                self.to, self.what
            )),
            Some(Stopped::NotOpened(why)) => {
                Some(format!("{why}; the analysis went on without it"))
            }
            Some(Stopped::Closed) | None => None,
        }
    }

    /// The writer, unless it stopped, and why it stopped.
    pub(crate) fn into_parts(self) -> (Option<W>, Option<Stopped>) {
        (self.writer, self.stopped)
    }

    /// Takes the writer out, to complete it (a failure then goes to
    /// [`Output::stop`]).
    pub(crate) fn take(&mut self) -> Option<W> {
        self.writer.take()
    }
}

impl<W: FlowWriter> FlowSink for Output<W> {
    fn flow(&mut self, j: &JudgedFlow) {
        self.with(|w| w.write(j));
    }
    fn flush(&mut self) {
        self.with(|w| w.flush());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_output_stops_at_its_first_failure_and_tells_it_once() {
        let mut o = Output::new((), "the CSV", Target::File("out.csv".into()));
        o.with(|_| Ok(()));
        assert!(o.problem().is_none());
        o.with(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device",
            ))
        });
        assert_eq!(
            o.problem().as_deref(),
            Some(
                "out.csv: cannot write the CSV (No space left on device); the analysis went on without it"
            )
        );
        assert!(!o.stdout_closed());
        // It is told once: the writer is gone.
        let mut ran = false;
        o.with(|_| {
            ran = true;
            Ok(())
        });
        assert!(!ran);
        assert!(matches!(o.into_parts(), (None, Some(Stopped::Failed(_)))));
    }

    #[test]
    fn a_closed_pipe_stops_an_output_quietly() {
        let mut o = Output::new((), "the CSV", Target::Stdout);
        o.with(|_| Err(std::io::ErrorKind::BrokenPipe.into()));
        assert!(o.stdout_closed());
        assert!(o.problem().is_none());
        assert!(matches!(&o.stopped, Some(Stopped::Closed)));
        // After it stopped, nothing runs.
        let mut ran = false;
        o.with(|_| {
            ran = true;
            Ok(())
        });
        assert!(!ran);
    }
}
