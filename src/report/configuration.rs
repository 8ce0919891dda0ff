//! `asrscope check` as text: one block per requirement, its verdict, the
//! rule and route it rests on, and the fix.

use crate::model::{ConfigCheck, ConfigStatus, Need};
use crate::render;
use crate::sanitize::for_terminal;
use std::io::{self, Write};

fn status_word(s: ConfigStatus) -> &'static str {
    match s {
        ConfigStatus::Ok => "ok",
        ConfigStatus::Denied => "DENIED",
        ConfigStatus::AdminRuleDenied => "ADMIN DENIED",
        ConfigStatus::ViaAppliance => "VIA NVA",
        ConfigStatus::ForcedTunnel => "TUNNELLED",
        ConfigStatus::Dropped => "DROPPED",
        ConfigStatus::FirewallDenied => "FW DENIED",
        ConfigStatus::StorageFirewallDenied => "STORAGE DENIED",
        ConfigStatus::DnsZoneNotLinked => "DNS ZONE NOT LINKED",
        ConfigStatus::DnsRecordMissing => "DNS RECORD MISSING",
        ConfigStatus::NoOutbound => "NO OUTBOUND",
        ConfigStatus::EndpointPolicyDenied => "POLICY DENIED",
        ConfigStatus::Unknown => "UNKNOWN",
    }
}

/// Writes the check as text.
pub(crate) fn write(c: &ConfigCheck, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "Site Recovery requirements against the exported configuration: {} -> {} ({})",
        c.source_region.tag_suffix,
        c.target_region.tag_suffix,
        render::cloud_name(c.cloud)
    )?;
    let t = &c.service_tags;
    let age = c
        .service_tags_age_days
        .map(|d| format!(", {d} days ago"))
        .unwrap_or_default();
    writeln!(
        out,
        "Service-tag data: {} {}, changeNumber {}, published {}{age}; every verdict is per prefix of it",
        for_terminal(&t.cloud),
        for_terminal(&t.source),
        t.change_number,
        t.published.as_deref().unwrap_or("on an unknown date"),
    )?;
    if c.service_tags_stale {
        writeln!(
            out,
            "  STALE: older than {} days; tags change weekly: pass the current {} with --service-tags ({})",
            crate::model::STALE_TAGS_DAYS,
            render::tag_file(c.cloud),
            render::tag_download(c.cloud)
        )?;
    }
    writeln!(
        out,
        "NSGs: {}; routes: {}",
        if c.nsgs.is_empty() {
            "none given (--nsg)".to_string()
        } else {
            for_terminal(&c.nsgs.join(", "))
        },
        if c.routes == 0 {
            "none given (--routes)".to_string()
        } else {
            c.routes.to_string()
        }
    )?;
    if !c.exports.is_empty() {
        writeln!(
            out,
            "exports: {}",
            for_terminal(&render::network::exports_text(&c.exports))
        )?;
    }
    for n in &c.notes {
        writeln!(out, "note: {}", for_terminal(&render::check::note(n)))?;
    }
    for r in &c.requirements {
        let need = match r.need {
            Need::Always => "",
            Need::AdeVms => " (only for Azure Disk Encryption VMs)",
            Need::AgentAutoUpgrade => " (only for agent auto-upgrade)",
        };
        writeln!(out)?;
        writeln!(
            out,
            "{:<9} {}  TCP 443 to {}{need}",
            status_word(r.status),
            r.endpoint,
            r.tag
        )?;
        for e in render::check::evidence_lines(r) {
            writeln!(out, "          {}", for_terminal(&e))?;
        }
        for f in &r.fixes {
            fix(out, f)?;
        }
    }
    platform(c, out)?;
    writeln!(out)?;
    verdict(c, out)
}

/// A fix: its prose after `fix:`, and each `az` command whole on a line
/// of its own, so that it can be pasted.
fn fix(out: &mut impl Write, f: &crate::model::Fix) -> io::Result<()> {
    let mut lead = "    fix: ";
    for part in render::fix_parts(f) {
        match part {
            render::FixPart::Prose(p) => {
                let p = p.trim_start_matches([',', ';', ' ']).trim();
                if !p.is_empty() {
                    writeln!(out, "{lead} {}", for_terminal(p))?;
                }
            }
            render::FixPart::Command(c) => {
                writeln!(out, "          {}", for_terminal(&c))?;
            }
        }
        lead = "         ";
    }
    Ok(())
}

/// The last line: ready, or what is not.
fn verdict(c: &ConfigCheck, out: &mut impl Write) -> io::Result<()> {
    if c.ok {
        return writeln!(
            out,
            "Every endpoint Site Recovery always needs is allowed and routed well."
        );
    }
    let endpoints = c
        .requirements
        .iter()
        .filter(|r| r.need == Need::Always && r.status != ConfigStatus::Ok)
        .map(|r| r.endpoint);
    let platform = c
        .platform
        .iter()
        .filter(|p| p.status != ConfigStatus::Ok)
        .map(|p| p.tag);
    let bad: Vec<&str> = endpoints.chain(platform).collect();
    writeln!(
        out,
        "Not ready for replication: {} (see above).",
        bad.join(", ")
    )
}

/// The platform services (IMDS, Azure-provided DNS) by the rules that name
/// their service tags.
fn platform(c: &ConfigCheck, out: &mut impl Write) -> io::Result<()> {
    writeln!(out)?;
    writeln!(
        out,
        "Azure platform services (an NSG filters them only by a rule naming their service tag):"
    )?;
    for p in &c.platform {
        let why = match &p.denied_by {
            Some(d) => format!(
                "denied by {} of {} (priority {})",
                for_terminal(&d.rule),
                for_terminal(&d.nsg),
                d.priority
            ),
            None => format!("no rule denies {}", p.tag),
        };
        writeln!(
            out,
            "{:<9} {} {} {} {} to {}: {why}",
            status_word(p.status),
            p.service,
            p.address,
            if p.protocol == "*" {
                "UDP/TCP".to_string()
            } else {
                p.protocol.to_ascii_uppercase()
            },
            p.port,
            p.tag
        )?;
        for f in &p.fixes {
            fix(out, f)?;
        }
    }
    Ok(())
}
