//! TCP per direction and per connection: sequence tracking for retransmissions,
//! duplicate ACKs and zero windows (with tshark's definitions), the handshake
//! and who closed the connection.

use crate::decode::TcpSeg;
use crate::decode::tcp_flags::{ACK, FIN, RST, SYN};
use crate::model::{ServerTtl, Side, SynAckPrint, TcpOptions};

/// Counters and sequence state of one direction.
#[derive(Debug, Clone, Default)]
pub(crate) struct DirStats {
    /// Packets sent this way.
    pub packets: u64,
    /// Payload bytes sent this way (TCP/UDP payload as on the wire, including
    /// retransmissions and bytes the snap length cut).
    pub bytes: u64,
    /// Segments carrying data.
    pub data_segments: u64,
    /// Retransmitted segments (data, SYN or FIN that repeat sequence space
    /// already seen).
    pub retransmissions: u64,
    /// Retransmitted segments that carried data.
    pub data_retransmissions: u64,
    /// Duplicate ACKs sent this way.
    pub dup_acks: u64,
    /// Segments advertising a zero window.
    pub zero_windows: u64,
    /// Time of the first and last segment carrying data (µs).
    pub first_data_us: Option<i64>,
    /// See `first_data_us`.
    pub last_data_us: Option<i64>,
    /// Payload bytes the snap length cut.
    pub bytes_cut: u64,
    seq_init: bool,
    next_seq: u32,
    /// When `next_seq` last moved forward.
    next_seq_us: i64,
    last_ack: u32,
    /// When `last_ack` took its value.
    last_ack_us: i64,
    /// Duplicate ACKs in a row for `last_ack`.
    dup_run: u32,
    last_win: u16,
    last_next_seq: u32,
}

/// What a direction needs to know of the other one to tell a fast
/// retransmission (prompted by the peer's duplicate ACKs) from a segment
/// that is merely out of order.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Peer {
    /// The peer's duplicate ACKs in a row.
    pub dup_run: u32,
    /// The sequence number the peer acknowledges.
    pub last_ack: u32,
    /// When the peer first acknowledged it.
    pub last_ack_us: i64,
    /// The connection's initial round-trip time (µs), when the handshake was seen.
    pub initial_rtt_us: Option<i64>,
}

/// tshark's window for a fast retransmission after the duplicate ACKs.
const FAST_RETRANS_US: i64 = 20_000;
/// tshark's out-of-order threshold without an initial RTT.
const OOO_DEFAULT_US: i64 = 3_000;

/// How a connection attempt went, tracked as packets arrive.
#[derive(Debug, Clone, Default)]
pub(crate) struct TcpConn {
    /// SYNs sent by the client.
    pub syn_count: u32,
    /// Time of the client's first and last SYN.
    pub first_syn_us: Option<i64>,
    /// See `first_syn_us`.
    pub last_syn_us: Option<i64>,
    /// Time of the server's (first) SYN/ACK.
    pub synack_us: Option<i64>,
    /// Time of the client's ACK that completed the handshake.
    pub established_us: Option<i64>,
    /// First RST: who sent it and when.
    pub rst: Option<(Side, i64)>,
    /// First FIN of each side.
    pub fin_us: [Option<i64>; 2],
    /// The first FIN or RST: who and whether it was a RST.
    pub first_close: Option<(Side, bool)>,
    /// The SYN/ACK's ISN and client ISN, to tell a new connection on the same
    /// ports from a retransmitted SYN.
    pub client_isn: Option<u32>,
    /// What the first SYN/ACK shows of the stack that sent it.
    pub synack: Option<SynAckPrint>,
    /// The TTLs of the server side's later packets (a few bytes, set once
    /// each: no allocation per packet).
    pub server_ttl: ServerTtl,
}

/// What the IP header of a segment says of its sender.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct IpSeen {
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 identification.
    pub ip_id: Option<u16>,
}

fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

impl DirStats {
    /// What the other direction needs of this one (see [`Peer`]).
    pub(crate) fn as_peer(&self, initial_rtt_us: Option<i64>) -> Peer {
        Peer {
            dup_run: self.dup_run,
            last_ack: self.last_ack,
            last_ack_us: self.last_ack_us,
            initial_rtt_us,
        }
    }

    /// Updates this direction with a segment it sent. A segment that repeats
    /// sequence space is a retransmission, unless (as tshark says) it is out
    /// of order: it came within the initial RTT (3 ms without one) of the
    /// segment that last advanced the sequence, does not end where that one
    /// did, and no run of the peer's duplicate ACKs asked for it.
    pub(crate) fn on_segment(&mut self, seg: &TcpSeg<'_>, ts_us: i64, peer: Peer) {
        let len = seg.payload.len() as u32 + seg.missing;
        self.packets += 1;
        self.bytes += len as u64;
        self.bytes_cut += seg.missing as u64;
        let syn = seg.flags & SYN != 0;
        let fin = seg.flags & FIN != 0;
        let rst = seg.flags & RST != 0;
        if len > 0 {
            self.data_segments += 1;
            self.first_data_us.get_or_insert(ts_us);
            self.last_data_us = Some(ts_us);
        }
        if seg.window == 0 && !syn && !fin && !rst {
            self.zero_windows += 1;
        }
        let seg_len = len + syn as u32 + fin as u32;
        if !self.seq_init {
            self.seq_init = true;
            self.next_seq = seg.seq.wrapping_add(seg_len);
            self.next_seq_us = ts_us;
            self.remember_ack(seg, ts_us);
            return;
        }
        if seg_len > 0 && !rst {
            let keepalive = len <= 1 && !syn && !fin && seg.seq == self.next_seq.wrapping_sub(1);
            if lt(seg.seq, self.next_seq) && !keepalive {
                let fast = peer.dup_run >= 2
                    && peer.last_ack == seg.seq
                    && ts_us - peer.last_ack_us < FAST_RETRANS_US;
                let ooo_us = peer
                    .initial_rtt_us
                    .filter(|r| *r > 0)
                    .unwrap_or(OOO_DEFAULT_US);
                let out_of_order = !fast
                    && ts_us - self.next_seq_us < ooo_us
                    && self.next_seq != seg.seq.wrapping_add(seg_len);
                if !out_of_order {
                    self.retransmissions += 1;
                    if len > 0 {
                        self.data_retransmissions += 1;
                    }
                }
            }
        } else if seg_len == 0
            && !syn
            && !fin
            && !rst
            && seg.flags & ACK != 0
            && seg.window != 0
            && seg.window == self.last_win
            && seg.ack == self.last_ack
            && seg.seq == self.last_next_seq
        {
            self.dup_acks += 1;
            self.dup_run += 1;
        }
        let end = seg.seq.wrapping_add(seg_len);
        if lt(self.next_seq, end) {
            self.next_seq = end;
            self.next_seq_us = ts_us;
        }
        self.remember_ack(seg, ts_us);
    }

    fn remember_ack(&mut self, seg: &TcpSeg<'_>, ts_us: i64) {
        if seg.flags & RST == 0 {
            if seg.ack != self.last_ack || self.last_ack_us == 0 {
                self.last_ack_us = ts_us;
                self.dup_run = 0;
            }
            self.last_ack = seg.ack;
            self.last_win = seg.window;
            self.last_next_seq = self.next_seq;
        }
    }

    /// Average rate of this direction's data, in kbit/s, from its first to its
    /// last data segment; `None` with fewer than two data segments.
    pub(crate) fn throughput_kbps(&self) -> Option<f64> {
        let (a, b) = (self.first_data_us?, self.last_data_us?);
        if b <= a || self.data_segments < 2 {
            return None;
        }
        Some(self.bytes as f64 * 8.0 / 1000.0 / ((b - a) as f64 / 1e6))
    }
}

impl TcpConn {
    /// Updates the connection facts with a segment sent by `side`, whose IP
    /// header said `ip`.
    pub(crate) fn on_segment(&mut self, side: Side, seg: &TcpSeg<'_>, ts_us: i64, ip: IpSeen) {
        let syn = seg.flags & SYN != 0;
        let ack = seg.flags & ACK != 0;
        if side == Side::Server {
            self.note_server(seg, ip);
        }
        match side {
            Side::Client => {
                if syn && !ack {
                    self.syn_count += 1;
                    self.first_syn_us.get_or_insert(ts_us);
                    if self.synack_us.is_none() {
                        self.last_syn_us = Some(ts_us);
                    }
                    self.client_isn.get_or_insert(seg.seq);
                } else if ack && self.synack_us.is_some() && self.established_us.is_none() {
                    self.established_us = Some(ts_us);
                }
            }
            Side::Server => {
                if syn && ack && self.synack_us.is_none() {
                    self.synack_us = Some(ts_us);
                }
            }
        }
        if seg.flags & RST != 0 {
            if self.rst.is_none() {
                self.rst = Some((side, ts_us));
            }
            self.first_close.get_or_insert((side, true));
        }
        if seg.flags & FIN != 0 {
            self.fin_us[side.idx()].get_or_insert(ts_us);
            self.first_close.get_or_insert((side, false));
        }
    }

    /// The server side's SYN/ACK print, and the TTL of its first data
    /// segment, first FIN or RST, and first other packet.
    fn note_server(&mut self, seg: &TcpSeg<'_>, ip: IpSeen) {
        let t = &mut self.server_ttl;
        if seg.flags & (SYN | ACK) == SYN | ACK {
            self.synack.get_or_insert_with(|| SynAckPrint {
                ttl: ip.ttl,
                ip_id: ip.ip_id,
                window: seg.window,
                options: TcpOptions::read(seg.options),
            });
            return;
        }
        let data = !seg.payload.is_empty() || seg.missing > 0;
        let close = seg.flags & (FIN | RST) != 0 && t.close.is_none();
        if data {
            t.data.get_or_insert(ip.ttl);
        }
        if close {
            t.close = Some(ip.ttl);
        }
        if !data && !close {
            t.other.get_or_insert(ip.ttl);
        }
    }

    /// True once both sides sent FIN, or either sent RST.
    pub(crate) fn closed(&self) -> bool {
        self.rst.is_some() || (self.fin_us[0].is_some() && self.fin_us[1].is_some())
    }

    /// Handshake round-trip time: from the client's last SYN before the
    /// SYN/ACK to the ACK that completed the handshake (capture-point
    /// independent, like tshark's initial RTT but Karn-safe), in µs.
    pub(crate) fn handshake_rtt_us(&self) -> Option<i64> {
        let a = self.last_syn_us?;
        let b = self.established_us?;
        (b >= a).then_some(b - a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(seq: u32, ack: u32, flags: u8, window: u16, payload: &[u8]) -> TcpSeg<'_> {
        TcpSeg {
            sport: 50000,
            dport: 443,
            seq,
            ack,
            flags,
            window,
            checksum: 0,
            payload,
            missing: 0,
            options: &[],
        }
    }

    #[test]
    fn retransmission_dup_ack_zero_window() {
        let mut d = DirStats::default();
        d.on_segment(&seg(100, 0, SYN, 64000, b""), 0, Peer::default());
        d.on_segment(&seg(100, 0, SYN, 64000, b""), 1_000_000, Peer::default()); // SYN again
        assert_eq!(d.retransmissions, 1);
        d.on_segment(&seg(101, 1, ACK, 500, b"hello"), 2_000_000, Peer::default());
        d.on_segment(&seg(106, 1, ACK, 500, b"world"), 2_000_100, Peer::default());
        d.on_segment(&seg(101, 1, ACK, 500, b"hello"), 2_200_000, Peer::default()); // old data again
        assert_eq!(d.retransmissions, 2);
        assert_eq!(d.data_retransmissions, 1);
        assert_eq!(d.bytes, 15);

        let mut r = DirStats::default();
        r.on_segment(&seg(9000, 101, SYN | ACK, 500, b""), 0, Peer::default());
        r.on_segment(&seg(9001, 106, ACK, 500, b""), 1, Peer::default());
        r.on_segment(&seg(9001, 106, ACK, 500, b""), 2, Peer::default()); // same ack, same window
        r.on_segment(&seg(9001, 106, ACK, 500, b""), 3, Peer::default());
        assert_eq!(r.dup_acks, 2);
        r.on_segment(&seg(9001, 111, ACK, 0, b""), 4, Peer::default());
        assert_eq!(r.zero_windows, 1);
        r.on_segment(&seg(9001, 111, ACK, 0, b""), 5, Peer::default()); // zero window is never a dup ack
        assert_eq!(r.dup_acks, 2);
    }

    #[test]
    fn out_of_order_is_not_a_retransmission_but_a_fast_retransmission_is() {
        let peer = Peer {
            initial_rtt_us: Some(1_000),
            ..Peer::default()
        };
        let mut d = DirStats::default();
        d.on_segment(&seg(101, 1, ACK, 500, b"aaaa"), 0, peer);
        d.on_segment(&seg(109, 1, ACK, 500, b"cccc"), 10, peer);
        // The segment that filled the gap, 200 µs later, within the initial
        // RTT: out of order.
        d.on_segment(&seg(105, 1, ACK, 500, b"bbbb"), 210, peer);
        assert_eq!(d.retransmissions, 0);
        // The same after the peer's duplicate ACKs for it: a fast
        // retransmission.
        let dup = Peer {
            dup_run: 2,
            last_ack: 105,
            last_ack_us: 100,
            initial_rtt_us: Some(1_000),
        };
        d.on_segment(&seg(105, 1, ACK, 500, b"bbbb"), 300, dup);
        assert_eq!(d.retransmissions, 1);
        // Long after: a retransmission.
        d.on_segment(&seg(105, 1, ACK, 500, b"bbbb"), 900_000, peer);
        assert_eq!(d.retransmissions, 2);
    }

    #[test]
    fn keepalive_is_not_a_retransmission() {
        let mut d = DirStats::default();
        d.on_segment(&seg(101, 1, ACK, 500, b"abc"), 0, Peer::default());
        d.on_segment(&seg(103, 1, ACK, 500, b"\0"), 1, Peer::default());
        assert_eq!(d.retransmissions, 0);
    }

    #[test]
    fn handshake_and_close() {
        let mut c = TcpConn::default();
        c.on_segment(Side::Client, &seg(1, 0, SYN, 1, b""), 0, IpSeen::default());
        c.on_segment(
            Side::Client,
            &seg(1, 0, SYN, 1, b""),
            1_000_000,
            IpSeen::default(),
        );
        c.on_segment(
            Side::Server,
            &seg(7, 2, SYN | ACK, 1, b""),
            1_020_000,
            IpSeen::default(),
        );
        c.on_segment(
            Side::Client,
            &seg(2, 8, ACK, 1, b""),
            1_020_500,
            IpSeen::default(),
        );
        assert_eq!(c.syn_count, 2);
        assert_eq!(c.handshake_rtt_us(), Some(20_500));
        c.on_segment(
            Side::Server,
            &seg(8, 2, RST | ACK, 0, b""),
            2_000_000,
            IpSeen::default(),
        );
        assert_eq!(c.first_close, Some((Side::Server, true)));
        assert!(c.closed());
    }

    #[test]
    fn the_synack_print_and_the_server_ttls() {
        // Linux's SYN/ACK options: MSS 1460, SACK permitted, timestamps, NOP,
        // window scale 7.
        let opts = [
            2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, 7,
        ];
        let ip = |ttl| IpSeen {
            ttl,
            ip_id: Some(0),
        };
        let mut c = TcpConn::default();
        let mut synack = seg(7, 2, SYN | ACK, 64240, b"");
        synack.options = &opts;
        c.on_segment(Side::Client, &seg(1, 0, SYN, 1, b""), 0, ip(64));
        c.on_segment(Side::Server, &synack, 10, ip(64));
        c.on_segment(Side::Server, &seg(8, 2, ACK, 502, b""), 20, ip(64));
        c.on_segment(Side::Server, &seg(8, 2, RST | ACK, 0, b""), 30, ip(63));
        c.on_segment(Side::Server, &seg(8, 2, FIN | ACK, 0, b""), 40, ip(62));
        let p = c.synack.unwrap();
        assert_eq!((p.ttl, p.ip_id, p.window), (64, Some(0), 64240));
        assert_eq!((p.options.mss, p.options.wscale), (Some(1460), Some(7)));
        let kinds: Vec<String> = p.options.kinds().map(|k| k.to_string()).collect();
        assert_eq!(kinds, ["mss", "sackOK", "TS", "nop", "wscale"]);
        assert_eq!(
            c.server_ttl,
            ServerTtl {
                data: None,
                close: Some(63),
                other: Some(64)
            }
        );
        // A malformed option length stops the reading without a panic.
        let bad = TcpOptions::read(&[2, 4, 5]);
        assert_eq!((bad.mss, bad.kinds().count()), (None, 1));
    }
}
