//! Packets captured twice. A capture taken on a router (an NVA captured on its
//! inside and outside interfaces, or with `tcpdump -i any`) holds every
//! forwarded packet twice, a moment apart, with the TTL one lower. Counted as
//! is, each copy would look like a retransmission. This filter recognises the
//! second copy so that it is counted once.
//!
//! Memory is constant: a 4-way set-associative table of recent packet
//! signatures; a full set forgets its oldest entry. A capture written by
//! `dumpcap` with several interfaces can hold a burst of one interface's
//! packets before the other's copies, so the table is sized for bursts of
//! thousands of packets while staying small enough for the CPU cache.

use std::net::IpAddr;

/// Sets in the table.
pub const SETS: usize = 1024;
/// Slots per set.
pub const WAYS: usize = 4;
/// Longest gap between a packet and its forwarded copy.
pub const COPY_WINDOW_US: i64 = 10_000;

#[derive(Clone, Copy, Default)]
struct Slot {
    key: u64,
    ttl: u8,
    /// Identical packets seen with `ttl` and not yet matched by a copy (a
    /// host can send the same duplicate ACK twice before either is forwarded).
    pending: u8,
    ts_us: i64,
}

/// The filter.
pub struct CopyFilter {
    slots: Box<[Slot]>,
    seed: u64,
}

impl Default for CopyFilter {
    fn default() -> Self {
        CopyFilter {
            slots: vec![Slot::default(); SETS * WAYS].into_boxed_slice(),
            // A per-run seed: crafted collisions could only hide copies, but
            // there is no reason to make them easy.
            seed: std::hash::BuildHasher::hash_one(&ahash::RandomState::new(), 0x5eed_u64),
        }
    }
}

/// splitmix64's finaliser: a fast, well-spread 64-bit mix.
fn mix(x: u64) -> u64 {
    let x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn fold(ip: &IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v) => u32::from(*v) as u64,
        IpAddr::V6(v) => {
            let b = u128::from(*v);
            (b as u64) ^ ((b >> 64) as u64).rotate_left(29)
        }
    }
}

impl CopyFilter {
    /// The signature of a TCP segment: what a router does not change.
    #[allow(clippy::too_many_arguments)]
    pub fn tcp_key(
        &self,
        src: &IpAddr,
        dst: &IpAddr,
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        flags: u8,
        len: usize,
    ) -> u64 {
        let mut h = mix(self.seed ^ fold(src));
        h = mix(h ^ fold(dst));
        h = mix(h ^ ((sport as u64) << 48 | (dport as u64) << 32 | seq as u64));
        mix(h ^ ((ack as u64) << 32 | (flags as u64) << 24 | (len as u64 & 0xff_ffff)))
    }

    /// The signature of a UDP datagram: addresses, ports, length and the
    /// first 16 payload bytes.
    pub fn udp_key(
        &self,
        src: &IpAddr,
        dst: &IpAddr,
        sport: u16,
        dport: u16,
        payload: &[u8],
    ) -> u64 {
        let mut h = mix(self.seed ^ fold(src));
        h = mix(h ^ fold(dst));
        h = mix(h ^ ((sport as u64) << 48 | (dport as u64) << 32 | payload.len() as u64));
        for c in payload[..payload.len().min(16)].chunks(8) {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            h = mix(h ^ u64::from_le_bytes(w));
        }
        h
    }

    /// True when a packet with the same signature (from [`CopyFilter::tcp_key`]
    /// or [`CopyFilter::udp_key`]) was seen within [`COPY_WINDOW_US`] with a
    /// different TTL. Remembers the packet otherwise.
    pub fn is_copy(&mut self, key: u64, ttl: u8, ts_us: i64) -> bool {
        let key = key | 1;
        let set = (key as usize) % SETS * WAYS;
        let slots = &mut self.slots[set..set + WAYS];
        let recent = |s: &Slot| (ts_us - s.ts_us).abs() <= COPY_WINDOW_US;
        if let Some(slot) = slots
            .iter_mut()
            .find(|s| s.key == key && s.pending > 0 && recent(s))
        {
            slot.ts_us = ts_us;
            if slot.ttl != ttl {
                slot.pending -= 1;
                return true;
            }
            slot.pending = slot.pending.saturating_add(1);
            return false;
        }
        // A free or stale slot, else the oldest.
        let victim = slots
            .iter_mut()
            .min_by_key(|s| {
                if s.pending == 0 || !recent(s) {
                    i64::MIN
                } else {
                    s.ts_us
                }
            })
            .expect("WAYS > 0");
        *victim = Slot {
            key,
            ttl,
            pending: 1,
            ts_us,
        };
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(f: &CopyFilter, seq: u32) -> u64 {
        let (a, b) = ("10.1.0.4".parse().unwrap(), "13.68.163.36".parse().unwrap());
        f.tcp_key(&a, &b, 50000, 443, seq, 7, 0x10, 1448)
    }

    #[test]
    fn second_copy_with_lower_ttl_is_recognised() {
        let mut f = CopyFilter::default();
        let (a, b, c) = (k(&f, 1), k(&f, 2), k(&f, 9));
        assert_ne!(a, b);
        assert!(!f.is_copy(a, 64, 0));
        assert!(!f.is_copy(b, 64, 10));
        assert!(f.is_copy(a, 63, 50));
        // A real retransmission: same TTL, or much later.
        assert!(!f.is_copy(c, 64, 0));
        assert!(!f.is_copy(c, 64, 200_000));
        assert!(!f.is_copy(c, 63, 900_000));
    }

    #[test]
    fn the_same_packet_sent_twice_then_forwarded_twice() {
        let mut f = CopyFilter::default();
        let d = k(&f, 5);
        assert!(!f.is_copy(d, 64, 0));
        assert!(!f.is_copy(d, 64, 5));
        assert!(f.is_copy(d, 63, 10));
        assert!(f.is_copy(d, 63, 15));
        assert!(!f.is_copy(d, 63, 20), "a third copy was never sent");
    }
}
