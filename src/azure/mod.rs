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
