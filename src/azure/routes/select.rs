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
use crate::model::{
    NextHop, RouteNote, RouteOrigin, RoutePrefix, RouteSource, RouteTaken, RouteVerdict, TagName,
};
use std::collections::HashMap;
use std::net::IpAddr;

/// One candidate of a selection: a route, and the tag (a number into
/// `Routes::tags`) when the block came from one.
#[derive(Debug, Clone, Copy)]
struct Entry {
    route: u32,
    tag: Option<u32>,
}

/// The system routes Azure adds to every subnet (besides the virtual
/// network's own address space, which a route table does not show).
pub(crate) const SYSTEM_ROUTES: &[(&str, NextHop)] = &[
    ("0.0.0.0/0", NextHop::Internet),
    ("10.0.0.0/8", NextHop::None),
    ("172.16.0.0/12", NextHop::None),
    ("192.168.0.0/16", NextHop::None),
    ("100.64.0.0/10", NextHop::None),
];

/// What the active routes naming one block offer the selection: on one
/// block, only the route that wins among them and the first that Azure
/// prefers to BGP routes can ever be selected, however many name it.
#[derive(Debug, Clone, Copy)]
struct Held {
    /// The highest source rank, the last in export order on a tie.
    best: u32,
    /// The first in export order that [`beats_bgp`].
    beats_bgp: Option<u32>,
}

impl Held {
    fn new(route: u32, r: &Route) -> Held {
        Held {
            best: route,
            beats_bgp: beats_bgp(r).then_some(route),
        }
    }

    /// Adds a later route naming the same block.
    fn add(&mut self, route: u32, routes: &[Route]) {
        let r = &routes[route as usize];
        if source_rank(&r.source) >= source_rank(&routes[self.best as usize].source) {
            self.best = route;
        }
        if self.beats_bgp.is_none() && beats_bgp(r) {
            self.beats_bgp = Some(route);
        }
    }
}

/// A service tag that active routes name, with what they offer on each of
/// its blocks (the same on all of them).
#[derive(Debug, Clone)]
struct NamedTag {
    tag: TagName,
    held: Held,
    /// The first route naming it, and how many do.
    first: u32,
    routes: u32,
}

/// The routes of a NIC, indexed once for selection.
///
/// Each block a route names is filed once, with what its routes offer
/// ([`Held`]); each service tag a route names is filed once under the tag's
/// blocks. Building costs the blocks and tags named, and selecting an
/// address one look-up per prefix length in use, whatever the number of
/// routes: 700,000 routes naming one tag cost what one does.
#[derive(Debug, Clone, Default)]
pub struct Routes {
    routes: Vec<Route>,
    /// Blocks named by routes.
    index: BlockIndex<Held>,
    /// Tags named by routes, in the order of their first route.
    tags: Vec<NamedTag>,
    /// The blocks of those tags the data held when indexing → tag number.
    tag_blocks: BlockIndex<u32>,
    /// Numbers of the tags the data held when indexing.
    known: Vec<u32>,
    completed: bool,
}

/// At most this many tags that cannot be told are named one by one in a
/// verdict's notes; the others are counted in one more note.
const TAG_NOTES: usize = 8;

/// The rank on equal prefix length: user-defined, then BGP, then system.
fn source_rank(s: &RouteSource) -> u8 {
    match s {
        RouteSource::User => 3,
        RouteSource::VirtualNetworkGateway => 2,
        RouteSource::Default => 1,
        RouteSource::Unknown(_) => 0,
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
        let completed = !routes.is_empty() && routes.iter().all(|r| r.origin == RouteOrigin::Table);
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
                        origin: RouteOrigin::Assumed,
                    });
                }
            }
        }
        let mut held: HashMap<Block, Held> = HashMap::new();
        let mut named: Vec<NamedTag> = Vec::new();
        let mut tag_numbers: HashMap<TagName, u32> = HashMap::new();
        for (i, r) in routes.iter().enumerate() {
            if r.state != State::Active {
                continue;
            }
            let route = i as u32;
            for p in &r.prefixes {
                match p {
                    Destination::Block(b) => match held.get_mut(b) {
                        Some(h) => h.add(route, &routes),
                        None => {
                            held.insert(*b, Held::new(route, r));
                        }
                    },
                    Destination::Tag(t) => match tag_numbers.get(t) {
                        Some(&n) => {
                            let nt = &mut named[n as usize];
                            nt.held.add(route, &routes);
                            nt.routes += 1;
                        }
                        None => {
                            tag_numbers.insert(t.clone(), named.len() as u32);
                            named.push(NamedTag {
                                tag: t.clone(),
                                held: Held::new(route, r),
                                first: route,
                                routes: 1,
                            });
                        }
                    },
                }
            }
        }
        let mut index = BlockIndex::default();
        for (b, h) in held {
            index.insert(b, h);
        }
        let mut tag_blocks = BlockIndex::default();
        let mut known = Vec::new();
        for (n, nt) in named.iter().enumerate() {
            if tags.knows(&nt.tag) {
                known.push(n as u32);
            }
            for b in tags.blocks(&nt.tag) {
                tag_blocks.insert(b, n as u32);
            }
        }
        Routes {
            routes,
            index,
            tags: named,
            tag_blocks,
            known,
            completed,
        }
    }

    /// True when no route was given.
    pub fn is_empty(&self) -> bool {
        self.routes.iter().all(|r| r.origin == RouteOrigin::Assumed)
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
        self.index.blocks().chain(self.tag_blocks.blocks())
    }

    /// How many (block, value) pairs the index holds: blocks named, plus
    /// the blocks of each tag named (for the tests of its size).
    #[cfg(test)]
    pub(crate) fn filed(&self) -> usize {
        self.index.len() + self.tag_blocks.len()
    }

    /// The notes for the tags named by routes that `tags` cannot tell: one
    /// per tag up to [`TAG_NOTES`], then one counting the others. Costs at
    /// most the tags the data holds, not the routes.
    fn unknown_tag_notes(&self, ip: IpAddr, tags: &dyn TagSource, notes: &mut Vec<RouteNote>) {
        let mut named = 0;
        for nt in &self.tags {
            if tags.knows(&nt.tag) {
                continue;
            }
            if named == TAG_NOTES {
                // Tags the data did not hold are unknown to any view of it;
                // of those it held, count the ones this view cannot tell.
                let unknown = self.tags.len() - self.known.len()
                    + self
                        .known
                        .iter()
                        .filter(|&&n| !tags.knows(&self.tags[n as usize].tag))
                        .count();
                notes.push(RouteNote::MoreTagsUnknown {
                    address: ip,
                    count: unknown - TAG_NOTES,
                });
                return;
            }
            named += 1;
            notes.push(RouteNote::TagUnknown {
                address: ip,
                route: self.label(nt.first),
                tag: nt.tag.clone(),
                more: nt.routes - 1,
                why: tags.why_not(&nt.tag),
            });
        }
    }

    /// The route that carries traffic to `ip`, as Azure selects it; with
    /// next hop None and source `no route` when no active route holds it
    /// (Azure drops such traffic). `None` for a route table completed with
    /// system routes that still holds no route for `ip` (an IPv6 address:
    /// its system routes are not documented).
    pub fn select(&self, ip: IpAddr, tags: &dyn TagSource) -> Option<RouteVerdict> {
        let mut notes = Vec::new();
        self.unknown_tag_notes(ip, tags, &mut notes);
        // The candidates: on each block holding `ip`, what its routes offer,
        // and what the routes of each tag it belongs to offer (when the data
        // of this flow's cloud holds the tag); longest block first, then in
        // export order, as Azure's tie-breaks below read them.
        let mut cands: Vec<(Block, Entry)> = Vec::new();
        let mut offer = |b: Block, h: &Held, tag: Option<u32>| {
            cands.push((b, Entry { route: h.best, tag }));
            if let Some(r) = h.beats_bgp.filter(|r| *r != h.best) {
                cands.push((b, Entry { route: r, tag }));
            }
        };
        for (b, h) in self.index.containing(ip) {
            offer(b, h, None);
        }
        for (b, &n) in self.tag_blocks.containing(ip) {
            let nt = &self.tags[n as usize];
            if tags.knows(&nt.tag) {
                offer(b, &nt.held, Some(n));
            }
        }
        cands.sort_by_key(|(b, e)| (std::cmp::Reverse(b.prefix_len()), e.route));
        let Some(longest) = cands.first().map(|(b, _)| b.prefix_len()) else {
            if self.completed {
                return None;
            }
            return Some(RouteVerdict { route: None, notes });
        };
        let key = |e: &Entry| {
            let r = &self.routes[e.route as usize];
            let tag = e
                .tag
                .map_or(0, |n| 4 - tag_rank(&self.tags[n as usize].tag));
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
        if r.origin == RouteOrigin::Assumed && r.next_hop == NextHop::None {
            notes.push(RouteNote::SystemRouteDrops { address: ip });
        }
        if self.completed
            && r.next_hop.harm() > 0
            && tags.tags_of(ip).iter().any(|t| t.in_family("Storage"))
        {
            notes.push(RouteNote::ServiceEndpointBypass {
                route: self.label(e.route),
            });
        }
        Some(RouteVerdict {
            route: Some(RouteTaken {
                prefix: match e.tag {
                    Some(n) => RoutePrefix::Tag(self.tags[n as usize].tag.clone()),
                    None => RoutePrefix::Block {
                        address: block.first(),
                        len: block.prefix_len(),
                    },
                },
                name: r.name.clone(),
                next_hop: r.next_hop.clone(),
                next_hop_address: r.next_hop_addresses.first().cloned(),
                source: r.source.clone(),
                origin: r.origin,
            }),
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
