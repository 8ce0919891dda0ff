//! A flow's verdict and its typed cause: which rule decided and the numbers
//! it decided on. Reason sentences are rendered from the cause in one place
//! (`render::reason`); findings, error codes and fixes are chosen by
//! matching on the cause, never on the sentence.

use super::{FlowRecord, NsgVerdict, RouteVerdict, Side, TagName};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};

/// The Site Recovery endpoints of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum EndpointId {
    /// The cache storage account in the source region (`*.blob.core.windows.net`).
    CacheStorage,
    /// Microsoft Entra ID (`login.microsoftonline.com`).
    AzureAd,
    /// The Site Recovery service.
    SiteRecovery,
    /// Monitoring and diagnostics (`*.servicebus.windows.net`).
    Monitoring,
    /// Key Vault (ADE-enabled VMs).
    KeyVault,
    /// Automation (Mobility agent auto-upgrade).
    Automation,
}

impl EndpointId {
    /// The stable kebab-case id (`cache-storage`).
    pub fn as_str(&self) -> &'static str {
        match self {
            EndpointId::CacheStorage => "cache-storage",
            EndpointId::AzureAd => "azure-ad",
            EndpointId::SiteRecovery => "site-recovery",
            EndpointId::Monitoring => "monitoring",
            EndpointId::KeyVault => "key-vault",
            EndpointId::Automation => "automation",
        }
    }
}

/// How a flow was tied to its catalog endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "&'static str")]
pub enum EndpointBy {
    /// Its name (SNI, CONNECT, DNS answer or certificate) matched the pattern.
    Name,
    /// It had no name: its destination is on port 443 in the endpoint's
    /// service tag (a capture started after the connection was made).
    Address,
}

impl EndpointBy {
    /// Lower-case name, as in the CSV.
    pub fn as_str(&self) -> &'static str {
        match self {
            EndpointBy::Name => "name",
            EndpointBy::Address => "address",
        }
    }
}

/// What a certificate authority's host on HTTP port 80 serves, as "Azure
/// Certificate Authority details" lists the hosts: issuer certificates
/// (AIA), revocation lists (CRL), OCSP answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum CaService {
    /// Issuer certificates (Authority Information Access).
    Aia,
    /// Certificate revocation lists.
    Crl,
    /// Issuer certificates and revocation lists (`www.microsoft.com`).
    AiaCrl,
    /// OCSP responses.
    Ocsp,
}

impl CaService {
    /// The stable kebab-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            CaService::Aia => "aia",
            CaService::Crl => "crl",
            CaService::AiaCrl => "aia-crl",
            CaService::Ocsp => "ocsp",
        }
    }
}

/// An appliance vendor the support matrix names ("Palo Alto Network
/// Appliance | Not supported").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApplianceVendor {
    /// Palo Alto Networks (PAN-OS).
    PaloAlto,
}

/// A flow's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
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

/// A requirement's status in the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Status {
    /// Seen working.
    Ok,
    /// No flow and no DNS query for it in the capture.
    NotSeen,
    /// Slow.
    Throttled,
    /// Leaves the Azure boundary.
    OutsideAzure,
    /// TLS intercepted.
    Intercepted,
    /// An authenticating proxy is in the way.
    ProxyAuth,
    /// Blocked.
    Blocked,
}

impl Status {
    /// Kebab-case name, as in the JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NotSeen => "not-seen",
            Status::Throttled => "throttled",
            Status::OutsideAzure => "outside-azure",
            Status::Intercepted => "intercepted",
            Status::ProxyAuth => "proxy-auth",
            Status::Blocked => "blocked",
        }
    }

    /// True for the statuses that make a finding.
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Status::Blocked
                | Status::ProxyAuth
                | Status::Intercepted
                | Status::OutsideAzure
                | Status::Throttled
        )
    }

    /// The checklist status a flow verdict gives.
    pub fn of(v: Verdict) -> Status {
        match v {
            Verdict::Allowed | Verdict::Incomplete => Status::Ok,
            Verdict::Throttled => Status::Throttled,
            Verdict::OutsideAzure => Status::OutsideAzure,
            Verdict::Intercepted => Status::Intercepted,
            Verdict::ProxyAuth => Status::ProxyAuth,
            Verdict::Blocked => Status::Blocked,
        }
    }
}

/// How a DNS name failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsFailure {
    /// The name does not exist.
    Nxdomain,
    /// The server failed to resolve it.
    Servfail,
    /// Refused, FORMERR or another error code.
    Refused,
    /// Queries got no response.
    Unanswered,
}

/// How a client showed that it rejected the server's certificate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Rejection {
    /// A fatal certificate alert in clear.
    Alert {
        /// Its description (the JSON's `description` and `name`).
        #[serde(flatten)]
        description: super::AlertDescription,
    },
    /// TLS 1.3: one encrypted record of an alert's size, then closed.
    EncryptedAlert,
    /// Closed (FIN) right after the server's flight.
    Closed,
    /// Reset right after the server's flight.
    Reset,
}

/// The issuer of the leaf certificate a client rejected (TLS 1.2 and
/// older show it). Serialised as its common name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertIssuer {
    /// Its common name (or organisation when it has none).
    pub cn: String,
    /// It is one of the CAs that issue Azure's certificates, or one trusted
    /// by `--trusted-issuer`: the same judgement as the `intercepted`
    /// verdict's.
    pub trusted: bool,
}

impl Serialize for CertIssuer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.cn)
    }
}

/// How a server refused a ClientHello that offered no TLS version from 1.2
/// up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum TlsRefusal {
    /// A fatal protocol_version alert (OpenSSL-based servers).
    ProtocolVersionAlert,
    /// Closed right after the hello without sending one byte (Windows
    /// SChannel resets).
    Closed {
        /// How it closed.
        how: ClosedBy,
        /// From the ClientHello to the close, ms.
        after_ms: f64,
    },
}

/// How the server side closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClosedBy {
    /// A FIN: an orderly close.
    Fin,
    /// A RST.
    Reset,
}

/// Why a flow (or a requirement of the checklist) got its verdict, with the
/// numbers that decided it. Serialised as an object whose `kind` is the
/// stable machine-readable name.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Cause {
    /// An authenticating proxy answered 407 to CONNECT.
    ProxyAuthRequired {
        /// The proxy.
        proxy: SocketAddr,
        /// The CONNECT target, `host:port`.
        target: String,
        /// The scheme it asked for (Proxy-Authenticate).
        scheme: Option<String>,
    },
    /// The proxy refused CONNECT with another status.
    ProxyRefused {
        /// The proxy.
        proxy: SocketAddr,
        /// Its status code.
        status: u16,
        /// The CONNECT target, `host:port`.
        target: String,
    },
    /// The client's SYNs got no answer.
    NoSynAnswer {
        /// SYNs sent.
        syns: u32,
        /// From the first to the last SYN, ms.
        span_ms: f64,
        /// The server.
        server: SocketAddr,
    },
    /// A DNS query over UDP got no answer.
    NoDnsAnswer {
        /// The DNS server.
        server: SocketAddr,
    },
    /// The SYN was answered by a RST.
    SynReset {
        /// The server.
        server: SocketAddr,
    },
    /// An ICMP error answered the flow.
    IcmpError {
        /// Its type and code (the JSON's `v6`, `icmp_type` and `code`; all
        /// zero when the error itself was not kept).
        #[serde(flatten)]
        message: super::IcmpMessage,
        /// Who sent the error.
        from: Option<IpAddr>,
        /// The server.
        server: SocketAddr,
    },
    /// The server side reset the connection right after the client's first
    /// data, before sending any (a filtering firewall or proxy); the first
    /// data was not a TLS hello (that is [`Cause::ClosedAfterHello`]).
    ResetAfterFirstData {
        /// From the client's first data to the RST, ms.
        after_ms: f64,
        /// The name the flow is known by.
        name: Option<String>,
    },
    /// The server side closed the connection (FIN or RST, at once or after a
    /// while) after the client's TLS ClientHello without sending one byte:
    /// no ServerHello, no alert. Something that read the server name closed
    /// it: an FQDN filter, a firewall or a proxy in the path.
    ClosedAfterHello {
        /// How it closed.
        how: ClosedBy,
        /// From the ClientHello to the close, ms.
        after_ms: f64,
        /// The name the hello was for.
        name: Option<String>,
    },
    /// A firewall's or proxy's deny page answered the client's plain HTTP
    /// request.
    DenyPage {
        /// The page recognised (the JSON's `page`: `{"by":
        /// "azure-firewall"}`).
        page: super::DenyPage,
        /// The answer's status code.
        status: u16,
        /// The name the flow is known by.
        name: Option<String>,
    },
    /// SYN/ACK seen, never the client's ACK.
    AckNeverSeen,
    /// A fatal TLS alert ended the handshake.
    TlsAlert {
        /// Who sent it.
        side: Side,
        /// 1 warning, 2 fatal.
        level: u8,
        /// Its description (the JSON's `description` and `name`).
        #[serde(flatten)]
        description: super::AlertDescription,
    },
    /// The client rejected the server's certificate: a certificate alert, or
    /// it stopped right after the server's flight without finishing.
    CertificateRejected {
        /// How it showed.
        how: Rejection,
        /// The name the flow is known by.
        name: Option<String>,
        /// The leaf certificate's issuer, when TLS 1.2 showed it.
        issuer: Option<CertIssuer>,
    },
    /// The client's ClientHello offered no TLS version from 1.2 up (its
    /// supported_versions, else its version field), and the server refused
    /// it: a protocol_version alert, or a close right after the hello
    /// without one byte. Site Recovery and Azure Storage no longer accept
    /// TLS older than 1.2.
    NoTls12Offered {
        /// The highest version the client offered.
        offered: super::TlsVersion,
        /// How the server refused it.
        refused: TlsRefusal,
        /// The name the hello was for.
        name: Option<String>,
    },
    /// The server sent nothing after the ClientHello and the client gave up.
    ServerSilent {
        /// The name the hello was for.
        name: Option<String>,
    },
    /// UDP: the server answered.
    UdpAnswered,
    /// UDP: no answer seen.
    UdpNoAnswer,
    /// Began before the capture and was seen in one direction only.
    MidFlowOneDirection,
    /// The server's certificate was issued by a CA that is not the service's.
    UntrustedIssuer {
        /// The name the flow is known by.
        name: Option<String>,
        /// The leaf certificate's issuer (common name).
        issuer: String,
        /// The vendor of the appliance the issuer names, when it is one the
        /// support matrix lists as not supported (JSON: absent otherwise).
        #[serde(skip_serializing_if = "Option::is_none")]
        vendor: Option<ApplianceVendor>,
    },
    /// Reached through a private endpoint.
    PrivateEndpoint {
        /// The name the flow is known by.
        name: Option<String>,
        /// The `privatelink` CNAME.
        via: String,
        /// The private address.
        address: IpAddr,
    },
    /// A Site Recovery name went to an address outside every Azure range.
    OutsideAzure {
        /// The name.
        name: Option<String>,
        /// The address.
        address: IpAddr,
        /// The address came from a DNS answer for the name.
        resolved: bool,
    },
    /// Retransmissions or zero windows above the thresholds.
    Throttled {
        /// Share of client data segments retransmitted, percent (when above
        /// the threshold).
        retrans_pct: Option<f64>,
        /// Zero windows from the server (when at or above the threshold).
        zero_windows: Option<u64>,
        /// Upload rate, Mbit/s.
        upload_mbit_s: Option<f64>,
        /// Handshake round-trip time, ms.
        rtt_ms: Option<f64>,
    },
    /// Began before the capture; data flowed and was acknowledged.
    MidFlowWorking {
        /// The client sent data.
        data_out: bool,
        /// The server sent data.
        data_in: bool,
    },
    /// Began before the capture; only acknowledgments or keep-alives seen.
    MidFlowNoData,
    /// Established (and, with TLS, the version the server chose).
    Established {
        /// The TLS version the server chose.
        tls_version: Option<super::TlsVersion>,
        /// The explicit proxy it went through.
        proxy: Option<SocketAddr>,
        /// The proxy's status code.
        proxy_status: Option<u16>,
    },
    /// Checklist only: a name of the endpoint failed to resolve.
    DnsFailed {
        /// The name.
        name: String,
        /// How it failed.
        failure: DnsFailure,
        /// Responses (or unanswered queries) of that kind.
        count: u32,
    },
    /// Checklist only: a name of the vault's private endpoint resolves to a
    /// public address; a vault with a private endpoint refuses every network
    /// without one, however the connection itself went.
    VaultResolvesPublicly {
        /// The name.
        name: String,
    },
    /// Checklist only: the cache storage account's own firewall refuses the
    /// VM's traffic, or misses what Site Recovery requires of it (trusted
    /// Microsoft services), by its export (`--azure`), however the
    /// connections went: the refusal is an HTTP 403 inside TLS.
    StorageFirewallRefuses {
        /// The account.
        account: String,
    },
    /// Checklist only: the service endpoint policies on the VM's subnet
    /// list no resource holding the cache account, by their export
    /// (`--azure`), however the connections went: what the client sees of
    /// the denial is not documented.
    EndpointPolicyDenies {
        /// The account, when known.
        account: Option<String>,
        /// The policies on the subnet.
        policies: Vec<String>,
    },
    /// Checklist only: flows were seen, none complete enough to judge.
    NothingToJudge {
        /// Flows seen.
        flows: u64,
    },
}

impl Cause {
    /// Every cause's `kind`, in declaration order (the JSON Schema's list
    /// is checked against it, `tests/schema.rs`).
    pub const KINDS: [&'static str; 29] = [
        "proxy-auth-required",
        "proxy-refused",
        "no-syn-answer",
        "no-dns-answer",
        "syn-reset",
        "icmp-error",
        "reset-after-first-data",
        "closed-after-hello",
        "deny-page",
        "ack-never-seen",
        "tls-alert",
        "certificate-rejected",
        "no-tls12-offered",
        "server-silent",
        "udp-answered",
        "udp-no-answer",
        "mid-flow-one-direction",
        "untrusted-issuer",
        "private-endpoint",
        "outside-azure",
        "throttled",
        "mid-flow-working",
        "mid-flow-no-data",
        "established",
        "dns-failed",
        "vault-resolves-publicly",
        "storage-firewall-refuses",
        "endpoint-policy-denies",
        "nothing-to-judge",
    ];

    /// The cause's `kind`, as the JSON names it: a variant added fails to
    /// compile here until it is named, and in [`Cause::KINDS`].
    pub fn kind(&self) -> &'static str {
        match self {
            Cause::ProxyAuthRequired { .. } => "proxy-auth-required",
            Cause::ProxyRefused { .. } => "proxy-refused",
            Cause::NoSynAnswer { .. } => "no-syn-answer",
            Cause::NoDnsAnswer { .. } => "no-dns-answer",
            Cause::SynReset { .. } => "syn-reset",
            Cause::IcmpError { .. } => "icmp-error",
            Cause::ResetAfterFirstData { .. } => "reset-after-first-data",
            Cause::ClosedAfterHello { .. } => "closed-after-hello",
            Cause::DenyPage { .. } => "deny-page",
            Cause::AckNeverSeen => "ack-never-seen",
            Cause::TlsAlert { .. } => "tls-alert",
            Cause::CertificateRejected { .. } => "certificate-rejected",
            Cause::NoTls12Offered { .. } => "no-tls12-offered",
            Cause::ServerSilent { .. } => "server-silent",
            Cause::UdpAnswered => "udp-answered",
            Cause::UdpNoAnswer => "udp-no-answer",
            Cause::MidFlowOneDirection => "mid-flow-one-direction",
            Cause::UntrustedIssuer { .. } => "untrusted-issuer",
            Cause::PrivateEndpoint { .. } => "private-endpoint",
            Cause::OutsideAzure { .. } => "outside-azure",
            Cause::Throttled { .. } => "throttled",
            Cause::MidFlowWorking { .. } => "mid-flow-working",
            Cause::MidFlowNoData => "mid-flow-no-data",
            Cause::Established { .. } => "established",
            Cause::DnsFailed { .. } => "dns-failed",
            Cause::VaultResolvesPublicly { .. } => "vault-resolves-publicly",
            Cause::StorageFirewallRefuses { .. } => "storage-firewall-refuses",
            Cause::EndpointPolicyDenies { .. } => "endpoint-policy-denies",
            Cause::NothingToJudge { .. } => "nothing-to-judge",
        }
    }
}

/// The catalog endpoint a flow belongs to, and how it was told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointMatch {
    /// The endpoint.
    pub id: EndpointId,
    /// Its URL pattern in the flow's cloud (the CSV's and the JSON's
    /// `endpoint`).
    pub pattern: &'static str,
    /// Whether it was found by the flow's name or by its address.
    pub by: EndpointBy,
    /// The cloud of the endpoint's name (or of the analysis).
    pub cloud: super::Cloud,
    /// The tag an NSG must allow for the endpoint and these regions.
    pub required_tag: super::RequiredTag,
}

/// What the judge says of a flow.
///
/// The JSON flattens it beside the flow: `endpoint_id`, `endpoint` (the
/// pattern), `endpoint_by`, `cloud` and `required_tag` (all null for a flow
/// of no endpoint), `service_tag`, `service_region`, `platform`, `verdict`,
/// `reason` (the cause in words), `cause`, `private_endpoint`, `nsg`,
/// `route`, `firewall`, `admin`, `dns`, `outbound`, `endpoint_policy` and `storage`.
#[derive(Debug, Clone)]
pub struct FlowVerdict {
    /// The flow's id.
    pub flow: u64,
    /// The catalog endpoint the flow belongs to.
    pub endpoint: Option<EndpointMatch>,
    /// The tag that really contains the destination (the most relevant one).
    pub service_tag: Option<TagName>,
    /// The region of `service_tag`, when regional.
    pub service_region: Option<String>,
    /// An Azure platform address (168.63.129.16, 169.254.169.254), named:
    /// in no service tag, yet never outside Azure.
    pub platform: Option<&'static str>,
    /// What the host of a certificate authority the flow went to serves
    /// (issuer certificates, revocation lists, OCSP), by its name.
    pub ca_service: Option<CaService>,
    /// The verdict.
    pub verdict: Verdict,
    /// Why, machine-readable.
    pub cause: Cause,
    /// The NSG exports' verdict (Site Recovery flows, with `--nsg`).
    pub nsg: Option<NsgVerdict>,
    /// The effective route (Site Recovery flows, with `--routes`).
    pub route: Option<RouteVerdict>,
    /// The firewall's verdict (Site Recovery flows, with firewall exports
    /// through `--azure`).
    pub firewall: Option<super::FirewallVerdict>,
    /// The cache storage account's firewall (flows to the cache account,
    /// with `az storage account show` through `--azure`).
    pub storage: Option<super::StorageVerdict>,
    /// The private DNS zone's verdict (cache account and vault flows, with
    /// private DNS exports through `--azure`).
    pub dns: Option<super::DnsVerdict>,
    /// The security admin rules' verdict (Site Recovery flows, with their
    /// export through `--azure`), judged before the NSGs.
    pub admin: Option<super::AdminVerdict>,
    /// The way out of the VM's subnet (Site Recovery flows to public
    /// addresses, with the subnet's export through `--azure`).
    pub outbound: Option<super::OutboundVerdict>,
    /// What the service endpoint policies on the VM's subnet do with a
    /// Storage flow (with the subnet's and the policies' exports).
    pub endpoint_policy: Option<super::EndpointPolicyVerdict>,
}

impl FlowVerdict {
    /// The catalog endpoint's id.
    pub fn endpoint_id(&self) -> Option<EndpointId> {
        self.endpoint.as_ref().map(|e| e.id)
    }

    /// Reached through a private endpoint (CNAME to `privatelink.*`, private
    /// address).
    pub fn private_endpoint(&self) -> bool {
        matches!(self.cause, Cause::PrivateEndpoint { .. })
    }

    /// For a flow tied to its endpoint by its address alone (it had no
    /// name), the endpoint's pattern and the tag that holds the address.
    pub fn by_address(&self) -> Option<ByAddress> {
        let e = self.endpoint.as_ref()?;
        match (e.by, &self.service_tag) {
            (EndpointBy::Address, Some(tag)) => Some(ByAddress {
                pattern: e.pattern,
                tag: tag.clone(),
            }),
            _ => None,
        }
    }
}

/// A flow with no name, tied to its endpoint by the tag its address is in:
/// said beside its reason, so that no one mistakes it for a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByAddress {
    /// The endpoint's URL pattern.
    pub pattern: &'static str,
    /// The tag holding the address.
    pub tag: TagName,
}

/// A flow with its verdict, as the views show it.
#[derive(Debug, Clone, Serialize)]
pub struct JudgedFlow {
    /// The flow.
    #[serde(flatten)]
    pub flow: FlowRecord,
    /// What the diagnosis says of it.
    #[serde(flatten)]
    pub verdict: FlowVerdict,
}

named_by_as_str!(EndpointId, EndpointBy, CaService, Verdict, Status);
every_variant!(Verdict: Allowed, Incomplete, Throttled, OutsideAzure, Intercepted, ProxyAuth, Blocked);
every_variant!(Status: Ok, NotSeen, Throttled, OutsideAzure, Intercepted, ProxyAuth, Blocked);
