//! What of a kept TCP segment's payload stays in a bundle.
//!
//! Each direction of a Site Recovery flow is followed as a stream, in
//! sequence-number space, so that a retransmission or a copy of a segment is
//! treated as its first copy was:
//!
//! - TLS: every record header stays, and the whole of handshake,
//!   ChangeCipherSpec and alert records (hellos, certificates, alerts);
//!   application data (and heartbeat) record bodies go;
//! - of an HTTP head at the start of a stream (a proxy's CONNECT and its
//!   answer), the request line, the status line's version and code, the
//!   names `Proxy-Authorization`, `Proxy-Authenticate` with its scheme and
//!   `X-Squid-Error` with its error code stay; every other byte
//!   of the head, line ends aside, is overwritten with `x` (an allow-list:
//!   no field value, other field name or continuation line survives); what
//!   follows a 2xx answer is TLS again;
//! - anything else goes.
//!
//! Bytes that go are cut off the end of the packet (the packet block keeps
//! the original length, so TCP lengths, sequence numbers and rates read the
//! same), or overwritten with zeros where kept bytes follow them in the same
//! packet. Bytes that are not TLS and lie in the first [`ZERO_FILL`] bytes
//! of a stream are overwritten with zeros too: there the analysis reads every
//! byte to tell what the stream is, and zeros read as "not TLS, not HTTP"
//! just as the removed bytes did. Application-data bodies are cut wherever
//! they are: the analysis steps over them by their record headers.

use crate::proto::tls::MAX_RECORD;
use std::collections::VecDeque;

/// Stream offsets below this are blanked rather than cut (more than the
/// analysis reads of a stream: `analysis::app_state::CLIENT_CAP`).
pub(crate) const ZERO_FILL: u64 = 64 * 1024;
/// Kept spans remembered per direction, for retransmissions and copies.
const RING: usize = 256;
/// Longest HTTP head kept (the analysis reads 8 KiB).
const MAX_HEAD: u64 = 16 * 1024;
/// Longest header field name looked at.
const MAX_NAME: usize = 64;
/// The header fields whose names stay in a proxy's head: the analysis reads
/// whether the client sent credentials (`Proxy-Authorization`; its value
/// never stays), the scheme the proxy asks for (`Proxy-Authenticate`; the
/// first word of its value stays, nothing after it) and where a refusal's
/// body ends (`Content-Length`'s digits), after which the proxy may answer
/// the client's second CONNECT on the same connection, and which Squid
/// error page a proxy or filter answered (`X-Squid-Error`: the error code,
/// its first word, stays: `ERR_ACCESS_DENIED`).
const KEPT_FIELDS: [&[u8]; 4] = [
    b"proxy-authorization",
    b"proxy-authenticate",
    b"content-length",
    b"x-squid-error",
];
/// Longest authentication scheme kept (`Negotiate` is 9 bytes).
const MAX_SCHEME: usize = 32;

/// What happens to a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dec {
    /// Stays.
    Keep,
    /// Stays as `x`.
    Scrub,
    /// Goes; zeros in the first [`ZERO_FILL`] bytes of the stream, where
    /// the analysis looks at every byte to tell what the stream is.
    Drop,
    /// The body of a TLS application-data record: goes, wherever it is (the
    /// analysis steps over such bodies by their record headers).
    Cut,
}

/// What becomes of one segment's payload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Payload bytes that stay in the packet; the rest is cut off.
    pub len: usize,
    /// Ranges below `len` written as zeros.
    pub zero: Vec<(usize, usize)>,
    /// Ranges below `len` written as `x`.
    pub scrub: Vec<(usize, usize)>,
}

impl Plan {
    /// The whole payload stays.
    pub(crate) fn whole(len: usize) -> Plan {
        Plan {
            len,
            ..Plan::default()
        }
    }

    /// Payload bytes overwritten with zeros or `x`.
    pub(crate) fn blanked(&self) -> usize {
        self.zero
            .iter()
            .chain(&self.scrub)
            .map(|(a, b)| b - a)
            .sum()
    }

    /// Appends the payload as the bundle keeps it to `out`.
    pub(crate) fn apply(&self, payload: &[u8], out: &mut Vec<u8>) {
        let at = out.len();
        out.extend_from_slice(&payload[..self.len.min(payload.len())]);
        let kept = &mut out[at..];
        for &(a, b) in &self.zero {
            kept[a..b].fill(0);
        }
        for &(a, b) in &self.scrub {
            kept[a..b].fill(b'x');
        }
    }
}

/// Which field's value a head line holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Field {
    /// Any field but the two below: nothing of it stays.
    #[default]
    Other,
    /// `Proxy-Authorization`: the name stays, the value never.
    Authorization,
    /// `Proxy-Authenticate`: the name and the scheme stay.
    Authenticate,
    /// `Content-Length`: the name and the digits stay.
    ContentLength,
    /// `X-Squid-Error`: the name and the error code stay.
    SquidError,
}

/// An HTTP head read byte by byte. Kept by allow-list: the request line,
/// the status line's version and code, line ends and each field's colon,
/// the names of [`KEPT_FIELDS`] and the scheme of `Proxy-Authenticate`.
/// Every other byte is overwritten with `x`, so the head keeps its length
/// and its shape (what the analysis and Wireshark read of it reads the
/// same), and no field's value, other name or continuation line survives.
#[derive(Debug, Clone, Default)]
struct Head {
    /// Bytes of the head so far.
    len: u64,
    /// The current line's field name so far (lower case, up to
    /// [`MAX_NAME`]).
    name: Vec<u8>,
    /// The name is longer than [`MAX_NAME`].
    long_name: bool,
    /// The current line is past its colon.
    in_value: bool,
    /// The field the current value belongs to.
    field: Field,
    /// Bytes of the `Proxy-Authenticate` scheme kept so far, and whether it
    /// ended.
    scheme: (usize, bool),
    /// The current line continues the previous field (obs-fold, RFC 9112
    /// §5.2: it starts with a space or a tab).
    continuation: bool,
    /// Bytes on the current line (CR excluded).
    line_len: usize,
    /// Still on the first line (request or status line).
    first_line: bool,
    /// The first line is a status line (the stream is a server's): its
    /// reason phrase does not stay, only the version and the code.
    status_line: bool,
    /// Fields of the first line begun so far.
    first_fields: u8,
    /// The last byte of the first line was a space.
    after_blank: bool,
    /// The status line's code, when the stream is a server's.
    status: Option<u16>,
    /// `Content-Length`'s value.
    content_length: Option<u64>,
    /// The first line's text, up to its fourth field's start.
    first: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
enum Mode {
    /// Nothing read yet.
    #[default]
    Start,
    /// TLS records: `have` bytes of the header at hand, then `body_left`
    /// bytes of a body that stays (`keep`) or goes.
    Tls {
        hdr: [u8; 5],
        have: u8,
        body_left: u64,
        keep: bool,
    },
    /// An HTTP head.
    Head(Box<Head>),
    /// The body of a proxy's refusal, this many bytes more: nothing of it
    /// stays; another answer may follow.
    Body(u64),
    /// Not TLS: nothing is kept.
    Opaque,
    /// TLS whose record boundaries were lost (a segment the capture does
    /// not hold): a record is looked for at the start of each new segment.
    Lost,
}

/// One direction of one flow.
#[derive(Debug, Default)]
pub(crate) struct Direction {
    /// The sequence number of stream offset 0 and the highest (sequence,
    /// offset) pair seen, to unwrap sequence numbers.
    anchor: Option<(u32, u64)>,
    /// The next stream offset not yet decided.
    frontier: u64,
    mode: Mode,
    /// Decided spans (start, end, what became of them), ascending: those
    /// that stay, stay as `x`, or were cut as application data.
    kept: VecDeque<(u64, u64, Dec)>,
}

impl Direction {
    /// Bytes of memory held.
    pub(crate) fn held(&self) -> usize {
        self.kept.capacity() * 24
            + match &self.mode {
                Mode::Head(h) => 128 + h.name.capacity() + h.first.capacity(),
                _ => 0,
            }
    }

    /// The stream offset of sequence number `seq`, negative before the
    /// stream's start.
    fn offset(&mut self, seq: u32) -> i64 {
        let (s0, o0) = *self.anchor.get_or_insert((seq, 0));
        let off = o0 as i64 + seq.wrapping_sub(s0) as i32 as i64;
        if off > o0 as i64 {
            self.anchor = Some((seq, off as u64));
        }
        off
    }

    /// Decides a segment's payload. `server` is the direction from the
    /// server; `syn` a SYN segment (its sequence number is the ISN).
    pub(crate) fn plan(&mut self, server: bool, seq: u32, syn: bool, payload: &[u8]) -> Plan {
        let seq = if syn {
            if self.anchor.is_none() {
                self.anchor = Some((seq.wrapping_add(1), 0));
            }
            seq.wrapping_add(1)
        } else {
            seq
        };
        if payload.is_empty() {
            return Plan::whole(0);
        }
        if self.anchor.is_none() {
            // The capture began after the connection did: the stream is
            // picked up at the first record header that starts a segment.
            self.mode = Mode::Lost;
        }
        let start = self.offset(seq);
        let n = payload.len();
        let mut decs: Vec<(usize, usize, Dec)> = Vec::new();
        let mut i = 0usize;
        if start < 0 {
            i = ((-start) as usize).min(n);
            push(&mut decs, 0, i, Dec::Drop);
        }
        // Bytes already decided: as they were the first time.
        if i < n && ((start + i as i64) as u64) < self.frontier {
            let from = (start + i as i64) as u64;
            let to = self.frontier.min(from + (n - i) as u64);
            self.recall(from, to, start, &mut decs);
            i = (to as i64 - start) as usize;
        }
        if i < n {
            let at = (start + i as i64) as u64;
            if at > self.frontier {
                self.gap(at);
            }
            let mut idle = 0;
            while i < n {
                let used = self.advance(&payload[i..], server, i == 0, |a, b, d| {
                    push(&mut decs, i + a, i + b, d)
                });
                if used == 0 {
                    // A mode change; a second one in a row would be a bug:
                    // never keep bytes undecided.
                    idle += 1;
                    if idle > 2 {
                        push(&mut decs, i, n, Dec::Drop);
                        self.frontier += (n - i) as u64;
                        break;
                    }
                }
                idle = if used > 0 { 0 } else { idle };
                i += used;
                self.frontier += used as u64;
            }
        }
        finish(&decs, start, n)
    }

    /// Decisions for bytes `from..to` of the stream, decided before.
    fn recall(&self, from: u64, to: u64, start: i64, decs: &mut Vec<(usize, usize, Dec)>) {
        let idx = |o: u64| (o as i64 - start) as usize;
        let mut at = from;
        for &(s, e, dec) in &self.kept {
            if e <= at {
                continue;
            }
            if s >= to {
                break;
            }
            if s > at {
                push(decs, idx(at), idx(s), Dec::Drop);
            }
            let (a, b) = (s.max(at), e.min(to));
            push(decs, idx(a), idx(b), dec);
            at = b;
        }
        if at < to {
            push(decs, idx(at), idx(to), Dec::Drop);
        }
    }

    /// The capture skipped bytes `frontier..at`: what they held is unknown.
    fn gap(&mut self, at: u64) {
        let g = at - self.frontier;
        self.mode = match std::mem::take(&mut self.mode) {
            // Inside a record's body the next header's place is known.
            Mode::Tls {
                hdr,
                have: 5,
                body_left,
                keep,
            } if g <= body_left => {
                let dec = if keep { Dec::Keep } else { Dec::Cut };
                remember(&mut self.kept, self.frontier, at, dec);
                if g == body_left {
                    TLS_START
                } else {
                    Mode::Tls {
                        hdr,
                        have: 5,
                        body_left: body_left - g,
                        keep,
                    }
                }
            }
            Mode::Body(left) if g < left => Mode::Body(left - g),
            Mode::Body(left) if g == left => Mode::Start,
            Mode::Opaque | Mode::Head(_) | Mode::Body(_) => Mode::Opaque,
            _ => Mode::Lost,
        };
        self.frontier = at;
    }

    /// Decides bytes at the frontier; returns how many it decided (at
    /// least one, unless the mode changed).
    fn advance<O: FnMut(usize, usize, Dec)>(
        &mut self,
        b: &[u8],
        server: bool,
        segment_start: bool,
        mut out: O,
    ) -> usize {
        let at = self.frontier;
        match self.mode {
            Mode::Start => self.start(b, server, &mut out),
            Mode::Opaque => {
                out(0, b.len(), Dec::Drop);
                b.len()
            }
            Mode::Lost if segment_start && plausible_record(b) => {
                self.mode = TLS_START;
                0
            }
            Mode::Lost => {
                out(0, b.len(), Dec::Drop);
                b.len()
            }
            Mode::Tls { have, .. } if have < 5 => self.tls_header(b, at, &mut out),
            Mode::Tls { .. } => self.tls_body(b, at, &mut out),
            Mode::Head(_) => self.head(b, server, at, &mut out),
            Mode::Body(left) => {
                let k = left.min(b.len() as u64) as usize;
                out(0, k, Dec::Drop);
                self.mode = if k as u64 == left {
                    Mode::Start
                } else {
                    Mode::Body(left - k as u64)
                };
                k
            }
        }
    }

    /// The first bytes of a stream, or of what follows a head: what they
    /// are decides the mode (no byte decided: 0), or TLS after another
    /// protocol's first bytes (those go).
    fn start<O: FnMut(usize, usize, Dec)>(&mut self, b: &[u8], server: bool, out: &mut O) -> usize {
        self.mode = start_mode(b, server);
        if matches!(self.mode, Mode::Opaque)
            && let Some(k) = crate::proto::tls::find_hello(b, 0, if server { 2 } else { 1 })
        {
            self.mode = TLS_START;
            out(0, k, Dec::Drop);
            return k;
        }
        0
    }

    /// A record header's bytes, checked one by one before they are kept;
    /// a byte no header holds: the boundaries are lost.
    fn tls_header<O: FnMut(usize, usize, Dec)>(&mut self, b: &[u8], at: u64, out: &mut O) -> usize {
        let Mode::Tls { hdr, have, .. } = &mut self.mode else {
            return 0;
        };
        let mut k = 0;
        while *have < 5 && k < b.len() {
            let x = b[k];
            let ok = match *have {
                0 => (20..=24).contains(&x),
                1 => x == 3,
                2 => x <= 4,
                3 => (x as usize) << 8 <= MAX_RECORD,
                _ => u16::from_be_bytes([hdr[3], x]) as usize <= MAX_RECORD,
            };
            if !ok {
                break;
            }
            hdr[*have as usize] = x;
            *have += 1;
            k += 1;
        }
        if k == 0 {
            self.mode = Mode::Lost;
            out(0, b.len(), Dec::Drop);
            return b.len();
        }
        out(0, k, Dec::Keep);
        remember(&mut self.kept, at, at + k as u64, Dec::Keep);
        if let Mode::Tls {
            hdr,
            have: 5,
            body_left,
            keep,
        } = &mut self.mode
        {
            *body_left = u16::from_be_bytes([hdr[3], hdr[4]]) as u64;
            *keep = matches!(hdr[0], 20..=22);
            if *body_left == 0 {
                self.mode = TLS_START;
            }
        }
        k
    }

    /// A record's body: kept (handshake, ChangeCipherSpec, alert) or cut.
    fn tls_body<O: FnMut(usize, usize, Dec)>(&mut self, b: &[u8], at: u64, out: &mut O) -> usize {
        let Mode::Tls {
            have,
            body_left,
            keep,
            ..
        } = &mut self.mode
        else {
            return 0;
        };
        let k = (*body_left).min(b.len() as u64) as usize;
        *body_left -= k as u64;
        if *body_left == 0 {
            *have = 0;
        }
        let dec = if *keep { Dec::Keep } else { Dec::Cut };
        out(0, k, dec);
        remember(&mut self.kept, at, at + k as u64, dec);
        k
    }

    /// An HTTP head's bytes, each decided by [`head_byte`].
    fn head<O: FnMut(usize, usize, Dec)>(
        &mut self,
        b: &[u8],
        server: bool,
        at: u64,
        out: &mut O,
    ) -> usize {
        let Mode::Head(h) = &mut self.mode else {
            return 0;
        };
        let mut k = 0;
        let mut end = None;
        while k < b.len() {
            if h.len >= MAX_HEAD {
                // No head is that long: the rest is not kept.
                end = Some(Mode::Opaque);
                break;
            }
            let (d, ended) = head_byte(h, b[k]);
            out(k, k + 1, d);
            remember(&mut self.kept, at + k as u64, at + k as u64 + 1, d);
            k += 1;
            if ended {
                end = Some(after_head(h, server));
                break;
            }
        }
        if let Some(m) = end {
            self.mode = m;
        }
        k
    }
}

/// TLS records from here, the next one's header first.
const TLS_START: Mode = Mode::Tls {
    hdr: [0; 5],
    have: 0,
    body_left: 0,
    keep: false,
};

/// What follows a head: after a CONNECT, or a proxy's 2xx answer, TLS or
/// another CONNECT (a client that answers a 407 with credentials asks again
/// on the same connection); after a refusal, its body, then another answer;
/// after a refusal whose body's end is not known, nothing is kept.
fn after_head(h: &Head, server: bool) -> Mode {
    let ok = h.status.is_some_and(|s| (200..300).contains(&s));
    match (server, ok, h.content_length) {
        (false, ..) | (true, true, _) => Mode::Start,
        (true, false, Some(0)) => Mode::Start,
        (true, false, Some(n)) => Mode::Body(n),
        (true, false, None) => Mode::Opaque,
    }
}

/// Remembers what became of stream bytes `s..e`, joining the previous span
/// when they continue it; the oldest span goes when the ring is full.
fn remember(kept: &mut VecDeque<(u64, u64, Dec)>, s: u64, e: u64, dec: Dec) {
    if s >= e {
        return;
    }
    if let Some(last) = kept.back_mut()
        && last.1 == s
        && last.2 == dec
    {
        last.1 = e;
        return;
    }
    if kept.len() >= RING {
        kept.pop_front();
    }
    kept.push_back((s, e, dec));
}

/// What the first bytes of a stream say it is.
fn start_mode(b: &[u8], server: bool) -> Mode {
    if (20..=23).contains(&b[0]) && b.get(1).is_none_or(|&v| v == 3) {
        return TLS_START;
    }
    let magic: &[u8] = if server { b"HTTP/" } else { b"CONNECT " };
    let n = b.len().min(magic.len());
    if b[..n] == magic[..n] {
        return Mode::Head(Box::new(Head {
            first_line: true,
            status_line: server,
            ..Head::default()
        }));
    }
    Mode::Opaque
}

/// True when `b` starts with a TLS record header a real stream would hold
/// (and, for a handshake record, a known handshake message type): how a lost
/// stream is picked up again at a segment's start.
fn plausible_record(b: &[u8]) -> bool {
    let Some(h) = b.get(..5) else {
        return false;
    };
    let len = u16::from_be_bytes([h[3], h[4]]) as usize;
    if h[1] != 3 || !(1..=4).contains(&h[2]) || len == 0 || len > MAX_RECORD {
        return false;
    }
    match h[0] {
        20 => len == 1,
        21 => len >= 2,
        22 => b.get(5).is_some_and(|t| {
            matches!(
                t,
                1 | 2 | 4 | 8 | 11 | 12 | 13 | 14 | 15 | 16 | 20 | 22 | 24
            )
        }),
        23 => true,
        _ => false,
    }
}

/// Reads one byte of an HTTP head; returns what becomes of it, and whether
/// it ended the head (the line feed of the empty line after the fields).
fn head_byte(h: &mut Head, x: u8) -> (Dec, bool) {
    h.len += 1;
    match x {
        b'\n' => {
            let ended = !h.first_line && h.line_len == 0;
            if h.first_line {
                h.first_line = false;
                h.status = status_of(&h.first);
                h.first = Vec::new();
            }
            h.line_len = 0;
            h.name.clear();
            h.long_name = false;
            h.in_value = false;
            h.field = Field::Other;
            h.scheme = (0, false);
            h.continuation = false;
            return (Dec::Keep, ended);
        }
        b'\r' => return (Dec::Keep, false),
        _ => {}
    }
    h.line_len += 1;
    if h.first_line {
        if h.first.len() < 32 {
            h.first.push(x);
        }
        let blank = x == b' ';
        if !blank && (h.line_len == 1 || h.after_blank) {
            h.first_fields = h.first_fields.saturating_add(1);
        }
        h.after_blank = blank;
        let reason = h.status_line && h.first_fields >= 3;
        return (if reason { Dec::Scrub } else { Dec::Keep }, false);
    }
    let d = if h.line_len == 1 && matches!(x, b' ' | b'\t') {
        // A continuation line: its first byte says so, the rest goes.
        h.continuation = true;
        Dec::Keep
    } else if h.continuation {
        Dec::Scrub
    } else if h.in_value {
        value_byte(h, x)
    } else if x == b':' {
        h.in_value = true;
        h.field = match h.name.trim_ascii() {
            _ if h.long_name => Field::Other,
            n if n == KEPT_FIELDS[0] => Field::Authorization,
            n if n == KEPT_FIELDS[1] => Field::Authenticate,
            n if n == KEPT_FIELDS[2] => Field::ContentLength,
            n if n == KEPT_FIELDS[3] => Field::SquidError,
            _ => Field::Other,
        };
        // The colon stays, so that the head still reads as fields.
        Dec::Keep
    } else {
        if h.name.len() < MAX_NAME {
            h.name.push(x.to_ascii_lowercase());
        } else {
            h.long_name = true;
        }
        // A name byte stays while the name is a prefix of a kept field's:
        // what stays of any other name is a prefix of those.
        if !h.long_name && KEPT_FIELDS.iter().any(|f| f.starts_with(&h.name)) {
            Dec::Keep
        } else {
            Dec::Scrub
        }
    };
    (d, false)
}

/// A byte of a field's value: only `Proxy-Authenticate`'s scheme and
/// `X-Squid-Error`'s code (their first word, with the blanks around it) and
/// `Content-Length`'s digits stay.
fn value_byte(h: &mut Head, x: u8) -> Dec {
    match (h.field, x) {
        (Field::ContentLength, b'0'..=b'9') => {
            let n = h.content_length.unwrap_or(0);
            h.content_length = Some(n.saturating_mul(10).saturating_add(u64::from(x - b'0')));
            return Dec::Keep;
        }
        (Field::ContentLength, b' ' | b'\t') => return Dec::Keep,
        (Field::Authenticate | Field::SquidError, _) => {}
        _ => return Dec::Scrub,
    }
    let (n, ended) = &mut h.scheme;
    if *ended {
        return Dec::Scrub;
    }
    let blank = matches!(x, b' ' | b'\t');
    if blank {
        // Before the scheme, or the blank that ends it.
        *ended = *n > 0;
        return Dec::Keep;
    }
    if *n >= MAX_SCHEME || x == b',' {
        *ended = true;
        return Dec::Scrub;
    }
    *n += 1;
    Dec::Keep
}

/// The code of a status line (`HTTP/1.1 407 ...`).
fn status_of(line: &[u8]) -> Option<u16> {
    let mut parts = line.split(|&c| c == b' ').filter(|p| !p.is_empty());
    let version = parts.next()?;
    if !version.starts_with(b"HTTP/") {
        return None;
    }
    std::str::from_utf8(parts.next()?).ok()?.parse().ok()
}

fn push(decs: &mut Vec<(usize, usize, Dec)>, a: usize, b: usize, d: Dec) {
    if a >= b {
        return;
    }
    if let Some(last) = decs.last_mut()
        && last.1 == a
        && last.2 == d
    {
        last.1 = b;
        return;
    }
    decs.push((a, b, d));
}

/// The plan for a payload of `n` bytes starting at stream offset `start`.
fn finish(decs: &[(usize, usize, Dec)], start: i64, n: usize) -> Plan {
    // Dropped bytes in the first ZERO_FILL bytes of the stream stay, as
    // zeros.
    let zero_until = (ZERO_FILL as i64 - start).clamp(0, n as i64) as usize;
    let len = decs
        .iter()
        .filter_map(|&(a, b, d)| match d {
            Dec::Drop if a < zero_until => Some(b.min(zero_until)),
            Dec::Drop | Dec::Cut => None,
            _ => Some(b),
        })
        .max()
        .unwrap_or(0);
    let mut plan = Plan {
        len,
        ..Plan::default()
    };
    for &(a, b, d) in decs {
        let b = b.min(len);
        if a >= b {
            continue;
        }
        match d {
            Dec::Keep => {}
            Dec::Scrub => plan.scrub.push((a, b)),
            Dec::Drop | Dec::Cut => plan.zero.push((a, b)),
        }
    }
    plan
}

#[cfg(test)]
mod tests;
