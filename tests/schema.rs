//! The JSON Schemas of `docs/schema/` against what asrscope writes: the
//! `analyze --format json` document of sample captures, alone and with
//! Azure exports, validates against `analyze.schema.json`; the schemas'
//! closed lists of names (verdicts, statuses, handshakes, closes, name
//! sources, severities, export kinds, cause kinds) are the code's full
//! lists; and the definitions the two schemas share are the same. The live
//! JSON lines are checked against `live-line.schema.json` by the unit test
//! of `src/app/live.rs` (from the snapshot of an analysed capture) and by
//! `tests/live.rs` (from a capture on `lo`).

mod common;
use common::{capture, data, root, run};
use serde_json::Value;

/// A schema of `docs/schema/`.
fn schema(name: &str) -> Value {
    let path = root().join("docs/schema").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// What `instance` breaks of `schema`, one line per error, none when valid.
fn errors(schema: &Value, instance: &Value) -> Vec<String> {
    let v = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the schema is valid draft 2020-12");
    v.iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .take(5)
        .collect()
}

/// `analyze --format json` of `args`.
fn analyze_json(args: &[&str]) -> Value {
    let mut all = vec!["analyze", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = run(&all);
    // 2 for a damaged capture, whose document is still whole.
    assert!((0..=2).contains(&code), "{all:?}: exit {code}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{all:?}: {e}"))
}

/// The analyses the schema is checked on: captures of each verdict, a
/// damaged one, tunnels, copies, proxies, IPv6, and the Azure exports of
/// `tests/data` of every layer (NSG, routes, firewall, admin rules, storage,
/// private DNS, subnet, service endpoint policies).
fn analyses() -> Vec<(String, Value)> {
    let mut out = vec![];
    for c in [
        "healthy-tls12-dns.pcap",
        "syn-dropped.pcap",
        "syn-rst.pcap",
        "icmp-admin-prohibited.pcap",
        "proxy-407.pcap",
        "tls-intercepted.pcap",
        "tls13-encrypted-alert.pcap",
        "tls-old-alert.pcap",
        "squid-terminate.pcap",
        "dns-failures.pcap",
        "truncated.pcap",
        "nva-vxlan.pcap",
        "nva-snat.pcap",
        "pktmon-copies.pcapng",
        "ipv6-retrans.pcap",
        "imds-through-proxy.pcap",
        "crl-blocked.pcap",
        "outside-azure.pcap",
        "midflow-throttled.pcap",
    ] {
        out.push((c.to_string(), analyze_json(&[&capture(c)])));
    }
    let exports: [&[&str]; 3] = [
        &[
            "--azure=fw-firewall.json",
            "--azure=fw-policy.json",
            "--azure=fw-rcg-no-blob.json",
            "--routes=routes-udr-nva.json",
            "--nsg=nsg-nic-and-subnet.json",
            "--azure=storage-deny-subnet.json",
            "--azure=storage-vm-subnet.json",
            "--azure=admin-deny-https.json",
            "--azure=dns-links-unlinked.json",
            "--azure=dns-records-blob.json",
            "--azure=dns-zone-blob-empty.json",
            "--azure=dns-vnet-custom.json",
        ],
        &[
            "--azure=sep-subnet.json",
            "--azure=storage-no-trusted.json",
            "--azure=admin-always-allow.json",
            "--azure=dns-links-linked.json",
            "--azure=dns-records-blob-asrcache1.json",
            "--azure=dns-zone-vault-unlinked.json",
            "--nsg=nsg-deny-platform.json",
            "--routes=routes-drop-eventhub.json",
        ],
        &[
            "--azure=outbound-private-subnet.json",
            "--azure=storage-private.json",
            "--nsg=nsg-allow-all.json",
            "--routes=routes-forced-tunnel.json",
        ],
    ];
    for c in [
        "healthy-tls12-dns.pcap",
        "syn-dropped.pcap",
        "fqdn-filter-rst.pcap",
        "vault-private-endpoint.pcap",
        "midflow-throttled.pcap",
    ] {
        for set in exports {
            let mut args = vec![capture(c)];
            for e in set {
                let (flag, file) = e.split_once('=').unwrap();
                args.push(flag.to_string());
                args.push(data(file));
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            out.push((format!("{c} {set:?}"), analyze_json(&args)));
        }
    }
    out
}

#[test]
fn analyze_json_validates_against_its_schema() {
    let s = schema("analyze.schema.json");
    let mut layers = 0;
    for (name, doc) in analyses() {
        let e = errors(&s, &doc);
        assert!(e.is_empty(), "{name}:\n{}", e.join("\n"));
        layers += doc["flows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !f["firewall"].is_null() || !f["storage"].is_null())
            .count();
    }
    // The exports were read: the layers' verdicts were checked too.
    assert!(layers > 0);
}

/// The schema is no wider than what is written: a field it does not know,
/// one renamed, or a name outside a closed list is refused. (A field added
/// to the model without the schema fails the test above the same way.)
#[test]
fn the_schema_refuses_unknown_and_renamed_fields() {
    let s = schema("analyze.schema.json");
    let doc = analyze_json(&[&capture("syn-dropped.pcap")]);
    assert!(errors(&s, &doc).is_empty());
    let mut added = doc.clone();
    added["flows"][0]["new_field"] = 1.into();
    assert!(!errors(&s, &added).is_empty());
    let mut renamed = doc.clone();
    let flow = renamed["flows"][0].as_object_mut().unwrap();
    let v = flow.remove("verdict").unwrap();
    flow.insert("outcome".into(), v);
    assert!(!errors(&s, &renamed).is_empty());
    let mut unknown = doc.clone();
    unknown["flows"][0]["cause"]["kind"] = "not-a-cause".into();
    assert!(!errors(&s, &unknown).is_empty());
    let mut nested = doc;
    nested["capture"]["copies"]["extra"] = 0.into();
    assert!(!errors(&s, &nested).is_empty());
}

/// The names of `$defs/<name>`'s `enum`.
fn schema_enum(s: &Value, name: &str) -> Vec<String> {
    s["$defs"][name]["enum"]
        .as_array()
        .unwrap_or_else(|| panic!("$defs/{name} has an enum"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

/// The names `serde` gives every value of `all`.
fn names<T: serde::Serialize>(all: &[T]) -> Vec<String> {
    all.iter()
        .map(|v| {
            serde_json::to_value(v)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn the_schemas_closed_lists_are_the_codes_full_lists() {
    use asrscope::model::*;
    for file in ["analyze.schema.json", "live-line.schema.json"] {
        let s = schema(file);
        let lists = [
            ("verdict", names(Verdict::ALL)),
            ("status", names(Status::ALL)),
            ("handshake", names(Handshake::ALL)),
            ("close", names(Close::ALL)),
            ("name_source", names(NameSource::ALL)),
            ("severity", names(Severity::ALL)),
            ("export_kind", names(ExportKind::ALL)),
            (
                "cause_kind",
                Cause::KINDS.iter().map(|k| k.to_string()).collect(),
            ),
        ];
        for (name, code) in lists {
            assert_eq!(schema_enum(&s, name), code, "{file}: $defs/{name}");
        }
    }
}

/// `Cause::kind` names a cause as its JSON does.
#[test]
fn a_causes_kind_is_its_json_kind() {
    use asrscope::model::Cause;
    for c in [
        Cause::AckNeverSeen,
        Cause::UdpNoAnswer,
        Cause::MidFlowNoData,
        Cause::NothingToJudge { flows: 3 },
        Cause::VaultResolvesPublicly { name: "v".into() },
    ] {
        assert_eq!(serde_json::to_value(&c).unwrap()["kind"], c.kind());
        assert!(Cause::KINDS.contains(&c.kind()));
    }
}

/// The live lines carry a flow, a finding or a requirement as the document
/// does: the definitions both schemas hold are the same.
#[test]
fn the_two_schemas_share_their_definitions() {
    let (a, l) = (
        schema("analyze.schema.json"),
        schema("live-line.schema.json"),
    );
    let defs = a["$defs"].as_object().unwrap();
    for (name, def) in defs {
        assert_eq!(&l["$defs"][name], def, "$defs/{name}");
    }
    assert_eq!(
        a["properties"]["schema_version"]["const"],
        asrscope::model::SCHEMA_VERSION
    );
    assert_eq!(
        l["$defs"]["summary_line"]["properties"]["schema_version"]["const"],
        asrscope::model::SCHEMA_VERSION
    );
}
