//! Explicit proxies: the `CONNECT host:port` request a client sends to an HTTP
//! proxy, and the proxy's status line (200, 403, 407…).

use super::http::{head_len, header};
use super::{Progress, printable};

/// A CONNECT request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRequest {
    /// Target host as requested (lower case).
    pub host: String,
    /// Target port.
    pub port: u16,
    /// Bytes of the request head, including the blank line; the tunnelled
    /// stream starts after them.
    pub head_len: usize,
    /// True when the request carried `Proxy-Authorization`.
    pub has_credentials: bool,
}

/// A proxy's response to CONNECT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyResponse {
    /// HTTP status code.
    pub status: u16,
    /// Bytes of the response head, including the blank line.
    pub head_len: usize,
    /// The scheme of `Proxy-Authenticate` (Basic, NTLM, Negotiate…), if any.
    pub auth_scheme: Option<String>,
    /// The length of the body after the head (`Content-Length`), if given:
    /// where the next answer on the same connection would start.
    pub content_length: Option<usize>,
}

/// Parses the start of a client stream as a CONNECT request.
pub fn parse_request(b: &[u8]) -> Progress<ConnectRequest> {
    const M: &[u8] = b"CONNECT ";
    let n = b.len().min(M.len());
    if !b[..n].eq_ignore_ascii_case(&M[..n]) {
        return Progress::NotThis;
    }
    let end = match head_len(b) {
        Ok(end) => end,
        Err(p) => return p,
    };
    let head = &b[..end];
    let line_end = head.windows(2).position(|w| w == b"\r\n").unwrap_or(end);
    // The target is the request line's first word; captured bytes are made
    // printable like every other string from a capture.
    let line = &head[M.len()..line_end];
    let target = line
        .split(|c| *c == b' ' || *c == b'\t')
        .find(|w| !w.is_empty())
        .unwrap_or(&[]);
    let (host, port) = split_host_port(&printable(target));
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    Progress::Done(ConnectRequest {
        host: host.to_ascii_lowercase(),
        port: port.unwrap_or(443),
        head_len: end,
        has_credentials: lower.contains("\r\nproxy-authorization:"),
    })
}

fn split_host_port(t: &str) -> (String, Option<u16>) {
    if let Some(rest) = t.strip_prefix('[') {
        // [v6]:port
        if let Some(close) = rest.find(']') {
            let port = rest[close + 1..]
                .strip_prefix(':')
                .and_then(|p| p.parse().ok());
            return (rest[..close].to_string(), port);
        }
    }
    // host:port (authority form; an IPv6 host must be bracketed). A host
    // that holds a colon itself keeps it, and the port is still the last
    // field, so that the target is never shown with its port twice.
    match t.rsplit_once(':') {
        Some((h, p)) => match p.parse() {
            Ok(port) => (h.to_string(), Some(port)),
            Err(_) => (t.to_string(), None),
        },
        None => (t.to_string(), None),
    }
}

/// Parses the start of the proxy's stream as an HTTP response head.
pub fn parse_response(b: &[u8]) -> Progress<ProxyResponse> {
    const M: &[u8] = b"HTTP/1.";
    let n = b.len().min(M.len());
    if b[..n] != M[..n] {
        return Progress::NotThis;
    }
    let end = match head_len(b) {
        Ok(end) => end,
        Err(p) => return p,
    };
    let head = String::from_utf8_lossy(&b[..end]);
    let status = head
        .split("\r\n")
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse::<u16>().ok());
    let Some(status) = status else {
        return Progress::NotThis;
    };
    let auth_scheme = header(&head, "proxy-authenticate")
        .and_then(|v| v.split_whitespace().next().map(|s| printable(s.as_bytes())));
    let content_length = header(&head, "content-length").and_then(|v| v.trim().parse().ok());
    Progress::Done(ProxyResponse {
        status,
        head_len: end,
        auth_scheme,
        content_length,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_needs_the_whole_head() {
        let req = b"CONNECT login.microsoftonline.com:443 HTTP/1.1\r\nHost: login.microsoftonline.com:443\r\n";
        assert_eq!(parse_request(&req[..20]), Progress::NeedMore(21));
        assert!(matches!(parse_request(req), Progress::NeedMore(_)));
        let mut full = req.to_vec();
        full.extend_from_slice(b"Proxy-Authorization: Basic eDp5\r\n\r\n\x16\x03\x01");
        match parse_request(&full) {
            Progress::Done(r) => {
                assert_eq!(r.host, "login.microsoftonline.com");
                assert_eq!(r.port, 443);
                assert!(r.has_credentials);
                assert_eq!(&full[r.head_len..], b"\x16\x03\x01");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_request(b"GET / HTTP/1.1\r\n\r\n"), Progress::NotThis);
    }

    #[test]
    fn ipv6_targets_and_missing_ports() {
        assert_eq!(
            split_host_port("[2603:1030::1]:8443"),
            ("2603:1030::1".into(), Some(8443))
        );
        assert_eq!(split_host_port("example.net"), ("example.net".into(), None));
        // A colon inside the host: the port is the last field, once.
        assert_eq!(split_host_port("a:b:8443"), ("a:b".into(), Some(8443)));
        assert_eq!(split_host_port("a:b"), ("a:b".into(), None));
    }

    #[test]
    fn hostile_bytes_become_printable() {
        let req = b"CONNECT evil\x1b[2J\x07host.example:443 HTTP/1.1\r\n\r\n";
        let Progress::Done(r) = parse_request(req) else {
            panic!()
        };
        assert_eq!(r.host, "evil\\027[2j\\007host.example");
        assert!(r.host.chars().all(|c| (' '..='~').contains(&c)));
        let resp = b"HTTP/1.1 407 x\r\nProxy-Authenticate: Ba\x1bsic realm=x\r\n\r\n";
        let Progress::Done(p) = parse_response(resp) else {
            panic!()
        };
        assert_eq!(p.auth_scheme.as_deref(), Some("Ba\\027sic"));
    }

    #[test]
    fn response_status_and_scheme() {
        let r = b"HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n";
        match parse_response(r) {
            Progress::Done(p) => {
                assert_eq!(p.status, 407);
                assert_eq!(p.auth_scheme.as_deref(), Some("Basic"));
                assert_eq!(p.head_len, r.len());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_response(b"\x16\x03\x03"), Progress::NotThis);
        assert_eq!(parse_response(b"HTTP/1.1 abc\r\n\r\n"), Progress::NotThis);
    }
}
