//! Decoder: the first byte picks a supported link type, the rest is the frame.
#![no_main]

use asrscope::decode::{SUPPORTED_LINKTYPES, decode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&pick, frame)) = input.split_first() else {
        return;
    };
    let (linktype, _) = SUPPORTED_LINKTYPES[pick as usize % SUPPORTED_LINKTYPES.len()];
    let _ = decode(linktype, frame);
});
