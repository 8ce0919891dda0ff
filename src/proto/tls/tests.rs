//! The TLS parsers on literal bytes: TCP payloads copied from sample captures
//! in `captures/` (capture and frame named on each), and records re-framed or
//! cut from them to reach the cases the captures do not show. Server names,
//! versions and handshake types asserted are tshark's reading of those frames
//! (`captures/truth/`).

use super::*;

/// Bytes from hex text; whitespace is ignored.
fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// healthy-tls12-dns.pcap frame 6: curl's TLS 1.2 ClientHello to the cache
/// storage account, one record of 237 bytes (SNI, ALPN h2 and http/1.1, no
/// supported_versions).
const HELLO_TLS12: &str = "
    16030100ed010000e9030375027ff218faa293345415ad03fe61f41d3790e814
    a007eb2996f19333c2c848000038c02cc030009fcca9cca8ccaac02bc02f009e
    c024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c
    0035002f00ff0100008800000024002200001f6173726361636865312e626c6f
    622e636f72652e77696e646f77732e6e6574000b000403000102000a000c000a
    001d0017001e001900180010000e000c02683208687474702f312e3100160000
    00170000000d002a0028040305030603080708080809080a080b080408050806
    040105010601030303010302040205020602
";

/// split-clienthello.pcap frames 6, 7 and 8: one TLS 1.3 ClientHello record
/// of 512 bytes (SNI myvault.vault.azure.net) in three TCP segments, the
/// server having clamped the MSS to 200.
const HELLO_SEGMENT_1: &str = "
    1603010200010001fc0303352ad709440066112cb88e3b6dc6235bce2e5083c4
    3fd66d7a5cbd0c250c8a4d206f77acf42d1e234451cbf34f636a57d3a89f41e5
    ecba5c08ff902ffdfe66e3a1000813021303130100ff010001ab0000001c001a
    0000176d797661756c742e7661756c742e617a7572652e6e6574000b00040300
    0102000a00160014001d0017001e00190018010001010102010301040010000e
    000c02683208687474702f312e31001600000017000000310000000d
";
const HELLO_SEGMENT_2: &str = "
    001e001c040305030603080708080809080a080b080408050806040105010601
    002b0003020304002d00020101003300260024001d0020fef7562c819e58ab2f
    95e9e61a19c94201e73037a2975aac975ab9991dfdf33c001500ee0000000000
    0000000000000000000000000000000000000000000000000000000000000000
    0000000000000000000000000000000000000000000000000000000000000000
    00000000000000000000000000000000000000000000000000000000
";
const HELLO_SEGMENT_3: &str = "
    0000000000000000000000000000000000000000000000000000000000000000
    0000000000000000000000000000000000000000000000000000000000000000
    0000000000000000000000000000000000000000000000000000000000000000
    0000000000000000000000000000000000000000000000000000000000000000
    00000000000000000000000000
";

/// loss-ratelimit.pcap frame 6: the first 190 of the ClientHello's 517 bytes
/// (snap length 256): the cut falls after the server_name extension.
const HELLO_CUT_AFTER_SNI: &str = "
    1603010200010001fc0303eec9c0c3e60a89ae3f666ecdb8f57bc8c0208a077d
    726384bf543f329dfce14c20c6c76d2653f648fccd06afb6490b26b5dec62dcc
    6c0b39160eb9bfe6f17a163e003e130213031301c02cc030009fcca9cca8ccaa
    c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d
    009c003d003c0035002f00ff0100017500000024002200001f61737263616368
    65312e626c6f622e636f72652e77696e646f77732e6e6574000b00040300
";

/// snaplen-96.pcap frame 6: the first 30 of the ClientHello's 517 bytes
/// (snap length 96): the cut falls inside the random.
const HELLO_CUT_IN_RANDOM: &str = "
    1603010200010001fc0303d63620bb67dc7a59d36e750967cb4f9de9f39b
";

/// tls-intercepted.pcap frame 8, its first two records: the ServerHello
/// (TLS 1.2) and the Certificate of the intercepting firewall, issued by
/// "Contoso Firewall Inspection CA" (the segment goes on with the
/// ServerKeyExchange and ServerHelloDone).
const SERVER_TLS12: &str = "
    160303005d0200005903030ebed4d1ade221851236e23795e2eeb7761b2db920
    ee5e4aac8181ab983091a220505c047da367397f94ccb39112176970600bbbce
    6da9f0f307b8f08f2e359fadc030000011ff01000100000b0004030001020017
    000016030303fa0b0003f60003f30003f0308203ec308202d4a0030201020209
    00b275895d759ded6b300d06092a864886f70d01010b05003067310b30090603
    5504061302555331143012060355040a0c0b436f6e746f736f204c7464311930
    17060355040b0c104e6574776f726b2053656375726974793127302506035504
    030c1e436f6e746f736f204669726577616c6c20496e7370656374696f6e2043
    41301e170d3236313132383136333934315a170d323930333032313633393431
    5a3068310b3009060355040613025553310b300906035504080c025741311030
    0e06035504070c075265646d6f6e6431163014060355040a0c0d61737273636f
    706520746573743122302006035504030c196c6f67696e2e6d6963726f736f66
    746f6e6c696e652e636f6d30820122300d06092a864886f70d01010105000382
    010f003082010a0282010100acb151514060b002b05b7f2c2067906cb1703319
    e25cd2bd7c9386b0dbc155f0a531e15c6b2ffeba3177a10885eb6627e835e392
    86ed5ebd13b066aea7b11f32b38734cf1d36a2bf9e0491e4d056ae56310b3082
    7d98f5cc37840c28ea4a43b89f9dc64273143f6fea7286a4e230d0f449b56f02
    39e4c0efe7d0f02db02e37d21a6a856af8acc160f3c44bd3ce65aeee366aaaf7
    8db457481f7778da48540b13c8f785ff4818a514f39a55917b0c569d02ce2440
    c765132fe46e4286a3a1d7511afaf932e4bf952967a77bb5c6af96ac8f5c342c
    7182d7a7f04c8762f18eca5769fe4b388b5af290adf860d04637be78964f68d8
    fc2acc9bdb70849336526f650203010001a3819930819630090603551d130402
    3000300e0603551d0f0101ff0404030205a030130603551d25040c300a06082b
    0601050507030130240603551d11041d301b82196c6f67696e2e6d6963726f73
    6f66746f6e6c696e652e636f6d301d0603551d0e04160414be0927347d91c7cc
    e0063a1958443dccb7793202301f0603551d2304183016801451420078319023
    5104f2637b7e83163ea03e638b300d06092a864886f70d01010b050003820101
    005bc6a0e9cee3a88040caeaeccab62b943c5e97a9fcf243ce4417bacf4cc159
    e6e34d04c33594677fcda4dd1d4d2f6f2ec8fa948f75bfe61ea8ef19851ff7ba
    fa77efb7d45dd5b58af321033444d5341413b13f6ea16a7c184f45713677430e
    8691656f4f868724eae82fed14c386c67777bc580f7f9e0303995860b7cbd861
    79dd0b1672d532949228b9100c560e65bc664817e5947650a98515427aed41d4
    ad6392e8be540ddd7315b33053883d56ad96a700a0299f3ec50e71279b0c5351
    0dc80d243c93c75df6691a3d5331a68253fc3deccc4ec05f47bf8980f653c397
    537350101ea10d61d64292d5c8338089f20520a7fbc9bef6fff08215fb0e441b
    c6
";

/// split-clienthello.pcap frame 12, its first 138 bytes: the ServerHello
/// (supported_versions TLS 1.3), ChangeCipherSpec, and the header of the
/// first encrypted record.
const SERVER_TLS13: &str = "
    160303007a020000760303a5dcae05049cbdf354ca06b50733158b826ac9dec2
    30e5102d7f81ea1598e707206f77acf42d1e234451cbf34f636a57d3a89f41e5
    ecba5c08ff902ffdfe66e3a1130200002e002b0002030400330024001d00206c
    fe8263fe42017098823ebe6abe35a3996d2389df7832cf65bf3f6e0704485914
    03030001011703030017
";

/// A fatal handshake_failure alert, as RFC 5246 7.2 lays it out.
const ALERT_HANDSHAKE_FAILURE: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];

fn segments() -> Vec<u8> {
    [
        hex(HELLO_SEGMENT_1),
        hex(HELLO_SEGMENT_2),
        hex(HELLO_SEGMENT_3),
    ]
    .concat()
}

/// The ClientHello of [`HELLO_TLS12`]; `end` is where its last record ends.
fn hello_tls12(end: usize) -> ClientHello {
    ClientHello {
        sni: Some("asrcache1.blob.core.windows.net".into()),
        legacy_version: 0x0303,
        versions: vec![0x0303],
        alpn: vec!["h2".into(), "http/1.1".into()],
        sslv2: false,
        complete: true,
        end,
    }
}

/// The handshake messages of `stream` (whole records only) laid out again
/// in records whose fragments have the given sizes (the last one takes the
/// rest), as a sender that fragments its handshake would write them.
fn reframe(stream: &[u8], sizes: &[usize]) -> Vec<u8> {
    let mut msgs = Vec::new();
    walk_records(stream, |ct, frag, _| {
        assert_eq!(ct, CT_HANDSHAKE);
        msgs.extend_from_slice(frag);
        true
    });
    let version = [stream[1], stream[2]];
    let mut out = Vec::new();
    let mut rest = &msgs[..];
    let mut sizes = sizes.iter();
    while !rest.is_empty() {
        let n = sizes.next().map_or(rest.len(), |&n| n.min(rest.len()));
        out.extend_from_slice(&[CT_HANDSHAKE, version[0], version[1]]);
        out.extend_from_slice(&(n as u16).to_be_bytes());
        out.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
    }
    out
}

/// A one-record ClientHello with the extension `old` replaced by `new`, and
/// the record, handshake and extensions lengths grown to match.
fn replace_extension(hello: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let at = hello.windows(old.len()).position(|w| w == old).unwrap();
    let mut h = [&hello[..at], new, &hello[at + old.len()..]].concat();
    let grow = new.len() - old.len();
    let mut add = |i: usize, width: usize| {
        let mut v = h[i..i + width].iter().fold(0, |v, &b| v << 8 | b as usize);
        v += grow;
        for k in 0..width {
            h[i + k] = (v >> (8 * (width - 1 - k))) as u8;
        }
    };
    add(3, 2); // record length
    add(6, 3); // handshake length
    // Past version and random: session id, cipher suites, compression methods.
    let mut i = 5 + 4 + 2 + 32;
    i += 1 + h[i] as usize;
    i += 2 + u16::from_be_bytes([h[i], h[i + 1]]) as usize;
    i += 1 + h[i] as usize;
    let mut add = |i: usize| {
        let v = u16::from_be_bytes([h[i], h[i + 1]]) as usize + grow;
        h[i..i + 2].copy_from_slice(&(v as u16).to_be_bytes());
    };
    add(i); // extensions length
    h
}

// ---------------------------------------------------------------------------
// ClientHello

#[test]
fn tls12_client_hello() {
    let b = hex(HELLO_TLS12);
    assert_eq!(b.len(), 242);
    let Progress::Done(h) = parse_client(&b) else {
        panic!("{:?}", parse_client(&b))
    };
    assert_eq!(h, hello_tls12(242));
    assert_eq!(h.max_version(), Some(0x0303));
    // What follows the hello's record is not read.
    let more = [&b[..], &[0x17, 0x03, 0x03, 0x00, 0x01, 0xff]].concat();
    assert_eq!(parse_client(&more), Progress::Done(hello_tls12(242)));
}

#[test]
fn client_hello_over_three_segments() {
    let s = segments();
    let seg1 = hex(HELLO_SEGMENT_1).len();
    let seg2 = hex(HELLO_SEGMENT_2).len();
    assert_eq!((seg1, seg2, s.len()), (188, 188, 517));
    // Until the record is whole, the parser asks for all of it.
    assert_eq!(parse_client(&s[..seg1]), Progress::NeedMore(517));
    assert_eq!(parse_client(&s[..seg1 + seg2]), Progress::NeedMore(517));
    for cut in 0..s.len() {
        let want = if cut < 5 { 5 } else { 517 };
        assert_eq!(
            parse_client(&s[..cut]),
            Progress::NeedMore(want),
            "cut {cut}"
        );
    }
    let Progress::Done(h) = parse_client(&s) else {
        panic!("not parsed")
    };
    assert_eq!(
        h,
        ClientHello {
            sni: Some("myvault.vault.azure.net".into()),
            legacy_version: 0x0303,
            versions: vec![0x0304],
            alpn: vec!["h2".into(), "http/1.1".into()],
            sslv2: false,
            complete: true,
            end: 517,
        }
    );
    assert_eq!(h.max_version(), Some(0x0304));
}

#[test]
fn hello_split_across_records_is_joined() {
    let b = hex(HELLO_TLS12);
    // The 237-byte handshake message in two records, split at every byte
    // (also inside its 4-byte header).
    for k in 1..237 {
        let two = reframe(&b, &[k]);
        assert_eq!(two.len(), 247);
        assert_eq!(
            parse_client(&two),
            Progress::Done(hello_tls12(247)),
            "split at {k}"
        );
        // The first record alone: the second one's end is asked for.
        assert_eq!(parse_client(&two[..5 + k]), Progress::NeedMore(5 + k + 5));
        assert_eq!(parse_client(&two[..5 + k + 5]), Progress::NeedMore(247));
    }
    // One byte per record.
    let tiny = reframe(&b, &[1; 237]);
    assert_eq!(tiny.len(), 237 * 6);
    assert_eq!(parse_client(&tiny), Progress::Done(hello_tls12(237 * 6)));
    // The TLS 1.3 hello in three records.
    let three = reframe(&segments(), &[100, 300]);
    let Progress::Done(h) = parse_client(&three) else {
        panic!("not joined")
    };
    assert_eq!(h.sni.as_deref(), Some("myvault.vault.azure.net"));
    assert_eq!((h.versions, h.end), (vec![0x0304], 527));
}

#[test]
fn cut_hello_keeps_its_server_name_and_says_it_is_cut() {
    let b = hex(HELLO_CUT_AFTER_SNI);
    assert_eq!(b.len(), 190);
    // The record announces 512 bytes: the parser waits for them.
    assert_eq!(parse_client(&b), Progress::NeedMore(517));
    assert_eq!(
        client_hello_partial(&b),
        Some(ClientHello {
            sni: Some("asrcache1.blob.core.windows.net".into()),
            legacy_version: 0x0303,
            // supported_versions was not captured: only the legacy version is known.
            versions: vec![0x0303],
            alpn: vec![],
            sslv2: false,
            complete: false,
            end: 190,
        })
    );
    // Cut anywhere in the name, no name (never a part of one); cut after
    // its last byte, the whole name.
    let name = b"asrcache1.blob.core.windows.net";
    let at = b.windows(name.len()).position(|w| w == name).unwrap();
    for cut in at - 9..at + name.len() {
        let h = client_hello_partial(&b[..cut]).unwrap();
        assert_eq!((h.sni, h.complete, h.end), (None, false, cut), "cut {cut}");
    }
    for cut in at + name.len()..=b.len() {
        let h = client_hello_partial(&b[..cut]).unwrap();
        assert_eq!(h.sni.as_deref(), Some("asrcache1.blob.core.windows.net"));
    }
    // A whole hello read as partial is still one: the name is there.
    let whole = client_hello_partial(&hex(HELLO_TLS12)).unwrap();
    assert_eq!((whole.sni, whole.complete), (hello_tls12(0).sni, false));
}

#[test]
fn hello_cut_in_its_random() {
    let b = hex(HELLO_CUT_IN_RANDOM);
    assert_eq!(b.len(), 30);
    assert_eq!(parse_client(&b), Progress::NeedMore(517));
    // Nothing past the legacy version was captured: no name, never complete.
    // (client_hello_partial gives None here, as it reads on to the lengths
    // after the random, although its documentation keeps None for bytes that
    // do not start a hello; either answer is accepted.)
    if let Some(h) = client_hello_partial(&b) {
        assert_eq!((h.sni, h.complete, h.legacy_version), (None, false, 0x0303));
    }
}

#[test]
fn what_is_not_a_client_hello() {
    let not = |b: &[u8]| assert_eq!(parse_client(b), Progress::NotThis, "{b:02x?}");
    not(b"GET / HTTP/1.1\r\nHost: asrcache1.blob.core.windows.net\r\n\r\n");
    not(&[0x17, 0x03, 0x03, 0x00, 0x01, 0xff]); // application data first
    not(&hex(SERVER_TLS12)); // a ServerHello
    not(&[0x16, 0x02, 0x00, 0x00, 0x01, 0x01]); // record version 2.0
    not(&[0x16, 0x03, 0x01, 0x50, 0x00]); // a record longer than TLS allows
    not(&[0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x7f, 0xff, 0xff]); // 8 MB message
    // Too short to tell yet.
    for b in [&[][..], &[0x16], &[0x16, 0x03, 0x01]] {
        assert_eq!(parse_client(b), Progress::NeedMore(5));
    }
    // client_hello_partial only reads what starts a ClientHello.
    for b in [
        &hex(SERVER_TLS12)[..],
        b"GET / HTTP/1.1\r\n",
        &[0x17, 0x03, 0x03, 0x00, 0x01, 0xff],
        &[],
        &[0x16, 0x03],
    ] {
        assert_eq!(client_hello_partial(b), None, "{b:02x?}");
    }
}

#[test]
fn sslv2_format_hello() {
    // A 46-byte SSLv2-format CLIENT-HELLO offering TLS 1.0 (RFC 5246
    // appendix E.2): length with the high bit, type 1, version 3.1, lengths
    // of the cipher specs, session id and challenge, then those.
    let mut b = vec![
        0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10,
    ];
    b.extend_from_slice(&[0x00, 0x00, 0x2f].repeat(7));
    b.extend_from_slice(&[0xab; 16]);
    assert_eq!(b.len(), 48);
    let want = |complete| ClientHello {
        sni: None,
        legacy_version: 0x0301,
        versions: vec![0x0301],
        alpn: vec![],
        sslv2: true,
        complete,
        end: 48,
    };
    assert_eq!(parse_client(&b), Progress::Done(want(true)));
    assert_eq!(parse_client(&b[..20]), Progress::Done(want(false)));
    assert_eq!(parse_client(&b[..4]), Progress::NeedMore(5));
    // Another SSLv2 message type is not a hello.
    b[2] = 0x02;
    assert_eq!(parse_client(&b), Progress::NotThis);
}

#[test]
fn versions_grease_and_the_highest_offered() {
    for g in [0x0a0a, 0x1a1a, 0x2a2a, 0x7a7a, 0xfafa] {
        assert!(is_grease(g), "{g:04x}");
    }
    for v in [0x0303, 0x0304, 0x0a1a, 0x0a0b, 0x7f1c] {
        assert!(!is_grease(v), "{v:04x}");
    }
    let h = |versions: Vec<u16>| ClientHello {
        versions,
        ..Default::default()
    };
    assert_eq!(h(vec![0x0301, 0x0304, 0x0303]).max_version(), Some(0x0304));
    // A TLS 1.3 draft ranks above TLS 1.2 and below TLS 1.3.
    assert_eq!(h(vec![0x0303, 0x7f1c]).max_version(), Some(0x7f1c));
    assert_eq!(h(vec![0x7f1c, 0x0304]).max_version(), Some(0x0304));
    assert_eq!(h(vec![]).max_version(), None);
    use crate::model::TlsVersion;
    assert_eq!(TlsVersion(0x0303).to_string(), "TLS1.2");
    assert_eq!(TlsVersion(0x7f1c).to_string(), "TLS1.3-draft28");
    assert_eq!(TlsVersion(0x1234).to_string(), "0x1234");
    // GREASE in supported_versions is dropped: the TLS 1.3 hello with its
    // supported_versions list (0304) rewritten as (0a0a 0304).
    let g = replace_extension(
        &segments(),
        &[0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04],
        &[0x00, 0x2b, 0x00, 0x05, 0x04, 0x0a, 0x0a, 0x03, 0x04],
    );
    let Progress::Done(h) = parse_client(&g) else {
        panic!("{:?}", parse_client(&g))
    };
    assert_eq!(h.versions, vec![0x0304]);
    assert_eq!(h.sni.as_deref(), Some("myvault.vault.azure.net"));
}

// ---------------------------------------------------------------------------
// Server flight

#[test]
fn tls12_server_hello_and_certificate() {
    let b = hex(SERVER_TLS12);
    assert_eq!(b.len(), 1121);
    let Progress::Done(f) = parse_server(&b) else {
        panic!("{:?}", parse_server(&b))
    };
    assert!(f.hello);
    assert_eq!((f.version, f.alert), (Some(0x0303), None));
    assert_eq!(f.certs.len(), 1, "{:#?}", f.certs);
    let leaf = &f.certs[0];
    assert_eq!(leaf.issuer_cn, "Contoso Firewall Inspection CA");
    assert_eq!(leaf.issuer_org, ["Contoso Ltd"]);
    assert_eq!(
        leaf.issuer,
        "C=US, O=Contoso Ltd, OU=Network Security, CN=Contoso Firewall Inspection CA"
    );
    // tshark: x509sat names WA, Redmond, asrscope test, login.microsoftonline.com
    // and C=US; x509ce.dNSName login.microsoftonline.com.
    assert_eq!(
        leaf.subject,
        "C=US, ST=WA, L=Redmond, O=asrscope test, CN=login.microsoftonline.com"
    );
    assert_eq!(leaf.san, ["login.microsoftonline.com"]);
    // The ServerHello alone: the certificate may still come.
    assert_eq!(parse_server(&b[..98]), Progress::NeedMore(103));
    assert_eq!(parse_server(&b[..110]), Progress::NeedMore(1121));
    let partial = server_partial(&b[..110]).unwrap();
    assert_eq!((partial.hello, partial.version), (true, Some(0x0303)));
    assert!(partial.certs.is_empty());
    // The certificate message split over records, at any byte.
    for k in [1, 4, 93, 95, 97, 98, 500, 1100] {
        let re = reframe(&b, &[k, 300]);
        let Progress::Done(g) = parse_server(&re) else {
            panic!("split at {k}")
        };
        assert_eq!(g, f, "split at {k}");
    }
}

#[test]
fn tls12_server_hello_then_hello_done_without_certificate() {
    // The ServerHello record, then a ServerHelloDone (anonymous or PSK suites).
    let b = [
        &hex(SERVER_TLS12)[..98],
        &[0x16, 0x03, 0x03, 0x00, 0x04, 0x0e, 0, 0, 0],
    ]
    .concat();
    let Progress::Done(f) = parse_server(&b) else {
        panic!("{:?}", parse_server(&b))
    };
    assert_eq!((f.hello, f.version, f.certs.len()), (true, Some(0x0303), 0));
}

#[test]
fn tls13_server_hello_then_encryption() {
    let b = hex(SERVER_TLS13);
    let want = ServerFacts {
        hello: true,
        version: Some(0x0304),
        // TLS_AES_256_GCM_SHA384, as the hello's bytes say (…1302 00…).
        cipher: Some(0x1302),
        alert: None,
        certs: vec![],
    };
    assert_eq!(parse_server(&b), Progress::Done(want.clone()));
    // The ServerHello record alone: its version is known.
    assert_eq!(server_partial(&b[..127]), Some(want.clone()));
    assert_eq!(parse_server(&b[..127]), Progress::NeedMore(132));
    // Past the hello, a record in clear that looks like an alert is not read
    // as one: TLS 1.3 encrypts alerts.
    let fake = [&b[..127], &ALERT_HANDSHAKE_FAILURE].concat();
    assert_eq!(parse_server(&fake), Progress::Done(want));
}

#[test]
fn alerts_in_clear() {
    let Progress::Done(f) = parse_server(&ALERT_HANDSHAKE_FAILURE) else {
        panic!("alert not read")
    };
    let a = f.alert.unwrap();
    assert_eq!((a.level, a.description), (2, AlertDescription(40)));
    assert_eq!(a.description.name(), "handshake_failure");
    assert!(!f.hello);
    // After a TLS 1.2 ServerHello (a certificate the client refused).
    let b = [
        &hex(SERVER_TLS12)[..98],
        &[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x30],
    ]
    .concat();
    let Progress::Done(f) = parse_server(&b) else {
        panic!("not read")
    };
    assert_eq!(
        (f.hello, f.alert.map(|a| a.description)),
        (true, Some(AlertDescription(48)))
    );
    assert!(AlertDescription(48).is_about_the_certificate());
    assert_eq!(AlertDescription(48).name(), "unknown_ca");
    assert_eq!(AlertDescription(112).name(), "unrecognized_name");
    assert_eq!(AlertDescription(255).name(), "other");
}

#[test]
fn what_is_not_a_server_flight() {
    assert_eq!(parse_server(b"HTTP/1.1 200 OK\r\n\r\n"), Progress::NotThis);
    // A client's hello on the server's side gives no facts (the parser
    // reads on, as a flight may hold more before the ServerHello).
    assert!(!matches!(
        parse_server(&hex(HELLO_TLS12)),
        Progress::Done(_)
    ));
    assert_eq!(server_partial(&hex(HELLO_TLS12)), None);
    assert_eq!(server_partial(&[]), None);
    assert_eq!(parse_server(&[]), Progress::NeedMore(5));
}

// ---------------------------------------------------------------------------
// Records, fragments and the search for a hello

#[test]
fn records_are_walked_one_by_one() {
    let b = hex(SERVER_TLS12);
    let mut seen = Vec::new();
    let walk = walk_records(&b, |ct, frag, end| {
        seen.push((ct, frag.len(), frag[0], end));
        true
    });
    assert_eq!(seen, [(22, 93, 2, 98), (22, 1018, 11, 1121)]);
    assert!(matches!(walk, Walk::Incomplete(1126)));
    // Stopped by the callback after the first.
    let mut n = 0;
    let walk = walk_records(&b, |_, _, _| {
        n += 1;
        false
    });
    assert!(matches!(walk, Walk::Stopped));
    assert_eq!(n, 1);
    // Cut inside the second record: its end is what is needed.
    assert!(matches!(
        walk_records(&b[..500], |_, _, _| true),
        Walk::Incomplete(1121)
    ));
    // Not TLS: an unknown content type, a record version other than 3.x.
    assert!(matches!(
        walk_records(b"GET /", |_, _, _| true),
        Walk::NotTls
    ));
    assert!(matches!(
        walk_records(&[0x16, 0x02, 0, 0, 0], |_, _, _| true),
        Walk::NotTls
    ));
    assert!(matches!(
        walk_records(&[0x19, 0x03, 0, 0, 0], |_, _, _| true),
        Walk::NotTls
    ));
}

#[test]
fn joiner_hands_over_whole_messages_whatever_the_fragments() {
    let b = hex(SERVER_TLS12);
    // The two handshake messages, back to back.
    let msgs = [&b[5..98], &b[103..1121]].concat();
    for sizes in [
        vec![msgs.len()],
        vec![1; msgs.len()],
        vec![3, 90, 2, 7, 1000],
        vec![97, 1],
    ] {
        let mut j = Joiner::default();
        let mut got: Vec<Vec<u8>> = Vec::new();
        let mut rest = &msgs[..];
        for &n in sizes.iter().chain(std::iter::repeat(&usize::MAX)) {
            if rest.is_empty() {
                break;
            }
            let n = n.min(rest.len());
            assert!(j.feed(&rest[..n], &mut |m| {
                got.push(m.to_vec());
                true
            }));
            rest = &rest[n..];
        }
        assert_eq!(got, [b[5..98].to_vec(), b[103..1121].to_vec()], "{sizes:?}");
        assert!(j.carry.is_empty() && !j.bad);
    }
    // A message longer than any handshake: refused, nothing handed over.
    let mut j = Joiner::default();
    assert!(!j.feed(&[0x0b, 0x10, 0x00, 0x00, 0x00], &mut |_| panic!(
        "no message"
    )));
    assert!(j.bad);
}

#[test]
fn hello_found_after_other_protocols_bytes() {
    let hello = hex(HELLO_TLS12);
    let proxy = b"PROXY TCP4 10.1.0.4 13.68.163.36 33426 443\r\n";
    let b = [&proxy[..], &hello].concat();
    assert_eq!(find_hello(&b, 0, 1), Some(proxy.len()));
    assert_eq!(find_hello(&b, proxy.len() + 1, 1), None);
    assert_eq!(find_hello(&b, 0, 2), None);
    // The server's side behind a proxy's answer.
    let answer = b"HTTP/1.1 200 Connection established\r\n\r\n";
    let s = [&answer[..], &hex(SERVER_TLS12)].concat();
    assert_eq!(find_hello(&s, 0, 2), Some(answer.len()));
    // 0x16 bytes whose lengths do not make a hello are passed over.
    let noise = [
        0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x16, 0x16, 0x03, 0x09,
    ];
    let b = [&noise[..], &hello].concat();
    assert_eq!(find_hello(&b, 0, 1), Some(noise.len()));
    assert_eq!(find_hello(&hello[..8], 0, 1), None);
    assert_eq!(find_hello(&[], 0, 1), None);
}

// ---------------------------------------------------------------------------
// Garbage

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// What a `NeedMore` asks for.
fn need<T>(p: &Progress<T>) -> Option<usize> {
    match p {
        Progress::NeedMore(n) => Some(*n),
        _ => None,
    }
}

/// Runs every parser; a `NeedMore` must ask for more than it was given, or
/// the caller would wait for bytes it already has.
fn run_all(b: &[u8]) {
    for n in [need(&parse_client(b)), need(&parse_server(b))]
        .into_iter()
        .flatten()
    {
        assert!(
            n > b.len(),
            "NeedMore({n}) with {} bytes: {b:02x?}",
            b.len()
        );
    }
    let _ = client_hello_partial(b);
    let _ = server_partial(b);
    for t in [1, 2] {
        if let Some(at) = find_hello(b, 0, t) {
            assert!(at < b.len());
        }
    }
}

#[test]
fn garbage_and_damaged_records_never_panic() {
    let mut rng = Rng(0x7153_0000_dead_beef);
    for len in 0..300 {
        let junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        run_all(&junk);
        // Random bytes behind a plausible record header.
        let mut h = vec![0x16, 0x03, 0x01, (len >> 8) as u8, len as u8, 1];
        h.extend_from_slice(&junk);
        run_all(&h);
    }
    let real = [
        hex(HELLO_TLS12),
        segments(),
        hex(HELLO_CUT_AFTER_SNI),
        hex(HELLO_CUT_IN_RANDOM),
        hex(SERVER_TLS12),
        hex(SERVER_TLS13),
        reframe(&hex(HELLO_TLS12), &[7, 50]),
    ];
    for b in &real {
        for cut in 0..=b.len() {
            run_all(&b[..cut]);
        }
        for _ in 0..1500 {
            let mut d = b.clone();
            for _ in 0..1 + rng.next() % 4 {
                let i = (rng.next() % d.len() as u64) as usize;
                d[i] = rng.next() as u8;
            }
            run_all(&d);
        }
    }
}

/// The trail steps over record bodies the capture does not hold (a support
/// bundle removes application data; a snap length cuts it), and stops at a
/// header it does not hold.
#[test]
fn follow_steps_over_cut_bodies_and_stops_at_cut_headers() {
    // An application-data record of 100 bytes whose body was cut, then an
    // alert in clear.
    let mut stream = vec![0x17, 0x03, 0x03, 0x00, 0x64];
    stream.extend_from_slice(&[0; 100]);
    stream.extend_from_slice(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]);
    let body_cut = |a: usize, b: usize| b <= 5 || a >= 105;
    let mut t = Trail::default();
    assert_eq!(follow(&stream, &body_cut, &mut t), Followed::Next(112));
    assert_eq!(t.app, 1);
    assert_eq!(t.first_app_len, Some(100));
    assert_eq!(t.alert.map(|a| a.description), Some(AlertDescription(0x28)));
    // The alert's header was cut too: the trail cannot go on.
    let header_cut = |a: usize, b: usize| b <= 5 || a >= 110;
    let mut t = Trail::default();
    assert_eq!(follow(&stream, &header_cut, &mut t), Followed::Cut);
    assert_eq!(t.app, 1);
    assert!(t.alert.is_none());
    // Not TLS.
    let all = |_: usize, _: usize| true;
    assert_eq!(
        follow(b"GET / HTTP/1.1\r\n", &all, &mut Trail::default()),
        Followed::NotTls
    );
}

/// Certificates are found again by their whole bytes, not by the hash of
/// their ends: two that differ only in the middle are two entries.
#[test]
fn certificate_cache_compares_whole_certificates() {
    let mut cache = CertCache::default();
    let a = vec![0x30u8; 600];
    let mut b = a.clone();
    b[300] = 0x31;
    assert_eq!(cache.names(&a), None);
    assert_eq!(cache.len(), 1);
    assert_eq!(cache.names(&b), None);
    assert_eq!(cache.len(), 2, "the same ends, another certificate");
    assert_eq!(cache.names(&a), None);
    assert_eq!(cache.len(), 2, "found again, not added");
    for i in 0..CERT_CACHE {
        cache.names(&(i as u32).to_be_bytes());
    }
    assert!(cache.len() <= CERT_CACHE);
}

/// A self-signed certificate made by `openssl req -x509 -subj "/C=US/O=DigiCert,
/// Inc./CN=GeoTrust Global TLS RSA4096 SHA256 2022 CA1"` (P-256): the issuer
/// DN of Azure certificates from the GeoTrust CA, whose organisation holds
/// ", ".
const GEOTRUST_DN_CERT: &[&str] = &[
    "3082020d308201b3a003020102021410fe59a9a43b3349d923c114890473ec0ef3111d300a06082a8648ce3d04030230",
    "5c310b300906035504061302555331173015060355040a0c0e44696769436572742c20496e632e313430320603550403",
    "0c2b47656f547275737420476c6f62616c20544c53205253413430393620534841323536203230323220434131301e17",
    "0d3236313230363132333130395a170d3336313230333132333130395a305c310b300906035504061302555331173015",
    "060355040a0c0e44696769436572742c20496e632e3134303206035504030c2b47656f547275737420476c6f62616c20",
    "544c532052534134303936205348413235362032303232204341313059301306072a8648ce3d020106082a8648ce3d03",
    "010703420004e9d1d239719eb0f5102a71e6c8a0b4b87ab133e8155feafb5ede569bb35416ed490f1012c5401e8e56be",
    "65e971733074a5f5b5dff1faf5a7fe90678c02bc680da3533051301d0603551d0e0416041465e483c7cfcda916afd0c6",
    "96f70cf82fe5073c53301f0603551d2304183016801465e483c7cfcda916afd0c696f70cf82fe5073c53300f0603551d",
    "130101ff040530030101ff300a06082a8648ce3d0403020348003045022100bf7a3503bc42c6ccda2b1f6f7154c4644c",
    "94d494a842e027f612754a350e95cc022060a2f4b6b3354a0a475c31bad1640211744ce890b4947df73290ca0588d7e7",
    "f9",
];

#[test]
fn the_issuers_organisations_are_read_as_attributes() {
    let der = hex(&GEOTRUST_DN_CERT.concat());
    let c = cert_names(&der).unwrap();
    assert_eq!(c.issuer_cn, "GeoTrust Global TLS RSA4096 SHA256 2022 CA1");
    assert_eq!(c.issuer_org, ["DigiCert, Inc."]);
    assert_eq!(
        c.issuer,
        "C=US, O=DigiCert, Inc., CN=GeoTrust Global TLS RSA4096 SHA256 2022 CA1"
    );
}
