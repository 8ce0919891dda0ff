//! Which packets a bundle keeps: those of the Site Recovery flows (both legs
//! of a translated connection), the DNS messages about Site Recovery names,
//! and the ICMP errors about those flows. Nothing else.

use crate::model::{FlowRecord, Transport};
use ahash::{AHashMap, AHashSet};
use std::net::{IpAddr, SocketAddr};

/// Most Site Recovery flows a bundle looks for (a flood of connections to a
/// storage front end can make millions); past it the manifest says so.
pub const MAX_FLOWS: usize = 1_000_000;
/// Slack around a flow's first and last packet: a packet of the same
/// addresses and ports that far outside belongs to another connection.
const SLACK_US: i64 = 1_000_000;

/// A connection's two ends, in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Ends {
    tcp: bool,
    a: SocketAddr,
    b: SocketAddr,
}

impl Ends {
    fn new(tcp: bool, x: SocketAddr, y: SocketAddr) -> Ends {
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        Ends { tcp, a, b }
    }
}

/// When one flow (one leg of it) was seen, and which end is its client.
#[derive(Debug, Clone, Copy)]
struct Window {
    first: i64,
    last: i64,
    client: SocketAddr,
    /// The flow's id, times two, plus one for the translated leg: the key of
    /// its stream state.
    key: u64,
}

/// The packets a bundle keeps.
#[derive(Debug, Default)]
pub struct Selection {
    flows: AHashMap<Ends, Vec<Window>>,
    names: AHashSet<String>,
    /// Site Recovery flows added.
    pub added: u64,
    /// More Site Recovery flows than [`MAX_FLOWS`] were seen: the rest were
    /// not looked for.
    pub capped: bool,
}

/// Where a packet belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Member {
    /// The stream state's key (see [`Window::key`]).
    pub key: u64,
    /// The packet goes from the server to the client.
    pub from_server: bool,
    /// After this time no packet of the flow is expected.
    pub until: i64,
}

fn lower(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Selection {
    /// Adds a Site Recovery flow: its packets, and those of its translated
    /// leg, are kept; so are DNS messages about its names.
    pub fn add(&mut self, f: &FlowRecord) {
        if self.flows.len() >= MAX_FLOWS {
            self.capped = true;
            return;
        }
        self.added += 1;
        let tcp = f.transport == Transport::Tcp;
        let client = SocketAddr::new(f.src_ip, f.src_port);
        let server = SocketAddr::new(f.dst_ip, f.dst_port);
        let w = Window {
            first: f.first_seen.saturating_sub(SLACK_US),
            last: f.last_seen.saturating_add(SLACK_US),
            client,
            key: f.id.saturating_mul(2),
        };
        self.flows
            .entry(Ends::new(tcp, client, server))
            .or_default()
            .push(w);
        if let (Some(ip), Some(port)) = (f.translated_ip, f.translated_port) {
            let outside = SocketAddr::new(ip, port);
            self.flows
                .entry(Ends::new(tcp, outside, server))
                .or_default()
                .push(Window {
                    client: outside,
                    key: w.key | 1,
                    ..w
                });
        }
        for n in f
            .dns_name
            .iter()
            .chain(&f.dns_cnames)
            .chain(f.server_name.iter())
        {
            if self.names.len() < MAX_FLOWS {
                self.names.insert(lower(n));
            }
        }
    }

    /// True when no flow was added.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The kept flow a TCP or UDP packet belongs to.
    pub fn flow(&self, tcp: bool, src: SocketAddr, dst: SocketAddr, ts: i64) -> Option<Member> {
        let ws = self.flows.get(&Ends::new(tcp, src, dst))?;
        ws.iter()
            .find(|w| (w.first..=w.last).contains(&ts))
            .map(|w| Member {
                key: w.key,
                from_server: w.client != src,
                until: w.last,
            })
    }

    /// True when the kept flow of an ICMP error's quoted packet exists (its
    /// time is the error's).
    pub fn quoted(
        &self,
        proto: u8,
        src: IpAddr,
        sport: u16,
        dst: IpAddr,
        dport: u16,
        ts: i64,
    ) -> bool {
        let tcp = match proto {
            6 => true,
            17 => false,
            _ => return false,
        };
        self.flow(
            tcp,
            SocketAddr::new(src, sport),
            SocketAddr::new(dst, dport),
            ts,
        )
        .is_some()
    }

    /// True when a DNS question about `name` is kept: a Site Recovery name
    /// of any cloud (asked whether or not it resolved), or a name a kept
    /// flow was known by.
    pub fn wants_name(&self, name: &str) -> bool {
        crate::azure::endpoints::classify(name).is_some() || self.names.contains(&lower(name))
    }
}
