//! An unpacked export (docs/vault-format.md, "Exports"): a vault folder holding one window and
//! only the selected run folders, with `export.json`, `VERIFY.md` and `SHA256SUMS` at the root.
//! The ledger is whole; this module decides which of its runs must be present.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::ledger::{Line, split_run};
use super::report::{Kind, Note, Problem, Report};
use crate::export::guide;
use crate::export::manifest::{self, Manifest};
use crate::vault::canonical::sha256_hex;
use crate::vault::fsutil::open_nofollow;
use crate::vault::layout::SUMS;

/// Files an export adds at the root of the vault folder.
pub const ROOT_FILES: [&str; 3] = [manifest::FILE, guide::FILE, SUMS];

/// What the manifest says the bundle holds.
pub struct Scope {
    /// The manifest, as parsed.
    pub manifest: Manifest,
}

/// Reads `export.json` at `root`. `None` when the folder is not an export, or when the manifest
/// cannot be read (reported as a problem; the rest is then checked as a plain vault).
pub fn load(root: &Path, report: &mut Report) -> Option<Scope> {
    let path = root.join(manifest::FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            report.problems.push(Problem::new(
                Kind::Unreadable,
                manifest::FILE,
                format!("cannot read: {e}"),
            ));
            return None;
        }
    };
    report.files += 1;
    report.bytes += bytes.len() as u64;
    match Manifest::parse(&bytes) {
        Ok(manifest) => Some(Scope { manifest }),
        Err(reason) => {
            report
                .problems
                .push(Problem::new(Kind::Malformed, manifest::FILE, reason));
            None
        }
    }
}

impl Scope {
    /// Keeps the ledger lines whose runs the bundle holds; reports runs the selection covers but
    /// the manifest leaves out, manifest runs the ledger does not name, and a ledger that is not
    /// the one exported; notes how many runs lie outside the selection.
    pub fn filter(
        &self,
        lines: Vec<Line>,
        ledger: &Path,
        window: &str,
        ledger_shown: &str,
        report: &mut Report,
    ) -> Vec<Line> {
        let m = &self.manifest;
        let listed: BTreeSet<&str> = m.runs.iter().map(String::as_str).collect();
        let selection = m.selection.selection();
        let mut outside = 0u64;
        let mut named = BTreeSet::new();
        let mut kept = Vec::new();
        for line in lines {
            let run = line.entry.run.as_str();
            named.insert(run.to_string());
            if listed.contains(run) {
                kept.push(line);
                continue;
            }
            let covered = split_run(run)
                .and_then(|(d, c, _)| Some((d.parse().ok()?, c)))
                .is_some_and(|(d, c)| selection.includes(d, c));
            if covered {
                report.problems.push(Problem::new(
                    Kind::Missing,
                    format!("{window}/{run}"),
                    format!(
                        "the selection in {} covers this run (line {} of {ledger_shown}) but its `runs` leave it out: the manifest was edited or the bundle is incomplete",
                        manifest::FILE,
                        line.number
                    ),
                ));
            } else {
                outside += 1;
            }
        }
        for run in listed.iter().filter(|r| !named.contains(**r)) {
            report.problems.push(Problem::new(
                Kind::Extra,
                manifest::FILE,
                format!("lists run {run}, which no line of {ledger_shown} names"),
            ));
        }
        // A ledger that cannot be read is reported by the ledger check.
        if let Ok((lines, last)) = head(ledger)
            && (lines != m.ledger.lines || last != m.ledger.last_line_sha256)
        {
            report.problems.push(Problem::new(
                Kind::Modified,
                ledger_shown,
                format!(
                    "has {lines} lines ending in a line with SHA-256 {last}, but {} says {} lines ending in {}: this is not the ledger that was exported",
                    manifest::FILE,
                    m.ledger.lines,
                    m.ledger.last_line_sha256
                ),
            ));
        }
        if outside > 0 {
            report.notes.push(Note {
                path: ledger_shown.to_string(),
                detail: format!(
                    "{outside} run{} of the ledger {} outside this export's selection (not in the bundle)",
                    if outside == 1 { "" } else { "s" },
                    if outside == 1 { "is" } else { "are" }
                ),
            });
        }
        kept
    }

    /// Why a run folder no kept line accounts for is extra.
    pub fn orphan_detail(&self) -> String {
        format!(
            "a run folder that {} does not list: the bundle holds more than its manifest says",
            manifest::FILE
        )
    }
}

/// The number of complete lines of a ledger and the SHA-256 of the last one.
fn head(path: &Path) -> std::io::Result<(u64, String)> {
    let mut reader = BufReader::new(open_nofollow(path)?);
    let mut raw = Vec::new();
    let mut last = Vec::new();
    let mut lines = 0u64;
    loop {
        raw.clear();
        if reader.read_until(b'\n', &mut raw)? == 0 || raw.last() != Some(&b'\n') {
            break;
        }
        raw.pop();
        lines += 1;
        std::mem::swap(&mut last, &mut raw);
    }
    Ok((lines, sha256_hex(&last)))
}
