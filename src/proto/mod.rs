//! Application parsers: pure functions over the reassembled first bytes of a
//! flow. They know nothing of flows or Azure; they say whether they need more
//! bytes, found what they look for, or that the bytes are not theirs.

pub mod dns;
pub mod http_connect;
pub mod tls;

/// The outcome of parsing a prefix of a byte stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress<T> {
    /// The bytes so far are a valid beginning; at least this many bytes in all
    /// are needed before trying again.
    NeedMore(usize),
    /// Parsed.
    Done(T),
    /// The bytes are not this protocol (or are malformed beyond use).
    NotThis,
}

/// Turns protocol bytes into a printable string: printable ASCII is kept, a
/// backslash is doubled, and any other byte becomes `\DDD` (decimal, as `dig`
/// writes DNS labels). Names from captures go through this before they are
/// stored, so no control character ever reaches a view.
pub fn printable(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\{c:03}")),
        }
    }
    s
}
