//! Site Recovery's network requirements for a region pair, without any
//! capture (`asrscope requirements`): the URLs a URL filter allows, the NSG
//! rules of both regions (the target region's are what replication needs
//! after failover, to replicate back), the documentation's notes, and the
//! data churn limits. Built by [`crate::diagnosis::requirements`], written
//! by [`crate::report::requirements`].

use super::{Cloud, Need, Region, TagName};
use serde::Serialize;
use serde::ser::SerializeTuple;

/// The requirements of one region pair. `render::json` serialises it as
/// `requirements --format json` writes it: every field, `notes` as
/// sentences and `note_kinds` as the values they say.
#[derive(Debug, Clone)]
pub(crate) struct RegionRequirements {
    /// The cloud of the regions.
    pub cloud: Cloud,
    /// Region of the replicated VMs.
    pub source_region: Region,
    /// Region replicated to.
    pub target_region: Region,
    /// What a URL-filtering firewall or proxy allows, one entry per
    /// endpoint.
    pub urls: Vec<UrlRule>,
    /// The NSG rules of the source region, then the same endpoints' rules
    /// for the target region.
    pub nsg_rules: Vec<NsgRule>,
    /// Azure platform services the VM reaches directly, in no service tag's
    /// prefixes, and the tag an NSG rule must name to block them.
    pub platform: &'static [PlatformNeed],
    /// Hosts of the certificate authorities that may need to be allowed on
    /// HTTP port 80 (issuer certificates, revocation lists, OCSP).
    pub ca_hosts: Vec<CaHost>,
    /// What the documentation adds to the rules, for this pair.
    pub notes: Vec<PairNote>,
    /// What private endpoints for the vault and the cache account require.
    pub private_endpoints: PrivateEndpoints,
    /// How much data replication can take.
    pub churn_limits: ChurnLimits,
    /// The cloud's name in words (`Azure public cloud`).
    pub cloud_name: &'static str,
    /// The service-tag file of the cloud, which `--service-tags` takes to
    /// check the tags.
    pub tag_file: &'static str,
}

/// One thing the documentation adds to the URLs and rules; `render` says
/// it, with the page it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum PairNote {
    /// Service tags or URLs, never IP address lists or routes to them.
    NoIpFiltering,
    /// Only unauthenticated proxies work.
    NoAuthenticatedProxy,
    /// With an NVA or forced tunnelling, a Microsoft.Storage service
    /// endpoint.
    StorageServiceEndpoint,
    /// A storage account behind a firewall: trusted Microsoft services and
    /// every subnet of replicated VMs; all networks only with a vault's
    /// user-assigned managed identity.
    StorageFirewall,
    /// The cache account's authentication: shared key, or the vault's
    /// managed identity with its role grants before key access is turned
    /// off.
    CacheKeyAccess,
    /// The VMs of a multi-VM consistency group talk to each other on this
    /// TCP port.
    MultiVmConsistency {
        /// The port (20004).
        port: u16,
    },
    /// The support matrix lists Palo Alto's network appliance as not
    /// supported.
    UnsupportedAppliance,
    /// Test the rules on a test NSG first.
    TestNsgFirst,
    /// NSGs filter 168.63.129.16 and 169.254.169.254 only by a rule naming
    /// the platform service's tag.
    PlatformTags,
    /// Azure China's networking page names `Storage` and `EventHub` without
    /// a region.
    ChinaTagsWithoutRegion,
    /// Azure China's networking page gives Site Recovery's addresses for
    /// regions where the `AzureSiteRecovery` tag is not supported.
    ChinaSiteRecoveryAddresses,
}

impl RegionRequirements {
    /// The rules of the source region's NSG (replication).
    pub(crate) fn source_rules(&self) -> &[NsgRule] {
        &self.nsg_rules[..self.urls.len()]
    }

    /// The rules of the target region's NSG (replication back after
    /// failover).
    pub(crate) fn target_rules(&self) -> &[NsgRule] {
        &self.nsg_rules[self.urls.len()..]
    }
}

/// One endpoint, as a URL filter allows it. Serialises as the triple
/// `["<pattern> <other URLs>", purpose, need]`.
#[derive(Debug, Clone)]
pub(crate) struct UrlRule {
    /// The URL pattern as the documentation writes it.
    pub pattern: &'static str,
    /// Other URLs the documentation gives for the endpoint.
    pub also: &'static [&'static str],
    /// Why those are listed.
    pub also_why: AlsoWhy,
    /// What the endpoint is for.
    pub purpose: &'static str,
    /// When it is needed.
    pub need: Need,
}

impl Serialize for UrlRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let urls: Vec<&str> = std::iter::once(self.pattern)
            .chain(self.also.iter().copied())
            .collect();
        let mut t = s.serialize_tuple(3)?;
        t.serialize_element(&urls.join(" "))?;
        t.serialize_element(self.purpose)?;
        t.serialize_element(&self.need)?;
        t.end()
    }
}

/// An Azure platform service the VM reaches directly.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct PlatformNeed {
    /// What it is.
    pub service: &'static str,
    /// Its address, the same in every region.
    pub address: &'static str,
    /// The protocol and port (`TCP 80`).
    pub port: &'static str,
    /// The service tag that NSG rules name to filter it (no other rule
    /// does).
    pub tag: &'static str,
    /// When and why Site Recovery's VMs need it.
    pub purpose: &'static str,
    /// Reached directly: never through a proxy.
    pub direct: bool,
}

/// A certificate authority's host on HTTP port 80.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct CaHost {
    /// The host.
    pub host: &'static str,
    /// What it serves.
    pub service: super::CaService,
}

/// Why a URL filter allows another URL beside an endpoint's pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlsoWhy {
    /// Another name of the same endpoint.
    Documented,
    /// A page names it by mistake, as Microsoft acknowledged in this
    /// MicrosoftDocs/azure-docs issue: allowing it too is harmless.
    KnownDocError {
        /// The issue's number.
        issue: u32,
    },
}

/// One NSG rule.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct NsgRule {
    /// The region whose NSG gets the rule (its tag suffix).
    pub region: String,
    /// Endpoint URL pattern.
    pub endpoint: &'static str,
    /// Destination service tag.
    pub tag: TagName,
    /// Why.
    pub purpose: &'static str,
    /// When it is needed.
    pub need: Need,
    /// Whether the tag exists in the service-tag data; absent (null) when
    /// the data is another cloud's and cannot tell.
    pub tag_known: Option<bool>,
}

/// What private endpoints for Site Recovery require ("Replicate machines
/// with private endpoints"; the private DNS zone values of "Azure Private
/// Endpoint private DNS zone values").
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PrivateEndpoints {
    /// The vault's private endpoint; absent where the cloud documents no
    /// private DNS zone for it.
    pub vault: Option<PrivateZone>,
    /// The cache storage account's private endpoint (optional).
    pub cache_storage: Option<PrivateZone>,
    /// What the page requires, in its order.
    pub prerequisites: &'static [&'static str],
}

/// One resource's private endpoint: its sub-resource, private DNS zone,
/// the public zone a custom DNS server forwards, and the names it gets.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PrivateZone {
    /// The target sub-resource of the private endpoint.
    pub sub_resource: &'static str,
    /// The private DNS zone.
    pub zone: &'static str,
    /// The public zone a custom DNS server forwards to Azure DNS
    /// (168.63.129.16), as the DNS zone values page writes it.
    pub forwarder: &'static str,
    /// The names the private endpoint gets, as the page spells them.
    pub names: Option<String>,
    /// What the page says of those names.
    pub names_note: Option<&'static str>,
}

/// Site Recovery's data churn limits.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ChurnLimits {
    /// Per VM, MB/s (standard churn).
    pub per_vm_mbps: f64,
    /// Per VM with High Churn, MB/s.
    pub per_vm_high_churn_mbps: f64,
    /// Per disk, standard churn.
    pub per_disk: &'static [DiskLimit],
    /// Per disk, High Churn.
    pub per_disk_high_churn: &'static [DiskLimit],
    /// Whether High Churn is available from the source region.
    pub high_churn: HighChurn,
    /// The Enhanced Churn preview.
    pub enhanced_churn: EnhancedChurn,
}

/// Whether the source region has High Churn (JSON `{"status":
/// "available"}`, or `"unavailable"` with the `region` and `why`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub(crate) enum HighChurn {
    /// Available.
    Available,
    /// Not available in the source region.
    Unavailable {
        /// The source region (its id).
        region: String,
        /// Why.
        why: HighChurnMissing,
    },
}

/// Why a region has no High Churn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum HighChurnMissing {
    /// The region has no Premium Block Blob storage accounts, which High
    /// Churn's cache needs.
    NoPremiumBlockBlob,
}

/// The Enhanced Churn preview's limits.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EnhancedChurn {
    /// Per VM, MB/s.
    pub per_vm_mbps: f64,
    /// Per disk at most, MB/s.
    pub per_disk_max_mbps: f64,
    /// The regions of the preview (source and target both among them).
    pub regions: &'static [&'static str],
    /// What it requires besides the regions.
    pub requires: &'static [EnhancedChurnNeed],
    /// The average I/O sizes of the per-disk table.
    pub io_sizes: &'static [&'static str],
    /// Per disk, by the source disk's size.
    pub per_disk_by_source_size: &'static [SizeLimit],
}

/// One requirement of the Enhanced Churn preview ("High Churn Support",
/// 2025-11-04), said by `render`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub(crate) enum EnhancedChurnNeed {
    /// High Churn with a Premium Block Blob cache, Azure-to-Azure only.
    HighChurnPremiumBlockBlob,
    /// VM memory of at least this much, else the per-VM limit below.
    Memory {
        /// GB of memory.
        min_gb: u32,
        /// The per-VM limit below it, MB/s.
        else_mbps: u32,
    },
    /// Site Recovery reserves part of the VM's memory.
    ReservedMemory {
        /// Per cent of the memory, at most.
        percent: f64,
        /// GB at most.
        max_gb: u32,
    },
    /// The operating systems.
    OperatingSystems,
    /// The source disk types.
    SourceDisks,
    /// Enough networking and CPU on the VM to replicate the changes.
    NetworkAndCpu,
    /// Turns itself on above this churn, MB/s.
    Automatic {
        /// The churn above which it applies.
        above_mbps: u32,
    },
    /// A VM protected with High Churn before the preview keeps the High
    /// Churn limit until replication is disabled and enabled again.
    ReenableExisting {
        /// Its limit until then, MB/s.
        mbps: u32,
    },
}

/// One row of a per-disk table.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct DiskLimit {
    /// The replica disk type.
    pub disk: &'static str,
    /// The average I/O size on the source disk.
    pub io: &'static str,
    /// The average data churn the disk supports, MB/s.
    pub mbps: f64,
}

/// One row of the Enhanced Churn per-disk table: the source disk's size and
/// the churn it supports at each I/O size of
/// [`EnhancedChurn::io_sizes`].
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct SizeLimit {
    /// The source disk's size, GiB.
    pub source_disk_gib: u32,
    /// MB/s at each I/O size.
    pub mbps: [f64; 6],
}
