//! The terminal UI rendered into ratatui's `TestBackend` from snapshots of the
//! sample captures in `captures/`: what each pane shows, what the keys do, and
//! that tiny terminals and hostile strings do no harm.

mod common;

use asrscope::model::{Drops, Snapshot};
use asrscope::tui::{self, Detail, Effect, Pane, UiState};
use common::screen::{key, render, row_with, snapshot, snapshot_with};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

fn typed(ui: &mut UiState, snap: &Snapshot, text: &str) {
    for c in text.chars() {
        key(ui, snap, KeyCode::Char(c));
    }
}

/// The detail of the flow to `server` (its TLS server name) as logical lines,
/// before wrapping.
fn logical_lines(snap: &Snapshot, server: &str, ascii: bool) -> Vec<String> {
    let j = snap
        .flows
        .iter()
        .find(|j| j.flow.server_name.as_deref() == Some(server))
        .unwrap_or_else(|| panic!("no flow to {server}"));
    tui::views::detail::flow_lines(snap, j, ascii)
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect()
}

/// Opens the detail of the first flow whose name contains `name` and returns
/// every row of it, scrolling page by page at 80x24.
fn detail_text(snap: &Snapshot, name: &str) -> String {
    let mut ui = UiState::new();
    render(snap, &mut ui, 80, 24);
    let n = ui.visible_flows(snap).len();
    for _ in 0..n {
        let sel = ui.selected_flow(snap).unwrap();
        if asrscope::model::FlowRecord::name(&sel.flow).is_some_and(|s| s.contains(name)) {
            break;
        }
        key(&mut ui, snap, KeyCode::Down);
    }
    let sel = ui.selected_flow(snap).unwrap();
    assert!(
        asrscope::model::FlowRecord::name(&sel.flow)
            .unwrap()
            .contains(name)
    );
    assert_eq!(key(&mut ui, snap, KeyCode::Enter), None);
    assert_eq!(ui.detail, Some(Detail::Flow(sel.flow.id)));
    let mut all = Vec::new();
    let mut last = usize::MAX;
    for _ in 0..20 {
        let screen = render(snap, &mut ui, 80, 24);
        all.extend(screen);
        if ui.detail_scroll == last {
            break;
        }
        last = ui.detail_scroll;
        key(&mut ui, snap, KeyCode::PageDown);
    }
    // Esc goes back to the main screen, a second Esc quits.
    assert_eq!(key(&mut ui, snap, KeyCode::Esc), None);
    assert_eq!(ui.detail, None);
    assert_eq!(key(&mut ui, snap, KeyCode::Esc), Some(Effect::Quit));
    all.join("\n")
}

/// The text with wrapped lines joined and runs of spaces collapsed.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn checklist_shows_blocked_monitoring_and_unseen_rows() {
    let snap = snapshot("syn-dropped.pcap");
    let screen = render(&snap, &mut UiState::new(), 80, 24);
    let row = row_with(&screen, "*.servicebus.windows.net");
    assert!(row.contains("✗ blocked"), "{row}");
    assert!(row.contains("EventHub.CentralUS"), "{row}");
    let row = row_with(&screen, "*.vault.azure.net");
    assert!(row.contains("? not seen"), "{row}");
    assert!(row_with(&screen, "login.microsoftonline.com").contains("? not seen"));
}

#[test]
fn healthy_capture_shows_storage_ok_and_its_flow() {
    let snap = snapshot("healthy-tls12-dns.pcap");
    let screen = render(&snap, &mut UiState::new(), 80, 24);
    let row = row_with(&screen, "*.blob.core.windows.net");
    assert!(row.contains("✓ ok"), "{row}");
    assert!(row.contains("Storage.EastUS"), "{row}");
    let flow = row_with(&screen, "asrcache1.blob.core.windows.net");
    assert!(flow.contains("✓ allowed"), "{flow}");
    // The sparkline's title gives the rates and what Site Recovery needs.
    row_with(&screen, "ASR needs 1.33");
}

#[test]
fn status_bar_names_file_frames_and_regions() {
    let snap = snapshot("syn-dropped.pcap");
    let screen = render(&snap, &mut UiState::new(), 80, 24);
    let bar = format!("{}\n{}", screen[0], screen[1]);
    assert!(bar.contains("syn-dropped.pcap"), "{bar}");
    // captures/manifest.tsv: syn-dropped.pcap holds 5 frames.
    assert!(
        bar.split(|c: char| !c.is_alphanumeric() && c != ' ')
            .any(|part| part.trim() == "5 frames"),
        "{bar}"
    );
    assert!(bar.contains("EastUS → CentralUS (given)"), "{bar}");
    assert!(bar.contains("FILE"), "{bar}");
    assert!(bar.contains("tags "), "{bar}");
}

/// When the memory budget lets the list hold fewer flows than the capture
/// has, the status bar says how many are listed.
#[test]
fn status_bar_says_when_the_list_holds_fewer_flows() {
    let mut snap = snapshot("healthy-tls12-dns.pcap");
    let total = snap.total_flows;
    assert!(total >= 2, "{total}");
    let bar = render(&snap, &mut UiState::new(), 120, 24)[..2].join("\n");
    assert!(bar.contains(&format!("{total} flows")), "{bar}");
    assert!(!bar.contains("listed"), "every flow is listed: {bar}");
    snap.flows.truncate(1);
    let bar = render(&snap, &mut UiState::new(), 120, 24)[..2].join("\n");
    assert!(
        bar.contains(&format!("{total} flows (1 listed, --max-memory)")),
        "{bar}"
    );
}

#[test]
fn live_status_shows_drops_and_pause() {
    let mut snap = snapshot("healthy-tls12-dns.pcap");
    snap.live = true;
    snap.source = "interface eth0".into();
    snap.drops = Some(Drops {
        kernel: 100,
        interface: 23,
        queue: 0,
    });
    let mut ui = UiState::new();
    let screen = render(&snap, &mut ui, 80, 24).join("\n");
    assert!(screen.contains("LIVE"), "{screen}");
    assert!(screen.contains("interface eth0"), "{screen}");
    assert!(
        screen.contains("DROPPED 123 packets (kernel 100, interface 23)"),
        "{screen}"
    );
    assert_eq!(
        key(&mut ui, &snap, KeyCode::Char('p')),
        Some(Effect::Pause(true))
    );
    assert!(render(&snap, &mut ui, 80, 24)[0].contains("PAUSED"));
    assert_eq!(
        key(&mut ui, &snap, KeyCode::Char('p')),
        Some(Effect::Pause(false))
    );
    assert!(!render(&snap, &mut ui, 80, 24)[0].contains("PAUSED"));
    // A saved capture cannot be paused.
    let file = snapshot("healthy-tls12-dns.pcap");
    assert_eq!(key(&mut ui, &file, KeyCode::Char('p')), None);
    assert!(!ui.paused);
}

#[test]
fn detail_of_dropped_syns_gives_evidence_verdict_and_fix() {
    let snap = snapshot("syn-dropped.pcap");
    let text = detail_text(&snap, "servicebus");
    assert!(text.contains("3 SYNs over"), "{text}");
    assert!(text.contains("no answer"), "{text}");
    assert!(text.contains("✗ blocked"), "{text}");
    assert!(text.contains("DNS"), "{text}");
    let fix = text
        .lines()
        .find(|l| l.contains("fix") && l.contains("EventHub.CentralUS"))
        .unwrap_or_else(|| panic!("no fix naming EventHub.CentralUS:\n{text}"));
    assert!(fix.contains("443"), "{fix}");
}

#[test]
fn a_fix_command_is_one_row_whole_at_80_columns() {
    let snap = snapshot("syn-dropped.pcap");
    let mut ui = UiState::new();
    let i = snap
        .flows
        .iter()
        .position(|j| {
            asrscope::model::FlowRecord::name(&j.flow).is_some_and(|n| n.contains("servicebus"))
        })
        .unwrap();
    ui.detail = Some(Detail::Flow(snap.flows[i].flow.id));
    let rows = tui::views::detail::rows(&snap, &ui, 80);
    let text: Vec<String> = rows
        .iter()
        .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
        .collect();
    // The command, as the copy key takes it: whole.
    let commands = tui::views::detail::commands(&snap, &ui);
    let cmd = commands
        .iter()
        .find(|c| c.starts_with("az network nsg rule create"))
        .unwrap_or_else(|| panic!("{commands:?}"));
    assert!(cmd.ends_with("--destination-port-ranges 443"), "{cmd}");
    assert!(cmd.chars().count() > 80);
    // One row holds it whole after its `$`, wider than the screen; no row
    // holds a piece of it.
    let row = text
        .iter()
        .find(|r| r.contains("az network nsg rule create"))
        .unwrap_or_else(|| panic!("{}", text.join("\n")));
    assert_eq!(row.trim_start_matches(['$', ' ']), cmd.as_str(), "{row}");
    assert!(
        !text
            .iter()
            .any(|r| r.trim() == "--destination-port-ranges 443"
                || (r.contains("--destination-port-ranges") && !r.contains("az network"))),
        "{}",
        text.join("\n")
    );
}

#[test]
fn detail_of_intercepted_tls_names_the_issuer() {
    let snap = snapshot("tls-intercepted.pcap");
    let text = flat(&detail_text(&snap, "login.microsoftonline.com"));
    // The certificate line wraps, and may wrap across a page: read it as
    // the detail's logical line.
    let lines = logical_lines(&snap, "login.microsoftonline.com", false);
    assert!(
        lines.iter().any(|l| l.contains(
            "issuer C=US, O=Contoso Ltd, OU=Network Security, CN=Contoso Firewall Inspection CA"
        )),
        "{lines:#?}"
    );
    assert!(
        text.contains("issued by 'Contoso Firewall Inspection CA'"),
        "{text}"
    );
    assert!(text.contains("intercepted"), "{text}");
    assert!(text.contains("exclude"), "{text}");
}

#[test]
fn detail_of_a_hello_without_tls12_gives_the_versions_the_reason_and_the_fix() {
    let snap = snapshot("tls-old-reset.pcap");
    let text = flat(&detail_text(&snap, "asrcache1"));
    assert!(text.contains("TLS1.1"), "{text}");
    assert!(
        text.contains("the client offered at most TLS1.1 to asrcache1.blob.core.windows.net, no TLS 1.2: the server reset the connection"),
        "{text}"
    );
    assert!(text.contains("does not offer TLS 1.2"), "{text}");
    assert!(text.contains("KB3140245"), "{text}");
    assert!(text.contains("SchUseStrongCrypto=1"), "{text}");
}

#[test]
fn detail_of_reset_hello_shows_the_rst() {
    let snap = snapshot("rst-after-clienthello.pcap");
    let text = detail_text(&snap, "asrcache1");
    assert!(text.contains("RST from the server"), "{text}");
    assert!(text.contains("after the client's first data"), "{text}");
    assert!(
        text.contains("SNI asrcache1.blob.core.windows.net"),
        "{text}"
    );
}

/// The detail of the flow reset at its ClientHello, as logical lines (before
/// wrapping): the timeline in the order things happened, the traffic, the
/// verdict with its reason, then the finding.
#[test]
fn detail_lines_of_reset_hello_in_order() {
    let snap = snapshot("rst-after-clienthello.pcap");
    let text = |ascii| logical_lines(&snap, "asrcache1.blob.core.windows.net", ascii);
    let lines = text(false);
    let from = lines.iter().position(|l| l == "Timeline (UTC)").unwrap();
    // Times and the client port from tshark's reading of the capture.
    let rows = common::truth("rst-after-clienthello.pcap");
    let us = |r: &common::Row| -> i64 {
        let (s, f) = r["frame.time_epoch"].split_once('.').unwrap();
        s.parse::<i64>().unwrap() * 1_000_000 + f[..6].parse::<i64>().unwrap()
    };
    let tcp: Vec<&common::Row> = rows
        .iter()
        .filter(|r| !r["tcp.srcport"].is_empty())
        .collect();
    let at = |u: i64| tui::views::hms_ms(u);
    let (dns, syn, ack, last) = (
        us(&rows[0]),
        us(tcp[0]),
        us(tcp[2]),
        us(rows.last().unwrap()),
    );
    let rtt = (ack - syn) as f64 / 1000.0;
    let port = &tcp[0]["tcp.srcport"];
    let span = (last - dns) as f64 / 1e6;
    let want = [
        "Timeline (UTC)".to_string(),
        format!(
            "{} DNS         asrcache1.blob.core.windows.net: CNAME \
             blob.bl2prdstr01a.store.core.windows.net; answer 13.68.163.36 \
             (1 query, 1 response; server 168.63.129.16)",
            at(dns)
        ),
        format!("{} SYN         1 SYN", at(syn)),
        format!("             SYN/ACK     handshake complete, RTT {rtt:.1} ms"),
        "             ClientHello SNI asrcache1.blob.core.windows.net, \
         offers TLS1.3 TLS1.2 TLS1.1 TLS1.0, ALPN h2 http/1.1"
            .to_string(),
        "             RST         RST from the server, 0 ms after the client's first data".into(),
        format!(
            "{} end         last packet, {span:.1} s after the first; closed: rst-server",
            at(last)
        ),
        String::new(),
        "Traffic".into(),
        "out         4 packets, 517 bytes, 0 retransmitted (0 with data), 0 dup ACKs, 0 zero windows".into(),
        "in          3 packets, 0 bytes, 0 retransmitted (0 with data), 0 dup ACKs, 0 zero windows".into(),
        String::new(),
        "Verdict".into(),
        "✗ blocked: RST 0.0 ms after the ClientHello for asrcache1.blob.core.windows.net, \
         before any byte from the server: closed after the server name was read (an FQDN \
         filter, firewall or proxy in the path)"
            .into(),
        String::new(),
        "Finding and fix".into(),
    ];
    assert_eq!(lines[from..from + want.len()], want, "{lines:#?}");
    assert!(lines[from + want.len()].starts_with("CRITICAL *.blob.core.windows.net is blocked"));
    // The ASCII variant differs only in its symbols.
    let ascii = text(true);
    assert_eq!(ascii.len(), lines.len());
    assert_eq!(
        ascii[0],
        format!("flow        #1 tcp 10.1.0.4:{port} -> 13.68.163.36:443")
    );
    assert_eq!(ascii[from + 13], want[13].replace('✗', "x"));
}

/// The flow's Community ID is in its detail, among the lines that say which
/// flow it is: the ID tshark's `communityid` dissector gives both directions
/// of the connection in `rst-after-clienthello.pcap`, to find the flow in
/// Zeek's, Suricata's, Arkime's or Wireshark's view of the same traffic.
#[test]
fn detail_gives_the_flows_community_id() {
    let snap = snapshot("rst-after-clienthello.pcap");
    let lines = logical_lines(&snap, "asrcache1.blob.core.windows.net", false);
    let timeline = lines.iter().position(|l| l == "Timeline (UTC)").unwrap();
    let at = lines
        .iter()
        .position(|l| l == "community   1:xz51bJ954cI1Mq/5zFm0OfD0mE8= (Community ID v1)")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(at < timeline, "{lines:#?}");
}

#[test]
fn requirement_detail_from_the_checklist() {
    let snap = snapshot("syn-dropped.pcap");
    let mut ui = UiState::new();
    key(&mut ui, &snap, KeyCode::Tab);
    assert_eq!(ui.focus, Pane::Checklist);
    let idx = snap
        .diagnosis
        .requirements
        .iter()
        .position(|r| r.endpoint == "*.servicebus.windows.net")
        .unwrap();
    for _ in 0..idx {
        key(&mut ui, &snap, KeyCode::Char('j'));
    }
    key(&mut ui, &snap, KeyCode::Enter);
    assert_eq!(ui.detail, Some(Detail::Requirement(idx)));
    let screen = render(&snap, &mut ui, 100, 40).join("\n");
    assert!(
        screen.contains("Requirement *.servicebus.windows.net"),
        "{screen}"
    );
    assert!(screen.contains("EventHub.CentralUS"), "{screen}");
}

/// The flow rows of the screen, as the table shows them ("Flows: N of M").
fn shown_count(screen: &[String]) -> usize {
    let t = row_with(screen, "Flows: ");
    let n = t.split("Flows: ").nth(1).unwrap();
    n.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn asr_toggle_changes_the_rows() {
    let snap = snapshot("healthy-tls12-dns.pcap");
    let mut ui = UiState::new();
    let asr = render(&snap, &mut ui, 80, 24);
    // No DNS row: the resolver only appears once all flows are shown (a
    // clock time may well contain ":53").
    assert!(
        !asr.join("\n").contains("168.63.129.16"),
        "{}",
        asr.join("\n")
    );
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('a')), None);
    let all = render(&snap, &mut ui, 160, 60);
    assert!(shown_count(&all) > shown_count(&asr), "{}", all.join("\n"));
    assert_eq!(shown_count(&all), snap.flows.len());
    assert!(
        all.join("\n").contains("168.63.129.16:53"),
        "{}",
        all.join("\n")
    );
    key(&mut ui, &snap, KeyCode::Char('a'));
    assert_eq!(
        shown_count(&render(&snap, &mut ui, 80, 24)),
        shown_count(&asr)
    );
}

#[test]
fn filter_narrows_to_login() {
    let snap = snapshot("healthy-tls12-dns.pcap");
    let mut ui = UiState::new();
    key(&mut ui, &snap, KeyCode::Char('/'));
    typed(&mut ui, &snap, "loginx");
    key(&mut ui, &snap, KeyCode::Backspace);
    let screen = render(&snap, &mut ui, 80, 24);
    assert!(
        screen.last().unwrap().contains("filter: login"),
        "{screen:?}"
    );
    key(&mut ui, &snap, KeyCode::Enter);
    assert!(!ui.filter_editing);
    let screen = render(&snap, &mut ui, 80, 24).join("\n");
    assert!(screen.contains("login.microsoftonline.com"), "{screen}");
    assert!(!screen.contains("asrcache1.blob"), "{screen}");
    let shown = ui.visible_flows(&snap);
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|j| {
        asrscope::model::FlowRecord::name(&j.flow).is_some_and(|n| n.contains("login"))
    }));
    // Esc clears the filter before it quits.
    assert_eq!(key(&mut ui, &snap, KeyCode::Esc), None);
    assert!(ui.filter.is_empty());
}

#[test]
fn sort_key_changes_the_order() {
    let snap = snapshot("healthy-tls12-dns.pcap");
    let mut ui = UiState::new();
    let ids =
        |ui: &UiState| -> Vec<u64> { ui.visible_flows(&snap).iter().map(|j| j.flow.id).collect() };
    let before = ids(&ui);
    let first_before = render(&snap, &mut ui, 80, 24);
    key(&mut ui, &snap, KeyCode::Char('s'));
    assert_eq!(ui.sort, asrscope::tui::SortKey::Bytes);
    let after = ids(&ui);
    assert_ne!(before, after);
    let screen = render(&snap, &mut ui, 80, 24);
    assert_ne!(first_before, screen);
    assert!(row_with(&screen, "Flows: ").contains("sort bytes"));
    // The biggest upload comes first.
    let top = ui.visible_flows(&snap)[0];
    assert!(
        asrscope::model::FlowRecord::name(&top.flow)
            .unwrap()
            .contains("asrcache1")
    );
}

#[test]
fn help_lists_every_key() {
    let snap = snapshot("healthy-tls12-dns.pcap");
    let mut ui = UiState::new();
    key(&mut ui, &snap, KeyCode::Char('?'));
    assert!(ui.help);
    let screen = render(&snap, &mut ui, 80, 24).join("\n");
    for b in asrscope::tui::keys::BINDINGS {
        assert!(screen.contains(b.label), "{} missing:\n{screen}", b.label);
        assert!(screen.contains(b.help), "{} missing:\n{screen}", b.help);
    }
    key(&mut ui, &snap, KeyCode::Esc);
    assert!(!ui.help);
}

#[test]
fn export_writes_the_flows_shown() {
    let snap = snapshot("healthy-tls12-dns.pcap");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    let mut ui = UiState {
        export_path: Some(path.clone()),
        ..UiState::new()
    };
    render(&snap, &mut ui, 80, 24);
    // `e` asks which export; `c` is the CSV.
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('e')), None);
    let screen = render(&snap, &mut ui, 120, 24);
    assert!(
        screen
            .last()
            .unwrap()
            .contains("c the flows shown to a CSV file · b a support bundle"),
        "{screen:?}"
    );
    assert_eq!(
        key(&mut ui, &snap, KeyCode::Char('c')),
        Some(Effect::Export(path.clone()))
    );
    let shown = ui.visible_flows(&snap).len();
    let mut r = csv::Reader::from_path(&path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    // The export has the columns the documentation publishes for the CSV,
    // in order.
    assert_eq!(header, common::documented_csv_columns());
    let rows = r.records().count();
    assert_eq!(rows, shown);
    let screen = render(&snap, &mut ui, 200, 24);
    let msg = format!("exported {shown} flows to {}", path.display());
    assert!(screen.last().unwrap().contains(&msg), "{screen:?}");
}

/// The CSV export never writes over a file: an export of the second
/// before, or a capture that happens to have that name, stays as it was.
#[test]
fn export_never_writes_over_an_existing_file() {
    let snap = snapshot("healthy-tls12-dns.pcap");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    std::fs::write(&path, b"an earlier file").unwrap();
    let mut ui = UiState {
        export_path: Some(path.clone()),
        ..UiState::new()
    };
    render(&snap, &mut ui, 80, 24);
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('e')), None);
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('c')), None);
    assert_eq!(std::fs::read(&path).unwrap(), b"an earlier file");
    let status = ui.status.clone().unwrap();
    assert!(status.contains(&path.display().to_string()), "{status}");
    assert!(status.contains("already exists"), "{status}");
    assert!(status.contains("nothing was written"), "{status}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn export_offers_the_support_bundle_beside_the_csv() {
    let snap = snapshot("healthy-tls12-dns.pcap");
    let path = std::path::PathBuf::from("case.zip");
    let mut ui = UiState {
        bundle_path: Some(path.clone()),
        ..UiState::new()
    };
    render(&snap, &mut ui, 80, 24);
    // From the detail screen too; any other key cancels.
    key(&mut ui, &snap, KeyCode::Enter);
    assert!(ui.detail.is_some());
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('e')), None);
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('x')), None);
    assert_eq!(ui.status.as_deref(), Some("export cancelled"));
    assert!(ui.detail.is_some());
    assert_eq!(key(&mut ui, &snap, KeyCode::Char('e')), None);
    assert_eq!(
        key(&mut ui, &snap, KeyCode::Char('b')),
        Some(Effect::Bundle(path))
    );
    let screen = render(&snap, &mut ui, 120, 24);
    assert!(
        screen
            .last()
            .unwrap()
            .contains("writing the support bundle to case.zip"),
        "{screen:?}"
    );
    // Nothing was written by the key itself: the caller writes the bundle.
    assert!(!std::path::Path::new("case.zip").exists());
}

#[test]
fn tiny_terminals_do_not_panic() {
    let sizes = [
        (40, 10),
        (20, 5),
        (10, 3),
        (1, 1),
        (0, 0),
        (80, 24),
        (3, 40),
        (200, 60),
    ];
    for name in ["syn-dropped.pcap", "healthy-tls12-dns.pcap"] {
        let mut snap = snapshot(name);
        snap.drops = Some(Drops {
            kernel: 1,
            interface: 2,
            queue: 3,
        });
        let setups: [fn(&mut UiState); 6] = [
            |_| {},
            |u| u.focus = Pane::Checklist,
            |u| u.help = true,
            |u| u.detail = Some(Detail::Requirement(3)),
            |u| {
                u.filter_editing = true;
                u.filter = "x".repeat(300);
            },
            |u| u.ascii = true,
        ];
        for setup in setups {
            for (w, h) in sizes {
                let mut ui = UiState::new();
                setup(&mut ui);
                render(&snap, &mut ui, w, h);
                // Keys after a tiny render still behave.
                for code in [
                    KeyCode::Down,
                    KeyCode::PageDown,
                    KeyCode::End,
                    KeyCode::Enter,
                ] {
                    key(&mut ui, &snap, code);
                }
                render(&snap, &mut ui, w, h);
            }
        }
    }
}

#[test]
fn control_characters_never_reach_the_screen() {
    let mut snap = snapshot("syn-dropped.pcap");
    let evil = "evil\u{1b}[2Jname";
    snap.source = format!("{evil}.pcap");
    let j = snap
        .flows
        .iter_mut()
        .find(|j| j.verdict.endpoint.is_some())
        .unwrap();
    j.flow.server_name = Some(evil.into());
    j.verdict.cause = asrscope::model::Cause::ServerSilent {
        name: Some(format!("reason {evil}")),
    };
    if let Some(d) = snap.dns.first_mut() {
        d.name = evil.into();
    }
    if let Some(f) = snap.diagnosis.findings.first_mut() {
        f.evidence.push(asrscope::model::Evidence::AdminRulesFirst {
            manager: evil.into(),
        });
        f.fixes.push(asrscope::model::Fix::NetworkManagerRules {
            manager: format!("fix \u{9b}31m {evil}"),
            vnet: None,
        });
    }
    snap.diagnosis.requirements[0].tag = asrscope::model::TagName::new(evil).into();
    let mut ui = UiState::new();
    let mut screens = vec![render(&snap, &mut ui, 80, 24)];
    key(&mut ui, &snap, KeyCode::Enter);
    assert!(matches!(ui.detail, Some(Detail::Flow(_))));
    screens.push(render(&snap, &mut ui, 120, 60));
    key(&mut ui, &snap, KeyCode::Esc);
    key(&mut ui, &snap, KeyCode::Char('/'));
    typed(&mut ui, &snap, "evil");
    screens.push(render(&snap, &mut ui, 80, 24));
    let text = screens.concat().join("\n");
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(!text.contains('\u{9b}'), "{text}");
    assert!(text.contains("evil\\027[2Jname"), "{text}");
}

#[test]
fn details_show_the_deciding_nsg_rule_and_the_route() {
    let data = common::data;
    let (nsg, routes) = (data("nsg-deny-eventhub.json"), data("routes-udr-nva.json"));
    let snap = snapshot_with("syn-dropped.pcap", &["--nsg", &nsg, "--routes", &routes]);
    let text = detail_text(&snap, "servicebus");
    let rule = text
        .lines()
        .find(|l| l.contains("NSG") && l.contains("Deny-EventHub"))
        .unwrap_or_else(|| panic!("no NSG line:\n{text}"));
    assert!(rule.contains("(priority 200) denies"), "{rule}");
    assert!(
        text.contains("0.0.0.0/0 → VirtualAppliance 10.1.0.1 (User)"),
        "{text}"
    );
    // The requirement's detail carries the same rule.
    let mut ui = UiState::new();
    key(&mut ui, &snap, KeyCode::Tab);
    let idx = snap
        .diagnosis
        .requirements
        .iter()
        .position(|r| r.endpoint == "*.servicebus.windows.net")
        .unwrap();
    for _ in 0..idx {
        key(&mut ui, &snap, KeyCode::Char('j'));
    }
    key(&mut ui, &snap, KeyCode::Enter);
    let screen = render(&snap, &mut ui, 120, 40).join("\n");
    assert!(screen.contains("securityRules/Deny-EventHub"), "{screen}");
    // Without the exports there is no such line.
    let plain = detail_text(&snapshot("syn-dropped.pcap"), "servicebus");
    assert!(!plain.contains("Deny-EventHub") && !plain.contains("VirtualAppliance"));
}

#[test]
fn details_name_every_nsg_on_the_path() {
    let data = common::data;
    let nsg = data("nsg-nic-and-subnet.json");
    let snap = snapshot_with("syn-dropped.pcap", &["--nsg", &nsg]);
    let text = detail_text(&snap, "servicebus");
    let nic = text
        .lines()
        .find(|l| l.contains("NIC NSG"))
        .unwrap_or_else(|| panic!("no NIC NSG line:\n{text}"));
    assert!(
        nic.contains("vm01-nic-nsg rule securityRules/Allow-EventHub"),
        "{nic}"
    );
    assert!(nic.contains("allows"), "{nic}");
    let subnet = text
        .lines()
        .find(|l| l.contains("subnet NSG"))
        .unwrap_or_else(|| panic!("no subnet NSG line:\n{text}"));
    assert!(subnet.contains("vm01-subnet-nsg"), "{subnet}");
    assert!(subnet.contains("AllowInternetOutBound"), "{subnet}");
}

#[test]
fn details_show_the_firewall_verdict() {
    let data = common::data;
    let args = [
        "--routes".to_string(),
        data("routes-udr-nva.json"),
        "--azure".to_string(),
        data("fw-firewall.json"),
        "--azure".to_string(),
        data("fw-policy.json"),
        "--azure".to_string(),
        data("fw-rcg-no-blob.json"),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let snap = snapshot_with("healthy-tls12-dns.pcap", &args);
    let text = flat(&detail_text(&snap, "login.microsoftonline.com"));
    assert!(
        text.contains(
            "firewall firewall fw-hub (10.1.0.1), policy fw-policy: rule collection group asr"
        ),
        "{text}"
    );
    assert!(text.contains("application rule entra-id allows"), "{text}");
    let text = flat(&detail_text(&snap, "asrcache1"));
    assert!(text.contains("no rule matches: the default deny"), "{text}");
}

#[test]
fn detail_of_a_cache_flow_gives_the_storage_accounts_answer() {
    let account = common::data("storage-private.json");
    let snap = snapshot_with("healthy-tls12-dns.pcap", &["--azure", &account]);
    let text = flat(&detail_text(&snap, "asrcache1.blob.core.windows.net"));
    assert!(
        text.contains("storage account asrcache1 refuses the traffic"),
        "{text}"
    );
    assert!(text.contains("publicNetworkAccess Disabled"), "{text}");
}

#[test]
fn requirement_detail_gives_the_way_out_and_the_endpoint_policy() {
    // Microsoft's example policy lists stAccount, not the capture's
    // asrcache1 (by name): denied.
    let dir = tempfile::Builder::new()
        .prefix("asrscope-tui-sep-")
        .tempdir()
        .unwrap();
    let policy = dir.path().join("policy.json");
    let mut p = common::microsoft_body("ServiceEndpointPolicyGet");
    p["properties"]["serviceEndpointPolicyDefinitions"][0]["properties"]["serviceResources"] = serde_json::json!(
        [
            "/subscriptions/subid1/resourceGroups/storageRg/providers/Microsoft.Storage/storageAccounts/stAccount"
        ]
    );
    std::fs::write(&policy, p.to_string()).unwrap();
    let subnet = common::data("sep-subnet.json");
    let policy = policy.to_string_lossy().into_owned();
    let snap = snapshot_with(
        "private-subnet.pcap",
        &["--azure", &subnet, "--azure", &policy],
    );
    let mut ui = UiState::new();
    key(&mut ui, &snap, KeyCode::Tab);
    let idx = snap
        .diagnosis
        .requirements
        .iter()
        .position(|r| r.endpoint == "*.blob.core.windows.net")
        .unwrap();
    for _ in 0..idx {
        key(&mut ui, &snap, KeyCode::Char('j'));
    }
    key(&mut ui, &snap, KeyCode::Enter);
    assert_eq!(ui.detail, Some(Detail::Requirement(idx)));
    let screen = flat(&render(&snap, &mut ui, 200, 80).join("\n"));
    assert!(screen.contains("status ✗ blocked"), "{screen}");
    assert!(
        screen.contains(
            "outbound the Microsoft.Storage service endpoint of subnet subnet1 carries it"
        ),
        "{screen}"
    );
    assert!(
        screen.contains("endpoint policy endpoint-policy-denied: no Microsoft.Storage definition"),
        "{screen}"
    );
}

/// The colours used on a screen, and whether any cell is bold or reversed.
fn colours(snap: &Snapshot, ui: &mut UiState) -> (Vec<String>, bool, Vec<String>) {
    let mut t = Terminal::new(TestBackend::new(120, 30)).unwrap();
    t.draw(|f| tui::draw(f, snap, ui)).unwrap();
    let buf = t.backend().buffer();
    let mut used: Vec<String> = buf
        .content
        .iter()
        .flat_map(|c| [c.fg, c.bg])
        .filter(|&c| c != ratatui::style::Color::Reset)
        .map(|c| format!("{c:?}"))
        .collect();
    used.sort();
    used.dedup();
    let emphasis = buf.content.iter().any(|c| {
        c.modifier
            .intersects(ratatui::style::Modifier::BOLD | ratatui::style::Modifier::REVERSED)
    });
    let text = buf.content.iter().map(|c| c.symbol().to_string()).collect();
    (used, emphasis, text)
}

#[test]
fn no_color_draws_the_same_screen_without_colours() {
    let snap = snapshot("syn-dropped.pcap");
    let (coloured, _, text) = colours(&snap, &mut UiState::new());
    assert!(coloured.contains(&"Red".to_string()), "{coloured:?}");
    let mut ui = UiState {
        no_color: true,
        ..UiState::new()
    };
    let (none, emphasis, plain) = colours(&snap, &mut ui);
    assert_eq!(none, Vec::<String>::new());
    assert!(emphasis, "bold and the selection's reverse stay");
    assert_eq!(plain, text);
    // The detail of the blocked flow, its verdicts red otherwise.
    key(&mut ui, &snap, KeyCode::Enter);
    assert!(ui.detail.is_some());
    assert_eq!(colours(&snap, &mut ui).0, Vec::<String>::new());
}
