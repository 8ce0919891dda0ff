//! The diagnosis on the sample captures: each fault the capture script made
//! gives the expected requirement status, verdict, cause, Site Recovery
//! error code and fix, asserted on the JSON's values (`cause`, `about`,
//! `fixes`); the golden files pin the sentences. Numbers in causes are
//! recomputed from tshark's reading of the capture (`captures/truth/`), not
//! copied from the code.

mod common;

use common::{analyze, capture as cap, data, root, run, truth};
use serde_json::Value;
use std::collections::HashMap;

const REGIONS: [&str; 4] = ["--source-region", "eastus", "--target-region", "Central US"];

fn req<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["diagnosis"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

/// The first flow to a Site Recovery endpoint (by URL pattern).
fn flow_to<'a>(v: &'a Value, endpoint: &str) -> &'a Value {
    v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endpoint"] == endpoint)
        .unwrap_or_else(|| panic!("no flow to {endpoint}"))
}

fn asr_findings(v: &Value) -> Vec<&Value> {
    v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["asr"] == true)
        .collect()
}

/// The kinds of a finding's fixes, in order.
fn fix_kinds(f: &Value) -> Vec<&str> {
    f["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect()
}

fn codes(f: &Value) -> Vec<String> {
    f["error_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

fn epoch(r: &HashMap<String, String>) -> f64 {
    r["frame.time_epoch"].parse().unwrap()
}

fn statuses(v: &Value) -> Vec<(String, String, String)> {
    v["diagnosis"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().into(),
                r["tag"].as_str().unwrap().into(),
                r["status"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn healthy_vm_meets_every_requirement_it_uses() {
    let (code, v) = analyze("healthy-tls12-dns.pcap", &REGIONS);
    assert_eq!(code, 0, "{:#}", v["diagnosis"]["findings"]);
    let want = [
        ("cache-storage", "Storage.EastUS", "ok"),
        ("azure-ad", "AzureActiveDirectory", "ok"),
        ("site-recovery", "AzureSiteRecovery", "ok"),
        ("monitoring", "EventHub.CentralUS", "ok"),
        ("key-vault", "AzureKeyVault", "not-seen"),
        ("automation", "GuestAndHybridManagement", "ok"),
    ];
    let got = statuses(&v);
    let got: Vec<(&str, &str, &str)> = got
        .iter()
        .map(|g| (g.0.as_str(), g.1.as_str(), g.2.as_str()))
        .collect();
    assert_eq!(got, want, "every requirement, in order");
    // The lab put each service in the range of the tag it needs: the tag that
    // holds each destination is the required one.
    for f in v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["endpoint"].is_string())
    {
        assert_eq!(f["verdict"], "allowed");
        assert_eq!(f["service_tag"], f["required_tag"], "{f:#}");
    }
    assert!(asr_findings(&v).is_empty());
    let u = &v["diagnosis"]["cache_upload"];
    assert!(u["bytes"].as_u64().unwrap() > 100_000);
}

#[test]
fn regions_are_inferred_from_the_traffic() {
    let (_, v) = analyze("healthy-tls12-dns.pcap", &[]);
    let d = &v["diagnosis"];
    assert_eq!(d["source_region"]["region"]["tag_suffix"], "EastUS");
    assert_eq!(d["target_region"]["region"]["tag_suffix"], "CentralUS");
    assert_eq!(d["source_region"]["how"], "inferred from the traffic");
    let (_, v) = analyze("healthy-tls12-dns.pcap", &["--source-region", "EastUS"]);
    assert_eq!(v["diagnosis"]["source_region"]["how"], "given");
}

#[test]
fn silent_drop_is_blocked_with_syn_count_and_span() {
    let name = "syn-dropped.pcap";
    let (code, v) = analyze(name, &REGIONS);
    assert_eq!(code, 1);
    let syns: Vec<_> = truth(name)
        .into_iter()
        .filter(|r| r["tcp.flags.syn"] == "1" && r["tcp.flags.ack"] == "0")
        .collect();
    let span = epoch(&syns[syns.len() - 1]) - epoch(&syns[0]);
    let r = req(&v, "monitoring");
    assert_eq!(r["status"], "blocked");
    let c = &r["cause"];
    assert_eq!(c["kind"], "no-syn-answer");
    assert_eq!(c["syns"], syns.len());
    assert!(
        (c["span_ms"].as_f64().unwrap() - span * 1000.0).abs() < 1.0,
        "{c}"
    );
    assert_eq!(c["server"], "13.89.170.130:443");
    let f = asr_findings(&v);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["severity"], "critical");
    assert_eq!(codes(f[0]), ["151037", "151072"]);
    assert_eq!(fix_kinds(f[0]), ["nsg-allow-rule", "allow-url"]);
    assert_eq!(f[0]["fixes"][0]["tag"], "EventHub.CentralUS");
    assert_eq!(f[0]["fixes"][1]["pattern"], "*.servicebus.windows.net");
}

#[test]
fn refused_connection_to_azure_ad() {
    let (_, v) = analyze("syn-rst.pcap", &REGIONS);
    let r = req(&v, "azure-ad");
    assert_eq!(r["status"], "blocked");
    assert_eq!(r["cause"]["kind"], "syn-reset");
    assert_eq!(r["cause"]["server"], "4.149.98.200:443");
    assert!(codes(asr_findings(&v)[0]).contains(&"151196".to_string()));
}

#[test]
fn icmp_prohibited_to_site_recovery() {
    let name = "icmp-admin-prohibited.pcap";
    let (_, v) = analyze(name, &REGIONS);
    let icmp = truth(name)
        .into_iter()
        .find(|r| r["icmp.type"] == "3")
        .unwrap();
    let from = icmp["ip.src"].split('|').next().unwrap().to_string();
    let r = req(&v, "site-recovery");
    assert_eq!(r["status"], "blocked");
    let c = &r["cause"];
    assert_eq!(c["kind"], "icmp-error");
    assert_eq!(
        (c["v6"].clone(), c["icmp_type"].clone()),
        (false.into(), 3.into())
    );
    assert_eq!(c["code"].to_string(), icmp["icmp.code"]);
    assert_eq!(c["from"], from);
    assert_eq!(c["server"], "4.149.21.202:443");
    assert_eq!(codes(asr_findings(&v)[0])[0], "151197");
}

#[test]
fn url_filter_reset_at_the_hello() {
    let name = "rst-after-clienthello.pcap";
    let (_, v) = analyze(name, &REGIONS);
    let t = truth(name);
    let hello = t
        .iter()
        .find(|r| r["tls.handshake.type"].split('|').any(|x| x == "1"))
        .unwrap();
    let rst = t
        .iter()
        .find(|r| r["tcp.flags.reset"] == "1" && r["tcp.srcport"] == "443")
        .unwrap();
    let ms = (epoch(rst) - epoch(hello)) * 1000.0;
    let r = req(&v, "cache-storage");
    assert_eq!(r["status"], "blocked");
    let c = &r["cause"];
    assert_eq!(c["kind"], "closed-after-hello");
    assert_eq!(c["how"], "reset");
    assert!((c["after_ms"].as_f64().unwrap() - ms).abs() < 0.05, "{c}");
    assert_eq!(c["name"], "asrcache1.blob.core.windows.net");
    // The URL on the filter, and a service endpoint around it.
    let f = asr_findings(&v);
    assert_eq!(fix_kinds(f[0]), ["allow-url", "storage-service-endpoint"]);
    assert_eq!(f[0]["fixes"][0]["pattern"], "*.blob.core.windows.net");
    assert_eq!(f[0]["fixes"][1]["why"], "name-filter");
}

#[test]
fn authenticating_proxy() {
    let (code, v) = analyze("proxy-407.pcap", &REGIONS);
    assert_eq!(code, 1);
    let r = req(&v, "cache-storage");
    assert_eq!(r["status"], "proxy-auth");
    assert_eq!(
        r["cause"],
        serde_json::json!({
            "kind": "proxy-auth-required",
            "proxy": "10.1.0.100:3128",
            "target": "asrcache1.blob.core.windows.net:443",
            "scheme": "Basic"
        })
    );
    assert_eq!(codes(asr_findings(&v)[0]), ["151072"]);
    let flows = v["flows"].as_array().unwrap();
    let denied = flows.iter().find(|f| f["verdict"] == "proxy-auth").unwrap();
    assert_eq!(
        denied["required_tag"], "Storage.EastUS",
        "the tag the NSG needs, even through a proxy"
    );
    assert!(
        denied["service_tag"].is_null(),
        "the proxy's address is in no tag"
    );
    let ok = flows.iter().find(|f| f["proxy"]["status"] == 200).unwrap();
    assert_eq!(ok["verdict"], "allowed");
}

#[test]
fn loss_and_rate_limit_throttle_the_cache_upload() {
    let (_, v) = analyze("loss-ratelimit.pcap", &REGIONS);
    let f = flow_to(&v, "*.blob.core.windows.net");
    assert_eq!(f["verdict"], "throttled");
    let pct = f["out"]["data_retransmissions"].as_f64().unwrap() * 100.0
        / f["out"]["data_segments"].as_f64().unwrap();
    assert_eq!(f["cause"]["kind"], "throttled");
    assert!(
        (f["cause"]["retrans_pct"].as_f64().unwrap() - pct).abs() < 1e-9,
        "{}",
        f["cause"]
    );
    assert_eq!(req(&v, "cache-storage")["status"], "throttled");
    let u = &v["diagnosis"]["cache_upload"];
    assert!(
        u["mbps"].as_f64().unwrap() < 4.0 / 3.0,
        "a 3 Mbit/s limit is below what replication needs"
    );
    let fnd = asr_findings(&v);
    assert_eq!(codes(fnd[0]), ["153007"]);
    assert_eq!(fnd[0]["fixes"][0]["kind"], "storage-service-endpoint");
    assert_eq!(fnd[0]["fixes"][0]["why"], "throttled");
}

#[test]
fn names_that_do_not_resolve() {
    let (code, v) = analyze("dns-failures.pcap", &REGIONS);
    assert_eq!(code, 1);
    assert_eq!(req(&v, "monitoring")["status"], "blocked");
    assert_eq!(
        req(&v, "monitoring")["cause"],
        serde_json::json!({
            "kind": "dns-failed",
            "name": "asrmon-eus.servicebus.windows.net",
            "failure": "nxdomain",
            "count": 1
        })
    );
    assert_eq!(req(&v, "site-recovery")["status"], "blocked");
    assert_eq!(req(&v, "key-vault")["status"], "blocked");
    let f = asr_findings(&v);
    assert_eq!(f.len(), 3);
    // 151195, and the outbound-connectivity codes the newest
    // troubleshooting page files a DNS failure under.
    assert!(f.iter().all(|f| codes(f) == ["151195", "151037", "151072"]));
}

#[test]
fn tls_inspection_is_intercepted_unless_its_ca_is_trusted() {
    let (_, v) = analyze("tls-intercepted.pcap", &REGIONS);
    let r = req(&v, "azure-ad");
    assert_eq!(r["status"], "intercepted");
    assert_eq!(r["cause"]["kind"], "untrusted-issuer");
    assert_eq!(r["cause"]["issuer"], "Contoso Firewall Inspection CA");
    assert_eq!(codes(asr_findings(&v)[0]), ["151066"]);
    let (code, v) = analyze(
        "tls-intercepted.pcap",
        &[
            "--trusted-issuer",
            "Contoso Firewall",
            "--source-region",
            "eastus",
            "--target-region",
            "centralus",
        ],
    );
    assert_eq!(req(&v, "azure-ad")["status"], "ok");
    assert_eq!(code, 0);
}

#[test]
fn outside_the_azure_boundary() {
    let (_, v) = analyze("outside-azure.pcap", &REGIONS);
    let r = req(&v, "cache-storage");
    assert_eq!(r["status"], "outside-azure");
    assert_eq!(
        r["cause"],
        serde_json::json!({
            "kind": "outside-azure",
            "name": "asrcache1.blob.core.windows.net",
            "address": "203.0.113.25",
            "resolved": false
        })
    );
    let f = asr_findings(&v)[0];
    assert_eq!(
        fix_kinds(f),
        ["storage-service-endpoint", "check-dns-answers"]
    );
    assert_eq!(f["fixes"][0]["why"], "outside-azure");
}

#[test]
fn private_endpoint_is_allowed_and_said_so() {
    let (code, v) = analyze("private-endpoint.pcap", &REGIONS);
    assert_eq!(code, 0);
    let r = req(&v, "cache-storage");
    assert_eq!(r["status"], "ok");
    assert_eq!(
        r["cause"],
        serde_json::json!({
            "kind": "private-endpoint",
            "name": "asrcache1.blob.core.windows.net",
            "via": "asrcache1.privatelink.blob.core.windows.net",
            "address": "10.1.1.5"
        })
    );
    let info: Vec<_> = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "info")
        .collect();
    assert_eq!(info.len(), 1);
}

#[test]
fn capture_on_the_nva_and_cache_in_another_region() {
    let (code, v) = analyze(
        "nva-forwarded.pcapng",
        &[
            "--capture-point",
            "nva",
            "--source-region",
            "eastus",
            "--target-region",
            "centralus",
        ],
    );
    assert_eq!(code, 1);
    let about: Vec<&Value> = asr_findings(&v).iter().map(|f| &f["about"]).collect();
    assert!(
        about.contains(&&serde_json::json!({"kind": "through-appliance"})),
        "{about:?}"
    );
    assert!(
        about.contains(&&serde_json::json!({"kind": "cache-region", "region": "centralus"})),
        "{about:?}"
    );
    // On the VM, with the right source region, the same traffic is fine.
    let (code, v) = analyze(
        "nva-forwarded.pcapng",
        &["--source-region", "centralus", "--target-region", "eastus"],
    );
    assert_eq!(code, 0, "{:#}", v["diagnosis"]["findings"]);
}

#[test]
fn stale_service_tags_warn_but_do_not_count_as_asr_findings() {
    let (code, v) = analyze("healthy-tls12-dns.pcap", &REGIONS);
    assert_eq!(code, 0);
    let stale: Vec<_> = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["about"]["kind"] == "stale-tags")
        .collect();
    // The sample captures are newer than the shipped snapshot by far more than 60 days.
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["asr"], false);
}

#[test]
fn csv_carries_the_verdict_columns() {
    let (_, out, _) = run(&[
        "analyze",
        "--csv",
        "-",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        &cap("syn-dropped.pcap"),
    ]);
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    let h = rd.headers().unwrap().clone();
    let rows: Vec<HashMap<String, String>> = rd
        .records()
        .map(|r| {
            h.iter()
                .zip(r.unwrap().iter())
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        })
        .collect();
    let r = rows.iter().find(|r| r["transport"] == "tcp").unwrap();
    assert_eq!(r["endpoint"], "*.servicebus.windows.net");
    assert_eq!(r["required_tag"], "EventHub.CentralUS");
    assert_eq!(r["service_tag"], "EventHub.CentralUS");
    assert_eq!(r["verdict"], "blocked");
    assert!(r["reason"].starts_with("3 SYNs over "));
    let dns = rows.iter().find(|r| r["transport"] == "udp").unwrap();
    assert_eq!(dns["endpoint"], "");
}

#[test]
fn requirements_for_a_region_pair() {
    let (code, out, _) = run(&[
        "requirements",
        "--source-region",
        "East US",
        "--target-region",
        "centralus",
        "--format",
        "az",
    ]);
    assert_eq!(code, 0);
    let cmds: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("az network nsg rule create"))
        .collect();
    assert_eq!(cmds.len(), 12, "6 rules in each region's NSG");
    for tag in [
        "Storage.EastUS",
        "Storage.CentralUS",
        "EventHub.CentralUS",
        "EventHub.EastUS",
        "AzureActiveDirectory",
        "AzureSiteRecovery",
    ] {
        assert!(
            cmds.iter()
                .any(|c| c.contains(&format!("--destination-address-prefixes '{tag}' "))),
            "{tag}"
        );
    }
    assert!(
        cmds.iter()
            .all(|c| c.contains("--direction Outbound")
                && c.contains("--destination-port-ranges 443"))
    );
    let (_, out, _) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["nsg_rules"].as_array().unwrap().len(), 12);
    assert!(
        v["nsg_rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["tag_known"] == true)
    );
    let (code, out, _) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("NSG rules in CentralUS (replication back after failover)"));
    assert!(out.contains("IP-based filtering should not be used"));
    let (code, _, err) = run(&[
        "requirements",
        "--source-region",
        "estus",
        "--target-region",
        "centralus",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean EastUS"), "{err}");
    assert_eq!(err.trim().lines().count(), 1);
}

#[test]
fn tags_lookup_info_and_errors() {
    let (code, out, _) = run(&[
        "tags",
        "lookup",
        "13.68.163.36",
        "203.0.113.25",
        "2603:1030:213::1:10",
    ]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("13.68.163.36: Storage.EastUS (eastus)"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("AzureCloud"));
    assert_eq!(
        lines[1],
        "203.0.113.25: none (outside every Azure range in the data)"
    );
    assert!(lines[2].contains("Storage.EastUS"));
    let (code, _, err) = run(&["tags", "lookup", "13.68.163"]);
    assert_eq!(code, 2);
    assert!(err.contains("not an IPv4 or IPv6 address"));
    let (code, out, _) = run(&["tags", "info", "--regions"]);
    assert_eq!(code, 0);
    assert!(out.contains("changeNumber: 375"));
    assert!(out.contains("eastus") && out.contains("CentralUS"));
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("tags.json");
    std::fs::write(&bad, b"{\"values\": 3}").unwrap();
    let (code, _, err) = run(&[
        "analyze",
        "--service-tags",
        bad.to_str().unwrap(),
        &cap("syn-rst.pcap"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("tags.json"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn import_rebuilds_the_shipped_snapshot() {
    let rel = "servicetags/ServiceTags_Public.json";
    let Some(src) = common::shared(rel) else {
        return common::skip(&common::no_shared(rel));
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snap.txt");
    let (code, _, err) = run(&[
        "tags",
        "import",
        src.to_str().unwrap(),
        "--published",
        "2025-11-06",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::read_to_string(out).unwrap(),
        std::fs::read_to_string(root().join("data/servicetags.txt")).unwrap()
    );
    // The full file used directly gives the same lookups.
    let (_, a, _) = run(&[
        "tags",
        "lookup",
        "--service-tags",
        src.to_str().unwrap(),
        "13.68.163.36",
    ]);
    let (_, b, _) = run(&["tags", "lookup", "13.68.163.36"]);
    assert!(a.starts_with(b.trim().split(',').next().unwrap()));
}

#[test]
fn text_report_fits_in_100_columns() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("captures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    names.sort();
    for n in names {
        let (_, out, _) = run(&["analyze", "--source-region", "eastus", &cap(&n)]);
        assert!(out.contains("SITE RECOVERY REQUIREMENTS"), "{n}");
        for l in out.lines() {
            // The capture's own path may not fit, nor an `az` command,
            // which is printed whole on a line of its own (tests/fixes.rs).
            if !l.contains("captures/") && !l.trim_start().starts_with("az ") {
                assert!(
                    l.chars().count() <= 100,
                    "{n}: {} columns: {l}",
                    l.chars().count()
                );
            }
        }
    }
}

#[test]
fn replication_inside_an_nva_tunnel_is_an_nva_finding_naming_the_tunnel() {
    // The capture holds the VM's traffic inside VXLAN between two VTEPs: it
    // was taken on the tunnel's path, so no --capture-point is needed.
    let name = "nva-vxlan.pcap";
    let t = truth(name);
    let vni = t
        .iter()
        .find(|r| !r["vxlan.vni"].is_empty())
        .map(|r| r["vxlan.vni"].clone())
        .unwrap();
    let tunnel = t.iter().find(|r| !r["vxlan.vni"].is_empty()).unwrap();
    let outer_src = tunnel["ip.src"].split('|').next().unwrap();
    let port = &tunnel["udp.dstport"];
    let (code, v) = analyze(name, &REGIONS);
    assert_eq!(code, 1);
    let f = asr_findings(&v)
        .into_iter()
        .find(|f| f["title"] == "replication traffic passes through the network virtual appliance")
        .unwrap_or_else(|| panic!("{:#}", v["diagnosis"]["findings"]));
    let ev = f["evidence"][1].as_str().unwrap();
    assert!(ev.contains(&format!("UDP {port} VNI {vni}")), "{ev}");
    assert!(ev.contains(outer_src), "{ev}");
    // The flow's tunnel carries the port and the VNI.
    let flow = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["transport"] == "tcp")
        .unwrap();
    assert_eq!(flow["tunnel"]["vni"].to_string(), vni);
    assert_eq!(flow["tunnel"]["port"].to_string(), *port);
    assert_eq!(flow["endpoint_id"], "cache-storage");
    // The report says where the capture was taken, as the tunnel shows.
    assert_eq!(v["diagnosis"]["capture_point"], "nva");
    let (_, text, _) = run(&["analyze", &cap(name)]);
    assert!(
        text.lines().next().unwrap().ends_with("taken on the NVA"),
        "{text}"
    );
    let (_, plain) = analyze("healthy-tls12-dns.pcap", &REGIONS);
    assert_eq!(plain["diagnosis"]["capture_point"], "vm");
}

#[test]
fn azure_platform_addresses_are_named_not_outside_azure() {
    let (_, out, _) = run(&["tags", "lookup", "168.63.129.16", "169.254.169.254"]);
    assert!(
        out.contains("168.63.129.16: Azure platform (168.63.129.16)"),
        "{out}"
    );
    assert!(out.contains("Azure-provided DNS"), "{out}");
    assert!(
        out.contains("169.254.169.254: Azure Instance Metadata Service"),
        "{out}"
    );
    assert!(!out.contains("outside every Azure range"), "{out}");
    // DNS flows to Azure DNS carry the name in the JSON.
    let (_, v) = analyze("healthy-tls12-dns.pcap", &REGIONS);
    let dns: Vec<&Value> = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["dst_port"] == 53)
        .collect();
    assert!(!dns.is_empty());
    for f in dns {
        assert_eq!(f["dst_ip"], "168.63.129.16");
        assert_eq!(f["platform"], "Azure platform (168.63.129.16)");
    }
    // A name Azure DNS did not resolve: the finding says it was Azure DNS.
    let (_, v) = analyze("dns-failures.pcap", &REGIONS);
    let ev: Vec<String> = asr_findings(&v)
        .iter()
        .map(|f| f["evidence"][0].as_str().unwrap().to_string())
        .collect();
    assert!(
        ev.iter()
            .any(|e| e.contains("168.63.129.16, Azure-provided DNS")),
        "{ev:?}"
    );
}

/// True when bash parses `script` without running it.
fn bash_parses(script: &str) -> bool {
    let mut child = std::process::Command::new("bash")
        .arg("-n")
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    child.wait().unwrap().success()
}

#[test]
fn az_commands_paste_into_a_shell_as_they_are() {
    let (code, out, err) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--format",
        "az",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(bash_parses(&out), "{out}");
    // The variables the commands use are set first.
    for var in ["RG=", "NSG_EASTUS=", "NSG_CENTRALUS="] {
        let set = out.find(&format!("\n{var}")).unwrap_or(usize::MAX);
        let used = out
            .find(&format!("${}", var.trim_end_matches('=')))
            .unwrap();
        assert!(set < used, "{var} is set before it is used:\n{out}");
    }
    assert!(!out.contains("only (only"), "{out}");
    // A finding's command: every placeholder quoted, so that no shell reads
    // `<resource-group>` as a redirection.
    let (_, v) = analyze("syn-dropped.pcap", &[]);
    let fixes: Vec<String> = asr_findings(&v)
        .iter()
        .flat_map(|f| f["fix"].as_array().unwrap().clone())
        .map(|x| x.as_str().unwrap().to_string())
        .collect();
    let cmd = fixes
        .iter()
        .find_map(|f| f.split_once(": az ").map(|(_, c)| format!("az {c}")))
        .unwrap();
    assert!(cmd.contains("'EventHub.CentralUS'"), "{cmd}");
    assert!(bash_parses(&cmd), "{cmd}");
}

#[test]
fn churn_limits_per_disk_are_in_the_throttling_finding_and_requirements() {
    let (_, v) = analyze("loss-ratelimit.pcap", &REGIONS);
    let f = asr_findings(&v)
        .into_iter()
        .find(|f| f["about"]["status"] == "throttled" && f["endpoint"] == "cache-storage")
        .unwrap();
    let ev: Vec<&str> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    // One line with the limits, not every row of the tables.
    assert!(
        ev.iter().any(|e| e.starts_with(
            "per-disk churn limits: 2 to 20 MB/s by replica disk and I/O size (50 MB/s at most with High Churn, 250 MB/s with the Enhanced Churn preview in 10 regions)"
        )),
        "{ev:?}"
    );
    assert!(ev.len() <= 6, "{ev:?}");
    let (_, out, _) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    assert!(
        out.contains("Data churn limits: 54 MB/s per VM (100 MB/s with High Churn)"),
        "{out}"
    );
    assert!(
        out.contains("Premium SSD, 512 GiB or more   16 KB or more    20 MB/s"),
        "{out}"
    );
    let (_, out, _) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["churn_limits"]["per_vm_mbps"], 54.0);
    assert_eq!(v["churn_limits"]["per_disk"].as_array().unwrap().len(), 6);
    assert_eq!(
        v["churn_limits"]["per_disk_high_churn"]
            .as_array()
            .unwrap()
            .len(),
        13
    );
}

#[test]
fn a_vault_behind_a_private_endpoint_is_site_recovery_reached_privately() {
    let name = "vault-private-endpoint.pcap";
    let rows = truth(name);
    // tshark reads the CNAME into the private DNS zone.
    assert!(
        rows.iter()
            .any(|r| r["dns.cname"].contains(".privatelink.siterecovery.windowsazure.com"))
    );
    let (code, v) = analyze(name, &REGIONS);
    assert_eq!(code, 0, "{:#}", v["diagnosis"]["findings"]);
    let f = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["transport"] == "tcp")
        .unwrap();
    assert!(
        f["server_name"]
            .as_str()
            .unwrap()
            .ends_with("-asr-pod01-rcm1.eus.siterecovery.windowsazure.com")
    );
    assert_eq!(f["endpoint_id"], "site-recovery");
    assert_eq!(f["verdict"], "allowed");
    assert_eq!(f["private_endpoint"], true);
    assert_eq!(f["cause"]["kind"], "private-endpoint");
    assert_eq!(req(&v, "site-recovery")["status"], "ok");
    let info = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endpoint"] == "site-recovery" && f["severity"] == "info")
        .unwrap();
    assert_eq!(
        info["fixes"],
        serde_json::json!([
            {"kind": "private-endpoint-needs", "endpoint": "site-recovery",
             "zone": "privatelink.siterecovery.windowsazure.com"},
            {"kind": "entra-id-stays-public", "login": "login.microsoftonline.com"}
        ])
    );
    // The cache account behind its private endpoint: what storage needs.
    let (_, v) = analyze("private-endpoint.pcap", &REGIONS);
    let info = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endpoint"] == "cache-storage" && f["severity"] == "info")
        .unwrap();
    assert_eq!(
        info["fixes"][0],
        serde_json::json!({"kind": "private-endpoint-needs", "endpoint": "cache-storage",
                           "zone": "privatelink.blob.core.windows.net"})
    );
}

#[test]
fn government_names_are_judged_as_azure_government() {
    let name = "gov-names.pcap";
    // With the public service-tag data: the names tell the cloud, and the
    // addresses are not checked (never outside Azure for want of the file).
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 0, "{:#}", v["diagnosis"]["findings"]);
    let c = &v["diagnosis"]["cloud"];
    assert_eq!(c["cloud"], "usgov");
    assert_eq!(c["how"], "inferred from the names seen");
    assert_eq!(c["addresses_checked"], false);
    let tcp: Vec<&Value> = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["transport"] == "tcp")
        .collect();
    assert_eq!(tcp.len(), 2);
    for f in &tcp {
        assert_eq!(f["cloud"], "usgov");
        assert_eq!(f["verdict"], "allowed", "{f:#}");
        assert_eq!(f["service_tag"], Value::Null);
    }
    assert_eq!(
        req(&v, "cache-storage")["endpoint"],
        "*.blob.core.usgovcloudapi.net"
    );
    assert_eq!(req(&v, "cache-storage")["status"], "ok");
    assert_eq!(req(&v, "azure-ad")["endpoint"], "login.microsoftonline.us");
    let (_, text, _) = run(&["analyze", &cap(name)]);
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains(
            "cloud: Azure Government (inferred from the names seen); addresses NOT checked"
        ),
        "{text}"
    );
    // With a Government-format tag file the addresses are checked and the
    // regions are Government's.
    let dir = tempfile::tempdir().unwrap();
    let Some(gov) = common::government_tag_file(dir.path()) else {
        return common::skip(&common::no_shared("servicetags"));
    };
    let (code, v) = analyze(name, &["--service-tags", gov.to_str().unwrap()]);
    assert_eq!(code, 0, "{:#}", v["diagnosis"]["findings"]);
    assert_eq!(v["diagnosis"]["cloud"]["addresses_checked"], true);
    assert_eq!(
        v["diagnosis"]["source_region"]["region"]["id"],
        "usgovvirginia"
    );
    let blob = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endpoint_id"] == "cache-storage")
        .unwrap();
    assert_eq!(blob["service_tag"], "Storage.USGovVirginia");
    assert_eq!(blob["required_tag"], "Storage.USGovVirginia");
}

#[test]
fn requirements_for_a_government_region_pair() {
    let (code, out, err) = run(&[
        "requirements",
        "--cloud",
        "usgov",
        "--source-region",
        "usgovvirginia",
        "--target-region",
        "usgovtexas",
    ]);
    assert_eq!(code, 0, "{err}");
    for url in [
        "*.blob.core.usgovcloudapi.net",
        "login.microsoftonline.us",
        "*.hypervrecoverymanager.windowsazure.us",
        "*.servicebus.usgovcloudapi.net",
    ] {
        assert!(out.contains(url), "{url}: {out}");
    }
    for tag in [
        "Storage.USGovVirginia",
        "EventHub.USGovTexas",
        "Storage.USGovTexas",
        "EventHub.USGovVirginia",
    ] {
        assert!(out.contains(&format!("allow {tag}")), "{tag}: {out}");
    }
    assert!(out.contains("(Azure Government)"), "{out}");
    // The tutorial's .com name is allowed too, as the known doc error it is.
    let com = out
        .lines()
        .find(|l| l.contains("*.hypervrecoverymanager.windowsazure.com"))
        .unwrap();
    assert!(
        com.contains("known documentation error, MicrosoftDocs/azure-docs#106919"),
        "{com}"
    );
    assert!(
        out.contains("pass ServiceTags_AzureGovernment_*.json"),
        "{out}"
    );
    // The region names alone tell the cloud.
    let (_, out, _) = run(&[
        "requirements",
        "--source-region",
        "chinanorth3",
        "--target-region",
        "chinaeast3",
    ]);
    assert!(out.contains("*.blob.core.chinacloudapi.cn"), "{out}");
    assert!(out.contains("login.chinacloudapi.cn"), "{out}");
}

#[test]
fn requirements_for_azure_china_follow_the_china_pages() {
    let china = |source: &str, format: &str| {
        let (code, out, err) = run(&[
            "requirements",
            "--cloud",
            "china",
            "--source-region",
            source,
            "--target-region",
            "chinaeast3",
            "--format",
            format,
        ]);
        assert_eq!(code, 0, "{err}");
        out
    };
    // The NSG rules name Storage and EventHub without a region, as Azure
    // China's networking page does.
    let v: Value = serde_json::from_str(&china("chinanorth3", "json")).unwrap();
    let tags: Vec<&str> = v["nsg_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tag"].as_str().unwrap())
        .collect();
    assert!(
        tags.contains(&"Storage") && tags.contains(&"EventHub"),
        "{tags:?}"
    );
    assert!(!tags.iter().any(|t| t.contains('.')), "{tags:?}");
    let kinds: Vec<&str> = v["note_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"china-tags-without-region"), "{kinds:?}");
    assert!(
        kinds.contains(&"china-site-recovery-addresses"),
        "{kinds:?}"
    );
    assert_eq!(v["churn_limits"]["high_churn"]["status"], "available");
    let text = china("chinanorth3", "text");
    assert!(text.contains("  allow Storage "), "{text}");
    assert!(text.contains("  allow EventHub "), "{text}");
    assert!(text.contains("  High Churn:"), "{text}");
    // The page's IP addresses are pointed to, never printed.
    assert!(text.contains("Site Recovery's IP addresses"), "{text}");
    assert!(!text.contains("40.125.202.254"), "{text}");
    // China North has no Premium Block Blob storage: no High Churn there.
    let v: Value = serde_json::from_str(&china("chinanorth", "json")).unwrap();
    assert_eq!(
        v["churn_limits"]["high_churn"],
        serde_json::json!({"status": "unavailable", "region": "chinanorth", "why": "no-premium-block-blob"})
    );
    let text = china("chinanorth", "text");
    assert!(
        text.contains("Data churn limits: 54 MB/s per VM; per disk:"),
        "{text}"
    );
    assert!(!text.contains("  High Churn:"), "{text}");
    assert!(
        text.contains("High Churn is not available from chinanorth"),
        "{text}"
    );
    assert!(!text.contains("Enhanced Churn (preview): up to"), "{text}");
}

#[test]
fn requirements_notes_say_todays_pages() {
    let (_, out, _) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let notes: Vec<&str> = v["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let kinds = v["note_kinds"].as_array().unwrap();
    assert_eq!(notes.len(), kinds.len());
    // The storage firewall: every subnet of the VMs (support matrix since
    // 2026-03-23), not "at least one".
    let fw = notes
        .iter()
        .find(|n| n.contains("Allow trusted Microsoft services"))
        .unwrap();
    assert!(
        fw.contains("every subnet that holds replicated VMs"),
        "{fw}"
    );
    assert!(!fw.contains("at least one subnet"), "{fw}");
    for kind in [
        serde_json::json!({"kind": "multi-vm-consistency", "port": 20004}),
        serde_json::json!({"kind": "cache-key-access"}),
        serde_json::json!({"kind": "unsupported-appliance"}),
    ] {
        assert!(kinds.contains(&kind), "{kind}: {kinds:?}");
    }
    assert!(notes.iter().any(|n| n.contains("TCP 20004")), "{notes:?}");
    assert!(notes.iter().any(|n| n.contains("shared key")), "{notes:?}");
    let needs = &v["churn_limits"]["enhanced_churn"]["requires"];
    assert!(
        needs.as_array().unwrap().contains(
            &serde_json::json!({"kind": "reserved-memory", "percent": 6.25, "max_gb": 16})
        ),
        "{needs}"
    );
    let (_, text, _) = run(&[
        "requirements",
        "--source-region",
        "westus2",
        "--target-region",
        "centralus",
    ]);
    assert!(
        text.contains("stays at 100 MB/s until replication is disabled and enabled again"),
        "{text}"
    );
    // The Enhanced Churn table: every heading apart from the next, each
    // value right-aligned under its heading.
    let head = text
        .lines()
        .find(|l| l.contains("source disk, MB/s"))
        .unwrap();
    assert!(head.ends_with("  128 KB  256 KB or more"), "{head:?}");
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("128 GiB"))
        .unwrap();
    assert_eq!(row.len(), head.len(), "{head:?}\n{row:?}");
    assert!(row.ends_with(" 66.1             100"), "{row:?}");
}

/// Multi-VM consistency on real traffic (scenario 52): the VM's
/// connection to 10.1.2.4:20004 is dropped by that VM's own firewall,
/// 10.1.3.4:20004 answers.
#[test]
fn an_unanswered_multi_vm_consistency_port_is_a_finding_on_a_real_capture() {
    let name = "multivm-20004.pcap";
    let rows = truth(name);
    let syn = |r: &&HashMap<String, String>| r["tcp.flags.syn"] == "1" && r["tcp.flags.ack"] == "0";
    // tshark: SYNs to both peers' port 20004; a SYN/ACK from 10.1.3.4 only.
    let to = |dst: &str| {
        rows.iter()
            .filter(syn)
            .filter(|r| r["ip.dst"] == dst && r["tcp.dstport"] == "20004")
            .count()
    };
    assert!(to("10.1.2.4") >= 3, "{}", to("10.1.2.4"));
    assert_eq!(to("10.1.3.4"), 1);
    let synack_from = |src: &str| {
        rows.iter()
            .filter(|r| {
                r["ip.src"] == src && r["tcp.flags.syn"] == "1" && r["tcp.flags.ack"] == "1"
            })
            .count()
    };
    assert_eq!((synack_from("10.1.2.4"), synack_from("10.1.3.4")), (0, 1));
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 1, "{:#}", v["diagnosis"]["findings"]);
    let f = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["about"]["kind"] == "multi-vm-consistency")
        .unwrap_or_else(|| panic!("{:#}", v["diagnosis"]["findings"]));
    assert_eq!(f["about"]["port"], 20004);
    assert_eq!(f["severity"], "critical");
    assert_eq!(
        f["fixes"],
        serde_json::json!([{"kind": "multi-vm-port", "port": 20004}])
    );
    let evidence: Vec<&str> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        evidence[0].contains("no answer from 10.1.2.4:20004"),
        "{evidence:?}"
    );
    assert!(
        evidence[1].starts_with("TCP 20004 never answered from 10.1.2.4; answered from 10.1.3.4"),
        "{evidence:?}"
    );
    assert!(
        f["fix"][0]
            .as_str()
            .unwrap()
            .contains("allow TCP 20004 between the VMs"),
        "{f:#}"
    );
}

fn finding_for<'a>(v: &'a Value, endpoint: &str) -> &'a Value {
    asr_findings(v)
        .into_iter()
        .find(|f| f["endpoint"] == endpoint)
        .unwrap_or_else(|| panic!("no finding for {endpoint}: {v}"))
}

#[test]
fn nsg_export_names_the_rule_that_denies() {
    let nsg = data("nsg-deny-eventhub.json");
    let mut args = REGIONS.to_vec();
    args.extend(["--nsg", &nsg]);
    let (code, v) = analyze("syn-dropped.pcap", &args);
    assert_eq!(code, 1);
    let flow = flow_to(&v, "*.servicebus.windows.net");
    assert_eq!(flow["nsg"]["allowed"], false);
    assert_eq!(flow["nsg"]["nsg"], "vm01-nic-nsg");
    assert_eq!(flow["nsg"]["priority"], 200);
    let r = req(&v, "monitoring");
    assert_eq!(r["nsg"]["rule"], "securityRules/Deny-EventHub");
    assert_eq!(r["nsg"]["allowed"], false);
    // The export names the NSG and the priority to beat: an allow rule
    // before the deny at 200, and no placeholder rule beside it.
    let f = finding_for(&v, "monitoring");
    assert_eq!(
        f["fixes"][0],
        serde_json::json!({
            "kind": "nsg-allow-rule",
            "tag": "EventHub.CentralUS",
            "nsg": "vm01-nic-nsg",
            "priority": 190,
            "beats": ["securityRules/Deny-EventHub", 200],
            "resource_group": "rg-asr"
        })
    );
    assert_eq!(fix_kinds(f), ["nsg-allow-rule", "allow-url"]);
    // Without the export the same capture gives no rule.
    let (_, plain) = analyze("syn-dropped.pcap", &REGIONS);
    assert!(!plain.to_string().contains("Deny-EventHub"));
}

#[test]
fn nsg_that_allows_points_past_the_nsg_to_the_route() {
    let (nsg, routes) = (data("nsg-allow-all.json"), data("routes-udr-nva.json"));
    let mut args = REGIONS.to_vec();
    args.extend(["--nsg", &nsg, "--routes", &routes]);
    let (_, v) = analyze("syn-dropped.pcap", &args);
    let f = finding_for(&v, "monitoring");
    assert_eq!(req(&v, "monitoring")["nsg"]["allowed"], true);
    // No NSG rule advice when the export shows the NSG allows it: the
    // appliance the route leads to, and the URL to allow on it.
    assert_eq!(
        f["fixes"][0],
        serde_json::json!({
            "kind": "look-past-the-nsg",
            "to": {"to": "appliance", "address": "10.1.0.1"}
        })
    );
    assert_eq!(
        fix_kinds(f),
        ["look-past-the-nsg", "allow-url-on-appliance", "allow-url"]
    );
}

#[test]
fn route_export_proves_forced_tunnelling() {
    let routes = data("routes-forced-tunnel.json");
    let mut args = REGIONS.to_vec();
    args.extend(["--routes", &routes]);
    let (_, v) = analyze("outside-azure.pcap", &args);
    let flow = flow_to(&v, "*.blob.core.windows.net");
    assert_eq!(flow["route"]["prefix"], "0.0.0.0/0");
    assert_eq!(flow["route"]["next_hop"], "VirtualNetworkGateway");
    let ev = finding_for(&v, "cache-storage")["evidence"].to_string();
    assert!(
        ev.contains("forced tunnelling proven by the route export: 0.0.0.0/0 goes to the virtual network gateway"),
        "{ev}"
    );
    let (_, plain) = analyze("outside-azure.pcap", &REGIONS);
    assert!(!plain.to_string().contains("proven by the route export"));
}

#[test]
fn route_to_an_appliance_is_evidence_for_throttling() {
    let routes = data("routes-udr-nva.json");
    let mut args = REGIONS.to_vec();
    args.extend(["--routes", &routes]);
    let (_, v) = analyze("loss-ratelimit.pcap", &args);
    let ev = finding_for(&v, "cache-storage")["evidence"].to_string();
    assert!(
        ev.contains("to the virtual appliance 10.1.0.1: the appliance may throttle it"),
        "{ev}"
    );
    let out = run(&[
        "analyze",
        "--csv",
        "-",
        "--routes",
        &routes,
        &cap("loss-ratelimit.pcap"),
    ])
    .1;
    let mut rd = csv::Reader::from_reader(out.as_bytes());
    let col = rd
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "route_next_hop")
        .unwrap();
    let hops: Vec<String> = rd.records().map(|r| r.unwrap()[col].to_string()).collect();
    assert!(
        hops.iter().any(|h| h == "VirtualAppliance 10.1.0.1"),
        "{hops:?}"
    );
}

#[test]
fn bad_configuration_exports_are_one_line_and_exit_2() {
    // Removed when the test ends, whether or not it passed.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{bad").unwrap();
    let bad = bad.to_string_lossy().to_string();
    let routes = data("routes-udr-nva.json");
    let missing = dir.join("absent.json").to_string_lossy().to_string();
    let c = cap("syn-dropped.pcap");
    for (flag, file, says) in [
        ("--nsg", &bad, "not JSON"),
        ("--routes", &bad, "not JSON"),
        ("--nsg", &routes, "az network nic list-effective-nsg"),
        ("--routes", &missing, "cannot read the export: no such file"),
    ] {
        let (code, out, err) = run(&["analyze", flag, file, &c]);
        assert_eq!(code, 2, "{flag} {file}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(file.as_str()) && err.contains(says), "{err}");
    }
}

#[test]
fn nsg_export_contradicted_by_the_capture_is_said_not_believed() {
    let nsg = data("nsg-deny-eventhub.json");
    let mut args = REGIONS.to_vec();
    args.extend(["--nsg", &nsg]);
    let (code, v) = analyze("healthy-tls12-dns.pcap", &args);
    assert_eq!(code, 0, "the capture shows Service Bus working");
    assert_eq!(req(&v, "monitoring")["status"], "ok");
    let f = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endpoint"] == "monitoring")
        .unwrap();
    assert_eq!(f["severity"], "info");
    assert_eq!(f["asr"], false);
    assert_eq!(
        f["fixes"][0],
        serde_json::json!({"kind": "export-again", "export": "effective"})
    );
}

#[test]
fn route_with_next_hop_none_is_evidence_for_a_block() {
    let routes = data("routes-drop-eventhub.json");
    let mut args = REGIONS.to_vec();
    args.extend(["--routes", &routes]);
    let (code, v) = analyze("syn-dropped.pcap", &args);
    assert_eq!(code, 1);
    let f = finding_for(&v, "monitoring");
    assert!(
        f["evidence"]
            .to_string()
            .contains("the route export drops this traffic: 13.89.170.128/26 has next hop None"),
        "{f}"
    );
    assert_eq!(f["fixes"][0]["kind"], "correct-route");
    assert_eq!(f["fixes"][0]["prefix"], "13.89.170.128/26");
    assert_eq!(f["fixes"][0]["next_hop"], "None");
}

/// curl --proxy-anyauth: the proxy answered 407, then 200 on the same
/// connection once curl sent credentials, and the upload worked. The
/// requirement is met; a warning says the proxy authenticates.
#[test]
fn a_proxy_that_authenticates_and_lets_the_upload_through_is_a_warning() {
    let (code, v) = analyze("proxy-anyauth.pcap", &REGIONS);
    assert_eq!(code, 1, "a warning about Site Recovery traffic");
    assert_eq!(req(&v, "cache-storage")["status"], "ok");
    let f = flow_to(&v, "*.blob.core.windows.net");
    assert_eq!(f["verdict"], "allowed");
    assert_eq!(f["proxy"]["first_status"], 407);
    assert_eq!(f["proxy"]["status"], 200);
    assert_eq!(f["proxy"]["credentials_sent"], true);
    assert_eq!(
        f["tls"]["sni"], "asrcache1.blob.core.windows.net",
        "TLS after the second CONNECT"
    );
    let found = asr_findings(&v);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["about"]["kind"], "authenticating-proxy");
    assert_eq!(found[0]["severity"], "warning");
    assert_eq!(found[0]["fixes"][0]["kind"], "proxy-without-authentication");
}

/// An upload through an authenticating proxy, policed on its way there:
/// both problems are findings, the proxy's and the throttling's.
#[test]
fn an_authenticating_proxy_does_not_hide_a_throttled_upload() {
    let (code, v) = analyze("proxy-throttled.pcap", &REGIONS);
    assert_eq!(code, 1);
    assert_eq!(req(&v, "cache-storage")["status"], "throttled");
    let kinds: Vec<String> = asr_findings(&v)
        .iter()
        .map(|f| {
            let a = &f["about"];
            format!(
                "{} {}",
                a["kind"].as_str().unwrap(),
                a["status"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        ["endpoint throttled", "authenticating-proxy "],
        "{kinds:?}"
    );
    let upload = &v["diagnosis"]["cache_upload"];
    assert!(upload["mbps"].as_f64().unwrap() < 1.33, "{upload}");
}

/// An appliance forwarding for three VMs drops one's HTTPS: the requirement
/// says which VM is blocked and which work, and the fix points at the
/// appliance and what lies past it, not at the VM's NSG (its SYNs reached
/// the appliance). Without --capture-point: several VMs' traffic shows it.
#[test]
fn an_appliance_that_drops_one_vm_of_three_names_it_and_points_past_the_vm() {
    for extra in [&[][..], &["--capture-point", "nva"][..]] {
        let mut args = REGIONS.to_vec();
        args.extend_from_slice(extra);
        let (code, v) = analyze("nva-three-vms.pcap", &args);
        assert_eq!(code, 1);
        assert_eq!(v["diagnosis"]["capture_point"], "nva");
        let r = req(&v, "cache-storage");
        assert_eq!(r["status"], "blocked");
        let sources: Vec<(String, String, u64)> = r["sources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["address"].as_str().unwrap().to_string(),
                    s["status"].as_str().unwrap().to_string(),
                    s["flows"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            sources,
            [
                ("10.1.3.4".to_string(), "blocked".to_string(), 1),
                ("10.1.0.4".to_string(), "ok".to_string(), 1),
                ("10.1.2.4".to_string(), "ok".to_string(), 1),
            ]
        );
        let blocked = asr_findings(&v)
            .into_iter()
            .find(|f| f["about"]["status"] == "blocked")
            .unwrap();
        let kinds: Vec<&str> = blocked["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["at-the-appliance", "allow-url"]);
        assert!(blocked["evidence"].as_array().unwrap().iter().any(|e| {
            e.as_str()
                .unwrap()
                .contains("blocked 10.1.3.4 (1 flow); ok 10.1.0.4")
        }));
    }
    // One VM's capture: no list of VMs, the VM's NSG.
    let (_, v) = analyze("syn-dropped.pcap", &REGIONS);
    assert_eq!(
        req(&v, "monitoring")["sources"].as_array().unwrap().len(),
        1
    );
    let f = asr_findings(&v)[0];
    assert_eq!(f["fixes"][0]["kind"], "nsg-allow-rule");
}

/// `requirements` lists what "Replicate machines with private endpoints"
/// requires: the vault's zone, the names of its private endpoint as the page
/// spells them, the forwarder "Azure Private Endpoint private DNS zone values"
/// gives, and the prerequisites asrscope did not say before.
#[test]
fn requirements_list_what_private_endpoints_require() {
    let json = |source: &str, target: &str| -> Value {
        let (code, out, err) = run(&[
            "requirements",
            "--source-region",
            source,
            "--target-region",
            target,
            "--format",
            "json",
        ]);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str(&out).unwrap()
    };
    let v = json("eastus", "centralus");
    let p = &v["private_endpoints"];
    assert_eq!(p["vault"]["sub_resource"], "AzureSiteRecovery");
    assert_eq!(
        p["vault"]["zone"],
        "privatelink.siterecovery.windowsazure.com"
    );
    assert_eq!(
        p["vault"]["names"],
        "{Vault-ID}-asr-pod01-{type}-.{target-geo-code}.privatelink.siterecovery.windowsazure.com"
    );
    assert_eq!(
        p["vault"]["forwarder"],
        "{regionCode}.siterecovery.windowsazure.com"
    );
    assert!(
        p["vault"]["names_note"]
            .as_str()
            .unwrap()
            .contains("two more")
    );
    assert_eq!(
        p["cache_storage"]["zone"],
        "privatelink.blob.core.windows.net"
    );
    assert_eq!(p["cache_storage"]["forwarder"], "blob.core.windows.net");
    let needs: Vec<&str> = p["prerequisites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    for want in [
        "only for new Recovery Services vaults that don't have any items registered",
        "One additional IP address in both the source and recovery subnets for a private endpoint to the cache storage account",
        "Create a new private DNS zone for every new private endpoint connecting to the same vault",
        "previous CNAME records",
        "after replication is enabled, two more names are created on the private endpoints in both regions",
        "At least seven IP addresses",
    ] {
        assert!(needs.iter().any(|n| n.contains(want)), "{want}: {needs:#?}");
    }
    // Government: its own zone and forwarder.
    let v = json("usgovvirginia", "usgovtexas");
    let p = &v["private_endpoints"];
    assert_eq!(
        p["vault"]["zone"],
        "privatelink.siterecovery.windowsazure.us"
    );
    assert_eq!(
        p["vault"]["forwarder"],
        "{regionCode}.siterecovery.windowsazure.us"
    );
    assert_eq!(
        p["cache_storage"]["zone"],
        "privatelink.blob.core.usgovcloudapi.net"
    );
    // The text says the same.
    let (_, text, _) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    assert!(
        text.contains("  vault: target sub-resource AzureSiteRecovery, private DNS zone privatelink.siterecovery.windowsazure.com\n"),
        "{text}"
    );
    assert!(
        text.contains("a custom DNS server forwards {regionCode}.siterecovery.windowsazure.com to Azure DNS (168.63.129.16)"),
        "{text}"
    );
}
