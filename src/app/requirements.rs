//! `asrscope requirements`: Site Recovery's network requirements for a region
//! pair, without any capture: the URLs, and the NSG rules for both regions
//! (the target region's rules are what replication needs after failover, to
//! replicate back).

use super::config;
use crate::azure::churn;
use crate::azure::endpoints::CATALOG;
use crate::azure::regions;
use crate::cli::{RequirementsArgs, RequirementsFormat};
use crate::model::{Cloud, Need, Region, TagName};
use crate::render::advice;
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

/// One NSG rule.
#[derive(Debug, Clone, Serialize)]
pub struct NsgRule {
    /// The region whose NSG gets the rule.
    pub region: String,
    /// Endpoint URL pattern.
    pub endpoint: &'static str,
    /// Destination service tag.
    pub tag: TagName,
    /// Why.
    pub purpose: &'static str,
    /// When it is needed.
    pub need: Need,
    /// Whether the tag exists in the service-tag data; absent (null) when
    /// the data is another cloud's and cannot tell.
    pub tag_known: Option<bool>,
}

/// Rules for the NSG of `here`, replicating to `there`, in `cloud`.
pub fn rules(
    here: &Region,
    there: &Region,
    db: &crate::azure::tags::TagDb,
    catalog: &[crate::azure::endpoints::Endpoint],
    cloud: Cloud,
) -> Vec<NsgRule> {
    let same_cloud = crate::azure::clouds::of_tag_file(&db.meta().cloud) == Some(cloud);
    catalog
        .iter()
        .map(|e| {
            let tag = e.tag.tag_for(&here.tag_suffix, &there.tag_suffix);
            NsgRule {
                region: here.tag_suffix.clone(),
                endpoint: e.pattern,
                tag_known: same_cloud.then(|| db.tag(tag.as_str()).is_some()),
                tag,
                purpose: e.purpose,
                need: e.need,
            }
        })
        .collect()
}

/// Runs `requirements`.
pub fn run(a: &RequirementsArgs) -> anyhow::Result<ExitCode> {
    let tags = config::load_tags(a.service_tags.as_deref())?;
    let known = config::known_regions(tags.db());
    let s = regions::resolve(&known, &a.source_region, "--source-region")?.clone();
    let t = regions::resolve(&known, &a.target_region, "--target-region")?.clone();
    let cloud = a
        .cloud
        .map(|c| c.cloud())
        .unwrap_or_else(|| crate::azure::clouds::of_region(&s.id));
    let catalog: Vec<crate::azure::endpoints::Endpoint> =
        CATALOG.iter().map(|e| e.in_cloud(cloud)).collect();
    let mut all = rules(&s, &t, tags.db(), &catalog, cloud);
    all.extend(rules(&t, &s, tags.db(), &catalog, cloud));
    let mut out = super::stdout();
    match a.format {
        RequirementsFormat::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                cloud: crate::model::Cloud,
                source_region: &'a Region,
                target_region: &'a Region,
                urls: Vec<(String, &'static str, Need)>,
                nsg_rules: &'a [NsgRule],
                notes: &'a [&'a str],
                churn_limits: Churn,
            }
            #[derive(Serialize)]
            struct Churn {
                per_vm_mbps: f64,
                per_vm_high_churn_mbps: f64,
                per_disk: &'static [churn::DiskLimit],
                per_disk_high_churn: &'static [churn::DiskLimit],
                enhanced_churn: Enhanced,
            }
            #[derive(Serialize)]
            struct Enhanced {
                per_vm_mbps: f64,
                per_disk_max_mbps: f64,
                regions: &'static [&'static str],
                requires: &'static str,
                io_sizes: &'static [&'static str],
                per_disk_by_source_size: &'static [churn::SizeLimit],
            }
            let doc = Doc {
                cloud,
                source_region: &s,
                target_region: &t,
                urls: catalog
                    .iter()
                    .map(|e| (e.urls().join(" "), e.purpose, e.need))
                    .collect(),
                nsg_rules: &all,
                notes: NOTES,
                churn_limits: Churn {
                    per_vm_mbps: churn::PER_VM_MBPS,
                    per_vm_high_churn_mbps: churn::PER_VM_HIGH_CHURN_MBPS,
                    per_disk: churn::STANDARD,
                    per_disk_high_churn: churn::HIGH_CHURN,
                    enhanced_churn: Enhanced {
                        per_vm_mbps: churn::PER_VM_ENHANCED_CHURN_MBPS,
                        per_disk_max_mbps: churn::PER_DISK_ENHANCED_CHURN_MBPS,
                        regions: churn::ENHANCED_CHURN_REGIONS,
                        requires: churn::ENHANCED_CHURN_NEEDS,
                        io_sizes: churn::ENHANCED_CHURN_IO,
                        per_disk_by_source_size: churn::ENHANCED_CHURN,
                    },
                },
            };
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
        RequirementsFormat::Text => {
            writeln!(
                out,
                "Site Recovery network requirements: {} -> {} ({})",
                s.tag_suffix,
                t.tag_suffix,
                crate::azure::clouds::display(cloud)
            )?;
            writeln!(out, "All outbound, HTTPS (TCP 443).")?;
            writeln!(out)?;
            writeln!(out, "URLs (URL-filtering firewall or proxy):")?;
            for e in &catalog {
                writeln!(
                    out,
                    "  {:<42} {}{}",
                    e.pattern,
                    e.purpose,
                    need_note(e.need)
                )?;
                for u in e.url_also {
                    writeln!(out, "  {u:<42} (also documented for this endpoint)")?;
                }
            }
            for (here, list) in [(&s, &all[..catalog.len()]), (&t, &all[catalog.len()..])] {
                writeln!(out)?;
                let why = if here.id == s.id {
                    "replication"
                } else {
                    "replication back after failover"
                };
                writeln!(out, "NSG rules in {} ({why}):", here.tag_suffix)?;
                for r in list {
                    let file = crate::azure::clouds::tag_file(cloud);
                    let unknown = match r.tag_known {
                        Some(true) => String::new(),
                        None => format!("  (not checked: pass {file} with --service-tags)"),
                        Some(false) => "  (tag not in the service-tag data)".to_string(),
                    };
                    writeln!(
                        out,
                        "  allow {:<28} {}{}{unknown}",
                        r.tag,
                        r.endpoint,
                        need_note(r.need)
                    )?;
                }
            }
            writeln!(out)?;
            writeln!(
                out,
                "Data churn limits: {} MB/s per VM ({} MB/s with High Churn); per disk:",
                churn::PER_VM_MBPS,
                churn::PER_VM_HIGH_CHURN_MBPS
            )?;
            for (title, table) in [
                ("standard churn", churn::STANDARD),
                ("High Churn", churn::HIGH_CHURN),
            ] {
                writeln!(out, "  {title}:")?;
                for r in table {
                    writeln!(out, "    {:<30} {:<15} {:>3} MB/s", r.disk, r.io, r.mbps)?;
                }
            }
            writeln!(
                out,
                "  Enhanced Churn (preview): up to {} MB/s per VM and {} MB/s per disk, in {}; needs {}.",
                churn::PER_VM_ENHANCED_CHURN_MBPS,
                churn::PER_DISK_ENHANCED_CHURN_MBPS,
                churn::ENHANCED_CHURN_REGIONS.join(", "),
                churn::ENHANCED_CHURN_NEEDS
            )?;
            writeln!(
                out,
                "    {:<18} {}",
                "source disk, MB/s",
                churn::ENHANCED_CHURN_IO
                    .iter()
                    .map(|io| format!("{io:>8}"))
                    .collect::<String>()
            )?;
            for r in churn::ENHANCED_CHURN {
                writeln!(
                    out,
                    "    {:<18} {}",
                    format!("{} GiB", r.source_disk_gib),
                    r.mbps.iter().map(|m| format!("{m:>8}")).collect::<String>()
                )?;
            }
            writeln!(out)?;
            for n in NOTES {
                writeln!(out, "- {n}")?;
            }
        }
        RequirementsFormat::Az => {
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
            for r in [&s, &t] {
                writeln!(
                    out,
                    "NSG_{}='<nsg-of-the-subnet-in-{}>'",
                    r.tag_suffix.to_ascii_uppercase(),
                    r.id
                )?;
            }
            writeln!(
                out,
                "# Priorities 200-250: change them if rules of yours already use them."
            )?;
            for (i, r) in all.iter().enumerate() {
                let nsg = format!("\"$NSG_{}\"", r.region.to_ascii_uppercase());
                if r.need != Need::Always {
                    writeln!(
                        out,
                        "# {}:",
                        need_note(r.need).trim().trim_matches(['(', ')'])
                    )?;
                }
                writeln!(
                    out,
                    "{}",
                    advice::nsg_rule_command(
                        "\"$RG\"",
                        &nsg,
                        &(200 + (i % CATALOG.len()) * 10).to_string(),
                        &r.tag,
                        Some(r.endpoint),
                    )
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn need_note(n: Need) -> &'static str {
    match n {
        Need::Always => "",
        Need::AdeVms => " (only for ADE-enabled VMs via the portal)",
        Need::AgentAutoUpgrade => " (only for Mobility agent auto-upgrade via the portal)",
    }
}

/// What the documentation adds to the rules.
pub const NOTES: &[&str] = &[
    "Allow service tags or URLs, never IP address lists: IP-based filtering should not be used for Site Recovery, and its IP addresses should not be added to route tables.",
    "An authenticated proxy is not supported; only unauthenticated proxies work.",
    "With an NVA in the path, create a virtual network service endpoint for Microsoft.Storage so that replication traffic does not go through (and throttle) the appliance; with forced tunnelling, the same keeps it inside the Azure boundary.",
    "With a firewall on the cache or target storage account, enable \"Allow trusted Microsoft services\" and allow access to at least one subnet of the source virtual network (with a user-assigned managed identity on the vault, allow access from all networks instead).",
    "Create the rules on a test NSG first and check that nothing breaks before changing the production NSG.",
];
