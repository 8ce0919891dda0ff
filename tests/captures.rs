//! End to end: the binary on the sample captures in `captures/` (real traffic
//! made by `captures/make-captures.sh`), checked flow by flow against what each
//! capture holds: tshark's per-frame ground truth in `captures/truth/` and the
//! fault the script applied (`captures/manifest.tsv`).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn capture(name: &str) -> String {
    root()
        .join("captures")
        .join(name)
        .to_string_lossy()
        .to_string()
}

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn asrscope(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_asrscope"))
        .args(args)
        .output()
        .expect("runs");
    Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

fn json(name: &str) -> serde_json::Value {
    let r = asrscope(&["analyze", "--format", "json", &capture(name)]);
    assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    serde_json::from_str(&r.stdout).expect("valid JSON")
}

type Row = HashMap<String, String>;

fn csv_rows(name: &str) -> Vec<Row> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flows.csv");
    let r = asrscope(&["analyze", "--csv", out.to_str().unwrap(), &capture(name)]);
    assert!(
        r.code == 0 || name == "truncated.pcap",
        "{name}: {}",
        r.stderr
    );
    let mut rd = csv::Reader::from_path(&out).unwrap();
    let h = rd.headers().unwrap().clone();
    rd.records()
        .map(|x| {
            h.iter()
                .zip(x.unwrap().iter())
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        })
        .collect()
}

fn truth(name: &str) -> Vec<Row> {
    let stem = name.rsplit_once('.').unwrap().0;
    let path = root().join("captures/truth").join(format!("{stem}.tsv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{}", path.display()));
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn last(v: &str) -> &str {
    v.rsplit('|').next().unwrap_or("")
}

/// Per-flow facts from tshark's frames.
#[derive(Debug, Default, Clone)]
struct TruthFlow {
    client: Option<(IpAddr, u16)>,
    packets: [u64; 2],
    bytes: [u64; 2],
    retrans: u64,
    dup_acks: u64,
    zero_windows: u64,
    sni: Option<String>,
    interfaces: Vec<String>,
    syns: u64,
}

/// TCP flows from the truth, keyed by the unordered pair of endpoints.
fn truth_tcp_flows(name: &str) -> BTreeMap<((IpAddr, u16), (IpAddr, u16)), TruthFlow> {
    let mut flows: BTreeMap<_, TruthFlow> = BTreeMap::new();
    let frames = truth(name);
    // Frames of a flow seen on several interfaces are counted on the first only.
    let mut first_if: HashMap<((IpAddr, u16), (IpAddr, u16)), String> = HashMap::new();
    for pass in 0..2 {
        for f in &frames {
            if f["frame.protocols"].contains("icmp") || f["tcp.srcport"].is_empty() {
                continue;
            }
            let src: IpAddr = last(if f["ipv6.src"].is_empty() {
                &f["ip.src"]
            } else {
                &f["ipv6.src"]
            })
            .parse()
            .unwrap();
            let dst: IpAddr = last(if f["ipv6.dst"].is_empty() {
                &f["ip.dst"]
            } else {
                &f["ipv6.dst"]
            })
            .parse()
            .unwrap();
            let s = (src, last(&f["tcp.srcport"]).parse::<u16>().unwrap());
            let d = (dst, last(&f["tcp.dstport"]).parse::<u16>().unwrap());
            let key = if s <= d { (s, d) } else { (d, s) };
            let iface = f.get("frame.interface_id").cloned().unwrap_or_default();
            let syn = f["tcp.flags.syn"] == "1" || f["tcp.flags.syn"] == "True";
            let ack = f["tcp.flags.ack"] == "1" || f["tcp.flags.ack"] == "True";
            let t = flows.entry(key).or_default();
            if pass == 0 {
                first_if.entry(key).or_insert(iface);
                // The client sent the SYN; without one, it has the higher port.
                if syn && !ack {
                    t.client.get_or_insert(s);
                }
                if syn && ack {
                    t.client.get_or_insert(d);
                }
                continue;
            }
            if t.client.is_none() {
                t.client = Some(if key.0.1 > key.1.1 { key.0 } else { key.1 });
            }
            if !t.interfaces.contains(&iface) {
                t.interfaces.push(iface.clone());
            }
            if first_if[&key] != iface {
                continue;
            }
            if syn && !ack {
                t.syns += 1;
            }
            let dir = match t.client {
                Some(c) if c == s => 0,
                Some(_) => 1,
                None => 0,
            };
            t.packets[dir] += 1;
            t.bytes[dir] += last(&f["tcp.len"]).parse::<u64>().unwrap_or(0);
            if !f["tcp.analysis.retransmission"].is_empty()
                || !f["tcp.analysis.fast_retransmission"].is_empty()
            {
                t.retrans += 1;
            }
            if !f["tcp.analysis.duplicate_ack"].is_empty() {
                t.dup_acks += 1;
            }
            if !f["tcp.analysis.zero_window"].is_empty() {
                t.zero_windows += 1;
            }
            let sni = &f["tls.handshake.extensions_server_name"];
            if !sni.is_empty() {
                t.sni = Some(last(sni).to_string());
            }
        }
    }
    flows
}

fn our_flow<'a>(rows: &'a [Row], a: (IpAddr, u16), b: (IpAddr, u16)) -> Option<&'a Row> {
    rows.iter().find(|r| {
        r["transport"] == "tcp" && {
            let s: (IpAddr, u16) = (r["src_ip"].parse().unwrap(), r["src_port"].parse().unwrap());
            let d: (IpAddr, u16) = (r["dst_ip"].parse().unwrap(), r["dst_port"].parse().unwrap());
            (s, d) == (a, b) || (s, d) == (b, a)
        }
    })
}

fn all_captures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("captures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_tcp_flow_matches_tshark_field_by_field() {
    let mut checked = 0;
    for name in all_captures() {
        let rows = csv_rows(&name);
        for ((a, b), t) in truth_tcp_flows(&name) {
            let r =
                our_flow(&rows, a, b).unwrap_or_else(|| panic!("{name}: no flow {a:?} <-> {b:?}"));
            let ctx = format!(
                "{name} {}:{} -> {}:{}",
                r["src_ip"], r["src_port"], r["dst_ip"], r["dst_port"]
            );
            if let Some(c) = t.client {
                assert_eq!(
                    (
                        r["src_ip"].parse::<IpAddr>().unwrap(),
                        r["src_port"].parse::<u16>().unwrap()
                    ),
                    c,
                    "{ctx}: client"
                );
            }
            let n = |k: &str| r[k].parse::<u64>().unwrap();
            assert_eq!(
                [n("packets_out"), n("packets_in")],
                t.packets,
                "{ctx}: packets"
            );
            assert_eq!(
                [n("bytes_out"), n("bytes_in")],
                t.bytes,
                "{ctx}: payload bytes"
            );
            if t.interfaces.len() == 1 {
                // tshark flags the second copy of a forwarded packet as a
                // retransmission; compare only single-interface flows.
                assert_eq!(n("retransmissions"), t.retrans, "{ctx}: retransmissions");
                assert_eq!(n("dup_acks"), t.dup_acks, "{ctx}: duplicate ACKs");
            }
            assert_eq!(n("zero_windows"), t.zero_windows, "{ctx}: zero windows");
            if let Some(sni) = &t.sni {
                assert_eq!(&r["server_name"], sni, "{ctx}: server name");
                assert_eq!(r["name_source"], "sni", "{ctx}: name source");
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} flows checked");
}
