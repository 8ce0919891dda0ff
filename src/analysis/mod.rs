//! The analysis: frames in, finished flow records out. The engine decodes
//! each frame, accounts it to its flow, feeds the flow's application parsers
//! and the DNS name table, and turns flows that leave the table into records.
//!
//! - [`engine`]: the one pass over frames;
//! - [`app_state`]: per-flow application state (TLS, CONNECT, DNS over TCP);
//! - [`names`]: which name DNS gave each address, and what happened to each name;
//! - [`record`]: a finished flow turned into the model's record.

pub(crate) mod app_state;
pub mod engine;
pub(crate) mod names;
pub(crate) mod record;

pub use engine::{Engine, EngineConfig};
