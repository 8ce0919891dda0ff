//! The way out of the VM's subnet for one destination.

use crate::azure::placement::Placement;
use crate::model::{NextHop, OutboundNote, OutboundVerdict, OutboundWay, RouteVerdict};

/// A public destination, as the way out sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Destination<'a> {
    /// The region of the Azure Storage it is (`eastus`, or a tag's suffix
    /// `EastUS`), when it is Azure Storage.
    pub storage_region: Option<&'a str>,
    /// The VM's region, when known.
    pub source_region: Option<&'a str>,
}

/// Region names compared as Azure spells them: `EastUS` is `eastus`.
fn same_region(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    norm(a) == norm(b)
}

/// What takes the VM's traffic to `dest` out of its subnet, by the route
/// it takes (`route`; `routes_given` false when no route export was given).
/// `None` without the VM's subnet among the exports, for Storage from a
/// private subnet when the VM's region is not known, or when the route
/// keeps the flow inside Azure's private networks or drops it (that is the
/// route's verdict).
pub fn verdict(
    placement: &Placement,
    route: Option<&RouteVerdict>,
    routes_given: bool,
    dest: &Destination<'_>,
) -> Option<OutboundVerdict> {
    let subnet = placement.vm_subnet()?;
    let hop = route.map(RouteVerdict::next_hop);
    if route.is_some_and(RouteVerdict::drops)
        || matches!(
            hop,
            Some(NextHop::VnetLocal | NextHop::VnetPeering | NextHop::VnetGlobalPeering)
        )
    {
        return None;
    }
    let private = subnet.default_outbound_access == Some(false);
    let storage_endpoint = dest.storage_region.and_then(|region| {
        subnet.service_endpoints.iter().find(|e| {
            e.service.eq_ignore_ascii_case("Microsoft.Storage")
                && e.locations
                    .iter()
                    .any(|l| l.trim() == "*" || same_region(l, region))
        })
    });
    let public_ip = placement.nic.as_ref().and_then(|n| n.public_ip.as_ref());
    let way = match hop {
        Some(h) if h.is_appliance() || *h == NextHop::VirtualNetworkGateway => {
            OutboundWay::Appliance
        }
        Some(NextHop::VirtualNetworkServiceEndpoint) => OutboundWay::ServiceEndpoint {
            service: storage_endpoint.map_or_else(String::new, |e| e.service.clone()),
        },
        _ if storage_endpoint.is_some() => OutboundWay::ServiceEndpoint {
            service: storage_endpoint.map_or_else(String::new, |e| e.service.clone()),
        },
        _ => match (&subnet.nat_gateway, public_ip) {
            (Some(g), _) => OutboundWay::NatGateway {
                gateway: g.name().to_string(),
            },
            (None, Some(ip)) => OutboundWay::PublicIp {
                address: ip.name().to_string(),
            },
            (None, None) if !private => OutboundWay::DefaultOutbound,
            (None, None) => match (dest.storage_region, dest.source_region) {
                (Some(d), Some(s)) if same_region(d, s) => OutboundWay::SameRegionStorage,
                // Storage, and the VM's region unknown: same-region or not
                // cannot be told.
                (Some(_), None) => return None,
                _ => OutboundWay::Nothing,
            },
        },
    };
    let mut notes = Vec::new();
    if way == OutboundWay::Nothing {
        notes.push(OutboundNote::LoadBalancerNotRead);
        if placement.nic.is_none() {
            notes.push(OutboundNote::NicNotGiven);
        }
        if !routes_given {
            notes.push(OutboundNote::RoutesNotGiven);
        } else if hop == Some(&NextHop::Internet) {
            notes.push(OutboundNote::InternetRouteBreaks);
        }
        notes.push(OutboundNote::TakesEffectAfterDeallocate);
    }
    Some(OutboundVerdict {
        subnet: subnet.id.name().to_string(),
        private,
        way,
        notes,
    })
}

/// The fix for a subnet without a way out: a NAT gateway on the VM's
/// subnet, named from its id; the generic fix when the id does not name
/// its group and network.
pub fn fix(placement: &Placement, location: Option<&str>) -> crate::model::Fix {
    let named = placement.vm_subnet().and_then(|s| {
        Some(crate::model::Fix::SubnetNatGateway {
            resource_group: s.id.resource_group()?.to_string(),
            vnet: s.id.segment("virtualNetworks")?.to_string(),
            subnet: s.id.name().to_string(),
            location: location.map(str::to_string),
        })
    });
    named.unwrap_or(crate::model::Fix::ExplicitOutbound)
}
