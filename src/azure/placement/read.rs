//! Reading where the VM sits: `az network nic show`, `az network vnet
//! subnet show` and `az network vnet show` (and their `list`), as the REST
//! API returns them (`properties` nested) or as `az` prints them
//! (`properties` lifted), one object, a `value` wrapper or a bare array.
//! Every string kept passes the one sanitiser.

use super::{Nic, Placement, ResourceId, ServiceEndpoint, Subnet, Vnet};
use crate::azure::address::Block;
use crate::azure::json::{self, DuplicateKey};
use crate::azure::kind::{self, ExportKind};
use crate::sanitize::for_terminal;
use serde_json::{Map, Value};
use std::net::IpAddr;

/// Why a NIC, subnet or virtual network export could not be read.
/// `Display` is one line; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlacementError {
    /// Not JSON at all.
    #[error("not JSON ({0})")]
    Json(String),
    /// A key written twice in one object, at any depth.
    #[error("{0}; export the file again with `az`")]
    Duplicate(DuplicateKey),
    /// JSON, but not one of the shapes read here.
    #[error(
        "expected the output of `az network nic show`, `az network vnet subnet show` or `az network vnet show`, found {0}"
    )]
    Shape(String),
    /// A field unreadable; `at` names where.
    #[error("{at}: {what}")]
    Field {
        /// The resource it is in.
        at: String,
        /// What is wrong.
        what: String,
    },
    /// Two different network interfaces among the files given.
    #[error(
        "a second network interface, {second}, after {first}: give the one NIC of the VM whose replication is judged"
    )]
    TwoNics {
        /// The one read first.
        first: String,
        /// The other.
        second: String,
    },
}

/// Reads the NICs, subnets and virtual networks of one file. A file may
/// hold several NICs (a `list`); [`Placement::add`] refuses two different
/// ones.
pub fn parse_placement(text: &str) -> Result<(Vec<Nic>, Placement), PlacementError> {
    let v = json::parse(text).map_err(|e| match e {
        json::Error::Syntax(e) => PlacementError::Json(e.to_string()),
        json::Error::Duplicate(d) => PlacementError::Duplicate(d),
    })?;
    let Some(items) = json::items(&v) else {
        return Err(PlacementError::Shape(shape(&v)));
    };
    let mut nics = Vec::new();
    let mut out = Placement::default();
    for item in items {
        let Value::Object(o) = item else {
            return Err(PlacementError::Shape(format!(
                "{} in the list",
                shape(item)
            )));
        };
        let obj = Obj::new(o);
        let resource_type = o.get("type").and_then(Value::as_str);
        match kind::of(|k| obj.get(k).is_some(), resource_type) {
            Some(ExportKind::Nic) => nics.push(nic(&obj)?),
            Some(ExportKind::Subnet) => out.subnets.push(subnet(&obj)?),
            Some(ExportKind::Vnet) => {
                let (v, subnets) = vnet(&obj)?;
                out.vnets.push(v);
                out.subnets.extend(subnets);
            }
            _ => return Err(PlacementError::Shape(shape(item))),
        }
    }
    Ok((nics, out))
}

impl Placement {
    /// Adds what one file held: the NIC (a second, different one is
    /// refused), subnets and virtual networks appended (one given again,
    /// by the same id, replaced by the later).
    pub fn add(&mut self, nics: Vec<Nic>, more: Placement) -> Result<(), PlacementError> {
        for n in nics.into_iter().chain(more.nic) {
            match &self.nic {
                Some(first) if first.id != n.id => {
                    return Err(PlacementError::TwoNics {
                        first: first.id.as_str().to_string(),
                        second: n.id.as_str().to_string(),
                    });
                }
                _ => self.nic = Some(n),
            }
        }
        for s in more.subnets {
            self.subnets.retain(|x| x.id != s.id);
            self.subnets.push(s);
        }
        for v in more.vnets {
            self.vnets.retain(|x| x.id != v.id);
            self.vnets.push(v);
        }
        Ok(())
    }
}

fn shape(v: &Value) -> String {
    crate::azure::json_kind(v, "a network interface, subnet or virtual network")
}

/// An object of an export, with its `properties` (REST) looked in first.
struct Obj<'a> {
    top: &'a Map<String, Value>,
}

impl<'a> Obj<'a> {
    fn new(top: &'a Map<String, Value>) -> Obj<'a> {
        Obj { top }
    }

    /// A field, in `properties` or in the object; null is absent.
    fn get(&self, k: &str) -> Option<&'a Value> {
        json::field(self.top, k)
    }

    /// Where the object is, for errors: `subnet "default"`.
    fn at(&self, what: &str) -> String {
        let name = self
            .top
            .get("name")
            .and_then(Value::as_str)
            .map(for_terminal)
            .or_else(|| {
                self.id_text()
                    .map(|i| ResourceId::new(&i).name().to_string())
            })
            .unwrap_or_else(|| "unnamed".into());
        format!("{what} \"{name}\"")
    }

    fn id_text(&self) -> Option<String> {
        self.top
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
    }

    fn err(&self, what: &str, why: impl Into<String>) -> PlacementError {
        PlacementError::Field {
            at: self.at(what),
            what: why.into(),
        }
    }

    /// The object's `id`, required.
    fn id(&self, what: &str) -> Result<ResourceId, PlacementError> {
        match self.top.get("id") {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(ResourceId::new(s)),
            _ => Err(self.err(what, "no \"id\": export it again with `az … show`")),
        }
    }

    /// `key.id` (a reference to another resource), when given.
    fn reference(&self, key: &str, what: &str) -> Result<Option<ResourceId>, PlacementError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(o)) => match o.get("id") {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(ResourceId::new(s))),
                None | Some(Value::Null) => Ok(None),
                Some(_) => Err(self.err(what, format!("\"{key}.id\" is not a string"))),
            },
            Some(_) => Err(self.err(what, format!("\"{key}\" is not an object"))),
        }
    }

    fn bool(&self, key: &str, what: &str) -> Result<Option<bool>, PlacementError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.err(what, format!("\"{key}\" is not true or false"))),
        }
    }

    fn array(&self, key: &str, what: &str) -> Result<&'a [Value], PlacementError> {
        match self.get(key) {
            None => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(_) => Err(self.err(what, format!("\"{key}\" is not a list"))),
        }
    }
}

/// `dnsServers` under `key` (`dnsSettings`, `dhcpOptions`).
fn dns_servers(obj: &Obj<'_>, key: &str, what: &str) -> Result<Vec<IpAddr>, PlacementError> {
    let servers = match obj.get(key) {
        None => return Ok(Vec::new()),
        Some(Value::Object(o)) => match o.get("dnsServers") {
            None | Some(Value::Null) => return Ok(Vec::new()),
            Some(Value::Array(a)) => a,
            Some(_) => {
                return Err(obj.err(what, format!("\"{key}.dnsServers\" is not a list")));
            }
        },
        Some(_) => return Err(obj.err(what, format!("\"{key}\" is not an object"))),
    };
    servers
        .iter()
        .map(|s| {
            s.as_str()
                .and_then(|t| t.trim().parse::<IpAddr>().ok())
                .ok_or_else(|| {
                    obj.err(
                        what,
                        format!(
                            "\"{key}.dnsServers\" holds {}, not an IP address",
                            quoted(s)
                        ),
                    )
                })
        })
        .collect()
}

/// A value for a message: a string quoted and sanitised, else its kind.
fn quoted(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{}\"", for_terminal(s)),
        other => shape(other),
    }
}

fn nic(obj: &Obj<'_>) -> Result<Nic, PlacementError> {
    const WHAT: &str = "network interface";
    let id = obj.id(WHAT)?;
    let configs = obj.array("ipConfigurations", WHAT)?;
    let (mut primary, mut first) = (None, None);
    let mut private_ips = Vec::new();
    let mut primary_ip = None;
    let mut public_ip = None;
    for c in configs {
        let Value::Object(o) = c else {
            return Err(obj.err(WHAT, "an IP configuration is not an object"));
        };
        let c = Obj::new(o);
        const IPC: &str = "IP configuration";
        if let Some(a) = c.get("privateIPAddress") {
            // `172.20.2.16/28` is an IP configuration holding a prefix.
            let ip = a
                .as_str()
                .and_then(|t| t.split('/').next())
                .and_then(|t| t.trim().parse::<IpAddr>().ok())
                .ok_or_else(|| {
                    c.err(
                        IPC,
                        format!("\"privateIPAddress\" is {}, not an IP address", quoted(a)),
                    )
                })?;
            if c.bool("primary", IPC)? == Some(true) && primary_ip.is_none() {
                primary_ip = Some(ip);
            } else {
                private_ips.push(ip);
            }
        }
        if public_ip.is_none() {
            public_ip = c.reference("publicIPAddress", IPC)?;
        }
        let subnet = c.reference("subnet", IPC)?;
        // The primary configuration's subnet, else the first one's.
        if c.bool("primary", IPC)? == Some(true) && primary.is_none() {
            primary = Some(subnet);
        } else if first.is_none() {
            first = Some(subnet);
        }
    }
    let subnet = primary.or(first).flatten();
    // The primary configuration's address first: the VM's.
    private_ips.splice(0..0, primary_ip);
    Ok(Nic {
        id,
        subnet,
        private_ips,
        public_ip,
        dns_servers: dns_servers(obj, "dnsSettings", WHAT)?,
        default_outbound: obj.bool("defaultOutboundConnectivityEnabled", WHAT)?,
    })
}

fn subnet(obj: &Obj<'_>) -> Result<Subnet, PlacementError> {
    const WHAT: &str = "subnet";
    let id = obj.id(WHAT)?;
    let mut texts: Vec<&Value> = obj.get("addressPrefix").into_iter().collect();
    texts.extend(obj.array("addressPrefixes", WHAT)?);
    let mut prefixes = Vec::new();
    for t in texts {
        let b = t
            .as_str()
            .and_then(Block::parse_lenient)
            .ok_or_else(|| obj.err(WHAT, format!("{} is not an address prefix", quoted(t))))?;
        if !prefixes.contains(&b) {
            prefixes.push(b);
        }
    }
    let mut service_endpoints = Vec::new();
    for e in obj.array("serviceEndpoints", WHAT)? {
        let Value::Object(o) = e else {
            return Err(obj.err(WHAT, "a service endpoint is not an object"));
        };
        let e = Obj::new(o);
        let Some(service) = e.get("service").and_then(Value::as_str) else {
            return Err(obj.err(WHAT, "a service endpoint has no \"service\""));
        };
        let locations = e
            .array("locations", "service endpoint")?
            .iter()
            .map(|l| l.as_str().map(for_terminal))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| obj.err(WHAT, "a service endpoint's location is not a string"))?;
        service_endpoints.push(ServiceEndpoint {
            service: for_terminal(service),
            locations,
        });
    }
    let mut endpoint_policies = Vec::new();
    for p in obj.array("serviceEndpointPolicies", WHAT)? {
        match p.get("id").and_then(Value::as_str) {
            Some(s) if !s.trim().is_empty() => endpoint_policies.push(ResourceId::new(s)),
            _ => return Err(obj.err(WHAT, "a service endpoint policy has no \"id\"")),
        }
    }
    Ok(Subnet {
        id,
        prefixes,
        default_outbound_access: obj.bool("defaultOutboundAccess", WHAT)?,
        nat_gateway: obj.reference("natGateway", WHAT)?,
        service_endpoints,
        endpoint_policies,
        nsg: obj.reference("networkSecurityGroup", WHAT)?,
        route_table: obj.reference("routeTable", WHAT)?,
    })
}

fn vnet(obj: &Obj<'_>) -> Result<(Vnet, Vec<Subnet>), PlacementError> {
    const WHAT: &str = "virtual network";
    let id = obj.id(WHAT)?;
    let mut subnets = Vec::new();
    for s in obj.array("subnets", WHAT)? {
        let Value::Object(o) = s else {
            return Err(obj.err(WHAT, "a subnet is not an object"));
        };
        subnets.push(subnet(&Obj::new(o))?);
    }
    let v = Vnet {
        id,
        dns_servers: dns_servers(obj, "dhcpOptions", WHAT)?,
    };
    Ok((v, subnets))
}
