//! Decoding checked on the public capture corpus beside the project
//! (`../shared/corpus`), against the features its README and `files.csv`
//! list for each capture (from tshark's protocol chains): every kind of tunnel
//! is followed to an inner flow, ICMP errors reach the flow they quote, TLS
//! alerts are read. Skipped where the corpus is absent (a failure with
//! `ASRSCOPE_REQUIRE_ALL=1`).

mod common;

use asrscope::analysis::engine::Engine;
use asrscope::capture::read_capture;
use asrscope::model::FlowRecord;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    common::shared("corpus/truth/files.csv")?;
    common::shared("corpus")
}

fn flows(root: &Path, file: &str) -> Vec<FlowRecord> {
    let mut e = Engine::default();
    let _ = read_capture(&root.join("pcaps").join(file), None, &mut |f| e.ingest(f));
    e.finish();
    e.take_finished()
}

#[test]
fn every_tunnel_kind_is_followed_to_the_inner_flow() {
    let Some(root) = corpus() else {
        return common::skip(&common::no_shared("corpus"));
    };
    let kinds = [
        ("tunnel:GRE", "gre"),
        ("tunnel:ERSPAN", "gre"),
        ("tunnel:VXLAN", "vxlan"),
        ("tunnel:GENEVE", "geneve"),
        ("tunnel:GTP", "gtp-u"),
        ("tunnel:PPPoE", "pppoe"),
        ("tunnel:MPLS", "mpls"),
        ("tunnel:IP-in-IP", "ip-in-ip"),
        ("tunnel:Teredo", "teredo"),
    ];
    let mut rd = csv::Reader::from_path(root.join("truth/files.csv")).unwrap();
    let mut expected: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for rec in rd.records() {
        let rec = rec.unwrap();
        for (tag, kind) in kinds {
            if rec[7].contains(tag) {
                expected.entry(kind).or_default().push(rec[0].to_string());
            }
        }
    }
    let mut missing = Vec::new();
    for (kind, files) in &expected {
        // The kind is seen in at least one capture that has it as its only or
        // outermost tunnel; report every file where it was not seen.
        let mut seen_somewhere = false;
        for f in files {
            let mut seen = false;
            let _ = read_capture(&root.join("pcaps").join(f), None, &mut |fr| {
                if let Ok(p) = asrscope::decode::decode(fr.linktype, fr.data) {
                    seen |= p.tunnel.is_some_and(|t| {
                        serde_json::to_value(t.kind).unwrap() == serde_json::json!(kind)
                    });
                }
            });
            seen_somewhere |= seen;
            if !seen {
                missing.push(format!("{kind} not seen as outermost tunnel in {f}"));
            }
        }
        assert!(seen_somewhere, "{kind}: in none of {files:?}");
    }
    for m in &missing {
        eprintln!("  note: {m}");
    }
}

#[test]
fn icmp_errors_reach_the_flow_they_quote() {
    let Some(root) = corpus() else {
        return common::skip(&common::no_shared("corpus"));
    };
    for (file, v6, typ) in [
        ("zeek__icmp__icmp-destunreach-udp.pcap", false, 3),
        ("zeek__icmp__icmp6-destunreach-ip6ext-udp.pcap", true, 1),
    ] {
        let fl = flows(&root, file);
        let hit = fl
            .iter()
            .find_map(|r| r.evidence.icmp)
            .unwrap_or_else(|| panic!("{file}: no ICMP attributed"));
        assert_eq!((hit.message.v6, hit.message.icmp_type), (v6, typ), "{file}");
    }
}

#[test]
fn plaintext_tls_alerts_are_read() {
    let Some(root) = corpus() else {
        return common::skip(&common::no_shared("corpus"));
    };
    let fl = flows(&root, "zeek__tls__tls-1.2-handshake-failure.pcap");
    let alert = fl
        .iter()
        .find_map(|r| r.tls.as_ref().and_then(|t| t.alert))
        .expect("an alert");
    // handshake_failure
    assert_eq!(
        (alert.level, alert.description),
        (2, asrscope::model::AlertDescription(40))
    );
}
