//! Findings: what is wrong, the Site Recovery error codes a user will have
//! seen, the evidence, and the concrete fix, all as values. The kind of
//! finding is chosen by matching on the typed [`Cause`]; `render` says it.

use super::advice::{
    beat_deny, cannot_tell_fix, correct_route, firewall_fixes, nsg_fix, past_the_nsg, url_fix,
    with_storage_firewall,
};
use super::tally::{Agg, AuthenticatedProxy, Example, MultiVm, OldTls};
use crate::azure::Network;
use crate::azure::churn::{self, DiskLimit};
use crate::azure::endpoints::Endpoint;
use crate::azure::tags::TagDb;
use crate::model::{
    ByAddress, Cause, Cloud, DnsDecision, DnsServer, DnsVerdict, EndpointId, Evidence, Finding,
    FindingKind, Fix, NameLog, NextHop, NsgExport, NsgOutcome, NsgVerdict, PublicResolution,
    RegionChoice, RequiredTag, ServiceEndpointWhy, Severity, Status, Thresholds, Title, Tunnel,
    TunnelKind, Upload, VmOs,
};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What a finding says beyond its evidence.
pub(super) struct Kind {
    pub(super) severity: Severity,
    pub(super) title: Title,
    pub(super) codes: Vec<&'static str>,
    pub(super) fix: Vec<Fix>,
}

/// A finding; each fix once, the first place it comes kept.
pub(super) fn finding(about: FindingKind, k: Kind, evidence: Vec<Evidence>) -> Finding {
    let mut fixes: Vec<Fix> = Vec::with_capacity(k.fix.len());
    for f in k.fix {
        if !fixes.contains(&f) {
            fixes.push(f);
        }
    }
    Finding {
        about,
        severity: k.severity,
        title: k.title,
        error_codes: k.codes,
        evidence,
        fixes,
    }
}

/// A blocked endpoint: what blocked it decides the title, codes and fix.
/// On an appliance's capture that shows the VM's packets reaching it, the
/// drop is at the appliance or past it: that is where the fix points, not
/// at the VM's NSG.
fn blocked(e: &Endpoint, cause: &Cause, tag: &RequiredTag, at_appliance: bool) -> Kind {
    let nsg_fix = |tag: &RequiredTag| {
        if at_appliance {
            Fix::AtTheAppliance {
                pattern: e.pattern.to_string(),
                tag: tag.clone(),
            }
        } else {
            nsg_fix(tag)
        }
    };
    let critical = |title: Title, codes: Vec<&'static str>, fix: Vec<Fix>| Kind {
        severity: Severity::Critical,
        title,
        codes,
        fix,
    };
    let pattern = e.pattern;
    // A name filter: the URL to allow on it, and for the cache account a
    // Storage service endpoint so that replication does not cross it. No
    // NSG rule: the handshake completed, so no NSG dropped the SYN.
    let filter_fix = || {
        let mut fix = vec![url_fix(e)];
        if e.id == EndpointId::CacheStorage {
            fix.push(Fix::StorageServiceEndpoint {
                why: ServiceEndpointWhy::NameFilter,
                subnet: None,
            });
        }
        fix
    };
    match cause {
        Cause::ClosedAfterHello { .. } => critical(
            Title::ClosedAfterHello { pattern },
            e.error_codes.to_vec(),
            filter_fix(),
        ),
        Cause::DenyPage { page, .. } => critical(
            Title::DenyPage {
                pattern,
                page: page.clone(),
            },
            e.error_codes.to_vec(),
            filter_fix(),
        ),
        Cause::ResetAfterFirstData { .. } => critical(
            Title::ResetByFilter { pattern },
            e.error_codes.to_vec(),
            with_storage_firewall(e, vec![url_fix(e), nsg_fix(tag)]),
        ),
        Cause::ProxyRefused { .. } => critical(
            Title::RefusedByProxy { pattern },
            vec!["151072"],
            vec![Fix::ProxyAllow {
                pattern: pattern.to_string(),
            }],
        ),
        Cause::TlsAlert { .. }
        | Cause::CertificateRejected { .. }
        | Cause::NoTls12Offered { .. } => tls_failure(e, cause),
        Cause::ServerSilent { .. } => critical(
            Title::HelloUnanswered { pattern },
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
            critical(Title::Blocked { pattern }, e.error_codes.to_vec(), fix)
        }
    }
}

/// A TLS handshake that failed: an alert, a certificate the VM rejected, or
/// a VM that offers no TLS version from 1.2 up.
fn tls_failure(e: &Endpoint, cause: &Cause) -> Kind {
    let pattern = e.pattern;
    let critical = |title: Title, codes: Vec<&'static str>, fix: Vec<Fix>| Kind {
        severity: Severity::Critical,
        title,
        codes,
        fix,
    };
    match cause {
        // "Transport Layer Security in Azure Site Recovery": Site Recovery's
        // components fail with error 10054; the endpoint's own codes follow.
        Cause::NoTls12Offered { offered, .. } => critical(
            Title::NoTls12 {
                pattern,
                offered: *offered,
            },
            std::iter::once("10054")
                .chain(e.error_codes.iter().copied())
                .collect(),
            vec![
                Fix::EnableTls12 { os: VmOs::Windows },
                Fix::EnableTls12 { os: VmOs::Linux },
            ],
        ),
        Cause::CertificateRejected { issuer, .. } => {
            // Named only when it is not one of Azure's CAs (nor trusted by
            // flag): the device that re-signs the traffic.
            let resigned = issuer.as_ref().filter(|i| !i.trusted).map(|i| i.cn.clone());
            critical(
                Title::CertificateRejected { pattern },
                vec!["151066"],
                vec![
                    Fix::TrustedRoots {
                        and_the_path: false,
                    },
                    Fix::StopTlsInspection {
                        pattern: pattern.to_string(),
                        issuer: resigned,
                    },
                ],
            )
        }
        _ => critical(
            Title::TlsFails { pattern },
            vec!["151066"],
            vec![Fix::TrustedRoots { and_the_path: true }],
        ),
    }
}

/// The churn limits that bound replication, from the tables of
/// `azure::churn`.
pub(super) fn churn_limits() -> Evidence {
    let mbps = |table: &'static [DiskLimit]| table.iter().map(|r| r.mbps);
    Evidence::ChurnLimits {
        lowest_mbps: mbps(churn::STANDARD).fold(f64::MAX, f64::min),
        highest_mbps: mbps(churn::STANDARD).fold(0.0, f64::max),
        high_churn_mbps: mbps(churn::HIGH_CHURN).fold(0.0, f64::max),
        enhanced_churn_mbps: churn::PER_DISK_ENHANCED_CHURN_MBPS,
        enhanced_churn_regions: churn::ENHANCED_CHURN_REGIONS.len(),
    }
}

/// A throttled endpoint; for the cache account, the upload beside what
/// Site Recovery needs and the churn limits.
fn throttled(e: &Endpoint, upload: &Upload, th: &Thresholds) -> (Kind, Vec<Evidence>) {
    let evidence = if e.id == EndpointId::CacheStorage {
        vec![
            Evidence::CacheUpload {
                upload: upload.clone(),
                below: upload.mbps < th.cache_upload_mbps,
                needed_mbps: th.cache_upload_mbps,
                churn_limit_mbps: th.churn_limit_mbps,
                high_churn_limit_mbps: th.high_churn_limit_mbps,
            },
            churn_limits(),
        ]
    } else {
        Vec::new()
    };
    let kind = Kind {
        severity: Severity::Warning,
        title: Title::Throttled { pattern: e.pattern },
        codes: vec!["153007"],
        fix: vec![
            Fix::StorageServiceEndpoint {
                why: ServiceEndpointWhy::Throttled,
                subnet: None,
            },
            Fix::MeasureUpload,
        ],
    };
    (kind, evidence)
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
    tag: &RequiredTag,
    a: &Agg,
    status: Status,
    ex: &Example,
    around: &Around<'_>,
) -> Finding {
    let pattern = e.pattern;
    let mut evidence = vec![
        Evidence::Cause(ex.cause.clone()),
        Evidence::Flows {
            flows: a.flows,
            by_verdict: a.verdicts.clone(),
        },
    ];
    let sources = a.sources();
    if sources.len() as u64 + a.sources_left_off > 1 {
        evidence.push(Evidence::BySource {
            sources,
            left_off: a.sources_left_off,
        });
    }
    let critical = |title, codes, fix| Kind {
        severity: Severity::Critical,
        title,
        codes,
        fix,
    };
    let kind = match status {
        Status::Blocked => {
            if matches!(ex.cause, Cause::NoTls12Offered { .. }) {
                evidence.push(Evidence::Tls12Required);
            }
            evidence.extend(super::in_path::evidence(ex, &a.prints));
            blocked(e, &ex.cause, tag, around.at_appliance)
        }
        Status::ProxyAuth => critical(
            Title::AuthenticatingProxy { pattern },
            vec!["151072"],
            vec![
                Fix::ProxyWithoutAuthentication {
                    pattern: pattern.to_string(),
                },
                Fix::ProxyConfiguration,
            ],
        ),
        Status::Intercepted => {
            if let Cause::UntrustedIssuer {
                vendor: Some(vendor),
                ..
            } = &ex.cause
            {
                evidence.push(Evidence::UnsupportedAppliance { vendor: *vendor });
            }
            critical(
                Title::Intercepted { pattern },
                vec!["151066"],
                vec![Fix::StopTlsInspection {
                    pattern: pattern.to_string(),
                    issuer: None,
                }],
            )
        }
        Status::OutsideAzure => critical(
            Title::LeavesAzure { pattern },
            e.error_codes.to_vec(),
            vec![
                Fix::StorageServiceEndpoint {
                    why: ServiceEndpointWhy::OutsideAzure,
                    subnet: None,
                },
                Fix::CheckDnsAnswers,
            ],
        ),
        _ => {
            let (kind, upload) = throttled(e, around.upload, around.thresholds);
            evidence.extend(upload);
            kind
        }
    };
    let nsg = admin_then_nsg(e, tag, status, ex, around.network, kind.fix);
    let route = route_says(e, tag, status, ex, nsg.fix);
    let firewall = firewall_says(e, tag, status, ex, around.network, route.fix);
    let evidence = nsg
        .lead
        .into_iter()
        .chain(evidence)
        .chain(nsg.tail)
        .chain(route.tail)
        .chain(firewall.tail)
        .collect();
    let kind = Kind {
        fix: firewall.fix,
        ..kind
    };
    finding(
        FindingKind::Endpoint {
            endpoint: e.id,
            status,
        },
        kind,
        evidence,
    )
}

/// What an export adds to a finding: a line before the capture's evidence,
/// lines after it, and the fixes it leaves.
struct Says {
    lead: Option<Evidence>,
    tail: Vec<Evidence>,
    fix: Vec<Fix>,
}

/// What the security admin rules and the NSGs add to a finding, in the
/// order Azure applies them: an admin rule that denies leads, the NSG's
/// deny follows it, and the admin fix comes first.
fn admin_then_nsg(
    e: &Endpoint,
    tag: &RequiredTag,
    status: Status,
    ex: &Example,
    network: &Network,
    fix: Vec<Fix>,
) -> Says {
    let admin = admin_says(tag, status, ex, network);
    let mut nsg = nsg_says(e, tag, status, ex, network, fix);
    if let Some(a) = admin.lead {
        nsg.tail.splice(0..0, nsg.lead.take());
        nsg.lead = Some(a);
        nsg.fix.splice(0..0, admin.fix);
    }
    nsg
}

/// What the security admin rules' export adds to a finding of a connection
/// never answered or refused: the admin rule that denies it (Azure applies
/// it before any NSG), and the admin Allow rule to add before it.
fn admin_says(tag: &RequiredTag, status: Status, ex: &Example, network: &Network) -> Says {
    let mut says = Says {
        lead: None,
        tail: Vec::new(),
        fix: Vec::new(),
    };
    let refused = matches!(
        ex.cause,
        Cause::NoSynAnswer { .. } | Cause::SynReset { .. } | Cause::IcmpError { .. }
    );
    if let (Status::Blocked, true, Some(a)) = (status, refused, &ex.admin)
        && a.denies()
        && let Some(rule) = a.rule()
    {
        says.lead = Some(Evidence::AdminRuleDenies(a.clone()));
        says.fix
            .push(super::advice::admin_fix(rule, &network.admin, tag));
    }
    says
}

/// What the NSG exports (`--nsg`) add to a finding: every NSG on the path
/// and the rule that decided in each; for a refused connection, the rule
/// that denies (and the allow rule that beats it), or that no NSG is the
/// cause and where the route goes; and the Virtual Network Manager's admin
/// rules, which the export lacks.
fn nsg_says(
    e: &Endpoint,
    tag: &RequiredTag,
    status: Status,
    ex: &Example,
    network: &Network,
    mut fix: Vec<Fix>,
) -> Says {
    // A connection that a filter closed or answered after the handshake
    // completed: no NSG dropped it, so a deny in the export is not the
    // cause; that the NSGs allow it still sends the admin past them.
    let past_the_handshake = matches!(
        ex.cause,
        Cause::ClosedAfterHello { .. } | Cause::DenyPage { .. }
    );
    let refused = matches!(
        ex.cause,
        Cause::NoSynAnswer { .. }
            | Cause::SynReset { .. }
            | Cause::IcmpError { .. }
            | Cause::ResetAfterFirstData { .. }
            | Cause::ServerSilent { .. }
    ) || past_the_handshake
        && ex
            .nsg
            .as_ref()
            .is_some_and(|n| n.outcome() == NsgOutcome::Allow);
    let generic = nsg_fix(tag);
    let mut says = Says {
        lead: None,
        tail: Vec::new(),
        fix: Vec::new(),
    };
    if let (Status::Blocked, true, Some(n)) = (status, refused, &ex.nsg) {
        match n.outcome() {
            NsgOutcome::Deny => {
                says.lead = Some(Evidence::NsgDenies(n.clone()));
                // The export names the NSG and the priority to beat: that
                // replaces the generic rule with its placeholders.
                if let Some(f) = beat_deny(n, &network.nsgs, tag) {
                    fix.retain(|f| *f != generic);
                    fix.insert(0, f);
                }
            }
            NsgOutcome::Allow => {
                says.lead = Some(Evidence::NsgAllows {
                    nsg: n.clone(),
                    route: ex.route.clone(),
                });
                // The export proves the NSG allows it: advice to add an
                // NSG rule would send the admin the wrong way.
                fix.retain(|f| *f != generic);
                let (to, more) = past_the_nsg(e, tag, ex.route.as_ref());
                fix.splice(
                    0..0,
                    std::iter::once(Fix::LookPastTheNsg { to }).chain(more),
                );
            }
            NsgOutcome::NoRuleMatched | NsgOutcome::CannotTell => {
                says.tail.push(Evidence::NsgCannotTell(n.clone()));
                fix.push(cannot_tell_fix(n));
            }
        }
    }
    if let Some(n) = &ex.nsg
        && let Some(m) = &n.network_manager
        && status.is_problem()
        && network.admin.is_empty()
    {
        says.tail
            .push(Evidence::AdminRulesFirst { manager: m.clone() });
        fix.push(Fix::NetworkManagerRules {
            manager: m.clone(),
            vnet: None,
        });
    }
    says.fix = fix;
    says
}

/// What the route export (`--routes`) adds to a finding: forced tunnelling
/// proven by a default route to a gateway, a route that drops the traffic
/// (and the route to correct), an appliance that may throttle it, and what
/// the route choice rests on.
fn route_says(
    e: &Endpoint,
    tag: &RequiredTag,
    status: Status,
    ex: &Example,
    mut fix: Vec<Fix>,
) -> Says {
    let mut tail = Vec::new();
    if let Some(r) = &ex.route {
        let default_to_gateway = r
            .route
            .as_ref()
            .is_some_and(|t| t.next_hop == NextHop::VirtualNetworkGateway && t.prefix.is_default());
        match status {
            Status::OutsideAzure if default_to_gateway => {
                tail.push(Evidence::ForcedTunnel(r.clone()));
            }
            Status::Blocked if r.drops() => {
                tail.push(Evidence::RouteDrops(r.clone()));
                let correct = correct_route(r, tag);
                if !fix.contains(&correct) {
                    fix.insert(0, correct);
                }
            }
            Status::Throttled if r.to_appliance() => tail.push(Evidence::ApplianceRoute {
                pattern: e.pattern,
                address: r.next_hop_address().map(str::to_string),
            }),
            _ => {}
        }
        if status.is_problem() {
            tail.extend(r.notes.iter().cloned().map(Evidence::Route));
        }
    }
    Says {
        lead: None,
        tail,
        fix,
    }
}

/// What the firewall exports (`--azure`) add to a finding: the firewall's
/// verdict and, for a blocked flow it denies, the rule to add where it is
/// processed before the deny (from the VM's address), in place of the
/// generic "allow the URLs on the appliance".
fn firewall_says(
    e: &Endpoint,
    tag: &RequiredTag,
    status: Status,
    ex: &Example,
    network: &Network,
    mut fix: Vec<Fix>,
) -> Says {
    let mut tail = Vec::new();
    if let Some(v) = &ex.firewall
        && status.is_problem()
    {
        tail.push(Evidence::Firewall(v.clone()));
        if status == Status::Blocked {
            firewall_fixes(v, &network.firewalls, e, tag, Some(ex.source), &mut fix);
            if fix.iter().any(|f| matches!(f, Fix::FirewallAllow { .. })) {
                // The rule to add says where: the generic URL advice goes,
                // the Storage service endpoint stays advised, as for any
                // appliance in the path.
                fix.retain(|f| !matches!(f, Fix::AllowUrl { .. }));
                let endpoint = Fix::StorageServiceEndpoint {
                    why: ServiceEndpointWhy::Appliance,
                    subnet: None,
                };
                if e.id == EndpointId::CacheStorage
                    && !fix
                        .iter()
                        .any(|f| matches!(f, Fix::StorageServiceEndpoint { .. }))
                {
                    fix.insert(1, endpoint);
                }
            }
        }
    }
    Says {
        lead: None,
        tail,
        fix,
    }
}

/// The cache account's own firewall refuses the VM's traffic, misses what
/// Site Recovery requires of it, or cannot be told: the export decides, the
/// capture cannot show it (the refusal is an HTTP 403 inside TLS).
pub(super) fn storage_firewall(v: &crate::model::StorageVerdict) -> Finding {
    let certain = v.harm() == 2;
    finding(
        FindingKind::StorageFirewall,
        Kind {
            severity: if certain {
                Severity::Critical
            } else {
                Severity::Warning
            },
            title: Title::StorageFirewallRefuses {
                account: v.account.clone(),
                certain,
            },
            codes: vec![],
            fix: super::advice::storage_fixes(v),
        },
        vec![
            Evidence::StorageFirewall(v.clone()),
            Evidence::StorageRefusalInsideTls,
        ],
    )
}

/// The service endpoint policies on the VM's subnet list no resource
/// holding the cache account: Storage traffic to it over the subnet's
/// service endpoint is denied, which the capture cannot show. The fix adds
/// a definition holding the account (by its id when a storage account
/// export gives it).
pub(super) fn endpoint_policy(
    v: &crate::model::EndpointPolicyVerdict,
    network: &crate::azure::Network,
) -> Finding {
    let export = v.account.as_deref().and_then(|n| {
        network
            .storage
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(n))
    });
    let account = crate::azure::endpoint_policy::Account {
        name: v.account.as_deref(),
        id: export.and_then(|a| a.id.as_ref()),
    };
    finding(
        FindingKind::EndpointPolicy,
        Kind {
            severity: Severity::Critical,
            title: Title::EndpointPolicyDenies {
                account: v.account.clone(),
            },
            codes: vec![],
            fix: crate::azure::endpoint_policy::fix(
                &network.placement,
                &network.endpoint_policies,
                &account,
            )
            .into_iter()
            .collect(),
        },
        vec![
            Evidence::EndpointPolicy(v.clone()),
            Evidence::EndpointPolicyDenialUnseen,
        ],
    )
}

/// The capture shows an endpoint working although the firewall exports
/// deny it: the exports are of another firewall, or older than the capture.
pub(super) fn stale_firewall(e: &Endpoint, v: &crate::model::FirewallVerdict) -> Finding {
    finding(
        FindingKind::FirewallExportContradicted { endpoint: e.id },
        Kind {
            severity: Severity::Info,
            title: Title::FirewallDeniesWhatWorks { pattern: e.pattern },
            codes: vec![],
            fix: vec![Fix::ExportFirewallAgain],
        },
        vec![Evidence::FirewallExportDenies(v.clone())],
    )
}

/// The capture shows an endpoint working although the NSG exports deny it:
/// the exports are from another NIC, or older than the capture.
pub(super) fn stale_nsg(e: &Endpoint, n: &NsgVerdict) -> Finding {
    let export = n
        .steps
        .iter()
        .find(|s| s.outcome == NsgOutcome::Deny)
        .map_or(NsgExport::Effective, |s| s.export);
    let mut evidence = vec![Evidence::ExportDenies(n.clone())];
    let mut fix = vec![Fix::ExportAgain { export, nic: None }];
    if let Some(m) = &n.network_manager {
        evidence.push(Evidence::AlwaysAllowAdminRule { manager: m.clone() });
        fix.push(Fix::NetworkManagerRules {
            manager: m.clone(),
            vnet: None,
        });
    }
    finding(
        FindingKind::NsgExportContradicted { endpoint: e.id },
        Kind {
            severity: Severity::Info,
            title: Title::ExportDeniesWhatWorks { pattern: e.pattern },
            codes: vec![],
            fix,
        },
        evidence,
    )
}

/// A connection that worked through a proxy that asks for credentials: the
/// client sent them; the Mobility service cannot (Site Recovery does not
/// support authenticating proxies).
pub(super) fn authenticating_proxy(e: &Endpoint, p: &AuthenticatedProxy) -> Finding {
    finding(
        FindingKind::AuthenticatingProxy { endpoint: e.id },
        Kind {
            severity: Severity::Warning,
            title: Title::ProxyAsksCredentials { pattern: e.pattern },
            codes: vec!["151072"],
            fix: vec![
                Fix::ProxyWithoutAuthentication {
                    pattern: e.pattern.to_string(),
                },
                Fix::ProxyConfiguration,
            ],
        },
        vec![
            Evidence::ProxyAuthenticated {
                proxy: p.proxy,
                scheme: p.scheme.clone(),
                first_status: p.first_status,
            },
            Evidence::MobilityCannotAuthenticate,
        ],
    )
}

/// Handshakes with the endpoint completed at a TLS version older than 1.2
/// ("Transport Layer Security in Azure Site Recovery"): Site Recovery and
/// Azure Storage refuse them inside TLS, where the capture cannot see it,
/// so the flows keep their verdict and the fix is the VM's TLS.
pub(super) fn old_tls(e: &Endpoint, o: &OldTls) -> Finding {
    finding(
        FindingKind::OldTlsNegotiated { endpoint: e.id },
        Kind {
            severity: Severity::Warning,
            title: Title::OldTlsNegotiated {
                pattern: e.pattern,
                version: o.version,
            },
            codes: vec![],
            fix: vec![
                Fix::EnableTls12 { os: VmOs::Windows },
                Fix::EnableTls12 { os: VmOs::Linux },
            ],
        },
        vec![
            Evidence::OldTlsNegotiated {
                version: o.version,
                flows: o.flows,
            },
            Evidence::OldTlsRefusedInside,
        ],
    )
}

/// A Site Recovery name that does not resolve.
pub(super) fn dns(e: &Endpoint, d: &NameLog, cause: &Cause) -> Finding {
    let servers = d
        .servers
        .iter()
        .map(|s| DnsServer {
            address: *s,
            azure: crate::azure::platform::platform(s).is_some(),
        })
        .collect();
    // The troubleshooting pages file a DNS failure under 151195 and under
    // the outbound-connectivity codes 151037 and 151072.
    finding(
        FindingKind::NameDoesNotResolve {
            endpoint: e.id,
            name: d.name.clone(),
        },
        Kind {
            severity: Severity::Critical,
            title: Title::DoesNotResolve {
                name: d.name.clone(),
            },
            codes: vec!["151195", "151037", "151072"],
            fix: vec![Fix::DnsReachable, Fix::PrivateDnsRecords],
        },
        vec![Evidence::DnsFailed {
            cause: cause.clone(),
            servers,
        }],
    )
}

/// A name of an endpoint with a private endpoint (its CNAME chain goes
/// through a Site Recovery private DNS zone) that resolves to a public
/// address: the zone is not linked to the VM's virtual network, or a custom
/// DNS server does not forward to Azure DNS. What that means depends on the
/// endpoint ("Replicate machines with private endpoints"): the cache
/// account is still used over its public endpoint ("protection would still
/// be successful"), while a vault with a private endpoint "isn't accessible
/// from networks other than those networks that have private endpoints", so
/// Site Recovery fails now.
///
/// With private DNS exports of the zone, the finding names the setting
/// responsible and its fixes are the exports' own (the link to add with
/// the VM's virtual network, the record to add, the forwarder of the custom
/// DNS server) instead of every possible one.
pub(super) fn resolves_publicly(e: &Endpoint, d: &NameLog, network: &Network) -> Option<Finding> {
    let (link, zone) = d
        .cname_chain
        .iter()
        .find_map(|c| crate::azure::privatelink::zone_of(c).map(|z| (c, z)))?;
    let public: Vec<_> = d
        .addresses
        .iter()
        .filter(|a| !super::verdict::is_private(a))
        .copied()
        .collect();
    if public.is_empty() {
        return None;
    }
    let chain = std::iter::once(&d.name)
        .chain(&d.cname_chain)
        .cloned()
        .collect();
    let forwarder = zone.forwarder_for(link);
    let link_zone = Fix::LinkPrivateDnsZone {
        zone: zone.zone.to_string(),
        forwarder: forwarder.clone(),
    };
    let dns = network.dns_verdict(zone.endpoint, zone.cloud, &[d.name.as_str(), link.as_str()]);
    let mut codes = e.error_codes.to_vec();
    let (role, severity, mut fix, meaning) = if zone.endpoint == EndpointId::SiteRecovery {
        let record = link
            .trim_end_matches('.')
            .len()
            .checked_sub(zone.zone.len() + 1)
            .map(|n| link[..n].to_string())
            .unwrap_or_default();
        let a_record = Fix::PrivateDnsARecord {
            zone: zone.zone.to_string(),
            record,
        };
        // Registration fails when the vault's names do not resolve to its
        // private endpoint (151195), beside the endpoint's own codes.
        codes.insert(0, "151195");
        (
            PublicResolution::VaultRefused,
            Severity::Critical,
            vec![link_zone, a_record],
            Evidence::VaultLockedDown,
        )
    } else {
        (
            PublicResolution::CacheOverPublicEndpoint,
            Severity::Warning,
            vec![link_zone],
            Evidence::PublicEndpointToday,
        )
    };
    let mut evidence = vec![
        Evidence::ResolvedTo { chain, public },
        Evidence::ZoneNotAnswered {
            link: link.clone(),
            zone: zone.zone,
            forwarder: forwarder.clone(),
        },
        meaning,
    ];
    if let Some(v) = dns {
        if let Some(f) = zone_fixes(&v, &forwarder) {
            fix = f;
        }
        evidence.insert(2, Evidence::PrivateDns { verdict: v });
    }
    Some(finding(
        FindingKind::ResolvesPublicly {
            endpoint: e.id,
            zone: zone.zone.to_string(),
            role,
        },
        Kind {
            severity,
            title: Title::ResolvesPublicly {
                name: d.name.clone(),
                role,
            },
            codes,
            fix,
        },
        evidence,
    ))
}

/// A name of the cache account or the vault that resolved through its
/// private DNS zone to a private address, while the private DNS exports say
/// the zone does not answer the VM (not linked, or without the record): the
/// exports are from elsewhere or older than the capture.
pub(super) fn stale_dns(e: &Endpoint, d: &NameLog, network: &Network) -> Option<Finding> {
    let (link, zone) = d
        .cname_chain
        .iter()
        .find_map(|c| crate::azure::privatelink::zone_of(c).map(|z| (c, z)))?;
    if d.addresses.is_empty() || !d.addresses.iter().all(super::verdict::is_private) {
        return None;
    }
    let v = network.dns_verdict(zone.endpoint, zone.cloud, &[d.name.as_str(), link.as_str()])?;
    if v.allowed() != Some(false) {
        return None;
    }
    let chain = std::iter::once(&d.name)
        .chain(&d.cname_chain)
        .cloned()
        .collect();
    Some(finding(
        FindingKind::DnsExportContradicted { endpoint: e.id },
        Kind {
            severity: Severity::Info,
            title: Title::DnsExportDeniesWhatWorks {
                name: d.name.clone(),
            },
            codes: vec![],
            fix: vec![Fix::ExportPrivateDnsAgain {
                zone: v.zone.clone(),
            }],
        },
        vec![
            Evidence::ResolvedTo {
                chain,
                public: d.addresses.clone(),
            },
            Evidence::PrivateDns { verdict: v },
        ],
    ))
}

/// The fixes the private DNS exports point at: link the zone to the VM's
/// virtual network, add the records it lacks, or forward from the custom
/// DNS server the VM asks; `None` when they name no setting.
fn zone_fixes(v: &DnsVerdict, forwarder: &str) -> Option<Vec<Fix>> {
    let forward = v.custom_servers().map(|s| Fix::ForwardToAzureDns {
        servers: s.to_vec(),
        zone: v.zone.clone(),
        forwarder: forwarder.to_string(),
    });
    let mut fixes = match &v.decision {
        DnsDecision::ZoneNotLinked => vec![Fix::LinkZoneToVnet {
            zone: v.zone.clone(),
            zone_group: v.zone_group.clone(),
            vnet: v.vnet.clone(),
        }],
        DnsDecision::RecordMissing { names } => {
            let mut names: Vec<Option<String>> = names.iter().cloned().map(Some).collect();
            if names.is_empty() {
                names.push(None);
            }
            names
                .into_iter()
                .map(|record| Fix::AddZoneRecord {
                    zone: v.zone.clone(),
                    zone_group: v.zone_group.clone(),
                    record,
                })
                .collect()
        }
        DnsDecision::Resolves if forward.is_some() => Vec::new(),
        DnsDecision::Resolves | DnsDecision::CannotTell { .. } => return None,
    };
    fixes.extend(forward);
    Some(fixes)
}

/// A public endpoint's flows as the private-subnet signature reads them.
pub(super) struct Outbound {
    /// The endpoint.
    pub id: EndpointId,
    /// Its URL pattern.
    pub pattern: &'static str,
    /// Its Site Recovery error codes.
    pub codes: &'static [&'static str],
    /// Its flows.
    pub flows: u64,
    /// Every flow went unanswered (no SYN/ACK, reset or ICMP).
    pub silent: bool,
    /// Some flow reached it through a private endpoint.
    pub private: bool,
}

impl Outbound {
    /// What `a`, the flows of `e`, show.
    pub(super) fn of(e: &Endpoint, a: &Agg) -> Outbound {
        Outbound {
            id: e.id,
            pattern: e.pattern,
            codes: e.error_codes,
            flows: a.flows,
            silent: a.all_silent(),
            private: a.private > 0,
        }
    }
}

/// The signature of a VM in a private subnet without an explicit outbound
/// method ("Default outbound access", 12/03/2025): the cache upload to
/// Storage in the source region worked ("Virtual machines are still able
/// to access Azure Storage accounts in the same region in a private subnet
/// without an explicit method of outbound"), while every other public
/// endpoint seen, at least two of them, got no answer at all: not a reset,
/// not an ICMP error, which a firewall or an NSG-like filter that speaks
/// would give. `region` is the source region's tag suffix, `bytes` what
/// was uploaded there; `outbound` the other endpoints. The capture cannot
/// tell the subnet's setting, so the finding says "possibly" and stands
/// beside each endpoint's own finding. With the subnet's export (`way`,
/// the way out of a silent endpoint's flow), the setting decides: a subnet
/// with a way out is no private subnet's signature, one without is cited,
/// with `named_fix` (the NAT gateway for that subnet).
pub(super) fn private_subnet(
    region: &str,
    bytes: u64,
    outbound: &[Outbound],
    way: Option<&crate::model::OutboundVerdict>,
    named_fix: Option<Fix>,
) -> Option<Finding> {
    if way.is_some_and(crate::model::OutboundVerdict::allowed) {
        return None;
    }
    let public: Vec<&Outbound> = outbound
        .iter()
        .filter(|o| o.flows > 0 && !o.private)
        .collect();
    if public.len() < 2 || !public.iter().all(|o| o.silent) {
        return None;
    }
    let mut codes: Vec<&'static str> = Vec::new();
    for c in public.iter().flat_map(|o| o.codes.iter()) {
        if !codes.contains(c) {
            codes.push(c);
        }
    }
    let mut fix = vec![named_fix.unwrap_or(Fix::ExplicitOutbound)];
    if let Some(aad) = public.iter().find(|o| o.id == EndpointId::AzureAd) {
        fix.push(Fix::EntraIdStaysPublic { login: aad.pattern });
    }
    Some(finding(
        FindingKind::PrivateSubnet,
        Kind {
            severity: Severity::Critical,
            title: match way {
                Some(v) => Title::SubnetNoOutbound {
                    subnet: v.subnet.clone(),
                },
                None => Title::PrivateSubnet,
            },
            codes,
            fix,
        },
        vec![
            Evidence::SameRegionStorageWorks {
                region: region.to_string(),
                bytes,
            },
            Evidence::SilentEndpoints {
                endpoints: public.iter().map(|o| (o.pattern, o.flows)).collect(),
            },
            match way {
                Some(v) => Evidence::NoOutbound { verdict: v.clone() },
                None => Evidence::PrivateSubnetDefault,
            },
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
                Kind {
                    severity: Severity::Warning,
                    title: Title::CacheInOtherRegion {
                        region: other.clone(),
                        source: s.tag_suffix.clone(),
                    },
                    codes: vec!["151037"],
                    fix: vec![Fix::CacheInSourceRegion {
                        source: s.tag_suffix.clone(),
                        other: other.clone(),
                    }],
                },
                vec![Evidence::CacheBytes {
                    bytes: *bytes,
                    region: other,
                }],
            )
        })
        .collect()
}

/// Replication traffic seen on a network virtual appliance: given by
/// `--capture-point nva`, or shown by Site Recovery flows inside the VXLAN or
/// GENEVE tunnels that bring traffic to an NVA (a Gateway Load Balancer's
/// chain), by both legs of translated connections, or by several VMs.
pub(super) fn nva(
    asr_flows: u64,
    tunnelled: u64,
    tunnels: &[Tunnel],
    translated: &BTreeMap<std::net::IpAddr, u64>,
    vms: usize,
) -> Finding {
    let mut evidence = vec![Evidence::ApplianceFlows { flows: asr_flows }];
    if vms > 1 {
        evidence.push(Evidence::SeveralVms { vms });
    }
    if !translated.is_empty() {
        evidence.push(Evidence::Translated {
            to: translated.iter().map(|(a, n)| (*a, *n)).collect(),
        });
    }
    if tunnelled > 0 {
        evidence.push(Evidence::Tunnelled {
            flows: tunnelled,
            tunnels: tunnels
                .iter()
                .filter(|t| matches!(t.kind, TunnelKind::Vxlan | TunnelKind::Geneve))
                .copied()
                .collect(),
        });
    }
    finding(
        FindingKind::ThroughAppliance,
        Kind {
            severity: Severity::Warning,
            title: Title::ThroughAppliance,
            codes: vec!["153007"],
            fix: vec![
                Fix::StorageServiceEndpoint {
                    why: ServiceEndpointWhy::Appliance,
                    subnet: None,
                },
                Fix::StorageFirewall { may_refuse: false },
            ],
        },
        evidence,
    )
}

/// A Site Recovery endpoint reached through a private endpoint, with what
/// "Replicate Azure VMs with private endpoints" requires around it, in
/// `cloud`.
pub(super) fn private_endpoint(
    id: EndpointId,
    cause: &Cause,
    by: Option<&ByAddress>,
    cloud: Cloud,
) -> Finding {
    let zone = crate::azure::privatelink::ZONES
        .iter()
        .find(|z| z.cloud == cloud && z.endpoint == id)
        .map(|z| z.zone);
    let login = crate::azure::endpoints::CATALOG
        .iter()
        .find(|e| e.id == EndpointId::AzureAd)
        .map_or("login.microsoftonline.com", |e| e.in_cloud(cloud).pattern);
    finding(
        FindingKind::PrivateEndpoint { endpoint: id },
        Kind {
            severity: Severity::Info,
            title: Title::PrivateEndpoint,
            codes: vec![],
            fix: vec![
                Fix::PrivateEndpointNeeds { endpoint: id, zone },
                Fix::EntraIdStaysPublic { login },
            ],
        },
        vec![Evidence::Reached {
            cause: cause.clone(),
            by_address: by.cloned(),
        }],
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
        Kind {
            severity: Severity::Warning,
            title: Title::StaleTags { age_days },
            codes: vec![],
            fix: vec![super::advice::tags_file_fix(cloud)],
        },
        vec![Evidence::TagsPublished {
            published: published.to_string(),
            change_number,
        }],
    )
}

/// VMs of a multi-VM consistency group whose port never answered: the
/// first such flow's cause, and which peers answered and which did not.
pub(super) fn multi_vm(m: &MultiVm) -> Option<Finding> {
    // A peer that answered another connection is reachable: an attempt
    // dropped before it is not a blocked port.
    let blocked: Vec<(&IpAddr, &Cause)> = m
        .blocked
        .iter()
        .filter(|(ip, _)| !m.answered.contains(*ip))
        .collect();
    let cause = blocked.first()?.1;
    let port = crate::azure::endpoints::MULTI_VM_PORT;
    Some(finding(
        FindingKind::MultiVmConsistency { port },
        Kind {
            severity: Severity::Critical,
            title: Title::MultiVmPortBlocked { port },
            codes: Vec::new(),
            fix: vec![Fix::MultiVmPort { port }],
        },
        vec![
            Evidence::Cause(cause.clone()),
            Evidence::MultiVmPeers {
                port,
                blocked: blocked.iter().map(|(ip, _)| **ip).collect(),
                answered: m.answered.iter().copied().collect(),
            },
        ],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fixes are kept once each, by value, so that the JSON's `fix[i]` says
    /// `fixes[i]`.
    #[test]
    fn a_fix_given_twice_is_kept_once_where_it_first_came() {
        let tag = RequiredTag::from(crate::model::TagName::new("Storage.EastUS"));
        let f = finding(
            FindingKind::ThroughAppliance,
            Kind {
                severity: Severity::Warning,
                title: Title::ThroughAppliance,
                codes: vec![],
                fix: vec![
                    Fix::MeasureUpload,
                    nsg_fix(&tag),
                    Fix::MeasureUpload,
                    nsg_fix(&tag),
                ],
            },
            vec![],
        );
        assert_eq!(f.fixes, vec![Fix::MeasureUpload, nsg_fix(&tag)]);
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["fix"].as_array().unwrap().len(), 2);
        assert_eq!(json["fixes"].as_array().unwrap().len(), 2);
    }
}
