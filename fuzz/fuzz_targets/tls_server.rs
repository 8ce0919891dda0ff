//! TLS server side: ServerHello/Certificate/Alert parsing and certificate names.
#![no_main]

use asrscope::proto::tls;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = tls::parse_server(data);
    let _ = tls::server_partial(data);
    let _ = tls::cert_names(data);
});
