//! The payload stripper on streams built record by record: what stays, what
//! goes, and that no byte of an application-data body ever stays.

use super::*;

const ISN: u32 = 0xfff0_0000; // wraps inside the stream
const BODY: u8 = 0xa5; // every application-data body byte

fn record(ct: u8, body: &[u8]) -> Vec<u8> {
    let mut r = vec![ct, 3, 3];
    r.extend_from_slice(&(body.len() as u16).to_be_bytes());
    r.extend_from_slice(body);
    r
}

/// A TLS 1.2 client stream: a 200-byte handshake record (its bytes 0x16
/// after the header), then `n` application-data records of 16 KiB.
fn tls_stream(n: usize) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut s = record(22, &[0x01; 200]);
    let mut headers = vec![(0, 205)];
    for _ in 0..n {
        headers.push((s.len(), s.len() + 5));
        s.extend_from_slice(&record(23, &[BODY; 16_384]));
    }
    (s, headers)
}

/// Feeds `stream` in segments of `mss` after a SYN; returns each segment's
/// (offset, plan) and the stream as the bundle keeps it (cut bytes absent:
/// `None`).
fn feed(d: &mut Direction, stream: &[u8], mss: usize) -> (Vec<(usize, Plan)>, Vec<Option<u8>>) {
    assert_eq!(d.plan(false, ISN, true, &[]), Plan::whole(0));
    let mut plans = Vec::new();
    let mut kept = vec![None; stream.len()];
    for (i, seg) in stream.chunks(mss).enumerate() {
        let off = i * mss;
        let seq = ISN.wrapping_add(1).wrapping_add(off as u32);
        let plan = d.plan(false, seq, false, seg);
        let mut out = Vec::new();
        plan.apply(seg, &mut out);
        for (k, b) in out.into_iter().enumerate() {
            kept[off + k] = Some(b);
        }
        plans.push((off, plan));
    }
    (plans, kept)
}

#[test]
fn tls_keeps_handshakes_and_headers_and_no_application_byte() {
    let (stream, headers) = tls_stream(8);
    let mut d = Direction::default();
    let (plans, kept) = feed(&mut d, &stream, 1448);
    // The handshake record and every record header stay as they were.
    for &(a, b) in &headers {
        for (i, k) in kept.iter().enumerate().take(b).skip(a) {
            assert_eq!(*k, Some(stream[i]), "byte {i}");
        }
    }
    // No body byte stays: cut off the end of its packet, or zeros before a
    // header in the same packet.
    for (i, k) in kept.iter().enumerate() {
        if !headers.iter().any(|&(a, b)| (a..b).contains(&i)) {
            assert!(matches!(k, None | Some(0)), "byte {i}: {k:?}");
        }
    }
    // Each packet keeps up to the end of the last kept byte it holds.
    for (off, plan) in &plans {
        let end = (off + 1448).min(stream.len());
        let want = headers
            .iter()
            .filter(|&&(a, b)| a < end && b > *off)
            .map(|&(_, b)| b.min(end) - off)
            .max()
            .unwrap_or(0);
        assert_eq!(plan.len, want, "at {off}");
    }
    // Most of the stream is gone, not blanked.
    let present = kept.iter().filter(|k| k.is_some()).count();
    assert!(present < stream.len() / 10, "{present} of {}", stream.len());
}

#[test]
fn retransmissions_and_copies_are_treated_as_the_first_copy() {
    let (stream, _) = tls_stream(6);
    let mut d = Direction::default();
    let (plans, _) = feed(&mut d, &stream, 1000);
    // The same segments again (pktmon copies, or retransmissions), and a
    // retransmission with another segmentation.
    for (off, plan) in plans.iter().rev().take(40) {
        let seq = ISN.wrapping_add(1).wrapping_add(*off as u32);
        let seg = &stream[*off..(*off + 1000).min(stream.len())];
        assert_eq!(&d.plan(false, seq, false, seg), plan, "at {off}");
    }
    let hdr = 205 + 16_389 * 4; // the fifth application record's header
    let seg = &stream[hdr - 700..hdr + 700];
    let plan = d.plan(false, ISN.wrapping_add(1 + (hdr - 700) as u32), false, seg);
    let mut out = Vec::new();
    plan.apply(seg, &mut out);
    assert_eq!(out.len(), 705);
    assert_eq!(&out[700..705], &stream[hdr..hdr + 5]);
    assert!(out[..700].iter().all(|b| *b == 0));
}

#[test]
fn a_gap_inside_a_body_keeps_the_records_a_gap_at_a_header_loses_them() {
    let (stream, headers) = tls_stream(8);
    let mut d = Direction::default();
    d.plan(false, ISN, true, &[]);
    let seg = |d: &mut Direction, a: usize, b: usize| {
        let p = d.plan(false, ISN.wrapping_add(1 + a as u32), false, &stream[a..b]);
        let mut out = Vec::new();
        p.apply(&stream[a..b], &mut out);
        out
    };
    seg(&mut d, 0, 1000);
    // Skip to the middle of the first application body: still in step,
    // the next header is found where it must be.
    let h1 = headers[2].0;
    let out = seg(&mut d, h1 - 100, h1 + 100);
    assert_eq!(&out[100..105], &stream[h1..h1 + 5]);
    // Skip over the next header: lost, until a segment starts with one.
    let h2 = headers[3].0;
    let h3 = headers[4].0;
    let out = seg(&mut d, h2 + 10, h2 + 2000);
    assert!(out.iter().all(|b| *b == 0));
    let out = seg(&mut d, h3, h3 + 1000);
    assert_eq!(&out[..5], &stream[h3..h3 + 5]);
    let h4 = headers[5].0;
    let out = seg(&mut d, h4 - 10, h4 + 10);
    assert_eq!(&out[10..15], &stream[h4..h4 + 5]);
}

#[test]
fn a_proxy_head_keeps_its_request_line_and_nothing_else() {
    let mut client = b"CONNECT asrcache1.blob.core.windows.net:443 HTTP/1.1\r\n\
        Host: asrcache1.blob.core.windows.net:443\r\n\
        Proxy-Authorization: Basic c2VjcmV0OnBhc3N3b3Jk\r\n\
        X-Proxy-Token: tok-3f9a\r\n\
        Proxy-Connection: Keep-Alive\r\n\
        User-Agent: test\r\n\r\n"
        .to_vec();
    let head_len = client.len();
    client.extend_from_slice(&record(22, &[1; 100]));
    client.extend_from_slice(&record(23, &[BODY; 300]));
    let mut d = Direction::default();
    // Sent in small pieces: field names are split from their values.
    let (_, kept) = feed(&mut d, &client, 37);
    // The application data's body is cut; everything before it is there.
    let out: Vec<u8> = kept.iter().map_while(|k| *k).collect();
    assert_eq!(out.len(), head_len + 105 + 5);
    let text = String::from_utf8_lossy(&out[..head_len]).to_string();
    let want = [
        "CONNECT asrcache1.blob.core.windows.net:443 HTTP/1.1".to_string(),
        format!(
            "xxxx:{}",
            "x".repeat(" asrcache1.blob.core.windows.net:443".len())
        ),
        format!(
            "Proxy-Authorization:{}",
            "x".repeat(" Basic c2VjcmV0OnBhc3N3b3Jk".len())
        ),
        // What stays of another name is a prefix of a kept one
        // (`X-Squid-Error`).
        format!(
            "X-{}:{}",
            "x".repeat("Proxy-Token".len()),
            "x".repeat(" tok-3f9a".len())
        ),
        // What stays of another name is a prefix of a kept one.
        format!("Proxy-xxxxxxxxxx:{}", "x".repeat(" Keep-Alive".len())),
        format!("xxxxxxxxxx:{}", "x".repeat(" test".len())),
        String::new(),
        String::new(),
    ]
    .join("\r\n");
    assert_eq!(text, want);
    assert_eq!(
        &out[head_len..head_len + 105],
        &client[head_len..head_len + 105]
    );
    assert!(out[head_len + 110..].iter().all(|b| *b == 0));
    // The analysis reads the scrubbed head as it read the original.
    let (a, b) = (
        crate::proto::http_connect::parse_request(&out),
        crate::proto::http_connect::parse_request(&client),
    );
    assert_eq!(a, b);
    assert!(matches!(a, crate::proto::Progress::Done(ref r) if r.has_credentials));
}

/// The proxy's answers: of a 407, the version, code, Proxy-Authenticate's
/// scheme and Content-Length, and its body goes; a 200 is followed by TLS.
#[test]
fn a_proxy_answer_keeps_its_code_and_scheme_and_nothing_else() {
    let mut refused = b"HTTP/1.1 407 Proxy Authentication Required\r\n\
        Server: squid/5.7\r\n\
        Proxy-Authenticate: Basic realm=\"corp\"\r\n\
        Via: 1.1 proxy7.contoso.example (squid/5.7)\r\n\
        X-Cache: MISS from proxy7.contoso.example\r\n\
        Content-Length: 20\r\n\r\n"
        .to_vec();
    let head = refused.len();
    refused.extend_from_slice(b"<html>secret!</html>");
    let mut d = Direction::default();
    d.plan(true, ISN, true, &[]);
    let p = d.plan(true, ISN.wrapping_add(1), false, &refused);
    assert_eq!(p.zero, vec![(head, refused.len())]);
    let mut out = Vec::new();
    p.apply(&refused, &mut out);
    let text = String::from_utf8_lossy(&out[..head]).to_string();
    let want = [
        format!(
            "HTTP/1.1 407 {}",
            "x".repeat("Proxy Authentication Required".len())
        ),
        format!("xxxxxx:{}", "x".repeat(" squid/5.7".len())),
        format!(
            "Proxy-Authenticate: Basic {}",
            "x".repeat("realm=\"corp\"".len())
        ),
        format!(
            "xxx:{}",
            "x".repeat(" 1.1 proxy7.contoso.example (squid/5.7)".len())
        ),
        format!(
            "X-xxxxx:{}",
            "x".repeat(" MISS from proxy7.contoso.example".len())
        ),
        "Content-Length: 20".to_string(),
        String::new(),
        String::new(),
    ]
    .join("\r\n");
    assert_eq!(text, want);
    assert_eq!(
        crate::proto::http_connect::parse_response(&out[..head]),
        crate::proto::http_connect::parse_response(&refused)
    );
    let mut ok = b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec();
    let head = ok.len();
    ok.extend_from_slice(&record(22, &[2; 60]));
    let mut d = Direction::default();
    d.plan(true, ISN, true, &[]);
    let p = d.plan(true, ISN.wrapping_add(1), false, &ok);
    let reason = "HTTP/1.1 200 ".len();
    assert_eq!(p.len, head + 65);
    assert_eq!(
        p.scrub,
        vec![(reason, reason + "Connection established".len())]
    );
    assert!(p.zero.is_empty());
}

/// curl --proxy-anyauth: a CONNECT answered 407, and a second CONNECT on
/// the same connection with credentials, answered 200: both heads are read
/// (the refusal's body skipped by its length), and TLS after them.
#[test]
fn a_second_connect_on_the_same_connection_is_read_as_the_first() {
    let first = b"CONNECT a.blob.core.windows.net:443 HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
    let second = b"CONNECT a.blob.core.windows.net:443 HTTP/1.1\r\n\
        Proxy-Authorization: Basic c2VjcmV0\r\n\r\n"
        .to_vec();
    let mut client = first.clone();
    client.extend_from_slice(&second);
    let hello = record(22, &[1; 80]);
    client.extend_from_slice(&hello);
    let mut d = Direction::default();
    let (_, kept) = feed(&mut d, &client, 1448);
    let out: Vec<u8> = kept.iter().map_while(|k| *k).collect();
    let at = first.len() + second.len();
    assert_eq!(
        &out[first.len()..first.len() + 46],
        &second[..46],
        "the second request line"
    );
    assert!(String::from_utf8_lossy(&out).contains("\r\nProxy-Authorization:xxxxxxxxxxxxxxx\r\n"));
    assert_eq!(&out[at..], &hello[..], "the hello after the second head");

    let body = b"<html>secret page</html>";
    let mut server = format!(
        "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    let head = server.len();
    server.extend_from_slice(body);
    let ok = b"HTTP/1.1 200 Connection established\r\n\r\n";
    server.extend_from_slice(ok);
    let flight = record(22, &[2; 90]);
    server.extend_from_slice(&flight);
    let mut d = Direction::default();
    d.plan(true, ISN, true, &[]);
    let p = d.plan(true, ISN.wrapping_add(1), false, &server);
    let mut out = Vec::new();
    p.apply(&server, &mut out);
    assert_eq!(out.len(), server.len());
    assert!(
        out[head..head + body.len()].iter().all(|b| *b == 0),
        "the body goes"
    );
    let after = head + body.len();
    assert_eq!(&out[after..after + 13], b"HTTP/1.1 200 ");
    assert_eq!(
        &out[after + ok.len()..],
        &flight[..],
        "the server's flight after the 200"
    );
}

/// A credential folded onto continuation lines (obs-fold, RFC 9112 §5.2,
/// which squid accepts): nothing of it stays, whatever the first line held.
#[test]
fn folded_fields_keep_nothing_of_their_continuations() {
    let client = b"CONNECT login.microsoftonline.com:443 HTTP/1.1\r\n\
        Proxy-Authorization:Basic\r\n dXNlcjpwYXNzd29yZA==\r\n\
        \tbW9yZQ==\r\n\
        Proxy-Authenticate: Basic\r\n realm-in-a-fold\r\n\r\n";
    for mss in [1, 7, 1448] {
        let mut d = Direction::default();
        let (_, kept) = feed(&mut d, client, mss);
        let out: Vec<u8> = kept.iter().map_while(|k| *k).collect();
        let text = String::from_utf8_lossy(&out).to_string();
        let want = [
            "CONNECT login.microsoftonline.com:443 HTTP/1.1".to_string(),
            format!("Proxy-Authorization:{}", "x".repeat(5)),
            format!(" {}", "x".repeat("dXNlcjpwYXNzd29yZA==".len())),
            format!("\t{}", "x".repeat("bW9yZQ==".len())),
            "Proxy-Authenticate: Basic".to_string(),
            format!(" {}", "x".repeat("realm-in-a-fold".len())),
            String::new(),
            String::new(),
        ]
        .join("\r\n");
        assert_eq!(text, want, "segments of {mss}");
    }
}

#[test]
fn other_protocols_keep_nothing() {
    let mut put = b"PUT /asr-cache/disk0/00000008.log HTTP/1.1\r\nHost: x\r\n\r\n".to_vec();
    put.extend_from_slice(&[b'M'; 100_000]);
    let mut d = Direction::default();
    let (_, kept) = feed(&mut d, &put, 1448);
    // Zeros where the analysis reads (the first 64 KiB), nothing past it.
    let z = ZERO_FILL as usize;
    assert!(kept[..z].iter().all(|k| *k == Some(0)));
    assert!(kept[z + 1448..].iter().all(Option::is_none));
}

#[test]
fn a_stream_seen_from_its_middle_is_picked_up_at_a_header() {
    let (stream, headers) = tls_stream(6);
    let mut d = Direction::default();
    let h = headers[3].0;
    // No SYN: the first segment is inside a body, the third starts a record.
    let at = |off: usize| ISN.wrapping_add(off as u32);
    let p = d.plan(false, at(h - 3000), false, &stream[h - 3000..h - 1500]);
    assert!(p.zero.iter().map(|(a, b)| b - a).sum::<usize>() == p.len);
    d.plan(false, at(h - 1500), false, &stream[h - 1500..h]);
    let p = d.plan(false, at(h), false, &stream[h..h + 1500]);
    assert_eq!(p, Plan::whole(5)); // the header, then its body cut
}

#[test]
fn plausible_records_only() {
    assert!(plausible_record(&[23, 3, 3, 0x40, 0x00]));
    assert!(plausible_record(&[22, 3, 1, 0, 100, 1]));
    assert!(!plausible_record(&[22, 3, 1, 0, 100, 0x99]));
    assert!(!plausible_record(&[23, 3, 3, 0xff, 0xff]));
    assert!(!plausible_record(&[20, 3, 3, 0, 2]));
    assert!(!plausible_record(b"GET /"));
    assert!(!plausible_record(&[23, 3]));
}

/// A Squid error page keeps which error it is (the analysis names the deny
/// page by it), and nothing else of the head; its body goes.
#[test]
fn a_squid_error_page_keeps_its_error_code_and_nothing_else() {
    let mut denied = b"HTTP/1.1 403 Forbidden\r\n\
        Server: squid/5.7\r\n\
        X-Squid-Error: ERR_ACCESS_DENIED 0\r\n\
        Via: 1.1 fw.contoso.example (squid/5.7)\r\n\
        Content-Length: 12\r\n\r\n"
        .to_vec();
    let head = denied.len();
    denied.extend_from_slice(b"<html></html>"[..12].as_ref());
    let mut d = Direction::default();
    d.plan(true, ISN, true, &[]);
    let p = d.plan(true, ISN.wrapping_add(1), false, &denied);
    let mut out = Vec::new();
    p.apply(&denied, &mut out);
    let text = String::from_utf8_lossy(&out[..head]).to_string();
    assert!(
        text.contains("\r\nX-Squid-Error: ERR_ACCESS_DENIED x\r\n"),
        "{text}"
    );
    assert!(
        !text.contains("squid/5.7") && !text.contains("contoso"),
        "{text}"
    );
    assert_eq!(
        crate::proto::http::deny_page(403, &out[..head], &[]),
        crate::proto::http::deny_page(403, &denied[..head], &[])
    );
}
