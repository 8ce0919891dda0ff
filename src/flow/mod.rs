//! Flows: bidirectional TCP and UDP conversations, their state and health.
//! Knows TCP, not TLS or Azure. State is bounded per flow and the table is
//! bounded in flows; finished flows leave the table.

pub(crate) mod community_id;
pub(crate) mod copies;
pub(crate) mod nat;
pub(crate) mod reassembly;
pub(crate) mod table;
pub(crate) mod tcp;

use crate::model::{Transport, Tunnel, TunnelKind};
use std::net::IpAddr;

pub(crate) use table::{Flow, FlowTable, Timeouts};

/// The Gateway Load Balancer's tunnel ports: each packet crosses both
/// (internal and external), with a network identifier of its own on each.
pub(crate) const GWLB_PORTS: [u16; 2] = [10800, 10801];

/// The network a packet's addresses belong to. Virtual networks reuse
/// addresses (every VNet may hold a `10.1.0.4`), so a packet that came
/// through a VXLAN or GENEVE tunnel belongs to the network its identifier
/// (VNI) names: two packets with the same addresses and ports in tunnels of
/// different identifiers are two flows of two networks. The Gateway Load
/// Balancer's tunnels are the exception: one connection crosses both, each
/// with its own identifier, so they are one network. Packets outside such
/// tunnels are network 0.
pub(crate) fn network_of(t: Option<&Tunnel>) -> u32 {
    match t {
        Some(Tunnel {
            kind: kind @ (TunnelKind::Vxlan | TunnelKind::Geneve),
            port: Some(port),
            vni: Some(vni),
            ..
        }) if !GWLB_PORTS.contains(port) => {
            let k = if *kind == TunnelKind::Vxlan { 1 } else { 2 };
            k << 24 | (vni & 0x00ff_ffff)
        }
        _ => 0,
    }
}

/// A direction-free key: the network and the two endpoints in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FlowKey {
    /// The lower (address, port) endpoint.
    pub a: (IpAddr, u16),
    /// The higher endpoint.
    pub b: (IpAddr, u16),
    /// Transport.
    pub transport: Transport,
    /// The network ([`network_of`]).
    pub net: u32,
}

impl FlowKey {
    /// The key of a packet from `src` to `dst` in network `net`; the flag
    /// tells whether `src` is the lower endpoint.
    pub(crate) fn new(
        transport: Transport,
        net: u32,
        src: (IpAddr, u16),
        dst: (IpAddr, u16),
    ) -> (Self, bool) {
        let lower = src <= dst;
        let (a, b) = if lower { (src, dst) } else { (dst, src) };
        (
            FlowKey {
                a,
                b,
                transport,
                net,
            },
            lower,
        )
    }
}

/// An address as 64 bits for hashing (IPv6 folded): the flow key's and the
/// copy filter's.
pub(crate) fn fold(ip: &IpAddr) -> u64 {
    match ip {
        IpAddr::V4(v) => u32::from(*v) as u64,
        IpAddr::V6(v) => {
            let b = u128::from(*v);
            (b as u64) ^ ((b >> 64) as u64).rotate_left(29)
        }
    }
}

/// One 64-bit word per endpoint for the hasher, rather than the derived
/// field-by-field hashing of two address enums (the flow table hashes a key
/// for every packet). Keys that are equal hash equally; the table compares
/// whole keys.
impl std::hash::Hash for FlowKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        let v6 = u64::from(self.a.0.is_ipv6()) << 63 | u64::from(self.b.0.is_ipv6()) << 62;
        h.write_u64(fold(&self.a.0) ^ (self.a.1 as u64) << 32 ^ v6);
        h.write_u64(
            fold(&self.b.0).rotate_left(21)
                ^ (self.b.1 as u64) << 48
                ^ (self.net as u64) << 8
                ^ self.transport as u64,
        );
    }
}
