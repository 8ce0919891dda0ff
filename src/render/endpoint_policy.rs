//! How the service endpoint policies' verdict reads.

use crate::model::{EndpointPolicyVerdict, PolicyDecision, PolicyUnknown};

/// The page the rules rest on.
const PAGE: &str = "Virtual network service endpoint policies for Azure Storage";

/// The verdict in words: the policy and definition that list the account,
/// that none does, or why it cannot be told.
pub(crate) fn text(v: &EndpointPolicyVerdict) -> String {
    let account = v.account.as_deref().map_or_else(
        || "the cache storage account".to_string(),
        |a| format!("the storage account {a}"),
    );
    let policies = v.policies.join(", ");
    match &v.decision {
        PolicyDecision::Listed {
            policy,
            definition,
            resource,
        } => format!(
            "{account} is allowed: policy {policy}, definition {definition} lists {resource}"
        ),
        PolicyDecision::NotListed => format!(
            "endpoint-policy-denied: no Microsoft.Storage definition of the policies on the VM's subnet ({policies}) lists {account}, its resource group or its subscription; \"only the resources specified in the policy can be accessed\" over the subnet's Storage service endpoint ({PAGE})"
        ),
        PolicyDecision::CannotTell { why } => {
            let why = match why {
                PolicyUnknown::AccountUnknown => "which account is the cache is not known (its name comes from a capture, or a storage account export)".to_string(),
                PolicyUnknown::ScopeOnly { resource } => format!(
                    "a definition lists {resource}, and whether the account is in it needs the account's resource id (az storage account show)"
                ),
                PolicyUnknown::PolicyNotGiven { policy } => format!(
                    "the policy {policy} on the VM's subnet was not given (az network service-endpoint policy show)"
                ),
            };
            format!("cannot tell whether the policies ({policies}) allow {account}: {why}")
        }
    }
}

/// The CSV cell: `listed policy/definition`, `denied`, `cannot-tell`.
pub(crate) fn csv_cell(v: &EndpointPolicyVerdict) -> String {
    match &v.decision {
        PolicyDecision::Listed {
            policy, definition, ..
        } => format!("listed {policy}/{definition}"),
        PolicyDecision::NotListed => "denied".into(),
        PolicyDecision::CannotTell { .. } => "cannot-tell".into(),
    }
}
