//! Saved captures: pcap and pcapng files, standard input and fifos, all read
//! the same way.
//!
//! The format is told by the magic number, never by the file name. The input
//! is read in chunks of about [`CHUNK`] bytes (one copy, from the kernel into
//! the chunk); pcap-parser reads the records or blocks in place, and each
//! frame is handed over as a slice of its chunk, or, with [`read_chunks`], as
//! a place in a chunk that is handed over whole (what lets the offline
//! analysis read on one thread and analyse on another without copying a
//! frame). A record that does not fit in what is left of a chunk begins the
//! next one. pcapng with interfaces of several link types and snap lengths
//! (`dumpcap -i any -i eth0`) is read as any other; the BPF filter is
//! compiled by libpcap for each link type. Measured against libpcap's reader
//! (which copies each record twice more) in `docs/PERFORMANCE.md`.

use crate::frame::Frame;
use crate::model::{CaptureDamage, CaptureEnd, FileFormat, ParseFailure, ReadSummary};
use pcap_parser::nom;
use pcap_parser::{Block, PcapError};
use std::fs::File;
use std::io::Read;

/// Why a capture could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The file could not be opened.
    #[error("{path}: cannot open: {source}; check the path and read permission")]
    Open {
        /// File name as given.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file does not start with a pcap or pcapng magic number.
    #[error(
        "{path}: not a pcap or pcapng capture (first bytes {magic}); give a file written by tcpdump, dumpcap, Wireshark or Network Watcher, or convert it with `editcap -F pcapng`"
    )]
    NotACapture {
        /// File name as given.
        path: String,
        /// The first bytes, in hex.
        magic: String,
    },
    /// The file cannot be read as a capture: its header is damaged, or it
    /// is a zip that is not a support bundle.
    #[error("{path}: {message}")]
    Unreadable {
        /// File name as given.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The BPF filter does not compile.
    #[error("invalid --filter '{filter}': {message}; see `man pcap-filter` for the syntax")]
    Filter {
        /// The expression given.
        filter: String,
        /// libpcap's message.
        message: String,
    },
}

const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Bytes read into a chunk at a time.
pub(crate) const CHUNK: usize = 1 << 20;
/// Largest record or block read: a longer one has a damaged length field.
const MAX_BLOCK: usize = 64 << 20;
/// Largest captured length of a classic pcap record when the file's snap
/// length is smaller (libpcap's limit).
const MAX_CAPLEN: u32 = 262_144;

/// Where a frame lies in its chunk, and what the record said of it.
#[derive(Debug, Clone, Copy)]
pub struct FrameAt {
    /// Capture time, µs since the epoch.
    pub ts_us: i64,
    /// The link type of its interface.
    pub linktype: u32,
    /// Its length on the wire.
    pub wire_len: u32,
    /// Its bytes: `data[start..end]` of the chunk.
    pub start: u32,
    /// End of its bytes.
    pub end: u32,
}

/// A piece of the input and the frames in it (each wholly inside).
#[derive(Debug, Default)]
pub struct Chunk {
    /// The bytes read (a record header, block trailer or skipped block may
    /// lie between frames).
    pub data: Vec<u8>,
    /// The frames, in order.
    pub frames: Vec<FrameAt>,
}

impl Chunk {
    /// A chunk's frames as [`Frame`]s.
    pub fn frames(&self) -> impl Iterator<Item = Frame<'_>> {
        self.frames.iter().map(|f| Frame {
            ts_us: f.ts_us,
            linktype: f.linktype,
            wire_len: f.wire_len,
            data: &self.data[f.start as usize..f.end as usize],
        })
    }
}

/// Reads one capture (`-` is standard input), calling `on_frame` for each frame that
/// passes `filter`. Errors that prevent reading at all are returned; damage part-way
/// is reported in [`ReadSummary::end`] after everything before it was delivered.
pub fn read_capture(
    file_path: &std::path::Path,
    filter: Option<&str>,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) -> Result<ReadSummary, CaptureError> {
    // One chunk, used again and again.
    let slot = std::cell::Cell::new(Chunk::default());
    read_chunks(file_path, filter, &mut || Some(slot.take()), &mut |c| {
        for f in c.frames() {
            on_frame(&f);
        }
        slot.set(c);
    })
}

/// Reads one capture (`-` is standard input) chunk by chunk: `on_chunk` is
/// given each chunk with the frames in it that pass `filter`; `spare` may
/// hand back a chunk given before, for its memory to be used again.
pub fn read_chunks(
    file_path: &std::path::Path,
    filter: Option<&str>,
    spare: &mut dyn FnMut() -> Option<Chunk>,
    on_chunk: &mut dyn FnMut(Chunk),
) -> Result<ReadSummary, CaptureError> {
    // The name in messages: any file name works, whatever its bytes, and is
    // shown through the one sanitiser.
    let name = crate::sanitize::for_terminal(&file_path.to_string_lossy());
    if file_path.as_os_str() == "-" {
        let stdin = std::io::stdin();
        return read_input(&name, stdin.lock(), true, filter, spare, on_chunk);
    }
    let mut file = File::open(file_path).map_err(|source| CaptureError::Open {
        path: name.clone(),
        source,
    })?;
    if is_zip(&mut file) {
        return read_bundle(&name, file, filter, spare, on_chunk);
    }
    read_input(&name, file, false, filter, spare, on_chunk)
}

const ZIP_MAGIC: [u8; 4] = *b"PK\x03\x04";

/// The file is a zip file; read from its beginning again either way (a
/// fifo, which cannot seek, is never taken for one).
fn is_zip(file: &mut File) -> bool {
    use std::io::{Seek, SeekFrom};
    let Ok(at) = file.stream_position() else {
        return false;
    };
    let mut head = [0u8; 4];
    let zip = file.read_exact(&mut head).is_ok() && head == ZIP_MAGIC;
    file.seek(SeekFrom::Start(at)).is_ok() && zip
}

/// A support bundle given as a capture: its packets are read (the capture
/// the bundle keeps, as `asrscope analyze` of it unzipped would).
fn read_bundle(
    name: &str,
    file: File,
    filter: Option<&str>,
    spare: &mut dyn FnMut() -> Option<Chunk>,
    on_chunk: &mut dyn FnMut(Chunk),
) -> Result<ReadSummary, CaptureError> {
    let packets = crate::bundle::PACKETS;
    let not_bundle = |why: String| CaptureError::Unreadable {
        path: name.to_string(),
        message: format!(
            "a zip file, not a capture, and not an asrscope support bundle ({why}); unzip it and give the capture inside"
        ),
    };
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| not_bundle(e.to_string()))?;
    let entry = zip
        .by_name(packets)
        .map_err(|_| not_bundle(format!("no {packets} inside")))?;
    read_input(name, entry, false, filter, spare, on_chunk)
}

/// Reads a capture (pcap or pcapng, any link types) from any reader, as a
/// stream; `name` is what messages call it. What the fuzzer goes through.
pub fn read_from<R: Read>(
    name: &str,
    input: R,
    filter: Option<&str>,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) -> Result<ReadSummary, CaptureError> {
    let slot = std::cell::Cell::new(Chunk::default());
    read_input(
        name,
        input,
        true,
        filter,
        &mut || Some(slot.take()),
        &mut |c| {
            for f in c.frames() {
                on_frame(&f);
            }
            slot.set(c);
        },
    )
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An interface of a pcapng section, or the one link type of a pcap file.
struct Iface {
    linktype: u32,
    ts_offset: i64,
    ts_resol: u64,
    filter: Option<Filter>,
}

/// A `--filter` compiled for one link type.
struct Filter {
    program: pcap::BpfProgram,
    /// Bytes of a pseudo-header libpcap cannot filter behind, skipped
    /// before the program runs.
    skip: usize,
}

impl Filter {
    fn passes(&self, frame: &[u8]) -> bool {
        frame
            .get(self.skip..)
            .is_some_and(|d| self.program.filter(d))
    }
}

/// What the reader knows of the format so far.
enum Layout {
    /// Classic pcap: byte order, nanosecond times, most bytes a record may
    /// hold, and its one interface.
    Pcap {
        big_endian: bool,
        nanos: bool,
        max_caplen: u32,
        iface: Iface,
    },
    /// pcapng: the current section's byte order and interfaces.
    Pcapng {
        big_endian: bool,
        ifaces: Vec<Iface>,
    },
}

/// Fills `buf[from..]` from `input`; returns the bytes now in `buf`, short
/// only at the end of the input or where reading failed (the error): what
/// was read before a failure is kept, for its frames to be reported.
fn fill(input: &mut dyn Read, buf: &mut [u8], mut from: usize) -> (usize, Option<std::io::Error>) {
    while from < buf.len() {
        match input.read(&mut buf[from..]) {
            Ok(0) => break,
            Ok(n) => from += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return (from, Some(e)),
        }
    }
    (from, None)
}

/// The reader of [`read_chunks`] and [`read_from`]. `stream`: the input is
/// standard input or was given as a stream (it reports as such).
fn read_input<R: Read>(
    name: &str,
    input: R,
    stream: bool,
    filter: Option<&str>,
    spare: &mut dyn FnMut() -> Option<Chunk>,
    on_chunk: &mut dyn FnMut(Chunk),
) -> Result<ReadSummary, CaptureError> {
    // gzip and zstd captures are decompressed on the way in.
    let input = super::compressed::decompressed(input).map_err(|source| CaptureError::Open {
        path: if name == "-" { "standard input" } else { name }.to_string(),
        source,
    })?;
    let mut r = Reader::open(name, input, stream, filter, spare)?;
    let end = loop {
        if let Some(d) = r.scan()? {
            break r.damaged(d);
        }
        if let Some(end) = r.roll_over(spare, on_chunk) {
            break end;
        }
    };
    if !r.chunk.frames.is_empty() {
        on_chunk(r.chunk);
    }
    r.summary.end = end;
    Ok(r.summary)
}

/// A capture being read: the input, what is known of its format, the chunk
/// being filled and where in it the next record begins.
struct Reader<'f, R> {
    input: R,
    filter: Option<&'f str>,
    layout: Layout,
    summary: ReadSummary,
    chunk: Chunk,
    /// Bytes of the chunk read from the input.
    filled: usize,
    /// Where the next record or block begins in the chunk.
    pos: usize,
    /// Bytes of the input before this chunk: where a bad block begins.
    base: u64,
    /// Why reading the input failed, where it did: the end of the input.
    error: Option<std::io::Error>,
}

impl<'f, R: Read> Reader<'f, R> {
    /// Reads the first chunk, tells the format by its magic number and,
    /// for pcap, reads the file header.
    fn open(
        name: &str,
        mut input: R,
        stream: bool,
        filter: Option<&'f str>,
        spare: &mut dyn FnMut() -> Option<Chunk>,
    ) -> Result<Self, CaptureError> {
        let shown = if name == "-" { "standard input" } else { name };
        let mut chunk = spare().unwrap_or_default();
        chunk.frames.clear();
        if chunk.data.len() < CHUNK {
            chunk.data.resize(CHUNK, 0);
        }
        let (filled, mut error) = fill(&mut input, &mut chunk.data, 0);
        if filled == 0
            && let Some(source) = error.take()
        {
            return Err(CaptureError::Open {
                path: shown.to_string(),
                source,
            });
        }
        let mut magic = [0u8; 4];
        magic[..filled.min(4)].copy_from_slice(&chunk.data[..filled.min(4)]);
        let format = sniff(&magic, filled, stream, shown)?;
        let mut summary = ReadSummary {
            path: name.to_string(),
            format,
            stdin: stream && name == "-",
            linktypes: Vec::new(),
            frames: 0,
            filtered_out: 0,
            end: CaptureEnd::Complete,
            application: None,
        };
        let (layout, pos) = if magic == PCAPNG_MAGIC {
            let ifaces = Vec::new();
            (
                Layout::Pcapng {
                    big_endian: false,
                    ifaces,
                },
                0,
            )
        } else {
            let data = &chunk.data[..filled];
            (pcap_layout(data, &magic, shown, filter, &mut summary)?, 24)
        };
        Ok(Reader {
            input,
            filter,
            layout,
            summary,
            chunk,
            filled,
            pos,
            base: 0,
            error,
        })
    }

    /// Reads every whole record or block of the chunk: `None` when the
    /// next one does not fit, or the damage that stops the reading.
    fn scan(&mut self) -> Result<Option<CaptureDamage>, CaptureError> {
        loop {
            let at = self.base + self.pos as u64;
            match self.step(at)? {
                Ok(Step::Frame {
                    used,
                    start,
                    end,
                    iface,
                    ts_us,
                    wire_len,
                }) => {
                    self.accept(start, end, iface, ts_us, wire_len);
                    self.pos += used;
                }
                Ok(Step::Skip(used)) => self.pos += used,
                Ok(Step::More) => return Ok(None),
                Ok(Step::Bad(failure)) => return Ok(Some(CaptureDamage::Invalid { at, failure })),
                Err(d) => return Ok(Some(d)),
            }
        }
    }

    /// The record or block at `pos`, read in place.
    fn step(&mut self, at: u64) -> Result<Result<Step, CaptureDamage>, CaptureError> {
        let rest = &self.chunk.data[self.pos..self.filled];
        match &mut self.layout {
            Layout::Pcap {
                big_endian,
                nanos,
                max_caplen,
                ..
            } => Ok(pcap_step(
                rest,
                self.pos,
                at,
                *big_endian,
                *nanos,
                *max_caplen,
            )),
            Layout::Pcapng { big_endian, .. } => {
                if let Some(len) = short_block(rest, *big_endian) {
                    return Ok(Err(CaptureDamage::BlockShorterThanHeader { at, len }));
                }
                let parsed = if *big_endian {
                    pcap_parser::pcapng::parse_block_be(rest)
                } else {
                    pcap_parser::pcapng::parse_block_le(rest)
                };
                match parsed {
                    Ok((left, block)) => {
                        let used = rest.len() - left.len();
                        let step = ng_block(
                            block,
                            used,
                            self.pos,
                            &self.chunk.data,
                            &mut self.layout,
                            &mut self.summary,
                            self.filter,
                        )?;
                        Ok(Ok(step))
                    }
                    Err(nom::Err::Incomplete(_)) => Ok(Ok(Step::More)),
                    Err(e) => Ok(Ok(Step::Bad(failure(&e)))),
                }
            }
        }
    }

    /// A frame found: counted, filtered, its time in microseconds, and
    /// kept in the chunk.
    fn accept(&mut self, start: usize, end: usize, iface: Option<usize>, ts: i64, wire_len: u32) {
        let ifc = match (&self.layout, iface) {
            (Layout::Pcap { iface, .. }, _) => Some(iface),
            (Layout::Pcapng { ifaces, .. }, Some(i)) => ifaces.get(i),
            _ => None,
        };
        let Some(ifc) = ifc else {
            return;
        };
        let data = &self.chunk.data[start..end];
        if !ifc.filter.as_ref().is_none_or(|p| p.passes(data)) {
            self.summary.filtered_out += 1;
            return;
        }
        self.summary.frames += 1;
        let ts_us = if iface.is_some() {
            crate::frame::clamp_ts(
                to_micros(ts as u64, ifc.ts_resol)
                    .saturating_add(ifc.ts_offset.saturating_mul(1_000_000)),
            )
        } else {
            ts
        };
        self.chunk.frames.push(FrameAt {
            ts_us,
            linktype: ifc.linktype,
            wire_len,
            start: start as u32,
            end: end as u32,
        });
    }

    /// The record at `pos` does not fit: hands the chunk over and begins
    /// the next one with it, read on. The end of the capture when the input
    /// ended (inside the record: damage) or cannot be read on.
    fn roll_over(
        &mut self,
        spare: &mut dyn FnMut() -> Option<Chunk>,
        on_chunk: &mut dyn FnMut(Chunk),
    ) -> Option<CaptureEnd> {
        let carry = self.filled - self.pos;
        let at = self.base + self.pos as u64;
        if self.filled < self.chunk.data.len() {
            if let Some(e) = self.error.take() {
                return Some(self.damaged(CaptureDamage::Read {
                    at,
                    error: e.to_string(),
                }));
            }
            // The input ended inside the record.
            if carry == 0 {
                return Some(CaptureEnd::Complete);
            }
            let format = self.summary.format;
            return Some(self.damaged(CaptureDamage::CutShort { at, format }));
        }
        let mut next = spare().unwrap_or_default();
        next.frames.clear();
        // A record longer than a chunk gets a chunk of its own size.
        let want = if self.pos == 0 {
            self.chunk.data.len() * 2
        } else {
            CHUNK.max(carry + carry / 2)
        };
        if want > MAX_BLOCK {
            return Some(self.damaged(CaptureDamage::Oversized {
                at,
                max: MAX_BLOCK as u64,
            }));
        }
        if next.data.len() < want {
            next.data.resize(want, 0);
        }
        next.data[..carry].copy_from_slice(&self.chunk.data[self.pos..self.filled]);
        let full = std::mem::replace(&mut self.chunk, next);
        if !full.frames.is_empty() {
            on_chunk(full);
        }
        self.base += self.pos as u64;
        self.pos = 0;
        (self.filled, self.error) = fill(&mut self.input, &mut self.chunk.data, carry);
        None
    }

    /// The end of a capture damaged after the frames read so far.
    fn damaged(&self, damage: CaptureDamage) -> CaptureEnd {
        CaptureEnd::Damaged {
            after_frame: self.summary.frames,
            damage,
        }
    }
}

/// The format a capture's first bytes say.
fn sniff(
    magic: &[u8; 4],
    filled: usize,
    stream: bool,
    shown: &str,
) -> Result<FileFormat, CaptureError> {
    let known = *magic == PCAPNG_MAGIC || PCAP_MAGICS.contains(magic);
    match () {
        _ if filled < 4 => Err(CaptureError::NotACapture {
            path: shown.to_string(),
            magic: if filled == 0 && !stream {
                "none: the file is empty".to_string()
            } else if filled == 0 {
                "none: the input is empty".to_string()
            } else {
                hex(&magic[..filled])
            },
        }),
        _ if *magic == ZIP_MAGIC => Err(CaptureError::Unreadable {
            path: shown.to_string(),
            message: format!(
                "a zip file, not a capture: an asrscope support bundle is read as a file (not a stream); or unzip it and give {} or the capture inside",
                crate::bundle::PACKETS
            ),
        }),
        _ if *magic == PCAPNG_MAGIC => Ok(FileFormat::Pcapng),
        _ if known => Ok(FileFormat::Pcap),
        _ => Err(CaptureError::NotACapture {
            path: shown.to_string(),
            magic: hex(magic),
        }),
    }
}

/// A pcap file's layout, from its header at the head of `data`.
fn pcap_layout(
    data: &[u8],
    magic: &[u8; 4],
    shown: &str,
    filter: Option<&str>,
    summary: &mut ReadSummary,
) -> Result<Layout, CaptureError> {
    if data.len() < 24 {
        return Err(CaptureError::Unreadable {
            path: shown.to_string(),
            message: format!(
                "the pcap file header is cut short ({} of 24 bytes): the file is damaged",
                data.len()
            ),
        });
    }
    // 24 bytes that begin with a pcap magic number (`sniff`) always parse
    // as a header: the error is for a parser that would one day say
    // otherwise.
    let (_, h) = pcap_parser::pcap::parse_pcap_header(&data[..24]).map_err(|_| {
        CaptureError::Unreadable {
            path: shown.to_string(),
            message: "cannot read the pcap file header: the file is damaged".to_string(),
        }
    })?;
    let linktype = (h.network.0 as u32) & 0x03ff_ffff;
    summary.linktypes.push(linktype);
    Ok(Layout::Pcap {
        big_endian: magic[0] == 0xa1,
        nanos: h.is_nanosecond_precision(),
        max_caplen: h.snaplen.max(MAX_CAPLEN),
        iface: Iface {
            linktype,
            ts_offset: 0,
            ts_resol: 1_000_000,
            filter: filter.map(|e| compile_for(e, linktype)).transpose()?,
        },
    })
}

/// A classic pcap record at the head of `rest` (which begins at `pos` in the
/// chunk and at byte `at` of the input).
fn pcap_step(
    rest: &[u8],
    pos: usize,
    at: u64,
    big_endian: bool,
    nanos: bool,
    max_caplen: u32,
) -> Result<Step, CaptureDamage> {
    if rest.len() >= 16 {
        let b = [rest[8], rest[9], rest[10], rest[11]];
        let caplen = if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        };
        if caplen > max_caplen {
            return Err(CaptureDamage::CaplenOverSnaplen {
                at,
                caplen,
                max: max_caplen,
            });
        }
    }
    let parsed = if big_endian {
        pcap_parser::pcap::parse_pcap_frame_be(rest)
    } else {
        pcap_parser::pcap::parse_pcap_frame(rest)
    };
    Ok(match parsed {
        Ok((left, b)) => {
            let start = pos + 16;
            let frac = if nanos {
                i64::from(b.ts_usec) / 1_000
            } else {
                i64::from(b.ts_usec)
            };
            let ts = i64::from(b.ts_sec) * 1_000_000 + frac;
            Step::Frame {
                used: rest.len() - left.len(),
                start,
                end: start + b.data.len(),
                iface: None,
                ts_us: crate::frame::clamp_ts(ts),
                wire_len: b.origlen,
            }
        }
        Err(nom::Err::Incomplete(_)) => Step::More,
        Err(e) => Step::Bad(failure(&e)),
    })
}

/// What a record or block is.
enum Step {
    /// A frame: the bytes it used, where its data lies, its interface
    /// (pcapng) and raw time (pcapng: in the interface's units), its length
    /// on the wire.
    Frame {
        used: usize,
        start: usize,
        end: usize,
        iface: Option<usize>,
        ts_us: i64,
        wire_len: u32,
    },
    /// A block that carries no frame.
    Skip(usize),
    /// The record needs more bytes than the chunk holds.
    More,
    /// Not a valid record.
    Bad(ParseFailure),
}

/// A pcapng block: section headers and interfaces update the layout,
/// packets become frames, everything else is skipped (as the specification
/// says of block types a reader does not know).
fn ng_block(
    block: Block<'_>,
    used: usize,
    pos: usize,
    data: &[u8],
    layout: &mut Layout,
    summary: &mut ReadSummary,
    filter: Option<&str>,
) -> Result<Step, CaptureError> {
    let Layout::Pcapng { big_endian, ifaces } = layout else {
        return Ok(Step::Skip(used));
    };
    let offset = |s: &[u8]| (s.as_ptr() as usize).wrapping_sub(data.as_ptr() as usize);
    Ok(match block {
        Block::SectionHeader(shb) => {
            *big_endian = shb.big_endian();
            ifaces.clear();
            if summary.application.is_none() {
                summary.application = shb
                    .shb_userappl()
                    .and_then(Result::ok)
                    .map(application_name);
            }
            Step::Skip(used)
        }
        Block::InterfaceDescription(idb) => {
            let linktype = idb.linktype.0 as u32;
            if !summary.linktypes.contains(&linktype) {
                summary.linktypes.push(linktype);
            }
            ifaces.push(Iface {
                linktype,
                ts_offset: idb.ts_offset(),
                ts_resol: idb.ts_resolution().unwrap_or(1_000_000),
                filter: filter.map(|e| compile_for(e, linktype)).transpose()?,
            });
            Step::Skip(used)
        }
        Block::EnhancedPacket(epb) => {
            let len = (epb.caplen as usize).min(epb.data.len());
            let start = offset(epb.data);
            if start > data.len() || start < pos {
                return Ok(Step::Skip(used));
            }
            let ts = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
            Step::Frame {
                used,
                start,
                end: start + len,
                iface: Some(epb.if_id as usize),
                ts_us: ts as i64,
                wire_len: epb.origlen,
            }
        }
        Block::SimplePacket(spb) => {
            let start = offset(spb.data);
            if start > data.len() || start < pos || ifaces.is_empty() {
                return Ok(Step::Skip(used));
            }
            Step::Frame {
                used,
                start,
                end: start + spb.data.len(),
                iface: Some(0),
                ts_us: 0,
                wire_len: spb.origlen,
            }
        }
        _ => Step::Skip(used),
    })
}

/// A section header's application, as every view may show it: sanitised
/// and at most 200 characters.
fn application_name(s: &str) -> String {
    crate::sanitize::for_terminal(s).chars().take(200).collect()
}

/// The length a pcapng block at the head of `data` claims, when it is too
/// short to hold the block's own header and trailer (pcap-parser 0.17 would
/// subtract past zero on a process information block). Section headers are
/// left to the parser: they carry their own byte order.
fn short_block(data: &[u8], big_endian: bool) -> Option<u32> {
    let head: [u8; 8] = data.get(..8)?.try_into().ok()?;
    if head[..4] == PCAPNG_MAGIC {
        return None;
    }
    let len = [head[4], head[5], head[6], head[7]];
    let len = if big_endian {
        u32::from_be_bytes(len)
    } else {
        u32::from_le_bytes(len)
    };
    (len < 12).then_some(len)
}

/// What pcap-parser found wrong, without the bytes its error carries.
fn failure<I>(e: &nom::Err<PcapError<I>>) -> ParseFailure {
    match e {
        nom::Err::Incomplete(_) => ParseFailure::EndsInside,
        nom::Err::Error(e) | nom::Err::Failure(e) => match e {
            PcapError::Eof => ParseFailure::EndOfInput,
            PcapError::BufferTooSmall => ParseFailure::TooLarge,
            PcapError::UnexpectedEof | PcapError::Incomplete(_) => ParseFailure::EndsInside,
            PcapError::ReadError => ParseFailure::ReadFailed,
            PcapError::HeaderNotRecognized => ParseFailure::HeaderNotRecognized,
            PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
                ParseFailure::BadField {
                    parser_error: kind.description().to_string(),
                }
            }
        },
    }
}

fn to_micros(ts: u64, resol: u64) -> i64 {
    let us = match resol {
        0 => 0,
        1_000_000 => ts as u128,
        r => (ts as u128) * 1_000_000 / r as u128,
    };
    i64::try_from(us).unwrap_or(i64::MAX)
}

/// libpcap's value for raw IP (`DLT_RAW`): 14 on OpenBSD, 12 elsewhere.
const DLT_RAW: i32 = if cfg!(target_os = "openbsd") { 14 } else { 12 };
/// libpcap's value for OpenBSD loopback (`DLT_LOOP`): 12 on OpenBSD, 108 elsewhere.
const DLT_LOOP: i32 = if cfg!(target_os = "openbsd") { 12 } else { 108 };

/// The libpcap data link type (`DLT_*`, what `pcap_open_dead` and so the
/// filter compiler take) of a file's link type (`LINKTYPE_*`), as
/// pcap-linktype(7) and libpcap's own reader (`linktype_to_dlt`) map them
/// for every link type asrscope decodes. They are equal but for raw IP:
/// `LINKTYPE_RAW` is 101 in files and `DLT_RAW` 12 (14 on OpenBSD), and
/// files written with the platform's `DLT_RAW` say 12 or 14, which asrscope
/// decodes as raw IP too (libpcap on Linux knows no 14, and tcpdump refuses
/// such a file); 108 is OpenBSD's loopback, `DLT_LOOP` (12 on OpenBSD);
/// `LINKTYPE_PPP_HDLC` 50 is `DLT_PPP_SERIAL`, 50 everywhere.
fn dlt_of(linktype: u32) -> i32 {
    match linktype {
        12 | 14 | 101 => DLT_RAW,
        108 => DLT_LOOP,
        other => other as i32,
    }
}

/// `expr` compiled for frames of `linktype`. libpcap (to 1.10 at least)
/// cannot filter `LINKTYPE_PPP_WITH_DIR` (204): its frames are
/// `LINKTYPE_PPP_HDLC` (50) behind a one-byte direction, so the program is
/// compiled for that and run past the byte.
fn compile_for(expr: &str, linktype: u32) -> Result<Filter, CaptureError> {
    let err = |e: pcap::Error| CaptureError::Filter {
        filter: expr.to_string(),
        message: e.to_string(),
    };
    let (linktype, skip) = match linktype {
        204 => (50, 1),
        other => (other, 0),
    };
    let dead = pcap::Capture::dead(pcap::Linktype(dlt_of(linktype))).map_err(err)?;
    Ok(Filter {
        program: dead.compile(expr, true).map_err(err)?,
        skip,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::SUPPORTED_LINKTYPES;

    #[test]
    fn a_filter_compiles_for_every_link_type_decoded() {
        for &(lt, name) in SUPPORTED_LINKTYPES {
            for expr in ["tcp port 443", "ip6 or udp port 53", "port 53 or port 443"] {
                if let Err(e) = compile_for(expr, lt) {
                    panic!("link type {lt} ({name}), {expr}: {e}");
                }
            }
        }
    }

    /// What libpcap itself makes of a pcap file of link type `lt`: the
    /// data link type it reads the file as (what tcpdump filters with).
    fn libpcap_reads(dir: &std::path::Path, lt: u32) -> i32 {
        let mut header = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
        for v in [2u16, 4] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        for v in [0u32, 0, 65535, lt] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        let path = dir.join(format!("{lt}.pcap"));
        std::fs::write(&path, header).unwrap();
        pcap::Capture::from_file(&path).unwrap().get_datalink().0
    }

    #[test]
    fn link_types_map_to_the_data_link_types_libpcap_reads_files_as() {
        let dir = tempfile::tempdir().unwrap();
        for &(lt, name) in SUPPORTED_LINKTYPES {
            let libpcap = libpcap_reads(dir.path(), lt);
            // libpcap leaves the other platform's DLT_RAW as it is (on Linux,
            // 14, a data link type it does not know): raw IP as that
            // platform's libpcap wrote it, which asrscope decodes as such.
            let elsewhere_raw = if cfg!(target_os = "openbsd") { 12 } else { 14 };
            if lt == elsewhere_raw {
                assert_eq!(libpcap, elsewhere_raw as i32);
                assert_eq!(dlt_of(lt), dlt_of(101));
                continue;
            }
            assert_eq!(dlt_of(lt), libpcap, "link type {lt} ({name})");
        }
        assert_eq!(dlt_of(101), 12);
        assert_eq!(dlt_of(50), 50);
    }

    #[test]
    fn ppp_with_a_direction_byte_is_filtered_past_it() {
        // An IPv4 TCP SYN to port 443 in PPP in HDLC-like framing (ff 03,
        // protocol 0x0021), sent (direction 1).
        let mut ip = vec![
            0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 1, 0, 4, 13, 68, 163, 36,
        ];
        ip.extend_from_slice(&[0xc0, 0x01, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02]);
        ip.extend_from_slice(&[0xff, 0xff, 0, 0, 0, 0]);
        let hdlc: Vec<u8> = [0xff, 0x03, 0x00, 0x21]
            .iter()
            .chain(&ip)
            .copied()
            .collect();
        let with_dir: Vec<u8> = std::iter::once(1).chain(hdlc.iter().copied()).collect();
        for (expr, want) in [
            ("tcp dst port 443", true),
            ("host 13.68.163.36", true),
            ("udp", false),
        ] {
            assert_eq!(compile_for(expr, 50).unwrap().passes(&hdlc), want, "{expr}");
            assert_eq!(
                compile_for(expr, 204).unwrap().passes(&with_dir),
                want,
                "{expr}"
            );
        }
        assert!(!compile_for("ip", 204).unwrap().passes(&[]));
    }
}

/// Damage part-way, as values: the kind, the byte where the record or
/// block begins, and the frames read before it. The words are pinned by
/// `render::capture`'s tests and the golden files.
#[cfg(test)]
mod damage {
    use super::*;

    /// Frames read from `input`, and how reading ended.
    fn read(input: impl Read) -> (u64, CaptureEnd) {
        let mut frames = 0;
        let s = read_from("test", input, None, &mut |_| frames += 1).expect("a capture");
        assert_eq!(frames, s.frames);
        (frames, s.end)
    }

    fn damaged(after_frame: u64, damage: CaptureDamage) -> (u64, CaptureEnd) {
        let end = CaptureEnd::Damaged {
            after_frame,
            damage,
        };
        (after_frame, end)
    }

    /// A classic pcap header (little-endian, µs, snap length 65535,
    /// Ethernet).
    fn pcap_header() -> Vec<u8> {
        let mut b = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
        b.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&65535u32.to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b
    }

    /// A pcap record of `caplen` bytes claimed, with `data`.
    fn record(caplen: u32, data: &[u8]) -> Vec<u8> {
        let mut b = [1u32, 0, caplen, 60].map(u32::to_le_bytes).concat();
        b.extend_from_slice(data);
        b
    }

    /// A little-endian pcapng block: type, length, body, length.
    fn block(kind: u32, body: &[u8]) -> Vec<u8> {
        let len = (12 + body.len()) as u32;
        [
            &kind.to_le_bytes(),
            &len.to_le_bytes(),
            body,
            &len.to_le_bytes(),
        ]
        .concat()
    }

    /// A section header and an Ethernet interface: 48 bytes.
    fn pcapng_head() -> Vec<u8> {
        let shb = [
            0x1a2b_3c4du32.to_le_bytes(),
            [1, 0, 0, 0],
            [0xff; 4],
            [0xff; 4],
        ]
        .concat();
        [
            block(0x0a0d_0d0a, &shb),
            block(1, &[1, 0, 0, 0, 0, 0, 4, 0]),
        ]
        .concat()
    }

    /// An enhanced packet of 60 zero bytes on interface 0: 92 bytes.
    fn packet() -> Vec<u8> {
        let mut body = [0u32, 0, 1, 60, 60].map(u32::to_le_bytes).concat();
        body.extend_from_slice(&[0; 60]);
        block(6, &body)
    }

    #[test]
    fn a_pcap_record_cut_short() {
        let bytes = [pcap_header(), record(60, &[0; 60]), record(60, &[0; 10])].concat();
        let at = 24 + 16 + 60;
        let format = FileFormat::Pcap;
        assert_eq!(
            read(&bytes[..]),
            damaged(1, CaptureDamage::CutShort { at, format })
        );
        // The sample capture the golden files read.
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/captures/truncated.pcap");
        let file = File::open(path).unwrap();
        let at = 26_992;
        assert_eq!(
            read(file),
            damaged(39, CaptureDamage::CutShort { at, format })
        );
    }

    #[test]
    fn a_pcap_record_longer_than_the_snap_length_allows() {
        let bytes = [
            pcap_header(),
            record(60, &[0; 60]),
            record(300_000, &[0; 60]),
        ]
        .concat();
        let (caplen, max) = (300_000, MAX_CAPLEN);
        let at = 100;
        let d = CaptureDamage::CaplenOverSnaplen { at, caplen, max };
        assert_eq!(read(&bytes[..]), damaged(1, d));
    }

    #[test]
    fn a_pcapng_block_cut_short() {
        let bytes = [pcapng_head(), packet(), packet()].concat();
        let cut = &bytes[..bytes.len() - 20];
        let (at, format) = (48 + 92, FileFormat::Pcapng);
        assert_eq!(
            read(cut),
            damaged(1, CaptureDamage::CutShort { at, format })
        );
    }

    #[test]
    fn a_pcapng_block_whose_length_is_not_a_multiple_of_4() {
        let mut bad = 6u32.to_le_bytes().to_vec();
        bad.extend_from_slice(&13u32.to_le_bytes());
        bad.extend_from_slice(&[0; 5]);
        let bytes = [pcapng_head(), packet(), bad, packet()].concat();
        let (frames, end) = read(&bytes[..]);
        assert_eq!(frames, 1);
        let CaptureEnd::Damaged {
            after_frame: 1,
            damage: CaptureDamage::Invalid { at, failure },
        } = end
        else {
            panic!("{end:?}");
        };
        assert_eq!(at, 48 + 92);
        assert!(
            matches!(failure, ParseFailure::BadField { .. }),
            "{failure:?}"
        );
    }

    #[test]
    fn a_pcapng_block_shorter_than_its_header_and_trailer() {
        // A process information block (pktmon and Wireshark write them).
        let short = [0x8000_0001u32, 8].map(u32::to_le_bytes).concat();
        let bytes = [pcapng_head(), packet(), short, packet()].concat();
        let (at, len) = (48 + 92, 8);
        let d = CaptureDamage::BlockShorterThanHeader { at, len };
        assert_eq!(read(&bytes[..]), damaged(1, d));
    }

    #[test]
    fn a_pcapng_block_longer_than_the_reader_holds() {
        // A block claiming 128 MiB, and no end to the input.
        let huge = [0x0bad_b10cu32, 128 << 20].map(u32::to_le_bytes).concat();
        let head = [pcapng_head(), packet(), huge].concat();
        let input = head.chain(std::io::repeat(0));
        let (at, max) = (48 + 92, MAX_BLOCK as u64);
        assert_eq!(
            read(input),
            damaged(1, CaptureDamage::Oversized { at, max })
        );
    }

    #[test]
    fn an_input_that_cannot_be_read_on() {
        /// Fails every read.
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("the disk went away"))
            }
        }
        // A whole first chunk, ending inside a block claiming 2 MiB.
        let big = [0x0bad_b10cu32, 2 << 20].map(u32::to_le_bytes).concat();
        let mut head = [pcapng_head(), packet(), big].concat();
        head.resize(CHUNK, 0);
        let (at, error) = (48 + 92, "the disk went away".to_string());
        let d = CaptureDamage::Read { at, error };
        assert_eq!(read(head.chain(Failing)), damaged(1, d));
    }
}
