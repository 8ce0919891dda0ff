//! `asrscope live` and `asrscope interfaces`: live capture on its own thread,
//! analysis on another, snapshots to the terminal UI, or lines for scripts.
//!
//! Threads: the capture thread (in `capture::live`) never waits: frames go
//! to a bounded queue. The analysis thread owns the engine, hands finished
//! flows to the session's sinks (the CSV, the lines, the recent flows) and
//! publishes an `Arc<Snapshot>` a few times a second. Flows that finish
//! (closed, or idle past their timeout) leave the table but stay in the
//! totals; only the most recent are kept for display, so memory stays
//! bounded however long it runs.
//!
//! At the end (a signal, `q`, `--duration`, a closed standard output) the
//! capture thread reads what the kernel still holds and hands it over; the
//! analysis takes the queue up to a deadline and counts the rest as queue
//! drops, judges every flow still open, completes its files, and the report
//! ends with a `frames:` line.

use super::config::{self, Tags};
use super::ending::{Ending, say};
use super::outputs;
use super::sink::{Csv, FlowSink, FlowWriter, Output, Target};
use super::{EXIT_ERROR, EXIT_OK};
use crate::analysis::{Engine, EngineConfig};
use crate::capture::live::{self, FrameBatch, LiveCapture, LiveCounters};
use crate::capture::pcapng_writer::PcapngWriter;
use crate::cli::{Format, LiveArgs};
use crate::diagnosis::{Judge, Settings, regions};
use crate::frame::Frame;
use crate::model::{
    Analysis, Diagnosis, Drops, EndpointId, FindingKind, FlowRecord, JudgedFlow, SCHEMA_VERSION,
    Snapshot,
};
use crate::report::{self, lines};
use std::collections::{HashSet, VecDeque};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// Finished flows kept for display.
pub(crate) const RECENT_FLOWS: usize = 1_000;
/// Live flows judged for each snapshot.
pub(crate) const LIVE_FLOWS_SHOWN: usize = 2_000;
/// Buckets of the upload series (one per second).
pub(crate) const SERIES: usize = 120;
/// How long after the capture is told to stop the analysis still takes
/// frames from the queue: the capture thread's [`live::DRAIN`], and 2 s
/// more.
const TAKE_UNTIL: Duration = live::DRAIN.saturating_add(Duration::from_secs(2));
/// How long after a signal asrscope gives up on an analysis or a terminal
/// UI that does not end.
const GIVE_UP: Duration = live::DRAIN.saturating_add(Duration::from_secs(7));

/// `asrscope interfaces`.
pub(crate) fn interfaces() -> anyhow::Result<ExitCode> {
    let list = live::interfaces()?;
    let mut out = super::stdout();
    report::interfaces::write(&mut out, &list)?;
    Ok(Ending::new().exit())
}

/// Wall-clock time, µs since the epoch: the stamp of text lines, and the
/// time idle flows expire by on a quiet interface.
fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// `asrscope live`: exit 2 when an output could not be written or the
/// interface failed (what was captured is still reported and written), 1
/// when the report holds Site Recovery findings, 0 otherwise.
pub(crate) fn run(args: &LiveArgs) -> anyhow::Result<ExitCode> {
    let plan = Plan::new(args)?;
    let mut cap = LiveCapture::start(&plan.iface, &plan.filter)?;
    say(&format!(
        "capturing on {} ({}), filter '{}'",
        plan.iface, plan.why, plan.filter
    ));
    let tui = plan.tui;
    let files = Files::open(args, &cap, tui)?;
    let watch = Watch::on_signals(&cap);
    let packets = args
        .write
        .clone()
        .or_else(|| files.spool.as_ref().map(|t| t.path().to_path_buf()));
    let kept = KeptPackets {
        pcap: files.pcap,
        path: packets,
    };
    let ended = capture(args, plan, files.csv, kept, &mut cap, &watch)?;
    if let Some(report) = &ended.report {
        // The terminal is restored: the report stays on the screen.
        let mut out = super::stdout();
        let _ = out.write_all(report).and_then(|()| out.flush());
    }
    let mut ending = Ending::new();
    tell_capture_end(args, &cap, &ended, &mut ending);
    if let Some(out) = &args.bundle {
        bundle_after_capture(args, out, &files.spool, ended.written, &mut ending);
    }
    drop(files.spool);
    ending.found(ended.diagnosis.has_asr_findings());
    Ok(ending.exit())
}

/// What `live` was asked for, checked before capturing.
struct Plan {
    tags: Tags,
    settings: Settings,
    engine: EngineConfig,
    /// The terminal UI rather than lines.
    tui: bool,
    iface: String,
    /// Why that interface.
    why: &'static str,
    filter: String,
    /// `--interval`.
    interval: Duration,
}

impl Plan {
    fn new(args: &LiveArgs) -> anyhow::Result<Plan> {
        outputs::check(
            &outputs::export_inputs(&args.azure, &args.judge),
            &outputs::live_outputs(args),
        )?;
        let tags = config::load_tags(args.azure.service_tags.as_deref())?;
        let settings = config::settings(&tags, &args.azure, &args.judge)?;
        outputs::one_document(args.csv.as_deref(), args.format)?;
        // `--csv -` gives standard output to the CSV: no terminal UI then,
        // and the lines and the report go to standard error.
        let tui = !args.no_tui
            && !outputs::csv_on_stdout(args.csv.as_deref())
            && std::io::stdout().is_terminal();
        let (iface, why) = live::choose_interface(args.interface.as_deref())?;
        let engine = config::engine(&args.engine)?;
        let filter = args
            .filter
            .clone()
            .unwrap_or_else(|| config::live_filter(&engine.tunnel_ports));
        Ok(Plan {
            tags,
            settings,
            engine,
            tui,
            iface,
            why,
            filter,
            interval: Duration::from_secs(args.interval.max(1)),
        })
    }
}

/// The packets kept, as pcapng.
type Pcap = PcapngWriter<std::io::BufWriter<std::fs::File>>;

/// The files `live` writes besides its report.
struct Files {
    csv: Option<Output<Csv>>,
    /// `--write`'s file, or the bundle's temporary one.
    pcap: Option<Output<Pcap>>,
    /// The bundle's packets when `--write` names no file: removed once the
    /// bundle is written.
    spool: Option<tempfile::NamedTempFile>,
}

impl Files {
    /// Opens them once the capture has started (its link type heads the
    /// pcapng file); an error is one line, and nothing is captured.
    fn open(args: &LiveArgs, cap: &LiveCapture, tui: bool) -> anyhow::Result<Files> {
        let csv = args.csv.as_deref().map(outputs::open_csv).transpose()?;
        // A bundle is made from the packets kept: in --write's file, or in
        // a temporary file removed once the bundle is written (with the
        // terminal UI always, for its export key's bundle).
        let spool = bundle_spool(args, tui)?;
        let pcap = match (&args.write, &spool) {
            (Some(p), _) => Some((
                std::fs::File::create(p).map_err(|e| {
                    anyhow::anyhow!("{}: cannot create the capture file: {e}", p.display())
                })?,
                Target::File(p.display().to_string()),
            )),
            (None, Some(t)) => Some((
                t.reopen().map_err(|e| {
                    anyhow::anyhow!("cannot create a temporary file for the bundle's packets: {e}")
                })?,
                Target::File("the bundle's temporary packet file".into()),
            )),
            (None, None) => None,
        };
        let pcap = match pcap {
            Some((f, to)) => {
                let w = PcapngWriter::new(
                    std::io::BufWriter::new(f),
                    cap.linktype as u16,
                    live::SNAPLEN as u32,
                )?;
                Some(Output::new(w, "the capture", to))
            }
            None => None,
        };
        Ok(Files { csv, pcap, spool })
    }
}

/// `--bundle`: checks that the zip can be written where it is asked for
/// (before capturing), and makes the temporary file the packets go to when
/// `--write` does not name one; so does the terminal UI (`tui`), whose
/// export key bundles what was captured so far.
fn bundle_spool(args: &LiveArgs, tui: bool) -> anyhow::Result<Option<tempfile::NamedTempFile>> {
    let Some(out) = &args.bundle else {
        // Without --bundle, a folder that cannot take the file costs the
        // export key's bundle only (it then says the packets are not kept).
        return Ok((tui && args.write.is_none())
            .then(|| temporary_packets().ok())
            .flatten());
    };
    if out.as_os_str() == "-" {
        anyhow::bail!(
            "a bundle is a zip file: give its name with --bundle, such as --bundle case.zip"
        );
    }
    crate::bundle::Archive::create(out, 0).map_err(|e| {
        anyhow::anyhow!(
            "{}: cannot write the bundle there ({e}); check that the folder exists and is writable",
            crate::sanitize::for_terminal(&out.display().to_string())
        )
    })?;
    if args.write.is_some() {
        return Ok(None);
    }
    temporary_packets().map(Some)
}

/// A temporary pcapng file for the bundle's packets.
fn temporary_packets() -> anyhow::Result<tempfile::NamedTempFile> {
    tempfile::Builder::new()
        .prefix("asrscope-live-")
        .suffix(".pcapng")
        .tempfile()
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot create a temporary file for the bundle's packets ({e}); set TMPDIR to a writable folder"
            )
        })
}

/// What the signal handler and the threads tell each other.
struct Watch {
    /// A signal came: the terminal UI ends.
    signalled: Arc<AtomicBool>,
    /// The analysis thread has completed the files.
    completed: Arc<AtomicBool>,
    /// This thread has the analysis's result (the terminal UI, if any,
    /// returned): it reports and writes the bundle, and is not cut short.
    reporting: Arc<AtomicBool>,
}

impl Watch {
    /// Ctrl-C, SIGTERM or SIGHUP stop the capture. When the terminal has
    /// gone (SIGHUP), crossterm's input poll can spin without returning, and
    /// an output that takes no more data (a stopped reader of --csv's pipe)
    /// can hold the analysis: asrscope does not outlive the signal by much
    /// more than the end of a capture takes ([`GIVE_UP`]).
    fn on_signals(cap: &LiveCapture) -> Watch {
        let w = Watch {
            signalled: Arc::new(AtomicBool::new(false)),
            completed: Arc::new(AtomicBool::new(false)),
            reporting: Arc::new(AtomicBool::new(false)),
        };
        let (signalled, stop) = (w.signalled.clone(), cap.stop.clone());
        let (completed, reporting) = (w.completed.clone(), w.reporting.clone());
        let counters = cap.counters.clone();
        let _ = ctrlc::set_handler(move || {
            signalled.store(true, Ordering::SeqCst);
            stop.store(true, Ordering::SeqCst);
            let (completed, reporting) = (completed.clone(), reporting.clone());
            let counters = counters.clone();
            std::thread::spawn(move || give_up_later(&completed, &reporting, &counters));
        });
        w
    }
}

/// After [`GIVE_UP`], ends the process unless this thread is reporting: 0
/// when the files are complete (the terminal UI could not return), 2 with
/// one line when the analysis could not finish writing.
fn give_up_later(completed: &AtomicBool, reporting: &AtomicBool, c: &LiveCounters) {
    std::thread::sleep(GIVE_UP);
    if reporting.load(Ordering::SeqCst) {
        return;
    }
    if completed.load(Ordering::SeqCst) {
        std::process::exit(i32::from(EXIT_OK));
    }
    say(&format!(
        "the capture stopped, but the analysis could not finish writing within {} s (does the reader of its output still read?): {} frames captured, {} dropped by the analysis queue; its files may be incomplete",
        GIVE_UP.as_secs(),
        c.captured.load(Ordering::Relaxed),
        c.queue_drops.load(Ordering::Relaxed),
    ));
    std::process::exit(i32::from(EXIT_ERROR));
}

/// The packets kept: the pcapng writer and its file.
struct KeptPackets {
    pcap: Option<Output<Pcap>>,
    path: Option<std::path::PathBuf>,
}

/// What the analysis thread hands back.
struct Ended {
    diagnosis: Diagnosis,
    /// The final report, for standard output once the terminal UI is left.
    report: Option<Vec<u8>>,
    /// Packets written to the pcapng file, once it is complete.
    written: Option<u64>,
    csv: Option<Output<Csv>>,
    pcap: Option<Output<Pcap>>,
    lines: Option<Output<Lines>>,
}

/// Runs the capture to its end: the analysis on its own thread, the
/// terminal UI (if any) on this one.
fn capture(
    args: &LiveArgs,
    plan: Plan,
    csv: Option<Output<Csv>>,
    kept: KeptPackets,
    cap: &mut LiveCapture,
    watch: &Watch,
) -> anyhow::Result<Ended> {
    let (ui_tx, ui_rx) = std::sync::mpsc::channel::<Arc<Snapshot>>();
    let (sync_tx, sync_rx) = std::sync::mpsc::channel::<Sender<Option<Spooled>>>();
    let tui = plan.tui;
    let lines = (!tui).then(|| Lines::open(args));
    let mut session = Session::new(plan, cap, Sinks::new(csv, lines));
    session.report = tui.then_some(args.format);
    let stream = Stream {
        frames: std::mem::replace(&mut cap.frames, std::sync::mpsc::sync_channel(1).1),
        counters: cap.counters.clone(),
        linktype: cap.linktype,
        stop: cap.stop.clone(),
        deadline: args
            .duration
            .map(|d| Instant::now() + Duration::from_secs(d)),
        pcap: kept.pcap,
        sync: sync_rx,
        // Only the screen's own copy is bounded: --write and --bundle keep
        // every packet, as asked.
        bound: SpoolBound::new(
            (tui && args.write.is_none() && args.bundle.is_none()).then_some(SCREEN_SPOOL_LIMIT),
        ),
        frames_read: 0,
    };
    let ui = tui.then_some(ui_tx);
    let completed = watch.completed.clone();
    let worker = std::thread::Builder::new()
        .name("analysis".into())
        .spawn(move || analyse(session, stream, ui, &completed))?;
    if tui {
        let packets = Packets {
            path: kept.path.as_deref(),
            sync: sync_tx,
        };
        ui_until_stopped(ui_rx, &watch.signalled, args, &packets)?;
        cap.stop.store(true, Ordering::SeqCst);
    }
    let ended = worker
        .join()
        .map_err(|_| anyhow::anyhow!("the analysis thread stopped unexpectedly"))?;
    watch.reporting.store(true, Ordering::SeqCst);
    cap.stop();
    Ok(ended)
}

/// The analysis thread: the loop, then the files completed here, so that
/// they are whole even if the UI thread cannot return.
fn analyse(
    mut s: Session,
    mut stream: Stream,
    ui: Option<Sender<Arc<Snapshot>>>,
    completed: &AtomicBool,
) -> Ended {
    let (diagnosis, report) = analysis_loop(&mut s, &mut stream, ui);
    let written = stream.pcap.as_mut().and_then(complete);
    s.sinks.flush();
    completed.store(true, Ordering::SeqCst);
    Ended {
        diagnosis,
        report,
        written,
        csv: s.sinks.csv,
        pcap: stream.pcap,
        lines: s.sinks.lines,
    }
}

/// Completes the pcapng file: the number of packets in it, or the failure
/// kept in the output.
fn complete(pcap: &mut Output<Pcap>) -> Option<u64> {
    let w = pcap.take()?;
    let n = w.packets();
    match w.finish().and_then(|mut b| b.flush()) {
        Ok(()) => Some(n),
        Err(e) => {
            pcap.stop(e);
            None
        }
    }
}

/// The frames coming from the capture thread, and the packets kept.
struct Stream {
    frames: Receiver<FrameBatch>,
    counters: Arc<LiveCounters>,
    linktype: u32,
    /// The capture's stop flag.
    stop: Arc<AtomicBool>,
    /// `--duration`'s end.
    deadline: Option<Instant>,
    pcap: Option<Output<Pcap>>,
    /// The terminal UI asks for the packets file to be whole up to now:
    /// the answer is its length then (`None`: no file, or it failed).
    sync: Receiver<Sender<Option<Spooled>>>,
    /// How much of the packets the file takes.
    bound: SpoolBound,
    /// Frames analysed.
    frames_read: u64,
}

impl Stream {
    /// Writes a batch to the pcapng file (if any) and analyses it.
    fn ingest(&mut self, engine: &mut Engine, b: &FrameBatch) {
        for (ts_us, wire_len, data) in b.iter() {
            self.frames_read += 1;
            if self.bound.keeps(data.len())
                && let Some(p) = self.pcap.as_mut()
            {
                p.with(|w| w.write(ts_us, wire_len, data));
            }
            engine.ingest(&Frame {
                ts_us,
                linktype: self.linktype,
                wire_len,
                data,
            });
        }
    }

    fn drops(&self) -> Drops {
        drops(&self.counters)
    }

    /// Answers the terminal UI's requests: the packets file flushed, and
    /// its length (every block in it whole).
    fn answer_sync(&mut self) {
        while let Ok(reply) = self.sync.try_recv() {
            let mut len = None;
            if let Some(p) = self.pcap.as_mut() {
                p.with(|w| {
                    let f = w.get_mut();
                    f.flush()?;
                    len = Some(f.get_ref().metadata()?.len());
                    Ok(())
                });
            }
            let full = self.bound.full;
            let _ = reply.send(len.map(|len| Spooled { len, full }));
        }
    }
}

fn drops(c: &LiveCounters) -> Drops {
    Drops {
        kernel: c.kernel_drops.load(Ordering::Relaxed),
        interface: c.if_drops.load(Ordering::Relaxed),
        queue: c.queue_drops.load(Ordering::Relaxed),
    }
}

/// When the loop last did what it does now and then.
struct Clock {
    snapshot: Instant,
    second: Instant,
    summary: Instant,
}

impl Clock {
    fn new() -> Clock {
        let now = Instant::now();
        Clock {
            snapshot: now,
            second: now,
            summary: now,
        }
    }

    /// A second has passed since the last tick.
    fn tick(&mut self) -> bool {
        let tick = self.second.elapsed() >= Duration::from_secs(1);
        if tick {
            self.second = Instant::now();
        }
        tick
    }
}

/// Analyses until the capture thread has handed everything over, then
/// judges every flow still open; the final diagnosis, and the report for
/// after the terminal UI.
fn analysis_loop(
    s: &mut Session,
    stream: &mut Stream,
    mut ui: Option<Sender<Arc<Snapshot>>>,
) -> (Diagnosis, Option<Vec<u8>>) {
    let mut clock = Clock::new();
    // Once the capture is to end: until when the frames still coming are
    // analysed; past it they are counted as dropped.
    let mut ending: Option<Instant> = None;
    loop {
        if ending.is_none()
            && (stream.stop.load(Ordering::Relaxed)
                || s.sinks.stdout_closed()
                || stream.deadline.is_some_and(|d| Instant::now() >= d))
        {
            // The capture thread reads what the kernel still holds and
            // hands it over; the queue is emptied until it has.
            stream.stop.store(true, Ordering::SeqCst);
            ending = Some(Instant::now() + TAKE_UNTIL);
        }
        match stream.frames.recv_timeout(Duration::from_millis(50)) {
            Ok(b) if ending.is_some_and(|e| Instant::now() >= e) => {
                let n = b.frames.len() as u64;
                stream.counters.queue_drops.fetch_add(n, Ordering::Relaxed);
                continue;
            }
            Ok(b) => stream.ingest(&mut s.engine, &b),
            // A quiet interface: let idle flows expire on the wall clock.
            Err(RecvTimeoutError::Timeout) => s.engine.tick(now_us()),
            // The capture thread has handed everything over.
            Err(RecvTimeoutError::Disconnected) => break,
        }
        stream.answer_sync();
        s.judge_finished();
        let tick = clock.tick();
        if tick {
            s.sinks.flush();
        }
        publish(s, stream, &mut clock, tick, &mut ui);
    }
    finish(s, stream)
}

/// A snapshot to the terminal UI (4 a second), or the new findings and the
/// summary to the lines (each second, and every `--interval`).
fn publish(
    s: &mut Session,
    stream: &Stream,
    clock: &mut Clock,
    tick: bool,
    ui: &mut Option<Sender<Arc<Snapshot>>>,
) {
    let due_ui = ui.is_some() && clock.snapshot.elapsed() >= Duration::from_millis(250);
    let due_summary = clock.summary.elapsed() >= s.interval;
    let due_lines = s.sinks.lines.is_some() && (tick || due_summary);
    if !due_ui && !due_lines {
        return;
    }
    clock.snapshot = Instant::now();
    let snap = s.snapshot(stream, tick);
    if let Some(tx) = ui {
        if tx.send(Arc::new(snap)).is_err() {
            // The terminal UI has ended: so does the capture.
            *ui = None;
            stream.stop.store(true, Ordering::SeqCst);
        }
        return;
    }
    let now = now_us();
    if let Some(lines) = s.sinks.lines.as_mut() {
        lines.with(|l| l.findings(&snap, now));
        if due_summary {
            clock.summary = Instant::now();
            lines.with(|l| l.summary(&snap, now));
        }
    }
}

/// Judges every flow still open, a batch at a time so that a full table is
/// never held twice over, and ends the lines with the report (or keeps it
/// for after the terminal UI).
fn finish(s: &mut Session, stream: &Stream) -> (Diagnosis, Option<Vec<u8>>) {
    s.engine.finish_names();
    loop {
        let more = s.engine.finish_some(crate::analysis::engine::FINISH_BATCH);
        s.judge_finished();
        if !more {
            break;
        }
    }
    let snap = s.snapshot(stream, false);
    let now = now_us();
    if let Some(lines) = s.sinks.lines.as_mut() {
        let summary = &s.kept.summary;
        lines.with(|l| l.end(&snap, summary, now));
    }
    let report = s.report.map(|format| {
        let mut out = Vec::new();
        // Writing to memory does not fail.
        let _ = final_report(&mut out, &snap, &s.kept.summary, format, now);
        out
    });
    (snap.diagnosis, report)
}

/// The report at the end of a capture: the final summary (JSON) or the
/// text report of `analyze` and its `frames:` line.
fn final_report(
    out: &mut dyn Write,
    snap: &Snapshot,
    summary: &report::text::Summary,
    format: Format,
    now_us: i64,
) -> std::io::Result<()> {
    match format {
        Format::Json => lines::summary_json(out, snap, lines::When::Final, now_us),
        Format::Text => {
            let analysis = Analysis {
                schema_version: SCHEMA_VERSION,
                inputs: vec![],
                capture: snap.capture.clone(),
                diagnosis: snap.diagnosis.clone(),
                dns: snap.dns.clone(),
                flows: vec![],
            };
            writeln!(out)?;
            report::text::write(out, &analysis, summary)?;
            lines::frames(out, snap)
        }
    }
}

/// The analysis state of a live session.
struct Session {
    engine: Engine,
    tags: Tags,
    judge: Judge,
    sinks: Sinks,
    /// Every finished flow counted, the most recent kept.
    kept: Kept,
    upload: Upload,
    source: String,
    /// `--interval`.
    interval: Duration,
    /// The terminal UI runs: the final report is kept for after it, in
    /// this format.
    report: Option<Format>,
}

impl Session {
    fn new(plan: Plan, cap: &LiveCapture, sinks: Sinks) -> Session {
        Session {
            engine: Engine::new(plan.engine),
            judge: Judge::new(plan.settings, plan.tags.db()),
            tags: plan.tags,
            sinks,
            kept: Kept::default(),
            upload: Upload::default(),
            source: format!("interface {}", cap.iface),
            interval: plan.interval,
            report: None,
        }
    }

    /// Re-chooses the regions not given from the recent flows, the live ones
    /// and the DNS log.
    fn update_regions(&mut self, live: &[FlowRecord]) {
        let given = &self.judge.settings().given;
        if given.0.is_some() && given.1.is_some() {
            return;
        }
        let recent = &self.kept.flows;
        let mut flows: Vec<FlowRecord> = recent.iter().map(|j| j.flow.clone()).collect();
        flows.extend_from_slice(live);
        let r = regions::infer_and_choose(given, &flows, self.engine.dns_logs(), self.tags.db());
        self.judge.set_regions(r);
    }

    /// Judges the flows the engine has finished, and hands them to the
    /// sinks.
    fn judge_finished(&mut self) {
        let done = self.engine.take_finished();
        if done.is_empty() {
            return;
        }
        self.update_regions(&[]);
        for f in done {
            let j = self.judge.finished(self.tags.db(), f);
            self.sinks.flow(&j);
            self.kept.keep(j);
        }
    }

    fn snapshot(&mut self, stream: &Stream, tick: bool) -> Snapshot {
        let live = self.engine.live_records(LIVE_FLOWS_SHOWN);
        self.update_regions(&live);
        let db = self.tags.db();
        let open: Vec<JudgedFlow> = live.into_iter().map(|f| self.judge.judge(db, f)).collect();
        let upload_live: u64 = open
            .iter()
            .filter(|j| j.verdict.endpoint_id() == Some(EndpointId::CacheStorage))
            .map(|j| j.flow.out.bytes)
            .sum();
        if tick {
            self.upload.second(self.kept.upload_finished + upload_live);
        }
        let capture = self.engine.stats();
        let diagnosis = self
            .judge
            .diagnosis(db, self.engine.dns_logs(), &capture, &open);
        let mut flows = open;
        flows.extend(self.kept.flows.iter().rev().cloned());
        let live_flows = self.engine.live_flows() as u64;
        Snapshot {
            source: self.source.clone(),
            live: true,
            frames: stream.frames_read,
            captured: Some(stream.counters.captured.load(Ordering::Relaxed)),
            drops: Some(stream.drops()),
            total_flows: self.kept.total + live_flows,
            live_flows,
            capture,
            diagnosis,
            dns: self.engine.dns_logs().iter().take(1_000).cloned().collect(),
            flows,
            upload_series: self.upload.series.iter().copied().collect(),
            bucket_secs: 1,
        }
    }
}

/// The cache upload, second by second.
#[derive(Default)]
struct Upload {
    /// Bytes per second, the latest last.
    series: VecDeque<u64>,
    /// Bytes uploaded in all at the last second.
    total: u64,
}

impl Upload {
    /// A second has passed: `total` bytes are uploaded in all.
    fn second(&mut self, total: u64) {
        self.series.push_back(total.saturating_sub(self.total));
        if self.series.len() > SERIES {
            self.series.pop_front();
        }
        self.total = total;
    }
}

/// What a live session writes its finished flows to.
struct Sinks {
    csv: Option<Output<Csv>>,
    /// Without the terminal UI.
    lines: Option<Output<Lines>>,
}

impl Sinks {
    fn new(csv: Option<Output<Csv>>, lines: Option<Output<Lines>>) -> Sinks {
        Sinks { csv, lines }
    }

    /// The reader of standard output went away: the capture ends, quietly.
    fn stdout_closed(&self) -> bool {
        self.csv.as_ref().is_some_and(Output::stdout_closed)
            || self.lines.as_ref().is_some_and(Output::stdout_closed)
    }
}

impl FlowSink for Sinks {
    fn flow(&mut self, j: &JudgedFlow) {
        self.csv.flow(j);
        self.lines.flow(j);
    }
    fn flush(&mut self) {
        // Each second: a file or a pipe is at most a second behind the
        // flows.
        self.csv.flush();
        self.lines.flush();
    }
}

/// Every finished flow counted (the final report's totals), and the most
/// recent kept for display.
#[derive(Default)]
struct Kept {
    flows: VecDeque<JudgedFlow>,
    /// Flows finished.
    total: u64,
    /// Bytes uploaded to cache storage by the flows finished.
    upload_finished: u64,
    summary: report::text::Summary,
}

impl Kept {
    /// Counts a finished flow and keeps it among the recent ones: given,
    /// not copied.
    fn keep(&mut self, j: JudgedFlow) {
        if j.verdict.endpoint_id() == Some(EndpointId::CacheStorage) {
            self.upload_finished += j.flow.out.bytes;
        }
        self.total += 1;
        self.summary.add(&j);
        self.flows.push_back(j);
        if self.flows.len() > RECENT_FLOWS {
            self.flows.pop_front();
        }
    }
}

/// The lines `live` prints without the terminal UI: a JSON line per
/// finished flow (with `--format json`), a line per new finding, a summary
/// every `--interval`, and the report at the end.
struct Lines {
    out: Box<dyn Write + Send>,
    format: Format,
    /// The findings told.
    seen: HashSet<FindingKind>,
}

impl Lines {
    /// The lines go to standard output, or to standard error when the CSV
    /// has it.
    fn open(args: &LiveArgs) -> Output<Lines> {
        let to = outputs::report_target(args.csv.as_deref());
        let lines = Lines {
            // Its failure is told by the output, which names it.
            out: to.stream().unwrap_or_else(|| Box::new(std::io::sink())),
            format: args.format,
            seen: HashSet::new(),
        };
        Output::new(lines, "the report", to)
    }

    /// The Site Recovery findings not told yet.
    fn findings(&mut self, snap: &Snapshot, now_us: i64) -> std::io::Result<()> {
        for f in snap.diagnosis.findings.iter().filter(|f| f.asr()) {
            if self.seen.insert(f.about.clone()) {
                match self.format {
                    Format::Json => lines::finding_json(&mut self.out, f, now_us)?,
                    Format::Text => lines::finding_text(&mut self.out, f, now_us)?,
                }
            }
        }
        Ok(())
    }

    fn summary(&mut self, snap: &Snapshot, now_us: i64) -> std::io::Result<()> {
        match self.format {
            Format::Json => lines::summary_json(&mut self.out, snap, lines::When::During, now_us),
            Format::Text => lines::summary_text(&mut self.out, snap, now_us),
        }
    }

    /// The last findings, then the final summary (JSON) or the report and
    /// its `frames:` line (text).
    fn end(
        &mut self,
        snap: &Snapshot,
        summary: &report::text::Summary,
        now_us: i64,
    ) -> std::io::Result<()> {
        self.findings(snap, now_us)?;
        final_report(&mut self.out, snap, summary, self.format, now_us)?;
        self.out.flush()
    }
}

impl FlowWriter for Lines {
    fn write(&mut self, j: &JudgedFlow) -> std::io::Result<()> {
        match self.format {
            Format::Json => lines::flow_json(&mut self.out, j, now_us()),
            Format::Text => Ok(()),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// What the end of the capture says on standard error: the packets
/// written, the drops, and the interface's failure (a problem).
fn tell_capture_end(args: &LiveArgs, cap: &LiveCapture, ended: &Ended, ending: &mut Ending) {
    if let (Some(n), Some(p)) = (ended.written, &args.write) {
        say(&format!("{n} packets written to {}", p.display()));
    }
    let d = drops(&cap.counters);
    if d.total() > 0 {
        say(&format!(
            "{} packets dropped (kernel {}, interface {}, analysis queue {}): the analysis may miss flows",
            d.total(),
            d.kernel,
            d.interface,
            d.queue
        ));
    }
    let capture_error = cap.counters.error.lock().ok().and_then(|e| e.clone());
    if let Some(e) = &capture_error {
        ending.tell_now(&format!(
            "interface {}: {e}: the capture stopped there; what was captured is reported and written",
            cap.iface
        ));
    }
    ending.output(ended.csv.as_ref());
    ending.output(ended.pcap.as_ref());
    ending.output(ended.lines.as_ref());
}

/// `--bundle`: the support bundle of the packets kept, written once the
/// capture has stopped.
fn bundle_after_capture(
    args: &LiveArgs,
    out: &std::path::Path,
    spool: &Option<tempfile::NamedTempFile>,
    written: Option<u64>,
    ending: &mut Ending,
) {
    let spooled = match (&args.write, spool) {
        (Some(p), _) => Some(p.clone()),
        (None, Some(t)) => Some(t.path().to_path_buf()),
        (None, None) => None,
    };
    let Some(spooled) = spooled.filter(|_| written.is_some()) else {
        ending.problem(format!(
            "{}: no support bundle: the packets could not be kept",
            out.display()
        ));
        return;
    };
    match bundle_packets(args, spooled, out) {
        Ok(w) => {
            say(&super::bundle::summary_line(out, &w));
            ending.problems(w.problems);
        }
        Err(e) => ending.problem(format!("{e:#}")),
    }
}

/// The support bundle of the packets file `packets`, analysed with live's
/// options, written to `out`.
fn bundle_packets(
    args: &LiveArgs,
    packets: std::path::PathBuf,
    out: &std::path::Path,
) -> anyhow::Result<super::bundle::Written> {
    let input = crate::cli::InputArgs {
        captures: vec![packets],
        filter: None,
        engine: args.engine.clone(),
    };
    super::bundle::write(&super::bundle::Request {
        sources: super::offline::Sources {
            input: &input,
            azure: &args.azure,
            judge: &args.judge,
        },
        output: out,
        command_line: super::bundle::command_line(),
    })
}

/// The most bytes of packets the screen keeps on disk for its bundle key
/// when neither `--write` nor `--bundle` is given: a long capture on a busy
/// appliance must not fill the disk; the bundle then says where it stops.
const SCREEN_SPOOL_LIMIT: u64 = 1 << 30;

/// How much of the packets the packets file takes: all, or the first
/// `limit` bytes (the screen's temporary copy).
#[derive(Debug)]
struct SpoolBound {
    limit: Option<u64>,
    /// Bytes of packets written.
    spooled: u64,
    /// The bound was reached: later packets are not in the file.
    full: bool,
}

impl SpoolBound {
    fn new(limit: Option<u64>) -> SpoolBound {
        SpoolBound {
            limit,
            spooled: 0,
            full: false,
        }
    }

    /// Whether a packet of `len` bytes goes to the file: always without a
    /// limit; with one, until the first packet that does not fit.
    fn keeps(&mut self, len: usize) -> bool {
        let Some(limit) = self.limit else {
            return true;
        };
        // An enhanced packet block's own bytes beside the data.
        let block = len as u64 + 32;
        if self.full || self.spooled + block > limit {
            self.full = true;
            return false;
        }
        self.spooled += block;
        true
    }
}

/// The packets file as the analysis thread answers for it.
#[derive(Debug, Clone, Copy)]
struct Spooled {
    /// Its length, every block in it whole.
    len: u64,
    /// [`SCREEN_SPOOL_LIMIT`] was reached: later packets are not in it.
    full: bool,
}

/// The packets the terminal UI's export key bundles.
struct Packets<'a> {
    /// Their pcapng file, being written.
    path: Option<&'a std::path::Path>,
    /// Asks the analysis thread to make the file whole up to now.
    sync: Sender<Sender<Option<Spooled>>>,
}

impl Packets<'_> {
    /// The length of the file with every block in it whole: asked of the
    /// analysis thread while it writes, the whole file once it has ended.
    fn whole_len(&self, path: &std::path::Path) -> Option<Spooled> {
        let (tx, rx) = std::sync::mpsc::channel();
        if self.sync.send(tx).is_ok() {
            match rx.recv_timeout(Duration::from_secs(5)) {
                Ok(len) => return len,
                Err(RecvTimeoutError::Timeout) => return None,
                // The analysis has ended: the file is complete.
                Err(RecvTimeoutError::Disconnected) => {}
            }
        }
        let len = std::fs::metadata(path).ok()?.len();
        Some(Spooled { len, full: false })
    }
}

/// `e` `b` in the terminal UI: a support bundle of what was captured so
/// far, at once, from a copy of the packets written up to now; the line
/// for the status bar.
fn bundle_now(args: &LiveArgs, out: &std::path::Path, packets: &Packets<'_>) -> String {
    let Some(path) = packets.path else {
        return "no support bundle: the packets are not kept".into();
    };
    let Some(Spooled { len, full }) = packets.whole_len(path) else {
        return "no support bundle: the packets file could not be written".into();
    };
    let copied = temporary_packets().and_then(|mut t| {
        let mut from = std::io::Read::take(std::fs::File::open(path)?, len);
        std::io::copy(&mut from, t.as_file_mut())?;
        Ok(t)
    });
    let copy = match copied {
        Ok(t) => t,
        Err(e) => return crate::sanitize::for_terminal(&format!("no support bundle: {e:#}")),
    };
    match bundle_packets(args, copy.path().to_path_buf(), out) {
        Ok(w) if full => format!(
            "{} (the packets of its first {} MiB only: start live with --bundle to keep them all)",
            super::bundle::summary_line(out, &w),
            SCREEN_SPOOL_LIMIT >> 20
        ),
        Ok(w) => super::bundle::summary_line(out, &w),
        Err(e) => crate::sanitize::for_terminal(&format!("{e:#}")),
    }
}

/// Runs the terminal UI on snapshots until it is left or a signal comes;
/// its export key's bundle holds what was captured until the key.
fn ui_until_stopped(
    rx: Receiver<Arc<Snapshot>>,
    signalled: &AtomicBool,
    args: &LiveArgs,
    packets: &Packets<'_>,
) -> anyhow::Result<()> {
    let bundler = |out: &std::path::Path| bundle_now(args, out, packets);
    crate::tui::run_with(
        rx,
        true,
        signalled,
        Some(&bundler),
        super::tui::unix_seconds,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::lines;
    use crate::cli::{AzureArgs, CapturePointArg, EngineArgs, InputArgs, JudgeArgs};
    use crate::model::Snapshot;
    use std::path::{Path, PathBuf};

    #[test]
    fn the_screens_copy_of_the_packets_stops_at_its_bound() {
        let mut unbounded = super::SpoolBound::new(None);
        assert!((0..1000).all(|_| unbounded.keeps(65_535)));
        assert!(!unbounded.full);

        let mut b = super::SpoolBound::new(Some(1000));
        assert!(b.keeps(400)); // 432 bytes
        assert!(b.keeps(400)); // 864
        assert!(!b.keeps(200), "1096 bytes would pass the bound");
        assert!(b.full);
        // Once full, nothing more, not even a packet that would fit: the
        // file is the capture's beginning, without holes.
        assert!(!b.keeps(10));
        assert_eq!(b.spooled, 864);
    }

    /// 2023-11-14T22:13:20Z, the time the lines are stamped with.
    const AT: i64 = 1_700_000_000_000_000;

    /// The JSON lines of the snapshot of the analysis of `capture` with the
    /// NSG export `nsg` and the exports `azure`, as `live` writes them:
    /// every flow, every finding, a summary and the final one.
    fn lines_of(
        capture: PathBuf,
        nsg: Vec<PathBuf>,
        azure: Vec<PathBuf>,
    ) -> Vec<serde_json::Value> {
        let input = InputArgs {
            captures: vec![capture],
            filter: None,
            engine: EngineArgs {
                vxlan_port: vec![],
                geneve_port: vec![],
                max_memory: 512 << 20,
            },
        };
        let tags = AzureArgs {
            service_tags: None,
            source_region: None,
            target_region: None,
            cloud: None,
        };
        let judge = JudgeArgs {
            capture_point: CapturePointArg::Vm,
            retrans_threshold: 2.0,
            min_segments: 20,
            zero_window_threshold: 1,
            trusted_issuer: vec![],
            nsg,
            routes: vec![],
            azure,
        };
        let src = crate::app::offline::Sources {
            input: &input,
            azure: &tags,
            judge: &judge,
        };
        let a = crate::app::tui::analyse(src).unwrap().analysis;
        let snap = Snapshot::from_analysis(&a, "interface lo".into());
        let mut out = Vec::new();
        for j in &snap.flows {
            lines::flow_json(&mut out, j, AT).unwrap();
        }
        for f in &snap.diagnosis.findings {
            lines::finding_json(&mut out, f, AT).unwrap();
        }
        lines::summary_json(&mut out, &snap, lines::When::During, AT).unwrap();
        lines::summary_json(&mut out, &snap, lines::When::Final, AT).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Every JSON line validates against `docs/schema/live-line.schema.json`
    /// and carries its type, its time and the layout's version.
    #[test]
    fn json_lines_validate_against_their_schema() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("docs/schema/live-line.schema.json")).unwrap();
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        let v = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap();
        let (cap, data) = (root.join("captures"), root.join("tests/data"));
        let runs = [
            (cap.join("healthy-tls12-dns.pcap"), vec![], vec![]),
            (
                cap.join("syn-dropped.pcap"),
                vec![data.join("nsg-deny-eventhub.json")],
                vec![data.join("storage-no-trusted.json")],
            ),
            (cap.join("fqdn-filter-rst.pcap"), vec![], vec![]),
        ];
        let mut types = std::collections::BTreeMap::new();
        for (capture, nsg, azure) in runs.clone() {
            let name = capture.display().to_string();
            for line in lines_of(capture, nsg, azure) {
                let errors: Vec<String> = v.iter_errors(&line).map(|e| e.to_string()).collect();
                assert!(
                    errors.is_empty(),
                    "{name}: a {} line: {errors:?}",
                    line["type"]
                );
                assert_eq!(line["time"], "2023-11-14T22:13:20.000000Z");
                assert_eq!(line["schema_version"], crate::model::SCHEMA_VERSION);
                *types
                    .entry(line["type"].as_str().unwrap().to_string())
                    .or_insert(0) += 1;
            }
        }
        assert!(types["flow"] > 0 && types["finding"] > 0, "{types:?}");
        assert_eq!(types["summary"], 2 * runs.len(), "{types:?}");
    }
}
