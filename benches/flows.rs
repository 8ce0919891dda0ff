//! The cost of one flow, on its own: so that a change that adds work to
//! every flow shows the day it lands.
//!
//! The flow is a real one: the TLS 1.3 connection to Microsoft Entra ID in
//! `captures/healthy-tls12-dns.pcap` (handshake, a request, the close; 19
//! frames). It is repeated [`FLOWS`] times, each copy on its own client port
//! and 50 ms after the previous one; nothing else of the frames changes.
//! Groups, throughput in flows:
//!
//! - `engine`: a fresh [`Engine`] ingesting every frame, then finishing: the
//!   flow table, TCP accounting, the copy filter, reassembly, the TLS
//!   parsers and the flow record;
//! - `judge_csv`: the records of that run judged (verdict, checklist) and
//!   written as CSV rows to nowhere, as `analyze --csv` does;
//! - `whole`: both, one after the other, on one thread.
//!
//! `cargo bench --bench flows` (about half a minute); `docs/PERFORMANCE.md`
//! quotes the time per flow.

use std::hint::black_box;
use std::time::Duration;

use asrscope::analysis::engine::Engine;
use asrscope::capture::read_capture;
use asrscope::cli::{Cli, Command};
use asrscope::diagnosis::Judge;
use asrscope::frame::Frame;
use asrscope::model::FlowRecord;
use asrscope::report::csv::CsvWriter;
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};

/// Copies of the flow in one run.
const FLOWS: usize = 2_000;
/// The flow's server name.
const NAME: &str = "login.microsoftonline.com";

struct Owned {
    ts_us: i64,
    wire_len: u32,
    data: Vec<u8>,
}

/// The frames of the Entra ID flow, and its client port.
fn template() -> (Vec<Owned>, u16) {
    let path = format!(
        "{}/captures/healthy-tls12-dns.pcap",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut frames = Vec::new();
    read_capture(std::path::Path::new(&path), None, &mut |f| {
        assert_eq!(f.linktype, 1, "Ethernet");
        frames.push(Owned {
            ts_us: f.ts_us,
            wire_len: f.wire_len,
            data: f.data.to_vec(),
        })
    })
    .unwrap();
    let mut engine = Engine::default();
    for f in &frames {
        engine.ingest(&frame(f));
    }
    engine.finish();
    let flow = engine
        .take_finished()
        .into_iter()
        .find(|r| r.server_name.as_deref() == Some(NAME))
        .expect("the Entra ID flow");
    let port = flow.src_port;
    let mine: Vec<Owned> = frames
        .into_iter()
        .filter(|f| ports(&f.data).is_some_and(|(s, d)| s == port || d == port))
        .collect();
    assert!(mine.len() >= 10, "{} frames", mine.len());
    (mine, port)
}

/// Where the TCP header of an Ethernet/IPv4 frame begins.
fn tcp_at(d: &[u8]) -> Option<usize> {
    (d.len() > 34 && d[12..14] == [8, 0] && d[23] == 6).then(|| 14 + (d[14] as usize & 15) * 4)
}

fn ports(d: &[u8]) -> Option<(u16, u16)> {
    let t = tcp_at(d)?;
    Some((
        u16::from_be_bytes([d[t], d[t + 1]]),
        u16::from_be_bytes([d[t + 2], d[t + 3]]),
    ))
}

/// The flow repeated: copy `i` on client port `10000 + i`, 50 ms later.
fn flows() -> Vec<Owned> {
    let (tpl, port) = template();
    let t0 = tpl[0].ts_us;
    let mut out = Vec::with_capacity(tpl.len() * FLOWS);
    for i in 0..FLOWS {
        let new = (10_000 + i as u16).to_be_bytes();
        for f in &tpl {
            let mut data = f.data.clone();
            let t = tcp_at(&data).unwrap();
            let at = if ports(&data).unwrap().0 == port {
                t
            } else {
                t + 2
            };
            data[at..at + 2].copy_from_slice(&new);
            out.push(Owned {
                ts_us: t0 + (f.ts_us - t0) + i as i64 * 50_000,
                wire_len: f.wire_len,
                data,
            });
        }
    }
    out
}

fn frame(f: &Owned) -> Frame<'_> {
    Frame {
        ts_us: f.ts_us,
        linktype: 1,
        wire_len: f.wire_len,
        data: &f.data,
    }
}

fn engine_run(frames: &[Owned]) -> Vec<FlowRecord> {
    let mut engine = Engine::default();
    for f in frames {
        engine.ingest(&frame(f));
    }
    engine.finish();
    engine.take_finished()
}

/// A judge as `analyze --source-region eastus --target-region centralus`
/// makes it.
fn judge() -> (Judge, asrscope::app::config::Tags) {
    let cli = <Cli as clap::Parser>::try_parse_from([
        "asrscope",
        "analyze",
        "x.pcap",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ])
    .unwrap();
    let Command::Analyze(a) = cli.command else {
        unreachable!()
    };
    let tags = asrscope::app::config::load_tags(None).unwrap();
    let settings = asrscope::app::config::settings(&tags, &a.azure, &a.judge).unwrap();
    (Judge::new(settings, tags.db()), tags)
}

fn judge_and_write(
    records: Vec<FlowRecord>,
    (mut judge, tags): (Judge, asrscope::app::config::Tags),
) -> usize {
    let mut csv = CsvWriter::new(std::io::sink()).unwrap();
    let mut n = 0;
    for r in records {
        let j = judge.finished(tags.db(), r);
        csv.write(&j.flow, &j.verdict).unwrap();
        n += 1;
    }
    n
}

fn bench(c: &mut Criterion) {
    let frames = flows();
    let records = engine_run(&frames);
    assert_eq!(records.len(), FLOWS);
    assert!(
        records
            .iter()
            .all(|r| r.server_name.as_deref() == Some(NAME))
    );
    let mut g = c.benchmark_group("per_flow");
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .sample_size(20)
        .throughput(Throughput::Elements(FLOWS as u64));
    g.bench_function("engine", |b| b.iter(|| black_box(engine_run(&frames))));
    // The judge (and the service-tag data it reads) is made before timing.
    g.bench_function("judge_csv", |b| {
        b.iter_batched(
            || (records.clone(), judge()),
            |(r, j)| black_box(judge_and_write(r, j)),
            BatchSize::LargeInput,
        )
    });
    g.bench_function("whole", |b| {
        b.iter_batched(
            judge,
            |j| black_box(judge_and_write(engine_run(&frames), j)),
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
