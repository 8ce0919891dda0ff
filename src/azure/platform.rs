//! Azure's platform addresses: the same in every region and cloud, in no
//! service tag, and never "outside Azure".

use crate::model::requirements::PlatformNeed;
use std::net::{IpAddr, Ipv4Addr};

/// A platform address and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Platform {
    /// A short label, shown where a service tag would be.
    pub label: &'static str,
    /// What it is, in one sentence.
    pub what: &'static str,
}

/// Azure's virtual public IP address.
pub(crate) const WIRESERVER: Ipv4Addr = Ipv4Addr::new(168, 63, 129, 16);
/// The Instance Metadata Service.
pub(crate) const IMDS: Ipv4Addr = Ipv4Addr::new(169, 254, 169, 254);

/// The platform services Site Recovery's VMs reach, with the tag that
/// filters each in an NSG. NSG overview (ms.date 07/15/2025): "DHCP, DNS,
/// IMDS, and health monitoring are provided through the virtualized host IP
/// addresses 168.63.129.16 and 169.254.169.254 … these services aren't
/// subject to the configured network security groups unless targeted by
/// service tags specific to each service … AzurePlatformDNS,
/// AzurePlatformIMDS, AzurePlatformLKM".
pub(crate) const NEEDS: &[PlatformNeed] = &[
    PlatformNeed {
        service: "Instance Metadata Service (IMDS)",
        address: "169.254.169.254",
        port: "TCP 80 (HTTP)",
        tag: "AzurePlatformIMDS",
        purpose: "the Mobility agent gets the VM's security type from IMDS; bypass 169.254.169.254 in every proxy setting",
        direct: true,
    },
    PlatformNeed {
        service: "Azure-provided DNS",
        address: "168.63.129.16",
        port: "UDP and TCP 53",
        tag: "AzurePlatformDNS",
        purpose: "resolves the Site Recovery URLs when the virtual network uses Azure-provided DNS, or a custom DNS server that forwards to it",
        direct: true,
    },
];

/// The platform address `ip` is, if it is one.
pub(crate) fn platform(ip: &IpAddr) -> Option<Platform> {
    match ip {
        IpAddr::V4(v) if *v == WIRESERVER => Some(Platform {
            label: "Azure platform (168.63.129.16)",
            what: "Azure's virtual public IP address: Azure-provided DNS, the VM agent's and extensions' channel, load balancer health probes; the same in every region and cloud",
        }),
        IpAddr::V4(v) if *v == IMDS => Some(Platform {
            label: "Azure Instance Metadata Service",
            what: "the Instance Metadata Service (IMDS), reachable only from inside the VM",
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_platform_addresses_are_named() {
        let dns: IpAddr = "168.63.129.16".parse().unwrap();
        assert!(platform(&dns).unwrap().what.contains("Azure-provided DNS"));
        let imds: IpAddr = "169.254.169.254".parse().unwrap();
        assert!(platform(&imds).unwrap().label.contains("Metadata"));
        assert!(platform(&"168.63.129.17".parse().unwrap()).is_none());
    }
}
