//! The private DNS zones of Site Recovery's private endpoints ("Azure Private
//! Endpoint private DNS zone values", 2025-08-04): a name of an account or
//! vault with a private endpoint answers with a CNAME into its zone
//! (`cache1.blob.core.windows.net` → `cache1.privatelink.blob.core.windows.net`).
//! A VNet linked to the zone resolves that name to the endpoint's private
//! address; a VNet that is not (or a custom DNS server that does not forward
//! to Azure DNS) follows the public chain to a public address.

use crate::model::{Cloud, EndpointId};

/// One private DNS zone Site Recovery uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Zone {
    /// The cloud.
    pub cloud: Cloud,
    /// The endpoint whose names it holds.
    pub endpoint: EndpointId,
    /// The zone (`privatelink.blob.core.windows.net`).
    pub zone: &'static str,
    /// The public zone a custom DNS server forwards to Azure DNS
    /// (168.63.129.16) for it, as the DNS zone values page spells it
    /// (`{regionCode}` where the vault's region code goes).
    pub forwarder: &'static str,
}

/// The zones, per cloud. The global page has no row for Site Recovery in
/// Azure China; Azure China's own page ("Replicate machines with private
/// endpoints", mc-docs.zh-cn, 2021-02-01, an old copy) names the vault's
/// zone `privatelink.siterecovery.windowsazure.cn` and its names
/// `{Vault-ID}-asr-pod01-{type}-.{target-geo-code}.siterecovery.windowsazure.cn`.
pub(crate) const ZONES: &[Zone] = &[
    Zone {
        cloud: Cloud::Public,
        endpoint: EndpointId::CacheStorage,
        zone: "privatelink.blob.core.windows.net",
        forwarder: "blob.core.windows.net",
    },
    Zone {
        cloud: Cloud::Public,
        endpoint: EndpointId::SiteRecovery,
        zone: "privatelink.siterecovery.windowsazure.com",
        forwarder: "{regionCode}.siterecovery.windowsazure.com",
    },
    Zone {
        cloud: Cloud::Usgov,
        endpoint: EndpointId::CacheStorage,
        zone: "privatelink.blob.core.usgovcloudapi.net",
        forwarder: "blob.core.usgovcloudapi.net",
    },
    Zone {
        cloud: Cloud::Usgov,
        endpoint: EndpointId::SiteRecovery,
        zone: "privatelink.siterecovery.windowsazure.us",
        forwarder: "{regionCode}.siterecovery.windowsazure.us",
    },
    Zone {
        cloud: Cloud::China,
        endpoint: EndpointId::CacheStorage,
        zone: "privatelink.blob.core.chinacloudapi.cn",
        forwarder: "blob.core.chinacloudapi.cn",
    },
    Zone {
        cloud: Cloud::China,
        endpoint: EndpointId::SiteRecovery,
        zone: "privatelink.siterecovery.windowsazure.cn",
        forwarder: "siterecovery.windowsazure.cn",
    },
];

impl Zone {
    /// The public zone to forward for `link`, a record of this zone: the
    /// region code filled in from the label before the zone
    /// (`….eus.privatelink.siterecovery.windowsazure.com` → `eus.siterecovery.windowsazure.com`),
    /// or the documented form when the name has none.
    pub(crate) fn forwarder_for(&self, link: &str) -> String {
        let Some(rest) = self.forwarder.strip_prefix("{regionCode}.") else {
            return self.forwarder.to_string();
        };
        let link = link.trim_end_matches('.').to_ascii_lowercase();
        let code = link
            .strip_suffix(self.zone)
            .and_then(|l| l.strip_suffix('.'))
            .and_then(|l| l.rsplit('.').next().filter(|_| l.contains('.')))
            .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric()));
        match code {
            Some(c) => format!("{c}.{rest}"),
            None => self.forwarder.to_string(),
        }
    }
}

/// The zone a name is in (any case, trailing dot ignored): the name itself
/// is a record of the zone (`a.privatelink.blob.core.windows.net`, or the
/// vault's `….eus.privatelink.siterecovery.windowsazure.com`).
pub(crate) fn zone_of(name: &str) -> Option<&'static Zone> {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    ZONES.iter().find(|z| {
        name.strip_suffix(z.zone)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_the_zones() {
        let z = zone_of("asrcache1.privatelink.blob.core.windows.net").unwrap();
        assert_eq!(z.endpoint, EndpointId::CacheStorage);
        let z = zone_of(
            "3216540987123456789-asr-pod01-rcm1.eus.PRIVATELINK.siterecovery.windowsazure.com.",
        )
        .unwrap();
        assert_eq!(z.zone, "privatelink.siterecovery.windowsazure.com");
        assert_eq!(
            zone_of("x.privatelink.blob.core.usgovcloudapi.net")
                .unwrap()
                .cloud,
            Cloud::Usgov
        );
        let z = zone_of(
            "3216540987123456789-asr-pod01-rcm1.sha.privatelink.siterecovery.windowsazure.cn",
        )
        .unwrap();
        assert_eq!(
            (z.cloud, z.endpoint),
            (Cloud::China, EndpointId::SiteRecovery)
        );
        assert!(zone_of("asrcache1.blob.core.windows.net").is_none());
        // The vault's forwarder is per region code, filled in from the name.
        let z = zone_of("x-asr-pod01-rcm1.eus.privatelink.siterecovery.windowsazure.com").unwrap();
        assert_eq!(
            z.forwarder_for("x-asr-pod01-rcm1.eus.privatelink.siterecovery.windowsazure.com"),
            "eus.siterecovery.windowsazure.com"
        );
        assert_eq!(
            z.forwarder_for("privatelink.siterecovery.windowsazure.com"),
            "{regionCode}.siterecovery.windowsazure.com"
        );
        let z = zone_of("a.privatelink.blob.core.windows.net").unwrap();
        assert_eq!(
            z.forwarder_for("a.privatelink.blob.core.windows.net"),
            "blob.core.windows.net"
        );
        assert!(zone_of("evilprivatelink.blob.core.windows.net").is_none());
    }
}
