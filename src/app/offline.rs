//! `asrscope analyze`: files → engine → verdicts → diagnosis → the chosen views.
//!
//! Flows are judged and written to the CSV as they finish, so memory follows
//! live flows. When a region must be inferred from the traffic, the first
//! [`INFER_AFTER`] finished flows are kept until it can be (or to the end of a
//! smaller capture).

use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use super::{config, outputs};
use crate::analysis::Engine;
use crate::azure::tags::TagDb;
use crate::capture::{Chunk, read_chunks};
use crate::cli::{AnalyzeArgs, Format};
use crate::decode::{SUPPORTED_LINKTYPES, linktype_name, linktype_supported};
use crate::diagnosis::Judge;
use crate::diagnosis::regions::{self, Given, Regions};
use crate::model::{Analysis, CaptureEnd, FlowRecord, JudgedFlow, ReadSummary, SCHEMA_VERSION};
use crate::report;
use anyhow::Context as _;
use std::io::Write;
use std::process::ExitCode;

/// Finished flows kept before the regions not given are inferred; after
/// that, flows are judged and written as they finish, so memory follows live
/// flows.
pub const INFER_AFTER: usize = 2_000;
/// Finished flows handed to the judging thread in one list.
const HANDOVER: usize = 256;
/// Lists of finished flows waiting for the judging thread at most: with
/// [`HANDOVER`], this bounds the records in flight.
const LISTS_QUEUED: usize = 2;
/// Chunks of the capture read ahead of the engine at most (each
/// [`crate::capture::file::CHUNK`] bytes). The reader shares a core with the
/// judging thread: what is queued must cover the time the scheduler gives
/// the judge before the reader runs again (fewer or smaller chunks made
/// the analysis of the handshakes benchmark up to 20% slower).
const CHUNKS_QUEUED: usize = 2;

struct Sink<'s> {
    judge: Judge,
    /// A bundle's selection: the Site Recovery flows are added to it.
    select: Option<&'s mut crate::bundle::Selection>,
    csv: Option<Csv>,
    /// `--csv`'s path, for messages.
    csv_path: String,
    /// The CSV could not be written (a full disk): the analysis goes on.
    csv_failure: Option<String>,
    keep_all: bool,
    kept: Vec<JudgedFlow>,
    /// With `keep_all`: the most flows kept (the terminal UI's list), from
    /// the memory budget; Site Recovery flows first, others up to a
    /// quarter of it.
    keep_at_most: usize,
    /// Flows of each kind kept: Site Recovery, others.
    kept_counts: (usize, usize),
    /// `--format json`: flows written as they end.
    json: Option<report::json::JsonStream<Box<dyn Write + Send>>>,
    /// Writing the JSON failed: the error, the rest is not written.
    json_failure: Option<anyhow::Error>,
    summary: report::text::Summary,
}

type Csv = report::csv::CsvWriter<Box<dyn Write + Send>>;

impl Sink<'_> {
    /// The CSV could not be written: a closed standard output (`--csv - |
    /// head`) ends it quietly, anything else is a problem to report.
    fn csv_failed(&mut self, e: anyhow::Error) {
        if !super::broken_pipe(&e) {
            let on = if self.csv_path == "-" {
                "standard output".to_string()
            } else {
                self.csv_path.clone()
            };
            self.csv_failure = Some(format!(
                "{on}: cannot write the CSV ({e}); the analysis went on without it"
            ));
        }
        self.csv = None;
    }

    /// Judges a batch of finished flows; the batch is left empty, to be
    /// handed back to the engine.
    fn flows(&mut self, tags: &TagDb, flows: &mut Vec<FlowRecord>) -> anyhow::Result<()> {
        // In order of first packet (on this thread: the engine's has more to do).
        crate::model::sort_flows_in_place(flows);
        for flow in flows.drain(..) {
            let j = self.judge.finished(tags, flow);
            let asr = j.verdict.endpoint.is_some();
            if let Some(s) = self.select.as_mut() {
                if !asr {
                    // A support bundle's reports hold the Site Recovery
                    // flows only; the others are counted.
                    self.summary.count(&j);
                    continue;
                }
                s.add(&j.flow);
            }
            if let Some(w) = self.csv.as_mut()
                && let Err(e) = w.write(&j.flow, &j.verdict)
            {
                self.csv_failed(e.into());
            }
            self.summary.add(&j);
            if let Some(s) = self.json.as_mut()
                && let Err(e) = s.flow(&j)
            {
                self.json = None;
                self.json_failure = Some(e.into());
            }
            if self.keep_all
                && room(
                    &mut self.kept_counts,
                    self.keep_at_most,
                    j.verdict.endpoint.is_some(),
                )
            {
                self.kept.push(j);
            }
        }
        Ok(())
    }
}

/// What the engine thread sends to the judging thread.
enum ToSink {
    /// The regions are known from now on.
    Regions(Box<Regions>),
    /// Finished flows (put in order by the judging thread).
    Flows(Vec<FlowRecord>),
}

/// What an offline analysis produced.
pub struct Outcome {
    /// The model.
    pub analysis: Analysis,
    /// Counts and the flows that matter, for the text report.
    pub summary: report::text::Summary,
    /// One line per input problem (damaged or unreadable files).
    pub problems: Vec<String>,
    /// The JSON stream, to finish with the summary.
    pub json: Option<report::json::JsonStream<Box<dyn Write + Send>>>,
    /// Writing the JSON failed.
    pub json_failure: Option<anyhow::Error>,
}

/// Runs the offline analysis and prints the chosen views.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    if let Some(csv) = &args.csv {
        let inputs = outputs::analysis_inputs(&args.input.captures, &args.azure, &args.judge);
        outputs::check(
            &inputs,
            &[outputs::Named {
                what: "--csv",
                path: csv,
            }],
        )?;
    }
    let csv_on_stdout = args.csv.as_ref().is_some_and(|p| p.as_os_str() == "-");
    if csv_on_stdout && args.format == Format::Json {
        anyhow::bail!(
            "--csv - and --format json would both write to standard output: write the CSV to a file (--csv flows.csv), or leave out one of them"
        );
    }
    let json = (args.format == Format::Json).then(|| {
        report::json::JsonStream::new(Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            super::StdoutSend(std::io::stdout()),
        )) as Box<dyn Write + Send>)
    });
    let o = analyse(args, false, json)?;
    let (analysis, summary, problems) = (o.analysis, o.summary, o.problems);
    let findings = analysis.diagnosis.has_asr_findings();
    let written = (|| -> anyhow::Result<()> {
        if let Some(e) = o.json_failure {
            return Err(e);
        }
        let mut out = super::stdout();
        if !analysis.inputs.is_empty() {
            match args.format {
                Format::Json => {
                    if let Some(s) = o.json {
                        s.finish(
                            &analysis.inputs,
                            &analysis.capture,
                            &analysis.diagnosis,
                            &analysis.dns,
                        )?;
                    }
                }
                Format::Text if !csv_on_stdout => {
                    report::text::write(&mut out, &analysis, &summary)?
                }
                // Standard output carries the CSV alone: the report goes to
                // standard error.
                Format::Text => {
                    report::text::write(&mut std::io::stderr().lock(), &analysis, &summary)?
                }
            }
        }
        out.flush()?;
        Ok(())
    })();
    // A reader that left early (`| head -1`) changes nothing to the status:
    // the analysis is complete, and its findings are what it says.
    super::unless_closed(written)?;
    for p in &problems {
        eprintln!("asrscope: {}", crate::sanitize::for_terminal(p));
    }
    Ok(ExitCode::from(if !problems.is_empty() {
        EXIT_ERROR
    } else if findings {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }))
}

/// Opens `--csv FILE` (`-` for standard output).
fn open_csv(path: Option<&std::path::Path>) -> anyhow::Result<Option<Csv>> {
    let out: Box<dyn Write + Send> = match path {
        None => return Ok(None),
        Some(p) if p.as_os_str() == "-" => Box::new(std::io::stdout()),
        Some(p) => {
            let f = std::fs::File::create(p).with_context(|| {
                format!(
                    "{}: cannot create the CSV file; check that the folder exists and is writable",
                    crate::sanitize::for_terminal(&p.display().to_string())
                )
            })?;
            Box::new(std::io::BufWriter::with_capacity(1 << 16, f))
        }
    };
    Ok(Some(report::csv::CsvWriter::new(out)?))
}

/// Reads one capture (with the BPF filter) chunk by chunk, sending each to
/// `to_engine` as it was read: frames are not copied. Used chunks come back
/// through `reuse`, so their memory is allocated once.
fn read_batches(
    path: &std::path::Path,
    filter: Option<&str>,
    to_engine: std::sync::mpsc::SyncSender<Chunk>,
    reuse: std::sync::mpsc::Receiver<Chunk>,
) -> Result<ReadSummary, crate::capture::CaptureError> {
    read_chunks(path, filter, &mut || reuse.try_recv().ok(), &mut |c| {
        let _ = to_engine.send(c);
    })
}

/// What a user must hear about how a capture was read: damage, or a link
/// type asrscope cannot decode.
fn input_problems(path: &str, summary: &ReadSummary) -> Vec<String> {
    let mut problems = Vec::new();
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
    problems
}

/// The engine's side of the hand-over to the judging thread: finished flows
/// are held until the regions not given can be inferred (the first
/// [`INFER_AFTER`] flows, or all of a smaller capture), then sent in order.
struct Handover<'a> {
    to_sink: std::sync::mpsc::SyncSender<ToSink>,
    /// Lists the judging thread has emptied, for the next batches.
    spares: std::sync::mpsc::Receiver<Vec<FlowRecord>>,
    pending: Vec<FlowRecord>,
    regions_fixed: bool,
    given: &'a Given,
    tags: &'a TagDb,
}

impl Handover<'_> {
    fn send(&mut self, engine: &mut Engine, last: bool) {
        let spare = self.spares.try_recv().unwrap_or_default();
        let batch = engine.swap_finished(spare);
        if self.regions_fixed && self.pending.is_empty() {
            // Straight to the judge, which puts them in order.
            if !batch.is_empty() {
                let _ = self.to_sink.send(ToSink::Flows(batch));
            }
            return;
        }
        if self.pending.capacity() == 0 {
            self.pending.reserve_exact(INFER_AFTER + HANDOVER);
        }
        self.pending.extend(batch);
        if !self.regions_fixed {
            if self.pending.len() < INFER_AFTER && !last {
                return;
            }
            let r =
                regions::infer_and_choose(self.given, &self.pending, engine.dns_logs(), self.tags);
            let _ = self.to_sink.send(ToSink::Regions(Box::new(r)));
            self.regions_fixed = true;
        }
        if !self.pending.is_empty() {
            let v = crate::model::sort_flows(std::mem::take(&mut self.pending));
            let _ = self.to_sink.send(ToSink::Flows(v));
        }
    }
}

/// Bytes a flow kept for the terminal UI's list costs, about (the judged
/// record and its strings).
const KEPT_FLOW_COST: u64 = 2048;

/// The most flows kept for the terminal UI's list: a quarter of the memory
/// budget (at least 1,000).
fn keep_at_most(max_memory: u64) -> usize {
    usize::try_from(max_memory / 4 / KEPT_FLOW_COST)
        .unwrap_or(usize::MAX)
        .max(1_000)
}

/// Whether one more flow is kept, given those kept so far (Site Recovery,
/// others): Site Recovery flows up to `at_most` in all, others up to a
/// quarter of it.
fn room(kept: &mut (usize, usize), at_most: usize, site_recovery: bool) -> bool {
    let (asr, other) = kept;
    if *asr + *other >= at_most || (!site_recovery && *other >= at_most / 4) {
        return false;
    }
    if site_recovery {
        *asr += 1;
    } else {
        *other += 1;
    }
    true
}

/// Analyses the captures of `args` (writing the CSV if asked); keeps the
/// flows in the model when `keep_all` (within the memory budget: Site
/// Recovery flows first; the capture statistics count them all).
///
/// Three threads share the work: one reads the files in chunks, one runs the
/// engine (decoding, flows, parsers: strictly in capture order, so the
/// result is the same as one thread's), and one judges the finished flows
/// and writes the CSV.
pub fn analyse(
    args: &AnalyzeArgs,
    keep_all: bool,
    json: Option<report::json::JsonStream<Box<dyn Write + Send>>>,
) -> anyhow::Result<Outcome> {
    analyse_selecting(args, keep_all, json, None)
}

/// [`analyse`], adding each Site Recovery flow to `select` (a bundle's).
pub fn analyse_selecting(
    args: &AnalyzeArgs,
    keep_all: bool,
    json: Option<report::json::JsonStream<Box<dyn Write + Send>>>,
    select: Option<&mut crate::bundle::Selection>,
) -> anyhow::Result<Outcome> {
    let tags = config::load_tags(args.azure.service_tags.as_deref())?;
    let settings = config::settings(&tags, &args.azure, &args.judge)?;
    if args.input.captures.iter().filter(|c| *c == "-").count() > 1 {
        anyhow::bail!("standard input (`-`) can be given only once");
    }
    // A CSV that cannot be created is reported with the analysis, which
    // goes on without it.
    let (csv, csv_open_failure) = match open_csv(args.csv.as_deref()) {
        Ok(c) => (c, None),
        Err(e) => (
            None,
            Some(format!("{e:#}; the analysis went on without it")),
        ),
    };
    let db = tags.db();
    let given = settings.given.clone();
    let mut sink = Sink {
        judge: Judge::new(settings, db),
        select,
        csv,
        csv_path: args
            .csv
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        csv_failure: csv_open_failure,
        keep_all,
        kept: Vec::new(),
        keep_at_most: keep_at_most(args.input.engine.max_memory),
        kept_counts: (0, 0),
        json,
        json_failure: None,
        summary: report::text::Summary::default(),
    };
    let mut engine = Engine::new(config::engine(&args.input.engine)?);
    let mut inputs: Vec<ReadSummary> = Vec::new();
    let mut problems: Vec<String> = Vec::new();

    std::thread::scope(|sc| -> anyhow::Result<()> {
        // The judging thread.
        let (to_sink, from_engine) = std::sync::mpsc::sync_channel::<ToSink>(LISTS_QUEUED);
        let (give_back, spares) = std::sync::mpsc::channel::<Vec<FlowRecord>>();
        let sink = &mut sink;
        let judging = sc.spawn(move || -> anyhow::Result<()> {
            for msg in from_engine {
                match msg {
                    ToSink::Regions(r) => sink.judge.set_regions(*r),
                    ToSink::Flows(mut v) => {
                        sink.flows(db, &mut v)?;
                        // A list larger than the engine's (the one the
                        // regions waited for) is not kept.
                        if v.capacity() <= 2 * HANDOVER {
                            let _ = give_back.send(v);
                        }
                    }
                }
            }
            if let Some(w) = sink.csv.as_mut()
                && let Err(e) = w.flush()
            {
                sink.csv_failed(e.into());
            }
            Ok(())
        });
        let mut handover = Handover {
            to_sink,
            spares,
            pending: Vec::new(),
            regions_fixed: given.0.is_some() && given.1.is_some(),
            given: &given,
            tags: db,
        };
        for path in &args.input.captures {
            let (to_engine, batches) = std::sync::mpsc::sync_channel::<Chunk>(CHUNKS_QUEUED);
            let (recycle, reuse) = std::sync::mpsc::channel::<Chunk>();
            let filter = args.input.filter.as_deref();
            let shown = crate::sanitize::for_terminal(&path.to_string_lossy());
            let reader = sc.spawn(move || read_batches(path, filter, to_engine, reuse));
            for b in batches {
                for f in b.frames() {
                    engine.ingest(&f);
                    // Finished flows leave as the analysis goes, in lists
                    // of a fixed size.
                    if engine.finished_len() >= HANDOVER {
                        handover.send(&mut engine, false);
                    }
                }
                let _ = recycle.send(b);
            }
            let res = reader
                .join()
                .map_err(|_| anyhow::anyhow!("{shown}: the reading thread stopped unexpectedly"))?;
            match res {
                Ok(summary) => {
                    problems.extend(input_problems(&shown, &summary));
                    inputs.push(summary);
                }
                Err(e) => problems.push(e.to_string()),
            }
        }
        engine.finish_with(|e| handover.send(e, false));
        handover.send(&mut engine, true);
        drop(handover);
        judging
            .join()
            .map_err(|_| anyhow::anyhow!("the judging thread stopped unexpectedly"))?
    })?;

    problems.extend(sink.csv_failure.take());
    let dns = engine.dns_logs();
    let mut stats = engine.stats();
    stats.support_bundle = inputs.iter().any(|i| {
        i.application
            .as_deref()
            .is_some_and(|a| a.ends_with(crate::model::BUNDLE_APPLICATION))
    });
    let diagnosis = sink.judge.diagnosis(db, dns, &stats, &[]);
    let mut flows = sink.kept;
    flows.sort_by_key(|j| (j.flow.first_seen, j.flow.id));
    let analysis = Analysis {
        schema_version: SCHEMA_VERSION,
        inputs,
        capture: stats,
        diagnosis,
        dns: dns.to_vec(),
        flows,
    };
    Ok(Outcome {
        analysis,
        summary: sink.summary,
        problems,
        json: sink.json,
        json_failure: sink.json_failure,
    })
}

/// `asrscope tui`: the offline analysis, browsed in the terminal UI.
pub fn tui(t: &crate::cli::TuiArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    // Standard input may carry the capture (`-`); keys then come from the
    // controlling terminal. Standard output must be the screen.
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal on standard output: run it in one, or use `asrscope analyze` for a report"
        );
    }
    let args = AnalyzeArgs {
        input: t.input.clone(),
        csv: None,
        format: Format::Text,
        azure: t.azure.clone(),
        judge: t.judge.clone(),
    };
    let o = analyse(&args, true, None)?;
    for p in &o.problems {
        eprintln!("asrscope: {}", crate::sanitize::for_terminal(p));
    }
    if o.analysis.inputs.is_empty() {
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    let snap = crate::model::Snapshot::from_analysis(
        &o.analysis,
        t.input
            .captures
            .iter()
            .map(|c| crate::sanitize::for_terminal(&c.to_string_lossy()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let (tx, rx) = std::sync::mpsc::channel();
    tx.send(std::sync::Arc::new(snap))?;
    drop(tx);
    // The export key's support bundle: the same captures and options.
    let command_line: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let bundler = |path: &std::path::Path| {
        let req = super::bundle::Request {
            input: &t.input,
            azure: &t.azure,
            judge: &t.judge,
            output: path,
            command_line: command_line.clone(),
        };
        match super::bundle::write(&req) {
            Ok(w) => super::bundle::summary_line(path, &w),
            Err(e) => crate::sanitize::for_terminal(&format!("{e:#}")),
        }
    };
    crate::tui::run_with(
        rx,
        false,
        &std::sync::atomic::AtomicBool::new(false),
        Some(&bundler),
    )?;
    Ok(ExitCode::from(if o.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }))
}

#[cfg(test)]
mod tests {
    use super::{keep_at_most, room};

    /// The terminal UI's list follows the memory budget, Site Recovery
    /// flows first.
    #[test]
    fn the_list_kept_follows_the_budget() {
        assert_eq!(keep_at_most(512 << 20), 65_536);
        assert_eq!(keep_at_most(64 << 20), 8_192);
        assert_eq!(keep_at_most(1 << 20), 1_000);
        let mut kept = (0, 0);
        // A flood of other flows takes a quarter of the room.
        let others = (0..10_000)
            .filter(|_| room(&mut kept, 1_000, false))
            .count();
        assert_eq!(others, 250);
        // Site Recovery flows still find the rest.
        let asr = (0..10_000).filter(|_| room(&mut kept, 1_000, true)).count();
        assert_eq!(asr, 750);
        assert!(!room(&mut kept, 1_000, true));
        assert!(!room(&mut kept, 1_000, false));
    }
}
