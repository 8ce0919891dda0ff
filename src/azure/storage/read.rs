//! Reading `az storage account show` (and `list`): the REST body
//! (`properties` nested, `networkAcls`) and what `az` prints (`properties`
//! lifted, `networkRuleSet`), a `value` wrapper, a bare array.

use super::{Account, PrivateEndpoint, PublicAccess, VnetRule};
use crate::azure::json::field as get;
use crate::azure::json::{self, DuplicateKey};
use crate::azure::placement::ResourceId;
use crate::sanitize::for_terminal;
use serde_json::{Map, Value};

/// Why an export could not be read. `Display` is one line; the caller adds
/// the file name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    /// Not JSON at all.
    #[error("not JSON ({0})")]
    Json(String),
    /// A key written twice in one object, at any depth.
    #[error("{0}; export the file again with `az`")]
    Duplicate(DuplicateKey),
    /// JSON, but not a storage account.
    #[error("expected the output of `az storage account show`, found {0}")]
    Shape(String),
    /// A field unreadable; `at` names the account.
    #[error("storage account \"{at}\": {what}")]
    Field {
        /// The account.
        at: String,
        /// What is wrong.
        what: String,
    },
}

/// Reads the storage accounts of one file.
pub fn parse_storage_accounts(text: &str) -> Result<Vec<Account>, StorageError> {
    let v = json::parse(text).map_err(|e| match e {
        json::Error::Syntax(e) => StorageError::Json(e.to_string()),
        json::Error::Duplicate(d) => StorageError::Duplicate(d),
    })?;
    let Some(items) = json::items(&v) else {
        return Err(StorageError::Shape(kind(&v)));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(o) => account(o),
            other => Err(StorageError::Shape(format!("{} in the list", kind(other)))),
        })
        .collect()
}

fn kind(v: &Value) -> String {
    crate::azure::json_kind(v, "storage account properties")
}

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(for_terminal)
}

struct At(String);

impl At {
    fn err(&self, what: impl Into<String>) -> StorageError {
        StorageError::Field {
            at: self.0.clone(),
            what: what.into(),
        }
    }

    /// A list field: absent or null is empty.
    fn list<'a>(&self, label: &str, v: Option<&'a Value>) -> Result<&'a [Value], StorageError> {
        match v {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(other) => Err(self.err(format!("{label} is {}, not a list", kind(other)))),
        }
    }

    fn string(&self, label: &str, v: Option<&Value>) -> Result<Option<String>, StorageError> {
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(for_terminal(s))),
            Some(other) => Err(self.err(format!("{label} is {}, not a string", kind(other)))),
        }
    }
}

fn account(o: &Map<String, Value>) -> Result<Account, StorageError> {
    // Another resource with network ACLs (a key vault) is not an account.
    if let Some(t) = o.get("type").and_then(Value::as_str)
        && !t.eq_ignore_ascii_case("Microsoft.Storage/storageAccounts")
    {
        return Err(StorageError::Shape(format!(
            "a resource of type \"{}\"",
            for_terminal(t)
        )));
    }
    let id = text(o.get("id")).map(|i| ResourceId::new(&i));
    let name = text(o.get("name"))
        .or_else(|| id.as_ref().map(|i| i.name().to_string()))
        .ok_or_else(|| StorageError::Shape(kind(&Value::Object(o.clone()))))?;
    let at = At(name.clone());
    let public_access = match at
        .string("publicNetworkAccess", get(o, "publicNetworkAccess"))?
        .as_deref()
    {
        None => PublicAccess::Enabled,
        Some(s) if s.eq_ignore_ascii_case("Enabled") => PublicAccess::Enabled,
        Some(s) if s.eq_ignore_ascii_case("Disabled") => PublicAccess::Disabled,
        Some(s) if s.eq_ignore_ascii_case("SecuredByPerimeter") => PublicAccess::SecuredByPerimeter,
        Some(s) => {
            return Err(at.err(format!(
                "publicNetworkAccess \"{s}\" is not Enabled, Disabled or SecuredByPerimeter"
            )));
        }
    };
    let empty = Map::new();
    let acls = match get(o, "networkRuleSet").or_else(|| get(o, "networkAcls")) {
        None => &empty,
        Some(Value::Object(m)) => m,
        Some(other) => return Err(at.err(format!("networkRuleSet is {}", kind(other)))),
    };
    let default_deny = match at
        .string("defaultAction", acls.get("defaultAction"))?
        .as_deref()
    {
        None => false,
        Some(s) if s.eq_ignore_ascii_case("Allow") => false,
        Some(s) if s.eq_ignore_ascii_case("Deny") => true,
        Some(s) => return Err(at.err(format!("defaultAction \"{s}\" is not Allow or Deny"))),
    };
    let bypass = at
        .string("bypass", acls.get("bypass"))?
        .unwrap_or_default()
        .split(',')
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty())
        .collect();
    let location = text(get(o, "primaryLocation"))
        .or_else(|| text(o.get("location")))
        .map(|l| l.replace(' ', "").to_ascii_lowercase());
    let blob_host = text(get(o, "primaryEndpoints").and_then(|e| e.get("blob")))
        .and_then(|u| host_of(&u))
        .unwrap_or_else(|| format!("{}.blob.core.windows.net", name.to_ascii_lowercase()));
    let shared_key = match get(o, "allowSharedKeyAccess") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(other) => {
            return Err(at.err(format!(
                "allowSharedKeyAccess is {}, not true or false",
                kind(other)
            )));
        }
    };
    Ok(Account {
        vnet_rules: vnet_rules(&at, acls)?,
        ip_rules: ip_rules(&at, "ipRules", acls)?,
        ipv6_rules: ip_rules(&at, "ipv6Rules", acls)?,
        resource_rules: at
            .list("resourceAccessRules", acls.get("resourceAccessRules"))?
            .len(),
        private_endpoints: private_endpoints(&at, get(o, "privateEndpointConnections"))?,
        name,
        id,
        location,
        blob_host,
        public_access,
        default_deny,
        bypass,
        shared_key,
    })
}

/// The host of an endpoint URL (`https://acct.blob.core.windows.net/`).
fn host_of(url: &str) -> Option<String> {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let host = rest.split(['/', ':']).next()?.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn vnet_rules(at: &At, acls: &Map<String, Value>) -> Result<Vec<VnetRule>, StorageError> {
    at.list("virtualNetworkRules", acls.get("virtualNetworkRules"))?
        .iter()
        .map(|r| {
            let Value::Object(r) = r else {
                return Err(at.err(format!("virtualNetworkRules holds {}", kind(r))));
            };
            // `az` prints the client name; the REST body has `id`.
            let subnet = at
                .string(
                    "virtualNetworkResourceId",
                    r.get("virtualNetworkResourceId").or_else(|| r.get("id")),
                )?
                .ok_or_else(|| at.err("a virtual network rule has no virtualNetworkResourceId"))?;
            let action = at.string("action", r.get("action"))?;
            Ok(VnetRule {
                subnet: ResourceId::new(&subnet),
                allow: action.is_none_or(|a| a.eq_ignore_ascii_case("Allow")),
                state: at.string("state", r.get("state"))?,
            })
        })
        .collect()
}

fn ip_rules(at: &At, label: &str, acls: &Map<String, Value>) -> Result<Vec<String>, StorageError> {
    at.list(label, acls.get(label))?
        .iter()
        .map(|r| {
            let Value::Object(r) = r else {
                return Err(at.err(format!("{label} holds {}", kind(r))));
            };
            // `az` prints the client name; the REST body has `value`.
            at.string(
                "ipAddressOrRange",
                r.get("ipAddressOrRange").or_else(|| r.get("value")),
            )?
            .ok_or_else(|| at.err(format!("a rule of {label} has no ipAddressOrRange")))
        })
        .collect()
}

fn private_endpoints(at: &At, v: Option<&Value>) -> Result<Vec<PrivateEndpoint>, StorageError> {
    at.list("privateEndpointConnections", v)?
        .iter()
        .map(|c| {
            let Value::Object(c) = c else {
                return Err(at.err(format!("privateEndpointConnections holds {}", kind(c))));
            };
            let status = get(c, "privateLinkServiceConnectionState").and_then(|s| s.get("status"));
            Ok(PrivateEndpoint {
                id: text(get(c, "privateEndpoint").and_then(|p| p.get("id"))),
                approved: status
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.eq_ignore_ascii_case("Approved")),
            })
        })
        .collect()
}
