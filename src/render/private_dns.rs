//! How the private DNS exports' answer reads: the zone, whether it is
//! linked to the VM's virtual network, the records it lacks, the DNS
//! servers the VM asks, and what cannot be told.

use crate::model::{DnsDecision, DnsNote, DnsServersUsed, DnsUnknown, DnsVerdict};

/// Why it cannot be told.
pub(crate) fn unknown(why: DnsUnknown) -> &'static str {
    match why {
        DnsUnknown::VnetUnknown => {
            "the zone has links, and no export says which virtual network the VM is in (give `az network nic show` or `az network vnet show`)"
        }
        DnsUnknown::LinksNotGiven => {
            "the zone has links, and its link list was not given (`az network private-dns link vnet list`)"
        }
    }
}

/// The virtual network by name ("vm-vnet"), else "the VM's virtual network".
fn vnet_name(v: &DnsVerdict) -> String {
    v.vnet
        .as_deref()
        .and_then(|id| id.rsplit('/').next())
        .map_or_else(
            || "the VM's virtual network".into(),
            |n| format!("virtual network {n}"),
        )
}

/// The whole verdict in one sentence.
pub(crate) fn verdict_text(v: &DnsVerdict) -> String {
    let zone = &v.zone;
    match &v.decision {
        DnsDecision::Resolves => match &v.link {
            Some(l) => format!(
                "private DNS zone {zone} is linked to {} (link {}){}",
                vnet_name(v),
                l.name,
                if v.names.is_empty() {
                    String::new()
                } else {
                    format!(" and holds {}", v.names.join(", "))
                }
            ),
            None => format!("private DNS zone {zone} answers"),
        },
        DnsDecision::ZoneNotLinked if v.links == 0 => format!(
            "private DNS zone {zone} is linked to no virtual network: the names resolve publicly"
        ),
        DnsDecision::ZoneNotLinked => format!(
            "private DNS zone {zone} is not linked to {} ({} link{} to other networks): the names resolve publicly",
            vnet_name(v),
            v.links,
            if v.links == 1 { "" } else { "s" }
        ),
        DnsDecision::RecordMissing { names } if names.is_empty() => format!(
            "private DNS zone {zone} is linked to {} and holds no A record",
            vnet_name(v)
        ),
        DnsDecision::RecordMissing { names } => format!(
            "private DNS zone {zone} is linked to {} and lacks the A record{} {}",
            vnet_name(v),
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        ),
        DnsDecision::CannotTell { why } => {
            format!("private DNS zone {zone}: cannot tell: {}", unknown(*why))
        }
    }
}

/// One note.
pub(crate) fn note(n: &DnsNote) -> String {
    match n {
        DnsNote::CustomServers { servers, on_nic } => format!(
            "the VM asks the custom DNS server{} {} (set on the {}), which bypasses linked zones unless it forwards to Azure DNS (168.63.129.16): the exports cannot tell",
            if servers.len() == 1 { "" } else { "s" },
            servers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if *on_nic { "NIC" } else { "virtual network" }
        ),
        DnsNote::FallbackToInternet { link } => format!(
            "link {link} falls back to public resolution for names the zone lacks (resolutionPolicy NxDomainRedirect): a missing record answers publicly, not NXDOMAIN"
        ),
        DnsNote::LinkNotCompleted { link, state } => {
            format!("link {link} is {state}, not Completed")
        }
        DnsNote::RecordsNotGiven => {
            "the zone's records were not given: whether it holds the names is not told".into()
        }
        DnsNote::NamesUnknown { records } => format!(
            "the zone holds {records} A record{}; which names are needed is told by a capture or the private endpoint's DNS configuration",
            if *records == 1 { "" } else { "s" }
        ),
        DnsNote::VaultRecordsFew { records } => format!(
            "the zone holds {records} A record{}, and a vault's private endpoint has five names (seven once replication is enabled): some are missing unless another zone holds them",
            if *records == 1 { "" } else { "s" }
        ),
        DnsNote::ServersUnknown => {
            "which DNS servers the VM asks is not told (give `az network nic show` and `az network vnet show`)".into()
        }
    }
}

/// The notes of a verdict.
pub(crate) fn notes(v: &DnsVerdict) -> Vec<String> {
    v.notes.iter().map(note).collect()
}

/// The verdict, then its notes, in one line.
pub(crate) fn with_notes(v: &DnsVerdict) -> String {
    let mut text = verdict_text(v);
    for n in notes(v) {
        text.push_str("; ");
        text.push_str(&n);
    }
    text
}

/// `check`'s evidence line for the endpoint.
pub(crate) fn check_line(v: &DnsVerdict) -> String {
    format!("DNS: {}", with_notes(v))
}

/// The outcome's word in the JSON and CSV: `resolves`, `zone-not-linked`,
/// `record-missing`, `cannot-tell`.
pub(crate) fn outcome(v: &DnsVerdict) -> &'static str {
    match &v.decision {
        DnsDecision::Resolves => "resolves",
        DnsDecision::ZoneNotLinked => "zone-not-linked",
        DnsDecision::RecordMissing { .. } => "record-missing",
        DnsDecision::CannotTell { .. } => "cannot-tell",
    }
}

/// The servers' word in the JSON: `azure-provided`, `nic`, `vnet`,
/// `unknown`.
pub(crate) fn servers_kind(s: &DnsServersUsed) -> &'static str {
    match s {
        DnsServersUsed::AzureProvided => "azure-provided",
        DnsServersUsed::Nic(_) => "nic",
        DnsServersUsed::Vnet(_) => "vnet",
        DnsServersUsed::Unknown => "unknown",
    }
}

/// The CSV's `dns`: `<zone> <outcome>`, with `custom-dns` when the VM asks
/// custom servers.
pub(crate) fn csv_cell(v: &DnsVerdict) -> String {
    let mut cell = format!("{} {}", v.zone, outcome(v));
    if v.custom_servers().is_some() {
        cell.push_str(" custom-dns");
    }
    cell
}

/// Why a name of the zone was answered publicly, as the exports tell it:
/// the setting responsible, when they name one.
pub(crate) fn answer_explained(v: &DnsVerdict) -> String {
    let text = with_notes(v);
    match (&v.decision, v.custom_servers()) {
        (DnsDecision::ZoneNotLinked | DnsDecision::RecordMissing { .. }, _) => {
            format!("the private DNS exports: {text}")
        }
        (DnsDecision::Resolves, Some(servers)) => format!(
            "the private DNS exports show the zone linked and answering, and the VM asks the custom DNS server{} {}: the public answer means {} not forward {} to Azure DNS (168.63.129.16); {text}",
            if servers.len() == 1 { "" } else { "s" },
            servers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            if servers.len() == 1 {
                "it does"
            } else {
                "they do"
            },
            v.zone.strip_prefix("privatelink.").unwrap_or(&v.zone)
        ),
        (DnsDecision::Resolves, None) => format!(
            "the private DNS exports show the zone linked and answering, which the capture contradicts: they may be older than the capture, or from another network; {text}"
        ),
        (DnsDecision::CannotTell { .. }, _) => {
            format!("the private DNS exports cannot tell why: {text}")
        }
    }
}
