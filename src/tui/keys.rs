//! The key table: every key the UI understands, what it does, and the line
//! the `?` screen shows for it. [`action_for`] reads the same table, so the
//! help can never disagree with the keys.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Move the selection (or scroll) up one row.
    Up,
    /// Move the selection (or scroll) down one row.
    Down,
    /// Up one page.
    PageUp,
    /// Down one page.
    PageDown,
    /// To the first row.
    Home,
    /// To the last row.
    End,
    /// Open the detail of the selected flow or requirement.
    Open,
    /// Give the focus to the other pane.
    NextPane,
    /// Start typing a filter.
    Filter,
    /// Cycle the sort order of the flows.
    Sort,
    /// Reverse the sort order of the flows.
    Reverse,
    /// Copy the `az` command of the selected fix to the clipboard (OSC 52).
    Copy,
    /// Toggle between Site Recovery flows only and every flow.
    ToggleAsr,
    /// Export: the flows shown to a CSV file, or a support bundle.
    Export,
    /// Freeze or unfreeze the display (live capture).
    Pause,
    /// Show or hide the help.
    Help,
    /// Close the detail, help or filter; quit from the main screen (a live
    /// capture asks first).
    Back,
    /// Quit.
    Quit,
}

/// One line of the key table.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// The keys (any of them), each with the modifiers that must be held
    /// (Ctrl, Alt; Shift is ignored).
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the keys are written on the help screen.
    pub label: &'static str,
    /// The action.
    pub action: Action,
    /// What the help screen says of it.
    pub help: &'static str,
}

const fn k(c: KeyCode) -> (KeyCode, KeyModifiers) {
    (c, KeyModifiers::NONE)
}

const fn ctrl(c: char) -> (KeyCode, KeyModifiers) {
    (KeyCode::Char(c), KeyModifiers::CONTROL)
}

/// Every key of the main, detail and help screens.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    Binding { keys: &[k(KeyCode::Up), k(KeyCode::Char('k'))], label: "↑ k", action: Action::Up, help: "move up (in detail and help: scroll)" },
    Binding { keys: &[k(KeyCode::Down), k(KeyCode::Char('j'))], label: "↓ j", action: Action::Down, help: "move down" },
    Binding { keys: &[k(KeyCode::PageUp)], label: "PgUp", action: Action::PageUp, help: "one page up" },
    Binding { keys: &[k(KeyCode::PageDown)], label: "PgDn", action: Action::PageDown, help: "one page down" },
    Binding { keys: &[k(KeyCode::Home), k(KeyCode::Char('g'))], label: "Home g", action: Action::Home, help: "first row" },
    Binding { keys: &[k(KeyCode::End), k(KeyCode::Char('G'))], label: "End G", action: Action::End, help: "last row" },
    Binding { keys: &[k(KeyCode::Enter)], label: "Enter", action: Action::Open, help: "detail of the flow or requirement: evidence, verdict, fix" },
    Binding { keys: &[k(KeyCode::Tab), k(KeyCode::BackTab)], label: "Tab", action: Action::NextPane, help: "switch pane: requirements / flows" },
    Binding { keys: &[k(KeyCode::Char('/'))], label: "/", action: Action::Filter, help: "filter flows: text, field:value (verdict:ok, host:…), ! negates" },
    Binding { keys: &[k(KeyCode::Char('s'))], label: "s", action: Action::Sort, help: "sort flows by the next column: verdict, bytes, name, time" },
    Binding { keys: &[k(KeyCode::Char('S'))], label: "S", action: Action::Reverse, help: "reverse the sort order (the header shows ▲ or ▼)" },
    Binding { keys: &[k(KeyCode::Char('c'))], label: "c", action: Action::Copy, help: "copy the selected fix's az command to the clipboard (OSC 52)" },
    Binding { keys: &[k(KeyCode::Char('a'))], label: "a", action: Action::ToggleAsr, help: "Site Recovery flows only / all traffic" },
    Binding { keys: &[k(KeyCode::Char('e'))], label: "e", action: Action::Export, help: "export: c the flows shown as CSV, b a support bundle (zip)" },
    Binding { keys: &[k(KeyCode::Char('p'))], label: "p", action: Action::Pause, help: "pause / resume the display (live capture)" },
    Binding { keys: &[k(KeyCode::Char('?')), k(KeyCode::F(1))], label: "? F1", action: Action::Help, help: "this help" },
    Binding { keys: &[k(KeyCode::Esc)], label: "Esc", action: Action::Back, help: "close detail, help or filter; else quit (live asks y/n)" },
    Binding { keys: &[k(KeyCode::Char('q')), ctrl('c')], label: "q Ctrl-C", action: Action::Quit, help: "quit at once (live: then prints the report)" },
];

/// Keys while a filter is typed (`/`), shown under the table on the help screen.
pub const FILTER_KEYS: &[(&str, &str)] = &[
    ("text", "typed characters narrow the flows as you type"),
    (
        "word",
        "plain text anywhere in the row; every word must match",
    ),
    (
        "field:value",
        "fields verdict: host: sni: ip: dst: port: tag: service: req:",
    ),
    ("!word", "negates: !verdict:ok, !azure"),
    ("Backspace", "delete the last character"),
    ("Enter", "keep the filter; Esc clears it"),
];

/// The action bound to a key on the main, detail and help screens.
pub fn action_for(key: &KeyEvent) -> Option<Action> {
    let held = key.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
    BINDINGS
        .iter()
        .find(|b| b.keys.contains(&(key.code, held)))
        .map(|b| b.action)
}
