//! `asrscope tags`: what the service-tag data in use holds (`info`), which
//! tags hold an address (`lookup`), and what an import read (`import`).

use crate::model::SnapshotMeta;
use crate::sanitize::for_terminal;
use std::io::Write;
use std::net::IpAddr;

/// What `tags info` shows.
pub(crate) struct Info<'a> {
    /// Where the data came from (`embedded snapshot`, or the file).
    pub origin: String,
    /// The data's header.
    pub meta: &'a SnapshotMeta,
    /// Tags of each family the snapshot keeps.
    pub families: Vec<(&'a str, usize)>,
    /// With `--regions`: each region's id and tag suffix.
    pub regions: Option<Vec<(String, String)>>,
}

/// Writes `tags info`.
pub(crate) fn info(out: &mut dyn Write, i: &Info<'_>) -> std::io::Result<()> {
    let m = i.meta;
    writeln!(out, "origin:       {}", for_terminal(&i.origin))?;
    writeln!(out, "source file:  {}", for_terminal(&m.source))?;
    writeln!(out, "cloud:        {}", for_terminal(&m.cloud))?;
    writeln!(out, "changeNumber: {}", m.change_number)?;
    writeln!(
        out,
        "published:    {}",
        for_terminal(m.published.as_deref().unwrap_or("unknown"))
    )?;
    writeln!(out, "tags:         {}", m.tags)?;
    writeln!(out, "prefixes:     {}", m.prefixes)?;
    for (fam, n) in &i.families {
        writeln!(out, "  {fam:<26} {n} tags")?;
    }
    if let Some(regions) = &i.regions {
        writeln!(out, "regions:")?;
        for (id, sfx) in regions {
            let (id, sfx) = (for_terminal(id), for_terminal(sfx));
            writeln!(out, "  {id:<24} {sfx}")?;
        }
    }
    Ok(())
}

/// What holds an address.
pub(crate) enum Holder {
    /// An address of the Azure platform itself.
    Platform {
        /// A short label.
        label: &'static str,
        /// What it is.
        what: &'static str,
    },
    /// Service tags, most specific first: each name with its region.
    Tags(Vec<(String, Option<String>)>),
}

/// Writes one line of `tags lookup`: the address and what holds it (no tag:
/// outside every Azure range in the data).
pub(crate) fn lookup(out: &mut dyn Write, ip: IpAddr, holder: &Holder) -> std::io::Result<()> {
    match holder {
        Holder::Platform { label, what } => writeln!(out, "{ip}: {label} ({what})"),
        Holder::Tags(tags) if !tags.is_empty() => {
            let names: Vec<String> = tags
                .iter()
                .map(|(name, region)| match region {
                    Some(r) => format!("{name} ({r})"),
                    None => name.clone(),
                })
                .collect();
            writeln!(out, "{ip}: {}", for_terminal(&names.join(", ")))
        }
        Holder::Tags(_) => writeln!(out, "{ip}: none (outside every Azure range in the data)"),
    }
}

/// The line `tags import` ends with: what was read from `file`, and the
/// families the snapshot keeps.
pub(crate) fn imported(file: &str, m: &SnapshotMeta, families: &[&str]) -> String {
    format!(
        "{file}: changeNumber {}, published {}, {} tags, {} prefixes read; snapshot keeps {}",
        m.change_number,
        m.published
            .as_deref()
            .unwrap_or("unknown (give --published)"),
        m.tags,
        m.prefixes,
        families.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_names_the_platform_the_tags_or_nothing() {
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        let mut out = Vec::new();
        let tags = Holder::Tags(vec![
            ("Storage.EastUS".into(), Some("eastus".into())),
            ("AzureCloud".into(), None),
        ]);
        lookup(&mut out, ip, &tags).unwrap();
        lookup(&mut out, ip, &Holder::Tags(vec![])).unwrap();
        let platform = Holder::Platform {
            label: "L",
            what: "W",
        };
        lookup(&mut out, ip, &platform).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "10.1.2.3: Storage.EastUS (eastus), AzureCloud\n\
             10.1.2.3: none (outside every Azure range in the data)\n\
             10.1.2.3: L (W)\n"
        );
    }
}
