//! Whole engine over Ethernet frames, each after a 2-byte big-endian header: 4 bits time step, 12 bits length.
#![no_main]

use asrscope::analysis::engine::Engine;
use asrscope::frame::Frame;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let mut engine = Engine::default();
    let mut rest = input;
    let mut ts_us: i64 = 1_700_000_000_000_000;
    while let [hi, lo, tail @ ..] = rest {
        // Step k advances the clock by 2^(2k+6) µs: 64 µs up to about 19 hours.
        ts_us += 1i64 << (2 * (hi >> 4) + 6);
        let len = ((u16::from_be_bytes([*hi, *lo]) & 0x0fff) as usize).min(tail.len());
        let (data, next) = tail.split_at(len);
        engine.ingest(&Frame { ts_us, linktype: 1, wire_len: data.len() as u32, data });
        rest = next;
    }
    engine.finish();
    let _ = engine.take_finished();
});
