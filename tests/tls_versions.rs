//! A VM that does not offer TLS 1.2 ("Transport Layer Security in Azure Site
//! Recovery", ms.date 12/15/2023), on the real captures of scenarios 45 and
//! 46: curl and openssl s_client limited to TLS 1.1 and 1.0 against servers
//! that require TLS 1.2 and say so with a protocol_version alert
//! (`tls-old-alert.pcap`), or reset the connection at the hello as Windows
//! SChannel does (`tls-old-reset.pcap`). Their flows are `blocked` with the
//! cause `no-tls12-offered`, the versions tshark read in the hello, and the
//! fix for the VM's TLS, in every view; a TLS 1.2 or 1.3 hello reset by a
//! filter (`rst-after-clienthello.pcap`, `fqdn-filter-rst.pcap`) keeps the
//! filter's cause. A handshake that completed at TLS 1.1 (scenario 53,
//! `tls-old-accepted.pcap`: a server that still accepts it) keeps its
//! `allowed` verdict and gets a warning of its own, the refusal being inside
//! TLS. And the certificate issuers of `cert-rejected.pcap` and
//! `tls-intercepted.pcap` judged by the organisations of Azure's CAs.

mod common;

use asrscope::model::{
    Analysis, Cause, CertIssuer, ClosedBy, EndpointId, Evidence, Finding, FindingKind, Fix,
    Rejection, Severity, Status, Title, TlsRefusal, TlsVersion, Verdict, VmOs,
};
use common::{Row, analysis, analyze, truth};
use serde_json::Value;

const BLOB: &str = "asrcache1.blob.core.windows.net";
const AAD: &str = "login.microsoftonline.com";

/// The one Site Recovery finding about an endpoint.
fn finding_of(a: &Analysis, id: EndpointId) -> &Finding {
    let f: Vec<&Finding> = a
        .diagnosis
        .findings
        .iter()
        .filter(|f| f.asr() && f.endpoint() == Some(id))
        .collect();
    assert_eq!(f.len(), 1, "{f:#?}");
    f[0]
}

/// tshark's ClientHellos: (server name, the hello's version field, its
/// supported_versions list).
fn hellos(name: &str) -> Vec<(String, u16, Vec<u16>)> {
    let hex = |s: &str| u16::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    truth(name)
        .iter()
        .filter(|r: &&Row| r["tls.handshake.type"].split('|').any(|t| t == "1"))
        .map(|r| {
            let supported = r["tls.handshake.extensions.supported_version"]
                .split('|')
                .filter(|v| !v.is_empty())
                .map(hex)
                .collect();
            (
                r["tls.handshake.extensions_server_name"].clone(),
                hex(r["tls.handshake.version"].split('|').next().unwrap()),
                supported,
            )
        })
        .collect()
}

/// tshark's ServerHellos: the version each server chose (supported_versions
/// when present, else the hello's version field), by server address.
fn server_hellos(name: &str) -> Vec<(String, u16)> {
    let hex = |s: &str| u16::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
    truth(name)
        .iter()
        .filter(|r: &&Row| r["tls.handshake.type"].split('|').any(|t| t == "2"))
        .map(|r| {
            let chosen = r["tls.handshake.extensions.supported_version"]
                .split('|')
                .find(|v| !v.is_empty())
                .unwrap_or_else(|| r["tls.handshake.version"].split('|').next().unwrap());
            (r["ip.src"].clone(), hex(chosen))
        })
        .collect()
}

/// The findings about a handshake completed below TLS 1.2.
fn old_tls_findings(a: &Analysis) -> Vec<&Finding> {
    a.diagnosis
        .findings
        .iter()
        .filter(|f| matches!(f.about, FindingKind::OldTlsNegotiated { .. }))
        .collect()
}

/// The highest version each old hello offered, by server name, as tshark
/// reads them: no supported_versions, a version field below 0x0303.
fn old_hellos(name: &str) -> Vec<(String, u16)> {
    hellos(name)
        .into_iter()
        .filter(|(_, v, supported)| supported.is_empty() && *v < 0x0303)
        .map(|(n, v, _)| (n, v))
        .collect()
}

/// The VM's TLS is the fix, nothing of the network.
fn assert_tls12_finding(f: &Finding, pattern: &'static str, offered: u16) {
    assert_eq!(
        f.title,
        Title::NoTls12 {
            pattern,
            offered: TlsVersion(offered)
        }
    );
    assert_eq!(f.error_codes[0], "10054");
    assert!(f.evidence.contains(&Evidence::Tls12Required), "{f:#?}");
    assert_eq!(
        f.fixes,
        [
            Fix::EnableTls12 { os: VmOs::Windows },
            Fix::EnableTls12 { os: VmOs::Linux }
        ]
    );
}

#[test]
fn a_protocol_version_alert_to_an_old_hello_is_the_vms_tls() {
    let name = "tls-old-alert.pcap";
    let old = old_hellos(name);
    assert_eq!(
        old,
        [(BLOB.to_string(), 0x0302), (AAD.to_string(), 0x0301)],
        "tshark's hellos"
    );
    let a = analysis(name);
    for (server, version) in &old {
        let j = a
            .flows
            .iter()
            .find(|j| j.flow.server_name.as_deref() == Some(server))
            .unwrap();
        assert_eq!(j.verdict.verdict, Verdict::Blocked, "{server}");
        assert_eq!(
            j.verdict.cause,
            Cause::NoTls12Offered {
                offered: TlsVersion(*version),
                refused: TlsRefusal::ProtocolVersionAlert,
                name: Some(server.clone()),
            }
        );
    }
    assert_tls12_finding(
        finding_of(&a, EndpointId::CacheStorage),
        "*.blob.core.windows.net",
        0x0302,
    );
    assert_tls12_finding(finding_of(&a, EndpointId::AzureAd), AAD, 0x0301);
    // The same VM's TLS 1.2 (and up) hello to Site Recovery works.
    let asr = a
        .flows
        .iter()
        .find(|j| j.verdict.endpoint_id() == Some(EndpointId::SiteRecovery))
        .unwrap();
    assert_eq!(asr.verdict.verdict, Verdict::Allowed);

    // The JSON: the cause as data, the fixes by kind, the sentences.
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 1);
    let flow = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["server_name"] == BLOB)
        .unwrap();
    assert_eq!(flow["cause"]["kind"], "no-tls12-offered");
    assert_eq!(flow["cause"]["offered"], "TLS1.1");
    assert_eq!(flow["cause"]["refused"]["by"], "protocol-version-alert");
    let reason = flow["reason"].as_str().unwrap();
    assert!(reason.contains("offered at most TLS1.1"), "{reason}");
    assert!(reason.contains("protocol_version (70)"), "{reason}");
    let fd = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["about"]["endpoint"] == "cache-storage")
        .unwrap();
    let kinds: Vec<(&str, &str)> = fd["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["os"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("enable-tls12", "windows"), ("enable-tls12", "linux")]
    );
    let fix: Vec<&str> = fd["fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let fix = fix.join("\n");
    for needle in [
        "KB4019276",
        "KB3140245",
        r"SCHANNEL\Protocols\TLS 1.2\Client",
        "SystemDefaultTlsVersions=1",
        "SchUseStrongCrypto=1",
        r"WOW6432Node\Microsoft\.NETFramework\v4.0.30319",
    ] {
        assert!(fix.contains(needle), "{needle}: {fix}");
    }
    assert!(
        fd["evidence"].to_string().contains("error 10054"),
        "{}",
        fd["evidence"]
    );
}

#[test]
fn a_reset_at_an_old_hello_is_the_vms_tls_not_a_filter() {
    let name = "tls-old-reset.pcap";
    assert_eq!(old_hellos(name), [(BLOB.to_string(), 0x0302)]);
    let a = analysis(name);
    let storage: Vec<_> = a
        .flows
        .iter()
        .filter(|j| j.verdict.endpoint_id() == Some(EndpointId::CacheStorage))
        .collect();
    assert_eq!(storage.len(), 2);
    // The old hello, reset at once by the server's own stack.
    assert_eq!(storage[0].verdict.verdict, Verdict::Blocked);
    assert!(
        matches!(
            storage[0].verdict.cause,
            Cause::NoTls12Offered {
                offered: TlsVersion(0x0302),
                refused: TlsRefusal::Closed {
                    how: ClosedBy::Reset,
                    after_ms,
                },
                ..
            } if after_ms < 1000.0
        ),
        "{:?}",
        storage[0].verdict.cause
    );
    // Then the same VM's TLS 1.2 upload through the same server works.
    assert_eq!(storage[1].verdict.verdict, Verdict::Allowed);
    assert_eq!(storage[1].flow.tls_version(), Some(TlsVersion::TLS12));
    let f = finding_of(&a, EndpointId::CacheStorage);
    assert_tls12_finding(f, "*.blob.core.windows.net", 0x0302);
    // The RST came with the server's TTL: nothing says a device sent it.
    assert!(
        !f.evidence
            .iter()
            .any(|e| matches!(e, Evidence::CloseNotTheServers { .. })),
        "{f:#?}"
    );

    // The CSV's reason and the text report say it.
    let dir = std::env::temp_dir().join(format!("asrscope-tls-versions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("flows.csv");
    let c = common::capture(name);
    let (code, out, err) = common::run(&["analyze", "--csv", csv.to_str().unwrap(), &c]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("the VM does not offer TLS 1.2 to *.blob.core.windows.net (at most TLS1.1)"),
        "{out}"
    );
    assert!(out.contains("KB3140245"), "{out}");
    let mut rows = csv::Reader::from_path(&csv).unwrap();
    let headers = rows.headers().unwrap().clone();
    let reason = headers.iter().position(|h| h == "reason").unwrap();
    let reasons: Vec<String> = rows
        .records()
        .map(|r| r.unwrap()[reason].to_string())
        .filter(|r| r.contains("no TLS 1.2"))
        .collect();
    assert_eq!(reasons.len(), 1, "{reasons:?}");
    assert!(
        reasons[0].contains("reset the connection"),
        "{}",
        reasons[0]
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_handshake_completed_at_tls11_keeps_its_verdict_and_is_a_warning() {
    let name = "tls-old-accepted.pcap";
    // tshark: the old hello, and the storage server choosing TLS 1.1.
    assert_eq!(old_hellos(name), [(BLOB.to_string(), 0x0302)]);
    let chosen = server_hellos(name);
    assert_eq!(chosen, [("13.68.163.36".to_string(), 0x0302)], "tshark");
    let version = TlsVersion(chosen[0].1);
    let a = analysis(name);
    let storage: Vec<_> = a
        .flows
        .iter()
        .filter(|j| j.verdict.endpoint_id() == Some(EndpointId::CacheStorage))
        .collect();
    assert_eq!(storage.len(), 1);
    // The flow's verdict stays what the packets show: it worked.
    assert_eq!(storage[0].verdict.verdict, Verdict::Allowed);
    assert_eq!(storage[0].flow.tls_version(), Some(version));
    let req = a
        .diagnosis
        .requirements
        .iter()
        .find(|r| r.id == EndpointId::CacheStorage)
        .unwrap();
    assert_eq!(req.status, Status::Ok);
    // One warning for the endpoint: the version and the flows, the
    // refusal inside TLS, the VM's TLS as the fix.
    let f = finding_of(&a, EndpointId::CacheStorage);
    assert_eq!(
        f.about,
        FindingKind::OldTlsNegotiated {
            endpoint: EndpointId::CacheStorage
        }
    );
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(
        f.title,
        Title::OldTlsNegotiated {
            pattern: "*.blob.core.windows.net",
            version
        }
    );
    assert_eq!(
        f.evidence,
        [
            Evidence::OldTlsNegotiated { version, flows: 1 },
            Evidence::OldTlsRefusedInside
        ]
    );
    assert_eq!(
        f.fixes,
        [
            Fix::EnableTls12 { os: VmOs::Windows },
            Fix::EnableTls12 { os: VmOs::Linux }
        ]
    );

    // The JSON: its kind, severity and fixes by kind; the sentences.
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 1, "a warning about Site Recovery traffic");
    let fd: Vec<&Value> = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["about"]["kind"] == "old-tls-negotiated")
        .collect();
    assert_eq!(fd.len(), 1, "{fd:#?}");
    let fd = fd[0];
    assert_eq!(fd["about"]["endpoint"], "cache-storage");
    assert_eq!(fd["severity"], "warning");
    let kinds: Vec<(&str, &str)> = fd["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["kind"].as_str().unwrap(), f["os"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [("enable-tls12", "windows"), ("enable-tls12", "linux")]
    );
    let title = fd["title"].as_str().unwrap();
    assert!(
        title.contains("negotiated TLS1.1 with *.blob.core.windows.net"),
        "{title}"
    );
    let evidence = fd["evidence"].to_string();
    assert!(
        evidence.contains("TLS1.1 in the ServerHello of 1 flow"),
        "{evidence}"
    );
    assert!(evidence.contains("HTTP 400"), "{evidence}");
    let req = v["diagnosis"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cache-storage")
        .unwrap();
    assert_eq!(req["status"], "ok");
}

#[test]
fn no_old_tls_finding_where_no_server_chose_it() {
    // healthy-tls12-dns: every ServerHello chose TLS 1.2 or later;
    // tls-old-alert: the old hellos were refused, no ServerHello chose them.
    for name in ["healthy-tls12-dns.pcap", "tls-old-alert.pcap"] {
        let chosen = server_hellos(name);
        assert!(!chosen.is_empty(), "{name}");
        assert!(
            chosen.iter().all(|(_, v)| *v >= 0x0303),
            "{name}: {chosen:?}"
        );
        let a = analysis(name);
        assert!(old_tls_findings(&a).is_empty(), "{name}");
        let (_, v) = analyze(name, &[]);
        assert!(
            !v["diagnosis"]["findings"]
                .to_string()
                .contains("old-tls-negotiated"),
            "{name}"
        );
    }
}

#[test]
fn a_tls12_hello_reset_by_a_filter_keeps_the_filters_cause() {
    for name in ["rst-after-clienthello.pcap", "fqdn-filter-rst.pcap"] {
        // tshark: every hello offers TLS 1.2 or later.
        let hs = hellos(name);
        assert!(!hs.is_empty());
        assert!(
            hs.iter()
                .all(|(_, v, s)| *v == 0x0303 || s.iter().any(|v| *v >= 0x0303)),
            "{name}: {hs:?}"
        );
        let a = analysis(name);
        let blocked: Vec<_> = a
            .flows
            .iter()
            .filter(|j| j.verdict.verdict == Verdict::Blocked)
            .collect();
        assert!(!blocked.is_empty(), "{name}");
        for j in blocked {
            assert!(
                matches!(
                    j.verdict.cause,
                    Cause::ClosedAfterHello {
                        how: ClosedBy::Reset,
                        ..
                    }
                ),
                "{name}: {:?}",
                j.verdict.cause
            );
        }
        assert_eq!(
            finding_of(&a, EndpointId::CacheStorage).title,
            Title::ClosedAfterHello {
                pattern: "*.blob.core.windows.net"
            },
            "{name}"
        );
    }
}

#[test]
fn certificate_issuers_are_judged_by_azures_cas_in_the_captures() {
    // cert-rejected: the VM rejects the chain of Azure's own issuing CA
    // (O=Microsoft Corporation): no inspection CA to name.
    let a = analysis("cert-rejected.pcap");
    let storage = a
        .flows
        .iter()
        .find(|j| j.verdict.endpoint_id() == Some(EndpointId::CacheStorage))
        .unwrap();
    assert_eq!(storage.verdict.verdict, Verdict::Blocked);
    assert!(
        matches!(
            &storage.verdict.cause,
            Cause::CertificateRejected {
                how: Rejection::Alert { .. },
                issuer: Some(CertIssuer { cn, trusted: true }),
                ..
            } if cn == "Microsoft Azure RSA TLS Issuing CA 03"
        ),
        "{:?}",
        storage.verdict.cause
    );
    assert!(
        finding_of(&a, EndpointId::CacheStorage)
            .fixes
            .contains(&Fix::StopTlsInspection {
                pattern: "*.blob.core.windows.net".into(),
                issuer: None
            })
    );
    // tls-intercepted: Contoso's inspection CA (O=Contoso Ltd) is not one.
    let a = analysis("tls-intercepted.pcap");
    let aad = a
        .flows
        .iter()
        .find(|j| j.verdict.endpoint_id() == Some(EndpointId::AzureAd))
        .unwrap();
    assert_eq!(aad.verdict.verdict, Verdict::Intercepted);
    assert_eq!(
        aad.verdict.cause,
        Cause::UntrustedIssuer {
            name: Some(AAD.into()),
            issuer: "Contoso Firewall Inspection CA".into(),
            vendor: None,
        }
    );
    // Its organisation, read from the certificate.
    let cert = &aad.flow.tls.as_ref().unwrap().certificates[0];
    assert_eq!(cert.issuer_org, ["Contoso Ltd"]);
    // Trusted by flag, it is no longer intercepted.
    let (code, v) = analyze(
        "tls-intercepted.pcap",
        &["--trusted-issuer", "Contoso Firewall Inspection CA"],
    );
    let _ = code;
    let verdict = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["server_name"] == AAD)
        .unwrap()["verdict"]
        .clone();
    assert_eq!(verdict, "allowed");
}

#[test]
fn json_of_a_rejected_certificate_keeps_its_issuer_string() {
    let (_, v) = analyze("cert-rejected.pcap", &[]);
    let flow = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["cause"]["kind"] == "certificate-rejected" && f["server_name"] == BLOB)
        .unwrap();
    assert_eq!(
        flow["cause"]["issuer"],
        Value::from("Microsoft Azure RSA TLS Issuing CA 03")
    );
}
