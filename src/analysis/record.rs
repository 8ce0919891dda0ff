//! A finished flow turned into the model's [`FlowRecord`]: its best name,
//! handshake outcome with evidence, per-direction counters, TLS and proxy
//! facts.

use super::app_state::AppState;
use super::names::DnsNames;
use crate::flow::Flow;
use crate::flow::community_id::{Endpoints, community_id};
use crate::model::*;
use crate::proto::tls;

/// The record of a flow that left the table.
pub(crate) fn record(f: &Flow<AppState>, names: &DnsNames) -> FlowRecord {
    let app = &f.app;
    let dns_name = names
        .name_for(&f.server.0, f.first_us)
        .map(|n| n.to_string());
    let mut tls_rec = tls_record(app);
    let proxy = app.connect.as_ref().map(|c| ProxyRecord {
        target_host: c.host.clone(),
        target_port: c.port,
        credentials_sent: c.has_credentials,
        status: app.proxy_response.as_ref().map(|r| r.status),
        first_status: app.proxy_first_status,
        auth_scheme: app
            .proxy_response
            .as_ref()
            .and_then(|r| r.auth_scheme.clone()),
    });
    let sni = tls_rec.as_ref().and_then(|t| t.sni.clone());
    let cert_name = tls_rec
        .as_ref()
        .and_then(|t| t.certificates.first())
        .and_then(|c| c.san.first().cloned());
    let http = http_record(app);
    let host = http.as_ref().and_then(|h| h.host.clone());
    let (server_name, name_source) = if let Some(s) = sni {
        (Some(s), NameSource::Sni)
    } else if let Some(p) = &proxy {
        (Some(p.target_host.clone()), NameSource::Connect)
    } else if let Some(d) = &dns_name {
        (Some(d.clone()), NameSource::Dns)
    } else if let Some(h) = host {
        (Some(h), NameSource::Host)
    } else if let Some(c) = cert_name {
        (Some(c), NameSource::Cert)
    } else {
        (None, NameSource::None)
    };
    let (handshake, evidence) = handshake(f);
    let close = match f.tcp.first_close {
        Some((Side::Client, false)) => Close::FinClient,
        Some((Side::Server, false)) => Close::FinServer,
        Some((Side::Client, true)) => Close::RstClient,
        Some((Side::Server, true)) => Close::RstServer,
        None if f.idle_expired => Close::Idle,
        None => Close::Open,
    };
    let one_direction = f.dirs[0].packets == 0 || f.dirs[1].packets == 0;
    if let Some(t) = tls_rec.as_mut() {
        t.handshake_end = tls_end(f, handshake, close);
    }
    FlowRecord {
        id: f.id,
        first_seen: f.first_us,
        last_seen: f.last_us,
        src_ip: f.client.0,
        src_port: f.client.1,
        dst_ip: f.server.0,
        dst_port: f.server.1,
        translated_ip: f.translated.map(|t| t.0),
        translated_port: f.translated.map(|t| t.1),
        transport: f.transport,
        community_id: community_id(
            f.client.0,
            f.server.0,
            f.transport.ip_proto(),
            Endpoints::Ports(f.client.1, f.server.1),
        ),
        server_name,
        name_source,
        dns_cnames: dns_name
            .as_deref()
            .map(|n| names.chain_of(n).to_vec())
            .unwrap_or_default(),
        dns_name,
        handshake,
        evidence,
        close: if f.transport == Transport::Udp {
            Close::Open
        } else {
            close
        },
        out: dir_record(&f.dirs[0]),
        inbound: dir_record(&f.dirs[1]),
        rtt_ms: f.tcp.handshake_rtt_us().map(|u| u as f64 / 1000.0),
        tls: tls_rec,
        proxy,
        http,
        tunnel: f.tunnel,
        vlan: f.vlan,
        quality: FlowQuality {
            began_before_capture: f.began_before_capture,
            one_direction,
            hello_cut_by_snaplen: app.snap_cut && app.hello.as_ref().is_none_or(|h| !h.complete),
            bytes_cut: f.dirs[0].bytes_cut + f.dirs[1].bytes_cut,
        },
    }
}

/// A plain HTTP request and its answer, when the flow carried one.
fn http_record(app: &AppState) -> Option<HttpRecord> {
    if app.http_request.is_none() && app.http_answer.is_none() {
        return None;
    }
    let (status, deny_page) = app.http_answer.as_deref().cloned().unzip();
    Some(HttpRecord {
        method: app
            .http_request
            .as_ref()
            .map(|r| r.method.clone())
            .unwrap_or_default(),
        host: app.http_request.as_ref().and_then(|r| r.host.clone()),
        target: app.http_request.as_ref().map(|r| r.target.clone()),
        status,
        deny_page: deny_page.flatten(),
    })
}

fn dir_record(d: &crate::flow::tcp::DirStats) -> DirRecord {
    DirRecord {
        packets: d.packets,
        bytes: d.bytes,
        data_segments: d.data_segments,
        retransmissions: d.retransmissions,
        data_retransmissions: d.data_retransmissions,
        dup_acks: d.dup_acks,
        zero_windows: d.zero_windows,
        throughput_kbps: d.throughput_kbps(),
        first_data: d.first_data_us,
        last_data: d.last_data_us,
    }
}

fn alert_record(a: tls::Alert) -> AlertRecord {
    AlertRecord {
        level: a.level,
        description: a.description,
    }
}

/// The shortest TLS 1.3 record that can hold the client's Finished under
/// the server's cipher suite: the message header, the verify_data (the
/// suite's hash length), the inner content type and the AEAD tag; without
/// the suite, the shortest of all (SHA-256 and AES-CCM-8's 8-byte tag). A
/// client record shorter than this is not a Finished: after the server's
/// flight it is an alert (19 bytes with AES-GCM or ChaCha20-Poly1305: two
/// bytes, the content type, a 16-byte tag; Java pads it to 35).
fn tls13_min_finished(cipher: Option<u16>) -> u16 {
    let (hash, tag) = match cipher {
        Some(0x1301 | 0x1303 | 0x1304) => (32, 16),
        Some(0x1302) => (48, 16),
        _ => (32, 8),
    };
    4 + hash + 1 + tag
}

/// Longest gap between the server's flight and the client's close for the
/// close to count as the client stopping the handshake.
const ABORT_WINDOW_US: i64 = 1_000_000;

/// How the handshake ended (see [`TlsEnd`]). The ends that blame a side for
/// stopping are only concluded from what the capture fully shows: no snap
/// length cut, and for the client, no payload after the hello beyond what its
/// trail accounts for.
fn tls_end(f: &Flow<AppState>, handshake: Handshake, close: Close) -> TlsEnd {
    let app = &f.app;
    let (c, s) = (&app.trail[0], &app.trail[1]);
    let fatal = |a: &Option<tls::Alert>| a.is_some_and(|a| a.level == 2);
    let server_alert = app.server.as_ref().and_then(|s| s.alert).or(s.alert);
    let tls13 = app.server.as_ref().and_then(|s| s.version) == Some(0x0304);
    let min_finished = tls13_min_finished(app.server.as_ref().and_then(|s| s.cipher));
    if handshake == Handshake::ResetAfterData {
        return TlsEnd::ResetAtHello;
    }
    if close == Close::FinServer && f.dirs[1].bytes == 0 && app.hello.is_some() {
        return TlsEnd::ClosedAtHello;
    }
    if fatal(&c.alert) {
        return TlsEnd::ClientAlert;
    }
    if fatal(&server_alert) {
        return TlsEnd::ServerAlert;
    }
    let completed = if tls13 {
        c.app >= 2 || c.first_app_len.is_some_and(|l| l >= min_finished)
    } else {
        (c.ccs && c.after_ccs > 0 && s.ccs && s.after_ccs > 0) || (c.app > 0 && s.app > 0)
    };
    if completed {
        return TlsEnd::Completed;
    }
    let Some(hello) = app.hello.as_ref().filter(|h| h.complete) else {
        return TlsEnd::Unknown;
    };
    // Payload the client sent beyond its hello (a TLS 1.3 compatibility
    // ChangeCipherSpec is 6 bytes).
    let after_hello = f.dirs[0].bytes.saturating_sub(hello.end as u64);
    // TLS 1.3: after the server's flight, the client's only record is too
    // short to be its Finished: an alert, encrypted with the handshake keys
    // (as Go, rustls, Java and Schannel send it), whichever side closes
    // first. The records prove it; how the connection closed does not.
    if tls13
        && !app.snap_cut
        && app.server.as_ref().is_some_and(|s| s.hello)
        && c.app == 1
        && let Some(len) = c.first_app_len.filter(|l| *l < min_finished)
        && after_hello <= 6 + 5 + u64::from(len)
    {
        return TlsEnd::ClientEncryptedAlert;
    }
    let by_client = matches!(close, Close::FinClient | Close::RstClient);
    if app.snap_cut || !by_client {
        return TlsEnd::Unknown;
    }
    // A client that rejects a certificate stops as soon as the server's flight
    // is in; one that closes before it, or a while later, abandoned the
    // connection (a browser's spare preconnection).
    let close_us = match close {
        Close::RstClient => f.tcp.rst.map(|r| r.1),
        _ => f.tcp.fin_us[0],
    };
    let prompt = match (close_us, f.dirs[1].last_data_us) {
        (Some(c), Some(s)) => (0..=ABORT_WINDOW_US).contains(&(c - s)),
        _ => false,
    };
    let server_flight = prompt && app.server.as_ref().is_some_and(|s| s.hello);
    if server_flight && after_hello <= 6 && c.app == 0 && !c.encrypted_alert {
        return if close == Close::RstClient {
            TlsEnd::ClientResetAfterServerFlight
        } else {
            TlsEnd::ClientClosedAfterServerFlight
        };
    }
    if app.server.is_none() && f.dirs[1].bytes == 0 {
        return TlsEnd::ServerSilent;
    }
    TlsEnd::Unknown
}

fn tls_record(app: &AppState) -> Option<TlsRecord> {
    if app.hello.is_none() && app.server.is_none() {
        return None;
    }
    let mut t = TlsRecord::default();
    if let Some(h) = &app.hello {
        t.sni = h.sni.clone();
        t.hello_complete = h.complete;
        t.client_versions = h.versions.iter().copied().map(TlsVersion).collect();
        t.alpn = h.alpn.clone();
    }
    if let Some(s) = &app.server {
        t.server_version = s.version.map(TlsVersion);
        t.certificates = s.certs.clone();
    }
    let server_alert = app.server.as_ref().and_then(|s| s.alert);
    t.alert = server_alert.or(app.trail[1].alert).map(alert_record);
    t.client_alert = app.trail[0].alert.map(alert_record);
    Some(t)
}

fn ms(us: i64) -> f64 {
    us as f64 / 1000.0
}

fn handshake(f: &Flow<AppState>) -> (Handshake, HandshakeEvidence) {
    let t = &f.tcp;
    let mut ev = HandshakeEvidence {
        syn_count: t.syn_count,
        syn_span_ms: match (t.first_syn_us, t.last_syn_us) {
            (Some(a), Some(b)) if t.syn_count > 0 => Some(ms(b - a)),
            _ => None,
        },
        rst_by: t.rst.map(|r| r.0),
        rst_after_client_data_ms: match (t.rst, f.dirs[0].first_data_us) {
            (Some((_, r)), Some(d)) if r >= d => Some(ms(r - d)),
            _ => None,
        },
        fin_after_client_data_ms: match (t.first_close, t.fin_us[1], f.dirs[0].first_data_us) {
            (Some((Side::Server, false)), Some(c), Some(d)) if c >= d && f.dirs[1].bytes == 0 => {
                Some(ms(c - d))
            }
            _ => None,
        },
        icmp: f.icmp,
        synack: t.synack,
        server_ttl: t.server_ttl,
    };
    if f.transport == Transport::Udp {
        let h = if f.dirs[1].packets > 0 {
            Handshake::Answered
        } else if f.icmp.is_some() {
            Handshake::Unreachable
        } else {
            Handshake::NoReply
        };
        return (h, ev);
    }
    let server_rst = matches!(t.rst, Some((Side::Server, _)));
    let h = if t.synack_us.is_some() {
        if t.established_us.is_some() || f.dirs[0].data_segments > 0 {
            if server_rst && f.dirs[0].data_segments > 0 && f.dirs[1].data_segments == 0 {
                Handshake::ResetAfterData
            } else {
                Handshake::Established
            }
        } else {
            Handshake::Incomplete
        }
    } else if t.syn_count > 0 {
        if server_rst {
            Handshake::Rejected
        } else if f.icmp.is_some() {
            Handshake::Unreachable
        } else {
            Handshake::NoReply
        }
    } else if f.icmp.is_some() && f.dirs[1].packets == 0 {
        Handshake::Unreachable
    } else {
        Handshake::MidFlow
    };
    if h != Handshake::ResetAfterData {
        ev.rst_after_client_data_ms = ev
            .rst_after_client_data_ms
            .filter(|_| server_rst && f.dirs[1].data_segments == 0);
    }
    (h, ev)
}
