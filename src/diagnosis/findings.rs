//! Findings: what is wrong, the Site Recovery error codes a user will have
//! seen, the evidence, and the concrete fix. The kind of finding is chosen by
//! matching on the typed [`Cause`], never on the reason sentence.

use super::advice::{
    beat_deny, cannot_tell_fix, correct_route, nsg_fix, past_the_nsg, url_fix,
    with_storage_firewall,
};
use super::tally::{Agg, AuthenticatedProxy, Example};
use crate::azure::Network;
use crate::azure::endpoints::Endpoint;
use crate::azure::tags::TagDb;
use crate::model::{
    ByAddress, Cause, EndpointId, Finding, FindingKind, Fix, NameLog, NextHop, NsgOutcome,
    NsgVerdict, RegionChoice, RouteVerdict, ServiceEndpointWhy, Severity, Status, TagName,
    Thresholds, Tunnel, TunnelKind, Upload,
};
use crate::render::{self, network::steps_text};
use std::collections::BTreeMap;

/// A finding, its fixes rendered by the one renderer.
fn finding(
    about: FindingKind,
    asr: bool,
    endpoint: Option<EndpointId>,
    k: Kind,
    evidence: Vec<String>,
) -> Finding {
    Finding {
        about,
        severity: k.severity,
        asr,
        title: k.title,
        endpoint,
        error_codes: k.codes,
        evidence,
        fix: render::fixes(&k.fix),
        fixes: k.fix,
    }
}

/// What a finding says beyond its evidence.
struct Kind {
    severity: Severity,
    title: String,
    codes: Vec<&'static str>,
    fix: Vec<Fix>,
}

/// A blocked endpoint: what blocked it decides the title, codes and fix.
/// On an appliance's capture that shows the VM's packets reaching it, the
/// drop is at the appliance or past it: that is where the fix points, not
/// at the VM's NSG.
fn blocked(e: &Endpoint, cause: &Cause, tag: &TagName, at_appliance: bool) -> Kind {
    let nsg_fix = |tag: &TagName| {
        if at_appliance {
            Fix::AtTheAppliance {
                pattern: e.pattern.to_string(),
                tag: tag.clone(),
            }
        } else {
            nsg_fix(tag)
        }
    };
    let critical = |title: String, codes: Vec<&'static str>, fix: Vec<Fix>| Kind {
        severity: Severity::Critical,
        title,
        codes,
        fix,
    };
    match cause {
        Cause::ResetAfterFirstData { tls_hello, .. } => critical(
            format!(
                "{} is blocked: a filter resets the connection at the {}",
                e.pattern,
                if *tls_hello {
                    "TLS hello"
                } else {
                    "client's first data"
                }
            ),
            e.error_codes.to_vec(),
            with_storage_firewall(e, vec![url_fix(e), nsg_fix(tag)]),
        ),
        Cause::ProxyRefused { .. } => critical(
            format!("{} is refused by the proxy", e.pattern),
            vec!["151072"],
            vec![Fix::ProxyAllow {
                pattern: e.pattern.to_string(),
            }],
        ),
        Cause::TlsAlert { .. } => critical(
            format!("TLS to {} fails", e.pattern),
            vec!["151066"],
            vec![Fix::TrustedRoots { and_the_path: true }],
        ),
        Cause::CertificateRejected { issuer, .. } => {
            let resigned = issuer
                .as_deref()
                .filter(|i| {
                    !super::verdict::TRUSTED_ISSUERS
                        .iter()
                        .any(|t| i.contains(t))
                })
                .map(str::to_string);
            critical(
                format!("the VM rejects the certificate of {}", e.pattern),
                vec!["151066"],
                vec![
                    Fix::TrustedRoots {
                        and_the_path: false,
                    },
                    Fix::StopTlsInspection {
                        pattern: e.pattern.to_string(),
                        issuer: resigned,
                    },
                ],
            )
        }
        Cause::ServerSilent { .. } => critical(
            format!("{} is blocked: the TLS hello gets no answer", e.pattern),
            e.error_codes.to_vec(),
            with_storage_firewall(e, vec![url_fix(e), nsg_fix(tag)]),
        ),
        _ => {
            let mut fix = vec![nsg_fix(tag), url_fix(e)];
            // The documentation gives the NAT gateway for Entra ID (151196):
            // a Standard internal load balancer gives no outbound access.
            if e.id == EndpointId::AzureAd {
                fix.push(Fix::NatGateway);
            }
            critical(
                format!("{} is blocked", e.pattern),
                e.error_codes.to_vec(),
                fix,
            )
        }
    }
}

/// The churn limits in one line, with where the tables are: the report
/// names the limits that bound replication, not every row.
fn churn_line() -> String {
    use crate::azure::churn;
    let lo = churn::STANDARD
        .iter()
        .map(|r| r.mbps)
        .fold(f64::MAX, f64::min);
    let hi = churn::STANDARD.iter().map(|r| r.mbps).fold(0.0, f64::max);
    let high = churn::HIGH_CHURN.iter().map(|r| r.mbps).fold(0.0, f64::max);
    format!(
        "per-disk churn limits: {lo:.0} to {hi:.0} MB/s by replica disk and I/O size ({high:.0} MB/s at most with High Churn, {:.0} MB/s with the Enhanced Churn preview in {} regions); `asrscope requirements` lists every row",
        churn::PER_DISK_ENHANCED_CHURN_MBPS,
        churn::ENHANCED_CHURN_REGIONS.len()
    )
}

fn throttled(e: &Endpoint, upload: &Upload, th: &Thresholds, ev: &mut Vec<String>) -> Kind {
    if e.id == EndpointId::CacheStorage {
        let below = if upload.mbps < th.cache_upload_mbps {
            "below"
        } else {
            "above"
        };
        ev.push(format!(
            "upload to the cache account {:.2} MB/s while data moved ({}): {below} the {:.2} MB/s Site Recovery needs (4 MB in 3 s); churn limit {:.0} MB/s per VM ({:.0} MB/s with High Churn)",
            upload.mbps,
            render::upload_time(upload),
            th.cache_upload_mbps,
            th.churn_limit_mbps,
            th.high_churn_limit_mbps
        ));
        ev.push(churn_line());
    }
    Kind {
        severity: Severity::Warning,
        title: format!("{} is throttled", e.pattern),
        codes: vec!["153007"],
        fix: vec![
            Fix::StorageServiceEndpoint {
                why: ServiceEndpointWhy::Throttled,
            },
            Fix::MeasureUpload,
        ],
    }
}

/// What an endpoint's finding is judged against besides its flows.
pub(super) struct Around<'a> {
    /// The upload to the cache account so far.
    pub upload: &'a Upload,
    /// The thresholds of the rules.
    pub thresholds: &'a Thresholds,
    /// The NSG and route exports.
    pub network: &'a Network,
    /// The capture was taken on an appliance the VMs' packets reach.
    pub at_appliance: bool,
}

/// The finding for one problem of an endpoint: `status` is a problem, and
/// `ex` the first flow with it.
pub(super) fn for_endpoint(
    e: &Endpoint,
    tag: &TagName,
    a: &Agg,
    status: Status,
    ex: &Example,
    around: &Around<'_>,
) -> Finding {
    let cause = &ex.cause;
    let counts: Vec<String> = a.counts().iter().map(|(k, v)| format!("{v} {k}")).collect();
    let mut ev = vec![
        render::cause(cause),
        format!(
            "{} flow{}: {}",
            a.flows,
            if a.flows == 1 { "" } else { "s" },
            counts.join(", ")
        ),
    ];
    let by_vm = render::sources_text(&a.sources(), a.sources_left_off);
    if !by_vm.is_empty() {
        ev.push(by_vm);
    }
    let k = match status {
        Status::Blocked => blocked(e, cause, tag, around.at_appliance),
        Status::ProxyAuth => Kind {
            severity: Severity::Critical,
            title: format!(
                "{} goes through an authenticating proxy, which Site Recovery does not support",
                e.pattern
            ),
            codes: vec!["151072"],
            fix: vec![
                Fix::ProxyWithoutAuthentication {
                    pattern: e.pattern.to_string(),
                },
                Fix::ProxyConfiguration,
            ],
        },
        Status::Intercepted => Kind {
            severity: Severity::Critical,
            title: format!("TLS to {} is intercepted", e.pattern),
            codes: vec!["151066"],
            fix: vec![Fix::StopTlsInspection {
                pattern: e.pattern.to_string(),
                issuer: None,
            }],
        },
        Status::OutsideAzure => Kind {
            severity: Severity::Critical,
            title: format!("traffic to {} leaves the Azure boundary", e.pattern),
            codes: e.error_codes.to_vec(),
            fix: vec![
                Fix::StorageServiceEndpoint {
                    why: ServiceEndpointWhy::OutsideAzure,
                },
                Fix::CheckDnsAnswers,
            ],
        },
        _ => throttled(e, around.upload, around.thresholds, &mut ev),
    };
    let mut k = k;
    network_evidence(e, tag, status, ex, around.network, &mut ev, &mut k.fix);
    finding(
        FindingKind::Endpoint {
            endpoint: e.id,
            status,
        },
        true,
        Some(e.id),
        k,
        ev,
    )
}

/// What the NSG and route exports (`--nsg`, `--routes`) add to a finding:
/// every NSG on the path and the rule that decided in each, the rule that
/// denies (and the allow rule that beats it), or that no NSG is the cause
/// and where the route goes; forced tunnelling proven by a default route to
/// a gateway.
fn network_evidence(
    e: &Endpoint,
    tag: &TagName,
    status: Status,
    ex: &Example,
    network: &Network,
    ev: &mut Vec<String>,
    fix: &mut Vec<Fix>,
) {
    let cause = &ex.cause;
    let (nsg, route) = (&ex.nsg, &ex.route);
    let refused = matches!(
        cause,
        Cause::NoSynAnswer { .. }
            | Cause::SynReset { .. }
            | Cause::IcmpError { .. }
            | Cause::ResetAfterFirstData { .. }
            | Cause::ServerSilent { .. }
    );
    let generic = nsg_fix(tag);
    if let (Status::Blocked, true, Some(n)) = (status, refused, nsg) {
        match n.allowed() {
            Some(false) => {
                ev.insert(
                    0,
                    format!("denied, as the NSG export shows: {}", steps_text(n)),
                );
                // The export names the NSG and the priority to beat: that
                // replaces the generic rule with its placeholders.
                if let Some(f) = beat_deny(n, &network.nsgs, tag) {
                    fix.retain(|f| *f != generic);
                    fix.insert(0, f);
                }
            }
            Some(true) => {
                let hop = route.as_ref().map(hop_text).unwrap_or_default();
                ev.insert(
                    0,
                    format!(
                        "every NSG allows it ({}): the NSG is not the cause{hop}",
                        steps_text(n)
                    ),
                );
                // The export proves the NSG allows it: advice to add an
                // NSG rule would send the admin the wrong way.
                fix.retain(|f| *f != generic);
                let (to, more) = past_the_nsg(e, tag, route.as_ref());
                fix.insert(0, Fix::LookPastTheNsg { to });
                for (i, m) in more.into_iter().enumerate() {
                    fix.insert(1 + i, m);
                }
            }
            None => {
                ev.push(format!(
                    "the NSG export cannot tell ({}): {}",
                    steps_text(n),
                    render::network::nsg_notes(n).join("; ")
                ));
                fix.push(cannot_tell_fix(n));
            }
        }
    }
    if let Some(n) = nsg
        && let Some(m) = &n.network_manager
        && status.is_problem()
    {
        ev.push(format!(
            "security admin rules of the Virtual Network Manager {m} apply before these NSGs and are not in the export"
        ));
        fix.push(Fix::NetworkManagerRules { manager: m.clone() });
    }
    if let Some(r) = route {
        let default_to_gateway = r
            .route
            .as_ref()
            .is_some_and(|t| t.next_hop == NextHop::VirtualNetworkGateway && t.prefix.is_default());
        let (prefix, source) = (
            render::network::route_prefix(r),
            render::network::route_source(r),
        );
        match status {
            Status::OutsideAzure if default_to_gateway => ev.push(format!(
                "forced tunnelling proven by the route export: {prefix} goes to the virtual network gateway ({source})"
            )),
            Status::Blocked if r.drops() => {
                ev.push(format!(
                    "the route export drops this traffic: {prefix} has next hop None ({source})"
                ));
                let correct = correct_route(r, tag);
                if !fix.contains(&correct) {
                    fix.insert(0, correct);
                }
            }
            Status::Throttled if r.to_appliance() => ev.push(format!(
                "the route export sends {} traffic to the virtual appliance{}: the appliance may throttle it",
                e.pattern,
                r.next_hop_address()
                    .map(|a| format!(" {a}"))
                    .unwrap_or_default()
            )),
            _ => {}
        }
        if status.is_problem() {
            ev.extend(
                render::network::route_notes(r)
                    .into_iter()
                    .map(|n| format!("route: {n}")),
            );
        }
    }
}

/// ", the route 0.0.0.0/0 goes to VirtualAppliance 10.0.0.4".
fn hop_text(r: &RouteVerdict) -> String {
    format!(
        "; the route {} goes to {}",
        render::network::route_prefix(r),
        render::network::next_hop(r)
    )
}

/// The capture shows an endpoint working although the NSG exports deny it:
/// the exports are from another NIC, or older than the capture.
pub(super) fn stale_nsg(e: &Endpoint, n: &NsgVerdict) -> Finding {
    let export = n
        .steps
        .iter()
        .find(|s| s.outcome == NsgOutcome::Deny)
        .map_or(crate::model::NsgExport::Effective, |s| s.export);
    let mut evidence = vec![format!("denied: {}", steps_text(n))];
    let mut fixes = vec![Fix::ExportAgain { export }];
    if let Some(m) = &n.network_manager {
        evidence.push(format!(
            "an Always Allow security admin rule of the Virtual Network Manager {m} would let it through whatever the NSGs say"
        ));
        fixes.push(Fix::NetworkManagerRules { manager: m.clone() });
    }
    finding(
        FindingKind::NsgExportContradicted { endpoint: e.id },
        false,
        Some(e.id),
        Kind {
            severity: Severity::Info,
            title: format!(
                "the NSG export denies {} but the capture shows it working",
                e.pattern
            ),
            codes: vec![],
            fix: fixes,
        },
        evidence,
    )
}

/// A connection that worked through a proxy that asks for credentials: the
/// client sent them; the Mobility service cannot (Site Recovery does not
/// support authenticating proxies).
pub(super) fn authenticating_proxy(e: &Endpoint, p: &AuthenticatedProxy) -> Finding {
    let scheme = p
        .scheme
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    let how = match p.first_status {
        Some(first) => format!(
            "proxy {} answered {first}{scheme} to CONNECT, then 200 on the same connection once the client sent credentials",
            p.proxy
        ),
        None => format!(
            "proxy {} answered 200 to a CONNECT that carried credentials (Proxy-Authorization){scheme}",
            p.proxy
        ),
    };
    finding(
        FindingKind::AuthenticatingProxy { endpoint: e.id },
        true,
        Some(e.id),
        Kind {
            severity: Severity::Warning,
            title: format!(
                "{} goes through a proxy that asks for credentials, which Site Recovery does not support",
                e.pattern
            ),
            codes: vec!["151072"],
            fix: vec![
                Fix::ProxyWithoutAuthentication {
                    pattern: e.pattern.to_string(),
                },
                Fix::ProxyConfiguration,
            ],
        },
        vec![
            how,
            "this connection worked because its client authenticated; the Mobility service cannot, and its connections will be refused (407)".into(),
        ],
    )
}

/// A Site Recovery name that does not resolve.
pub(super) fn dns(e: &Endpoint, d: &NameLog, cause: &Cause) -> Finding {
    let servers: Vec<String> = d
        .servers
        .iter()
        .map(|s| match crate::azure::platform::platform(s) {
            Some(_) => format!("{s}, Azure-provided DNS"),
            None => s.to_string(),
        })
        .collect();
    // The troubleshooting pages file a DNS failure under 151195 and under
    // the outbound-connectivity codes 151037 and 151072.
    finding(
        FindingKind::NameDoesNotResolve {
            endpoint: e.id,
            name: d.name.clone(),
        },
        true,
        Some(e.id),
        Kind {
            severity: Severity::Critical,
            title: format!("{} does not resolve", d.name),
            codes: vec!["151195", "151037", "151072"],
            fix: vec![Fix::DnsReachable, Fix::PrivateDnsRecords],
        },
        vec![format!(
            "{} (DNS server {})",
            render::cause(cause),
            servers.join(", ")
        )],
    )
}

/// A name of an endpoint with a private endpoint (its CNAME chain goes
/// through a Site Recovery private DNS zone) that resolves to a public
/// address: the zone is not linked to the VM's virtual network, or a custom
/// DNS server does not forward to Azure DNS. Replication may work today and
/// fail the day the account's or vault's public access is turned off.
pub(super) fn resolves_publicly(e: &Endpoint, d: &NameLog) -> Option<Finding> {
    let (link, zone) = d
        .cname_chain
        .iter()
        .find_map(|c| crate::azure::privatelink::zone_of(c).map(|z| (c, z)))?;
    let public: Vec<String> = d
        .addresses
        .iter()
        .filter(|a| !super::verdict::is_private(a))
        .map(|a| a.to_string())
        .collect();
    if public.is_empty() {
        return None;
    }
    let chain = std::iter::once(d.name.as_str())
        .chain(d.cname_chain.iter().map(String::as_str))
        .collect::<Vec<_>>()
        .join(" -> ");
    Some(finding(
        FindingKind::ResolvesPublicly {
            endpoint: e.id,
            zone: zone.zone.to_string(),
        },
        true,
        Some(e.id),
        Kind {
            severity: Severity::Warning,
            title: format!(
                "{} has a private endpoint but resolves to a public address",
                d.name
            ),
            codes: e.error_codes.to_vec(),
            fix: vec![Fix::LinkPrivateDnsZone {
                zone: zone.zone.to_string(),
                forwarder: zone.forwarder.to_string(),
            }],
        },
        vec![
            format!("DNS: {chain} -> {}", public.join(", ")),
            format!(
                "{link} is a record of the private DNS zone {}, which this VM's DNS does not answer from: the zone is not linked to the VM's virtual network, or a custom DNS server does not forward {} to Azure DNS (168.63.129.16)",
                zone.zone, zone.forwarder
            ),
            "replication goes over the public endpoint today, and fails the day its public network access is turned off".into(),
        ],
    ))
}

/// Cache storage traffic that goes to another region than the source.
pub(super) fn cache_region(
    source: &RegionChoice,
    bytes_by_region: &BTreeMap<String, u64>,
    tags: &TagDb,
) -> Vec<Finding> {
    let s = &source.region;
    bytes_by_region
        .iter()
        .filter(|(region, _)| **region != s.id)
        .map(|(region, bytes)| {
            let other = tags
                .regions()
                .into_iter()
                .find(|(id, _)| id == region)
                .map(|(_, sfx)| sfx)
                .unwrap_or(region.clone());
            finding(
                FindingKind::CacheRegion {
                    region: region.clone(),
                },
                true,
                Some(EndpointId::CacheStorage),
                Kind {
                    severity: Severity::Warning,
                    title: format!(
                        "cache storage traffic goes to region {other}, not the source region {}",
                        s.tag_suffix
                    ),
                    codes: vec!["151037"],
                    fix: vec![Fix::CacheInSourceRegion {
                        source: s.tag_suffix.clone(),
                        other: other.clone(),
                    }],
                },
                vec![format!(
                    "{bytes} bytes uploaded to addresses of Storage.{other}"
                )],
            )
        })
        .collect()
}

/// A tunnel as the NVA finding names it.
fn tunnel_text(t: &Tunnel) -> String {
    let kind = match t.kind {
        TunnelKind::Vxlan => "VXLAN",
        TunnelKind::Geneve => "GENEVE",
        _ => "tunnel",
    };
    let mut s = kind.to_string();
    if let (Some(a), Some(b)) = (t.outer_src, t.outer_dst) {
        s.push_str(&format!(" {a} -> {b}"));
    }
    if let Some(p) = t.port {
        s.push_str(&format!(" UDP {p}"));
    }
    if let Some(v) = t.vni {
        s.push_str(&format!(" VNI {v}"));
    }
    if matches!(t.port, Some(10800 | 10801)) {
        s.push_str(" (Gateway Load Balancer)");
    }
    s
}

/// Replication traffic seen on a network virtual appliance: given by
/// `--capture-point nva`, or shown by Site Recovery flows inside the VXLAN or
/// GENEVE tunnels that bring traffic to an NVA (a Gateway Load Balancer's
/// chain).
pub(super) fn nva(
    asr_flows: u64,
    tunnelled: u64,
    tunnels: &[Tunnel],
    translated: &BTreeMap<std::net::IpAddr, u64>,
    vms: usize,
) -> Finding {
    let mut evidence = vec![format!("{asr_flows} Site Recovery flows seen on the NVA")];
    if vms > 1 {
        evidence.push(format!(
            "they come from {vms} VMs (source addresses of one family): a capture taken where several VMs' traffic passes, not on one VM"
        ));
    }
    if !translated.is_empty() {
        let to: Vec<String> = translated
            .iter()
            .map(|(a, n)| format!("{a} ({n} flows)"))
            .collect();
        evidence.push(format!(
            "the appliance translates addresses (source NAT): Site Recovery connections leave from {}, both legs recorded; that is the address the services, and a storage account's firewall, see, not the VM's or its subnet's",
            to.join(", ")
        ));
    }
    if tunnelled > 0 {
        let listed: Vec<String> = tunnels
            .iter()
            .filter(|t| matches!(t.kind, TunnelKind::Vxlan | TunnelKind::Geneve))
            .map(tunnel_text)
            .collect();
        evidence.push(format!(
            "{tunnelled} of them inside the tunnels that bring traffic to an NVA: {}",
            listed.join("; ")
        ));
    }
    finding(
        FindingKind::ThroughAppliance,
        true,
        Some(EndpointId::CacheStorage),
        Kind {
            severity: Severity::Warning,
            title: "replication traffic passes through the network virtual appliance".into(),
            codes: vec!["153007"],
            fix: vec![
                Fix::StorageServiceEndpoint {
                    why: ServiceEndpointWhy::Appliance,
                },
                Fix::StorageFirewall { may_refuse: false },
            ],
        },
        evidence,
    )
}

/// A Site Recovery endpoint reached through a private endpoint, with what
/// "Replicate Azure VMs with private endpoints" requires around it.
pub(super) fn private_endpoint(id: EndpointId, cause: &Cause, by: Option<&ByAddress>) -> Finding {
    finding(
        FindingKind::PrivateEndpoint { endpoint: id },
        false,
        Some(id),
        Kind {
            severity: Severity::Info,
            title: "reached through a private endpoint: allowed".into(),
            codes: vec![],
            fix: vec![
                Fix::PrivateEndpointNeeds { endpoint: id },
                Fix::EntraIdStaysPublic,
            ],
        },
        vec![render::reason::with_address(cause, by)],
    )
}

/// The service-tag data is much older than the capture.
pub(super) fn stale_tags(
    age_days: i64,
    published: &str,
    change_number: u64,
    cloud: crate::model::Cloud,
) -> Finding {
    finding(
        FindingKind::StaleTags,
        false,
        None,
        Kind {
            severity: Severity::Warning,
            title: format!("the service-tag data is {age_days} days older than the capture"),
            codes: vec![],
            fix: vec![super::advice::tags_file_fix(cloud)],
        },
        vec![format!(
            "service tags published {published} (changeNumber {change_number}); tags change weekly"
        )],
    )
}
