//! `asrscope tags import|lookup|info`.

use super::config;
use crate::azure::tags::{SNAPSHOT_FAMILIES, TagDb};
use crate::cli::TagsCommand;
use crate::sanitize::for_terminal;
use anyhow::Context;
use std::io::Write;
use std::net::IpAddr;
use std::process::ExitCode;

/// Runs a `tags` subcommand.
pub fn run(cmd: &TagsCommand) -> anyhow::Result<ExitCode> {
    let mut out = super::stdout();
    match cmd {
        TagsCommand::Import {
            file,
            out: dest,
            published,
        } => {
            if let Some(p) = published
                && crate::dates::days_from_ymd(p).is_none()
            {
                anyhow::bail!("--published '{p}' is not a date like 2025-11-06");
            }
            if let Some(dest) = dest {
                super::outputs::check(
                    &[super::outputs::Named {
                        what: "the service tags file",
                        path: file,
                    }],
                    &[super::outputs::Named {
                        what: "--out",
                        path: dest,
                    }],
                )?;
            }
            let bytes = super::config::read_text(file, "service tags file")?.into_bytes();
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let db = TagDb::from_json(&bytes, &name, published.as_deref())
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let snap = db.to_snapshot(SNAPSHOT_FAMILIES);
            match dest {
                Some(p) => std::fs::write(p, &snap)
                    .with_context(|| format!("{}: cannot write the snapshot", p.display()))?,
                None => out.write_all(snap.as_bytes())?,
            }
            let m = db.meta();
            eprintln!(
                "asrscope: {}: changeNumber {}, published {}, {} tags, {} prefixes read; snapshot keeps {}",
                for_terminal(&file.display().to_string()),
                m.change_number,
                m.published
                    .as_deref()
                    .unwrap_or("unknown (give --published)"),
                m.tags,
                m.prefixes,
                SNAPSHOT_FAMILIES.join(", ")
            );
        }
        TagsCommand::Lookup { ips, service_tags } => {
            let tags = config::load_tags(service_tags.as_deref())?;
            let mut parsed = Vec::new();
            for s in ips {
                let ip: IpAddr = s
                    .trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("'{s}' is not an IPv4 or IPv6 address"))?;
                parsed.push(ip);
            }
            for ip in parsed {
                let found = tags.db().lookup(ip);
                if let Some(p) = crate::azure::platform::platform(&ip) {
                    writeln!(out, "{ip}: {} ({})", p.label, p.what)?;
                } else if found.is_empty() {
                    writeln!(out, "{ip}: none (outside every Azure range in the data)")?;
                } else {
                    let names: Vec<String> = found
                        .iter()
                        .map(|t| match &t.region {
                            Some(r) => format!("{} ({r})", t.name),
                            None => t.name.clone(),
                        })
                        .collect();
                    writeln!(out, "{ip}: {}", for_terminal(&names.join(", ")))?;
                }
            }
        }
        TagsCommand::Info {
            service_tags,
            regions,
        } => {
            let tags = config::load_tags(service_tags.as_deref())?;
            let m = tags.db().meta();
            writeln!(out, "origin:       {}", for_terminal(&tags.origin()))?;
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
            for fam in SNAPSHOT_FAMILIES {
                let n = tags
                    .db()
                    .tags()
                    .filter(|t| t.name == *fam || t.name.starts_with(&format!("{fam}.")))
                    .count();
                writeln!(out, "  {fam:<26} {n} tags")?;
            }
            if *regions {
                writeln!(out, "regions:")?;
                for (id, sfx) in tags.db().regions() {
                    let (id, sfx) = (for_terminal(&id), for_terminal(&sfx));
                    writeln!(out, "  {id:<24} {sfx}")?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
