//! `export`: the auditor's bundle of a window.

use std::path::Path;

use anyhow::anyhow;
use chrono::NaiveDate;

use super::{Failure, Outcome};
use crate::config::Config;

pub fn run(
    _config: &Config,
    _window: &str,
    _from: Option<NaiveDate>,
    _to: Option<NaiveDate>,
    _criteria: &[String],
    _out: &Path,
) -> Outcome {
    Err(Failure::usage(anyhow!("`export` is not built yet")))
}
