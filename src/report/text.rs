//! The human report, readable in 100 columns: what was analysed, the
//! requirement checklist, findings with their fixes (most severe first), and
//! the flows that matter.

use crate::dates::rfc3339_us;
use crate::model::{
    Analysis, CaptureEnd, CapturePoint, Cloud, CloudChoice, Diagnosis, JudgedFlow, Need,
    ReadSummary, RegionChoice, Status, TagName, Verdict,
};
use crate::render;
use crate::sanitize::for_terminal;
use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;

/// Most flows listed; the rest are counted.
pub(crate) const MAX_LISTED: usize = 40;
/// Width of the report.
pub(crate) const WIDTH: usize = 100;

fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('~');
        t
    }
}

/// Writes `text` wrapped at [`WIDTH`], the first line after `first`, the
/// others indented by `indent` spaces.
fn wrapped(out: &mut dyn Write, first: &str, indent: usize, text: &str) -> std::io::Result<()> {
    for l in wrap_lines(first, indent, text) {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// Writes a fix: its prose wrapped as [`wrapped`] does, the first line after
/// `first`, and each `az` command whole on a line of its own, `indent`
/// spaces in, however long, so that it can be pasted. Prose that goes on
/// after a command starts its own line, without the comma or semicolon
/// that joined it to the command in the sentence.
pub(crate) fn fix(
    out: &mut dyn Write,
    first: &str,
    indent: usize,
    f: &crate::model::Fix,
) -> std::io::Result<()> {
    let pad = " ".repeat(indent);
    let mut lead = first.to_string();
    for part in render::fix_parts(f) {
        match part {
            render::FixPart::Prose(p) => {
                let p = if lead == first {
                    p.trim().to_string()
                } else {
                    p.trim_start_matches([',', ';', ' ']).trim().to_string()
                };
                if !p.is_empty() {
                    wrapped(out, &lead, indent, &for_terminal(&p))?;
                }
            }
            render::FixPart::Command(c) => {
                if lead == first {
                    writeln!(out, "{first}")?;
                }
                writeln!(out, "{pad}{}", for_terminal(&c))?;
            }
        }
        lead.clone_from(&pad);
    }
    Ok(())
}

/// A no-break space between words that must stay on one line; written as a
/// plain space.
const NBSP: char = '\u{a0}';

/// Lines of at most [`WIDTH`] columns: `first` then `text`, wrapped at spaces
/// with `indent` before each continuation line. A word longer than a line
/// (a hostile server name) is cut into pieces that fit; words joined by
/// [`NBSP`] move together.
fn wrap_lines(first: &str, indent: usize, text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first.to_string();
    if !line.is_empty() && !line.ends_with(' ') {
        line.push(' ');
    }
    let mut col = line.chars().count();
    let mut empty = true;
    let room = WIDTH.saturating_sub(indent).max(20);
    for word in text.split(' ') {
        let mut rest: Vec<char> = word.chars().collect();
        loop {
            let w = rest.len();
            if !empty && col + 1 + w > WIDTH {
                lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
                col = indent;
                empty = true;
            }
            if !empty {
                line.push(' ');
                col += 1;
            }
            // A word too long for any line is cut where the line ends.
            let fits = WIDTH.saturating_sub(col).max(1);
            if w > fits && w > room {
                line.extend(rest.drain(..fits));
                lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
                col = indent;
                empty = true;
                continue;
            }
            line.extend(rest.iter());
            col += w;
            empty = false;
            break;
        }
    }
    lines.push(line);
    lines.into_iter().map(|l| l.replace(NBSP, " ")).collect()
}

/// What the report needs of the flows, gathered as they finish, in bounded
/// memory: counts, and at most [`MAX_LISTED`] flows that matter (Site
/// Recovery flows and flows that did not work), failures first.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    by_verdict: BTreeMap<Verdict, u64>,
    tcp: u64,
    udp: u64,
    problems: Vec<JudgedFlow>,
    asr_ok: Vec<JudgedFlow>,
    matter: u64,
}

impl Summary {
    /// Accounts one flow in the totals only, without listing it (a support
    /// bundle's report lists Site Recovery flows only).
    pub(crate) fn count(&mut self, j: &JudgedFlow) {
        *self.by_verdict.entry(j.verdict.verdict).or_default() += 1;
        match j.flow.transport {
            crate::model::Transport::Tcp => self.tcp += 1,
            crate::model::Transport::Udp => self.udp += 1,
        }
    }

    /// Accounts one flow.
    pub(crate) fn add(&mut self, j: &JudgedFlow) {
        self.count(j);
        let bad = !matches!(j.verdict.verdict, Verdict::Allowed | Verdict::Incomplete);
        let v = if bad {
            &mut self.problems
        } else if j.verdict.endpoint.is_some() {
            &mut self.asr_ok
        } else {
            return;
        };
        self.matter += 1;
        if v.len() < MAX_LISTED {
            v.push(j.clone());
        }
    }
}

/// Writes the report: what was analysed, the requirement checklist, the
/// findings and the flows that matter.
pub(crate) fn write(out: &mut dyn Write, a: &Analysis, sum: &Summary) -> std::io::Result<()> {
    header(out, a, sum)?;
    writeln!(out)?;
    requirements(out, &a.diagnosis)?;
    writeln!(out)?;
    findings(out, &a.diagnosis)?;
    writeln!(out)?;
    flows_that_matter(out, sum)
}

/// What was analysed: the captures, the regions, the service-tag data,
/// the cloud, the capture's quality and the flows by verdict.
fn header(out: &mut dyn Write, a: &Analysis, sum: &Summary) -> std::io::Result<()> {
    let c = &a.capture;
    let d = &a.diagnosis;
    let span = match (c.first_seen, c.last_seen) {
        (Some(f), Some(l)) => format!("{} + {:.1} s", rfc3339_us(f), (l - f) as f64 / 1e6),
        _ => "no frames".into(),
    };
    let cp = match d.capture_point {
        CapturePoint::Vm => "VM",
        CapturePoint::Nva => "NVA",
    };
    // No input file: the report of a live capture.
    let what = match a.inputs.len() {
        0 => "live capture".to_string(),
        n => format!("{n} capture(s)"),
    };
    writeln!(
        out,
        "asrscope: {what}, {} frames, {span}, taken on the {cp}",
        c.frames
    )?;
    for i in &a.inputs {
        input(out, i)?;
    }
    let region = |r: &Option<RegionChoice>, what: &str| match r {
        Some(r) => format!("{} ({})", r.region.tag_suffix, r.how.as_str()),
        None => format!("unknown (give --{what}-region)"),
    };
    writeln!(
        out,
        "regions: source {}, target {}",
        region(&d.source_region, "source"),
        region(&d.target_region, "target")
    )?;
    let t = &d.service_tags;
    writeln!(
        out,
        "service tags: changeNumber {}, published {}, {} ({} tags)",
        t.change_number,
        t.published.as_deref().unwrap_or("unknown"),
        for_terminal(&d.service_tags_origin),
        t.tags
    )?;
    cloud(out, &d.cloud)?;
    if !d.exports.is_empty() {
        wrapped(
            out,
            "exports:",
            4,
            &for_terminal(&render::network::exports_text(&d.exports)),
        )?;
    }
    quality(out, a)?;
    let mut by_verdict: Vec<(&str, u64)> = sum
        .by_verdict
        .iter()
        .map(|(v, n)| (v.as_str(), *n))
        .collect();
    by_verdict.sort_unstable();
    let hs: Vec<String> = by_verdict.iter().map(|(k, v)| format!("{k} {v}")).collect();
    writeln!(
        out,
        "flows: {} (tcp {}, udp {}): {}",
        sum.tcp + sum.udp,
        sum.tcp,
        sum.udp,
        hs.join(", ")
    )
}

/// One input: its format, link types, frames and how it ended.
fn input(out: &mut dyn Write, i: &ReadSummary) -> std::io::Result<()> {
    let lts: Vec<String> = i.linktypes.iter().map(|l| render::linktype(*l)).collect();
    let end = match &i.end {
        CaptureEnd::Complete => "complete".to_string(),
        CaptureEnd::Damaged {
            after_frame,
            damage,
        } => {
            // The phrase users and scripts look for stays on one line.
            format!(
                "STOPPED{NBSP}after{NBSP}frame{NBSP}{after_frame}: {}",
                for_terminal(&render::capture::damage(damage))
            )
        }
    };
    wrapped(
        out,
        &format!("  {}:", for_terminal(&i.path)),
        4,
        &format!(
            "{:?}, {}, {} frames, {end}",
            i.format,
            lts.join(", "),
            i.frames
        ),
    )
}

/// The cloud, when it is not the public one or its addresses could not be
/// checked.
fn cloud(out: &mut dyn Write, c: &CloudChoice) -> std::io::Result<()> {
    if c.cloud == Cloud::Public && c.addresses_checked {
        return Ok(());
    }
    let unchecked = if c.addresses_checked {
        String::new()
    } else {
        format!(
            "; addresses NOT checked: the service-tag data is another cloud's (pass {} with --service-tags)",
            render::tag_file(c.cloud)
        )
    };
    wrapped(
        out,
        "cloud:",
        4,
        &format!(
            "{} ({}){unchecked}",
            render::cloud_name(c.cloud),
            c.how.as_str()
        ),
    )
}

/// The checklist: one line per endpoint with its evidence and VMs, and the
/// upload rate to the cache account.
fn requirements(out: &mut dyn Write, d: &Diagnosis) -> std::io::Result<()> {
    writeln!(out, "SITE RECOVERY REQUIREMENTS")?;
    writeln!(
        out,
        "  {:<15} {:<42} {:<28} {:>5}",
        "STATUS", "ENDPOINT", "TAG (NSG)", "FLOWS"
    )?;
    for r in &d.requirements {
        let mark = match r.status {
            Status::Ok => "[ok]",
            Status::NotSeen => "[--]",
            _ => "[!!]",
        };
        let ep = match r.need {
            Need::Always => r.endpoint.to_string(),
            Need::AdeVms => format!("{} (ADE VMs)", r.endpoint),
            Need::AgentAutoUpgrade => format!("{} (auto-upgrade)", r.endpoint),
        };
        writeln!(
            out,
            "  {:<15} {:<42} {:<28} {:>5}",
            format!("{mark} {}", render::status(r.status)),
            trunc(&ep, 42),
            trunc(&r.tag.to_string(), 28),
            r.flows
        )?;
        let evidence = r.cause.as_ref().map(render::cause);
        if let Some(e) = evidence.filter(|e| !e.is_empty()) {
            wrapped(out, "                  ", 18, &for_terminal(&e))?;
        }
        let by_vm = render::sources_text(&r.sources, r.sources_left_off);
        if !by_vm.is_empty() {
            wrapped(out, "                  ", 18, &by_vm)?;
        }
        if let Some(fw) = &r.firewall {
            let text = format!("firewall: {}", render::firewall::verdict_text(fw));
            wrapped(out, "                  ", 18, &for_terminal(&text))?;
        }
        if let Some(d) = &r.dns {
            let text = format!("dns: {}", render::private_dns::with_notes(d));
            wrapped(out, "                  ", 18, &for_terminal(&text))?;
        }
    }
    // The rate means something only once there was data to upload.
    let Some(u) = d.cache_upload.as_ref().filter(|u| u.bytes >= 64 * 1024) else {
        return Ok(());
    };
    wrapped(
        out,
        "  upload to the cache account:",
        4,
        &format!(
            "{:.2} MB/s ({}; {:.1}% retransmitted); Site Recovery needs at least {:.2} MB/s (4 MB in 3 s); churn limit {:.0} MB/s per VM, {:.0} MB/s with High Churn",
            u.mbps,
            render::upload_time(u),
            u.retrans_pct,
            d.thresholds.cache_upload_mbps,
            d.thresholds.churn_limit_mbps,
            d.thresholds.high_churn_limit_mbps
        ),
    )
}

/// The findings, most severe first, each with its evidence and fixes.
fn findings(out: &mut dyn Write, d: &Diagnosis) -> std::io::Result<()> {
    if d.findings.is_empty() {
        return writeln!(out, "FINDINGS: none");
    }
    writeln!(out, "FINDINGS (most severe first)")?;
    for (n, f) in d.findings.iter().enumerate() {
        let sev = render::severity(f.severity).to_uppercase();
        wrapped(
            out,
            &format!("{:>2}. {sev}:", n + 1),
            4,
            &for_terminal(&render::finding::title_with_codes(f)),
        )?;
        for e in render::finding::evidence_lines(f) {
            wrapped(out, "    evidence:", 14, &for_terminal(&e))?;
        }
        for x in &f.fixes {
            fix(out, "    fix:", 9, x)?;
        }
    }
    Ok(())
}

/// The flows that matter (failures, then Site Recovery flows that worked),
/// in time order, each with its reason; how many more there were.
fn flows_that_matter(out: &mut dyn Write, sum: &Summary) -> std::io::Result<()> {
    writeln!(out, "FLOWS THAT MATTER")?;
    writeln!(
        out,
        "{:<12} {:<22} {:<33} {:<13} TAG",
        "TIME (UTC)", "SERVER", "NAME", "VERDICT"
    )?;
    let mut listed: Vec<&JudgedFlow> = sum
        .problems
        .iter()
        .chain(sum.asr_ok.iter())
        .take(MAX_LISTED)
        .collect();
    listed.sort_by_key(|j| (j.flow.first_seen, j.flow.id));
    for j in &listed {
        let f = &j.flow;
        let t = rfc3339_us(f.first_seen);
        let server = SocketAddr::new(f.dst_ip, f.dst_port).to_string();
        let name = f.name().map(for_terminal).unwrap_or_else(|| "-".into());
        let tag = j.verdict.service_tag.as_ref().map(TagName::as_str);
        writeln!(
            out,
            "{:<12} {:<22} {:<33} {:<13} {}",
            &t[11..23],
            trunc(&server, 22),
            trunc(&name, 33),
            j.verdict.verdict.as_str(),
            trunc(
                tag.or(j.verdict.platform)
                    .or(j.verdict.ca_service.map(render::ca_service))
                    .unwrap_or("-"),
                16
            )
        )?;
        let reason = render::reason::flow(&j.verdict);
        wrapped(out, "             ", 13, &for_terminal(&reason))?;
        if let Some(fw) = &j.verdict.firewall {
            let text = format!("firewall: {}", render::firewall::verdict_text(fw));
            wrapped(out, "             ", 13, &for_terminal(&text))?;
        }
        if let Some(d) = &j.verdict.dns {
            let text = format!("dns: {}", render::private_dns::verdict_text(d));
            wrapped(out, "             ", 13, &for_terminal(&text))?;
        }
        if let Some(o) = j.verdict.outbound.as_ref().filter(|o| !o.allowed()) {
            let text = format!("way out: {}", render::outbound::way(o));
            wrapped(out, "             ", 13, &for_terminal(&text))?;
        }
        if let Some(p) = &j.verdict.endpoint_policy {
            let text = format!(
                "service endpoint policy: {}",
                render::endpoint_policy::text(p)
            );
            wrapped(out, "             ", 13, &for_terminal(&text))?;
        }
    }
    let more = sum.matter.saturating_sub(listed.len() as u64);
    if more > 0 {
        writeln!(
            out,
            "... {more} more (all flows: --csv FILE or --format json)"
        )?;
    }
    if listed.is_empty() {
        writeln!(out, "(no Site Recovery flow and no failed flow)")?;
    }
    Ok(())
}

fn quality(out: &mut dyn Write, a: &Analysis) -> std::io::Result<()> {
    let q = super::quality::notes(&a.capture);
    if q.is_empty() {
        writeln!(out, "capture quality: nothing missing")
    } else {
        writeln!(out, "capture quality:")?;
        for l in q {
            wrapped(out, "  -", 4, &l)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_are_cut_and_no_line_is_wider_than_the_report() {
        let name = "a".repeat(4_013);
        let lines = wrap_lines(
            "             ",
            13,
            &format!("certificate for {name} issued by 'x'"),
        );
        assert!(
            lines.iter().all(|l| l.chars().count() <= WIDTH),
            "{lines:?}"
        );
        let joined: String = lines.iter().map(|l| l.trim()).collect();
        assert!(joined.contains(&name), "the name is cut, not lost");
        assert!(lines.len() > 40);
    }

    #[test]
    fn the_stopped_phrase_is_never_split() {
        for pad in 0..60 {
            let first = format!("  {}:", "p".repeat(pad));
            let text = format!(
                "Pcap, ETHERNET, 37 frames, STOPPED{NBSP}after{NBSP}frame{NBSP}37: truncated"
            );
            let lines = wrap_lines(&first, 4, &text);
            assert!(
                lines.iter().any(|l| l.contains("STOPPED after frame 37")),
                "{lines:?}"
            );
            assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
        }
    }
}
