//! The requirement checklist: one row per Site Recovery endpoint with its
//! status (symbol, word and colour), URL pattern, NSG tag, flow count and the
//! time its last flow was seen.

use super::{
    Col, below_title, clean, fit_columns, glyphs, header_row, hms, status_mark, table_row,
    title_line, width,
};
use crate::model::{Requirement, Snapshot, Status};
use crate::tui::state::{Pane, UiState};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::Paragraph;

/// Rows the checklist needs to show everything (title, header, requirements).
pub(crate) fn wanted_height(snap: &Snapshot) -> u16 {
    (snap.diagnosis.requirements.len() as u16).saturating_add(2)
}

/// The pane's title: how many requirements are met and how many fail.
fn title(reqs: &[Requirement]) -> String {
    let failing = reqs
        .iter()
        .filter(|r| !matches!(r.status, Status::Ok | Status::NotSeen))
        .count();
    let ok = reqs.iter().filter(|r| r.status == Status::Ok).count();
    format!("Requirements: {ok} ok, {failing} failing")
}

/// The columns, sized for their content: status and endpoint are kept
/// longest, the last-seen time is dropped first.
fn columns(reqs: &[Requirement], marks: &[(String, Style)], tags: &[String]) -> [Col; 5] {
    let max = |it: &mut dyn Iterator<Item = usize>, h: &str| it.fold(width(h), usize::max);
    [
        Col::new(
            2,
            10,
            max(&mut marks.iter().map(|m| width(&m.0)), "status"),
            0,
        )
        .keep(),
        Col::new(
            12,
            24,
            max(&mut reqs.iter().map(|r| width(r.endpoint)), "endpoint"),
            1,
        )
        .keep(),
        Col::new(
            10,
            18,
            max(&mut tags.iter().map(|t| width(t)), "NSG tag"),
            2,
        ),
        Col::fixed(5, 3).right(),
        Col::fixed(9, 4),
    ]
}

/// Draws the checklist.
pub(crate) fn draw(f: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let g = glyphs(ui.ascii);
    let reqs = &snap.diagnosis.requirements;
    let focused = ui.focus == Pane::Checklist;
    title_line(f, area, &title(reqs), focused, g);
    let body = below_title(area);
    if body.height == 0 {
        return;
    }
    let marks: Vec<(String, Style)> = reqs.iter().map(|r| status_mark(r.status, g)).collect();
    let tags: Vec<String> = reqs.iter().map(|r| clean(&r.tag.to_string())).collect();
    let cols = columns(reqs, &marks, &tags);
    let widths = fit_columns(body.width as usize, &cols);
    let mut lines = Vec::new();
    let mut rows_room = body.height as usize;
    if body.height >= 2 {
        let names = ["status", "endpoint", "NSG tag", "flows", "last seen"];
        lines.push(header_row(&widths, &cols, &names, g));
        rows_room -= 1;
    }
    let sel = ui.checklist_sel.min(reqs.len().saturating_sub(1));
    let offset = if rows_room == 0 {
        0
    } else {
        sel.saturating_sub(rows_room - 1)
    };
    for (i, r) in reqs.iter().enumerate().skip(offset).take(rows_room) {
        let dim = Style::new();
        let mut line = table_row(
            &widths,
            &cols,
            vec![
                marks[i].clone(),
                (clean(r.endpoint), dim),
                (tags[i].clone(), dim),
                (r.flows.to_string(), dim),
                (r.last_seen.map(hms).unwrap_or_else(|| "-".into()), dim),
            ],
            g,
        );
        if focused && i == sel {
            line = line.style(Style::new().add_modifier(Modifier::REVERSED));
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), body);
}
