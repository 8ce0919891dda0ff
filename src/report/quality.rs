//! What the capture itself could not show, or showed more than once: one
//! sentence per problem, the same in every view.

use crate::model::{CaptureStats, CopyStats};

/// "2 and 3", "2, 3 and 5".
fn and_list(v: &[u32]) -> String {
    let s: Vec<String> = v.iter().map(|i| i.to_string()).collect();
    match s.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// The sentences about copies set aside.
pub(crate) fn copies(c: &CopyStats) -> Vec<String> {
    let mut q = Vec::new();
    if c.recorded > 0 {
        let times = c
            .times_recorded
            .map(|n| format!("each packet logged {n} times by the capturing host"))
            .unwrap_or_else(|| "packets logged more than once by the capturing host".into());
        let on = if c.interfaces.len() > 1 {
            format!(", seen on interfaces {}", and_list(&c.interfaces))
        } else {
            String::new()
        };
        q.push(format!(
            "{} copies set aside: {times}{on} (pktmon without --comp nics, tcpdump -i any on Accelerated Networking, or a mirror of both directions); each packet counted once",
            c.recorded
        ));
    }
    if c.forwarded > 0 {
        q.push(format!(
            "{} forwarded copies set aside: each packet seen again one hop later, TTL one lower (both sides of a router, as on an NVA captured on two interfaces); each packet counted once",
            c.forwarded
        ));
    }
    q
}

/// Every note about the capture's quality, most important first.
pub(crate) fn notes(c: &CaptureStats) -> Vec<String> {
    let mut q = Vec::new();
    if c.frames_cut_by_snaplen > 0 && c.support_bundle {
        q.push(format!(
            "{} frames shortened by the asrscope support bundle this file comes from: application data removed on purpose (TLS handshakes, alerts and record headers kept)",
            c.frames_cut_by_snaplen
        ));
    } else if c.frames_cut_by_snaplen > 0 {
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
    q.extend(copies(&c.copies));
    if c.nat_legs > 0 {
        q.push(format!(
            "{} connections recorded on both sides of an address-translating appliance (the same TCP sequence numbers from another source address): each counted once, its translated address kept ({} packets of the translated legs set aside)",
            c.nat_legs, c.nat_packets
        ));
    }
    for h in &c.vxlan_elsewhere {
        q.push(format!(
            "UDP port {}: {} datagrams look like VXLAN (inner Ethernet and IP) on a port VXLAN is not decoded on: pass --vxlan-port {} to see inside",
            h.port, h.datagrams, h.port
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
    if c.buffers_dropped > 0 {
        q.push(format!(
            "{} flows' reassembly buffers released early to stay within the memory budget (--max-memory): what they held was read, what came later was not",
            c.buffers_dropped
        ));
    }
    if c.flows_evicted > 0 {
        q.push(format!(
            "{} flows evicted early under load (the least recently active, when the flow table was full): the capture holds a flood or scan",
            c.flows_evicted
        ));
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_say_how_often_and_where() {
        let c = CopyStats {
            forwarded: 0,
            recorded: 120,
            times_recorded: Some(3),
            interfaces: vec![],
        };
        assert!(copies(&c)[0].starts_with(
            "120 copies set aside: each packet logged 3 times by the capturing host (pktmon"
        ));
        let c = CopyStats {
            recorded: 40,
            times_recorded: Some(2),
            interfaces: vec![2, 3],
            ..Default::default()
        };
        assert!(
            copies(&c)[0]
                .contains("logged 2 times by the capturing host, seen on interfaces 2 and 3")
        );
        assert_eq!(and_list(&[2, 3, 5]), "2, 3 and 5");
        assert!(copies(&CopyStats::default()).is_empty());
    }

    #[test]
    fn flows_evicted_under_load_are_a_note() {
        let c = CaptureStats {
            flows: 5_000,
            flows_evicted: 4_500,
            ..Default::default()
        };
        let said = notes(&c);
        assert!(
            said.iter()
                .any(|n| n.starts_with("4500 flows evicted early under load")),
            "{said:?}"
        );
    }
}
