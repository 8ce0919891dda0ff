//! Link layers and the encapsulations that sit at link level (VLAN tags, MPLS,
//! PPPoE, PPP).

use super::{Ctx, DecodeError, Packet, ip};
use crate::model::TunnelKind;

const ETH_IPV4: u16 = 0x0800;
const ETH_IPV6: u16 = 0x86dd;

pub(super) fn decode_link<'a>(
    ctx: Ctx<'_>,
    linktype: u32,
    d: &'a [u8],
) -> Result<Packet<'a>, DecodeError> {
    match linktype {
        1 => decode_ethernet(ctx, d),
        // BSD NULL: 4-byte address family in the capturing host's byte order.
        0 | 108 => {
            let h = d.get(..4).ok_or(DecodeError::TruncatedLink)?;
            let fam = if linktype == 108 || (h[0] == 0 && h[1] == 0) {
                u32::from_be_bytes([h[0], h[1], h[2], h[3]])
            } else {
                u32::from_le_bytes([h[0], h[1], h[2], h[3]])
            };
            match fam {
                2 | 24 | 28 | 30 => ip::decode_ip(ctx, &d[4..]),
                _ => Err(DecodeError::NotIp(fam as u16)),
            }
        }
        9 | 50 => decode_ppp(ctx, d),
        204 => decode_ppp(ctx, d.get(1..).ok_or(DecodeError::TruncatedLink)?),
        12 | 14 | 101 | 228 | 229 => ip::decode_ip(ctx, d),
        113 => {
            // Linux cooked v1: 16-byte header, protocol in the last two bytes.
            let h = d.get(..16).ok_or(DecodeError::TruncatedLink)?;
            let proto = u16::from_be_bytes([h[14], h[15]]);
            decode_ethertype(ctx, proto, &d[16..])
        }
        276 => {
            // Linux cooked v2: 20-byte header, protocol first.
            let h = d.get(..20).ok_or(DecodeError::TruncatedLink)?;
            let proto = u16::from_be_bytes([h[0], h[1]]);
            let ifindex = Some(u32::from_be_bytes([h[4], h[5], h[6], h[7]]));
            decode_ethertype(Ctx { ifindex, ..ctx }, proto, &d[20..])
        }
        other => Err(DecodeError::UnsupportedLinkType(other)),
    }
}

pub(super) fn decode_ethernet<'a>(ctx: Ctx<'_>, d: &'a [u8]) -> Result<Packet<'a>, DecodeError> {
    let h = d.get(..14).ok_or(DecodeError::TruncatedLink)?;
    let et = u16::from_be_bytes([h[12], h[13]]);
    decode_ethertype(ctx.deeper()?, et, &d[14..])
}

/// Follows an EtherType through VLAN tags, MPLS and PPPoE to IP.
pub(super) fn decode_ethertype<'a>(
    mut ctx: Ctx<'_>,
    mut et: u16,
    mut d: &'a [u8],
) -> Result<Packet<'a>, DecodeError> {
    // Each pass consumes at least 4 bytes, so this ends; the cap guards odd stacks.
    for _ in 0..16 {
        match et {
            ETH_IPV4 | ETH_IPV6 => return ip::decode_ip(ctx, d),
            0x8100 | 0x88a8 | 0x9100 | 0x9200 => {
                let h = d.get(..4).ok_or(DecodeError::TruncatedLink)?;
                if ctx.vlan.is_none() {
                    ctx.vlan = Some(u16::from_be_bytes([h[0], h[1]]) & 0x0fff);
                }
                et = u16::from_be_bytes([h[2], h[3]]);
                d = &d[4..];
            }
            0x8926 => {
                // Cisco VN-Tag: 4 bytes of tag, then the EtherType.
                let h = d.get(..6).ok_or(DecodeError::TruncatedLink)?;
                et = u16::from_be_bytes([h[4], h[5]]);
                d = &d[6..];
            }
            0x8847 | 0x8848 => return decode_mpls(ctx.enter(TunnelKind::Mpls, None), d),
            0x8864 => {
                // PPPoE session: 6-byte header, then a PPP protocol number.
                let h = d.get(..8).ok_or(DecodeError::TruncatedLink)?;
                let ctx = ctx.enter(TunnelKind::Pppoe, None).deeper()?;
                let proto = u16::from_be_bytes([h[6], h[7]]);
                return ppp_protocol(ctx, proto, &d[8..]);
            }
            other => return Err(DecodeError::NotIp(other)),
        }
    }
    Err(DecodeError::TooDeep)
}

fn decode_mpls<'a>(ctx: Ctx<'_>, mut d: &'a [u8]) -> Result<Packet<'a>, DecodeError> {
    for _ in 0..16 {
        let h = d.get(..4).ok_or(DecodeError::TruncatedLink)?;
        let bottom = h[2] & 0x01 != 0;
        d = &d[4..];
        if bottom {
            let first = *d.first().ok_or(DecodeError::TruncatedLink)?;
            return match first >> 4 {
                4 | 6 => ip::decode_ip(ctx.deeper()?, d),
                // Pseudowire control word, then Ethernet.
                0 => decode_ethernet(ctx.deeper()?, d.get(4..).ok_or(DecodeError::TruncatedLink)?),
                _ => Err(DecodeError::NotIp(0x8847)),
            };
        }
    }
    Err(DecodeError::TooDeep)
}

fn decode_ppp<'a>(ctx: Ctx<'_>, mut d: &'a [u8]) -> Result<Packet<'a>, DecodeError> {
    if d.len() >= 2 && d[0] == 0xff && d[1] == 0x03 {
        d = &d[2..];
    }
    let first = *d.first().ok_or(DecodeError::TruncatedLink)?;
    if first & 1 == 1 {
        // Protocol-field compression: a one-byte protocol number.
        return ppp_protocol(ctx, first as u16, &d[1..]);
    }
    let h = d.get(..2).ok_or(DecodeError::TruncatedLink)?;
    ppp_protocol(ctx, u16::from_be_bytes([h[0], h[1]]), &d[2..])
}

pub(super) fn ppp_protocol<'a>(
    ctx: Ctx<'_>,
    proto: u16,
    d: &'a [u8],
) -> Result<Packet<'a>, DecodeError> {
    match proto {
        0x0021 | 0x0057 => ip::decode_ip(ctx, d),
        0x0281 => decode_mpls(ctx.enter(TunnelKind::Mpls, None), d),
        other => Err(DecodeError::NotIp(other)),
    }
}
