//! DNS messages (RFC 1035), over UDP or TCP: header, the first question and the
//! A, AAAA and CNAME records of the answer section.
//!
//! Written for hostile input: every read is bounds-checked, compression pointers
//! are followed at most [`MAX_JUMPS`] times, names are capped at 255 bytes, and a
//! record the parser does not understand ends the walk without losing what came
//! before it. Names are returned in lower case, with any byte that is not a
//! printable ASCII character written as `\DDD` (as `dig` does), so that they are
//! safe to print.

use super::Progress;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Most compression pointers followed in one name.
pub const MAX_JUMPS: usize = 32;
/// Most answer records read from one message.
pub const MAX_ANSWERS: usize = 64;

/// Record types this parser reads.
pub mod rtype {
    /// IPv4 address
    pub const A: u16 = 1;
    /// Canonical name
    pub const CNAME: u16 = 5;
    /// IPv6 address
    pub const AAAA: u16 = 28;
}

/// The data of an answer record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerData {
    /// An A or AAAA record.
    Addr(IpAddr),
    /// A CNAME record: the canonical name.
    Cname(String),
}

/// One answer record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// Owner name.
    pub name: String,
    /// TTL in seconds.
    pub ttl: u32,
    /// The record's data.
    pub data: AnswerData,
}

/// A parsed DNS message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Transaction id.
    pub id: u16,
    /// True for a response.
    pub response: bool,
    /// Response code (low 4 bits of the header).
    pub rcode: u8,
    /// First question: name and type.
    pub question: Option<(String, u16)>,
    /// A, AAAA and CNAME answers, in order.
    pub answers: Vec<Answer>,
}

impl Message {
    /// Follows the CNAME chain in the answers backwards from `owner` to its head:
    /// the name the client asked for. Bounded by the number of answers.
    pub fn chain_head<'m>(&'m self, owner: &'m str) -> &'m str {
        let mut cur = owner;
        for _ in 0..self.answers.len() {
            let prev = self.answers.iter().find_map(|a| match &a.data {
                AnswerData::Cname(target) if target == cur => Some(a.name.as_str()),
                _ => None,
            });
            match prev {
                Some(p) if p != cur => cur = p,
                _ => break,
            }
        }
        cur
    }
}

/// Parses one DNS message carried in a UDP datagram.
pub fn parse(msg: &[u8]) -> Option<Message> {
    let h = msg.get(..12)?;
    let id = u16::from_be_bytes([h[0], h[1]]);
    let response = h[2] & 0x80 != 0;
    let opcode = (h[2] >> 3) & 0x0f;
    if opcode > 6 {
        return None;
    }
    let rcode = h[3] & 0x0f;
    let qd = u16::from_be_bytes([h[4], h[5]]) as usize;
    let an = u16::from_be_bytes([h[6], h[7]]) as usize;
    let mut off = 12;
    let mut question = None;
    for i in 0..qd.min(8) {
        let (name, next) = read_name(msg, off)?;
        let t = msg.get(next..next + 4)?;
        if i == 0 {
            question = Some((name, u16::from_be_bytes([t[0], t[1]])));
        }
        off = next + 4;
    }
    let mut answers = Vec::new();
    if response {
        for r in records(msg, off, an.min(MAX_ANSWERS)) {
            if r.class != 1 {
                continue;
            }
            let Some((name, _)) = read_name(msg, r.owner) else {
                break;
            };
            let d = r.data;
            let data = match (r.rtype, d.len()) {
                (rtype::A, 4) => {
                    AnswerData::Addr(IpAddr::V4(Ipv4Addr::new(d[0], d[1], d[2], d[3])))
                }
                (rtype::AAAA, 16) => {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(d);
                    AnswerData::Addr(IpAddr::V6(Ipv6Addr::from(a)))
                }
                (rtype::CNAME, _) => match read_name(msg, r.data_at) {
                    Some((n, _)) => AnswerData::Cname(n),
                    // An unreadable target: skip the record, its length is known.
                    None => continue,
                },
                _ => continue,
            };
            answers.push(Answer {
                name,
                ttl: r.ttl,
                data,
            });
        }
    }
    Some(Message {
        id,
        response,
        rcode,
        question,
        answers,
    })
}

/// A resource record read in place.
#[derive(Debug, Clone, Copy)]
pub struct RawRecord<'a> {
    /// Where its owner name begins in the message.
    pub owner: usize,
    /// Its type.
    pub rtype: u16,
    /// Its class (mDNS's cache-flush bit cleared).
    pub class: u16,
    /// Its TTL.
    pub ttl: u32,
    /// Where its data begins in the message (a name in it may point back).
    pub data_at: usize,
    /// Its data.
    pub data: &'a [u8],
}

/// The resource records from `off` on, at most `count`: the walk ends at
/// the first one that cannot be read.
pub fn records(msg: &[u8], mut off: usize, count: usize) -> impl Iterator<Item = RawRecord<'_>> {
    (0..count).map_while(move |_| {
        let owner = off;
        let (_, next) = walk_name(msg, off, |_| {}).map(|end| ((), end))?;
        let f = msg.get(next..next + 10)?;
        let len = u16::from_be_bytes([f[8], f[9]]) as usize;
        let data_at = next + 10;
        let data = msg.get(data_at..data_at + len)?;
        off = data_at + len;
        Some(RawRecord {
            owner,
            rtype: u16::from_be_bytes([f[0], f[1]]),
            class: u16::from_be_bytes([f[2], f[3]]) & 0x7fff,
            ttl: u32::from_be_bytes([f[4], f[5], f[6], f[7]]),
            data_at,
            data,
        })
    })
}

/// DNS over TCP: each message is preceded by a 2-byte length. Parses the first
/// message of a reassembled stream.
pub fn parse_tcp(stream: &[u8]) -> Progress<(Message, usize)> {
    let Some(l) = stream.get(..2) else {
        return Progress::NeedMore(2);
    };
    let len = u16::from_be_bytes([l[0], l[1]]) as usize;
    if len < 12 {
        return Progress::NotThis;
    }
    match stream.get(2..2 + len) {
        None => Progress::NeedMore(2 + len),
        Some(m) => match parse(m) {
            Some(msg) => Progress::Done((msg, 2 + len)),
            None => Progress::NotThis,
        },
    }
}

/// Reads a possibly compressed name at `off`; returns it and the offset just
/// after it in the original position.
pub fn read_name(msg: &[u8], off: usize) -> Option<(String, usize)> {
    // Most names fit: one allocation instead of a growth per few labels.
    let mut out = String::with_capacity(64);
    let end = walk_name(msg, off, |label| {
        if !out.is_empty() {
            out.push('.');
        }
        for &b in label {
            match b {
                b'A'..=b'Z' => out.push((b + 32) as char),
                b'.' | b'\\' => {
                    out.push('\\');
                    out.push(b as char);
                }
                0x21..=0x7e => out.push(b as char),
                _ => out.push_str(&format!("\\{b:03}")),
            }
        }
    })?;
    if out.is_empty() {
        out.push('.');
    }
    Some((out, end))
}

/// Reads a possibly compressed name at `off` as it would be written without
/// compression (length-prefixed labels and the root's zero); returns it and
/// the offset just after the name in its original position.
pub fn read_name_wire(msg: &[u8], off: usize) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::with_capacity(64);
    let end = walk_name(msg, off, |label| {
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    })?;
    out.push(0);
    Some((out, end))
}

/// Walks the labels of a possibly compressed name at `off`, at most 255
/// bytes and [`MAX_JUMPS`] pointers; returns the offset just after the name
/// in its original position.
fn walk_name(msg: &[u8], mut off: usize, mut label: impl FnMut(&[u8])) -> Option<usize> {
    let mut end_after: Option<usize> = None;
    let mut jumps = 0;
    let mut wire_len = 0usize;
    loop {
        let len = *msg.get(off)? as usize;
        match len >> 6 {
            0 => {
                if len == 0 {
                    return Some(end_after.unwrap_or(off + 1));
                }
                let l = msg.get(off + 1..off + 1 + len)?;
                wire_len += len + 1;
                if wire_len > 255 {
                    return None;
                }
                label(l);
                off += 1 + len;
            }
            3 => {
                let lo = *msg.get(off + 1)? as usize;
                if end_after.is_none() {
                    end_after = Some(off + 2);
                }
                jumps += 1;
                if jumps > MAX_JUMPS {
                    return None;
                }
                off = ((len & 0x3f) << 8) | lo;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response laid out by RFC 1035 with compression pointers (question,
    /// CNAME, A), built here so that each pointer case is exercised; real
    /// responses are checked end to end against tshark in `tests/`.
    fn response() -> Vec<u8> {
        let mut m = vec![
            0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, // header
        ];
        // question at 12: cache1.blob.core.windows.net A IN
        for l in ["cache1", "blob", "core", "windows", "net"] {
            m.push(l.len() as u8);
            m.extend_from_slice(l.as_bytes());
        }
        m.push(0);
        m.extend_from_slice(&[0, 1, 0, 1]);
        // answer 1: ptr to 12, CNAME -> blob.x.store.core.windows.net (ptr to "core" at 12+7+5)
        m.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 60]);
        let rdata: Vec<u8> = [
            &[4u8][..],
            b"blob",
            &[1],
            b"x",
            &[5],
            b"store",
            &[0xc0, 12 + 7 + 5],
        ]
        .concat();
        m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        let target_off = m.len();
        m.extend_from_slice(&rdata);
        // answer 2: ptr to the CNAME target, A 13.68.163.36
        m.extend_from_slice(&[
            0xc0,
            target_off as u8,
            0,
            1,
            0,
            1,
            0,
            0,
            0,
            30,
            0,
            4,
            13,
            68,
            163,
            36,
        ]);
        m
    }

    #[test]
    fn parses_cname_chain_and_finds_its_head() {
        let m = parse(&response()).expect("parses");
        assert!(m.response);
        assert_eq!(m.rcode, 0);
        assert_eq!(
            m.question,
            Some(("cache1.blob.core.windows.net".into(), rtype::A))
        );
        assert_eq!(m.answers.len(), 2);
        assert_eq!(
            m.answers[0].data,
            AnswerData::Cname("blob.x.store.core.windows.net".into())
        );
        assert_eq!(m.answers[1].name, "blob.x.store.core.windows.net");
        assert_eq!(
            m.answers[1].data,
            AnswerData::Addr("13.68.163.36".parse().unwrap())
        );
        assert_eq!(
            m.chain_head(&m.answers[1].name),
            "cache1.blob.core.windows.net"
        );
    }

    #[test]
    fn every_truncation_is_handled() {
        let full = response();
        for cut in 0..full.len() {
            let _ = parse(&full[..cut]);
        }
    }

    #[test]
    fn pointer_loops_end() {
        let mut m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert!(parse(&m).is_none());
    }

    #[test]
    fn odd_bytes_are_escaped() {
        let mut m = vec![0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(&[3, b'a', 0x1b, b'B', 0, 0, 1, 0, 1]);
        let q = parse(&m).unwrap().question.unwrap();
        assert_eq!(q.0, "a\\027b");
    }

    #[test]
    fn tcp_framing() {
        let r = response();
        let mut s = (r.len() as u16).to_be_bytes().to_vec();
        s.extend_from_slice(&r[..10]);
        assert_eq!(parse_tcp(&s), Progress::NeedMore(2 + r.len()));
        s.extend_from_slice(&r[10..]);
        assert!(matches!(parse_tcp(&s), Progress::Done((_, n)) if n == 2 + r.len()));
    }
}
