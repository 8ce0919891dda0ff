//! The source and target regions: given by flag, or inferred from the
//! traffic when not given.

use crate::azure::endpoints;
use crate::azure::tags::TagDb;
use crate::model::{EndpointId, FlowRecord, NameLog, Region, RegionChoice, RegionHow, TagName};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// The regions given by flag.
pub(crate) type Given = (Option<Region>, Option<Region>);

/// The regions chosen: source, target.
pub(crate) type Regions = (Option<RegionChoice>, Option<RegionChoice>);

/// Infers the regions from the traffic: the source is the region of the
/// Storage tag holding most bytes uploaded to cache storage names (or, without
/// data, the addresses DNS gave for them); the target is the region of the
/// EventHub tag of the monitoring names. `None` when nothing tells.
pub(crate) fn infer(
    flows: &[FlowRecord],
    dns: &[NameLog],
    tags: &TagDb,
) -> (Option<String>, Option<String>) {
    let mut by: [BTreeMap<String, u64>; 2] = Default::default();
    let mut count = |i: usize, family: &str, ip: &IpAddr, w: u64| {
        if let Some(t) = tags
            .lookup(*ip)
            .into_iter()
            .find(|t| t.region.is_some() && TagName::name_in_family(&t.name, family))
            && let Some(r) = &t.region
        {
            *by[i].entry(r.clone()).or_default() += w;
        }
    };
    for f in flows {
        let dst_tags = tags.lookup(f.dst_ip);
        match super::verdict::endpoint_of(f, &dst_tags).map(|(e, _)| e.id) {
            Some(EndpointId::CacheStorage) => count(0, "Storage", &f.dst_ip, 1 + f.out.bytes),
            Some(EndpointId::Monitoring) => count(1, "EventHub", &f.dst_ip, 1 + f.out.bytes),
            _ => {}
        }
    }
    for d in dns {
        match endpoints::classify(&d.name).map(|e| e.id) {
            Some(EndpointId::CacheStorage) => {
                d.addresses.iter().for_each(|ip| count(0, "Storage", ip, 1))
            }
            Some(EndpointId::Monitoring) => d
                .addresses
                .iter()
                .for_each(|ip| count(1, "EventHub", ip, 1)),
            _ => {}
        }
    }
    let best =
        |m: &BTreeMap<String, u64>| m.iter().max_by_key(|(_, v)| **v).map(|(k, _)| k.clone());
    (best(&by[0]), best(&by[1]))
}

/// The regions to use: each given one, else the one inferred (when the tag
/// data knows it).
pub(crate) fn choose(
    given: &Given,
    inferred: (Option<String>, Option<String>),
    tags: &TagDb,
) -> Regions {
    let pick = |g: &Option<Region>, i: Option<String>| match g {
        Some(r) => Some(RegionChoice {
            region: r.clone(),
            how: RegionHow::Given,
        }),
        None => {
            let id = i?;
            let (id, tag_suffix) = tags.regions().into_iter().find(|(r, _)| *r == id)?;
            Some(RegionChoice {
                region: Region { id, tag_suffix },
                how: RegionHow::Inferred,
            })
        }
    };
    (pick(&given.0, inferred.0), pick(&given.1, inferred.1))
}

/// Infers what was not given from these flows and names, and chooses.
pub(crate) fn infer_and_choose(
    given: &Given,
    flows: &[FlowRecord],
    dns: &[NameLog],
    tags: &TagDb,
) -> Regions {
    let inferred = if given.0.is_none() || given.1.is_none() {
        infer(flows, dns, tags)
    } else {
        (None, None)
    };
    choose(given, inferred, tags)
}
