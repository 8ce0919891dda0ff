//! How the cache storage account's firewall reads: the source storage sees,
//! the setting that let the traffic in or kept it out (or why it cannot be
//! told), and Site Recovery's requirements the account misses.

use crate::model::{
    StorageAllow, StorageDecision, StorageDeny, StorageNote, StorageSource, StorageUnknown,
    StorageVerdict,
};

/// The subnet's own name from its id, for short text.
fn subnet_name(id: &str) -> &str {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or(id)
}

/// Where storage sees the traffic come from.
pub(crate) fn source(s: &StorageSource) -> String {
    match s {
        StorageSource::PrivateEndpoint => "through a private endpoint".into(),
        StorageSource::Subnet {
            id,
            service_endpoint: true,
        } => format!(
            "from subnet {} (it has a Microsoft.Storage service endpoint)",
            subnet_name(id)
        ),
        StorageSource::Subnet {
            id,
            service_endpoint: false,
        } => format!(
            "from the public address subnet {} leaves by (it has no Microsoft.Storage service endpoint)",
            subnet_name(id)
        ),
        StorageSource::FirewallSnat { firewall } => format!(
            "from {} (it translates the source of what it allows)",
            firewall
                .as_deref()
                .map_or("the Azure Firewall".to_string(), |f| format!(
                    "Azure Firewall {f}"
                ))
        ),
        StorageSource::PublicAddress => "from the public address the VM leaves by".into(),
        StorageSource::Unknown { .. } => {
            "from the VM (which source storage sees, the exports given do not tell)".into()
        }
    }
}

/// The setting that decided, in words.
pub(crate) fn setting(d: &StorageDecision) -> String {
    match d {
        StorageDecision::Allowed(a) => match a {
            StorageAllow::PrivateEndpoint => "a private endpoint: the account's firewall rules do not apply to it".into(),
            StorageAllow::AllNetworks => "networkRuleSet.defaultAction Allow with public network access enabled: every network".into(),
            StorageAllow::VnetRule { subnet } => format!("the virtual network rule for subnet {}", subnet_name(subnet)),
        },
        StorageDecision::Denied(d) => match d {
            StorageDeny::PublicAccessDisabled => "publicNetworkAccess Disabled, and the traffic does not go through a private endpoint".into(),
            StorageDeny::NoRuleForSubnet { subnet } => format!("networkRuleSet.defaultAction Deny, and no virtual network rule for subnet {}", subnet_name(subnet)),
            StorageDeny::NoServiceEndpoint { subnet, rule_exists: true } => format!("networkRuleSet.defaultAction Deny: the virtual network rule for subnet {} applies only with a Microsoft.Storage service endpoint on the subnet, which it lacks, and no IP rule lets its public address in", subnet_name(subnet)),
            StorageDeny::NoServiceEndpoint { subnet, rule_exists: false } => format!("networkRuleSet.defaultAction Deny: subnet {} has no Microsoft.Storage service endpoint and no virtual network rule, and no IP rule lets its public address in", subnet_name(subnet)),
            StorageDeny::NoRuleForFirewall => "networkRuleSet.defaultAction Deny, and no virtual network rule for AzureFirewallSubnet nor IP rule for the firewall's address".into(),
            StorageDeny::NoRuleForPublicAddress { ip_rules: 0 } => "networkRuleSet.defaultAction Deny, and no IP rule".into(),
            StorageDeny::NoRuleForPublicAddress { ip_rules } => format!("networkRuleSet.defaultAction Deny; its {ip_rules} IP rules have no effect from the account's own region"),
        },
        StorageDecision::CannotTell(u) => unknown(u),
    }
}

/// Why it cannot be told, and what would decide it.
pub(crate) fn unknown(u: &StorageUnknown) -> String {
    match u {
        StorageUnknown::SourceUnknown { subnet } => format!(
            "networkRuleSet.defaultAction Deny, and the VM's subnet{} is not given: a virtual network rule for it, with a Microsoft.Storage service endpoint on it, would let it in, or else an IP rule for the public address it leaves by (export the subnet: az network vnet subnet show)",
            subnet.as_deref().map_or(String::new(), |s| format!(" {}", subnet_name(s)))
        ),
        StorageUnknown::PublicAddressUnknown { ip_rules } => format!(
            "networkRuleSet.defaultAction Deny, from a public address not known offline: whether one of its {ip_rules} IP rules holds it decides"
        ),
        StorageUnknown::Perimeter => "publicNetworkAccess SecuredByPerimeter: the network security perimeter's access rules decide, and they are not in this export".into(),
        StorageUnknown::PrivateEndpointUnverified => "publicNetworkAccess Disabled: the account has an approved private endpoint, and only a VM that resolves the account's name to it gets in".into(),
    }
}

/// A note in words.
pub(crate) fn note(n: &StorageNote) -> String {
    match n {
        StorageNote::TrustedServicesNotAllowed { bypass } => format!(
            "Site Recovery requires trusted Microsoft services allowed on a cache account with a firewall, and networkRuleSet.bypass is {} (support matrix)",
            if bypass.is_empty() { "empty".to_string() } else { bypass.join(", ") }
        ),
        StorageNote::SharedKeyOff => "allowSharedKeyAccess is false: Site Recovery needs shared key access on the cache account, unless the vault's managed identity has Contributor and Storage Blob Data Contributor (Storage Blob Data Owner for premium) on it, which the export does not show; the refusal is inside TLS".into(),
        StorageNote::UserAssignedIdentityNeedsAllNetworks => "if the vault uses a user-assigned managed identity, Site Recovery needs access from all networks on this account (support matrix)".into(),
        StorageNote::IpRulesSameRegion { region } => format!("the account is in {region}, the VM's region: IP rules have no effect on requests from the same region"),
        StorageNote::FirewallSubnetEndpointAssumed => "the rule for AzureFirewallSubnet counts only with a Microsoft.Storage service endpoint on that subnet, which the exports given do not show".into(),
        StorageNote::AccountAssumed => "the flow has no name: the only storage account given is taken as the cache account".into(),
    }
}

/// The notes of a verdict.
pub(crate) fn notes(v: &StorageVerdict) -> Vec<String> {
    v.notes.iter().map(note).collect()
}

/// The outcome's word in the JSON and CSV: `allow`, `deny`, `cannot-tell`.
pub(crate) fn outcome(v: &StorageVerdict) -> &'static str {
    match v.allowed() {
        Some(true) => "allow",
        Some(false) => "deny",
        None => "cannot-tell",
    }
}

/// The whole verdict in one sentence.
pub(crate) fn verdict_text(v: &StorageVerdict) -> String {
    let verb = match v.allowed() {
        Some(true) => "lets in",
        Some(false) => "refuses",
        None => "may refuse",
    };
    format!(
        "storage account {} {verb} the traffic {}: {}",
        v.account,
        source(&v.source),
        setting(&v.decision)
    )
}

/// The verdict, then its notes, in one line.
pub(crate) fn with_notes(v: &StorageVerdict) -> String {
    let mut text = verdict_text(v);
    for n in notes(v) {
        text.push_str("; ");
        text.push_str(&n);
    }
    text
}

/// The CSV's `storage_firewall`: `<account> <outcome>`, with `requirement`
/// when a stated requirement is missed.
pub(crate) fn csv_cell(v: &StorageVerdict) -> String {
    let mut cell = format!("{} {}", v.account, outcome(v));
    if v.notes.iter().any(StorageNote::breaks) {
        cell.push_str(" requirement-missed");
    }
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_the_setting() {
        let v = StorageVerdict {
            account: "cache1".into(),
            resource_group: Some("rg".into()),
            source: StorageSource::Subnet {
                id: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/app".into(),
                service_endpoint: true,
            },
            decision: StorageDecision::Denied(StorageDeny::NoRuleForSubnet {
                subnet: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/app".into(),
            }),
            notes: vec![StorageNote::TrustedServicesNotAllowed { bypass: vec!["None".into()] }],
        };
        assert_eq!(
            verdict_text(&v),
            "storage account cache1 refuses the traffic from subnet app (it has a Microsoft.Storage service endpoint): networkRuleSet.defaultAction Deny, and no virtual network rule for subnet app"
        );
        assert_eq!(csv_cell(&v), "cache1 deny requirement-missed");
        assert!(with_notes(&v).contains("networkRuleSet.bypass is None"));
    }
}
