//! The terminal UI as a new user meets it, at 80x24 in ratatui's
//! `TestBackend`: the verdict column and the stale-data warning fit, rows
//! out of view are counted, the sort goes both ways, the filter takes
//! `field:value` and `!`, Esc asks before leaving a live capture, and the
//! copy key puts the selected fix on the clipboard (OSC 52).

mod common;

use asrscope::model::Snapshot;
use asrscope::tui::{Effect, UiState};
use common::screen::{key, render, row_with, snapshot};
use ratatui::crossterm::event::KeyCode;

fn footer(screen: &[String]) -> &str {
    screen.last().unwrap()
}

/// The ids of the flows shown, in the table's order.
fn ids(ui: &UiState, snap: &Snapshot) -> Vec<u64> {
    ui.visible_flows(snap).iter().map(|j| j.flow.id).collect()
}

#[test]
fn the_verdict_is_never_cut_at_80_columns() {
    let snap = snapshot("proxy-407.pcap");
    let mut ui = UiState::new();
    let screen = render(&snap, &mut ui, 80, 24);
    let row = row_with(&screen, "asrcache1.blob.core.windows.net ✗");
    assert!(row.contains("✗ proxy-auth "), "{}", screen.join("\n"));
    assert!(!screen.join("\n").contains("proxy-au…"));
}

#[test]
fn the_stale_data_warning_stays_visible_at_80_columns() {
    let mut snap = snapshot("proxy-407.pcap");
    // Long region names push the rest of the line off the screen.
    for r in [
        &mut snap.diagnosis.source_region,
        &mut snap.diagnosis.target_region,
    ] {
        r.as_mut().unwrap().region.tag_suffix = "SouthCentralUSEUAPSTAGE".into();
    }
    let mut ui = UiState::new();
    let screen = render(&snap, &mut ui, 80, 24);
    let row = row_with(&screen, "captured on VM");
    assert!(row.contains("tags STALE: "), "{row}");
    assert!(row.contains(" d old"), "{row}");
}

#[test]
fn rows_out_of_view_are_counted_in_the_title() {
    let snap = snapshot("healthy-tls12-dns.pcap");
    let mut ui = UiState::new();
    ui.asr_only = false;
    let screen = render(&snap, &mut ui, 80, 24);
    let n = ui.visible_flows(&snap).len();
    let page = ui.flow_page;
    assert!(n > page, "{n} flows fit in {page} rows");
    let title = row_with(&screen, "Flows: ");
    assert!(
        title.contains(&format!("rows 1-{page} of {n} ↓")),
        "{title}"
    );
    assert!(!title.contains('↑'), "{title}");
    key(&mut ui, &snap, KeyCode::End);
    let screen = render(&snap, &mut ui, 80, 24);
    let title = row_with(&screen, "Flows: ");
    assert!(
        title.contains(&format!("↑ rows {}-{n} of {n} ", n - page + 1)),
        "{title}"
    );
    assert!(!title.contains('↓'), "{title}");
    // All rows shown: no count.
    let screen = render(&snap, &mut ui, 80, 60);
    assert!(!row_with(&screen, "Flows: ").contains("rows "));
}

#[test]
fn sort_goes_both_ways_and_the_header_shows_which() {
    let snap = snapshot("healthy-tls12-dns.pcap");
    let mut ui = UiState::new();
    ui.asr_only = false;
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(row_with(&screen, "Flows: ").contains("sort verdict ▼"));
    assert!(row_with(&screen, "server").contains("verdict ▼"));
    let before = ids(&ui, &snap);
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('S')), None);
    assert!(ui.sort_reversed);
    let mut reversed = before.clone();
    reversed.reverse();
    assert_eq!(ids(&ui, &snap), reversed);
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(row_with(&screen, "Flows: ").contains("sort verdict ▲"));
    assert!(row_with(&screen, "server").contains("verdict ▲"));
    // s goes to the next column, in its own direction: most bytes first.
    key(&mut ui, &snap, KeyCode::Char('s'));
    assert!(!ui.sort_reversed);
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(row_with(&screen, "server").contains("out ▼"));
    let bytes: Vec<u64> = ui
        .visible_flows(&snap)
        .iter()
        .map(|j| j.flow.out.bytes)
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] >= w[1]), "{bytes:?}");
    key(&mut ui, &snap, KeyCode::Char('S'));
    let bytes: Vec<u64> = ui
        .visible_flows(&snap)
        .iter()
        .map(|j| j.flow.out.bytes)
        .collect();
    assert!(bytes.windows(2).all(|w| w[0] <= w[1]), "{bytes:?}");
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(row_with(&screen, "server").contains("out ▲"));
    assert!(
        footer(&screen).contains("S: reverse"),
        "{}",
        footer(&screen)
    );
    // Terminals without UTF-8 get ASCII arrows.
    ui.ascii = true;
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(row_with(&screen, "server").contains("out ^"));
    assert!(row_with(&screen, "Flows: ").contains("sort bytes ^"));
}

fn filtered(snap: &Snapshot, text: &str) -> (UiState, Vec<String>) {
    let mut ui = UiState::new();
    ui.asr_only = false;
    key(&mut ui, snap, KeyCode::Char('/'));
    for c in text.chars() {
        key(&mut ui, snap, KeyCode::Char(c));
    }
    key(&mut ui, snap, KeyCode::Enter);
    let screen = render(snap, &mut ui, 80, 24);
    (ui, screen)
}

#[test]
fn the_filter_takes_fields_and_negation() {
    let snap = snapshot("proxy-407.pcap");
    let verdicts = |ui: &UiState| -> Vec<&str> {
        ui.visible_flows(&snap)
            .iter()
            .map(|j| j.verdict.verdict.as_str())
            .collect()
    };
    let (ui, _) = filtered(&snap, "verdict:proxy-auth");
    assert_eq!(verdicts(&ui), vec!["proxy-auth"]);
    let (ui, _) = filtered(&snap, "!verdict:ok");
    assert_eq!(verdicts(&ui), vec!["proxy-auth"]);
    let (ui, _) = filtered(&snap, "!verdict:proxy-auth host:asrcache1");
    assert_eq!(verdicts(&ui), vec!["allowed"]);
    let (ui, _) = filtered(&snap, "port:3128");
    assert_eq!(verdicts(&ui).len(), 2);
    let (ui, _) = filtered(&snap, "port:31");
    assert!(verdicts(&ui).is_empty());
    let (ui, _) = filtered(&snap, "!asrcache1");
    assert!(verdicts(&ui).is_empty());
    // Plain text as before.
    let (ui, _) = filtered(&snap, "ASRCACHE1");
    assert_eq!(verdicts(&ui).len(), 2);
}

#[test]
fn an_unknown_filter_field_is_said_in_the_footer() {
    let snap = snapshot("proxy-407.pcap");
    let mut ui = UiState::new();
    key(&mut ui, &snap, KeyCode::Char('/'));
    for c in "colour:red".chars() {
        key(&mut ui, &snap, KeyCode::Char(c));
    }
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(
        footer(&screen).contains("unknown filter field colour:"),
        "{}",
        footer(&screen)
    );
    key(&mut ui, &snap, KeyCode::Enter);
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(
        footer(&screen).contains("unknown filter field colour:"),
        "{}",
        footer(&screen)
    );
}

#[test]
fn esc_asks_before_leaving_a_live_capture() {
    let mut snap = snapshot("proxy-407.pcap");
    snap.live = true;
    let mut ui = UiState::new();
    assert_eq!(key(&mut ui, &snap, KeyCode::Esc), None);
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(
        footer(&screen).contains("Quit live capture? y/n"),
        "{}",
        footer(&screen)
    );
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('n')), None);
    assert!(!ui.confirm_quit);
    assert_eq!(key(&mut ui, &snap, KeyCode::Esc), None);
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('y')), Some(Effect::Quit));
    // q still quits at once; a saved capture is left on Esc.
    let mut ui = UiState::new();
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('q')), Some(Effect::Quit));
    snap.live = false;
    assert_eq!(key(&mut ui, &snap, KeyCode::Esc), Some(Effect::Quit));
}

#[test]
fn the_copy_key_puts_the_fix_on_the_clipboard() {
    use base64::Engine as _;
    let snap = snapshot("syn-dropped.pcap");
    let mut ui = UiState::new();
    render(&snap, &mut ui, 80, 24);
    let Some(Effect::Copy(seq)) = key(&mut ui, &snap, KeyCode::Char('c')) else {
        panic!("no copy: {:?}", ui.status)
    };
    assert!(seq.starts_with(b"\x1b]52;c;"));
    assert_eq!(seq.last(), Some(&0x07));
    let text = base64::engine::general_purpose::STANDARD
        .decode(&seq[7..seq.len() - 1])
        .unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("az network nsg rule create "), "{text}");
    assert!(!text.chars().any(char::is_control));
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(
        footer(&screen).starts_with("copied: az network nsg rule create"),
        "{}",
        footer(&screen)
    );
    // The same from the flow's detail.
    key(&mut ui, &snap, KeyCode::Enter);
    assert_eq!(
        key(&mut ui, &snap, KeyCode::Char('c')),
        Some(Effect::Copy(seq))
    );
}

#[test]
fn the_bundle_key_never_names_an_existing_file() {
    let snap = snapshot("proxy-407.pcap");
    let dir = tempfile::tempdir().unwrap();
    let taken = dir.path().join("case.zip");
    std::fs::write(&taken, b"not ours").unwrap();
    std::fs::write(dir.path().join("case-2.zip"), b"not ours").unwrap();
    let mut ui = UiState::new();
    ui.bundle_path = Some(taken.clone());
    key(&mut ui, &snap, KeyCode::Char('e'));
    assert_eq!(
        key(&mut ui, &snap, KeyCode::Char('b')),
        Some(Effect::Bundle(dir.path().join("case-3.zip")))
    );
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(
        footer(&screen).contains("case-3.zip"),
        "{}",
        footer(&screen)
    );
    assert_eq!(std::fs::read(&taken).unwrap(), b"not ours");
}
