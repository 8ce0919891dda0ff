//! One CSV row per flow, with a fixed header: each column is declared once,
//! with its meaning, in [`COLUMNS`] (`docs/FORMATS.md`'s table is generated
//! from it, and a test checks the two agree).
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

/// One column of the CSV: its name in the header, what its cells can hold,
/// and what it means (the table of `docs/FORMATS.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The name in the header.
    pub name: &'static str,
    /// What its cells can hold, which decides whether they may need quotes.
    pub kind: Kind,
    /// What it means, as the documentation gives it (Markdown, with links
    /// relative to `docs/`).
    pub meaning: &'static str,
}

/// What a column's cells can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Numbers, addresses, times and fixed words: never a comma, a quote or
    /// a line break, so written as they are.
    Plain,
    /// Text (names, tags, reasons): quoted when it holds a comma, a double
    /// quote or a line break.
    Text,
}

const fn plain(name: &'static str, meaning: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Plain,
        meaning,
    }
}

const fn text(name: &'static str, meaning: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
        meaning,
    }
}

/// The columns, in order. Later columns are only ever appended.
pub const COLUMNS: [Column; 40] = [
    plain("first_seen", "first packet, RFC 3339 UTC with microseconds"),
    plain("last_seen", "last packet, RFC 3339 UTC with microseconds"),
    plain("src_ip", "the client's address"),
    plain("src_port", "the client's port"),
    plain(
        "dst_ip",
        "the server's address (for a flow through an explicit proxy: the proxy's)",
    ),
    plain(
        "dst_port",
        "the server's port (for a flow through an explicit proxy: the proxy's)",
    ),
    plain("transport", "`tcp` or `udp`"),
    text(
        "server_name",
        "the best name for the server, from `name_source`",
    ),
    plain(
        "name_source",
        "where the name came from, in order of preference: `sni` (TLS ClientHello \
         server_name), `connect` (the host of an HTTP `CONNECT` to a proxy), `dns` (the name \
         a DNS answer seen *before the flow began* gave for `dst_ip`: the name the client \
         asked for, i.e. the head of the CNAME chain), `host` (the `Host` of a plain HTTP \
         request), `cert` (first DNS name of the server's certificate), `none`",
    ),
    plain(
        "handshake",
        "how the connection attempt ended, see [Handshake outcomes](#handshake-outcomes)",
    ),
    plain("packets_out", "packets client→server"),
    plain("packets_in", "packets server→client"),
    plain(
        "bytes_out",
        "TCP/UDP payload bytes client→server as sent on the wire, retransmissions included",
    ),
    plain(
        "bytes_in",
        "TCP/UDP payload bytes server→client as sent on the wire, retransmissions included",
    ),
    plain(
        "retransmissions",
        "retransmitted segments, both ways (SYNs, data and FINs that repeat sequence space \
         already seen; keep-alives excluded), as tshark's `tcp.analysis.retransmission` and \
         `fast_retransmission`: a segment that fills a gap within the initial RTT (3 ms \
         without a handshake) of the one that advanced the sequence, unasked by the peer's \
         duplicate ACKs, is out of order, not retransmitted; copies of packets are never \
         counted (see [Packets recorded more than \
         once](DECODING.md#packets-recorded-more-than-once))",
    ),
    plain(
        "dup_acks",
        "duplicate ACKs, both ways (no data, no SYN/FIN/RST, same ACK, same non-zero window, \
         same sequence number as the previous segment)",
    ),
    plain(
        "zero_windows",
        "segments advertising a zero receive window, both ways",
    ),
    plain(
        "rtt_ms",
        "handshake round trip: from the client's last SYN before the SYN/ACK to the ACK that \
         completed the handshake. It spans both halves of the path, so it means the same \
         wherever the capture was taken",
    ),
    plain(
        "throughput_out_kbps",
        "client→server payload rate, kbit/s, from the first to the last data segment",
    ),
    text(
        "tls_version",
        "the version the server chose (ServerHello, with `supported_versions` for TLS 1.3); \
         empty without a ServerHello",
    ),
    text(
        "cert_issuer",
        "issuer common name of the server's leaf certificate (TLS 1.2 and older send \
         certificates in clear). An issuer that is not the service's own CA is how a \
         TLS-inspecting firewall shows itself",
    ),
    plain(
        "proxy_status",
        "the HTTP status an explicit proxy answered to `CONNECT` (200, 403, 407…)",
    ),
    text(
        "endpoint",
        "the URL pattern of the Site Recovery endpoint the flow's name matched (empty for \
         other traffic)",
    ),
    text(
        "required_tag",
        "the service tag the NSG must allow for that endpoint and these regions \
         (`Storage.EastUS` for a blob flow from East US, even when the flow went to a proxy \
         or outside Azure)",
    ),
    text(
        "service_tag",
        "the tag that really holds the destination, the one of the endpoint's family when \
         several do (`Storage.EastUS` rather than `AzureCloud.eastus`), empty when none does",
    ),
    plain(
        "verdict",
        "the flow's verdict (see [Verdicts](DIAGNOSIS.md#verdicts))",
    ),
    text(
        "reason",
        "the verdict's one-line reason (see [Verdicts](DIAGNOSIS.md#verdicts))",
    ),
    plain(
        "endpoint_by",
        "how the flow was tied to its Site Recovery endpoint: `name` (its name matched the \
         URL pattern) or `address` (it had no name at all, and its destination is on port \
         443 in the endpoint's service tag), empty for other traffic",
    ),
    text(
        "nsg_rule",
        "every NSG on the path in evaluation order with the rule that decided in it \
         (`vm01-nic-nsg/Allow-Storage allow; vm01-subnet-nsg/AllowInternetOutBound allow`; \
         `deny`, or `unknown` when the export cannot tell); from `--nsg` (see [Azure \
         configuration](AZURE-CONFIGURATION.md)), for Site Recovery flows",
    ),
    text(
        "route_next_hop",
        "the next hop of the route the flow takes (`VirtualAppliance 10.0.0.4`); from \
         `--routes` (see [Azure configuration](AZURE-CONFIGURATION.md)), for Site Recovery \
         flows",
    ),
    plain(
        "translated_ip",
        "the address an appliance translated the client to (source NAT), when the capture \
         holds both legs of the connection (see [Packets recorded more than \
         once](DECODING.md#packets-recorded-more-than-once)): `src_ip` is then the VM's \
         address, and `translated_ip` what the server, and a storage account's firewall, saw",
    ),
    plain(
        "translated_port",
        "the port an appliance translated the client to, as for `translated_ip`",
    ),
    plain(
        "vni",
        "the VXLAN or GENEVE network identifier of the tunnel the flow came through (empty \
         outside such tunnels): virtual networks reuse addresses, so on an appliance's \
         underlay two flows with the same addresses and ports in tunnels of different \
         identifiers are two flows, of two networks (except on the Gateway Load Balancer's \
         ports 10800 and 10801, which one connection crosses both of, and where `vni` is the \
         identifier of its first packet's)",
    ),
    text(
        "firewall_rule",
        "what the Azure Firewall the flow's route leads to does with it, by its exports: the \
         rule that decided as `policy/group/collection/rule` (a classic rule as \
         `collection/rule`) and `allow`, `deny` or `dnat`; `default-deny` when no rule \
         matches; `cannot-tell` when the exports cannot (an FQDN tag, a web category, an \
         export not given); empty without firewall exports (`--azure`, see [Azure \
         configuration](AZURE-CONFIGURATION.md)) or when the route leads to no firewall, and for \
         other traffic than Site Recovery's",
    ),
    text(
        "admin_rule",
        "what a Virtual Network Manager's security admin rules do with the flow, applied \
         before any NSG: `deny`, `always-allow` (the NSGs are not consulted) or `allow` with \
         the rule as `configuration/collection/rule (priority)`; `no-rule-matched` (the NSGs \
         decide); `cannot-tell` with the rule when the export cannot (a network group, a \
         service tag the data lacks); empty without their export (`--azure`, see [Virtual \
         Network Manager admin rules](AZURE-CONFIGURATION.md)) and for other traffic than \
         Site Recovery's",
    ),
    text(
        "dns",
        "what the private DNS zone of the flow's endpoint does for the VM, by its exports \
         (`az network private-dns zone show`, `link vnet list`, `record-set a list`): the zone \
         and `resolves`, `zone-not-linked` (not linked to the VM's virtual network), \
         `record-missing` (linked, without the name's A record) or `cannot-tell`, followed \
         by `custom-dns` when the VM asks custom DNS servers, which answer from linked zones \
         only if they forward to Azure DNS (168.63.129.16); empty without a private DNS export \
         of the zone (`--azure`, see [Private DNS zones](AZURE-CONFIGURATION.md)) and for \
         other flows than the cache account's and the vault's",
    ),
    text(
        "outbound",
        "the way out of the VM's subnet for the flow, by the subnet export (`az network vnet \
         subnet show`, with `--azure`; see [The subnet's way \
         out](AZURE-CONFIGURATION.md#the-subnets-way-out)): `no-outbound` and the subnet when \
         the subnet is private (`defaultOutboundAccess` false) and nothing takes the flow out; \
         else what does: `nat-gateway` and its name, `public-ip` and its name, `appliance` (a \
         route to a firewall or gateway), `service-endpoint`, `same-region-storage` (Azure \
         Storage in the VM's region), `default-outbound` (a subnet that is not private); \
         empty without the subnet's export, for private destinations, and for other traffic \
         than Site Recovery's",
    ),
    text(
        "endpoint_policy",
        "what the service endpoint policies on the VM's subnet do with a Storage flow, by \
         their exports (`az network service-endpoint policy show` and the subnet's, with \
         `--azure`; see [Service endpoint \
         policies](AZURE-CONFIGURATION.md#service-endpoint-policies)): `listed` and the \
         policy/definition that lists the account (by the name the flow's server name gives), \
         `denied` when none does, `cannot-tell` (a definition listing a subscription or \
         resource group, a policy not given); empty when no policy applies (none on the \
         subnet, no `Microsoft.Storage` service endpoint), for private endpoints and other \
         traffic",
    ),
    text(
        "storage_firewall",
        "what the cache storage account's own firewall does with the flow, by its export \
         (`az storage account show` through `--azure`, see [The cache storage account's \
         firewall](AZURE-CONFIGURATION.md)), as storage sees the flow's source: the account \
         and `allow`, `deny` or `cannot-tell`, then `requirement-missed` when the account \
         misses what Site Recovery requires (trusted Microsoft services); the refusal is an \
         HTTP 403 inside TLS, which the capture cannot show; empty for flows to other \
         endpoints than the cache account and without the export",
    ),
    plain(
        "community_id",
        "the flow's [Community ID](https://github.com/corelight/community-id-spec) v1 (seed \
         0, `1:` and a base64 SHA-1 of `src_ip`, `dst_ip`, `transport`, `src_port` and \
         `dst_port`), the ID Zeek, Suricata, Arkime and Wireshark give the same connection, \
         to find the flow in their logs; for a flow through an explicit proxy, the ID of the \
         TCP connection to the proxy as captured, for a tunnelled flow that of the inner \
         connection",
    ),
];

/// Writes flows as CSV.
pub struct CsvWriter<W: Write> {
    out: std::io::BufWriter<W>,
    buf: String,
    line: Vec<u8>,
}

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

/// Appends one cell to a row, quoted when it must be.
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

/// A row being built: the cells' text one after another in one reused
/// buffer, and where each cell ends. Text cells are escaped for
/// spreadsheets here, and quoted only when the row is joined.
struct Cells<'b> {
    buf: &'b mut String,
    ends: [usize; COLUMNS.len()],
    n: usize,
}

impl Cells<'_> {
    /// Ends the current cell.
    fn end(&mut self) {
        self.ends[self.n] = self.buf.len();
        self.n += 1;
    }

    /// A cell of a fixed word, or an empty one.
    fn word(&mut self, s: &str) {
        self.buf.push_str(s);
        self.end();
    }

    /// A cell of text from outside, escaped for spreadsheets.
    fn text(&mut self, s: &str) {
        push_csv(self.buf, s);
        self.end();
    }

    /// A cell of an integer, empty when there is none.
    fn int(&mut self, n: Option<impl itoa::Integer>) {
        if let Some(n) = n {
            push_int(self.buf, n);
        }
        self.end();
    }

    /// A cell of an address, empty when there is none.
    fn ip(&mut self, ip: Option<&std::net::IpAddr>) {
        if let Some(ip) = ip {
            push_ip(self.buf, ip);
        }
        self.end();
    }

    /// A cell of a number with `places` decimals, empty when there is none.
    fn fixed(&mut self, x: Option<f64>, places: usize) {
        use std::fmt::Write as _;
        if let Some(x) = x {
            let _ = write!(self.buf, "{x:.places$}");
        }
        self.end();
    }

    /// The cells of what the flow itself shows: `first_seen` to
    /// `proxy_status`.
    fn flow(&mut self, f: &FlowRecord) {
        push_rfc3339_us(self.buf, f.first_seen);
        self.end();
        push_rfc3339_us(self.buf, f.last_seen);
        self.end();
        self.ip(Some(&f.src_ip));
        self.int(Some(f.src_port));
        self.ip(Some(&f.dst_ip));
        self.int(Some(f.dst_port));
        self.word(f.transport.as_str());
        self.text(f.server_name.as_deref().unwrap_or(""));
        self.word(f.name_source.as_str());
        self.word(f.handshake.as_str());
        for n in [
            f.out.packets,
            f.inbound.packets,
            f.out.bytes,
            f.inbound.bytes,
            f.out.retransmissions + f.inbound.retransmissions,
            f.out.dup_acks + f.inbound.dup_acks,
            f.out.zero_windows + f.inbound.zero_windows,
        ] {
            self.int(Some(n));
        }
        self.fixed(f.rtt_ms, 3);
        self.fixed(f.out.throughput_kbps, 1);
        self.text(&f.tls_version().map(|v| v.name()).unwrap_or_default());
        self.text(f.cert_issuer().unwrap_or(""));
        self.int(f.proxy.as_ref().and_then(|p| p.status));
    }

    /// The cells of the diagnosis and of what an appliance did to the flow:
    /// `endpoint` to `storage_firewall`.
    fn diagnosis(&mut self, f: &FlowRecord, v: &FlowVerdict) {
        self.word(v.endpoint.as_ref().map_or("", |e| e.pattern));
        self.text(
            &v.endpoint
                .as_ref()
                .map(|e| e.required_tag.to_string())
                .unwrap_or_default(),
        );
        self.text(v.service_tag.as_ref().map_or("", TagName::as_str));
        self.word(v.verdict.as_str());
        self.text(&crate::render::reason::flow(v));
        self.word(v.endpoint.as_ref().map_or("", |e| e.by.as_str()));
        match &v.nsg {
            Some(n) => self.text(&nsg_rule_cell(n)),
            None => self.end(),
        }
        match &v.route {
            Some(r) => self.text(&crate::render::network::next_hop(r)),
            None => self.end(),
        }
        self.ip(f.translated_ip.as_ref());
        self.int(f.translated_port);
        self.int(f.tunnel.and_then(|t| t.vni));
        match &v.firewall {
            Some(fw) => self.text(&crate::render::firewall::csv_cell(fw)),
            None => self.end(),
        }
        match &v.admin {
            Some(a) => self.text(&crate::render::admin::csv_cell(a)),
            None => self.end(),
        }
        match &v.dns {
            Some(d) => self.text(&crate::render::private_dns::csv_cell(d)),
            None => self.end(),
        }
        match &v.outbound {
            Some(o) => self.text(&crate::render::outbound::csv_cell(o)),
            None => self.end(),
        }
        match &v.endpoint_policy {
            Some(p) => self.text(&crate::render::endpoint_policy::csv_cell(p)),
            None => self.end(),
        }
        match &v.storage {
            Some(sv) => self.text(&crate::render::storage::csv_cell(sv)),
            None => self.end(),
        }
    }
}

/// Joins the cells of `buf` (each ending where `ends` says) into one line,
/// text columns quoted where they must be.
fn join(line: &mut Vec<u8>, buf: &str, ends: &[usize; COLUMNS.len()]) {
    line.clear();
    let mut start = 0;
    for (i, &end) in ends.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        match COLUMNS[i].kind {
            Kind::Text => cell(line, &buf[start..end]),
            Kind::Plain => line.extend_from_slice(&buf.as_bytes()[start..end]),
        }
        start = end;
    }
    line.push(b'\n');
}

impl<W: Write> CsvWriter<W> {
    /// Writes the header.
    pub fn new(out: W) -> std::io::Result<Self> {
        let mut w = CsvWriter {
            out: std::io::BufWriter::with_capacity(1 << 16, out),
            buf: String::with_capacity(512),
            line: Vec::with_capacity(1024),
        };
        for (i, c) in COLUMNS.iter().enumerate() {
            if i > 0 {
                w.line.push(b',');
            }
            cell(&mut w.line, c.name);
        }
        w.line.push(b'\n');
        w.out.write_all(&w.line)?;
        Ok(w)
    }

    /// Writes one flow and its verdict.
    pub fn write(&mut self, f: &FlowRecord, v: &FlowVerdict) -> std::io::Result<()> {
        self.buf.clear();
        let mut cells = Cells {
            buf: &mut self.buf,
            ends: [0; COLUMNS.len()],
            n: 0,
        };
        cells.flow(f);
        cells.diagnosis(f, v);
        cells.word(&f.community_id);
        debug_assert_eq!(cells.n, COLUMNS.len(), "one cell per column");
        let ends = cells.ends;
        join(&mut self.line, &self.buf, &ends);
        self.out.write_all(&self.line)
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

    /// The columns that can hold a comma or a quote are the text ones:
    /// names, tags, reasons.
    #[test]
    fn text_columns_are_the_ones_that_can_hold_commas() {
        use super::{COLUMNS, Kind};
        let text: Vec<&str> = COLUMNS
            .iter()
            .filter(|c| c.kind == Kind::Text)
            .map(|c| c.name)
            .collect();
        assert_eq!(
            text,
            [
                "server_name",
                "tls_version",
                "cert_issuer",
                "endpoint",
                "required_tag",
                "service_tag",
                "reason",
                "nsg_rule",
                "route_next_hop",
                "firewall_rule",
                "admin_rule",
                "dns",
                "outbound",
                "endpoint_policy",
                "storage_firewall"
            ]
        );
    }

    /// Every column is named once and says what it means.
    #[test]
    fn every_column_has_a_name_and_a_meaning() {
        let mut names: Vec<&str> = super::COLUMNS.iter().map(|c| c.name).collect();
        assert!(super::COLUMNS.iter().all(|c| !c.meaning.trim().is_empty()));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), super::COLUMNS.len());
    }
}
