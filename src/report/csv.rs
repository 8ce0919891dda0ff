//! One CSV row per flow, with a fixed header (documented in the README).

use super::sanitize::for_csv;
use crate::frame::rfc3339_us;
use crate::model::FlowRecord;
use crate::verdict::FlowVerdict;
use std::io::Write;

/// The header, in order. Later columns are only ever appended.
pub const HEADER: [&str; 27] = [
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
];

/// Writes flows as CSV.
pub struct CsvWriter<W: Write> {
    w: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header.
    pub fn new(out: W) -> csv::Result<Self> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(out);
        w.write_record(HEADER)?;
        Ok(CsvWriter { w })
    }

    /// Writes one flow and its verdict.
    pub fn write(&mut self, f: &FlowRecord, v: &FlowVerdict) -> csv::Result<()> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        let row: [String; 27] = [
            rfc3339_us(f.first_seen),
            rfc3339_us(f.last_seen),
            f.src_ip.to_string(),
            f.src_port.to_string(),
            f.dst_ip.to_string(),
            f.dst_port.to_string(),
            f.transport.as_str().to_string(),
            for_csv(f.server_name.as_deref().unwrap_or("")),
            f.name_source.as_str().to_string(),
            f.handshake.as_str().to_string(),
            f.out.packets.to_string(),
            f.inbound.packets.to_string(),
            f.out.bytes.to_string(),
            f.inbound.bytes.to_string(),
            (f.out.retransmissions + f.inbound.retransmissions).to_string(),
            (f.out.dup_acks + f.inbound.dup_acks).to_string(),
            (f.out.zero_windows + f.inbound.zero_windows).to_string(),
            opt(f.rtt_ms.map(|v| format!("{v:.3}"))),
            opt(f.out.throughput_kbps.map(|v| format!("{v:.1}"))),
            for_csv(f.tls_version().unwrap_or("")),
            for_csv(f.cert_issuer().unwrap_or("")),
            opt(f
                .proxy
                .as_ref()
                .and_then(|p| p.status)
                .map(|s| s.to_string())),
            v.endpoint_pattern.unwrap_or("").to_string(),
            for_csv(v.required_tag.as_deref().unwrap_or("")),
            for_csv(v.service_tag.as_deref().unwrap_or("")),
            v.verdict.as_str().to_string(),
            for_csv(&v.reason),
        ];
        self.w.write_record(&row)
    }

    /// Flushes.
    pub fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}
