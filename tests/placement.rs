//! Where the VM sits, read from `az network nic show`, `az network vnet
//! subnet show` and `az network vnet show`: Microsoft's examples
//! (`tests/data/microsoft/`) in every shape `az` prints them, several files
//! merged, and bad input refused in one line naming the file.

mod common;

use asrscope::azure::placement::{DnsServers, Placement, ResourceId};
use common::{az_flat, microsoft_body, run};
use serde_json::{Value, json};

const NIC: &str = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/networkInterfaces/test-nic";
const NIC_SUBNET: &str = "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/rg1-vnet/subnets/default";

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("asrscope-placement-")
        .tempdir()
        .unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, v: &Value) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

/// The placement `--azure` files give.
fn placement(files: &[std::path::PathBuf]) -> anyhow::Result<Placement> {
    let tags = asrscope::azure::tags::TagDb::embedded();
    asrscope::app::config::network_from(&[], &[], files, tags).map(|n| n.placement)
}

/// The REST body, `az … show`'s output, `list`'s bare array and the
/// `{"value": […]}` of the REST list.
fn shapes(name: &str) -> Vec<(&'static str, Value)> {
    let rest = microsoft_body(name);
    let flat = az_flat(&rest);
    vec![
        ("rest", rest.clone()),
        ("az", flat.clone()),
        ("list", json!([flat])),
        ("value", json!({"value": [rest]})),
    ]
}

#[test]
fn microsoft_examples_read_alike_in_every_shape() {
    let dir = scratch();
    for (shape, v) in shapes("NetworkInterfaceGet") {
        let p = placement(&[write(&dir, "nic.json", &v)]).unwrap();
        let nic = p.nic.expect(shape);
        assert_eq!(nic.id, ResourceId::new(NIC), "{shape}");
        assert_eq!(nic.subnet, Some(ResourceId::new(NIC_SUBNET)), "{shape}");
        assert_eq!(
            nic.private_ips,
            vec![
                "172.20.2.4".parse::<std::net::IpAddr>().unwrap(),
                "172.20.2.16".parse().unwrap()
            ],
            "{shape}"
        );
        assert_eq!(nic.public_ip.unwrap().name(), "test-ip", "{shape}");
        assert!(nic.dns_servers.is_empty(), "{shape}");
        assert_eq!(nic.default_outbound, None, "{shape}");
        assert!(p.subnets.is_empty() && p.vnets.is_empty(), "{shape}");
    }
    for (shape, v) in shapes("SubnetGet") {
        let p = placement(&[write(&dir, "subnet.json", &v)]).unwrap();
        assert_eq!(p.subnets.len(), 1, "{shape}");
        let s = &p.subnets[0];
        assert_eq!(s.id.name(), "subnet1", "{shape}");
        assert_eq!(s.prefixes.len(), 1, "{shape}");
        assert!(
            s.prefixes[0].contains("10.0.255.1".parse().unwrap()),
            "{shape}"
        );
        assert_eq!(s.default_outbound_access, None, "{shape}");
        assert_eq!(s.nat_gateway, None, "{shape}");
        assert!(s.service_endpoints.is_empty() && s.endpoint_policies.is_empty());
        // The only subnet given is the VM's.
        assert_eq!(p.vm_subnet(), Some(s), "{shape}");
    }
    for (shape, v) in shapes("VirtualNetworkGet") {
        let p = placement(&[write(&dir, "vnet.json", &v)]).unwrap();
        assert_eq!(p.vnets.len(), 1, "{shape}");
        assert_eq!(p.vnets[0].id.name(), "test-vnet", "{shape}");
        assert_eq!(p.subnets.len(), 1, "{shape}");
        assert_eq!(p.subnets[0].id.name(), "subnet1", "{shape}");
        assert!(p.subnets[0].prefixes[0].contains("10.0.1.9".parse().unwrap()));
        assert_eq!(p.dns_servers(), DnsServers::AzureProvided, "{shape}");
    }
}

/// The VM's subnet as `az network vnet subnet show` prints it: a private
/// subnet with a Storage service endpoint and a policy.
fn vm_subnet() -> Value {
    let mut s = az_flat(&microsoft_body("SubnetGet"));
    s["id"] = json!(NIC_SUBNET);
    s["name"] = json!("default");
    s["addressPrefix"] = json!("172.20.2.0/24");
    s["type"] = json!("Microsoft.Network/virtualNetworks/subnets");
    s["defaultOutboundAccess"] = json!(false);
    s["privateEndpointNetworkPolicies"] = json!("Disabled");
    s["serviceEndpoints"] = json!([{"service": "Microsoft.Storage", "locations": ["eastus", "westus"], "provisioningState": "Succeeded"}]);
    s["serviceEndpointPolicies"] = json!([{"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/serviceEndpointPolicies/p1", "resourceGroup": "rg1"}]);
    s["routeTable"] = json!({"id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/routeTables/rt", "resourceGroup": "rg1"});
    s["ipConfigurations"] =
        json!([{"id": format!("{NIC}/ipConfigurations/ipconfig1"), "resourceGroup": "rg1"}]);
    s
}

#[test]
fn a_nic_its_subnet_and_its_network_from_three_files() {
    let dir = scratch();
    let mut vnet = az_flat(&microsoft_body("VirtualNetworkGet"));
    vnet["id"] = json!(
        ResourceId::new(NIC_SUBNET)
            .vnet_of_subnet()
            .unwrap()
            .as_str()
    );
    vnet["dhcpOptions"] = json!({"dnsServers": ["10.0.0.4"]});
    vnet["subnets"] = json!([vm_subnet()]);
    let files = [
        write(
            &dir,
            "nic.json",
            &az_flat(&microsoft_body("NetworkInterfaceGet")),
        ),
        write(&dir, "subnet.json", &vm_subnet()),
        write(&dir, "vnet.json", &vnet),
        // The same NIC again is no second NIC.
        write(
            &dir,
            "nic-again.json",
            &microsoft_body("NetworkInterfaceGet"),
        ),
    ];
    let p = placement(&files).unwrap();
    // The subnet given twice (alone and in its network) is kept once.
    assert_eq!(p.subnets.len(), 1);
    let s = p.vm_subnet().expect("the NIC's subnet");
    assert_eq!(s.default_outbound_access, Some(false));
    assert_eq!(s.service_endpoints[0].service, "Microsoft.Storage");
    assert_eq!(s.service_endpoints[0].locations, ["eastus", "westus"]);
    assert_eq!(s.endpoint_policies[0].name(), "p1");
    assert_eq!(s.route_table.as_ref().unwrap().name(), "rt");
    assert_eq!(
        p.dns_servers(),
        DnsServers::Vnet(vec!["10.0.0.4".parse().unwrap()])
    );
}

fn check(files: &[&std::path::Path]) -> (i32, String, String) {
    let mut args = vec![
        "check".to_string(),
        "--source-region".into(),
        "eastus".into(),
        "--target-region".into(),
        "centralus".into(),
    ];
    for f in files {
        args.extend(["--azure".to_string(), f.to_string_lossy().into_owned()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

#[test]
fn bad_exports_are_one_line_naming_the_file_exit_2() {
    let dir = scratch();
    let nic = microsoft_body("NetworkInterfaceGet");
    let mut other = nic.clone();
    other["id"] = json!(NIC.replace("test-nic", "other-nic"));
    let mut bad_dns = az_flat(&nic);
    bad_dns["dnsSettings"]["dnsServers"] = json!(["contoso-dns"]);
    let mut bad_prefix = vm_subnet();
    bad_prefix["addressPrefix"] = json!("10.0.0.0/99");
    let mut no_id = vm_subnet();
    no_id.as_object_mut().unwrap().remove("id");
    let cases: Vec<(Vec<(&str, Value)>, &str)> = vec![
        (
            vec![("a.json", nic.clone()), ("b.json", other)],
            "a second network interface",
        ),
        (
            vec![("dns.json", bad_dns)],
            "\"contoso-dns\", not an IP address",
        ),
        (
            vec![("prefix.json", bad_prefix)],
            "is not an address prefix",
        ),
        (vec![("noid.json", no_id)], "no \"id\""),
    ];
    for (files, want) in cases {
        let paths: Vec<_> = files.iter().map(|(n, v)| write(&dir, n, v)).collect();
        let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
        let (code, out, err) = check(&refs);
        assert_eq!(code, 2, "{want}: {out}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(want), "{want}: {err}");
        let last = files.last().unwrap().0;
        assert!(err.contains(last), "{err}");
    }
    // A key written twice.
    let text = serde_json::to_string(&vm_subnet()).unwrap().replacen(
        "\"defaultOutboundAccess\":false",
        "\"defaultOutboundAccess\":false,\"defaultOutboundAccess\":true",
        1,
    );
    assert!(text.contains("true"));
    let p = dir.path().join("twice.json");
    std::fs::write(&p, text).unwrap();
    let (code, _, err) = check(&[&p]);
    assert_eq!(code, 2);
    assert!(
        err.contains("twice.json") && err.contains("appears twice"),
        "{err}"
    );
}
