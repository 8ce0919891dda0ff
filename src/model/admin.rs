//! What the security admin rules of an Azure Virtual Network Manager do with
//! an outbound flow: the rule that decided, where it sits (the network
//! manager, its security admin configuration, the rule collection), or why it
//! cannot be told offline.

use super::{NsgNote, TagName, TagUnknown};
use serde::Serialize;

/// What an admin rule does with traffic it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum AdminAccess {
    /// Passes the admin layer; the NSGs decide next.
    Allow,
    /// Dropped: no NSG rule can allow it.
    Deny,
    /// Allowed, whatever the NSGs say: they are not consulted.
    AlwaysAllow,
}

impl AdminAccess {
    /// Its name in the JSON, CSV and views: `allow`, `deny`, `always-allow`.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminAccess::Allow => "allow",
            AdminAccess::Deny => "deny",
            AdminAccess::AlwaysAllow => "always-allow",
        }
    }
}

/// An admin rule, where it sits: the names come from its resource id
/// (`…/networkManagers/NM/securityAdminConfigurations/CFG/ruleCollections/RC/rules/R`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AdminRuleRef {
    /// The network manager, when the id names it.
    pub manager: Option<String>,
    /// The security admin configuration, when the id names it.
    pub configuration: Option<String>,
    /// The rule collection, when the id names it.
    pub collection: Option<String>,
    /// The rule.
    pub rule: String,
    /// 1 (first) to 4096.
    pub priority: u32,
    /// What it does.
    pub access: AdminAccess,
    /// A default rule (`kind: Default`) rather than one of the admin's own.
    pub default_rule: bool,
}

/// Why an admin rule's match cannot be told from the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminUnknown {
    /// The rule names a network group (`addressPrefixType: NetworkGroup`),
    /// whose members the export does not list.
    NetworkGroup {
        /// The group (last segment of its id).
        group: String,
    },
    /// The rule names a service tag the service-tag data cannot tell.
    Tag {
        /// The tag.
        tag: TagName,
        /// Why.
        why: TagUnknown,
    },
}

/// What decided in the admin layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminDecision {
    /// The first outbound rule by priority that matches.
    Rule(AdminRuleRef),
    /// No admin rule matches: the NSGs decide.
    NoRuleMatched,
    /// A rule that may match cannot be evaluated offline; evaluation stops
    /// there.
    CannotTell {
        /// Why.
        why: AdminUnknown,
        /// The rule.
        at: AdminRuleRef,
    },
}

/// What an admin verdict rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminNote {
    /// An approximation of a service tag (`Internet`, `VirtualNetwork`), as
    /// for NSG rules.
    Approximation(NsgNote),
    /// Rules of several security admin configurations (or network managers)
    /// apply: they are taken in one priority order, which Microsoft does not
    /// document across configurations.
    SeveralConfigurations {
        /// The configurations, as `manager/configuration`.
        configurations: Vec<String>,
    },
    /// Every page given has a `skipToken`: a page of rules was not given,
    /// and a rule on it may come first.
    MorePages,
}

/// What the effective security admin rules (`az network manager
/// list-effective-security-admin-rule`) do with an outbound flow. Azure
/// evaluates them before the NSGs: `Deny` and `AlwaysAllow` end the
/// evaluation, `Allow` (or no match) passes the flow to the NSGs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminVerdict {
    /// What decided.
    pub decision: AdminDecision,
    /// Outbound admin rules read.
    pub rules: usize,
    /// What it rests on.
    pub notes: Vec<AdminNote>,
}

/// The admin layer's outcome, in a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "&'static str")]
pub enum AdminOutcome {
    /// An `Allow` rule: the NSGs decide next.
    Allow,
    /// A `Deny` rule.
    Deny,
    /// An `AlwaysAllow` rule: the NSGs are not consulted.
    AlwaysAllow,
    /// No rule matches: the NSGs decide.
    NoRuleMatched,
    /// Cannot be told offline.
    CannotTell,
}

impl AdminOutcome {
    /// `allow`, `deny`, `always-allow`, `no-rule-matched`, `cannot-tell`.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminOutcome::Allow => "allow",
            AdminOutcome::Deny => "deny",
            AdminOutcome::AlwaysAllow => "always-allow",
            AdminOutcome::NoRuleMatched => "no-rule-matched",
            AdminOutcome::CannotTell => "cannot-tell",
        }
    }
}

impl AdminVerdict {
    /// The outcome.
    pub fn outcome(&self) -> AdminOutcome {
        match &self.decision {
            AdminDecision::Rule(r) => match r.access {
                AdminAccess::Allow => AdminOutcome::Allow,
                AdminAccess::Deny => AdminOutcome::Deny,
                AdminAccess::AlwaysAllow => AdminOutcome::AlwaysAllow,
            },
            AdminDecision::NoRuleMatched => AdminOutcome::NoRuleMatched,
            AdminDecision::CannotTell { .. } => AdminOutcome::CannotTell,
        }
    }

    /// The rule that decided, or could not be evaluated.
    pub fn rule(&self) -> Option<&AdminRuleRef> {
        match &self.decision {
            AdminDecision::Rule(r) | AdminDecision::CannotTell { at: r, .. } => Some(r),
            AdminDecision::NoRuleMatched => None,
        }
    }

    /// True when a `Deny` rule drops the flow.
    pub fn denies(&self) -> bool {
        self.outcome() == AdminOutcome::Deny
    }

    /// True when the NSGs are not consulted (`Deny` or `AlwaysAllow`).
    pub fn ends_evaluation(&self) -> bool {
        matches!(
            self.outcome(),
            AdminOutcome::Deny | AdminOutcome::AlwaysAllow
        )
    }

    /// How bad it is for a requirement: a deny, then what cannot be told,
    /// then the rest.
    pub fn harm(&self) -> u8 {
        match self.outcome() {
            AdminOutcome::Deny => 2,
            AdminOutcome::CannotTell => 1,
            _ => 0,
        }
    }
}

named_by_as_str!(AdminAccess, AdminOutcome);
