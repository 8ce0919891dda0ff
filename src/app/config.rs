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
use anyhow::Context;
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

/// Loads `--service-tags FILE`, or the embedded snapshot.
pub fn load_tags(path: Option<&Path>) -> anyhow::Result<Tags> {
    let Some(p) = path else {
        return Ok(Tags::Embedded(TagDb::embedded()));
    };
    let bytes = std::fs::read(p).with_context(|| {
        format!(
            "{}: cannot read the service tags file; check the path and permissions",
            p.display()
        )
    })?;
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

/// Reads `--nsg` and `--routes`: one line naming the file and what was
/// expected when one cannot be used.
pub fn network(a: &JudgeArgs, tags: &TagDb) -> anyhow::Result<crate::azure::Network> {
    network_from(&a.nsg, &a.routes, tags)
}

/// Reads NSG and route exports and indexes them (routes naming service tags
/// through `tags`); the error names the file.
pub fn network_from(
    nsgs: &[PathBuf],
    routes: &[PathBuf],
    tags: &TagDb,
) -> anyhow::Result<crate::azure::Network> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).with_context(|| {
            format!(
                "{}: cannot read the file; check the path and permissions",
                p.display()
            )
        })
    };
    let name = |p: &Path| crate::sanitize::for_terminal(&p.display().to_string());
    let (mut all_nsgs, mut all_routes) = (Vec::new(), Vec::new());
    for p in nsgs {
        let got = crate::azure::nsg::parse_nsgs(&read(p)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", name(p)))?;
        all_nsgs.extend(got);
    }
    for p in routes {
        let got = crate::azure::routes::parse_routes(&read(p)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", name(p)))?;
        all_routes.extend(got);
    }
    Ok(crate::azure::Network::new(all_nsgs, all_routes, tags))
}
