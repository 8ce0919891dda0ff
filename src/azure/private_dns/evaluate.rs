//! Whether the private DNS zone of an endpoint answers the VM, as Microsoft
//! documents it ("What is an Azure Private DNS zone?", 2026-06-22):
//! "DNS resolution against a private DNS zone works only from virtual
//! networks that are linked to it"; with a custom DNS server on the
//! virtual network "the system doesn't automatically query private DNS
//! zones linked to that virtual network", and a server that is a VM needs
//! "a conditional forwarder … to Azure DNS (168.63.129.16)".

use super::{Link, PrivateDns, Record};
use crate::azure::placement::{DnsServers, Placement};
use crate::azure::privatelink::ZONES;
use crate::model::{
    Cloud, DnsDecision, DnsLink, DnsNote, DnsServersUsed, DnsUnknown, DnsVerdict, EndpointId,
    ResolutionPolicy,
};

/// The names of a vault's private endpoint before replication is enabled
/// ("Replicate machines with private endpoints").
const VAULT_NAMES: usize = 5;

/// Azure DNS: a custom server list of this address alone is Azure's.
const AZURE_DNS: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::new(168, 63, 129, 16));

/// The record set a name of `zone` needs (relative to the zone, lower
/// case): the name less the zone (`a.privatelink.blob.core.windows.net`),
/// or less its public form (`a.blob.core.windows.net`, the name a client
/// asks, whose CNAME leads into the zone). `None` for a name of neither.
pub fn record_name(zone: &str, name: &str) -> Option<String> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let public = zone.strip_prefix("privatelink.").unwrap_or(zone);
    [zone, public].into_iter().find_map(|suffix| {
        name.strip_suffix(suffix)
            .and_then(|r| r.strip_suffix('.'))
            .filter(|r| !r.is_empty() && !r.starts_with('*'))
            .map(str::to_string)
    })
}

impl PrivateDns {
    /// The zone Site Recovery needs for `endpoint` in `cloud`, as it
    /// answers the VM placed by `placement`, for `names` (the endpoint's
    /// names a capture saw; none in `check`). `None` when the endpoint
    /// has no private zone, or no export says anything of its zone.
    pub fn verdict(
        &self,
        placement: &Placement,
        endpoint: EndpointId,
        cloud: Cloud,
        names: &[&str],
    ) -> Option<DnsVerdict> {
        let zone = ZONES
            .iter()
            .find(|z| z.cloud == cloud && z.endpoint == endpoint)?
            .zone;
        let info = self.zones.iter().find(|z| z.name == zone);
        let links: Vec<_> = self.links.iter().filter(|l| l.zone == zone).collect();
        let listed = self.link_lists.iter().any(|z| z == zone);
        let records_listed = self.record_lists.iter().any(|z| z == zone);
        if info.is_none() && !listed && !records_listed {
            return None;
        }
        let vnet = placement.vm_vnet_id();
        let mut needed: Vec<String> = Vec::new();
        for n in names.iter().filter_map(|n| record_name(zone, n)) {
            if !needed.contains(&n) {
                needed.push(n);
            }
        }
        let count = if listed {
            Some(links.len() as u64)
        } else {
            info.and_then(|z| z.links)
        };
        let link = vnet
            .as_ref()
            .and_then(|v| links.iter().find(|l| l.vnet.as_ref() == Some(v)));
        let mut notes = Vec::new();
        let decision = match (count, listed, &vnet, link) {
            (Some(0), ..) => DnsDecision::ZoneNotLinked,
            (_, false, ..) => DnsDecision::CannotTell {
                why: DnsUnknown::LinksNotGiven,
            },
            (_, true, None, _) => DnsDecision::CannotTell {
                why: DnsUnknown::VnetUnknown,
            },
            (_, true, Some(_), None) => DnsDecision::ZoneNotLinked,
            (_, true, Some(_), Some(_)) => {
                let records: Vec<&Record> = self
                    .records
                    .iter()
                    .filter(|r| r.zone == zone && !r.addresses.is_empty())
                    .collect();
                let sets = info.and_then(|z| z.record_sets);
                records_decision(&needed, &records, records_listed, sets, &mut notes)
            }
        };
        // A vault's private endpoint has five names (seven once replication
        // is enabled): a linked zone listed with fewer lacks some.
        let held = self
            .records
            .iter()
            .filter(|r| r.zone == zone && !r.addresses.is_empty())
            .count();
        if endpoint == EndpointId::SiteRecovery
            && records_listed
            && (1..VAULT_NAMES).contains(&held)
            && matches!(
                decision,
                DnsDecision::Resolves | DnsDecision::RecordMissing { .. }
            )
        {
            notes.push(DnsNote::VaultRecordsFew { records: held });
        }
        if let Some(l) = link {
            link_notes(l, &mut notes);
        }
        let servers = servers(placement);
        server_notes(&servers, &mut notes);
        let zone_group = info
            .and_then(|z| z.resource_group.clone())
            .or_else(|| links.iter().find_map(|l| l.resource_group.clone()))
            .or_else(|| {
                self.records
                    .iter()
                    .filter(|r| r.zone == zone)
                    .find_map(|r| r.resource_group.clone())
            });
        Some(DnsVerdict {
            zone: zone.to_string(),
            zone_group,
            vnet: vnet.map(|v| v.as_str().to_string()),
            link: link.map(|l| DnsLink {
                name: l.name.clone(),
                registration: l.registration,
                policy: l.policy,
                state: l.state.clone(),
            }),
            links: usize::try_from(count.unwrap_or(0)).unwrap_or(usize::MAX),
            names: needed,
            decision,
            servers,
            notes,
        })
    }
}

/// What the VM's link adds: not completed yet, fallback to internet.
fn link_notes(l: &Link, notes: &mut Vec<DnsNote>) {
    if let Some(s) = l
        .state
        .as_ref()
        .filter(|s| !s.eq_ignore_ascii_case("Completed"))
    {
        notes.push(DnsNote::LinkNotCompleted {
            link: l.name.clone(),
            state: s.clone(),
        });
    }
    if l.policy == Some(ResolutionPolicy::NxDomainRedirect) {
        notes.push(DnsNote::FallbackToInternet {
            link: l.name.clone(),
        });
    }
}

/// What the VM's DNS servers add: custom servers, or not told.
fn server_notes(servers: &DnsServersUsed, notes: &mut Vec<DnsNote>) {
    match servers {
        DnsServersUsed::Nic(s) | DnsServersUsed::Vnet(s) => notes.push(DnsNote::CustomServers {
            servers: s.clone(),
            on_nic: matches!(servers, DnsServersUsed::Nic(_)),
        }),
        DnsServersUsed::Unknown => notes.push(DnsNote::ServersUnknown),
        DnsServersUsed::AzureProvided => {}
    }
}

/// A linked zone's records: the names needed that it lacks; with no name
/// known, whether it holds any A record; with no record list, whether the
/// zone's count says it holds only its SOA record.
fn records_decision(
    needed: &[String],
    records: &[&Record],
    listed: bool,
    sets: Option<u64>,
    notes: &mut Vec<DnsNote>,
) -> DnsDecision {
    if listed {
        if needed.is_empty() {
            if records.is_empty() {
                return DnsDecision::RecordMissing { names: Vec::new() };
            }
            notes.push(DnsNote::NamesUnknown {
                records: records.len(),
            });
            return DnsDecision::Resolves;
        }
        let missing: Vec<String> = needed
            .iter()
            .filter(|n| !records.iter().any(|r| &r.name == *n))
            .cloned()
            .collect();
        return if missing.is_empty() {
            DnsDecision::Resolves
        } else {
            DnsDecision::RecordMissing { names: missing }
        };
    }
    if sets.is_some_and(|n| n <= 1) {
        return DnsDecision::RecordMissing {
            names: needed.to_vec(),
        };
    }
    notes.push(DnsNote::RecordsNotGiven);
    DnsDecision::Resolves
}

/// The servers the VM asks; a custom list that is Azure DNS alone is
/// Azure-provided DNS.
fn servers(placement: &Placement) -> DnsServersUsed {
    let azure = |s: &[std::net::IpAddr]| s.iter().all(|ip| *ip == AZURE_DNS);
    match placement.dns_servers() {
        DnsServers::AzureProvided => DnsServersUsed::AzureProvided,
        DnsServers::Nic(s) | DnsServers::Vnet(s) if azure(&s) => DnsServersUsed::AzureProvided,
        DnsServers::Nic(s) => DnsServersUsed::Nic(s),
        DnsServers::Vnet(s) => DnsServersUsed::Vnet(s),
        DnsServers::Unknown => DnsServersUsed::Unknown,
    }
}
