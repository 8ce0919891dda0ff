//! What the integration tests share: where the repository and its sample
//! captures are, running the binary, reading tshark's per-frame truth, and
//! what a test does when this machine lacks something it needs (see [`skip`]).
//! Each test file uses a part of it.
#![allow(dead_code)]

pub mod screen;

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

/// The path of an Azure configuration export of `tests/data/` (NSG rules,
/// routes).
pub fn data(name: &str) -> String {
    root()
        .join("tests/data")
        .join(name)
        .to_string_lossy()
        .to_string()
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

/// The environment variable that turns every skipped test into a failure.
/// CI sets it (`.ci/run`), so that a test cannot pass there without running.
pub const REQUIRE_ALL: &str = "ASRSCOPE_REQUIRE_ALL";

/// Called by a test that cannot run here, with what is missing and how to
/// provide it. With `ASRSCOPE_REQUIRE_ALL=1` the test fails with that message;
/// otherwise it prints `SKIPPED: <test>: <why>` on standard error and the
/// caller returns (`return skip(…)`).
pub fn skip(why: &str) {
    use std::io::Write;
    // The test harness names each test's thread after the test.
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    if std::env::var_os(REQUIRE_ALL).is_some_and(|v| v == "1") {
        panic!("{test} cannot run: {why} ({REQUIRE_ALL}=1 requires every test to run)");
    }
    // Straight to the process's standard error: the harness captures
    // `eprintln!` of passing tests, and a skip must be seen.
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED: {test}: {why}");
}

/// `../shared/<rel>`, the reference data kept beside the repository (the
/// public capture corpus, Microsoft's service-tags file), when it is there.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let p = root().join("../shared").join(rel);
    p.exists().then_some(p)
}

/// Why a test needing `../shared/<rel>` was skipped: what is missing and
/// where it goes.
pub fn no_shared(rel: &str) -> String {
    let what = if rel.starts_with("corpus") {
        "the public capture corpus (../shared/corpus)"
    } else {
        "Microsoft's service-tags file (../shared/servicetags)"
    };
    format!("../shared/{rel} is absent: put {what} beside the repository")
}

/// True when the tests run as root (live capture, dropping privileges).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// True when the program `cmd` is on the PATH (a shell builtin of the same
/// name does not count: the tests run programs, not shell commands).
pub fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .map(|o| o.status.success() && o.stdout.starts_with(b"/"))
        .unwrap_or(false)
}

/// The CSV columns as `docs/FORMATS.md` publishes them ("## CSV columns"):
/// the name in the first cell of each row of its table, in order. The table
/// is generated from `report::csv::COLUMNS` (`tests/docs.rs` checks it); this
/// is the published contract the written header is checked against.
pub fn documented_csv_columns() -> Vec<String> {
    let doc = std::fs::read_to_string(root().join("docs/FORMATS.md")).unwrap();
    let start = doc
        .find("\n## CSV columns\n")
        .expect("docs/FORMATS.md has a CSV columns section");
    let section = &doc[start + 1..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let cols: Vec<String> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .map(|l| l.split('`').next().unwrap().to_string())
        .collect();
    assert!(!cols.is_empty(), "docs/FORMATS.md lists the CSV columns");
    cols
}

/// The flags that make asrscope decode what tshark was told to decode for a
/// sample capture's truth (the manifest names its `-d udp.port==N,vxlan`
/// options): `--vxlan-port N` for each.
pub fn decode_as_args(name: &str) -> Vec<String> {
    let stem = name.rsplit_once('.').unwrap().0;
    let manifest = std::fs::read_to_string(root().join("captures/manifest.tsv")).unwrap();
    let needle = format!("truth/{stem}.tsv was written with tshark ");
    let Some(line) = manifest.lines().find(|l| l.contains(&needle)) else {
        return Vec::new();
    };
    line.split_whitespace()
        .filter_map(|w| w.strip_prefix("udp.port=="))
        .filter_map(|w| w.split_once(','))
        .flat_map(|(port, proto)| {
            let flag = match proto {
                "vxlan" => "--vxlan-port",
                "geneve" => "--geneve-port",
                _ => return Vec::new(),
            };
            vec![flag.to_string(), port.to_string()]
        })
        .collect()
}

/// A captured string as asrscope shows it everywhere: printable ASCII kept,
/// a backslash doubled, any other byte as `\DDD` (decimal).
pub fn printable(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\{b:03}")),
        }
    }
    out
}

/// A Government-format service-tag file, built from the layout of
/// Microsoft's public file (`../shared/servicetags`): the entries the sample
/// captures' addresses fall in, renamed to Azure Government's regions
/// (`Storage.EastUS` → `Storage.USGovVirginia`, `…CentralUS` →
/// `…USGovTexas`), with `"cloud": "AzureGovernment"` as that cloud's file
/// says. `None` when the public file is absent.
pub fn government_tag_file(dir: &Path) -> Option<PathBuf> {
    let public = shared("servicetags/ServiceTags_Public.json")?;
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(public).ok()?).ok()?;
    let keep = [
        "Storage.EastUS",
        "Storage.CentralUS",
        "AzureActiveDirectory",
        "EventHub.CentralUS",
        "AzureSiteRecovery",
        "AzureCloud.eastus",
        "AzureCloud.centralus",
    ];
    let rename = |s: &str| {
        s.replace("EastUS", "USGovVirginia")
            .replace("CentralUS", "USGovTexas")
            .replace("eastus", "usgovvirginia")
            .replace("centralus", "usgovtexas")
    };
    let values: Vec<serde_json::Value> = v["values"]
        .as_array()?
        .iter()
        .filter(|t| keep.contains(&t["name"].as_str().unwrap_or("")))
        .map(|t| {
            let mut t = t.clone();
            for k in ["name", "id"] {
                if let Some(s) = t[k].as_str() {
                    t[k] = rename(s).into();
                }
            }
            if let Some(r) = t["properties"]["region"].as_str() {
                t["properties"]["region"] = rename(r).into();
            }
            t
        })
        .collect();
    let gov = serde_json::json!({
        "changeNumber": v["changeNumber"],
        "cloud": "AzureGovernment",
        "values": values,
    });
    let path = dir.join("ServiceTags_AzureGovernment_20251103.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&gov).ok()?).ok()?;
    Some(path)
}

/// `asrscope analyze --format json EXTRA… <capture>`: the exit status (0 or 1,
/// asserted) and the parsed JSON.
pub fn analyze(name: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let c = capture(name);
    let mut args = vec!["analyze", "--format", "json"];
    args.extend_from_slice(extra);
    args.push(&c);
    let (code, out, err) = run(&args);
    assert!(code == 0 || code == 1, "{name}: {err}");
    (code, serde_json::from_str(&out).unwrap())
}

/// The export a user has from the REST API: `responses["200"].body` of one
/// of Microsoft's examples in `tests/data/microsoft/`.
pub fn microsoft_body(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(data(&format!("microsoft/{name}.json"))).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["responses"]["200"]["body"].clone()
}

/// What `az … show` prints for a resource: `properties` flattened into the
/// object and into each element of the lists azure-cli flattens too (an
/// NSG's rules, a route table's routes, a firewall's rule collections and
/// IP configurations; `_output` deserialises with `client_flatten=True`),
/// plus `resourceGroup`.
pub fn az_flat(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    const LISTS: [&str; 9] = [
        "securityRules",
        "defaultSecurityRules",
        "routes",
        "applicationRuleCollections",
        "networkRuleCollections",
        "natRuleCollections",
        "ipConfigurations",
        "subnets",
        "serviceEndpointPolicyDefinitions",
    ];
    fn lift(v: &Value) -> Value {
        let Value::Object(o) = v else {
            return v.clone();
        };
        let nested = |k: &str, x: &Value| match x {
            Value::Array(a) if LISTS.contains(&k) => Value::Array(a.iter().map(lift).collect()),
            _ => x.clone(),
        };
        let mut out = serde_json::Map::new();
        for (k, x) in o {
            if k == "properties" {
                for (pk, px) in x.as_object().into_iter().flatten() {
                    out.insert(pk.clone(), nested(pk, px));
                }
            } else {
                out.insert(k.clone(), nested(k, x));
            }
        }
        Value::Object(out)
    }
    let mut out = lift(v);
    out["resourceGroup"] = serde_json::json!("rg1");
    out
}

/// The analysis of a sample capture as values, for eastus -> centralus
/// (the library's pipeline, as the terminal UI runs it).
pub fn analysis(name: &str) -> asrscope::model::Analysis {
    let path = capture(name);
    let args = [
        "asrscope",
        "analyze",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        &path,
    ];
    let cli = <asrscope::cli::Cli as clap::Parser>::try_parse_from(args).unwrap();
    let asrscope::cli::Command::Analyze(args) = cli.command else {
        panic!("not analyze")
    };
    asrscope::app::tui::analyse((&args).into())
        .unwrap()
        .analysis
}

/// The cells of one column of `analyze --csv`'s output, by the column's
/// name in the header (each layer appends its own column, so no test
/// counts columns from either end).
#[allow(dead_code)]
pub fn csv_column(csv: &str, column: &str) -> Vec<String> {
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let at = r
        .headers()
        .expect("a CSV header")
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no column {column} in the CSV"));
    r.records()
        .map(|rec| rec.expect("a CSV row")[at].to_string())
        .collect()
}

/// A scratch directory for a test's files, removed when dropped.
#[allow(dead_code)]
pub fn scratch(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("asrscope-{prefix}-"))
        .tempdir()
        .unwrap()
}

/// Writes `v` as pretty JSON to `name` in `dir`; the path, for arguments.
#[allow(dead_code)]
pub fn write_json(dir: &tempfile::TempDir, name: &str, v: &serde_json::Value) -> String {
    let p = dir.path().join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p.to_string_lossy().into_owned()
}

/// `asrscope check` from East US to Central US, as JSON, with `extra`
/// arguments: its exit status (0 or 1, asserted), its JSON and its standard
/// error.
pub fn check_json(extra: &[&str]) -> (i32, serde_json::Value, String) {
    let mut args = vec![
        "check",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let (code, out, err) = run(&args);
    assert!(code == 0 || code == 1, "{err}");
    (code, serde_json::from_str(&out).unwrap(), err)
}

/// The requirement `id` of a JSON report (`check`'s or `analyze`'s).
pub fn requirement<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no requirement {id}"))
}
