//! Azure regions: the names users type (`eastus`, `EastUS`, `East US`) turned
//! into the region id and the suffix of regional service tags, and close
//! matches for a name that is not a region.

use crate::model::Region;

/// Why a region name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag} '{given}' is not an Azure region{}; list them with `asrscope tags info --regions`", suggest(.close))]
pub(crate) struct UnknownRegion {
    /// The flag it came from.
    pub flag: String,
    /// What was given.
    pub given: String,
    /// Close matches (tag suffixes).
    pub close: Vec<String>,
}

fn suggest(close: &[String]) -> String {
    if close.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", close.join(", "))
    }
}

fn key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Finds a region by any of its spellings.
pub(crate) fn resolve<'r>(
    regions: &'r [Region],
    given: &str,
    flag: &str,
) -> Result<&'r Region, UnknownRegion> {
    let k = key(given);
    if let Some(r) = regions
        .iter()
        .find(|r| key(&r.id) == k || key(&r.tag_suffix) == k)
    {
        return Ok(r);
    }
    let mut scored: Vec<(usize, &Region)> = regions
        .iter()
        .map(|r| (levenshtein(&k, &key(&r.id)), r))
        .filter(|(d, r)| *d <= 3.max(k.len() / 4) || key(&r.id).contains(&k) && !k.is_empty())
        .collect();
    scored.sort_by_key(|(d, r)| (*d, r.id.clone()));
    Err(UnknownRegion {
        flag: flag.to_string(),
        given: given.to_string(),
        close: scored
            .iter()
            .take(4)
            .map(|(_, r)| r.tag_suffix.clone())
            .collect(),
    })
}

/// Edit distance between two strings (bytes), for suggestions.
pub(crate) fn levenshtein(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regions() -> Vec<Region> {
        [
            ("eastus", "EastUS"),
            ("eastus2", "EastUS2"),
            ("centralus", "CentralUS"),
            ("westeurope", "WestEurope"),
        ]
        .iter()
        .map(|(i, s)| Region {
            id: i.to_string(),
            tag_suffix: s.to_string(),
        })
        .collect()
    }

    #[test]
    fn every_spelling_resolves() {
        let r = regions();
        for s in ["eastus", "EastUS", "East US", "east-us", " EAST US "] {
            assert_eq!(
                resolve(&r, s, "--source-region").unwrap().id,
                "eastus",
                "{s}"
            );
        }
    }

    #[test]
    fn unknown_names_get_close_matches() {
        let r = regions();
        let e = resolve(&r, "estus", "--source-region").unwrap_err();
        assert_eq!(e.close.first().map(String::as_str), Some("EastUS"));
        assert!(e.to_string().contains("did you mean EastUS"));
        let e = resolve(&r, "mars", "--target-region").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("--target-region 'mars' is not an Azure region")
        );
    }
}
