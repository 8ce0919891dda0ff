//! asrscope: packet-capture analysis for Azure Site Recovery networking.
//!
//! Data flows one way:
//!
//! ```text
//! capture (files, stdin) ─▶ frame ─▶ decode (link, tunnels, IP, TCP/UDP/ICMP)
//!   ─▶ flow (table, TCP health, reassembly) ─▶ app_layer ─▶ proto (TLS, DNS, CONNECT)
//!   ─▶ names (DNS answers) ─▶ engine ─▶ model ─▶ report (text, JSON, CSV)
//! ```
//!
//! The analysis core (`frame` … `engine`, `model`) knows nothing of its views or
//! of the command line; `app` is the only module that knows every layer.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod analysis;
pub mod app;
pub mod azure;
pub mod capture;
pub mod cli;
pub mod dates;
pub mod decode;
pub mod diagnosis;
pub mod flow;
pub mod frame;
pub mod model;
pub mod proto;
pub mod report;
pub mod tui;
