//! Azure Firewall's documented rule processing ("Azure Firewall rule
//! processing logic", the FAQ), for one outbound flow:
//!
//! 1. Threat intelligence first: in Deny mode it drops what Microsoft's
//!    feed lists, unless the allow-list holds it. The feed cannot be read:
//!    a verdict says so, and whether the flow is on the allow-list.
//! 2. DNAT rules, then network rules, then application rules: each pass
//!    goes over every rule collection group by priority (100 first), a
//!    parent policy's groups before the child's whatever their priority;
//!    within a group its collections by priority. The first rule that
//!    matches ends the evaluation.
//! 3. Network rules match protocol, destination port, source and
//!    destination addresses, service tags (from the service-tag data of the
//!    flow's cloud), IP groups, and FQDNs only with the DNS proxy on.
//! 4. Application rules match HTTP (Host header) and HTTPS (TLS server
//!    name) on their protocols and ports, against target FQDNs with the
//!    documented wildcards: `*.contoso.com` (any name under it, not
//!    `contoso.com` itself), `*contoso.com` (any name ending so, the bare
//!    name too), `*`. FQDN tags, web categories and target URLs cannot be
//!    evaluated offline: "cannot tell", with the reason, never a guess.
//! 5. Then the infrastructure rule collection (Azure platform names only:
//!    the platform image repository, managed disk status, diagnostics),
//!    then the default deny.

use super::index::{Entry, Firewalls, Owner, Pass, Resolved, RuleSet, Uses, merge};
use super::{Action, Addr, AppProtocol, IpProtocol, RuleKind, ThreatIntelMode};
use crate::azure::tags::TagSource;
use crate::model::{
    FirewallAction, FirewallDecision, FirewallNote, FirewallPass, FirewallRuleRef, FirewallUnknown,
    FirewallVerdict, RouteVerdict, TagName,
};
use std::net::IpAddr;

/// The name a flow's application rules are matched on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameSpec {
    /// One name (lower case).
    Exact(String),
    /// Any name under this one (`*.blob.core.windows.net`: an endpoint's
    /// pattern, for `check`).
    AnyUnder(String),
}

impl NameSpec {
    /// One name, compared ignoring case and a final dot.
    pub fn exact(name: &str) -> NameSpec {
        NameSpec::Exact(name.trim().trim_end_matches('.').to_ascii_lowercase())
    }

    /// An endpoint's URL pattern: `*.x` is any name under `x`.
    pub fn pattern(p: &str) -> NameSpec {
        let p = p.trim().trim_end_matches('.').to_ascii_lowercase();
        match p.strip_prefix("*.") {
            Some(rest) => NameSpec::AnyUnder(rest.to_string()),
            None => NameSpec::Exact(p),
        }
    }
}

/// An outbound flow through a firewall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    /// TCP or UDP.
    pub protocol: IpProtocol,
    /// The VM's address; `None` takes every source as matching.
    pub source: Option<IpAddr>,
    /// The remote address.
    pub destination: IpAddr,
    /// The remote port.
    pub port: u16,
    /// The TLS server name or HTTP Host, when known.
    pub name: Option<NameSpec>,
    /// The name is the one DNS gave, not the SNI or Host header.
    pub name_from_dns: bool,
    /// HTTP or HTTPS, when the firewall's transparent proxy would see it as
    /// such (application rules apply).
    pub app: Option<AppProtocol>,
}

impl Flow {
    /// HTTPS to `destination:443` for `name`, from an unknown source
    /// (`check`'s probes).
    pub fn https(destination: IpAddr, name: NameSpec) -> Flow {
        Flow {
            protocol: IpProtocol::Tcp,
            source: None,
            destination,
            port: 443,
            name: Some(name),
            name_from_dns: false,
            app: Some(AppProtocol::Https),
        }
    }
}

/// How much of a flow's names a target pattern covers.
#[derive(Debug, PartialEq, Eq)]
enum Cover {
    All,
    Some,
    None,
}

/// Whether `pattern` (a target FQDN, lower case, with the documented
/// wildcards) covers the flow's names.
fn covers(pattern: &str, name: &NameSpec) -> Cover {
    let all = |b: bool| if b { Cover::All } else { Cover::None };
    match name {
        NameSpec::Exact(n) => {
            if pattern == "*" {
                Cover::All
            } else if let Some(rest) = pattern.strip_prefix('*') {
                // `*.x`: names ending in `.x`; `*x`: names ending in `x`.
                all(n.ends_with(rest))
            } else {
                all(n == pattern)
            }
        }
        NameSpec::AnyUnder(s) => {
            let under = format!(".{s}");
            if pattern == "*" {
                return Cover::All;
            }
            let (rest, wild) = match pattern.strip_prefix('*') {
                Some(rest) => (rest, true),
                None => (pattern, false),
            };
            if wild && under.ends_with(rest) {
                Cover::All
            } else if rest.ends_with(&under) && rest.len() > under.len() {
                Cover::Some
            } else {
                Cover::None
            }
        }
    }
}

/// What one rule does with a flow.
#[derive(Debug)]
enum Tri {
    Yes,
    No,
    Unknown(FirewallUnknown),
    /// Matches some of the flow's names only (`check`).
    Some(Vec<String>),
}

/// What a flow is matched with: its destination's and source's tags.
pub(super) struct Ctx<'a> {
    tags: &'a dyn TagSource,
    dst_tags: Vec<TagName>,
    src_tags: Vec<TagName>,
}

impl Ctx<'_> {
    /// Whether `ip` is in the addresses or IP groups of a rule field;
    /// `source` chooses which tags hold it.
    fn holds(&self, list: &[Addr], groups: &[Resolved], ip: IpAddr, source: bool) -> Tri {
        let mut unknown = None;
        for a in list {
            match a {
                Addr::Tag(t) if self.tags.knows(t) => {
                    let held = if source {
                        &self.src_tags
                    } else {
                        &self.dst_tags
                    };
                    if held.contains(t) {
                        return Tri::Yes;
                    }
                }
                Addr::Tag(t) => {
                    unknown = unknown.or(Some(FirewallUnknown::Tag {
                        tag: t.clone(),
                        why: self.tags.why_not(t),
                    }));
                }
                a if a.holds(ip) => return Tri::Yes,
                _ => {}
            }
        }
        for g in groups {
            match g {
                Resolved::Known(l) if l.iter().any(|a| a.holds(ip)) => return Tri::Yes,
                Resolved::Known(_) => {}
                Resolved::Missing(group) => {
                    unknown = unknown.or(Some(FirewallUnknown::IpGroupMissing {
                        group: group.clone(),
                    }));
                }
            }
        }
        unknown.map_or(Tri::No, Tri::Unknown)
    }

    /// A source field: no source given, or none written, matches.
    fn source(&self, list: &[Addr], groups: &[Resolved], flow: &Flow) -> Tri {
        match flow.source {
            None => Tri::Yes,
            Some(_) if list.is_empty() && groups.is_empty() => Tri::Yes,
            Some(ip) => self.holds(list, groups, ip, true),
        }
    }
}

/// The first of two conditions that fails, else what is unknown, else the
/// narrower match.
fn both(a: Tri, b: impl FnOnce() -> Tri) -> Tri {
    match a {
        Tri::No => Tri::No,
        a => match (a, b()) {
            (_, Tri::No) => Tri::No,
            (Tri::Unknown(w), _) | (_, Tri::Unknown(w)) => Tri::Unknown(w),
            (Tri::Some(n), _) | (_, Tri::Some(n)) => Tri::Some(n),
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            (Tri::No, _) => Tri::No,
        },
    }
}

fn protocol_matches(protocols: &[IpProtocol], flow: &Flow) -> bool {
    protocols.is_empty()
        || protocols.iter().any(|p| {
            *p == flow.protocol
                || (*p == IpProtocol::Any
                    && matches!(flow.protocol, IpProtocol::Tcp | IpProtocol::Udp))
        })
}

/// A network rule's destination: addresses, tags, IP groups, then FQDNs
/// (with the DNS proxy on).
fn network_destination(
    ctx: &Ctx,
    set: &RuleSet,
    e: &Entry,
    rule: &super::Rule,
    flow: &Flow,
    notes: &mut Vec<FirewallNote>,
) -> Tri {
    let RuleKind::Network {
        destinations,
        fqdns,
        ..
    } = &rule.kind
    else {
        return Tri::No;
    };
    let addresses = ctx.holds(destinations, &e.destination_groups, flow.destination, false);
    if matches!(addresses, Tri::Yes) || fqdns.is_empty() {
        return addresses;
    }
    if !set.dns_proxy {
        notes.push(FirewallNote::FqdnNeedsDnsProxy {
            rule: rule.name.clone(),
        });
        return addresses;
    }
    let Some(name) = &flow.name else {
        return Tri::Unknown(FirewallUnknown::NameUnknown);
    };
    let mut some = Vec::new();
    for f in fqdns {
        match covers(f, name) {
            Cover::All => {
                notes.push(FirewallNote::FqdnByFirewallDns { fqdn: f.clone() });
                return Tri::Yes;
            }
            Cover::Some => some.push(f.clone()),
            Cover::None => {}
        }
    }
    if some.is_empty() {
        addresses
    } else {
        Tri::Some(some)
    }
}

/// An application rule's targets against the flow's name.
fn targets(rule: &RuleKind, flow: &Flow) -> Tri {
    let RuleKind::Application {
        targets,
        urls,
        fqdn_tags,
        web_categories,
        destinations,
        ..
    } = rule
    else {
        return Tri::No;
    };
    let Some(name) = &flow.name else {
        if targets.is_empty()
            && urls.is_empty()
            && fqdn_tags.is_empty()
            && web_categories.is_empty()
        {
            return if destinations.is_empty() {
                Tri::No
            } else {
                Tri::Yes
            };
        }
        return Tri::Unknown(FirewallUnknown::NameUnknown);
    };
    let mut some = Vec::new();
    for t in targets {
        match covers(t, name) {
            Cover::All => return Tri::Yes,
            Cover::Some => some.push(t.clone()),
            Cover::None => {}
        }
    }
    if let Some(tag) = fqdn_tags.first() {
        return Tri::Unknown(FirewallUnknown::FqdnTag { tag: tag.clone() });
    }
    if let Some(category) = web_categories.first() {
        return Tri::Unknown(FirewallUnknown::WebCategory {
            category: category.clone(),
        });
    }
    for u in urls {
        let host = u
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split(['/', ':'])
            .next()
            .unwrap_or("");
        if covers(host, name) != Cover::None {
            return Tri::Unknown(FirewallUnknown::TargetUrl { url: u.clone() });
        }
    }
    if some.is_empty() {
        let only_addresses = targets.is_empty() && urls.is_empty() && !destinations.is_empty();
        if only_addresses { Tri::Yes } else { Tri::No }
    } else {
        Tri::Some(some)
    }
}

/// True when a rule narrows its sources (not `*`).
fn names_sources(kind: &RuleKind) -> bool {
    let (RuleKind::Network {
        sources,
        source_groups,
        ..
    }
    | RuleKind::Application {
        sources,
        source_groups,
        ..
    }
    | RuleKind::Nat {
        sources,
        source_groups,
        ..
    }) = kind;
    !source_groups.is_empty() || !(sources.is_empty() || sources.contains(&Addr::Any))
}

impl Firewalls {
    /// What one rule does with a flow, in the pass it is in.
    fn rule_matches(
        &self,
        ctx: &Ctx,
        set: &RuleSet,
        e: &Entry,
        flow: &Flow,
        notes: &mut Vec<FirewallNote>,
    ) -> Tri {
        let (_, rule) = self.at(e);
        match &rule.kind {
            RuleKind::Nat {
                protocols,
                sources,
                destinations,
                ports,
                ..
            } => {
                if !protocol_matches(protocols, flow)
                    || !(ports.is_empty() || ports.iter().any(|p| p.contains(flow.port)))
                {
                    return Tri::No;
                }
                both(
                    ctx.holds(destinations, &[], flow.destination, false),
                    || ctx.source(sources, &e.source_groups, flow),
                )
            }
            RuleKind::Network {
                protocols,
                sources,
                ports,
                ..
            } => {
                if !protocol_matches(protocols, flow)
                    || !(ports.is_empty() || ports.iter().any(|p| p.contains(flow.port)))
                {
                    return Tri::No;
                }
                let mut local = Vec::new();
                let out = both(ctx.source(sources, &e.source_groups, flow), || {
                    network_destination(ctx, set, e, rule, flow, &mut local)
                });
                if !matches!(out, Tri::No)
                    || local
                        .iter()
                        .any(|n| matches!(n, FirewallNote::FqdnNeedsDnsProxy { .. }))
                {
                    notes.extend(local);
                }
                out
            }
            RuleKind::Application {
                protocols,
                sources,
                destinations,
                ..
            } => {
                let Some(app) = flow.app else {
                    return Tri::No;
                };
                if !protocols
                    .iter()
                    .any(|p| p.protocol == app && p.port == flow.port)
                {
                    return Tri::No;
                }
                let dst = || {
                    if destinations.is_empty() {
                        Tri::Yes
                    } else {
                        ctx.holds(destinations, &[], flow.destination, false)
                    }
                };
                both(
                    both(ctx.source(sources, &e.source_groups, flow), dst),
                    || targets(&rule.kind, flow),
                )
            }
        }
    }

    /// The rule at `e` of pass `k` (0 DNAT, 1 network, 2 application), where it sits.
    fn rule_ref(&self, e: &Entry, k: usize) -> FirewallRuleRef {
        let (c, r) = self.at(e);
        let (group, group_priority) = match e.owner {
            Owner::Group(g) => {
                let g = &self.groups[g as usize];
                (Some(g.name.clone()), g.priority)
            }
            Owner::Classic(_) => (None, None),
        };
        FirewallRuleRef {
            policy: e.policy.map(|p| self.policies[p as usize].name.clone()),
            group,
            group_priority,
            collection: c.name.clone(),
            collection_priority: c.priority,
            rule: r.name.clone(),
            pass: [
                FirewallPass::Dnat,
                FirewallPass::Network,
                FirewallPass::Application,
            ][k],
            action: match c.action {
                Action::Allow => FirewallAction::Allow,
                Action::Deny => FirewallAction::Deny,
                Action::Dnat => FirewallAction::Dnat,
            },
        }
    }

    /// The positions of `pass` a flow may match, in evaluation order.
    fn candidates(pass: &Pass, flow: &Flow, ctx: &Ctx) -> Vec<u32> {
        let mut hits: Vec<u32> = pass.always.clone();
        hits.extend(
            pass.blocks
                .containing(flow.destination)
                .iter()
                .map(|(_, p)| **p),
        );
        for (t, ps) in &pass.by_tag {
            if ctx.dst_tags.contains(t) || !ctx.tags.knows(t) {
                hits.extend(ps);
            }
        }
        match &flow.name {
            Some(NameSpec::Exact(n)) => {
                if let Some(ps) = pass.exact.get(n) {
                    hits.extend(ps);
                }
                for &len in &pass.suffix_lens {
                    if let Some(ps) = n
                        .len()
                        .checked_sub(len)
                        .and_then(|at| n.get(at..))
                        .and_then(|s| pass.suffix.get(s))
                    {
                        hits.extend(ps);
                    }
                }
            }
            Some(NameSpec::AnyUnder(_)) => {
                hits.extend(pass.exact.values().flatten());
                hits.extend(pass.suffix.values().flatten());
            }
            None => {}
        }
        merge(hits)
    }

    /// Evaluates a flow against one rule set: what decided, and the notes.
    pub(super) fn evaluate_set(
        &self,
        set: &RuleSet,
        flow: &Flow,
        tags: &dyn TagSource,
    ) -> (FirewallDecision, Vec<FirewallNote>) {
        let mut notes = set.notes.clone();
        if let Some(why) = &set.blocked {
            return (
                FirewallDecision::CannotTell {
                    why: why.clone(),
                    at: None,
                },
                notes,
            );
        }
        if set.threat_intel.mode == Some(ThreatIntelMode::Deny) {
            let by_name = match &flow.name {
                Some(n @ NameSpec::Exact(_)) => set
                    .threat_intel
                    .allow_fqdns
                    .iter()
                    .any(|f| covers(f, n) == Cover::All),
                _ => false,
            };
            let allow_listed = by_name
                || set
                    .threat_intel
                    .allow_addresses
                    .iter()
                    .any(|a| a.holds(flow.destination));
            notes.push(FirewallNote::ThreatIntelDeny { allow_listed });
        }
        let ctx = Ctx {
            tags,
            dst_tags: tags.tags_of(flow.destination),
            src_tags: flow.source.map(|s| tags.tags_of(s)).unwrap_or_default(),
        };
        let mut allowed_some = Vec::new();
        for (k, pass) in set.passes.iter().enumerate() {
            if k == 2 && flow.app.is_none() {
                continue;
            }
            for pos in Self::candidates(pass, flow, &ctx) {
                let e = &pass.entries[pos as usize];
                match self.rule_matches(&ctx, set, e, flow, &mut notes) {
                    Tri::No => {}
                    Tri::Yes => {
                        let r = self.rule_ref(e, k);
                        if let RuleKind::Application {
                            terminate_tls: true,
                            ..
                        } = &self.at(e).1.kind
                        {
                            notes.push(FirewallNote::TlsInspection {
                                rule: r.rule.clone(),
                            });
                        }
                        if k == 2 && flow.name_from_dns {
                            notes.push(FirewallNote::NameFromDns);
                        }
                        if flow.source.is_none() && names_sources(&self.at(e).1.kind) {
                            notes.push(FirewallNote::SourceTakenAsMatching {
                                rule: r.rule.clone(),
                            });
                        }
                        return (FirewallDecision::Rule(r), notes);
                    }
                    Tri::Unknown(why) => {
                        let at = Some(self.rule_ref(e, k));
                        return (FirewallDecision::CannotTell { why, at }, notes);
                    }
                    Tri::Some(names) => {
                        let rule = self.rule_ref(e, k);
                        if rule.action == FirewallAction::Allow {
                            allowed_some.extend(names.iter().cloned());
                        }
                        notes.push(FirewallNote::SomeNames { rule, names });
                    }
                }
            }
        }
        if !allowed_some.is_empty() {
            let why = FirewallUnknown::OnlySomeNames {
                names: allowed_some,
            };
            return (FirewallDecision::CannotTell { why, at: None }, notes);
        }
        (FirewallDecision::DefaultDeny, notes)
    }

    /// What the firewall a flow crosses does with it: the firewall whose
    /// private address is the next hop of `route` (with no route export, the
    /// only firewall given); `None` without firewall exports or when the
    /// route does not lead to an appliance.
    pub fn verdict(
        &self,
        flow: &Flow,
        route: Option<&RouteVerdict>,
        tags: &dyn TagSource,
    ) -> Option<FirewallVerdict> {
        if self.is_empty() {
            return None;
        }
        let mut v = FirewallVerdict {
            firewall: None,
            address: None,
            policy: None,
            decision: FirewallDecision::DefaultDeny,
            notes: Vec::new(),
        };
        let cannot = |mut v: FirewallVerdict, why| {
            v.decision = FirewallDecision::CannotTell { why, at: None };
            Some(v)
        };
        let uses = match route {
            Some(r) => {
                if !r.to_appliance() {
                    return None;
                }
                v.address = r.next_hop_address().map(str::to_string);
                let ip: Option<IpAddr> = v.address.as_deref().and_then(|a| a.trim().parse().ok());
                match ip.and_then(|a| {
                    self.firewalls
                        .iter()
                        .position(|f| f.private_addresses.contains(&a))
                }) {
                    Some(f) => {
                        v.firewall = Some(self.firewalls[f].name.clone());
                        self.uses[f].clone()
                    }
                    None if self.firewalls.is_empty() && self.leaves.len() == 1 => {
                        let s = self.leaves[0];
                        let name = self.sets[s]
                            .policy
                            .map(|p| self.policies[p as usize].name.clone());
                        v.notes.push(FirewallNote::PolicyAssumed {
                            policy: name.unwrap_or_default(),
                        });
                        Uses::Set(s)
                    }
                    None => {
                        let address = v.address.clone();
                        return cannot(v, FirewallUnknown::RulesNotGiven { address });
                    }
                }
            }
            None => {
                let candidates = if self.firewalls.is_empty() {
                    self.leaves.len()
                } else {
                    self.firewalls.len()
                };
                if candidates != 1 {
                    return cannot(v, FirewallUnknown::WhichFirewall { candidates });
                }
                v.notes.push(FirewallNote::AssumedInPath);
                match self.firewalls.first() {
                    Some(f) => {
                        v.firewall = Some(f.name.clone());
                        self.uses[0].clone()
                    }
                    None => Uses::Set(self.leaves[0]),
                }
            }
        };
        let set = match uses {
            Uses::Set(s) => &self.sets[s],
            Uses::MissingPolicy(policy) => {
                return cannot(v, FirewallUnknown::PolicyMissing { policy });
            }
        };
        v.policy = set.policy.map(|p| self.policies[p as usize].name.clone());
        let (decision, notes) = self.evaluate_set(set, flow, tags);
        v.decision = decision;
        v.notes.extend(notes);
        Some(v)
    }
}

#[cfg(test)]
pub(super) fn tests_ctx() -> Ctx<'static> {
    Ctx {
        tags: &crate::azure::tags::NoTags,
        dst_tags: Vec::new(),
        src_tags: Vec::new(),
    }
}

#[cfg(test)]
impl Firewalls {
    pub(super) fn candidates_for_tests(pass: &Pass, flow: &Flow, ctx: &Ctx) -> Vec<u32> {
        Self::candidates(pass, flow, ctx)
    }
}
