//! The read side: what runs the vault holds, from the ledgers alone (cheap for status and the
//! scheduler's catch-up).

use std::path::Path;

use super::ledger::{self, Entry};
use super::recover::window_names;
use super::{VaultError, layout};

/// Every ledger entry of every window, in ledger order per window. Unreadable lines are skipped
/// here (with a warning); `verify` is the place that reports them.
pub fn entries(root: &Path) -> Result<Vec<Entry>, VaultError> {
    let mut out = Vec::new();
    if !root.exists() {
        return Ok(out);
    }
    for window in window_names(root)? {
        let path = layout::ledger(root, &window);
        for (i, line) in ledger::read(&path)?.into_iter().enumerate() {
            match line {
                Ok((_, e)) => out.push(e),
                Err(reason) => {
                    tracing::warn!(message = "Skipped an unreadable ledger line; run `evidence-agent verify`.", ledger = %path.display(), line = i + 1, %reason)
                }
            }
        }
    }
    Ok(out)
}

/// The `state` of the latest committed run of `collector` in `window` that has one: where an
/// incremental collector resumes. A run.json whose hash differs from its ledger line is passed
/// over (with a warning), so tampered state cannot make a collector skip evidence; an older
/// state only means some evidence is collected again.
pub fn latest_state(root: &Path, window: &str, collector: &str) -> Option<serde_json::Value> {
    let path = layout::ledger(root, window);
    let lines = match ledger::read(&path) {
        Ok(lines) => lines,
        Err(error) => {
            tracing::warn!(message = "Cannot read the ledger for the previous state; starting afresh.", ledger = %path.display(), %error);
            return None;
        }
    };
    let entries = lines.into_iter().filter_map(Result::ok).map(|(_, e)| e);
    let mut mine: Vec<Entry> = entries.filter(|e| e.collector == collector).collect();
    mine.reverse();
    for e in mine {
        let run_json = layout::run_dir(root, window, &e.run).join("run.json");
        let Ok(bytes) = std::fs::read(&run_json) else {
            continue;
        };
        if super::canonical::sha256_hex(&bytes) != e.run_json_sha256 {
            tracing::warn!(message = "A run record differs from its ledger line; its state is not used. Run `evidence-agent verify`.", run = %run_json.display());
            continue;
        }
        let state = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|mut v| v.get_mut("state").map(serde_json::Value::take));
        if let Some(state) = state.filter(|s| !s.is_null()) {
            return Some(state);
        }
    }
    None
}
