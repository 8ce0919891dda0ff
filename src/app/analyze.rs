//! `asrscope analyze`: the offline pipeline into the CSV, the JSON document
//! and the text report's summary; then the report.

use super::ending::Ending;
use super::offline::{Job, Sources};
use super::outputs;
use super::sink::{Output, Stopped, Target};
use crate::cli::{AnalyzeArgs, Format};
use crate::model::Analysis;
use crate::report::{self, json::JsonStream};
use std::io::Write;
use std::process::ExitCode;

/// The JSON document, streamed to standard output.
type Json = JsonStream<Box<dyn Write + Send>>;

/// Runs the offline analysis and writes the chosen views.
pub(crate) fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    if let Some(csv) = &args.csv {
        let inputs = outputs::analysis_inputs(&args.input.captures, &args.azure, &args.judge);
        let csv = outputs::Named {
            what: "--csv",
            path: csv,
        };
        outputs::check(&inputs, &[csv])?;
    }
    outputs::one_document(args.csv.as_deref(), args.format)?;
    let job = Job::new(Sources::from(args))?;
    // A CSV that cannot be created is told with the analysis's problems,
    // and the analysis goes on without it.
    let csv = args.csv.as_deref().map(outputs::csv_going_on);
    let json = (args.format == Format::Json).then(|| {
        let out = std::io::BufWriter::with_capacity(1 << 16, super::StdoutSend(std::io::stdout()));
        Output::new(
            JsonStream::new(Box::new(out) as Box<dyn Write + Send>),
            "the JSON report",
            Target::Stdout,
        )
    });
    let mut sink = (csv, json, report::text::Summary::default());
    let analysed = job.run(&mut sink)?;
    let (csv, json, summary) = sink;
    let mut ending = Ending::new();
    ending.problems(analysed.problems);
    ending.output(csv.as_ref());
    let analysis = analysed.analysis;
    ending.found(analysis.diagnosis.has_asr_findings());
    // A reader that left early (`| head -1`) changes nothing to the status:
    // the analysis is complete, and its findings are what it says.
    super::unless_closed(report(args, json, &analysis, &summary))?;
    Ok(ending.exit())
}

/// Writes the report in the format asked for: the end of the JSON document
/// (its flows are written), or the text report, on standard error when the
/// CSV has standard output. Nothing when no capture could be read.
fn report(
    args: &AnalyzeArgs,
    json: Option<Output<Json>>,
    a: &Analysis,
    summary: &report::text::Summary,
) -> anyhow::Result<()> {
    let (stream, stopped) = json.map(Output::into_parts).unwrap_or_default();
    if let Some(Stopped::Failed(e)) = stopped {
        // The report itself could not be written: that is the error.
        return Err(e.into());
    }
    if a.inputs.is_empty() {
        return Ok(());
    }
    match stream {
        Some(stream) => {
            stream.finish(&a.inputs, &a.capture, &a.diagnosis, &a.dns)?;
        }
        None if args.format == Format::Json => {}
        None => {
            let mut out = outputs::report_out(args.csv.as_deref());
            report::text::write(&mut out, a, summary)?;
            out.flush()?;
        }
    }
    Ok(())
}
