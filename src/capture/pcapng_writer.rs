//! A minimal pcapng writer (section header, one interface, enhanced packet
//! blocks, microsecond timestamps) for `live --write`: the packets seen, kept
//! for a support ticket. libpcap's own dump writer only writes classic pcap.

use std::io::{self, Write};

/// Writes pcapng to any `Write`.
pub struct PcapngWriter<W: Write> {
    out: W,
    packets: u64,
}

fn pad4(n: usize) -> usize {
    (4 - n % 4) % 4
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header and one interface description.
    pub fn new(mut out: W, linktype: u16, snaplen: u32) -> io::Result<Self> {
        // Section Header Block: type, length, byte-order magic, version 1.0,
        // section length unknown (-1), no options, length again.
        let mut shb = Vec::with_capacity(28);
        shb.extend_from_slice(&0x0a0d_0d0au32.to_le_bytes());
        shb.extend_from_slice(&28u32.to_le_bytes());
        shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        shb.extend_from_slice(&28u32.to_le_bytes());
        out.write_all(&shb)?;
        // Interface Description Block: link type, reserved, snap length,
        // no options (microsecond resolution is the default).
        let mut idb = Vec::with_capacity(20);
        idb.extend_from_slice(&1u32.to_le_bytes());
        idb.extend_from_slice(&20u32.to_le_bytes());
        idb.extend_from_slice(&linktype.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&snaplen.to_le_bytes());
        idb.extend_from_slice(&20u32.to_le_bytes());
        out.write_all(&idb)?;
        Ok(PcapngWriter { out, packets: 0 })
    }

    /// Writes one packet.
    pub fn write(&mut self, ts_us: i64, wire_len: u32, data: &[u8]) -> io::Result<()> {
        let pad = pad4(data.len());
        let len = (32 + data.len() + pad) as u32;
        let ts = ts_us.max(0) as u64;
        let mut h = [0u8; 28];
        h[0..4].copy_from_slice(&6u32.to_le_bytes());
        h[4..8].copy_from_slice(&len.to_le_bytes());
        h[8..12].copy_from_slice(&0u32.to_le_bytes());
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
}
