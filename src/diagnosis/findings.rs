//! Findings: what is wrong, the Site Recovery error codes a user will have
//! seen, the evidence, and the concrete fix. The kind of finding is chosen by
//! matching on the typed [`Cause`], never on the reason sentence.

use super::checklist::Agg;
use super::reason;
use crate::azure::endpoints::Endpoint;
use crate::azure::tags::TagDb;
use crate::model::{
    Cause, EndpointId, Finding, NameLog, NsgVerdict, RegionChoice, RouteVerdict, Severity, Status,
    Thresholds, Tunnel, TunnelKind, Upload,
};
use std::collections::BTreeMap;

const SERVICE_ENDPOINT_AZ: &str = "az network vnet subnet update -g '<resource-group>' --vnet-name '<vnet>' -n '<subnet>' --service-endpoints Microsoft.Storage";

/// Today's advice for a storage account behind a firewall ("About networking
/// in Azure VM disaster recovery", "Support matrix").
const STORAGE_FIREWALL: &str = "with a firewall on the cache or target storage account, enable \"Allow trusted Microsoft services\" and allow access to at least one subnet of the source virtual network (with a user-assigned managed identity on the vault, allow access from all networks)";

/// The NSG rule that allows an endpoint's tag, as an `az` command.
pub(super) fn nsg_fix(tag: &str) -> String {
    format!(
        "allow outbound TCP 443 to service tag {tag} in the VM's NSG: az network nsg rule create -g '<resource-group>' --nsg-name '<nsg>' -n 'Allow-ASR-{}' --priority '<priority>' --direction Outbound --access Allow --protocol Tcp --destination-address-prefixes '{tag}' --destination-port-ranges 443",
        tag.replace(['.', '<', '>'], "")
    )
}

/// The URL a filtering firewall or proxy must allow.
fn url_fix(e: &Endpoint) -> String {
    let specific = if e.id == EndpointId::CacheStorage {
        " (or only the cache accounts, e.g. cache1.blob.core.windows.net)"
    } else {
        ""
    };
    format!(
        "on a URL-filtering firewall or proxy, allow {}{specific} (not IP addresses: IP-based filtering is not supported for Site Recovery)",
        e.pattern
    )
}

/// For the cache account, a refusal right at the hello can also be the
/// storage account's own firewall (its HTTP 403 is inside TLS, but the reset
/// or silence is not): one more cause to check.
fn with_storage_firewall(e: &Endpoint, mut fix: Vec<String>) -> Vec<String> {
    if e.id == EndpointId::CacheStorage {
        fix.push(format!(
            "if the cache storage account has a firewall, it may be the one refusing: {STORAGE_FIREWALL}"
        ));
    }
    fix
}

/// What a finding says beyond its evidence.
struct Kind {
    severity: Severity,
    title: String,
    codes: Vec<&'static str>,
    fix: Vec<String>,
}

/// A blocked endpoint: what blocked it decides the title, codes and fix.
fn blocked(e: &Endpoint, cause: &Cause, tag: &str) -> Kind {
    let critical = |title: String, codes: Vec<&'static str>, fix: Vec<String>| Kind {
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
            vec![format!(
                "allow {} on the proxy, or bypass the proxy for the Site Recovery URLs",
                e.pattern
            )],
        ),
        Cause::TlsAlert { .. } => critical(
            format!("TLS to {} fails", e.pattern),
            vec!["151066"],
            vec!["update the VM's trusted root certificates (Windows Update; on Linux the distribution's CA bundle) and check that no device in the path alters TLS".into()],
        ),
        Cause::CertificateRejected { issuer, .. } => {
            let resigned = issuer
                .as_deref()
                .filter(|i| !super::verdict::TRUSTED_ISSUERS.iter().any(|t| i.contains(t)))
                .map(|i| format!(" (the certificate was issued by '{i}', not by Azure's CAs)"))
                .unwrap_or_default();
            critical(
                format!("the VM rejects the certificate of {}", e.pattern),
                vec!["151066"],
                vec![
                    "update the VM's trusted root certificates (Windows Update; on Linux the distribution's CA bundle, e.g. update-ca-certificates)".into(),
                    format!("or stop the TLS inspection that re-signs the traffic to {}{resigned}", e.pattern),
                ],
            )
        }
        Cause::ServerSilent { .. } => critical(
            format!("{} is blocked: the TLS hello gets no answer", e.pattern),
            e.error_codes.to_vec(),
            with_storage_firewall(e, vec![url_fix(e), nsg_fix(tag)]),
        ),
        _ => critical(
            format!("{} is blocked", e.pattern),
            e.error_codes.to_vec(),
            vec![
                nsg_fix(tag),
                url_fix(e),
                "a Standard internal load balancer gives no outbound access by default: add a NAT gateway".into(),
            ],
        ),
    }
}

fn throttled(e: &Endpoint, upload: &Upload, th: &Thresholds, ev: &mut Vec<String>) -> Kind {
    if e.id == EndpointId::CacheStorage {
        let below = if upload.mbps < th.cache_upload_mbps {
            "below"
        } else {
            "above"
        };
        let flows = if upload.flows > 1 {
            format!(" ({} parallel flows together)", upload.flows)
        } else {
            String::new()
        };
        ev.push(format!(
            "upload to the cache account {:.2} MB/s over {:.1} s{flows}: {below} the {:.2} MB/s Site Recovery needs (4 MB in 3 s); churn limit {:.0} MB/s per VM ({:.0} MB/s with High Churn)",
            upload.mbps, upload.seconds, th.cache_upload_mbps, th.churn_limit_mbps, th.high_churn_limit_mbps
        ));
        ev.push(format!(
            "per-disk churn limits (support matrix), standard: {}",
            crate::azure::churn::one_line(crate::azure::churn::STANDARD)
        ));
        ev.push(format!(
            "per-disk churn limits with High Churn: {}",
            crate::azure::churn::one_line(crate::azure::churn::HIGH_CHURN)
        ));
    }
    Kind {
        severity: Severity::Warning,
        title: format!("{} is throttled", e.pattern),
        codes: vec!["153007"],
        fix: vec![
            "if a network virtual appliance is in the path, it may be throttling replication: create a virtual network service endpoint for Microsoft.Storage so that replication bypasses it".into(),
            "measure an upload to the cache account (AzCopy); if the disks' write rate is above the churn limits, exclude disks or enable High Churn".into(),
        ],
    }
}

/// The finding for an endpoint whose status is a problem; `cause` is the
/// cause of its worst flow.
#[allow(clippy::too_many_arguments)]
pub(super) fn for_endpoint(
    e: &Endpoint,
    status: Status,
    cause: &Cause,
    tag: &str,
    evidence: &str,
    a: &Agg,
    upload: &Upload,
    th: &Thresholds,
) -> Finding {
    let counts: Vec<String> = a.counts().iter().map(|(k, v)| format!("{v} {k}")).collect();
    let mut ev = vec![
        evidence.to_string(),
        format!(
            "{} flow{}: {}",
            a.flows,
            if a.flows == 1 { "" } else { "s" },
            counts.join(", ")
        ),
    ];
    let k = match status {
        Status::Blocked => blocked(e, cause, tag),
        Status::ProxyAuth => Kind {
            severity: Severity::Critical,
            title: format!("{} goes through an authenticating proxy, which Site Recovery does not support", e.pattern),
            codes: vec!["151072"],
            fix: vec![
                format!("let {} through the proxy without authentication, or bypass the proxy for the Site Recovery URLs", e.pattern),
                "the Mobility agent reads its proxy from ProxyInfo.conf (Linux /usr/local/InMage/config/ProxyInfo.conf, Windows C:\\ProgramData\\Microsoft Azure Site Recovery\\Config\\ProxyInfo.conf), else /etc/environment or Internet Explorer's settings".into(),
            ],
        },
        Status::Intercepted => Kind {
            severity: Severity::Critical,
            title: format!("TLS to {} is intercepted", e.pattern),
            codes: vec!["151066"],
            fix: vec![format!("exclude {} from TLS inspection on the firewall or proxy", e.pattern)],
        },
        Status::OutsideAzure => Kind {
            severity: Severity::Critical,
            title: format!("traffic to {} leaves the Azure boundary", e.pattern),
            codes: e.error_codes.to_vec(),
            fix: vec![
                "forced tunnelling (a 0.0.0.0/0 route to an on-premises appliance) is not recommended for Site Recovery: create a virtual network service endpoint for Microsoft.Storage so that replication traffic stays in Azure".into(),
                SERVICE_ENDPOINT_AZ.into(),
                "check that DNS answers with the service's Azure addresses".into(),
            ],
        },
        _ => throttled(e, upload, th, &mut ev),
    };
    let mut k = k;
    network_evidence(e, status, cause, tag, a, &mut ev, &mut k.fix);
    Finding {
        severity: k.severity,
        asr: true,
        title: k.title,
        endpoint: Some(e.id),
        error_codes: k.codes,
        evidence: ev,
        fix: k.fix,
    }
}

/// What the NSG and route exports (`--nsg`, `--routes`) add to a finding:
/// the rule that denies, or that no NSG is the cause and where the route
/// goes; forced tunnelling proven by a default route to a gateway.
fn network_evidence(
    e: &Endpoint,
    status: Status,
    cause: &Cause,
    tag: &str,
    a: &Agg,
    ev: &mut Vec<String>,
    fix: &mut Vec<String>,
) {
    let (nsg, route) = &a.config;
    let refused = matches!(
        cause,
        Cause::NoSynAnswer { .. }
            | Cause::SynReset { .. }
            | Cause::IcmpError { .. }
            | Cause::ResetAfterFirstData { .. }
            | Cause::ServerSilent { .. }
    );
    if let (Status::Blocked, true, Some(n)) = (status, refused, nsg) {
        let rule = super::configuration::rule_text(n);
        match n.allowed {
            Some(false) => {
                ev.insert(0, format!("denied by {rule}, as the NSG export shows"));
                // The export names the NSG and the priority to beat: that
                // replaces the generic rule with its placeholders.
                let generic = nsg_fix(tag);
                fix.retain(|f| *f != generic);
                let allow = super::configuration::allow_fix(n, tag);
                fix.insert(
                    0,
                    if allow.starts_with("az ") {
                        format!("{rule} denies it: add an allow rule with a lower priority number: {allow}")
                    } else {
                        allow
                    },
                );
            }
            Some(true) => {
                let hop = route.as_ref().map(hop_text).unwrap_or_default();
                ev.insert(
                    0,
                    format!("every NSG allows it ({rule}): the NSG is not the cause{hop}"),
                );
                let look = match route.as_ref().map(|r| r.next_hop.as_str()) {
                    Some("VirtualAppliance") => {
                        "check the network virtual appliance or firewall the route leads to"
                    }
                    Some("VirtualNetworkGateway") => {
                        "check the on-premises firewall behind the gateway (forced tunnelling)"
                    }
                    Some("None") => {
                        "the route drops the traffic: remove or fix the route with next hop None"
                    }
                    _ => "check a firewall or proxy in the path, DNS, and the service itself",
                };
                // The export proves the NSG allows it: advice to add an
                // NSG rule would send the admin the wrong way.
                let generic = nsg_fix(tag);
                fix.retain(|f| *f != generic);
                fix.insert(0, format!("the NSG allows it: {look}"));
            }
            None => ev.push(format!(
                "the NSG export cannot tell: {}",
                n.notes.join("; ")
            )),
        }
    }
    if let Some(r) = route {
        let default_to_gateway = r.next_hop == "VirtualNetworkGateway"
            && (r.prefix == "0.0.0.0/0" || r.prefix == "::/0");
        match status {
            Status::OutsideAzure if default_to_gateway => ev.push(format!(
                "forced tunnelling proven by the route export: {} goes to the virtual network gateway ({})",
                r.prefix, r.source
            )),
            Status::Blocked if r.next_hop == "None" => {
                ev.push(format!(
                    "the route export drops this traffic: {} has next hop None ({})",
                    r.prefix, r.source
                ));
                if !fix.iter().any(|f| f.contains("next hop None")) {
                    fix.insert(
                        0,
                        "remove or correct the route with next hop None, or add a more specific route for the service tag with next hop Internet".into(),
                    );
                }
            }
            Status::Throttled if r.next_hop == "VirtualAppliance" => ev.push(format!(
                "the route export sends {} traffic to the virtual appliance{}: the appliance may throttle it",
                e.pattern,
                r.next_hop_address
                    .as_deref()
                    .map(|a| format!(" {a}"))
                    .unwrap_or_default()
            )),
            _ => {}
        }
    }
}

/// ", next hop VirtualAppliance 10.0.0.4 (route 0.0.0.0/0)".
fn hop_text(r: &RouteVerdict) -> String {
    format!(
        "; the route {} goes to {}{}",
        r.prefix,
        r.next_hop,
        r.next_hop_address
            .as_deref()
            .map(|a| format!(" {a}"))
            .unwrap_or_default()
    )
}

/// The capture shows an endpoint working although the NSG exports deny it:
/// the exports are from another NIC, or older than the capture.
pub(super) fn stale_nsg(e: &Endpoint, n: &NsgVerdict) -> Finding {
    Finding {
        severity: Severity::Info,
        asr: false,
        title: format!(
            "the NSG export denies {} but the capture shows it working",
            e.pattern
        ),
        endpoint: Some(e.id),
        error_codes: vec![],
        evidence: vec![format!(
            "{} denies it",
            super::configuration::rule_text(n)
        )],
        fix: vec!["the export is from another NIC or older than the capture: export the effective rules of this VM's NIC again (az network nic list-effective-nsg)".into()],
    }
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
    Finding {
        severity: Severity::Critical,
        asr: true,
        title: format!("{} does not resolve", d.name),
        endpoint: Some(e.id),
        error_codes: vec!["151195"],
        evidence: vec![format!(
            "{} (DNS server {})",
            reason::render(cause),
            servers.join(", ")
        )],
        fix: vec![
            "make the VM's DNS servers resolve the Site Recovery URLs: a custom DNS server must be reachable from this region (during reprotection, from the DR region), or use Azure-provided DNS".into(),
            "with private endpoints, make sure the VM can resolve the private DNS zone records".into(),
        ],
    }
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
            Finding {
                severity: Severity::Warning,
                asr: true,
                title: format!(
                    "cache storage traffic goes to region {other}, not the source region {}",
                    s.tag_suffix
                ),
                endpoint: Some(EndpointId::CacheStorage),
                error_codes: vec!["151037"],
                evidence: vec![format!(
                    "{bytes} bytes uploaded to addresses of Storage.{other}"
                )],
                fix: vec![
                    format!(
                        "the cache storage account must be in the source region ({}); allow Storage.{} in the NSG",
                        s.tag_suffix, s.tag_suffix
                    ),
                    format!(
                        "if {other} is really the source region, run again with --source-region {other}"
                    ),
                ],
            }
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
pub(super) fn nva(asr_flows: u64, tunnelled: u64, tunnels: &[Tunnel]) -> Finding {
    let mut evidence = vec![format!("{asr_flows} Site Recovery flows seen on the NVA")];
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
    Finding {
        severity: Severity::Warning,
        asr: true,
        title: "replication traffic passes through the network virtual appliance".into(),
        endpoint: Some(EndpointId::CacheStorage),
        error_codes: vec!["153007"],
        evidence,
        fix: vec![
            "the appliance might get throttled if all the replication traffic passes through it: create a virtual network service endpoint for Microsoft.Storage on the VM's subnet so that replication traffic does not go to the NVA".into(),
            SERVICE_ENDPOINT_AZ.into(),
            STORAGE_FIREWALL.into(),
        ],
    }
}

/// A Site Recovery endpoint reached through a private endpoint, with what
/// "Replicate Azure VMs with private endpoints" requires around it.
pub(super) fn private_endpoint(id: EndpointId, reason: &str) -> Finding {
    let mut fix = match id {
        EndpointId::SiteRecovery => vec![
            "nothing to change in the capture; the vault's private endpoint uses the target sub-resource AzureSiteRecovery and the private DNS zone privatelink.siterecovery.windowsazure.com".to_string(),
            "the vault needs two private endpoints: one in the source network for protection, one in the recovery network for reprotection after failover; each subnet needs at least seven free IP addresses".into(),
        ],
        EndpointId::CacheStorage => vec![
            "nothing to change in the capture; a private endpoint for storage needs a General Purpose v2 account: one in the source virtual network for the cache account, and a second at reprotection".to_string(),
            "the vault's managed identity needs Contributor and Storage Blob Data Contributor on the cache account (Storage Blob Data Owner for a premium account)".into(),
        ],
        _ => vec!["nothing to change".to_string()],
    };
    fix.push("Microsoft Entra ID (login.microsoftonline.com, tag AzureActiveDirectory) has no private endpoint and must still be allowed outbound".into());
    Finding {
        severity: Severity::Info,
        asr: false,
        title: "reached through a private endpoint: allowed".into(),
        endpoint: Some(id),
        error_codes: vec![],
        evidence: vec![reason.to_string()],
        fix,
    }
}

/// The service-tag data is much older than the capture.
pub(super) fn stale_tags(age_days: i64, published: &str, change_number: u64) -> Finding {
    Finding {
        severity: Severity::Warning,
        asr: false,
        title: format!("the service-tag data is {age_days} days older than the capture"),
        endpoint: None,
        error_codes: vec![],
        evidence: vec![format!(
            "service tags published {published} (changeNumber {change_number}); tags change weekly"
        )],
        fix: vec!["download the current ServiceTags_Public_*.json (or `az network list-service-tags --location '<region>'`) and pass it with --service-tags FILE".into()],
    }
}
