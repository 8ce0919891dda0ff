//! Views of the model: a short text summary, JSON and CSV. Each writes to any
//! `io::Write` and reads [`crate::model`]; a few words still come from helpers
//! of `diagnosis` (`reason::sources_text`, `findings::upload_time`,
//! `configuration::STALE_DAYS`), `azure::clouds` and `decode::linktype_name`.

pub mod configuration;
pub mod csv;
pub mod json;
pub mod lines;
pub mod quality;
pub mod text;
