//! Plain HTTP on port 80 that Site Recovery's VMs depend on besides the
//! HTTPS endpoints, gathered over the flows into findings:
//!
//! - the Instance Metadata Service (IMDS, 169.254.169.254): "Azure Site
//!   Recovery mobility agent uses Azure Instance Metadata Service (IMDS) to
//!   get virtual machine security type … Ensure that you bypass the IP
//!   169.254.169.254 when using any proxies" (tutorial "Set up disaster
//!   recovery for Azure VMs", ms.date 10/30/2025). A request for it sent to
//!   a proxy (a CONNECT to it, or a request whose Host is it sent elsewhere)
//!   and a request it never answers are findings;
//! - the certificate authorities' hosts of issuer certificates, revocation
//!   lists and OCSP (`azure::pki`): a blocked request to one is a finding,
//!   and is said beside a certificate the VM rejected.
//!
//! Bounded: a first example and counts, and at most [`MAX_HOSTS`] hosts.

use super::findings::{Kind, finding};
use crate::azure::platform::IMDS;
use crate::model::{
    CaBlocked, Close, Evidence, Finding, FindingKind, Fix, FlowRecord, FlowVerdict, Handshake,
    ImdsFailure, ImdsVia, Severity, Title, Transport, Verdict,
};
use std::net::{IpAddr, SocketAddr};

/// Most certificate authority hosts kept.
pub(crate) const MAX_HOSTS: usize = 8;

/// The first IMDS request sent to a proxy, and how many were.
#[derive(Debug, Clone)]
struct ToProxy {
    proxy: SocketAddr,
    via: ImdsVia,
    target: Option<String>,
    status: Option<u16>,
    flows: u64,
}

/// What the flows on port 80 add up to.
#[derive(Debug, Clone, Default)]
pub(crate) struct Port80 {
    to_proxy: Option<ToProxy>,
    /// The first IMDS connection that failed, and how many did; the first
    /// request sent and never answered, and how many were.
    unanswered: [Option<(ImdsFailure, u64)>; 2],
    ca_blocked: Vec<CaBlocked>,
    ca_blocked_flows: u64,
}

/// True for the IMDS address written as a name (a Host or CONNECT target).
fn names_imds(host: &str) -> bool {
    host.parse::<IpAddr>().is_ok_and(|a| a == IpAddr::V4(IMDS))
}

/// How a flow that is not to IMDS itself carried a request for it: a
/// CONNECT to it, or a plain request naming it (the absolute form a client
/// sends to a proxy).
fn imds_via_proxy(f: &FlowRecord) -> Option<(ImdsVia, Option<String>, Option<u16>)> {
    if f.dst_ip == IpAddr::V4(IMDS) {
        return None;
    }
    if let Some(p) = &f.proxy
        && names_imds(&p.target_host)
    {
        return Some((ImdsVia::Connect, None, p.status));
    }
    let h = f.http.as_ref()?;
    names_imds(h.host.as_deref()?).then(|| (ImdsVia::AbsoluteUri, h.target.clone(), h.status))
}

/// How a request to IMDS itself went unanswered: its connection failed, or
/// the request was sent and no byte came back, before the connection ended
/// or while the client sent it again.
fn imds_unanswered(f: &FlowRecord, v: &FlowVerdict) -> Option<ImdsFailure> {
    if f.dst_ip != IpAddr::V4(IMDS) || f.transport != Transport::Tcp || f.dst_port != 80 {
        return None;
    }
    if v.verdict == Verdict::Blocked {
        return Some(ImdsFailure::Connection(v.cause.clone()));
    }
    let sent = f.out.data_segments > 0;
    let silent = f.inbound.bytes == 0 && f.http.as_ref().is_none_or(|h| h.status.is_none());
    let over = f.close != Close::Open || f.out.data_retransmissions > 0;
    (f.handshake == Handshake::Established && sent && silent && over).then(|| {
        ImdsFailure::NoResponse {
            server: SocketAddr::new(f.dst_ip, f.dst_port),
            retransmissions: f.out.data_retransmissions,
        }
    })
}

impl Port80 {
    /// Accounts one judged flow.
    pub(crate) fn add(&mut self, f: &FlowRecord, v: &FlowVerdict) {
        if let Some((via, target, status)) = imds_via_proxy(f) {
            let t = self.to_proxy.get_or_insert(ToProxy {
                proxy: SocketAddr::new(f.dst_ip, f.dst_port),
                via,
                target,
                status,
                flows: 0,
            });
            t.flows += 1;
        }
        if let Some(failure) = imds_unanswered(f, v) {
            let i = usize::from(matches!(failure, ImdsFailure::NoResponse { .. }));
            self.unanswered[i].get_or_insert((failure, 0)).1 += 1;
        }
        if let (Some(service), Verdict::Blocked, Some(name)) = (v.ca_service, v.verdict, f.name()) {
            self.ca_blocked_flows += 1;
            let known = self
                .ca_blocked
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case(name));
            if !known && self.ca_blocked.len() < MAX_HOSTS {
                self.ca_blocked.push(CaBlocked {
                    name: name.to_ascii_lowercase(),
                    service,
                    cause: v.cause.clone(),
                });
            }
        }
    }

    /// The evidence of blocked certificate authority hosts, when there are.
    fn ca_evidence(&self) -> Option<Evidence> {
        (!self.ca_blocked.is_empty()).then(|| Evidence::CaHostsBlocked {
            hosts: self.ca_blocked.clone(),
            flows: self.ca_blocked_flows,
        })
    }

    /// The findings; and, on the findings of a certificate the VM rejected
    /// or a TLS handshake that failed, the blocked certificate authority
    /// hosts beside their evidence (a client that cannot fetch an issuer
    /// certificate or check revocation may reject the certificate).
    pub(crate) fn findings(&self, found: &mut [Finding]) -> Vec<Finding> {
        let mut out = Vec::new();
        if let Some(t) = &self.to_proxy {
            out.push(finding(
                FindingKind::ImdsThroughProxy,
                Kind {
                    severity: Severity::Warning,
                    title: Title::ImdsThroughProxy,
                    codes: vec![],
                    fix: vec![Fix::BypassImdsInProxy],
                },
                vec![
                    Evidence::ImdsToProxy {
                        proxy: t.proxy,
                        via: t.via,
                        target: t.target.clone(),
                        status: t.status,
                        flows: t.flows,
                    },
                    Evidence::ImdsStaysOnHost,
                ],
            ));
        }
        let unanswered: Vec<Evidence> = self
            .unanswered
            .iter()
            .flatten()
            .map(|(failure, flows)| Evidence::ImdsNoAnswer {
                failure: failure.clone(),
                flows: *flows,
            })
            .collect();
        if !unanswered.is_empty() {
            out.push(finding(
                FindingKind::ImdsUnanswered,
                Kind {
                    severity: Severity::Warning,
                    title: Title::ImdsUnanswered,
                    codes: vec![],
                    fix: vec![Fix::ImdsReachable],
                },
                unanswered,
            ));
        }
        if let Some(e) = self.ca_evidence() {
            for f in found.iter_mut().filter(|f| {
                matches!(
                    f.title,
                    Title::CertificateRejected { .. } | Title::TlsFails { .. }
                )
            }) {
                f.evidence.push(e.clone());
            }
            out.push(finding(
                FindingKind::CaHostsBlocked,
                Kind {
                    severity: Severity::Warning,
                    title: Title::CaHostsBlocked,
                    codes: vec!["151066"],
                    fix: vec![Fix::AllowCaHosts {
                        hosts: self.ca_blocked.iter().map(|h| h.name.clone()).collect(),
                    }],
                },
                vec![e],
            ));
        }
        out
    }
}
