//! Address blocks, the one type for the prefixes of service tags, NSG rules and
//! routes, and an index that finds every block holding an address.
//!
//! A block of one family never holds an address of the other: `0.0.0.0/0` is
//! every IPv4 address and no IPv6 one, `::/0` the reverse. An IPv4-mapped IPv6
//! address (`::ffff:a.b.c.d`) is the IPv4 address it carries.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An address block, host bits cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Block {
    /// An IPv4 block: network address and prefix length (0 to 32).
    V4(u32, u8),
    /// An IPv6 block: network address and prefix length (0 to 128).
    V6(u128, u8),
}

/// The mask of an IPv4 prefix length.
pub(crate) fn mask32(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    }
}

/// The mask of an IPv6 prefix length.
pub(crate) fn mask128(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    }
}

/// An address as the family it really is (IPv4-mapped IPv6 as IPv4).
pub(crate) fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl Block {
    /// Parses `addr/len` strictly, as service-tag files write prefixes;
    /// clears host bits. The error says what is wrong.
    pub fn parse(text: &str) -> Result<Block, String> {
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
            Ok(Block::V4(u32::from(a) & mask32(len), len))
        } else if let Ok(a) = addr.parse::<Ipv6Addr>() {
            if len > 128 {
                return Err(format!("length {len} is over 128"));
            }
            Ok(Block::V6(u128::from(a) & mask128(len), len))
        } else {
            Err(format!("\"{addr}\" is not an IPv4 or IPv6 address"))
        }
    }

    /// Parses `addr/len` or a plain address (a /32 or /128), as Azure
    /// exports write them; `None` for anything else (a service tag, `*`).
    pub fn parse_lenient(text: &str) -> Option<Block> {
        let text = text.trim();
        if text.contains('/') {
            return Block::parse(text).ok();
        }
        Some(Block::host(text.parse::<IpAddr>().ok()?))
    }

    /// The block holding just `ip`.
    pub fn host(ip: IpAddr) -> Block {
        match unmapped(ip) {
            IpAddr::V4(a) => Block::V4(u32::from(a), 32),
            IpAddr::V6(a) => Block::V6(u128::from(a), 128),
        }
    }

    /// The block of length `len` that holds `ip` (`len` capped at the
    /// family's width).
    pub fn of(ip: IpAddr, len: u8) -> Block {
        match unmapped(ip) {
            IpAddr::V4(a) => {
                let len = len.min(32);
                Block::V4(u32::from(a) & mask32(len), len)
            }
            IpAddr::V6(a) => {
                let len = len.min(128);
                Block::V6(u128::from(a) & mask128(len), len)
            }
        }
    }

    /// The prefix length.
    pub fn prefix_len(self) -> u8 {
        match self {
            Block::V4(_, l) | Block::V6(_, l) => l,
        }
    }

    /// True for an IPv4 block.
    pub fn is_v4(self) -> bool {
        matches!(self, Block::V4(..))
    }

    /// True when `ip` is in the block (never across families).
    pub fn contains(self, ip: IpAddr) -> bool {
        match (self, unmapped(ip)) {
            (Block::V4(n, l), IpAddr::V4(a)) => u32::from(a) & mask32(l) == n,
            (Block::V6(n, l), IpAddr::V6(a)) => u128::from(a) & mask128(l) == n,
            _ => false,
        }
    }

    /// True when `other` lies wholly inside this block.
    pub fn covers(self, other: Block) -> bool {
        match (self, other) {
            (Block::V4(n, l), Block::V4(m, k)) => k >= l && m & mask32(l) == n,
            (Block::V6(n, l), Block::V6(m, k)) => k >= l && m & mask128(l) == n,
            _ => false,
        }
    }

    /// The first address of the block.
    pub fn first(self) -> IpAddr {
        match self {
            Block::V4(a, _) => IpAddr::V4(a.into()),
            Block::V6(a, _) => IpAddr::V6(a.into()),
        }
    }

    /// For an IPv4 block, its first address and the address after its last
    /// (2^32 for a block that ends the address space).
    pub fn v4_span(self) -> Option<(u32, u64)> {
        match self {
            Block::V4(a, l) => Some((a, u64::from(a) + (1u64 << (32 - u32::from(l))))),
            Block::V6(..) => None,
        }
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Block::V4(a, l) => write!(f, "{}/{l}", Ipv4Addr::from(a)),
            Block::V6(a, l) => write!(f, "{}/{l}", Ipv6Addr::from(a)),
        }
    }
}

/// Values filed under address blocks; [`BlockIndex::containing`] gives every
/// block holding an address, longest first, in at most one hash look-up per
/// prefix length in use. Building and looking up cost the same however the
/// blocks nest, so an index of a hundred thousand rules answers as fast as
/// one of ten.
#[derive(Debug, Clone)]
pub(crate) struct BlockIndex<T> {
    /// Per IPv4 length in use (longest first): network → values.
    v4: Vec<(u8, HashMap<u32, Vec<T>>)>,
    /// Per IPv6 length in use (longest first).
    v6: Vec<(u8, HashMap<u128, Vec<T>>)>,
    len: usize,
}

impl<T> Default for BlockIndex<T> {
    fn default() -> Self {
        BlockIndex {
            v4: Vec::new(),
            v6: Vec::new(),
            len: 0,
        }
    }
}

fn slot<K, T>(levels: &mut Vec<(u8, HashMap<K, Vec<T>>)>, len: u8) -> &mut HashMap<K, Vec<T>> {
    let i = match levels.binary_search_by(|(l, _)| len.cmp(l)) {
        Ok(i) => i,
        Err(i) => {
            levels.insert(i, (len, HashMap::new()));
            i
        }
    };
    &mut levels[i].1
}

impl<T> BlockIndex<T> {
    /// Files `value` under `block`.
    pub(crate) fn insert(&mut self, block: Block, value: T) {
        match block {
            Block::V4(a, l) => slot(&mut self.v4, l).entry(a).or_default().push(value),
            Block::V6(a, l) => slot(&mut self.v6, l).entry(a).or_default().push(value),
        }
        self.len += 1;
    }

    /// How many values are filed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Every block holding `ip` with its values, longest block first.
    pub(crate) fn containing(&self, ip: IpAddr) -> Vec<(Block, &T)> {
        let mut out = Vec::new();
        match unmapped(ip) {
            IpAddr::V4(a) => {
                let a = u32::from(a);
                for (l, map) in &self.v4 {
                    let n = a & mask32(*l);
                    if let Some(vs) = map.get(&n) {
                        out.extend(vs.iter().map(|v| (Block::V4(n, *l), v)));
                    }
                }
            }
            IpAddr::V6(a) => {
                let a = u128::from(a);
                for (l, map) in &self.v6 {
                    let n = a & mask128(*l);
                    if let Some(vs) = map.get(&n) {
                        out.extend(vs.iter().map(|v| (Block::V6(n, *l), v)));
                    }
                }
            }
        }
        out
    }

    /// Every block filed, in no particular order.
    pub(crate) fn blocks(&self) -> impl Iterator<Item = Block> + '_ {
        let v4 = self
            .v4
            .iter()
            .flat_map(|(l, m)| m.keys().map(move |a| Block::V4(*a, *l)));
        let v6 = self
            .v6
            .iter()
            .flat_map(|(l, m)| m.keys().map(move |a| Block::V6(*a, *l)));
        v4.chain(v6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parsing_strict_and_lenient() {
        assert_eq!(Block::parse("10.1.2.3/8"), Ok(Block::V4(0x0a00_0000, 8)));
        assert_eq!(Block::parse("0.0.0.0/0"), Ok(Block::V4(0, 0)));
        assert!(matches!(
            Block::parse("2603:1030::/32"),
            Ok(Block::V6(_, 32))
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
            assert!(Block::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Block::parse("2603:1030:213::/49").unwrap().to_string(),
            "2603:1030:213::/49"
        );
        assert_eq!(
            Block::parse_lenient(" 10.0.0.5 "),
            Some(Block::V4(0x0a00_0005, 32))
        );
        assert_eq!(Block::parse_lenient("Storage.EastUS"), None);
        assert_eq!(Block::parse_lenient("*"), None);
    }

    #[test]
    fn a_block_holds_only_its_own_family() {
        let any4 = Block::parse("0.0.0.0/0").unwrap();
        let any6 = Block::parse("::/0").unwrap();
        assert!(any4.contains(ip("20.38.1.1")));
        assert!(!any4.contains(ip("2603:1030::1")));
        assert!(any6.contains(ip("2603:1030::1")));
        assert!(!any6.contains(ip("20.38.1.1")));
        // An IPv4-mapped address is the IPv4 address it carries.
        assert!(!any6.contains(ip("::ffff:20.38.1.1")));
        assert!(any4.contains(ip("::ffff:20.38.1.1")));
        let b = Block::parse("10.0.5.16/28").unwrap();
        assert!(b.contains(ip("10.0.5.31")));
        assert!(!b.contains(ip("10.0.5.32")));
        assert!(Block::parse("10.0.0.0/8").unwrap().covers(b));
        assert!(!b.covers(Block::parse("10.0.0.0/8").unwrap()));
        assert_eq!(
            Block::parse("255.255.255.255/32").unwrap().v4_span(),
            Some((u32::MAX, 1u64 << 32))
        );
    }

    #[test]
    fn the_index_finds_every_holder_longest_first() {
        let mut idx = BlockIndex::default();
        for (i, t) in [
            "10.0.0.0/8",
            "10.1.0.0/16",
            "10.1.2.0/24",
            "11.0.0.0/8",
            "::/0",
        ]
        .iter()
        .enumerate()
        {
            idx.insert(Block::parse(t).unwrap(), i);
        }
        idx.insert(Block::parse("10.1.0.0/16").unwrap(), 9);
        let got: Vec<usize> = idx
            .containing(ip("10.1.2.3"))
            .into_iter()
            .map(|(_, v)| *v)
            .collect();
        assert_eq!(got, [2, 1, 9, 0]);
        assert!(idx.containing(ip("12.0.0.1")).is_empty());
        assert_eq!(idx.containing(ip("2001:db8::1")).len(), 1);
        assert_eq!(idx.len(), 6);
        assert_eq!(idx.blocks().count(), 5);
    }
}
