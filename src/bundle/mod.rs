//! Support bundles: what a Site Recovery support case needs in one zip file,
//! and none of the customer's data.
//!
//! The analysis runs as `analyze` does; its Site Recovery flows make a
//! [`Selection`], and its reports hold those flows only. Each capture is
//! then read again: the packets the selection keeps (those flows, DNS
//! messages about Site Recovery names, ICMP errors about the flows) are
//! written to `site-recovery.pcapng` by a [`PacketFile`], each cut to what
//! the diagnosis needs: headers, a payload [stripped](strip) to TLS
//! handshakes, alerts, record headers and the allowed parts of proxy heads,
//! a DNS message [reduced](dns) to its question and that name's answers.
//! Everything the bundle then shares is listed in the manifest
//! ([`crate::model::Shares`]). The [`Archive`] puts the reports, the packet
//! file, the exports and the manifest in the zip.

pub mod archive;
pub(crate) mod dns;
pub(crate) mod packets;
pub(crate) mod select;
pub(crate) mod strip;

pub use archive::Archive;
pub use packets::PacketFile;
pub use select::Selection;

use crate::model::PacketCounts;

/// The packet file's name in the bundle.
pub const PACKETS: &str = "site-recovery.pcapng";

/// The packet file's section comment: what it holds and what was removed.
pub fn section_comment(version: &str, c: &PacketCounts) -> String {
    format!(
        "asrscope {version} support bundle. Kept: the packets of the {} Site Recovery flows \
         ({} packets), {} DNS messages about Site Recovery names and {} ICMP errors about the \
         flows; {} of {} packets read. Of each kept packet only what the diagnosis needs: \
         its headers up to TCP, UDP or ICMP; of a TCP payload, the TLS handshake, \
         ChangeCipherSpec and alert records and the header of every other record, or of a \
         proxy's head the request line, the status code, the names Proxy-Authorization and \
         Proxy-Authenticate and the scheme the proxy asks for (every other byte of the head \
         overwritten with 'x'); of a DNS message its first question and the answers for that \
         name; of an ICMP error the quoted IP header and its first 8 bytes; nothing past \
         the IP packet. {} packets shortened: {} bytes cut off, {} overwritten with zeros or \
         'x'; each packet block keeps the original length. TCP sequence numbers, windows \
         and timestamps are as captured.",
        c.site_recovery_flows,
        c.flow_packets,
        c.dns_packets,
        c.icmp_errors,
        c.kept,
        c.read,
        c.payload_removed_packets,
        c.payload_bytes_cut,
        c.payload_bytes_zeroed,
    )
}

/// `README.txt` in the bundle: what each file is, for whoever opens it.
pub fn readme(version: &str) -> String {
    format!(
        "asrscope {version} support bundle\r\n\
         \r\n\
         report.txt            the analysis, as `asrscope analyze` prints it, of the\r\n\
         \x20                     Site Recovery flows (every other flow only counted)\r\n\
         report.json           the same analysis as JSON\r\n\
         flows.csv             one row per Site Recovery flow\r\n\
         {PACKETS}  the packets the diagnosis rests on (Wireshark or tshark open it;\r\n\
         \x20                     its section comment says what was kept and removed)\r\n\
         exports/              the NSG and route exports the analysis used, as given\r\n\
         manifest.json         the command line, the service-tag data, each capture's\r\n\
         \x20                     size, times and SHA-256, the SHA-256 of every file here,\r\n\
         \x20                     and \"shares\": every name, address and file name of the\r\n\
         \x20                     customer's that this bundle holds\r\n\
         \r\n\
         To analyse the packet file again: asrscope analyze {PACKETS}\r\n\
         with the regions and exports of the command line in manifest.json.\r\n"
    )
}
