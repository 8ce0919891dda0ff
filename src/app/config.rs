//! Arguments and files turned into a checked configuration: the service-tag
//! data, the regions, the thresholds.

use crate::analysis::EngineConfig;
use crate::azure::regions;
use crate::azure::tags::TagDb;
use crate::cli::{AzureArgs, CapturePointArg, CloudArg, EngineArgs, JudgeArgs};
use crate::decode::{MAX_EXTRA_PORTS, TunnelPorts};
use crate::diagnosis::Settings;
use crate::model::Region;
use crate::model::{CapturePoint, Thresholds};
use std::path::{Path, PathBuf};

/// Service-tag data: the embedded snapshot or a file given.
pub enum Tags {
    /// Built into the binary.
    Embedded(&'static TagDb),
    /// Read from a file.
    File(Box<TagDb>, String),
}

impl Tags {
    /// The database.
    pub fn db(&self) -> &TagDb {
        match self {
            Tags::Embedded(d) => d,
            Tags::File(d, _) => d,
        }
    }

    /// Where it came from, for the report.
    pub fn origin(&self) -> String {
        match self {
            Tags::Embedded(_) => "embedded snapshot".into(),
            Tags::File(_, p) => p.clone(),
        }
    }
}

/// Most bytes read from an export or a service-tag file: the largest real
/// ones are tens of MB (Microsoft's public tag file is about 5 MB).
pub const MAX_INPUT_FILE: u64 = 256 << 20;

/// Reads a JSON file a user gives (an `az` export, a service-tag file) as
/// text: at most [`MAX_INPUT_FILE`] bytes, UTF-8 with or without a byte-order
/// mark, or UTF-16 with one (what Windows PowerShell 5.1's `>` writes); any
/// other encoding is named. `what` names the file in messages.
///
/// Memory stays within the cap whatever the file is: a regular file larger
/// than the cap is refused before a byte is read, one within it is read into
/// a buffer of its size, and anything else (a device, a pipe) is read in
/// chunks into a buffer that never grows past the cap. A file whose first
/// bytes no text begins with (`/dev/zero`, UTF-32) is refused as soon as they
/// are read.
pub fn read_text(p: &Path, what: &str) -> anyhow::Result<String> {
    use std::io::Read;
    let name = crate::sanitize::for_terminal(&p.display().to_string());
    let mut file = std::fs::File::open(p).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "no such file; check the path",
            std::io::ErrorKind::PermissionDenied => {
                "permission denied; check the file's permissions"
            }
            _ => "cannot open it; check the path and permissions",
        };
        anyhow::anyhow!("{name}: cannot read the {what}: {why} ({e})")
    })?;
    let cap = usize::try_from(MAX_INPUT_FILE).unwrap_or(usize::MAX);
    let too_large = || {
        anyhow::anyhow!(
            "{name}: the {what} is larger than {} MiB, far more than any real one (tens of MB): give the file `az` wrote",
            MAX_INPUT_FILE >> 20
        )
    };
    let mut bytes = Vec::new();
    if let Ok(m) = file.metadata()
        && m.is_file()
    {
        if m.len() > MAX_INPUT_FILE {
            return Err(too_large());
        }
        bytes.reserve_exact(usize::try_from(m.len()).unwrap_or(0));
    }
    let mut chunk = vec![0u8; 64 << 10];
    let mut head_told = false;
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => anyhow::bail!("{name}: cannot read the {what}: {e}; give a regular file"),
        };
        if bytes.len() + n > cap {
            return Err(too_large());
        }
        if bytes.capacity() - bytes.len() < n {
            // Doubling, as a Vec grows, but never past the cap.
            let want = (bytes.capacity() * 2).clamp(bytes.len() + n, cap);
            bytes.reserve_exact(want - bytes.len());
        }
        bytes.extend_from_slice(&chunk[..n]);
        if !head_told && bytes.len() >= HEAD {
            encoding(&bytes).map_err(|why| anyhow::anyhow!("{name}: the {what} {why}"))?;
            head_told = true;
        }
    }
    decode_text(bytes).map_err(|why| anyhow::anyhow!("{name}: the {what} {why}"))
}

/// How many first bytes tell the encoding.
const HEAD: usize = 64;

/// What [`encoding`] found.
enum Encoding {
    /// UTF-8, after a byte-order mark of `bom` bytes (0 or 3).
    Utf8 { bom: usize },
    /// UTF-16 after its byte-order mark, little- or big-endian.
    Utf16 { le: bool },
}

const SAVE: &str = "save it as UTF-8 (in PowerShell: `| Out-File -Encoding utf8`, or run `az` in a shell that writes UTF-8)";

/// The encoding the first bytes of a text tell (at most [`HEAD`] of them
/// are looked at), or what they are in words when asrscope cannot read it.
fn encoding(bytes: &[u8]) -> Result<Encoding, String> {
    match bytes {
        [0xff, 0xfe, 0, 0, ..] | [0, 0, 0xfe, 0xff, ..] => {
            Err(format!("is UTF-32, which asrscope does not read: {SAVE}"))
        }
        [0xef, 0xbb, 0xbf, ..] => Ok(Encoding::Utf8 { bom: 3 }),
        [0xff, 0xfe, ..] => Ok(Encoding::Utf16 { le: true }),
        [0xfe, 0xff, ..] => Ok(Encoding::Utf16 { le: false }),
        _ => {
            // JSON text never holds a zero byte; UTF-16 or UTF-32 of ASCII
            // text is full of them, and a device such as /dev/zero is nothing else.
            let head = &bytes[..bytes.len().min(HEAD)];
            let zeros = head.iter().filter(|b| **b == 0).count();
            if !head.is_empty() && zeros == head.len() {
                return Err(format!(
                    "is not text: its first {} bytes are all zero (a device such as /dev/zero, or a damaged file); give the file `az` wrote",
                    head.len()
                ));
            }
            if zeros * 4 >= head.len().max(1) {
                return Err(format!(
                    "looks like UTF-16 or UTF-32 without a byte-order mark (zero bytes among the first {}): {SAVE}",
                    head.len()
                ));
            }
            Ok(Encoding::Utf8 { bom: 0 })
        }
    }
}

/// Text from bytes: UTF-8 (a byte-order mark dropped), or UTF-16 with a
/// byte-order mark; otherwise what the encoding is, in words. UTF-8 takes
/// the bytes' buffer over, without a copy.
pub fn decode_text(mut bytes: Vec<u8>) -> Result<String, String> {
    match encoding(&bytes)? {
        Encoding::Utf8 { bom } => {
            bytes.drain(..bom);
            String::from_utf8(bytes).map_err(|e| {
                format!(
                    "is not valid UTF-8 (invalid byte at offset {}): {SAVE}",
                    e.utf8_error().valid_up_to() + bom
                )
            })
        }
        Encoding::Utf16 { le } => {
            let b = &bytes[2..];
            if !b.len().is_multiple_of(2) {
                return Err("is UTF-16 with an odd number of bytes: it was cut short".into());
            }
            let units = b.chunks_exact(2).map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            });
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| "is UTF-16 with an invalid surrogate: the file is damaged".into())
        }
    }
}

/// Loads `--service-tags FILE`, or the embedded snapshot.
pub fn load_tags(path: Option<&Path>) -> anyhow::Result<Tags> {
    let Some(p) = path else {
        return Ok(Tags::Embedded(TagDb::embedded()));
    };
    let bytes = read_text(p, "service tags file")?.into_bytes();
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let db = TagDb::from_json(&bytes, &name, None)
        .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
    Ok(Tags::File(Box::new(db), p.display().to_string()))
}

/// The regions a database knows, and the sovereign clouds' regions (whose
/// names are known without their service-tag files).
pub fn known_regions(db: &TagDb) -> Vec<Region> {
    let mut v: Vec<Region> = db
        .regions()
        .into_iter()
        .map(|(id, tag_suffix)| Region { id, tag_suffix })
        .collect();
    for r in crate::azure::clouds::sovereign_regions() {
        if !v.iter().any(|k| k.id == r.id) {
            v.push(r);
        }
    }
    v
}

/// The region pair of `check` and `requirements`, and its cloud.
pub struct RegionPair {
    /// `--source-region`.
    pub source: Region,
    /// `--target-region`.
    pub target: Region,
    /// `--cloud`, or the source region's.
    pub cloud: crate::model::Cloud,
}

impl RegionPair {
    /// Resolves the regions among those `db` knows (an unknown name is an
    /// error listing close matches), and the cloud.
    pub fn resolve(
        db: &TagDb,
        source: &str,
        target: &str,
        cloud: Option<CloudArg>,
    ) -> anyhow::Result<RegionPair> {
        let known = known_regions(db);
        let source = regions::resolve(&known, source, "--source-region")?.clone();
        let target = regions::resolve(&known, target, "--target-region")?.clone();
        let cloud = cloud
            .map(CloudArg::cloud)
            .unwrap_or_else(|| crate::azure::clouds::of_region(&source.id));
        Ok(RegionPair {
            source,
            target,
            cloud,
        })
    }
}

/// Resolves `--source-region` and `--target-region`.
pub fn regions(db: &TagDb, a: &AzureArgs) -> anyhow::Result<(Option<Region>, Option<Region>)> {
    let known = known_regions(db);
    let one = |v: &Option<String>, flag: &str| -> anyhow::Result<Option<Region>> {
        match v {
            None => Ok(None),
            Some(s) => Ok(Some(regions::resolve(&known, s, flag)?.clone())),
        }
    };
    Ok((
        one(&a.source_region, "--source-region")?,
        one(&a.target_region, "--target-region")?,
    ))
}

/// The thresholds from the flags.
pub fn thresholds(a: &JudgeArgs) -> anyhow::Result<Thresholds> {
    if !(0.0..=100.0).contains(&a.retrans_threshold) {
        anyhow::bail!(
            "--retrans-threshold {} is not a percentage between 0 and 100",
            a.retrans_threshold
        );
    }
    Ok(Thresholds {
        retrans_pct: a.retrans_threshold,
        min_segments: a.min_segments,
        zero_windows: a.zero_window_threshold,
        ..Thresholds::default()
    })
}

/// Everything the judge needs from the flags: thresholds, trusted issuers,
/// capture point, the regions given.
pub fn settings(tags: &Tags, azure: &AzureArgs, judge: &JudgeArgs) -> anyhow::Result<Settings> {
    if let Some(bad) = judge.trusted_issuer.iter().find(|t| t.trim().is_empty()) {
        anyhow::bail!(
            "--trusted-issuer '{}' is empty: it would trust every certificate issuer; give part of the issuer's name (e.g. --trusted-issuer 'Contoso Firewall Inspection CA'), or leave the flag out",
            crate::sanitize::for_terminal(bad)
        );
    }
    Ok(Settings {
        thresholds: thresholds(judge)?,
        trusted_issuers: judge.trusted_issuer.clone(),
        capture_point: match judge.capture_point {
            CapturePointArg::Vm => CapturePoint::Vm,
            CapturePointArg::Nva => CapturePoint::Nva,
        },
        given: regions(tags.db(), azure)?,
        tags_origin: tags.origin(),
        cloud: azure.cloud.map(CloudArg::cloud),
        network: network(judge, tags.db())?,
    })
}

/// The tunnel ports from `--vxlan-port` and `--geneve-port`.
pub fn tunnel_ports(a: &EngineArgs) -> anyhow::Result<TunnelPorts> {
    TunnelPorts::with(&a.vxlan_port, &a.geneve_port).ok_or_else(|| {
        anyhow::anyhow!(
            "at most {MAX_EXTRA_PORTS} --vxlan-port and {MAX_EXTRA_PORTS} --geneve-port values can be given"
        )
    })
}

/// The live capture's kernel filter: what the analysis reads, tunnels on
/// all their ports included.
pub fn live_filter(ports: &TunnelPorts) -> String {
    let mut f = String::from("tcp or udp port 53 or icmp or icmp6");
    for p in ports.vxlan().iter().chain(ports.geneve()) {
        f.push_str(&format!(" or udp port {p}"));
    }
    f
}

/// The engine's settings from the flags.
pub fn engine(a: &EngineArgs) -> anyhow::Result<EngineConfig> {
    Ok(EngineConfig {
        tunnel_ports: tunnel_ports(a)?,
        max_memory: usize::try_from(a.max_memory).unwrap_or(usize::MAX),
        ..EngineConfig::default()
    })
}

/// Reads `--nsg`, `--routes` and `--azure`: one line naming the file and
/// what was expected when one cannot be used.
pub fn network(a: &JudgeArgs, tags: &TagDb) -> anyhow::Result<crate::azure::Network> {
    network_from(&a.nsg, &a.routes, &a.azure, tags)
}

/// The exports of the VM's network, by the flag that gave them.
enum Given {
    Nsg,
    Routes,
    Any,
}

/// Reads NSG, route and `--azure` exports (any kind, told by its shape) and
/// indexes them (routes naming service tags through `tags`); the error
/// names the file.
pub fn network_from(
    nsgs: &[PathBuf],
    routes: &[PathBuf],
    azure: &[PathBuf],
    tags: &TagDb,
) -> anyhow::Result<crate::azure::Network> {
    use crate::azure::kind::ExportKind;
    use crate::model::ExportRead;
    let name = |p: &Path| crate::sanitize::for_terminal(&p.display().to_string());
    let mut got = Exports::default();
    let mut read = Vec::new();
    let given = nsgs
        .iter()
        .map(|p| (p, Given::Nsg))
        .chain(routes.iter().map(|p| (p, Given::Routes)))
        .chain(azure.iter().map(|p| (p, Given::Any)));
    for (p, flag) in given {
        let text = read_text(p, "export")?;
        let what = match flag {
            Given::Nsg => ExportKind::Nsg,
            Given::Routes => ExportKind::Routes,
            Given::Any => kind_of(&text).map_err(|why| anyhow::anyhow!("{}: {why}", name(p)))?,
        };
        let items = got
            .read(what, text)
            .map_err(|e| anyhow::anyhow!("{}: {e}", name(p)))?;
        read.push(ExportRead {
            file: name(p),
            kind: what,
            items,
        });
    }
    let mut network = crate::azure::Network::new(got.nsgs, got.routes, tags)
        .with_firewalls(got.firewalls)
        .with_admin(got.admin_pages);
    network.storage = got.storage;
    network.private_dns = got.private_dns;
    network.placement = got.placement;
    network.endpoint_policies = got.policies;
    network.exports = read;
    Ok(network)
}

/// An `--azure` export's kind, told by its shape in one pass; the file is
/// checked as JSON only when no shape was found, to say why. A file of a
/// known shape is checked by its reader (which refuses duplicate keys).
fn kind_of(text: &str) -> Result<crate::azure::kind::ExportKind, String> {
    crate::azure::kind::sniff(text).ok_or_else(|| {
        match crate::azure::json::check(text.as_bytes()) {
            Err(crate::azure::json::Error::Syntax(e)) => format!("not JSON ({e})"),
            Err(crate::azure::json::Error::Duplicate(d)) => {
                format!("{d}; export the file again with `az`")
            }
            Ok(()) => crate::render::network::UNKNOWN_EXPORT.to_string(),
        }
    })
}

/// Every export read so far, by layer.
#[derive(Default)]
struct Exports {
    nsgs: Vec<crate::azure::nsg::Nsg>,
    routes: Vec<crate::azure::routes::Route>,
    firewalls: crate::azure::firewall::Exports,
    storage: Vec<crate::azure::storage::Account>,
    private_dns: crate::azure::private_dns::PrivateDns,
    placement: crate::azure::placement::Placement,
    admin_pages: Vec<crate::azure::admin::Page>,
    policies: Vec<crate::azure::endpoint_policy::EndpointPolicy>,
}

impl Exports {
    /// Reads one export of kind `what` into its layer; how many items it
    /// held, or what is wrong with it.
    fn read(
        &mut self,
        what: crate::azure::kind::ExportKind,
        text: String,
    ) -> Result<usize, String> {
        use crate::azure::kind::ExportKind;
        let e = |e: &dyn std::fmt::Display| e.to_string();
        Ok(match what {
            ExportKind::Nsg => {
                let got = crate::azure::nsg::parse_nsgs(&text).map_err(|x| e(&x))?;
                drop(text);
                let n = got.len();
                self.nsgs.extend(got);
                n
            }
            ExportKind::Routes => {
                let got = crate::azure::routes::parse_routes(&text).map_err(|x| e(&x))?;
                // The text goes before the routes are moved: a large export
                // is held once, not twice.
                drop(text);
                let n = got.len();
                self.routes.extend(got);
                n
            }
            ExportKind::StorageAccount => {
                let got =
                    crate::azure::storage::parse_storage_accounts(&text).map_err(|x| e(&x))?;
                let n = got.len();
                self.storage.extend(got);
                n
            }
            ExportKind::PrivateDnsZone
            | ExportKind::PrivateDnsLinks
            | ExportKind::PrivateDnsRecords => {
                let got = crate::azure::private_dns::parse_private_dns(&text).map_err(|x| e(&x))?;
                let n = got.items();
                self.private_dns.extend(got);
                n
            }
            ExportKind::EndpointPolicy => {
                let got = crate::azure::endpoint_policy::parse_endpoint_policies(&text)
                    .map_err(|x| e(&x))?;
                let n = got.len();
                self.policies.extend(got);
                n
            }
            ExportKind::Nic | ExportKind::Subnet | ExportKind::Vnet => {
                let (nics, got) =
                    crate::azure::placement::parse_placement(&text).map_err(|x| e(&x))?;
                let n = nics.len() + got.subnets.len() + got.vnets.len();
                self.placement.add(nics, got).map_err(|x| e(&x))?;
                n
            }
            ExportKind::AdminRules => {
                let got = crate::azure::admin::parse_admin_rules(&text).map_err(|x| e(&x))?;
                let n = got.rules.len();
                self.admin_pages.push(got);
                n
            }
            ExportKind::FirewallPolicy
            | ExportKind::RuleCollectionGroups
            | ExportKind::Firewall
            | ExportKind::IpGroup => {
                let got =
                    crate::azure::firewall::parse_firewall_exports(&text).map_err(|x| e(&x))?;
                let n = got.policies.len()
                    + got.groups.len()
                    + got.firewalls.len()
                    + got.ip_groups.len();
                self.firewalls.extend(got);
                n
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::decode_text;

    #[test]
    fn exports_as_windows_tools_write_them() {
        let text = r#"{"value": []}"#;
        assert_eq!(decode_text(text.as_bytes().to_vec()).unwrap(), text);
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_text(bom).unwrap(), text);
        for le in [true, false] {
            let mut b = if le {
                vec![0xff, 0xfe]
            } else {
                vec![0xfe, 0xff]
            };
            for u in text.encode_utf16() {
                b.extend_from_slice(&if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            assert_eq!(decode_text(b).unwrap(), text);
        }
        let e = decode_text(vec![0xff, 0xfe, 0, 0, b'{', 0, 0, 0]).unwrap_err();
        assert!(e.contains("UTF-32"), "{e}");
        let no_bom: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let e = decode_text(no_bom).unwrap_err();
        assert!(e.contains("without a byte-order mark"), "{e}");
        let e = decode_text(b"{\"a\": \"\xe9\"}".to_vec()).unwrap_err();
        assert!(e.contains("offset 7"), "{e}");
        assert!(!e.contains('\n'));
    }
}
