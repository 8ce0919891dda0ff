//! An FQDN filter in the path (Azure Firewall, or any appliance that reads
//! the server name), on the real captures the capture script makes with
//! haproxy, squid and Azure Firewall's HTTP deny (scenarios 40 to 44), and
//! on the iptables reset of `rst-after-clienthello.pcap`: the flows a filter
//! closes or answers in the server's name are `blocked` with their cause
//! and fixes, its repeated attempts are one finding, what it lets through
//! stays `allowed`, and a SYN/ACK or a close that was not the server's is
//! said as evidence, from what the packets show (tshark's truth).

mod common;

use asrscope::model::{
    Analysis, Cause, ClosedBy, DenyPage, EndpointId, Evidence, Finding, ServerSeen, Status, Verdict,
};
use common::{analysis, analyze, truth};
use serde_json::Value;

const REGIONS: [&str; 4] = ["--source-region", "eastus", "--target-region", "centralus"];
const BLOB: &str = "asrcache1.blob.core.windows.net";
const STORAGE: &str = "13.68.163.36";

/// The Site Recovery findings about an endpoint.
fn findings_of(a: &Analysis, id: EndpointId) -> Vec<&Finding> {
    a.diagnosis
        .findings
        .iter()
        .filter(|f| f.asr() && f.endpoint() == Some(id))
        .collect()
}

/// The one blocked finding of an endpoint (repeated attempts are one).
fn blocked_finding(a: &Analysis, id: EndpointId) -> &Finding {
    let f = findings_of(a, id);
    assert_eq!(f.len(), 1, "{f:#?}");
    f[0]
}

fn has_synack_evidence(f: &Finding) -> bool {
    f.evidence
        .iter()
        .any(|e| matches!(e, Evidence::SynAckNotTheServers { .. }))
}

/// TCP flows of the JSON to `server` on `port`.
fn flows_to<'a>(v: &'a Value, server: &str, port: u16) -> Vec<&'a Value> {
    v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["transport"] == "tcp" && f["dst_ip"] == server && f["dst_port"] == port)
        .collect()
}

fn fix_kinds(f: &Value) -> Vec<&str> {
    f["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect()
}

fn cache_finding(v: &Value) -> &Value {
    let f: Vec<&Value> = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["asr"] == true && f["endpoint"] == "cache-storage")
        .collect();
    assert_eq!(f.len(), 1, "one finding for the cache account: {f:#?}");
    f[0]
}

fn status(v: &Value, id: &str) -> String {
    v["diagnosis"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// tshark's SYN/ACKs from `server`, in order: (TTL, window).
fn truth_synacks(name: &str, server: &str) -> Vec<(u8, u16)> {
    truth(name)
        .iter()
        .filter(|r| r["ip.src"] == server && r["tcp.flags.syn"] == "1" && r["tcp.flags.ack"] == "1")
        .map(|r| {
            (
                r["ip.ttl"].parse().unwrap(),
                r["tcp.window_size_value"].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn an_sni_filter_that_closes_with_a_fin_is_blocked_and_its_handshake_named() {
    let name = "fqdn-filter-fin.pcap";
    let (code, v) = analyze(name, &REGIONS);
    assert_eq!(code, 1, "replication cannot work: exit 1");
    assert_eq!(status(&v, "cache-storage"), "blocked");
    // What the filter let through works through it.
    assert_eq!(status(&v, "azure-ad"), "ok");
    assert_eq!(status(&v, "site-recovery"), "ok");
    let flows = flows_to(&v, STORAGE, 443);
    assert_eq!(flows.len(), 3, "one direct upload, two denied attempts");
    assert_eq!(flows[0]["verdict"], "allowed", "before the filter");
    for f in &flows[1..] {
        assert_eq!(f["verdict"], "blocked");
        let c = &f["cause"];
        assert_eq!(c["kind"], "closed-after-hello");
        assert_eq!(c["how"], "fin");
        assert_eq!(c["name"], BLOB);
        assert!(c["after_ms"].as_f64().unwrap() < 5.0, "{c}");
        assert_eq!(f["in"]["bytes"], 0);
        assert_eq!(f["tls"]["handshake_end"], "closed-at-hello");
    }
    // The SYN/ACKs as tshark reads them: the server's, then the filter's.
    let synacks = truth_synacks(name, STORAGE);
    assert_eq!(synacks.len(), 3);
    for (f, (ttl, window)) in flows.iter().zip(&synacks) {
        assert_eq!(f["evidence"]["synack"]["ttl"], *ttl);
        assert_eq!(f["evidence"]["synack"]["window"], *window);
    }
    assert_ne!(synacks[0], synacks[1], "the filter's SYN/ACK is its own");
    let fd = cache_finding(&v);
    assert_eq!(fix_kinds(fd), ["allow-url", "storage-service-endpoint"]);
    assert_eq!(fd["fixes"][0]["pattern"], "*.blob.core.windows.net");
    assert_eq!(fd["fixes"][1]["why"], "name-filter");

    // As values: the cause, and that the handshake was not the server's:
    // the direct upload showed the server's own SYN/ACK.
    let a = analysis(name);
    let f = blocked_finding(&a, EndpointId::CacheStorage);
    assert!(matches!(
        &f.evidence[0],
        Evidence::Cause(Cause::ClosedAfterHello {
            how: ClosedBy::Fin,
            ..
        })
    ));
    let synack = f
        .evidence
        .iter()
        .find_map(|e| match e {
            Evidence::SynAckNotTheServers { synack, seen, .. } => Some((synack, seen)),
            _ => None,
        })
        .expect("the SYN/ACK is said not to be the server's");
    assert_eq!(synack.0.ttl, synacks[1].0);
    match synack.1 {
        ServerSeen::OtherConnections {
            print,
            flows,
            differ,
        } => {
            assert_eq!((print.ttl, print.window), synacks[0]);
            assert_eq!(*flows, 1);
            assert!(differ.ttl && differ.window, "{differ:?}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        findings_of(&a, EndpointId::AzureAd).is_empty()
            && findings_of(&a, EndpointId::SiteRecovery).is_empty()
    );
}

#[test]
fn the_reset_form_is_blocked_too() {
    let (_, v) = analyze("fqdn-filter-rst.pcap", &REGIONS);
    assert_eq!(status(&v, "cache-storage"), "blocked");
    assert_eq!(status(&v, "site-recovery"), "ok");
    let blocked: Vec<&Value> = flows_to(&v, STORAGE, 443)
        .into_iter()
        .filter(|f| f["verdict"] == "blocked")
        .collect();
    assert_eq!(blocked.len(), 2, "two attempts");
    for f in &blocked {
        assert_eq!(f["cause"]["kind"], "closed-after-hello");
        assert_eq!(f["cause"]["how"], "reset");
        assert_eq!(f["in"]["bytes"], 0);
    }
    assert_eq!(
        fix_kinds(cache_finding(&v)),
        ["allow-url", "storage-service-endpoint"]
    );
    // Nothing shows the server's own packets: nothing to compare the
    // filter's SYN/ACK with, and nothing said of it.
    let a = analysis("fqdn-filter-rst.pcap");
    assert!(!has_synack_evidence(blocked_finding(
        &a,
        EndpointId::CacheStorage
    )));
}

#[test]
fn squid_terminating_and_denying_is_blocked() {
    let name = "squid-terminate.pcap";
    let (_, v) = analyze(name, &REGIONS);
    assert_eq!(status(&v, "cache-storage"), "blocked");
    assert_eq!(status(&v, "azure-ad"), "ok", "spliced through squid");
    let https = flows_to(&v, STORAGE, 443);
    assert_eq!(https.len(), 1);
    assert_eq!(https[0]["cause"]["kind"], "closed-after-hello");
    assert_eq!(https[0]["cause"]["how"], "fin");
    let http = flows_to(&v, STORAGE, 80);
    assert_eq!(http.len(), 1);
    assert_eq!(http[0]["verdict"], "blocked");
    assert_eq!(
        http[0]["cause"],
        serde_json::json!({
            "kind": "deny-page",
            "page": {"by": "squid", "error": "ERR_ACCESS_DENIED"},
            "status": 403,
            "name": BLOB,
        })
    );
    assert_eq!(http[0]["http"]["method"], "GET");
    let a = analysis(name);
    let j = a
        .flows
        .iter()
        .find(|j| j.flow.dst_port == 80)
        .expect("the port-80 flow");
    assert_eq!(
        j.verdict.cause,
        Cause::DenyPage {
            page: DenyPage::Squid {
                error: "ERR_ACCESS_DENIED".into()
            },
            status: 403,
            name: Some(BLOB.into()),
        }
    );
}

#[test]
fn azure_firewalls_470_is_blocked_once_for_two_requests() {
    let name = "azfw-470.pcap";
    let (code, v) = analyze(name, &REGIONS);
    assert_eq!(code, 1);
    let t = truth(name);
    assert_eq!(
        t.iter()
            .filter(|r| r["http.response.code"] == "470")
            .count(),
        2
    );
    let flows = flows_to(&v, STORAGE, 80);
    assert_eq!(flows.len(), 2);
    for f in &flows {
        assert_eq!(f["verdict"], "blocked");
        assert_eq!(
            f["cause"],
            serde_json::json!({
                "kind": "deny-page",
                "page": {"by": "azure-firewall"},
                "status": 470,
                "name": BLOB,
            })
        );
        assert_eq!(f["endpoint_id"], "cache-storage");
    }
    let fd = cache_finding(&v);
    assert_eq!(fix_kinds(fd), ["allow-url", "storage-service-endpoint"]);
    let a = analysis(name);
    let f = blocked_finding(&a, EndpointId::CacheStorage);
    assert!(f.evidence.contains(&Evidence::Flows {
        flows: 2,
        by_verdict: [(Verdict::Blocked, 2)].into()
    }));
}

#[test]
fn what_the_filter_allows_stays_allowed() {
    let (code, v) = analyze("fqdn-filter-allowed.pcap", &REGIONS);
    assert_eq!(code, 0, "no finding about Site Recovery");
    for id in ["cache-storage", "azure-ad", "site-recovery", "monitoring"] {
        assert_eq!(status(&v, id), "ok", "{id}");
    }
    for f in v["flows"].as_array().unwrap() {
        if f["transport"] == "tcp" {
            assert_eq!(f["verdict"], "allowed", "{}", f["reason"]);
        }
    }
    let a = analysis("fqdn-filter-allowed.pcap");
    assert!(
        a.diagnosis
            .requirements
            .iter()
            .filter(|r| r.flows > 0)
            .all(|r| r.status == Status::Ok)
    );
}

#[test]
fn a_reset_from_the_path_is_not_the_servers() {
    // iptables on the appliance resets the hello; the server answered the
    // SYN itself and closed 3 s later (TTL 63), the RST is the appliance's.
    let name = "rst-after-clienthello.pcap";
    let t = truth(name);
    let ttl_of = |pred: &dyn Fn(&common::Row) -> bool| -> u8 {
        t.iter().find(|r| pred(r)).unwrap()["ip.ttl"]
            .parse()
            .unwrap()
    };
    let rst = ttl_of(&|r| r["tcp.flags.reset"] == "1" && r["tcp.srcport"] == "443");
    let synack = ttl_of(&|r| r["tcp.flags.syn"] == "1" && r["tcp.flags.ack"] == "1");
    assert_ne!(rst, synack);
    let a = analysis(name);
    let f = blocked_finding(&a, EndpointId::CacheStorage);
    assert!(
        f.evidence.contains(&Evidence::CloseNotTheServers {
            how: ClosedBy::Reset,
            ttl: rst,
            server_ttl: synack,
        }),
        "{:#?}",
        f.evidence
    );
    assert!(
        !has_synack_evidence(f),
        "the server answered the SYN itself"
    );
}

#[test]
fn a_server_that_answered_is_never_a_filter() {
    // Servers that answered with a TLS alert, a certificate the client
    // rejected, or a whole exchange: never closed at the hello.
    for name in [
        "healthy-tls12-dns.pcap",
        "cert-rejected.pcap",
        "tls13-encrypted-alert.pcap",
        "tls-intercepted.pcap",
    ] {
        let a = analysis(name);
        for j in &a.flows {
            assert!(
                !matches!(
                    j.verdict.cause,
                    Cause::ClosedAfterHello { .. } | Cause::DenyPage { .. }
                ),
                "{name}: {:?}",
                j.verdict.cause
            );
        }
        assert!(
            a.diagnosis.findings.iter().all(|f| !has_synack_evidence(f)),
            "{name}"
        );
    }
}
