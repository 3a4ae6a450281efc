//! `verify`: the read-only integrity check (PLACEHOLDER until vault::verify lands).

use std::path::PathBuf;

use super::Outcome;

pub fn run(_vault: Option<PathBuf>, _threads: Option<usize>) -> Outcome {
    Ok(crate::exit::OK)
}
