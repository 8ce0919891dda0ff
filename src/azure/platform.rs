//! Azure's platform addresses: the same in every region and cloud, in no
//! service tag, and never "outside Azure".

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
