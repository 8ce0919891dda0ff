//! A support bundle's manifest: what the bundle was made from, what it kept
//! and removed, and a digest of each file in it.

use super::{CaptureEnd, SnapshotMeta, ts_opt};
use serde::Serialize;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Version of the manifest's layout; bumped on incompatible changes.
pub const MANIFEST_VERSION: u32 = 2;

/// Most values in one list of [`Shares`]; past it they are counted in
/// `left_off`.
pub const MAX_SHARED: usize = 10_000;

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
    /// What the customer shares by sending the bundle.
    pub shares: Shares,
}

/// What a bundle shares: every value of the customer's that one of its
/// files holds, besides counts and times. Listed value by value where a
/// value can carry a name or a secret; the rest is said in `also`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Shares {
    /// Server names: TLS server names, proxy CONNECT targets, names asked
    /// of DNS and their CNAME chains, DNS names in certificates.
    pub names: BTreeSet<String>,
    /// Subjects and issuers of the certificates the servers sent.
    pub certificates: BTreeSet<String>,
    /// Addresses: both ends of each Site Recovery flow, the address an
    /// appliance translated it to, a tunnel's ends, the DNS servers asked
    /// and the addresses their answers gave.
    pub addresses: BTreeSet<IpAddr>,
    /// Application protocols the clients offered (TLS ALPN).
    pub alpn: BTreeSet<String>,
    /// What proxies answered: the status code and the authentication
    /// scheme they asked for.
    pub proxy_answers: BTreeSet<String>,
    /// The captures and exports, by the names given on the command line.
    pub files: Vec<String>,
    /// Values past [`MAX_SHARED`] in a list, not listed.
    pub left_off: u64,
    /// What else the bundle holds, in words.
    pub also: Vec<&'static str>,
}

impl Shares {
    /// What every bundle holds besides the lists.
    pub const ALSO: [&'static str; 6] = [
        "the command line, with its paths and options",
        "the exports given with --nsg, --routes and --azure, byte for byte: rule and route names, firewall policies and rules, address prefixes, resource IDs",
        "the link-layer and IP headers of the kept packets: MAC addresses, VLAN and VXLAN/GENEVE identifiers, interface indexes of Linux cooked captures, TTLs, IP identifications",
        "each kept packet's time, length and TCP header: ports, sequence numbers, windows, options",
        "the TLS handshake records of the Site Recovery flows as sent: the clients' hellos (cipher suites, extensions, key shares, session tickets) and the certificates the servers sent, whole",
        "the analysis's reports of the Site Recovery flows and DNS names, with the counts of every other flow but nothing of them",
    ];

    /// Adds a name.
    pub fn name(&mut self, n: &str) {
        if !n.is_empty() {
            add(&mut self.names, n.to_string(), &mut self.left_off);
        }
    }

    /// Adds an address.
    pub fn address(&mut self, a: IpAddr) {
        add(&mut self.addresses, a, &mut self.left_off);
    }

    /// Adds a certificate's subject or issuer.
    pub fn certificate(&mut self, dn: &str) {
        add(&mut self.certificates, dn.to_string(), &mut self.left_off);
    }

    /// Adds an ALPN protocol.
    pub fn alpn(&mut self, p: &str) {
        add(&mut self.alpn, p.to_string(), &mut self.left_off);
    }

    /// Adds a proxy's answer.
    pub fn proxy_answer(&mut self, a: String) {
        add(&mut self.proxy_answers, a, &mut self.left_off);
    }

    /// Adds what another list holds.
    pub fn merge(&mut self, o: Shares) {
        for n in o.names {
            self.name(&n);
        }
        for c in o.certificates {
            self.certificate(&c);
        }
        for a in o.addresses {
            self.address(a);
        }
        for p in o.alpn {
            self.alpn(&p);
        }
        for a in o.proxy_answers {
            self.proxy_answer(a);
        }
        self.files.extend(o.files);
        self.left_off += o.left_off;
    }
}

fn add<T: Ord>(set: &mut BTreeSet<T>, v: T, left_off: &mut u64) {
    if set.len() < MAX_SHARED {
        set.insert(v);
    } else if !set.contains(&v) {
        *left_off += 1;
    }
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
