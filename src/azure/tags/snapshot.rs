//! The compact text snapshot (`data/servicetags.txt`): reading and writing. The format is
//! described in the docs of the parent module.

use super::{
    Block, SnapshotMeta, TagDb, TagInfo, TagsError, digits, is_publication_date, is_token,
};
use crate::dates::Date;
use std::fmt::Write as _;

/// First line of every snapshot.
const MAGIC: &str = "asrscope-servicetags 1";

impl TagDb {
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
        let mut prefixes: Vec<Vec<Block>> = Vec::new();
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
                        let Some(date) = Date::parse(value).filter(is_publication_date) else {
                            return Err(err(
                                n,
                                format!("published \"{value}\" is not a YYYY-MM-DD date"),
                            ));
                        };
                        published = Some(date.to_string());
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
            let prefix = Block::parse(line.trim()).map_err(|p| {
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
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn published_is_a_day_that_exists() {
        let snap = |published: &str| {
            format!(
                "{MAGIC}\nchangeNumber=1\ncloud=Public\npublished={published}\nsource=s.json\ntag A - - 1\n10.0.0.0/8\n"
            )
        };
        let db = TagDb::from_snapshot(&snap("2024-02-29")).unwrap();
        assert_eq!(db.meta().published.as_deref(), Some("2024-02-29"));
        for bad in [
            "2025-02-29",
            "2025-04-31",
            "2100-02-29",
            "1999-12-31",
            "20251106",
            "  20251106",
            " 2025-11-06",
        ] {
            assert!(
                matches!(
                    TagDb::from_snapshot(&snap(bad)),
                    Err(TagsError::Snapshot { line: 4, .. })
                ),
                "{bad:?}"
            );
        }
    }
}
