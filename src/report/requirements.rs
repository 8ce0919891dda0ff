//! `asrscope requirements`: a region pair's requirements as a checklist to
//! read, as JSON, or as `az network nsg rule create` commands to paste.

use crate::model::requirements::{
    DiskLimit, HighChurn, NsgRule, PrivateEndpoints, PrivateZone, RegionRequirements,
};
use crate::model::{Need, Region};
use crate::render::{advice, requirements as words};
use std::io::Write;

/// The requirements as pretty JSON followed by a newline.
pub(crate) fn json(out: &mut dyn Write, r: &RegionRequirements) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, r)?;
    writeln!(out)
}

/// The requirements as a checklist.
pub(crate) fn text(out: &mut dyn Write, r: &RegionRequirements) -> std::io::Result<()> {
    writeln!(
        out,
        "Site Recovery network requirements: {} -> {} ({})",
        r.source_region.tag_suffix, r.target_region.tag_suffix, r.cloud_name
    )?;
    writeln!(out, "All outbound, HTTPS (TCP 443).")?;
    writeln!(out)?;
    writeln!(out, "URLs (URL-filtering firewall or proxy):")?;
    for u in &r.urls {
        writeln!(
            out,
            "  {:<42} {}{}",
            u.pattern,
            u.purpose,
            need_note(u.need)
        )?;
        for also in u.also {
            writeln!(out, "  {also:<42} {}", words::also(u.also_why))?;
        }
    }
    nsg_rules(out, r, &r.source_region, "replication", r.source_rules())?;
    // A pair of one region (zone to zone) replicates one way.
    let back = if r.target_region.id == r.source_region.id {
        "replication"
    } else {
        "replication back after failover"
    };
    nsg_rules(out, r, &r.target_region, back, r.target_rules())?;
    platform(out, r)?;
    writeln!(out)?;
    private_endpoints(out, &r.private_endpoints)?;
    writeln!(out)?;
    churn(out, r)?;
    writeln!(out)?;
    for n in &r.notes {
        writeln!(out, "- {}", words::note(n))?;
    }
    Ok(())
}

/// The rules of one region's NSG.
fn nsg_rules(
    out: &mut dyn Write,
    r: &RegionRequirements,
    here: &Region,
    why: &str,
    rules: &[NsgRule],
) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(out, "NSG rules in {} ({why}):", here.tag_suffix)?;
    for rule in rules {
        let unknown = match rule.tag_known {
            Some(true) => String::new(),
            None => format!("  (not checked: pass {} with --service-tags)", r.tag_file),
            Some(false) => "  (tag not in the service-tag data)".to_string(),
        };
        writeln!(
            out,
            "  allow {:<28} {}{}{unknown}",
            rule.tag,
            rule.endpoint,
            need_note(rule.need)
        )?;
    }
    Ok(())
}

/// What private endpoints require: each zone, the vault's names, the page's
/// prerequisites.
fn private_endpoints(out: &mut dyn Write, p: &PrivateEndpoints) -> std::io::Result<()> {
    writeln!(
        out,
        "Private endpoints (\"Replicate machines with private endpoints\"):"
    )?;
    let zone = |out: &mut dyn Write, what: &str, z: &PrivateZone| -> std::io::Result<()> {
        writeln!(
            out,
            "  {what}: target sub-resource {}, private DNS zone {}",
            z.sub_resource, z.zone
        )?;
        if let Some(names) = &z.names {
            writeln!(out, "    its names: {names}")?;
        }
        if let Some(note) = z.names_note {
            writeln!(out, "      ({note})")?;
        }
        writeln!(
            out,
            "    a custom DNS server forwards {} to Azure DNS (168.63.129.16)",
            z.forwarder
        )
    };
    match &p.vault {
        Some(z) => zone(out, "vault", z)?,
        None => writeln!(
            out,
            "  vault: no private DNS zone for Site Recovery's vault is documented in this cloud"
        )?,
    }
    if let Some(z) = &p.cache_storage {
        zone(out, "cache storage account (optional)", z)?;
    }
    for n in p.prerequisites {
        writeln!(out, "  - {n}")?;
    }
    Ok(())
}

/// The platform services reached directly, and the certificate
/// authorities' hosts on HTTP port 80.
fn platform(out: &mut dyn Write, r: &RegionRequirements) -> std::io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "Azure platform (directly, never through a proxy; an NSG filters it only by a rule naming its tag):"
    )?;
    for p in r.platform {
        writeln!(
            out,
            "  {:<16} {:<15} {}, NSG tag {}",
            p.address, p.port, p.service, p.tag
        )?;
        writeln!(out, "  {:<16} {:<15} {}", "", "", p.purpose)?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Certificate authorities' hosts, may be needed (HTTP, TCP 80; issuer certificates, revocation lists, OCSP):"
    )?;
    for h in &r.ca_hosts {
        writeln!(
            out,
            "  {:<42} {}",
            h.host,
            crate::render::ca_service(h.service)
        )?;
    }
    Ok(())
}

/// The data churn limits: per VM, and per disk in each table; High Churn's
/// only where the source region has it.
fn churn(out: &mut dyn Write, r: &RegionRequirements) -> std::io::Result<()> {
    let c = &r.churn_limits;
    let mut tables: Vec<(&str, &[DiskLimit])> = vec![("standard churn", c.per_disk)];
    match &c.high_churn {
        HighChurn::Available => {
            writeln!(
                out,
                "Data churn limits: {} MB/s per VM ({} MB/s with High Churn); per disk:",
                c.per_vm_mbps, c.per_vm_high_churn_mbps
            )?;
            tables.push(("High Churn", c.per_disk_high_churn));
        }
        HighChurn::Unavailable { .. } => {
            writeln!(
                out,
                "Data churn limits: {} MB/s per VM; per disk:",
                c.per_vm_mbps
            )?;
        }
    }
    for (title, table) in tables {
        writeln!(out, "  {title}:")?;
        for row in table {
            writeln!(
                out,
                "    {:<30} {:<15} {:>3} MB/s",
                row.disk, row.io, row.mbps
            )?;
        }
    }
    if let HighChurn::Unavailable { region, why } = &c.high_churn {
        return writeln!(out, "  {}.", words::high_churn_missing(region, *why));
    }
    enhanced_churn(out, r)
}

/// The Enhanced Churn preview: its maxima, regions and needs, and its
/// per-disk table, each column as wide as its heading needs.
fn enhanced_churn(out: &mut dyn Write, r: &RegionRequirements) -> std::io::Result<()> {
    let e = &r.churn_limits.enhanced_churn;
    writeln!(
        out,
        "  Enhanced Churn (preview): up to {} MB/s per VM and {} MB/s per disk, in {}; needs {}.",
        e.per_vm_mbps,
        e.per_disk_max_mbps,
        e.regions.join(", "),
        words::enhanced_churn_needs(e.requires)
    )?;
    let widths: Vec<usize> = e.io_sizes.iter().map(|s| s.len().max(6) + 2).collect();
    let columns = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:>w$}"))
            .collect::<String>()
    };
    writeln!(
        out,
        "    {:<18}{}",
        "source disk, MB/s",
        columns(e.io_sizes.iter().map(|s| s.to_string()).collect())
    )?;
    for row in e.per_disk_by_source_size {
        writeln!(
            out,
            "    {:<18}{}",
            format!("{} GiB", row.source_disk_gib),
            columns(row.mbps.iter().map(|m| m.to_string()).collect())
        )?;
    }
    Ok(())
}

/// The rules as `az` commands for a POSIX shell, with placeholders for the
/// resource group and each region's NSG.
pub(crate) fn az(out: &mut dyn Write, r: &RegionRequirements) -> std::io::Result<()> {
    let (s, t) = (&r.source_region, &r.target_region);
    writeln!(
        out,
        "# Site Recovery outbound rules, {} -> {} (paste into a POSIX shell).",
        s.tag_suffix, t.tag_suffix
    )?;
    writeln!(
        out,
        "# Set the resource group and the NSG of each region's subnet first:"
    )?;
    writeln!(out, "RG='<resource-group>'")?;
    for region in [s, t] {
        writeln!(
            out,
            "NSG_{}='<nsg-of-the-subnet-in-{}>'",
            region.tag_suffix.to_ascii_uppercase(),
            region.id
        )?;
    }
    writeln!(
        out,
        "# Priorities 200-250: change them if rules of yours already use them."
    )?;
    for (i, rule) in r.nsg_rules.iter().enumerate() {
        let nsg = format!("\"$NSG_{}\"", rule.region.to_ascii_uppercase());
        if rule.need != Need::Always {
            writeln!(
                out,
                "# {}:",
                need_note(rule.need).trim().trim_matches(['(', ')'])
            )?;
        }
        let priority = 200 + (i % r.urls.len()) * 10;
        writeln!(
            out,
            "{}",
            advice::nsg_rule_command(
                "\"$RG\"",
                &nsg,
                &priority.to_string(),
                &rule.tag,
                Some(rule.endpoint),
            )
        )?;
    }
    Ok(())
}

fn need_note(n: Need) -> &'static str {
    match n {
        Need::Always => "",
        Need::AdeVms => " (only for ADE-enabled VMs via the portal)",
        Need::AgentAutoUpgrade => " (only for Mobility agent auto-upgrade via the portal)",
    }
}
