//! Azure knowledge, with no packets: service tags, the endpoint catalog
//! of Site Recovery, regions, and the NSG rules and routes an admin exports.

pub mod churn;
pub mod clouds;
pub mod endpoints;
pub mod nsg;
pub mod platform;
pub mod regions;
pub mod routes;
pub mod tags;

/// The VM's network configuration as exported by `az`: its effective (or
/// one) NSG rules and its effective routes. Empty when none was given.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// NSGs (`az network nic list-effective-nsg`, `az network nsg show`).
    pub nsgs: Vec<nsg::Nsg>,
    /// Routes (`az network nic show-effective-route-table`, `az network
    /// route-table show`).
    pub routes: Vec<routes::Route>,
}

/// What a JSON value is, for the one-line errors of the export readers: `null`,
/// `a number`…, and for an object `an object without {missing}`.
pub(crate) fn json_kind(v: &serde_json::Value, missing: &str) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => format!("an object without {missing}"),
    }
}
