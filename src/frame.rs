//! One captured frame as it enters the analysis: the only input type of the core.
//!
//! Every capture source (files, standard input, and later live interfaces) turns
//! what it reads into a [`Frame`] that borrows the bytes; nothing downstream knows
//! where they came from.

/// The latest time a frame may carry: 9999-12-31T23:59:59.999999Z. A file
/// can claim any 64-bit time (pcapng's interface offsets and resolutions
/// allow it); every capture source clamps its times to ±this, so that any
/// difference of two times fits in an `i64`.
pub const MAX_TS_US: i64 = 253_402_300_799_999_999;

/// A capture time clamped to ±[`MAX_TS_US`].
pub fn clamp_ts(ts_us: i64) -> i64 {
    ts_us.clamp(-MAX_TS_US, MAX_TS_US)
}

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
