//! The one judging pipeline, shared by `analyze`, `tui` and `live`: finished
//! flow records in; verdicts with their causes, the checklist and the
//! findings out. Live capture only adds its clock (flows still open are
//! judged for each snapshot without being accounted) and its display.

use super::checklist::{Diagnoser, Setting};
use super::findings;
use super::regions::{Given, Regions};
use super::verdict::{self, Context};
use crate::azure::tags::TagDb;
use crate::model::{
    CapturePoint, CaptureStats, Cloud, Diagnosis, FlowRecord, JudgedFlow, NameLog, Thresholds,
};

use crate::model::STALE_TAGS_DAYS;

/// How flows are judged.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Thresholds of the rules.
    pub thresholds: Thresholds,
    /// Certificate issuers trusted besides Azure's own.
    pub trusted_issuers: Vec<String>,
    /// Where the capture was taken.
    pub capture_point: CapturePoint,
    /// The regions given by flag.
    pub given: Given,
    /// Where the service-tag data came from, for the report.
    pub tags_origin: String,
    /// The cloud given by flag.
    pub cloud: Option<Cloud>,
    /// The NSG and route exports given (`--nsg`, `--routes`).
    pub network: crate::azure::Network,
}

/// Judges flows and gathers the diagnosis.
pub struct Judge {
    settings: Settings,
    regions: Regions,
    diag: Diagnoser,
}

impl Judge {
    /// A judge; the regions are those given until [`Judge::set_regions`].
    pub fn new(settings: Settings, tags: &TagDb) -> Self {
        let regions = super::regions::choose(&settings.given, (None, None), tags);
        Judge {
            settings,
            regions,
            diag: Diagnoser::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The regions flows are judged for from now on.
    pub fn set_regions(&mut self, regions: Regions) {
        self.regions = regions;
    }

    /// Judges a flow without accounting it (a flow still open).
    pub fn judge(&self, tags: &TagDb, flow: FlowRecord) -> JudgedFlow {
        let ctx = Context {
            tags,
            cloud: self.default_cloud(tags),
            network: &self.settings.network,
            source: self.regions.0.as_ref().map(|r| &r.region),
            target: self.regions.1.as_ref().map(|r| &r.region),
            thresholds: &self.settings.thresholds,
            trusted_issuers: &self.settings.trusted_issuers,
        };
        let verdict = verdict::judge(&flow, &ctx);
        JudgedFlow { flow, verdict }
    }

    /// Judges a finished flow and accounts it in the diagnosis.
    pub fn finished(&mut self, tags: &TagDb, flow: FlowRecord) -> JudgedFlow {
        let j = self.judge(tags, flow);
        self.diag.add(&j.flow, &j.verdict);
        j
    }

    /// The cloud of flows that do not say by their name: the one given, else
    /// the regions', else the service-tag data's.
    fn default_cloud(&self, tags: &TagDb) -> Cloud {
        let by_region = self
            .settings
            .given
            .0
            .as_ref()
            .map(|r| crate::azure::clouds::of_region(&r.id));
        self.settings
            .cloud
            .or(by_region)
            .or_else(|| crate::azure::clouds::of_tag_file(&tags.meta().cloud))
            .unwrap_or(Cloud::Public)
    }

    /// The diagnosis of the flows accounted so far and of `open` (flows
    /// still open, judged with [`Judge::judge`]).
    pub fn diagnosis(
        &self,
        tags: &TagDb,
        dns: &[NameLog],
        capture: &CaptureStats,
        open: &[JudgedFlow],
    ) -> Diagnosis {
        let mut diag = self.diag.clone();
        for j in open {
            diag.add(&j.flow, &j.verdict);
        }
        let mut d = diag.finish(Setting {
            dns,
            tags,
            tags_origin: &self.settings.tags_origin,
            regions: self.regions.clone(),
            capture_point: self.settings.capture_point,
            thresholds: &self.settings.thresholds,
            tunnels: &capture.tunnels,
            cloud_given: self.settings.cloud,
            cloud_default: self.default_cloud(tags),
            network: &self.settings.network,
        });
        if let (Some(first), Some(published)) =
            (capture.first_seen, d.service_tags.published.clone())
            && let Some(pub_days) = crate::dates::days_from_ymd(&published)
        {
            let age = first.div_euclid(86_400_000_000) - pub_days;
            if age > STALE_TAGS_DAYS {
                let change = d.service_tags.change_number;
                d.findings
                    .push(findings::stale_tags(age, &published, change, d.cloud.cloud));
            }
        }
        d
    }
}
