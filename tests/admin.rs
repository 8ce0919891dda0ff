//! Azure Virtual Network Manager security admin rules, end to end: the
//! effective export (`az network manager list-effective-security-admin-rule`)
//! given with `--azure`, judged before the NSGs by `check` and per flow by
//! `analyze`.

mod common;

use common::{analyze, data, microsoft_body, requirement, run};
use serde_json::{Value, json};

/// `asrscope check --format json` for East US → Central US with `extra`.
fn check(extra: &[&str]) -> (i32, Value) {
    let (code, v, _) = common::check_json(extra);
    (code, v)
}

#[test]
fn an_admin_deny_names_its_configuration_collection_and_rule() {
    let deny = data("admin-deny-https.json");
    let (code, v) = check(&["--azure", &deny]);
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
    assert_eq!(v["exports"][0]["kind"], "admin-rules", "{}", v["exports"]);
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["status"], "admin-rule-denied", "{s}");
    let a = &s["admin"];
    assert_eq!(a["allowed"], false, "{a}");
    assert_eq!(a["outcome"], "deny");
    assert_eq!(a["rule"], "Deny-Https-Out");
    assert_eq!(a["priority"], 100);
    assert_eq!(a["configuration"], "myTestSecurityConfig");
    assert_eq!(a["rule_collection"], "testRuleCollection");
    assert_eq!(a["network_manager"], "testNetworkManager");
    assert_eq!(a["nsgs_consulted"], false);
    // The fix: an Allow admin rule before the deny, in its collection; the
    // deny is kept.
    let fix = &s["fixes"][0];
    assert_eq!(fix["kind"], "admin-allow-before-deny", "{s}");
    assert_eq!(fix["priority"], 90);
    assert_eq!(fix["beats"], json!(["Deny-Https-Out", 100]));
    let text = s["fix"][0].as_str().unwrap();
    for part in [
        "az network manager security-admin-config rule-collection rule create",
        "--configuration-name 'myTestSecurityConfig'",
        "--rule-collection-name 'testRuleCollection'",
        "--network-manager-name 'testNetworkManager'",
        "--access Allow",
        "--direction Outbound",
        "--priority 90",
        "--destinations address-prefix='Storage.EastUS' address-prefix-type=ServiceTag",
        "--dest-port-ranges 443",
    ] {
        assert!(text.contains(part), "{part}: {text}");
    }
    assert!(!text.contains("delete"), "{text}");
    // Every Site Recovery endpoint on TCP 443 is denied the same way.
    for id in ["azure-ad", "site-recovery", "monitoring"] {
        assert_eq!(requirement(&v, id)["status"], "admin-rule-denied", "{id}");
    }
}

#[test]
fn an_admin_rule_and_an_nsg_that_both_deny_name_the_admin_rule() {
    let (admin, nsg) = (
        data("admin-deny-https.json"),
        data("nsg-deny-eventhub.json"),
    );
    let (_, v) = check(&["--azure", &admin, "--nsg", &nsg]);
    let s = requirement(&v, "monitoring");
    // Azure applies the admin rule first: its status, not the NSG's.
    assert_eq!(s["status"], "admin-rule-denied", "{s}");
    assert_eq!(s["admin"]["rule"], "Deny-Https-Out", "{s}");
    // The NSG's deny is still recorded, and its fix given.
    assert_eq!(s["nsg"]["allowed"], false, "{s}");
    let kinds: Vec<&str> = s["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "admin-allow-before-deny", "{kinds:?}");
    assert!(kinds.contains(&"nsg-allow-rule"), "{kinds:?}");
    let evidence = s["evidence"].to_string();
    assert!(evidence.contains("admin-rule-denied"), "{evidence}");
    assert!(evidence.contains("denied:"), "{evidence}");
    // The text of `check` says the admin layer's line.
    let (_, out, _) = run(&[
        "check",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--azure",
        &admin,
        "--nsg",
        &nsg,
    ]);
    assert!(out.contains("ADMIN DENIED"), "{out}");
    assert!(
        out.contains("admin rule Deny-Https-Out (priority 100) of configuration myTestSecurityConfig, collection testRuleCollection"),
        "{out}"
    );
}

#[test]
fn an_always_allow_admin_rule_means_the_nsgs_are_not_consulted() {
    let (admin, nsg) = (
        data("admin-always-allow.json"),
        data("nsg-deny-eventhub.json"),
    );
    // Without the admin rules, the NSG denies Event Hub.
    let (_, v) = check(&["--nsg", &nsg]);
    assert_eq!(requirement(&v, "monitoring")["status"], "denied");
    let (_, v) = check(&["--azure", &admin, "--nsg", &nsg]);
    let s = requirement(&v, "monitoring");
    assert_ne!(s["status"], "denied", "{s}");
    assert_ne!(s["status"], "admin-rule-denied", "{s}");
    assert_eq!(s["admin"]["outcome"], "always-allow", "{s}");
    assert_eq!(s["admin"]["nsgs_consulted"], false, "{s}");
    assert_eq!(s["denied"], 0, "{s}");
    assert!(
        s["evidence"]
            .to_string()
            .contains("the NSGs are not consulted"),
        "{s}"
    );
    // Other endpoints: no admin rule matches, the NSGs decide.
    let other = requirement(&v, "cache-storage");
    assert_eq!(other["admin"]["outcome"], "no-rule-matched", "{other}");
    assert_eq!(other["admin"]["nsgs_consulted"], true, "{other}");
}

#[test]
fn microsofts_example_is_read_in_every_shape_az_prints() {
    let dir = common::scratch("admin-shapes");
    let body = microsoft_body("NetworkManagerEffectiveSecurityAdminRulesList");
    let lifted: Vec<Value> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut o = r.as_object().unwrap().clone();
            if let Some(Value::Object(p)) = o.remove("properties") {
                o.extend(p);
            }
            Value::Object(o)
        })
        .collect();
    let az = json!({"value": lifted, "skipToken": body["skipToken"]});
    for (name, v) in [
        ("rest.json", body.clone()),
        ("az.json", az),
        ("bare.json", Value::Array(lifted.clone())),
        ("one.json", lifted[0].clone()),
    ] {
        let path = common::write_json(&dir, name, &v);
        let (_, out) = check(&["--azure", &path]);
        assert_eq!(out["exports"][0]["kind"], "admin-rules", "{name}");
        let s = requirement(&out, "cache-storage");
        // The example's one rule is inbound: outbound 443 is the NSGs'.
        assert_eq!(s["admin"]["outcome"], "no-rule-matched", "{name}: {s}");
        assert_eq!(s["admin"]["rules"], 0, "{name}: {s}");
    }
    // A skipToken on every page given: a page is missing, and it is said.
    let (_, out) = check(&["--azure", &common::write_json(&dir, "rest.json", &body)]);
    let notes = requirement(&out, "cache-storage")["admin"]["notes"].to_string();
    assert!(notes.contains("skipToken"), "{notes}");
}

#[test]
fn given_admin_rules_replace_the_network_manager_note() {
    let dir = common::scratch("admin-note");
    let eff = common::write_json(
        &dir,
        "eff.json",
        &microsoft_body("NetworkInterfaceEffectiveNSGList"),
    );
    let (_, v) = check(&["--nsg", &eff]);
    assert!(
        v["notes"]
            .to_string()
            .contains("Virtual Network Manager nm1")
    );
    let admin = data("admin-deny-https.json");
    let (_, v) = check(&["--nsg", &eff, "--azure", &admin]);
    assert!(
        !v["notes"]
            .to_string()
            .contains("Virtual Network Manager nm1"),
        "{}",
        v["notes"]
    );
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["status"], "admin-rule-denied", "{s}");
    assert!(
        !s["fixes"].to_string().contains("network-manager-rules"),
        "{s}"
    );
}

#[test]
fn analyze_gives_each_site_recovery_flow_the_admin_verdict() {
    let admin = data("admin-deny-https.json");
    let (_, v) = analyze("syn-dropped.pcap", &["--azure", &admin]);
    let flows = v["flows"].as_array().unwrap();
    let bus = flows
        .iter()
        .find(|f| f["dst_ip"] == "13.89.170.130")
        .expect("the Service Bus flow");
    assert_eq!(bus["admin"]["outcome"], "deny", "{bus}");
    assert_eq!(bus["admin"]["rule"], "Deny-Https-Out", "{bus}");
    // Flows of no Site Recovery endpoint get none.
    assert!(
        flows
            .iter()
            .filter(|f| f["endpoint_id"].is_null())
            .all(|f| f["admin"].is_null())
    );
    // The CSV column.
    let cap = common::capture("syn-dropped.pcap");
    let (_, csv, err) = run(&["analyze", "--csv", "-", "--azure", &admin, &cap]);
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert!(header.contains(&"admin_rule"), "{err}");
    assert!(
        csv.contains("deny: myTestSecurityConfig/testRuleCollection/Deny-Https-Out (100)"),
        "{csv}"
    );
}

#[test]
fn an_unanswered_flow_denied_by_an_admin_rule_names_it_in_the_checklist_and_finding() {
    let (admin, nsg) = (
        data("admin-deny-https.json"),
        data("nsg-deny-eventhub.json"),
    );
    let (_, v) = analyze("syn-dropped.pcap", &["--azure", &admin, "--nsg", &nsg]);
    let r = v["diagnosis"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "monitoring")
        .unwrap();
    assert_eq!(r["status"], "blocked", "{r}");
    assert_eq!(r["admin"]["rule"], "Deny-Https-Out", "{r}");
    let finding = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["evidence"].to_string().contains("security admin rules"))
        .unwrap_or_else(|| panic!("{}", v["diagnosis"]["findings"]));
    // The admin rule leads (Azure applies it first), the NSG's deny follows.
    let evidence: Vec<&str> = finding["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        evidence[0].starts_with("denied, as the security admin rules' export shows: admin rule Deny-Https-Out (priority 100) of configuration myTestSecurityConfig, collection testRuleCollection"),
        "{evidence:?}"
    );
    assert!(
        evidence
            .iter()
            .any(|e| e.starts_with("denied, as the NSG export shows")),
        "{evidence:?}"
    );
    assert_eq!(
        finding["fixes"][0]["kind"], "admin-allow-before-deny",
        "{finding}"
    );
    assert!(
        !finding["fixes"]
            .to_string()
            .contains("network-manager-rules"),
        "{finding}"
    );
}

#[test]
fn a_working_flow_an_always_allow_rule_explains_does_not_contradict_the_nsg() {
    let (admin, nsg) = (
        data("admin-always-allow.json"),
        data("nsg-deny-eventhub.json"),
    );
    let about = |extra: &[&str]| -> Vec<Value> {
        let (_, v) = analyze("healthy-tls12-dns.pcap", extra);
        v["diagnosis"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["about"].clone())
            .collect()
    };
    let contradicted = json!({"kind": "nsg-export-contradicted", "endpoint": "monitoring"});
    // The NSG alone denies what the capture shows working.
    assert!(about(&["--nsg", &nsg]).contains(&contradicted));
    // The Always Allow admin rule is why: the NSGs are not consulted.
    assert!(!about(&["--nsg", &nsg, "--azure", &admin]).contains(&contradicted));
}
