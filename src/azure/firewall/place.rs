//! Where an allow rule goes so that it is processed before what denies a
//! flow, without removing, changing or reordering a rule of the customer's:
//! an existing Allow collection of the right rule type processed before the
//! deny, else a new collection at a free priority before it (in the deny's
//! own group when one is free, else in a group processed earlier). A
//! parent policy's groups come before the child's, so a deny in the parent
//! is beaten in the parent. For the default deny, any place does.

use super::index::Firewalls;
use super::{Action, Collection, Group, RuleKind, same_resource};
use crate::model::{
    FirewallDecision, FirewallPass, FirewallPlace, FirewallRuleRef, FirewallRuleType,
    FirewallVerdict,
};

/// The name of the collection asrscope adds, the same wherever it advises
/// one (a second one takes a number).
pub const COLLECTION: &str = "Allow-Site-Recovery";

/// The lowest priority number a collection can have (processed first).
const FIRST: u32 = 100;
/// The highest.
const LAST: u32 = 65000;

/// True when a collection holds rules of `ty` only (or none).
fn holds_only(c: &Collection, ty: FirewallRuleType) -> bool {
    c.rules.iter().all(|r| {
        matches!(
            (&r.kind, ty),
            (RuleKind::Application { .. }, FirewallRuleType::Application)
                | (RuleKind::Network { .. }, FirewallRuleType::Network)
        )
    })
}

/// A free priority among `taken` that is processed before `before`: ten
/// below when free, else the nearest free below; `None` when none is left.
fn free_below(taken: &[u32], before: u32) -> Option<u32> {
    let ten = before.checked_sub(10).filter(|p| *p >= FIRST);
    if let Some(p) = ten.filter(|p| !taken.contains(p)) {
        return Some(p);
    }
    (FIRST..before).rev().find(|p| !taken.contains(p))
}

/// A free priority after every one taken (for the default deny, any place
/// does): a hundred past the last, else the nearest free from the end.
fn free_after(taken: &[u32]) -> Option<u32> {
    let last = taken.iter().copied().max().unwrap_or(0);
    let want = (last + 100).min(LAST);
    if !taken.contains(&want) {
        return Some(want);
    }
    (FIRST..=LAST).rev().find(|p| !taken.contains(p))
}

/// A collection name not used in `collections`.
fn free_name(collections: &[Collection]) -> String {
    let used = |n: &str| collections.iter().any(|c| c.name.eq_ignore_ascii_case(n));
    (1..)
        .map(|i| {
            if i == 1 {
                COLLECTION.to_string()
            } else {
                format!("{COLLECTION}-{i}")
            }
        })
        .find(|n| !used(n))
        .unwrap_or_default()
}

impl Firewalls {
    /// Where an allow rule goes for a flow this verdict denies, and its
    /// type; `None` when the verdict does not deny, or no place can be
    /// processed before the deny (a deny at priority 100 in the first
    /// group: that rule itself must change).
    pub fn place_allow(&self, v: &FirewallVerdict) -> Option<(FirewallPlace, FirewallRuleType)> {
        let (deny, ty) = match &v.decision {
            FirewallDecision::Rule(r) if r.action == crate::model::FirewallAction::Deny => (
                Some(r),
                match r.pass {
                    FirewallPass::Network => FirewallRuleType::Network,
                    FirewallPass::Application => FirewallRuleType::Application,
                    _ => return None,
                },
            ),
            FirewallDecision::DefaultDeny => (None, FirewallRuleType::Application),
            _ => return None,
        };
        let policy = deny
            .and_then(|r| r.policy.clone())
            .or_else(|| v.policy.clone());
        match policy {
            Some(p) => self.place_in_policy(&p, deny, ty),
            None => self.place_classic(v.firewall.as_deref()?, deny, ty),
        }
    }

    /// The groups of a policy, in processing order.
    fn groups_of(&self, policy: &str) -> Vec<&Group> {
        let mut g: Vec<&Group> = self
            .groups
            .iter()
            .filter(|g| match g.policy_id() {
                Some(pid) => same_resource(pid, None, policy),
                None => self.policies.len() == 1,
            })
            .collect();
        g.sort_by_key(|g| g.priority.unwrap_or(u32::MAX));
        g
    }

    fn place_in_policy(
        &self,
        policy: &str,
        deny: Option<&FirewallRuleRef>,
        ty: FirewallRuleType,
    ) -> Option<(FirewallPlace, FirewallRuleType)> {
        let groups = self.groups_of(policy);
        // Processing order of a collection: its group's, then its own.
        let key = |g: &Group, c: &Collection| {
            (
                g.priority.unwrap_or(u32::MAX),
                c.priority.unwrap_or(u32::MAX),
            )
        };
        let limit = deny.map(|r| {
            (
                r.group_priority.unwrap_or(u32::MAX),
                r.collection_priority.unwrap_or(u32::MAX),
            )
        });
        let before = |k: (u32, u32)| limit.is_none_or(|l| k < l);
        let existing = groups
            .iter()
            .flat_map(|g| g.collections.iter().map(move |c| (*g, c)))
            .find(|(g, c)| {
                c.action == Action::Allow
                    && !c.rules.is_empty()
                    && holds_only(c, ty)
                    && before(key(g, c))
            });
        if let Some((g, c)) = existing {
            let place = FirewallPlace::Collection {
                policy: policy.to_string(),
                group: g.name.clone(),
                collection: c.name.clone(),
            };
            return Some((place, ty));
        }
        let new = |g: &Group, priority: u32| FirewallPlace::NewCollection {
            policy: policy.to_string(),
            group: g.name.clone(),
            collection: free_name(&g.collections),
            priority,
        };
        let taken = |g: &Group| {
            g.collections
                .iter()
                .filter_map(|c| c.priority)
                .collect::<Vec<_>>()
        };
        let Some(r) = deny else {
            let g = groups.first()?;
            return Some((new(g, free_after(&taken(g))?), ty));
        };
        let at = groups
            .iter()
            .position(|g| r.group.as_deref() == Some(g.name.as_str()))?;
        if let Some(p) = r
            .collection_priority
            .and_then(|cp| free_below(&taken(groups[at]), cp))
        {
            return Some((new(groups[at], p), ty));
        }
        // No room before it in its group: a group processed earlier.
        let earlier = groups[..at]
            .iter()
            .rev()
            .find(|g| g.priority < groups[at].priority)?;
        Some((new(earlier, free_after(&taken(earlier))?), ty))
    }

    fn place_classic(
        &self,
        firewall: &str,
        deny: Option<&FirewallRuleRef>,
        ty: FirewallRuleType,
    ) -> Option<(FirewallPlace, FirewallRuleType)> {
        let fw = self
            .firewalls
            .iter()
            .find(|f| f.name == firewall && f.policy.is_none())?;
        // Classic priorities count within each rule type.
        let of_type: Vec<&Collection> = fw
            .collections
            .iter()
            .filter(|c| c.action != Action::Dnat && holds_only(c, ty) && !c.rules.is_empty())
            .collect();
        let limit = deny.map(|r| r.collection_priority.unwrap_or(u32::MAX));
        let existing = of_type
            .iter()
            .filter(|c| {
                c.action == Action::Allow
                    && limit.is_none_or(|l| c.priority.unwrap_or(u32::MAX) < l)
            })
            .min_by_key(|c| c.priority.unwrap_or(u32::MAX));
        let place = |collection: String, priority| FirewallPlace::Classic {
            firewall: fw.name.clone(),
            collection,
            priority,
        };
        if let Some(c) = existing {
            return Some((place(c.name.clone(), None), ty));
        }
        let taken: Vec<u32> = of_type.iter().filter_map(|c| c.priority).collect();
        let priority = match limit {
            Some(l) => free_below(&taken, l)?,
            None => free_after(&taken)?,
        };
        Some((place(free_name(&fw.collections), Some(priority)), ty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_priorities_are_before_the_deny_and_unused() {
        assert_eq!(free_below(&[], 200), Some(190));
        assert_eq!(free_below(&[190], 200), Some(199));
        assert_eq!(free_below(&[100], 101), None);
        assert_eq!(free_below(&[], 100), None);
        assert_eq!(free_after(&[]), Some(100));
        assert_eq!(free_after(&[200, 400]), Some(500));
        assert_eq!(free_after(&[65000]), Some(64999));
    }
}
