//! A short human summary, readable in 100 columns.

use super::sanitize::for_terminal;
use crate::capture::CaptureEnd;
use crate::decode::linktype_name;
use crate::frame::rfc3339_us;
use crate::model::{Analysis, FlowRecord, Handshake};
use std::collections::BTreeMap;
use std::io::Write;

/// Most flows listed; the rest are counted.
pub const MAX_LISTED: usize = 40;

fn trunc(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('~');
        t
    }
}

/// What the summary needs of the flows, gathered as they finish, in bounded
/// memory: counts, and at most [`MAX_LISTED`] flows of each kind to list
/// (flows that did not establish first).
#[derive(Debug, Default)]
pub struct Summary {
    by_handshake: BTreeMap<&'static str, u64>,
    tcp: u64,
    udp: u64,
    problems: Vec<FlowRecord>,
    normal: Vec<FlowRecord>,
}

impl Summary {
    /// Accounts one flow.
    pub fn add(&mut self, f: &FlowRecord) {
        *self.by_handshake.entry(f.handshake.as_str()).or_default() += 1;
        match f.transport {
            crate::flow::Transport::Tcp => self.tcp += 1,
            crate::flow::Transport::Udp => {
                self.udp += 1;
                return;
            }
        }
        let v = if f.handshake == Handshake::Established {
            &mut self.normal
        } else {
            &mut self.problems
        };
        if v.len() < MAX_LISTED {
            v.push(f.clone());
        }
    }
}

/// Writes the summary.
pub fn write(out: &mut dyn Write, a: &Analysis, sum: &Summary) -> std::io::Result<()> {
    let c = &a.capture;
    let span = match (c.first_seen, c.last_seen) {
        (Some(f), Some(l)) => format!("{} + {:.1} s", rfc3339_us(f), (l - f) as f64 / 1e6),
        _ => "no frames".into(),
    };
    writeln!(
        out,
        "asrscope: {} capture(s), {} frames, {span}",
        a.inputs.len(),
        c.frames
    )?;
    for i in &a.inputs {
        let lts: Vec<String> = i.linktypes.iter().map(|l| linktype_name(*l)).collect();
        let end = match &i.end {
            CaptureEnd::Complete => "complete".to_string(),
            CaptureEnd::Damaged {
                after_frame,
                message,
            } => {
                format!(
                    "STOPPED after frame {after_frame}: {}",
                    for_terminal(message)
                )
            }
        };
        writeln!(
            out,
            "  {}  {:?}  {}  {} frames  {end}",
            for_terminal(&i.path),
            i.format,
            lts.join(", "),
            i.frames
        )?;
    }
    let mut q = Vec::new();
    if c.frames_cut_by_snaplen > 0 {
        q.push(format!(
            "{} frames cut by the snap length ({} flows lost hello bytes to it)",
            c.frames_cut_by_snaplen, c.hellos_cut_by_snaplen
        ));
    }
    if c.flows_began_before_capture > 0 {
        q.push(format!(
            "{} flows began before the capture",
            c.flows_began_before_capture
        ));
    }
    if c.flows_one_direction > 0 {
        q.push(format!(
            "{} flows seen in one direction only",
            c.flows_one_direction
        ));
    }
    if c.packets_seen_twice > 0 {
        q.push(format!(
            "{} packets captured twice (both sides of a router: a capture on an NVA?), counted once",
            c.packets_seen_twice
        ));
    }
    if c.ip_fragments > 0 {
        q.push(format!("{} IP fragments (not reassembled)", c.ip_fragments));
    }
    let undecoded: u64 = c.undecoded.values().sum();
    if undecoded > 0 {
        let kinds: Vec<String> = c
            .undecoded
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        q.push(format!(
            "{undecoded} frames not decoded: {}",
            kinds.join(", ")
        ));
    }
    if c.flows_evicted > 0 {
        q.push(format!(
            "{} flows ended early: flow table full",
            c.flows_evicted
        ));
    }
    if q.is_empty() {
        writeln!(out, "capture quality: nothing missing")?;
    } else {
        writeln!(out, "capture quality:")?;
        for l in q {
            writeln!(out, "  - {l}")?;
        }
    }
    let hs: Vec<String> = sum
        .by_handshake
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(
        out,
        "flows: {} (tcp {}, udp {}): {}",
        sum.tcp + sum.udp,
        sum.tcp,
        sum.udp,
        hs.join(", ")
    )?;
    let failed: Vec<String> = a
        .dns
        .iter()
        .filter(|d| d.nxdomain + d.servfail + d.unanswered > 0 && d.answered == 0)
        .map(|d| {
            let why = if d.nxdomain > 0 {
                "NXDOMAIN"
            } else if d.servfail > 0 {
                "SERVFAIL"
            } else {
                "no answer"
            };
            format!("{} ({why})", for_terminal(&d.name))
        })
        .collect();
    write!(out, "dns: {} names asked", a.dns.len())?;
    if failed.is_empty() {
        writeln!(out)?;
    } else {
        writeln!(out, "; failed: {}", failed.join(", "))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<12} {:<22} {:<33} {:<7} {:<16} {:>4}",
        "TIME (UTC)", "SERVER", "NAME", "SOURCE", "HANDSHAKE", "RETR"
    )?;
    let mut listed: Vec<&FlowRecord> = sum
        .problems
        .iter()
        .chain(sum.normal.iter())
        .take(MAX_LISTED)
        .collect();
    let more = sum.tcp.saturating_sub(listed.len() as u64);
    listed.sort_by_key(|f| (f.first_seen, f.id));
    for f in listed {
        let t = rfc3339_us(f.first_seen);
        let time = &t[11..23];
        let server = match f.dst_ip {
            std::net::IpAddr::V6(ip) => format!("[{ip}]:{}", f.dst_port),
            ip => format!("{ip}:{}", f.dst_port),
        };
        let name = f
            .server_name
            .as_deref()
            .map(for_terminal)
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{:<12} {:<22} {:<33} {:<7} {:<16} {:>4}",
            time,
            trunc(&server, 22),
            trunc(&name, 33),
            f.name_source.as_str(),
            f.handshake.as_str(),
            f.out.retransmissions + f.inbound.retransmissions
        )?;
    }
    if more > 0 {
        writeln!(
            out,
            "... {more} more TCP flows (all flows: --csv FILE or --format json)"
        )?;
    }
    Ok(())
}
