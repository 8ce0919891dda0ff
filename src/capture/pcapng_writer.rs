//! A minimal pcapng writer (section header with comment, interfaces,
//! enhanced packet blocks, microsecond timestamps) for `live --write` and
//! support bundles. libpcap's own dump writer only writes classic pcap, one
//! link type per file.

use std::io::{self, Write};

/// Writes pcapng to any `Write`.
pub struct PcapngWriter<W: Write> {
    out: W,
    packets: u64,
    interfaces: u32,
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

/// Section header option codes.
const OPT_COMMENT: u16 = 1;
const SHB_USERAPPL: u16 = 4;

/// A Section Header Block: little-endian, version 1.0, section length
/// unknown, with a comment and the writing application when given.
pub fn section_header(comment: Option<&str>, application: Option<&str>) -> Vec<u8> {
    let mut opts = Vec::new();
    for (code, text) in [(OPT_COMMENT, comment), (SHB_USERAPPL, application)] {
        let Some(text) = text else { continue };
        let v = text.as_bytes();
        let v = &v[..v.len().min(u16::MAX as usize - 3)];
        opts.extend_from_slice(&code.to_le_bytes());
        opts.extend_from_slice(&(v.len() as u16).to_le_bytes());
        opts.extend_from_slice(v);
        opts.extend_from_slice(&[0u8; 3][..pad4(v.len())]);
    }
    if !opts.is_empty() {
        opts.extend_from_slice(&[0u8; 4]); // opt_endofopt
    }
    let len = (28 + opts.len()) as u32;
    let mut shb = Vec::with_capacity(len as usize);
    shb.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes());
    shb.extend_from_slice(&len.to_le_bytes());
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    shb.extend_from_slice(&opts);
    shb.extend_from_slice(&len.to_le_bytes());
    shb
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header and one interface description.
    pub fn new(mut out: W, linktype: u16, snaplen: u32) -> io::Result<Self> {
        out.write_all(&section_header(None, None))?;
        let mut w = PcapngWriter {
            out,
            packets: 0,
            interfaces: 0,
        };
        w.add_interface(linktype, snaplen)?;
        Ok(w)
    }

    /// A writer of blocks after a section header written elsewhere (see
    /// [`section_header`]): interfaces are added as they are needed.
    pub fn blocks(out: W) -> Self {
        PcapngWriter {
            out,
            packets: 0,
            interfaces: 0,
        }
    }

    /// Writes an Interface Description Block (microsecond resolution, the
    /// default); returns its interface id.
    pub fn add_interface(&mut self, linktype: u16, snaplen: u32) -> io::Result<u32> {
        let mut idb = Vec::with_capacity(20);
        idb.extend_from_slice(&1u32.to_le_bytes());
        idb.extend_from_slice(&20u32.to_le_bytes());
        idb.extend_from_slice(&linktype.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&snaplen.to_le_bytes());
        idb.extend_from_slice(&20u32.to_le_bytes());
        self.out.write_all(&idb)?;
        self.interfaces += 1;
        Ok(self.interfaces - 1)
    }

    /// Writes one packet on the first interface.
    pub fn write(&mut self, ts_us: i64, wire_len: u32, data: &[u8]) -> io::Result<()> {
        self.write_on(0, ts_us, wire_len, data)
    }

    /// Writes one packet on interface `iface`: `data` as captured (perhaps
    /// shorter than the packet was), `wire_len` its length on the wire.
    pub fn write_on(
        &mut self,
        iface: u32,
        ts_us: i64,
        wire_len: u32,
        data: &[u8],
    ) -> io::Result<()> {
        let pad = pad4(data.len());
        let len = (32 + data.len() + pad) as u32;
        let ts = ts_us.max(0) as u64;
        let mut h = [0u8; 28];
        h[0..4].copy_from_slice(&6u32.to_le_bytes());
        h[4..8].copy_from_slice(&len.to_le_bytes());
        h[8..12].copy_from_slice(&iface.to_le_bytes());
        h[12..16].copy_from_slice(&((ts >> 32) as u32).to_le_bytes());
        h[16..20].copy_from_slice(&(ts as u32).to_le_bytes());
        h[20..24].copy_from_slice(&(data.len() as u32).to_le_bytes());
        h[24..28].copy_from_slice(&wire_len.to_le_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(data)?;
        self.out.write_all(&[0u8; 3][..pad])?;
        self.out.write_all(&len.to_le_bytes())?;
        self.packets += 1;
        Ok(())
    }

    /// Packets written.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// The writer, to flush it between packets (every block written so far
    /// is whole there).
    pub fn get_mut(&mut self) -> &mut W {
        &mut self.out
    }

    /// Flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_file_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.pcapng");
        let f = std::fs::File::create(&p).unwrap();
        let mut w = PcapngWriter::new(f, 1, 65535).unwrap();
        w.write(1_700_000_000_123_456, 60, &[0xaa; 42]).unwrap();
        w.write(1_700_000_001_000_000, 1514, &[0x55; 100]).unwrap();
        w.finish().unwrap();
        let mut got = Vec::new();
        let s = crate::capture::read_capture(&p, None, &mut |f| {
            got.push((f.ts_us, f.wire_len, f.data.to_vec()))
        })
        .unwrap();
        assert_eq!(s.format, crate::model::FileFormat::Pcapng);
        assert_eq!(s.end, crate::model::CaptureEnd::Complete);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], (1_700_000_000_123_456, 60, vec![0xaa; 42]));
        assert_eq!(got[1].1, 1514);
    }

    #[test]
    fn section_comment_and_two_link_types_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("y.pcapng");
        let mut f = std::fs::File::create(&p).unwrap();
        f.write_all(&section_header(Some("kept: 2 packets"), Some("asrscope")))
            .unwrap();
        let mut w = PcapngWriter::blocks(f);
        let eth = w.add_interface(1, 262_144).unwrap();
        let raw = w.add_interface(101, 262_144).unwrap();
        w.write_on(eth, 1_700_000_000_000_001, 60, &[0x11; 14])
            .unwrap();
        w.write_on(raw, 1_700_000_000_000_002, 1500, &[0x45; 21])
            .unwrap();
        w.finish().unwrap();
        let mut got = Vec::new();
        let s = crate::capture::read_capture(&p, None, &mut |f| {
            got.push((f.linktype, f.wire_len, f.data.len()))
        })
        .unwrap();
        assert_eq!(s.end, crate::model::CaptureEnd::Complete);
        assert_eq!(s.linktypes, vec![1, 101]);
        assert_eq!(got, vec![(1, 60, 14), (101, 1500, 21)]);
        let bytes = std::fs::read(&p).unwrap();
        assert!(bytes.windows(15).any(|w| w == b"kept: 2 packets"));
    }
}
