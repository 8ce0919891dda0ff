//! Microsoft's documented evaluation of security admin rules, for one
//! outbound flow ("Security admin rules in Azure Virtual Network Manager"):
//! admin rules are evaluated before the NSGs; the lower the priority number
//! the earlier; the first rule whose protocol, ports and addresses match
//! decides. `Deny` drops the flow and `AlwaysAllow` lets it through, both
//! ending the evaluation (no NSG is consulted); `Allow`, or no rule
//! matching, leaves the flow to the NSGs.
//!
//! Rules of several security admin configurations (or network managers)
//! are taken in one order by priority number: how Azure orders them against
//! each other is not documented, and the verdict says so. A rule naming a
//! network group, or a service tag the service-tag data cannot tell, stops
//! the evaluation with "cannot tell".

use super::{Address, AdminRule, Page};
use crate::azure::address::Block;
use crate::azure::nsg::evaluate::{Tri, prefix_holds};
use crate::azure::nsg::{Direction, Flow, Prefix, Protocol, last_segment};
use crate::azure::tags::TagSource;
use crate::model::{AdminDecision, AdminNote, AdminUnknown, AdminVerdict, NsgNote, TagName};
use std::net::IpAddr;

/// The effective security admin rules of the VM's virtual network, every
/// page given, outbound rules sorted once.
#[derive(Debug, Clone, Default)]
pub struct AdminRules {
    /// Outbound rules by priority (export order on a tie).
    outbound: Vec<AdminRule>,
    /// Rules read, of both directions.
    read: usize,
    /// Pages given.
    pages: usize,
    /// Pages that say another follows.
    pages_with_more: usize,
    /// `manager/configuration` of every rule, once each.
    configurations: Vec<String>,
    /// Every rule's configuration, collection and priority (both
    /// directions): a priority is unique within a collection.
    taken: Vec<(Option<String>, Option<String>, u32)>,
}

impl AdminRules {
    /// Indexes every page given.
    pub fn new(pages: Vec<Page>) -> AdminRules {
        let mut out = AdminRules {
            pages: pages.len(),
            pages_with_more: pages.iter().filter(|p| p.more).count(),
            ..AdminRules::default()
        };
        for rule in pages.into_iter().flat_map(|p| p.rules) {
            out.read += 1;
            let cfg = format!(
                "{}/{}",
                rule.manager.as_deref().unwrap_or("-"),
                rule.configuration.as_deref().unwrap_or("-")
            );
            if !out.configurations.contains(&cfg) {
                out.configurations.push(cfg);
            }
            out.taken.push((
                rule.configuration.clone(),
                rule.collection.clone(),
                rule.priority,
            ));
            if rule.direction == Direction::Outbound {
                out.outbound.push(rule);
            }
        }
        out.outbound.sort_by_key(|r| r.priority);
        out
    }

    /// True when no export of admin rules was given.
    pub fn is_empty(&self) -> bool {
        self.pages == 0
    }

    /// Rules read, of both directions.
    pub fn len(&self) -> usize {
        self.read
    }

    /// The outbound rules, in evaluation order.
    pub fn outbound(&self) -> &[AdminRule] {
        &self.outbound
    }

    /// A free priority for a new rule of `configuration`'s `collection`
    /// that must be evaluated before the rule at `before`: ten below it when
    /// free, else the nearest free number below it; `None` when none is
    /// left (1 is the first). Only the rules read are known: the effective
    /// export holds those that apply to this virtual network.
    pub fn free_priority_below(
        &self,
        configuration: Option<&str>,
        collection: Option<&str>,
        before: u32,
    ) -> Option<u32> {
        let taken = |p: u32| {
            self.taken.iter().any(|(cfg, coll, q)| {
                *q == p && cfg.as_deref() == configuration && coll.as_deref() == collection
            })
        };
        let ten = before.checked_sub(10).filter(|p| *p >= 1);
        if let Some(p) = ten.filter(|p| !taken(*p)) {
            return Some(p);
        }
        (1..before).rev().find(|p| !taken(*p))
    }

    /// Every block a destination names, for cutting address ranges where
    /// rules begin and end.
    pub fn destination_blocks(&self) -> impl Iterator<Item = Block> + '_ {
        self.outbound
            .iter()
            .flat_map(|r| &r.destinations)
            .filter_map(|a| match a {
                Address::Prefix(Prefix::Block(b)) => Some(*b),
                _ => None,
            })
    }

    /// The service tags destinations leave to the service-tag data.
    pub fn data_tags(&self) -> impl Iterator<Item = &TagName> + '_ {
        self.outbound
            .iter()
            .flat_map(|r| &r.destinations)
            .filter_map(|a| match a {
                Address::Prefix(Prefix::Tag(t)) if t.special().is_none() => Some(t),
                _ => None,
            })
    }

    /// What the admin rules do with an outbound flow.
    pub fn evaluate(&self, flow: &Flow, tags: &dyn TagSource) -> AdminVerdict {
        let mut notes = Vec::new();
        if self.configurations.len() > 1 {
            notes.push(AdminNote::SeveralConfigurations {
                configurations: self.configurations.clone(),
            });
        }
        if self.pages_with_more >= self.pages {
            notes.push(AdminNote::MorePages);
        }
        let mut decision = AdminDecision::NoRuleMatched;
        for rule in &self.outbound {
            let mut approx = Vec::new();
            match rule_matches(rule, flow, tags, &mut approx) {
                Ok(false) => continue,
                Ok(true) => decision = AdminDecision::Rule(rule.reference()),
                Err(why) => {
                    decision = AdminDecision::CannotTell {
                        why,
                        at: rule.reference(),
                    }
                }
            }
            notes.extend(approx.into_iter().map(AdminNote::Approximation));
            break;
        }
        AdminVerdict {
            decision,
            rules: self.outbound.len(),
            notes,
        }
    }
}

/// Whether a rule matches the flow; `Err` when it cannot be told.
fn rule_matches(
    rule: &AdminRule,
    flow: &Flow,
    tags: &dyn TagSource,
    notes: &mut Vec<NsgNote>,
) -> Result<bool, AdminUnknown> {
    if rule.protocol != Protocol::Any && rule.protocol != flow.protocol {
        return Ok(false);
    }
    let port_in = |ranges: &[crate::azure::nsg::PortRange], port: u16| {
        ranges.is_empty() || ranges.iter().any(|r| r.contains(port))
    };
    if !port_in(&rule.destination_ports, flow.destination_port) {
        return Ok(false);
    }
    if let Some(p) = flow.source_port
        && !port_in(&rule.source_ports, p)
    {
        return Ok(false);
    }
    if !holds(&rule.destinations, Some(flow.destination), tags, notes)? {
        return Ok(false);
    }
    holds(&rule.sources, flow.source, tags, notes)
}

/// Whether `ip` is in an address list (none written: any). Without the
/// VM's address a source list is taken as holding it, unless it names
/// network groups only.
fn holds(
    list: &[Address],
    ip: Option<IpAddr>,
    tags: &dyn TagSource,
    notes: &mut Vec<NsgNote>,
) -> Result<bool, AdminUnknown> {
    if list.is_empty() {
        return Ok(true);
    }
    let group = |id: &str| AdminUnknown::NetworkGroup {
        group: last_segment(id).to_string(),
    };
    let Some(ip) = ip else {
        return match list.iter().find(|a| matches!(a, Address::Prefix(_))) {
            Some(_) => Ok(true),
            None => match &list[0] {
                Address::NetworkGroup(id) => Err(group(id)),
                Address::Prefix(_) => Ok(true),
            },
        };
    };
    let mut unknown = None;
    for a in list {
        match a {
            Address::Prefix(p) => match prefix_holds(p, ip, tags, notes) {
                Tri::Yes => return Ok(true),
                Tri::No => {}
                Tri::Unknown(NsgNote::TagUnknown { tag, why, .. }) => {
                    unknown = unknown.or(Some(AdminUnknown::Tag { tag, why }));
                }
                Tri::Unknown(_) => {}
            },
            Address::NetworkGroup(id) => unknown = unknown.or(Some(group(id))),
        }
    }
    unknown.map_or(Ok(false), Err)
}
