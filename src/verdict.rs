//! One verdict per flow, with the evidence that led to it: a flow is judged
//! from what the capture shows (handshake, resets, ICMP, proxy answers,
//! certificates, retransmissions) and from where its destination sits in the
//! Azure service-tag ranges. Rules and thresholds are listed in the README and
//! set by flags.

use crate::azure::endpoints::{self, Endpoint};
use crate::azure::regions::Region;
use crate::azure::tags::TagDb;
use crate::model::{FlowRecord, Handshake};
use std::net::IpAddr;

/// Thresholds of the rules.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Thresholds {
    /// A flow with at least this share of its data segments retransmitted
    /// (percent, client to server) is throttled.
    pub retrans_pct: f64,
    /// Fewest client data segments before the retransmission share is judged.
    pub min_segments: u64,
    /// A flow whose server advertised a zero window at least this often is
    /// throttled.
    pub zero_windows: u64,
    /// Upload rate to the cache storage account that Site Recovery needs, MB/s
    /// ("slower than 4 MB in 3 seconds" is too slow: 1.33 MB/s).
    pub cache_upload_mbps: f64,
    /// Per-VM data churn limit, MB/s (Site Recovery's standard limit).
    pub churn_limit_mbps: f64,
    /// Per-VM data churn limit with High Churn, MB/s.
    pub high_churn_limit_mbps: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            retrans_pct: 2.0,
            min_segments: 20,
            zero_windows: 1,
            cache_upload_mbps: 4.0 / 3.0,
            churn_limit_mbps: 54.0,
            high_churn_limit_mbps: 100.0,
        }
    }
}

/// Issuer names (substrings of the leaf certificate's issuer) of the CAs that
/// sign Azure's own certificates; anything else on an Azure endpoint is a
/// TLS-inspecting device.
pub const TRUSTED_ISSUERS: &[&str] = &["Microsoft", "DigiCert", "Baltimore CyberTrust"];

/// A flow's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Worked.
    Allowed,
    /// Could not be judged from the capture.
    Incomplete,
    /// Slow: retransmissions or zero windows above the thresholds.
    Throttled,
    /// Went to an address outside every Azure range.
    OutsideAzure,
    /// A certificate from a CA that is not the service's.
    Intercepted,
    /// An authenticating proxy asked for credentials.
    ProxyAuth,
    /// Dropped, refused, reset or answered by ICMP.
    Blocked,
}

impl Verdict {
    /// Kebab-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Incomplete => "incomplete",
            Verdict::Throttled => "throttled",
            Verdict::OutsideAzure => "outside-azure",
            Verdict::Intercepted => "intercepted",
            Verdict::ProxyAuth => "proxy-auth",
            Verdict::Blocked => "blocked",
        }
    }
}

/// What [`judge`] says of a flow.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FlowVerdict {
    /// The flow's id.
    #[serde(skip)]
    pub flow: u64,
    /// The catalog endpoint the server name matched (its id).
    #[serde(rename = "endpoint_id")]
    pub endpoint: Option<&'static str>,
    /// Its URL pattern (the CSV's and the JSON's `endpoint`).
    #[serde(rename = "endpoint")]
    pub endpoint_pattern: Option<&'static str>,
    /// The tag an NSG must allow for the endpoint and these regions.
    pub required_tag: Option<String>,
    /// The tag that really contains the destination (the most relevant one).
    pub service_tag: Option<String>,
    /// The region of `service_tag`, when regional.
    pub service_region: Option<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// One line of evidence.
    pub reason: String,
    /// Reached through a private endpoint (CNAME to `privatelink.*`, private address).
    pub private_endpoint: bool,
}

/// What the judge needs besides the flow.
pub struct Context<'a> {
    /// Service tags.
    pub tags: &'a TagDb,
    /// Source region, when known.
    pub source: Option<&'a Region>,
    /// Target region, when known.
    pub target: Option<&'a Region>,
    /// Thresholds.
    pub thresholds: &'a Thresholds,
    /// Extra trusted certificate issuers.
    pub trusted_issuers: &'a [String],
}

/// True for addresses that are not routed on the internet (private, shared,
/// loopback, link-local, unique-local).
pub fn is_private(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => {
            let o = v.octets();
            v.is_private()
                || v.is_loopback()
                || v.is_link_local()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v) => {
            let s = v.segments();
            v.is_loopback() || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80
        }
    }
}

fn secs(ms: f64) -> String {
    format!("{:.1} s", ms / 1000.0)
}

/// Milliseconds as a reason shows them: one decimal below 10 ms.
pub fn ms_text(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// The name a flow is known by for classification: its server name, else
/// the DNS name of its destination, else the CONNECT target.
pub fn flow_name(f: &FlowRecord) -> Option<&str> {
    f.server_name
        .as_deref()
        .or(f.dns_name.as_deref())
        .or(f.proxy.as_ref().map(|p| p.target_host.as_str()))
}

/// Judges one flow.
pub fn judge(f: &FlowRecord, ctx: &Context<'_>) -> FlowVerdict {
    let name = flow_name(f);
    let ep: Option<&'static Endpoint> = name.and_then(endpoints::classify);
    let source = ctx.source.map(|r| r.tag_suffix.as_str());
    let target = ctx.target.map(|r| r.tag_suffix.as_str());
    let required_tag = ep.map(|e| e.tag.tag(source, target));
    let tags = ctx.tags.lookup(f.dst_ip);
    let family = ep.map(|e| e.tag.family());
    let relevant = tags
        .iter()
        .find(|t| family.is_some_and(|fam| t.name == fam || t.name.starts_with(&format!("{fam}."))))
        .or_else(|| tags.iter().find(|t| !t.name.starts_with("AzureCloud")))
        .or_else(|| tags.first());
    let service_tag = relevant.map(|t| t.name.clone());
    let service_region = relevant.and_then(|t| t.region.clone());
    let (verdict, reason, private_endpoint) = decide(f, ep, name, tags.is_empty(), ctx);
    FlowVerdict {
        flow: f.id,
        endpoint: ep.map(|e| e.id),
        endpoint_pattern: ep.map(|e| e.pattern),
        required_tag,
        service_tag,
        service_region,
        verdict,
        reason,
        private_endpoint,
    }
}

fn decide(
    f: &FlowRecord,
    ep: Option<&Endpoint>,
    name: Option<&str>,
    in_no_tag: bool,
    ctx: &Context<'_>,
) -> (Verdict, String, bool) {
    let th = ctx.thresholds;
    let shown = name.unwrap_or("the server");
    let dst = format!("{}:{}", f.dst_ip, f.dst_port);
    if let Some(p) = &f.proxy {
        match p.status {
            Some(407) => {
                let scheme = p
                    .auth_scheme
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default();
                return (
                    Verdict::ProxyAuth,
                    format!(
                        "proxy {dst} answered 407{scheme} to CONNECT {}:{}",
                        p.target_host, p.target_port
                    ),
                    false,
                );
            }
            Some(s) if !(200..300).contains(&s) => {
                return (
                    Verdict::Blocked,
                    format!(
                        "proxy {dst} answered {s} to CONNECT {}:{}",
                        p.target_host, p.target_port
                    ),
                    false,
                );
            }
            _ => {}
        }
    }
    let ev = &f.evidence;
    match f.handshake {
        Handshake::NoReply if f.transport == crate::flow::Transport::Tcp => {
            let span = ev.syn_span_ms.unwrap_or(0.0);
            return (
                Verdict::Blocked,
                format!(
                    "{} SYN{} over {}, no answer from {dst}",
                    ev.syn_count,
                    if ev.syn_count == 1 { "" } else { "s" },
                    secs(span)
                ),
                false,
            );
        }
        Handshake::NoReply if f.dst_port == 53 => {
            return (
                Verdict::Blocked,
                format!("DNS query to {dst} got no answer"),
                false,
            );
        }
        Handshake::Rejected => {
            return (
                Verdict::Blocked,
                format!("SYN answered by RST from {dst}"),
                false,
            );
        }
        Handshake::Unreachable => {
            let (t, c, from) = ev
                .icmp
                .map(|i| (i.icmp_type, i.code, i.from.to_string()))
                .unwrap_or_default();
            let v = if ev.icmp.is_some_and(|i| i.v6) {
                "ICMPv6"
            } else {
                "ICMP"
            };
            return (
                Verdict::Blocked,
                format!("{v} {t}/{c} from {from} for {dst}"),
                false,
            );
        }
        Handshake::ResetAfterData => {
            let ms = ev.rst_after_client_data_ms.unwrap_or(0.0);
            let what = if f.tls.is_some() {
                format!("ClientHello for {shown}")
            } else {
                "the client's first data".to_string()
            };
            return (
                Verdict::Blocked,
                format!("RST from server {} ms after {what}", ms_text(ms)),
                false,
            );
        }
        Handshake::Incomplete => {
            return (
                Verdict::Incomplete,
                "SYN/ACK seen, never the client's ACK".into(),
                false,
            );
        }
        _ => {}
    }
    if let Some(a) = f
        .tls
        .as_ref()
        .and_then(|t| t.alert.as_ref())
        .filter(|a| a.level == 2)
    {
        return (
            Verdict::Blocked,
            format!("server sent TLS alert {} ({})", a.name, a.description),
            false,
        );
    }
    if f.transport == crate::flow::Transport::Udp {
        return match f.handshake {
            Handshake::Answered => (Verdict::Allowed, "answered".into(), false),
            _ => (Verdict::Incomplete, "no answer seen".into(), false),
        };
    }
    if f.handshake == Handshake::MidFlow && f.quality.one_direction {
        return (
            Verdict::Incomplete,
            "began before the capture, one direction only".into(),
            false,
        );
    }
    if ep.is_some() {
        if let Some(cert) = f.tls.as_ref().and_then(|t| t.certificates.first()) {
            let trusted = TRUSTED_ISSUERS.iter().any(|t| cert.issuer.contains(t))
                || ctx
                    .trusted_issuers
                    .iter()
                    .any(|t| cert.issuer.contains(t.as_str()));
            if !trusted {
                return (
                    Verdict::Intercepted,
                    format!("certificate for {shown} issued by '{}'", cert.issuer_cn),
                    false,
                );
            }
        }
        let private = is_private(&f.dst_ip);
        if private {
            if let Some(link) = f.dns_cnames.iter().find(|c| c.contains(".privatelink.")) {
                return (
                    Verdict::Allowed,
                    format!("private endpoint: {shown} -> {link} -> {}", f.dst_ip),
                    true,
                );
            }
        } else if in_no_tag && f.proxy.is_none() {
            let how = match f.name_source {
                crate::model::NameSource::Dns => "resolved to",
                _ => "went to",
            };
            return (
                Verdict::OutsideAzure,
                format!("{shown} {how} {}, outside every Azure range", f.dst_ip),
                false,
            );
        }
    }
    let out = &f.out;
    let retrans_pct = if out.data_segments > 0 {
        out.data_retransmissions as f64 * 100.0 / out.data_segments as f64
    } else {
        0.0
    };
    let slow_tcp = out.data_segments >= th.min_segments && retrans_pct >= th.retrans_pct;
    let zero = f.inbound.zero_windows >= th.zero_windows.max(1);
    if slow_tcp || zero {
        let mut parts = Vec::new();
        if slow_tcp {
            parts.push(format!("{retrans_pct:.1}% of data segments retransmitted"));
        }
        if zero {
            parts.push(format!(
                "{} zero windows from the server",
                f.inbound.zero_windows
            ));
        }
        if let Some(k) = out.throughput_kbps {
            parts.push(format!("upload {:.1} Mbit/s", k / 1000.0));
        }
        if let Some(r) = f.rtt_ms {
            parts.push(format!("handshake RTT {r:.1} ms"));
        }
        return (Verdict::Throttled, parts.join(", "), false);
    }
    if f.handshake == Handshake::MidFlow {
        return (
            Verdict::Allowed,
            "data both ways (began before the capture)".into(),
            false,
        );
    }
    let mut why = String::from("established");
    if let Some(v) = f.tls.as_ref().and_then(|t| t.server_version.as_deref()) {
        why.push_str(&format!(", {v}"));
    }
    if let Some(p) = &f.proxy {
        why.push_str(&format!(
            ", through proxy {dst} (status {})",
            p.status.map(|s| s.to_string()).unwrap_or("-".into())
        ));
    }
    (Verdict::Allowed, why, false)
}
