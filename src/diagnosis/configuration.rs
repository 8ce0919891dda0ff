//! The requirement checklist judged from the NSG and route exports alone
//! (`asrscope check`). Each endpoint's service tag stands for its addresses:
//! one address of every IPv4 prefix of the tag is evaluated as an outbound TCP
//! 443 flow against the NSGs, and routed through the exported routes, with the
//! same evaluation a captured flow gets.

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
    let requirements: Vec<ConfigRequirement> = catalog
        .iter()
        .map(|e| requirement(network, tags, e, source, target))
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
    for (addr, _) in &prefixes {
        let ip = IpAddr::V4(*addr);
        let v = nsg_decision(network, tags, &crate::azure::nsg::Flow::tcp(ip, 443));
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
        if !network.routes.is_empty() {
            let route = route_to(network, tags, ip);
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

/// "NSG vm01-nic-nsg rule securityRules/Deny-EventHub (priority 200)".
fn rule_text(v: &NsgVerdict) -> String {
    format!(
        "NSG {} rule {} (priority {})",
        v.nsg.as_deref().unwrap_or("?"),
        v.rule.as_deref().unwrap_or("none matched"),
        v.priority.map_or("-".to_string(), |p| p.to_string())
    )
}

/// The allow rule that wins over a deny, as an `az` command.
fn allow_fix(d: &NsgVerdict, tag: &str) -> String {
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
