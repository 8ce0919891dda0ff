//! What `asrscope requirements` adds to the URLs and rules in words: the
//! documentation's notes, each with the page it comes from, why a URL is
//! listed beside another, and what the Enhanced Churn preview needs.

use super::advice::STORAGE_FIREWALL;
use crate::model::requirements::{AlsoWhy, EnhancedChurnNeed, HighChurnMissing, PairNote};

/// One note as a sentence.
pub(crate) fn note(n: &PairNote) -> String {
    match n {
        PairNote::NoIpFiltering => "Allow service tags or URLs, never IP address lists: IP-based filtering should not be used for Site Recovery, and its IP addresses should not be added to route tables.".into(),
        PairNote::NoAuthenticatedProxy => "An authenticated proxy is not supported; only unauthenticated proxies work.".into(),
        PairNote::StorageServiceEndpoint => "With an NVA in the path, create a virtual network service endpoint for Microsoft.Storage so that replication traffic does not go through (and throttle) the appliance; with forced tunnelling, the same keeps it inside the Azure boundary.".into(),
        PairNote::StorageFirewall => format!("{}.", capitalised(STORAGE_FIREWALL)),
        PairNote::CacheKeyAccess => "The cache storage account must allow shared key access and shared access signatures signed by the shared key (support matrix, 2026-02-27), unless the vault has a managed identity with Contributor and Storage Blob Data Contributor (Storage Blob Data Owner for a premium account) on the cache account: then key-based access can be turned off without disabling replication (\"Turn off key-based access on cache account\", 2025-10-09). A policy that turns key access off without that grant breaks replication, and a capture cannot show it: the refusal is inside TLS.".into(),
        PairNote::MultiVmConsistency { port } => format!("With multi-VM consistency, the VMs of a replication group talk to each other on TCP {port}: no firewall appliance or NSG may block it between them, and on Linux VMs the port must be opened by hand, as the distribution's firewall guidance says (\"Azure to Azure disaster recovery architecture\")."),
        PairNote::UnsupportedAppliance => "The support matrix lists \"Palo Alto Network Appliance\" as not supported: Site Recovery needs its agent, extensions and outbound connectivity inside the VM, which the appliance does not let be configured, so the appliance's own VM cannot be protected (support matrix, 2026-02-27, networking).".into(),
        PairNote::TestNsgFirst => "Create the rules on a test NSG first and check that nothing breaks before changing the production NSG.".into(),
        PairNote::PlatformTags => "NSGs do not filter 168.63.129.16 and 169.254.169.254 unless a rule names the service tag AzurePlatformDNS, AzurePlatformIMDS or AzurePlatformLKM (NSG overview, 2025-07-15): an outbound deny on AzurePlatformIMDS (TCP 80) or AzurePlatformDNS (53) breaks what Site Recovery's VMs need. These tags are not in the service-tag file (no address prefixes): asrscope check reads them by name.".into(),
        PairNote::ChinaTagsWithoutRegion => "Azure China's networking page writes the rules for Storage and EventHub without a region (\"About networking in Azure VM disaster recovery\", Azure China documentation, 2020-11-09, an old copy); so do these.".into(),
        PairNote::ChinaSiteRecoveryAddresses => "Where a region of Azure China does not support the AzureSiteRecovery tag, the same page has outbound HTTPS (443) rules for Site Recovery's IP addresses of the target region instead; take them from that page or the China service-tag file (https://www.microsoft.com/download/details.aspx?id=57062), not from here: addresses change, and asrscope prints none.".into(),
    }
}

/// The sentence with its first letter upper case.
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Why a URL is listed beside the endpoint's pattern, for the checklist.
pub(crate) fn also(why: AlsoWhy) -> String {
    match why {
        AlsoWhy::Documented => "(also documented for this endpoint)".into(),
        AlsoWhy::KnownDocError { issue } => format!(
            "(a known documentation error, MicrosoftDocs/azure-docs#{issue}: the name above is right; allowing both is harmless)"
        ),
    }
}

/// Why High Churn is not available in a region.
pub(crate) fn high_churn_missing(region: &str, why: HighChurnMissing) -> String {
    match why {
        HighChurnMissing::NoPremiumBlockBlob => format!(
            "High Churn is not available from {region}: its cache is a Premium Block Blob storage account, which {region} does not have (\"High Churn Support\", 2025-11-04; support matrix, 2026-02-27), and neither is the Enhanced Churn preview"
        ),
    }
}

/// What the Enhanced Churn preview needs, in one phrase each.
pub(crate) fn enhanced_churn_needs(needs: &[EnhancedChurnNeed]) -> String {
    needs
        .iter()
        .map(|n| match n {
            EnhancedChurnNeed::HighChurnPremiumBlockBlob => {
                "High Churn with a Premium Block Blob cache, Azure-to-Azure only".to_string()
            }
            EnhancedChurnNeed::Memory { min_gb, else_mbps } => {
                format!("VM memory of {min_gb} GB or more (else {else_mbps} MB/s)")
            }
            EnhancedChurnNeed::ReservedMemory { percent, max_gb } => {
                format!("Site Recovery reserves up to {percent}% of the VM's memory, {max_gb} GB at most")
            }
            EnhancedChurnNeed::OperatingSystems => {
                "Windows, RHEL 9, SLES 15 or Ubuntu 24.04".to_string()
            }
            EnhancedChurnNeed::SourceDisks => {
                "source disks Premium SSD v1, Premium SSD v2 or Ultra".to_string()
            }
            EnhancedChurnNeed::NetworkAndCpu => {
                "enough networking and CPU on the VM to replicate the changes".to_string()
            }
            EnhancedChurnNeed::Automatic { above_mbps } => {
                format!("enabled by itself when churn exceeds {above_mbps} MB/s")
            }
            EnhancedChurnNeed::ReenableExisting { mbps } => format!(
                "a VM protected with High Churn before the preview stays at {mbps} MB/s until replication is disabled and enabled again"
            ),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
