//! Every Azure layer at once: `check` given the exports of one VM's network
//! (admin rules, NSGs, the subnet, a service endpoint policy, a private DNS
//! zone and the cache storage account, each edited from the test exports
//! of its layer so that they describe one virtual network) names, per
//! endpoint, the first layer that stops it in the order Azure applies them,
//! and keeps the later layers' verdicts beside it.

mod common;

use common::{data, requirement};
use serde_json::{Value, json};

/// The VM's subnet: private (`defaultOutboundAccess: false`, no NAT
/// gateway), with a Storage service endpoint and a service endpoint policy.
const SUBNET: &str = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnetname/subnets/subnet1";

fn read(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(data(name)).unwrap()).unwrap()
}

/// The exports, written to `dir`, as `--azure` arguments.
fn exports(dir: &tempfile::TempDir) -> Vec<String> {
    // The subnet of the endpoint-policy tests, made private.
    let mut subnet = read("sep-subnet.json");
    subnet["defaultOutboundAccess"] = json!(false);
    // An admin rule denying HTTPS to Entra ID only.
    let mut admin = read("admin-deny-https.json");
    for r in admin["value"].as_array_mut().unwrap() {
        r["destinations"] = json!([
            {"addressPrefix": "AzureActiveDirectory", "addressPrefixType": "ServiceTag"}
        ]);
    }
    // The cache account, allowing another subnet only.
    let storage = read("storage-deny-subnet.json");
    // The service endpoint policy of Microsoft's example, in az's shape: it
    // lists the subscription `subid1`, a resource group and an account of
    // it, none of them the cache account.
    let policy = common::az_flat(&common::microsoft_body("ServiceEndpointPolicyGet"));
    // The vault's zone, linked to no virtual network.
    let zone = read("dns-zone-vault-unlinked.json");
    let mut files = Vec::new();
    for (name, v) in [
        ("subnet.json", subnet),
        ("admin.json", admin),
        ("storage.json", storage),
        ("policy.json", policy),
        ("zone.json", zone),
    ] {
        files.push(common::write_json(dir, name, &v));
    }
    files.push(data("nsg-deny-eventhub.json"));
    files
}

#[test]
fn each_endpoint_names_the_first_layer_that_stops_it() {
    let dir = common::scratch("layers-first");
    let files = exports(&dir);
    let args: Vec<&str> = files.iter().flat_map(|f| ["--azure", f.as_str()]).collect();
    let (code, v, err) = common::check_json(&args);
    assert_eq!(code, 1, "{err}");
    assert_eq!(v["ok"], false);
    let kinds: Vec<&str> = v["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "subnet",
        "admin-rules",
        "storage-account",
        "endpoint-policy",
        "private-dns-zone",
        "nsg",
    ] {
        assert!(kinds.contains(&k), "{k} not in {kinds:?}");
    }

    // Entra ID: the admin rule comes before the subnet's missing way out.
    let entra = requirement(&v, "azure-ad");
    assert_eq!(entra["status"], "admin-rule-denied", "{entra}");
    assert_eq!(entra["admin"]["rule"], "Deny-Https-Out", "{entra}");
    assert_eq!(
        entra["outbound"]["way"]["by"], "nothing",
        "{}",
        entra["outbound"]
    );

    // The Site Recovery service: its private DNS zone is linked to no
    // network, and DNS comes before any connection.
    let asr = requirement(&v, "site-recovery");
    assert_eq!(asr["status"], "dns-zone-not-linked", "{asr}");
    assert!(!asr["dns"].is_null(), "{asr}");
    assert_eq!(
        asr["outbound"]["way"]["by"], "nothing",
        "{}",
        asr["outbound"]
    );

    // Service Bus: the NSG denies it before the subnet's way out matters.
    let bus = requirement(&v, "monitoring");
    assert_eq!(bus["status"], "denied", "{bus}");
    assert_eq!(
        bus["outbound"]["way"]["by"], "nothing",
        "{}",
        bus["outbound"]
    );

    // The cache account: the private subnet reaches it over its service
    // endpoint, the service endpoint policy does not list it, and its own
    // firewall (judged after the policy) would refuse the subnet too.
    let cache = requirement(&v, "cache-storage");
    assert_eq!(cache["status"], "endpoint-policy-denied", "{cache}");
    assert_eq!(
        cache["outbound"]["way"]["by"], "service-endpoint",
        "{}",
        cache["outbound"]
    );
    assert!(!cache["storage"].is_null(), "{cache}");
    assert!(!cache["endpoint_policy"].is_null(), "{cache}");
    // The storage firewall's verdict names the VM's subnet, as storage
    // sees the traffic (over the service endpoint).
    assert!(
        cache["storage"].to_string().contains(SUBNET),
        "{}",
        cache["storage"]
    );
}
