//! How the security admin rules' answers read: the rule that decided, where
//! it sits (network manager, security admin configuration, rule collection),
//! what that means for the NSGs, why it cannot be told, and the notes.

use super::network::{nsg_note, tag_unknown};
use crate::model::{
    AdminAccess, AdminDecision, AdminEvidence, AdminNote, AdminOutcome, AdminRuleRef, AdminUnknown,
    AdminVerdict,
};

/// Where a rule sits: "admin rule Deny-Internet (priority 100) of
/// configuration cfg, collection rc, network manager nm".
pub(crate) fn rule_text(r: &AdminRuleRef) -> String {
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
    format!(
        "{}admin rule {} (priority {}) of configuration {}, collection {}, network manager {}",
        if r.default_rule { "default " } else { "" },
        r.rule,
        r.priority,
        dash(&r.configuration),
        dash(&r.collection),
        dash(&r.manager)
    )
}

/// Why a verdict cannot be told.
pub(crate) fn unknown(why: &AdminUnknown) -> String {
    match why {
        AdminUnknown::NetworkGroup { group } => format!(
            "it names the network group {group}, whose member virtual networks the export does not list"
        ),
        AdminUnknown::Tag { tag, why } => format!("it names {}", tag_unknown(tag, *why)),
    }
}

/// What the admin layer does, in a sentence.
pub(crate) fn verdict_text(v: &AdminVerdict) -> String {
    match &v.decision {
        AdminDecision::Rule(r) => match r.access {
            AdminAccess::Deny => format!(
                "{} denies it: Azure applies it before any NSG, so no NSG rule can allow it",
                rule_text(r)
            ),
            AdminAccess::AlwaysAllow => format!(
                "{} always allows it: the NSGs are not consulted",
                rule_text(r)
            ),
            AdminAccess::Allow => format!("{} allows it; the NSGs decide next", rule_text(r)),
        },
        AdminDecision::NoRuleMatched => format!(
            "no outbound security admin rule matches ({} read); the NSGs decide",
            v.rules
        ),
        AdminDecision::CannotTell { why, at } => format!(
            "cannot tell: {} may match and {}",
            rule_text(at),
            unknown(why)
        ),
    }
}

/// A note of a verdict.
pub(crate) fn note(n: &AdminNote) -> String {
    match n {
        AdminNote::Approximation(n) => nsg_note(n),
        AdminNote::SeveralConfigurations { configurations } => format!(
            "rules of several security admin configurations apply ({}): they are taken in one order by priority number, which Microsoft does not document across configurations",
            configurations.join(", ")
        ),
        AdminNote::MorePages => "every page given has a skipToken: a page of rules is missing, and a rule on it may come first (export it with --skip-token and give it too)".into(),
    }
}

/// The notes, as sentences.
pub(crate) fn notes(v: &AdminVerdict) -> Vec<String> {
    v.notes.iter().map(note).collect()
}

/// The verdict with its notes, for one line.
pub(crate) fn with_notes(v: &AdminVerdict) -> String {
    let mut s = verdict_text(v);
    for n in notes(v) {
        s.push_str("; ");
        s.push_str(&n);
    }
    s
}

/// A CSV cell: the outcome, then the rule where one decided
/// (`deny: cfg/rc/Deny-Internet (100)`).
pub(crate) fn csv_cell(v: &AdminVerdict) -> String {
    let outcome = v.outcome().as_str();
    match v.rule() {
        Some(r) if v.outcome() != AdminOutcome::NoRuleMatched => format!(
            "{outcome}: {}/{}/{} ({})",
            r.configuration.as_deref().unwrap_or("-"),
            r.collection.as_deref().unwrap_or("-"),
            r.rule,
            r.priority
        ),
        _ => outcome.to_string(),
    }
}

/// A line of `check`'s evidence about the admin rules.
pub(crate) fn evidence(e: &AdminEvidence) -> String {
    match e {
        AdminEvidence::Denies {
            verdict,
            denied,
            prefixes,
        } => format!(
            "admin-rule-denied ({denied} of the {prefixes} prefixes): {}",
            with_notes(verdict)
        ),
        AdminEvidence::CannotTell {
            verdict,
            unknown,
            prefixes,
        } => format!(
            "the security admin rules' verdict cannot be told for {unknown} of the {prefixes} prefixes: {}",
            with_notes(verdict)
        ),
        AdminEvidence::AlwaysAllows {
            verdict,
            count,
            prefixes,
        } => format!(
            "{count} of the {prefixes} prefixes: {}",
            with_notes(verdict)
        ),
        AdminEvidence::Passes { verdict } => {
            format!("security admin rules: {}", with_notes(verdict))
        }
    }
}
