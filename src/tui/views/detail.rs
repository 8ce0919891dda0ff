//! The detail of one flow: its evidence as a timeline (DNS answer, SYNs,
//! SYN/ACK, RST or ICMP, proxy CONNECT, TLS hello, server version,
//! certificates, traffic per direction), then the verdict with its reason and
//! the finding(s) for its endpoint with their fix. Also the detail of one
//! requirement (its evidence, findings and flows).

use super::{
    below_title, clean, glyphs, hms, hms_ms, human_bytes, status_mark, title_line, verdict_mark,
    wrap,
};
use crate::model::NameLog;
use crate::model::{DirRecord, Handshake, JudgedFlow, Snapshot};
use crate::model::{Finding, Severity};
use crate::model::{Side, Transport};
use crate::tui::state::{Detail, UiState};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Width of the time column of the timeline.
const TIME_W: usize = 12;
/// Width of the event label column.
const LABEL_W: usize = 11;

fn label_style() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

/// One timeline row: time (or blank), label, text.
fn event(time: Option<i64>, label: &str, text: String, style: Style) -> Line<'static> {
    let t = time.map(hms_ms).unwrap_or_default();
    Line::from(vec![
        Span::styled(format!("{t:<TIME_W$} "), Style::new().fg(Color::DarkGray)),
        Span::styled(format!("{label:<LABEL_W$} "), label_style()),
        Span::styled(text, style),
    ])
}

/// A `label  text` row (no time).
fn field(label: &str, text: String, style: Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL_W$} "), label_style()),
        Span::styled(text, style),
    ])
}

fn heading(text: &str) -> Line<'static> {
    Line::styled(
        text.to_string(),
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    )
}

/// The DNS log entry for a name (case-insensitive, trailing dot ignored).
pub fn dns_for<'a>(snap: &'a Snapshot, name: &str) -> Option<&'a NameLog> {
    let want = name.trim_end_matches('.');
    snap.dns
        .iter()
        .find(|d| d.name.trim_end_matches('.').eq_ignore_ascii_case(want))
}

fn dns_text(d: &NameLog, arrow: &str) -> String {
    let mut parts = Vec::new();
    if !d.cname_chain.is_empty() {
        let chain: Vec<String> = d.cname_chain.iter().map(|c| clean(c)).collect();
        parts.push(format!("CNAME {}", chain.join(&format!(" {arrow} "))));
    }
    if !d.addresses.is_empty() {
        let mut a: Vec<String> = d.addresses.iter().take(4).map(|a| a.to_string()).collect();
        if d.addresses.len() > 4 {
            a.push(format!("+{} more", d.addresses.len() - 4));
        }
        parts.push(format!("answer {}", a.join(", ")));
    }
    if d.nxdomain > 0 {
        parts.push(format!("NXDOMAIN ×{}", d.nxdomain));
    }
    if d.servfail > 0 {
        parts.push(format!("SERVFAIL ×{}", d.servfail));
    }
    if d.other_errors > 0 {
        parts.push(format!("refused or failed ×{}", d.other_errors));
    }
    if d.nodata > 0 {
        parts.push(format!("no address (NODATA) ×{}", d.nodata));
    }
    if d.unanswered > 0 {
        parts.push(format!("{} never answered", d.unanswered));
    }
    let servers: Vec<String> = d.servers.iter().map(|s| s.to_string()).collect();
    format!(
        "{}: {} ({}, {}; server {})",
        clean(&d.name),
        if parts.is_empty() {
            "no answer yet".to_string()
        } else {
            parts.join("; ")
        },
        count(d.queries.into(), "query", "queries"),
        count(d.responses.into(), "response", "responses"),
        if servers.is_empty() {
            "?".into()
        } else {
            servers.join(", ")
        }
    )
}

/// What an ICMP error means, for the common ones.
fn icmp_meaning(v6: bool, t: u8, c: u8) -> &'static str {
    match (v6, t, c) {
        (false, 3, 0) => "network unreachable",
        (false, 3, 1) => "host unreachable",
        (false, 3, 3) => "port unreachable",
        (false, 3, 9 | 10 | 13) => "administratively prohibited",
        (false, 3, _) => "destination unreachable",
        (false, 11, _) => "time exceeded",
        (true, 1, 1) => "administratively prohibited",
        (true, 1, 3) => "address unreachable",
        (true, 1, 4) => "port unreachable",
        (true, 1, 5 | 6) => "rejected by policy",
        (true, 1, _) => "destination unreachable",
        (true, 3, _) => "time exceeded",
        _ => "error",
    }
}

/// `1 packet`, `2 packets`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn dir_text(d: &DirRecord) -> String {
    let mut s = format!(
        "{}, {} bytes, {} retransmitted ({} with data), {}, {}",
        count(d.packets, "packet", "packets"),
        human_bytes(d.bytes),
        d.retransmissions,
        d.data_retransmissions,
        count(d.dup_acks, "dup ACK", "dup ACKs"),
        count(d.zero_windows, "zero window", "zero windows")
    );
    if let Some(k) = d.throughput_kbps {
        s.push_str(&format!(
            ", {:.1} Mbit/s ({:.2} MB/s)",
            k / 1000.0,
            k / 8000.0
        ));
    }
    s
}

fn severity(s: Severity) -> (&'static str, Style) {
    match s {
        Severity::Critical => (
            "CRITICAL",
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        Severity::Warning => (
            "WARNING",
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        Severity::Info => ("info", Style::new().fg(Color::Green)),
    }
}

/// A finding: title with severity and error codes, then evidence and fix.
fn finding_lines(fd: &Finding, out: &mut Vec<Line<'static>>) {
    let (word, style) = severity(fd.severity);
    let codes = if fd.error_codes.is_empty() {
        String::new()
    } else {
        format!(" (Site Recovery errors {})", fd.error_codes.join(", "))
    };
    out.push(Line::from(vec![
        Span::styled(format!("{word} "), style),
        Span::styled(
            format!("{}{codes}", clean(&fd.title)),
            Style::new().add_modifier(Modifier::BOLD),
        ),
    ]));
    for e in &fd.evidence {
        out.push(field("evidence", clean(e), Style::new()));
    }
    for x in &fd.fix {
        out.push(field("fix", clean(x), Style::new().fg(Color::Green)));
    }
}

/// The logical lines (before wrapping) of a flow's detail.
pub fn flow_lines(snap: &Snapshot, j: &JudgedFlow, ascii: bool) -> Vec<Line<'static>> {
    let g = glyphs(ascii);
    let f = &j.flow;
    let v = &j.verdict;
    let name = f.name();
    let mut out = Vec::new();
    let plain = Style::new();
    let red = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
    let yellow = Style::new().fg(Color::Yellow);
    let sock = |ip, port| std::net::SocketAddr::new(ip, port).to_string();
    out.push(field(
        "flow",
        format!(
            "#{} {} {} {} {}",
            f.id,
            f.transport.as_str(),
            sock(f.src_ip, f.src_port),
            g.arrow,
            sock(f.dst_ip, f.dst_port)
        ),
        plain,
    ));
    out.push(field(
        "name",
        match name {
            Some(n) => format!("{} (from {})", clean(n), f.name_source.as_str()),
            None => "none (no SNI, DNS answer, CONNECT or certificate)".into(),
        },
        Style::new().add_modifier(Modifier::BOLD),
    ));
    match v.endpoint_pattern {
        Some(p) => out.push(field(
            "endpoint",
            format!(
                "{} · NSG tag needed {} · destination in {}",
                clean(p),
                clean(v.required_tag.as_deref().unwrap_or("?")),
                match (&v.service_tag, &v.service_region) {
                    (Some(t), Some(r)) => format!("{} ({})", clean(t), clean(r)),
                    (Some(t), None) => clean(t),
                    _ => "no Azure service tag".into(),
                }
            ),
            plain,
        )),
        None => out.push(field(
            "endpoint",
            format!(
                "not a Site Recovery endpoint · destination in {}",
                v.service_tag
                    .as_deref()
                    .map(clean)
                    .unwrap_or_else(|| "no Azure service tag".into())
            ),
            Style::new().fg(Color::DarkGray),
        )),
    }
    if let Some(vlan) = f.vlan {
        out.push(field("vlan", vlan.to_string(), plain));
    }
    if let Some(t) = &f.tunnel {
        out.push(field("tunnel", clean(&format!("{t:?}")), plain));
    }
    out.push(Line::default());
    out.push(heading("Timeline (UTC)"));
    // DNS.
    let mut dns_names: Vec<&str> = Vec::new();
    for n in [f.server_name.as_deref(), f.dns_name.as_deref()]
        .into_iter()
        .flatten()
    {
        if !dns_names.iter().any(|x| x.eq_ignore_ascii_case(n)) {
            dns_names.push(n);
        }
    }
    let mut any_dns = false;
    for n in &dns_names {
        if let Some(d) = dns_for(snap, n) {
            any_dns = true;
            let bad = d.answered == 0;
            out.push(event(
                Some(d.first_us),
                "DNS",
                dns_text(d, g.arrow),
                if bad { red } else { plain },
            ));
        }
    }
    if !any_dns && let Some(n) = name {
        out.push(event(
            None,
            "DNS",
            format!("no query for {} in the capture", clean(n)),
            Style::new().fg(Color::DarkGray),
        ));
    }
    // Connection.
    let ev = &f.evidence;
    match f.transport {
        Transport::Udp => out.push(event(
            Some(f.first_seen),
            "UDP",
            "first datagram".into(),
            plain,
        )),
        Transport::Tcp if f.handshake == Handshake::MidFlow => out.push(event(
            Some(f.first_seen),
            "mid-flow",
            "began before the capture: no handshake seen".into(),
            plain,
        )),
        Transport::Tcp => {
            let over = ev
                .syn_span_ms
                .filter(|_| ev.syn_count > 1)
                .map(|ms| format!(" over {:.1} s", ms / 1000.0))
                .unwrap_or_default();
            let s = if ev.syn_count == 1 { "" } else { "s" };
            let text = if f.handshake == Handshake::NoReply {
                format!(
                    "{} SYN{s}{over} to {}: no answer",
                    ev.syn_count,
                    sock(f.dst_ip, f.dst_port)
                )
            } else {
                format!("{} SYN{s}{over}", ev.syn_count)
            };
            let style = if f.handshake == Handshake::NoReply {
                red
            } else {
                plain
            };
            out.push(event(Some(f.first_seen), "SYN", text, style));
        }
    }
    match f.handshake {
        Handshake::Established | Handshake::ResetAfterData => out.push(event(
            None,
            "SYN/ACK",
            match f.rtt_ms {
                Some(r) => format!("handshake complete, RTT {r:.1} ms"),
                None => "handshake complete".into(),
            },
            plain,
        )),
        Handshake::Incomplete => out.push(event(
            None,
            "SYN/ACK",
            "answered, but the client's ACK was never seen".into(),
            yellow,
        )),
        Handshake::Rejected => out.push(event(
            None,
            "RST",
            format!(
                "the SYN was answered by RST from {}",
                sock(f.dst_ip, f.dst_port)
            ),
            red,
        )),
        Handshake::Answered => out.push(event(None, "answer", "the server answered".into(), plain)),
        _ => {}
    }
    if let Some(i) = &ev.icmp {
        out.push(event(
            Some(i.ts_us),
            if i.v6 { "ICMPv6" } else { "ICMP" },
            format!(
                "type {} code {} ({}) from {}",
                i.icmp_type,
                i.code,
                icmp_meaning(i.v6, i.icmp_type, i.code),
                i.from
            ),
            red,
        ));
    }
    // Proxy.
    if let Some(p) = &f.proxy {
        let status = match p.status {
            Some(s) => format!(
                "answered {s}{}",
                p.auth_scheme
                    .as_deref()
                    .map(|a| format!(" ({})", clean(a)))
                    .unwrap_or_default()
            ),
            None => "no answer".into(),
        };
        let ok = p.status.is_some_and(|s| (200..300).contains(&s));
        out.push(event(
            None,
            "CONNECT",
            format!(
                "{}:{} via proxy {}, credentials {}; {status}",
                clean(&p.target_host),
                p.target_port,
                sock(f.dst_ip, f.dst_port),
                if p.credentials_sent {
                    "sent"
                } else {
                    "not sent"
                }
            ),
            if ok { plain } else { red },
        ));
    }
    // TLS.
    if let Some(t) = &f.tls {
        let mut s = format!(
            "SNI {}",
            t.sni.as_deref().map(clean).unwrap_or_else(|| "none".into())
        );
        if !t.client_versions.is_empty() {
            let vv: Vec<String> = t.client_versions.iter().map(|x| clean(x)).collect();
            s.push_str(&format!(", offers {}", vv.join(" ")));
        }
        if !t.alpn.is_empty() {
            let aa: Vec<String> = t.alpn.iter().map(|x| clean(x)).collect();
            s.push_str(&format!(", ALPN {}", aa.join(" ")));
        }
        if !t.hello_complete {
            s.push_str(" (hello cut short in the capture)");
        }
        out.push(event(None, "ClientHello", s, plain));
        if let Some(sv) = &t.server_version {
            out.push(event(
                None,
                "ServerHello",
                format!("server chose {}", clean(sv)),
                plain,
            ));
        }
        for (k, c) in t.certificates.iter().enumerate().take(4) {
            let which = if k == 0 { "leaf" } else { "chain" };
            let mut s = format!(
                "{which}: subject {} · issuer {}",
                clean(&c.subject),
                clean(&c.issuer)
            );
            if k == 0 && !c.san.is_empty() {
                let san: Vec<String> = c.san.iter().take(4).map(|x| clean(x)).collect();
                s.push_str(&format!(" · SAN {}", san.join(" ")));
            }
            let st = if k == 0 && v.verdict == crate::model::Verdict::Intercepted {
                red
            } else {
                plain
            };
            out.push(event(None, "certificate", s, st));
        }
        if let Some(a) = &t.alert {
            out.push(event(
                None,
                "TLS alert",
                format!(
                    "{} {} ({}) from the server",
                    if a.level == 2 { "fatal" } else { "warning" },
                    a.name,
                    a.description
                ),
                if a.level == 2 { red } else { yellow },
            ));
        }
    }
    // Resets.
    if let Some(by) = ev.rst_by
        && f.handshake != Handshake::Rejected
    {
        let who = match by {
            Side::Client => "client",
            Side::Server => "server",
        };
        let mut s = format!("RST from the {who}");
        if let Some(ms) = ev.rst_after_client_data_ms {
            s.push_str(&format!(", {ms:.0} ms after the client's first data"));
        }
        let st = if by == Side::Server { red } else { plain };
        out.push(event(None, "RST", s, st));
    }
    out.push(event(
        Some(f.last_seen),
        "end",
        format!(
            "last packet, {} after the first; closed: {}",
            secs(f.last_seen - f.first_seen),
            f.close.as_str()
        ),
        plain,
    ));
    out.push(Line::default());
    out.push(heading("Traffic"));
    let retrans_bad = |d: &DirRecord| d.data_retransmissions > 0 || d.zero_windows > 0;
    out.push(field(
        "out",
        dir_text(&f.out),
        if retrans_bad(&f.out) { yellow } else { plain },
    ));
    out.push(field(
        "in",
        dir_text(&f.inbound),
        if retrans_bad(&f.inbound) {
            yellow
        } else {
            plain
        },
    ));
    let q = &f.quality;
    let mut notes = Vec::new();
    if q.began_before_capture {
        notes.push("began before the capture".to_string());
    }
    if q.one_direction {
        notes.push("only one direction seen".into());
    }
    if q.hello_cut_by_snaplen {
        notes.push("the snap length cut the hello".into());
    }
    if q.bytes_cut > 0 {
        notes.push(format!(
            "{} payload bytes cut by the snap length",
            q.bytes_cut
        ));
    }
    if !notes.is_empty() {
        out.push(field("capture", notes.join("; "), yellow));
    }
    out.push(Line::default());
    out.push(heading("Verdict"));
    let (mark, style) = verdict_mark(v.verdict, g);
    out.push(Line::from(vec![
        Span::styled(mark, style.add_modifier(Modifier::BOLD)),
        Span::raw(": "),
        Span::raw(clean(&v.reason)),
    ]));
    let findings: Vec<&Finding> = snap
        .diagnosis
        .findings
        .iter()
        .filter(|fd| v.endpoint.is_some() && fd.endpoint == v.endpoint)
        .collect();
    if !findings.is_empty() {
        out.push(Line::default());
        out.push(heading("Finding and fix"));
        for fd in findings {
            finding_lines(fd, &mut out);
        }
    } else if v.endpoint.is_some() {
        out.push(Line::styled(
            "no finding for this endpoint: nothing to change",
            Style::new().fg(Color::Green),
        ));
    }
    out
}

fn secs(us: i64) -> String {
    let s = us as f64 / 1e6;
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.1} s")
    }
}

/// The logical lines of a requirement's detail.
pub fn requirement_lines(snap: &Snapshot, idx: usize, ascii: bool) -> Vec<Line<'static>> {
    let g = glyphs(ascii);
    let Some(r) = snap.diagnosis.requirements.get(idx) else {
        return vec![Line::from("no such requirement")];
    };
    let plain = Style::new();
    let mut out = Vec::new();
    let (mark, style) = status_mark(r.status, g);
    out.push(field(
        "endpoint",
        clean(r.endpoint),
        Style::new().add_modifier(Modifier::BOLD),
    ));
    out.push(field("status", mark, style));
    out.push(field("NSG tag", clean(&r.tag), plain));
    out.push(field("purpose", clean(r.purpose), plain));
    out.push(field(
        "needed",
        match r.need {
            crate::model::Need::Always => "always".into(),
            crate::model::Need::AdeVms => {
                "only to enable replication of Azure Disk Encryption VMs from the portal".into()
            }
            crate::model::Need::AgentAutoUpgrade => {
                "only for the Mobility agent's auto-upgrade from the portal".to_string()
            }
        },
        plain,
    ));
    let counts: Vec<String> = r.verdicts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    out.push(field(
        "flows",
        if counts.is_empty() {
            r.flows.to_string()
        } else {
            format!("{}: {}", r.flows, counts.join(", "))
        },
        plain,
    ));
    if !r.evidence.is_empty() {
        out.push(field("evidence", clean(&r.evidence), plain));
    }
    if let Some(t) = r.last_seen {
        out.push(field("last seen", hms(t), plain));
    }
    let findings: Vec<&Finding> = snap
        .diagnosis
        .findings
        .iter()
        .filter(|fd| fd.endpoint == Some(r.id))
        .collect();
    if !findings.is_empty() {
        out.push(Line::default());
        out.push(heading("Findings and fixes"));
        for fd in findings {
            finding_lines(fd, &mut out);
        }
    }
    let flows: Vec<&JudgedFlow> = snap
        .flows
        .iter()
        .filter(|j| j.verdict.endpoint == Some(r.id))
        .collect();
    if !flows.is_empty() {
        out.push(Line::default());
        out.push(heading("Flows"));
        for j in flows.iter().take(200) {
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
                    clean(&j.verdict.reason)
                )),
            ]));
        }
    }
    out
}

/// The detail's title.
pub fn title(snap: &Snapshot, ui: &UiState) -> String {
    match ui.detail {
        Some(Detail::Flow(id)) => match snap.flows.iter().find(|j| j.flow.id == id) {
            Some(j) => format!(
                "Flow #{id}: {} (Esc back)",
                clean(j.flow.name().unwrap_or("unnamed"))
            ),
            None => format!("Flow #{id} (Esc back)"),
        },
        Some(Detail::Requirement(i)) => match snap.diagnosis.requirements.get(i) {
            Some(r) => format!("Requirement {} (Esc back)", clean(r.endpoint)),
            None => "Requirement (Esc back)".into(),
        },
        None => String::new(),
    }
}

/// The detail's rows, wrapped to `width` columns.
pub fn rows(snap: &Snapshot, ui: &UiState, width: usize) -> Vec<Line<'static>> {
    let logical = match ui.detail {
        Some(Detail::Flow(id)) => match snap.flows.iter().find(|j| j.flow.id == id) {
            Some(j) => flow_lines(snap, j, ui.ascii),
            None => vec![Line::styled(
                "this flow is no longer in the snapshot (the live view keeps the most recent flows)",
                Style::new().fg(Color::Yellow),
            )],
        },
        Some(Detail::Requirement(i)) => requirement_lines(snap, i, ui.ascii),
        None => vec![],
    };
    logical
        .into_iter()
        .flat_map(|l| {
            // Timeline rows continue under the text column, fields under theirs.
            let first = l.spans.first().map(|s| s.content.len()).unwrap_or(0);
            let indent = if first == TIME_W + 1 {
                TIME_W + LABEL_W + 2
            } else if first == LABEL_W + 1 {
                LABEL_W + 1
            } else {
                2
            };
            wrap(l, width, indent)
        })
        .collect()
}

/// Draws the detail screen, scrolled to `ui.detail_scroll`.
pub fn draw(f: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let g = glyphs(ui.ascii);
    title_line(f, area, &title(snap, ui), true, g);
    let body = below_title(area);
    if body.height == 0 {
        return;
    }
    let all = rows(snap, ui, body.width as usize);
    let max = all.len().saturating_sub(body.height as usize);
    let shown: Vec<Line<'static>> = all.into_iter().skip(ui.detail_scroll.min(max)).collect();
    f.render_widget(Paragraph::new(shown), body);
}
