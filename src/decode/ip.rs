//! IPv4 and IPv6 (with extension headers, via etherparse's lax slicer, which
//! tolerates packets cut by the snap length), then TCP, UDP and ICMP.

use super::{Ctx, DecodeError, IcmpError, L4, Packet, QuotedFlow, TcpSeg, UdpDgram, tunnel};
use crate::model::TunnelKind;
use etherparse::{LaxIpSlice, TcpSlice, UdpSlice};
use std::net::IpAddr;

pub(super) fn decode_ip<'a>(ctx: Ctx<'_>, d: &'a [u8]) -> Result<Packet<'a>, DecodeError> {
    let ctx = ctx.deeper()?;
    let (ip, _ext_err) = LaxIpSlice::from_slice(d).map_err(|_| DecodeError::BadIp)?;
    let src = ip.source_addr();
    let dst = ip.destination_addr();
    let (ttl, declared, ip_id) = match &ip {
        LaxIpSlice::Ipv4(v4) => {
            let h = v4.header();
            (h.ttl(), h.total_len() as usize, Some(h.identification()))
        }
        LaxIpSlice::Ipv6(v6) => {
            let h = v6.header();
            (h.hop_limit(), 40 + h.payload_length() as usize, None)
        }
    };
    let ctx = Ctx { ip_id, ..ctx };
    let pl = ip.payload();
    let missing = if pl.incomplete {
        declared.saturating_sub(d.len()) as u32
    } else {
        0
    };
    let payload = pl.payload;
    let proto = pl.ip_number.0;
    if pl.fragmented {
        return Ok(packet(ctx, src, dst, ttl, L4::Fragment));
    }
    match proto {
        // IPv4 or IPv6 inside IP.
        4 | 41 => {
            let inner = ctx.enter(TunnelKind::IpInIp, Some((src, dst)));
            decode_ip(inner, payload)
        }
        47 => tunnel::decode_gre(ctx.enter(TunnelKind::Gre, Some((src, dst))), payload),
        6 => {
            let t = TcpSlice::from_slice(payload).map_err(|_| DecodeError::BadTransport)?;
            Ok(packet(
                ctx,
                src,
                dst,
                ttl,
                L4::Tcp(TcpSeg {
                    sport: t.source_port(),
                    dport: t.destination_port(),
                    seq: t.sequence_number(),
                    ack: t.acknowledgment_number(),
                    flags: t.header_slice()[13],
                    window: t.window_size(),
                    checksum: t.checksum(),
                    payload: t.payload(),
                    missing,
                    options: payload.get(20..t.header_len()).unwrap_or(&[]),
                }),
            ))
        }
        17 => {
            let u = UdpSlice::from_slice_lax(payload).map_err(|_| DecodeError::BadTransport)?;
            let (sport, dport) = (u.source_port(), u.destination_port());
            // A tunnel is tried only when its header checks out; otherwise the
            // datagram stays an ordinary UDP datagram.
            if let Some(inner) = tunnel::try_udp_tunnel(ctx, src, dst, sport, dport, u.payload()) {
                return inner;
            }
            Ok(packet(
                ctx,
                src,
                dst,
                ttl,
                L4::Udp(UdpDgram {
                    sport,
                    dport,
                    checksum: u.checksum(),
                    payload: u.payload(),
                    missing,
                }),
            ))
        }
        1 | 58 => Ok(packet(ctx, src, dst, ttl, icmp(proto == 58, payload))),
        other => Ok(packet(ctx, src, dst, ttl, L4::Other(other))),
    }
}

fn packet<'a>(ctx: Ctx<'_>, src: IpAddr, dst: IpAddr, ttl: u8, l4: L4<'a>) -> Packet<'a> {
    Packet {
        src,
        dst,
        ttl,
        ip_id: ctx.ip_id,
        ifindex: ctx.ifindex,
        l4,
        tunnel: ctx.tunnel,
        vlan: ctx.vlan,
    }
}

fn icmp(v6: bool, d: &[u8]) -> L4<'_> {
    if d.len() < 8 {
        return L4::Icmp;
    }
    let (t, code) = (d[0], d[1]);
    let is_error = if v6 {
        matches!(t, 1..=4)
    } else {
        matches!(t, 3 | 4 | 5 | 11 | 12)
    };
    if !is_error {
        return L4::Icmp;
    }
    match quote(&d[8..]) {
        Some((quoted, beyond)) => L4::IcmpError(IcmpError {
            v6,
            icmp_type: t,
            code,
            quoted,
            beyond,
        }),
        None => L4::Icmp,
    }
}

/// Reads the 5-tuple of a packet quoted in an ICMP error (an IP header and at
/// least the first 8 bytes of its payload; shorter quotes give port 0).
pub fn quoted_flow(d: &[u8]) -> Option<QuotedFlow> {
    quote(d).map(|(q, _)| q)
}

/// [`quoted_flow`], and the bytes of the quote past its IP header and the
/// first 8 bytes of its payload (empty when there are none).
fn quote(d: &[u8]) -> Option<(QuotedFlow, &[u8])> {
    let (ip, _) = LaxIpSlice::from_slice(d).ok()?;
    let pl = ip.payload();
    let p = pl.payload;
    let (sport, dport) = if (pl.ip_number.0 == 6 || pl.ip_number.0 == 17) && p.len() >= 4 {
        (
            u16::from_be_bytes([p[0], p[1]]),
            u16::from_be_bytes([p[2], p[3]]),
        )
    } else {
        (0, 0)
    };
    let quoted = QuotedFlow {
        proto: pl.ip_number.0,
        src: ip.source_addr(),
        dst: ip.destination_addr(),
        sport,
        dport,
    };
    Some((quoted, &p[p.len().min(8)..]))
}
