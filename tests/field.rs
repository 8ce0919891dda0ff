//! Captures as users bring them: packets logged more than once by the
//! capturing host, a capture started while replication ran, a VM rejecting
//! the server's certificate, an NVA behind a Gateway Load Balancer. Each is
//! a sample capture of real traffic (`captures/make-captures.sh`; the
//! duplicated recordings derived from real captures by its documented
//! steps); numbers are checked against tshark's reading in `captures/truth/`.

mod common;

use common::{Row, analyze, capture, run, truth};
use serde_json::Value;
use std::collections::HashSet;

fn tcp_flows(v: &Value) -> Vec<&Value> {
    v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["transport"] == "tcp")
        .collect()
}

fn flow_to(v: &Value, port: u16) -> &Value {
    let f: Vec<&Value> = tcp_flows(v)
        .into_iter()
        .filter(|f| f["dst_port"] == port)
        .collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    f[0]
}

/// The text report with its wrapped lines joined.
fn unwrapped(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn asr_titles(v: &Value) -> Vec<String> {
    v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["asr"] == true)
        .map(|f| f["title"].as_str().unwrap().to_string())
        .collect()
}

/// Frames of the truth that are TCP, and the distinct IP datagrams among
/// them (the same identification and TCP fields).
fn tcp_frames_and_datagrams(name: &str) -> (Vec<Row>, usize) {
    let rows: Vec<Row> = truth(name)
        .into_iter()
        .filter(|r| !r["tcp.srcport"].is_empty())
        .collect();
    let last = |s: &str| s.rsplit('|').next().unwrap_or("").to_string();
    let distinct: HashSet<Vec<String>> = rows
        .iter()
        .map(|r| {
            [
                "ip.src",
                "ip.dst",
                "ip.id",
                "tcp.seq",
                "tcp.ack",
                "tcp.len",
                "tcp.checksum",
            ]
            .iter()
            .map(|k| last(&r[*k]))
            .collect()
        })
        .collect();
    (rows, distinct.len())
}

#[test]
fn pktmon_copies_are_set_aside_and_the_vm_is_healthy() {
    let name = "pktmon-copies.pcapng";
    let (frames, datagrams) = tcp_frames_and_datagrams(name);
    assert_eq!(
        frames.len(),
        datagrams * 3,
        "every packet is logged 3 times"
    );
    // tshark, which keeps the copies, sees retransmissions that never were.
    assert!(
        frames
            .iter()
            .any(|r| !r["tcp.analysis.retransmission"].is_empty())
    );
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 0, "{:#}", v["diagnosis"]["findings"]);
    let c = &v["capture"]["copies"];
    assert_eq!(c["times_recorded"], 3);
    assert_eq!(c["forwarded"], 0);
    let all_frames = v["capture"]["frames"].as_u64().unwrap();
    assert_eq!(c["recorded"].as_u64().unwrap(), all_frames * 2 / 3);
    let f = flow_to(&v, 443);
    assert_eq!(f["verdict"], "allowed", "{f:#}");
    assert_eq!(f["out"]["retransmissions"], 0);
    let packets = f["out"]["packets"].as_u64().unwrap() + f["in"]["packets"].as_u64().unwrap();
    assert_eq!(packets as usize, datagrams);
    // The text report says why.
    let (_, text, _) = run(&["analyze", &capture(name)]);
    assert!(
        unwrapped(&text)
            .contains("copies set aside: each packet logged 3 times by the capturing host"),
        "{text}"
    );
}

#[test]
fn any_on_accelerated_networking_names_both_interfaces() {
    let name = "an-any-copies.pcap";
    let (frames, datagrams) = tcp_frames_and_datagrams(name);
    assert_eq!(frames.len(), datagrams * 2);
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 0, "{:#}", v["diagnosis"]["findings"]);
    let c = &v["capture"]["copies"];
    assert_eq!(c["times_recorded"], 2);
    assert_eq!(c["interfaces"], serde_json::json!([2, 3]));
    assert_eq!(
        c["recorded"].as_u64().unwrap(),
        v["capture"]["frames"].as_u64().unwrap() / 2
    );
    let f = flow_to(&v, 443);
    assert_eq!(f["verdict"], "allowed");
    assert_eq!(f["out"]["retransmissions"], 0);
    let (_, text, _) = run(&["analyze", &capture(name)]);
    assert!(
        unwrapped(&text).contains("seen on interfaces 2 and 3"),
        "{text}"
    );
}

#[test]
fn real_retransmissions_stay_counted() {
    // IPv6 has no identification: copies are told from retransmissions by
    // timing and by what the peer did in between. IPv4 retransmissions carry
    // a new identification.
    for name in ["ipv6-retrans.pcap", "loss-ratelimit.pcap"] {
        let rows = truth(name);
        let tshark = rows
            .iter()
            .filter(|r| {
                !r["tcp.analysis.retransmission"].is_empty()
                    || !r["tcp.analysis.fast_retransmission"].is_empty()
            })
            .count() as u64;
        assert!(tshark > 0, "{name}");
        let (code, v) = analyze(name, &[]);
        assert_eq!(code, 1, "{name}: throttled");
        assert_eq!(v["capture"]["copies"]["recorded"], 0, "{name}");
        let f = flow_to(&v, 443);
        let ours = f["out"]["retransmissions"].as_u64().unwrap()
            + f["in"]["retransmissions"].as_u64().unwrap();
        assert_eq!(ours, tshark, "{name}");
        assert_eq!(f["verdict"], "throttled", "{name}");
    }
}

#[test]
fn a_capture_started_mid_replication_ties_the_upload_to_cache_storage() {
    let name = "midflow-throttled.pcap";
    let rows = truth(name);
    assert!(rows.iter().all(|r| r["tcp.flags.syn"] != "1"));
    assert!(rows.iter().all(|r| r["dns.qry.name"].is_empty()));
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 1);
    let f = flow_to(&v, 443);
    assert_eq!(f["server_name"], Value::Null);
    assert_eq!(f["endpoint_id"], "cache-storage");
    assert_eq!(f["endpoint_by"], "address");
    assert_eq!(f["service_tag"], "Storage.EastUS");
    assert_eq!(f["handshake"], "mid-flow");
    assert_eq!(f["verdict"], "throttled");
    assert!(
        f["reason"]
            .as_str()
            .unwrap()
            .ends_with("[no name seen: *.blob.core.windows.net by its address in Storage.EastUS]")
    );
    // It counts for the checklist, the region and the upload rate.
    let d = &v["diagnosis"];
    assert_eq!(d["source_region"]["region"]["id"], "eastus");
    let req = &d["requirements"][0];
    assert_eq!(
        (req["id"].as_str(), req["status"].as_str()),
        (Some("cache-storage"), Some("throttled"))
    );
    assert!(d["cache_upload"]["bytes"].as_u64().unwrap() > 0);
    assert!(asr_titles(&v).contains(&"*.blob.core.windows.net is throttled".to_string()));
    // The CSV says so in its `endpoint_by` column.
    let (_, out, _) = run(&["analyze", "--csv", "-", &capture(name)]);
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    let h = rd.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let row = rd
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[col("transport")] == "tcp" && &r[col("dst_port")] == "443")
        .unwrap();
    assert_eq!(&row[col("endpoint_by")], "address", "{row:?}");
}

#[test]
fn a_vm_missing_the_root_rejects_the_certificate_in_tls_1_2_and_1_3() {
    let name = "cert-rejected.pcap";
    let rows = truth(name);
    // tshark reads the client's unknown_ca alert in both flows.
    let alerts = rows
        .iter()
        .filter(|r| r["tls.alert_message.desc"] == "48")
        .count();
    assert_eq!(alerts, 2);
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 1);
    let flows = tcp_flows(&v);
    assert_eq!(flows.len(), 2);
    for f in flows {
        let versions = (f["tls"]["server_version"]).as_str().unwrap();
        assert_eq!(f["verdict"], "blocked", "{versions}");
        assert_eq!(f["tls"]["handshake_end"], "client-alert");
        assert_eq!(f["tls"]["client_alert"]["name"], "unknown_ca");
        assert_eq!(f["cause"]["kind"], "certificate-rejected");
        assert_eq!(f["cause"]["how"]["by"], "alert");
        assert_eq!(f["cause"]["how"]["description"], 48);
    }
    let titles = asr_titles(&v);
    for pattern in ["*.blob.core.windows.net", "login.microsoftonline.com"] {
        assert!(
            titles.contains(&format!("the VM rejects the certificate of {pattern}")),
            "{titles:?}"
        );
    }
    let f = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endpoint"] == "cache-storage")
        .unwrap();
    assert_eq!(f["error_codes"], serde_json::json!(["151066"]));
    // The trusted-roots fix says how each system updates its roots, Red
    // Hat's and SUSE's as the errors page (151066) gives them.
    let roots = f["fix"][0].as_str().unwrap();
    for step in [
        "Windows Update",
        "update-ca-certificates",
        "/etc/pki/ca-trust/",
        "update-ca-trust",
        "/etc/ssl/certs",
        "c_rehash",
    ] {
        assert!(roots.contains(step), "{step}: {roots}");
    }
}

#[test]
fn an_nva_behind_a_gateway_load_balancer() {
    let name = "gwlb-vxlan.pcap";
    let rows = truth(name);
    let vnis: HashSet<String> = rows
        .iter()
        .filter(|r| !r["vxlan.vni"].is_empty())
        .map(|r| r["vxlan.vni"].clone())
        .collect();
    assert_eq!(vnis, HashSet::from(["800".to_string(), "801".to_string()]));
    let (_, datagrams) = tcp_frames_and_datagrams(name);
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 1);
    // Each inner packet arrives on one tunnel and leaves on the other:
    // counted once.
    let f = flow_to(&v, 443);
    let packets = f["out"]["packets"].as_u64().unwrap() + f["in"]["packets"].as_u64().unwrap();
    assert_eq!(packets as usize, datagrams);
    assert_eq!(f["out"]["retransmissions"], 0);
    assert_eq!(f["verdict"], "allowed");
    assert_eq!(f["endpoint_id"], "cache-storage");
    assert!(matches!(f["tunnel"]["port"].as_u64(), Some(10800 | 10801)));
    assert!(v["capture"]["copies"]["forwarded"].as_u64().unwrap() > 0);
    // The NVA finding names both tunnels, without --capture-point nva.
    let nva = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["title"] == "replication traffic passes through the network virtual appliance")
        .unwrap();
    let ev = nva["evidence"][1].as_str().unwrap();
    assert!(
        ev.contains("UDP 10800 VNI 800 (Gateway Load Balancer)"),
        "{ev}"
    );
    assert!(
        ev.contains("UDP 10801 VNI 801 (Gateway Load Balancer)"),
        "{ev}"
    );
    let fix = nva["fix"][0].as_str().unwrap();
    assert!(
        fix.contains(r#"--add serviceEndpoints '{"service":"Microsoft.Storage"}'"#),
        "{fix}"
    );
}

#[test]
fn vxlan_on_an_unknown_port_is_noted_and_decoded_when_given() {
    let name = "vxlan-port-10900.pcap";
    let rows = truth(name);
    let vxlan = rows
        .iter()
        .filter(|r| r["udp.dstport"] == "10900" && !r["vxlan.vni"].is_empty())
        .count();
    assert!(vxlan > 0);
    let (_, v) = analyze(name, &[]);
    assert!(tcp_flows(&v).is_empty(), "nothing decoded inside");
    let hint = &v["capture"]["vxlan_elsewhere"][0];
    assert_eq!(hint["port"], 10900);
    assert!(hint["datagrams"].as_u64().unwrap() > 0);
    let (_, text, _) = run(&["analyze", &capture(name)]);
    assert!(
        unwrapped(&text).contains("UDP port 10900:")
            && unwrapped(&text).contains("pass --vxlan-port 10900"),
        "{text}"
    );
    // With the flag, the flow inside is there, with its tunnel.
    let (code, v) = analyze(name, &["--vxlan-port", "10900"]);
    assert_eq!(code, 1, "replication inside an NVA tunnel");
    let f = flow_to(&v, 443);
    assert_eq!(f["server_name"], "asrcache1.blob.core.windows.net");
    assert_eq!(f["tunnel"]["port"], 10900);
    assert_eq!(
        f["tunnel"]["vni"].to_string(),
        rows.iter().find(|r| !r["vxlan.vni"].is_empty()).unwrap()["vxlan.vni"]
    );
    assert!(
        v["capture"]["vxlan_elsewhere"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Too many ports is a clear error.
    let mut args = vec!["analyze".to_string()];
    for p in 20000..20009 {
        args.push("--vxlan-port".into());
        args.push(p.to_string());
    }
    args.push(capture(name));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, _, err) = run(&a);
    assert_eq!(code, 2);
    assert!(err.contains("at most 8 --vxlan-port"), "{err}");
}
