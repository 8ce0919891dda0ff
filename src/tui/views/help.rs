//! The `?` screen, generated from the key table ([`crate::tui::keys::BINDINGS`]).

use super::{below_title, glyphs, title_line, width};
use crate::model::Snapshot;
use crate::tui::keys::{BINDINGS, FILTER_KEYS};
use crate::tui::state::UiState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The help text, one line per key binding, then the filter keys and a legend.
pub(crate) fn lines(ascii: bool) -> Vec<Line<'static>> {
    let g = glyphs(ascii);
    let key_w = BINDINGS
        .iter()
        .map(|b| width(b.label))
        .chain(FILTER_KEYS.iter().map(|(k, _)| width(k)))
        .max()
        .unwrap_or(0);
    let key = Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD);
    let row = |k: &str, h: &str| {
        Line::from(vec![
            Span::raw(" "),
            Span::styled(format!("{k:<key_w$}"), key),
            Span::raw("  "),
            Span::raw(h.to_string()),
        ])
    };
    let mut out: Vec<Line<'static>> = BINDINGS.iter().map(|b| row(b.label, b.help)).collect();
    out.push(Line::styled(
        " While typing a filter (/):",
        Style::new().add_modifier(Modifier::BOLD),
    ));
    out.extend(FILTER_KEYS.iter().map(|(k, h)| row(k, h)));
    out.push(Line::from(format!(
        " Status: {} ok · ! throttled, outside-azure · {} blocked, intercepted, proxy-auth · ? not seen",
        g.ok, g.bad
    )));
    out
}

/// Draws the help screen over `area`.
pub(crate) fn draw(f: &mut Frame, area: Rect, _snap: &Snapshot, ui: &UiState) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let g = glyphs(ui.ascii);
    title_line(f, area, "Keys (Esc or ? closes)", true, g);
    let body = below_title(area);
    let all = lines(ui.ascii);
    let scroll = ui
        .help_scroll
        .min(all.len().saturating_sub(body.height as usize));
    let shown: Vec<Line<'static>> = all.into_iter().skip(scroll).collect();
    f.render_widget(Paragraph::new(shown), body);
}
