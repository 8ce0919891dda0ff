//! The capture reader on a stream (standard input, a fifo): any bytes after a
//! pcap or pcapng magic either read as frames or stop with one line saying
//! where, never a panic or a line holding the input's bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut frames = 0u64;
    match asrscope::capture::read_from("fuzz", data, None, &mut |f| {
        frames += 1;
        let _ = f.data.len();
    }) {
        Ok(summary) => {
            if let asrscope::model::CaptureEnd::Damaged { message, .. } = &summary.end {
                assert!(!message.contains('\n') && message.len() < 300, "{message}");
            }
        }
        Err(e) => {
            let m = e.to_string();
            assert!(!m.contains('\n') && m.len() < 400, "{m}");
        }
    }
});
