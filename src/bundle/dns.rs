//! What a bundle keeps of a DNS message: its header, its first question and
//! the answers for that question's name (its A, AAAA and CNAME records,
//! along the CNAME chain), written anew. Nothing else leaves: not another
//! question, not an answer for another name, not the authority or
//! additional sections (EDNS options included), not a byte after the
//! message. The header's counts are those of the message as kept, so
//! Wireshark and asrscope read it as a whole message; the packet's original
//! length says how long it was.

use crate::proto::dns::{read_name_wire, records, rtype};

/// Most answers kept (the analysis reads as many).
const MAX_ANSWERS: usize = crate::proto::dns::MAX_ANSWERS;
/// Most questions stepped over to find the answers.
const MAX_QUESTIONS: usize = 8;

/// One answer record, read.
struct Record {
    owner: Vec<u8>,
    rtype: u16,
    /// TTL and, for a CNAME, the canonical name (uncompressed); else the
    /// record's data as it was.
    ttl: [u8; 4],
    data: Vec<u8>,
}

/// The message as a bundle keeps it; `None` when it has no readable
/// question (such a message is not kept at all).
pub(crate) fn reduce(msg: &[u8]) -> Option<Vec<u8>> {
    let h = msg.get(..12)?;
    let qd = u16::from_be_bytes([h[4], h[5]]) as usize;
    let an = u16::from_be_bytes([h[6], h[7]]) as usize;
    if qd == 0 {
        return None;
    }
    let (qname, next) = read_name_wire(msg, 12)?;
    let qtail = msg.get(next..next + 4)?;
    let mut off = next + 4;
    // Step over the other questions to the answers.
    let mut readable = true;
    for _ in 1..qd.min(MAX_QUESTIONS + 1) {
        match read_name_wire(msg, off).and_then(|(_, n)| msg.get(n..n + 4).map(|_| n + 4)) {
            Some(n) => off = n,
            None => {
                readable = false;
                break;
            }
        }
    }
    let response = h[2] & 0x80 != 0;
    let records = if response && readable && qd <= MAX_QUESTIONS {
        answers(msg, off, an)
    } else {
        Vec::new()
    };
    let kept = chain(&qname, records);

    let mut out = Vec::with_capacity(msg.len());
    out.extend_from_slice(&h[..4]);
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&(kept.len() as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    let mut names = Names::default();
    names.write(&mut out, &qname);
    out.extend_from_slice(qtail);
    for r in &kept {
        names.write(&mut out, &r.owner);
        out.extend_from_slice(&r.rtype.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&r.ttl);
        let at = out.len();
        out.extend_from_slice(&[0, 0]);
        if r.rtype == rtype::CNAME {
            names.write(&mut out, &r.data);
        } else {
            out.extend_from_slice(&r.data);
        }
        let len = (out.len() - at - 2) as u16;
        out[at..at + 2].copy_from_slice(&len.to_be_bytes());
    }
    Some(out)
}

/// The A, AAAA and CNAME records of class IN in the answer section; the walk
/// ends at the first record it cannot read.
fn answers(msg: &[u8], off: usize, an: usize) -> Vec<Record> {
    let mut out = Vec::new();
    for r in records(msg, off, an.min(MAX_ANSWERS)) {
        let Some((owner, _)) = read_name_wire(msg, r.owner) else {
            break;
        };
        let data = match (r.rtype, r.data.len()) {
            _ if r.class != 1 => continue,
            (rtype::A, 4) | (rtype::AAAA, 16) => r.data.to_vec(),
            (rtype::CNAME, _) => match read_name_wire(msg, r.data_at) {
                Some((n, _)) => n,
                None => continue,
            },
            _ => continue,
        };
        out.push(Record {
            owner,
            rtype: r.rtype,
            ttl: r.ttl.to_be_bytes(),
            data,
        });
    }
    out
}

/// The records on the CNAME chain from `qname`, in their order.
fn chain(qname: &[u8], records: Vec<Record>) -> Vec<Record> {
    let mut names: Vec<Vec<u8>> = vec![qname.to_ascii_lowercase()];
    let mut on = vec![false; records.len()];
    // A chain of n links is found in at most n passes, whatever the order.
    for _ in 0..=records.len() {
        let mut grew = false;
        for (i, r) in records.iter().enumerate() {
            if !on[i] && names.contains(&r.owner.to_ascii_lowercase()) {
                on[i] = true;
                if r.rtype == rtype::CNAME {
                    names.push(r.data.to_ascii_lowercase());
                    grew = true;
                }
            }
        }
        if !grew {
            break;
        }
    }
    records
        .into_iter()
        .zip(on)
        .filter_map(|(r, keep)| keep.then_some(r))
        .collect()
}

/// Names written so far, for compression pointers to whole names.
#[derive(Default)]
struct Names(Vec<(Vec<u8>, u16)>);

impl Names {
    /// Writes `name` (uncompressed wire form), as a pointer when the same
    /// name was written before.
    fn write(&mut self, out: &mut Vec<u8>, name: &[u8]) {
        let lower = name.to_ascii_lowercase();
        if let Some((_, at)) = self.0.iter().find(|(n, _)| *n == lower) {
            out.extend_from_slice(&(0xc000 | at).to_be_bytes());
            return;
        }
        if let Ok(at) = u16::try_from(out.len())
            && at < 0x4000
        {
            self.0.push((lower, at));
        }
        out.extend_from_slice(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::dns::{AnswerData, parse};

    fn name(n: &str) -> Vec<u8> {
        let mut w = Vec::new();
        for l in n.split('.') {
            w.push(l.len() as u8);
            w.extend_from_slice(l.as_bytes());
        }
        w.push(0);
        w
    }

    fn rr(owner: &[u8], t: u16, data: &[u8]) -> Vec<u8> {
        let mut r = owner.to_vec();
        r.extend_from_slice(&t.to_be_bytes());
        r.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
        r.extend_from_slice(&(data.len() as u16).to_be_bytes());
        r.extend_from_slice(data);
        r
    }

    /// A response whose first question is a Site Recovery name, with a
    /// second question, answers for its chain and for another name, an
    /// authority record, an EDNS option and trailing bytes: only the first
    /// question and its chain stay.
    #[test]
    fn only_the_first_question_and_its_chain_stay() {
        let asr = "pod01-srs1.eus.hypervrecoverymanager.windowsazure.com";
        let mut m = vec![0x4a, 0x5b, 0x81, 0x80, 0, 2, 0, 4, 0, 1, 0, 1];
        m.extend_from_slice(&name(asr));
        m.extend_from_slice(&[0, 1, 0, 1]);
        m.extend_from_slice(&name("secret-question.contoso.example"));
        m.extend_from_slice(&[0, 1, 0, 1]);
        // The owner as a pointer to the question (offset 12).
        m.extend_from_slice(&rr(&[0xc0, 12], rtype::CNAME, &name("front.cloudapp.net")));
        m.extend_from_slice(&rr(
            &name("other-answer.contoso.example"),
            1,
            &[10, 9, 9, 9],
        ));
        m.extend_from_slice(&rr(&name("FRONT.cloudapp.net"), 1, &[4, 149, 21, 202]));
        m.extend_from_slice(&rr(&name("front.cloudapp.net"), 99, b"secret-txt"));
        m.extend_from_slice(&rr(&name("authority.contoso.example"), 2, &name("ns.x")));
        m.extend_from_slice(&[0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 8, 0xfd, 0xe9, 0, 4]);
        m.extend_from_slice(b"edns");
        m.extend_from_slice(b"trailing-secret");

        let kept = reduce(&m).expect("a question");
        for secret in ["secret", "other-answer", "authority", "edns", "trailing"] {
            let found = kept.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{secret} kept");
        }
        assert_eq!(
            &kept[..12],
            &[0x4a, 0x5b, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]
        );
        let a = parse(&kept).expect("a whole message");
        let b = parse(&m).unwrap();
        assert_eq!(a.question, b.question);
        assert_eq!((a.id, a.response, a.rcode), (b.id, b.response, b.rcode));
        let chain: Vec<_> = b
            .answers
            .iter()
            .filter(|x| x.name != "other-answer.contoso.example")
            .cloned()
            .collect();
        assert_eq!(a.answers, chain);
        assert_eq!(a.answers.len(), 2);
        assert_eq!(
            a.answers[1].data,
            AnswerData::Addr("4.149.21.202".parse().unwrap())
        );
        // Whole names are written once: the CNAME's owner points to the
        // question, the A record's owner to the CNAME's target.
        let front = name("front.cloudapp.net").len();
        assert_eq!(
            kept.len(),
            12 + name(asr).len() + 4 + (2 + 10 + front) + (2 + 10 + 4)
        );
    }

    #[test]
    fn a_query_keeps_its_first_question_only() {
        let mut m = vec![0, 7, 1, 0, 0, 2, 0, 0, 0, 0, 0, 1];
        m.extend_from_slice(&name("login.microsoftonline.com"));
        m.extend_from_slice(&[0, 28, 0, 1]);
        m.extend_from_slice(&name("secret.contoso.example"));
        m.extend_from_slice(&[0, 1, 0, 1]);
        m.extend_from_slice(&[0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]);
        let kept = reduce(&m).unwrap();
        let mut want = vec![0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        want.extend_from_slice(&name("login.microsoftonline.com"));
        want.extend_from_slice(&[0, 28, 0, 1]);
        assert_eq!(kept, want);
    }

    #[test]
    fn unreadable_messages_keep_no_more_than_they_can() {
        assert_eq!(reduce(&[0; 11]), None);
        assert_eq!(reduce(&[0; 12]), None, "no question");
        // A question that runs past the end.
        let mut m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 3, b'a', b'b'];
        assert_eq!(reduce(&m), None);
        // Answers that cannot be read: the question alone.
        m = vec![0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        m.extend_from_slice(&name("a.b"));
        m.extend_from_slice(&[0, 1, 0, 1, 0xc0]);
        let kept = reduce(&m).unwrap();
        assert_eq!(&kept[6..8], &[0, 0]);
        assert_eq!(kept.len(), 12 + 5 + 4);
        // A pointer loop in an owner name.
        m.truncate(12 + 5 + 4);
        m.extend_from_slice(&[0xc0, 21, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]);
        assert_eq!(&reduce(&m).unwrap()[6..8], &[0, 0]);
    }
}
