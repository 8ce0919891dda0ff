//! One CSV row per flow, with a fixed header (documented in the README).
//!
//! Rows are written as RFC 4180 has them, and as the `csv` crate wrote them
//! before (its default writer; tests compare the two): comma-separated, a
//! line feed after each row, a cell in double quotes (doubled inside) when it
//! holds a comma, a double quote or a line break. Cells are escaped for
//! spreadsheets by [`crate::sanitize::push_csv`] first. Written by hand
//! because the row is built in one buffer anyway, and handing it to the
//! crate cell by cell cost more than building it.

use crate::dates::push_rfc3339_us;
use crate::model::FlowRecord;
use crate::model::{FlowVerdict, TagName};
use crate::sanitize::push_csv;
use std::io::Write;

/// The header, in order. Later columns are only ever appended.
pub const HEADER: [&str; 33] = [
    "first_seen",
    "last_seen",
    "src_ip",
    "src_port",
    "dst_ip",
    "dst_port",
    "transport",
    "server_name",
    "name_source",
    "handshake",
    "packets_out",
    "packets_in",
    "bytes_out",
    "bytes_in",
    "retransmissions",
    "dup_acks",
    "zero_windows",
    "rtt_ms",
    "throughput_out_kbps",
    "tls_version",
    "cert_issuer",
    "proxy_status",
    "endpoint",
    "required_tag",
    "service_tag",
    "verdict",
    "reason",
    "endpoint_by",
    "nsg_rule",
    "route_next_hop",
    "translated_ip",
    "translated_port",
    "vni",
];

/// The columns that hold text (names, tags, reasons): the only ones that can
/// hold a comma or a quote. The others are numbers, addresses, times and
/// fixed words.
const TEXT: [bool; HEADER.len()] = {
    let mut t = [false; HEADER.len()];
    let mut i = 0;
    while i < HEADER.len() {
        t[i] = matches!(
            HEADER[i].as_bytes(),
            b"server_name"
                | b"tls_version"
                | b"cert_issuer"
                | b"endpoint"
                | b"required_tag"
                | b"service_tag"
                | b"reason"
                | b"nsg_rule"
                | b"route_next_hop"
        );
        i += 1;
    }
    t
};

/// Writes flows as CSV.
pub struct CsvWriter<W: Write> {
    out: std::io::BufWriter<W>,
    buf: String,
    line: Vec<u8>,
}

/// Appends one cell to a row, quoted when it must be.
/// Appends an integer (itoa: the formatting machinery costs more than the
/// rest of a row).
fn push_int(b: &mut String, n: impl itoa::Integer) {
    b.push_str(itoa::Buffer::new().format(n));
}

/// Appends an address as `Display` writes it; IPv4 without the formatting
/// machinery.
fn push_ip(b: &mut String, ip: &std::net::IpAddr) {
    use std::fmt::Write as _;
    match ip {
        std::net::IpAddr::V4(v) => {
            let [a, c, d, e] = v.octets();
            push_int(b, a);
            for o in [c, d, e] {
                b.push('.');
                push_int(b, o);
            }
        }
        std::net::IpAddr::V6(_) => {
            let _ = write!(b, "{ip}");
        }
    }
}

fn cell(line: &mut Vec<u8>, s: &str) {
    if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
        line.push(b'"');
        for b in s.bytes() {
            if b == b'"' {
                line.push(b'"');
            }
            line.push(b);
        }
        line.push(b'"');
    } else {
        line.extend_from_slice(s.as_bytes());
    }
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header.
    pub fn new(out: W) -> std::io::Result<Self> {
        let mut w = CsvWriter {
            out: std::io::BufWriter::with_capacity(1 << 16, out),
            buf: String::with_capacity(512),
            line: Vec::with_capacity(1024),
        };
        for (i, h) in HEADER.iter().enumerate() {
            if i > 0 {
                w.line.push(b',');
            }
            cell(&mut w.line, h);
        }
        w.line.push(b'\n');
        w.out.write_all(&w.line)?;
        Ok(w)
    }

    /// Writes one flow and its verdict.
    pub fn write(&mut self, f: &FlowRecord, v: &FlowVerdict) -> std::io::Result<()> {
        use std::fmt::Write as _;
        // One reused buffer for the numbers; text cells are escaped only when
        // they need it.
        let b = &mut self.buf;
        b.clear();
        let mut ends = [0usize; HEADER.len()];
        let mut i = 0;
        let mut mark = |b: &mut String, ends: &mut [usize; HEADER.len()]| {
            ends[i] = b.len();
            i += 1;
        };
        push_rfc3339_us(b, f.first_seen);
        mark(b, &mut ends);
        push_rfc3339_us(b, f.last_seen);
        mark(b, &mut ends);
        push_ip(b, &f.src_ip);
        mark(b, &mut ends);
        push_int(b, f.src_port);
        mark(b, &mut ends);
        push_ip(b, &f.dst_ip);
        mark(b, &mut ends);
        push_int(b, f.dst_port);
        mark(b, &mut ends);
        b.push_str(f.transport.as_str());
        mark(b, &mut ends);
        push_csv(b, f.server_name.as_deref().unwrap_or(""));
        mark(b, &mut ends);
        b.push_str(f.name_source.as_str());
        mark(b, &mut ends);
        b.push_str(f.handshake.as_str());
        mark(b, &mut ends);
        for n in [
            f.out.packets,
            f.inbound.packets,
            f.out.bytes,
            f.inbound.bytes,
            f.out.retransmissions + f.inbound.retransmissions,
            f.out.dup_acks + f.inbound.dup_acks,
            f.out.zero_windows + f.inbound.zero_windows,
        ] {
            push_int(b, n);
            mark(b, &mut ends);
        }
        if let Some(r) = f.rtt_ms {
            let _ = write!(b, "{r:.3}");
        }
        mark(b, &mut ends);
        if let Some(t) = f.out.throughput_kbps {
            let _ = write!(b, "{t:.1}");
        }
        mark(b, &mut ends);
        push_csv(b, &f.tls_version().map(|v| v.name()).unwrap_or_default());
        mark(b, &mut ends);
        push_csv(b, f.cert_issuer().unwrap_or(""));
        mark(b, &mut ends);
        if let Some(s) = f.proxy.as_ref().and_then(|p| p.status) {
            push_int(b, s);
        }
        mark(b, &mut ends);
        b.push_str(v.endpoint.as_ref().map_or("", |e| e.pattern));
        mark(b, &mut ends);
        push_csv(
            b,
            &v.endpoint
                .as_ref()
                .map(|e| e.required_tag.to_string())
                .unwrap_or_default(),
        );
        mark(b, &mut ends);
        push_csv(b, v.service_tag.as_ref().map_or("", TagName::as_str));
        mark(b, &mut ends);
        b.push_str(v.verdict.as_str());
        mark(b, &mut ends);
        push_csv(b, &crate::render::reason::flow(v));
        mark(b, &mut ends);
        b.push_str(v.endpoint.as_ref().map_or("", |e| e.by.as_str()));
        mark(b, &mut ends);
        if let Some(n) = &v.nsg {
            push_csv(b, &nsg_rule_cell(n));
        }
        mark(b, &mut ends);
        if let Some(r) = &v.route {
            push_csv(b, &crate::render::network::next_hop(r));
        }
        mark(b, &mut ends);
        if let Some(a) = &f.translated_ip {
            push_ip(b, a);
        }
        mark(b, &mut ends);
        if let Some(p) = f.translated_port {
            push_int(b, p);
        }
        mark(b, &mut ends);
        if let Some(n) = f.tunnel.and_then(|t| t.vni) {
            push_int(b, n);
        }
        mark(b, &mut ends);
        let line = &mut self.line;
        line.clear();
        let mut start = 0;
        for (i, end) in ends.into_iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            if TEXT[i] {
                cell(line, &b[start..end]);
            } else {
                line.extend_from_slice(&b.as_bytes()[start..end]);
            }
            start = end;
        }
        line.push(b'\n');
        self.out.write_all(line)
    }

    /// Flushes.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// The `nsg_rule` cell: every NSG on the path with the rule that decided in
/// it and what it did, in evaluation order:
/// `nic-nsg/Allow-Storage allow; subnet-nsg/AllowInternetOutBound allow`.
pub fn nsg_rule_cell(n: &crate::model::NsgVerdict) -> String {
    use crate::model::NsgOutcome;
    n.steps
        .iter()
        .map(|s| {
            let what = match s.outcome {
                NsgOutcome::Allow => "allow",
                NsgOutcome::Deny => "deny",
                NsgOutcome::NoRuleMatched | NsgOutcome::CannotTell => "unknown",
            };
            format!("{}/{} {what}", s.nsg, s.rule.as_deref().unwrap_or("-"))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::cell;

    /// Cells written as the `csv` crate's default writer writes them.
    /// Numbers and addresses are written as `Display` writes them.
    #[test]
    fn numbers_and_addresses_as_display_writes_them() {
        for ip in [
            "0.0.0.0",
            "10.1.0.4",
            "255.255.255.255",
            "20.60.100.9",
            "::",
            "2603:1030:403::9",
            "::ffff:10.1.0.4",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let mut b = String::new();
            super::push_ip(&mut b, &ip);
            assert_eq!(b, ip.to_string());
        }
        for n in [0u64, 7, 443, 65_535, u64::MAX] {
            let mut b = String::new();
            super::push_int(&mut b, n);
            assert_eq!(b, n.to_string());
        }
    }

    #[test]
    fn cells_are_quoted_as_the_csv_crate_quotes_them() {
        let rows: &[&[&str]] = &[
            &["plain", "", "established, TLS1.2", "say \"hi\"", "'=1+2"],
            &["a\nb", "c\rd", "é, ü", "\"", ",", "x"],
            &["", "", ""],
        ];
        for row in rows {
            let mut want = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new());
            want.write_record(*row).unwrap();
            let want = want.into_inner().unwrap();
            let mut got = Vec::new();
            for (i, c) in row.iter().enumerate() {
                if i > 0 {
                    got.push(b',');
                }
                cell(&mut got, c);
            }
            got.push(b'\n');
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(want).unwrap()
            );
        }
    }

    /// Every column left unquoted holds what never needs quotes.
    #[test]
    fn text_columns_are_the_ones_that_can_hold_commas() {
        let n = super::TEXT.iter().filter(|t| **t).count();
        assert_eq!(n, 9);
        assert!(super::TEXT[super::HEADER.iter().position(|h| *h == "reason").unwrap()]);
        assert!(!super::TEXT[0]);
    }
}
