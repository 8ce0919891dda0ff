//! `asrscope requirements`: Site Recovery's network requirements for a region
//! pair, without any capture: the URLs, and the NSG rules for both regions
//! (the target region's rules are what replication needs after failover, to
//! replicate back).

use super::config;
use crate::azure::churn;
use crate::azure::endpoints::CATALOG;
use crate::azure::regions;
use crate::cli::{RequirementsArgs, RequirementsFormat};
use crate::model::{Need, Region};
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
    pub tag: String,
    /// Why.
    pub purpose: &'static str,
    /// When it is needed.
    pub need: Need,
    /// Whether the tag exists in the service-tag data.
    pub tag_known: bool,
}

/// Rules for the NSG of `here`, replicating to `there`.
pub fn rules(
    here: &Region,
    there: &Region,
    db: &crate::azure::tags::TagDb,
    catalog: &[crate::azure::endpoints::Endpoint],
) -> Vec<NsgRule> {
    catalog
        .iter()
        .map(|e| {
            let tag = e.tag.tag(Some(&here.tag_suffix), Some(&there.tag_suffix));
            NsgRule {
                region: here.tag_suffix.clone(),
                endpoint: e.pattern,
                tag_known: db.tag(&tag).is_some(),
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
    let mut all = rules(&s, &t, tags.db(), &catalog);
    all.extend(rules(&t, &s, tags.db(), &catalog));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match a.format {
        RequirementsFormat::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                cloud: crate::model::Cloud,
                source_region: &'a Region,
                target_region: &'a Region,
                urls: Vec<(&'static str, &'static str, Need)>,
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
            }
            let doc = Doc {
                cloud,
                source_region: &s,
                target_region: &t,
                urls: catalog
                    .iter()
                    .map(|e| (e.pattern, e.purpose, e.need))
                    .collect(),
                nsg_rules: &all,
                notes: NOTES,
                churn_limits: Churn {
                    per_vm_mbps: churn::PER_VM_MBPS,
                    per_vm_high_churn_mbps: churn::PER_VM_HIGH_CHURN_MBPS,
                    per_disk: churn::STANDARD,
                    per_disk_high_churn: churn::HIGH_CHURN,
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
            }
            for (here, there) in [(&s, &t), (&t, &s)] {
                writeln!(out)?;
                let why = if here.id == s.id {
                    "replication"
                } else {
                    "replication back after failover"
                };
                writeln!(out, "NSG rules in {} ({why}):", here.tag_suffix)?;
                for r in all
                    .iter()
                    .filter(|r| r.region == here.tag_suffix && std::ptr::eq(here, here))
                {
                    let _ = there;
                    let file = crate::azure::clouds::tag_file(cloud);
                    let unknown = if r.tag_known {
                        String::new()
                    } else if crate::azure::clouds::of_tag_file(&tags.db().meta().cloud)
                        != Some(cloud)
                    {
                        format!("  (not checked: pass {file} with --service-tags)")
                    } else {
                        "  (tag not in the service-tag data)".to_string()
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
                let nsg = format!("$NSG_{}", r.region.to_ascii_uppercase());
                let name = format!("Allow-ASR-{}", r.tag.replace('.', "-"));
                if r.need != Need::Always {
                    writeln!(
                        out,
                        "# {}:",
                        need_note(r.need).trim().trim_matches(['(', ')'])
                    )?;
                }
                writeln!(
                    out,
                    "az network nsg rule create --resource-group \"$RG\" --nsg-name \"{nsg}\" --name '{name}' --priority {} --direction Outbound --access Allow --protocol Tcp --source-address-prefixes VirtualNetwork --source-port-ranges '*' --destination-address-prefixes '{}' --destination-port-ranges 443 --description 'Site Recovery: {}'",
                    200 + (i % CATALOG.len()) * 10,
                    r.tag,
                    r.endpoint
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
