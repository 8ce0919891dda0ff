//! Flows: bidirectional TCP and UDP conversations, their state and health.
//! Knows TCP, not TLS or Azure. State is bounded per flow and the table is
//! bounded in flows; finished flows leave the table.

pub mod copies;
pub mod nat;
pub mod reassembly;
pub mod table;
pub mod tcp;

use crate::model::Transport;
use std::net::IpAddr;

pub use table::{Flow, FlowTable, Timeouts};

/// A direction-free key: the two endpoints in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowKey {
    /// The lower (address, port) endpoint.
    pub a: (IpAddr, u16),
    /// The higher endpoint.
    pub b: (IpAddr, u16),
    /// Transport.
    pub transport: Transport,
}

impl FlowKey {
    /// The key of a packet from `src` to `dst`; the flag tells whether `src` is
    /// the lower endpoint.
    pub fn new(transport: Transport, src: (IpAddr, u16), dst: (IpAddr, u16)) -> (Self, bool) {
        if src <= dst {
            (
                FlowKey {
                    a: src,
                    b: dst,
                    transport,
                },
                true,
            )
        } else {
            (
                FlowKey {
                    a: dst,
                    b: src,
                    transport,
                },
                false,
            )
        }
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
            fold(&self.b.0).rotate_left(21) ^ (self.b.1 as u64) << 48 ^ self.transport as u64,
        );
    }
}
