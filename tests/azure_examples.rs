//! Azure configuration as Azure evaluates it: Microsoft's own example exports
//! (`tests/data/microsoft/`, verbatim from the REST API specification) in
//! every shape a user has them, and exports in `az`'s shapes for each way
//! the evaluation or its advice can go wrong.

mod common;

use asrscope::azure::tags::TagDb;
use asrscope::model::RouteOrigin;
use common::{analyze, az_flat, data, microsoft_body, requirement, run};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// A scratch directory, removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("asrscope-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    fn write(&self, name: &str, v: &Value) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
        p.to_string_lossy().to_string()
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `asrscope check --format json` for East US → Central US with `extra`.
fn check(extra: &[&str]) -> (i32, Value) {
    let (code, v, _) = common::check_json(extra);
    (code, v)
}

/// An `az network nsg show` export (flattened) of one NSG with `rules`
/// (outbound, TCP) before the six default rules; `placed` is
/// `networkInterfaces` or `subnets`.
fn nsg_show(name: &str, placed: &str, rules: &[Value]) -> Value {
    let mut nsg = az_flat(&microsoft_body("NetworkSecurityGroupGet"));
    nsg["name"] = json!(name);
    nsg["id"] = json!(format!(
        "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkSecurityGroups/{name}"
    ));
    nsg["securityRules"] = Value::Array(rules.to_vec());
    nsg[placed] = json!([{"id": format!("/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/{placed}/{name}-target")}]);
    nsg
}

/// One rule as `az network nsg show` prints it.
fn rule(name: &str, priority: u32, access: &str, destination: &str) -> Value {
    json!({
        "name": name, "priority": priority, "access": access, "direction": "Outbound",
        "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "443",
        "sourceAddressPrefix": "*", "destinationAddressPrefix": destination,
        "sourcePortRanges": [], "destinationPortRanges": [],
        "sourceAddressPrefixes": [], "destinationAddressPrefixes": [],
        "provisioningState": "Succeeded", "resourceGroup": "rg1"
    })
}

/// A route table as `az network route-table show` prints it.
fn route_table(routes: &[(&str, &str, &str)]) -> Value {
    let mut t = az_flat(&microsoft_body("RouteTableGet"));
    t["routes"] = routes
        .iter()
        .map(|(name, prefix, hop)| {
            let mut r = json!({"name": name, "addressPrefix": prefix, "nextHopType": hop,
                "provisioningState": "Succeeded", "resourceGroup": "rg1"});
            if hop.starts_with("VirtualAppliance") {
                r["nextHopIpAddress"] = json!("10.0.100.4");
            }
            r
        })
        .collect();
    t
}

#[test]
fn microsoft_examples_read_alike_in_every_shape() {
    use asrscope::azure::{nsg::parse_nsgs, routes::parse_routes};
    let s = |v: &Value| v.to_string();
    // nsg show and route-table show: the REST body and az's flattened output.
    for (name, is_nsg) in [("NetworkSecurityGroupGet", true), ("RouteTableGet", false)] {
        let rest = microsoft_body(name);
        let flat = az_flat(&rest);
        assert!(flat.get("properties").is_none());
        if is_nsg {
            let (a, b) = (
                parse_nsgs(&s(&rest)).unwrap(),
                parse_nsgs(&s(&flat)).unwrap(),
            );
            assert_eq!(a, b);
            assert_eq!(a[0].name, "testnsg");
            assert_eq!(a[0].rules.len(), 7);
        } else {
            let (a, b) = (
                parse_routes(&s(&rest)).unwrap(),
                parse_routes(&s(&flat)).unwrap(),
            );
            assert_eq!(a, b);
            assert_eq!(a[0].name.as_deref(), Some("route1"));
            assert_eq!(a[0].origin, RouteOrigin::Table);
        }
    }
    // The effective lists: the body as az prints it, and the bare array.
    let nsgs = microsoft_body("NetworkInterfaceEffectiveNSGList");
    assert_eq!(
        parse_nsgs(&s(&nsgs)).unwrap(),
        parse_nsgs(&s(&nsgs["value"])).unwrap()
    );
    let routes = microsoft_body("NetworkInterfaceEffectiveRouteTableList");
    let r = parse_routes(&s(&routes)).unwrap();
    assert_eq!(r, parse_routes(&s(&routes["value"])).unwrap());
    assert_eq!(r.len(), 6);
    assert_eq!(r[0].origin, RouteOrigin::Effective);
}

#[test]
fn a_route_table_as_written_is_combined_with_the_system_routes() {
    let dir = Scratch::new("rt-system");
    let nsg = dir.write(
        "nsg.json",
        &az_flat(&microsoft_body("NetworkSecurityGroupGet")),
    );
    for (shape, table) in [
        ("rest", microsoft_body("RouteTableGet")),
        ("az", az_flat(&microsoft_body("RouteTableGet"))),
    ] {
        let rt = dir.write(&format!("rt-{shape}.json"), &table);
        let (code, v) = check(&["--nsg", &nsg, "--routes", &rt]);
        assert_eq!(code, 0, "{shape}: {v}");
        for r in v["requirements"].as_array().unwrap() {
            // Azure's answer: every Site Recovery address goes out through
            // the system route 0.0.0.0/0 to the internet; the one user route
            // (10.0.3.0/24 to a VPN gateway) holds none of them.
            assert_eq!(r["status"], "ok", "{shape}: {r}");
            assert_eq!(r["route"]["next_hop"], "Internet", "{r}");
            assert_eq!(r["route"]["prefix"], "0.0.0.0/0", "{r}");
            assert_eq!(r["route"]["source"], "Default", "{r}");
            assert_eq!(r["route"]["assumed"], true, "{r}");
            assert_eq!(r["fixes"], json!([]), "{r}");
        }
        let notes = v["notes"].as_array().unwrap();
        assert_eq!(notes.len(), 1, "{v}");
        assert!(notes[0].to_string().contains("system routes"), "{v}");
    }
    // The effective routes are the whole table: nothing is assumed.
    let eff = dir.write(
        "eff.json",
        &microsoft_body("NetworkInterfaceEffectiveRouteTableList"),
    );
    let (code, v) = check(&["--nsg", &nsg, "--routes", &eff]);
    assert_eq!(code, 0, "{v}");
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["route"]["next_hop"], "Internet");
    assert_eq!(s["route"]["assumed"], false);
    // A flow the capture shows blocked, with NSGs that allow it: the route
    // table as written does not drop it, so the finding looks past the NSG
    // to a firewall or proxy, not at a route.
    let rt = dir.write("rt.json", &az_flat(&microsoft_body("RouteTableGet")));
    let allow = data("nsg-allow-all.json");
    let (_, v) = analyze(
        "syn-dropped.pcap",
        &[
            "--source-region",
            "eastus",
            "--target-region",
            "centralus",
            "--nsg",
            &allow,
            "--routes",
            &rt,
        ],
    );
    let f = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endpoint"] == "monitoring")
        .unwrap();
    assert_eq!(
        f["fixes"][0],
        json!({"kind": "look-past-the-nsg", "to": {"to": "path"}})
    );
    assert!(
        !f["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "correct-route"),
        "{f}"
    );
    let text = f.to_string();
    assert!(
        text.contains("the route 0.0.0.0/0 goes to Internet"),
        "{text}"
    );
}

#[test]
fn service_tag_routes_are_ranked_as_azure_ranks_them() {
    let dir = Scratch::new("rt-tags");
    let nsg = data("nsg-allow-all.json");
    // Storage to an appliance and Storage.EastUS to the internet: on an
    // exact match the regional tag wins.
    let rt = dir.write(
        "rt.json",
        &route_table(&[
            ("storage-fw", "Storage", "VirtualAppliance"),
            ("storage-eastus", "Storage.EastUS", "Internet"),
        ]),
    );
    let (code, v) = check(&["--nsg", &nsg, "--routes", &rt]);
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["status"], "ok", "{s}");
    assert_eq!(s["route"]["name"], "storage-eastus", "{s}");
    assert_eq!(s["route"]["prefix"], "Storage.EastUS");
    assert_eq!(code, 0);
    // A tag route is as long as the tag's prefix holding the address: the
    // AzureCloud prefix of a Storage.EastUS address is longer than the /8
    // holding it, so the tag route wins over the explicit /8.
    let tags = TagDb::embedded();
    let (addr, _) = tags.v4_prefixes("Storage.EastUS")[0];
    let ip = std::net::IpAddr::V4(addr);
    let slash8 = format!("{}.0.0.0/8", addr.octets()[0]);
    let cloud_len = tags
        .prefixes_of("AzureCloud")
        .into_iter()
        .filter(|b| b.contains(ip))
        .map(|b| b.prefix_len())
        .max()
        .unwrap();
    assert!(cloud_len > 8, "precondition: {cloud_len}");
    let rt = dir.write(
        "rt2.json",
        &route_table(&[
            ("cloud-fw", "AzureCloud", "VirtualAppliance"),
            ("eight", &slash8, "Internet"),
        ]),
    );
    let (_, v) = check(&["--nsg", &nsg, "--routes", &rt]);
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["status"], "via-appliance", "{s}");
    assert_eq!(s["route"]["name"], "cloud-fw", "{s}");
}

#[test]
fn tag_names_are_taken_ignoring_case() {
    let dir = Scratch::new("tag-case");
    for written in ["storage.eastus", "Storage.EastUS", "STORAGE.EASTUS"] {
        let nsg = dir.write(
            "nsg.json",
            &nsg_show(
                "vm-nsg",
                "networkInterfaces",
                &[rule("Deny-Storage", 100, "Deny", written)],
            ),
        );
        let (code, v) = check(&["--nsg", &nsg]);
        assert_eq!(code, 1, "{written}");
        let s = requirement(&v, "cache-storage");
        assert_eq!(s["status"], "denied", "{written}: {s}");
        assert_eq!(s["denied"], s["prefixes"], "{written}");
        assert_eq!(s["nsg"]["rule"], "Deny-Storage");
        assert_eq!(requirement(&v, "azure-ad")["status"], "ok");
    }
}

#[test]
fn another_clouds_tag_data_gives_no_verdict() {
    let nsg = data("nsg-allow-all.json");
    let (code, out, err) = run(&[
        "check",
        "--cloud",
        "usgov",
        "--source-region",
        "usgovvirginia",
        "--target-region",
        "usgovtexas",
        "--nsg",
        &nsg,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    for r in v["requirements"].as_array().unwrap() {
        assert_eq!(r["status"], "unknown", "{r}");
        assert_eq!(r["prefixes"], 0, "{r}");
        assert_eq!(r["fixes"][0]["kind"], "service-tags-file", "{r}");
        assert_eq!(
            r["fixes"][0]["file"], "ServiceTags_AzureGovernment_*.json",
            "{r}"
        );
    }
    assert!(v["notes"][0].as_str().unwrap().contains("Public"), "{v}");
    // requirements: whether the tag exists cannot be told from the public
    // data.
    let req = |extra: &[&str]| {
        let mut args = vec![
            "requirements",
            "--cloud",
            "usgov",
            "--source-region",
            "usgovvirginia",
            "--target-region",
            "usgovtexas",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        serde_json::from_str::<Value>(&out).unwrap()
    };
    let v = req(&[]);
    for r in v["nsg_rules"].as_array().unwrap() {
        assert!(r["tag_known"].is_null(), "{r}");
    }
    // With Azure Government's data, the same command can tell.
    let dir = Scratch::new("gov-tags");
    let Some(gov) = common::government_tag_file(dir.path()) else {
        common::skip(&common::no_shared("servicetags/ServiceTags_Public.json"));
        return;
    };
    let gov = gov.to_string_lossy().to_string();
    let v = req(&["--service-tags", &gov]);
    let known: Vec<&Value> = v["nsg_rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["tag"] == "AzureActiveDirectory")
        .collect();
    assert!(known.iter().all(|r| r["tag_known"] == true), "{known:?}");
    // And check judges from it.
    let (code, out, err) = run(&[
        "check",
        "--cloud",
        "usgov",
        "--source-region",
        "usgovvirginia",
        "--target-region",
        "usgovtexas",
        "--nsg",
        &nsg,
        "--service-tags",
        &gov,
        "--format",
        "json",
    ]);
    assert!(code == 0 || code == 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(requirement(&v, "azure-ad")["status"], "ok");
}

#[test]
fn a_network_manager_is_said_where_the_verdict_depends_on_it() {
    let dir = Scratch::new("avnm");
    let eff = dir.write(
        "eff.json",
        &microsoft_body("NetworkInterfaceEffectiveNSGList"),
    );
    let (code, v) = check(&["--nsg", &eff]);
    assert_eq!(code, 1);
    assert!(
        v["notes"]
            .to_string()
            .contains("Virtual Network Manager nm1"),
        "{v}"
    );
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["nsg"]["network_manager"], "nm1", "{s}");
    assert!(s["evidence"].to_string().contains("nm1"), "{s}");
    assert!(
        s["fixes"]
            .as_array()
            .unwrap()
            .contains(&json!({"kind": "network-manager-rules", "manager": "nm1",
                "vnet": {"resource_group": "rg1", "name": "rg1-vnet"}})),
        "{s}"
    );
    // The VM's virtual network, from the subnet the export's association
    // names, fills the command that exports the admin rules.
    assert!(
        s["fix"].to_string().contains(
            "az network manager list-effective-security-admin-rule --resource-group 'rg1' --vnet-name 'rg1-vnet' > admin-rules.json"
        ),
        "{s}"
    );
    // The example's effective list has no DenyAllOutBound: addresses
    // outside its Internet list match no rule, which is said, not guessed.
    assert_eq!(s["status"], "unknown", "{s}");
    assert!(s["evidence"].to_string().contains("DenyAllOutBound"), "{s}");
    // Addresses inside the example's Internet list are allowed by it.
    assert!(s["nsg"]["steps"].is_array());
    let (text_code, text, _) = run(&[
        "check",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--nsg",
        &eff,
    ]);
    assert_eq!(text_code, 1);
    assert!(text.contains("Virtual Network Manager nm1"), "{text}");
}

#[test]
fn every_nsg_on_the_path_is_named_with_its_rule() {
    let dir = Scratch::new("two-nsgs");
    let nic = nsg_show(
        "vm01-nic-nsg",
        "networkInterfaces",
        &[
            rule("Allow-Storage", 100, "Allow", "Storage.EastUS"),
            rule("Allow-EventHub", 110, "Allow", "EventHub.CentralUS"),
        ],
    );
    let subnet = nsg_show("vm01-subnet-nsg", "subnets", &[]);
    // Subnet first in the file: the NIC's NSG is still evaluated first.
    let both = dir.write("nsgs.json", &json!([subnet, nic]));
    let (_, v) = check(&["--nsg", &both]);
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["status"], "ok");
    let steps = s["nsg"]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2, "{s}");
    assert_eq!(steps[0]["nsg"], "vm01-nic-nsg");
    assert_eq!(steps[0]["applied_to"], "nic");
    assert_eq!(steps[0]["rule"], "Allow-Storage");
    assert_eq!(steps[1]["nsg"], "vm01-subnet-nsg");
    assert_eq!(steps[1]["rule"], "AllowInternetOutBound");
    let ev = s["evidence"][0].as_str().unwrap();
    assert!(
        ev.contains("NSG vm01-nic-nsg rule Allow-Storage (priority 100) allows; NSG vm01-subnet-nsg rule AllowInternetOutBound (priority 65001) allows"),
        "{ev}"
    );
    // In analyze: the blocked monitoring flow, which both NSGs allow, names
    // both in the finding, the JSON and the CSV.
    let csv = dir.path().join("flows.csv");
    let csv_s = csv.to_string_lossy().to_string();
    let (_, v) = analyze(
        "syn-dropped.pcap",
        &[
            "--source-region",
            "eastus",
            "--target-region",
            "centralus",
            "--nsg",
            &both,
            "--csv",
            &csv_s,
        ],
    );
    let f = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endpoint"] == "monitoring")
        .unwrap();
    let ev = f["evidence"][0].as_str().unwrap();
    assert!(ev.contains("vm01-nic-nsg rule Allow-EventHub"), "{ev}");
    assert!(
        ev.contains("vm01-subnet-nsg rule AllowInternetOutBound"),
        "{ev}"
    );
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.contains(
            "vm01-nic-nsg/Allow-EventHub allow; vm01-subnet-nsg/AllowInternetOutBound allow"
        ),
        "{text}"
    );
}

#[test]
fn advice_never_hurts_the_configuration_it_acts_on() {
    let dir = Scratch::new("advice");
    // A deny at priority 100: no allow rule can come before it, and 100 is
    // called what it is, the highest priority.
    let top = dir.write(
        "top.json",
        &nsg_show(
            "vm-nsg",
            "networkInterfaces",
            &[rule("Deny-All-443", 100, "Deny", "*")],
        ),
    );
    let (_, v) = check(&["--nsg", &top]);
    let s = requirement(&v, "cache-storage");
    assert_eq!(s["status"], "denied");
    assert_eq!(s["fixes"][0]["kind"], "change-deny-rule", "{s}");
    assert_eq!(s["fixes"][0]["priority"], 100, "{s}");
    // The allow rule's name is the one `requirements --format az` gives.
    let (_, az, _) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--format",
        "az",
    ]);
    let deny = data("nsg-deny-eventhub.json");
    let (_, v) = check(&["--nsg", &deny]);
    let fix = requirement(&v, "monitoring")["fix"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        fix.contains("--name 'Allow-ASR-EventHub-CentralUS'"),
        "{fix}"
    );
    assert!(az.contains("--name 'Allow-ASR-EventHub-CentralUS'"), "{az}");
    // A rule on a tag the service-tag data does not hold cannot be judged.
    // From `nsg show` the advice is the effective rules, which expand tags;
    // from the effective rules themselves it is not.
    let unknown_tag = json!({"name": "Deny-Sql", "priority": 100, "access": "Deny",
        "direction": "Outbound", "protocol": "Tcp", "sourcePortRange": "*",
        "destinationPortRange": "443", "sourceAddressPrefix": "*",
        "destinationAddressPrefix": "Sql.EastUS"});
    let show = dir.write(
        "show.json",
        &nsg_show(
            "nic-nsg",
            "networkInterfaces",
            std::slice::from_ref(&unknown_tag),
        ),
    );
    let mut eff_rule = unknown_tag.clone();
    eff_rule["name"] = json!("securityRules/Deny-Sql");
    let eff = dir.write(
        "eff.json",
        &json!({"value": [{
            "networkSecurityGroup": {"id": "/x/networkSecurityGroups/nic-nsg"},
            "association": {"networkInterface": {"id": "/x/networkInterfaces/nic"}},
            "effectiveSecurityRules": [eff_rule]}]}),
    );
    let first_fix = |path: &str| {
        let (_, v) = check(&["--nsg", path]);
        let s = requirement(&v, "cache-storage");
        assert_eq!(s["status"], "unknown", "{s}");
        (
            s["fixes"][0]["kind"].as_str().unwrap().to_string(),
            s["fix"][0].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(first_fix(&show).0, "export-effective-rules");
    let (kind, text) = first_fix(&eff);
    assert_eq!(kind, "check-rule-in-portal", "{text}");
    // Microsoft's effective example lacks the default rules: it was cut, and
    // the advice says so instead of asking for what was given.
    let ms = dir.write(
        "ms.json",
        &microsoft_body("NetworkInterfaceEffectiveNSGList"),
    );
    let (kind, text) = first_fix(&ms);
    assert_eq!(kind, "export-whole", "{text}");
    // The NIC it is of, from its association's id, fills the command.
    assert!(
        text.ends_with("az network nic list-effective-nsg --resource-group 'rg1' --name 'nic1'"),
        "{text}"
    );
    // The one NIC an `nsg show` export is applied to fills it too.
    let (_, v) = check(&["--nsg", &show]);
    let s = requirement(&v, "cache-storage");
    assert!(
        s["fix"][0]
            .as_str()
            .unwrap()
            .ends_with("--resource-group 'rg1' --name 'nic-nsg-target'"),
        "{s}"
    );
}

#[test]
fn check_says_which_tag_data_and_how_old() {
    let nsg = data("nsg-allow-all.json");
    let (_, v) = check(&["--nsg", &nsg]);
    let meta = TagDb::embedded().meta();
    assert_eq!(v["service_tags"]["change_number"], meta.change_number);
    assert_eq!(
        v["service_tags"]["published"],
        meta.published.clone().unwrap()
    );
    let age = v["service_tags_age_days"].as_i64().unwrap();
    assert!(age >= 0);
    assert_eq!(v["service_tags_stale"], age > 60);
    let (_, text, _) = run(&[
        "check",
        "--nsg",
        &nsg,
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    let line = text
        .lines()
        .find(|l| l.starts_with("Service-tag data:"))
        .unwrap();
    assert!(
        line.contains(&format!("changeNumber {}", meta.change_number)),
        "{line}"
    );
    assert!(line.contains(&format!("{age} days ago")), "{line}");
    assert_eq!(text.contains("STALE"), age > 60, "{text}");
}

#[test]
fn an_ipv6_prefix_holds_no_ipv4_address() {
    let dir = Scratch::new("v6");
    let v6 = dir.write(
        "v6.json",
        &nsg_show(
            "vm-nsg",
            "networkInterfaces",
            &[rule("Deny-All-v6", 100, "Deny", "::/0")],
        ),
    );
    let (code, v) = check(&["--nsg", &v6]);
    assert_eq!(code, 0, "{v}");
    for r in v["requirements"].as_array().unwrap() {
        assert_eq!(r["status"], "ok", "{r}");
        assert_eq!(r["nsg"]["rule"], "AllowInternetOutBound", "{r}");
    }
    let v4 = dir.write(
        "v4.json",
        &nsg_show(
            "vm-nsg",
            "networkInterfaces",
            &[rule("Deny-All-v4", 100, "Deny", "0.0.0.0/0")],
        ),
    );
    let (code, v) = check(&["--nsg", &v4]);
    assert_eq!(code, 1);
    assert_eq!(requirement(&v, "cache-storage")["status"], "denied");
}

/// An effective export of the NIC's NSG: `count` /32 deny rules spread over
/// the AzureSiteRecovery prefixes, then the default rules.
fn many_rules(count: usize) -> Value {
    let tags = TagDb::embedded();
    let prefixes = tags.v4_prefixes("AzureSiteRecovery");
    let mut rules = Vec::with_capacity(count + 3);
    for i in 0..count {
        let (a, len) = prefixes[i % prefixes.len()];
        let size = 1u32 << (32 - u32::from(len));
        let host = std::net::Ipv4Addr::from(u32::from(a) + (i / prefixes.len()) as u32 % size);
        rules.push(json!({
            "name": format!("securityRules/Deny-{i}"), "protocol": "Tcp",
            "sourcePortRange": "0-65535", "destinationPortRange": "443-443",
            "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": format!("{host}/32"),
            "access": "Deny", "priority": 100 + (i % 3900), "direction": "Outbound"}));
    }
    rules.push(json!({"name": "defaultSecurityRules/AllowInternetOutBound", "protocol": "All",
        "sourcePortRange": "0-65535", "destinationPortRange": "0-65535",
        "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": "Internet",
        "expandedDestinationAddressPrefix": ["1.0.0.0/8", "2.0.0.0/7", "4.0.0.0/6", "8.0.0.0/5", "16.0.0.0/4", "32.0.0.0/3", "64.0.0.0/2", "128.0.0.0/3", "160.0.0.0/5", "168.0.0.0/6", "172.0.0.0/12", "172.32.0.0/11", "172.64.0.0/10", "172.128.0.0/9", "173.0.0.0/8", "174.0.0.0/7", "176.0.0.0/4", "192.0.0.0/9", "192.128.0.0/11", "192.160.0.0/13", "192.169.0.0/16", "192.170.0.0/15", "192.172.0.0/14", "192.176.0.0/12", "192.192.0.0/10", "193.0.0.0/8", "194.0.0.0/7", "196.0.0.0/6", "200.0.0.0/5", "208.0.0.0/4"],
        "access": "Allow", "priority": 65001, "direction": "Outbound"}));
    rules.push(
        json!({"name": "defaultSecurityRules/DenyAllOutBound", "protocol": "All",
        "sourcePortRange": "0-65535", "destinationPortRange": "0-65535",
        "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": "0.0.0.0/0",
        "access": "Deny", "priority": 65500, "direction": "Outbound"}),
    );
    json!({"value": [{
        "networkSecurityGroup": {"id": "/x/networkSecurityGroups/big-nsg"},
        "association": {"networkInterface": {"id": "/x/networkInterfaces/nic"}},
        "effectiveSecurityRules": rules}]})
}

#[test]
fn twenty_thousand_rules_are_judged_per_piece_of_every_prefix() {
    // 20,000 /32 denies inside the Site Recovery tag (46 s before the rules
    // were indexed): every prefix they fall in is denied, the other tags are
    // allowed. How long it takes is measured in benches/, not asserted.
    let dir = Scratch::new("many-rules");
    let big = dir.write("big.json", &many_rules(20_000));
    let (code, v) = check(&["--nsg", &big]);
    assert_eq!(code, 1);
    let r = requirement(&v, "site-recovery");
    assert_eq!(r["status"], "denied");
    assert_eq!(r["denied"], r["prefixes"], "{}", r["evidence"]);
    assert_eq!(requirement(&v, "cache-storage")["status"], "ok");
}

#[test]
fn strings_from_exports_reach_no_view_raw() {
    let dir = Scratch::new("hostile-export");
    let evil = "evil\u{1b}[2J\u{9b}31m\nname";
    let mut nsg = nsg_show(
        "vm-nsg",
        "networkInterfaces",
        &[rule(evil, 100, "Deny", "Storage.EastUS")],
    );
    nsg["name"] = json!(evil);
    let path = dir.write("evil.json", &nsg);
    let rt = dir.write(
        "rt.json",
        &route_table(&[(evil, "0.0.0.0/0", "VirtualAppliance")]),
    );
    let raw = |s: &str| s.contains('\u{1b}') || s.contains('\u{9b}');
    let (_, text, err) = run(&[
        "check",
        "--nsg",
        &path,
        "--routes",
        &rt,
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    assert!(!raw(&text) && !raw(&err), "{text}{err}");
    assert!(text.contains("evil\\027[2J"), "{text}");
    let (_, out, _) = run(&[
        "check",
        "--nsg",
        &path,
        "--routes",
        &rt,
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--format",
        "json",
    ]);
    // Decoded, the JSON holds no control character either.
    let v: Value = serde_json::from_str(&out).unwrap();
    fn walk(v: &Value, bad: &mut Vec<String>) {
        match v {
            Value::String(s) if s.chars().any(char::is_control) => bad.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| walk(x, bad)),
            Value::Object(o) => o.values().for_each(|x| walk(x, bad)),
            _ => {}
        }
    }
    let mut bad = Vec::new();
    walk(&v, &mut bad);
    assert!(bad.is_empty(), "{bad:?}");
    // An export refused for a bad field names the rule safely, in one line.
    let mut broken = nsg.clone();
    broken["securityRules"][0]["access"] = json!("Maybe");
    let broken = dir.write("broken.json", &broken);
    let (code, _, err) = run(&[
        "check",
        "--nsg",
        &broken,
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ]);
    assert_eq!(code, 2);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!raw(&err), "{err}");
    assert!(err.contains("evil\\027[2J"), "{err}");
}

#[test]
fn government_urls_and_the_enhanced_churn_preview_are_listed() {
    let (code, text, err) = run(&[
        "requirements",
        "--cloud",
        "usgov",
        "--source-region",
        "usgovvirginia",
        "--target-region",
        "usgovtexas",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("*.hypervrecoverymanager.windowsazure.us"),
        "{text}"
    );
    assert!(
        text.contains("*.hypervrecoverymanager.windowsazure.com"),
        "{text}"
    );
    let (_, out, _) = run(&[
        "requirements",
        "--source-region",
        "westus2",
        "--target-region",
        "centralus",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let e = &v["churn_limits"]["enhanced_churn"];
    assert_eq!(e["per_vm_mbps"], 500.0);
    assert_eq!(e["per_disk_max_mbps"], 250.0);
    assert!(e["regions"].as_array().unwrap().contains(&json!("westus2")));
    assert_eq!(e["per_disk_by_source_size"][0]["source_disk_gib"], 128);
}

/// The parameters of every `az` command asrscope prints, as azure-cli
/// defines them (`Azure/azure-cli`,
/// `src/azure-cli/azure/cli/command_modules/network/aaz/latest/network/`):
/// `nsg/rule/_create.py` with the wrapper `operations/latest/network/nsg/rule/_create.py`
/// (which hides the singular forms such as `--destination-port-range`),
/// `vnet/subnet/_update.py` (`AZ_SUPPORT_GENERIC_UPDATE`: `--add`; `--nat-gateway`),
/// `nat/gateway/_create.py` with the wrapper `operations/latest/network/nat/gateway/_create.py`
/// (`--public-ip-addresses`, `--public-ip-prefixes` in place of `--pip-*`),
/// `service_endpoint/policy_definition/_create.py` (a PUT of one new
/// definition: the policy's others stay),
/// `nic/_list_effective_nsg.py`, `_list_service_tags.py`, and
/// `command_modules/privatedns/aaz/latest/network/private_dns/link/vnet/_create.py`
/// and `command_modules/privatedns/_params.py` for `record-set a add-record`
/// (`--record-set-name`/`-n`, `--ipv4-address`/`-a`, `--zone-name`/`-z`). The global
/// `-g/--resource-group` comes from `AAZResourceGroupNameArg`.
const AZ: &[(&str, &[&str])] = &[
    (
        "network nsg rule create",
        &[
            "--resource-group",
            "-g",
            "--nsg-name",
            "--name",
            "-n",
            "--priority",
            "--direction",
            "--access",
            "--protocol",
            "--source-address-prefixes",
            "--source-port-ranges",
            "--destination-address-prefixes",
            "--destination-port-ranges",
            "--description",
        ],
    ),
    (
        "network vnet subnet update",
        &[
            "--resource-group",
            "-g",
            "--vnet-name",
            "--name",
            "-n",
            "--add",
            "--nat-gateway",
        ],
    ),
    (
        "network service-endpoint policy-definition create",
        &[
            "--resource-group",
            "-g",
            "--policy-name",
            "--name",
            "-n",
            "--description",
            "--service",
            "--service-resources",
        ],
    ),
    (
        "network nat gateway create",
        &[
            "--resource-group",
            "-g",
            "--name",
            "-n",
            "--location",
            "-l",
            "--public-ip-addresses",
            "--public-ip-prefixes",
            "--idle-timeout",
            "--zone",
            "-z",
        ],
    ),
    (
        "network nic list-effective-nsg",
        &["--resource-group", "-g", "--name", "-n"],
    ),
    ("network list-service-tags", &["--location", "-l"]),
    (
        "network private-dns link vnet create",
        &[
            "--resource-group",
            "-g",
            "--zone-name",
            "-z",
            "--name",
            "-n",
            "--virtual-network",
            "-v",
            "--registration-enabled",
            "-e",
        ],
    ),
    (
        "network private-dns record-set a add-record",
        &[
            "--resource-group",
            "-g",
            "--zone-name",
            "-z",
            "--record-set-name",
            "-n",
            "--ipv4-address",
            "-a",
        ],
    ),
];

/// Splits a POSIX shell command line into words (single and double quotes).
fn words(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quote, mut any) = (Vec::new(), String::new(), None, false);
    for c in line.chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => {
                if any {
                    out.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            (_, c) => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Every `az …` command in a text: from `az` to the next one on its line,
/// or to the end of the line.
fn az_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let rest = line;
        // Each command runs to the next one on the line, or to its end.
        let mut starts = Vec::new();
        let mut from = 0;
        while let Some(i) = rest[from..].find("az network ").map(|i| i + from) {
            if i == 0 || !rest[..i].ends_with(|c: char| c.is_alphanumeric()) {
                starts.push(i);
            }
            from = i + 1;
        }
        for (k, &i) in starts.iter().enumerate() {
            let end = starts.get(k + 1).copied().unwrap_or(rest.len());
            out.push(rest[i..end].trim_end_matches(['"', ',', ')']).to_string());
        }
    }
    out
}

/// The fixes `requirements --format az` and `check` print, for exports that
/// each need a different one.
fn requirement_fixes(dir: &Scratch) -> Vec<String> {
    let mut texts = Vec::new();
    let (_, az, _) = run(&[
        "requirements",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--format",
        "az",
    ]);
    texts.push(az);
    let top = dir.write(
        "top.json",
        &nsg_show(
            "vm-nsg",
            "networkInterfaces",
            &[rule("Deny-Storage", 300, "Deny", "Storage.EastUS")],
        ),
    );
    let appliance = dir.write(
        "rt.json",
        &route_table(&[("fw", "0.0.0.0/0", "VirtualAppliance")]),
    );
    let (deny, allow) = (data("nsg-deny-eventhub.json"), data("nsg-allow-all.json"));
    let storage = data("storage-deny-subnet.json");
    let mut no_endpoint: Value =
        serde_json::from_str(&std::fs::read_to_string(data("storage-vm-subnet.json")).unwrap())
            .unwrap();
    no_endpoint["serviceEndpoints"] = json!([]);
    let subnet = dir.write("subnet.json", &no_endpoint);
    let platform = data("nsg-deny-platform.json");
    let mut sep = microsoft_body("ServiceEndpointPolicyGet");
    sep["properties"]["serviceEndpointPolicyDefinitions"][0]["properties"]["serviceResources"] =
        json!(["/services/Azure"]);
    sep["properties"]["serviceEndpointPolicyDefinitions"][0]["properties"]["service"] =
        json!("Global");
    let sep = dir.write("sep.json", &sep);
    let (sep_subnet, private) = (
        data("sep-subnet.json"),
        data("outbound-private-subnet.json"),
    );
    let (tunnel, drop) = (
        data("routes-forced-tunnel.json"),
        data("routes-drop-eventhub.json"),
    );
    let show = dir.write(
        "show.json",
        &nsg_show(
            "nic-nsg",
            "networkInterfaces",
            &[json!({"name": "Deny-Sql",
            "priority": 100, "access": "Deny", "direction": "Outbound", "protocol": "Tcp",
            "sourcePortRange": "*", "destinationPortRange": "443", "sourceAddressPrefix": "*",
            "destinationAddressPrefix": "Sql.EastUS"})],
        ),
    );
    for extra in [
        vec!["--nsg", top.as_str()],
        vec!["--nsg", top.as_str(), "--routes", appliance.as_str()],
        vec!["--nsg", deny.as_str()],
        vec!["--nsg", allow.as_str(), "--routes", tunnel.as_str()],
        vec!["--nsg", allow.as_str(), "--routes", drop.as_str()],
        vec!["--nsg", show.as_str()],
        vec!["--nsg", platform.as_str()],
        // The cache account denies by default, and the VM's subnet has no
        // Microsoft.Storage service endpoint.
        vec![
            "--nsg",
            allow.as_str(),
            "--azure",
            storage.as_str(),
            "--azure",
            subnet.as_str(),
        ],
        vec!["--azure", sep_subnet.as_str(), "--azure", sep.as_str()],
        vec!["--azure", private.as_str()],
    ] {
        let (_, v) = check(&extra);
        let platform = v["platform"].as_array().unwrap();
        for r in v["requirements"].as_array().unwrap().iter().chain(platform) {
            for x in r["fix"].as_array().unwrap() {
                texts.push(x.as_str().unwrap().to_string());
            }
        }
    }
    texts
}

/// The fixes `analyze` prints for the findings of captures that each need
/// a different one.
fn finding_fixes() -> Vec<String> {
    let mut texts = Vec::new();
    let deny = data("nsg-deny-eventhub.json");
    for (capture, extra) in [
        ("syn-dropped.pcap", vec![]),
        ("outside-azure.pcap", vec![]),
        ("nva-forwarded.pcapng", vec!["--capture-point", "nva"]),
        ("loss-ratelimit.pcap", vec![]),
        ("syn-dropped.pcap", vec!["--nsg", deny.as_str()]),
        ("privatelink-unlinked.pcap", vec![]),
        ("private-subnet.pcap", vec![]),
    ] {
        let mut args = vec!["--source-region", "eastus", "--target-region", "centralus"];
        args.extend(extra);
        let (_, v) = analyze(capture, &args);
        for f in v["diagnosis"]["findings"].as_array().unwrap() {
            for x in f["fix"].as_array().unwrap() {
                texts.push(x.as_str().unwrap().to_string());
            }
        }
    }
    texts
}

/// Checks that `cmd`, split into the words `w`, is an `az` command of
/// [`AZ`] with only its parameters; returns its name.
fn known_az_command(cmd: &str, w: &[String]) -> &'static str {
    assert_eq!(w[0], "az", "{cmd}");
    let (name, params) = AZ
        .iter()
        .find(|(name, _)| {
            let n: Vec<&str> = name.split(' ').collect();
            w.len() > n.len() && w[1..=n.len()] == n[..]
        })
        .unwrap_or_else(|| panic!("an az command asrscope does not know: {cmd}"));
    for p in w.iter().filter(|x| x.starts_with('-')) {
        assert!(
            params.contains(&p.as_str()),
            "{p} is not a parameter of az {name}: {cmd}"
        );
    }
    name
}

/// Checks that the `az` command `name`, `cmd` split into the words `w`,
/// weakens nothing.
fn assert_weakens_nothing(name: &str, cmd: &str, w: &[String]) {
    if name == "network nsg rule create" {
        // Outbound allow of one service tag on TCP 443 (or of a platform
        // service's own tag on its own port), never "allow all".
        let value = |flag: &str| {
            let i = w.iter().position(|x| x == flag).unwrap();
            w[i + 1].clone()
        };
        assert_eq!(value("--direction"), "Outbound", "{cmd}");
        assert_eq!(value("--access"), "Allow", "{cmd}");
        let tag = value("--destination-address-prefixes");
        let port = (value("--protocol"), value("--destination-port-ranges"));
        let port = (port.0.as_str(), port.1.as_str());
        match tag.as_str() {
            "AzurePlatformIMDS" => assert_eq!(port, ("Tcp", "80"), "{cmd}"),
            "AzurePlatformDNS" => assert_eq!(port, ("*", "53"), "{cmd}"),
            _ => assert_eq!(port, ("Tcp", "443"), "{cmd}"),
        }
        assert!(
            !["*", "Any", "Internet", "0.0.0.0/0"].contains(&tag.as_str()),
            "{cmd}"
        );
        assert!(tag.chars().next().unwrap().is_ascii_alphabetic(), "{cmd}");
    }
    if name == "network vnet subnet update" && w.iter().any(|x| x == "--nat-gateway") {
        // Attaches a NAT gateway (to a subnet that has no outbound method),
        // and changes nothing else.
        let flags: Vec<&str> = w
            .iter()
            .filter(|x| x.starts_with('-'))
            .map(String::as_str)
            .collect();
        assert_eq!(
            flags,
            ["--resource-group", "--vnet-name", "--name", "--nat-gateway"],
            "{cmd}"
        );
        return;
    }
    if name == "network vnet subnet update" {
        // Added to the list, never set over it.
        let i = w.iter().position(|x| x == "--add").unwrap();
        assert_eq!(w[i + 1], "serviceEndpoints", "{cmd}");
        let v: Value = serde_json::from_str(&w[i + 2]).unwrap();
        assert_eq!(v["service"], "Microsoft.Storage", "{cmd}");
    }
}

#[test]
fn every_az_command_printed_uses_only_azure_clis_parameters_and_weakens_nothing() {
    let dir = Scratch::new("az");
    let mut texts = requirement_fixes(&dir);
    texts.extend(finding_fixes());
    let commands: Vec<String> = texts.iter().flat_map(|t| az_commands(t)).collect();
    assert!(commands.len() >= 10, "{commands:#?}");
    let mut seen = std::collections::BTreeSet::new();
    for cmd in &commands {
        let w = words(cmd);
        let name = known_az_command(cmd, &w);
        seen.insert(name);
        assert_weakens_nothing(name, cmd, &w);
    }
    for (name, _) in AZ.iter().take(3) {
        assert!(seen.contains(name), "no {name} among {commands:#?}");
    }
    for name in [
        "network nat gateway create",
        "network private-dns record-set a add-record",
        "network service-endpoint policy-definition create",
    ] {
        assert!(seen.contains(name), "no {name} among {commands:#?}");
    }
    // What replaces a list, or routes around an appliance, is never printed.
    let all = texts.join("\n");
    assert!(!all.contains("--service-endpoints"), "{all}");
    assert!(!all.contains("route-table route create"), "{all}");
    assert!(!all.contains("--next-hop-type Internet"), "{all}");
}

#[test]
fn microsofts_storage_account_example_reads_in_every_shape() {
    use asrscope::azure::storage::{PublicAccess, parse_storage_accounts};
    let rest = microsoft_body("StorageAccountGetProperties");
    let mut flat = az_flat(&rest);
    let acls = flat.as_object_mut().unwrap().remove("networkAcls").unwrap();
    flat["networkRuleSet"] = acls;
    for (shape, v) in [
        ("rest", rest.clone()),
        ("az", flat.clone()),
        ("list", json!([flat])),
        ("value", json!({"value": [rest]})),
    ] {
        let text = v.to_string();
        assert_eq!(
            asrscope::azure::kind::sniff(&text),
            Some(asrscope::model::ExportKind::StorageAccount),
            "{shape}"
        );
        let a = parse_storage_accounts(&text).unwrap();
        assert_eq!(a.len(), 1, "{shape}");
        let a = &a[0];
        assert_eq!(a.name, "sto8596");
        assert_eq!(a.blob_host, "sto8596.blob.core.windows.net");
        assert_eq!(a.location.as_deref(), Some("eastus2(stage)"));
        assert_eq!(a.public_access, PublicAccess::Enabled);
        assert!(!a.default_deny);
        assert_eq!(a.bypass, ["AzureServices"]);
        assert!(a.vnet_rules.is_empty() && a.ip_rules.is_empty());
        assert_eq!(a.resource_rules, 1);
        assert_eq!(a.shared_key, None);
        assert_eq!(a.resource_group().as_deref(), Some("res9407"));
    }
}

/// With the NIC's export, `check` judges the rules from the VM's own address
/// (Microsoft's NetworkInterfaceGet: 172.20.2.4, its primary configuration's;
/// the second configuration holds a prefix): a deny for another network's
/// sources no longer stops the VM, a deny whose sources hold it still does.
/// Without the NIC every rule's source is taken as holding the VM.
#[test]
fn check_judges_from_the_nics_address_when_its_export_is_given() {
    let dir = Scratch::new("nic-source");
    let nic = dir.write("nic.json", &az_flat(&microsoft_body("NetworkInterfaceGet")));
    let status = |source: &str, with_nic: bool| {
        let mut deny = rule("Deny-Storage", 200, "Deny", "Storage");
        deny["sourceAddressPrefix"] = json!(source);
        let nsg = dir.write("nsg.json", &nsg_show("vm-nsg", "subnets", &[deny]));
        let mut args = vec!["--azure", nsg.as_str()];
        if with_nic {
            args.extend(["--azure", nic.as_str()]);
        }
        let (_, v) = check(&args);
        let s = requirement(&v, "cache-storage");
        (
            s["status"].as_str().unwrap().to_string(),
            s["nsg"]["rule"].clone(),
        )
    };
    assert_eq!(status("10.9.0.0/16", false).0, "denied");
    let (other, rule_seen) = status("10.9.0.0/16", true);
    assert_eq!(other, "ok", "{rule_seen}");
    assert_ne!(rule_seen, "Deny-Storage");
    assert_eq!(status("172.20.2.0/24", true).0, "denied");
    assert_eq!(status("172.20.2.4", true).0, "denied");
    // The prefix of the second IP configuration is not the VM's address.
    assert_eq!(status("172.20.2.16/28", true).0, "ok");
    // The primary configuration's address, wherever it is in the list.
    let mut swapped = az_flat(&microsoft_body("NetworkInterfaceGet"));
    swapped["ipConfigurations"]
        .as_array_mut()
        .unwrap()
        .reverse();
    dir.write("nic.json", &swapped);
    assert_eq!(status("172.20.2.4/32", true).0, "denied");
    assert_eq!(status("172.20.2.16/28", true).0, "ok");
}
