//! Route readers and selection, on exports written by hand after the API
//! reference's examples (NetworkInterfaceEffectiveRouteTableList,
//! RouteTableGet); configuration, not captures. Microsoft's own examples are
//! read in `tests/azure_examples.rs`.

use super::*;
use crate::azure::tags::{NoTags, TagSource};
use crate::model::{
    NextHop, RouteNote, RouteOrigin, RoutePrefix, RouteSource, RouteTaken, RouteVerdict, TagName,
    TagUnknown,
};
use std::net::IpAddr;

fn effective_route(routes: &[Route], ip: IpAddr, tags: &dyn TagSource) -> Option<RouteVerdict> {
    Routes::new(routes.to_vec(), tags).select(ip, tags)
}

/// A few tags with made-up blocks, for tests.
struct Tags(Vec<(&'static str, Vec<&'static str>)>);

impl TagSource for Tags {
    fn knows(&self, tag: &TagName) -> bool {
        self.0.iter().any(|(t, _)| tag.is(t))
    }
    fn tags_of(&self, ip: IpAddr) -> Vec<TagName> {
        self.0
            .iter()
            .filter(|(_, bs)| bs.iter().any(|b| Block::parse(b).unwrap().contains(ip)))
            .map(|(t, _)| TagName::new(*t))
            .collect()
    }
    fn blocks(&self, tag: &TagName) -> Vec<Block> {
        self.0
            .iter()
            .filter(|(t, _)| tag.is(t))
            .flat_map(|(_, bs)| bs.iter().map(|b| Block::parse(b).unwrap()))
            .collect()
    }
}

// Written by hand after the API reference's examples
// (NetworkInterfaceEffectiveRouteTableList, RouteTableGet); configuration, not captures.

fn route(source: &str, state: &str, prefixes: &[&str], hop: &str, hop_ip: &[&str]) -> String {
    let q = |v: &[&str]| {
        v.iter()
            .map(|s| format!("\"{s}\""))
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        r#"{{"source": "{source}", "state": "{state}", "addressPrefix": [{}],
            "nextHopType": "{hop}", "nextHopIpAddress": [{}]}}"#,
        q(prefixes),
        q(hop_ip)
    )
}

fn system_routes() -> Vec<String> {
    vec![
        route("Default", "Active", &["10.1.0.0/16"], "VnetLocal", &[]),
        route("Default", "Active", &["0.0.0.0/0"], "Internet", &[]),
        route("Default", "Active", &["10.0.0.0/8"], "None", &[]),
        route("Default", "Active", &["100.64.0.0/10"], "None", &[]),
        route("Default", "Active", &["172.16.0.0/12"], "None", &[]),
        route("Default", "Active", &["192.168.0.0/16"], "None", &[]),
    ]
}

fn parse(routes: &[String]) -> Vec<Route> {
    parse_routes(&format!(
        r#"{{"value": [{}], "nextLink": null}}"#,
        routes.join(",")
    ))
    .unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// The route a verdict takes (a test that expects one).
fn taken(v: &RouteVerdict) -> &RouteTaken {
    v.route.as_ref().expect("a route holds the destination")
}

/// An address block as a route's prefix.
fn block(text: &str) -> RoutePrefix {
    let b = Block::parse(text).unwrap();
    RoutePrefix::Block {
        address: b.first(),
        len: b.prefix_len(),
    }
}

fn hop(routes: &[Route], to: &str) -> (NextHop, RoutePrefix) {
    let s = effective_route(routes, ip(to), &NoTags).unwrap();
    let t = taken(&s);
    (t.next_hop.clone(), t.prefix.clone())
}

#[test]
fn effective_list_with_value_wrapper_and_bare_array() {
    let wrapped = parse(&system_routes());
    let bare = parse_routes(&format!("[{}]", system_routes().join(","))).unwrap();
    assert_eq!(wrapped, bare);
    assert_eq!(wrapped.len(), 6);
    assert_eq!(wrapped[0].source, RouteSource::Default);
    assert_eq!(wrapped[0].state, State::Active);
    assert_eq!(wrapped[0].next_hop, NextHop::VnetLocal);
    assert_eq!(wrapped[0].name, None);
}

#[test]
fn route_table_rest_body_and_flattened() {
    let rest = r#"{
      "name": "testrt",
      "id": "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network/routeTables/testrt",
      "type": "Microsoft.Network/routeTables",
      "location": "westus",
      "properties": {
        "provisioningState": "Succeeded",
        "disableBgpRoutePropagation": false,
        "routes": [
          {"name": "route1", "id": "x/routes/route1",
           "properties": {"provisioningState": "Succeeded", "addressPrefix": "10.0.3.0/24",
                          "nextHopType": "VirtualNetworkGateway"}},
          {"name": "to-firewall", "id": "x/routes/to-firewall",
           "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
                          "nextHopIpAddress": "10.100.0.4"}}
        ]
      }
    }"#;
    let flat = r#"{
      "name": "testrt",
      "routes": [
        {"name": "route1", "addressPrefix": "10.0.3.0/24", "nextHopType": "VirtualNetworkGateway",
         "nextHopIpAddress": null},
        {"name": "to-firewall", "addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance",
         "nextHopIpAddress": "10.100.0.4"}
      ]
    }"#;
    let a = parse_routes(rest).unwrap();
    assert_eq!(a, parse_routes(flat).unwrap());
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].source, RouteSource::User);
    assert_eq!(a[0].state, State::Active);
    assert_eq!(a[1].name.as_deref(), Some("to-firewall"));
    assert_eq!(a[1].next_hop_addresses, vec!["10.100.0.4".to_string()]);
    let s = effective_route(&a, ip("52.1.2.3"), &NoTags).unwrap();
    assert_eq!(&taken(&s).next_hop, &NextHop::VirtualAppliance);
    assert_eq!(s.next_hop_address(), Some("10.100.0.4"));
    // az network route-table list: an array of tables.
    assert_eq!(parse_routes(&format!("[{rest}, {flat}]")).unwrap().len(), 4);
}

#[test]
fn longest_prefix_wins() {
    let routes = parse(&system_routes());
    assert_eq!(
        hop(&routes, "10.1.2.3"),
        (NextHop::VnetLocal, block("10.1.0.0/16"))
    );
    assert_eq!(
        hop(&routes, "10.2.2.3"),
        (NextHop::None, block("10.0.0.0/8"))
    );
    assert_eq!(
        hop(&routes, "52.1.2.3"),
        (NextHop::Internet, block("0.0.0.0/0"))
    );
    // No route holds an IPv6 address here: Azure drops it.
    let none = effective_route(&routes, ip("2603:1030::1"), &NoTags).unwrap();
    assert_eq!(none.route, None);
    assert_eq!(none.next_hop(), &NextHop::None);
    assert!(none.drops());
}

#[test]
fn user_beats_system_at_equal_length_and_to_gateway() {
    let mut r = system_routes();
    r.push(route(
        "User",
        "Active",
        &["0.0.0.0/0"],
        "VirtualNetworkGateway",
        &[],
    ));
    let routes = parse(&r);
    let s = effective_route(&routes, ip("52.1.2.3"), &NoTags).unwrap();
    let t = taken(&s);
    assert_eq!(&t.source, &RouteSource::User);
    assert_eq!(&t.next_hop, &NextHop::VirtualNetworkGateway);
    assert!(t.prefix.is_default());
    // A more specific system route still wins over the user default route.
    assert_eq!(hop(&routes, "10.1.0.7").0, NextHop::VnetLocal);
    // BGP beats system at equal length; user beats BGP.
    let mut r = system_routes();
    r.push(route(
        "VirtualNetworkGateway",
        "Active",
        &["0.0.0.0/0"],
        "VirtualNetworkGateway",
        &["10.9.0.4"],
    ));
    let routes = parse(&r);
    let s = effective_route(&routes, ip("52.1.2.3"), &NoTags).unwrap();
    assert_eq!(&taken(&s).source, &RouteSource::VirtualNetworkGateway);
    assert_eq!(s.next_hop_address(), Some("10.9.0.4"));
    r.push(route(
        "User",
        "Active",
        &["0.0.0.0/0"],
        "VirtualAppliance",
        &["10.100.0.4"],
    ));
    assert_eq!(hop(&parse(&r), "52.1.2.3").0, NextHop::VirtualAppliance);
}

#[test]
fn invalid_routes_are_ignored() {
    let mut r = system_routes();
    // The system default route becomes Invalid once a user route replaces it…
    r[1] = route("Default", "Invalid", &["0.0.0.0/0"], "Internet", &[]);
    r.push(route(
        "User",
        "Invalid",
        &["52.0.0.0/8"],
        "VirtualAppliance",
        &["10.100.0.4"],
    ));
    let routes = parse(&r);
    // …and an invalid route is never chosen: nothing is left for 52.1.2.3.
    let s = effective_route(&routes, ip("52.1.2.3"), &NoTags).unwrap();
    assert_eq!(s.route, None);
    let e = parse_routes(
        r#"[{"source": "Default", "state": "Pending",
        "addressPrefix": ["0.0.0.0/0"], "nextHopType": "Internet"}]"#,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "route \"#1\": state \"Pending\" is neither Active nor Invalid"
    );
}

#[test]
fn service_endpoint_route() {
    let mut r = system_routes();
    r.push(route(
        "Default",
        "Active",
        &["20.60.0.0/16", "52.239.140.0/22", "20.38.108.0/23"],
        "VirtualNetworkServiceEndpoint",
        &[],
    ));
    // Forced tunnelling over BGP, more specific than the service endpoint route.
    r.push(route(
        "VirtualNetworkGateway",
        "Active",
        &["52.239.0.0/17"],
        "VirtualNetworkGateway",
        &["10.9.0.4"],
    ));
    let routes = parse(&r);
    assert_eq!(
        hop(&routes, "52.239.141.1"),
        (
            NextHop::VirtualNetworkServiceEndpoint,
            block("52.239.140.0/22")
        )
    );
    assert_eq!(
        hop(&routes, "20.60.8.1").0,
        NextHop::VirtualNetworkServiceEndpoint
    );
    // Outside the endpoint's prefixes the BGP route applies.
    assert_eq!(
        hop(&routes, "52.239.10.1").0,
        NextHop::VirtualNetworkGateway
    );
    assert_eq!(hop(&routes, "40.1.1.1").0, NextHop::Internet);
}

#[test]
fn a_tag_route_is_as_long_as_the_tag_prefix_that_holds_the_address() {
    let table = r#"{"name": "rt", "properties": {"routes": [
        {"name": "asr-direct", "properties": {"addressPrefix": "AzureSiteRecovery", "nextHopType": "Internet"}},
        {"name": "default-fw", "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.100.0.4"}},
        {"name": "onprem", "properties": {"addressPrefix": "13.69.0.0/16", "nextHopType": "VirtualNetworkGateway"}}
      ]}}"#;
    let routes = parse_routes(table).unwrap();
    assert_eq!(
        routes[0].prefixes,
        vec![Destination::Tag(TagName::new("AzureSiteRecovery"))]
    );
    let asr = Tags(vec![(
        "AzureSiteRecovery",
        vec!["13.69.1.0/24", "40.1.0.0/16"],
    )]);
    // The tag's /16 beats 0.0.0.0/0.
    let s = effective_route(&routes, ip("40.1.1.1"), &asr).unwrap();
    let t = taken(&s);
    assert_eq!(t.name.as_deref(), Some("asr-direct"));
    assert_eq!(
        t.prefix,
        RoutePrefix::Tag(TagName::new("AzureSiteRecovery"))
    );
    assert_eq!(t.next_hop, NextHop::Internet);
    // The tag's /24 beats the explicit /16: a tag route is as specific as
    // its prefix, not ranked below every CIDR route.
    let s = effective_route(&routes, ip("13.69.1.1"), &asr).unwrap();
    assert_eq!(taken(&s).name.as_deref(), Some("asr-direct"));
    // Outside the /24, the /16.
    let s = effective_route(&routes, ip("13.69.2.1"), &asr).unwrap();
    assert_eq!(taken(&s).name.as_deref(), Some("onprem"));
    // Without the tag's data: the CIDR route, and said so.
    let s = effective_route(&routes, ip("40.1.1.1"), &NoTags).unwrap();
    assert_eq!(taken(&s).name.as_deref(), Some("default-fw"));
    assert_eq!(
        s.notes,
        vec![RouteNote::TagUnknown {
            address: ip("40.1.1.1"),
            route: "asr-direct".into(),
            tag: TagName::new("AzureSiteRecovery"),
            more: 0,
            why: TagUnknown::NotInData,
        }]
    );
}

#[test]
fn exact_match_explicit_prefix_then_regional_tag_then_top_level_then_azure_cloud() {
    let route = |name: &str, prefix: &str, hop: &str| {
        format!(
            r#"{{"name": "{name}", "properties": {{"addressPrefix": "{prefix}", "nextHopType": "{hop}", "nextHopIpAddress": "10.100.0.4"}}}}"#
        )
    };
    let table = |routes: &[String]| {
        parse_routes(&format!(
            r#"{{"name": "rt", "properties": {{"routes": [{}]}}}}"#,
            routes.join(",")
        ))
        .unwrap()
    };
    // Every tag holds the same /20, so every route is an exact match.
    let block = "20.38.96.0/20";
    let tags = Tags(vec![
        ("Storage", vec![block]),
        ("Storage.EastUS", vec![block]),
        ("AzureCloud", vec![block]),
        ("AzureCloud.eastus", vec![block]),
    ]);
    let pick = |routes: &[String]| {
        let s = effective_route(&table(routes), ip("20.38.100.1"), &tags).unwrap();
        taken(&s).name.clone().unwrap()
    };
    let storage = route("storage", "Storage", "VirtualAppliance");
    let regional = route("storage-eastus", "Storage.EastUS", "Internet");
    let cloud = route("cloud", "AzureCloud", "VirtualAppliance");
    let cloud_regional = route("cloud-eastus", "azurecloud.EASTUS", "VirtualAppliance");
    let explicit = route("explicit", block, "VirtualNetworkGateway");
    // The issue's case: Storage to an appliance, Storage.EastUS to Internet.
    assert_eq!(pick(&[storage.clone(), regional.clone()]), "storage-eastus");
    assert_eq!(pick(&[regional.clone(), storage.clone()]), "storage-eastus");
    assert_eq!(pick(&[cloud.clone(), storage.clone()]), "storage");
    assert_eq!(
        pick(&[cloud.clone(), cloud_regional.clone()]),
        "cloud-eastus"
    );
    assert_eq!(pick(&[storage.clone(), cloud_regional.clone()]), "storage");
    assert_eq!(
        pick(&[storage, regional, cloud, cloud_regional, explicit]),
        "explicit"
    );
}

#[test]
fn a_route_table_as_written_is_completed_with_the_system_routes() {
    // Microsoft's RouteTableGet example: one route, 10.0.3.0/24 to a VPN
    // gateway. Azure adds the system routes: public addresses go to the
    // internet, not "no route".
    let table = r#"{"name": "testrt", "properties": {"disableBgpRoutePropagation": false,
        "routes": [{"name": "route1", "properties": {"addressPrefix": "10.0.3.0/24",
        "nextHopType": "VirtualNetworkGateway"}}]}}"#;
    let routes = parse_routes(table).unwrap();
    let r = Routes::new(routes, &NoTags);
    assert!(r.completed());
    assert!(!r.is_empty());
    let s = r.select(ip("20.38.100.1"), &NoTags).unwrap();
    let t = taken(&s);
    assert_eq!(t.next_hop, NextHop::Internet);
    assert_eq!(t.prefix, block("0.0.0.0/0"));
    assert_eq!(t.source, RouteSource::Default);
    assert_eq!(t.origin, RouteOrigin::Assumed);
    assert!(s.notes.is_empty(), "{:?}", s.notes);
    let s = r.select(ip("10.0.3.7"), &NoTags).unwrap();
    assert_eq!(taken(&s).name.as_deref(), Some("route1"));
    assert_eq!(taken(&s).origin, RouteOrigin::Table);
    // A private address outside the route: the assumed None route, with
    // what a route table cannot show; it is not a drop the admin made.
    let s = r.select(ip("10.1.0.4"), &NoTags).unwrap();
    let t = taken(&s);
    assert_eq!(
        (t.next_hop.clone(), t.origin),
        (NextHop::None, RouteOrigin::Assumed)
    );
    assert!(!s.drops());
    assert_eq!(
        s.notes,
        vec![RouteNote::SystemRouteDrops {
            address: ip("10.1.0.4")
        }]
    );
    // An effective export is the whole table: nothing is added.
    let eff = parse(&system_routes());
    let r = Routes::new(eff, &NoTags);
    assert!(!r.completed());
    assert_eq!(r.list().len(), 6);
}

#[test]
fn a_route_table_through_an_appliance_says_what_a_service_endpoint_would_change() {
    let table = r#"{"name": "rt", "routes": [{"name": "to-fw", "addressPrefix": "0.0.0.0/0",
        "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.100.0.4"}]}"#;
    let tags = Tags(vec![("Storage.EastUS", vec!["20.38.96.0/20"])]);
    let r = Routes::new(parse_routes(table).unwrap(), &tags);
    let s = r.select(ip("20.38.100.1"), &tags).unwrap();
    assert!(s.to_appliance());
    assert_eq!(
        s.notes,
        vec![RouteNote::ServiceEndpointBypass {
            route: "to-fw".into()
        }]
    );
    let s = r.select(ip("40.1.1.1"), &tags).unwrap();
    assert!(s.notes.is_empty(), "{:?}", s.notes);
}

#[test]
fn bad_json_gives_one_line_naming_what_was_expected() {
    assert!(
        parse_routes("nope")
            .unwrap_err()
            .to_string()
            .starts_with("not JSON")
    );
    let e = parse_routes(r#"{"something": []}"#)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("az network nic show-effective-route-table"),
        "{e}"
    );
    assert!(e.contains("az network route-table show"), "{e}");
    assert!(!e.contains('\n'));
    let e =
        parse_routes(r#"[{"source": "User", "state": "Active", "addressPrefix": ["10.0.0.0/8"]}]"#)
            .unwrap_err();
    assert_eq!(e.to_string(), "route \"#1\": no nextHopType");
}

/// `count` user routes, route `i` to `prefix(i)` through the appliance `hop(i)`.
fn many(
    count: usize,
    prefix: impl Fn(usize) -> String,
    hop: impl Fn(usize) -> String,
) -> Vec<Route> {
    let routes: Vec<String> = (0..count)
        .map(|i| {
            format!(
                r#"{{"name": "udr-{i}", "source": "User", "state": "Active",
                    "addressPrefix": ["{}"], "nextHopType": "VirtualAppliance",
                    "nextHopIpAddress": ["{}"]}}"#,
                prefix(i),
                hop(i)
            )
        })
        .collect();
    parse(&routes)
}

#[test]
fn many_routes_cost_the_blocks_and_tags_they_name_not_their_number() {
    // A tag of 50 blocks, named by 20,000 routes; 20,000 routes to one
    // block; 20,000 routes to one address each (numbered from 0 in each lot).
    let blocks: Vec<&'static str> = (0..50).map(|i| &*format!("20.{i}.0.0/16").leak()).collect();
    let tags = Tags(vec![("Storage.EastUS", blocks)]);
    let n = 20_000;
    let mut routes = many(
        n,
        |_| "Storage.EastUS".into(),
        |i| format!("10.1.0.{}", i % 200),
    );
    routes.extend(many(
        n,
        |_| "0.0.0.0/0".into(),
        |i| format!("10.2.0.{}", i % 200),
    ));
    routes.extend(many(
        n,
        |i| format!("30.{}.{}.{}/32", i >> 16, (i >> 8) & 255, i & 255),
        |_| "10.3.0.1".into(),
    ));
    let indexed = Routes::new(routes, &tags);
    // Each block once, each tag's blocks once: not 20,000 × 50 + 20,000.
    assert_eq!(indexed.filed(), 1 + 50 + n);
    // Among routes of equal rank naming one block or tag, the last in the
    // export is taken, as before the index.
    let s = indexed.select(ip("20.7.1.1"), &tags).unwrap();
    assert_eq!(taken(&s).name.as_deref(), Some("udr-19999"));
    assert_eq!(
        taken(&s).prefix,
        RoutePrefix::Tag(TagName::new("Storage.EastUS"))
    );
    assert_eq!(s.next_hop_address(), Some("10.1.0.199"));
    let s = indexed.select(ip("52.1.2.3"), &tags).unwrap();
    assert_eq!(taken(&s).name.as_deref(), Some("udr-19999"));
    assert_eq!(s.next_hop_address(), Some("10.2.0.199"));
    assert_eq!(taken(&s).prefix, block("0.0.0.0/0"));
    let s = indexed.select(ip("30.0.2.3"), &tags).unwrap();
    assert_eq!(taken(&s).name.as_deref(), Some("udr-515"));
    assert_eq!(taken(&s).prefix, block("30.0.2.3/32"));
    assert!(s.notes.is_empty(), "{:?}", s.notes);
}

#[test]
fn tags_the_data_cannot_tell_are_noted_within_bounds() {
    // 20,000 routes, each naming a tag the data lacks: eight are named, the
    // rest counted, in every verdict.
    let n = 20_000;
    let routes = many(n, |i| format!("NoSuchTag{i}"), |_| "10.1.0.4".into());
    let indexed = Routes::new(routes, &NoTags);
    let s = indexed.select(ip("52.1.2.3"), &NoTags).unwrap();
    assert_eq!(s.notes.len(), 9, "{:?}", &s.notes[..12.min(s.notes.len())]);
    assert_eq!(
        s.notes[0],
        RouteNote::TagUnknown {
            address: ip("52.1.2.3"),
            route: "udr-0".into(),
            tag: TagName::new("NoSuchTag0"),
            more: 0,
            why: TagUnknown::NotInData,
        }
    );
    assert_eq!(
        s.notes[8],
        RouteNote::MoreTagsUnknown {
            address: ip("52.1.2.3"),
            count: 19_992
        }
    );
    // One tag named by many routes is one note that says how many.
    let routes = many(n, |_| "NoSuchTag".into(), |_| "10.1.0.4".into());
    let s = Routes::new(routes, &NoTags)
        .select(ip("52.1.2.3"), &NoTags)
        .unwrap();
    assert_eq!(
        s.notes,
        vec![RouteNote::TagUnknown {
            address: ip("52.1.2.3"),
            route: "udr-0".into(),
            tag: TagName::new("NoSuchTag"),
            more: 19_999,
            why: TagUnknown::NotInData,
        }]
    );
}
