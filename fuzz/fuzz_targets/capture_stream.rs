//! The capture reader on a stream (standard input, a fifo), and the engine
//! on what it reads: any bytes after a pcap or pcapng magic either read as
//! frames or stop with one line saying where, never a panic or a line
//! holding the input's bytes; frames carry whatever timestamps the file
//! claims (interface offsets and resolutions included) into the engine.
#![no_main]

use asrscope::analysis::engine::Engine;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut engine = Engine::default();
    match asrscope::capture::read_from("fuzz", data, None, &mut |f| engine.ingest(f)) {
        Ok(summary) => {
            if let asrscope::model::CaptureEnd::Damaged { damage, .. } = &summary.end {
                let message = asrscope::render::capture::damage(damage);
                assert!(!message.contains('\n') && message.len() < 300, "{message}");
            }
        }
        Err(e) => {
            let m = e.to_string();
            assert!(!m.contains('\n') && m.len() < 400, "{m}");
        }
    }
    engine.finish();
    let _ = engine.take_finished();
});
