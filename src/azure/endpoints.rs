//! The endpoints Azure Site Recovery needs, from "About networking in Azure VM
//! disaster recovery": each URL pattern with the service tag an NSG must allow
//! for it, what it is for, when it is needed, and the Site Recovery error a
//! user sees when it is unreachable.

use crate::model::{Cloud, EndpointId, Need, RegionRole, RequiredTag, TagName};

/// Which service tag an NSG rule needs for an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TagRule {
    /// A global tag.
    Global(&'static str),
    /// The tag family's variant for the source region (`Storage.<source>`).
    SourceRegion(&'static str),
    /// The tag family's variant for the target region (`EventHub.<target>`).
    TargetRegion(&'static str),
}

impl TagRule {
    /// The tag's family (`Storage`, `AzureActiveDirectory`…).
    pub(crate) fn family(&self) -> &'static str {
        match self {
            TagRule::Global(f) | TagRule::SourceRegion(f) | TagRule::TargetRegion(f) => f,
        }
    }

    /// The tag for a region pair, given each region's tag suffix (`EastUS`).
    pub(crate) fn tag_for(&self, source: &str, target: &str) -> TagName {
        TagName::new(match self {
            TagRule::Global(f) => f.to_string(),
            TagRule::SourceRegion(f) => format!("{f}.{source}"),
            TagRule::TargetRegion(f) => format!("{f}.{target}"),
        })
    }

    /// The tag an NSG must allow for the regions known so far: the tag, or,
    /// for a regional tag whose region is not known, its family and which
    /// region.
    pub(crate) fn required(&self, source: Option<&str>, target: Option<&str>) -> RequiredTag {
        let unknown = |family, region| RequiredTag::RegionUnknown { family, region };
        match (self, source, target) {
            (TagRule::Global(f), _, _) => RequiredTag::Tag(TagName::new(*f)),
            (TagRule::SourceRegion(f), Some(s), _) | (TagRule::TargetRegion(f), _, Some(s)) => {
                RequiredTag::Tag(TagName::new(format!("{f}.{s}")))
            }
            (TagRule::SourceRegion(f), None, _) => unknown(*f, RegionRole::Source),
            (TagRule::TargetRegion(f), _, None) => unknown(*f, RegionRole::Target),
        }
    }
}

/// One required endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Endpoint {
    /// Stable id.
    pub id: EndpointId,
    /// URL pattern as the documentation writes it.
    pub pattern: &'static str,
    /// Other patterns of the same endpoint (Site Recovery behind the vault's
    /// private endpoint).
    pub also: &'static [&'static str],
    /// The patterns in Azure Government, first the one shown.
    pub usgov: &'static [&'static str],
    /// The patterns in Azure China, first the one shown.
    pub china: &'static [&'static str],
    /// Other URLs Microsoft's pages give for this endpoint in the cloud of
    /// `pattern`, which a URL filter should allow too (filled by
    /// [`Endpoint::in_cloud`]).
    pub url_also: &'static [&'static str],
    /// The NSG service tag.
    pub tag: TagRule,
    /// What the endpoint is for.
    pub purpose: &'static str,
    /// When it is required.
    pub need: Need,
    /// Site Recovery error codes seen when it is unreachable.
    pub error_codes: &'static [&'static str],
}

/// The catalog, in the documentation's order.
pub(crate) const CATALOG: &[Endpoint] = &[
    Endpoint {
        id: EndpointId::CacheStorage,
        pattern: "*.blob.core.windows.net",
        also: &[],
        usgov: &["*.blob.core.usgovcloudapi.net"],
        china: &["*.blob.core.chinacloudapi.cn"],
        url_also: &[],
        tag: TagRule::SourceRegion("Storage"),
        purpose: "replicated data is written to the cache storage account in the source region",
        need: Need::Always,
        error_codes: &["151037", "151072", "153007"],
    },
    Endpoint {
        id: EndpointId::AzureAd,
        pattern: "login.microsoftonline.com",
        also: &[],
        usgov: &["login.microsoftonline.us"],
        china: &["login.chinacloudapi.cn"],
        url_also: &[],
        tag: TagRule::Global("AzureActiveDirectory"),
        purpose: "Microsoft Entra ID (tag AzureActiveDirectory): authorization and authentication to the Site Recovery service URLs",
        need: Need::Always,
        error_codes: &["151196", "151072"],
    },
    Endpoint {
        id: EndpointId::SiteRecovery,
        pattern: "*.hypervrecoverymanager.windowsazure.com",
        // With a private endpoint on the vault: {vault-id}-asr-pod01-{type}
        // .{geo}.siterecovery.windowsazure.com, private DNS zone
        // privatelink.siterecovery.windowsazure.com.
        also: &["*.siterecovery.windowsazure.com"],
        usgov: &[
            "*.hypervrecoverymanager.windowsazure.us",
            "*.siterecovery.windowsazure.us",
        ],
        // Azure China's private-endpoint page (mc-docs.zh-cn, 2021-02-01):
        // {Vault-ID}-asr-pod01-{type}-.{target-geo-code}
        // .siterecovery.windowsazure.cn, zone
        // privatelink.siterecovery.windowsazure.cn.
        china: &[
            "*.hypervrecoverymanager.windowsazure.cn",
            "*.siterecovery.windowsazure.cn",
        ],
        url_also: &[],
        tag: TagRule::Global("AzureSiteRecovery"),
        purpose: "Site Recovery service communication from the VM",
        need: Need::Always,
        error_codes: &["151197", "151037", "151072"],
    },
    Endpoint {
        id: EndpointId::Monitoring,
        pattern: "*.servicebus.windows.net",
        also: &[],
        usgov: &["*.servicebus.usgovcloudapi.net"],
        china: &["*.servicebus.chinacloudapi.cn"],
        url_also: &[],
        tag: TagRule::TargetRegion("EventHub"),
        purpose: "Site Recovery monitoring and diagnostics data written from the VM",
        need: Need::Always,
        error_codes: &["151037", "151072"],
    },
    Endpoint {
        id: EndpointId::KeyVault,
        pattern: "*.vault.azure.net",
        also: &[],
        usgov: &["*.vault.usgovcloudapi.net"],
        china: &["*.vault.azure.cn"],
        url_also: &[],
        tag: TagRule::Global("AzureKeyVault"),
        purpose: "enabling replication of ADE-enabled VMs via the portal",
        need: Need::AdeVms,
        error_codes: &["151037", "151072"],
    },
    Endpoint {
        id: EndpointId::Automation,
        pattern: "*.automation.ext.azure.com",
        also: &[],
        // The Government column of "Azure to Azure disaster recovery
        // architecture" (Azure Automation).
        usgov: &["*.azure-automation.us"],
        china: &["*.azure-automation.cn"],
        url_also: &[],
        tag: TagRule::Global("GuestAndHybridManagement"),
        purpose: "auto-upgrade of the Mobility agent for a replicated item via the portal",
        need: Need::AgentAutoUpgrade,
        error_codes: &["151037", "151072"],
    },
];

/// The TCP port the VMs of a multi-VM consistency group talk to each other
/// on: "If you enable multi-VM consistency, machines in the replication
/// group communicate with each other over port 20004 … ensure the outbound
/// traffic on port 20004 is manually opened" on Linux ("Azure to Azure
/// disaster recovery architecture", 2019-03-18).
pub(crate) const MULTI_VM_PORT: u16 = 20004;

/// True when `name` matches `pattern`: names match case-insensitively, with
/// or without a trailing dot; `*.x` matches any name at any depth below `x`
/// (not `x` itself).
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    // Compared in place, without allocating: this runs for every flow.
    let name = name.trim_end_matches('.').as_bytes();
    let pattern = pattern.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(parent) => {
            let parent = parent.as_bytes();
            name.len() > parent.len() + 1
                && name[name.len() - parent.len()..].eq_ignore_ascii_case(parent)
                && name[name.len() - parent.len() - 1] == b'.'
        }
        None => name.eq_ignore_ascii_case(pattern.as_bytes()),
    }
}

impl Endpoint {
    /// The cloud `name` belongs to, if it is one of this endpoint's names in
    /// any cloud.
    pub(crate) fn cloud_of(&self, name: &str) -> Option<Cloud> {
        let any = |ps: &[&str]| ps.iter().any(|p| matches(p, name));
        if matches(self.pattern, name) || any(self.also) {
            Some(Cloud::Public)
        } else if any(self.usgov) {
            Some(Cloud::Usgov)
        } else if any(self.china) {
            Some(Cloud::China)
        } else {
            None
        }
    }

    /// True when `name` is one of this endpoint's names, in any cloud.
    pub(crate) fn matches(&self, name: &str) -> bool {
        self.cloud_of(name).is_some()
    }

    /// The endpoint as a cloud names it: its pattern is that cloud's.
    pub(crate) fn in_cloud(&self, c: Cloud) -> Endpoint {
        let (pattern, also): (&'static str, &'static [&'static str]) = match c {
            Cloud::Public => (self.pattern, self.also),
            Cloud::Usgov => (self.usgov[0], &self.usgov[1..]),
            Cloud::China => (self.china[0], &self.china[1..]),
        };
        // Azure Government's Site Recovery URL is *.hypervrecoverymanager
        // .windowsazure.us on the troubleshooting page; the networking
        // tutorial's Government column gives the commercial .com, a
        // documentation error Microsoft acknowledged (see
        // [`url_also_doc_error`]). A URL filter allows both: harmless.
        let url_also: &'static [&'static str] = match (c, self.id) {
            (Cloud::Usgov, EndpointId::SiteRecovery) => {
                &["*.hypervrecoverymanager.windowsazure.com"]
            }
            _ => &[],
        };
        // Azure China's networking page ("About networking in Azure VM
        // disaster recovery", mc-docs.zh-cn, 2020-11-09) writes its NSG
        // rules for `Storage` and `EventHub` without a region ("MOONCAKE:
        // CORRECT ON Storage WITHOUT .ChinaEast").
        let tag = match (c, self.tag) {
            (Cloud::China, TagRule::SourceRegion(f) | TagRule::TargetRegion(f)) => {
                TagRule::Global(f)
            }
            (_, t) => t,
        };
        Endpoint {
            pattern,
            also,
            url_also,
            tag,
            ..*self
        }
    }
}

/// The MicrosoftDocs/azure-docs issue in which Microsoft acknowledged that
/// a page names an endpoint's other URL by mistake: #106919 (2023-03-20),
/// "`*.hypervrecoverymanager.windowsazure.com` is listed as a proper
/// endpoint for Azure Government. It should be updated to reflect the
/// ".us"", answered "We have verified and updated the document as
/// required"; the tutorial's Government column still gives it.
pub(crate) fn url_also_doc_error(c: Cloud, id: EndpointId) -> Option<u32> {
    (c == Cloud::Usgov && id == EndpointId::SiteRecovery).then_some(106_919)
}

/// The catalog entry a server name belongs to, in any cloud.
pub(crate) fn classify(name: &str) -> Option<&'static Endpoint> {
    CATALOG.iter().find(|e| e.matches(name))
}

/// The catalog entry a server name belongs to, with the cloud the name is
/// from.
pub(crate) fn classify_cloud(name: &str) -> Option<(&'static Endpoint, Cloud)> {
    CATALOG
        .iter()
        .find_map(|e| e.cloud_of(name).map(|c| (e, c)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_any_depth_below_but_not_the_parent() {
        assert!(matches(
            "*.blob.core.windows.net",
            "cache1.blob.core.windows.net"
        ));
        assert!(matches(
            "*.blob.core.windows.net",
            "CACHE1.Blob.Core.Windows.Net."
        ));
        assert!(matches(
            "*.blob.core.windows.net",
            "a.b.blob.core.windows.net"
        ));
        assert!(!matches("*.blob.core.windows.net", "blob.core.windows.net"));
        assert!(!matches(
            "*.blob.core.windows.net",
            "evilblob.core.windows.net"
        ));
        assert!(!matches(
            "*.blob.core.windows.net",
            "cache1.blob.core.windows.net.evil.com"
        ));
        assert!(matches(
            "login.microsoftonline.com",
            "login.microsoftonline.com."
        ));
        assert!(!matches(
            "login.microsoftonline.com",
            "xlogin.microsoftonline.com"
        ));
    }

    #[test]
    fn names_are_classified() {
        assert_eq!(
            classify("asrcache1.blob.core.windows.net").unwrap().id,
            EndpointId::CacheStorage
        );
        assert_eq!(
            classify("pod01-srs1.eus.hypervrecoverymanager.windowsazure.com")
                .unwrap()
                .id,
            EndpointId::SiteRecovery
        );
        assert_eq!(
            classify("asrmon-eus.servicebus.windows.net").unwrap().id,
            EndpointId::Monitoring
        );
        assert_eq!(
            classify("myvault.vault.azure.net").unwrap().id,
            EndpointId::KeyVault
        );
        assert_eq!(
            classify("eus.agentsvc.automation.ext.azure.com")
                .unwrap()
                .id,
            EndpointId::Automation
        );
        assert_eq!(
            classify("eus-agentsvc.automation.ext.azure.com")
                .unwrap()
                .id,
            EndpointId::Automation
        );
        assert!(classify("www.example.com").is_none());
        let (e, c) = classify_cloud("asrcache1.blob.core.usgovcloudapi.net").unwrap();
        assert_eq!((e.id, c), (EndpointId::CacheStorage, Cloud::Usgov));
        assert_eq!(e.in_cloud(c).pattern, "*.blob.core.usgovcloudapi.net");
        let (e, c) = classify_cloud("login.chinacloudapi.cn").unwrap();
        assert_eq!((e.id, c), (EndpointId::AzureAd, Cloud::China));
        assert_eq!(
            classify_cloud("pod01-srs1.usgv.hypervrecoverymanager.windowsazure.us")
                .unwrap()
                .1,
            Cloud::Usgov
        );
        assert_eq!(
            classify("1234567890-asr-pod01-rcm1.eus.siterecovery.windowsazure.com")
                .unwrap()
                .id,
            EndpointId::SiteRecovery
        );
        // A China vault behind its private endpoint, named as Azure China's
        // page names it.
        let (e, c) =
            classify_cloud("3216540987123456789-asr-pod01-rcm1.sha.siterecovery.windowsazure.cn")
                .unwrap();
        assert_eq!((e.id, c), (EndpointId::SiteRecovery, Cloud::China));
        assert!(classify("siterecovery.windowsazure.cn").is_none());
        assert_eq!(
            TagRule::SourceRegion("Storage").required(Some("EastUS"), None),
            RequiredTag::Tag(TagName::new("storage.eastus"))
        );
        assert_eq!(
            TagRule::SourceRegion("Storage").tag_for("EastUS", "CentralUS"),
            TagName::new("Storage.EastUS")
        );
        // A region not known yet is not a tag: it is said as a placeholder.
        let unknown = TagRule::TargetRegion("EventHub").required(None, None);
        assert_eq!(
            unknown,
            RequiredTag::RegionUnknown {
                family: "EventHub",
                region: RegionRole::Target
            }
        );
        assert_eq!(unknown.tag(), None);
        assert_eq!(unknown.to_string(), "EventHub.<target>");
    }

    #[test]
    fn azure_china_names_storage_and_eventhub_without_a_region() {
        let china: Vec<Endpoint> = CATALOG.iter().map(|e| e.in_cloud(Cloud::China)).collect();
        let tag = |id| {
            china
                .iter()
                .find(|e| e.id == id)
                .unwrap()
                .tag
                .tag_for("ChinaNorth3", "ChinaEast3")
        };
        assert_eq!(tag(EndpointId::CacheStorage), TagName::new("Storage"));
        assert_eq!(tag(EndpointId::Monitoring), TagName::new("EventHub"));
        assert_eq!(
            tag(EndpointId::SiteRecovery),
            TagName::new("AzureSiteRecovery")
        );
        // The other clouds keep the regional tags.
        let gov = CATALOG[0].in_cloud(Cloud::Usgov);
        assert_eq!(
            gov.tag.tag_for("USGovVirginia", "USGovTexas"),
            TagName::new("Storage.USGovVirginia")
        );
    }

    #[test]
    fn the_government_com_site_recovery_url_is_a_known_doc_error() {
        let sr = CATALOG
            .iter()
            .find(|e| e.id == EndpointId::SiteRecovery)
            .unwrap();
        let gov = sr.in_cloud(Cloud::Usgov);
        assert_eq!(gov.pattern, "*.hypervrecoverymanager.windowsazure.us");
        assert_eq!(gov.url_also, ["*.hypervrecoverymanager.windowsazure.com"]);
        assert_eq!(
            url_also_doc_error(Cloud::Usgov, EndpointId::SiteRecovery),
            Some(106_919)
        );
        assert_eq!(
            url_also_doc_error(Cloud::Public, EndpointId::SiteRecovery),
            None
        );
    }
}
