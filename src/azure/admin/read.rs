//! Reading the effective security admin rules: the REST body (`value[]`
//! with `properties` nested, `skipToken`), the same with `properties`
//! lifted into each rule as `az` prints it, a bare array, or one rule.
//! Every string kept passes the one sanitiser.

use super::{Address, AdminRule, Page, id_segment};
use crate::azure::json::{self, DuplicateKey};
use crate::azure::nsg::{Direction, PortRange, Prefix, Protocol, last_segment};
use crate::model::{AdminAccess, TagName};
use crate::sanitize::for_terminal;
use serde_json::{Map, Value};

/// Why an export could not be read. `Display` is one line; the caller adds
/// the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// Not JSON at all.
    #[error("not JSON ({0})")]
    Json(String),
    /// A key written twice in one object.
    #[error("{0}; export the file again with `az`")]
    Duplicate(DuplicateKey),
    /// JSON, but not the shape read here.
    #[error(
        "expected the output of `az network manager list-effective-security-admin-rule` (value[] of security admin rules), found {0}"
    )]
    Shape(String),
    /// A rule with a missing or unreadable field.
    #[error("security admin rule \"{rule}\": {what}")]
    Rule {
        /// The rule's name as exported.
        rule: String,
        /// What is wrong with it.
        what: String,
    },
}

/// Reads one page of the export; see the module documentation.
pub fn parse_admin_rules(text: &str) -> Result<Page, AdminError> {
    let v: Value = json::parse(text).map_err(|e| match e {
        json::Error::Syntax(e) => AdminError::Json(e.to_string()),
        json::Error::Duplicate(d) => AdminError::Duplicate(d),
    })?;
    let (items, more): (Vec<&Value>, bool) = match &v {
        Value::Array(a) => (a.iter().collect(), false),
        Value::Object(o) => match o.get("value") {
            Some(Value::Array(a)) => (
                a.iter().collect(),
                o.get("skipToken")
                    .and_then(Value::as_str)
                    .is_some_and(|t| !t.is_empty()),
            ),
            Some(other) => return Err(AdminError::Shape(format!("value as {}", kind(other)))),
            None => (vec![&v], false),
        },
        other => return Err(AdminError::Shape(kind(other))),
    };
    let rules = items
        .into_iter()
        .map(parse_rule)
        .collect::<Result<_, _>>()?;
    Ok(Page { rules, more })
}

fn kind(v: &Value) -> String {
    crate::azure::json_kind(v, "security admin rules")
}

fn parse_rule(v: &Value) -> Result<AdminRule, AdminError> {
    let Value::Object(o) = v else {
        return Err(AdminError::Shape(format!("{} in the list", kind(v))));
    };
    let id = o.get("id").and_then(Value::as_str).map(for_terminal);
    let name = id
        .as_deref()
        .map(|i| last_segment(i).to_string())
        .or_else(|| o.get("name").and_then(Value::as_str).map(for_terminal))
        .filter(|n| !n.is_empty())
        .ok_or_else(|| AdminError::Shape(kind(v)))?;
    let props = match o.get("properties") {
        Some(Value::Object(p)) => p,
        _ => o,
    };
    let bad = |what: String| AdminError::Rule {
        rule: name.clone(),
        what,
    };
    let default_rule = o
        .get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case("Default"));
    let text = |k: &str| props.get(k).and_then(Value::as_str);
    let access = match text("access").map(str::to_ascii_lowercase).as_deref() {
        Some("allow") => AdminAccess::Allow,
        Some("deny") => AdminAccess::Deny,
        Some("alwaysallow") => AdminAccess::AlwaysAllow,
        _ => return Err(bad("access is not Allow, Deny or AlwaysAllow".into())),
    };
    let priority = props
        .get("priority")
        .and_then(Value::as_u64)
        .filter(|p| (1..=4096).contains(p))
        .ok_or_else(|| bad("priority is not a number from 1 to 4096".into()))?
        as u32;
    let direction = match text("direction").map(str::to_ascii_lowercase).as_deref() {
        Some("inbound") => Direction::Inbound,
        Some("outbound") => Direction::Outbound,
        _ => return Err(bad("direction is not Inbound or Outbound".into())),
    };
    let protocol = match text("protocol").map(str::to_ascii_lowercase).as_deref() {
        Some("tcp") => Protocol::Tcp,
        Some("udp") => Protocol::Udp,
        Some("icmp") => Protocol::Icmp,
        Some("esp") => Protocol::Esp,
        Some("ah") => Protocol::Ah,
        Some("any") | Some("*") => Protocol::Any,
        _ => return Err(bad("protocol is not Tcp, Udp, Icmp, Esp, Ah or Any".into())),
    };
    Ok(AdminRule {
        manager: id.as_deref().and_then(|i| id_segment(i, "networkManagers")),
        configuration: id
            .as_deref()
            .and_then(|i| id_segment(i, "securityAdminConfigurations")),
        collection: id.as_deref().and_then(|i| id_segment(i, "ruleCollections")),
        sources: addresses(props, "sources").map_err(&bad)?,
        destinations: addresses(props, "destinations").map_err(&bad)?,
        source_ports: ports(props, "sourcePortRanges").map_err(&bad)?,
        destination_ports: ports(props, "destinationPortRanges").map_err(&bad)?,
        id,
        name,
        default_rule,
        access,
        priority,
        direction,
        protocol,
    })
}

/// A list field, absent or null as empty.
fn list<'a>(props: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], String> {
    match props.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => Err(format!("{key} is {}, not a list", kind(other))),
    }
}

fn addresses(props: &Map<String, Value>, key: &str) -> Result<Vec<Address>, String> {
    list(props, key)?
        .iter()
        .map(|a| {
            let prefix = a
                .get("addressPrefix")
                .and_then(Value::as_str)
                .map(for_terminal)
                .ok_or_else(|| format!("an item of {key} has no addressPrefix"))?;
            let typ = a
                .get("addressPrefixType")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase);
            match typ.as_deref() {
                Some("networkgroup") => Ok(Address::NetworkGroup(prefix)),
                Some("servicetag") => Ok(Address::Prefix(Prefix::Tag(TagName::new(&prefix)))),
                Some("ipprefix") => match Prefix::parse(&prefix) {
                    p @ (Prefix::Any | Prefix::Block(_)) => Ok(Address::Prefix(p)),
                    Prefix::Tag(_) => Err(format!("{key}: {prefix} is not an IP prefix")),
                },
                None => Ok(Address::Prefix(Prefix::parse(&prefix))),
                Some(_) => Err(format!(
                    "{key}: addressPrefixType is not IPPrefix, ServiceTag or NetworkGroup"
                )),
            }
        })
        .collect()
}

fn ports(props: &Map<String, Value>, key: &str) -> Result<Vec<PortRange>, String> {
    list(props, key)?
        .iter()
        .map(|p| {
            p.as_str().and_then(PortRange::parse).ok_or_else(|| {
                format!(
                    "{key}: {} is not a port range",
                    for_terminal(&p.to_string())
                )
            })
        })
        .collect()
}
