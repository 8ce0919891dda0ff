//! `asrscope tui`: the offline analysis, browsed in the terminal UI, whose
//! export key writes a support bundle of the same captures.

use super::bundle;
use super::ending::Ending;
use super::offline::{Analysed, Job, Sources};
use super::sink::FlowSink;
use crate::cli::TuiArgs;
use crate::model::JudgedFlow;
use std::process::ExitCode;

/// Bytes a flow kept for the terminal UI's list costs, about (the judged
/// record and its strings).
const KEPT_FLOW_COST: u64 = 2048;

/// The terminal UI's list: the flows kept within a quarter of the memory
/// budget, Site Recovery flows first, others up to a quarter of the list.
/// The capture statistics, the checklist and the findings count them all.
pub struct Kept {
    flows: Vec<JudgedFlow>,
    at_most: usize,
    site_recovery: usize,
    others: usize,
}

impl Kept {
    /// A list within a quarter of `max_memory` (at least 1,000 flows).
    pub fn within(max_memory: u64) -> Self {
        Self::at_most(
            usize::try_from(max_memory / 4 / KEPT_FLOW_COST)
                .unwrap_or(usize::MAX)
                .max(1_000),
        )
    }

    fn at_most(at_most: usize) -> Self {
        Kept {
            flows: Vec::new(),
            at_most,
            site_recovery: 0,
            others: 0,
        }
    }

    /// Whether one more flow has room, counting it if it has.
    fn room(&mut self, site_recovery: bool) -> bool {
        let (asr, other) = (&mut self.site_recovery, &mut self.others);
        if *asr + *other >= self.at_most || (!site_recovery && *other >= self.at_most / 4) {
            return false;
        }
        if site_recovery {
            *asr += 1;
        } else {
            *other += 1;
        }
        true
    }

    /// The flows kept, in order of first packet.
    pub fn into_flows(self) -> Vec<JudgedFlow> {
        let mut flows = self.flows;
        flows.sort_by_key(|j| (j.flow.first_seen, j.flow.id));
        flows
    }
}

impl FlowSink for Kept {
    fn flow(&mut self, j: &JudgedFlow) {
        if self.room(j.verdict.endpoint.is_some()) {
            self.flows.push(j.clone());
        }
    }
}

/// The offline analysis of `src` with the flows the terminal UI lists.
pub fn analyse(src: Sources<'_>) -> anyhow::Result<Analysed> {
    let mut kept = Kept::within(src.input.engine.max_memory);
    let mut analysed = Job::new(src)?.run(&mut kept)?;
    analysed.analysis.flows = kept.into_flows();
    Ok(analysed)
}

/// `asrscope tui`: exit 0 once the screen is left, 2 when an input could
/// not be read whole (the screen shows what could).
pub fn run(t: &TuiArgs) -> anyhow::Result<ExitCode> {
    use std::io::IsTerminal;
    // Standard input may carry the capture (`-`); keys then come from the
    // controlling terminal. Standard output must be the screen.
    if !std::io::stdout().is_terminal() {
        anyhow::bail!(
            "the terminal UI needs a terminal on standard output: run it in one, or use `asrscope analyze` for a report"
        );
    }
    let analysed = analyse(Sources::from(t))?;
    let mut ending = Ending::new();
    ending.problems(analysed.problems);
    if analysed.analysis.inputs.is_empty() {
        return Ok(ending.exit());
    }
    let source = t
        .input
        .captures
        .iter()
        .map(|c| crate::sanitize::for_terminal(&c.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(", ");
    let snap = crate::model::Snapshot::from_analysis(&analysed.analysis, source);
    let (tx, rx) = std::sync::mpsc::channel();
    tx.send(std::sync::Arc::new(snap))?;
    drop(tx);
    // The export key's support bundle: the same captures and options.
    let command_line = bundle::command_line();
    let bundler = |path: &std::path::Path| {
        let req = bundle::Request {
            sources: Sources::from(t),
            output: path,
            command_line: command_line.clone(),
        };
        match bundle::write(&req) {
            Ok(w) => bundle::summary_line(path, &w),
            Err(e) => crate::sanitize::for_terminal(&format!("{e:#}")),
        }
    };
    let quit = std::sync::atomic::AtomicBool::new(false);
    let shown = crate::tui::run_with(rx, false, &quit, Some(&bundler), unix_seconds);
    let status = ending.exit();
    shown?;
    Ok(status)
}

/// The wall clock, seconds since the Unix epoch: the UI names its exports
/// with it.
pub(super) fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::Kept;

    /// The terminal UI's list follows the memory budget, Site Recovery
    /// flows first.
    #[test]
    fn the_list_kept_follows_the_budget() {
        assert_eq!(Kept::within(512 << 20).at_most, 65_536);
        assert_eq!(Kept::within(64 << 20).at_most, 8_192);
        assert_eq!(Kept::within(1 << 20).at_most, 1_000);
        let mut kept = Kept::at_most(1_000);
        // A flood of other flows takes a quarter of the room.
        let others = (0..10_000).filter(|_| kept.room(false)).count();
        assert_eq!(others, 250);
        // Site Recovery flows still find the rest.
        let asr = (0..10_000).filter(|_| kept.room(true)).count();
        assert_eq!(asr, 750);
        assert!(!kept.room(true));
        assert!(!kept.room(false));
    }
}
