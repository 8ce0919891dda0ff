//! Private DNS zones, their virtual network links and A records, and the
//! VM's DNS servers: Microsoft's examples in every shape `az` prints them,
//! `check` on exports in `az`'s shapes (`tests/data/dns-*.json`), and
//! `analyze` on `privatelink-unlinked.pcap`, whose cache and vault names
//! resolve publicly past their private endpoints: the exports say which
//! setting is responsible.

mod common;

use asrscope::azure::private_dns::parse_private_dns;
use common::{analyze, az_flat, data, microsoft_body, requirement, run};
use serde_json::{Value, json};

const REGIONS: [&str; 4] = ["--source-region", "eastus", "--target-region", "centralus"];
const VM_VNET: &str = "/subscriptions/subid/resourceGroups/net-rg/providers/Microsoft.Network/virtualNetworks/vm-vnet";

/// `--azure FILE` for each of `files` in `tests/data/`.
fn azure(files: &[&str]) -> Vec<String> {
    files
        .iter()
        .flat_map(|f| ["--azure".to_string(), data(f)])
        .collect()
}

/// `asrscope check --format json` for East US → Central US with `files`.
fn check(files: &[&str]) -> (i32, Value) {
    let args = azure(files);
    let mut all = vec!["check", "--format", "json"];
    all.extend(args.iter().map(String::as_str));
    all.extend_from_slice(&REGIONS);
    let (code, out, err) = run(&all);
    assert!(code == 0 || code == 1, "{err}");
    (code, serde_json::from_str(&out).unwrap())
}

/// `analyze` of `privatelink-unlinked.pcap` with `files`.
fn unlinked(files: &[&str]) -> Value {
    let args = azure(files);
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend_from_slice(&REGIONS);
    let (code, v) = analyze("privatelink-unlinked.pcap", &all);
    assert_eq!(code, 1);
    v
}

/// The `resolves-publicly` finding of a zone.
fn finding<'a>(v: &'a Value, zone: &str) -> &'a Value {
    v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["about"]["kind"] == "resolves-publicly" && f["about"]["zone"] == zone)
        .unwrap_or_else(|| panic!("{zone}"))
}

fn texts(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn microsofts_examples_in_every_shape() {
    // VirtualNetworkLinkList: the REST body, az's bare array with
    // `properties` lifted, and one link as `link vnet show` prints it.
    let body = microsoft_body("VirtualNetworkLinkList");
    let flat: Vec<Value> = body["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(az_flat)
        .collect();
    for v in [&body, &Value::Array(flat.clone()), &flat[0]] {
        let p = parse_private_dns(&v.to_string()).unwrap();
        assert_eq!(p.link_lists, ["privatelink.contoso.com"]);
        let l = &p.links[0];
        assert_eq!(l.name, "virtualNetworkLink1");
        assert_eq!(l.zone, "privatelink.contoso.com");
        assert_eq!(l.resource_group.as_deref(), Some("resourceGroup1"));
        assert_eq!(l.registration, Some(false));
        assert_eq!(
            l.policy,
            Some(asrscope::model::ResolutionPolicy::NxDomainRedirect)
        );
        assert_eq!(l.state.as_deref(), Some("Completed"));
        assert_eq!(l.vnet.as_ref().unwrap().name(), "virtualNetworkName", "{v}");
    }
    // The second link is still InProgress and registration-enabled.
    let p = parse_private_dns(&body.to_string()).unwrap();
    assert_eq!(p.links[1].state.as_deref(), Some("InProgress"));
    assert_eq!(p.links[1].registration, Some(true));
    // RecordSetAGet: the REST body, `record-set a show`, and `list`'s array.
    let body = microsoft_body("RecordSetAGet");
    let flat = az_flat(&body);
    for v in [
        &body,
        &flat,
        &json!([flat.clone()]),
        &json!({"value": [body.clone()]}),
    ] {
        let p = parse_private_dns(&v.to_string()).unwrap();
        assert_eq!(p.records.len(), 1, "{v}");
        assert_eq!(p.records[0].zone, "privatezone1.com");
        assert_eq!(p.records[0].name, "recorda");
        assert_eq!(
            p.records[0].addresses,
            ["1.2.3.4".parse::<std::net::Ipv4Addr>().unwrap()]
        );
    }
    // PrivateZoneGet: a zone with no link and only its SOA record.
    let body = microsoft_body("PrivateZoneGet");
    for v in [&body, &az_flat(&body), &json!([az_flat(&body)])] {
        let p = parse_private_dns(&v.to_string()).unwrap();
        assert_eq!(p.zones[0].name, "privatezone1.com");
        assert_eq!(p.zones[0].links, Some(0));
        assert_eq!(p.zones[0].record_sets, Some(1));
    }
}

#[test]
fn check_says_which_zone_is_not_linked_to_the_vms_network() {
    // Without private DNS exports: no DNS verdict (and no new status).
    let (_, v) = check(&["dns-vnet.json"]);
    assert!(requirement(&v, "cache-storage")["dns"].is_null());
    assert_eq!(requirement(&v, "cache-storage")["status"], "ok");
    let (code, v) = check(&[
        "dns-links-unlinked.json",
        "dns-zone-vault-unlinked.json",
        "dns-vnet.json",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["ok"], false);
    // The blob zone is linked to the hub only.
    let cache = requirement(&v, "cache-storage");
    assert_eq!(cache["status"], "dns-zone-not-linked", "{cache}");
    let dns = &cache["dns"];
    assert_eq!(dns["outcome"], "zone-not-linked");
    assert_eq!(dns["allowed"], false);
    assert_eq!(dns["zone"], "privatelink.blob.core.windows.net");
    assert_eq!(dns["vnet"], VM_VNET);
    assert_eq!(dns["links"], 1);
    assert!(dns["link"].is_null());
    assert_eq!(dns["dns_servers"], "azure-provided");
    let fix = &texts(&cache["fix"])[0];
    assert!(
        fix.contains(&format!(
            "az network private-dns link vnet create --resource-group 'dns-rg' --zone-name 'privatelink.blob.core.windows.net' --name 'vm-vnet-link' --virtual-network '{VM_VNET}' --registration-enabled false"
        )),
        "{fix}"
    );
    assert_eq!(cache["fixes"][0]["kind"], "link-zone-to-vnet");
    // The vault's zone has no link at all (its count).
    let vault = requirement(&v, "site-recovery");
    assert_eq!(vault["status"], "dns-zone-not-linked", "{vault}");
    assert_eq!(vault["dns"]["links"], 0);
    assert!(texts(&vault["evidence"])[0].contains("is linked to no virtual network"));
    // Other endpoints have no private zone here.
    assert!(requirement(&v, "azure-ad")["dns"].is_null());
    assert_eq!(requirement(&v, "azure-ad")["status"], "ok");
}

#[test]
fn check_says_a_linked_zone_holds_no_record() {
    let (code, v) = check(&[
        "dns-zone-blob-empty.json",
        "dns-links-linked.json",
        "dns-vnet.json",
    ]);
    assert_eq!(code, 1);
    let cache = requirement(&v, "cache-storage");
    assert_eq!(cache["status"], "dns-record-missing", "{cache}");
    assert_eq!(cache["dns"]["link"], "vm-link");
    assert_eq!(cache["dns"]["resolution_policy"], "Default");
    let fix = &texts(&cache["fix"])[0];
    assert!(
        fix.contains("az network private-dns record-set a add-record --resource-group 'dns-rg' --zone-name 'privatelink.blob.core.windows.net' --record-set-name '<record-name>' --ipv4-address '<private-endpoint-address>'"),
        "{fix}"
    );
    // The records given, their names not told by `check`: linked, resolves.
    let (_, v) = check(&[
        "dns-links-linked.json",
        "dns-records-blob.json",
        "dns-vnet.json",
    ]);
    let cache = requirement(&v, "cache-storage");
    assert_eq!(cache["status"], "ok", "{cache}");
    assert_eq!(cache["dns"]["outcome"], "resolves");
    assert!(
        texts(&cache["dns"]["notes"])
            .iter()
            .any(|n| n.contains("holds 1 A record"))
    );
}

#[test]
fn dns_comes_before_the_nsg_that_also_denies() {
    // An NSG denies TCP 443 to Storage.EastUS and the blob zone is not
    // linked: the name never resolves to the private endpoint, so DNS is
    // the layer that stops it first; the NSG's deny stays as evidence.
    let dir = tempfile::Builder::new()
        .prefix("asrscope-dns-")
        .tempdir()
        .unwrap();
    let nsg = json!({"value": [{
        "networkSecurityGroup": {"id": "/x/networkSecurityGroups/nic-nsg"},
        "association": {"networkInterface": {"id": "/x/networkInterfaces/nic"}},
        "effectiveSecurityRules": [{"name": "securityRules/Deny-Storage", "protocol": "Tcp",
            "sourcePortRange": "0-65535", "destinationPortRange": "443-443",
            "sourceAddressPrefix": "0.0.0.0/0", "destinationAddressPrefix": "Storage.EastUS",
            "access": "Deny", "priority": 200, "direction": "Outbound"}]}]});
    let path = dir.path().join("nsg.json");
    std::fs::write(&path, nsg.to_string()).unwrap();
    let nsg_path = path.to_string_lossy().to_string();
    let files = azure(&["dns-links-unlinked.json", "dns-vnet.json"]);
    let mut all = vec!["check", "--format", "json", "--nsg", &nsg_path];
    all.extend(files.iter().map(String::as_str));
    all.extend_from_slice(&REGIONS);
    let (code, out, err) = run(&all);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let cache = requirement(&v, "cache-storage");
    assert_eq!(cache["status"], "dns-zone-not-linked", "{cache}");
    assert_eq!(cache["nsg"]["allowed"], false);
    assert_eq!(cache["nsg"]["rule"], "securityRules/Deny-Storage");
    let evidence = texts(&cache["evidence"]);
    assert!(evidence[0].starts_with("DNS: "), "{evidence:?}");
    assert!(
        evidence.iter().any(|e| e.starts_with("denied: ")),
        "{evidence:?}"
    );
    // Both fixes: the link first, then the NSG rule.
    let kinds: Vec<&str> = cache["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "link-zone-to-vnet", "{kinds:?}");
    assert!(kinds.len() > 1, "{kinds:?}");
}

#[test]
fn analyze_names_the_zone_not_linked_to_the_vms_network() {
    let v = unlinked(&[
        "dns-links-unlinked.json",
        "dns-zone-vault-unlinked.json",
        "dns-vnet.json",
    ]);
    for (zone, evidence) in [
        (
            "privatelink.blob.core.windows.net",
            "is not linked to virtual network vm-vnet (1 link to other networks)",
        ),
        (
            "privatelink.siterecovery.windowsazure.com",
            "is linked to no virtual network",
        ),
    ] {
        let f = finding(&v, zone);
        let lines = texts(&f["evidence"]);
        assert!(
            lines
                .iter()
                .any(|e| e.starts_with("the private DNS exports: ") && e.contains(evidence)),
            "{lines:?}"
        );
        // The one fix the exports point at, with the VM's network's id.
        let fix = texts(&f["fix"]);
        assert_eq!(fix.len(), 1, "{fix:?}");
        assert!(
            fix[0].contains(&format!("--virtual-network '{VM_VNET}'")),
            "{fix:?}"
        );
        assert!(!fix[0].contains("conditional forwarder"), "{fix:?}");
    }
    // Each cache and vault flow carries the zone's verdict.
    let flows = v["flows"].as_array().unwrap();
    let cache: Vec<&Value> = flows
        .iter()
        .filter(|f| f["endpoint_id"] == "cache-storage")
        .collect();
    assert!(!cache.is_empty());
    for f in &cache {
        assert_eq!(f["dns"]["outcome"], "zone-not-linked", "{f}");
        assert_eq!(f["dns"]["names"], json!(["asrcache1"]));
    }
    assert!(
        flows
            .iter()
            .filter(|f| f["endpoint_id"].is_null())
            .all(|f| f["dns"].is_null())
    );
    // The requirement checklist carries it too.
    let cache = v["diagnosis"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cache-storage")
        .unwrap();
    assert_eq!(cache["dns"]["outcome"], "zone-not-linked", "{cache}");
    // The text report says it per requirement.
    let args = azure(&["dns-links-unlinked.json", "dns-vnet.json"]);
    let capture = common::capture("privatelink-unlinked.pcap");
    let mut all = vec!["analyze"];
    all.extend(args.iter().map(String::as_str));
    all.extend_from_slice(&REGIONS);
    all.push(&capture);
    let (_, text, _) = run(&all);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("dns: private DNS zone privatelink.blob.core.windows.net is not linked to virtual network vm-vnet"),
        "{text}"
    );
    // The CSV's column.
    let mut all = vec!["analyze", "--csv", "-"];
    all.extend(args.iter().map(String::as_str));
    all.extend_from_slice(&REGIONS);
    all.push(&capture);
    let (_, csv, _) = run(&all);
    let cells = common::csv_column(&csv, "dns");
    assert!(
        cells
            .iter()
            .any(|c| c == "privatelink.blob.core.windows.net zone-not-linked"),
        "{cells:?}"
    );
}

#[test]
fn analyze_names_the_missing_record() {
    let v = unlinked(&[
        "dns-links-linked.json",
        "dns-records-blob.json",
        "dns-vnet.json",
    ]);
    let f = finding(&v, "privatelink.blob.core.windows.net");
    let lines = texts(&f["evidence"]);
    assert!(
        lines
            .iter()
            .any(|e| e
                .contains("is linked to virtual network vm-vnet and lacks the A record asrcache1")),
        "{lines:?}"
    );
    let fix = texts(&f["fix"]);
    assert!(
        fix[0].contains("az network private-dns record-set a add-record --resource-group 'dns-rg' --zone-name 'privatelink.blob.core.windows.net' --record-set-name 'asrcache1'"),
        "{fix:?}"
    );
}

#[test]
fn analyze_points_at_the_custom_dns_server_when_the_zone_answers() {
    // The zone is linked and holds asrcache1, yet the capture shows a public
    // answer: the VM asks a custom DNS server that does not forward.
    let v = unlinked(&[
        "dns-links-linked.json",
        "dns-records-blob-asrcache1.json",
        "dns-vnet-custom.json",
    ]);
    let f = finding(&v, "privatelink.blob.core.windows.net");
    let lines = texts(&f["evidence"]);
    assert!(
        lines.iter().any(
            |e| e.contains("the VM asks the custom DNS server 10.1.0.10")
                && e.contains("it does not forward blob.core.windows.net to Azure DNS")
        ),
        "{lines:?}"
    );
    let fix = texts(&f["fix"]);
    assert_eq!(fix.len(), 1, "{fix:?}");
    assert!(fix[0].contains("conditional forwarder"), "{fix:?}");
    assert!(fix[0].contains("10.1.0.10"), "{fix:?}");
    assert!(!fix[0].contains("link vnet create"), "{fix:?}");
    let flow = v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endpoint_id"] == "cache-storage")
        .unwrap();
    assert_eq!(flow["dns"]["outcome"], "resolves");
    assert_eq!(flow["dns"]["dns_servers"], "vnet");
    assert_eq!(flow["dns"]["custom_dns_servers"], json!(["10.1.0.10"]));
}

#[test]
fn a_private_answer_the_exports_say_cannot_be_is_a_stale_export() {
    // private-endpoint.pcap: asrcache1 resolves through the zone to
    // 10.1.1.5, while these exports say the zone is not linked to vm-vnet.
    let args = azure(&["dns-links-unlinked.json", "dns-vnet.json"]);
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend_from_slice(&REGIONS);
    let (_, v) = analyze("private-endpoint.pcap", &all);
    let f = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["about"]["kind"] == "dns-export-contradicted")
        .unwrap_or_else(|| panic!("{}", v["diagnosis"]["findings"]));
    assert_eq!(f["about"]["endpoint"], "cache-storage");
    assert_eq!(f["severity"], "info");
    let lines = texts(&f["evidence"]);
    assert!(lines.iter().any(|e| e.contains("10.1.1.5")), "{lines:?}");
    assert!(
        lines
            .iter()
            .any(|e| e.contains("is not linked to virtual network vm-vnet")),
        "{lines:?}"
    );
    assert!(texts(&f["fix"])[0].contains("az network private-dns link vnet list"));
    // Without the exports, no such finding.
    let (_, v) = analyze("private-endpoint.pcap", &REGIONS);
    assert!(
        !v["diagnosis"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["about"]["kind"] == "dns-export-contradicted")
    );
}

#[test]
fn check_names_the_cache_accounts_record_from_its_storage_export() {
    // The zone holds `otheraccount` only; the storage account export says
    // the cache account is `asrcache1`.
    let (code, v) = check(&[
        "dns-links-linked.json",
        "dns-records-blob.json",
        "dns-vnet.json",
        "storage-deny-subnet.json",
    ]);
    assert_eq!(code, 1);
    let cache = requirement(&v, "cache-storage");
    assert_eq!(cache["status"], "dns-record-missing", "{cache}");
    assert_eq!(cache["dns"]["names"], json!(["asrcache1"]), "{cache}");
    let fix = &texts(&cache["fix"])[0];
    assert!(
        fix.contains(
            "--zone-name 'privatelink.blob.core.windows.net' --record-set-name 'asrcache1'"
        ),
        "{fix}"
    );
    // Its record there: the zone answers for it (the account's own
    // firewall decides next).
    let (_, v) = check(&[
        "dns-links-linked.json",
        "dns-records-blob-asrcache1.json",
        "dns-vnet.json",
        "storage-deny-subnet.json",
    ]);
    let cache = requirement(&v, "cache-storage");
    assert_eq!(cache["dns"]["outcome"], "resolves", "{cache}");
    assert_ne!(cache["status"], "dns-record-missing");
    assert!(
        !texts(&cache["dns"]["notes"])
            .iter()
            .any(|n| n.contains("holds 2 A records")),
        "{cache}"
    );
}
