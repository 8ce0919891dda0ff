//! The subnet's way out: a private subnet (`defaultOutboundAccess: false`)
//! without a NAT gateway, a public IP on the NIC or a route to an
//! appliance reaches only Azure Storage in the VM's region ("Default
//! outbound access in Azure", 12/03/2025). `check` with the subnet's export
//! says `no-outbound` per endpoint; `analyze` cites the subnet's setting in
//! the private-subnet finding of `captures/private-subnet.pcap`.

mod common;

use common::{analyze, data, microsoft_body, requirement, run};
use serde_json::{Value, json};

fn scratch() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("asrscope-outbound-")
        .tempdir()
        .unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, v: &Value) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p.to_string_lossy().into_owned()
}

/// The private subnet of `tests/data/`, edited by `edit`.
fn subnet(edit: impl FnOnce(&mut Value)) -> Value {
    let text = std::fs::read_to_string(data("outbound-private-subnet.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    edit(&mut v);
    v
}

/// `check --format json` for East US -> Central US with `args`.
fn check(args: &[&str]) -> Value {
    common::check_json(args).1
}

const PUBLIC: [&str; 3] = ["azure-ad", "site-recovery", "monitoring"];

#[test]
fn a_private_subnet_without_a_way_out_is_no_outbound_but_for_same_region_storage() {
    let v = check(&["--azure", &data("outbound-private-subnet.json")]);
    assert_eq!(v["ok"], false);
    for id in PUBLIC {
        let r = requirement(&v, id);
        assert_eq!(r["status"], "no-outbound", "{id}");
        assert_eq!(r["outbound"]["subnet"], "subnet1");
        assert_eq!(r["outbound"]["private"], true);
        assert_eq!(r["outbound"]["way"]["by"], "nothing");
        let notes = r["outbound"]["notes"].to_string();
        for n in [
            "load-balancer-not-read",
            "nic-not-given",
            "routes-not-given",
        ] {
            assert!(notes.contains(n), "{id}: {notes}");
        }
        let kinds: Vec<&str> = r["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds, ["subnet-nat-gateway"], "{id}");
        // The subnet's own names, from its id, and the VM's region.
        let fix = r["fix"][0].as_str().unwrap();
        assert!(
            fix.contains("az network nat gateway create --resource-group 'subnet-test' --name '<nat-gateway>' --location 'eastus'"),
            "{fix}"
        );
        assert!(
            fix.contains("az network vnet subnet update --resource-group 'subnet-test' --vnet-name 'vnetname' --name 'subnet1' --nat-gateway '<nat-gateway>'"),
            "{fix}"
        );
        let evidence = r["evidence"].to_string();
        assert!(evidence.contains("subnet subnet1 is private"), "{evidence}");
        // The export decides: no more "whether this subnet is private is
        // not known".
        assert!(!evidence.contains("is not known from"), "{evidence}");
    }
    let storage = requirement(&v, "cache-storage");
    assert_eq!(storage["status"], "ok");
    assert_eq!(storage["outbound"]["way"]["by"], "same-region-storage");
}

#[test]
fn a_nat_gateway_a_public_ip_or_default_access_is_a_way_out() {
    let dir = scratch();
    let nat = subnet(|s| {
        s["natGateway"] = json!({"id": "/subscriptions/subid/resourceGroups/subnet-test/providers/Microsoft.Network/natGateways/natgw1", "resourceGroup": "subnet-test"});
    });
    let open = subnet(|s| {
        s.as_object_mut().unwrap().remove("defaultOutboundAccess");
    });
    // The NIC of Microsoft's example has a public IP; it is put in the subnet.
    let mut nic = microsoft_body("NetworkInterfaceGet");
    for c in nic["properties"]["ipConfigurations"]
        .as_array_mut()
        .unwrap()
    {
        c["properties"]["subnet"]["id"] = subnet(|_| {})["id"].clone();
    }
    let cases = [
        (
            vec![write(&dir, "nat.json", &nat)],
            "nat-gateway",
            Some("natgw1"),
        ),
        (
            vec![write(&dir, "open.json", &open)],
            "default-outbound",
            None,
        ),
        (
            vec![
                data("outbound-private-subnet.json"),
                write(&dir, "nic.json", &nic),
            ],
            "public-ip",
            Some("test-ip"),
        ),
    ];
    for (files, by, name) in cases {
        let mut args = Vec::new();
        for f in &files {
            args.extend(["--azure", f.as_str()]);
        }
        let v = check(&args);
        for id in PUBLIC {
            let r = requirement(&v, id);
            assert_eq!(r["status"], "ok", "{by} {id}");
            assert_eq!(r["outbound"]["way"]["by"], by, "{id}");
            if let Some(n) = name {
                let way = r["outbound"]["way"].to_string();
                assert!(way.contains(n), "{way}");
            }
        }
    }
}

#[test]
fn routes_to_an_appliance_are_a_way_out_and_internet_routes_break() {
    // 0.0.0.0/0 to the appliance at 10.1.0.1, and AzureActiveDirectory to
    // next hop Internet past it: the Internet route breaks in a private
    // subnet, the appliance takes the rest out.
    let v = check(&[
        "--routes",
        &data("routes-tags-internet.json"),
        "--azure",
        &data("outbound-private-subnet.json"),
    ]);
    let aad = requirement(&v, "azure-ad");
    assert_eq!(aad["status"], "no-outbound");
    assert!(
        aad["outbound"]["notes"]
            .to_string()
            .contains("internet-route-breaks"),
        "{}",
        aad["outbound"]
    );
    let asr = requirement(&v, "site-recovery");
    assert_eq!(asr["status"], "via-appliance");
    assert_eq!(asr["outbound"]["way"]["by"], "appliance");
}

#[test]
fn an_nsg_that_denies_first_keeps_its_status() {
    // The NSG denies TCP 443 to EventHub.CentralUS: NSGs apply before the
    // subnet's way out, whose verdict is still recorded.
    let v = check(&[
        "--nsg",
        &data("nsg-deny-eventhub.json"),
        "--azure",
        &data("outbound-private-subnet.json"),
    ]);
    let eh = requirement(&v, "monitoring");
    assert_eq!(eh["status"], "denied");
    assert_eq!(eh["outbound"]["way"]["by"], "nothing");
    assert!(
        eh["evidence"].to_string().contains("have no way out"),
        "{}",
        eh["evidence"]
    );
    assert_eq!(requirement(&v, "azure-ad")["status"], "no-outbound");
}

fn private_subnet(v: &Value) -> Option<&Value> {
    v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["about"]["kind"] == "private-subnet")
}

#[test]
fn analyze_cites_the_subnet_setting_or_drops_the_signature() {
    let name = "private-subnet.pcap";
    let (_, v) = analyze(name, &["--azure", &data("outbound-private-subnet.json")]);
    let f = private_subnet(&v).unwrap_or_else(|| panic!("{}", v["diagnosis"]["findings"]));
    assert!(
        f["title"]
            .as_str()
            .unwrap()
            .starts_with("the VM's subnet subnet1 is private"),
        "{f}"
    );
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("the subnet's export decides it: no-outbound: subnet subnet1 is private"),
        "{evidence}"
    );
    assert!(!evidence.contains("is not in the capture"), "{evidence}");
    assert_eq!(f["fixes"][0]["kind"], "subnet-nat-gateway", "{f}");
    assert_eq!(f["fixes"][0]["subnet"], "subnet1", "{f}");
    // Each flow says its way out.
    let flows = v["flows"].as_array().unwrap();
    let way = |ip: &str| {
        flows
            .iter()
            .find(|f| f["dst_ip"] == ip)
            .map(|f| f["outbound"]["way"]["by"].clone())
            .unwrap_or_else(|| panic!("{ip}"))
    };
    assert_eq!(way("13.89.170.130"), "nothing");
    assert_eq!(way("4.149.98.200"), "nothing");
    assert_eq!(way("13.68.163.36"), "same-region-storage");
    // The CSV's outbound column.
    let c = common::capture(name);
    let subnet_file = data("outbound-private-subnet.json");
    let (code, csv, err) = run(&["analyze", "--csv", "-", "--azure", &subnet_file, &c]);
    assert!(code == 0 || code == 1, "{err}");
    let cells = common::csv_column(&csv, "outbound");
    assert!(
        cells.iter().any(|c| c == "no-outbound subnet1"),
        "{cells:?}"
    );
    assert!(
        cells.iter().any(|c| c == "same-region-storage"),
        "{cells:?}"
    );
    // A subnet with a NAT gateway has a way out: not the signature.
    let dir = scratch();
    let nat = write(
        &dir,
        "nat.json",
        &subnet(|s| {
            s["natGateway"] = json!({"id": "/subscriptions/subid/resourceGroups/subnet-test/providers/Microsoft.Network/natGateways/natgw1"});
        }),
    );
    let (_, v) = analyze(name, &["--azure", &nat]);
    assert!(
        private_subnet(&v).is_none(),
        "{}",
        v["diagnosis"]["findings"]
    );
}
