//! `asrscope live` and `asrscope interfaces`: live capture on its own thread,
//! analysis on another, snapshots to the terminal UI, or lines for scripts.
//!
//! Threads: the capture thread (in `capture::live`) never waits: frames go
//! to a bounded queue. The analysis thread owns the engine and publishes an
//! `Arc<Snapshot>` a few times a second. Flows that finish (closed, or idle
//! past their timeout) leave the table but stay in the totals; only the most
//! recent are kept for display, so memory stays bounded however long it runs.

use super::config::{self, Tags};
use super::{EXIT_ERROR, EXIT_FINDINGS, EXIT_OK};
use crate::analysis::Engine;
use crate::capture::live::{self, FrameBatch, LiveCapture};
use crate::capture::pcapng_writer::PcapngWriter;
use crate::cli::{Format, LiveArgs};
use crate::diagnosis::{Judge, regions};
use crate::frame::Frame;
use crate::model::{
    Analysis, Diagnosis, Drops, EndpointId, FlowRecord, JudgedFlow, SCHEMA_VERSION, Snapshot,
};
use crate::report::{self, lines};
use std::collections::{HashSet, VecDeque};
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

/// Finished flows kept for display.
pub const RECENT_FLOWS: usize = 1_000;
/// Live flows judged for each snapshot.
pub const LIVE_FLOWS_SHOWN: usize = 2_000;
/// Buckets of the upload series (one per second).
pub const SERIES: usize = 120;

/// `asrscope interfaces`.
pub fn interfaces() -> anyhow::Result<ExitCode> {
    let list = live::interfaces()?;
    let mut out = super::stdout();
    for i in list {
        let addrs: Vec<String> = i.addresses.iter().map(|a| a.to_string()).collect();
        let mut notes = Vec::new();
        if i.default_route {
            notes.push("default route");
        }
        if i.loopback {
            notes.push("loopback");
        }
        if !i.up {
            notes.push("down");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  ({})", notes.join(", "))
        };
        writeln!(out, "{:<16} {}{notes}", i.name, addrs.join(" "))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The analysis state of a live session.
struct Session {
    engine: Engine,
    tags: Tags,
    judge: Judge,
    recent: VecDeque<JudgedFlow>,
    total_flows: u64,
    csv: Option<report::csv::CsvWriter<Box<dyn Write + Send>>>,
    /// `--csv`'s path, for messages.
    csv_path: String,
    /// `--csv -`: the CSV has standard output, the lines and the report go
    /// to standard error.
    csv_on_stdout: bool,
    /// Standard output, which the CSV had, was closed: the capture stops.
    stdout_closed: bool,
    /// `--write`'s path, for messages.
    write_path: String,
    /// Writing `--write` failed once: it is not tried (nor reported) again.
    write_failed: bool,
    /// Files that could not be written (a full disk), one line each: the
    /// analysis goes on without them.
    failures: Vec<String>,
    series: VecDeque<u64>,
    upload_finished: u64,
    last_upload_total: u64,
    source: String,
    /// Every finished flow, counted (the final report's totals).
    summary: report::text::Summary,
}

impl Session {
    /// Re-chooses the regions not given from the recent flows, the live ones
    /// and the DNS log.
    fn update_regions(&mut self, live: &[FlowRecord]) {
        let given = &self.judge.settings().given;
        if given.0.is_some() && given.1.is_some() {
            return;
        }
        let mut flows: Vec<FlowRecord> = self.recent.iter().map(|j| j.flow.clone()).collect();
        flows.extend_from_slice(live);
        let r = regions::infer_and_choose(given, &flows, self.engine.dns_logs(), self.tags.db());
        self.judge.set_regions(r);
    }

    /// The CSV could not be written: a closed standard output (`--csv - |
    /// head`) ends the capture quietly; anything else is a problem to
    /// report, and the analysis goes on without the CSV.
    fn csv_failed(&mut self, e: std::io::Error) {
        if self.csv_on_stdout && e.kind() == std::io::ErrorKind::BrokenPipe {
            self.stdout_closed = true;
        } else {
            let on = if self.csv_on_stdout {
                "standard output"
            } else {
                &self.csv_path
            };
            self.failures.push(format!(
                "{on}: cannot write the CSV ({e}); the analysis went on without it"
            ));
        }
        self.csv = None;
    }

    /// Writes out the CSV rows buffered so far (each second: a file or a
    /// pipe is at most a second behind the flows).
    fn flush_csv(&mut self) {
        if let Some(w) = self.csv.as_mut()
            && let Err(e) = w.flush()
        {
            self.csv_failed(e);
        }
    }

    fn judge_finished(&mut self, out: &mut dyn FnMut(&JudgedFlow)) -> anyhow::Result<()> {
        let done = self.engine.take_finished();
        if done.is_empty() {
            return Ok(());
        }
        self.update_regions(&[]);
        for f in done {
            let j = self.judge.finished(self.tags.db(), f);
            if let Some(w) = self.csv.as_mut()
                && let Err(e) = w.write(&j.flow, &j.verdict)
            {
                self.csv_failed(e);
            }
            if j.verdict.endpoint_id() == Some(EndpointId::CacheStorage) {
                self.upload_finished += j.flow.out.bytes;
            }
            self.total_flows += 1;
            self.summary.add(&j);
            out(&j);
            self.recent.push_back(j);
            if self.recent.len() > RECENT_FLOWS {
                self.recent.pop_front();
            }
        }
        Ok(())
    }

    fn snapshot(&mut self, frames: u64, counters: &live::LiveCounters, tick: bool) -> Snapshot {
        let live = self.engine.live_records(LIVE_FLOWS_SHOWN);
        self.update_regions(&live);
        let db = self.tags.db();
        let open: Vec<JudgedFlow> = live.into_iter().map(|f| self.judge.judge(db, f)).collect();
        let upload_live: u64 = open
            .iter()
            .filter(|j| j.verdict.endpoint_id() == Some(EndpointId::CacheStorage))
            .map(|j| j.flow.out.bytes)
            .sum();
        let total = self.upload_finished + upload_live;
        if tick {
            self.series
                .push_back(total.saturating_sub(self.last_upload_total));
            if self.series.len() > SERIES {
                self.series.pop_front();
            }
            self.last_upload_total = total;
        }
        let capture = self.engine.stats();
        let diagnosis = self
            .judge
            .diagnosis(db, self.engine.dns_logs(), &capture, &open);
        let mut flows = open;
        flows.extend(self.recent.iter().rev().cloned());
        Snapshot {
            source: self.source.clone(),
            live: true,
            frames,
            captured: Some(counters.captured.load(Ordering::Relaxed)),
            drops: Some(drops(counters)),
            total_flows: self.total_flows + self.engine.live_flows() as u64,
            live_flows: self.engine.live_flows() as u64,
            capture,
            diagnosis,
            dns: self.engine.dns_logs().iter().take(1_000).cloned().collect(),
            flows,
            upload_series: self.series.iter().copied().collect(),
            bucket_secs: 1,
        }
    }
}

fn drops(c: &live::LiveCounters) -> Drops {
    Drops {
        kernel: c.kernel_drops.load(Ordering::Relaxed),
        interface: c.if_drops.load(Ordering::Relaxed),
        queue: c.queue_drops.load(Ordering::Relaxed),
    }
}

/// `asrscope live`.
pub fn run(args: &LiveArgs) -> anyhow::Result<ExitCode> {
    super::outputs::check(
        &super::outputs::export_inputs(&args.azure, &args.judge),
        &super::outputs::live_outputs(args),
    )?;
    let tags = config::load_tags(args.azure.service_tags.as_deref())?;
    let settings = config::settings(&tags, &args.azure, &args.judge)?;
    let csv_on_stdout = args.csv.as_ref().is_some_and(|p| p.as_os_str() == "-");
    if csv_on_stdout && args.format == Format::Json {
        anyhow::bail!(
            "--csv - and --format json would both write to standard output: write the CSV to a file (--csv flows.csv), or leave out one of them"
        );
    }
    // `--csv -` gives standard output to the CSV: no terminal UI then, and
    // the lines and the report go to standard error.
    let tui = !args.no_tui && !csv_on_stdout && std::io::stdout().is_terminal();
    let (iface, why) = live::choose_interface(args.interface.as_deref())?;
    let engine_cfg = config::engine(&args.engine)?;
    let tunnel_ports = engine_cfg.tunnel_ports;
    let filter = args
        .filter
        .clone()
        .unwrap_or_else(|| config::live_filter(&tunnel_ports));
    let mut cap = LiveCapture::start(&iface, &filter)?;
    eprintln!("asrscope: capturing on {iface} ({why}), filter '{filter}'");
    let csv = match &args.csv {
        Some(_) if csv_on_stdout => Some(report::csv::CsvWriter::new(Box::new(super::StdoutSend(
            std::io::stdout(),
        ))
            as Box<dyn Write + Send>)?),
        Some(p) => {
            let f = std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("{}: cannot create the CSV file: {e}", p.display()))?;
            Some(report::csv::CsvWriter::new(
                Box::new(std::io::BufWriter::new(f)) as Box<dyn Write + Send>,
            )?)
        }
        None => None,
    };
    // A bundle is made from the packets kept: in --write's file, or in a
    // temporary file removed once the bundle is written.
    let spool = bundle_spool(args)?;
    let pcap_file = match (&args.write, &spool) {
        (Some(p), _) => Some(std::fs::File::create(p).map_err(|e| {
            anyhow::anyhow!("{}: cannot create the capture file: {e}", p.display())
        })?),
        (None, Some(t)) => Some(t.reopen().map_err(|e| {
            anyhow::anyhow!("cannot create a temporary file for the bundle's packets: {e}")
        })?),
        (None, None) => None,
    };
    let mut pcap_out = match pcap_file {
        Some(f) => Some(PcapngWriter::new(
            std::io::BufWriter::new(f),
            cap.linktype as u16,
            live::SNAPLEN as u32,
        )?),
        None => None,
    };
    let stop = cap.stop.clone();
    let stop_sig = stop.clone();
    let signalled = Arc::new(AtomicBool::new(false));
    let signalled_h = signalled.clone();
    // Set once the analysis thread has completed the files, and once this
    // thread has the analysis's result (the terminal UI, if any, returned):
    // from then on it reports and writes the bundle, and is not cut short.
    let completed = Arc::new(AtomicBool::new(false));
    let completed_h = completed.clone();
    let reporting = Arc::new(AtomicBool::new(false));
    let reporting_h = reporting.clone();
    let counters_h = cap.counters.clone();
    let _ = ctrlc::set_handler(move || {
        signalled_h.store(true, Ordering::SeqCst);
        stop_sig.store(true, Ordering::SeqCst);
        // When the terminal has gone (SIGHUP), crossterm's input poll can
        // spin without returning, and an output that takes no more data
        // (a stopped reader of --csv's pipe) can hold the analysis: do not
        // outlive the signal by much more than the end of a capture takes.
        let (completed, c) = (completed_h.clone(), counters_h.clone());
        let reporting = reporting_h.clone();
        std::thread::spawn(move || {
            std::thread::sleep(live::DRAIN + Duration::from_secs(7));
            if reporting.load(Ordering::SeqCst) {
                return;
            }
            if completed.load(Ordering::SeqCst) {
                std::process::exit(i32::from(EXIT_OK));
            }
            eprintln!(
                "asrscope: the capture stopped, but the analysis could not finish writing within {} s (does the reader of its output still read?): {} frames captured, {} dropped by the analysis queue; its files may be incomplete",
                (live::DRAIN + Duration::from_secs(7)).as_secs(),
                c.captured.load(Ordering::Relaxed),
                c.queue_drops.load(Ordering::Relaxed),
            );
            std::process::exit(i32::from(EXIT_ERROR));
        });
    });
    let mut session = Session {
        engine: Engine::new(engine_cfg),
        judge: Judge::new(settings, tags.db()),
        tags,
        recent: VecDeque::new(),
        total_flows: 0,
        csv,
        csv_path: args
            .csv
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        csv_on_stdout,
        stdout_closed: false,
        write_path: match (&args.write, &spool) {
            (Some(p), _) => p.display().to_string(),
            (None, Some(_)) => "the bundle's temporary packet file".into(),
            (None, None) => String::new(),
        },
        failures: Vec::new(),
        write_failed: false,
        series: VecDeque::new(),
        upload_finished: 0,
        last_upload_total: 0,
        source: format!("interface {iface}"),
        summary: report::text::Summary::default(),
    };
    let linktype = cap.linktype;
    let deadline = args
        .duration
        .map(|d| Instant::now() + Duration::from_secs(d));
    let json = args.format == Format::Json;
    let interval = Duration::from_secs(args.interval.max(1));

    // The terminal UI runs on this thread; analysis on another.
    let (ui_tx, ui_rx) = std::sync::mpsc::channel::<Arc<Snapshot>>();
    let ui_stop = stop.clone();
    let frames_rx = std::mem::replace(&mut cap.frames, std::sync::mpsc::sync_channel(1).1);
    let counters = cap.counters.clone();
    let worker = std::thread::Builder::new()
        .name("analysis".into())
        .spawn(move || {
            analysis_loop(
                &mut session,
                frames_rx,
                &counters,
                linktype,
                &stop,
                deadline,
                if tui { Some(ui_tx) } else { None },
                json,
                interval,
                pcap_out.as_mut(),
            )
            .map(|d| {
                // Files are completed here, on the analysis thread, so that
                // they are whole even if the UI thread cannot return.
                let written = match pcap_out {
                    Some(w) if !session.write_failed => {
                        let n = w.packets();
                        match w.finish().and_then(|mut b| b.flush()) {
                            Ok(()) => Some(n),
                            Err(e) => {
                                let p = &session.write_path;
                                session
                                    .failures
                                    .push(format!("{p}: cannot write the capture ({e})"));
                                None
                            }
                        }
                    }
                    _ => None,
                };
                session.flush_csv();
                completed.store(true, Ordering::SeqCst);
                (d, written, std::mem::take(&mut session.failures))
            })
        })?;
    if tui {
        ui(ui_rx, &signalled, args.bundle.as_deref())?;
        ui_stop.store(true, Ordering::SeqCst);
    }
    let result = worker
        .join()
        .map_err(|_| anyhow::anyhow!("the analysis thread stopped unexpectedly"))?;
    reporting.store(true, Ordering::SeqCst);
    cap.stop();
    let (diagnosis, written, mut failures) = result?;
    if let Some(n) = written
        && args.write.is_some()
    {
        eprintln!(
            "asrscope: {n} packets written to {}",
            args.write
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    let d = drops(&cap.counters);
    if d.total() > 0 {
        eprintln!(
            "asrscope: {} packets dropped (kernel {}, interface {}, analysis queue {}): the analysis may miss flows",
            d.total(),
            d.kernel,
            d.interface,
            d.queue
        );
    }
    let capture_error = cap.counters.error.lock().ok().and_then(|e| e.clone());
    if let Some(e) = &capture_error {
        eprintln!(
            "asrscope: interface {iface}: {}: the capture stopped there; what was captured is reported and written",
            crate::sanitize::for_terminal(e)
        );
    }
    if let Some(out) = &args.bundle {
        let spooled = match (&args.write, &spool) {
            (Some(p), _) => Some(p.clone()),
            (None, Some(t)) => Some(t.path().to_path_buf()),
            (None, None) => None,
        };
        let spooled = spooled.filter(|_| written.is_some());
        if let Some(spooled) = spooled {
            let input = crate::cli::InputArgs {
                captures: vec![spooled],
                filter: None,
                engine: args.engine.clone(),
            };
            let req = super::bundle::Request {
                input: &input,
                azure: &args.azure,
                judge: &args.judge,
                output: out,
                command_line: std::env::args_os()
                    .map(|a| a.to_string_lossy().into_owned())
                    .collect(),
            };
            match super::bundle::write(&req) {
                Ok(w) => {
                    eprintln!("asrscope: {}", super::bundle::summary_line(out, &w));
                    failures.extend(w.problems);
                }
                Err(e) => failures.push(format!("{e:#}")),
            }
        } else {
            failures.push(format!(
                "{}: no support bundle: the packets could not be kept",
                out.display()
            ));
        }
    }
    drop(spool);
    for f in &failures {
        eprintln!("asrscope: {}", crate::sanitize::for_terminal(f));
    }
    let findings = diagnosis.has_asr_findings();
    Ok(ExitCode::from(
        if capture_error.is_some() || !failures.is_empty() {
            EXIT_ERROR
        } else if findings {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        },
    ))
}

#[allow(clippy::too_many_arguments)]
fn analysis_loop(
    s: &mut Session,
    rx: std::sync::mpsc::Receiver<FrameBatch>,
    counters: &live::LiveCounters,
    linktype: u32,
    stop: &AtomicBool,
    deadline: Option<Instant>,
    mut ui: Option<Sender<Arc<Snapshot>>>,
    json: bool,
    interval: Duration,
    mut pcap_out: Option<&mut PcapngWriter<std::io::BufWriter<std::fs::File>>>,
) -> anyhow::Result<Diagnosis> {
    let mut frames = 0u64;
    let mut last_snap = Instant::now();
    let mut last_tick = Instant::now();
    let mut last_summary = Instant::now();
    let mut seen_findings: HashSet<crate::model::FindingKind> = HashSet::new();
    let lines = ui.is_none();
    let to_stderr = s.csv_on_stdout;
    // Once the capture is to end: until when the frames still coming are
    // analysed; past it they are counted as dropped.
    let mut ending: Option<Instant> = None;
    loop {
        if ending.is_none()
            && (stop.load(Ordering::Relaxed)
                || s.stdout_closed
                || deadline.is_some_and(|d| Instant::now() >= d))
        {
            // The capture thread reads what the kernel still holds and
            // hands it over; the queue is emptied until it has.
            stop.store(true, Ordering::SeqCst);
            ending = Some(Instant::now() + live::DRAIN + Duration::from_secs(2));
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(b) if ending.is_some_and(|e| Instant::now() >= e) => {
                counters
                    .queue_drops
                    .fetch_add(b.frames.len() as u64, Ordering::Relaxed);
                continue;
            }
            Ok(b) => {
                for (ts_us, wire_len, data) in b.iter() {
                    frames += 1;
                    if let Some(w) = pcap_out.as_mut()
                        && let Err(e) = w.write(ts_us, wire_len, data)
                    {
                        let p = &s.write_path;
                        s.failures.push(format!(
                            "{p}: cannot write the capture ({e}); the analysis went on without it"
                        ));
                        s.write_failed = true;
                        pcap_out = None;
                    }
                    s.engine.ingest(&Frame {
                        ts_us,
                        linktype,
                        wire_len,
                        data,
                    });
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                // A quiet interface: let idle flows expire on the wall clock.
                if let Ok(d) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
                    s.engine.tick(d.as_micros() as i64);
                }
            }
            // The capture thread has handed everything over.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
        let mut out = report_out(to_stderr);
        s.judge_finished(&mut |j| lines::flow(&mut out, j, lines && json))?;
        drop(out);
        let tick = last_tick.elapsed() >= Duration::from_secs(1);
        if tick {
            last_tick = Instant::now();
            s.flush_csv();
        }
        let due_ui = ui.is_some() && last_snap.elapsed() >= Duration::from_millis(250);
        let due_lines = lines && (tick || last_summary.elapsed() >= interval);
        if due_ui || due_lines {
            last_snap = Instant::now();
            let snap = s.snapshot(frames, counters, tick);
            if let Some(tx) = &ui {
                if tx.send(Arc::new(snap)).is_err() {
                    // The terminal UI has ended: so does the capture.
                    ui = None;
                    stop.store(true, Ordering::SeqCst);
                }
            } else {
                let mut out = report_out(to_stderr);
                for f in snap.diagnosis.findings.iter().filter(|f| f.asr()) {
                    if seen_findings.insert(f.about.clone()) {
                        lines::finding(&mut out, f, json)?;
                    }
                }
                if last_summary.elapsed() >= interval {
                    last_summary = Instant::now();
                    lines::summary(&mut out, &snap, json, false)?;
                }
            }
        }
    }
    // Finish: every flow still open is judged, written and counted, a batch
    // at a time so that a full table is never held twice over.
    let mut out = report_out(to_stderr);
    s.engine.finish_names();
    loop {
        let more = s.engine.finish_some(crate::analysis::engine::FINISH_BATCH);
        s.judge_finished(&mut |j| lines::flow(&mut out, j, lines && json))?;
        if !more {
            break;
        }
    }
    let snap = s.snapshot(frames, counters, false);
    if lines {
        for f in snap.diagnosis.findings.iter().filter(|f| f.asr()) {
            if seen_findings.insert(f.about.clone()) {
                lines::finding(&mut out, f, json)?;
            }
        }
        if json {
            lines::summary(&mut out, &snap, json, true)?;
        } else {
            let analysis = Analysis {
                schema_version: SCHEMA_VERSION,
                inputs: vec![],
                capture: snap.capture.clone(),
                diagnosis: snap.diagnosis.clone(),
                dns: snap.dns.clone(),
                flows: vec![],
            };
            writeln!(out)?;
            report::text::write(&mut out, &analysis, &s.summary)?;
            lines::frames(&mut out, &snap)?;
        }
    }
    out.flush()?;
    Ok(snap.diagnosis)
}

/// Where the lines and the report go: standard output, or standard error
/// when the CSV has standard output (`--csv -`).
fn report_out(to_stderr: bool) -> Box<dyn Write> {
    if to_stderr {
        Box::new(std::io::stderr().lock())
    } else {
        Box::new(super::stdout())
    }
}

/// `--bundle`: checks that the zip can be written where it is asked for
/// (before capturing), and makes the temporary file the packets go to when
/// `--write` does not name one.
fn bundle_spool(args: &LiveArgs) -> anyhow::Result<Option<tempfile::NamedTempFile>> {
    let Some(out) = &args.bundle else {
        return Ok(None);
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
    let t = tempfile::Builder::new()
        .prefix("asrscope-live-")
        .suffix(".pcapng")
        .tempfile()
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot create a temporary file for the bundle's packets ({e}); set TMPDIR to a writable folder"
            )
        })?;
    Ok(Some(t))
}

/// Runs the terminal UI on snapshots; its export key's bundle is written
/// when the capture stops.
fn ui(
    rx: std::sync::mpsc::Receiver<Arc<Snapshot>>,
    signalled: &AtomicBool,
    bundle: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let hint = |_: &std::path::Path| {
        match bundle {
        Some(p) => format!(
            "the support bundle is written to {} when the capture stops (q)",
            crate::sanitize::for_terminal(&p.display().to_string())
        ),
        None => "start live with --bundle CASE.zip: the support bundle is written when the capture stops".into(),
    }
    };
    crate::tui::run_with(rx, true, signalled, Some(&hint))?;
    Ok(())
}
