//! The `community_id` of every flow is the one Wireshark gives the same
//! connection: tshark's Community ID dissector (`communityid`, Wireshark's
//! own implementation of the specification) reads the sample captures, and
//! every TCP and UDP flow of `analyze --csv` must carry the ID tshark gives
//! its packets, in either direction. (The hash itself is checked against the
//! specification's published baselines in `src/flow/community_id.rs`.)

mod common;

use common::{capture, csv_column, have, run, skip};
use std::collections::HashMap;
use std::process::Command;

/// tshark's Community ID of each packet, by (transport, source, source
/// port, destination, destination port) as the packet went.
fn tshark_ids(cap: &str) -> HashMap<(String, String, String, String, String), String> {
    let fields = [
        "ip.src",
        "ipv6.src",
        "tcp.srcport",
        "udp.srcport",
        "ip.dst",
        "ipv6.dst",
        "tcp.dstport",
        "udp.dstport",
        "communityid",
    ];
    let mut args = vec![
        "-r",
        cap,
        "--enable-protocol",
        "communityid",
        "-Y",
        "tcp or udp",
        "-T",
        "fields",
    ];
    for f in &fields {
        args.extend(["-e", f]);
    }
    let out = Command::new("tshark").args(&args).output().unwrap();
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut ids = HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let c: Vec<&str> = line.split('\t').collect();
        let either = |a: &str, b: &str| if a.is_empty() { b } else { a }.to_string();
        let transport = if c[2].is_empty() { "udp" } else { "tcp" };
        let key = (
            transport.to_string(),
            either(c[0], c[1]),
            either(c[2], c[3]),
            either(c[4], c[5]),
            either(c[6], c[7]),
        );
        ids.insert(key, c[8].to_string());
    }
    ids
}

#[test]
fn every_flow_has_the_community_id_tshark_gives_its_packets() {
    if !have("tshark") {
        return skip("tshark is not installed (apt-get install tshark)");
    }
    let mut compared = 0;
    for name in ["healthy-tls12-dns.pcap", "ipv6-tls.pcap", "proxy-407.pcap"] {
        let cap = capture(name);
        let (code, csv, err) = run(&["analyze", "--csv", "-", &cap]);
        assert!(code == 0 || code == 1, "{name}: exit {code}: {err}");
        let col = |c: &str| csv_column(&csv, c);
        let (transport, src, sport, dst, dport, id) = (
            col("transport"),
            col("src_ip"),
            col("src_port"),
            col("dst_ip"),
            col("dst_port"),
            col("community_id"),
        );
        let tshark = tshark_ids(&cap);
        for i in 0..id.len() {
            let out = (
                transport[i].clone(),
                src[i].clone(),
                sport[i].clone(),
                dst[i].clone(),
                dport[i].clone(),
            );
            let back = (
                transport[i].clone(),
                dst[i].clone(),
                dport[i].clone(),
                src[i].clone(),
                sport[i].clone(),
            );
            let theirs = tshark
                .get(&out)
                .unwrap_or_else(|| panic!("{name}: tshark saw no packet of {out:?}"));
            assert_eq!(&id[i], theirs, "{name}: {out:?}");
            if let Some(reply) = tshark.get(&back) {
                assert_eq!(&id[i], reply, "{name}: the reply of {out:?}");
            }
            compared += 1;
        }
    }
    assert!(compared >= 5, "only {compared} flows compared");
}
