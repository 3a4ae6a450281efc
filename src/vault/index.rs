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
