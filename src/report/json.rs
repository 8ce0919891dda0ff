//! The full model as JSON (`schema_version` tells the layout).
//!
//! `analyze --format json` streams it: each flow is written as it ends, one
//! compact object per line, and the summary (`inputs`, `capture`,
//! `diagnosis`, `dns`) after the last, so that memory follows the live flows
//! and not the capture. The document is one JSON object whatever the order of
//! its keys; flows come in the order they ended.

use crate::model::{CaptureStats, Diagnosis, JudgedFlow, NameLog, ReadSummary};
use serde::Serialize;
use std::io::Write;

/// The JSON document written a flow at a time.
pub(crate) struct JsonStream<W: Write> {
    w: W,
    started: bool,
    flows: u64,
}

impl<W: Write> JsonStream<W> {
    /// A stream that writes nothing until the first flow or the end.
    pub(crate) fn new(w: W) -> Self {
        JsonStream {
            w,
            started: false,
            flows: 0,
        }
    }

    fn start(&mut self) -> std::io::Result<()> {
        if !self.started {
            self.started = true;
            write!(
                self.w,
                "{{\n  \"schema_version\": {},\n  \"flows\": [",
                crate::model::SCHEMA_VERSION
            )?;
        }
        Ok(())
    }

    /// Writes one finished flow.
    pub(crate) fn flow(&mut self, j: &JudgedFlow) -> std::io::Result<()> {
        self.start()?;
        self.w.write_all(if self.flows == 0 {
            b"\n    "
        } else {
            b",\n    "
        })?;
        serde_json::to_writer(&mut self.w, j)?;
        self.flows += 1;
        Ok(())
    }

    /// Writes the summary after the flows and ends the document.
    pub(crate) fn finish(
        mut self,
        inputs: &[ReadSummary],
        capture: &CaptureStats,
        diagnosis: &Diagnosis,
        dns: &[NameLog],
    ) -> std::io::Result<W> {
        self.start()?;
        self.w
            .write_all(if self.flows == 0 { b"]" } else { b"\n  ]" })?;
        field(&mut self.w, "inputs", inputs)?;
        field(&mut self.w, "capture", capture)?;
        field(&mut self.w, "diagnosis", diagnosis)?;
        field(&mut self.w, "dns", dns)?;
        self.w.write_all(b"\n}\n")?;
        self.w.flush()?;
        Ok(self.w)
    }
}

/// `,\n  "name": <value, pretty, indented by two>`.
fn field<T: Serialize + ?Sized>(w: &mut impl Write, name: &str, v: &T) -> std::io::Result<()> {
    let text = serde_json::to_string_pretty(v)?;
    write!(w, ",\n  \"{name}\": ")?;
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            w.write_all(b"\n  ")?;
        }
        w.write_all(line.as_bytes())?;
    }
    Ok(())
}
