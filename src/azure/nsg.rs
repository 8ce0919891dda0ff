//! Network security groups as an admin exports them, and which rule decides a flow.
//!
//! Two exports are read, both without giving asrscope any access to Azure:
//!
//! * `az network nic list-effective-nsg -g RG -n NIC` — the REST body
//!   `EffectiveNetworkSecurityGroupListResult`: `value[]` of
//!   `{networkSecurityGroup: {id}, association: {networkInterface: {id}, subnet: {id}},
//!   effectiveSecurityRules[], tagMap}`; each effective rule is flat: `name`
//!   (`securityRules/X` or `defaultSecurityRules/X`), `protocol` (`Tcp`, `Udp`, `Icmp`,
//!   `Esp`, `Ah`, `All`), `sourcePortRange(s)`, `destinationPortRange(s)` (`0-65535`,
//!   `443-443`), `sourceAddressPrefix(es)`, `destinationAddressPrefix(es)`,
//!   `expandedSourceAddressPrefix`, `expandedDestinationAddressPrefix` (the prefixes a
//!   service tag stood for), `access`, `priority`, `direction`. One entry per NSG that
//!   applies: the NIC's and the subnet's.
//! * `az network nsg show -g RG -n NSG` — a `NetworkSecurityGroup`: `name`, `id`,
//!   `properties.securityRules[]` and `properties.defaultSecurityRules[]`, each rule
//!   `{name, id, properties: {protocol (`*` too), sourcePortRange, …, priority,
//!   direction, sourceApplicationSecurityGroups, destinationApplicationSecurityGroups}}`,
//!   plus `properties.networkInterfaces[]` and `properties.subnets[]`. Service tags are
//!   not expanded here.
//!
//! The REST body (`properties` nested) and the flattened form older `az` versions print
//! (rule fields next to `name`, `securityRules` at the top) are both accepted, as are a
//! `value` wrapper, a bare array, and `az network nsg list` output.
//!
//! # Evaluation
//!
//! [`evaluate_outbound`] follows Azure's documented processing: within one NSG, rules
//! of the flow's direction are taken by ascending priority number, and the first whose
//! protocol, ports and addresses all match decides (Allow or Deny); outbound traffic
//! passes the NIC's NSG first, then the subnet's, and both must allow it.
//!
//! Address prefixes are CIDR blocks or plain addresses, `*` (any), or service tags. A
//! tag is matched through the rule's own expanded list when the export has one (effective
//! rules and the effective `tagMap`), else through a caller-provided closure
//! ([`TagMatch`]), else as follows:
//!
//! * `VirtualNetwork` — documented as the virtual network's address space, peered
//!   networks, networks connected through a gateway, connected on-premises ranges, the
//!   host's virtual IP and UDR prefixes. Without an expanded list it is approximated by
//!   the private RFC 1918 ranges (10/8, 172.16/12, 192.168/16) and the result says so.
//! * `Internet` — documented as the address space outside the virtual network and
//!   reachable on the public internet (Azure's public ranges included). Without an
//!   expanded list it is approximated by "a public unicast address" and the result says so.
//! * `AzureLoadBalancer` — documented as the host's virtual IP, 168.63.129.16, where
//!   load balancer health probes come from.
//!
//! Rules naming application security groups cannot be evaluated from an export (the
//! VM's membership is not in it): evaluation stops there and says so. A group holds
//! VM network interfaces, so a public address (an Azure service's) is taken as in no
//! group, and the result says so.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// Tells whether an address is in a service tag: `Some(true)`/`Some(false)`, or `None`
/// when the caller cannot tell (tag unknown to it).
pub type TagMatch<'a> = &'a dyn Fn(&str, IpAddr) -> Option<bool>;

/// Why an export could not be read. `Display` is one line; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NsgError {
    /// Not JSON at all.
    #[error("not JSON ({0})")]
    Json(String),
    /// JSON, but not one of the shapes read here.
    #[error(
        "expected the output of `az network nic list-effective-nsg` (value[].effectiveSecurityRules) or `az network nsg show` (properties.securityRules), found {0}"
    )]
    Shape(String),
    /// A rule with a missing or unreadable field.
    #[error("security rule \"{rule}\": {what}")]
    Rule {
        /// The rule's name as exported.
        rule: String,
        /// What is wrong with it.
        what: String,
    },
}

/// An address block, host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    /// The network address.
    pub addr: IpAddr,
    /// The prefix length.
    pub len: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`, `x::/n`, or a plain address (as /32 or /128).
    pub fn parse(text: &str) -> Option<Cidr> {
        let text = text.trim();
        let (addr, len) = match text.split_once('/') {
            Some((a, l)) => (a.parse::<IpAddr>().ok()?, Some(l.parse::<u8>().ok()?)),
            None => (text.parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = len.unwrap_or(max);
        if len > max {
            return None;
        }
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask(len, 32) as u32).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask(len, 128)).into()),
        };
        Some(Cidr { addr, len })
    }

    /// Whether `ip` is in the block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                u32::from(a) & mask(self.len, 32) as u32 == u32::from(n)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => u128::from(a) & mask(self.len, 128) == u128::from(n),
            _ => false,
        }
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

fn mask(len: u8, bits: u8) -> u128 {
    if len == 0 {
        0
    } else {
        let all: u128 = if bits == 32 {
            u32::MAX as u128
        } else {
            u128::MAX
        };
        (all << (bits - len)) & all
    }
}

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

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::Allow => "Allow",
            Access::Deny => "Deny",
        })
    }
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
    fn parse(text: &str) -> Option<PortRange> {
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

    fn contains(&self, port: u16) -> bool {
        self.first <= port && port <= self.last
    }
}

/// An address prefix of a rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prefix {
    /// `*`, `Any`, `0.0.0.0/0`, `::/0`.
    Any,
    /// An address block or a single address.
    Cidr(Cidr),
    /// A service tag (`Internet`, `VirtualNetwork`, `AzureLoadBalancer`, `Storage.WestEurope`, …).
    Tag(String),
}

impl Prefix {
    fn parse(text: &str) -> Prefix {
        let t = text.trim();
        if t == "*" || t.eq_ignore_ascii_case("any") {
            return Prefix::Any;
        }
        match Cidr::parse(t) {
            Some(c) if c.len == 0 => Prefix::Any,
            Some(c) => Prefix::Cidr(c),
            None => Prefix::Tag(t.to_string()),
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
    pub expanded_source: Vec<Cidr>,
    /// What the destination tags stood for, when the export expanded them.
    pub expanded_destination: Vec<Cidr>,
    /// Source application security group ids.
    pub source_asgs: Vec<String>,
    /// Destination application security group ids.
    pub destination_asgs: Vec<String>,
}

/// Where an NSG is applied, as far as the export tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Association {
    /// Applied to a network interface (resource id).
    Nic(String),
    /// Applied to a subnet (resource id).
    Subnet(String),
    /// Not told, or told both (an `nsg show` export of an NSG on NICs and subnets): the
    /// caller may set it.
    Unknown,
}

/// One network security group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nsg {
    /// The NSG's name (last segment of its id when only the id is exported).
    pub name: String,
    /// The NSG's resource id, when exported.
    pub id: Option<String>,
    /// Where it is applied.
    pub association: Association,
    /// Own and default rules, in export order.
    pub rules: Vec<Rule>,
    /// Service tag → prefixes, from an effective export's `tagMap`.
    pub tag_map: BTreeMap<String, Vec<Cidr>>,
}

/// Reads either export; see the module documentation for the shapes.
pub fn parse_nsgs(json: &str) -> Result<Vec<Nsg>, NsgError> {
    let v: Value = serde_json::from_str(json).map_err(|e| NsgError::Json(e.to_string()))?;
    let items: Vec<&Value> = match &v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => {
            match ["value", "networkSecurityGroups"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_array))
            {
                Some(a) => a.iter().collect(),
                None => vec![&v],
            }
        }
        other => return Err(NsgError::Shape(kind(other))),
    };
    items.into_iter().map(parse_one).collect()
}

fn kind(v: &Value) -> String {
    super::json_kind(v, "security rules")
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Id {
    id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawAssociation {
    network_interface: Option<Id>,
    subnet: Option<Id>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    name: Option<String>,
    properties: Option<Box<RawRule>>,
    protocol: Option<String>,
    source_port_range: Option<String>,
    source_port_ranges: Option<Vec<String>>,
    destination_port_range: Option<String>,
    destination_port_ranges: Option<Vec<String>>,
    source_address_prefix: Option<String>,
    source_address_prefixes: Option<Vec<String>>,
    destination_address_prefix: Option<String>,
    destination_address_prefixes: Option<Vec<String>>,
    expanded_source_address_prefix: Option<Vec<String>>,
    expanded_destination_address_prefix: Option<Vec<String>>,
    source_application_security_groups: Option<Vec<Id>>,
    destination_application_security_groups: Option<Vec<Id>>,
    access: Option<String>,
    priority: Option<u32>,
    direction: Option<String>,
}

fn parse_one(v: &Value) -> Result<Nsg, NsgError> {
    let Value::Object(o) = v else {
        return Err(NsgError::Shape(format!("{} in the list", kind(v))));
    };
    let field = |k: &str| o.get(k).filter(|x| !x.is_null());
    if let Some(rules) = field("effectiveSecurityRules") {
        let id = field("networkSecurityGroup")
            .and_then(|n| n.get("id"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let assoc: RawAssociation = field("association")
            .map(|a| serde_json::from_value(a.clone()))
            .transpose()
            .map_err(|e| NsgError::Shape(format!("an unreadable association ({e})")))?
            .unwrap_or_default();
        let nic = assoc.network_interface.and_then(|i| i.id);
        let subnet = assoc.subnet.and_then(|i| i.id);
        let association = match (nic, subnet) {
            (Some(n), None) => Association::Nic(n),
            (None, Some(s)) => Association::Subnet(s),
            _ => Association::Unknown,
        };
        let name = id
            .as_deref()
            .and_then(|i| i.rsplit('/').next())
            .unwrap_or("(unnamed NSG)")
            .to_string();
        return Ok(Nsg {
            name,
            id,
            association,
            rules: parse_rules(rules)?,
            tag_map: tag_map(field("tagMap")),
        });
    }
    // A NetworkSecurityGroup: REST body (properties nested) or flattened.
    let props = field("properties")
        .and_then(Value::as_object)
        .filter(|p| p.contains_key("securityRules") || p.contains_key("defaultSecurityRules"))
        .unwrap_or(o);
    let own = props.get("securityRules").filter(|x| !x.is_null());
    let default = props.get("defaultSecurityRules").filter(|x| !x.is_null());
    if own.is_none() && default.is_none() {
        return Err(NsgError::Shape(kind(v)));
    }
    let mut rules = Vec::new();
    for list in [own, default].into_iter().flatten() {
        rules.extend(parse_rules(list)?);
    }
    let ids = |k: &str| -> Vec<String> {
        props
            .get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.get("id").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (nics, subnets) = (ids("networkInterfaces"), ids("subnets"));
    let association = match (nics.as_slice(), subnets.as_slice()) {
        ([n], []) => Association::Nic(n.clone()),
        ([], [s]) => Association::Subnet(s.clone()),
        _ => Association::Unknown,
    };
    let id = field("id").and_then(Value::as_str).map(str::to_string);
    let name = field("name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| {
            id.as_deref()
                .and_then(|i| i.rsplit('/').next())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "(unnamed NSG)".to_string());
    Ok(Nsg {
        name,
        id,
        association,
        rules,
        tag_map: BTreeMap::new(),
    })
}

fn tag_map(v: Option<&Value>) -> BTreeMap<String, Vec<Cidr>> {
    // The spec has it as an object of arrays; some versions carry it as a JSON string.
    let parsed;
    let v = match v {
        Some(Value::String(s)) => {
            parsed = serde_json::from_str::<Value>(s).unwrap_or(Value::Null);
            &parsed
        }
        Some(v) => v,
        None => return BTreeMap::new(),
    };
    let Some(o) = v.as_object() else {
        return BTreeMap::new();
    };
    o.iter()
        .map(|(k, list)| {
            let cidrs = list
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().and_then(Cidr::parse))
                        .collect()
                })
                .unwrap_or_default();
            (k.clone(), cidrs)
        })
        .collect()
}

fn parse_rules(v: &Value) -> Result<Vec<Rule>, NsgError> {
    let raw: Vec<RawRule> = serde_json::from_value(v.clone())
        .map_err(|e| NsgError::Shape(format!("a rule list that does not read ({e})")))?;
    raw.into_iter().map(convert_rule).collect()
}

fn convert_rule(outer: RawRule) -> Result<Rule, NsgError> {
    let name = outer
        .name
        .clone()
        .unwrap_or_else(|| "(unnamed rule)".to_string());
    let r = match outer.properties {
        Some(p) => *p,
        None => outer,
    };
    let err = |what: String| NsgError::Rule {
        rule: name.clone(),
        what,
    };
    let missing = |f: &str| err(format!("no {f}"));
    let priority = r.priority.ok_or_else(|| missing("priority"))?;
    let direction = match r
        .direction
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("inbound") => Direction::Inbound,
        Some("outbound") => Direction::Outbound,
        Some(_) => {
            let other = r.direction.as_deref().unwrap_or_default();
            return Err(err(format!(
                "direction \"{other}\" is neither Inbound nor Outbound"
            )));
        }
        None => return Err(missing("direction")),
    };
    let access = match r.access.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("allow") => Access::Allow,
        Some("deny") => Access::Deny,
        Some(_) => {
            let other = r.access.as_deref().unwrap_or_default();
            return Err(err(format!("access \"{other}\" is neither Allow nor Deny")));
        }
        None => return Err(missing("access")),
    };
    let protocol = match r
        .protocol
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("*" | "all" | "any") => Protocol::Any,
        Some("tcp") => Protocol::Tcp,
        Some("udp") => Protocol::Udp,
        Some("icmp") => Protocol::Icmp,
        Some("esp") => Protocol::Esp,
        Some("ah") => Protocol::Ah,
        Some(_) => {
            let other = r.protocol.as_deref().unwrap_or_default();
            return Err(err(format!("unknown protocol \"{other}\"")));
        }
        None => return Err(missing("protocol")),
    };
    let ports = |one: Option<String>, many: Option<Vec<String>>, what: &str| {
        let texts = gather(one, many);
        if texts.is_empty() {
            return Err(missing(what));
        }
        texts
            .iter()
            .flat_map(|t| t.split(','))
            .map(|t| {
                PortRange::parse(t)
                    .ok_or_else(|| err(format!("{what} \"{t}\" is not a port or range")))
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let source_ports = ports(
        r.source_port_range,
        r.source_port_ranges,
        "source port range",
    )?;
    let destination_ports = ports(
        r.destination_port_range,
        r.destination_port_ranges,
        "destination port range",
    )?;
    let prefixes =
        |one, many| -> Vec<Prefix> { gather(one, many).iter().map(|t| Prefix::parse(t)).collect() };
    let cidrs = |list: Option<Vec<String>>| -> Vec<Cidr> {
        list.unwrap_or_default()
            .iter()
            .filter_map(|t| Cidr::parse(t))
            .collect()
    };
    let asgs = |list: Option<Vec<Id>>| -> Vec<String> {
        list.unwrap_or_default()
            .into_iter()
            .map(|i| {
                i.id.unwrap_or_else(|| "(application security group)".into())
            })
            .collect()
    };
    let rule = Rule {
        name: name.clone(),
        priority,
        direction,
        access,
        protocol,
        source_ports,
        destination_ports,
        source_prefixes: prefixes(r.source_address_prefix, r.source_address_prefixes),
        destination_prefixes: prefixes(
            r.destination_address_prefix,
            r.destination_address_prefixes,
        ),
        expanded_source: cidrs(r.expanded_source_address_prefix),
        expanded_destination: cidrs(r.expanded_destination_address_prefix),
        source_asgs: asgs(r.source_application_security_groups),
        destination_asgs: asgs(r.destination_application_security_groups),
    };
    if rule.source_prefixes.is_empty() && rule.source_asgs.is_empty() {
        return Err(missing("source address prefix"));
    }
    if rule.destination_prefixes.is_empty() && rule.destination_asgs.is_empty() {
        return Err(missing("destination address prefix"));
    }
    Ok(rule)
}

/// The singular field (when not empty) and the list, trimmed, empty entries dropped.
fn gather(one: Option<String>, many: Option<Vec<String>>) -> Vec<String> {
    one.into_iter()
        .chain(many.unwrap_or_default())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// An outbound flow from the VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flow {
    /// Tcp for Site Recovery's traffic.
    pub protocol: Protocol,
    /// The VM's address; `None` takes every source prefix as matching (the VM is always
    /// in its own NSGs' scope, and outbound rules rarely narrow the source).
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

/// What one NSG does with a flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A rule matched; `rule` and `priority` of the [`Decision`] name it.
    Decided(Access),
    /// No rule of the direction matched (an export without the default rules).
    NoRuleMatched,
    /// The rule named in the [`Decision`] may match but cannot be evaluated from the
    /// export (application security group, service tag the caller cannot expand).
    NotEvaluable(String),
}

/// What one NSG does with a flow, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The NSG's name.
    pub nsg: String,
    /// Where it is applied.
    pub association: Association,
    /// The deciding (or not evaluable) rule; `None` when no rule matched.
    pub rule: Option<String>,
    /// That rule's priority.
    pub priority: Option<u32>,
    /// Allow, Deny, no rule matched, or not evaluable.
    pub outcome: Outcome,
    /// Approximations made on the way (VirtualNetwork, Internet without expanded lists).
    pub notes: Vec<String>,
}

/// The NSGs' verdict on an outbound flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// NIC's NSG first, then the subnet's; stops after a Deny.
    pub steps: Vec<Decision>,
    /// `Some(true)` when every NSG allows, `Some(false)` when one denies, `None` when
    /// that cannot be told.
    pub allowed: Option<bool>,
}

/// Evaluates an outbound flow: the NIC's NSG, then the subnet's (NSGs whose association
/// is unknown come last); both must allow. No NSG at all allows everything.
pub fn evaluate_outbound(nsgs: &[Nsg], flow: &Flow, tags: TagMatch) -> Evaluation {
    let rank = |n: &Nsg| match n.association {
        Association::Nic(_) => 0,
        Association::Subnet(_) => 1,
        Association::Unknown => 2,
    };
    let mut order: Vec<&Nsg> = nsgs.iter().collect();
    order.sort_by_key(|n| rank(n));
    let mut steps = Vec::new();
    let mut allowed = Some(true);
    for nsg in order {
        let d = evaluate_nsg(nsg, Direction::Outbound, flow, tags);
        let outcome = d.outcome.clone();
        steps.push(d);
        match outcome {
            Outcome::Decided(Access::Deny) => {
                allowed = Some(false);
                break;
            }
            Outcome::Decided(Access::Allow) => {}
            Outcome::NoRuleMatched | Outcome::NotEvaluable(_) => allowed = None,
        }
    }
    Evaluation { steps, allowed }
}

/// Evaluates one NSG's rules of `direction` for `flow`, by ascending priority. For an
/// inbound evaluation the flow's source is the remote end and its destination the VM.
pub fn evaluate_nsg(nsg: &Nsg, direction: Direction, flow: &Flow, tags: TagMatch) -> Decision {
    let mut rules: Vec<&Rule> = nsg
        .rules
        .iter()
        .filter(|r| r.direction == direction)
        .collect();
    rules.sort_by_key(|r| r.priority);
    let mut notes = Vec::new();
    let decision = |rule: Option<&Rule>, outcome, notes| Decision {
        nsg: nsg.name.clone(),
        association: nsg.association.clone(),
        rule: rule.map(|r| r.name.clone()),
        priority: rule.map(|r| r.priority),
        outcome,
        notes,
    };
    for rule in rules {
        match rule_matches(rule, nsg, flow, tags, &mut notes) {
            Tri::No => {}
            Tri::Yes => return decision(Some(rule), Outcome::Decided(rule.access), notes),
            Tri::Unknown(why) => return decision(Some(rule), Outcome::NotEvaluable(why), notes),
        }
    }
    decision(None, Outcome::NoRuleMatched, notes)
}

enum Tri {
    Yes,
    No,
    Unknown(String),
}

fn rule_matches(
    rule: &Rule,
    nsg: &Nsg,
    flow: &Flow,
    tags: TagMatch,
    notes: &mut Vec<String>,
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
    let dst = addresses_match(
        &rule.destination_prefixes,
        &rule.expanded_destination,
        &rule.destination_asgs,
        nsg,
        Some(flow.destination),
        tags,
        &mut local,
    );
    let src = match dst {
        Tri::No => {
            if let Some(asg) = rule.destination_asgs.first()
                && is_public(flow.destination)
            {
                let name = asg.rsplit('/').next().unwrap_or(asg);
                notes.push(format!(
                    "application security group {name} (rule {}) taken as not holding the public address {}",
                    rule.name, flow.destination
                ));
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
    expanded: &[Cidr],
    asgs: &[String],
    nsg: &Nsg,
    ip: Option<IpAddr>,
    tags: TagMatch,
    notes: &mut Vec<String>,
) -> Tri {
    let Some(ip) = ip else {
        // The VM's own address is not given: its membership of a source ASG is unknown,
        // any other source is taken as matching (see [`Flow::source`]).
        return match asgs.first() {
            Some(asg) => asg_unknown(asg),
            None => Tri::Yes,
        };
    };
    let mut unknown = None;
    for p in prefixes {
        match p {
            Prefix::Any => return Tri::Yes,
            Prefix::Cidr(c) if c.contains(ip) => return Tri::Yes,
            Prefix::Cidr(_) => {}
            Prefix::Tag(tag) => match tag_matches(tag, expanded, nsg, ip, tags, notes) {
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
    let name = asg.rsplit('/').next().unwrap_or(asg);
    Tri::Unknown(format!(
        "application security group {name}: membership is not in the export"
    ))
}

fn tag_matches(
    tag: &str,
    expanded: &[Cidr],
    nsg: &Nsg,
    ip: IpAddr,
    tags: TagMatch,
    notes: &mut Vec<String>,
) -> Tri {
    if !expanded.is_empty() {
        return if expanded.iter().any(|c| c.contains(ip)) {
            Tri::Yes
        } else {
            Tri::No
        };
    }
    if let Some(list) = nsg.tag_map.get(tag).filter(|l| !l.is_empty()) {
        return if list.iter().any(|c| c.contains(ip)) {
            Tri::Yes
        } else {
            Tri::No
        };
    }
    if let Some(b) = tags(tag, ip) {
        return if b { Tri::Yes } else { Tri::No };
    }
    match tag.to_ascii_lowercase().as_str() {
        "virtualnetwork" => {
            notes.push(
                "VirtualNetwork taken as the private ranges 10/8, 172.16/12, 192.168/16 (the export does not list the address space)"
                    .to_string(),
            );
            yes_no(is_rfc1918(ip))
        }
        "internet" => {
            notes.push(
                "Internet taken as any public address (the export does not list its prefixes)"
                    .to_string(),
            );
            yes_no(is_public(ip))
        }
        "azureloadbalancer" => yes_no(ip == IpAddr::V4(crate::azure::platform::WIRESERVER)),
        _ => Tri::Unknown(format!(
            "service tag {tag}: cannot tell whether {ip} is in it"
        )),
    }
}

fn yes_no(b: bool) -> Tri {
    if b { Tri::Yes } else { Tri::No }
}

fn v4(ip: IpAddr) -> Option<Ipv4Addr> {
    match ip {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(a) => a.to_ipv4_mapped(),
    }
}

fn is_rfc1918(ip: IpAddr) -> bool {
    v4(ip).is_some_and(|a| a.is_private())
}

fn is_public(ip: IpAddr) -> bool {
    match v4(ip) {
        Some(a) => {
            let shared = Cidr::parse("100.64.0.0/10").is_some_and(|c| c.contains(IpAddr::V4(a)));
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
        None => match ip {
            // Global unicast 2000::/3.
            IpAddr::V6(a) => (a.segments()[0] & 0xe000) == 0x2000,
            IpAddr::V4(_) => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Written by hand after the API reference's examples (NetworkInterfaceEffectiveNSGList,
    // NetworkSecurityGroupGet); configuration, not captures.

    fn effective_rule(
        name: &str,
        priority: u32,
        access: &str,
        protocol: &str,
        ports: &str,
        dst: &str,
    ) -> String {
        format!(
            r#"{{"name": "{name}", "protocol": "{protocol}", "sourcePortRange": "0-65535",
               "destinationPortRange": "{ports}", "sourceAddressPrefix": "0.0.0.0/0",
               "destinationAddressPrefix": "{dst}", "access": "{access}",
               "priority": {priority}, "direction": "Outbound"}}"#
        )
    }

    fn effective(nsg: &str, assoc: &str, rules: &[String]) -> String {
        let assoc = match assoc {
            "nic" => r#"{"networkInterface": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1-nic"}, "subnet": null}"#.to_string(),
            _ => r#"{"subnet": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"}}"#.to_string(),
        };
        format!(
            r#"{{"networkSecurityGroup": {{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/{nsg}"}},
                "association": {assoc}, "effectiveSecurityRules": [{}]}}"#,
            rules.join(",")
        )
    }

    fn default_outbound() -> Vec<String> {
        vec![
            r#"{"name": "defaultSecurityRules/AllowVnetOutBound", "protocol": "All",
                "sourcePortRange": "0-65535", "destinationPortRange": "0-65535",
                "sourceAddressPrefix": "VirtualNetwork", "destinationAddressPrefix": "VirtualNetwork",
                "expandedSourceAddressPrefix": ["10.1.0.0/16", "168.63.129.16/32"],
                "expandedDestinationAddressPrefix": ["10.1.0.0/16", "168.63.129.16/32"],
                "access": "Allow", "priority": 65000, "direction": "Outbound"}"#
                .to_string(),
            r#"{"name": "defaultSecurityRules/AllowInternetOutBound", "protocol": "All",
                "sourcePortRange": "0-65535", "destinationPortRange": "0-65535",
                "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": "Internet",
                "expandedDestinationAddressPrefix": ["32.0.0.0/3", "4.0.0.0/6", "2.0.0.0/7", "1.0.0.0/8", "20.0.0.0/8", "13.0.0.0/8", "52.0.0.0/8"],
                "access": "Allow", "priority": 65001, "direction": "Outbound"}"#
                .to_string(),
            effective_rule("defaultSecurityRules/DenyAllOutBound", 65500, "Deny", "All", "0-65535", "0.0.0.0/0"),
        ]
    }

    fn no_tags(_: &str, _: IpAddr) -> Option<bool> {
        None
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn effective_list_with_value_wrapper_and_bare_array() {
        let one = effective("nic-nsg", "nic", &default_outbound());
        let wrapped = parse_nsgs(&format!(r#"{{"value": [{one}], "nextLink": null}}"#)).unwrap();
        let bare = parse_nsgs(&format!("[{one}]")).unwrap();
        assert_eq!(wrapped, bare);
        let nsg = &wrapped[0];
        assert_eq!(nsg.name, "nic-nsg");
        assert!(matches!(&nsg.association, Association::Nic(id) if id.ends_with("/vm1-nic")));
        assert_eq!(nsg.rules.len(), 3);
        let internet = &nsg.rules[1];
        assert_eq!(internet.protocol, Protocol::Any);
        assert_eq!(
            internet.destination_prefixes,
            vec![Prefix::Tag("Internet".into())]
        );
        assert_eq!(internet.expanded_destination.len(), 7);
        assert_eq!(nsg.rules[2].destination_prefixes, vec![Prefix::Any]);
    }

    #[test]
    fn nsg_show_rest_body_and_flattened() {
        let rest = r#"{
          "name": "testnsg",
          "id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg",
          "type": "Microsoft.Network/networkSecurityGroups",
          "location": "westus",
          "properties": {
            "provisioningState": "Succeeded",
            "securityRules": [
              {"name": "rule1", "id": "x/securityRules/rule1",
               "properties": {"provisioningState": "Succeeded", "protocol": "*",
                 "sourcePortRange": "*", "destinationPortRange": "80",
                 "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
                 "access": "Allow", "priority": 130, "direction": "Inbound"}}
            ],
            "defaultSecurityRules": [
              {"name": "AllowInternetOutBound", "id": "x/defaultSecurityRules/AllowInternetOutBound",
               "properties": {"description": "Allow outbound traffic from all VMs to Internet",
                 "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
                 "sourceAddressPrefix": "*", "destinationAddressPrefix": "Internet",
                 "access": "Allow", "priority": 65001, "direction": "Outbound"}}
            ],
            "subnets": [{"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s1"}]
          }
        }"#;
        let flat = r#"{
          "name": "testnsg",
          "id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg",
          "securityRules": [
            {"name": "rule1", "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "80",
             "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "access": "Allow",
             "priority": 130, "direction": "Inbound", "sourcePortRanges": [], "destinationPortRanges": [],
             "sourceAddressPrefixes": [], "destinationAddressPrefixes": []}
          ],
          "defaultSecurityRules": [
            {"name": "AllowInternetOutBound", "protocol": "*", "sourcePortRange": "*",
             "destinationPortRange": "*", "sourceAddressPrefix": "*",
             "destinationAddressPrefix": "Internet", "access": "Allow", "priority": 65001,
             "direction": "Outbound"}
          ],
          "subnets": [{"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s1"}]
        }"#;
        let a = parse_nsgs(rest).unwrap();
        let b = parse_nsgs(flat).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[0].name, "testnsg");
        assert!(matches!(&a[0].association, Association::Subnet(id) if id.ends_with("/s1")));
        assert_eq!(
            a[0].rules[0].destination_ports,
            vec![PortRange {
                first: 80,
                last: 80
            }]
        );
        assert_eq!(a[0].rules[1].direction, Direction::Outbound);
        // az network nsg list: a bare array of them.
        assert_eq!(parse_nsgs(&format!("[{rest}, {flat}]")).unwrap().len(), 2);
    }

    #[test]
    fn deny_at_lower_priority_beats_allow() {
        let mut rules = default_outbound();
        rules.push(effective_rule(
            "securityRules/AllowHttps",
            200,
            "Allow",
            "Tcp",
            "443",
            "*",
        ));
        rules.push(effective_rule(
            "securityRules/DenyBlob",
            100,
            "Deny",
            "Tcp",
            "443-443",
            "20.60.0.0/16",
        ));
        let nsgs = parse_nsgs(&format!("[{}]", effective("nic-nsg", "nic", &rules))).unwrap();
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("20.60.1.2"), 443), &no_tags);
        assert_eq!(e.allowed, Some(false));
        let d = &e.steps[0];
        assert_eq!(d.rule.as_deref(), Some("securityRules/DenyBlob"));
        assert_eq!(d.priority, Some(100));
        assert_eq!(d.outcome, Outcome::Decided(Access::Deny));
        // Elsewhere the allow at 200 decides.
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("20.61.1.2"), 443), &no_tags);
        assert_eq!(e.allowed, Some(true));
        assert_eq!(e.steps[0].rule.as_deref(), Some("securityRules/AllowHttps"));
    }

    #[test]
    fn port_lists_ranges_star_and_protocol() {
        let rule = r#"{"name": "securityRules/DenySome", "protocol": "Tcp",
            "sourcePortRange": "*", "destinationPortRange": "",
            "destinationPortRanges": ["80", "8000-8100", "9443"],
            "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
            "access": "Deny", "priority": 100, "direction": "Outbound"}"#
            .to_string();
        let udp = effective_rule("securityRules/DenyUdp", 110, "Deny", "Udp", "*", "*");
        let mut rules = default_outbound();
        rules.push(rule);
        rules.push(udp);
        let nsgs = parse_nsgs(&format!("[{}]", effective("n", "nic", &rules))).unwrap();
        let verdict = |port| {
            let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.1.2.3"), port), &no_tags);
            (e.allowed, e.steps[0].rule.clone().unwrap())
        };
        assert_eq!(verdict(80), (Some(false), "securityRules/DenySome".into()));
        assert_eq!(
            verdict(8050),
            (Some(false), "securityRules/DenySome".into())
        );
        assert_eq!(
            verdict(9443),
            (Some(false), "securityRules/DenySome".into())
        );
        // TCP 443 skips the TCP list and the UDP rule, and reaches AllowInternetOutBound.
        assert_eq!(
            verdict(443),
            (
                Some(true),
                "defaultSecurityRules/AllowInternetOutBound".into()
            )
        );
        let mut f = Flow::tcp(ip("52.1.2.3"), 443);
        f.protocol = Protocol::Udp;
        let e = evaluate_outbound(&nsgs, &f, &no_tags);
        assert_eq!(e.steps[0].rule.as_deref(), Some("securityRules/DenyUdp"));
    }

    #[test]
    fn service_tag_through_closure_and_through_expanded_list() {
        let mut rules = default_outbound();
        rules.push(effective_rule(
            "securityRules/AllowRecovery",
            100,
            "Allow",
            "Tcp",
            "443",
            "AzureSiteRecovery",
        ));
        rules.push(effective_rule(
            "securityRules/DenyOther443",
            200,
            "Deny",
            "Tcp",
            "443",
            "*",
        ));
        let nsgs = parse_nsgs(&format!("[{}]", effective("n", "nic", &rules))).unwrap();
        let asr = |tag: &str, a: IpAddr| (tag == "AzureSiteRecovery").then(|| a == ip("13.69.1.1"));
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("13.69.1.1"), 443), &asr);
        assert_eq!(e.allowed, Some(true));
        assert_eq!(
            e.steps[0].rule.as_deref(),
            Some("securityRules/AllowRecovery")
        );
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("13.69.9.9"), 443), &asr);
        assert_eq!(
            e.steps[0].rule.as_deref(),
            Some("securityRules/DenyOther443")
        );
        // The caller cannot tell: not evaluable, and said so.
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("13.69.1.1"), 443), &no_tags);
        assert_eq!(e.allowed, None);
        assert!(
            matches!(&e.steps[0].outcome, Outcome::NotEvaluable(w) if w.contains("AzureSiteRecovery"))
        );

        // With an expanded list the closure is not needed.
        let expanded = r#"{"name": "securityRules/AllowStorage", "protocol": "Tcp",
            "sourcePortRange": "0-65535", "destinationPortRange": "443-443",
            "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": "Storage.WestEurope",
            "expandedDestinationAddressPrefix": ["20.60.0.0/16", "52.239.140.0/22"],
            "access": "Allow", "priority": 100, "direction": "Outbound"}"#;
        let deny = effective_rule("securityRules/DenyAll", 150, "Deny", "All", "*", "*");
        let nsgs = parse_nsgs(&format!(
            "[{}]",
            effective("n", "nic", &[expanded.to_string(), deny])
        ))
        .unwrap();
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.239.141.7"), 443), &no_tags);
        assert_eq!(e.allowed, Some(true));
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.239.150.7"), 443), &no_tags);
        assert_eq!(e.steps[0].rule.as_deref(), Some("securityRules/DenyAll"));
    }

    #[test]
    fn virtual_network_and_internet_without_expansion_are_approximated_and_said() {
        let rules = vec![
            effective_rule(
                "defaultSecurityRules/AllowVnetOutBound",
                65000,
                "Allow",
                "All",
                "*",
                "VirtualNetwork",
            ),
            effective_rule(
                "defaultSecurityRules/AllowInternetOutBound",
                65001,
                "Allow",
                "All",
                "*",
                "Internet",
            ),
            effective_rule(
                "defaultSecurityRules/DenyAllOutBound",
                65500,
                "Deny",
                "All",
                "*",
                "*",
            ),
            effective_rule(
                "securityRules/AllowProbe",
                300,
                "Allow",
                "Tcp",
                "*",
                "AzureLoadBalancer",
            ),
        ];
        let nsgs = parse_nsgs(&format!("[{}]", effective("n", "nic", &rules))).unwrap();
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("10.2.3.4"), 445), &no_tags);
        assert_eq!(
            e.steps[0].rule.as_deref(),
            Some("defaultSecurityRules/AllowVnetOutBound")
        );
        assert!(
            e.steps[0]
                .notes
                .iter()
                .any(|n| n.contains("private ranges"))
        );
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("40.1.2.3"), 443), &no_tags);
        assert_eq!(
            e.steps[0].rule.as_deref(),
            Some("defaultSecurityRules/AllowInternetOutBound")
        );
        assert!(
            e.steps[0]
                .notes
                .iter()
                .any(|n| n.contains("public address"))
        );
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("168.63.129.16"), 80), &no_tags);
        assert_eq!(e.steps[0].rule.as_deref(), Some("securityRules/AllowProbe"));
        // 100.64/10 is neither: the deny-all decides.
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("100.64.0.1"), 443), &no_tags);
        assert_eq!(e.allowed, Some(false));
    }

    #[test]
    fn nic_then_subnet_both_must_allow() {
        let mut subnet_rules = default_outbound();
        subnet_rules.push(effective_rule(
            "securityRules/DenyHttpsOut",
            100,
            "Deny",
            "Tcp",
            "443",
            "Internet",
        ));
        let mut nic_rules = default_outbound();
        nic_rules.push(effective_rule(
            "securityRules/AllowHttpsOut",
            100,
            "Allow",
            "Tcp",
            "443",
            "*",
        ));
        // Subnet listed first: evaluation still starts with the NIC's NSG.
        let json = format!(
            r#"{{"value": [{}, {}]}}"#,
            effective("subnet-nsg", "subnet", &subnet_rules),
            effective("nic-nsg", "nic", &nic_rules)
        );
        let nsgs = parse_nsgs(&json).unwrap();
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.1.2.3"), 443), &no_tags);
        assert_eq!(e.allowed, Some(false));
        assert_eq!(e.steps.len(), 2);
        assert_eq!(e.steps[0].nsg, "nic-nsg");
        assert_eq!(e.steps[0].outcome, Outcome::Decided(Access::Allow));
        assert_eq!(e.steps[1].nsg, "subnet-nsg");
        assert_eq!(
            e.steps[1].rule.as_deref(),
            Some("securityRules/DenyHttpsOut")
        );
        // A NIC deny stops there.
        let mut nic_deny = default_outbound();
        nic_deny.push(effective_rule(
            "securityRules/DenyAll",
            100,
            "Deny",
            "All",
            "*",
            "*",
        ));
        let json = format!(
            "[{}, {}]",
            effective("subnet-nsg", "subnet", &default_outbound()),
            effective("nic-nsg", "nic", &nic_deny)
        );
        let e = evaluate_outbound(
            &parse_nsgs(&json).unwrap(),
            &Flow::tcp(ip("52.1.2.3"), 443),
            &no_tags,
        );
        assert_eq!((e.allowed, e.steps.len()), (Some(false), 1));
        // Both allow.
        let json = format!(
            "[{}, {}]",
            effective("subnet-nsg", "subnet", &default_outbound()),
            effective("nic-nsg", "nic", &default_outbound())
        );
        let e = evaluate_outbound(
            &parse_nsgs(&json).unwrap(),
            &Flow::tcp(ip("52.1.2.3"), 443),
            &no_tags,
        );
        assert_eq!((e.allowed, e.steps.len()), (Some(true), 2));
        // No NSG at all: nothing filters.
        assert_eq!(
            evaluate_outbound(&[], &Flow::tcp(ip("52.1.2.3"), 443), &no_tags).allowed,
            Some(true)
        );
    }

    #[test]
    fn application_security_group_is_not_evaluable() {
        let json = r#"{"name": "nsg1", "properties": {"securityRules": [
            {"name": "AllowToAppServers", "properties": {"protocol": "Tcp",
              "sourcePortRange": "*", "destinationPortRange": "443",
              "sourceAddressPrefix": "*",
              "destinationApplicationSecurityGroups": [{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/app-servers"}],
              "access": "Allow", "priority": 100, "direction": "Outbound"}}
          ], "defaultSecurityRules": []}}"#;
        let nsgs = parse_nsgs(json).unwrap();
        assert_eq!(nsgs[0].association, Association::Unknown);
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("10.0.0.5"), 443), &no_tags);
        assert_eq!(e.allowed, None);
        assert_eq!(e.steps[0].priority, Some(100));
        assert!(matches!(&e.steps[0].outcome,
            Outcome::NotEvaluable(w) if w.contains("application security group app-servers")));
        // Another port never reaches the ASG question.
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("10.0.0.5"), 80), &no_tags);
        assert_eq!(e.steps[0].outcome, Outcome::NoRuleMatched);
        assert_eq!(e.steps[0].rule, None);
        // A public destination (an Azure service) is in no group: the rule does
        // not match, and the result says why.
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.1.2.3"), 443), &no_tags);
        assert_eq!(e.steps[0].outcome, Outcome::NoRuleMatched);
        assert!(
            e.steps[0]
                .notes
                .iter()
                .any(|n| n.contains("app-servers (rule AllowToAppServers) taken as not holding the public address 52.1.2.3")),
            "{:?}",
            e.steps[0].notes
        );
    }

    #[test]
    fn source_asg_is_not_evaluable_even_without_the_vm_address() {
        let json = r#"[{"name": "nsg1", "securityRules": [
            {"name": "DenyFromDb", "protocol": "*", "sourcePortRange": "*",
             "destinationPortRange": "*", "destinationAddressPrefix": "*",
             "sourceApplicationSecurityGroups": [{"id": "/x/applicationSecurityGroups/db"}],
             "access": "Deny", "priority": 100, "direction": "Outbound"}]}]"#;
        let nsgs = parse_nsgs(json).unwrap();
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.1.2.3"), 443), &no_tags);
        assert!(matches!(&e.steps[0].outcome,
            Outcome::NotEvaluable(w) if w.contains("application security group db")));
    }

    #[test]
    fn reference_example_association_naming_nic_and_subnet_is_unknown() {
        // As in the API reference example: one entry associated with a network manager,
        // a subnet and a NIC at once; asrscope does not guess which.
        let json = r#"{"value": [{
            "networkSecurityGroup": {"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/test-nsg"},
            "association": {
              "networkManager": {"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkManagers/nm1"},
              "subnet": {"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/rg1-vnet/subnets/default"},
              "networkInterface": {"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/nic1"}
            },
            "effectiveSecurityRules": [
              {"name": "securityRules/rule1", "protocol": "Tcp", "sourcePortRange": "456-456",
               "destinationPortRange": "6579-6579", "sourceAddressPrefix": "0.0.0.0/32",
               "destinationAddressPrefix": "0.0.0.0/32", "access": "Allow", "priority": 234,
               "direction": "Inbound"}
            ],
            "tagMap": {"Storage.WestEurope": ["20.60.0.0/16"]}
        }]}"#;
        let nsgs = parse_nsgs(json).unwrap();
        assert_eq!(nsgs[0].name, "test-nsg");
        assert_eq!(nsgs[0].association, Association::Unknown);
        assert_eq!(
            nsgs[0].rules[0].source_ports,
            vec![PortRange {
                first: 456,
                last: 456
            }]
        );
        assert_eq!(
            nsgs[0].rules[0].destination_prefixes,
            vec![Prefix::Cidr(Cidr::parse("0.0.0.0/32").unwrap())]
        );
        assert_eq!(
            nsgs[0].tag_map["Storage.WestEurope"],
            vec![Cidr::parse("20.60.0.0/16").unwrap()]
        );
    }

    #[test]
    fn service_tag_through_the_effective_tag_map() {
        let rules = [
            effective_rule(
                "securityRules/AllowStorage",
                100,
                "Allow",
                "Tcp",
                "443",
                "Storage.WestEurope",
            ),
            effective_rule("securityRules/DenyAll", 200, "Deny", "All", "*", "*"),
        ];
        let json = format!(
            r#"[{}]"#,
            effective("n", "nic", &rules).replacen(
                "\"effectiveSecurityRules\"",
                r#""tagMap": {"Storage.WestEurope": ["20.60.0.0/16"]}, "effectiveSecurityRules""#,
                1
            )
        );
        let nsgs = parse_nsgs(&json).unwrap();
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("20.60.3.4"), 443), &no_tags);
        assert_eq!(
            e.steps[0].rule.as_deref(),
            Some("securityRules/AllowStorage")
        );
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("20.61.3.4"), 443), &no_tags);
        assert_eq!(e.steps[0].rule.as_deref(), Some("securityRules/DenyAll"));
    }

    #[test]
    fn source_prefix_is_checked_when_the_vm_address_is_known() {
        let rule = r#"{"name": "securityRules/DenyFromWeb", "protocol": "Tcp",
            "sourcePortRange": "*", "destinationPortRange": "*",
            "sourceAddressPrefix": "10.1.2.0/24", "destinationAddressPrefix": "*",
            "access": "Deny", "priority": 100, "direction": "Outbound"}"#;
        let mut rules = default_outbound();
        rules.push(rule.to_string());
        let nsgs = parse_nsgs(&format!("[{}]", effective("n", "nic", &rules))).unwrap();
        let mut f = Flow::tcp(ip("52.1.2.3"), 443);
        f.source = Some(ip("10.1.3.4"));
        assert_eq!(evaluate_outbound(&nsgs, &f, &no_tags).allowed, Some(true));
        f.source = Some(ip("10.1.2.4"));
        assert_eq!(evaluate_outbound(&nsgs, &f, &no_tags).allowed, Some(false));
    }

    #[test]
    fn bad_json_gives_one_line_naming_what_was_expected() {
        let e = parse_nsgs("{not json").unwrap_err();
        assert!(e.to_string().starts_with("not JSON"), "{e}");
        let e = parse_nsgs(r#"{"value": 3}"#).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("az network nic list-effective-nsg"), "{text}");
        assert!(text.contains("az network nsg show"), "{text}");
        assert!(!text.contains('\n'));
        let e = parse_nsgs(
            r#"[{"effectiveSecurityRules": [{"name": "r1", "protocol": "Tcp",
            "sourcePortRange": "*", "destinationPortRange": "443",
            "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
            "access": "Maybe", "priority": 1, "direction": "Outbound"}]}]"#,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "security rule \"r1\": access \"Maybe\" is neither Allow nor Deny"
        );
        let e = parse_nsgs(
            r#"[{"effectiveSecurityRules": [{"name": "r2", "protocol": "Tcp",
            "sourcePortRange": "*", "destinationPortRange": "http",
            "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
            "access": "Allow", "priority": 1, "direction": "Outbound"}]}]"#,
        )
        .unwrap_err();
        assert!(e.to_string().contains("\"http\" is not a port"), "{e}");
    }

    #[test]
    fn cidr_parsing_and_containment() {
        let c = Cidr::parse("10.1.2.3/16").unwrap();
        assert_eq!(c.to_string(), "10.1.0.0/16");
        assert!(c.contains(ip("10.1.255.1")));
        assert!(!c.contains(ip("10.2.0.1")));
        assert!(c.contains(ip("::ffff:10.1.0.9")));
        assert_eq!(Cidr::parse("1.2.3.4").unwrap().len, 32);
        assert!(
            Cidr::parse("2603:1030::/32")
                .unwrap()
                .contains(ip("2603:1030:20::1"))
        );
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("Storage").is_none());
    }
}
