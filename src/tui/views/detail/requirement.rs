//! The detail of one requirement: the endpoint, its status, NSG tag, purpose
//! and evidence, then the findings about it with their fixes, then its flows.

use super::parts::{field, findings_for, findings_section, section};
use crate::model::{JudgedFlow, Need, Requirement, Snapshot};
use crate::tui::views::{Glyphs, clean, glyphs, hms, status_mark, verdict_mark};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// Flows listed at most in a requirement's detail.
const MAX_FLOWS: usize = 200;

/// The logical lines of a requirement's detail.
pub fn requirement_lines(snap: &Snapshot, idx: usize, ascii: bool) -> Vec<Line<'static>> {
    let g = glyphs(ascii);
    let Some(r) = snap.diagnosis.requirements.get(idx) else {
        return vec![Line::from("no such requirement")];
    };
    let admin = super::flow::admin_lines(r.admin.as_ref());
    let config = super::flow::config_lines(r.nsg.as_ref(), r.route.as_ref(), g);
    let firewall = super::flow::firewall_lines(r.firewall.as_ref());
    let storage = super::flow::storage_lines(r.storage.as_ref());
    let dns = super::flow::private_dns_lines(r.dns.as_ref());
    let outbound = super::flow::outbound_lines(r.outbound.as_ref());
    let policy = super::flow::endpoint_policy_lines(r.endpoint_policy.as_ref());
    [
        field_lines(r, g),
        admin,
        config,
        outbound,
        firewall,
        policy,
        storage,
        dns,
        findings_section("Findings and fixes", &findings_for(snap, Some(r.id))),
        flow_list(snap, r, g),
    ]
    .concat()
}

/// Endpoint, status, NSG tag, purpose, when it is needed, flow counts per
/// verdict, evidence and when it was last seen.
fn field_lines(r: &Requirement, g: &Glyphs) -> Vec<Line<'static>> {
    let plain = Style::new();
    let (mark, style) = status_mark(r.status, g);
    let counts: Vec<String> = r.verdicts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let mut out = vec![
        field(
            "endpoint",
            clean(r.endpoint),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        field("status", mark, style),
        field("NSG tag", clean(&r.tag.to_string()), plain),
        field("purpose", clean(r.purpose), plain),
        field("needed", need_text(r.need).into(), plain),
        field(
            "flows",
            if counts.is_empty() {
                r.flows.to_string()
            } else {
                format!("{}: {}", r.flows, counts.join(", "))
            },
            plain,
        ),
    ];
    let evidence = r.cause.as_ref().map(crate::render::cause);
    if let Some(e) = evidence.filter(|e| !e.is_empty()) {
        out.push(field("evidence", clean(&e), plain));
    }
    if r.sources.len() as u64 + r.sources_left_off > 1 {
        let vms = crate::render::reason::sources_list(&r.sources, r.sources_left_off);
        out.push(field("VMs", vms, plain));
    }
    if let Some(t) = r.last_seen {
        out.push(field("last seen", hms(t), plain));
    }
    out
}

fn need_text(need: Need) -> &'static str {
    match need {
        Need::Always => "always",
        Need::AdeVms => "only to enable replication of Azure Disk Encryption VMs from the portal",
        Need::AgentAutoUpgrade => "only for the Mobility agent's auto-upgrade from the portal",
    }
}

/// The flows to the endpoint (the first [`MAX_FLOWS`]), one line each: time,
/// verdict, name and reason.
fn flow_list(snap: &Snapshot, r: &Requirement, g: &Glyphs) -> Vec<Line<'static>> {
    let flows: Vec<&JudgedFlow> = snap
        .flows
        .iter()
        .filter(|j| j.verdict.endpoint_id() == Some(r.id))
        .take(MAX_FLOWS)
        .collect();
    if flows.is_empty() {
        return Vec::new();
    }
    let mut out = section("Flows");
    for j in flows {
        let (m, st) = verdict_mark(j.verdict.verdict, g);
        out.push(Line::from(vec![
            Span::styled(
                format!("{} ", hms(j.flow.first_seen)),
                Style::new().fg(Color::DarkGray),
            ),
            Span::styled(m, st),
            Span::raw(format!(
                " {}: {}",
                clean(j.flow.name().unwrap_or("-")),
                clean(&crate::render::reason::flow(&j.verdict))
            )),
        ]));
    }
    out
}
