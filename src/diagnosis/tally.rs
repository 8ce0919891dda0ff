//! What one endpoint's flows add up to while they are judged: counts by
//! verdict and by source address, the worst flow and the first flow of each
//! verdict with its NSG and route verdicts, a proxy that asked for
//! credentials, and handshakes completed at a TLS version older than 1.2. The checklist fills it ([`super::checklist`]); the findings
//! read it ([`super::findings`]). Bounded: it grows with the verdicts and at
//! most [`MAX_SOURCES`] source addresses, not with flows.

use crate::model::{
    Cause, FirewallVerdict, FlowRecord, FlowVerdict, MAX_SOURCES, NsgVerdict, RouteVerdict,
    ServerTtl, SourceOutcome, Status, StorageVerdict, SynAckPrint, TlsVersion, Transport, Verdict,
};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// One flow of an endpoint as its finding tells it: its cause, and what
/// the NSG and route exports say of it.
#[derive(Clone, Debug)]
pub(crate) struct Example {
    /// Why it got its verdict.
    pub cause: Cause,
    /// The NSG exports' verdict (with `--nsg`).
    pub nsg: Option<NsgVerdict>,
    /// Its route (with `--routes`).
    pub route: Option<RouteVerdict>,
    /// The firewall's verdict (with `--azure` firewall exports).
    pub firewall: Option<FirewallVerdict>,
    /// The private DNS zone's verdict (with `--azure` private DNS exports).
    pub dns: Option<crate::model::DnsVerdict>,
    /// The security admin rules' verdict (with their `--azure` export).
    pub admin: Option<crate::model::AdminVerdict>,
    /// The way out of the VM's subnet (with the subnet's `--azure` export).
    pub outbound: Option<crate::model::OutboundVerdict>,
    /// The VM's address.
    pub source: IpAddr,
    /// What its server side's packets showed of their sender.
    pub hops: Hops,
}

/// What a flow's server side showed of who sent its packets.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hops {
    /// The server's address.
    pub server: IpAddr,
    /// The SYN/ACK's print.
    pub synack: Option<SynAckPrint>,
    /// The TTLs of the server side's later packets.
    pub ttl: ServerTtl,
}

impl Hops {
    fn of(f: &FlowRecord) -> Hops {
        Hops {
            server: f.dst_ip,
            synack: f.evidence.synack,
            ttl: f.evidence.server_ttl,
        }
    }
}

impl Example {
    fn of(f: &FlowRecord, v: &FlowVerdict) -> Example {
        Example {
            cause: v.cause.clone(),
            nsg: v.nsg.clone(),
            route: v.route.clone(),
            firewall: v.firewall.clone(),
            dns: v.dns.clone(),
            admin: v.admin.clone(),
            outbound: v.outbound.clone(),
            source: f.src_ip,
            hops: Hops::of(f),
        }
    }
}

/// Addresses whose server prints an endpoint keeps.
pub(crate) const MAX_PRINT_ADDRESSES: usize = 16;
/// Different prints kept per address.
pub(crate) const MAX_PRINTS: usize = 4;

/// The SYN/ACKs the servers of an endpoint sent in connections where the
/// server's data followed with the SYN/ACK's TTL: what the server itself
/// sends, to compare a SYN/ACK that may be a device's in the path with.
/// Bounded: [`MAX_PRINT_ADDRESSES`] addresses, [`MAX_PRINTS`] prints each.
#[derive(Default, Clone, Debug)]
pub(crate) struct ServerPrints(BTreeMap<IpAddr, Vec<(SynAckPrint, u64)>>);

impl ServerPrints {
    /// Learns a flow's SYN/ACK when its server's data came with the same TTL.
    fn add(&mut self, f: &FlowRecord) {
        let ev = &f.evidence;
        if let Some(p) = ev.synack.filter(|p| ev.server_ttl.data == Some(p.ttl)) {
            self.learn(f.dst_ip, p);
        }
    }

    /// Learns that the server at `address` sends SYN/ACK `p`.
    pub(crate) fn learn(&mut self, address: IpAddr, p: SynAckPrint) {
        let room = self.0.len() < MAX_PRINT_ADDRESSES;
        let Some(prints) = (match self.0.get_mut(&address) {
            Some(v) => Some(v),
            None if room => Some(self.0.entry(address).or_default()),
            None => None,
        }) else {
            return;
        };
        if let Some((_, n)) = prints.iter_mut().find(|(q, _)| *q == p) {
            *n += 1;
        } else if prints.len() < MAX_PRINTS {
            prints.push((p, 1));
        }
    }

    /// The prints the server at `address` was seen sending, with how many
    /// connections showed each.
    pub(crate) fn of(&self, address: &IpAddr) -> &[(SynAckPrint, u64)] {
        self.0.get(address).map_or(&[], Vec::as_slice)
    }
}

/// A connection that worked through a proxy that asks for credentials.
#[derive(Clone, Debug)]
pub(crate) struct AuthenticatedProxy {
    /// The proxy.
    pub proxy: SocketAddr,
    /// The scheme it asked for (Proxy-Authenticate).
    pub scheme: Option<String>,
    /// The proxy's first answer on the connection (407), when it answered
    /// twice.
    pub first_status: Option<u16>,
}

/// Flows whose server chose a TLS version older than 1.2 in its
/// ServerHello.
#[derive(Clone, Copy, Debug)]
pub(crate) struct OldTls {
    /// The oldest version chosen.
    pub version: TlsVersion,
    /// Such flows.
    pub flows: u64,
}

/// What one endpoint's flows add up to.
#[derive(Default, Clone, Debug)]
pub(crate) struct Agg {
    /// Flows.
    pub flows: u64,
    /// The worst verdict, and the first flow that got it: it sets the
    /// requirement's status.
    pub worst: Option<(Verdict, Example)>,
    /// The first flow of each verdict: every problem the flows show is a
    /// finding of its own, not only the worst.
    pub examples: BTreeMap<Verdict, Example>,
    /// A flow that worked through a proxy that asks for credentials: the
    /// proxy, the scheme it asked for, and its first answer.
    pub authenticated: Option<AuthenticatedProxy>,
    /// Flows whose server chose TLS older than 1.2 (whatever their
    /// verdict: Azure refuses such a connection inside TLS).
    pub old_tls: Option<OldTls>,
    /// Each source address's worst verdict and flows (at most
    /// [`MAX_SOURCES`]; the rest counted in `sources_left_off`).
    pub sources: BTreeMap<IpAddr, (Verdict, u64)>,
    /// Flows from source addresses past [`MAX_SOURCES`].
    pub sources_left_off: u64,
    /// A flow that worked although the NSG exports deny it.
    pub works_though_denied: Option<NsgVerdict>,
    /// A flow that worked although the firewall exports deny it.
    pub works_though_firewall_denies: Option<FirewallVerdict>,
    /// The cache storage account's firewall's worst verdict on the flows
    /// (the first of the worst), whatever their verdicts: its refusal is
    /// inside TLS.
    pub storage: Option<StorageVerdict>,
    /// The service endpoint policies' worst verdict on the flows (denied,
    /// then cannot tell, then allowed; the first of the worst), whatever
    /// their verdicts: what a client sees of the denial is not documented.
    pub endpoint_policy: Option<crate::model::EndpointPolicyVerdict>,
    /// Flows by verdict.
    pub verdicts: BTreeMap<Verdict, u64>,
    /// The last packet of the last flow.
    pub last_seen: Option<i64>,
    /// What its servers' own SYN/ACKs look like.
    pub prints: ServerPrints,
    /// Flows whose SYNs got no answer at all (no SYN/ACK, reset or ICMP).
    pub unanswered: u64,
    /// Flows reached through a private endpoint.
    pub private: u64,
}

impl Agg {
    /// Accounts one judged flow of the endpoint.
    pub(crate) fn add(&mut self, f: &FlowRecord, v: &FlowVerdict) {
        self.flows += 1;
        let room = self.sources.len() < MAX_SOURCES;
        match self.sources.get_mut(&f.src_ip) {
            Some((w, n)) => {
                *w = (*w).max(v.verdict);
                *n += 1;
            }
            None if room => {
                self.sources.insert(f.src_ip, (v.verdict, 1));
            }
            None => self.sources_left_off += 1,
        }
        *self.verdicts.entry(v.verdict).or_default() += 1;
        if matches!(v.cause, Cause::NoSynAnswer { .. }) {
            self.unanswered += 1;
        }
        if v.private_endpoint() {
            self.private += 1;
        }
        self.last_seen = Some(self.last_seen.map_or(f.last_seen, |l| l.max(f.last_seen)));
        if self.worst.as_ref().is_none_or(|(w, _)| v.verdict > *w) {
            self.worst = Some((v.verdict, Example::of(f, v)));
        }
        self.examples
            .entry(v.verdict)
            .or_insert_with(|| Example::of(f, v));
        self.prints.add(f);
        if self.authenticated.is_none()
            && let Some(p) = &f.proxy
            && p.status.is_some_and(|s| (200..300).contains(&s))
            && (p.credentials_sent || p.first_status == Some(407))
        {
            self.authenticated = Some(AuthenticatedProxy {
                proxy: SocketAddr::new(f.dst_ip, f.dst_port),
                scheme: p.auth_scheme.clone(),
                first_status: p.first_status,
            });
        }
        if let Some(version) = f.tls_version().filter(|t| t.older_than_tls12()) {
            let o = self.old_tls.get_or_insert(OldTls { version, flows: 0 });
            o.flows += 1;
            if version.0 < o.version.0 {
                o.version = version;
            }
        }
        // An Always Allow admin rule explains a flow the NSGs deny: they
        // are not consulted for it, and the export is not contradicted.
        let always_allowed = v
            .admin
            .as_ref()
            .is_some_and(|a| a.outcome() == crate::model::AdminOutcome::AlwaysAllow);
        if v.verdict == Verdict::Allowed
            && !always_allowed
            && let Some(n) = v
                .nsg
                .as_ref()
                .filter(|n| n.outcome() == crate::model::NsgOutcome::Deny)
        {
            self.works_though_denied.get_or_insert_with(|| n.clone());
        }
        if let Some(sv) = &v.storage
            && self.storage.as_ref().is_none_or(|k| sv.harm() > k.harm())
        {
            self.storage = Some(sv.clone());
        }
        if let Some(p) = &v.endpoint_policy
            && self
                .endpoint_policy
                .as_ref()
                .is_none_or(|k| policy_harm(p) > policy_harm(k))
        {
            self.endpoint_policy = Some(p.clone());
        }
        if v.verdict == Verdict::Allowed
            && let Some(fw) = v.firewall.as_ref().filter(|w| w.allowed() == Some(false))
        {
            self.works_though_firewall_denies
                .get_or_insert_with(|| fw.clone());
        }
    }

    /// Each source's outcome, worst first, then by address.
    pub(crate) fn sources(&self) -> Vec<SourceOutcome> {
        let mut v: Vec<SourceOutcome> = self
            .sources
            .iter()
            .map(|(a, (w, n))| SourceOutcome {
                address: *a,
                status: Status::of(*w),
                flows: *n,
            })
            .collect();
        v.sort_by(|x, y| y.status.cmp(&x.status).then(x.address.cmp(&y.address)));
        v
    }

    /// Every flow went unanswered: blocked, each by SYNs nobody answered.
    pub(crate) fn all_silent(&self) -> bool {
        self.flows > 0 && self.unanswered == self.flows
    }

    /// Flows by verdict name, in name order (as the views list them).
    pub(crate) fn counts(&self) -> BTreeMap<&'static str, u64> {
        self.verdicts
            .iter()
            .map(|(v, n)| (v.as_str(), *n))
            .collect()
    }
}

/// TCP connections to the multi-VM consistency port
/// ([`crate::azure::endpoints::MULTI_VM_PORT`]), by the VM connected to:
/// those whose port never answered (with the first such flow's cause) and
/// those that answered; at most 8 of each.
#[derive(Debug, Default, Clone)]
pub(crate) struct MultiVm {
    /// Peers that never answered, with the cause of the first flow.
    pub(crate) blocked: BTreeMap<IpAddr, Cause>,
    /// Peers that answered.
    pub(crate) answered: std::collections::BTreeSet<IpAddr>,
}

impl MultiVm {
    /// Accounts a flow, if it is one to the port.
    pub(crate) fn add(&mut self, f: &FlowRecord, v: &FlowVerdict) {
        if f.transport != Transport::Tcp || f.dst_port != crate::azure::endpoints::MULTI_VM_PORT {
            return;
        }
        match v.verdict {
            Verdict::Blocked if self.blocked.len() < 8 && !self.blocked.contains_key(&f.dst_ip) => {
                self.blocked.insert(f.dst_ip, v.cause.clone());
            }
            Verdict::Allowed if self.answered.len() < 8 => {
                self.answered.insert(f.dst_ip);
            }
            _ => {}
        }
    }
}

/// How bad a service endpoint policy verdict is: denied 2, cannot tell 1,
/// allowed 0.
pub(crate) fn policy_harm(v: &crate::model::EndpointPolicyVerdict) -> u8 {
    match v.allowed() {
        Some(false) => 2,
        None => 1,
        Some(true) => 0,
    }
}
