//! `asrscope analyze`: files → engine → model → the chosen views.

use super::{EXIT_ERROR, EXIT_OK};
use crate::capture::{CaptureEnd, ReadSummary, read_capture};
use crate::cli::{AnalyzeArgs, Format};
use crate::decode::{SUPPORTED_LINKTYPES, linktype_name, linktype_supported};
use crate::engine::Engine;
use crate::model::{Analysis, SCHEMA_VERSION};
use crate::report;
use anyhow::Context;
use std::io::Write;
use std::process::ExitCode;

/// Runs the offline analysis.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let mut csv_out: Option<report::csv::CsvWriter<Box<dyn Write>>> = match &args.csv {
        Some(p) if p.as_os_str() == "-" => Some(report::csv::CsvWriter::new(Box::new(
            std::io::stdout(),
        )
            as Box<dyn Write>)?),
        Some(p) => {
            let f = std::fs::File::create(p).with_context(|| {
                format!(
                    "{}: cannot create the CSV file; check the folder exists and is writable",
                    p.display()
                )
            })?;
            Some(report::csv::CsvWriter::new(
                Box::new(std::io::BufWriter::new(f)) as Box<dyn Write>,
            )?)
        }
        None => None,
    };
    // JSON holds every flow; the text summary needs counts and a few flows only,
    // so that with --csv memory follows live flows, not all flows.
    let keep_flows = args.format == Format::Json;
    let mut summary = report::text::Summary::default();
    let mut engine = Engine::default();
    let mut inputs: Vec<ReadSummary> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut flows = Vec::new();
    let stdin_count = args.captures.iter().filter(|c| *c == "-").count();
    if stdin_count > 1 {
        anyhow::bail!("standard input (`-`) can be given only once");
    }
    for path in &args.captures {
        let res = read_capture(path, args.filter.as_deref(), &mut |frame| {
            engine.ingest(frame)
        });
        match res {
            Ok(summary) => {
                if let CaptureEnd::Damaged {
                    after_frame,
                    message,
                } = &summary.end
                {
                    problems.push(format!(
                        "{path}: stopped after frame {after_frame}: {message}; the frames before it were analysed (the file is damaged or was cut short)"
                    ));
                }
                let unsupported: Vec<String> = summary
                    .linktypes
                    .iter()
                    .filter(|l| !linktype_supported(**l))
                    .map(|l| linktype_name(*l))
                    .collect();
                if !summary.linktypes.is_empty() && unsupported.len() == summary.linktypes.len() {
                    let names: Vec<String> = SUPPORTED_LINKTYPES
                        .iter()
                        .map(|(v, n)| format!("{v} {n}"))
                        .collect();
                    problems.push(format!(
                        "{path}: link type {} is not supported; capture on an interface of a supported type ({}) or convert the file",
                        unsupported.join(", "),
                        names.join(", ")
                    ));
                }
                inputs.push(summary);
            }
            Err(e) => problems.push(e.to_string()),
        }
        // Flows finished while reading go out now, so memory follows live flows.
        for r in engine.take_finished() {
            if let Some(w) = csv_out.as_mut() {
                w.write(&r)?;
            }
            summary.add(&r);
            if keep_flows {
                flows.push(r);
            }
        }
    }
    engine.finish();
    for r in engine.take_finished() {
        if let Some(w) = csv_out.as_mut() {
            w.write(&r)?;
        }
        summary.add(&r);
        if keep_flows {
            flows.push(r);
        }
    }
    if let Some(w) = csv_out.as_mut() {
        w.flush()?;
    }
    flows.sort_by_key(|r| (r.first_seen, r.id));
    let analysis = Analysis {
        schema_version: SCHEMA_VERSION,
        inputs,
        capture: engine.stats(),
        dns: engine.dns_logs().to_vec(),
        flows,
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let csv_on_stdout = args.csv.as_ref().is_some_and(|p| p.as_os_str() == "-");
    if !analysis.inputs.is_empty() {
        match args.format {
            Format::Json => report::json::write(&mut out, &analysis)?,
            Format::Text if !csv_on_stdout => report::text::write(&mut out, &analysis, &summary)?,
            Format::Text => {}
        }
    }
    out.flush()?;
    for p in &problems {
        eprintln!("asrscope: {}", crate::report::sanitize::for_terminal(p));
    }
    Ok(ExitCode::from(if problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }))
}
