//! Bytes to packets: stateless, zero-copy, never panics.
//!
//! [`decode`] walks a frame from its link layer (Ethernet with 802.1Q/QinQ,
//! Linux cooked SLL and SLL2, raw IP, BSD NULL/loopback, PPP) through any
//! tunnels (IP-in-IP, GRE, VXLAN, GENEVE, GTP-U, PPPoE, MPLS) to the innermost
//! IP packet and its transport header. The innermost flow is the packet's flow;
//! the outermost tunnel is kept beside it.

mod ip;
mod link;
mod tunnel;

use crate::model::{LinkType, Tunnel, TunnelKind};
use std::net::IpAddr;

pub use ip::quoted_flow;

/// Link types this decoder understands (LINKTYPE_* values), with their
/// names ([`LinkType`]'s).
pub const SUPPORTED_LINKTYPES: &[(u32, &str)] = &[
    (0, LinkType(0).name()),
    (1, LinkType(1).name()),
    (9, LinkType(9).name()),
    (12, LinkType(12).name()),
    (14, LinkType(14).name()),
    (50, LinkType(50).name()),
    (101, LinkType(101).name()),
    (108, LinkType(108).name()),
    (113, LinkType(113).name()),
    (204, LinkType(204).name()),
    (228, LinkType(228).name()),
    (229, LinkType(229).name()),
    (276, LinkType(276).name()),
];

/// True when [`decode`] handles this link type.
pub fn linktype_supported(lt: u32) -> bool {
    SUPPORTED_LINKTYPES.iter().any(|(v, _)| *v == lt)
}

/// A decoded packet: the innermost IP flow and what carried it.
#[derive(Debug, Clone)]
pub struct Packet<'a> {
    /// Innermost source address.
    pub src: IpAddr,
    /// Innermost destination address.
    pub dst: IpAddr,
    /// IPv4 TTL or IPv6 hop limit of the innermost header.
    pub ttl: u8,
    /// IPv4 identification of the innermost header (`None` for IPv6): a
    /// retransmission is a new datagram with a new identification, a copy
    /// of the same datagram keeps it.
    pub ip_id: Option<u16>,
    /// The interface index a Linux cooked (SLL2) header names: which
    /// interface of the capturing host the packet was seen on.
    pub ifindex: Option<u32>,
    /// The transport layer.
    pub l4: L4<'a>,
    /// The outermost tunnel the packet came through, if any.
    pub tunnel: Option<Tunnel>,
    /// The outermost 802.1Q VLAN id, if any.
    pub vlan: Option<u16>,
}

/// TCP flag bits.
pub mod tcp_flags {
    /// FIN
    pub const FIN: u8 = 0x01;
    /// SYN
    pub const SYN: u8 = 0x02;
    /// RST
    pub const RST: u8 = 0x04;
    /// PSH
    pub const PSH: u8 = 0x08;
    /// ACK
    pub const ACK: u8 = 0x10;
}

/// The transport layer of a packet.
#[derive(Debug, Clone)]
pub enum L4<'a> {
    /// A TCP segment.
    Tcp(TcpSeg<'a>),
    /// A UDP datagram.
    Udp(UdpDgram<'a>),
    /// An ICMP or ICMPv6 error quoting the header of another flow's packet.
    IcmpError(IcmpError<'a>),
    /// Any other ICMP message.
    Icmp,
    /// A fragment of a fragmented IP packet (counted, not reassembled).
    Fragment,
    /// Another IP protocol.
    Other(u8),
}

/// A TCP segment.
#[derive(Debug, Clone, Copy)]
pub struct TcpSeg<'a> {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flag bits ([`tcp_flags`]).
    pub flags: u8,
    /// Advertised window (unscaled).
    pub window: u16,
    /// The TCP checksum as captured (with checksum offload, only the
    /// pseudo-header's part).
    pub checksum: u16,
    /// The captured payload.
    pub payload: &'a [u8],
    /// Payload bytes the IP header announces but the capture does not hold
    /// (snap length).
    pub missing: u32,
    /// The header's options, as captured (a SYN/ACK's tell which stack
    /// answered the SYN).
    pub options: &'a [u8],
}

/// A UDP datagram.
#[derive(Debug, Clone, Copy)]
pub struct UdpDgram<'a> {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// The captured payload.
    pub payload: &'a [u8],
    /// The UDP checksum as captured (0: none).
    pub checksum: u16,
    /// Payload bytes cut by the snap length.
    pub missing: u32,
}

/// An ICMP error message and the flow whose packet it quotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcmpError<'a> {
    /// True for ICMPv6.
    pub v6: bool,
    /// ICMP type.
    pub icmp_type: u8,
    /// ICMP code.
    pub code: u8,
    /// The quoted packet's flow, as it was sent.
    pub quoted: QuotedFlow,
    /// What the error quotes beyond the quoted IP header and the first 8
    /// bytes of its payload (RFC 792's minimum, which holds the ports):
    /// the rest of the transport header and data of the packet. Linux
    /// quotes up to 576 bytes in all for ICMPv4, ICMPv6 up to 1,280.
    pub beyond: &'a [u8],
}

/// The 5-tuple of the packet quoted inside an ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotedFlow {
    /// IP protocol number.
    pub proto: u8,
    /// Source address of the quoted packet.
    pub src: IpAddr,
    /// Destination address of the quoted packet.
    pub dst: IpAddr,
    /// Source port (0 when not TCP/UDP or not quoted).
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
}

/// Why a frame could not be decoded; counted by kind, never fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecodeError {
    /// The link type is not supported.
    UnsupportedLinkType(u32),
    /// A non-IP frame (ARP, LLDP, STP…), by EtherType.
    NotIp(u16),
    /// The frame ends inside a link-layer or tunnel header.
    TruncatedLink,
    /// The IP header is cut or invalid.
    BadIp,
    /// The transport header is cut or invalid.
    BadTransport,
    /// More than [`MAX_DEPTH`] nested encapsulations.
    TooDeep,
}

impl DecodeError {
    /// A stable, short name for counting.
    pub fn kind(&self) -> String {
        match self {
            DecodeError::UnsupportedLinkType(lt) => {
                format!("unsupported link type {}", LinkType(*lt))
            }
            DecodeError::NotIp(et) => {
                format!("not IP (ethertype 0x{et:04x}{})", ethertype_name(*et))
            }
            DecodeError::TruncatedLink => "truncated link or tunnel header".into(),
            DecodeError::BadIp => "truncated or invalid IP header".into(),
            DecodeError::BadTransport => "truncated or invalid TCP/UDP/ICMP header".into(),
            DecodeError::TooDeep => "too many nested encapsulations".into(),
        }
    }
}

fn ethertype_name(et: u16) -> &'static str {
    match et {
        0x0806 => " ARP",
        0x88cc => " LLDP",
        0x8863 => " PPPoE discovery",
        0x888e => " EAPOL",
        0x8035 => " RARP",
        0x88e5 => " MACsec",
        0x0000..=0x05dc => " 802.3 length/LLC",
        _ => "",
    }
}

/// Deepest nesting of encapsulations followed.
pub const MAX_DEPTH: u8 = 8;

/// Decoding state carried down the layers.
/// Most extra ports of one tunnel kind.
pub const MAX_EXTRA_PORTS: usize = 8;

/// The UDP ports tunnels are decoded on: the well-known ones and those given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TunnelPorts {
    vxlan: [u16; 4 + MAX_EXTRA_PORTS],
    n_vxlan: usize,
    geneve: [u16; 1 + MAX_EXTRA_PORTS],
    n_geneve: usize,
}

/// VXLAN's ports: IANA's 4789, Linux's old default 8472, and Azure Gateway
/// Load Balancer's internal (10800) and external (10801) tunnels.
pub const VXLAN_PORTS: [u16; 4] = [4789, 8472, 10800, 10801];
/// GENEVE's port.
pub const GENEVE_PORT: u16 = 6081;

/// The well-known ports only.
const DEFAULT_PORTS: TunnelPorts = TunnelPorts {
    vxlan: [
        VXLAN_PORTS[0],
        VXLAN_PORTS[1],
        VXLAN_PORTS[2],
        VXLAN_PORTS[3],
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
    ],
    n_vxlan: 4,
    geneve: [GENEVE_PORT, 0, 0, 0, 0, 0, 0, 0, 0],
    n_geneve: 1,
};

impl Default for TunnelPorts {
    fn default() -> Self {
        DEFAULT_PORTS
    }
}

impl TunnelPorts {
    /// The default ports and these; `None` when more than
    /// [`MAX_EXTRA_PORTS`] of one kind are given.
    pub fn with(vxlan: &[u16], geneve: &[u16]) -> Option<Self> {
        if vxlan.len() > MAX_EXTRA_PORTS || geneve.len() > MAX_EXTRA_PORTS {
            return None;
        }
        let mut t = TunnelPorts::default();
        for p in vxlan {
            if !t.vxlan().contains(p) {
                t.vxlan[t.n_vxlan] = *p;
                t.n_vxlan += 1;
            }
        }
        for p in geneve {
            if !t.geneve().contains(p) {
                t.geneve[t.n_geneve] = *p;
                t.n_geneve += 1;
            }
        }
        Some(t)
    }

    /// Ports VXLAN is decoded on.
    pub fn vxlan(&self) -> &[u16] {
        &self.vxlan[..self.n_vxlan]
    }

    /// Ports GENEVE is decoded on.
    pub fn geneve(&self) -> &[u16] {
        &self.geneve[..self.n_geneve]
    }
}

/// What the decoders pass down as they go deeper: the nesting depth, the
/// outermost VLAN and tunnel, the interface and IP identification seen, and
/// the tunnel ports (by reference: the context is copied at every layer).
#[derive(Clone, Copy)]
struct Ctx<'p> {
    depth: u8,
    ports: &'p TunnelPorts,
    vlan: Option<u16>,
    tunnel: Option<Tunnel>,
    ifindex: Option<u32>,
    /// The identification of the IPv4 header being decoded.
    ip_id: Option<u16>,
}

impl<'p> Ctx<'p> {
    fn new(ports: &'p TunnelPorts) -> Self {
        Ctx {
            depth: 0,
            ports,
            vlan: None,
            tunnel: None,
            ifindex: None,
            ip_id: None,
        }
    }

    fn deeper(mut self) -> Result<Self, DecodeError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(DecodeError::TooDeep)
        } else {
            Ok(self)
        }
    }
    fn enter(mut self, kind: TunnelKind, outer: Option<(IpAddr, IpAddr)>) -> Self {
        if self.tunnel.is_none() {
            self.tunnel = Some(Tunnel {
                kind,
                outer_src: outer.map(|o| o.0),
                outer_dst: outer.map(|o| o.1),
                port: None,
                vni: None,
            });
        }
        self
    }

    /// Enters a UDP tunnel on `port`, with its network identifier.
    fn enter_udp(
        self,
        kind: TunnelKind,
        outer: (IpAddr, IpAddr),
        port: u16,
        vni: Option<u32>,
    ) -> Self {
        let first = self.tunnel.is_none();
        let mut c = self.enter(kind, Some(outer));
        if first && let Some(t) = c.tunnel.as_mut() {
            t.port = Some(port);
            t.vni = vni;
        }
        c
    }
}

/// Decodes a frame of the given link type, with tunnels on their default ports.
pub fn decode(linktype: u32, data: &[u8]) -> Result<Packet<'_>, DecodeError> {
    decode_with(linktype, data, &DEFAULT_PORTS)
}

/// Decodes a frame of the given link type, with tunnels on `ports`.
pub fn decode_with<'a>(
    linktype: u32,
    data: &'a [u8],
    ports: &TunnelPorts,
) -> Result<Packet<'a>, DecodeError> {
    link::decode_link(Ctx::new(ports), linktype, data)
}

/// What a UDP payload looks like to a strict VXLAN reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VxlanLike {
    /// Not VXLAN.
    No,
    /// VXLAN carrying Ethernet and IP: the I flag alone, reserved bytes
    /// zero, an inner EtherType of IPv4 or IPv6 and a matching IP version.
    Ip,
    /// VXLAN carrying Ethernet with ARP or a VLAN tag (a tunnel's own
    /// neighbour discovery): neither for nor against.
    Other,
}

/// Reads a UDP payload strictly as VXLAN, to spot VXLAN on a port it is not
/// decoded on.
pub fn looks_like_vxlan(d: &[u8]) -> VxlanLike {
    if d.len() < 8 + 14 || d[0] != 0x08 || d[1..4] != [0, 0, 0] || d[7] != 0 {
        return VxlanLike::No;
    }
    let ip = |v: u8| d.get(22).is_some_and(|b| b >> 4 == v) && d.len() >= 8 + 14 + 20;
    match u16::from_be_bytes([d[20], d[21]]) {
        0x0800 if ip(4) => VxlanLike::Ip,
        0x86dd if ip(6) => VxlanLike::Ip,
        0x0806 | 0x8100 | 0x88a8 => VxlanLike::Other,
        _ => VxlanLike::No,
    }
}

#[cfg(test)]
mod tests;
