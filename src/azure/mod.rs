//! Azure knowledge, with no packets: service tags, the endpoint catalog
//! of Site Recovery, regions, and the NSG rules, routes and firewall rules
//! an admin exports.

pub mod address;
pub mod churn;
pub mod clouds;
pub mod endpoints;
pub mod firewall;
pub mod json;
pub mod kind;
pub mod nsg;
pub mod platform;
pub mod privatelink;
pub mod regions;
pub mod routes;
pub mod tags;

/// The VM's network configuration as exported by `az`, indexed once: its
/// effective (or one) NSGs and its routes. Empty when none was given.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// NSGs (`az network nic list-effective-nsg`, `az network nsg show`).
    pub nsgs: nsg::Nsgs,
    /// Routes (`az network nic show-effective-route-table`, `az network
    /// route-table show`), completed with the system routes when only route
    /// tables were given.
    pub routes: routes::Routes,
}

impl Network {
    /// Indexes the exports read; routes naming service tags hold the tags'
    /// blocks from `tags`.
    pub fn new(
        nsgs: Vec<nsg::Nsg>,
        routes: Vec<routes::Route>,
        tags: &dyn tags::TagSource,
    ) -> Network {
        Network {
            nsgs: nsg::Nsgs::new(nsgs),
            routes: routes::Routes::new(routes, tags),
        }
    }

    /// What the NSGs do with an outbound flow (`None` without NSG exports).
    pub fn nsg_verdict(
        &self,
        flow: &nsg::Flow,
        tags: &dyn tags::TagSource,
    ) -> Option<crate::model::NsgVerdict> {
        (!self.nsgs.is_empty()).then(|| self.nsgs.evaluate(flow, tags))
    }

    /// The route to `ip` (`None` without route exports).
    pub fn route(
        &self,
        ip: std::net::IpAddr,
        tags: &dyn tags::TagSource,
    ) -> Option<crate::model::RouteVerdict> {
        if self.routes.is_empty() {
            return None;
        }
        self.routes.select(ip, tags)
    }
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
