use super::evaluate::record_name;
use super::*;
use crate::azure::placement::{Nic, Placement, Vnet};
use crate::model::{Cloud, DnsDecision, DnsNote, DnsServersUsed, DnsUnknown, EndpointId};

const VNET: &str =
    "/subscriptions/s1/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/vm-vnet";
const OTHER: &str =
    "/subscriptions/s1/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub";
const BLOB: &str = "privatelink.blob.core.windows.net";
const VAULT: &str = "privatelink.siterecovery.windowsazure.com";

fn placement(servers: &[&str]) -> Placement {
    Placement {
        vnets: vec![Vnet {
            id: ResourceId::new(VNET),
            dns_servers: servers.iter().map(|s| s.parse().unwrap()).collect(),
        }],
        ..Placement::default()
    }
}

/// `az network private-dns link vnet list` (a bare array, `properties`
/// lifted) of `zone` with links to `vnets`.
fn links(zone: &str, vnets: &[(&str, &str)]) -> String {
    let items: Vec<String> = vnets
        .iter()
        .enumerate()
        .map(|(i, (vnet, policy))| {
            format!(
                r#"{{"name": "link{i}", "type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
                 "id": "/subscriptions/s1/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/{zone}/virtualNetworkLinks/link{i}",
                 "registrationEnabled": false, "resolutionPolicy": "{policy}",
                 "virtualNetwork": {{"id": "{vnet}"}}, "virtualNetworkLinkState": "Completed",
                 "provisioningState": "Succeeded"}}"#
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// `az network private-dns record-set a list` of `zone` with `names`.
fn records(zone: &str, names: &[&str]) -> String {
    let items: Vec<String> = names
        .iter()
        .map(|n| {
            format!(
                r#"{{"name": "{n}", "type": "Microsoft.Network/privateDnsZones/A", "fqdn": "{n}.{zone}.",
                 "id": "/subscriptions/s1/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/{zone}/A/{n}",
                 "aRecords": [{{"ipv4Address": "10.1.1.5"}}], "ttl": 10}}"#
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn read(files: &[String]) -> PrivateDns {
    let mut p = PrivateDns::default();
    for f in files {
        p.extend(parse_private_dns(f).unwrap());
    }
    p
}

#[test]
fn names_become_record_sets() {
    assert_eq!(
        record_name(BLOB, "asrcache1.blob.core.windows.net").as_deref(),
        Some("asrcache1")
    );
    assert_eq!(
        record_name(BLOB, "AsrCache1.privatelink.blob.core.windows.net.").as_deref(),
        Some("asrcache1")
    );
    assert_eq!(
        record_name(
            VAULT,
            "3216540987123456789-asr-pod01-rcm1.eus.siterecovery.windowsazure.com"
        )
        .as_deref(),
        Some("3216540987123456789-asr-pod01-rcm1.eus")
    );
    assert_eq!(record_name(BLOB, "*.blob.core.windows.net"), None);
    assert_eq!(record_name(BLOB, "login.microsoftonline.com"), None);
    assert_eq!(record_name(BLOB, "evilblob.core.windows.net"), None);
}

#[test]
fn no_export_of_the_zone_no_verdict() {
    let p = read(&[links(BLOB, &[(VNET, "Default")])]);
    assert!(
        p.verdict(
            &placement(&[]),
            EndpointId::SiteRecovery,
            Cloud::Public,
            &[]
        )
        .is_none()
    );
    assert!(
        p.verdict(&placement(&[]), EndpointId::AzureAd, Cloud::Public, &[])
            .is_none()
    );
    // The Government zone is another zone.
    assert!(
        p.verdict(&placement(&[]), EndpointId::CacheStorage, Cloud::Usgov, &[])
            .is_none()
    );
}

#[test]
fn a_zone_linked_elsewhere_is_not_linked_to_the_vm() {
    let p = read(&[links(BLOB, &[(OTHER, "Default")])]);
    let v = p
        .verdict(
            &placement(&[]),
            EndpointId::CacheStorage,
            Cloud::Public,
            &[],
        )
        .unwrap();
    assert_eq!(v.decision, DnsDecision::ZoneNotLinked);
    assert_eq!(v.allowed(), Some(false));
    assert_eq!(v.zone, BLOB);
    assert_eq!(v.zone_group.as_deref(), Some("dns"));
    assert_eq!(v.vnet.as_deref(), Some(VNET));
    assert_eq!(v.links, 1);
    assert!(v.link.is_none());
}

#[test]
fn a_zone_without_links_by_its_count() {
    let zone = r#"{"name": "privatelink.siterecovery.windowsazure.com", "type": "Microsoft.Network/privateDnsZones",
        "id": "/subscriptions/s1/resourceGroups/dns/providers/Microsoft.Network/privateDnsZones/privatelink.siterecovery.windowsazure.com",
        "numberOfVirtualNetworkLinks": 0, "numberOfRecordSets": 6}"#;
    let p = read(&[zone.to_string()]);
    // Decided without knowing where the VM sits: linked nowhere.
    let v = p
        .verdict(
            &Placement::default(),
            EndpointId::SiteRecovery,
            Cloud::Public,
            &[],
        )
        .unwrap();
    assert_eq!(v.decision, DnsDecision::ZoneNotLinked);
    assert!(v.notes.contains(&DnsNote::ServersUnknown));
    // With links, and their list not given: cannot tell.
    let p = read(&[zone.replace(
        "\"numberOfVirtualNetworkLinks\": 0",
        "\"numberOfVirtualNetworkLinks\": 2",
    )]);
    let v = p
        .verdict(
            &placement(&[]),
            EndpointId::SiteRecovery,
            Cloud::Public,
            &[],
        )
        .unwrap();
    assert_eq!(
        v.decision,
        DnsDecision::CannotTell {
            why: DnsUnknown::LinksNotGiven
        }
    );
    assert_eq!(v.allowed(), None);
}

#[test]
fn a_linked_zone_without_the_record() {
    let p = read(&[
        links(VAULT, &[(OTHER, "Default"), (VNET, "NxDomainRedirect")]),
        records(VAULT, &["3216540987123456789-asr-pod01-id1.eus"]),
    ]);
    let name = "3216540987123456789-asr-pod01-rcm1.eus.siterecovery.windowsazure.com";
    let v = p
        .verdict(
            &placement(&[]),
            EndpointId::SiteRecovery,
            Cloud::Public,
            &[name],
        )
        .unwrap();
    assert_eq!(
        v.decision,
        DnsDecision::RecordMissing {
            names: vec!["3216540987123456789-asr-pod01-rcm1.eus".into()]
        }
    );
    assert_eq!(v.link.as_ref().unwrap().name, "link1");
    assert!(v.notes.contains(&DnsNote::FallbackToInternet {
        link: "link1".into()
    }));
    assert_eq!(v.servers, DnsServersUsed::AzureProvided);
    // The record there: it resolves.
    let p = read(&[
        links(VAULT, &[(VNET, "Default")]),
        records(VAULT, &["3216540987123456789-asr-pod01-rcm1.eus"]),
    ]);
    let v = p
        .verdict(
            &placement(&[]),
            EndpointId::SiteRecovery,
            Cloud::Public,
            &[name],
        )
        .unwrap();
    assert_eq!(v.decision, DnsDecision::Resolves);
    // Without a name (check): records there, their names not told.
    let v = p
        .verdict(
            &placement(&[]),
            EndpointId::SiteRecovery,
            Cloud::Public,
            &[],
        )
        .unwrap();
    assert_eq!(v.decision, DnsDecision::Resolves);
    assert!(v.notes.contains(&DnsNote::NamesUnknown { records: 1 }));
    // One record of a vault's five.
    assert!(v.notes.contains(&DnsNote::VaultRecordsFew { records: 1 }));
    // A record list of another zone says nothing of this one.
    let p = read(&[links(BLOB, &[(VNET, "Default")]), records(VAULT, &["x"])]);
    let v = p
        .verdict(
            &placement(&[]),
            EndpointId::CacheStorage,
            Cloud::Public,
            &[],
        )
        .unwrap();
    assert!(v.notes.contains(&DnsNote::RecordsNotGiven));
}

#[test]
fn an_empty_zone_lacks_every_record() {
    let zone = format!(
        r#"{{"name": "{BLOB}", "type": "Microsoft.Network/privateDnsZones", "numberOfVirtualNetworkLinks": 1, "numberOfRecordSets": 1}}"#
    );
    let p = read(&[zone, links(BLOB, &[(VNET, "Default")])]);
    let v = p
        .verdict(
            &placement(&[]),
            EndpointId::CacheStorage,
            Cloud::Public,
            &["asrcache1.blob.core.windows.net"],
        )
        .unwrap();
    assert_eq!(
        v.decision,
        DnsDecision::RecordMissing {
            names: vec!["asrcache1".into()]
        }
    );
}

#[test]
fn custom_servers_are_noted_and_azure_dns_is_not_custom() {
    let p = read(&[links(BLOB, &[(VNET, "Default")])]);
    let v = p
        .verdict(
            &placement(&["10.0.0.4"]),
            EndpointId::CacheStorage,
            Cloud::Public,
            &[],
        )
        .unwrap();
    assert!(v.notes.contains(&DnsNote::CustomServers {
        servers: vec!["10.0.0.4".parse().unwrap()],
        on_nic: false
    }));
    assert_eq!(v.custom_servers().map(<[_]>::len), Some(1));
    let v = p
        .verdict(
            &placement(&["168.63.129.16"]),
            EndpointId::CacheStorage,
            Cloud::Public,
            &[],
        )
        .unwrap();
    assert_eq!(v.servers, DnsServersUsed::AzureProvided);
    // The NIC's servers override the virtual network's.
    let mut pl = placement(&[]);
    pl.nic = Some(Nic {
        id: ResourceId::new(
            "/subscriptions/s1/resourceGroups/vm/providers/Microsoft.Network/networkInterfaces/nic",
        ),
        subnet: Some(ResourceId::new(&format!("{VNET}/subnets/default"))),
        private_ips: Vec::new(),
        public_ip: None,
        dns_servers: vec!["10.9.9.9".parse().unwrap()],
        default_outbound: None,
    });
    let v = p
        .verdict(&pl, EndpointId::CacheStorage, Cloud::Public, &[])
        .unwrap();
    assert_eq!(
        v.servers,
        DnsServersUsed::Nic(vec!["10.9.9.9".parse().unwrap()])
    );
}

#[test]
fn where_the_vm_sits_unknown() {
    let p = read(&[links(BLOB, &[(VNET, "Default")])]);
    let v = p
        .verdict(
            &Placement::default(),
            EndpointId::CacheStorage,
            Cloud::Public,
            &[],
        )
        .unwrap();
    assert_eq!(
        v.decision,
        DnsDecision::CannotTell {
            why: DnsUnknown::VnetUnknown
        }
    );
}

#[test]
fn bad_exports_are_refused_in_one_line() {
    for (text, want) in [
        ("{", "not JSON"),
        (r#"{"a": 1, "a": 2}"#, "export the file again"),
        (r#"[{"name": "x"}]"#, "expected the output of"),
        (
            r#"[{"name": "l", "virtualNetwork": {"id": "/v"}}]"#,
            "link l: no `id` naming its zone",
        ),
        (
            r#"[{"name": "r", "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/z/A/r", "aRecords": [{"ipv4Address": "nope"}]}]"#,
            "record r: an A record without a valid `ipv4Address`",
        ),
    ] {
        let e = parse_private_dns(text).unwrap_err().to_string();
        assert!(e.contains(want), "{text}: {e}");
        assert!(!e.contains('\n'), "{e}");
    }
    // Strings are sanitised.
    let p = parse_private_dns(
        r#"[{"name": "l\u001b[2J", "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/z/virtualNetworkLinks/l", "virtualNetwork": {"id": "/v"}}]"#,
    )
    .unwrap();
    assert!(!p.links[0].name.contains('\u{1b}'));
}

#[test]
fn other_record_types_only_mark_the_list() {
    let text = format!(
        r#"{{"value": [{{"name": "@", "type": "Microsoft.Network/privateDnsZones/SOA",
            "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateDnsZones/{BLOB}/SOA/@",
            "properties": {{"soaRecord": {{"host": "azureprivatedns.net"}}}}}}]}}"#
    );
    let p = parse_private_dns(&text).unwrap();
    assert!(p.records.is_empty());
    assert_eq!(p.record_lists, [BLOB]);
}

#[test]
fn government_and_china_zones_are_their_clouds() {
    let gov = "privatelink.siterecovery.windowsazure.us";
    let p = read(&[links(gov, &[(OTHER, "Default")])]);
    let v = p
        .verdict(&placement(&[]), EndpointId::SiteRecovery, Cloud::Usgov, &[])
        .unwrap();
    assert_eq!(v.zone, gov);
    assert_eq!(v.decision, DnsDecision::ZoneNotLinked);
    // The public cloud's vault zone is not the Government one.
    assert!(
        p.verdict(
            &placement(&[]),
            EndpointId::SiteRecovery,
            Cloud::Public,
            &[]
        )
        .is_none()
    );
    let china = "privatelink.blob.core.chinacloudapi.cn";
    let p = read(&[
        links(china, &[(VNET, "Default")]),
        records(china, &["asrcache1"]),
    ]);
    let v = p
        .verdict(
            &placement(&[]),
            EndpointId::CacheStorage,
            Cloud::China,
            &["asrcache1.blob.core.chinacloudapi.cn"],
        )
        .unwrap();
    assert_eq!(v.decision, DnsDecision::Resolves);
    assert_eq!(v.names, ["asrcache1"]);
}

#[test]
fn every_truncation_of_an_export_is_refused_or_read_without_panic() {
    for text in [
        links(BLOB, &[(VNET, "NxDomainRedirect")]),
        records(BLOB, &["a", "b"]),
    ] {
        assert!(parse_private_dns(&text).is_ok());
        for i in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
            let _ = parse_private_dns(&text[..i]);
            let _ = crate::azure::kind::sniff(&text[..i]);
        }
    }
}
