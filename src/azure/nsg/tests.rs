//! The NSG readers and evaluation, on exports written by hand after the API
//! reference's examples (NetworkInterfaceEffectiveNSGList,
//! NetworkSecurityGroupGet); configuration, not captures. Microsoft's own
//! examples are read in `tests/azure_examples.rs`.

use super::*;
use crate::azure::address::Block;
use crate::azure::tags::{NoTags, TagSource};
use crate::model::TagName;
use crate::model::{AppliedTo, NsgNote, NsgOutcome, NsgVerdict, TagUnknown};
use std::net::IpAddr;

fn evaluate_outbound(nsgs: &[Nsg], flow: &Flow, tags: &dyn TagSource) -> NsgVerdict {
    Nsgs::new(nsgs.to_vec()).evaluate(flow, tags)
}

/// Tags from a closure, for tests.
struct TagFn<F: Fn(&str, IpAddr) -> Option<bool>>(F);

impl<F: Fn(&str, IpAddr) -> Option<bool>> TagSource for TagFn<F> {
    fn knows(&self, tag: &TagName) -> bool {
        (self.0)(tag.as_str(), IpAddr::from([0, 0, 0, 0])).is_some()
    }
    fn tags_of(&self, ip: IpAddr) -> Vec<TagName> {
        ["AzureSiteRecovery", "Storage.EastUS"]
            .iter()
            .filter(|t| (self.0)(t, ip) == Some(true))
            .map(|t| TagName::new(*t))
            .collect()
    }
    fn blocks(&self, _: &TagName) -> Vec<Block> {
        Vec::new()
    }
}

// Written by hand after the API reference's examples (NetworkInterfaceEffectiveNSGList,
// NetworkSecurityGroupGet); configuration, not captures.

fn effective_rule(
    name: &str,
    priority: u32,
    access: &str,
    protocol: &str,
    ports: &str,
    dst: &str,
) -> String {
    format!(
        r#"{{"name": "{name}", "protocol": "{protocol}", "sourcePortRange": "0-65535",
           "destinationPortRange": "{ports}", "sourceAddressPrefix": "0.0.0.0/0",
           "destinationAddressPrefix": "{dst}", "access": "{access}",
           "priority": {priority}, "direction": "Outbound"}}"#
    )
}

fn effective(nsg: &str, assoc: &str, rules: &[String]) -> String {
    let assoc = match assoc {
        "nic" => r#"{"networkInterface": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1-nic"}, "subnet": null}"#.to_string(),
        _ => r#"{"subnet": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet/subnets/default"}}"#.to_string(),
    };
    format!(
        r#"{{"networkSecurityGroup": {{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/{nsg}"}},
            "association": {assoc}, "effectiveSecurityRules": [{}]}}"#,
        rules.join(",")
    )
}

fn default_outbound() -> Vec<String> {
    vec![
        r#"{"name": "defaultSecurityRules/AllowVnetOutBound", "protocol": "All",
            "sourcePortRange": "0-65535", "destinationPortRange": "0-65535",
            "sourceAddressPrefix": "VirtualNetwork", "destinationAddressPrefix": "VirtualNetwork",
            "expandedSourceAddressPrefix": ["10.1.0.0/16", "168.63.129.16/32"],
            "expandedDestinationAddressPrefix": ["10.1.0.0/16", "168.63.129.16/32"],
            "access": "Allow", "priority": 65000, "direction": "Outbound"}"#
            .to_string(),
        r#"{"name": "defaultSecurityRules/AllowInternetOutBound", "protocol": "All",
            "sourcePortRange": "0-65535", "destinationPortRange": "0-65535",
            "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": "Internet",
            "expandedDestinationAddressPrefix": ["32.0.0.0/3", "4.0.0.0/6", "2.0.0.0/7", "1.0.0.0/8", "20.0.0.0/8", "13.0.0.0/8", "52.0.0.0/8"],
            "access": "Allow", "priority": 65001, "direction": "Outbound"}"#
            .to_string(),
        effective_rule("defaultSecurityRules/DenyAllOutBound", 65500, "Deny", "All", "0-65535", "0.0.0.0/0"),
    ]
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn effective_list_with_value_wrapper_and_bare_array() {
    let one = effective("nic-nsg", "nic", &default_outbound());
    let wrapped = parse_nsgs(&format!(r#"{{"value": [{one}], "nextLink": null}}"#)).unwrap();
    let bare = parse_nsgs(&format!("[{one}]")).unwrap();
    assert_eq!(wrapped, bare);
    let nsg = &wrapped[0];
    assert_eq!(nsg.name, "nic-nsg");
    assert_eq!(nsg.applied_to, AppliedTo::Nic);
    assert_eq!(nsg.rules.len(), 3);
    let internet = &nsg.rules[1];
    assert_eq!(internet.protocol, Protocol::Any);
    assert_eq!(
        internet.destination_prefixes,
        vec![Prefix::Tag(TagName::new("Internet"))]
    );
    assert_eq!(internet.expanded_destination.len(), 7);
    // 0.0.0.0/0 is every IPv4 address, not "any" of both families.
    assert_eq!(
        nsg.rules[2].destination_prefixes,
        vec![Prefix::Block(Block::parse("0.0.0.0/0").unwrap())]
    );
}

#[test]
fn nsg_show_rest_body_and_flattened() {
    let rest = r#"{
      "name": "testnsg",
      "id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg",
      "type": "Microsoft.Network/networkSecurityGroups",
      "location": "westus",
      "properties": {
        "provisioningState": "Succeeded",
        "securityRules": [
          {"name": "rule1", "id": "x/securityRules/rule1",
           "properties": {"provisioningState": "Succeeded", "protocol": "*",
             "sourcePortRange": "*", "destinationPortRange": "80",
             "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
             "access": "Allow", "priority": 130, "direction": "Inbound"}}
        ],
        "defaultSecurityRules": [
          {"name": "AllowInternetOutBound", "id": "x/defaultSecurityRules/AllowInternetOutBound",
           "properties": {"description": "Allow outbound traffic from all VMs to Internet",
             "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "*",
             "sourceAddressPrefix": "*", "destinationAddressPrefix": "Internet",
             "access": "Allow", "priority": 65001, "direction": "Outbound"}}
        ],
        "subnets": [{"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s1"}]
      }
    }"#;
    let flat = r#"{
      "name": "testnsg",
      "id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/testnsg",
      "securityRules": [
        {"name": "rule1", "protocol": "*", "sourcePortRange": "*", "destinationPortRange": "80",
         "sourceAddressPrefix": "*", "destinationAddressPrefix": "*", "access": "Allow",
         "priority": 130, "direction": "Inbound", "sourcePortRanges": [], "destinationPortRanges": [],
         "sourceAddressPrefixes": [], "destinationAddressPrefixes": []}
      ],
      "defaultSecurityRules": [
        {"name": "AllowInternetOutBound", "protocol": "*", "sourcePortRange": "*",
         "destinationPortRange": "*", "sourceAddressPrefix": "*",
         "destinationAddressPrefix": "Internet", "access": "Allow", "priority": 65001,
         "direction": "Outbound"}
      ],
      "subnets": [{"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v/subnets/s1"}]
    }"#;
    let a = parse_nsgs(rest).unwrap();
    let b = parse_nsgs(flat).unwrap();
    assert_eq!(a, b);
    assert_eq!(a[0].name, "testnsg");
    assert_eq!(a[0].applied_to, AppliedTo::Subnet);
    assert_eq!(
        a[0].rules[0].destination_ports,
        vec![PortRange {
            first: 80,
            last: 80
        }]
    );
    assert_eq!(a[0].rules[1].direction, Direction::Outbound);
    // az network nsg list: a bare array of them.
    assert_eq!(parse_nsgs(&format!("[{rest}, {flat}]")).unwrap().len(), 2);
}

#[test]
fn deny_at_lower_priority_beats_allow() {
    let mut rules = default_outbound();
    rules.push(effective_rule(
        "securityRules/AllowHttps",
        200,
        "Allow",
        "Tcp",
        "443",
        "*",
    ));
    rules.push(effective_rule(
        "securityRules/DenyBlob",
        100,
        "Deny",
        "Tcp",
        "443-443",
        "20.60.0.0/16",
    ));
    let nsgs = parse_nsgs(&format!("[{}]", effective("nic-nsg", "nic", &rules))).unwrap();
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("20.60.1.2"), 443), &NoTags);
    assert_eq!(e.allowed(), Some(false));
    let d = &e.steps[0];
    assert_eq!(d.rule.as_deref(), Some("securityRules/DenyBlob"));
    assert_eq!(d.priority, Some(100));
    assert_eq!(d.outcome, NsgOutcome::Deny);
    // Elsewhere the allow at 200 decides.
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("20.61.1.2"), 443), &NoTags);
    assert_eq!(e.allowed(), Some(true));
    assert_eq!(e.steps[0].rule.as_deref(), Some("securityRules/AllowHttps"));
}

#[test]
fn port_lists_ranges_star_and_protocol() {
    let rule = r#"{"name": "securityRules/DenySome", "protocol": "Tcp",
        "sourcePortRange": "*", "destinationPortRange": "",
        "destinationPortRanges": ["80", "8000-8100", "9443"],
        "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
        "access": "Deny", "priority": 100, "direction": "Outbound"}"#
        .to_string();
    let udp = effective_rule("securityRules/DenyUdp", 110, "Deny", "Udp", "*", "*");
    let mut rules = default_outbound();
    rules.push(rule);
    rules.push(udp);
    let nsgs = parse_nsgs(&format!("[{}]", effective("n", "nic", &rules))).unwrap();
    let verdict = |port| {
        let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.1.2.3"), port), &NoTags);
        (e.allowed(), e.steps[0].rule.clone().unwrap())
    };
    assert_eq!(verdict(80), (Some(false), "securityRules/DenySome".into()));
    assert_eq!(
        verdict(8050),
        (Some(false), "securityRules/DenySome".into())
    );
    assert_eq!(
        verdict(9443),
        (Some(false), "securityRules/DenySome".into())
    );
    // TCP 443 skips the TCP list and the UDP rule, and reaches AllowInternetOutBound.
    assert_eq!(
        verdict(443),
        (
            Some(true),
            "defaultSecurityRules/AllowInternetOutBound".into()
        )
    );
    let mut f = Flow::tcp(ip("52.1.2.3"), 443);
    f.protocol = Protocol::Udp;
    let e = evaluate_outbound(&nsgs, &f, &NoTags);
    assert_eq!(e.steps[0].rule.as_deref(), Some("securityRules/DenyUdp"));
}

#[test]
fn service_tag_through_closure_and_through_expanded_list() {
    let mut rules = default_outbound();
    rules.push(effective_rule(
        "securityRules/AllowRecovery",
        100,
        "Allow",
        "Tcp",
        "443",
        "AzureSiteRecovery",
    ));
    rules.push(effective_rule(
        "securityRules/DenyOther443",
        200,
        "Deny",
        "Tcp",
        "443",
        "*",
    ));
    let nsgs = parse_nsgs(&format!("[{}]", effective("n", "nic", &rules))).unwrap();
    let asr =
        TagFn(|tag: &str, a: IpAddr| (tag == "AzureSiteRecovery").then(|| a == ip("13.69.1.1")));
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("13.69.1.1"), 443), &asr);
    assert_eq!(e.allowed(), Some(true));
    assert_eq!(
        e.steps[0].rule.as_deref(),
        Some("securityRules/AllowRecovery")
    );
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("13.69.9.9"), 443), &asr);
    assert_eq!(
        e.steps[0].rule.as_deref(),
        Some("securityRules/DenyOther443")
    );
    // The caller cannot tell: not evaluable, and said so.
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("13.69.1.1"), 443), &NoTags);
    assert_eq!(e.allowed(), None);
    assert!(
        e.steps[0].outcome == NsgOutcome::CannotTell
            && e.notes
                == vec![NsgNote::TagUnknown {
                    tag: TagName::new("AzureSiteRecovery"),
                    why: TagUnknown::NotInData,
                    address: ip("13.69.1.1"),
                }]
    );

    // With an expanded list the closure is not needed.
    let expanded = r#"{"name": "securityRules/AllowStorage", "protocol": "Tcp",
        "sourcePortRange": "0-65535", "destinationPortRange": "443-443",
        "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": "Storage.WestEurope",
        "expandedDestinationAddressPrefix": ["20.60.0.0/16", "52.239.140.0/22"],
        "access": "Allow", "priority": 100, "direction": "Outbound"}"#;
    let deny = effective_rule("securityRules/DenyAll", 150, "Deny", "All", "*", "*");
    let nsgs = parse_nsgs(&format!(
        "[{}]",
        effective("n", "nic", &[expanded.to_string(), deny])
    ))
    .unwrap();
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.239.141.7"), 443), &NoTags);
    assert_eq!(e.allowed(), Some(true));
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.239.150.7"), 443), &NoTags);
    assert_eq!(e.steps[0].rule.as_deref(), Some("securityRules/DenyAll"));
}

#[test]
fn virtual_network_and_internet_without_expansion_are_approximated_and_said() {
    let rules = vec![
        effective_rule(
            "defaultSecurityRules/AllowVnetOutBound",
            65000,
            "Allow",
            "All",
            "*",
            "VirtualNetwork",
        ),
        effective_rule(
            "defaultSecurityRules/AllowInternetOutBound",
            65001,
            "Allow",
            "All",
            "*",
            "Internet",
        ),
        effective_rule(
            "defaultSecurityRules/DenyAllOutBound",
            65500,
            "Deny",
            "All",
            "*",
            "*",
        ),
        effective_rule(
            "securityRules/AllowProbe",
            300,
            "Allow",
            "Tcp",
            "*",
            "AzureLoadBalancer",
        ),
    ];
    let nsgs = parse_nsgs(&format!("[{}]", effective("n", "nic", &rules))).unwrap();
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("10.2.3.4"), 445), &NoTags);
    assert_eq!(
        e.steps[0].rule.as_deref(),
        Some("defaultSecurityRules/AllowVnetOutBound")
    );
    assert!(e.notes.contains(&NsgNote::VirtualNetworkAsPrivate));
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("40.1.2.3"), 443), &NoTags);
    assert_eq!(
        e.steps[0].rule.as_deref(),
        Some("defaultSecurityRules/AllowInternetOutBound")
    );
    assert!(e.notes.contains(&NsgNote::InternetAsPublic));
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("168.63.129.16"), 80), &NoTags);
    assert_eq!(e.steps[0].rule.as_deref(), Some("securityRules/AllowProbe"));
    // 100.64/10 is neither: the deny-all decides.
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("100.64.0.1"), 443), &NoTags);
    assert_eq!(e.allowed(), Some(false));
}

#[test]
fn nic_then_subnet_both_must_allow() {
    let mut subnet_rules = default_outbound();
    subnet_rules.push(effective_rule(
        "securityRules/DenyHttpsOut",
        100,
        "Deny",
        "Tcp",
        "443",
        "Internet",
    ));
    let mut nic_rules = default_outbound();
    nic_rules.push(effective_rule(
        "securityRules/AllowHttpsOut",
        100,
        "Allow",
        "Tcp",
        "443",
        "*",
    ));
    // Subnet listed first: evaluation still starts with the NIC's NSG.
    let json = format!(
        r#"{{"value": [{}, {}]}}"#,
        effective("subnet-nsg", "subnet", &subnet_rules),
        effective("nic-nsg", "nic", &nic_rules)
    );
    let nsgs = parse_nsgs(&json).unwrap();
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.1.2.3"), 443), &NoTags);
    assert_eq!(e.allowed(), Some(false));
    assert_eq!(e.steps.len(), 2);
    assert_eq!(e.steps[0].nsg, "nic-nsg");
    assert_eq!(e.steps[0].outcome, NsgOutcome::Allow);
    assert_eq!(e.steps[1].nsg, "subnet-nsg");
    assert_eq!(
        e.steps[1].rule.as_deref(),
        Some("securityRules/DenyHttpsOut")
    );
    // A NIC deny stops there.
    let mut nic_deny = default_outbound();
    nic_deny.push(effective_rule(
        "securityRules/DenyAll",
        100,
        "Deny",
        "All",
        "*",
        "*",
    ));
    let json = format!(
        "[{}, {}]",
        effective("subnet-nsg", "subnet", &default_outbound()),
        effective("nic-nsg", "nic", &nic_deny)
    );
    let e = evaluate_outbound(
        &parse_nsgs(&json).unwrap(),
        &Flow::tcp(ip("52.1.2.3"), 443),
        &NoTags,
    );
    assert_eq!((e.allowed(), e.steps.len()), (Some(false), 1));
    // Both allow.
    let json = format!(
        "[{}, {}]",
        effective("subnet-nsg", "subnet", &default_outbound()),
        effective("nic-nsg", "nic", &default_outbound())
    );
    let e = evaluate_outbound(
        &parse_nsgs(&json).unwrap(),
        &Flow::tcp(ip("52.1.2.3"), 443),
        &NoTags,
    );
    assert_eq!((e.allowed(), e.steps.len()), (Some(true), 2));
    // No NSG at all: nothing filters.
    assert_eq!(
        evaluate_outbound(&[], &Flow::tcp(ip("52.1.2.3"), 443), &NoTags).allowed(),
        Some(true)
    );
}

#[test]
fn application_security_group_is_not_evaluable() {
    let json = r#"{"name": "nsg1", "properties": {"securityRules": [
        {"name": "AllowToAppServers", "properties": {"protocol": "Tcp",
          "sourcePortRange": "*", "destinationPortRange": "443",
          "sourceAddressPrefix": "*",
          "destinationApplicationSecurityGroups": [{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/app-servers"}],
          "access": "Allow", "priority": 100, "direction": "Outbound"}}
      ], "defaultSecurityRules": []}}"#;
    let nsgs = parse_nsgs(json).unwrap();
    assert_eq!(nsgs[0].applied_to, AppliedTo::Unknown);
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("10.0.0.5"), 443), &NoTags);
    assert_eq!(e.allowed(), None);
    assert_eq!(e.steps[0].priority, Some(100));
    assert!(
        e.steps[0].outcome == NsgOutcome::CannotTell
            && e.notes
                == vec![NsgNote::AsgMembership {
                    asg: "app-servers".into()
                }]
    );
    // Another port never reaches the ASG question.
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("10.0.0.5"), 80), &NoTags);
    assert_eq!(e.steps[0].outcome, NsgOutcome::NoRuleMatched);
    assert_eq!(e.steps[0].rule, None);
    // A public destination (an Azure service) is in no group: the rule does
    // not match, and the result says why.
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.1.2.3"), 443), &NoTags);
    assert_eq!(e.steps[0].outcome, NsgOutcome::NoRuleMatched);
    assert!(
        e.notes.contains(&NsgNote::AsgNotPublic {
            asg: "app-servers".into(),
            rule: "AllowToAppServers".into(),
            address: ip("52.1.2.3"),
        }),
        "{:?}",
        e.notes
    );
}

#[test]
fn source_asg_is_not_evaluable_even_without_the_vm_address() {
    let json = r#"[{"name": "nsg1", "securityRules": [
        {"name": "DenyFromDb", "protocol": "*", "sourcePortRange": "*",
         "destinationPortRange": "*", "destinationAddressPrefix": "*",
         "sourceApplicationSecurityGroups": [{"id": "/x/applicationSecurityGroups/db"}],
         "access": "Deny", "priority": 100, "direction": "Outbound"}]}]"#;
    let nsgs = parse_nsgs(json).unwrap();
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("52.1.2.3"), 443), &NoTags);
    assert!(
        e.steps[0].outcome == NsgOutcome::CannotTell
            && e.notes == vec![NsgNote::AsgMembership { asg: "db".into() }]
    );
}

#[test]
fn reference_example_association_naming_nic_and_subnet_is_unknown() {
    // As in the API reference example: one entry associated with a network manager,
    // a subnet and a NIC at once; asrscope does not guess which.
    let json = r#"{"value": [{
        "networkSecurityGroup": {"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/test-nsg"},
        "association": {
          "networkManager": {"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkManagers/nm1"},
          "subnet": {"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/rg1-vnet/subnets/default"},
          "networkInterface": {"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/nic1"}
        },
        "effectiveSecurityRules": [
          {"name": "securityRules/rule1", "protocol": "Tcp", "sourcePortRange": "456-456",
           "destinationPortRange": "6579-6579", "sourceAddressPrefix": "0.0.0.0/32",
           "destinationAddressPrefix": "0.0.0.0/32", "access": "Allow", "priority": 234,
           "direction": "Inbound"}
        ],
        "tagMap": {"Storage.WestEurope": ["20.60.0.0/16"]}
    }]}"#;
    let nsgs = parse_nsgs(json).unwrap();
    assert_eq!(nsgs[0].name, "test-nsg");
    assert_eq!(nsgs[0].applied_to, AppliedTo::Unknown);
    assert_eq!(
        nsgs[0].rules[0].source_ports,
        vec![PortRange {
            first: 456,
            last: 456
        }]
    );
    assert_eq!(
        nsgs[0].rules[0].destination_prefixes,
        vec![Prefix::Block(Block::parse("0.0.0.0/32").unwrap())]
    );
    assert_eq!(
        nsgs[0].tag_map[&TagName::new("storage.westeurope")],
        vec![Block::parse("20.60.0.0/16").unwrap()]
    );
}

#[test]
fn service_tag_through_the_effective_tag_map() {
    let rules = [
        effective_rule(
            "securityRules/AllowStorage",
            100,
            "Allow",
            "Tcp",
            "443",
            "Storage.WestEurope",
        ),
        effective_rule("securityRules/DenyAll", 200, "Deny", "All", "*", "*"),
    ];
    let json = format!(
        r#"[{}]"#,
        effective("n", "nic", &rules).replacen(
            "\"effectiveSecurityRules\"",
            r#""tagMap": {"Storage.WestEurope": ["20.60.0.0/16"]}, "effectiveSecurityRules""#,
            1
        )
    );
    let nsgs = parse_nsgs(&json).unwrap();
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("20.60.3.4"), 443), &NoTags);
    assert_eq!(
        e.steps[0].rule.as_deref(),
        Some("securityRules/AllowStorage")
    );
    let e = evaluate_outbound(&nsgs, &Flow::tcp(ip("20.61.3.4"), 443), &NoTags);
    assert_eq!(e.steps[0].rule.as_deref(), Some("securityRules/DenyAll"));
}

#[test]
fn source_prefix_is_checked_when_the_vm_address_is_known() {
    let rule = r#"{"name": "securityRules/DenyFromWeb", "protocol": "Tcp",
        "sourcePortRange": "*", "destinationPortRange": "*",
        "sourceAddressPrefix": "10.1.2.0/24", "destinationAddressPrefix": "*",
        "access": "Deny", "priority": 100, "direction": "Outbound"}"#;
    let mut rules = default_outbound();
    rules.push(rule.to_string());
    let nsgs = parse_nsgs(&format!("[{}]", effective("n", "nic", &rules))).unwrap();
    let mut f = Flow::tcp(ip("52.1.2.3"), 443);
    f.source = Some(ip("10.1.3.4"));
    assert_eq!(evaluate_outbound(&nsgs, &f, &NoTags).allowed(), Some(true));
    f.source = Some(ip("10.1.2.4"));
    assert_eq!(evaluate_outbound(&nsgs, &f, &NoTags).allowed(), Some(false));
}

#[test]
fn bad_json_gives_one_line_naming_what_was_expected() {
    let e = parse_nsgs("{not json").unwrap_err();
    assert!(e.to_string().starts_with("not JSON"), "{e}");
    let e = parse_nsgs(r#"{"value": 3}"#).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("az network nic list-effective-nsg"), "{text}");
    assert!(text.contains("az network nsg show"), "{text}");
    assert!(!text.contains('\n'));
    let e = parse_nsgs(
        r#"[{"effectiveSecurityRules": [{"name": "r1", "protocol": "Tcp",
        "sourcePortRange": "*", "destinationPortRange": "443",
        "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
        "access": "Maybe", "priority": 1, "direction": "Outbound"}]}]"#,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "security rule \"r1\": access \"Maybe\" is neither Allow nor Deny"
    );
    let e = parse_nsgs(
        r#"[{"effectiveSecurityRules": [{"name": "r2", "protocol": "Tcp",
        "sourcePortRange": "*", "destinationPortRange": "http",
        "sourceAddressPrefix": "*", "destinationAddressPrefix": "*",
        "access": "Allow", "priority": 1, "direction": "Outbound"}]}]"#,
    )
    .unwrap_err();
    assert!(e.to_string().contains("\"http\" is not a port"), "{e}");
}

#[test]
fn a_flow_is_evaluated_against_the_rules_that_could_match_it_not_all_of_them() {
    // 100,000 /32 denies, the default rules, and a few rules on tags and `*`.
    let mut rules: Vec<String> = (0..100_000u32)
        .map(|i| {
            let a = std::net::Ipv4Addr::from(0x0d00_0000 + i * 7);
            effective_rule(
                &format!("securityRules/Deny-{i}"),
                100 + i % 3900,
                "Deny",
                "Tcp",
                "443",
                &format!("{a}/32"),
            )
        })
        .collect();
    rules.extend(default_outbound());
    rules.push(effective_rule(
        "securityRules/Allow-Recovery",
        4000,
        "Allow",
        "Tcp",
        "443",
        "AzureSiteRecovery",
    ));
    let nsgs = Nsgs::new(parse_nsgs(&format!("[{}]", effective("big", "nic", &rules))).unwrap());
    let asr =
        TagFn(|tag: &str, a: IpAddr| (tag == "AzureSiteRecovery").then(|| a == ip("13.0.0.7")));
    // A denied address: its /32, the tag rule, the defaults that hold it.
    let counts = nsgs.candidate_counts(ip("13.0.0.7"), &asr);
    assert!(counts[0] <= 4, "{counts:?}");
    let v = nsgs.evaluate(&Flow::tcp(ip("13.0.0.7"), 443), &asr);
    assert_eq!(
        v.deciding().and_then(|d| d.rule.as_deref()),
        Some("securityRules/Deny-1")
    );
    // An address no /32 holds.
    let counts = nsgs.candidate_counts(ip("13.0.0.8"), &asr);
    assert!(counts[0] <= 3, "{counts:?}");
    let v = nsgs.evaluate(&Flow::tcp(ip("13.0.0.8"), 443), &asr);
    assert_eq!(
        v.deciding().and_then(|d| d.rule.as_deref()),
        Some("defaultSecurityRules/AllowInternetOutBound")
    );
}

/// Only rules that name a platform service's tag apply to it: a deny of
/// everything does not, an allow naming the tag before a deny naming it
/// wins in its NSG, and a deny in the subnet's NSG still denies after the
/// NIC's allows (each NSG must let it out).
#[test]
fn platform_tags_are_read_by_name_in_each_nsg() {
    let mut nic = vec![
        effective_rule(
            "securityRules/AllowImds",
            150,
            "Allow",
            "Tcp",
            "80-80",
            "azureplatformimds",
        ),
        effective_rule(
            "securityRules/DenyImds",
            200,
            "Deny",
            "All",
            "0-65535",
            "AzurePlatformIMDS",
        ),
        effective_rule(
            "securityRules/DenyAll",
            300,
            "Deny",
            "All",
            "0-65535",
            "0.0.0.0/0",
        ),
    ];
    nic.extend(default_outbound());
    let nsgs = parse_nsgs(&format!("[{}]", effective("nic-nsg", "nic", &nic))).unwrap();
    let nsgs = Nsgs::new(nsgs);
    let rules = platform::rules_for(&nsgs, "AzurePlatformIMDS", Protocol::Tcp, 80);
    assert_eq!(rules.len(), 1);
    assert_eq!(
        (rules[0].rule, rules[0].access),
        ("securityRules/AllowImds", Access::Allow)
    );
    // Not one rule names AzurePlatformDNS: the deny of everything is not one.
    assert!(platform::rules_for(&nsgs, "AzurePlatformDNS", Protocol::Udp, 53).is_empty());
    // The same deny in the subnet's NSG, after the NIC's allow.
    let mut subnet = vec![effective_rule(
        "securityRules/DenyImds",
        400,
        "Deny",
        "Tcp",
        "80-80",
        "AzurePlatformIMDS",
    )];
    subnet.extend(default_outbound());
    let both = format!(
        "[{}, {}]",
        effective("subnet-nsg", "subnet", &subnet),
        effective("nic-nsg", "nic", &nic)
    );
    let nsgs = Nsgs::new(parse_nsgs(&both).unwrap());
    let rules = platform::rules_for(&nsgs, "AzurePlatformIMDS", Protocol::Tcp, 80);
    let order: Vec<(&str, Access)> = rules
        .iter()
        .map(|r| (r.nsg.name.as_str(), r.access))
        .collect();
    assert_eq!(
        order,
        [("nic-nsg", Access::Allow), ("subnet-nsg", Access::Deny)]
    );
    // In the evaluation of a flow, the tags stand for their addresses alone.
    let imds = Flow::tcp(ip("169.254.169.254"), 80);
    let v = evaluate_outbound(nsgs.list(), &imds, &NoTags);
    assert_eq!(v.outcome(), NsgOutcome::Deny);
    let storage = Flow::tcp(ip("13.68.163.36"), 80);
    let v = evaluate_outbound(nsgs.list(), &storage, &NoTags);
    assert_ne!(v.outcome(), NsgOutcome::CannotTell, "{v:#?}");
}
