//! Saved captures: pcap and pcapng files, and standard input.
//!
//! The format is told by the magic number, never by the file name. Files are read
//! through libpcap (the `pcap` crate). libpcap refuses pcapng files whose interfaces
//! differ in link type or snap length, which happens with captures from several
//! interfaces at once (`dumpcap -i any -i eth0`): it stops at the first such
//! interface, and `pcap-parser` reads on from the next frame, interface by
//! interface, with the BPF filter compiled by libpcap per link type, so both
//! paths give the same result. The file is read once either way.

use crate::frame::Frame;
use crate::model::{CaptureEnd, FileFormat, ReadSummary};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{Block, PcapBlockOwned, PcapError, PcapNGReader};
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
    /// libpcap refused the file or the filter.
    #[error("{path}: {message}")]
    Libpcap {
        /// File name as given.
        path: String,
        /// libpcap's message.
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
/// Bytes read from a stream before pcap-parser takes it over.
const STREAM_HEAD: usize = 64 * 1024;

/// Reads one capture (`-` is standard input), calling `on_frame` for each frame that
/// passes `filter`. Errors that prevent reading at all are returned; damage part-way
/// is reported in [`ReadSummary::end`] after everything before it was delivered.
pub fn read_capture(
    file_path: &std::path::Path,
    filter: Option<&str>,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) -> Result<ReadSummary, CaptureError> {
    // The name in messages: any file name works, whatever its bytes, and is
    // shown through the one sanitiser.
    let name = crate::sanitize::for_terminal(&file_path.to_string_lossy());
    let path = name.as_str();
    if file_path.as_os_str() == "-" {
        return read_stream(path, std::io::stdin(), FileFormat::Stdin, filter, on_frame);
    }
    let mut file = File::open(file_path).map_err(|source| CaptureError::Open {
        path: path.to_string(),
        source,
    })?;
    // A fifo, `<(…)` or a device can be read only once: it is read as a
    // stream, from the same open file. So is a file whose name is not UTF-8,
    // which libpcap's binding cannot be given.
    if !file.metadata().is_ok_and(|m| m.is_file()) || file_path.to_str().is_none() {
        return read_stream(path, file, FileFormat::Pcap, filter, on_frame);
    }
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match file.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(source) => {
                return Err(CaptureError::Open {
                    path: path.to_string(),
                    source,
                });
            }
        }
    }
    if got < 4 {
        return Err(CaptureError::NotACapture {
            path: path.to_string(),
            magic: if got == 0 {
                "none: the file is empty".to_string()
            } else {
                hex(&magic[..got])
            },
        });
    }
    if PCAP_MAGICS.contains(&magic) {
        return read_with_libpcap(file_path, path, FileFormat::Pcap, filter, on_frame);
    }
    if magic != PCAPNG_MAGIC {
        return Err(CaptureError::NotACapture {
            path: path.to_string(),
            magic: hex(&magic),
        });
    }
    let application = section_application(&mut file);
    drop(file);
    let mut summary = read_with_libpcap(file_path, path, FileFormat::Pcapng, filter, on_frame)?;
    summary.application = application;
    // libpcap stops at the first interface whose link type or snap length
    // differs from the first one's; pcap-parser reads on from there.
    if let CaptureEnd::Damaged {
        after_frame,
        message,
    } = &summary.end
        && message.contains("different from the")
        && message.contains("first interface")
    {
        let application = summary.application.take();
        let mut s = read_pcapng_mixed(file_path, path, filter, on_frame, *after_frame)?;
        s.application = s.application.or(application);
        return Ok(s);
    }
    Ok(summary)
}

/// A section header's application, as every view may show it: sanitised
/// and at most 200 characters.
fn application_name(s: &str) -> String {
    crate::sanitize::for_terminal(s).chars().take(200).collect()
}

/// The application a pcapng file's first section header names.
fn section_application(file: &mut File) -> Option<String> {
    use std::io::Seek;
    file.rewind().ok()?;
    let mut head = Vec::with_capacity(4096);
    file.by_ref().take(64 * 1024).read_to_end(&mut head).ok()?;
    let (_, shb) = pcap_parser::pcapng::parse_sectionheaderblock(&head).ok()?;
    Some(application_name(shb.shb_userappl()?.ok()?))
}

fn hex(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn libpcap_err(path: &str, e: pcap::Error) -> CaptureError {
    CaptureError::Libpcap {
        path: path.to_string(),
        message: e.to_string(),
    }
}

fn read_with_libpcap(
    file_path: &std::path::Path,
    path: &str,
    format: FileFormat,
    filter: Option<&str>,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) -> Result<ReadSummary, CaptureError> {
    let mut cap = pcap::Capture::from_file(file_path).map_err(|e| {
        let msg = e.to_string();
        if path == "-" && msg.contains("unknown file format") {
            CaptureError::NotACapture {
                path: "standard input".into(),
                magic: "not recognised by libpcap".into(),
            }
        } else {
            libpcap_err(path, e)
        }
    })?;
    if let Some(expr) = filter {
        cap.filter(expr, true).map_err(|e| CaptureError::Filter {
            filter: expr.to_string(),
            message: e.to_string(),
        })?;
    }
    let linktype = cap.get_datalink().0 as u32;
    let mut frames = 0u64;
    let end = loop {
        match cap.next_packet() {
            Ok(p) => {
                frames += 1;
                let ts_us = crate::frame::clamp_ts(
                    p.header
                        .ts
                        .tv_sec
                        .saturating_mul(1_000_000)
                        .saturating_add(p.header.ts.tv_usec),
                );
                on_frame(&Frame {
                    ts_us,
                    linktype,
                    wire_len: p.header.len,
                    data: p.data,
                });
            }
            Err(pcap::Error::NoMorePackets) => break CaptureEnd::Complete,
            Err(e) => {
                let at = damage_offset(file_path, format)
                    .map(|o| format!(" (the bad block or record begins at byte {o})"))
                    .unwrap_or_default();
                break CaptureEnd::Damaged {
                    after_frame: frames,
                    message: format!("{e}{at}"),
                };
            }
        }
    };
    Ok(ReadSummary {
        path: path.to_string(),
        format,
        linktypes: vec![linktype],
        frames,
        filtered_out: 0,
        end,
        application: None,
    })
}

struct Iface {
    linktype: u32,
    ts_offset: i64,
    ts_resol: u64,
    filter: Option<pcap::BpfProgram>,
}

/// Reads a pcapng file with pcap-parser, handing over only the frames after
/// the first `skip` (those libpcap already delivered).
fn read_pcapng_mixed(
    file_path: &std::path::Path,
    path: &str,
    filter: Option<&str>,
    on_frame: &mut dyn FnMut(&Frame<'_>),
    skip: u64,
) -> Result<ReadSummary, CaptureError> {
    let file = File::open(file_path).map_err(|source| CaptureError::Open {
        path: path.to_string(),
        source,
    })?;
    let reader = PcapNGReader::new(1 << 20, file).map_err(|e| CaptureError::Libpcap {
        path: path.to_string(),
        message: format!("pcapng: {}", describe(&e)),
    })?;
    read_with_parser(
        path,
        Box::new(reader),
        FileFormat::Pcapng,
        filter,
        on_frame,
        skip,
    )
}

/// Reads a stream that can be read only once (standard input, a fifo,
/// process substitution): its magic number is read from the stream itself
/// and handed back to pcap-parser with the rest, so nothing is read twice.
/// pcap and pcapng, mixed link types included.
/// Reads a capture (pcap or pcapng, any link types) from any reader, as a
/// stream; `name` is what messages call it. What standard input, fifos and
/// the fuzzer go through.
pub fn read_from<R: Read + Send>(
    name: &str,
    input: R,
    filter: Option<&str>,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) -> Result<ReadSummary, CaptureError> {
    read_stream(name, input, FileFormat::Stdin, filter, on_frame)
}

fn read_stream<R: Read + Send>(
    path: &str,
    mut input: R,
    format: FileFormat,
    filter: Option<&str>,
    on_frame: &mut dyn FnMut(&Frame<'_>),
) -> Result<ReadSummary, CaptureError> {
    let shown = if path == "-" { "standard input" } else { path };
    // The head of the stream: enough for pcap-parser to recognise the file
    // and read its first header in one go.
    let mut head = vec![0u8; STREAM_HEAD];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(source) => {
                return Err(CaptureError::Open {
                    path: shown.to_string(),
                    source,
                });
            }
        }
    }
    head.truncate(got);
    let mut magic = [0u8; 4];
    magic[..got.min(4)].copy_from_slice(&head[..got.min(4)]);
    let format = match magic {
        _ if got < 4 => {
            return Err(CaptureError::NotACapture {
                path: shown.to_string(),
                magic: if got == 0 {
                    "none: the input is empty".to_string()
                } else {
                    hex(&magic[..got])
                },
            });
        }
        m if m == PCAPNG_MAGIC && format != FileFormat::Stdin => FileFormat::Pcapng,
        m if PCAP_MAGICS.contains(&m) || m == PCAPNG_MAGIC => format,
        _ => {
            return Err(CaptureError::NotACapture {
                path: shown.to_string(),
                magic: hex(&magic),
            });
        }
    };
    let whole = std::io::Cursor::new(head).chain(input);
    let reader = pcap_parser::create_reader(1 << 20, whole).map_err(|e| CaptureError::Libpcap {
        path: shown.to_string(),
        message: format!("cannot read the capture: {}", describe(&e)),
    })?;
    let mut summary = read_with_parser(path, reader, format, filter, on_frame, 0)?;
    summary.path = path.to_string();
    Ok(summary)
}

/// Reads pcap or pcapng blocks with pcap-parser, handing over only the frames
/// after the first `skip`.
fn read_with_parser(
    path: &str,
    mut reader: Box<dyn PcapReaderIterator + '_>,
    format: FileFormat,
    filter: Option<&str>,
    on_frame: &mut dyn FnMut(&Frame<'_>),
    skip: u64,
) -> Result<ReadSummary, CaptureError> {
    // The legacy format's single link type, and whether its times are in ns.
    let mut legacy: Option<(Iface, bool)> = None;
    let mut ifaces: Vec<Iface> = Vec::new();
    let mut linktypes: Vec<u32> = Vec::new();
    let mut frames = 0u64;
    let mut filtered_out = 0u64;
    // Bytes of whole blocks read: where a bad block begins.
    let mut at = 0u64;
    // The byte order of the current pcapng section, once one has begun.
    let mut section_big_endian: Option<bool> = None;
    let mut application: Option<String> = None;
    let end = loop {
        if let Some(big) = section_big_endian
            && let Some(len) = short_block(reader.data(), big)
        {
            // pcap-parser 0.17 would underflow on such a block (a process
            // information block shorter than its own header and trailer).
            break CaptureEnd::Damaged {
                after_frame: frames,
                message: format!(
                    "the block at byte {at} claims a length of {len} bytes, \
                     less than the 12 of a block's header and trailer"
                ),
            };
        }
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => {
                        let lt = h.network.0 as u32;
                        if !linktypes.contains(&lt) {
                            linktypes.push(lt);
                        }
                        let prog = match filter {
                            Some(expr) => Some(compile_for(expr, lt)?),
                            None => None,
                        };
                        let ifc = Iface {
                            linktype: lt,
                            ts_offset: 0,
                            ts_resol: 1_000_000,
                            filter: prog,
                        };
                        legacy = Some((ifc, h.is_nanosecond_precision()));
                    }
                    PcapBlockOwned::Legacy(b) => {
                        if let Some((ifc, ns)) = &legacy {
                            let data = &b.data[..(b.caplen as usize).min(b.data.len())];
                            if ifc.filter.as_ref().is_none_or(|p| p.filter(data)) {
                                frames += 1;
                                let frac = if *ns {
                                    b.ts_usec as i64 / 1_000
                                } else {
                                    b.ts_usec as i64
                                };
                                if frames > skip {
                                    on_frame(&Frame {
                                        ts_us: b.ts_sec as i64 * 1_000_000 + frac,
                                        linktype: ifc.linktype,
                                        wire_len: b.origlen,
                                        data,
                                    });
                                }
                            } else {
                                filtered_out += 1;
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                        section_big_endian = Some(shb.big_endian());
                        if application.is_none() {
                            application = shb
                                .shb_userappl()
                                .and_then(Result::ok)
                                .map(application_name);
                        }
                        ifaces.clear();
                    }
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        let lt = idb.linktype.0 as u32;
                        if !linktypes.contains(&lt) {
                            linktypes.push(lt);
                        }
                        let prog = match filter {
                            Some(expr) => Some(compile_for(expr, lt)?),
                            None => None,
                        };
                        ifaces.push(Iface {
                            linktype: lt,
                            ts_offset: idb.ts_offset(),
                            ts_resol: idb.ts_resolution().unwrap_or(1_000_000),
                            filter: prog,
                        });
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        if let Some(ifc) = ifaces.get(epb.if_id as usize) {
                            let data = &epb.data[..(epb.caplen as usize).min(epb.data.len())];
                            let pass = ifc.filter.as_ref().is_none_or(|p| p.filter(data));
                            if pass {
                                frames += 1;
                                let ts = ((epb.ts_high as u64) << 32) | epb.ts_low as u64;
                                let ts_us = crate::frame::clamp_ts(
                                    to_micros(ts, ifc.ts_resol)
                                        .saturating_add(ifc.ts_offset.saturating_mul(1_000_000)),
                                );
                                if frames > skip {
                                    on_frame(&Frame {
                                        ts_us,
                                        linktype: ifc.linktype,
                                        wire_len: epb.origlen,
                                        data,
                                    });
                                }
                            } else {
                                filtered_out += 1;
                            }
                        }
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        if let Some(ifc) = ifaces.first() {
                            let pass = ifc.filter.as_ref().is_none_or(|p| p.filter(spb.data));
                            if pass {
                                frames += 1;
                                if frames > skip {
                                    on_frame(&Frame {
                                        ts_us: 0,
                                        linktype: ifc.linktype,
                                        wire_len: spb.origlen,
                                        data: spb.data,
                                    });
                                }
                            } else {
                                filtered_out += 1;
                            }
                        }
                    }
                    // Other block types (name resolution, statistics,
                    // custom, and types newer than this code) are skipped,
                    // as the pcapng specification says.
                    _ => {}
                }
                reader.consume(offset);
                at += offset as u64;
            }
            Err(PcapError::Eof) => break CaptureEnd::Complete,
            Err(PcapError::Incomplete(_)) => {
                if let Err(e) = reader.refill() {
                    break CaptureEnd::Damaged {
                        after_frame: frames,
                        message: format!("cannot read on at byte {at}: {}", describe(&e)),
                    };
                }
                if reader.reader_exhausted() && reader.data().is_empty() {
                    break CaptureEnd::Complete;
                }
                if reader.reader_exhausted() {
                    // Bytes remain but they never make a whole block.
                    match reader.next() {
                        Err(PcapError::Incomplete(_)) => {
                            break CaptureEnd::Damaged {
                                after_frame: frames,
                                message: format!(
                                    "the block at byte {at} is cut short by the end of the input"
                                ),
                            };
                        }
                        _ => continue,
                    }
                }
            }
            Err(PcapError::UnexpectedEof) => {
                break CaptureEnd::Damaged {
                    after_frame: frames,
                    message: format!("the input ends inside the record at byte {at}"),
                };
            }
            Err(e) => {
                break CaptureEnd::Damaged {
                    after_frame: frames,
                    message: format!("invalid block at byte {at}: {}", describe(&e)),
                };
            }
        }
    };
    Ok(ReadSummary {
        path: path.to_string(),
        format,
        linktypes,
        frames,
        filtered_out,
        end,
        application,
    })
}

/// The length a pcapng block at the head of `data` claims, when it is too
/// short to hold the block's own header and trailer. Section headers are
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

/// Where a damaged file's first bad block (pcapng) or record (pcap) begins,
/// found by walking the block lengths or record headers of the file (libpcap
/// does not say). `None` for a stream, or when the walk finds nothing wrong.
fn damage_offset(path: &std::path::Path, format: FileFormat) -> Option<u64> {
    use std::io::{Seek, SeekFrom};
    if path.as_os_str() == "-" {
        return None;
    }
    let mut f = File::open(path).ok()?;
    let size = f.metadata().ok()?.len();
    let mut head = [0u8; 24];
    f.read_exact(&mut head).ok()?;
    let mut at: u64;
    match format {
        FileFormat::Pcapng => {
            let le = u32::from_le_bytes([head[8], head[9], head[10], head[11]]) == 0x1a2b_3c4d;
            let word = |b: [u8; 4]| {
                if le {
                    u32::from_le_bytes(b)
                } else {
                    u32::from_be_bytes(b)
                }
            };
            at = 0;
            loop {
                if at >= size {
                    return None;
                }
                f.seek(SeekFrom::Start(at)).ok()?;
                let mut h = [0u8; 8];
                if f.read_exact(&mut h).is_err() {
                    return Some(at);
                }
                let len = u64::from(word([h[4], h[5], h[6], h[7]]));
                if len < 12 || len % 4 != 0 || at + len > size {
                    return Some(at);
                }
                at += len;
            }
        }
        _ => {
            let magic = [head[0], head[1], head[2], head[3]];
            let le = magic == [0xd4, 0xc3, 0xb2, 0xa1] || magic == [0x4d, 0x3c, 0xb2, 0xa1];
            let word = |b: &[u8]| {
                let b = [b[0], b[1], b[2], b[3]];
                if le {
                    u32::from_le_bytes(b)
                } else {
                    u32::from_be_bytes(b)
                }
            };
            let snaplen = u64::from(word(&head[16..20])).max(65_535);
            at = 24;
            loop {
                if at >= size {
                    return None;
                }
                f.seek(SeekFrom::Start(at)).ok()?;
                let mut h = [0u8; 16];
                if f.read_exact(&mut h).is_err() {
                    return Some(at);
                }
                let caplen = u64::from(word(&h[8..12]));
                if caplen > snaplen.max(262_144) || at + 16 + caplen > size {
                    return Some(at);
                }
                at += 16 + caplen;
            }
        }
    }
}

/// A pcap-parser error in words, without the bytes it carries.
fn describe<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::Eof => "end of the input".into(),
        PcapError::BufferTooSmall => {
            "a block larger than the 1 MiB read buffer (its length field is damaged)".into()
        }
        PcapError::UnexpectedEof | PcapError::Incomplete(_) => {
            "the input ends inside a block".into()
        }
        PcapError::ReadError => "the input could not be read".into(),
        PcapError::HeaderNotRecognized => "not a pcap or pcapng header".into(),
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => format!(
            "not a valid block ({}: a length, type or magic field that does not fit)",
            kind.description()
        ),
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

fn compile_for(expr: &str, linktype: u32) -> Result<pcap::BpfProgram, CaptureError> {
    let err = |e: pcap::Error| CaptureError::Filter {
        filter: expr.to_string(),
        message: e.to_string(),
    };
    let dead = pcap::Capture::dead(pcap::Linktype(linktype as i32)).map_err(err)?;
    dead.compile(expr, true).map_err(err)
}
