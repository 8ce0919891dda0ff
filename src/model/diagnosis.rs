//! The diagnosis: the Site Recovery requirement checklist, findings with their
//! error codes and fixes, the regions and service-tag data used, and the
//! upload rate to the cache account.

use super::{
    Cause, Cloud, EndpointId, Evidence, FindingKind, Fix, NsgVerdict, RequiredTag, RouteVerdict,
    SourceOutcome, Status, Title, Upload,
};
use serde::Serialize;
use std::collections::BTreeMap;

/// Service-tag data older than this many days (than the capture, or than
/// today for `check`) is called stale: tags change weekly.
pub const STALE_TAGS_DAYS: i64 = 60;

/// Thresholds of the rules.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Thresholds {
    /// A flow with at least this share of its data segments retransmitted
    /// (percent, client to server) is throttled.
    pub retrans_pct: f64,
    /// Fewest client data segments before the retransmission share is judged.
    pub min_segments: u64,
    /// A flow whose server advertised a zero window at least this often is
    /// throttled.
    pub zero_windows: u64,
    /// Upload rate to the cache storage account that Site Recovery needs, MB/s
    /// ("slower than 4 MB in 3 seconds" is too slow: 1.33 MB/s).
    pub cache_upload_mbps: f64,
    /// Per-VM data churn limit, MB/s (Site Recovery's standard limit).
    pub churn_limit_mbps: f64,
    /// Per-VM data churn limit with High Churn, MB/s.
    pub high_churn_limit_mbps: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            retrans_pct: 2.0,
            min_segments: 20,
            zero_windows: 1,
            cache_upload_mbps: 4.0 / 3.0,
            churn_limit_mbps: 54.0,
            high_churn_limit_mbps: 100.0,
        }
    }
}

/// A known region.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Region {
    /// Lower-case id, as in the service tags' `region` property (`eastus`).
    pub id: String,
    /// Suffix of regional service tags (`EastUS`, as in `Storage.EastUS`).
    pub tag_suffix: String,
}

/// When an endpoint is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// Always.
    Always,
    /// Only to enable replication of Azure Disk Encryption (ADE) VMs from the portal.
    AdeVms,
    /// Only to let the portal auto-upgrade the Mobility agent.
    AgentAutoUpgrade,
}

/// What a database was built from.
#[derive(serde::Serialize, Clone, Debug)]
pub struct SnapshotMeta {
    /// The file's top-level change number.
    pub change_number: u64,
    /// The cloud, e.g. `Public`.
    pub cloud: String,
    /// Publication date, `YYYY-MM-DD`, when known.
    pub published: Option<String>,
    /// The source file's name, without directories.
    pub source: String,
    /// Number of tags in the database.
    pub tags: usize,
    /// Number of address prefixes in the database (over all tags).
    pub prefixes: usize,
}

/// The cloud the diagnosis speaks of, and whether the addresses could be
/// checked against that cloud's service tags.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CloudChoice {
    /// The cloud.
    pub cloud: Cloud,
    /// How it was chosen.
    pub how: CloudHow,
    /// False when the service-tag data is another cloud's: addresses were
    /// not checked (never called outside Azure).
    pub addresses_checked: bool,
}

/// How the cloud was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "&'static str")]
pub enum CloudHow {
    /// By `--cloud`.
    Given,
    /// The cloud most Site Recovery names seen were from.
    FromNames,
    /// No name said: the service-tag data's cloud.
    FromTagData,
    /// No name said: the regions' cloud (or the public one).
    FromRegions,
}

impl CloudHow {
    /// How it was chosen, as the JSON and the views say it.
    pub fn as_str(&self) -> &'static str {
        match self {
            CloudHow::Given => "given",
            CloudHow::FromNames => "inferred from the names seen",
            CloudHow::FromTagData => "from the service-tag data",
            CloudHow::FromRegions => "from the regions",
        }
    }
}

/// How a region was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "&'static str")]
pub enum RegionHow {
    /// By `--source-region` or `--target-region`.
    Given,
    /// From the traffic: the Storage and EventHub tags of the addresses
    /// the cache and monitoring names went to.
    Inferred,
}

impl RegionHow {
    /// How it was chosen, as the JSON and the views say it.
    pub fn as_str(&self) -> &'static str {
        match self {
            RegionHow::Given => "given",
            RegionHow::Inferred => "inferred from the traffic",
        }
    }
}

/// Where the capture was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CapturePoint {
    /// On the replicated VM.
    Vm,
    /// On a network virtual appliance in the VM's path.
    Nva,
}

/// How a region was chosen.
#[derive(Debug, Clone, Serialize)]
pub struct RegionChoice {
    /// The region.
    pub region: Region,
    /// How it was chosen.
    pub how: RegionHow,
}

/// One line of the checklist.
#[derive(Debug, Clone)]
pub struct Requirement {
    /// Catalog id.
    pub id: EndpointId,
    /// URL pattern.
    pub endpoint: &'static str,
    /// The tag an NSG must allow.
    pub tag: RequiredTag,
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
    /// Why, machine-readable (absent when not seen); the JSON's `evidence`
    /// says it in words, before it.
    pub cause: Option<Cause>,
    /// What the NSG exports (`--nsg`) say of the flow that set the status.
    pub nsg: Option<NsgVerdict>,
    /// The route (`--routes`) that flow's destination takes.
    pub route: Option<RouteVerdict>,
    /// What the firewall exports (`--azure`) say of that flow.
    pub firewall: Option<super::FirewallVerdict>,
    /// What the cache storage account's export (`--azure`) says of the
    /// endpoint's flows: the worst.
    pub storage: Option<super::StorageVerdict>,
    /// What the private DNS exports (`--azure`) say of that flow's name.
    pub dns: Option<super::DnsVerdict>,
    /// What the security admin rules (`--azure`) say of that flow, before
    /// the NSGs.
    pub admin: Option<super::AdminVerdict>,
    /// The way out of the VM's subnet (`--azure` subnet export) for that
    /// flow.
    pub outbound: Option<super::OutboundVerdict>,
    /// What the service endpoint policies on the VM's subnet (`--azure`)
    /// say of the endpoint's Storage flows: the worst (a denial is not
    /// visible on the wire).
    pub endpoint_policy: Option<super::EndpointPolicyVerdict>,
    /// Last flow seen.
    pub last_seen: Option<i64>,
    /// Each VM's outcome (by source address), worst first: on an appliance's
    /// capture, which VMs are blocked and which work.
    pub sources: Vec<SourceOutcome>,
    /// Source addresses past [`MAX_SOURCES`], not listed.
    pub sources_left_off: u64,
}

/// Most source addresses listed per requirement.
pub const MAX_SOURCES: usize = 32;

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
///
/// The JSON gives `about`, `severity`, `asr` and `endpoint` (from `about`),
/// `title`, `error_codes`, `evidence` (sentences), `fixes` (values) and `fix`
/// (the same fixes as sentences and `az` commands, one for one).
#[derive(Debug, Clone)]
pub struct Finding {
    /// What it is about: one finding per kind.
    pub about: FindingKind,
    /// Severity.
    pub severity: Severity,
    /// The headline.
    pub title: Title,
    /// Site Recovery error codes a user will have seen.
    pub error_codes: Vec<&'static str>,
    /// What it rests on.
    pub evidence: Vec<Evidence>,
    /// What to change, each fix once.
    pub fixes: Vec<Fix>,
}

impl Finding {
    /// About Site Recovery traffic (counts for the exit status).
    pub fn asr(&self) -> bool {
        self.about.asr()
    }

    /// The endpoint concerned.
    pub fn endpoint(&self) -> Option<EndpointId> {
        self.about.endpoint()
    }
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
    /// The cloud.
    pub cloud: CloudChoice,
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
    /// The exports of the VM's network read (`--nsg`, `--routes`,
    /// `--azure`), with their kinds.
    pub exports: Vec<super::ExportRead>,
}

impl Diagnosis {
    /// True when a finding concerns Site Recovery traffic (exit status 1).
    pub fn has_asr_findings(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.asr() && f.severity <= Severity::Warning)
    }
}

named_by_as_str!(CloudHow, RegionHow);
every_variant!(Severity: Critical, Warning, Info);
