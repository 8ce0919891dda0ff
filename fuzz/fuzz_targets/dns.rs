//! DNS over UDP and TCP; follows the CNAME chain of every answer that parses.
#![no_main]

use asrscope::proto::{Progress, dns};
use libfuzzer_sys::fuzz_target;

fn chains(msg: &dns::Message) {
    for a in &msg.answers {
        let _ = msg.chain_head(&a.name);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(msg) = dns::parse(data) {
        chains(&msg);
    }
    if let Progress::Done((msg, _)) = dns::parse_tcp(data) {
        chains(&msg);
    }
});
