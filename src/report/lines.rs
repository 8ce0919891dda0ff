//! The lines `live --no-tui` prints: one per finished flow (JSON lines), one
//! per new finding, and a periodic summary, as text or JSON, and the
//! `frames:` line that ends its report. Every line is stamped with the time
//! it is given (the wall clock when it is written, read by the caller, so
//! that a line is a function of its inputs); JSON lines also carry
//! `schema_version` (`docs/schema/live-line.schema.json`).

use crate::model::{Finding, JudgedFlow, Snapshot, Status};
use crate::sanitize::for_terminal;
use std::io::Write;

/// `HH:MM:SS` (UTC) of `at_us` (µs since the epoch), the prefix of text
/// lines. The caller reads the clock: a view is a function of its inputs.
fn hms(at_us: i64) -> String {
    crate::dates::rfc3339_us(at_us)[11..19].to_string()
}

/// A summary line is one of those written as the capture goes, or the last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    /// Every `--interval` seconds.
    During,
    /// Once the capture has stopped (`"final": true`).
    Final,
}

/// `value` as a JSON line of `kind` (`"type"`), stamped with `at_us` and
/// the layout's version: what every JSON line carries.
fn json_line(
    out: &mut dyn Write,
    kind: &str,
    mut value: serde_json::Value,
    at_us: i64,
) -> std::io::Result<()> {
    value["type"] = kind.into();
    value["time"] = crate::dates::rfc3339_us(at_us).into();
    value["schema_version"] = crate::model::SCHEMA_VERSION.into();
    writeln!(out, "{value}")
}

/// A finished flow as a JSON line (`"type":"flow"`), stamped with `at_us`.
pub(crate) fn flow_json(out: &mut dyn Write, j: &JudgedFlow, at_us: i64) -> std::io::Result<()> {
    json_line(
        out,
        "flow",
        serde_json::to_value(j).unwrap_or_default(),
        at_us,
    )
}

/// A new finding as a JSON line (`"type":"finding"`), stamped with `at_us`.
pub(crate) fn finding_json(out: &mut dyn Write, f: &Finding, at_us: i64) -> std::io::Result<()> {
    json_line(
        out,
        "finding",
        serde_json::to_value(f).unwrap_or_default(),
        at_us,
    )
}

/// A new finding as a text line, stamped with `at_us`.
pub(crate) fn finding_text(out: &mut dyn Write, f: &Finding, at_us: i64) -> std::io::Result<()> {
    let sev = format!("{:?}", f.severity).to_uppercase();
    let ev = f
        .evidence
        .first()
        .map(|e| format!(": {}", crate::render::finding::evidence(e)))
        .unwrap_or_default();
    writeln!(
        out,
        "{} {sev} {}{}",
        hms(at_us),
        for_terminal(&crate::render::finding::title(&f.title)),
        for_terminal(&ev)
    )
}

/// The summary as a JSON line (`"type":"summary"`, `final` on the last),
/// stamped with `at_us`.
pub(crate) fn summary_json(
    out: &mut dyn Write,
    snap: &Snapshot,
    when: When,
    at_us: i64,
) -> std::io::Result<()> {
    let v = serde_json::json!({
        "final": when == When::Final,
        "source": snap.source,
        "frames": snap.frames,
        "captured": snap.captured,
        "analysed": snap.frames,
        "drops": snap.drops.unwrap_or_default(),
        "live_flows": snap.live_flows,
        "total_flows": snap.total_flows,
        "source_region": snap.diagnosis.source_region,
        "target_region": snap.diagnosis.target_region,
        "requirements": snap.diagnosis.requirements,
    });
    json_line(out, "summary", v, at_us)
}

/// The periodic summary as a text line, stamped with `at_us`.
pub(crate) fn summary_text(
    out: &mut dyn Write,
    snap: &Snapshot,
    at_us: i64,
) -> std::io::Result<()> {
    let d = snap.drops.unwrap_or_default();
    let reqs: Vec<String> = snap
        .diagnosis
        .requirements
        .iter()
        .filter(|r| r.status != Status::NotSeen)
        .map(|r| format!("{} {}", r.id.as_str(), r.status.as_str()))
        .collect();
    let dropped = if d.total() > 0 {
        format!(" DROPPED {}", d.total())
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} {} frames{dropped}, {} live / {} flows; {}",
        hms(at_us),
        snap.frames,
        snap.live_flows,
        snap.total_flows,
        if reqs.is_empty() {
            "no Site Recovery traffic yet".to_string()
        } else {
            reqs.join(", ")
        }
    )
}

/// The end of a live capture: what became of every frame libpcap handed
/// over (analysed, or dropped by asrscope's queue), and what the kernel and
/// the interface dropped before handing it over.
pub(crate) fn frames(out: &mut dyn Write, snap: &Snapshot) -> std::io::Result<()> {
    let d = snap.drops.unwrap_or_default();
    writeln!(
        out,
        "frames: {} captured: {} analysed, {} dropped by asrscope (its analysis queue was full); \
         before capture: {} dropped by the kernel (its buffer was full), {} by the interface",
        snap.captured.unwrap_or(snap.frames),
        snap.frames,
        d.queue,
        d.kernel,
        d.interface
    )
}

#[cfg(test)]
mod tests {
    /// Text lines are stamped with the time given, not with the clock.
    #[test]
    fn lines_are_stamped_with_the_time_given() {
        assert_eq!(super::hms(0), "00:00:00");
        // 2023-11-14T22:13:20.5Z
        assert_eq!(super::hms(1_700_000_000_500_000), "22:13:20");
    }
}
