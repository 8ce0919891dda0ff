//! The row builders the flow and requirement details share: timeline
//! events, `label  text` fields, headings and findings.

use crate::model::{EndpointId, Finding, Severity, Snapshot};
use crate::render;
use crate::tui::views::{clean, hms_ms};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

/// Width of the time column of the timeline.
pub(super) const TIME_W: usize = 12;
/// Width of the event label column.
pub(super) const LABEL_W: usize = 11;

fn label_style() -> Style {
    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
}

/// One timeline row: time (or blank), label, text.
pub(super) fn event(time: Option<i64>, label: &str, text: String, style: Style) -> Line<'static> {
    let t = time.map(hms_ms).unwrap_or_default();
    Line::from(vec![
        Span::styled(format!("{t:<TIME_W$} "), Style::new().fg(Color::DarkGray)),
        Span::styled(format!("{label:<LABEL_W$} "), label_style()),
        Span::styled(text, style),
    ])
}

/// A `label  text` row (no time).
pub(super) fn field(label: &str, text: String, style: Style) -> Line<'static> {
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
pub(super) fn section(text: &str) -> Vec<Line<'static>> {
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
pub(super) fn findings_for(snap: &Snapshot, endpoint: Option<EndpointId>) -> Vec<&Finding> {
    snap.diagnosis
        .findings
        .iter()
        .filter(|fd| endpoint.is_some() && fd.endpoint() == endpoint)
        .collect()
}

/// A section of findings under `title`; nothing when there are none.
pub(super) fn findings_section(title: &str, findings: &[&Finding]) -> Vec<Line<'static>> {
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
    for x in &fd.fixes {
        out.extend(fix_lines(x));
    }
    out
}

/// The label of a row that holds an `az` command: the detail does not wrap
/// it, so that it stays one row, whole (what does not fit is cut at the
/// screen's edge, never moved to another row).
pub(super) const COMMAND_LABEL: &str = "$";

/// A fix: its prose in `fix` rows, each `az` command whole in a row of its
/// own.
fn fix_lines(f: &crate::model::Fix) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut label = "fix";
    for part in render::fix_parts(f) {
        match part {
            render::FixPart::Prose(p) => {
                let p = p.trim_start_matches([',', ';', ' ']).trim();
                if !p.is_empty() {
                    out.push(field(label, clean(p), Style::new().fg(Color::Green)));
                }
            }
            render::FixPart::Command(c) => {
                out.push(field(
                    COMMAND_LABEL,
                    clean(&c),
                    Style::new().fg(Color::Green),
                ));
            }
        }
        label = "";
    }
    out
}

/// The `az` commands of the fixes of `findings`, each whole, in the order
/// the detail shows them (what a copy key puts on the clipboard).
pub(super) fn commands_of(findings: &[&Finding]) -> Vec<String> {
    findings
        .iter()
        .flat_map(|fd| fd.fixes.iter().flat_map(render::fix_commands))
        .map(|c| clean(&c))
        .collect()
}
