//! TLS handshakes in clear: the client's ClientHello (server name, offered
//! versions, ALPN) and the server's ServerHello, plaintext alerts and, up to
//! TLS 1.2, the certificate chain (subject, issuer, DNS names).
//!
//! Both parsers take the reassembled start of one direction of a TCP stream and
//! walk its records themselves, so that a handshake message split over several
//! records (and so over several segments) is joined before `tls-parser` reads it.

use super::{Progress, printable};
use crate::model::{AlertDescription, CertNames};
use tls_parser::{
    TlsExtension, TlsMessage, TlsMessageHandshake, parse_tls_client_hello_extension,
    parse_tls_message_handshake, parse_tls_server_hello_extension,
};

/// Largest handshake message accepted (a ClientHello with post-quantum key
/// shares is ~1.8 KB; certificate chains run to ~10 KB).
pub const MAX_HANDSHAKE_MSG: usize = 64 * 1024;
/// Largest record accepted: 2^14 bytes of plaintext plus the most a cipher
/// may add (RFC 8446 5.2; RFC 5246 allows 2048).
pub const MAX_RECORD: usize = 16384 + 2048;

const CT_CCS: u8 = 20;
const CT_ALERT: u8 = 21;
/// The content type of a handshake record: the first byte of a TLS stream
/// that opens with a ClientHello (record magic `16 03`).
pub const CT_HANDSHAKE: u8 = 22;
const CT_APPDATA: u8 = 23;

const EXT_SNI: u16 = 0;
const EXT_ALPN: u16 = 16;
const EXT_SUPPORTED_VERSIONS: u16 = 43;

/// What a ClientHello offers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClientHello {
    /// The server_name (host name type), as sent.
    pub sni: Option<String>,
    /// The record-layer hello version (`client_version`).
    pub legacy_version: u16,
    /// Versions offered: the supported_versions extension without GREASE, or
    /// the legacy version when the extension is absent.
    pub versions: Vec<u16>,
    /// ALPN protocol names, in order.
    pub alpn: Vec<String>,
    /// True for an SSLv2-format hello.
    pub sslv2: bool,
    /// True when the hello was read whole; false when only its start was there
    /// (see [`client_hello_partial`]).
    pub complete: bool,
    /// Stream offset just after the record that completed the hello.
    pub end: usize,
}

impl ClientHello {
    /// The highest version offered.
    pub fn max_version(&self) -> Option<u16> {
        self.versions
            .iter()
            .copied()
            .max_by_key(|v| version_rank(*v))
    }
}

/// A TLS alert seen in clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alert {
    /// 1 warning, 2 fatal.
    pub level: u8,
    /// Alert description.
    pub description: AlertDescription,
}

/// What the server's first flight shows in clear.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerFacts {
    /// A ServerHello was seen.
    pub hello: bool,
    /// The negotiated version (supported_versions in the ServerHello, else its
    /// version field).
    pub version: Option<u16>,
    /// The cipher suite the server chose.
    pub cipher: Option<u16>,
    /// The first plaintext alert.
    pub alert: Option<Alert>,
    /// The certificate chain, leaf first (TLS 1.2 and older).
    pub certs: Vec<CertNames>,
}

fn version_rank(v: u16) -> u32 {
    match v {
        0x7f00..=0x7fff | 0xfb00..=0xfbff | 0x7e00..=0x7eff => 0x0003_0380 + (v as u32 & 0xff),
        other => (other as u32) << 8,
    }
}

fn is_grease(v: u16) -> bool {
    v & 0x0f0f == 0x0a0a && (v >> 8) == (v & 0xff)
}

/// Record walk outcome.
enum Walk {
    /// The callback asked to stop.
    Stopped,
    /// Ran out of bytes; this many in all would complete the next record.
    Incomplete(usize),
    /// Not a TLS record.
    NotTls,
}

/// Calls `f(content_type, fragment, record_end)` for each whole record from the
/// start of `buf`, until it returns false.
fn walk_records<'a>(buf: &'a [u8], mut f: impl FnMut(u8, &'a [u8], usize) -> bool) -> Walk {
    let mut off = 0;
    loop {
        let Some(h) = buf.get(off..off + 5) else {
            return Walk::Incomplete(off + 5);
        };
        let ct = h[0];
        if !(CT_CCS..=24).contains(&ct) || h[1] != 3 {
            return Walk::NotTls;
        }
        let len = u16::from_be_bytes([h[3], h[4]]) as usize;
        if len > MAX_RECORD {
            return Walk::NotTls;
        }
        let end = off + 5 + len;
        let Some(frag) = buf.get(off + 5..end) else {
            return Walk::Incomplete(end);
        };
        if !f(ct, frag, end) {
            return Walk::Stopped;
        }
        off = end;
    }
}

/// The record types one side sent, counted from the start of its TLS stream:
/// how its handshake went on after the hello, without decrypting anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trail {
    /// Plaintext handshake records (the hello included).
    pub handshake: u16,
    /// ChangeCipherSpec seen.
    pub ccs: bool,
    /// Handshake-type records after the ChangeCipherSpec (TLS 1.2's
    /// encrypted Finished).
    pub after_ccs: u16,
    /// application_data-type records (TLS 1.3's whole encrypted flight, or
    /// TLS 1.2's data).
    pub app: u16,
    /// Length of the first application_data record.
    pub first_app_len: Option<u16>,
    /// A plaintext alert.
    pub alert: Option<Alert>,
    /// An alert record that is encrypted (longer than two bytes).
    pub encrypted_alert: bool,
}

impl Trail {
    /// True once the trail tells all it can: an alert, a Finished after the
    /// ChangeCipherSpec, or a second encrypted record.
    pub fn settled(&self) -> bool {
        self.alert.is_some() || self.encrypted_alert || self.after_ccs > 0 || self.app >= 2
    }
}

/// Where following a TLS stream's records stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Followed {
    /// The next record's header is at this offset, which may lie beyond the
    /// bytes given (continue from there when the stream has grown); or the
    /// trail is [settled](Trail::settled).
    Next(usize),
    /// Something that is not a TLS record.
    NotTls,
    /// A header (or an alert's two bytes) the capture does not hold.
    Cut,
}

/// Follows the records of a TLS stream from `buf`'s start (a record
/// boundary) into `t`, reading only their headers (and an alert's two
/// bytes): a record is counted as soon as its header is there, whether or not
/// its body was captured. `known(start, end)` says whether bytes of `buf`
/// were captured. Stops early once the trail is [settled](Trail::settled).
pub fn follow(buf: &[u8], known: &dyn Fn(usize, usize) -> bool, t: &mut Trail) -> Followed {
    let mut off = 0;
    while !t.settled() {
        let Some(h) = buf.get(off..off + 5) else {
            break;
        };
        if !known(off, off + 5) {
            return Followed::Cut;
        }
        let (ct, len) = (h[0], u16::from_be_bytes([h[3], h[4]]));
        if !(CT_CCS..=24).contains(&ct) || h[1] != 3 || len as usize > MAX_RECORD {
            return Followed::NotTls;
        }
        let end = off + 5 + len as usize;
        match ct {
            CT_CCS => t.ccs = true,
            CT_HANDSHAKE if t.ccs => t.after_ccs += 1,
            CT_HANDSHAKE => t.handshake = t.handshake.saturating_add(1),
            CT_APPDATA => {
                t.first_app_len.get_or_insert(len);
                t.app = t.app.saturating_add(1);
            }
            CT_ALERT if len == 2 => {
                let Some(a) = buf.get(off + 5..end) else {
                    break;
                };
                if !known(off + 5, end) {
                    return Followed::Cut;
                }
                t.alert = Some(Alert {
                    level: a[0],
                    description: AlertDescription(a[1]),
                });
            }
            CT_ALERT => t.encrypted_alert = true,
            _ => {}
        }
        off = end;
    }
    Followed::Next(off)
}

/// Joins handshake fragments into whole messages. Allocates only when a
/// message spans records.
#[derive(Default)]
struct Joiner {
    carry: Vec<u8>,
    bad: bool,
}

impl Joiner {
    /// Feeds a handshake record fragment; calls `on_msg` with each whole
    /// message (header included). `on_msg` returns false to stop.
    fn feed(&mut self, frag: &[u8], on_msg: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        if self.carry.is_empty() {
            let (n, go) = Self::split(frag, on_msg, &mut self.bad);
            if go && n < frag.len() {
                self.carry.extend_from_slice(&frag[n..]);
            }
            go
        } else {
            self.carry.extend_from_slice(frag);
            let carry = std::mem::take(&mut self.carry);
            let (n, go) = Self::split(&carry, on_msg, &mut self.bad);
            if go && n < carry.len() {
                self.carry = carry[n..].to_vec();
            }
            go
        }
    }

    fn split(d: &[u8], on_msg: &mut dyn FnMut(&[u8]) -> bool, bad: &mut bool) -> (usize, bool) {
        let mut off = 0;
        while let Some(h) = d.get(off..off + 4) {
            let len = u32::from_be_bytes([0, h[1], h[2], h[3]]) as usize;
            if len > MAX_HANDSHAKE_MSG {
                *bad = true;
                return (off, false);
            }
            let Some(msg) = d.get(off..off + 4 + len) else {
                break;
            };
            if !on_msg(msg) {
                return (off + 4 + len, false);
            }
            off += 4 + len;
        }
        (off, true)
    }
}

/// Finds, at or after `from`, the start of a TLS record that opens a handshake
/// message of type `hs_type` (1 ClientHello, 2 ServerHello) with consistent
/// lengths. Used when TLS starts after another protocol's bytes.
pub fn find_hello(b: &[u8], from: usize, hs_type: u8) -> Option<usize> {
    let mut i = from;
    while i + 9 <= b.len() {
        let at = i + memchr_16(&b[i..])?;
        i = at + 1;
        let h = b.get(at..at + 9)?;
        if h[1] != 3 || h[2] > 4 || h[5] != hs_type {
            continue;
        }
        let rec = u16::from_be_bytes([h[3], h[4]]) as usize;
        let msg = u32::from_be_bytes([0, h[6], h[7], h[8]]) as usize;
        if (38..=MAX_RECORD).contains(&rec) && (34..=MAX_HANDSHAKE_MSG).contains(&msg) {
            return Some(at);
        }
    }
    None
}

fn memchr_16(b: &[u8]) -> Option<usize> {
    b.iter().position(|&x| x == CT_HANDSHAKE)
}

/// Parses the ClientHello at the start of a client stream.
pub fn parse_client(buf: &[u8]) -> Progress<ClientHello> {
    if buf.first().is_some_and(|b| b & 0x80 != 0) {
        return sslv2_hello(buf);
    }
    let mut joiner = Joiner::default();
    let mut found: Option<ClientHello> = None;
    let mut not_hello = false;
    let walk = walk_records(buf, |ct, frag, end| {
        if ct != CT_HANDSHAKE {
            not_hello = true;
            return false;
        }
        joiner.feed(frag, &mut |msg| {
            if msg[0] != 1 {
                not_hello = true;
                return false;
            }
            found = Some(client_hello_from_msg(msg, end).unwrap_or_default());
            false
        })
    });
    if let Some(h) = found {
        return Progress::Done(h);
    }
    if not_hello || joiner.bad {
        return Progress::NotThis;
    }
    match walk {
        Walk::Incomplete(n) => Progress::NeedMore(n),
        Walk::NotTls | Walk::Stopped => Progress::NotThis,
    }
}

fn client_hello_from_msg(msg: &[u8], end: usize) -> Option<ClientHello> {
    let (_, parsed) = parse_tls_message_handshake(msg).ok()?;
    let TlsMessage::Handshake(TlsMessageHandshake::ClientHello(ch)) = parsed else {
        return None;
    };
    let mut h = ClientHello {
        legacy_version: ch.version.0,
        complete: true,
        end,
        ..Default::default()
    };
    if let Some(ext) = ch.ext {
        read_client_extensions(ext, &mut h);
    }
    if h.versions.is_empty() {
        h.versions.push(h.legacy_version);
    }
    Some(h)
}

/// Reads extensions one at a time, so that one malformed extension (or a cut)
/// does not hide the others.
fn read_client_extensions(mut ext: &[u8], h: &mut ClientHello) {
    while ext.len() >= 4 {
        let len = u16::from_be_bytes([ext[2], ext[3]]) as usize;
        let Some(one) = ext.get(..4 + len) else {
            // Cut: try the SNI from what is there.
            if ext[0..2] == [0, 0] {
                h.sni = sni_from_cut_extension(&ext[4..]).or(h.sni.take());
            }
            return;
        };
        // Only the extensions read below are parsed (the others, key shares
        // and signature algorithms among them, cost allocations for nothing).
        let wanted = matches!(
            u16::from_be_bytes([ext[0], ext[1]]),
            EXT_SNI | EXT_ALPN | EXT_SUPPORTED_VERSIONS
        );
        if wanted && let Ok((_, e)) = parse_tls_client_hello_extension(one) {
            match e {
                TlsExtension::SNI(names) => {
                    if let Some((_, n)) = names.iter().find(|(t, _)| t.0 == 0) {
                        h.sni = Some(printable(n));
                    }
                }
                TlsExtension::SupportedVersions(vs) => {
                    h.versions = vs.iter().map(|v| v.0).filter(|v| !is_grease(*v)).collect();
                }
                TlsExtension::ALPN(ps) => h.alpn = ps.iter().map(|p| printable(p)).collect(),
                _ => {}
            }
        }
        ext = &ext[4 + len..];
    }
}

fn sni_from_cut_extension(d: &[u8]) -> Option<String> {
    // server_name_list length (2), then type (1), name length (2), name.
    let t = *d.get(2)?;
    if t != 0 {
        return None;
    }
    let len = u16::from_be_bytes([*d.get(3)?, *d.get(4)?]) as usize;
    d.get(5..5 + len).map(printable)
}

/// Reads what it can of a ClientHello that is not whole (the rest was never
/// captured, or was cut by the snap length): versions and, when its bytes are
/// there, the server name. Returns `None` when the bytes don't start a hello.
pub fn client_hello_partial(buf: &[u8]) -> Option<ClientHello> {
    let h = buf.get(..5)?;
    if h[0] != CT_HANDSHAKE || h[1] != 3 {
        return None;
    }
    let body = &buf[5..];
    if *body.first()? != 1 {
        return None;
    }
    let mut c = ClientHello {
        legacy_version: u16::from_be_bytes([*body.get(4)?, *body.get(5)?]),
        complete: false,
        end: buf.len(),
        ..Default::default()
    };
    // version(2) random(32) at 4.., then session id, ciphers, compression.
    let mut off = 4 + 2 + 32;
    off += 1 + *body.get(off)? as usize;
    off += 2 + u16::from_be_bytes([*body.get(off)?, *body.get(off + 1)?]) as usize;
    off += 1 + *body.get(off)? as usize;
    off += 2; // extensions length
    if let Some(ext) = body.get(off..) {
        read_client_extensions(ext, &mut c);
    }
    if c.versions.is_empty() {
        c.versions.push(c.legacy_version);
    }
    Some(c)
}

fn sslv2_hello(buf: &[u8]) -> Progress<ClientHello> {
    // 2-byte length with the high bit set, msg type 1, then the version.
    let Some(h) = buf.get(..5) else {
        return Progress::NeedMore(5);
    };
    if h[2] != 1 || !(h[3] == 0 || h[3] == 3) {
        return Progress::NotThis;
    }
    let len = (u16::from_be_bytes([h[0], h[1]]) & 0x7fff) as usize;
    let v = u16::from_be_bytes([h[3], h[4]]);
    Progress::Done(ClientHello {
        sni: None,
        legacy_version: v,
        versions: vec![v],
        alpn: vec![],
        sslv2: true,
        complete: buf.len() >= 2 + len,
        end: 2 + len,
    })
}

/// Most certificates [`CertCache`] holds; it starts over when full.
pub const CERT_CACHE: usize = 256;

/// What [`cert_names`] read from each certificate seen, by its DER bytes:
/// captures repeat the same few chains endlessly, and each certificate is
/// parsed once. Bounded by [`CERT_CACHE`] (some 0.5 MB).
#[derive(Debug, Default)]
pub struct CertCache {
    map: ahash::AHashMap<Box<[u8]>, Option<CertNames>>,
}

impl CertCache {
    /// The names of the certificate `der`, parsed the first time only.
    pub fn names(&mut self, der: &[u8]) -> Option<CertNames> {
        if let Some(n) = self.map.get(der) {
            return n.clone();
        }
        let n = cert_names(der);
        if self.map.len() >= CERT_CACHE {
            self.map.clear();
        }
        self.map.insert(der.into(), n.clone());
        n
    }

    /// Certificates held.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no certificate is held.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Parses the server's first flight. `Done` once the certificate chain was
/// read, encryption started, or an alert was seen; `NeedMore` while it could
/// still show one of those.
pub fn parse_server(buf: &[u8]) -> Progress<ServerFacts> {
    parse_server_with(buf, &mut CertCache::default())
}

/// [`parse_server`], reading certificates through `certs`.
pub fn parse_server_with(buf: &[u8], certs: &mut CertCache) -> Progress<ServerFacts> {
    let mut facts = ServerFacts::default();
    let mut joiner = Joiner::default();
    let mut done = false;
    let walk = walk_records(buf, |ct, frag, _| match ct {
        CT_HANDSHAKE => {
            if facts.hello && facts.version == Some(0x0304) {
                // TLS 1.3 hides the rest of the flight.
                done = true;
                return false;
            }
            joiner.feed(frag, &mut |msg| {
                match msg[0] {
                    2 => server_hello(msg, &mut facts),
                    11 => {
                        facts.certs = certificate_chain(msg, certs);
                        done = true;
                        return false;
                    }
                    // ServerHelloDone or anything after the hello with no certificate.
                    14 => {
                        done = true;
                        return false;
                    }
                    _ => {}
                }
                true
            })
        }
        CT_ALERT => {
            if frag.len() == 2 && !(facts.hello && facts.version == Some(0x0304)) {
                facts.alert = Some(Alert {
                    level: frag[0],
                    description: AlertDescription(frag[1]),
                });
            }
            done = true;
            false
        }
        CT_CCS | CT_APPDATA => {
            done = true;
            false
        }
        _ => true,
    });
    if done || joiner.bad {
        return if facts.hello || facts.alert.is_some() {
            Progress::Done(facts)
        } else if joiner.bad {
            Progress::NotThis
        } else {
            Progress::Done(facts)
        };
    }
    match walk {
        Walk::Incomplete(n) => Progress::NeedMore(n),
        _ if facts.hello => Progress::Done(facts),
        _ => Progress::NotThis,
    }
}

/// What could be read of a server flight that ended early.
pub fn server_partial(buf: &[u8]) -> Option<ServerFacts> {
    let mut facts = ServerFacts::default();
    let mut joiner = Joiner::default();
    walk_records(buf, |ct, frag, _| {
        if ct == CT_HANDSHAKE {
            joiner.feed(frag, &mut |msg| {
                if msg[0] == 2 {
                    server_hello(msg, &mut facts);
                }
                true
            })
        } else {
            false
        }
    });
    facts.hello.then_some(facts)
}

fn server_hello(msg: &[u8], facts: &mut ServerFacts) {
    let Ok((_, TlsMessage::Handshake(hs))) = parse_tls_message_handshake(msg) else {
        return;
    };
    let (version, cipher, ext) = match hs {
        TlsMessageHandshake::ServerHello(sh) => (sh.version.0, sh.cipher.0, sh.ext),
        TlsMessageHandshake::ServerHelloV13Draft18(sh) => (sh.version.0, sh.cipher.0, sh.ext),
        TlsMessageHandshake::HelloRetryRequest(_) => return,
        _ => return,
    };
    facts.hello = true;
    facts.version = Some(version);
    facts.cipher = Some(cipher);
    let mut ext = ext.unwrap_or(&[]);
    while ext.len() >= 4 {
        let len = u16::from_be_bytes([ext[2], ext[3]]) as usize;
        let Some(one) = ext.get(..4 + len) else { break };
        if u16::from_be_bytes([ext[0], ext[1]]) == EXT_SUPPORTED_VERSIONS
            && let Ok((_, TlsExtension::SupportedVersions(vs))) =
                parse_tls_server_hello_extension(one)
            && let Some(v) = vs.first()
        {
            facts.version = Some(v.0);
        }
        ext = &ext[4 + len..];
    }
}

fn certificate_chain(msg: &[u8], certs: &mut CertCache) -> Vec<CertNames> {
    let Ok((_, TlsMessage::Handshake(TlsMessageHandshake::Certificate(c)))) =
        parse_tls_message_handshake(msg)
    else {
        return Vec::new();
    };
    c.cert_chain
        .iter()
        .take(4)
        .filter_map(|raw| certs.names(raw.data))
        .collect()
}

/// Subject, issuer and DNS names of a DER certificate.
pub fn cert_names(der: &[u8]) -> Option<CertNames> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let issuer = cert.issuer();
    let issuer_cn = issuer
        .iter_common_name()
        .next()
        .or_else(|| issuer.iter_organization().next())
        .and_then(|a| a.as_str().ok())
        .map(|s| printable(s.as_bytes()))
        .unwrap_or_default();
    let issuer_org = issuer
        .iter_organization()
        .filter_map(|a| a.as_str().ok())
        .take(8)
        .map(|s| printable(s.as_bytes()))
        .collect();
    let san = match cert.subject_alternative_name() {
        Ok(Some(ext)) => ext
            .value
            .general_names
            .iter()
            .filter_map(|g| match g {
                x509_parser::extensions::GeneralName::DNSName(n) => Some(printable(n.as_bytes())),
                _ => None,
            })
            .take(64)
            .collect(),
        _ => Vec::new(),
    };
    Some(CertNames {
        subject: printable(cert.subject().to_string().as_bytes()),
        issuer: printable(issuer.to_string().as_bytes()),
        issuer_cn,
        issuer_org,
        san,
    })
}

#[cfg(test)]
mod tests;
