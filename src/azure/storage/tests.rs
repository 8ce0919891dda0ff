//! Tests of the storage account reader and of the evaluation, with the
//! VM's placement built as values.

use super::evaluate::account_for;
use super::*;
use crate::azure::address::Block;
use crate::azure::placement::{Nic, Placement, ServiceEndpoint, Subnet};
use crate::model::{
    StorageAllow, StorageDecision, StorageDeny, StorageNote, StorageSource, StorageUnknown,
};

const SUBNET: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/app";
const FW_SUBNET: &str = "/subscriptions/s/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/hub/subnets/AzureFirewallSubnet";

/// An account as `az storage account show` prints it, with `acls` as its
/// `networkRuleSet` and `extra` fields at the top.
fn az(acls: &str, extra: &str) -> String {
    format!(
        r#"{{"name": "cache1", "type": "Microsoft.Storage/storageAccounts",
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/cache1",
            "primaryLocation": "eastus", "primaryEndpoints": {{"blob": "https://cache1.blob.core.windows.net/"}},
            {extra} "networkRuleSet": {acls}}}"#
    )
}

fn one(text: &str) -> Account {
    let mut a = parse_storage_accounts(text).unwrap();
    assert_eq!(a.len(), 1);
    a.remove(0)
}

fn ask(
    a: &Account,
    source: StorageSource,
    region: &str,
    seen: bool,
) -> crate::model::StorageVerdict {
    a.evaluate(&Asked {
        source,
        vm_region: Some(region),
        seen,
    })
}

fn subnet(service_endpoint: bool) -> StorageSource {
    StorageSource::Subnet {
        id: SUBNET.into(),
        service_endpoint,
    }
}

#[test]
fn az_and_rest_shapes_read_alike() {
    let az_text = az(
        &format!(
            r#"{{"bypass": "Logging, Metrics", "defaultAction": "Deny",
                "ipRules": [{{"ipAddressOrRange": "203.0.113.0/24", "action": "Allow"}}],
                "ipv6Rules": [], "resourceAccessRules": null,
                "virtualNetworkRules": [{{"virtualNetworkResourceId": "{SUBNET}", "action": "Allow", "state": "Succeeded"}}]}}"#
        ),
        r#""allowSharedKeyAccess": false, "publicNetworkAccess": "Enabled","#,
    );
    // The REST body: `properties` nested, `networkAcls`, `id` and `value`.
    let rest = format!(
        r#"{{"value": [{{"name": "cache1", "type": "Microsoft.Storage/storageAccounts",
            "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/cache1",
            "properties": {{"primaryLocation": "East US", "allowSharedKeyAccess": false,
              "primaryEndpoints": {{"blob": "https://cache1.blob.core.windows.net/"}},
              "networkAcls": {{"bypass": "Logging,Metrics", "defaultAction": "Deny",
                "ipRules": [{{"value": "203.0.113.0/24", "action": "Allow"}}],
                "virtualNetworkRules": [{{"id": "{SUBNET}", "action": "Allow"}}]}}}}}}]}}"#
    );
    let (a, r) = (one(&az_text), one(&rest));
    for x in [&a, &r] {
        assert!(x.default_deny);
        assert_eq!(x.bypass, ["Logging", "Metrics"]);
        assert_eq!(x.ip_rules, ["203.0.113.0/24"]);
        assert_eq!(x.vnet_rules.len(), 1);
        assert_eq!(x.vnet_rules[0].subnet.as_str(), SUBNET);
        assert_eq!(x.shared_key, Some(false));
        assert_eq!(x.location.as_deref(), Some("eastus"));
        assert_eq!(x.blob_host, "cache1.blob.core.windows.net");
        assert_eq!(x.resource_group().as_deref(), Some("rg"));
        assert!(!x.trusted_services());
    }
    assert!(a.serves("CACHE1.blob.core.windows.net."));
    assert!(a.serves("cache1.privatelink.blob.core.windows.net"));
    assert!(!a.serves("cache2.blob.core.windows.net"));
    // A bare array (`list`).
    assert_eq!(
        parse_storage_accounts(&format!("[{az_text}]"))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn bad_exports_say_what_is_wrong() {
    let bad = [
        (az(r#"{"defaultAction": "Maybe"}"#, ""), "defaultAction \"Maybe\""),
        (az(r#"{"defaultAction": "Deny"}"#, r#""publicNetworkAccess": "Sometimes","#), "publicNetworkAccess"),
        (az(r#"{"virtualNetworkRules": [{"action": "Allow"}]}"#, ""), "virtualNetworkResourceId"),
        (az(r#"{"ipRules": {"x": 1}}"#, ""), "ipRules is an object"),
        (az("{}", r#""allowSharedKeyAccess": "no","#), "allowSharedKeyAccess"),
        (r#"{"name": "kv", "type": "Microsoft.KeyVault/vaults", "properties": {"networkAcls": {}}}"#.to_string(), "Microsoft.KeyVault/vaults"),
        (r#"{"name": "a", "name": "b"}"#.to_string(), "appears twice"),
        ("[1]".to_string(), "a number in the list"),
    ];
    for (text, want) in bad {
        let e = parse_storage_accounts(&text).unwrap_err().to_string();
        assert!(e.contains(want), "{e} / {want}");
        assert!(!e.contains('\n'));
    }
}

#[test]
fn a_subnet_with_a_service_endpoint_needs_its_own_rule() {
    let deny = one(&az(
        r#"{"bypass": "AzureServices", "defaultAction": "Deny", "virtualNetworkRules": [
            {"virtualNetworkResourceId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/other", "action": "Allow"}]}"#,
        "",
    ));
    let v = ask(&deny, subnet(true), "eastus", true);
    assert_eq!(
        v.decision,
        StorageDecision::Denied(StorageDeny::NoRuleForSubnet {
            subnet: SUBNET.into()
        })
    );
    assert_eq!(v.harm(), 2);
    assert!(!v.notes.iter().any(StorageNote::breaks));
    // The rule, in another case, lets it in.
    let allow = one(&az(
        &format!(
            r#"{{"bypass": "AzureServices", "defaultAction": "Deny", "virtualNetworkRules": [
            {{"virtualNetworkResourceId": "{}", "action": "Allow", "state": "Succeeded"}}]}}"#,
            SUBNET.to_uppercase()
        ),
        "",
    ));
    let v = ask(&allow, subnet(true), "eastus", true);
    assert!(matches!(
        v.decision,
        StorageDecision::Allowed(StorageAllow::VnetRule { .. })
    ));
    assert_eq!(v.harm(), 0);
    // Without the service endpoint storage sees a public address: the rule
    // does not apply, and IP rules do not from the same region.
    let v = ask(&allow, subnet(false), "eastus", true);
    assert_eq!(
        v.decision,
        StorageDecision::Denied(StorageDeny::NoServiceEndpoint {
            subnet: SUBNET.into(),
            rule_exists: true
        })
    );
}

#[test]
fn ip_rules_count_only_from_another_region() {
    let a = one(&az(
        r#"{"bypass": "AzureServices", "defaultAction": "Deny",
            "ipRules": [{"ipAddressOrRange": "203.0.113.7", "action": "Allow"}]}"#,
        "",
    ));
    let same = ask(&a, StorageSource::PublicAddress, "eastus", true);
    assert_eq!(
        same.decision,
        StorageDecision::Denied(StorageDeny::NoRuleForPublicAddress { ip_rules: 1 })
    );
    assert!(same.notes.contains(&StorageNote::IpRulesSameRegion {
        region: "eastus".into()
    }));
    let other = ask(&a, StorageSource::PublicAddress, "westus", true);
    assert_eq!(
        other.decision,
        StorageDecision::CannotTell(StorageUnknown::PublicAddressUnknown { ip_rules: 1 })
    );
}

#[test]
fn the_firewall_is_the_source_when_it_translates() {
    let a = one(&az(
        &format!(
            r#"{{"bypass": "AzureServices", "defaultAction": "Deny", "virtualNetworkRules": [
            {{"virtualNetworkResourceId": "{FW_SUBNET}", "action": "Allow"}}]}}"#
        ),
        "",
    ));
    let fw = StorageSource::FirewallSnat {
        firewall: Some("fw-hub".into()),
    };
    let v = ask(&a, fw.clone(), "eastus", true);
    assert!(matches!(
        v.decision,
        StorageDecision::Allowed(StorageAllow::VnetRule { .. })
    ));
    assert!(
        v.notes
            .contains(&StorageNote::FirewallSubnetEndpointAssumed)
    );
    // The VM's subnet rule does not help: storage sees the firewall.
    let b = one(&az(
        &format!(
            r#"{{"bypass": "AzureServices", "defaultAction": "Deny", "virtualNetworkRules": [
            {{"virtualNetworkResourceId": "{SUBNET}", "action": "Allow"}}]}}"#
        ),
        "",
    ));
    assert_eq!(
        ask(&b, fw, "eastus", true).decision,
        StorageDecision::Denied(StorageDeny::NoRuleForFirewall)
    );
}

#[test]
fn public_access_and_private_endpoints() {
    let private = one(&az(
        r#"{"bypass": "AzureServices", "defaultAction": "Deny"}"#,
        r#""publicNetworkAccess": "Disabled", "privateEndpointConnections": [
            {"privateEndpoint": {"id": "/x/privateEndpoints/pe"}, "privateLinkServiceConnectionState": {"status": "Approved"}}],"#,
    ));
    assert_eq!(private.private_endpoints.len(), 1);
    assert!(private.private_endpoints[0].approved);
    // Through the private endpoint the firewall does not apply.
    let v = ask(&private, StorageSource::PrivateEndpoint, "eastus", true);
    assert_eq!(
        v.decision,
        StorageDecision::Allowed(StorageAllow::PrivateEndpoint)
    );
    // A capture shows the flow to a public address: refused.
    let v = ask(&private, subnet(true), "eastus", true);
    assert_eq!(
        v.decision,
        StorageDecision::Denied(StorageDeny::PublicAccessDisabled)
    );
    // `check`: whether the VM resolves to the private endpoint is not told.
    let v = ask(&private, subnet(true), "eastus", false);
    assert_eq!(
        v.decision,
        StorageDecision::CannotTell(StorageUnknown::PrivateEndpointUnverified)
    );
    let perimeter = one(&az("{}", r#""publicNetworkAccess": "SecuredByPerimeter","#));
    assert_eq!(
        ask(&perimeter, subnet(true), "eastus", true).decision,
        StorageDecision::CannotTell(StorageUnknown::Perimeter)
    );
    // Allow with public access: every network, nothing Site Recovery misses.
    let open = one(&az(r#"{"bypass": "None", "defaultAction": "Allow"}"#, ""));
    let v = ask(&open, subnet(false), "eastus", true);
    assert_eq!(
        v.decision,
        StorageDecision::Allowed(StorageAllow::AllNetworks)
    );
    assert!(v.notes.is_empty());
}

#[test]
fn site_recovery_requirements_are_notes() {
    let a = one(&az(
        r#"{"bypass": "Logging, Metrics", "defaultAction": "Deny"}"#,
        r#""allowSharedKeyAccess": false,"#,
    ));
    let v = ask(&a, StorageSource::PrivateEndpoint, "eastus", true);
    assert_eq!(v.allowed(), Some(true));
    assert!(v.notes.contains(&StorageNote::TrustedServicesNotAllowed {
        bypass: vec!["Logging".into(), "Metrics".into()]
    }));
    assert!(v.notes.contains(&StorageNote::SharedKeyOff));
    assert!(
        v.notes
            .contains(&StorageNote::UserAssignedIdentityNeedsAllNetworks)
    );
    // A missed requirement is as bad as a refusal.
    assert_eq!(v.harm(), 2);
}

#[test]
fn the_source_follows_from_the_placement() {
    let mut p = Placement::default();
    assert_eq!(
        source_of(false, None, &p),
        StorageSource::Unknown { subnet: None }
    );
    p.nic = Some(Nic {
        id: ResourceId::new(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n",
        ),
        subnet: Some(ResourceId::new(SUBNET)),
        private_ips: vec![],
        public_ip: None,
        dns_servers: vec![],
        default_outbound: None,
    });
    assert_eq!(
        source_of(false, None, &p),
        StorageSource::Unknown {
            subnet: Some(SUBNET.into())
        }
    );
    p.subnets.push(Subnet {
        id: ResourceId::new(SUBNET),
        prefixes: vec![Block::parse_lenient("10.1.0.0/24").unwrap()],
        default_outbound_access: None,
        nat_gateway: None,
        service_endpoints: vec![ServiceEndpoint {
            service: "Microsoft.KeyVault".into(),
            locations: vec!["*".into()],
        }],
        endpoint_policies: vec![],
        nsg: None,
        route_table: None,
    });
    assert_eq!(source_of(false, None, &p), subnet(false));
    p.subnets[0].service_endpoints.push(ServiceEndpoint {
        service: "Microsoft.Storage".into(),
        locations: vec!["eastus".into(), "westus".into()],
    });
    assert_eq!(source_of(false, None, &p), subnet(true));
    assert_eq!(source_of(true, None, &p), StorageSource::PrivateEndpoint);
}

#[test]
fn a_flow_is_matched_to_its_account_by_name() {
    let a = one(&az("{}", ""));
    let accounts = vec![a];
    assert!(
        account_for(&accounts, Some("cache1.blob.core.windows.net"))
            .is_some_and(|(_, assumed)| !assumed)
    );
    assert!(account_for(&accounts, Some("other.blob.core.windows.net")).is_none());
    assert!(account_for(&accounts, None).is_some_and(|(_, assumed)| assumed));
}
