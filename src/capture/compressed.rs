//! Compressed captures: gzip (`.pcap.gz`, `.pcapng.gz`) and zstd, as
//! Wireshark reads them.
//!
//! Told by the magic number (gzip `1f 8b`, zstd `28 b5 2f fd`), never by the
//! file name, and decompressed as a stream in front of the capture reader:
//! memory is the reader's chunk plus the decoder's window (32 KiB for gzip,
//! at most [`MAX_ZSTD_WINDOW`] for zstd), whatever the size of the capture
//! or how much it inflates. Concatenated gzip members and zstd frames (what
//! `pigz` and `zstd -T0` may write, or `cat a.gz b.gz`) are read one after
//! the other; zstd skippable frames are skipped. A stream that ends early or
//! does not decode is a read error of the capture reader, reported after
//! the frames before it.

use ruzstd::decoding::errors::{FrameDecoderError, ReadFrameHeaderError};
use ruzstd::decoding::{BlockDecodingStrategy, FrameDecoder};
use std::io::{BufRead, BufReader, Read};

/// Largest zstd window accepted: what `zstd -d` itself accepts without
/// `--memory` (window log 27), so any file it decompresses is read.
pub(crate) const MAX_ZSTD_WINDOW: u64 = 128 << 20;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// How a capture is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// gzip (RFC 1952), one or more members.
    Gzip,
    /// Zstandard (RFC 8878), one or more frames.
    Zstd,
}

impl Compression {
    /// The compression the first bytes of an input say, if any.
    pub(crate) fn sniff(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&ZSTD_MAGIC) {
            Some(Compression::Zstd)
        } else if head.starts_with(&GZIP_MAGIC) {
            Some(Compression::Gzip)
        } else {
            None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// `input` as the capture it holds: decompressed when its first bytes are
/// a gzip or zstd magic number, else as it is. The first bytes are read
/// here (so standard input and fifos work) and handed on.
pub(crate) fn decompressed<'a, R: Read + 'a>(mut input: R) -> std::io::Result<Box<dyn Read + 'a>> {
    let mut head = [0u8; 4];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let whole = std::io::Cursor::new(head[..got].to_vec()).chain(input);
    Ok(match Compression::sniff(&head[..got]) {
        None => Box::new(whole),
        Some(c @ Compression::Gzip) => Box::new(Named {
            inner: flate2::read::MultiGzDecoder::new(whole),
            compression: c,
        }),
        Some(c @ Compression::Zstd) => Box::new(Named {
            inner: ZstdFrames {
                input: BufReader::new(whole),
                frame: None,
            },
            compression: c,
        }),
    })
}

/// A decoder whose errors say which compression failed and what that
/// means for the capture.
struct Named<D> {
    inner: D,
    compression: Compression,
}

impl<D: Read> Read for Named<D> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::UnexpectedEof {
                "ends early (the file is truncated)".to_string()
            } else {
                format!("is damaged ({e})")
            };
            std::io::Error::new(
                e.kind(),
                format!("the {} compressed data {what}", self.compression.name()),
            )
        })
    }
}

/// zstd frames one after the other, each decoded block by block.
struct ZstdFrames<R> {
    input: R,
    /// The frame being decoded; `None` between frames.
    frame: Option<FrameDecoder>,
}

impl<R: BufRead> ZstdFrames<R> {
    /// Begins the next frame, skipping skippable ones: false at the end of
    /// the input.
    fn next_frame(&mut self) -> std::io::Result<bool> {
        loop {
            if self.input.fill_buf()?.is_empty() {
                return Ok(false);
            }
            let mut frame = FrameDecoder::new();
            frame.set_max_window_size(MAX_ZSTD_WINDOW);
            match frame.init(&mut self.input) {
                Ok(()) => {
                    self.frame = Some(frame);
                    return Ok(true);
                }
                Err(FrameDecoderError::ReadFrameHeaderError(ReadFrameHeaderError::SkipFrame {
                    length,
                    ..
                })) => {
                    let want = u64::from(length);
                    let skipped =
                        std::io::copy(&mut (&mut self.input).take(want), &mut std::io::sink())?;
                    if skipped < want {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                }
                Err(e) => return Err(zstd_error(e)),
            }
        }
    }
}

fn zstd_error(e: FrameDecoderError) -> std::io::Error {
    let text = e.to_string();
    // ruzstd says "failed to fill whole buffer" where the input ended.
    if text.contains("fill whole buffer") || text.contains("end of file") {
        std::io::ErrorKind::UnexpectedEof.into()
    } else {
        std::io::Error::new(std::io::ErrorKind::InvalidData, text)
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(frame) = self.frame.as_mut() else {
                if !self.next_frame()? {
                    return Ok(0);
                }
                continue;
            };
            while frame.can_collect() == 0 && !frame.is_finished() {
                frame
                    .decode_blocks(&mut self.input, BlockDecodingStrategy::UptoBlocks(1))
                    .map_err(zstd_error)?;
            }
            let n = frame.read(buf)?;
            if n > 0 {
                return Ok(n);
            }
            // The frame is finished and drained.
            self.frame = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn told_by_magic_number() {
        assert_eq!(
            Compression::sniff(&[0x1f, 0x8b, 8, 0]),
            Some(Compression::Gzip)
        );
        assert_eq!(Compression::sniff(&ZSTD_MAGIC), Some(Compression::Zstd));
        assert_eq!(Compression::sniff(&[0x0a, 0x0d, 0x0d, 0x0a]), None);
        assert_eq!(Compression::sniff(&[0x1f]), None);
    }

    #[test]
    fn plain_input_is_handed_on_whole() {
        let data = b"\x0a\x0d\x0d\x0arest of it".to_vec();
        let mut out = Vec::new();
        decompressed(&data[..])
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, data);
    }

    #[test]
    fn gzip_members_are_read_one_after_the_other() {
        use std::io::Write;
        let mut gz = Vec::new();
        for part in [&b"first "[..], b"second"] {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(part).unwrap();
            gz.extend(e.finish().unwrap());
        }
        let mut out = Vec::new();
        decompressed(&gz[..])
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, b"first second");
        let cut = &gz[..gz.len() - 10];
        let err = decompressed(cut)
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the gzip compressed data ends early (the file is truncated)"
        );
    }

    #[test]
    fn zstd_frames_and_skippable_frames_are_read() {
        use ruzstd::encoding::{CompressionLevel, compress_to_vec};
        let mut z = compress_to_vec(&b"first "[..], CompressionLevel::Fastest);
        // A skippable frame: magic 0x184D2A50, length 3, 3 bytes.
        z.extend([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
        z.extend(compress_to_vec(&b"second"[..], CompressionLevel::Fastest));
        let mut out = Vec::new();
        decompressed(&z[..]).unwrap().read_to_end(&mut out).unwrap();
        assert_eq!(out, b"first second");
        let big: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let z = compress_to_vec(&big[..], CompressionLevel::Fastest);
        let err = decompressed(&z[..z.len() / 2])
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the zstd compressed data ends early (the file is truncated)"
        );
    }

    #[test]
    fn a_zstd_window_past_the_limit_is_refused_before_it_is_allocated() {
        // A frame header asking for a 2 GiB window (window log 31).
        let bomb = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 21 << 3, 0, 0, 0, 0];
        let err = decompressed(&bomb[..])
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(
            err.to_string()
                .starts_with("the zstd compressed data is damaged (")
                && err
                    .to_string()
                    .contains("Requested: 2147483648, Max: 134217728"),
            "{err}"
        );
    }
}
