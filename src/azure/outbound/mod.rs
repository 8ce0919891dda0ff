//! The subnet's way out ("Default outbound access in Azure"): from the
//! subnet export (`az network vnet subnet show`: `defaultOutboundAccess`,
//! `natGateway`, `serviceEndpoints`), the NIC export (`az network nic show`:
//! a public IP on an IP configuration) and the route a destination takes,
//! whether the VM's traffic to a public destination has a way out.
//!
//! A private subnet (`defaultOutboundAccess: false`, the default for virtual
//! networks created after March 31, 2026) reaches public endpoints only by
//! an explicit outbound method: a NAT gateway, a public IP on the NIC, a
//! Standard load balancer's outbound rules (not in these exports), or a
//! route to a firewall or appliance. Azure Storage in the VM's own region
//! is still reached without one; routes with next hop `Internet` break.
//! The exports are read by [`crate::azure::placement`].

mod evaluate;
#[cfg(test)]
mod tests;

pub use evaluate::{Destination, fix, verdict};
