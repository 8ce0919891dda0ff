//! The detail screen: the detail of one flow ([`flow_lines`]) or of one
//! requirement ([`requirement_lines`]), as logical lines wrapped to the
//! screen's width and scrolled. The row builders both use (timeline events,
//! `label  text` fields, headings, findings) are here.

mod flow;
mod requirement;

pub use flow::{dns_for, flow_lines};
pub use requirement::requirement_lines;

use super::{below_title, clean, glyphs, hms_ms, title_line, wrap};
use crate::model::{EndpointId, Finding, Severity, Snapshot};
use crate::render;
use crate::tui::state::{Detail, UiState};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Width of the time column of the timeline.
const TIME_W: usize = 12;
/// Width of the event label column.
const LABEL_W: usize = 11;

fn label_style() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

/// One timeline row: time (or blank), label, text.
fn event(time: Option<i64>, label: &str, text: String, style: Style) -> Line<'static> {
    let t = time.map(hms_ms).unwrap_or_default();
    Line::from(vec![
        Span::styled(format!("{t:<TIME_W$} "), Style::new().fg(Color::DarkGray)),
        Span::styled(format!("{label:<LABEL_W$} "), label_style()),
        Span::styled(text, style),
    ])
}

/// A `label  text` row (no time).
fn field(label: &str, text: String, style: Style) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label:<LABEL_W$} "), label_style()),
        Span::styled(text, style),
    ])
}

fn heading(text: &str) -> Line<'static> {
    Line::styled(
        text.to_string(),
        Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
    )
}

/// A blank line and a section heading.
fn section(text: &str) -> Vec<Line<'static>> {
    vec![Line::default(), heading(text)]
}

fn severity(s: Severity) -> (&'static str, Style) {
    match s {
        Severity::Critical => (
            "CRITICAL",
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
        ),
        Severity::Warning => (
            "WARNING",
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        Severity::Info => ("info", Style::new().fg(Color::Green)),
    }
}

/// The findings about an endpoint (none for `None`).
fn findings_for(snap: &Snapshot, endpoint: Option<EndpointId>) -> Vec<&Finding> {
    snap.diagnosis
        .findings
        .iter()
        .filter(|fd| endpoint.is_some() && fd.endpoint() == endpoint)
        .collect()
}

/// A section of findings under `title`; nothing when there are none.
fn findings_section(title: &str, findings: &[&Finding]) -> Vec<Line<'static>> {
    if findings.is_empty() {
        return Vec::new();
    }
    let mut out = section(title);
    for fd in findings {
        out.extend(finding_lines(fd));
    }
    out
}

/// A finding: title with severity and error codes, then evidence and fix.
fn finding_lines(fd: &Finding) -> Vec<Line<'static>> {
    let (word, style) = severity(fd.severity);
    let codes = if fd.error_codes.is_empty() {
        String::new()
    } else {
        format!(" (Site Recovery errors {})", fd.error_codes.join(", "))
    };
    let mut out = vec![Line::from(vec![
        Span::styled(format!("{word} "), style),
        Span::styled(
            format!("{}{codes}", clean(&render::finding::title(&fd.title))),
            Style::new().add_modifier(Modifier::BOLD),
        ),
    ])];
    for e in render::finding::evidence_lines(fd) {
        out.push(field("evidence", clean(&e), Style::new()));
    }
    for x in render::fixes(&fd.fixes) {
        out.push(field("fix", clean(&x), Style::new().fg(Color::Green)));
    }
    out
}

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
