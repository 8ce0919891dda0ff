//! How a capture's damage reads: the `message` of a damaged input's `end`,
//! the text report's `STOPPED` line and the problem told on standard error.

use crate::model::{CaptureDamage, FileFormat, ParseFailure};

/// The damage that stopped the reading, in words: "the record at byte
/// 26992 is cut short by the end of the input".
pub fn damage(d: &CaptureDamage) -> String {
    match d {
        CaptureDamage::CaplenOverSnaplen { at, caplen, max } => format!(
            "the record at byte {at} claims {caplen} captured bytes, more than the file's snap length allows ({max}): its header is damaged"
        ),
        CaptureDamage::BlockShorterThanHeader { at, len } => format!(
            "the block at byte {at} claims a length of {len} bytes, less than the 12 of a block's header and trailer"
        ),
        CaptureDamage::Invalid { at, failure } => {
            format!("invalid block at byte {at}: {}", parse_failure(failure))
        }
        CaptureDamage::CutShort { at, format } => format!(
            "the {} at byte {at} is cut short by the end of the input",
            match format {
                FileFormat::Pcap => "record",
                FileFormat::Pcapng => "block",
            }
        ),
        CaptureDamage::Oversized { at, max } => format!(
            "the block at byte {at} is longer than {} MiB: its length field is damaged",
            max >> 20
        ),
        CaptureDamage::Read { at, error } => format!("cannot read on at byte {at}: {error}"),
        CaptureDamage::Unreadable { error } => error.clone(),
    }
}

/// What the parser found wrong with a record or block.
pub fn parse_failure(f: &ParseFailure) -> String {
    match f {
        ParseFailure::EndsInside => "the input ends inside a block".into(),
        ParseFailure::EndOfInput => "end of the input".into(),
        ParseFailure::TooLarge => "a block too large to read".into(),
        ParseFailure::ReadFailed => "the input could not be read".into(),
        ParseFailure::HeaderNotRecognized => "not a pcap or pcapng header".into(),
        ParseFailure::BadField { parser_error } => format!(
            "not a valid block ({parser_error}: a length, type or magic field that does not fit)"
        ),
    }
}

/// The problem a damaged input is told as on standard error (and in a
/// support bundle's notes): `path` as shown, the frames read before it.
pub fn stopped(path: &str, after_frame: u64, d: &CaptureDamage) -> String {
    format!(
        "{path}: stopped after frame {after_frame}: {}; the frames before it were analysed (the file is damaged or was cut short)",
        damage(d)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_damage_names_its_byte_and_numbers() {
        let cases = [
            (
                CaptureDamage::CaplenOverSnaplen {
                    at: 24,
                    caplen: 300_000,
                    max: 262_144,
                },
                "the record at byte 24 claims 300000 captured bytes, more than the file's snap length allows (262144): its header is damaged",
            ),
            (
                CaptureDamage::BlockShorterThanHeader { at: 28, len: 8 },
                "the block at byte 28 claims a length of 8 bytes, less than the 12 of a block's header and trailer",
            ),
            (
                CaptureDamage::Invalid {
                    at: 96,
                    failure: ParseFailure::BadField {
                        parser_error: "Verify".into(),
                    },
                },
                "invalid block at byte 96: not a valid block (Verify: a length, type or magic field that does not fit)",
            ),
            (
                CaptureDamage::CutShort {
                    at: 26_992,
                    format: FileFormat::Pcap,
                },
                "the record at byte 26992 is cut short by the end of the input",
            ),
            (
                CaptureDamage::CutShort {
                    at: 5,
                    format: FileFormat::Pcapng,
                },
                "the block at byte 5 is cut short by the end of the input",
            ),
            (
                CaptureDamage::Oversized {
                    at: 0,
                    max: 64 << 20,
                },
                "the block at byte 0 is longer than 64 MiB: its length field is damaged",
            ),
            (
                CaptureDamage::Read {
                    at: 7,
                    error: "Input/output error (os error 5)".into(),
                },
                "cannot read on at byte 7: Input/output error (os error 5)",
            ),
            (
                CaptureDamage::Unreadable {
                    error: "x.pcap: cannot open: gone".into(),
                },
                "x.pcap: cannot open: gone",
            ),
        ];
        for (d, want) in cases {
            assert_eq!(damage(&d), want);
        }
        assert_eq!(
            stopped(
                "x.pcap",
                3,
                &CaptureDamage::BlockShorterThanHeader { at: 28, len: 8 }
            ),
            "x.pcap: stopped after frame 3: the block at byte 28 claims a length of 8 bytes, less than the 12 of a block's header and trailer; the frames before it were analysed (the file is damaged or was cut short)"
        );
    }
}
