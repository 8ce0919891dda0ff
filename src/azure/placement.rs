//! Where the VM sits: its network interface, its subnet and its virtual
//! network, as `az network nic show`, `az network vnet subnet show` and
//! `az network vnet show` print them. The layers that depend on where a
//! flow leaves from (the cache account's firewall, private DNS zones, the
//! subnet's way out, service endpoint policies) read it from here.
//!
//! These are values only: the readers fill them, the layers evaluate them.

use crate::azure::address::Block;

mod read;
pub use read::{PlacementError, parse_placement};
use std::net::IpAddr;

/// An Azure resource id (`/subscriptions/…/resourceGroups/…/providers/…`),
/// kept as given (through the sanitiser) and compared ignoring case, as
/// Azure compares them.
#[derive(Debug, Clone, Eq)]
pub struct ResourceId(String);

impl PartialEq for ResourceId {
    fn eq(&self, other: &ResourceId) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl ResourceId {
    /// The id, sanitised; trailing slashes dropped.
    pub fn new(id: &str) -> ResourceId {
        ResourceId(crate::sanitize::for_terminal(
            id.trim().trim_end_matches('/'),
        ))
    }

    /// The id as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value after `key` (`resourceGroups`, `virtualNetworks`, …),
    /// matched ignoring case.
    pub fn segment(&self, key: &str) -> Option<&str> {
        let mut parts = self.0.split('/');
        while let Some(p) = parts.next() {
            if p.eq_ignore_ascii_case(key) {
                return parts.next().filter(|s| !s.is_empty());
            }
        }
        None
    }

    /// The last segment: the resource's own name.
    pub fn name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or("")
    }

    /// The subscription.
    pub fn subscription(&self) -> Option<&str> {
        self.segment("subscriptions")
    }

    /// The resource group.
    pub fn resource_group(&self) -> Option<&str> {
        self.segment("resourceGroups")
    }

    /// For a subnet's id, its virtual network's id.
    pub fn vnet_of_subnet(&self) -> Option<ResourceId> {
        let lower = self.0.to_ascii_lowercase();
        let at = lower.rfind("/subnets/")?;
        Some(ResourceId(self.0[..at].to_string()))
    }
}

/// The VM's network interface (`az network nic show`).
#[derive(Debug, Clone, PartialEq)]
pub struct Nic {
    /// Its id.
    pub id: ResourceId,
    /// The subnet of its primary IP configuration.
    pub subnet: Option<ResourceId>,
    /// Its private addresses, the primary IP configuration's first (else
    /// the first configuration's).
    pub private_ips: Vec<IpAddr>,
    /// The public IP address resource of an IP configuration, if any.
    pub public_ip: Option<ResourceId>,
    /// `dnsSettings.dnsServers`: servers set on the NIC (they override the
    /// virtual network's); empty when it inherits.
    pub dns_servers: Vec<IpAddr>,
    /// `defaultOutboundConnectivityEnabled` (read-only: whether a default
    /// outbound address is allocated), when printed.
    pub default_outbound: Option<bool>,
}

/// A service endpoint on a subnet (`serviceEndpoints[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEndpoint {
    /// `service`, e.g. `Microsoft.Storage` or `Microsoft.Storage.Global`.
    pub service: String,
    /// `locations`, e.g. `eastus`, `westus` or `*`.
    pub locations: Vec<String>,
}

/// A subnet (`az network vnet subnet show`, or one of `az network vnet
/// show`'s `subnets`).
#[derive(Debug, Clone, PartialEq)]
pub struct Subnet {
    /// Its id.
    pub id: ResourceId,
    /// `addressPrefix` / `addressPrefixes`.
    pub prefixes: Vec<Block>,
    /// `defaultOutboundAccess`: `Some(false)` is a private subnet; absent
    /// (`None`) or `true` keeps default outbound access.
    pub default_outbound_access: Option<bool>,
    /// `natGateway.id`.
    pub nat_gateway: Option<ResourceId>,
    /// `serviceEndpoints`.
    pub service_endpoints: Vec<ServiceEndpoint>,
    /// `serviceEndpointPolicies[].id`.
    pub endpoint_policies: Vec<ResourceId>,
    /// `networkSecurityGroup.id`.
    pub nsg: Option<ResourceId>,
    /// `routeTable.id`.
    pub route_table: Option<ResourceId>,
}

/// A virtual network (`az network vnet show`).
#[derive(Debug, Clone, PartialEq)]
pub struct Vnet {
    /// Its id.
    pub id: ResourceId,
    /// `dhcpOptions.dnsServers`: empty means Azure-provided DNS.
    pub dns_servers: Vec<IpAddr>,
}

/// Which DNS servers the VM is given, and by what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsServers {
    /// Azure-provided DNS (168.63.129.16): the linked private zones answer.
    AzureProvided,
    /// Servers set on the NIC (overriding the virtual network's).
    Nic(Vec<IpAddr>),
    /// Servers set on the virtual network.
    Vnet(Vec<IpAddr>),
    /// Not told by the exports given.
    Unknown,
}

/// What the exports say of where the VM sits. Empty when none was given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Placement {
    /// The NIC, when `az network nic show` was given.
    pub nic: Option<Nic>,
    /// Subnets given (by `subnet show`, or inside a `vnet show`).
    pub subnets: Vec<Subnet>,
    /// Virtual networks given.
    pub vnets: Vec<Vnet>,
}

impl Placement {
    /// True when nothing was given.
    pub fn is_empty(&self) -> bool {
        self.nic.is_none() && self.subnets.is_empty() && self.vnets.is_empty()
    }

    /// The VM's subnet: the NIC's, when given and among the subnets; else
    /// the only subnet given.
    pub fn vm_subnet(&self) -> Option<&Subnet> {
        if let Some(id) = self.nic.as_ref().and_then(|n| n.subnet.as_ref()) {
            return self.subnets.iter().find(|s| &s.id == id);
        }
        match self.subnets.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// The VM's subnet id: the NIC's, else the only subnet's.
    pub fn vm_subnet_id(&self) -> Option<ResourceId> {
        self.nic
            .as_ref()
            .and_then(|n| n.subnet.clone())
            .or_else(|| self.vm_subnet().map(|s| s.id.clone()))
    }

    /// The VM's address: its NIC's primary private address, when the NIC's
    /// export is given.
    pub fn vm_address(&self) -> Option<IpAddr> {
        self.nic.as_ref()?.private_ips.first().copied()
    }

    /// The VM's virtual network id (from its subnet's id; else the only
    /// virtual network given).
    pub fn vm_vnet_id(&self) -> Option<ResourceId> {
        self.vm_subnet_id()
            .and_then(|s| s.vnet_of_subnet())
            .or_else(|| match self.vnets.as_slice() {
                [one] => Some(one.id.clone()),
                _ => None,
            })
    }

    /// The DNS servers the VM gets: the NIC's override the virtual
    /// network's; a virtual network without servers uses Azure DNS.
    pub fn dns_servers(&self) -> DnsServers {
        if let Some(n) = &self.nic
            && !n.dns_servers.is_empty()
        {
            return DnsServers::Nic(n.dns_servers.clone());
        }
        let vnet = self
            .vm_vnet_id()
            .and_then(|id| self.vnets.iter().find(|v| v.id == id));
        match vnet {
            Some(v) if v.dns_servers.is_empty() => DnsServers::AzureProvided,
            Some(v) => DnsServers::Vnet(v.dns_servers.clone()),
            None => DnsServers::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_by_segment() {
        let id = ResourceId::new(
            "/subscriptions/s1/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/v1/subnets/default/",
        );
        assert_eq!(id.subscription(), Some("s1"));
        assert_eq!(id.resource_group(), Some("RG"));
        assert_eq!(id.segment("virtualnetworks"), Some("v1"));
        assert_eq!(id.name(), "default");
        assert_eq!(
            id.vnet_of_subnet().unwrap(),
            ResourceId::new(
                "/subscriptions/S1/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/V1"
            )
        );
    }

    #[test]
    fn nic_servers_override_the_vnet() {
        let subnet = ResourceId::new(
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v/subnets/a",
        );
        let vnet = Vnet {
            id: subnet.vnet_of_subnet().unwrap(),
            dns_servers: vec!["10.0.0.4".parse().unwrap()],
        };
        let mut p = Placement {
            vnets: vec![vnet],
            ..Placement::default()
        };
        // The only virtual network given is the VM's.
        assert_eq!(
            p.dns_servers(),
            DnsServers::Vnet(vec!["10.0.0.4".parse().unwrap()])
        );
        p.vnets[0].id = ResourceId::new(
            "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/other",
        );
        p.nic = Some(Nic {
            id: ResourceId::new(
                "/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/networkInterfaces/n",
            ),
            subnet: Some(subnet),
            private_ips: Vec::new(),
            public_ip: None,
            dns_servers: Vec::new(),
            default_outbound: None,
        });
        // The NIC's subnet is in another virtual network than the one given.
        assert_eq!(p.dns_servers(), DnsServers::Unknown);
        p.vnets[0].id = p.vm_vnet_id().unwrap();
        assert_eq!(
            p.dns_servers(),
            DnsServers::Vnet(vec!["10.0.0.4".parse().unwrap()])
        );
        p.vnets[0].dns_servers.clear();
        assert_eq!(p.dns_servers(), DnsServers::AzureProvided);
        p.nic.as_mut().unwrap().dns_servers = vec!["10.9.9.9".parse().unwrap()];
        assert_eq!(
            p.dns_servers(),
            DnsServers::Nic(vec!["10.9.9.9".parse().unwrap()])
        );
    }
}
