//! Which runs of the window an export holds: by run-folder date, then by criteria (through the
//! collectors that support them).

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::ExportError;
use crate::report::Selection;
use crate::vault::canonical::sha256_hex;
use crate::vault::layout;
use crate::vault::ledger::{self, Entry};

/// What the user asked for, with the dates settled.
#[derive(Debug, Clone)]
pub struct Ask {
    /// First run-folder date included; `None`: no lower bound (`outside-window`).
    pub from: Option<NaiveDate>,
    /// Last run-folder date included; `None`: no upper bound.
    pub to: Option<NaiveDate>,
    /// Criteria as given (empty: every collector).
    pub criteria: Vec<String>,
}

/// The window's ledger and the runs selected from it.
#[derive(Debug)]
pub struct Picked {
    /// Every ledger line, in file order.
    pub lines: Vec<Entry>,
    /// SHA-256 of the last line's bytes without its newline.
    pub last_line_sha256: String,
    /// Length of the ledger as read; the agent may append while the export runs, so only these
    /// bytes are exported.
    pub ledger_len: u64,
    /// SHA-256 of those bytes.
    pub ledger_sha256: String,
    /// The selection, for the report and the manifest.
    pub selection: Selection,
    /// Criteria as matched (the spelling the collectors use), sorted.
    pub criteria: Vec<String>,
    /// Indexes into `lines` of the selected runs, in ledger order.
    pub runs: Vec<usize>,
}

/// The part of run.json selection reads.
#[derive(Deserialize)]
struct RunCriteria {
    #[serde(default)]
    criteria: Vec<String>,
}

/// Reads the ledger of `window` and picks the runs `ask` covers. `supported` gives, per
/// installed collector, the criteria its descriptor declares.
pub fn pick(
    vault: &Path,
    window: &str,
    ask: &Ask,
    supported: &[(String, Vec<String>)],
) -> Result<Picked, ExportError> {
    let ledger_path = layout::ledger(vault, window);
    let mut lines = Vec::new();
    let mut last = Vec::new();
    let mut whole = Sha256::new();
    let mut ledger_len = 0u64;
    for (i, line) in ledger::read(&ledger_path)
        .map_err(ExportError::Vault)?
        .into_iter()
        .enumerate()
    {
        let (bytes, entry) = line.map_err(|reason| ExportError::Ledger {
            path: ledger_path.clone(),
            line: i + 1,
            reason,
        })?;
        dated(&entry).ok_or_else(|| ExportError::Ledger {
            path: ledger_path.clone(),
            line: i + 1,
            reason: format!(
                "`run` {} is not <YYYY-MM-DD>/<collector>/<run-id>",
                entry.run
            ),
        })?;
        whole.update(&bytes);
        whole.update(b"\n");
        ledger_len += bytes.len() as u64 + 1;
        last = bytes;
        lines.push(entry);
    }
    if lines.is_empty() {
        return Err(ExportError::EmptyWindow(window.to_string()));
    }
    let in_range = |e: &Entry| {
        dated(e)
            .is_some_and(|(d, _)| ask.from.is_none_or(|f| d >= f) && ask.to.is_none_or(|t| d <= t))
    };

    let (collectors, criteria) = if ask.criteria.is_empty() {
        (None, Vec::new())
    } else {
        let (collectors, criteria) = by_criteria(vault, window, &lines, &in_range, ask, supported)?;
        (Some(collectors), criteria)
    };
    let selection = Selection {
        from: ask.from,
        to: ask.to,
        collectors,
    };
    let runs = lines
        .iter()
        .enumerate()
        .filter(|(_, e)| dated(e).is_some_and(|(d, c)| selection.includes(d, c)))
        .map(|(i, _)| i)
        .collect();
    Ok(Picked {
        lines,
        last_line_sha256: sha256_hex(&last),
        ledger_len,
        ledger_sha256: hex::encode(whole.finalize()),
        selection,
        criteria,
        runs,
    })
}

/// The run-folder date and collector of a ledger line, if its `run` has the vault's shape.
pub fn dated(e: &Entry) -> Option<(NaiveDate, &str)> {
    let (date, collector, _) = layout::split_run_rel(&e.run)?;
    (collector == e.collector).then_some((date, collector))
}

/// The collectors supporting any of the asked criteria: installed ones by their descriptor, and
/// those whose runs in range declare it. Also returns the criteria in their declared spelling.
fn by_criteria(
    vault: &Path,
    window: &str,
    lines: &[Entry],
    in_range: &dyn Fn(&Entry) -> bool,
    ask: &Ask,
    supported: &[(String, Vec<String>)],
) -> Result<(BTreeSet<String>, Vec<String>), ExportError> {
    let mut declared: Vec<(String, Vec<String>)> = supported.to_vec();
    for e in lines.iter().filter(|e| in_range(e)) {
        let path = layout::run_dir(vault, window, &e.run).join(layout::RUN_JSON);
        let bytes = std::fs::read(&path).map_err(|source| ExportError::Io {
            action: "cannot read",
            path: path.clone(),
            source,
        })?;
        let run: RunCriteria =
            serde_json::from_slice(&bytes).map_err(|e| ExportError::Evidence {
                path: path.clone(),
                reason: format!("not a run record: {e}"),
            })?;
        declared.push((e.collector.clone(), run.criteria));
    }
    let mut collectors = BTreeSet::new();
    let mut matched = BTreeSet::new();
    let mut unknown = Vec::new();
    for want in &ask.criteria {
        let want = want.trim();
        let mut found = false;
        for (collector, criteria) in &declared {
            if let Some(c) = criteria.iter().find(|c| c.eq_ignore_ascii_case(want)) {
                collectors.insert(collector.clone());
                matched.insert(c.clone());
                found = true;
            }
        }
        if !found {
            unknown.push(want.to_string());
        }
    }
    if !unknown.is_empty() {
        let known: BTreeSet<&String> = declared.iter().flat_map(|(_, c)| c).collect();
        let known: Vec<&str> = known.into_iter().map(String::as_str).collect();
        return Err(ExportError::UnknownCriteria {
            unknown: unknown.join(", "),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        });
    }
    Ok((collectors, matched.into_iter().collect()))
}
