//! Inputs that made a fuzz target fail (see `fuzz/README.md`), kept so that
//! `cargo test` keeps each bug fixed. Each feeds the API its target calls.

use asrscope::analysis::engine::Engine;
use asrscope::model::{CaptureDamage, CaptureEnd};

/// What the `capture_stream` target does: read a capture from a stream and
/// run every frame through the engine.
fn read_and_analyse(bytes: &[u8]) -> (u64, CaptureEnd) {
    let mut engine = Engine::default();
    let mut frames = 0;
    let summary = asrscope::capture::read_from("fuzz", bytes, None, &mut |f| {
        frames += 1;
        engine.ingest(f);
    })
    .expect("a pcapng header");
    engine.finish();
    let _ = engine.take_finished();
    (frames, summary.end)
}

/// pcap-parser 0.17 subtracts 12 from a block's length before checking it
/// for process information blocks (type 0x80000001, which pktmon's and
/// Wireshark's files hold): a block claiming 8 bytes underflowed.
#[test]
fn capture_stream_process_information_block_shorter_than_a_header() {
    let mut bytes = Vec::new();
    // Section header: little-endian, version 1.0, section length unknown.
    bytes.extend_from_slice(&[0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0]);
    bytes.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    bytes.extend_from_slice(&[1, 0, 0, 0]);
    bytes.extend_from_slice(&[0xff; 8]);
    bytes.extend_from_slice(&28u32.to_le_bytes());
    // The process information block.
    bytes.extend_from_slice(&0x8000_0001u32.to_le_bytes());
    bytes.extend_from_slice(&8u32.to_le_bytes());
    let (frames, end) = read_and_analyse(&bytes);
    assert_eq!(frames, 0);
    assert_eq!(
        end,
        CaptureEnd::Damaged {
            after_frame: 0,
            damage: CaptureDamage::BlockShorterThanHeader { at: 28, len: 8 },
        }
    );
}

/// An interface description whose if_tsoffset (seconds added to every
/// timestamp) is near the end of i64: the microseconds overflowed.
#[test]
fn capture_stream_interface_time_offset_near_the_end_of_time() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/fuzz/capture_stream-if-tsoffset.pcapng"
    ))
    .unwrap();
    let (frames, _) = read_and_analyse(&bytes);
    assert!(frames > 0);
}

/// pcapng blocks, little-endian: a section header, an interface (link type
/// Ethernet) with options, an enhanced packet.
fn block(kind: u32, body: &[u8]) -> Vec<u8> {
    let len = (12 + body.len()) as u32;
    let mut b = kind.to_le_bytes().to_vec();
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(body);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

fn interface(tsoffset: Option<i64>) -> Vec<u8> {
    let mut body = vec![1, 0, 0, 0, 0, 0, 4, 0]; // Ethernet, snap length 262144
    if let Some(o) = tsoffset {
        body.extend_from_slice(&14u16.to_le_bytes()); // if_tsoffset
        body.extend_from_slice(&8u16.to_le_bytes());
        body.extend_from_slice(&o.to_le_bytes());
        body.extend_from_slice(&[0; 4]); // end of options
    }
    block(1, &body)
}

fn packet(iface: u32, ts: u64, frame: &[u8]) -> Vec<u8> {
    let mut body = iface.to_le_bytes().to_vec();
    body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
    body.extend_from_slice(&(ts as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(&(frame.len() as u32).to_le_bytes());
    body.extend_from_slice(frame);
    body.resize(body.len().div_ceil(4) * 4, 0);
    block(6, &body)
}

/// An Ethernet frame with an IPv4 TCP SYN from 10.0.0.1:40000 to 10.0.0.2:443.
fn syn() -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend_from_slice(&[
        0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ]);
    f.extend_from_slice(&40000u16.to_be_bytes());
    f.extend_from_slice(&443u16.to_be_bytes());
    f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
    f
}

/// Frames of interfaces whose time offsets lie near opposite ends of i64
/// seconds: the engine's time differences overflowed (in the copy filter
/// first). Every capture source now clamps times to years 0 through 9999.
#[test]
fn capture_stream_times_far_apart() {
    let mut bytes = block(
        0x0a0d_0d0a,
        &[
            0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ],
    );
    bytes.extend(interface(Some(i64::MAX / 2)));
    bytes.extend(interface(Some(i64::MIN / 2)));
    bytes.extend(interface(None));
    for (iface, ts) in [
        (0, u64::MAX),
        (1, 0),
        (2, 1_700_000_000_000_000),
        (0, 5),
        (1, u64::MAX),
    ] {
        bytes.extend(packet(iface, ts, &syn()));
    }
    let (frames, end) = read_and_analyse(&bytes);
    assert_eq!(frames, 5);
    assert_eq!(end, CaptureEnd::Complete);
}
