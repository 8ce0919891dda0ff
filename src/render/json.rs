//! The JSON of the model types that pair typed values with what they mean
//! in words, or whose layout is not their shape: each serialises as an
//! object of the fields scripts read (README "JSON"), the sentences
//! rendered here while serialising. The other model types derive their
//! JSON where they are declared.

use super::network;
use crate::model::{NsgStep, NsgVerdict, RouteVerdict};
use serde::{Serialize, Serializer};

impl Serialize for NsgVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// `allowed` and the deciding NSG's `nsg`, `rule` and `priority`,
        /// then the steps, the network manager and the notes.
        #[derive(Serialize)]
        struct Json<'a> {
            allowed: Option<bool>,
            nsg: Option<&'a str>,
            rule: Option<&'a str>,
            priority: Option<u32>,
            steps: &'a [NsgStep],
            network_manager: &'a Option<String>,
            notes: Vec<String>,
        }
        let d = self.deciding();
        Json {
            allowed: self.allowed(),
            nsg: d.map(|d| d.nsg.as_str()),
            rule: d.and_then(|d| d.rule.as_deref()),
            priority: d.and_then(|d| d.priority),
            steps: &self.steps,
            network_manager: &self.network_manager,
            notes: network::nsg_notes(self),
        }
        .serialize(s)
    }
}

impl Serialize for RouteVerdict {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The route taken, flat; `-`, `None` and `no route` when no route
        /// holds the destination.
        #[derive(Serialize)]
        struct Json<'a> {
            prefix: String,
            name: Option<&'a str>,
            next_hop: &'a crate::model::NextHop,
            next_hop_address: Option<&'a str>,
            source: &'a str,
            assumed: bool,
            notes: Vec<String>,
        }
        let r = self.route.as_ref();
        Json {
            prefix: network::route_prefix(self),
            name: r.and_then(|r| r.name.as_deref()),
            next_hop: self.next_hop(),
            next_hop_address: self.next_hop_address(),
            source: network::route_source(self),
            assumed: r.is_some_and(|r| r.origin == crate::model::RouteOrigin::Assumed),
            notes: network::route_notes(self),
        }
        .serialize(s)
    }
}
