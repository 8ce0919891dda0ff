//! `asrscope requirements`: Site Recovery's network requirements for a region
//! pair, without any capture, in the format asked for.

use super::config::{self, RegionPair};
use super::ending::Ending;
use crate::cli::{RequirementsArgs, RequirementsFormat};
use crate::report::requirements as view;
use std::io::Write;
use std::process::ExitCode;

/// Runs `requirements`.
pub(crate) fn run(a: &RequirementsArgs) -> anyhow::Result<ExitCode> {
    let tags = config::load_tags(a.service_tags.as_deref())?;
    let pair = RegionPair::resolve(tags.db(), &a.source_region, &a.target_region, a.cloud)?;
    let r =
        crate::diagnosis::requirements::for_pair(&pair.source, &pair.target, tags.db(), pair.cloud);
    let mut out = super::stdout();
    match a.format {
        RequirementsFormat::Json => view::json(&mut out, &r)?,
        RequirementsFormat::Text => view::text(&mut out, &r)?,
        RequirementsFormat::Az => view::az(&mut out, &r)?,
    }
    out.flush()?;
    Ok(Ending::new().exit())
}
