//! How the firewall exports' answers read: the firewall and policy a flow
//! meets, the rule that allowed or denied it (or the default deny), why it
//! cannot be told, and the notes it rests on.

use super::network::tag_unknown;
use crate::model::{
    FirewallAction, FirewallDecision, FirewallNote, FirewallPass, FirewallRuleRef, FirewallUnknown,
    FirewallVerdict,
};

fn priority(p: Option<u32>) -> String {
    p.map_or_else(|| "-".to_string(), |p| p.to_string())
}

/// The rule type a pass evaluates: "network rule".
pub(crate) fn rule_type(pass: FirewallPass) -> &'static str {
    match pass {
        FirewallPass::Dnat => "DNAT rule",
        FirewallPass::Network => "network rule",
        FirewallPass::Application => "application rule",
        FirewallPass::Default => "rule",
    }
}

/// Where a rule sits: "policy fw-policy, rule collection group asr
/// (priority 200), collection allow-asr (priority 100), application rule
/// storage"; for a classic rule, "classic collection … rule …".
pub(crate) fn rule_text(r: &FirewallRuleRef) -> String {
    let mut out = String::new();
    if let Some(p) = &r.policy {
        out.push_str(&format!("policy {p}, "));
    }
    match &r.group {
        Some(g) => out.push_str(&format!(
            "rule collection group {g} (priority {}), collection {} (priority {}), ",
            priority(r.group_priority),
            r.collection,
            priority(r.collection_priority)
        )),
        None => out.push_str(&format!(
            "classic {} collection {} (priority {}), ",
            rule_type(r.pass).trim_end_matches(" rule"),
            r.collection,
            priority(r.collection_priority)
        )),
    }
    out.push_str(&format!("{} {}", rule_type(r.pass), r.rule));
    out
}

/// What an action does: "allows", "denies", "translates (DNAT)".
pub(crate) fn action_verb(a: FirewallAction) -> &'static str {
    match a {
        FirewallAction::Allow => "allows",
        FirewallAction::Deny => "denies",
        FirewallAction::Dnat => "translates (DNAT)",
    }
}

/// Why a verdict cannot be told.
pub(crate) fn unknown(why: &FirewallUnknown) -> String {
    match why {
        FirewallUnknown::FqdnTag { tag } => format!(
            "the rule names the FQDN tag {tag}, whose names Microsoft keeps and no export lists: check the firewall's logs or the portal"
        ),
        FirewallUnknown::WebCategory { category } => format!(
            "the rule names the web category {category}: which names are in it is Microsoft's classification, which no export holds"
        ),
        FirewallUnknown::TargetUrl { url } => format!(
            "the rule names the URL {url}: its path is matched inside TLS (inspection), which neither a capture nor an export shows"
        ),
        FirewallUnknown::IpGroupMissing { group } => format!(
            "the rule names the IP group {group}, whose export was not given (az network ip-group show)"
        ),
        FirewallUnknown::ParentPolicyMissing { parent } => format!(
            "the policy inherits from {parent}, whose export was not given: a parent's rule collection groups are processed first (az network firewall policy show --ids <basePolicy id>, and its rule collection groups)"
        ),
        FirewallUnknown::GroupsMissing { policy, missing } => format!(
            "policy {policy} has {} whose export was not given (az network firewall policy rule-collection-group list)",
            super::plural(*missing as u64, "rule collection group", "rule collection groups")
        ),
        FirewallUnknown::PolicyMissing { policy } => format!(
            "the firewall uses policy {policy}, whose export was not given (az network firewall policy show, and rule-collection-group list)"
        ),
        FirewallUnknown::RulesNotGiven { address } => format!(
            "the route leads to the appliance{}, whose rules were not given: its rules are unknown",
            address.as_deref().map(|a| format!(" at {a}")).unwrap_or_default()
        ),
        FirewallUnknown::WhichFirewall { candidates } => format!(
            "{candidates} firewalls or policies were given and no route says which one the traffic crosses (give --routes)"
        ),
        FirewallUnknown::NameUnknown => {
            "the rule matches on the name the client sends (TLS server name or Host), which is not known".into()
        }
        FirewallUnknown::Tag { tag, why } => {
            format!("the rule names {}", tag_unknown(tag, *why))
        }
        FirewallUnknown::OnlySomeNames { names } => format!(
            "only {} {} allowed: fine if those are the cache accounts, else the others are denied",
            names.join(", "),
            if names.len() == 1 { "is" } else { "are" }
        ),
    }
}

/// A note of a firewall verdict.
pub(crate) fn note(n: &FirewallNote) -> String {
    match n {
        FirewallNote::ThreatIntelDeny { allow_listed: true } => {
            "threat intelligence is in Deny mode, and the address or name is on its allow-list".into()
        }
        FirewallNote::ThreatIntelDeny { allow_listed: false } => "threat intelligence is in Deny mode and is processed first: it drops the traffic if Microsoft's feed lists the address or name, which cannot be read offline (an Azure service's is not expected in it)".into(),
        FirewallNote::FqdnNeedsDnsProxy { rule } => format!(
            "network rule {rule} names FQDNs, which match only with the DNS proxy on (dnsSettings.enableProxy), and it is off: that rule cannot match"
        ),
        FirewallNote::FqdnByFirewallDns { fqdn } => format!(
            "the network rule names {fqdn}: the firewall matches the addresses its own DNS gives for it (refreshed every 15 seconds), taken here as the flow's"
        ),
        FirewallNote::TlsInspection { rule } => format!(
            "rule {rule} inspects TLS (terminateTLS): the client is expected to see a certificate re-signed by the policy's CA, not Azure's"
        ),
        FirewallNote::NameFromDns => "the name matched is the one DNS gave for the address; the firewall matches the TLS server name or Host header the client sends".into(),
        FirewallNote::SourceTakenAsMatching { rule } => format!(
            "rule {rule} names source addresses, and the VM's is not known here: taken as among them"
        ),
        FirewallNote::PolicyAssumed { policy } => format!(
            "no firewall export names the route's next hop: policy {policy}, the only one given, is taken as the one that appliance uses"
        ),
        FirewallNote::AssumedInPath => {
            "no route export: the only firewall or policy given is taken as in the path".into()
        }
        FirewallNote::PolicySettingsNotGiven { policy } => format!(
            "policy {policy}'s own export was not given (only its rule collection groups): its DNS proxy is taken as off and its threat intelligence as unknown"
        ),
        FirewallNote::CollectionPriorityMissing { collection } => format!(
            "rule collection {collection} has no priority in the export: taken as processed last in its group"
        ),
        FirewallNote::SomeNames { rule, names } => format!(
            "{} {} {} only",
            rule_text(rule),
            action_verb(rule.action),
            names.join(", ")
        ),
    }
}

/// The notes of a firewall verdict.
pub(crate) fn notes(v: &FirewallVerdict) -> Vec<String> {
    v.notes.iter().map(note).collect()
}

/// The verdict, then its notes, in one line.
pub(crate) fn with_notes(v: &FirewallVerdict) -> String {
    let mut text = verdict_text(v);
    for n in notes(v) {
        text.push_str("; ");
        text.push_str(&n);
    }
    text
}

/// The firewall and policy: "firewall fw-hub (10.0.0.4), policy p".
pub(crate) fn subject(v: &FirewallVerdict) -> String {
    let mut parts = Vec::new();
    match (&v.firewall, &v.address) {
        (Some(f), Some(a)) => parts.push(format!("firewall {f} ({a})")),
        (Some(f), None) => parts.push(format!("firewall {f}")),
        (None, Some(a)) => parts.push(format!("the appliance at {a}")),
        (None, None) => {}
    }
    if let Some(p) = &v.policy {
        parts.push(format!("policy {p}"));
    }
    if parts.is_empty() {
        "the firewall".into()
    } else {
        parts.join(", ")
    }
}

/// The whole verdict in one sentence.
pub(crate) fn verdict_text(v: &FirewallVerdict) -> String {
    let what = match &v.decision {
        FirewallDecision::Rule(r) => {
            let r_text = match &v.policy {
                Some(p) if r.policy.as_deref() == Some(p.as_str()) => rule_text(&FirewallRuleRef {
                    policy: None,
                    ..r.clone()
                }),
                _ => rule_text(r),
            };
            format!("{r_text} {}", action_verb(r.action))
        }
        FirewallDecision::DefaultDeny => "no rule matches: the default deny (after the infrastructure rule collection, which holds Azure platform names only)".into(),
        FirewallDecision::CannotTell { why, at } => match at {
            Some(r) => format!("cannot tell at {}: {}", rule_text(r), unknown(why)),
            None => format!("cannot tell: {}", unknown(why)),
        },
    };
    format!("{}: {what}", subject(v))
}

/// The outcome's word in the JSON: `allow`, `deny`, `dnat`, `default-deny`,
/// `cannot-tell`.
pub(crate) fn outcome(v: &FirewallVerdict) -> &'static str {
    match &v.decision {
        FirewallDecision::Rule(r) => match r.action {
            FirewallAction::Allow => "allow",
            FirewallAction::Deny => "deny",
            FirewallAction::Dnat => "dnat",
        },
        FirewallDecision::DefaultDeny => "default-deny",
        FirewallDecision::CannotTell { .. } => "cannot-tell",
    }
}

/// The CSV's `firewall_rule`: `policy/group/collection/rule allow`, or the
/// outcome.
pub(crate) fn csv_cell(v: &FirewallVerdict) -> String {
    match &v.decision {
        FirewallDecision::Rule(r) => {
            let mut path: Vec<&str> = Vec::new();
            path.extend(r.policy.as_deref());
            path.extend(r.group.as_deref());
            path.push(&r.collection);
            path.push(&r.rule);
            format!("{} {}", path.join("/"), outcome(v))
        }
        _ => outcome(v).to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FirewallPass;

    fn rule(policy: Option<&str>, action: FirewallAction) -> FirewallRuleRef {
        FirewallRuleRef {
            policy: policy.map(str::to_string),
            group: policy.map(|_| "asr".to_string()),
            group_priority: policy.map(|_| 200),
            collection: "allow-asr".into(),
            collection_priority: Some(100),
            rule: "storage".into(),
            pass: FirewallPass::Application,
            action,
        }
    }

    #[test]
    fn verdicts_read_as_sentences() {
        let v = FirewallVerdict {
            firewall: Some("fw-hub".into()),
            address: Some("10.0.0.4".into()),
            policy: Some("p".into()),
            decision: FirewallDecision::Rule(rule(Some("p"), FirewallAction::Allow)),
            notes: vec![],
        };
        assert_eq!(
            verdict_text(&v),
            "firewall fw-hub (10.0.0.4), policy p: rule collection group asr (priority 200), collection allow-asr (priority 100), application rule storage allows"
        );
        assert_eq!(csv_cell(&v), "p/asr/allow-asr/storage allow");
        let classic = FirewallVerdict {
            policy: None,
            decision: FirewallDecision::Rule(rule(None, FirewallAction::Deny)),
            ..v.clone()
        };
        assert_eq!(
            verdict_text(&classic),
            "firewall fw-hub (10.0.0.4): classic application collection allow-asr (priority 100), application rule storage denies"
        );
        let deny = FirewallVerdict {
            decision: FirewallDecision::DefaultDeny,
            ..v.clone()
        };
        assert!(verdict_text(&deny).ends_with("no rule matches: the default deny (after the infrastructure rule collection, which holds Azure platform names only)"));
        assert_eq!(csv_cell(&deny), "default-deny");
    }
}
