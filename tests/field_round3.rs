//! Field captures, round 3: an appliance that source-NATs, captured on it; a
//! TLS 1.3 client (Java) that encrypts its alert when it rejects the
//! certificate, one attempt closed by the client and one by the server; a
//! private endpoint whose private DNS zone is not linked; two captures of
//! one VM 30 s apart. Each is a sample capture of real traffic
//! (`captures/make-captures.sh`), checked against tshark's reading in
//! `captures/truth/`.

mod common;

use common::{Row, analyze, capture, truth};
use serde_json::Value;
use std::collections::BTreeMap;

fn last(s: &str) -> &str {
    s.rsplit('|').next().unwrap_or("")
}

fn tcp_flows(v: &Value) -> Vec<&Value> {
    v["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["transport"] == "tcp")
        .collect()
}

fn finding<'a>(v: &'a Value, kind: &str) -> Vec<&'a Value> {
    v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["about"]["kind"] == kind)
        .collect()
}

/// The TCP connections of a truth, by (client, server), with their frames
/// in order: a connection's client is the source of its SYN.
fn connections(rows: &[Row]) -> BTreeMap<(String, String), Vec<&Row>> {
    let mut clients: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    let mut out: BTreeMap<(String, String), Vec<&Row>> = BTreeMap::new();
    for r in rows.iter().filter(|r| !r["tcp.srcport"].is_empty()) {
        let s = format!("{}:{}", last(&r["ip.src"]), last(&r["tcp.srcport"]));
        let d = format!("{}:{}", last(&r["ip.dst"]), last(&r["tcp.dstport"]));
        let pair = if s < d {
            (s.clone(), d.clone())
        } else {
            (d.clone(), s.clone())
        };
        if r["tcp.flags.syn"] == "1" && r["tcp.flags.ack"] == "0" {
            clients
                .entry(pair.clone())
                .or_insert((s.clone(), d.clone()));
        }
        if let Some(k) = clients.get(&pair) {
            out.entry(k.clone()).or_default().push(r);
        }
    }
    out
}

#[test]
fn an_appliance_that_source_nats_shows_each_connection_once_with_both_addresses() {
    let name = "nva-snat.pcap";
    let rows = truth(name);
    let conns = connections(&rows);
    // The truth: every connection twice, from the VM and from the
    // appliance's outside address, with the same absolute sequence numbers.
    let syn_seq = |c: &[&Row]| last(&c[0]["tcp.seq_raw"]).to_string();
    let inside: Vec<_> = conns
        .keys()
        .filter(|(c, _)| c.starts_with("10.1.0.4:"))
        .collect();
    let outside: Vec<_> = conns
        .keys()
        .filter(|(c, _)| c.starts_with("198.51.100.7:"))
        .collect();
    assert_eq!((inside.len(), outside.len()), (4, 4), "{:?}", conns.keys());
    let (_, v) = analyze(name, &[]);
    let flows = tcp_flows(&v);
    assert_eq!(flows.len(), 4, "one flow per connection");
    for k in &inside {
        let twin = outside
            .iter()
            .find(|o| o.1 == k.1 && syn_seq(&conns[*o]) == syn_seq(&conns[*k]))
            .unwrap_or_else(|| panic!("no translated leg for {k:?}"));
        let f = flows
            .iter()
            .find(|f| format!("{}:{}", f["src_ip"].as_str().unwrap(), f["src_port"]) == k.0)
            .unwrap_or_else(|| panic!("no flow for {k:?}"));
        let (ip, port) = twin.0.rsplit_once(':').unwrap();
        assert_eq!(f["translated_ip"], ip, "{f}");
        assert_eq!(f["translated_port"].to_string(), port, "{f}");
        // Bytes counted once: those of the VM's leg.
        let payload = |c: &[&Row], from: &str| -> u64 {
            c.iter()
                .filter(|r| format!("{}:{}", last(&r["ip.src"]), last(&r["tcp.srcport"])) == from)
                .map(|r| last(&r["tcp.len"]).parse::<u64>().unwrap_or(0))
                .sum()
        };
        assert_eq!(f["out"]["bytes"], payload(&conns[*k], &k.0), "{k:?}");
    }
    assert_eq!(v["capture"]["nat_legs"], 4);
    let upload = &v["diagnosis"]["cache_upload"];
    let blob = flows
        .iter()
        .find(|f| f["endpoint_id"] == "cache-storage")
        .unwrap();
    assert_eq!(upload["bytes"], blob["out"]["bytes"]);
    assert!(upload["bytes"].as_u64().unwrap() < 3 << 20, "{upload}");
    // Taken on the appliance, which translates: said, with the address.
    assert_eq!(v["diagnosis"]["capture_point"], "nva");
    let nva = finding(&v, "through-appliance");
    assert_eq!(nva.len(), 1);
    assert!(
        nva[0]["evidence"]
            .to_string()
            .contains("translates addresses (source NAT): Site Recovery connections leave from 198.51.100.7 (4 flows)"),
        "{}",
        nva[0]
    );
    // The CSV carries both addresses too.
    let (_, out, _) = common::run(&["analyze", "--csv", "-", &capture(name)]);
    let mut csv = csv::Reader::from_reader(out.as_bytes());
    let header = csv.headers().unwrap().clone();
    let col = |n: &str| header.iter().position(|h| h == n).unwrap();
    let tcp_rows: Vec<csv::StringRecord> = csv
        .records()
        .map(Result::unwrap)
        .filter(|c| &c[col("transport")] == "tcp")
        .collect();
    assert_eq!(tcp_rows.len(), 4);
    for c in tcp_rows {
        assert_eq!(&c[col("src_ip")], "10.1.0.4");
        assert_eq!(&c[col("translated_ip")], "198.51.100.7");
    }
}

#[test]
fn a_tls13_client_that_encrypts_its_alert_is_blocked_whichever_side_closes_first() {
    let name = "tls13-encrypted-alert.pcap";
    let rows = truth(name);
    let conns = connections(&rows);
    assert_eq!(conns.len(), 3, "{:?}", conns.keys());
    // From the truth: per connection, the client's encrypted records after
    // the server's hello, and who sent the first FIN.
    struct Seen {
        client_app_records: Vec<u32>,
        server_fin_first: bool,
    }
    let seen: Vec<(String, Seen)> = conns
        .iter()
        .map(|((client, _), frames)| {
            let from_client =
                |r: &Row| format!("{}:{}", last(&r["ip.src"]), last(&r["tcp.srcport"])) == *client;
            let mut after_server_hello = false;
            let mut records = Vec::new();
            let mut first_fin: Option<bool> = None;
            for r in frames {
                if !from_client(r) && r["tls.handshake.type"].split('|').any(|t| t == "2") {
                    after_server_hello = true;
                }
                if from_client(r) && after_server_hello {
                    let types: Vec<&str> = r["tls.record.opaque_type"].split('|').collect();
                    let lens: Vec<&str> = r["tls.record.length"].split('|').collect();
                    // Records with an opaque type are the encrypted ones;
                    // the ChangeCipherSpec has a content type only.
                    let n = types.iter().filter(|t| **t == "23").count();
                    records.extend(
                        lens.iter()
                            .rev()
                            .take(n)
                            .rev()
                            .map(|l| l.parse::<u32>().unwrap()),
                    );
                }
                if r["tcp.flags.fin"] == "1" && first_fin.is_none() {
                    first_fin = Some(!from_client(r));
                }
            }
            (
                client.clone(),
                Seen {
                    client_app_records: records,
                    server_fin_first: first_fin == Some(true),
                },
            )
        })
        .collect();
    let (_, v) = analyze(name, &[]);
    let flows = tcp_flows(&v);
    let mut blocked = 0;
    let mut server_first_blocked = 0;
    for (client, s) in &seen {
        let f = flows
            .iter()
            .find(|f| format!("{}:{}", f["src_ip"].as_str().unwrap(), f["src_port"]) == *client)
            .unwrap();
        // TLS_AES_256_GCM_SHA384: a Finished is at least 4 + 48 + 17 bytes.
        let rejected = s.client_app_records.len() == 1 && s.client_app_records[0] < 69;
        if rejected {
            blocked += 1;
            server_first_blocked += usize::from(s.server_fin_first);
            assert_eq!(f["verdict"], "blocked", "{f}");
            assert_eq!(f["tls"]["handshake_end"], "client-encrypted-alert", "{f}");
            assert_eq!(f["cause"]["kind"], "certificate-rejected");
            assert_eq!(f["cause"]["how"]["by"], "encrypted-alert");
        } else {
            // The healthy connection: the client's Finished, then data.
            assert!(
                s.client_app_records.len() >= 2,
                "{:?}",
                s.client_app_records
            );
            assert!(s.client_app_records[0] >= 69);
            assert_eq!(f["verdict"], "allowed", "{f}");
            assert_eq!(f["tls"]["handshake_end"], "completed");
        }
    }
    assert_eq!(blocked, 2);
    assert!(
        server_first_blocked >= 1,
        "the capture must hold a rejection where the server closed first"
    );
    let f = v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endpoint"] == "azure-ad")
        .unwrap();
    assert_eq!(f["error_codes"], serde_json::json!(["151066"]));
}

#[test]
fn a_private_endpoint_resolved_publicly_names_the_zone_to_link() {
    let name = "privatelink-unlinked.pcap";
    // The truth: the answers go through privatelink to public addresses.
    let rows = truth(name);
    let answers: Vec<&Row> = rows
        .iter()
        .filter(|r| r["dns.flags.response"] == "1" && r["dns.cname"].contains(".privatelink."))
        .collect();
    assert!(answers.len() >= 2, "{}", answers.len());
    for r in &answers {
        for a in r["dns.a"].split('|').filter(|a| !a.is_empty()) {
            let ip: std::net::Ipv4Addr = a.parse().unwrap();
            assert!(!ip.is_private(), "{a}");
        }
    }
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 1);
    let f = finding(&v, "resolves-publicly");
    let zones: Vec<&str> = f
        .iter()
        .map(|f| f["about"]["zone"].as_str().unwrap())
        .collect();
    assert!(
        zones.contains(&"privatelink.blob.core.windows.net"),
        "{zones:?}"
    );
    assert!(
        zones.contains(&"privatelink.siterecovery.windowsazure.com"),
        "{zones:?}"
    );
    for f in &f {
        let fix = f["fix"][0].as_str().unwrap();
        assert!(
            fix.contains("az network private-dns link vnet create"),
            "{fix}"
        );
        assert!(fix.contains("conditional forwarder"), "{fix}");
    }
    // By role: the cache account is still used over its public endpoint
    // (protection succeeds, a warning); a vault with a private endpoint
    // refuses every network without one, so Site Recovery fails now.
    let of = |zone: &str| {
        *f.iter()
            .find(|f| f["about"]["zone"] == zone)
            .unwrap_or_else(|| panic!("{zone}"))
    };
    let cache = of("privatelink.blob.core.windows.net");
    assert_eq!(cache["about"]["role"], "cache-over-public-endpoint");
    assert_eq!(cache["severity"], "warning");
    let evidence = cache["evidence"].to_string();
    assert!(
        evidence.contains("over the public endpoint today"),
        "{evidence}"
    );
    assert!(
        evidence.contains("forward blob.core.windows.net"),
        "{evidence}"
    );
    assert_eq!(cache["fixes"].as_array().unwrap().len(), 1, "{cache}");
    let vault = of("privatelink.siterecovery.windowsazure.com");
    assert_eq!(vault["about"]["role"], "vault-refused");
    assert_eq!(vault["severity"], "critical");
    assert_eq!(vault["error_codes"][0], "151195");
    let evidence = vault["evidence"].to_string();
    assert!(!evidence.contains("today"), "{evidence}");
    assert!(
        evidence.contains(
            "isn't accessible from networks other than those networks that have private endpoints"
        ),
        "{evidence}"
    );
    // The forwarder the DNS zone values page gives: {regionCode}.siterecovery…,
    // here the vault's region code eus.
    assert!(
        evidence.contains("forward eus.siterecovery.windowsazure.com to Azure DNS"),
        "{evidence}"
    );
    let fixes: Vec<&str> = vault["fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    assert_eq!(fixes.len(), 2, "{fixes:?}");
    assert!(fixes[0].contains("az network private-dns link vnet create"));
    assert!(
        fixes[1].contains(
            "az network private-dns record-set a add-record --resource-group '<zone-resource-group>' --zone-name 'privatelink.siterecovery.windowsazure.com' --record-set-name '3216540987123456789-asr-pod01-rcm1.eus'"
        ),
        "{}",
        fixes[1]
    );
    assert!(fixes[1].contains("two more names"), "{}", fixes[1]);
    // The flows themselves went to the public endpoints and worked.
    for f in tcp_flows(&v) {
        assert_eq!(f["verdict"], "allowed", "{f}");
        assert_eq!(f["private_endpoint"], false);
    }
}

#[test]
fn the_upload_rate_of_captures_taken_apart_is_over_the_time_data_moved() {
    let names = ["upload-apart-1.pcap", "upload-apart-2.pcap"];
    // The truth: per capture, the first and last data segment toward 443
    // and the payload bytes.
    let mut busy = 0.0;
    let (mut first, mut lastt) = (f64::MAX, f64::MIN);
    let mut bytes = 0u64;
    for n in names {
        let data: Vec<(f64, u64)> = truth(n)
            .iter()
            .filter(|r| last(&r["tcp.dstport"]) == "443")
            .filter_map(|r| {
                let len: u64 = last(&r["tcp.len"]).parse().ok()?;
                (len > 0).then(|| (r["frame.time_epoch"].parse().unwrap(), len))
            })
            .collect();
        let (a, b) = (data.first().unwrap().0, data.last().unwrap().0);
        busy += b - a;
        first = first.min(a);
        lastt = lastt.max(b);
        bytes += data.iter().map(|d| d.1).sum::<u64>();
    }
    let span = lastt - first;
    assert!(span > 30.0 && busy < 15.0, "span {span}, busy {busy}");
    let c1 = capture(names[0]);
    let c2 = capture(names[1]);
    let (_, out, err) = common::run(&[
        "analyze",
        "--format",
        "json",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        &c1,
        &c2,
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|_| panic!("{err}"));
    let u = &v["diagnosis"]["cache_upload"];
    let seconds = u["seconds"].as_f64().unwrap();
    assert!((seconds - busy).abs() < 0.01, "{u} against {busy}");
    assert!(
        (u["span_seconds"].as_f64().unwrap() - span).abs() < 0.01,
        "{u}"
    );
    assert_eq!(u["parallel"], false);
    // Retransmissions count on the wire: asrscope's bytes are tshark's.
    assert_eq!(u["bytes"], bytes);
    let mbps = u["mbps"].as_f64().unwrap();
    assert!((mbps - bytes as f64 / 1e6 / busy).abs() < 0.01, "{u}");
    // Not diluted by the 30 s between the captures.
    assert!(mbps > 3.0 * bytes as f64 / 1e6 / span, "{u}");
}

/// The checklist says what the finding says: the vault's line is blocked
/// by the name's public answer though its connection completed (the
/// refusal is inside TLS); the cache account's stays ok.
#[test]
fn a_vault_resolved_publicly_is_blocked_in_the_checklist() {
    let (code, v) = analyze("privatelink-unlinked.pcap", &[]);
    assert_eq!(code, 1);
    let line = |id: &str| {
        v["diagnosis"]["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("{id}"))
            .clone()
    };
    let sr = line("site-recovery");
    assert_eq!(sr["status"], "blocked", "{sr}");
    assert_eq!(sr["cause"]["kind"], "vault-resolves-publicly", "{sr}");
    assert!(
        sr["cause"]["name"]
            .as_str()
            .unwrap()
            .ends_with("-asr-pod01-rcm1.eus.siterecovery.windowsazure.com"),
        "{sr}"
    );
    assert_eq!(line("cache-storage")["status"], "ok");
}
