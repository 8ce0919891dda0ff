//! Site Recovery's network requirements for a region pair, without any
//! capture (`asrscope requirements`): the endpoint catalog in the pair's
//! cloud, each endpoint's NSG rule for both regions, checked against the
//! service-tag data, and the data churn limits.

use crate::azure::churn;
use crate::azure::clouds;
use crate::azure::endpoints::{self, CATALOG, Endpoint, MULTI_VM_PORT};
use crate::azure::privatelink;
use crate::azure::tags::TagDb;
use crate::model::requirements::{
    AlsoWhy, CaHost, ChurnLimits, EnhancedChurn, HighChurn, HighChurnMissing, NsgRule, PairNote,
    PrivateEndpoints, PrivateZone, RegionRequirements, UrlRule,
};
use crate::model::{Cloud, EndpointId, Region};

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
    PairNote::PlatformTags,
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

/// What "Replicate machines with private endpoints" requires (stored copy
/// MicrosoftDocs/azure-docs 040f0f9d, ms.date 04/23/2022; the live page is
/// dated 05/11/2025), in its order.
pub(crate) const PRIVATE_ENDPOINT_NEEDS: &[&str] = &[
    "Private endpoints can be created only for new Recovery Services vaults that don't have any items registered to the vault: create them before any item is added.",
    "Once a vault has a private endpoint, it is locked down and isn't accessible from networks other than those that have private endpoints.",
    "Microsoft Entra ID doesn't support private endpoints: allow it outbound (tag AzureActiveDirectory) from the secured network.",
    "At least seven IP addresses in the subnets of both the source and the recovery machines: Site Recovery creates five private links when the vault's private endpoint is created, and two more when replication is enabled.",
    "One additional IP address in both the source and recovery subnets for a private endpoint to the cache storage account; storage private endpoints can only be created on General Purpose v2 accounts.",
    "Two private endpoints for the vault: one in the source network for protection, one in the recovery network for reprotection after failover (create the recovery virtual network during setup).",
    "Create a new private DNS zone for every new private endpoint connecting to the same vault: choosing an existing private DNS zone overwrites its previous CNAME records. In a hub-and-spoke network, one private endpoint and one private DNS zone serve the whole setup.",
    "With private DNS zones created by hand: link the zone to the source virtual network and, in advance, to the target virtual network, and add an A record for each name of the private endpoint with its private address; after replication is enabled, two more names are created on the private endpoints in both regions: add their records too.",
    "Enable the vault's managed identity and grant it, on the cache storage account, Contributor and Storage Blob Data Contributor (Storage Blob Data Owner for a premium account), and allow trusted Microsoft services on the account's firewall.",
    "A private endpoint for the cache storage account is optional: without one, protection still succeeds and replication traffic goes to the public endpoints.",
];

/// What the page says of the names of the vault's private endpoint.
const VAULT_NAMES_NOTE: &str = "five names are added when the private endpoint is created, two more to the same private endpoint when replication is enabled; the pattern as the page spells it";

/// The private endpoints' zones and requirements in `cloud`.
fn private_endpoints(cloud: Cloud) -> PrivateEndpoints {
    let zone = |id| {
        privatelink::ZONES
            .iter()
            .find(|z| z.cloud == cloud && z.endpoint == id)
    };
    PrivateEndpoints {
        vault: zone(EndpointId::SiteRecovery).map(|z| PrivateZone {
            sub_resource: "AzureSiteRecovery",
            zone: z.zone,
            forwarder: z.forwarder,
            names: Some(format!(
                "{{Vault-ID}}-asr-pod01-{{type}}-.{{target-geo-code}}.{}",
                z.zone
            )),
            names_note: Some(VAULT_NAMES_NOTE),
        }),
        cache_storage: zone(EndpointId::CacheStorage).map(|z| PrivateZone {
            sub_resource: "blob",
            zone: z.zone,
            forwarder: z.forwarder,
            names: None,
            names_note: None,
        }),
        prerequisites: PRIVATE_ENDPOINT_NEEDS,
    }
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
        private_endpoints: private_endpoints(cloud),
        platform: crate::azure::platform::NEEDS,
        ca_hosts: crate::azure::pki::CA_HOSTS
            .iter()
            .map(|(host, service)| CaHost {
                host,
                service: *service,
            })
            .collect(),
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
