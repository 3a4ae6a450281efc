//! `[scan_reports]`: where the `scan-reports` collector picks reports up.

use std::path::PathBuf;

use serde::Deserialize;

/// `[scan_reports]`, read by the `scan-reports` collector.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanReportSettings {
    /// Folders whose files are imported (relative to the config file's folder).
    #[serde(default)]
    pub directories: Vec<PathBuf>,
    /// Single report files imported (relative to the config file's folder).
    #[serde(default)]
    pub files: Vec<PathBuf>,
}

impl ScanReportSettings {
    /// Problems as (key relative to `[scan_reports]`, message).
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if self.directories.is_empty() && self.files.is_empty() {
            out.push((
                "directories".into(),
                "nothing to import; name the `directories` scanners drop reports into, or \
                 the report `files`"
                    .into(),
            ));
        }
        out
    }
}
