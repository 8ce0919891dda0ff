//! Azure Firewall as an admin exports it, and what it does with a flow.
//!
//! - [`read`]: the exports, in every shape `az` and the REST API give them;
//! - [`index`]: the rule sets (a policy with its parents, or a firewall's
//!   classic rules), indexed once;
//! - [`evaluate`]: Microsoft's documented rule processing, and which
//!   firewall a flow crosses;
//! - [`place`]: where an allow rule goes to be processed before a deny.
//!
//! Four exports are read (the `az network firewall …` commands are in the
//! `azure-firewall` CLI extension; `az network ip-group` is in the CLI
//! itself), none giving asrscope any access to Azure:
//!
//! * `az network firewall policy show` — a `FirewallPolicy`: `name`, `id`,
//!   `properties.basePolicy.id` (the parent, given as another file),
//!   `threatIntelMode` (`Off`, `Alert`, `Deny`), `threatIntelWhitelist`
//!   (`ipAddresses`, `fqdns`), `dnsSettings.enableProxy`,
//!   `transportSecurity.certificateAuthority`, and `ruleCollectionGroups[]`
//!   by id only.
//! * `az network firewall policy rule-collection-group list` (or `show`) — a
//!   `FirewallPolicyRuleCollectionGroup` (or a list): `name`, `id` (which
//!   names its policy), `properties.priority`, `properties.ruleCollections[]`
//!   of `{ruleCollectionType (FirewallPolicyFilterRuleCollection,
//!   FirewallPolicyNatRuleCollection), name, priority, action.type (Allow,
//!   Deny, DNAT), rules[]}`; each rule `{ruleType (NetworkRule,
//!   ApplicationRule, NatRule), name, …}`.
//! * `az network firewall show` — an `AzureFirewall`: `ipConfigurations[]`
//!   (`privateIPAddress`), `hubIPAddresses.privateIPAddress` (in a Virtual
//!   WAN hub), `firewallPolicy.id`, `threatIntelMode`,
//!   `additionalProperties` (the DNS proxy of classic rules), and classic
//!   `natRuleCollections`, `networkRuleCollections`,
//!   `applicationRuleCollections`, each `{name, properties: {priority,
//!   action.type, rules[]}}`.
//! * `az network ip-group show` — an `IpGroup`: `properties.ipAddresses[]`.
//!
//! `az … show` prints the REST body with `properties` lifted into the
//! object (and, for a firewall, into each rule collection and IP
//! configuration); `list` prints a bare array. Every string kept passes the
//! one sanitiser ([`crate::sanitize::for_terminal`]): exports are hostile
//! input too.

pub mod evaluate;
pub mod index;
pub mod place;
pub mod read;

#[cfg(test)]
mod tests;

pub use evaluate::{Flow, NameSpec};
pub use index::Firewalls;
pub use read::{FirewallError, parse_firewall_exports};

use crate::azure::address::Block;
use crate::azure::nsg::PortRange;
use crate::model::TagName;
use std::net::IpAddr;

/// An address field of a rule: `*`, a block or a single address, a range
/// `a-b`, or a service tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addr {
    /// `*`: every address.
    Any,
    /// A block or a single address.
    Block(Block),
    /// `first-last`, inclusive, both of one family.
    Range(IpAddr, IpAddr),
    /// A service tag (destination fields), compared ignoring case.
    Tag(TagName),
}

impl Addr {
    /// Reads one address of a rule.
    pub fn parse(text: &str) -> Addr {
        let t = text.trim();
        if t == "*" || t.eq_ignore_ascii_case("any") {
            return Addr::Any;
        }
        if let Some(b) = Block::parse_lenient(t) {
            return Addr::Block(b);
        }
        if let Some((a, b)) = t.split_once('-')
            && let (Ok(a), Ok(b)) = (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>())
            && a.is_ipv4() == b.is_ipv4()
            && a <= b
        {
            return Addr::Range(a, b);
        }
        Addr::Tag(TagName::new(t))
    }

    /// The blocks a range stands for (the fewest that cover it exactly), or
    /// the block; nothing for `*` and tags.
    pub fn blocks(&self) -> Vec<Block> {
        match self {
            Addr::Block(b) => vec![*b],
            Addr::Range(a, b) => range_blocks(*a, *b),
            Addr::Any | Addr::Tag(_) => Vec::new(),
        }
    }

    /// True when `ip` is in it (a tag: never here; see the evaluation).
    pub fn holds(&self, ip: IpAddr) -> bool {
        let ip = crate::azure::address::unmapped(ip);
        match self {
            Addr::Any => true,
            Addr::Block(b) => b.contains(ip),
            Addr::Range(a, b) => a.is_ipv4() == ip.is_ipv4() && *a <= ip && ip <= *b,
            Addr::Tag(_) => false,
        }
    }
}

/// The fewest CIDR blocks covering `first..=last` exactly (at most 254).
fn range_blocks(first: IpAddr, last: IpAddr) -> Vec<Block> {
    let (bits, lo, hi) = match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            (32u32, u128::from(u32::from(a)), u128::from(u32::from(b)))
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => (128, u128::from(a), u128::from(b)),
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut cur = lo;
    while cur <= hi {
        // The largest block starting at `cur` that stays within the range.
        let mut size = if cur == 0 {
            bits
        } else {
            cur.trailing_zeros().min(bits)
        };
        loop {
            let span = if size >= 128 {
                u128::MAX
            } else {
                (1u128 << size) - 1
            };
            if size == 0 || cur.checked_add(span).is_some_and(|end| end <= hi) {
                break;
            }
            size -= 1;
        }
        let ip = if bits == 32 {
            IpAddr::V4(std::net::Ipv4Addr::from(cur as u32))
        } else {
            IpAddr::V6(std::net::Ipv6Addr::from(cur))
        };
        out.push(Block::of(ip, (bits - size) as u8));
        if size >= 128 {
            break;
        }
        match cur.checked_add(1u128 << size) {
            Some(n) => cur = n,
            None => break,
        }
    }
    out
}

/// A network or NAT rule's protocol (`ipProtocols`, or classic `protocols`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpProtocol {
    /// `Any`: TCP and UDP (and ICMP).
    Any,
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
    /// ICMP.
    Icmp,
}

/// An application rule's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppProtocol {
    /// HTTP, matched on the Host header.
    Http,
    /// HTTPS, matched on the TLS server name (SNI).
    Https,
    /// MSSQL (classic rules).
    Mssql,
}

/// One `protocolType:port` of an application rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppPort {
    /// The protocol.
    pub protocol: AppProtocol,
    /// The port.
    pub port: u16,
}

/// What a rule collection does with traffic its rules match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Let it through.
    Allow,
    /// Drop it.
    Deny,
    /// Translate its destination (inbound to the firewall's public address).
    Dnat,
}

/// One rule of a collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its name.
    pub name: String,
    /// What it matches.
    pub kind: RuleKind,
}

/// What a rule matches, by rule type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    /// A network rule: addresses, ports, protocols, service tags, IP
    /// groups, FQDNs (resolved by the firewall's DNS proxy).
    Network {
        /// Protocols.
        protocols: Vec<IpProtocol>,
        /// Source addresses.
        sources: Vec<Addr>,
        /// Source IP groups, by id.
        source_groups: Vec<String>,
        /// Destination addresses and service tags.
        destinations: Vec<Addr>,
        /// Destination IP groups, by id.
        destination_groups: Vec<String>,
        /// Destination FQDNs (lower case).
        fqdns: Vec<String>,
        /// Destination ports.
        ports: Vec<PortRange>,
    },
    /// An application rule: the TLS server name (HTTPS) or Host header
    /// (HTTP) against target FQDNs, FQDN tags, web categories or URLs.
    Application {
        /// `protocolType:port` pairs.
        protocols: Vec<AppPort>,
        /// Source addresses.
        sources: Vec<Addr>,
        /// Source IP groups, by id.
        source_groups: Vec<String>,
        /// Target FQDNs with their wildcards (lower case).
        targets: Vec<String>,
        /// Target URLs (Premium, TLS inspection).
        urls: Vec<String>,
        /// FQDN tags: Microsoft's lists, not exported.
        fqdn_tags: Vec<String>,
        /// Web categories: Microsoft's classification, not exported.
        web_categories: Vec<String>,
        /// Destination addresses and service tags, when the rule narrows them.
        destinations: Vec<Addr>,
        /// TLS inspection (`terminateTLS`).
        terminate_tls: bool,
    },
    /// A DNAT rule: traffic to the firewall's public address translated.
    Nat {
        /// Protocols.
        protocols: Vec<IpProtocol>,
        /// Source addresses.
        sources: Vec<Addr>,
        /// Source IP groups, by id.
        source_groups: Vec<String>,
        /// Destination addresses (the firewall's public ones).
        destinations: Vec<Addr>,
        /// Destination ports.
        ports: Vec<PortRange>,
    },
}

/// A rule collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// Its name.
    pub name: String,
    /// 100 (first) to 65000; `None` when the export lacks it (taken as last).
    pub priority: Option<u32>,
    /// What it does with what its rules match.
    pub action: Action,
    /// Its rules, in export order.
    pub rules: Vec<Rule>,
}

/// A rule collection group of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its name.
    pub name: String,
    /// Its id, when exported: it names the policy it belongs to.
    pub id: Option<String>,
    /// 100 (first) to 65000; `None` when the export lacks it.
    pub priority: Option<u32>,
    /// Its rule collections.
    pub collections: Vec<Collection>,
}

impl Group {
    /// The id of the policy the group belongs to: its id up to
    /// `/ruleCollectionGroups/`.
    pub fn policy_id(&self) -> Option<&str> {
        let id = self.id.as_deref()?;
        let at = id.to_ascii_lowercase().find("/rulecollectiongroups/")?;
        id.get(..at)
    }
}

/// Threat intelligence-based filtering: its mode and allow-list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreatIntel {
    /// `threatIntelMode`, when exported.
    pub mode: Option<ThreatIntelMode>,
    /// Addresses on the allow-list (`threatIntelWhitelist.ipAddresses`).
    pub allow_addresses: Vec<Addr>,
    /// Names on the allow-list (`threatIntelWhitelist.fqdns`, lower case).
    pub allow_fqdns: Vec<String>,
}

/// `threatIntelMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreatIntelMode {
    /// Off.
    Off,
    /// Alert only (the default).
    Alert,
    /// Alert and deny.
    Deny,
}

/// A firewall policy's settings; its rules are in its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Its name.
    pub name: String,
    /// Its id, when exported.
    pub id: Option<String>,
    /// The parent policy's id (`basePolicy.id`).
    pub base: Option<String>,
    /// Threat intelligence.
    pub threat_intel: ThreatIntel,
    /// `dnsSettings.enableProxy`, when exported (off by default).
    pub dns_proxy: Option<bool>,
    /// A CA for TLS inspection is configured (`transportSecurity`).
    pub tls_inspection_ca: bool,
    /// The ids of its rule collection groups.
    pub group_ids: Vec<String>,
}

/// An Azure Firewall, with its classic rules when it has no policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firewall {
    /// Its name.
    pub name: String,
    /// Its id, when exported.
    pub id: Option<String>,
    /// Its private addresses (`ipConfigurations[].privateIPAddress`,
    /// `hubIPAddresses.privateIPAddress`): a route's next hop.
    pub private_addresses: Vec<IpAddr>,
    /// The policy it uses (`firewallPolicy.id`).
    pub policy: Option<String>,
    /// Threat intelligence (classic).
    pub threat_intel: ThreatIntel,
    /// The DNS proxy of classic rules (`additionalProperties`).
    pub dns_proxy: Option<bool>,
    /// Classic NAT, network and application rule collections.
    pub collections: Vec<Collection>,
}

/// An IP group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpGroup {
    /// Its name.
    pub name: String,
    /// Its id, when exported.
    pub id: Option<String>,
    /// Its addresses, blocks and ranges.
    pub addresses: Vec<Addr>,
}

/// Everything read from firewall exports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Exports {
    /// Firewall policies.
    pub policies: Vec<Policy>,
    /// Rule collection groups.
    pub groups: Vec<Group>,
    /// Firewalls.
    pub firewalls: Vec<Firewall>,
    /// IP groups.
    pub ip_groups: Vec<IpGroup>,
}

impl Exports {
    /// Adds what another file held.
    pub fn extend(&mut self, other: Exports) {
        self.policies.extend(other.policies);
        self.groups.extend(other.groups);
        self.firewalls.extend(other.firewalls);
        self.ip_groups.extend(other.ip_groups);
    }

    /// True when nothing was read.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
            && self.groups.is_empty()
            && self.firewalls.is_empty()
            && self.ip_groups.is_empty()
    }
}

/// True when a resource known by `id` (or only by `name`) is the one `reference`
/// (an id, or a name) points to: ids compare ignoring case (Azure's ids do),
/// and a name is compared with the reference's last segment.
pub fn same_resource(reference: &str, id: Option<&str>, name: &str) -> bool {
    let norm = |s: &str| s.trim().trim_end_matches('/').to_ascii_lowercase();
    match id {
        Some(id) if reference.contains('/') => norm(id) == norm(reference),
        _ => crate::azure::nsg::last_segment(reference.trim()).eq_ignore_ascii_case(name.trim()),
    }
}
