//! The subnet's way out: how the VM's subnet reaches a public destination,
//! by the subnet export (`defaultOutboundAccess`, `natGateway`), the NIC's
//! public IP and the route the destination takes ("Default outbound
//! access in Azure").

use serde::Serialize;

/// What lets the VM's traffic out to a public destination, or that nothing
/// does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum OutboundWay {
    /// The subnet is not private (`defaultOutboundAccess` true or not set):
    /// default outbound access.
    DefaultOutbound,
    /// A NAT gateway on the subnet.
    NatGateway {
        /// The gateway's name.
        gateway: String,
    },
    /// A public IP address on the VM's network interface.
    PublicIp {
        /// The public IP address resource's name.
        address: String,
    },
    /// The route sends the flow to a virtual appliance (a firewall) or the
    /// virtual network gateway, which takes it out.
    Appliance,
    /// A service endpoint of the subnet carries it (next hop
    /// `VirtualNetworkServiceEndpoint`, or a `Microsoft.Storage` endpoint
    /// for the destination's region).
    ServiceEndpoint {
        /// The service, e.g. `Microsoft.Storage`.
        service: String,
    },
    /// Azure Storage in the VM's own region: reached from a private subnet
    /// without an explicit outbound method.
    SameRegionStorage,
    /// None: a private subnet with no explicit outbound method.
    Nothing,
}

/// What a verdict could not tell, or rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutboundNote {
    /// A Standard load balancer's outbound rules are a way out that these
    /// exports do not show.
    LoadBalancerNotRead,
    /// The NIC was not given: whether it has a public IP is not known.
    NicNotGiven,
    /// No route export given: the system route (next hop `Internet`) is
    /// assumed for public destinations.
    RoutesNotGiven,
    /// The flow takes a route with next hop `Internet`, which breaks in a
    /// private subnet.
    InternetRouteBreaks,
    /// A change of `defaultOutboundAccess` reaches a running VM only after
    /// it is stopped (deallocated) and started.
    TakesEffectAfterDeallocate,
}

/// The subnet's way out for one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboundVerdict {
    /// The VM's subnet, by name.
    pub subnet: String,
    /// `defaultOutboundAccess` is false: a private subnet.
    pub private: bool,
    /// What takes the traffic out.
    pub way: OutboundWay,
    /// What the verdict could not tell.
    pub notes: Vec<OutboundNote>,
}

impl OutboundVerdict {
    /// Whether the traffic gets out: false when nothing takes it.
    pub fn allowed(&self) -> bool {
        self.way != OutboundWay::Nothing
    }

    /// How bad it is for a requirement: 2 no way out, 0 a way out.
    pub fn harm(&self) -> u8 {
        if self.allowed() { 0 } else { 2 }
    }
}
