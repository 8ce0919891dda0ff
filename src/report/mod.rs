//! Views of the model: a short text summary, JSON and CSV. Each writes to any
//! `io::Write` and reads only [`crate::model`].

pub mod configuration;
pub mod csv;
pub mod json;
pub mod lines;
pub mod quality;
pub mod text;
