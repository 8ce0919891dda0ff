//! How `check` reads: each requirement's evidence and the notes that hold
//! for all of them.

use super::finding::admin_rules_first;
use super::network::steps_text;
use super::network::{next_hop, nsg_note, nsg_notes, route_note, route_prefix, route_source};
use super::{cloud_name, tag_file};
use crate::model::{CheckEvidence, CheckNote, ConfigRequirement, ConfigStatus};

/// One line of a requirement's evidence.
pub(crate) fn evidence(e: &CheckEvidence) -> String {
    match e {
        CheckEvidence::OtherCloudData { data, tag, cloud } => format!(
            "unknown: the service-tag data is {data}'s, and {tag} holds other addresses in {}",
            cloud_name(*cloud)
        ),
        CheckEvidence::NoPrefixes { tag } => {
            format!("the service-tag data holds no IPv4 prefix of {tag}: nothing to evaluate")
        }
        CheckEvidence::Denied {
            nsg,
            denied,
            prefixes,
            tag,
        } => format!(
            "denied: {} (TCP 443 to {denied} of the {prefixes} IPv4 prefixes of {tag})",
            steps_text(nsg)
        ),
        CheckEvidence::CannotTell {
            nsg,
            unknown,
            prefixes,
            tag,
        } => {
            let mut text = format!(
                "{unknown} of the {prefixes} prefixes of {tag} cannot be judged from the export: {}",
                steps_text(nsg)
            );
            if !nsg.notes.is_empty() {
                text.push_str(&format!("; {}", nsg_notes(nsg).join("; ")));
            }
            text
        }
        CheckEvidence::Allowed { nsg, prefixes, tag } => format!(
            "every NSG allows TCP 443 to all {prefixes} IPv4 prefixes of {tag} ({})",
            steps_text(nsg)
        ),
        CheckEvidence::Approximation(n) => format!("approximation: {}", nsg_note(n)),
        CheckEvidence::AdminRulesFirst { manager } => admin_rules_first(manager),
        CheckEvidence::Admin(a) => super::admin::evidence(a),
        CheckEvidence::Route(n) => format!("route: {}", route_note(n)),
        CheckEvidence::Routes { hops } => format!(
            "routes: {}",
            hops.iter()
                .map(|(h, c)| format!("{h} ({c})"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        CheckEvidence::InternetNeedsOutbound { count } => format!(
            "next hop Internet ({count}) reaches public endpoints only with outbound access: in a private subnet, the default for virtual networks created after March 31, 2026, \"an explicit outbound method must be enabled\" (a NAT gateway, a load balancer's outbound rules, a public IP, an appliance), and routes with next hop Internet break there (Default outbound access, 12/03/2025); whether this subnet is private is not known from the given exports"
        ),
        CheckEvidence::NoOutbound { .. }
        | CheckEvidence::Outbound { .. }
        | CheckEvidence::FirewallDenies { .. }
        | CheckEvidence::FirewallCannotTell { .. }
        | CheckEvidence::FirewallAllows { .. }
        | CheckEvidence::EndpointPolicy { .. }
        | CheckEvidence::StorageFirewall(_)
        | CheckEvidence::PrivateDns { .. } => past_the_route(e),
        CheckEvidence::RoutedTo {
            count,
            prefixes,
            route,
            status,
        } => routed_to(*count, *prefixes, route, *status),
    }
}

/// The worst route a requirement's prefixes take, and what it means.
fn routed_to(
    count: usize,
    prefixes: usize,
    route: &crate::model::RouteVerdict,
    status: ConfigStatus,
) -> String {
    let why = match status {
        ConfigStatus::Dropped => "Azure drops this traffic",
        ConfigStatus::ForcedTunnel => {
            "forced tunnelling: the traffic leaves the Azure boundary, which Site Recovery advises against"
        }
        _ => "a network virtual appliance may throttle replication",
    };
    format!(
        "{count} of the {prefixes} prefixes route to {} (route {}{}, {}): {why}",
        next_hop(route),
        route
            .route
            .as_ref()
            .and_then(|t| t.name.as_deref())
            .map(|n| format!("{n} "))
            .unwrap_or_default(),
        route_prefix(route),
        route_source(route)
    )
}

/// The evidence of the layers past the route: the subnet's way out and the
/// firewall.
fn past_the_route(e: &CheckEvidence) -> String {
    match e {
        CheckEvidence::NoOutbound {
            verdict,
            denied,
            prefixes,
        } => format!(
            "{denied} of the {prefixes} prefixes have no way out: {}",
            super::outbound::with_notes(verdict)
        ),
        CheckEvidence::Outbound { verdict } => {
            format!("way out: {}", super::outbound::with_notes(verdict))
        }
        CheckEvidence::FirewallDenies {
            verdict,
            denied,
            prefixes,
        } => format!(
            "firewall-denied ({denied} of the {prefixes} prefixes): {}",
            super::firewall::with_notes(verdict)
        ),
        CheckEvidence::FirewallCannotTell {
            verdict,
            unknown,
            prefixes,
        } => format!(
            "the firewall's verdict cannot be told for {unknown} of the {prefixes} prefixes: {}",
            super::firewall::with_notes(verdict)
        ),
        CheckEvidence::FirewallAllows { verdict } => {
            format!(
                "the firewall allows it: {}",
                super::firewall::with_notes(verdict)
            )
        }
        CheckEvidence::EndpointPolicy { verdict } => {
            format!(
                "service endpoint policy: {}",
                super::endpoint_policy::text(verdict)
            )
        }
        CheckEvidence::StorageFirewall(v) => format!(
            "cache storage firewall ({}): {}",
            super::storage::outcome(v),
            super::storage::with_notes(v)
        ),
        CheckEvidence::PrivateDns { verdict } => super::private_dns::check_line(verdict),
        _ => String::new(),
    }
}

/// A requirement's evidence, line by line.
pub(crate) fn evidence_lines(r: &ConfigRequirement) -> Vec<String> {
    r.evidence.iter().map(evidence).collect()
}

/// A note that holds for every requirement.
pub(crate) fn note(n: &CheckNote) -> String {
    match n {
        CheckNote::OtherCloudData { data, cloud } => format!(
            "the service-tag data is {data}'s, not {}'s: no verdict is given from it; pass {} with --service-tags",
            cloud_name(*cloud),
            tag_file(*cloud)
        ),
        CheckNote::NetworkManager { manager } => format!(
            "the NICs' NSGs are under the Virtual Network Manager {manager}: its security admin rules are evaluated first (Deny and Always Allow end the evaluation) and are not in the export, so every NSG verdict below holds only where no admin rule matches"
        ),
        CheckNote::RoutesCompleted => "the routes are route tables as written: Azure combines them with the subnet's system routes, which asrscope adds (0.0.0.0/0 to Internet; 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and 100.64.0.0/10 to None); the virtual network's own prefixes, peerings and service endpoints are not in them".into(),
    }
}
