//! `asrscope analyze`: files → engine → verdicts → diagnosis → the chosen views.
//!
//! When both regions are known, flows are judged and written to the CSV as
//! they finish, so memory follows live flows. When a region must be inferred
//! from the traffic, flows are kept until the end (the inference needs them).

use super::config::{self, Tags};
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::azure::regions::Region;
use crate::capture::{CaptureEnd, ReadSummary, read_capture};
use crate::cli::{AnalyzeArgs, Format};
use crate::decode::{SUPPORTED_LINKTYPES, linktype_name, linktype_supported};
use crate::diagnosis::{self, Diagnoser, Finding, RegionChoice, Severity};
use crate::engine::Engine;
use crate::model::{Analysis, FlowRecord, JudgedFlow, SCHEMA_VERSION};
use crate::names::NameLog;
use crate::report;
use crate::verdict::{self, Context, Thresholds};
use anyhow::Context as _;
use std::io::Write;
use std::process::ExitCode;

/// A capture newer than the service-tag data by more than this many days
/// gets a warning (tags change weekly).
pub const STALE_TAGS_DAYS: i64 = 60;

struct Sink {
    csv: Option<report::csv::CsvWriter<Box<dyn Write>>>,
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
    source: Option<&'a Region>,
    target: Option<&'a Region>,
    th: &'a Thresholds,
    trusted: &'a [String],
    dns: &'a [NameLog],
) -> Context<'a> {
    Context {
        tags: tags.db(),
        source,
        target,
        thresholds: th,
        trusted_issuers: trusted,
        dns,
    }
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
pub fn analyse(args: &AnalyzeArgs, keep_all: bool) -> anyhow::Result<Outcome> {
    let tags = config::load_tags(args.azure.service_tags.as_deref())?;
    let (given_source, given_target) = config::regions(tags.db(), &args.azure)?;
    let th = config::thresholds(&args.judge)?;
    let csv = match &args.csv {
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
    if args.captures.iter().filter(|c| *c == "-").count() > 1 {
        anyhow::bail!("standard input (`-`) can be given only once");
    }
    let streaming = given_source.is_some() && given_target.is_some();
    let mut sink = Sink {
        csv,
        keep_all,
        kept: Vec::new(),
        summary: report::text::Summary::default(),
        diag: Diagnoser::default(),
    };
    let mut pending: Vec<FlowRecord> = Vec::new();
    let mut engine = Engine::default();
    let mut inputs: Vec<ReadSummary> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut sink_err: Option<anyhow::Error> = None;
    for path in &args.captures {
        let mut frames = 0u64;
        let res = read_capture(path, args.filter.as_deref(), &mut |frame| {
            engine.ingest(frame);
            frames += 1;
            // Finished flows leave as the analysis goes.
            if frames.is_multiple_of(4096) && engine.finished_len() >= 1024 {
                let done = engine.take_finished();
                if streaming {
                    let ctx = context(
                        &tags,
                        given_source.as_ref(),
                        given_target.as_ref(),
                        &th,
                        &args.judge.trusted_issuer,
                        engine.dns_logs(),
                    );
                    for r in done {
                        if let Err(e) = sink.judged(r, &ctx) {
                            sink_err.get_or_insert(e);
                        }
                    }
                } else {
                    pending.extend(done);
                }
            }
        });
        if let Some(e) = sink_err.take() {
            return Err(e);
        }
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
    }
    engine.finish();
    pending.extend(engine.take_finished());
    let dns = engine.dns_logs();

    // Regions: given, else inferred from the traffic.
    let (inf_s, inf_t) = if streaming {
        (None, None)
    } else {
        diagnosis::infer_regions(&pending, dns, tags.db())
    };
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
    let source = pick(&given_source, inf_s);
    let target = pick(&given_target, inf_t);
    {
        let ctx = context(
            &tags,
            source.as_ref().map(|r| &r.region),
            target.as_ref().map(|r| &r.region),
            &th,
            &args.judge.trusted_issuer,
            dns,
        );
        pending.sort_by_key(|r| (r.first_seen, r.id));
        for r in pending {
            sink.judged(r, &ctx)?;
        }
    }
    if let Some(w) = sink.csv.as_mut() {
        w.flush()?;
    }
    let stats = engine.stats();
    let mut diagnosis = sink.diag.finish(
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
    ) && let Some(pub_days) = crate::frame::days_from_ymd(published)
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
        captures: t.captures.clone(),
        filter: t.filter.clone(),
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
    let snap = crate::model::Snapshot::from_analysis(&o.analysis, t.captures.join(", "));
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
