//! End to end: the binary on the sample captures in `captures/` (real traffic
//! made by `captures/make-captures.sh`), checked flow by flow against what each
//! capture holds: tshark's per-frame ground truth in `captures/truth/` and the
//! fault the script applied (`captures/manifest.tsv`).

mod common;

use common::{Row, capture, root, truth};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::process::Command;

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn tcp_flows(v: &serde_json::Value) -> Vec<&serde_json::Value> {
    v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["transport"] == "tcp")
        .collect()
}

fn only_tcp_flow(v: &serde_json::Value) -> &serde_json::Value {
    let t = tcp_flows(v);
    assert_eq!(t.len(), 1, "{t:#?}");
    t[0]
}

fn frames_where(name: &str, col: &str, pred: impl Fn(&str) -> bool) -> Vec<Row> {
    truth(name).into_iter().filter(|r| pred(&r[col])).collect()
}

fn asrscope(args: &[&str]) -> Run {
    let (code, stdout, stderr) = common::run(args);
    Run {
        stdout,
        stderr,
        code,
    }
}

fn json(name: &str) -> serde_json::Value {
    let r = asrscope(&["analyze", "--format", "json", &capture(name)]);
    // 0: nothing to report about Site Recovery traffic, 1: findings.
    assert!(r.code == 0 || r.code == 1, "{name}: {}", r.stderr);
    serde_json::from_str(&r.stdout).expect("valid JSON")
}

fn csv_rows(name: &str) -> Vec<Row> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("flows.csv");
    let extra = common::decode_as_args(name);
    let mut args: Vec<&str> = vec!["analyze", "--csv", out.to_str().unwrap()];
    args.extend(extra.iter().map(String::as_str));
    let c = capture(name);
    args.push(&c);
    let r = asrscope(&args);
    assert!(
        r.code == 0 || r.code == 1 || name == "truncated.pcap",
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
    /// Frames that repeat an IPv4 datagram seen within 10 ms (same
    /// identification and TCP fields): copies the capture recorded.
    copies: u64,
    /// This flow is the translated leg of another (source NAT on the
    /// appliance the capture was taken on): that flow's key.
    leg_of: Option<Key>,
    /// The client address and port the other leg shows: what this flow was
    /// translated to.
    translated_to: Option<Endpoint>,
}

type Endpoint = (IpAddr, u16);
/// A flow's key: its network (a VXLAN identifier, 0 outside VXLAN and on the
/// Gateway Load Balancer's two tunnels, which one connection crosses both
/// of) and the unordered pair of its endpoints.
type Key = (u32, Endpoint, Endpoint);

/// The network of a frame of the truth (see [`Key`]).
fn network(f: &Row) -> u32 {
    let gwlb = |k: &str| f[k].split('|').any(|p| p == "10800" || p == "10801");
    if gwlb("udp.dstport") || gwlb("udp.srcport") {
        return 0;
    }
    f["vxlan.vni"]
        .split('|')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A TCP frame of the truth: its endpoints, its flow's key, the interface
/// it was recorded on and its SYN and ACK flags.
struct TcpFrame<'a> {
    f: &'a Row,
    s: Endpoint,
    d: Endpoint,
    key: Key,
    iface: String,
    syn: bool,
    ack: bool,
}

/// The TCP facts of a frame of the truth; `None` for ICMP and frames
/// without TCP.
fn tcp_frame(f: &Row) -> Option<TcpFrame<'_>> {
    if f["frame.protocols"].contains("icmp") || f["tcp.srcport"].is_empty() {
        return None;
    }
    let ip = |v4: &str, v6: &str| -> IpAddr {
        last(if f[v6].is_empty() { &f[v4] } else { &f[v6] })
            .parse()
            .unwrap()
    };
    let s = (
        ip("ip.src", "ipv6.src"),
        last(&f["tcp.srcport"]).parse::<u16>().unwrap(),
    );
    let d = (
        ip("ip.dst", "ipv6.dst"),
        last(&f["tcp.dstport"]).parse::<u16>().unwrap(),
    );
    let key = if s <= d {
        (network(f), s, d)
    } else {
        (network(f), d, s)
    };
    Some(TcpFrame {
        f,
        s,
        d,
        key,
        iface: f.get("frame.interface_id").cloned().unwrap_or_default(),
        syn: f["tcp.flags.syn"] == "1" || f["tcp.flags.syn"] == "True",
        ack: f["tcp.flags.ack"] == "1" || f["tcp.flags.ack"] == "True",
    })
}

/// A translated leg: its key, the key of the flow it is a leg of, and the
/// client address and port it was translated to.
type Leg = (Key, Key, Endpoint);

/// The first SYN per (server, absolute sequence number): its flow, client,
/// TTL and time.
type FirstSyns = HashMap<(Endpoint, String), (Key, Endpoint, i64, f64)>;

/// A SYN repeating the first one of its server and sequence number from
/// another client one hop later is the connection's translated leg.
fn translated_leg(fr: &TcpFrame, syns: &mut FirstSyns) -> Option<Leg> {
    let f = fr.f;
    let seq = last(&f["tcp.seq_raw"]).to_string();
    let ttl: i64 = last(if f["ipv6.hlim"].is_empty() {
        &f["ip.ttl"]
    } else {
        &f["ipv6.hlim"]
    })
    .parse()
    .unwrap_or(0);
    let at: f64 = f["frame.time_epoch"].parse().unwrap();
    match syns.get(&(fr.d, seq.clone())) {
        Some(&(first, client, first_ttl, first_at))
            if client != fr.s && (ttl - first_ttl).abs() == 1 && (at - first_at).abs() <= 1.0 =>
        {
            return Some((fr.key, first, fr.s));
        }
        Some(_) => {}
        None => {
            syns.insert((fr.d, seq), (fr.key, fr.s, ttl, at));
        }
    }
    None
}

/// The first pass over the frames: every flow, its client where a SYN
/// says, the interface its frames are counted on, and the translated legs.
fn first_pass(
    frames: &[Row],
    flows: &mut BTreeMap<Key, TruthFlow>,
) -> (HashMap<Key, String>, Vec<Leg>) {
    // Frames of a flow seen on several interfaces are counted on the first only.
    let mut first_if: HashMap<Key, String> = HashMap::new();
    let mut syns = FirstSyns::new();
    let mut legs = Vec::new();
    for fr in frames.iter().filter_map(tcp_frame) {
        let t = flows.entry(fr.key).or_default();
        first_if.entry(fr.key).or_insert(fr.iface.clone());
        // The client sent the SYN; without one, it has the higher port.
        if fr.syn && !fr.ack {
            t.client.get_or_insert(fr.s);
            legs.extend(translated_leg(&fr, &mut syns));
        }
        if fr.syn && fr.ack {
            t.client.get_or_insert(fr.d);
        }
    }
    (first_if, legs)
}

/// What tells a copy the capture recorded from the frame it repeats.
#[derive(Default)]
struct Copies {
    /// An IPv4 datagram recorded again: the same identification and TCP
    /// fields within 10 ms (pktmon's components, a VF and a synthetic NIC,
    /// the two tunnels of a Gateway Load Balancer).
    datagrams: HashMap<Vec<String>, f64>,
    /// The last frame from each endpoint: a copy without an identification
    /// needs the peer silent since the original.
    last_from: HashMap<Endpoint, f64>,
}

impl Copies {
    /// Whether `fr` is a copy of a frame seen before; notes it either way.
    fn is_copy(&mut self, fr: &TcpFrame) -> bool {
        let f = fr.f;
        // Without an identification (IPv6, or 0), only a copy recorded
        // within 100 µs with nothing from the peer in between.
        let id = last(&f["ip.id"]);
        let no_id = id.is_empty() || id == "0x0000";
        let window = if no_id { 0.000_1 } else { 0.010 };
        let at: f64 = f["frame.time_epoch"].parse().unwrap();
        let peer_last = self.last_from.get(&fr.d).copied().unwrap_or(f64::MIN);
        self.last_from.insert(fr.s, at);
        let ident: Vec<String> = [
            "ip.src",
            "ip.dst",
            "ipv6.src",
            "ipv6.dst",
            "tcp.srcport",
            "tcp.dstport",
            "ip.id",
            "tcp.seq",
            "tcp.ack",
            "tcp.len",
            "tcp.flags.syn",
            "tcp.flags.fin",
            "tcp.flags.reset",
            "tcp.window_size_value",
            "tcp.checksum",
        ]
        .iter()
        .map(|k| last(&f[*k]).to_string())
        .collect();
        matches!(self.datagrams.insert(ident, at),
            Some(prev) if at - prev <= window && (!no_id || peer_last < prev))
    }
}

/// Counts a frame that is not a copy in its flow.
fn count(t: &mut TruthFlow, fr: &TcpFrame) {
    let f = fr.f;
    if fr.syn && !fr.ack {
        t.syns += 1;
    }
    let dir = match t.client {
        Some(c) if c == fr.s => 0,
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

/// The second pass over the frames: each flow's interfaces, and its
/// frames counted on the first interface, copies apart.
fn second_pass(
    frames: &[Row],
    flows: &mut BTreeMap<Key, TruthFlow>,
    first_if: &HashMap<Key, String>,
) {
    let mut copies = Copies::default();
    for fr in frames.iter().filter_map(tcp_frame) {
        let t = flows.entry(fr.key).or_default();
        if t.client.is_none() {
            t.client = Some(if fr.key.1.1 > fr.key.2.1 {
                fr.key.1
            } else {
                fr.key.2
            });
        }
        if !t.interfaces.contains(&fr.iface) {
            t.interfaces.push(fr.iface.clone());
        }
        if first_if[&fr.key] != fr.iface {
            continue;
        }
        if copies.is_copy(&fr) {
            t.copies += 1;
            continue;
        }
        count(t, &fr);
    }
}

/// TCP flows from the truth, keyed by network and the unordered pair of
/// endpoints.
fn truth_tcp_flows(name: &str) -> BTreeMap<Key, TruthFlow> {
    let mut flows: BTreeMap<_, TruthFlow> = BTreeMap::new();
    let frames = truth(name);
    let (first_if, legs) = first_pass(&frames, &mut flows);
    second_pass(&frames, &mut flows, &first_if);
    for (leg, first, to) in legs {
        if let Some(l) = flows.get_mut(&leg) {
            l.leg_of = Some(first);
        }
        if let Some(f) = flows.get_mut(&first) {
            f.translated_to = Some(to);
        }
    }
    flows
}

fn our_flow(rows: &[Row], (net, a, b): Key) -> Option<&Row> {
    rows.iter().find(|r| {
        r["transport"] == "tcp" && (net == 0 || r["vni"] == net.to_string()) && {
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
        let truth = truth_tcp_flows(&name);
        // tshark's TCP analysis follows one conversation per address pair,
        // whatever the VXLAN identifier: two networks' flows with the same
        // addresses and ports are one to it, and its retransmission flags
        // mean nothing there.
        let in_two_networks = |a: Endpoint, b: Endpoint| {
            truth.keys().filter(|(_, x, y)| (*x, *y) == (a, b)).count() > 1
        };
        for (&key, t) in &truth {
            let (_, a, b) = key;
            if t.leg_of.is_some() {
                // The translated leg of a connection is the connection, once.
                assert!(
                    our_flow(&rows, key).is_none(),
                    "{name}: the translated leg {a:?} <-> {b:?} is a flow of its own"
                );
                continue;
            }
            let r = our_flow(&rows, key).unwrap_or_else(|| panic!("{name}: no flow {key:?}"));
            let translated = t
                .translated_to
                .map(|(ip, port)| (ip.to_string(), port.to_string()))
                .unwrap_or_default();
            assert_eq!(
                (r["translated_ip"].clone(), r["translated_port"].clone()),
                translated,
                "{name} {a:?} <-> {b:?}: translated address"
            );
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
            if t.interfaces.len() == 1 && t.copies == 0 && !in_two_networks(a, b) {
                // tshark flags the second copy of a packet as a
                // retransmission; compare only flows without copies.
                assert_eq!(n("retransmissions"), t.retrans, "{ctx}: retransmissions");
                assert_eq!(n("dup_acks"), t.dup_acks, "{ctx}: duplicate ACKs");
            }
            assert_eq!(n("zero_windows"), t.zero_windows, "{ctx}: zero windows");
            if let Some(sni) = &t.sni {
                assert_eq!(
                    r["server_name"],
                    common::printable(sni),
                    "{ctx}: server name"
                );
                assert_eq!(r["name_source"], "sni", "{ctx}: name source");
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} flows checked");
}

#[test]
fn csv_header_is_exact() {
    const HEADER: &str = "first_seen,last_seen,src_ip,src_port,dst_ip,dst_port,transport,server_name,name_source,handshake,packets_out,packets_in,bytes_out,bytes_in,retransmissions,dup_acks,zero_windows,rtt_ms,throughput_out_kbps,tls_version,cert_issuer,proxy_status,endpoint,required_tag,service_tag,verdict,reason,endpoint_by,nsg_rule,route_next_hop,translated_ip,translated_port,vni,firewall_rule,admin_rule,dns,outbound,endpoint_policy,storage_firewall,community_id";
    let r = asrscope(&["analyze", "--csv", "-", &capture("syn-rst.pcap")]);
    assert_eq!(r.code, 1, "the capture holds a finding");
    assert_eq!(r.stdout.lines().next().unwrap(), HEADER);
    // The documentation lists every column, in this order.
    assert_eq!(common::documented_csv_columns().join(","), HEADER);
}

#[test]
fn healthy_vm_names_every_flow_by_sni_and_dns() {
    let name = "healthy-tls12-dns.pcap";
    let v = json(name);
    let flows = tcp_flows(&v);
    let snis: Vec<String> = frames_where(name, "tls.handshake.extensions_server_name", |s| {
        !s.is_empty()
    })
    .iter()
    .map(|r| r["tls.handshake.extensions_server_name"].clone())
    .collect();
    assert_eq!(flows.len(), snis.len());
    for f in &flows {
        assert_eq!(f["handshake"], "established");
        assert_eq!(f["name_source"], "sni");
        assert!(snis.contains(&f["server_name"].as_str().unwrap().to_string()));
        // DNS named the address before the flow began, with the name asked.
        assert_eq!(f["dns_name"], f["server_name"], "{f:#}");
        assert!(f["close"].as_str().unwrap().starts_with("fin-"));
        assert!(f["rtt_ms"].as_f64().unwrap() > 0.0);
    }
    // The TLS 1.2 flow shows its certificate chain; its issuer is in tshark's x509 names.
    let x509: Vec<String> = frames_where(name, "x509sat.uTF8String", |s| !s.is_empty())
        .iter()
        .flat_map(|r| {
            r["x509sat.uTF8String"]
                .split('|')
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let tls12: Vec<_> = flows
        .iter()
        .filter(|f| f["tls"]["server_version"] == "TLS1.2")
        .collect();
    assert_eq!(tls12.len(), 1);
    let certs = tls12[0]["tls"]["certificates"].as_array().unwrap();
    assert!(!certs.is_empty());
    assert!(
        x509.contains(&certs[0]["issuer_cn"].as_str().unwrap().to_string()),
        "{x509:?}"
    );
    let host = tls12[0]["server_name"].as_str().unwrap();
    let covers = |san: &str| match san.strip_prefix("*.") {
        Some(parent) => host.split_once('.').is_some_and(|(_, rest)| rest == parent),
        None => san == host,
    };
    assert!(
        certs[0]["san"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| covers(s.as_str().unwrap()))
    );
    // DNS: every name asked was answered, with the CNAME chain tshark reads.
    for d in v["dns"].as_array().unwrap() {
        assert!(d["answered"].as_u64().unwrap() >= 1, "{d:#}");
        let responses: Vec<Row> =
            frames_where(name, "dns.qry.name", |q| q == d["name"].as_str().unwrap())
                .into_iter()
                .filter(|r| r["dns.flags.response"] == "1" || r["dns.flags.response"] == "True")
                .collect();
        let chain: Vec<&str> = responses[0]["dns.cname"]
            .split('|')
            .filter(|c| !c.is_empty())
            .collect();
        let ours: Vec<&str> = d["cname_chain"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        assert_eq!(ours, chain, "{d:#}");
    }
}

#[test]
fn dropped_syns_are_no_reply_with_their_count_and_span() {
    let name = "syn-dropped.pcap";
    let v = json(name);
    let f = only_tcp_flow(&v);
    assert_eq!(f["handshake"], "no-reply");
    let syns = frames_where(name, "tcp.flags.syn", |s| s == "1" || s == "True");
    assert_eq!(
        f["evidence"]["syn_count"].as_u64().unwrap(),
        syns.len() as u64
    );
    let t0: f64 = syns[0]["frame.time_epoch"].parse().unwrap();
    let t1: f64 = syns[syns.len() - 1]["frame.time_epoch"].parse().unwrap();
    let span = f["evidence"]["syn_span_ms"].as_f64().unwrap();
    assert!((span - (t1 - t0) * 1000.0).abs() < 0.01, "{span}");
    assert_eq!(
        f["out"]["retransmissions"].as_u64().unwrap(),
        syns.len() as u64 - 1
    );
    assert_eq!(f["name_source"], "dns");
    assert_eq!(f["server_name"], "asrmon-eus.servicebus.windows.net");
    assert_eq!(f["quality"]["one_direction"], true);
}

#[test]
fn syn_answered_by_rst_is_rejected() {
    let v = json("syn-rst.pcap");
    let f = only_tcp_flow(&v);
    assert_eq!(f["handshake"], "rejected");
    assert_eq!(f["evidence"]["rst_by"], "server");
    assert_eq!(f["close"], "rst-server");
    assert_eq!(f["server_name"], "login.microsoftonline.com");
}

#[test]
fn icmp_admin_prohibited_is_attributed_to_the_quoted_flow() {
    let name = "icmp-admin-prohibited.pcap";
    let v = json(name);
    let f = only_tcp_flow(&v);
    assert_eq!(f["handshake"], "unreachable");
    let icmp = frames_where(name, "icmp.type", |t| t == "3");
    assert_eq!(icmp.len(), 1);
    let e = &f["evidence"]["icmp"];
    assert_eq!(e["icmp_type"], 3);
    assert_eq!(
        e["code"].as_u64().unwrap().to_string(),
        icmp[0]["icmp.code"]
    );
    assert_eq!(
        e["from"].as_str().unwrap(),
        icmp[0]["ip.src"].split('|').next().unwrap()
    );
    assert_eq!(v["capture"]["icmp_errors_unmatched"], 0);
}

#[test]
fn reset_right_after_the_client_hello() {
    let v = json("rst-after-clienthello.pcap");
    let f = only_tcp_flow(&v);
    assert_eq!(f["handshake"], "reset-after-data");
    assert_eq!(f["tls"]["sni"], "asrcache1.blob.core.windows.net");
    assert!(f["tls"]["server_version"].is_null());
    assert_eq!(f["evidence"]["rst_by"], "server");
    assert!(f["evidence"]["rst_after_client_data_ms"].as_f64().unwrap() < 1000.0);
    assert_eq!(f["in"]["bytes"], 0);
}

#[test]
fn proxy_407_then_200_with_tls_inside() {
    let name = "proxy-407.pcap";
    let v = json(name);
    let flows = tcp_flows(&v);
    assert_eq!(flows.len(), 2);
    let codes: Vec<String> = frames_where(name, "http.response.code", |c| !c.is_empty())
        .iter()
        .map(|r| r["http.response.code"].clone())
        .collect();
    let denied = flows
        .iter()
        .find(|f| f["proxy"]["status"] == 407)
        .expect("a 407 flow");
    assert!(codes.contains(&"407".to_string()));
    assert_eq!(
        denied["proxy"]["target_host"],
        "asrcache1.blob.core.windows.net"
    );
    assert_eq!(denied["proxy"]["target_port"], 443);
    assert_eq!(denied["proxy"]["auth_scheme"], "Basic");
    assert_eq!(denied["proxy"]["credentials_sent"], false);
    assert_eq!(denied["name_source"], "connect");
    let ok = flows
        .iter()
        .find(|f| f["proxy"]["status"] == 200)
        .expect("a 200 flow");
    assert_eq!(ok["proxy"]["credentials_sent"], true);
    assert_eq!(ok["tls"]["sni"], "asrcache1.blob.core.windows.net");
    assert_eq!(ok["name_source"], "sni");
    assert!(!ok["tls"]["server_version"].is_null());
    let rows = csv_rows(name);
    let mut statuses: Vec<&str> = rows.iter().map(|r| r["proxy_status"].as_str()).collect();
    statuses.sort();
    assert_eq!(statuses, ["200", "407"]);
}

#[test]
fn loss_and_rate_limit_show_in_retransmissions_and_throughput() {
    let name = "loss-ratelimit.pcap";
    let v = json(name);
    let f = only_tcp_flow(&v);
    assert!(f["out"]["retransmissions"].as_u64().unwrap() > 0);
    assert!(f["in"]["dup_acks"].as_u64().unwrap() > 0);
    // tbf at 3 Mbit/s: the upload cannot go faster (allow the bucket's burst).
    let kbps = f["out"]["throughput_kbps"].as_f64().unwrap();
    assert!(kbps > 300.0 && kbps < 3600.0, "{kbps}");
    // Snap length 256 cuts payloads, the ClientHello too (tshark decodes no
    // hello here), but its start still holds the server name.
    assert!(v["capture"]["frames_cut_by_snaplen"].as_u64().unwrap() > 0);
    assert!(
        frames_where(name, "tls.handshake.type", |t| t
            .split('|')
            .any(|x| x == "1"))
        .is_empty()
    );
    assert_eq!(f["quality"]["hello_cut_by_snaplen"], true);
    assert_eq!(f["tls"]["hello_complete"], false);
    assert_eq!(f["tls"]["sni"], "asrcache1.blob.core.windows.net");
}

#[test]
fn client_hello_over_several_segments_is_reassembled() {
    let name = "split-clienthello.pcap";
    let v = json(name);
    let f = only_tcp_flow(&v);
    // The hello really spans segments: the client sent several data segments
    // before the server's first data.
    let frames = truth(name);
    let client_data_first = frames
        .iter()
        .take_while(|r| {
            !(r["tcp.srcport"] == "443" && r["tcp.len"] != "0" && !r["tcp.len"].is_empty())
        })
        .filter(|r| r["tcp.dstport"] == "443" && r["tcp.len"] != "0" && !r["tcp.len"].is_empty())
        .count();
    assert!(client_data_first >= 2, "{client_data_first}");
    assert_eq!(f["tls"]["sni"], "myvault.vault.azure.net");
    assert_eq!(f["tls"]["hello_complete"], true);
    assert_eq!(f["tls"]["server_version"], "TLS1.3");
}

#[test]
fn ipv6_vlan_qinq_sll2_vxlan_and_multi_interface_pcapng() {
    let v = json("ipv6-tls.pcap");
    let f = only_tcp_flow(&v);
    assert!(f["dst_ip"].as_str().unwrap().starts_with("2603:1030:213:"));
    assert_eq!(f["server_name"], "asrcache1.blob.core.windows.net");
    assert_eq!(f["dns_name"], "asrcache1.blob.core.windows.net");

    let f = json("vlan-tls.pcap");
    assert_eq!(only_tcp_flow(&f)["vlan"], 100);
    let f = json("qinq-tls.pcap");
    assert_eq!(only_tcp_flow(&f)["vlan"], 200, "the outer tag");

    let v = json("any-sll2.pcap");
    assert_eq!(v["inputs"][0]["linktypes"], serde_json::json!([276]));
    assert!(tcp_flows(&v).iter().all(|f| f["name_source"] == "sni"));

    let v = json("nva-vxlan.pcap");
    let f = only_tcp_flow(&v);
    assert_eq!(f["tunnel"]["kind"], "vxlan");
    assert!(
        f["tunnel"]["outer_src"]
            .as_str()
            .unwrap()
            .starts_with("172.16.0.")
    );
    assert_eq!(f["server_name"], "asrcache1.blob.core.windows.net");

    let v = json("multi-if.pcapng");
    let lts = v["inputs"][0]["linktypes"].as_array().unwrap();
    assert!(
        lts.contains(&serde_json::json!(1)) && lts.contains(&serde_json::json!(276)),
        "{lts:?}"
    );
    assert_eq!(
        only_tcp_flow(&v)["server_name"],
        "pod01-srs1.eus.hypervrecoverymanager.windowsazure.com"
    );
}

#[test]
fn dns_failures_are_logged_by_name() {
    let name = "dns-failures.pcap";
    let v = json(name);
    let dns = v["dns"].as_array().unwrap();
    let get = |n: &str| {
        dns.iter()
            .find(|d| d["name"] == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let rcode = |q: &str| -> Vec<String> {
        frames_where(name, "dns.qry.name", |x| x == q)
            .iter()
            .filter(|r| r["dns.flags.response"] == "1" || r["dns.flags.response"] == "True")
            .map(|r| r["dns.flags.rcode"].clone())
            .collect()
    };
    let sb = get("asrmon-eus.servicebus.windows.net");
    assert_eq!(rcode("asrmon-eus.servicebus.windows.net"), ["3"]);
    assert_eq!(sb["nxdomain"], 1);
    assert_eq!(sb["answered"], 0);
    let kv = get("myvault.vault.azure.net");
    assert_eq!(
        kv["other_errors"].as_u64().unwrap() as usize,
        rcode("myvault.vault.azure.net").len()
    );
    let asr = get("pod01-srs1.eus.hypervrecoverymanager.windowsazure.com");
    assert_eq!(asr["responses"], 0);
    assert!(asr["unanswered"].as_u64().unwrap() >= 1);
    assert_eq!(
        asr["queries"].as_u64().unwrap() as usize,
        frames_where(name, "dns.qry.name", |x| x
            == "pod01-srs1.eus.hypervrecoverymanager.windowsazure.com")
        .len()
    );
}

#[test]
fn intercepting_firewall_shows_in_the_certificate_issuer() {
    let v = json("tls-intercepted.pcap");
    let f = only_tcp_flow(&v);
    assert_eq!(
        f["tls"]["certificates"][0]["issuer_cn"],
        "Contoso Firewall Inspection CA"
    );
    assert!(
        f["tls"]["certificates"][0]["subject"]
            .as_str()
            .unwrap()
            .contains("login.microsoftonline.com")
    );
    let rows = csv_rows("tls-intercepted.pcap");
    let tcp: Vec<_> = rows.iter().filter(|r| r["transport"] == "tcp").collect();
    assert_eq!(tcp[0]["cert_issuer"], "Contoso Firewall Inspection CA");
    assert_eq!(tcp[0]["tls_version"], "TLS1.2");
}

#[test]
fn outside_azure_and_private_endpoint_keep_the_asked_name() {
    let v = json("outside-azure.pcap");
    let f = only_tcp_flow(&v);
    assert_eq!(f["dst_ip"], "203.0.113.25");
    assert_eq!(f["dns_name"], "asrcache1.blob.core.windows.net");

    let v = json("private-endpoint.pcap");
    let f = only_tcp_flow(&v);
    assert_eq!(f["dst_ip"], "10.1.1.5");
    assert_eq!(f["dns_name"], "asrcache1.blob.core.windows.net");
    let d = &v["dns"][0];
    assert!(
        d["cname_chain"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains(".privatelink."))
    );
}

#[test]
fn snap_length_cuts_are_reported() {
    let v = json("snaplen-96.pcap");
    assert!(v["capture"]["frames_cut_by_snaplen"].as_u64().unwrap() > 0);
    let flows = tcp_flows(&v);
    assert!(!flows.is_empty());
    assert_eq!(
        v["capture"]["hellos_cut_by_snaplen"].as_u64().unwrap(),
        flows.len() as u64
    );
    for f in flows {
        assert_eq!(f["quality"]["hello_cut_by_snaplen"], true);
        assert_ne!(f["name_source"], "sni");
        assert_eq!(f["handshake"], "established");
    }
}

#[test]
fn nva_capture_on_two_interfaces_counts_each_packet_once() {
    let name = "nva-forwarded.pcapng";
    let v = json(name);
    let second = frames_where(name, "frame.interface_id", |i| i == "1").len() as u64;
    assert!(second > 0);
    assert_eq!(
        v["capture"]["copies"]["forwarded"].as_u64().unwrap(),
        second
    );
    assert_eq!(v["capture"]["copies"]["recorded"], 0);
    let f = only_tcp_flow(&v);
    assert_eq!(f["server_name"], "asrcachecus.blob.core.windows.net");
}

#[test]
fn stdin_filter_and_several_files() {
    let path = capture("healthy-tls12-dns.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_asrscope"))
        .args(["analyze", "--format", "json", "-"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success());
    let from_stdin: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let from_file = json("healthy-tls12-dns.pcap");
    assert_eq!(from_stdin["flows"], from_file["flows"]);

    let r = asrscope(&[
        "analyze",
        "--format",
        "json",
        "--filter",
        "udp port 53",
        &path,
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        v["flows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["transport"] == "udp")
    );
    assert!(!v["flows"].as_array().unwrap().is_empty());

    // Two files are one analysis: flows of both, DNS of one naming flows of the other.
    let r = asrscope(&[
        "analyze",
        "--format",
        "json",
        &capture("syn-rst.pcap"),
        &capture("syn-dropped.pcap"),
    ]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(tcp_flows(&v).len(), 2);
}

#[test]
fn several_files_give_the_output_of_one_file_holding_them_in_order() {
    // The same frames, once as two files and once merged into one pcapng
    // (written by asrscope's own writer): the flows must be identical.
    let files = ["syn-dropped.pcap", "healthy-tls12-dns.pcap", "syn-rst.pcap"];
    let dir = tempfile::tempdir().unwrap();
    let merged = dir.path().join("merged.pcapng");
    let mut w = asrscope::capture::pcapng_writer::PcapngWriter::new(
        std::fs::File::create(&merged).unwrap(),
        1,
        65535,
    )
    .unwrap();
    for f in files {
        asrscope::capture::read_capture(std::path::Path::new(&capture(f)), None, &mut |fr| {
            assert_eq!(fr.linktype, 1);
            w.write(fr.ts_us, fr.wire_len, fr.data).unwrap();
        })
        .unwrap();
    }
    w.finish().unwrap();
    let sorted = |args: &[&str]| -> Vec<String> {
        let mut a = vec![
            "analyze",
            "--csv",
            "-",
            "--source-region",
            "eastus",
            "--target-region",
            "centralus",
        ];
        a.extend_from_slice(args);
        let r = asrscope(&a);
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        let mut lines: Vec<String> = r.stdout.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let paths: Vec<String> = files.iter().map(|f| capture(f)).collect();
    let several = sorted(&paths.iter().map(String::as_str).collect::<Vec<_>>());
    let one = sorted(&[merged.to_str().unwrap()]);
    assert!(several.len() > 5);
    assert_eq!(several, one);
}
