//! The verdict rules: one verdict per flow, with the typed cause that led to
//! it. A flow is judged from what the capture shows (proxy answers,
//! handshake, resets, ICMP, TLS alerts, certificates, retransmissions) and
//! from where its destination sits in the Azure service-tag ranges. The rules
//! are tried in the order `decide` lists them; the first that applies
//! decides (`docs/DIAGNOSIS.md` describes them, grouped by verdict).
//! Thresholds are set by flags.

use crate::azure::endpoints::{self, Endpoint};
use crate::azure::tags::{TagDb, TagInfo};
use crate::model::{
    AlertDescription, ApplianceVendor, Cause, CertIssuer, CertNames, Close, ClosedBy, Cloud,
    EndpointBy, EndpointMatch, FlowRecord, FlowVerdict, Handshake, NameSource, NsgVerdict, Region,
    Rejection, Side, TagName, Thresholds, TlsEnd, TlsRefusal, Transport, Verdict,
};
use std::net::{IpAddr, SocketAddr};

/// The organisations (O=) of the CAs that issue Azure's certificates, as
/// "Azure Certificate Authority details" (ms.date 11/17/2025) lists them:
/// Microsoft's (Microsoft Azure RSA/ECC TLS Issuing CA 03/04/07/08,
/// Microsoft TLS G2 RSA/ECC CA OCSP …: `Microsoft Corporation`) and
/// DigiCert's (DigiCert Global G2 TLS RSA SHA256 2020 CA1, DigiCert Cloud
/// Services CA-1 …: `DigiCert Inc`; GeoTrust Global TLS RSA4096 SHA256 2022
/// CA1: `DigiCert, Inc.`), as their certificates carry them. Baltimore
/// CyberTrust Root left the list on October 8, 2024. Anything else on an
/// Azure endpoint is a TLS-inspecting device. The whole value must match:
/// an inspection CA whose name merely holds "Microsoft" is not one of them.
pub(crate) const AZURE_CA_ORGANIZATIONS: &[&str] =
    &["Microsoft Corporation", "DigiCert Inc", "DigiCert, Inc."];

/// True when a certificate was issued by one of the CAs that issue Azure's
/// certificates (its issuer's organisation), or by one trusted by flag
/// (`extra`: a substring of the issuer's distinguished name). The one test
/// of an issuer, for the `intercepted` verdict and a rejected certificate.
pub(crate) fn trusted_issuer(cert: &CertNames, extra: &[String]) -> bool {
    cert.issuer_org
        .iter()
        .any(|o| AZURE_CA_ORGANIZATIONS.contains(&o.as_str()))
        || extra.iter().any(|t| cert.issuer.contains(t.as_str()))
}

/// The appliance a certificate's issuer (its whole name, `C=US, O=…,
/// CN=…`) names by its organisation, when the support matrix lists it as not
/// supported: `O=Palo Alto Networks`, as PAN-OS's own certificates are
/// issued.
pub(crate) fn unsupported_appliance(issuer: &str) -> Option<ApplianceVendor> {
    issuer
        .split(',')
        .filter_map(|rdn| rdn.trim().split_once('='))
        .any(|(k, v)| {
            k.trim().eq_ignore_ascii_case("O")
                && v.trim().eq_ignore_ascii_case("Palo Alto Networks")
        })
        .then_some(ApplianceVendor::PaloAlto)
}

/// What the judge needs besides the flow.
pub(crate) struct Context<'a> {
    /// Service tags.
    pub tags: &'a TagDb,
    /// The cloud of flows whose name does not say.
    pub cloud: Cloud,
    /// The NSG and route exports.
    pub network: &'a crate::azure::Network,
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
pub(crate) fn is_private(ip: &IpAddr) -> bool {
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

/// The port Site Recovery's endpoints listen on.
pub(crate) const HTTPS: u16 = 443;

/// The catalog endpoint a flow belongs to: by its name when it has one (a
/// named flow never changes hands by address); else, for TCP to port 443,
/// by the service tag its destination is in (`Storage.<region>` or `Storage`
/// → cache storage, `AzureActiveDirectory` → Entra ID…). `tags` are the
/// destination's tags.
pub(crate) fn endpoint_of(
    f: &FlowRecord,
    tags: &[&TagInfo],
) -> Option<(&'static Endpoint, EndpointBy)> {
    if let Some(name) = f.name() {
        return endpoints::classify(name).map(|e| (e, EndpointBy::Name));
    }
    if f.transport != Transport::Tcp || f.dst_port != HTTPS {
        return None;
    }
    endpoints::CATALOG
        .iter()
        .find(|e| {
            tags.iter()
                .any(|t| TagName::name_in_family(&t.name, e.tag.family()))
        })
        .map(|e| (e, EndpointBy::Address))
}

/// Judges one flow.
pub(crate) fn judge(f: &FlowRecord, ctx: &Context<'_>) -> FlowVerdict {
    // The flow's cloud: its name's, else the analysis's. Its addresses are
    // checked only against that cloud's service tags: a Government or China
    // address is never "outside Azure" for want of the public file.
    let cloud = f
        .name()
        .and_then(endpoints::classify_cloud)
        .map_or(ctx.cloud, |(_, c)| c);
    let checked = crate::azure::clouds::of_tag_file(&ctx.tags.meta().cloud) == Some(cloud);
    let tags = if checked {
        ctx.tags.lookup(f.dst_ip)
    } else {
        Vec::new()
    };
    let found = endpoint_of(f, &tags);
    let ep: Option<Endpoint> = found.map(|(e, _)| e.in_cloud(cloud));
    let ep = ep.as_ref();
    let source = ctx.source.map(|r| r.tag_suffix.as_str());
    let target = ctx.target.map(|r| r.tag_suffix.as_str());
    let family = ep.map(|e| e.tag.family());
    let in_family = |t: &TagInfo, fam: &str| TagName::name_in_family(&t.name, fam);
    let relevant = tags
        .iter()
        .find(|t| family.is_some_and(|fam| in_family(t, fam)))
        .or_else(|| tags.iter().find(|t| !in_family(t, "AzureCloud")))
        .or_else(|| tags.first());
    let platform = crate::azure::platform::platform(&f.dst_ip);
    let outside = checked && tags.is_empty() && platform.is_none();
    let (verdict, cause) = decide(f, ep.is_some(), outside, ctx);
    let endpoint = ep.zip(found).map(|(e, (_, by))| EndpointMatch {
        id: e.id,
        pattern: e.pattern,
        by,
        cloud,
        required_tag: e.tag.required(source, target),
    });
    FlowVerdict {
        flow: f.id,
        service_tag: relevant.map(|t| TagName::new(t.name.as_str())),
        service_region: relevant.and_then(|t| t.region.clone()),
        platform: platform.map(|p| p.label),
        ca_service: f.name().and_then(crate::azure::pki::service_of),
        verdict,
        cause,
        nsg: ep.and_then(|_| nsg_verdict(f, cloud, ctx)),
        route: None,
        firewall: None,
        storage: None,
        dns: None,
        admin: None,
        outbound: None,
        endpoint_policy: None,
        endpoint,
    }
    .with_network(f, cloud, ctx)
}

impl FlowVerdict {
    /// Adds, for a Site Recovery flow, the route its destination takes,
    /// what the firewall that route leads to does with it, what the private
    /// DNS zone of its endpoint does for the VM, and for a flow to the cache
    /// account, what the account's own firewall does with it.
    fn with_network(mut self, f: &FlowRecord, cloud: Cloud, ctx: &Context<'_>) -> FlowVerdict {
        if self.endpoint.is_none() {
            return self;
        }
        let tags = crate::azure::tags::for_cloud(ctx.tags, cloud);
        self.admin = ctx.network.admin_verdict(&admin_flow(f), &tags);
        self.route = ctx.network.route(f.dst_ip, &tags);
        self.firewall = ctx
            .network
            .firewall_verdict(&firewall_flow(f), self.route.as_ref(), &tags);
        if self.endpoint_id() == Some(crate::model::EndpointId::CacheStorage) {
            // A private address answered for the account, or a private
            // endpoint's chain: the account's firewall does not apply.
            let private = self.private_endpoint() || is_private(&f.dst_ip);
            self.storage = ctx.network.storage_verdict(
                f.name(),
                private,
                self.firewall.as_ref(),
                ctx.source.map(|r| r.id.as_str()),
                true,
            );
        }
        // The private DNS zone of the cache account or the vault, for the
        // flow's name (`None` for other endpoints, or without its export).
        if let Some(id) = self.endpoint_id() {
            let names: Vec<&str> = f.name().into_iter().collect();
            self.dns = ctx.network.dns_verdict(id, cloud, &names);
        }
        if !is_private(&f.dst_ip) && !self.private_endpoint() {
            let storage_region = self
                .service_tag
                .as_ref()
                .filter(|t| t.in_family("Storage"))
                .and(self.service_region.as_deref());
            let dest = crate::azure::outbound::Destination {
                storage_region,
                source_region: ctx.source.map(|r| r.id.as_str()),
            };
            self.outbound = ctx.network.outbound_verdict(self.route.as_ref(), &dest);
            if storage_region.is_some() {
                // The account's id, when a storage account export serves
                // the flow's name: its subscription and group are then known.
                let export = f
                    .name()
                    .and_then(|n| {
                        crate::azure::storage::evaluate::account_for(&ctx.network.storage, Some(n))
                    })
                    .map(|(a, _)| a);
                let account = crate::azure::endpoint_policy::Account {
                    name: f
                        .name()
                        .and_then(storage_account)
                        .or(export.map(|a| a.name.as_str())),
                    id: export.and_then(|a| a.id.as_ref()),
                };
                self.endpoint_policy = ctx.network.endpoint_policy_verdict(&account);
            }
        }
        self
    }
}

/// A flow as the security admin rules see it: TCP from the VM's address
/// and port to the destination's.
fn admin_flow(f: &FlowRecord) -> crate::azure::nsg::Flow {
    crate::azure::nsg::Flow {
        protocol: crate::azure::nsg::Protocol::Tcp,
        source: Some(f.src_ip),
        source_port: Some(f.src_port),
        destination: f.dst_ip,
        destination_port: f.dst_port,
    }
}

/// The storage account a blob name is of: `asrcache1` for
/// `asrcache1.blob.core.windows.net` (and the sovereign clouds' suffixes).
fn storage_account(name: &str) -> Option<&str> {
    let (account, rest) = name.split_once('.')?;
    rest.to_ascii_lowercase()
        .starts_with("blob.core.")
        .then_some(account)
        .filter(|a| !a.is_empty())
}

/// A flow as the firewall sees it: its name (the TLS server name, else the
/// one DNS gave), and whether application rules apply (HTTPS when it
/// carried TLS or went to port 443, HTTP on port 80).
fn firewall_flow(f: &FlowRecord) -> crate::azure::firewall::Flow {
    use crate::azure::firewall::{AppProtocol, IpProtocol, NameSpec};
    let app = if f.tls.is_some() || f.dst_port == HTTPS {
        Some(AppProtocol::Https)
    } else if f.dst_port == 80 {
        Some(AppProtocol::Http)
    } else {
        None
    };
    crate::azure::firewall::Flow {
        protocol: match f.transport {
            Transport::Tcp => IpProtocol::Tcp,
            Transport::Udp => IpProtocol::Udp,
        },
        source: Some(f.src_ip),
        destination: f.dst_ip,
        port: f.dst_port,
        name: f.name().map(NameSpec::exact),
        name_from_dns: f.server_name.is_none() && f.dns_name.is_some(),
        app: app.filter(|_| f.transport == Transport::Tcp),
    }
}

/// The NSGs' verdict on a flow, from the exports given; tags are told only
/// from the flow's own cloud's data.
fn nsg_verdict(f: &FlowRecord, cloud: Cloud, ctx: &Context<'_>) -> Option<NsgVerdict> {
    use crate::azure::nsg;
    let flow = nsg::Flow {
        protocol: match f.transport {
            Transport::Tcp => nsg::Protocol::Tcp,
            Transport::Udp => nsg::Protocol::Udp,
        },
        source: Some(f.src_ip),
        source_port: Some(f.src_port),
        destination: f.dst_ip,
        destination_port: f.dst_port,
    };
    ctx.network
        .nsg_verdict(&flow, &crate::azure::tags::for_cloud(ctx.tags, cloud))
}

/// The rules, in order: the first that applies decides.
fn decide(f: &FlowRecord, asr: bool, in_no_tag: bool, ctx: &Context<'_>) -> (Verdict, Cause) {
    proxy_answer(f)
        .or_else(|| deny_page(f))
        .or_else(|| no_tls12_offered(f))
        .or_else(|| closed_after_hello(f))
        .or_else(|| handshake_failure(f))
        .or_else(|| tls_outcome(f, ctx))
        .or_else(|| udp_outcome(f))
        .or_else(|| {
            (f.handshake == Handshake::MidFlow && f.quality.one_direction)
                .then_some((Verdict::Incomplete, Cause::MidFlowOneDirection))
        })
        .or_else(|| asr.then(|| where_it_went(f, in_no_tag, ctx)).flatten())
        .or_else(|| throttling(f, ctx.thresholds))
        .unwrap_or_else(|| working(f))
}

fn server(f: &FlowRecord) -> SocketAddr {
    SocketAddr::new(f.dst_ip, f.dst_port)
}

/// A proxy that refused CONNECT or asked for credentials.
fn proxy_answer(f: &FlowRecord) -> Option<(Verdict, Cause)> {
    let p = f.proxy.as_ref()?;
    let target = format!("{}:{}", p.target_host, p.target_port);
    match p.status? {
        407 => Some((
            Verdict::ProxyAuth,
            Cause::ProxyAuthRequired {
                proxy: server(f),
                target,
                scheme: p.auth_scheme.clone(),
            },
        )),
        s if !(200..300).contains(&s) => Some((
            Verdict::Blocked,
            Cause::ProxyRefused {
                proxy: server(f),
                status: s,
                target,
            },
        )),
        _ => None,
    }
}

/// A firewall's or proxy's deny page answered a plain HTTP request (Azure
/// Firewall's 470, Squid's `X-Squid-Error`).
fn deny_page(f: &FlowRecord) -> Option<(Verdict, Cause)> {
    let h = f.http.as_ref()?;
    Some((
        Verdict::Blocked,
        Cause::DenyPage {
            page: h.deny_page.clone()?,
            status: h.status?,
            name: f.name().map(str::to_string),
        },
    ))
}

/// How and when the server side closed the connection, by FIN or RST,
/// after the client's TLS ClientHello and before sending one byte (no
/// ServerHello, no alert, nothing).
fn server_closed_at_hello(f: &FlowRecord) -> Option<(ClosedBy, f64)> {
    if f.transport != Transport::Tcp || f.inbound.bytes > 0 {
        return None;
    }
    // A TLS record with no byte from the server: the client's hello.
    f.tls.as_ref()?;
    let ev = &f.evidence;
    match f.close {
        Close::FinServer => Some((ClosedBy::Fin, ev.fin_after_client_data_ms?)),
        Close::RstServer => Some((ClosedBy::Reset, ev.rst_after_client_data_ms?)),
        _ => None,
    }
}

/// The server side closed the connection, by FIN or RST, at once or after
/// a while, after the client's TLS ClientHello and before sending one byte:
/// what closed it read the server name and refused it. A server that
/// answered with anything is judged by what it answered.
fn closed_after_hello(f: &FlowRecord) -> Option<(Verdict, Cause)> {
    let (how, after_ms) = server_closed_at_hello(f)?;
    Some((
        Verdict::Blocked,
        Cause::ClosedAfterHello {
            how,
            after_ms,
            name: f.name().map(str::to_string),
        },
    ))
}

/// The longest a server takes to refuse a hello "right after" it: 1 s, or
/// three handshake round trips on a slower path. A close later than that
/// (an idle timeout) is no answer to the hello's versions.
const REFUSAL_MS: f64 = 1000.0;

/// The client offered no TLS version from 1.2 up, and the server refused
/// the hello: a fatal protocol_version alert, or a close right after it
/// with not one byte (Windows SChannel resets). The offered versions are
/// the hello's supported_versions extension, else its own version field
/// (RFC 8446 4.1.2: a client that offers TLS 1.2 or 1.3 writes 0x0303
/// there); a hello that was not captured offers nothing and decides
/// nothing. A hello that offers TLS 1.2 or a version this code does not
/// know is never judged here: its refusal is a filter's or a failure's.
fn no_tls12_offered(f: &FlowRecord) -> Option<(Verdict, Cause)> {
    let t = f.tls.as_ref()?;
    let offered = t.client_versions.iter().copied().max_by_key(|v| v.0)?;
    if !t.client_versions.iter().all(|v| v.older_than_tls12()) {
        return None;
    }
    let refused = match (t.handshake_end, &t.alert) {
        (TlsEnd::ServerAlert, Some(a)) if a.description == AlertDescription::PROTOCOL_VERSION => {
            TlsRefusal::ProtocolVersionAlert
        }
        _ => {
            let (how, after_ms) = server_closed_at_hello(f)?;
            let within = REFUSAL_MS.max(3.0 * f.rtt_ms.unwrap_or(0.0));
            if after_ms > within {
                return None;
            }
            TlsRefusal::Closed { how, after_ms }
        }
    };
    Some((
        Verdict::Blocked,
        Cause::NoTls12Offered {
            offered,
            refused,
            name: f.name().map(str::to_string),
        },
    ))
}

/// A connection attempt that failed: no answer, RST, ICMP, reset at the
/// first data, or a handshake that never completed.
fn handshake_failure(f: &FlowRecord) -> Option<(Verdict, Cause)> {
    let ev = &f.evidence;
    let blocked = |c| Some((Verdict::Blocked, c));
    match f.handshake {
        Handshake::NoReply if f.transport == Transport::Tcp => blocked(Cause::NoSynAnswer {
            syns: ev.syn_count,
            span_ms: ev.syn_span_ms.unwrap_or(0.0),
            server: server(f),
        }),
        Handshake::NoReply if f.dst_port == 53 => blocked(Cause::NoDnsAnswer { server: server(f) }),
        Handshake::Rejected => blocked(Cause::SynReset { server: server(f) }),
        Handshake::Unreachable => blocked(Cause::IcmpError {
            message: ev.icmp.map(|i| i.message).unwrap_or_default(),
            from: ev.icmp.map(|i| i.from),
            server: server(f),
        }),
        Handshake::ResetAfterData => blocked(Cause::ResetAfterFirstData {
            after_ms: ev.rst_after_client_data_ms.unwrap_or(0.0),
            name: f.name().map(str::to_string),
        }),
        Handshake::Incomplete => Some((Verdict::Incomplete, Cause::AckNeverSeen)),
        _ => None,
    }
}

/// How the TLS handshake ended: a fatal alert from either side, a client
/// that rejected the certificate, or a server that never answered the hello.
fn tls_outcome(f: &FlowRecord, ctx: &Context<'_>) -> Option<(Verdict, Cause)> {
    let t = f.tls.as_ref()?;
    let name = || f.name().map(str::to_string);
    let rejected = |how| {
        Some((
            Verdict::Blocked,
            Cause::CertificateRejected {
                how,
                name: name(),
                issuer: t.certificates.first().map(|c| CertIssuer {
                    cn: c.issuer_cn.clone(),
                    trusted: trusted_issuer(c, ctx.trusted_issuers),
                }),
            },
        ))
    };
    let alert = |side, a: &crate::model::AlertRecord| {
        Some((
            Verdict::Blocked,
            Cause::TlsAlert {
                side,
                level: a.level,
                description: a.description,
            },
        ))
    };
    match t.handshake_end {
        TlsEnd::ClientAlert => {
            let a = t.client_alert.as_ref()?;
            if a.description.is_about_the_certificate() {
                rejected(Rejection::Alert {
                    description: a.description,
                })
            } else {
                alert(Side::Client, a)
            }
        }
        TlsEnd::ServerAlert => alert(Side::Server, t.alert.as_ref()?),
        TlsEnd::ClientEncryptedAlert => rejected(Rejection::EncryptedAlert),
        TlsEnd::ClientClosedAfterServerFlight => rejected(Rejection::Closed),
        TlsEnd::ClientResetAfterServerFlight => rejected(Rejection::Reset),
        TlsEnd::ServerSilent => Some((Verdict::Blocked, Cause::ServerSilent { name: name() })),
        _ => None,
    }
}

/// UDP flows are judged by whether the server answered.
fn udp_outcome(f: &FlowRecord) -> Option<(Verdict, Cause)> {
    if f.transport != Transport::Udp {
        return None;
    }
    Some(match f.handshake {
        Handshake::Answered => (Verdict::Allowed, Cause::UdpAnswered),
        _ => (Verdict::Incomplete, Cause::UdpNoAnswer),
    })
}

/// For Site Recovery flows: an untrusted certificate issuer, a private
/// endpoint, or an address outside every Azure range.
fn where_it_went(f: &FlowRecord, in_no_tag: bool, ctx: &Context<'_>) -> Option<(Verdict, Cause)> {
    let name = f.name().map(str::to_string);
    if let Some(cert) = f.tls.as_ref().and_then(|t| t.certificates.first())
        && !trusted_issuer(cert, ctx.trusted_issuers)
    {
        return Some((
            Verdict::Intercepted,
            Cause::UntrustedIssuer {
                name,
                issuer: cert.issuer_cn.clone(),
                vendor: unsupported_appliance(&cert.issuer),
            },
        ));
    }
    if is_private(&f.dst_ip) {
        let link = f.dns_cnames.iter().find(|c| in_privatelink_zone(c))?;
        return Some((
            Verdict::Allowed,
            Cause::PrivateEndpoint {
                name,
                via: link.clone(),
                address: f.dst_ip,
            },
        ));
    }
    (in_no_tag && f.proxy.is_none()).then(|| {
        (
            Verdict::OutsideAzure,
            Cause::OutsideAzure {
                name,
                address: f.dst_ip,
                resolved: f.name_source == NameSource::Dns,
            },
        )
    })
}

/// True for a name in a `privatelink` zone, in any case: resolvers keep the
/// case a client asked in (DNS 0x20), and the findings' zones
/// (`azure::privatelink::zone_of`) ignore it too.
fn in_privatelink_zone(name: &str) -> bool {
    name.as_bytes()
        .windows(".privatelink.".len())
        .any(|w| w.eq_ignore_ascii_case(b".privatelink."))
}

/// Retransmissions or zero windows at or above the thresholds.
fn throttling(f: &FlowRecord, th: &Thresholds) -> Option<(Verdict, Cause)> {
    let out = &f.out;
    let retrans_pct = if out.data_segments > 0 {
        out.data_retransmissions as f64 * 100.0 / out.data_segments as f64
    } else {
        0.0
    };
    let slow_tcp = out.data_segments >= th.min_segments && retrans_pct >= th.retrans_pct;
    let zero = f.inbound.zero_windows >= th.zero_windows.max(1);
    (slow_tcp || zero).then(|| {
        (
            Verdict::Throttled,
            Cause::Throttled {
                retrans_pct: slow_tcp.then_some(retrans_pct),
                zero_windows: zero.then_some(f.inbound.zero_windows),
                upload_mbit_s: out.throughput_kbps.map(|k| k / 1000.0),
                rtt_ms: f.rtt_ms,
            },
        )
    })
}

/// Nothing went wrong.
fn working(f: &FlowRecord) -> (Verdict, Cause) {
    if f.handshake == Handshake::MidFlow {
        let (data_out, data_in) = (f.out.data_segments > 0, f.inbound.data_segments > 0);
        if !data_out && !data_in {
            return (Verdict::Incomplete, Cause::MidFlowNoData);
        }
        return (
            Verdict::Allowed,
            Cause::MidFlowWorking { data_out, data_in },
        );
    }
    (
        Verdict::Allowed,
        Cause::Established {
            tls_version: f.tls_version(),
            proxy: f.proxy.as_ref().map(|_| server(f)),
            proxy_status: f.proxy.as_ref().and_then(|p| p.status),
        },
    )
}
