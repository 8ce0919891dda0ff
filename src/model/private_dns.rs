//! What the private DNS zone exports say of the names of an endpoint with a
//! private endpoint (the cache account, the vault): is the zone linked to
//! the VM's virtual network, does it hold the names' A records, and which
//! DNS servers the VM asks.

use std::net::IpAddr;

/// What decided whether the VM's names resolve in the private zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsDecision {
    /// The zone is linked to the VM's virtual network and holds the records
    /// looked for (or has A records, when no name was known).
    Resolves,
    /// The zone is linked to no network, or not to the VM's: names resolve
    /// publicly ("DNS resolution against a private DNS zone works only from
    /// virtual networks that are linked to it").
    ZoneNotLinked,
    /// The zone is linked, and lacks the A record of a name (or holds none).
    RecordMissing {
        /// The record set names missing (relative to the zone); empty when
        /// the zone holds no A record at all and no name was known.
        names: Vec<String>,
    },
    /// The exports given cannot tell.
    CannotTell {
        /// Why.
        why: DnsUnknown,
    },
}

/// Why the exports cannot tell whether the zone answers the VM.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsUnknown {
    /// The zone has links, and none of the exports says where the VM sits
    /// (no NIC, subnet or virtual network export).
    VnetUnknown,
    /// The zone has links (its `numberOfVirtualNetworkLinks`), and its link
    /// list was not given.
    LinksNotGiven,
}

/// `resolutionPolicy` of a virtual network link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolutionPolicy {
    /// `Default`: a name the zone lacks is NXDOMAIN.
    Default,
    /// `NxDomainRedirect`: a name the zone lacks falls back to public
    /// resolution ("Enable fallback to internet").
    NxDomainRedirect,
}

impl ResolutionPolicy {
    /// As the export spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionPolicy::Default => "Default",
            ResolutionPolicy::NxDomainRedirect => "NxDomainRedirect",
        }
    }
}

/// The zone's link to the VM's virtual network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsLink {
    /// The link's name.
    pub name: String,
    /// `registrationEnabled`, when printed.
    pub registration: Option<bool>,
    /// `resolutionPolicy`, when printed (API 2024-06-01 and later).
    pub policy: Option<ResolutionPolicy>,
    /// `virtualNetworkLinkState` (`Completed`, `InProgress`), when printed.
    pub state: Option<String>,
}

/// The DNS servers the VM is given, and by what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsServersUsed {
    /// Azure-provided DNS (168.63.129.16): linked zones answer.
    AzureProvided,
    /// Custom servers set on the NIC (they override the virtual network's).
    Nic(Vec<IpAddr>),
    /// Custom servers set on the virtual network.
    Vnet(Vec<IpAddr>),
    /// Not told by the exports given.
    Unknown,
}

impl DnsServersUsed {
    /// The custom servers, when the VM has any.
    pub fn custom(&self) -> Option<&[IpAddr]> {
        match self {
            DnsServersUsed::Nic(s) | DnsServersUsed::Vnet(s) => Some(s),
            DnsServersUsed::AzureProvided | DnsServersUsed::Unknown => None,
        }
    }
}

/// What the verdict could not tell, or what qualifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsNote {
    /// The VM asks custom DNS servers: the linked zone answers it only if
    /// they forward the zone's public name to Azure DNS (168.63.129.16),
    /// which no export tells.
    CustomServers {
        /// The servers.
        servers: Vec<IpAddr>,
        /// Set on the NIC (else on the virtual network).
        on_nic: bool,
    },
    /// The link falls back to public resolution for names the zone lacks
    /// (`NxDomainRedirect`): a missing record gives a public answer, not
    /// NXDOMAIN.
    FallbackToInternet {
        /// The link.
        link: String,
    },
    /// The link is not `Completed` yet.
    LinkNotCompleted {
        /// The link.
        link: String,
        /// Its state.
        state: String,
    },
    /// The zone's records were not given: whether it holds the names is not
    /// told.
    RecordsNotGiven,
    /// The zone holds A records, and the names needed are not known without
    /// a capture (the vault's are per vault ID).
    NamesUnknown {
        /// A record sets in the zone.
        records: usize,
    },
    /// The vault's zone holds fewer A records than the five names of a
    /// vault's private endpoint (seven once replication is enabled).
    VaultRecordsFew {
        /// A record sets in the zone.
        records: usize,
    },
    /// The exports do not say which DNS servers the VM asks (no NIC or
    /// virtual network export).
    ServersUnknown,
}

/// The private DNS zone's answer for an endpoint's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsVerdict {
    /// The zone (`privatelink.blob.core.windows.net`).
    pub zone: String,
    /// The zone's resource group, when an export's id names it.
    pub zone_group: Option<String>,
    /// The VM's virtual network's id, when the exports tell it.
    pub vnet: Option<String>,
    /// The zone's link to that network.
    pub link: Option<DnsLink>,
    /// Links of the zone read (or its `numberOfVirtualNetworkLinks`).
    pub links: usize,
    /// The record set names looked for (relative to the zone).
    pub names: Vec<String>,
    /// What decided.
    pub decision: DnsDecision,
    /// The DNS servers the VM asks.
    pub servers: DnsServersUsed,
    /// Qualifications.
    pub notes: Vec<DnsNote>,
}

impl DnsVerdict {
    /// `Some(true)` when the zone answers the VM, `Some(false)` when it
    /// does not, `None` when it cannot be told.
    pub fn allowed(&self) -> Option<bool> {
        match self.decision {
            DnsDecision::Resolves => Some(true),
            DnsDecision::ZoneNotLinked | DnsDecision::RecordMissing { .. } => Some(false),
            DnsDecision::CannotTell { .. } => None,
        }
    }

    /// The custom DNS servers the VM asks, when any.
    pub fn custom_servers(&self) -> Option<&[IpAddr]> {
        self.servers.custom()
    }
}
