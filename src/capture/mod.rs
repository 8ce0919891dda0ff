//! Capture sources: the only code that touches libpcap or capture file formats.
//!
//! A source hands each frame to a callback as a borrowed [`Frame`](crate::frame::Frame)
//! and reports, when it stops, whether it reached the end of its input or stopped at
//! damage ([`CaptureEnd`](crate::model::CaptureEnd)).

pub(crate) mod compressed;
pub(crate) mod file;
pub(crate) mod live;
pub mod pcapng_writer;

pub use file::{CaptureError, Chunk, FrameAt, read_capture, read_chunks, read_from};
