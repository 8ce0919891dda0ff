//! How a [`Cause`] reads: the `reason` of a flow, the evidence of a
//! requirement. Nothing decides on these sentences: decisions match on the
//! cause.

use super::plural;
use crate::model::{
    ByAddress, Cause, ClosedBy, DnsFailure, FlowVerdict, IcmpMessage, Rejection, Side,
    SourceOutcome, TlsRefusal,
};

/// Milliseconds as a reason shows them: one decimal below 10 ms.
pub(crate) fn ms_text(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// A flow's reason: its cause and, for a flow tied to its endpoint by its
/// address alone, which, so that no one mistakes it for a name.
pub(crate) fn flow(v: &FlowVerdict) -> String {
    with_address(&v.cause, v.by_address().as_ref())
}

/// A cause, with the endpoint a flow of no name was tied to by address.
pub(crate) fn with_address(c: &Cause, by: Option<&ByAddress>) -> String {
    let mut s = cause(c);
    if let Some(b) = by {
        s.push_str(&format!(
            " [no name seen: {} by its address in {}]",
            b.pattern, b.tag
        ));
    }
    s
}

/// Each VM's outcome, grouped by status, worst first: "by VM (source
/// address): blocked 10.1.3.4 (4 flows); ok 10.1.0.4, 10.1.2.4". Empty
/// for one VM.
pub fn sources_text(sources: &[SourceOutcome], left_off: u64) -> String {
    if sources.len() + left_off as usize <= 1 {
        return String::new();
    }
    format!(
        "by VM (source address): {}",
        sources_list(sources, left_off)
    )
}

/// The VMs of [`sources_text`] without its lead: "blocked 10.1.3.4 (4
/// flows); ok 10.1.0.4, 10.1.2.4".
pub(crate) fn sources_list(sources: &[SourceOutcome], left_off: u64) -> String {
    let mut groups: Vec<String> = Vec::new();
    let mut i = 0;
    while i < sources.len() {
        let st = sources[i].status;
        let same: Vec<String> = sources[i..]
            .iter()
            .take_while(|s| s.status == st)
            .map(|s| format!("{} ({})", s.address, plural(s.flows, "flow", "flows")))
            .collect();
        i += same.len();
        groups.push(format!("{} {}", st.as_str(), same.join(", ")));
    }
    let more = if left_off > 0 {
        format!(
            "; {} more not listed",
            plural(left_off, "address", "addresses")
        )
    } else {
        String::new()
    };
    format!("{}{more}", groups.join("; "))
}

/// The sentence for a cause.
// A declared table, one arm per variant of Cause: its length follows the
// causes, and splitting it would scatter one vocabulary over several places.
#[allow(clippy::too_many_lines)]
pub fn cause(c: &Cause) -> String {
    match c {
        Cause::ProxyAuthRequired {
            proxy,
            target,
            scheme,
        } => {
            let scheme = scheme
                .as_deref()
                .map(|s| format!(" ({s})"))
                .unwrap_or_default();
            format!("proxy {proxy} answered 407{scheme} to CONNECT {target}")
        }
        Cause::ProxyRefused {
            proxy,
            status,
            target,
        } => format!("proxy {proxy} answered {status} to CONNECT {target}"),
        Cause::NoSynAnswer {
            syns,
            span_ms,
            server,
        } => format!(
            "{} over {:.1} s, no answer from {server}",
            plural(u64::from(*syns), "SYN", "SYNs"),
            span_ms / 1000.0
        ),
        Cause::NoDnsAnswer { server } => format!("DNS query to {server} got no answer"),
        Cause::SynReset { server } => format!("SYN answered by RST from {server}"),
        Cause::IcmpError {
            message:
                IcmpMessage {
                    v6,
                    icmp_type,
                    code,
                },
            from,
            server,
        } => {
            let v = if *v6 { "ICMPv6" } else { "ICMP" };
            match from {
                Some(from) => format!("{v} {icmp_type}/{code} from {from} for {server}"),
                None => format!("{v} {icmp_type}/{code} for {server}"),
            }
        }
        Cause::ResetAfterFirstData { after_ms, .. } => format!(
            "RST from server {} ms after the client's first data",
            ms_text(*after_ms)
        ),
        Cause::ClosedAfterHello {
            how,
            after_ms,
            name,
        } => format!(
            "{} {} ms after the ClientHello for {}, before any byte from the server: closed after the server name was read (an FQDN filter, firewall or proxy in the path)",
            match how {
                ClosedBy::Fin => "FIN",
                ClosedBy::Reset => "RST",
            },
            ms_text(*after_ms),
            name.as_deref().unwrap_or("the server")
        ),
        Cause::DenyPage { page, status, name } => format!(
            "HTTP {status} from {} for {}: the request was denied by a firewall or proxy in the path",
            super::deny_page(page),
            name.as_deref().unwrap_or("the server")
        ),
        Cause::AckNeverSeen => "SYN/ACK seen, never the client's ACK".into(),
        Cause::TlsAlert {
            side, description, ..
        } => {
            let who = match side {
                Side::Client => "client",
                Side::Server => "server",
            };
            format!(
                "{who} sent TLS alert {} ({})",
                description.name(),
                description.0
            )
        }
        Cause::CertificateRejected { how, name, issuer } => {
            let name = name.as_deref().unwrap_or("the server");
            let issuer = issuer
                .as_ref()
                .map(|i| format!(" (issued by '{}')", i.cn))
                .unwrap_or_default();
            match how {
                Rejection::Alert { description } => format!(
                    "client rejected the certificate of {name}{issuer}: TLS alert {} ({})",
                    description.name(),
                    description.0
                ),
                Rejection::EncryptedAlert => format!(
                    "client answered the TLS 1.3 flight of {name} with an encrypted alert (one record too short to be its Finished), without finishing the handshake"
                ),
                Rejection::Closed => format!(
                    "client closed right after the certificate of {name}{issuer}, without finishing the handshake"
                ),
                Rejection::Reset => format!(
                    "client reset right after the certificate of {name}{issuer}, without finishing the handshake"
                ),
            }
        }
        Cause::NoTls12Offered {
            offered,
            refused,
            name,
        } => {
            let refused = match refused {
                TlsRefusal::ProtocolVersionAlert => {
                    "the server refused it with TLS alert protocol_version (70)".to_string()
                }
                TlsRefusal::Closed { how, after_ms } => format!(
                    "the server {} {} ms after the ClientHello, before any byte",
                    match how {
                        ClosedBy::Fin => "closed the connection (FIN)",
                        ClosedBy::Reset => "reset the connection",
                    },
                    ms_text(*after_ms)
                ),
            };
            format!(
                "the client offered at most {offered} to {}, no TLS 1.2: {refused}",
                name.as_deref().unwrap_or("the server")
            )
        }
        Cause::ServerSilent { name } => format!(
            "no answer to the ClientHello for {}; the client gave up",
            name.as_deref().unwrap_or("the server")
        ),
        Cause::UdpAnswered => "answered".into(),
        Cause::UdpNoAnswer => "no answer seen".into(),
        Cause::MidFlowOneDirection => "began before the capture, one direction only".into(),
        Cause::UntrustedIssuer { name, issuer, .. } => format!(
            "certificate for {} issued by '{issuer}'",
            name.as_deref().unwrap_or("the server")
        ),
        Cause::PrivateEndpoint { name, via, address } => format!(
            "private endpoint: {} -> {via} -> {address}",
            name.as_deref().unwrap_or("the server")
        ),
        Cause::OutsideAzure {
            name,
            address,
            resolved,
        } => format!(
            "{} {} {address}, outside every Azure range",
            name.as_deref().unwrap_or("the server"),
            if *resolved { "resolved to" } else { "went to" }
        ),
        Cause::Throttled {
            retrans_pct,
            zero_windows,
            upload_mbit_s,
            rtt_ms,
        } => {
            let mut parts = Vec::new();
            if let Some(p) = retrans_pct {
                parts.push(format!("{p:.1}% of data segments retransmitted"));
            }
            if let Some(z) = zero_windows {
                parts.push(format!("{z} zero windows from the server"));
            }
            if let Some(m) = upload_mbit_s {
                parts.push(format!("upload {m:.1} Mbit/s"));
            }
            if let Some(r) = rtt_ms {
                parts.push(format!("handshake RTT {r:.1} ms"));
            }
            parts.join(", ")
        }
        Cause::MidFlowWorking { data_out, data_in } => match (data_out, data_in) {
            (true, true) => "data both ways (began before the capture)".into(),
            (true, false) => "data sent and acknowledged (began before the capture)".into(),
            _ => "data received and acknowledged (began before the capture)".into(),
        },
        Cause::MidFlowNoData => {
            "began before the capture, no data seen either way: nothing to judge".into()
        }
        Cause::Established {
            tls_version,
            proxy,
            proxy_status,
        } => {
            let mut why = String::from("established");
            if let Some(v) = tls_version {
                why.push_str(&format!(", {v}"));
            }
            if let Some(p) = proxy {
                let status = proxy_status.map_or("-".to_string(), |s| s.to_string());
                why.push_str(&format!(", through proxy {p} (status {status})"));
            }
            why
        }
        Cause::DnsFailed {
            name,
            failure,
            count,
        } => match failure {
            DnsFailure::Nxdomain => format!("DNS answered NXDOMAIN for {name}"),
            DnsFailure::Servfail => format!("DNS answered SERVFAIL for {name}"),
            DnsFailure::Refused => format!("DNS refused or failed {name} ({count} responses)"),
            DnsFailure::Unanswered => format!(
                "{} for {name} never answered",
                plural(u64::from(*count), "DNS query", "DNS queries")
            ),
        },
        Cause::VaultResolvesPublicly { name } => format!(
            "{name} resolves to a public address, not to the vault's private endpoint: the vault refuses this network"
        ),
        Cause::EndpointPolicyDenies { account, policies } => format!(
            "the service endpoint policies on the VM's subnet ({}) list neither {}, its resource group nor its subscription, by their export: Storage traffic to it over the subnet's service endpoint is denied, which a capture cannot show (what the client sees is not stated by Microsoft)",
            policies.join(", "),
            account.as_deref().map_or_else(
                || "the cache storage account".to_string(),
                |a| format!("the storage account {a}")
            )
        ),
        Cause::StorageFirewallRefuses { account } => format!(
            "the storage account {account}'s own firewall settings refuse Site Recovery, by its export (the VM's traffic, or the trusted Microsoft services it requires): the refusal is an HTTP 403 inside TLS, which a capture cannot show (its connections complete)"
        ),
        Cause::NothingToJudge { flows } => {
            format!("{flows} flows, none complete enough to judge")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TagName;

    #[test]
    fn a_flow_tied_by_address_says_so_beside_its_cause() {
        let by = ByAddress {
            pattern: "*.blob.core.windows.net",
            tag: TagName::new("Storage.EastUS"),
        };
        assert_eq!(
            with_address(&Cause::MidFlowNoData, Some(&by)),
            "began before the capture, no data seen either way: nothing to judge [no name seen: *.blob.core.windows.net by its address in Storage.EastUS]"
        );
        assert_eq!(
            with_address(&Cause::AckNeverSeen, None),
            "SYN/ACK seen, never the client's ACK"
        );
    }
}
