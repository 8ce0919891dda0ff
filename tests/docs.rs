//! The documentation against what it documents: the CSV table of
//! `docs/FORMATS.md` is the declaration of the columns in
//! `src/report/csv.rs`, the report the README shows is what `analyze` writes
//! for its capture, and every link of the README and of `docs/` leads to a
//! file, and a heading, that exist.
//!
//! The generated parts sit between `<!-- NAME: … -->` and `<!-- end NAME -->`
//! lines; `ASRSCOPE_BLESS=1 cargo test --test docs` writes them again.

mod common;

use asrscope::report::csv::COLUMNS;
use common::root;
use std::path::{Path, PathBuf};
use std::process::Command;

fn bless() -> bool {
    std::env::var_os("ASRSCOPE_BLESS").is_some_and(|v| v == "1")
}

/// Checks that the lines between the markers of `name` in `file` are
/// `want`, or writes them there when blessing.
fn generated(file: &str, name: &str, want: &str) {
    let path = root().join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let begin = format!("<!-- {name}:");
    let start = text
        .find(&begin)
        .unwrap_or_else(|| panic!("{file} has no `{begin} … -->` line"));
    let start = start + text[start..].find('\n').unwrap() + 1;
    let end = text[start..]
        .find(&format!("<!-- end {name} -->"))
        .unwrap_or_else(|| panic!("{file} has no `<!-- end {name} -->` line"))
        + start;
    if bless() {
        let mut out = text[..start].to_string();
        out.push_str(want);
        out.push_str(&text[end..]);
        std::fs::write(&path, out).unwrap();
        return;
    }
    let got = &text[start..end];
    if got != want {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(g, w)| g != w)
            .map_or("the line count".to_string(), |i| format!("line {}", i + 1));
        panic!(
            "{file}: the {name} part differs from what it is generated from (first at {line} of \
             the part); ASRSCOPE_BLESS=1 cargo test --test docs writes it again:\n--- in the \
             file\n{got}--- generated\n{want}"
        );
    }
}

/// The CSV columns as a Markdown table: name and meaning, in order.
fn csv_table() -> String {
    let mut t = String::from("| column | meaning |\n|---|---|\n");
    for c in COLUMNS {
        t.push_str(&format!(
            "| `{}` | {} |\n",
            c.name,
            c.meaning.replace('|', "\\|")
        ));
    }
    t
}

#[test]
fn the_csv_table_is_the_declaration_of_the_columns() {
    generated("docs/FORMATS.md", "csv-columns", &csv_table());
    if !bless() {
        let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
        assert_eq!(common::documented_csv_columns(), names);
    }
}

#[test]
fn the_readmes_report_is_what_analyze_writes() {
    let capture = "captures/syn-dropped.pcap";
    let out = Command::new(env!("CARGO_BIN_EXE_asrscope"))
        .current_dir(root())
        .args(["analyze", capture])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the capture holds a finding");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8(out.stdout).unwrap();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(
        readme.contains(&format!("asrscope analyze {capture}")),
        "the README names the capture its report is of"
    );
    generated("README.md", "report", &format!("```text\n{report}```\n"));
}

/// The anchor GitHub gives a heading: lower case, spaces as hyphens,
/// punctuation other than hyphens and underscores left out.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The lines of a Markdown file outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    text.lines()
        .filter(|l| {
            if l.starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect()
}

fn anchors(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    prose(&text)
        .into_iter()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|h| slug(h.trim_start_matches('#')))
        .collect()
}

/// Every `[text](target)` of a line, but those inside inline code.
fn links(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 1 {
            continue;
        }
        let mut rest = part;
        while let Some(at) = rest.find("](") {
            let target = &rest[at + 2..];
            let Some(close) = target.find(')') else {
                break;
            };
            out.push(target[..close].to_string());
            rest = &target[close..];
        }
    }
    out
}

/// The README and every page of `docs/`.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            pages.push(p);
        }
    }
    pages.sort();
    pages
}

#[test]
fn every_link_of_the_readme_and_docs_leads_somewhere() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        let shown = page.strip_prefix(root()).unwrap().display().to_string();
        for line in prose(&text) {
            for target in links(line) {
                if target.starts_with("http://") || target.starts_with("https://") {
                    continue;
                }
                let (file, anchor) = target.split_once('#').unwrap_or((&target, ""));
                let file = if file.is_empty() {
                    page.clone()
                } else {
                    page.parent().unwrap().join(file)
                };
                checked += 1;
                if !file.exists() {
                    broken.push(format!("{shown}: ({target}): no such file"));
                } else if !anchor.is_empty()
                    && (file.extension().is_none_or(|x| x != "md")
                        || !anchors(&file).iter().any(|a| a == anchor))
                {
                    broken.push(format!("{shown}: ({target}): no such heading"));
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked >= 40, "only {checked} links found");
}

/// A newcomer finds every page from the README.
#[test]
fn the_readme_links_every_page_of_docs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for page in pages() {
        let Ok(rel) = page.strip_prefix(root().join("docs")) else {
            continue;
        };
        let link = format!("](docs/{})", rel.display());
        assert!(readme.contains(&link), "README.md does not link {link}");
    }
}

#[test]
fn slugs_are_githubs() {
    assert_eq!(slug(" CSV columns"), "csv-columns");
    assert_eq!(
        slug(" `asrscope check`: without a capture"),
        "asrscope-check-without-a-capture"
    );
    assert_eq!(
        slug(" What `site-recovery.pcapng` keeps"),
        "what-site-recoverypcapng-keeps"
    );
}
