//! `asrscope bundle`: every sample capture analyses the same from its
//! bundle's packet file; tshark reads that file and finds the same server
//! names; the privacy capture's markers are nowhere in the zip; damaged
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

#[test]
fn the_bundle_holds_what_analyze_writes_and_the_manifest_proves_it() {
    let dir = tempfile::tempdir().unwrap();
    let cap = capture("healthy-tls12-dns.pcap");
    let (nsg, routes) = (data("nsg-nic-and-subnet.json"), data("routes-udr-nva.json"));
    let regions = ["--source-region", "eastus", "--target-region", "centralus"];
    let mut args = vec![
        cap.as_str(),
        "--nsg",
        nsg.as_str(),
        "--routes",
        routes.as_str(),
    ];
    args.extend(regions);
    let (zip, (code, _, err)) = bundle(dir.path(), &args);
    assert!(code == 0 || code == 1, "{err}");
    let files = entries(&zip);
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
    a.extend(regions);
    let (_, text, _) = run(&a);
    assert_eq!(String::from_utf8_lossy(&files["report.txt"]), text);
    assert_eq!(files["flows.csv"], std::fs::read(&csv).unwrap());
    assert_eq!(
        files["exports/nsg-1-nsg-nic-and-subnet.json"],
        std::fs::read(&nsg).unwrap()
    );
    let report: Value = serde_json::from_slice(&files["report.json"]).unwrap();
    assert!(!report["diagnosis"]["requirements"][0]["nsg"].is_null());
    // The manifest: inputs with their digests and times, the counts, and
    // the digest of every other file.
    let m: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(m["kind"], "asrscope-support-bundle");
    assert_eq!(m["asrscope"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["command_line"][1], "bundle");
    assert_eq!(m["service_tags"]["change_number"], 375);
    let input = &m["inputs"][0];
    let bytes = std::fs::read(&cap).unwrap();
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
    let listed = m["files"].as_array().unwrap();
    assert_eq!(listed.len(), files.len() - 1);
    for f in listed {
        let name = f["name"].as_str().unwrap();
        let body = &files[name];
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
        let original: Vec<String> = sni(Path::new(&cap), false)
            .into_iter()
            .filter(|l| ports.contains(&l.split('\t').next().unwrap().to_string()))
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
