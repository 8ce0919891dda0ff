//! `asrscope check`: the requirement checklist judged from NSG and route
//! exports, without a capture.

use super::config::{self, RegionPair};
use super::ending::Ending;
use crate::azure::endpoints::CATALOG;
use crate::cli::{CheckArgs, Format};
use std::io::Write;
use std::process::ExitCode;

/// Runs `check`: exit 0 when everything Site Recovery always needs is allowed
/// and routed well, 1 otherwise; errors (exit 2) on unreadable input.
pub(crate) fn run(a: &CheckArgs) -> anyhow::Result<ExitCode> {
    let tags = config::load_tags(a.service_tags.as_deref())?;
    let pair = RegionPair::resolve(tags.db(), &a.source_region, &a.target_region, a.cloud)?;
    let network = config::network_from(&a.nsg, &a.routes, &a.azure, tags.db())?;
    let catalog: Vec<crate::azure::endpoints::Endpoint> =
        CATALOG.iter().map(|e| e.in_cloud(pair.cloud)).collect();
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| (d.as_secs() / 86_400) as i64);
    let (s, t) = (&pair.source, &pair.target);
    let c = crate::diagnosis::configuration::check(
        &network,
        tags.db(),
        s,
        t,
        &catalog,
        pair.cloud,
        today,
    );
    let written = (|| -> anyhow::Result<()> {
        let mut out = super::stdout();
        match a.format {
            Format::Json => {
                serde_json::to_writer_pretty(&mut out, &c)?;
                writeln!(out)?;
            }
            Format::Text => crate::report::configuration::write(&c, &mut out)?,
        }
        out.flush()?;
        Ok(())
    })();
    // A closed standard output keeps the status of the check.
    super::unless_closed(written)?;
    let mut ending = Ending::new();
    ending.found(!c.ok);
    Ok(ending.exit())
}
