//! What the account's firewall does with the VM's traffic, by the source
//! storage sees ("Azure Storage firewall rules", "Virtual network service
//! endpoints", Azure Firewall's "SNAT private IP address ranges"):
//!
//! 1. Through a private endpoint: "You don't need any firewall access rules
//!    to allow traffic for private endpoints".
//! 2. `publicNetworkAccess` `Disabled`: only private endpoints;
//!    `SecuredByPerimeter`: a perimeter's rules, not exported here.
//! 3. `defaultAction` `Allow`: every network.
//! 4. `defaultAction` `Deny`: from a subnet with a `Microsoft.Storage`
//!    service endpoint, only a virtual network rule for that subnet; from
//!    the Azure Firewall (which translates the source of what it allows to
//!    public addresses), a rule for its `AzureFirewallSubnet`, or an IP rule;
//!    from a public address, an IP rule, which has "no effect on requests
//!    originating from the same Azure region as the storage account".
//!
//! Then what Site Recovery requires of the account (support matrix): trusted
//! Microsoft services allowed, shared key access (or the vault's managed
//! identity with its roles), all networks with a vault's user-assigned
//! identity.

use super::{Account, PublicAccess};
use crate::azure::placement::Placement;
use crate::model::{
    FirewallVerdict, StorageAllow, StorageDecision, StorageDeny, StorageNote, StorageSource,
    StorageUnknown, StorageVerdict,
};

/// What the account is asked: where the traffic comes from, the VM's region,
/// and whether the source was seen in a capture (a flow to a public address
/// is certainly not through a private endpoint) or is only configured
/// (`check`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked<'a> {
    /// The source as storage sees it.
    pub source: StorageSource,
    /// The VM's region (`eastus`), when known.
    pub vm_region: Option<&'a str>,
    /// The source was seen in a capture.
    pub seen: bool,
}

/// The source storage sees: a private endpoint when the flow went to one;
/// the Azure Firewall when it lets the flow through (it translates the
/// source of what it allows to a public address); else the VM's subnet
/// with or without a `Microsoft.Storage` service endpoint; unknown without
/// the subnet's export.
pub fn source_of(
    private_endpoint: bool,
    firewall: Option<&FirewallVerdict>,
    placement: &Placement,
) -> StorageSource {
    if private_endpoint {
        return StorageSource::PrivateEndpoint;
    }
    if let Some(f) = firewall.filter(|f| f.allowed() == Some(true)) {
        return StorageSource::FirewallSnat {
            firewall: f.firewall.clone(),
        };
    }
    match placement.vm_subnet() {
        Some(s) => StorageSource::Subnet {
            id: s.id.as_str().to_string(),
            service_endpoint: s.service_endpoints.iter().any(|e| {
                e.service.eq_ignore_ascii_case("Microsoft.Storage")
                    || e.service.eq_ignore_ascii_case("Microsoft.Storage.Global")
            }),
        },
        None => StorageSource::Unknown {
            subnet: placement.vm_subnet_id().map(|i| i.as_str().to_string()),
        },
    }
}

fn same_region(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.replace(' ', "").to_ascii_lowercase();
    norm(a) == norm(b)
}

impl Account {
    /// The account's answer to traffic from `asked.source`, with Site
    /// Recovery's requirements it misses.
    pub fn evaluate(&self, asked: &Asked<'_>) -> StorageVerdict {
        let same = match (asked.vm_region, self.location.as_deref()) {
            (Some(v), Some(a)) => Some(same_region(v, a)),
            _ => None,
        };
        let mut notes = Vec::new();
        if !self.ip_rules.is_empty()
            && same == Some(true)
            && let Some(region) = &self.location
        {
            notes.push(StorageNote::IpRulesSameRegion {
                region: region.clone(),
            });
        }
        let decision = self.decide(asked, same == Some(true), &mut notes);
        if self.restricts() && !self.trusted_services() {
            notes.push(StorageNote::TrustedServicesNotAllowed {
                bypass: self.bypass.clone(),
            });
        }
        if self.shared_key == Some(false) {
            notes.push(StorageNote::SharedKeyOff);
        }
        if self.restricts() {
            notes.push(StorageNote::UserAssignedIdentityNeedsAllNetworks);
        }
        StorageVerdict {
            account: self.name.clone(),
            resource_group: self.resource_group(),
            source: asked.source.clone(),
            decision,
            notes,
        }
    }

    fn decide(
        &self,
        asked: &Asked<'_>,
        same_region: bool,
        notes: &mut Vec<StorageNote>,
    ) -> StorageDecision {
        use StorageDecision::{Allowed, CannotTell, Denied};
        if asked.source == StorageSource::PrivateEndpoint {
            return Allowed(StorageAllow::PrivateEndpoint);
        }
        match self.public_access {
            PublicAccess::Disabled => {
                let approved = self.private_endpoints.iter().any(|p| p.approved);
                return if approved && !asked.seen {
                    CannotTell(StorageUnknown::PrivateEndpointUnverified)
                } else {
                    Denied(StorageDeny::PublicAccessDisabled)
                };
            }
            PublicAccess::SecuredByPerimeter => return CannotTell(StorageUnknown::Perimeter),
            PublicAccess::Enabled if !self.default_deny => {
                return Allowed(StorageAllow::AllNetworks);
            }
            PublicAccess::Enabled => {}
        }
        // IP rules can hold a public address only from another region.
        let ip_may_hold = !self.ip_rules.is_empty() && !same_region;
        let public = |denied: StorageDeny| {
            if ip_may_hold {
                CannotTell(StorageUnknown::PublicAddressUnknown {
                    ip_rules: self.ip_rules.len(),
                })
            } else {
                Denied(denied)
            }
        };
        let rule_for = |id: &str| {
            self.vnet_rules.iter().find(|r| {
                r.active()
                    && r.subnet
                        .as_str()
                        .eq_ignore_ascii_case(id.trim_end_matches('/'))
            })
        };
        match &asked.source {
            StorageSource::Subnet {
                id,
                service_endpoint: true,
            } => match rule_for(id) {
                Some(r) => Allowed(StorageAllow::VnetRule {
                    subnet: r.subnet.as_str().to_string(),
                }),
                None => Denied(StorageDeny::NoRuleForSubnet { subnet: id.clone() }),
            },
            StorageSource::Subnet {
                id,
                service_endpoint: false,
            } => public(StorageDeny::NoServiceEndpoint {
                subnet: id.clone(),
                rule_exists: rule_for(id).is_some(),
            }),
            StorageSource::FirewallSnat { .. } => {
                let fw = self.vnet_rules.iter().find(|r| {
                    r.active() && r.subnet.name().eq_ignore_ascii_case("AzureFirewallSubnet")
                });
                match fw {
                    Some(r) => {
                        notes.push(StorageNote::FirewallSubnetEndpointAssumed);
                        Allowed(StorageAllow::VnetRule {
                            subnet: r.subnet.as_str().to_string(),
                        })
                    }
                    None => public(StorageDeny::NoRuleForFirewall),
                }
            }
            StorageSource::PublicAddress => public(StorageDeny::NoRuleForPublicAddress {
                ip_rules: self.ip_rules.len(),
            }),
            StorageSource::Unknown { subnet } => CannotTell(StorageUnknown::SourceUnknown {
                subnet: subnet.clone(),
            }),
            StorageSource::PrivateEndpoint => Allowed(StorageAllow::PrivateEndpoint),
        }
    }
}

/// The accounts given: the one a flow's name is the blob endpoint of (the
/// only one, for a flow without a name), and for `check` each of them.
pub fn account_for<'a>(accounts: &'a [Account], name: Option<&str>) -> Option<(&'a Account, bool)> {
    match name {
        Some(n) => accounts.iter().find(|a| a.serves(n)).map(|a| (a, false)),
        None => match accounts {
            [one] => Some((one, true)),
            _ => None,
        },
    }
}
