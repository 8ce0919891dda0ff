//! Conformance with an independent truth: tshark's ClientHellos (server name
//! and destination of every TCP flow that carries one) and DNS answers over the
//! public capture corpus kept beside the project (`../shared/corpus`). Every
//! capture there is also read to prove that none makes the analysis panic.
//! Skipped where the corpus is absent (a failure with `ASRSCOPE_REQUIRE_ALL=1`).

mod common;

use asrscope::analysis::engine::Engine;
use asrscope::capture::read_capture;
use asrscope::model::FlowRecord;
use asrscope::model::NameLog;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    common::shared("corpus/truth/sni_detail.csv")?;
    common::shared("corpus")
}

struct Analysed {
    flows: Vec<FlowRecord>,
    engine: Engine,
}

fn analyse(path: &Path) -> Analysed {
    let mut engine = Engine::default();
    let _ = read_capture(path, None, &mut |f| engine.ingest(f));
    engine.finish();
    Analysed {
        flows: engine.take_finished(),
        engine,
    }
}

fn read_csv(path: &Path) -> Vec<HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).expect("truth file");
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[test]
fn server_names_and_destinations_agree_with_tshark() {
    let Some(root) = corpus() else {
        return common::skip(&common::no_shared("corpus"));
    };
    // Every capture in the corpus: no panic, and keep the results for the comparison.
    let mut results: BTreeMap<String, Analysed> = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("pcaps"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 100, "corpus looks incomplete");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        results.insert(name, analyse(f));
    }

    // Truth flows: TCP ClientHellos grouped by (file, src, sport, dst, dport).
    let mut truth: BTreeMap<(String, IpAddr, u16, IpAddr, u16), String> = BTreeMap::new();
    for row in read_csv(&root.join("truth/sni_detail.csv")) {
        if row["transport"] != "tcp" {
            continue;
        }
        let key = (
            row["file"].clone(),
            row["src"].parse().unwrap(),
            row["src_port"].parse().unwrap(),
            row["dst"].parse().unwrap(),
            row["dst_port"].parse().unwrap(),
        );
        truth
            .entry(key)
            .or_insert_with(|| row["sni"].to_lowercase());
    }
    let mut agree = 0;
    let mut disagree = Vec::new();
    for ((file, src, sport, dst, dport), sni) in &truth {
        let flows = &results[file].flows;
        let ours = flows.iter().find(|r| {
            (r.src_ip, r.src_port, r.dst_ip, r.dst_port) == (*src, *sport, *dst, *dport)
                || (r.src_ip, r.src_port, r.dst_ip, r.dst_port) == (*dst, *dport, *src, *sport)
        });
        let got = ours.map(|r| {
            r.tls
                .as_ref()
                .and_then(|t| t.sni.clone())
                .unwrap_or_default()
                .to_lowercase()
        });
        let oriented = ours.is_some_and(|r| r.dst_ip == *dst && r.dst_port == *dport);
        if got.as_deref() == Some(sni.as_str()) && oriented {
            agree += 1;
        } else {
            disagree.push(format!(
                "{file} {src}:{sport} -> {dst}:{dport}: tshark {sni:?}, asrscope {}",
                match (&ours, got) {
                    (None, _) => "no such flow".to_string(),
                    (Some(r), g) => format!(
                        "{:?} (flow {}:{} -> {}:{})",
                        g.unwrap_or_default(),
                        r.src_ip,
                        r.src_port,
                        r.dst_ip,
                        r.dst_port
                    ),
                }
            ));
        }
    }
    let total = truth.len();
    let rate = agree as f64 / total as f64;
    eprintln!(
        "TLS over TCP: {agree}/{total} flows agree with tshark ({:.2}%)",
        rate * 100.0
    );
    for d in &disagree {
        eprintln!("  disagree: {d}");
    }
    assert!(rate >= 0.99, "agreement {:.2}% is below 99%", rate * 100.0);
}

#[test]
fn dns_answers_agree_with_tshark() {
    let Some(root) = corpus() else {
        return common::skip(&common::no_shared("corpus"));
    };
    let rows = read_csv(&root.join("truth/dns.csv"));
    let mut by_file: BTreeMap<String, Vec<HashMap<String, String>>> = BTreeMap::new();
    for r in rows {
        by_file.entry(r["file"].clone()).or_default().push(r);
    }
    let (mut agree, mut total) = (0, 0);
    let mut disagree = Vec::new();
    for (file, rows) in by_file {
        let a = analyse(&root.join("pcaps").join(&file));
        let dns = a.engine.dns_logs();
        for r in rows {
            total += 1;
            let q = r["query"].to_lowercase();
            let ans = r["answer"].to_lowercase();
            // A CNAME must be in the chain logged under some asked name; an
            // address must be attributed to a name whose chain holds the owner.
            let in_chain =
                |l: &NameLog, n: &str| l.name == n || l.cname_chain.iter().any(|c| c == n);
            let found = match r["type"].as_str() {
                "CNAME" => dns
                    .iter()
                    .any(|l| in_chain(l, &q) && l.cname_chain.contains(&ans)),
                _ => ans.parse::<IpAddr>().is_ok_and(|ip| {
                    a.engine
                        .names_for(&ip)
                        .iter()
                        .any(|head| dns.iter().any(|l| &l.name == head && in_chain(l, &q)))
                }),
            };
            if found {
                agree += 1;
            } else {
                disagree.push(format!(
                    "{file} frame {}: {} {} {}",
                    r["frame"], q, r["type"], ans
                ));
            }
        }
    }
    let rate = agree as f64 / total as f64;
    eprintln!(
        "DNS answers: {agree}/{total} agree with tshark ({:.2}%)",
        rate * 100.0
    );
    for d in disagree.iter().take(50) {
        eprintln!("  disagree: {d}");
    }
    assert!(
        rate >= 0.97,
        "DNS agreement {:.2}% is below 97%",
        rate * 100.0
    );
}
