//! The first bytes of one direction of a TCP stream, put back in sequence
//! order, capped, and released once the application parser is done with them.
//!
//! Bytes a segment carried on the wire but the capture does not hold (the
//! snap length cut them, or a support bundle removed them) keep their place:
//! they are held as zeros and remembered as *cut*, so a parser that reads
//! only record headers can step over a record whose body is missing, while a
//! parser that needs every byte reads only the [known](Stream::known_len)
//! prefix.

/// Most out-of-order pieces held while waiting for a hole to fill.
pub(crate) const MAX_PIECES: usize = 16;
/// Most separate cut ranges remembered; past it, the last range grows to
/// cover the new one (bytes in between count as cut: never the reverse).
pub(crate) const MAX_CUTS: usize = 64;

/// A segment held until the hole before it fills: its offset, captured
/// bytes, and the bytes the capture cut after them.
type Piece = (usize, Vec<u8>, usize);

/// One direction's reassembly buffer.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    base: Option<u32>,
    buf: Vec<u8>,
    pieces: Vec<Piece>,
    /// Ranges of `buf` (start, end) the capture did not hold, ascending and
    /// disjoint; zeros in `buf`.
    cuts: Vec<(usize, usize)>,
    cap: usize,
    closed: bool,
}

fn seq_diff(a: u32, b: u32) -> i64 {
    a.wrapping_sub(b) as i32 as i64
}

impl Stream {
    /// A stream that keeps at most `cap` bytes.
    pub(crate) fn with_cap(cap: usize) -> Self {
        Stream {
            cap,
            ..Default::default()
        }
    }

    /// Sets the sequence number of the first byte (ISN + 1), once.
    pub(crate) fn set_base(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq);
        }
    }

    /// True when nothing was put in the stream yet.
    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty() && self.pieces.is_empty()
    }

    /// The sequence number of the stream's first byte, once known.
    pub(crate) fn base(&self) -> Option<u32> {
        self.base
    }

    /// Makes an empty stream begin at `seq`: what was before it was read
    /// elsewhere. Offsets are from there on.
    pub(crate) fn rebase(&mut self, seq: u32) {
        if self.is_empty() {
            self.base = Some(seq);
        }
    }

    /// The contiguous bytes from the start of the stream, cut bytes as zeros.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// How many bytes from the start are all known (before the first cut).
    pub(crate) fn known_len(&self) -> usize {
        self.cuts.first().map_or(self.buf.len(), |c| c.0)
    }

    /// True when bytes `start..end` are in the buffer and none was cut.
    pub(crate) fn known(&self, start: usize, end: usize) -> bool {
        end <= self.buf.len() && !self.cuts.iter().any(|&(s, e)| s < end && start < e)
    }

    /// Bytes of memory held (the buffer and the pieces waiting for a hole).
    pub(crate) fn held(&self) -> usize {
        self.buf.capacity()
            + self
                .pieces
                .iter()
                .map(|(_, p, _)| p.capacity())
                .sum::<usize>()
            + self.cuts.capacity() * std::mem::size_of::<(usize, usize)>()
    }

    /// True when the buffer is full.
    pub(crate) fn is_full(&self) -> bool {
        self.buf.len() >= self.cap
    }

    /// Stops collecting and frees the memory.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.buf = Vec::new();
        self.pieces = Vec::new();
        self.cuts = Vec::new();
    }

    /// Adds a segment: its captured payload and the bytes after it that the
    /// capture cut (`missing`). Returns true when the contiguous buffer grew.
    pub(crate) fn insert(&mut self, seq: u32, data: &[u8], missing: usize) -> bool {
        if self.closed || (data.is_empty() && missing == 0) {
            return false;
        }
        let base = *self.base.get_or_insert(seq);
        let mut off = seq_diff(seq, base);
        let (mut data, mut missing) = (data, missing);
        if off < 0 {
            let skip = (-off) as usize;
            if skip >= data.len() + missing {
                return false;
            }
            if skip <= data.len() {
                data = &data[skip..];
            } else {
                missing -= skip - data.len();
                data = &[];
            }
            off = 0;
        }
        let off = off as usize;
        if off >= self.cap {
            return false;
        }
        let room = self.cap - off;
        let data = &data[..data.len().min(room)];
        let missing = missing.min(room - data.len());
        if off > self.buf.len() {
            if self.pieces.len() < MAX_PIECES {
                self.pieces.push((off, data.to_vec(), missing));
            }
            return false;
        }
        let before = self.buf.len();
        if self.buf.capacity() == 0 {
            // Most hellos and first flights fit: one allocation, no regrowth.
            self.buf
                .reserve((data.len() + missing).max(2048).min(self.cap));
        }
        self.place(off, data, missing);
        // Pieces that now touch the buffer join it; each pass removes one.
        while let Some(i) = self.pieces.iter().position(|p| p.0 <= self.buf.len()) {
            let (o, p, m) = self.pieces.swap_remove(i);
            self.place(o, &p, m);
        }
        self.buf.len() > before
    }

    /// Puts a segment that starts within (or right at the end of) the buffer.
    /// Bytes already there stay (the first copy wins), except cut ones,
    /// which a whole copy fills in.
    fn place(&mut self, off: usize, data: &[u8], missing: usize) {
        let end = off + data.len();
        let have = self.buf.len().min(end);
        if off < have && !self.cuts.is_empty() {
            self.fill(off, &data[..have - off]);
        }
        if end > self.buf.len() {
            let from = self.buf.len() - off;
            self.buf.extend_from_slice(&data[from..]);
        }
        let cut_end = (end + missing).min(self.cap);
        if cut_end > self.buf.len() {
            let start = self.buf.len();
            self.buf.resize(cut_end, 0);
            self.add_cut(start, cut_end);
        }
    }

    /// Copies `data` (for offset `off`) over the cut bytes it covers, and
    /// forgets those cuts.
    fn fill(&mut self, off: usize, data: &[u8]) {
        let end = off + data.len();
        let mut kept = Vec::with_capacity(self.cuts.len() + 1);
        for &(s, e) in &self.cuts {
            if e <= off || end <= s {
                kept.push((s, e));
                continue;
            }
            let (fs, fe) = (s.max(off), e.min(end));
            self.buf[fs..fe].copy_from_slice(&data[fs - off..fe - off]);
            if s < fs {
                kept.push((s, fs));
            }
            if fe < e {
                kept.push((fe, e));
            }
        }
        self.cuts = kept;
    }

    fn add_cut(&mut self, start: usize, end: usize) {
        let full = self.cuts.len() >= MAX_CUTS;
        match self.cuts.last_mut() {
            Some(last) if last.1 >= start || full => last.1 = last.1.max(end),
            _ => self.cuts.push((start, end)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_out_of_order_and_overlap() {
        let mut s = Stream::with_cap(16);
        s.set_base(1000);
        assert!(s.insert(1000, b"abc", 0));
        assert!(!s.insert(1006, b"ghi", 0)); // hole at 1003..1006
        assert_eq!(s.bytes(), b"abc");
        assert!(s.insert(1002, b"cdef", 0)); // overlaps and fills the hole
        assert_eq!(s.bytes(), b"abcdefghi");
        assert!(!s.insert(1000, b"abc", 0)); // retransmission adds nothing
        assert!(s.insert(1009, b"0123456789", 0));
        assert_eq!(s.bytes().len(), 16); // capped
        assert_eq!(s.known_len(), 16);
        assert!(s.is_full());
        s.close();
        assert!(s.bytes().is_empty());
        assert!(!s.insert(1020, b"x", 0));
    }

    #[test]
    fn sequence_wraps() {
        let mut s = Stream::with_cap(8);
        s.set_base(u32::MAX - 1);
        assert!(s.insert(u32::MAX - 1, b"ab", 0));
        assert!(s.insert(0, b"cd", 0));
        assert_eq!(s.bytes(), b"abcd");
    }

    #[test]
    fn cut_bytes_keep_their_place() {
        let mut s = Stream::with_cap(64);
        s.set_base(0);
        // A record header whose 10-byte body the capture does not hold,
        // then the next header in the following segment.
        assert!(s.insert(0, b"HEADR", 10));
        assert_eq!(s.bytes().len(), 15);
        assert_eq!(s.known_len(), 5);
        assert!(s.known(0, 5));
        assert!(!s.known(4, 6));
        assert!(s.insert(15, b"NEXT!", 3));
        assert_eq!(&s.bytes()[15..20], b"NEXT!");
        assert!(s.known(15, 20));
        assert!(!s.known(20, 21));
        assert!(!s.known(20, 30)); // beyond the buffer
        // A whole copy fills a cut in; the first copy of known bytes stays.
        assert!(!s.insert(3, b"zzABCDEFGHIJ", 0));
        assert_eq!(&s.bytes()[..15], b"HEADRABCDEFGHIJ");
        assert_eq!(s.known_len(), 20);
        // A hole before a cut segment: held, then joined with its cut.
        assert!(!s.insert(30, b"xy", 4));
        assert!(s.insert(23, b"1234567", 0));
        assert_eq!(s.bytes().len(), 36);
        assert!(s.known(23, 32));
        assert!(!s.known(32, 33));
    }

    #[test]
    fn cuts_stay_bounded() {
        let mut s = Stream::with_cap(100_000);
        s.set_base(0);
        for i in 0..1000u32 {
            s.insert(i * 10, b"ab", 8);
        }
        assert!(s.cuts.len() <= MAX_CUTS);
        assert!(s.known(0, 2));
        assert!(!s.known(9_990, 9_992)); // merged into the last cut
        // A segment entirely before the base, and one entirely cut.
        assert!(!s.insert(u32::MAX - 5, b"abc", 2));
        assert!(s.insert(10_000, b"", 5));
        assert_eq!(s.bytes().len(), 10_005);
    }
}
