//! `asrscope check`: the requirement checklist judged from NSG and route
//! exports alone (`tests/data/`), with the embedded service-tag data.

mod common;

use common::{data, requirement, root, run};
use serde_json::Value;

fn check(extra: &[&str]) -> (i32, Value, String) {
    common::check_json(extra)
}

#[test]
fn a_compliant_configuration_passes() {
    let nsg = data("nsg-allow-all.json");
    let (code, v, _) = check(&["--nsg", &nsg]);
    assert_eq!(code, 0);
    assert_eq!(v["ok"], true);
    for r in v["requirements"].as_array().unwrap() {
        assert_eq!(r["status"], "ok", "{r}");
        assert!(r["prefixes"].as_u64().unwrap() > 0, "{r}");
        assert_eq!(r["allowed"], r["prefixes"]);
        assert_eq!(r["nsg"]["rule"], "Allow-All-Outbound");
    }
    let (code, text, _) = run(&[
        "check",
        "--nsg",
        &nsg,
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    assert_eq!(code, 0);
    assert!(text.contains("Every endpoint Site Recovery always needs is allowed"));
}

#[test]
fn a_deny_is_named_with_the_rule_that_wins_over_it() {
    let nsg = data("nsg-deny-eventhub.json");
    let (code, v, _) = check(&["--nsg", &nsg]);
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
    let m = requirement(&v, "monitoring");
    assert_eq!(m["tag"], "EventHub.CentralUS");
    assert_eq!(m["status"], "denied");
    assert_eq!(m["nsg"]["rule"], "securityRules/Deny-EventHub");
    assert_eq!(m["nsg"]["priority"], 200);
    // The export expands the tag to two prefixes; the denied count is the
    // tag's prefixes inside them, as the tag data gives them.
    let denied = m["denied"].as_u64().unwrap();
    assert!(
        denied >= 1 && denied < m["prefixes"].as_u64().unwrap(),
        "{m}"
    );
    assert_eq!(
        m["fixes"][0],
        serde_json::json!({
            "kind": "nsg-allow-rule",
            "tag": "EventHub.CentralUS",
            "nsg": "vm01-nic-nsg",
            "priority": 190,
            "beats": ["securityRules/Deny-EventHub", 200],
            "resource_group": "rg-asr"
        })
    );
    // One sentence per fix, the command for the rule first.
    assert_eq!(
        m["fix"].as_array().unwrap().len(),
        m["fixes"].as_array().unwrap().len()
    );
    // The other requirements fall to the default AllowInternetOutBound.
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["status"], "ok");
    assert_eq!(
        s["nsg"]["rule"],
        "defaultSecurityRules/AllowInternetOutBound"
    );
}

#[test]
fn routes_to_a_gateway_or_an_appliance_are_not_routed_well() {
    let nsg = data("nsg-allow-all.json");
    let tunnel = data("routes-forced-tunnel.json");
    let (code, v, _) = check(&["--nsg", &nsg, "--routes", &tunnel]);
    assert_eq!(code, 1);
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["status"], "forced-tunnel");
    assert_eq!(s["route"]["next_hop"], "VirtualNetworkGateway");
    // The URL allowed on premises and a Storage service endpoint; never a
    // route around (the renderer's tests pin that the endpoint is added to
    // the subnet's list, never set over it).
    assert_eq!(
        s["fixes"],
        serde_json::json!([
            {"kind": "allow-url-on-premises", "pattern": "*.blob.core.windows.net"},
            {"kind": "storage-service-endpoint", "why": "forced-tunnel"}
        ])
    );
    let nva = data("routes-udr-nva.json");
    let (_, v, _) = check(&["--nsg", &nsg, "--routes", &nva]);
    let s = requirement(&v, "site-recovery");
    assert_eq!(s["status"], "via-appliance");
    assert_eq!(s["route"]["next_hop_address"], "10.1.0.1");
    assert_eq!(
        s["fixes"],
        serde_json::json!([{
            "kind": "allow-url-on-appliance",
            "pattern": "*.hypervrecoverymanager.windowsazure.com",
            "address": "10.1.0.1"
        }])
    );
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let routes = data("routes-udr-nva.json");
    for args in [
        vec![
            "check",
            "--nsg",
            &routes,
            "--source-region",
            "eastus",
            "--target-region",
            "centralus",
        ],
        vec![
            "check",
            "--nsg",
            &routes,
            "--source-region",
            "nowhere",
            "--target-region",
            "centralus",
        ],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // --nsg is required: clap's usage error.
    let (code, _, _) = run(&[
        "check",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    assert_eq!(code, 2);
}

#[test]
fn tui_and_live_take_the_exports_and_refuse_bad_ones() {
    use clap::Parser;
    let capture = root().join("captures/syn-dropped.pcap");
    let capture = capture.to_string_lossy();
    // Both parse --nsg and --routes (repeatable) into the arguments they judge with.
    let (nsg, routes) = (data("nsg-deny-eventhub.json"), data("routes-udr-nva.json"));
    for argv in [
        vec![
            "asrscope", "tui", "--nsg", &nsg, "--nsg", &nsg, "--routes", &routes, &capture,
        ],
        vec![
            "asrscope", "live", "--nsg", &nsg, "--nsg", &nsg, "--routes", &routes,
        ],
    ] {
        let judge = match asrscope::cli::Cli::try_parse_from(&argv).unwrap().command {
            asrscope::cli::Command::Tui(t) => t.judge,
            asrscope::cli::Command::Live(l) => l.judge,
            _ => panic!("{argv:?}"),
        };
        assert_eq!(judge.nsg.len(), 2, "{argv:?}");
        assert_eq!(judge.routes.len(), 1, "{argv:?}");
    }
    let dir = std::env::temp_dir().join(format!("asrscope-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "[1, 2").unwrap();
    let bad = bad.to_string_lossy().to_string();
    // `tui` with no terminal says so, in one line, before reading anything.
    let (code, _, err) = run(&["tui", "--nsg", &bad, &capture]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("needs a terminal"), "{err}");
    // `live` reads the exports before it opens the interface.
    let (code, _, err) = run(&["live", "--no-tui", "--nsg", &bad, "-i", "lo"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains(&bad) && err.contains("not JSON"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_route_that_drops_part_of_a_tag_is_named() {
    let nsg = data("nsg-allow-all.json");
    let routes = data("routes-drop-eventhub.json");
    let (code, v, _) = check(&["--nsg", &nsg, "--routes", &routes]);
    assert_eq!(code, 1);
    let m = requirement(&v, "monitoring");
    assert_eq!(m["status"], "dropped");
    assert_eq!(m["route"]["prefix"], "13.89.170.128/26");
    let hops: Vec<(String, u64)> = serde_json::from_value(m["next_hops"].clone()).unwrap();
    let none = hops.iter().find(|(h, _)| h == "None").unwrap().1;
    let internet = hops.iter().find(|(h, _)| h == "Internet").unwrap().1;
    assert_eq!(none + internet, m["prefixes"].as_u64().unwrap());
    assert!(none >= 1);
    assert_eq!(m["fixes"][0]["kind"], "correct-route");
    assert_eq!(m["fixes"][0]["prefix"], "13.89.170.128/26");
    assert_eq!(requirement(&v, "cache-storage")["status"], "ok");
}

#[test]
fn every_truncation_and_corruption_of_the_exports_is_refused_or_read_without_panic() {
    use asrscope::azure::tags::TagDb;
    use asrscope::azure::{Network, nsg, routes};
    use std::net::IpAddr;
    let tags = TagDb::embedded();
    let ip: IpAddr = "13.89.170.130".parse().unwrap();
    let mut refused = 0;
    for name in [
        "nsg-deny-eventhub.json",
        "nsg-allow-all.json",
        "routes-forced-tunnel.json",
        "routes-udr-nva.json",
        "routes-drop-eventhub.json",
    ] {
        let text = std::fs::read_to_string(data(name)).unwrap();
        let mut variants: Vec<String> = (0..text.len())
            .filter(|&i| text.is_char_boundary(i))
            .map(|i| text[..i].to_string())
            .collect();
        // Each value-bearing character swapped for one that changes its type.
        for (i, c) in text.char_indices() {
            for r in ['"', '1', '[', '}', '-', ':'] {
                if c != r && (c == '"' || c == ':' || c.is_ascii_digit() || c == '[') {
                    let mut s = text.clone();
                    s.replace_range(i..i + c.len_utf8(), &r.to_string());
                    variants.push(s);
                }
            }
        }
        for v in &variants {
            match nsg::parse_nsgs(v) {
                Ok(n) => {
                    let _ =
                        Network::new(n, vec![], tags).nsg_verdict(&nsg::Flow::tcp(ip, 443), tags);
                }
                Err(e) => {
                    assert!(!e.to_string().contains('\n'));
                    refused += 1;
                }
            }
            match routes::parse_routes(v) {
                Ok(r) => {
                    let _ = Network::new(vec![], r, tags).route(ip, tags);
                }
                Err(e) => assert!(!e.to_string().contains('\n')),
            }
        }
    }
    assert!(refused > 0);
}

#[test]
fn a_firewall_policy_without_the_cache_storage_denies_it_and_names_the_rule_to_add() {
    // The NSG allows everything; the route table sends 0.0.0.0/0 to the
    // firewall's private address 10.1.0.1; its policy allows Entra ID, Site
    // Recovery and Service Bus by application rules, not *.blob.core.windows.net.
    let (code, v, _) = check(&[
        "--nsg",
        &data("nsg-allow-all.json"),
        "--routes",
        &data("routes-udr-nva.json"),
        "--azure",
        &data("fw-firewall.json"),
        "--azure",
        &data("fw-policy.json"),
        "--azure",
        &data("fw-rcg-no-blob.json"),
    ]);
    assert_eq!(code, 1);
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["status"], "firewall-denied");
    assert_eq!(s["nsg"]["allowed"], true);
    assert_eq!(s["route"]["next_hop_address"], "10.1.0.1");
    let fw = &s["firewall"];
    assert_eq!(fw["outcome"], "default-deny");
    assert_eq!(fw["allowed"], false);
    assert_eq!(fw["firewall"], "fw-hub");
    assert_eq!(fw["policy"], "fw-policy");
    // The rule to add goes into the Allow collection the policy has, and
    // the cache account's Storage service endpoint stays advised.
    assert_eq!(
        s["fixes"][0],
        serde_json::json!({
            "kind": "firewall-allow",
            "place": {"into": "collection", "policy": "fw-policy", "group": "asr", "collection": "Allow-ASR"},
            "rule": "application",
            "fqdns": ["*.blob.core.windows.net"],
            "tag": "Storage.EastUS",
            "source": null,
            "beats": null,
            "resource_group": "rg-hub"
        })
    );
    let fix = s["fix"][0].as_str().unwrap();
    // The policy's resource group, from its id.
    assert!(
        fix.contains("az network firewall policy rule-collection-group collection rule add --resource-group 'rg-hub' --policy-name 'fw-policy' --rule-collection-group-name 'asr' --collection-name 'Allow-ASR'"),
        "{fix}"
    );
    assert!(
        fix.contains("--target-fqdns '*.blob.core.windows.net'"),
        "{fix}"
    );
    assert!(fix.contains("default deny"), "{fix}");
    assert_eq!(s["fixes"][1]["kind"], "storage-service-endpoint");
    assert!(
        !s["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "allow-url-on-appliance"),
        "{s}"
    );
    // What the policy allows is allowed by its rule, through the appliance.
    for (id, rule) in [
        ("azure-ad", "entra-id"),
        ("site-recovery", "site-recovery"),
        ("monitoring", "service-bus"),
    ] {
        let r = requirement(&v, id);
        assert_eq!(r["status"], "via-appliance", "{r}");
        assert_eq!(r["firewall"]["outcome"], "allow");
        assert_eq!(r["firewall"]["rule"], rule);
        assert_eq!(r["firewall"]["rule_collection"], "Allow-ASR");
    }
    let (_, text, _) = run(&[
        "check",
        "--nsg",
        &data("nsg-allow-all.json"),
        "--routes",
        &data("routes-udr-nva.json"),
        "--azure",
        &data("fw-firewall.json"),
        "--azure",
        &data("fw-policy.json"),
        "--azure",
        &data("fw-rcg-no-blob.json"),
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    assert!(text.contains("FW DENIED *.blob.core.windows.net"), "{text}");
    assert!(
        text.contains(
            "firewall fw-hub (10.1.0.1), policy fw-policy: no rule matches: the default deny"
        ),
        "{text}"
    );
}

#[test]
fn check_without_an_export_names_both_ways_to_give_one() {
    let (code, _, err) = run(&[
        "check",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--nsg <FILE>|--azure <FILE>"), "{err}");
}

/// A route sending Entra ID to next hop `Internet` (the "Default outbound
/// access" page's example: service tags past the appliance) is `ok`, with
/// the note that a private subnet needs an explicit outbound method and that
/// the exports do not tell whether the subnet is private; the cache account
/// (Storage in the source region, reached from a private subnet too) and
/// what goes to the appliance get no such note.
#[test]
fn a_route_to_internet_is_ok_with_the_private_subnet_caveat() {
    let (nsg, routes) = (
        data("nsg-allow-all.json"),
        data("routes-tags-internet.json"),
    );
    let (_, v, err) = check(&["--nsg", &nsg, "--routes", &routes]);
    let req = |id: &str| {
        v["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {err}"))
            .clone()
    };
    let caveat = |r: &Value| {
        r["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .find(|e| e.starts_with("next hop Internet"))
            .map(str::to_string)
    };
    let aad = req("azure-ad");
    assert_eq!(aad["status"], "ok", "{aad}");
    assert_eq!(aad["next_hops"], serde_json::json!([["Internet", 200]]));
    let note = caveat(&aad).unwrap_or_else(|| panic!("{aad}"));
    assert!(note.contains("private subnet"), "{note}");
    assert!(note.contains("March 31, 2026"), "{note}");
    assert!(
        note.contains("an explicit outbound method must be enabled"),
        "{note}"
    );
    assert!(note.contains("not known from the given exports"), "{note}");
    for id in ["cache-storage", "site-recovery", "monitoring"] {
        let r = req(id);
        assert_eq!(r["status"], "via-appliance", "{r}");
        assert!(caveat(&r).is_none(), "{r}");
    }
    // Storage in the source region straight to the internet: no caveat.
    let drop = data("routes-drop-eventhub.json");
    let (_, v, _) = check(&["--nsg", &nsg, "--routes", &drop]);
    let storage = v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cache-storage")
        .unwrap()
        .clone();
    assert_eq!(storage["next_hops"][0][0], "Internet", "{storage}");
    assert!(caveat(&storage).is_none(), "{storage}");
}
