//! Azure's clouds: the public cloud, Azure Government and Azure operated by
//! 21Vianet in China. Each has its own names for the services Site Recovery
//! needs, its own regions and its own service-tag file (same layout, its
//! `cloud` field says which). A cloud's name, tag file and download page are
//! the model's ([`Cloud::name`]).

use crate::model::{Cloud, Region};

/// The cloud a service-tag file describes, from its `cloud` field
/// (`Public`, `AzureGovernment`, `China`).
pub(crate) fn of_tag_file(cloud: &str) -> Option<Cloud> {
    match cloud.to_ascii_lowercase().as_str() {
        "public" | "azurecloud" => Some(Cloud::Public),
        "azuregovernment" | "usgov" | "azureusgovernment" => Some(Cloud::Usgov),
        "china" | "azurechinacloud" => Some(Cloud::China),
        _ => None,
    }
}

/// Azure Government's regions (id, service-tag suffix).
pub(crate) const USGOV_REGIONS: &[(&str, &str)] = &[
    ("usgovvirginia", "USGovVirginia"),
    ("usgovtexas", "USGovTexas"),
    ("usgovarizona", "USGovArizona"),
    ("usdodeast", "USDoDEast"),
    ("usdodcentral", "USDoDCentral"),
];

/// Azure China's regions (id, service-tag suffix).
pub(crate) const CHINA_REGIONS: &[(&str, &str)] = &[
    ("chinaeast", "ChinaEast"),
    ("chinaeast2", "ChinaEast2"),
    ("chinaeast3", "ChinaEast3"),
    ("chinanorth", "ChinaNorth"),
    ("chinanorth2", "ChinaNorth2"),
    ("chinanorth3", "ChinaNorth3"),
];

/// The sovereign clouds' regions, for region names given by flag whatever
/// service-tag data is loaded.
pub(crate) fn sovereign_regions() -> impl Iterator<Item = Region> {
    USGOV_REGIONS
        .iter()
        .chain(CHINA_REGIONS)
        .map(|(id, sfx)| Region {
            id: id.to_string(),
            tag_suffix: sfx.to_string(),
        })
}

/// The cloud a region belongs to.
pub(crate) fn of_region(id: &str) -> Cloud {
    if USGOV_REGIONS.iter().any(|(r, _)| *r == id) {
        Cloud::Usgov
    } else if CHINA_REGIONS.iter().any(|(r, _)| *r == id) {
        Cloud::China
    } else {
        Cloud::Public
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clouds_from_files_and_regions() {
        assert_eq!(of_tag_file("AzureGovernment"), Some(Cloud::Usgov));
        assert_eq!(of_tag_file("China"), Some(Cloud::China));
        assert_eq!(of_tag_file("Public"), Some(Cloud::Public));
        assert_eq!(of_tag_file("Mars"), None);
        assert_eq!(of_region("usgovvirginia"), Cloud::Usgov);
        assert_eq!(of_region("chinanorth3"), Cloud::China);
        assert_eq!(of_region("eastus"), Cloud::Public);
    }
}
