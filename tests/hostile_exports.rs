//! Exports and service-tag files written to mislead: a key written twice
//! (`"access": "Deny", "access": "Allow"`, which a last-wins reader takes for
//! an Allow), names holding bidirectional overrides and invisible characters,
//! and tag names holding terminal escapes. Every input is made here, from the
//! hand-written exports of `tests/data/`.

mod common;

use common::{capture, data, run};
use serde_json::{Value, json};

const REGIONS: [&str; 4] = ["--source-region", "eastus", "--target-region", "centralus"];

/// A scratch directory for the inputs of one test.
fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("asrscope-hostile-")
        .tempdir()
        .unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

fn check(args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&REGIONS);
    run(&all)
}

/// A minimal service-tag file: one regional Storage tag and AzureCloud.
fn tag_file(storage: &str, region: &str, cloud: &str) -> Value {
    json!({"changeNumber": 7, "cloud": cloud, "values": [
        {"name": storage, "id": storage, "properties": {"changeNumber": 1,
            "region": region, "systemService": "AzureStorage",
            "addressPrefixes": ["13.68.163.32/28"]}},
        {"name": "AzureCloud", "id": "AzureCloud", "properties": {"changeNumber": 1,
            "region": "", "addressPrefixes": ["13.64.0.0/11"]}}]})
}

#[test]
fn a_key_written_twice_is_refused_naming_the_file_and_the_key() {
    let dir = scratch();
    let nsg = std::fs::read_to_string(data("nsg-allow-all.json")).unwrap();
    let routes = std::fs::read_to_string(data("routes-udr-nva.json")).unwrap();
    // As given, the export allows everything: `ok`, exit 0.
    let (code, out, err) = check(&["--nsg", &data("nsg-allow-all.json")]);
    assert_eq!(code, 0, "{out}{err}");
    let twice = |text: &str, once: &str, again: &str| {
        assert!(text.contains(once), "{once}");
        text.replacen(once, &format!("{again}, {once}"), 1)
    };
    let effective = json!({"value": [{
        "networkSecurityGroup": {"id": "/x/networkSecurityGroups/nic-nsg"},
        "association": {"networkInterface": {"id": "/x/networkInterfaces/nic"}},
        "effectiveSecurityRules": [{"name": "securityRules/AllowStorage",
            "protocol": "Tcp", "sourcePortRange": "0-65535",
            "destinationPortRange": "443-443", "sourceAddressPrefix": "0.0.0.0/0",
            "destinationAddressPrefix": "Storage", "access": "Allow",
            "priority": 100, "direction": "Outbound"}],
        // Carried as a JSON string by some API versions: read as strictly.
        "tagMap": "{\"Storage\": [\"13.68.163.32/28\"], \"Storage\": []}"}]});
    let plain = write(&dir, "plain-nsg.json", &nsg);
    for (name, flag, text, key, line) in [
        // The rule's access, inside properties, inside a rule, inside the
        // list: Deny first, Allow last.
        (
            "deny-allow.json",
            "--nsg",
            twice(&nsg, "\"access\": \"Allow\"", "\"access\": \"Deny\""),
            "access",
            17,
        ),
        // At the top.
        (
            "name-twice.json",
            "--nsg",
            twice(
                &nsg,
                "\"name\": \"vm01-subnet-nsg\"",
                "\"name\": \"other-nsg\"",
            ),
            "name",
            2,
        ),
        // In a route: where the traffic goes.
        (
            "hop-twice.json",
            "--routes",
            twice(
                &routes,
                "\"nextHopType\": \"VirtualAppliance\"",
                "\"nextHopType\": \"Internet\"",
            ),
            "nextHopType",
            13,
        ),
        // Inside the JSON text of a tagMap.
        (
            "tagmap-twice.json",
            "--nsg",
            serde_json::to_string_pretty(&effective).unwrap(),
            "Storage",
            1,
        ),
    ] {
        let path = write(&dir, name, &text);
        let mut args = vec![flag, path.as_str()];
        if flag == "--routes" {
            args.extend(["--nsg", plain.as_str()]);
        }
        let (code, out, err) = check(&args);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert!(out.is_empty(), "{name}: {out}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(&path), "{name}: {err}");
        assert!(
            err.contains(&format!(
                "the key \"{key}\" appears twice in one object (line {line}, column"
            )),
            "{name}: {err}"
        );
    }
    // A service-tag file, with a key serde would ignore written twice in a
    // tag, for every command that reads one.
    let tags = serde_json::to_string_pretty(&tag_file("Storage.EastUS", "eastus", "Public"))
        .unwrap()
        .replacen(
            "\"id\": \"AzureCloud\"",
            "\"id\": \"X\", \"id\": \"AzureCloud\"",
            1,
        );
    let path = write(&dir, "tags-twice.json", &tags);
    for args in [
        vec!["tags", "info", "--service-tags", &path],
        vec!["tags", "lookup", "--service-tags", &path, "13.68.163.33"],
        vec!["tags", "import", &path],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&path), "{err}");
        assert!(
            err.contains("the key \"id\" appears twice in one object (line "),
            "{err}"
        );
    }
}

/// The characters that act instead of showing: control characters but the
/// line feed, bidirectional controls, zero-width and other format characters.
fn hidden(s: &str) -> Vec<char> {
    s.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c,
                    '\u{00ad}' | '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}'
                    | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{feff}'
                    | '\u{2028}' | '\u{2029}' | '\u{e0000}'..='\u{e0fff}')
        })
        .collect()
}

/// Every string of a JSON document.
fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn bidirectional_and_invisible_characters_reach_no_view() {
    let dir = scratch();
    // "Allow-All-Outbound" behind a right-to-left override, with a
    // zero-width space, an isolate and a byte-order mark in it: on a
    // terminal the name would read other than it is.
    let rule = "Deny\u{202e}dnuobtuO-llA-wollA\u{200b}\u{2066}x\u{2069}\u{feff}";
    let nsg_name = "vm01\u{200f}-subnet\u{061c}-nsg\u{e0041}";
    let route = "to-nva\u{202d}\u{2028}";
    let nsg = std::fs::read_to_string(data("nsg-allow-all.json"))
        .unwrap()
        .replacen(
            "\"name\": \"Allow-All-Outbound\"",
            &format!("\"name\": \"{rule}\""),
            1,
        )
        .replacen(
            "\"name\": \"vm01-subnet-nsg\"",
            &format!("\"name\": \"{nsg_name}\""),
            1,
        );
    let routes = std::fs::read_to_string(data("routes-udr-nva.json"))
        .unwrap()
        .replacen(
            "\"name\": \"default-to-nva\"",
            &format!("\"name\": \"{route}\""),
            1,
        );
    let nsg = write(&dir, "bidi-nsg.json", &nsg);
    let routes = write(&dir, "bidi-routes.json", &routes);
    let escaped_rule = "Deny\\226\\128\\174dnuobtuO-llA-wollA\\226\\128\\139\\226\\129\\166x\\226\\129\\169\\239\\187\\191";

    // `check` as text and as JSON.
    let (code, text, err) = check(&["--nsg", &nsg, "--routes", &routes]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(hidden(&text), Vec::<char>::new(), "{text}");
    assert!(text.contains(escaped_rule), "{text}");
    assert!(
        text.contains("NSGs: vm01\\226\\128\\143-subnet\\216\\156-nsg\\243\\160\\129\\129"),
        "{text}"
    );
    let (_, out, _) = check(&["--nsg", &nsg, "--routes", &routes, "--format", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let mut all = Vec::new();
    strings(&v, &mut all);
    assert!(all.len() > 50);
    for s in &all {
        assert_eq!(hidden(s), Vec::<char>::new(), "{s}");
    }
    let r = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "site-recovery")
        .unwrap();
    assert_eq!(r["nsg"]["rule"], escaped_rule);
    assert_eq!(r["route"]["name"], "to-nva\\226\\128\\173\\226\\128\\168");

    // `analyze`'s CSV, as a spreadsheet reads it, and its text report.
    let (_, csv, err) = run(&[
        "analyze",
        &capture("healthy-tls12-dns.pcap"),
        "--nsg",
        &nsg,
        "--routes",
        &routes,
        "--csv",
        "-",
    ]);
    assert_eq!(hidden(&err), Vec::<char>::new(), "{err}");
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let col = rows
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "nsg_rule")
        .unwrap();
    let mut judged = 0;
    for row in rows.records() {
        let row = row.unwrap();
        for cell in &row {
            assert_eq!(hidden(cell), Vec::<char>::new(), "{cell}");
        }
        if !row[col].is_empty() {
            assert!(row[col].contains(escaped_rule), "{}", &row[col]);
            judged += 1;
        }
    }
    assert!(judged > 0, "{csv}");
}

#[test]
fn tag_names_from_a_tag_file_reach_no_view_raw() {
    let dir = scratch();
    let storage = "Storage\u{1b}[2J\u{202e}.EastUS";
    let tags = tag_file(storage, "east\u{200b}us", "Pub\u{2067}lic");
    let path = write(
        &dir,
        "tags\u{202e}nosj.json",
        &serde_json::to_string(&tags).unwrap(),
    );
    let (code, out, err) = run(&["tags", "lookup", "--service-tags", &path, "13.68.163.33"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(hidden(&out), Vec::<char>::new(), "{out}");
    assert_eq!(
        out.trim_end(),
        "13.68.163.33: Storage\\027[2J\\226\\128\\174.EastUS (east\\226\\128\\139us), AzureCloud"
    );
    let (code, out, err) = run(&["tags", "info", "--regions", "--service-tags", &path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(hidden(&out), Vec::<char>::new(), "{out}");
    assert!(
        out.contains("source file:  tags\\226\\128\\174nosj.json"),
        "{out}"
    );
    assert!(out.contains("cloud:        Pub\\226\\129\\167lic"), "{out}");
    assert!(
        out.contains("east\\226\\128\\139us") && out.contains("EastUS"),
        "{out}"
    );
    // What `tags import` writes is as clean, and reads back.
    let (code, snapshot, err) = run(&["tags", "import", &path]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(hidden(&snapshot), Vec::<char>::new(), "{snapshot}");
    assert_eq!(hidden(&err), Vec::<char>::new(), "{err}");
}

/// `check` with the hub exports of `tests/data/` and `azure` more files.
fn check_azure(azure: &[&str]) -> (i32, String, String) {
    let mut args = vec![
        "--routes".to_string(),
        data("routes-udr-nva.json"),
        "--nsg".to_string(),
        data("nsg-allow-all.json"),
    ];
    for a in azure {
        args.extend(["--azure".to_string(), a.to_string()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    check(&args)
}

#[test]
fn broken_firewall_exports_are_one_line_naming_the_file_exit_2() {
    let dir = scratch();
    let policy = std::fs::read_to_string(data("fw-policy.json")).unwrap();
    let groups = std::fs::read_to_string(data("fw-rcg-no-blob.json")).unwrap();
    let cut = |t: &str, at: usize| t[..at].to_string();
    let cases = [
        ("cut.json", cut(&groups, groups.len() / 2), "not JSON"),
        ("cut-end.json", cut(&policy, policy.len() - 2), "not JSON"),
        ("words.json", "hello, firewall".to_string(), "not JSON"),
        ("empty.json", String::new(), "not JSON"),
        (
            "unknown.json",
            json!({"name": "x", "kind": "something else"}).to_string(),
            "not an export asrscope reads",
        ),
        (
            "twice.json",
            groups.replacen(
                "\"type\": \"Allow\"",
                "\"type\": \"Deny\", \"type\": \"Allow\"",
                1,
            ),
            "the key \"type\" appears twice in one object",
        ),
        (
            "priority.json",
            groups.replacen("\"priority\": 200", "\"priority\": \"first\"", 1),
            "rule collection group \"asr\": priority \"first\" is not a number",
        ),
        (
            "protocol.json",
            groups.replacen("\"Https\"", "\"Gopher\"", 1),
            "rule \"entra-id\": unknown protocol type \"Gopher\"",
        ),
    ];
    for (name, text, want) in cases {
        let file = write(&dir, name, &text);
        let (code, out, err) = check_azure(&[&file]);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(&file), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(out.is_empty(), "{name}: {out}");
    }
}

#[test]
fn a_policy_whose_parent_is_missing_gives_a_verdict_that_cannot_tell() {
    let dir = scratch();
    let mut policy: Value =
        serde_json::from_str(&std::fs::read_to_string(data("fw-policy.json")).unwrap()).unwrap();
    policy["basePolicy"] = json!({"id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-hub/providers/Microsoft.Network/firewallPolicies/org-base"});
    let policy = write(&dir, "child.json", &policy.to_string());
    let (code, out, err) = check_azure(&[
        &data("fw-firewall.json"),
        &policy,
        &data("fw-rcg-no-blob.json"),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("UNKNOWN   *.blob.core.windows.net"), "{out}");
    assert!(
        out.contains("inherits from org-base, whose export was not given"),
        "{out}"
    );
    let v = check_json(&[
        &data("fw-firewall.json"),
        &policy,
        &data("fw-rcg-no-blob.json"),
    ]);
    for r in v["requirements"].as_array().unwrap() {
        assert_eq!(r["status"], "unknown", "{r}");
        assert_eq!(r["firewall"]["outcome"], "cannot-tell");
        assert_eq!(r["firewall"]["allowed"], Value::Null);
        assert_eq!(r["fixes"][0]["kind"], "firewall-cannot-tell");
        assert_eq!(
            r["fixes"][0]["why"],
            json!({"kind": "parent-policy-missing", "parent": "org-base"})
        );
    }
}

fn check_json(azure: &[&str]) -> Value {
    let mut args = vec![
        "check".to_string(),
        "--format".to_string(),
        "json".to_string(),
        "--routes".to_string(),
        data("routes-udr-nva.json"),
        "--nsg".to_string(),
        data("nsg-allow-all.json"),
    ];
    for a in azure {
        args.extend(["--azure".to_string(), a.to_string()]);
    }
    args.extend(REGIONS.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run(&args);
    assert!(code == 0 || code == 1, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn firewall_names_written_to_mislead_are_shown_escaped() {
    let dir = scratch();
    let groups = std::fs::read_to_string(data("fw-rcg-no-blob.json")).unwrap();
    // A collection named Deny, U+202E, wollA (which a terminal shows as
    // "DenyAllow"), and a rule name holding a terminal escape.
    let text = groups
        .replacen("\"Allow-ASR\"", "\"Deny\\u202ewollA\"", 1)
        .replacen("\"service-bus\"", "\"sb\\u001b[2J\"", 1);
    let file = write(&dir, "names.json", &text);
    let (_, out, err) = check_azure(&[&data("fw-firewall.json"), &data("fw-policy.json"), &file]);
    assert!(err.is_empty(), "{err}");
    assert!(out.contains("Deny\\226\\128\\174wollA"), "{out}");
    assert!(out.contains("sb\\027[2J"), "{out}");
    assert!(!out.contains('\u{202e}') && !out.contains('\u{1b}'));
}

#[test]
fn every_truncation_and_corruption_of_a_firewall_export_is_refused_or_read_without_panic() {
    use asrscope::azure::firewall::{Firewalls, Flow, NameSpec, parse_firewall_exports};
    use asrscope::azure::kind::sniff;
    use asrscope::azure::tags::TagDb;
    let tags = TagDb::embedded();
    let flow = Flow::https(
        "13.68.163.36".parse().unwrap(),
        NameSpec::exact("cache1.blob.core.windows.net"),
    );
    let mut refused = 0;
    for name in ["fw-policy.json", "fw-rcg-no-blob.json", "fw-firewall.json"] {
        let text = std::fs::read_to_string(data(name)).unwrap();
        let mut variants: Vec<String> = (0..text.len())
            .step_by(7)
            .filter(|&i| text.is_char_boundary(i))
            .map(|i| text[..i].to_string())
            .collect();
        for (i, c) in text.char_indices() {
            if c == '"' || c == ':' || c.is_ascii_digit() || c == '[' {
                for r in ['"', '1', '[', '}', '-'] {
                    if c != r {
                        let mut s = text.clone();
                        s.replace_range(i..i + c.len_utf8(), &r.to_string());
                        variants.push(s);
                    }
                }
            }
        }
        for v in &variants {
            let _ = sniff(v);
            match parse_firewall_exports(v) {
                Ok(e) => {
                    let _ = Firewalls::new(e).verdict(&flow, None, tags);
                }
                Err(e) => {
                    assert!(!e.to_string().contains('\n'));
                    refused += 1;
                }
            }
        }
    }
    assert!(refused > 0);
}

#[test]
fn broken_storage_account_exports_are_one_line_naming_the_file_exit_2() {
    let dir = scratch();
    let acct = std::fs::read_to_string(data("storage-deny-subnet.json")).unwrap();
    let cases = [
        ("cut.json", acct[..acct.len() / 2].to_string(), "not JSON"),
        (
            "twice.json",
            acct.replacen(
                "\"defaultAction\": \"Deny\"",
                "\"defaultAction\": \"Deny\", \"defaultAction\": \"Allow\"",
                1,
            ),
            "the key \"defaultAction\" appears twice in one object",
        ),
        (
            "action.json",
            acct.replacen(
                "\"defaultAction\": \"Deny\"",
                "\"defaultAction\": \"Maybe\"",
                1,
            ),
            "storage account \"asrcache1\": defaultAction \"Maybe\" is not Allow or Deny",
        ),
        (
            "rules.json",
            acct.replacen("\"ipRules\": []", "\"ipRules\": \"all\"", 1),
            "storage account \"asrcache1\": ipRules is a string, not a list",
        ),
    ];
    for (name, text, want) in cases {
        let file = write(&dir, name, &text);
        let (code, out, err) = check(&["--azure", &data("nsg-allow-all.json"), "--azure", &file]);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(&file), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(out.is_empty(), "{name}: {out}");
    }
    // An account name written to mislead is shown escaped.
    let named = acct.replace("asrcache1", "asr\\u202ecache\\u001b[2J");
    let file = write(&dir, "named.json", &named);
    let (_, out, err) = check(&["--azure", &data("nsg-allow-all.json"), "--azure", &file]);
    assert!(err.is_empty(), "{err}");
    assert!(out.contains("asr\\226\\128\\174cache\\027[2J"), "{out}");
    assert!(!out.contains('\u{202e}') && !out.contains('\u{1b}'));
}

#[test]
fn broken_private_dns_exports_are_one_line_naming_the_file_exit_2() {
    let dir = scratch();
    let links = std::fs::read_to_string(data("dns-links-linked.json")).unwrap();
    let records = std::fs::read_to_string(data("dns-records-blob.json")).unwrap();
    let cases = [
        ("cut.json", links[..links.len() / 2].to_string(), "not JSON"),
        (
            "twice.json",
            links.replacen(
                "\"registrationEnabled\": false",
                "\"registrationEnabled\": true, \"registrationEnabled\": false",
                1,
            ),
            "the key \"registrationEnabled\" appears twice in one object",
        ),
        (
            "policy.json",
            links.replacen("\"Default\"", "\"Sometimes\"", 1),
            "link vm-link: unknown `resolutionPolicy` Sometimes",
        ),
        (
            "address.json",
            records.replacen("\"10.1.1.9\"", "\"10.1.1\"", 1),
            "record otheraccount: an A record without a valid `ipv4Address`",
        ),
    ];
    for (name, text, want) in cases {
        let file = write(&dir, name, &text);
        let (code, out, err) = check(&["--azure", &file]);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(&file), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(out.is_empty(), "{name}: {out}");
    }
    // A link's name written to mislead is shown escaped.
    let text = links.replace("vm-link", "vm\\u202eknil\\u001b[2J");
    let file = write(&dir, "names.json", &text);
    let (_, out, err) = check(&[
        "--azure",
        &file,
        "--azure",
        &data("dns-records-blob.json"),
        "--azure",
        &data("dns-vnet.json"),
        "--format",
        "json",
    ]);
    assert!(err.is_empty(), "{err}");
    assert!(out.contains("vm\\\\226\\\\128\\\\174knil"), "{out}");
    assert!(!out.contains('\u{202e}') && !out.contains('\u{1b}'));
}

#[test]
fn broken_admin_rule_exports_are_one_line_naming_the_file_exit_2() {
    let dir = scratch();
    let admin = std::fs::read_to_string(data("admin-deny-https.json")).unwrap();
    let cases = [
        ("cut.json", admin[..admin.len() / 2].to_string(), "not JSON"),
        (
            "twice.json",
            admin.replacen(
                "\"access\": \"Deny\"",
                "\"access\": \"Allow\", \"access\": \"Deny\"",
                1,
            ),
            "the key \"access\" appears twice in one object",
        ),
        (
            "priority.json",
            admin.replacen("\"priority\": 100", "\"priority\": 0", 1),
            "security admin rule \"Deny-Https-Out\": priority is not a number from 1 to 4096",
        ),
        (
            "prefix-type.json",
            admin.replacen(
                "\"addressPrefixType\": \"IPPrefix\"",
                "\"addressPrefixType\": \"Subnet\"",
                1,
            ),
            "addressPrefixType is not IPPrefix, ServiceTag or NetworkGroup",
        ),
    ];
    for (name, text, want) in cases {
        assert_ne!(text, admin, "{name}: the edit applies");
        let file = write(&dir, name, &text);
        let (code, out, err) = check_azure(&[&file]);
        assert_eq!(code, 2, "{name}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(&file), "{name}: {err}");
        assert!(err.contains(want), "{name}: {err}");
        assert!(out.is_empty(), "{name}: {out}");
    }
    // A rule name written to mislead is shown escaped.
    let text = admin.replacen("rules/Deny-Https-Out", "rules/Deny\\u202ewollA", 1);
    let file = write(&dir, "names.json", &text);
    let v = check_json(&[&file]);
    let shown = v.to_string();
    assert!(!shown.contains('\u{202e}'), "{shown}");
    assert!(shown.contains("Deny\\\\226\\\\128\\\\174wollA"), "{shown}");
}

#[test]
fn subnet_and_nat_gateway_names_written_to_mislead_are_shown_escaped() {
    let dir = scratch();
    let subnet = std::fs::read_to_string(data("outbound-private-subnet.json")).unwrap();
    // A subnet named with U+202E and a terminal escape; a key written twice
    // is refused naming the file.
    let text = subnet.replace("subnets/subnet1", "subnets/app\\u202etsop\\u001b[2J");
    let file = write(&dir, "subnet.json", &text);
    let (code, out, err) = check(&["--azure", &file]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("subnet app\\226\\128\\174tsop\\027[2J"),
        "{out}"
    );
    assert_eq!(hidden(&out), Vec::<char>::new());
    let twice = subnet.replacen(
        "\"defaultOutboundAccess\": false,",
        "\"defaultOutboundAccess\": false, \"defaultOutboundAccess\": true,",
        1,
    );
    let file = write(&dir, "twice.json", &twice);
    let (code, _, err) = check(&["--azure", &file]);
    assert_eq!(code, 2);
    assert!(
        err.contains("twice.json") && err.contains("appears twice"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // A service endpoint policy with a key written twice, and one cut short.
    let policy = std::fs::read_to_string(data("microsoft/ServiceEndpointPolicyGet.json")).unwrap();
    let body: Value = serde_json::from_str(&policy).unwrap();
    let body = body["responses"]["200"]["body"].to_string();
    let twice = body.replacen(
        "\"service\":\"Microsoft.Storage\"",
        "\"service\":\"Microsoft.Storage\",\"service\":\"Global\"",
        1,
    );
    assert_ne!(twice, body);
    for (name, text, want) in [
        ("sep-twice.json", twice, "appears twice"),
        (
            "sep-cut.json",
            body[..body.len() / 2].to_string(),
            "not JSON",
        ),
    ] {
        let file = write(&dir, name, &text);
        let (code, _, err) = check(&["--azure", &file]);
        assert_eq!(code, 2, "{name}");
        assert!(err.contains(name) && err.contains(want), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}
