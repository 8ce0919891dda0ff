//! Every verdict rule and every finding branch, on flow records built field
//! by field (the sample-capture tests in `tests/diagnosis.rs` cover the same
//! rules end to end on real traffic). Addresses are real ones of the embedded
//! service-tag data: 20.60.0.1 is in `Storage.EastUS`, 13.89.170.130 in
//! `EventHub.CentralUS`, 4.149.98.200 in `AzureActiveDirectory`.

use super::{Judge, Settings};
use crate::azure::tags::TagDb;
use crate::model::*;
use std::net::IpAddr;

const BLOB: &str = "asrcache1.blob.core.windows.net";
/// The cache account's URL pattern.
const CACHE: &str = "*.blob.core.windows.net";
const STORAGE_IP: &str = "20.60.0.1";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// A healthy TLS 1.2 upload to the cache account: 100 data segments out.
fn flow(name: &str, dst: &str) -> FlowRecord {
    FlowRecord {
        id: 1,
        first_seen: 1_700_000_000_000_000,
        last_seen: 1_700_000_010_000_000,
        src_ip: ip("10.1.0.4"),
        src_port: 50_000,
        dst_ip: ip(dst),
        dst_port: 443,
        translated_ip: None,
        translated_port: None,
        transport: Transport::Tcp,
        community_id: String::new(),
        server_name: Some(name.to_string()),
        name_source: NameSource::Sni,
        dns_name: None,
        dns_cnames: vec![],
        handshake: Handshake::Established,
        evidence: HandshakeEvidence::default(),
        close: Close::FinClient,
        out: DirRecord {
            packets: 120,
            bytes: 10_000_000,
            data_segments: 100,
            throughput_kbps: Some(8_000.0),
            ..Default::default()
        },
        inbound: DirRecord {
            packets: 100,
            bytes: 5_000,
            data_segments: 5,
            ..Default::default()
        },
        rtt_ms: Some(1.5),
        tls: Some(TlsRecord {
            sni: Some(name.to_string()),
            hello_complete: true,
            server_version: Some(TlsVersion::TLS12),
            ..Default::default()
        }),
        proxy: None,
        http: None,
        tunnel: None,
        vlan: None,
        quality: FlowQuality::default(),
    }
}

fn settings() -> Settings {
    let eastus = Region {
        id: "eastus".into(),
        tag_suffix: "EastUS".into(),
    };
    let centralus = Region {
        id: "centralus".into(),
        tag_suffix: "CentralUS".into(),
    };
    Settings {
        thresholds: Thresholds::default(),
        trusted_issuers: vec![],
        capture_point: CapturePoint::Vm,
        given: (Some(eastus), Some(centralus)),
        tags_origin: "embedded snapshot".into(),
        cloud: None,
        network: crate::azure::Network::default(),
    }
}

/// Judges the flows and builds the diagnosis.
fn run_with(s: Settings, flows: Vec<FlowRecord>, dns: &[NameLog]) -> (Vec<JudgedFlow>, Diagnosis) {
    let tags = TagDb::embedded();
    let mut judge = Judge::new(s, tags);
    let judged: Vec<JudgedFlow> = flows.into_iter().map(|f| judge.finished(tags, f)).collect();
    let stats = CaptureStats::default();
    let d = judge.diagnosis(tags, dns, &stats, &[]);
    (judged, d)
}

fn run(f: FlowRecord) -> (JudgedFlow, Diagnosis) {
    let (mut j, d) = run_with(settings(), vec![f], &[]);
    (j.remove(0), d)
}

fn requirement(d: &Diagnosis, id: EndpointId) -> &Requirement {
    d.requirements.iter().find(|r| r.id == id).unwrap()
}

fn finding(d: &Diagnosis, id: EndpointId) -> &Finding {
    d.findings
        .iter()
        .find(|f| f.endpoint() == Some(id) && f.asr())
        .unwrap_or_else(|| panic!("no finding for {id:?}: {:#?}", d.findings))
}

#[test]
fn a_healthy_upload_is_allowed_with_no_finding() {
    let (j, d) = run(flow(BLOB, STORAGE_IP));
    assert_eq!(j.verdict.verdict, Verdict::Allowed);
    assert_eq!(
        j.verdict.endpoint,
        Some(EndpointMatch {
            id: EndpointId::CacheStorage,
            pattern: "*.blob.core.windows.net",
            by: EndpointBy::Name,
            cloud: Cloud::Public,
            required_tag: TagName::new("Storage.EastUS").into(),
        })
    );
    assert_eq!(j.verdict.service_tag, Some(TagName::new("Storage.EastUS")));
    assert_eq!(
        j.verdict.cause,
        Cause::Established {
            tls_version: Some(TlsVersion::TLS12),
            proxy: None,
            proxy_status: None
        }
    );
    assert_eq!(requirement(&d, EndpointId::CacheStorage).status, Status::Ok);
    assert!(!d.has_asr_findings(), "{:#?}", d.findings);
    let u = d.cache_upload.unwrap();
    assert_eq!(u.bytes, 10_000_000);
    assert!((u.mbps - 1.0).abs() < 1e-9, "{}", u.mbps);
}

#[test]
fn no_syn_answer_is_blocked_with_the_nsg_rule_as_fix() {
    let mut f = flow(BLOB, STORAGE_IP);
    f.handshake = Handshake::NoReply;
    f.evidence.syn_count = 3;
    f.evidence.syn_span_ms = Some(3_000.0);
    f.tls = None;
    let (j, d) = run(f);
    assert_eq!(j.verdict.verdict, Verdict::Blocked);
    assert_eq!(
        j.verdict.cause,
        Cause::NoSynAnswer {
            syns: 3,
            span_ms: 3_000.0,
            server: "20.60.0.1:443".parse().unwrap()
        }
    );
    let r = requirement(&d, EndpointId::CacheStorage);
    assert_eq!(r.status, Status::Blocked);
    assert_eq!(r.cause.as_ref(), Some(&j.verdict.cause));
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(fd.severity, Severity::Critical);
    assert_eq!(fd.title, Title::Blocked { pattern: CACHE });
    assert_eq!(fd.error_codes, vec!["151037", "151072", "153007"]);
    // The NAT gateway is the documented fix for Entra ID (151196) only.
    assert_eq!(
        fd.fixes,
        vec![
            Fix::NsgAllowRule {
                tag: TagName::new("Storage.EastUS").into()
            },
            Fix::AllowUrl {
                pattern: CACHE.into(),
                also: vec![],
                cache_accounts: true
            }
        ]
    );
    assert_eq!(
        fd.evidence,
        vec![
            Evidence::Cause(j.verdict.cause.clone()),
            Evidence::Flows {
                flows: 1,
                by_verdict: [(Verdict::Blocked, 1)].into()
            }
        ]
    );
    let mut f = flow("login.microsoftonline.com", "20.190.128.1");
    f.handshake = Handshake::NoReply;
    let (_, d) = run(f);
    let fd = finding(&d, EndpointId::AzureAd);
    assert_eq!(fd.error_codes, vec!["151196", "151072"]);
    assert!(fd.fixes.contains(&Fix::NatGateway), "{:?}", fd.fixes);
}

#[test]
fn syn_rst_and_icmp_errors_are_blocked() {
    let mut f = flow(BLOB, STORAGE_IP);
    f.handshake = Handshake::Rejected;
    let (j, _) = run(f);
    assert_eq!(
        j.verdict.cause,
        Cause::SynReset {
            server: "20.60.0.1:443".parse().unwrap()
        }
    );

    let mut f = flow(BLOB, STORAGE_IP);
    f.handshake = Handshake::Unreachable;
    let message = IcmpMessage {
        v6: false,
        icmp_type: 3,
        code: 13,
    };
    f.evidence.icmp = Some(IcmpSeen {
        message,
        from: ip("10.1.0.1"),
        ts_us: 0,
    });
    let (j, d) = run(f);
    assert_eq!(j.verdict.verdict, Verdict::Blocked);
    assert_eq!(
        j.verdict.cause,
        Cause::IcmpError {
            message,
            from: Some(ip("10.1.0.1")),
            server: "20.60.0.1:443".parse().unwrap()
        }
    );
    assert_eq!(
        finding(&d, EndpointId::CacheStorage).title,
        Title::Blocked { pattern: CACHE }
    );
}

/// The hello went out; the server side closed before sending one byte.
fn closed_at_hello(name: &str, dst: &str, close: Close, after_ms: f64) -> FlowRecord {
    let mut f = flow(name, dst);
    f.inbound = DirRecord {
        packets: 3,
        ..Default::default()
    };
    f.out.data_segments = 1;
    f.out.bytes = 517;
    f.tls.as_mut().unwrap().server_version = None;
    f.close = close;
    match close {
        Close::RstServer => {
            f.handshake = Handshake::ResetAfterData;
            f.evidence.rst_by = Some(Side::Server);
            f.evidence.rst_after_client_data_ms = Some(after_ms);
        }
        _ => f.evidence.fin_after_client_data_ms = Some(after_ms),
    }
    f
}

#[test]
fn a_close_after_the_hello_before_any_byte_is_a_name_filter() {
    for (close, how, after) in [
        (Close::FinServer, ClosedBy::Fin, 0.1),
        (Close::RstServer, ClosedBy::Reset, 0.03),
        // After a while (an idle timeout) it is the same.
        (Close::FinServer, ClosedBy::Fin, 240_000.0),
    ] {
        let (j, d) = run(closed_at_hello(BLOB, STORAGE_IP, close, after));
        assert_eq!(j.verdict.verdict, Verdict::Blocked);
        assert_eq!(
            j.verdict.cause,
            Cause::ClosedAfterHello {
                how,
                after_ms: after,
                name: Some(BLOB.into())
            }
        );
        let fd = finding(&d, EndpointId::CacheStorage);
        assert_eq!(fd.title, Title::ClosedAfterHello { pattern: CACHE });
        // The URL on the filter, and a service endpoint so that
        // replication does not cross it; no NSG rule: the handshake
        // completed.
        assert_eq!(
            fd.fixes,
            [
                Fix::AllowUrl {
                    pattern: CACHE.into(),
                    also: vec![],
                    cache_accounts: true
                },
                Fix::StorageServiceEndpoint {
                    why: ServiceEndpointWhy::NameFilter,
                    subnet: None,
                }
            ]
        );
    }
    // Another endpoint: the URL alone.
    let (j, d) = run(closed_at_hello(
        "login.microsoftonline.com",
        "4.149.98.200",
        Close::FinServer,
        0.2,
    ));
    assert!(matches!(j.verdict.cause, Cause::ClosedAfterHello { .. }));
    let fd = finding(&d, EndpointId::AzureAd);
    assert_eq!(fd.fixes.len(), 1);
    assert!(
        matches!(&fd.fixes[0], Fix::AllowUrl { pattern, .. } if pattern == "login.microsoftonline.com")
    );
}

#[test]
fn a_server_that_answered_or_a_client_that_left_is_no_name_filter() {
    // The server sent its flight (or an alert), then closed: judged by
    // what it sent, never as a close at the hello.
    let mut f = closed_at_hello(BLOB, STORAGE_IP, Close::FinServer, 50.0);
    f.inbound.bytes = 7;
    f.inbound.data_segments = 1;
    let (j, _) = run(f);
    assert!(
        !matches!(j.verdict.cause, Cause::ClosedAfterHello { .. }),
        "{:?}",
        j.verdict.cause
    );
    // The client closed first: not the server side's doing.
    let mut f = closed_at_hello(BLOB, STORAGE_IP, Close::FinClient, 0.1);
    f.evidence.fin_after_client_data_ms = None;
    let (j, _) = run(f);
    assert!(!matches!(j.verdict.cause, Cause::ClosedAfterHello { .. }));
    // Not TLS: a reset at the client's first data.
    let mut f = closed_at_hello(BLOB, STORAGE_IP, Close::RstServer, 25.0);
    f.tls = None;
    let (j, d) = run(f);
    assert_eq!(
        j.verdict.cause,
        Cause::ResetAfterFirstData {
            after_ms: 25.0,
            name: Some(BLOB.into())
        }
    );
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(fd.title, Title::ResetByFilter { pattern: CACHE });
    // A URL filter first; for the cache account, its own firewall last.
    assert!(
        matches!(fd.fixes[0], Fix::AllowUrl { .. }),
        "{:?}",
        fd.fixes
    );
    assert_eq!(
        fd.fixes.last(),
        Some(&Fix::StorageFirewall { may_refuse: true })
    );
}

#[test]
fn repeated_attempts_closed_at_the_hello_are_one_finding() {
    let mut a = closed_at_hello(BLOB, STORAGE_IP, Close::FinServer, 0.1);
    let mut b = closed_at_hello(BLOB, STORAGE_IP, Close::FinServer, 0.1);
    a.id = 1;
    b.id = 2;
    b.src_port = 50_001;
    let (_, d) = run_with(settings(), vec![a, b], &[]);
    let blocked: Vec<_> = d
        .findings
        .iter()
        .filter(|f| f.endpoint() == Some(EndpointId::CacheStorage) && f.asr())
        .collect();
    assert_eq!(blocked.len(), 1, "{blocked:#?}");
    assert!(blocked[0].evidence.contains(&Evidence::Flows {
        flows: 2,
        by_verdict: [(Verdict::Blocked, 2)].into()
    }));
}

/// A plain HTTP request to the cache account, answered `status`.
fn http_answered(status: u16, page: Option<DenyPage>) -> FlowRecord {
    let mut f = flow(BLOB, STORAGE_IP);
    f.dst_port = 80;
    f.tls = None;
    f.server_name = None;
    f.dns_name = Some(BLOB.into());
    f.name_source = NameSource::Dns;
    f.http = Some(HttpRecord {
        method: "GET".into(),
        host: Some(BLOB.into()),
        target: Some("/asr-cache/x".into()),
        status: Some(status),
        deny_page: page,
    });
    f
}

#[test]
fn a_firewalls_deny_page_is_blocked_and_named() {
    let azfw = DenyPage::AzureFirewall;
    let (j, d) = run(http_answered(470, Some(azfw.clone())));
    assert_eq!(j.verdict.verdict, Verdict::Blocked);
    assert_eq!(
        j.verdict.cause,
        Cause::DenyPage {
            page: azfw.clone(),
            status: 470,
            name: Some(BLOB.into())
        }
    );
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(
        fd.title,
        Title::DenyPage {
            pattern: CACHE,
            page: azfw
        }
    );
    assert!(matches!(fd.fixes[0], Fix::AllowUrl { .. }));
    assert_eq!(
        fd.fixes[1],
        Fix::StorageServiceEndpoint {
            why: ServiceEndpointWhy::NameFilter,
            subnet: None,
        }
    );
    // An ordinary answer is the server's, whatever its status.
    let (j, _) = run(http_answered(403, None));
    assert_eq!(j.verdict.verdict, Verdict::Allowed);
}

fn through_proxy(status: u16, scheme: Option<&str>) -> FlowRecord {
    let mut f = flow(BLOB, "10.1.0.100");
    f.dst_port = 3128;
    f.server_name = Some(BLOB.into());
    f.name_source = NameSource::Connect;
    f.tls = None;
    f.proxy = Some(ProxyRecord {
        target_host: BLOB.into(),
        target_port: 443,
        credentials_sent: false,
        status: Some(status),
        first_status: None,
        auth_scheme: scheme.map(str::to_string),
    });
    f
}

#[test]
fn a_proxy_asking_for_credentials_is_proxy_auth() {
    let (j, d) = run(through_proxy(407, Some("Basic")));
    assert_eq!(j.verdict.verdict, Verdict::ProxyAuth);
    assert_eq!(
        j.verdict.cause,
        Cause::ProxyAuthRequired {
            proxy: "10.1.0.100:3128".parse().unwrap(),
            target: format!("{BLOB}:443"),
            scheme: Some("Basic".into())
        }
    );
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(fd.error_codes, vec!["151072"]);
    assert_eq!(fd.title, Title::AuthenticatingProxy { pattern: CACHE });
    assert_eq!(
        fd.fixes,
        vec![
            Fix::ProxyWithoutAuthentication {
                pattern: CACHE.into()
            },
            Fix::ProxyConfiguration
        ]
    );
}

#[test]
fn a_proxy_refusing_connect_is_blocked_by_the_proxy() {
    let (j, d) = run(through_proxy(403, None));
    assert_eq!(j.verdict.verdict, Verdict::Blocked);
    assert_eq!(
        j.verdict.cause,
        Cause::ProxyRefused {
            proxy: "10.1.0.100:3128".parse().unwrap(),
            status: 403,
            target: format!("{BLOB}:443"),
        }
    );
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(fd.title, Title::RefusedByProxy { pattern: CACHE });
    assert_eq!(fd.error_codes, vec!["151072"]);
    assert_eq!(
        fd.fixes,
        vec![Fix::ProxyAllow {
            pattern: CACHE.into()
        }]
    );
}

#[test]
fn a_proxy_that_lets_connect_through_is_allowed_and_named() {
    let (j, d) = run(through_proxy(200, None));
    assert_eq!(j.verdict.verdict, Verdict::Allowed);
    assert_eq!(
        j.verdict.cause,
        Cause::Established {
            tls_version: None,
            proxy: Some("10.1.0.100:3128".parse().unwrap()),
            proxy_status: Some(200)
        }
    );
    // A proxy address is in no Azure range, yet the flow is not outside Azure.
    assert!(!d.has_asr_findings(), "{:#?}", d.findings);
}

#[test]
fn a_fatal_server_alert_fails_tls_with_151066() {
    let mut f = flow(BLOB, STORAGE_IP);
    let t = f.tls.as_mut().unwrap();
    t.alert = Some(AlertRecord {
        level: 2,
        description: AlertDescription(40),
    });
    t.handshake_end = TlsEnd::ServerAlert;
    let (j, d) = run(f);
    assert_eq!(j.verdict.verdict, Verdict::Blocked);
    assert_eq!(
        j.verdict.cause,
        Cause::TlsAlert {
            side: Side::Server,
            level: 2,
            description: AlertDescription(40)
        }
    );
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(fd.title, Title::TlsFails { pattern: CACHE });
    assert_eq!(fd.error_codes, vec!["151066"]);
    assert_eq!(fd.fixes, vec![Fix::TrustedRoots { and_the_path: true }]);

    // A warning alert decides nothing.
    let mut f = flow(BLOB, STORAGE_IP);
    f.tls.as_mut().unwrap().alert = Some(AlertRecord {
        level: 1,
        description: AlertDescription(0),
    });
    assert_eq!(run(f).0.verdict.verdict, Verdict::Allowed);
}

/// A leaf certificate for the cache account, with its issuer's
/// distinguished name, common name and organisations as `cert_names`
/// reads them.
fn issued_by(dn: &str, cn: &str, orgs: &[&str]) -> CertNames {
    CertNames {
        subject: format!("CN={BLOB}"),
        issuer: dn.into(),
        issuer_cn: cn.into(),
        issuer_org: orgs.iter().map(|o| o.to_string()).collect(),
        san: vec![],
    }
}

fn client_alert(description: u8) -> FlowRecord {
    let mut f = flow(BLOB, STORAGE_IP);
    let t = f.tls.as_mut().unwrap();
    t.client_alert = Some(AlertRecord {
        level: 2,
        description: AlertDescription(description),
    });
    t.handshake_end = TlsEnd::ClientAlert;
    t.certificates = vec![issued_by(
        "C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 03",
        "Microsoft Azure RSA TLS Issuing CA 03",
        &["Microsoft Corporation"],
    )];
    f
}

#[test]
fn a_client_rejecting_the_certificate_is_blocked_with_151066() {
    let (j, d) = run(client_alert(48));
    assert_eq!(j.verdict.verdict, Verdict::Blocked);
    assert_eq!(
        j.verdict.cause,
        Cause::CertificateRejected {
            how: Rejection::Alert {
                description: AlertDescription(48)
            },
            name: Some(BLOB.into()),
            issuer: Some(CertIssuer {
                cn: "Microsoft Azure RSA TLS Issuing CA 03".into(),
                trusted: true
            }),
        }
    );
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(fd.title, Title::CertificateRejected { pattern: CACHE });
    assert_eq!(fd.error_codes, vec!["151066"]);
    // Azure's own CA issued it: no re-signing device to name.
    assert_eq!(
        fd.fixes,
        vec![
            Fix::TrustedRoots {
                and_the_path: false
            },
            Fix::StopTlsInspection {
                pattern: CACHE.into(),
                issuer: None
            }
        ]
    );

    // A re-signing device's issuer is named in the fix.
    let mut f = client_alert(42);
    f.tls.as_mut().unwrap().certificates[0] = issued_by(
        "C=US, O=Contoso Ltd, OU=Network Security, CN=Contoso Firewall Inspection CA",
        "Contoso Firewall Inspection CA",
        &["Contoso Ltd"],
    );
    let (_, d) = run(f);
    assert_eq!(
        finding(&d, EndpointId::CacheStorage).fixes[1],
        Fix::StopTlsInspection {
            pattern: CACHE.into(),
            issuer: Some("Contoso Firewall Inspection CA".into())
        }
    );

    // A client alert that is not about the certificate: TLS fails.
    let (j, d) = run(client_alert(70));
    assert_eq!(
        j.verdict.cause,
        Cause::TlsAlert {
            side: Side::Client,
            level: 2,
            description: AlertDescription(70)
        }
    );
    assert_eq!(
        finding(&d, EndpointId::CacheStorage).title,
        Title::TlsFails { pattern: CACHE }
    );
}

#[test]
fn a_client_stopping_after_the_server_flight_rejected_the_certificate() {
    for (end, how) in [
        (TlsEnd::ClientClosedAfterServerFlight, Rejection::Closed),
        (TlsEnd::ClientResetAfterServerFlight, Rejection::Reset),
        (TlsEnd::ClientEncryptedAlert, Rejection::EncryptedAlert),
    ] {
        let mut f = flow(BLOB, STORAGE_IP);
        f.tls.as_mut().unwrap().handshake_end = end;
        let (j, d) = run(f);
        assert_eq!(j.verdict.verdict, Verdict::Blocked);
        assert!(matches!(&j.verdict.cause, Cause::CertificateRejected { how: h, .. } if *h == how));
        assert_eq!(
            finding(&d, EndpointId::CacheStorage).error_codes,
            vec!["151066"]
        );
    }
}

#[test]
fn a_server_silent_after_the_hello_is_blocked() {
    let mut f = flow(BLOB, STORAGE_IP);
    f.tls.as_mut().unwrap().handshake_end = TlsEnd::ServerSilent;
    let (j, d) = run(f);
    assert_eq!(j.verdict.verdict, Verdict::Blocked);
    assert_eq!(
        j.verdict.cause,
        Cause::ServerSilent {
            name: Some(BLOB.into())
        }
    );
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(fd.title, Title::HelloUnanswered { pattern: CACHE });
    assert!(
        matches!(fd.fixes[0], Fix::AllowUrl { .. }),
        "{:?}",
        fd.fixes
    );
}

#[test]
fn an_untrusted_issuer_is_intercepted_unless_trusted_by_flag() {
    let mut f = flow("login.microsoftonline.com", "4.149.98.200");
    f.tls.as_mut().unwrap().certificates = vec![CertNames {
        subject: "CN=login.microsoftonline.com".into(),
        issuer: "C=US, O=Contoso Ltd, CN=Contoso Firewall Inspection CA".into(),
        issuer_cn: "Contoso Firewall Inspection CA".into(),
        issuer_org: vec!["Contoso Ltd".into()],
        san: vec!["login.microsoftonline.com".into()],
    }];
    let (j, d) = run(f.clone());
    assert_eq!(j.verdict.verdict, Verdict::Intercepted);
    assert_eq!(
        j.verdict.cause,
        Cause::UntrustedIssuer {
            name: Some("login.microsoftonline.com".into()),
            issuer: "Contoso Firewall Inspection CA".into(),
            vendor: None,
        }
    );
    let fd = finding(&d, EndpointId::AzureAd);
    assert_eq!(
        fd.title,
        Title::Intercepted {
            pattern: "login.microsoftonline.com"
        }
    );
    assert_eq!(fd.error_codes, vec!["151066"]);
    assert!(
        !fd.evidence
            .iter()
            .any(|e| matches!(e, Evidence::UnsupportedAppliance { .. }))
    );

    let mut s = settings();
    s.trusted_issuers = vec!["Contoso".into()];
    let (j, _) = run_with(s, vec![f], &[]);
    assert_eq!(j[0].verdict.verdict, Verdict::Allowed);
}

/// A TLS-inspecting Palo Alto appliance: its certificates' issuer names the
/// organisation (`O=Palo Alto Networks`), and the support matrix lists
/// "Palo Alto Network Appliance" as not supported: the interception
/// finding says so. Decided from the issuer's whole name, never from its
/// common name alone, and only from the organisation.
#[test]
fn an_inspecting_palo_alto_appliance_is_named_as_unsupported() {
    let intercepted = |issuer: &str| {
        let mut f = flow("login.microsoftonline.com", "4.149.98.200");
        f.tls.as_mut().unwrap().certificates = vec![CertNames {
            subject: "CN=login.microsoftonline.com".into(),
            issuer: issuer.into(),
            issuer_cn: "Forward-Trust-CA".into(),
            issuer_org: issuer
                .split(',')
                .filter_map(|rdn| rdn.trim().strip_prefix("O="))
                .map(String::from)
                .collect(),
            san: vec!["login.microsoftonline.com".into()],
        }];
        run(f)
    };
    let (j, d) =
        intercepted("C=US, ST=CA, O=Palo Alto Networks, OU=Decryption, CN=Forward-Trust-CA");
    assert_eq!(j.verdict.verdict, Verdict::Intercepted);
    assert_eq!(
        j.verdict.cause,
        Cause::UntrustedIssuer {
            name: Some("login.microsoftonline.com".into()),
            issuer: "Forward-Trust-CA".into(),
            vendor: Some(ApplianceVendor::PaloAlto),
        }
    );
    let fd = finding(&d, EndpointId::AzureAd);
    assert!(
        fd.evidence.contains(&Evidence::UnsupportedAppliance {
            vendor: ApplianceVendor::PaloAlto
        }),
        "{:?}",
        fd.evidence
    );
    // Another organisation, or the words elsewhere in the name: not it.
    for other in [
        "C=US, O=Contoso, CN=Forward-Trust-CA",
        "C=US, O=Contoso, CN=Palo Alto Networks",
        "C=US, O=Palo Alto Networks Fans Club, CN=Forward-Trust-CA",
    ] {
        let (j, _) = intercepted(other);
        assert!(
            matches!(j.verdict.cause, Cause::UntrustedIssuer { vendor: None, .. }),
            "{other}: {:?}",
            j.verdict.cause
        );
    }
}

/// Multi-VM consistency: a VM's connection to a VM of its replication group
/// on TCP 20004 gets no answer, another VM's port answers. One finding
/// names both and the port to open; other ports' failures are not it.
#[test]
fn an_unanswered_multi_vm_consistency_port_is_a_finding() {
    let peer = |dst: &str, answered: bool| {
        let mut f = flow("", dst);
        f.server_name = None;
        f.tls = None;
        f.dst_port = 20_004;
        if !answered {
            f.handshake = Handshake::NoReply;
            f.evidence.syn_count = 3;
            f.evidence.syn_span_ms = Some(3_000.0);
        }
        f
    };
    let (j, d) = run_with(
        settings(),
        vec![peer("10.1.2.4", false), peer("10.1.3.4", true)],
        &[],
    );
    assert_eq!(j[0].verdict.verdict, Verdict::Blocked);
    assert_eq!(j[1].verdict.verdict, Verdict::Allowed);
    let fd = d
        .findings
        .iter()
        .find(|f| f.about == FindingKind::MultiVmConsistency { port: 20_004 })
        .unwrap_or_else(|| panic!("{:#?}", d.findings));
    assert_eq!(fd.severity, Severity::Critical);
    assert_eq!(fd.title, Title::MultiVmPortBlocked { port: 20_004 });
    assert_eq!(fd.fixes, vec![Fix::MultiVmPort { port: 20_004 }]);
    assert_eq!(
        fd.evidence[1],
        Evidence::MultiVmPeers {
            port: 20_004,
            blocked: vec![ip("10.1.2.4")],
            answered: vec![ip("10.1.3.4")],
        }
    );
    assert!(d.has_asr_findings());
    // Answered everywhere, a peer whose port answered after one attempt
    // was dropped, or unanswered on another port: no such finding.
    for flows in [
        vec![peer("10.1.3.4", true)],
        vec![peer("10.1.3.4", false), peer("10.1.3.4", true)],
        vec![{
            let mut f = peer("10.1.2.4", false);
            f.dst_port = 20_005;
            f
        }],
    ] {
        let (_, d) = run_with(settings(), flows, &[]);
        assert!(
            !d.findings
                .iter()
                .any(|f| matches!(f.about, FindingKind::MultiVmConsistency { .. })),
            "{:#?}",
            d.findings
        );
    }
}

/// Azure China's vault behind its private endpoint, named as its page
/// names it (`{Vault-ID}-asr-pod01-{type}-.{target-geo-code}
/// .siterecovery.windowsazure.cn`, zone
/// `privatelink.siterecovery.windowsazure.cn`): the same rule as the public
/// cloud's vault, which `vault-private-endpoint.pcap` tests end to end.
#[test]
fn a_china_vault_behind_its_private_endpoint_is_site_recovery() {
    let name = "3216540987123456789-asr-pod01-rcm1.sha.siterecovery.windowsazure.cn";
    let mut f = flow(name, "10.1.1.6");
    f.dns_name = Some(name.into());
    f.dns_cnames = vec![format!(
        "3216540987123456789-asr-pod01-rcm1.sha.privatelink.siterecovery.windowsazure.cn"
    )];
    let (j, d) = run(f);
    let e = j.verdict.endpoint.as_ref().unwrap();
    assert_eq!((e.id, e.cloud), (EndpointId::SiteRecovery, Cloud::China));
    assert_eq!(e.pattern, "*.hypervrecoverymanager.windowsazure.cn");
    assert_eq!(j.verdict.verdict, Verdict::Allowed);
    assert!(
        matches!(&j.verdict.cause, Cause::PrivateEndpoint { via, .. } if via.contains(".privatelink.siterecovery.windowsazure.cn")),
        "{:?}",
        j.verdict.cause
    );
    assert_eq!(requirement(&d, EndpointId::SiteRecovery).status, Status::Ok);
    // What the private endpoint needs is said in China's names.
    let info = d
        .findings
        .iter()
        .find(|f| {
            f.about
                == FindingKind::PrivateEndpoint {
                    endpoint: EndpointId::SiteRecovery,
                }
        })
        .unwrap();
    assert_eq!(
        info.fixes,
        vec![
            Fix::PrivateEndpointNeeds {
                endpoint: EndpointId::SiteRecovery,
                zone: Some("privatelink.siterecovery.windowsazure.cn"),
            },
            Fix::EntraIdStaysPublic {
                login: "login.chinacloudapi.cn"
            },
        ]
    );
}

#[test]
fn a_public_address_in_no_azure_range_is_outside_azure() {
    let mut f = flow(BLOB, "203.0.113.25");
    f.server_name = Some(BLOB.into());
    f.name_source = NameSource::Dns;
    f.tls = None;
    let (j, d) = run(f);
    assert_eq!(j.verdict.verdict, Verdict::OutsideAzure);
    assert_eq!(
        j.verdict.cause,
        Cause::OutsideAzure {
            name: Some(BLOB.into()),
            address: ip("203.0.113.25"),
            resolved: true
        }
    );
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(fd.title, Title::LeavesAzure { pattern: CACHE });
    assert_eq!(
        fd.fixes,
        vec![
            Fix::StorageServiceEndpoint {
                why: ServiceEndpointWhy::OutsideAzure,
                subnet: None,
            },
            Fix::CheckDnsAnswers
        ]
    );

    // Other traffic to such an address is not Site Recovery's concern.
    let (j, d) = run(flow("www.example.com", "203.0.113.25"));
    assert_eq!(j.verdict.verdict, Verdict::Allowed);
    assert_eq!(j.verdict.endpoint, None);
    assert!(!d.has_asr_findings());
}

#[test]
fn a_private_endpoint_is_allowed_with_an_info_finding() {
    let mut f = flow(BLOB, "10.1.1.5");
    f.dns_cnames = vec!["asrcache1.privatelink.blob.core.windows.net".into()];
    let (j, d) = run(f);
    assert_eq!(j.verdict.verdict, Verdict::Allowed);
    assert!(j.verdict.private_endpoint());
    assert_eq!(
        j.verdict.cause,
        Cause::PrivateEndpoint {
            name: Some(BLOB.into()),
            via: "asrcache1.privatelink.blob.core.windows.net".into(),
            address: ip("10.1.1.5")
        }
    );
    let info = d
        .findings
        .iter()
        .find(|f| f.severity == Severity::Info)
        .unwrap();
    assert_eq!(info.title, Title::PrivateEndpoint);
    assert_eq!(
        info.evidence,
        vec![Evidence::Reached {
            cause: j.verdict.cause.clone(),
            by_address: None
        }]
    );
    assert!(!d.has_asr_findings());

    // Resolvers keep the case a client asked in (DNS 0x20): a mixed-case
    // zone is the same zone.
    let mut f = flow(BLOB, "10.1.1.5");
    f.dns_cnames = vec!["asrcache1.PrivateLink.Blob.Core.Windows.Net".into()];
    assert!(run(f).0.verdict.private_endpoint());

    // A private address without a privatelink CNAME is judged on its health.
    let (j, _) = run(flow(BLOB, "10.1.1.5"));
    assert!(!j.verdict.private_endpoint());
    assert!(
        matches!(j.verdict.cause, Cause::Established { .. }),
        "{:?}",
        j.verdict.cause
    );
}

#[test]
fn retransmissions_and_zero_windows_throttle_with_the_upload_rate() {
    let mut f = flow(BLOB, STORAGE_IP);
    f.out.data_retransmissions = 10;
    let (j, d) = run(f);
    assert_eq!(j.verdict.verdict, Verdict::Throttled);
    assert_eq!(
        j.verdict.cause,
        Cause::Throttled {
            retrans_pct: Some(10.0),
            zero_windows: None,
            upload_mbit_s: Some(8.0),
            rtt_ms: Some(1.5)
        }
    );
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(fd.severity, Severity::Warning);
    assert_eq!(fd.error_codes, vec!["153007"]);
    let th = Thresholds::default();
    assert_eq!(
        fd.evidence[2..],
        [
            Evidence::CacheUpload {
                upload: d.cache_upload.clone().unwrap(),
                below: true,
                needed_mbps: th.cache_upload_mbps,
                churn_limit_mbps: th.churn_limit_mbps,
                high_churn_limit_mbps: th.high_churn_limit_mbps
            },
            super::findings::churn_limits()
        ]
    );

    // Below --min-segments, retransmissions are not judged.
    let mut f = flow(BLOB, STORAGE_IP);
    f.out.data_segments = 10;
    f.out.data_retransmissions = 5;
    assert_eq!(run(f).0.verdict.verdict, Verdict::Allowed);

    // Zero windows from the server; another endpoint gets no upload line.
    let mut f = flow("asrmon.servicebus.windows.net", "13.89.170.130");
    f.inbound.zero_windows = 2;
    let (j, d) = run(f);
    assert_eq!(
        j.verdict.cause,
        Cause::Throttled {
            retrans_pct: None,
            zero_windows: Some(2),
            upload_mbit_s: Some(8.0),
            rtt_ms: Some(1.5)
        }
    );
    let fd = finding(&d, EndpointId::Monitoring);
    assert_eq!(
        fd.title,
        Title::Throttled {
            pattern: "*.servicebus.windows.net"
        }
    );
    assert_eq!(fd.evidence.len(), 2, "{:?}", fd.evidence);
}

#[test]
fn flows_that_cannot_be_judged_leave_the_requirement_not_seen() {
    let mut f = flow(BLOB, STORAGE_IP);
    f.handshake = Handshake::Incomplete;
    let (j, d) = run(f);
    assert_eq!(j.verdict.verdict, Verdict::Incomplete);
    assert_eq!(j.verdict.cause, Cause::AckNeverSeen);
    let r = requirement(&d, EndpointId::CacheStorage);
    assert_eq!(r.status, Status::NotSeen);
    assert_eq!(r.cause, Some(Cause::NothingToJudge { flows: 1 }));

    let mut f = flow(BLOB, STORAGE_IP);
    f.handshake = Handshake::MidFlow;
    f.quality.one_direction = true;
    assert_eq!(run(f).0.verdict.cause, Cause::MidFlowOneDirection);

    let mut f = flow(BLOB, STORAGE_IP);
    f.handshake = Handshake::MidFlow;
    assert_eq!(
        run(f.clone()).0.verdict.cause,
        Cause::MidFlowWorking {
            data_out: true,
            data_in: true
        }
    );
    f.inbound.data_segments = 0;
    assert_eq!(
        run(f.clone()).0.verdict.cause,
        Cause::MidFlowWorking {
            data_out: true,
            data_in: false
        }
    );
    f.out.data_segments = 0;
    assert_eq!(run(f).0.verdict.cause, Cause::MidFlowNoData);
}

#[test]
fn udp_flows_are_judged_by_the_answer() {
    let mut f = flow("dns", "168.63.129.16");
    f.server_name = None;
    f.transport = Transport::Udp;
    f.dst_port = 53;
    f.tls = None;
    f.handshake = Handshake::Answered;
    assert_eq!(run(f.clone()).0.verdict.cause, Cause::UdpAnswered);
    f.handshake = Handshake::NoReply;
    let (j, _) = run(f.clone());
    assert_eq!(j.verdict.verdict, Verdict::Blocked);
    assert_eq!(
        j.verdict.cause,
        Cause::NoDnsAnswer {
            server: "168.63.129.16:53".parse().unwrap()
        }
    );
    f.dst_port = 123;
    assert_eq!(run(f).0.verdict.cause, Cause::UdpNoAnswer);
}

fn failed_name(name: &str, nx: u32, servfail: u32, other: u32, unanswered: u32) -> NameLog {
    NameLog {
        name: name.into(),
        queries: 2,
        nxdomain: nx,
        servfail,
        other_errors: other,
        unanswered,
        servers: vec![ip("10.1.0.2")],
        ..Default::default()
    }
}

#[test]
fn a_name_that_does_not_resolve_blocks_the_requirement() {
    let cases = [
        (failed_name(BLOB, 1, 0, 0, 0), DnsFailure::Nxdomain, 1),
        (failed_name(BLOB, 0, 2, 0, 0), DnsFailure::Servfail, 2),
        (failed_name(BLOB, 0, 0, 2, 0), DnsFailure::Refused, 2),
        (failed_name(BLOB, 0, 0, 0, 2), DnsFailure::Unanswered, 2),
    ];
    for (log, failure, count) in cases {
        let (_, d) = run_with(settings(), vec![], std::slice::from_ref(&log));
        let r = requirement(&d, EndpointId::CacheStorage);
        assert_eq!(r.status, Status::Blocked);
        assert_eq!(
            r.cause,
            Some(Cause::DnsFailed {
                name: BLOB.into(),
                failure,
                count
            })
        );
        let fd = finding(&d, EndpointId::CacheStorage);
        assert_eq!(fd.title, Title::DoesNotResolve { name: BLOB.into() });
        assert_eq!(fd.error_codes, vec!["151195", "151037", "151072"]);
        assert_eq!(
            fd.evidence,
            vec![Evidence::DnsFailed {
                cause: r.cause.clone().unwrap(),
                servers: vec![DnsServer {
                    address: ip("10.1.0.2"),
                    azure: false
                }]
            }]
        );
    }
    let (_, d) = run_with(settings(), vec![], &[failed_name(BLOB, 0, 0, 0, 1)]);
    assert_eq!(
        requirement(&d, EndpointId::CacheStorage).cause,
        Some(Cause::DnsFailed {
            name: BLOB.into(),
            failure: DnsFailure::Unanswered,
            count: 1
        })
    );
}

#[test]
fn cache_storage_in_another_region_than_the_source_is_a_finding() {
    let mut s = settings();
    s.given.0 = Some(Region {
        id: "westeurope".into(),
        tag_suffix: "WestEurope".into(),
    });
    let (_, d) = run_with(s, vec![flow(BLOB, STORAGE_IP)], &[]);
    let fd = d
        .findings
        .iter()
        .find(|f| f.error_codes == vec!["151037"])
        .unwrap();
    assert_eq!(
        fd.title,
        Title::CacheInOtherRegion {
            region: "EastUS".into(),
            source: "WestEurope".into()
        }
    );
    assert_eq!(
        fd.evidence,
        vec![Evidence::CacheBytes {
            bytes: 10_000_000,
            region: "EastUS".into()
        }]
    );
}

#[test]
fn replication_seen_on_an_nva_is_a_warning() {
    let mut s = settings();
    s.capture_point = CapturePoint::Nva;
    let (_, d) = run_with(s, vec![flow(BLOB, STORAGE_IP)], &[]);
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(fd.title, Title::ThroughAppliance);
    assert_eq!(fd.evidence, vec![Evidence::ApplianceFlows { flows: 1 }]);
    assert!(d.has_asr_findings());
}

#[test]
fn old_service_tag_data_is_a_warning_not_about_replication() {
    let tags = TagDb::embedded();
    let judge = Judge::new(settings(), tags);
    let published = tags.meta().published.clone().unwrap();
    let days = crate::dates::days_from_ymd(&published).unwrap();
    let stats = |age: i64| CaptureStats {
        first_seen: Some((days + age) * 86_400_000_000),
        ..Default::default()
    };
    let d = judge.diagnosis(tags, &[], &stats(61), &[]);
    let fd = d.findings.last().unwrap();
    assert_eq!(fd.title, Title::StaleTags { age_days: 61 });
    assert!(!fd.asr());
    assert!(!d.has_asr_findings());
    let d = judge.diagnosis(tags, &[], &stats(60), &[]);
    assert!(d.findings.is_empty(), "{:#?}", d.findings);
}

#[test]
fn open_flows_count_in_a_snapshot_diagnosis_but_are_not_accounted() {
    let tags = TagDb::embedded();
    let mut judge = Judge::new(settings(), tags);
    let mut f = flow(BLOB, STORAGE_IP);
    f.handshake = Handshake::NoReply;
    let open = vec![judge.judge(tags, f)];
    let stats = CaptureStats::default();
    let d = judge.diagnosis(tags, &[], &stats, &open);
    assert_eq!(
        requirement(&d, EndpointId::CacheStorage).status,
        Status::Blocked
    );
    let d = judge.diagnosis(tags, &[], &stats, &[]);
    assert_eq!(
        requirement(&d, EndpointId::CacheStorage).status,
        Status::NotSeen
    );
    judge.finished(tags, flow(BLOB, STORAGE_IP));
    let d = judge.diagnosis(tags, &[], &stats, &[]);
    assert_eq!(requirement(&d, EndpointId::CacheStorage).status, Status::Ok);
}

#[test]
fn the_worst_flow_gives_the_requirement_its_status() {
    let mut bad = flow(BLOB, STORAGE_IP);
    bad.id = 2;
    bad.handshake = Handshake::Rejected;
    let (_, d) = run_with(settings(), vec![flow(BLOB, STORAGE_IP), bad], &[]);
    let r = requirement(&d, EndpointId::CacheStorage);
    assert_eq!(r.status, Status::Blocked);
    assert_eq!(r.flows, 2);
    assert_eq!(r.verdicts.get("allowed"), Some(&1));
    assert_eq!(r.verdicts.get("blocked"), Some(&1));
    assert_eq!(
        finding(&d, EndpointId::CacheStorage).evidence[1],
        Evidence::Flows {
            flows: 2,
            by_verdict: [(Verdict::Allowed, 1), (Verdict::Blocked, 1)].into()
        }
    );
}

#[test]
fn regions_are_inferred_from_cache_and_monitoring_traffic() {
    let tags = TagDb::embedded();
    let flows = vec![
        flow(BLOB, STORAGE_IP),
        flow("asrmon.servicebus.windows.net", "13.89.170.130"),
    ];
    let (s, t) = super::regions::infer_and_choose(&(None, None), &flows, &[], tags);
    let (s, t) = (s.unwrap(), t.unwrap());
    assert_eq!(
        (s.region.id.as_str(), s.how),
        ("eastus", RegionHow::Inferred)
    );
    assert_eq!(t.region.tag_suffix, "CentralUS");
    // A given region wins.
    let given = settings().given;
    let (s, _) = super::regions::infer_and_choose(&(None, given.1), &flows, &[], tags);
    assert_eq!(s.unwrap().region.tag_suffix, "EastUS");
}

/// A flow seen mid-way, with no name at all: an upload to the cache account.
fn unnamed(dst: &str) -> FlowRecord {
    let mut f = flow(BLOB, dst);
    f.server_name = None;
    f.name_source = NameSource::None;
    f.tls = None;
    f.handshake = Handshake::MidFlow;
    f.quality.began_before_capture = true;
    f.inbound.data_segments = 0;
    f
}

#[test]
fn an_unnamed_flow_is_tied_to_its_endpoint_by_address() {
    let mut f = unnamed(STORAGE_IP);
    f.out.data_retransmissions = 10;
    let (j, d) = run(f);
    let e = j.verdict.endpoint.as_ref().unwrap();
    assert_eq!(e.id, EndpointId::CacheStorage);
    assert_eq!(e.by, EndpointBy::Address);
    assert_eq!(e.required_tag, TagName::new("Storage.EastUS").into());
    assert_eq!(j.verdict.verdict, Verdict::Throttled);
    // Its reason says so, so that no one takes the pattern for its name.
    assert_eq!(
        j.verdict.by_address(),
        Some(ByAddress {
            pattern: "*.blob.core.windows.net",
            tag: TagName::new("Storage.EastUS")
        })
    );
    // It counts for the checklist, the upload rate and the exit status.
    assert_eq!(
        requirement(&d, EndpointId::CacheStorage).status,
        Status::Throttled
    );
    assert_eq!(d.cache_upload.as_ref().unwrap().bytes, 10_000_000);
    assert!(d.has_asr_findings());

    // Other tags tie to their endpoints; a named flow keeps its name's.
    assert_eq!(
        run(unnamed("4.149.98.200")).0.verdict.endpoint_id(),
        Some(EndpointId::AzureAd)
    );
    assert_eq!(
        run(unnamed("13.89.170.130")).0.verdict.endpoint_id(),
        Some(EndpointId::Monitoring)
    );
    let mut named = unnamed(STORAGE_IP);
    named.server_name = Some("www.example.com".into());
    let (j, _) = run(named);
    assert_eq!(j.verdict.endpoint, None);
    // Only HTTPS: another port at a Storage address is not the cache account.
    let mut other = unnamed(STORAGE_IP);
    other.dst_port = 445;
    assert_eq!(run(other).0.verdict.endpoint, None);
    // Region inference counts it too.
    let (s, _) = super::regions::infer_and_choose(
        &(None, None),
        &[unnamed(STORAGE_IP)],
        &[],
        TagDb::embedded(),
    );
    assert_eq!(s.unwrap().region.id, "eastus");
}

/// Before the source region is known, the cache account's tag is no tag:
/// the fix names its family and which region it needs.
#[test]
fn a_tag_whose_region_is_not_known_is_not_a_tag() {
    let mut s = settings();
    s.given = (None, None);
    let mut f = flow(BLOB, STORAGE_IP);
    f.handshake = Handshake::NoReply;
    let (_, d) = run_with(s, vec![f], &[]);
    let unknown = RequiredTag::RegionUnknown {
        family: "Storage",
        region: RegionRole::Source,
    };
    let fd = finding(&d, EndpointId::CacheStorage);
    assert_eq!(
        fd.fixes[0],
        Fix::NsgAllowRule {
            tag: unknown.clone()
        }
    );
    assert_eq!(requirement(&d, EndpointId::CacheStorage).tag, unknown);
}

#[test]
fn the_upload_rate_is_over_the_time_data_moved_not_the_span() {
    const S: i64 = 1_000_000;
    let t0 = 1_700_000_000 * S;
    let upload = |id: u64, from: i64, to: i64, bytes: u64| {
        let mut f = flow(BLOB, STORAGE_IP);
        f.id = id;
        f.first_seen = from - S;
        f.last_seen = to + S;
        f.out.bytes = bytes;
        f.out.first_data = Some(from);
        f.out.last_data = Some(to);
        f
    };
    // Two captures 30 s apart: 3 MB in 1 s, then 3 MB in 6 s.
    let (_, d) = run_with(
        settings(),
        vec![
            upload(1, t0, t0 + S, 3_000_000),
            upload(2, t0 + 31 * S, t0 + 37 * S, 3_000_000),
        ],
        &[],
    );
    let u = d.cache_upload.unwrap();
    assert!((u.seconds - 7.0).abs() < 1e-9, "{u:?}");
    assert!((u.span_seconds - 37.0).abs() < 1e-9, "{u:?}");
    assert!((u.mbps - 6.0 / 7.0).abs() < 1e-9, "{u:?}");
    assert!(!u.parallel);
    assert_eq!((u.flows, u.bytes), (2, 6_000_000));
    // Overlapping flows count their common time once.
    let (_, d) = run_with(
        settings(),
        vec![
            upload(1, t0, t0 + 4 * S, 2_000_000),
            upload(2, t0 + 2 * S, t0 + 6 * S, 2_000_000),
        ],
        &[],
    );
    let u = d.cache_upload.unwrap();
    assert!((u.seconds - 6.0).abs() < 1e-9, "{u:?}");
    assert!(u.parallel);
}

#[test]
fn a_private_endpoint_name_resolving_publicly_names_the_zone_to_link() {
    let log = |addr: &str| NameLog {
        name: BLOB.into(),
        qtypes: vec![1],
        queries: 1,
        responses: 1,
        answered: 1,
        addresses: vec![ip(addr)],
        cname_chain: vec![
            "asrcache1.privatelink.blob.core.windows.net".into(),
            "blob.bl2prdstr01a.store.core.windows.net".into(),
        ],
        servers: vec![ip("168.63.129.16")],
        ..Default::default()
    };
    let (_, d) = run_with(settings(), vec![flow(BLOB, STORAGE_IP)], &[log(STORAGE_IP)]);
    let f = d
        .findings
        .iter()
        .find(|f| matches!(&f.about, FindingKind::ResolvesPublicly { .. }))
        .unwrap_or_else(|| panic!("{:#?}", d.findings));
    assert_eq!(
        f.about,
        FindingKind::ResolvesPublicly {
            endpoint: EndpointId::CacheStorage,
            zone: "privatelink.blob.core.windows.net".into(),
            role: PublicResolution::CacheOverPublicEndpoint,
        }
    );
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.evidence[2], Evidence::PublicEndpointToday);
    assert_eq!(
        f.evidence[..2],
        [
            Evidence::ResolvedTo {
                chain: vec![
                    BLOB.into(),
                    "asrcache1.privatelink.blob.core.windows.net".into(),
                    "blob.bl2prdstr01a.store.core.windows.net".into()
                ],
                public: vec![ip(STORAGE_IP)]
            },
            Evidence::ZoneNotAnswered {
                link: "asrcache1.privatelink.blob.core.windows.net".into(),
                zone: "privatelink.blob.core.windows.net",
                forwarder: "blob.core.windows.net".into()
            }
        ]
    );
    assert_eq!(
        f.fixes,
        vec![Fix::LinkPrivateDnsZone {
            zone: "privatelink.blob.core.windows.net".into(),
            forwarder: "blob.core.windows.net".into()
        }]
    );
    // Linked: the same chain ends at the private endpoint's address.
    let (_, d) = run_with(settings(), vec![], &[log("10.1.1.5")]);
    assert!(
        !d.findings
            .iter()
            .any(|f| matches!(&f.about, FindingKind::ResolvesPublicly { .. })),
        "{:#?}",
        d.findings
    );
}

/// The judging thread orders each list of finished flows where it lies:
/// every record once, by first packet then id, whatever order they ended in.
#[test]
fn flows_are_sorted_in_place_by_first_packet() {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for n in [0usize, 1, 2, 3, 17, 256, 1000] {
        let mut v: Vec<FlowRecord> = (0..n as u64)
            .map(|id| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut f = flow(BLOB, STORAGE_IP);
                f.id = id;
                // Few distinct times: ties are ordered by id.
                f.first_seen = (seed % 7) as i64;
                f
            })
            .collect();
        // Shuffled into the order of a list of flows that ended.
        for i in (1..v.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            v.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        let mut want: Vec<(i64, u64)> = v.iter().map(|f| (f.first_seen, f.id)).collect();
        want.sort_unstable();
        crate::model::sort_flows_in_place(&mut v);
        let got: Vec<(i64, u64)> = v.iter().map(|f| (f.first_seen, f.id)).collect();
        assert_eq!(got, want, "{n} flows");
    }
}

/// The endpoint's findings, by what they are about.
fn findings_of(d: &Diagnosis, id: EndpointId) -> Vec<&FindingKind> {
    d.findings
        .iter()
        .filter(|f| f.endpoint() == Some(id))
        .map(|f| &f.about)
        .collect()
}

/// An authenticating proxy refused one connection and another, through the
/// same proxy with credentials, was throttled: each problem is a finding of
/// its own; the requirement's status is the worst.
#[test]
fn every_problem_of_an_endpoint_is_a_finding_of_its_own() {
    let refused = through_proxy(407, Some("Basic"));
    let mut slow = through_proxy(200, None);
    slow.id = 2;
    slow.proxy.as_mut().unwrap().credentials_sent = true;
    slow.out.data_retransmissions = 10;
    let (_, d) = run_with(settings(), vec![refused, slow], &[]);
    assert_eq!(
        requirement(&d, EndpointId::CacheStorage).status,
        Status::ProxyAuth
    );
    let about = |status| FindingKind::Endpoint {
        endpoint: EndpointId::CacheStorage,
        status,
    };
    assert_eq!(
        findings_of(&d, EndpointId::CacheStorage),
        vec![&about(Status::ProxyAuth), &about(Status::Throttled)]
    );
    let slow = d
        .findings
        .iter()
        .find(|f| f.about == about(Status::Throttled))
        .unwrap();
    assert!(
        matches!(slow.fixes[0], Fix::StorageServiceEndpoint { .. }),
        "{:?}",
        slow.fixes
    );
}

/// A proxy that asked for credentials and then let the connection through
/// (curl --proxy-anyauth: 407, then 200 on the same connection): the
/// requirement works, with a warning that the proxy authenticates; beside a
/// refused connection, the refusal's critical finding says it once.
#[test]
fn an_authenticating_proxy_that_let_the_connection_through_is_a_warning() {
    let mut f = through_proxy(200, Some("Basic"));
    let p = f.proxy.as_mut().unwrap();
    p.credentials_sent = true;
    p.first_status = Some(407);
    let (j, d) = run(f.clone());
    assert_eq!(j.verdict.verdict, Verdict::Allowed);
    assert_eq!(requirement(&d, EndpointId::CacheStorage).status, Status::Ok);
    let w = finding(&d, EndpointId::CacheStorage);
    assert_eq!(
        w.about,
        FindingKind::AuthenticatingProxy {
            endpoint: EndpointId::CacheStorage
        }
    );
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(
        w.fixes,
        vec![
            Fix::ProxyWithoutAuthentication {
                pattern: "*.blob.core.windows.net".into()
            },
            Fix::ProxyConfiguration
        ]
    );
    assert_eq!(
        w.evidence,
        vec![
            Evidence::ProxyAuthenticated {
                proxy: "10.1.0.100:3128".parse().unwrap(),
                scheme: Some("Basic".into()),
                first_status: Some(407)
            },
            Evidence::MobilityCannotAuthenticate
        ]
    );
    assert!(
        d.has_asr_findings(),
        "a warning about Site Recovery traffic"
    );
    let mut refused = through_proxy(407, Some("Basic"));
    refused.id = 2;
    let (_, d) = run_with(settings(), vec![f, refused], &[]);
    assert_eq!(
        findings_of(&d, EndpointId::CacheStorage),
        vec![&FindingKind::Endpoint {
            endpoint: EndpointId::CacheStorage,
            status: Status::ProxyAuth
        }]
    );
}

/// A flow to `name` at `dst` whose SYNs got `answer`: nothing
/// (`Handshake::NoReply`), a reset, or an ICMP error.
fn unanswered(name: &str, dst: &str, answer: Handshake, id: u64) -> FlowRecord {
    let mut f = flow(name, dst);
    f.id = id;
    f.src_port = 50_000 + id as u16;
    f.handshake = answer;
    f.evidence.syn_count = 3;
    f.evidence.syn_span_ms = Some(3_000.0);
    f.tls = None;
    f.out = DirRecord {
        packets: 3,
        ..Default::default()
    };
    f.inbound = DirRecord::default();
    if answer == Handshake::Unreachable {
        f.evidence.icmp = Some(IcmpSeen {
            message: IcmpMessage {
                v6: false,
                icmp_type: 3,
                code: 13,
            },
            from: ip("10.1.0.1"),
            ts_us: 0,
        });
    }
    f
}

/// The cache upload to Storage.EastUS, then Entra ID and Service Bus
/// answered (or not) with `answer`.
fn private_subnet_flows(answer: Handshake) -> Vec<FlowRecord> {
    vec![
        flow(BLOB, STORAGE_IP),
        unanswered("login.microsoftonline.com", "4.149.98.200", answer, 2),
        unanswered(
            "asrmon-eus.servicebus.windows.net",
            "13.89.170.130",
            answer,
            3,
        ),
    ]
}

fn private_subnet(d: &Diagnosis) -> Option<&Finding> {
    d.findings
        .iter()
        .find(|f| f.about == FindingKind::PrivateSubnet)
}

#[test]
fn storage_answered_and_the_rest_silent_is_possibly_a_private_subnet() {
    let (_, d) = run_with(settings(), private_subnet_flows(Handshake::NoReply), &[]);
    let f = private_subnet(&d).unwrap_or_else(|| panic!("{:#?}", d.findings));
    // The VM's finding first, beside the endpoints' own (NSG rule, URL).
    assert_eq!(d.findings[0].about, FindingKind::PrivateSubnet);
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.title, Title::PrivateSubnet);
    assert_eq!(
        f.fixes,
        vec![
            Fix::ExplicitOutbound,
            Fix::EntraIdStaysPublic {
                login: "login.microsoftonline.com"
            }
        ]
    );
    assert_eq!(
        f.evidence,
        vec![
            Evidence::SameRegionStorageWorks {
                region: "EastUS".into(),
                bytes: 10_000_000
            },
            Evidence::SilentEndpoints {
                endpoints: vec![
                    ("login.microsoftonline.com", 1),
                    ("*.servicebus.windows.net", 1)
                ]
            },
            Evidence::PrivateSubnetDefault,
        ]
    );
    assert_eq!(f.error_codes, vec!["151196", "151072", "151037"]);
    let aad = finding(&d, EndpointId::AzureAd);
    assert!(
        aad.fixes
            .iter()
            .any(|x| matches!(x, Fix::NsgAllowRule { .. }))
    );
}

#[test]
fn resets_icmp_failed_storage_or_storage_elsewhere_are_not_a_private_subnet() {
    // Answered by a reset or an ICMP error: something in the path speaks.
    for answer in [Handshake::Rejected, Handshake::Unreachable] {
        let (_, d) = run_with(settings(), private_subnet_flows(answer), &[]);
        assert!(
            private_subnet(&d).is_none(),
            "{answer:?}: {:#?}",
            d.findings
        );
    }
    // Storage failed too.
    let mut flows = private_subnet_flows(Handshake::NoReply);
    flows[0] = unanswered(BLOB, STORAGE_IP, Handshake::NoReply, 1);
    let (_, d) = run_with(settings(), flows, &[]);
    assert!(private_subnet(&d).is_none(), "{:#?}", d.findings);
    // Storage answered in another region than the source.
    let mut s = settings();
    s.given.0 = Some(Region {
        id: "westus".into(),
        tag_suffix: "WestUS".into(),
    });
    let (_, d) = run_with(s, private_subnet_flows(Handshake::NoReply), &[]);
    assert!(private_subnet(&d).is_none(), "{:#?}", d.findings);
    // One silent endpoint is not enough; one that answered rules it out.
    let mut flows = private_subnet_flows(Handshake::NoReply);
    flows.pop();
    let (_, d) = run_with(settings(), flows, &[]);
    assert!(private_subnet(&d).is_none(), "{:#?}", d.findings);
    let mut flows = private_subnet_flows(Handshake::NoReply);
    let mut ok = flow(
        "pod01-srs1.eus.hypervrecoverymanager.windowsazure.com",
        "4.149.21.202",
    );
    ok.id = 9;
    flows.push(ok);
    let (_, d) = run_with(settings(), flows, &[]);
    assert!(private_subnet(&d).is_none(), "{:#?}", d.findings);
}

/// A plain HTTP request for IMDS, sent to `dst`, answered `status`.
fn imds_request(dst: &str, status: Option<u16>) -> FlowRecord {
    let mut f = flow("169.254.169.254", dst);
    f.dst_port = 80;
    f.tls = None;
    f.name_source = NameSource::Host;
    f.http = Some(HttpRecord {
        method: "GET".into(),
        host: Some("169.254.169.254".into()),
        target: Some("/metadata/instance".into()),
        status,
        deny_page: None,
    });
    f
}

fn about(d: &Diagnosis, kind: &FindingKind) -> Option<Finding> {
    d.findings.iter().find(|f| f.about == *kind).cloned()
}

#[test]
fn imds_answered_directly_is_no_finding() {
    let (j, d) = run(imds_request("169.254.169.254", Some(200)));
    assert_eq!(j.verdict.verdict, Verdict::Allowed);
    assert_eq!(j.verdict.platform, Some("Azure Instance Metadata Service"));
    for k in [FindingKind::ImdsThroughProxy, FindingKind::ImdsUnanswered] {
        assert!(about(&d, &k).is_none(), "{k:?}");
    }
}

#[test]
fn imds_through_a_connect_is_a_finding_naming_the_tunnel() {
    let mut f = through_proxy(200, None);
    f.server_name = Some("169.254.169.254".into());
    let p = f.proxy.as_mut().unwrap();
    p.target_host = "169.254.169.254".into();
    p.target_port = 80;
    let (_, d) = run(f);
    let fd = about(&d, &FindingKind::ImdsThroughProxy).unwrap();
    assert_eq!(fd.fixes, vec![Fix::BypassImdsInProxy]);
    assert_eq!(
        fd.evidence[0],
        Evidence::ImdsToProxy {
            proxy: "10.1.0.100:3128".parse().unwrap(),
            via: ImdsVia::Connect,
            target: None,
            status: Some(200),
            flows: 1,
        }
    );
}

#[test]
fn imds_reset_at_the_syn_is_unanswered_and_a_request_still_open_is_not_yet() {
    let mut f = imds_request("169.254.169.254", None);
    f.handshake = Handshake::Rejected;
    f.out.data_segments = 0;
    f.inbound.bytes = 0;
    let (_, d) = run(f);
    let fd = about(&d, &FindingKind::ImdsUnanswered).unwrap();
    assert!(matches!(
        fd.evidence[0],
        Evidence::ImdsNoAnswer {
            failure: ImdsFailure::Connection(Cause::SynReset { .. }),
            flows: 1
        }
    ));
    // Sent once, not answered yet, still open: not a finding (a live
    // capture judges it again later).
    let mut f = imds_request("169.254.169.254", None);
    f.inbound.bytes = 0;
    f.close = Close::Open;
    f.out.data_retransmissions = 0;
    let (_, d) = run(f);
    assert!(about(&d, &FindingKind::ImdsUnanswered).is_none());
}

/// A hello to the cache account offering `versions`, refused by the server
/// side: closed (`close`, `after_ms`) before one byte, or a fatal alert.
fn hello_offering(versions: &[u16], close: Close, after_ms: f64, alert: Option<u8>) -> FlowRecord {
    let mut f = closed_at_hello(BLOB, STORAGE_IP, close, after_ms);
    let t = f.tls.as_mut().unwrap();
    t.client_versions = versions.iter().copied().map(TlsVersion).collect();
    if let Some(d) = alert {
        t.alert = Some(AlertRecord {
            level: 2,
            description: AlertDescription(d),
        });
        t.handshake_end = TlsEnd::ServerAlert;
        f.inbound.bytes = 7;
        f.inbound.data_segments = 1;
        f.close = Close::FinServer;
        f.handshake = Handshake::Established;
        f.evidence.rst_after_client_data_ms = None;
    }
    f
}

#[test]
fn a_vm_that_offers_no_tls12_is_told_so_whatever_the_server_refused_it_with() {
    let cases = [
        // OpenSSL-based servers: a protocol_version alert.
        (
            hello_offering(&[0x0302], Close::FinServer, 0.4, Some(70)),
            TlsVersion(0x0302),
            TlsRefusal::ProtocolVersionAlert,
        ),
        // Windows SChannel: a reset right after the hello.
        (
            hello_offering(&[0x0301], Close::RstServer, 0.2, None),
            TlsVersion(0x0301),
            TlsRefusal::Closed {
                how: ClosedBy::Reset,
                after_ms: 0.2,
            },
        ),
        (
            hello_offering(&[0x0302], Close::FinServer, 30.0, None),
            TlsVersion(0x0302),
            TlsRefusal::Closed {
                how: ClosedBy::Fin,
                after_ms: 30.0,
            },
        ),
        // SSL 3.0.
        (
            hello_offering(&[0x0300], Close::RstServer, 0.1, None),
            TlsVersion(0x0300),
            TlsRefusal::Closed {
                how: ClosedBy::Reset,
                after_ms: 0.1,
            },
        ),
        // supported_versions listing TLS 1.0 and 1.1: the highest is said.
        (
            hello_offering(&[0x0302, 0x0301], Close::RstServer, 0.1, None),
            TlsVersion(0x0302),
            TlsRefusal::Closed {
                how: ClosedBy::Reset,
                after_ms: 0.1,
            },
        ),
    ];
    for (f, offered, refused) in cases {
        let (j, d) = run(f);
        assert_eq!(j.verdict.verdict, Verdict::Blocked);
        assert_eq!(
            j.verdict.cause,
            Cause::NoTls12Offered {
                offered,
                refused,
                name: Some(BLOB.into())
            }
        );
        let fd = finding(&d, EndpointId::CacheStorage);
        assert_eq!(
            fd.title,
            Title::NoTls12 {
                pattern: CACHE,
                offered
            }
        );
        assert_eq!(fd.error_codes, ["10054", "151037", "151072", "153007"]);
        assert!(fd.evidence.contains(&Evidence::Tls12Required));
        // The VM's TLS, not the network: no URL, NSG or storage firewall.
        assert_eq!(
            fd.fixes,
            [
                Fix::EnableTls12 { os: VmOs::Windows },
                Fix::EnableTls12 { os: VmOs::Linux }
            ]
        );
    }
}

#[test]
fn a_refusal_that_the_offered_versions_do_not_explain_is_judged_as_before() {
    let filter = |f: FlowRecord| {
        let (j, d) = run(f);
        assert!(
            matches!(j.verdict.cause, Cause::ClosedAfterHello { .. }),
            "{:?}",
            j.verdict.cause
        );
        assert_eq!(
            finding(&d, EndpointId::CacheStorage).title,
            Title::ClosedAfterHello { pattern: CACHE }
        );
    };
    // A hello that offers TLS 1.2 (or 1.3, or 1.2 beside older ones) reset
    // at once: a filter, as before.
    filter(hello_offering(&[0x0303], Close::RstServer, 0.1, None));
    filter(hello_offering(
        &[0x0304, 0x0303],
        Close::RstServer,
        0.1,
        None,
    ));
    filter(hello_offering(
        &[0x0303, 0x0302, 0x0301],
        Close::FinServer,
        0.1,
        None,
    ));
    // A version this code does not know is not called older.
    filter(hello_offering(&[0x7f1c], Close::RstServer, 0.1, None));
    filter(hello_offering(&[0x1234], Close::RstServer, 0.1, None));
    // No version read (a hello not captured whole enough): nothing decided.
    filter(hello_offering(&[], Close::RstServer, 0.1, None));
    // A close long after the hello is no answer to its version: an idle
    // timeout, judged as any close at the hello.
    filter(hello_offering(&[0x0301], Close::FinServer, 240_000.0, None));
    // Past 1 s, three handshake round trips still count on a slow path.
    let mut slow = hello_offering(&[0x0301], Close::RstServer, 1_500.0, None);
    slow.rtt_ms = Some(600.0);
    assert!(matches!(
        run(slow.clone()).0.verdict.cause,
        Cause::NoTls12Offered { .. }
    ));
    slow.rtt_ms = Some(100.0);
    filter(slow);

    // Another alert to an old hello, or protocol_version to a TLS 1.2 one:
    // TLS fails, as before.
    for f in [
        hello_offering(&[0x0301], Close::FinServer, 0.4, Some(40)),
        hello_offering(&[0x0303], Close::FinServer, 0.4, Some(70)),
    ] {
        let (j, d) = run(f);
        assert!(matches!(j.verdict.cause, Cause::TlsAlert { .. }));
        assert_eq!(
            finding(&d, EndpointId::CacheStorage).title,
            Title::TlsFails { pattern: CACHE }
        );
    }
    // No hello at all: a reset at the first data.
    let mut f = hello_offering(&[0x0301], Close::RstServer, 0.1, None);
    f.tls = None;
    assert!(matches!(
        run(f).0.verdict.cause,
        Cause::ResetAfterFirstData { .. }
    ));
    // An old hello the server accepted works.
    let mut f = flow(BLOB, STORAGE_IP);
    let t = f.tls.as_mut().unwrap();
    t.client_versions = vec![TlsVersion(0x0301)];
    t.server_version = Some(TlsVersion(0x0301));
    assert_eq!(run(f).0.verdict.verdict, Verdict::Allowed);
}

/// The DNs of "Azure Certificate Authority details" (ms.date 11/17/2025)
/// as their certificates carry them, with their organisations, and whether
/// they issue Azure's certificates today.
const ISSUERS: &[(&str, &str, &[&str], bool)] = &[
    (
        "C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 03",
        "Microsoft Azure RSA TLS Issuing CA 03",
        &["Microsoft Corporation"],
        true,
    ),
    (
        "C=US, O=Microsoft Corporation, CN=Microsoft TLS G2 RSA CA OCSP 02",
        "Microsoft TLS G2 RSA CA OCSP 02",
        &["Microsoft Corporation"],
        true,
    ),
    (
        "C=US, O=DigiCert Inc, CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1",
        "DigiCert Global G2 TLS RSA SHA256 2020 CA1",
        &["DigiCert Inc"],
        true,
    ),
    // No "DigiCert" in its name; its organisation holds ", ".
    (
        "C=US, O=DigiCert, Inc., CN=GeoTrust Global TLS RSA4096 SHA256 2022 CA1",
        "GeoTrust Global TLS RSA4096 SHA256 2022 CA1",
        &["DigiCert, Inc."],
        true,
    ),
    // Removed from the list on October 8, 2024.
    (
        "C=IE, O=Baltimore, OU=CyberTrust, CN=Baltimore CyberTrust Root",
        "Baltimore CyberTrust Root",
        &["Baltimore"],
        false,
    ),
    // The lab's inspection CA, and one whose name merely holds "Microsoft".
    (
        "C=US, O=Contoso Ltd, OU=Network Security, CN=Contoso Firewall Inspection CA",
        "Contoso Firewall Inspection CA",
        &["Contoso Ltd"],
        false,
    ),
    (
        "C=US, O=Contoso Ltd, CN=Contoso Microsoft Proxy CA",
        "Contoso Microsoft Proxy CA",
        &["Contoso Ltd"],
        false,
    ),
    // One organisation written to look like two in the DN string.
    (
        "C=US, O=Contoso\\, O=Microsoft Corporation, CN=Contoso Proxy CA",
        "Contoso Proxy CA",
        &["Contoso, O=Microsoft Corporation"],
        false,
    ),
];

#[test]
fn azures_cas_are_told_by_their_organisation_for_the_verdict_and_the_finding() {
    for (dn, cn, orgs, azure) in ISSUERS {
        // The certificate of a working connection: intercepted or not.
        let mut f = flow(BLOB, STORAGE_IP);
        f.tls.as_mut().unwrap().certificates = vec![issued_by(dn, cn, orgs)];
        let (j, _) = run(f);
        let want = if *azure {
            Verdict::Allowed
        } else {
            Verdict::Intercepted
        };
        assert_eq!(j.verdict.verdict, want, "{dn}");
        // The certificate a VM rejected: its issuer is named as the device
        // that re-signs the traffic only when it is not one of Azure's.
        let mut f = client_alert(48);
        f.tls.as_mut().unwrap().certificates = vec![issued_by(dn, cn, orgs)];
        let (j, d) = run(f);
        assert!(
            matches!(&j.verdict.cause, Cause::CertificateRejected { issuer: Some(i), .. } if i.trusted == *azure),
            "{dn}: {:?}",
            j.verdict.cause
        );
        assert_eq!(
            finding(&d, EndpointId::CacheStorage).fixes[1],
            Fix::StopTlsInspection {
                pattern: CACHE.into(),
                issuer: (!azure).then(|| cn.to_string()),
            },
            "{dn}"
        );
    }
    // --trusted-issuer still trusts a private CA, by a part of its DN, for
    // both.
    let mut s = settings();
    s.trusted_issuers = vec!["Contoso Firewall Inspection CA".into()];
    let contoso = ISSUERS[5];
    let mut f = client_alert(48);
    f.tls.as_mut().unwrap().certificates = vec![issued_by(contoso.0, contoso.1, contoso.2)];
    let (_, d) = run_with(s, vec![f], &[]);
    assert_eq!(
        finding(&d, EndpointId::CacheStorage).fixes[1],
        Fix::StopTlsInspection {
            pattern: CACHE.into(),
            issuer: None,
        }
    );
}

/// Handshakes the servers completed below TLS 1.2 (ServerHello TLS 1.1 and
/// 1.0, beside one at TLS 1.2): the flows stay `allowed`, the endpoint
/// gets one warning naming the oldest version and the two old flows.
#[test]
fn handshakes_completed_below_tls12_are_one_warning_per_endpoint() {
    let old = |id: u64, version: u16| {
        let mut f = flow(BLOB, STORAGE_IP);
        f.id = id;
        f.src_port += id as u16;
        f.tls.as_mut().unwrap().server_version = Some(TlsVersion(version));
        f
    };
    let (judged, d) = run_with(
        settings(),
        vec![old(1, 0x0302), old(2, 0x0301), old(3, 0x0303)],
        &[],
    );
    assert!(judged.iter().all(|j| j.verdict.verdict == Verdict::Allowed));
    assert_eq!(requirement(&d, EndpointId::CacheStorage).status, Status::Ok);
    let w: Vec<&Finding> = d
        .findings
        .iter()
        .filter(|f| f.endpoint() == Some(EndpointId::CacheStorage) && f.asr())
        .collect();
    assert_eq!(w.len(), 1, "{w:#?}");
    assert_eq!(
        w[0].about,
        FindingKind::OldTlsNegotiated {
            endpoint: EndpointId::CacheStorage
        }
    );
    assert_eq!(w[0].severity, Severity::Warning);
    assert_eq!(
        w[0].title,
        Title::OldTlsNegotiated {
            pattern: "*.blob.core.windows.net",
            version: TlsVersion(0x0301)
        }
    );
    assert_eq!(
        w[0].evidence,
        [
            Evidence::OldTlsNegotiated {
                version: TlsVersion(0x0301),
                flows: 2
            },
            Evidence::OldTlsRefusedInside
        ]
    );
    assert!(w[0].error_codes.is_empty());
    // TLS 1.2 and 1.3 only: no such finding.
    let (_, d) = run(flow(BLOB, STORAGE_IP));
    assert!(
        !d.findings
            .iter()
            .any(|f| matches!(f.about, FindingKind::OldTlsNegotiated { .. }))
    );
}
