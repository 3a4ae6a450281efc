//! `scan-reports` (CC7.1): vulnerability and configuration scan reports produced elsewhere (CI,
//! air-gapped networks), imported once each: the original file plus a normalized summary dated
//! by the scan's own time. docs/collectors/scan-reports.md is the user's page.
//!
//! - [`config`]: `[scan_reports]`: where reports are picked up, expected cadences.
//! - [`formats`]: format detection and one streaming parser per scanner format.
//! - [`source`]: the candidate files of the configured folders and files.
//! - [`import`]: one file: settled? stored before? copied while hashed, parsed, stored.
//! - [`state`]: what was stored before (by SHA-256) and the latest scan per scanner.
//! - [`findings`]: critical/high findings, overdue scanners, files not understood.
//! - [`run`]: one run over every source, reports.csv and the summary.

pub mod config;
pub mod findings;
pub mod formats;
pub mod import;
mod run;
pub mod source;
pub mod state;

pub use config::ScanReportSettings;
pub use run::columns as report_columns;

use async_trait::async_trait;

use super::{CollectError, Collected, Collector, Descriptor, Kind, RunContext};
use crate::vault::StagedRun;

/// The collector's name in the config, the vault and the CLI.
pub const NAME: &str = "scan-reports";

/// The built-in scan report importer.
pub struct ScanReports {
    descriptor: Descriptor,
}

impl Default for ScanReports {
    fn default() -> Self {
        ScanReports {
            descriptor: Descriptor {
                name: NAME.to_string(),
                version: crate::AGENT_VERSION.to_string(),
                description: "Vulnerability scan reports (Trivy, Grype, SARIF, ZAP, Nessus, \
                              Prowler, testssl.sh, sslyze) imported with a normalized summary"
                    .to_string(),
                kind: Kind::BuiltIn,
                criteria: vec!["CC7.1".into()],
                // Hourly: a report is in the vault within the hour, and a quiet folder adds
                // 24 small run records a day rather than 96.
                default_schedule: "0 45 * * * *".to_string(),
                timeout: None,
                required_secrets: Vec::new(),
            },
        }
    }
}

#[async_trait]
impl Collector for ScanReports {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    async fn collect(
        &self,
        ctx: &RunContext,
        staged: &mut StagedRun,
    ) -> Result<Collected, CollectError> {
        let Some(settings) = &ctx.config.scan_reports else {
            return Err(CollectError::not_configured(
                NAME,
                "a `[scan_reports]` section naming the `directories` or `files` to import",
                "scan-reports",
            ));
        };
        run::collect(ctx, staged, settings).await
    }
}
