//! Reading the route exports: the REST bodies (`properties` nested) and the
//! flattened form `az` prints (`routes[]` with the fields next to `name`), a
//! `value` wrapper, a bare array, and `az network route-table list` output.
//! Every string kept passes the one sanitiser.

use super::{Destination, Route, State};
use crate::azure::address::Block;
use crate::azure::json::{self, DuplicateKey};
use crate::model::{NextHop, RouteSource, TagName};
use crate::sanitize::for_terminal;
use serde::Deserialize;
use serde_json::Value;

/// Why an export could not be read. `Display` is one line; the caller adds the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoutesError {
    /// Not JSON at all.
    #[error("not JSON ({0})")]
    Json(String),
    /// A key written twice in one object, at any depth: `az` never writes
    /// one twice, and which value Azure holds cannot be told.
    #[error("{0}; export the file again with `az`")]
    Duplicate(DuplicateKey),
    /// JSON, but not one of the shapes read here.
    #[error(
        "expected the output of `az network nic show-effective-route-table` (value[].addressPrefix) or `az network route-table show` (properties.routes), found {0}"
    )]
    Shape(String),
    /// A route with a missing or unreadable field.
    #[error("route \"{route}\": {what}")]
    Route {
        /// The route's name, or its position.
        route: String,
        /// What is wrong with it.
        what: String,
    },
}

/// Reads either export; see the module documentation for the shapes.
pub fn parse_routes(json: &str) -> Result<Vec<Route>, RoutesError> {
    let v: Value = json::parse(json).map_err(|e| match e {
        json::Error::Syntax(e) => RoutesError::Json(e.to_string()),
        json::Error::Duplicate(d) => RoutesError::Duplicate(d),
    })?;
    let shape = |v: &Value| RoutesError::Shape(kind(v));
    // A route table: its routes; else a list of routes (or of route tables).
    if let Some(routes) = table_routes(&v) {
        return routes_of(routes, true);
    }
    let list = match &v {
        Value::Array(a) => a,
        Value::Object(o) => o
            .get("value")
            .and_then(Value::as_array)
            .ok_or_else(|| shape(&v))?,
        _ => return Err(shape(&v)),
    };
    if !list.is_empty() && list.iter().all(|t| table_routes(t).is_some()) {
        let mut out = Vec::new();
        for t in list {
            out.extend(routes_of(table_routes(t).unwrap_or(&Value::Null), true)?);
        }
        return Ok(out);
    }
    routes_in(list, false)
}

fn table_routes(v: &Value) -> Option<&Value> {
    let o = v.as_object()?;
    o.get("properties")
        .and_then(|p| p.get("routes"))
        .or_else(|| o.get("routes"))
        .filter(|r| r.is_array())
}

fn kind(v: &Value) -> String {
    crate::azure::json_kind(v, "routes")
}

/// A string or a list of strings (`addressPrefix` is a list in effective routes, a string
/// in route tables; likewise `nextHopIpAddress`).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoute {
    name: Option<String>,
    properties: Option<Box<RawRoute>>,
    source: Option<String>,
    state: Option<String>,
    address_prefix: Option<OneOrMany>,
    next_hop_type: Option<String>,
    next_hop_ip_address: Option<OneOrMany>,
}

fn routes_of(v: &Value, from_table: bool) -> Result<Vec<Route>, RoutesError> {
    let list = v.as_array().ok_or_else(|| RoutesError::Shape(kind(v)))?;
    routes_in(list, from_table)
}

fn routes_in(list: &[Value], from_table: bool) -> Result<Vec<Route>, RoutesError> {
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        if !item.is_object() {
            return Err(RoutesError::Shape(format!(
                "{} in the route list",
                kind(item)
            )));
        }
        let raw = RawRoute::deserialize(item).map_err(|e| RoutesError::Route {
            route: item
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{}", i + 1), for_terminal),
            what: for_terminal(&e.to_string()),
        })?;
        out.push(convert(raw, i, from_table)?);
    }
    Ok(out)
}

fn convert(outer: RawRoute, i: usize, from_table: bool) -> Result<Route, RoutesError> {
    let name = outer.name.as_deref().map(for_terminal);
    let label = name.clone().unwrap_or_else(|| format!("#{}", i + 1));
    let r = match outer.properties {
        Some(p) => *p,
        None => outer,
    };
    let err = |what: String| RoutesError::Route {
        route: label.clone(),
        what,
    };
    let prefixes: Vec<Destination> = r
        .address_prefix
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .iter()
        .map(|t| match Block::parse_lenient(t) {
            Some(b) => Destination::Block(b),
            None => Destination::Tag(TagName::new(for_terminal(t))),
        })
        .collect();
    if prefixes.is_empty() {
        return Err(err("no addressPrefix".into()));
    }
    let next_hop = match r.next_hop_type.as_deref() {
        None => return Err(err("no nextHopType".into())),
        Some(t) => NextHop::parse(&for_terminal(t)),
    };
    let source = match r.source.as_deref() {
        None if from_table => RouteSource::User,
        None => return Err(err("no source".into())),
        Some(s) => RouteSource::parse(&for_terminal(s)),
    };
    let state = match r.state.as_deref() {
        None if from_table => State::Active,
        None => return Err(err("no state".into())),
        Some(s) if s.eq_ignore_ascii_case("active") => State::Active,
        Some(s) if s.eq_ignore_ascii_case("invalid") => State::Invalid,
        Some(s) => {
            return Err(err(format!(
                "state \"{}\" is neither Active nor Invalid",
                for_terminal(s)
            )));
        }
    };
    Ok(Route {
        name,
        source,
        state,
        prefixes,
        next_hop,
        next_hop_addresses: r
            .next_hop_ip_address
            .map(OneOrMany::into_vec)
            .unwrap_or_default()
            .iter()
            .map(|a| for_terminal(a))
            .collect(),
        from_table,
        assumed: false,
    })
}
