//! The JSON of the model types that pair typed values with what they mean
//! in words, or whose layout is not their shape: each serialises as an
//! object of the fields scripts read (README "JSON"), the sentences
//! rendered here while serialising. The other model types derive their
//! JSON where they are declared.

use super::{admin, capture, check, finding, firewall, network, private_dns, reason, storage};
use crate::model::{
    AdminVerdict, CaptureDamage, CaptureEnd, Cause, Cloud, ConfigCheck, ConfigRequirement,
    ConfigStatus, DnsVerdict, EndpointBy, EndpointId, Finding, FindingKind, FirewallPass,
    FirewallVerdict, Fix, FlowVerdict, Need, NextHop, NsgStep, NsgVerdict, Region, RequiredTag,
    Requirement, RouteVerdict, Severity, SnapshotMeta, SourceOutcome, Status, StorageVerdict,
    TagName, Verdict,
};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

impl Serialize for FlowVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The endpoint's fields flat (null for a flow of no endpoint),
        /// the reason in words before the cause.
        #[derive(Serialize)]
        struct Json<'a> {
            endpoint_id: Option<EndpointId>,
            endpoint: Option<&'static str>,
            endpoint_by: Option<EndpointBy>,
            cloud: Option<Cloud>,
            required_tag: Option<&'a RequiredTag>,
            service_tag: &'a Option<TagName>,
            service_region: &'a Option<String>,
            platform: Option<&'static str>,
            ca_service: Option<crate::model::CaService>,
            verdict: Verdict,
            reason: String,
            cause: &'a Cause,
            private_endpoint: bool,
            nsg: &'a Option<NsgVerdict>,
            route: &'a Option<RouteVerdict>,
            firewall: &'a Option<FirewallVerdict>,
            storage: &'a Option<StorageVerdict>,
            dns: &'a Option<DnsVerdict>,
            admin: &'a Option<AdminVerdict>,
            outbound: &'a Option<crate::model::OutboundVerdict>,
            endpoint_policy: &'a Option<crate::model::EndpointPolicyVerdict>,
        }
        let e = self.endpoint.as_ref();
        Json {
            endpoint_id: e.map(|e| e.id),
            endpoint: e.map(|e| e.pattern),
            endpoint_by: e.map(|e| e.by),
            cloud: e.map(|e| e.cloud),
            required_tag: e.map(|e| &e.required_tag),
            service_tag: &self.service_tag,
            service_region: &self.service_region,
            platform: self.platform,
            ca_service: self.ca_service,
            verdict: self.verdict,
            reason: reason::flow(self),
            cause: &self.cause,
            private_endpoint: self.private_endpoint(),
            nsg: &self.nsg,
            route: &self.route,
            firewall: &self.firewall,
            storage: &self.storage,
            dns: &self.dns,
            admin: &self.admin,
            outbound: &self.outbound,
            endpoint_policy: &self.endpoint_policy,
        }
        .serialize(s)
    }
}

impl Serialize for Requirement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The requirement, its cause in words (`evidence`, empty when not
        /// seen) before the cause.
        #[derive(Serialize)]
        struct Json<'a> {
            id: EndpointId,
            endpoint: &'static str,
            tag: &'a RequiredTag,
            purpose: &'static str,
            need: Need,
            status: Status,
            flows: u64,
            verdicts: &'a BTreeMap<&'static str, u64>,
            evidence: String,
            cause: &'a Option<Cause>,
            nsg: &'a Option<NsgVerdict>,
            route: &'a Option<RouteVerdict>,
            firewall: &'a Option<FirewallVerdict>,
            storage: &'a Option<StorageVerdict>,
            dns: &'a Option<DnsVerdict>,
            admin: &'a Option<AdminVerdict>,
            outbound: &'a Option<crate::model::OutboundVerdict>,
            endpoint_policy: &'a Option<crate::model::EndpointPolicyVerdict>,
            #[serde(serialize_with = "crate::model::ts_opt")]
            last_seen: Option<i64>,
            sources: &'a [SourceOutcome],
            sources_left_off: u64,
        }
        Json {
            id: self.id,
            endpoint: self.endpoint,
            tag: &self.tag,
            purpose: self.purpose,
            need: self.need,
            status: self.status,
            flows: self.flows,
            verdicts: &self.verdicts,
            evidence: self.cause.as_ref().map(reason::cause).unwrap_or_default(),
            cause: &self.cause,
            nsg: &self.nsg,
            route: &self.route,
            firewall: &self.firewall,
            storage: &self.storage,
            dns: &self.dns,
            admin: &self.admin,
            outbound: &self.outbound,
            endpoint_policy: &self.endpoint_policy,
            last_seen: self.last_seen,
            sources: &self.sources,
            sources_left_off: self.sources_left_off,
        }
        .serialize(s)
    }
}

impl Serialize for NsgVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// `allowed` and the deciding NSG's `nsg`, `rule` and `priority`,
        /// then the steps, the network manager and the notes.
        #[derive(Serialize)]
        struct Json<'a> {
            allowed: Option<bool>,
            nsg: Option<&'a str>,
            rule: Option<&'a str>,
            priority: Option<u32>,
            steps: &'a [NsgStep],
            network_manager: &'a Option<String>,
            notes: Vec<String>,
        }
        let d = self.deciding();
        Json {
            allowed: self.allowed(),
            nsg: d.map(|d| d.nsg.as_str()),
            rule: d.and_then(|d| d.rule.as_deref()),
            priority: d.and_then(|d| d.priority),
            steps: &self.steps,
            network_manager: &self.network_manager,
            notes: network::nsg_notes(self),
        }
        .serialize(s)
    }
}

impl Serialize for RouteVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The route taken, flat; `-`, `None` and `no route` when no route
        /// holds the destination.
        #[derive(Serialize)]
        struct Json<'a> {
            prefix: String,
            name: Option<&'a str>,
            next_hop: &'a crate::model::NextHop,
            next_hop_address: Option<&'a str>,
            source: &'a str,
            assumed: bool,
            notes: Vec<String>,
        }
        let r = self.route.as_ref();
        Json {
            prefix: network::route_prefix(self),
            name: r.and_then(|r| r.name.as_deref()),
            next_hop: self.next_hop(),
            next_hop_address: self.next_hop_address(),
            source: network::route_source(self),
            assumed: r.is_some_and(|r| r.origin == crate::model::RouteOrigin::Assumed),
            notes: network::route_notes(self),
        }
        .serialize(s)
    }
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// What it is about, then the title, evidence and fixes in words
        /// beside the fixes as values.
        #[derive(Serialize)]
        struct Json<'a> {
            about: &'a FindingKind,
            severity: Severity,
            asr: bool,
            title: String,
            endpoint: Option<EndpointId>,
            error_codes: &'a [&'static str],
            evidence: Vec<String>,
            fixes: &'a [Fix],
            fix: Vec<String>,
        }
        Json {
            about: &self.about,
            severity: self.severity,
            asr: self.asr(),
            title: finding::title(&self.title),
            endpoint: self.endpoint(),
            error_codes: &self.error_codes,
            evidence: finding::evidence_lines(self),
            fixes: &self.fixes,
            fix: super::fixes(&self.fixes),
        }
        .serialize(s)
    }
}

impl Serialize for ConfigRequirement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The requirement, its evidence in words, its fixes as values and
        /// then in words.
        #[derive(Serialize)]
        struct Json<'a> {
            id: EndpointId,
            endpoint: &'static str,
            tag: &'a RequiredTag,
            need: Need,
            status: ConfigStatus,
            prefixes: usize,
            allowed: usize,
            denied: usize,
            unknown: usize,
            admin: &'a Option<AdminVerdict>,
            nsg: &'a Option<NsgVerdict>,
            route: &'a Option<RouteVerdict>,
            firewall: &'a Option<FirewallVerdict>,
            storage: &'a Option<StorageVerdict>,
            dns: &'a Option<DnsVerdict>,
            outbound: &'a Option<crate::model::OutboundVerdict>,
            endpoint_policy: &'a Option<crate::model::EndpointPolicyVerdict>,
            next_hops: &'a [(NextHop, usize)],
            evidence: Vec<String>,
            fixes: &'a [Fix],
            fix: Vec<String>,
        }
        Json {
            id: self.id,
            endpoint: self.endpoint,
            tag: &self.tag,
            need: self.need,
            status: self.status,
            prefixes: self.prefixes,
            allowed: self.allowed,
            denied: self.denied,
            unknown: self.unknown,
            admin: &self.admin,
            nsg: &self.nsg,
            route: &self.route,
            firewall: &self.firewall,
            storage: &self.storage,
            dns: &self.dns,
            outbound: &self.outbound,
            endpoint_policy: &self.endpoint_policy,
            next_hops: &self.next_hops,
            evidence: check::evidence_lines(self),
            fixes: &self.fixes,
            fix: super::fixes(&self.fixes),
        }
        .serialize(s)
    }
}

impl Serialize for ConfigCheck {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The check, its notes in words.
        #[derive(Serialize)]
        struct Json<'a> {
            source_region: &'a Region,
            target_region: &'a Region,
            cloud: Cloud,
            service_tags: &'a SnapshotMeta,
            service_tags_age_days: Option<i64>,
            service_tags_stale: bool,
            notes: Vec<String>,
            nsgs: &'a [String],
            routes: usize,
            exports: &'a [crate::model::ExportRead],
            requirements: &'a [ConfigRequirement],
            platform: Vec<PlatformJson<'a>>,
            ok: bool,
        }
        /// A platform service's check, its fixes in words beside them.
        #[derive(Serialize)]
        struct PlatformJson<'a> {
            #[serde(flatten)]
            check: &'a crate::model::PlatformCheck,
            fix: Vec<String>,
        }
        Json {
            source_region: &self.source_region,
            target_region: &self.target_region,
            cloud: self.cloud,
            service_tags: &self.service_tags,
            service_tags_age_days: self.service_tags_age_days,
            service_tags_stale: self.service_tags_stale,
            notes: self.notes.iter().map(check::note).collect(),
            nsgs: &self.nsgs,
            routes: self.routes,
            exports: &self.exports,
            requirements: &self.requirements,
            platform: self
                .platform
                .iter()
                .map(|p| PlatformJson {
                    check: p,
                    fix: super::fixes(&p.fixes),
                })
                .collect(),
            ok: self.ok,
        }
        .serialize(s)
    }
}

impl Serialize for crate::model::requirements::RegionRequirements {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use crate::model::requirements::{
            CaHost, ChurnLimits, NsgRule, PairNote, PlatformNeed, PrivateEndpoints, UrlRule,
        };
        /// The requirements, the notes in words and as values.
        #[derive(Serialize)]
        struct Json<'a> {
            cloud: Cloud,
            source_region: &'a Region,
            target_region: &'a Region,
            urls: &'a [UrlRule],
            nsg_rules: &'a [NsgRule],
            platform: &'a [PlatformNeed],
            ca_hosts: &'a [CaHost],
            notes: Vec<String>,
            note_kinds: &'a [PairNote],
            private_endpoints: &'a PrivateEndpoints,
            churn_limits: &'a ChurnLimits,
        }
        Json {
            cloud: self.cloud,
            source_region: &self.source_region,
            target_region: &self.target_region,
            urls: &self.urls,
            nsg_rules: &self.nsg_rules,
            platform: self.platform,
            ca_hosts: &self.ca_hosts,
            notes: self.notes.iter().map(super::requirements::note).collect(),
            note_kinds: &self.notes,
            private_endpoints: &self.private_endpoints,
            churn_limits: &self.churn_limits,
        }
        .serialize(s)
    }
}

impl Serialize for CaptureEnd {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// `status`; for damage, the frames read before it, the damage in
        /// words (`message`) and as a value (`damage`).
        #[derive(Serialize)]
        #[serde(tag = "status", rename_all = "lowercase")]
        enum Json<'a> {
            Complete,
            Damaged {
                after_frame: u64,
                message: String,
                damage: &'a CaptureDamage,
            },
        }
        match self {
            CaptureEnd::Complete => Json::Complete,
            CaptureEnd::Damaged {
                after_frame,
                damage,
            } => Json::Damaged {
                after_frame: *after_frame,
                message: capture::damage(damage),
                damage,
            },
        }
        .serialize(s)
    }
}

impl Serialize for AdminVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// `allowed` (false on a deny, null when it cannot be told, true
        /// otherwise), the outcome, the rule that decided where it sits, why
        /// it cannot be told, the sentence and the notes.
        #[derive(Serialize)]
        struct Json<'a> {
            allowed: Option<bool>,
            outcome: crate::model::AdminOutcome,
            nsgs_consulted: bool,
            network_manager: Option<&'a str>,
            configuration: Option<&'a str>,
            rule_collection: Option<&'a str>,
            rule: Option<&'a str>,
            priority: Option<u32>,
            access: Option<crate::model::AdminAccess>,
            default_rule: Option<bool>,
            rules: usize,
            why: Option<String>,
            text: String,
            notes: Vec<String>,
        }
        let r = self.rule();
        let why = match &self.decision {
            crate::model::AdminDecision::CannotTell { why, .. } => Some(admin::unknown(why)),
            _ => None,
        };
        let outcome = self.outcome();
        Json {
            allowed: match outcome {
                crate::model::AdminOutcome::Deny => Some(false),
                crate::model::AdminOutcome::CannotTell => None,
                _ => Some(true),
            },
            outcome,
            nsgs_consulted: !self.ends_evaluation(),
            network_manager: r.and_then(|r| r.manager.as_deref()),
            configuration: r.and_then(|r| r.configuration.as_deref()),
            rule_collection: r.and_then(|r| r.collection.as_deref()),
            rule: r.map(|r| r.rule.as_str()),
            priority: r.map(|r| r.priority),
            access: r.map(|r| r.access),
            default_rule: r.map(|r| r.default_rule),
            rules: self.rules,
            why,
            text: admin::verdict_text(self),
            notes: admin::notes(self),
        }
        .serialize(s)
    }
}

impl Serialize for FirewallVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// `allowed` and the outcome, the firewall and policy, the rule
        /// that decided (or could not be evaluated) where it sits, why it
        /// cannot be told, and the notes.
        #[derive(Serialize)]
        struct Json<'a> {
            allowed: Option<bool>,
            outcome: &'static str,
            firewall: Option<&'a str>,
            address: Option<&'a str>,
            policy: Option<&'a str>,
            rule_policy: Option<&'a str>,
            rule_collection_group: Option<&'a str>,
            group_priority: Option<u32>,
            rule_collection: Option<&'a str>,
            priority: Option<u32>,
            rule: Option<&'a str>,
            pass: FirewallPass,
            why: Option<String>,
            text: String,
            notes: Vec<String>,
        }
        let r = self.rule();
        let why = match &self.decision {
            crate::model::FirewallDecision::CannotTell { why, .. } => Some(firewall::unknown(why)),
            _ => None,
        };
        Json {
            allowed: self.allowed(),
            outcome: firewall::outcome(self),
            firewall: self.firewall.as_deref(),
            address: self.address.as_deref(),
            policy: self.policy.as_deref(),
            rule_policy: r.and_then(|r| r.policy.as_deref()),
            rule_collection_group: r.and_then(|r| r.group.as_deref()),
            group_priority: r.and_then(|r| r.group_priority),
            rule_collection: r.map(|r| r.collection.as_str()),
            priority: r.and_then(|r| r.collection_priority),
            rule: r.map(|r| r.rule.as_str()),
            pass: r.map_or(FirewallPass::Default, |r| r.pass),
            why,
            text: firewall::verdict_text(self),
            notes: firewall::notes(self),
        }
        .serialize(s)
    }
}

impl Serialize for StorageVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// `allowed` and the outcome, the account, the source storage sees,
        /// the setting that decided, the sentence and the notes.
        #[derive(Serialize)]
        struct Json<'a> {
            allowed: Option<bool>,
            outcome: &'static str,
            account: &'a str,
            resource_group: Option<&'a str>,
            source: &'static str,
            subnet: Option<&'a str>,
            setting: String,
            requirement_missed: bool,
            text: String,
            notes: Vec<String>,
        }
        use crate::model::StorageSource as Src;
        let (source, subnet) = match &self.source {
            Src::PrivateEndpoint => ("private-endpoint", None),
            Src::Subnet {
                id,
                service_endpoint: true,
            } => ("subnet-service-endpoint", Some(id.as_str())),
            Src::Subnet {
                id,
                service_endpoint: false,
            } => ("subnet-public-address", Some(id.as_str())),
            Src::FirewallSnat { .. } => ("firewall-snat", None),
            Src::PublicAddress => ("public-address", None),
            Src::Unknown { subnet } => ("unknown", subnet.as_deref()),
        };
        Json {
            allowed: self.allowed(),
            outcome: storage::outcome(self),
            account: &self.account,
            resource_group: self.resource_group.as_deref(),
            source,
            subnet,
            setting: storage::setting(&self.decision),
            requirement_missed: self.notes.iter().any(crate::model::StorageNote::breaks),
            text: storage::verdict_text(self),
            notes: storage::notes(self),
        }
        .serialize(s)
    }
}

impl Serialize for DnsVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// `allowed` and the outcome, the zone and the setting that
        /// decided (the VM's virtual network, its link, the records
        /// missing), the DNS servers the VM asks, the text and the notes.
        #[derive(Serialize)]
        struct Json<'a> {
            allowed: Option<bool>,
            outcome: &'static str,
            zone: &'a str,
            zone_resource_group: Option<&'a str>,
            vnet: Option<&'a str>,
            link: Option<&'a str>,
            registration_enabled: Option<bool>,
            resolution_policy: Option<&'static str>,
            link_state: Option<&'a str>,
            links: usize,
            names: &'a [String],
            missing: &'a [String],
            dns_servers: &'static str,
            custom_dns_servers: Vec<String>,
            why: Option<&'static str>,
            text: String,
            notes: Vec<String>,
        }
        let link = self.link.as_ref();
        let (missing, why): (&[String], _) = match &self.decision {
            crate::model::DnsDecision::RecordMissing { names } => (names, None),
            crate::model::DnsDecision::CannotTell { why } => {
                (&[], Some(private_dns::unknown(*why)))
            }
            _ => (&[], None),
        };
        Json {
            allowed: self.allowed(),
            outcome: private_dns::outcome(self),
            zone: &self.zone,
            zone_resource_group: self.zone_group.as_deref(),
            vnet: self.vnet.as_deref(),
            link: link.map(|l| l.name.as_str()),
            registration_enabled: link.and_then(|l| l.registration),
            resolution_policy: link.and_then(|l| l.policy).map(|p| p.as_str()),
            link_state: link.and_then(|l| l.state.as_deref()),
            links: self.links,
            names: &self.names,
            missing,
            dns_servers: private_dns::servers_kind(&self.servers),
            custom_dns_servers: self
                .custom_servers()
                .unwrap_or_default()
                .iter()
                .map(ToString::to_string)
                .collect(),
            why,
            text: private_dns::verdict_text(self),
            notes: private_dns::notes(self),
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Title;

    /// The JSON's `fix[i]` says `fixes[i]`.
    #[test]
    fn a_findings_fixes_are_said_one_for_one() {
        let tag = RequiredTag::from(TagName::new("Storage.EastUS"));
        let f = Finding {
            about: FindingKind::ThroughAppliance,
            severity: Severity::Warning,
            title: Title::ThroughAppliance,
            error_codes: vec![],
            evidence: vec![],
            fixes: vec![Fix::MeasureUpload, Fix::NsgAllowRule { tag }],
        };
        let json = serde_json::to_value(&f).unwrap();
        assert_eq!(json["fix"].as_array().unwrap().len(), 2);
        for (i, fix) in f.fixes.iter().enumerate() {
            assert_eq!(json["fix"][i], crate::render::fix(fix));
            assert!(json["fixes"][i]["kind"].is_string());
        }
    }
}
