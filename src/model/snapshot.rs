//! The whole analysis, and the snapshot the terminal UI and live outputs read.

use super::{CaptureStats, Diagnosis, Drops, EndpointId, JudgedFlow, NameLog, ReadSummary};
use serde::Serialize;

/// The whole offline analysis.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// Layout version.
    pub schema_version: u32,
    /// The captures read, in order.
    pub inputs: Vec<ReadSummary>,
    /// Capture quality and counts.
    pub capture: CaptureStats,
    /// Site Recovery requirements, findings and fixes.
    pub diagnosis: Diagnosis,
    /// DNS names asked and what happened to them.
    pub dns: Vec<NameLog>,
    /// Flows in order of first packet, with their verdicts.
    pub flows: Vec<JudgedFlow>,
}

/// What the terminal UI and the live outputs read: one consistent picture of
/// the analysis at a moment. Bounded: `flows` holds the live flows and the
/// most recent finished ones, the totals count everything.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// What is analysed: `interface eth0`, or the capture files.
    pub source: String,
    /// True for a live capture.
    pub live: bool,
    /// Frames analysed (live) or read.
    pub frames: u64,
    /// Live capture: the frames libpcap handed over, each of them analysed
    /// (`frames`) or dropped by asrscope's analysis queue (`drops.queue`).
    pub captured: Option<u64>,
    /// Drops (live capture).
    pub drops: Option<Drops>,
    /// Capture quality and counts.
    pub capture: CaptureStats,
    /// Requirements, findings, regions, service-tag data.
    pub diagnosis: Diagnosis,
    /// DNS names asked.
    pub dns: Vec<NameLog>,
    /// Flows to show: live ones first, then the most recent finished ones.
    pub flows: Vec<JudgedFlow>,
    /// Flows in the flow table now.
    pub live_flows: u64,
    /// Flows seen in all.
    pub total_flows: u64,
    /// Bytes uploaded to the cache storage account per bucket, oldest first.
    pub upload_series: Vec<u64>,
    /// Length of one bucket of `upload_series`, seconds.
    pub bucket_secs: u64,
}

impl Snapshot {
    /// A snapshot of a finished offline analysis (the series is built from
    /// each cache-storage flow's bytes spread over its duration).
    pub fn from_analysis(a: &Analysis, source: String) -> Snapshot {
        const BUCKETS: usize = 60;
        let (first, last) = (
            a.capture.first_seen.unwrap_or(0),
            a.capture.last_seen.unwrap_or(0),
        );
        let span = (last - first).max(1);
        let bucket_us = (span / BUCKETS as i64).max(1_000_000);
        let n = ((span / bucket_us) as usize + 1).min(BUCKETS * 2);
        let mut series = vec![0u64; n];
        for j in a
            .flows
            .iter()
            .filter(|j| j.verdict.endpoint_id() == Some(EndpointId::CacheStorage))
        {
            let f = &j.flow;
            let (s, e) = (
                ((f.first_seen - first) / bucket_us) as usize,
                ((f.last_seen - first) / bucket_us) as usize,
            );
            let (s, e) = (s.min(n - 1), e.min(n - 1));
            let per = f.out.bytes / (e - s + 1) as u64;
            for b in &mut series[s..=e] {
                *b += per;
            }
        }
        Snapshot {
            source,
            live: false,
            frames: a.capture.frames,
            captured: None,
            drops: None,
            capture: a.capture.clone(),
            diagnosis: a.diagnosis.clone(),
            dns: a.dns.clone(),
            flows: a.flows.clone(),
            live_flows: 0,
            total_flows: a.capture.flows,
            upload_series: series,
            bucket_secs: (bucket_us / 1_000_000) as u64,
        }
    }
}
