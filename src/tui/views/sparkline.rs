//! Replication throughput: bytes uploaded to the cache storage account per
//! bucket, with the latest and peak rates beside the 1.33 MB/s Site Recovery
//! needs.

use super::{below_title, glyphs, title_line};
use crate::model::Snapshot;
use crate::tui::state::UiState;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Sparkline};

/// Rate of one bucket, MB/s.
fn rate(bytes: u64, secs: u64) -> f64 {
    bytes as f64 / 1e6 / secs.max(1) as f64
}

/// The title: latest and peak rates, and what Site Recovery needs.
pub(crate) fn summary(snap: &Snapshot) -> String {
    let secs = snap.bucket_secs.max(1);
    let need = snap.diagnosis.thresholds.cache_upload_mbps;
    let peak = snap.upload_series.iter().copied().max().unwrap_or(0);
    let last = snap.upload_series.last().copied().unwrap_or(0);
    let now = if snap.live { "now" } else { "last" };
    let mut t = format!(
        "Upload MB/s (ASR needs {need:.2}): {now} {:.2} · peak {:.2}",
        rate(last, secs),
        rate(peak, secs)
    );
    if let Some(u) = &snap.diagnosis.cache_upload {
        t.push_str(&format!(" · transfer avg {:.2}", u.mbps));
    }
    t.push_str(&format!(" · {secs} s bins"));
    t
}

/// Draws the sparkline (title line, bars below).
pub(crate) fn draw(f: &mut Frame, area: Rect, snap: &Snapshot, ui: &UiState) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let g = glyphs(ui.ascii);
    title_line(f, area, &summary(snap), false, g);
    let body = below_title(area);
    if body.height == 0 {
        return;
    }
    let secs = snap.bucket_secs.max(1);
    let need = snap.diagnosis.thresholds.cache_upload_mbps;
    let peak = snap.upload_series.iter().copied().max().unwrap_or(0);
    if peak == 0 {
        f.render_widget(
            Paragraph::new(Line::styled(
                "no upload to the cache storage account seen",
                Style::new().fg(Color::DarkGray),
            )),
            body,
        );
        return;
    }
    let n = snap.upload_series.len();
    let from = n.saturating_sub(body.width as usize);
    let data = &snap.upload_series[from..];
    let last = data.last().copied().unwrap_or(0);
    // Bars reach the top only at or above the rate Site Recovery needs.
    let need_bytes = (need * 1e6 * secs as f64) as u64;
    let color = if rate(last, secs) >= need || (!snap.live && rate(peak, secs) >= need) {
        Color::Green
    } else {
        Color::Yellow
    };
    f.render_widget(
        Sparkline::default()
            .data(data.iter().copied())
            .max(peak.max(need_bytes).max(1))
            .bar_set(g.bars.clone())
            .style(Style::new().fg(color)),
        body,
    );
}
