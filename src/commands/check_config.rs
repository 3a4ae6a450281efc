//! `check-config`: load and validate everything a run would, run nothing.

use super::{Outcome, registry};
use crate::config::Config;
use crate::exit;
use crate::scheduler::schedule_for;

pub fn run(config: &Config) -> Outcome {
    let registry = registry(config)?;
    let mut problems = Vec::new();
    for name in config.collectors.keys() {
        if registry.get(name).is_err() {
            problems.push(format!(
                "`collectors.{name}`: no collector is named `{name}` (known: {})",
                registry.names().join(", ")
            ));
        }
    }
    for c in registry.iter() {
        if let Err(e) = schedule_for(config, c.as_ref()) {
            problems.push(format!("collector `{}`: {e}", c.descriptor().name));
        }
    }
    if !problems.is_empty() {
        eprintln!(
            "error: config file {} has {} problem(s):",
            config.path.display(),
            problems.len()
        );
        for p in problems {
            eprintln!("  {p}");
        }
        return Ok(exit::USAGE);
    }
    println!(
        "config {} is valid: vault {}, {} window(s), {} collector(s): {}",
        config.path.display(),
        config.vault_dir().display(),
        config.windows.len(),
        registry.names().len(),
        registry.names().join(", ")
    );
    Ok(exit::OK)
}
