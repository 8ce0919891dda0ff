//! Azure knowledge, with no packets: service tags, the endpoint catalog
//! of Site Recovery, regions, and the NSG rules, routes and firewall rules
//! an admin exports.

pub(crate) mod address;
pub mod admin;
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
pub mod private_dns;
pub(crate) mod privatelink;
pub(crate) mod regions;
pub mod routes;
pub mod storage;
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
    /// The effective security admin rules of a Virtual Network Manager
    /// (`az network manager list-effective-security-admin-rule`, every
    /// page), evaluated before the NSGs.
    pub admin: admin::AdminRules,
    /// Where the VM sits: its NIC, subnet and virtual network.
    pub placement: placement::Placement,
    /// Storage accounts (`az storage account show`): the cache account's
    /// firewall.
    pub storage: Vec<storage::Account>,
    /// Private DNS zones, their virtual network links and A records.
    pub private_dns: private_dns::PrivateDns,
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
            admin: admin::AdminRules::default(),
            placement: placement::Placement::default(),
            storage: Vec::new(),
            private_dns: private_dns::PrivateDns::default(),
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

    /// What the cache account's firewall does with the VM's traffic to the
    /// account named `name` (the only account given, for a flow without a
    /// name); `None` without storage exports or when no account given is
    /// that one. The source storage sees follows from `private_endpoint`,
    /// the firewall's verdict and where the VM sits.
    pub fn storage_verdict(
        &self,
        name: Option<&str>,
        private_endpoint: bool,
        firewall: Option<&crate::model::FirewallVerdict>,
        vm_region: Option<&str>,
        seen: bool,
    ) -> Option<crate::model::StorageVerdict> {
        let (account, assumed) = storage::evaluate::account_for(&self.storage, name)?;
        let asked = storage::Asked {
            source: storage::source_of(private_endpoint, firewall, &self.placement),
            vm_region,
            seen,
        };
        let mut v = account.evaluate(&asked);
        if assumed {
            v.notes.push(crate::model::StorageNote::AccountAssumed);
        }
        Some(v)
    }

    /// Whether the private DNS zone Site Recovery needs for `endpoint` in
    /// `cloud` answers the VM, for `names` (the endpoint's names a capture
    /// saw). `None` without a private DNS export of that zone.
    pub fn dns_verdict(
        &self,
        endpoint: crate::model::EndpointId,
        cloud: crate::model::Cloud,
        names: &[&str],
    ) -> Option<crate::model::DnsVerdict> {
        self.private_dns
            .verdict(&self.placement, endpoint, cloud, names)
    }

    /// Adds the pages of effective security admin rules read.
    pub fn with_admin(mut self, pages: Vec<admin::Page>) -> Network {
        self.admin = admin::AdminRules::new(pages);
        self
    }

    /// What the security admin rules do with an outbound flow, before any
    /// NSG (`None` without their export).
    pub fn admin_verdict(
        &self,
        flow: &nsg::Flow,
        tags: &dyn tags::TagSource,
    ) -> Option<crate::model::AdminVerdict> {
        (!self.admin.is_empty()).then(|| self.admin.evaluate(flow, tags))
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
