//! Network security groups as an admin exports them, and which rule decides a flow.
//!
//! - [`read`]: the two exports, in every shape `az` and the REST API give them;
//! - [`evaluate`]: Azure's outbound evaluation over rules indexed once.
//!
//! Two exports are read, both without giving asrscope any access to Azure:
//!
//! * `az network nic list-effective-nsg -g RG -n NIC` — the REST body
//!   `EffectiveNetworkSecurityGroupListResult`: `value[]` of
//!   `{networkSecurityGroup: {id}, association: {networkInterface: {id}, subnet: {id},
//!   networkManager: {id}}, effectiveSecurityRules[], tagMap}`; each effective rule is
//!   flat: `name` (`securityRules/X` or `defaultSecurityRules/X`), `protocol` (`Tcp`,
//!   `Udp`, `Icmp`, `Esp`, `Ah`, `All`), `sourcePortRange(s)`,
//!   `destinationPortRange(s)` (`0-65535`, `443-443`), `sourceAddressPrefix(es)`,
//!   `destinationAddressPrefix(es)`, `expandedSourceAddressPrefix`,
//!   `expandedDestinationAddressPrefix` (the prefixes a service tag stood for),
//!   `access`, `priority`, `direction`. One entry per NSG that applies: the NIC's and
//!   the subnet's.
//! * `az network nsg show -g RG -n NSG` — a `NetworkSecurityGroup`: `name`, `id`,
//!   `properties.securityRules[]` and `properties.defaultSecurityRules[]`, each rule
//!   `{name, id, properties: {protocol (`*` too), sourcePortRange, …, priority,
//!   direction, sourceApplicationSecurityGroups, destinationApplicationSecurityGroups}}`,
//!   plus `properties.networkInterfaces[]` and `properties.subnets[]`. Service tags are
//!   not expanded here.
//!
//! Every string kept from an export passes the one sanitiser
//! ([`crate::sanitize::for_terminal`]) as it is read: exports are hostile input too.

pub(crate) mod evaluate;
pub(crate) mod platform;
pub(crate) mod read;

#[cfg(test)]
mod tests;

pub use evaluate::{Flow, Nsgs};
pub use read::{NsgError, parse_nsgs};

use crate::azure::address::Block;
use crate::model::{AppliedTo, HIGHEST_PRIORITY, NsgExport, TagName};
use std::collections::BTreeMap;

/// Traffic direction of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Traffic to the VM.
    Inbound,
    /// Traffic from the VM.
    Outbound,
}

/// What a rule does with matching traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The traffic passes this NSG.
    Allow,
    /// The traffic is dropped.
    Deny,
}

/// A rule's protocol, or a flow's (a flow never is [`Protocol::Any`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `*` or `All`.
    Any,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP.
    Icmp,
    /// IPsec ESP.
    Esp,
    /// IPsec AH.
    Ah,
}

/// A port range, inclusive; `*` is 0-65535.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    /// The first port of the range.
    pub first: u16,
    /// The last port of the range (equal to `first` for one port).
    pub last: u16,
}

impl PortRange {
    /// Reads `*`, `443` or `1000-2000`.
    pub fn parse(text: &str) -> Option<PortRange> {
        let t = text.trim();
        if t == "*" || t.eq_ignore_ascii_case("any") {
            return Some(PortRange {
                first: 0,
                last: 65535,
            });
        }
        let (a, b) = t.split_once('-').unwrap_or((t, t));
        let (first, last) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
        (first <= last).then_some(PortRange { first, last })
    }

    /// Whether `port` is in the range.
    pub fn contains(&self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }
}

/// An address prefix of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prefix {
    /// `*` or `Any`: every address of both families.
    Any,
    /// An address block of one family (`0.0.0.0/0` is every IPv4 address,
    /// `::/0` every IPv6 one) or a single address.
    Block(Block),
    /// A service tag (`Internet`, `VirtualNetwork`, `AzureLoadBalancer`,
    /// `Storage.WestEurope`, …), compared ignoring case.
    Tag(TagName),
}

impl Prefix {
    /// Reads one prefix of a rule.
    pub fn parse(text: &str) -> Prefix {
        let t = text.trim();
        if t == "*" || t.eq_ignore_ascii_case("any") {
            return Prefix::Any;
        }
        match Block::parse_lenient(t) {
            Some(b) => Prefix::Block(b),
            None => Prefix::Tag(TagName::new(t)),
        }
    }
}

/// One security rule, from either export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// As exported: `AllowHttps`, or `securityRules/AllowHttps` in effective rules.
    pub name: String,
    /// 100-4096 for own rules, 65000-65500 for default rules; lower is evaluated first.
    pub priority: u32,
    /// Inbound or Outbound.
    pub direction: Direction,
    /// Allow or Deny.
    pub access: Access,
    /// The protocol the rule applies to.
    pub protocol: Protocol,
    /// `sourcePortRange` and `sourcePortRanges` together.
    pub source_ports: Vec<PortRange>,
    /// `destinationPortRange` and `destinationPortRanges` together.
    pub destination_ports: Vec<PortRange>,
    /// `sourceAddressPrefix` and `sourceAddressPrefixes` together.
    pub source_prefixes: Vec<Prefix>,
    /// `destinationAddressPrefix` and `destinationAddressPrefixes` together.
    pub destination_prefixes: Vec<Prefix>,
    /// What the source tags stood for, when the export expanded them (effective rules).
    pub expanded_source: Vec<Block>,
    /// What the destination tags stood for, when the export expanded them.
    pub expanded_destination: Vec<Block>,
    /// Source application security group ids.
    pub source_asgs: Vec<String>,
    /// Destination application security group ids.
    pub destination_asgs: Vec<String>,
}

/// One network security group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nsg {
    /// The NSG's name (last segment of its id when only the id is exported).
    pub name: String,
    /// The NSG's resource id, when exported.
    pub id: Option<String>,
    /// Where it is applied.
    pub applied_to: AppliedTo,
    /// The id of the one subnet it is applied to, when the export names
    /// one (`subnets[].id`, or an effective export's association).
    pub subnet: Option<String>,
    /// The id of the one network interface it is applied to, when the
    /// export names one (`networkInterfaces[].id`, or an effective export's
    /// association).
    pub nic: Option<String>,
    /// The export it came from.
    pub export: NsgExport,
    /// The Virtual Network Manager whose security admin rules apply before
    /// this NSG's (an effective export's `association.networkManager`).
    pub network_manager: Option<String>,
    /// Own and default rules, in export order.
    pub rules: Vec<Rule>,
    /// Service tag → prefixes, from an effective export's `tagMap`.
    pub tag_map: BTreeMap<TagName, Vec<Block>>,
}

impl Nsg {
    /// A free priority for a new outbound rule that must be evaluated before
    /// the rule at `before`: ten below it when free, else the nearest free
    /// number below it; `None` when none is left (priorities 100 to
    /// `before - 1` all taken, or `before` is 100). Azure refuses two rules
    /// of one direction with the same priority.
    pub fn free_priority_below(&self, before: u32) -> Option<u32> {
        let taken = |p: u32| {
            self.rules
                .iter()
                .any(|r| r.direction == Direction::Outbound && r.priority == p)
        };
        let ten = before.checked_sub(10).filter(|p| *p >= HIGHEST_PRIORITY);
        if let Some(p) = ten.filter(|p| !taken(*p)) {
            return Some(p);
        }
        (HIGHEST_PRIORITY..before).rev().find(|p| !taken(*p))
    }
}

/// The name at the end of a resource id (`…/networkManagers/nm1` → `nm1`).
pub fn last_segment(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}
