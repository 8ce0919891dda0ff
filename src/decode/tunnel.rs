//! Tunnels over IP: GRE (and ERSPAN), VXLAN, GENEVE, GTP-U and Teredo.
//! IP-in-IP is handled in `ip.rs`; link-level encapsulations in `link.rs`.

use super::{Ctx, DecodeError, Packet, ip, link};
use crate::model::TunnelKind;
use std::net::IpAddr;

pub(super) fn decode_gre<'a>(ctx: Ctx<'_>, d: &'a [u8]) -> Result<Packet<'a>, DecodeError> {
    let h = d.get(..4).ok_or(DecodeError::TruncatedLink)?;
    let flags = u16::from_be_bytes([h[0], h[1]]);
    let proto = u16::from_be_bytes([h[2], h[3]]);
    let version = flags & 0x7;
    let mut off = 4;
    if version == 1 {
        // Enhanced GRE (PPTP): key always present, optional sequence and ack.
        off += 4;
        if flags & 0x1000 != 0 {
            off += 4;
        }
        if flags & 0x0080 != 0 {
            off += 4;
        }
    } else {
        if flags & 0x8000 != 0 {
            off += 4; // checksum + reserved
        }
        if flags & 0x2000 != 0 {
            off += 4; // key
        }
        if flags & 0x1000 != 0 {
            off += 4; // sequence
        }
    }
    let rest = d.get(off..).ok_or(DecodeError::TruncatedLink)?;
    match proto {
        0x0800 | 0x86dd => ip::decode_ip(ctx, rest),
        0x6558 => link::decode_ethernet(ctx, rest),
        // ERSPAN type II (8-byte header) and type III (12 bytes, +8 with the
        // platform sub-header flag).
        0x88be => link::decode_ethernet(ctx, rest.get(8..).ok_or(DecodeError::TruncatedLink)?),
        0x22eb => {
            let h = rest.get(..12).ok_or(DecodeError::TruncatedLink)?;
            let skip = if h[11] & 0x01 != 0 { 20 } else { 12 };
            link::decode_ethernet(ctx, rest.get(skip..).ok_or(DecodeError::TruncatedLink)?)
        }
        0x880b => {
            let (p, r) = ppp_proto(rest)?;
            link::ppp_protocol(ctx, p, r)
        }
        0x8847 | 0x8848 => link::decode_ethertype(ctx, proto, rest),
        other => Err(DecodeError::NotIp(other)),
    }
}

fn ppp_proto(d: &[u8]) -> Result<(u16, &[u8]), DecodeError> {
    let mut d = d;
    if d.len() >= 2 && d[0] == 0xff && d[1] == 0x03 {
        d = &d[2..];
    }
    let first = *d.first().ok_or(DecodeError::TruncatedLink)?;
    if first & 1 == 1 {
        return Ok((first as u16, &d[1..]));
    }
    let h = d.get(..2).ok_or(DecodeError::TruncatedLink)?;
    Ok((u16::from_be_bytes([h[0], h[1]]), &d[2..]))
}

/// Tries the UDP tunnels by port. Returns `None` when the datagram is not a
/// well-formed tunnel packet, so that it is analysed as plain UDP.
pub(super) fn try_udp_tunnel<'a>(
    ctx: Ctx<'_>,
    src: IpAddr,
    dst: IpAddr,
    sport: u16,
    dport: u16,
    d: &'a [u8],
) -> Option<Result<Packet<'a>, DecodeError>> {
    let outer = Some((src, dst));
    let is = |p: u16| sport == p || dport == p;
    // The tunnel's port: the one of the list (the other is the sender's
    // flow-entropy port).
    let on = |ports: &[u16]| {
        ports
            .iter()
            .find(|p| dport == **p)
            .or_else(|| ports.iter().find(|p| sport == **p))
            .copied()
    };
    let r = if let Some(port) = on(ctx.ports.vxlan()) {
        // VXLAN: flags with the I bit, 3 reserved, VNI, reserved.
        if d.len() < 16 || d[0] & 0x08 == 0 {
            return None;
        }
        let vni = u32::from_be_bytes([0, d[4], d[5], d[6]]);
        let ctx = ctx.enter_udp(TunnelKind::Vxlan, (src, dst), port, Some(vni));
        link::decode_ethernet(ctx, &d[8..])
    } else if let Some(port) = on(ctx.ports.geneve()) {
        // GENEVE: version 0, options length in 4-byte words, protocol type.
        if d.len() < 8 || d[0] >> 6 != 0 {
            return None;
        }
        let off = 8 + (d[0] & 0x3f) as usize * 4;
        let proto = u16::from_be_bytes([d[2], d[3]]);
        let rest = d.get(off..)?;
        let vni = u32::from_be_bytes([0, d[4], d[5], d[6]]);
        let ctx = ctx.enter_udp(TunnelKind::Geneve, (src, dst), port, Some(vni));
        match proto {
            0x6558 => link::decode_ethernet(ctx, rest),
            0x0800 | 0x86dd => ip::decode_ip(ctx, rest),
            _ => return None,
        }
    } else if is(2152) {
        // GTP-U version 1, G-PDU only.
        if d.len() < 8 || d[0] >> 5 != 1 || d[1] != 0xff {
            return None;
        }
        let mut off = 8;
        if d[0] & 0x07 != 0 {
            // Sequence number, N-PDU number, next extension header type.
            if d.len() < 12 {
                return None;
            }
            let mut next = d[11];
            off = 12;
            // Each extension is at least 4 bytes, so the walk is bounded by the length.
            while next != 0 {
                let len = *d.get(off)? as usize * 4;
                if len == 0 {
                    return None;
                }
                next = *d.get(off + len - 1)?;
                off += len;
            }
        }
        let rest = d.get(off..)?;
        if !matches!(rest.first()? >> 4, 4 | 6) {
            return None;
        }
        ip::decode_ip(ctx.enter(TunnelKind::GtpU, outer), rest)
    } else if is(3544) {
        // Teredo: IPv6 directly, or after origin/authentication indicators.
        let mut rest = d;
        for _ in 0..2 {
            match rest.get(..2)? {
                [0x00, 0x00] => rest = rest.get(8..)?,
                [0x00, 0x01] => {
                    let id_len = *rest.get(2)? as usize;
                    let au_len = *rest.get(3)? as usize;
                    rest = rest.get(4 + id_len + au_len + 9..)?;
                }
                _ => break,
            }
        }
        if rest.first()? >> 4 != 6 || rest.len() < 40 {
            return None;
        }
        ip::decode_ip(ctx.enter(TunnelKind::Teredo, outer), rest)
    } else {
        return None;
    };
    match r {
        Ok(p) => Some(Ok(p)),
        // A broken inner packet: keep the outer datagram rather than lose it.
        Err(_) => None,
    }
}
