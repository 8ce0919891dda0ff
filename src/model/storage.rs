//! What the cache storage account's own firewall (`az storage account
//! show`: `publicNetworkAccess`, `networkRuleSet`, `allowSharedKeyAccess`)
//! does with the VM's traffic, as storage sees its source, and which of
//! Site Recovery's requirements on the account it misses.

/// Where the VM's requests come from, as the storage account sees them:
/// that decides which of its rules apply.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StorageSource {
    /// Through a private endpoint: the account's firewall does not apply.
    PrivateEndpoint,
    /// From the VM's subnet; with a `Microsoft.Storage` service endpoint
    /// there, storage sees the subnet (only a virtual network rule lets it
    /// in); without one, it sees the public address the VM leaves by.
    Subnet {
        /// The subnet's id.
        id: String,
        /// The subnet has a `Microsoft.Storage` service endpoint.
        service_endpoint: bool,
    },
    /// From the Azure Firewall in the path, which translates the source
    /// (SNAT): storage sees the firewall.
    FirewallSnat {
        /// The firewall, when named.
        firewall: Option<String>,
    },
    /// From the public address the VM leaves by (not known offline).
    PublicAddress,
    /// Not told by the exports given (no subnet export).
    Unknown {
        /// The VM's subnet, when the NIC names it.
        subnet: Option<String>,
    },
}

/// The setting of the account that lets the traffic in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StorageAllow {
    /// A private endpoint: the firewall does not apply.
    PrivateEndpoint,
    /// `defaultAction` `Allow` with public access enabled: every network.
    AllNetworks,
    /// A virtual network rule for this subnet.
    VnetRule {
        /// The rule's subnet.
        subnet: String,
    },
}

/// The setting of the account that keeps the traffic out.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StorageDeny {
    /// `publicNetworkAccess` `Disabled`, and the VM does not use a private
    /// endpoint.
    PublicAccessDisabled,
    /// `defaultAction` `Deny` and no virtual network rule names the subnet
    /// (which has the service endpoint).
    NoRuleForSubnet {
        /// The subnet.
        subnet: String,
    },
    /// `defaultAction` `Deny`; the subnet has no `Microsoft.Storage`
    /// service endpoint, so storage sees a public address, and no rule
    /// lets that in.
    NoServiceEndpoint {
        /// The subnet.
        subnet: String,
        /// A virtual network rule names the subnet already (it applies
        /// only with the service endpoint).
        rule_exists: bool,
    },
    /// `defaultAction` `Deny` and no virtual network rule names the
    /// firewall's subnet (`AzureFirewallSubnet`), nor an IP rule that could
    /// hold its address.
    NoRuleForFirewall,
    /// `defaultAction` `Deny`, from a public address, and no IP rule that
    /// applies (none, or the account is in the VM's region, where IP rules
    /// have no effect).
    NoRuleForPublicAddress {
        /// IP rules the account has (none apply).
        ip_rules: usize,
    },
}

/// Why the account's answer cannot be told offline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StorageUnknown {
    /// The VM's subnet (and its service endpoints) is not given: a virtual
    /// network rule for it, with a service endpoint there, or an IP rule
    /// for the VM's public address would decide.
    SourceUnknown {
        /// The subnet, when the NIC names it.
        subnet: Option<String>,
    },
    /// From a public address not known offline, and IP rules exist.
    PublicAddressUnknown {
        /// How many IP rules.
        ip_rules: usize,
    },
    /// `publicNetworkAccess` `SecuredByPerimeter`: a network security
    /// perimeter's rules decide, and they are not in this export.
    Perimeter,
    /// `publicNetworkAccess` `Disabled`; the account has an approved private
    /// endpoint, but whether the VM resolves the account to it is not told
    /// by the exports.
    PrivateEndpointUnverified,
}

/// What decided in the account's firewall.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StorageDecision {
    /// Let in by this setting.
    Allowed(StorageAllow),
    /// Kept out by this setting.
    Denied(StorageDeny),
    /// It cannot be told offline.
    CannotTell(StorageUnknown),
}

/// What Site Recovery requires of the account (support matrix) that the
/// export shows missed, or what goes with the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StorageNote {
    /// The firewall restricts access and `bypass` lacks `AzureServices`:
    /// Site Recovery needs trusted Microsoft services allowed.
    TrustedServicesNotAllowed {
        /// `bypass` as exported (`None`, `Logging`, `Metrics`).
        bypass: Vec<String>,
    },
    /// `allowSharedKeyAccess` is false: Site Recovery needs shared key
    /// access unless the vault's managed identity has its roles on the
    /// account, which the export does not show.
    SharedKeyOff,
    /// The firewall restricts networks: with a vault's user-assigned
    /// managed identity, Site Recovery needs access from all networks.
    UserAssignedIdentityNeedsAllNetworks,
    /// IP rules exist, but the account is in the VM's region, where IP
    /// rules have no effect.
    IpRulesSameRegion {
        /// The account's region.
        region: String,
    },
    /// The rule for the firewall's subnet counts only with a
    /// `Microsoft.Storage` service endpoint on that subnet, which the
    /// exports given do not show.
    FirewallSubnetEndpointAssumed,
    /// The only account given is taken as the cache account (the flow has
    /// no name to match).
    AccountAssumed,
}

impl StorageNote {
    /// True when the note is a requirement Site Recovery states that the
    /// account misses for certain.
    pub fn breaks(&self) -> bool {
        matches!(self, StorageNote::TrustedServicesNotAllowed { .. })
    }

    /// True when the note leaves a requirement that cannot be told offline.
    pub fn undecided(&self) -> bool {
        matches!(self, StorageNote::SharedKeyOff)
    }
}

/// The cache storage account's answer to the VM's traffic: the account,
/// the source as storage sees it, the setting that decided, and notes.
///
/// The JSON flattens it: `allowed` (true, false, or null when it cannot be
/// told), `outcome` (`allow`, `deny`, `cannot-tell`), `account`,
/// `resource_group`, `source`, `setting` (the setting that decided, in
/// words), `text`, `notes`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StorageVerdict {
    /// The account's name.
    pub account: String,
    /// Its resource group, from its id.
    pub resource_group: Option<String>,
    /// Where storage sees the traffic come from.
    pub source: StorageSource,
    /// What decided.
    pub decision: StorageDecision,
    /// What it rests on, and Site Recovery's requirements it misses.
    pub notes: Vec<StorageNote>,
}

impl StorageVerdict {
    /// True when let in, false when kept out, `None` when it cannot be told.
    pub fn allowed(&self) -> Option<bool> {
        match self.decision {
            StorageDecision::Allowed(_) => Some(true),
            StorageDecision::Denied(_) => Some(false),
            StorageDecision::CannotTell(_) => None,
        }
    }

    /// How bad it is for Site Recovery: 2 when the traffic is kept out or
    /// a stated requirement is missed, 1 when it cannot be told, 0 when let
    /// in and nothing missed.
    pub fn harm(&self) -> u8 {
        if self.allowed() == Some(false) || self.notes.iter().any(StorageNote::breaks) {
            2
        } else if self.allowed().is_none() || self.notes.iter().any(StorageNote::undecided) {
            1
        } else {
            0
        }
    }
}
