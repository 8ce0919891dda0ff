//! `asrscope live` and `asrscope interfaces`: live capture on its own thread,
//! analysis on another, snapshots to the terminal UI, or lines for scripts.
//!
//! Threads: the capture thread (in `capture::live`) never waits: frames go
//! to a bounded queue. The analysis thread owns the engine and publishes an
//! `Arc<Snapshot>` a few times a second. Flows that finish (closed, or idle
//! past their timeout) leave the table but stay in the totals; only the most
//! recent are kept for display, so memory stays bounded however long it runs.

use super::config::{self, Tags};
use super::{EXIT_FINDINGS, EXIT_OK};
use crate::azure::regions::Region;
use crate::capture::live::{self, FrameBatch, LiveCapture};
use crate::capture::pcapng_writer::PcapngWriter;
use crate::cli::{Format, LiveArgs};
use crate::diagnosis::{self, Diagnoser, Diagnosis, RegionChoice};
use crate::engine::Engine;
use crate::frame::Frame;
use crate::model::{Analysis, Drops, FlowRecord, JudgedFlow, SCHEMA_VERSION, Snapshot};
use crate::report;
use crate::verdict::{self, Context, Thresholds};
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
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
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
    given: (Option<Region>, Option<Region>),
    th: Thresholds,
    trusted: Vec<String>,
    capture_point: crate::diagnosis::CapturePoint,
    diag: Diagnoser,
    recent: VecDeque<JudgedFlow>,
    total_flows: u64,
    csv: Option<report::csv::CsvWriter<Box<dyn Write + Send>>>,
    series: VecDeque<u64>,
    upload_finished: u64,
    last_upload_total: u64,
    source: String,
}

impl Session {
    fn regions(&self, live: &[FlowRecord]) -> (Option<RegionChoice>, Option<RegionChoice>) {
        let known = config::known_regions(self.tags.db());
        let mut flows: Vec<FlowRecord> = self.recent.iter().map(|j| j.flow.clone()).collect();
        flows.extend_from_slice(live);
        let need = self.given.0.is_none() || self.given.1.is_none();
        let (s, t) = if need {
            diagnosis::infer_regions(&flows, self.engine.dns_logs(), self.tags.db())
        } else {
            (None, None)
        };
        let pick = |g: &Option<Region>, i: Option<String>| match g {
            Some(r) => Some(RegionChoice {
                region: r.clone(),
                how: "given",
            }),
            None => i
                .and_then(|id| known.iter().find(|r| r.id == id).cloned())
                .map(|region| RegionChoice {
                    region,
                    how: "inferred from the traffic",
                }),
        };
        (pick(&self.given.0, s), pick(&self.given.1, t))
    }

    fn judge_finished(&mut self, out: &mut dyn FnMut(&JudgedFlow)) -> anyhow::Result<()> {
        let done = self.engine.take_finished();
        if done.is_empty() {
            return Ok(());
        }
        let (s, t) = self.regions(&[]);
        let ctx = Context {
            tags: self.tags.db(),
            source: s.as_ref().map(|r| &r.region),
            target: t.as_ref().map(|r| &r.region),
            thresholds: &self.th,
            trusted_issuers: &self.trusted,
        };
        let mut judged = Vec::with_capacity(done.len());
        for f in done {
            let v = verdict::judge(&f, &ctx);
            judged.push(JudgedFlow {
                flow: f,
                verdict: v,
            });
        }
        for j in judged {
            if let Some(w) = self.csv.as_mut() {
                w.write(&j.flow, &j.verdict)?;
            }
            self.diag.add(&j.flow, &j.verdict);
            if j.verdict.endpoint == Some("cache-storage") {
                self.upload_finished += j.flow.out.bytes;
            }
            self.total_flows += 1;
            out(&j);
            self.recent.push_back(j);
            if self.recent.len() > RECENT_FLOWS {
                self.recent.pop_front();
            }
        }
        Ok(())
    }

    fn snapshot(&mut self, frames: u64, drops: Drops, tick: bool) -> Snapshot {
        let live = self.engine.live_records(LIVE_FLOWS_SHOWN);
        let (s, t) = self.regions(&live);
        let ctx = Context {
            tags: self.tags.db(),
            source: s.as_ref().map(|r| &r.region),
            target: t.as_ref().map(|r| &r.region),
            thresholds: &self.th,
            trusted_issuers: &self.trusted,
        };
        let mut diag = self.diag.clone();
        let mut flows: Vec<JudgedFlow> = Vec::with_capacity(live.len() + self.recent.len());
        let mut upload_live = 0;
        for f in live {
            let v = verdict::judge(&f, &ctx);
            diag.add(&f, &v);
            if v.endpoint == Some("cache-storage") {
                upload_live += f.out.bytes;
            }
            flows.push(JudgedFlow {
                flow: f,
                verdict: v,
            });
        }
        flows.extend(self.recent.iter().rev().cloned());
        let total = self.upload_finished + upload_live;
        if tick {
            self.series
                .push_back(total.saturating_sub(self.last_upload_total));
            if self.series.len() > SERIES {
                self.series.pop_front();
            }
            self.last_upload_total = total;
        }
        let d = diag.finish(
            self.engine.dns_logs(),
            self.tags.db(),
            &self.tags.origin(),
            s,
            t,
            self.capture_point,
            &self.th,
        );
        let capture = self.engine.stats();
        Snapshot {
            source: self.source.clone(),
            live: true,
            frames,
            drops: Some(drops),
            total_flows: self.total_flows + self.engine.live_flows() as u64,
            live_flows: self.engine.live_flows() as u64,
            capture,
            diagnosis: d,
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

fn now_hms() -> String {
    let us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    crate::dates::rfc3339_us(us)[11..19].to_string()
}

/// `asrscope live`.
pub fn run(args: &LiveArgs) -> anyhow::Result<ExitCode> {
    let tags = config::load_tags(args.azure.service_tags.as_deref())?;
    let given = config::regions(tags.db(), &args.azure)?;
    let th = config::thresholds(&args.judge)?;
    let tui = !args.no_tui && std::io::stdout().is_terminal();
    let (iface, why) = live::choose_interface(args.interface.as_deref())?;
    let filter = args
        .filter
        .clone()
        .unwrap_or_else(|| live::DEFAULT_FILTER.to_string());
    let mut cap = LiveCapture::start(&iface, &filter)?;
    eprintln!("asrscope: capturing on {iface} ({why}), filter '{filter}'");
    let csv = match &args.csv {
        Some(p) => {
            let f = std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("{}: cannot create the CSV file: {e}", p.display()))?;
            Some(report::csv::CsvWriter::new(
                Box::new(std::io::BufWriter::new(f)) as Box<dyn Write + Send>,
            )?)
        }
        None => None,
    };
    let mut pcap_out = match &args.write {
        Some(p) => {
            let f = std::fs::File::create(p).map_err(|e| {
                anyhow::anyhow!("{}: cannot create the capture file: {e}", p.display())
            })?;
            Some(PcapngWriter::new(
                std::io::BufWriter::new(f),
                cap.linktype as u16,
                live::SNAPLEN as u32,
            )?)
        }
        None => None,
    };
    let stop = cap.stop.clone();
    let stop_sig = stop.clone();
    let signalled = Arc::new(AtomicBool::new(false));
    let signalled_h = signalled.clone();
    let _ = ctrlc::set_handler(move || {
        signalled_h.store(true, Ordering::SeqCst);
        stop_sig.store(true, Ordering::SeqCst);
        // When the terminal has gone (SIGHUP), crossterm's input poll can spin
        // without returning; the analysis thread completes the files within
        // moments, so do not outlive the signal by more than a few seconds.
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_secs(5));
            std::process::exit(i32::from(EXIT_OK));
        });
    });
    let mut session = Session {
        engine: Engine::default(),
        tags,
        given,
        th,
        trusted: args.judge.trusted_issuer.clone(),
        capture_point: args.judge.capture_point,
        diag: Diagnoser::default(),
        recent: VecDeque::new(),
        total_flows: 0,
        csv,
        series: VecDeque::new(),
        upload_finished: 0,
        last_upload_total: 0,
        source: format!("interface {iface}"),
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
            .and_then(|d| {
                // Files are completed here, on the analysis thread, so that
                // they are whole even if the UI thread cannot return.
                let written = match pcap_out {
                    Some(w) => {
                        let n = w.packets();
                        w.finish()?;
                        Some(n)
                    }
                    None => None,
                };
                if let Some(w) = session.csv.as_mut() {
                    w.flush()?;
                }
                Ok((d, written))
            })
        })?;
    if tui {
        ui(ui_rx, &signalled)?;
        ui_stop.store(true, Ordering::SeqCst);
    }
    let result = worker
        .join()
        .map_err(|_| anyhow::anyhow!("the analysis thread stopped unexpectedly"))?;
    cap.stop();
    let (diagnosis, written) = result?;
    if let Some(n) = written {
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
    let findings = diagnosis.has_asr_findings();
    Ok(ExitCode::from(if findings {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }))
}

#[allow(clippy::too_many_arguments)]
fn analysis_loop(
    s: &mut Session,
    rx: std::sync::mpsc::Receiver<FrameBatch>,
    counters: &live::LiveCounters,
    linktype: u32,
    stop: &AtomicBool,
    deadline: Option<Instant>,
    ui: Option<Sender<Arc<Snapshot>>>,
    json: bool,
    interval: Duration,
    mut pcap_out: Option<&mut PcapngWriter<std::io::BufWriter<std::fs::File>>>,
) -> anyhow::Result<Diagnosis> {
    let mut frames = 0u64;
    let mut last_snap = Instant::now();
    let mut last_tick = Instant::now();
    let mut last_summary = Instant::now();
    let mut seen_findings: HashSet<String> = HashSet::new();
    let stdout = std::io::stdout();
    let lines = ui.is_none();
    loop {
        let ended = stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d);
        if ended {
            break;
        }
        match rx.recv_timeout(Duration::from_millis(50)) {
            Ok(b) => {
                for (ts_us, wire_len, data) in b.iter() {
                    frames += 1;
                    if let Some(w) = pcap_out.as_mut() {
                        w.write(ts_us, wire_len, data)?;
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
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
        let mut out = stdout.lock();
        s.judge_finished(&mut |j| print_flow(&mut out, j, lines && json))?;
        drop(out);
        let tick = last_tick.elapsed() >= Duration::from_secs(1);
        if tick {
            last_tick = Instant::now();
        }
        let due_ui = ui.is_some() && last_snap.elapsed() >= Duration::from_millis(250);
        let due_lines = lines && (tick || last_summary.elapsed() >= interval);
        if due_ui || due_lines {
            last_snap = Instant::now();
            let snap = s.snapshot(frames, drops(counters), tick);
            if let Some(tx) = &ui {
                if tx.send(Arc::new(snap)).is_err() {
                    break;
                }
            } else {
                let mut out = stdout.lock();
                for f in snap.diagnosis.findings.iter().filter(|f| f.asr) {
                    if seen_findings.insert(f.title.clone()) {
                        print_finding(&mut out, f, json)?;
                    }
                }
                if last_summary.elapsed() >= interval {
                    last_summary = Instant::now();
                    print_summary(&mut out, &snap, json, false)?;
                }
            }
        }
    }
    // Finish: every flow still open is judged, written and counted.
    s.engine.finish();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    s.judge_finished(&mut |j| print_flow(&mut out, j, lines && json))?;
    let snap = s.snapshot(frames, drops(counters), false);
    if lines {
        for f in snap.diagnosis.findings.iter().filter(|f| f.asr) {
            if seen_findings.insert(f.title.clone()) {
                print_finding(&mut out, f, json)?;
            }
        }
        if json {
            print_summary(&mut out, &snap, json, true)?;
        } else {
            let analysis = Analysis {
                schema_version: SCHEMA_VERSION,
                inputs: vec![],
                capture: snap.capture.clone(),
                diagnosis: snap.diagnosis.clone(),
                dns: snap.dns.clone(),
                flows: vec![],
            };
            let mut sum = report::text::Summary::default();
            for j in &snap.flows {
                sum.add(j);
            }
            writeln!(out)?;
            report::text::write(&mut out, &analysis, &sum)?;
        }
    }
    out.flush()?;
    Ok(snap.diagnosis)
}

/// A finished flow as a JSON line (`"type":"flow"`), when JSON lines are on.
fn print_flow(out: &mut dyn Write, j: &JudgedFlow, on: bool) {
    if on {
        let mut v = serde_json::to_value(j).unwrap_or_default();
        v["type"] = "flow".into();
        let _ = writeln!(out, "{v}");
    }
}

fn print_finding(
    out: &mut dyn Write,
    f: &crate::diagnosis::Finding,
    json: bool,
) -> std::io::Result<()> {
    if json {
        let mut v = serde_json::to_value(f).unwrap_or_default();
        v["type"] = "finding".into();
        writeln!(out, "{v}")
    } else {
        let sev = format!("{:?}", f.severity).to_uppercase();
        let ev = f
            .evidence
            .first()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        writeln!(
            out,
            "{} {sev} {}{}",
            now_hms(),
            report::sanitize::for_terminal(&f.title),
            report::sanitize::for_terminal(&ev)
        )
    }
}

fn print_summary(
    out: &mut dyn Write,
    snap: &Snapshot,
    json: bool,
    last: bool,
) -> std::io::Result<()> {
    let d = snap.drops.unwrap_or_default();
    if json {
        let v = serde_json::json!({
            "type": "summary",
            "final": last,
            "source": snap.source,
            "frames": snap.frames,
            "drops": d,
            "live_flows": snap.live_flows,
            "total_flows": snap.total_flows,
            "source_region": snap.diagnosis.source_region,
            "target_region": snap.diagnosis.target_region,
            "requirements": snap.diagnosis.requirements,
        });
        writeln!(out, "{v}")
    } else {
        let reqs: Vec<String> = snap
            .diagnosis
            .requirements
            .iter()
            .filter(|r| r.status != crate::diagnosis::Status::NotSeen)
            .map(|r| format!("{} {}", r.id, r.status.as_str()))
            .collect();
        let dropped = if d.total() > 0 {
            format!(" DROPPED {}", d.total())
        } else {
            String::new()
        };
        writeln!(
            out,
            "{} {} frames{dropped}, {} live / {} flows; {}",
            now_hms(),
            snap.frames,
            snap.live_flows,
            snap.total_flows,
            if reqs.is_empty() {
                "no Site Recovery traffic yet".to_string()
            } else {
                reqs.join(", ")
            }
        )
    }
}

/// Runs the terminal UI on snapshots.
fn ui(rx: std::sync::mpsc::Receiver<Arc<Snapshot>>, signalled: &AtomicBool) -> anyhow::Result<()> {
    crate::tui::run_until(rx, true, signalled)?;
    Ok(())
}
