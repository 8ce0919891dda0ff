//! Flows: bidirectional TCP and UDP conversations, their state and health.
//! Knows TCP, not TLS or Azure. State is bounded per flow and the table is
//! bounded in flows; finished flows leave the table.

pub mod copies;
pub mod reassembly;
pub mod table;
pub mod tcp;

use std::net::IpAddr;

pub use table::{Flow, FlowTable, Timeouts};

/// IP protocol numbers of the transports tracked as flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP
    Tcp,
    /// UDP
    Udp,
}

impl Transport {
    /// Lower-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }
}

/// Which end of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The end that opened the connection (sent the SYN), or the higher port.
    Client,
    /// The other end.
    Server,
}

impl Side {
    /// Index into per-direction arrays: 0 client→server, 1 server→client.
    pub fn idx(self) -> usize {
        match self {
            Side::Client => 0,
            Side::Server => 1,
        }
    }
}

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
