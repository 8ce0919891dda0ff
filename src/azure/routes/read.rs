//! Reading the route exports: the REST bodies (`properties` nested) and the
//! flattened form `az` prints (`routes[]` with the fields next to `name`), a
//! `value` wrapper, a bare array, and `az network route-table list` output.
//! Every string kept passes the one sanitiser.

use super::{Destination, Route, State};
use crate::azure::address::Block;
use crate::azure::json::{self, DuplicateKey};
use crate::model::{NextHop, RouteOrigin, RouteSource, TagName};
use crate::sanitize::for_terminal;
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::HashSet;

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
///
/// The document is streamed: the route lists (`value`, `routes`,
/// `properties.routes`, a top-level array) are converted an element at a
/// time, each element read as a small strict [`Value`] and dropped, so an
/// export of 700,000 routes is never held as one `Value` (about five times
/// its size). What an element cannot be is kept in its place and told in
/// the order the whole document would tell it.
pub fn parse_routes(text: &str) -> Result<Vec<Route>, RoutesError> {
    let noted = json::Noted::default();
    let mut de = serde_json::Deserializer::from_str(text);
    let doc = DocSeed(&noted)
        .deserialize(&mut de)
        .and_then(|d| de.end().map(|()| d))
        .map_err(|e| match json::streamed_error(e, noted) {
            json::Error::Syntax(e) => RoutesError::Json(e.to_string()),
            json::Error::Duplicate(d) => RoutesError::Duplicate(d),
        })?;
    doc.routes()
}

/// What a document held, as it streamed by.
enum Doc {
    /// A top-level array: routes, or route tables.
    List(Vec<Elem>),
    /// A top-level object: a route table, or a `value` wrapper.
    Object(Top),
    /// Anything else, by its kind.
    Other(String),
}

/// The keys of a top-level object that can hold routes.
#[derive(Default)]
struct Top {
    /// `properties.routes`, when `properties` is an object holding it.
    props_routes: Option<Slot<Result<Route, RoutesError>>>,
    /// `routes` (the flattened route table `az` prints).
    routes: Option<Slot<Result<Route, RoutesError>>>,
    /// `value` (the effective routes, or `route-table list` wrapped).
    value: Option<Slot<Elem>>,
}

/// What a key held: the elements of an array, read as they came, or the
/// kind of anything else.
enum Slot<T> {
    List(Vec<T>),
    Other(String),
}

/// One element of a list of routes or of route tables, read both ways.
struct Elem {
    /// Its routes, when it is a route table.
    table: Option<Result<Vec<Route>, RoutesError>>,
    /// It, as a route.
    route: Result<Route, RoutesError>,
}

impl Elem {
    fn new(item: Value, i: usize) -> Elem {
        Elem {
            table: table_routes(&item).map(|r| routes_of(r, RouteOrigin::Table)),
            route: route_item(&item, i, RouteOrigin::Effective),
        }
    }
}

impl Doc {
    /// The routes: a route table's, else those of a list of route tables,
    /// else a list of routes.
    fn routes(self) -> Result<Vec<Route>, RoutesError> {
        let list = match self {
            Doc::Other(kind) => return Err(RoutesError::Shape(kind)),
            Doc::List(list) => list,
            Doc::Object(top) => {
                // `properties.routes` when there, else `routes`: a table
                // when that is an array.
                if let Some(Slot::List(routes)) = top.props_routes.or(top.routes) {
                    return routes.into_iter().collect();
                }
                match top.value {
                    Some(Slot::List(list)) => list,
                    _ => return Err(RoutesError::Shape("an object without routes".into())),
                }
            }
        };
        if !list.is_empty() && list.iter().all(|e| e.table.is_some()) {
            let mut out = Vec::new();
            for e in list {
                out.extend(e.table.unwrap_or_else(|| Ok(Vec::new()))?);
            }
            return Ok(out);
        }
        list.into_iter().map(|e| e.route).collect()
    }
}

/// The visitor methods of a value that is neither an array nor an object:
/// `$other` of its kind.
macro_rules! scalars {
    ($other:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($other("a boolean"))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($other("a number"))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($other("a number"))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($other("a number"))
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($other("a string"))
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($other("null"))
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok($other("null"))
        }
    };
}

/// The whole document.
struct DocSeed<'a>(&'a json::Noted);

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = Doc;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Doc, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = Doc;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("route export")
    }

    scalars!(|k: &str| Doc::Other(k.into()));

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Doc, A::Error> {
        match ListSeed::new(self.0, Elem::new).visit_seq(seq)? {
            Slot::List(list) => Ok(Doc::List(list)),
            Slot::Other(kind) => Ok(Doc::Other(kind)),
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut top = Top::default();
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(json::repeated(self.0, key));
            }
            match key.as_str() {
                "value" => top.value = Some(map.next_value_seed(ListSeed::new(self.0, Elem::new))?),
                "routes" => {
                    top.routes = Some(map.next_value_seed(ListSeed::new(self.0, table_item))?)
                }
                "properties" => top.props_routes = map.next_value_seed(PropsSeed(self.0))?,
                _ => drop(map.next_value_seed(json::strict(self.0))?),
            }
        }
        Ok(Doc::Object(top))
    }
}

/// A route of a route table, from the `i`-th element of its list.
fn table_item(item: Value, i: usize) -> Result<Route, RoutesError> {
    route_item(&item, i, RouteOrigin::Table)
}

/// An array streamed element by element through `each`; anything else read
/// whole (a repeated key is still refused) and kept as its kind.
struct ListSeed<'a, F> {
    noted: &'a json::Noted,
    each: F,
}

impl<'a, T, F: FnMut(Value, usize) -> T> ListSeed<'a, F> {
    fn new(noted: &'a json::Noted, each: F) -> Self {
        ListSeed { noted, each }
    }
}

impl<'de, T, F: FnMut(Value, usize) -> T> DeserializeSeed<'de> for ListSeed<'_, F> {
    type Value = Slot<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Slot<T>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T, F: FnMut(Value, usize) -> T> Visitor<'de> for ListSeed<'_, F> {
    type Value = Slot<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a list of routes")
    }

    scalars!(|k: &str| Slot::Other(k.into()));

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Slot<T>, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element_seed(json::strict(self.noted))? {
            out.push((self.each)(item, out.len()));
        }
        Ok(Slot::List(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Slot<T>, A::Error> {
        let v = json::strict(self.noted).visit_map(map)?;
        Ok(Slot::Other(kind(&v)))
    }
}

/// A top-level `properties`: its `routes` when it is an object holding them.
struct PropsSeed<'a>(&'a json::Noted);

impl<'de> DeserializeSeed<'de> for PropsSeed<'_> {
    type Value = Option<Slot<Result<Route, RoutesError>>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PropsSeed<'_> {
    type Value = Option<Slot<Result<Route, RoutesError>>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a route table's properties")
    }

    scalars!(|_: &str| None);

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        json::strict(self.0).visit_seq(seq)?;
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut routes = None;
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(json::repeated(self.0, key));
            }
            if key == "routes" {
                routes = Some(map.next_value_seed(ListSeed::new(self.0, table_item))?);
            } else {
                drop(map.next_value_seed(json::strict(self.0))?);
            }
        }
        Ok(routes)
    }
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

fn routes_of(v: &Value, origin: RouteOrigin) -> Result<Vec<Route>, RoutesError> {
    let list = v.as_array().ok_or_else(|| RoutesError::Shape(kind(v)))?;
    routes_in(list, origin)
}

fn routes_in(list: &[Value], origin: RouteOrigin) -> Result<Vec<Route>, RoutesError> {
    list.iter()
        .enumerate()
        .map(|(i, item)| route_item(item, i, origin))
        .collect()
}

/// The `i`-th element of a route list, as a route.
fn route_item(item: &Value, i: usize, origin: RouteOrigin) -> Result<Route, RoutesError> {
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
    convert(raw, i, origin)
}

fn convert(outer: RawRoute, i: usize, origin: RouteOrigin) -> Result<Route, RoutesError> {
    let name = outer.name.as_deref().map(for_terminal);
    let label = name.clone().unwrap_or_else(|| format!("#{}", i + 1));
    let r = match outer.properties {
        Some(p) => *p,
        None => outer,
    };
    let from_table = origin == RouteOrigin::Table;
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
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reading before the lists were streamed: the whole document as
    /// one value, then the same decisions.
    fn whole(text: &str) -> Result<Vec<Route>, RoutesError> {
        let v = json::parse(text).map_err(|e| match e {
            json::Error::Syntax(e) => RoutesError::Json(e.to_string()),
            json::Error::Duplicate(d) => RoutesError::Duplicate(d),
        })?;
        if let Some(routes) = table_routes(&v) {
            return routes_of(routes, RouteOrigin::Table);
        }
        let list = match &v {
            Value::Array(a) => a,
            Value::Object(o) => o
                .get("value")
                .and_then(Value::as_array)
                .ok_or_else(|| RoutesError::Shape(kind(&v)))?,
            _ => return Err(RoutesError::Shape(kind(&v))),
        };
        if !list.is_empty() && list.iter().all(|t| table_routes(t).is_some()) {
            let mut out = Vec::new();
            for t in list {
                out.extend(routes_of(
                    table_routes(t).unwrap_or(&Value::Null),
                    RouteOrigin::Table,
                )?);
            }
            return Ok(out);
        }
        routes_in(list, RouteOrigin::Effective)
    }

    #[test]
    fn streamed_lists_read_as_the_whole_document_does() {
        let route = r#"{"name": "r1", "source": "User", "state": "Active", "addressPrefix": ["10.0.0.0/8"], "nextHopType": "VirtualAppliance", "nextHopIpAddress": ["10.1.0.4"]}"#;
        let bad = r#"{"name": "r2", "source": "User", "state": "Active", "nextHopType": "None"}"#;
        let user = r#"{"name": "u1", "properties": {"addressPrefix": "0.0.0.0/0", "nextHopType": "Internet"}}"#;
        let table = format!(r#"{{"name": "rt", "properties": {{"routes": [{user}]}}}}"#);
        let flat = format!(r#"{{"name": "rt2", "routes": [{user}, {user}]}}"#);
        let cases = [
            format!(r#"{{"value": [{route}, {route}]}}"#),
            format!("[{route}]"),
            format!(r#"{{"value": [{route}, {bad}, 7]}}"#),
            format!(r#"{{"value": [7, {bad}]}}"#),
            format!(r#"{{"value": [{table}, {flat}]}}"#),
            format!("[{table}, {route}]"),
            format!("[{route}, {table}]"),
            format!(r#"[{table}, {{"name": "rt3", "routes": [{bad}]}}]"#),
            table.clone(),
            flat.clone(),
            format!(r#"{{"properties": {{"routes": 5}}, "routes": [{user}], "value": [{route}]}}"#),
            format!(r#"{{"properties": 5, "routes": [{user}]}}"#),
            format!(r#"{{"properties": {{"x": [1]}}, "value": [{route}]}}"#),
            format!(r#"{{"routes": {{"a": 1}}, "value": [{route}]}}"#),
            r#"{"value": {"a": [1]}}"#.to_string(),
            r#"{"value": []}"#.to_string(),
            "[]".to_string(),
            "[[1]]".to_string(),
            r#""routes""#.to_string(),
            "null".to_string(),
            "{}".to_string(),
            format!(r#"{{"value": [{route}], "value": []}}"#),
            r#"{"value": [{"name": "a", "name": "b"}]}"#.to_string(),
            r#"{"properties": {"routes": [], "routes": []}}"#.to_string(),
            format!(r#"{{"value": [{route}, ]}}"#),
        ];
        for text in &cases {
            assert_eq!(parse_routes(text), whole(text), "{text}");
        }
        assert_eq!(parse_routes(&cases[4]).unwrap().len(), 3);
    }
}
