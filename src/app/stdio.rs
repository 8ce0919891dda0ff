//! Standard output as the commands write their views to it: errors that
//! name it, and a closed pipe (`asrscope … | head`) taken as done.

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
