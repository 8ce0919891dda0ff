//! Azure knowledge, with no packets: service tags, the endpoint catalog
//! of Site Recovery, regions, and the NSG rules, routes and firewall rules
//! an admin exports.

pub(crate) mod address;
pub(crate) mod churn;
pub(crate) mod clouds;
pub mod endpoint_policy;
pub(crate) mod endpoints;
pub mod firewall;
pub(crate) mod json;
pub mod kind;
pub mod nsg;
pub mod outbound;
pub(crate) mod pki;
pub mod placement;
pub(crate) mod platform;
pub(crate) mod privatelink;
pub(crate) mod regions;
pub mod routes;
pub mod tags;

/// The VM's network configuration as exported by `az`, indexed once: its
/// effective (or one) NSGs, its routes, and the firewalls in its path.
/// Empty when none was given.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// NSGs (`az network nic list-effective-nsg`, `az network nsg show`).
    pub nsgs: nsg::Nsgs,
    /// Routes (`az network nic show-effective-route-table`, `az network
    /// route-table show`), completed with the system routes when only route
    /// tables were given.
    pub routes: routes::Routes,
    /// Azure Firewall policies, rule collection groups, firewalls and IP
    /// groups (the azure-firewall extension's `az network firewall …`).
    pub firewalls: firewall::Firewalls,
    /// Where the VM sits: its NIC, subnet and virtual network.
    pub placement: placement::Placement,
    /// Service endpoint policies (`az network service-endpoint policy show`).
    pub endpoint_policies: Vec<endpoint_policy::EndpointPolicy>,
    /// The exports read, with their kinds, for the report.
    pub exports: Vec<crate::model::ExportRead>,
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
            firewalls: firewall::Firewalls::default(),
            placement: placement::Placement::default(),
            endpoint_policies: Vec::new(),
            exports: Vec::new(),
        }
    }

    /// Adds the firewall exports read, indexed.
    pub fn with_firewalls(mut self, exports: firewall::Exports) -> Network {
        self.firewalls = firewall::Firewalls::new(exports);
        self
    }

    /// What the firewall a flow to `flow.destination` crosses does with it
    /// (`None` without firewall exports, or when its route leads to no
    /// appliance). The route is the one the route exports give.
    pub fn firewall_verdict(
        &self,
        flow: &firewall::Flow,
        route: Option<&crate::model::RouteVerdict>,
        tags: &dyn tags::TagSource,
    ) -> Option<crate::model::FirewallVerdict> {
        self.firewalls.verdict(flow, route, tags)
    }

    /// The way out of the VM's subnet for a flow to a public destination
    /// taking `route` (`None` without the VM's subnet among the exports).
    pub fn outbound_verdict(
        &self,
        route: Option<&crate::model::RouteVerdict>,
        dest: &outbound::Destination<'_>,
    ) -> Option<crate::model::OutboundVerdict> {
        outbound::verdict(&self.placement, route, !self.routes.is_empty(), dest)
    }

    /// What the service endpoint policies on the VM's subnet do with
    /// Storage traffic to `account` (`None` when none applies).
    pub fn endpoint_policy_verdict(
        &self,
        account: &endpoint_policy::Account<'_>,
    ) -> Option<crate::model::EndpointPolicyVerdict> {
        endpoint_policy::verdict(&self.placement, &self.endpoint_policies, account)
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
