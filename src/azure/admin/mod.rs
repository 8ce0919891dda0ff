//! Azure Virtual Network Manager security admin rules as an admin exports
//! them, and what they do with an outbound flow, before any NSG.
//!
//! - [`read`]: the export, in every shape `az` and the REST API give it;
//! - [`evaluate`]: Microsoft's documented evaluation ("Security admin rules",
//!   concept-security-admins): rules by ascending priority number, the first
//!   that matches decides; `Deny` and `AlwaysAllow` end the evaluation,
//!   `Allow` passes the flow to the NSGs.
//!
//! One export is read, without giving asrscope any access to Azure:
//!
//! * `az network manager list-effective-security-admin-rule -g RG
//!   --vnet-name VNET` (the virtual-network-manager CLI extension; REST
//!   `POST …/virtualNetworks/VNET/listNetworkManagerEffectiveSecurityAdminRules`)
//!   — `{value[], skipToken}`: one page of rules. `az` prints one page and
//!   lifts each rule's `properties` into it; the next page is asked with
//!   `--skip-token`, and every page given (one file each) is read. Each rule:
//!   `id` (naming the network manager, security admin configuration, rule
//!   collection and rule), `kind` (`Custom` or `Default`, with `flag`),
//!   `configurationDescription`, `ruleCollectionDescription`,
//!   `ruleCollectionAppliesToGroups[].networkGroupId`, `ruleGroups[]`, and
//!   `properties`: `protocol` (`Tcp`, `Udp`, `Icmp`, `Esp`, `Ah`, `Any`),
//!   `sources[]` and `destinations[]` of `{addressPrefix, addressPrefixType:
//!   IPPrefix | ServiceTag | NetworkGroup}`, `sourcePortRanges[]`,
//!   `destinationPortRanges[]`, `access` (`Allow`, `Deny`, `AlwaysAllow`),
//!   `priority` (1-4096), `direction`.
//!
//! Ports, prefixes and service tags are matched with the NSG matcher's own
//! primitives ([`crate::azure::nsg`]). A network group is matched by its
//! members, which the export does not list: "cannot tell". Every string
//! kept passes the one sanitiser ([`crate::sanitize::for_terminal`]).

pub mod evaluate;
pub mod read;

#[cfg(test)]
mod tests;

pub use evaluate::AdminRules;
pub use read::{AdminError, parse_admin_rules};

use crate::azure::nsg::{Direction, PortRange, Prefix, Protocol};
use crate::model::AdminAccess;

/// One address of a rule's `sources` or `destinations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// `IPPrefix` (a block, an address, `*`) or `ServiceTag`.
    Prefix(Prefix),
    /// `NetworkGroup`: a group of virtual networks, by id.
    NetworkGroup(String),
}

/// One security admin rule, from the effective export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminRule {
    /// Its resource id, when exported.
    pub id: Option<String>,
    /// The rule's name (last segment of its id).
    pub name: String,
    /// The network manager (from the id).
    pub manager: Option<String>,
    /// The security admin configuration (from the id).
    pub configuration: Option<String>,
    /// The rule collection (from the id).
    pub collection: Option<String>,
    /// `kind: Default`.
    pub default_rule: bool,
    /// What it does.
    pub access: AdminAccess,
    /// 1-4096; lower is evaluated first.
    pub priority: u32,
    /// Inbound or Outbound.
    pub direction: Direction,
    /// The protocol.
    pub protocol: Protocol,
    /// Sources (none written: any).
    pub sources: Vec<Address>,
    /// Destinations (none written: any).
    pub destinations: Vec<Address>,
    /// Source ports (none written: any).
    pub source_ports: Vec<PortRange>,
    /// Destination ports (none written: any).
    pub destination_ports: Vec<PortRange>,
}

impl AdminRule {
    /// Where it sits, for a verdict.
    pub fn reference(&self) -> crate::model::AdminRuleRef {
        crate::model::AdminRuleRef {
            manager: self.manager.clone(),
            configuration: self.configuration.clone(),
            collection: self.collection.clone(),
            rule: self.name.clone(),
            priority: self.priority,
            access: self.access,
            default_rule: self.default_rule,
        }
    }
}

/// One page of the effective rules.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// Its rules, in export order.
    pub rules: Vec<AdminRule>,
    /// The page has a `skipToken`: another page follows.
    pub more: bool,
}

/// The segment after `key` in a resource id, ignoring case
/// (`…/securityAdminConfigurations/CFG/…` → `CFG`).
pub(crate) fn id_segment(id: &str, key: &str) -> Option<String> {
    let mut parts = id.split('/');
    while let Some(p) = parts.next() {
        if p.eq_ignore_ascii_case(key) {
            return parts.next().filter(|s| !s.is_empty()).map(str::to_string);
        }
    }
    None
}
