//! Per-flow application state: feeds each direction's reassembled first bytes
//! to the parsers in [`crate::proto`] (HTTP CONNECT, TLS, DNS over TCP) and
//! keeps what they found. Buffers are released as soon as a parser is done.

use crate::flow::reassembly::Stream;
use crate::model::DenyPage;
use crate::model::Side;
use crate::proto::Progress;
use crate::proto::dns::{self, Message};
use crate::proto::http;
use crate::proto::http_connect::{self, ConnectRequest, ProxyResponse};
use crate::proto::tls::{self, ClientHello, ServerFacts};

/// Bytes kept from the start of the client's stream.
pub(crate) const CLIENT_CAP: usize = 32 * 1024;
/// Bytes kept from the start of the server's stream.
pub(crate) const SERVER_CAP: usize = 32 * 1024;
/// Largest first record a ClientHello is waited for in (real hellos, even
/// with post-quantum key shares, stay under 4 KB); a larger record is read
/// for what its first bytes hold and not buffered.
pub(crate) const MAX_HELLO_RECORD: usize = 8 * 1024;
/// How far into a stream that does not start with TLS a hello is looked for.
pub(crate) const SEARCH_WINDOW: usize = 4 * 1024;
/// Most CONNECT requests (and proxy answers) read on one connection: a
/// client that answers a 407 with credentials asks twice; NTLM, three times.
pub(crate) const MAX_CONNECTS: usize = 4;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Not yet known what the stream carries.
    #[default]
    Start,
    /// A CONNECT head was read; the tunnel starts at this offset.
    Tunnel(usize),
    /// A proxy's refusal and its body were read up to this offset: the
    /// proxy may answer again (the client asks again on the same
    /// connection, with credentials after a 407).
    Answer(usize),
    /// The hello was read; the direction's TLS records are followed from
    /// this offset (see [`tls::follow`]).
    Trail(usize),
    /// Finished with this direction.
    Done,
}

/// A plain HTTP answer's status and the deny page it is, once its head
/// and the start of its body ([`http::MAX_BODY`]) are in, or with what there
/// is when no more will come (`all`).
fn read_answer(b: &[u8], all: bool) -> Progress<(u16, Option<DenyPage>)> {
    match http_connect::parse_response(b) {
        Progress::Done(r) => {
            let want = r.head_len + r.content_length.unwrap_or(0).min(http::MAX_BODY);
            if b.len() < want && !all {
                return Progress::NeedMore(want);
            }
            let body = &b[r.head_len..want.min(b.len())];
            Progress::Done((r.status, http::deny_page(r.status, &b[..r.head_len], body)))
        }
        Progress::NeedMore(n) if !all => Progress::NeedMore(n),
        _ => Progress::NotThis,
    }
}

/// What was learnt from one flow's application bytes.
#[derive(Debug, Default)]
pub(crate) struct AppState {
    streams: Option<Box<[Stream; 2]>>,
    phase: [Phase; 2],
    need: [usize; 2],
    /// Where each direction's stream starts (ISN + 1), until its buffer
    /// exists: a flow that never carries data never allocates one.
    base: [Option<u32>; 2],
    /// The ClientHello.
    pub hello: Option<Box<ClientHello>>,
    /// The server's first flight.
    pub server: Option<Box<ServerFacts>>,
    /// The CONNECT request, when the flow goes to an explicit proxy.
    pub connect: Option<Box<ConnectRequest>>,
    /// The proxy's answer (the last one, when it answered more than one
    /// CONNECT on the connection).
    pub proxy_response: Option<Box<ProxyResponse>>,
    /// The status of the proxy's first answer, when it answered again
    /// later on the same connection (407, then 200 once the client sent
    /// credentials).
    pub proxy_first_status: Option<u16>,
    /// The proxy's answers read.
    proxy_answers: u8,
    /// A plain HTTP request (not a CONNECT).
    pub http_request: Option<Box<http::Request>>,
    /// The answer to a plain HTTP request: its status, and the deny page it
    /// is, if it is one.
    pub http_answer: Option<Box<(u16, Option<DenyPage>)>>,
    /// Bytes a parser needed were not captured (the snap length cut them,
    /// or a support bundle removed them).
    pub snap_cut: bool,
    /// The record types each side sent from the start of its TLS stream
    /// (client, server), while they were followed.
    pub trail: [tls::Trail; 2],
}

impl AppState {
    fn streams(&mut self) -> &mut [Stream; 2] {
        let base = self.base;
        self.streams.get_or_insert_with(|| {
            let mut s = Box::new([Stream::with_cap(CLIENT_CAP), Stream::with_cap(SERVER_CAP)]);
            for (st, b) in s.iter_mut().zip(base) {
                if let Some(b) = b {
                    st.set_base(b);
                }
            }
            s
        })
    }

    /// Bytes held in reassembly buffers.
    pub(crate) fn buffered(&self) -> usize {
        self.streams
            .as_ref()
            .map_or(0, |s| s.iter().map(Stream::held).sum())
    }

    /// Exchanges the two directions (see `Flow::swap_sides`).
    pub(crate) fn swap_sides(&mut self) {
        if let Some(s) = self.streams.as_mut() {
            s.swap(0, 1);
        }
        self.phase.swap(0, 1);
        self.need.swap(0, 1);
        self.base.swap(0, 1);
    }

    /// True when nothing was parsed yet.
    pub(crate) fn untouched(&self) -> bool {
        self.hello.is_none()
            && self.server.is_none()
            && self.connect.is_none()
            && self.proxy_response.is_none()
            && self.http_request.is_none()
            && self.http_answer.is_none()
    }

    /// True while either direction still wants bytes.
    pub(crate) fn wants_bytes(&self) -> bool {
        self.phase.iter().any(|p| *p != Phase::Done)
    }

    /// Sets where a direction's stream starts (ISN + 1).
    pub(crate) fn set_base(&mut self, side: Side, seq: u32) {
        let i = side.idx();
        if self.phase[i] != Phase::Done {
            match self.streams.as_mut() {
                Some(s) => s[i].set_base(seq),
                None => {
                    self.base[i].get_or_insert(seq);
                }
            }
        }
    }

    /// Adds a segment's payload from `side` and runs the parsers when the
    /// stream grew far enough (certificates read through `certs`). Returns
    /// the DNS messages read from a TCP stream.
    pub(crate) fn on_payload(
        &mut self,
        side: Side,
        seq: u32,
        data: &[u8],
        missing: u32,
        dns_port: bool,
        certs: &mut tls::CertCache,
    ) -> Vec<Message> {
        let i = side.idx();
        if self.phase[i] == Phase::Done {
            return Vec::new();
        }
        if missing == 0
            && !dns_port
            && self.phase[i] == Phase::Start
            && data.first() == Some(&tls::CT_HANDSHAKE)
            && self.starts_at(i, seq)
            && self.direct(side, seq, data, certs)
        {
            return Vec::new();
        }
        let grew = self.streams()[i].insert(seq, data, missing as usize);
        if !grew {
            return Vec::new();
        }
        let len = self.streams()[i].bytes().len();
        let full = self.streams()[i].is_full();
        if len < self.need[i] && !full {
            return Vec::new();
        }
        let out = if let Phase::Trail(at) = self.phase[i] {
            self.follow(i, at);
            Vec::new()
        } else if dns_port {
            self.parse_dns(i)
        } else {
            match side {
                Side::Client => self.parse_client(certs),
                Side::Server => self.parse_server(certs),
            };
            Vec::new()
        };
        if self.phase[i] != Phase::Done && self.blocked(i) {
            // The parser waits for bytes the capture does not hold.
            self.snap_cut = true;
            self.give_up(side);
        }
        if self.phase[i] != Phase::Done && self.streams()[i].is_full() {
            self.give_up(side);
        }
        if self.phase == [Phase::Done, Phase::Done] {
            self.streams = None;
        }
        out
    }

    /// True when direction `i` holds nothing yet and `seq` is where it
    /// begins (or where it will, with no SYN seen).
    fn starts_at(&self, i: usize, seq: u32) -> bool {
        match self.streams.as_ref() {
            None => self.base[i].is_none_or(|b| b == seq),
            Some(s) => s[i].is_empty() && s[i].base().is_none_or(|b| b == seq),
        }
    }

    /// The stream's first segment holds a whole hello (client) or a first
    /// flight the parser is done with (server): read it in place, follow its
    /// records, and keep only what comes after (the stream then begins at
    /// the next record header). Nothing is copied for the common handshake;
    /// `false` when the segment is not enough, and it is buffered as usual.
    fn direct(&mut self, side: Side, seq: u32, data: &[u8], certs: &mut tls::CertCache) -> bool {
        let i = side.idx();
        match side {
            Side::Client => match tls::parse_client(data) {
                Progress::Done(h) => self.hello = Some(Box::new(h)),
                _ => return false,
            },
            Side::Server => match tls::parse_server_with(data, certs) {
                Progress::Done(f) => self.server = Some(Box::new(f)),
                _ => return false,
            },
        }
        let all = |_: usize, _: usize| true;
        match tls::follow(data, &all, &mut self.trail[i]) {
            tls::Followed::Next(n) if !self.trail[i].settled() => {
                // The stream goes on from the next record header.
                let next = seq.wrapping_add(n as u32);
                match self.streams.as_mut() {
                    Some(s) => s[i].rebase(next),
                    None => self.base[i] = Some(next),
                }
                self.phase[i] = Phase::Trail(0);
                self.need[i] = 5;
                if n < data.len() {
                    // A header cut by the segment's end: the rest comes next.
                    self.streams()[i].insert(next, &data[n..], 0);
                }
            }
            _ => self.done(i),
        }
        if self.phase == [Phase::Done, Phase::Done] {
            self.streams = None;
        }
        true
    }

    /// True when direction `i`'s parser (not the trail, which steps over
    /// cut record bodies) waits for bytes that were cut.
    fn blocked(&self, i: usize) -> bool {
        if matches!(self.phase[i], Phase::Trail(_) | Phase::Done) {
            return false;
        }
        self.streams.as_ref().is_some_and(|s| {
            let known = s[i].known_len();
            known < s[i].bytes().len() && self.need[i] > known
        })
    }

    fn done(&mut self, i: usize) {
        self.phase[i] = Phase::Done;
        if let Some(s) = self.streams.as_mut() {
            s[i].close();
        }
    }

    /// DNS over TCP: a stream carries one message after another.
    fn parse_dns(&mut self, i: usize) -> Vec<Message> {
        let mut out = Vec::new();
        let Some(streams) = self.streams.as_ref() else {
            return out;
        };
        let b = &streams[i].bytes()[..streams[i].known_len()];
        let mut off = match self.phase[i] {
            Phase::Tunnel(o) => o,
            _ => 0,
        };
        // Each message moves `off` forward by at least 14 bytes.
        loop {
            match dns::parse_tcp(&b[off.min(b.len())..]) {
                Progress::NeedMore(n) => {
                    self.need[i] = off + n;
                    self.phase[i] = Phase::Tunnel(off);
                    break;
                }
                Progress::Done((m, used)) => {
                    out.push(m);
                    off += used;
                }
                Progress::NotThis => {
                    self.done(i);
                    break;
                }
            }
        }
        out
    }

    fn parse_client(&mut self, certs: &mut tls::CertCache) {
        let Some(streams) = self.streams.as_ref() else {
            return;
        };
        let b = &streams[0].bytes()[..streams[0].known_len()];
        let mut off = 0;
        if let Phase::Tunnel(o) = self.phase[0] {
            off = o;
        }
        // A CONNECT; after one, another on the same connection (the client
        // answers the proxy's 407 with credentials): the last one is the
        // tunnel's, and credentials sent in any count.
        for _ in 0..MAX_CONNECTS {
            if self.connect.is_some() && !matches!(self.phase[0], Phase::Tunnel(_)) {
                break;
            }
            let rest = &b[off.min(b.len())..];
            if rest.is_empty() && self.connect.is_some() {
                break;
            }
            match http_connect::parse_request(rest) {
                Progress::NeedMore(n) => {
                    self.need[0] = off + n;
                    return;
                }
                Progress::Done(mut req) => {
                    off += req.head_len;
                    req.head_len = off;
                    req.has_credentials |= self.connect.as_ref().is_some_and(|c| c.has_credentials);
                    self.phase[0] = Phase::Tunnel(off);
                    self.connect = Some(Box::new(req));
                }
                Progress::NotThis => break,
            }
        }
        let b = &b[off.min(b.len())..];
        if b.is_empty() {
            self.need[0] = off + 1;
            return;
        }
        if self.connect.is_none() {
            // A plain HTTP request: its head is all that is read of it.
            match http::parse_request(b) {
                Progress::NeedMore(n) => {
                    self.need[0] = n;
                    return;
                }
                Progress::Done(r) => {
                    self.http_request = Some(Box::new(r));
                    self.done(0);
                    return;
                }
                Progress::NotThis => {}
            }
        }
        if b.len() >= 5
            && b[0] == tls::CT_HANDSHAKE
            && u16::from_be_bytes([b[3], b[4]]) as usize > MAX_HELLO_RECORD
        {
            // No hello is that large: read what is there, hold nothing more.
            self.give_up(Side::Client);
            return;
        }
        match tls::parse_client(b) {
            Progress::NeedMore(n) => self.need[0] = off + n,
            Progress::Done(mut h) => {
                h.end += off;
                self.hello = Some(Box::new(h));
                self.follow(0, off);
            }
            Progress::NotThis => self.search(0, off, 1, certs),
        }
    }

    fn parse_server(&mut self, certs: &mut tls::CertCache) {
        let Some(streams) = self.streams.as_ref() else {
            return;
        };
        let b = &streams[1].bytes()[..streams[1].known_len()];
        if self.connect.is_none() && self.phase[1] == Phase::Start && b.starts_with(b"HTTP/") {
            // An origin's answer, or a firewall's in its name.
            let full = streams[1].is_full();
            match read_answer(b, full) {
                Progress::NeedMore(n) => self.need[1] = n,
                Progress::Done(a) => {
                    self.http_answer = Some(Box::new(a));
                    self.done(1);
                }
                Progress::NotThis => self.done(1),
            }
            return;
        }
        let mut off = 0;
        let answer = match self.phase[1] {
            Phase::Tunnel(o) => {
                off = o;
                false
            }
            Phase::Answer(o) => {
                off = o;
                true
            }
            _ => self.connect.is_some() || b.starts_with(b"HTTP/"),
        };
        if answer {
            match http_connect::parse_response(&b[off.min(b.len())..]) {
                Progress::NeedMore(n) => {
                    self.need[1] = off + n;
                    return;
                }
                Progress::Done(mut r) => {
                    self.proxy_answers = self.proxy_answers.saturating_add(1);
                    off += r.head_len;
                    r.head_len = off;
                    if let Some(first) = self.proxy_response.take() {
                        self.proxy_first_status.get_or_insert(first.status);
                        if r.auth_scheme.is_none() {
                            r.auth_scheme = first.auth_scheme;
                        }
                    }
                    let ok = (200..300).contains(&r.status);
                    let body = r.content_length;
                    self.proxy_response = Some(Box::new(r));
                    match (ok, body) {
                        (true, _) => self.phase[1] = Phase::Tunnel(off),
                        // A refusal with a body of known length: the proxy
                        // may answer a second CONNECT after it.
                        (false, Some(n)) if usize::from(self.proxy_answers) < MAX_CONNECTS => {
                            let at = off.saturating_add(n);
                            self.phase[1] = Phase::Answer(at);
                            self.need[1] = at.saturating_add(1);
                            return;
                        }
                        (false, _) => {
                            self.done(1);
                            return;
                        }
                    }
                }
                Progress::NotThis if matches!(self.phase[1], Phase::Answer(_)) => {
                    self.done(1);
                    return;
                }
                Progress::NotThis => {}
            }
        }
        let b = &b[off.min(b.len())..];
        if b.is_empty() {
            self.need[1] = off + 1;
            return;
        }
        match tls::parse_server_with(b, certs) {
            Progress::NeedMore(n) => self.need[1] = off + n,
            Progress::Done(f) => {
                self.server = Some(Box::new(f));
                self.follow(1, off);
            }
            Progress::NotThis => self.search(1, off, 2, certs),
        }
    }

    /// Follows direction `i`'s TLS records from stream offset `at` until the
    /// trail is settled, the stream is not TLS, or the stream fills.
    fn follow(&mut self, i: usize, at: usize) {
        let Some(streams) = self.streams.as_ref() else {
            return;
        };
        let s = &streams[i];
        let known = |a: usize, b: usize| s.known(at + a, at + b);
        match tls::follow(
            s.bytes().get(at..).unwrap_or(&[]),
            &known,
            &mut self.trail[i],
        ) {
            tls::Followed::Next(n) if !self.trail[i].settled() => {
                self.phase[i] = Phase::Trail(at + n);
                self.need[i] = at + n + 5;
            }
            tls::Followed::Cut => {
                self.snap_cut = true;
                self.done(i);
            }
            _ => self.done(i),
        }
    }

    /// The stream does not start with TLS: it may begin with another protocol
    /// that upgrades to TLS (STARTTLS in SMTP, LDAP, PostgreSQL; a SOCKS or
    /// PROXY-protocol header). Look for the hello's record header within the
    /// first [`SEARCH_WINDOW`] bytes; give up past it.
    fn search(&mut self, i: usize, from: usize, hs_type: u8, certs: &mut tls::CertCache) {
        let Some(streams) = self.streams.as_ref() else {
            return;
        };
        let b = &streams[i].bytes()[..streams[i].known_len()];
        let window = &b[..b.len().min(SEARCH_WINDOW)];
        match tls::find_hello(window, from + 1, hs_type) {
            Some(at) => {
                self.phase[i] = Phase::Tunnel(at);
                match i {
                    0 => self.parse_client(certs),
                    _ => self.parse_server(certs),
                }
            }
            None if b.len() < SEARCH_WINDOW => self.need[i] = b.len() + 1,
            None => self.done(i),
        }
    }

    /// The stream filled (or the flow ended) before a parser finished: keep
    /// what can be read from the partial bytes.
    pub(crate) fn give_up(&mut self, side: Side) {
        let i = side.idx();
        if self.phase[i] == Phase::Done {
            return;
        }
        if let Some(streams) = self.streams.as_ref() {
            let off = match self.phase[i] {
                Phase::Tunnel(o) => o,
                Phase::Trail(_) | Phase::Answer(_) => {
                    self.done(i);
                    return;
                }
                _ => 0,
            };
            let b = &streams[i].bytes()[..streams[i].known_len()];
            let b = &b[off.min(b.len())..];
            match side {
                Side::Client if self.hello.is_none() => {
                    self.hello = tls::client_hello_partial(b).map(Box::new)
                }
                Side::Server
                    if self.connect.is_none()
                        && self.http_answer.is_none()
                        && b.starts_with(b"HTTP/") =>
                {
                    if let Progress::Done(a) = read_answer(b, true) {
                        self.http_answer = Some(Box::new(a));
                    }
                }
                Side::Server if self.server.is_none() => {
                    self.server = tls::server_partial(b).map(Box::new)
                }
                _ => {}
            }
        }
        self.done(i);
    }

    /// The flow ended: finish both directions.
    pub(crate) fn finish(&mut self) {
        self.give_up(Side::Client);
        self.give_up(Side::Server);
        self.streams = None;
    }
}
