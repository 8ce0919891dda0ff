//! Azure service tags: which Azure service (and region) an IP address belongs to.
//!
//! Microsoft publishes the "Azure IP Ranges and Service Tags – Public Cloud" file every
//! week (`ServiceTags_Public_YYYYMMDD.json`); `az network list-service-tags --location X`
//! prints the same `values` layout (with `changeNumber` as a string, and a few more
//! top-level keys). [`TagDb::from_json`] reads either; it keeps every tag of the file.
//!
//! asrscope ships a compact text snapshot of the tags Site Recovery's network requirements
//! use ([`SNAPSHOT_FAMILIES`]), derived from such a file by [`TagDb::to_snapshot`] and
//! compiled into the binary ([`TagDb::embedded`]). The file is `data/servicetags.txt`.
//!
//! # Snapshot format (version 1)
//!
//! Plain UTF-8 text, one item per line, so that a new week's file gives a readable diff:
//!
//! ```text
//! asrscope-servicetags 1
//! # any line starting with '#' is a comment; blank lines are ignored
//! changeNumber=375
//! cloud=Public
//! published=2025-11-06
//! source=ServiceTags_Public.json
//! tags=288
//! prefixes=33568
//! tag Storage.EastUS eastus AzureStorage 42
//! 13.68.120.64/28
//! 2603:1030:213::/49
//! tag AzureCloud - - 93
//! ...
//! ```
//!
//! * The first line is the magic `asrscope-servicetags 1` (format version 1).
//! * Then the header, `key=value` lines: `changeNumber`, `cloud` and `source` are required,
//!   `published` (`YYYY-MM-DD`) is optional, `tags` and `prefixes` (counts) are optional
//!   and, when present, checked against the body (a truncated file is refused).
//! * Then per tag one line `tag <name> <region or -> <systemService or -> <changeNumber>`,
//!   followed by its address prefixes, one per line, in CIDR notation, in the order of the
//!   source file. Host bits are cleared on reading (`10.0.0.1/8` is `10.0.0.0/8`).
//!
//! Lines may end in `\r\n`. Anything else (an unknown header key, a prefix before the
//! first tag, a line that is neither a tag nor a prefix, a duplicate tag name) is an error.
//!
//! # Regenerating `data/servicetags.txt`
//!
//! `asrscope tags import FILE` writes `TagDb::from_json(FILE)?.to_snapshot(SNAPSHOT_FAMILIES)`.
//! During development the ignored test `regenerate_snapshot` in `tests/tags.rs` does the
//! same from `../shared/servicetags/ServiceTags_Public.json`:
//!
//! ```text
//! ASRSCOPE_REGENERATE=1 cargo test --test tags regenerate_snapshot -- --ignored
//! ```
//!
//! # Lookup
//!
//! [`TagDb::lookup`] returns every tag with a prefix that contains the address. The
//! prefixes of each address family are cut at build time into disjoint address ranges,
//! each mapped to its precomputed, ordered list of tags; a lookup is one binary search
//! (about 20 comparisons) and the copy of that list. IPv4-mapped IPv6 addresses
//! (`::ffff:a.b.c.d`) are looked up as the IPv4 address they carry.

mod error;
mod import;
mod index;
mod ranges;
mod snapshot;
mod source;

pub use error::TagsError;
pub use source::{CloudTags, NoTags, OtherCloud, TagSource, for_cloud};

use crate::azure::address::Block;
use crate::dates::Date;
use crate::model::SnapshotMeta;
use ranges::RangeIndex;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::OnceLock;

/// The families the shipped snapshot keeps: every tag Site Recovery's network requirements
/// use, with all regional variants, and AzureCloud (the Azure boundary).
pub const SNAPSHOT_FAMILIES: &[&str] = &[
    "AzureActiveDirectory",
    "AzureSiteRecovery",
    "AzureKeyVault",
    "GuestAndHybridManagement",
    "Storage",
    "EventHub",
    "AzureCloud",
];

/// The snapshot compiled into the binary.
const EMBEDDED_SNAPSHOT: &str = include_str!("../../../data/servicetags.txt");

/// One service tag.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TagInfo {
    /// Tag name as published, e.g. `Storage.EastUS` or `AzureCloud`.
    pub name: String,
    /// Lowercase region id, e.g. `eastus`; `None` for a global tag.
    pub region: Option<String>,
    /// The `systemService` field (e.g. `AzureStorage`); `None` when empty.
    pub system_service: Option<String>,
    /// The tag's own change number.
    pub change_number: u64,
    /// Number of IPv4 prefixes listed for the tag.
    pub v4_prefixes: usize,
    /// Number of IPv6 prefixes listed for the tag.
    pub v6_prefixes: usize,
}

/// A database of service tags with an address index.
#[derive(Clone)]
pub struct TagDb {
    meta: SnapshotMeta,
    tags: Vec<TagInfo>,
    /// Per tag, its prefixes in source order.
    prefixes: Vec<Vec<Block>>,
    /// Lowercase name → tag index.
    by_name: HashMap<String, u32>,
    /// Interned, ordered tag lists; `sets[0]` is empty.
    sets: Vec<Box<[u32]>>,
    v4: RangeIndex<u32>,
    v6: RangeIndex<u128>,
}

impl std::fmt::Debug for TagDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TagDb")
            .field("meta", &self.meta)
            .field("v4_ranges", &self.v4.ranges())
            .field("v6_ranges", &self.v6.ranges())
            .field("tag_sets", &self.sets.len())
            .finish()
    }
}

/// A non-empty string of ASCII digits as a number (no sign, no spaces), if it fits.
fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// Whether a date can be a publication date of service tags: the years 2000 to 2999. This
/// keeps most other runs of eight digits in a file name (`19991231`, `00010101`) from
/// passing for a date.
fn is_publication_date(date: &Date) -> bool {
    (2000..=2999).contains(&date.year())
}

/// A name or field usable in a snapshot line: non-empty, no whitespace.
fn is_token(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(char::is_whitespace)
}

impl TagDb {
    /// The snapshot compiled into the binary (`data/servicetags.txt`), parsed on first use.
    ///
    /// # Panics
    ///
    /// If the compiled-in snapshot is malformed, which the test suite rules out.
    pub fn embedded() -> &'static TagDb {
        static DB: OnceLock<TagDb> = OnceLock::new();
        DB.get_or_init(|| {
            TagDb::from_snapshot(EMBEDDED_SNAPSHOT)
                .unwrap_or_else(|e| panic!("the embedded data/servicetags.txt is damaged: {e}"))
        })
    }

    /// What the database was built from.
    pub fn meta(&self) -> &SnapshotMeta {
        &self.meta
    }

    /// Every tag with a prefix that contains `ip`, each once, ordered by the length of its
    /// longest prefix containing `ip` (longest first); ties put regional tags before
    /// global ones, then go by name (byte order). Empty when no tag contains `ip`.
    pub fn lookup(&self, ip: IpAddr) -> Vec<&TagInfo> {
        let set = match ip {
            IpAddr::V4(a) => self.v4.find(u32::from(a)),
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => self.v4.find(u32::from(v4)),
                None => self.v6.find(u128::from(a)),
            },
        };
        self.sets[set as usize]
            .iter()
            .map(|&t| &self.tags[t as usize])
            .collect()
    }

    /// The tag of that name (ASCII case-insensitive).
    pub fn tag(&self, name: &str) -> Option<&TagInfo> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| &self.tags[i as usize])
    }

    /// The IPv4 prefixes of a tag (ASCII case-insensitive), as `(network address,
    /// length)` in source order; empty for a tag the data does not hold.
    pub fn v4_prefixes(&self, name: &str) -> Vec<(std::net::Ipv4Addr, u8)> {
        let Some(&i) = self.by_name.get(&name.to_ascii_lowercase()) else {
            return Vec::new();
        };
        self.prefixes[i as usize]
            .iter()
            .filter_map(|p| match *p {
                Block::V4(a, l) => Some((std::net::Ipv4Addr::from(a), l)),
                Block::V6(..) => None,
            })
            .collect()
    }

    /// Every prefix of a tag (ASCII case-insensitive), both families, in
    /// source order; empty for a tag the data does not hold.
    pub fn prefixes_of(&self, name: &str) -> Vec<Block> {
        self.by_name
            .get(&name.to_ascii_lowercase())
            .map(|&i| self.prefixes[i as usize].clone())
            .unwrap_or_default()
    }

    /// All tags, in the order of the source file.
    pub fn tags(&self) -> impl Iterator<Item = &TagInfo> {
        self.tags.iter()
    }

    /// One `(region id, tag suffix)` pair per region, e.g. `("eastus", "EastUS")`, from the
    /// tags named `Family.Suffix` that have a region; sorted by region id.
    ///
    /// When tags disagree on the suffix of a region (`Storage.EastUS` and
    /// `AzureCloud.eastus`), a suffix with an upper-case letter wins, then the most used
    /// one, then the first in byte order.
    pub fn regions(&self) -> Vec<(String, String)> {
        let mut seen: HashMap<&str, HashMap<&str, usize>> = HashMap::new();
        for t in &self.tags {
            if let (Some(region), Some((_, suffix))) = (&t.region, t.name.split_once('.'))
                && !suffix.is_empty()
            {
                *seen.entry(region).or_default().entry(suffix).or_default() += 1;
            }
        }
        let mut out: Vec<(String, String)> = seen
            .into_iter()
            .filter_map(|(region, suffixes)| {
                let best = suffixes.into_iter().max_by(|(a, na), (b, nb)| {
                    let upper = |s: &str| s.bytes().any(|c| c.is_ascii_uppercase());
                    upper(a).cmp(&upper(b)).then(na.cmp(nb)).then(b.cmp(a))
                })?;
                Some((region.to_string(), best.0.to_string()))
            })
            .collect();
        out.sort();
        out
    }
}
