//! One flow as every view sees it: addresses, handshake and its evidence,
//! per-direction health, TLS, proxy and tunnel facts, and what the capture
//! could not show.

use super::ts;
use serde::Serialize;
use std::net::IpAddr;

/// IP protocol numbers of the transports tracked as flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(into = "&'static str")]
pub enum Transport {
    /// TCP
    Tcp,
    /// UDP
    Udp,
}

impl Transport {
    /// Lower-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Udp => "udp",
        }
    }

    /// IP protocol number.
    pub fn ip_proto(&self) -> u8 {
        match self {
            Transport::Tcp => 6,
            Transport::Udp => 17,
        }
    }
}

/// Which end of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The end that opened the connection (sent the SYN), or the higher port.
    Client,
    /// The other end.
    Server,
}

impl Side {
    /// Index into per-direction arrays: 0 client→server, 1 server→client.
    pub fn idx(self) -> usize {
        match self {
            Side::Client => 0,
            Side::Server => 1,
        }
    }
}

/// The kind of encapsulation around the innermost IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TunnelKind {
    /// IPv4 or IPv6 directly inside IPv4 or IPv6 (4in4, 6in4, 4in6, 6in6).
    IpInIp,
    /// Generic Routing Encapsulation (also ERSPAN).
    Gre,
    /// VXLAN (UDP 4789, 8472; Azure Gateway Load Balancer's 10800 and 10801).
    Vxlan,
    /// GENEVE (UDP 6081).
    Geneve,
    /// GTP-U (UDP 2152).
    GtpU,
    /// Teredo (UDP 3544).
    Teredo,
    /// PPP over Ethernet.
    Pppoe,
    /// MPLS label stack.
    Mpls,
}

/// A tunnel: its kind and, when it runs over IP, the outer addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Tunnel {
    /// Encapsulation.
    pub kind: TunnelKind,
    /// Outer source address (IP-based tunnels only).
    pub outer_src: Option<IpAddr>,
    /// Outer destination address (IP-based tunnels only).
    pub outer_dst: Option<IpAddr>,
    /// The tunnel's UDP port (VXLAN, GENEVE).
    pub port: Option<u16>,
    /// The network identifier (VXLAN and GENEVE VNI).
    pub vni: Option<u32>,
}

/// An ICMP error attributed to a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct IcmpSeen {
    /// Its type and code (the JSON's `v6`, `icmp_type` and `code`).
    #[serde(flatten)]
    pub message: super::IcmpMessage,
    /// Who sent the error.
    pub from: IpAddr,
    /// When (µs).
    pub ts_us: i64,
}

/// A certificate's names.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CertNames {
    /// Subject distinguished name.
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Issuer common name (or organisation when there is no CN).
    pub issuer_cn: String,
    /// The issuer's organisation (O=) values, each read as one attribute:
    /// what tells Azure's CAs (the DN string cannot, a value may hold ", ").
    /// Not in the JSON: `issuer` shows them.
    #[serde(skip)]
    pub issuer_org: Vec<String>,
    /// DNS names of the subjectAltName extension.
    pub san: Vec<String>,
}

/// Where the flow's server name came from, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "&'static str")]
pub enum NameSource {
    /// The TLS ClientHello's server_name.
    Sni,
    /// An HTTP CONNECT request to a proxy.
    Connect,
    /// A DNS answer for the server address seen before the flow began.
    Dns,
    /// The Host of a plain HTTP request.
    Host,
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
            NameSource::Host => "host",
            NameSource::Cert => "cert",
            NameSource::None => "none",
        }
    }
}

/// How the connection attempt ended (for UDP: whether the server answered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "&'static str")]
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
#[serde(into = "&'static str")]
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
    /// The first data segment (µs since the epoch).
    #[serde(serialize_with = "super::ts_opt")]
    pub first_data: Option<i64>,
    /// The last data segment (µs since the epoch).
    #[serde(serialize_with = "super::ts_opt")]
    pub last_data: Option<i64>,
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
    /// From the client's first data to the server side's FIN, ms, when the
    /// server side closed first and had sent no byte.
    pub fin_after_client_data_ms: Option<f64>,
    /// The ICMP error that quoted this flow.
    pub icmp: Option<IcmpSeen>,
    /// What the (first) SYN/ACK shows of the stack that sent it.
    pub synack: Option<SynAckPrint>,
    /// The TTLs of the server side's packets after its SYN/ACK.
    pub server_ttl: ServerTtl,
}

/// Most option kinds a [`TcpOptions`] keeps (a SYN/ACK carries five or six).
pub const MAX_OPTION_KINDS: usize = 10;

/// A segment's TCP options as a fingerprint: their kinds in order (up to
/// [`MAX_OPTION_KINDS`]), the maximum segment size and the window scale.
/// Two stacks differ in them; one stack sends the same in every SYN/ACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpOptions {
    kinds: [u8; MAX_OPTION_KINDS],
    len: u8,
    /// The maximum segment size announced.
    pub mss: Option<u16>,
    /// The window scale shift announced.
    pub wscale: Option<u8>,
}

impl TcpOptions {
    /// Reads a TCP header's options (stops at the end of the list, at a
    /// malformed length, or after [`MAX_OPTION_KINDS`] kinds).
    pub fn read(mut b: &[u8]) -> TcpOptions {
        let mut o = TcpOptions::default();
        while let Some(&kind) = b.first() {
            if usize::from(o.len) == MAX_OPTION_KINDS {
                break;
            }
            o.kinds[usize::from(o.len)] = kind;
            o.len += 1;
            match kind {
                0 => break,
                1 => {
                    b = &b[1..];
                    continue;
                }
                _ => {}
            }
            let Some(&n) = b.get(1) else { break };
            let n = usize::from(n);
            if n < 2 || n > b.len() {
                break;
            }
            match (kind, n) {
                (2, 4) => o.mss = Some(u16::from_be_bytes([b[2], b[3]])),
                (3, 3) => o.wscale = Some(b[2]),
                _ => {}
            }
            b = &b[n..];
        }
        o
    }

    /// The option kinds, in order.
    pub fn kinds(&self) -> impl Iterator<Item = super::TcpOptionKind> + '_ {
        self.kinds[..usize::from(self.len)]
            .iter()
            .map(|k| super::TcpOptionKind(*k))
    }
}

impl Serialize for TcpOptions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("TcpOptions", 3)?;
        st.serialize_field("options", &self.kinds().collect::<Vec<_>>())?;
        st.serialize_field("mss", &self.mss)?;
        st.serialize_field("wscale", &self.wscale)?;
        st.end()
    }
}

/// What a SYN/ACK shows of the stack that sent it: the IP TTL (or hop
/// limit), the IP identification, the window and the TCP options. A
/// transparent proxy or firewall that answers the SYN itself shows its own,
/// not the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SynAckPrint {
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 identification (`None` for IPv6).
    pub ip_id: Option<u16>,
    /// The window (unscaled, as a SYN/ACK's always is).
    pub window: u16,
    /// The options (the JSON's `options`, `mss` and `wscale`).
    #[serde(flatten)]
    pub options: TcpOptions,
}

impl SynAckPrint {
    /// What differs between two SYN/ACKs, as the stack that sent them
    /// shows: the TTL, whether the IP identification is zero, the window,
    /// the options. Empty when they look alike.
    pub fn differences(&self, other: &SynAckPrint) -> PrintDiff {
        PrintDiff {
            ttl: self.ttl != other.ttl,
            ip_id: self.ip_id.map(|i| i == 0) != other.ip_id.map(|i| i == 0),
            window: self.window != other.window,
            options: self.options != other.options,
        }
    }
}

/// Which parts of two SYN/ACK prints differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct PrintDiff {
    /// The TTL (hop limit).
    pub ttl: bool,
    /// The IP identification: zero in one, not in the other.
    pub ip_id: bool,
    /// The window.
    pub window: bool,
    /// The options, their order, the MSS or the window scale.
    pub options: bool,
}

impl PrintDiff {
    /// True when something differs.
    pub fn any(&self) -> bool {
        self.ttl || self.ip_id || self.window || self.options
    }
}

/// The TTL (or hop limit) of the server side's packets after its SYN/ACK:
/// a device in the path that answers or closes in the server's name sends
/// its own, from fewer or more hops away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ServerTtl {
    /// Of its first segment carrying data.
    pub data: Option<u8>,
    /// Of its first FIN or RST.
    pub close: Option<u8>,
    /// Of its first other packet (a bare ACK, a later FIN or RST).
    pub other: Option<u8>,
}

/// A TLS alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AlertRecord {
    /// 1 warning, 2 fatal.
    pub level: u8,
    /// Its description: the JSON's `description` (the code) and `name`.
    #[serde(flatten)]
    pub description: super::AlertDescription,
}

/// TLS facts of a flow.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsRecord {
    /// ClientHello server_name.
    pub sni: Option<String>,
    /// False when only the start of the hello was captured.
    pub hello_complete: bool,
    /// Versions the client offered.
    pub client_versions: Vec<super::TlsVersion>,
    /// ALPN protocols offered.
    pub alpn: Vec<String>,
    /// Version the server chose.
    pub server_version: Option<super::TlsVersion>,
    /// The server's plaintext alert.
    pub alert: Option<AlertRecord>,
    /// The client's plaintext alert.
    pub client_alert: Option<AlertRecord>,
    /// Certificate chain, leaf first (TLS 1.2 and older).
    pub certificates: Vec<CertNames>,
    /// How the handshake ended, from what both sides sent.
    pub handshake_end: TlsEnd,
}

/// How a TLS handshake ended, judged from the record types both sides sent
/// (their contents are encrypted) and from how the TCP connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TlsEnd {
    /// Both sides finished: TLS 1.2, each side's ChangeCipherSpec and
    /// Finished, or data both ways; TLS 1.3, the client's encrypted flight
    /// after the server's.
    Completed,
    /// The server sent a fatal alert (`alert`).
    ServerAlert,
    /// The client sent a fatal alert (`client_alert`).
    ClientAlert,
    /// TLS 1.3: the client answered the server's flight with one encrypted
    /// record too short to be its Finished, and nothing more: an alert, the
    /// description hidden by the encryption (whichever side closed first).
    ClientEncryptedAlert,
    /// The client closed the connection right after the server's flight
    /// (its certificate) without sending anything more.
    ClientClosedAfterServerFlight,
    /// The client reset the connection right after the server's flight.
    ClientResetAfterServerFlight,
    /// The server sent nothing after the ClientHello; the client gave up.
    ServerSilent,
    /// Reset at the ClientHello (see the handshake).
    ResetAtHello,
    /// The server side closed (FIN) after the ClientHello without sending
    /// one byte: no ServerHello, no alert.
    ClosedAtHello,
    /// The capture does not show how it ended (it ended first, or the snap
    /// length cut the records).
    #[default]
    Unknown,
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
    /// The proxy's status code (its last answer, when it answered more
    /// than one CONNECT on the connection).
    pub status: Option<u16>,
    /// The proxy's first answer, when it answered again on the same
    /// connection (407, then 200 once the client sent credentials).
    pub first_status: Option<u16>,
    /// The scheme the proxy asked for (Proxy-Authenticate).
    pub auth_scheme: Option<String>,
}

/// A firewall's or proxy's deny page, recognised in a plain HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum DenyPage {
    /// Azure Firewall's application-rule deny: status 470 (its `text/plain`
    /// body says `Action: Deny. Reason: …`).
    AzureFirewall,
    /// Squid's error page: the `X-Squid-Error` header names the error.
    Squid {
        /// The error (`ERR_ACCESS_DENIED`).
        error: String,
    },
}

/// Plain HTTP facts of a flow: a request that is not an explicit proxy's
/// CONNECT, and its answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HttpRecord {
    /// The request's method (`GET`).
    pub method: String,
    /// The host it asked for: the `Host` header (or the absolute URI's),
    /// lower case, without the port.
    pub host: Option<String>,
    /// The request line's target, without its query: a path
    /// (`/metadata/instance`), or the absolute URI a client sends to a proxy
    /// (`http://169.254.169.254/metadata/instance`).
    pub target: Option<String>,
    /// The answer's status code.
    pub status: Option<u16>,
    /// A deny page recognised in the answer.
    pub deny_page: Option<DenyPage>,
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
    /// The address an appliance translated the client to (source NAT), when
    /// the capture holds both legs of the connection: what the server, and a
    /// storage firewall, saw.
    pub translated_ip: Option<IpAddr>,
    /// The port it was translated to.
    pub translated_port: Option<u16>,
    /// tcp or udp.
    pub transport: Transport,
    /// The Community ID v1 of the flow's addresses, ports and transport (seed
    /// 0): the ID Zeek, Suricata, Arkime and Wireshark give the same
    /// connection, to find it in their logs.
    pub community_id: String,
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
    /// Plain HTTP facts.
    pub http: Option<HttpRecord>,
    /// The tunnel the flow came through.
    pub tunnel: Option<Tunnel>,
    /// The outermost VLAN id.
    pub vlan: Option<u16>,
    /// Capture quality for this flow.
    pub quality: FlowQuality,
}

impl FlowRecord {
    /// The name the flow is known by for classification: its server name,
    /// else the DNS name of its destination, else the CONNECT target, else
    /// the HTTP Host.
    pub fn name(&self) -> Option<&str> {
        self.server_name
            .as_deref()
            .or(self.dns_name.as_deref())
            .or(self.proxy.as_ref().map(|p| p.target_host.as_str()))
            .or(self.http.as_ref().and_then(|h| h.host.as_deref()))
    }

    /// The leaf certificate's issuer (common name), if a chain was seen.
    pub fn cert_issuer(&self) -> Option<&str> {
        self.tls
            .as_ref()?
            .certificates
            .first()
            .map(|c| c.issuer_cn.as_str())
    }

    /// The version the server chose.
    pub fn tls_version(&self) -> Option<super::TlsVersion> {
        self.tls.as_ref()?.server_version
    }
}

/// Orders flows by first packet (then id).
pub fn sort_flows(mut v: Vec<FlowRecord>) -> Vec<FlowRecord> {
    sort_flows_in_place(&mut v);
    v
}

/// Orders flows by first packet (then id) where they lie: the keys are
/// sorted, and the records then follow the permutation's cycles, each moved
/// by one swap. Records are large: a comparison sort would move them many
/// times, and sorting into a new list would hold the batch twice.
pub fn sort_flows_in_place(v: &mut [FlowRecord]) {
    let mut keys: Vec<(i64, u64, usize)> = v
        .iter()
        .enumerate()
        .map(|(i, r)| (r.first_seen, r.id, i))
        .collect();
    if keys.windows(2).all(|w| w[0] <= w[1]) {
        return;
    }
    keys.sort_unstable();
    // Position i receives the record now at src[i].
    let mut src: Vec<usize> = keys.into_iter().map(|k| k.2).collect();
    for start in 0..src.len() {
        let mut cur = start;
        loop {
            let next = src[cur];
            src[cur] = cur;
            if next == start {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

named_by_as_str!(Transport, NameSource, Handshake, Close);
every_variant!(NameSource: Sni, Connect, Dns, Host, Cert, None);
every_variant!(Handshake: Established, NoReply, Rejected, Unreachable, ResetAfterData, Incomplete, MidFlow, Answered);
every_variant!(Close: FinClient, FinServer, RstClient, RstServer, Open, Idle);
