//! `report`: writes the HTML report of an audit window.

use std::path::PathBuf;

use chrono::Utc;

use super::{Failure, Outcome, registry};
use crate::config::Config;
use crate::exit;
use crate::report::{self, Selection, plan};

pub fn run(config: &Config, window: Option<&str>, out: Option<PathBuf>) -> Outcome {
    let registry = registry(config)?;
    let now = Utc::now();
    let window = plan::window_name(config, window, now).map_err(Failure::usage)?;
    let req = plan::request(config, &registry, &window, Selection::default(), out, now);
    let summary = report::write(&req).map_err(|e| match e {
        report::ReportError::NotAReport(_) | report::ReportError::NoVault(_) => Failure::usage(e),
        e => Failure::evidence(e),
    })?;
    println!(
        "report of {window}: {} runs, {} artifacts, {} findings in {} pages: {}",
        summary.runs,
        summary.artifacts,
        summary.findings,
        summary.pages,
        summary.index.display()
    );
    Ok(exit::OK)
}
