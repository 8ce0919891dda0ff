//! `--filter` on raw-IP captures (a VPN or tun interface), whose file link
//! type (`LINKTYPE_RAW`, 101) is not the data link type libpcap compiles
//! filters for (`DLT_RAW`, 12 on Linux), compared frame for frame with
//! tcpdump on the same files.
//!
//! The captures are made here from the sample Ethernet captures, as anyone
//! can make them, by cutting each frame's 14-byte Ethernet header off and
//! relabelling the file with editcap (Wireshark's, in the tshark package):
//!
//! ```sh
//! editcap -F pcap -C 14 -L -T rawip  captures/ipv6-tls.pcap raw101.pcap       # IPv4 and IPv6
//! editcap -F pcap -C 14 -L -T rawip4 captures/healthy-tls12-dns.pcap raw228.pcap
//! ```
//!
//! and the files other writers make of the first: the same records with the
//! link type 12 or 14 in the header (the `DLT_RAW` of Linux and of OpenBSD,
//! which older tools wrote as it was). tcpdump on Linux cannot read a file
//! of link type 14 at all; asrscope's counts on it are compared with
//! tcpdump's on the same records labelled 101.

mod common;

use common::{capture, have, run, skip};
use serde_json::Value;
use std::process::Command;

/// The filters compared: by port, by family, by address, by TCP flag.
const FILTERS: &[&str] = &[
    "tcp port 443",
    "udp port 53",
    "ip6",
    "ip",
    "host 168.63.129.16",
    "tcp[tcpflags] & tcp-syn != 0",
];

/// Makes `out` from a sample capture with editcap: Ethernet header cut,
/// frame lengths adjusted, relabelled `encap`.
fn editcap(sample: &str, encap: &str, out: &std::path::Path) {
    let st = Command::new("editcap")
        .args([
            "-F",
            "pcap",
            "-C",
            "14",
            "-L",
            "-T",
            encap,
            &capture(sample),
        ])
        .arg(out)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

/// The same pcap file with another link type in its header.
fn relabel(from: &std::path::Path, linktype: u32, out: &std::path::Path) {
    let mut b = std::fs::read(from).unwrap();
    assert_eq!(b[..4], 0xa1b2_c3d4u32.to_le_bytes(), "a little-endian pcap");
    b[20..24].copy_from_slice(&linktype.to_le_bytes());
    std::fs::write(out, b).unwrap();
}

/// How many frames tcpdump passes through `filter`, or its message when it
/// refuses the filter for the file's link type.
fn tcpdump(file: &std::path::Path, filter: &str) -> Result<usize, String> {
    let out = Command::new("tcpdump")
        .args(["-n", "-r"])
        .arg(file)
        .arg(filter)
        .output()
        .unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).lines().count())
}

/// How many frames asrscope analyses with `--filter filter` (the JSON's
/// `capture.frames`) and the link types it names, or its message when it
/// refuses the filter.
fn asrscope(file: &std::path::Path, filter: &str) -> Result<(usize, Value), String> {
    let path = file.to_string_lossy();
    let (code, out, err) = run(&["analyze", "--filter", filter, "--format", "json", &path]);
    if code == 2 {
        return Err(err);
    }
    assert!(
        code == 0 || code == 1,
        "--filter '{filter}' on {path}: {err}"
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let frames = v["capture"]["frames"].as_u64().unwrap() as usize;
    Ok((frames, v["inputs"][0]["linktypes"].clone()))
}

#[test]
fn filters_on_raw_ip_captures_pass_what_tcpdump_passes() {
    for tool in ["editcap", "tcpdump"] {
        if !have(tool) {
            return skip(&format!(
                "{tool} is not installed: apt-get install tshark tcpdump"
            ));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name);
    editcap("ipv6-tls.pcap", "rawip", &at("raw101.pcap"));
    editcap("healthy-tls12-dns.pcap", "rawip4", &at("raw228.pcap"));
    relabel(&at("raw101.pcap"), 12, &at("raw12.pcap"));
    relabel(&at("raw101.pcap"), 14, &at("raw14.pcap"));
    // (file asrscope reads, its link type, file tcpdump reads)
    let cases = [
        ("raw101.pcap", 101, "raw101.pcap"),
        ("raw12.pcap", 12, "raw12.pcap"),
        ("raw14.pcap", 14, "raw101.pcap"),
        ("raw228.pcap", 228, "raw228.pcap"),
    ];
    let mut compared = 0;
    for (file, linktype, reference) in cases {
        // Nothing filtered: every frame, and the link type read from the file.
        let (all, lts) = asrscope(&at(file), "ip or ip6").unwrap();
        assert_eq!(Ok(all), tcpdump(&at(reference), ""), "{file}");
        assert_eq!(lts, serde_json::json!([linktype]), "{file}");
        for filter in FILTERS {
            match (tcpdump(&at(reference), filter), asrscope(&at(file), filter)) {
                (Ok(want), Ok((got, _))) => {
                    assert_eq!(got, want, "{file} (link type {linktype}), '{filter}'")
                }
                // `ip6` on an IPv4-only link type: both refuse it alike.
                (Err(want), Err(got)) => {
                    assert!(want.contains("expression rejects all packets"), "{want}");
                    assert!(got.contains("expression rejects all packets"), "{got}");
                    assert_eq!(got.lines().count(), 1, "{got}");
                }
                (want, got) => panic!("{file}, '{filter}': tcpdump {want:?}, asrscope {got:?}"),
            }
            compared += 1;
        }
    }
    assert_eq!(compared, cases.len() * FILTERS.len());
    // The filters tell the files apart: not everything, not nothing.
    assert_eq!(tcpdump(&at("raw101.pcap"), "ip6"), Ok(43));
    assert_eq!(tcpdump(&at("raw101.pcap"), "udp port 53"), Ok(4));
    assert_eq!(
        tcpdump(&at("raw228.pcap"), "tcp port 443").map(|n| n > 100),
        Ok(true)
    );
}
