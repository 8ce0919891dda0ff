//! The full model as JSON (`schema_version` tells the layout).

use crate::model::Analysis;
use std::io::Write;

/// Writes the analysis as pretty JSON followed by a newline.
pub fn write(out: &mut dyn Write, a: &Analysis) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, a)?;
    writeln!(out)
}
