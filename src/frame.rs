//! One captured frame as it enters the analysis: the only input type of the core.
//!
//! Every capture source (files, standard input, and later live interfaces) turns
//! what it reads into a [`Frame`] that borrows the bytes; nothing downstream knows
//! where they came from.

/// A frame borrowed from the capture source.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// Capture time, microseconds since the Unix epoch (UTC).
    pub ts_us: i64,
    /// The link-layer type of the interface the frame was captured on (LINKTYPE_*).
    pub linktype: u32,
    /// Length of the frame on the wire; larger than `data.len()` when the
    /// capture's snap length cut it.
    pub wire_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
}

impl Frame<'_> {
    /// True when the snap length cut this frame short.
    pub fn is_cut(&self) -> bool {
        (self.wire_len as usize) > self.data.len()
    }
}
