//! The rule sets a flow can meet, indexed once.
//!
//! A rule set is what one firewall evaluates: a policy with its parents
//! (the parents' rule collection groups first, whatever their priority, then
//! each policy's groups by priority, 100 first; within a group its
//! collections by priority), or a firewall's classic collections (by
//! priority within each rule type). Each set is cut into three passes,
//! DNAT, network and application rules, as Azure iterates over the groups
//! once per rule type.
//!
//! Each pass files its rules where a flow finds them: network and DNAT
//! rules under their destination blocks (ranges cut into blocks, IP groups
//! resolved) and service tags; application rules under their target names
//! (exact, or the suffix a leading `*` leaves). The rest (`*`, FQDNs,
//! FQDN tags, web categories, IP groups not given) is evaluated for every
//! flow. A flow then costs the rules that could match it, not the rules
//! there are.

use super::{Action, Addr, Collection, Exports, Firewall, Group, IpGroup, Policy, Rule, RuleKind};
use super::{ThreatIntel, same_resource};
use crate::azure::address::{Block, BlockIndex};
use crate::model::{FirewallNote, FirewallUnknown, TagName};
use std::collections::HashMap;

/// Where a rule is: in a policy's group, or in a firewall's classic rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Owner {
    /// `Firewalls::groups[n]`.
    Group(u32),
    /// `Firewalls::firewalls[n]`.
    Classic(u32),
}

/// An IP group a rule names, resolved.
#[derive(Debug, Clone)]
pub(super) enum Resolved {
    /// Its addresses.
    Known(Vec<Addr>),
    /// Not given: its name.
    Missing(String),
}

/// One rule of a pass, with its IP groups resolved.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    pub owner: Owner,
    pub collection: u32,
    pub rule: u32,
    /// The policy holding it (`Firewalls::policies[n]`).
    pub policy: Option<u32>,
    pub source_groups: Vec<Resolved>,
    pub destination_groups: Vec<Resolved>,
}

/// One pass of a rule set, indexed.
#[derive(Debug, Clone, Default)]
pub(super) struct Pass {
    /// Its rules in evaluation order.
    pub entries: Vec<Entry>,
    /// Destination blocks → positions.
    pub blocks: BlockIndex<u32>,
    /// Destination service tags → positions (sorted).
    pub by_tag: HashMap<TagName, Vec<u32>>,
    /// Target names → positions (sorted).
    pub exact: HashMap<String, Vec<u32>>,
    /// What follows a target's leading `*` → positions (sorted).
    pub suffix: HashMap<String, Vec<u32>>,
    /// The lengths of those suffixes.
    pub suffix_lens: Vec<usize>,
    /// Positions evaluated for every flow (sorted).
    pub always: Vec<u32>,
}

/// What one firewall evaluates.
#[derive(Debug, Clone)]
pub(super) struct RuleSet {
    /// The policy evaluated (`Firewalls::policies[n]`), `None` for classic rules.
    pub policy: Option<u32>,
    /// DNS proxy on (FQDNs in network rules can match).
    pub dns_proxy: bool,
    /// Threat intelligence, inherited.
    pub threat_intel: ThreatIntel,
    /// What makes every verdict of the set unknown (a parent or groups missing).
    pub blocked: Option<FirewallUnknown>,
    /// Notes every verdict of the set carries.
    pub notes: Vec<FirewallNote>,
    /// DNAT, network, application.
    pub passes: [Pass; 3],
}

/// Which set a firewall uses.
#[derive(Debug, Clone)]
pub(super) enum Uses {
    /// `Firewalls::sets[n]`.
    Set(usize),
    /// A policy whose export was not given.
    MissingPolicy(String),
}

/// The firewall exports given, indexed once for evaluation.
#[derive(Debug, Clone, Default)]
pub struct Firewalls {
    pub(super) policies: Vec<Policy>,
    /// Policies known only from their groups' ids.
    pub(super) settings_given: Vec<bool>,
    pub(super) groups: Vec<Group>,
    pub(super) firewalls: Vec<Firewall>,
    pub(super) sets: Vec<RuleSet>,
    /// Per firewall, what it uses.
    pub(super) uses: Vec<Uses>,
    /// The sets of policies that no other policy inherits from.
    pub(super) leaves: Vec<usize>,
    /// Every destination block named (for `check`'s probes).
    pub(super) blocks: Vec<Block>,
    /// Every service tag named in destinations.
    pub(super) tags: Vec<TagName>,
}

/// The most parents followed: Azure allows one level; a longer chain, or a
/// loop, is cut here.
const MAX_DEPTH: usize = 8;

impl Firewalls {
    /// The id of the resource an allow rule at `place` goes in: the policy,
    /// or the firewall for classic rules; `None` when its export did not
    /// give it.
    pub fn id_of(&self, place: &crate::model::FirewallPlace) -> Option<&str> {
        use crate::model::FirewallPlace;
        match place {
            FirewallPlace::NewCollection { policy, .. }
            | FirewallPlace::Collection { policy, .. } => self
                .policies
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case(policy))
                .and_then(|p| p.id.as_deref()),
            FirewallPlace::Classic { firewall, .. } => self
                .firewalls
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(firewall))
                .and_then(|f| f.id.as_deref()),
        }
    }

    /// Indexes what was read.
    pub fn new(exports: Exports) -> Firewalls {
        let Exports {
            mut policies,
            groups,
            firewalls,
            ip_groups,
        } = exports;
        let mut settings_given = vec![true; policies.len()];
        // Groups whose policy was not given make a policy of their own.
        let mut owner: Vec<usize> = Vec::with_capacity(groups.len());
        for g in &groups {
            let found = match g.policy_id() {
                Some(pid) => policies
                    .iter()
                    .position(|p| same_resource(pid, p.id.as_deref(), &p.name)),
                None if policies.len() == 1 => Some(0),
                None => None,
            };
            let n = found.unwrap_or_else(|| {
                let pid = g.policy_id().map(str::to_string);
                let name = pid
                    .as_deref()
                    .map_or("(policy not named)", crate::azure::nsg::last_segment)
                    .to_string();
                match policies.iter().position(|p| p.id == pid && p.name == name) {
                    Some(n) => n,
                    None => {
                        policies.push(bare_policy(name, pid));
                        settings_given.push(false);
                        policies.len() - 1
                    }
                }
            });
            owner.push(n);
        }
        let mut fw = Firewalls {
            policies,
            settings_given,
            groups,
            firewalls,
            ..Firewalls::default()
        };
        fw.build_sets(&owner, &ip_groups);
        fw
    }

    /// True when no firewall, policy or rule collection group was given.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty() && self.firewalls.is_empty()
    }

    /// Every destination block the rules name, for cutting address ranges
    /// where rules begin and end.
    pub fn destination_blocks(&self) -> impl Iterator<Item = Block> + '_ {
        self.blocks.iter().copied()
    }

    /// The service tags destinations name.
    pub fn data_tags(&self) -> impl Iterator<Item = &TagName> + '_ {
        self.tags.iter()
    }

    /// The policies read (and those known only from their groups).
    pub fn policy_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.policies.iter().map(|p| p.name.as_str())
    }

    /// The firewalls read.
    pub fn firewall_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.firewalls.iter().map(|f| f.name.as_str())
    }

    /// The collection and rule at `e`.
    pub(super) fn at(&self, e: &Entry) -> (&Collection, &Rule) {
        let c = match e.owner {
            Owner::Group(g) => &self.groups[g as usize].collections[e.collection as usize],
            Owner::Classic(f) => &self.firewalls[f as usize].collections[e.collection as usize],
        };
        (c, &c.rules[e.rule as usize])
    }

    fn build_sets(&mut self, owner: &[usize], ip_groups: &[IpGroup]) {
        let mut set_of_policy: Vec<Option<usize>> = vec![None; self.policies.len()];
        let inherited: Vec<bool> = (0..self.policies.len())
            .map(|n| {
                let p = &self.policies[n];
                self.policies.iter().any(|c| {
                    c.base
                        .as_deref()
                        .is_some_and(|b| same_resource(b, p.id.as_deref(), &p.name))
                })
            })
            .collect();
        for n in 0..self.policies.len() {
            let set = self.policy_set(n, owner, ip_groups);
            set_of_policy[n] = Some(self.sets.len());
            if !inherited[n] {
                self.leaves.push(self.sets.len());
            }
            self.sets.push(set);
        }
        for f in 0..self.firewalls.len() {
            let uses = match self.firewalls[f].policy.clone() {
                Some(pid) => match self
                    .policies
                    .iter()
                    .position(|p| same_resource(&pid, p.id.as_deref(), &p.name))
                {
                    Some(n) => Uses::Set(set_of_policy[n].unwrap_or(0)),
                    None => Uses::MissingPolicy(crate::azure::nsg::last_segment(&pid).to_string()),
                },
                None => {
                    let set = self.classic_set(f, ip_groups);
                    self.sets.push(set);
                    Uses::Set(self.sets.len() - 1)
                }
            };
            self.uses.push(uses);
        }
        self.blocks
            .sort_unstable_by_key(|b| (b.first(), b.prefix_len()));
        self.blocks.dedup();
        self.tags.sort();
        self.tags.dedup();
    }

    /// The chain of policies `n` inherits from, root first; the parent that
    /// is missing, when one is.
    fn chain(&self, n: usize) -> (Vec<usize>, Option<String>) {
        let mut chain = vec![n];
        let mut cur = n;
        while let Some(base) = self.policies[cur].base.clone() {
            let parent = self
                .policies
                .iter()
                .position(|p| same_resource(&base, p.id.as_deref(), &p.name));
            match parent {
                Some(p) if !chain.contains(&p) && chain.len() < MAX_DEPTH => {
                    chain.push(p);
                    cur = p;
                }
                _ => {
                    chain.reverse();
                    return (
                        chain,
                        Some(crate::azure::nsg::last_segment(&base).to_string()),
                    );
                }
            }
        }
        chain.reverse();
        (chain, None)
    }

    fn policy_set(&mut self, n: usize, owner: &[usize], ip: &[IpGroup]) -> RuleSet {
        let (chain, missing_parent) = self.chain(n);
        let mut set = RuleSet {
            policy: Some(n as u32),
            dns_proxy: false,
            threat_intel: ThreatIntel::default(),
            blocked: missing_parent.map(|parent| FirewallUnknown::ParentPolicyMissing { parent }),
            notes: Vec::new(),
            passes: Default::default(),
        };
        let mut dns = None;
        for &p in &chain {
            let policy = &self.policies[p];
            dns = policy.dns_proxy.or(dns);
            let t = &policy.threat_intel;
            set.threat_intel.mode = t.mode.or(set.threat_intel.mode);
            set.threat_intel
                .allow_addresses
                .extend(t.allow_addresses.iter().cloned());
            set.threat_intel
                .allow_fqdns
                .extend(t.allow_fqdns.iter().cloned());
            if !self.settings_given[p] {
                set.notes.push(FirewallNote::PolicySettingsNotGiven {
                    policy: policy.name.clone(),
                });
            }
            let mut mine: Vec<usize> = (0..self.groups.len()).filter(|&g| owner[g] == p).collect();
            let missing = policy
                .group_ids
                .iter()
                .filter(|id| {
                    !mine.iter().any(|&g| {
                        let gr = &self.groups[g];
                        same_resource(id, gr.id.as_deref(), &gr.name)
                    })
                })
                .count();
            if missing > 0 && set.blocked.is_none() {
                set.blocked = Some(FirewallUnknown::GroupsMissing {
                    policy: policy.name.clone(),
                    missing,
                });
            }
            mine.sort_by_key(|&g| self.groups[g].priority.unwrap_or(u32::MAX));
            for g in mine {
                let cols = order(&self.groups[g].collections);
                for c in cols {
                    self.file(&mut set, Owner::Group(g as u32), c, Some(p as u32), ip);
                }
            }
        }
        set.dns_proxy = dns.unwrap_or(false);
        set
    }

    fn classic_set(&mut self, f: usize, ip: &[IpGroup]) -> RuleSet {
        let fw = &self.firewalls[f];
        let mut set = RuleSet {
            policy: None,
            dns_proxy: fw.dns_proxy.unwrap_or(false),
            threat_intel: fw.threat_intel.clone(),
            blocked: None,
            notes: Vec::new(),
            passes: Default::default(),
        };
        for c in order(&fw.collections) {
            self.file(&mut set, Owner::Classic(f as u32), c, None, ip);
        }
        set
    }

    /// Files collection `c` of `owner` into the passes of `set`.
    fn file(
        &mut self,
        set: &mut RuleSet,
        owner: Owner,
        c: usize,
        policy: Option<u32>,
        ip: &[IpGroup],
    ) {
        let collection = match owner {
            Owner::Group(g) => &self.groups[g as usize].collections[c],
            Owner::Classic(f) => &self.firewalls[f as usize].collections[c],
        };
        if collection.priority.is_none() {
            set.notes.push(FirewallNote::CollectionPriorityMissing {
                collection: collection.name.clone(),
            });
        }
        for (r, rule) in collection.rules.iter().enumerate() {
            let (pass, sources, destinations) = match (&rule.kind, collection.action) {
                (RuleKind::Nat { source_groups, .. }, _) => (0, source_groups.as_slice(), &[][..]),
                (
                    RuleKind::Network {
                        source_groups,
                        destination_groups,
                        ..
                    },
                    a,
                ) if a != Action::Dnat => {
                    (1, source_groups.as_slice(), destination_groups.as_slice())
                }
                (RuleKind::Application { source_groups, .. }, a) if a != Action::Dnat => {
                    (2, source_groups.as_slice(), &[][..])
                }
                // A rule of the wrong type for its collection: Azure refuses it.
                _ => continue,
            };
            let entry = Entry {
                owner,
                collection: c as u32,
                rule: r as u32,
                policy,
                source_groups: sources.iter().map(|g| resolve(g, ip)).collect(),
                destination_groups: destinations.iter().map(|g| resolve(g, ip)).collect(),
            };
            file_entry(
                &mut set.passes[pass],
                entry,
                rule,
                &mut self.blocks,
                &mut self.tags,
            );
        }
    }
}

/// A policy known only from its groups' ids.
fn bare_policy(name: String, id: Option<String>) -> Policy {
    Policy {
        name,
        id,
        base: None,
        threat_intel: ThreatIntel::default(),
        dns_proxy: None,
        tls_inspection_ca: false,
        group_ids: Vec::new(),
    }
}

/// Collections in evaluation order: by priority (none last), then as exported.
fn order(collections: &[Collection]) -> Vec<usize> {
    let mut v: Vec<usize> = (0..collections.len()).collect();
    v.sort_by_key(|&c| collections[c].priority.unwrap_or(u32::MAX));
    v
}

fn resolve(reference: &str, ip: &[IpGroup]) -> Resolved {
    match ip
        .iter()
        .find(|g| same_resource(reference, g.id.as_deref(), &g.name))
    {
        Some(g) => Resolved::Known(g.addresses.clone()),
        None => Resolved::Missing(crate::azure::nsg::last_segment(reference).to_string()),
    }
}

/// Files one rule at the end of `pass`, where its destinations let a flow
/// find it.
fn file_entry(
    pass: &mut Pass,
    entry: Entry,
    rule: &Rule,
    blocks: &mut Vec<Block>,
    tags: &mut Vec<TagName>,
) {
    let pos = pass.entries.len() as u32;
    let mut always = false;
    let mut addrs = |list: &[Addr], idx: &mut Pass, always: &mut bool| {
        for a in list {
            match a {
                Addr::Any => *always = true,
                Addr::Tag(t) => {
                    idx.by_tag.entry(t.clone()).or_default().push(pos);
                    tags.push(t.clone());
                }
                _ => {
                    for b in a.blocks() {
                        idx.blocks.insert(b, pos);
                        blocks.push(b);
                    }
                }
            }
        }
    };
    match &rule.kind {
        RuleKind::Nat { destinations, .. } => addrs(destinations, pass, &mut always),
        RuleKind::Network {
            destinations,
            fqdns,
            ..
        } => {
            addrs(destinations, pass, &mut always);
            for g in &entry.destination_groups {
                match g {
                    Resolved::Known(list) => addrs(list, pass, &mut always),
                    Resolved::Missing(_) => always = true,
                }
            }
            always |= !fqdns.is_empty();
        }
        RuleKind::Application {
            targets,
            urls,
            fqdn_tags,
            web_categories,
            ..
        } => {
            for t in targets {
                if t == "*" {
                    always = true;
                } else if let Some(rest) = t.strip_prefix('*') {
                    pass.suffix.entry(rest.to_string()).or_default().push(pos);
                    if !pass.suffix_lens.contains(&rest.len()) {
                        pass.suffix_lens.push(rest.len());
                    }
                } else {
                    pass.exact.entry(t.clone()).or_default().push(pos);
                }
            }
            always |= !urls.is_empty() || !fqdn_tags.is_empty() || !web_categories.is_empty();
            always |= targets.is_empty() && urls.is_empty();
        }
    }
    if always {
        pass.always.push(pos);
    }
    pass.entries.push(entry);
}

/// The positions of a pass a flow may match, in evaluation order.
pub(super) fn merge(mut hits: Vec<u32>) -> Vec<u32> {
    hits.sort_unstable();
    hits.dedup();
    hits
}
