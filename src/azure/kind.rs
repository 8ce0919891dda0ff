//! What an export is, told by its shape: `--azure FILE` takes any export
//! asrscope reads (NSGs, routes, firewall policies, rule collection groups,
//! firewalls, IP groups, storage accounts) and hands it to its reader.
//!
//! The shape is told from the keys of the document's first levels (and a
//! resource's `type`), read in one pass that builds nothing: an export of
//! 700,000 routes is not held as one value to be told a route export.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

pub use crate::model::ExportKind;

/// Every kind, in the order shapes are told apart: the most particular keys
/// first.
pub const ALL: [ExportKind; 15] = [
    ExportKind::StorageAccount,
    ExportKind::Nsg,
    ExportKind::Nic,
    ExportKind::Vnet,
    ExportKind::EndpointPolicy,
    ExportKind::Subnet,
    ExportKind::AdminRules,
    ExportKind::RuleCollectionGroups,
    ExportKind::Firewall,
    ExportKind::FirewallPolicy,
    ExportKind::Routes,
    ExportKind::IpGroup,
    ExportKind::PrivateDnsLinks,
    ExportKind::PrivateDnsRecords,
    ExportKind::PrivateDnsZone,
];

/// The keys that make an object this kind of export (in the object, or in
/// its `properties`), and its REST resource type.
fn marks(kind: ExportKind) -> (&'static [&'static str], &'static str) {
    match kind {
        ExportKind::Nsg => (
            &[
                "effectiveSecurityRules",
                "securityRules",
                "defaultSecurityRules",
            ],
            "Microsoft.Network/networkSecurityGroups",
        ),
        ExportKind::RuleCollectionGroups => (
            &["ruleCollections"],
            "Microsoft.Network/FirewallPolicies/ruleCollectionGroups",
        ),
        ExportKind::Firewall => (
            &[
                "ipConfigurations",
                "hubIPAddresses",
                "applicationRuleCollections",
                "networkRuleCollections",
                "natRuleCollections",
                "firewallPolicy",
            ],
            "Microsoft.Network/azureFirewalls",
        ),
        ExportKind::FirewallPolicy => (
            &[
                "ruleCollectionGroups",
                "basePolicy",
                "threatIntelWhitelist",
                "dnsSettings",
                "childPolicies",
                "transportSecurity",
            ],
            "Microsoft.Network/firewallPolicies",
        ),
        ExportKind::Routes => (&["routes", "nextHopType"], "Microsoft.Network/routeTables"),
        ExportKind::IpGroup => (&["ipAddresses"], "Microsoft.Network/ipGroups"),
        ExportKind::StorageAccount => (
            &["networkRuleSet", "networkAcls", "primaryEndpoints"],
            "Microsoft.Storage/storageAccounts",
        ),
        ExportKind::PrivateDnsLinks => (
            &["virtualNetworkLinkState", "registrationEnabled"],
            "Microsoft.Network/privateDnsZones/virtualNetworkLinks",
        ),
        ExportKind::PrivateDnsRecords => (&["aRecords"], "Microsoft.Network/privateDnsZones/A"),
        ExportKind::PrivateDnsZone => (
            &["numberOfVirtualNetworkLinks", "numberOfRecordSets"],
            "Microsoft.Network/privateDnsZones",
        ),
        // A NIC has `ipConfigurations` (a firewall's mark) and `dnsSettings`
        // (a firewall policy's): it is told before them by keys only NICs have.
        ExportKind::Nic => (
            &[
                "macAddress",
                "enableAcceleratedNetworking",
                "nicType",
                "enableIPForwarding",
                "virtualMachine",
            ],
            "Microsoft.Network/networkInterfaces",
        ),
        // A policy lists its subnets, which may hold a subnet's marks: it is
        // told before them.
        ExportKind::EndpointPolicy => (
            &["serviceEndpointPolicyDefinitions"],
            "Microsoft.Network/serviceEndpointPolicies",
        ),
        // A virtual network holds its subnets: it is told before them.
        ExportKind::Vnet => (
            &["addressSpace", "dhcpOptions", "virtualNetworkPeerings"],
            "Microsoft.Network/virtualNetworks",
        ),
        // A subnet has `routeTable` and may have `ipConfigurations`; a route's
        // `addressPrefix` is no subnet's mark (see [`of`]).
        ExportKind::Subnet => (
            &[
                "defaultOutboundAccess",
                "privateEndpointNetworkPolicies",
                "privateLinkServiceNetworkPolicies",
                "serviceEndpoints",
                "serviceEndpointPolicies",
                "natGateway",
            ],
            "Microsoft.Network/virtualNetworks/subnets",
        ),
        // The effective rules carry no `type`; the keys of their collection
        // and configuration are theirs alone.
        ExportKind::AdminRules => (
            &[
                "ruleCollectionAppliesToGroups",
                "ruleCollectionDescription",
                "configurationDescription",
                "ruleGroups",
            ],
            "Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections/rules",
        ),
    }
}

/// The kind an object with these keys (and REST `type`) is, when one.
pub fn of(has: impl Fn(&str) -> bool, resource_type: Option<&str>) -> Option<ExportKind> {
    if let Some(t) = resource_type
        && let Some(k) = ALL
            .into_iter()
            .find(|k| marks(*k).1.eq_ignore_ascii_case(t))
    {
        return Some(k);
    }
    ALL.into_iter()
        .find(|k| marks(*k).0.iter().any(|m| has(m)))
        .or_else(|| bare_subnet(has))
}

/// A subnet with nothing but its prefix (Microsoft's `SubnetGet.json`
/// example): an address prefix, and no route's next hop.
fn bare_subnet(has: impl Fn(&str) -> bool) -> Option<ExportKind> {
    ((has("addressPrefix") || has("addressPrefixes")) && !has("nextHopType"))
        .then_some(ExportKind::Subnet)
}

/// How deep keys are looked at: `value[].properties.ruleCollections` is
/// at depth 4.
const DEPTH: usize = 4;

/// Most distinct keys noted: a real export has a few dozen.
const MAX_KEYS: usize = 4096;

/// What the first levels of a document hold.
#[derive(Default)]
struct Seen {
    keys: HashSet<String>,
    types: Vec<String>,
}

/// Tells an export's kind from its first levels. The text must already be
/// strict JSON (see [`crate::azure::json::check`]); `None` when it is no
/// kind asrscope reads, or not JSON.
pub fn sniff(text: &str) -> Option<ExportKind> {
    let mut seen = Seen::default();
    let mut de = serde_json::Deserializer::from_str(text);
    Walk {
        seen: &mut seen,
        depth: 0,
        key: None,
    }
    .deserialize(&mut de)
    .ok()?;
    let types = &seen.types;
    let typed = |k: &ExportKind| types.iter().any(|x| x.eq_ignore_ascii_case(marks(*k).1));
    // A resource type names the kind outright; else the keys do.
    ALL.into_iter()
        .find(typed)
        .or_else(|| of(|k| seen.keys.contains(k), None))
}

/// Walks a document, noting keys down to [`DEPTH`] and the values of
/// `type` keys near the top; builds nothing.
struct Walk<'s> {
    seen: &'s mut Seen,
    depth: usize,
    /// The key this value is under.
    key: Option<String>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(), E> {
        if self.key.as_deref() == Some("type") && self.depth <= 3 && self.seen.types.len() < 64 {
            self.seen.types.push(s.to_string());
        }
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let depth = self.depth + 1;
        if depth > DEPTH {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            return Ok(());
        }
        while seq
            .next_element_seed(Walk {
                seen: &mut *self.seen,
                depth,
                key: None,
            })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let depth = self.depth + 1;
        while let Some(key) = map.next_key::<String>()? {
            if depth > DEPTH {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            if self.seen.keys.len() < MAX_KEYS {
                self.seen.keys.insert(key.clone());
            }
            map.next_value_seed(Walk {
                seen: &mut *self.seen,
                depth,
                key: Some(key),
            })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shapes and the kind each is told as.
    const CASES: &[(&str, Option<ExportKind>)] = &[
        (
            r#"{"value": [{"effectiveSecurityRules": []}]}"#,
            Some(ExportKind::Nsg),
        ),
        (
            r#"{"name": "n", "securityRules": []}"#,
            Some(ExportKind::Nsg),
        ),
        (
            r#"{"properties": {"routes": []}}"#,
            Some(ExportKind::Routes),
        ),
        (
            r#"{"value": [{"addressPrefix": ["0.0.0.0/0"], "nextHopType": "Internet"}]}"#,
            Some(ExportKind::Routes),
        ),
        (
            r#"[{"name": "g", "priority": 100, "ruleCollections": []}]"#,
            Some(ExportKind::RuleCollectionGroups),
        ),
        (
            r#"{"value": [{"properties": {"priority": 1, "ruleCollections": []}}]}"#,
            Some(ExportKind::RuleCollectionGroups),
        ),
        (
            r#"{"properties": {"threatIntelMode": "Alert", "ruleCollectionGroups": []}}"#,
            Some(ExportKind::FirewallPolicy),
        ),
        (
            r#"{"type": "Microsoft.Network/firewallPolicies", "properties": {}}"#,
            Some(ExportKind::FirewallPolicy),
        ),
        (
            r#"{"ipConfigurations": [], "threatIntelMode": "Alert"}"#,
            Some(ExportKind::Firewall),
        ),
        (
            r#"{"properties": {"ipAddresses": ["10.0.0.0/8"]}}"#,
            Some(ExportKind::IpGroup),
        ),
        (
            r#"{"type": "Microsoft.Storage/storageAccounts", "name": "c", "networkRuleSet": {}}"#,
            Some(ExportKind::StorageAccount),
        ),
        (
            r#"[{"name": "c", "networkRuleSet": {"defaultAction": "Deny"}, "dnsEndpointType": "Standard"}]"#,
            Some(ExportKind::StorageAccount),
        ),
        (
            r#"{"properties": {"networkAcls": {"bypass": "AzureServices"}}}"#,
            Some(ExportKind::StorageAccount),
        ),
        (
            r#"[{"name": "l", "registrationEnabled": false, "virtualNetwork": {"id": "/v"}}]"#,
            Some(ExportKind::PrivateDnsLinks),
        ),
        (
            r#"{"value": [{"type": "Microsoft.Network/privateDnsZones/virtualNetworkLinks", "properties": {}}]}"#,
            Some(ExportKind::PrivateDnsLinks),
        ),
        (
            r#"[{"name": "a", "aRecords": [{"ipv4Address": "10.0.0.5"}]}]"#,
            Some(ExportKind::PrivateDnsRecords),
        ),
        (
            r#"{"type": "Microsoft.Network/privateDnsZones", "properties": {}}"#,
            Some(ExportKind::PrivateDnsZone),
        ),
        (
            r#"{"name": "z", "numberOfVirtualNetworkLinks": 0}"#,
            Some(ExportKind::PrivateDnsZone),
        ),
        // A NIC has a firewall's `ipConfigurations` and a policy's
        // `dnsSettings`.
        (
            r#"{"ipConfigurations": [], "dnsSettings": {}, "macAddress": "00-0D-3A-1B-C7-21"}"#,
            Some(ExportKind::Nic),
        ),
        (
            r#"{"type": "Microsoft.Network/networkInterfaces", "properties": {"ipConfigurations": []}}"#,
            Some(ExportKind::Nic),
        ),
        // A subnet's `routeTable` and the NICs' `ipConfigurations` it holds.
        (
            r#"{"routeTable": {"id": "x"}, "ipConfigurations": [{"id": "y"}], "privateEndpointNetworkPolicies": "Disabled"}"#,
            Some(ExportKind::Subnet),
        ),
        (
            r#"{"id": "s", "properties": {"addressPrefix": "10.0.0.0/16"}}"#,
            Some(ExportKind::Subnet),
        ),
        (
            r#"[{"type": "Microsoft.Network/virtualNetworks/subnets", "routeTable": {"id": "x", "routes": []}}]"#,
            Some(ExportKind::Subnet),
        ),
        // A virtual network, its subnets' types and marks within.
        (
            r#"{"type": "Microsoft.Network/virtualNetworks", "subnets": [{"type": "Microsoft.Network/virtualNetworks/subnets", "defaultOutboundAccess": false}]}"#,
            Some(ExportKind::Vnet),
        ),
        (
            r#"{"properties": {"addressSpace": {}, "subnets": [{"properties": {"ipConfigurations": []}}]}}"#,
            Some(ExportKind::Vnet),
        ),
        (
            r#"{"value": [{"kind": "Custom", "ruleCollectionAppliesToGroups": [], "access": "Deny"}], "skipToken": "t"}"#,
            Some(ExportKind::AdminRules),
        ),
        (
            r#"[{"id": "/x/rules/r", "configurationDescription": "c", "properties": {"priority": 1}}]"#,
            Some(ExportKind::AdminRules),
        ),
        (
            r#"{"type": "Microsoft.Network/networkManagers/securityAdminConfigurations/ruleCollections/rules", "properties": {"access": "Deny"}}"#,
            Some(ExportKind::AdminRules),
        ),
        (
            r#"{"serviceEndpointPolicyDefinitions": [], "subnets": [{"id": "s", "serviceEndpointPolicies": []}]}"#,
            Some(ExportKind::EndpointPolicy),
        ),
        (r#"{"something": "else"}"#, None),
        (r#"[1, 2, 3]"#, None),
        (r#""text""#, None),
    ];

    #[test]
    fn shapes_tell_their_kind() {
        for &(text, want) in CASES {
            assert_eq!(sniff(text), want, "{text}");
        }
    }

    #[test]
    fn deep_keys_do_not_count() {
        // `routes` five levels down is not a route table.
        let text = r#"{"a": {"b": {"c": {"d": {"routes": []}}}}}"#;
        assert_eq!(sniff(text), None);
    }
}
