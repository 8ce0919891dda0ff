//! The requirement checklist judged from the NSG and route exports alone
//! (`asrscope check`). Each endpoint's service tag stands for its addresses:
//! every IPv4 prefix of the tag is cut where a block of the configuration
//! (a rule's prefix or expanded list, a tag map entry, a tag a rule leaves to
//! the service-tag data, a route) begins or ends, and one address of each
//! piece is evaluated as an outbound TCP 443 flow against the NSGs and routed
//! through the routes, with the same evaluation a captured flow gets. A
//! prefix counts as its worst piece. Rules and routes are indexed once, so
//! the cost follows the pieces, not pieces times rules.
//!
//! Every verdict is per prefix of the service-tag data: `check` says which
//! data, how old it is, and gives no verdict from another cloud's data.

use super::advice::{beat_deny, cannot_tell_fix, correct_route, past_the_nsg, tags_file_fix};
use crate::azure::Network;
use crate::azure::endpoints::Endpoint;
use crate::azure::tags::{TagDb, TagSource, for_cloud};
use crate::model::{
    Cloud, ConfigCheck, ConfigRequirement, ConfigStatus, Fix, Need, NextHop, NsgVerdict, Region,
    RouteVerdict,
};
use crate::render::{self, network::steps_text};
use std::net::IpAddr;

/// Judges every endpoint of `catalog` (already in `cloud`'s names) for a VM
/// in `source` replicating to `target`; `today` is the day number (days
/// since 1970-01-01) the data's age is told against.
pub fn check(
    network: &Network,
    tags: &TagDb,
    source: &Region,
    target: &Region,
    catalog: &[Endpoint],
    cloud: Cloud,
    today: Option<i64>,
) -> ConfigCheck {
    let source_tags = for_cloud(tags, cloud);
    let data_cloud = crate::azure::clouds::of_tag_file(&tags.meta().cloud);
    let points = boundaries(network, tags);
    let requirements: Vec<ConfigRequirement> = catalog
        .iter()
        .map(|e| {
            let mut r = requirement(network, &points, tags, &source_tags, e, source, target);
            if data_cloud != Some(cloud) {
                other_cloud(&mut r, tags, cloud);
            }
            r.fix = render::fixes(&r.fixes);
            r
        })
        .collect();
    let meta = tags.meta().clone();
    let age = today
        .zip(
            meta.published
                .as_deref()
                .and_then(crate::dates::days_from_ymd),
        )
        .map(|(t, p)| t - p);
    let mut notes = Vec::new();
    if data_cloud != Some(cloud) {
        notes.push(format!(
            "the service-tag data is {}'s, not {}'s: no verdict is given from it; pass {} with --service-tags",
            meta.cloud,
            crate::azure::clouds::display(cloud),
            crate::azure::clouds::tag_file(cloud)
        ));
    }
    if let Some(m) = network
        .nsgs
        .list()
        .iter()
        .find_map(|n| n.network_manager.as_ref())
    {
        notes.push(format!(
            "the NICs' NSGs are under the Virtual Network Manager {m}: its security admin rules are evaluated first (Deny and Always Allow end the evaluation) and are not in the export, so every NSG verdict below holds only where no admin rule matches"
        ));
    }
    if network.routes.completed() {
        notes.push("the routes are route tables as written: Azure combines them with the subnet's system routes, which asrscope adds (0.0.0.0/0 to Internet; 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 and 100.64.0.0/10 to None); the virtual network's own prefixes, peerings and service endpoints are not in them".into());
    }
    ConfigCheck {
        source_region: source.clone(),
        target_region: target.clone(),
        cloud,
        service_tags_stale: age.is_some_and(|a| a > crate::model::STALE_TAGS_DAYS),
        service_tags_age_days: age,
        service_tags: meta,
        notes,
        nsgs: network.nsgs.list().iter().map(|n| n.name.clone()).collect(),
        routes: network
            .routes
            .list()
            .iter()
            .filter(|r| r.origin != crate::model::RouteOrigin::Assumed)
            .count(),
        ok: requirements
            .iter()
            .all(|r| r.need != Need::Always || r.status == ConfigStatus::Ok),
        requirements,
    }
}

/// The data is another cloud's: no verdict, and how to get the right one.
fn other_cloud(r: &mut ConfigRequirement, tags: &TagDb, cloud: Cloud) {
    r.status = ConfigStatus::Unknown;
    r.prefixes = 0;
    r.allowed = 0;
    r.denied = 0;
    r.unknown = 0;
    r.nsg = None;
    r.route = None;
    r.next_hops.clear();
    r.evidence = vec![format!(
        "unknown: the service-tag data is {}'s, and {} holds other addresses in {}",
        tags.meta().cloud,
        r.tag,
        crate::azure::clouds::display(cloud)
    )];
    r.fixes = vec![tags_file_fix(cloud)];
}

fn requirement(
    network: &Network,
    points: &[u32],
    tags: &TagDb,
    source_tags: &dyn TagSource,
    e: &Endpoint,
    source: &Region,
    target: &Region,
) -> ConfigRequirement {
    let tag = e
        .tag
        .tag(Some(&source.tag_suffix), Some(&target.tag_suffix));
    let prefixes = tags.v4_prefixes(tag.as_str());
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
        fixes: Vec::new(),
        fix: Vec::new(),
    };
    if prefixes.is_empty() {
        r.evidence.push(format!(
            "the service-tag data holds no IPv4 prefix of {tag}: nothing to evaluate"
        ));
        r.fixes
            .push(tags_file_fix(crate::azure::clouds::of_region(&source.id)));
        return r;
    }
    let (mut deny, mut unknown, mut allow): (Option<NsgVerdict>, _, _) = (None, None, None);
    let mut worst: Option<RouteVerdict> = None;
    let mut hops: Vec<(NextHop, usize)> = Vec::new();
    for &(addr, len) in &prefixes {
        // Each probe stands for a run of addresses that every block of the
        // configuration treats alike; the prefix counts as its worst probe.
        let mut verdict: Option<NsgVerdict> = None;
        let mut prefix_route: Option<RouteVerdict> = None;
        for ip in probes(points, addr, len) {
            if let Some(v) =
                network.nsg_verdict(&crate::azure::nsg::Flow::tcp(ip, 443), source_tags)
            {
                let rank = |v: &NsgVerdict| match v.allowed() {
                    Some(false) => 2,
                    None => 1,
                    Some(true) => 0,
                };
                if verdict.as_ref().is_none_or(|w| rank(&v) > rank(w)) {
                    verdict = Some(v);
                }
            }
            if let Some(route) = network.route(ip, source_tags)
                && prefix_route
                    .as_ref()
                    .is_none_or(|w| route.next_hop().harm() > w.next_hop().harm())
            {
                prefix_route = Some(route);
            }
        }
        match verdict.map(|v| (v.allowed(), v)) {
            Some((Some(false), v)) => {
                r.denied += 1;
                deny.get_or_insert(v);
            }
            Some((None, v)) => {
                r.unknown += 1;
                unknown.get_or_insert(v);
            }
            Some((Some(true), v)) => {
                r.allowed += 1;
                allow.get_or_insert(v);
            }
            None => r.allowed += 1,
        }
        if let Some(route) = prefix_route {
            match hops.iter_mut().find(|(h, _)| *h == *route.next_hop()) {
                Some((_, n)) => *n += 1,
                None => hops.push((route.next_hop().clone(), 1)),
            }
            if worst
                .as_ref()
                .is_none_or(|w| route.next_hop().harm() > w.next_hop().harm())
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
            "denied: {} (TCP 443 to {} of the {n} IPv4 prefixes of {tag})",
            steps_text(d),
            r.denied
        ));
        r.fixes.extend(beat_deny(d, &network.nsgs, &tag));
    } else if let Some(u) = &unknown {
        let mut text = format!(
            "{} of the {n} prefixes of {tag} cannot be judged from the export: {}",
            r.unknown,
            steps_text(u)
        );
        if !u.notes.is_empty() {
            text.push_str(&format!("; {}", render::network::nsg_notes(u).join("; ")));
        }
        r.evidence.push(text);
        r.fixes.push(cannot_tell_fix(u));
    } else if let Some(a) = &allow {
        r.evidence.push(format!(
            "every NSG allows TCP 443 to all {n} IPv4 prefixes of {tag} ({})",
            steps_text(a)
        ));
        for note in render::network::nsg_notes(a) {
            r.evidence.push(format!("approximation: {note}"));
        }
    }
    if let Some(m) = r.nsg.as_ref().and_then(|v| v.network_manager.clone()) {
        r.evidence.push(format!(
            "security admin rules of the Virtual Network Manager {m} apply before these NSGs and are not in the export"
        ));
        r.fixes.push(Fix::NetworkManagerRules { manager: m });
    }
    if let Some(route) = r.route.clone() {
        route_judgement(&mut r, e, &route);
    }
    if deny.is_none() && unknown.is_none() && r.status == ConfigStatus::Unknown {
        r.status = ConfigStatus::Ok;
    }
    r
}

/// Every IPv4 address where a block of the configuration begins or ends, as
/// the first address of the next run: between two such points every block
/// treats addresses alike. Sorted, without duplicates.
fn boundaries(network: &Network, tags: &TagDb) -> Vec<u32> {
    let mut points: Vec<u32> = Vec::new();
    let mut add = |b: crate::azure::address::Block| {
        if let Some((start, end)) = b.v4_span() {
            points.push(start);
            if let Ok(next) = u32::try_from(end) {
                points.push(next);
            }
        }
    };
    network.nsgs.destination_blocks().for_each(&mut add);
    network.routes.blocks().for_each(&mut add);
    let mut seen: Vec<&crate::model::TagName> = Vec::new();
    for t in network.nsgs.data_tags() {
        if !seen.contains(&t) {
            seen.push(t);
            tags.prefixes_of(t.as_str()).into_iter().for_each(&mut add);
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

/// What the worst route of a requirement does to its status and advice:
/// never a route around the appliance or gateway, but the URLs to allow on
/// it and, for the cache account, a Storage service endpoint.
fn route_judgement(r: &mut ConfigRequirement, e: &Endpoint, route: &RouteVerdict) {
    let count = r
        .next_hops
        .iter()
        .find(|(h, _)| *h == *route.next_hop())
        .map_or(0, |(_, c)| *c);
    let via = format!(
        "{count} of the {} prefixes route to {} (route {}{}, {})",
        r.prefixes,
        render::network::next_hop(route),
        route
            .route
            .as_ref()
            .and_then(|t| t.name.as_deref())
            .map(|n| format!("{n} "))
            .unwrap_or_default(),
        render::network::route_prefix(route),
        render::network::route_source(route)
    );
    for n in render::network::route_notes(route) {
        r.evidence.push(format!("route: {n}"));
    }
    let status = match route.next_hop() {
        _ if route.drops() => ConfigStatus::Dropped,
        NextHop::VirtualNetworkGateway => ConfigStatus::ForcedTunnel,
        h if h.is_appliance() => ConfigStatus::ViaAppliance,
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
        r.fixes.push(correct_route(route, &r.tag));
        return;
    }
    let (_, fixes) = past_the_nsg(e, &r.tag, Some(route));
    r.fixes.extend(fixes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EndpointId, TagName};

    /// The NIC's NSG: a deny of everything at `deny`, and allow rules of
    /// other ports at each of `taken`.
    fn nsg(deny: u32, taken: &[u32]) -> Network {
        let mut rules = vec![format!(
            r#"{{"name": "securityRules/Deny-All", "protocol": "All", "sourcePortRange": "0-65535",
               "destinationPortRange": "0-65535", "sourceAddressPrefix": "0.0.0.0/0",
               "destinationAddressPrefix": "0.0.0.0/0", "access": "Deny", "priority": {deny},
               "direction": "Outbound"}}"#
        )];
        for p in taken {
            rules.push(format!(
                r#"{{"name": "securityRules/Other-{p}", "protocol": "Udp", "sourcePortRange": "0-65535",
                   "destinationPortRange": "53-53", "sourceAddressPrefix": "0.0.0.0/0",
                   "destinationAddressPrefix": "0.0.0.0/0", "access": "Allow", "priority": {p},
                   "direction": "Outbound"}}"#
            ));
        }
        let json = format!(
            r#"{{"value": [{{"networkSecurityGroup": {{"id": "/x/networkSecurityGroups/nic-nsg"}},
                "association": {{"networkInterface": {{"id": "/x/networkInterfaces/nic"}}}},
                "effectiveSecurityRules": [{}]}}]}}"#,
            rules.join(",")
        );
        Network::new(
            crate::azure::nsg::parse_nsgs(&json).unwrap(),
            vec![],
            TagDb::embedded(),
        )
    }

    fn fix_for(network: &Network) -> Fix {
        let v = network
            .nsg_verdict(
                &crate::azure::nsg::Flow::tcp("20.38.100.1".parse().unwrap(), 443),
                TagDb::embedded(),
            )
            .unwrap();
        beat_deny(&v, &network.nsgs, &TagName::new("Storage.EastUS")).unwrap()
    }

    #[test]
    fn an_allow_rule_goes_before_the_deny_at_a_free_priority() {
        let allow_at = |priority: u32| Fix::NsgAllowBeforeDeny {
            tag: TagName::new("Storage.EastUS"),
            nsg: "nic-nsg".into(),
            priority,
            beats: ("securityRules/Deny-All".into(), 4000),
        };
        assert_eq!(fix_for(&nsg(4000, &[])), allow_at(3990));
        // 3990 is taken: the nearest free number below the deny.
        assert_eq!(fix_for(&nsg(4000, &[3990, 3999])), allow_at(3998));
        assert!(matches!(
            fix_for(&nsg(105, &[])),
            Fix::NsgAllowBeforeDeny { priority: 104, .. }
        ));
        // Nothing can come before priority 100, nor before 102 when 100 and
        // 101 are taken: the deny itself must change.
        for (n, priority) in [(nsg(100, &[]), 100), (nsg(102, &[100, 101]), 102)] {
            assert_eq!(
                fix_for(&n),
                Fix::ChangeDenyRule {
                    tag: TagName::new("Storage.EastUS"),
                    nsg: "nic-nsg".into(),
                    rule: "securityRules/Deny-All".into(),
                    priority,
                }
            );
        }
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
        let network = Network::new(
            crate::azure::nsg::parse_nsgs(&json.replace("SLICE", &slice)).unwrap(),
            vec![],
            tags,
        );
        let c = check(
            &network,
            tags,
            &region("eastus", "EastUS"),
            &region("centralus", "CentralUS"),
            &[e],
            Cloud::Public,
            None,
        );
        let r = &c.requirements[0];
        assert_eq!(r.status, ConfigStatus::Denied, "{:?}", r.evidence);
        assert_eq!(r.denied, 1);
        assert!(r.evidence[0].contains("Deny-Slice"));
    }

    #[test]
    fn the_worst_hop_is_the_one_that_drops() {
        let mut hops = [
            NextHop::Internet,
            NextHop::VirtualAppliance,
            NextHop::None,
            NextHop::VirtualNetworkGateway,
        ];
        hops.sort_by_key(|h| h.harm());
        assert_eq!(
            hops,
            [
                NextHop::Internet,
                NextHop::VirtualAppliance,
                NextHop::VirtualNetworkGateway,
                NextHop::None
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
            Cloud::Public,
            None,
        );
        assert_eq!(c.requirements[0].status, ConfigStatus::Unknown);
        assert_eq!(c.requirements[0].prefixes, 0);
        assert!(!c.ok);
    }
}
