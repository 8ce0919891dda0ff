//! The terminal UI in ratatui's `TestBackend`: a sample capture's snapshot
//! (analysed once per test binary), the screen drawn at a size, keys.

use asrscope::model::Snapshot;
use asrscope::tui::{self, Effect, UiState};
use clap::Parser;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The snapshot of a sample capture (analysed once per test binary).
pub fn snapshot(name: &str) -> Snapshot {
    snapshot_with(name, &[])
}

/// The snapshot of a sample capture analysed, East US to Central US, with
/// extra arguments (once per test binary).
pub fn snapshot_with(name: &str, extra: &[&str]) -> Snapshot {
    static CACHE: OnceLock<Mutex<HashMap<String, Snapshot>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = format!("{name} {}", extra.join(" "));
    if let Some(s) = cache.lock().unwrap().get(&key) {
        return s.clone();
    }
    let path = super::capture(name);
    let mut args = vec![
        "asrscope",
        "analyze",
        "--source-region",
        "eastus",
        "--target-region",
        "centralus",
    ];
    args.extend_from_slice(extra);
    args.push(&path);
    let cli = asrscope::cli::Cli::try_parse_from(args).unwrap();
    let asrscope::cli::Command::Analyze(args) = cli.command else {
        panic!("not analyze")
    };
    let o = asrscope::app::tui::analyse((&args).into()).unwrap();
    let snap = Snapshot::from_analysis(&o.analysis, path.clone());
    cache.lock().unwrap().insert(key, snap.clone());
    snap
}

/// Draws at `w`x`h` and returns the screen, one string per row.
pub fn render(snap: &Snapshot, ui: &mut UiState, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| tui::draw(f, snap, ui)).unwrap();
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

/// One key, without modifiers.
pub fn key(ui: &mut UiState, snap: &Snapshot, code: KeyCode) -> Option<Effect> {
    tui::handle_key(ui, KeyEvent::new(code, KeyModifiers::NONE), snap)
}

/// The first row holding `needle` (a panic showing the screen otherwise).
pub fn row_with<'a>(screen: &'a [String], needle: &str) -> &'a str {
    screen
        .iter()
        .find(|r| r.contains(needle))
        .unwrap_or_else(|| panic!("no row with {needle:?}:\n{}", screen.join("\n")))
}
