//! What the terminal UI remembers between frames: which pane has the focus,
//! the selections, the sort order, the filter, the toggles and the status
//! message. Plain data; [`crate::tui::handle_key`] changes it and
//! [`crate::tui::draw`] reads it.

use crate::model::{JudgedFlow, Snapshot};
use std::path::PathBuf;

/// The pane that has the focus on the main screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    /// The requirement checklist.
    Checklist,
    /// The flows table.
    #[default]
    Flows,
}

/// The order of the flows table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Worst verdict first, then oldest first.
    #[default]
    Verdict,
    /// Most bytes sent by the client first.
    Bytes,
    /// By name, A to Z (flows without a name last).
    Name,
    /// Oldest first.
    Time,
}

impl SortKey {
    /// The next order (`s` cycles through them).
    pub fn next(self) -> SortKey {
        match self {
            SortKey::Verdict => SortKey::Bytes,
            SortKey::Bytes => SortKey::Name,
            SortKey::Name => SortKey::Time,
            SortKey::Time => SortKey::Verdict,
        }
    }

    /// True when the order, unreversed, puts the greatest first (worst
    /// verdict, most bytes); name and time go A to Z, oldest first.
    pub fn descending(self) -> bool {
        matches!(self, SortKey::Verdict | SortKey::Bytes)
    }

    /// How the order is shown.
    pub fn label(self) -> &'static str {
        match self {
            SortKey::Verdict => "verdict",
            SortKey::Bytes => "bytes",
            SortKey::Name => "name",
            SortKey::Time => "time",
        }
    }
}

/// What the detail screen shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// A flow, by its id (it stays on that flow when the list reorders).
    Flow(u64),
    /// A requirement, by its index in `diagnosis.requirements`.
    Requirement(usize),
}

/// The UI state.
#[derive(Debug, Clone)]
pub struct UiState {
    /// The pane that has the focus.
    pub focus: Pane,
    /// Selected row of the checklist.
    pub checklist_sel: usize,
    /// Id of the selected flow (kept across live updates and re-sorting).
    pub flow_sel: Option<u64>,
    /// First flow row shown (scrolling), set while drawing.
    pub flow_offset: usize,
    /// Flow rows that fitted in the last frame (page size), set while drawing.
    pub flow_page: usize,
    /// Order of the flows table.
    pub sort: SortKey,
    /// The order is reversed (`S`).
    pub sort_reversed: bool,
    /// Filter text: words, each plain text or `field:value`, `!` to negate
    /// (see [`crate::tui::filter`]).
    pub filter: String,
    /// True while the filter is being typed.
    pub filter_editing: bool,
    /// Show only Site Recovery flows (those that matched an endpoint).
    pub asr_only: bool,
    /// Live capture: the displayed snapshot is frozen.
    pub paused: bool,
    /// The `?` screen is shown.
    pub help: bool,
    /// First line of the help screen shown.
    pub help_scroll: usize,
    /// The detail screen, when open.
    pub detail: Option<Detail>,
    /// First line of the detail screen shown.
    pub detail_scroll: usize,
    /// Detail lines that fitted in the last frame (page size), set while drawing.
    pub detail_page: usize,
    /// One-line message for the status line (export result, hints).
    pub status: Option<String>,
    /// Where `e` writes the CSV; `None`: `asrscope-export-<unix-seconds>.csv`
    /// in the current directory, the seconds from [`UiState::clock`].
    pub export_path: Option<PathBuf>,
    /// `e` was pressed: the next key chooses the CSV (`c`) or the support
    /// bundle (`b`).
    pub export_choice: bool,
    /// Where `e` `b` writes the support bundle; `None`:
    /// `asrscope-bundle-<unix-seconds>.zip` in the current directory.
    pub bundle_path: Option<PathBuf>,
    /// The wall clock, seconds since the Unix epoch, that names the exports
    /// of `None` paths: the UI never reads the clock itself, the caller of
    /// [`crate::tui::run`] gives it one. By default a clock stopped at 0.
    pub clock: fn() -> u64,
    /// Esc was pressed in a live capture: `y` quits, any other key stays.
    pub confirm_quit: bool,
    /// Draw ASCII symbols instead of ✓ and ✗ (terminals without UTF-8).
    pub ascii: bool,
    /// Draw without colours (`NO_COLOR` set and not empty): bold, reverse
    /// and the symbols still tell what colour did.
    pub no_color: bool,
}

impl Default for UiState {
    fn default() -> Self {
        UiState {
            focus: Pane::Flows,
            checklist_sel: 0,
            flow_sel: None,
            flow_offset: 0,
            flow_page: 10,
            sort: SortKey::Verdict,
            sort_reversed: false,
            filter: String::new(),
            filter_editing: false,
            asr_only: true,
            paused: false,
            help: false,
            help_scroll: 0,
            detail: None,
            detail_scroll: 0,
            detail_page: 10,
            status: None,
            export_path: None,
            export_choice: false,
            bundle_path: None,
            clock: || 0,
            confirm_quit: false,
            ascii: false,
            no_color: false,
        }
    }
}

impl UiState {
    /// A fresh state: flows pane focused, ASR traffic only, worst first.
    pub fn new() -> UiState {
        UiState::default()
    }

    /// The flows the table shows, in its order: ASR-only toggle, then the
    /// filter, then the sort.
    pub fn visible_flows<'a>(&self, snap: &'a Snapshot) -> Vec<&'a JudgedFlow> {
        let filter = crate::tui::filter::parse(&self.filter);
        let mut v: Vec<&JudgedFlow> = snap
            .flows
            .iter()
            .filter(|j| !self.asr_only || j.verdict.endpoint.is_some())
            .filter(|j| filter.matches(j))
            .collect();
        let time = |j: &JudgedFlow| (j.flow.first_seen, j.flow.id);
        match self.sort {
            SortKey::Verdict => v.sort_by(|a, b| {
                b.verdict
                    .verdict
                    .cmp(&a.verdict.verdict)
                    .then(time(a).cmp(&time(b)))
            }),
            SortKey::Bytes => v.sort_by(|a, b| {
                b.flow
                    .out
                    .bytes
                    .cmp(&a.flow.out.bytes)
                    .then(time(a).cmp(&time(b)))
            }),
            SortKey::Name => v.sort_by(|a, b| {
                let key = |j: &JudgedFlow| j.flow.name().map(|n| n.to_lowercase());
                match (key(a), key(b)) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then(time(a).cmp(&time(b)))
            }),
            SortKey::Time => v.sort_by_key(|j| time(j)),
        }
        if self.sort_reversed {
            v.reverse();
        }
        v
    }

    /// The arrow of the order as shown: `▼` greatest first, `▲` least first.
    pub fn sort_arrow(&self) -> &'static str {
        if self.sort.descending() != self.sort_reversed {
            "▼"
        } else {
            "▲"
        }
    }

    /// Index of the selected flow in `visible` (the first row when the
    /// selected flow is not there any more); `None` when the list is empty.
    pub fn flow_index(&self, visible: &[&JudgedFlow]) -> Option<usize> {
        if visible.is_empty() {
            return None;
        }
        Some(
            self.flow_sel
                .and_then(|id| visible.iter().position(|j| j.flow.id == id))
                .unwrap_or(0),
        )
    }

    /// The selected flow of the table, if any.
    pub fn selected_flow<'a>(&self, snap: &'a Snapshot) -> Option<&'a JudgedFlow> {
        let v = self.visible_flows(snap);
        self.flow_index(&v).map(|i| v[i])
    }
}
