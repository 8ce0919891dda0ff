//! The status bar: what is analysed (interface or files, live or file),
//! frames, drops, capture point, regions, the age of the service-tag data,
//! PAUSED; and the bottom line (filter being typed, last message, key hints).

use super::{Glyphs, clean, cut, cut_left, glyphs, width};
use crate::dates::days_from_ymd;
use crate::model::Snapshot;
use crate::model::{CapturePoint, RegionChoice};
use crate::tui::state::UiState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// `DROPPED 123 packets (kernel 100, interface 23)`, when packets were dropped.
pub(crate) fn drops_text(snap: &Snapshot) -> Option<String> {
    let d = snap.drops?;
    if d.total() == 0 {
        return None;
    }
    let mut parts = vec![
        format!("kernel {}", d.kernel),
        format!("interface {}", d.interface),
    ];
    if d.queue > 0 {
        parts.push(format!("analysis queue {}", d.queue));
    }
    Some(format!(
        "DROPPED {} packets ({})",
        d.total(),
        parts.join(", ")
    ))
}

/// `EastUS → CentralUS (given)`.
pub(crate) fn regions_text(snap: &Snapshot, arrow: &str) -> String {
    let d = &snap.diagnosis;
    let name = |r: &Option<RegionChoice>| {
        r.as_ref()
            .map(|r| clean(&r.region.tag_suffix))
            .unwrap_or_else(|| "?".into())
    };
    let how = |r: &Option<RegionChoice>| r.as_ref().map_or("unknown", |r| r.how.as_str());
    let (hs, ht) = (how(&d.source_region), how(&d.target_region));
    if hs == ht {
        format!(
            "{} {arrow} {} ({hs})",
            name(&d.source_region),
            name(&d.target_region)
        )
    } else {
        format!(
            "{} ({hs}) {arrow} {} ({ht})",
            name(&d.source_region),
            name(&d.target_region)
        )
    }
}

/// Days from the service tags' publication to the capture's last frame.
pub(crate) fn tags_age_days(snap: &Snapshot) -> Option<i64> {
    let published = days_from_ymd(snap.diagnosis.service_tags.published.as_deref()?)?;
    let last = snap.capture.last_seen?.div_euclid(86_400 * 1_000_000);
    Some(last - published)
}

fn sep() -> Span<'static> {
    Span::styled(" │ ", Style::new().fg(Color::DarkGray))
}

/// Draws the status bar: two lines when `area` has them, else one.
pub(crate) fn draw(f: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let g = glyphs(ui.ascii);
    let bar = Style::new().bg(Color::Blue).fg(Color::White);
    let compact = area.height < 2;
    let mut lines = vec![source_line(snap, ui, g, area.width as usize, compact).style(bar)];
    if !compact {
        lines.push(context_line(snap, g).style(bar));
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// Line 1: mode, source (cut to what room is left), frames, flows, PAUSED;
/// when `compact` (one line only) also the regions and drops.
fn source_line(
    snap: &Snapshot,
    ui: &UiState,
    g: &Glyphs,
    w: usize,
    compact: bool,
) -> Line<'static> {
    let mode = if snap.live { "LIVE" } else { "FILE" };
    let mode_bg = if snap.live { Color::Green } else { Color::Cyan };
    let mode_style = Style::new()
        .bg(mode_bg)
        .fg(Color::Black)
        .add_modifier(Modifier::BOLD);
    let mut tail: Vec<Span<'static>> = vec![
        sep(),
        Span::raw(format!("{} frames", snap.frames)),
        sep(),
        Span::raw(if snap.live {
            format!("{} flows ({} live)", snap.total_flows, snap.live_flows)
        } else if (snap.flows.len() as u64) < snap.total_flows {
            // More flows than the memory budget lets the list hold.
            format!(
                "{} flows ({} listed, --max-memory)",
                snap.total_flows,
                snap.flows.len()
            )
        } else {
            format!("{} flows", snap.total_flows)
        }),
    ];
    if compact {
        tail.push(sep());
        tail.push(Span::raw(regions_text(snap, g.arrow)));
    }
    if let Some(d) = drops_text(snap)
        && compact
    {
        tail.push(Span::raw(" "));
        tail.push(Span::styled(
            d,
            Style::new()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
        ));
    }
    if ui.paused {
        tail.push(Span::raw(" "));
        tail.push(Span::styled(
            " PAUSED ",
            Style::new()
                .bg(Color::Yellow)
                .fg(Color::Black)
                .add_modifier(Modifier::BOLD),
        ));
    }
    let tail_w: usize = tail.iter().map(|s| s.width()).sum();
    let head_w = mode.len() + 2;
    let src_room = w.saturating_sub(head_w + tail_w).max(12);
    let source = cut_left(&clean(&snap.source), src_room, g.ellipsis);
    let mut spans = vec![
        Span::styled(format!(" {mode} "), mode_style),
        Span::raw(" "),
        Span::styled(source, Style::new().add_modifier(Modifier::BOLD)),
    ];
    spans.extend(tail);
    Line::from(spans)
}

/// Line 2: capture point, regions, and the service tags' date and age
/// (STALE when older than [`crate::model::STALE_TAGS_DAYS`]).
fn context_line(snap: &Snapshot, g: &Glyphs) -> Line<'static> {
    let point = match snap.diagnosis.capture_point {
        CapturePoint::Vm => "VM",
        CapturePoint::Nva => "NVA",
    };
    let tags = &snap.diagnosis.service_tags;
    let date = tags
        .published
        .as_deref()
        .map(clean)
        .unwrap_or_else(|| "undated".into());
    let age = match tags_age_days(snap) {
        Some(age) if age > crate::model::STALE_TAGS_DAYS => Span::styled(
            format!("tags STALE: {age} d old"),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        Some(age) if age >= 0 => Span::raw(format!("tags {date} ({age} d old)")),
        _ => Span::raw(format!("tags {date}")),
    };
    // Stale data goes first, so that the narrowest screen still shows it.
    let stale = tags_age_days(snap).is_some_and(|a| a > crate::model::STALE_TAGS_DAYS);
    let regions = Span::raw(format!("regions {}", regions_text(snap, g.arrow)));
    let mut spans = vec![Span::raw(format!(" captured on {point}")), sep()];
    if stale {
        spans.extend([age, sep(), regions]);
    } else {
        spans.extend([regions, sep(), age]);
    }
    let c = &snap.diagnosis.cloud;
    if c.cloud != crate::model::Cloud::Public || !c.addresses_checked {
        spans.push(sep());
        let unchecked = if c.addresses_checked {
            ""
        } else {
            ", addresses not checked"
        };
        spans.push(Span::styled(
            format!("{}{unchecked}", crate::render::cloud_name(c.cloud)),
            Style::new().fg(Color::Yellow),
        ));
    }
    if let Some(c) = copies_text(snap) {
        spans.push(sep());
        spans.push(Span::styled(c, Style::new().fg(Color::Yellow)));
    }
    Line::from(spans)
}

/// Copies of packets set aside, in a few words (the capture report says
/// more).
pub(crate) fn copies_text(snap: &Snapshot) -> Option<String> {
    let c = &snap.capture.copies;
    let mut parts = Vec::new();
    if c.recorded > 0 {
        let times = c
            .times_recorded
            .map(|n| format!(", each logged {n}x"))
            .unwrap_or_default();
        parts.push(format!("{} copies set aside{times}", c.recorded));
    }
    if c.forwarded > 0 {
        parts.push(format!("{} forwarded copies set aside", c.forwarded));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Draws the drops warning line (only when packets were dropped).
pub(crate) fn draw_drops(f: &mut Frame, area: Rect, snap: &Snapshot) {
    if let Some(d) = drops_text(snap) {
        let style = Style::new()
            .bg(Color::Red)
            .fg(Color::White)
            .add_modifier(Modifier::BOLD);
        let more = ": the analysis misses traffic; narrow the capture with a filter";
        let text = if width(&d) + width(more) + 2 <= area.width as usize {
            format!(" {d}{more} ")
        } else {
            format!(" {d} ")
        };
        f.render_widget(Paragraph::new(Line::styled(text, style)).style(style), area);
    }
}

/// Draws the bottom line: the filter being typed, else the last message, else
/// the main keys.
pub(crate) fn draw_footer(f: &mut Frame, area: Rect, snap: Option<&Snapshot>, ui: &UiState) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let g = glyphs(ui.ascii);
    let w = area.width as usize;
    let line = if ui.filter_editing {
        let unknown = crate::tui::filter::parse(&ui.filter).unknown_text();
        let hint = match &unknown {
            Some(u) => format!("  {u}"),
            None => "  Enter keep · Esc clear · field:value · !negate".into(),
        };
        let hint = cut(&hint, w / 2, g.ellipsis);
        let room = w.saturating_sub(width(&hint) + 8 + width(g.cursor));
        let text = cut_left(&clean(&ui.filter), room, g.ellipsis);
        Line::from(vec![
            Span::styled("filter: ", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(text),
            Span::styled(
                g.cursor.to_string(),
                Style::new().add_modifier(Modifier::SLOW_BLINK),
            ),
            Span::styled(hint, Style::new().fg(Color::DarkGray)),
        ])
    } else if let Some(m) = &ui.status {
        Line::styled(
            cut(&clean(m), w, g.ellipsis),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        )
    } else {
        let live = snap.is_some_and(|s| s.live);
        let keys = if ui.help {
            "Esc or ? close · arrows scroll · q quit".to_string()
        } else if ui.detail.is_some() {
            "Esc back · arrows PgUp PgDn scroll · c copy the fix · ? help · q quit".to_string()
        } else {
            // 80 columns hold them all: live trades Tab (in the help) for p.
            if live {
                "?:help Enter:detail /:filter s/S:sort a:ASR/all e:export c:copy p:pause q:quit"
            } else {
                "?:help Tab:pane Enter:detail /:filter s/S:sort a:ASR/all e:export c:copy q:quit"
            }
            .to_string()
        };
        Line::styled(cut(&keys, w, g.ellipsis), Style::new().fg(Color::DarkGray))
    };
    f.render_widget(Paragraph::new(line), area);
}
