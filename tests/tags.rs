//! Azure service tags: JSON and snapshot parsing, the shipped snapshot, and the lookup
//! index checked against a plain scan of the JSON (parsed here independently).
//!
//! The full-file tests use Microsoft's file at `../shared/servicetags/ServiceTags_Public.json`
//! when it is present, and are skipped when it is not (a failure with `ASRSCOPE_REQUIRE_ALL=1`).

mod common;

use asrscope::azure::tags::{SNAPSHOT_FAMILIES, TagDb, TagsError};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

/// Microsoft's file, below `../shared`.
const SHARED_REL: &str = "servicetags/ServiceTags_Public.json";
const SNAPSHOT_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/servicetags.txt");

// ---------------------------------------------------------------------------------------
// Shared data (parsed once per test binary)

fn shared_bytes() -> Option<&'static [u8]> {
    static BYTES: OnceLock<Option<Vec<u8>>> = OnceLock::new();
    BYTES
        .get_or_init(|| common::shared(SHARED_REL).and_then(|p| std::fs::read(p).ok()))
        .as_deref()
}

fn full_db() -> Option<&'static TagDb> {
    static DB: OnceLock<Option<TagDb>> = OnceLock::new();
    DB.get_or_init(|| {
        shared_bytes().map(|b| {
            TagDb::from_json(b, "ServiceTags_Public.json", Some("2025-11-06"))
                .expect("the shared service tags file parses")
        })
    })
    .as_ref()
}

fn reference() -> Option<&'static Reference> {
    static REF: OnceLock<Option<Reference>> = OnceLock::new();
    REF.get_or_init(|| shared_bytes().map(Reference::from_json))
        .as_ref()
}

/// Skips (or, with `ASRSCOPE_REQUIRE_ALL=1`, fails) a test that needs Microsoft's file.
fn skipped() {
    common::skip(&common::no_shared(SHARED_REL));
}

// ---------------------------------------------------------------------------------------
// The reference: the JSON parsed with serde_json, containment by u128 masks.

/// An address in a 128-bit space: IPv4 as (false, u32 value), IPv6 as (true, value).
type Addr = (bool, u128);

fn addr_of(ip: IpAddr) -> Addr {
    match ip {
        IpAddr::V4(a) => (false, u128::from(u32::from(a))),
        IpAddr::V6(a) => (true, u128::from(a)),
    }
}

fn ip_of((v6, a): Addr) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(a))
    } else {
        IpAddr::V4(Ipv4Addr::from(a as u32))
    }
}

fn bits(v6: bool) -> u32 {
    if v6 { 128 } else { 32 }
}

/// Mask of the top `len` bits of a `bits`-bit number, as u128.
fn mask(v6: bool, len: u8) -> u128 {
    let b = bits(v6);
    let all = if v6 { u128::MAX } else { u128::from(u32::MAX) };
    if len == 0 {
        0
    } else {
        all & !all.checked_shr(u32::from(len).min(b)).unwrap_or(0)
    }
}

struct RefTag {
    name: String,
    regional: bool,
}

struct RefPrefix {
    v6: bool,
    net: u128,
    len: u8,
    tag: usize,
}

struct Reference {
    tags: Vec<RefTag>,
    prefixes: Vec<RefPrefix>,
    /// Per family, the shortest length and the prefixes grouped by their top
    /// `shortest` bits: a scan of one group sees every prefix that can contain an address.
    buckets: [(u8, HashMap<u128, Vec<usize>>); 2],
}

impl Reference {
    fn from_json(bytes: &[u8]) -> Reference {
        let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        let mut tags = Vec::new();
        let mut prefixes = Vec::new();
        for t in v["values"].as_array().unwrap() {
            let idx = tags.len();
            tags.push(RefTag {
                name: t["name"].as_str().unwrap().to_string(),
                regional: !t["properties"]["region"].as_str().unwrap_or("").is_empty(),
            });
            for p in t["properties"]["addressPrefixes"].as_array().unwrap() {
                let (a, l) = p.as_str().unwrap().split_once('/').unwrap();
                let ip: IpAddr = a.parse().unwrap();
                let (v6, net) = addr_of(ip);
                let len: u8 = l.parse().unwrap();
                assert_eq!(net & mask(v6, len), net, "{p}: host bits set");
                prefixes.push(RefPrefix {
                    v6,
                    net,
                    len,
                    tag: idx,
                });
            }
        }
        Reference::new(tags, prefixes)
    }

    fn new(tags: Vec<RefTag>, prefixes: Vec<RefPrefix>) -> Reference {
        let mut buckets = [(32u8, HashMap::new()), (128u8, HashMap::new())];
        for p in &prefixes {
            let b = &mut buckets[p.v6 as usize];
            b.0 = b.0.min(p.len);
        }
        for (i, p) in prefixes.iter().enumerate() {
            let (shortest, map) = &mut buckets[p.v6 as usize];
            let key = top(p.v6, p.net, *shortest);
            map.entry(key).or_insert_with(Vec::new).push(i);
        }
        Reference {
            tags,
            prefixes,
            buckets,
        }
    }

    /// The reference restricted to tags of the given families.
    fn restricted(&self, families: &[&str]) -> Reference {
        let keep = |n: &str| {
            families.iter().any(|f| {
                n.to_lowercase() == f.to_lowercase()
                    || n.to_lowercase()
                        .starts_with(&format!("{}.", f.to_lowercase()))
            })
        };
        let mut new_idx = vec![usize::MAX; self.tags.len()];
        let mut tags = Vec::new();
        for (i, t) in self.tags.iter().enumerate() {
            if keep(&t.name) {
                new_idx[i] = tags.len();
                tags.push(RefTag {
                    name: t.name.clone(),
                    regional: t.regional,
                });
            }
        }
        let prefixes = self
            .prefixes
            .iter()
            .filter(|p| new_idx[p.tag] != usize::MAX)
            .map(|p| RefPrefix {
                v6: p.v6,
                net: p.net,
                len: p.len,
                tag: new_idx[p.tag],
            })
            .collect();
        Reference::new(tags, prefixes)
    }

    /// Tag names containing the address, in the documented order: longest matching
    /// prefix first, then regional before global, then name.
    fn ordered(&self, found: HashMap<usize, u8>) -> Vec<String> {
        let mut v: Vec<(usize, u8)> = found.into_iter().collect();
        v.sort_by(|a, b| {
            let (ta, tb) = (&self.tags[a.0], &self.tags[b.0]);
            b.1.cmp(&a.1)
                .then(tb.regional.cmp(&ta.regional))
                .then(ta.name.cmp(&tb.name))
        });
        v.into_iter()
            .map(|(t, _)| self.tags[t].name.clone())
            .collect()
    }

    fn contains(p: &RefPrefix, (v6, a): Addr) -> bool {
        p.v6 == v6 && a & mask(v6, p.len) == p.net
    }

    fn add(found: &mut HashMap<usize, u8>, p: &RefPrefix) {
        let e = found.entry(p.tag).or_insert(p.len);
        *e = (*e).max(p.len);
    }

    /// Scan of the prefixes in the address's group.
    fn scan(&self, addr: Addr) -> Vec<String> {
        let (shortest, map) = &self.buckets[addr.0 as usize];
        let mut found = HashMap::new();
        for &i in map
            .get(&top(addr.0, addr.1, *shortest))
            .into_iter()
            .flatten()
        {
            let p = &self.prefixes[i];
            if Self::contains(p, addr) {
                Self::add(&mut found, p);
            }
        }
        self.ordered(found)
    }

    /// Scan of every prefix (slow; checks the grouping).
    fn plain_scan(&self, addr: Addr) -> Vec<String> {
        let mut found = HashMap::new();
        for p in &self.prefixes {
            if Self::contains(p, addr) {
                Self::add(&mut found, p);
            }
        }
        self.ordered(found)
    }
}

fn top(v6: bool, a: u128, len: u8) -> u128 {
    a.checked_shr(bits(v6) - u32::from(len)).unwrap_or(0)
}

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn u128(&mut self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }
}

/// Pseudo-random addresses: half inside prefixes of the reference (a third of those the
/// first address, a third the last), a tenth just outside a prefix, the rest uniform.
fn addresses(r: &Reference, n: usize, seed: u64) -> Vec<Addr> {
    let mut rng = XorShift(seed);
    let v4: Vec<&RefPrefix> = r.prefixes.iter().filter(|p| !p.v6).collect();
    let v6: Vec<&RefPrefix> = r.prefixes.iter().filter(|p| p.v6).collect();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let want_v6 = (i / 10) % 2 == 1;
        let pool = if want_v6 { &v6 } else { &v4 };
        match i % 10 {
            0..=4 if !pool.is_empty() => {
                let p = pool[rng.below(pool.len())];
                let host = !mask(p.v6, p.len)
                    & if p.v6 {
                        u128::MAX
                    } else {
                        u128::from(u32::MAX)
                    };
                let a = match rng.below(3) {
                    0 => p.net,
                    1 => p.net | host,
                    _ => p.net | (rng.u128() & host),
                };
                out.push((p.v6, a));
            }
            5 if !pool.is_empty() => {
                let p = pool[rng.below(pool.len())];
                let max = if p.v6 {
                    u128::MAX
                } else {
                    u128::from(u32::MAX)
                };
                let last = p.net | (!mask(p.v6, p.len) & max);
                let a = if rng.below(2) == 0 {
                    p.net.checked_sub(1).unwrap_or(last.wrapping_add(1) & max)
                } else if last < max {
                    last + 1
                } else {
                    p.net.wrapping_sub(1) & max
                };
                out.push((p.v6, a));
            }
            _ => {
                let a = if want_v6 {
                    rng.u128()
                } else {
                    u128::from(rng.next() as u32)
                };
                out.push((want_v6, a));
            }
        }
    }
    out
}

/// Compares `db.lookup` with the reference on `n` addresses; returns how many matched a tag.
fn compare(db: &TagDb, r: &Reference, n: usize, seed: u64) -> usize {
    let mut failures = Vec::new();
    let mut hits = 0;
    for addr in addresses(r, n, seed) {
        let want = r.scan(addr);
        let got: Vec<String> = db
            .lookup(ip_of(addr))
            .iter()
            .map(|t| t.name.clone())
            .collect();
        hits += usize::from(!want.is_empty());
        if got != want && failures.len() < 10 {
            failures.push(format!("{}: index {got:?}, scan {want:?}", ip_of(addr)));
        }
    }
    assert!(
        failures.is_empty(),
        "index and scan disagree:\n{}",
        failures.join("\n")
    );
    hits
}

// ---------------------------------------------------------------------------------------
// JSON parsing

const SMALL: &str = r#"{"changeNumber": 7, "cloud": "Public", "values": [
  {"name": "Storage", "id": "Storage", "properties": {"changeNumber": 3, "region": "", "regionId": 0,
   "platform": "Azure", "systemService": "AzureStorage",
   "addressPrefixes": ["13.68.0.0/16", "13.68.0.0/16", "13.68.120.0/24", "2603:1030::/32"], "networkFeatures": ["API"]}},
  {"name": "Storage.EastUS", "id": "Storage.EastUS", "properties": {"changeNumber": 2, "region": "eastus",
   "regionId": 32, "platform": "Azure", "systemService": "AzureStorage",
   "addressPrefixes": ["13.68.120.64/28", "2603:1030:213::/49"]}},
  {"name": "StorageSyncService", "id": "StorageSyncService", "properties": {"changeNumber": 1, "region": "",
   "systemService": "", "addressPrefixes": ["13.68.120.64/28"]}},
  {"name": "AzureCloud.eastus", "id": "AzureCloud.eastus", "properties": {"changeNumber": 9, "region": "eastus",
   "systemService": "", "addressPrefixes": ["13.68.0.0/16"]}},
  {"name": "AzureCloud", "id": "AzureCloud", "properties": {"changeNumber": 9, "region": "",
   "systemService": "", "addressPrefixes": ["13.68.0.0/16", "2603:1030::/32"]}}
]}"#;

fn names(db: &TagDb, ip: &str) -> Vec<String> {
    db.lookup(ip.parse().unwrap())
        .iter()
        .map(|t| t.name.clone())
        .collect()
}

#[test]
fn bad_json_is_rejected() {
    let e = TagDb::from_json(b"{\"values\": [", "dl/tags.json", None).unwrap_err();
    assert!(matches!(e, TagsError::Json { .. }), "{e:?}");
    let msg = e.to_string();
    assert!(msg.starts_with("dl/tags.json: not valid JSON"), "{msg}");
    assert!(msg.contains("az network list-service-tags"), "{msg}");
    assert!(!msg.contains('\n'), "{msg}");
    assert!(matches!(
        TagDb::from_json(b"", "e.json", None),
        Err(TagsError::Json { .. })
    ));
}

#[test]
fn json_without_values_is_rejected() {
    let e =
        TagDb::from_json(br#"{"changeNumber": 1, "cloud": "Public"}"#, "x.json", None).unwrap_err();
    assert!(matches!(e, TagsError::NotServiceTags { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "x.json: not a service tags file: no \"values\" array; pass Microsoft's ServiceTags_Public_*.json or the output of `az network list-service-tags --location '<region>'`"
    );
    for bad in [
        r#"[1, 2]"#,
        r#"{"changeNumber": 1, "values": []}"#,
        r#"{"changeNumber": 1, "values": {"a": 1}}"#,
        r#"{"changeNumber": 1, "values": [{"name": "A"}]}"#,
        r#"{"changeNumber": 1, "values": [{"name": "A", "properties": {"addressPrefixes": "1.2.3.0/24"}}]}"#,
        r#"{"values": [{"name": "A", "properties": {"addressPrefixes": []}}]}"#,
    ] {
        let e = TagDb::from_json(bad.as_bytes(), "x.json", None).unwrap_err();
        assert!(
            matches!(e, TagsError::NotServiceTags { .. }),
            "{bad}: {e:?}"
        );
        assert!(
            e.to_string()
                .starts_with("x.json: not a service tags file: "),
            "{e}"
        );
    }
}

#[test]
fn bad_prefix_is_rejected() {
    for p in [
        "13.68.0.0/33",
        "13.68.0/16",
        "13.68.0.0",
        "2603:1030::/129",
        "zz::/8",
        "",
    ] {
        let json = SMALL.replace("13.68.120.64/28\", \"2603", &format!("{p}\", \"2603"));
        let e = TagDb::from_json(json.as_bytes(), "t.json", None).unwrap_err();
        assert!(matches!(e, TagsError::BadPrefix { .. }), "{p}: {e:?}");
        let msg = e.to_string();
        assert!(
            msg.starts_with(&format!(
                "t.json: tag Storage.EastUS: address prefix \"{p}\" does not parse"
            )),
            "{msg}"
        );
    }
}

#[test]
fn bad_change_number_is_rejected() {
    for v in ["\"abc\"", "1.5", "-1", "true", "\"\"", "[1]"] {
        let top = SMALL.replacen("\"changeNumber\": 7", &format!("\"changeNumber\": {v}"), 1);
        let e = TagDb::from_json(top.as_bytes(), "t.json", None).unwrap_err();
        assert!(matches!(e, TagsError::BadChangeNumber { .. }), "{v}: {e:?}");
        assert!(
            e.to_string().starts_with("t.json: top level: changeNumber"),
            "{e}"
        );
        let tag = SMALL.replacen("\"changeNumber\": 2", &format!("\"changeNumber\": {v}"), 1);
        let e = TagDb::from_json(tag.as_bytes(), "t.json", None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.json: tag Storage.EastUS: changeNumber"),
            "{e}"
        );
    }
}

#[test]
fn duplicate_tag_names_are_rejected() {
    let json = SMALL.replace(
        "\"name\": \"StorageSyncService\"",
        "\"name\": \"storage.eastus\"",
    );
    let e = TagDb::from_json(json.as_bytes(), "t.json", None).unwrap_err();
    assert!(matches!(e, TagsError::BadTag { .. }), "{e:?}");
    assert!(e.to_string().contains("appears twice"), "{e}");
}

#[test]
fn small_file_parses_and_orders_lookups() {
    let db = TagDb::from_json(SMALL.as_bytes(), "ServiceTags_Public.json", None).unwrap();
    let m = db.meta();
    assert_eq!(
        (m.change_number, m.cloud.as_str(), m.tags, m.prefixes),
        (7, "Public", 5, 10)
    );
    assert_eq!(m.published, None);
    let s = db.tag("STORAGE.eastus").unwrap();
    assert_eq!(s.name, "Storage.EastUS");
    assert_eq!(s.region.as_deref(), Some("eastus"));
    assert_eq!(s.system_service.as_deref(), Some("AzureStorage"));
    assert_eq!((s.change_number, s.v4_prefixes, s.v6_prefixes), (2, 1, 1));
    let storage = db.tag("Storage").unwrap();
    assert_eq!(
        (
            storage.region.as_deref(),
            storage.v4_prefixes,
            storage.v6_prefixes
        ),
        (None, 3, 1)
    );
    assert_eq!(db.tag("AzureCloud").unwrap().system_service, None);
    assert!(db.tag("Nope").is_none());
    assert_eq!(db.tags().count(), 5);
    // /28 ties: regional first; then Storage by its /24 (not its /16); /16 ties:
    // regional, then global by name.
    assert_eq!(
        names(&db, "13.68.120.79"),
        [
            "Storage.EastUS",
            "StorageSyncService",
            "Storage",
            "AzureCloud.eastus",
            "AzureCloud"
        ]
    );
    assert_eq!(
        names(&db, "13.68.121.0"),
        ["AzureCloud.eastus", "AzureCloud", "Storage"]
    );
    assert_eq!(
        names(&db, "::ffff:13.68.121.0"),
        ["AzureCloud.eastus", "AzureCloud", "Storage"]
    );
    assert_eq!(
        names(&db, "2603:1030:213:7fff::1"),
        ["Storage.EastUS", "AzureCloud", "Storage"]
    );
    assert!(names(&db, "13.69.0.0").is_empty());
    assert_eq!(db.regions(), [("eastus".to_string(), "EastUS".to_string())]);
}

#[test]
fn az_output_with_string_change_numbers() {
    let az = r#"{
      "changeNumber": "375", "cloud": "Public", "id": "/subscriptions/x/providers/Microsoft.Network/serviceTags/Public",
      "name": "Public", "nextLink": null, "type": "Microsoft.Network/serviceTags",
      "values": [
        {"id": "Storage.EastUS", "name": "Storage.EastUS", "serviceTagChangeNumber": "42",
         "properties": {"addressPrefixes": ["13.68.120.64/28"], "changeNumber": "42", "networkFeatures": null,
                        "region": "EastUS", "regionId": 32, "state": "GA", "systemService": "AzureStorage"}},
        {"id": "AzureCloud", "name": "AzureCloud", "serviceTagChangeNumber": "93",
         "properties": {"addressPrefixes": ["13.68.0.0/16"], "changeNumber": 93, "region": "",
                        "systemService": ""}}
      ]}"#;
    let db = TagDb::from_json(az.as_bytes(), "/home/me/eastus.json", None).unwrap();
    assert_eq!(db.meta().change_number, 375);
    assert_eq!(db.meta().source, "eastus.json");
    let t = db.tag("storage.eastus").unwrap();
    assert_eq!((t.change_number, t.region.as_deref()), (42, Some("eastus")));
    assert_eq!(db.tag("AzureCloud").unwrap().change_number, 93);
    assert_eq!(names(&db, "13.68.120.70"), ["Storage.EastUS", "AzureCloud"]);
    let with_bom = [b"\xEF\xBB\xBF".as_slice(), az.as_bytes()].concat();
    assert!(TagDb::from_json(&with_bom, "bom.json", None).is_ok());
}

#[test]
fn published_date_from_name_or_argument() {
    let b = SMALL.as_bytes();
    let db = TagDb::from_json(b, "dl/ServiceTags_Public_20251106.json", None).unwrap();
    assert_eq!(db.meta().published.as_deref(), Some("2025-11-06"));
    assert_eq!(db.meta().source, "ServiceTags_Public_20251106.json");
    let db = TagDb::from_json(b, "C:\\dl\\ServiceTags_Public_20240229.json", None).unwrap();
    assert_eq!(db.meta().published.as_deref(), Some("2024-02-29"));
    assert_eq!(db.meta().source, "ServiceTags_Public_20240229.json");
    let db = TagDb::from_json(b, "ServiceTags_Public_20251106.json", Some("2025-11-10")).unwrap();
    assert_eq!(db.meta().published.as_deref(), Some("2025-11-10"));
    let db = TagDb::from_json(b, "x.json", Some("20251110")).unwrap();
    assert_eq!(db.meta().published.as_deref(), Some("2025-11-10"));
    for no_date in [
        "ServiceTags_Public.json",
        "tags_20251306.json",
        "tags_202511061.json",
    ] {
        let db = TagDb::from_json(b, no_date, None).unwrap();
        assert_eq!(db.meta().published, None, "{no_date}");
    }
    let e = TagDb::from_json(b, "x.json", Some("Nov 6")).unwrap_err();
    assert!(matches!(e, TagsError::BadPublished { .. }), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("x.json: published date \"Nov 6\""),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------
// Snapshots

#[test]
fn snapshot_round_trip_and_family_filter() {
    let db = TagDb::from_json(SMALL.as_bytes(), "ServiceTags_Public_20251106.json", None).unwrap();
    let families = ["storage", "AzureCloud"];
    let text = db.to_snapshot(&families);
    assert!(text.starts_with("asrscope-servicetags 1\n"), "{text}");
    assert!(
        text.contains(
            "\ntag Storage.EastUS eastus AzureStorage 2\n13.68.120.64/28\n2603:1030:213::/49\n"
        ),
        "{text}"
    );
    assert!(text.contains("\ntag AzureCloud - - 9\n"), "{text}");
    assert!(!text.contains("StorageSyncService"), "{text}");
    let back = TagDb::from_snapshot(&text).unwrap();
    assert_eq!(back.meta().tags, 4);
    assert_eq!(back.meta().prefixes, 9);
    assert_eq!(back.meta().change_number, 7);
    assert_eq!(back.meta().published.as_deref(), Some("2025-11-06"));
    assert_eq!(back.meta().source, "ServiceTags_Public_20251106.json");
    assert_eq!(back.tag("Storage"), db.tag("Storage"));
    assert_eq!(back.to_snapshot(&families), text);
    assert_eq!(
        names(&back, "13.68.120.79"),
        [
            "Storage.EastUS",
            "Storage",
            "AzureCloud.eastus",
            "AzureCloud"
        ]
    );
    // CRLF line endings (a Windows checkout) and comments are fine.
    let crlf = text
        .replace('\n', "\r\n")
        .replace("tag AzureCloud ", "# comment\r\n\r\ntag AzureCloud ");
    assert_eq!(
        TagDb::from_snapshot(&crlf).unwrap().to_snapshot(&families),
        text
    );
    assert_eq!(
        db.to_snapshot(&[])
            .lines()
            .filter(|l| l.starts_with("tag "))
            .count(),
        0
    );
}

/// A snapshot that reads.
const GOOD_SNAPSHOT: &str = "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\npublished=2025-11-06\nsource=S.json\ntags=1\nprefixes=2\ntag A eastus Svc 3\n10.0.0.0/8\n::/0\n";

/// Malformed snapshots: the text, the line its error names, and what the
/// message says.
const MALFORMED_SNAPSHOTS: &[(&str, usize, &str)] = &[
    ("", 1, "empty"),
    ("{\"values\": []}\n", 1, "not a service tags snapshot"),
    ("asrscope-servicetags 2\n", 1, "unsupported format"),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\ntags=0\n",
        4,
        "no \"source=\"",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=x\n",
        2,
        "not a number",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\nchangeNumber=8\n",
        3,
        "repeated",
    ),
    (
        "asrscope-servicetags 1\ncolor=blue\n",
        2,
        "unknown header key",
    ),
    ("asrscope-servicetags 1\njunk\n", 2, "key=value"),
    (
        "asrscope-servicetags 1\npublished=2025-13-01\n",
        2,
        "YYYY-MM-DD",
    ),
    (
        "asrscope-servicetags 1\npublished=20251106\n",
        2,
        "YYYY-MM-DD",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\nsource=S\n10.0.0.0/8\n",
        5,
        "key=value",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\nsource=S\ntag A - -\n",
        5,
        "4 fields",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\nsource=S\ntag A - - 1 x\n",
        5,
        "4 fields",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\nsource=S\ntag A - - -1\n",
        5,
        "not a number",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\nsource=S\ntagA - - 1\n",
        5,
        "malformed tag line",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\nsource=S\ntag A - - 1\n10.0.0.0/33\n",
        6,
        "address prefix",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\nsource=S\ntag A - - 1\nsource=T\n",
        6,
        "address prefix",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\nsource=S\ntag A - - 1\ntag a - - 2\n",
        6,
        "appears twice",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\nsource=S\ntags=2\ntag A - - 1\n",
        6,
        "tags=2",
    ),
    (
        "asrscope-servicetags 1\nchangeNumber=7\ncloud=Public\nsource=S\nprefixes=3\ntag A - - 1\n1.0.0.0/8\n",
        7,
        "prefixes=3",
    ),
];

#[test]
fn malformed_snapshots_are_rejected() {
    assert!(TagDb::from_snapshot(GOOD_SNAPSHOT).is_ok());
    for (text, line, needle) in MALFORMED_SNAPSHOTS {
        match TagDb::from_snapshot(text) {
            Err(e @ TagsError::Snapshot { line: l, .. }) => {
                let msg = e.to_string();
                assert_eq!(l, *line, "{text:?}: {msg}");
                assert!(msg.contains(needle), "{text:?}: {msg}");
                assert!(
                    msg.starts_with(&format!("service tags snapshot, line {line}: ")),
                    "{msg}"
                );
                assert!(msg.contains("asrscope tags import"), "{msg}");
                assert!(!msg.contains('\n'), "{msg}");
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
}

#[test]
fn a_snapshot_truncated_anywhere_never_panics() {
    for cut in 0..GOOD_SNAPSHOT.len() {
        let _ = TagDb::from_snapshot(&GOOD_SNAPSHOT[..cut]);
    }
}

#[test]
fn embedded_snapshot_holds_asr_tags() {
    let db = TagDb::embedded();
    let m = db.meta();
    assert_eq!(m.change_number, 375);
    assert_eq!(m.cloud, "Public");
    assert_eq!(m.published.as_deref(), Some("2025-11-06"));
    assert_eq!(m.source, "ServiceTags_Public.json");
    for name in [
        "Storage.EastUS",
        "Storage.CentralUS",
        "EventHub.CentralUS",
        "EventHub.EastUS",
        "AzureActiveDirectory",
        "AzureSiteRecovery",
        "AzureKeyVault",
        "GuestAndHybridManagement",
        "Storage",
        "EventHub",
        "AzureCloud",
        "AzureCloud.eastus",
    ] {
        assert!(
            db.tag(name).is_some(),
            "{name} missing from the embedded snapshot"
        );
    }
    assert_eq!(
        db.tag("Storage.EastUS").unwrap().region.as_deref(),
        Some("eastus")
    );
    assert!(db.tag("AzureCloud").unwrap().region.is_none());
    assert!(db.tag("AzureMonitor").is_none());
    for t in db.tags() {
        let keep = SNAPSHOT_FAMILIES
            .iter()
            .any(|f| t.name == *f || t.name.starts_with(&format!("{f}.")));
        assert!(keep, "{} is not of a snapshot family", t.name);
    }
    let regions = db.regions();
    assert!(
        regions.contains(&("eastus".into(), "EastUS".into())),
        "{regions:?}"
    );
    assert!(
        regions.contains(&("centralus".into(), "CentralUS".into())),
        "{regions:?}"
    );
    assert!(regions.windows(2).all(|w| w[0].0 < w[1].0), "{regions:?}");
    let size = std::fs::metadata(SNAPSHOT_FILE).unwrap().len();
    assert!(size < 700_000, "data/servicetags.txt is {size} bytes");
    // An address of Storage.EastUS and one outside Azure.
    let hit = db.lookup("13.68.163.36".parse().unwrap());
    assert!(hit.iter().any(|t| t.name == "Storage.EastUS"), "{hit:?}");
    assert!(db.lookup("203.0.113.25".parse().unwrap()).is_empty());
}

#[test]
fn embedded_snapshot_is_current() {
    let Some(db) = full_db() else {
        return skipped();
    };
    let shipped = std::fs::read_to_string(SNAPSHOT_FILE).unwrap();
    assert!(
        db.to_snapshot(SNAPSHOT_FAMILIES) == shipped,
        "data/servicetags.txt differs from what the code derives from ../shared/{SHARED_REL}; \
         run ASRSCOPE_REGENERATE=1 cargo test --test tags regenerate_snapshot -- --ignored"
    );
}

/// Writes `data/servicetags.txt` from the shared JSON (see the `azure::tags` module docs).
#[test]
#[ignore]
fn regenerate_snapshot() {
    if std::env::var_os("ASRSCOPE_REGENERATE").is_none_or(|v| v != "1") {
        println!("NOTICE: regenerate_snapshot skipped: set ASRSCOPE_REGENERATE=1");
        return;
    }
    // Asked for explicitly: fail rather than skip.
    let Some(bytes) = shared_bytes() else {
        panic!("{}", common::no_shared(SHARED_REL));
    };
    let db = TagDb::from_json(bytes, "ServiceTags_Public.json", Some("2025-11-06")).unwrap();
    let text = db.to_snapshot(SNAPSHOT_FAMILIES);
    std::fs::write(SNAPSHOT_FILE, &text).unwrap();
    println!(
        "wrote {SNAPSHOT_FILE}: {} bytes, {} lines",
        text.len(),
        text.lines().count()
    );
}

// ---------------------------------------------------------------------------------------
// The index against the scan

#[test]
fn index_matches_linear_scan_full_file() {
    let (Some(db), Some(r)) = (full_db(), reference()) else {
        return skipped();
    };
    assert_eq!(db.meta().tags, r.tags.len());
    assert_eq!(db.meta().prefixes, r.prefixes.len());
    // The grouped scan agrees with a scan of every prefix.
    for addr in addresses(r, 200, 7) {
        assert_eq!(r.scan(addr), r.plain_scan(addr), "{}", ip_of(addr));
    }
    let hits = compare(db, r, 20_000, 0x9E37_79B9_7F4A_7C15);
    assert!(hits > 10_000, "only {hits} addresses matched a tag");
}

#[test]
fn embedded_index_matches_linear_scan() {
    let Some(r) = reference() else {
        return skipped();
    };
    let r = r.restricted(SNAPSHOT_FAMILIES);
    assert_eq!(TagDb::embedded().meta().tags, r.tags.len());
    assert_eq!(TagDb::embedded().meta().prefixes, r.prefixes.len());
    let hits = compare(TagDb::embedded(), &r, 5_000, 0x2545_F491_4F6C_DD1D);
    assert!(hits > 2_500, "only {hits} addresses matched a tag");
}

#[test]
fn known_answers() {
    let (Some(db), Some(r)) = (full_db(), reference()) else {
        return skipped();
    };
    let check = |ip: &str, want: &[&str], not: &[&str]| {
        let addr = addr_of(ip.parse().unwrap());
        let scan = r.plain_scan(addr);
        for w in want {
            assert!(scan.iter().any(|s| s == w), "{ip}: scan {scan:?} lacks {w}");
        }
        for n in not {
            assert!(!scan.iter().any(|s| s == n), "{ip}: scan {scan:?} has {n}");
        }
        assert_eq!(names(db, ip), scan, "{ip}");
        assert_eq!(
            names(TagDb::embedded(), ip),
            r.restricted(SNAPSHOT_FAMILIES).plain_scan(addr),
            "{ip}"
        );
    };
    check(
        "13.68.163.36",
        &[
            "Storage.EastUS",
            "AzureCloud.eastus",
            "Storage",
            "AzureCloud",
        ],
        &["Storage.CentralUS"],
    );
    check("203.0.113.25", &[], &["AzureCloud"]);
    assert!(
        r.plain_scan(addr_of("203.0.113.25".parse().unwrap()))
            .is_empty()
    );
    check(
        "2603:1030:213:1234::1",
        &["Storage.EastUS", "AzureCloud.eastus"],
        &[],
    );
    check(
        "2603:1030:213:7fff:ffff:ffff:ffff:ffff",
        &["Storage.EastUS"],
        &[],
    );
    // Past Storage.EastUS's /49 and its /60../63 neighbours: in the /48s only.
    check(
        "2603:1030:213:801e::",
        &["AzureCloud.eastus", "Storage"],
        &["Storage.EastUS"],
    );
    check(
        "13.68.128.0",
        &["AzureCloud.eastus", "AzureCloud"],
        &["Storage.EastUS", "Storage"],
    );
    let first = names(db, "13.68.163.36");
    assert_eq!(
        first.first().map(String::as_str),
        Some("Storage.EastUS"),
        "{first:?}"
    );
}

#[test]
fn regions_of_the_full_file() {
    let Some(db) = full_db() else {
        return skipped();
    };
    let regions = db.regions();
    for pair in [
        ("eastus", "EastUS"),
        ("centralus", "CentralUS"),
        ("eastus2", "EastUS2"),
        ("brazilse", "BrazilSoutheast"),
    ] {
        assert!(
            regions.contains(&(pair.0.into(), pair.1.into())),
            "{pair:?} not in {regions:?}"
        );
    }
    assert_eq!(regions.iter().filter(|r| r.0 == "eastus").count(), 1);
    assert_eq!(db.meta().tags, 3039);
    assert_eq!(db.meta().change_number, 375);
}
