//! TLS client side: ClientHello parsing, partial parsing and hello search.
#![no_main]

use asrscope::proto::tls;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tls::parse_client(data);
    let _ = tls::client_hello_partial(data);
    let _ = tls::find_hello(data, 0, 1);
});
