//! Protocol code points as values (and capture link types), named as their RFCs name them, after
//! tls-parser's `TlsVersion(u16)` and `TlsAlertDescription(u8)`: a value this
//! code does not know still holds its number. The names are the protocol's
//! identifiers (`TLS1.2`, `handshake_failure`), the same in every view and
//! in the JSON.

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;

/// A TLS (or SSL) protocol version, as the wire writes it (`0x0303`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TlsVersion(pub u16);

impl TlsVersion {
    /// TLS 1.2.
    pub const TLS12: TlsVersion = TlsVersion(0x0303);
    /// TLS 1.3.
    pub const TLS13: TlsVersion = TlsVersion(0x0304);

    /// True for the versions older than TLS 1.2 that a hello can offer:
    /// SSL 2.0, SSL 3.0, TLS 1.0 and TLS 1.1. A value this code does not
    /// know (a draft, a new version) is not called older.
    pub fn older_than_tls12(self) -> bool {
        matches!(self.0, 0x0002 | 0x0300 | 0x0301 | 0x0302)
    }

    /// Its name: `TLS1.2`, `TLS1.3-draft28`, or the number (`0x1234`).
    pub fn name(self) -> Cow<'static, str> {
        match self.0 {
            0x0002 => "SSL2.0".into(),
            0x0300 => "SSL3.0".into(),
            0x0301 => "TLS1.0".into(),
            0x0302 => "TLS1.1".into(),
            0x0303 => "TLS1.2".into(),
            0x0304 => "TLS1.3".into(),
            v @ 0x7f00..=0x7fff => format!("TLS1.3-draft{}", v & 0xff).into(),
            0xfb00..=0xfbff | 0x7e00..=0x7eff => "TLS1.3-draft".into(),
            other => format!("0x{other:04x}").into(),
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for TlsVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// A TLS alert description (RFC 8446 §6, RFC 5246 §7.2).
///
/// It serialises as the two fields the JSON gives an alert, `description`
/// (the number) and `name`: fields that hold one are `#[serde(flatten)]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AlertDescription(pub u8);

impl AlertDescription {
    /// The descriptions a client sends when it does not accept the server's
    /// certificate: bad_certificate, unsupported_certificate,
    /// certificate_revoked, certificate_expired, certificate_unknown,
    /// unknown_ca, decrypt_error.
    pub const CERTIFICATE: &[AlertDescription] = &[
        AlertDescription(42),
        AlertDescription(43),
        AlertDescription(44),
        AlertDescription(45),
        AlertDescription(46),
        AlertDescription(48),
        AlertDescription(51),
    ];

    /// protocol_version (70): the peer does not accept the version offered.
    pub const PROTOCOL_VERSION: AlertDescription = AlertDescription(70);

    /// True when the client rejected the server's certificate.
    pub fn is_about_the_certificate(self) -> bool {
        AlertDescription::CERTIFICATE.contains(&self)
    }

    /// Its name (`handshake_failure`), `other` when not known.
    pub fn name(self) -> &'static str {
        match self.0 {
            0 => "close_notify",
            10 => "unexpected_message",
            20 => "bad_record_mac",
            22 => "record_overflow",
            40 => "handshake_failure",
            42 => "bad_certificate",
            43 => "unsupported_certificate",
            44 => "certificate_revoked",
            45 => "certificate_expired",
            46 => "certificate_unknown",
            47 => "illegal_parameter",
            48 => "unknown_ca",
            49 => "access_denied",
            50 => "decode_error",
            51 => "decrypt_error",
            70 => "protocol_version",
            71 => "insufficient_security",
            80 => "internal_error",
            86 => "inappropriate_fallback",
            90 => "user_canceled",
            109 => "missing_extension",
            110 => "unsupported_extension",
            112 => "unrecognized_name",
            113 => "bad_certificate_status_response",
            115 => "unknown_psk_identity",
            116 => "certificate_required",
            120 => "no_application_protocol",
            _ => "other",
        }
    }
}

impl Serialize for AlertDescription {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("AlertDescription", 2)?;
        st.serialize_field("description", &self.0)?;
        st.serialize_field("name", self.name())?;
        st.end()
    }
}

/// A link type (LINKTYPE_*, as capture files and interfaces give it), named
/// as tcpdump.org's list names it; which the decoder handles is
/// `decode::SUPPORTED_LINKTYPES`. It displays as "1 (ETHERNET)".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// Its name (`ETHERNET`, `RAW (IP)`), `unknown` when not known.
    pub const fn name(self) -> &'static str {
        match self.0 {
            0 => "NULL (BSD loopback)",
            1 => "ETHERNET",
            9 => "PPP",
            12 | 14 | 101 => "RAW (IP)",
            50 => "PPP_HDLC",
            105 => "IEEE802_11",
            108 => "LOOP (OpenBSD loopback)",
            113 => "LINUX_SLL",
            127 => "IEEE802_11_RADIOTAP",
            147..=162 => "USER",
            204 => "PPP_WITH_DIR",
            228 => "IPV4",
            229 => "IPV6",
            274 => "ETHERNET_MPACKET",
            276 => "LINUX_SLL2",
            281 => "DSA_TAG_BRCM",
            _ => "unknown",
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.name())
    }
}

/// An ICMP (or ICMPv6) error message's type and code (`3/13`: destination
/// unreachable, administratively prohibited). What it means is said by the
/// renderer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub struct IcmpMessage {
    /// True for ICMPv6.
    pub v6: bool,
    /// ICMP type.
    pub icmp_type: u8,
    /// ICMP code.
    pub code: u8,
}

/// A TCP option's kind (the IANA "TCP Option Kind Numbers" registry: RFC
/// 9293, 7323, 2018, 5482, 5925, 8684, 7413), named as tcpdump prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpOptionKind(pub u8);

impl TcpOptionKind {
    /// Its name: `mss`, `wscale`, `sackOK`, `TS`, or the number.
    pub fn name(self) -> Cow<'static, str> {
        match self.0 {
            0 => "eol".into(),
            1 => "nop".into(),
            2 => "mss".into(),
            3 => "wscale".into(),
            4 => "sackOK".into(),
            5 => "sack".into(),
            8 => "TS".into(),
            28 => "utopt".into(),
            29 => "tcp-ao".into(),
            30 => "mptcp".into(),
            34 => "tfo".into(),
            other => format!("opt-{other}").into(),
        }
    }
}

impl fmt::Display for TcpOptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for TcpOptionKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}
