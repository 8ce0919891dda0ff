//! The panes of the screen. Each `draw` paints one pane into its area from
//! the snapshot and the UI state; every captured string goes through
//! [`clean`] ([`crate::sanitize::for_terminal`]) before it is drawn.
//! The helpers here lay out columns, cut text to a width and give statuses
//! their symbol and colour (never colour alone).

pub(crate) mod checklist;
pub mod detail;
pub(crate) mod flows;
pub(crate) mod help;
pub(crate) mod sparkline;
pub(crate) mod status;

use crate::model::Status;
use crate::model::Verdict;
use crate::sanitize::for_terminal;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// The symbols drawn: Unicode, or ASCII for terminals without UTF-8.
#[derive(Debug, Clone)]
pub struct Glyphs {
    /// Works.
    pub ok: &'static str,
    /// Fails.
    pub bad: &'static str,
    /// Text cut short.
    pub ellipsis: &'static str,
    /// Pane title rule.
    pub rule: &'static str,
    /// From … to.
    pub arrow: &'static str,
    /// Text cursor of the filter.
    pub cursor: &'static str,
    /// Sparkline bars.
    pub bars: ratatui::symbols::bar::Set<'static>,
}

/// Unicode symbols.
pub const UNICODE: Glyphs = Glyphs {
    ok: "✓",
    bad: "✗",
    ellipsis: "…",
    rule: "─",
    arrow: "→",
    cursor: "█",
    bars: ratatui::symbols::bar::NINE_LEVELS,
};

/// ASCII symbols.
pub const ASCII: Glyphs = Glyphs {
    ok: "+",
    bad: "x",
    ellipsis: "~",
    rule: "-",
    arrow: "->",
    cursor: "_",
    bars: ratatui::symbols::bar::Set {
        full: "#",
        seven_eighths: "#",
        three_quarters: "#",
        five_eighths: "=",
        half: "=",
        three_eighths: "=",
        one_quarter: ".",
        one_eighth: ".",
        empty: " ",
    },
};

/// The symbols for the UI state.
pub fn glyphs(ascii: bool) -> &'static Glyphs {
    if ascii { &ASCII } else { &UNICODE }
}

/// ASCII stand-ins for the drawing symbols left in a frame (rules, bars,
/// separators, arrows), for terminals without UTF-8. Text from the capture
/// is left as it is.
pub fn asciify(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        let rep = match cell.symbol() {
            "─" | "━" => "-",
            "│" => "|",
            "·" => "-",
            "→" => ">",
            "↑" => "^",
            "↓" | "▼" => "v",
            "▲" => "^",
            "…" => "~",
            "▁" | "▂" => ".",
            "▃" | "▄" => ":",
            "▅" | "▆" => "=",
            "▇" | "█" => "#",
            _ => continue,
        };
        cell.set_symbol(rep);
    }
}

/// The frame without colours, for `NO_COLOR`: every cell's foreground and
/// background back to the terminal's own; bold, reverse (the selection) and
/// the symbols stay.
pub fn decolour(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        cell.set_fg(Color::Reset).set_bg(Color::Reset);
    }
}

/// A captured string made safe for the terminal.
pub fn clean(s: &str) -> String {
    for_terminal(s)
}

/// Display width of a string (wide characters count two).
pub fn width(s: &str) -> usize {
    Span::raw(s).width()
}

fn char_width(c: char) -> usize {
    let mut b = [0u8; 4];
    Span::raw(&*c.encode_utf8(&mut b)).width()
}

/// Cuts `s` to `w` columns (ending with the ellipsis when cut), without padding.
pub fn cut(s: &str, w: usize, ellipsis: &str) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let room = w.saturating_sub(width(ellipsis));
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let cw = char_width(c);
        if used + cw > room {
            break;
        }
        used += cw;
        out.push(c);
    }
    if width(ellipsis) <= w {
        out.push_str(ellipsis);
    }
    out
}

/// Cuts `s` to `w` columns keeping its end (for paths: the file name stays).
pub fn cut_left(s: &str, w: usize, ellipsis: &str) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    let room = w.saturating_sub(width(ellipsis));
    let mut tail: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let cw = char_width(c);
        if used + cw > room {
            break;
        }
        used += cw;
        tail.push(c);
    }
    let mut out = if width(ellipsis) <= w {
        ellipsis.to_string()
    } else {
        String::new()
    };
    out.extend(tail.into_iter().rev());
    out
}

/// `s` cut or padded to exactly `w` columns; right-aligned when `right`.
pub fn pad(s: &str, w: usize, right: bool, ellipsis: &str) -> String {
    let c = cut(s, w, ellipsis);
    let fill = " ".repeat(w.saturating_sub(width(&c)));
    if right { fill + &c } else { c + &fill }
}

/// A requirement status as drawn: symbol and word, and its colour.
pub fn status_mark(s: Status, g: &Glyphs) -> (String, Style) {
    let (sym, color) = match s {
        Status::Ok => (g.ok, Color::Green),
        Status::NotSeen => ("?", Color::DarkGray),
        Status::Throttled | Status::OutsideAzure => ("!", Color::Yellow),
        Status::Intercepted | Status::ProxyAuth | Status::Blocked => (g.bad, Color::Red),
    };
    let style = Style::new().fg(color);
    let style = if color == Color::DarkGray {
        style
    } else {
        style.add_modifier(Modifier::BOLD)
    };
    (format!("{sym} {}", crate::render::status(s)), style)
}

/// A flow verdict as drawn: symbol and word, and its colour.
pub fn verdict_mark(v: Verdict, g: &Glyphs) -> (String, Style) {
    let (sym, color) = match v {
        Verdict::Allowed => (g.ok, Color::Green),
        Verdict::Incomplete => ("?", Color::DarkGray),
        Verdict::Throttled | Verdict::OutsideAzure => ("!", Color::Yellow),
        Verdict::Intercepted | Verdict::ProxyAuth | Verdict::Blocked => (g.bad, Color::Red),
    };
    (format!("{sym} {}", v.as_str()), Style::new().fg(color))
}

/// `HH:MM:SS` (UTC) of a time in µs since the epoch.
pub fn hms(us: i64) -> String {
    let s = us.div_euclid(1_000_000).rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// `HH:MM:SS.mmm` (UTC) of a time in µs since the epoch.
pub fn hms_ms(us: i64) -> String {
    format!("{}.{:03}", hms(us), us.rem_euclid(1_000_000) / 1000)
}

/// Bytes in a short human form (`950`, `12.3k`, `4.1M`, `2.0G`; decimal units).
pub fn human_bytes(b: u64) -> String {
    let f = b as f64;
    if b < 1000 {
        format!("{b}")
    } else if b < 1_000_000 {
        format!("{:.1}k", f / 1e3)
    } else if b < 1_000_000_000 {
        format!("{:.1}M", f / 1e6)
    } else {
        format!("{:.1}G", f / 1e9)
    }
}

/// One column of a table: the widths it can take, and how soon it goes when
/// space is short (lower `prio` is served first).
#[derive(Debug, Clone, Copy)]
pub struct Col {
    /// Narrowest useful width.
    pub min: usize,
    /// Width asked for before less important columns get any.
    pub first: usize,
    /// Width of the widest content.
    pub natural: usize,
    /// Priority (0 first).
    pub prio: u8,
    /// Shown (at least at `min`) before any other column gets room.
    pub keep: bool,
    /// Right-aligned (numbers).
    pub right: bool,
}

impl Col {
    /// A column that wants `first` columns, can shrink to `min` and grow to `natural`.
    pub fn new(min: usize, first: usize, natural: usize, prio: u8) -> Col {
        Col {
            min,
            first,
            natural,
            prio,
            keep: false,
            right: false,
        }
    }

    /// A column of fixed content width.
    pub fn fixed(w: usize, prio: u8) -> Col {
        Col::new(w, w, w, prio)
    }

    /// Shown before the others get room (still cut to what the screen has).
    pub fn keep(self) -> Col {
        Col { keep: true, ..self }
    }

    /// Right-aligned.
    pub fn right(self) -> Col {
        Col {
            right: true,
            ..self
        }
    }
}

/// Widths of the columns in `avail` columns of screen, one space between
/// shown columns; 0 hides a column. The `keep` columns get their `min`
/// first; then, by priority, columns get (or grow to) `first`, or what is
/// left if that is at least `min`; then they grow to `natural`.
pub fn fit_columns(avail: usize, cols: &[Col]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..cols.len()).collect();
    order.sort_by_key(|&i| cols[i].prio);
    let mut w = vec![0usize; cols.len()];
    let mut used = 0usize;
    for &i in order.iter().filter(|&&i| cols[i].keep) {
        let gap = usize::from(used > 0);
        let min = cols[i].min.max(1);
        if used + gap + min <= avail {
            w[i] = min;
            used += gap + min;
        } else if used + gap < avail {
            w[i] = avail - used - gap;
            used = avail;
        }
    }
    for &i in &order {
        let c = cols[i];
        let first = c.first.max(c.min).max(1);
        if w[i] > 0 {
            let extra = first.saturating_sub(w[i]).min(avail - used);
            w[i] += extra;
            used += extra;
            continue;
        }
        let gap = usize::from(used > 0);
        if used + gap + first <= avail {
            w[i] = first;
            used += gap + first;
        } else if used + gap + c.min.max(1) <= avail {
            w[i] = avail - used - gap;
            used = avail;
        }
    }
    for &i in &order {
        if w[i] > 0 && w[i] < cols[i].natural && used < avail {
            let extra = (cols[i].natural - w[i]).min(avail - used);
            w[i] += extra;
            used += extra;
        }
    }
    w
}

/// One row of a table: cells cut or padded to the widths (hidden columns
/// skipped), one space apart, each with its style.
pub fn table_row(
    widths: &[usize],
    cols: &[Col],
    cells: Vec<(String, Style)>,
    g: &Glyphs,
) -> Line<'static> {
    let mut spans = Vec::new();
    let mut first = true;
    for ((w, c), (text, style)) in widths.iter().zip(cols).zip(cells) {
        if *w == 0 {
            continue;
        }
        if !first {
            spans.push(Span::raw(" "));
        }
        first = false;
        spans.push(Span::styled(pad(&text, *w, c.right, g.ellipsis), style));
    }
    Line::from(spans)
}

/// The header row of a table: the column names, bold and underlined.
pub fn header_row(widths: &[usize], cols: &[Col], names: &[&str], g: &Glyphs) -> Line<'static> {
    let head = Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
    table_row(
        widths,
        cols,
        names.iter().map(|h| (h.to_string(), head)).collect(),
        g,
    )
}

/// Draws a pane's title line: `── Title ─────` (bold and highlighted when the
/// pane has the focus).
pub fn title_line(f: &mut Frame, area: Rect, title: &str, focused: bool, g: &Glyphs) {
    title_line_with(f, area, title, None, focused, g);
}

/// A pane's title line with a note at its right end, kept whole before the
/// title is cut: `── Title ───── rows 1-8 of 20 ↓ ──`.
pub fn title_line_with(
    f: &mut Frame,
    area: Rect,
    title: &str,
    right: Option<&str>,
    focused: bool,
    g: &Glyphs,
) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    let w = area.width as usize;
    let lead = g.rule.repeat(2.min(w));
    let right = right
        .map(|r| format!(" {r} "))
        .filter(|r| width(r) + width(&lead) * 2 + 12 <= w)
        .unwrap_or_default();
    let tail = if right.is_empty() {
        String::new()
    } else {
        lead.clone()
    };
    let text = cut(
        &format!(" {title} "),
        w.saturating_sub(width(&lead) + width(&right) + width(&tail)),
        g.ellipsis,
    );
    let rest = w.saturating_sub(width(&lead) + width(&text) + width(&right) + width(&tail));
    let style = if focused {
        Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::new().add_modifier(Modifier::BOLD)
    };
    let rule = Style::new().fg(if focused {
        Color::Cyan
    } else {
        Color::DarkGray
    });
    let line = Line::from(vec![
        Span::styled(lead, rule),
        Span::styled(text, style),
        Span::styled(g.rule.repeat(rest), rule),
        Span::styled(right, style),
        Span::styled(tail, rule),
    ]);
    f.render_widget(Paragraph::new(line), Rect { height: 1, ..area });
}

/// The part of `area` below its first line.
pub fn below_title(area: Rect) -> Rect {
    let h = area.height.saturating_sub(1);
    Rect {
        x: area.x,
        y: area.y + area.height - h,
        width: area.width,
        height: h,
    }
}

/// Wraps a styled line to `w` columns, breaking at spaces where it can;
/// continuation rows start with `indent` spaces.
pub fn wrap(line: Line<'static>, w: usize, indent: usize) -> Vec<Line<'static>> {
    if w == 0 {
        return vec![];
    }
    let indent = if indent * 2 > w { 0 } else { indent };
    let chars: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| {
            let st = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, st))
        })
        .collect();
    let mut rows = Vec::new();
    let mut i = 0;
    let mut first = true;
    while i < chars.len() || first {
        let lead = if first { 0 } else { indent };
        let room = w - lead;
        // Take as many characters as fit.
        let mut used = 0;
        let mut j = i;
        while j < chars.len() {
            let cw = char_width(chars[j].0);
            if used + cw > room {
                break;
            }
            used += cw;
            j += 1;
        }
        if j == i && j < chars.len() {
            j += 1; // a character wider than the row: take it anyway
        }
        // Break at the last space when a word would be cut.
        let mut end = j;
        if j < chars.len()
            && chars[j].0 != ' '
            && let Some(k) = (i..j).rev().find(|&k| chars[k].0 == ' ')
            && (k - i) * 3 >= room
        {
            end = k + 1;
        }
        let mut spans: Vec<Span<'static>> = Vec::new();
        if lead > 0 {
            spans.push(Span::raw(" ".repeat(lead)));
        }
        let mut k = i;
        while k < end {
            let st = chars[k].1;
            let mut s = String::new();
            while k < end && chars[k].1 == st {
                s.push(chars[k].0);
                k += 1;
            }
            spans.push(Span::styled(s, st));
        }
        rows.push(Line::from(spans));
        i = end;
        // Skip the spaces the break fell on.
        while i < chars.len() && chars[i].0 == ' ' {
            i += 1;
        }
        first = false;
    }
    rows
}
