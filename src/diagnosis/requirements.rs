//! Site Recovery's network requirements for a region pair, without any
//! capture (`asrscope requirements`): the endpoint catalog in the pair's
//! cloud, each endpoint's NSG rule for both regions, checked against the
//! service-tag data, and the data churn limits.

use crate::azure::churn;
use crate::azure::clouds;
use crate::azure::endpoints::{CATALOG, Endpoint};
use crate::azure::tags::TagDb;
use crate::model::requirements::{
    CaHost, ChurnLimits, EnhancedChurn, NsgRule, RegionRequirements, UrlRule,
};
use crate::model::{Cloud, Region};

/// What the documentation adds to the rules.
pub(crate) const NOTES: &[&str] = &[
    "Allow service tags or URLs, never IP address lists: IP-based filtering should not be used for Site Recovery, and its IP addresses should not be added to route tables.",
    "An authenticated proxy is not supported; only unauthenticated proxies work.",
    "With an NVA in the path, create a virtual network service endpoint for Microsoft.Storage so that replication traffic does not go through (and throttle) the appliance; with forced tunnelling, the same keeps it inside the Azure boundary.",
    "With a firewall on the cache or target storage account, enable \"Allow trusted Microsoft services\" and allow access to at least one subnet of the source virtual network (with a user-assigned managed identity on the vault, allow access from all networks instead).",
    "Create the rules on a test NSG first and check that nothing breaks before changing the production NSG.",
    "NSGs do not filter 168.63.129.16 and 169.254.169.254 unless a rule names the service tag AzurePlatformDNS, AzurePlatformIMDS or AzurePlatformLKM: an outbound deny on AzurePlatformIMDS (TCP 80) or AzurePlatformDNS (53) breaks what Site Recovery's VMs need. These tags are not in the service-tag file (no address prefixes): asrscope check reads them by name.",
];

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
                purpose: e.purpose,
                need: e.need,
            })
            .collect(),
        nsg_rules,
        platform: crate::azure::platform::NEEDS,
        ca_hosts: crate::azure::pki::CA_HOSTS
            .iter()
            .map(|(host, service)| CaHost {
                host,
                service: *service,
            })
            .collect(),
        notes: NOTES,
        churn_limits: churn_limits(),
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

fn churn_limits() -> ChurnLimits {
    ChurnLimits {
        per_vm_mbps: churn::PER_VM_MBPS,
        per_vm_high_churn_mbps: churn::PER_VM_HIGH_CHURN_MBPS,
        per_disk: churn::STANDARD,
        per_disk_high_churn: churn::HIGH_CHURN,
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
