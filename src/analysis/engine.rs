//! The analysis engine: frames in, finished [`FlowRecord`]s out.
//!
//! One pass: each frame is decoded, accounted to its flow, and its payload fed
//! to the flow's application parsers; DNS answers feed the name table. Flows
//! leave the table when they close or go idle (capture time), and are turned
//! into records then, so memory follows live flows, not packets.
//!
//! ```no_run
//! use asrscope::analysis::engine::Engine;
//! let mut engine = Engine::default();
//! asrscope::capture::read_capture("captures/healthy-tls12-dns.pcap".as_ref(), None, &mut |f| engine.ingest(f)).unwrap();
//! engine.finish();
//! for flow in engine.take_finished() {
//!     println!("{} {:?}", flow.dst_ip, flow.server_name);
//! }
//! ```

use super::app_state::AppState;
use super::names::DnsNames;
use super::record;
use crate::decode::{self, DecodeError, L4};
use crate::flow::copies::{CopyFilter, Seen, Sig};
use crate::flow::nat::NatLegs;
use crate::flow::{Flow, FlowTable, Timeouts};
use crate::frame::Frame;
use crate::model::*;
use crate::proto::dns;
use ahash::AHashMap;

/// Most flows held at once by default.
pub const DEFAULT_MAX_FLOWS: usize = 1_000_000;
/// The default memory budget: what suits a small VM.
pub const DEFAULT_MAX_MEMORY: usize = 512 << 20;
/// What one flow costs in the table, with its slot, its index entry and the
/// allocator's rounding (measured; see `docs/PERFORMANCE.md`, "Under load").
pub const FLOW_COST: usize = std::mem::size_of::<Flow<AppState>>() + 136;
/// Flows turned into records at a time when the capture ends.
pub const FINISH_BATCH: usize = 256;
/// Flows that left the table turned into records as soon as this many wait.
const DONE_BATCH: usize = 256;
/// How often (capture time) idle flows are swept.
const SWEEP_US: i64 = 1_000_000;

/// Engine settings.
#[derive(Debug, Clone, Copy)]
pub struct EngineConfig {
    /// Flow expiry.
    pub timeouts: Timeouts,
    /// Flow table cap (the budget may lower it).
    pub max_flows: usize,
    /// UDP ports tunnels are decoded on.
    pub tunnel_ports: decode::TunnelPorts,
    /// The memory budget for everything the analysis holds, bytes: three
    /// quarters for the flows at most, the rest for reassembly buffers.
    pub max_memory: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            timeouts: Timeouts::default(),
            max_flows: DEFAULT_MAX_FLOWS,
            tunnel_ports: decode::TunnelPorts::default(),
            max_memory: DEFAULT_MAX_MEMORY,
        }
    }
}

/// The engine.
pub struct Engine {
    table: FlowTable<AppState>,
    names: DnsNames,
    stats: CaptureStats,
    undecoded: AHashMap<DecodeError, u64>,
    copies: CopyFilter,
    nat: NatLegs,
    /// Certificates already read, by their bytes.
    certs: crate::proto::tls::CertCache,
    done: Vec<Flow<AppState>>,
    finished: Vec<FlowRecord>,
    last_sweep_us: Option<i64>,
    now_us: i64,
    tunnel_ports: decode::TunnelPorts,
    /// The memory budget, bytes.
    max_memory: usize,
    /// Bytes held in reassembly buffers, all flows together.
    buffered: usize,
    /// UDP destination ports not decoded as a tunnel: (port, datagrams that
    /// parse strictly as VXLAN, datagrams that do not).
    vxlan_like: Vec<(u16, u64, u64)>,
}

/// Distinct UDP ports watched for VXLAN on a port it is not decoded on.
const VXLAN_WATCH: usize = 64;
/// Distinct tunnels listed in the capture statistics.
const TUNNELS_LISTED: usize = 8;

impl Default for Engine {
    fn default() -> Self {
        Engine::new(EngineConfig::default())
    }
}

impl Engine {
    /// A new engine.
    pub fn new(cfg: EngineConfig) -> Self {
        let by_budget = (cfg.max_memory / 4 * 3 / FLOW_COST).max(1_000);
        Engine {
            table: FlowTable::new(cfg.timeouts, cfg.max_flows.min(by_budget)),
            names: DnsNames::default(),
            stats: CaptureStats::default(),
            undecoded: AHashMap::default(),
            copies: CopyFilter::default(),
            nat: NatLegs::default(),
            certs: Default::default(),
            done: Vec::new(),
            finished: Vec::new(),
            last_sweep_us: None,
            now_us: 0,
            tunnel_ports: cfg.tunnel_ports,
            max_memory: cfg.max_memory,
            buffered: 0,
            vxlan_like: Vec::new(),
        }
    }

    /// Notes a tunnel seen, and counts what a plain UDP datagram looks like
    /// on its port.
    fn watch_tunnels(&mut self, pkt: &decode::Packet<'_>) {
        if let Some(t) = pkt.tunnel {
            let seen = &mut self.stats.tunnels;
            if seen.last() != Some(&t) && !seen.contains(&t) && seen.len() < TUNNELS_LISTED {
                seen.push(t);
            }
        } else if let L4::Udp(u) = &pkt.l4 {
            let like = decode::looks_like_vxlan(u.payload);
            let watched = self.vxlan_like.len();
            match (
                self.vxlan_like.iter_mut().find(|(p, _, _)| *p == u.dport),
                like,
            ) {
                (_, decode::VxlanLike::Other) => {}
                (Some(e), decode::VxlanLike::Ip) => e.1 += 1,
                (Some(e), decode::VxlanLike::No) => e.2 += 1,
                (None, decode::VxlanLike::Ip) if watched < VXLAN_WATCH => {
                    self.vxlan_like.push((u.dport, 1, 0))
                }
                (None, _) => {}
            }
        }
    }

    /// Analyses one frame.
    pub fn ingest(&mut self, frame: &Frame<'_>) {
        let ts = frame.ts_us;
        self.stats.frames += 1;
        if frame.is_cut() {
            self.stats.frames_cut_by_snaplen += 1;
        }
        self.stats.first_seen = Some(self.stats.first_seen.map_or(ts, |f| f.min(ts)));
        self.stats.last_seen = Some(self.stats.last_seen.map_or(ts, |l| l.max(ts)));
        self.now_us = self.now_us.max(ts);
        // Matched by reference: moving the decoded packet out of the result
        // is a 152-byte copy per frame.
        match &decode::decode_with(frame.linktype, frame.data, &self.tunnel_ports) {
            Ok(pkt) => self.packet(pkt, ts),
            Err(e) => *self.undecoded.entry(*e).or_insert(0) += 1,
        }
        // Flows that left a full table become records at once: a flood must
        // not pile them up until the next sweep.
        if self.done.len() >= DONE_BATCH {
            self.records_from_done();
        }
        let last = *self.last_sweep_us.get_or_insert(self.now_us);
        if self.now_us - last >= SWEEP_US {
            self.last_sweep_us = Some(self.now_us);
            self.table.expire(self.now_us, &mut self.done);
            self.names.expire(self.now_us);
            self.records_from_done();
        }
    }

    fn packet(&mut self, pkt: &decode::Packet<'_>, ts: i64) {
        if pkt.tunnel.is_some() || matches!(pkt.l4, L4::Udp(_)) {
            self.watch_tunnels(pkt);
        }
        match &pkt.l4 {
            L4::Tcp(seg) => self.tcp(pkt, seg, ts),
            L4::Udp(u) => self.udp(pkt, u, ts),
            L4::IcmpError(e) => self.icmp_error(pkt, e, ts),
            L4::Fragment => self.stats.ip_fragments += 1,
            L4::Icmp | L4::Other(_) => {}
        }
    }

    /// A TCP segment: set aside when it is a copy or a translated leg's,
    /// else accounted to its flow and its payload read.
    #[inline]
    fn tcp(&mut self, pkt: &decode::Packet<'_>, seg: &decode::TcpSeg<'_>, ts: i64) {
        if self.copies.tcp(&sig(pkt, seg.sport, seg.dport, ts), seg) != Seen::Original {
            return;
        }
        let (src, dst) = ((pkt.src, seg.sport), (pkt.dst, seg.dport));
        if self.nat.active() && self.nat.other_leg(src, dst) {
            return;
        }
        if seg.flags & (decode::tcp_flags::SYN | decode::tcp_flags::ACK) == decode::tcp_flags::SYN
            && let Some(first) = self.nat.syn(src, dst, seg.seq, pkt.ttl, pkt.ip_id, ts)
        {
            // The translated leg of a connection seen already: the first leg
            // learns the address, this one is set aside.
            let net = crate::flow::network_of(pkt.tunnel.as_ref());
            if let Some((f, _)) = self.table.get_mut(Transport::Tcp, net, first, dst) {
                f.translated = Some(src);
            }
            return;
        }
        let (f, mut side) = self.table.tcp(pkt, seg, ts, &mut self.done);
        if side == Side::Server
            && f.began_before_capture
            && f.app.untouched()
            && looks_like_client_hello(seg.payload)
        {
            // Began before the capture and oriented by port: the hello shows
            // who the client really is.
            f.swap_sides();
            f.app.swap_sides();
            side = Side::Client;
        }
        let syn = seg.flags & decode::tcp_flags::SYN != 0;
        if syn {
            f.app.set_base(side, seg.seq.wrapping_add(1));
        }
        if (seg.payload.is_empty() && seg.missing == 0) || !f.app.wants_bytes() {
            return;
        }
        let dns_port = f.server.1 == 53;
        let seq = if syn {
            seg.seq.wrapping_add(1)
        } else {
            seg.seq
        };
        let before = f.app.buffered();
        let msgs = f.app.on_payload(
            side,
            seq,
            seg.payload,
            seg.missing,
            dns_port,
            &mut self.certs,
        );
        let after = f.app.buffered();
        let (src, dst) = match side {
            Side::Client => (f.client, f.server),
            Side::Server => (f.server, f.client),
        };
        for m in &msgs {
            self.names.observe(m, src, dst, ts);
        }
        self.buffered = (self.buffered + after).saturating_sub(before);
        if after > before {
            self.keep_within_budget();
        }
    }

    /// A UDP datagram: accounted to its flow; DNS read.
    #[inline]
    fn udp(&mut self, pkt: &decode::Packet<'_>, u: &decode::UdpDgram<'_>, ts: i64) {
        if self.copies.udp(&sig(pkt, u.sport, u.dport, ts), u) != Seen::Original {
            return;
        }
        let bytes = u.payload.len() as u64 + u.missing as u64;
        self.table
            .udp(pkt, u.sport, u.dport, bytes, ts, &mut self.done);
        if u.sport == 53 || u.dport == 53 || u.sport == 5353 && u.dport == 5353 {
            match dns::parse(u.payload) {
                Some(m) => self
                    .names
                    .observe(&m, (pkt.src, u.sport), (pkt.dst, u.dport), ts),
                None => self.names.malformed += 1,
            }
        }
    }

    /// An ICMP error: noted on the flow of the packet it quotes (a flow of
    /// its own when that packet was not captured).
    fn icmp_error(&mut self, pkt: &decode::Packet<'_>, e: &decode::IcmpError<'_>, ts: i64) {
        let q = e.quoted;
        let transport = match q.proto {
            6 => Transport::Tcp,
            17 => Transport::Udp,
            _ => {
                self.stats.icmp_errors_unmatched += 1;
                return;
            }
        };
        let net = crate::flow::network_of(pkt.tunnel.as_ref());
        let (from, to) = ((q.src, q.sport), (q.dst, q.dport));
        if self.table.get_mut(transport, net, from, to).is_none() {
            // The quoted packet was not captured: the error still tells that
            // this flow was refused.
            self.stats.icmp_errors_unmatched += 1;
        }
        let f = self
            .table
            .quoted(pkt, transport, from, to, ts, &mut self.done);
        f.icmp.get_or_insert(crate::model::IcmpSeen {
            message: crate::model::IcmpMessage {
                v6: e.v6,
                icmp_type: e.icmp_type,
                code: e.code,
            },
            from: pkt.src,
            ts_us: ts,
        });
        f.last_us = f.last_us.max(ts);
    }

    /// Advances the analysis clock without a packet (live capture on a quiet
    /// interface), so that idle flows still expire.
    pub fn tick(&mut self, now_us: i64) {
        if now_us <= self.now_us {
            return;
        }
        self.now_us = now_us;
        let last = *self.last_sweep_us.get_or_insert(now_us);
        if now_us - last >= SWEEP_US {
            self.last_sweep_us = Some(now_us);
            self.table.expire(now_us, &mut self.done);
            self.names.expire(now_us);
            self.records_from_done();
        }
    }

    /// Ends the analysis: every flow still open is finished.
    pub fn finish(&mut self) {
        self.finish_with(|_| {});
    }

    /// Ends the capture a batch at a time: the flows still in the table
    /// become records [`FINISH_BATCH`] at a time, and `each` is called after
    /// each batch to take them ([`Engine::take_finished`]), so that a full
    /// table is never held twice over.
    pub fn finish_with(&mut self, mut each: impl FnMut(&mut Self)) {
        self.finish_names();
        each(self);
        while self.finish_some(FINISH_BATCH) {
            each(self);
        }
        each(self);
    }

    /// The first step of ending the capture: queries still waiting are
    /// unanswered, flows that already left become records.
    pub fn finish_names(&mut self) {
        self.names.finish();
        self.records_from_done();
    }

    /// The next step: at most `n` flows still in the table become records.
    /// Returns whether flows remain.
    pub fn finish_some(&mut self, n: usize) -> bool {
        self.table.drain_some(n, &mut self.done);
        self.records_from_done();
        !self.table.is_empty()
    }

    /// Takes the flows finished so far (in order of first packet).
    pub fn take_finished(&mut self) -> Vec<FlowRecord> {
        crate::model::sort_flows(self.take_finished_unsorted())
    }

    /// Takes the flows finished so far, in the order they finished: for a
    /// caller that orders them on another thread ([`crate::model::sort_flows`]).
    pub fn take_finished_unsorted(&mut self) -> Vec<FlowRecord> {
        self.swap_finished(Vec::new())
    }

    /// Like [`Engine::take_finished_unsorted`], with `spare` (emptied) as
    /// the next list: a caller that hands lists back after reading them keeps
    /// the number of record lists, and the memory they hold, fixed.
    pub fn swap_finished(&mut self, mut spare: Vec<FlowRecord>) -> Vec<FlowRecord> {
        spare.clear();
        std::mem::replace(&mut self.finished, spare)
    }

    /// Records of the flows still in the table (not finished), the most
    /// recently active first, at most `max`.
    pub fn live_records(&self, max: usize) -> Vec<FlowRecord> {
        let mut v: Vec<&Flow<AppState>> = self.table.iter().collect();
        v.sort_by_key(|f| std::cmp::Reverse(f.last_us));
        v.truncate(max);
        v.into_iter()
            .map(|f| record::record(f, &self.names))
            .collect()
    }

    /// Flows finished and not yet taken.
    pub fn finished_len(&self) -> usize {
        self.finished.len()
    }

    /// Flows currently in the table.
    pub fn live_flows(&self) -> usize {
        self.table.len()
    }

    /// Every name DNS gave for `ip` that is still remembered.
    pub fn names_for(&self, ip: &std::net::IpAddr) -> Vec<String> {
        self.names
            .names_for(ip)
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    /// The DNS log.
    pub fn dns_logs(&self) -> &[crate::model::NameLog] {
        self.names.logs()
    }

    /// Capture statistics so far.
    pub fn stats(&self) -> CaptureStats {
        let mut s = self.stats.clone();
        s.undecoded = self.undecoded.iter().map(|(k, v)| (k.kind(), *v)).collect();
        s.flows_evicted = self.table.evicted;
        s.peak_live_flows = self.table.peak as u64;
        s.dns_malformed = self.names.malformed;
        s.vxlan_elsewhere = self
            .vxlan_like
            .iter()
            .filter(|(_, like, unlike)| *like >= 2 && *unlike == 0)
            .map(|(port, like, _)| PortHint {
                port: *port,
                datagrams: *like,
            })
            .collect();
        s.nat_legs = self.nat.tied;
        s.nat_packets = self.nat.packets;
        let c = &self.copies.copies;
        s.copies = CopyStats {
            forwarded: c.forwarded,
            recorded: c.recorded,
            times_recorded: c.usual_times().map(|n| n as u8),
            interfaces: c.interfaces.clone(),
        };
        s
    }

    /// Past the memory budget, the reassembly buffers of the least recently
    /// active flows are read for what they hold and released, until the
    /// analysis is back under nine tenths of it.
    fn keep_within_budget(&mut self) {
        let flows = self.table.len() * FLOW_COST;
        if flows + self.buffered <= self.max_memory {
            return;
        }
        let goal = (self.max_memory / 10 * 9).saturating_sub(flows);
        let (buffered, dropped) = (&mut self.buffered, &mut self.stats.buffers_dropped);
        self.table.for_each_mut(|f| {
            let held = f.app.buffered();
            if held > 0 {
                f.app.finish();
                *buffered = buffered.saturating_sub(held);
                *dropped += 1;
            }
            *buffered > goal
        });
    }

    fn records_from_done(&mut self) {
        // The list is used again: its memory stays allocated.
        let mut done = std::mem::take(&mut self.done);
        for mut f in done.drain(..) {
            self.buffered = self.buffered.saturating_sub(f.app.buffered());
            f.app.finish();
            let r = record::record(&f, &self.names);
            self.stats.flows += 1;
            if r.quality.one_direction {
                self.stats.flows_one_direction += 1;
            }
            if r.quality.began_before_capture {
                self.stats.flows_began_before_capture += 1;
            }
            if r.quality.hello_cut_by_snaplen {
                self.stats.hellos_cut_by_snaplen += 1;
            }
            self.finished.push(r);
        }
        self.done = done;
    }
}

fn looks_like_client_hello(p: &[u8]) -> bool {
    p.len() >= 6 && p[0] == crate::proto::tls::CT_HANDSHAKE && p[1] == 3 && p[5] == 1
}

/// What the copy filter reads of a packet.
fn sig<'a>(pkt: &'a decode::Packet<'_>, sport: u16, dport: u16, ts_us: i64) -> Sig<'a> {
    Sig {
        src: &pkt.src,
        dst: &pkt.dst,
        sport,
        dport,
        ttl: pkt.ttl,
        ip_id: pkt.ip_id,
        ifindex: pkt.ifindex,
        tunnel: pkt
            .tunnel
            .and_then(|t| t.port.map(|p| (p, t.vni.unwrap_or(0)))),
        ts_us,
    }
}

#[cfg(test)]
mod tests {
    //! The engine's bounds under load, on frames built here (the load
    //! captures of `benches/make-load-pcap.py` measure the same at scale).
    use super::*;

    /// An Ethernet/IPv4/TCP frame from 10.x.y.z:port to 13.68.163.36:443.
    fn frame(client: u32, port: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 14];
        f[12..14].copy_from_slice(&[0x08, 0x00]);
        let total = 20 + 20 + payload.len();
        let mut ip = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            1,
            0x40,
            0,
            64,
            6,
            0,
            0,
        ];
        ip.extend_from_slice(&(0x0a00_0000 | client).to_be_bytes());
        ip.extend_from_slice(&[13, 68, 163, 36]);
        let mut tcp = Vec::new();
        tcp.extend_from_slice(&port.to_be_bytes());
        tcp.extend_from_slice(&443u16.to_be_bytes());
        tcp.extend_from_slice(&seq.to_be_bytes());
        tcp.extend_from_slice(&[0, 0, 0, 1, 0x50, flags, 0xfa, 0xf0, 0, 0, 0, 0]);
        f.extend(ip);
        f.extend(tcp);
        f.extend_from_slice(payload);
        f
    }

    fn feed(e: &mut Engine, ts: i64, data: &[u8]) {
        e.ingest(&Frame {
            ts_us: ts,
            linktype: 1,
            wire_len: data.len() as u32,
            data,
        });
    }

    #[test]
    fn a_flood_is_evicted_and_reported() {
        let mut e = Engine::new(EngineConfig {
            max_flows: 500,
            ..EngineConfig::default()
        });
        for i in 0..5_000u32 {
            feed(&mut e, 1_000 + i as i64, &frame(i, 40_000, i, 0x02, &[]));
        }
        e.finish();
        let s = e.stats();
        assert_eq!(s.flows, 5_000);
        assert_eq!(s.flows_evicted, 4_500);
        assert_eq!(s.peak_live_flows, 500);
    }

    #[test]
    fn half_open_records_stay_within_the_budget() {
        let budget = 4 << 20;
        let mut e = Engine::new(EngineConfig {
            max_memory: budget,
            ..EngineConfig::default()
        });
        // 2,000 connections, each sending 4 KB of a 6,000-byte hello record
        // that never completes: 8 MB of buffers without a budget.
        let mut hello = vec![0x16, 0x03, 0x01, 0x17, 0x70];
        hello.resize(4_000, 0);
        for i in 0..2_000u32 {
            let t = i as i64 * 10;
            feed(&mut e, t, &frame(i, 40_000, 100, 0x02, &[]));
            feed(&mut e, t + 1, &frame(i, 40_000, 101, 0x18, &hello));
            assert!(e.buffered + e.table.len() * FLOW_COST <= budget + 8 * 1024);
        }
        assert!(e.stats().buffers_dropped > 0);
        // A record larger than any hello is not buffered at all.
        let mut e = Engine::default();
        let mut big = vec![0x16, 0x03, 0x01, 0x40, 0x00];
        big.resize(1_448, 0);
        feed(&mut e, 0, &frame(1, 40_000, 100, 0x02, &[]));
        feed(&mut e, 1, &frame(1, 40_000, 101, 0x18, &big));
        assert_eq!(e.buffered, 0);
        assert_eq!(e.stats().buffers_dropped, 0);
    }
}
