//! The detail screen: the detail of one flow ([`flow_lines`]) or of one
//! requirement ([`requirement_lines`]), as logical lines wrapped to the
//! screen's width and scrolled. The row builders both use (timeline events,
//! `label  text` fields, headings, findings) are in `parts.rs`.

mod flow;
mod parts;
mod requirement;

pub use flow::{dns_for, flow_lines};
pub use requirement::requirement_lines;

use super::{below_title, clean, glyphs, title_line, wrap};
use crate::model::{EndpointId, Snapshot};
use crate::tui::state::{Detail, UiState};
use parts::{LABEL_W, TIME_W};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

/// The detail's title.
pub fn title(snap: &Snapshot, ui: &UiState) -> String {
    match ui.detail {
        Some(Detail::Flow(id)) => match snap.flows.iter().find(|j| j.flow.id == id) {
            Some(j) => format!(
                "Flow #{id}: {} (Esc back)",
                clean(j.flow.name().unwrap_or("unnamed"))
            ),
            None => format!("Flow #{id} (Esc back)"),
        },
        Some(Detail::Requirement(i)) => match snap.diagnosis.requirements.get(i) {
            Some(r) => format!("Requirement {} (Esc back)", clean(r.endpoint)),
            None => "Requirement (Esc back)".into(),
        },
        None => String::new(),
    }
}

/// The `az` commands of the fixes the detail shows, each whole, in the
/// order it shows them: the flow's endpoint's findings, or the
/// requirement's (empty when the detail shows none).
pub fn commands(snap: &Snapshot, ui: &UiState) -> Vec<String> {
    let endpoint = match ui.detail {
        Some(Detail::Flow(id)) => snap
            .flows
            .iter()
            .find(|j| j.flow.id == id)
            .and_then(|j| j.verdict.endpoint_id()),
        Some(Detail::Requirement(i)) => snap.diagnosis.requirements.get(i).map(|r| r.id),
        None => None,
    };
    commands_for(snap, endpoint)
}

/// The `az` commands of the fixes for `endpoint`, each whole, as the
/// detail shows them (what the copy key puts on the clipboard).
pub fn commands_for(snap: &Snapshot, endpoint: Option<EndpointId>) -> Vec<String> {
    parts::commands_of(&parts::findings_for(snap, endpoint))
}

/// The detail's rows, wrapped to `width` columns.
pub fn rows(snap: &Snapshot, ui: &UiState, width: usize) -> Vec<Line<'static>> {
    let logical = match ui.detail {
        Some(Detail::Flow(id)) => match snap.flows.iter().find(|j| j.flow.id == id) {
            Some(j) => flow_lines(snap, j, ui.ascii),
            None => vec![Line::styled(
                "this flow is no longer in the snapshot (the live view keeps the most recent flows)",
                Style::new().fg(Color::Yellow),
            )],
        },
        Some(Detail::Requirement(i)) => requirement_lines(snap, i, ui.ascii),
        None => vec![],
    };
    logical
        .into_iter()
        .flat_map(|l| {
            // A command stays one row, whole.
            if l.spans
                .first()
                .is_some_and(|s| s.content.trim() == parts::COMMAND_LABEL)
            {
                return vec![l];
            }
            // Timeline rows continue under the text column, fields under theirs.
            let first = l.spans.first().map(|s| s.content.len()).unwrap_or(0);
            let indent = if first == TIME_W + 1 {
                TIME_W + LABEL_W + 2
            } else if first == LABEL_W + 1 {
                LABEL_W + 1
            } else {
                2
            };
            wrap(l, width, indent)
        })
        .collect()
}

/// Draws the detail screen, scrolled to `ui.detail_scroll`.
pub fn draw(f: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let g = glyphs(ui.ascii);
    title_line(f, area, &title(snap, ui), true, g);
    let body = below_title(area);
    if body.height == 0 {
        return;
    }
    let all = rows(snap, ui, body.width as usize);
    let max = all.len().saturating_sub(body.height as usize);
    let shown: Vec<Line<'static>> = all.into_iter().skip(ui.detail_scroll.min(max)).collect();
    f.render_widget(Paragraph::new(shown), body);
}
