//! What a finding says, as values: its headline ([`Title`]) and the lines
//! of its evidence ([`Evidence`]). Each variant holds the numbers, names and
//! verdicts it rests on; `render` is the one place they become sentences,
//! and nothing decides on those.

use super::{ByAddress, Cause, NsgVerdict, RouteNote, RouteVerdict, Status, Tunnel, Verdict};
use super::{ClosedBy, PrintDiff, SynAckPrint};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// What a name of an endpoint with a private endpoint that resolves to a
/// public address means, by the endpoint's role ("Replicate machines with
/// private endpoints", Site Recovery).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PublicResolution {
    /// The cache storage account: protection still succeeds, and
    /// replication goes over the account's public endpoint while it allows
    /// public access.
    CacheOverPublicEndpoint,
    /// The Recovery Services vault: with a private endpoint it is locked
    /// down to the networks that have one, so the public answer fails now.
    VaultRefused,
}

/// A finding's headline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Title {
    /// An endpoint is blocked.
    Blocked {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// A filter resets the connection at the client's first data.
    ResetByFilter {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// The connection is closed after the TLS hello named the server,
    /// before any answer: a firewall or proxy that filters names.
    ClosedAfterHello {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// A firewall's or proxy's deny page answered the request.
    DenyPage {
        /// The endpoint's URL pattern.
        pattern: &'static str,
        /// The page.
        page: super::DenyPage,
    },
    /// The proxy refuses the endpoint.
    RefusedByProxy {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// TLS to the endpoint fails (an alert).
    TlsFails {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// The VM rejects the endpoint's certificate.
    CertificateRejected {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// The VM offers no TLS version from 1.2 up, and the endpoint refuses
    /// it.
    NoTls12 {
        /// The endpoint's URL pattern.
        pattern: &'static str,
        /// The highest version the VM offered.
        offered: super::TlsVersion,
    },
    /// The VM's TLS handshake with the endpoint completed at a version
    /// older than TLS 1.2, which Site Recovery and Azure Storage refuse
    /// inside TLS.
    OldTlsNegotiated {
        /// The endpoint's URL pattern.
        pattern: &'static str,
        /// The oldest version a server chose.
        version: super::TlsVersion,
    },
    /// The TLS hello gets no answer.
    HelloUnanswered {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// An authenticating proxy refuses the endpoint (407).
    AuthenticatingProxy {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// TLS to the endpoint is intercepted.
    Intercepted {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// The firewall export denies an endpoint the capture shows working.
    FirewallDeniesWhatWorks {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// The service endpoint policies on the VM's subnet deny Storage
    /// traffic to the cache account, by their export.
    EndpointPolicyDenies {
        /// The account, when known.
        account: Option<String>,
    },
    /// The cache storage account's own firewall refuses the VM's traffic
    /// (or misses what Site Recovery requires of it), by its export; or,
    /// `certain` false, whether it does cannot be told offline.
    StorageFirewallRefuses {
        /// The account.
        account: String,
        /// The export says so for certain.
        certain: bool,
    },
    /// The private DNS exports say a name cannot resolve to its private
    /// endpoint, and the capture shows it did.
    DnsExportDeniesWhatWorks {
        /// The name.
        name: String,
    },
    /// Traffic to the endpoint leaves the Azure boundary.
    LeavesAzure {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// The endpoint is throttled.
    Throttled {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// The NSG export denies what the capture shows working.
    ExportDeniesWhatWorks {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// A connection worked through a proxy that asks for credentials.
    ProxyAsksCredentials {
        /// The endpoint's URL pattern.
        pattern: &'static str,
    },
    /// A name does not resolve.
    DoesNotResolve {
        /// The name.
        name: String,
    },
    /// A name with a private endpoint resolves to a public address.
    ResolvesPublicly {
        /// The name.
        name: String,
        /// What that means for the endpoint it names.
        role: PublicResolution,
    },
    /// Storage in the source region answers while every other public
    /// endpoint is silent: the signature of a private subnet without an
    /// explicit outbound method.
    PrivateSubnet,
    /// The same, where the subnet's export shows the subnet private and
    /// without a way out.
    SubnetNoOutbound {
        /// The subnet.
        subnet: String,
    },
    /// Cache storage traffic goes to another region than the source.
    CacheInOtherRegion {
        /// The region it goes to (its tag suffix).
        region: String,
        /// The source region (its tag suffix).
        source: String,
    },
    /// Replication traffic passes through a network virtual appliance.
    ThroughAppliance,
    /// An endpoint is reached through a private endpoint.
    PrivateEndpoint,
    /// The service-tag data is older than the capture.
    StaleTags {
        /// By this many days.
        age_days: i64,
    },
    /// Connections to the multi-VM consistency port got no answer.
    MultiVmPortBlocked {
        /// The port (20004).
        port: u16,
    },
    /// Requests for the Instance Metadata Service went to a proxy.
    ImdsThroughProxy,
    /// Requests for the Instance Metadata Service got no answer.
    ImdsUnanswered,
    /// Requests to the certificate authorities' hosts (issuer certificates,
    /// revocation lists, OCSP) were blocked.
    CaHostsBlocked,
}

/// How a request for the Instance Metadata Service reached a proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImdsVia {
    /// A CONNECT to 169.254.169.254.
    Connect,
    /// A request in the absolute form (`GET http://169.254.169.254/…`).
    AbsoluteUri,
}

/// How a request for the Instance Metadata Service went unanswered.
#[derive(Debug, Clone, PartialEq)]
pub enum ImdsFailure {
    /// The connection failed: its cause (SYNs unanswered, a reset, ICMP).
    Connection(Cause),
    /// The connection was made and the request sent; no HTTP answer came.
    NoResponse {
        /// IMDS's address and port.
        server: SocketAddr,
        /// Times the client sent request bytes again.
        retransmissions: u64,
    },
}

/// A blocked request to a certificate authority's host.
#[derive(Debug, Clone, PartialEq)]
pub struct CaBlocked {
    /// The host.
    pub name: String,
    /// What it serves.
    pub service: super::CaService,
    /// Why the flow was blocked.
    pub cause: Cause,
}

/// What the server's own packets showed, beside a SYN/ACK that differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerSeen {
    /// The server side's later packets of the same connection (its data,
    /// else its other packets) came with this TTL.
    LaterPackets {
        /// Their TTL (hop limit).
        ttl: u8,
    },
    /// Other connections to the same address, whose SYN/ACK matched the
    /// server's data that followed it, got another SYN/ACK.
    OtherConnections {
        /// Their SYN/ACK.
        print: SynAckPrint,
        /// Connections that showed it.
        flows: u64,
        /// What differs.
        differ: PrintDiff,
    },
}

/// A DNS server a name was asked of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DnsServer {
    /// Its address.
    pub address: IpAddr,
    /// It is Azure-provided DNS (168.63.129.16).
    pub azure: bool,
}

/// What one VM (a source address) met on the way to an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceOutcome {
    /// The VM's address (the client's, before any translation).
    pub address: std::net::IpAddr,
    /// Its status: its worst flow's.
    pub status: Status,
    /// Its flows to the endpoint.
    pub flows: u64,
}

/// Upload to the cache storage account, beside what replication needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Upload {
    /// Flows to the cache account with data.
    pub flows: u64,
    /// Bytes uploaded.
    pub bytes: u64,
    /// How long data was in flight: the union of the flows' transfer
    /// intervals (each from its first to its last data segment), seconds.
    pub seconds: f64,
    /// From the first data segment of any flow to the last, seconds: with
    /// captures taken apart or a long live session, much longer than
    /// `seconds`.
    pub span_seconds: f64,
    /// True when flows carried data at the same time.
    pub parallel: bool,
    /// Average rate while data was in flight (`bytes` over `seconds`), MB/s.
    pub mbps: f64,
    /// Data segments retransmitted, percent.
    pub retrans_pct: f64,
    /// Zero windows from the storage side.
    pub zero_windows: u64,
    /// Median handshake RTT, ms.
    pub rtt_ms: Option<f64>,
}

/// One line of a finding's evidence.
#[derive(Debug, Clone, PartialEq)]
pub enum Evidence {
    /// The VMs reached on the multi-VM consistency port: those whose port
    /// never answered, and those that answered (at most 8 each).
    MultiVmPeers {
        /// The port.
        port: u16,
        /// Peers whose port never answered.
        blocked: Vec<IpAddr>,
        /// Peers whose port answered.
        answered: Vec<IpAddr>,
    },
    /// The certificate's issuer names an appliance the support matrix
    /// lists as not supported.
    UnsupportedAppliance {
        /// The vendor.
        vendor: super::ApplianceVendor,
    },
    /// Why the flow behind the finding got its verdict.
    Cause(Cause),
    /// The SYN/ACK did not come from the server: a device in the path (a
    /// transparent proxy or firewall) answered the handshake in its name.
    SynAckNotTheServers {
        /// The server's address.
        server: IpAddr,
        /// The SYN/ACK.
        synack: SynAckPrint,
        /// What the server's own packets showed.
        seen: ServerSeen,
    },
    /// The close came from another device than the server: its TTL differs
    /// from that of the SYN/ACK and the server's other packets, which agree.
    CloseNotTheServers {
        /// How it closed.
        how: ClosedBy,
        /// The close's TTL (hop limit).
        ttl: u8,
        /// The TTL of the server's SYN/ACK and other packets.
        server_ttl: u8,
    },
    /// Site Recovery disables TLS older than 1.2 and Azure Storage no longer
    /// accepts TLS 1.0 and 1.1: what a VM that does not offer TLS 1.2 sees
    /// (error 10054).
    Tls12Required,
    /// Servers chose a version older than TLS 1.2 in the ServerHello of
    /// the endpoint's flows.
    OldTlsNegotiated {
        /// The oldest version chosen.
        version: super::TlsVersion,
        /// Flows whose server chose a version older than TLS 1.2.
        flows: u64,
    },
    /// Site Recovery disables TLS older than 1.2, and Azure Storage refuses
    /// a request over TLS 1.0 or 1.1 inside the connection (HTTP 400),
    /// which a capture cannot show.
    OldTlsRefusedInside,
    /// The endpoint's flows, by verdict.
    Flows {
        /// Flows.
        flows: u64,
        /// Flows by verdict.
        by_verdict: BTreeMap<Verdict, u64>,
    },
    /// Each VM's outcome (by source address), worst first, when there are
    /// several.
    BySource {
        /// The sources listed.
        sources: Vec<SourceOutcome>,
        /// Sources past those listed.
        left_off: u64,
    },
    /// The upload to the cache account beside what Site Recovery needs.
    CacheUpload {
        /// The upload.
        upload: Upload,
        /// It is slower than Site Recovery needs.
        below: bool,
        /// What Site Recovery needs, MB/s.
        needed_mbps: f64,
        /// The churn limit per VM, MB/s.
        churn_limit_mbps: f64,
        /// The churn limit per VM with High Churn, MB/s.
        high_churn_limit_mbps: f64,
    },
    /// The per-disk churn limits that bound replication, MB/s (the tables
    /// are `asrscope requirements`').
    ChurnLimits {
        /// The lowest per-disk limit (standard churn).
        lowest_mbps: f64,
        /// The highest per-disk limit (standard churn).
        highest_mbps: f64,
        /// The highest per-disk limit with High Churn.
        high_churn_mbps: f64,
        /// The per-disk limit with the Enhanced Churn preview.
        enhanced_churn_mbps: f64,
        /// The regions of the Enhanced Churn preview.
        enhanced_churn_regions: usize,
    },
    /// The NSG export shows a deny.
    NsgDenies(NsgVerdict),
    /// A security admin rule of a Virtual Network Manager denies it, before
    /// any NSG (their export, `--azure`).
    AdminRuleDenies(super::AdminVerdict),
    /// Every NSG allows it: the NSG is not the cause.
    NsgAllows {
        /// The NSGs' verdict.
        nsg: NsgVerdict,
        /// The route it takes, when the routes were given.
        route: Option<RouteVerdict>,
    },
    /// The NSG export cannot tell.
    NsgCannotTell(NsgVerdict),
    /// Security admin rules of a Virtual Network Manager apply first and are
    /// not in the export.
    AdminRulesFirst {
        /// The network manager.
        manager: String,
    },
    /// A default route to the gateway proves forced tunnelling.
    ForcedTunnel(RouteVerdict),
    /// The route drops the traffic.
    RouteDrops(RouteVerdict),
    /// The route sends the traffic to a virtual appliance, which may
    /// throttle it.
    ApplianceRoute {
        /// The endpoint's URL pattern.
        pattern: &'static str,
        /// The appliance's address.
        address: Option<String>,
    },
    /// What the route choice rests on.
    Route(RouteNote),
    /// The NSG export denies what the capture shows working.
    ExportDenies(NsgVerdict),
    /// What the firewall the route leads to does with the traffic, by its
    /// exports.
    Firewall(super::FirewallVerdict),
    /// The firewall export denies what the capture shows working.
    FirewallExportDenies(super::FirewallVerdict),
    /// What the cache storage account's firewall does with the VM's
    /// traffic, by its export.
    StorageFirewall(super::StorageVerdict),
    /// A storage account refuses inside TLS (HTTP 403): the capture shows a
    /// completed handshake and short exchanges, the export decides.
    StorageRefusalInsideTls,
    /// What the service endpoint policies on the VM's subnet do with
    /// Storage traffic to the account, by their export.
    EndpointPolicy(super::EndpointPolicyVerdict),
    /// What the client sees when a policy denies is not documented: the
    /// capture cannot show it, the export decides.
    EndpointPolicyDenialUnseen,
    /// An Always Allow admin rule would let it through.
    AlwaysAllowAdminRule {
        /// The network manager.
        manager: String,
    },
    /// A proxy let a connection through once the client sent credentials.
    ProxyAuthenticated {
        /// The proxy.
        proxy: SocketAddr,
        /// The scheme it asked for.
        scheme: Option<String>,
        /// Its first answer (407), when it answered twice.
        first_status: Option<u16>,
    },
    /// The Mobility service cannot authenticate to a proxy.
    MobilityCannotAuthenticate,
    /// How a name failed, and the DNS servers asked.
    DnsFailed {
        /// The failure.
        cause: Cause,
        /// The servers.
        servers: Vec<DnsServer>,
    },
    /// A name's CNAME chain and the addresses it ended at: the public ones
    /// when it should have resolved privately (or the private ones, when an
    /// export says it could not).
    ResolvedTo {
        /// The name, then its CNAMEs.
        chain: Vec<String>,
        /// The addresses.
        public: Vec<IpAddr>,
    },
    /// A CNAME of the chain is a record of a private DNS zone the VM's DNS
    /// does not answer from.
    ZoneNotAnswered {
        /// The CNAME.
        link: String,
        /// The private DNS zone.
        zone: &'static str,
        /// The public zone to forward.
        forwarder: String,
    },
    /// What the private DNS exports say of the zone that did not answer:
    /// the setting responsible (the zone not linked to the VM's virtual
    /// network, the record missing, or, the zone linked and holding the
    /// name, the custom DNS server the VM asks).
    PrivateDns {
        /// The verdict.
        verdict: super::DnsVerdict,
    },
    /// Replication uses the cache account's public endpoint for now.
    PublicEndpointToday,
    /// The vault, once it has a private endpoint, refuses networks without
    /// one: Site Recovery fails from this VM now.
    VaultLockedDown,
    /// The cache upload to Storage in the source region worked.
    SameRegionStorageWorks {
        /// The source region (its tag suffix).
        region: String,
        /// Bytes uploaded there.
        bytes: u64,
    },
    /// Public endpoints whose every connection went unanswered: SYNs with
    /// no SYN/ACK, no reset and no ICMP error.
    SilentEndpoints {
        /// Each endpoint's URL pattern with its flows.
        endpoints: Vec<(&'static str, u64)>,
    },
    /// New virtual networks default to private subnets, which need an
    /// explicit outbound method; the capture cannot tell the subnet's
    /// setting.
    PrivateSubnetDefault,
    /// The subnet's export says the VM's subnet is private with no way
    /// out: the signature is the setting's.
    NoOutbound {
        /// The way-out verdict of a silent endpoint's flow.
        verdict: super::OutboundVerdict,
    },
    /// Bytes uploaded to another region's storage addresses.
    CacheBytes {
        /// Bytes.
        bytes: u64,
        /// The region's tag suffix.
        region: String,
    },
    /// Site Recovery flows seen on an appliance.
    ApplianceFlows {
        /// Flows.
        flows: u64,
    },
    /// The flows come from several VMs.
    SeveralVms {
        /// Source addresses of one family.
        vms: usize,
    },
    /// The appliance translates the VMs' addresses (source NAT).
    Translated {
        /// The addresses connections leave from, with their flows.
        to: Vec<(IpAddr, u64)>,
    },
    /// Flows inside the tunnels that bring traffic to an appliance.
    Tunnelled {
        /// Flows.
        flows: u64,
        /// The VXLAN and GENEVE tunnels.
        tunnels: Vec<Tunnel>,
    },
    /// A flow reached through a private endpoint.
    Reached {
        /// Its cause.
        cause: Cause,
        /// How it was tied to its endpoint, when by address.
        by_address: Option<ByAddress>,
    },
    /// When the service-tag data was published.
    TagsPublished {
        /// The date.
        published: String,
        /// Its change number.
        change_number: u64,
    },
    /// Requests for the Instance Metadata Service sent to a proxy.
    ImdsToProxy {
        /// The proxy.
        proxy: SocketAddr,
        /// How (CONNECT or an absolute URI).
        via: ImdsVia,
        /// The request's target (absolute form), when it was plain HTTP.
        target: Option<String>,
        /// The proxy's answer.
        status: Option<u16>,
        /// Flows that did so.
        flows: u64,
    },
    /// IMDS answers the VM from its host and is not meant to be used behind
    /// a proxy: a proxy cannot ask it for the VM.
    ImdsStaysOnHost,
    /// Requests for the Instance Metadata Service that got no answer.
    ImdsNoAnswer {
        /// How the first one failed.
        failure: ImdsFailure,
        /// Flows that failed.
        flows: u64,
    },
    /// Requests to the certificate authorities' hosts that were blocked,
    /// one per host (the first flow's cause).
    CaHostsBlocked {
        /// The hosts.
        hosts: Vec<CaBlocked>,
        /// Blocked flows in all.
        flows: u64,
    },
}
