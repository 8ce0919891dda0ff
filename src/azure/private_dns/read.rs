//! Reading the private DNS exports: the REST bodies (`properties` nested)
//! and what `az` prints (`properties` lifted), a `value` wrapper, a bare
//! array (`list`). Every string kept passes the one sanitiser.

use super::{Link, PrivateDns, Record, Zone};
use crate::azure::json::field as prop;
use crate::azure::json::{self, DuplicateKey};
use crate::azure::placement::ResourceId;
use crate::model::ResolutionPolicy;
use crate::sanitize::for_terminal;
use serde_json::{Map, Value};

/// Why an export could not be read. `Display` is one line; the caller adds
/// the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivateDnsError {
    /// Not JSON at all.
    #[error("not JSON ({0})")]
    Json(String),
    /// A key written twice in one object, at any depth.
    #[error("{0}; export the file again with `az`")]
    Duplicate(DuplicateKey),
    /// JSON, but not one of the shapes read here.
    #[error(
        "expected the output of `az network private-dns zone show`, `az network private-dns link vnet list` or `az network private-dns record-set a list`, found {0}"
    )]
    Shape(String),
    /// A field missing or unreadable; `at` names where.
    #[error("{at}: {what}")]
    Field {
        /// The zone, link or record it is in.
        at: String,
        /// What is wrong.
        what: String,
    },
}

const ZONE_TYPE: &str = "Microsoft.Network/privateDnsZones";
const LINK_TYPE: &str = "Microsoft.Network/privateDnsZones/virtualNetworkLinks";

/// Reads private DNS zones, virtual network links and A record sets, in
/// any of their shapes, from one file.
pub fn parse_private_dns(text: &str) -> Result<PrivateDns, PrivateDnsError> {
    let v = json::parse(text).map_err(|e| match e {
        json::Error::Syntax(e) => PrivateDnsError::Json(e.to_string()),
        json::Error::Duplicate(d) => PrivateDnsError::Duplicate(d),
    })?;
    let Some(items) = json::items(&v) else {
        return Err(PrivateDnsError::Shape(crate::azure::json_kind(&v, "")));
    };
    let mut out = PrivateDns::default();
    for item in items {
        let Value::Object(o) = item else {
            return Err(PrivateDnsError::Shape(format!(
                "{} in the list",
                crate::azure::json_kind(item, "")
            )));
        };
        read_item(o, &mut out)?;
    }
    Ok(out)
}

fn text(o: &Map<String, Value>, key: &str) -> Option<String> {
    prop(o, key)
        .and_then(Value::as_str)
        .map(|s| for_terminal(s.trim()))
}

/// What one item of the file is, and where it goes.
fn read_item(o: &Map<String, Value>, out: &mut PrivateDns) -> Result<(), PrivateDnsError> {
    let t = o.get("type").and_then(Value::as_str).unwrap_or("");
    let record_type = t
        .get(..ZONE_TYPE.len() + 1)
        .filter(|p| p.eq_ignore_ascii_case(&format!("{ZONE_TYPE}/")))
        .map(|_| &t[ZONE_TYPE.len() + 1..])
        .filter(|r| !r.eq_ignore_ascii_case("virtualNetworkLinks"));
    if t.eq_ignore_ascii_case(LINK_TYPE) || prop(o, "virtualNetwork").is_some() {
        let link = read_link(o)?;
        if !out.link_lists.contains(&link.zone) {
            out.link_lists.push(link.zone.clone());
        }
        out.links.push(link);
    } else if record_type.is_some() || prop(o, "aRecords").is_some() {
        let a = prop(o, "aRecords").is_some()
            || record_type.is_some_and(|r| r.eq_ignore_ascii_case("A"));
        let record = read_record(o, a)?;
        if !out.record_lists.contains(&record.zone) {
            out.record_lists.push(record.zone.clone());
        }
        if a {
            out.records.push(record);
        }
    } else if t.eq_ignore_ascii_case(ZONE_TYPE)
        || prop(o, "numberOfVirtualNetworkLinks").is_some()
        || prop(o, "numberOfRecordSets").is_some()
    {
        out.zones.push(read_zone(o)?);
    } else {
        return Err(PrivateDnsError::Shape(crate::azure::json_kind(
            &Value::Object(o.clone()),
            "`virtualNetwork`, `aRecords` or `numberOfVirtualNetworkLinks`",
        )));
    }
    Ok(())
}

/// The zone and its resource group from an id (`…/privateDnsZones/<zone>/…`).
fn zone_of_id(id: Option<&str>) -> Option<(String, Option<String>)> {
    let id = ResourceId::new(id?);
    let zone = id.segment("privateDnsZones")?.to_ascii_lowercase();
    Some((zone, id.resource_group().map(str::to_string)))
}

fn field(at: &str, what: &str) -> PrivateDnsError {
    PrivateDnsError::Field {
        at: at.to_string(),
        what: what.to_string(),
    }
}

fn read_zone(o: &Map<String, Value>) -> Result<Zone, PrivateDnsError> {
    let id = text(o, "id");
    let name = text(o, "name")
        .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| field("a zone", "no `name`"))?;
    let count = |key: &str| -> Result<Option<u64>, PrivateDnsError> {
        match prop(o, key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| field(&format!("zone {name}"), &format!("`{key}` is not a count"))),
        }
    };
    Ok(Zone {
        resource_group: zone_of_id(id.as_deref()).and_then(|(_, g)| g),
        links: count("numberOfVirtualNetworkLinks")?,
        record_sets: count("numberOfRecordSets")?,
        name,
    })
}

fn read_link(o: &Map<String, Value>) -> Result<Link, PrivateDnsError> {
    let name = text(o, "name").unwrap_or_default();
    let at = format!("link {}", if name.is_empty() { "(no name)" } else { &name });
    let (zone, resource_group) = zone_of_id(text(o, "id").as_deref())
        .ok_or_else(|| field(&at, "no `id` naming its zone"))?;
    let vnet = match prop(o, "virtualNetwork") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.get("id")
                .and_then(Value::as_str)
                .map(ResourceId::new)
                .ok_or_else(|| field(&at, "`virtualNetwork` has no `id`"))?,
        ),
    };
    let policy = match text(o, "resolutionPolicy") {
        None => None,
        Some(p) if p.eq_ignore_ascii_case("Default") => Some(ResolutionPolicy::Default),
        Some(p) if p.eq_ignore_ascii_case("NxDomainRedirect") => {
            Some(ResolutionPolicy::NxDomainRedirect)
        }
        Some(p) => return Err(field(&at, &format!("unknown `resolutionPolicy` {p}"))),
    };
    let registration = match prop(o, "registrationEnabled") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(field(&at, "`registrationEnabled` is not a boolean")),
    };
    Ok(Link {
        zone,
        resource_group,
        name,
        vnet,
        registration,
        policy,
        state: text(o, "virtualNetworkLinkState"),
    })
}

fn read_record(o: &Map<String, Value>, a: bool) -> Result<Record, PrivateDnsError> {
    let name = text(o, "name")
        .map(|n| n.to_ascii_lowercase())
        .unwrap_or_default();
    let at = format!(
        "record {}",
        if name.is_empty() { "(no name)" } else { &name }
    );
    let from_fqdn = || {
        let fqdn = text(o, "fqdn")?.trim_end_matches('.').to_ascii_lowercase();
        let zone = fqdn.strip_prefix(&format!("{name}."))?.to_string();
        Some((zone, None))
    };
    let (zone, resource_group) = zone_of_id(text(o, "id").as_deref())
        .or_else(from_fqdn)
        .ok_or_else(|| field(&at, "no `id` or `fqdn` naming its zone"))?;
    let mut addresses = Vec::new();
    if a {
        let list = match prop(o, "aRecords") {
            None | Some(Value::Null) => &Vec::new(),
            Some(Value::Array(l)) => l,
            Some(_) => return Err(field(&at, "`aRecords` is not a list")),
        };
        for r in list {
            let ip = r
                .get("ipv4Address")
                .and_then(Value::as_str)
                .and_then(|s| s.trim().parse().ok())
                .ok_or_else(|| field(&at, "an A record without a valid `ipv4Address`"))?;
            addresses.push(ip);
        }
    }
    Ok(Record {
        zone,
        resource_group,
        name,
        addresses,
    })
}
