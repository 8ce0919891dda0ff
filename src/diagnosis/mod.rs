//! The diagnosis: from flow records to what users came for.
//!
//! - [`verdict`]: the rules that give each flow a verdict and a typed cause;
//! - [`advice`]: which fix applies (`crate::render` says it);
//! - [`regions`]: source and target regions, given or inferred;
//! - `tally`: what one endpoint's flows add up to;
//! - [`checklist`]: verdicts gathered into the requirement checklist and the
//!   cache upload rate;
//! - [`findings`]: findings with error codes and fixes, chosen by cause;
//! - `port80`: plain HTTP the VMs depend on besides the HTTPS endpoints:
//!   the Instance Metadata Service, the certificate authorities' hosts;
//! - `in_path`: whether a device in the path answered or closed in the
//!   server's name (a blocked finding's evidence);
//! - [`configuration`]: the checklist judged from NSG and route exports
//!   alone (`asrscope check`);
//! - [`requirements`]: the requirements of a region pair, without a
//!   capture (`asrscope requirements`);
//! - [`judge`]: the pipeline `analyze`, `tui` and `live` share.

pub(crate) mod advice;
pub(crate) mod checklist;
pub(crate) mod configuration;
pub(crate) mod findings;
mod in_path;
pub(crate) mod judge;
mod port80;
pub(crate) mod regions;
pub(crate) mod requirements;
mod tally;
pub(crate) mod verdict;

pub use judge::{Judge, Settings};

#[cfg(test)]
mod tests;
