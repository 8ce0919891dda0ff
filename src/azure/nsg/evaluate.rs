//! Azure's outbound NSG evaluation, over rules indexed once.
//!
//! Within one NSG, rules of the flow's direction are taken by ascending
//! priority number, and the first whose protocol, ports and addresses all
//! match decides (Allow or Deny); outbound traffic passes the NIC's NSG
//! first, then the subnet's, and both must allow it.
//!
//! Address prefixes are blocks, `*`, or service tags (compared ignoring
//! case). A tag is matched through the rule's own expanded list when the
//! export has one (effective rules), else the effective export's `tagMap`,
//! else the service-tag data ([`TagSource`]), else as follows:
//!
//! * `VirtualNetwork` — documented as the virtual network's address space,
//!   peered networks, networks connected through a gateway, the host's virtual
//!   IP and UDR prefixes. Without an expanded list it is approximated by the
//!   private RFC 1918 ranges and the result says so.
//! * `Internet` — documented as the address space outside the virtual network
//!   and reachable on the public internet (Azure's public ranges included).
//!   Without an expanded list it is approximated by "a public unicast address"
//!   and the result says so.
//! * `AzureLoadBalancer` — the host's virtual IP, 168.63.129.16.
//!
//! Rules naming application security groups cannot be evaluated from an
//! export (the VM's membership is not in it): evaluation stops there and says
//! so. A group holds VM network interfaces, so a public address (an Azure
//! service's) is taken as in no group, and the result says so.
//!
//! # The index
//!
//! Each NSG's outbound rules are sorted once. Every destination prefix that
//! can be looked up (a block, an expanded list, a `tagMap` entry, a tag of the
//! service-tag data) is filed under its blocks or its tag; the other rules
//! (`*`, `VirtualNetwork` and `Internet` without expansion, groups) are kept
//! in one list. A flow's candidates are the rules holding its destination
//! plus that list, merged in priority order and evaluated until one decides:
//! the cost follows the rules that could match, not the rules there are.

use super::{Access, Direction, Nsg, Prefix, Protocol, Rule};
use crate::azure::address::{Block, BlockIndex, unmapped};
use crate::azure::tags::TagSource;
use crate::model::{AppliedTo, NsgNote, NsgOutcome, NsgStep, NsgVerdict, SpecialTag, TagName};
use std::collections::HashMap;
use std::net::IpAddr;

/// An outbound flow from the VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    /// Tcp for Site Recovery's traffic.
    pub protocol: Protocol,
    /// The VM's address; `None` takes every source prefix as matching (the
    /// VM is always in its own NSGs' scope, and outbound rules rarely narrow
    /// the source).
    pub source: Option<IpAddr>,
    /// The VM's port; `None` takes every source port range as matching.
    pub source_port: Option<u16>,
    /// The remote address.
    pub destination: IpAddr,
    /// The remote port.
    pub destination_port: u16,
}

impl Flow {
    /// A TCP flow to `destination:port`, source unknown.
    pub fn tcp(destination: IpAddr, port: u16) -> Flow {
        Flow {
            protocol: Protocol::Tcp,
            source: None,
            source_port: None,
            destination,
            destination_port: port,
        }
    }
}

/// One NSG's outbound rules, indexed.
#[derive(Debug, Clone)]
struct Indexed {
    /// Rule indices in evaluation order (priority, then export order).
    order: Vec<u32>,
    /// Blocks of destinations (prefixes, expanded lists) → positions.
    blocks: BlockIndex<u32>,
    /// `tagMap` blocks → tag number; positions per tag number.
    tag_map: BlockIndex<u32>,
    by_tag_map: Vec<Vec<u32>>,
    /// Tags left to the service-tag data → positions (sorted).
    by_tag: HashMap<TagName, Vec<u32>>,
    /// Positions evaluated for every destination (sorted).
    always: Vec<u32>,
}

impl Indexed {
    fn new(nsg: &Nsg) -> Indexed {
        let mut order: Vec<u32> = (0..nsg.rules.len() as u32)
            .filter(|&i| nsg.rules[i as usize].direction == Direction::Outbound)
            .collect();
        order.sort_by_key(|&i| nsg.rules[i as usize].priority);
        let mut tag_map = BlockIndex::default();
        let mut tag_numbers: HashMap<&TagName, u32> = HashMap::new();
        for (n, (tag, blocks)) in nsg.tag_map.iter().enumerate() {
            if blocks.is_empty() {
                continue;
            }
            tag_numbers.insert(tag, n as u32);
            for b in blocks {
                tag_map.insert(*b, n as u32);
            }
        }
        let mut idx = Indexed {
            order: Vec::new(),
            blocks: BlockIndex::default(),
            tag_map,
            by_tag_map: vec![Vec::new(); nsg.tag_map.len()],
            by_tag: HashMap::new(),
            always: Vec::new(),
        };
        for (pos, &i) in order.iter().enumerate() {
            let pos = pos as u32;
            let rule = &nsg.rules[i as usize];
            let mut always = !rule.destination_asgs.is_empty();
            let mut expanded_filed = false;
            for p in &rule.destination_prefixes {
                match p {
                    Prefix::Any => always = true,
                    Prefix::Block(b) => idx.blocks.insert(*b, pos),
                    Prefix::Tag(_) if !rule.expanded_destination.is_empty() => {
                        if !expanded_filed {
                            for b in &rule.expanded_destination {
                                idx.blocks.insert(*b, pos);
                            }
                            expanded_filed = true;
                        }
                    }
                    Prefix::Tag(t) => match tag_numbers.get(t) {
                        Some(&n) => idx.by_tag_map[n as usize].push(pos),
                        None if t.special().is_some() => always = true,
                        None => idx.by_tag.entry(t.clone()).or_default().push(pos),
                    },
                }
            }
            if always {
                idx.always.push(pos);
            }
        }
        idx.order = order;
        idx
    }

    /// The positions of the rules that may match `ip`, in evaluation order,
    /// each with whether its destination is known to match. Lazy: callers
    /// stop at the first rule that decides.
    fn candidates<'a>(&'a self, ip: IpAddr, tags: &dyn TagSource) -> Merge<'a> {
        let mut hits: Vec<u32> = self
            .blocks
            .containing(ip)
            .iter()
            .map(|(_, p)| **p)
            .collect();
        for (_, n) in self.tag_map.containing(ip) {
            hits.extend(&self.by_tag_map[*n as usize]);
        }
        let mut others: Vec<&'a [u32]> = vec![&self.always];
        if !self.by_tag.is_empty() {
            for t in tags.tags_of(ip) {
                if let Some(ps) = self.by_tag.get(&t) {
                    hits.extend(ps);
                }
            }
            // Rules on tags the data cannot tell are evaluated (to say so).
            others.extend(
                self.by_tag
                    .iter()
                    .filter(|(t, _)| !tags.knows(t))
                    .map(|(_, ps)| ps.as_slice()),
            );
        }
        hits.sort_unstable();
        hits.dedup();
        Merge {
            hits,
            hit: 0,
            cursors: vec![0; others.len()],
            others,
        }
    }
}

/// Sorted position lists merged in order; a position in `hits` is a known
/// destination match, in any other list a rule to evaluate in full.
struct Merge<'a> {
    hits: Vec<u32>,
    hit: usize,
    others: Vec<&'a [u32]>,
    cursors: Vec<usize>,
}

impl Iterator for Merge<'_> {
    type Item = (u32, bool);

    fn next(&mut self) -> Option<(u32, bool)> {
        let mut best = self.hits.get(self.hit).copied();
        for (list, &c) in self.others.iter().zip(&self.cursors) {
            if let Some(&p) = list.get(c)
                && best.is_none_or(|b| p < b)
            {
                best = Some(p);
            }
        }
        let p = best?;
        let hit = self.hits.get(self.hit) == Some(&p);
        if hit {
            self.hit += 1;
        }
        for (list, c) in self.others.iter().zip(self.cursors.iter_mut()) {
            while list.get(*c) == Some(&p) {
                *c += 1;
            }
        }
        Some((p, hit))
    }
}

/// The NSGs of a VM, indexed once for evaluation.
#[derive(Debug, Clone, Default)]
pub struct Nsgs {
    nsgs: Vec<Nsg>,
    /// Evaluation order: the NIC's NSGs, then the subnet's, then the others.
    order: Vec<usize>,
    index: Vec<Indexed>,
}

impl Nsgs {
    /// Indexes `nsgs`.
    pub fn new(nsgs: Vec<Nsg>) -> Nsgs {
        let rank = |n: &Nsg| match n.applied_to {
            AppliedTo::Nic => 0,
            AppliedTo::Subnet => 1,
            AppliedTo::Unknown => 2,
        };
        let mut order: Vec<usize> = (0..nsgs.len()).collect();
        order.sort_by_key(|&i| rank(&nsgs[i]));
        let index = nsgs.iter().map(Indexed::new).collect();
        Nsgs { nsgs, order, index }
    }

    /// The NSGs, as read.
    pub fn list(&self) -> &[Nsg] {
        &self.nsgs
    }

    /// True when no NSG was given.
    pub fn is_empty(&self) -> bool {
        self.nsgs.is_empty()
    }

    /// The NSG at `index` of [`Nsgs::list`] (an [`NsgStep`]'s
    /// `nsg_index`).
    pub fn get(&self, index: usize) -> Option<&Nsg> {
        self.nsgs.get(index)
    }

    /// Every block a destination prefix names (prefixes, expanded lists,
    /// `tagMap` entries), for cutting address ranges where rules begin and
    /// end.
    pub fn destination_blocks(&self) -> impl Iterator<Item = Block> + '_ {
        self.index
            .iter()
            .flat_map(|i| i.blocks.blocks().chain(i.tag_map.blocks()))
    }

    /// The service tags rules leave to the service-tag data.
    pub fn data_tags(&self) -> impl Iterator<Item = &TagName> + '_ {
        self.index.iter().flat_map(|i| i.by_tag.keys())
    }

    /// Evaluates an outbound flow: the NIC's NSG, then the subnet's (NSGs
    /// whose place is unknown come last); every one must allow. No NSG at
    /// all allows everything.
    pub fn evaluate(&self, flow: &Flow, tags: &dyn TagSource) -> NsgVerdict {
        let mut steps = Vec::new();
        let mut notes = Vec::new();
        for &n in &self.order {
            let (step, why) = self.evaluate_one(n, flow, tags, &mut notes);
            let outcome = step.outcome;
            steps.push(step);
            notes.extend(why);
            match outcome {
                NsgOutcome::Deny => break,
                NsgOutcome::NoRuleMatched => notes.push(NsgNote::NoRuleMatched {
                    nsg: self.nsgs[n].name.clone(),
                }),
                NsgOutcome::Allow | NsgOutcome::CannotTell => {}
            }
        }
        NsgVerdict {
            steps,
            network_manager: self.nsgs.iter().find_map(|n| n.network_manager.clone()),
            notes,
        }
    }

    /// How many rules of each NSG could match `ip` and would be evaluated
    /// for it at most.
    #[cfg(test)]
    pub(super) fn candidate_counts(&self, ip: IpAddr, tags: &dyn TagSource) -> Vec<usize> {
        self.index
            .iter()
            .map(|i| i.candidates(ip, tags).count())
            .collect()
    }

    fn evaluate_one(
        &self,
        n: usize,
        flow: &Flow,
        tags: &dyn TagSource,
        notes: &mut Vec<NsgNote>,
    ) -> (NsgStep, Option<NsgNote>) {
        let nsg = &self.nsgs[n];
        let idx = &self.index[n];
        let step = |rule: Option<&Rule>, outcome| NsgStep {
            nsg: nsg.name.clone(),
            nsg_index: n,
            applied_to: nsg.applied_to,
            export: nsg.export,
            rule: rule.map(|r| r.name.clone()),
            priority: rule.map(|r| r.priority),
            outcome,
        };
        for (pos, hit) in idx.candidates(flow.destination, tags) {
            let rule = &nsg.rules[idx.order[pos as usize] as usize];
            match rule_matches(rule, nsg, flow, hit, tags, notes) {
                Tri::No => {}
                Tri::Yes => {
                    let outcome = match rule.access {
                        Access::Allow => NsgOutcome::Allow,
                        Access::Deny => NsgOutcome::Deny,
                    };
                    return (step(Some(rule), outcome), None);
                }
                Tri::Unknown(why) => return (step(Some(rule), NsgOutcome::CannotTell), Some(why)),
            }
        }
        (step(None, NsgOutcome::NoRuleMatched), None)
    }
}

/// Whether a rule, or one of its fields, matches: yes, no, or cannot be
/// told (with why).
pub(crate) enum Tri {
    /// It matches.
    Yes,
    /// It does not.
    No,
    /// The export cannot tell.
    Unknown(NsgNote),
}

fn rule_matches(
    rule: &Rule,
    nsg: &Nsg,
    flow: &Flow,
    destination_hit: bool,
    tags: &dyn TagSource,
    notes: &mut Vec<NsgNote>,
) -> Tri {
    if rule.protocol != Protocol::Any && rule.protocol != flow.protocol {
        return Tri::No;
    }
    if !rule
        .destination_ports
        .iter()
        .any(|p| p.contains(flow.destination_port))
    {
        return Tri::No;
    }
    if let Some(port) = flow.source_port
        && !rule.source_ports.iter().any(|p| p.contains(port))
    {
        return Tri::No;
    }
    let mut local = Vec::new();
    let dst = if destination_hit {
        Tri::Yes
    } else {
        addresses_match(
            &rule.destination_prefixes,
            &rule.expanded_destination,
            &rule.destination_asgs,
            nsg,
            Some(flow.destination),
            tags,
            &mut local,
        )
    };
    let src = match dst {
        Tri::No => {
            if let Some(asg) = rule.destination_asgs.first()
                && is_public(flow.destination)
            {
                notes.push(NsgNote::AsgNotPublic {
                    asg: super::last_segment(asg).to_string(),
                    rule: rule.name.clone(),
                    address: flow.destination,
                });
            }
            return Tri::No;
        }
        _ => addresses_match(
            &rule.source_prefixes,
            &rule.expanded_source,
            &rule.source_asgs,
            nsg,
            flow.source,
            tags,
            &mut local,
        ),
    };
    let out = match (dst, src) {
        (Tri::No, _) | (_, Tri::No) => Tri::No,
        (Tri::Unknown(w), _) | (_, Tri::Unknown(w)) => Tri::Unknown(w),
        (Tri::Yes, Tri::Yes) => Tri::Yes,
    };
    if !matches!(out, Tri::No) {
        notes.extend(local);
    }
    out
}

fn addresses_match(
    prefixes: &[Prefix],
    expanded: &[Block],
    asgs: &[String],
    nsg: &Nsg,
    ip: Option<IpAddr>,
    tags: &dyn TagSource,
    notes: &mut Vec<NsgNote>,
) -> Tri {
    let Some(ip) = ip else {
        // The VM's own address is not given: its membership of a source
        // group is unknown, any other source is taken as matching (see
        // [`Flow::source`]).
        return match asgs.first() {
            Some(asg) => asg_unknown(asg),
            None => Tri::Yes,
        };
    };
    let mut unknown = None;
    for p in prefixes {
        match p {
            Prefix::Any => return Tri::Yes,
            Prefix::Block(b) if b.contains(ip) => return Tri::Yes,
            Prefix::Block(_) => {}
            Prefix::Tag(tag) => match tag_matches(tag, expanded, &nsg.tag_map, ip, tags, notes) {
                Tri::Yes => return Tri::Yes,
                Tri::No => {}
                Tri::Unknown(w) => unknown = unknown.or(Some(w)),
            },
        }
    }
    if let Some(asg) = asgs.first() {
        // An application security group groups VM network interfaces, whose
        // addresses are the virtual network's: a public address (an Azure
        // service's) is taken as outside every group.
        if !is_public(ip) {
            return asg_unknown(asg);
        }
    }
    unknown.map(Tri::Unknown).unwrap_or(Tri::No)
}

fn asg_unknown(asg: &str) -> Tri {
    Tri::Unknown(NsgNote::AsgMembership {
        asg: super::last_segment(asg).to_string(),
    })
}

/// Whether `ip` is in one address prefix of a rule, as an NSG rule's
/// prefix is matched: `*`, a block, or a service tag through the service-tag
/// data, with the documented special tags approximated (the note says so).
/// Other layers whose rules name the same prefixes (security admin rules)
/// use it.
pub(crate) fn prefix_holds(
    prefix: &Prefix,
    ip: IpAddr,
    tags: &dyn TagSource,
    notes: &mut Vec<NsgNote>,
) -> Tri {
    match prefix {
        Prefix::Any => Tri::Yes,
        Prefix::Block(b) => yes_no(b.contains(ip)),
        Prefix::Tag(tag) => tag_matches(tag, &[], &Default::default(), ip, tags, notes),
    }
}

fn tag_matches(
    tag: &TagName,
    expanded: &[Block],
    tag_map: &std::collections::BTreeMap<TagName, Vec<Block>>,
    ip: IpAddr,
    tags: &dyn TagSource,
    notes: &mut Vec<NsgNote>,
) -> Tri {
    if !expanded.is_empty() {
        return yes_no(expanded.iter().any(|b| b.contains(ip)));
    }
    if let Some(list) = tag_map.get(tag).filter(|l| !l.is_empty()) {
        return yes_no(list.iter().any(|b| b.contains(ip)));
    }
    match tag.special() {
        None if tags.knows(tag) => yes_no(tags.tags_of(ip).contains(tag)),
        None => Tri::Unknown(NsgNote::TagUnknown {
            tag: tag.clone(),
            why: tags.why_not(tag),
            address: ip,
        }),
        Some(SpecialTag::VirtualNetwork) => {
            notes.push(NsgNote::VirtualNetworkAsPrivate);
            yes_no(is_rfc1918(ip))
        }
        Some(SpecialTag::Internet) => {
            notes.push(NsgNote::InternetAsPublic);
            yes_no(is_public(ip))
        }
        Some(SpecialTag::AzureLoadBalancer | SpecialTag::AzurePlatformDns) => {
            yes_no(ip == IpAddr::V4(crate::azure::platform::WIRESERVER))
        }
        Some(SpecialTag::AzurePlatformImds) => {
            yes_no(ip == IpAddr::V4(crate::azure::platform::IMDS))
        }
    }
}

fn yes_no(b: bool) -> Tri {
    if b { Tri::Yes } else { Tri::No }
}

fn is_rfc1918(ip: IpAddr) -> bool {
    matches!(unmapped(ip), IpAddr::V4(a) if a.is_private())
}

/// A public unicast address (what `Internet` stands for without its list).
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match unmapped(ip) {
        IpAddr::V4(a) => {
            let shared = a.octets()[0] == 100 && (a.octets()[1] & 0xc0) == 64;
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_multicast()
                || a.is_broadcast()
                || a.is_unspecified()
                || a.is_documentation()
                || shared
                || a.octets()[0] == 0
                || a.octets()[0] >= 240)
        }
        // Global unicast 2000::/3.
        IpAddr::V6(a) => (a.segments()[0] & 0xe000) == 0x2000,
    }
}
