//! Reading `az network service-endpoint policy show` (or `list`): the REST
//! body, `az`'s lifted shape (in each definition too), a bare array, the
//! `value` wrapper. Every string kept passes the one sanitiser.

use super::{Definition, EndpointPolicy};
use crate::azure::json::field as get;
use crate::azure::json::{self, DuplicateKey};
use crate::azure::placement::ResourceId;
use crate::sanitize::for_terminal;
use serde_json::Value;

/// Why a policy export could not be read; `Display` is one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointPolicyError {
    /// Not JSON at all.
    #[error("not JSON ({0})")]
    Json(String),
    /// A key written twice in one object.
    #[error("{0}; export the file again with `az`")]
    Duplicate(DuplicateKey),
    /// JSON, but not a policy.
    #[error("expected the output of `az network service-endpoint policy show`, found {0}")]
    Shape(String),
    /// A field unreadable.
    #[error("service endpoint policy \"{policy}\": {what}")]
    Field {
        /// The policy.
        policy: String,
        /// What is wrong.
        what: String,
    },
}

/// Reads the policies of one file.
pub fn parse_endpoint_policies(text: &str) -> Result<Vec<EndpointPolicy>, EndpointPolicyError> {
    let v = json::parse(text).map_err(|e| match e {
        json::Error::Syntax(e) => EndpointPolicyError::Json(e.to_string()),
        json::Error::Duplicate(d) => EndpointPolicyError::Duplicate(d),
    })?;
    let Some(items) = json::items(&v) else {
        return Err(EndpointPolicyError::Shape(shape(&v)));
    };
    items.into_iter().map(policy).collect()
}

fn shape(v: &Value) -> String {
    crate::azure::json_kind(v, "serviceEndpointPolicyDefinitions")
}

fn policy(item: &Value) -> Result<EndpointPolicy, EndpointPolicyError> {
    let Value::Object(o) = item else {
        return Err(EndpointPolicyError::Shape(format!(
            "{} in the list",
            shape(item)
        )));
    };
    let Some(defs) = get(o, "serviceEndpointPolicyDefinitions") else {
        return Err(EndpointPolicyError::Shape(shape(item)));
    };
    let id = match o.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => ResourceId::new(s),
        _ => {
            let name = o.get("name").and_then(Value::as_str).unwrap_or("unnamed");
            return Err(EndpointPolicyError::Field {
                policy: for_terminal(name),
                what: "no \"id\": export it again with `az network service-endpoint policy show`"
                    .into(),
            });
        }
    };
    let err = |what: &str| EndpointPolicyError::Field {
        policy: id.name().to_string(),
        what: what.to_string(),
    };
    let Value::Array(defs) = defs else {
        return Err(err("\"serviceEndpointPolicyDefinitions\" is not a list"));
    };
    let mut definitions = Vec::new();
    for d in defs {
        let Value::Object(d) = d else {
            return Err(err("a definition is not an object"));
        };
        let name = d.get("name").and_then(Value::as_str).unwrap_or("unnamed");
        let service = get(d, "service").and_then(Value::as_str).unwrap_or("");
        let resources = match get(d, "serviceResources") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|r| r.as_str().map(ResourceId::new))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| err("a service resource is not a string"))?,
            Some(_) => return Err(err("\"serviceResources\" is not a list")),
        };
        definitions.push(Definition {
            name: for_terminal(name),
            service: for_terminal(service),
            resources,
        });
    }
    Ok(EndpointPolicy { id, definitions })
}
