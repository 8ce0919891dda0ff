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

use crate::model::SnapshotMeta;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
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

/// First line of every snapshot.
const MAGIC: &str = "asrscope-servicetags 1";

/// What users are told to pass when a file is not a service tags file.
const PASS_HINT: &str = "pass Microsoft's ServiceTags_Public_*.json or the output of `az network list-service-tags --location <region>`";

/// The snapshot compiled into the binary.
const EMBEDDED_SNAPSHOT: &str = include_str!("../../data/servicetags.txt");

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

/// Why a service tags file or snapshot could not be read.
#[derive(thiserror::Error, Debug)]
pub enum TagsError {
    /// The input is not JSON at all.
    #[error("{file}: not valid JSON ({detail}); {PASS_HINT}")]
    Json {
        /// File name as given.
        file: String,
        /// serde_json's message, with line and column.
        detail: String,
    },
    /// The input is JSON but not laid out like a service tags file.
    #[error("{file}: not a service tags file: {problem}; {PASS_HINT}")]
    NotServiceTags {
        /// File name as given.
        file: String,
        /// What is missing or of the wrong type.
        problem: String,
    },
    /// An address prefix does not parse.
    #[error(
        "{file}: tag {tag}: address prefix \"{prefix}\" does not parse ({problem}); the file is damaged, download it again"
    )]
    BadPrefix {
        /// File name as given.
        file: String,
        /// The tag listing the prefix.
        tag: String,
        /// The prefix as written.
        prefix: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A `changeNumber` is neither an integer nor a numeric string.
    #[error(
        "{file}: {place}: changeNumber {value} is neither a non-negative integer nor a numeric string; the file is damaged, download it again"
    )]
    BadChangeNumber {
        /// File name as given.
        file: String,
        /// `top level` or `tag NAME`.
        place: String,
        /// The value, as JSON.
        value: String,
    },
    /// A tag cannot be stored (bad or duplicate name, whitespace in a field).
    #[error("{file}: tag {tag}: {problem}; the file is damaged, download it again")]
    BadTag {
        /// File name as given.
        file: String,
        /// The tag name, as written.
        tag: String,
        /// What is wrong.
        problem: String,
    },
    /// The publication date given is not a date.
    #[error(
        "{file}: published date \"{value}\" is not a date; give it as YYYY-MM-DD, e.g. 2025-11-06"
    )]
    BadPublished {
        /// File name as given.
        file: String,
        /// The value given.
        value: String,
    },
    /// A snapshot line is malformed.
    #[error(
        "service tags snapshot, line {line}: {problem}; regenerate the snapshot with `asrscope tags import <ServiceTags_Public_*.json>`"
    )]
    Snapshot {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
}

/// One parsed address prefix, host bits cleared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prefix {
    V4(u32, u8),
    V6(u128, u8),
}

impl Prefix {
    /// Parses `addr/len`; clears host bits.
    fn parse(text: &str) -> Result<Prefix, String> {
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

    fn is_v4(self) -> bool {
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

fn mask32(len: u8) -> u32 {
    if len == 0 { 0 } else { u32::MAX << (32 - len) }
}

fn mask128(len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        u128::MAX << (128 - len)
    }
}

/// Disjoint address ranges of one family: `starts[i]..starts[i+1]` maps to `sets[i]`.
#[derive(Clone, Debug, Default)]
struct RangeIndex<T> {
    /// Range starts, ascending; the first is 0.
    starts: Vec<T>,
    /// Per range, an index into `TagDb::sets`.
    sets: Vec<u32>,
}

impl<T: Copy + Ord> RangeIndex<T> {
    fn find(&self, addr: T) -> u32 {
        let i = self.starts.partition_point(|&s| s <= addr);
        // starts[0] is 0, so i >= 1 whenever the index is non-empty.
        i.checked_sub(1).map_or(0, |i| self.sets[i])
    }
}

/// A database of service tags with an address index.
#[derive(Clone)]
pub struct TagDb {
    meta: SnapshotMeta,
    tags: Vec<TagInfo>,
    /// Per tag, its prefixes in source order.
    prefixes: Vec<Vec<Prefix>>,
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
            .field("v4_ranges", &self.v4.starts.len())
            .field("v6_ranges", &self.v6.starts.len())
            .field("tag_sets", &self.sets.len())
            .finish()
    }
}

// ---------------------------------------------------------------------------------------
// JSON input

#[derive(serde::Deserialize)]
struct RawFile {
    #[serde(rename = "changeNumber")]
    change_number: Option<serde_json::Value>,
    cloud: Option<String>,
    values: Option<Vec<RawTag>>,
}

#[derive(serde::Deserialize)]
struct RawTag {
    name: String,
    properties: RawProps,
}

#[derive(serde::Deserialize)]
struct RawProps {
    #[serde(rename = "changeNumber")]
    change_number: Option<serde_json::Value>,
    region: Option<String>,
    #[serde(rename = "systemService")]
    system_service: Option<String>,
    #[serde(rename = "addressPrefixes")]
    address_prefixes: Option<Vec<String>>,
}

/// Reads a change number: an integer or a string of digits; `None` when it is neither.
fn change_number(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => digits(s.trim()),
        _ => None,
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

/// `YYYY-MM-DD` from `YYYY`, `MM`, `DD` digits, if they make a date.
fn make_date(y: &str, m: &str, d: &str) -> Option<String> {
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if y.len() != 4
        || m.len() != 2
        || d.len() != 2
        || !all_digits(y)
        || !all_digits(m)
        || !all_digits(d)
    {
        return None;
    }
    let (year, month, day): (u32, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(2000..=2999).contains(&year) || day == 0 || day > days {
        return None;
    }
    Some(format!("{y}-{m}-{d}"))
}

/// A `YYYY-MM-DD` or `YYYYMMDD` date, normalised to `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<String> {
    let t = text.trim();
    match t.len() {
        10 if t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-' => {
            make_date(t.get(0..4)?, t.get(5..7)?, t.get(8..10)?)
        }
        8 => make_date(t.get(0..4)?, t.get(4..6)?, t.get(6..8)?),
        _ => None,
    }
}

/// The first run of exactly eight digits in `name` that is a date (`..._20251106.json`).
fn date_in_name(name: &str) -> Option<String> {
    name.split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 8)
        .find_map(parse_date)
}

/// The file name without directories (either separator).
fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
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

    /// Reads a service tags JSON file (Microsoft's weekly download or `az network
    /// list-service-tags` output), keeping every tag.
    ///
    /// `source` is the file name as given (used in errors; its last component goes to
    /// [`SnapshotMeta::source`]). `published` (`YYYY-MM-DD` or `YYYYMMDD`) overrides the
    /// publication date; otherwise a `YYYYMMDD` in the file name gives it, else it is unknown.
    ///
    /// Rejects invalid JSON, a missing or empty `values` array, a prefix that does not
    /// parse, a `changeNumber` that is neither an integer nor a numeric string, and tag
    /// names that are empty, contain whitespace or repeat. Repeated prefixes within a tag
    /// are kept as listed.
    pub fn from_json(
        bytes: &[u8],
        source: &str,
        published: Option<&str>,
    ) -> Result<TagDb, TagsError> {
        let file = source.to_string();
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let raw: RawFile = serde_json::from_slice(bytes).map_err(|e| {
            let detail = e.to_string();
            match e.classify() {
                serde_json::error::Category::Data => TagsError::NotServiceTags {
                    file: file.clone(),
                    problem: detail,
                },
                _ => TagsError::Json {
                    file: file.clone(),
                    detail,
                },
            }
        })?;
        let values = raw.values.ok_or_else(|| TagsError::NotServiceTags {
            file: file.clone(),
            problem: "no \"values\" array".into(),
        })?;
        if values.is_empty() {
            return Err(TagsError::NotServiceTags {
                file,
                problem: "the \"values\" array is empty".into(),
            });
        }
        let top = raw.change_number.ok_or_else(|| TagsError::NotServiceTags {
            file: file.clone(),
            problem: "no top-level \"changeNumber\"".into(),
        })?;
        let top = change_number(&top).ok_or_else(|| TagsError::BadChangeNumber {
            file: file.clone(),
            place: "top level".into(),
            value: top.to_string(),
        })?;
        let published = match published {
            Some(p) => Some(parse_date(p).ok_or_else(|| TagsError::BadPublished {
                file: file.clone(),
                value: p.to_string(),
            })?),
            None => date_in_name(base_name(source)),
        };

        let mut tags = Vec::with_capacity(values.len());
        let mut prefixes = Vec::with_capacity(values.len());
        for raw_tag in values {
            let bad_tag = |problem: &str| TagsError::BadTag {
                file: file.clone(),
                tag: raw_tag.name.clone(),
                problem: problem.to_string(),
            };
            if !is_token(&raw_tag.name) {
                return Err(bad_tag("the name is empty or contains whitespace"));
            }
            let p = raw_tag.properties;
            let cn = match &p.change_number {
                None | Some(serde_json::Value::Null) => 0,
                Some(v) => change_number(v).ok_or_else(|| TagsError::BadChangeNumber {
                    file: file.clone(),
                    place: format!("tag {}", raw_tag.name),
                    value: v.to_string(),
                })?,
            };
            let region = p
                .region
                .filter(|r| !r.is_empty())
                .map(|r| r.to_ascii_lowercase());
            let system_service = p.system_service.filter(|s| !s.is_empty());
            if region.as_deref().is_some_and(|r| !is_token(r) || r == "-") {
                return Err(bad_tag("the region is \"-\" or contains whitespace"));
            }
            if system_service
                .as_deref()
                .is_some_and(|s| !is_token(s) || s == "-")
            {
                return Err(bad_tag("the systemService is \"-\" or contains whitespace"));
            }
            let list = p
                .address_prefixes
                .unwrap_or_default()
                .iter()
                .map(|text| {
                    Prefix::parse(text).map_err(|problem| TagsError::BadPrefix {
                        file: file.clone(),
                        tag: raw_tag.name.clone(),
                        prefix: text.clone(),
                        problem,
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            tags.push(TagInfo {
                name: raw_tag.name,
                region,
                system_service,
                change_number: cn,
                v4_prefixes: 0,
                v6_prefixes: 0,
            });
            prefixes.push(list);
        }
        let meta = SnapshotMeta {
            change_number: top,
            cloud: raw
                .cloud
                .filter(|c| is_token(c))
                .unwrap_or_else(|| "unknown".into()),
            published,
            // A control character would break the snapshot's one-line header.
            source: base_name(source).replace(char::is_control, "_"),
            tags: 0,
            prefixes: 0,
        };
        TagDb::build(meta, tags, prefixes).map_err(|(tag, problem)| TagsError::BadTag {
            file,
            tag,
            problem,
        })
    }

    /// Reads a snapshot written by [`TagDb::to_snapshot`] (format in the module docs).
    pub fn from_snapshot(text: &str) -> Result<TagDb, TagsError> {
        let err = |line: usize, problem: String| TagsError::Snapshot { line, problem };
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end()));
        match lines.next() {
            Some((_, MAGIC)) => {}
            Some((n, l)) if l.starts_with("asrscope-servicetags ") => {
                return Err(err(
                    n,
                    format!("unsupported format \"{l}\"; this asrscope reads \"{MAGIC}\""),
                ));
            }
            Some((n, _)) => {
                return Err(err(
                    n,
                    format!("not a service tags snapshot (the first line is not \"{MAGIC}\")"),
                ));
            }
            None => return Err(err(1, "empty snapshot".into())),
        }

        let mut change: Option<u64> = None;
        let mut cloud: Option<String> = None;
        let mut published: Option<String> = None;
        let mut source: Option<String> = None;
        let mut count_tags: Option<usize> = None;
        let mut count_prefixes: Option<usize> = None;
        let mut tags: Vec<TagInfo> = Vec::new();
        let mut prefixes: Vec<Vec<Prefix>> = Vec::new();
        let mut last_line = 1;

        for (n, line) in lines {
            last_line = n;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix("tag ") {
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let [name, region, service, cn] = fields[..] else {
                    return Err(err(
                        n,
                        format!(
                            "a tag line needs 4 fields after \"tag\" (name, region, systemService, changeNumber), found {}",
                            fields.len()
                        ),
                    ));
                };
                let cn = digits(cn)
                    .ok_or_else(|| err(n, format!("change number \"{cn}\" is not a number")))?;
                let opt = |s: &str| (s != "-").then(|| s.to_string());
                tags.push(TagInfo {
                    name: name.to_string(),
                    region: opt(region).map(|r| r.to_ascii_lowercase()),
                    system_service: opt(service),
                    change_number: cn,
                    v4_prefixes: 0,
                    v6_prefixes: 0,
                });
                prefixes.push(Vec::new());
                continue;
            }
            if tags.is_empty() {
                if line.starts_with("tag") && !line.contains('=') {
                    return Err(err(n, format!("malformed tag line \"{line}\"")));
                }
                let Some((key, value)) = line.split_once('=') else {
                    return Err(err(
                        n,
                        format!("expected a key=value header line or a tag line, found \"{line}\""),
                    ));
                };
                let dup = |seen: bool| {
                    if seen {
                        Err(err(n, format!("header key \"{key}\" repeated")))
                    } else {
                        Ok(())
                    }
                };
                let count = |v: &str| {
                    digits(v).ok_or_else(|| err(n, format!("{key} \"{v}\" is not a number")))
                };
                match key {
                    "changeNumber" => {
                        dup(change.is_some())?;
                        change = Some(digits(value).ok_or_else(|| {
                            err(n, format!("changeNumber \"{value}\" is not a number"))
                        })?);
                    }
                    "cloud" => {
                        dup(cloud.is_some())?;
                        if !is_token(value) {
                            return Err(err(n, "empty or spaced cloud name".into()));
                        }
                        cloud = Some(value.to_string());
                    }
                    "published" => {
                        dup(published.is_some())?;
                        published =
                            Some(parse_date(value).filter(|_| value.len() == 10).ok_or_else(
                                || {
                                    err(
                                        n,
                                        format!("published \"{value}\" is not a YYYY-MM-DD date"),
                                    )
                                },
                            )?);
                    }
                    "source" => {
                        dup(source.is_some())?;
                        if value.trim().is_empty() {
                            return Err(err(n, "empty source".into()));
                        }
                        source = Some(value.to_string());
                    }
                    "tags" => {
                        dup(count_tags.is_some())?;
                        count_tags = Some(count(value)?);
                    }
                    "prefixes" => {
                        dup(count_prefixes.is_some())?;
                        count_prefixes = Some(count(value)?);
                    }
                    _ => return Err(err(n, format!("unknown header key \"{key}\""))),
                }
                continue;
            }
            let prefix = Prefix::parse(line.trim()).map_err(|p| {
                err(
                    n,
                    format!("expected a tag line or an address prefix, found \"{line}\" ({p})"),
                )
            })?;
            if let Some(list) = prefixes.last_mut() {
                list.push(prefix);
            }
        }

        let missing = |key: &str| err(last_line, format!("the header has no \"{key}=\" line"));
        let meta = SnapshotMeta {
            change_number: change.ok_or_else(|| missing("changeNumber"))?,
            cloud: cloud.ok_or_else(|| missing("cloud"))?,
            published,
            source: source.ok_or_else(|| missing("source"))?,
            tags: 0,
            prefixes: 0,
        };
        let db = TagDb::build(meta, tags, prefixes)
            .map_err(|(tag, problem)| err(last_line, format!("tag {tag}: {problem}")))?;
        if let Some(t) = count_tags.filter(|&t| t != db.meta.tags) {
            return Err(err(
                last_line,
                format!(
                    "the header says tags={t} but the file lists {} (truncated?)",
                    db.meta.tags
                ),
            ));
        }
        if let Some(p) = count_prefixes.filter(|&p| p != db.meta.prefixes) {
            return Err(err(
                last_line,
                format!(
                    "the header says prefixes={p} but the file lists {} (truncated?)",
                    db.meta.prefixes
                ),
            ));
        }
        Ok(db)
    }

    /// Writes the tags of the given families as a snapshot (format in the module docs).
    ///
    /// A tag is kept when its name equals a family or starts with a family and `.`
    /// (ASCII case-insensitive): `Storage` keeps `Storage` and `Storage.EastUS`.
    pub fn to_snapshot(&self, families: &[&str]) -> String {
        let keep = |name: &str| {
            families.iter().any(|f| {
                name.eq_ignore_ascii_case(f)
                    || (name.len() > f.len()
                        && name.as_bytes()[f.len()] == b'.'
                        && name.as_bytes()[..f.len()].eq_ignore_ascii_case(f.as_bytes()))
            })
        };
        let kept: Vec<usize> = (0..self.tags.len())
            .filter(|&i| keep(&self.tags[i].name))
            .collect();
        let n_prefixes: usize = kept.iter().map(|&i| self.prefixes[i].len()).sum();
        let mut out = String::with_capacity(64 + kept.len() * 64 + n_prefixes * 20);
        let m = &self.meta;
        let _ = writeln!(out, "{MAGIC}");
        let _ = writeln!(
            out,
            "# Azure service tags, derived by asrscope; update with `asrscope tags import FILE`"
        );
        let _ = writeln!(out, "changeNumber={}", m.change_number);
        let _ = writeln!(out, "cloud={}", m.cloud);
        if let Some(p) = &m.published {
            let _ = writeln!(out, "published={p}");
        }
        let _ = writeln!(out, "source={}", m.source);
        let _ = writeln!(out, "tags={}", kept.len());
        let _ = writeln!(out, "prefixes={n_prefixes}");
        for i in kept {
            let t = &self.tags[i];
            let _ = writeln!(
                out,
                "tag {} {} {} {}",
                t.name,
                t.region.as_deref().unwrap_or("-"),
                t.system_service.as_deref().unwrap_or("-"),
                t.change_number
            );
            for p in &self.prefixes[i] {
                let _ = writeln!(out, "{p}");
            }
        }
        out
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

    /// Builds the name map and the address index; fills the counts. On a bad tag,
    /// returns its name and the problem.
    fn build(
        mut meta: SnapshotMeta,
        mut tags: Vec<TagInfo>,
        prefixes: Vec<Vec<Prefix>>,
    ) -> Result<TagDb, (String, String)> {
        let mut by_name = HashMap::with_capacity(tags.len());
        for (i, t) in tags.iter_mut().enumerate() {
            if !is_token(&t.name) {
                return Err((
                    t.name.clone(),
                    "the name is empty or contains whitespace".into(),
                ));
            }
            if by_name
                .insert(t.name.to_ascii_lowercase(), i as u32)
                .is_some()
            {
                return Err((t.name.clone(), "the name appears twice".into()));
            }
            t.v4_prefixes = prefixes[i].iter().filter(|p| p.is_v4()).count();
            t.v6_prefixes = prefixes[i].len() - t.v4_prefixes;
        }
        meta.tags = tags.len();
        meta.prefixes = prefixes.iter().map(Vec::len).sum();

        // Tie-break keys: regional before global, then name.
        let mut by_order: Vec<u32> = (0..tags.len() as u32).collect();
        by_order.sort_by(|&a, &b| {
            let (ta, tb) = (&tags[a as usize], &tags[b as usize]);
            tb.region
                .is_some()
                .cmp(&ta.region.is_some())
                .then_with(|| ta.name.cmp(&tb.name))
        });
        let mut rank = vec![0u32; tags.len()];
        for (r, &t) in by_order.iter().enumerate() {
            rank[t as usize] = r as u32;
        }

        let mut v4_items = Vec::new();
        let mut v6_items = Vec::new();
        for (t, list) in prefixes.iter().enumerate() {
            for p in list {
                match *p {
                    Prefix::V4(a, l) => v4_items.push(Item {
                        start: u128::from(a),
                        end: u128::from(a | !mask32(l)),
                        tag: t as u32,
                        len: l,
                    }),
                    Prefix::V6(a, l) => v6_items.push(Item {
                        start: a,
                        end: a | !mask128(l),
                        tag: t as u32,
                        len: l,
                    }),
                }
            }
        }
        let mut interner = Interner::default();
        let (s4, sets4) = sweep(v4_items, u128::from(u32::MAX), &rank, &mut interner);
        let (s6, sets6) = sweep(v6_items, u128::MAX, &rank, &mut interner);
        let v4 = RangeIndex {
            // Every start is at most u32::MAX: ends past it are not turned into starts.
            starts: s4.into_iter().map(|s| s as u32).collect(),
            sets: sets4,
        };
        let v6 = RangeIndex {
            starts: s6,
            sets: sets6,
        };
        Ok(TagDb {
            meta,
            tags,
            prefixes,
            by_name,
            sets: interner.sets,
            v4,
            v6,
        })
    }
}

/// One prefix as an inclusive address range.
struct Item {
    start: u128,
    end: u128,
    tag: u32,
    len: u8,
}

/// Interned ordered tag lists; list 0 is the empty one.
struct Interner {
    sets: Vec<Box<[u32]>>,
    ids: HashMap<Box<[u32]>, u32>,
}

impl Default for Interner {
    fn default() -> Self {
        let empty: Box<[u32]> = Box::new([]);
        Interner {
            sets: vec![empty.clone()],
            ids: HashMap::from([(empty, 0)]),
        }
    }
}

impl Interner {
    fn intern(&mut self, list: &[u32]) -> u32 {
        if let Some(&id) = self.ids.get(list) {
            return id;
        }
        let id = self.sets.len() as u32;
        self.sets.push(list.into());
        self.ids.insert(list.into(), id);
        id
    }
}

/// Cuts one family's address space (`0..=max`) into disjoint ranges, each with its
/// ordered tag list: returns the range starts (the first is 0) and their list ids.
fn sweep(
    mut items: Vec<Item>,
    max: u128,
    rank: &[u32],
    interner: &mut Interner,
) -> (Vec<u128>, Vec<u32>) {
    items.sort_unstable_by_key(|i| i.start);
    let mut bounds: Vec<u128> = Vec::with_capacity(items.len() * 2 + 1);
    bounds.push(0);
    for i in &items {
        bounds.push(i.start);
        if i.end < max {
            bounds.push(i.end + 1);
        }
    }
    bounds.sort_unstable();
    bounds.dedup();

    let mut starts = Vec::new();
    let mut sets: Vec<u32> = Vec::new();
    // Prefixes containing the current range: (end, tag, len).
    let mut active: Vec<(u128, u32, u8)> = Vec::new();
    let mut matches: Vec<(u32, u8)> = Vec::new();
    let mut list: Vec<u32> = Vec::new();
    let mut next = 0;
    for b in bounds {
        active.retain(|a| a.0 >= b);
        while let Some(i) = items.get(next).filter(|i| i.start == b) {
            active.push((i.end, i.tag, i.len));
            next += 1;
        }
        // Longest matching prefix per tag.
        matches.clear();
        matches.extend(active.iter().map(|a| (a.1, a.2)));
        matches.sort_unstable_by(|x, y| x.0.cmp(&y.0).then(y.1.cmp(&x.1)));
        matches.dedup_by_key(|m| m.0);
        matches.sort_unstable_by(|x, y| {
            y.1.cmp(&x.1)
                .then(rank[x.0 as usize].cmp(&rank[y.0 as usize]))
        });
        list.clear();
        list.extend(matches.iter().map(|m| m.0));
        let id = interner.intern(&list);
        if sets.last() != Some(&id) {
            starts.push(b);
            sets.push(id);
        }
    }
    (starts, sets)
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

    #[test]
    fn dates() {
        assert_eq!(
            date_in_name("ServiceTags_Public_20251106.json").as_deref(),
            Some("2025-11-06")
        );
        assert_eq!(date_in_name("ServiceTags_Public.json"), None);
        assert_eq!(date_in_name("x_20251306.json"), None);
        assert_eq!(date_in_name("x_123456789.json"), None);
        assert_eq!(parse_date("2024-02-29").as_deref(), Some("2024-02-29"));
        assert_eq!(parse_date("2025-02-29"), None);
        assert_eq!(
            base_name("a/b\\c/ServiceTags_Public.json"),
            "ServiceTags_Public.json"
        );
    }

    #[test]
    fn nested_and_adjacent_ranges() {
        let json = br#"{"changeNumber": 1, "cloud": "Public", "values": [
            {"name": "A", "properties": {"changeNumber": 1, "region": "", "addressPrefixes": ["10.0.0.0/8", "255.255.255.255/32", "::/0"]}},
            {"name": "A.x", "properties": {"changeNumber": 1, "region": "x", "addressPrefixes": ["10.1.0.0/16", "10.1.0.0/16"]}},
            {"name": "B", "properties": {"changeNumber": 1, "region": "", "addressPrefixes": ["10.1.0.0/16", "11.0.0.0/8"]}}]}"#;
        let db = TagDb::from_json(json, "t.json", None).unwrap();
        let names = |ip: &str| {
            db.lookup(ip.parse().unwrap())
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(names("10.1.2.3"), ["A.x", "B", "A"]);
        assert_eq!(names("10.2.0.0"), ["A"]);
        assert_eq!(names("9.255.255.255"), Vec::<&str>::new());
        assert_eq!(names("11.255.255.255"), ["B"]);
        assert_eq!(names("12.0.0.0"), Vec::<&str>::new());
        assert_eq!(names("255.255.255.255"), ["A"]);
        assert_eq!(names("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), ["A"]);
        assert_eq!(names("::ffff:10.1.0.1"), ["A.x", "B", "A"]);
    }
}
