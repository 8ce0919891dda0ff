//! Service endpoint policies (`az network service-endpoint policy show` or
//! `list`): on a subnet with a `Microsoft.Storage` service endpoint, a
//! policy lets Storage traffic reach only the accounts its `Microsoft.Storage`
//! definitions list (`serviceResources`: an account, or every account of a
//! resource group or subscription); several policies on the subnet allow
//! the union ("Virtual network service endpoint policies for Azure
//! Storage"). `Global` definitions (`/services/Azure…` aliases) are not
//! storage accounts.

mod evaluate;
mod read;
#[cfg(test)]
mod tests;

pub use evaluate::{Account, fix, verdict};
pub use read::{EndpointPolicyError, parse_endpoint_policies};

use crate::azure::placement::ResourceId;

/// A definition of a policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// Its name.
    pub name: String,
    /// `service`: `Microsoft.Storage`, or `Global`.
    pub service: String,
    /// `serviceResources`.
    pub resources: Vec<ResourceId>,
}

/// A service endpoint policy.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointPolicy {
    /// Its id.
    pub id: ResourceId,
    /// Its definitions.
    pub definitions: Vec<Definition>,
}
