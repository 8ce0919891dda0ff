//! Service endpoint policies: which storage accounts Storage traffic over
//! the VM's subnet's service endpoint may reach, by the policies on the
//! subnet (`az network service-endpoint policy show`).

use serde::Serialize;

/// Why a policy's verdict cannot be told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum PolicyUnknown {
    /// The storage account is not known (no name in the capture, no
    /// storage account export).
    AccountUnknown,
    /// A definition lists a subscription or resource group, and the
    /// account's resource id (hence its subscription and group) is unknown.
    ScopeOnly {
        /// The listed scope.
        resource: String,
    },
    /// A policy on the subnet was not among the exports given.
    PolicyNotGiven {
        /// The policy's name.
        policy: String,
    },
}

/// What the policies on the subnet do with the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "kebab-case")]
pub enum PolicyDecision {
    /// A `Microsoft.Storage` definition lists the account (or its
    /// subscription or resource group).
    Listed {
        /// The policy.
        policy: String,
        /// The definition.
        definition: String,
        /// The listed resource that holds the account.
        resource: String,
    },
    /// No policy on the subnet lists it: denied.
    NotListed,
    /// Cannot be told.
    CannotTell {
        /// Why.
        #[serde(flatten)]
        why: PolicyUnknown,
    },
}

/// The service endpoint policies' verdict on Storage traffic to one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointPolicyVerdict {
    /// The storage account, by name, when known.
    pub account: Option<String>,
    /// The policies on the VM's subnet, by name.
    pub policies: Vec<String>,
    /// What they do.
    #[serde(flatten)]
    pub decision: PolicyDecision,
}

impl EndpointPolicyVerdict {
    /// Allowed (`Some(true)`), denied, or cannot be told (`None`).
    pub fn allowed(&self) -> Option<bool> {
        match self.decision {
            PolicyDecision::Listed { .. } => Some(true),
            PolicyDecision::NotListed => Some(false),
            PolicyDecision::CannotTell { .. } => None,
        }
    }
}
