//! What the integration tests share: where the repository and its sample
//! captures are, running the binary, and reading tshark's per-frame truth.
//! Each test file uses a part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One frame of tshark's truth: field name to value.
pub type Row = HashMap<String, String>;

/// The repository.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// The path of a sample capture.
pub fn capture(name: &str) -> String {
    root()
        .join("captures")
        .join(name)
        .to_string_lossy()
        .to_string()
}

/// Runs the binary: exit code, standard output, standard error.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_asrscope"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// tshark's reading of a sample capture (`captures/truth/<stem>.tsv`), one
/// row per frame.
pub fn truth(name: &str) -> Vec<Row> {
    let stem = name.rsplit_once('.').unwrap().0;
    let path = root().join("captures/truth").join(format!("{stem}.tsv"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("{}", path.display()));
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}
