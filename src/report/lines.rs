//! The lines `live --no-tui` prints: one per finished flow (JSON lines), one
//! per new finding, and a periodic summary, as text or JSON.

use crate::model::{Finding, JudgedFlow, Snapshot, Status};
use crate::sanitize::for_terminal;
use std::io::Write;

/// The wall clock as `HH:MM:SS` (UTC), the prefix of text lines.
fn now_hms() -> String {
    let us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    crate::dates::rfc3339_us(us)[11..19].to_string()
}

/// A finished flow as a JSON line (`"type":"flow"`), when JSON lines are on.
pub fn flow(out: &mut dyn Write, j: &JudgedFlow, on: bool) {
    if on {
        let mut v = serde_json::to_value(j).unwrap_or_default();
        v["type"] = "flow".into();
        let _ = writeln!(out, "{v}");
    }
}

/// A new finding: a JSON line (`"type":"finding"`) or a text line.
pub fn finding(out: &mut dyn Write, f: &Finding, json: bool) -> std::io::Result<()> {
    if json {
        let mut v = serde_json::to_value(f).unwrap_or_default();
        v["type"] = "finding".into();
        writeln!(out, "{v}")
    } else {
        let sev = format!("{:?}", f.severity).to_uppercase();
        let ev = f
            .evidence
            .first()
            .map(|e| format!(": {}", crate::render::finding::evidence(e)))
            .unwrap_or_default();
        writeln!(
            out,
            "{} {sev} {}{}",
            now_hms(),
            for_terminal(&crate::render::finding::title(&f.title)),
            for_terminal(&ev)
        )
    }
}

/// The periodic summary (`"type":"summary"`, `final` on the last).
pub fn summary(
    out: &mut dyn Write,
    snap: &Snapshot,
    json: bool,
    last: bool,
) -> std::io::Result<()> {
    let d = snap.drops.unwrap_or_default();
    if json {
        let v = serde_json::json!({
            "type": "summary",
            "final": last,
            "source": snap.source,
            "frames": snap.frames,
            "captured": snap.captured,
            "analysed": snap.frames,
            "drops": d,
            "live_flows": snap.live_flows,
            "total_flows": snap.total_flows,
            "source_region": snap.diagnosis.source_region,
            "target_region": snap.diagnosis.target_region,
            "requirements": snap.diagnosis.requirements,
        });
        writeln!(out, "{v}")
    } else {
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
            now_hms(),
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
}

/// The end of a live capture: what became of every frame libpcap handed
/// over (analysed, or dropped by asrscope's queue), and what the kernel and
/// the interface dropped before handing it over.
pub fn frames(out: &mut dyn Write, snap: &Snapshot) -> std::io::Result<()> {
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
