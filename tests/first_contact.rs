//! First contact and hostile input: the README's first command as it is, a
//! closed standard output for every command and format, inputs that would
//! grow memory without bound, exports in the encodings Windows tools write,
//! and the messages each of them gets. Every input is made here.

mod common;

use common::{capture, data, is_root, run, skip};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A scratch directory, removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let d = std::env::temp_dir().join(format!("asrscope-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Scratch(d)
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        p.to_string_lossy().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_asrscope")
}

/// The highest resident memory of a running process so far, in kB
/// (`VmHWM`), or `None` once it has ended.
fn peak_kb(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Runs asrscope with `args`, standard input from `input` (a function
/// writing to it) when given; returns the exit code, standard error and the
/// peak resident memory seen, in MB.
/// What writes a test's input to asrscope's standard input.
type Feed = Box<dyn FnOnce(&mut dyn Write) + Send>;

fn run_measured(args: &[&str], input: Option<Feed>) -> (i32, String, u64) {
    let mut child = Command::new(bin())
        .args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let feeder = input.map(|f| {
        let mut stdin = child.stdin.take().unwrap();
        std::thread::spawn(move || f(&mut stdin))
    });
    let pid = child.id();
    let mut peak = 0;
    while let Some(kb) = peak_kb(pid) {
        peak = peak.max(kb);
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let out = child.wait_with_output().unwrap();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        peak / 1024,
    )
}

/// A pcap header (Ethernet, microseconds).
fn pcap_header() -> Vec<u8> {
    let mut h = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&65_535u32.to_le_bytes());
    h.extend_from_slice(&1u32.to_le_bytes());
    h
}

#[test]
fn the_readmes_first_command_works_verbatim_as_root_without_sudo() {
    if !is_root() {
        return skip("runs apt-get as root without sudo: run the tests as root");
    }
    if !common::have("git") {
        return skip("git is needed to clone the repository");
    }
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let block = &readme[readme.find("```sh\n").unwrap() + 6..];
    let first = block.lines().next().unwrap().to_string();
    assert!(first.contains("cargo run"), "{first}");
    let dir = Scratch::new("readme-first");
    let clone = dir.0.join("clone");
    let st = Command::new("git")
        .args(["clone", "--quiet"])
        .arg(common::root())
        .arg(&clone)
        .status()
        .unwrap();
    assert!(st.success());
    // A PATH with every program of this one but `sudo`.
    let shim = dir.0.join("bin");
    std::fs::create_dir_all(&shim).unwrap();
    for d in std::env::split_paths(&std::env::var_os("PATH").unwrap()) {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let name = e.file_name();
            let to = shim.join(&name);
            if name != "sudo" && !to.exists() {
                let _ = std::os::unix::fs::symlink(e.path(), to);
            }
        }
    }
    assert!(!shim.join("sudo").exists());
    let out = Command::new("bash")
        .arg("-c")
        .arg(&first)
        .current_dir(&clone)
        .env("PATH", &shim)
        .env("DEBIAN_FRONTEND", "noninteractive")
        // Built once, beside this repository's own target directory.
        .env(
            "CARGO_TARGET_DIR",
            common::root().join("target").join("readme-first-command"),
        )
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!stderr.contains("sudo: command not found"), "{stderr}");
    // The healthy capture: exit 0 and its report.
    assert!(out.status.success(), "{first}\n{stdout}\n{stderr}");
    assert!(stdout.contains("REQUIREMENTS"), "{stdout}");
}

/// Runs asrscope with `args`, its standard output closed before anything
/// is written (the reader went away): the exit status and standard error.
fn with_stdout_closed(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(bin())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), err)
}

/// The region pair, added to the command lines of `check` and
/// `requirements`, which need it.
fn with_region(cases: &mut [Vec<&str>]) {
    let region = ["--source-region", "eastus", "--target-region", "centralus"];
    for c in cases.iter_mut() {
        if matches!(c[0], "check" | "requirements") {
            c.extend(region);
        }
    }
}

#[test]
fn a_closed_standard_output_ends_every_command_quietly() {
    let healthy = capture("healthy-tls12-dns.pcap");
    let nsg = data("nsg-allow-all.json");
    let mut cases: Vec<Vec<&str>> = vec![
        vec!["analyze", &healthy],
        vec!["analyze", "--format", "json", &healthy],
        vec!["analyze", "--csv", "-", &healthy],
        vec!["check", "--nsg", &nsg],
        vec!["check", "--nsg", &nsg, "--format", "json"],
        vec!["requirements"],
        vec!["requirements", "--format", "json"],
        vec!["requirements", "--format", "az"],
        vec!["tags", "info", "--regions"],
        vec!["tags", "lookup", "13.68.163.36", "4.149.98.200"],
    ];
    with_region(&mut cases);
    for args in &cases {
        let (code, err) = with_stdout_closed(args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        // Nothing about the pipe (with `--csv -` the report itself goes to
        // standard error).
        if args.contains(&"--csv") {
            assert!(err.contains("REQUIREMENTS"), "{args:?}: {err}");
            assert!(
                !err.contains("pipe") && !err.contains("CSV"),
                "{args:?}: {err}"
            );
        } else {
            assert!(err.is_empty(), "{args:?}: {err}");
        }
    }
}

/// A closed standard output ends quietly, and the exit status is still the
/// analysis's: `asrscope analyze … | head -1` says 1 for a capture with a
/// finding, whether the reader left before anything was written or after
/// the first line, so that a script (`set -o pipefail`) cannot take a
/// finding for a clean bill. `bundle` prints its one line and exits 0 once
/// the zip is written.
#[test]
fn a_closed_standard_output_keeps_the_exit_status() {
    let blocked = capture("syn-dropped.pcap");
    let deny = data("nsg-deny-eventhub.json");
    let mut cases: Vec<Vec<&str>> = vec![
        vec!["analyze", &blocked],
        vec!["analyze", "--format", "json", &blocked],
        vec!["analyze", "--csv", "-", &blocked],
        vec!["check", "--nsg", &deny],
        vec!["check", "--nsg", &deny, "--format", "json"],
    ];
    with_region(&mut cases);
    for args in &cases {
        // The whole output read: the status to keep.
        let (code, out, err) = run(args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(!out.is_empty());
        let (code, err) = with_stdout_closed(args);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert!(
            !err.contains("pipe") && !err.contains("standard output"),
            "{args:?}: {err}"
        );
        // `| head -1`, as a shell runs it.
        let line = std::iter::once(bin())
            .chain(args.iter().copied())
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(" ");
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "{line} 2>/dev/null | head -1; echo \"status ${{PIPESTATUS[0]}}\""
            ))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {text}");
        assert_eq!(lines[1], "status 1", "{args:?}: {text}");
    }
    // bundle: the zip is written, its line finds the pipe closed.
    let dir = Scratch::new("closed-bundle");
    let zip = dir.0.join("case.zip");
    let (code, err) = with_stdout_closed(&["bundle", &blocked, "-o", zip.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.is_empty(), "{err}");
    assert!(std::fs::metadata(&zip).unwrap().len() > 1000);
}

#[test]
fn zero_length_records_do_not_grow_memory() {
    // A pcap header and then 6 million records of caplen 0 on standard
    // input (96 MB): before, each cost about 26 bytes outside the budget.
    let (code, err, peak) = run_measured(
        &["analyze", "--max-memory", "64M", "-"],
        Some(Box::new(|w: &mut dyn Write| {
            let mut buf = pcap_header();
            let _ = w.write_all(&buf);
            buf.clear();
            for i in 0..65_536u32 {
                buf.extend_from_slice(&i.to_le_bytes());
                buf.extend_from_slice(&[0; 12]);
            }
            for _ in 0..(6_000_000 / 65_536) {
                if w.write_all(&buf).is_err() {
                    return;
                }
            }
        })),
    );
    assert!(code == 0 || code == 1, "{err}");
    assert!(peak < 96, "peak {peak} MB for 6,000,000 empty records");
}

#[test]
fn the_json_report_streams_its_flows() {
    // 60,000 SYN-only flows: the JSON held every one before it was written.
    let dir = Scratch::new("json-flood");
    let mut pcap = pcap_header();
    for i in 0..60_000u32 {
        let mut frame = vec![
            0x00, 0x0d, 0x3a, 0x20, 0x00, 0x01, 0x00, 0x0d, 0x3a, 0x10, 0x00, 0x04, 0x08, 0x00,
        ];
        let ip: [u8; 20] = [
            0x45,
            0,
            0,
            40,
            0,
            1,
            0,
            0,
            64,
            6,
            0,
            0,
            10,
            1,
            (i >> 8) as u8,
            i as u8,
            13,
            68,
            163,
            36,
        ];
        frame.extend_from_slice(&ip);
        let mut tcp = vec![0u8; 20];
        tcp[0..2].copy_from_slice(&40_000u16.to_be_bytes());
        tcp[2..4].copy_from_slice(&443u16.to_be_bytes());
        tcp[4..8].copy_from_slice(&(i * 7919).to_be_bytes());
        tcp[12] = 0x50;
        tcp[13] = 0x02;
        tcp[14..16].copy_from_slice(&64_240u16.to_be_bytes());
        frame.extend_from_slice(&tcp);
        pcap.extend_from_slice(&(1_700_000_000 + i / 1000).to_le_bytes());
        pcap.extend_from_slice(&((i % 1000) * 1000).to_le_bytes());
        pcap.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        pcap.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        pcap.extend_from_slice(&frame);
    }
    let f = dir.file("flood.pcap", &pcap);
    let (code, err, text_peak) = run_measured(&["analyze", "--max-memory", "16M", &f], None);
    assert!(code == 0 || code == 1, "{err}");
    let (code, err, json_peak) = run_measured(
        &["analyze", "--format", "json", "--max-memory", "16M", &f],
        None,
    );
    assert!(code == 0 || code == 1, "{err}");
    // Held whole, 60,000 judged flows take well over 100 MB; streamed, the
    // JSON costs what the text report costs, give or take the writer.
    assert!(
        json_peak < text_peak + 32,
        "json {json_peak} MB against text {text_peak} MB"
    );
    // And it is one JSON document with every flow.
    let (_, out, _) = run(&["analyze", "--format", "json", &f]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["flows"].as_array().unwrap().len(), 60_000);
    assert_eq!(v["capture"]["flows"], 60_000);
    assert!(v["diagnosis"]["requirements"].is_array());
}

#[test]
fn a_large_route_export_is_read_in_memory_proportional_to_it() {
    // 200,000 effective routes as `az` indents them (about 60 MB): the route
    // list is read a route at a time, never held as one parsed document
    // (which took five times the file), so the peak stays within twice the
    // file and the binary.
    let dir = Scratch::new("many-routes");
    let mut text = String::from("{\n  \"value\": [\n");
    for i in 0..200_000u32 {
        let [_, a, b, c] = i.to_be_bytes();
        text.push_str(&format!(
            "    {{\n      \"disableBgpRoutePropagation\": false,\n      \"name\": \"udr-{i}\",\n      \"source\": \"User\",\n      \"state\": \"Active\",\n      \"addressPrefix\": [\n        \"40.{a}.{b}.{c}/32\"\n      ],\n      \"nextHopIpAddress\": [\n        \"10.1.0.4\"\n      ],\n      \"nextHopType\": \"VirtualAppliance\"\n    }},\n"
        ));
    }
    text.push_str(
        "    {\"name\": null, \"source\": \"Default\", \"state\": \"Active\", \"addressPrefix\": [\"0.0.0.0/0\"], \"nextHopType\": \"Internet\"}\n  ]\n}\n",
    );
    let routes = dir.file("routes.json", text.as_bytes());
    let mb = (text.len() >> 20) as u64;
    drop(text);
    let nsg = data("nsg-allow-all.json");
    let args = [
        "check",
        "--nsg",
        &nsg,
        "--routes",
        &routes,
        "--format",
        "json",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ];
    let (code, err, peak) = run_measured(&args, None);
    assert_eq!(code, 0, "{err}");
    assert!(mb > 50, "{mb} MB");
    assert!(peak < 2 * mb + 40, "peak {peak} MB for a {mb} MB export");
}

/// The regions the checks of exports below are for.
const REGIONS: [&str; 4] = ["--source-region", "eastus", "--target-region", "centralus"];

/// `asrscope check --nsg NSG --format json` for [`REGIONS`]: (code, stdout,
/// stderr).
fn check_nsg(nsg: &str) -> (i32, String, String) {
    let mut args = vec!["check", "--nsg", nsg, "--format", "json"];
    args.extend(REGIONS);
    run(&args)
}

/// The text of an NSG export that allows everything.
fn allow_all_text() -> String {
    std::fs::read_to_string(data("nsg-allow-all.json")).unwrap()
}

#[test]
fn exports_with_a_byte_order_mark_are_read_as_they_are() {
    let dir = Scratch::new("exports-bom");
    let text = allow_all_text();
    // UTF-8 with a byte-order mark, and UTF-16 with one (PowerShell 5.1's
    // `>`), read as they are.
    let mut bom = vec![0xef, 0xbb, 0xbf];
    bom.extend_from_slice(text.as_bytes());
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    for (name, bytes) in [("bom.json", bom), ("utf16.json", utf16)] {
        let (code, out, err) = check_nsg(&dir.file(name, &bytes));
        assert_eq!(code, 0, "{name}: {err}");
        assert!(out.contains("\"ok\": true"), "{name}");
    }
}

#[test]
fn exports_in_other_encodings_are_one_line_naming_the_encoding() {
    let dir = Scratch::new("exports-encoding");
    let text = allow_all_text();
    // UTF-32, UTF-16 without a mark, invalid UTF-8: one line naming it.
    let mut utf32 = vec![0xff, 0xfe, 0, 0];
    utf32.extend(text.chars().flat_map(|c| (c as u32).to_le_bytes()));
    let no_mark: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let mut latin1 = text.as_bytes().to_vec();
    latin1.insert(10, 0xe9);
    for (name, bytes, says) in [
        ("utf32.json", utf32, "UTF-32"),
        ("nomark.json", no_mark, "without a byte-order mark"),
        (
            "latin1.json",
            latin1,
            "not valid UTF-8 (invalid byte at offset 10)",
        ),
    ] {
        let (code, _, err) = check_nsg(&dir.file(name, &bytes));
        assert_eq!(code, 2, "{name}");
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.contains(says), "{name}: {err}");
        assert!(err.contains("UTF-8"), "{name}: {err}");
    }
}

/// A device without end is refused at its first bytes, a file larger than
/// the cap before a byte of it is read, and a stream larger than the cap
/// once the cap is reached: memory stays within the 256 MiB cap (a buffer
/// that grew by doubling peaked at 540 MB on /dev/zero).
#[test]
fn exports_and_tag_files_without_end_or_too_large_are_refused_within_the_cap() {
    let dir = Scratch::new("exports-bounded");
    let big = dir.file("big.json", b"");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(300 << 20)
        .unwrap();
    let spaces: Feed = Box::new(|w| {
        let block = vec![b' '; 1 << 20];
        for _ in 0..300 {
            if w.write_all(&block).is_err() {
                return;
            }
        }
    });
    for (flag, file, feed, says, within) in [
        (
            "--nsg",
            "/dev/zero",
            None,
            "the export is not text: its first 64 bytes are all zero",
            64,
        ),
        (
            "--service-tags",
            "/dev/zero",
            None,
            "the service tags file is not text",
            64,
        ),
        (
            "--nsg",
            big.as_str(),
            None,
            "the export is larger than 256 MiB",
            64,
        ),
        (
            "--service-tags",
            big.as_str(),
            None,
            "the service tags file is larger than 256 MiB",
            64,
        ),
        (
            "--nsg",
            "/dev/stdin",
            Some(spaces),
            "the export is larger than 256 MiB",
            300,
        ),
    ] {
        let mut args = vec!["check", "--nsg", file];
        if flag == "--service-tags" {
            args = vec!["check", "--nsg", "/dev/null", "--service-tags", file];
        }
        args.extend(REGIONS);
        let (code, err, peak) = run_measured(&args, feed);
        assert_eq!(code, 2, "{flag} {file}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{flag} {file}: {err}");
        assert!(peak < within, "{flag} {file}: peak {peak} MB");
    }
}

#[test]
fn an_export_with_a_wrong_field_names_the_rule_and_the_field() {
    let dir = Scratch::new("exports-field");
    let text = allow_all_text();
    let bad = text.replacen("\"priority\": 100", "\"priority\": -1", 1);
    assert_ne!(bad, text);
    let (code, _, err) = check_nsg(&dir.file("prio.json", bad.as_bytes()));
    assert_eq!(code, 2);
    assert!(
        err.contains("security rule \"Allow-All-Outbound\": priority -1"),
        "{err}"
    );
}

#[test]
fn pcapng_blocks_unknown_are_skipped_and_invalid_ones_named_in_one_line() {
    let dir = Scratch::new("pcapng-blocks");
    let good = std::fs::read(capture("pktmon-copies.pcapng")).unwrap();
    // Walk the blocks (little-endian) to find where the packets begin.
    let mut at = 0;
    let mut offsets = Vec::new();
    while at + 8 <= good.len() {
        offsets.push(at);
        at += u32::from_le_bytes(good[at + 4..at + 8].try_into().unwrap()) as usize;
    }
    let third = offsets[3];
    let splice = |block: &[u8]| {
        let mut v = good[..third].to_vec();
        v.extend_from_slice(block);
        v.extend_from_slice(&good[third..]);
        v
    };
    // A well-formed block of a type this code does not know.
    let mut unknown = 0x0bad_b10cu32.to_le_bytes().to_vec();
    unknown.extend_from_slice(&28u32.to_le_bytes());
    unknown.extend_from_slice(&[7; 16]);
    unknown.extend_from_slice(&28u32.to_le_bytes());
    let (_, plain, _) = run(&[
        "analyze",
        "--format",
        "json",
        &capture("pktmon-copies.pcapng"),
    ]);
    let frames = |json: &str| {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["capture"]["frames"].as_u64().unwrap()
    };
    let unknown_file = dir.file("unknown.pcapng", &splice(&unknown));
    let (code, out, err) = run(&["analyze", "--format", "json", &unknown_file]);
    assert!(code == 0 || code == 1, "{err}");
    assert_eq!(frames(&out), frames(&plain));
    // A block whose length is not a multiple of 4, from a file and from a
    // stream: one short line with the frame and the byte offset.
    let mut bad = 6u32.to_le_bytes().to_vec();
    bad.extend_from_slice(&13u32.to_le_bytes());
    bad.extend_from_slice(&[0; 5]);
    let bytes = splice(&bad);
    let bad_file = dir.file("bad.pcapng", &bytes);
    let (code, _, err) = run(&["analyze", &bad_file]);
    assert_eq!(code, 2);
    let line = err
        .lines()
        .find(|l| l.contains("stopped after frame"))
        .unwrap();
    assert!(line.contains(&format!("byte {third}")), "{line}");
    assert!(err.len() < 600, "{err}");
    let (code, err) = analyze_stdin(&bytes);
    assert_eq!(code, Some(2));
    assert!(
        err.contains(&format!("invalid block at byte {third}")),
        "{err}"
    );
    assert!(
        !err.contains("NomError") && !err.contains("[12, 0"),
        "{err}"
    );
    assert!(err.len() < 600, "{err}");
    // A process information block (pktmon and Wireshark write them) that
    // claims 8 bytes, fewer than a block's own header and trailer: named,
    // on the stream path too, where pcap-parser would otherwise underflow.
    let mut short = 0x8000_0001u32.to_le_bytes().to_vec();
    short.extend_from_slice(&8u32.to_le_bytes());
    let bytes = splice(&short);
    let (code, err) = analyze_stdin(&bytes);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(&format!("block at byte {third} claims a length of 8 bytes")),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn arguments_that_would_mislead_are_refused_or_named() {
    let healthy = capture("healthy-tls12-dns.pcap");
    // An unset shell variable: it would trust every issuer.
    for blank in ["", "  "] {
        let (code, out, err) = run(&["analyze", "--trusted-issuer", blank, &healthy]);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("--trusted-issuer"), "{err}");
    }
    // Two documents on one stream.
    let (code, out, err) = run(&["analyze", "--format", "json", "--csv", "-", &healthy]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("--csv - and --format json"), "{err}");
    // The CSV on standard output alone, the report on standard error.
    let (code, out, err) = run(&["analyze", "--csv", "-", &healthy]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("first_seen,"), "{out}");
    assert!(err.contains("REQUIREMENTS"), "{err}");
    // A CSV that cannot be created: the report first, then one line, exit 2.
    let (code, out, err) = run(&["analyze", "--csv", "/nonexistent/dir/x.csv", &healthy]);
    assert_eq!(code, 2);
    assert!(out.contains("REQUIREMENTS"), "{out}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("/nonexistent/dir/x.csv: cannot create the CSV file"),
        "{err}"
    );
    // A region holding an escape sequence is shown escaped.
    let (code, _, err) = run(&[
        "requirements",
        "--source-region",
        "east\u{1b}[2Jus",
        "--target-region",
        "centralus",
    ]);
    assert_eq!(code, 2);
    assert!(!err.contains('\u{1b}'), "{err}");
    assert!(err.contains("\\027[2J"), "{err}");
    // A file name that is not UTF-8 is taken, and named.
    use std::os::unix::ffi::OsStrExt;
    let dir = Scratch::new("names");
    let odd = dir.0.join(std::ffi::OsStr::from_bytes(b"cap\xff\x1b.pcap"));
    std::fs::copy(&healthy, &odd).unwrap();
    let out = Command::new(bin())
        .arg("analyze")
        .arg(&odd)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{:?}", out);
    let missing = dir
        .0
        .join(std::ffi::OsStr::from_bytes(b"gone\xff\x1b.pcap"));
    let out = Command::new(bin())
        .arg("analyze")
        .arg(&missing)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("gone\u{fffd}\\027.pcap: cannot open"), "{err}");
}

#[test]
fn a_full_disk_on_standard_output_is_named() {
    let full = Path::new("/dev/full");
    if !full.exists() {
        return skip("/dev/full is needed");
    }
    let healthy = capture("healthy-tls12-dns.pcap");
    let region = ["--source-region", "eastus", "--target-region", "centralus"];
    let nsg = data("nsg-allow-all.json");
    let mut cases: Vec<Vec<&str>> = vec![
        vec!["analyze", &healthy],
        vec!["analyze", "--format", "json", &healthy],
        vec!["requirements", "--format", "json"],
        vec!["check", "--nsg", &nsg],
    ];
    for c in cases.iter_mut().skip(2) {
        c.extend(region);
    }
    for args in cases {
        let out = Command::new(bin())
            .args(&args)
            .stdout(std::fs::File::create(full).unwrap())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("standard output: No space left on device"),
            "{args:?}: {err}"
        );
    }
}

/// `asrscope analyze -` with `bytes` on standard input: the exit status and
/// standard error. asrscope stops reading at a bad block, so the rest of
/// the bytes may not be taken.
fn analyze_stdin(bytes: &[u8]) -> (Option<i32>, String) {
    let mut child = Command::new(bin())
        .args(["analyze", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let _ = child.stdin.take().unwrap().write_all(bytes);
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
