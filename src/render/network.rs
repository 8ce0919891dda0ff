//! How the NSG and route exports' answers read: the NSGs on the path with
//! the rule that decided in each, the notes on what a verdict could not tell
//! or assumed, and the route taken.

use crate::model::{
    ExportKind, ExportRead, NsgNote, NsgOutcome, NsgVerdict, RouteNote, RouteVerdict, TagName,
    TagUnknown,
};

/// What `--azure` says of a file whose shape is no export asrscope reads.
pub(crate) const UNKNOWN_EXPORT: &str = "not an export asrscope reads: expected the output of `az network nic list-effective-nsg` or `az network nsg show` (NSGs), `az network nic show-effective-route-table` or `az network route-table show` (routes), `az network firewall policy show`, `az network firewall policy rule-collection-group list`, `az network firewall show` (these three in the azure-firewall extension), `az network ip-group show`, `az network manager list-effective-security-admin-rule` (virtual-network-manager extension), `az network nic show` (the VM's network interface), `az network vnet subnet show`, `az network vnet show`, `az network service-endpoint policy show`, `az network private-dns zone show`, `az network private-dns link vnet list` or `az network private-dns record-set a list` (private DNS; an empty list has no zone name: give `zone show`), or `az storage account show`";

/// An export's kind, as the report names it.
pub(crate) fn export_kind(k: ExportKind) -> &'static str {
    match k {
        ExportKind::Nsg => "NSG",
        ExportKind::Routes => "routes",
        ExportKind::FirewallPolicy => "firewall policy",
        ExportKind::RuleCollectionGroups => "rule collection groups",
        ExportKind::Firewall => "firewall",
        ExportKind::IpGroup => "IP group",
        ExportKind::StorageAccount => "storage account",
        ExportKind::PrivateDnsZone => "private DNS zone",
        ExportKind::PrivateDnsLinks => "private DNS links",
        ExportKind::PrivateDnsRecords => "private DNS A records",
        ExportKind::Nic => "network interface",
        ExportKind::Subnet => "subnet",
        ExportKind::Vnet => "virtual network",
        ExportKind::AdminRules => "security admin rules",
        ExportKind::EndpointPolicy => "service endpoint policy",
    }
}

/// The exports read: "nsg.json (NSG, 2), fw.json (firewall, 1)".
pub(crate) fn exports_text(read: &[ExportRead]) -> String {
    read.iter()
        .map(|e| format!("{} ({}, {})", e.file, export_kind(e.kind), e.items))
        .collect::<Vec<_>>()
        .join(", ")
}

/// "NSG vm01-nic-nsg rule securityRules/Deny-EventHub (priority 200)".
pub(crate) fn rule_text(nsg: &str, rule: Option<&str>, priority: Option<u32>) -> String {
    format!(
        "NSG {nsg} rule {} (priority {})",
        rule.unwrap_or("none matched"),
        priority.map_or("-".to_string(), |p| p.to_string())
    )
}

/// Every NSG on the path with the rule that decided in it:
/// "NSG nic-nsg rule Allow-Storage (priority 100) allows; NSG subnet-nsg …".
pub(crate) fn steps_text(n: &NsgVerdict) -> String {
    n.steps
        .iter()
        .map(|s| {
            let what = match s.outcome {
                NsgOutcome::Allow => "allows",
                NsgOutcome::Deny => "denies",
                NsgOutcome::NoRuleMatched => "has no rule that matches",
                NsgOutcome::CannotTell => "cannot be told",
            };
            match s.outcome {
                NsgOutcome::NoRuleMatched => format!("NSG {} {what}", s.nsg),
                _ => format!(
                    "{} {what}",
                    rule_text(&s.nsg, s.rule.as_deref(), s.priority)
                ),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Why the service-tag data cannot tell a tag.
pub(crate) fn tag_unknown(tag: &TagName, why: TagUnknown) -> String {
    match why {
        TagUnknown::NotInData => format!("service tag {tag} is not in the service-tag data"),
        TagUnknown::OtherCloud(c) => format!(
            "service tag {tag} of {}: the service-tag data is another cloud's (pass {} with --service-tags)",
            super::cloud_name(c),
            super::tag_file(c)
        ),
    }
}

/// A note of an NSG verdict.
pub(crate) fn nsg_note(n: &NsgNote) -> String {
    match n {
        NsgNote::NoRuleMatched { nsg } => format!(
            "no outbound rule of NSG {nsg} matches: every NSG ends with the default rule DenyAllOutBound, which this export lacks (cut short?)"
        ),
        NsgNote::AsgNotPublic {
            asg,
            rule,
            address,
        } => format!(
            "application security group {asg} (rule {rule}) taken as not holding the public address {address}"
        ),
        NsgNote::AsgMembership { asg } => {
            format!("application security group {asg}: membership is not in the export")
        }
        NsgNote::TagUnknown { tag, why, address } => format!(
            "{}: cannot tell whether {address} is in it",
            tag_unknown(tag, *why)
        ),
        NsgNote::VirtualNetworkAsPrivate => "VirtualNetwork taken as the private ranges 10/8, 172.16/12, 192.168/16 (the export does not list the address space)".into(),
        NsgNote::InternetAsPublic => {
            "Internet taken as any public address (the export does not list its prefixes)".into()
        }
    }
}

/// The notes of an NSG verdict.
pub(crate) fn nsg_notes(n: &NsgVerdict) -> Vec<String> {
    n.notes.iter().map(nsg_note).collect()
}

/// A note of a route verdict.
pub(crate) fn route_note(n: &RouteNote) -> String {
    match n {
        RouteNote::TagUnknown {
            address,
            route,
            tag,
            more,
            why,
        } => {
            let more = match more {
                0 => String::new(),
                n => format!(" (and {n} more naming {tag})"),
            };
            format!(
                "cannot tell whether {address} is in the route {route}{more}: {}",
                tag_unknown(tag, *why)
            )
        }
        RouteNote::MoreTagsUnknown { address, count } => format!(
            "cannot tell whether {address} is in the routes naming {count} more service tags the data cannot tell either"
        ),
        RouteNote::SystemRouteDrops { address } => format!(
            "the system route drops {address} unless it is in the virtual network's address space or a peered network's, which Azure routes within the network: export the effective routes (az network nic show-effective-route-table) to know"
        ),
        RouteNote::ServiceEndpointBypass { route } => format!(
            "if the subnet has a service endpoint for Microsoft.Storage, its system routes take this traffic past the route {route}: a route table does not show them, the effective routes (az network nic show-effective-route-table) do"
        ),
    }
}

/// The notes of a route verdict.
pub(crate) fn route_notes(r: &RouteVerdict) -> Vec<String> {
    r.notes.iter().map(route_note).collect()
}

/// The prefix of the route taken; `-` when no route holds the destination.
pub(crate) fn route_prefix(r: &RouteVerdict) -> String {
    r.route
        .as_ref()
        .map_or_else(|| "-".to_string(), |t| t.prefix.to_string())
}

/// Who made the route taken; `no route` when none holds the destination.
pub(crate) fn route_source(r: &RouteVerdict) -> &str {
    r.route.as_ref().map_or("no route", |t| t.source.as_str())
}

/// The next hop and its address: "VirtualAppliance 10.0.0.4".
pub(crate) fn next_hop(r: &RouteVerdict) -> String {
    match r.next_hop_address() {
        Some(a) => format!("{} {a}", r.next_hop()),
        None => r.next_hop().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NextHop, RouteOrigin, RoutePrefix, RouteSource, RouteTaken};

    fn ip(s: &str) -> std::net::IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn notes_read_as_sentences() {
        let unknown = RouteNote::TagUnknown {
            address: ip("52.1.2.3"),
            route: "udr-0".into(),
            tag: TagName::new("NoSuchTag"),
            more: 19_999,
            why: TagUnknown::NotInData,
        };
        assert_eq!(
            route_note(&unknown),
            "cannot tell whether 52.1.2.3 is in the route udr-0 (and 19999 more naming NoSuchTag): service tag NoSuchTag is not in the service-tag data"
        );
        assert_eq!(
            route_note(&RouteNote::MoreTagsUnknown {
                address: ip("52.1.2.3"),
                count: 19_992
            }),
            "cannot tell whether 52.1.2.3 is in the routes naming 19992 more service tags the data cannot tell either"
        );
        assert_eq!(
            nsg_note(&NsgNote::TagUnknown {
                tag: TagName::new("AzureSiteRecovery"),
                why: TagUnknown::OtherCloud(crate::model::Cloud::Usgov),
                address: ip("13.69.1.1"),
            }),
            "service tag AzureSiteRecovery of Azure Government: the service-tag data is another cloud's (pass ServiceTags_AzureGovernment_*.json with --service-tags): cannot tell whether 13.69.1.1 is in it"
        );
    }

    #[test]
    fn no_route_reads_as_the_json_always_said_it() {
        let none = RouteVerdict {
            route: None,
            notes: vec![],
        };
        assert_eq!(
            (route_prefix(&none), route_source(&none), next_hop(&none)),
            ("-".to_string(), "no route", "None".to_string())
        );
        let fw = RouteVerdict {
            route: Some(RouteTaken {
                prefix: RoutePrefix::Block {
                    address: ip("0.0.0.0"),
                    len: 0,
                },
                name: Some("to-fw".into()),
                next_hop: NextHop::VirtualAppliance,
                next_hop_address: Some("10.0.0.4".into()),
                source: RouteSource::User,
                origin: RouteOrigin::Table,
            }),
            notes: vec![],
        };
        assert_eq!(
            (route_prefix(&fw), route_source(&fw), next_hop(&fw)),
            (
                "0.0.0.0/0".to_string(),
                "User",
                "VirtualAppliance 10.0.0.4".to_string()
            )
        );
        let json = serde_json::to_value(&fw).unwrap();
        assert_eq!(json["prefix"], "0.0.0.0/0");
        assert_eq!(json["assumed"], false);
        assert_eq!(json["source"], "User");
        let json = serde_json::to_value(&none).unwrap();
        assert_eq!(json["next_hop"], "None");
        assert_eq!(json["source"], "no route");
    }
}
