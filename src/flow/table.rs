//! The flow table: a hash map from [`FlowKey`] to [`Flow`], fed packet by
//! packet with capture time, expiring idle and closed flows.
//!
//! `A` is the per-flow application state owned by the layer above (the table
//! never looks inside it).

use super::FlowKey;
use super::tcp::{DirStats, TcpConn};
use crate::decode::tcp_flags::{ACK, SYN};
use crate::decode::{Packet, TcpSeg};
use crate::model::{IcmpSeen, Side, Transport, Tunnel};
use ahash::AHashMap;
use std::net::IpAddr;

/// When flows leave the table (capture time, µs).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// A TCP flow closed by FIN on both sides or by RST, idle this long.
    pub closed_us: i64,
    /// A TCP flow that never completed its handshake.
    pub unestablished_us: i64,
    /// An established TCP flow.
    pub established_us: i64,
    /// A UDP flow.
    pub udp_us: i64,
    /// A UDP flow that has seen both directions on port 53 (DNS).
    pub dns_us: i64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            closed_us: 2_000_000,
            unestablished_us: 60_000_000,
            established_us: 300_000_000,
            udp_us: 60_000_000,
            dns_us: 5_000_000,
        }
    }
}

/// One flow.
#[derive(Debug)]
pub struct Flow<A> {
    /// Order of appearance in the analysis (0, 1, 2…).
    pub id: u64,
    /// TCP or UDP.
    pub transport: Transport,
    /// The client's address and port.
    pub client: (IpAddr, u16),
    /// The server's address and port.
    pub server: (IpAddr, u16),
    /// First packet time (µs).
    pub first_us: i64,
    /// Last packet time (µs).
    pub last_us: i64,
    /// Per direction: `[client→server, server→client]`.
    pub dirs: [DirStats; 2],
    /// TCP connection facts (empty for UDP).
    pub tcp: TcpConn,
    /// The first ICMP error quoting this flow.
    pub icmp: Option<IcmpSeen>,
    /// The tunnel the flow came through.
    pub tunnel: Option<Tunnel>,
    /// The outermost VLAN id.
    pub vlan: Option<u16>,
    /// The capture began after the flow did (no SYN seen first).
    pub began_before_capture: bool,
    /// The flow left the table because it was idle, not because it closed.
    pub idle_expired: bool,
    /// Application-layer state of the layer above.
    pub app: A,
}

impl<A> Flow<A> {
    /// Exchanges the roles of client and server; used when a flow that began
    /// before the capture turns out to have been oriented the wrong way (the
    /// "server" sends a ClientHello). The caller swaps its own state.
    pub fn swap_sides(&mut self) {
        std::mem::swap(&mut self.client, &mut self.server);
        self.dirs.swap(0, 1);
        let flip = |s: Side| match s {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        self.tcp.rst = self.tcp.rst.map(|(s, t)| (flip(s), t));
        self.tcp.first_close = self.tcp.first_close.map(|(s, r)| (flip(s), r));
        self.tcp.fin_us.swap(0, 1);
    }
}

/// The table.
pub struct FlowTable<A> {
    map: AHashMap<FlowKey, Flow<A>>,
    next_id: u64,
    /// Expiry rules.
    pub timeouts: Timeouts,
    /// Most flows held at once; past it, idle flows are expired early.
    pub max_flows: usize,
    /// Flows expired early because the table was full.
    pub evicted: u64,
    /// Highest number of flows held at once.
    pub peak: usize,
}

impl<A: Default> FlowTable<A> {
    /// An empty table.
    pub fn new(timeouts: Timeouts, max_flows: usize) -> Self {
        FlowTable {
            map: AHashMap::default(),
            next_id: 0,
            timeouts,
            max_flows,
            evicted: 0,
            peak: 0,
        }
    }

    /// Flows currently held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no flow is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Looks up a flow by the addresses of one of its packets.
    pub fn get_mut(
        &mut self,
        transport: Transport,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
    ) -> Option<(&mut Flow<A>, Side)> {
        let (key, _) = FlowKey::new(transport, src, dst);
        let f = self.map.get_mut(&key)?;
        let side = if f.client == src {
            Side::Client
        } else {
            Side::Server
        };
        Some((f, side))
    }

    /// The flow of a packet quoted in an ICMP error, created (with no packets)
    /// when the quoted packet itself was not captured.
    pub fn quoted(
        &mut self,
        pkt: &Packet<'_>,
        transport: Transport,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        ts_us: i64,
        done: &mut Vec<Flow<A>>,
    ) -> &mut Flow<A> {
        let (key, _) = FlowKey::new(transport, src, dst);
        if !self.map.contains_key(&key) {
            let mut f = self.new_flow(transport, pkt, true, src, dst, ts_us);
            // The quote's addresses are the flow's, not the ICMP packet's tunnel.
            f.tunnel = pkt.tunnel;
            f.began_before_capture = transport == Transport::Tcp;
            self.insert(key, f, done, ts_us);
        }
        self.map.get_mut(&key).expect("inserted above")
    }

    /// Accounts a TCP segment; returns its flow and the side that sent it.
    /// A SYN that starts a new connection on the ports of a closed flow ends the
    /// old flow (pushed to `done`).
    pub fn tcp(
        &mut self,
        pkt: &Packet<'_>,
        seg: &TcpSeg<'_>,
        ts_us: i64,
        done: &mut Vec<Flow<A>>,
    ) -> (&mut Flow<A>, Side) {
        let src = (pkt.src, seg.sport);
        let dst = (pkt.dst, seg.dport);
        let (key, _) = FlowKey::new(Transport::Tcp, src, dst);
        let is_syn = seg.flags & SYN != 0 && seg.flags & ACK == 0;
        if is_syn {
            let reuse = self.map.get(&key).is_some_and(|f| {
                f.client == src
                    && f.tcp.closed()
                    && f.tcp.client_isn.is_some_and(|isn| isn != seg.seq)
                    || f.client != src && f.tcp.closed()
            });
            if reuse && let Some(old) = self.map.remove(&key) {
                done.push(old);
            }
        }
        if !self.map.contains_key(&key) {
            let client_is_src = if seg.flags & SYN != 0 {
                seg.flags & ACK == 0
            } else if seg.sport != seg.dport {
                seg.sport > seg.dport
            } else {
                true
            };
            let f = self.new_flow(Transport::Tcp, pkt, client_is_src, src, dst, ts_us);
            let began_mid = seg.flags & SYN == 0;
            self.insert(
                key,
                Flow {
                    began_before_capture: began_mid,
                    ..f
                },
                done,
                ts_us,
            );
        }
        let f = self.map.get_mut(&key).expect("inserted above");
        let side = if f.client == src {
            Side::Client
        } else {
            Side::Server
        };
        f.last_us = f.last_us.max(ts_us);
        let rtt = f.tcp.handshake_rtt_us();
        let peer = f.dirs[1 - side.idx()].as_peer(rtt);
        f.dirs[side.idx()].on_segment(seg, ts_us, peer);
        f.tcp.on_segment(side, seg, ts_us);
        (f, side)
    }

    /// Accounts a UDP datagram.
    pub fn udp(
        &mut self,
        pkt: &Packet<'_>,
        sport: u16,
        dport: u16,
        bytes: u64,
        ts_us: i64,
        done: &mut Vec<Flow<A>>,
    ) -> (&mut Flow<A>, Side) {
        let src = (pkt.src, sport);
        let dst = (pkt.dst, dport);
        let (key, _) = FlowKey::new(Transport::Udp, src, dst);
        if !self.map.contains_key(&key) {
            let client_is_src = match (sport < 1024, dport < 1024) {
                (false, true) => true,
                (true, false) => false,
                _ => true,
            };
            let f = self.new_flow(Transport::Udp, pkt, client_is_src, src, dst, ts_us);
            self.insert(key, f, done, ts_us);
        }
        let f = self.map.get_mut(&key).expect("inserted above");
        let side = if f.client == src {
            Side::Client
        } else {
            Side::Server
        };
        f.last_us = f.last_us.max(ts_us);
        let d = &mut f.dirs[side.idx()];
        d.packets += 1;
        d.bytes += bytes;
        if bytes > 0 {
            d.data_segments += 1;
            d.first_data_us.get_or_insert(ts_us);
            d.last_data_us = Some(ts_us);
        }
        (f, side)
    }

    fn new_flow(
        &mut self,
        transport: Transport,
        pkt: &Packet<'_>,
        client_is_src: bool,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        ts_us: i64,
    ) -> Flow<A> {
        let (client, server) = if client_is_src {
            (src, dst)
        } else {
            (dst, src)
        };
        let id = self.next_id;
        self.next_id += 1;
        Flow {
            id,
            transport,
            client,
            server,
            first_us: ts_us,
            last_us: ts_us,
            dirs: Default::default(),
            tcp: TcpConn::default(),
            icmp: None,
            tunnel: pkt.tunnel,
            vlan: pkt.vlan,
            began_before_capture: false,
            idle_expired: false,
            app: A::default(),
        }
    }

    fn insert(&mut self, key: FlowKey, f: Flow<A>, done: &mut Vec<Flow<A>>, ts_us: i64) {
        if self.map.len() >= self.max_flows {
            // Full: expire with a tenth of the usual idle times, then, if still
            // full, the idlest flows go.
            let before = done.len();
            let t = self.timeouts;
            self.expire_with(ts_us, |f| scaled(t, 10).limit(f), done);
            if self.map.len() >= self.max_flows {
                self.expire_with(ts_us, |_| 1_000_000, done);
            }
            self.evicted += (done.len() - before) as u64;
        }
        self.map.insert(key, f);
        self.peak = self.peak.max(self.map.len());
    }

    /// Moves flows past their timeout into `done`.
    pub fn expire(&mut self, now_us: i64, done: &mut Vec<Flow<A>>) {
        let t = self.timeouts;
        self.expire_with(now_us, |f| t.limit(f), done);
    }

    fn expire_with(
        &mut self,
        now_us: i64,
        limit: impl Fn(&Flow<A>) -> i64,
        done: &mut Vec<Flow<A>>,
    ) {
        for (_, mut f) in self.map.extract_if(|_, f| now_us - f.last_us > limit(f)) {
            f.idle_expired = !f.tcp.closed();
            done.push(f);
        }
    }

    /// Ends the capture: every flow goes to `done`.
    pub fn drain(&mut self, done: &mut Vec<Flow<A>>) {
        done.extend(self.map.drain().map(|(_, f)| f));
    }

    /// The flows still in the table.
    pub fn iter(&self) -> impl Iterator<Item = &Flow<A>> {
        self.map.values()
    }
}

fn scaled(t: Timeouts, div: i64) -> Timeouts {
    Timeouts {
        closed_us: t.closed_us / div,
        unestablished_us: t.unestablished_us / div,
        established_us: t.established_us / div,
        udp_us: t.udp_us / div,
        dns_us: t.dns_us / div,
    }
}

impl Timeouts {
    fn limit<A>(&self, f: &Flow<A>) -> i64 {
        match f.transport {
            Transport::Tcp if f.tcp.closed() => self.closed_us,
            Transport::Tcp if f.tcp.established_us.is_some() || f.began_before_capture => {
                self.established_us
            }
            Transport::Tcp => self.unestablished_us,
            Transport::Udp if (f.server.1 == 53 || f.client.1 == 53) && f.dirs[1].packets > 0 => {
                self.dns_us
            }
            Transport::Udp => self.udp_us,
        }
    }
}
