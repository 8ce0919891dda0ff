//! How NSGs treat traffic to Azure's platform services (IMDS at
//! 169.254.169.254, Azure-provided DNS at 168.63.129.16): "these services
//! aren't subject to the configured network security groups unless targeted
//! by service tags specific to each service … AzurePlatformDNS,
//! AzurePlatformIMDS, AzurePlatformLKM" (NSG overview, ms.date 07/15/2025).
//! Only an outbound rule that names the service's tag applies; `*`, the
//! default rules and address prefixes do not. The tags are not in the
//! service-tag file (they have no address prefixes), so rules are read by
//! the tag's name, in any case. A rule's source is not checked: the rule is
//! taken to apply to the VM.

use super::{Access, Direction, Nsg, Nsgs, Prefix, Protocol};
use crate::azure::platform::NEEDS;
use crate::model::AppliedTo;
use crate::model::requirements::PlatformNeed;

/// A platform service `check` judges against the NSGs: what `requirements`
/// says of it, the protocols it is reached by, the protocol an allow rule
/// names (`*` for both) and the port.
pub(crate) struct Checked {
    /// The service as `requirements` lists it (its address and tag).
    pub need: &'static PlatformNeed,
    /// The protocols it is reached by.
    pub protocols: &'static [Protocol],
    /// The protocol an allow rule for it names.
    pub rule_protocol: &'static str,
    /// Its port.
    pub port: u16,
}

/// IMDS on TCP 80 and Azure-provided DNS on UDP and TCP 53.
pub(crate) const CHECKED: [Checked; 2] = [
    Checked {
        need: &NEEDS[0],
        protocols: &[Protocol::Tcp],
        rule_protocol: "Tcp",
        port: 80,
    },
    Checked {
        need: &NEEDS[1],
        protocols: &[Protocol::Udp, Protocol::Tcp],
        rule_protocol: "*",
        port: 53,
    },
];

/// The outbound rule of one NSG that decides traffic to a platform
/// service's tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlatformRule<'a> {
    /// The NSG.
    pub nsg: &'a Nsg,
    /// The rule's name.
    pub rule: &'a str,
    /// Its priority.
    pub priority: u32,
    /// What it does.
    pub access: Access,
}

/// True when `rule` names `tag` among its destinations and covers the
/// protocol and port.
fn names_tag(rule: &super::Rule, tag: &str, protocol: Protocol, port: u16) -> bool {
    rule.direction == Direction::Outbound
        && (rule.protocol == Protocol::Any || rule.protocol == protocol)
        && rule.destination_ports.iter().any(|r| r.contains(port))
        && rule
            .destination_prefixes
            .iter()
            .any(|p| matches!(p, Prefix::Tag(t) if t.as_str().eq_ignore_ascii_case(tag)))
}

/// The first outbound rule, by priority, of each NSG that names `tag` for
/// the protocol and port: the NIC's NSGs first, then the subnet's, then
/// those whose place is unknown. The first deny decides; none, or only
/// allows, and the platform service is reached.
pub(crate) fn rules_for<'a>(
    nsgs: &'a Nsgs,
    tag: &str,
    protocol: Protocol,
    port: u16,
) -> Vec<PlatformRule<'a>> {
    let rank = |n: &Nsg| match n.applied_to {
        AppliedTo::Nic => 0,
        AppliedTo::Subnet => 1,
        AppliedTo::Unknown => 2,
    };
    let mut list: Vec<&Nsg> = nsgs.list().iter().collect();
    list.sort_by_key(|n| rank(n));
    list.into_iter()
        .filter_map(|n| {
            n.rules
                .iter()
                .filter(|r| names_tag(r, tag, protocol, port))
                .min_by_key(|r| r.priority)
                .map(|r| PlatformRule {
                    nsg: n,
                    rule: r.name.as_str(),
                    priority: r.priority,
                    access: r.access,
                })
        })
        .collect()
}
