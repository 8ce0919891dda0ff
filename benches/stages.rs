//! Criterion benchmarks of the analysis stages one at a time, each on bytes
//! taken from the repository's own sample captures in `captures/` (read once
//! with [`asrscope::capture::read_capture`] before anything is timed; no packet
//! bytes are made up here).
//!
//! Groups:
//!
//! - `decode`: [`asrscope::decode::decode`] over every frame of one capture per
//!   benchmark (`healthy-tls12-dns.pcap` plain Ethernet, `nva-vxlan.pcap`
//!   VXLAN, `qinq-tls.pcap` 802.1ad + 802.1Q, `any-sll2.pcap` LINUX_SLL2);
//!   throughput in captured bytes.
//! - `flow_update`: a fresh [`Engine`] ingesting every frame of
//!   `loss-ratelimit.pcap` (bulk TCP with loss and retransmissions, snap length
//!   256): decode, flow table, TCP health, reassembly and app-layer parsing;
//!   throughput in frames. Building and dropping the engine are not timed.
//! - `hello`: [`tls::parse_client`] on the ClientHello of
//!   `split-clienthello.pcap`, reassembled from the client's port-443 segments
//!   sent before the server's first data; [`tls::parse_server`] on the server's
//!   first flight (ServerHello, certificates) of the first TLS 1.2 flow of
//!   `healthy-tls12-dns.pcap`, from its in-order port-443 segments up to the
//!   point where the parser is done. Throughput in bytes.
//! - `dns`: [`dns::parse`] over every UDP port-53 payload of
//!   `healthy-tls12-dns.pcap` and `dns-failures.pcap`; throughput in messages.
//! - `tag_lookup`: [`TagDb::lookup`] on the embedded service-tag database
//!   (built before timing) for the server address of every flow the engine
//!   finds in `captures/*.pcap*`, and for 1,000 addresses from a seeded
//!   xorshift (three in four IPv4, the rest IPv6); throughput in lookups.
//!
//! Run all with `cargo bench --bench stages` (about a minute), one group with
//! e.g. `cargo bench --bench stages -- hello`, or a quick pass with
//! `cargo bench --bench stages -- --quick`. Measurement times are kept short
//! (1 s warm-up, 3 s measurement, 20 samples); pass `--measurement-time` to
//! lengthen them.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use asrscope::analysis::engine::Engine;
use asrscope::azure::tags::TagDb;
use asrscope::capture::read_capture;
use asrscope::decode::{L4, decode};
use asrscope::frame::Frame;
use asrscope::proto::{Progress, dns, tls};
use criterion::{
    BatchSize, BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main,
    measurement::WallTime,
};

/// A frame copied out of a capture.
struct OwnedFrame {
    ts_us: i64,
    linktype: u32,
    wire_len: u32,
    data: Vec<u8>,
}

impl OwnedFrame {
    fn frame(&self) -> Frame<'_> {
        Frame {
            ts_us: self.ts_us,
            linktype: self.linktype,
            wire_len: self.wire_len,
            data: &self.data,
        }
    }
}

fn capture_path(name: &str) -> String {
    format!("{}/captures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Every frame of a sample capture (a damaged tail is ignored, as the reader
/// delivers everything before it).
fn load(name: &str) -> Vec<OwnedFrame> {
    let mut frames = Vec::new();
    read_capture(std::path::Path::new(&capture_path(name)), None, &mut |f| {
        frames.push(OwnedFrame {
            ts_us: f.ts_us,
            linktype: f.linktype,
            wire_len: f.wire_len,
            data: f.data.to_vec(),
        })
    })
    .unwrap_or_else(|e| panic!("reading {name}: {e}"));
    assert!(!frames.is_empty(), "{name} has no frames");
    frames
}

fn configure(g: &mut BenchmarkGroup<'_, WallTime>) {
    g.warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
}

fn bench_decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    configure(&mut g);
    for name in [
        "healthy-tls12-dns.pcap",
        "nva-vxlan.pcap",
        "qinq-tls.pcap",
        "any-sll2.pcap",
    ] {
        let frames = load(name);
        let bytes: usize = frames.iter().map(|f| f.data.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                for f in &frames {
                    let _ = black_box(decode(black_box(f.linktype), black_box(&f.data)));
                }
            })
        });
    }
    g.finish();
}

fn bench_flow_update(c: &mut Criterion) {
    let frames = load("loss-ratelimit.pcap");
    let mut g = c.benchmark_group("flow_update");
    configure(&mut g);
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("loss-ratelimit.pcap", |b| {
        b.iter_batched(
            Engine::default,
            |mut engine| {
                for f in &frames {
                    engine.ingest(&f.frame());
                }
                engine
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// One TCP segment's payload as the capture shows it.
struct Segment {
    client: (IpAddr, u16),
    from_server: bool,
    seq: u32,
    payload: Vec<u8>,
}

/// The port-443 TCP segments with payload of a capture, in capture order.
fn tls_segments(frames: &[OwnedFrame]) -> Vec<Segment> {
    let mut out = Vec::new();
    for f in frames {
        let Ok(p) = decode(f.linktype, &f.data) else {
            continue;
        };
        let L4::Tcp(t) = p.l4 else { continue };
        if t.payload.is_empty() {
            continue;
        }
        let (client, from_server) = if t.dport == 443 {
            ((p.src, t.sport), false)
        } else if t.sport == 443 {
            ((p.dst, t.dport), true)
        } else {
            continue;
        };
        out.push(Segment {
            client,
            from_server,
            seq: t.seq,
            payload: t.payload.to_vec(),
        });
    }
    out
}

/// Appends `s` when it continues the stream at `next` (the first segment
/// starts it); retransmissions and segments after a gap are skipped.
fn append_in_order(buf: &mut Vec<u8>, next: &mut Option<u32>, s: &Segment) -> bool {
    if next.is_some_and(|n| n != s.seq) {
        return false;
    }
    buf.extend_from_slice(&s.payload);
    *next = Some(s.seq.wrapping_add(s.payload.len() as u32));
    true
}

/// The ClientHello of `split-clienthello.pcap`: the client's payload on its
/// port-443 flow up to the server's first data.
fn split_client_hello() -> Vec<u8> {
    let segs = tls_segments(&load("split-clienthello.pcap"));
    let client = segs
        .iter()
        .find(|s| !s.from_server)
        .expect("a client TLS segment")
        .client;
    let mut buf = Vec::new();
    let mut next = None;
    for s in segs.iter().filter(|s| s.client == client) {
        if s.from_server {
            break;
        }
        append_in_order(&mut buf, &mut next, s);
    }
    match tls::parse_client(&buf) {
        Progress::Done(h) => assert!(h.complete && h.sni.is_some(), "{h:?}"),
        _ => panic!(
            "split-clienthello.pcap: no whole ClientHello in {} bytes",
            buf.len()
        ),
    }
    buf
}

/// The server's first flight of the first TLS 1.2 flow (with certificates in
/// clear) of `healthy-tls12-dns.pcap`, up to where `parse_server` is done.
fn tls12_server_flight() -> Vec<u8> {
    let segs = tls_segments(&load("healthy-tls12-dns.pcap"));
    let mut clients: Vec<(IpAddr, u16)> = Vec::new();
    for s in &segs {
        if !clients.contains(&s.client) {
            clients.push(s.client);
        }
    }
    for client in clients {
        let mut buf = Vec::new();
        let mut next = None;
        for s in segs.iter().filter(|s| s.client == client && s.from_server) {
            if !append_in_order(&mut buf, &mut next, s) {
                continue;
            }
            match tls::parse_server(&buf) {
                Progress::NeedMore(_) => continue,
                Progress::Done(f) if f.version == Some(0x0303) && !f.certs.is_empty() => {
                    return buf;
                }
                _ => break,
            }
        }
    }
    panic!("healthy-tls12-dns.pcap: no TLS 1.2 server flight with certificates");
}

fn bench_hello(c: &mut Criterion) {
    let client = split_client_hello();
    let server = tls12_server_flight();
    let mut g = c.benchmark_group("hello");
    configure(&mut g);
    g.throughput(Throughput::Bytes(client.len() as u64));
    g.bench_function("parse_client/split-clienthello.pcap", |b| {
        b.iter(|| black_box(tls::parse_client(black_box(&client))))
    });
    g.throughput(Throughput::Bytes(server.len() as u64));
    g.bench_function("parse_server/healthy-tls12-dns.pcap", |b| {
        b.iter(|| black_box(tls::parse_server(black_box(&server))))
    });
    g.finish();
}

fn bench_dns(c: &mut Criterion) {
    let mut msgs: Vec<Vec<u8>> = Vec::new();
    for name in ["healthy-tls12-dns.pcap", "dns-failures.pcap"] {
        for f in load(name) {
            if let Ok(p) = decode(f.linktype, &f.data)
                && let L4::Udp(u) = p.l4
                && (u.sport == 53 || u.dport == 53)
            {
                msgs.push(u.payload.to_vec());
            }
        }
    }
    assert!(!msgs.is_empty(), "no DNS messages in the sample captures");
    let mut g = c.benchmark_group("dns");
    configure(&mut g);
    g.throughput(Throughput::Elements(msgs.len() as u64));
    g.bench_function("parse/healthy+failures", |b| {
        b.iter(|| {
            for m in &msgs {
                black_box(dns::parse(black_box(m)));
            }
        })
    });
    g.finish();
}

/// The server address of every flow the engine reports in every sample capture.
fn flow_destinations() -> Vec<IpAddr> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/captures");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("captures/")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in &names {
        let mut engine = Engine::default();
        for f in load(name) {
            engine.ingest(&f.frame());
        }
        engine.finish();
        out.extend(engine.take_finished().iter().map(|r| r.dst_ip));
    }
    out
}

/// 1,000 addresses from a seeded xorshift64: three in four IPv4, the rest IPv6.
fn xorshift_addresses() -> Vec<IpAddr> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..1000)
        .map(|_| {
            let r = next();
            if r & 3 == 0 {
                let hi = u128::from(next()) << 64;
                IpAddr::V6(Ipv6Addr::from(hi | u128::from(next())))
            } else {
                IpAddr::V4(Ipv4Addr::from((r >> 32) as u32))
            }
        })
        .collect()
}

fn bench_tag_lookup(c: &mut Criterion) {
    let db = TagDb::embedded();
    let sets = [
        ("flow_destinations", flow_destinations()),
        ("xorshift_1000", xorshift_addresses()),
    ];
    let mut g = c.benchmark_group("tag_lookup");
    configure(&mut g);
    for (label, addrs) in &sets {
        assert!(!addrs.is_empty(), "{label}: no addresses");
        g.throughput(Throughput::Elements(addrs.len() as u64));
        g.bench_function(*label, |b| {
            b.iter(|| {
                for ip in addrs {
                    black_box(db.lookup(black_box(*ip)));
                }
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    bench_decode,
    bench_flow_update,
    bench_hello,
    bench_dns,
    bench_tag_lookup
);
criterion_main!(benches);
