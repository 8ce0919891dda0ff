//! What was read and what the capture itself shows about its quality, and
//! the interfaces a live capture can use.

use super::{Tunnel, ts_opt};
use serde::Serialize;
use std::collections::BTreeMap;

/// How the file is laid out (whether it was a file or standard input).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    /// Classic libpcap format (micro- or nanosecond).
    Pcap,
    /// pcapng.
    Pcapng,
}

/// How reading ended.
///
/// The JSON is `{"status": "complete"}`, or `{"status": "damaged",
/// "after_frame", "message", "damage"}`: `message` is the damage in words
/// (rendered while serialising), `damage` the [`CaptureDamage`] itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureEnd {
    /// The whole input was read.
    Complete,
    /// Reading stopped at damage; what came before was analysed.
    Damaged {
        /// Frames read before the damage.
        after_frame: u64,
        /// What stopped the reading.
        damage: CaptureDamage,
    },
}

/// Why reading a capture stopped part-way. `at` is the byte of the input
/// where the record or block that stopped it begins. Serialised as an
/// object whose `kind` is the stable machine-readable name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CaptureDamage {
    /// A pcap record claims more captured bytes (`caplen`) than the file's
    /// snap length allows (`max`: the snap length, or libpcap's limit of
    /// 262144 when that is larger): its header is damaged.
    CaplenOverSnaplen {
        /// Where the record begins.
        at: u64,
        /// The captured length it claims.
        caplen: u32,
        /// The most it may claim.
        max: u32,
    },
    /// A pcapng block claims a length (`len`) shorter than the 12 bytes of
    /// its own header and trailer.
    BlockShorterThanHeader {
        /// Where the block begins.
        at: u64,
        /// The length it claims.
        len: u32,
    },
    /// The record or block could not be parsed.
    Invalid {
        /// Where it begins.
        at: u64,
        /// What the parser found wrong.
        failure: ParseFailure,
    },
    /// The input ended inside a record (`format` pcap) or block (pcapng).
    CutShort {
        /// Where the record or block begins.
        at: u64,
        /// The file's format, which says which it was.
        format: FileFormat,
    },
    /// A record or block longer than the most the reader holds (`max`
    /// bytes): its length field is damaged.
    Oversized {
        /// Where it begins.
        at: u64,
        /// The most bytes a record or block may have.
        max: u64,
    },
    /// Reading the input failed.
    Read {
        /// Where the record or block being read begins.
        at: u64,
        /// The operating system's error, as it says it.
        error: String,
    },
    /// The capture could not be read at all (a support bundle reading a
    /// capture again that was read before): no frame was read.
    Unreadable {
        /// The reader's error, as it says it.
        error: String,
    },
}

/// What the capture parser found wrong with a record or block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ParseFailure {
    /// The input ends inside the block.
    EndsInside,
    /// The parser reached the end of the input.
    EndOfInput,
    /// The block is too large for the parser to read.
    TooLarge,
    /// The parser could not read the input.
    ReadFailed,
    /// Not a pcap or pcapng header.
    HeaderNotRecognized,
    /// A length, type or magic field that does not fit.
    BadField {
        /// The parser's error kind (nom's), as it describes it.
        parser_error: String,
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
    /// It was read from standard input (`path` is `-`).
    pub stdin: bool,
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

/// An interface as `asrscope interfaces` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Interface {
    /// Name.
    pub name: String,
    /// Addresses.
    pub addresses: Vec<std::net::IpAddr>,
    /// Up.
    pub up: bool,
    /// Loopback.
    pub loopback: bool,
    /// Holds the default route.
    pub default_route: bool,
}
