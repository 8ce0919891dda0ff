//! How a finding reads: its title and each line of its evidence.

use super::network::{next_hop, nsg_notes, route_note, route_prefix, route_source, steps_text};
use super::{cause, reason, sources_text, synack_print, upload_time};
use crate::model::{
    ClosedBy, DenyPage, DnsServer, Evidence, Finding, ImdsFailure, ImdsVia, PublicResolution,
    ServerSeen, Title, Tunnel, TunnelKind,
};

/// A finding's title.
pub(crate) fn title(t: &Title) -> String {
    match t {
        Title::Blocked { pattern } => format!("{pattern} is blocked"),
        Title::ResetByFilter { pattern } => format!(
            "{pattern} is blocked: a filter resets the connection at the client's first data"
        ),
        Title::ClosedAfterHello { pattern } => format!(
            "{pattern} is blocked: a firewall or proxy that filters names closes the connection once the TLS hello names the server"
        ),
        Title::DenyPage { pattern, page } => format!(
            "{pattern} is blocked: {} denies the request",
            match page {
                DenyPage::AzureFirewall => "Azure Firewall",
                DenyPage::Squid { .. } => "a Squid proxy",
            }
        ),
        Title::RefusedByProxy { pattern } => format!("{pattern} is refused by the proxy"),
        Title::TlsFails { pattern } => format!("TLS to {pattern} fails"),
        Title::CertificateRejected { pattern } => {
            format!("the VM rejects the certificate of {pattern}")
        }
        Title::NoTls12 { pattern, offered } => format!(
            "the VM does not offer TLS 1.2 to {pattern} (at most {offered}), and older versions are refused"
        ),
        Title::OldTlsNegotiated { pattern, version } => format!(
            "the VM negotiated {version} with {pattern}, which Site Recovery and Azure Storage refuse (inside TLS, where the capture cannot see it)"
        ),
        Title::HelloUnanswered { pattern } => {
            format!("{pattern} is blocked: the TLS hello gets no answer")
        }
        Title::AuthenticatingProxy { pattern } => format!(
            "{pattern} goes through an authenticating proxy, which Site Recovery does not support"
        ),
        Title::Intercepted { pattern } => format!("TLS to {pattern} is intercepted"),
        Title::LeavesAzure { pattern } => {
            format!("traffic to {pattern} leaves the Azure boundary")
        }
        Title::Throttled { pattern } => format!("{pattern} is throttled"),
        Title::ExportDeniesWhatWorks { pattern } => {
            format!("the NSG export denies {pattern} but the capture shows it working")
        }
        Title::EndpointPolicyDenies { account } => format!(
            "the service endpoint policies on the VM's subnet deny {}, which the capture cannot show",
            account.as_deref().map_or_else(
                || "the cache storage account".to_string(),
                |a| format!("the cache storage account {a}")
            )
        ),
        Title::StorageFirewallRefuses { account, certain: true } => format!(
            "the cache storage account {account} refuses Site Recovery by its own firewall settings, which the capture cannot show"
        ),
        Title::StorageFirewallRefuses { account, certain: false } => format!(
            "whether the cache storage account {account} lets the VM's traffic in cannot be told from its export, and the capture cannot show it"
        ),
        Title::FirewallDeniesWhatWorks { pattern } => {
            format!("the firewall export denies {pattern} but the capture shows it working")
        }
        Title::DnsExportDeniesWhatWorks { name } => format!(
            "the private DNS exports say {name} cannot resolve to its private endpoint, but the capture shows it did"
        ),
        Title::ProxyAsksCredentials { pattern } => format!(
            "{pattern} goes through a proxy that asks for credentials, which Site Recovery does not support"
        ),
        Title::DoesNotResolve { name } => format!("{name} does not resolve"),
        Title::ResolvesPublicly { name, role } => match role {
            PublicResolution::CacheOverPublicEndpoint => {
                format!("{name} has a private endpoint but resolves to a public address")
            }
            PublicResolution::VaultRefused => format!(
                "{name}, a name of the vault's private endpoint, resolves to a public address: the vault refuses this network"
            ),
        },
        Title::PrivateSubnet => "possibly a private subnet without an explicit outbound method: Storage in the source region answers, every other public endpoint is silent".into(),
        Title::SubnetNoOutbound { subnet } => format!("the VM's subnet {subnet} is private (defaultOutboundAccess false) with no explicit outbound method: Storage in the source region answers, every other public endpoint is silent"),
        Title::CacheInOtherRegion { region, source } => {
            format!("cache storage traffic goes to region {region}, not the source region {source}")
        }
        Title::ThroughAppliance => {
            "replication traffic passes through the network virtual appliance".into()
        }
        Title::PrivateEndpoint => "reached through a private endpoint: allowed".into(),
        Title::StaleTags { age_days } => {
            format!("the service-tag data is {age_days} days older than the capture")
        }
        Title::MultiVmPortBlocked { port } => {
            format!("VMs of a multi-VM consistency group cannot reach each other on TCP {port}")
        }
        Title::ImdsThroughProxy => "the VM sends its Instance Metadata Service (169.254.169.254) requests to a proxy; the Mobility agent asks IMDS for the VM's security type".into(),
        Title::ImdsUnanswered => "the Instance Metadata Service (169.254.169.254, HTTP port 80) does not answer the VM; the Mobility agent asks it for the VM's security type".into(),
        Title::CaHostsBlocked => "the certificate authorities' hosts (issuer certificates, revocation lists, OCSP on HTTP port 80) are blocked".into(),
    }
}

/// A finding's title with its Site Recovery error codes, as the text report
/// prints it: "… [Site Recovery error 151037, 151072]".
pub(crate) fn title_with_codes(f: &Finding) -> String {
    let codes = if f.error_codes.is_empty() {
        String::new()
    } else {
        format!(" [Site Recovery error {}]", f.error_codes.join(", "))
    };
    format!("{}{codes}", title(&f.title))
}

/// A finding's evidence, line by line.
pub(crate) fn evidence_lines(f: &Finding) -> Vec<String> {
    f.evidence.iter().map(evidence).collect()
}

/// One line of a finding's evidence.
// A declared table, one arm per variant of Evidence: its length follows the
// evidence, and splitting it would scatter one vocabulary over several
// places.
#[allow(clippy::too_many_lines)]
pub(crate) fn evidence(e: &Evidence) -> String {
    match e {
        Evidence::Cause(c) => cause(c),
        Evidence::MultiVmPeers {
            port,
            blocked,
            answered,
        } => {
            let list = |v: &[std::net::IpAddr]| {
                v.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
            };
            let mut s = format!("TCP {port} never answered from {}", list(blocked));
            if !answered.is_empty() {
                s.push_str(&format!("; answered from {}", list(answered)));
            }
            s.push_str(": with multi-VM consistency, the VMs of a replication group talk to each other on this port (\"Azure to Azure disaster recovery architecture\")");
            s
        }
        Evidence::UnsupportedAppliance { vendor } => match vendor {
            crate::model::ApplianceVendor::PaloAlto => "the issuer names Palo Alto Networks (O=Palo Alto Networks): the support matrix lists \"Palo Alto Network Appliance\" as not supported, since the appliance does not let Site Recovery's agent, extensions and outbound connectivity be configured inside its VM; its own VM cannot be protected, and the Site Recovery URLs must be left out of its decryption".into(),
        },
        Evidence::Tls12Required => "Site Recovery is disabling TLS older than 1.2 and Azure Blob Storage no longer accepts TLS 1.0 and 1.1: replication fails, and Site Recovery's components report error 10054 (An existing connection was forcibly closed by the remote host) (\"Transport Layer Security in Azure Site Recovery\", 12/15/2023)".into(),
        Evidence::OldTlsNegotiated { version, flows } => format!(
            "the server chose {version} in the ServerHello of {}: the handshake completed below TLS 1.2",
            super::plural(*flows, "flow", "flows")
        ),
        Evidence::OldTlsRefusedInside => "Site Recovery is disabling TLS older than 1.2 (\"Transport Layer Security in Azure Site Recovery\", 12/15/2023) and Azure Blob Storage no longer accepts TLS 1.0 and 1.1; a storage account enforces its minimum TLS version at the application layer: the connection succeeds and the request fails with HTTP 400, the TLS version not permitted (\"Enforce a minimum required version of Transport Layer Security (TLS) for requests to a storage account\", 07/07/2021), inside the encrypted connection".into(),
        Evidence::SynAckNotTheServers {
            server,
            synack,
            seen,
        } => {
            let server_said = match seen {
                ServerSeen::LaterPackets { ttl } => {
                    format!("the server side's later packets of the connection came with TTL {ttl}")
                }
                ServerSeen::OtherConnections {
                    print,
                    flows,
                    differ,
                } => {
                    let mut what = Vec::new();
                    for (d, w) in [
                        (differ.ttl, "TTL"),
                        (differ.ip_id, "IP ID"),
                        (differ.window, "window"),
                        (differ.options, "options"),
                    ] {
                        if d {
                            what.push(w);
                        }
                    }
                    format!(
                        "{} to {server} whose server answered got another SYN/ACK ({}; it differs in {})",
                        super::plural(*flows, "other connection", "other connections"),
                        synack_print(print),
                        what.join(", ")
                    )
                }
            };
            format!(
                "the SYN/ACK did not come from the server {server}: it came with {}, and {server_said}; a transparent proxy or firewall in the path completed the handshake, so a completed handshake proves nothing about the path to the server",
                synack_print(synack)
            )
        }
        Evidence::CloseNotTheServers {
            how,
            ttl,
            server_ttl,
        } => format!(
            "the {} came with TTL {ttl}, the server's SYN/ACK and other packets with TTL {server_ttl}: a device in the path sent it in the server's name",
            match how {
                ClosedBy::Fin => "FIN",
                ClosedBy::Reset => "RST",
            }
        ),
        Evidence::Flows { flows, by_verdict } => {
            let mut counts: Vec<(&str, u64)> =
                by_verdict.iter().map(|(v, n)| (v.as_str(), *n)).collect();
            counts.sort_unstable();
            let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
            format!(
                "{flows} flow{}: {}",
                if *flows == 1 { "" } else { "s" },
                counts.join(", ")
            )
        }
        Evidence::BySource { sources, left_off } => sources_text(sources, *left_off),
        Evidence::CacheUpload {
            upload,
            below,
            needed_mbps,
            churn_limit_mbps,
            high_churn_limit_mbps,
        } => format!(
            "upload to the cache account {:.2} MB/s while data moved ({}): {} the {needed_mbps:.2} MB/s Site Recovery needs (4 MB in 3 s); churn limit {churn_limit_mbps:.0} MB/s per VM ({high_churn_limit_mbps:.0} MB/s with High Churn)",
            upload.mbps,
            upload_time(upload),
            if *below { "below" } else { "above" },
        ),
        // The limits that bound replication, not every row of the tables.
        Evidence::ChurnLimits {
            lowest_mbps: lo,
            highest_mbps: hi,
            high_churn_mbps: high,
            enhanced_churn_mbps: enhanced,
            enhanced_churn_regions: regions,
        } => format!(
            "per-disk churn limits: {lo:.0} to {hi:.0} MB/s by replica disk and I/O size ({high:.0} MB/s at most with High Churn, {enhanced:.0} MB/s with the Enhanced Churn preview in {regions} regions); `asrscope requirements` lists every row"
        ),
        Evidence::AdminRuleDenies(v) => format!(
            "denied, as the security admin rules' export shows: {}",
            super::admin::with_notes(v)
        ),
        Evidence::NsgDenies(n) => {
            format!("denied, as the NSG export shows: {}", steps_text(n))
        }
        Evidence::NsgAllows { nsg, route } => format!(
            "every NSG allows it ({}): the NSG is not the cause{}",
            steps_text(nsg),
            route
                .as_ref()
                .map(|r| format!("; the route {} goes to {}", route_prefix(r), next_hop(r)))
                .unwrap_or_default()
        ),
        Evidence::Firewall(v) => {
            format!("firewall: {}", super::firewall::with_notes(v))
        }
        Evidence::StorageFirewall(v) => {
            format!("storage firewall: {}", super::storage::with_notes(v))
        }
        Evidence::EndpointPolicy(v) => {
            format!("endpoint policy: {}", super::endpoint_policy::text(v))
        }
        Evidence::EndpointPolicyDenialUnseen => "what the client sees when a service endpoint policy denies (a refused connection, an HTTP 403 inside TLS) is not stated by Microsoft, and the policies keep no central log: the capture cannot show the denial, the policies' export decides".into(),
        Evidence::StorageRefusalInsideTls => "a storage account refuses a request its firewall or authentication does not let in with HTTP 403 (AuthorizationFailure) inside the encrypted connection: the capture shows a completed handshake and short exchanges, never the status; the account's export decides".into(),
        Evidence::FirewallExportDenies(v) => format!(
            "the firewall export denies it: {}",
            super::firewall::with_notes(v)
        ),
        Evidence::NsgCannotTell(n) => format!(
            "the NSG export cannot tell ({}): {}",
            steps_text(n),
            nsg_notes(n).join("; ")
        ),
        Evidence::AdminRulesFirst { manager } => admin_rules_first(manager),
        Evidence::ForcedTunnel(r) => format!(
            "forced tunnelling proven by the route export: {} goes to the virtual network gateway ({})",
            route_prefix(r),
            route_source(r)
        ),
        Evidence::RouteDrops(r) => format!(
            "the route export drops this traffic: {} has next hop None ({})",
            route_prefix(r),
            route_source(r)
        ),
        Evidence::ApplianceRoute { pattern, address } => format!(
            "the route export sends {pattern} traffic to the virtual appliance{}: the appliance may throttle it",
            address.as_deref().map(|a| format!(" {a}")).unwrap_or_default()
        ),
        Evidence::Route(n) => format!("route: {}", route_note(n)),
        Evidence::ExportDenies(n) => format!("denied: {}", steps_text(n)),
        Evidence::AlwaysAllowAdminRule { manager } => format!(
            "an Always Allow security admin rule of the Virtual Network Manager {manager} would let it through whatever the NSGs say"
        ),
        Evidence::ProxyAuthenticated {
            proxy,
            scheme,
            first_status,
        } => {
            let scheme = scheme
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            match first_status {
                Some(first) => format!(
                    "proxy {proxy} answered {first}{scheme} to CONNECT, then 200 on the same connection once the client sent credentials"
                ),
                None => format!(
                    "proxy {proxy} answered 200 to a CONNECT that carried credentials (Proxy-Authorization){scheme}"
                ),
            }
        }
        Evidence::MobilityCannotAuthenticate => "this connection worked because its client authenticated; the Mobility service cannot, and its connections will be refused (407)".into(),
        Evidence::DnsFailed { cause: c, servers } => {
            format!("{} (DNS server {})", cause(c), dns_servers(servers))
        }
        Evidence::ResolvedTo { chain, public } => format!(
            "DNS: {} -> {}",
            chain.join(" -> "),
            public
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Evidence::ZoneNotAnswered {
            link,
            zone,
            forwarder,
        } => format!(
            "{link} is a record of the private DNS zone {zone}, which this VM's DNS does not answer from: the zone is not linked to the VM's virtual network, or a custom DNS server does not forward {forwarder} to Azure DNS (168.63.129.16)"
        ),
        Evidence::PrivateDns { verdict } => super::private_dns::answer_explained(verdict),
        Evidence::PublicEndpointToday => "replication goes over the public endpoint today, and fails the day its public network access is turned off".into(),
        Evidence::VaultLockedDown => "a vault with a private endpoint is locked down and \"isn't accessible from networks other than those networks that have private endpoints\" (Replicate machines with private endpoints): Site Recovery fails from this VM until the name resolves to the private endpoint's address".into(),
        Evidence::SameRegionStorageWorks { region, bytes } => format!(
            "the cache upload to Storage.{region}, the source region, worked ({bytes} bytes): a VM in a private subnet still reaches Azure Storage in its own region without an explicit outbound method"
        ),
        Evidence::SilentEndpoints { endpoints } => format!(
            "{}: every SYN went unanswered, with no reset and no ICMP error, as traffic to public endpoints from a private subnet without an explicit outbound method does",
            endpoints
                .iter()
                .map(|(p, n)| format!("{p} ({n} flow{})", if *n == 1 { "" } else { "s" }))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Evidence::PrivateSubnetDefault => "virtual networks created after March 31, 2026 default to private subnets, \"meaning that an explicit outbound method must be enabled in order to reach public endpoints on the internet and within Microsoft\"; routes with next hop Internet break in a private subnet (Default outbound access, 12/03/2025). Whether this subnet is private (its defaultOutboundAccess is false) is not in the capture".into(),
        Evidence::NoOutbound { verdict } => format!(
            "the subnet's export decides it: {}",
            super::outbound::with_notes(verdict)
        ),
        Evidence::CacheBytes { bytes, region } => {
            format!("{bytes} bytes uploaded to addresses of Storage.{region}")
        }
        Evidence::ApplianceFlows { flows } => {
            format!("{flows} Site Recovery flows seen on the NVA")
        }
        Evidence::SeveralVms { vms } => format!(
            "they come from {vms} VMs (source addresses of one family): a capture taken where several VMs' traffic passes, not on one VM"
        ),
        Evidence::Translated { to } => format!(
            "the appliance translates addresses (source NAT): Site Recovery connections leave from {}, both legs recorded; that is the address the services, and a storage account's firewall, see, not the VM's or its subnet's",
            to.iter()
                .map(|(a, n)| format!("{a} ({n} flows)"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Evidence::Tunnelled { flows, tunnels } => format!(
            "{flows} of them inside the tunnels that bring traffic to an NVA: {}",
            tunnels.iter().map(tunnel).collect::<Vec<_>>().join("; ")
        ),
        Evidence::Reached { cause, by_address } => {
            reason::with_address(cause, by_address.as_ref())
        }
        Evidence::TagsPublished {
            published,
            change_number,
        } => format!(
            "service tags published {published} (changeNumber {change_number}); tags change weekly"
        ),
        Evidence::ImdsToProxy {
            proxy,
            via,
            target,
            status,
            flows,
        } => {
            let how = match (via, target) {
                (ImdsVia::Connect, _) => "CONNECT 169.254.169.254".to_string(),
                (ImdsVia::AbsoluteUri, Some(t)) => format!("GET {t}"),
                (ImdsVia::AbsoluteUri, None) => "a request naming 169.254.169.254".into(),
            };
            let answer = status.map_or_else(
                || "no answer seen".to_string(),
                |s| format!("the proxy answered {s}"),
            );
            format!(
                "{} to the proxy {proxy} carried requests for 169.254.169.254 instead of going to it directly; the first: {how} ({answer})",
                super::plural(*flows, "connection", "connections")
            )
        }
        Evidence::ImdsStaysOnHost => "\"Communications between VM and IMDS never leaves the host\" (tutorial \"Set up disaster recovery for Azure VMs\"), and IMDS \"is not intended to be used behind a proxy and doing so is unsupported\" (\"Azure Instance Metadata Service\"): it refuses a request a proxy marked with X-Forwarded-For, and a proxy gets answers about its own VM, if any, never about this one".into(),
        Evidence::ImdsNoAnswer { failure, flows } => {
            let n = super::plural(*flows, "connection", "connections");
            let first = if *flows > 1 { "the first: " } else { "" };
            match failure {
                ImdsFailure::Connection(c) => {
                    format!("{n} to 169.254.169.254:80 failed; {first}{}", cause(c))
                }
                ImdsFailure::NoResponse {
                    server,
                    retransmissions,
                } => format!(
                    "{n} to {server} sent a request and got no HTTP answer{}",
                    if *retransmissions > 0 {
                        format!(
                            " ({first}{} sent again)",
                            super::plural(*retransmissions, "segment", "segments")
                        )
                    } else {
                        String::new()
                    }
                ),
            }
        }
        Evidence::CaHostsBlocked { hosts, flows } => {
            let each: Vec<String> = hosts
                .iter()
                .map(|h| {
                    format!(
                        "{} ({}): {}",
                        h.name,
                        super::ca_service(h.service),
                        cause(&h.cause)
                    )
                })
                .collect();
            format!(
                "{} to the certificate authorities' hosts blocked: {}",
                super::plural(*flows, "request", "requests"),
                each.join("; ")
            )
        }
    }
}

/// "security admin rules of the Virtual Network Manager nm1 apply before
/// these NSGs and are not in the export".
pub(crate) fn admin_rules_first(manager: &str) -> String {
    format!(
        "security admin rules of the Virtual Network Manager {manager} apply before these NSGs and are not in the export"
    )
}

/// The DNS servers a name was asked of, Azure's named.
fn dns_servers(servers: &[DnsServer]) -> String {
    servers
        .iter()
        .map(|s| {
            if s.azure {
                format!("{}, Azure-provided DNS", s.address)
            } else {
                s.address.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A tunnel as the NVA finding names it: "VXLAN 10.0.0.5 -> 10.0.0.4 UDP
/// 10800 VNI 800 (Gateway Load Balancer)".
fn tunnel(t: &Tunnel) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cause, DnsFailure, Verdict};

    #[test]
    fn flows_are_counted_by_verdict_name() {
        let one = Evidence::Flows {
            flows: 1,
            by_verdict: [(Verdict::Blocked, 1)].into(),
        };
        assert_eq!(evidence(&one), "1 flow: 1 blocked");
        let two = Evidence::Flows {
            flows: 3,
            by_verdict: [(Verdict::Blocked, 1), (Verdict::Allowed, 2)].into(),
        };
        assert_eq!(evidence(&two), "3 flows: 2 allowed, 1 blocked");
    }

    #[test]
    fn azure_dns_is_named_beside_a_failure() {
        let e = Evidence::DnsFailed {
            cause: Cause::DnsFailed {
                name: "a.blob.core.windows.net".into(),
                failure: DnsFailure::Nxdomain,
                count: 1,
            },
            servers: vec![
                DnsServer {
                    address: "168.63.129.16".parse().unwrap(),
                    azure: true,
                },
                DnsServer {
                    address: "10.1.0.2".parse().unwrap(),
                    azure: false,
                },
            ],
        };
        assert_eq!(
            evidence(&e),
            "DNS answered NXDOMAIN for a.blob.core.windows.net (DNS server 168.63.129.16, Azure-provided DNS, 10.1.0.2)"
        );
    }

    #[test]
    fn a_proxy_that_asked_twice_says_both_answers() {
        let e = Evidence::ProxyAuthenticated {
            proxy: "10.1.0.100:3128".parse().unwrap(),
            scheme: Some("Basic".into()),
            first_status: Some(407),
        };
        assert_eq!(
            evidence(&e),
            "proxy 10.1.0.100:3128 answered 407 (Basic) to CONNECT, then 200 on the same connection once the client sent credentials"
        );
    }
}
