//! A support bundle's packet file from any capture: every TCP and UDP flow
//! the engine finds is selected, its packets stripped and written; the file
//! must read back whole, with exactly the packets counted as kept, and
//! analyse without a panic.
#![no_main]

use asrscope::analysis::engine::Engine;
use asrscope::bundle::{PacketFile, Selection};
use asrscope::capture::pcapng_writer::section_header;
use asrscope::decode::TunnelPorts;
use asrscope::frame::Frame;
use asrscope::model::CaptureEnd;
use libfuzzer_sys::fuzz_target;

type Held = (i64, u32, u32, Vec<u8>);

fn frame(f: &Held) -> Frame<'_> {
    Frame {
        ts_us: f.0,
        linktype: f.1,
        wire_len: f.2,
        data: &f.3,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut frames: Vec<Held> = Vec::new();
    let _ = asrscope::capture::read_from("fuzz", data, None, &mut |f| {
        if frames.len() < 4096 {
            frames.push((f.ts_us, f.linktype, f.wire_len, f.data.to_vec()));
        }
    });
    let mut engine = Engine::default();
    for f in &frames {
        engine.ingest(&frame(f));
    }
    engine.finish();
    let mut sel = Selection::default();
    for r in engine.take_finished() {
        sel.add(&r);
    }
    let mut file = PacketFile::new(Vec::new(), TunnelPorts::default());
    for f in &frames {
        file.frame(&sel, &frame(f));
    }
    file.ensure_interface(1);
    let (blocks, counts) = file.finish().unwrap();
    assert_eq!(counts.kept + counts.removed, counts.read);
    let mut bytes = section_header(Some("fuzz"), Some("asrscope (support bundle)"));
    bytes.extend_from_slice(&blocks);
    let mut again = Engine::default();
    let mut n = 0u64;
    let s = asrscope::capture::read_from("bundle", &bytes[..], None, &mut |f| {
        n += 1;
        again.ingest(f);
    })
    .unwrap();
    assert_eq!(s.end, CaptureEnd::Complete);
    assert_eq!(n, counts.kept);
    again.finish();
    let _ = again.take_finished();
});
