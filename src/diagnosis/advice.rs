//! Which fix applies: the decisions behind the advice. A fix is a typed
//! value ([`Fix`]); `render::advice` is the one place it becomes a sentence
//! and an `az` command.

use crate::azure::endpoints::Endpoint;
use crate::azure::nsg::Nsgs;
use crate::model::{
    EndpointId, FirewallVerdict, Fix, NextHop, NsgOutcome, NsgVerdict, PastTheNsg, RequiredTag,
    RouteVerdict, ServiceEndpointWhy, StorageDecision, StorageDeny, StorageNote, StorageUnknown,
    StorageVerdict,
};

/// The resource group of a resource, from its id.
pub(crate) fn resource_group(id: Option<&str>) -> Option<String> {
    let id = crate::azure::placement::ResourceId::new(id?);
    id.resource_group().map(str::to_string)
}

/// The VM's subnet as the exports name it: the placement exports' (the
/// NIC's subnet, or the one subnet given), else the one subnet the NSG
/// exports are applied to, when they name only one.
fn vm_subnet(network: &crate::azure::Network) -> Option<crate::model::SubnetRef> {
    use crate::azure::placement::ResourceId;
    let from_nsgs = || {
        let mut ids = network
            .nsgs
            .list()
            .iter()
            .filter_map(|n| n.subnet.as_deref())
            .map(ResourceId::new);
        let first = ids.next()?;
        ids.all(|i| i == first).then_some(first)
    };
    let id = network.placement.vm_subnet_id().or_else(from_nsgs)?;
    Some(crate::model::SubnetRef {
        resource_group: id.resource_group()?.to_string(),
        vnet: id.segment("virtualNetworks")?.to_string(),
        subnet: id.segment("subnets")?.to_string(),
    })
}

/// A resource the exports name, from its id.
fn named(id: &crate::azure::placement::ResourceId) -> Option<crate::model::Named> {
    Some(crate::model::Named {
        resource_group: id.resource_group()?.to_string(),
        name: id.name().to_string(),
    })
}

/// The VM's network interface: the placement exports' (`az network nic
/// show`), else (with `nsgs_too`) the one the NSG exports are applied to.
fn vm_nic(network: &crate::azure::Network, nsgs_too: bool) -> Option<crate::model::Named> {
    use crate::azure::placement::ResourceId;
    let from_nsgs = || {
        let mut ids = network
            .nsgs
            .list()
            .iter()
            .filter_map(|n| n.nic.as_deref())
            .map(ResourceId::new);
        let first = ids.next()?;
        ids.all(|i| i == first).then_some(first)
    };
    let placed = network.placement.nic.as_ref().map(|n| n.id.clone());
    let id = if nsgs_too {
        placed.or_else(from_nsgs)
    } else {
        placed
    }?;
    named(&id)
}

/// Fills in the fixes what the exports tell of the VM's place: its subnet
/// (for a Storage service endpoint), virtual network (for the export of
/// the admin rules) and network interface (for the exports asked again).
/// What they do not tell stays a placeholder.
pub(crate) fn name_places(fixes: &mut [Fix], network: &crate::azure::Network) {
    let subnet = vm_subnet(network);
    let nic = vm_nic(network, true);
    let vnet = subnet.as_ref().map(|s| crate::model::Named {
        resource_group: s.resource_group.clone(),
        name: s.vnet.clone(),
    });
    for f in fixes {
        match f {
            Fix::StorageServiceEndpoint { subnet: s, .. } => s.clone_from(&subnet),
            Fix::NetworkManagerRules { vnet: v, .. } => v.clone_from(&vnet),
            Fix::ExportEffectiveRules { nic: n }
            | Fix::ExportWhole { nic: n }
            | Fix::ExportSubnet { nic: n } => n.clone_from(&nic),
            Fix::ExportAgain { nic: n, .. } => *n = vm_nic(network, false),
            _ => {}
        }
    }
}

/// The generic NSG rule that allows an endpoint's tag.
pub(super) fn nsg_fix(tag: &RequiredTag) -> Fix {
    Fix::NsgAllowRule { tag: tag.clone() }
}

/// The URL a filtering firewall or proxy must allow.
pub(super) fn url_fix(e: &Endpoint) -> Fix {
    Fix::AllowUrl {
        pattern: e.pattern.to_string(),
        also: e.url_also.iter().map(|u| u.to_string()).collect(),
        cache_accounts: e.id == EndpointId::CacheStorage,
    }
}

/// For the cache account, a refusal right at the hello can also be the
/// storage account's own firewall (its HTTP 403 is inside TLS, but the reset
/// or silence is not): one more cause to check.
pub(super) fn with_storage_firewall(e: &Endpoint, mut fix: Vec<Fix>) -> Vec<Fix> {
    if e.id == EndpointId::CacheStorage {
        fix.push(Fix::StorageFirewall { may_refuse: true });
    }
    fix
}

/// The fix for a deny: an allow rule at a free priority before it, or, when
/// no allow rule can come before it, the deny itself to change.
pub(crate) fn beat_deny(n: &NsgVerdict, nsgs: &Nsgs, tag: &RequiredTag) -> Option<Fix> {
    let step = n.steps.iter().find(|s| s.outcome == NsgOutcome::Deny)?;
    let (rule, priority) = (step.rule.clone()?, step.priority?);
    let nsg = nsgs.get(step.nsg_index);
    let free = nsg.and_then(|nsg| nsg.free_priority_below(priority));
    Some(match free {
        Some(p) => Fix::NsgAllowBeforeDeny {
            tag: tag.clone(),
            nsg: step.nsg.clone(),
            priority: p,
            beats: (rule, priority),
            resource_group: nsg.and_then(|n| resource_group(n.id.as_deref())),
        },
        None => Fix::ChangeDenyRule {
            tag: tag.clone(),
            nsg: step.nsg.clone(),
            rule,
            priority,
        },
    })
}

/// The fix for an admin rule's deny: an admin Allow rule for the tag at a
/// free priority before it in the same configuration and collection, or,
/// when none is left, the deny itself to change (never removed).
pub(crate) fn admin_fix(
    deny: &crate::model::AdminRuleRef,
    rules: &crate::azure::admin::AdminRules,
    tag: &RequiredTag,
) -> Fix {
    let name = |s: &Option<String>| s.clone().unwrap_or_else(|| "<unknown>".into());
    let (manager, configuration, collection) = (
        name(&deny.manager),
        name(&deny.configuration),
        name(&deny.collection),
    );
    match rules.free_priority_below(
        deny.configuration.as_deref(),
        deny.collection.as_deref(),
        deny.priority,
    ) {
        Some(priority) => Fix::AdminAllowBeforeDeny {
            tag: tag.clone(),
            manager,
            configuration,
            collection,
            priority,
            beats: (deny.rule.clone(), deny.priority),
        },
        None => Fix::ChangeAdminDenyRule {
            tag: tag.clone(),
            manager,
            configuration,
            collection,
            rule: deny.rule.clone(),
            priority: deny.priority,
        },
    }
}

/// Where to look when every NSG allows a blocked flow, and the fixes that
/// go with the route it takes (never a route around the appliance).
pub(super) fn past_the_nsg(
    e: &Endpoint,
    tag: &RequiredTag,
    route: Option<&RouteVerdict>,
) -> (PastTheNsg, Vec<Fix>) {
    let Some(r) = route else {
        return (PastTheNsg::Path, Vec::new());
    };
    let storage = |why| {
        (e.id == EndpointId::CacheStorage)
            .then_some(Fix::StorageServiceEndpoint { why, subnet: None })
            .into_iter()
    };
    let address = r.next_hop_address().map(str::to_string);
    match r.next_hop() {
        _ if r.drops() => (PastTheNsg::Dropped, vec![correct_route(r, tag)]),
        h if h.is_appliance() => (
            PastTheNsg::Appliance {
                address: address.clone(),
            },
            std::iter::once(Fix::AllowUrlOnAppliance {
                pattern: e.pattern.to_string(),
                address,
            })
            .chain(storage(ServiceEndpointWhy::Appliance))
            .collect(),
        ),
        NextHop::VirtualNetworkGateway => (
            PastTheNsg::Gateway,
            std::iter::once(Fix::AllowUrlOnPremises {
                pattern: e.pattern.to_string(),
            })
            .chain(storage(ServiceEndpointWhy::ForcedTunnel))
            .collect(),
        ),
        _ => (PastTheNsg::Path, Vec::new()),
    }
}

/// The route to remove or correct.
pub(super) fn correct_route(r: &RouteVerdict, tag: &RequiredTag) -> Fix {
    let taken = r.route.as_ref();
    Fix::CorrectRoute {
        name: taken.and_then(|t| t.name.clone()),
        prefix: taken.map(|t| t.prefix.clone()),
        next_hop: r.next_hop().clone(),
        tag: tag.clone(),
    }
}

/// What to do when the NSG export cannot tell: the effective rules when an
/// `nsg show` export was given; the effective rules again, whole, when they
/// lack the default rules; else the portal's view of the rule.
pub(super) fn cannot_tell_fix(n: &NsgVerdict) -> Fix {
    use crate::model::NsgExport;
    let undecided = n.steps.iter().find(|s| {
        matches!(
            s.outcome,
            NsgOutcome::CannotTell | NsgOutcome::NoRuleMatched
        )
    });
    match undecided.map(|s| (s.outcome, s.export)) {
        Some((_, NsgExport::NsgShow)) => Fix::ExportEffectiveRules { nic: None },
        Some((NsgOutcome::NoRuleMatched, NsgExport::Effective)) => Fix::ExportWhole { nic: None },
        _ => Fix::CheckRuleInPortal,
    }
}

/// Pass the cloud's current service-tag file.
pub(crate) fn tags_file_fix(cloud: crate::model::Cloud) -> Fix {
    Fix::ServiceTagsFile {
        file: cloud.tag_file().to_string(),
        download: cloud.tag_download().to_string(),
    }
}

/// The rule that lets an endpoint through the firewall that denies it: an
/// application rule for its URLs on HTTPS 443 (a network rule for its tag
/// on TCP 443 when a network rule denies), from the VM's address (`source`,
/// when known), where it is processed before the deny; `None` when the
/// verdict does not deny or no place comes before the deny.
pub(crate) fn firewall_allow(
    v: &FirewallVerdict,
    fw: &crate::azure::firewall::Firewalls,
    e: &Endpoint,
    tag: &RequiredTag,
    source: Option<std::net::IpAddr>,
) -> Option<Fix> {
    let (place, rule) = fw.place_allow(v)?;
    let resource_group = resource_group(fw.id_of(&place));
    Some(Fix::FirewallAllow {
        resource_group,
        place,
        rule,
        fqdns: std::iter::once(e.pattern)
            .chain(e.url_also.iter().copied())
            .map(str::to_string)
            .collect(),
        tag: tag.clone(),
        source: source.map(|s| s.to_string()),
        beats: v.rule().filter(|_| v.allowed() == Some(false)).cloned(),
    })
}

/// The fixes for a firewall that denies or cannot tell: the rule to add
/// (replacing the generic "allow the URLs on the appliance"), or how to
/// tell; the Storage service endpoint stays, for the cache account.
pub(crate) fn firewall_fixes(
    v: &FirewallVerdict,
    fw: &crate::azure::firewall::Firewalls,
    e: &Endpoint,
    tag: &RequiredTag,
    source: Option<std::net::IpAddr>,
    fixes: &mut Vec<Fix>,
) {
    let generic = |x: &Fix| matches!(x, Fix::AllowUrlOnAppliance { .. });
    match (v.allowed(), &v.decision) {
        (Some(false), _) => {
            if let Some(f) = firewall_allow(v, fw, e, tag, source) {
                fixes.retain(|x| !generic(x));
                fixes.insert(0, f);
            }
        }
        (None, crate::model::FirewallDecision::CannotTell { why, .. }) => {
            let f = Fix::FirewallCannotTell { why: why.clone() };
            if !fixes.contains(&f) {
                fixes.insert(0, f);
            }
        }
        // The firewall allows it: nothing to allow on it.
        _ => fixes.retain(|x| !generic(x)),
    }
}

/// What to change on the cache account (or around it) for its verdict: the
/// one rule that lets the VM's subnet in, the service endpoint that makes
/// storage see the subnet, the private endpoint for a private account; and
/// for Site Recovery's requirements, trusted services (carrying `bypass`)
/// and shared key access. Never all networks where a subnet rule will do,
/// never public access turned on.
pub(crate) fn storage_fixes(v: &StorageVerdict) -> Vec<Fix> {
    let (account, resource_group) = (v.account.clone(), v.resource_group.clone());
    let vnet_rule = |subnet: &str| Fix::StorageVnetRule {
        account: account.clone(),
        resource_group: resource_group.clone(),
        subnet: subnet.to_string(),
    };
    let mut fixes = Vec::new();
    match &v.decision {
        StorageDecision::Denied(StorageDeny::NoRuleForSubnet { subnet }) => {
            fixes.push(vnet_rule(subnet));
        }
        StorageDecision::Denied(StorageDeny::NoServiceEndpoint {
            subnet,
            rule_exists,
        }) => {
            fixes.push(Fix::StorageSubnetEndpoint {
                subnet: subnet.clone(),
            });
            if !rule_exists {
                fixes.push(vnet_rule(subnet));
            }
        }
        StorageDecision::Denied(StorageDeny::NoRuleForFirewall) => {
            fixes.push(Fix::StorageFirewallSnat {
                account: account.clone(),
                resource_group: resource_group.clone(),
            });
        }
        StorageDecision::Denied(StorageDeny::PublicAccessDisabled)
        | StorageDecision::CannotTell(StorageUnknown::PrivateEndpointUnverified) => {
            fixes.push(Fix::StoragePrivateEndpoint {
                account: account.clone(),
            });
        }
        StorageDecision::Denied(StorageDeny::NoRuleForPublicAddress { .. })
        | StorageDecision::CannotTell(
            StorageUnknown::SourceUnknown { .. } | StorageUnknown::PublicAddressUnknown { .. },
        ) => fixes.push(Fix::ExportSubnet { nic: None }),
        StorageDecision::CannotTell(StorageUnknown::Perimeter) => {
            fixes.push(Fix::StoragePerimeter {
                account: account.clone(),
            });
        }
        StorageDecision::Allowed(_) => {}
    }
    for n in &v.notes {
        match n {
            StorageNote::TrustedServicesNotAllowed { bypass } => {
                fixes.push(Fix::StorageTrustedServices {
                    account: account.clone(),
                    resource_group: resource_group.clone(),
                    keep: bypass.clone(),
                });
            }
            StorageNote::SharedKeyOff => fixes.push(Fix::StorageSharedKey {
                account: account.clone(),
                resource_group: resource_group.clone(),
            }),
            _ => {}
        }
    }
    fixes
}
