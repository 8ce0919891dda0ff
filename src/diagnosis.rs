//! From flow verdicts to the answer users bring: the requirement checklist
//! (one line per Site Recovery endpoint), findings with the Site Recovery error
//! codes and the concrete fix, and the measured upload rate to the cache
//! account beside what replication needs. Aggregates are bounded: they grow
//! with the catalog and the regions seen, not with flows.

use crate::azure::endpoints::{self, CATALOG, Endpoint, Need};
use crate::azure::regions::Region;
use crate::azure::tags::{SnapshotMeta, TagDb};
use crate::model::FlowRecord;
use crate::names::NameLog;
use crate::verdict::{FlowVerdict, Thresholds, Verdict};
use serde::Serialize;
use std::collections::BTreeMap;

/// Where the capture was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CapturePoint {
    /// On the replicated VM.
    Vm,
    /// On a network virtual appliance in the VM's path.
    Nva,
}

/// A requirement's status in the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
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
    /// Kebab-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::NotSeen => "not seen",
            Status::Throttled => "throttled",
            Status::OutsideAzure => "outside-azure",
            Status::Intercepted => "intercepted",
            Status::ProxyAuth => "proxy-auth",
            Status::Blocked => "blocked",
        }
    }

    fn of(v: Verdict) -> Status {
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

/// How a region was chosen.
#[derive(Debug, Clone, Serialize)]
pub struct RegionChoice {
    /// The region.
    pub region: Region,
    /// `given` (by flag) or `inferred` (from the traffic).
    pub how: &'static str,
}

/// One line of the checklist.
#[derive(Debug, Clone, Serialize)]
pub struct Requirement {
    /// Catalog id.
    pub id: &'static str,
    /// URL pattern.
    pub endpoint: &'static str,
    /// The tag an NSG must allow.
    pub tag: String,
    /// What it is for.
    pub purpose: &'static str,
    /// When it is needed.
    pub need: Need,
    /// Status.
    pub status: Status,
    /// Flows to it.
    pub flows: u64,
    /// Flows by verdict.
    pub verdicts: BTreeMap<&'static str, u64>,
    /// The strongest evidence.
    pub evidence: String,
    /// Last flow seen.
    #[serde(serialize_with = "crate::model::ts_opt")]
    pub last_seen: Option<i64>,
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Replication cannot work this way.
    Critical,
    /// Replication works but is at risk (throttling, NVA in the path, region).
    Warning,
    /// Worth knowing; nothing to fix.
    Info,
}

/// A finding with its evidence and fix.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Severity.
    pub severity: Severity,
    /// About Site Recovery traffic (counts for the exit status).
    pub asr: bool,
    /// One line.
    pub title: String,
    /// The endpoint concerned.
    pub endpoint: Option<&'static str>,
    /// Site Recovery error codes a user will have seen.
    pub error_codes: Vec<&'static str>,
    /// Evidence lines.
    pub evidence: Vec<String>,
    /// What to change.
    pub fix: Vec<String>,
}

/// Upload to the cache storage account, beside what replication needs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Upload {
    /// Flows to the cache account with data.
    pub flows: u64,
    /// Bytes uploaded.
    pub bytes: u64,
    /// From the first to the last data segment, seconds.
    pub seconds: f64,
    /// Average rate, MB/s.
    pub mbps: f64,
    /// Data segments retransmitted, percent.
    pub retrans_pct: f64,
    /// Zero windows from the storage side.
    pub zero_windows: u64,
    /// Median handshake RTT, ms.
    pub rtt_ms: Option<f64>,
}

/// The diagnosis.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    /// Source region.
    pub source_region: Option<RegionChoice>,
    /// Target region.
    pub target_region: Option<RegionChoice>,
    /// Where the capture was taken.
    pub capture_point: CapturePoint,
    /// The service-tag data used.
    pub service_tags: SnapshotMeta,
    /// `embedded` or the file given.
    pub service_tags_origin: String,
    /// Thresholds used.
    pub thresholds: Thresholds,
    /// The checklist.
    pub requirements: Vec<Requirement>,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Upload to the cache account.
    pub cache_upload: Option<Upload>,
}

impl Diagnosis {
    /// True when a finding concerns Site Recovery traffic (exit status 1).
    pub fn has_asr_findings(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.asr && f.severity <= Severity::Warning)
    }
}

#[derive(Default, Clone)]
struct Agg {
    flows: u64,
    worst: Option<(Verdict, String)>,
    verdicts: BTreeMap<&'static str, u64>,
    last_seen: Option<i64>,
}

/// Gathers verdicts into the diagnosis.
#[derive(Default, Clone)]
pub struct Diagnoser {
    per: BTreeMap<&'static str, Agg>,
    storage_regions: BTreeMap<String, u64>,
    upload: Upload,
    upload_span: Option<(i64, i64)>,
    upload_segments: (u64, u64),
    rtts: Vec<f64>,
    asr_flows_total: u64,
    private: Vec<String>,
}

impl Diagnoser {
    /// Accounts one judged flow.
    pub fn add(&mut self, f: &FlowRecord, v: &FlowVerdict) {
        let Some(id) = v.endpoint else { return };
        self.asr_flows_total += 1;
        let a = self.per.entry(id).or_default();
        a.flows += 1;
        *a.verdicts.entry(v.verdict.as_str()).or_default() += 1;
        a.last_seen = Some(a.last_seen.map_or(f.last_seen, |l| l.max(f.last_seen)));
        if a.worst.as_ref().is_none_or(|(w, _)| v.verdict > *w) {
            a.worst = Some((v.verdict, v.reason.clone()));
        }
        if v.private_endpoint && self.private.len() < 8 {
            self.private.push(v.reason.clone());
        }
        if id == "cache-storage" && f.out.bytes > 0 {
            if let (Some(tag), Some(region)) = (&v.service_tag, &v.service_region)
                && tag.starts_with("Storage")
            {
                *self.storage_regions.entry(region.clone()).or_default() += f.out.bytes;
            }
            let u = &mut self.upload;
            u.flows += 1;
            u.bytes += f.out.bytes;
            u.zero_windows += f.inbound.zero_windows;
            self.upload_segments.0 += f.out.data_segments;
            self.upload_segments.1 += f.out.data_retransmissions;
            let (a, b) = (f.first_seen, f.last_seen);
            self.upload_span = Some(
                self.upload_span
                    .map_or((a, b), |(x, y)| (x.min(a), y.max(b))),
            );
            if let Some(r) = f.rtt_ms
                && self.rtts.len() < 10_000
            {
                self.rtts.push(r);
            }
        }
    }

    /// Builds the diagnosis.
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        mut self,
        dns: &[NameLog],
        tags: &TagDb,
        tags_origin: &str,
        source: Option<RegionChoice>,
        target: Option<RegionChoice>,
        capture_point: CapturePoint,
        thresholds: &Thresholds,
    ) -> Diagnosis {
        let src = source.as_ref().map(|r| r.region.tag_suffix.as_str());
        let dst = target.as_ref().map(|r| r.region.tag_suffix.as_str());
        // Upload rate to the cache account.
        let cache_upload = self.upload_span.map(|(a, b)| {
            let mut u = std::mem::take(&mut self.upload);
            u.seconds = (b - a) as f64 / 1e6;
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
            u
        });
        let mut requirements = Vec::new();
        let mut findings = Vec::new();
        let upload_now = cache_upload.clone().unwrap_or_default();
        for e in CATALOG {
            let a = self.per.remove(e.id).unwrap_or_default();
            let failed_dns: Vec<&NameLog> = dns
                .iter()
                .filter(|d| {
                    endpoints::matches(e.pattern, &d.name)
                        && d.answered == 0
                        && d.nxdomain + d.servfail + d.other_errors + d.unanswered > 0
                })
                .collect();
            let (mut status, mut evidence) = match &a.worst {
                Some((v, why)) => (Status::of(*v), why.clone()),
                None => (Status::NotSeen, String::new()),
            };
            if status == Status::NotSeen && !failed_dns.is_empty() {
                status = Status::Blocked;
                evidence = dns_evidence(failed_dns[0]);
            }
            if status == Status::Ok
                && a.verdicts.len() == 1
                && a.verdicts.contains_key("incomplete")
            {
                status = Status::NotSeen;
                evidence = format!("{} flows, none complete enough to judge", a.flows);
            }
            let tag = e.tag.tag(src, dst);
            let bad = matches!(
                status,
                Status::Blocked
                    | Status::ProxyAuth
                    | Status::Intercepted
                    | Status::OutsideAzure
                    | Status::Throttled
            );
            // A name that never resolved is a DNS problem, not an NSG one.
            if bad && a.worst.is_some() {
                findings.push(finding_for(
                    e,
                    status,
                    &tag,
                    &evidence,
                    &a,
                    &upload_now,
                    thresholds,
                ));
            }
            for d in &failed_dns {
                findings.push(dns_finding(e, d));
            }
            requirements.push(Requirement {
                id: e.id,
                endpoint: e.pattern,
                tag,
                purpose: e.purpose,
                need: e.need,
                status,
                flows: a.flows,
                verdicts: a.verdicts,
                evidence,
                last_seen: a.last_seen,
            });
        }
        // Cache storage in another region than the source.
        if let Some(s) = &source {
            for (region, bytes) in &self.storage_regions {
                if *region != s.region.id {
                    let other = tags
                        .regions()
                        .into_iter()
                        .find(|(id, _)| id == region)
                        .map(|(_, sfx)| sfx)
                        .unwrap_or(region.clone());
                    findings.push(Finding {
                        severity: Severity::Warning,
                        asr: true,
                        title: format!("cache storage traffic goes to region {other}, not the source region {}", s.region.tag_suffix),
                        endpoint: Some("cache-storage"),
                        error_codes: vec!["151037"],
                        evidence: vec![format!("{bytes} bytes uploaded to addresses of Storage.{other}")],
                        fix: vec![
                            format!("the cache storage account must be in the source region ({}); allow Storage.{} in the NSG", s.region.tag_suffix, s.region.tag_suffix),
                            format!("if {other} is really the source region, run again with --source-region {other}"),
                        ],
                    });
                }
            }
        }
        if capture_point == CapturePoint::Nva && self.asr_flows_total > 0 {
            findings.push(Finding {
                severity: Severity::Warning,
                asr: true,
                title: "replication traffic passes through the network virtual appliance".into(),
                endpoint: Some("cache-storage"),
                error_codes: vec!["153007"],
                evidence: vec![format!("{} Site Recovery flows seen on the NVA", self.asr_flows_total)],
                fix: vec![
                    "the appliance might get throttled if all the replication traffic passes through it: create a virtual network service endpoint for Microsoft.Storage on the VM's subnet so that replication traffic does not go to the NVA".into(),
                    "az network vnet subnet update -g <resource-group> --vnet-name <vnet> -n <subnet> --service-endpoints Microsoft.Storage".into(),
                    "do not restrict the storage accounts used by Site Recovery to selected networks: allow access from all networks".into(),
                ],
            });
        }
        for p in &self.private {
            findings.push(Finding {
                severity: Severity::Info,
                asr: false,
                title: "reached through a private endpoint: allowed".into(),
                endpoint: None,
                error_codes: vec![],
                evidence: vec![p.clone()],
                fix: vec!["nothing to change; Azure AD (login.microsoftonline.com) has no private endpoint and must still be allowed outbound".into()],
            });
        }
        findings.sort_by_key(|f| (f.severity, !f.asr));
        Diagnosis {
            source_region: source,
            target_region: target,
            capture_point,
            service_tags: tags.meta().clone(),
            service_tags_origin: tags_origin.to_string(),
            thresholds: thresholds.clone(),
            requirements,
            findings,
            cache_upload,
        }
    }
}

fn dns_evidence(d: &NameLog) -> String {
    if d.nxdomain > 0 {
        format!("DNS answered NXDOMAIN for {}", d.name)
    } else if d.servfail > 0 {
        format!("DNS answered SERVFAIL for {}", d.name)
    } else if d.other_errors > 0 {
        format!(
            "DNS refused or failed {} ({} responses)",
            d.name, d.other_errors
        )
    } else {
        format!(
            "{} DNS quer{} for {} never answered",
            d.unanswered,
            if d.unanswered == 1 { "y" } else { "ies" },
            d.name
        )
    }
}

fn dns_finding(e: &Endpoint, d: &NameLog) -> Finding {
    let servers: Vec<String> = d.servers.iter().map(|s| s.to_string()).collect();
    Finding {
        severity: Severity::Critical,
        asr: true,
        title: format!("{} does not resolve", d.name),
        endpoint: Some(e.id),
        error_codes: vec!["151195"],
        evidence: vec![format!("{} (DNS server {})", dns_evidence(d), servers.join(", "))],
        fix: vec![
            "make the VM's DNS servers resolve the Site Recovery URLs: a custom DNS server must be reachable from this region (during reprotection, from the DR region), or use Azure-provided DNS".into(),
            "with private endpoints, make sure the VM can resolve the private DNS zone records".into(),
        ],
    }
}

#[allow(clippy::too_many_arguments)]
fn finding_for(
    e: &Endpoint,
    status: Status,
    tag: &str,
    evidence: &str,
    a: &Agg,
    upload: &Upload,
    th: &Thresholds,
) -> Finding {
    let counts: Vec<String> = a.verdicts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    let mut ev = vec![
        evidence.to_string(),
        format!(
            "{} flow{}: {}",
            a.flows,
            if a.flows == 1 { "" } else { "s" },
            counts.join(", ")
        ),
    ];
    let nsg = format!(
        "allow outbound TCP 443 to service tag {tag} in the VM's NSG: az network nsg rule create -g <resource-group> --nsg-name <nsg> -n Allow-ASR-{} --priority <priority> --direction Outbound --access Allow --protocol Tcp --destination-address-prefixes {tag} --destination-port-ranges 443",
        tag.replace(['.', '<', '>'], "")
    );
    let specific = if e.id == "cache-storage" {
        " (or only the cache accounts, e.g. cache1.blob.core.windows.net)"
    } else {
        ""
    };
    let url = format!(
        "on a URL-filtering firewall or proxy, allow {}{specific} (not IP addresses: IP-based filtering is not supported for Site Recovery)",
        e.pattern
    );
    let (severity, title, codes, fix): (Severity, String, Vec<&'static str>, Vec<String>) = match status {
        Status::Blocked if evidence.starts_with("RST from server") => (
            Severity::Critical,
            format!("{} is blocked: a filter resets the connection at the TLS hello", e.pattern),
            e.error_codes.to_vec(),
            vec![url, nsg],
        ),
        Status::Blocked if evidence.starts_with("proxy") => (
            Severity::Critical,
            format!("{} is refused by the proxy", e.pattern),
            vec!["151072"],
            vec![format!("allow {} on the proxy, or bypass the proxy for the Site Recovery URLs", e.pattern)],
        ),
        Status::Blocked if evidence.starts_with("server sent TLS alert") => (
            Severity::Critical,
            format!("TLS to {} fails", e.pattern),
            vec!["151066"],
            vec!["update the VM's trusted root certificates (Windows Update; on Linux the distribution's CA bundle) and check that no device in the path alters TLS".into()],
        ),
        Status::Blocked => (
            Severity::Critical,
            format!("{} is blocked", e.pattern),
            e.error_codes.to_vec(),
            vec![nsg, url, "a Standard internal load balancer gives no outbound access by default: add a NAT gateway".into()],
        ),
        Status::ProxyAuth => (
            Severity::Critical,
            format!("{} goes through an authenticating proxy, which Site Recovery does not support", e.pattern),
            vec!["151072"],
            vec![
                format!("let {} through the proxy without authentication, or bypass the proxy for the Site Recovery URLs", e.pattern),
                "the Mobility agent reads its proxy from ProxyInfo.conf (Linux /usr/local/InMage/config/ProxyInfo.conf, Windows C:\\ProgramData\\Microsoft Azure Site Recovery\\Config\\ProxyInfo.conf), else /etc/environment or Internet Explorer's settings".into(),
            ],
        ),
        Status::Intercepted => (
            Severity::Critical,
            format!("TLS to {} is intercepted", e.pattern),
            vec!["151066"],
            vec![format!("exclude {} from TLS inspection on the firewall or proxy", e.pattern)],
        ),
        Status::OutsideAzure => (
            Severity::Critical,
            format!("traffic to {} leaves the Azure boundary", e.pattern),
            e.error_codes.to_vec(),
            vec![
                "forced tunnelling (a 0.0.0.0/0 route to an on-premises appliance) is not recommended for Site Recovery: create a virtual network service endpoint for Microsoft.Storage so that replication traffic stays in Azure".into(),
                "az network vnet subnet update -g <resource-group> --vnet-name <vnet> -n <subnet> --service-endpoints Microsoft.Storage".into(),
                "check that DNS answers with the service's Azure addresses".into(),
            ],
        ),
        _ => {
            if e.id == "cache-storage" {
                let below = if upload.mbps < th.cache_upload_mbps { "below" } else { "above" };
                ev.push(format!(
                    "upload to the cache account {:.2} MB/s over {:.1} s: {below} the {:.2} MB/s Site Recovery needs (4 MB in 3 s); churn limit {:.0} MB/s per VM ({:.0} MB/s with High Churn)",
                    upload.mbps, upload.seconds, th.cache_upload_mbps, th.churn_limit_mbps, th.high_churn_limit_mbps
                ));
            }
            (
                Severity::Warning,
                format!("{} is throttled", e.pattern),
                vec!["153007"],
                vec![
                    "if a network virtual appliance is in the path, it may be throttling replication: create a virtual network service endpoint for Microsoft.Storage so that replication bypasses it".into(),
                    "measure an upload to the cache account (AzCopy); if the disks' write rate is above the churn limits, exclude disks or enable High Churn".into(),
                ],
            )
        }
    };
    Finding {
        severity,
        asr: true,
        title,
        endpoint: Some(e.id),
        error_codes: codes,
        evidence: ev,
        fix,
    }
}

/// Infers the regions from the traffic: the source is the region of the
/// Storage tag holding most bytes uploaded to cache storage names (or, without
/// data, the addresses DNS gave for them); the target is the region of the
/// EventHub tag of the monitoring names. `None` when nothing tells.
pub fn infer_regions(
    flows: &[FlowRecord],
    dns: &[NameLog],
    tags: &TagDb,
) -> (Option<String>, Option<String>) {
    let mut by: [BTreeMap<String, u64>; 2] = Default::default();
    let mut count = |i: usize, family: &str, ip: &std::net::IpAddr, w: u64| {
        if let Some(t) = tags
            .lookup(*ip)
            .into_iter()
            .find(|t| t.name.starts_with(&format!("{family}.")))
            && let Some(r) = &t.region
        {
            *by[i].entry(r.clone()).or_default() += w;
        }
    };
    for f in flows {
        match crate::verdict::flow_name(f)
            .and_then(endpoints::classify)
            .map(|e| e.id)
        {
            Some("cache-storage") => count(0, "Storage", &f.dst_ip, 1 + f.out.bytes),
            Some("monitoring") => count(1, "EventHub", &f.dst_ip, 1 + f.out.bytes),
            _ => {}
        }
    }
    for d in dns {
        match endpoints::classify(&d.name).map(|e| e.id) {
            Some("cache-storage") => d.addresses.iter().for_each(|ip| count(0, "Storage", ip, 1)),
            Some("monitoring") => d
                .addresses
                .iter()
                .for_each(|ip| count(1, "EventHub", ip, 1)),
            _ => {}
        }
    }
    let best =
        |m: &BTreeMap<String, u64>| m.iter().max_by_key(|(_, v)| **v).map(|(k, _)| k.clone());
    (best(&by[0]), best(&by[1]))
}
