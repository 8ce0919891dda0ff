//! The analysis model every view reads: plain data with `serde::Serialize`,
//! filled by the layers below and read by the views above. It imports nothing
//! else of the crate but [`crate::dates`] (its times in RFC 3339), so that
//! any layer can produce or read it without a cycle.
//!
//! - [`codes`]: protocol code points (TLS versions, alert descriptions);
//! - [`flow`]: one [`FlowRecord`] per flow, with its handshake, health, TLS,
//!   proxy and tunnel facts;
//! - [`capture`]: what was read and the capture's own quality;
//! - [`dns`]: what happened to each name asked;
//! - [`network`]: Azure settings as data: clouds, tag names, next hops, and
//!   what the NSG and route exports say of a destination;
//! - [`storage`]: what the cache storage account's firewall says of the
//!   VM's traffic;
//! - [`private_dns`]: what the private DNS zone exports say of an
//!   endpoint's names (zone linked, records, the VM's DNS servers);
//! - [`admin`]: what a Virtual Network Manager's security admin rules say
//!   of a flow;
//! - [`verdict`]: a flow's verdict with its typed [`Cause`], and the
//!   [`Status`] it gives a requirement;
//! - [`evidence`]: what a finding rests on, as values (the upload, each
//!   VM's outcome);
//! - [`advice`]: typed fixes and finding kinds;
//! - [`diagnosis`]: the Site Recovery checklist, findings and fixes;
//! - [`configuration`]: the checklist judged from NSG and route exports
//!   alone, with its evidence and notes;
//! - [`requirements`]: Site Recovery's network requirements for a region
//!   pair, without a capture;
//! - [`bundle`]: a support bundle's manifest;
//! - [`snapshot`]: the whole offline [`Analysis`] and the live [`Snapshot`].
//!
//! Each file names only those listed before it (and the helpers here), so
//! that no two depend on each other. Times are µs since the Unix epoch and
//! serialise as RFC 3339 UTC.

/// Names of the unit enums whose one declaration of their names is their
/// `as_str`: the JSON serialises them through it
/// (`#[serde(into = "&'static str")]`), and the CSV and views print it.
/// Each file names its own, below its types.
macro_rules! named_by_as_str {
    ($($t:ty),* $(,)?) => {$(
        impl From<$t> for &'static str {
            fn from(v: $t) -> &'static str {
                v.as_str()
            }
        }
    )*};
}

/// `ALL`, every variant of a field-less enum in declaration order: the
/// JSON Schemas' lists of names (`docs/schema/`) are checked against it
/// (`tests/schema.rs`). A variant left out fails to compile: the match in
/// the guard is exhaustive.
macro_rules! every_variant {
    ($t:ident: $($v:ident),+ $(,)?) => {
        impl $t {
            /// Every variant, in declaration order (the JSON Schema's list
            /// of names is checked against it).
            pub const ALL: &'static [$t] = &[$($t::$v),+];
        }
        const _: () = {
            const fn listed(v: $t) {
                match v {
                    $($t::$v)|+ => {}
                }
            }
            listed($t::ALL[0]);
        };
    };
}

pub(crate) mod admin;
pub(crate) mod advice;
pub(crate) mod bundle;
pub(crate) mod capture;
pub(crate) mod codes;
pub(crate) mod configuration;
pub(crate) mod diagnosis;
pub(crate) mod dns;
pub(crate) mod endpoint_policy;
pub(crate) mod evidence;
pub(crate) mod flow;
pub(crate) mod network;
pub(crate) mod outbound;
pub(crate) mod private_dns;
pub(crate) mod requirements;
pub(crate) mod snapshot;
pub(crate) mod storage;
pub(crate) mod verdict;

pub use admin::*;
pub use advice::*;
pub use bundle::*;
pub use capture::*;
pub use codes::*;
pub use configuration::*;
pub use diagnosis::*;
pub use dns::*;
pub use endpoint_policy::*;
pub use evidence::*;
pub use flow::*;
pub use network::*;
pub use outbound::*;
pub use private_dns::*;
pub use snapshot::*;
pub use storage::*;
pub use verdict::*;

use serde::Serializer;

/// Version of the JSON layout; bumped on incompatible changes.
pub const SCHEMA_VERSION: u32 = 3;

/// Serialises µs since the epoch as RFC 3339.
pub fn ts<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::dates::rfc3339_us(*v))
}

/// Serialises an optional value as it displays, `-` when absent.
pub fn display_or_dash<T: std::fmt::Display, S: Serializer>(
    v: &Option<T>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.collect_str(v),
        None => s.serialize_str("-"),
    }
}

/// Serialises optional µs since the epoch as RFC 3339.
pub fn ts_opt<S: Serializer>(v: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => ts(v, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: serde::Serialize>(v: T) -> String {
        serde_json::to_string(&v).unwrap()
    }

    #[test]
    fn the_json_names_of_unit_enums_are_their_as_str() {
        for (v, name) in [
            (json(Status::NotSeen), "not-seen"),
            (json(Status::ProxyAuth), "proxy-auth"),
            (json(Verdict::OutsideAzure), "outside-azure"),
            (json(EndpointId::CacheStorage), "cache-storage"),
            (json(EndpointBy::Address), "address"),
            (json(Handshake::ResetAfterData), "reset-after-data"),
            (json(Close::RstServer), "rst-server"),
            (json(NameSource::Connect), "connect"),
            (json(Transport::Udp), "udp"),
        ] {
            assert_eq!(v, format!("\"{name}\""));
        }
    }
}
