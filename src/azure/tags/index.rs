//! Building a [`TagDb`] from its tags: the name map, the counts and the address index,
//! where every prefix of a family is cut into disjoint ranges, each mapped to its ordered
//! list of tags.

use super::ranges::RangeIndex;
use super::{Block, SnapshotMeta, TagDb, TagInfo, is_token};
use crate::azure::address::{mask32, mask128};
use std::collections::HashMap;

impl TagDb {
    /// Builds the name map and the address index; fills the counts. On a bad tag,
    /// returns its name and the problem.
    pub(super) fn build(
        mut meta: SnapshotMeta,
        mut tags: Vec<TagInfo>,
        prefixes: Vec<Vec<Block>>,
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
                    Block::V4(a, l) => v4_items.push(Item {
                        start: u128::from(a),
                        end: u128::from(a | !mask32(l)),
                        tag: t as u32,
                        len: l,
                    }),
                    Block::V6(a, l) => v6_items.push(Item {
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
