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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
