//! asrscope: packet-capture analysis for Azure Site Recovery networking.
//!
//! Data flows one way:
//!
//! ```text
//! capture (files, stdin, live) ─▶ frame ─▶ decode (link, tunnels, IP, TCP/UDP/ICMP)
//!   ─▶ flow (table, TCP health, reassembly)
//!   ─▶ analysis (engine; per-flow app state ─▶ proto: TLS, DNS, CONNECT; DNS names)
//!   ─▶ model::FlowRecord
//!   ─▶ diagnosis (azure: tags, endpoints, regions ─▶ verdict + cause per flow
//!                 ─▶ checklist, findings and fixes)
//!   ─▶ model::{Analysis, Snapshot} ─▶ render ─▶ report (text, JSON, CSV, live lines) and tui
//! ```
//!
//! The core decides and returns values (causes, evidence, notes, fixes);
//! `render` is the one place they become English and `az` commands, for
//! every view.
//!
//! `model` is plain data and imports nothing else of the crate but `dates`
//! (its times are written in RFC 3339); every layer fills or reads it. The
//! core (`capture` … `diagnosis`, `model`, and `bundle`) knows nothing of the
//! renderer, the views, `app` or the command line, not even in its tests.
//! `render` reads the model alone, and the views (`report`, `tui`) the model
//! and the renderer's words; none of them reads the clock. `sanitize` and
//! `dates` are leaves every layer may use. No two files depend on each
//! other, but the decoder's (`decode/`). `app` is the only module that knows
//! every layer, and `cli` the only one that knows clap. `tests/layering.rs`
//! checks all of this from the sources; the data flow and the threads are
//! described in `docs/ARCHITECTURE.md`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
// What nothing outside the crate uses is pub(crate), so that dead code shows.
#![warn(unreachable_pub)]

pub mod analysis;
pub mod app;
pub mod azure;
pub mod bundle;
pub mod capture;
pub mod cli;
pub(crate) mod dates;
pub mod decode;
pub mod diagnosis;
pub(crate) mod flow;
pub mod frame;
pub mod model;
pub mod proto;
pub mod render;
pub mod report;
pub mod sanitize;
pub mod tui;
