//! Service endpoint policies: on a subnet with a `Microsoft.Storage` service
//! endpoint, a policy lets Storage traffic reach only the accounts its
//! definitions list. Microsoft's `ServiceEndpointPolicyGet.json` example in
//! every shape `az` prints, `check` per endpoint and `analyze` per flow on
//! `captures/private-subnet.pcap` (whose cache account is `asrcache1`).

mod common;

use common::{analyze, az_flat, data, microsoft_body, run};
use serde_json::{Value, json};

const ACCOUNT: &str =
    "/subscriptions/subid1/resourceGroups/storageRg/providers/Microsoft.Storage/storageAccounts";

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("asrscope-sep-")
        .tempdir()
        .unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, v: &Value) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p.to_string_lossy().into_owned()
}

/// Microsoft's example with its definition's resources replaced.
fn policy(resources: &[&str], service: &str) -> Value {
    let mut p = microsoft_body("ServiceEndpointPolicyGet");
    let d = &mut p["properties"]["serviceEndpointPolicyDefinitions"][0]["properties"];
    d["serviceResources"] = json!(resources);
    d["service"] = json!(service);
    p
}

fn check(args: &[&str]) -> Value {
    common::check_json(args).1
}

fn cache(v: &Value) -> &Value {
    v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cache-storage")
        .unwrap()
}

#[test]
fn microsoft_example_in_every_shape_is_read_and_cannot_tell_without_the_account() {
    let dir = scratch();
    let rest = microsoft_body("ServiceEndpointPolicyGet");
    let flat = az_flat(&rest);
    for (shape, v) in [
        ("rest", rest.clone()),
        ("az", flat.clone()),
        ("list", json!([flat])),
        ("value", json!({"value": [rest]})),
    ] {
        let file = write(&dir, "p.json", &v);
        let out = check(&["--azure", &data("sep-subnet.json"), "--azure", &file]);
        assert!(
            out["exports"].to_string().contains("endpoint-policy"),
            "{shape}: {}",
            out["exports"]
        );
        let r = cache(&out);
        // The example lists a subscription, a group and an account: which
        // account is the cache, check does not know.
        assert_eq!(r["status"], "unknown", "{shape}");
        assert_eq!(r["endpoint_policy"]["decision"], "cannot-tell", "{shape}");
        assert_eq!(r["endpoint_policy"]["why"], "account-unknown", "{shape}");
        assert_eq!(
            r["endpoint_policy"]["policies"],
            json!(["testServiceEndpointPolicy"])
        );
    }
}

#[test]
fn a_policy_listing_no_storage_account_denies_the_cache_with_a_definition_to_add() {
    let dir = scratch();
    // Only a Global alias: no storage account is listed.
    let p = write(
        &dir,
        "p.json",
        &az_flat(&policy(&["/services/Azure"], "Global")),
    );
    let v = check(&["--azure", &data("sep-subnet.json"), "--azure", &p]);
    let r = cache(&v);
    assert_eq!(r["status"], "endpoint-policy-denied");
    assert_eq!(r["endpoint_policy"]["decision"], "not-listed");
    assert_eq!(v["ok"], false);
    let fix = r["fix"].to_string();
    assert!(
        fix.contains("az network service-endpoint policy-definition create --resource-group 'rg1' --policy-name 'testServiceEndpointPolicy' --name 'asr-cache' --service Microsoft.Storage --service-resources"),
        "{fix}"
    );
    // The other endpoints are not Storage: no policy verdict.
    let aad = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "azure-ad")
        .unwrap();
    assert!(aad["endpoint_policy"].is_null());
    // A subnet without the Storage service endpoint: no policy applies.
    let mut subnet: Value =
        serde_json::from_str(&std::fs::read_to_string(data("sep-subnet.json")).unwrap()).unwrap();
    subnet["serviceEndpoints"] = json!([]);
    let s = write(&dir, "s.json", &subnet);
    let v = check(&["--azure", &s, "--azure", &p]);
    assert!(cache(&v)["endpoint_policy"].is_null());
    assert_eq!(cache(&v)["status"], "ok");
}

#[test]
fn analyze_tells_the_cache_account_by_its_name() {
    let dir = scratch();
    let flow = |v: &Value| {
        v["flows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["server_name"] == "asrcache1.blob.core.windows.net")
            .unwrap()["endpoint_policy"]
            .clone()
    };
    let other = format!("{ACCOUNT}/stAccount");
    let listed = format!("{ACCOUNT}/asrcache1");
    let cases = [
        (vec![other.as_str()], "not-listed"),
        (vec![other.as_str(), listed.as_str()], "listed"),
        (vec!["/subscriptions/subid1"], "cannot-tell"),
    ];
    for (resources, want) in cases {
        let p = write(&dir, "p.json", &policy(&resources, "Microsoft.Storage"));
        let (_, v) = analyze(
            "private-subnet.pcap",
            &["--azure", &data("sep-subnet.json"), "--azure", &p],
        );
        let e = flow(&v);
        assert_eq!(e["decision"], want, "{resources:?}: {e}");
        assert_eq!(e["account"], "asrcache1");
    }
    // The CSV column.
    let p = write(&dir, "p.json", &policy(&[&other], "Microsoft.Storage"));
    let c = common::capture("private-subnet.pcap");
    let subnet = data("sep-subnet.json");
    let (code, csv, err) = run(&[
        "analyze", "--csv", "-", "--azure", &subnet, "--azure", &p, &c,
    ]);
    assert!(code == 0 || code == 1, "{err}");
    let names = common::csv_column(&csv, "server_name");
    let cells = common::csv_column(&csv, "endpoint_policy");
    assert!(
        names
            .iter()
            .zip(&cells)
            .any(|(n, c)| n.contains("asrcache1") && c == "denied"),
        "{csv}"
    );
}

/// The cache account export (`storage-deny-subnet.json`: `asrcache1` in
/// subscription `00000000-…`, group `asr-rg`), its firewall opened so only
/// the policy decides.
fn open_account(dir: &tempfile::TempDir) -> String {
    let mut a: Value =
        serde_json::from_str(&std::fs::read_to_string(data("storage-deny-subnet.json")).unwrap())
            .unwrap();
    a["networkRuleSet"]["defaultAction"] = json!("Allow");
    write(dir, "account.json", &a)
}

#[test]
fn check_knows_the_cache_account_from_its_storage_export() {
    let dir = scratch();
    let account = open_account(&dir);
    let sub = "/subscriptions/00000000-0000-0000-0000-000000000000";
    let group = format!("{sub}/resourceGroups/asr-rg");
    let id = format!("{group}/providers/Microsoft.Storage/storageAccounts/asrcache1");
    for listed in [sub, group.as_str(), id.as_str()] {
        let p = write(
            &dir,
            "p.json",
            &az_flat(&policy(&[listed], "Microsoft.Storage")),
        );
        let v = check(&[
            "--azure",
            &data("sep-subnet.json"),
            "--azure",
            &p,
            "--azure",
            &account,
        ]);
        let r = cache(&v);
        assert_eq!(r["endpoint_policy"]["decision"], "listed", "{listed}: {r}");
        assert_eq!(r["endpoint_policy"]["resource"], listed);
        assert_eq!(r["endpoint_policy"]["account"], "asrcache1");
        assert_eq!(r["status"], "ok", "{listed}");
    }
    // Microsoft's example lists subid1, a group of it and `stAccount`:
    // none holds the account, so it is denied, with its id to add.
    let p = write(
        &dir,
        "p.json",
        &az_flat(&microsoft_body("ServiceEndpointPolicyGet")),
    );
    let v = check(&[
        "--azure",
        &data("sep-subnet.json"),
        "--azure",
        &p,
        "--azure",
        &account,
    ]);
    let r = cache(&v);
    assert_eq!(r["endpoint_policy"]["decision"], "not-listed", "{r}");
    assert_eq!(r["status"], "endpoint-policy-denied");
    assert_eq!(v["ok"], false);
    let fix = r["fix"].to_string();
    assert!(
        fix.contains(&format!("--service-resources '{id}'")),
        "{fix}"
    );
}

#[test]
fn analyze_knows_the_cache_account_id_from_its_storage_export() {
    let dir = scratch();
    let account = open_account(&dir);
    let flow = |v: &Value| {
        v["flows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["server_name"] == "asrcache1.blob.core.windows.net")
            .unwrap()["endpoint_policy"]
            .clone()
    };
    for (listed, want) in [
        (
            "/subscriptions/00000000-0000-0000-0000-000000000000",
            "listed",
        ),
        ("/subscriptions/subid1", "not-listed"),
    ] {
        let p = write(&dir, "p.json", &policy(&[listed], "Microsoft.Storage"));
        let (_, v) = analyze(
            "private-subnet.pcap",
            &[
                "--azure",
                &data("sep-subnet.json"),
                "--azure",
                &p,
                "--azure",
                &account,
            ],
        );
        assert_eq!(flow(&v)["decision"], want, "{listed}: {}", flow(&v));
    }
}

#[test]
fn analyze_blocks_the_cache_line_when_a_policy_does_not_list_the_account() {
    let dir = scratch();
    let cache_line = |v: &Value| {
        v["diagnosis"]["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "cache-storage")
            .unwrap()
            .clone()
    };
    let finding = |v: &Value| {
        v["diagnosis"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["about"]["kind"] == "endpoint-policy")
            .cloned()
    };
    // A policy listing stAccount, not asrcache1.
    let other = format!("{ACCOUNT}/stAccount");
    let p = write(&dir, "p.json", &policy(&[&other], "Microsoft.Storage"));
    let (code, v) = analyze(
        "private-subnet.pcap",
        &["--azure", &data("sep-subnet.json"), "--azure", &p],
    );
    assert_eq!(code, 1);
    let r = cache_line(&v);
    assert_eq!(r["status"], "blocked", "{r}");
    assert_eq!(r["cause"]["kind"], "endpoint-policy-denies", "{r}");
    assert_eq!(r["cause"]["account"], "asrcache1");
    assert_eq!(r["endpoint_policy"]["decision"], "not-listed");
    assert!(r["outbound"].is_object(), "{r}");
    let f = finding(&v).expect("an endpoint-policy finding");
    assert_eq!(f["severity"], "critical");
    let evidence = f["evidence"].to_string();
    assert!(evidence.contains("not stated by Microsoft"), "{evidence}");
    let fix = f["fix"].to_string();
    assert!(
        fix.contains("az network service-endpoint policy-definition create --resource-group 'rg1' --policy-name 'testServiceEndpointPolicy' --name 'asr-cache' --service Microsoft.Storage --service-resources '/subscriptions/<subscription>/resourceGroups/<resource-group>/providers/Microsoft.Storage/storageAccounts/asrcache1'"),
        "{fix}"
    );
    // Microsoft's example (subid1, a group of it, stAccount) with the
    // account's export: denied, and the fix names the account's id.
    let p = write(&dir, "p.json", &microsoft_body("ServiceEndpointPolicyGet"));
    let account = open_account(&dir);
    let (_, v) = analyze(
        "private-subnet.pcap",
        &[
            "--azure",
            &data("sep-subnet.json"),
            "--azure",
            &p,
            "--azure",
            &account,
        ],
    );
    assert_eq!(cache_line(&v)["status"], "blocked");
    let fix = finding(&v).expect("an endpoint-policy finding")["fix"].to_string();
    assert!(
        fix.contains("--service-resources '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/asr-rg/providers/Microsoft.Storage/storageAccounts/asrcache1'"),
        "{fix}"
    );
    // The account listed: no finding, and the line is not blocked by it.
    let listed = format!("{ACCOUNT}/asrcache1");
    let p = write(&dir, "p.json", &policy(&[&listed], "Microsoft.Storage"));
    let (_, v) = analyze(
        "private-subnet.pcap",
        &["--azure", &data("sep-subnet.json"), "--azure", &p],
    );
    assert!(finding(&v).is_none());
    let r = cache_line(&v);
    assert_eq!(r["endpoint_policy"]["decision"], "listed");
    assert_ne!(r["cause"]["kind"], "endpoint-policy-denies");
}
