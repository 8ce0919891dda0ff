//! Throughput of the analysis on frames already in memory (no file reading):
//! decode, flow update, reassembly and parsing, over the sample captures, or
//! over the captures given in `ASRSCOPE_BENCH_FILES` (colon-separated).
//!
//! Run with `cargo bench --bench ingest`. Prints frames per second and MB/s,
//! best of five rounds. Timing is reported, never asserted.

use asrscope::analysis::engine::Engine;
use asrscope::capture::read_capture;
use asrscope::frame::Frame;
use std::time::Instant;

fn main() {
    let files: Vec<String> = match std::env::var("ASRSCOPE_BENCH_FILES") {
        Ok(v) => v.split(':').map(str::to_string).collect(),
        Err(_) => {
            let mut v: Vec<String> =
                std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/captures"))
                    .map(|d| {
                        d.filter_map(|e| e.ok())
                            .map(|e| e.path().to_string_lossy().to_string())
                            .filter(|p| p.ends_with(".pcap") || p.ends_with(".pcapng"))
                            .collect()
                    })
                    .unwrap_or_default();
            v.sort();
            v
        }
    };
    let mut frames: Vec<(i64, u32, u32, Vec<u8>)> = Vec::new();
    for f in &files {
        let _ = read_capture(std::path::Path::new(f), None, &mut |fr| {
            frames.push((fr.ts_us, fr.linktype, fr.wire_len, fr.data.to_vec()))
        });
    }
    let bytes: usize = frames.iter().map(|f| f.3.len()).sum();
    if frames.is_empty() {
        eprintln!("no frames to measure");
        return;
    }
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let mut e = Engine::default();
        for (ts, lt, wl, d) in &frames {
            e.ingest(&Frame {
                ts_us: *ts,
                linktype: *lt,
                wire_len: *wl,
                data: d,
            });
        }
        e.finish();
        std::hint::black_box(e.take_finished());
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "ingest: {} frames, {:.1} MB in {:.3} s: {:.0} frames/s, {:.0} MB/s",
        frames.len(),
        bytes as f64 / 1e6,
        best,
        frames.len() as f64 / best,
        bytes as f64 / 1e6 / best
    );
}
