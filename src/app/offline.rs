//! `asrscope analyze`: files → engine → verdicts → diagnosis → the chosen views.
//!
//! Flows are judged and written to the CSV as they finish, so memory follows
//! live flows. When a region must be inferred from the traffic, the first
//! [`INFER_AFTER`] finished flows are kept until it can be (or to the end of a
//! smaller capture).

use super::config::{self, Tags};
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::azure::regions::Region;
use crate::capture::{CaptureEnd, ReadSummary, read_capture};
use crate::cli::{AnalyzeArgs, Format};
use crate::decode::{SUPPORTED_LINKTYPES, linktype_name, linktype_supported};
use crate::diagnosis::{self, Diagnoser, Finding, RegionChoice, Severity};
use crate::engine::Engine;
use crate::frame::Frame;
use crate::model::{Analysis, FlowRecord, JudgedFlow, SCHEMA_VERSION};
use crate::report;
use crate::verdict::{self, Context, Thresholds};
use anyhow::Context as _;
use std::io::Write;
use std::process::ExitCode;

/// Finished flows kept before the regions not given are inferred; after
/// that, flows are judged and written as they finish, so memory follows live
/// flows.
pub const INFER_AFTER: usize = 2_000;

/// A capture newer than the service-tag data by more than this many days
/// gets a warning (tags change weekly).
pub const STALE_TAGS_DAYS: i64 = 60;

struct Sink {
    csv: Option<report::csv::CsvWriter<Box<dyn Write + Send>>>,
    keep_all: bool,
    kept: Vec<JudgedFlow>,
    summary: report::text::Summary,
    diag: Diagnoser,
}

impl Sink {
    fn judged(&mut self, flow: FlowRecord, ctx: &Context<'_>) -> anyhow::Result<()> {
        let v = verdict::judge(&flow, ctx);
        if let Some(w) = self.csv.as_mut() {
            w.write(&flow, &v)?;
        }
        self.diag.add(&flow, &v);
        let j = JudgedFlow { flow, verdict: v };
        self.summary.add(&j);
        if self.keep_all {
            self.kept.push(j);
        }
        Ok(())
    }
}

fn context<'a>(
    tags: &'a Tags,
    regions: &'a (Option<RegionChoice>, Option<RegionChoice>),
    th: &'a Thresholds,
    trusted: &'a [String],
) -> Context<'a> {
    Context {
        tags: tags.db(),
        source: regions.0.as_ref().map(|r| &r.region),
        target: regions.1.as_ref().map(|r| &r.region),
        thresholds: th,
        trusted_issuers: trusted,
    }
}

/// Frames read ahead by the reader thread, in one buffer.
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    /// (ts_us, linktype, wire_len, end offset in `data`)
    frames: Vec<(i64, u32, u32, usize)>,
}

/// Bytes per batch of frames handed from the reader to the engine.
const BATCH_BYTES: usize = 1 << 20;

/// Source and target regions, once known.
type Regions = (Option<RegionChoice>, Option<RegionChoice>);

/// What the engine thread sends to the judging thread.
enum ToSink {
    /// The regions are known from now on.
    Regions(Box<Regions>),
    /// Finished flows, in order.
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
}

/// Runs the offline analysis and prints the chosen views.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<ExitCode> {
    let o = analyse(args, args.format == Format::Json)?;
    let (analysis, summary, problems) = (o.analysis, o.summary, o.problems);
    let findings = analysis.diagnosis.has_asr_findings();
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
    Ok(ExitCode::from(if !problems.is_empty() {
        EXIT_ERROR
    } else if findings {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }))
}

/// Analyses the captures of `args` (writing the CSV if asked); keeps every
/// flow in the model when `keep_all`.
///
/// Three threads share the work: one reads the files through libpcap into
/// batches, one runs the engine (decoding, flows, parsers: strictly in
/// capture order, so the result is the same as one thread's), and one judges
/// the finished flows and writes the CSV.
pub fn analyse(args: &AnalyzeArgs, keep_all: bool) -> anyhow::Result<Outcome> {
    let tags = config::load_tags(args.azure.service_tags.as_deref())?;
    let (given_source, given_target) = config::regions(tags.db(), &args.azure)?;
    let th = config::thresholds(&args.judge)?;
    let csv = match &args.csv {
        Some(p) if p.as_os_str() == "-" => Some(report::csv::CsvWriter::new(Box::new(
            std::io::stdout(),
        )
            as Box<dyn Write + Send>)?),
        Some(p) => {
            let f = std::fs::File::create(p).with_context(|| {
                format!(
                    "{}: cannot create the CSV file; check the folder exists and is writable",
                    p.display()
                )
            })?;
            Some(report::csv::CsvWriter::new(
                Box::new(std::io::BufWriter::with_capacity(1 << 16, f)) as Box<dyn Write + Send>,
            )?)
        }
        None => None,
    };
    if args.input.captures.iter().filter(|c| *c == "-").count() > 1 {
        anyhow::bail!("standard input (`-`) can be given only once");
    }
    let known = config::known_regions(tags.db());
    let pick = |given: &Option<Region>, inferred: Option<String>| -> Option<RegionChoice> {
        match given {
            Some(r) => Some(RegionChoice {
                region: r.clone(),
                how: "given",
            }),
            None => inferred
                .and_then(|id| known.iter().find(|r| r.id == id).cloned())
                .map(|region| RegionChoice {
                    region,
                    how: "inferred from the traffic",
                }),
        }
    };
    let trusted = args.judge.trusted_issuer.clone();
    let mut engine = Engine::default();
    let mut inputs: Vec<ReadSummary> = Vec::new();
    let mut problems: Vec<String> = Vec::new();

    let (sink, regions) = std::thread::scope(|sc| -> anyhow::Result<(Sink, Regions)> {
        // The judging thread.
        let (to_sink, from_engine) = std::sync::mpsc::sync_channel::<ToSink>(4);
        let (tags_ref, th_ref, trusted_ref) = (&tags, &th, &trusted);
        let judge = sc.spawn(move || -> anyhow::Result<(Sink, Regions)> {
            let mut sink = Sink {
                csv,
                keep_all,
                kept: Vec::new(),
                summary: report::text::Summary::default(),
                diag: Diagnoser::default(),
            };
            let mut regions = (None, None);
            for msg in from_engine {
                match msg {
                    ToSink::Regions(r) => regions = *r,
                    ToSink::Flows(v) => {
                        let ctx = context(tags_ref, &regions, th_ref, trusted_ref);
                        for f in v {
                            sink.judged(f, &ctx)?;
                        }
                    }
                }
            }
            if let Some(w) = sink.csv.as_mut() {
                w.flush()?;
            }
            Ok((sink, regions))
        });

        // Regions, once known: given, or inferred from the first flows.
        let mut fixed = given_source.is_some() && given_target.is_some();
        if fixed {
            let r = (pick(&given_source, None), pick(&given_target, None));
            let _ = to_sink.send(ToSink::Regions(Box::new(r)));
        }
        let mut pending: Vec<FlowRecord> = Vec::new();
        let send_finished =
            |engine: &mut Engine, pending: &mut Vec<FlowRecord>, fixed: &mut bool, last: bool| {
                pending.extend(engine.take_finished());
                if !*fixed {
                    if pending.len() < INFER_AFTER && !last {
                        return;
                    }
                    let (s, t) = diagnosis::infer_regions(pending, engine.dns_logs(), tags.db());
                    let r = (pick(&given_source, s), pick(&given_target, t));
                    let _ = to_sink.send(ToSink::Regions(Box::new(r)));
                    *fixed = true;
                }
                if !pending.is_empty() {
                    let v = crate::model::sort_flows(std::mem::take(pending));
                    let _ = to_sink.send(ToSink::Flows(v));
                }
            };

        for path in &args.input.captures {
            // The reading thread: libpcap (and the BPF filter) into batches.
            // Used batches come back to be filled again, so their memory is
            // allocated once.
            let (to_engine, batches) = std::sync::mpsc::sync_channel::<Batch>(4);
            let (recycle, reuse) = std::sync::mpsc::channel::<Batch>();
            let filter = args.input.filter.as_deref();
            let reader = sc.spawn(move || {
                let fresh = || Batch {
                    data: Vec::with_capacity(BATCH_BYTES + 65_536),
                    frames: Vec::with_capacity(4096),
                };
                let mut b = fresh();
                let res = read_capture(path, filter, &mut |f| {
                    b.data.extend_from_slice(f.data);
                    b.frames
                        .push((f.ts_us, f.linktype, f.wire_len, b.data.len()));
                    if b.data.len() >= BATCH_BYTES {
                        let mut next = reuse.try_recv().unwrap_or_else(|_| fresh());
                        next.data.clear();
                        next.frames.clear();
                        let _ = to_engine.send(std::mem::replace(&mut b, next));
                    }
                });
                if !b.frames.is_empty() {
                    let _ = to_engine.send(b);
                }
                res
            });
            let mut since_drain = 0usize;
            for b in batches {
                let mut start = 0;
                for &(ts_us, linktype, wire_len, end) in &b.frames {
                    engine.ingest(&Frame {
                        ts_us,
                        linktype,
                        wire_len,
                        data: &b.data[start..end],
                    });
                    start = end;
                }
                since_drain += b.frames.len();
                let _ = recycle.send(b);
                // Finished flows leave as the analysis goes.
                if since_drain >= 4096 && engine.finished_len() >= 1024 {
                    since_drain = 0;
                    send_finished(&mut engine, &mut pending, &mut fixed, false);
                }
            }
            let res = reader
                .join()
                .map_err(|_| anyhow::anyhow!("{path}: the reading thread stopped unexpectedly"))?;
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
                    if !summary.linktypes.is_empty() && unsupported.len() == summary.linktypes.len()
                    {
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
        }
        engine.finish();
        send_finished(&mut engine, &mut pending, &mut fixed, true);
        drop(to_sink);
        judge
            .join()
            .map_err(|_| anyhow::anyhow!("the judging thread stopped unexpectedly"))?
    })?;

    let dns = engine.dns_logs();
    let (source, target) = regions;
    let stats = engine.stats();
    let mut diagnosis = sink.diag.clone().finish(
        dns,
        tags.db(),
        &tags.origin(),
        source,
        target,
        args.judge.capture_point,
        &th,
    );
    if let (Some(first), Some(published)) = (
        stats.first_seen,
        diagnosis.service_tags.published.as_deref(),
    ) && let Some(pub_days) = crate::dates::days_from_ymd(published)
    {
        let age = first.div_euclid(86_400_000_000) - pub_days;
        if age > STALE_TAGS_DAYS {
            diagnosis.findings.push(Finding {
                severity: Severity::Warning,
                asr: false,
                title: format!("the service-tag data is {age} days older than the capture"),
                endpoint: None,
                error_codes: vec![],
                evidence: vec![format!(
                    "service tags published {published} (changeNumber {}); tags change weekly",
                    diagnosis.service_tags.change_number
                )],
                fix: vec!["download the current ServiceTags_Public_*.json (or `az network list-service-tags --location <region>`) and pass it with --service-tags FILE".into()],
            });
        }
    }
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
    })
}

/// `asrscope tui`: the offline analysis, browsed in the terminal UI.
pub fn tui(t: &crate::cli::TuiArgs) -> anyhow::Result<ExitCode> {
    let args = AnalyzeArgs {
        input: t.input.clone(),
        csv: None,
        format: Format::Text,
        azure: t.azure.clone(),
        judge: t.judge.clone(),
    };
    let o = analyse(&args, true)?;
    for p in &o.problems {
        eprintln!("asrscope: {}", crate::report::sanitize::for_terminal(p));
    }
    if o.analysis.inputs.is_empty() {
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    let snap = crate::model::Snapshot::from_analysis(&o.analysis, t.input.captures.join(", "));
    let (tx, rx) = std::sync::mpsc::channel();
    tx.send(std::sync::Arc::new(snap))?;
    drop(tx);
    crate::tui::run(rx, false)?;
    Ok(ExitCode::from(if o.problems.is_empty() {
        EXIT_OK
    } else {
        EXIT_ERROR
    }))
}
