//! Site Recovery's data churn limits: per VM, and per disk by disk type and
//! average I/O size, for Standard churn ("Support matrix for Azure VM
//! disaster recovery"), High Churn and the Enhanced Churn preview ("Azure VM
//! Disaster Recovery - High Churn Support", 2025-11-04).

pub(crate) use crate::model::requirements::{DiskLimit, EnhancedChurnNeed, SizeLimit};

/// Per-VM churn limit, MB/s (standard).
pub(crate) const PER_VM_MBPS: f64 = 54.0;
/// Per-VM churn limit with High Churn, MB/s.
pub(crate) const PER_VM_HIGH_CHURN_MBPS: f64 = 100.0;

/// Per-VM churn limit with the Enhanced Churn preview, MB/s (VMs with 256 GB
/// of memory or more; 100 MB/s below).
pub(crate) const PER_VM_ENHANCED_CHURN_MBPS: f64 = 500.0;
/// Per-disk churn limit with the Enhanced Churn preview, MB/s.
pub(crate) const PER_DISK_ENHANCED_CHURN_MBPS: f64 = 250.0;

/// The regions of the Enhanced Churn preview (source and target must both be
/// among them).
pub(crate) const ENHANCED_CHURN_REGIONS: &[&str] = &[
    "westcentralus",
    "centralus",
    "northcentralus",
    "westus",
    "eastus2",
    "westus2",
    "eastasia",
    "southeastasia",
    "australiaeast",
    "australiasoutheast",
];

/// What the Enhanced Churn preview requires besides the regions: "RAM:
/// Azure VM must have RAM of 256 GB or more … If RAM is less than 256 GB,
/// churn limit will be 100 MB/s. ASR reserves up to 6.25% of RAM, maximum
/// of 16 GB"; "Ensure there is enough networking and CPU on Azure VM"; and
/// a VM protected with High Churn before the preview "will be 100 MB/s
/// only … you need to disable ASR and re-enable ASR with High Churn".
pub(crate) const ENHANCED_CHURN_NEEDS: &[EnhancedChurnNeed] = &[
    EnhancedChurnNeed::HighChurnPremiumBlockBlob,
    EnhancedChurnNeed::Memory {
        min_gb: 256,
        else_mbps: 100,
    },
    EnhancedChurnNeed::ReservedMemory {
        percent: 6.25,
        max_gb: 16,
    },
    EnhancedChurnNeed::OperatingSystems,
    EnhancedChurnNeed::SourceDisks,
    EnhancedChurnNeed::NetworkAndCpu,
    EnhancedChurnNeed::Automatic { above_mbps: 100 },
    EnhancedChurnNeed::ReenableExisting { mbps: 100 },
];

/// The regions without Premium Block Blob storage accounts, where High
/// Churn (whose cache is one) is not available: "This feature is available
/// in all regions where Azure Site Recovery is supported and Premium Blob
/// storage accounts are available" ("High Churn Support", 2025-11-04), and
/// "block blob storage accounts aren't supported in China North and China
/// East regions" (support matrix, 2026-02-27).
pub(crate) const NO_PREMIUM_BLOCK_BLOB: &[&str] = &["chinanorth", "chinaeast"];

/// The average I/O sizes of the Enhanced Churn per-disk table.
pub(crate) const ENHANCED_CHURN_IO: &[&str] = &[
    "8 KB",
    "16 KB",
    "32 KB",
    "64 KB",
    "128 KB",
    "256 KB or more",
];

const fn size(source_disk_gib: u32, mbps: [f64; 6]) -> SizeLimit {
    SizeLimit {
        source_disk_gib,
        mbps,
    }
}

/// Per-disk limits with the Enhanced Churn preview, by source disk size.
pub(crate) const ENHANCED_CHURN: &[SizeLimit] = &[
    size(128, [3.9, 7.8, 11.5, 33.1, 66.1, 100.0]),
    size(256, [8.6, 17.2, 34.4, 68.8, 125.0, 125.0]),
    size(512, [18.0, 35.9, 71.9, 143.8, 150.0, 150.0]),
    size(1024, [39.1, 78.1, 156.3, 200.0, 200.0, 200.0]),
    size(2048, [58.6, 117.2, 234.4, 250.0, 250.0, 250.0]),
    size(4096, [58.6, 117.2, 234.4, 250.0, 250.0, 250.0]),
    size(8192, [125.0, 250.0, 250.0, 250.0, 250.0, 250.0]),
    size(16384, [140.6, 250.0, 250.0, 250.0, 250.0, 250.0]),
    size(32767, [156.3, 250.0, 250.0, 250.0, 250.0, 250.0]),
];

const fn row(disk: &'static str, io: &'static str, mbps: f64) -> DiskLimit {
    DiskLimit { disk, io, mbps }
}

/// Per-disk limits with standard churn (support matrix).
pub(crate) const STANDARD: &[DiskLimit] = &[
    row("Standard storage", "8 KB", 2.0),
    row("Premium SSD, 128 GiB or more", "8 KB", 2.0),
    row("Premium SSD, 128 GiB or more", "16 KB", 4.0),
    row("Premium SSD, 128 GiB or more", "32 KB or more", 8.0),
    row("Premium SSD, 512 GiB or more", "8 KB", 5.0),
    row("Premium SSD, 512 GiB or more", "16 KB or more", 20.0),
];

/// Per-disk limits with High Churn.
pub(crate) const HIGH_CHURN: &[DiskLimit] = &[
    row("Standard storage", "8 KB", 2.0),
    row("Standard storage", "16 KB", 4.0),
    row("Standard storage", "24 KB", 6.0),
    row("Standard storage", "32 KB or more", 8.0),
    row("Premium SSD, 128 GiB or more", "8 KB", 10.0),
    row("Premium SSD, 128 GiB or more", "16 KB", 20.0),
    row("Premium SSD, 128 GiB or more", "24 KB or more", 30.0),
    row("Premium SSD, 512 GiB or more", "8 KB", 10.0),
    row("Premium SSD, 512 GiB or more", "16 KB", 20.0),
    row("Premium SSD, 512 GiB or more", "24 KB or more", 30.0),
    row("Premium SSD, 1 TiB or more", "8 KB", 20.0),
    row("Premium SSD, 1 TiB or more", "16 KB", 35.0),
    row("Premium SSD, 1 TiB or more", "24 KB or more", 50.0),
];
