//! HTTP CONNECT: proxy request and response heads.
#![no_main]

use asrscope::proto::http_connect;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = http_connect::parse_request(data);
    let _ = http_connect::parse_response(data);
});
