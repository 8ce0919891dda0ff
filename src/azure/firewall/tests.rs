//! Firewall exports as Azure evaluates them: Microsoft's example files
//! (`tests/data/microsoft/`, verbatim from the REST API specification) in
//! each shape a user has them, then hand-written exports in `az`'s shape for
//! each rule of the processing logic.

use super::*;
use crate::azure::tags::{NoTags, TagDb, TagSource};
use crate::model::{
    FirewallDecision, FirewallNote, FirewallPass, FirewallUnknown, FirewallVerdict, NextHop,
    RouteOrigin, RoutePrefix, RouteSource, RouteTaken, RouteVerdict,
};
use serde_json::{Value, json};

/// `responses["200"].body` of one of Microsoft's examples.
fn body(name: &str) -> Value {
    let path = format!(
        "{}/tests/data/microsoft/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["responses"]["200"]["body"].clone()
}

/// What `az … show` prints: `properties` lifted into the object and into
/// each element of the lists the extension's schema flattens too.
fn az(v: &Value) -> Value {
    fn lift(v: &Value) -> Value {
        let Value::Object(o) = v else {
            return v.clone();
        };
        let mut out = serde_json::Map::new();
        for (k, x) in o {
            if k == "properties" {
                for (pk, px) in x.as_object().into_iter().flatten() {
                    out.insert(pk.clone(), nested(pk, px));
                }
            } else {
                out.insert(k.clone(), nested(k, x));
            }
        }
        out.insert("resourceGroup".into(), json!("rg1"));
        Value::Object(out)
    }
    fn nested(k: &str, v: &Value) -> Value {
        let flattened = [
            "applicationRuleCollections",
            "networkRuleCollections",
            "natRuleCollections",
            "ipConfigurations",
        ];
        match v {
            Value::Array(a) if flattened.contains(&k) => Value::Array(a.iter().map(lift).collect()),
            _ => v.clone(),
        }
    }
    lift(v)
}

fn read(v: &Value) -> Exports {
    parse_firewall_exports(&v.to_string()).unwrap()
}

fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}

/// HTTPS from `source` to `name` at `destination`.
fn https(source: &str, destination: &str, name: &str) -> Flow {
    Flow {
        source: Some(ip(source)),
        ..Flow::https(ip(destination), NameSpec::exact(name))
    }
}

/// TCP from `source` to `destination:port`, no name.
fn tcp(source: &str, destination: &str, port: u16) -> Flow {
    Flow {
        protocol: IpProtocol::Tcp,
        source: Some(ip(source)),
        destination: ip(destination),
        port,
        name: None,
        name_from_dns: false,
        app: None,
    }
}

/// The verdict of the only firewall or policy given, with no route export.
fn judge(fw: &Firewalls, flow: &Flow) -> FirewallVerdict {
    judge_with(fw, flow, &NoTags)
}

fn judge_with(fw: &Firewalls, flow: &Flow, tags: &dyn TagSource) -> FirewallVerdict {
    fw.verdict(flow, None, tags).expect("a firewall is given")
}

/// The deciding rule's (collection, rule, action), or the decision.
fn decided(v: &FirewallVerdict) -> String {
    match &v.decision {
        FirewallDecision::Rule(r) => format!("{}/{} {:?}", r.collection, r.rule, r.action),
        FirewallDecision::DefaultDeny => "default deny".into(),
        FirewallDecision::CannotTell { why, .. } => format!("cannot tell: {why:?}"),
    }
}

#[test]
fn microsofts_policy_is_read_in_both_shapes() {
    for v in [body("FirewallPolicyGet"), az(&body("FirewallPolicyGet"))] {
        let e = read(&v);
        assert_eq!(e.policies.len(), 1);
        let p = &e.policies[0];
        assert_eq!(p.name, "firewallPolicy");
        assert_eq!(p.threat_intel.mode, Some(ThreatIntelMode::Alert));
        assert_eq!(
            p.threat_intel.allow_addresses,
            vec![Addr::parse("20.3.4.5")]
        );
        assert_eq!(
            p.threat_intel.allow_fqdns,
            vec!["*.microsoft.com".to_string()]
        );
        assert_eq!(p.dns_proxy, Some(true));
        assert!(p.tls_inspection_ca);
        assert_eq!(p.group_ids.len(), 1);
        assert!(p.group_ids[0].ends_with("/ruleCollectionGroups/ruleCollectionGroup1"));
    }
}

#[test]
fn microsofts_rule_collection_groups_are_read_in_every_shape() {
    let get = body("FirewallPolicyRuleCollectionGroupGet");
    let list = body("FirewallPolicyRuleCollectionGroupList");
    let az_list = Value::Array(list["value"].as_array().unwrap().iter().map(az).collect());
    for (v, collection_priority) in [
        (get.clone(), 200),
        (az(&get), 200),
        (list, 120),
        (az_list, 120),
    ] {
        let e = read(&v);
        assert_eq!(e.groups.len(), 1, "{v}");
        let g = &e.groups[0];
        assert_eq!(
            (g.name.as_str(), g.priority),
            ("ruleCollectionGroup1", Some(110))
        );
        assert_eq!(
            g.policy_id().map(crate::azure::nsg::last_segment),
            Some("firewallPolicy")
        );
        let c = &g.collections[0];
        assert_eq!(c.priority, Some(collection_priority));
        assert_eq!(c.action, Action::Deny);
        let RuleKind::Network {
            protocols,
            sources,
            destinations,
            ports,
            ..
        } = &c.rules[0].kind
        else {
            panic!("{:?}", c.rules[0]);
        };
        assert_eq!(protocols, &[IpProtocol::Tcp]);
        assert_eq!(sources, &[Addr::parse("10.1.25.0/24")]);
        assert_eq!(destinations, &[Addr::Any]);
        assert_eq!(
            ports,
            &[crate::azure::nsg::PortRange {
                first: 0,
                last: 65535
            }]
        );
    }
}

#[test]
fn microsofts_policy_and_its_group_give_azures_answer() {
    let mut e = read(&body("FirewallPolicyGet"));
    e.extend(read(&az(&body("FirewallPolicyRuleCollectionGroupGet"))));
    let fw = Firewalls::new(e);
    // network-rule1 denies TCP from 10.1.25.0/24 to anything.
    let v = judge(&fw, &tcp("10.1.25.7", "52.1.2.3", 443));
    assert_eq!(
        decided(&v),
        "Example-Filter-Rule-Collection/network-rule1 Deny"
    );
    let r = v.rule().unwrap();
    assert_eq!(
        (r.policy.as_deref(), r.group.as_deref()),
        (Some("firewallPolicy"), Some("ruleCollectionGroup1"))
    );
    assert_eq!(
        (r.group_priority, r.collection_priority, r.pass),
        (Some(110), Some(200), FirewallPass::Network)
    );
    assert_eq!(v.allowed(), Some(false));
    // Anything else: the default deny; threat intelligence is in Alert mode.
    let v = judge(&fw, &https("10.2.0.4", "52.1.2.3", "example.com"));
    assert_eq!(v.decision, FirewallDecision::DefaultDeny);
    assert_eq!(v.notes, vec![FirewallNote::AssumedInPath]);
    // Without the group, the policy's rules cannot be told.
    let fw = Firewalls::new(read(&body("FirewallPolicyGet")));
    let v = judge(&fw, &tcp("10.1.25.7", "52.1.2.3", 443));
    assert!(matches!(
        &v.decision,
        FirewallDecision::CannotTell {
            why: FirewallUnknown::GroupsMissing { missing: 1, .. },
            ..
        }
    ));
}

#[test]
fn microsofts_ip_group_example_resolves_by_id() {
    let group = body("FirewallPolicyRuleCollectionGroupWithIpGroupsPut");
    let ips = body("IpGroupsGet");
    for shape in [ips.clone(), az(&ips)] {
        let e = read(&shape);
        assert_eq!(e.ip_groups[0].addresses.len(), 3);
    }
    // As written, the rule's ipGroups1 is in resource group rg1 and the
    // example's in myResourceGroup: another group, so not given.
    let mut e = read(&group);
    e.extend(read(&ips));
    let fw = Firewalls::new(e.clone());
    let flow = tcp("13.64.39.16", "52.1.2.3", 443);
    let v = judge(&fw, &flow);
    assert_eq!(
        decided(&v),
        "cannot tell: IpGroupMissing { group: \"ipGroups1\" }"
    );
    // Edited so that the ids agree: the source is in ipGroups1, and the
    // destination group ipGroups2 is still not given.
    let mut ips = ips;
    ips["id"] = json!(
        "/subscriptions/subid/providers/Microsoft.Network/resourceGroup/rg1/ipGroups/ipGroups1"
    );
    let mut e = read(&group);
    e.extend(read(&ips));
    let fw = Firewalls::new(e);
    assert_eq!(
        decided(&judge(&fw, &flow)),
        "cannot tell: IpGroupMissing { group: \"ipGroups2\" }"
    );
    // A source outside ipGroups1 is not matched: the default deny. The
    // collection has no priority in the example: said.
    let v = judge(&fw, &tcp("10.0.0.1", "52.1.2.3", 443));
    assert_eq!(v.decision, FirewallDecision::DefaultDeny);
    assert!(
        v.notes
            .iter()
            .any(|n| matches!(n, FirewallNote::CollectionPriorityMissing { .. }))
    );
}

#[test]
fn web_categories_and_fqdn_tags_cannot_be_told_offline() {
    let fw = Firewalls::new(read(&az(&body(
        "FirewallPolicyRuleCollectionGroupWithWebCategoriesPut",
    ))));
    let v = judge(&fw, &https("10.0.0.5", "52.1.2.3", "hacker.example"));
    assert_eq!(
        decided(&v),
        "cannot tell: WebCategory { category: \"Hacking\" }"
    );
    assert_eq!(v.allowed(), None);
    assert_eq!(v.rule().map(|r| r.rule.as_str()), Some("rule1"));
    // Its source is 216.58.216.164 and 10.0.0.0/24 only.
    let v = judge(&fw, &https("10.1.0.5", "52.1.2.3", "hacker.example"));
    assert_eq!(v.decision, FirewallDecision::DefaultDeny);
    let fw = Firewalls::new(read(&body(
        "FirewallPolicyRuleCollectionGroupWithHttpHeadersToInsert",
    )));
    let mut http = https("10.0.0.9", "52.1.2.3", "rdweb.wvd.microsoft.com");
    (http.port, http.app) = (80, Some(AppProtocol::Http));
    let v = judge(&fw, &http);
    assert_eq!(
        decided(&v),
        "cannot tell: FqdnTag { tag: \"WindowsVirtualDesktop\" }"
    );
    // The rule is for HTTP on port 80: HTTPS is not matched.
    let v = judge(
        &fw,
        &https("10.0.0.9", "52.1.2.3", "rdweb.wvd.microsoft.com"),
    );
    assert_eq!(v.decision, FirewallDecision::DefaultDeny);
}

#[test]
fn microsofts_nat_group_translates_only_what_it_names() {
    let fw = Firewalls::new(read(&body("FirewallPolicyNatRuleCollectionGroupGet")));
    let mut flow = tcp("2.2.2.2", "152.23.32.23", 8080);
    let v = judge(&fw, &flow);
    assert_eq!(decided(&v), "NatRC/NatRule1 Dnat");
    assert_eq!(v.rule().unwrap().pass, FirewallPass::Dnat);
    assert_eq!(v.allowed(), Some(true));
    flow.port = 443;
    assert_eq!(judge(&fw, &flow).decision, FirewallDecision::DefaultDeny);
}

#[test]
fn microsofts_classic_firewall_is_read_in_both_shapes_and_evaluated() {
    for v in [body("AzureFirewallGet"), az(&body("AzureFirewallGet"))] {
        let e = read(&v);
        let f = &e.firewalls[0];
        assert_eq!(f.name, "azurefirewall");
        assert_eq!(f.private_addresses, vec![ip("10.0.0.0")]);
        assert_eq!(f.policy, None);
        assert_eq!(f.dns_proxy, None);
        assert_eq!(f.collections.len(), 3);
        let fw = Firewalls::new(e);
        // apprulecoll (priority 110) denies HTTPS to www.test.com from 10.0.0.0/24.
        assert_eq!(
            decided(&judge(&fw, &https("10.0.0.5", "52.1.2.3", "www.test.com"))),
            "apprulecoll/rule1 Deny"
        );
        // netrulecoll's L4-traffic denies TCP 443 from 10.1.4.12-10.1.4.255:
        // network rules come before application rules.
        let v = judge(&fw, &https("10.1.4.20", "52.1.2.3", "www.test.com"));
        assert_eq!(decided(&v), "netrulecoll/L4-traffic Deny");
        assert_eq!(v.policy, None);
        assert_eq!(v.rule().unwrap().group, None);
        // L4-traffic-with-FQDN names www.amazon.com, and the DNS proxy is
        // off: it cannot match, and the verdict says so.
        let v = judge(&fw, &https("10.2.4.20", "52.1.2.3", "www.amazon.com"));
        assert_eq!(v.decision, FirewallDecision::DefaultDeny);
        assert!(v.notes.contains(&FirewallNote::FqdnNeedsDnsProxy {
            rule: "L4-traffic-with-FQDN".into()
        }));
        // The DNAT rule matches traffic to the public address 1.2.3.4:443.
        let v = judge(&fw, &tcp("8.8.8.8", "1.2.3.4", 443));
        assert_eq!(decided(&v), "natrulecoll/DNAT-HTTPS-traffic Dnat");
    }
}

#[test]
fn microsofts_hub_firewall_names_its_address_and_policy() {
    let e = read(&az(&body("AzureFirewallPutInHub")));
    let f = &e.firewalls[0];
    assert_eq!(f.private_addresses, vec![ip("10.0.0.0")]);
    assert_eq!(
        f.policy.as_deref().map(crate::azure::nsg::last_segment),
        Some("policy1")
    );
    // Its policy was not given: it cannot be told.
    let fw = Firewalls::new(e);
    let v = fw
        .verdict(
            &tcp("10.1.0.4", "52.1.2.3", 443),
            Some(&to_appliance("10.0.0.0")),
            &NoTags,
        )
        .unwrap();
    assert_eq!(v.firewall.as_deref(), Some("azurefirewall"));
    assert_eq!(
        decided(&v),
        "cannot tell: PolicyMissing { policy: \"policy1\" }"
    );
}

/// A route 0.0.0.0/0 to an appliance at `address`.
fn to_appliance(address: &str) -> RouteVerdict {
    to(NextHop::VirtualAppliance, Some(address))
}

fn to(next_hop: NextHop, address: Option<&str>) -> RouteVerdict {
    RouteVerdict {
        route: Some(RouteTaken {
            prefix: RoutePrefix::Block {
                address: ip("0.0.0.0"),
                len: 0,
            },
            name: Some("to-fw".into()),
            next_hop,
            next_hop_address: address.map(str::to_string),
            source: RouteSource::User,
            origin: RouteOrigin::Table,
        }),
        notes: vec![],
    }
}

/// A policy (`az network firewall policy show`).
fn policy(name: &str, base: Option<&str>, extra: Value) -> Value {
    let mut p = json!({
        "name": name,
        "id": format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/firewallPolicies/{name}"),
        "threatIntelMode": "Alert",
        "ruleCollectionGroups": [],
    });
    if let Some(b) = base {
        p["basePolicy"] = json!({"id": format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/firewallPolicies/{b}")});
    }
    for (k, v) in extra.as_object().into_iter().flatten() {
        p[k] = v.clone();
    }
    p
}

/// A rule collection group of `policy` at `priority` holding `collections`.
fn group(policy: &str, name: &str, priority: u32, collections: Value) -> Value {
    json!({
        "name": name,
        "id": format!("/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/firewallPolicies/{policy}/ruleCollectionGroups/{name}"),
        "priority": priority,
        "ruleCollections": collections,
    })
}

/// A filter collection.
fn filter(name: &str, priority: u32, action: &str, rules: Value) -> Value {
    json!({"ruleCollectionType": "FirewallPolicyFilterRuleCollection", "name": name,
           "priority": priority, "action": {"type": action}, "rules": rules})
}

/// An application rule for HTTPS 443 to `targets` from anywhere.
fn app(name: &str, targets: &[&str]) -> Value {
    json!({"ruleType": "ApplicationRule", "name": name, "sourceAddresses": ["*"],
           "protocols": [{"protocolType": "Https", "port": 443}], "targetFqdns": targets})
}

/// A network rule for TCP to `destinations` on `ports` from anywhere.
fn net(name: &str, destinations: &[&str], ports: &[&str]) -> Value {
    json!({"ruleType": "NetworkRule", "name": name, "sourceAddresses": ["*"], "ipProtocols": ["TCP"],
           "destinationAddresses": destinations, "destinationPorts": ports})
}

fn firewalls(items: Vec<Value>) -> Firewalls {
    Firewalls::new(read(&Value::Array(items)))
}

#[test]
fn network_rules_come_before_application_rules_whatever_the_priorities() {
    let fw = firewalls(vec![
        policy("p", None, json!({})),
        group(
            "p",
            "apps",
            100,
            json!([filter(
                "allow-apps",
                100,
                "Allow",
                json!([app("asr", &["*.blob.core.windows.net"])])
            )]),
        ),
        group(
            "p",
            "nets",
            60000,
            json!([filter(
                "deny-all",
                65000,
                "Deny",
                json!([net("all", &["*"], &["*"])])
            )]),
        ),
    ]);
    let v = judge(
        &fw,
        &https("10.1.0.4", "20.38.100.1", "cache1.blob.core.windows.net"),
    );
    assert_eq!(decided(&v), "deny-all/all Deny");
    assert_eq!(v.rule().unwrap().group.as_deref(), Some("nets"));
    // DNAT rules come first of all.
    let fw = firewalls(vec![
        group(
            "p",
            "nets",
            100,
            json!([filter(
                "deny-all",
                100,
                "Deny",
                json!([net("all", &["*"], &["*"])])
            )]),
        ),
        group(
            "p",
            "nat",
            65000,
            json!([{"ruleCollectionType": "FirewallPolicyNatRuleCollection", "name": "in",
            "priority": 65000, "action": {"type": "DNAT"}, "rules": [{"ruleType": "NatRule", "name": "web",
            "ipProtocols": ["TCP"], "sourceAddresses": ["*"], "destinationAddresses": ["52.1.1.1"],
            "destinationPorts": ["443"], "translatedAddress": "10.0.0.9", "translatedPort": "443"}]}]),
        ),
    ]);
    assert_eq!(
        decided(&judge(&fw, &tcp("8.8.8.8", "52.1.1.1", 443))),
        "in/web Dnat"
    );
    assert_eq!(
        decided(&judge(&fw, &tcp("8.8.8.8", "52.1.1.2", 443))),
        "deny-all/all Deny"
    );
}

#[test]
fn groups_by_priority_then_collections_then_the_first_rule_that_matches() {
    let fw = firewalls(vec![
        group(
            "p",
            "late",
            300,
            json!([filter(
                "allow",
                100,
                "Allow",
                json!([app("blob", &["*.blob.core.windows.net"])])
            )]),
        ),
        group(
            "p",
            "early",
            200,
            json!([
                filter(
                    "deny-second",
                    500,
                    "Deny",
                    json!([app("blob", &["*.blob.core.windows.net"])])
                ),
                filter(
                    "allow-first",
                    400,
                    "Allow",
                    json!([
                        app("other", &["x.example"]),
                        app("blob2", &["*.core.windows.net"])
                    ])
                ),
            ]),
        ),
    ]);
    let v = judge(
        &fw,
        &https("10.1.0.4", "20.38.100.1", "cache1.blob.core.windows.net"),
    );
    assert_eq!(decided(&v), "allow-first/blob2 Allow");
    assert_eq!(v.rule().unwrap().group_priority, Some(200));
}

#[test]
fn a_parent_policys_groups_come_before_the_childs_whatever_their_priority() {
    let fw = firewalls(vec![
        policy("parent", None, json!({})),
        policy("child", Some("parent"), json!({})),
        group(
            "parent",
            "base",
            65000,
            json!([filter(
                "deny-blob",
                65000,
                "Deny",
                json!([app("blob", &["*.blob.core.windows.net"])])
            )]),
        ),
        group(
            "child",
            "mine",
            100,
            json!([filter(
                "allow-blob",
                100,
                "Allow",
                json!([app("blob", &["*.blob.core.windows.net"])])
            )]),
        ),
    ]);
    let v = judge(
        &fw,
        &https("10.1.0.4", "20.38.100.1", "cache1.blob.core.windows.net"),
    );
    assert_eq!(decided(&v), "deny-blob/blob Deny");
    assert_eq!(v.policy.as_deref(), Some("child"));
    assert_eq!(v.rule().unwrap().policy.as_deref(), Some("parent"));
    // Without the parent's export, the child's verdict cannot be told.
    let fw = firewalls(vec![
        policy("child", Some("parent"), json!({})),
        group(
            "child",
            "mine",
            100,
            json!([filter(
                "allow-blob",
                100,
                "Allow",
                json!([app("blob", &["*.blob.core.windows.net"])])
            )]),
        ),
    ]);
    let v = judge(
        &fw,
        &https("10.1.0.4", "20.38.100.1", "cache1.blob.core.windows.net"),
    );
    assert_eq!(
        decided(&v),
        "cannot tell: ParentPolicyMissing { parent: \"parent\" }"
    );
}

#[test]
fn target_fqdns_match_with_the_documented_wildcards() {
    let fw = firewalls(vec![group(
        "p",
        "g",
        100,
        json!([
            filter("dot", 100, "Allow", json!([app("dot", &["*.contoso.com"])])),
            filter(
                "bare",
                200,
                "Allow",
                json!([app("bare", &["*fabrikam.com"])])
            ),
            filter(
                "exact",
                300,
                "Allow",
                json!([app("exact", &["www.example.com"])])
            ),
        ]),
    )]);
    let by = |name: &str| decided(&judge(&fw, &https("10.1.0.4", "52.1.2.3", name)));
    assert_eq!(by("any.contoso.com"), "dot/dot Allow");
    assert_eq!(by("a.b.contoso.com"), "dot/dot Allow");
    // `*.contoso.com` does not hold contoso.com itself.
    assert_eq!(by("contoso.com"), "default deny");
    assert_eq!(by("fabrikam.com"), "bare/bare Allow");
    assert_eq!(by("example.anyfabrikam.com"), "bare/bare Allow");
    assert_eq!(by("WWW.Example.com."), "exact/exact Allow");
    assert_eq!(by("www.example.com.evil"), "default deny");
    let star = firewalls(vec![group(
        "p",
        "g",
        100,
        json!([filter("all", 100, "Allow", json!([app("all", &["*"])]))]),
    )]);
    assert_eq!(
        decided(&judge(
            &star,
            &https("10.1.0.4", "52.1.2.3", "anything.test")
        )),
        "all/all Allow"
    );
}

#[test]
fn fqdns_in_network_rules_need_the_dns_proxy() {
    let rule = json!({"ruleType": "NetworkRule", "name": "sb", "sourceAddresses": ["*"], "ipProtocols": ["TCP"],
        "destinationFqdns": ["ns1.servicebus.windows.net"], "destinationPorts": ["443"]});
    let groups = group(
        "p",
        "g",
        100,
        json!([filter("allow", 100, "Allow", json!([rule]))]),
    );
    let flow = https("10.1.0.4", "13.89.170.130", "ns1.servicebus.windows.net");
    let off = firewalls(vec![
        policy("p", None, json!({"dnsSettings": {"enableProxy": false}})),
        groups.clone(),
    ]);
    let v = judge(&off, &flow);
    assert_eq!(v.decision, FirewallDecision::DefaultDeny);
    assert!(
        v.notes
            .contains(&FirewallNote::FqdnNeedsDnsProxy { rule: "sb".into() })
    );
    let on = firewalls(vec![
        policy("p", None, json!({"dnsSettings": {"enableProxy": true}})),
        groups,
    ]);
    let v = judge(&on, &flow);
    assert_eq!(decided(&v), "allow/sb Allow");
    assert!(v.notes.contains(&FirewallNote::FqdnByFirewallDns {
        fqdn: "ns1.servicebus.windows.net".into()
    }));
}

#[test]
fn network_rules_match_service_tags_from_the_flows_cloud_data() {
    let tags = TagDb::embedded();
    let (addr, _) = tags.v4_prefixes("AzureActiveDirectory")[0];
    let dest = addr.to_string();
    let fw = firewalls(vec![group(
        "p",
        "g",
        100,
        json!([filter(
            "allow",
            100,
            "Allow",
            json!([net("entra", &["AzureActiveDirectory"], &["443"])])
        )]),
    )]);
    let v = judge_with(&fw, &tcp("10.1.0.4", &dest, 443), tags);
    assert_eq!(decided(&v), "allow/entra Allow");
    // With another cloud's data, the tag cannot be told.
    let other = crate::azure::tags::OtherCloud {
        cloud: crate::model::Cloud::Usgov,
    };
    let v = judge_with(&fw, &tcp("10.1.0.4", &dest, 443), &other);
    assert!(
        decided(&v).starts_with("cannot tell: Tag"),
        "{}",
        decided(&v)
    );
    // Another port: not matched.
    assert_eq!(
        judge_with(&fw, &tcp("10.1.0.4", &dest, 80), tags).decision,
        FirewallDecision::DefaultDeny
    );
}

#[test]
fn threat_intelligence_in_deny_mode_is_said_with_its_allow_list() {
    let fw = firewalls(vec![policy(
        "p",
        None,
        json!({"threatIntelMode": "Deny",
        "threatIntelWhitelist": {"ipAddresses": ["20.38.100.1"], "fqdns": ["*.blob.core.windows.net"]}}),
    )]);
    let v = judge(
        &fw,
        &https("10.1.0.4", "52.1.2.3", "login.microsoftonline.com"),
    );
    assert!(
        v.notes.contains(&FirewallNote::ThreatIntelDeny {
            allow_listed: false
        }),
        "{:?}",
        v.notes
    );
    for flow in [
        https("10.1.0.4", "20.38.100.1", "example.com"),
        https("10.1.0.4", "52.1.2.3", "cache1.blob.core.windows.net"),
    ] {
        let v = judge(&fw, &flow);
        assert!(
            v.notes
                .contains(&FirewallNote::ThreatIntelDeny { allow_listed: true })
        );
    }
    // Alert mode drops nothing: no note.
    let alert = firewalls(vec![policy("p", None, json!({}))]);
    let notes = judge(&alert, &https("10.1.0.4", "52.1.2.3", "x.test")).notes;
    assert!(
        !notes
            .iter()
            .any(|n| matches!(n, FirewallNote::ThreatIntelDeny { .. }))
    );
}

#[test]
fn nothing_matched_is_the_default_deny_and_tls_inspection_is_said() {
    let mut inspect = app("inspect", &["*.blob.core.windows.net"]);
    inspect["terminateTLS"] = json!(true);
    let fw = firewalls(vec![group(
        "p",
        "g",
        100,
        json!([filter("allow", 100, "Allow", json!([inspect]))]),
    )]);
    let v = judge(
        &fw,
        &https("10.1.0.4", "20.38.100.1", "cache1.blob.core.windows.net"),
    );
    assert_eq!(decided(&v), "allow/inspect Allow");
    assert!(v.notes.contains(&FirewallNote::TlsInspection {
        rule: "inspect".into()
    }));
    let v = judge(
        &fw,
        &https("10.1.0.4", "13.89.170.130", "ns1.servicebus.windows.net"),
    );
    assert_eq!(v.decision, FirewallDecision::DefaultDeny);
    assert_eq!(v.allowed(), Some(false));
}

/// A classic firewall at `address` allowing `targets`.
fn classic(name: &str, address: &str, targets: &[&str]) -> Value {
    json!({"name": name, "ipConfigurations": [{"name": "c", "privateIPAddress": address}],
        "applicationRuleCollections": [{"name": "asr", "priority": 100, "action": {"type": "Allow"},
            "rules": [{"name": "r", "protocols": [{"protocolType": "Https", "port": 443}],
                       "sourceAddresses": ["*"], "targetFqdns": targets}]}]})
}

#[test]
fn the_firewall_is_the_one_whose_private_address_is_the_next_hop() {
    let fw = firewalls(vec![
        classic("fw-a", "10.0.1.4", &["*.blob.core.windows.net"]),
        classic("fw-b", "10.0.2.4", &["login.microsoftonline.com"]),
    ]);
    let flow = https("10.1.0.4", "20.38.100.1", "cache1.blob.core.windows.net");
    let v = fw
        .verdict(&flow, Some(&to_appliance("10.0.1.4")), &NoTags)
        .unwrap();
    assert_eq!(
        (v.firewall.as_deref(), decided(&v).as_str()),
        (Some("fw-a"), "asr/r Allow")
    );
    assert_eq!(v.address.as_deref(), Some("10.0.1.4"));
    let v = fw
        .verdict(&flow, Some(&to_appliance("10.0.2.4")), &NoTags)
        .unwrap();
    assert_eq!(
        (v.firewall.as_deref(), decided(&v).as_str()),
        (Some("fw-b"), "default deny")
    );
    // An appliance whose rules were not given.
    let v = fw
        .verdict(&flow, Some(&to_appliance("10.0.9.9")), &NoTags)
        .unwrap();
    assert_eq!(
        decided(&v),
        "cannot tell: RulesNotGiven { address: Some(\"10.0.9.9\") }"
    );
    // A route to the internet crosses no firewall.
    assert_eq!(
        fw.verdict(&flow, Some(&to(NextHop::Internet, None)), &NoTags),
        None
    );
    // Without routes, two firewalls: which one cannot be told.
    let v = fw.verdict(&flow, None, &NoTags).unwrap();
    assert_eq!(decided(&v), "cannot tell: WhichFirewall { candidates: 2 }");
    // A policy alone with a route to an appliance is taken as that appliance's.
    let only = firewalls(vec![policy("p", None, json!({}))]);
    let v = only
        .verdict(&flow, Some(&to_appliance("10.0.1.4")), &NoTags)
        .unwrap();
    assert_eq!(
        v.notes,
        vec![FirewallNote::PolicyAssumed { policy: "p".into() }]
    );
    // No export at all: no verdict.
    assert_eq!(Firewalls::default().verdict(&flow, None, &NoTags), None);
}

#[test]
fn check_probes_of_a_pattern_are_allowed_only_when_every_name_is() {
    let fw = firewalls(vec![group(
        "p",
        "g",
        100,
        json!([filter(
            "allow",
            100,
            "Allow",
            json!([
                app("cache", &["cache1.blob.core.windows.net"]),
                app("sb", &["*.servicebus.windows.net"]),
            ])
        )]),
    )]);
    let probe = |p: &str| judge(&fw, &Flow::https(ip("20.38.100.1"), NameSpec::pattern(p)));
    assert_eq!(
        decided(&probe("*.servicebus.windows.net")),
        "allow/sb Allow"
    );
    let v = probe("*.blob.core.windows.net");
    assert_eq!(
        decided(&v),
        "cannot tell: OnlySomeNames { names: [\"cache1.blob.core.windows.net\"] }"
    );
    assert_eq!(decided(&probe("login.microsoftonline.com")), "default deny");
}

#[test]
fn ranges_are_cut_into_the_fewest_blocks() {
    let blocks = |s: &str| {
        Addr::parse(s)
            .blocks()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        blocks("192.168.1.1-192.168.1.12"),
        [
            "192.168.1.1/32",
            "192.168.1.2/31",
            "192.168.1.4/30",
            "192.168.1.8/30",
            "192.168.1.12/32"
        ]
    );
    assert_eq!(blocks("0.0.0.0-255.255.255.255"), ["0.0.0.0/0"]);
    assert_eq!(blocks("10.0.0.0-10.0.0.0"), ["10.0.0.0/32"]);
    assert_eq!(
        Addr::parse("10.0.0.9-10.0.0.1"),
        Addr::Tag(crate::model::TagName::new("10.0.0.9-10.0.0.1"))
    );
    assert!(Addr::parse("10.1.4.12-10.1.4.255").holds(ip("10.1.4.200")));
}

#[test]
fn a_flow_costs_the_rules_that_could_match_it() {
    // 10,000 application rules, one name each, and 10,000 network rules on
    // their own /32: a flow finds one of each.
    let apps: Vec<Value> = (0..10_000)
        .map(|i| app(&format!("a{i}"), &[&format!("h{i}.example")]))
        .collect();
    let nets: Vec<Value> = (0..10_000)
        .map(|i| {
            net(
                &format!("n{i}"),
                &[&format!("10.{}.{}.1", i / 256, i % 256)],
                &["443"],
            )
        })
        .collect();
    let fw = firewalls(vec![group(
        "p",
        "g",
        100,
        json!([
            filter("nets", 100, "Deny", Value::Array(nets)),
            filter("apps", 200, "Allow", Value::Array(apps)),
        ]),
    )]);
    let set = &fw.sets[0];
    let ctx = super::evaluate::tests_ctx();
    let flow = https("10.200.0.4", "10.3.7.1", "h777.example");
    assert_eq!(
        Firewalls::candidates_for_tests(&set.passes[1], &flow, &ctx).len(),
        1
    );
    assert_eq!(
        Firewalls::candidates_for_tests(&set.passes[2], &flow, &ctx).len(),
        1
    );
    assert_eq!(decided(&judge(&fw, &flow)), "nets/n775 Deny");
}

#[test]
fn broken_exports_are_one_line_naming_the_place() {
    let cases = [
        (
            json!({"name": "g", "priority": 100, "ruleCollections": [{"ruleCollectionType": "Bogus"}]}),
            "unknown ruleCollectionType",
        ),
        (
            group("p", "g", 100, json!([filter("c", 100, "Maybe", json!([]))])),
            "action \"Maybe\" is neither Allow nor Deny",
        ),
        (
            group(
                "p",
                "g",
                100,
                json!([filter(
                    "c",
                    100,
                    "Allow",
                    json!([{"ruleType": "NetworkRule", "name": "r",
            "ipProtocols": ["TCP"], "destinationPorts": ["http"]}])
                )]),
            ),
            "rule collection group \"g\", rule collection \"c\", rule \"r\": destination port \"http\" is not a port or range",
        ),
        (
            json!({"name": "g", "priority": "high", "ruleCollections": []}),
            "priority \"high\" is not a number",
        ),
        (
            json!({"name": "f", "ipConfigurations": [{"privateIPAddress": "ten"}]}),
            "privateIPAddress \"ten\" is not an address",
        ),
        (
            json!({"hello": 1}),
            "expected the output of `az network firewall policy show`",
        ),
        (json!(7), "found a number"),
    ];
    for (v, want) in cases {
        let e = parse_firewall_exports(&v.to_string())
            .unwrap_err()
            .to_string();
        assert!(e.contains(want), "{e}");
        assert!(!e.contains('\n'));
    }
    assert!(matches!(
        parse_firewall_exports("{\"a\": 1, \"a\": 2}"),
        Err(FirewallError::Duplicate(_))
    ));
    assert!(matches!(
        parse_firewall_exports("{\"name\": "),
        Err(FirewallError::Json(_))
    ));
}

#[test]
fn an_allow_rule_goes_where_it_is_processed_before_the_deny() {
    use crate::model::{FirewallPlace, FirewallRuleType};
    let blob = "cache1.blob.core.windows.net";
    let place =
        |fw: &Firewalls| fw.place_allow(&judge(fw, &https("10.1.0.4", "20.38.100.1", blob)));
    // A deny collection at 200: a new collection ten below it, in its group.
    let fw = firewalls(vec![group(
        "p",
        "g",
        300,
        json!([filter("deny-web", 200, "Deny", json!([app("all", &["*"])])),]),
    )]);
    assert_eq!(
        place(&fw),
        Some((
            FirewallPlace::NewCollection {
                policy: "p".into(),
                group: "g".into(),
                collection: "Allow-Site-Recovery".into(),
                priority: 190
            },
            FirewallRuleType::Application
        ))
    );
    // An Allow collection of application rules processed before it: the
    // rule goes there.
    let fw = firewalls(vec![group(
        "p",
        "g",
        300,
        json!([
            filter("deny-web", 200, "Deny", json!([app("all", &["*"])])),
            filter("allow-web", 150, "Allow", json!([app("x", &["x.example"])])),
        ]),
    )]);
    assert!(
        matches!(place(&fw), Some((FirewallPlace::Collection { collection, .. }, _)) if collection == "allow-web")
    );
    // A network rule denies: a network rule, before it.
    let fw = firewalls(vec![group(
        "p",
        "g",
        300,
        json!([filter(
            "deny-all",
            500,
            "Deny",
            json!([net("all", &["*"], &["*"])])
        ),]),
    )]);
    assert!(matches!(
        place(&fw),
        Some((
            FirewallPlace::NewCollection { priority: 490, .. },
            FirewallRuleType::Network
        ))
    ));
    // A deny at 100 in the first group: nothing comes before it.
    let fw = firewalls(vec![group(
        "p",
        "g",
        100,
        json!([filter("deny-all", 100, "Deny", json!([app("all", &["*"])])),]),
    )]);
    assert_eq!(place(&fw), None);
    // ... unless an earlier group has room.
    let fw = firewalls(vec![
        group(
            "p",
            "g",
            300,
            json!([filter("deny-all", 100, "Deny", json!([app("all", &["*"])]))]),
        ),
        group(
            "p",
            "early",
            200,
            json!([filter(
                "other",
                400,
                "Deny",
                json!([app("o", &["o.example"])])
            )]),
        ),
    ]);
    assert!(
        matches!(place(&fw), Some((FirewallPlace::NewCollection { group, priority: 500, .. }, _)) if group == "early")
    );
}

#[test]
fn an_allow_rule_beats_a_parents_deny_in_the_parent_and_a_classic_deny_classically() {
    use crate::model::{FirewallPlace, FirewallRuleType};
    let blob = "cache1.blob.core.windows.net";
    let place =
        |fw: &Firewalls| fw.place_allow(&judge(fw, &https("10.1.0.4", "20.38.100.1", blob)));
    // A parent's deny is beaten in the parent.
    let fw = firewalls(vec![
        policy("parent", None, json!({})),
        policy("child", Some("parent"), json!({})),
        group(
            "parent",
            "base",
            65000,
            json!([filter(
                "deny-blob",
                65000,
                "Deny",
                json!([app("blob", &["*.blob.core.windows.net"])])
            )]),
        ),
        group("child", "mine", 100, json!([])),
    ]);
    assert!(
        matches!(place(&fw), Some((FirewallPlace::NewCollection { policy, priority: 64990, .. }, _)) if policy == "parent")
    );
    // Classic rules: a new application collection below the deny's.
    let mut fw = classic("fw", "10.0.1.4", &["*"]);
    fw["applicationRuleCollections"][0]["action"] = json!({"type": "Deny"});
    fw["applicationRuleCollections"][0]["priority"] = json!(200);
    let fw = firewalls(vec![fw]);
    assert_eq!(
        place(&fw),
        Some((
            FirewallPlace::Classic {
                firewall: "fw".into(),
                collection: "Allow-Site-Recovery".into(),
                priority: Some(190)
            },
            FirewallRuleType::Application
        ))
    );
}
