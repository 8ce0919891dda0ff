//! The compact text snapshot (`data/servicetags.txt`): reading and writing. The format is
//! described in the docs of the parent module.

use super::{
    Block, EMBEDDED_SNAPSHOT, SnapshotMeta, TagDb, TagInfo, TagsError, digits, is_publication_date,
    is_token,
};
use crate::dates::Date;
use std::fmt::Write as _;

/// First line of every snapshot.
const MAGIC: &str = "asrscope-servicetags 1";

fn err(line: usize, problem: String) -> TagsError {
    TagsError::Snapshot { line, problem }
}

/// The header lines of a snapshot, each at most once.
#[derive(Default)]
struct Header {
    change: Option<u64>,
    cloud: Option<String>,
    published: Option<String>,
    source: Option<String>,
    tags: Option<usize>,
    prefixes: Option<usize>,
}

impl Header {
    /// Reads the `key=value` line `n`.
    fn line(&mut self, n: usize, key: &str, value: &str) -> Result<(), TagsError> {
        let dup = |seen: bool| {
            if seen {
                Err(err(n, format!("header key \"{key}\" repeated")))
            } else {
                Ok(())
            }
        };
        let count =
            |v: &str| digits(v).ok_or_else(|| err(n, format!("{key} \"{v}\" is not a number")));
        match key {
            "changeNumber" => {
                dup(self.change.is_some())?;
                let c = digits(value)
                    .ok_or_else(|| err(n, format!("changeNumber \"{value}\" is not a number")))?;
                self.change = Some(c);
            }
            "cloud" => {
                dup(self.cloud.is_some())?;
                if !is_token(value) {
                    return Err(err(n, "empty or spaced cloud name".into()));
                }
                self.cloud = Some(value.to_string());
            }
            "published" => {
                dup(self.published.is_some())?;
                let Some(date) = Date::parse(value).filter(is_publication_date) else {
                    return Err(err(
                        n,
                        format!("published \"{value}\" is not a YYYY-MM-DD date"),
                    ));
                };
                self.published = Some(date.to_string());
            }
            "source" => {
                dup(self.source.is_some())?;
                if value.trim().is_empty() {
                    return Err(err(n, "empty source".into()));
                }
                self.source = Some(value.to_string());
            }
            "tags" => {
                dup(self.tags.is_some())?;
                self.tags = Some(count(value)?);
            }
            "prefixes" => {
                dup(self.prefixes.is_some())?;
                self.prefixes = Some(count(value)?);
            }
            _ => return Err(err(n, format!("unknown header key \"{key}\""))),
        }
        Ok(())
    }

    /// The snapshot's metadata; `last` is the last line, for messages.
    fn meta(&mut self, last: usize) -> Result<SnapshotMeta, TagsError> {
        let missing = |key: &str| err(last, format!("the header has no \"{key}=\" line"));
        Ok(SnapshotMeta {
            change_number: self.change.ok_or_else(|| missing("changeNumber"))?,
            cloud: self.cloud.take().ok_or_else(|| missing("cloud"))?,
            published: self.published.take(),
            source: self.source.take().ok_or_else(|| missing("source"))?,
            tags: 0,
            prefixes: 0,
        })
    }

    /// Checks the counts the header gives against what the file lists.
    fn check_counts(&self, db: &TagDb, last: usize) -> Result<(), TagsError> {
        if let Some(t) = self.tags.filter(|&t| t != db.meta.tags) {
            return Err(err(
                last,
                format!(
                    "the header says tags={t} but the file lists {} (truncated?)",
                    db.meta.tags
                ),
            ));
        }
        if let Some(p) = self.prefixes.filter(|&p| p != db.meta.prefixes) {
            return Err(err(
                last,
                format!(
                    "the header says prefixes={p} but the file lists {} (truncated?)",
                    db.meta.prefixes
                ),
            ));
        }
        Ok(())
    }
}

/// Checks a snapshot's first line.
fn first_line(line: Option<(usize, &str)>) -> Result<(), TagsError> {
    match line {
        Some((_, MAGIC)) => Ok(()),
        Some((n, l)) if l.starts_with("asrscope-servicetags ") => Err(err(
            n,
            format!("unsupported format \"{l}\"; this asrscope reads \"{MAGIC}\""),
        )),
        Some((n, _)) => Err(err(
            n,
            format!("not a service tags snapshot (the first line is not \"{MAGIC}\")"),
        )),
        None => Err(err(1, "empty snapshot".into())),
    }
}

/// Reads the fields of a `tag` line (what follows `tag `).
fn tag_line(n: usize, rest: &str) -> Result<TagInfo, TagsError> {
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
    let cn = digits(cn).ok_or_else(|| err(n, format!("change number \"{cn}\" is not a number")))?;
    let opt = |s: &str| (s != "-").then(|| s.to_string());
    Ok(TagInfo {
        name: name.to_string(),
        region: opt(region).map(|r| r.to_ascii_lowercase()),
        system_service: opt(service),
        change_number: cn,
        v4_prefixes: 0,
        v6_prefixes: 0,
    })
}

/// The metadata of a snapshot from its header alone, without reading its
/// prefixes (the tag and prefix counts are left at 0): what `--version`
/// prints, at no cost to every other run.
fn header_meta(text: &str) -> Result<SnapshotMeta, TagsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end()));
    first_line(lines.next())?;
    let mut header = Header::default();
    let mut last_line = 1;
    for (n, line) in lines {
        last_line = n;
        if line.starts_with("tag ") {
            break;
        }
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(err(
                n,
                format!("expected a key=value header line, found \"{line}\""),
            ));
        };
        header.line(n, key, value)?;
    }
    header.meta(last_line)
}

impl TagDb {
    /// The compiled-in snapshot's metadata (change number, publication date),
    /// read from its header only: cheap enough for `--version` on every run.
    /// The tag and prefix counts are 0; [`TagDb::embedded`] has them.
    ///
    /// # Panics
    ///
    /// If the compiled-in snapshot's header is malformed, which the test suite rules out.
    pub fn embedded_meta() -> SnapshotMeta {
        header_meta(EMBEDDED_SNAPSHOT)
            .unwrap_or_else(|e| panic!("the embedded data/servicetags.txt is damaged: {e}"))
    }

    /// Reads a snapshot written by [`TagDb::to_snapshot`] (format in the module docs).
    pub fn from_snapshot(text: &str) -> Result<TagDb, TagsError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end()));
        first_line(lines.next())?;
        let mut header = Header::default();
        let mut tags: Vec<TagInfo> = Vec::new();
        let mut prefixes: Vec<Vec<Block>> = Vec::new();
        let mut last_line = 1;
        for (n, line) in lines {
            last_line = n;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix("tag ") {
                tags.push(tag_line(n, rest)?);
                prefixes.push(Vec::new());
            } else if tags.is_empty() {
                if line.starts_with("tag") && !line.contains('=') {
                    return Err(err(n, format!("malformed tag line \"{line}\"")));
                }
                let Some((key, value)) = line.split_once('=') else {
                    return Err(err(
                        n,
                        format!("expected a key=value header line or a tag line, found \"{line}\""),
                    ));
                };
                header.line(n, key, value)?;
            } else {
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
        }
        let meta = header.meta(last_line)?;
        let db = TagDb::build(meta, tags, prefixes)
            .map_err(|(tag, problem)| err(last_line, format!("tag {tag}: {problem}")))?;
        header.check_counts(&db, last_line)?;
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

    #[test]
    fn the_header_alone_gives_what_the_whole_snapshot_does() {
        let whole = TagDb::embedded().meta();
        let header = TagDb::embedded_meta();
        assert_eq!(header.change_number, whole.change_number);
        assert_eq!(header.published, whole.published);
        assert_eq!(header.cloud, whole.cloud);
        assert_eq!(header.source, whole.source);
        // A malformed header is still refused, with its line.
        let bad = format!("{MAGIC}\nchangeNumber=x\ncloud=Public\nsource=s\ntag A - - 1\n");
        assert!(matches!(
            header_meta(&bad),
            Err(TagsError::Snapshot { line: 2, .. })
        ));
        assert!(header_meta("not a snapshot\n").is_err());
    }
}
