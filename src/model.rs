//! The analysis model every view reads: one [`FlowRecord`] per flow, the DNS
//! log and the capture's own quality. Plain data with `serde::Serialize`; the
//! analysis core fills it, the text, JSON and CSV views (and later the TUI) read
//! it. Times are µs since the Unix epoch and serialise as RFC 3339 UTC.

use crate::capture::ReadSummary;
use crate::decode::Tunnel;
use crate::flow::table::IcmpSeen;
use crate::flow::{Side, Transport};
use crate::names::NameLog;
use crate::proto::tls::CertNames;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Version of the JSON layout; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 2;

/// Serialises µs since the epoch as RFC 3339.
pub fn ts<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::dates::rfc3339_us(*v))
}

/// Serialises optional µs since the epoch as RFC 3339.
pub fn ts_opt<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => ts(v, s),
        None => s.serialize_none(),
    }
}

/// Where the flow's server name came from, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NameSource {
    /// The TLS ClientHello's server_name.
    Sni,
    /// An HTTP CONNECT request to a proxy.
    Connect,
    /// A DNS answer for the server address seen before the flow began.
    Dns,
    /// The server certificate's first DNS name.
    Cert,
    /// No name.
    None,
}

impl NameSource {
    /// Lower-case name, as in the CSV.
    pub fn as_str(&self) -> &'static str {
        match self {
            NameSource::Sni => "sni",
            NameSource::Connect => "connect",
            NameSource::Dns => "dns",
            NameSource::Cert => "cert",
            NameSource::None => "none",
        }
    }
}

/// How the connection attempt ended (for UDP: whether the server answered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Handshake {
    /// SYN, SYN/ACK, ACK.
    Established,
    /// The client's SYNs got no answer.
    NoReply,
    /// The SYN was answered by a RST.
    Rejected,
    /// An ICMP destination-unreachable (or other ICMP error) answered.
    Unreachable,
    /// Established, then reset by the server side right after the client's
    /// first data, before the server sent any (a filtering firewall or proxy).
    ResetAfterData,
    /// SYN/ACK seen but never the client's ACK.
    Incomplete,
    /// The capture began after the handshake.
    MidFlow,
    /// UDP: the server answered.
    Answered,
}

impl Handshake {
    /// Kebab-case name, as in the CSV.
    pub fn as_str(&self) -> &'static str {
        match self {
            Handshake::Established => "established",
            Handshake::NoReply => "no-reply",
            Handshake::Rejected => "rejected",
            Handshake::Unreachable => "unreachable",
            Handshake::ResetAfterData => "reset-after-data",
            Handshake::Incomplete => "incomplete",
            Handshake::MidFlow => "mid-flow",
            Handshake::Answered => "answered",
        }
    }
}

/// Who ended the flow and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Close {
    /// The client sent the first FIN.
    FinClient,
    /// The server sent the first FIN.
    FinServer,
    /// The client sent a RST first.
    RstClient,
    /// The server sent a RST first.
    RstServer,
    /// Still open when the capture ended.
    Open,
    /// Left idle past the timeout.
    Idle,
}

impl Close {
    /// Kebab-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Close::FinClient => "fin-client",
            Close::FinServer => "fin-server",
            Close::RstClient => "rst-client",
            Close::RstServer => "rst-server",
            Close::Open => "open",
            Close::Idle => "idle",
        }
    }
}

/// Counters of one direction.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DirRecord {
    /// Packets.
    pub packets: u64,
    /// Payload bytes (TCP/UDP payload on the wire, retransmissions included).
    pub bytes: u64,
    /// Segments (datagrams) with payload.
    pub data_segments: u64,
    /// Retransmitted segments.
    pub retransmissions: u64,
    /// Retransmitted segments with data.
    pub data_retransmissions: u64,
    /// Duplicate ACKs sent.
    pub dup_acks: u64,
    /// Zero-window advertisements sent.
    pub zero_windows: u64,
    /// Payload rate from first to last data segment, kbit/s.
    pub throughput_kbps: Option<f64>,
}

/// The evidence behind [`Handshake`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct HandshakeEvidence {
    /// SYNs sent by the client.
    pub syn_count: u32,
    /// From the first to the last SYN, ms.
    pub syn_span_ms: Option<f64>,
    /// Who sent the first RST.
    pub rst_by: Option<Side>,
    /// From the client's first data to the RST, ms.
    pub rst_after_client_data_ms: Option<f64>,
    /// The ICMP error that quoted this flow.
    pub icmp: Option<IcmpSeen>,
}

/// A TLS alert and who sent it.
#[derive(Debug, Clone, Serialize)]
pub struct AlertRecord {
    /// 1 warning, 2 fatal.
    pub level: u8,
    /// Description code.
    pub description: u8,
    /// Description name.
    pub name: &'static str,
}

/// TLS facts of a flow.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsRecord {
    /// ClientHello server_name.
    pub sni: Option<String>,
    /// False when only the start of the hello was captured.
    pub hello_complete: bool,
    /// Versions the client offered.
    pub client_versions: Vec<String>,
    /// ALPN protocols offered.
    pub alpn: Vec<String>,
    /// Version the server chose.
    pub server_version: Option<String>,
    /// The server's plaintext alert.
    pub alert: Option<AlertRecord>,
    /// Certificate chain, leaf first (TLS 1.2 and older).
    pub certificates: Vec<CertNames>,
}

/// Explicit-proxy facts of a flow.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyRecord {
    /// CONNECT target host.
    pub target_host: String,
    /// CONNECT target port.
    pub target_port: u16,
    /// Whether the request carried Proxy-Authorization.
    pub credentials_sent: bool,
    /// The proxy's status code.
    pub status: Option<u16>,
    /// The scheme the proxy asked for (Proxy-Authenticate).
    pub auth_scheme: Option<String>,
}

/// What the capture could not show about this flow.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FlowQuality {
    /// The flow began before the capture.
    pub began_before_capture: bool,
    /// Only one direction was seen.
    pub one_direction: bool,
    /// The snap length cut bytes of the hello (or proxy head) being read.
    pub hello_cut_by_snaplen: bool,
    /// Payload bytes cut by the snap length.
    pub bytes_cut: u64,
}

/// One flow, as every view sees it.
#[derive(Debug, Clone, Serialize)]
pub struct FlowRecord {
    /// Order of appearance.
    pub id: u64,
    /// First packet.
    #[serde(serialize_with = "ts")]
    pub first_seen: i64,
    /// Last packet.
    #[serde(serialize_with = "ts")]
    pub last_seen: i64,
    /// Client address.
    pub src_ip: IpAddr,
    /// Client port.
    pub src_port: u16,
    /// Server address.
    pub dst_ip: IpAddr,
    /// Server port.
    pub dst_port: u16,
    /// tcp or udp.
    pub transport: Transport,
    /// Best server name (see `name_source`).
    pub server_name: Option<String>,
    /// Where `server_name` came from.
    pub name_source: NameSource,
    /// The name DNS gave for `dst_ip` before the flow began.
    pub dns_name: Option<String>,
    /// The CNAME chain DNS gave below `dns_name` (as far as it was seen).
    pub dns_cnames: Vec<String>,
    /// Handshake outcome.
    pub handshake: Handshake,
    /// The evidence for it.
    pub evidence: HandshakeEvidence,
    /// Who closed the flow and how.
    pub close: Close,
    /// Client to server.
    pub out: DirRecord,
    /// Server to client.
    #[serde(rename = "in")]
    pub inbound: DirRecord,
    /// Handshake round-trip time, ms.
    pub rtt_ms: Option<f64>,
    /// TLS facts.
    pub tls: Option<TlsRecord>,
    /// Explicit-proxy facts.
    pub proxy: Option<ProxyRecord>,
    /// The tunnel the flow came through.
    pub tunnel: Option<Tunnel>,
    /// The outermost VLAN id.
    pub vlan: Option<u16>,
    /// Capture quality for this flow.
    pub quality: FlowQuality,
}

impl FlowRecord {
    /// The leaf certificate's issuer (common name), if a chain was seen.
    pub fn cert_issuer(&self) -> Option<&str> {
        self.tls
            .as_ref()?
            .certificates
            .first()
            .map(|c| c.issuer_cn.as_str())
    }

    /// The version the server chose, or else the highest the client offered.
    pub fn tls_version(&self) -> Option<&str> {
        let t = self.tls.as_ref()?;
        t.server_version.as_deref()
    }
}

/// What the capture itself shows about its quality, and what was read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaptureStats {
    /// Frames read.
    pub frames: u64,
    /// First frame time.
    #[serde(serialize_with = "ts_opt")]
    pub first_seen: Option<i64>,
    /// Last frame time.
    #[serde(serialize_with = "ts_opt")]
    pub last_seen: Option<i64>,
    /// Frames cut by the snap length.
    pub frames_cut_by_snaplen: u64,
    /// Frames that could not be decoded, by reason.
    pub undecoded: BTreeMap<String, u64>,
    /// IP fragments (counted, not reassembled).
    pub ip_fragments: u64,
    /// ICMP errors quoting a packet that is not in the capture (a flow is
    /// created for them).
    pub icmp_errors_unmatched: u64,
    /// Flows.
    pub flows: u64,
    /// Flows seen in one direction only.
    pub flows_one_direction: u64,
    /// TCP flows that began before the capture.
    pub flows_began_before_capture: u64,
    /// Flows whose hello the snap length cut.
    pub hellos_cut_by_snaplen: u64,
    /// Flows expired early because the flow table was full.
    pub flows_evicted: u64,
    /// Most flows held at once.
    pub peak_live_flows: u64,
    /// DNS messages that could not be parsed.
    pub dns_malformed: u64,
    /// Packets captured twice (on both sides of a router, as on an NVA
    /// captured on two interfaces) and counted once.
    pub packets_seen_twice: u64,
}

/// A flow with its verdict, as the views show it.
#[derive(Debug, Clone, Serialize)]
pub struct JudgedFlow {
    /// The flow.
    #[serde(flatten)]
    pub flow: FlowRecord,
    /// What the diagnosis says of it.
    #[serde(flatten)]
    pub verdict: crate::verdict::FlowVerdict,
}

/// The whole offline analysis.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// Layout version.
    pub schema_version: u32,
    /// The captures read, in order.
    pub inputs: Vec<ReadSummary>,
    /// Capture quality and counts.
    pub capture: CaptureStats,
    /// Site Recovery requirements, findings and fixes.
    pub diagnosis: crate::diagnosis::Diagnosis,
    /// DNS names asked and what happened to them.
    pub dns: Vec<NameLog>,
    /// Flows in order of first packet, with their verdicts.
    pub flows: Vec<JudgedFlow>,
}

/// Packet drops reported by the capture (live capture only).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Drops {
    /// Dropped by the kernel (buffer full): pcap_stats `ps_drop`.
    pub kernel: u64,
    /// Dropped by the interface or driver: pcap_stats `ps_ifdrop`.
    pub interface: u64,
    /// Dropped by asrscope because analysis fell behind capture.
    pub queue: u64,
}

impl Drops {
    /// All drops.
    pub fn total(&self) -> u64 {
        self.kernel + self.interface + self.queue
    }
}

/// What the terminal UI and the live outputs read: one consistent picture of
/// the analysis at a moment. Bounded: `flows` holds the live flows and the
/// most recent finished ones, the totals count everything.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// What is analysed: `interface eth0`, or the capture files.
    pub source: String,
    /// True for a live capture.
    pub live: bool,
    /// Frames captured (live) or read.
    pub frames: u64,
    /// Drops (live capture).
    pub drops: Option<Drops>,
    /// Capture quality and counts.
    pub capture: CaptureStats,
    /// Requirements, findings, regions, service-tag data.
    pub diagnosis: crate::diagnosis::Diagnosis,
    /// DNS names asked.
    pub dns: Vec<NameLog>,
    /// Flows to show: live ones first, then the most recent finished ones.
    pub flows: Vec<JudgedFlow>,
    /// Flows in the flow table now.
    pub live_flows: u64,
    /// Flows seen in all.
    pub total_flows: u64,
    /// Bytes uploaded to the cache storage account per bucket, oldest first.
    pub upload_series: Vec<u64>,
    /// Length of one bucket of `upload_series`, seconds.
    pub bucket_secs: u64,
}

impl Snapshot {
    /// A snapshot of a finished offline analysis (the series is built from
    /// each cache-storage flow's bytes spread over its duration).
    pub fn from_analysis(a: &Analysis, source: String) -> Snapshot {
        const BUCKETS: usize = 60;
        let (first, last) = (
            a.capture.first_seen.unwrap_or(0),
            a.capture.last_seen.unwrap_or(0),
        );
        let span = (last - first).max(1);
        let bucket_us = (span / BUCKETS as i64).max(1_000_000);
        let n = ((span / bucket_us) as usize + 1).min(BUCKETS * 2);
        let mut series = vec![0u64; n];
        for j in a
            .flows
            .iter()
            .filter(|j| j.verdict.endpoint == Some("cache-storage"))
        {
            let f = &j.flow;
            let (s, e) = (
                ((f.first_seen - first) / bucket_us) as usize,
                ((f.last_seen - first) / bucket_us) as usize,
            );
            let (s, e) = (s.min(n - 1), e.min(n - 1));
            let per = f.out.bytes / (e - s + 1) as u64;
            for b in &mut series[s..=e] {
                *b += per;
            }
        }
        Snapshot {
            source,
            live: false,
            frames: a.capture.frames,
            drops: None,
            capture: a.capture.clone(),
            diagnosis: a.diagnosis.clone(),
            dns: a.dns.clone(),
            flows: a.flows.clone(),
            live_flows: 0,
            total_flows: a.capture.flows,
            upload_series: series,
            bucket_secs: (bucket_us / 1_000_000) as u64,
        }
    }
}

/// Orders flows by first packet (then id), moving each record once: records
/// are large, and a comparison sort would move them many times.
pub fn sort_flows(v: Vec<FlowRecord>) -> Vec<FlowRecord> {
    let mut keys: Vec<(i64, u64, usize)> = v
        .iter()
        .enumerate()
        .map(|(i, r)| (r.first_seen, r.id, i))
        .collect();
    if keys.windows(2).all(|w| w[0] <= w[1]) {
        return v;
    }
    keys.sort_unstable();
    let mut slots: Vec<Option<FlowRecord>> = v.into_iter().map(Some).collect();
    keys.iter().filter_map(|k| slots[k.2].take()).collect()
}
