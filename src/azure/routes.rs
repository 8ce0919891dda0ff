//! Routes as an admin exports them, and which one carries traffic to an address.
//!
//! Two exports are read, both without giving asrscope any access to Azure:
//!
//! * `az network nic show-effective-route-table -g RG -n NIC` — the REST body
//!   `EffectiveRouteListResult`: `value[]` of `{name, source, state, addressPrefix[],
//!   nextHopIpAddress[], nextHopType, disableBgpRoutePropagation}`. `source` is
//!   `Default` (system), `User` (route table), `VirtualNetworkGateway` (BGP) or `Unknown`;
//!   `state` is `Active` or `Invalid`.
//! * `az network route-table show -g RG -n RT` — a `RouteTable`: `name`, `id`,
//!   `properties.routes[]`, each `{name, id, properties: {addressPrefix, nextHopType,
//!   nextHopIpAddress}}`. Its routes are taken as `User` routes, `Active`: a route table
//!   does not say whether Azure accepted each route; the effective list does.
//!
//! As for NSGs, the REST body and the flattened form (`routes[]` with the fields next to
//! `name`), a `value` wrapper and a bare array are all accepted.
//!
//! # Selection
//!
//! [`effective_route`] follows Azure's documented route selection: among active routes,
//! the longest prefix containing the destination wins; on equal prefixes a user-defined
//! route beats a BGP route, which beats a system route. Two documented exceptions are
//! kept: system routes for the virtual network, its peerings and service endpoints are
//! preferred to BGP routes even when those are more specific; and a route with an
//! explicit prefix beats a route with a service tag on an exact tie.
//!
//! A route table may use a service tag as `addressPrefix` (`AzureCloud`, `Storage.WestEurope`).
//! It is matched through the caller's closure ([`TagMatch`]); the length of the tag's
//! prefix holding the address is not known that way, so a tag route is taken as less
//! specific than any matching CIDR route other than `0.0.0.0/0`, and the result says so
//! when that choice could be wrong.

use crate::azure::nsg::{Cidr, TagMatch};
use serde::Deserialize;
use serde_json::Value;
use std::fmt;
use std::net::IpAddr;

/// Why an export could not be read. `Display` is one line; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutesError {
    /// Not JSON at all.
    #[error("not JSON ({0})")]
    Json(String),
    /// JSON, but not one of the shapes read here.
    #[error(
        "expected the output of `az network nic show-effective-route-table` (value[].addressPrefix) or `az network route-table show` (properties.routes), found {0}"
    )]
    Shape(String),
    /// A route with a missing or unreadable field.
    #[error("route \"{route}\": {what}")]
    Route {
        /// The route's name, or its position.
        route: String,
        /// What is wrong with it.
        what: String,
    },
}

/// Who made a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A user-defined route (route table).
    User,
    /// Learned over BGP through a virtual network gateway (or Route Server).
    VirtualNetworkGateway,
    /// A system route.
    Default,
    /// `Unknown`, or anything newer than this code.
    Unknown(String),
}

/// Whether Azure uses a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// In use.
    Active,
    /// Not in use (next hop gone, overridden, …).
    Invalid,
}

/// Where a route sends traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextHop {
    /// Out to the internet (Azure's public ranges stay on Azure's backbone).
    Internet,
    /// Straight to an Azure service over a service endpoint.
    VirtualNetworkServiceEndpoint,
    /// To a network virtual appliance (firewall), at the route's next hop address.
    VirtualAppliance,
    /// To the VPN or ExpressRoute gateway.
    VirtualNetworkGateway,
    /// Within the virtual network.
    VnetLocal,
    /// Dropped.
    None,
    /// To a peered virtual network (`VNetPeering`, `VNetGlobalPeering`), or a type newer
    /// than this code; the exported text.
    Other(String),
}

impl fmt::Display for NextHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NextHop::Internet => "Internet",
            NextHop::VirtualNetworkServiceEndpoint => "VirtualNetworkServiceEndpoint",
            NextHop::VirtualAppliance => "VirtualAppliance",
            NextHop::VirtualNetworkGateway => "VirtualNetworkGateway",
            NextHop::VnetLocal => "VnetLocal",
            NextHop::None => "None",
            NextHop::Other(s) => s,
        })
    }
}

/// A route's destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An address block.
    Cidr(Cidr),
    /// A service tag (route tables only).
    Tag(String),
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Cidr(c) => c.fmt(f),
            Destination::Tag(t) => f.write_str(t),
        }
    }
}

/// One route, from either export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The route's name, when exported (system routes have none).
    pub name: Option<String>,
    /// Who made it.
    pub source: Source,
    /// Whether Azure uses it.
    pub state: State,
    /// Its prefixes (effective routes may carry several).
    pub prefixes: Vec<Destination>,
    /// Where it sends traffic.
    pub next_hop: NextHop,
    /// The next hop's addresses (a virtual appliance's, or a gateway's).
    pub next_hop_addresses: Vec<String>,
}

/// Reads either export; see the module documentation for the shapes.
pub fn parse_routes(json: &str) -> Result<Vec<Route>, RoutesError> {
    let v: Value = serde_json::from_str(json).map_err(|e| RoutesError::Json(e.to_string()))?;
    let shape = |v: &Value| RoutesError::Shape(kind(v));
    // A route table: its routes; else a list of routes (or of route tables).
    if let Some(routes) = table_routes(&v) {
        return routes_of(routes, true);
    }
    let list = match &v {
        Value::Array(a) => a,
        Value::Object(o) => o
            .get("value")
            .and_then(Value::as_array)
            .ok_or_else(|| shape(&v))?,
        _ => return Err(shape(&v)),
    };
    if !list.is_empty() && list.iter().all(|t| table_routes(t).is_some()) {
        let mut out = Vec::new();
        for t in list {
            out.extend(routes_of(table_routes(t).unwrap_or(&Value::Null), true)?);
        }
        return Ok(out);
    }
    routes_in(list, false)
}

fn table_routes(v: &Value) -> Option<&Value> {
    let o = v.as_object()?;
    o.get("properties")
        .and_then(|p| p.get("routes"))
        .or_else(|| o.get("routes"))
        .filter(|r| r.is_array())
}

fn kind(v: &Value) -> String {
    super::json_kind(v, "routes")
}

/// A string or a list of strings (`addressPrefix` is a list in effective routes, a string
/// in route tables; likewise `nextHopIpAddress`).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoute {
    name: Option<String>,
    properties: Option<Box<RawRoute>>,
    source: Option<String>,
    state: Option<String>,
    address_prefix: Option<OneOrMany>,
    next_hop_type: Option<String>,
    next_hop_ip_address: Option<OneOrMany>,
}

fn routes_of(v: &Value, from_table: bool) -> Result<Vec<Route>, RoutesError> {
    let list = v.as_array().ok_or_else(|| RoutesError::Shape(kind(v)))?;
    routes_in(list, from_table)
}

fn routes_in(list: &[Value], from_table: bool) -> Result<Vec<Route>, RoutesError> {
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        if !item.is_object() {
            return Err(RoutesError::Shape(format!(
                "{} in the route list",
                kind(item)
            )));
        }
        let raw: RawRoute =
            serde_json::from_value(item.clone()).map_err(|e| RoutesError::Route {
                route: format!("#{}", i + 1),
                what: e.to_string(),
            })?;
        out.push(convert(raw, i, from_table)?);
    }
    Ok(out)
}

fn convert(outer: RawRoute, i: usize, from_table: bool) -> Result<Route, RoutesError> {
    let name = outer.name.clone();
    let label = name.clone().unwrap_or_else(|| format!("#{}", i + 1));
    let r = match outer.properties {
        Some(p) => *p,
        None => outer,
    };
    let err = |what: String| RoutesError::Route {
        route: label.clone(),
        what,
    };
    let prefixes: Vec<Destination> = r
        .address_prefix
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .iter()
        .map(|t| match Cidr::parse(t) {
            Some(c) => Destination::Cidr(c),
            None => Destination::Tag(t.clone()),
        })
        .collect();
    if prefixes.is_empty() {
        return Err(err("no addressPrefix".into()));
    }
    let next_hop = match r.next_hop_type.as_deref() {
        None => return Err(err("no nextHopType".into())),
        Some(t) => match t.to_ascii_lowercase().as_str() {
            "internet" => NextHop::Internet,
            "virtualnetworkserviceendpoint" => NextHop::VirtualNetworkServiceEndpoint,
            "virtualappliance" => NextHop::VirtualAppliance,
            "virtualnetworkgateway" => NextHop::VirtualNetworkGateway,
            "vnetlocal" => NextHop::VnetLocal,
            "none" => NextHop::None,
            _ => NextHop::Other(t.to_string()),
        },
    };
    let source = match r.source.as_deref() {
        None if from_table => Source::User,
        None => return Err(err("no source".into())),
        Some(s) => match s.to_ascii_lowercase().as_str() {
            "user" => Source::User,
            "virtualnetworkgateway" => Source::VirtualNetworkGateway,
            "default" => Source::Default,
            _ => Source::Unknown(s.to_string()),
        },
    };
    let state = match r.state.as_deref() {
        None if from_table => State::Active,
        None => return Err(err("no state".into())),
        Some(s) if s.eq_ignore_ascii_case("active") => State::Active,
        Some(s) if s.eq_ignore_ascii_case("invalid") => State::Invalid,
        Some(s) => return Err(err(format!("state \"{s}\" is neither Active nor Invalid"))),
    };
    Ok(Route {
        name,
        source,
        state,
        prefixes,
        next_hop,
        next_hop_addresses: r
            .next_hop_ip_address
            .map(OneOrMany::into_vec)
            .unwrap_or_default(),
    })
}

/// The route that carries traffic to an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected<'a> {
    /// The route.
    pub route: &'a Route,
    /// Its prefix that matched.
    pub prefix: Destination,
    /// When the choice rests on an assumption (a service tag route's unknown length).
    pub caveat: Option<String>,
}

impl Selected<'_> {
    /// Who made the route.
    pub fn source(&self) -> &Source {
        &self.route.source
    }

    /// Where it sends the traffic.
    pub fn next_hop(&self) -> &NextHop {
        &self.route.next_hop
    }

    /// The next hop's first address, if any.
    pub fn next_hop_address(&self) -> Option<&str> {
        self.route.next_hop_addresses.first().map(String::as_str)
    }
}

/// The rank on equal prefix length: user-defined, then BGP, then system.
fn source_rank(s: &Source) -> u8 {
    match s {
        Source::User => 3,
        Source::VirtualNetworkGateway => 2,
        Source::Default => 1,
        Source::Unknown(_) => 0,
    }
}

/// System routes Azure prefers to BGP routes even when less specific.
fn beats_bgp(r: &Route) -> bool {
    r.source == Source::Default
        && match &r.next_hop {
            NextHop::VnetLocal | NextHop::VirtualNetworkServiceEndpoint => true,
            NextHop::Other(t) => t.to_ascii_lowercase().contains("peering"),
            _ => false,
        }
}

/// The active route for `destination`, or `None` when no active route contains it (Azure
/// drops such traffic). `tags` tells whether an address is in a service tag, for route
/// tables that use tags as prefixes.
pub fn effective_route<'a>(
    routes: &'a [Route],
    destination: IpAddr,
    tags: TagMatch,
) -> Option<Selected<'a>> {
    let mut cidr_best: Option<(&Route, Cidr)> = None;
    let mut tag_best: Option<(&Route, String)> = None;
    let mut unknown_tags: Vec<String> = Vec::new();
    let mut system_over_bgp: Option<(&Route, Cidr)> = None;
    for r in routes.iter().filter(|r| r.state == State::Active) {
        for p in &r.prefixes {
            match p {
                Destination::Cidr(c) if c.contains(destination) => {
                    let better = match cidr_best {
                        None => true,
                        Some((b, bc)) => {
                            (c.len, source_rank(&r.source)) > (bc.len, source_rank(&b.source))
                        }
                    };
                    if better {
                        cidr_best = Some((r, *c));
                    }
                    if beats_bgp(r) && system_over_bgp.is_none_or(|(_, sc)| c.len > sc.len) {
                        system_over_bgp = Some((r, *c));
                    }
                }
                Destination::Cidr(_) => {}
                Destination::Tag(t) => match tags(t, destination) {
                    Some(true) => {
                        if tag_best
                            .as_ref()
                            .is_none_or(|(b, _)| source_rank(&r.source) > source_rank(&b.source))
                        {
                            tag_best = Some((r, t.clone()));
                        }
                    }
                    Some(false) => {}
                    None => unknown_tags.push(t.clone()),
                },
            }
        }
    }
    if let (Some((b, _)), Some((s, sc))) = (cidr_best, system_over_bgp)
        && b.source == Source::VirtualNetworkGateway
    {
        cidr_best = Some((s, sc));
    }
    let unknown_caveat = (!unknown_tags.is_empty()).then(|| {
        format!(
            "cannot tell whether {destination} is in service tag {} of a route",
            unknown_tags.join(", ")
        )
    });
    match (cidr_best, tag_best) {
        (Some((r, c)), Some((tr, t))) if c.len > 0 => Some(Selected {
            route: r,
            prefix: Destination::Cidr(c),
            caveat: Some(format!(
                "a route for service tag {t} ({}) also matches; taken as less specific than {c}, its prefix lengths are not known here",
                tr.next_hop
            )),
        }),
        (_, Some((r, t))) => Some(Selected {
            route: r,
            prefix: Destination::Tag(t),
            caveat: unknown_caveat,
        }),
        (Some((r, c)), None) => Some(Selected {
            route: r,
            prefix: Destination::Cidr(c),
            caveat: unknown_caveat,
        }),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn no_tags(_: &str, _: IpAddr) -> Option<bool> {
        None
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn hop(routes: &[Route], to: &str) -> (NextHop, String) {
        let s = effective_route(routes, ip(to), &no_tags).unwrap();
        (s.next_hop().clone(), s.prefix.to_string())
    }

    #[test]
    fn effective_list_with_value_wrapper_and_bare_array() {
        let wrapped = parse(&system_routes());
        let bare = parse_routes(&format!("[{}]", system_routes().join(","))).unwrap();
        assert_eq!(wrapped, bare);
        assert_eq!(wrapped.len(), 6);
        assert_eq!(wrapped[0].source, Source::Default);
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
        assert_eq!(a[0].source, Source::User);
        assert_eq!(a[0].state, State::Active);
        assert_eq!(a[1].name.as_deref(), Some("to-firewall"));
        assert_eq!(a[1].next_hop_addresses, vec!["10.100.0.4".to_string()]);
        let s = effective_route(&a, ip("52.1.2.3"), &no_tags).unwrap();
        assert_eq!(s.next_hop(), &NextHop::VirtualAppliance);
        assert_eq!(s.next_hop_address(), Some("10.100.0.4"));
        // az network route-table list: an array of tables.
        assert_eq!(parse_routes(&format!("[{rest}, {flat}]")).unwrap().len(), 4);
    }

    #[test]
    fn longest_prefix_wins() {
        let routes = parse(&system_routes());
        assert_eq!(
            hop(&routes, "10.1.2.3"),
            (NextHop::VnetLocal, "10.1.0.0/16".into())
        );
        assert_eq!(
            hop(&routes, "10.2.2.3"),
            (NextHop::None, "10.0.0.0/8".into())
        );
        assert_eq!(
            hop(&routes, "52.1.2.3"),
            (NextHop::Internet, "0.0.0.0/0".into())
        );
        assert!(effective_route(&routes, ip("2603:1030::1"), &no_tags).is_none());
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
        let s = effective_route(&routes, ip("52.1.2.3"), &no_tags).unwrap();
        assert_eq!(s.source(), &Source::User);
        assert_eq!(s.next_hop(), &NextHop::VirtualNetworkGateway);
        assert_eq!(s.prefix.to_string(), "0.0.0.0/0");
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
        let s = effective_route(&routes, ip("52.1.2.3"), &no_tags).unwrap();
        assert_eq!(s.source(), &Source::VirtualNetworkGateway);
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
        assert!(effective_route(&routes, ip("52.1.2.3"), &no_tags).is_none());
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
                "52.239.140.0/22".into()
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
    fn service_tag_route_through_closure() {
        let table = r#"{"name": "rt", "properties": {"routes": [
            {"name": "asr-direct", "properties": {"addressPrefix": "AzureSiteRecovery", "nextHopType": "Internet"}},
            {"name": "default-fw", "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "VirtualAppliance", "nextHopIpAddress": "10.100.0.4"}},
            {"name": "onprem", "properties": {"addressPrefix": "13.69.0.0/16", "nextHopType": "VirtualNetworkGateway"}}
          ]}}"#;
        let routes = parse_routes(table).unwrap();
        assert_eq!(
            routes[0].prefixes,
            vec![Destination::Tag("AzureSiteRecovery".into())]
        );
        let asr = |tag: &str, a: IpAddr| {
            (tag == "AzureSiteRecovery").then(|| a == ip("13.69.1.1") || a == ip("40.1.1.1"))
        };
        // The tag beats 0.0.0.0/0.
        let s = effective_route(&routes, ip("40.1.1.1"), &asr).unwrap();
        assert_eq!(s.route.name.as_deref(), Some("asr-direct"));
        assert_eq!(s.next_hop(), &NextHop::Internet);
        assert_eq!(s.caveat, None);
        // A more specific CIDR route is preferred, with a caveat.
        let s = effective_route(&routes, ip("13.69.1.1"), &asr).unwrap();
        assert_eq!(s.route.name.as_deref(), Some("onprem"));
        assert!(s.caveat.as_deref().unwrap().contains("AzureSiteRecovery"));
        // The caller cannot tell: the CIDR route, and said so.
        let s = effective_route(&routes, ip("40.1.1.1"), &no_tags).unwrap();
        assert_eq!(s.route.name.as_deref(), Some("default-fw"));
        assert!(s.caveat.as_deref().unwrap().contains("cannot tell"));
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
        let e = parse_routes(
            r#"[{"source": "User", "state": "Active", "addressPrefix": ["10.0.0.0/8"]}]"#,
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "route \"#1\": no nextHopType");
    }
}
