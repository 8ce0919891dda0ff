//! From flow verdicts to the requirement checklist (one line per Site
//! Recovery endpoint), the upload rate to the cache account, and the findings
//! drawn from them. Aggregates are bounded: they grow with the catalog and the
//! regions seen, not with flows.

use super::findings;
use super::tally::Agg;
use crate::azure::endpoints::{CATALOG, Endpoint};
use crate::azure::tags::TagDb;
use crate::model::{
    ByAddress, CapturePoint, Cause, Cloud, CloudChoice, CloudHow, Diagnosis, DnsFailure,
    EndpointId, Finding, FlowRecord, FlowVerdict, NameLog, PublicResolution, RegionChoice,
    RequiredTag, Requirement, Status, Thresholds, Title, Tunnel, TunnelKind, Upload, Verdict,
};
use std::collections::BTreeMap;

/// Gathers verdicts into the diagnosis.
#[derive(Default, Clone)]
pub(crate) struct Diagnoser {
    per: BTreeMap<EndpointId, Agg>,
    storage_regions: BTreeMap<String, u64>,
    upload: Upload,
    /// Disjoint transfer intervals of the cache flows, sorted.
    upload_busy: Vec<(i64, i64)>,
    /// Two transfer intervals overlapped.
    upload_parallel: bool,
    upload_segments: (u64, u64),
    rtts: Vec<f64>,
    asr_flows_total: u64,
    /// Site Recovery flows seen inside a VXLAN or GENEVE tunnel.
    asr_flows_tunnelled: u64,
    /// Site Recovery flows by the cloud of their name.
    clouds: BTreeMap<Cloud, u64>,
    /// The first flow reached through a private endpoint, per endpoint (at
    /// most 8): its cause, and how it was tied to its endpoint.
    private: Vec<(EndpointId, Cause, Option<ByAddress>)>,
    /// Addresses Site Recovery flows were translated to (source NAT), with
    /// how many flows each (at most 8 addresses).
    translated: BTreeMap<std::net::IpAddr, u64>,
    /// Source addresses of Site Recovery flows, IPv4 and IPv6 apart (at
    /// most 3 each): more than one of a family is several VMs.
    vms: [std::collections::BTreeSet<std::net::IpAddr>; 2],
    /// Connections to the multi-VM consistency port.
    multi_vm: super::tally::MultiVm,
    /// Plain HTTP on port 80: IMDS, the certificate authorities' hosts.
    port80: super::port80::Port80,
    /// The way out of the VM's subnet for the public endpoints other than
    /// the cache storage (the first flow's without one, else the first's),
    /// when the subnet's export was given.
    outbound: Option<crate::model::OutboundVerdict>,
}

/// What the diagnosis is built with besides the verdicts.
pub(crate) struct Setting<'a> {
    /// The DNS log.
    pub dns: &'a [NameLog],
    /// Service tags.
    pub tags: &'a TagDb,
    /// `embedded snapshot` or the file given.
    pub tags_origin: &'a str,
    /// The regions.
    pub regions: (Option<RegionChoice>, Option<RegionChoice>),
    /// Where the capture was taken.
    pub capture_point: CapturePoint,
    /// Thresholds.
    pub thresholds: &'a Thresholds,
    /// The tunnels the capture holds.
    pub tunnels: &'a [Tunnel],
    /// The cloud given by flag.
    pub cloud_given: Option<Cloud>,
    /// The cloud of the analysis when the names do not say.
    pub cloud_default: Cloud,
    /// The NSG and route exports.
    pub network: &'a crate::azure::Network,
}

impl Diagnoser {
    /// Accounts one judged flow.
    pub(crate) fn add(&mut self, f: &FlowRecord, v: &FlowVerdict) {
        self.multi_vm.add(f, v);
        self.port80.add(f, v);
        let Some(e) = &v.endpoint else { return };
        let id = e.id;
        self.asr_flows_total += 1;
        if e.by == crate::model::EndpointBy::Name {
            *self.clouds.entry(e.cloud).or_default() += 1;
        }
        if f.tunnel
            .is_some_and(|t| matches!(t.kind, TunnelKind::Vxlan | TunnelKind::Geneve))
        {
            self.asr_flows_tunnelled += 1;
        }
        if let Some(t) = f.translated_ip
            && (self.translated.len() < 8 || self.translated.contains_key(&t))
        {
            *self.translated.entry(t).or_default() += 1;
        }
        let family = &mut self.vms[usize::from(f.src_ip.is_ipv6())];
        if family.len() < 3 {
            family.insert(f.src_ip);
        }
        self.per.entry(id).or_default().add(f, v);
        if let Some(o) = v
            .outbound
            .as_ref()
            .filter(|_| id != EndpointId::CacheStorage)
            && self
                .outbound
                .as_ref()
                .is_none_or(|k| k.allowed() && !o.allowed())
        {
            self.outbound = Some(o.clone());
        }
        if v.private_endpoint()
            && self.private.len() < 8
            && !self.private.iter().any(|(e, _, _)| *e == id)
        {
            self.private.push((id, v.cause.clone(), v.by_address()));
        }
        if id == EndpointId::CacheStorage && f.out.bytes > 0 {
            self.add_upload(f, v);
        }
    }

    fn add_upload(&mut self, f: &FlowRecord, v: &FlowVerdict) {
        if let (Some(tag), Some(region)) = (&v.service_tag, &v.service_region)
            && tag.in_family("Storage")
        {
            *self.storage_regions.entry(region.clone()).or_default() += f.out.bytes;
        }
        let u = &mut self.upload;
        u.flows += 1;
        u.bytes += f.out.bytes;
        u.zero_windows += f.inbound.zero_windows;
        self.upload_segments.0 += f.out.data_segments;
        self.upload_segments.1 += f.out.data_retransmissions;
        let a = f.out.first_data.unwrap_or(f.first_seen);
        let b = f.out.last_data.unwrap_or(f.last_seen).max(a);
        self.add_busy(a, b);
        if let Some(r) = f.rtt_ms
            && self.rtts.len() < 10_000
        {
            self.rtts.push(r);
        }
    }

    /// Most transfer intervals kept; past it the closest are joined (down
    /// to half as many, so that the joining is paid once per
    /// `BUSY_MAX / 2` flows, not for every flow), which can only lengthen the
    /// time counted (a lower, never a higher, rate).
    const BUSY_MAX: usize = 1024;

    /// Adds a transfer interval to the union.
    fn add_busy(&mut self, a: i64, b: i64) {
        let v = &mut self.upload_busy;
        let i = v.partition_point(|&(_, e)| e < a);
        let mut j = i;
        let (mut s, mut e) = (a, b);
        while j < v.len() && v[j].0 <= b {
            if v[j].0 < b && a < v[j].1 {
                self.upload_parallel = true;
            }
            s = s.min(v[j].0);
            e = e.max(v[j].1);
            j += 1;
        }
        v.splice(i..j, [(s, e)]);
        if v.len() > Self::BUSY_MAX {
            join_closest(v, Self::BUSY_MAX / 2);
        }
    }

    /// The upload rate to the cache account, when there was data: over the
    /// time data was in flight, with the span beside it.
    fn cache_upload(&mut self) -> Option<Upload> {
        let (first, last) = (self.upload_busy.first()?.0, self.upload_busy.last()?.1);
        let mut u = std::mem::take(&mut self.upload);
        let busy: i64 = self.upload_busy.iter().map(|(a, b)| b - a).sum();
        u.seconds = busy as f64 / 1e6;
        u.span_seconds = (last - first) as f64 / 1e6;
        u.parallel = self.upload_parallel;
        u.mbps = if u.seconds > 0.0 {
            u.bytes as f64 / 1e6 / u.seconds
        } else {
            0.0
        };
        u.retrans_pct = if self.upload_segments.0 > 0 {
            self.upload_segments.1 as f64 * 100.0 / self.upload_segments.0 as f64
        } else {
            0.0
        };
        self.rtts.sort_by(|x, y| x.total_cmp(y));
        u.rtt_ms = self.rtts.get(self.rtts.len() / 2).copied();
        Some(u)
    }

    /// The cloud: given, else the one most Site Recovery names were from,
    /// else the analysis's default.
    fn cloud(&self, s: &Setting<'_>) -> CloudChoice {
        let tags_cloud = crate::azure::clouds::of_tag_file(&s.tags.meta().cloud);
        let (cloud, how) = match s.cloud_given {
            Some(c) => (c, CloudHow::Given),
            None => match self.clouds.iter().max_by_key(|(_, n)| **n) {
                Some((c, _)) => (*c, CloudHow::FromNames),
                None if tags_cloud == Some(s.cloud_default) => {
                    (s.cloud_default, CloudHow::FromTagData)
                }
                None => (s.cloud_default, CloudHow::FromRegions),
            },
        };
        CloudChoice {
            cloud,
            how,
            addresses_checked: tags_cloud == Some(cloud),
        }
    }

    /// The private-subnet signature, when the cache upload went to Storage
    /// in the source region alone and none of its flows was blocked.
    fn private_subnet(
        &self,
        source: Option<&RegionChoice>,
        storage_ok: bool,
        outbound: &[findings::Outbound],
        network: &crate::azure::Network,
    ) -> Option<Finding> {
        let s = &source?.region;
        let here = self.storage_regions.get(&s.id).copied().unwrap_or(0);
        let elsewhere = self
            .storage_regions
            .iter()
            .any(|(r, b)| *r != s.id && *b > 0);
        if !storage_ok || here == 0 || elsewhere {
            return None;
        }
        let fix = self
            .outbound
            .as_ref()
            .map(|_| crate::azure::outbound::fix(&network.placement, Some(&s.id)));
        findings::private_subnet(&s.tag_suffix, here, outbound, self.outbound.as_ref(), fix)
    }

    /// Builds the diagnosis.
    pub(crate) fn finish(mut self, s: Setting<'_>) -> Diagnosis {
        let cloud = self.cloud(&s);
        let (source, target) = s.regions;
        let src = source.as_ref().map(|r| r.region.tag_suffix.as_str());
        let dst = target.as_ref().map(|r| r.region.tag_suffix.as_str());
        let cache_upload = self.cache_upload();
        let upload_now = cache_upload.clone().unwrap_or_default();
        let mut requirements = Vec::new();
        let mut found = Vec::new();
        // The capture was taken on an appliance the VMs' packets reach: so
        // it says, or its tunnels, translations or several VMs show.
        let vms = self.vms.iter().map(|f| f.len()).max().unwrap_or(0);
        let at_appliance = s.capture_point == CapturePoint::Nva
            || self.asr_flows_tunnelled > 0
            || !self.translated.is_empty()
            || vms > 1;
        let around = findings::Around {
            upload: &upload_now,
            thresholds: s.thresholds,
            network: s.network,
            at_appliance,
        };
        let (mut storage_ok, mut outbound) = (false, Vec::new());
        for e in CATALOG {
            let e = &e.in_cloud(cloud.cloud);
            let a = self.per.remove(&e.id).unwrap_or_default();
            let failed_dns: Vec<&NameLog> = s
                .dns
                .iter()
                .filter(|d| {
                    e.matches(&d.name)
                        && d.answered == 0
                        && d.nxdomain + d.servfail + d.other_errors + d.unanswered > 0
                })
                .collect();
            if e.id == EndpointId::CacheStorage {
                storage_ok = !a.verdicts.contains_key(&Verdict::Blocked);
            } else {
                outbound.push(findings::Outbound::of(e, &a));
            }
            let mut r = requirement(e, &a, e.tag.required(src, dst), &failed_dns);
            let of_endpoint = endpoint_findings(e, &a, &r, s.dns, &failed_dns, &around);
            refused_vault(&mut r, &of_endpoint);
            refused_by_policy(&mut r);
            refused_by_storage(&mut r);
            found.extend(of_endpoint);
            requirements.push(r);
        }
        if let Some(src) = &source {
            found.extend(findings::cache_region(src, &self.storage_regions, s.tags));
        }
        // The VM's finding first: it explains the endpoints' own.
        if let Some(f) = self.private_subnet(source.as_ref(), storage_ok, &outbound, s.network) {
            found.insert(0, f);
        }
        // Both legs of translated Site Recovery connections: the capture was
        // taken on the appliance that translates them.
        if at_appliance && self.asr_flows_total > 0 {
            found.push(findings::nva(
                self.asr_flows_total,
                self.asr_flows_tunnelled,
                s.tunnels,
                &self.translated,
                vms,
            ));
        }
        found.extend(findings::multi_vm(&self.multi_vm));
        found.extend(
            self.private
                .iter()
                .map(|(id, c, by)| findings::private_endpoint(*id, c, by.as_ref(), cloud.cloud)),
        );
        let port80 = self.port80.findings(&mut found);
        found.extend(port80);
        // One finding per kind: the first one made stands.
        let mut kept: Vec<Finding> = Vec::with_capacity(found.len());
        for f in found {
            if !kept.iter().any(|k| k.about == f.about) {
                kept.push(f);
            }
        }
        kept.sort_by_key(|f| (f.severity, !f.asr()));
        for f in &mut kept {
            super::advice::name_places(&mut f.fixes, s.network);
        }
        Diagnosis {
            source_region: source,
            target_region: target,
            // Site Recovery traffic inside VXLAN or GENEVE, both legs of
            // translated connections, or several VMs' traffic: the capture
            // point is an appliance's, whatever --capture-point said.
            capture_point: if at_appliance {
                CapturePoint::Nva
            } else {
                s.capture_point
            },
            cloud,
            service_tags: s.tags.meta().clone(),
            service_tags_origin: s.tags_origin.to_string(),
            thresholds: s.thresholds.clone(),
            requirements,
            findings: kept,
            cache_upload,
            exports: s.network.exports.clone(),
        }
    }
}

/// One line of the checklist: the worst flow's status and cause; a name
/// that never resolved when no flow was seen; not seen when no flow could
/// be judged.
fn requirement(e: &Endpoint, a: &Agg, tag: RequiredTag, failed_dns: &[&NameLog]) -> Requirement {
    let (mut status, mut cause) = match &a.worst {
        Some((v, ex)) => (Status::of(*v), Some(ex.cause.clone())),
        None => (Status::NotSeen, None),
    };
    if let (Status::NotSeen, Some(d)) = (status, failed_dns.first()) {
        status = Status::Blocked;
        cause = Some(dns_failure(d));
    }
    if status == Status::Ok && a.verdicts.keys().all(|v| *v == Verdict::Incomplete) {
        status = Status::NotSeen;
        cause = Some(Cause::NothingToJudge { flows: a.flows });
    }
    let worst = a.worst.as_ref().map(|(_, ex)| ex);
    Requirement {
        id: e.id,
        endpoint: e.pattern,
        tag,
        purpose: e.purpose,
        need: e.need,
        status,
        flows: a.flows,
        verdicts: a.counts(),
        cause,
        nsg: worst.and_then(|ex| ex.nsg.clone()),
        route: worst.and_then(|ex| ex.route.clone()),
        firewall: worst.and_then(|ex| ex.firewall.clone()),
        storage: a.storage.clone(),
        dns: worst.and_then(|ex| ex.dns.clone()),
        admin: worst.and_then(|ex| ex.admin.clone()),
        outbound: worst.and_then(|ex| ex.outbound.clone()),
        endpoint_policy: a.endpoint_policy.clone(),
        last_seen: a.last_seen,
        sources: a.sources(),
        sources_left_off: a.sources_left_off,
    }
}

/// A vault whose name resolves publicly past its private endpoint refuses
/// this network: its line says so, blocked, however its connections went
/// (the refusal is inside TLS, where a capture cannot see it).
fn refused_vault(r: &mut Requirement, found: &[Finding]) {
    if r.status.is_problem() {
        return;
    }
    let name = found.iter().find_map(|f| match &f.title {
        Title::ResolvesPublicly {
            name,
            role: PublicResolution::VaultRefused,
        } => Some(name.clone()),
        _ => None,
    });
    if let Some(name) = name {
        r.status = Status::Blocked;
        r.cause = Some(Cause::VaultResolvesPublicly { name });
    }
}

/// A cache account the service endpoint policies on the VM's subnet do not
/// list: its line says so, blocked, however its connections went (what
/// the client sees of the denial is not documented). It comes before the
/// account's own firewall, as Azure applies them.
fn refused_by_policy(r: &mut Requirement) {
    if r.status.is_problem() {
        return;
    }
    if let Some(v) = r
        .endpoint_policy
        .as_ref()
        .filter(|v| r.id == EndpointId::CacheStorage && v.allowed() == Some(false))
    {
        r.status = Status::Blocked;
        r.cause = Some(Cause::EndpointPolicyDenies {
            account: v.account.clone(),
            policies: v.policies.clone(),
        });
    }
}

/// A cache account whose own firewall refuses the VM's traffic (or misses
/// what Site Recovery requires of it), by its export: its line says so,
/// blocked, however its connections went (the refusal is inside TLS).
fn refused_by_storage(r: &mut Requirement) {
    if r.status.is_problem() {
        return;
    }
    if let Some(v) = r.storage.as_ref().filter(|v| v.harm() == 2) {
        r.status = Status::Blocked;
        r.cause = Some(Cause::StorageFirewallRefuses {
            account: v.account.clone(),
        });
    }
}

/// An endpoint's findings: every problem its flows show, the worst first; a
/// name that does not resolve, or resolves publicly past its private
/// endpoint; an NSG export that denies what works; a proxy that asks for
/// credentials; a handshake completed at TLS older than 1.2.
fn endpoint_findings(
    e: &Endpoint,
    a: &Agg,
    r: &Requirement,
    dns: &[NameLog],
    failed_dns: &[&NameLog],
    around: &findings::Around<'_>,
) -> Vec<Finding> {
    let mut found = Vec::new();
    // A name that never resolved is a DNS problem, not an NSG one.
    if a.worst.is_some() && r.status.is_problem() {
        for (v, ex) in a.examples.iter().rev() {
            let st = Status::of(*v);
            if st.is_problem() {
                found.push(findings::for_endpoint(e, &r.tag, a, st, ex, around));
            }
        }
    }
    for d in failed_dns {
        found.push(findings::dns(e, d, &dns_failure(d)));
    }
    found.extend(
        dns.iter()
            .filter(|d| e.matches(&d.name) && d.answered > 0)
            .filter_map(|d| findings::resolves_publicly(e, d, around.network)),
    );
    found.extend(
        dns.iter()
            .filter(|d| e.matches(&d.name) && d.answered > 0)
            .filter_map(|d| findings::stale_dns(e, d, around.network)),
    );
    if let (Status::Ok, Some(n)) = (r.status, &a.works_though_denied) {
        found.push(findings::stale_nsg(e, n));
    }
    if let (Status::Ok, Some(v)) = (r.status, &a.works_though_firewall_denies) {
        found.push(findings::stale_firewall(e, v));
    }
    if let Some(v) = a
        .endpoint_policy
        .as_ref()
        .filter(|v| e.id == EndpointId::CacheStorage && v.allowed() == Some(false))
    {
        found.push(findings::endpoint_policy(v, around.network));
    }
    if let Some(v) = a.storage.as_ref().filter(|v| v.harm() > 0) {
        found.push(findings::storage_firewall(v));
    }
    // A proxy that let Site Recovery through only with credentials: a
    // warning, unless a refused connection already made it a finding of
    // its own.
    if let Some(p) = &a.authenticated
        && !a.examples.contains_key(&Verdict::ProxyAuth)
    {
        found.push(findings::authenticating_proxy(e, p));
    }
    // A handshake completed at TLS 1.0 or 1.1: the flow's verdict stays,
    // the refusal being inside TLS.
    if let Some(o) = &a.old_tls {
        found.push(findings::old_tls(e, o));
    }
    found
}

/// How a name failed to resolve.
pub(crate) fn dns_failure(d: &NameLog) -> Cause {
    let (failure, count) = if d.nxdomain > 0 {
        (DnsFailure::Nxdomain, d.nxdomain)
    } else if d.servfail > 0 {
        (DnsFailure::Servfail, d.servfail)
    } else if d.other_errors > 0 {
        (DnsFailure::Refused, d.other_errors)
    } else {
        (DnsFailure::Unanswered, d.unanswered)
    };
    Cause::DnsFailed {
        name: d.name.clone(),
        failure,
        count,
    }
}

/// Joins the intervals of `v` (sorted, disjoint) across their smallest gaps
/// until `keep` are left.
fn join_closest(v: &mut Vec<(i64, i64)>, keep: usize) {
    if v.len() <= keep || keep == 0 {
        return;
    }
    // The gaps before each interval but the first, smallest first: the
    // `v.len() - keep` smallest are closed (ties by position, so the result
    // does not depend on the sort).
    let mut gaps: Vec<(i64, usize)> = (1..v.len()).map(|k| (v[k].0 - v[k - 1].1, k)).collect();
    let close = v.len() - keep;
    gaps.select_nth_unstable(close - 1);
    let mut join = vec![false; v.len()];
    for &(_, k) in &gaps[..close] {
        join[k] = true;
    }
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(keep);
    for (k, &(s, e)) in v.iter().enumerate() {
        match out.last_mut() {
            Some(last) if join[k] => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    *v = out;
}

#[cfg(test)]
mod busy_tests {
    use super::join_closest;

    #[test]
    fn the_smallest_gaps_are_closed_first() {
        let mut v = vec![(0, 10), (12, 20), (100, 110), (111, 120), (500, 510)];
        join_closest(&mut v, 3);
        assert_eq!(v, vec![(0, 20), (100, 120), (500, 510)]);
        join_closest(&mut v, 1);
        assert_eq!(v, vec![(0, 510)]);
        // Nothing to do.
        join_closest(&mut v, 4);
        assert_eq!(v, vec![(0, 510)]);
    }

    #[test]
    fn many_intervals_stay_bounded_and_cover_the_same_span() {
        let mut d = super::Diagnoser::default();
        for i in 0..10_000i64 {
            d.add_busy(i * 1_000, i * 1_000 + 400);
        }
        assert!(d.upload_busy.len() <= super::Diagnoser::BUSY_MAX);
        assert_eq!(d.upload_busy.first().unwrap().0, 0);
        assert_eq!(d.upload_busy.last().unwrap().1, 9_999_400);
        // Joining only lengthens the time counted.
        let busy: i64 = d.upload_busy.iter().map(|(a, b)| b - a).sum();
        assert!(busy >= 10_000 * 400);
    }
}
