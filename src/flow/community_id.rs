//! Community ID v1 (Corelight's flow hash, as Zeek, Suricata, Arkime and
//! Wireshark print it): the same flow gets the same ID in every tool that
//! saw it, whichever direction a packet went. Specification:
//! <https://github.com/corelight/community-id-spec>.
//!
//! `1:` then the base64 of the SHA-1 of seed (2 bytes) · lower address ·
//! higher address · IP protocol (1 byte) · 0 (1 byte) · its port · the other
//! port, all in network byte order; the endpoint that comes first is the
//! smaller address, or for equal addresses the smaller port. ICMP and ICMPv6
//! put the message type and its counterpart type (or the code, for a message
//! without one) where the ports go; other protocols have no ports.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};
use std::net::IpAddr;

/// IP protocol number of ICMP.
#[cfg(test)]
const ICMP: u8 = 1;
/// IP protocol number of ICMPv6.
const ICMPV6: u8 = 58;

/// What follows the addresses and the protocol in the hash. Flows are TCP
/// and UDP; ICMP and the other protocols are here so that the hash is the
/// specification's whole and is checked against all of its baselines.
#[cfg_attr(not(test), expect(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoints {
    /// TCP, UDP, SCTP: source and destination port.
    Ports(u16, u16),
    /// ICMP or ICMPv6 (by the protocol number): message type and code.
    Icmp { kind: u8, code: u8 },
    /// Any other protocol: nothing.
    None,
}

/// The Community ID v1 of a flow as seen from `src` to `dst`, with the
/// default seed 0.
pub(crate) fn community_id(src: IpAddr, dst: IpAddr, proto: u8, ports: Endpoints) -> String {
    community_id_seeded(0, src, dst, proto, ports)
}

/// The Community ID v1 with a seed (the spec's way of keeping IDs of
/// different sites apart; tools default to 0).
pub(crate) fn community_id_seeded(
    seed: u16,
    src: IpAddr,
    dst: IpAddr,
    proto: u8,
    ports: Endpoints,
) -> String {
    let digest = digest(seed, src, dst, proto, ports);
    format!("1:{}", STANDARD.encode(digest))
}

/// The SHA-1 the ID encodes.
fn digest(seed: u16, src: IpAddr, dst: IpAddr, proto: u8, ports: Endpoints) -> [u8; 20] {
    let (sport, dport, one_way) = match ports {
        Endpoints::Ports(s, d) => (Some(s), Some(d), false),
        Endpoints::Icmp { kind, code } => {
            let (s, d, one_way) = icmp_ports(proto == ICMPV6, kind, code);
            (Some(s), Some(d), one_way)
        }
        Endpoints::None => (None, None, false),
    };
    let key_src = (src, sport.unwrap_or(0));
    let key_dst = (dst, dport.unwrap_or(0));
    // Addresses compare as their network-order bytes (an IPv4 and an IPv6
    // address never meet in one flow); equal addresses fall to the ports.
    let swap = !one_way && key_dst < key_src;
    let ((a, ap), (b, bp)) = if swap {
        ((dst, dport), (src, sport))
    } else {
        ((src, sport), (dst, dport))
    };
    let mut h = Sha1::new();
    h.update(seed.to_be_bytes());
    h.update(octets(a));
    h.update(octets(b));
    h.update([proto, 0]);
    if let (Some(ap), Some(bp)) = (ap, bp) {
        h.update(ap.to_be_bytes());
        h.update(bp.to_be_bytes());
    }
    h.finalize().into()
}

fn octets(a: IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(v4) => v4.octets().to_vec(),
        IpAddr::V6(v6) => v6.octets().to_vec(),
    }
}

/// The ICMP message's port equivalents, as Zeek maps them: a request and
/// its reply are two directions of one flow (type, counterpart type); any
/// other message is one-way (type, code) and keeps its direction.
fn icmp_ports(v6: bool, kind: u8, code: u8) -> (u16, u16, bool) {
    let counterpart = if v6 {
        match kind {
            128 => Some(129), // echo request / reply
            129 => Some(128),
            133 => Some(134), // router solicitation / advertisement
            134 => Some(133),
            135 => Some(136), // neighbor solicitation / advertisement
            136 => Some(135),
            130 => Some(131), // multicast listener query / report
            131 => Some(130),
            139 => Some(140), // node information query / reply
            140 => Some(139),
            144 => Some(145), // home agent address discovery request / reply
            145 => Some(144),
            _ => None,
        }
    } else {
        match kind {
            8 => Some(0), // echo request / reply
            0 => Some(8),
            13 => Some(14), // timestamp request / reply
            14 => Some(13),
            15 => Some(16), // information request / reply
            16 => Some(15),
            10 => Some(9), // router solicitation / advertisement
            9 => Some(10),
            17 => Some(18), // address mask request / reply
            18 => Some(17),
            _ => None,
        }
    };
    match counterpart {
        Some(c) => (u16::from(kind), c, false),
        None => (u16::from(kind), u16::from(code), true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The specification's published baselines
    /// (`baseline/baseline_deflt.json` and `baseline/baseline_seed1.json` of
    /// corelight/community-id-spec): the reference implementation's ID of
    /// every packet of its `pcaps/combined.pcap.gz`, ICMP, ICMPv6, TCP, UDP,
    /// SCTP and RSVP, over IPv4 and IPv6, both directions.
    const DEFAULT: &str = include_str!("../../tests/data/community-id/baseline_deflt.json");
    const SEED1: &str = include_str!("../../tests/data/community-id/baseline_seed1.json");

    /// The record's tuple as this module takes it. For ICMP the baseline's
    /// `sport` is the message type and `dport` its counterpart or code, so
    /// the type is `sport`, and `dport` is the code where it matters.
    fn tuple(r: &Value) -> (IpAddr, IpAddr, u8, Endpoints) {
        let ip = |k: &str| r[k].as_str().unwrap().parse::<IpAddr>().unwrap();
        let num = |k: &str| r[k].as_u64().map(|n| u16::try_from(n).unwrap());
        let proto = u8::try_from(r["proto"].as_u64().unwrap()).unwrap();
        let ports = match (proto, num("sport"), num("dport")) {
            (ICMP | ICMPV6, Some(t), Some(c)) => Endpoints::Icmp {
                kind: u8::try_from(t).unwrap(),
                code: u8::try_from(c).unwrap(),
            },
            (_, Some(s), Some(d)) => Endpoints::Ports(s, d),
            _ => Endpoints::None,
        };
        (ip("saddr"), ip("daddr"), proto, ports)
    }

    fn check(baseline: &str, seed: u16) -> usize {
        let records: Vec<Value> = serde_json::from_str(baseline).unwrap();
        for r in &records {
            let (src, dst, proto, ports) = tuple(r);
            assert_eq!(
                community_id_seeded(seed, src, dst, proto, ports),
                r["communityid"].as_str().unwrap(),
                "seed {seed}: {r}"
            );
        }
        records.len()
    }

    #[test]
    fn matches_the_specifications_default_baseline() {
        assert_eq!(check(DEFAULT, 0), 23);
    }

    #[test]
    fn matches_the_specifications_seed_1_baseline() {
        assert_eq!(check(SEED1, 1), 23);
    }

    #[test]
    fn both_directions_give_one_id_and_the_readme_example_holds() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.1".parse().unwrap();
        let ab = community_id(a, b, 6, Endpoints::Ports(1234, 80));
        assert_eq!(ab, community_id(b, a, 6, Endpoints::Ports(80, 1234)));
        // Equal addresses: the ports decide.
        let same = community_id(a, a, 17, Endpoints::Ports(53, 1000));
        assert_eq!(same, community_id(a, a, 17, Endpoints::Ports(1000, 53)));
        assert_ne!(ab, community_id(a, b, 17, Endpoints::Ports(1234, 80)));
        assert!(ab.starts_with("1:") && ab.len() == 30, "{ab}");
    }

    #[test]
    fn a_one_way_icmp_message_keeps_its_direction() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let unreachable = Endpoints::Icmp { kind: 3, code: 13 };
        assert_ne!(
            community_id(a, b, ICMP, unreachable),
            community_id(b, a, ICMP, unreachable)
        );
        let echo = Endpoints::Icmp { kind: 8, code: 0 };
        let reply = Endpoints::Icmp { kind: 0, code: 0 };
        assert_eq!(
            community_id(a, b, ICMP, echo),
            community_id(b, a, ICMP, reply)
        );
    }
}
