//! Azure Firewall in the path, from its exports: `--azure` telling every
//! export by its shape, `check` and `analyze` with a firewall policy whose
//! private address is the route's next hop. The exports are built from
//! Microsoft's examples (`tests/data/microsoft/`), edited as each test says.

mod common;

use common::{analyze, data, run};
use serde_json::{Value, json};

/// The export a user has: `responses["200"].body` of a Microsoft example.
fn body(name: &str) -> Value {
    let text = std::fs::read_to_string(data(&format!("microsoft/{name}.json"))).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    v["responses"]["200"]["body"].clone()
}

/// What `az … show` prints: `properties` lifted into the object (and, for
/// a firewall, into each rule collection and IP configuration).
fn az(v: &Value) -> Value {
    fn lift(v: &Value) -> Value {
        let Value::Object(o) = v else {
            return v.clone();
        };
        let mut out = serde_json::Map::new();
        for (k, x) in o {
            let lifted = |k: &str, x: &Value| match x {
                Value::Array(a)
                    if [
                        "applicationRuleCollections",
                        "networkRuleCollections",
                        "natRuleCollections",
                        "ipConfigurations",
                    ]
                    .contains(&k) =>
                {
                    Value::Array(a.iter().map(lift).collect())
                }
                _ => x.clone(),
            };
            if k == "properties" {
                for (pk, px) in x.as_object().into_iter().flatten() {
                    out.insert(pk.clone(), lifted(pk, px));
                }
            } else {
                out.insert(k.clone(), lifted(k, x));
            }
        }
        out.insert("resourceGroup".into(), json!("rg1"));
        Value::Object(out)
    }
    lift(v)
}

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("asrscope-firewall-")
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
    let mut args = vec![
        "check",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    assert!(code == 0 || code == 1, "{err}");
    (code, serde_json::from_str(&out).unwrap())
}

#[test]
fn azure_tells_every_export_by_its_shape() {
    let dir = scratch();
    let mut args: Vec<String> = Vec::new();
    let mut want = Vec::new();
    for (file, kind) in [
        (data("nsg-allow-all.json"), "nsg"),
        (data("nsg-deny-eventhub.json"), "nsg"),
        (data("routes-udr-nva.json"), "routes"),
        (data("routes-forced-tunnel.json"), "routes"),
    ] {
        args.extend(["--azure".to_string(), file]);
        want.push(kind);
    }
    let examples = [
        ("FirewallPolicyGet", "firewall-policy"),
        (
            "FirewallPolicyRuleCollectionGroupGet",
            "rule-collection-groups",
        ),
        (
            "FirewallPolicyRuleCollectionGroupList",
            "rule-collection-groups",
        ),
        ("AzureFirewallGet", "firewall"),
        ("AzureFirewallPutInHub", "firewall"),
        ("IpGroupsGet", "ip-group"),
    ];
    for (name, kind) in examples {
        for (shape, v) in [("rest", body(name)), ("az", az(&body(name)))] {
            args.extend([
                "--azure".to_string(),
                write(&dir, &format!("{name}-{shape}.json"), &v),
            ]);
            want.push(kind);
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, v) = check(&args);
    let got: Vec<&str> = v["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(got, want);
    assert!(
        v["exports"][0]["file"]
            .as_str()
            .unwrap()
            .ends_with("nsg-allow-all.json")
    );
    assert_eq!(v["exports"][0]["items"], 1);
}

#[test]
fn nsg_and_routes_keep_working_beside_azure() {
    let (code, v) = check(&["--nsg", &data("nsg-allow-all.json")]);
    assert_eq!(code, 0);
    assert_eq!(
        v["exports"],
        json!([{"file": data("nsg-allow-all.json"), "kind": "nsg", "items": 1}])
    );
    // The same export through --azure gives the same answer.
    let (code2, v2) = check(&["--azure", &data("nsg-allow-all.json")]);
    assert_eq!(code2, code);
    assert_eq!(v2["requirements"], v["requirements"]);
}

#[test]
fn analyze_lists_the_exports_read() {
    let (_, v) = analyze(
        "healthy-tls12-dns.pcap",
        &[
            "--azure",
            &data("nsg-allow-all.json"),
            "--routes",
            &data("routes-udr-nva.json"),
        ],
    );
    let kinds: Vec<&str> = v["diagnosis"]["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["routes", "nsg"]);
    let (code, text, _) = run(&[
        "analyze",
        &common::capture("healthy-tls12-dns.pcap"),
        "--azure",
        &data("nsg-allow-all.json"),
    ]);
    assert_eq!(code, 0);
    assert!(
        text.contains("exports: ") && text.contains("nsg-allow-all.json (NSG, 1)"),
        "{text}"
    );
}
