//! The offline pipeline `analyze`, `bundle` and `tui` share: files → engine
//! → verdicts → a [`FlowSink`] → the diagnosis.
//!
//! A [`Job`] is made first: it reads and checks everything the analysis
//! reads besides the captures (service tags, exports, flags), so that a
//! command opens its outputs only once its arguments are known to be good.
//! [`Job::run`] then hands each finished flow, judged, to the command's sink,
//! and returns the model without the flows (the sink has them).
//!
//! Flows are judged and handed over as they finish, so memory follows live
//! flows. When a region must be inferred from the traffic, the first
//! [`INFER_AFTER`] finished flows are kept until it can be (or to the end of
//! a smaller capture).

use super::config::{self, Tags};
use super::sink::FlowSink;
use crate::analysis::{Engine, EngineConfig};
use crate::azure::tags::TagDb;
use crate::capture::{Chunk, read_chunks};
use crate::cli::{AnalyzeArgs, AzureArgs, BundleArgs, InputArgs, JudgeArgs, TuiArgs};
use crate::decode::{SUPPORTED_LINKTYPES, linktype_supported};
use crate::diagnosis::regions::{self, Given, Regions};
use crate::diagnosis::{Judge, Settings};
use crate::model::{Analysis, CaptureEnd, FlowRecord, LinkType, ReadSummary, SCHEMA_VERSION};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::thread::Scope;

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

/// What an offline analysis reads: the captures, the service tags and
/// regions, the rules and exports.
#[derive(Clone, Copy)]
pub struct Sources<'a> {
    /// The captures and how to read them.
    pub input: &'a InputArgs,
    /// Service tags and regions.
    pub azure: &'a AzureArgs,
    /// Rules, thresholds and exports.
    pub judge: &'a JudgeArgs,
}

impl<'a> From<&'a AnalyzeArgs> for Sources<'a> {
    fn from(a: &'a AnalyzeArgs) -> Self {
        Sources {
            input: &a.input,
            azure: &a.azure,
            judge: &a.judge,
        }
    }
}

impl<'a> From<&'a TuiArgs> for Sources<'a> {
    fn from(a: &'a TuiArgs) -> Self {
        Sources {
            input: &a.input,
            azure: &a.azure,
            judge: &a.judge,
        }
    }
}

impl<'a> From<&'a BundleArgs> for Sources<'a> {
    fn from(a: &'a BundleArgs) -> Self {
        Sources {
            input: &a.input,
            azure: &a.azure,
            judge: &a.judge,
        }
    }
}

/// An offline analysis, checked and ready to run.
pub struct Job<'a> {
    captures: &'a [PathBuf],
    filter: Option<&'a str>,
    tags: Tags,
    settings: Settings,
    engine: EngineConfig,
}

/// What an offline analysis produced besides what its sink took.
pub struct Analysed {
    /// The model, without the flows.
    pub analysis: Analysis,
    /// One line per input problem (damaged or unreadable files).
    pub problems: Vec<String>,
}

/// What reading the captures gave.
#[derive(Default)]
struct Read {
    inputs: Vec<ReadSummary>,
    problems: Vec<String>,
}

/// What the engine thread sends to the judging thread.
enum ToJudge {
    /// The regions are known from now on.
    Regions(Box<Regions>),
    /// Finished flows (put in order by the judging thread).
    Flows(Vec<FlowRecord>),
}

impl<'a> Job<'a> {
    /// Reads the service tags and exports and checks the flags: an error
    /// here is one line, before anything is written.
    pub fn new(src: Sources<'a>) -> anyhow::Result<Self> {
        let tags = config::load_tags(src.azure.service_tags.as_deref())?;
        let settings = config::settings(&tags, src.azure, src.judge)?;
        if src.input.captures.iter().filter(|c| *c == "-").count() > 1 {
            anyhow::bail!("standard input (`-`) can be given only once");
        }
        Ok(Job {
            captures: &src.input.captures,
            filter: src.input.filter.as_deref(),
            tags,
            settings,
            engine: config::engine(&src.input.engine)?,
        })
    }

    /// Analyses the captures, handing each finished flow, judged, to `sink`
    /// in the order of their first packets.
    ///
    /// Three threads share the work: one reads the files in chunks, one runs
    /// the engine (decoding, flows, parsers: strictly in capture order, so
    /// the result is the same as one thread's), and one judges the finished
    /// flows and feeds the sink.
    pub fn run<S: FlowSink + Send>(self, sink: &mut S) -> anyhow::Result<Analysed> {
        let Job {
            captures,
            filter,
            tags,
            settings,
            engine,
        } = self;
        let db = tags.db();
        let given = settings.given.clone();
        let mut judge = Judge::new(settings, db);
        let mut engine = Engine::new(engine);
        let read = std::thread::scope(|sc| -> anyhow::Result<Read> {
            let (to_judge, from_engine) = std::sync::mpsc::sync_channel(LISTS_QUEUED);
            let (give_back, spares) = std::sync::mpsc::channel();
            let judge = &mut judge;
            let judging = sc.spawn(move || judging(from_engine, give_back, judge, db, sink));
            let mut handover = Handover {
                to_judge,
                spares,
                pending: Vec::new(),
                regions_fixed: given.0.is_some() && given.1.is_some(),
                given: &given,
                tags: db,
            };
            let read = read_all(sc, captures, filter, &mut engine, &mut handover)?;
            engine.finish_with(|e| handover.send(e));
            handover.send_last(&mut engine);
            drop(handover);
            judging
                .join()
                .map_err(|_| anyhow::anyhow!("the judging thread stopped unexpectedly"))?;
            Ok(read)
        })?;
        let dns = engine.dns_logs();
        let mut stats = engine.stats();
        stats.support_bundle = read.inputs.iter().any(|i| {
            i.application
                .as_deref()
                .is_some_and(|a| a.ends_with(crate::model::BUNDLE_APPLICATION))
        });
        let diagnosis = judge.diagnosis(db, dns, &stats, &[]);
        Ok(Analysed {
            analysis: Analysis {
                schema_version: SCHEMA_VERSION,
                inputs: read.inputs,
                capture: stats,
                diagnosis,
                dns: dns.to_vec(),
                flows: Vec::new(),
            },
            problems: read.problems,
        })
    }
}

/// The judging thread: judges each list of finished flows in order, hands
/// the flows to the sink, and gives the emptied list back to the engine.
fn judging(
    from_engine: Receiver<ToJudge>,
    give_back: Sender<Vec<FlowRecord>>,
    judge: &mut Judge,
    tags: &TagDb,
    sink: &mut impl FlowSink,
) {
    for msg in from_engine {
        match msg {
            ToJudge::Regions(r) => judge.set_regions(*r),
            ToJudge::Flows(mut v) => {
                // In order of first packet (on this thread: the engine's has
                // more to do).
                crate::model::sort_flows_in_place(&mut v);
                for flow in v.drain(..) {
                    sink.flow(&judge.finished(tags, flow));
                }
                // A list larger than the engine's (the one the regions
                // waited for) is not kept.
                if v.capacity() <= 2 * HANDOVER {
                    let _ = give_back.send(v);
                }
            }
        }
    }
    sink.flush();
}

/// Reads every capture in turn on a thread of its own, feeding the engine
/// on this one.
fn read_all<'scope, 'env>(
    sc: &'scope Scope<'scope, 'env>,
    captures: &'env [PathBuf],
    filter: Option<&'env str>,
    engine: &mut Engine,
    handover: &mut Handover<'_>,
) -> anyhow::Result<Read> {
    let mut read = Read::default();
    for path in captures {
        let (to_engine, batches) = std::sync::mpsc::sync_channel::<Chunk>(CHUNKS_QUEUED);
        let (recycle, reuse) = std::sync::mpsc::channel::<Chunk>();
        let shown = crate::sanitize::for_terminal(&path.to_string_lossy());
        let reader = sc.spawn(move || read_batches(path, filter, to_engine, reuse));
        for b in batches {
            for f in b.frames() {
                engine.ingest(&f);
                // Finished flows leave as the analysis goes, in lists of a
                // fixed size.
                if engine.finished_len() >= HANDOVER {
                    handover.send(engine);
                }
            }
            let _ = recycle.send(b);
        }
        let res = reader
            .join()
            .map_err(|_| anyhow::anyhow!("{shown}: the reading thread stopped unexpectedly"))?;
        match res {
            Ok(summary) => {
                read.problems.extend(input_problems(&shown, &summary));
                read.inputs.push(summary);
            }
            Err(e) => read.problems.push(e.to_string()),
        }
    }
    Ok(read)
}

/// Reads one capture (with the BPF filter) chunk by chunk, sending each to
/// `to_engine` as it was read: frames are not copied. Used chunks come back
/// through `reuse`, so their memory is allocated once.
fn read_batches(
    path: &Path,
    filter: Option<&str>,
    to_engine: SyncSender<Chunk>,
    reuse: Receiver<Chunk>,
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
        damage,
    } = &summary.end
    {
        problems.push(crate::render::capture::stopped(path, *after_frame, damage));
    }
    let unsupported: Vec<String> = summary
        .linktypes
        .iter()
        .filter(|l| !linktype_supported(**l))
        .map(|l| LinkType(*l).to_string())
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
    to_judge: SyncSender<ToJudge>,
    /// Lists the judging thread has emptied, for the next batches.
    spares: Receiver<Vec<FlowRecord>>,
    pending: Vec<FlowRecord>,
    regions_fixed: bool,
    given: &'a Given,
    tags: &'a TagDb,
}

impl Handover<'_> {
    /// Sends the flows the engine has finished (or holds them while the
    /// regions wait for more).
    fn send(&mut self, engine: &mut Engine) {
        self.hand_over(engine, false);
    }

    /// Sends the last flows: the regions are inferred from what there is.
    fn send_last(&mut self, engine: &mut Engine) {
        self.hand_over(engine, true);
    }

    fn hand_over(&mut self, engine: &mut Engine, last: bool) {
        let spare = self.spares.try_recv().unwrap_or_default();
        let batch = engine.swap_finished(spare);
        if self.regions_fixed && self.pending.is_empty() {
            // Straight to the judge, which puts them in order.
            if !batch.is_empty() {
                let _ = self.to_judge.send(ToJudge::Flows(batch));
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
            let _ = self.to_judge.send(ToJudge::Regions(Box::new(r)));
            self.regions_fixed = true;
        }
        if !self.pending.is_empty() {
            let v = crate::model::sort_flows(std::mem::take(&mut self.pending));
            let _ = self.to_judge.send(ToJudge::Flows(v));
        }
    }
}
