//! The crate's layering, read from its sources: which module may name
//! which, that no view reads the clock, and that no two files depend on
//! each other (outside `decode/`). The data flow of `src/lib.rs` and
//! `docs/ARCHITECTURE.md`, kept so by a test.
//!
//! The sources are read as text, not compiled: comments, strings and
//! character literals are blanked, then every path into the crate is
//! collected, from `use` declarations (groups, `self`, `as`, globs) and from
//! code (`crate::azure::clouds::display`, `super::plural`, `render::cause`
//! after `use crate::render`, `reason::flow` from the module that declares
//! `reason`). A path is resolved to the file that defines its item: the
//! longest prefix that is a module file, then through that file's `use`
//! declarations (`pub use flow::*` in `model/mod.rs` leads on to
//! `model/flow.rs`). Code under `#[cfg(test)]`, and the files of modules
//! declared under it, is test code.
//!
//! A failure names the file, the line and the path, and says what the
//! module may use: the code named is what to move.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

// ---------------------------------------------------------------- the rules

/// Modules below the views, in the order data flows through them (`frame`
/// is what captures hand over, `bundle/` what support bundles are made of).
/// None of them names a view, the renderer, `app` or `cli`: not even in its
/// tests, which test the core by its values.
const CORE: &[&str] = &[
    "capture",
    "frame",
    "decode",
    "flow",
    "proto",
    "analysis",
    "azure",
    "diagnosis",
    "model",
    "bundle",
];

/// What the core never names.
const ABOVE_THE_CORE: &[&str] = &["report", "tui", "render", "app", "cli"];

/// The modules that may name only a few others, and why.
///
/// - The views read the model and say what it holds in the renderer's words;
///   `sanitize` is the one sanitiser every view passes its text through, and
///   `dates` the one calendar (RFC 3339 times, durations, days between
///   dates). Both are pure leaves (see [`LEAVES`]): they decide nothing.
/// - `tui` may also use `report`: its export key writes the CSV of
///   `analyze --csv` with `report::csv`, where the columns are declared
///   once. Views depend on views in that one direction only (`report` never
///   names `tui`), so there is no cycle, and neither reaches past `model`
///   and `render`.
/// - `render` turns the model's values into English: it needs the model and
///   the same two leaves, and nothing that decides.
/// - `model` is plain data every layer fills or reads; its times are
///   written by `dates`.
const ONLY: &[(&str, &[&str])] = &[
    (
        "report",
        &["report", "model", "render", "sanitize", "dates"],
    ),
    (
        "tui",
        &["tui", "report", "model", "render", "sanitize", "dates"],
    ),
    ("render", &["render", "model", "sanitize", "dates"]),
    ("model", &["model", "dates"]),
];

/// Pure helpers every layer may use: outside their tests they name nothing
/// else of the crate and never read the clock.
const LEAVES: &[&str] = &["dates", "sanitize"];

/// Where nothing reads the clock: what a view shows depends on the model it
/// is given (the time a line is stamped with is an argument); `app` reads
/// the clock and hands it over.
const NO_CLOCK: &[&str] = &["report", "tui", "render", "dates", "sanitize"];

/// Identifiers that read the clock, or name what does.
const CLOCK: &[&str] = &[
    "SystemTime",
    "Instant",
    "UNIX_EPOCH",
    "chrono",
    "OffsetDateTime",
    "now_utc",
    "now_local",
    "elapsed",
    "clock_gettime",
];

/// Where files may depend on each other: the decoder's layers share its
/// types in `decode/mod.rs`, which calls them in turn.
const CYCLES_ALLOWED_UNDER: &str = "src/decode/";

// ------------------------------------------------------------------ the tests

/// The crate's sources, read once for all the tests.
fn sources() -> &'static Crate {
    static SOURCES: OnceLock<Crate> = OnceLock::new();
    SOURCES.get_or_init(Crate::read)
}

fn none(wrong: Vec<String>) {
    assert!(wrong.is_empty(), "\n{}\n", wrong.join("\n"));
}

#[test]
fn views_reach_the_core_only_through_the_model_and_the_renderer() {
    none(narrow_modules(sources()));
}

#[test]
fn the_core_knows_nothing_of_the_views_the_renderer_app_or_cli() {
    none(core_looking_up(sources()));
}

#[test]
fn the_leaves_name_nothing_of_the_crate() {
    none(leaves_leaning(sources()));
}

#[test]
fn only_cli_knows_clap() {
    none(clap_outside_cli(sources()));
}

#[test]
fn no_view_reads_the_clock() {
    none(clocks(sources()));
}

#[test]
fn no_two_files_depend_on_each_other_outside_decode() {
    none(cycles(sources()));
}

// ------------------------------------------------------------------ the rules

/// What `ONLY`'s modules name beyond what they may.
fn narrow_modules(c: &Crate) -> Vec<String> {
    let mut wrong = Vec::new();
    for (module, allowed) in ONLY {
        for r in c.references_from(module) {
            let top = r.abs[0].as_str();
            if !allowed.contains(&top) {
                wrong.push(format!(
                    "{}: `{}` names `{top}`; {module} may use only {}",
                    r.at(),
                    r.written,
                    allowed.join(", ")
                ));
            }
        }
    }
    wrong
}

/// What the core names above it, tests included.
fn core_looking_up(c: &Crate) -> Vec<String> {
    let mut wrong = Vec::new();
    for module in CORE {
        for r in c.references_from(module) {
            let top = r.abs[0].as_str();
            if ABOVE_THE_CORE.contains(&top) {
                wrong.push(format!(
                    "{}: `{}` names `{top}`, above the core{}",
                    r.at(),
                    r.written,
                    if r.test { " (in a test)" } else { "" }
                ));
            }
        }
    }
    wrong
}

/// What the leaves name of the crate, outside their tests.
fn leaves_leaning(c: &Crate) -> Vec<String> {
    let mut wrong = Vec::new();
    for module in LEAVES {
        for r in c.references_from(module) {
            if !r.test && r.abs[0] != *module {
                wrong.push(format!("{}: `{}` in {module}", r.at(), r.written));
            }
        }
    }
    wrong
}

/// `clap` anywhere but `cli.rs` (and the binary, which is not read).
fn clap_outside_cli(c: &Crate) -> Vec<String> {
    let mut wrong = Vec::new();
    for f in c.files.iter().filter(|f| f.module != ["cli"]) {
        for t in f.tokens.iter().filter(|t| t.text == "clap") {
            wrong.push(format!("{}:{}: `clap` outside cli.rs", f.rel, t.line));
        }
    }
    wrong
}

/// Where `NO_CLOCK`'s modules read the clock, tests included.
fn clocks(c: &Crate) -> Vec<String> {
    let mut wrong = Vec::new();
    for f in c.files.iter().filter(|f| in_any(&f.module, NO_CLOCK)) {
        for (i, t) in f.tokens.iter().enumerate() {
            let now = t.text == "now" && i > 0 && f.t(i - 1) == "::";
            if now || CLOCK.contains(&t.text.as_str()) {
                wrong.push(format!(
                    "{}:{}: `{}` reads the clock",
                    f.rel, t.line, t.text
                ));
            }
        }
    }
    wrong
}

/// Each group of files that depend on each other (outside
/// `CYCLES_ALLOWED_UNDER`), with one cycle through it, hop by hop.
fn cycles(c: &Crate) -> Vec<String> {
    let edges = c.edges();
    let mut wrong = Vec::new();
    for scc in strongly_connected(c.files.len(), &edges) {
        let allowed = |&f: &usize| c.files[f].rel.starts_with(CYCLES_ALLOWED_UNDER);
        if scc.len() < 2 || scc.iter().all(allowed) {
            continue;
        }
        let cycle = shortest_cycle(&scc, &edges);
        let hops: Vec<String> = cycle
            .iter()
            .map(|e| format!("  {}: `{}` →", e.at(c), e.written))
            .collect();
        let all: Vec<&str> = scc.iter().map(|&f| c.files[f].rel.as_str()).collect();
        wrong.push(format!(
            "{} files depend on each other ({}); one cycle:\n{}\n  {}",
            scc.len(),
            all.join(", "),
            hops.join("\n"),
            c.files[cycle[0].from].rel
        ));
    }
    wrong
}

// ----------------------------------------------------- the reader, tested

/// A crate of a few files written to break every rule, in every way the
/// reader must see.
fn sample() -> Crate {
    Crate::from_sources(vec![
        (
            "src/lib.rs",
            "pub mod azure;\npub mod cli;\npub mod model;\npub mod report;\n",
        ),
        (
            "src/azure/mod.rs",
            r#"pub mod clouds;
pub fn stale() -> u32 { crate::report::days() }
"#,
        ),
        (
            "src/azure/clouds.rs",
            r#"pub fn name() -> &'static str { "}" }
"#,
        ),
        ("src/cli.rs", "pub use clap::Parser;\n"),
        (
            "src/model/mod.rs",
            r#"mod flow;
mod verdict;
pub use flow::*;
pub use verdict::*;
pub fn ts() {}
named!(Verdict);
"#,
        ),
        (
            "src/model/flow.rs",
            "#[derive(clap::Args)]\npub struct Flow;\n",
        ),
        (
            "src/model/verdict.rs",
            r#"use super::ts;
pub struct Verdict(char);
pub fn f() -> u8 { let _ = '"'; ts(); b'{' }
"#,
        ),
        (
            "src/report/mod.rs",
            r#"use crate::{
    azure::clouds,
    model::Flow,
};
/// crate::azure::stale, in words only
pub fn days() -> u32 {
    let _ = "crate::azure::stale";
    let _ = std::time::SystemTime::now();
    clouds::name();
    crate::azure::stale()
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::clouds::name;
}
"#,
        ),
    ])
}

/// Each rule reports what the sample crate does wrong, at its line.
#[test]
fn the_rules_catch_what_they_are_about() {
    let c = sample();
    let cycles = cycles(&c);
    for (rule, wrong, want) in [
        (
            "views",
            narrow_modules(&c),
            vec![
                "src/report/mod.rs:2: `crate::azure::clouds` names `azure`",
                "src/report/mod.rs:15: `crate::azure::clouds::name` names `azure`",
                "src/report/mod.rs:9: `clouds::name` names `azure`",
                "src/report/mod.rs:10: `crate::azure::stale` names `azure`",
            ],
        ),
        (
            "core",
            core_looking_up(&c),
            vec!["src/azure/mod.rs:2: `crate::report::days` names `report`"],
        ),
        (
            "clock",
            clocks(&c),
            vec![
                "src/report/mod.rs:8: `SystemTime`",
                "src/report/mod.rs:8: `now`",
            ],
        ),
        (
            "cycles",
            cycles.clone(),
            vec!["src/azure/mod.rs, src/report/mod.rs"],
        ),
        (
            "cycles",
            cycles,
            vec![
                "src/model/mod.rs, src/model/verdict.rs",
                "src/model/mod.rs:6: `Verdict` →",
                "src/model/verdict.rs:1: `super::ts` →",
            ],
        ),
    ] {
        let said = wrong.join("\n");
        for w in want {
            assert!(said.contains(w), "{rule}: `{w}` not in\n{said}");
        }
    }
    // Nothing in comments or strings, nothing twice.
    assert_eq!(narrow_modules(&c).len(), 4, "{:?}", narrow_modules(&c));
    assert_eq!(core_looking_up(&c).len(), 1, "{:?}", core_looking_up(&c));
    assert_eq!(
        clap_outside_cli(&c),
        ["src/model/flow.rs:1: `clap` outside cli.rs"]
    );
}

/// The reader finds what the rules are about in the crate itself, so that
/// no violation means something.
#[test]
fn the_reader_sees_the_paths_the_rules_are_about() {
    let crate_ = sources();
    let find = |rel: &str| {
        crate_
            .files
            .iter()
            .position(|f| f.rel == rel)
            .unwrap_or_else(|| panic!("{rel} not read"))
    };
    let written_from = |rel: &str| -> Vec<String> {
        let f = find(rel);
        crate_
            .references()
            .filter(|r| r.file == f)
            .map(|r| r.abs.join("::"))
            .collect()
    };
    // Comments, strings and characters are blanked whole: every file's
    // brackets balance, and its `#[cfg(test)]` code is seen.
    for f in &crate_.files {
        for (open, close) in [("{", "}"), ("(", ")"), ("[", "]")] {
            let mut depth = 0i64;
            for t in &f.tokens {
                depth += i64::from(t.text == open) - i64::from(t.text == close);
                assert!(depth >= 0, "{}:{}: unbalanced `{close}`", f.rel, t.line);
            }
            assert_eq!(depth, 0, "{}: unbalanced `{open}`", f.rel);
        }
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&f.rel));
        if text.unwrap().lines().any(|l| l.trim() == "#[cfg(test)]") {
            assert!(
                f.test.iter().any(|&t| t),
                "{}: its tests are not seen",
                f.rel
            );
        }
    }
    // `use crate::{a, b::c}` groups and paths in code.
    let engine = written_from("src/analysis/engine.rs");
    assert!(engine.iter().any(|p| p.starts_with("flow::")), "{engine:?}");
    let judge = written_from("src/diagnosis/judge.rs");
    assert!(judge.iter().any(|p| p.starts_with("dates::")), "{judge:?}");
    // `super::` from a file, and from a test module inside one.
    let reason = written_from("src/render/reason.rs");
    assert!(reason.iter().any(|p| p == "render::plural"), "{reason:?}");
    let lines = written_from("src/report/lines.rs");
    assert!(lines.iter().any(|p| p == "report::lines::hms"), "{lines:?}");
    // Test modules are test code; their files too.
    assert!(
        crate_
            .references()
            .any(|r| r.test && crate_.files[r.file].rel == "src/report/lines.rs")
    );
    assert!(crate_.files[find("src/decode/tests.rs")].test_file);
    assert!(!crate_.files[find("src/decode/ip.rs")].test_file);
    // Paths reach the file that defines their item, through `pub use`.
    let edges = crate_.edges();
    let reaches = |from: &str, to: &str| {
        let (from, to) = (find(from), find(to));
        edges.iter().any(|e| e.from == from && e.to == to)
    };
    assert!(reaches("src/report/csv.rs", "src/model/flow.rs"));
    assert!(reaches("src/render/reason.rs", "src/render/mod.rs"));
    // The decoder's cycle is seen, and allowed.
    let decode = |f: &usize| crate_.files[*f].rel.starts_with(CYCLES_ALLOWED_UNDER);
    assert!(
        strongly_connected(crate_.files.len(), &edges)
            .iter()
            .any(|scc| scc.len() > 1 && scc.iter().all(decode)),
        "the decoder's files depend on each other"
    );
}

// ------------------------------------------------------------ reading sources

/// A token of code, with its line.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    line: usize,
}

/// One source file of the library.
#[derive(Debug)]
struct File {
    /// `src/report/text.rs`.
    rel: String,
    /// `["report", "text"]`; empty for `lib.rs`.
    module: Vec<String>,
    tokens: Vec<Token>,
    /// Per token: under `#[cfg(test)]`.
    test: Vec<bool>,
    /// Per token: the inline modules (`mod tests { … }`) it is in.
    inline: Vec<Vec<String>>,
    /// Per token: part of a `use` declaration.
    in_use: Vec<bool>,
    /// The module is declared under `#[cfg(test)]` (`decode/tests.rs`).
    test_file: bool,
    /// Modules declared with `mod x;`, and those of them under `#[cfg(test)]`.
    children: BTreeSet<String>,
    test_children: BTreeSet<String>,
    /// Items declared at the top of the file.
    items: BTreeSet<String>,
    uses: Vec<Use>,
}

/// One leaf of a `use` declaration.
#[derive(Debug, Clone)]
struct Use {
    /// As written, `::`-joined.
    written: String,
    /// In the crate, without `crate`; `None` for other crates.
    abs: Option<Vec<String>>,
    /// The name it binds (`as` or the last segment); `None` for a glob.
    name: Option<String>,
    public: bool,
    /// The inline modules it is in (none: the top of the file).
    scope: Vec<String>,
    test: bool,
    line: usize,
}

/// A path into the crate named by a file.
#[derive(Debug, Clone)]
struct Reference {
    file: usize,
    line: usize,
    rel: String,
    written: String,
    /// In the crate, without `crate`: `["azure", "clouds", "display"]`.
    abs: Vec<String>,
    test: bool,
    /// A re-export (`pub use`) or an import (`use x::Y`): a dependency only
    /// where the name it binds is used in the file.
    binds: Option<String>,
    public_use: bool,
}

impl Reference {
    fn at(&self) -> String {
        format!("{}:{}", self.rel, self.line)
    }
}

/// A file-level dependency: `from` names an item of `to`.
#[derive(Debug, Clone)]
struct Edge {
    from: usize,
    to: usize,
    line: usize,
    written: String,
}

impl Edge {
    fn at(&self, c: &Crate) -> String {
        format!("{}:{}", c.files[self.from].rel, self.line)
    }
}

struct Crate {
    files: Vec<File>,
    /// Module path → file.
    modules: BTreeMap<Vec<String>, usize>,
}

fn in_any(module: &[String], tops: &[&str]) -> bool {
    module.first().is_some_and(|m| tops.contains(&m.as_str()))
}

impl Crate {
    /// The library's sources (`src/`, but the binary's `main.rs`).
    fn read() -> Crate {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        walk(&root.join("src"), &mut paths);
        paths.sort();
        let sources: Vec<(String, String)> = paths
            .iter()
            .filter(|p| !p.ends_with("src/main.rs"))
            .map(|p| {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy();
                (rel.replace('\\', "/"), std::fs::read_to_string(p).unwrap())
            })
            .collect();
        Crate::from_sources(sources)
    }

    /// A crate of `(src/a/b.rs, text)` files.
    fn from_sources(sources: Vec<(impl Into<String>, impl AsRef<str>)>) -> Crate {
        let mut files: Vec<File> = sources
            .into_iter()
            .map(|(rel, text)| {
                let rel: String = rel.into();
                let path = rel
                    .strip_prefix("src/")
                    .unwrap()
                    .strip_suffix(".rs")
                    .unwrap();
                let mut module: Vec<String> = path.split('/').map(String::from).collect();
                if module.last().is_some_and(|m| m == "mod" || m == "lib") {
                    module.pop();
                }
                File::parse(rel, module, text.as_ref())
            })
            .collect();
        let modules: BTreeMap<Vec<String>, usize> = files
            .iter()
            .enumerate()
            .map(|(i, f)| (f.module.clone(), i))
            .collect();
        // A module declared under `#[cfg(test)]`, and all below it, is test code.
        let mut order: Vec<usize> = (0..files.len()).collect();
        order.sort_by_key(|&i| files[i].module.len());
        for i in order {
            let m = files[i].module.clone();
            if let Some((last, parent)) = m.split_last()
                && let Some(&p) = modules.get(parent)
            {
                files[i].test_file = files[p].test_file || files[p].test_children.contains(last);
            }
        }
        for f in files.iter_mut().filter(|f| f.test_file) {
            f.test.iter_mut().for_each(|t| *t = true);
            f.uses.iter_mut().for_each(|u| u.test = true);
        }
        Crate { files, modules }
    }

    /// Every path into the crate, from `use` declarations and from code.
    fn references(&self) -> impl Iterator<Item = Reference> + '_ {
        self.files
            .iter()
            .enumerate()
            .flat_map(move |(i, f)| f.references(i))
    }

    fn references_from<'a>(&'a self, top: &'a str) -> impl Iterator<Item = Reference> + 'a {
        self.references()
            .filter(move |r| self.files[r.file].module.first().map(String::as_str) == Some(top))
    }

    /// The file that defines what `abs` names, following `use`
    /// declarations; `None` for a module itself (`use crate::render;`).
    fn target(&self, abs: &[String], depth: usize) -> Option<usize> {
        let mut k = 0;
        let mut file = self.modules[&Vec::new()];
        while k < abs.len() {
            match self.modules.get(&abs[..=k]) {
                Some(&f) => {
                    file = f;
                    k += 1;
                }
                None => break,
            }
        }
        let item = abs.get(k)?;
        let f = &self.files[file];
        if depth > 8 || f.items.contains(item) {
            return Some(file);
        }
        let rest = &abs[k + 1..];
        for u in f.uses.iter().filter(|u| u.scope.is_empty() && !u.test) {
            let Some(to) = &u.abs else { continue };
            match &u.name {
                Some(name) if name == item => {
                    let mut via = to.clone();
                    via.extend_from_slice(rest);
                    return self.target(&via, depth + 1).or(Some(file));
                }
                None => {
                    let mut via = to.clone();
                    via.push(item.clone());
                    via.extend_from_slice(rest);
                    if let Some(t) = self.target(&via, depth + 1)
                        && self.defines(t, item)
                    {
                        return Some(t);
                    }
                }
                _ => {}
            }
        }
        Some(file)
    }

    fn defines(&self, file: usize, item: &str) -> bool {
        self.files[file].items.contains(item)
    }

    /// The file-level dependencies of code outside the tests (a test module
    /// is named by nothing, so it is never part of a cycle).
    fn edges(&self) -> Vec<Edge> {
        let mut edges = Vec::new();
        for r in self.references().filter(|r| !r.test) {
            let f = &self.files[r.file];
            if let Some(name) = &r.binds {
                // An import is a dependency where its name is used; a
                // re-export alone only passes the name on.
                let used = f
                    .tokens
                    .iter()
                    .enumerate()
                    .any(|(i, t)| &t.text == name && !f.in_use[i] && !f.test[i]);
                if !used {
                    continue;
                }
            } else if r.public_use {
                continue;
            }
            let Some(to) = self.target(&r.abs, 0) else {
                continue;
            };
            if to != r.file {
                edges.push(Edge {
                    from: r.file,
                    to,
                    line: r.line,
                    written: r.written.clone(),
                });
            }
        }
        // Names a glob (`pub use flow::*`) brings, used without a path.
        for (from, f) in self.files.iter().enumerate() {
            for u in f.uses.iter().filter(|u| u.name.is_none() && !u.test) {
                let Some(module) = &u.abs else { continue };
                let Some(&m) = self.modules.get(module) else {
                    continue;
                };
                for (i, t) in f.tokens.iter().enumerate() {
                    let bare = !f.in_use[i]
                        && !f.test[i]
                        && (i == 0 || !matches!(f.t(i - 1), "." | "::"))
                        && !f.items.contains(&t.text);
                    if !bare || !self.defines(m, &t.text) {
                        continue;
                    }
                    if let Some(to) =
                        self.target(&[module.clone(), vec![t.text.clone()]].concat(), 0)
                        && to != from
                    {
                        edges.push(Edge {
                            from,
                            to,
                            line: t.line,
                            written: t.text.clone(),
                        });
                    }
                }
            }
        }
        edges
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

const KEYWORDS: &[&str] = &[
    "as", "async", "const", "crate", "enum", "extern", "fn", "impl", "mod", "move", "mut", "pub",
    "ref", "self", "Self", "static", "struct", "super", "trait", "type", "unsafe", "use", "where",
];

fn is_ident(s: &str) -> bool {
    s.starts_with(|c: char| c.is_alphabetic() || c == '_')
}

impl File {
    fn parse(rel: String, module: Vec<String>, text: &str) -> File {
        let tokens = tokenize(&code_only(text));
        let n = tokens.len();
        let mut f = File {
            rel,
            module,
            test: vec![false; n],
            inline: vec![Vec::new(); n],
            in_use: vec![false; n],
            test_file: false,
            children: BTreeSet::new(),
            test_children: BTreeSet::new(),
            items: BTreeSet::new(),
            uses: Vec::new(),
            tokens,
        };
        f.mark_tests();
        f.mark_inline_modules();
        f.read_items();
        f.read_uses();
        f
    }

    fn t(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.text.as_str())
    }

    /// Matches `#[cfg(test)]` (or `#![cfg(test)]`) at `i`; the token after it.
    fn cfg_test_at(&self, i: usize) -> Option<usize> {
        let inner = usize::from(self.t(i + 1) == "!");
        let want = ["#", "[", "cfg", "(", "test", ")", "]"];
        let got = std::iter::once(i).chain(i + 1 + inner..i + 7 + inner);
        got.zip(want)
            .all(|(j, w)| self.t(j) == w)
            .then_some(i + 7 + inner)
    }

    /// The index after the bracket, brace or parenthesis group opening at `i`.
    fn group_end(&self, i: usize) -> usize {
        let mut depth = 0i32;
        for j in i..self.tokens.len() {
            match self.t(j) {
                "(" | "[" | "{" => depth += 1,
                ")" | "]" | "}" => {
                    depth -= 1;
                    if depth == 0 {
                        return j + 1;
                    }
                }
                _ => {}
            }
        }
        self.tokens.len()
    }

    /// The index after the item starting at `i` (its attributes skipped):
    /// its `;`, or the end of its first brace group.
    fn item_end(&self, mut i: usize) -> usize {
        while self.t(i) == "#" {
            i = self.group_end(i + 1);
        }
        while i < self.tokens.len() {
            match self.t(i) {
                ";" => return i + 1,
                "{" => return self.group_end(i),
                "}" => return i,
                "(" | "[" => i = self.group_end(i),
                _ => i += 1,
            }
        }
        i
    }

    fn mark_tests(&mut self) {
        let mut i = 0;
        while i < self.tokens.len() {
            let Some(after) = self.cfg_test_at(i) else {
                i += 1;
                continue;
            };
            if self.t(i + 1) == "!" {
                self.test_file = true;
                self.test.iter_mut().for_each(|t| *t = true);
                return;
            }
            let end = self.item_end(after);
            let mut j = after;
            while self.t(j) == "#" {
                j = self.group_end(j + 1);
            }
            while matches!(self.t(j), "pub" | "(" | "crate" | ")") {
                j += 1;
            }
            if self.t(j) == "mod" && self.t(j + 2) == ";" {
                self.test_children.insert(self.t(j + 1).to_string());
            }
            self.test[i..end].iter_mut().for_each(|t| *t = true);
            i = end;
        }
    }

    fn mark_inline_modules(&mut self) {
        let mut stack: Vec<Option<String>> = Vec::new();
        for i in 0..self.tokens.len() {
            self.inline[i] = stack.iter().flatten().cloned().collect();
            match self.t(i) {
                "{" => {
                    let named =
                        (i >= 2 && self.t(i - 2) == "mod").then(|| self.t(i - 1).to_string());
                    stack.push(named);
                }
                "}" => {
                    stack.pop();
                }
                "mod" if self.t(i + 2) == ";" && stack.is_empty() => {
                    self.children.insert(self.t(i + 1).to_string());
                }
                _ => {}
            }
        }
    }

    /// The names of the items declared at the top of the file.
    fn read_items(&mut self) {
        let mut depth = 0;
        for i in 0..self.tokens.len() {
            match self.t(i) {
                "{" => depth += 1,
                "}" => depth -= 1,
                "fn" | "struct" | "enum" | "const" | "static" | "type" | "trait" | "union"
                | "mod"
                    if depth == 0 =>
                {
                    let name = self.t(i + 1);
                    if is_ident(name) && !KEYWORDS.contains(&name) {
                        self.items.insert(name.to_string());
                    }
                }
                "macro_rules" if depth == 0 && self.t(i + 1) == "!" => {
                    self.items.insert(self.t(i + 2).to_string());
                }
                _ => {}
            }
        }
    }

    fn read_uses(&mut self) {
        let mut i = 0;
        while i < self.tokens.len() {
            if self.t(i) != "use" {
                i += 1;
                continue;
            }
            let public = (i >= 1 && self.t(i - 1) == "pub")
                || (i >= 2 && self.t(i - 1) == ")" && self.t(i - 4) == "pub");
            let end = (i..self.tokens.len())
                .find(|&j| self.t(j) == ";")
                .unwrap_or(self.tokens.len());
            self.in_use[i..end].iter_mut().for_each(|t| *t = true);
            let mut leaves = Vec::new();
            let mut j = i + 1;
            self.use_tree(&mut j, &mut Vec::new(), &mut leaves);
            for (segments, name, line) in leaves {
                let abs = self.resolve(&segments, i);
                let written = segments.join("::");
                self.uses.push(Use {
                    written,
                    abs,
                    name,
                    public,
                    scope: self.inline[i].clone(),
                    test: self.test[i],
                    line,
                });
            }
            i = end + 1;
        }
    }

    /// Reads a use tree at `*j` below `prefix`: leaves as (segments, name
    /// bound, line).
    fn use_tree(
        &self,
        j: &mut usize,
        prefix: &mut Vec<String>,
        leaves: &mut Vec<(Vec<String>, Option<String>, usize)>,
    ) {
        let base = prefix.len();
        if self.t(*j) == "::" {
            *j += 1;
        }
        loop {
            let t = self.t(*j).to_string();
            let line = self.tokens.get(*j).map_or(0, |t| t.line);
            match t.as_str() {
                "{" => {
                    *j += 1;
                    while !matches!(self.t(*j), "}" | "") {
                        self.use_tree(j, prefix, leaves);
                        if self.t(*j) == "," {
                            *j += 1;
                        }
                    }
                    *j += 1;
                    break;
                }
                "*" => {
                    *j += 1;
                    leaves.push((prefix.clone(), None, line));
                    break;
                }
                _ if is_ident(&t) => {
                    *j += 1;
                    if self.t(*j) == "::" {
                        prefix.push(t);
                        *j += 1;
                        continue;
                    }
                    let mut segments = prefix.clone();
                    let mut name = t.clone();
                    if t != "self" {
                        segments.push(t);
                    } else if let Some(last) = prefix.last() {
                        name = last.clone();
                    }
                    if self.t(*j) == "as" {
                        name = self.t(*j + 1).to_string();
                        *j += 2;
                    }
                    leaves.push((segments, Some(name), line));
                    break;
                }
                _ => break,
            }
        }
        prefix.truncate(base);
    }

    /// The path in the crate (without `crate`) that `segments`, written at
    /// token `at`, names; `None` when it names another crate or a local item.
    fn resolve(&self, segments: &[String], at: usize) -> Option<Vec<String>> {
        let mut here: Vec<String> = self.module.clone();
        here.extend(self.inline[at].iter().cloned());
        let first = segments.first()?.as_str();
        let rest = |n: usize| segments[n..].to_vec();
        match first {
            "crate" => Some(rest(1)),
            "self" => Some([here, rest(1)].concat()),
            "super" => {
                let ups = segments.iter().take_while(|s| *s == "super").count();
                if ups > here.len() {
                    return None;
                }
                here.truncate(here.len() - ups);
                Some([here, rest(ups)].concat())
            }
            _ if self.inline[at].is_empty() && self.children.contains(first) => {
                Some([here, rest(0)].concat())
            }
            _ => {
                // A name a `use` bound: `use crate::render;` then
                // `render::cause`; in a test module, also what its
                // `use super::*` brings.
                let mut scope = self.inline[at].clone();
                loop {
                    let bound = self
                        .uses
                        .iter()
                        .find(|u| u.scope == scope && u.name.as_deref() == Some(first));
                    if let Some(u) = bound {
                        return Some([u.abs.clone()?, rest(1)].concat());
                    }
                    if scope.is_empty() {
                        return None;
                    }
                    let here = [self.module.clone(), scope.clone()].concat();
                    let parent = &here[..here.len() - 1];
                    let glob_of_parent = self.uses.iter().any(|u| {
                        u.scope == scope && u.name.is_none() && u.abs.as_deref() == Some(parent)
                    });
                    if !glob_of_parent {
                        return None;
                    }
                    scope.pop();
                }
            }
        }
    }

    /// Every path into the crate this file writes.
    fn references(&self, file: usize) -> Vec<Reference> {
        let mut out = Vec::new();
        for u in &self.uses {
            let Some(abs) = &u.abs else { continue };
            if abs.is_empty() {
                continue;
            }
            out.push(Reference {
                file,
                line: u.line,
                rel: self.rel.clone(),
                written: u.written.clone(),
                abs: abs.clone(),
                test: u.test,
                binds: u.name.clone(),
                public_use: u.public,
            });
        }
        let mut i = 0;
        while i < self.tokens.len() {
            let starts = !self.in_use[i]
                && is_ident(self.t(i))
                && self.t(i + 1) == "::"
                && (i == 0 || self.t(i - 1) != "::");
            if !starts {
                i += 1;
                continue;
            }
            let mut segments = vec![self.t(i).to_string()];
            let mut j = i + 1;
            while self.t(j) == "::" && is_ident(self.t(j + 1)) {
                segments.push(self.t(j + 1).to_string());
                j += 2;
            }
            if let Some(abs) = self.resolve(&segments, i)
                && !abs.is_empty()
            {
                out.push(Reference {
                    file,
                    line: self.tokens[i].line,
                    rel: self.rel.clone(),
                    written: segments.join("::"),
                    abs,
                    test: self.test[i],
                    binds: None,
                    public_use: false,
                });
            }
            i = j;
        }
        out
    }
}

/// The source with comments, strings and character literals blanked
/// (newlines kept, so that lines stay where they were).
fn code_only(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        // A literal's prefix (b'x', b"x", br"x") is not an identifier before it.
        let lone_b = i > 0 && c[i - 1] == 'b' && (i < 2 || !ident(c[i - 2]));
        let prev_ident = i > 0 && ident(c[i - 1]) && !lone_b;
        if c[i] == '/' && c.get(i + 1) == Some(&'/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && c.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if c[i] == 'r' && !prev_ident && c[i + 1..].iter().find(|&&h| h != '#') == Some(&'"')
        {
            // A raw string: r"…", r#"…"#.
            let hashes = c[i + 1..].iter().take_while(|&&h| h == '#').count();
            out.push(' ');
            i += 1 + hashes + 1;
            out.push_str(&" ".repeat(hashes + 1));
            while i < c.len() {
                if c[i] == '"'
                    && c[i + 1..]
                        .iter()
                        .take(hashes)
                        .filter(|&&h| h == '#')
                        .count()
                        == hashes
                {
                    out.push_str(&" ".repeat(hashes + 1));
                    i += hashes + 1;
                    break;
                }
                out.push(blank(c[i]));
                i += 1;
            }
        } else if c[i] == '"' {
            out.push(' ');
            i += 1;
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < c.len() {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c[i] == '\'' && !prev_ident {
            // A character literal ('x', '\n', '\u{1F600}'), or a lifetime.
            let close = if c.get(i + 1) == Some(&'\\') {
                (i + 3..c.len()).find(|&j| c[j] == '\'')
            } else {
                (c.get(i + 2) == Some(&'\'')).then_some(i + 2)
            };
            match close {
                Some(end) => {
                    for &ch in &c[i..=end] {
                        out.push(blank(ch));
                    }
                    i = end + 1;
                }
                None => {
                    out.push(c[i]);
                    i += 1;
                }
            }
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn tokenize(code: &str) -> Vec<Token> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            let mut text: String = c[start..i].iter().collect();
            // A raw identifier, r#type.
            if text == "r"
                && c.get(i) == Some(&'#')
                && c.get(i + 1).is_some_and(|h| h.is_alphabetic())
            {
                i += 1;
                let s = i;
                while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                    i += 1;
                }
                text = c[s..i].iter().collect();
            }
            out.push(Token { text, line });
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                text: ch.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

// ------------------------------------------------------------------- cycles

/// Tarjan's strongly connected components of the file graph.
fn strongly_connected(n: usize, edges: &[Edge]) -> Vec<Vec<usize>> {
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); n];
    for e in edges {
        next[e.from].push(e.to);
    }
    struct State {
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        counter: usize,
        out: Vec<Vec<usize>>,
    }
    fn visit(v: usize, next: &[Vec<usize>], s: &mut State) {
        s.index[v] = Some(s.counter);
        s.low[v] = s.counter;
        s.counter += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in &next[v] {
            match s.index[w] {
                None => {
                    visit(w, next, s);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                _ => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut scc = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack[w] = false;
                scc.push(w);
                if w == v {
                    break;
                }
            }
            scc.sort();
            s.out.push(scc);
        }
    }
    let mut s = State {
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        counter: 0,
        out: Vec::new(),
    };
    for v in 0..n {
        if s.index[v].is_none() {
            visit(v, &next, &mut s);
        }
    }
    s.out
}

/// A shortest cycle through the first file of a component, as its edges.
fn shortest_cycle(scc: &[usize], edges: &[Edge]) -> Vec<Edge> {
    let start = scc[0];
    let inside: BTreeSet<usize> = scc.iter().copied().collect();
    let mut came: BTreeMap<usize, &Edge> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for e in edges
            .iter()
            .filter(|e| e.from == v && inside.contains(&e.to))
        {
            if e.to == start {
                let mut cycle = vec![e.clone()];
                let mut at = v;
                while at != start {
                    let back = came[&at];
                    cycle.push(back.clone());
                    at = back.from;
                }
                cycle.reverse();
                return cycle;
            }
            if e.to != start && !came.contains_key(&e.to) {
                came.insert(e.to, e);
                queue.push_back(e.to);
            }
        }
    }
    Vec::new()
}
