//! `asrscope tags import|lookup|info`.

use super::config;
use super::ending::{Ending, say};
use super::outputs::{self, Named};
use crate::azure::tags::{SNAPSHOT_FAMILIES, TagDb};
use crate::cli::TagsCommand;
use crate::report::tags as view;
use anyhow::Context;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::process::ExitCode;

/// Runs a `tags` subcommand.
pub(crate) fn run(cmd: &TagsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TagsCommand::Import {
            file,
            out,
            published,
        } => import(file, out.as_deref(), published.as_deref())?,
        TagsCommand::Lookup { ips, service_tags } => lookup(ips, service_tags.as_deref())?,
        TagsCommand::Info {
            service_tags,
            regions,
        } => info(service_tags.as_deref(), *regions)?,
    }
    Ok(Ending::new().exit())
}

/// `tags import`: the snapshot of Microsoft's file, to `--out` or standard
/// output, and one line on standard error saying what was read.
fn import(file: &Path, dest: Option<&Path>, published: Option<&str>) -> anyhow::Result<()> {
    if let Some(p) = published
        && crate::dates::days_from_ymd(p).is_none()
    {
        anyhow::bail!("--published '{p}' is not a date like 2025-11-06");
    }
    if let Some(dest) = dest {
        let input = Named {
            what: "the service tags file",
            path: file,
        };
        let output = Named {
            what: "--out",
            path: dest,
        };
        outputs::check(&[input], &[output])?;
    }
    let bytes = config::read_text(file, "service tags file")?.into_bytes();
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let db = TagDb::from_json(&bytes, &name, published)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let snap = db.to_snapshot(SNAPSHOT_FAMILIES);
    match dest {
        Some(p) => std::fs::write(p, &snap)
            .with_context(|| format!("{}: cannot write the snapshot", p.display()))?,
        None => {
            let mut out = super::stdout();
            out.write_all(snap.as_bytes())?;
            out.flush()?;
        }
    }
    let file = file.display().to_string();
    say(&view::imported(&file, db.meta(), SNAPSHOT_FAMILIES));
    Ok(())
}

/// `tags lookup`: every address is checked before any is looked up.
fn lookup(ips: &[String], service_tags: Option<&Path>) -> anyhow::Result<()> {
    let tags = config::load_tags(service_tags)?;
    let mut parsed = Vec::new();
    for s in ips {
        let ip: IpAddr = s
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("'{s}' is not an IPv4 or IPv6 address"))?;
        parsed.push(ip);
    }
    let mut out = super::stdout();
    for ip in parsed {
        let holder = match crate::azure::platform::platform(&ip) {
            Some(p) => view::Holder::Platform {
                label: p.label,
                what: p.what,
            },
            None => view::Holder::Tags(
                tags.db()
                    .lookup(ip)
                    .iter()
                    .map(|t| (t.name.clone(), t.region.clone()))
                    .collect(),
            ),
        };
        view::lookup(&mut out, ip, &holder)?;
    }
    out.flush()?;
    Ok(())
}

/// `tags info`.
fn info(service_tags: Option<&Path>, regions: bool) -> anyhow::Result<()> {
    let tags = config::load_tags(service_tags)?;
    let db = tags.db();
    let families = SNAPSHOT_FAMILIES
        .iter()
        .map(|fam| {
            let in_family = |name: &str| name == *fam || name.starts_with(&format!("{fam}."));
            (*fam, db.tags().filter(|t| in_family(&t.name)).count())
        })
        .collect();
    let i = view::Info {
        origin: tags.origin(),
        meta: db.meta(),
        families,
        regions: regions.then(|| db.regions()),
    };
    let mut out = super::stdout();
    view::info(&mut out, &i)?;
    out.flush()?;
    Ok(())
}
