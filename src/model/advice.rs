//! What asrscope advises, as data: each fix is a typed value with the
//! settings it acts on, and each finding has a kind. Sentences and `az`
//! commands are rendered from them in one place (`render::advice`);
//! findings are kept and deduplicated by kind, fixes compared as values.

use super::{
    EndpointId, FirewallPlace, FirewallRuleRef, FirewallRuleType, FirewallUnknown, NextHop,
    NsgExport, PublicResolution, RequiredTag, RoutePrefix, Status,
};
use serde::{Serialize, Serializer};

/// Why a Storage service endpoint is advised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceEndpointWhy {
    /// A route or the capture shows a network virtual appliance in the path.
    Appliance,
    /// A route sends the traffic to the gateway (forced tunnelling).
    ForcedTunnel,
    /// The capture shows the traffic outside Azure's ranges.
    OutsideAzure,
    /// The upload is throttled and an appliance may be the cause.
    Throttled,
    /// A firewall or proxy that filters names closes or refuses the
    /// connections to the cache account.
    NameFilter,
}

/// The operating system a fix is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VmOs {
    /// Windows.
    Windows,
    /// Linux.
    Linux,
}

/// Where the traffic goes when the NSGs allow it but it is still blocked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "to", rename_all = "kebab-case")]
pub enum PastTheNsg {
    /// A route to a network virtual appliance.
    Appliance {
        /// Its address.
        address: Option<String>,
    },
    /// A route to the gateway (forced tunnelling).
    Gateway,
    /// A route that drops it.
    Dropped,
    /// The internet or the virtual network: a firewall, proxy or DNS.
    Path,
}

/// One fix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Fix {
    /// Allow outbound TCP 443 to a service tag in the VM's NSG (the NSG and
    /// the priority left to fill in). JSON: `nsg-allow-rule`, with `nsg`,
    /// `priority` and `beats` null.
    #[serde(serialize_with = "nsg_allow_rule")]
    NsgAllowRule {
        /// The tag.
        tag: RequiredTag,
    },
    /// Allow outbound TCP 443 to a service tag in the NSG whose deny the
    /// export shows, at a free priority that is evaluated before the deny.
    /// JSON: `nsg-allow-rule`, as [`Fix::NsgAllowRule`] with the values.
    #[serde(rename = "nsg-allow-rule", serialize_with = "nsg_allow_before_deny")]
    NsgAllowBeforeDeny {
        /// The tag.
        tag: RequiredTag,
        /// The NSG.
        nsg: String,
        /// A free priority number below the deny's.
        priority: u32,
        /// The deny rule it wins over, with its priority.
        beats: (String, u32),
        /// The NSG's resource group, from its id when the export gives it.
        resource_group: Option<String>,
    },
    /// A deny at priority 100 (the highest an NSG rule can have) cannot be
    /// beaten by an allow rule: the deny itself must change.
    ChangeDenyRule {
        /// The tag the deny must stop covering.
        tag: RequiredTag,
        /// The NSG.
        nsg: String,
        /// The rule.
        rule: String,
        /// Its priority.
        priority: u32,
    },
    /// Allow a URL on a URL-filtering firewall or proxy.
    AllowUrl {
        /// The URL pattern.
        pattern: String,
        /// Other URLs documented for the same endpoint.
        also: Vec<String>,
        /// The cache accounts alone may be allowed.
        cache_accounts: bool,
    },
    /// Allow the endpoint on the Azure Firewall whose rules deny it: an
    /// application rule for its URLs on HTTPS 443 (a network rule for its
    /// service tag on TCP 443 when a network rule denies), from the VM's
    /// address, where it is processed before what denies.
    FirewallAllow {
        /// Where the rule goes.
        place: FirewallPlace,
        /// Its type.
        rule: FirewallRuleType,
        /// The endpoint's URL patterns (application rule).
        fqdns: Vec<String>,
        /// The endpoint's service tag (network rule, and the rule's name).
        tag: RequiredTag,
        /// The VM's address, when known.
        source: Option<String>,
        /// The rule it wins over; `None` for the default deny.
        beats: Option<FirewallRuleRef>,
        /// The resource group of the policy (of the firewall, for classic
        /// rules), from its id when the export gives it.
        #[serde(skip_serializing_if = "Option::is_none")]
        resource_group: Option<String>,
    },
    /// The firewall's verdict cannot be told offline: how to tell it.
    FirewallCannotTell {
        /// Why.
        why: FirewallUnknown,
    },
    /// Allow the URLs on the appliance a route leads to.
    AllowUrlOnAppliance {
        /// The URL pattern.
        pattern: String,
        /// The appliance's address.
        address: Option<String>,
    },
    /// Allow the URLs on the on-premises firewall behind the gateway.
    AllowUrlOnPremises {
        /// The URL pattern.
        pattern: String,
    },
    /// Add a service endpoint for Microsoft.Storage, keeping the subnet's
    /// other service endpoints.
    StorageServiceEndpoint {
        /// Why.
        why: ServiceEndpointWhy,
        /// The VM's subnet, when the exports name it.
        #[serde(skip_serializing_if = "Option::is_none")]
        subnet: Option<SubnetRef>,
    },
    /// The storage account's own firewall.
    StorageFirewall {
        /// It may be the one refusing (a reset or silence at the hello).
        may_refuse: bool,
    },
    /// A Standard internal load balancer gives no outbound access (151196).
    NatGateway,
    /// The capture was taken on the appliance and the VM's packets reached
    /// it: the drop is at the appliance or past it, not at the VM's NSG.
    AtTheAppliance {
        /// The URL pattern.
        pattern: String,
        /// The tag Site Recovery needs.
        tag: RequiredTag,
    },
    /// The NSGs allow it: look past them.
    LookPastTheNsg {
        /// Where the route goes.
        to: PastTheNsg,
    },
    /// Remove or correct a route that drops the traffic.
    CorrectRoute {
        /// The route's name.
        name: Option<String>,
        /// Its prefix; `None` when no route holds the destination (`-` in
        /// the JSON).
        #[serde(serialize_with = "super::display_or_dash")]
        prefix: Option<RoutePrefix>,
        /// Its next hop.
        next_hop: NextHop,
        /// The tag Site Recovery needs.
        tag: RequiredTag,
    },
    /// Make the VM offer TLS 1.2, as "Transport Layer Security in Azure Site
    /// Recovery" says for Windows (its updates and registry keys); for
    /// Linux, which that page does not cover, the operating system and its
    /// TLS libraries updated.
    EnableTls12 {
        /// The operating system.
        os: VmOs,
    },
    /// Allow the multi-VM consistency port between the VMs of the group.
    MultiVmPort {
        /// The port (20004).
        port: u16,
    },
    /// Update the VM's trusted root certificates and revocation list, in
    /// each of the [`RootStore`]s.
    TrustedRoots {
        /// Also check that no device in the path alters TLS.
        and_the_path: bool,
    },
    /// Stop TLS inspection of the endpoint.
    StopTlsInspection {
        /// The URL pattern.
        pattern: String,
        /// The issuer that re-signs it.
        issuer: Option<String>,
    },
    /// Allow the URL on the proxy, or bypass the proxy.
    ProxyAllow {
        /// The URL pattern.
        pattern: String,
    },
    /// Let the URL through the proxy without authentication.
    ProxyWithoutAuthentication {
        /// The URL pattern.
        pattern: String,
    },
    /// Where the Mobility agent reads its proxy.
    ProxyConfiguration,
    /// Measure an upload; exclude disks or use High Churn.
    MeasureUpload,
    /// Check that DNS gives the service's Azure addresses.
    CheckDnsAnswers,
    /// Make the DNS servers resolve the Site Recovery URLs.
    DnsReachable,
    /// With private endpoints, resolve the private zone's records.
    PrivateDnsRecords,
    /// The cache account must be in the source region.
    CacheInSourceRegion {
        /// The source region's tag suffix.
        source: String,
        /// The region the traffic went to.
        other: String,
    },
    /// Export the configuration again (another NIC, or older than the
    /// capture).
    ExportAgain {
        /// Which export.
        export: NsgExport,
        /// The VM's network interface, when a placement export names it
        /// (not the NSG exports', which the capture contradicts).
        #[serde(skip_serializing_if = "Option::is_none")]
        nic: Option<Named>,
    },
    /// The firewall export is of another firewall or older than the
    /// capture: export its policy and rules again.
    ExportFirewallAgain,
    /// Export the NIC's effective rules, which expand service tags.
    ExportEffectiveRules {
        /// The VM's network interface, when the exports name it.
        #[serde(skip_serializing_if = "Option::is_none")]
        nic: Option<Named>,
    },
    /// The effective export lacks the default rules: it was cut; export it
    /// again, whole.
    ExportWhole {
        /// The VM's network interface, when the exports name it.
        #[serde(skip_serializing_if = "Option::is_none")]
        nic: Option<Named>,
    },
    /// Check the rule that cannot be judged in the portal.
    CheckRuleInPortal,
    /// Add a security admin rule that allows TCP 443 to the tag, evaluated
    /// before the admin rule that denies it (a lower priority number, in the
    /// same configuration and collection); the deny is kept.
    AdminAllowBeforeDeny {
        /// The tag.
        tag: RequiredTag,
        /// The network manager.
        manager: String,
        /// The security admin configuration.
        configuration: String,
        /// The rule collection.
        collection: String,
        /// A priority number below the deny's that no rule of the
        /// collection read holds.
        priority: u32,
        /// The deny rule it wins over, with its priority.
        beats: (String, u32),
    },
    /// An admin deny at a priority no new rule can come before (every
    /// number below it taken, or 1): the deny itself must change.
    ChangeAdminDenyRule {
        /// The tag.
        tag: RequiredTag,
        /// The network manager.
        manager: String,
        /// The security admin configuration.
        configuration: String,
        /// The rule collection.
        collection: String,
        /// The rule.
        rule: String,
        /// Its priority.
        priority: u32,
    },
    /// Export the Virtual Network Manager's effective admin rules.
    NetworkManagerRules {
        /// The network manager.
        manager: String,
        /// The VM's virtual network, when the exports name it.
        #[serde(skip_serializing_if = "Option::is_none")]
        vnet: Option<Named>,
    },
    /// Pass the cloud's current service-tag file.
    ServiceTagsFile {
        /// The file pattern (`ServiceTags_Public_*.json`).
        file: String,
        /// The page it is downloaded from.
        download: String,
    },
    /// A private endpoint works; what it needs around it.
    PrivateEndpointNeeds {
        /// The endpoint.
        endpoint: EndpointId,
        /// The private DNS zone of the endpoint in the capture's cloud.
        zone: Option<&'static str>,
    },
    /// Entra ID has no private endpoint.
    EntraIdStaysPublic {
        /// Entra ID's name in the capture's cloud.
        login: &'static str,
    },
    /// An outbound rule denies a platform service's tag: allow the tag
    /// before it, at a free priority of the same NSG.
    AllowPlatformTag {
        /// The tag (`AzurePlatformIMDS`).
        tag: String,
        /// `Tcp`, or `*` for both protocols.
        protocol: String,
        /// The port.
        port: u16,
        /// The NSG.
        nsg: String,
        /// A free priority number below the deny's, if one is left.
        priority: Option<u32>,
        /// The deny rule and its priority.
        beats: (String, u32),
        /// The NSG's resource group, from its id when the export gives it.
        #[serde(skip_serializing_if = "Option::is_none")]
        resource_group: Option<String>,
    },
    /// Bypass 169.254.169.254 in the proxy settings the VM's clients read.
    BypassImdsInProxy,
    /// Let the VM reach 169.254.169.254 on TCP 80 directly: an NSG rule on
    /// `AzurePlatformIMDS`, a firewall on the VM, proxy settings.
    ImdsReachable,
    /// Allow HTTP (port 80) to the certificate authorities' hosts.
    AllowCaHosts {
        /// The hosts the capture shows blocked.
        hosts: Vec<String>,
    },
    /// Link the private DNS zone to the VM's virtual network, or forward the
    /// public zone to Azure DNS from a custom DNS server.
    LinkPrivateDnsZone {
        /// The private DNS zone.
        zone: String,
        /// The public zone to forward.
        forwarder: String,
    },
    /// Give the subnet an explicit outbound method (a private subnet has
    /// no default outbound access): a NAT gateway first.
    ExplicitOutbound,
    /// The same, for the subnet the exports name: a NAT gateway on it.
    SubnetNatGateway {
        /// The subnet's resource group.
        resource_group: String,
        /// Its virtual network.
        vnet: String,
        /// The subnet.
        subnet: String,
        /// The region of the gateway (the VM's), when known.
        location: Option<String>,
    },
    /// Let Storage traffic reach the cache account through the service
    /// endpoint policy on the VM's subnet: a new definition of the policy
    /// holding the account, the policy's other definitions untouched.
    EndpointPolicyDefinition {
        /// The policy's resource group.
        resource_group: String,
        /// The policy.
        policy: String,
        /// The new definition's name (free in the policy).
        definition: String,
        /// The account's resource id, or its name when the id is unknown.
        account: String,
        /// True when `account` is the resource id.
        account_id_known: bool,
    },
    /// A private DNS zone made by hand: add an A record for the name with
    /// the private endpoint's address; after replication is enabled, two
    /// more names need theirs.
    PrivateDnsARecord {
        /// The private DNS zone.
        zone: String,
        /// The record set's name in the zone (the name less the zone).
        record: String,
    },
    /// Let the VM's subnet into the cache account: one virtual network
    /// rule added (`az storage account network-rule add`, which keeps the
    /// account's other rules).
    StorageVnetRule {
        /// The account.
        account: String,
        /// Its resource group, when its id was exported.
        resource_group: Option<String>,
        /// The subnet's id.
        subnet: String,
    },
    /// Add a `Microsoft.Storage` service endpoint to the subnet, keeping
    /// its other service endpoints.
    StorageSubnetEndpoint {
        /// The subnet's id.
        subnet: String,
    },
    /// Allow trusted Microsoft services on the account: `--bypass` replaces
    /// the list, so the values it holds are carried.
    StorageTrustedServices {
        /// The account.
        account: String,
        /// Its resource group, when its id was exported.
        resource_group: Option<String>,
        /// The values `bypass` holds now (`Logging`, `Metrics`), kept.
        keep: Vec<String>,
    },
    /// Shared key access is off: the vault's managed identity with its
    /// roles on the account, or shared key access enabled again.
    StorageSharedKey {
        /// The account.
        account: String,
        /// Its resource group, when its id was exported.
        resource_group: Option<String>,
    },
    /// Public network access is disabled: the VM must reach the account
    /// through its private endpoint (never public access turned on).
    StoragePrivateEndpoint {
        /// The account.
        account: String,
    },
    /// The Azure Firewall translates the source: a rule for its subnet, or
    /// a service endpoint on the VM's subnet so cache writes bypass it.
    StorageFirewallSnat {
        /// The account.
        account: String,
        /// Its resource group, when its id was exported.
        resource_group: Option<String>,
    },
    /// A network security perimeter decides: check its access rules.
    StoragePerimeter {
        /// The account.
        account: String,
    },
    /// Give the VM's subnet (with its service endpoints): it decides which
    /// of the account's rules apply.
    ExportSubnet {
        /// The VM's network interface, when the exports name it.
        #[serde(skip_serializing_if = "Option::is_none")]
        nic: Option<Named>,
    },
    /// Link the zone to the VM's virtual network, as the exports name them
    /// (private DNS exports): a link that does not resolve through the
    /// network's DNS server is added, none removed.
    LinkZoneToVnet {
        /// The private DNS zone.
        zone: String,
        /// The zone's resource group, when an export names it.
        zone_group: Option<String>,
        /// The VM's virtual network's id, when an export tells it.
        vnet: Option<String>,
    },
    /// Add the A record a linked zone lacks (private DNS exports).
    AddZoneRecord {
        /// The private DNS zone.
        zone: String,
        /// The zone's resource group, when an export names it.
        zone_group: Option<String>,
        /// The record set's name, when a capture gave the name.
        record: Option<String>,
    },
    /// The private DNS exports contradict the capture: export them again
    /// from the VM's network.
    ExportPrivateDnsAgain {
        /// The zone.
        zone: String,
    },
    /// Custom DNS servers bypass the linked zones unless they forward the
    /// zone's public name to Azure DNS (168.63.129.16).
    ForwardToAzureDns {
        /// The servers.
        servers: Vec<std::net::IpAddr>,
        /// The zone.
        zone: String,
        /// The public zone to forward.
        forwarder: String,
    },
}

/// A resource the exports name, read from its resource id
/// (`/subscriptions/…/resourceGroups/RG/providers/…/NAME`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Named {
    /// Its resource group.
    pub resource_group: String,
    /// Its name.
    pub name: String,
}

/// A subnet the exports name, read from its resource id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SubnetRef {
    /// Its virtual network's resource group.
    pub resource_group: String,
    /// Its virtual network.
    pub vnet: String,
    /// The subnet.
    pub subnet: String,
}

/// The JSON of an NSG allow rule, of either kind: `tag`, `nsg`, `priority`
/// and `beats`, null when not known; `resource_group` when an export told
/// it.
#[derive(Serialize)]
struct NsgAllowRuleJson<'a> {
    tag: &'a RequiredTag,
    nsg: Option<&'a str>,
    priority: Option<u32>,
    beats: Option<&'a (String, u32)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_group: Option<&'a str>,
}

fn nsg_allow_rule<S: Serializer>(tag: &RequiredTag, s: S) -> Result<S::Ok, S::Error> {
    NsgAllowRuleJson {
        tag,
        nsg: None,
        priority: None,
        beats: None,
        resource_group: None,
    }
    .serialize(s)
}

fn nsg_allow_before_deny<S: Serializer>(
    tag: &RequiredTag,
    nsg: &str,
    priority: &u32,
    beats: &(String, u32),
    resource_group: &Option<String>,
    s: S,
) -> Result<S::Ok, S::Error> {
    NsgAllowRuleJson {
        tag,
        nsg: Some(nsg),
        priority: Some(*priority),
        beats: Some(beats),
        resource_group: resource_group.as_deref(),
    }
    .serialize(s)
}

/// Where a VM keeps its trusted root certificates: the trusted-roots fix
/// says how to update each, as "Troubleshoot Azure-to-Azure VM replication
/// errors" (2025-09-19, error 151066) does: Windows Update; Red Hat's
/// `/etc/pki/ca-trust/` ("For RedHat Linux machines, add the Ca -Trust
/// certificates to the `/etc/pki/ca-trust/`"); SUSE's symbolic links in
/// `/etc/ssl/certs` with `c_rehash`; and the distribution's bundle
/// elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RootStore {
    /// Windows: Windows Update.
    Windows,
    /// Debian and Ubuntu: `update-ca-certificates`.
    Debian,
    /// Red Hat: `/etc/pki/ca-trust/`, `update-ca-trust`.
    RedHat,
    /// SUSE: `/etc/ssl/certs` and `c_rehash`.
    Suse,
}

impl RootStore {
    /// Every store, in the order the fix names them.
    pub const ALL: [RootStore; 4] = [
        RootStore::Windows,
        RootStore::Debian,
        RootStore::RedHat,
        RootStore::Suse,
    ];
}

/// What a finding is about: findings are kept and deduplicated by kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FindingKind {
    /// An endpoint's status is a problem (blocked, throttled…).
    Endpoint {
        /// The endpoint.
        endpoint: EndpointId,
        /// Its status.
        status: Status,
    },
    /// A name of an endpoint does not resolve.
    NameDoesNotResolve {
        /// The endpoint.
        endpoint: EndpointId,
        /// The name.
        name: String,
    },
    /// The NSG export denies what the capture shows working.
    NsgExportContradicted {
        /// The endpoint.
        endpoint: EndpointId,
    },
    /// The private DNS exports say a name cannot resolve to its private
    /// endpoint, and the capture shows it did.
    DnsExportContradicted {
        /// The endpoint.
        endpoint: EndpointId,
    },
    /// The firewall export denies what the capture shows working.
    FirewallExportContradicted {
        /// The endpoint.
        endpoint: EndpointId,
    },
    /// Cache storage traffic goes to another region.
    CacheRegion {
        /// That region.
        region: String,
    },
    /// Replication traffic passes through a network virtual appliance.
    ThroughAppliance,
    /// An endpoint is reached through a private endpoint.
    PrivateEndpoint {
        /// The endpoint.
        endpoint: EndpointId,
    },
    /// The service-tag data is older than the capture.
    StaleTags,
    /// A name with a private endpoint resolves to a public address: the
    /// private DNS zone is not linked to the VM's virtual network.
    ResolvesPublicly {
        /// The endpoint.
        endpoint: EndpointId,
        /// The private DNS zone.
        zone: String,
        /// What the public answer means for that endpoint.
        role: PublicResolution,
    },
    /// Storage in the source region answers while Entra ID, Site Recovery
    /// and Service Bus get no answer at all: possibly a private subnet
    /// without an explicit outbound method (a finding about the VM).
    PrivateSubnet,
    /// The VMs of a multi-VM consistency group cannot reach each other on
    /// its port.
    MultiVmConsistency {
        /// The port.
        port: u16,
    },
    /// An endpoint was reached through a proxy that asks for credentials:
    /// the connection worked, because its client sent them, which the
    /// Mobility service cannot.
    AuthenticatingProxy {
        /// The endpoint.
        endpoint: EndpointId,
    },
    /// An endpoint's TLS handshake completed at a version older than TLS
    /// 1.2, which Site Recovery and Azure Storage refuse inside TLS.
    OldTlsNegotiated {
        /// The endpoint.
        endpoint: EndpointId,
    },
    /// The cache storage account's own firewall refuses the VM's traffic,
    /// or may: its export says so, the capture cannot.
    StorageFirewall,
    /// The service endpoint policies on the VM's subnet deny Storage
    /// traffic to the cache account: their export says so, the capture
    /// cannot.
    EndpointPolicy,
    /// Requests for the Instance Metadata Service went to a proxy.
    ImdsThroughProxy,
    /// Requests for the Instance Metadata Service got no answer.
    ImdsUnanswered,
    /// Requests to the certificate authorities' hosts were blocked.
    CaHostsBlocked,
}

impl FindingKind {
    /// The endpoint the finding concerns.
    pub fn endpoint(&self) -> Option<EndpointId> {
        match self {
            FindingKind::Endpoint { endpoint, .. }
            | FindingKind::NameDoesNotResolve { endpoint, .. }
            | FindingKind::NsgExportContradicted { endpoint }
            | FindingKind::FirewallExportContradicted { endpoint }
            | FindingKind::DnsExportContradicted { endpoint }
            | FindingKind::PrivateEndpoint { endpoint }
            | FindingKind::ResolvesPublicly { endpoint, .. }
            | FindingKind::AuthenticatingProxy { endpoint }
            | FindingKind::OldTlsNegotiated { endpoint } => Some(*endpoint),
            FindingKind::CacheRegion { .. }
            | FindingKind::ThroughAppliance
            | FindingKind::StorageFirewall
            | FindingKind::EndpointPolicy => Some(EndpointId::CacheStorage),
            FindingKind::StaleTags
            | FindingKind::PrivateSubnet
            | FindingKind::ImdsThroughProxy
            | FindingKind::ImdsUnanswered
            | FindingKind::CaHostsBlocked
            | FindingKind::MultiVmConsistency { .. } => None,
        }
    }

    /// True when the finding concerns Site Recovery traffic (it counts for
    /// the exit status); false for what the capture shows working (a
    /// private endpoint, an export that contradicts it) and for the
    /// service-tag data's age.
    pub fn asr(&self) -> bool {
        !matches!(
            self,
            FindingKind::NsgExportContradicted { .. }
                | FindingKind::FirewallExportContradicted { .. }
                | FindingKind::DnsExportContradicted { .. }
                | FindingKind::PrivateEndpoint { .. }
                | FindingKind::StaleTags
        )
    }
}
