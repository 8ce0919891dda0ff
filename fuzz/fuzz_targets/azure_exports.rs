//! The NSG and route exports (`--nsg`, `--routes`): any bytes are decoded as
//! asrscope reads a file (UTF-8 with or without a BOM, UTF-16 with one), and
//! the text either parses or is refused in one line; what parses can be
//! indexed and evaluated.
#![no_main]

use asrscope::azure::tags::TagDb;
use asrscope::azure::{Network, nsg, routes};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};

fuzz_target!(|data: &[u8]| {
    let text = match asrscope::app::config::decode_text(data) {
        Ok(t) => t,
        Err(why) => {
            assert!(!why.contains('\n'));
            return;
        }
    };
    let tags = TagDb::embedded();
    let ip = IpAddr::V4(Ipv4Addr::new(13, 89, 170, 130));
    match nsg::parse_nsgs(&text) {
        Ok(n) => {
            let network = Network::new(n, vec![], tags);
            let _ = network.nsg_verdict(&nsg::Flow::tcp(ip, 443), tags);
        }
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
    match routes::parse_routes(&text) {
        Ok(r) => {
            let _ = Network::new(vec![], r, tags).route(ip, tags);
        }
        Err(e) => assert!(!e.to_string().contains('\n')),
    }
});
