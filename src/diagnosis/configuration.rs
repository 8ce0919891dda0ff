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
//!
//! Layers are judged in the order Azure applies them to the VM's outbound
//! flow: a Virtual Network Manager's security admin rules, then the NSGs
//! (not consulted where an admin rule always allows), then the routes and
//! the firewall. The first layer that denies gives the status; the later
//! layers' verdicts and evidence are still recorded.

use super::advice::{
    beat_deny, cannot_tell_fix, correct_route, firewall_fixes, past_the_nsg, storage_fixes,
    tags_file_fix,
};
use crate::azure::Network;
use crate::azure::endpoint_policy::Account;
use crate::azure::endpoints::Endpoint;
use crate::azure::firewall::{Flow as FirewallFlow, NameSpec};
use crate::azure::outbound::Destination;
use crate::azure::tags::{TagDb, TagSource, for_cloud};
use crate::model::{
    AdminEvidence, AdminVerdict, CheckEvidence, CheckNote, Cloud, ConfigCheck, ConfigRequirement,
    ConfigStatus, DnsDecision, EndpointId, FirewallVerdict, Fix, Need, NextHop, NsgOutcome,
    NsgVerdict, OutboundVerdict, PlatformCheck, PlatformDeny, Region, RequiredTag, RouteOrigin,
    RouteVerdict,
};
use std::net::IpAddr;

/// Judges every endpoint of `catalog` (already in `cloud`'s names) for a VM
/// in `source` replicating to `target`; `today` is the day number (days
/// since 1970-01-01) the data's age is told against.
pub(crate) fn check(
    network: &Network,
    tags: &TagDb,
    source: &Region,
    target: &Region,
    catalog: &[Endpoint],
    cloud: Cloud,
    today: Option<i64>,
) -> ConfigCheck {
    let meta = tags.meta().clone();
    let same_cloud = crate::azure::clouds::of_tag_file(&meta.cloud) == Some(cloud);
    let source_tags = for_cloud(tags, cloud);
    let points = if same_cloud {
        boundaries(network, tags)
    } else {
        Vec::new()
    };
    let mut requirements: Vec<ConfigRequirement> = catalog
        .iter()
        .map(|e| {
            let tag = e.tag.tag_for(&source.tag_suffix, &target.tag_suffix);
            let r = empty(e, tag.into());
            let mut r = if same_cloud {
                requirement(r, network, &points, tags, &source_tags, e, source)
            } else {
                other_cloud(r, &meta.cloud, cloud)
            };
            dns_judgement(&mut r, network, cloud);
            r
        })
        .collect();
    let age = today
        .zip(
            meta.published
                .as_deref()
                .and_then(crate::dates::days_from_ymd),
        )
        .map(|(t, p)| t - p);
    let mut notes = Vec::new();
    if !same_cloud {
        notes.push(CheckNote::OtherCloudData {
            data: meta.cloud.clone(),
            cloud,
        });
    }
    // The admin rules given replace the note: they are evaluated.
    if let Some(m) = network
        .nsgs
        .list()
        .iter()
        .find_map(|n| n.network_manager.as_ref())
        .filter(|_| network.admin.is_empty())
    {
        notes.push(CheckNote::NetworkManager { manager: m.clone() });
    }
    if network.routes.completed() {
        notes.push(CheckNote::RoutesCompleted);
    }
    let platform = platform_checks(network);
    for r in &mut requirements {
        super::advice::name_places(&mut r.fixes, network);
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
            .filter(|r| r.origin != RouteOrigin::Assumed)
            .count(),
        exports: network.exports.clone(),
        ok: requirements
            .iter()
            .all(|r| r.need != Need::Always || r.status == ConfigStatus::Ok)
            && platform.iter().all(|p| p.status == ConfigStatus::Ok),
        requirements,
        platform,
    }
}

/// Each platform service as the NSGs treat it: denied by the first rule
/// naming its tag that denies it (the NIC's NSG first, UDP before TCP),
/// with the allow rule to add before it.
fn platform_checks(network: &Network) -> Vec<PlatformCheck> {
    crate::azure::nsg::platform::CHECKED
        .iter()
        .map(|c| {
            let (tag, port, proto_name) = (c.need.tag, c.port, c.rule_protocol);
            let deny = c.protocols.iter().find_map(|p| {
                crate::azure::nsg::platform::rules_for(&network.nsgs, tag, *p, port)
                    .into_iter()
                    .find(|r| r.access == crate::azure::nsg::Access::Deny)
            });
            let fixes = deny
                .as_ref()
                .map(|d| Fix::AllowPlatformTag {
                    tag: tag.to_string(),
                    protocol: proto_name.to_string(),
                    port,
                    nsg: d.nsg.name.clone(),
                    priority: d.nsg.free_priority_below(d.priority),
                    beats: (d.rule.to_string(), d.priority),
                    resource_group: super::advice::resource_group(d.nsg.id.as_deref()),
                })
                .into_iter()
                .collect();
            PlatformCheck {
                service: c.need.service,
                address: c.need.address,
                tag,
                protocol: proto_name,
                port,
                status: if deny.is_some() {
                    ConfigStatus::Denied
                } else {
                    ConfigStatus::Ok
                },
                denied_by: deny.map(|d| PlatformDeny {
                    nsg: d.nsg.name.clone(),
                    rule: d.rule.to_string(),
                    priority: d.priority,
                }),
                fixes,
            }
        })
        .collect()
}

/// A requirement not judged yet: unknown, nothing counted.
fn empty(e: &Endpoint, tag: RequiredTag) -> ConfigRequirement {
    ConfigRequirement {
        id: e.id,
        endpoint: e.pattern,
        tag,
        need: e.need,
        status: ConfigStatus::Unknown,
        prefixes: 0,
        allowed: 0,
        denied: 0,
        unknown: 0,
        admin: None,
        nsg: None,
        route: None,
        firewall: None,
        storage: None,
        dns: None,
        outbound: None,
        endpoint_policy: None,
        next_hops: Vec::new(),
        evidence: Vec::new(),
        fixes: Vec::new(),
    }
}

/// The data is another cloud's: no verdict, and how to get the right one.
fn other_cloud(mut r: ConfigRequirement, data: &str, cloud: Cloud) -> ConfigRequirement {
    r.evidence.push(CheckEvidence::OtherCloudData {
        data: data.to_string(),
        tag: r.tag.clone(),
        cloud,
    });
    r.fixes.push(tags_file_fix(cloud));
    r
}

/// What the prefixes of a tag add up to: how many every NSG allows, one
/// denies or cannot be told; the first verdict of each; the next hops and
/// the worst route; how many the firewall denies or cannot tell, and its
/// worst verdict.
#[derive(Default)]
struct Prefixes {
    allowed: usize,
    denied: usize,
    unknown: usize,
    deny: Option<NsgVerdict>,
    cannot_tell: Option<NsgVerdict>,
    allow: Option<NsgVerdict>,
    hops: Vec<(NextHop, usize)>,
    worst: Option<RouteVerdict>,
    fw_denied: usize,
    fw_unknown: usize,
    firewall: Option<FirewallVerdict>,
    admin: AdminTally,
    no_outbound: usize,
    outbound: Option<OutboundVerdict>,
}

/// What the security admin rules do to the prefixes of a tag: how many
/// they deny, cannot tell, or always allow (the NSGs not consulted), with
/// the first verdict of each and the worst.
#[derive(Default)]
struct AdminTally {
    denied: usize,
    unknown: usize,
    always: usize,
    deny: Option<AdminVerdict>,
    cannot_tell: Option<AdminVerdict>,
    always_allow: Option<AdminVerdict>,
    worst: Option<AdminVerdict>,
}

impl AdminTally {
    fn add(&mut self, v: AdminVerdict) {
        use crate::model::AdminOutcome;
        match v.outcome() {
            AdminOutcome::Deny => {
                self.denied += 1;
                self.deny.get_or_insert(v.clone());
            }
            AdminOutcome::CannotTell => {
                self.unknown += 1;
                self.cannot_tell.get_or_insert(v.clone());
            }
            AdminOutcome::AlwaysAllow => {
                self.always += 1;
                self.always_allow.get_or_insert(v.clone());
            }
            AdminOutcome::Allow | AdminOutcome::NoRuleMatched => {}
        }
        let kept = self.worst.take();
        self.worst = worse(kept, Some(v), AdminVerdict::harm);
    }
}

/// How bad an NSG verdict is for a requirement: a deny, then one that
/// cannot be told, then an allow.
fn nsg_harm(v: &NsgVerdict) -> u8 {
    match v.outcome() {
        NsgOutcome::Deny => 2,
        NsgOutcome::NoRuleMatched | NsgOutcome::CannotTell => 1,
        NsgOutcome::Allow => 0,
    }
}

/// The worse of two verdicts by `harm`, the first on a tie.
fn worse<T>(kept: Option<T>, new: Option<T>, harm: impl Fn(&T) -> u8) -> Option<T> {
    match (kept, new) {
        (Some(k), Some(n)) if harm(&n) > harm(&k) => Some(n),
        (None, n) => n,
        (k, _) => k,
    }
}

impl Prefixes {
    /// Evaluates every prefix of the tag, one probe per run of addresses
    /// that every block of the configuration treats alike; a prefix counts
    /// as its worst probe. The firewall a probe's route leads to is asked
    /// for the endpoint's names (`name`) on HTTPS 443.
    fn evaluate(
        network: &Network,
        points: &[u32],
        source_tags: &dyn TagSource,
        prefixes: &[(std::net::Ipv4Addr, u8)],
        name: &NameSpec,
        dest: &Destination<'_>,
    ) -> Prefixes {
        let mut p = Prefixes::default();
        // The VM's address when its NIC's export gives it; else every
        // rule's source is taken as holding it.
        let vm = network.placement.vm_address();
        for &(addr, len) in prefixes {
            let mut verdict: Option<NsgVerdict> = None;
            let mut route: Option<RouteVerdict> = None;
            let mut firewall: Option<FirewallVerdict> = None;
            let mut admin: Option<AdminVerdict> = None;
            let mut outbound: Option<OutboundVerdict> = None;
            for ip in probes(points, addr, len) {
                let flow = crate::azure::nsg::Flow {
                    source: vm,
                    ..crate::azure::nsg::Flow::tcp(ip, 443)
                };
                // Admin rules first: an Always Allow ends the evaluation and
                // the NSGs are not consulted; after a Deny they are still
                // evaluated, to be recorded.
                let a = network.admin_verdict(&flow, source_tags);
                let always = a
                    .as_ref()
                    .is_some_and(|a| a.ends_evaluation() && !a.denies());
                admin = worse(admin, a, AdminVerdict::harm);
                if !always {
                    let nsg = network.nsg_verdict(&flow, source_tags);
                    verdict = worse(verdict, nsg, nsg_harm);
                }
                let r = network.route(ip, source_tags);
                let flow = FirewallFlow {
                    source: vm,
                    ..FirewallFlow::https(ip, name.clone())
                };
                let fw = network.firewall_verdict(&flow, r.as_ref(), source_tags);
                firewall = worse(firewall, fw, FirewallVerdict::harm);
                let out = network.outbound_verdict(r.as_ref(), dest);
                outbound = worse(outbound, out, OutboundVerdict::harm);
                route = worse(route, r, |r| r.next_hop().harm());
            }
            if let Some(a) = admin {
                p.admin.add(a);
            }
            if let Some(o) = outbound {
                p.add_outbound(o);
            }
            p.add_verdict(verdict);
            if let Some(r) = route {
                p.add_route(r);
            }
            if let Some(f) = firewall {
                p.add_firewall(f);
            }
        }
        p
    }

    fn add_outbound(&mut self, v: OutboundVerdict) {
        if !v.allowed() {
            self.no_outbound += 1;
        }
        let kept = self.outbound.take();
        self.outbound = worse(kept, Some(v), OutboundVerdict::harm);
    }

    fn add_firewall(&mut self, v: FirewallVerdict) {
        match v.harm() {
            2 => self.fw_denied += 1,
            1 => self.fw_unknown += 1,
            _ => {}
        }
        let kept = self.firewall.take();
        self.firewall = worse(kept, Some(v), FirewallVerdict::harm);
    }

    fn add_verdict(&mut self, verdict: Option<NsgVerdict>) {
        let Some(v) = verdict else {
            self.allowed += 1;
            return;
        };
        match v.outcome() {
            NsgOutcome::Deny => {
                self.denied += 1;
                self.deny.get_or_insert(v);
            }
            NsgOutcome::NoRuleMatched | NsgOutcome::CannotTell => {
                self.unknown += 1;
                self.cannot_tell.get_or_insert(v);
            }
            NsgOutcome::Allow => {
                self.allowed += 1;
                self.allow.get_or_insert(v);
            }
        }
    }

    fn add_route(&mut self, route: RouteVerdict) {
        match self.hops.iter_mut().find(|(h, _)| h == route.next_hop()) {
            Some((_, n)) => *n += 1,
            None => self.hops.push((route.next_hop().clone(), 1)),
        }
        let kept = self.worst.take();
        self.worst = worse(kept, Some(route), |r| r.next_hop().harm());
    }
}

/// Judges one requirement: its tag's prefixes against the NSGs and routes.
fn requirement(
    mut r: ConfigRequirement,
    network: &Network,
    points: &[u32],
    tags: &TagDb,
    source_tags: &dyn TagSource,
    e: &Endpoint,
    source: &Region,
) -> ConfigRequirement {
    let tag = r.tag.clone();
    let prefixes = tag
        .tag()
        .map(|t| tags.v4_prefixes(t.as_str()))
        .unwrap_or_default();
    if prefixes.is_empty() {
        r.evidence.push(CheckEvidence::NoPrefixes { tag });
        r.fixes
            .push(tags_file_fix(crate::azure::clouds::of_region(&source.id)));
        return r;
    }
    let name = NameSpec::pattern(e.pattern);
    let dest = Destination {
        storage_region: tag
            .tag()
            .filter(|t| t.in_family("Storage"))
            .and_then(|t| t.region()),
        source_region: Some(&source.id),
    };
    let p = Prefixes::evaluate(network, points, source_tags, &prefixes, &name, &dest);
    r.prefixes = prefixes.len();
    (r.allowed, r.denied, r.unknown) = (p.allowed, p.denied, p.unknown);
    r.next_hops = p.hops.clone();
    r.nsg = p.deny.clone().or(p.cannot_tell.clone()).or(p.allow.clone());
    r.route = p.worst.clone();
    r.firewall = p.firewall.clone();
    r.admin = p.admin.worst.clone();
    admin_judgement(&mut r, &p.admin, network);
    r.outbound = p.outbound.clone();
    nsg_judgement(&mut r, &p, network);
    if let Some(m) = r
        .nsg
        .as_ref()
        .and_then(|v| v.network_manager.clone())
        .filter(|_| network.admin.is_empty())
    {
        r.evidence
            .push(CheckEvidence::AdminRulesFirst { manager: m.clone() });
        r.fixes.push(Fix::NetworkManagerRules {
            manager: m,
            vnet: None,
        });
    }
    if let Some(route) = &p.worst {
        route_judgement(&mut r, e, route, p.outbound.is_some());
    }
    if let Some(v) = &p.outbound {
        outbound_judgement(&mut r, &p, v);
        if !v.allowed() {
            r.fixes.push(crate::azure::outbound::fix(
                &network.placement,
                Some(&source.id),
            ));
        }
    }
    if let Some(v) = &p.firewall {
        firewall_judgement(&mut r, &p, v, network, e);
    }
    let unknown = p.cannot_tell.is_some() || p.fw_unknown > 0 || p.admin.unknown > 0;
    if p.deny.is_none() && !unknown && r.status == ConfigStatus::Unknown {
        r.status = ConfigStatus::Ok;
    }
    if dest.storage_region.is_some() {
        endpoint_policy_judgement(&mut r, network, e.id == EndpointId::CacheStorage);
    }
    if e.id == EndpointId::CacheStorage {
        storage_judgement(&mut r, network, source);
    }
    let mut fixes = Vec::with_capacity(r.fixes.len());
    for f in std::mem::take(&mut r.fixes) {
        if !fixes.contains(&f) {
            fixes.push(f);
        }
    }
    r.fixes = fixes;
    r
}

/// What the NSGs do to a requirement: the first deny and the rule that
/// beats it, else what cannot be told and how to tell it, else the rules
/// that allow every prefix and the approximations they rest on.
fn nsg_judgement(r: &mut ConfigRequirement, p: &Prefixes, network: &Network) {
    let (prefixes, tag) = (r.prefixes, r.tag.clone());
    if let Some(d) = &p.deny {
        // An admin rule that denies is applied first: its status stays.
        if !r.status.blocks() {
            r.status = ConfigStatus::Denied;
        }
        r.evidence.push(CheckEvidence::Denied {
            nsg: d.clone(),
            denied: p.denied,
            prefixes,
            tag: tag.clone(),
        });
        r.fixes.extend(beat_deny(d, &network.nsgs, &tag));
    } else if let Some(u) = &p.cannot_tell {
        r.evidence.push(CheckEvidence::CannotTell {
            nsg: u.clone(),
            unknown: p.unknown,
            prefixes,
            tag,
        });
        r.fixes.push(cannot_tell_fix(u));
    } else if let Some(a) = &p.allow {
        r.evidence.push(CheckEvidence::Allowed {
            nsg: a.clone(),
            prefixes,
            tag,
        });
        r.evidence
            .extend(a.notes.iter().cloned().map(CheckEvidence::Approximation));
    }
}

/// What the security admin rules do to a requirement, judged before the
/// NSGs: a deny gives `admin-rule-denied` with the admin rule to add before
/// it (never removing the deny); what cannot be told, and the prefixes an
/// Always Allow rule lets through without the NSGs, are said.
fn admin_judgement(r: &mut ConfigRequirement, a: &AdminTally, network: &Network) {
    let prefixes = r.prefixes;
    if let Some(d) = &a.deny {
        r.status = ConfigStatus::AdminRuleDenied;
        r.evidence.push(CheckEvidence::Admin(AdminEvidence::Denies {
            verdict: d.clone(),
            denied: a.denied,
            prefixes,
        }));
        if let Some(rule) = d.rule() {
            r.fixes
                .push(super::advice::admin_fix(rule, &network.admin, &r.tag));
        }
    }
    if let Some(u) = &a.cannot_tell {
        r.evidence
            .push(CheckEvidence::Admin(AdminEvidence::CannotTell {
                verdict: u.clone(),
                unknown: a.unknown,
                prefixes,
            }));
    }
    if let Some(al) = &a.always_allow {
        r.evidence
            .push(CheckEvidence::Admin(AdminEvidence::AlwaysAllows {
                verdict: al.clone(),
                count: a.always,
                prefixes,
            }));
    }
    if a.deny.is_none()
        && a.cannot_tell.is_none()
        && a.always_allow.is_none()
        && let Some(v) = &a.worst
    {
        r.evidence.push(CheckEvidence::Admin(AdminEvidence::Passes {
            verdict: v.clone(),
        }));
    }
}

/// What the service endpoint policies on the VM's subnet do with Storage
/// traffic to the cache account. `check` knows the account only from a
/// storage account export (`cache`: this requirement is the cache
/// account's): then a policy listing its id, subscription or resource
/// group allows it and one listing none of them denies it (the worst of
/// the accounts given). Without one, a policy listing any storage cannot
/// be told, and one listing none denies every account.
fn endpoint_policy_judgement(r: &mut ConfigRequirement, network: &Network, cache: bool) {
    let accounts: Vec<Account<'_>> = match &network.storage[..] {
        given @ [_, ..] if cache => given
            .iter()
            .map(|a| Account {
                name: Some(a.name.as_str()),
                id: a.id.as_ref(),
            })
            .collect(),
        _ => vec![Account::default()],
    };
    // Denied is worst, then cannot tell, then allowed.
    let harm = |v: &crate::model::EndpointPolicyVerdict| match v.allowed() {
        Some(false) => 2,
        None => 1,
        Some(true) => 0,
    };
    let worst = accounts
        .iter()
        .filter_map(|a| Some((*a, network.endpoint_policy_verdict(a)?)))
        .fold(None, |kept, new| {
            worse(kept, Some(new), |(_, v): &(Account<'_>, _)| harm(v))
        });
    let Some((account, v)) = worst else {
        return;
    };
    let denied_earlier = r.status.blocks();
    match v.allowed() {
        Some(false) => {
            if !denied_earlier {
                r.status = ConfigStatus::EndpointPolicyDenied;
            }
            r.fixes.extend(crate::azure::endpoint_policy::fix(
                &network.placement,
                &network.endpoint_policies,
                &account,
            ));
        }
        None if r.status == ConfigStatus::Ok => r.status = ConfigStatus::Unknown,
        _ => {}
    }
    r.evidence
        .push(CheckEvidence::EndpointPolicy { verdict: v.clone() });
    r.endpoint_policy = Some(v);
}

/// What the subnet's way out does to a requirement: `no-outbound` when
/// nothing takes some prefixes out and no earlier layer (the NSGs, a route
/// that drops) denies, with the NAT gateway to add; else what takes it
/// out, as evidence.
fn outbound_judgement(r: &mut ConfigRequirement, p: &Prefixes, v: &OutboundVerdict) {
    if v.allowed() {
        r.evidence
            .push(CheckEvidence::Outbound { verdict: v.clone() });
        return;
    }
    r.evidence.push(CheckEvidence::NoOutbound {
        verdict: v.clone(),
        denied: p.no_outbound,
        prefixes: r.prefixes,
    });
    if !r.status.blocks() {
        r.status = ConfigStatus::NoOutbound;
    }
}

/// What the firewall a route leads to does to a requirement: denied (by a
/// rule or its default deny) when the NSGs let it out, with the rule to
/// add; unknown when it cannot be told; else its allow, as evidence.
fn firewall_judgement(
    r: &mut ConfigRequirement,
    p: &Prefixes,
    v: &FirewallVerdict,
    network: &Network,
    e: &Endpoint,
) {
    let prefixes = r.prefixes;
    match v.allowed() {
        Some(false) => {
            r.evidence.push(CheckEvidence::FirewallDenies {
                verdict: v.clone(),
                denied: p.fw_denied,
                prefixes,
            });
            if !r.status.blocks() {
                r.status = ConfigStatus::FirewallDenied;
            }
        }
        None => {
            r.evidence.push(CheckEvidence::FirewallCannotTell {
                verdict: v.clone(),
                unknown: p.fw_unknown,
                prefixes,
            });
            if !r.status.blocks() {
                r.status = ConfigStatus::Unknown;
            }
        }
        Some(true) => r
            .evidence
            .push(CheckEvidence::FirewallAllows { verdict: v.clone() }),
    }
    let vm = network.placement.vm_address();
    firewall_fixes(v, &network.firewalls, e, &r.tag, vm, &mut r.fixes);
}

/// What the cache storage account's firewall does to the cache
/// requirement: the worst of the accounts given, for the source storage
/// sees (the firewall when it lets the traffic through, else the VM's
/// subnet). Its verdict and evidence are kept whatever the status; the
/// status is `storage-firewall-denied` when no earlier layer denied.
fn storage_judgement(r: &mut ConfigRequirement, network: &Network, source: &Region) {
    let source_seen =
        crate::azure::storage::source_of(false, r.firewall.as_ref(), &network.placement);
    let worst = network
        .storage
        .iter()
        .map(|a| {
            a.evaluate(&crate::azure::storage::Asked {
                source: source_seen.clone(),
                vm_region: Some(source.id.as_str()),
                seen: false,
            })
        })
        .fold(None, |kept, v| {
            worse(kept, Some(v), crate::model::StorageVerdict::harm)
        });
    let Some(v) = worst else { return };
    r.evidence.push(CheckEvidence::StorageFirewall(v.clone()));
    r.fixes.extend(storage_fixes(&v));
    match v.harm() {
        2 if !r.status.blocks() => r.status = ConfigStatus::StorageFirewallDenied,
        1 if r.status == ConfigStatus::Ok => r.status = ConfigStatus::Unknown,
        _ => {}
    }
    r.storage = Some(v);
}

/// What the private DNS zone of the cache account or the vault does for
/// the VM (with private DNS exports): name resolution comes before any
/// connection, so a zone not linked to the VM's network, or a record it
/// lacks, decides the status over every later layer; their verdicts stay
/// as evidence. A custom DNS server is said, with the forwarder it needs.
/// The cache account's name is known from a storage account export: its
/// blob endpoint's record is then the one the zone must hold.
fn dns_judgement(r: &mut ConfigRequirement, network: &Network, cloud: Cloud) {
    let names: Vec<&str> = if r.id == EndpointId::CacheStorage {
        network
            .storage
            .iter()
            .map(|a| a.blob_host.as_str())
            .collect()
    } else {
        Vec::new()
    };
    let Some(v) = network.dns_verdict(r.id, cloud, &names) else {
        return;
    };
    match &v.decision {
        DnsDecision::ZoneNotLinked => {
            r.status = ConfigStatus::DnsZoneNotLinked;
            r.fixes.insert(
                0,
                Fix::LinkZoneToVnet {
                    zone: v.zone.clone(),
                    zone_group: v.zone_group.clone(),
                    vnet: v.vnet.clone(),
                },
            );
        }
        DnsDecision::RecordMissing { names } => {
            r.status = ConfigStatus::DnsRecordMissing;
            let records: Vec<Option<String>> = if names.is_empty() {
                vec![None]
            } else {
                names.iter().cloned().map(Some).collect()
            };
            for (i, record) in records.into_iter().enumerate() {
                r.fixes.insert(
                    i,
                    Fix::AddZoneRecord {
                        zone: v.zone.clone(),
                        zone_group: v.zone_group.clone(),
                        record,
                    },
                );
            }
        }
        DnsDecision::CannotTell { .. } if r.status == ConfigStatus::Ok => {
            r.status = ConfigStatus::Unknown;
        }
        DnsDecision::CannotTell { .. } | DnsDecision::Resolves => {}
    }
    if let Some(servers) = v.custom_servers() {
        let forwarder = crate::azure::privatelink::ZONES
            .iter()
            .find(|z| z.zone == v.zone)
            .map_or_else(String::new, |z| z.forwarder.to_string());
        r.fixes.push(Fix::ForwardToAzureDns {
            servers: servers.to_vec(),
            zone: v.zone.clone(),
            forwarder,
        });
    }
    r.evidence
        .insert(0, CheckEvidence::PrivateDns { verdict: v.clone() });
    r.dns = Some(v);
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
    network.firewalls.destination_blocks().for_each(&mut add);
    network.admin.destination_blocks().for_each(&mut add);
    let mut seen: Vec<&crate::model::TagName> = Vec::new();
    for t in network
        .nsgs
        .data_tags()
        .chain(network.firewalls.data_tags())
        .chain(network.admin.data_tags())
    {
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
fn route_judgement(
    r: &mut ConfigRequirement,
    e: &Endpoint,
    route: &RouteVerdict,
    outbound_known: bool,
) {
    r.evidence
        .extend(route.notes.iter().cloned().map(CheckEvidence::Route));
    let status = match route.next_hop() {
        _ if route.drops() => ConfigStatus::Dropped,
        NextHop::VirtualNetworkGateway => ConfigStatus::ForcedTunnel,
        h if h.is_appliance() => ConfigStatus::ViaAppliance,
        _ => {
            r.evidence.push(CheckEvidence::Routes {
                hops: r.next_hops.clone(),
            });
            // Storage in the source region is reached from a private subnet
            // without an explicit outbound method; nothing else public is.
            let internet = r.next_hops.iter().find(|(h, _)| *h == NextHop::Internet);
            // With the subnet's export, its way out decides instead.
            let internet = internet.filter(|_| !outbound_known);
            if let Some((_, count)) = internet.filter(|_| e.id != EndpointId::CacheStorage) {
                r.evidence
                    .push(CheckEvidence::InternetNeedsOutbound { count: *count });
            }
            return;
        }
    };
    let count = r
        .next_hops
        .iter()
        .find(|(h, _)| h == route.next_hop())
        .map_or(0, |(_, c)| *c);
    r.evidence.push(CheckEvidence::RoutedTo {
        count,
        prefixes: r.prefixes,
        route: route.clone(),
        status,
    });
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
        beat_deny(&v, &network.nsgs, &TagName::new("Storage.EastUS").into()).unwrap()
    }

    #[test]
    fn an_allow_rule_goes_before_the_deny_at_a_free_priority() {
        let allow_at = |priority: u32| Fix::NsgAllowBeforeDeny {
            tag: TagName::new("Storage.EastUS").into(),
            nsg: "nic-nsg".into(),
            priority,
            beats: ("securityRules/Deny-All".into(), 4000),
            resource_group: None,
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
                    tag: TagName::new("Storage.EastUS").into(),
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
        let rule = r.nsg.as_ref().and_then(|n| n.deciding()?.rule.clone());
        assert_eq!(rule.as_deref(), Some("securityRules/Deny-Slice"));
        assert!(
            matches!(
                &r.evidence[0],
                CheckEvidence::Denied { denied: 1, tag, .. } if *tag == TagName::new("Storage.EastUS").into()
            ),
            "{:?}",
            r.evidence
        );
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
