//! The cache storage account's own firewall, as an admin exports it, and
//! what it does with the VM's traffic as storage sees its source.
//!
//! One export is read, giving asrscope no access to Azure:
//!
//! * `az storage account show -g <rg> -n <account>` (or `list`) — a
//!   `StorageAccount` (`type` `Microsoft.Storage/storageAccounts`): `name`,
//!   `id`, `primaryLocation` (else `location`), `primaryEndpoints.blob`,
//!   `publicNetworkAccess` (`Enabled`, `Disabled`, `SecuredByPerimeter`),
//!   `allowSharedKeyAccess`, `privateEndpointConnections[]` (their
//!   `privateLinkServiceConnectionState.status`), and the network rules,
//!   which the REST API calls `networkAcls` and `az` prints as
//!   `networkRuleSet`: `defaultAction` (`Allow`, `Deny`), `bypass` (a comma
//!   list of `None`, `Logging`, `Metrics`, `AzureServices`),
//!   `virtualNetworkRules[]` (`virtualNetworkResourceId`, REST `id`: a
//!   subnet; `action`; `state`), `ipRules[]` (`ipAddressOrRange`, REST
//!   `value`), `ipv6Rules[]`, `resourceAccessRules[]`.
//!
//! `az` prints the REST body with `properties` lifted into the object;
//! `list` prints a bare array. Every string kept passes the one sanitiser
//! ([`crate::sanitize::for_terminal`]).
//!
//! - [`read`]: the export, in every shape;
//! - [`evaluate`]: which source storage sees, and what the account's
//!   settings do with it (Microsoft's "Azure Storage firewall rules" and
//!   Site Recovery's support matrix; `docs/AZURE-CONFIGURATION.md`).

pub mod evaluate;
pub mod read;

#[cfg(test)]
mod tests;

pub use evaluate::{Asked, source_of};
pub use read::{StorageError, parse_storage_accounts};

use crate::azure::placement::ResourceId;

/// `publicNetworkAccess`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublicAccess {
    /// `Enabled`, or not exported (the network rules decide).
    Enabled,
    /// `Disabled`: only private endpoints reach the account.
    Disabled,
    /// `SecuredByPerimeter`: a network security perimeter's rules decide.
    SecuredByPerimeter,
}

/// A virtual network rule (`virtualNetworkRules[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VnetRule {
    /// The subnet it allows.
    pub subnet: ResourceId,
    /// `action` is `Allow` (the only action), or absent.
    pub allow: bool,
    /// `state`, when exported (`Succeeded`, `Failed`, `NetworkSourceDeleted`…).
    pub state: Option<String>,
}

impl VnetRule {
    /// True when it lets its subnet in: an allow rule not failed or deleted.
    pub fn active(&self) -> bool {
        self.allow
            && !self.state.as_deref().is_some_and(|s| {
                ["failed", "networksourcedeleted", "deprovisioning"]
                    .contains(&s.to_ascii_lowercase().as_str())
            })
    }
}

/// A private endpoint connection of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateEndpoint {
    /// The private endpoint's id, when exported.
    pub id: Option<String>,
    /// `privateLinkServiceConnectionState.status` is `Approved`.
    pub approved: bool,
}

/// A storage account as `az storage account show` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its name.
    pub name: String,
    /// Its id, when exported.
    pub id: Option<ResourceId>,
    /// Its region (`primaryLocation`, else `location`), lower case.
    pub location: Option<String>,
    /// The host of `primaryEndpoints.blob` (else `<name>.blob.core.windows.net`),
    /// lower case.
    pub blob_host: String,
    /// `publicNetworkAccess`.
    pub public_access: PublicAccess,
    /// `defaultAction` is `Deny`: only the rules let traffic in.
    pub default_deny: bool,
    /// `bypass`, split.
    pub bypass: Vec<String>,
    /// `virtualNetworkRules`.
    pub vnet_rules: Vec<VnetRule>,
    /// `ipRules[].ipAddressOrRange`.
    pub ip_rules: Vec<String>,
    /// `ipv6Rules[].ipAddressOrRange`.
    pub ipv6_rules: Vec<String>,
    /// How many `resourceAccessRules`.
    pub resource_rules: usize,
    /// `privateEndpointConnections`.
    pub private_endpoints: Vec<PrivateEndpoint>,
    /// `allowSharedKeyAccess`, when exported (absent means allowed).
    pub shared_key: Option<bool>,
}

impl Account {
    /// Its resource group, from its id.
    pub fn resource_group(&self) -> Option<String> {
        self.id
            .as_ref()
            .and_then(|i| i.resource_group().map(str::to_string))
    }

    /// True when `name` (a TLS server name or DNS name) is its blob
    /// endpoint, or the `privatelink` name of it.
    pub fn serves(&self, name: &str) -> bool {
        let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
        n == self.blob_host
            || self
                .blob_host
                .split_once('.')
                .is_some_and(|(acct, rest)| n == format!("{acct}.privatelink.{rest}"))
    }

    /// `bypass` holds `AzureServices`.
    pub fn trusted_services(&self) -> bool {
        self.bypass
            .iter()
            .any(|b| b.eq_ignore_ascii_case("AzureServices"))
    }

    /// The firewall restricts access: public access not plainly enabled,
    /// or `defaultAction` `Deny`.
    pub fn restricts(&self) -> bool {
        self.default_deny || self.public_access != PublicAccess::Enabled
    }
}
