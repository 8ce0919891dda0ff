//! Azure knowledge, with no packets: service tags, the endpoint catalog
//! of Site Recovery, regions.

pub mod churn;
pub mod clouds;
pub mod endpoints;
pub mod platform;
pub mod regions;
pub mod tags;
