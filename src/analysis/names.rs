//! Names from DNS: which name each address was given by the answers seen so far,
//! and what happened to each name asked (answered, NXDOMAIN, SERVFAIL, never
//! answered).
//!
//! An address gets the name the client asked for: the head of the CNAME chain
//! (`cache1.blob.core.windows.net`, not the `*.store.core.windows.net` it
//! aliases to). Memory is bounded: addresses live in two generations of at most
//! [`MAX_ADDRS`]/2 entries each (the older generation is dropped when the newer
//! fills), each address keeps its [`NAMES_PER_ADDR`] latest names, and at most
//! [`MAX_QUERY_NAMES`] distinct question names are tracked.

use crate::model::NameLog;
use crate::proto::dns::{AnswerData, Message};
use ahash::AHashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Addresses remembered (both generations).
pub(crate) const MAX_ADDRS: usize = 8_192;
/// Names kept per address.
pub(crate) const NAMES_PER_ADDR: usize = 4;
/// Distinct question names tracked.
pub(crate) const MAX_QUERY_NAMES: usize = 50_000;
/// Queries waiting for an answer.
pub(crate) const MAX_PENDING: usize = 100_000;
/// A query unanswered after this long is counted as unanswered.
pub(crate) const ANSWER_TIMEOUT_US: i64 = 5_000_000;

#[derive(Clone, Debug)]
struct Named {
    /// First answer that gave this name.
    ts_us: i64,
    /// Latest answer that gave it.
    last_us: i64,
    name: Arc<str>,
}

#[derive(Hash, PartialEq, Eq, Clone, Copy)]
struct PendingKey {
    client: IpAddr,
    client_port: u16,
    id: u16,
}

struct Pending {
    ts_us: i64,
    name_idx: usize,
}

/// The DNS knowledge built from a capture.
#[derive(Default)]
pub(crate) struct DnsNames {
    current: AHashMap<IpAddr, Vec<Named>>,
    previous: AHashMap<IpAddr, Vec<Named>>,
    logs: Vec<NameLog>,
    log_index: AHashMap<String, usize>,
    pending: AHashMap<PendingKey, Pending>,
    /// Names not tracked because [`MAX_QUERY_NAMES`] was reached.
    pub names_dropped: u64,
    /// DNS messages that could not be parsed.
    pub malformed: u64,
}

impl DnsNames {
    /// Records one DNS message sent from `src:sport` to `dst:dport` at `ts_us`.
    pub(crate) fn observe(
        &mut self,
        msg: &Message,
        (src, sport): (IpAddr, u16),
        (dst, dport): (IpAddr, u16),
        ts_us: i64,
    ) {
        let Some((qname, qtype)) = &msg.question else {
            return;
        };
        let idx = self.log_for(qname, ts_us);
        if !msg.response {
            if let Some(i) = idx {
                let l = &mut self.logs[i];
                l.queries += 1;
                if !l.qtypes.contains(qtype) {
                    l.qtypes.push(*qtype);
                }
                if l.servers.len() < 4 && !l.servers.contains(&dst) {
                    l.servers.push(dst);
                }
                if self.pending.len() < MAX_PENDING {
                    self.pending
                        .entry(PendingKey {
                            client: src,
                            client_port: sport,
                            id: msg.id,
                        })
                        .or_insert(Pending { ts_us, name_idx: i });
                }
            }
            return;
        }
        // A response goes from the server back to the client's port.
        self.pending.remove(&PendingKey {
            client: dst,
            client_port: dport,
            id: msg.id,
        });
        let mut addrs = 0;
        for a in &msg.answers {
            if let AnswerData::Addr(ip) = a.data {
                addrs += 1;
                let head: Arc<str> = Arc::from(msg.chain_head(&a.name));
                self.remember(ip, head, ts_us);
            }
        }
        if let Some(i) = idx {
            let l = &mut self.logs[i];
            l.responses += 1;
            match msg.rcode {
                0 if addrs > 0 => l.answered += 1,
                0 => l.nodata += 1,
                2 => l.servfail += 1,
                3 => l.nxdomain += 1,
                _ => l.other_errors += 1,
            }
            for a in &msg.answers {
                match &a.data {
                    AnswerData::Addr(ip) => {
                        if l.addresses.len() < 16 && !l.addresses.contains(ip) {
                            l.addresses.push(*ip);
                        }
                    }
                    AnswerData::Cname(t) => {
                        if l.cname_chain.len() < 8 && !l.cname_chain.contains(t) {
                            l.cname_chain.push(t.clone());
                        }
                    }
                }
            }
        }
    }

    fn log_for(&mut self, name: &str, ts_us: i64) -> Option<usize> {
        if let Some(&i) = self.log_index.get(name) {
            let l = &mut self.logs[i];
            l.first_us = l.first_us.min(ts_us);
            l.last_us = l.last_us.max(ts_us);
            return Some(i);
        }
        if self.logs.len() >= MAX_QUERY_NAMES {
            self.names_dropped += 1;
            return None;
        }
        self.logs.push(NameLog {
            name: name.to_string(),
            first_us: ts_us,
            last_us: ts_us,
            ..Default::default()
        });
        self.log_index.insert(name.to_string(), self.logs.len() - 1);
        Some(self.logs.len() - 1)
    }

    fn remember(&mut self, ip: IpAddr, name: Arc<str>, ts_us: i64) {
        if !self.current.contains_key(&ip) && self.current.len() >= MAX_ADDRS / 2 {
            self.previous = std::mem::take(&mut self.current);
        }
        let v = self.current.entry(ip).or_default();
        if let Some(e) = v.iter_mut().find(|e| e.name == name) {
            e.ts_us = e.ts_us.min(ts_us);
            e.last_us = e.last_us.max(ts_us);
            return;
        }
        if v.len() >= NAMES_PER_ADDR {
            // Forget the name answered longest ago.
            if let Some(i) = (0..v.len()).min_by_key(|&i| v[i].last_us) {
                v.remove(i);
            }
        }
        v.push(Named {
            ts_us,
            last_us: ts_us,
            name,
        });
    }

    /// The name DNS gave for `ip` at or before `before_us` (among names first
    /// given by then, the one given most recently, as far as `before_us`).
    pub(crate) fn name_for(&self, ip: &IpAddr, before_us: i64) -> Option<Arc<str>> {
        let best = |v: Option<&Vec<Named>>| {
            v.and_then(|v| {
                v.iter()
                    .filter(|e| e.ts_us <= before_us)
                    .max_by_key(|e| e.last_us.min(before_us))
                    .map(|e| (e.last_us.min(before_us), e.name.clone()))
            })
        };
        match (best(self.current.get(ip)), best(self.previous.get(ip))) {
            (Some(a), Some(b)) => Some(if a.0 >= b.0 { a.1 } else { b.1 }),
            (a, b) => a.or(b).map(|e| e.1),
        }
    }

    /// Every name kept for `ip` (at most [`NAMES_PER_ADDR`] per generation).
    pub(crate) fn names_for(&self, ip: &IpAddr) -> Vec<Arc<str>> {
        let mut v: Vec<Arc<str>> = Vec::new();
        for g in [&self.current, &self.previous] {
            for e in g.get(ip).into_iter().flatten() {
                if !v.contains(&e.name) {
                    v.push(e.name.clone());
                }
            }
        }
        v
    }

    /// Counts queries older than the answer timeout as unanswered.
    pub(crate) fn expire(&mut self, now_us: i64) {
        let logs = &mut self.logs;
        self.pending.retain(|_, p| {
            if now_us - p.ts_us > ANSWER_TIMEOUT_US {
                logs[p.name_idx].unanswered += 1;
                false
            } else {
                true
            }
        });
    }

    /// Ends the capture: every query still waiting is unanswered.
    pub(crate) fn finish(&mut self) {
        for (_, p) in self.pending.drain() {
            self.logs[p.name_idx].unanswered += 1;
        }
    }

    /// The CNAME chain DNS gave below `name` (empty when none is known).
    pub(crate) fn chain_of(&self, name: &str) -> &[String] {
        self.log_index
            .get(name)
            .map(|&i| self.logs[i].cname_chain.as_slice())
            .unwrap_or(&[])
    }

    /// Per-name logs, in order of first appearance.
    pub(crate) fn logs(&self) -> &[NameLog] {
        &self.logs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dns::{Answer, AnswerData, Message};

    fn answer(name: &str, ip: &str) -> Message {
        Message {
            id: 7,
            response: true,
            rcode: 0,
            question: Some((name.into(), 1)),
            answers: vec![Answer {
                name: name.into(),
                ttl: 60,
                data: AnswerData::Addr(ip.parse().unwrap()),
            }],
        }
    }

    #[test]
    fn a_name_counts_from_the_first_answer_that_gave_it() {
        let mut n = DnsNames::default();
        let c = ("10.1.0.4".parse().unwrap(), 40000);
        let s = ("168.63.129.16".parse().unwrap(), 53);
        let ip: IpAddr = "13.68.163.36".parse().unwrap();
        n.observe(
            &answer("cache1.blob.core.windows.net", "13.68.163.36"),
            s,
            c,
            1_000,
        );
        assert_eq!(n.name_for(&ip, 999), None, "not before the answer");
        // The same answer again later must not hide the first one.
        n.observe(
            &answer("cache1.blob.core.windows.net", "13.68.163.36"),
            s,
            c,
            9_000,
        );
        assert_eq!(
            n.name_for(&ip, 5_000).as_deref(),
            Some("cache1.blob.core.windows.net")
        );
        // Another name for the same address, later: the latest wins after it.
        n.observe(
            &answer("other.blob.core.windows.net", "13.68.163.36"),
            s,
            c,
            10_000,
        );
        assert_eq!(
            n.name_for(&ip, 9_500).as_deref(),
            Some("cache1.blob.core.windows.net")
        );
        assert_eq!(
            n.name_for(&ip, 20_000).as_deref(),
            Some("other.blob.core.windows.net")
        );
    }
}
