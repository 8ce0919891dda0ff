//! Application parsers: pure functions over the reassembled first bytes of a
//! flow. They know nothing of flows or Azure; they say whether they need more
//! bytes, found what they look for, or that the bytes are not theirs.

pub mod dns;
pub mod http;
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

pub use crate::sanitize::printable;
