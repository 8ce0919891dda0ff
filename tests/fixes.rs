//! Fixes that can be pasted: every `az` command of a fix is printed whole on
//! a line of its own in the text report (never wrapped inside), and the
//! placeholders the exports answer are filled from their resource ids,
//! quoted for the shell, the same in the text and the JSON.

mod common;
use common::{capture, data, run};
use serde_json::Value;

/// The `az` commands of the JSON's fix strings (from `az ` to the end: the
/// fixes these tests read end with their command).
fn json_commands(json: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(json).unwrap();
    let mut out = Vec::new();
    for f in v["diagnosis"]["findings"].as_array().unwrap() {
        for x in f["fix"].as_array().unwrap() {
            let s = x.as_str().unwrap();
            if let Some(at) = s.find(": az ") {
                out.push(s[at + 2..].to_string());
            }
        }
    }
    out
}

fn analyze(args: &[&str]) -> (String, String) {
    let mut text = vec!["analyze"];
    text.extend_from_slice(args);
    let mut json = text.clone();
    json.extend_from_slice(&["--format", "json"]);
    let (_, t, e) = run(&text);
    assert!(t.contains("FINDINGS"), "{e}");
    let (_, j, e) = run(&json);
    assert!(j.starts_with('{'), "{e}");
    (t, j)
}

#[test]
fn a_long_command_is_whole_on_a_line_of_its_own_at_the_default_width() {
    let cap = capture("all-public-dropped.pcap");
    let (text, json) = analyze(&[&cap]);
    let commands = json_commands(&json);
    assert!(!commands.is_empty());
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    assert!(commands.iter().any(|c| c.chars().count() > 100));
    for c in &commands {
        assert!(
            lines.iter().any(|l| l == c),
            "not whole on a line of its own: {c}\n{text}"
        );
    }
    // The prose around it is still wrapped at 100 columns.
    for l in text.lines() {
        if !l.trim_start().starts_with("az ") && !l.contains("captures/") {
            assert!(l.chars().count() <= 100, "{l}");
        }
    }
}

#[test]
fn the_nsg_that_denies_fills_the_resource_group_and_the_nsg() {
    let cap = capture("all-public-dropped.pcap");
    let nsg = data("nsg-deny-eventhub.json");
    let filled = "az network nsg rule create --resource-group 'rg-asr' --nsg-name 'vm01-nic-nsg' --name 'Allow-ASR-EventHub-CentralUS' --priority 190";
    let (text, json) = analyze(&[&cap, "--nsg", &nsg]);
    assert!(text.lines().any(|l| l.trim().starts_with(filled)), "{text}");
    assert!(
        json_commands(&json).iter().any(|c| c.starts_with(filled)),
        "{json}"
    );
    // The typed fix carries the resource group too.
    assert!(json.contains(r#""resource_group": "rg-asr""#), "{json}");
    // Without the export, the placeholders stay.
    let (text, json) = analyze(&[&cap]);
    let open = "--resource-group '<resource-group>' --nsg-name '<nsg>' --name 'Allow-ASR-EventHub-CentralUS'";
    assert!(text.contains(open), "{text}");
    assert!(json.contains(open), "{json}");
    assert!(!text.contains("rg-asr"));
}

#[test]
fn the_vm_subnet_fills_the_service_endpoint_command() {
    let cap = capture("bundle-vni.pcap");
    let subnet = data("storage-vm-subnet.json");
    let filled = "az network vnet subnet update -g 'asr-rg' --vnet-name 'asr-vnet' -n 'app' --add serviceEndpoints";
    let (text, json) = analyze(&[&cap, "--azure", &subnet]);
    assert!(text.lines().any(|l| l.trim().starts_with(filled)), "{text}");
    assert!(json.contains(filled), "{json}");
    let (text, _) = analyze(&[&cap]);
    assert!(
        text.contains("-g '<resource-group>' --vnet-name '<vnet>' -n '<subnet>'"),
        "{text}"
    );
}

#[test]
fn check_fills_the_resource_group_of_the_nsg_that_denies_a_platform_tag() {
    let nsg = data("nsg-deny-platform.json");
    let (_, out, err) = run(&[
        "check",
        "--nsg",
        &nsg,
        "--source-region",
        "eastus",
        "--target-region",
        "westus",
    ]);
    let line = out
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("az network nsg rule create") && l.contains("AzurePlatformIMDS"))
        .unwrap_or_else(|| panic!("{out}{err}"));
    assert!(
        line.starts_with("az network nsg rule create --resource-group 'rg1' --nsg-name 'testnsg'"),
        "{line}"
    );
    assert!(
        line.ends_with("--description 'Site Recovery: AzurePlatformIMDS'"),
        "{line}"
    );
}

#[test]
fn hostile_names_from_an_export_are_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let body = std::fs::read_to_string(data("nsg-deny-eventhub.json")).unwrap();
    let hostile = body
        .replace(
            "resourceGroups/rg-asr/",
            "resourceGroups/rg;$(touch pwned)`id`/",
        )
        .replace(
            "networkSecurityGroups/vm01-nic-nsg",
            "networkSecurityGroups/it's;rm -rf ~",
        );
    assert_ne!(body, hostile);
    let path = dir.path().join("nsg.json");
    std::fs::write(&path, hostile).unwrap();
    let cap = capture("all-public-dropped.pcap");
    let (text, json) = analyze(&[&cap, "--nsg", path.to_str().unwrap()]);
    let quoted = r#"--resource-group 'rg;$(touch pwned)`id`' --nsg-name 'it'\''s;rm -rf ~'"#;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("az network nsg rule create") && l.contains("EventHub"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains(quoted), "{line}");
    assert!(
        json_commands(&json).iter().any(|c| c.contains(quoted)),
        "{json}"
    );
    // A shell reads each value as one word, and runs nothing.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "set -- {}; printf '%s\\n' \"$2\" \"$4\"",
            &line["az network nsg rule create ".len()..]
        ))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "rg;$(touch pwned)`id`\nit's;rm -rf ~\n"
    );
    assert!(!dir.path().join("pwned").exists());
}
