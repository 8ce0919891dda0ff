//! How the subnet's way out reads: what takes the VM's traffic out of its
//! subnet, or that nothing does, and what the exports could not tell.

use crate::model::{OutboundNote, OutboundVerdict, OutboundWay};

/// The page every rule here rests on.
const PAGE: &str = "Default outbound access in Azure, 12/03/2025";

/// What takes the traffic out, in words.
pub(crate) fn way(v: &OutboundVerdict) -> String {
    let subnet = &v.subnet;
    match &v.way {
        OutboundWay::DefaultOutbound => format!(
            "subnet {subnet} is not private (defaultOutboundAccess is not false): default outbound access takes it out"
        ),
        OutboundWay::NatGateway { gateway } => {
            format!("the NAT gateway {gateway} of subnet {subnet} takes it out")
        }
        OutboundWay::PublicIp { address } => {
            format!("the public IP address {address} of the VM's network interface takes it out")
        }
        OutboundWay::Appliance => {
            "its route sends it to a firewall, appliance or gateway, which takes it out".into()
        }
        OutboundWay::ServiceEndpoint { service } if service.is_empty() => {
            "a service endpoint of the subnet carries it (next hop VirtualNetworkServiceEndpoint)"
                .into()
        }
        OutboundWay::ServiceEndpoint { service } => {
            format!("the {service} service endpoint of subnet {subnet} carries it")
        }
        OutboundWay::SameRegionStorage => format!(
            "Azure Storage in the VM's own region: reached from the private subnet {subnet} without an explicit outbound method ({PAGE})"
        ),
        OutboundWay::Nothing => format!(
            "no-outbound: subnet {subnet} is private (defaultOutboundAccess false) with no NAT gateway, no public IP on the VM's network interface and no route to a firewall or appliance, so \"an explicit outbound method must be enabled in order to reach public endpoints\" ({PAGE}): Microsoft Entra ID, the Site Recovery service and Event Hub are unreachable; only Azure Storage in the VM's own region is reached"
        ),
    }
}

/// A note, in words.
pub(crate) fn note(n: &OutboundNote) -> &'static str {
    match n {
        OutboundNote::LoadBalancerNotRead => {
            "a Standard load balancer's outbound rules would be a way out, and are not in these exports"
        }
        OutboundNote::NicNotGiven => {
            "the VM's network interface was not given (az network nic show): a public IP on it is not known"
        }
        OutboundNote::RoutesNotGiven => {
            "no route export given: the system route to the internet is assumed, and a route to a firewall would be a way out"
        }
        OutboundNote::InternetRouteBreaks => {
            "its route has next hop Internet, and \"any configured routes with next hop type Internet break in a Private subnet\""
        }
        OutboundNote::TakesEffectAfterDeallocate => {
            "a change of the subnet's outbound setting reaches a running VM only after it is stopped (deallocated) and started"
        }
    }
}

/// The notes, in words.
pub(crate) fn notes(v: &OutboundVerdict) -> Vec<String> {
    v.notes.iter().map(|n| note(n).to_string()).collect()
}

/// The way out with its notes, one line.
pub(crate) fn with_notes(v: &OutboundVerdict) -> String {
    let mut text = way(v);
    for n in &v.notes {
        text.push_str("; ");
        text.push_str(note(n));
    }
    text
}

/// The CSV cell: `no-outbound subnet`, or what takes it out
/// (`nat-gateway name`, `public-ip name`, `appliance`, `service-endpoint`,
/// `same-region-storage`, `default-outbound`).
pub(crate) fn csv_cell(v: &OutboundVerdict) -> String {
    match &v.way {
        OutboundWay::Nothing => format!("no-outbound {}", v.subnet),
        OutboundWay::DefaultOutbound => "default-outbound".into(),
        OutboundWay::NatGateway { gateway } => format!("nat-gateway {gateway}"),
        OutboundWay::PublicIp { address } => format!("public-ip {address}"),
        OutboundWay::Appliance => "appliance".into(),
        OutboundWay::ServiceEndpoint { .. } => "service-endpoint".into(),
        OutboundWay::SameRegionStorage => "same-region-storage".into(),
    }
}
