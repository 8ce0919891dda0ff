//! One CSV row per flow, with a fixed header (documented in the README).

use crate::dates::push_rfc3339_us;
use crate::model::FlowRecord;
use crate::model::{FlowVerdict, TagName};
use crate::sanitize::push_csv;
use std::io::Write;

/// The header, in order. Later columns are only ever appended.
pub const HEADER: [&str; 32] = [
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
];

/// Writes flows as CSV.
pub struct CsvWriter<W: Write> {
    w: csv::Writer<W>,
    buf: String,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header.
    pub fn new(out: W) -> csv::Result<Self> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        w.write_record(HEADER)?;
        Ok(CsvWriter {
            w,
            buf: String::with_capacity(512),
        })
    }

    /// Writes one flow and its verdict.
    pub fn write(&mut self, f: &FlowRecord, v: &FlowVerdict) -> csv::Result<()> {
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
        let _ = write!(b, "{}", f.src_ip);
        mark(b, &mut ends);
        let _ = write!(b, "{}", f.src_port);
        mark(b, &mut ends);
        let _ = write!(b, "{}", f.dst_ip);
        mark(b, &mut ends);
        let _ = write!(b, "{}", f.dst_port);
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
            let _ = write!(b, "{n}");
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
        push_csv(b, f.tls_version().unwrap_or(""));
        mark(b, &mut ends);
        push_csv(b, f.cert_issuer().unwrap_or(""));
        mark(b, &mut ends);
        if let Some(s) = f.proxy.as_ref().and_then(|p| p.status) {
            let _ = write!(b, "{s}");
        }
        mark(b, &mut ends);
        b.push_str(v.endpoint_pattern.unwrap_or(""));
        mark(b, &mut ends);
        push_csv(b, v.required_tag.as_ref().map_or("", TagName::as_str));
        mark(b, &mut ends);
        push_csv(b, v.service_tag.as_ref().map_or("", TagName::as_str));
        mark(b, &mut ends);
        b.push_str(v.verdict.as_str());
        mark(b, &mut ends);
        push_csv(b, &v.reason);
        mark(b, &mut ends);
        b.push_str(v.endpoint_by.map_or("", |e| e.as_str()));
        mark(b, &mut ends);
        if let Some(n) = &v.nsg {
            push_csv(b, &nsg_rule_cell(n));
        }
        mark(b, &mut ends);
        if let Some(r) = &v.route {
            let hop = match &r.next_hop_address {
                Some(a) => format!("{} {a}", r.next_hop),
                None => r.next_hop.to_string(),
            };
            push_csv(b, &hop);
        }
        mark(b, &mut ends);
        if let Some(a) = f.translated_ip {
            let _ = write!(b, "{a}");
        }
        mark(b, &mut ends);
        if let Some(p) = f.translated_port {
            let _ = write!(b, "{p}");
        }
        mark(b, &mut ends);
        let mut start = 0;
        for end in ends {
            self.w.write_field(&b[start..end])?;
            start = end;
        }
        self.w.write_record(None::<&[u8]>)
    }

    /// Flushes.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
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
