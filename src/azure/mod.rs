//! Azure knowledge, with no packets: service tags, the endpoint catalog
//! of Site Recovery, regions, and the NSG rules and routes an admin exports.

pub mod churn;
pub mod clouds;
pub mod endpoints;
pub mod nsg;
pub mod platform;
pub mod regions;
pub mod routes;
pub mod tags;

/// The VM's network configuration as exported by `az`: its effective (or
/// one) NSG rules and its effective routes. Empty when none was given.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// NSGs (`az network nic list-effective-nsg`, `az network nsg show`).
    pub nsgs: Vec<nsg::Nsg>,
    /// Routes (`az network nic show-effective-route-table`, `az network
    /// route-table show`).
    pub routes: Vec<routes::Route>,
}
