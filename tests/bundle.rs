//! `asrscope bundle`: every sample capture analyses the same from its
//! bundle's packet file; tshark reads that file and finds the same server
//! names; the privacy captures' markers are nowhere in the zip, or listed in
//! its manifest where a bundle may share them; damaged
//! inputs, unwritable destinations and full disks are one line each, with
//! no half-written zip left behind.

mod common;

use common::{capture, data, have, root, run, skip};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

/// Options a sample capture needs to be analysed as its scenario intends.
fn options(name: &str) -> Vec<&'static str> {
    match name {
        "vxlan-port-10900.pcap" => vec!["--vxlan-port", "10900"],
        _ => vec![],
    }
}

/// Every entry of a zip, decompressed.
fn entries(zip: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(zip).unwrap()).unwrap();
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut v = Vec::new();
            f.read_to_end(&mut v).unwrap();
            (f.name().unwrap().to_string(), v)
        })
        .collect()
}

/// Writes a bundle of `args` (captures and options) in `dir`; returns the
/// zip's path and the command's (code, stdout, stderr).
fn bundle(dir: &Path, args: &[&str]) -> (std::path::PathBuf, (i32, String, String)) {
    let zip = dir.join("case.zip");
    let mut a = vec!["bundle", "-o", zip.to_str().unwrap()];
    a.extend_from_slice(args);
    let r = run(&a);
    (zip, r)
}

/// What must read the same: each requirement's status and flow count, and
/// each Site Recovery flow's verdict, reason, retransmissions and zero
/// windows, by its addresses, ports and first packet.
fn facts(report: &Value) -> (Vec<String>, BTreeMap<String, String>) {
    let reqs = report["diagnosis"]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{} {} {}", r["id"], r["status"], r["flows"]))
        .collect();
    let flows = report["flows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["endpoint_id"].is_null())
        .map(|f| {
            let key = format!(
                "{}:{} > {}:{} at {}",
                f["src_ip"], f["src_port"], f["dst_ip"], f["dst_port"], f["first_seen"]
            );
            let dir = |d: &Value| {
                format!(
                    "retrans {} data-retrans {} zero-windows {}",
                    d["retransmissions"], d["data_retransmissions"], d["zero_windows"]
                )
            };
            let v = format!(
                "{} ({}) {} | out {} | in {}",
                f["verdict"],
                f["reason"],
                f["endpoint_id"],
                dir(&f["out"]),
                dir(&f["in"])
            );
            (key, v)
        })
        .collect();
    (reqs, flows)
}

fn sample_captures() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("captures"))
        .unwrap()
        .filter_map(|e| {
            let n = e.unwrap().file_name().to_string_lossy().into_owned();
            (n.ends_with(".pcap") || n.ends_with(".pcapng")).then_some(n)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_sample_capture_analyses_the_same_from_its_bundle() {
    let names = sample_captures();
    assert!(names.len() >= 30, "{names:?}");
    let mut asr_flows = 0;
    for name in &names {
        let dir = tempfile::tempdir().unwrap();
        let opts = options(name);
        let cap = capture(name);
        let mut args = vec![cap.as_str()];
        args.extend(&opts);
        let (zip, (code, out, err)) = bundle(dir.path(), &args);
        // 2: a damaged capture (truncated.pcap), bundled as far as it reads.
        assert!((0..=2).contains(&code), "{name}: {err}");
        assert!(out.contains("wrote"), "{name}: {out}");
        let files = entries(&zip);
        let original: Value = serde_json::from_slice(&files["report.json"]).unwrap();
        let pcapng = dir.path().join("site-recovery.pcapng");
        std::fs::write(&pcapng, &files["site-recovery.pcapng"]).unwrap();
        let mut a = vec!["analyze", "--format", "json", pcapng.to_str().unwrap()];
        a.extend(&opts);
        let (code, json, err) = run(&a);
        assert!(code == 0 || code == 1, "{name}: re-analysis: {err}");
        let again: Value = serde_json::from_str(&json).unwrap();
        let (want, got) = (facts(&original), facts(&again));
        assert_eq!(want.0, got.0, "{name}: requirement statuses");
        assert_eq!(want.1, got.1, "{name}: Site Recovery flows");
        asr_flows += want.1.len();
        // What was removed is said, and the bundle is not taken for a
        // capture with a short snap length.
        if again["capture"]["frames_cut_by_snaplen"].as_u64() > Some(0) {
            assert_eq!(again["capture"]["support_bundle"], true, "{name}");
        }
    }
    assert!(asr_flows > 40, "{asr_flows}");
}

/// The regions the bundle of the healthy capture is made for.
const REGIONS: [&str; 4] = ["--source-region", "eastus", "--target-region", "centralus"];

/// The bundle of the healthy capture with an NSG and a route export.
struct Healthy {
    dir: tempfile::TempDir,
    cap: String,
    nsg: String,
    routes: String,
    /// The zip's entries, decompressed.
    files: BTreeMap<String, Vec<u8>>,
}

impl Healthy {
    fn new() -> Healthy {
        let dir = tempfile::tempdir().unwrap();
        let cap = capture("healthy-tls12-dns.pcap");
        let (nsg, routes) = (data("nsg-nic-and-subnet.json"), data("routes-udr-nva.json"));
        let mut args = vec![
            cap.as_str(),
            "--nsg",
            nsg.as_str(),
            "--routes",
            routes.as_str(),
        ];
        args.extend(REGIONS);
        let (zip, (code, _, err)) = bundle(dir.path(), &args);
        assert!(code == 0 || code == 1, "{err}");
        let files = entries(&zip);
        Healthy {
            dir,
            cap,
            nsg,
            routes,
            files,
        }
    }

    /// The bundle's manifest.
    fn manifest(&self) -> Value {
        serde_json::from_slice(&self.files["manifest.json"]).unwrap()
    }
}

#[test]
fn the_bundle_holds_what_analyze_writes() {
    let Healthy {
        dir,
        cap,
        nsg,
        routes,
        files,
    } = Healthy::new();
    let names: Vec<&str> = files.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "README.txt",
            "exports/nsg-1-nsg-nic-and-subnet.json",
            "exports/routes-1-routes-udr-nva.json",
            "flows.csv",
            "manifest.json",
            "report.json",
            "report.txt",
            "site-recovery.pcapng"
        ]
    );
    // The reports are analyze's, the exports as given.
    let csv = dir.path().join("flows.csv");
    let mut a = vec!["analyze", cap.as_str(), "--csv", csv.to_str().unwrap()];
    a.extend(["--nsg", nsg.as_str(), "--routes", routes.as_str()]);
    a.extend(REGIONS);
    let (_, text, _) = run(&a);
    assert_eq!(String::from_utf8_lossy(&files["report.txt"]), text);
    assert_eq!(
        String::from_utf8_lossy(&files["flows.csv"]),
        site_recovery_rows(&std::fs::read(&csv).unwrap())
    );
    assert_eq!(
        files["exports/nsg-1-nsg-nic-and-subnet.json"],
        std::fs::read(&nsg).unwrap()
    );
    let report: Value = serde_json::from_slice(&files["report.json"]).unwrap();
    assert!(!report["diagnosis"]["requirements"][0]["nsg"].is_null());
    let flows = report["flows"].as_array().unwrap();
    assert_eq!(flows.len(), 5);
    assert!(flows.iter().all(|f| !f["endpoint_id"].is_null()));
    assert_eq!(report["capture"]["flows"], 10, "every flow counted");
}

/// The header and analyze's rows of the Site Recovery flows of `csv`, an
/// analysis's whole CSV, and no other (here the DNS flows to Azure DNS).
fn site_recovery_rows(csv: &[u8]) -> String {
    let all = String::from_utf8(csv.to_vec()).unwrap();
    let endpoint = all
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "endpoint")
        .unwrap();
    let mut rows = csv::Reader::from_reader(all.as_bytes());
    let asr: Vec<u64> = rows
        .records()
        .enumerate()
        .filter(|(_, r)| !r.as_ref().unwrap()[endpoint].is_empty())
        .map(|(i, _)| i as u64)
        .collect();
    let kept: String = all
        .lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || asr.contains(&(*i as u64 - 1)))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    assert_eq!((asr.len(), all.lines().count()), (5, 11), "5 of 10 flows");
    kept
}

/// The manifest: inputs with their digests and times, and the counts.
#[test]
fn the_manifest_names_the_inputs_with_their_digests_and_the_counts() {
    let b = Healthy::new();
    let m = b.manifest();
    assert_eq!(m["kind"], "asrscope-support-bundle");
    assert_eq!(m["asrscope"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["command_line"][1], "bundle");
    assert_eq!(m["service_tags"]["change_number"], 375);
    let input = &m["inputs"][0];
    let bytes = std::fs::read(&b.cap).unwrap();
    assert_eq!(input["size"], bytes.len() as u64);
    let sha = asrscope::bundle::archive::digest_of(&mut &bytes[..])
        .unwrap()
        .0;
    assert_eq!(input["sha256"], sha.as_str());
    let truth = common::truth("healthy-tls12-dns.pcap");
    assert_eq!(input["frames"], truth.len() as u64);
    assert_eq!(input["end"]["status"], "complete");
    assert!(input["first_packet"].as_str().unwrap() < input["last_packet"].as_str().unwrap());
    let p = &m["packets"];
    assert_eq!(p["read"], truth.len() as u64);
    assert_eq!(
        p["kept"].as_u64().unwrap() + p["removed"].as_u64().unwrap(),
        p["read"].as_u64().unwrap()
    );
    assert_eq!(p["site_recovery_flows"], 5);
}

/// What the bundle shares, value by value.
#[test]
fn the_manifest_lists_what_the_bundle_shares() {
    let b = Healthy::new();
    let m = b.manifest();
    let shares = &m["shares"];
    let has = |list: &str, v: &str| {
        shares[list]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x.as_str() == Some(v))
    };
    assert!(has("names", "asrcache1.blob.core.windows.net"));
    assert!(
        has("names", "*.blob.core.windows.net"),
        "a certificate's DNS name"
    );
    assert!(has(
        "certificates",
        "C=US, O=Microsoft Corporation, CN=Microsoft Azure RSA TLS Issuing CA 03"
    ));
    assert!(has("addresses", "13.68.163.36"));
    assert!(has("addresses", "168.63.129.16"), "the DNS server asked");
    assert!(has("files", b.cap.as_str()) && has("files", b.nsg.as_str()));
    assert_eq!(shares["left_off"], 0);
    assert!(!shares["also"].as_array().unwrap().is_empty());
}

/// The digest of every other file of the bundle is in its manifest.
#[test]
fn the_manifest_proves_every_other_file_by_its_digest() {
    let b = Healthy::new();
    let m = b.manifest();
    let listed = m["files"].as_array().unwrap();
    assert_eq!(listed.len(), b.files.len() - 1);
    for f in listed {
        let name = f["name"].as_str().unwrap();
        let body = &b.files[name];
        assert_eq!(f["size"], body.len() as u64, "{name}");
        let sha = asrscope::bundle::archive::digest_of(&mut &body[..])
            .unwrap()
            .0;
        assert_eq!(f["sha256"], sha.as_str(), "{name}");
    }
}

#[test]
fn tshark_reads_the_packet_file_and_finds_the_same_server_names() {
    if !have("tshark") {
        return skip("tshark is not installed (apt-get install tshark)");
    }
    let sni = |file: &Path, whole: bool| -> Vec<String> {
        let out = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(file)
            .args([
                "-Y",
                "tls.handshake.type == 1",
                "-T",
                "fields",
                "-e",
                "tcp.srcport",
                "-e",
                "vxlan.vni",
                "-e",
                "tls.handshake.extensions_server_name",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        // The bundle's file must read whole; a sample capture may be cut
        // short on purpose (truncated.pcap).
        if whole {
            assert!(out.status.success(), "{}: {err}", file.display());
            assert!(
                err.trim().is_empty() || err.contains("Running as user"),
                "{}: {err}",
                file.display()
            );
        }
        let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect();
        v.sort();
        v
    };
    let mut compared = 0;
    for name in sample_captures() {
        let dir = tempfile::tempdir().unwrap();
        let cap = capture(&name);
        let mut args = vec![cap.as_str()];
        args.extend(options(&name));
        let (zip, (code, _, err)) = bundle(dir.path(), &args);
        assert!((0..=2).contains(&code), "{name}: {err}");
        let files = entries(&zip);
        let pcapng = dir.path().join("site-recovery.pcapng");
        std::fs::write(&pcapng, &files["site-recovery.pcapng"]).unwrap();
        // The hellos of the Site Recovery flows, from the client ports the
        // report names, in the original and in the bundle.
        let report: Value = serde_json::from_slice(&files["report.json"]).unwrap();
        let ports: Vec<String> = report["flows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !f["endpoint_id"].is_null())
            .flat_map(|f| [f["src_port"].to_string(), f["translated_port"].to_string()])
            .collect();
        // And their networks: a VXLAN identifier, any on the Gateway Load
        // Balancer's ports, none outside tunnels.
        let nets: Vec<String> = report["flows"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| !f["endpoint_id"].is_null())
            .map(|f| match &f["tunnel"] {
                Value::Null => String::new(),
                t if matches!(t["port"].as_u64(), Some(10800 | 10801)) => "*".into(),
                t => t["vni"].as_u64().map(|v| v.to_string()).unwrap_or_default(),
            })
            .collect();
        let original: Vec<String> = sni(Path::new(&cap), false)
            .into_iter()
            .filter(|l| {
                let mut f = l.split('\t');
                let (port, vni) = (f.next().unwrap(), f.next().unwrap_or(""));
                ports.iter().any(|p| p == port)
                    && (nets.iter().any(|n| n == "*") || nets.iter().any(|n| n == vni))
            })
            .collect();
        let bundled = sni(&pcapng, true);
        assert_eq!(original, bundled, "{name}");
        compared += bundled.len();
    }
    assert!(compared > 40, "{compared}");
}

/// An ICMP error about a Site Recovery flow is kept with what it quotes up
/// to the ports (the quoted IP header and 8 bytes): the rest of a quote is
/// the flow's own packet, its data with a larger quote. tshark reads the
/// cut packet, its original length and the flow it quotes.
#[test]
fn icmp_errors_keep_their_quote_up_to_the_ports() {
    if !have("tshark") {
        return skip("tshark is not installed (apt-get install tshark)");
    }
    let dir = tempfile::tempdir().unwrap();
    let cap = capture("icmp-admin-prohibited.pcap");
    let (zip, (code, _, err)) = bundle(dir.path(), &[cap.as_str()]);
    assert!((0..=2).contains(&code), "{err}");
    let files = entries(&zip);
    let pcapng = dir.path().join("site-recovery.pcapng");
    std::fs::write(&pcapng, &files["site-recovery.pcapng"]).unwrap();
    let icmp = |file: &Path| -> Vec<String> {
        let out = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(file)
            .args([
                "-Y",
                "icmp.type == 3",
                "-T",
                "fields",
                "-e",
                "frame.len",
                "-e",
                "frame.cap_len",
                "-e",
                "ip.dst",
                "-e",
                "tcp.srcport",
                "-e",
                "tcp.dstport",
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect()
    };
    let (before, after) = (icmp(Path::new(&cap)), icmp(&pcapng));
    assert_eq!(before.len(), 1, "{before:?}");
    assert_eq!(after.len(), 1, "{after:?}");
    let (b, a): (Vec<&str>, Vec<&str>) = (
        before[0].split('\t').collect(),
        after[0].split('\t').collect(),
    );
    // The original: 102 bytes, quoting the SYN's 20-byte IP header and its
    // 40-byte TCP header. Kept: up to 8 bytes of that TCP header.
    assert_eq!((b[0], b[1]), ("102", "102"), "{before:?}");
    assert_eq!(a[0], "102", "the original length stays: {after:?}");
    assert_eq!(a[1], "70", "14 + 20 + 8 + 20 + 8 bytes: {after:?}");
    assert_eq!(a[2..], b[2..], "the same addresses and quoted ports");
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(manifest["packets"]["icmp_errors"], 1, "{manifest}");
}

#[test]
fn no_byte_of_another_flow_or_of_application_data_is_in_the_zip() {
    // bundle-privacy.pcap: the VM also fetches and posts to a web server that
    // is not Azure, over HTTP and HTTPS, with MARKER-OTHER-9c41e7 in the
    // requests and answers, and uploads a body of MARKER-CACHE-5d2b88 to the
    // cache account over plain HTTP, beside a TLS upload.
    let cap = capture("bundle-privacy.pcap");
    let original = std::fs::read(&cap).unwrap();
    let count =
        |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).filter(|w| *w == needle).count();
    let (other, cache) = (b"MARKER-OTHER-9c41e7", b"MARKER-CACHE-5d2b88");
    assert!(count(&original, other) >= 4 && count(&original, cache) >= 100);
    let dir = tempfile::tempdir().unwrap();
    let (zip, (code, _, err)) = bundle(dir.path(), &[cap.as_str()]);
    assert!(code == 0 || code == 1, "{err}");
    let files = entries(&zip);
    assert!(files.len() >= 6);
    for (name, body) in &files {
        assert_eq!(count(body, other), 0, "{name}");
        assert_eq!(count(body, cache), 0, "{name}");
    }
    // The raw zip too (stored entries would show there).
    let raw = std::fs::read(&zip).unwrap();
    assert_eq!(count(&raw, other) + count(&raw, cache), 0);
    // No packet of a flow that is not Site Recovery's: the web server's
    // address (198.51.100.80) is in no kept packet, and every kept TCP
    // packet is between the VM and the cache account.
    let pcapng = dir.path().join("site-recovery.pcapng");
    std::fs::write(&pcapng, &files["site-recovery.pcapng"]).unwrap();
    let web: std::net::IpAddr = "198.51.100.80".parse().unwrap();
    let mut tcp = 0;
    let mut dns = 0;
    asrscope::capture::read_capture(&pcapng, None, &mut |f| {
        let p = asrscope::decode::decode(f.linktype, f.data).unwrap();
        assert!(p.src != web && p.dst != web, "{p:?}");
        match p.l4 {
            asrscope::decode::L4::Tcp(t) => {
                let cache: std::net::IpAddr = "13.68.163.36".parse().unwrap();
                assert!(p.src == cache || p.dst == cache, "{p:?}");
                assert!([80, 443].contains(&t.sport.min(t.dport)));
                tcp += 1;
            }
            asrscope::decode::L4::Udp(u) => {
                let m = asrscope::proto::dns::parse(u.payload).unwrap();
                let q = m.question.unwrap().0;
                assert!(q.ends_with("core.windows.net"), "{q}");
                dns += 1;
            }
            other => panic!("{other:?}"),
        }
    })
    .unwrap();
    assert!(tcp > 40 && dns >= 2, "{tcp} {dns}");
    let m: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert!(m["packets"]["removed"].as_u64().unwrap() >= 30);
}

#[test]
fn a_damaged_capture_gives_a_bundle_of_what_could_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let cap = capture("truncated.pcap");
    let (zip, (code, _, err)) = bundle(dir.path(), &[cap.as_str()]);
    assert_eq!(code, 2, "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("stopped after frame"))
        .unwrap();
    assert!(line.contains("truncated.pcap"), "{err}");
    let files = entries(&zip);
    let m: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    let end = &m["inputs"][0]["end"];
    assert_eq!(end["status"], "damaged", "{m}");
    let after = end["after_frame"].as_u64().unwrap();
    assert!(after > 0);
    assert_eq!(m["inputs"][0]["frames"], after);
    assert!(end["message"].as_str().unwrap().len() > 10);
    assert_eq!(end["damage"]["kind"], "cut-short", "{m}");
    assert_eq!(end["damage"]["at"], 26_992, "{m}");
    assert!(
        m["notes"][0]
            .as_str()
            .unwrap()
            .contains("stopped after frame")
    );
    assert_eq!(m["packets"]["read"], after);
}

/// The files in a folder.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn unwritable_destinations_and_full_disks_are_one_line_and_leave_nothing() {
    let cap = capture("healthy-tls12-dns.pcap");
    let dir = tempfile::tempdir().unwrap();
    // A folder that does not exist: refused before any work.
    let missing = dir.path().join("no-such-folder/case.zip");
    let (code, out, err) = run(&["bundle", &cap, "-o", missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("cannot write the bundle there"), "{err}");
    // A folder given as the file.
    let (code, _, err) = run(&["bundle", &cap, "-o", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("it is a folder"), "{err}");
    // Standard input cannot be read twice.
    let (code, _, err) = run(&["bundle", "-", "-o", "x.zip"]);
    assert_eq!(code, 2);
    assert!(err.contains("standard input"), "{err}");
    assert!(!Path::new("x.zip").exists());
    // A device that is full.
    if Path::new("/dev/full").exists() {
        let (code, _, err) = run(&["bundle", &cap, "-o", "/dev/full"]);
        assert_eq!(code, 2);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("asrscope: "), "{err}");
        assert!(err.contains("No space left on device"), "{err}");
    }
    // A disk that fills while the zip is written: the file size limit makes
    // every write past 64 KiB fail as a full disk does (SIGXFSZ ignored, so
    // write returns EFBIG).
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let zip = out_dir.join("case.zip");
    std::fs::write(&zip, b"the previous bundle").unwrap();
    let script = format!(
        "trap '' XFSZ; ulimit -f 16; exec '{}' bundle '{}' -o '{}'",
        env!("CARGO_BIN_EXE_asrscope"),
        cap,
        zip.display()
    );
    let r = Command::new("bash")
        .args(["-c", &script])
        .env("TMPDIR", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("asrscope: "), "{err}");
    assert!(err.contains("File too large"), "{err}");
    // The previous file is untouched and nothing else is left.
    assert_eq!(std::fs::read(&zip).unwrap(), b"the previous bundle");
    assert_eq!(listing(&out_dir), ["case.zip"]);
}

/// Markers that `captures/make-captures.sh` (scenarios 35 and 36) planted in
/// every place of a capture that a bundle must not keep, with the place.
const NEVER: &[(&str, &str, &str)] = &[
    (
        "bundle-leaks.pcap",
        "MK-PROXYTOKEN-2e8d41",
        "a CONNECT header from curl --proxy-header",
    ),
    (
        "bundle-leaks.pcap",
        "mk-proxyname-71c3a9",
        "the proxy's name in its 407's Via and X-Cache",
    ),
    (
        "bundle-leaks.pcap",
        "MK-REALM-b84f02",
        "the realm in the proxy's Proxy-Authenticate",
    ),
    (
        "bundle-leaks.pcap",
        "MK-CRED-5a0f17",
        "the proxy password in Proxy-Authorization (base64; folded once)",
    ),
    (
        "bundle-leaks.pcap",
        "mk-dnsq2-8b61e0",
        "a DNS query's second question",
    ),
    (
        "bundle-leaks.pcap",
        "mk-dnsother-c4d2f5",
        "a DNS answer for another name",
    ),
    (
        "bundle-leaks.pcap",
        "mk-dnsauth-19e7b3",
        "a DNS authority record",
    ),
    (
        "bundle-leaks.pcap",
        "mk-dnsadd-6f0a28",
        "a DNS additional record",
    ),
    ("bundle-leaks.pcap", "MK-DNSOPT-3c95d1", "an EDNS option"),
    (
        "bundle-leaks.pcap",
        "MK-DNSTRAIL-e27b40",
        "bytes after a DNS message",
    ),
    (
        "bundle-leaks.pcap",
        "MK-PADSYN-90c1fe",
        "the Ethernet padding of a SYN",
    ),
    (
        "bundle-leaks.pcap",
        "MK-PADDNS-4a7e62",
        "the Ethernet padding of a DNS query",
    ),
    (
        "bundle-leaks.pcap",
        "MK-ICMPTAIL-d3b805",
        "an ICMP error's quote past the ports",
    ),
    (
        "bundle-leaks.pcap",
        "MK-PADICMP-5e2c97",
        "the Ethernet padding of an ICMP error",
    ),
    (
        "bundle-vni.pcap",
        "mk-othervni-f3a9c1",
        "another VXLAN network's server name",
    ),
];
/// Markers in places a bundle keeps: each must be listed in the manifest.
const SHARED: &[(&str, &str, &str)] = &[(
    "bundle-leaks.pcap",
    "mksni7b2e0",
    "a cache account's name (TLS server name, CONNECT target)",
)];

/// True when `marker` is in `bytes`, as it is or base64-encoded, in any
/// case.
fn holds(bytes: &[u8], marker: &str) -> bool {
    use base64::Engine as _;
    let m = marker.to_ascii_lowercase();
    let find = |b: &[u8]| {
        b.to_ascii_lowercase()
            .windows(m.len())
            .any(|w| w == m.as_bytes())
    };
    if find(bytes) {
        return true;
    }
    let b64 = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'=');
    bytes
        .split(|c| !b64(c))
        .filter(|run| run.len() >= 8)
        .any(|run| {
            let run: Vec<u8> = run.iter().copied().filter(|c| *c != b'=').collect();
            (0..4).any(|skip| {
                let r = &run[skip.min(run.len())..];
                // A length of 1 mod 4 is never whole base64.
                let r = &r[..r.len() - usize::from(r.len() % 4 == 1)];
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(r)
                    .is_ok_and(|d| find(&d))
            })
        })
}

/// The bundle of each privacy capture holds none of the markers planted
/// where a bundle must keep nothing, and lists in its manifest each marker
/// it holds; the packets that carried them are in it, cut.
#[test]
fn no_credential_header_padding_or_other_network_leaves_in_a_bundle() {
    if !have("tshark") {
        return skip("tshark is not installed: apt-get install tshark");
    }
    for name in ["bundle-leaks.pcap", "bundle-vni.pcap"] {
        let cap = capture(name);
        let original = std::fs::read(&cap).unwrap();
        let planted = NEVER.iter().chain(SHARED).filter(|(c, ..)| *c == name);
        for (_, marker, place) in planted.clone() {
            assert!(holds(&original, marker), "{name} holds {marker} ({place})");
        }
        let dir = tempfile::tempdir().unwrap();
        let (zip, (code, _, err)) = bundle(dir.path(), &[cap.as_str()]);
        assert!(code == 0 || code == 1, "{name}: {err}");
        let files = entries(&zip);
        let m: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        let shares = serde_json::to_string(&m["shares"]).unwrap();
        for (entry, bytes) in &files {
            for (_, marker, place) in NEVER.iter().filter(|(c, ..)| *c == name) {
                assert!(
                    !holds(bytes, marker),
                    "{name}: {entry} holds {marker} ({place})"
                );
            }
            for (_, marker, place) in planted.clone() {
                if entry != "manifest.json" && holds(bytes, marker) {
                    assert!(
                        holds(shares.as_bytes(), marker),
                        "{name}: {entry} holds {marker} ({place}), not listed in the manifest's shares"
                    );
                }
            }
        }
        // The packets that carried the markers are in the bundle, cut: the
        // test searched them.
        let pcap = dir.path().join("sr.pcapng");
        std::fs::write(&pcap, &files["site-recovery.pcapng"]).unwrap();
        let count = |filter: &str| {
            let out = Command::new("tshark")
                .args(["-n", "-r", pcap.to_str().unwrap(), "-Y", filter])
                .args(["-T", "fields", "-e", "frame.number"])
                .output()
                .expect("tshark runs");
            String::from_utf8_lossy(&out.stdout).lines().count()
        };
        let kept: &[(&str, usize)] = if name == "bundle-leaks.pcap" {
            &[
                ("http.request.method == \"CONNECT\"", 3),
                ("http.request.line contains \"Proxy-Authorization:\"", 2),
                (
                    "http.response.code == 407 && http.proxy_authenticate contains \"Basic\"",
                    1,
                ),
                (
                    "tls.handshake.extensions_server_name contains \"mksni7b2e0\"",
                    1,
                ),
                (
                    "dns && dns.count.queries == 1 && dns.qry.name contains \"hypervrecoverymanager\"",
                    2,
                ),
                (
                    "dns.flags.response == 1 && dns.qry.name contains \"hypervrecoverymanager\" \
                     && dns.count.answers == 2 && dns.count.auth_rr == 0 && dns.count.add_rr == 0 \
                     && dns.a == 4.149.21.202",
                    1,
                ),
                (
                    "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.srcport == 47002",
                    1,
                ),
                ("icmp.type == 3 && icmp.code == 13", 1),
                ("eth.trailer || eth.padding", 0),
            ]
        } else {
            &[
                ("vxlan.vni == 100 && tcp.srcport == 50000", 10),
                ("vxlan.vni == 200", 0),
            ]
        };
        for (filter, n) in kept {
            let got = count(filter);
            if *n == 10 {
                assert!(got >= 10, "{name}: {got} frames match {filter}");
            } else {
                assert_eq!(got, *n, "{name}: frames matching {filter}");
            }
        }
    }
}

/// `bundle` exits 0 once the zip is written, findings or not: a script's
/// `asrscope bundle … -o case.zip && upload case.zip` sends the bundle that
/// matters most. `analyze` of the same capture exits 1 for its finding.
#[test]
fn a_bundle_written_exits_0_with_findings_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let cap = capture("syn-dropped.pcap");
    let (code, _, err) = run(&["analyze", cap.as_str()]);
    assert_eq!(code, 1, "the capture holds a finding: {err}");
    let (zip, (code, out, err)) = bundle(dir.path(), &[cap.as_str()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(out.starts_with("asrscope: wrote "), "{out}");
    let files = entries(&zip);
    let report = String::from_utf8_lossy(&files["report.txt"]);
    assert!(
        report.contains("blocked"),
        "the finding is in the bundle: {report}"
    );
}

/// A capture made of `times` copies of a sample capture, each an hour after
/// the one before (pcap, microseconds, little-endian).
fn repeated_capture(name: &str, times: u32, to: &Path) {
    let src = std::fs::read(capture(name)).unwrap();
    assert_eq!(
        &src[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "{name}: a little-endian pcap"
    );
    let mut out = std::io::BufWriter::new(std::fs::File::create(to).unwrap());
    use std::io::Write;
    out.write_all(&src[..24]).unwrap();
    for copy in 0..times {
        let mut at = 24;
        while at + 16 <= src.len() {
            let u32_at = |i: usize| u32::from_le_bytes(src[i..i + 4].try_into().unwrap());
            let caplen = u32_at(at + 8) as usize;
            let secs = u32_at(at) + copy * 3600;
            out.write_all(&secs.to_le_bytes()).unwrap();
            out.write_all(&src[at + 4..at + 16 + caplen]).unwrap();
            at += 16 + caplen;
        }
    }
    out.flush().unwrap();
}

/// Ctrl-C (SIGINT) or SIGTERM while a bundle is being made: the partial
/// zip beside the destination and the temporary files are removed, one line
/// says so, and the exit status is 128 + the signal's number. A previous
/// file of that name is as it was.
#[test]
fn an_interrupted_bundle_removes_its_partial_files_and_says_so() {
    // The program, not the shell's builtin (which `have` does not count).
    if Command::new("kill").arg("-l").output().is_err() {
        return skip("kill is not installed (apt-get install procps)");
    }
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.pcap");
    // About 90 MB: seconds of work, so that the signal finds it running.
    repeated_capture("nva-snat.pcap", 20, &big);
    for (signal, status, delay_ms) in [("INT", 130, 0), ("TERM", 143, 300)] {
        let (out_dir, tmp) = (dir.path().join("out"), dir.path().join("tmp"));
        for d in [&out_dir, &tmp] {
            let _ = std::fs::remove_dir_all(d);
            std::fs::create_dir(d).unwrap();
        }
        let zip = out_dir.join("case.zip");
        std::fs::write(&zip, b"the previous bundle").unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_asrscope"))
            .args(["bundle", big.to_str().unwrap(), "-o", zip.to_str().unwrap()])
            .env("TMPDIR", &tmp)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait for the partial zip, the sign that the bundle is under way.
        let started = std::time::Instant::now();
        while !listing(&out_dir).iter().any(|n| n.ends_with(".partial")) {
            assert!(
                child.try_wait().unwrap().is_none(),
                "{signal}: ended before its partial file was seen"
            );
            assert!(
                started.elapsed().as_secs() < 60,
                "{signal}: no partial file"
            );
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        assert!(
            child.try_wait().unwrap().is_none(),
            "{signal}: the bundle was complete before the signal; make the capture bigger"
        );
        let sent = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(status), "{signal}: {err}");
        assert!(out.stdout.is_empty(), "{signal}");
        assert_eq!(err.lines().count(), 1, "{signal}: {err}");
        assert!(err.starts_with("asrscope: "), "{signal}: {err}");
        assert!(err.contains(zip.to_str().unwrap()), "{signal}: {err}");
        assert!(err.contains(&format!("SIG{signal}")), "{signal}: {err}");
        assert!(err.contains("not written"), "{signal}: {err}");
        assert!(err.contains("removed"), "{signal}: {err}");
        // Nothing left: the previous file as it was, no temporary file.
        assert_eq!(listing(&out_dir), ["case.zip"], "{signal}");
        assert_eq!(std::fs::read(&zip).unwrap(), b"the previous bundle");
        assert!(listing(&tmp).is_empty(), "{signal}: {:?}", listing(&tmp));
    }
}

/// A disk that fills while the zip is written (a 64 KiB tmpfs as the
/// destination, in a mount namespace of its own): one plain line, the
/// previous file as it was, nothing else left.
#[test]
fn a_full_disk_while_the_zip_is_written_is_one_plain_line() {
    if !common::is_root() {
        return skip("mounts a small tmpfs: run the tests as root");
    }
    if !have("unshare") {
        return skip("unshare is not installed (apt-get install util-linux)");
    }
    let dir = tempfile::tempdir().unwrap();
    let (full, err_file) = (dir.path().join("full"), dir.path().join("stderr"));
    std::fs::create_dir(&full).unwrap();
    // nva-snat.pcap's bundle is about 130 KB.
    let script = r#"mount -t tmpfs -o size=64k tmpfs "$1" || exit 99
printf 'the previous bundle' > "$1/case.zip"
"$2" bundle "$3" -o "$1/case.zip" 2>"$4"
echo "status $?"
ls -A "$1"
cat "$1/case.zip""#;
    let out = Command::new("unshare")
        .args(["-m", "bash", "-c", script, "bash"])
        .arg(&full)
        .arg(env!("CARGO_BIN_EXE_asrscope"))
        .arg(capture("nva-snat.pcap"))
        .arg(&err_file)
        .env("TMPDIR", dir.path())
        .output()
        .unwrap();
    if out.status.code() == Some(99) {
        return skip(&format!(
            "cannot mount a tmpfs here: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let err = std::fs::read_to_string(&err_file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        ["status 2", "case.zip", "the previous bundle"],
        "{text}\n{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("asrscope: "), "{err}");
    assert!(err.ends_with('\n'), "{err:?}");
    assert!(err.contains("case.zip: cannot write the bundle"), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    for debug in ["ZipWriter", "Custom {", "Os {", "kind:", ".partial"] {
        assert!(!err.contains(debug), "{debug}: {err}");
    }
}
