//! Which packets a bundle keeps: those of the Site Recovery flows (both legs
//! of a translated connection), the DNS messages about Site Recovery names,
//! and the ICMP errors about those flows. Nothing else: a packet with the
//! same addresses and ports in another network (another VXLAN or GENEVE
//! identifier: virtual networks reuse addresses) is another flow's.

use crate::decode::QuotedFlow;
use crate::model::{FlowRecord, Shares, Transport};
use ahash::{AHashMap, AHashSet};
use std::net::SocketAddr;

/// Most Site Recovery flows a bundle looks for (a flood of connections to a
/// storage front end can make millions); past it the manifest says so.
pub(crate) const MAX_FLOWS: usize = 1_000_000;
/// Slack around a flow's first and last packet: a packet of the same
/// addresses and ports that far outside belongs to another connection.
const SLACK_US: i64 = 1_000_000;

/// A connection's network and two ends, in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Ends {
    tcp: bool,
    /// [`crate::flow::network_of`].
    net: u32,
    a: SocketAddr,
    b: SocketAddr,
}

impl Ends {
    fn new(tcp: bool, net: u32, x: SocketAddr, y: SocketAddr) -> Ends {
        let (a, b) = if x <= y { (x, y) } else { (y, x) };
        Ends { tcp, net, a, b }
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
    /// The networks of the flows added ([`crate::flow::network_of`]).
    networks: AHashSet<u32>,
    /// What the flows added show of the customer.
    pub shares: Shares,
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
        self.share(f);
        let tcp = f.transport == Transport::Tcp;
        let net = crate::flow::network_of(f.tunnel.as_ref());
        self.networks.insert(net);
        let client = SocketAddr::new(f.src_ip, f.src_port);
        let server = SocketAddr::new(f.dst_ip, f.dst_port);
        let w = Window {
            first: f.first_seen.saturating_sub(SLACK_US),
            last: f.last_seen.saturating_add(SLACK_US),
            client,
            key: f.id.saturating_mul(2),
        };
        self.flows
            .entry(Ends::new(tcp, net, client, server))
            .or_default()
            .push(w);
        if let (Some(ip), Some(port)) = (f.translated_ip, f.translated_port) {
            let outside = SocketAddr::new(ip, port);
            self.flows
                .entry(Ends::new(tcp, net, outside, server))
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

    /// Lists what a flow's record shows: its addresses and names, its
    /// certificates, what its proxy answered.
    fn share(&mut self, f: &FlowRecord) {
        let s = &mut self.shares;
        s.address(f.src_ip);
        s.address(f.dst_ip);
        f.translated_ip.into_iter().for_each(|a| s.address(a));
        if let Some(t) = &f.tunnel {
            t.outer_src
                .into_iter()
                .chain(t.outer_dst)
                .for_each(|a| s.address(a));
        }
        for n in f.server_name.iter().chain(&f.dns_name).chain(&f.dns_cnames) {
            s.name(n);
        }
        if let Some(t) = &f.tls {
            t.sni.iter().for_each(|n| s.name(n));
            t.alpn.iter().for_each(|p| s.alpn(p));
            for c in &t.certificates {
                s.certificate(&c.subject);
                s.certificate(&c.issuer);
                c.san.iter().for_each(|n| s.name(n));
            }
        }
        if let Some(p) = &f.proxy {
            s.name(&p.target_host);
            if let Some(code) = p.status {
                let scheme = p.auth_scheme.as_deref().map(|x| format!(" {x}"));
                s.proxy_answer(format!("{code}{}", scheme.unwrap_or_default()));
            }
        }
    }

    /// True when a tunnel is one of the added flows' networks.
    pub fn in_network(&self, t: &crate::model::Tunnel) -> bool {
        self.networks.contains(&crate::flow::network_of(Some(t)))
    }

    /// True when no flow was added.
    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// The kept flow a TCP or UDP packet of network `net` belongs to.
    pub fn flow(
        &self,
        tcp: bool,
        net: u32,
        src: SocketAddr,
        dst: SocketAddr,
        ts: i64,
    ) -> Option<Member> {
        let ws = self.flows.get(&Ends::new(tcp, net, src, dst))?;
        ws.iter()
            .find(|w| (w.first..=w.last).contains(&ts))
            .map(|w| Member {
                key: w.key,
                from_server: w.client != src,
                until: w.last,
            })
    }

    /// True when the kept flow of an ICMP error's quoted packet exists (its
    /// time and network are the error's).
    pub fn quoted(&self, q: &QuotedFlow, net: u32, ts: i64) -> bool {
        let tcp = match q.proto {
            6 => true,
            17 => false,
            _ => return false,
        };
        self.flow(
            tcp,
            net,
            SocketAddr::new(q.src, q.sport),
            SocketAddr::new(q.dst, q.dport),
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
