//! Azure's route selection, over routes indexed once.
//!
//! Among active routes, the longest prefix holding the destination wins. On
//! equal prefixes a user-defined route beats a BGP route, which beats a
//! system route; among user routes, an explicit prefix beats a service tag,
//! and tags rank regional (`Storage.EastUS`), top-level (`Storage`),
//! AzureCloud regional (`AzureCloud.eastus`), then `AzureCloud`
//! (virtual-networks-udr-overview, "Exact match"). A route naming a service
//! tag holds the tag's prefixes, from the service-tag data, so its length is
//! the length of the tag's prefix that holds the address: a real
//! longest-prefix match. System routes for the virtual network, its
//! peerings and service endpoints are preferred to BGP routes even when
//! those are more specific.
//!
//! A route table as written (`az network route-table show`) is not the
//! routing table: Azure combines it with the subnet's system routes. When
//! every route given comes from route tables, the documented system routes
//! are added (`0.0.0.0/0` to Internet; `10.0.0.0/8`, `172.16.0.0/12`,
//! `192.168.0.0/16` and `100.64.0.0/10` to None), marked `assumed`; what
//! a route table cannot show (the virtual network's address space, peerings,
//! service endpoints) is said where it could change the answer.

use super::{Destination, Route, State};
use crate::azure::address::{Block, BlockIndex};
use crate::azure::tags::TagSource;
use crate::model::{NextHop, RouteSource, RouteVerdict, TagName};
use std::net::IpAddr;

/// The system routes Azure adds to every subnet (besides the virtual
/// network's own address space, which a route table does not show).
pub const SYSTEM_ROUTES: &[(&str, NextHop)] = &[
    ("0.0.0.0/0", NextHop::Internet),
    ("10.0.0.0/8", NextHop::None),
    ("172.16.0.0/12", NextHop::None),
    ("192.168.0.0/16", NextHop::None),
    ("100.64.0.0/10", NextHop::None),
];

#[derive(Debug, Clone, Copy)]
struct Entry {
    route: u32,
    /// The route's tag (an index into `Routes::tags`) when the block came
    /// from one.
    tag: Option<u32>,
}

/// The routes of a NIC, indexed once for selection.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: Vec<Route>,
    index: BlockIndex<Entry>,
    /// Every (route, tag) of an active route naming a tag.
    tags: Vec<(u32, TagName)>,
    completed: bool,
}

/// The rank on equal prefix length: user-defined, then BGP, then system.
fn source_rank(s: &RouteSource) -> u8 {
    match s {
        RouteSource::User => 3,
        RouteSource::VirtualNetworkGateway => 2,
        RouteSource::Default => 1,
        RouteSource::Unknown(_) | RouteSource::NoRoute => 0,
    }
}

/// The rank of a tag route on an exact match; lower wins.
fn tag_rank(t: &TagName) -> u8 {
    match (t.in_family("AzureCloud"), t.region().is_some()) {
        (false, true) => 0,
        (false, false) => 1,
        (true, true) => 2,
        (true, false) => 3,
    }
}

/// System routes Azure prefers to BGP routes even when less specific.
fn beats_bgp(r: &Route) -> bool {
    r.source == RouteSource::Default
        && matches!(
            r.next_hop,
            NextHop::VnetLocal
                | NextHop::VirtualNetworkServiceEndpoint
                | NextHop::VnetPeering
                | NextHop::VnetGlobalPeering
        )
}

impl Routes {
    /// Indexes `routes`; a route naming a tag is filed under the tag's
    /// blocks from `tags`. Routes read only from route tables are completed
    /// with the system routes.
    pub fn new(mut routes: Vec<Route>, tags: &dyn TagSource) -> Routes {
        let completed = !routes.is_empty() && routes.iter().all(|r| r.from_table);
        if completed {
            for (prefix, hop) in SYSTEM_ROUTES {
                if let Ok(b) = Block::parse(prefix) {
                    routes.push(Route {
                        name: None,
                        source: RouteSource::Default,
                        state: State::Active,
                        prefixes: vec![Destination::Block(b)],
                        next_hop: hop.clone(),
                        next_hop_addresses: Vec::new(),
                        from_table: false,
                        assumed: true,
                    });
                }
            }
        }
        let mut index = BlockIndex::default();
        let mut tag_list = Vec::new();
        for (i, r) in routes.iter().enumerate() {
            if r.state != State::Active {
                continue;
            }
            let route = i as u32;
            for p in &r.prefixes {
                match p {
                    Destination::Block(b) => index.insert(*b, Entry { route, tag: None }),
                    Destination::Tag(t) => {
                        let n = tag_list.len() as u32;
                        tag_list.push((route, t.clone()));
                        for b in tags.blocks(t) {
                            index.insert(
                                b,
                                Entry {
                                    route,
                                    tag: Some(n),
                                },
                            );
                        }
                    }
                }
            }
        }
        Routes {
            routes,
            index,
            tags: tag_list,
            completed,
        }
    }

    /// True when no route was given.
    pub fn is_empty(&self) -> bool {
        self.routes.iter().all(|r| r.assumed)
    }

    /// The routes read, and the system routes added.
    pub fn list(&self) -> &[Route] {
        &self.routes
    }

    /// True when the routes came from route tables as written and were
    /// completed with the system routes.
    pub fn completed(&self) -> bool {
        self.completed
    }

    /// Every block a route holds (tags through the data), for cutting
    /// address ranges where routes begin and end.
    pub fn blocks(&self) -> impl Iterator<Item = Block> + '_ {
        self.index.blocks()
    }

    /// The route that carries traffic to `ip`, as Azure selects it; with
    /// next hop None and source `no route` when no active route holds it
    /// (Azure drops such traffic). `None` for a route table completed with
    /// system routes that still holds no route for `ip` (an IPv6 address:
    /// its system routes are not documented).
    pub fn select(&self, ip: IpAddr, tags: &dyn TagSource) -> Option<RouteVerdict> {
        let mut notes = Vec::new();
        for (r, t) in &self.tags {
            if !tags.knows(t) {
                notes.push(format!(
                    "cannot tell whether {ip} is in the route {}: {}",
                    self.label(*r),
                    tags.why_not(t)
                ));
            }
        }
        let usable = |e: &Entry| e.tag.is_none_or(|n| tags.knows(&self.tags[n as usize].1));
        let cands: Vec<(Block, Entry)> = self
            .index
            .containing(ip)
            .into_iter()
            .filter(|(_, e)| usable(e))
            .map(|(b, e)| (b, *e))
            .collect();
        let Some(longest) = cands.first().map(|(b, _)| b.prefix_len()) else {
            if self.completed {
                return None;
            }
            return Some(RouteVerdict {
                prefix: "-".into(),
                name: None,
                next_hop: NextHop::None,
                next_hop_address: None,
                source: RouteSource::NoRoute,
                assumed: false,
                notes,
            });
        };
        let key = |e: &Entry| {
            let r = &self.routes[e.route as usize];
            let tag = e.tag.map_or(0, |n| 4 - tag_rank(&self.tags[n as usize].1));
            (source_rank(&r.source), e.tag.is_none(), tag)
        };
        let mut best = cands
            .iter()
            .filter(|(b, _)| b.prefix_len() == longest)
            .max_by_key(|(_, e)| key(e))
            .copied()
            .unwrap_or(cands[0]);
        if self.routes[best.1.route as usize].source == RouteSource::VirtualNetworkGateway
            && let Some(sys) = cands
                .iter()
                .find(|(_, e)| beats_bgp(&self.routes[e.route as usize]))
        {
            best = *sys;
        }
        let (block, e) = best;
        let r = &self.routes[e.route as usize];
        if r.assumed && r.next_hop == NextHop::None {
            notes.push(format!(
                "the system route drops {ip} unless it is in the virtual network's address space or a peered network's, which Azure routes within the network: export the effective routes (az network nic show-effective-route-table) to know"
            ));
        }
        if self.completed
            && r.next_hop.harm() > 0
            && tags.tags_of(ip).iter().any(|t| t.in_family("Storage"))
        {
            notes.push(format!(
                "if the subnet has a service endpoint for Microsoft.Storage, its system routes take this traffic past the route {}: a route table does not show them, the effective routes (az network nic show-effective-route-table) do",
                self.label(e.route)
            ));
        }
        Some(RouteVerdict {
            prefix: match e.tag {
                Some(n) => self.tags[n as usize].1.to_string(),
                None => block.to_string(),
            },
            name: r.name.clone(),
            next_hop: r.next_hop.clone(),
            next_hop_address: r.next_hop_addresses.first().cloned(),
            source: r.source.clone(),
            assumed: r.assumed,
            notes,
        })
    }

    /// A route as a sentence names it: its name, else its prefixes.
    fn label(&self, r: u32) -> String {
        let r = &self.routes[r as usize];
        r.name.clone().unwrap_or_else(|| {
            r.prefixes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        })
    }
}
