//! Site Recovery's network requirements for a region pair, without any
//! capture (`asrscope requirements`): the endpoint catalog in the pair's
//! cloud, each endpoint's NSG rule for both regions, checked against the
//! service-tag data, and the data churn limits.

use crate::azure::churn;
use crate::azure::clouds;
use crate::azure::endpoints::{self, CATALOG, Endpoint, MULTI_VM_PORT};
use crate::azure::tags::TagDb;
use crate::model::requirements::{
    AlsoWhy, ChurnLimits, EnhancedChurn, HighChurn, HighChurnMissing, NsgRule, PairNote,
    RegionRequirements, UrlRule,
};
use crate::model::{Cloud, Region};

/// What the documentation adds to the rules, in every cloud.
const NOTES: &[PairNote] = &[
    PairNote::NoIpFiltering,
    PairNote::NoAuthenticatedProxy,
    PairNote::StorageServiceEndpoint,
    PairNote::StorageFirewall,
    PairNote::CacheKeyAccess,
    PairNote::MultiVmConsistency {
        port: MULTI_VM_PORT,
    },
    PairNote::UnsupportedAppliance,
    PairNote::TestNsgFirst,
];

/// The notes for a pair in `cloud`: Azure China's networking page adds its
/// own.
fn notes(cloud: Cloud) -> Vec<PairNote> {
    let mut notes = NOTES.to_vec();
    if cloud == Cloud::China {
        notes.extend([
            PairNote::ChinaTagsWithoutRegion,
            PairNote::ChinaSiteRecoveryAddresses,
        ]);
    }
    notes
}

/// The requirements of replicating from `source` to `target` in `cloud`,
/// the tags checked against `db`.
pub(crate) fn for_pair(
    source: &Region,
    target: &Region,
    db: &TagDb,
    cloud: Cloud,
) -> RegionRequirements {
    let catalog: Vec<Endpoint> = CATALOG.iter().map(|e| e.in_cloud(cloud)).collect();
    let mut nsg_rules = rules(source, target, db, &catalog, cloud);
    nsg_rules.extend(rules(target, source, db, &catalog, cloud));
    RegionRequirements {
        cloud,
        source_region: source.clone(),
        target_region: target.clone(),
        urls: catalog
            .iter()
            .map(|e| UrlRule {
                pattern: e.pattern,
                also: e.url_also,
                also_why: match endpoints::url_also_doc_error(cloud, e.id) {
                    Some(issue) => AlsoWhy::KnownDocError { issue },
                    None => AlsoWhy::Documented,
                },
                purpose: e.purpose,
                need: e.need,
            })
            .collect(),
        nsg_rules,
        notes: notes(cloud),
        churn_limits: churn_limits(source),
        cloud_name: cloud.name(),
        tag_file: cloud.tag_file(),
    }
}

/// Rules for the NSG of `here`, replicating to `there`, in `cloud`.
fn rules(
    here: &Region,
    there: &Region,
    db: &TagDb,
    catalog: &[Endpoint],
    cloud: Cloud,
) -> Vec<NsgRule> {
    let same_cloud = clouds::of_tag_file(&db.meta().cloud) == Some(cloud);
    catalog
        .iter()
        .map(|e| {
            let tag = e.tag.tag_for(&here.tag_suffix, &there.tag_suffix);
            NsgRule {
                region: here.tag_suffix.clone(),
                endpoint: e.pattern,
                tag_known: same_cloud.then(|| db.tag(tag.as_str()).is_some()),
                tag,
                purpose: e.purpose,
                need: e.need,
            }
        })
        .collect()
}

/// The churn limits, for replication from `source`.
fn churn_limits(source: &Region) -> ChurnLimits {
    let high_churn = if churn::NO_PREMIUM_BLOCK_BLOB.contains(&source.id.as_str()) {
        HighChurn::Unavailable {
            region: source.id.clone(),
            why: HighChurnMissing::NoPremiumBlockBlob,
        }
    } else {
        HighChurn::Available
    };
    ChurnLimits {
        per_vm_mbps: churn::PER_VM_MBPS,
        per_vm_high_churn_mbps: churn::PER_VM_HIGH_CHURN_MBPS,
        per_disk: churn::STANDARD,
        per_disk_high_churn: churn::HIGH_CHURN,
        high_churn,
        enhanced_churn: EnhancedChurn {
            per_vm_mbps: churn::PER_VM_ENHANCED_CHURN_MBPS,
            per_disk_max_mbps: churn::PER_DISK_ENHANCED_CHURN_MBPS,
            regions: churn::ENHANCED_CHURN_REGIONS,
            requires: churn::ENHANCED_CHURN_NEEDS,
            io_sizes: churn::ENHANCED_CHURN_IO,
            per_disk_by_source_size: churn::ENHANCED_CHURN,
        },
    }
}
