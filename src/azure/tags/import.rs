//! Reading Microsoft's service tags JSON (`ServiceTags_Public_*.json`, or the output of
//! `az network list-service-tags`).

use super::{
    Block, SnapshotMeta, TagDb, TagInfo, TagsError, digits, is_publication_date, is_token,
};
use crate::dates::Date;
use crate::sanitize::for_terminal;

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

/// A `YYYY-MM-DD` or `YYYYMMDD` publication date (surrounding whitespace ignored),
/// normalised to `YYYY-MM-DD`.
fn parse_published(text: &str) -> Option<String> {
    let t = text.trim();
    Date::parse(t)
        .or_else(|| Date::parse_basic(t))
        .filter(is_publication_date)
        .map(|d| d.to_string())
}

/// The first run of exactly eight digits in `name` that is a publication date
/// (`..._20251106.json`).
fn date_in_name(name: &str) -> Option<String> {
    name.split(|c: char| !c.is_ascii_digit())
        .filter(|run| run.len() == 8)
        .find_map(parse_published)
}

/// The file name without directories (either separator).
fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

impl TagDb {
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
        let raw = parse_file(bytes, &file)?;
        let not_tags = |problem: &str| TagsError::NotServiceTags {
            file: file.clone(),
            problem: problem.into(),
        };
        let values = raw.values.ok_or_else(|| not_tags("no \"values\" array"))?;
        if values.is_empty() {
            return Err(not_tags("the \"values\" array is empty"));
        }
        let top = raw
            .change_number
            .ok_or_else(|| not_tags("no top-level \"changeNumber\""))?;
        let top = change_number(&top).ok_or_else(|| TagsError::BadChangeNumber {
            file: file.clone(),
            place: "top level".into(),
            value: top.to_string(),
        })?;
        let published = match published {
            Some(p) => Some(parse_published(p).ok_or_else(|| TagsError::BadPublished {
                file: file.clone(),
                value: p.to_string(),
            })?),
            None => date_in_name(base_name(source)),
        };
        let mut tags = Vec::with_capacity(values.len());
        let mut prefixes = Vec::with_capacity(values.len());
        for raw_tag in values {
            let (tag, list) = read_tag(raw_tag, &file)?;
            tags.push(tag);
            prefixes.push(list);
        }
        let meta = SnapshotMeta {
            change_number: top,
            cloud: raw
                .cloud
                .filter(|c| is_token(c))
                .map_or_else(|| "unknown".into(), |c| for_terminal(&c)),
            published,
            // No control character to break the snapshot's one-line header,
            // no invisible one in what `tags info` shows.
            source: for_terminal(base_name(source)),
            tags: 0,
            prefixes: 0,
        };
        TagDb::build(meta, tags, prefixes).map_err(|(tag, problem)| TagsError::BadTag {
            file,
            tag,
            problem,
        })
    }
}

/// The file's JSON as [`RawFile`]. A key written twice is refused before
/// anything is read: serde would keep one of the two silently (the last,
/// for a field it ignores or a value read as JSON).
fn parse_file(bytes: &[u8], file: &str) -> Result<RawFile, TagsError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    crate::azure::json::check(bytes).map_err(|e| match e {
        crate::azure::json::Error::Duplicate(d) => TagsError::DuplicateKey {
            file: file.to_string(),
            duplicate: d,
        },
        crate::azure::json::Error::Syntax(e) => TagsError::Json {
            file: file.to_string(),
            detail: e.to_string(),
        },
    })?;
    serde_json::from_slice(bytes).map_err(|e| {
        let detail = e.to_string();
        match e.classify() {
            serde_json::error::Category::Data => TagsError::NotServiceTags {
                file: file.to_string(),
                problem: detail,
            },
            _ => TagsError::Json {
                file: file.to_string(),
                detail,
            },
        }
    })
}

/// One tag of the file and its prefixes, checked.
fn read_tag(raw_tag: RawTag, file: &str) -> Result<(TagInfo, Vec<Block>), TagsError> {
    let bad_tag = |problem: &str| TagsError::BadTag {
        file: file.to_string(),
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
            file: file.to_string(),
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
            Block::parse(text).map_err(|problem| TagsError::BadPrefix {
                file: file.to_string(),
                tag: raw_tag.name.clone(),
                prefix: text.clone(),
                problem,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Names go to every view and into the snapshot: through the one
    // sanitiser, as every string of an export (a real tag name is printable
    // ASCII, which it leaves as it is).
    let tag = TagInfo {
        name: for_terminal(&raw_tag.name),
        region: region.as_deref().map(for_terminal),
        system_service: system_service.as_deref().map(for_terminal),
        change_number: cn,
        v4_prefixes: 0,
        v6_prefixes: 0,
    };
    Ok((tag, list))
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(
            date_in_name("ServiceTags_Public_20251106.json").as_deref(),
            Some("2025-11-06")
        );
        assert_eq!(date_in_name("ServiceTags_Public.json"), None);
        assert_eq!(date_in_name("x_20251306.json"), None);
        assert_eq!(date_in_name("x_20250231.json"), None);
        assert_eq!(date_in_name("x_123456789.json"), None);
        assert_eq!(
            date_in_name("v19991231_20240229.json").as_deref(),
            Some("2024-02-29")
        );
        assert_eq!(parse_published("2024-02-29").as_deref(), Some("2024-02-29"));
        assert_eq!(parse_published(" 20240229 ").as_deref(), Some("2024-02-29"));
        assert_eq!(parse_published("2025-02-29"), None);
        assert_eq!(parse_published("1999-12-31"), None);
        assert_eq!(parse_published("2025-2-28"), None);
        assert_eq!(
            base_name("a/b\\c/ServiceTags_Public.json"),
            "ServiceTags_Public.json"
        );
    }
}
