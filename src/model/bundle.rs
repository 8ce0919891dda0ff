//! A support bundle's manifest: what the bundle was made from, what it kept
//! and removed, and a digest of each file in it.

use super::{CaptureEnd, SnapshotMeta, ts_opt};
use serde::Serialize;

/// Version of the manifest's layout; bumped on incompatible changes.
pub const MANIFEST_VERSION: u32 = 1;

/// `manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Always `asrscope-support-bundle`.
    pub kind: &'static str,
    /// [`MANIFEST_VERSION`].
    pub manifest_version: u32,
    /// The asrscope version that wrote the bundle.
    pub asrscope: String,
    /// When the bundle was written (RFC 3339 UTC).
    pub created: String,
    /// The command line, one argument per element.
    pub command_line: Vec<String>,
    /// The service-tag data the analysis used.
    pub service_tags: SnapshotMeta,
    /// The captures read, in order.
    pub inputs: Vec<BundleInput>,
    /// What the packet file kept of them.
    pub packets: PacketCounts,
    /// Every other file of the bundle, with its digest.
    pub files: Vec<BundleFile>,
    /// What the reader of the bundle should know (limits met, inputs
    /// damaged).
    pub notes: Vec<String>,
}

/// One capture read.
#[derive(Debug, Clone, Serialize)]
pub struct BundleInput {
    /// The name as given on the command line.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of the whole file, lower-case hex.
    pub sha256: String,
    /// Frames read (after `--filter`).
    pub frames: u64,
    /// First frame's time.
    #[serde(serialize_with = "ts_opt")]
    pub first_packet: Option<i64>,
    /// Last frame's time.
    #[serde(serialize_with = "ts_opt")]
    pub last_packet: Option<i64>,
    /// How reading ended: where a damaged or cut-short file stopped.
    pub end: CaptureEnd,
}

/// The packets of `site-recovery.pcapng`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PacketCounts {
    /// Frames read from all inputs.
    pub read: u64,
    /// Frames written to the packet file.
    pub kept: u64,
    /// Frames left out (every packet of every other flow).
    pub removed: u64,
    /// Kept packets of Site Recovery flows.
    pub flow_packets: u64,
    /// Kept DNS messages about Site Recovery names.
    pub dns_packets: u64,
    /// Kept ICMP errors about Site Recovery flows.
    pub icmp_errors: u64,
    /// Kept packets whose payload was shortened or blanked.
    pub payload_removed_packets: u64,
    /// Payload bytes no longer in the packet file (cut off the end of a
    /// packet; the packet's original length stays in its block).
    pub payload_bytes_cut: u64,
    /// Payload bytes overwritten with zeros (kept in place so the first
    /// bytes of each stream keep their length).
    pub payload_bytes_zeroed: u64,
    /// Site Recovery flows whose packets were looked for.
    pub site_recovery_flows: u64,
}

/// One file in the bundle.
#[derive(Debug, Clone, Serialize)]
pub struct BundleFile {
    /// Its name in the zip.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
}
