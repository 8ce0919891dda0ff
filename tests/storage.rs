//! The cache storage account's own firewall, from `az storage account show`
//! through `--azure`: `check` per endpoint, `analyze` per flow and per
//! requirement on a sample capture whose cache writes look healthy (the
//! account refuses inside TLS, where a capture cannot see). The exports are
//! Microsoft's example (`tests/data/microsoft/`) in every shape `az` prints,
//! and `tests/data/storage-*.json`, edited from it as `tests/data/README.md`
//! says.

mod common;

use common::{analyze, az_flat, data, microsoft_body, run};
use serde_json::{Value, json};

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("asrscope-storage-")
        .tempdir()
        .unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, v: &Value) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p.to_string_lossy().into_owned()
}

/// `asrscope check --format json` for East US → Central US.
fn check(extra: &[&str]) -> (i32, Value) {
    let (code, v, _) = common::check_json(extra);
    (code, v)
}

fn cache(v: &Value) -> &Value {
    v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cache-storage")
        .expect("the cache requirement")
}

fn fix_kinds(r: &Value) -> Vec<&str> {
    r["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect()
}

#[test]
fn microsofts_example_is_read_in_every_shape_az_prints() {
    let dir = scratch();
    let rest = microsoft_body("StorageAccountGetProperties");
    let mut flat = az_flat(&rest);
    // `az storage account show` prints the REST `networkAcls` as
    // `networkRuleSet`.
    let acls = flat.as_object_mut().unwrap().remove("networkAcls").unwrap();
    flat["networkRuleSet"] = acls;
    let shapes = [
        ("rest", rest.clone()),
        ("az", flat.clone()),
        ("list", json!([flat])),
        ("value", json!({"value": [rest]})),
    ];
    for (shape, v) in shapes {
        let f = write(&dir, &format!("{shape}.json"), &v);
        let (_, out) = check(&["--azure", &data("nsg-allow-all.json"), "--azure", &f]);
        assert_eq!(out["exports"][1]["kind"], "storage-account", "{shape}");
        let r = cache(&out);
        // defaultAction Allow, bypass AzureServices: every network, and
        // nothing Site Recovery misses.
        assert_eq!(r["status"], "ok", "{shape}: {r}");
        let s = &r["storage"];
        assert_eq!(s["account"], "sto8596", "{shape}");
        assert_eq!(s["resource_group"], "res9407");
        assert_eq!(s["outcome"], "allow");
        assert_eq!(s["requirement_missed"], false);
        assert!(
            s["setting"]
                .as_str()
                .unwrap()
                .contains("defaultAction Allow"),
            "{s}"
        );
        // The other endpoints are not the account's.
        for other in out["requirements"].as_array().unwrap() {
            if other["id"] != "cache-storage" {
                assert!(other["storage"].is_null());
            }
        }
    }
}

#[test]
fn check_says_storage_firewall_denied_when_trusted_services_are_not_allowed() {
    let (code, v) = check(&[
        "--azure",
        &data("nsg-allow-all.json"),
        "--azure",
        &data("storage-no-trusted.json"),
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
    let r = cache(&v);
    assert_eq!(r["status"], "storage-firewall-denied", "{r}");
    let s = &r["storage"];
    assert_eq!(s["account"], "asrcache1");
    assert_eq!(s["requirement_missed"], true);
    // Without the VM's subnet, the source storage sees is not known.
    assert_eq!(s["outcome"], "cannot-tell");
    assert_eq!(s["source"], "unknown");
    assert_eq!(
        fix_kinds(r),
        ["export-subnet", "storage-trusted-services"],
        "{r}"
    );
    // `--bypass` replaces the list: the values it holds are carried.
    let fix = r["fix"].as_array().unwrap()[1].as_str().unwrap();
    assert!(
        fix.ends_with(
            "az storage account update -g 'asr-rg' -n 'asrcache1' --bypass Logging Metrics AzureServices"
        ),
        "{fix}"
    );
    // Never all networks where a subnet rule will do.
    let all: Vec<&str> = r["fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        !all.iter().any(|f| f.contains("--default-action")),
        "{all:?}"
    );
    // The other requirements keep their own status.
    let login = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "azure-ad")
        .unwrap();
    assert_eq!(login["status"], "ok");
    // The text names the layer's line.
    let (_, text, _) = run(&[
        "check",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--azure",
        &data("nsg-allow-all.json"),
        "--azure",
        &data("storage-no-trusted.json"),
    ]);
    assert!(
        text.contains("STORAGE DENIED *.blob.core.windows.net"),
        "{text}"
    );
    assert!(
        text.contains("cache storage firewall (cannot-tell): storage account asrcache1"),
        "{text}"
    );
}

#[test]
fn an_earlier_layer_keeps_its_status_and_the_storage_verdict_is_still_given() {
    // The hub's firewall denies the cache account (its rules omit
    // *.blob.core.windows.net): the firewall comes before the account.
    let mut args = vec![
        "--routes".to_string(),
        data("routes-udr-nva.json"),
        "--azure".to_string(),
        data("nsg-allow-all.json"),
        "--azure".to_string(),
        data("storage-no-trusted.json"),
    ];
    for f in ["fw-firewall.json", "fw-policy.json", "fw-rcg-no-blob.json"] {
        args.extend(["--azure".to_string(), data(f)]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, v) = check(&args);
    let r = cache(&v);
    assert_eq!(r["status"], "firewall-denied", "{r}");
    assert_eq!(r["storage"]["requirement_missed"], true);
    assert!(
        r["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.as_str().unwrap().starts_with("cache storage firewall")),
        "{r}"
    );
}

#[test]
fn a_private_account_is_denied_only_where_the_vm_does_not_use_its_private_endpoint() {
    let (_, v) = check(&[
        "--azure",
        &data("nsg-allow-all.json"),
        "--azure",
        &data("storage-private.json"),
    ]);
    let r = cache(&v);
    // `check` cannot tell which address the VM resolves the account to.
    assert_eq!(r["status"], "unknown", "{r}");
    assert_eq!(r["storage"]["outcome"], "cannot-tell");
    assert_eq!(fix_kinds(r), ["storage-private-endpoint"]);
    let fix = r["fix"][0].as_str().unwrap();
    assert!(fix.contains("do not turn public access on"), "{fix}");
    // The capture shows the cache writes going to the public address: the
    // account refuses them, inside TLS.
    let (code, a) = analyze(
        "healthy-tls12-dns.pcap",
        &["--azure", &data("storage-private.json")],
    );
    assert_eq!(code, 1);
    let f = flow(&a, "asrcache1.blob.core.windows.net");
    assert_eq!(f["verdict"], "allowed", "the wire shows a healthy write");
    assert_eq!(f["storage"]["outcome"], "deny");
    assert_eq!(f["storage"]["source"], "unknown");
    assert!(
        f["storage"]["setting"]
            .as_str()
            .unwrap()
            .starts_with("publicNetworkAccess Disabled")
    );
    let req = requirement(&a, "cache-storage");
    assert_eq!(req["status"], "blocked");
    assert_eq!(req["cause"]["kind"], "storage-firewall-refuses");
    assert!(
        req["evidence"]
            .as_str()
            .unwrap()
            .contains("HTTP 403 inside TLS"),
        "{req}"
    );
    let finding = storage_finding(&a);
    assert_eq!(finding["severity"], "critical");
    assert!(
        finding["evidence"][1]
            .as_str()
            .unwrap()
            .contains("never the status; the account's export decides"),
        "{finding}"
    );
    // Through its private endpoint, the account's firewall does not apply.
    let (_, p) = analyze(
        "private-endpoint.pcap",
        &["--azure", &data("storage-private.json")],
    );
    let f = flow(&p, "asrcache1.blob.core.windows.net");
    assert_eq!(f["storage"]["outcome"], "allow");
    assert_eq!(f["storage"]["source"], "private-endpoint");
    assert_eq!(requirement(&p, "cache-storage")["status"], "ok");
}

#[test]
fn analyze_names_the_setting_and_says_the_refusal_is_not_on_the_wire() {
    let (code, v) = analyze(
        "healthy-tls12-dns.pcap",
        &["--azure", &data("storage-no-trusted.json")],
    );
    assert_eq!(code, 1);
    let f = flow(&v, "asrcache1.blob.core.windows.net");
    assert_eq!(f["verdict"], "allowed");
    assert_eq!(f["storage"]["account"], "asrcache1");
    assert_eq!(f["storage"]["requirement_missed"], true);
    // Other flows are not the account's.
    assert!(flow(&v, "login.microsoftonline.com")["storage"].is_null());
    let req = requirement(&v, "cache-storage");
    assert_eq!(req["status"], "blocked");
    assert_eq!(req["storage"]["account"], "asrcache1");
    let finding = storage_finding(&v);
    assert_eq!(finding["severity"], "critical");
    let kinds: Vec<&str> = finding["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["export-subnet", "storage-trusted-services"]);
    assert!(
        finding["evidence"][0]
            .as_str()
            .unwrap()
            .contains("networkRuleSet.bypass is Logging, Metrics"),
        "{finding}"
    );
    // The CSV's last column.
    let dir = scratch();
    let out = dir.path().join("flows.csv");
    let (code, _, err) = run(&[
        "analyze",
        "--csv",
        out.to_str().unwrap(),
        "--azure",
        &data("storage-no-trusted.json"),
        &common::capture("healthy-tls12-dns.pcap"),
    ]);
    assert!(code == 0 || code == 1, "{err}");
    let csv = std::fs::read_to_string(&out).unwrap();
    let names = common::csv_column(&csv, "server_name");
    let cells = common::csv_column(&csv, "storage_firewall");
    assert!(
        names
            .iter()
            .zip(&cells)
            .any(|(n, c)| n == "asrcache1.blob.core.windows.net"
                && c == "asrcache1 cannot-tell requirement-missed"),
        "{csv}"
    );
}

#[test]
fn without_the_subnet_a_deny_by_default_is_a_warning_that_says_what_decides() {
    let (_, v) = analyze(
        "healthy-tls12-dns.pcap",
        &["--azure", &data("storage-deny-subnet.json")],
    );
    let req = requirement(&v, "cache-storage");
    // The wire shows it working, and the export cannot tell otherwise.
    assert_eq!(req["status"], "ok");
    assert_eq!(req["storage"]["outcome"], "cannot-tell");
    let finding = storage_finding(&v);
    assert_eq!(finding["severity"], "warning");
    let text = finding["evidence"][0].as_str().unwrap();
    assert!(
        text.contains("networkRuleSet.defaultAction Deny")
            && text.contains(
                "a virtual network rule for it, with a Microsoft.Storage service endpoint on it"
            ),
        "{text}"
    );
}

fn flow<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["server_name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no flow to {name}"))
}

fn requirement<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["diagnosis"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap()
}

fn storage_finding(v: &Value) -> &Value {
    v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["about"]["kind"] == "storage-firewall")
        .unwrap_or_else(|| panic!("no storage finding: {}", v["diagnosis"]["findings"]))
}

#[test]
fn with_the_subnet_only_its_own_rule_lets_it_in() {
    let (code, v) = check(&[
        "--azure",
        &data("nsg-allow-all.json"),
        "--azure",
        &data("storage-deny-subnet.json"),
        "--azure",
        &data("storage-vm-subnet.json"),
    ]);
    assert_eq!(code, 1);
    let r = cache(&v);
    assert_eq!(r["status"], "storage-firewall-denied", "{r}");
    let s = &r["storage"];
    assert_eq!(s["outcome"], "deny");
    assert_eq!(s["source"], "subnet-service-endpoint");
    assert_eq!(
        s["setting"],
        "networkRuleSet.defaultAction Deny, and no virtual network rule for subnet app"
    );
    assert_eq!(fix_kinds(r), ["storage-vnet-rule"]);
    assert!(
        r["fix"][0].as_str().unwrap().ends_with(
            "az storage account network-rule add -g 'asr-rg' --account-name 'asrcache1' --subnet '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/asr-rg/providers/Microsoft.Network/virtualNetworks/asr-vnet/subnets/app'"
        ),
        "{r}"
    );
    // Without the service endpoint storage sees a public address: the
    // endpoint is added (keeping the subnet's others), then the rule.
    let dir = scratch();
    let mut subnet: Value =
        serde_json::from_str(&std::fs::read_to_string(data("storage-vm-subnet.json")).unwrap())
            .unwrap();
    subnet["serviceEndpoints"]
        .as_array_mut()
        .unwrap()
        .retain(|e| e["service"] != "Microsoft.Storage");
    let f = write(&dir, "subnet.json", &subnet);
    let (_, v) = check(&[
        "--azure",
        &data("nsg-allow-all.json"),
        "--azure",
        &data("storage-deny-subnet.json"),
        "--azure",
        &f,
    ]);
    let r = cache(&v);
    assert_eq!(r["status"], "storage-firewall-denied");
    assert_eq!(r["storage"]["source"], "subnet-public-address");
    assert_eq!(
        fix_kinds(r),
        ["storage-subnet-endpoint", "storage-vnet-rule"]
    );
    let endpoint = r["fix"][0].as_str().unwrap();
    assert!(
        endpoint.ends_with(
            r#"az network vnet subnet update -g 'asr-rg' --vnet-name 'asr-vnet' -n 'app' --add serviceEndpoints '{"service":"Microsoft.Storage"}'"#
        ),
        "{endpoint}"
    );
    let command = &endpoint[endpoint.find("az network").unwrap()..];
    assert!(!command.contains("--service-endpoints"), "{endpoint}");
    // analyze: the capture's cache write looks healthy; the export refuses it.
    let (code, a) = analyze(
        "healthy-tls12-dns.pcap",
        &[
            "--azure",
            &data("storage-deny-subnet.json"),
            "--azure",
            &data("storage-vm-subnet.json"),
        ],
    );
    assert_eq!(code, 1);
    let f = flow(&a, "asrcache1.blob.core.windows.net");
    assert_eq!(f["verdict"], "allowed");
    assert_eq!(f["storage"]["outcome"], "deny");
    let req = requirement(&a, "cache-storage");
    assert_eq!(req["status"], "blocked");
    let finding = storage_finding(&a);
    assert_eq!(finding["severity"], "critical");
    assert!(
        finding["evidence"][0]
            .as_str()
            .unwrap()
            .contains("no virtual network rule for subnet app"),
        "{finding}"
    );
}

/// The parameters azure-cli defines for each command asrscope prints about
/// the cache account (`src/azure-cli/azure/cli/command_modules/storage/
/// _params.py`: `storage account network-rule` takes `--account-name`,
/// `--subnet`, `--vnet-name`, `--ip-address`, `--action`; `storage account
/// update` takes `--bypass` (space-separated, replacing the list),
/// `--allow-shared-key-access`, `--default-action`; the network module's
/// `network vnet subnet update` has the generic update's `--add`).
const PARAMETERS: &[(&str, &[&str])] = &[
    (
        "az storage account network-rule add",
        &[
            "-g",
            "--account-name",
            "--subnet",
            "--vnet-name",
            "--ip-address",
            "--action",
        ],
    ),
    (
        "az storage account update",
        &["-g", "-n", "--bypass", "--allow-shared-key-access"],
    ),
    (
        "az network vnet subnet update",
        &["-g", "--vnet-name", "-n", "--add"],
    ),
    ("az network vnet subnet show", &["-g", "--vnet-name", "-n"]),
    ("az network nic show", &["-g", "-n"]),
    (
        "az storage account network-security-perimeter-configuration list",
        &["-g", "--account-name"],
    ),
];

#[test]
fn every_az_command_printed_uses_parameters_azure_cli_defines() {
    let dir = scratch();
    let mut outputs = Vec::new();
    let mut acct: Value =
        serde_json::from_str(&std::fs::read_to_string(data("storage-no-trusted.json")).unwrap())
            .unwrap();
    acct["allowSharedKeyAccess"] = json!(false);
    let no_key = write(&dir, "nokey.json", &acct);
    acct["publicNetworkAccess"] = json!("SecuredByPerimeter");
    let perimeter = write(&dir, "perimeter.json", &acct);
    for exports in [
        vec![no_key.as_str(), data_static("storage-vm-subnet.json")],
        vec![perimeter.as_str()],
        vec![
            data_static("storage-deny-subnet.json"),
            data_static("storage-vm-subnet.json"),
        ],
    ] {
        let mut args = vec!["--azure", data_static("nsg-allow-all.json")];
        for e in exports {
            args.extend(["--azure", e]);
        }
        let (_, v) = check(&args);
        outputs.extend(
            cache(&v)["fix"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string()),
        );
    }
    let mut seen = 0;
    for fix in &outputs {
        for (cmd, params) in PARAMETERS {
            let Some(at) = fix.find(cmd) else { continue };
            seen += 1;
            let rest = &fix[at + cmd.len()..];
            let rest = rest.split(" (and ").next().unwrap().trim_end_matches(')');
            for word in rest.split_whitespace().filter(|w| w.starts_with('-')) {
                assert!(params.contains(&word), "{cmd}: {word} in {fix}");
            }
        }
    }
    assert!(seen >= 5, "{outputs:#?}");
    assert!(
        outputs
            .iter()
            .any(|f| f.contains("--allow-shared-key-access true")
                && f.contains("Storage Blob Data Contributor")),
        "{outputs:#?}"
    );
}

/// A path of `tests/data`, kept for the test's life.
fn data_static(name: &str) -> &'static str {
    Box::leak(data(name).into_boxed_str())
}

#[test]
fn behind_the_azure_firewall_storage_sees_the_firewall() {
    // The hub's policy, with an application rule for the cache account
    // added: the firewall lets the writes through, translating their
    // source, so the account sees the firewall, not the VM's subnet.
    let dir = scratch();
    let mut groups: Value =
        serde_json::from_str(&std::fs::read_to_string(data("fw-rcg-no-blob.json")).unwrap())
            .unwrap();
    let rules = groups[0]["ruleCollections"][0]["rules"]
        .as_array_mut()
        .unwrap();
    let mut blob = rules[0].clone();
    blob["name"] = json!("cache");
    blob["targetFqdns"] = json!(["*.blob.core.windows.net"]);
    rules.push(blob);
    let groups = write(&dir, "rcg.json", &groups);
    let mut args = vec![
        "--routes".to_string(),
        data("routes-udr-nva.json"),
        "--azure".to_string(),
        data("nsg-allow-all.json"),
        "--azure".to_string(),
        data("fw-firewall.json"),
        "--azure".to_string(),
        data("fw-policy.json"),
        "--azure".to_string(),
        groups,
    ];
    for f in ["storage-deny-subnet.json", "storage-vm-subnet.json"] {
        args.extend(["--azure".to_string(), data(f)]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, v) = check(&args);
    let r = cache(&v);
    assert_eq!(r["firewall"]["outcome"], "allow", "{r}");
    assert_eq!(r["status"], "storage-firewall-denied", "{r}");
    let s = &r["storage"];
    assert_eq!(s["source"], "firewall-snat");
    assert_eq!(
        s["setting"],
        "networkRuleSet.defaultAction Deny, and no virtual network rule for AzureFirewallSubnet nor IP rule for the firewall's address"
    );
    assert!(fix_kinds(r).contains(&"storage-firewall-snat"), "{r}");
}
