//! Views of the model: a short text summary, JSON and CSV, `live`'s lines,
//! and the reports of the commands without a capture (`check`,
//! `requirements`, `tags`, `interfaces`). Each writes to any `io::Write`,
//! reads [`crate::model`] and says it in [`crate::render`]'s words, with
//! [`crate::sanitize`] and [`crate::dates`]; it names nothing else of the
//! crate, and never reads the clock: the time a line is stamped with is an
//! argument. `tests/layering.rs` keeps it so.

pub(crate) mod configuration;
pub mod csv;
pub(crate) mod interfaces;
pub(crate) mod json;
pub(crate) mod lines;
pub(crate) mod quality;
pub(crate) mod requirements;
pub(crate) mod tags;
pub(crate) mod text;
