//! Why a service tags file or snapshot could not be read.

/// What users are told to pass when a file is not a service tags file.
const PASS_HINT: &str = "pass Microsoft's ServiceTags_Public_*.json or the output of `az network list-service-tags --location '<region>'`";

/// Why a service tags file or snapshot could not be read.
#[derive(thiserror::Error, Debug)]
pub enum TagsError {
    /// The input is not JSON at all.
    #[error("{file}: not valid JSON ({detail}); {PASS_HINT}")]
    Json {
        /// File name as given.
        file: String,
        /// serde_json's message, with line and column.
        detail: String,
    },
    /// A key is written twice in one object.
    #[error("{file}: {duplicate}; the file is damaged, download it again")]
    DuplicateKey {
        /// File name as given.
        file: String,
        /// The key and where.
        duplicate: crate::azure::json::DuplicateKey,
    },
    /// The input is JSON but not laid out like a service tags file.
    #[error("{file}: not a service tags file: {problem}; {PASS_HINT}")]
    NotServiceTags {
        /// File name as given.
        file: String,
        /// What is missing or of the wrong type.
        problem: String,
    },
    /// An address prefix does not parse.
    #[error(
        "{file}: tag {tag}: address prefix \"{prefix}\" does not parse ({problem}); the file is damaged, download it again"
    )]
    BadPrefix {
        /// File name as given.
        file: String,
        /// The tag listing the prefix.
        tag: String,
        /// The prefix as written.
        prefix: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A `changeNumber` is neither an integer nor a numeric string.
    #[error(
        "{file}: {place}: changeNumber {value} is neither a non-negative integer nor a numeric string; the file is damaged, download it again"
    )]
    BadChangeNumber {
        /// File name as given.
        file: String,
        /// `top level` or `tag NAME`.
        place: String,
        /// The value, as JSON.
        value: String,
    },
    /// A tag cannot be stored (bad or duplicate name, whitespace in a field).
    #[error("{file}: tag {tag}: {problem}; the file is damaged, download it again")]
    BadTag {
        /// File name as given.
        file: String,
        /// The tag name, as written.
        tag: String,
        /// What is wrong.
        problem: String,
    },
    /// The publication date given is not a date.
    #[error(
        "{file}: published date \"{value}\" is not a date; give it as YYYY-MM-DD, e.g. 2025-11-06"
    )]
    BadPublished {
        /// File name as given.
        file: String,
        /// The value given.
        value: String,
    },
    /// A snapshot line is malformed.
    #[error(
        "service tags snapshot, line {line}: {problem}; regenerate the snapshot with `asrscope tags import <ServiceTags_Public_*.json>`"
    )]
    Snapshot {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
}
