//! The terminal UI: which Site Recovery endpoints work, live or from a saved
//! capture. Its data is the [`Snapshot`]s it is given (never the engine): the
//! requirement checklist, the flows table, the detail of a flow (its evidence
//! as a timeline, the verdict and the fix), the replication throughput and a
//! status bar. It reads the model, says it in [`crate::render`]'s words, and
//! its export key writes the flows with the CSV of `analyze --csv`
//! ([`CsvWriter`]); it never reads the clock (its exports are named by the
//! clock it is given).
//!
//! [`draw`] and [`handle_key`] are pure functions of the snapshot and the
//! [`UiState`] (the render tests use them with ratatui's `TestBackend`);
//! [`run`] drives them on the real terminal.

pub mod clipboard;
pub mod filter;
pub mod keys;
pub(crate) mod state;
pub mod views;

use crate::model::{JudgedFlow, Snapshot};
use crate::report::csv::CsvWriter;
use keys::Action;
use ratatui::Frame;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
pub use state::{Detail, Pane, SortKey, UiState};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};
use std::time::Duration;

/// What the caller of [`handle_key`] must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Leave the UI.
    Quit,
    /// The flows shown were written to this CSV file (already done; the
    /// status line says where).
    Export(PathBuf),
    /// A support bundle is asked for, to this zip file: the caller writes it
    /// (see [`run_with`]) and says how it went on the status line.
    Bundle(PathBuf),
    /// The selected fix's command is to go to the clipboard: the caller
    /// writes these bytes (an OSC 52 sequence, [`clipboard::osc52`]) to the
    /// terminal.
    Copy(Vec<u8>),
    /// The display was paused (`true`: keep showing the current snapshot) or
    /// resumed (`false`: show the latest one again).
    Pause(bool),
}

/// Where the panes go on a screen of a given size.
#[derive(Debug, Default, Clone, Copy)]
struct Areas {
    status: Rect,
    drops: Rect,
    checklist: Rect,
    sparkline: Rect,
    flows: Rect,
    overlay: Rect,
    footer: Rect,
}

fn take_top(r: &mut Rect, h: u16) -> Rect {
    let h = h.min(r.height);
    let top = Rect { height: h, ..*r };
    r.y += h;
    r.height -= h;
    top
}

fn take_bottom(r: &mut Rect, h: u16) -> Rect {
    let h = h.min(r.height);
    r.height -= h;
    Rect {
        y: r.y + r.height,
        height: h,
        ..*r
    }
}

/// The layout: full at 80x24 (status, checklist, sparkline, flows, footer),
/// then the sparkline goes, then the status bar shrinks to one line, then
/// only the focused pane stays.
fn layout(area: Rect, snap: &Snapshot, ui: &UiState) -> Areas {
    let mut a = Areas::default();
    let mut rest = area;
    if rest.height >= 2 {
        a.footer = take_bottom(&mut rest, 1);
    }
    if ui.help {
        a.overlay = rest;
        return a;
    }
    let drops = views::status::drops_text(snap).is_some();
    if rest.height >= 15 {
        a.status = take_top(&mut rest, 2);
    } else if rest.height >= 5 {
        a.status = take_top(&mut rest, 1);
    }
    if drops && rest.height >= 12 {
        a.drops = take_top(&mut rest, 1);
    }
    if ui.detail.is_some() {
        a.overlay = rest;
        return a;
    }
    let want_check = views::checklist::wanted_height(snap);
    if rest.height >= want_check + 8 {
        a.checklist = take_top(&mut rest, want_check);
        if rest.height >= 10 && rest.width >= 30 {
            a.sparkline = take_top(&mut rest, 3);
        }
        a.flows = rest;
    } else if rest.height >= 10 {
        // Both panes, the checklist scrolled to its selection.
        let ch = (rest.height / 2).min(want_check);
        a.checklist = take_top(&mut rest, ch);
        a.flows = rest;
    } else {
        match ui.focus {
            Pane::Checklist => a.checklist = rest,
            Pane::Flows => a.flows = rest,
        }
    }
    a
}

/// Draws the whole screen for a snapshot (pure: used by [`run`] and by the
/// render tests). Keeps the selection valid and visible.
pub fn draw(f: &mut Frame, snap: &Snapshot, ui: &mut UiState) {
    let area = f.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let a = layout(area, snap, ui);
    // Keep the selections valid and the selected flow in view.
    ui.checklist_sel = ui
        .checklist_sel
        .min(snap.diagnosis.requirements.len().saturating_sub(1));
    let visible = ui.visible_flows(snap);
    match ui.flow_index(&visible) {
        Some(i) => {
            ui.flow_sel = Some(visible[i].flow.id);
            let rows = views::flows::body_rows(a.flows.height).max(1);
            if a.flows.height > 0 {
                ui.flow_page = rows;
            }
            if i < ui.flow_offset {
                ui.flow_offset = i;
            } else if i >= ui.flow_offset + rows {
                ui.flow_offset = i + 1 - rows;
            }
            ui.flow_offset = ui.flow_offset.min(visible.len().saturating_sub(rows));
        }
        None => ui.flow_offset = 0,
    }
    if ui.detail.is_some() && !ui.help {
        let body_h = a.overlay.height.saturating_sub(1) as usize;
        let total = views::detail::rows(snap, ui, a.overlay.width as usize).len();
        ui.detail_page = body_h.max(1);
        ui.detail_scroll = ui.detail_scroll.min(total.saturating_sub(body_h));
    }
    if ui.help {
        let body_h = a.overlay.height.saturating_sub(1) as usize;
        let total = views::help::lines(ui.ascii).len();
        ui.help_scroll = ui.help_scroll.min(total.saturating_sub(body_h));
    }
    let ui = &*ui;
    views::status::draw(f, a.status, snap, ui);
    views::status::draw_drops(f, a.drops, snap);
    if ui.help {
        views::help::draw(f, a.overlay, snap, ui);
    } else if ui.detail.is_some() {
        views::detail::draw(f, a.overlay, snap, ui);
    } else {
        views::checklist::draw(f, a.checklist, snap, ui);
        views::sparkline::draw(f, a.sparkline, snap, ui);
        views::flows::draw(f, a.flows, snap, ui);
    }
    views::status::draw_footer(f, a.footer, Some(snap), ui);
    if ui.ascii {
        views::asciify(f.buffer_mut());
    }
    if ui.no_color {
        views::decolour(f.buffer_mut());
    }
}

/// Writes `flows` as CSV to `path`, a new file: an existing file of that
/// name (an export of the same second, a capture) is never written over. A
/// file that cannot be completed is removed.
fn write_csv(path: &Path, flows: &[&JudgedFlow]) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    let written = (|| {
        let mut w = CsvWriter::new(std::io::BufWriter::new(file)).map_err(std::io::Error::other)?;
        for j in flows {
            w.write(&j.flow, &j.verdict)
                .map_err(std::io::Error::other)?;
        }
        w.flush()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(path);
    }
    written
}

/// `e`: asks which export.
fn export_choice(ui: &mut UiState) -> Option<Effect> {
    ui.export_choice = true;
    ui.status = Some(
        "export: c the flows shown to a CSV file · b a support bundle (zip) · Esc cancel".into(),
    );
    None
}

/// The key after `e`: `c` the CSV, `b` the bundle, anything else cancels.
fn export_choice_key(ui: &mut UiState, key: KeyEvent, snap: &Snapshot) -> Option<Effect> {
    ui.export_choice = false;
    if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
        return Some(Effect::Quit);
    }
    match key.code {
        KeyCode::Char('c') => export(ui, snap),
        KeyCode::Char('b') => {
            let wanted = ui
                .bundle_path
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("asrscope-bundle-{}.zip", (ui.clock)())));
            let Some(path) = unused_name(&wanted) else {
                ui.status = Some(format!(
                    "{} and the names after it exist: nothing was written",
                    wanted.display()
                ));
                return None;
            };
            ui.status = Some(format!("writing the support bundle to {}…", path.display()));
            Some(Effect::Bundle(path))
        }
        _ => {
            ui.status = Some("export cancelled".into());
            None
        }
    }
}

/// `path`, or when a file has that name `name-2.zip`, `name-3.zip`… (the
/// first free one, up to 99): a bundle is never written over a file.
fn unused_name(path: &Path) -> Option<PathBuf> {
    if !path.exists() {
        return Some(path.to_path_buf());
    }
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (2..100)
        .map(|n| path.with_file_name(format!("{stem}-{n}{ext}")))
        .find(|p| !p.exists())
}

fn export(ui: &mut UiState, snap: &Snapshot) -> Option<Effect> {
    let flows = ui.visible_flows(snap);
    let path = ui
        .export_path
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("asrscope-export-{}.csv", (ui.clock)())));
    match write_csv(&path, &flows) {
        Ok(()) => {
            ui.status = Some(format!(
                "exported {} flows to {}",
                flows.len(),
                path.display()
            ));
            Some(Effect::Export(path))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            ui.status = Some(format!(
                "{} already exists: nothing was written (export again for a new name)",
                path.display()
            ));
            None
        }
        Err(e) => {
            ui.status = Some(format!("export to {} failed: {e}", path.display()));
            None
        }
    }
}

/// Moves a selection of `len` rows by `delta` (clamped); `None` with no rows.
fn moved(cur: usize, len: usize, delta: isize) -> Option<usize> {
    if len == 0 {
        return None;
    }
    let cur = cur.min(len - 1) as isize;
    Some((cur + delta).clamp(0, len as isize - 1) as usize)
}

fn delta(action: Action, page: usize) -> Option<isize> {
    let page = page.max(1) as isize;
    match action {
        Action::Up => Some(-1),
        Action::Down => Some(1),
        Action::PageUp => Some(-page),
        Action::PageDown => Some(page),
        Action::Home => Some(isize::MIN / 2),
        Action::End => Some(isize::MAX / 2),
        _ => None,
    }
}

fn scroll(pos: &mut usize, d: isize) {
    *pos = (*pos as isize).saturating_add(d).clamp(0, isize::MAX / 4) as usize;
}

/// Applies one key to the UI state; returns what the caller must do (quit,
/// the CSV written by `e`, pause toggled).
pub fn handle_key(ui: &mut UiState, key: KeyEvent, snap: &Snapshot) -> Option<Effect> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if ui.filter_editing {
        return filter_key(ui, key);
    }
    if ui.export_choice {
        return export_choice_key(ui, key, snap);
    }
    if ui.confirm_quit {
        return confirm_quit_key(ui, key);
    }
    let action = keys::action_for(&key)?;
    ui.status = None;
    if ui.help {
        help_key(ui, action)
    } else if ui.detail.is_some() {
        detail_key(ui, action, snap)
    } else {
        main_key(ui, action, snap)
    }
}

/// A key while the filter is typed: edit it, keep it (Enter) or clear it (Esc).
fn filter_key(ui: &mut UiState, key: KeyEvent) -> Option<Effect> {
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        _ if ctrl_c => return Some(Effect::Quit),
        KeyCode::Enter => {
            ui.filter_editing = false;
            ui.status = filter::parse(&ui.filter).unknown_text();
        }
        KeyCode::Esc => {
            ui.filter.clear();
            ui.filter_editing = false;
        }
        KeyCode::Backspace => {
            ui.filter.pop();
        }
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
                && !c.is_control()
                && ui.filter.chars().count() < 200 =>
        {
            ui.filter.push(c)
        }
        _ => {}
    }
    ui.flow_offset = 0;
    None
}

/// An action on the help screen: close it, or scroll.
fn help_key(ui: &mut UiState, action: Action) -> Option<Effect> {
    match action {
        Action::Quit => return Some(Effect::Quit),
        Action::Help | Action::Back | Action::Open => ui.help = false,
        a => {
            if let Some(d) = delta(a, 10) {
                scroll(&mut ui.help_scroll, d)
            }
        }
    }
    None
}

/// An action on the detail screen: close it, open the help, export, pause,
/// or scroll.
fn detail_key(ui: &mut UiState, action: Action, snap: &Snapshot) -> Option<Effect> {
    match action {
        Action::Quit => return Some(Effect::Quit),
        Action::Back | Action::Open => {
            ui.detail = None;
            ui.detail_scroll = 0;
        }
        Action::Help => open_help(ui),
        Action::Export => return export_choice(ui),
        Action::Pause => return pause(ui, snap),
        Action::Copy => return copy(ui, snap),
        a => {
            if let Some(d) = delta(a, ui.detail_page) {
                scroll(&mut ui.detail_scroll, d)
            }
        }
    }
    None
}

/// An action on the main screen (checklist and flows).
fn main_key(ui: &mut UiState, action: Action, snap: &Snapshot) -> Option<Effect> {
    match action {
        Action::Quit => return Some(Effect::Quit),
        Action::Back => {
            if ui.filter.is_empty() {
                return ask_quit(ui, snap);
            }
            ui.filter.clear();
            ui.flow_offset = 0;
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Home
        | Action::End => move_selection(ui, action, snap),
        Action::Open => open_detail(ui, snap),
        Action::NextPane => {
            ui.focus = match ui.focus {
                Pane::Checklist => Pane::Flows,
                Pane::Flows => Pane::Checklist,
            }
        }
        Action::Filter => {
            ui.focus = Pane::Flows;
            ui.filter_editing = true;
        }
        Action::Sort => {
            ui.sort = ui.sort.next();
            ui.sort_reversed = false;
            sorted(ui);
        }
        Action::Reverse => {
            ui.sort_reversed = !ui.sort_reversed;
            sorted(ui);
        }
        Action::Copy => return copy(ui, snap),
        Action::ToggleAsr => toggle_asr(ui),
        Action::Export => return export_choice(ui),
        Action::Pause => return pause(ui, snap),
        Action::Help => open_help(ui),
    }
    None
}

/// Says the order of the flows after `s` or `S`.
fn sorted(ui: &mut UiState) {
    ui.flow_offset = 0;
    ui.status = Some(format!(
        "flows sorted by {} {} (s: next column, S: reverse)",
        ui.sort.label(),
        ui.sort_arrow()
    ));
}

/// Esc on the main screen: a saved capture is left at once; a live one
/// asks first (`q` and Ctrl-C still quit at once).
fn ask_quit(ui: &mut UiState, snap: &Snapshot) -> Option<Effect> {
    if !snap.live {
        return Some(Effect::Quit);
    }
    ui.confirm_quit = true;
    ui.status = Some("Quit live capture? y/n".into());
    None
}

/// The key after [`ask_quit`]: `y` quits, any other stays.
fn confirm_quit_key(ui: &mut UiState, key: KeyEvent) -> Option<Effect> {
    ui.confirm_quit = false;
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl_c || matches!(key.code, KeyCode::Char('y' | 'Y')) {
        return Some(Effect::Quit);
    }
    ui.status = Some("still capturing".into());
    None
}

/// `c`: the first `az` command of the selected flow's or requirement's
/// fixes, to the clipboard; the status line says which.
fn copy(ui: &mut UiState, snap: &Snapshot) -> Option<Effect> {
    let commands = clipboard::selected_commands(snap, ui);
    let Some(first) = commands.first() else {
        ui.status = Some("no az command to copy: the selection has no fix with one".into());
        return None;
    };
    let more = match commands.len() {
        1 => String::new(),
        n => format!(" (1 of {n} commands: the detail lists them all)"),
    };
    let shown: String = first.chars().filter(|c| !c.is_control()).collect();
    ui.status = Some(format!("copied: {shown}{more}"));
    Some(Effect::Copy(clipboard::osc52(first)))
}

/// Moves the selection of the focused pane by a row, a page, or to an end.
fn move_selection(ui: &mut UiState, action: Action, snap: &Snapshot) {
    match ui.focus {
        Pane::Checklist => {
            let d = delta(action, snap.diagnosis.requirements.len()).unwrap_or(0);
            if let Some(i) = moved(ui.checklist_sel, snap.diagnosis.requirements.len(), d) {
                ui.checklist_sel = i;
            }
        }
        Pane::Flows => {
            let visible = ui.visible_flows(snap);
            let d = delta(action, ui.flow_page).unwrap_or(0);
            let cur = ui.flow_index(&visible).unwrap_or(0);
            if let Some(i) = moved(cur, visible.len(), d) {
                ui.flow_sel = Some(visible[i].flow.id);
            }
        }
    }
}

/// Opens the detail of the selected flow or requirement (of the focused pane).
fn open_detail(ui: &mut UiState, snap: &Snapshot) {
    match ui.focus {
        Pane::Flows => {
            if let Some(j) = ui.selected_flow(snap) {
                ui.flow_sel = Some(j.flow.id);
                ui.detail = Some(Detail::Flow(j.flow.id));
                ui.detail_scroll = 0;
            }
        }
        Pane::Checklist => {
            if ui.checklist_sel < snap.diagnosis.requirements.len() {
                ui.detail = Some(Detail::Requirement(ui.checklist_sel));
                ui.detail_scroll = 0;
            }
        }
    }
}

fn open_help(ui: &mut UiState) {
    ui.help = true;
    ui.help_scroll = 0;
}

/// Site Recovery flows only, or all traffic.
fn toggle_asr(ui: &mut UiState) {
    ui.asr_only = !ui.asr_only;
    ui.flow_offset = 0;
    ui.status = Some(
        if ui.asr_only {
            "showing Site Recovery flows only"
        } else {
            "showing all traffic"
        }
        .into(),
    );
}

fn pause(ui: &mut UiState, snap: &Snapshot) -> Option<Effect> {
    if !snap.live && !ui.paused {
        ui.status = Some("nothing to pause: this is a saved capture".into());
        return None;
    }
    ui.paused = !ui.paused;
    ui.status = Some(
        if ui.paused {
            "paused: the display is frozen (p resumes)"
        } else {
            "resumed"
        }
        .into(),
    );
    Some(Effect::Pause(ui.paused))
}

/// True when `NO_COLOR` asks for no colour: set and not empty (no-color.org).
fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// True when the locale says the terminal speaks UTF-8.
fn utf8_locale() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.contains("utf-8") || v.contains("utf8")
        })
}

/// The screen shown before the first snapshot arrives.
fn draw_waiting(f: &mut Frame, live: bool) {
    let area = f.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let text = if live {
        "asrscope: waiting for the capture to start… (q quits)"
    } else {
        "asrscope: analysing the capture… (q quits)"
    };
    f.render_widget(
        Paragraph::new(Line::styled(text, Style::new().fg(Color::DarkGray))),
        area,
    );
}

/// Redraw period when nothing happens.
const TICK: Duration = Duration::from_millis(250);

/// Runs the UI on the real terminal until the user quits. Snapshots arrive on
/// `rx` (the latest one wins; when `live` is false a single snapshot is
/// enough). Restores the terminal on exit and on panic (panic hook), handles
/// resizes, redraws about four times a second and never blocks the sender
/// (the channel is drained without waiting).
///
/// `clock` is the wall clock in seconds since the Unix epoch, which names
/// the exports ([`UiState::clock`]): the UI never reads the clock itself.
///
/// Returns an error when the terminal cannot be set up, or when `rx` is
/// closed before any snapshot arrived.
pub fn run(rx: Receiver<Arc<Snapshot>>, live: bool, clock: fn() -> u64) -> std::io::Result<()> {
    run_until(rx, live, &std::sync::atomic::AtomicBool::new(false), clock)
}

/// Writes a support bundle to a path (the export key's `b`); returns the
/// line for the status bar.
pub type Bundler<'a> = &'a dyn Fn(&Path) -> String;

/// As [`run`], and also returns as soon as `quit` is set (SIGTERM or SIGINT
/// delivered to the process while the UI runs).
pub fn run_until(
    rx: Receiver<Arc<Snapshot>>,
    live: bool,
    quit: &std::sync::atomic::AtomicBool,
    clock: fn() -> u64,
) -> std::io::Result<()> {
    run_with(rx, live, quit, None, clock)
}

/// As [`run_until`], with what writes a support bundle when one is asked
/// for (without it, the status bar says none can be written here).
pub fn run_with(
    rx: Receiver<Arc<Snapshot>>,
    live: bool,
    quit: &std::sync::atomic::AtomicBool,
    bundler: Option<Bundler<'_>>,
    clock: fn() -> u64,
) -> std::io::Result<()> {
    let mut terminal = match ratatui::try_init() {
        Ok(t) => t,
        Err(e) => {
            ratatui::restore();
            return Err(e);
        }
    };
    let ui = UiState {
        ascii: !utf8_locale(),
        no_color: no_color_env(),
        clock,
        ..UiState::default()
    };
    let result = event_loop(&mut terminal, &rx, live, quit, bundler, ui);
    let restored = ratatui::try_restore();
    result.and(restored)
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    rx: &Receiver<Arc<Snapshot>>,
    live: bool,
    quit: &std::sync::atomic::AtomicBool,
    bundler: Option<Bundler<'_>>,
    mut ui: UiState,
) -> std::io::Result<()> {
    let mut latest: Option<Arc<Snapshot>> = None;
    let mut shown: Option<Arc<Snapshot>> = None;
    let mut closed = false;
    loop {
        if quit.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(());
        }
        // Drain the channel: the latest snapshot wins.
        while !closed {
            match rx.try_recv() {
                Ok(s) => latest = Some(s),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => {
                    closed = true;
                    if live && latest.is_some() {
                        ui.status =
                            Some("the live capture ended: showing its last snapshot".into());
                    }
                }
            }
        }
        if !ui.paused || shown.is_none() {
            shown.clone_from(&latest);
        }
        if closed && shown.is_none() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "no snapshot to show: the analysis ended without one",
            ));
        }
        terminal.draw(|f| match &shown {
            Some(s) => draw(f, s, &mut ui),
            None => {
                draw_waiting(f, live);
                if ui.no_color {
                    views::decolour(f.buffer_mut());
                }
            }
        })?;
        if !event::poll(TICK)? {
            continue;
        }
        // Handle every pending event before drawing again.
        loop {
            match event::read()? {
                Event::Key(k) if k.kind != KeyEventKind::Release => match &shown {
                    Some(s) => match handle_key(&mut ui, k, s) {
                        Some(Effect::Quit) => return Ok(()),
                        Some(Effect::Pause(false)) => shown.clone_from(&latest),
                        Some(Effect::Copy(seq)) => {
                            use std::io::Write as _;
                            let mut out = std::io::stdout();
                            out.write_all(&seq)?;
                            out.flush()?;
                        }
                        Some(Effect::Bundle(path)) => {
                            // Say what is happening, then do it (seconds).
                            terminal.draw(|f| draw(f, s, &mut ui))?;
                            ui.status = Some(match bundler {
                                Some(b) => b(&path),
                                None => "no support bundle can be written from here".into(),
                            });
                        }
                        _ => {}
                    },
                    None => {
                        let quit = matches!(k.code, KeyCode::Char('q') | KeyCode::Esc)
                            || (k.code == KeyCode::Char('c')
                                && k.modifiers.contains(KeyModifiers::CONTROL));
                        if quit {
                            return Ok(());
                        }
                    }
                },
                // A resize is redrawn at the new size by the next draw.
                _ => {}
            }
            if !event::poll(Duration::ZERO)? {
                break;
            }
        }
    }
}
