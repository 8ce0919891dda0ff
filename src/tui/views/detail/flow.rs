//! The detail of one flow: who talks to whom and which Site Recovery endpoint
//! it is, then its evidence as a timeline (DNS answer, SYNs, SYN/ACK, RST or
//! ICMP, proxy CONNECT, TLS hello, server version, certificates, alert, end),
//! the traffic per direction, and the verdict with its reason and the
//! finding(s) for its endpoint with their fix.

use super::parts::{event, field, findings_for, findings_section, section};
use crate::model::TlsEnd;
use crate::model::{
    AppliedTo, DirRecord, FlowQuality, FlowRecord, FlowVerdict, Handshake, IcmpSeen, JudgedFlow,
    NameLog, NsgOutcome, NsgVerdict, ProxyRecord, RouteVerdict, Side, Snapshot, TagName, TlsRecord,
    Transport, Verdict,
};
use crate::tui::views::{Glyphs, clean, glyphs, human_bytes, verdict_mark};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use std::net::{IpAddr, SocketAddr};

const PLAIN: Style = Style::new();
const RED: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
const YELLOW: Style = Style::new().fg(Color::Yellow);
const DIM: Style = Style::new().fg(Color::DarkGray);

/// The logical lines (before wrapping) of a flow's detail.
pub fn flow_lines(snap: &Snapshot, j: &JudgedFlow, ascii: bool) -> Vec<Line<'static>> {
    let g = glyphs(ascii);
    let f = &j.flow;
    let v = &j.verdict;
    [
        identity_lines(f, v, g),
        section("Timeline (UTC)"),
        dns_lines(snap, f, g),
        connection_lines(f),
        f.proxy.iter().map(|p| proxy_line(f, p)).collect(),
        f.tls.iter().flat_map(|t| tls_lines(t, v)).collect(),
        reset_line(f).into_iter().collect(),
        vec![end_line(f)],
        section("Traffic"),
        traffic_lines(f),
        section("Verdict"),
        vec![verdict_line(v, g)],
        fix_lines(snap, v),
    ]
    .concat()
}

fn sock(ip: IpAddr, port: u16) -> String {
    SocketAddr::new(ip, port).to_string()
}

/// `1 packet`, `2 packets`.
fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The flow's addresses, name, Site Recovery endpoint, VLAN and tunnel.
fn identity_lines(f: &FlowRecord, v: &FlowVerdict, g: &Glyphs) -> Vec<Line<'static>> {
    let mut out = vec![
        field(
            "flow",
            format!(
                "#{} {} {} {} {}",
                f.id,
                f.transport.as_str(),
                sock(f.src_ip, f.src_port),
                g.arrow,
                sock(f.dst_ip, f.dst_port)
            ),
            PLAIN,
        ),
        field(
            "name",
            match f.name() {
                Some(n) => format!("{} (from {})", clean(n), f.name_source.as_str()),
                None => "none (no SNI, DNS answer, CONNECT or certificate)".into(),
            },
            Style::new().add_modifier(Modifier::BOLD),
        ),
        endpoint_line(v),
    ];
    if let (Some(a), Some(p)) = (f.translated_ip, f.translated_port) {
        out.push(field(
            "NAT",
            format!(
                "translated by the appliance to {}: the server saw that address",
                sock(a, p)
            ),
            YELLOW,
        ));
    }
    out.extend(admin_lines(v.admin.as_ref()));
    out.extend(config_lines(v.nsg.as_ref(), v.route.as_ref(), g));
    out.extend(firewall_lines(v.firewall.as_ref()));
    out.extend(storage_lines(v.storage.as_ref()));
    out.extend(private_dns_lines(v.dns.as_ref()));
    out.extend(outbound_lines(v.outbound.as_ref()));
    out.extend(endpoint_policy_lines(v.endpoint_policy.as_ref()));
    if let Some(vlan) = f.vlan {
        out.push(field("vlan", vlan.to_string(), PLAIN));
    }
    if let Some(t) = &f.tunnel {
        out.push(field("tunnel", clean(&format!("{t:?}")), PLAIN));
    }
    out.push(field(
        "community",
        format!("{} (Community ID v1)", f.community_id),
        PLAIN,
    ));
    out
}

/// The Site Recovery endpoint the flow reaches, the NSG tag it needs and the
/// service tag of its destination.
fn endpoint_line(v: &FlowVerdict) -> Line<'static> {
    let Some(e) = &v.endpoint else {
        return field(
            "endpoint",
            format!(
                "not a Site Recovery endpoint · destination in {}",
                v.service_tag
                    .as_ref()
                    .map(TagName::as_str)
                    .or(v.platform)
                    .or(v.ca_service.map(crate::render::ca_service))
                    .map(clean)
                    .unwrap_or_else(|| "no Azure service tag".into())
            ),
            DIM,
        );
    };
    let destination = match (&v.service_tag, &v.service_region) {
        (Some(t), Some(r)) => format!("{} ({})", clean(t.as_str()), clean(r)),
        (Some(t), None) => clean(t.as_str()),
        _ => v
            .platform
            .map(clean)
            .unwrap_or_else(|| "no Azure service tag".into()),
    };
    field(
        "endpoint",
        format!(
            "{} · NSG tag needed {} · destination in {destination}",
            clean(e.pattern),
            clean(&e.required_tag.to_string()),
        ),
        PLAIN,
    )
}

/// What the NSG and route exports (`--nsg`, `--routes`) say of a flow: every
/// NSG on the path with the rule that decided in it, and the route its
/// destination takes.
pub(super) fn config_lines(
    nsg: Option<&NsgVerdict>,
    route: Option<&RouteVerdict>,
    g: &Glyphs,
) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(n) = nsg {
        for s in &n.steps {
            let (word, style) = match s.outcome {
                NsgOutcome::Allow => ("allows", PLAIN),
                NsgOutcome::Deny => ("denies", Style::new().fg(Color::Red)),
                NsgOutcome::NoRuleMatched => ("no rule matches", YELLOW),
                NsgOutcome::CannotTell => ("may decide (cannot tell)", YELLOW),
            };
            let label = match s.applied_to {
                AppliedTo::Nic => "NIC NSG",
                AppliedTo::Subnet => "subnet NSG",
                AppliedTo::Unknown => "NSG",
            };
            out.push(field(
                label,
                format!(
                    "{} rule {} (priority {}) {word}",
                    clean(&s.nsg),
                    clean(s.rule.as_deref().unwrap_or("-")),
                    s.priority.map_or("-".to_string(), |p| p.to_string())
                ),
                style,
            ));
        }
        if let Some(m) = &n.network_manager {
            out.push(field(
                "NSG",
                format!(
                    "admin rules of Virtual Network Manager {} come first (not in the export)",
                    clean(m)
                ),
                YELLOW,
            ));
        }
        if !n.notes.is_empty() {
            let notes = crate::render::network::nsg_notes(n);
            out.push(field("NSG", clean(&notes.join("; ")), DIM));
        }
    }
    if let Some(r) = route {
        let style = match r.next_hop().harm() {
            0 => PLAIN,
            _ if r.drops() => Style::new().fg(Color::Red),
            _ => YELLOW,
        };
        let assumed = r
            .route
            .as_ref()
            .is_some_and(|t| t.origin == crate::model::RouteOrigin::Assumed);
        out.push(field(
            "route",
            format!(
                "{} {} {} ({}{})",
                clean(&crate::render::network::route_prefix(r)),
                g.arrow,
                clean(&crate::render::network::next_hop(r)),
                clean(crate::render::network::route_source(r)),
                if assumed {
                    ", system route assumed"
                } else {
                    ""
                }
            ),
            style,
        ));
        if !r.notes.is_empty() {
            let notes = crate::render::network::route_notes(r);
            out.push(field("route", clean(&notes.join("; ")), DIM));
        }
    }
    out
}

/// One Azure layer's lines in the detail: its verdict, red when it stops
/// the flow (`Some(false)`), yellow when it cannot be told (`None`), then
/// its notes, dimmed, on one line.
fn layer_lines(
    label: &'static str,
    allowed: Option<bool>,
    text: &str,
    notes: &[String],
) -> Vec<Line<'static>> {
    let style = match allowed {
        Some(true) => PLAIN,
        Some(false) => Style::new().fg(Color::Red),
        None => YELLOW,
    };
    let mut out = vec![field(label, clean(text), style)];
    if !notes.is_empty() {
        out.push(field(label, clean(&notes.join("; ")), DIM));
    }
    out
}

/// What the security admin rules (`--azure`) say of a flow, before the
/// NSGs: the rule that decided, where it sits, whether the NSGs are
/// consulted, or why it cannot be told; and its notes.
pub(super) fn admin_lines(v: Option<&crate::model::AdminVerdict>) -> Vec<Line<'static>> {
    use crate::model::AdminOutcome;
    v.map_or_else(Vec::new, |v| {
        let allowed = match v.outcome() {
            AdminOutcome::Deny => Some(false),
            AdminOutcome::CannotTell => None,
            _ => Some(true),
        };
        let text = crate::render::admin::verdict_text(v);
        layer_lines(
            "admin rule",
            allowed,
            &text,
            &crate::render::admin::notes(v),
        )
    })
}

/// What the subnet's export (`--azure`) says of a flow's way out of the
/// VM's subnet, and its notes.
pub(super) fn outbound_lines(v: Option<&crate::model::OutboundVerdict>) -> Vec<Line<'static>> {
    v.map_or_else(Vec::new, |v| {
        let text = crate::render::outbound::way(v);
        layer_lines(
            "outbound",
            Some(v.allowed()),
            &text,
            &crate::render::outbound::notes(v),
        )
    })
}

/// What the service endpoint policies on the VM's subnet (`--azure`) do
/// with Storage traffic to the account: the definition that lists it, that
/// none does, or why it cannot be told.
pub(super) fn endpoint_policy_lines(
    v: Option<&crate::model::EndpointPolicyVerdict>,
) -> Vec<Line<'static>> {
    v.map_or_else(Vec::new, |p| {
        let text = crate::render::endpoint_policy::text(p);
        layer_lines("endpoint policy", p.allowed(), &text, &[])
    })
}

/// What the firewall exports (`--azure`) say of a flow: the firewall, the
/// policy and the rule that decided (or the default deny, or why it cannot
/// be told), and its notes.
pub(super) fn firewall_lines(v: Option<&crate::model::FirewallVerdict>) -> Vec<Line<'static>> {
    v.map_or_else(Vec::new, |v| {
        let text = crate::render::firewall::verdict_text(v);
        layer_lines(
            "firewall",
            v.allowed(),
            &text,
            &crate::render::firewall::notes(v),
        )
    })
}

/// What the cache storage account's export (`--azure`) says of the VM's
/// traffic: the source storage sees, the setting that decided, and what
/// Site Recovery requires of the account that it misses.
pub(super) fn storage_lines(v: Option<&crate::model::StorageVerdict>) -> Vec<Line<'static>> {
    v.map_or_else(Vec::new, |v| {
        let allowed = match v.harm() {
            0 => Some(true),
            2 => Some(false),
            _ => None,
        };
        let text = crate::render::storage::verdict_text(v);
        layer_lines("storage", allowed, &text, &crate::render::storage::notes(v))
    })
}

/// What the private DNS exports (`--azure`) say of a flow's endpoint: the
/// zone, its link to the VM's virtual network or the record it lacks, and
/// its notes (custom DNS servers, fallback to internet).
pub(super) fn private_dns_lines(v: Option<&crate::model::DnsVerdict>) -> Vec<Line<'static>> {
    v.map_or_else(Vec::new, |v| {
        let text = crate::render::private_dns::verdict_text(v);
        layer_lines(
            "dns zone",
            v.allowed(),
            &text,
            &crate::render::private_dns::notes(v),
        )
    })
}

/// The DNS log entry for a name (case-insensitive, trailing dot ignored).
pub fn dns_for<'a>(snap: &'a Snapshot, name: &str) -> Option<&'a NameLog> {
    let want = name.trim_end_matches('.');
    snap.dns
        .iter()
        .find(|d| d.name.trim_end_matches('.').eq_ignore_ascii_case(want))
}

/// The DNS lookups of the flow's SNI and DNS names (once each), or that the
/// capture has none for its name.
fn dns_lines(snap: &Snapshot, f: &FlowRecord, g: &Glyphs) -> Vec<Line<'static>> {
    let mut names: Vec<&str> = Vec::new();
    for n in [f.server_name.as_deref(), f.dns_name.as_deref()]
        .into_iter()
        .flatten()
    {
        if !names.iter().any(|x| x.eq_ignore_ascii_case(n)) {
            names.push(n);
        }
    }
    let out: Vec<Line<'static>> = names
        .iter()
        .filter_map(|n| dns_for(snap, n))
        .map(|d| {
            let style = if d.answered == 0 { RED } else { PLAIN };
            event(Some(d.first_us), "DNS", dns_text(d, g.arrow), style)
        })
        .collect();
    match f.name() {
        Some(n) if out.is_empty() => vec![event(
            None,
            "DNS",
            format!("no query for {} in the capture", clean(n)),
            DIM,
        )],
        _ => out,
    }
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

/// How the connection opened, how the server answered, and any ICMP error.
fn connection_lines(f: &FlowRecord) -> Vec<Line<'static>> {
    let mut out = vec![opening_line(f)];
    out.extend(reply_line(f));
    out.extend(f.evidence.icmp.as_ref().map(icmp_line));
    out
}

/// The first datagram, a TCP flow already under way, or the SYNs sent.
fn opening_line(f: &FlowRecord) -> Line<'static> {
    let first = Some(f.first_seen);
    match f.transport {
        Transport::Udp => event(first, "UDP", "first datagram".into(), PLAIN),
        Transport::Tcp if f.handshake == Handshake::MidFlow => event(
            first,
            "mid-flow",
            "began before the capture: no handshake seen".into(),
            PLAIN,
        ),
        Transport::Tcp => {
            let ev = &f.evidence;
            let over = ev
                .syn_span_ms
                .filter(|_| ev.syn_count > 1)
                .map(|ms| format!(" over {:.1} s", ms / 1000.0))
                .unwrap_or_default();
            let s = if ev.syn_count == 1 { "" } else { "s" };
            if f.handshake == Handshake::NoReply {
                let text = format!(
                    "{} SYN{s}{over} to {}: no answer",
                    ev.syn_count,
                    sock(f.dst_ip, f.dst_port)
                );
                event(first, "SYN", text, RED)
            } else {
                event(
                    first,
                    "SYN",
                    format!("{} SYN{s}{over}", ev.syn_count),
                    PLAIN,
                )
            }
        }
    }
}

/// The server's answer to the opening, when there was one.
fn reply_line(f: &FlowRecord) -> Option<Line<'static>> {
    Some(match f.handshake {
        Handshake::Established | Handshake::ResetAfterData => event(
            None,
            "SYN/ACK",
            match f.rtt_ms {
                Some(r) => format!("handshake complete, RTT {r:.1} ms"),
                None => "handshake complete".into(),
            },
            PLAIN,
        ),
        Handshake::Incomplete => event(
            None,
            "SYN/ACK",
            "answered, but the client's ACK was never seen".into(),
            YELLOW,
        ),
        Handshake::Rejected => event(
            None,
            "RST",
            format!(
                "the SYN was answered by RST from {}",
                sock(f.dst_ip, f.dst_port)
            ),
            RED,
        ),
        Handshake::Answered => event(None, "answer", "the server answered".into(), PLAIN),
        _ => return None,
    })
}

fn icmp_line(i: &IcmpSeen) -> Line<'static> {
    let m = i.message;
    event(
        Some(i.ts_us),
        if m.v6 { "ICMPv6" } else { "ICMP" },
        format!(
            "type {} code {} ({}) from {}",
            m.icmp_type,
            m.code,
            crate::render::icmp_meaning(m),
            i.from
        ),
        RED,
    )
}

/// The HTTP CONNECT through a proxy and its answer.
fn proxy_line(f: &FlowRecord, p: &ProxyRecord) -> Line<'static> {
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
    event(
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
        if ok { PLAIN } else { RED },
    )
}

/// The TLS handshake: ClientHello, the version the server chose, the first
/// certificates (the leaf in red when the flow is intercepted) and any alert.
fn tls_lines(t: &TlsRecord, v: &FlowVerdict) -> Vec<Line<'static>> {
    let mut out = vec![client_hello_line(t)];
    if let Some(sv) = &t.server_version {
        out.push(event(
            None,
            "ServerHello",
            format!("server chose {}", clean(&sv.name())),
            PLAIN,
        ));
    }
    let intercepted = v.verdict == Verdict::Intercepted;
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
        let st = if k == 0 && intercepted { RED } else { PLAIN };
        out.push(event(None, "certificate", s, st));
    }
    if let Some(a) = &t.alert {
        out.push(event(
            None,
            "TLS alert",
            format!(
                "{} {} ({}) from the server",
                if a.level == 2 { "fatal" } else { "warning" },
                a.description.name(),
                a.description.0
            ),
            if a.level == 2 { RED } else { YELLOW },
        ));
    }
    if let Some(a) = &t.client_alert {
        out.push(event(
            None,
            "TLS alert",
            format!(
                "{} {} ({}) from the client",
                if a.level == 2 { "fatal" } else { "warning" },
                a.description.name(),
                a.description.0
            ),
            if a.level == 2 { RED } else { YELLOW },
        ));
    }
    let (end, style) = match t.handshake_end {
        TlsEnd::Completed => ("completed by both sides", PLAIN),
        TlsEnd::ServerAlert => ("ended by the server's alert", RED),
        TlsEnd::ClientAlert => ("ended by the client's alert", RED),
        TlsEnd::ClientEncryptedAlert => (
            "the client answered the server's flight with an encrypted alert (a record too short to be its Finished)",
            RED,
        ),
        TlsEnd::ClientClosedAfterServerFlight => (
            "the client closed right after the server's certificate",
            RED,
        ),
        TlsEnd::ClientResetAfterServerFlight => {
            ("the client reset right after the server's certificate", RED)
        }
        TlsEnd::ServerSilent => ("the server never answered the hello", RED),
        TlsEnd::ClosedAtHello => (
            "the server side closed (FIN) after the hello without sending a byte",
            RED,
        ),
        // The RST line tells it.
        TlsEnd::ResetAtHello => ("", PLAIN),
        TlsEnd::Unknown => ("end not in the capture", PLAIN),
    };
    if !end.is_empty() {
        out.push(event(None, "handshake", end.to_string(), style));
    }
    out
}

/// SNI, versions offered, ALPN, and whether the capture holds all of it.
fn client_hello_line(t: &TlsRecord) -> Line<'static> {
    let mut s = format!(
        "SNI {}",
        t.sni.as_deref().map(clean).unwrap_or_else(|| "none".into())
    );
    if !t.client_versions.is_empty() {
        let vv: Vec<String> = t.client_versions.iter().map(|x| clean(&x.name())).collect();
        s.push_str(&format!(", offers {}", vv.join(" ")));
    }
    if !t.alpn.is_empty() {
        let aa: Vec<String> = t.alpn.iter().map(|x| clean(x)).collect();
        s.push_str(&format!(", ALPN {}", aa.join(" ")));
    }
    if !t.hello_complete {
        s.push_str(" (hello cut short in the capture)");
    }
    event(None, "ClientHello", s, PLAIN)
}

/// A reset after the handshake (a rejected SYN is already on its reply line).
fn reset_line(f: &FlowRecord) -> Option<Line<'static>> {
    let ev = &f.evidence;
    let by = ev.rst_by.filter(|_| f.handshake != Handshake::Rejected)?;
    let who = match by {
        Side::Client => "client",
        Side::Server => "server",
    };
    let mut s = format!("RST from the {who}");
    if let Some(ms) = ev.rst_after_client_data_ms {
        s.push_str(&format!(", {ms:.0} ms after the client's first data"));
    }
    let st = if by == Side::Server { RED } else { PLAIN };
    Some(event(None, "RST", s, st))
}

/// The last packet, the flow's duration and how it closed.
fn end_line(f: &FlowRecord) -> Line<'static> {
    event(
        Some(f.last_seen),
        "end",
        format!(
            "last packet, {} after the first; closed: {}",
            secs(f.last_seen - f.first_seen),
            f.close.as_str()
        ),
        PLAIN,
    )
}

fn secs(us: i64) -> String {
    let s = us as f64 / 1e6;
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else {
        format!("{s:.1} s")
    }
}

/// Packets, bytes, retransmissions and throughput per direction (yellow when
/// data was retransmitted or a window closed), then what the capture missed.
fn traffic_lines(f: &FlowRecord) -> Vec<Line<'static>> {
    let troubled = |d: &DirRecord| d.data_retransmissions > 0 || d.zero_windows > 0;
    let dir =
        |label, d: &DirRecord| field(label, dir_text(d), if troubled(d) { YELLOW } else { PLAIN });
    let mut out = vec![dir("out", &f.out), dir("in", &f.inbound)];
    let notes = capture_notes(&f.quality);
    if !notes.is_empty() {
        out.push(field("capture", notes.join("; "), YELLOW));
    }
    out
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

/// What the capture missed of the flow.
fn capture_notes(q: &FlowQuality) -> Vec<String> {
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
    notes
}

/// The verdict's mark and its reason.
fn verdict_line(v: &FlowVerdict, g: &Glyphs) -> Line<'static> {
    let (mark, style) = verdict_mark(v.verdict, g);
    Line::from(vec![
        Span::styled(mark, style.add_modifier(Modifier::BOLD)),
        Span::raw(": "),
        Span::raw(clean(&crate::render::reason::flow(v))),
    ])
}

/// The findings for the flow's endpoint with their fixes, or that there is
/// nothing to change (nothing for a flow that is not Site Recovery's).
fn fix_lines(snap: &Snapshot, v: &FlowVerdict) -> Vec<Line<'static>> {
    let findings = findings_for(snap, v.endpoint_id());
    if findings.is_empty() && v.endpoint.is_some() {
        return vec![Line::styled(
            "no finding for this endpoint: nothing to change",
            Style::new().fg(Color::Green),
        )];
    }
    findings_section("Finding and fix", &findings)
}
