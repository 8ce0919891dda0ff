use super::*;
use crate::azure::placement::{Nic, Placement, ResourceId, ServiceEndpoint, Subnet};
use crate::model::{OutboundNote, OutboundWay};

const SUBNET: &str =
    "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/app";

fn private_subnet() -> Placement {
    Placement {
        subnets: vec![Subnet {
            id: ResourceId::new(SUBNET),
            prefixes: Vec::new(),
            default_outbound_access: Some(false),
            nat_gateway: None,
            service_endpoints: Vec::new(),
            endpoint_policies: Vec::new(),
            nsg: None,
            route_table: None,
        }],
        ..Placement::default()
    }
}

const EVENT_HUB: Destination<'static> = Destination {
    storage_region: None,
    source_region: Some("eastus"),
};

#[test]
fn a_private_subnet_without_a_way_out_reaches_only_same_region_storage() {
    let p = private_subnet();
    let v = verdict(&p, None, false, &EVENT_HUB).unwrap();
    assert_eq!(v.way, OutboundWay::Nothing);
    assert!(!v.allowed() && v.private);
    assert_eq!(v.subnet, "app");
    assert_eq!(
        v.notes,
        [
            OutboundNote::LoadBalancerNotRead,
            OutboundNote::NicNotGiven,
            OutboundNote::RoutesNotGiven,
            OutboundNote::TakesEffectAfterDeallocate
        ]
    );
    let here = Destination {
        storage_region: Some("EastUS"),
        source_region: Some("eastus"),
    };
    assert_eq!(
        verdict(&p, None, false, &here).unwrap().way,
        OutboundWay::SameRegionStorage
    );
    let there = Destination {
        storage_region: Some("CentralUS"),
        ..here
    };
    assert_eq!(
        verdict(&p, None, false, &there).unwrap().way,
        OutboundWay::Nothing
    );
}

#[test]
fn each_explicit_method_is_a_way_out() {
    let mut p = private_subnet();
    p.nic = Some(Nic {
        id: ResourceId::new(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/n",
        ),
        subnet: Some(ResourceId::new(SUBNET)),
        private_ips: Vec::new(),
        public_ip: Some(ResourceId::new(
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/publicIPAddresses/vm-ip",
        )),
        dns_servers: Vec::new(),
        default_outbound: None,
    });
    let way = |p: &Placement| verdict(p, None, false, &EVENT_HUB).unwrap().way;
    assert_eq!(
        way(&p),
        OutboundWay::PublicIp {
            address: "vm-ip".into()
        }
    );
    p.subnets[0].nat_gateway = Some(ResourceId::new(
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/natGateways/natgw",
    ));
    assert_eq!(
        way(&p),
        OutboundWay::NatGateway {
            gateway: "natgw".into()
        }
    );
    p.subnets[0].nat_gateway = None;
    p.nic.as_mut().unwrap().public_ip = None;
    p.subnets[0].default_outbound_access = None;
    assert_eq!(way(&p), OutboundWay::DefaultOutbound);
    p.subnets[0].default_outbound_access = Some(false);
    p.subnets[0].service_endpoints = vec![ServiceEndpoint {
        service: "Microsoft.Storage".into(),
        locations: vec!["centralus".into()],
    }];
    let storage = Destination {
        storage_region: Some("CentralUS"),
        source_region: Some("eastus"),
    };
    assert_eq!(
        verdict(&p, None, false, &storage).unwrap().way,
        OutboundWay::ServiceEndpoint {
            service: "Microsoft.Storage".into()
        }
    );
    // Without the VM's subnet, nothing is told.
    assert_eq!(
        verdict(&Placement::default(), None, false, &EVENT_HUB),
        None
    );
}

#[test]
fn routes_decide_an_appliance_or_an_internet_route_that_breaks() {
    let tags = crate::azure::tags::TagDb::embedded();
    let table = |hop: &str, address: &str| {
        format!(
            r#"{{"type": "Microsoft.Network/routeTables", "name": "rt", "routes": [{{"name": "default",
               "addressPrefix": "0.0.0.0/0", "nextHopType": "{hop}"{address}}}]}}"#
        )
    };
    let p = private_subnet();
    let ip = "13.89.170.130".parse().unwrap();
    for (hop, address, want) in [
        (
            "VirtualAppliance",
            r#", "nextHopIpAddress": "10.1.0.1""#,
            OutboundWay::Appliance,
        ),
        ("Internet", "", OutboundWay::Nothing),
    ] {
        let routes = crate::azure::routes::parse_routes(&table(hop, address)).unwrap();
        let network = crate::azure::Network::new(Vec::new(), routes, tags);
        let route = network.route(ip, tags);
        let v = verdict(&p, route.as_ref(), true, &EVENT_HUB).unwrap();
        assert_eq!(v.way, want, "{hop}");
        assert_eq!(
            v.notes.contains(&OutboundNote::InternetRouteBreaks),
            hop == "Internet",
            "{hop}"
        );
    }
}
