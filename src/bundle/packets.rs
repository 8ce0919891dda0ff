//! The packet file of a bundle: each frame of a capture, read again, goes
//! through the [`Selection`]; a kept one is written, with its original
//! length, as far as what the diagnosis needs and no further: its headers up
//! to the transport layer, then a TCP payload [stripped](super::strip), a
//! DNS message [reduced](super::dns) to its question and answers, an ICMP
//! error's quote up to the ports, nothing of any other UDP payload, and
//! never a byte past the IP packet (a link layer's padding, where some
//! NICs leave other frames' bytes: CVE-2003-0001).

use super::select::{Member, Selection};
use super::strip::{Direction, Plan};
use crate::capture::pcapng_writer::PcapngWriter;
use crate::decode::{self, L4, TunnelPorts, tcp_flags};
use crate::frame::Frame;
use crate::model::{PacketCounts, Shares};
use ahash::AHashMap;
use std::io::{self, Write};
use std::net::SocketAddr;

/// Snap length written in each interface description.
const SNAPLEN: u32 = 262_144;
/// Frames between sweeps of the stream states of flows that ended.
const SWEEP_FRAMES: u64 = 1 << 16;

/// A flow's two directions, and the last time (with slack) its packets may
/// come.
struct Streams {
    until: i64,
    dirs: [Direction; 2],
}

/// Writes the kept packets of one or more captures as pcapng blocks (the
/// section header is written by whoever places them: see
/// [`crate::capture::pcapng_writer::section_header`]).
pub struct PacketFile<W: Write> {
    out: PcapngWriter<W>,
    /// Interface id of each link type written.
    interfaces: Vec<(u32, u32)>,
    streams: AHashMap<u64, Streams>,
    tunnels: TunnelPorts,
    counts: PacketCounts,
    buf: Vec<u8>,
    /// The first write error; nothing more is written after it.
    failed: Option<io::Error>,
    /// What the kept DNS messages and ICMP errors show of the customer.
    shares: Shares,
}

/// What a kept frame is, and how much of it is kept.
enum Kept {
    /// A TCP segment of a kept flow: its headers up to the payload's start,
    /// and the plan for its payload.
    Tcp { head: usize, plan: Plan, len: usize },
    /// A UDP datagram of a kept flow: its headers only.
    Udp { head: usize },
    /// A DNS message about a kept name: its headers, and the message as
    /// kept.
    Dns { head: usize, msg: Vec<u8> },
    /// An ICMP error about a kept flow: up to the end of the quoted ports.
    Icmp { end: usize },
}

impl<W: Write> PacketFile<W> {
    /// A packet file writing to `out`, decoding tunnels on `tunnels`'s ports.
    pub fn new(out: W, tunnels: TunnelPorts) -> Self {
        PacketFile {
            out: PcapngWriter::blocks(out),
            interfaces: Vec::new(),
            streams: AHashMap::new(),
            tunnels,
            counts: PacketCounts::default(),
            buf: Vec::with_capacity(65_536),
            failed: None,
            shares: Shares::default(),
        }
    }

    /// Bytes of memory the stream states hold.
    pub fn held(&self) -> usize {
        self.streams
            .values()
            .map(|s| 64 + s.dirs.iter().map(Direction::held).sum::<usize>())
            .sum()
    }

    /// Reads one frame: writes it if the selection keeps it.
    pub fn frame(&mut self, sel: &Selection, f: &Frame<'_>) {
        self.counts.read += 1;
        if self.counts.read.is_multiple_of(SWEEP_FRAMES) {
            let now = f.ts_us;
            self.streams.retain(|_, s| s.until >= now);
        }
        if self.failed.is_some() {
            self.counts.removed += 1;
            return;
        }
        let Some(kept) = self.choose(sel, f) else {
            self.counts.removed += 1;
            return;
        };
        self.buf.clear();
        let mut blanked = 0;
        match &kept {
            Kept::Tcp { head, plan, len } => {
                self.buf.extend_from_slice(&f.data[..*head]);
                plan.apply(&f.data[*head..*head + *len], &mut self.buf);
                blanked = plan.blanked();
                self.counts.flow_packets += 1;
            }
            Kept::Udp { head } => {
                self.buf.extend_from_slice(&f.data[..*head]);
                self.counts.flow_packets += 1;
            }
            Kept::Dns { head, msg } => {
                self.buf.extend_from_slice(&f.data[..*head]);
                self.buf.extend_from_slice(msg);
                self.counts.dns_packets += 1;
            }
            Kept::Icmp { end } => {
                self.buf.extend_from_slice(&f.data[..*end]);
                self.counts.icmp_errors += 1;
            }
        }
        let cut = f.data.len().saturating_sub(self.buf.len());
        if cut > 0 || blanked > 0 {
            self.counts.payload_removed_packets += 1;
            self.counts.payload_bytes_cut += cut as u64;
            self.counts.payload_bytes_zeroed += blanked as u64;
        }
        if let Err(e) = self.write(f) {
            self.failed = Some(e);
            self.counts.removed += 1;
            return;
        }
        self.counts.kept += 1;
    }

    fn write(&mut self, f: &Frame<'_>) -> io::Result<()> {
        let iface = match self.interfaces.iter().find(|(lt, _)| *lt == f.linktype) {
            Some(&(_, id)) => id,
            None => {
                let lt = u16::try_from(f.linktype).map_err(|_| io::Error::other("link type"))?;
                let id = self.out.add_interface(lt, SNAPLEN)?;
                self.interfaces.push((f.linktype, id));
                id
            }
        };
        let wire = f.wire_len.max(self.buf.len() as u32);
        self.out.write_on(iface, f.ts_us, wire, &self.buf)
    }

    /// Whether the frame is kept, and how.
    fn choose(&mut self, sel: &Selection, f: &Frame<'_>) -> Option<Kept> {
        let pkt = decode::decode_with(f.linktype, f.data, &self.tunnels).ok()?;
        let ts = f.ts_us;
        let net = crate::flow::network_of(pkt.tunnel.as_ref());
        // Where a payload starts in the frame: the decoder hands out
        // subslices of the frame.
        let offset = |p: &[u8]| {
            let off = (p.as_ptr() as usize).wrapping_sub(f.data.as_ptr() as usize);
            (off + p.len() <= f.data.len()).then_some(off)
        };
        match pkt.l4 {
            L4::Tcp(seg) => {
                let m = sel.flow(
                    true,
                    net,
                    SocketAddr::new(pkt.src, seg.sport),
                    SocketAddr::new(pkt.dst, seg.dport),
                    ts,
                )?;
                let head = offset(seg.payload)?;
                let syn = seg.flags & tcp_flags::SYN != 0;
                let dirs = &mut self.stream(m).dirs;
                let plan =
                    dirs[m.from_server as usize].plan(m.from_server, seg.seq, syn, seg.payload);
                Some(Kept::Tcp {
                    head,
                    plan,
                    len: seg.payload.len(),
                })
            }
            L4::Udp(u) => {
                let head = offset(u.payload)?;
                if u.sport == 53 || u.dport == 53 {
                    let msg = crate::proto::dns::parse(u.payload)?;
                    let (name, _) = msg.question.as_ref()?;
                    if !sel.wants_name(name) {
                        return None;
                    }
                    let msg = super::dns::reduce(u.payload)?;
                    self.share_dns(&pkt, &msg);
                    return Some(Kept::Dns { head, msg });
                }
                sel.flow(
                    false,
                    net,
                    SocketAddr::new(pkt.src, u.sport),
                    SocketAddr::new(pkt.dst, u.dport),
                    ts,
                )?;
                // Nothing of a UDP payload but DNS is read.
                Some(Kept::Udp { head })
            }
            L4::IcmpError(e) => {
                // The quote past the ports is the flow's own packet (its
                // data, up to 1,280 bytes with ICMPv6): cut, as data is.
                let end = offset(e.beyond)?;
                if !sel.quoted(&e.quoted, net, ts) {
                    return None;
                }
                self.shares.address(pkt.src);
                self.shares.address(pkt.dst);
                Some(Kept::Icmp { end })
            }
            _ => None,
        }
    }

    /// Lists what a kept DNS message shows: its names and addresses, and
    /// who asked whom.
    fn share_dns(&mut self, pkt: &decode::Packet<'_>, kept: &[u8]) {
        let s = &mut self.shares;
        s.address(pkt.src);
        s.address(pkt.dst);
        let Some(m) = crate::proto::dns::parse(kept) else {
            return;
        };
        if let Some((q, _)) = &m.question {
            s.name(q);
        }
        for a in &m.answers {
            s.name(&a.name);
            match &a.data {
                crate::proto::dns::AnswerData::Addr(ip) => s.address(*ip),
                crate::proto::dns::AnswerData::Cname(n) => s.name(n),
            }
        }
    }

    /// What the kept DNS messages and ICMP errors showed (taken once).
    pub fn take_shares(&mut self) -> Shares {
        std::mem::take(&mut self.shares)
    }

    fn stream(&mut self, m: Member) -> &mut Streams {
        self.streams.entry(m.key).or_insert_with(|| Streams {
            until: m.until,
            dirs: Default::default(),
        })
    }

    /// Describes an interface of `linktype` if none was: a packet file with
    /// no packet is still one tools read.
    pub fn ensure_interface(&mut self, linktype: u32) {
        if !self.interfaces.is_empty() || self.failed.is_some() {
            return;
        }
        let lt = u16::try_from(linktype).unwrap_or(1);
        match self.out.add_interface(lt, SNAPLEN) {
            Ok(id) => self.interfaces.push((u32::from(lt), id)),
            Err(e) => self.failed = Some(e),
        }
    }

    /// Flushes; returns the writer and the counts, or the first write error.
    pub fn finish(self) -> io::Result<(W, PacketCounts)> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        let out = self.out.finish()?;
        Ok((out, self.counts))
    }
}
