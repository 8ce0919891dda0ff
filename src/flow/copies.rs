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
//! thousands of packets.

use std::hash::Hash;

/// Sets in the table.
pub const SETS: usize = 4096;
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
    hasher: ahash::RandomState,
}

impl Default for CopyFilter {
    fn default() -> Self {
        CopyFilter {
            slots: vec![Slot::default(); SETS * WAYS].into_boxed_slice(),
            hasher: ahash::RandomState::new(),
        }
    }
}

impl CopyFilter {
    /// True when a packet with the same signature (addresses, ports, sequence
    /// and acknowledgment numbers, length, flags: anything hashable that a
    /// router does not change) was seen within [`COPY_WINDOW_US`] with a
    /// different TTL. Remembers the packet otherwise.
    pub fn is_copy(&mut self, sig: impl Hash, ttl: u8, ts_us: i64) -> bool {
        let key = self.hasher.hash_one(sig) | 1;
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

    #[test]
    fn second_copy_with_lower_ttl_is_recognised() {
        let mut f = CopyFilter::default();
        assert!(!f.is_copy((1u32, 2u32, 100u16), 64, 0));
        assert!(!f.is_copy((1u32, 3u32, 100u16), 64, 10));
        assert!(f.is_copy((1u32, 2u32, 100u16), 63, 50));
        // A real retransmission: same TTL, or much later.
        assert!(!f.is_copy((9u32, 9u32, 1u16), 64, 0));
        assert!(!f.is_copy((9u32, 9u32, 1u16), 64, 200_000));
        assert!(!f.is_copy((9u32, 9u32, 1u16), 63, 900_000));
    }

    #[test]
    fn the_same_packet_sent_twice_then_forwarded_twice() {
        let mut f = CopyFilter::default();
        assert!(!f.is_copy("dup ack", 64, 0));
        assert!(!f.is_copy("dup ack", 64, 5));
        assert!(f.is_copy("dup ack", 63, 10));
        assert!(f.is_copy("dup ack", 63, 15));
        assert!(!f.is_copy("dup ack", 63, 20), "a third copy was never sent");
    }
}
