//! Azure network settings as data: service tag names, route next hops and
//! sources, and what the NSG and route exports (`--nsg`, `--routes`) say of
//! one destination. Compared as values, never as text.

use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// A service tag's name as written (`Storage.EastUS`, `AzureCloud.eastus`).
/// Azure takes tag names case-insensitively, and so does this type: it
/// compares, orders and hashes ignoring ASCII case, and displays as written.
#[derive(Clone, Debug, Eq)]
pub struct TagName(String);

impl TagName {
    /// A tag name as written.
    pub fn new(name: impl Into<String>) -> TagName {
        TagName(name.into())
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The family: the part before the first dot (`Storage`).
    pub fn family(&self) -> &str {
        self.0.split_once('.').map_or(&self.0, |(f, _)| f)
    }

    /// The region part of a regional tag (`EastUS` of `Storage.EastUS`).
    pub fn region(&self) -> Option<&str> {
        self.0
            .split_once('.')
            .map(|(_, r)| r)
            .filter(|r| !r.is_empty())
    }

    /// True when the tag is `family` or one of its regional variants.
    pub fn in_family(&self, family: &str) -> bool {
        TagName::name_in_family(&self.0, family)
    }

    /// [`TagName::in_family`] for a name not (yet) held as a `TagName`,
    /// without allocating.
    pub fn name_in_family(name: &str, family: &str) -> bool {
        name.split_once('.')
            .map_or(name, |(f, _)| f)
            .eq_ignore_ascii_case(family)
    }

    /// True when the tag is `name`, ignoring case.
    pub fn is(&self, name: &str) -> bool {
        self.0.eq_ignore_ascii_case(name)
    }
}

impl PartialEq for TagName {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl Hash for TagName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for b in self.0.bytes() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

impl Ord for TagName {
    fn cmp(&self, other: &Self) -> Ordering {
        let a = self.0.bytes().map(|b| b.to_ascii_lowercase());
        let b = other.0.bytes().map(|b| b.to_ascii_lowercase());
        a.cmp(b)
    }
}

impl PartialOrd for TagName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for TagName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for TagName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Where a route sends traffic (`nextHopType`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NextHop {
    /// Out to the internet (Azure's own public ranges stay on its backbone).
    Internet,
    /// Straight to an Azure service over a service endpoint.
    VirtualNetworkServiceEndpoint,
    /// To a network virtual appliance at the route's next hop address.
    VirtualAppliance,
    /// To several appliances (equal-cost multipath).
    VirtualApplianceEcmp,
    /// To the VPN or ExpressRoute gateway.
    VirtualNetworkGateway,
    /// Within the virtual network.
    VnetLocal,
    /// To a peered virtual network.
    VnetPeering,
    /// To a globally peered virtual network.
    VnetGlobalPeering,
    /// Dropped.
    None,
    /// A type newer than this code, as exported.
    Other(String),
}

impl NextHop {
    /// Reads an exported `nextHopType` (any case).
    pub fn parse(text: &str) -> NextHop {
        match text.to_ascii_lowercase().as_str() {
            "internet" => NextHop::Internet,
            "virtualnetworkserviceendpoint" => NextHop::VirtualNetworkServiceEndpoint,
            "virtualappliance" => NextHop::VirtualAppliance,
            "virtualapplianceecmp" => NextHop::VirtualApplianceEcmp,
            "virtualnetworkgateway" => NextHop::VirtualNetworkGateway,
            "vnetlocal" => NextHop::VnetLocal,
            "vnetpeering" => NextHop::VnetPeering,
            "vnetglobalpeering" => NextHop::VnetGlobalPeering,
            "none" => NextHop::None,
            _ => NextHop::Other(text.to_string()),
        }
    }

    /// The name Azure gives the type.
    pub fn as_str(&self) -> &str {
        match self {
            NextHop::Internet => "Internet",
            NextHop::VirtualNetworkServiceEndpoint => "VirtualNetworkServiceEndpoint",
            NextHop::VirtualAppliance => "VirtualAppliance",
            NextHop::VirtualApplianceEcmp => "VirtualApplianceEcmp",
            NextHop::VirtualNetworkGateway => "VirtualNetworkGateway",
            NextHop::VnetLocal => "VnetLocal",
            NextHop::VnetPeering => "VnetPeering",
            NextHop::VnetGlobalPeering => "VnetGlobalPeering",
            NextHop::None => "None",
            NextHop::Other(s) => s,
        }
    }

    /// True for a network virtual appliance (one or several).
    pub fn is_appliance(&self) -> bool {
        matches!(
            self,
            NextHop::VirtualAppliance | NextHop::VirtualApplianceEcmp
        )
    }

    /// How bad the hop is for Site Recovery traffic: 0 fine, 1 an appliance
    /// (may throttle), 2 a gateway (leaves the Azure boundary), 3 dropped.
    pub fn harm(&self) -> u8 {
        match self {
            NextHop::None => 3,
            NextHop::VirtualNetworkGateway => 2,
            h if h.is_appliance() => 1,
            _ => 0,
        }
    }
}

impl fmt::Display for NextHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for NextHop {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Who made a route (`source`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RouteSource {
    /// A user-defined route (a route table).
    User,
    /// Learned over BGP through a virtual network gateway or Route Server.
    VirtualNetworkGateway,
    /// A system route.
    Default,
    /// `Unknown`, or a source newer than this code, as exported.
    Unknown(String),
    /// No route holds the destination: Azure drops the traffic.
    NoRoute,
}

impl RouteSource {
    /// Reads an exported `source` (any case).
    pub fn parse(text: &str) -> RouteSource {
        match text.to_ascii_lowercase().as_str() {
            "user" => RouteSource::User,
            "virtualnetworkgateway" => RouteSource::VirtualNetworkGateway,
            "default" => RouteSource::Default,
            _ => RouteSource::Unknown(text.to_string()),
        }
    }

    /// The name Azure gives the source (`no route` when none held it).
    pub fn as_str(&self) -> &str {
        match self {
            RouteSource::User => "User",
            RouteSource::VirtualNetworkGateway => "VirtualNetworkGateway",
            RouteSource::Default => "Default",
            RouteSource::Unknown(s) => s,
            RouteSource::NoRoute => "no route",
        }
    }
}

impl fmt::Display for RouteSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RouteSource {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Where an NSG is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppliedTo {
    /// The VM's network interface: evaluated first for outbound traffic.
    Nic,
    /// The VM's subnet: evaluated second.
    Subnet,
    /// The export does not say (an `nsg show` export of an NSG on several
    /// NICs and subnets): evaluated last.
    Unknown,
}

/// Which `az` command an NSG export came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NsgExport {
    /// `az network nic list-effective-nsg`: the NIC's NSGs, tags expanded.
    Effective,
    /// `az network nsg show` (or `nsg list`): one NSG as written.
    NsgShow,
}

/// What one NSG did with the traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NsgOutcome {
    /// A rule allowed it.
    Allow,
    /// A rule denied it.
    Deny,
    /// No rule matched (an export without the default rules).
    NoRuleMatched,
    /// A rule may match but cannot be evaluated from the export.
    CannotTell,
}

/// One NSG on the path and the rule that decided in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NsgStep {
    /// The NSG's name.
    pub nsg: String,
    /// Where it is applied.
    pub applied_to: AppliedTo,
    /// The export it came from.
    pub export: NsgExport,
    /// The deciding rule (absent when none matched).
    pub rule: Option<String>,
    /// Its priority.
    pub priority: Option<u32>,
    /// What it did.
    pub outcome: NsgOutcome,
}

/// What the NSG exports (`--nsg`) say of a destination: every NSG on the
/// path (the NIC's, then the subnet's) with the rule that decided in it, as
/// Network Watcher's NSG diagnostics shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NsgVerdict {
    /// True when every NSG allows it, false when one denies it, absent when
    /// a rule could not be evaluated (an application security group, a tag
    /// the service-tag data cannot expand) or no rule matched.
    pub allowed: Option<bool>,
    /// The NSG that decided: the one that denied (or could not tell), else
    /// the last that allowed.
    pub nsg: Option<String>,
    /// Its deciding rule.
    pub rule: Option<String>,
    /// The rule's priority.
    pub priority: Option<u32>,
    /// Every NSG evaluated, in order; evaluation stops at a deny.
    pub steps: Vec<NsgStep>,
    /// An Azure Virtual Network Manager whose security admin rules apply
    /// before these NSGs (named by the effective export's association); its
    /// rules are not in the export.
    pub network_manager: Option<String>,
    /// Why a rule could not be evaluated, and the approximations made.
    pub notes: Vec<String>,
}

/// The route (`--routes`) a destination takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteVerdict {
    /// The matching prefix: a CIDR, or the service tag of a route that
    /// names one; `-` when no route holds the destination.
    pub prefix: String,
    /// The route's name, when it has one (system routes have none).
    pub name: Option<String>,
    /// Where it sends the traffic.
    pub next_hop: NextHop,
    /// The next hop's address (a virtual appliance's).
    pub next_hop_address: Option<String>,
    /// Who made the route.
    pub source: RouteSource,
    /// A system route asrscope added: `az network route-table show` prints
    /// only the user's routes, and Azure combines them with the subnet's
    /// system routes.
    pub assumed: bool,
    /// What the choice rests on, when it could be wrong.
    pub notes: Vec<String>,
}
