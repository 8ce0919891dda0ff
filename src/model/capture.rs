//! What was read and what the capture itself shows about its quality.

use super::{Tunnel, ts_opt};
use serde::Serialize;
use std::collections::BTreeMap;

/// How the file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// Classic libpcap format (micro- or nanosecond).
    Pcap,
    /// pcapng.
    Pcapng,
    /// Standard input, pcap or pcapng as its magic number says.
    Stdin,
}

/// How reading ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum CaptureEnd {
    /// The whole input was read.
    Complete,
    /// Reading stopped at damage; what came before was analysed.
    Damaged {
        /// Frames read before the damage.
        after_frame: u64,
        /// What the reader said.
        message: String,
    },
}

/// What a support bundle's packet file names as its writing application
/// (its section header's `shb_userappl` ends with it).
pub const BUNDLE_APPLICATION: &str = "(support bundle)";

/// What a source read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReadSummary {
    /// The file name as given (`-` for standard input).
    pub path: String,
    /// Its format.
    pub format: FileFormat,
    /// Link types of its interfaces, in order of appearance, without repeats.
    pub linktypes: Vec<u32>,
    /// Frames handed to the callback (after the filter).
    pub frames: u64,
    /// Frames the filter left out.
    pub filtered_out: u64,
    /// How reading ended.
    pub end: CaptureEnd,
    /// The application that wrote the file, as its pcapng section header
    /// names it (`shb_userappl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
}

/// What the capture itself shows about its quality, and what was read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CaptureStats {
    /// Frames read.
    pub frames: u64,
    /// First frame time.
    #[serde(serialize_with = "ts_opt")]
    pub first_seen: Option<i64>,
    /// Last frame time.
    #[serde(serialize_with = "ts_opt")]
    pub last_seen: Option<i64>,
    /// Frames cut by the snap length.
    pub frames_cut_by_snaplen: u64,
    /// The input is an asrscope support bundle: the frames it shortened
    /// (counted in `frames_cut_by_snaplen`) lost application data on
    /// purpose.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub support_bundle: bool,
    /// Frames that could not be decoded, by reason.
    pub undecoded: BTreeMap<String, u64>,
    /// IP fragments (counted, not reassembled).
    pub ip_fragments: u64,
    /// ICMP errors quoting a packet that is not in the capture (a flow is
    /// created for them).
    pub icmp_errors_unmatched: u64,
    /// Flows.
    pub flows: u64,
    /// Flows seen in one direction only.
    pub flows_one_direction: u64,
    /// TCP flows that began before the capture.
    pub flows_began_before_capture: u64,
    /// Flows whose hello the snap length cut.
    pub hellos_cut_by_snaplen: u64,
    /// Flows expired early because the flow table was full.
    pub flows_evicted: u64,
    /// Flows whose reassembly buffers were released early to stay within the
    /// memory budget (their hellos read from the bytes held).
    pub buffers_dropped: u64,
    /// Most flows held at once.
    pub peak_live_flows: u64,
    /// DNS messages that could not be parsed.
    pub dns_malformed: u64,
    /// Packets recorded more than once, counted once.
    pub copies: CopyStats,
    /// Connections recorded on both sides of an address-translating
    /// appliance, tied and counted once.
    pub nat_legs: u64,
    /// Packets of the translated legs set aside.
    pub nat_packets: u64,
    /// The tunnels packets came through (first 8 distinct).
    pub tunnels: Vec<Tunnel>,
    /// UDP ports whose datagrams all parse as VXLAN, but on which VXLAN is
    /// not decoded (pass the port with `--vxlan-port`).
    pub vxlan_elsewhere: Vec<PortHint>,
}

/// A UDP port that looks like it carries a tunnel.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct PortHint {
    /// The UDP destination port.
    pub port: u16,
    /// Datagrams that parse as the tunnel.
    pub datagrams: u64,
}

/// Copies of packets set aside, so that each packet counts once.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CopyStats {
    /// Copies of a packet one hop later, TTL one lower: the capture holds
    /// both sides of a router (an NVA captured on two interfaces).
    pub forwarded: u64,
    /// Copies of the same IP datagram with the same TTL: the capturing host
    /// logged each packet more than once (pktmon's components, `-i any` on
    /// Accelerated Networking, a port mirror of both directions).
    pub recorded: u64,
    /// How many times most of those packets were logged.
    pub times_recorded: Option<u8>,
    /// The interfaces (SLL2 interface indexes) the logged copies came from.
    pub interfaces: Vec<u32>,
}

/// Packet drops reported by the capture (live capture only).
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Drops {
    /// Dropped by the kernel (buffer full): pcap_stats `ps_drop`.
    pub kernel: u64,
    /// Dropped by the interface or driver: pcap_stats `ps_ifdrop`.
    pub interface: u64,
    /// Dropped by asrscope because analysis fell behind capture.
    pub queue: u64,
}

impl Drops {
    /// All drops.
    pub fn total(&self) -> u64 {
        self.kernel + self.interface + self.queue
    }
}
