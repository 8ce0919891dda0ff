//! Whether a device in the path answered or closed a connection in the
//! server's name, told from what the server side's packets show of their
//! sender: a transparent proxy or firewall that answers the SYN itself sends
//! its own TTL, window and TCP options, and one that resets or closes sends
//! its own TTL. Decided on the values the flow records keep (the SYN/ACK's
//! print, the TTLs of the later packets) and on the SYN/ACKs the same
//! address sent in other connections whose data followed with the same TTL.

use super::tally::{Example, ServerPrints};
use crate::model::{Cause, ClosedBy, Evidence, ServerSeen, TlsRefusal};

/// The evidence lines a blocked flow's packets give: its SYN/ACK was not the
/// server's, or its close was not.
pub(super) fn evidence(ex: &Example, prints: &ServerPrints) -> Vec<Evidence> {
    let h = &ex.hops;
    let Some(synack) = h.synack else {
        return Vec::new();
    };
    // The server side's other packets of the same connection: its data,
    // else its bare ACKs and later FIN or RST.
    let later = h.ttl.data.or(h.ttl.other);
    if let Some(ttl) = later.filter(|t| *t != synack.ttl) {
        return vec![Evidence::SynAckNotTheServers {
            server: h.server,
            synack,
            seen: ServerSeen::LaterPackets { ttl },
        }];
    }
    let known = prints.of(&h.server);
    if !known.is_empty() && known.iter().all(|(p, _)| *p != synack) {
        let (print, flows) = known[0];
        return vec![Evidence::SynAckNotTheServers {
            server: h.server,
            synack,
            seen: ServerSeen::OtherConnections {
                print,
                flows,
                differ: synack.differences(&print),
            },
        }];
    }
    let how = match ex.cause {
        Cause::ClosedAfterHello { how, .. }
        | Cause::NoTls12Offered {
            refused: TlsRefusal::Closed { how, .. },
            ..
        } => how,
        Cause::ResetAfterFirstData { .. } => ClosedBy::Reset,
        _ => return Vec::new(),
    };
    match (h.ttl.close, later) {
        (Some(ttl), Some(server_ttl)) if ttl != synack.ttl && server_ttl == synack.ttl => {
            vec![Evidence::CloseNotTheServers {
                how,
                ttl,
                server_ttl,
            }]
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnosis::tally::Hops;
    use crate::model::{PrintDiff, ServerTtl, SynAckPrint, TcpOptions};
    use std::net::IpAddr;

    const SERVER: &str = "13.68.163.36";

    /// Linux's SYN/ACK with window scale `ws`, as the lab's servers and
    /// appliances send it.
    fn print(ttl: u8, window: u16, ws: u8) -> SynAckPrint {
        SynAckPrint {
            ttl,
            ip_id: Some(0),
            window,
            options: TcpOptions::read(&[
                2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 1, 3, 3, ws,
            ]),
        }
    }

    fn example(how: ClosedBy, synack: SynAckPrint, ttl: ServerTtl) -> Example {
        Example {
            cause: Cause::ClosedAfterHello {
                how,
                after_ms: 0.1,
                name: Some("asrcache1.blob.core.windows.net".into()),
            },
            nsg: None,
            route: None,
            firewall: None,
            dns: None,
            admin: None,
            outbound: None,
            source: "10.1.0.4".parse().unwrap(),
            hops: Hops {
                server: SERVER.parse().unwrap(),
                synack: Some(synack),
                ttl,
            },
        }
    }

    fn learnt(p: SynAckPrint) -> ServerPrints {
        let mut prints = ServerPrints::default();
        prints.learn(SERVER.parse::<IpAddr>().unwrap(), p);
        prints
    }

    #[test]
    fn a_synack_unlike_the_servers_data_is_a_device_in_the_path() {
        // A SYN proxy: TTL 64 at the handshake, the server's data at 63.
        let ttl = ServerTtl {
            data: Some(63),
            close: Some(63),
            other: Some(63),
        };
        let ex = example(ClosedBy::Fin, print(64, 64240, 7), ttl);
        assert_eq!(
            evidence(&ex, &ServerPrints::default()),
            [Evidence::SynAckNotTheServers {
                server: SERVER.parse().unwrap(),
                synack: print(64, 64240, 7),
                seen: ServerSeen::LaterPackets { ttl: 63 },
            }]
        );
    }

    #[test]
    fn a_synack_unlike_the_addresss_other_connections_is_a_device_in_the_path() {
        // The appliance answered and closed: nothing in the connection
        // differs; another connection to the address shows the server.
        let ttl = ServerTtl {
            data: None,
            close: Some(64),
            other: Some(64),
        };
        let ex = example(ClosedBy::Fin, print(64, 64240, 7), ttl);
        let server = print(63, 65535, 9);
        assert_eq!(
            evidence(&ex, &learnt(server)),
            [Evidence::SynAckNotTheServers {
                server: SERVER.parse().unwrap(),
                synack: print(64, 64240, 7),
                seen: ServerSeen::OtherConnections {
                    print: server,
                    flows: 1,
                    differ: PrintDiff {
                        ttl: true,
                        ip_id: false,
                        window: true,
                        options: true
                    },
                },
            }]
        );
        // The same SYN/ACK as the server's: nothing to say.
        assert_eq!(evidence(&ex, &learnt(print(64, 64240, 7))), []);
        // Nothing to compare with: nothing to say either.
        assert_eq!(evidence(&ex, &ServerPrints::default()), []);
    }

    #[test]
    fn a_reset_unlike_the_servers_other_packets_is_a_device_in_the_path() {
        // The server's SYN/ACK and its late FIN at 63; the RST at 64.
        let ttl = ServerTtl {
            data: None,
            close: Some(64),
            other: Some(63),
        };
        let ex = example(ClosedBy::Reset, print(63, 65535, 9), ttl);
        assert_eq!(
            evidence(&ex, &ServerPrints::default()),
            [Evidence::CloseNotTheServers {
                how: ClosedBy::Reset,
                ttl: 64,
                server_ttl: 63,
            }]
        );
        // The server itself answered and closed: nothing differs.
        let same = ServerTtl {
            data: Some(63),
            close: Some(63),
            other: Some(63),
        };
        let ex = example(ClosedBy::Fin, print(63, 65535, 9), same);
        assert_eq!(evidence(&ex, &learnt(print(63, 65535, 9))), []);
    }
}
