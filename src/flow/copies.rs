//! Packets recorded more than once. Counted as is, each copy would look like a
//! retransmission (and double packets, bytes and rates), so the copies are
//! recognised and set aside before any flow sees them. Two kinds, one
//! mechanism: a packet whose signature (addresses, ports, TCP sequence and
//! acknowledgment numbers, flags, length, and the IPv4 identification) was
//! seen moments before is
//!
//! - a **forwarded** copy when its TTL is lower (or higher: capture files can
//!   hold the later copy first), or when it came through another tunnel: the
//!   same packet one hop later, as on an NVA captured on its inside and
//!   outside interfaces, or an NVA behind a Gateway Load Balancer, which
//!   receives each packet on one VXLAN tunnel and returns it on the other;
//! - a **recorded** copy when its TTL is the same and it is the same IP
//!   datagram: the capturing host logged it again (Windows `pktmon` logs a
//!   packet at each component it passes; `tcpdump -i any` on a VM with
//!   Accelerated Networking sees it on the Mellanox VF and on the synthetic
//!   NIC; a port mirror of both directions of two ports).
//!
//! A retransmission is a new IP datagram. With IPv4 it carries a new
//! identification (Linux counts per socket, Windows per host, both for every
//! datagram sent), so an identical identification within the window is the
//! same datagram. IPv6 has no identification (nor does an IPv4 header with
//! identification 0): there the copy must come within [`RECORDED_GAP_US`] and
//! the peer must have sent nothing in between. No real stack retransmits that
//! fast unprompted (Linux's shortest timer, the tail-loss probe, waits at
//! least 2 ms; RTOs are 200 ms and more), and a fast retransmission always
//! follows the peer's duplicate ACKs.
//!
//! Memory is constant: a 4-way set-associative table of recent packet
//! signatures (a full set forgets its oldest entry), and a table of counters
//! of packets per direction for "the peer sent something". A capture written
//! by `dumpcap` with several interfaces can hold a burst of one interface's
//! packets before the other's copies, so the table is sized for bursts of
//! thousands of packets while staying small enough for the CPU cache.

use super::fold;
use crate::decode::{TcpSeg, UdpDgram};
use std::net::IpAddr;

/// Sets in the table.
pub(crate) const SETS: usize = 1024;
/// Slots per set.
pub(crate) const WAYS: usize = 4;
/// Longest gap between a packet and its copy.
pub(crate) const COPY_WINDOW_US: i64 = 10_000;
/// Longest gap between a packet and a copy recorded by the same host, when
/// the packet has no IPv4 identification to tell.
pub(crate) const RECORDED_GAP_US: i64 = 1_000;
/// Counters of packets per direction (hashed; a power of two).
const ACTIVITY: usize = 1 << 16;
/// Most times one packet is counted as recorded, in [`Copies::times`].
pub(crate) const MAX_TIMES: usize = 8;

/// What a packet is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// The first time (or a real retransmission).
    Original,
    /// The same packet one hop later (TTL lower or higher).
    Forwarded,
    /// The same datagram recorded again by the capturing host.
    Recorded,
}

/// A packet as the filter sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sig<'a> {
    /// Source address.
    pub src: &'a IpAddr,
    /// Destination address.
    pub dst: &'a IpAddr,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// TTL or hop limit.
    pub ttl: u8,
    /// IPv4 identification.
    pub ip_id: Option<u16>,
    /// Interface index of the capturing host, when the link header names it.
    pub ifindex: Option<u32>,
    /// The UDP tunnel the packet came through: port and network identifier.
    pub tunnel: Option<(u16, u32)>,
    /// Capture time.
    pub ts_us: i64,
}

/// Copies set aside so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Copies {
    /// Forwarded copies.
    pub forwarded: u64,
    /// Recorded copies.
    pub recorded: u64,
    /// `times[n]`: packets recorded `n` times in all (2 ≤ n < [`MAX_TIMES`];
    /// the last slot counts `MAX_TIMES - 1` times or more).
    pub times: [u64; MAX_TIMES],
    /// Interface indexes recorded copies were seen on (first 8).
    pub interfaces: Vec<u32>,
}

impl Copies {
    /// How many times most packets that were recorded more than once were
    /// recorded.
    pub(crate) fn usual_times(&self) -> Option<usize> {
        (2..MAX_TIMES)
            .filter(|n| self.times[*n] > 0)
            .max_by_key(|n| (self.times[*n], std::cmp::Reverse(*n)))
    }

    fn note_interface(&mut self, i: Option<u32>) {
        if let Some(i) = i
            && !self.interfaces.contains(&i)
            && self.interfaces.len() < 8
        {
            self.interfaces.push(i);
            self.interfaces.sort_unstable();
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Slot {
    key: u64,
    ttl: u8,
    /// Identical packets seen with `ttl` and not yet matched by a forwarded
    /// copy (a host can send the same duplicate ACK twice before either is
    /// forwarded).
    pending: u8,
    /// Times this datagram was recorded with `ttl`.
    recorded: u8,
    /// The packet had an IPv4 identification (part of `key`).
    has_id: bool,
    ifindex: Option<u32>,
    tunnel: Option<(u16, u32)>,
    /// The reverse direction's packet counter when the packet was seen.
    peer_mark: u32,
    ts_us: i64,
}

/// The filter.
pub(crate) struct CopyFilter {
    slots: Box<[Slot]>,
    activity: Box<[u32]>,
    seed: u64,
    /// What was set aside.
    pub copies: Copies,
}

impl Default for CopyFilter {
    fn default() -> Self {
        CopyFilter {
            slots: vec![Slot::default(); SETS * WAYS].into_boxed_slice(),
            activity: vec![0; ACTIVITY].into_boxed_slice(),
            // A per-run seed: crafted collisions could only hide copies, but
            // there is no reason to make them easy.
            seed: std::hash::BuildHasher::hash_one(&ahash::RandomState::new(), 0x5eed_u64),
            copies: Copies::default(),
        }
    }
}

/// splitmix64's finaliser: a fast, well-spread 64-bit mix.
fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

impl CopyFilter {
    fn head(&self, s: &Sig<'_>, (fs, fd): (u64, u64)) -> u64 {
        let mut h = mix(self.seed ^ fs);
        h = mix(h ^ fd);
        let id = s
            .ip_id
            .filter(|i| *i != 0)
            .map_or(0, |i| 0x1_0000 | i as u64);
        mix(h ^ ((s.sport as u64) << 48 | (s.dport as u64) << 32 | id))
    }

    /// The slot of the packet counter of one direction: the pair of
    /// endpoints picks two neighbouring slots (a cheap multiply-shift hash of
    /// both, in a fixed order), the direction one of them, so that a flow's
    /// two directions never share a counter. A collision with another flow
    /// only makes a copy without an IP identification count as a packet.
    fn direction(&self, src: u64, dst: u64, sport: u16, dport: u16) -> usize {
        let (a, b) = ((src, sport), (dst, dport));
        let (lo, hi, dir) = if a <= b { (a, b, 0) } else { (b, a, 1) };
        let h = (lo.0 ^ self.seed)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15)
            .wrapping_add(hi.0.rotate_left(17))
            .wrapping_add((lo.1 as u64) << 16 | hi.1 as u64)
            .wrapping_mul(0xff51_afd7_ed55_8ccd);
        ((h >> (64 - ACTIVITY.trailing_zeros())) as usize & !1) | dir
    }

    /// A TCP segment: what a router does not change (the window and the
    /// checksum tell a window update from a copy).
    pub(crate) fn tcp(&mut self, s: &Sig<'_>, t: &TcpSeg<'_>) -> Seen {
        let folded = (fold(s.src), fold(s.dst));
        let h = self.head(s, folded);
        let key = mix(h ^ ((t.seq as u64) << 32 | t.ack as u64));
        let len = t.payload.len() as u64 + t.missing as u64;
        let key = mix(key ^ ((t.flags as u64) << 24 | (len & 0xff_ffff)));
        let key = mix(key ^ ((t.window as u64) << 16 | t.checksum as u64));
        self.check(key, s, folded)
    }

    /// A UDP datagram: addresses, ports, length, checksum and the first 64
    /// payload bytes.
    pub(crate) fn udp(&mut self, s: &Sig<'_>, u: &UdpDgram<'_>) -> Seen {
        let payload = u.payload;
        let folded = (fold(s.src), fold(s.dst));
        let mut h = mix(self.head(s, folded) ^ (payload.len() as u64) << 16 ^ u.checksum as u64);
        for c in payload[..payload.len().min(64)].chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            h = mix(h ^ u64::from_le_bytes(w));
        }
        self.check(h, s, folded)
    }

    fn check(&mut self, key: u64, s: &Sig<'_>, (fs, fd): (u64, u64)) -> Seen {
        let key = key | 1;
        let ts_us = s.ts_us;
        let has_id = s.ip_id.is_some_and(|i| i != 0);
        let peer = self.activity[self.direction(fd, fs, s.dport, s.sport)];
        let set = (key as usize) % SETS * WAYS;
        let slots = &mut self.slots[set..set + WAYS];
        let recent = |sl: &Slot| (ts_us - sl.ts_us).abs() <= COPY_WINDOW_US;
        let mut seen = Seen::Original;
        let mut matched = false;
        if let Some(slot) = slots
            .iter_mut()
            .find(|sl| sl.key == key && (sl.pending > 0 || sl.recorded > 0) && recent(sl))
        {
            matched = true;
            let gap = (ts_us - slot.ts_us).abs();
            if (slot.ttl != s.ttl || slot.tunnel != s.tunnel) && slot.pending > 0 {
                slot.pending -= 1;
                slot.ts_us = ts_us;
                seen = Seen::Forwarded;
            } else if slot.ttl == s.ttl
                && (slot.has_id || (gap <= RECORDED_GAP_US && slot.peer_mark == peer))
            {
                slot.ts_us = ts_us;
                slot.recorded = slot.recorded.saturating_add(1);
                let n = slot.recorded as usize + 1;
                let c = &mut self.copies;
                c.times[(n - 1).min(MAX_TIMES - 1)] =
                    c.times[(n - 1).min(MAX_TIMES - 1)].saturating_sub((n > 2) as u64);
                c.times[n.min(MAX_TIMES - 1)] += 1;
                if slot.ifindex != s.ifindex {
                    c.note_interface(slot.ifindex);
                    c.note_interface(s.ifindex);
                }
                seen = Seen::Recorded;
            } else if slot.ttl == s.ttl {
                // Sent again by the host: another original.
                slot.ts_us = ts_us;
                slot.pending = slot.pending.saturating_add(1);
                slot.peer_mark = peer;
            } else {
                matched = false;
            }
        }
        match seen {
            Seen::Forwarded => self.copies.forwarded += 1,
            Seen::Recorded => self.copies.recorded += 1,
            Seen::Original => {
                let d = self.direction(fs, fd, s.sport, s.dport);
                self.activity[d] = self.activity[d].wrapping_add(1);
                if !matched {
                    self.remember(key, s, has_id, peer);
                }
            }
        }
        seen
    }

    fn remember(&mut self, key: u64, s: &Sig<'_>, has_id: bool, peer: u32) {
        let set = (key as usize) % SETS * WAYS;
        let ts_us = s.ts_us;
        let recent = |sl: &Slot| (ts_us - sl.ts_us).abs() <= COPY_WINDOW_US;
        // A free or stale slot, else the oldest.
        let victim = self.slots[set..set + WAYS]
            .iter_mut()
            .min_by_key(|sl| {
                if (sl.pending == 0 && sl.recorded == 0) || !recent(sl) {
                    i64::MIN
                } else {
                    sl.ts_us
                }
            })
            .expect("WAYS > 0");
        *victim = Slot {
            key,
            ttl: s.ttl,
            pending: 1,
            recorded: 0,
            has_id,
            ifindex: s.ifindex,
            tunnel: s.tunnel,
            peer_mark: peer,
            ts_us,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: [u8; 1448] = [0x17; 1448];

    fn seg(seq: u32, ack: u32, flags: u8, len: usize) -> TcpSeg<'static> {
        TcpSeg {
            sport: 0,
            dport: 0,
            seq,
            ack,
            flags,
            window: 501,
            checksum: 0x1234,
            payload: &PAYLOAD[..len],
            missing: 0,
            options: &[],
        }
    }

    fn ips() -> (IpAddr, IpAddr) {
        ("10.1.0.4".parse().unwrap(), "13.68.163.36".parse().unwrap())
    }

    /// A data segment from the VM (`ttl`, `id`) at `ts`.
    fn out(f: &mut CopyFilter, seq: u32, ttl: u8, id: Option<u16>, ts: i64) -> Seen {
        let (a, b) = ips();
        let s = Sig {
            src: &a,
            dst: &b,
            sport: 50000,
            dport: 443,
            ttl,
            ip_id: id,
            ifindex: None,
            tunnel: None,
            ts_us: ts,
        };
        f.tcp(&s, &seg(seq, 7, 0x10, 1448))
    }

    /// An ACK from the server at `ts`.
    fn ack(f: &mut CopyFilter, n: u32, ts: i64) -> Seen {
        let (a, b) = ips();
        let s = Sig {
            src: &b,
            dst: &a,
            sport: 443,
            dport: 50000,
            ttl: 50,
            ip_id: Some(n as u16 + 100),
            ifindex: None,
            tunnel: None,
            ts_us: ts,
        };
        f.tcp(&s, &seg(7, n, 0x10, 0))
    }

    #[test]
    fn second_copy_with_lower_ttl_is_forwarded() {
        let mut f = CopyFilter::default();
        assert_eq!(out(&mut f, 1, 64, Some(1), 0), Seen::Original);
        assert_eq!(out(&mut f, 2, 64, Some(2), 10), Seen::Original);
        assert_eq!(out(&mut f, 1, 63, Some(1), 50), Seen::Forwarded);
        // Much later, the same bytes are not a copy.
        assert_eq!(out(&mut f, 9, 64, Some(9), 0), Seen::Original);
        assert_eq!(out(&mut f, 9, 63, Some(9), 900_000), Seen::Original);
        assert_eq!(f.copies.forwarded, 1);
    }

    #[test]
    fn ipv4_retransmissions_carry_a_new_identification() {
        let mut f = CopyFilter::default();
        assert_eq!(out(&mut f, 1, 64, Some(10), 0), Seen::Original);
        // A fast retransmission 1 ms later: a new datagram.
        assert_eq!(out(&mut f, 1, 64, Some(11), 1_000), Seen::Original);
        // A retransmission 50 µs later on a LAN: still a new datagram.
        assert_eq!(out(&mut f, 1, 64, Some(12), 1_050), Seen::Original);
        assert_eq!(f.copies, Copies::default());
    }

    #[test]
    fn pktmon_logs_each_packet_three_times() {
        let mut f = CopyFilter::default();
        for seq in 0..50u32 {
            let t = seq as i64 * 1_000;
            let id = Some(seq as u16 + 1);
            assert_eq!(out(&mut f, seq, 128, id, t), Seen::Original);
            assert_eq!(out(&mut f, seq, 128, id, t + 3), Seen::Recorded);
            assert_eq!(out(&mut f, seq, 128, id, t + 7), Seen::Recorded);
        }
        assert_eq!(f.copies.recorded, 100);
        assert_eq!(f.copies.times[3], 50);
        assert_eq!(f.copies.times[2], 0);
        assert_eq!(f.copies.usual_times(), Some(3));
    }

    #[test]
    fn ipv6_copies_need_a_short_gap_and_a_silent_peer() {
        let mut f = CopyFilter::default();
        // Recorded twice, 5 µs apart: a copy.
        assert_eq!(out(&mut f, 1, 64, None, 0), Seen::Original);
        assert_eq!(out(&mut f, 1, 64, None, 5), Seen::Recorded);
        // Sent, the peer answers with duplicate ACKs, sent again 300 µs
        // later: a fast retransmission.
        assert_eq!(out(&mut f, 2, 64, None, 10_000), Seen::Original);
        assert_eq!(ack(&mut f, 2, 10_100), Seen::Original);
        assert_eq!(out(&mut f, 2, 64, None, 10_300), Seen::Original);
        // Sent again 3 ms later with the peer silent: a retransmission.
        assert_eq!(out(&mut f, 3, 64, None, 20_000), Seen::Original);
        assert_eq!(out(&mut f, 3, 64, None, 23_000), Seen::Original);
        // Identification 0 is no identification.
        assert_eq!(out(&mut f, 4, 64, Some(0), 40_000), Seen::Original);
        assert_eq!(out(&mut f, 4, 64, Some(0), 42_000), Seen::Original);
        assert_eq!(f.copies.recorded, 1);
    }

    #[test]
    fn copies_on_two_interfaces_are_named() {
        let mut f = CopyFilter::default();
        let (a, b) = ips();
        let sig = |ifindex, ts_us| Sig {
            src: &a,
            dst: &b,
            sport: 50000,
            dport: 443,
            ttl: 64,
            ip_id: Some(77),
            ifindex: Some(ifindex),
            tunnel: None,
            ts_us,
        };
        assert_eq!(f.tcp(&sig(3, 0), &seg(1, 1, 0x18, 100)), Seen::Original);
        assert_eq!(f.tcp(&sig(2, 4), &seg(1, 1, 0x18, 100)), Seen::Recorded);
        assert_eq!(f.copies.interfaces, vec![2, 3]);
    }

    #[test]
    fn a_packet_back_through_the_other_tunnel_is_forwarded() {
        // Gateway Load Balancer: in on the internal tunnel, out on the
        // external one, TTL and identification unchanged (the NVA bridges).
        let mut f = CopyFilter::default();
        let (a, b) = ips();
        let sig = |tunnel, ts_us| Sig {
            src: &a,
            dst: &b,
            sport: 50000,
            dport: 443,
            ttl: 64,
            ip_id: Some(9),
            ifindex: None,
            tunnel: Some(tunnel),
            ts_us,
        };
        assert_eq!(
            f.tcp(&sig((10800, 800), 0), &seg(1, 1, 0x18, 100)),
            Seen::Original
        );
        assert_eq!(
            f.tcp(&sig((10801, 801), 40), &seg(1, 1, 0x18, 100)),
            Seen::Forwarded
        );
        assert_eq!(f.copies.forwarded, 1);
    }

    #[test]
    fn the_same_packet_sent_twice_then_forwarded_twice() {
        let mut f = CopyFilter::default();
        // A duplicate ACK sent twice (IPv6: no identification), each forwarded.
        assert_eq!(out(&mut f, 5, 64, None, 0), Seen::Original);
        assert_eq!(ack(&mut f, 1, 2), Seen::Original);
        assert_eq!(out(&mut f, 5, 64, None, 5), Seen::Original);
        assert_eq!(out(&mut f, 5, 63, None, 10), Seen::Forwarded);
        assert_eq!(out(&mut f, 5, 63, None, 15), Seen::Forwarded);
        assert_eq!(
            out(&mut f, 5, 63, None, 20),
            Seen::Original,
            "a third copy was never sent"
        );
    }
}
