//! No output ever replaces an input: every command that writes a file
//! refuses, before it opens anything for writing, an output that is the same
//! file as one of its inputs (by device and inode: through symbolic links,
//! hard links and other spellings of the path) or as another of its outputs.
//! The refusal is one line naming both, exit status 2, and every file is left
//! as it was.

mod common;

use common::{capture, data, run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A service-tags file, small and valid.
const TAGS: &str = r#"{"changeNumber": 7, "cloud": "Public", "values": [
  {"name": "Storage.EastUS", "id": "Storage.EastUS", "properties": {"changeNumber": 2, "region": "eastus",
   "regionId": 32, "platform": "Azure", "systemService": "AzureStorage",
   "addressPrefixes": ["13.68.120.64/28"]}}
]}"#;

/// A folder holding copies of a capture with findings, a second capture,
/// an NSG export, a route export and a service-tags file.
struct Case {
    dir: tempfile::TempDir,
}

impl Case {
    fn new() -> Case {
        let dir = tempfile::tempdir().unwrap();
        let copy = |from: String, to: &str| std::fs::copy(from, dir.path().join(to)).unwrap();
        copy(capture("syn-dropped.pcap"), "cap.pcap");
        copy(capture("healthy-tls12-dns.pcap"), "second.pcap");
        copy(data("nsg-deny-eventhub.json"), "nsg.json");
        copy(data("routes-udr-nva.json"), "routes.json");
        std::fs::write(dir.path().join("ServiceTags_Public_20251103.json"), TAGS).unwrap();
        Case { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_string_lossy().into_owned()
    }

    /// Every entry of the folder: its name, and the bytes of a file or the
    /// target of a link.
    fn state(&self) -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let p = e.path();
                let body = if e.file_type().unwrap().is_symlink() {
                    std::fs::read_link(&p)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned()
                        .into_bytes()
                } else {
                    std::fs::read(&p).unwrap()
                };
                (e.file_name().to_string_lossy().into_owned(), body)
            })
            .collect()
    }
}

/// Asserts that `args` is refused as writing `output` over `input` (both as
/// given on the command line): exit 2, one line naming both, nothing on
/// standard output, and the folder exactly as it was.
fn assert_refused(case: &Case, args: &[&str], output: &str, input: &str) {
    let before = case.state();
    let (code, out, err) = run(args);
    assert_eq!(code, 2, "{args:?}: {err}");
    assert!(out.is_empty(), "{args:?}: {out}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("asrscope: "), "{args:?}: {err}");
    assert!(err.contains("same file"), "{args:?}: {err}");
    assert!(err.contains(output), "{args:?}: the output is named: {err}");
    assert!(err.contains(input), "{args:?}: the input is named: {err}");
    assert_eq!(case.state(), before, "{args:?}: every file is as it was");
}

/// `live` on the loopback interface for a second, with `args`.
fn live<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["live", "-i", "lo", "--no-tui", "--duration", "1"];
    v.extend_from_slice(args);
    v
}

#[test]
fn an_output_naming_an_input_is_refused_and_the_input_kept() {
    let c = Case::new();
    let (cap, second) = (c.path("cap.pcap"), c.path("second.pcap"));
    let (nsg, routes) = (c.path("nsg.json"), c.path("routes.json"));
    let tags = c.path("ServiceTags_Public_20251103.json");
    let zip = c.path("case.zip");
    // bundle -o, over the capture and over each export.
    assert_refused(&c, &["bundle", &cap, "-o", &cap], &cap, &cap);
    for (flag, export) in [
        ("--nsg", &nsg),
        ("--routes", &routes),
        ("--service-tags", &tags),
    ] {
        let args = ["bundle", &cap, flag, export, "-o", export];
        assert_refused(&c, &args, export, export);
    }
    // analyze --csv, over the capture (the second of two) and each export.
    assert_refused(&c, &["analyze", "--csv", &cap, &cap], &cap, &cap);
    let args = ["analyze", &cap, &second, "--csv", &second];
    assert_refused(&c, &args, &second, &second);
    for (flag, export) in [
        ("--nsg", &nsg),
        ("--routes", &routes),
        ("--service-tags", &tags),
    ] {
        let args = ["analyze", &cap, flag, export, "--csv", export];
        assert_refused(&c, &args, export, export);
    }
    // tags import --out over the file it imports.
    assert_refused(&c, &["tags", "import", &tags, "--out", &tags], &tags, &tags);
    // live: refused before capturing, so that no privilege is needed.
    for (out_flag, in_flag, file) in [
        ("--csv", "--nsg", &nsg),
        ("--write", "--routes", &routes),
        ("--bundle", "--service-tags", &tags),
    ] {
        let args = live(&[in_flag, file, out_flag, file]);
        assert_refused(&c, &args, file, file);
    }
    // Nothing was made by any of them.
    assert!(!Path::new(&zip).exists());
}

#[test]
fn links_and_other_spellings_of_an_input_are_the_same_file() {
    let c = Case::new();
    let cap = c.path("cap.pcap");
    let nsg = c.path("nsg.json");
    // The output is a symbolic link to the capture.
    let link = c.path("case.zip");
    std::os::unix::fs::symlink(&cap, &link).unwrap();
    assert_refused(&c, &["bundle", &cap, "-o", &link], &link, &cap);
    // The capture is given through a link, the output by its own name.
    let cap_link = c.path("link.pcap");
    std::os::unix::fs::symlink(&cap, &cap_link).unwrap();
    assert_refused(&c, &["bundle", &cap_link, "-o", &cap], &cap, &cap_link);
    // A hard link: another name of the same file.
    let hard = c.path("hard.json");
    std::fs::hard_link(&nsg, &hard).unwrap();
    let args = ["analyze", &cap, "--nsg", &nsg, "--csv", &hard];
    assert_refused(&c, &args, &hard, &nsg);
    // Another spelling of the same path, from the folder itself.
    let before = c.state();
    let name = c.dir.path().file_name().unwrap().to_string_lossy();
    let other = format!("./../{name}/cap.pcap");
    let out = Command::new(env!("CARGO_BIN_EXE_asrscope"))
        .args(["analyze", "--csv", &other, "cap.pcap"])
        .current_dir(c.dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("same file"), "{err}");
    assert_eq!(c.state(), before);
}

#[test]
fn standard_input_read_from_a_file_is_that_file() {
    // `asrscope analyze --csv cap.pcap - < cap.pcap`: the shell opened the
    // capture for reading; creating the CSV would empty it under the reader.
    let c = Case::new();
    let cap = c.path("cap.pcap");
    let before = c.state();
    let out = Command::new(env!("CARGO_BIN_EXE_asrscope"))
        .args(["analyze", "--csv", &cap, "-"])
        .stdin(Stdio::from(std::fs::File::open(&cap).unwrap()))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("same file as standard input"), "{err}");
    assert!(err.contains(&cap), "{err}");
    assert_eq!(c.state(), before);
    // Standard input from a pipe is no file: the CSV is written.
    let csv = c.path("flows.csv");
    let mut child = Command::new(env!("CARGO_BIN_EXE_asrscope"))
        .args(["analyze", "--csv", &csv, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    std::io::copy(&mut std::fs::File::open(&cap).unwrap(), &mut stdin).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert!(rows.starts_with("first_seen,"), "{rows}");
    assert!(rows.lines().count() > 1, "{rows}");
}

#[test]
fn two_outputs_naming_one_file_are_refused() {
    let c = Case::new();
    // Neither exists yet: the same name, spelt two ways.
    let csv = c.path("out.csv");
    let other = format!("{}/./out.csv", c.dir.path().display());
    let args = live(&["--csv", &csv, "--write", &other]);
    let (first, second) = (format!("--csv {csv}"), format!("--write {other}"));
    assert_refused(&c, &args, &first, &second);
    // The packets kept for a bundle are not written over by the bundle.
    let pcap = c.path("kept.pcapng");
    std::fs::write(&pcap, b"packets of an earlier capture").unwrap();
    let args = live(&["--write", &pcap, "--bundle", &pcap]);
    assert_refused(&c, &args, &pcap, &pcap);
}

/// The terminal UI's `b` and `live --bundle` write through the library's
/// `bundle::write`, which refuses the same way.
#[test]
fn the_library_bundle_refuses_to_write_over_an_input() {
    let c = Case::new();
    let cap = PathBuf::from(c.path("cap.pcap"));
    let nsg = PathBuf::from(c.path("nsg.json"));
    let input = asrscope::cli::InputArgs {
        captures: vec![cap.clone()],
        filter: None,
        engine: asrscope::cli::EngineArgs {
            vxlan_port: vec![],
            geneve_port: vec![],
            max_memory: 512 << 20,
        },
    };
    let azure = asrscope::cli::AzureArgs {
        service_tags: None,
        source_region: None,
        target_region: None,
        cloud: None,
    };
    let judge = asrscope::cli::JudgeArgs {
        capture_point: asrscope::cli::CapturePointArg::Vm,
        retrans_threshold: 2.0,
        min_segments: 20,
        zero_window_threshold: 1,
        trusted_issuer: vec![],
        nsg: vec![nsg.clone()],
        routes: vec![],
        azure: vec![],
    };
    let before = c.state();
    for output in [&cap, &nsg] {
        let req = asrscope::app::bundle::Request {
            sources: asrscope::app::offline::Sources {
                input: &input,
                azure: &azure,
                judge: &judge,
            },
            output,
            command_line: vec![],
        };
        let e = match asrscope::app::bundle::write(&req) {
            Ok(_) => panic!("{}: written over an input", output.display()),
            Err(e) => format!("{e:#}"),
        };
        assert!(e.contains("same file"), "{e}");
        assert!(!e.contains('\n'), "{e}");
        assert_eq!(c.state(), before);
    }
}
