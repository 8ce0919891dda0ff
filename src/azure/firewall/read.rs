//! Reading the firewall exports: the REST bodies (`properties` nested) and
//! what `az` prints (`properties` lifted into the object, and for a
//! firewall into each rule collection and IP configuration), a `value`
//! wrapper, a bare array (`list`). Every string kept passes the one
//! sanitiser.

use super::{
    Action, Addr, AppPort, AppProtocol, Collection, Exports, Firewall, Group, IpGroup, IpProtocol,
    Policy, Rule, RuleKind, ThreatIntel, ThreatIntelMode,
};
use crate::azure::json::{self, DuplicateKey};
use crate::azure::kind::{self, ExportKind};
use crate::azure::nsg::{PortRange, last_segment};
use crate::sanitize::for_terminal;
use serde_json::{Map, Value};

/// Why an export could not be read. `Display` is one line; the caller adds
/// the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FirewallError {
    /// Not JSON at all.
    #[error("not JSON ({0})")]
    Json(String),
    /// A key written twice in one object, at any depth.
    #[error("{0}; export the file again with `az`")]
    Duplicate(DuplicateKey),
    /// JSON, but not one of the shapes read here.
    #[error(
        "expected the output of `az network firewall policy show`, `az network firewall policy rule-collection-group list`, `az network firewall show` or `az network ip-group show`, found {0}"
    )]
    Shape(String),
    /// A field missing or unreadable; `at` names where.
    #[error("{at}: {what}")]
    Field {
        /// The group, collection and rule it is in.
        at: String,
        /// What is wrong.
        what: String,
    },
}

/// Reads firewall policies, rule collection groups, firewalls and IP
/// groups, in any of their shapes, from one file.
pub fn parse_firewall_exports(text: &str) -> Result<Exports, FirewallError> {
    let v = json::parse(text).map_err(|e| match e {
        json::Error::Syntax(e) => FirewallError::Json(e.to_string()),
        json::Error::Duplicate(d) => FirewallError::Duplicate(d),
    })?;
    let items: Vec<&Value> = match &v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => match o.get("value").and_then(Value::as_array) {
            Some(a) => a.iter().collect(),
            None => vec![&v],
        },
        other => return Err(FirewallError::Shape(kind(other))),
    };
    let mut out = Exports::default();
    for item in items {
        let Value::Object(o) = item else {
            return Err(FirewallError::Shape(format!("{} in the list", kind(item))));
        };
        let obj = Obj::new(o);
        let resource_type = o.get("type").and_then(Value::as_str);
        match kind::of(|k| obj.get(k).is_some(), resource_type) {
            Some(ExportKind::FirewallPolicy) => out.policies.push(policy(&obj)?),
            Some(ExportKind::RuleCollectionGroups) => out.groups.push(group(&obj)?),
            Some(ExportKind::Firewall) => out.firewalls.push(firewall(&obj)?),
            Some(ExportKind::IpGroup) => out.ip_groups.push(ip_group(&obj)?),
            _ => return Err(FirewallError::Shape(kind(item))),
        }
    }
    Ok(out)
}

fn kind(v: &Value) -> String {
    crate::azure::json_kind(v, "firewall rules or settings")
}

/// An object of an export, with its `properties` (REST) looked in first.
struct Obj<'a> {
    top: &'a Map<String, Value>,
    props: Option<&'a Map<String, Value>>,
}

impl<'a> Obj<'a> {
    fn new(top: &'a Map<String, Value>) -> Obj<'a> {
        Obj {
            top,
            props: top.get("properties").and_then(Value::as_object),
        }
    }

    /// A field, in `properties` or in the object; null is absent.
    fn get(&self, k: &str) -> Option<&'a Value> {
        self.props
            .and_then(|p| p.get(k))
            .or_else(|| self.top.get(k))
            .filter(|v| !v.is_null())
    }

    /// The object's `name`, else the last segment of its `id`, else `unnamed`.
    fn name(&self, unnamed: &str) -> String {
        match self.top.get("name").and_then(Value::as_str) {
            Some(n) => clean(n),
            None => self
                .id()
                .map(|i| last_segment(&i).to_string())
                .unwrap_or_else(|| unnamed.to_string()),
        }
    }

    fn id(&self) -> Option<String> {
        self.top.get("id").and_then(Value::as_str).map(clean)
    }
}

/// A string from an export, made safe to show.
fn clean(s: &str) -> String {
    for_terminal(s)
}

/// Where a field is, for errors: `rule collection group "g", collection "c"`.
#[derive(Clone, Default)]
struct At(String);

impl At {
    fn inner(&self, what: &str, name: &str) -> At {
        if self.0.is_empty() {
            At(format!("{what} \"{name}\""))
        } else {
            At(format!("{}, {what} \"{name}\"", self.0))
        }
    }

    fn err(&self, what: impl Into<String>) -> FirewallError {
        FirewallError::Field {
            at: self.0.clone(),
            what: what.into(),
        }
    }

    /// A list of strings (a lone string is one).
    fn strings(&self, label: &str, v: Option<&Value>) -> Result<Vec<String>, FirewallError> {
        match v {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![clean(s)]),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| match x {
                    Value::String(s) => Ok(clean(s)),
                    Value::Number(n) => Ok(n.to_string()),
                    other => Err(self.err(format!("{label} holds {}, not a string", kind(other)))),
                })
                .collect(),
            Some(other) => Err(self.err(format!("{label} is {}, not a list", kind(other)))),
        }
    }

    fn addresses(&self, label: &str, v: Option<&Value>) -> Result<Vec<Addr>, FirewallError> {
        Ok(self
            .strings(label, v)?
            .iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| Addr::parse(s))
            .collect())
    }

    fn names(&self, label: &str, v: Option<&Value>) -> Result<Vec<String>, FirewallError> {
        Ok(self
            .strings(label, v)?
            .into_iter()
            .map(|s| s.trim().trim_end_matches('.').to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect())
    }

    fn priority(&self, v: Option<&Value>) -> Result<Option<u32>, FirewallError> {
        let p = match v {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_u64().and_then(|p| u32::try_from(p).ok()),
            Some(Value::String(s)) => s.trim().parse::<u32>().ok(),
            Some(_) => None,
        };
        p.map(Some).ok_or_else(|| {
            self.err(format!(
                "priority {} is not a number from 100 to 65000",
                clean(&v.map(Value::to_string).unwrap_or_default())
            ))
        })
    }

    fn ports(&self, v: Option<&Value>) -> Result<Vec<PortRange>, FirewallError> {
        self.strings("destinationPorts", v)?
            .iter()
            .flat_map(|t| t.split(','))
            .filter(|t| !t.trim().is_empty())
            .map(|t| {
                PortRange::parse(t).ok_or_else(|| {
                    self.err(format!(
                        "destination port \"{}\" is not a port or range",
                        clean(t)
                    ))
                })
            })
            .collect()
    }

    fn ip_protocols(&self, v: Option<&Value>) -> Result<Vec<IpProtocol>, FirewallError> {
        self.strings("protocols", v)?
            .iter()
            .map(|t| match t.trim().to_ascii_lowercase().as_str() {
                "any" | "*" => Ok(IpProtocol::Any),
                "tcp" => Ok(IpProtocol::Tcp),
                "udp" => Ok(IpProtocol::Udp),
                "icmp" => Ok(IpProtocol::Icmp),
                _ => Err(self.err(format!("unknown protocol \"{}\"", clean(t)))),
            })
            .collect()
    }

    fn app_protocols(&self, v: Option<&Value>) -> Result<Vec<AppPort>, FirewallError> {
        let Some(v) = v else {
            return Ok(Vec::new());
        };
        let Some(list) = v.as_array() else {
            return Err(self.err(format!("protocols is {}, not a list", kind(v))));
        };
        list.iter().map(|p| self.app_protocol(p)).collect()
    }

    fn app_protocol(&self, p: &Value) -> Result<AppPort, FirewallError> {
        let Some(o) = p.as_object() else {
            return Err(self.err(format!(
                "a protocol is {}, not {{protocolType, port}}",
                kind(p)
            )));
        };
        let o = Obj::new(o);
        let ty = o.get("protocolType").and_then(Value::as_str).unwrap_or("");
        let protocol = match ty.to_ascii_lowercase().as_str() {
            "http" => AppProtocol::Http,
            "https" => AppProtocol::Https,
            "mssql" => AppProtocol::Mssql,
            _ => return Err(self.err(format!("unknown protocol type \"{}\"", clean(ty)))),
        };
        let port = match o.get("port") {
            Some(Value::Number(n)) => n.as_u64().and_then(|p| u16::try_from(p).ok()),
            Some(Value::String(s)) => s.trim().parse().ok(),
            None => Some(match protocol {
                AppProtocol::Http => 80,
                AppProtocol::Https => 443,
                AppProtocol::Mssql => 1433,
            }),
            Some(_) => None,
        };
        let port = port.ok_or_else(|| self.err("a protocol's port is not a port number"))?;
        Ok(AppPort { protocol, port })
    }

    /// An action's type (`action.type`, or a bare string).
    fn action(&self, v: Option<&Value>) -> Result<Action, FirewallError> {
        let t = match v {
            Some(Value::Object(o)) => o.get("type").and_then(Value::as_str),
            Some(Value::String(s)) => Some(s.as_str()),
            _ => None,
        };
        let Some(t) = t else {
            return Err(self.err("no action"));
        };
        match t.to_ascii_lowercase().as_str() {
            "allow" => Ok(Action::Allow),
            "deny" => Ok(Action::Deny),
            "dnat" | "snat" => Ok(Action::Dnat),
            _ => Err(self.err(format!("action \"{}\" is neither Allow nor Deny", clean(t)))),
        }
    }
}

fn threat_intel(o: &Obj, at: &At) -> Result<ThreatIntel, FirewallError> {
    let mode = match o.get("threatIntelMode").and_then(Value::as_str) {
        None => None,
        Some(m) => Some(match m.to_ascii_lowercase().as_str() {
            "off" => ThreatIntelMode::Off,
            "alert" => ThreatIntelMode::Alert,
            "deny" => ThreatIntelMode::Deny,
            _ => return Err(at.err(format!("unknown threatIntelMode \"{}\"", clean(m)))),
        }),
    };
    let list = o.get("threatIntelWhitelist").and_then(Value::as_object);
    let (ips, fqdns) = (
        list.and_then(|l| l.get("ipAddresses")),
        list.and_then(|l| l.get("fqdns")),
    );
    Ok(ThreatIntel {
        mode,
        allow_addresses: at.addresses("threatIntelWhitelist.ipAddresses", ips)?,
        allow_fqdns: at.names("threatIntelWhitelist.fqdns", fqdns)?,
    })
}

/// A boolean written as one or as `"true"`/`"false"`.
fn boolean(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn policy(o: &Obj) -> Result<Policy, FirewallError> {
    let name = o.name("(unnamed policy)");
    let at = At::default().inner("firewall policy", &name);
    let id_of = |v: &Value| v.get("id").and_then(Value::as_str).map(clean);
    let group_ids = match o.get("ruleCollectionGroups") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().filter_map(id_of).collect(),
        Some(other) => {
            return Err(at.err(format!(
                "ruleCollectionGroups is {}, not a list",
                kind(other)
            )));
        }
    };
    let dns = o.get("dnsSettings");
    Ok(Policy {
        threat_intel: threat_intel(o, &at)?,
        dns_proxy: boolean(dns.and_then(|d| d.get("enableProxy"))),
        tls_inspection_ca: o
            .get("transportSecurity")
            .and_then(|t| t.get("certificateAuthority"))
            .is_some_and(|c| !c.is_null()),
        base: o.get("basePolicy").and_then(id_of),
        id: o.id(),
        name,
        group_ids,
    })
}

fn group(o: &Obj) -> Result<Group, FirewallError> {
    let name = o.name("(unnamed rule collection group)");
    let at = At::default().inner("rule collection group", &name);
    let list = match o.get("ruleCollections") {
        None => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(other) => {
            return Err(at.err(format!("ruleCollections is {}, not a list", kind(other))));
        }
    };
    let collections = list
        .into_iter()
        .enumerate()
        .map(|(i, c)| policy_collection(c, i, &at))
        .collect::<Result<_, _>>()?;
    Ok(Group {
        priority: at.priority(o.get("priority"))?,
        id: o.id(),
        name,
        collections,
    })
}

/// The rule list of a collection, as objects.
fn rule_list<'a>(o: &Obj<'a>, at: &At) -> Result<Vec<&'a Map<String, Value>>, FirewallError> {
    match o.get("rules") {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|r| {
                r.as_object()
                    .ok_or_else(|| at.err(format!("a rule is {}, not a rule object", kind(r))))
            })
            .collect(),
        Some(other) => Err(at.err(format!("rules is {}, not a list", kind(other)))),
    }
}

fn policy_collection(c: &Value, i: usize, at: &At) -> Result<Collection, FirewallError> {
    let Some(m) = c.as_object() else {
        return Err(at.err(format!("rule collection #{} is {}", i + 1, kind(c))));
    };
    let o = Obj::new(m);
    let name = o.name(&format!("#{}", i + 1));
    let at = at.inner("rule collection", &name);
    let ty = o
        .get("ruleCollectionType")
        .and_then(Value::as_str)
        .unwrap_or("");
    let nat = match ty.to_ascii_lowercase().as_str() {
        "firewallpolicynatrulecollection" => true,
        "firewallpolicyfilterrulecollection" | "firewallpolicyfilterrule" => false,
        _ => return Err(at.err(format!("unknown ruleCollectionType \"{}\"", clean(ty)))),
    };
    let action = if nat {
        Action::Dnat
    } else {
        at.action(o.get("action"))?
    };
    let rules = rule_list(&o, &at)?
        .into_iter()
        .enumerate()
        .map(|(j, r)| policy_rule(&Obj::new(r), j, nat, &at))
        .collect::<Result<_, _>>()?;
    Ok(Collection {
        priority: at.priority(o.get("priority"))?,
        name,
        action,
        rules,
    })
}

fn policy_rule(o: &Obj, j: usize, nat: bool, at: &At) -> Result<Rule, FirewallError> {
    let name = o.name(&format!("#{}", j + 1));
    let at = at.inner("rule", &name);
    let ty = o
        .get("ruleType")
        .and_then(Value::as_str)
        .unwrap_or(if nat { "NatRule" } else { "" });
    let kind = match ty.to_ascii_lowercase().as_str() {
        "networkrule" => network_rule(o, &at, "ipProtocols")?,
        "applicationrule" => application_rule(o, &at)?,
        "natrule" => nat_rule(o, &at, "ipProtocols")?,
        _ => return Err(at.err(format!("unknown ruleType \"{}\"", clean(ty)))),
    };
    Ok(Rule { name, kind })
}

fn network_rule(o: &Obj, at: &At, protocols: &str) -> Result<RuleKind, FirewallError> {
    Ok(RuleKind::Network {
        protocols: at.ip_protocols(o.get(protocols))?,
        sources: at.addresses("sourceAddresses", o.get("sourceAddresses"))?,
        source_groups: at.strings("sourceIpGroups", o.get("sourceIpGroups"))?,
        destinations: at.addresses("destinationAddresses", o.get("destinationAddresses"))?,
        destination_groups: at.strings("destinationIpGroups", o.get("destinationIpGroups"))?,
        fqdns: at.names("destinationFqdns", o.get("destinationFqdns"))?,
        ports: at.ports(o.get("destinationPorts"))?,
    })
}

fn nat_rule(o: &Obj, at: &At, protocols: &str) -> Result<RuleKind, FirewallError> {
    Ok(RuleKind::Nat {
        protocols: at.ip_protocols(o.get(protocols))?,
        sources: at.addresses("sourceAddresses", o.get("sourceAddresses"))?,
        source_groups: at.strings("sourceIpGroups", o.get("sourceIpGroups"))?,
        destinations: at.addresses("destinationAddresses", o.get("destinationAddresses"))?,
        ports: at.ports(o.get("destinationPorts"))?,
    })
}

fn application_rule(o: &Obj, at: &At) -> Result<RuleKind, FirewallError> {
    Ok(RuleKind::Application {
        protocols: at.app_protocols(o.get("protocols"))?,
        sources: at.addresses("sourceAddresses", o.get("sourceAddresses"))?,
        source_groups: at.strings("sourceIpGroups", o.get("sourceIpGroups"))?,
        targets: at.names("targetFqdns", o.get("targetFqdns"))?,
        urls: at.names("targetUrls", o.get("targetUrls"))?,
        fqdn_tags: at.strings("fqdnTags", o.get("fqdnTags"))?,
        web_categories: at.strings("webCategories", o.get("webCategories"))?,
        destinations: at.addresses("destinationAddresses", o.get("destinationAddresses"))?,
        terminate_tls: boolean(o.get("terminateTLS")).unwrap_or(false),
    })
}

fn firewall(o: &Obj) -> Result<Firewall, FirewallError> {
    let name = o.name("(unnamed firewall)");
    let at = At::default().inner("firewall", &name);
    let mut private_addresses = Vec::new();
    let mut address = |v: Option<&Value>| -> Result<(), FirewallError> {
        if let Some(v) = v {
            let t = v.as_str().unwrap_or("");
            let ip = t.trim().parse().map_err(|_| {
                at.err(format!(
                    "privateIPAddress \"{}\" is not an address",
                    clean(t)
                ))
            })?;
            private_addresses.push(ip);
        }
        Ok(())
    };
    if let Some(list) = o.get("ipConfigurations").and_then(Value::as_array) {
        for c in list.iter().filter_map(Value::as_object) {
            address(Obj::new(c).get("privateIPAddress"))?;
        }
    }
    address(
        o.get("hubIPAddresses")
            .and_then(|h| h.get("privateIPAddress")),
    )?;
    let extra = o.get("additionalProperties");
    let extra = |k: &str| extra.and_then(|e| e.get(k));
    let mut threat_intel = threat_intel(o, &at)?;
    for (key, names) in [
        ("ThreatIntel.Whitelist.IpAddresses", false),
        ("ThreatIntel.Whitelist.FQDNs", true),
    ] {
        let list: Vec<String> = at
            .strings(key, extra(key))?
            .iter()
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if names {
            threat_intel
                .allow_fqdns
                .extend(list.iter().map(|s| s.to_ascii_lowercase()));
        } else {
            threat_intel
                .allow_addresses
                .extend(list.iter().map(|s| Addr::parse(s)));
        }
    }
    Ok(Firewall {
        dns_proxy: boolean(extra("Network.DNS.EnableProxy")).or(boolean(extra("DNSEnableProxy"))),
        policy: o
            .get("firewallPolicy")
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
            .map(clean),
        collections: classic_collections(o, &at)?,
        id: o.id(),
        name,
        private_addresses,
        threat_intel,
    })
}

/// Classic rule collections: NAT, network, application.
fn classic_collections(o: &Obj, at: &At) -> Result<Vec<Collection>, FirewallError> {
    let mut out = Vec::new();
    for (key, what) in [
        ("natRuleCollections", "NAT rule collection"),
        ("networkRuleCollections", "network rule collection"),
        ("applicationRuleCollections", "application rule collection"),
    ] {
        let list = match o.get(key) {
            None => continue,
            Some(Value::Array(a)) => a,
            Some(other) => return Err(at.err(format!("{key} is {}, not a list", kind(other)))),
        };
        for (i, c) in list.iter().enumerate() {
            let Some(m) = c.as_object() else {
                return Err(at.err(format!("{what} #{} is {}", i + 1, kind(c))));
            };
            let c = Obj::new(m);
            let name = c.name(&format!("#{}", i + 1));
            let at = at.inner(what, &name);
            let action = at.action(c.get("action"))?;
            let rules = rule_list(&c, &at)?
                .into_iter()
                .enumerate()
                .map(|(j, r)| {
                    let r = Obj::new(r);
                    let rule_name = r.name(&format!("#{}", j + 1));
                    let at = at.inner("rule", &rule_name);
                    let kind = match key {
                        "natRuleCollections" => nat_rule(&r, &at, "protocols")?,
                        "networkRuleCollections" => network_rule(&r, &at, "protocols")?,
                        _ => application_rule(&r, &at)?,
                    };
                    Ok(Rule {
                        name: rule_name,
                        kind,
                    })
                })
                .collect::<Result<_, FirewallError>>()?;
            out.push(Collection {
                priority: at.priority(c.get("priority"))?,
                name,
                action,
                rules,
            });
        }
    }
    Ok(out)
}

fn ip_group(o: &Obj) -> Result<IpGroup, FirewallError> {
    let name = o.name("(unnamed IP group)");
    let at = At::default().inner("IP group", &name);
    Ok(IpGroup {
        addresses: at.addresses("ipAddresses", o.get("ipAddresses"))?,
        id: o.id(),
        name,
    })
}
