//! Routes as an admin exports them, and which one carries traffic to an address.
//!
//! - [`read`]: the two exports, in every shape `az` and the REST API give them;
//! - [`select`]: Azure's route selection over routes indexed once, with the
//!   system routes a route table as written does not show.
//!
//! Two exports are read, both without giving asrscope any access to Azure:
//!
//! * `az network nic show-effective-route-table -g RG -n NIC` — the REST body
//!   `EffectiveRouteListResult`: `value[]` of `{name, source, state, addressPrefix[],
//!   nextHopIpAddress[], nextHopType, disableBgpRoutePropagation}`. `source` is
//!   `Default` (system), `User` (route table), `VirtualNetworkGateway` (BGP) or `Unknown`;
//!   `state` is `Active` or `Invalid`. This is the whole routing table of the NIC.
//! * `az network route-table show -g RG -n RT` — a `RouteTable`: `name`, `id`,
//!   `properties.routes[]`, each `{name, id, properties: {addressPrefix, nextHopType,
//!   nextHopIpAddress}}`. Only the user's routes: Azure combines them with the
//!   subnet's system routes, which [`select::Routes`] adds.
//!
//! Every string kept from an export passes the one sanitiser.

pub(crate) mod read;
pub(crate) mod select;

#[cfg(test)]
mod tests;

pub use read::{RoutesError, parse_routes};
pub use select::Routes;

use crate::azure::address::Block;
use crate::model::{NextHop, RouteOrigin, RouteSource, TagName};
use std::fmt;

/// Whether Azure uses a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// In use.
    Active,
    /// Not in use (overridden by a user route of the same prefix, …).
    Invalid,
}

/// A route's destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// An address block.
    Block(Block),
    /// A service tag (route tables only), compared ignoring case.
    Tag(TagName),
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Block(b) => b.fmt(f),
            Destination::Tag(t) => t.fmt(f),
        }
    }
}

/// One route, from either export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The route's name, when exported (system routes have none).
    pub name: Option<String>,
    /// Who made it.
    pub source: RouteSource,
    /// Whether Azure uses it.
    pub state: State,
    /// Its prefixes (effective routes may carry several).
    pub prefixes: Vec<Destination>,
    /// Where it sends traffic.
    pub next_hop: NextHop,
    /// The next hop's addresses (a virtual appliance's, or a gateway's).
    pub next_hop_addresses: Vec<String>,
    /// Where it was read (the NIC's effective routes or a route table as
    /// written), or that asrscope added it to route tables as written.
    pub origin: RouteOrigin,
}
