//! A VM in a private subnet without an explicit outbound method ("Default
//! outbound access", 12/03/2025: the default for virtual networks created
//! after 31 March 2026): on real captures (`captures/make-captures.sh`,
//! scenarios 50 and 51) checked against tshark's reading, the signature is
//! told from the flows' verdicts and the service tags, as a finding about the
//! VM beside each endpoint's own, and not where storage failed too.

mod common;

use common::{Row, analyze, truth};
use serde_json::Value;

const STORAGE: &str = "13.68.163.36";
const SILENT: [&str; 3] = ["4.149.98.200", "4.149.21.202", "13.89.170.130"];

fn private_subnet(v: &Value) -> Option<&Value> {
    v["diagnosis"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["about"]["kind"] == "private-subnet")
}

fn from(rows: &[Row], address: &str) -> usize {
    rows.iter().filter(|r| r["ip.src"] == address).count()
}

#[test]
fn storage_answering_and_the_rest_silent_is_said_with_the_explicit_outbound_fix() {
    let name = "private-subnet.pcap";
    // The truth: storage's SYN/ACK and upload; not one packet, reset or
    // ICMP error back from Entra ID, Site Recovery or Service Bus.
    let rows = truth(name);
    let synack = |r: &&Row| r["tcp.flags.syn"] == "1" && r["tcp.flags.ack"] == "1";
    assert_eq!(
        rows.iter()
            .filter(synack)
            .filter(|r| r["ip.src"] == STORAGE)
            .count(),
        1
    );
    for a in SILENT {
        assert_eq!(from(&rows, a), 0, "{a}");
        let syns = rows
            .iter()
            .filter(|r| r["ip.dst"] == a && r["tcp.flags.syn"] == "1")
            .count();
        assert!(syns >= 2, "{a}: {syns}");
    }
    assert!(rows.iter().all(|r| r["icmp.type"].is_empty()));
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 1);
    let f = private_subnet(&v).unwrap_or_else(|| panic!("{}", v["diagnosis"]["findings"]));
    assert_eq!(f["severity"], "critical");
    assert!(f["endpoint"].is_null(), "{f}");
    // First: it explains the endpoints' findings, which stay beside it.
    assert_eq!(
        v["diagnosis"]["findings"][0]["about"]["kind"],
        "private-subnet"
    );
    let title = f["title"].as_str().unwrap();
    assert!(title.starts_with("possibly a private subnet"), "{title}");
    let evidence = f["evidence"].to_string();
    assert!(
        evidence.contains("Storage.EastUS, the source region"),
        "{evidence}"
    );
    for p in [
        "login.microsoftonline.com (1 flow)",
        "*.hypervrecoverymanager.windowsazure.com (1 flow)",
        "*.servicebus.windows.net (1 flow)",
        "March 31, 2026",
    ] {
        assert!(evidence.contains(p), "{p}: {evidence}");
    }
    let kinds: Vec<&str> = f["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["explicit-outbound", "entra-id-stays-public"]);
    let fix = f["fix"][0].as_str().unwrap();
    assert!(
        fix.contains("az network nat gateway create --resource-group"),
        "{fix}"
    );
    assert!(fix.contains("--nat-gateway '<nat-gateway>'"), "{fix}");
    assert!(fix.contains("outbound rules"), "{fix}");
    // The endpoints keep their own findings, with the NSG rule and URL.
    for endpoint in ["azure-ad", "site-recovery", "monitoring"] {
        let e = v["diagnosis"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["endpoint"] == endpoint && x["about"]["kind"] == "endpoint")
            .unwrap_or_else(|| panic!("{endpoint}"));
        let kinds = e["fixes"].to_string();
        assert!(kinds.contains("nsg-allow-rule"), "{endpoint}: {kinds}");
    }
    // Storage in another region than the one given: not the signature.
    let (_, v) = analyze(name, &["--source-region", "westus"]);
    assert!(
        private_subnet(&v).is_none(),
        "{}",
        v["diagnosis"]["findings"]
    );
}

#[test]
fn everything_silent_storage_too_is_not_a_private_subnet() {
    let name = "all-public-dropped.pcap";
    let rows = truth(name);
    assert_eq!(from(&rows, STORAGE), 0);
    assert!(
        rows.iter()
            .filter(|r| r["ip.dst"] == STORAGE && r["tcp.flags.syn"] == "1")
            .count()
            >= 2
    );
    let (code, v) = analyze(name, &[]);
    assert_eq!(code, 1);
    assert!(
        private_subnet(&v).is_none(),
        "{}",
        v["diagnosis"]["findings"]
    );
    // Neither where one endpoint alone is silent, nor where a reset answers.
    for other in ["syn-dropped.pcap", "syn-rst.pcap", "healthy-tls12-dns.pcap"] {
        let (_, v) = analyze(other, &[]);
        assert!(private_subnet(&v).is_none(), "{other}");
    }
}
