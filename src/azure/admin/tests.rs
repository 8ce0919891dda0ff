use super::*;
use crate::azure::nsg::Flow;
use crate::azure::tags::TagDb;
use crate::model::{AdminDecision, AdminNote, AdminOutcome, AdminUnknown};

/// One page of rules in `az`'s shape (`properties` lifted).
fn page(rules: &str) -> Page {
    parse_admin_rules(&format!(r#"{{"value": [{rules}]}}"#)).unwrap()
}

fn rule(name: &str, cfg: &str, access: &str, priority: u32, dst: &str, typ: &str) -> String {
    format!(
        r#"{{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkManagers/nm/securityAdminConfigurations/{cfg}/ruleCollections/rc/rules/{name}",
            "kind": "Custom", "ruleCollectionAppliesToGroups": [], "protocol": "Tcp",
            "sources": [{{"addressPrefix": "*", "addressPrefixType": "IPPrefix"}}],
            "destinations": [{{"addressPrefix": "{dst}", "addressPrefixType": "{typ}"}}],
            "sourcePortRanges": ["0-65535"], "destinationPortRanges": ["443"],
            "access": "{access}", "priority": {priority}, "direction": "Outbound"}}"#
    )
}

/// An address of Storage.EastUS in the embedded data.
fn storage() -> std::net::IpAddr {
    let (a, _) = TagDb::embedded().v4_prefixes("Storage.EastUS")[0];
    std::net::IpAddr::V4(a)
}

#[test]
fn microsofts_example_is_read_with_its_place() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/microsoft/NetworkManagerEffectiveSecurityAdminRulesList.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let p = parse_admin_rules(&v["responses"]["200"]["body"].to_string()).unwrap();
    assert!(p.more, "the example has a skipToken");
    let r = &p.rules[0];
    assert_eq!(r.name, "SampleAdminRule");
    assert_eq!(r.manager.as_deref(), Some("testNetworkManager"));
    assert_eq!(r.configuration.as_deref(), Some("myTestSecurityConfig"));
    assert_eq!(r.collection.as_deref(), Some("testRuleCollection"));
    assert!(r.default_rule);
    assert_eq!(r.access, AdminAccess::Deny);
    assert_eq!(r.priority, 1);
    assert_eq!(r.direction, Direction::Inbound);
    assert_eq!(
        r.destination_ports,
        [PortRange {
            first: 22,
            last: 22
        }]
    );
    // An inbound rule: outbound TCP 443 is left to the NSGs.
    let rules = AdminRules::new(vec![p]);
    let v = rules.evaluate(&Flow::tcp(storage(), 443), TagDb::embedded());
    assert_eq!(v.decision, AdminDecision::NoRuleMatched);
    assert_eq!(v.notes, [AdminNote::MorePages]);
}

#[test]
fn the_lowest_priority_number_decides_and_deny_ends_it() {
    let p = page(
        &[
            rule("AllowStorage", "cfg", "Allow", 200, "Storage", "ServiceTag"),
            rule("DenyAll", "cfg", "Deny", 100, "*", "IPPrefix"),
        ]
        .join(","),
    );
    let v = AdminRules::new(vec![p]).evaluate(&Flow::tcp(storage(), 443), TagDb::embedded());
    assert_eq!(v.outcome(), AdminOutcome::Deny);
    let r = v.rule().unwrap();
    assert_eq!((r.rule.as_str(), r.priority), ("DenyAll", 100));
    assert_eq!(r.configuration.as_deref(), Some("cfg"));
    assert!(v.ends_evaluation());
    // Another port is not matched by either rule.
    let v = AdminRules::new(vec![page(&rule(
        "DenyAll", "cfg", "Deny", 100, "*", "IPPrefix",
    ))])
    .evaluate(&Flow::tcp(storage(), 80), TagDb::embedded());
    assert_eq!(v.outcome(), AdminOutcome::NoRuleMatched);
}

#[test]
fn always_allow_ends_the_evaluation_and_allow_passes_to_the_nsgs() {
    for (access, outcome, ends) in [
        ("AlwaysAllow", AdminOutcome::AlwaysAllow, true),
        ("Allow", AdminOutcome::Allow, false),
    ] {
        let p = page(
            &[
                rule("First", "cfg", access, 10, "Storage.EastUS", "ServiceTag"),
                rule("DenyAll", "cfg", "Deny", 100, "0.0.0.0/0", "IPPrefix"),
            ]
            .join(","),
        );
        let v = AdminRules::new(vec![p]).evaluate(&Flow::tcp(storage(), 443), TagDb::embedded());
        assert_eq!(v.outcome(), outcome);
        assert_eq!(v.ends_evaluation(), ends);
    }
}

#[test]
fn a_network_group_cannot_be_told_and_pages_are_all_read() {
    let first = page(&rule(
        "AllowVnets",
        "cfg",
        "Allow",
        10,
        "/x/networkGroups/ng1",
        "NetworkGroup",
    ));
    let second = page(&rule("DenyAll", "other", "Deny", 20, "*", "IPPrefix"));
    let rules = AdminRules::new(vec![first, second]);
    assert_eq!(rules.len(), 2);
    let v = rules.evaluate(&Flow::tcp(storage(), 443), TagDb::embedded());
    assert!(matches!(
        &v.decision,
        AdminDecision::CannotTell { why: AdminUnknown::NetworkGroup { group }, at } if group == "ng1" && at.rule == "AllowVnets"
    ));
    assert!(v.notes.iter().any(|n| matches!(n, AdminNote::SeveralConfigurations { configurations } if configurations.len() == 2)));
}

#[test]
fn bad_rules_are_refused_in_one_line() {
    for (text, want) in [
        (
            r#"{"value": [{"name": "r", "access": "Maybe", "priority": 1, "direction": "Outbound", "protocol": "Tcp"}]}"#,
            "access",
        ),
        (
            r#"{"value": [{"name": "r", "access": "Deny", "priority": 5000, "direction": "Outbound", "protocol": "Tcp"}]}"#,
            "priority",
        ),
        (
            r#"{"value": [{"name": "r", "access": "Deny", "priority": 1, "direction": "Outbound", "protocol": "Tcp", "destinations": [{"addressPrefix": "Storage", "addressPrefixType": "IPPrefix"}]}]}"#,
            "not an IP prefix",
        ),
        (
            r#"{"value": [{"name": "r", "access": "Deny", "access": "Allow", "priority": 1, "direction": "Outbound", "protocol": "Tcp"}]}"#,
            "appears twice",
        ),
        (
            r#"{"value": 3}"#,
            "expected the output of `az network manager list-effective-security-admin-rule`",
        ),
    ] {
        let e = parse_admin_rules(text).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
        assert!(!e.contains('\n'));
    }
}
