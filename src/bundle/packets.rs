//! The packet file of a bundle: each frame of a capture, read again, goes
//! through the [`Selection`]; a kept one is written with its payload
//! [stripped](super::strip) and its original length.

use super::select::{Member, Selection};
use super::strip::{Direction, Plan};
use crate::capture::pcapng_writer::PcapngWriter;
use crate::decode::{self, L4, TunnelPorts, tcp_flags};
use crate::frame::Frame;
use crate::model::PacketCounts;
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
}

/// What a kept frame is.
enum Kept {
    /// The plan for the payload, where it starts and its captured length.
    Flow(Plan, usize, usize),
    Dns,
    /// An ICMP error, and where in the frame what it quotes past the
    /// quoted IP header and 8 bytes begins (cut off), if it quotes more.
    Icmp(Option<usize>),
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
        match &kept {
            Kept::Flow(plan, off, len) if plan.len < *len || plan.blanked() > 0 => {
                let payload = &f.data[*off..*off + *len];
                self.buf.extend_from_slice(&f.data[..*off]);
                plan.apply(payload, &mut self.buf);
                self.counts.payload_removed_packets += 1;
                self.counts.payload_bytes_cut +=
                    (payload.len() - plan.len.min(payload.len())) as u64;
                self.counts.payload_bytes_zeroed += plan.blanked() as u64;
            }
            Kept::Icmp(Some(off)) => {
                self.buf.extend_from_slice(&f.data[..*off]);
                self.counts.payload_removed_packets += 1;
                self.counts.payload_bytes_cut += (f.data.len() - off) as u64;
            }
            _ => self.buf.extend_from_slice(f.data),
        }
        match kept {
            Kept::Flow(..) => self.counts.flow_packets += 1,
            Kept::Dns => self.counts.dns_packets += 1,
            Kept::Icmp(_) => self.counts.icmp_errors += 1,
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
                    SocketAddr::new(pkt.src, seg.sport),
                    SocketAddr::new(pkt.dst, seg.dport),
                    ts,
                )?;
                let off = offset(seg.payload)?;
                let syn = seg.flags & tcp_flags::SYN != 0;
                let dirs = &mut self.stream(m).dirs;
                let plan =
                    dirs[m.from_server as usize].plan(m.from_server, seg.seq, syn, seg.payload);
                Some(Kept::Flow(plan, off, seg.payload.len()))
            }
            L4::Udp(u) => {
                if u.sport == 53 || u.dport == 53 {
                    let msg = crate::proto::dns::parse(u.payload)?;
                    let (name, _) = msg.question.as_ref()?;
                    return sel.wants_name(name).then_some(Kept::Dns);
                }
                sel.flow(
                    false,
                    SocketAddr::new(pkt.src, u.sport),
                    SocketAddr::new(pkt.dst, u.dport),
                    ts,
                )?;
                // Nothing of a UDP payload but DNS is read.
                Some(Kept::Flow(
                    Plan::whole(0),
                    offset(u.payload)?,
                    u.payload.len(),
                ))
            }
            L4::IcmpError(e) => {
                let q = e.quoted;
                // The quote past the ports is the flow's own packet (its
                // data, up to 1,280 bytes with ICMPv6): cut, as data is.
                let cut = if e.beyond.is_empty() {
                    None
                } else {
                    offset(e.beyond)
                };
                sel.quoted(q.proto, q.src, q.sport, q.dst, q.dport, ts)
                    .then_some(Kept::Icmp(cut))
            }
            _ => None,
        }
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
