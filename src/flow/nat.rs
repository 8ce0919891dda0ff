//! Connections recorded on both sides of an address-translating appliance.
//! Azure Firewall and most network virtual appliances source-NAT outbound
//! traffic; captured on the appliance (`tcpdump -i any`), each connection
//! shows twice: the VM's address to the server on the inside interface, and
//! the appliance's address to the same server on the outside one.
//!
//! The legs are tied by what the packets prove, not by addresses: a SYN to a
//! server that repeats, within [`LEG_WINDOW_US`], the initial sequence number
//! of a SYN another client sent to the same server and port, one hop later
//! (its TTL one lower, or higher when the capture holds the later copy
//! first) and, for IPv4, with the same identification, is the same datagram
//! after translation: source NAT rewrites the source address and maybe the
//! port, and leaves the sequence number and the identification as they are;
//! a 32-bit random ISN does not repeat by chance, and a flood of SYNs with
//! one fixed sequence number from many sources does not come one hop apart
//! with one identification. The first leg seen keeps the connection; every
//! packet of the other leg, both ways, is set aside like a copy, and the
//! first leg learns the address it was translated to. Legs that began
//! before the capture (no SYN) are not tied.
//!
//! Memory is bounded: a SYN is remembered for [`LEG_WINDOW_US`] of capture
//! time (its other leg cannot come later), and the recent SYNs and the
//! translations each keep at most [`MAX_ENTRIES`], the oldest forgotten
//! first.

use ahash::AHashMap as HashMap;
use std::collections::VecDeque;
use std::net::IpAddr;

/// Longest gap between the SYNs of the two legs.
pub(crate) const LEG_WINDOW_US: i64 = 1_000_000;
/// Most SYNs and translations remembered.
pub(crate) const MAX_ENTRIES: usize = 65_536;

type Endpoint = (IpAddr, u16);

/// A SYN as it is compared with a later one.
#[derive(Debug, Clone, Copy)]
struct FirstSyn {
    client: Endpoint,
    ts: i64,
    ttl: u8,
    ip_id: Option<u16>,
}

/// Ties translated legs together.
#[derive(Debug, Default)]
pub(crate) struct NatLegs {
    /// (server, ISN) → the SYN seen first: its client, time, TTL and IPv4
    /// identification.
    syns: HashMap<(Endpoint, u32), FirstSyn>,
    /// The SYNs remembered, oldest first, with their times.
    syn_order: VecDeque<((Endpoint, u32), i64)>,
    /// (translated client, server) → the first leg's client.
    legs: HashMap<(Endpoint, Endpoint), Endpoint>,
    leg_order: VecDeque<(Endpoint, Endpoint)>,
    /// Connections tied.
    pub tied: u64,
    /// Packets of the other legs set aside.
    pub packets: u64,
}

impl NatLegs {
    /// True once a translated leg was seen: only then does every packet need
    /// the look-up of [`NatLegs::other_leg`].
    pub(crate) fn active(&self) -> bool {
        !self.legs.is_empty()
    }

    /// Whether a packet from `src` to `dst` belongs to a leg already tied
    /// to another (either direction); counts it.
    pub(crate) fn other_leg(&mut self, src: Endpoint, dst: Endpoint) -> bool {
        let hit = self.legs.contains_key(&(src, dst)) || self.legs.contains_key(&(dst, src));
        if hit {
            self.packets += 1;
        }
        hit
    }

    /// A SYN (without ACK) from `client` to `server` with sequence number
    /// `isn`, TTL and IPv4 identification: `Some(first client)` when it is
    /// the translated leg of a connection whose SYN came from another client
    /// (then the leg is remembered and the SYN counted as set aside); else it
    /// is remembered as a first leg.
    pub(crate) fn syn(
        &mut self,
        client: Endpoint,
        server: Endpoint,
        isn: u32,
        ttl: u8,
        ip_id: Option<u16>,
        ts: i64,
    ) -> Option<Endpoint> {
        // SYNs older than the window can tie no leg any more.
        while let Some(&(old, at)) = self.syn_order.front()
            && (at < ts.saturating_sub(LEG_WINDOW_US) || self.syn_order.len() >= MAX_ENTRIES)
        {
            self.syn_order.pop_front();
            if self.syns.get(&old).is_some_and(|s| s.ts == at) {
                self.syns.remove(&old);
            }
        }
        let key = (server, isn);
        if let Some(first) = self.syns.get(&key).copied()
            && first.client != client
            && (ts - first.ts).abs() <= LEG_WINDOW_US
            && first.ttl.abs_diff(ttl) == 1
            && match (first.ip_id, ip_id) {
                (Some(a), Some(b)) if a != 0 && b != 0 => a == b,
                _ => true,
            }
        {
            let first = first.client;
            if self.legs.insert((client, server), first).is_none() {
                self.leg_order.push_back((client, server));
                if self.leg_order.len() > MAX_ENTRIES
                    && let Some(old) = self.leg_order.pop_front()
                {
                    self.legs.remove(&old);
                }
                self.tied += 1;
            }
            self.packets += 1;
            return Some(first);
        }
        let syn = FirstSyn {
            client,
            ts,
            ttl,
            ip_id,
        };
        // A repeated key (a retransmitted SYN) is remembered from its
        // latest time; its older place in the order is then skipped.
        self.syns.insert(key, syn);
        self.syn_order.push_back((key, ts));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(s: &str, p: u16) -> Endpoint {
        (s.parse().unwrap(), p)
    }

    #[test]
    fn the_translated_leg_is_tied_by_its_isn() {
        let mut n = NatLegs::default();
        let (vm, nva, srv) = (
            ep("10.1.0.4", 50000),
            ep("198.51.100.7", 50000),
            ep("13.68.163.36", 443),
        );
        assert_eq!(n.syn(vm, srv, 7, 64, Some(9), 0), None);
        // The same SYN retransmitted by the VM is not a second leg.
        assert_eq!(n.syn(vm, srv, 7, 64, Some(10), 1_000), None);
        assert!(!n.active());
        // One hop later, same identification: the translated leg.
        assert_eq!(n.syn(nva, srv, 7, 63, Some(10), 1_050), Some(vm));
        assert!(n.active());
        assert!(n.other_leg(srv, nva));
        assert!(n.other_leg(nva, srv));
        assert!(!n.other_leg(vm, srv));
        assert_eq!((n.tied, n.packets), (1, 3));
        // Another ISN, too late, the same TTL (a flood with a fixed sequence
        // number from many sources) or another identification: not tied.
        assert_eq!(
            n.syn(ep("198.51.100.7", 50001), srv, 8, 63, Some(10), 1_100),
            None
        );
        assert_eq!(
            n.syn(ep("198.51.100.8", 50001), srv, 7, 63, Some(10), 2_000_000),
            None
        );
        let mut n = NatLegs::default();
        assert_eq!(n.syn(vm, srv, 5, 64, Some(1), 0), None);
        assert_eq!(n.syn(ep("203.0.113.9", 1), srv, 5, 64, Some(1), 10), None);
        assert_eq!(n.syn(ep("203.0.113.10", 1), srv, 5, 63, Some(2), 20), None);
        // IPv6 has no identification: the TTL (hop limit) still tells.
        let (vm6, nva6, srv6) = (
            ep("fd00:1::4", 40000),
            ep("2001:db8::7", 40000),
            ep("2603:1030:213::1:10", 443),
        );
        assert_eq!(n.syn(vm6, srv6, 11, 64, None, 0), None);
        assert_eq!(n.syn(nva6, srv6, 11, 63, None, 10), Some(vm6));
    }

    #[test]
    fn memory_stays_bounded_under_a_syn_flood() {
        let mut n = NatLegs::default();
        let srv = ep("13.68.163.36", 443);
        for i in 0..(MAX_ENTRIES as u32 + 1000) {
            n.syn(
                ep("10.1.0.4", (i % 60000) as u16),
                srv,
                i,
                64,
                None,
                i as i64,
            );
        }
        assert!(n.syns.len() <= MAX_ENTRIES);
        assert!(n.syn_order.len() <= MAX_ENTRIES);
    }

    #[test]
    fn a_syn_is_forgotten_once_its_window_has_passed() {
        let mut n = NatLegs::default();
        let srv = ep("13.68.163.36", 443);
        for i in 0..1000u32 {
            // One SYN every 10 ms: about 100 within the window.
            n.syn(
                ep("10.1.0.4", 40000 + i as u16),
                srv,
                i,
                64,
                None,
                i as i64 * 10_000,
            );
        }
        assert!(n.syns.len() <= 102, "{}", n.syns.len());
        assert!(n.syn_order.len() <= 102);
        // A retransmitted SYN is remembered from its latest time.
        n.syn(ep("10.1.0.4", 39999), srv, 7_777, 64, None, 20_000_000);
        n.syn(ep("10.1.0.4", 39999), srv, 7_777, 64, None, 20_900_000);
        assert_eq!(
            n.syn(ep("198.51.100.7", 39999), srv, 7_777, 63, None, 21_800_000),
            Some(ep("10.1.0.4", 39999))
        );
    }
}
