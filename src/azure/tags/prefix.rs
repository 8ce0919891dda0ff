//! Address prefixes in CIDR notation (`10.0.0.0/8`, `2603:1030::/32`).

use std::net::{Ipv4Addr, Ipv6Addr};

/// One parsed address prefix, host bits cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Prefix {
    V4(u32, u8),
    V6(u128, u8),
}

impl Prefix {
    /// Parses `addr/len`; clears host bits.
    pub(super) fn parse(text: &str) -> Result<Prefix, String> {
        let (addr, len) = text
            .split_once('/')
            .ok_or_else(|| "no /length".to_string())?;
        if len.is_empty() || len.len() > 3 || !len.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("length \"{len}\" is not a number"));
        }
        let len: u8 = len
            .parse()
            .map_err(|_| format!("length \"{len}\" is not a number"))?;
        if let Ok(a) = addr.parse::<Ipv4Addr>() {
            if len > 32 {
                return Err(format!("length {len} is over 32"));
            }
            Ok(Prefix::V4(u32::from(a) & mask32(len), len))
        } else if let Ok(a) = addr.parse::<Ipv6Addr>() {
            if len > 128 {
                return Err(format!("length {len} is over 128"));
            }
            Ok(Prefix::V6(u128::from(a) & mask128(len), len))
        } else {
            Err(format!("\"{addr}\" is not an IPv4 or IPv6 address"))
        }
    }

    pub(super) fn is_v4(self) -> bool {
        matches!(self, Prefix::V4(..))
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Prefix::V4(a, l) => write!(f, "{}/{l}", Ipv4Addr::from(a)),
            Prefix::V6(a, l) => write!(f, "{}/{l}", Ipv6Addr::from(a)),
        }
    }
}

pub(super) fn mask32(len: u8) -> u32 {
    if len == 0 { 0 } else { u32::MAX << (32 - len) }
}

pub(super) fn mask128(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn prefix_parsing() {
        assert_eq!(Prefix::parse("10.1.2.3/8"), Ok(Prefix::V4(0x0a00_0000, 8)));
        assert_eq!(Prefix::parse("0.0.0.0/0"), Ok(Prefix::V4(0, 0)));
        assert!(matches!(
            Prefix::parse("2603:1030::/32"),
            Ok(Prefix::V6(_, 32))
        ));
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "x/1",
            "10.0.0.0/+8",
            "10.0.0.0/",
        ] {
            assert!(Prefix::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Prefix::parse("2603:1030:213::/49").unwrap().to_string(),
            "2603:1030:213::/49"
        );
    }
}
