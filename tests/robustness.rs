//! Bad input never panics and is reported clearly: damaged, empty, foreign and
//! unsupported files, wrong flags, and frames from real captures mutated at
//! random (deterministic seed, bounded count) fed to the whole analysis.

mod common;

use asrscope::analysis::engine::Engine;
use asrscope::capture::read_capture;
use asrscope::frame::Frame;
use common::{root, run};
use std::path::{Path, PathBuf};

/// xorshift64*: a fixed, dependency-free pseudo-random sequence.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn frames_of(path: &Path) -> Vec<(u32, i64, Vec<u8>)> {
    let mut v = Vec::new();
    let _ = read_capture(path, None, &mut |f| {
        v.push((f.linktype, f.ts_us, f.data.to_vec()))
    });
    v
}

#[test]
fn mutated_frames_never_panic() {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(root().join("captures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    // Three corpus captures with odd link layers and tunnels, where present;
    // the project's captures are mutated either way.
    for n in [
        "arkime__arkime_synthetic.pcap",
        "ndpi__dns.pcap",
        "zeek__tunnels__vxlan-encapsulated-http.pcap",
    ] {
        let rel = format!("corpus/pcaps/{n}");
        match common::shared(&rel) {
            Some(p) => inputs.push(p),
            None => common::skip(&format!(
                "{n} left out, the project's captures are mutated without it: {}",
                common::no_shared(&rel)
            )),
        }
    }
    inputs.sort();
    let mut rng = Rng(0x5eed_a5c0_0e00_0001);
    let mut fed = 0u64;
    for path in inputs {
        let frames = frames_of(&path);
        // Every frame once as captured, then cut or corrupted copies of a sample.
        let mut engine = Engine::default();
        for (lt, ts, data) in frames.iter().take(400) {
            for k in 0..4 {
                let mut d = data.clone();
                match k {
                    0 => {}
                    1 => d.truncate(rng.below(d.len() + 1)),
                    2 => {
                        for _ in 0..1 + rng.below(8) {
                            let i = rng.below(d.len());
                            if let Some(b) = d.get_mut(i) {
                                *b ^= 1 << rng.below(8);
                            }
                        }
                    }
                    _ => {
                        // Corrupt a byte past the headers, where application parsers read.
                        let i = 40 + rng.below(d.len().saturating_sub(40));
                        if let Some(b) = d.get_mut(i) {
                            *b = rng.next() as u8;
                        }
                    }
                }
                engine.ingest(&Frame {
                    ts_us: *ts,
                    linktype: *lt,
                    wire_len: data.len() as u32,
                    data: &d,
                });
                fed += 1;
            }
        }
        engine.finish();
        let _ = engine.take_finished();
    }
    assert!(fed > 1000, "only {fed} frames fed");
}

#[test]
fn truncated_capture_is_analysed_up_to_the_damage() {
    let f = root().join("captures/truncated.pcap");
    let (code, out, err) = run(&["analyze", f.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.contains("STOPPED after frame"), "{out}");
    assert!(err.contains("truncated.pcap: stopped after frame"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        out.contains("flows: "),
        "the part before the damage is still reported: {out}"
    );
}

#[test]
fn pcapng_cut_in_a_block_is_reported() {
    let src = std::fs::read(root().join("captures/multi-if.pcapng")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.pcapng");
    std::fs::write(&p, &src[..src.len() * 2 / 3]).unwrap();
    let (code, out, err) = run(&["analyze", "--format", "json", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let end = &v["inputs"][0]["end"];
    assert_eq!(end["status"], "damaged");
    assert_eq!(end["damage"]["kind"], "cut-short", "{end}");
    assert_eq!(end["damage"]["format"], "pcapng", "{end}");
    assert!(v["capture"]["frames"].as_u64().unwrap() > 0);
}

#[test]
fn foreign_empty_and_missing_files_give_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.pcap");
    std::fs::write(&empty, b"").unwrap();
    let text = dir.path().join("notes.pcap");
    std::fs::write(&text, b"this is not a capture\n").unwrap();
    for (p, want) in [
        (empty.to_str().unwrap().to_string(), "the file is empty"),
        (
            text.to_str().unwrap().to_string(),
            "not a pcap or pcapng capture",
        ),
        ("/nonexistent/x.pcap".to_string(), "cannot open"),
    ] {
        let (code, _out, err) = run(&["analyze", &p]);
        assert_eq!(code, 2, "{p}");
        assert!(err.contains(want), "{p}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
}

#[test]
fn one_bad_file_does_not_hide_the_good_one() {
    let good = root().join("captures/syn-rst.pcap");
    let (code, out, err) = run(&[
        "analyze",
        "--format",
        "json",
        "/nonexistent.pcap",
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent.pcap"));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(!v["flows"].as_array().unwrap().is_empty());
}

#[test]
fn unsupported_link_type_is_named() {
    let rel = "corpus/pcaps/tcpdump__brcm-tag.pcap";
    let Some(p) = common::shared(rel) else {
        return common::skip(&common::no_shared(rel));
    };
    let (code, _out, err) = run(&["analyze", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("link type 281"), "{err}");
}

#[test]
fn bad_flags_and_filters() {
    let good = root().join("captures/syn-rst.pcap");
    let (code, _, err) = run(&["analyze", "--filter", "tcp and and", good.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("invalid --filter"), "{err}");
    let (code, _, err) = run(&["analyze", "--format", "xml", good.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("xml"), "{err}");
    let (code, _, _) = run(&["analyze"]);
    assert_eq!(code, 2);
    let (code, _, err) = run(&[
        "analyze",
        "--csv",
        "/nonexistent-dir/x.csv",
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot create the CSV file"), "{err}");
}

/// `analyze --format json` with standard input from `input`, through a
/// shell so that fifos and process substitution are real.
fn json_of(shell: &str) -> (i32, serde_json::Value, String) {
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(shell)
        .env("ASRSCOPE", env!("CARGO_BIN_EXE_asrscope"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let v = serde_json::from_str(&stdout).unwrap_or(serde_json::Value::Null);
    (
        out.status.code().unwrap_or(-1),
        v,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn frames_and_flows(v: &serde_json::Value) -> (u64, usize) {
    (
        v["capture"]["frames"].as_u64().unwrap(),
        v["flows"].as_array().unwrap().len(),
    )
}

#[test]
fn streams_are_read_once_fifo_process_substitution_and_stdin() {
    for name in [
        "healthy-tls12-dns.pcap",
        "multi-if.pcapng",
        "pktmon-copies.pcapng",
    ] {
        let path = common::capture(name);
        let (code, file, err) = json_of(&format!("\"$ASRSCOPE\" analyze --format json '{path}'"));
        assert!(code == 0 || code == 1, "{name}: {err}");
        let want = frames_and_flows(&file);
        // Process substitution: a pipe that can be opened once.
        let (code, v, err) = json_of(&format!(
            "\"$ASRSCOPE\" analyze --format json <(cat '{path}')"
        ));
        assert!(code == 0 || code == 1, "{name} <(…): {err}");
        assert_eq!(frames_and_flows(&v), want, "{name} <(…)");
        // Standard input, pcapng with two link types included.
        let (code, v, err) = json_of(&format!("\"$ASRSCOPE\" analyze --format json - < '{path}'"));
        assert!(code == 0 || code == 1, "{name} stdin: {err}");
        assert_eq!(frames_and_flows(&v), want, "{name} stdin");
        assert_eq!(v["inputs"][0]["stdin"], true);
        assert_eq!(
            v["inputs"][0]["format"], file["inputs"][0]["format"],
            "{name} stdin"
        );
        // A fifo, with its writer started after asrscope opened it.
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f");
        let (code, v, err) = json_of(&format!(
            "mkfifo '{f}' || exit 9; (sleep 0.2; cat '{path}' > '{f}') & \
             timeout 20 \"$ASRSCOPE\" analyze --format json '{f}'",
            f = fifo.display()
        ));
        assert!(code == 0 || code == 1, "{name} fifo: {err}");
        assert_eq!(frames_and_flows(&v), want, "{name} fifo");
    }
}

#[test]
fn a_stream_cut_short_is_reported_with_what_came_before() {
    let path = common::capture("truncated.pcap");
    let (code, v, err) = json_of(&format!("\"$ASRSCOPE\" analyze --format json - < '{path}'"));
    assert_eq!(code, 2, "{err}");
    assert_eq!(v["inputs"][0]["end"]["status"], "damaged");
    assert!(v["capture"]["frames"].as_u64().unwrap() > 0);
    assert!(err.contains("stopped after frame"), "{err}");
    let (code, _, err) = json_of("printf '' | \"$ASRSCOPE\" analyze -");
    assert_eq!(code, 2);
    assert!(err.contains("the input is empty"), "{err}");
}

#[test]
fn a_full_disk_names_the_csv_and_the_report_is_still_printed() {
    let f = common::capture("loss-ratelimit.pcap");
    let (code, out, err) = run(&["analyze", "--csv", "/dev/full", &f]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/dev/full: cannot write the CSV"), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(out.contains("SITE RECOVERY REQUIREMENTS"), "{out}");
}

/// Every string of a JSON value, with its path.
fn strings<'a>(v: &'a serde_json::Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match v {
        serde_json::Value::String(s) => out.push((path, s)),
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                strings(x, format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                strings(x, format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn hostile_names_are_escaped_in_every_view() {
    // A CONNECT host, a TLS server name and a DNS question holding ESC [2J,
    // an OSC title sequence and BEL, made by bash, openssl and Python.
    let name = "hostile-names.pcap";
    let rows = common::truth(name);
    assert!(
        rows.iter()
            .any(|r| r["tls.handshake.extensions_server_name"].contains('\u{1b}'))
    );
    assert!(
        rows.iter()
            .any(|r| r["http.request.uri"].contains('\u{1b}'))
    );
    let f = common::capture(name);
    let (code, out, err) = run(&["analyze", "--format", "json", &f]);
    assert!(code == 0 || code == 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut all = Vec::new();
    strings(&v, String::new(), &mut all);
    assert!(all.len() > 100);
    for (path, s) in &all {
        assert!(
            !s.chars().any(|c| c.is_control()),
            "{path} holds a control character: {s:?}"
        );
    }
    let escaped = "evil\\027[2j\\027]0;pwned\\007.blob.core.windows.net";
    let seen: Vec<&str> = all.iter().map(|(_, s)| *s).collect();
    assert!(
        seen.contains(&escaped),
        "the CONNECT host, escaped: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|s| s.eq_ignore_ascii_case(escaped) && s.contains("2J")),
        "the SNI, escaped"
    );
    // The text report and the CSV carry no control character but newlines.
    let (_, text, _) = run(&["analyze", &f]);
    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
    assert!(text.contains("evil\\027[2"));
    let (_, csv, _) = run(&["analyze", "--csv", "-", &f]);
    assert!(
        !csv.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r')
    );
    assert!(csv.contains("evil\\027[2"), "{csv}");
}
