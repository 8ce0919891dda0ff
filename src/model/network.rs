//! Azure network settings as data: service tag names, route next hops and
//! sources, and what the NSG and route exports (`--nsg`, `--routes`) say of
//! one destination. Compared as values, never as text.

use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;

/// An Azure cloud.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Cloud {
    /// The public cloud.
    Public,
    /// Azure Government.
    Usgov,
    /// Azure operated by 21Vianet (China).
    China,
}

impl Cloud {
    /// Its name as users know it.
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Public => "Azure (public)",
            Cloud::Usgov => "Azure Government",
            Cloud::China => "Azure operated by 21Vianet (China)",
        }
    }

    /// Its service-tag file (`ServiceTags_Public_*.json`).
    pub fn tag_file(self) -> &'static str {
        match self {
            Cloud::Public => "ServiceTags_Public_*.json",
            Cloud::Usgov => "ServiceTags_AzureGovernment_*.json",
            Cloud::China => "ServiceTags_China_*.json",
        }
    }

    /// The page its service-tag file is downloaded from.
    pub fn tag_download(self) -> &'static str {
        match self {
            Cloud::Public => "https://www.microsoft.com/download/details.aspx?id=56519",
            Cloud::Usgov => "https://www.microsoft.com/download/details.aspx?id=57063",
            Cloud::China => "https://www.microsoft.com/download/details.aspx?id=57062",
        }
    }
}

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

    /// The tag NSGs give a meaning of their own, when it is one.
    pub fn special(&self) -> Option<SpecialTag> {
        [
            ("VirtualNetwork", SpecialTag::VirtualNetwork),
            ("Internet", SpecialTag::Internet),
            ("AzureLoadBalancer", SpecialTag::AzureLoadBalancer),
            ("AzurePlatformDNS", SpecialTag::AzurePlatformDns),
            ("AzurePlatformIMDS", SpecialTag::AzurePlatformImds),
        ]
        .into_iter()
        .find_map(|(name, s)| self.is(name).then_some(s))
    }
}

/// The tags NSGs give a meaning of their own instead of the addresses of
/// the service-tag data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SpecialTag {
    /// The virtual network's address space, its peerings and more.
    VirtualNetwork,
    /// Every address outside the virtual network, reachable on the
    /// internet.
    Internet,
    /// The host's virtual IP, 168.63.129.16.
    AzureLoadBalancer,
    /// Azure-provided DNS, 168.63.129.16: the tag that makes an NSG rule
    /// apply to it (the service-tag file has no prefixes for it).
    AzurePlatformDns,
    /// The Instance Metadata Service, 169.254.169.254: the tag that makes an
    /// NSG rule apply to it (the service-tag file has no prefixes for it).
    AzurePlatformImds,
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

/// Which region of the pair a regional service tag is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionRole {
    /// The source region (the replicated VMs').
    Source,
    /// The target region.
    Target,
}

/// The service tag an NSG must allow for an endpoint. While the region it
/// depends on is not known, it is the tag's family and which region, written
/// `Storage.<source>`: not a tag, and no address is in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequiredTag {
    /// The tag.
    Tag(TagName),
    /// A regional tag whose region is not known yet.
    RegionUnknown {
        /// The tag family (`Storage`).
        family: &'static str,
        /// Which region it needs.
        region: RegionRole,
    },
}

impl RequiredTag {
    /// The tag, when its region is known.
    pub fn tag(&self) -> Option<&TagName> {
        match self {
            RequiredTag::Tag(t) => Some(t),
            RequiredTag::RegionUnknown { .. } => None,
        }
    }

    /// The tag family (`Storage`).
    pub fn family(&self) -> &str {
        match self {
            RequiredTag::Tag(t) => t.family(),
            RequiredTag::RegionUnknown { family, .. } => family,
        }
    }

    /// The region part as written (`EastUS`, or `<source>` while not known),
    /// for a regional tag.
    pub fn region(&self) -> Option<&str> {
        match self {
            RequiredTag::Tag(t) => t.region(),
            RequiredTag::RegionUnknown {
                region: RegionRole::Source,
                ..
            } => Some("<source>"),
            RequiredTag::RegionUnknown {
                region: RegionRole::Target,
                ..
            } => Some("<target>"),
        }
    }
}

impl From<TagName> for RequiredTag {
    fn from(t: TagName) -> RequiredTag {
        RequiredTag::Tag(t)
    }
}

impl fmt::Display for RequiredTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequiredTag::Tag(t) => t.fmt(f),
            RequiredTag::RegionUnknown { family, .. } => {
                write!(f, "{family}.{}", self.region().unwrap_or_default())
            }
        }
    }
}

impl Serialize for RequiredTag {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
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

    /// The name Azure gives the source.
    pub fn as_str(&self) -> &str {
        match self {
            RouteSource::User => "User",
            RouteSource::VirtualNetworkGateway => "VirtualNetworkGateway",
            RouteSource::Default => "Default",
            RouteSource::Unknown(s) => s,
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

/// Where a route was read: one origin of three.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteOrigin {
    /// The NIC's effective routes (`az network nic
    /// show-effective-route-table`): the whole routing table.
    Effective,
    /// A route table as written (`az network route-table show`): only the
    /// user's routes.
    Table,
    /// A system route asrscope added to route tables as written, as Azure
    /// combines them with the subnet's system routes.
    Assumed,
}

/// Why the service-tag data cannot tell a tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TagUnknown {
    /// The data does not hold the tag.
    NotInData,
    /// The data is another cloud's than the flow's (this one).
    OtherCloud(Cloud),
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

/// The lowest priority number an NSG rule can have (the highest priority).
pub const HIGHEST_PRIORITY: u32 = 100;

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
    /// The NSG's place among the NSGs read (`Nsgs::list`): names are unique
    /// only within a resource group, so the NSG is found again by place.
    #[serde(skip)]
    pub nsg_index: usize,
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

/// Why an NSG verdict could not be told, or what it assumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsgNote {
    /// No outbound rule of the NSG matches: every NSG ends with the default
    /// rule DenyAllOutBound, which the export lacks.
    NoRuleMatched {
        /// The NSG.
        nsg: String,
    },
    /// A destination application security group was taken as not holding
    /// a public address (groups hold VMs' interfaces).
    AsgNotPublic {
        /// The group (last segment of its id).
        asg: String,
        /// The rule naming it.
        rule: String,
        /// The address.
        address: IpAddr,
    },
    /// An application security group whose members the export does not
    /// list.
    AsgMembership {
        /// The group (last segment of its id).
        asg: String,
    },
    /// A rule names a service tag the data cannot tell.
    TagUnknown {
        /// The tag.
        tag: TagName,
        /// Why it cannot be told.
        why: TagUnknown,
        /// The address asked about.
        address: IpAddr,
    },
    /// `VirtualNetwork` taken as the private ranges (the export does not
    /// list the address space).
    VirtualNetworkAsPrivate,
    /// `Internet` taken as any public address (the export does not list its
    /// prefixes).
    InternetAsPublic,
}

/// What the NSG exports (`--nsg`) say of a destination: every NSG on the
/// path (the NIC's, then the subnet's) with the rule that decided in it, as
/// Network Watcher's NSG diagnostics shows them. Evaluation stops at a
/// deny; no NSG at all allows everything.
///
/// The JSON adds what the steps decide: `allowed` (true when every NSG
/// allows, false when one denies, null when one cannot tell), and the
/// deciding NSG's `nsg`, `rule` and `priority` (see [`NsgVerdict::deciding`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsgVerdict {
    /// Every NSG evaluated, in order.
    pub steps: Vec<NsgStep>,
    /// An Azure Virtual Network Manager whose security admin rules apply
    /// before these NSGs (named by the effective export's association); its
    /// rules are not in the export.
    pub network_manager: Option<String>,
    /// Why a rule could not be evaluated, and the approximations made.
    pub notes: Vec<NsgNote>,
}

impl NsgVerdict {
    /// The NSG that decided: the one that denied, else the first that could
    /// not tell, else the last that allowed; `None` without NSGs.
    pub fn deciding(&self) -> Option<&NsgStep> {
        match self.steps.last() {
            Some(last) if last.outcome == NsgOutcome::Deny => Some(last),
            last => self
                .steps
                .iter()
                .find(|s| s.outcome != NsgOutcome::Allow)
                .or(last),
        }
    }

    /// What the NSGs do with the traffic, all together: the deciding NSG's
    /// outcome ([`NsgOutcome::Allow`] without NSGs).
    pub fn outcome(&self) -> NsgOutcome {
        self.deciding().map_or(NsgOutcome::Allow, |s| s.outcome)
    }

    /// True when every NSG allows it, false when one denies it, `None` when
    /// one cannot tell (a rule that cannot be evaluated, or no rule matched).
    pub fn allowed(&self) -> Option<bool> {
        match self.outcome() {
            NsgOutcome::Allow => Some(true),
            NsgOutcome::Deny => Some(false),
            NsgOutcome::NoRuleMatched | NsgOutcome::CannotTell => None,
        }
    }
}

/// The prefix of the route that carries a destination.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RoutePrefix {
    /// An address block.
    Block {
        /// Its first address.
        address: IpAddr,
        /// Its prefix length.
        len: u8,
    },
    /// The service tag a route names.
    Tag(TagName),
}

impl RoutePrefix {
    /// True for a default route (`0.0.0.0/0`, `::/0`).
    pub fn is_default(&self) -> bool {
        matches!(self, RoutePrefix::Block { len: 0, .. })
    }
}

impl fmt::Display for RoutePrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RoutePrefix::Block { address, len } => write!(f, "{address}/{len}"),
            RoutePrefix::Tag(t) => t.fmt(f),
        }
    }
}

/// The route that carries a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTaken {
    /// The matching prefix.
    pub prefix: RoutePrefix,
    /// The route's name, when it has one (system routes have none).
    pub name: Option<String>,
    /// Where it sends the traffic.
    pub next_hop: NextHop,
    /// The next hop's address (a virtual appliance's).
    pub next_hop_address: Option<String>,
    /// Who made the route.
    pub source: RouteSource,
    /// Where it was read, or that asrscope added it.
    pub origin: RouteOrigin,
}

/// What the route choice rests on, when it could be wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteNote {
    /// A route names a service tag the data cannot tell.
    TagUnknown {
        /// The address asked about.
        address: IpAddr,
        /// The first route naming it (its name, else its prefixes).
        route: String,
        /// The tag.
        tag: TagName,
        /// Other routes naming the same tag.
        more: u32,
        /// Why it cannot be told.
        why: TagUnknown,
    },
    /// Routes name more tags the data cannot tell than are named one by one.
    MoreTagsUnknown {
        /// The address asked about.
        address: IpAddr,
        /// How many more tags.
        count: usize,
    },
    /// A system route asrscope added drops the address, unless it is in the
    /// virtual network's address space or a peered network's.
    SystemRouteDrops {
        /// The address.
        address: IpAddr,
    },
    /// A service endpoint for Microsoft.Storage, which a route table does
    /// not show, would take the traffic past the route.
    ServiceEndpointBypass {
        /// The route (its name, else its prefixes).
        route: String,
    },
}

/// The route (`--routes`) a destination takes.
///
/// The JSON flattens it as before: `prefix` (`-` when no route holds the
/// destination), `name`, `next_hop` (`None` then), `next_hop_address`,
/// `source` (`no route` then), `assumed` and `notes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteVerdict {
    /// The route that carries it; `None` when no route holds the destination,
    /// and Azure drops the traffic.
    pub route: Option<RouteTaken>,
    /// What the choice rests on, when it could be wrong.
    pub notes: Vec<RouteNote>,
}

/// No route: Azure drops the traffic, as a next hop `None` does.
static NO_ROUTE_HOP: NextHop = NextHop::None;

impl RouteVerdict {
    /// Where the traffic goes: [`NextHop::None`] when no route holds it.
    pub fn next_hop(&self) -> &NextHop {
        self.route.as_ref().map_or(&NO_ROUTE_HOP, |r| &r.next_hop)
    }

    /// The next hop's address.
    pub fn next_hop_address(&self) -> Option<&str> {
        self.route.as_ref()?.next_hop_address.as_deref()
    }

    /// True when a route the admin made (or no route at all) drops the
    /// traffic; a system route asrscope assumed does not count (the
    /// virtual network may hold the address).
    pub fn drops(&self) -> bool {
        match &self.route {
            None => true,
            Some(r) => r.next_hop == NextHop::None && r.origin != RouteOrigin::Assumed,
        }
    }

    /// True when the traffic goes to a network virtual appliance.
    pub fn to_appliance(&self) -> bool {
        self.next_hop().is_appliance()
    }
}

/// Which pass of Azure Firewall's processing decided: threat intelligence
/// first, then DNAT, network and application rules (each pass over every
/// rule collection group), the infrastructure rule collection, then the
/// default deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallPass {
    /// DNAT rules.
    Dnat,
    /// Network rules.
    Network,
    /// Application rules.
    Application,
    /// Nothing matched: the default deny (after the infrastructure rule
    /// collection, which holds Azure platform names only).
    Default,
}

/// What a rule collection does with what its rules match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallAction {
    /// Let through.
    Allow,
    /// Dropped.
    Deny,
    /// Destination translated (inbound to the firewall's public address).
    Dnat,
}

/// A rule of a firewall, where it sits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct FirewallRuleRef {
    /// The policy holding it (`None` for a classic rule).
    pub policy: Option<String>,
    /// Its rule collection group (`None` for a classic rule).
    pub group: Option<String>,
    /// The group's priority.
    pub group_priority: Option<u32>,
    /// Its rule collection.
    pub collection: String,
    /// The collection's priority.
    pub collection_priority: Option<u32>,
    /// The rule.
    pub rule: String,
    /// Its type's pass.
    pub pass: FirewallPass,
    /// Its collection's action.
    pub action: FirewallAction,
}

/// Why a firewall verdict cannot be told offline.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FirewallUnknown {
    /// An application rule names an FQDN tag: Microsoft keeps its names.
    FqdnTag {
        /// The tag.
        tag: String,
    },
    /// An application rule names a web category: Microsoft classifies names.
    WebCategory {
        /// The category.
        category: String,
    },
    /// An application rule names a URL of this host: its path needs TLS
    /// inspection, which a capture or an export cannot show.
    TargetUrl {
        /// The URL.
        url: String,
    },
    /// A rule names an IP group whose export was not given.
    IpGroupMissing {
        /// The group (last segment of its id).
        group: String,
    },
    /// The policy inherits from a parent whose export was not given: the
    /// parent's groups come first.
    ParentPolicyMissing {
        /// The parent (last segment of its id).
        parent: String,
    },
    /// The policy lists rule collection groups whose exports were not given.
    GroupsMissing {
        /// The policy.
        policy: String,
        /// How many of its groups are missing.
        missing: usize,
    },
    /// The firewall uses a policy whose export was not given.
    PolicyMissing {
        /// The policy (last segment of its id).
        policy: String,
    },
    /// The route's next hop is an appliance whose rules were not given.
    RulesNotGiven {
        /// The next hop's address.
        address: Option<String>,
    },
    /// Several firewalls or policies were given, and no route says which
    /// one the traffic crosses.
    WhichFirewall {
        /// How many could be.
        candidates: usize,
    },
    /// An application rule would be decided by the name the client sends,
    /// which is not known.
    NameUnknown,
    /// A rule names a service tag the data cannot tell.
    Tag {
        /// The tag.
        tag: TagName,
        /// Why.
        why: TagUnknown,
    },
    /// Rules allow only some names of the endpoint (`check`: the cache
    /// accounts by name, say), and the rest is denied.
    OnlySomeNames {
        /// The names allowed.
        names: Vec<String>,
    },
}

/// What a firewall verdict rests on, or what goes with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FirewallNote {
    /// Threat intelligence in Deny mode: the flow is on the allow-list, or
    /// whether Microsoft's feed holds its address or name cannot be read.
    ThreatIntelDeny {
        /// The address or name is on the allow-list.
        allow_listed: bool,
    },
    /// A network rule's FQDNs cannot match: the DNS proxy is off.
    FqdnNeedsDnsProxy {
        /// The rule.
        rule: String,
    },
    /// A network rule matched by the flow's name: the firewall matches the
    /// addresses its own DNS gives for it.
    FqdnByFirewallDns {
        /// The FQDN.
        fqdn: String,
    },
    /// The deciding rule inspects TLS (`terminateTLS`): the client sees a
    /// certificate re-signed by the policy's CA, not Azure's.
    TlsInspection {
        /// The rule.
        rule: String,
    },
    /// The name matched is the one DNS gave, not the SNI or Host header.
    NameFromDns,
    /// The VM's address is not known (`check`): the deciding rule's
    /// sources are taken as holding it.
    SourceTakenAsMatching {
        /// The rule.
        rule: String,
    },
    /// No firewall export names the next hop: the only policy given is
    /// taken as the one the appliance uses.
    PolicyAssumed {
        /// The policy.
        policy: String,
    },
    /// No route export: the only firewall given is taken as in the path.
    AssumedInPath,
    /// The policy's own export was not given (its groups were): DNS proxy
    /// taken as off, threat intelligence not known.
    PolicySettingsNotGiven {
        /// The policy.
        policy: String,
    },
    /// A rule collection without a priority, taken as last in its group.
    CollectionPriorityMissing {
        /// The collection.
        collection: String,
    },
    /// A rule decides for some names of the endpoint only (`check`).
    SomeNames {
        /// The rule.
        rule: FirewallRuleRef,
        /// The names.
        names: Vec<String>,
    },
}

/// What decided in a firewall.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FirewallDecision {
    /// A rule matched: its collection's action decides.
    Rule(FirewallRuleRef),
    /// No rule matched: the default deny.
    DefaultDeny,
    /// It cannot be told offline; `at` is the rule that could not be
    /// evaluated, when one.
    CannotTell {
        /// Why.
        why: FirewallUnknown,
        /// The rule.
        at: Option<FirewallRuleRef>,
    },
}

/// What the firewall exports (`--azure`) say of a flow: the firewall it
/// crosses (the one whose private address is its route's next hop), the
/// policy evaluated, and the rule that allowed or denied it, or the default
/// deny, or why it cannot be told.
///
/// The JSON flattens it: `allowed` (true, false, or null when it cannot be
/// told), `outcome` (`allow`, `deny`, `dnat`, `default-deny`,
/// `cannot-tell`), `firewall`, `address`, `policy`, `rule_collection_group`,
/// `rule_collection`, `rule`, `priority`, `pass`, `why` and `notes`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FirewallVerdict {
    /// The firewall's name, when an export names it.
    pub firewall: Option<String>,
    /// The next hop address it was chosen by.
    pub address: Option<String>,
    /// The policy evaluated (the child one), `None` for classic rules.
    pub policy: Option<String>,
    /// What decided.
    pub decision: FirewallDecision,
    /// What it rests on.
    pub notes: Vec<FirewallNote>,
}

impl FirewallVerdict {
    /// True when it lets the flow through, false when it drops it, `None`
    /// when that cannot be told.
    pub fn allowed(&self) -> Option<bool> {
        match &self.decision {
            FirewallDecision::Rule(r) => Some(r.action != FirewallAction::Deny),
            FirewallDecision::DefaultDeny => Some(false),
            FirewallDecision::CannotTell { .. } => None,
        }
    }

    /// The deciding rule, when one.
    pub fn rule(&self) -> Option<&FirewallRuleRef> {
        match &self.decision {
            FirewallDecision::Rule(r) => Some(r),
            FirewallDecision::CannotTell { at, .. } => at.as_ref(),
            FirewallDecision::DefaultDeny => None,
        }
    }

    /// How bad it is for a requirement: 2 denied, 1 cannot tell, 0 allowed.
    pub fn harm(&self) -> u8 {
        match self.allowed() {
            Some(false) => 2,
            None => 1,
            Some(true) => 0,
        }
    }
}

/// The kinds of export asrscope reads (`--azure` tells them by shape).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportKind {
    /// `az network nic list-effective-nsg`, `az network nsg show` or `list`.
    Nsg,
    /// `az network nic show-effective-route-table`, `az network route-table
    /// show` or `list`.
    Routes,
    /// `az network firewall policy show` (or `list`).
    FirewallPolicy,
    /// `az network firewall policy rule-collection-group list` or `show`.
    RuleCollectionGroups,
    /// `az network firewall show` (or `list`).
    Firewall,
    /// `az network ip-group show` (or `list`).
    IpGroup,
    /// `az storage account show` (or `list`).
    StorageAccount,
    /// `az network private-dns zone show` (or `list`).
    PrivateDnsZone,
    /// `az network private-dns link vnet list` (or `show`).
    PrivateDnsLinks,
    /// `az network private-dns record-set a list` (or `show`).
    PrivateDnsRecords,
    /// `az network nic show` (or `list`): the VM's network interface.
    Nic,
    /// `az network vnet subnet show` (or `list`).
    Subnet,
    /// `az network vnet show` (or `list`), its subnets included.
    Vnet,
    /// `az network manager list-effective-security-admin-rule` (one page).
    AdminRules,
    /// `az network service-endpoint policy show` (or `list`).
    EndpointPolicy,
}

every_variant!(ExportKind: Nsg, Routes, FirewallPolicy, RuleCollectionGroups, Firewall, IpGroup, StorageAccount, PrivateDnsZone, PrivateDnsLinks, PrivateDnsRecords, Nic, Subnet, Vnet, AdminRules, EndpointPolicy);

/// One export read: the file, its kind, and how many NSGs, routes,
/// policies, groups, firewalls or IP groups it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportRead {
    /// The file, as given (through the sanitiser).
    pub file: String,
    /// Its kind.
    pub kind: ExportKind,
    /// How many items it held.
    pub items: usize,
}

/// Where a new allow rule goes in a firewall: processed before what denies,
/// never replacing or reordering a rule of the customer's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "into", rename_all = "kebab-case")]
pub enum FirewallPlace {
    /// A new filter collection in a rule collection group of a policy.
    NewCollection {
        /// The policy.
        policy: String,
        /// The rule collection group.
        group: String,
        /// The new collection's name (free in the group).
        collection: String,
        /// Its priority: free, and processed before the deny.
        priority: u32,
    },
    /// An existing Allow collection of a policy, processed before the deny.
    Collection {
        /// The policy.
        policy: String,
        /// The rule collection group.
        group: String,
        /// The collection.
        collection: String,
    },
    /// A classic rule collection of a firewall: a new one at `priority`, or
    /// an existing Allow collection when `priority` is `None`.
    Classic {
        /// The firewall.
        firewall: String,
        /// The collection.
        collection: String,
        /// The new collection's priority.
        priority: Option<u32>,
    },
}

/// The type of a rule to add to a firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FirewallRuleType {
    /// An application rule: the endpoint's URLs on HTTPS 443.
    Application,
    /// A network rule: the endpoint's service tag on TCP 443 (a network
    /// rule denies, and network rules are processed before application
    /// rules).
    Network,
}
