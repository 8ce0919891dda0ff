//! Views of the model: a short text summary, JSON and CSV, `live`'s lines,
//! and the reports of the commands without a capture (`check`,
//! `requirements`, `tags`, `interfaces`). Each writes to any `io::Write` and
//! reads [`crate::model`]; the time a line is stamped with is an argument. A
//! few words still come from helpers of `diagnosis` (`reason::sources_text`,
//! `findings::upload_time`, `configuration::STALE_DAYS`), `azure::clouds` and
//! `decode::linktype_name`.

pub mod configuration;
pub mod csv;
pub mod interfaces;
pub mod json;
pub mod lines;
pub mod quality;
pub mod requirements;
pub mod tags;
pub mod text;
