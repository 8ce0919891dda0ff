//! The flow table: a hash map from [`FlowKey`] to [`Flow`], fed packet by
//! packet with capture time, expiring idle and closed flows.
//!
//! `A` is the per-flow application state owned by the layer above (the table
//! never looks inside it).

use super::tcp::{DirStats, TcpConn};
use super::{FlowKey, network_of};
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
pub(crate) struct Flow<A> {
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
    /// The address and port an appliance translated the client to, when the
    /// capture holds the translated leg too (see [`crate::flow::nat`]).
    pub translated: Option<(IpAddr, u16)>,
    /// Application-layer state of the layer above.
    pub app: A,
}

impl<A> Flow<A> {
    /// Exchanges the roles of client and server; used when a flow that began
    /// before the capture turns out to have been oriented the wrong way (the
    /// "server" sends a ClientHello). The caller swaps its own state.
    pub(crate) fn swap_sides(&mut self) {
        std::mem::swap(&mut self.client, &mut self.server);
        self.dirs.swap(0, 1);
        let flip = |s: Side| match s {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        self.tcp.rst = self.tcp.rst.map(|(s, t)| (flip(s), t));
        self.tcp.first_close = self.tcp.first_close.map(|(s, r)| (flip(s), r));
        self.tcp.fin_us.swap(0, 1);
        // What was noted of the server side's packets was the client's.
        self.tcp.synack = None;
        self.tcp.server_ttl = crate::model::ServerTtl::default();
    }
}

/// No slot (the end of the activity list).
const NIL: u32 = u32::MAX;

/// A slot of the table: a flow, and its neighbours in the order of activity.
struct Node<A> {
    flow: Option<Box<Flow<A>>>,
    prev: u32,
    next: u32,
}

/// The table. Flows live in slots, found by key through a small index and
/// chained in the order of their last packet (least recently active first),
/// so that a new flow in a full table takes the place of the least recently
/// active one in constant time, whatever the timestamps, and the expiry sweep
/// stops at the first flow too recent to expire.
pub(crate) struct FlowTable<A> {
    index: AHashMap<FlowKey, u32>,
    nodes: Vec<Node<A>>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
    next_id: u64,
    /// Expiry rules.
    pub timeouts: Timeouts,
    /// Most flows held at once; past it, the least recently active flow
    /// leaves to make room.
    pub max_flows: usize,
    /// Flows that left early because the table was full.
    pub evicted: u64,
    /// Highest number of flows held at once.
    pub peak: usize,
}

impl<A: Default> FlowTable<A> {
    /// An empty table.
    pub(crate) fn new(timeouts: Timeouts, max_flows: usize) -> Self {
        FlowTable {
            index: AHashMap::default(),
            nodes: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            next_id: 0,
            timeouts,
            max_flows: max_flows.max(1),
            evicted: 0,
            peak: 0,
        }
    }

    /// Flows currently held.
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// True when no flow is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    fn flow_mut(&mut self, i: u32) -> &mut Flow<A> {
        self.nodes[i as usize]
            .flow
            .as_deref_mut()
            .expect("indexed slots hold a flow")
    }

    fn unlink(&mut self, i: u32) {
        let (prev, next) = (self.nodes[i as usize].prev, self.nodes[i as usize].next);
        match prev {
            NIL => self.head = next,
            p => self.nodes[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            n => self.nodes[n as usize].prev = prev,
        }
    }

    fn push_back(&mut self, i: u32) {
        self.nodes[i as usize].prev = self.tail;
        self.nodes[i as usize].next = NIL;
        match self.tail {
            NIL => self.head = i,
            t => self.nodes[t as usize].next = i,
        }
        self.tail = i;
    }

    /// Marks slot `i` the most recently active.
    fn touch(&mut self, i: u32) {
        if self.tail != i {
            self.unlink(i);
            self.push_back(i);
        }
    }

    /// Takes the flow of slot `i` out of the table.
    fn take(&mut self, i: u32) -> Box<Flow<A>> {
        self.unlink(i);
        let f = self.nodes[i as usize]
            .flow
            .take()
            .expect("indexed slots hold a flow");
        let (key, _) = FlowKey::new(
            f.transport,
            network_of(f.tunnel.as_ref()),
            f.client,
            f.server,
        );
        self.index.remove(&key);
        self.free.push(i);
        f
    }

    /// Looks up a flow by the network and addresses of one of its packets.
    pub(crate) fn get_mut(
        &mut self,
        transport: Transport,
        net: u32,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
    ) -> Option<(&mut Flow<A>, Side)> {
        let (key, _) = FlowKey::new(transport, net, src, dst);
        let i = *self.index.get(&key)?;
        let f = self.flow_mut(i);
        let side = if f.client == src {
            Side::Client
        } else {
            Side::Server
        };
        Some((f, side))
    }

    /// The flow of a packet quoted in an ICMP error, created (with no packets)
    /// when the quoted packet itself was not captured.
    pub(crate) fn quoted(
        &mut self,
        pkt: &Packet<'_>,
        transport: Transport,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
        ts_us: i64,
        done: &mut Vec<Flow<A>>,
    ) -> &mut Flow<A> {
        let (key, _) = FlowKey::new(transport, network_of(pkt.tunnel.as_ref()), src, dst);
        let i = match self.index.get(&key) {
            Some(i) => *i,
            None => {
                let mut f = self.new_flow(transport, pkt, true, src, dst, ts_us);
                // The quote's addresses are the flow's, not the ICMP packet's tunnel.
                f.tunnel = pkt.tunnel;
                f.began_before_capture = transport == Transport::Tcp;
                self.insert(key, f, done)
            }
        };
        self.flow_mut(i)
    }

    /// Accounts a TCP segment; returns its flow and the side that sent it.
    /// A SYN that starts a new connection on the ports of a closed flow ends the
    /// old flow (pushed to `done`).
    pub(crate) fn tcp(
        &mut self,
        pkt: &Packet<'_>,
        seg: &TcpSeg<'_>,
        ts_us: i64,
        done: &mut Vec<Flow<A>>,
    ) -> (&mut Flow<A>, Side) {
        let src = (pkt.src, seg.sport);
        let dst = (pkt.dst, seg.dport);
        let (key, _) = FlowKey::new(Transport::Tcp, network_of(pkt.tunnel.as_ref()), src, dst);
        let is_syn = seg.flags & SYN != 0 && seg.flags & ACK == 0;
        let mut slot = self.index.get(&key).copied();
        if is_syn && let Some(i) = slot {
            let f = self.flow_mut(i);
            let reuse = f.client == src
                && f.tcp.closed()
                && f.tcp.client_isn.is_some_and(|isn| isn != seg.seq)
                || f.client != src && f.tcp.closed();
            if reuse {
                done.push(*self.take(i));
                slot = None;
            }
        }
        let i = match slot {
            Some(i) => {
                self.touch(i);
                i
            }
            None => {
                let client_is_src = if seg.flags & SYN != 0 {
                    seg.flags & ACK == 0
                } else if seg.sport != seg.dport {
                    seg.sport > seg.dport
                } else {
                    true
                };
                let mut f = self.new_flow(Transport::Tcp, pkt, client_is_src, src, dst, ts_us);
                f.began_before_capture = seg.flags & SYN == 0;
                self.insert(key, f, done)
            }
        };
        let f = self.flow_mut(i);
        let side = if f.client == src {
            Side::Client
        } else {
            Side::Server
        };
        f.last_us = f.last_us.max(ts_us);
        let rtt = f.tcp.handshake_rtt_us();
        let peer = f.dirs[1 - side.idx()].as_peer(rtt);
        f.dirs[side.idx()].on_segment(seg, ts_us, peer);
        let ip = super::tcp::IpSeen {
            ttl: pkt.ttl,
            ip_id: pkt.ip_id,
        };
        f.tcp.on_segment(side, seg, ts_us, ip);
        (f, side)
    }

    /// Accounts a UDP datagram.
    pub(crate) fn udp(
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
        let (key, _) = FlowKey::new(Transport::Udp, network_of(pkt.tunnel.as_ref()), src, dst);
        let i = match self.index.get(&key) {
            Some(i) => {
                let i = *i;
                self.touch(i);
                i
            }
            None => {
                let client_is_src = match (sport < 1024, dport < 1024) {
                    (false, true) => true,
                    (true, false) => false,
                    _ => true,
                };
                let f = self.new_flow(Transport::Udp, pkt, client_is_src, src, dst, ts_us);
                self.insert(key, f, done)
            }
        };
        let f = self.flow_mut(i);
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
            translated: None,
            app: A::default(),
        }
    }

    /// Adds a flow as the most recently active; in a full table the least
    /// recently active flow leaves first (counted in `evicted`).
    fn insert(&mut self, key: FlowKey, f: Flow<A>, done: &mut Vec<Flow<A>>) -> u32 {
        while self.index.len() >= self.max_flows && self.head != NIL {
            let mut old = self.take(self.head);
            old.idle_expired = !old.tcp.closed();
            done.push(*old);
            self.evicted += 1;
        }
        let node = Node {
            flow: Some(Box::new(f)),
            prev: NIL,
            next: NIL,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.push_back(i);
        self.index.insert(key, i);
        self.peak = self.peak.max(self.index.len());
        i
    }

    /// Moves flows past their timeout into `done`. The walk goes from the
    /// least recently active flow and stops at the first one that has been
    /// idle for less than the shortest timeout.
    pub(crate) fn expire(&mut self, now_us: i64, done: &mut Vec<Flow<A>>) {
        let t = self.timeouts;
        let shortest = t.shortest();
        let mut i = self.head;
        while i != NIL {
            let next = self.nodes[i as usize].next;
            let f = self.nodes[i as usize]
                .flow
                .as_deref()
                .expect("linked slots hold a flow");
            let idle = now_us - f.last_us;
            if idle <= shortest {
                break;
            }
            if idle > t.limit(f) {
                let mut f = self.take(i);
                f.idle_expired = !f.tcp.closed();
                done.push(*f);
            }
            i = next;
        }
    }

    /// Moves at most `n` flows to `done`, least recently active first.
    pub(crate) fn drain_some(&mut self, n: usize, done: &mut Vec<Flow<A>>) {
        for _ in 0..n {
            if self.head == NIL {
                break;
            }
            done.push(*self.take(self.head));
        }
        if self.head == NIL {
            self.nodes.clear();
            self.free.clear();
        }
    }

    /// Ends the capture: every flow goes to `done`, least recently active
    /// first.
    #[cfg(test)]
    pub(crate) fn drain(&mut self, done: &mut Vec<Flow<A>>) {
        while self.head != NIL {
            done.push(*self.take(self.head));
        }
        self.nodes.clear();
        self.free.clear();
    }

    /// The flows still in the table, least recently active first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Flow<A>> {
        let mut i = self.head;
        std::iter::from_fn(move || {
            if i == NIL {
                return None;
            }
            let n = &self.nodes[i as usize];
            i = n.next;
            n.flow.as_deref()
        })
    }

    /// The flows still in the table, least recently active first, mutably.
    pub(crate) fn for_each_mut(&mut self, mut f: impl FnMut(&mut Flow<A>) -> bool) {
        let mut i = self.head;
        while i != NIL {
            let next = self.nodes[i as usize].next;
            if let Some(flow) = self.nodes[i as usize].flow.as_deref_mut()
                && !f(flow)
            {
                return;
            }
            i = next;
        }
    }
}

impl Timeouts {
    /// The shortest of the timeouts.
    fn shortest(&self) -> i64 {
        [
            self.closed_us,
            self.unestablished_us,
            self.established_us,
            self.udp_us,
            self.dns_us,
        ]
        .into_iter()
        .min()
        .unwrap_or(0)
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::tcp_flags::SYN;

    fn syn_from(port: u16) -> (Packet<'static>, TcpSeg<'static>) {
        let seg = TcpSeg {
            sport: port,
            dport: 443,
            seq: port as u32,
            ack: 0,
            flags: SYN,
            window: 64240,
            checksum: 0,
            payload: &[],
            missing: 0,
            options: &[],
        };
        let pkt = Packet {
            src: "10.1.0.4".parse().unwrap(),
            dst: "13.68.163.36".parse().unwrap(),
            ttl: 64,
            ip_id: None,
            ifindex: None,
            l4: crate::decode::L4::Tcp(seg),
            tunnel: None,
            vlan: None,
        };
        (pkt, seg)
    }

    fn table(max: usize) -> FlowTable<()> {
        FlowTable::new(Timeouts::default(), max)
    }

    fn ports(done: &[Flow<()>]) -> Vec<u16> {
        done.iter().map(|f| f.client.1).collect()
    }

    #[test]
    fn a_full_table_lets_the_least_recently_active_flow_go() {
        let mut t = table(3);
        let mut done = Vec::new();
        for p in [1000, 1001, 1002] {
            let (pkt, seg) = syn_from(p);
            t.tcp(&pkt, &seg, 0, &mut done);
        }
        // 1000 is the oldest, but active again: 1001 goes first.
        let (pkt, seg) = syn_from(1000);
        t.tcp(&pkt, &seg, 0, &mut done);
        let (pkt, seg) = syn_from(1003);
        t.tcp(&pkt, &seg, 0, &mut done);
        assert_eq!(ports(&done), vec![1001]);
        assert_eq!((t.len(), t.evicted), (3, 1));
        assert!(done[0].idle_expired);
    }

    #[test]
    fn the_cap_holds_whatever_the_timestamps() {
        // A flood with one timestamp for every packet: nothing is idle, the
        // table still never grows past its cap.
        let mut t = table(100);
        let mut done = Vec::new();
        for p in 0..10_000u16 {
            let (pkt, seg) = syn_from(p);
            t.tcp(&pkt, &seg, 42, &mut done);
            assert!(t.len() <= 100);
        }
        assert_eq!(t.evicted, 9_900);
        assert_eq!(t.peak, 100);
        assert_eq!(done.len(), 9_900);
        t.drain(&mut done);
        assert!(t.is_empty());
        assert_eq!(done.len(), 10_000);
    }

    #[test]
    fn expiry_takes_idle_flows_and_stops_at_recent_ones() {
        let mut t = table(10);
        let mut done = Vec::new();
        let (pkt, seg) = syn_from(1);
        t.tcp(&pkt, &seg, 0, &mut done);
        let (pkt, seg) = syn_from(2);
        t.tcp(&pkt, &seg, 59_000_000, &mut done);
        // Unanswered SYNs expire after 60 s of silence.
        t.expire(61_000_000, &mut done);
        assert_eq!(ports(&done), vec![1]);
        assert_eq!(t.len(), 1);
        t.expire(120_000_000, &mut done);
        assert_eq!(ports(&done), vec![1, 2]);
        assert!(t.is_empty());
        assert_eq!(t.evicted, 0);
    }

    /// VNets reuse addresses: the same addresses and ports in VXLAN tunnels
    /// of two network identifiers are two flows, except on the Gateway Load
    /// Balancer's two tunnels, which one connection crosses both of.
    #[test]
    fn tunnels_of_other_networks_hold_other_flows() {
        let vxlan = |port: u16, vni: u32| {
            Some(crate::model::Tunnel {
                kind: crate::model::TunnelKind::Vxlan,
                outer_src: None,
                outer_dst: None,
                port: Some(port),
                vni: Some(vni),
            })
        };
        let geneve = vxlan(6081, 100).map(|t| crate::model::Tunnel {
            kind: crate::model::TunnelKind::Geneve,
            ..t
        });
        let mut t = table(10);
        let mut done = Vec::new();
        for tunnel in [None, vxlan(4789, 100), vxlan(4789, 200), geneve] {
            let (mut pkt, seg) = syn_from(50_000);
            pkt.tunnel = tunnel;
            t.tcp(&pkt, &seg, 0, &mut done);
        }
        assert_eq!(t.len(), 4);
        let mut t = table(10);
        for tunnel in [vxlan(10800, 800), vxlan(10801, 801)] {
            let (mut pkt, seg) = syn_from(50_000);
            pkt.tunnel = tunnel;
            t.tcp(&pkt, &seg, 0, &mut done);
        }
        assert_eq!(t.len(), 1);
        assert!(done.is_empty());
        assert_eq!(crate::flow::network_of(None), 0);
    }
}
