//! Whether the policies on the VM's subnet let Storage traffic reach an
//! account.

use super::EndpointPolicy;
use crate::azure::placement::{Placement, ResourceId};
use crate::model::{EndpointPolicyVerdict, PolicyDecision, PolicyUnknown};

/// The storage account traffic goes to: its name (from the capture's
/// `<account>.blob.core.windows.net`) and, from a storage account export,
/// its resource id.
#[derive(Debug, Clone, Copy, Default)]
pub struct Account<'a> {
    /// The account's name.
    pub name: Option<&'a str>,
    /// The account's resource id.
    pub id: Option<&'a ResourceId>,
}

/// True when `scope` (a subscription or resource group id) holds `id`.
fn holds(scope: &ResourceId, id: &ResourceId) -> bool {
    let (s, i) = (
        scope.as_str().to_ascii_lowercase(),
        id.as_str().to_ascii_lowercase(),
    );
    i.starts_with(&format!("{s}/"))
}

/// What one listed resource says of the account: listed, cannot tell
/// (a scope, without the account's id), or not this account.
fn listed(r: &ResourceId, account: &Account<'_>) -> Option<Result<(), PolicyUnknown>> {
    if r.segment("storageAccounts").is_some() {
        let yes = match (account.id, account.name) {
            (Some(id), _) => id == r,
            (None, Some(name)) => r.name().eq_ignore_ascii_case(name),
            (None, None) => false,
        };
        return yes.then_some(Ok(()));
    }
    // A `Global` alias such as /services/Azure holds no storage account.
    r.subscription()?;
    match account.id {
        Some(id) => holds(r, id).then_some(Ok(())),
        None => Some(Err(PolicyUnknown::ScopeOnly {
            resource: r.as_str().to_string(),
        })),
    }
}

/// The policies' verdict on Storage traffic from the VM's subnet to
/// `account`: `None` when the subnet (given) has no policy, or no
/// `Microsoft.Storage` service endpoint (the traffic does not take one).
pub fn verdict(
    placement: &Placement,
    policies: &[EndpointPolicy],
    account: &Account<'_>,
) -> Option<EndpointPolicyVerdict> {
    let subnet = placement.vm_subnet()?;
    let storage_endpoint = subnet
        .service_endpoints
        .iter()
        .any(|e| e.service.eq_ignore_ascii_case("Microsoft.Storage"));
    if subnet.endpoint_policies.is_empty() || !storage_endpoint {
        return None;
    }
    let mut unknown = None;
    let mut decision = None;
    // Whether any definition lists a storage account or a scope: without,
    // every account is denied, whichever it is.
    let mut lists_storage = false;
    for on in &subnet.endpoint_policies {
        let Some(p) = policies.iter().find(|p| &p.id == on) else {
            unknown.get_or_insert(PolicyUnknown::PolicyNotGiven {
                policy: on.name().to_string(),
            });
            continue;
        };
        let storage = p
            .definitions
            .iter()
            .filter(|d| d.service.eq_ignore_ascii_case("Microsoft.Storage"));
        for d in storage {
            for r in &d.resources {
                lists_storage |= r.subscription().is_some();
                match listed(r, account) {
                    Some(Ok(())) if decision.is_none() => {
                        decision = Some(PolicyDecision::Listed {
                            policy: p.id.name().to_string(),
                            definition: d.name.clone(),
                            resource: r.as_str().to_string(),
                        });
                    }
                    Some(Err(why)) => {
                        unknown.get_or_insert(why);
                    }
                    _ => {}
                }
            }
        }
    }
    let known = account.name.is_some() || account.id.is_some();
    let some_unknown = unknown.is_some();
    let decision = match (decision, unknown) {
        (Some(d), _) => d,
        (None, _) if !known && (lists_storage || some_unknown) => PolicyDecision::CannotTell {
            why: PolicyUnknown::AccountUnknown,
        },
        (None, Some(why)) => PolicyDecision::CannotTell { why },
        (None, None) => PolicyDecision::NotListed,
    };
    Some(EndpointPolicyVerdict {
        account: account
            .name
            .map(str::to_string)
            .or_else(|| account.id.map(|i| i.name().to_string())),
        policies: subnet
            .endpoint_policies
            .iter()
            .map(|p| p.name().to_string())
            .collect(),
        decision,
    })
}

/// The fix for a denied account: a new definition, in the first policy on
/// the subnet, holding the account (by id when known, else by name in a
/// placeholder id), named `asr-cache` (or `asr-cache-2`, … when taken).
pub fn fix(
    placement: &Placement,
    policies: &[EndpointPolicy],
    account: &Account<'_>,
) -> Option<crate::model::Fix> {
    let on = placement.vm_subnet()?.endpoint_policies.first()?;
    let taken: Vec<&str> = policies
        .iter()
        .filter(|p| &p.id == on)
        .flat_map(|p| p.definitions.iter().map(|d| d.name.as_str()))
        .collect();
    let definition = (1..)
        .map(|n| match n {
            1 => "asr-cache".to_string(),
            n => format!("asr-cache-{n}"),
        })
        .find(|d| !taken.iter().any(|t| t.eq_ignore_ascii_case(d)))?;
    let (account, account_id_known) = match (account.id, account.name) {
        (Some(id), _) => (id.as_str().to_string(), true),
        (None, Some(name)) => (name.to_string(), false),
        (None, None) => ("<cache-storage-account>".to_string(), false),
    };
    Some(crate::model::Fix::EndpointPolicyDefinition {
        resource_group: on
            .resource_group()
            .unwrap_or("<resource-group>")
            .to_string(),
        policy: on.name().to_string(),
        definition,
        account,
        account_id_known,
    })
}
