//! `analyze`'s output on every sample capture, byte for byte: the text
//! report, the JSON and the CSV, against the files of `tests/data/golden/`.
//! Work that should change nothing a user sees (performance work first of
//! all) must leave them as they are; a change that means to change the
//! output rewrites them with `ASRSCOPE_BLESS=1 cargo test --test golden`,
//! and the diff shows what changed.
//!
//! The captures are given by their path relative to the repository, so the
//! files do not depend on where it is checked out.

mod common;

use common::root;
use std::path::Path;
use std::process::Command;

/// The three outputs, as the binary writes them (standard output; for the
/// text report, standard error too, where damage is reported).
fn outputs(capture: &str) -> [(String, Vec<u8>); 3] {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_asrscope"))
            .current_dir(root())
            .args(args)
            .output()
            .unwrap();
        let mut v = out.stdout;
        if !out.stderr.is_empty() {
            v.extend_from_slice(b"--- standard error ---\n");
            v.extend_from_slice(&out.stderr);
        }
        v
    };
    [
        ("txt".into(), run(&["analyze", capture])),
        (
            "json".into(),
            run(&["analyze", "--format", "json", capture]),
        ),
        ("csv".into(), run(&["analyze", "--csv", "-", capture])),
    ]
}

/// The first line where two outputs differ, for the failure message.
fn first_difference(want: &[u8], got: &[u8]) -> String {
    let (w, g) = (String::from_utf8_lossy(want), String::from_utf8_lossy(got));
    for (i, (a, b)) in w.lines().zip(g.lines()).enumerate() {
        if a != b {
            let cut = |s: &str| s.chars().take(300).collect::<String>();
            return format!("line {}:\n  want: {}\n  got:  {}", i + 1, cut(a), cut(b));
        }
    }
    format!(
        "{} lines expected, {} written",
        w.lines().count(),
        g.lines().count()
    )
}

#[test]
fn analyze_output_is_unchanged_on_every_sample_capture() {
    let bless = std::env::var_os("ASRSCOPE_BLESS").is_some_and(|v| v == "1");
    let golden = root().join("tests/data/golden");
    let mut captures: Vec<String> = std::fs::read_dir(root().join("captures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    captures.sort();
    assert!(captures.len() >= 30);
    let mut failures = Vec::new();
    let mut compared = 0;
    for name in &captures {
        for (ext, got) in outputs(&format!("captures/{name}")) {
            let file = golden.join(format!("{name}.{ext}"));
            if bless {
                std::fs::create_dir_all(&golden).unwrap();
                std::fs::write(&file, &got).unwrap();
                continue;
            }
            match std::fs::read(&file) {
                Ok(want) if want == got => compared += 1,
                Ok(want) => failures.push(format!(
                    "{}: {}",
                    short(&file),
                    first_difference(&want, &got)
                )),
                Err(_) => failures.push(format!(
                    "{}: missing (a new capture? write it with ASRSCOPE_BLESS=1 cargo test --test golden)",
                    short(&file)
                )),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "analyze's output changed (if on purpose, ASRSCOPE_BLESS=1 cargo test --test golden rewrites the files):\n{}",
        failures.join("\n")
    );
    if !bless {
        assert_eq!(compared, captures.len() * 3);
    }
}

fn short(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// `requirements` in each cloud, text and JSON, byte for byte: the notes
/// and every page they cite, the Government URL known to be a doc error,
/// and Azure China's region-less tags and missing High Churn.
#[test]
fn requirements_output_is_unchanged_in_every_cloud() {
    let bless = std::env::var_os("ASRSCOPE_BLESS").is_some_and(|v| v == "1");
    let golden = root().join("tests/data/golden");
    let pairs = [
        ("public", "eastus", "centralus"),
        ("usgov", "usgovvirginia", "usgovtexas"),
        ("china", "chinanorth", "chinaeast3"),
    ];
    let mut failures = Vec::new();
    for (cloud, source, target) in pairs {
        for (ext, format) in [("txt", "text"), ("json", "json")] {
            let out = Command::new(env!("CARGO_BIN_EXE_asrscope"))
                .current_dir(root())
                .args([
                    "requirements",
                    "--cloud",
                    cloud,
                    "--source-region",
                    source,
                    "--target-region",
                    target,
                    "--format",
                    format,
                ])
                .output()
                .unwrap();
            assert!(out.status.success(), "{cloud} {format}");
            let file = golden.join(format!("requirements-{cloud}.{ext}"));
            if bless {
                std::fs::write(&file, &out.stdout).unwrap();
                continue;
            }
            match std::fs::read(&file) {
                Ok(want) if want == out.stdout => {}
                Ok(want) => failures.push(format!(
                    "{}: {}",
                    short(&file),
                    first_difference(&want, &out.stdout)
                )),
                Err(_) => failures.push(format!("{}: missing", short(&file))),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "requirements' output changed (if on purpose, ASRSCOPE_BLESS=1 cargo test --test golden rewrites the files):\n{}",
        failures.join("\n")
    );
}
