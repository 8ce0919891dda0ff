//! The requirement checklist judged from Azure configuration alone
//! (`asrscope check`): each endpoint's service tag against the exported NSG
//! rules and routes, without a capture.

use super::{
    AdminVerdict, Cloud, EndpointId, FirewallVerdict, Fix, Need, NextHop, NsgVerdict, Region,
    RequiredTag, RouteNote, RouteVerdict, SnapshotMeta, StorageVerdict,
};
use serde::Serialize;

/// How the configuration treats one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConfigStatus {
    /// Every NSG allows TCP 443 to every prefix of the tag, and no route
    /// sends it where Site Recovery should not go.
    Ok,
    /// A security admin rule of a Virtual Network Manager denies TCP 443 to
    /// some or all of the tag's prefixes: Azure applies it before any NSG.
    AdminRuleDenied,
    /// An NSG denies TCP 443 to some or all of the tag's prefixes.
    Denied,
    /// Allowed, but a route sends it to a virtual appliance (throttling risk).
    ViaAppliance,
    /// Allowed, but a route sends it to the virtual network gateway: it leaves
    /// the Azure boundary (forced tunnelling).
    ForcedTunnel,
    /// Allowed, but a route drops it (next hop `None`, or no route).
    Dropped,
    /// The NSGs allow it, and the Azure Firewall its route leads to denies
    /// it (a rule, or its default deny).
    FirewallDenied,
    /// The cache storage account's own firewall refuses the VM's traffic
    /// (as storage sees its source), or misses what Site Recovery requires
    /// of it (trusted Microsoft services): a refusal inside TLS that a
    /// capture cannot show.
    StorageFirewallDenied,
    /// The private DNS zone Site Recovery needs for the endpoint is not
    /// linked to the VM's virtual network (private DNS exports): its names
    /// resolve publicly, before any connection.
    DnsZoneNotLinked,
    /// The zone is linked and lacks the A record of a name (or every A
    /// record).
    DnsRecordMissing,
    /// The VM's subnet is private (`defaultOutboundAccess: false`) and
    /// nothing takes the traffic out: no NAT gateway, no public IP on the
    /// NIC, no route to an appliance.
    NoOutbound,
    /// A service endpoint policy on the VM's subnet does not list the
    /// storage account: Storage traffic over the service endpoint is denied.
    EndpointPolicyDenied,
    /// The exports cannot tell (an application security group, a tag the
    /// service-tag data does not hold, another cloud's service-tag data, a
    /// firewall rule by FQDN tag or web category, an export not given).
    Unknown,
}

impl ConfigStatus {
    /// True when a layer stops the traffic: the statuses Azure's layers
    /// give, each set only when no layer applied before it already did
    /// (DNS, admin rules, NSGs, routes and the subnet's way out, the Azure
    /// Firewall, service endpoint policies, the storage account's firewall).
    pub fn blocks(self) -> bool {
        matches!(
            self,
            ConfigStatus::AdminRuleDenied
                | ConfigStatus::Denied
                | ConfigStatus::Dropped
                | ConfigStatus::FirewallDenied
                | ConfigStatus::StorageFirewallDenied
                | ConfigStatus::DnsZoneNotLinked
                | ConfigStatus::DnsRecordMissing
                | ConfigStatus::NoOutbound
                | ConfigStatus::EndpointPolicyDenied
        )
    }
}

/// Why the tag a requirement needs cannot be judged from another cloud's
/// data, and other facts of `check`'s evidence.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckEvidence {
    /// The service-tag data is another cloud's: no verdict.
    OtherCloudData {
        /// The data's cloud, as its file names it.
        data: String,
        /// The tag.
        tag: RequiredTag,
        /// The cloud of the regions.
        cloud: super::Cloud,
    },
    /// The data holds no IPv4 prefix of the tag.
    NoPrefixes {
        /// The tag.
        tag: RequiredTag,
    },
    /// An NSG denies some of the tag's prefixes.
    Denied {
        /// The first deny.
        nsg: NsgVerdict,
        /// Prefixes denied.
        denied: usize,
        /// Prefixes of the tag.
        prefixes: usize,
        /// The tag.
        tag: RequiredTag,
    },
    /// Some prefixes cannot be judged from the export.
    CannotTell {
        /// The first that cannot.
        nsg: NsgVerdict,
        /// Prefixes that cannot be judged.
        unknown: usize,
        /// Prefixes of the tag.
        prefixes: usize,
        /// The tag.
        tag: RequiredTag,
    },
    /// Every NSG allows every prefix.
    Allowed {
        /// The rules that allow it.
        nsg: NsgVerdict,
        /// Prefixes of the tag.
        prefixes: usize,
        /// The tag.
        tag: RequiredTag,
    },
    /// An approximation the NSG verdict rests on.
    Approximation(super::NsgNote),
    /// What the security admin rules, judged first, do to the prefixes.
    Admin(AdminEvidence),
    /// Security admin rules of a Virtual Network Manager apply first.
    AdminRulesFirst {
        /// The network manager.
        manager: String,
    },
    /// What the route choice rests on.
    Route(RouteNote),
    /// Next hop types and how many prefixes take each.
    Routes {
        /// The hops.
        hops: Vec<(super::NextHop, usize)>,
    },
    /// The firewall the route leads to denies some prefixes (or all).
    FirewallDenies {
        /// The first verdict that denies.
        verdict: super::FirewallVerdict,
        /// Prefixes denied.
        denied: usize,
        /// Prefixes of the tag.
        prefixes: usize,
    },
    /// The firewall's verdict cannot be told for some prefixes.
    FirewallCannotTell {
        /// The first verdict that cannot be told.
        verdict: super::FirewallVerdict,
        /// Prefixes that cannot be told.
        unknown: usize,
        /// Prefixes of the tag.
        prefixes: usize,
    },
    /// The firewall allows every prefix.
    FirewallAllows {
        /// The verdict.
        verdict: super::FirewallVerdict,
    },
    /// What the cache storage account's firewall (`az storage account
    /// show`) does with the VM's traffic, and what it rests on.
    StorageFirewall(StorageVerdict),
    /// Some prefixes take next hop `Internet`, which works only with
    /// outbound access: a private subnet (the default for virtual networks
    /// created after 31 March 2026) needs an explicit outbound method, and
    /// the exports given do not tell whether the subnet is private.
    InternetNeedsOutbound {
        /// Prefixes that take next hop `Internet`.
        count: usize,
    },
    /// What the private DNS zone of the endpoint does for the VM.
    PrivateDns {
        /// The verdict.
        verdict: super::DnsVerdict,
    },
    /// The VM's subnet has no way out for some prefixes (or all).
    NoOutbound {
        /// The first verdict without a way out.
        verdict: super::OutboundVerdict,
        /// Prefixes without a way out.
        denied: usize,
        /// Prefixes of the tag.
        prefixes: usize,
    },
    /// What the service endpoint policies on the VM's subnet do with the
    /// cache storage account.
    EndpointPolicy {
        /// The verdict.
        verdict: super::EndpointPolicyVerdict,
    },
    /// What takes the traffic out of the VM's subnet.
    Outbound {
        /// The verdict.
        verdict: super::OutboundVerdict,
    },
    /// The worst route, how many prefixes take it, and what it means.
    RoutedTo {
        /// Prefixes that take its next hop.
        count: usize,
        /// Prefixes of the tag.
        prefixes: usize,
        /// The route.
        route: RouteVerdict,
        /// What it does to the requirement (dropped, tunnelled, via an
        /// appliance).
        status: super::ConfigStatus,
    },
}

/// What the security admin rules of a Virtual Network Manager do to a
/// requirement's prefixes.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminEvidence {
    /// A security admin rule denies some prefixes (or all); no NSG rule
    /// can allow them.
    Denies {
        /// The first verdict that denies.
        verdict: AdminVerdict,
        /// Prefixes denied.
        denied: usize,
        /// Prefixes of the tag.
        prefixes: usize,
    },
    /// The admin rules' verdict cannot be told for some prefixes.
    CannotTell {
        /// The first verdict that cannot be told.
        verdict: AdminVerdict,
        /// Prefixes that cannot be told.
        unknown: usize,
        /// Prefixes of the tag.
        prefixes: usize,
    },
    /// An `AlwaysAllow` admin rule allows some prefixes: the NSGs are not
    /// consulted for them.
    AlwaysAllows {
        /// The verdict.
        verdict: AdminVerdict,
        /// Prefixes it allows.
        count: usize,
        /// Prefixes of the tag.
        prefixes: usize,
    },
    /// The admin rules pass every prefix to the NSGs (an `Allow` rule, or
    /// none matching).
    Passes {
        /// The verdict.
        verdict: AdminVerdict,
    },
}

/// What holds for every requirement of `check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckNote {
    /// The service-tag data is another cloud's: no verdict from it.
    OtherCloudData {
        /// The data's cloud, as its file names it.
        data: String,
        /// The cloud of the regions.
        cloud: super::Cloud,
    },
    /// The NSGs are under a Virtual Network Manager.
    NetworkManager {
        /// The network manager.
        manager: String,
    },
    /// The routes are route tables as written, completed with the system
    /// routes.
    RoutesCompleted,
}

/// One requirement, judged from the configuration.
///
/// The JSON gives every field, `evidence` as sentences, and after `fixes`
/// the same fixes as sentences and `az` commands (`fix`), one for one.
#[derive(Debug, Clone)]
pub struct ConfigRequirement {
    /// The endpoint.
    pub id: EndpointId,
    /// Its URL pattern.
    pub endpoint: &'static str,
    /// The service tag the NSG must allow.
    pub tag: RequiredTag,
    /// When it is required.
    pub need: Need,
    /// The verdict.
    pub status: ConfigStatus,
    /// IPv4 prefixes of the tag evaluated (one address of each).
    pub prefixes: usize,
    /// Of those, how many every NSG allows, one denies, or cannot be told.
    pub allowed: usize,
    /// See `allowed`.
    pub denied: usize,
    /// See `allowed`.
    pub unknown: usize,
    /// The security admin rules' verdict on the worst prefix (absent
    /// without their export).
    pub admin: Option<AdminVerdict>,
    /// The deciding rule: the first deny, else the rule that allowed.
    pub nsg: Option<NsgVerdict>,
    /// The route the worst-routed prefix takes (absent without `--routes`).
    pub route: Option<RouteVerdict>,
    /// The firewall's verdict on the worst prefix (absent without firewall
    /// exports, or when no route leads to a firewall).
    pub firewall: Option<FirewallVerdict>,
    /// The cache storage account's firewall (the cache storage endpoint,
    /// with `az storage account show` through `--azure`).
    pub storage: Option<StorageVerdict>,
    /// The private DNS zone's verdict (the cache account and the vault,
    /// with private DNS exports).
    pub dns: Option<super::DnsVerdict>,
    /// The way out of the VM's subnet for the worst prefix (absent without
    /// the subnet's export, or for destinations routed inside Azure's
    /// private networks).
    pub outbound: Option<super::OutboundVerdict>,
    /// What the service endpoint policies on the VM's subnet do with the
    /// storage account (absent for other endpoints, or without a policy
    /// on a subnet with a `Microsoft.Storage` service endpoint).
    pub endpoint_policy: Option<super::EndpointPolicyVerdict>,
    /// Next hop types and how many of the prefixes take each.
    pub next_hops: Vec<(NextHop, usize)>,
    /// What the verdict rests on.
    pub evidence: Vec<CheckEvidence>,
    /// What to do, each fix once.
    pub fixes: Vec<Fix>,
}

/// The outbound rule that denies a platform service's tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformDeny {
    /// The NSG.
    pub nsg: String,
    /// The rule.
    pub rule: String,
    /// Its priority.
    pub priority: u32,
}

/// An Azure platform service the VM reaches directly (IMDS, Azure-provided
/// DNS), as the NSGs treat it: only a rule naming its service tag applies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformCheck {
    /// The service.
    pub service: &'static str,
    /// Its address.
    pub address: &'static str,
    /// The service tag NSG rules name to filter it.
    pub tag: &'static str,
    /// The protocol (`Tcp`, or `*` for UDP and TCP).
    pub protocol: &'static str,
    /// The port.
    pub port: u16,
    /// `ok` (no rule names the tag, or the rules that do allow it) or
    /// `denied`.
    pub status: ConfigStatus,
    /// The rule that denies it.
    pub denied_by: Option<PlatformDeny>,
    /// What to do.
    pub fixes: Vec<Fix>,
}

/// `asrscope check`: the whole answer (the JSON gives `notes` as
/// sentences).
#[derive(Debug, Clone)]
pub struct ConfigCheck {
    /// Region of the replicated VMs.
    pub source_region: Region,
    /// Region replicated to.
    pub target_region: Region,
    /// The cloud the regions are in.
    pub cloud: Cloud,
    /// The service-tag data every prefix comes from.
    pub service_tags: SnapshotMeta,
    /// Days from the data's publication to today, when its date is known.
    pub service_tags_age_days: Option<i64>,
    /// True when the data is older than the staleness limit: a verdict per
    /// prefix is only as good as the prefixes.
    pub service_tags_stale: bool,
    /// What holds for every requirement (Virtual Network Manager, routes
    /// completed with system routes, another cloud's tag data).
    pub notes: Vec<CheckNote>,
    /// NSGs read.
    pub nsgs: Vec<String>,
    /// Routes read.
    pub routes: usize,
    /// The exports read, with their kinds.
    pub exports: Vec<super::ExportRead>,
    /// One entry per endpoint of the catalog.
    pub requirements: Vec<ConfigRequirement>,
    /// The platform services (IMDS, Azure-provided DNS), by the rules that
    /// name their service tags.
    pub platform: Vec<PlatformCheck>,
    /// True when every endpoint needed always is `ok`, and no rule denies a
    /// platform service.
    pub ok: bool,
}
