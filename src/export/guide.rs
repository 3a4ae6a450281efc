//! VERIFY.md: the auditor's page in the bundle, saying what it holds and how to check it.

use std::fmt::Write;

use super::manifest::Manifest;

/// The guide's file name at the bundle's root.
pub const FILE: &str = "VERIFY.md";

/// Checks every run folder with coreutils alone; find's status is non-zero if any check fails.
pub const RUN_FOLDERS_COMMAND: &str = "find . -mindepth 2 -name SHA256SUMS -execdir sha256sum --quiet -c {} + && echo 'every run folder: OK'";

/// The text of VERIFY.md for the bundle `top` described by `m`.
pub fn render(top: &str, m: &Manifest, files: u64, bytes: u64) -> String {
    let w = &m.window;
    let dates =
        |d: Option<chrono::NaiveDate>, none: &str| d.map_or(none.to_string(), |d| d.to_string());
    let window_span = match (w.start, w.end) {
        (Some(s), Some(e)) => format!("{s} to {e}"),
        _ => "runs filed outside every configured window".to_string(),
    };
    let collectors = match &m.selection.collectors {
        None => "every collector".to_string(),
        Some(c) if c.is_empty() => "no collector".to_string(),
        Some(c) => c
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", "),
    };
    let criteria = if m.selection.criteria.is_empty() {
        "all".to_string()
    } else {
        m.selection.criteria.join(", ")
    };
    let outside = m.ledger.lines - m.runs.len() as u64;
    let mut s = String::new();
    // Writing into a String cannot fail.
    let _ = write!(
        s,
        "# Evidence export `{top}`

This bundle holds SOC 2 evidence collected by evidence-agent for the audit window
**{name}** ({window_span}), exactly as the agent stored it in its evidence vault.

| | |
|---|---|
| run folders dated | {from} to {to} (UTC, inclusive) |
| criteria | {criteria} |
| collectors | {collectors} |
| runs in this bundle | {runs} |
| runs of the window left out (outside the selection) | {outside} |
| files in the run folders (the evidence) | {files} ({bytes} bytes) |
| created | {created} by evidence-agent {version} on host `{host}` |

## Compare the ledger head

The last line of `{name}/ledger.jsonl` (line {lines}) has the SHA-256

    {head}

Compare it with a copy kept outside the vault (for example in the audit ticket). If they are the
same, no run was added to or removed from the end of the window's ledger since that copy was taken.

## How to check this bundle

Each step uses only the files in this folder. Run them from this folder (`cd {top}`).

1. Every file of the bundle against the bundle's own list:

       sha256sum -c SHA256SUMS

2. Each run folder on its own, with coreutils alone (each run folder holds a `SHA256SUMS`
   written by the agent when the run was committed, and `run.json`, the run record):

       {run_folders}

   (`find` refuses `-execdir` when `PATH` holds a relative folder such as `.`; use a plain `PATH`.)

3. The whole chain and every run record, with evidence-agent:

       evidence-agent verify --vault .

   It checks the window's hash chain (`ledger.jsonl`: every line's `seq` and the SHA-256 of the
   line before it), that each run in this bundle matches the `run_json_sha256` and `sums_sha256`
   of its ledger line and that every artifact matches its run record, that the runs left out are
   exactly those outside the selection in `export.json`, and that nothing else was added. It ends
   with a line saying `OK`, or lists every problem, each naming the file.

## What the chain proves for a subset, and what it cannot

The ledger is included whole, every line, also those of runs not in this bundle, so its chain can
be recomputed from the first line to the last. Every run in the bundle is tied by its ledger line
to the exact bytes of its `run.json` and `SHA256SUMS`, which in turn give the SHA-256 of every
artifact. Runs left out are still listed in the ledger (date, collector, status, hashes), so
what was left out is visible, and the selection in `export.json` says why.

What it cannot prove on its own: the ledger has no anchor outside the vault yet (no trusted
timestamp or signature), so someone who can write the vault could have removed the last runs of
the window together with their ledger lines, or rewritten the whole ledger before this bundle was
made. Comparing the ledger head above with a copy kept elsewhere closes that gap for the period up
to that copy.

## The report

Open `{name}/derived/report/index.html` in a browser: the report of the runs in this bundle
(coverage per day, findings, populations), with links to the artifacts. The report is derived from
the evidence; it is listed in `SHA256SUMS` but is not part of the chain.

The manifest `export.json` lists the selection and every run folder in this bundle; the vault
format, including exports, is specified in the project's `docs/vault-format.md`.
",
        name = w.name,
        from = dates(m.selection.from, "the first run"),
        to = dates(m.selection.to, "the last run"),
        runs = m.runs.len(),
        created = m.created_at,
        version = m.agent.version,
        host = m.agent.host,
        lines = m.ledger.lines,
        head = m.ledger.last_line_sha256,
        run_folders = RUN_FOLDERS_COMMAND,
    );
    s
}
