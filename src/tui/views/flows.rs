//! The flows table: time, server, name, verdict, service tag and bytes sent,
//! in the order, filter and scope (Site Recovery only or all) of the UI state.

use super::{
    Col, Glyphs, below_title, clean, fit_columns, glyphs, header_row, hms, human_bytes, table_row,
    title_line_with, verdict_mark, width,
};
use crate::model::EndpointBy;
use crate::model::{JudgedFlow, Snapshot};
use crate::tui::state::{Pane, SortKey, UiState};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

/// Rows of the table body in a pane of `height` rows (title and header off).
pub(crate) fn body_rows(height: u16) -> usize {
    match height {
        0 | 1 => 0,
        2 => 1,
        h => h as usize - 2,
    }
}

/// The pane's title: counts, scope, order, filter.
fn title(shown: usize, snap: &Snapshot, ui: &UiState) -> String {
    let mut t = format!(
        "Flows: {shown} of {} · {} · sort {}",
        snap.flows.len(),
        if ui.asr_only {
            "ASR only"
        } else {
            "all traffic"
        },
        ui.sort.label()
    );
    t.push(' ');
    t.push_str(ui.sort_arrow());
    if !ui.filter.is_empty() {
        t.push_str(&format!(" · filter \"{}\"", clean(&ui.filter)));
    }
    t
}

/// What the table shows when no flow is to be shown.
fn empty_text(snap: &Snapshot, ui: &UiState) -> &'static str {
    if !ui.filter.is_empty() {
        "no flow matches the filter (Esc clears it)"
    } else if ui.asr_only && !snap.flows.is_empty() {
        "no Site Recovery flow yet (a: show all traffic)"
    } else {
        "no flow yet"
    }
}

/// The cells of one flow's row.
struct Cells {
    time: String,
    server: String,
    name: String,
    verdict: (String, Style),
    tag: String,
    bytes: String,
}

impl Cells {
    fn of(j: &JudgedFlow, g: &Glyphs) -> Cells {
        Cells {
            time: hms(j.flow.first_seen),
            server: if j.flow.dst_port == 443 {
                j.flow.dst_ip.to_string()
            } else {
                std::net::SocketAddr::new(j.flow.dst_ip, j.flow.dst_port).to_string()
            },
            name: match (j.flow.name(), &j.verdict.endpoint) {
                (Some(n), _) => clean(n),
                // No name: say the endpoint was found by address.
                (None, Some(e)) if e.by == EndpointBy::Address => {
                    format!("by address: {}", e.pattern)
                }
                (None, _) => "-".to_string(),
            },
            verdict: verdict_mark(j.verdict.verdict, g),
            tag: clean(
                j.verdict
                    .service_tag
                    .as_ref()
                    .map(crate::model::TagName::as_str)
                    .or(j.verdict.platform)
                    .or(j.verdict.ca_service.map(crate::render::ca_service))
                    .unwrap_or("-"),
            ),
            bytes: human_bytes(j.flow.out.bytes),
        }
    }

    fn row(self) -> Vec<(String, Style)> {
        let plain = Style::new();
        vec![
            (self.time, plain),
            (self.server, plain),
            (self.name, plain),
            self.verdict,
            (self.tag, plain),
            (self.bytes, plain),
        ]
    }
}

/// The columns, sized for the rows shown and their `names`: the verdict
/// gets its whole width first (`✗ proxy-auth` is never cut), then the name;
/// the time is dropped first, then the bytes, the server and the tag shrink.
fn columns(cells: &[Cells], names: &[String; 6]) -> [Col; 6] {
    let nat = |h: &String, get: &dyn Fn(&Cells) -> usize| {
        cells.iter().map(get).fold(width(h), usize::max)
    };
    let name_nat = nat(&names[2], &|c| width(&c.name));
    [
        Col::fixed(8.max(width(&names[0])), 5),
        Col::new(12, 15, nat(&names[1], &|c| width(&c.server)), 4),
        Col::new(12, name_nat.min(34), name_nat, 1).keep(),
        Col::fixed(nat(&names[3], &|c| width(&c.verdict.0)), 0).keep(),
        Col::new(8, 14, nat(&names[4], &|c| width(&c.tag)), 2),
        Col::fixed(nat(&names[5], &|c| width(&c.bytes)), 3).right(),
    ]
}

/// The column names, the sorted one with its arrow (`verdict ▼`).
fn column_names(ui: &UiState) -> [String; 6] {
    let mut names = ["time", "server", "name", "verdict", "service tag", "out"].map(String::from);
    let sorted = match ui.sort {
        SortKey::Time => 0,
        SortKey::Name => 2,
        SortKey::Verdict => 3,
        SortKey::Bytes => 5,
    };
    names[sorted] = format!("{} {}", names[sorted], ui.sort_arrow());
    names
}

/// `↑ rows 13-30 of 60 ↓` when rows are out of view (an arrow on the side
/// where they are); nothing when all are shown.
pub(crate) fn position_text(offset: usize, shown: usize, total: usize) -> Option<String> {
    if shown >= total {
        return None;
    }
    let up = if offset > 0 { "↑ " } else { "" };
    let down = if offset + shown < total { " ↓" } else { "" };
    Some(format!(
        "{up}rows {}-{} of {total}{down}",
        offset + 1,
        offset + shown
    ))
}

/// Draws the flows table.
pub(crate) fn draw(f: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let g = glyphs(ui.ascii);
    let flows = ui.visible_flows(snap);
    let focused = ui.focus == Pane::Flows;
    let body = below_title(area);
    let offset = ui.flow_offset.min(flows.len().saturating_sub(1));
    let fit = body_rows(area.height).min(flows.len().saturating_sub(offset));
    let position = position_text(offset, fit, flows.len());
    title_line_with(
        f,
        area,
        &title(flows.len(), snap, ui),
        position.as_deref(),
        focused,
        g,
    );
    if body.height == 0 {
        return;
    }
    if flows.is_empty() {
        let why = Line::styled(empty_text(snap, ui), Style::new().fg(Color::DarkGray));
        f.render_widget(Paragraph::new(why), body);
        return;
    }
    let cells: Vec<Cells> = flows
        .iter()
        .skip(offset)
        .take(body_rows(area.height))
        .map(|j| Cells::of(j, g))
        .collect();
    let names = column_names(ui);
    let cols = columns(&cells, &names);
    let widths = fit_columns(body.width as usize, &cols);
    let mut lines = Vec::new();
    if body.height >= 2 {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        lines.push(header_row(&widths, &cols, &names, g));
    }
    let sel = ui.flow_index(&flows).unwrap_or(0);
    let sel_style = if focused {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new().add_modifier(Modifier::UNDERLINED)
    };
    for (k, c) in cells.into_iter().enumerate() {
        let line = table_row(&widths, &cols, c.row(), g);
        lines.push(if offset + k == sel {
            line.style(sel_style)
        } else {
            line
        });
    }
    f.render_widget(Paragraph::new(lines), body);
}
