//! What happened to each DNS name asked.

use super::ts;
use std::net::IpAddr;

/// What happened to one question name.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct NameLog {
    /// The name asked.
    pub name: String,
    /// Query types asked (1 A, 28 AAAA, …), without repeats.
    pub qtypes: Vec<u16>,
    /// Queries seen.
    pub queries: u32,
    /// Responses seen.
    pub responses: u32,
    /// Responses with NOERROR and at least one address.
    pub answered: u32,
    /// NOERROR responses without any address (NODATA).
    pub nodata: u32,
    /// NXDOMAIN responses.
    pub nxdomain: u32,
    /// SERVFAIL responses.
    pub servfail: u32,
    /// Other error codes (REFUSED, FORMERR…).
    pub other_errors: u32,
    /// Queries that got no response within 5 s (or before the capture ended).
    pub unanswered: u32,
    /// Addresses given, first seen first (at most 16).
    pub addresses: Vec<IpAddr>,
    /// The CNAME chain below the name, first seen (at most 8 links).
    pub cname_chain: Vec<String>,
    /// DNS servers asked (at most 4).
    pub servers: Vec<IpAddr>,
    /// First query or response time, µs since the epoch.
    #[serde(rename = "first_seen", serialize_with = "ts")]
    pub first_us: i64,
    /// Last query or response time.
    #[serde(rename = "last_seen", serialize_with = "ts")]
    pub last_us: i64,
}
