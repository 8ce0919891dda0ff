//! What users of ripgrep, bat, fd expect of a command-line tool: completion
//! scripts and a man page generated from the argument definitions, and a
//! `--version` that says what was built.

mod common;

use common::{have, root, run, skip};
use std::process::Command;

/// The commands a user types, each of which completions and the man page name.
const COMMANDS: &[&str] = &[
    "analyze",
    "bundle",
    "tags",
    "requirements",
    "check",
    "live",
    "interfaces",
    "tui",
];

#[test]
fn every_shell_gets_a_completion_script_naming_the_commands_and_options() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        for command in COMMANDS {
            assert!(out.contains(command), "{shell}: no `{command}`");
        }
        for option in ["azure", "source-region", "capture-point"] {
            // fish names a long option `-l azure`, the others `--azure`.
            let spelled = if shell == "fish" {
                format!("-l {option}")
            } else {
                format!("--{option}")
            };
            assert!(out.contains(&spelled), "{shell}: no `{spelled}`");
        }
    }
}

#[test]
fn an_unknown_shell_is_refused() {
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tcsh"), "{err}");
}

#[test]
fn bash_loads_the_completion_script() {
    if !have("bash") {
        return skip("bash is not installed");
    }
    let script = format!(
        "source <('{}' completions bash) && complete -p asrscope",
        env!("CARGO_BIN_EXE_asrscope")
    );
    let out = Command::new("bash").args(["-c", &script]).output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("-F _asrscope asrscope"), "{said}");
}

#[test]
fn the_man_page_is_roff_with_a_section_per_command() {
    let (code, page, err) = run(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(page.lines().filter(|l| l.starts_with(".TH ")).count(), 1);
    assert!(page.contains(".TH asrscope 1 "), "{page}");
    for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "VERSION"] {
        assert!(page.contains(&format!("\n.SH {section}\n")), "no {section}");
    }
    for command in COMMANDS {
        let heading = format!("\n.SH \"ASRSCOPE {}\"\n", command.to_uppercase());
        assert!(page.contains(&heading), "no section for {command}");
    }
    assert!(page.contains("\n.SH \"ASRSCOPE TAGS LOOKUP\"\n"));
    // Options with their help: roff escapes `-` as `\-`.
    assert!(page.contains(r"\fB\-\-azure\fR"), "no --azure");
    // Hidden commands and clap's `help` are not documented.
    for hidden in ["COMPLETIONS", "ASRSCOPE MAN\"", "ASRSCOPE HELP"] {
        assert!(!page.contains(hidden), "{hidden} documented");
    }
    // clap_mangen's quoting preamble once, not before every part.
    assert_eq!(page.matches(".ie \\n(.g").count(), 1);
}

#[test]
fn man_formats_the_page_without_warnings() {
    if !have("man") || !have("groff") {
        return skip("man or groff is not installed");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("asrscope.1");
    std::fs::write(&file, run(&["man"]).1).unwrap();
    let out = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANWIDTH", "80")
        .env("MAN_KEEP_STDERR", "1")
        .env("MANROFFOPT", "-ww")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{warnings}");
    assert!(warnings.trim().is_empty(), "{warnings}");
    assert!(text.contains("ASRSCOPE ANALYZE"), "{text}");
    assert!(text.contains("--service-tags"), "{text}");
}

/// `changeNumber` and `published` of the snapshot built in, as its header says.
fn embedded_snapshot_header() -> (String, String) {
    let snapshot = std::fs::read_to_string(root().join("data/servicetags.txt")).unwrap();
    let value = |key: &str| {
        snapshot
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap()
            .to_string()
    };
    (value("changeNumber"), value("published"))
}

#[test]
fn long_version_says_the_commit_the_build_date_and_the_service_tags() {
    let (code, out, err) = run(&["--version"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("asrscope {}", env!("CARGO_PKG_VERSION")));
    let commit = lines[1].strip_prefix("commit: ").unwrap();
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "{commit}"
    );
    let built = lines[2].strip_prefix("built: ").unwrap().as_bytes();
    assert!(
        built.len() == 10 && built[4] == b'-' && built[7] == b'-',
        "{out}"
    );
    let (change, published) = embedded_snapshot_header();
    assert_eq!(
        lines[3],
        format!("service tags: Public changeNumber {change}, published {published}")
    );
}

#[test]
fn the_commit_is_head_when_built_from_git() {
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(root())
        .output();
    let Some(head) = head.ok().filter(|o| o.status.success()) else {
        return skip("not a git checkout, or git is not installed");
    };
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let (_, out, _) = run(&["--version"]);
    assert!(
        out.contains(&format!("\ncommit: {head}\n")),
        "{out} (HEAD {head})"
    );
}

#[test]
fn short_version_is_one_line() {
    let (code, out, err) = run(&["-V"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, format!("asrscope {}\n", env!("CARGO_PKG_VERSION")));
}

/// The headings of a `--help` (lines ending in `:` at the margin) and, for
/// each option asked for, the heading it is listed under.
fn heading_of(help: &str, option: &str) -> Option<String> {
    let mut heading = None;
    for line in help.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            heading = Some(line.trim_end_matches(':').to_string());
        } else if line.trim_start().starts_with(option)
            || line.trim_start().starts_with(&format!("-i, {option}"))
        {
            return heading;
        }
    }
    None
}

#[test]
fn help_groups_the_options() {
    let (code, help, err) = run(&["analyze", "--help"]);
    assert_eq!(code, 0, "{err}");
    for (option, heading) in [
        ("--filter", "Input"),
        ("--max-memory", "Decoding and memory"),
        ("--csv", "Output"),
        ("--format", "Output"),
        ("--source-region", "Service tags and regions"),
        ("--service-tags", "Service tags and regions"),
        ("--capture-point", "Capture"),
        ("--retrans-threshold", "Thresholds and trust"),
        ("--trusted-issuer", "Thresholds and trust"),
        ("--nsg", "Azure configuration"),
        ("--azure", "Azure configuration"),
    ] {
        assert_eq!(
            heading_of(&help, option).as_deref(),
            Some(heading),
            "{option}\n{help}"
        );
    }
    let (_, live, _) = run(&["live", "--help"]);
    for (option, heading) in [
        ("--interface", "Capture"),
        ("--duration", "Capture"),
        ("--no-tui", "Output"),
        ("--bundle", "Output"),
        ("--azure", "Azure configuration"),
    ] {
        assert_eq!(
            heading_of(&live, option).as_deref(),
            Some(heading),
            "{option}\n{live}"
        );
    }
    let (_, check, _) = run(&["check", "--help"]);
    assert_eq!(
        heading_of(&check, "--source-region").as_deref(),
        Some("Service tags and regions")
    );
    assert_eq!(
        heading_of(&check, "--nsg").as_deref(),
        Some("Azure configuration")
    );
}
