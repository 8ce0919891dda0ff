//! Private DNS zones as an admin exports them, and whether they answer the
//! VM for the names of the cache account and the vault.
//!
//! - [`read`]: the exports, in every shape `az` and the REST API give them;
//! - [`evaluate`]: the zone Site Recovery needs for an endpoint, linked to
//!   the VM's virtual network (from [`crate::azure::placement`]), its A
//!   records, and the DNS servers the VM asks.
//!
//! Three exports are read (all in the CLI itself, module `privatedns`),
//! none giving asrscope any access to Azure:
//!
//! * `az network private-dns zone show` (or `list`) — a `PrivateZone`:
//!   `name`, `id`, `numberOfVirtualNetworkLinks`, `numberOfRecordSets` (the
//!   SOA record counts: 1 is an empty zone). The only export that says a
//!   zone has no link at all: an empty link list has no zone name.
//! * `az network private-dns link vnet list -g <rg> -z <zone>` (or `show`) —
//!   `VirtualNetworkLink`s (type
//!   `Microsoft.Network/privateDnsZones/virtualNetworkLinks`): `name`, `id`
//!   (`…/privateDnsZones/<zone>/virtualNetworkLinks/<name>`: the zone),
//!   `virtualNetwork.id`, `registrationEnabled`, `resolutionPolicy`
//!   (`Default`, `NxDomainRedirect`; printed from API 2024-06-01),
//!   `virtualNetworkLinkState`, `provisioningState`.
//! * `az network private-dns record-set a list -g <rg> -z <zone>` (or `show`,
//!   or `record-set list`, whose other types are skipped) — record sets of
//!   type `Microsoft.Network/privateDnsZones/A`: `name`, `fqdn`, `id` (the
//!   zone), `aRecords[].ipv4Address`.
//!
//! `az` prints the REST body with `properties` lifted into the object, and
//! `list` as a bare array; the REST API wraps a list in `{value, nextLink}`.
//! Every string kept passes the one sanitiser.

pub mod evaluate;
pub mod read;

#[cfg(test)]
mod tests;

pub use read::{PrivateDnsError, parse_private_dns};

use crate::azure::placement::ResourceId;
use crate::model::ResolutionPolicy;
use std::net::Ipv4Addr;

/// A private DNS zone (`zone show`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    /// Its name, lower case.
    pub name: String,
    /// Its resource group, from its id.
    pub resource_group: Option<String>,
    /// `numberOfVirtualNetworkLinks`, when printed.
    pub links: Option<u64>,
    /// `numberOfRecordSets` (the SOA included), when printed.
    pub record_sets: Option<u64>,
}

/// A virtual network link of a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The zone, lower case, from the link's id.
    pub zone: String,
    /// The zone's resource group, from the link's id.
    pub resource_group: Option<String>,
    /// The link's name.
    pub name: String,
    /// `virtualNetwork.id`.
    pub vnet: Option<ResourceId>,
    /// `registrationEnabled`.
    pub registration: Option<bool>,
    /// `resolutionPolicy`.
    pub policy: Option<ResolutionPolicy>,
    /// `virtualNetworkLinkState`.
    pub state: Option<String>,
}

/// An A record set of a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The zone, lower case.
    pub zone: String,
    /// The zone's resource group, from the id.
    pub resource_group: Option<String>,
    /// Its name relative to the zone, lower case (`@` for the apex).
    pub name: String,
    /// `aRecords[].ipv4Address`.
    pub addresses: Vec<Ipv4Addr>,
}

/// Everything read from private DNS exports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivateDns {
    /// Zones (`zone show`/`list`).
    pub zones: Vec<Zone>,
    /// Links (`link vnet list`).
    pub links: Vec<Link>,
    /// Zones whose link list was given (a list names its zone in its
    /// links' ids).
    pub link_lists: Vec<String>,
    /// A record sets (`record-set a list`).
    pub records: Vec<Record>,
    /// Zones whose record list was given.
    pub record_lists: Vec<String>,
}

impl PrivateDns {
    /// Adds what another file held.
    pub fn extend(&mut self, other: PrivateDns) {
        self.zones.extend(other.zones);
        self.links.extend(other.links);
        self.records.extend(other.records);
        for z in other.link_lists {
            if !self.link_lists.contains(&z) {
                self.link_lists.push(z);
            }
        }
        for z in other.record_lists {
            if !self.record_lists.contains(&z) {
                self.record_lists.push(z);
            }
        }
    }

    /// True when nothing was read.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty() && self.links.is_empty() && self.records.is_empty()
    }

    /// How many items were read, for the report of exports read.
    pub fn items(&self) -> usize {
        self.zones.len() + self.links.len() + self.records.len()
    }
}
