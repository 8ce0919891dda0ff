//! Views of the model: a short text summary, JSON and CSV, `live`'s lines,
//! and the reports of the commands without a capture (`check`,
//! `requirements`, `tags`, `interfaces`). Each writes to any `io::Write`;
//! the time a line is stamped with is an argument.

pub mod configuration;
pub mod csv;
pub mod interfaces;
pub mod json;
pub mod lines;
pub mod quality;
pub mod requirements;
pub mod tags;
pub mod text;
