//! The first bytes of one direction of a TCP stream, put back in sequence
//! order, capped, and released once the application parser is done with them.

/// Most out-of-order pieces held while waiting for a hole to fill.
pub const MAX_PIECES: usize = 16;

/// One direction's reassembly buffer.
#[derive(Debug, Default)]
pub struct Stream {
    base: Option<u32>,
    buf: Vec<u8>,
    pieces: Vec<(usize, Vec<u8>)>,
    cap: usize,
    closed: bool,
}

fn seq_diff(a: u32, b: u32) -> i64 {
    a.wrapping_sub(b) as i32 as i64
}

impl Stream {
    /// A stream that keeps at most `cap` bytes.
    pub fn with_cap(cap: usize) -> Self {
        Stream {
            cap,
            ..Default::default()
        }
    }

    /// Sets the sequence number of the first byte (ISN + 1), once.
    pub fn set_base(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq);
        }
    }

    /// The contiguous bytes from the start of the stream.
    pub fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Bytes of memory held (the buffer and the pieces waiting for a hole).
    pub fn held(&self) -> usize {
        self.buf.capacity() + self.pieces.iter().map(|(_, p)| p.capacity()).sum::<usize>()
    }

    /// True when the buffer is full.
    pub fn is_full(&self) -> bool {
        self.buf.len() >= self.cap
    }

    /// Stops collecting and frees the memory.
    pub fn close(&mut self) {
        self.closed = true;
        self.buf = Vec::new();
        self.pieces = Vec::new();
    }

    /// Adds a segment's captured payload. Returns true when the contiguous
    /// prefix grew.
    pub fn insert(&mut self, seq: u32, data: &[u8]) -> bool {
        if self.closed || data.is_empty() {
            return false;
        }
        let base = *self.base.get_or_insert(seq);
        let mut off = seq_diff(seq, base);
        let mut data = data;
        if off < 0 {
            let skip = (-off) as usize;
            if skip >= data.len() {
                return false;
            }
            data = &data[skip..];
            off = 0;
        }
        let off = off as usize;
        if off >= self.cap {
            return false;
        }
        let room = self.cap - off;
        let data = &data[..data.len().min(room)];
        if off > self.buf.len() {
            if self.pieces.len() < MAX_PIECES && !data.is_empty() {
                self.pieces.push((off, data.to_vec()));
            }
            return false;
        }
        let before = self.buf.len();
        if self.buf.capacity() == 0 {
            // Most hellos and first flights fit: one allocation, no regrowth.
            self.buf.reserve(data.len().max(2048).min(self.cap));
        }
        let have = self.buf.len() - off;
        if data.len() > have {
            self.buf.extend_from_slice(&data[have..]);
        }
        // Pieces that now touch the prefix join it; each pass removes one.
        while let Some(i) = self.pieces.iter().position(|(o, _)| *o <= self.buf.len()) {
            let (o, p) = self.pieces.swap_remove(i);
            let have = self.buf.len() - o;
            if p.len() > have {
                let take = (p.len() - have).min(self.cap - self.buf.len());
                self.buf.extend_from_slice(&p[have..have + take]);
            }
        }
        self.buf.len() > before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_out_of_order_and_overlap() {
        let mut s = Stream::with_cap(16);
        s.set_base(1000);
        assert!(s.insert(1000, b"abc"));
        assert!(!s.insert(1006, b"ghi")); // hole at 1003..1006
        assert_eq!(s.bytes(), b"abc");
        assert!(s.insert(1002, b"cdef")); // overlaps and fills the hole
        assert_eq!(s.bytes(), b"abcdefghi");
        assert!(!s.insert(1000, b"abc")); // retransmission adds nothing
        assert!(s.insert(1009, b"0123456789"));
        assert_eq!(s.bytes().len(), 16); // capped
        assert!(s.is_full());
        s.close();
        assert!(s.bytes().is_empty());
        assert!(!s.insert(1020, b"x"));
    }

    #[test]
    fn sequence_wraps() {
        let mut s = Stream::with_cap(8);
        s.set_base(u32::MAX - 1);
        assert!(s.insert(u32::MAX - 1, b"ab"));
        assert!(s.insert(0, b"cd"));
        assert_eq!(s.bytes(), b"abcd");
    }
}
