//! Azure Firewall in the path, from its exports: `--azure` telling every
//! export by its shape, `check` and `analyze` with a firewall policy whose
//! private address is the route's next hop. The exports are built from
//! Microsoft's examples (`tests/data/microsoft/`), edited as each test says.

mod common;

use common::{analyze, az_flat, data, microsoft_body, run};
use serde_json::{Value, json};

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
    let (code, v, _) = common::check_json(extra);
    (code, v)
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
        for (shape, v) in [
            ("rest", microsoft_body(name)),
            ("az", az_flat(&microsoft_body(name))),
        ] {
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

/// The parameters each command asrscope prints defines in the
/// azure-firewall CLI extension (`Azure/azure-cli-extensions`,
/// `src/azure-firewall/azext_firewall/`): `custom.py`'s classes
/// `FilterCollectionAdd` and `FilterRuleAdd` (their own arguments, on top
/// of `aaz/latest/network/firewall/policy/rule_collection_group/_update.py`:
/// `--policy-name`, `-g/--resource-group`, `-n/--name`, the generic update
/// arguments and `--no-wait`), and its functions `create_af_application_rule`
/// and `create_af_network_rule` with the options `_params.py` gives them.
const PARAMETERS: &[(&str, &[&str])] = &[
    (
        "az network firewall policy rule-collection-group collection add-filter-collection",
        &[
            "--resource-group",
            "-g",
            "--policy-name",
            "--rcg-name",
            "--rule-collection-group-name",
            "--name",
            "-n",
            "--collection-priority",
            "--action",
            "--rule-name",
            "--rule-type",
            "--ip-protocols",
            "--description",
            "--destination-addresses",
            "--dest-addr",
            "--destination-ports",
            "--source-addresses",
            "--source-ip-groups",
            "--destination-ip-groups",
            "--dest-ipg",
            "--destination-fqdns",
            "--enable-tls-inspection",
            "--enable-tls-insp",
            "--fqdn-tags",
            "--protocols",
            "--target-fqdns",
            "--target-urls",
            "--web-categories",
            "--add",
            "--set",
            "--remove",
            "--force-string",
            "--no-wait",
        ],
    ),
    (
        "az network firewall policy rule-collection-group collection rule add",
        &[
            "--resource-group",
            "-g",
            "--policy-name",
            "--rcg-name",
            "--rule-collection-group-name",
            "--collection-name",
            "--name",
            "-n",
            "--rule-type",
            "--ip-protocols",
            "--description",
            "--destination-addresses",
            "--dest-addr",
            "--destination-ports",
            "--source-addresses",
            "--source-ip-groups",
            "--destination-ip-groups",
            "--dest-ipg",
            "--destination-fqdns",
            "--enable-tls-inspection",
            "--enable-tls-insp",
            "--fqdn-tags",
            "--protocols",
            "--target-fqdns",
            "--target-urls",
            "--web-categories",
            "--translated-address",
            "--translated-fqdn",
            "--translated-port",
            "--add",
            "--set",
            "--remove",
            "--force-string",
            "--no-wait",
        ],
    ),
    (
        "az network firewall application-rule create",
        &[
            "--resource-group",
            "-g",
            "--firewall-name",
            "-f",
            "--collection-name",
            "-c",
            "--name",
            "-n",
            "--protocols",
            "--description",
            "--source-addresses",
            "--target-fqdns",
            "--fqdn-tags",
            "--priority",
            "--action",
            "--source-ip-groups",
        ],
    ),
    (
        "az network firewall network-rule create",
        &[
            "--resource-group",
            "-g",
            "--firewall-name",
            "-f",
            "--collection-name",
            "-c",
            "--name",
            "-n",
            "--destination-ports",
            "--protocols",
            "--destination-fqdns",
            "--source-addresses",
            "--destination-addresses",
            "--description",
            "--priority",
            "--action",
            "--source-ip-groups",
            "--destination-ip-groups",
        ],
    ),
];

/// The words of a POSIX shell command line of single-quoted words.
fn shell_words(cmd: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                for q in chars.by_ref() {
                    if q == '\'' {
                        break;
                    }
                    w.push(q);
                }
            }
            '\\' => word.get_or_insert_with(String::new).extend(chars.next()),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

/// The command's options with their values, after checking each option is
/// one the command defines.
fn options(cmd: &str) -> (&'static str, Vec<(String, Vec<String>)>) {
    let words = shell_words(cmd);
    let line = words.join(" ");
    let (name, allowed) = PARAMETERS
        .iter()
        .find(|(n, _)| line.starts_with(n))
        .unwrap_or_else(|| panic!("not a command of the extension: {cmd}"));
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for w in &words[name.split(' ').count()..] {
        if w.starts_with('-') && !w.starts_with("-<") {
            assert!(allowed.contains(&w.as_str()), "{name} has no {w}: {cmd}");
            out.push((w.clone(), Vec::new()));
        } else {
            out.last_mut()
                .expect("a value after an option")
                .1
                .push(w.clone());
        }
    }
    (name, out)
}

/// The options of a rule of type `rule`: HTTPS to the names for an
/// application rule, TCP 443 to the tag for a network rule.
fn check_rule_options(
    place: &asrscope::model::FirewallPlace,
    rule: asrscope::model::FirewallRuleType,
    opts: &[(String, Vec<String>)],
    fqdns: &[String],
    name: &str,
) {
    use asrscope::model::{FirewallPlace, FirewallRuleType};
    let value = |o: &str| opts.iter().find(|(k, _)| k == o).map(|(_, v)| v.clone());
    let one = |o: &str| value(o).and_then(|v| v.first().cloned());
    match rule {
        FirewallRuleType::Application => {
            assert_eq!(one("--protocols").as_deref(), Some("Https=443"), "{name}");
            assert_eq!(value("--target-fqdns"), Some(fqdns.to_vec()));
            if !matches!(place, FirewallPlace::Classic { .. }) {
                assert_eq!(one("--rule-type").as_deref(), Some("ApplicationRule"));
            }
        }
        FirewallRuleType::Network => {
            let protocols = one("--ip-protocols").or(one("--protocols"));
            assert_eq!(protocols.as_deref(), Some("TCP"));
            assert_eq!(
                one("--destination-addresses").as_deref(),
                Some("Storage.EastUS")
            );
            assert_eq!(one("--destination-ports").as_deref(), Some("443"));
        }
    }
}

#[test]
fn every_firewall_command_uses_the_extensions_parameters() {
    use asrscope::model::{FirewallPlace, FirewallRuleType, RequiredTag, TagName};
    use asrscope::render::advice::firewall_command;
    let hostile = "it's \"mine\"";
    let places = [
        FirewallPlace::NewCollection {
            policy: hostile.into(),
            group: "asr".into(),
            collection: "Allow-Site-Recovery".into(),
            priority: 190,
        },
        FirewallPlace::Collection {
            policy: "fw-policy".into(),
            group: "asr".into(),
            collection: hostile.into(),
        },
        FirewallPlace::Classic {
            firewall: "fw".into(),
            collection: "Allow-Site-Recovery".into(),
            priority: Some(190),
        },
        FirewallPlace::Classic {
            firewall: "fw".into(),
            collection: "existing".into(),
            priority: None,
        },
    ];
    let tag = RequiredTag::Tag(TagName::new("Storage.EastUS"));
    let fqdns = vec!["*.blob.core.windows.net".to_string()];
    for place in &places {
        for rule in [FirewallRuleType::Application, FirewallRuleType::Network] {
            for source in [Some("10.1.0.4"), None] {
                let cmd = firewall_command(place, rule, &fqdns, &tag, source);
                let (name, opts) = options(&cmd);
                let value = |o: &str| opts.iter().find(|(k, _)| k == o).map(|(_, v)| v.clone());
                let one = |o: &str| value(o).and_then(|v| v.first().cloned());
                // Every value given once, and the ones the command needs.
                for (k, v) in &opts {
                    assert!(!v.is_empty(), "{k} without a value: {cmd}");
                    assert_eq!(opts.iter().filter(|(o, _)| o == k).count(), 1, "{cmd}");
                }
                assert_eq!(one("--resource-group").as_deref(), Some("<resource-group>"));
                let src = one("--source-addresses").unwrap();
                assert_eq!(src, source.unwrap_or("<vm-address-or-subnet>"));
                assert!(
                    src != "*" && src != "0.0.0.0/0",
                    "never from anywhere: {cmd}"
                );
                match place {
                    FirewallPlace::NewCollection { policy, .. } => {
                        assert_eq!(one("--policy-name").as_deref(), Some(policy.as_str()));
                        assert_eq!(one("--collection-priority").as_deref(), Some("190"));
                        assert_eq!(one("--action").as_deref(), Some("Allow"));
                        assert!(
                            one("--rule-name").is_some()
                                && one("--rule-collection-group-name").is_some()
                        );
                    }
                    FirewallPlace::Collection { collection, .. } => {
                        assert_eq!(
                            one("--collection-name").as_deref(),
                            Some(collection.as_str())
                        );
                        assert_eq!(
                            value("--action"),
                            None,
                            "an existing collection keeps its action"
                        );
                    }
                    FirewallPlace::Classic { priority, .. } => {
                        assert_eq!(one("--priority"), priority.map(|p| p.to_string()));
                        assert_eq!(one("--action"), priority.map(|_| "Allow".to_string()));
                        assert!(
                            one("--firewall-name").is_some() && one("--collection-name").is_some()
                        );
                    }
                }
                check_rule_options(place, rule, &opts, &fqdns, name);
                // A hostile name stays one word.
                if cmd.contains("mine") {
                    assert!(
                        opts.iter().any(|(_, v)| v == &vec![hostile.to_string()]),
                        "{cmd}"
                    );
                }
            }
        }
    }
}

/// The hub-and-spoke exports of `tests/data/` (see its README): the route
/// table sending 0.0.0.0/0 to the firewall fw-hub at 10.1.0.1, whose policy
/// allows Entra ID, Site Recovery and Service Bus, not the cache storage.
fn hub() -> Vec<String> {
    let mut args = vec!["--routes".to_string(), data("routes-udr-nva.json")];
    for f in ["fw-firewall.json", "fw-policy.json", "fw-rcg-no-blob.json"] {
        args.extend(["--azure".to_string(), data(f)]);
    }
    args
}

fn flow<'a>(v: &'a Value, name: &str) -> &'a Value {
    v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["server_name"].as_str().is_some_and(|n| n.contains(name)))
        .unwrap_or_else(|| panic!("no flow to {name}"))
}

#[test]
fn analyze_gives_each_site_recovery_flow_and_requirement_its_firewall_verdict() {
    let args = hub();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, v) = analyze("healthy-tls12-dns.pcap", &args);
    let cache = &flow(&v, "blob.core.windows.net")["firewall"];
    assert_eq!(cache["outcome"], "default-deny");
    assert_eq!(cache["firewall"], "fw-hub");
    assert_eq!(cache["address"], "10.1.0.1");
    let login = &flow(&v, "login.microsoftonline.com")["firewall"];
    assert_eq!(login["outcome"], "allow");
    assert_eq!(
        (
            &login["policy"],
            &login["rule_collection_group"],
            &login["rule_collection"],
            &login["rule"]
        ),
        (
            &json!("fw-policy"),
            &json!("asr"),
            &json!("Allow-ASR"),
            &json!("entra-id")
        )
    );
    assert_eq!(login["pass"], "application");
    let req = v["diagnosis"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cache-storage")
        .unwrap();
    assert_eq!(req["firewall"]["outcome"], "default-deny");
    // The capture shows the cache storage working though the policy denies
    // it: said, as for an NSG export.
    let contradicted: Vec<&Value> = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["about"]["kind"] == "firewall-export-contradicted")
        .collect();
    assert!(
        contradicted
            .iter()
            .any(|f| f["about"]["endpoint"] == "cache-storage"),
        "{contradicted:?}"
    );
    assert!(
        contradicted
            .iter()
            .all(|f| f["severity"] == "info" && f["fixes"][0]["kind"] == "export-firewall-again")
    );
    // Traffic other than Site Recovery's gets no firewall verdict.
    assert!(
        v["flows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["endpoint_id"].is_null())
            .all(|f| f["firewall"].is_null())
    );
    // The CSV's firewall_rule column (the columns after it are empty here).
    let mut csv_args = vec!["analyze", "--csv", "-"];
    csv_args.extend(&args);
    let capture = common::capture("healthy-tls12-dns.pcap");
    csv_args.push(&capture);
    let (_, csv, _) = run(&csv_args);
    // Columns appended after `firewall_rule` (each layer's) are counted
    // from the end: none of the rows here holds a comma in them.
    let header = csv.lines().next().unwrap();
    let after = header
        .rsplit(',')
        .position(|c| c == "firewall_rule")
        .expect("a firewall_rule column");
    let cell = |l: &str| l.rsplit(',').nth(after).unwrap().to_string();
    let cells: Vec<String> = csv
        .lines()
        .filter(|l| l.contains("login.microsoftonline.com"))
        .map(cell)
        .collect();
    assert_eq!(cells, ["fw-policy/asr/Allow-ASR/entra-id allow"]);
    assert!(
        csv.lines()
            .any(|l| l.contains("asrcache1") && cell(l) == "default-deny")
    );
}

#[test]
fn a_blocked_flow_the_firewall_denies_gets_the_rule_to_add_from_the_vms_address() {
    let args = hub();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, v) = analyze("rst-after-clienthello.pcap", &args);
    assert_eq!(code, 1);
    let f = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["about"]["endpoint"] == "cache-storage" && f["severity"] == "critical")
        .unwrap();
    assert_eq!(
        f["fixes"][0],
        json!({"kind": "firewall-allow",
               "place": {"into": "collection", "policy": "fw-policy", "group": "asr", "collection": "Allow-ASR"},
               "rule": "application", "fqdns": ["*.blob.core.windows.net"], "tag": "Storage.EastUS",
               "source": "10.1.0.4", "beats": null, "resource_group": "rg-hub"})
    );
    // The capture shows a name filter (closed after the ClientHello): the
    // Storage service endpoint is advised once, for that reason.
    assert_eq!(
        f["fixes"][1],
        json!({"kind": "storage-service-endpoint", "why": "name-filter"})
    );
    assert_eq!(f["fixes"].as_array().unwrap().len(), 2, "{f}");
    assert!(
        !f["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "allow-url"),
        "{f}"
    );
    assert!(f["evidence"].as_array().unwrap().iter().any(|e| {
        e.as_str()
            .unwrap()
            .starts_with("firewall: firewall fw-hub (10.1.0.1)")
    }));
    assert!(
        f["fix"][0]
            .as_str()
            .unwrap()
            .contains("--source-addresses '10.1.0.4'")
    );
    // The policy's resource group, from its id in the export.
    assert!(
        f["fix"][0]
            .as_str()
            .unwrap()
            .contains("rule add --resource-group 'rg-hub' --policy-name 'fw-policy'")
    );
}
