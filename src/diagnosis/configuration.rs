//! The requirement checklist judged from the NSG and route exports alone
//! (`asrscope check`). Each endpoint's service tag stands for its addresses:
//! every IPv4 prefix of the tag is cut where an exported CIDR (rule, tag map,
//! route) begins or ends, and one address of each piece is evaluated as an
//! outbound TCP 443 flow against the NSGs and routed through the exported
//! routes, with the same evaluation a captured flow gets. A prefix counts as
//! its worst piece.

use super::verdict::{nsg_decision, route_to};
use crate::azure::Network;
use crate::azure::endpoints::Endpoint;
use crate::azure::tags::TagDb;
use crate::model::{
    ConfigCheck, ConfigRequirement, ConfigStatus, EndpointId, Need, NsgVerdict, Region,
    RouteVerdict,
};
use std::net::IpAddr;

/// Judges every endpoint of `catalog` for a VM in `source` replicating to
/// `target`.
pub fn check(
    network: &Network,
    tags: &TagDb,
    source: &Region,
    target: &Region,
    catalog: &[Endpoint],
) -> ConfigCheck {
    let points = boundaries(network);
    let requirements: Vec<ConfigRequirement> = catalog
        .iter()
        .map(|e| requirement(network, &points, tags, e, source, target))
        .collect();
    ConfigCheck {
        source_region: source.clone(),
        target_region: target.clone(),
        nsgs: network.nsgs.iter().map(|n| n.name.clone()).collect(),
        routes: network.routes.len(),
        ok: requirements
            .iter()
            .all(|r| r.need != Need::Always || r.status == ConfigStatus::Ok),
        requirements,
    }
}

/// How bad a next hop is for Site Recovery traffic; 0 is fine.
fn hop_rank(hop: &str) -> u8 {
    match hop {
        "None" => 3,
        "VirtualNetworkGateway" => 2,
        "VirtualAppliance" => 1,
        _ => 0,
    }
}

fn requirement(
    network: &Network,
    points: &[u32],
    tags: &TagDb,
    e: &Endpoint,
    source: &Region,
    target: &Region,
) -> ConfigRequirement {
    let tag = e
        .tag
        .tag(Some(&source.tag_suffix), Some(&target.tag_suffix));
    let prefixes = tags.v4_prefixes(&tag);
    let mut r = ConfigRequirement {
        id: e.id,
        endpoint: e.pattern,
        tag: tag.clone(),
        need: e.need,
        status: ConfigStatus::Unknown,
        prefixes: prefixes.len(),
        allowed: 0,
        denied: 0,
        unknown: 0,
        nsg: None,
        route: None,
        next_hops: Vec::new(),
        evidence: Vec::new(),
        fix: Vec::new(),
    };
    if prefixes.is_empty() {
        r.evidence.push(format!(
            "the service-tag data holds no IPv4 prefix of {tag}: nothing to evaluate"
        ));
        r.fix.push(
            "pass a current service-tags file with --service-tags (az network list-service-tags --location '<region>')".into(),
        );
        return r;
    }
    let (mut deny, mut unknown, mut allow): (Option<NsgVerdict>, _, _) = (None, None, None);
    let mut worst: Option<RouteVerdict> = None;
    let mut hops: Vec<(String, usize)> = Vec::new();
    for &(addr, len) in &prefixes {
        // Each probe stands for a run of addresses that every exported CIDR
        // treats alike; the prefix counts as its worst probe.
        let mut verdict: Option<NsgVerdict> = None;
        let mut prefix_route: Option<RouteVerdict> = None;
        for ip in probes(points, addr, len) {
            let v = nsg_decision(network, tags, &crate::azure::nsg::Flow::tcp(ip, 443));
            let rank = |v: &NsgVerdict| match v.allowed {
                Some(false) => 2,
                None => 1,
                Some(true) => 0,
            };
            if verdict.as_ref().is_none_or(|w| rank(&v) > rank(w)) {
                verdict = Some(v);
            }
            if !network.routes.is_empty() {
                let route = route_to(network, tags, ip);
                if prefix_route
                    .as_ref()
                    .is_none_or(|w| hop_rank(&route.next_hop) > hop_rank(&w.next_hop))
                {
                    prefix_route = Some(route);
                }
            }
        }
        if let Some(v) = verdict {
            match v.allowed {
                Some(false) => {
                    r.denied += 1;
                    deny.get_or_insert(v);
                }
                None => {
                    r.unknown += 1;
                    unknown.get_or_insert(v);
                }
                Some(true) => {
                    r.allowed += 1;
                    allow.get_or_insert(v);
                }
            }
        }
        if let Some(route) = prefix_route {
            match hops.iter_mut().find(|(h, _)| *h == route.next_hop) {
                Some((_, n)) => *n += 1,
                None => hops.push((route.next_hop.clone(), 1)),
            }
            if worst
                .as_ref()
                .is_none_or(|w| hop_rank(&route.next_hop) > hop_rank(&w.next_hop))
            {
                worst = Some(route);
            }
        }
    }
    r.next_hops = hops;
    r.nsg = deny.clone().or(unknown.clone()).or(allow.clone());
    r.route = worst;
    let n = r.prefixes;
    if let Some(d) = &deny {
        r.status = ConfigStatus::Denied;
        r.evidence.push(format!(
            "{} denies TCP 443 to {} of the {n} IPv4 prefixes of {tag}",
            rule_text(d),
            r.denied
        ));
        r.fix.push(allow_fix(d, &tag));
    } else if let Some(u) = &unknown {
        let why = match &u.rule {
            None => format!(
                "no rule of NSG {} matches (the export lacks the default rules)",
                u.nsg.as_deref().unwrap_or("?")
            ),
            Some(_) => rule_text(u),
        };
        let mut text = format!(
            "{} of the {n} prefixes of {tag} cannot be judged from the export: {why}",
            r.unknown
        );
        if !u.notes.is_empty() {
            text.push_str(&format!("; {}", u.notes.join("; ")));
        }
        r.evidence.push(text);
        r.fix.push("export the NIC's effective rules (az network nic list-effective-nsg), which expand service tags, or check the rule in the portal's effective security rules".into());
    } else if let Some(a) = &allow {
        r.evidence.push(format!(
            "every NSG allows TCP 443 to all {n} IPv4 prefixes of {tag} ({})",
            rule_text(a)
        ));
        for note in &a.notes {
            r.evidence.push(format!("approximation: {note}"));
        }
    }
    if let Some(route) = r.route.clone() {
        route_judgement(&mut r, &route, &tag);
    }
    if deny.is_none() && unknown.is_none() && r.status == ConfigStatus::Unknown {
        r.status = ConfigStatus::Ok;
    }
    r
}

/// Every IPv4 address where an exported CIDR (a rule's prefix or expanded
/// list, a tag map entry, a route) begins or ends, as the first address of the
/// next run: between two such points every CIDR treats addresses alike.
/// Sorted, without duplicates.
fn boundaries(network: &Network) -> Vec<u32> {
    use crate::azure::nsg::{Cidr, Prefix};
    use crate::azure::routes::Destination;
    let mut cidrs: Vec<Cidr> = Vec::new();
    for n in &network.nsgs {
        for rule in &n.rules {
            cidrs.extend(rule.destination_prefixes.iter().filter_map(|p| match p {
                Prefix::Cidr(c) => Some(*c),
                _ => None,
            }));
            cidrs.extend(rule.expanded_destination.iter().copied());
        }
        cidrs.extend(n.tag_map.values().flatten().copied());
    }
    for r in &network.routes {
        cidrs.extend(r.prefixes.iter().filter_map(|d| match d {
            Destination::Cidr(c) => Some(*c),
            Destination::Tag(_) => None,
        }));
    }
    let mut points: Vec<u32> = Vec::new();
    for c in cidrs {
        if let IpAddr::V4(a) = c.addr {
            let start = u32::from(a);
            let size = 1u64 << (32 - u32::from(c.len.min(32)));
            points.push(start);
            if let Ok(next) = u32::try_from(u64::from(start) + size) {
                points.push(next);
            }
        }
    }
    points.sort_unstable();
    points.dedup();
    points
}

/// The addresses to evaluate for one prefix of a tag: its first address and
/// every boundary inside it.
fn probes(points: &[u32], addr: std::net::Ipv4Addr, len: u8) -> Vec<IpAddr> {
    let start = u32::from(addr);
    let end = u64::from(start) + (1u64 << (32 - u32::from(len.min(32))));
    let from = points.partition_point(|&p| p <= start);
    let to = points.partition_point(|&p| u64::from(p) < end);
    std::iter::once(start)
        .chain(points[from..to.max(from)].iter().copied())
        .map(|p| IpAddr::V4(p.into()))
        .collect()
}

/// "NSG vm01-nic-nsg rule securityRules/Deny-EventHub (priority 200)".
pub(super) fn rule_text(v: &NsgVerdict) -> String {
    format!(
        "NSG {} rule {} (priority {})",
        v.nsg.as_deref().unwrap_or("?"),
        v.rule.as_deref().unwrap_or("none matched"),
        v.priority.map_or("-".to_string(), |p| p.to_string())
    )
}

/// The allow rule that wins over a deny, as an `az` command.
pub(super) fn allow_fix(d: &NsgVerdict, tag: &str) -> String {
    let nsg = d.nsg.as_deref().unwrap_or("<nsg>");
    match d.priority {
        Some(p) if p <= 100 => format!(
            "{} has the lowest priority an allow rule can have: narrow it so that it does not cover {tag} on TCP 443",
            rule_text(d)
        ),
        p => format!(
            "az network nsg rule create -g '<resource-group>' --nsg-name '{nsg}' -n 'Allow-ASR-{}' --priority {} --direction Outbound --access Allow --protocol Tcp --destination-address-prefixes '{tag}' --destination-port-ranges 443",
            tag.replace(['.', '<', '>'], ""),
            p.map_or(100, |p| p.saturating_sub(10).max(100))
        ),
    }
}

/// What the worst route of a requirement does to its status and advice.
fn route_judgement(r: &mut ConfigRequirement, route: &RouteVerdict, tag: &str) {
    let count = r
        .next_hops
        .iter()
        .find(|(h, _)| *h == route.next_hop)
        .map_or(0, |(_, c)| *c);
    let via = format!(
        "{count} of the {} prefixes route to {}{} (route {}, {})",
        r.prefixes,
        route.next_hop,
        route
            .next_hop_address
            .as_deref()
            .map(|a| format!(" {a}"))
            .unwrap_or_default(),
        route.prefix,
        route.source
    );
    let status = match route.next_hop.as_str() {
        "None" => ConfigStatus::Dropped,
        "VirtualNetworkGateway" => ConfigStatus::ForcedTunnel,
        "VirtualAppliance" => ConfigStatus::ViaAppliance,
        _ => {
            let hops: Vec<String> = r
                .next_hops
                .iter()
                .map(|(h, c)| format!("{h} ({c})"))
                .collect();
            r.evidence.push(format!("routes: {}", hops.join(", ")));
            return;
        }
    };
    let why = match status {
        ConfigStatus::Dropped => "Azure drops this traffic",
        ConfigStatus::ForcedTunnel => {
            "forced tunnelling: the traffic leaves the Azure boundary, which Site Recovery advises against"
        }
        _ => "a network virtual appliance may throttle replication",
    };
    r.evidence.push(format!("{via}: {why}"));
    if r.status == ConfigStatus::Unknown && r.denied == 0 && r.unknown == 0 {
        r.status = status;
    }
    if status == ConfigStatus::Dropped {
        // A tag route would lose to a more specific drop route.
        r.fix.push(format!(
            "remove or correct the route {} with next hop None ({}): Site Recovery needs every address of {tag}",
            route.prefix, route.source
        ));
        return;
    }
    if r.id == EndpointId::CacheStorage {
        r.fix.push("create a virtual network service endpoint for Microsoft.Storage so that replication to the cache account stays in Azure: az network vnet subnet update -g '<resource-group>' --vnet-name '<vnet>' -n '<subnet>' --service-endpoints Microsoft.Storage".into());
    }
    r.fix.push(format!(
        "route the tag to the internet, past the appliance or gateway: az network route-table route create -g '<resource-group>' --route-table-name '<route-table>' -n 'ASR-{}' --address-prefix '{tag}' --next-hop-type Internet",
        tag.replace(['.', '<', '>'], "")
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deny(priority: u32) -> NsgVerdict {
        NsgVerdict {
            allowed: Some(false),
            nsg: Some("nic-nsg".into()),
            rule: Some("Deny-All".into()),
            priority: Some(priority),
            notes: vec![],
        }
    }

    #[test]
    fn an_allow_rule_goes_ten_below_the_deny_but_not_under_100() {
        assert!(allow_fix(&deny(4000), "Storage.EastUS").contains("--priority 3990"));
        assert!(allow_fix(&deny(105), "Storage.EastUS").contains("--priority 100"));
        let f = allow_fix(&deny(100), "Storage.EastUS");
        assert!(!f.contains("az network"), "{f}");
        assert!(f.contains("narrow it"), "{f}");
    }

    #[test]
    fn probes_cut_a_prefix_where_exported_blocks_begin_and_end() {
        let c = |t: &str| {
            let (a, l) = t.split_once('/').unwrap();
            (
                u32::from(a.parse::<std::net::Ipv4Addr>().unwrap()),
                l.parse::<u8>().unwrap(),
            )
        };
        // A /28 inside the /20, one block overlapping its start, one outside.
        let mut points = Vec::new();
        for t in ["10.0.5.16/28", "9.255.255.0/23", "11.0.0.0/8"] {
            let (start, len) = c(t);
            points.push(start);
            points.push(start + (1u32 << (32 - len)));
        }
        points.sort_unstable();
        let got: Vec<String> = probes(&points, "10.0.0.0".parse().unwrap(), 20)
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(got, ["10.0.0.0", "10.0.1.0", "10.0.5.16", "10.0.5.32"]);
        // A /32 at the very top of the address space.
        assert_eq!(probes(&[], "255.255.255.255".parse().unwrap(), 32).len(), 1);
        assert_eq!(probes(&[0], "0.0.0.0".parse().unwrap(), 0).len(), 1);
    }

    #[test]
    fn a_deny_on_a_small_block_inside_a_tag_prefix_is_found() {
        let json = r#"{"value": [{"networkSecurityGroup": {"id": "/x/networkSecurityGroups/nic-nsg"},
            "association": {"networkInterface": {"id": "/x/networkInterfaces/nic"}},
            "effectiveSecurityRules": [
              {"name": "securityRules/Deny-Slice", "protocol": "Tcp", "sourcePortRange": "0-65535",
               "destinationPortRange": "443-443", "sourceAddressPrefix": "0.0.0.0/0",
               "destinationAddressPrefix": "SLICE", "access": "Deny", "priority": 300,
               "direction": "Outbound"},
              {"name": "securityRules/Allow-All", "protocol": "All", "sourcePortRange": "0-65535",
               "destinationPortRange": "0-65535", "sourceAddressPrefix": "0.0.0.0/0",
               "destinationAddressPrefix": "0.0.0.0/0", "access": "Allow", "priority": 400,
               "direction": "Outbound"}]}]}"#;
        let tags = TagDb::embedded();
        let region = |id: &str, s: &str| Region {
            id: id.into(),
            tag_suffix: s.into(),
        };
        let e = crate::azure::endpoints::CATALOG
            .iter()
            .find(|e| e.id == EndpointId::CacheStorage)
            .copied()
            .unwrap();
        // The last /28 of the tag's first prefix that is wider than a /28.
        let (addr, len) = tags
            .v4_prefixes("Storage.EastUS")
            .into_iter()
            .find(|(_, l)| *l < 28)
            .unwrap();
        let last = u32::from(addr) + (1u32 << (32 - len)) - 16;
        let slice = format!("{}/28", std::net::Ipv4Addr::from(last));
        let network = Network {
            nsgs: crate::azure::nsg::parse_nsgs(&json.replace("SLICE", &slice)).unwrap(),
            routes: vec![],
        };
        let c = check(
            &network,
            tags,
            &region("eastus", "EastUS"),
            &region("centralus", "CentralUS"),
            &[e],
        );
        let r = &c.requirements[0];
        assert_eq!(r.status, ConfigStatus::Denied, "{:?}", r.evidence);
        assert_eq!(r.denied, 1);
        assert!(r.evidence[0].contains("Deny-Slice"));
    }

    #[test]
    fn the_worst_hop_is_the_one_that_drops() {
        let mut hops = [
            "Internet",
            "VirtualAppliance",
            "None",
            "VirtualNetworkGateway",
        ];
        hops.sort_by_key(|h| hop_rank(h));
        assert_eq!(
            hops,
            [
                "Internet",
                "VirtualAppliance",
                "VirtualNetworkGateway",
                "None"
            ]
        );
    }

    #[test]
    fn a_tag_the_data_lacks_is_unknown_not_ok() {
        let tags = TagDb::embedded();
        let region = |id: &str, s: &str| Region {
            id: id.into(),
            tag_suffix: s.into(),
        };
        let mut e = crate::azure::endpoints::CATALOG[0];
        e.need = Need::Always;
        let c = check(
            &Network::default(),
            tags,
            &region("nowhere", "Nowhere"),
            &region("centralus", "CentralUS"),
            &[e],
        );
        assert_eq!(c.requirements[0].status, ConfigStatus::Unknown);
        assert_eq!(c.requirements[0].prefixes, 0);
        assert!(!c.ok);
    }
}
