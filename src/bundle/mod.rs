//! Support bundles: what a Site Recovery support case needs in one zip file,
//! and none of the customer's data.
//!
//! The analysis runs as `analyze` does; its Site Recovery flows make a
//! [`Selection`]. Each capture is then read again: the packets the selection
//! keeps (those flows, DNS messages about Site Recovery names, ICMP errors
//! about the flows) are written to `site-recovery.pcapng` by a
//! [`PacketFile`], their payload [stripped](strip) to TLS handshakes,
//! alerts, record headers and proxy heads. The [`Archive`] puts the reports,
//! the packet file, the exports and the manifest in the zip.

pub mod archive;
pub mod packets;
pub mod select;
pub mod strip;

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
         flows (each cut after the quoted packet's IP header and first 8 bytes); {} of {} \
         packets read. Removed: every packet of any other flow; the bodies of \
         TLS application-data records and any payload that is not a TLS handshake, alert or \
         record header or a proxy's HTTP head ({} packets shortened: {} bytes cut off, {} \
         overwritten with zeros; each packet block keeps the original length). Credentials \
         and cookies in HTTP heads are overwritten with 'x'. TCP sequence numbers, windows and \
         timestamps are as captured.",
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
         report.txt            the analysis, as `asrscope analyze` prints it\r\n\
         report.json           the same analysis as JSON, every flow included\r\n\
         flows.csv             one row per flow\r\n\
         {PACKETS}  the packets the diagnosis rests on (Wireshark or tshark open it;\r\n\
         \x20                     its section comment says what was kept and removed)\r\n\
         exports/              the NSG and route exports the analysis used, as given\r\n\
         manifest.json         the command line, the service-tag data, each capture's\r\n\
         \x20                     size, times and SHA-256, and the SHA-256 of every file here\r\n\
         \r\n\
         To analyse the packet file again: asrscope analyze {PACKETS}\r\n\
         with the regions and exports of the command line in manifest.json.\r\n"
    )
}
