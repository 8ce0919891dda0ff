//! Plain HTTP: the head of a request a client sends to an origin (its method
//! and the host it asks for), and the deny page a firewall or proxy answers
//! in the origin's name. Explicit proxies' CONNECT is [`super::http_connect`].
//!
//! The deny pages recognised:
//! - **Azure Firewall**: an application rule that denies plain HTTP answers
//!   `HTTP/1.1 470` with a `text/plain` body `Action: Deny. Reason: No rule
//!   matched. Proceeding with default action.` when no rule allowed the
//!   request (the default deny). The code and body are not in Microsoft's
//!   documentation; they are what Azure Firewall sends, as published
//!   captures and write-ups show (http.dev's "470 Request Denied" page).
//!   The status alone names it: no other product is known to send 470,
//!   and a support bundle keeps the status, not the body.
//! - **Squid**: every error page carries an `X-Squid-Error` header naming
//!   the error (`ERR_ACCESS_DENIED 0`, `http_access` denied it;
//!   `ERR_CACHE_ACCESS_DENIED`, it wants credentials). Other errors (a
//!   server it could not reach) are not denials and are not recognised.

use super::{Progress, printable};
use crate::model::DenyPage;

/// Longest request or response head looked at.
pub const MAX_HEAD: usize = 8 * 1024;
/// Bytes of an answer's body read to recognise a deny page (Azure
/// Firewall's is 70).
pub const MAX_BODY: usize = 512;

/// Longest request target kept.
pub const MAX_TARGET: usize = 256;

/// Request methods read (CONNECT is an explicit proxy's: not here).
const METHODS: [&[u8]; 8] = [
    b"GET ",
    b"HEAD ",
    b"POST ",
    b"PUT ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"TRACE ",
];

/// A plain HTTP request's head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method.
    pub method: String,
    /// The host asked for: the `Host` header, else the absolute URI's
    /// authority; lower case, without the port, made printable.
    pub host: Option<String>,
    /// The request line's target without its query or fragment (which may
    /// hold what is not the network's business), made printable and cut at
    /// [`MAX_TARGET`] bytes: `/metadata/instance`, or the absolute form a
    /// client sends to a proxy, `http://169.254.169.254/metadata/instance`.
    pub target: String,
    /// Bytes of the head, including the blank line.
    pub head_len: usize,
}

/// Where an HTTP head ends (after its blank line), looking at no more than
/// [`MAX_HEAD`] bytes; else what to report: more bytes, or not HTTP when no
/// head ends within the limit. Shared with [`super::http_connect`].
pub(crate) fn head_len<T>(b: &[u8]) -> Result<usize, Progress<T>> {
    let seen = &b[..b.len().min(MAX_HEAD)];
    match seen.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(p) => Ok(p + 4),
        None if b.len() >= MAX_HEAD => Err(Progress::NotThis),
        None => Err(Progress::NeedMore(b.len() + 1)),
    }
}

/// The value of the header `name` (any case) in a head's lines after the
/// first, untrimmed.
pub(crate) fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then_some(v)
    })
}

/// Parses the start of a client stream as a plain HTTP request head.
pub fn parse_request(b: &[u8]) -> Progress<Request> {
    let Some(m) = METHODS
        .iter()
        .find(|m| b[..b.len().min(m.len())] == m[..b.len().min(m.len())])
    else {
        return Progress::NotThis;
    };
    let end = match head_len(b) {
        Ok(end) => end,
        Err(p) => return p,
    };
    let head = String::from_utf8_lossy(&b[..end]);
    let target = head
        .split("\r\n")
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    let host_header = header(&head, "host").map(str::trim);
    let absolute = target
        .split_once("://")
        .map(|(_, rest)| rest.split('/').next().unwrap_or(""));
    let host = host_header
        .or(absolute)
        .map(strip_port)
        .filter(|h| !h.is_empty())
        .map(|h| printable(h.as_bytes()).to_ascii_lowercase());
    let path = target.split(['?', '#']).next().unwrap_or("");
    let path = &path.as_bytes()[..path.len().min(MAX_TARGET)];
    Progress::Done(Request {
        method: String::from_utf8_lossy(m.trim_ascii_end()).into_owned(),
        host,
        target: printable(path),
        head_len: end,
    })
}

/// True for a request target in the absolute form (`http://host/path`): the
/// form a client sends to a proxy, never to the origin server itself.
pub fn is_absolute(target: &str) -> bool {
    let starts = |p: &str| {
        target
            .get(..p.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(p))
    };
    starts("http://") || starts("https://")
}

/// `host:port` or `[v6]:port` without the port.
fn strip_port(a: &str) -> &str {
    if let Some(rest) = a.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match a.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|c| c.is_ascii_digit()) => h,
        _ => a,
    }
}

/// The deny page an answer is, if it is one of those recognised (see the
/// module's documentation): from its status, its head and the start of its
/// body.
pub fn deny_page(status: u16, head: &[u8], _body: &[u8]) -> Option<DenyPage> {
    if status == 470 {
        return Some(DenyPage::AzureFirewall);
    }
    let head = String::from_utf8_lossy(head);
    let squid = header(&head, "x-squid-error")?
        .split_whitespace()
        .next()
        .unwrap_or("");
    matches!(squid, "ERR_ACCESS_DENIED" | "ERR_CACHE_ACCESS_DENIED").then(|| DenyPage::Squid {
        error: squid.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_gives_its_method_and_host() {
        let req = b"GET /asr-cache/x HTTP/1.1\r\nHost: AsrCache1.blob.core.windows.net:80\r\nUser-Agent: curl/7.88.1\r\n\r\n";
        assert_eq!(parse_request(&req[..2]), Progress::NeedMore(3));
        assert!(matches!(parse_request(&req[..40]), Progress::NeedMore(_)));
        let Progress::Done(r) = parse_request(req) else {
            panic!()
        };
        assert_eq!(r.method, "GET");
        assert_eq!(r.host.as_deref(), Some("asrcache1.blob.core.windows.net"));
        assert_eq!(r.head_len, req.len());
        assert_eq!(r.target, "/asr-cache/x");
        assert!(!is_absolute(&r.target));
        // The query is not kept: it may hold what is not the network's.
        let Progress::Done(r) = parse_request(
            b"GET http://169.254.169.254/metadata/instance?api-version=2021-02-01 HTTP/1.1\r\nHost: 169.254.169.254\r\nMetadata: true\r\n\r\n",
        ) else {
            panic!()
        };
        assert_eq!(r.target, "http://169.254.169.254/metadata/instance");
        assert!(is_absolute(&r.target));
        assert_eq!(r.host.as_deref(), Some("169.254.169.254"));
        // The absolute form, as a client sends it to a proxy; no Host.
        let Progress::Done(r) = parse_request(b"PUT http://[fd00::1]:8080/x HTTP/1.0\r\n\r\n")
        else {
            panic!()
        };
        assert_eq!(
            (r.method.as_str(), r.host.as_deref()),
            ("PUT", Some("fd00::1"))
        );
        assert_eq!(parse_request(b"\x16\x03\x01\x02\x00"), Progress::NotThis);
        assert_eq!(
            parse_request(b"CONNECT a:443 HTTP/1.1\r\n\r\n"),
            Progress::NotThis
        );
        // Hostile bytes in the Host come out printable.
        let Progress::Done(r) = parse_request(b"GET / HTTP/1.1\r\nHost: a\x1b[2Jb\r\n\r\n") else {
            panic!()
        };
        assert!(r.host.unwrap().chars().all(|c| (' '..='~').contains(&c)));
    }

    #[test]
    fn deny_pages_are_told_by_their_signature() {
        let body = b"Action: Deny. Reason: No rule matched. Proceeding with default action.";
        assert_eq!(
            deny_page(470, b"HTTP/1.1 470 status code 470\r\n\r\n", body),
            Some(DenyPage::AzureFirewall)
        );
        // The status names it, body or not (a support bundle keeps none).
        assert_eq!(
            deny_page(470, b"HTTP/1.1 470 x\r\n\r\n", b""),
            Some(DenyPage::AzureFirewall)
        );
        let squid = b"HTTP/1.1 403 Forbidden\r\nServer: squid/5.7\r\nX-Squid-Error: ERR_ACCESS_DENIED 0\r\n\r\n";
        assert_eq!(
            deny_page(403, squid, b""),
            Some(DenyPage::Squid {
                error: "ERR_ACCESS_DENIED".into()
            })
        );
        // A squid that could not reach the server did not deny anything.
        let failed =
            b"HTTP/1.1 503 Service Unavailable\r\nX-Squid-Error: ERR_CONNECT_FAIL 111\r\n\r\n";
        assert_eq!(deny_page(503, failed, b""), None);
        assert_eq!(
            deny_page(403, b"HTTP/1.1 403 Forbidden\r\n\r\n", body),
            None
        );
    }
}
