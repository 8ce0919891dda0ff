//! Reading the NSG exports: the REST bodies (`properties` nested) and the
//! flattened form `az` prints (rule fields next to `name`, `securityRules` at
//! the top), a `value` wrapper, a bare array, and `az network nsg list`
//! output. Every string kept passes the one sanitiser.

use super::{Access, Direction, Nsg, PortRange, Prefix, Protocol, Rule, last_segment};
use crate::azure::address::Block;
use crate::azure::json::{self, DuplicateKey};
use crate::model::{AppliedTo, NsgExport, TagName};
use crate::sanitize::for_terminal;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Why an export could not be read. `Display` is one line; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NsgError {
    /// Not JSON at all.
    #[error("not JSON ({0})")]
    Json(String),
    /// A key written twice in one object, at any depth: `az` never writes
    /// one twice, and which value Azure holds cannot be told.
    #[error("{0}; export the file again with `az`")]
    Duplicate(DuplicateKey),
    /// JSON, but not one of the shapes read here.
    #[error(
        "expected the output of `az network nic list-effective-nsg` (value[].effectiveSecurityRules) or `az network nsg show` (properties.securityRules), found {0}"
    )]
    Shape(String),
    /// A rule with a missing or unreadable field.
    #[error("security rule \"{rule}\": {what}")]
    Rule {
        /// The rule's name as exported.
        rule: String,
        /// What is wrong with it.
        what: String,
    },
}

/// Reads either export; see the module documentation for the shapes.
pub fn parse_nsgs(json: &str) -> Result<Vec<Nsg>, NsgError> {
    let v: Value = json::parse(json).map_err(|e| match e {
        json::Error::Syntax(e) => NsgError::Json(e.to_string()),
        json::Error::Duplicate(d) => NsgError::Duplicate(d),
    })?;
    let items: Vec<&Value> = match &v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => {
            match ["value", "networkSecurityGroups"]
                .iter()
                .find_map(|k| o.get(*k).and_then(Value::as_array))
            {
                Some(a) => a.iter().collect(),
                None => vec![&v],
            }
        }
        other => return Err(NsgError::Shape(kind(other))),
    };
    items.into_iter().map(parse_one).collect()
}

fn kind(v: &Value) -> String {
    crate::azure::json_kind(v, "security rules")
}

/// A string from an export, made safe to show.
fn clean(s: &str) -> String {
    for_terminal(s)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Id {
    id: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawAssociation {
    network_interface: Option<Id>,
    subnet: Option<Id>,
    network_manager: Option<Id>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    name: Option<Value>,
    properties: Option<Box<RawRule>>,
    protocol: Option<Value>,
    source_port_range: Option<Value>,
    source_port_ranges: Option<Value>,
    destination_port_range: Option<Value>,
    destination_port_ranges: Option<Value>,
    source_address_prefix: Option<Value>,
    source_address_prefixes: Option<Value>,
    destination_address_prefix: Option<Value>,
    destination_address_prefixes: Option<Value>,
    expanded_source_address_prefix: Option<Value>,
    expanded_destination_address_prefix: Option<Value>,
    source_application_security_groups: Option<Value>,
    destination_application_security_groups: Option<Value>,
    access: Option<Value>,
    priority: Option<Value>,
    direction: Option<Value>,
}

fn parse_one(v: &Value) -> Result<Nsg, NsgError> {
    let Value::Object(o) = v else {
        return Err(NsgError::Shape(format!("{} in the list", kind(v))));
    };
    let field = |k: &str| o.get(k).filter(|x| !x.is_null());
    if let Some(rules) = field("effectiveSecurityRules") {
        let id = field("networkSecurityGroup")
            .and_then(|n| n.get("id"))
            .and_then(Value::as_str)
            .map(clean);
        let assoc: RawAssociation = field("association")
            .map(RawAssociation::deserialize)
            .transpose()
            .map_err(|e| NsgError::Shape(format!("an unreadable association ({e})")))?
            .unwrap_or_default();
        let nic = assoc.network_interface.and_then(|i| i.id);
        let subnet = assoc.subnet.and_then(|i| i.id);
        // The REST reference's example names both: the NSG's place is then
        // not told.
        let applied_to = match (&nic, &subnet) {
            (Some(_), None) => AppliedTo::Nic,
            (None, Some(_)) => AppliedTo::Subnet,
            _ => AppliedTo::Unknown,
        };
        let subnet = subnet.map(|s| clean(&s));
        let nic = nic.map(|s| clean(&s));
        let network_manager = assoc
            .network_manager
            .and_then(|i| i.id)
            .map(|id| clean(last_segment(&id)));
        let name = id
            .as_deref()
            .map(last_segment)
            .unwrap_or("(unnamed NSG)")
            .to_string();
        return Ok(Nsg {
            name,
            id,
            applied_to,
            subnet,
            nic,
            export: NsgExport::Effective,
            network_manager,
            rules: parse_rules(rules)?,
            tag_map: tag_map(field("tagMap"))?,
        });
    }
    // A NetworkSecurityGroup: REST body (properties nested) or flattened.
    let props = field("properties")
        .and_then(Value::as_object)
        .filter(|p| p.contains_key("securityRules") || p.contains_key("defaultSecurityRules"))
        .unwrap_or(o);
    let own = props.get("securityRules").filter(|x| !x.is_null());
    let default = props.get("defaultSecurityRules").filter(|x| !x.is_null());
    if own.is_none() && default.is_none() {
        return Err(NsgError::Shape(kind(v)));
    }
    let mut rules = Vec::new();
    for list in [own, default].into_iter().flatten() {
        rules.extend(parse_rules(list)?);
    }
    let count = |k: &str| props.get(k).and_then(Value::as_array).map_or(0, Vec::len);
    let applied_to = match (count("networkInterfaces"), count("subnets")) {
        (1, 0) => AppliedTo::Nic,
        (0, 1) => AppliedTo::Subnet,
        _ => AppliedTo::Unknown,
    };
    let one_id = |k: &str| match props.get(k).and_then(Value::as_array).map(Vec::as_slice) {
        Some([one]) => one.get("id").and_then(Value::as_str).map(clean),
        _ => None,
    };
    let (subnet, nic) = (one_id("subnets"), one_id("networkInterfaces"));
    let id = field("id").and_then(Value::as_str).map(clean);
    let name = field("name")
        .and_then(Value::as_str)
        .map(clean)
        .or_else(|| id.as_deref().map(|i| last_segment(i).to_string()))
        .unwrap_or_else(|| "(unnamed NSG)".to_string());
    Ok(Nsg {
        name,
        id,
        applied_to,
        subnet,
        nic,
        export: NsgExport::NsgShow,
        network_manager: None,
        rules,
        tag_map: BTreeMap::new(),
    })
}

fn tag_map(v: Option<&Value>) -> Result<BTreeMap<TagName, Vec<Block>>, NsgError> {
    // The spec has it as an object of arrays; some versions carry it as a
    // JSON string, read as strictly as the export around it.
    let parsed;
    let v = match v {
        Some(Value::String(s)) => {
            parsed = match json::parse(s) {
                Ok(v) => v,
                Err(json::Error::Duplicate(d)) => return Err(NsgError::Duplicate(d)),
                Err(json::Error::Syntax(_)) => Value::Null,
            };
            &parsed
        }
        Some(v) => v,
        None => return Ok(BTreeMap::new()),
    };
    let Some(o) = v.as_object() else {
        return Ok(BTreeMap::new());
    };
    Ok(o.iter()
        .map(|(k, list)| {
            let blocks = list
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().and_then(Block::parse_lenient))
                        .collect()
                })
                .unwrap_or_default();
            (TagName::new(clean(k)), blocks)
        })
        .collect())
}

fn parse_rules(v: &Value) -> Result<Vec<Rule>, NsgError> {
    let Some(list) = v.as_array() else {
        return Err(NsgError::Shape(format!("a rule list that is {}", kind(v))));
    };
    list.iter()
        .enumerate()
        .map(|(i, item)| {
            let raw = RawRule::deserialize(item).map_err(|_| NsgError::Rule {
                rule: format!("#{}", i + 1),
                what: format!("{}, not a rule object", kind(item)),
            })?;
            convert_rule(raw, i)
        })
        .collect()
}

/// A field's text: a string, or (for numbers written as such) its digits.
fn text(v: &Option<Value>) -> Result<Option<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("is {}, not a string", kind(other))),
    }
}

/// A list field: an array of strings (a lone string is taken as one).
fn texts(v: &Option<Value>) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("holds {}, not a string", kind(other))),
            })
            .collect(),
        Some(other) => Err(format!("is {}, not a list", kind(other))),
    }
}

fn convert_rule(outer: RawRule, i: usize) -> Result<Rule, NsgError> {
    let name = match &outer.name {
        Some(Value::String(s)) => clean(s),
        _ => format!("#{}", i + 1),
    };
    let r = match outer.properties {
        Some(p) => *p,
        None => outer,
    };
    let f = Fields { rule: &name };
    let rule = Rule {
        name: name.clone(),
        priority: f.priority(&r.priority)?,
        direction: f.keyword(
            "direction",
            &r.direction,
            Some("Inbound nor Outbound"),
            |k| match k {
                "inbound" => Some(Direction::Inbound),
                "outbound" => Some(Direction::Outbound),
                _ => None,
            },
        )?,
        access: f.keyword("access", &r.access, Some("Allow nor Deny"), |k| match k {
            "allow" => Some(Access::Allow),
            "deny" => Some(Access::Deny),
            _ => None,
        })?,
        protocol: f.keyword("protocol", &r.protocol, None, |k| match k {
            "*" | "all" | "any" => Some(Protocol::Any),
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            "icmp" => Some(Protocol::Icmp),
            "esp" => Some(Protocol::Esp),
            "ah" => Some(Protocol::Ah),
            _ => None,
        })?,
        source_ports: f.ports(
            &r.source_port_range,
            &r.source_port_ranges,
            "source port range",
        )?,
        destination_ports: f.ports(
            &r.destination_port_range,
            &r.destination_port_ranges,
            "destination port range",
        )?,
        source_prefixes: f.prefixes(
            &r.source_address_prefix,
            &r.source_address_prefixes,
            "source address prefix",
        )?,
        destination_prefixes: f.prefixes(
            &r.destination_address_prefix,
            &r.destination_address_prefixes,
            "destination address prefix",
        )?,
        expanded_source: f.blocks(
            &r.expanded_source_address_prefix,
            "expanded source address prefix",
        )?,
        expanded_destination: f.blocks(
            &r.expanded_destination_address_prefix,
            "expanded destination address prefix",
        )?,
        source_asgs: asgs(&r.source_application_security_groups),
        destination_asgs: asgs(&r.destination_application_security_groups),
    };
    if rule.source_prefixes.is_empty() && rule.source_asgs.is_empty() {
        return Err(f.missing("source address prefix"));
    }
    if rule.destination_prefixes.is_empty() && rule.destination_asgs.is_empty() {
        return Err(f.missing("destination address prefix"));
    }
    Ok(rule)
}

/// Reads the fields of one rule; its errors name the rule.
struct Fields<'a> {
    rule: &'a str,
}

impl Fields<'_> {
    fn err(&self, what: String) -> NsgError {
        NsgError::Rule {
            rule: self.rule.to_string(),
            what,
        }
    }

    fn missing(&self, f: &str) -> NsgError {
        self.err(format!("no {f}"))
    }

    fn field(&self, label: &str, v: &Option<Value>) -> Result<Option<String>, NsgError> {
        text(v).map_err(|e| self.err(format!("{label} {e}")))
    }

    fn list(&self, label: &str, v: &Option<Value>) -> Result<Vec<String>, NsgError> {
        texts(v).map_err(|e| self.err(format!("{label} {e}")))
    }

    fn priority(&self, v: &Option<Value>) -> Result<u32, NsgError> {
        let p = match v {
            None | Some(Value::Null) => return Err(self.missing("priority")),
            Some(Value::Number(n)) => n.as_u64().and_then(|p| u32::try_from(p).ok()),
            Some(Value::String(s)) => s.trim().parse::<u32>().ok(),
            Some(_) => None,
        };
        p.ok_or_else(|| {
            self.err(format!(
                "priority {} is not a number from 100 to 4096 (or a default rule's)",
                v.as_ref().map(Value::to_string).unwrap_or_default()
            ))
        })
    }

    /// A field that holds one of a few words (any case), read by `word`;
    /// `either` names the two a field of two words may hold.
    fn keyword<T>(
        &self,
        what: &str,
        v: &Option<Value>,
        either: Option<&str>,
        word: impl Fn(&str) -> Option<T>,
    ) -> Result<T, NsgError> {
        let t = self.field(what, v)?.ok_or_else(|| self.missing(what))?;
        word(&t.to_ascii_lowercase()).ok_or_else(|| {
            let t = clean(&t);
            self.err(match either {
                Some(e) => format!("{what} \"{t}\" is neither {e}"),
                None => format!("unknown {what} \"{t}\""),
            })
        })
    }

    fn ports(
        &self,
        one: &Option<Value>,
        many: &Option<Value>,
        what: &str,
    ) -> Result<Vec<PortRange>, NsgError> {
        let texts = gather(self.field(what, one)?, self.list(what, many)?);
        if texts.is_empty() {
            return Err(self.missing(what));
        }
        texts
            .iter()
            .flat_map(|t| t.split(','))
            .map(|t| {
                PortRange::parse(t).ok_or_else(|| {
                    self.err(format!("{what} \"{}\" is not a port or range", clean(t)))
                })
            })
            .collect()
    }

    fn prefixes(
        &self,
        one: &Option<Value>,
        many: &Option<Value>,
        what: &str,
    ) -> Result<Vec<Prefix>, NsgError> {
        Ok(gather(self.field(what, one)?, self.list(what, many)?)
            .iter()
            .map(|t| Prefix::parse(&clean(t)))
            .collect())
    }

    fn blocks(&self, v: &Option<Value>, what: &str) -> Result<Vec<Block>, NsgError> {
        Ok(self
            .list(what, v)?
            .iter()
            .filter_map(|t| Block::parse_lenient(t))
            .collect())
    }
}

/// The application security groups a rule names, by id.
fn asgs(v: &Option<Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .map(|i| {
                i.get("id")
                    .and_then(Value::as_str)
                    .map_or("(application security group)".into(), clean)
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The singular field (when not empty) and the list, trimmed, empty entries dropped.
fn gather(one: Option<String>, many: Vec<String>) -> Vec<String> {
    one.into_iter()
        .chain(many)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
