//! Site Recovery's data churn limits: per VM, and per disk by disk type and
//! average I/O size, for Standard churn ("Support matrix for Azure VM
//! disaster recovery") and High Churn ("Azure VM Disaster Recovery - High
//! Churn Support").

use serde::Serialize;

/// Per-VM churn limit, MB/s (standard).
pub const PER_VM_MBPS: f64 = 54.0;
/// Per-VM churn limit with High Churn, MB/s.
pub const PER_VM_HIGH_CHURN_MBPS: f64 = 100.0;

/// One row of a per-disk table.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DiskLimit {
    /// The replica disk type.
    pub disk: &'static str,
    /// The average I/O size on the source disk.
    pub io: &'static str,
    /// The average data churn the disk supports, MB/s.
    pub mbps: f64,
}

const fn row(disk: &'static str, io: &'static str, mbps: f64) -> DiskLimit {
    DiskLimit { disk, io, mbps }
}

/// Per-disk limits with standard churn (support matrix).
pub const STANDARD: &[DiskLimit] = &[
    row("Standard storage", "8 KB", 2.0),
    row("Premium SSD, 128 GiB or more", "8 KB", 2.0),
    row("Premium SSD, 128 GiB or more", "16 KB", 4.0),
    row("Premium SSD, 128 GiB or more", "32 KB or more", 8.0),
    row("Premium SSD, 512 GiB or more", "8 KB", 5.0),
    row("Premium SSD, 512 GiB or more", "16 KB or more", 20.0),
];

/// Per-disk limits with High Churn.
pub const HIGH_CHURN: &[DiskLimit] = &[
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

/// A table in one line: `Standard storage 8 KB 2 MB/s; …`.
pub fn one_line(table: &[DiskLimit]) -> String {
    table
        .iter()
        .map(|r| format!("{} {} {} MB/s", r.disk, r.io, r.mbps))
        .collect::<Vec<_>>()
        .join("; ")
}
