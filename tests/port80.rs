//! Plain HTTP on port 80 that Site Recovery's VMs depend on besides the
//! HTTPS endpoints, on the real captures the capture script makes
//! (scenarios 47 to 49) and on an NSG export edited from Microsoft's
//! example: the Instance Metadata Service (169.254.169.254) asked through a
//! proxy or not answering, the certificate authorities' hosts (issuer
//! certificates, revocation lists, OCSP) blocked beside a certificate the VM
//! rejects, `requirements` listing both, and `check` judging the NSG rules
//! that name `AzurePlatformIMDS` and `AzurePlatformDNS`. Counts are tshark's
//! (`captures/truth/`).

mod common;

use asrscope::model::{
    Analysis, CaService, Cause, DenyPage, EndpointId, Evidence, FindingKind, Fix, ImdsFailure,
    ImdsVia, Title, Verdict,
};
use common::{Row, analysis, data, run, truth};
use serde_json::Value;

const REGIONS: [&str; 4] = ["--source-region", "eastus", "--target-region", "centralus"];
const IMDS: &str = "169.254.169.254";
const PROXY: &str = "10.1.0.100";

fn finding(a: &Analysis, kind: &FindingKind) -> asrscope::model::Finding {
    a.diagnosis
        .findings
        .iter()
        .find(|f| f.about == *kind)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind:?}: {:#?}", a.diagnosis.findings))
}

fn rows<'a>(t: &'a [Row], pred: impl Fn(&Row) -> bool + 'a) -> Vec<&'a Row> {
    t.iter().filter(|r| pred(r)).collect()
}

fn is(r: &Row, col: &str, v: &str) -> bool {
    r[col].split('|').any(|x| x == v)
}

#[test]
fn imds_requests_sent_to_the_proxy_are_a_finding_with_the_bypass_fix() {
    let name = "imds-through-proxy.pcap";
    let t = truth(name);
    // tshark: one absolute-URI GET and one CONNECT to the proxy name IMDS,
    // and no packet goes to IMDS itself.
    let gets = rows(&t, |r| {
        is(r, "ip.dst", PROXY)
            && r["http.request.method"] == "GET"
            && r["http.request.uri"].starts_with(&format!("http://{IMDS}/metadata/"))
    });
    let connects = rows(&t, |r| {
        is(r, "ip.dst", PROXY) && r["http.request.method"] == "CONNECT"
    });
    assert_eq!((gets.len(), connects.len()), (1, 1));
    assert!(rows(&t, |r| is(r, "ip.dst", IMDS)).is_empty());
    let uri = gets[0]["http.request.uri"].split('?').next().unwrap();
    let answer: u16 = rows(&t, |r| {
        is(r, "ip.src", PROXY) && !r["http.response.code"].is_empty()
    })[0]["http.response.code"]
        .parse()
        .unwrap();

    let a = analysis(name);
    let f = finding(&a, &FindingKind::ImdsThroughProxy);
    assert_eq!(f.title, Title::ImdsThroughProxy);
    assert_eq!(f.fixes, vec![Fix::BypassImdsInProxy]);
    assert_eq!(
        f.evidence[0],
        Evidence::ImdsToProxy {
            proxy: format!("{PROXY}:3128").parse().unwrap(),
            via: ImdsVia::AbsoluteUri,
            target: Some(uri.to_string()),
            status: Some(answer),
            flows: (gets.len() + connects.len()) as u64,
        }
    );
    assert_eq!(f.evidence[1], Evidence::ImdsStaysOnHost);
    assert!(f.asr() && f.endpoint().is_none());
    // The plain HTTP request's line and Host, as the flow shows them.
    let get = a
        .flows
        .iter()
        .find(|j| j.flow.http.as_ref().is_some_and(|h| h.method == "GET"))
        .unwrap();
    let h = get.flow.http.as_ref().unwrap();
    assert_eq!(h.host.as_deref(), Some(IMDS));
    assert_eq!(h.target.as_deref(), Some(uri));
    assert_eq!(h.status, Some(answer));
    // A finding: exit status 1, and the fix in words.
    let (code, out, _) = run(&["analyze", &common::capture(name)]);
    assert_eq!(code, 1);
    assert!(
        out.contains("bypass 169.254.169.254 in the proxy settings"),
        "{out}"
    );
    assert!(
        out.contains("/etc/environment") && out.contains("ProxyInfo.conf"),
        "{out}"
    );
}

#[test]
fn imds_that_does_not_answer_is_a_finding_for_both_ways_it_stays_silent() {
    let name = "imds-unanswered.pcap";
    let t = truth(name);
    let syn =
        |r: &Row| is(r, "ip.dst", IMDS) && r["tcp.flags.syn"] == "1" && r["tcp.flags.ack"] == "0";
    let streams: Vec<String> = {
        let mut s: Vec<String> = rows(&t, syn)
            .iter()
            .map(|r| r["tcp.stream"].clone())
            .collect();
        s.dedup();
        s
    };
    assert_eq!(streams.len(), 2, "{streams:?}");
    let first_syns = rows(&t, |r| syn(r) && r["tcp.stream"] == streams[0]).len() as u32;
    let resent = rows(&t, |r| {
        r["tcp.stream"] == streams[1]
            && is(r, "ip.dst", IMDS)
            && r["tcp.analysis.retransmission"] == "1"
            && r["tcp.len"] != "0"
    })
    .len() as u64;
    assert!(
        rows(&t, |r| is(r, "ip.src", IMDS)
            && !r["http.response.code"].is_empty())
        .is_empty()
    );

    let a = analysis(name);
    let f = finding(&a, &FindingKind::ImdsUnanswered);
    assert_eq!(f.fixes, vec![Fix::ImdsReachable]);
    let Evidence::ImdsNoAnswer {
        failure: ImdsFailure::Connection(Cause::NoSynAnswer { syns, server, .. }),
        flows: 1,
    } = &f.evidence[0]
    else {
        panic!("{:#?}", f.evidence)
    };
    assert_eq!(*syns, first_syns);
    assert_eq!(server.to_string(), format!("{IMDS}:80"));
    assert_eq!(
        f.evidence[1],
        Evidence::ImdsNoAnswer {
            failure: ImdsFailure::NoResponse {
                server: format!("{IMDS}:80").parse().unwrap(),
                retransmissions: resent,
            },
            flows: 1,
        }
    );
    assert!(resent > 0);
}

#[test]
fn blocked_revocation_and_issuer_hosts_are_a_finding_and_said_beside_the_rejected_certificate() {
    let name = "crl-blocked.pcap";
    let t = truth(name);
    let crl_ip = rows(&t, |r| {
        r["dns.qry.name"] == "crl3.digicert.com" && !r["dns.a"].is_empty()
    })[0]["dns.a"]
        .clone();
    assert!(rows(&t, |r| is(r, "ip.src", &crl_ip)).is_empty());
    let crl_syns = rows(&t, |r| {
        is(r, "ip.dst", &crl_ip) && r["tcp.flags.syn"] == "1" && r["tcp.flags.ack"] == "0"
    })
    .len() as u32;
    assert_eq!(
        rows(&t, |r| is(r, "ip.src", PROXY)
            && r["http.response.code"] == "403")
        .len(),
        1
    );

    let a = analysis(name);
    // The flows are told by their names: the CRL host by DNS, the AIA host
    // by the Host of the request to the proxy.
    let service = |n: &str| {
        a.flows
            .iter()
            .find(|j| j.flow.name() == Some(n))
            .map(|j| (j.verdict.ca_service, j.verdict.verdict))
    };
    assert_eq!(
        service("crl3.digicert.com"),
        Some((Some(CaService::Crl), Verdict::Blocked))
    );
    assert_eq!(
        service("cacerts.digicert.com"),
        Some((Some(CaService::Aia), Verdict::Blocked))
    );
    let f = finding(&a, &FindingKind::CaHostsBlocked);
    assert_eq!(
        f.fixes,
        vec![Fix::AllowCaHosts {
            hosts: vec!["crl3.digicert.com".into(), "cacerts.digicert.com".into()]
        }]
    );
    let Evidence::CaHostsBlocked { hosts, flows: 2 } = &f.evidence[0] else {
        panic!("{:#?}", f.evidence)
    };
    assert!(matches!(
        hosts[0].cause,
        Cause::NoSynAnswer { syns, .. } if syns == crl_syns
    ));
    assert!(matches!(
        &hosts[1].cause,
        Cause::DenyPage { page: DenyPage::Squid { error }, status: 403, .. } if error == "ERR_ACCESS_DENIED"
    ));
    // Beside the certificate the VM rejected, in the same capture.
    let rejected = a
        .diagnosis
        .findings
        .iter()
        .find(|f| f.endpoint() == Some(EndpointId::CacheStorage))
        .unwrap();
    assert!(matches!(rejected.title, Title::CertificateRejected { .. }));
    assert!(rejected.evidence.contains(&f.evidence[0]));
    // The JSON names each flow's service.
    let (_, v) = common::analyze(name, &REGIONS);
    let crl = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["dst_ip"] == crl_ip.as_str())
        .unwrap();
    assert_eq!(crl["ca_service"], "crl");
}

#[test]
fn a_healthy_capture_has_no_port_80_finding() {
    let a = analysis("healthy-tls12-dns.pcap");
    assert!(a.diagnosis.findings.iter().all(|f| !matches!(
        f.about,
        FindingKind::ImdsThroughProxy | FindingKind::ImdsUnanswered | FindingKind::CaHostsBlocked
    )));
}

#[test]
fn requirements_list_imds_the_platform_tags_and_the_certificate_authorities_hosts() {
    let (code, out, _) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).unwrap();
    let imds = &v["platform"][0];
    assert_eq!(imds["address"], IMDS);
    assert_eq!(imds["port"], "TCP 80 (HTTP)");
    assert_eq!(imds["tag"], "AzurePlatformIMDS");
    assert_eq!(imds["direct"], true);
    assert_eq!(v["platform"][1]["address"], "168.63.129.16");
    assert_eq!(v["platform"][1]["tag"], "AzurePlatformDNS");
    let hosts: Vec<(&str, &str)> = v["ca_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["host"].as_str().unwrap(), h["service"].as_str().unwrap()))
        .collect();
    assert_eq!(hosts.len(), 11);
    for h in [
        ("cacerts.digicert.com", "aia"),
        ("www.microsoft.com", "aia-crl"),
        ("crl3.digicert.com", "crl"),
        ("oneocsp.microsoft.com", "ocsp"),
    ] {
        assert!(hosts.contains(&h), "{hosts:?}");
    }
    let (_, text, _) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    assert!(text.contains("169.254.169.254  TCP 80 (HTTP)"), "{text}");
    assert!(text.contains("may be needed (HTTP, TCP 80"), "{text}");
}

/// `check`'s JSON and exit status on an export.
fn check(nsg: &str) -> (i32, Value) {
    let (code, out, err) = run(&[
        "check",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--nsg",
        nsg,
        "--format",
        "json",
    ]);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}")),
    )
}

#[test]
fn check_reads_the_platform_tags_by_name_and_says_which_rule_denies_them() {
    // Microsoft's NetworkSecurityGroupGet example, with two outbound denies
    // on the platform tags (tests/data/README.md).
    let (code, v) = check(&data("nsg-deny-platform.json"));
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
    let p = v["platform"].as_array().unwrap();
    assert_eq!(p[0]["tag"], "AzurePlatformIMDS");
    assert_eq!(p[0]["status"], "denied");
    assert_eq!(p[0]["denied_by"]["rule"], "DenyIMDS");
    assert_eq!(p[0]["denied_by"]["priority"], 200);
    assert_eq!(p[0]["fixes"][0]["priority"], 190);
    assert_eq!(p[1]["tag"], "AzurePlatformDNS");
    assert_eq!(p[1]["status"], "denied");
    assert_eq!(p[1]["denied_by"]["rule"], "DenyPlatformDNS");
    // A deny of the platform tags on every port stands for their platform
    // addresses alone: the Site Recovery endpoints are still judged (not
    // "unknown" for want of the tags' prefixes, which the data lacks).
    let mut export: Value =
        serde_json::from_str(&std::fs::read_to_string(data("nsg-deny-platform.json")).unwrap())
            .unwrap();
    for r in export["securityRules"].as_array_mut().unwrap() {
        r["destinationPortRange"] = Value::from("*");
    }
    let dir = tempfile::tempdir().unwrap();
    let every_port = dir.path().join("every-port.json");
    std::fs::write(&every_port, export.to_string()).unwrap();
    let (_, v) = check(every_port.to_str().unwrap());
    for r in v["requirements"].as_array().unwrap() {
        assert_eq!(r["status"], "ok", "{r:#}");
    }
    assert_eq!(v["platform"][0]["status"], "denied");
    // A rule naming neither tag leaves them alone, allow-all or not.
    let (code, v) = check(&data("nsg-allow-all.json"));
    assert_eq!(code, 0);
    assert!(
        v["platform"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "ok")
    );
    let (_, v) = check(&data("nsg-deny-eventhub.json"));
    assert!(
        v["platform"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["status"] == "ok")
    );
}
