//! Packets captured twice. A capture taken on a router (an NVA captured on its
//! inside and outside interfaces, or with `tcpdump -i any`) holds every
//! forwarded packet twice, a moment apart, with the TTL one lower. Counted as
//! is, each copy would look like a retransmission. This filter recognises the
//! second copy so that it is counted once.
//!
//! Memory is constant: a direct-mapped table of recent packet signatures
//! (collisions simply forget the older entry).

use std::hash::Hash;

/// Slots in the table.
pub const SLOTS: usize = 4096;
/// Longest gap between a packet and its forwarded copy.
pub const COPY_WINDOW_US: i64 = 10_000;

#[derive(Clone, Copy, Default)]
struct Slot {
    key: u64,
    ttl: u8,
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
            slots: vec![Slot::default(); SLOTS].into_boxed_slice(),
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
        let slot = &mut self.slots[(key as usize) % SLOTS];
        if slot.key == key && slot.ttl != ttl && (ts_us - slot.ts_us).abs() <= COPY_WINDOW_US {
            slot.key = 0;
            return true;
        }
        *slot = Slot { key, ttl, ts_us };
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
}
