//! The NSG and route exports (`--nsg`, `--routes`): any text either parses or
//! is refused, and what parses can be indexed and evaluated.
#![no_main]

use asrscope::azure::tags::TagDb;
use asrscope::azure::{Network, nsg, routes};
use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv4Addr};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let tags = TagDb::embedded();
    let ip = IpAddr::V4(Ipv4Addr::new(13, 89, 170, 130));
    if let Ok(n) = nsg::parse_nsgs(text) {
        let network = Network::new(n, vec![], tags);
        let _ = network.nsg_verdict(&nsg::Flow::tcp(ip, 443), tags);
    }
    if let Ok(r) = routes::parse_routes(text) {
        let _ = Network::new(vec![], r, tags).route(ip, tags);
    }
});
