//! Checks one window's ledger: every line canonical and complete, `seq` 1, 2, 3… in file order,
//! each `prev` the SHA-256 of the line before, each run named once.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;

use chrono::NaiveDate;

use super::report::{Kind, Note, Problem};
use crate::vault::canonical::{is_compact_canonical, sha256_hex};
use crate::vault::fsutil::open_nofollow;
use crate::vault::layout;
use crate::vault::ledger::{Entry, GENESIS};

/// A ledger line that parsed, with its 1-based line number.
#[derive(Debug, Clone)]
pub struct Line {
    /// 1-based line number in the file.
    pub number: u64,
    /// The parsed line.
    pub entry: Entry,
}

/// What a ledger yields for the rest of the check.
#[derive(Debug, Default)]
pub struct Checked {
    /// Lines naming a well-formed run path, first line per run: the runs the ledger accounts for.
    pub runs: Vec<Line>,
    /// Bytes read.
    pub bytes: u64,
}

/// A parsed line and whether its `prev` matched the line before it.
struct Parsed {
    line: Line,
    prev_ok: bool,
}

/// Reads the ledger at `path` (shown as `shown`) of window `window`, streaming it line by line.
pub fn check(
    path: &Path,
    shown: &str,
    window: &str,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<Note>,
) -> std::io::Result<Checked> {
    let mut reader = BufReader::with_capacity(64 * 1024, open_nofollow(path)?);
    let mut parsed: Vec<Parsed> = Vec::new();
    let mut malformed: BTreeSet<u64> = BTreeSet::new();
    let mut expected_prev = GENESIS.to_string();
    let mut raw = Vec::new();
    let mut bytes = 0u64;
    let mut number = 0u64;
    loop {
        raw.clear();
        if reader.read_until(b'\n', &mut raw)? == 0 {
            break;
        }
        number += 1;
        bytes += raw.len() as u64;
        if raw.last() != Some(&b'\n') {
            problems.push(Problem::at_line(
                Kind::Torn,
                shown,
                number,
                format!(
                    "the last line is torn ({} bytes without a final newline): an append was cut short; the agent's next start cuts it off and re-appends its run",
                    raw.len()
                ),
            ));
            malformed.insert(number);
            break;
        }
        raw.pop();
        let prev_ok_for = std::mem::replace(&mut expected_prev, sha256_hex(&raw));
        match serde_json::from_slice::<Entry>(&raw) {
            Err(e) => {
                problems.push(Problem::at_line(
                    Kind::Malformed,
                    shown,
                    number,
                    format!("not a ledger entry: {e}"),
                ));
                malformed.insert(number);
            }
            Ok(entry) => {
                if !is_compact_canonical(&raw) {
                    problems.push(Problem::at_line(
                        Kind::Malformed,
                        shown,
                        number,
                        "not canonical JSON (compact, keys sorted): the line was rewritten",
                    ));
                }
                if let Some(note) = &entry.note {
                    notes.push(Note {
                        path: format!("{shown}:{number}"),
                        detail: format!("{} (line written with a note: {note})", entry.run),
                    });
                }
                parsed.push(Parsed {
                    prev_ok: entry.prev == prev_ok_for,
                    line: Line { number, entry },
                });
            }
        }
    }
    let flagged = check_order(&parsed, &malformed, shown, problems);
    check_chain(&parsed, &malformed, &flagged, shown, problems);
    let runs = check_fields(parsed, window, shown, problems);
    Ok(Checked { runs, bytes })
}

/// Duplicate, missing and out-of-order `seq` values. Returns the line numbers flagged, whose
/// broken `prev` links are then explained already.
fn check_order(
    parsed: &[Parsed],
    malformed: &BTreeSet<u64>,
    shown: &str,
    problems: &mut Vec<Problem>,
) -> BTreeSet<u64> {
    let mut flagged = BTreeSet::new();
    let mut first_by_seq: HashMap<u64, u64> = HashMap::new();
    let mut unique: Vec<&Line> = Vec::new();
    for p in parsed {
        let line = &p.line;
        if line.entry.seq == 0 {
            problems.push(Problem::at_line(
                Kind::Malformed,
                shown,
                line.number,
                "`seq` is 0; it starts at 1",
            ));
        }
        match first_by_seq.get(&line.entry.seq) {
            Some(first) => {
                problems.push(Problem::at_line(
                    Kind::Extra,
                    shown,
                    line.number,
                    format!(
                        "`seq` {} repeats line {first}: a line was inserted or copied",
                        line.entry.seq
                    ),
                ));
                flagged.insert(line.number);
            }
            None => {
                first_by_seq.insert(line.entry.seq, line.number);
                unique.push(line);
            }
        }
    }
    // In order, the i-th line holds the i-th smallest seq; a line elsewhere was moved.
    let mut by_seq: Vec<&Line> = unique.clone();
    by_seq.sort_by_key(|l| l.entry.seq);
    for (line, rank) in unique.iter().zip(by_seq.iter()) {
        if line.number != rank.number {
            problems.push(Problem::at_line(
                Kind::Reordered,
                shown,
                line.number,
                format!("`seq` {} is out of order (line {} holds the seq that belongs here): lines were moved or swapped", line.entry.seq, rank.number),
            ));
            flagged.insert(line.number);
        }
    }
    // Gaps in 1, 2, 3…, unless malformed lines sit exactly where the missing seqs belong.
    let mut next = 1u64;
    for line in &by_seq {
        let seq = line.entry.seq;
        if seq > next {
            let (from, to) = (next, seq - 1);
            let covered =
                to - from < malformed.len() as u64 && (from..=to).all(|k| malformed.contains(&k));
            if !covered {
                let what = if from == to {
                    format!("`seq` {from} is missing")
                } else {
                    format!("`seq` {from} to {to} are missing")
                };
                problems.push(Problem::at_line(
                    Kind::Missing,
                    shown,
                    line.number,
                    format!("{what} before this line: ledger lines were removed"),
                ));
                flagged.insert(line.number);
            }
        }
        next = next.max(seq.saturating_add(1));
    }
    flagged
}

/// A `prev` that is not the SHA-256 of the line before, where order problems do not explain it.
fn check_chain(
    parsed: &[Parsed],
    malformed: &BTreeSet<u64>,
    flagged: &BTreeSet<u64>,
    shown: &str,
    problems: &mut Vec<Problem>,
) {
    let by_number: HashMap<u64, &Entry> = parsed
        .iter()
        .map(|p| (p.line.number, &p.line.entry))
        .collect();
    for p in parsed.iter().filter(|p| !p.prev_ok) {
        let n = p.line.number;
        if n == 1 {
            if p.line.entry.seq == 1 && !flagged.contains(&n) {
                problems.push(Problem::at_line(
                    Kind::Modified,
                    shown,
                    1,
                    "`prev` of the first line is not 64 zeros: the line was changed",
                ));
            }
            continue;
        }
        let before = n - 1;
        let explained = flagged.contains(&n)
            || flagged.contains(&before)
            || malformed.contains(&before)
            || by_number
                .get(&before)
                .is_some_and(|e| e.seq.saturating_add(1) != p.line.entry.seq);
        if !explained {
            problems.push(Problem::at_line(
                Kind::Modified,
                shown,
                before,
                format!("the line was changed after it was written: its SHA-256 is not the `prev` of line {n} (or line {n}'s `prev` was changed)"),
            ));
        }
    }
}

/// Per-line fields: window, run path, hex digests, and each run named once. Returns the lines
/// that account for a run folder.
fn check_fields(
    parsed: Vec<Parsed>,
    window: &str,
    shown: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Line> {
    let mut first_by_run: HashMap<String, u64> = HashMap::new();
    let mut runs = Vec::new();
    for Parsed { line, .. } in parsed {
        let (n, e) = (line.number, &line.entry);
        if e.window != window {
            problems.push(Problem::at_line(
                Kind::Modified,
                shown,
                n,
                format!(
                    "`window` is `{}` but this is the ledger of `{window}`",
                    e.window
                ),
            ));
        }
        for (key, value) in [
            ("prev", &e.prev),
            ("run_json_sha256", &e.run_json_sha256),
            ("sums_sha256", &e.sums_sha256),
        ] {
            if !is_sha256_hex(value) {
                problems.push(Problem::at_line(
                    Kind::Malformed,
                    shown,
                    n,
                    format!("`{key}` is not 64 lowercase hex digits"),
                ));
            }
        }
        let Some((_, collector, _)) = split_run(&e.run) else {
            problems.push(Problem::at_line(
                Kind::Malformed,
                shown,
                n,
                format!("`run` `{}` is not <YYYY-MM-DD>/<collector>/<run-id>", e.run),
            ));
            continue;
        };
        if collector != e.collector {
            problems.push(Problem::at_line(
                Kind::Modified,
                shown,
                n,
                format!(
                    "`collector` is `{}` but `run` is filed under `{collector}`",
                    e.collector
                ),
            ));
        }
        match first_by_run.get(&e.run) {
            Some(first) => problems.push(Problem::at_line(
                Kind::Extra,
                shown,
                n,
                format!("names run {} again (first on line {first})", e.run),
            )),
            None => {
                first_by_run.insert(e.run.clone(), n);
                runs.push(line);
            }
        }
    }
    runs
}

/// Splits a ledger `run` into date, collector and run id, if it has that shape.
pub fn split_run(run: &str) -> Option<(&str, &str, &str)> {
    let mut parts = run.split('/');
    let (date, collector, id) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = parts.next().is_none()
        && date.len() == 10
        && NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()
        && layout::valid_name(collector)
        && layout::valid_name(id);
    ok.then_some((date, collector, id))
}

pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::RunStatus;
    use crate::vault::canonical::compact;

    /// A chained ledger of `n` lines for window `w`, one run each.
    fn lines(n: u64) -> Vec<Vec<u8>> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let e = Entry {
                    seq,
                    prev: prev.clone(),
                    time: "2026-01-01T00:00:00.000Z".into(),
                    window: "w".into(),
                    run: format!("2026-01-01/c/20260101T00000{seq}Z-0000000{seq}"),
                    collector: "c".into(),
                    status: RunStatus::Succeeded,
                    started_at: "2026-01-01T00:00:00.000Z".into(),
                    finished_at: "2026-01-01T00:00:01.000Z".into(),
                    run_json_sha256: "a".repeat(64),
                    sums_sha256: "b".repeat(64),
                    note: None,
                };
                let line = compact(&e);
                prev = sha256_hex(&line);
                line
            })
            .collect()
    }

    /// Checks a ledger made of `lines` (joined with newlines, plus `tail`) and returns
    /// `(kind, line)` of each problem, sorted.
    fn problems_of(lines: &[Vec<u8>], tail: &[u8]) -> Vec<(Kind, u64)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        let mut bytes: Vec<u8> = lines
            .iter()
            .flat_map(|l| l.iter().copied().chain([b'\n']))
            .collect();
        bytes.extend_from_slice(tail);
        std::fs::write(&path, bytes).unwrap();
        let mut problems = Vec::new();
        check(&path, "w/ledger.jsonl", "w", &mut problems, &mut Vec::new()).unwrap();
        let mut out: Vec<(Kind, u64)> =
            problems.iter().map(|p| (p.kind, p.line.unwrap())).collect();
        out.sort();
        out
    }

    #[test]
    fn an_intact_ledger_has_no_problems_and_yields_every_run() {
        let l = lines(4);
        assert_eq!(problems_of(&l, b""), vec![]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.jsonl");
        std::fs::write(
            &path,
            l.join(&b'\n')
                .into_iter()
                .chain([b'\n'])
                .collect::<Vec<u8>>(),
        )
        .unwrap();
        let checked = check(&path, "x", "w", &mut Vec::new(), &mut Vec::new()).unwrap();
        assert_eq!(
            checked.runs.iter().map(|r| r.number).collect::<Vec<_>>(),
            vec![1, 2, 3, 4]
        );
    }

    #[test]
    fn swapped_lines_are_reordered_without_a_spurious_gap() {
        let mut l = lines(4);
        l.swap(1, 2);
        assert_eq!(
            problems_of(&l, b""),
            vec![(Kind::Reordered, 2), (Kind::Reordered, 3)]
        );
        let mut l = lines(3);
        l.swap(0, 1);
        assert_eq!(
            problems_of(&l, b""),
            vec![(Kind::Reordered, 1), (Kind::Reordered, 2)]
        );
    }

    #[test]
    fn a_removed_line_is_missing_at_the_line_after_it() {
        let mut l = lines(4);
        l.remove(1);
        assert_eq!(problems_of(&l, b""), vec![(Kind::Missing, 2)]);
        let mut l = lines(3);
        l.remove(0);
        assert_eq!(problems_of(&l, b""), vec![(Kind::Missing, 1)]);
    }

    #[test]
    fn a_repeated_line_is_extra() {
        let mut l = lines(3);
        l.insert(2, l[1].clone());
        // Line 3 repeats seq 2 (extra) and run 2 (extra); line 4's prev still matches line 3.
        assert_eq!(
            problems_of(&l, b""),
            vec![(Kind::Extra, 3), (Kind::Extra, 3)]
        );
    }

    #[test]
    fn a_changed_line_breaks_the_next_prev() {
        let mut l = lines(3);
        let text = String::from_utf8(l[1].clone())
            .unwrap()
            .replace("succeeded", "failed");
        l[1] = text.into_bytes();
        assert_eq!(problems_of(&l, b""), vec![(Kind::Modified, 2)]);
        let mut l = lines(2);
        l[0] = String::from_utf8(l[0].clone())
            .unwrap()
            .replace(GENESIS, &"1".repeat(64))
            .into_bytes();
        assert_eq!(
            problems_of(&l, b""),
            vec![(Kind::Modified, 1), (Kind::Modified, 1)]
        );
    }

    #[test]
    fn torn_and_malformed_lines_are_named_without_a_spurious_gap() {
        let l = lines(2);
        assert_eq!(problems_of(&l, b"{\"seq\":3"), vec![(Kind::Torn, 3)]);
        let mut l = lines(3);
        l[1] = b"not json".to_vec();
        assert_eq!(problems_of(&l, b""), vec![(Kind::Malformed, 2)]);
        let mut l = lines(2);
        l[1] = String::from_utf8(l[1].clone())
            .unwrap()
            .replace("\"seq\":2", "\"seq\":2 ")
            .into_bytes();
        assert_eq!(problems_of(&l, b""), vec![(Kind::Malformed, 2)]);
    }

    #[test]
    fn run_paths_must_have_the_layout_shape() {
        assert_eq!(
            split_run("2026-01-02/host/20260102T000000Z-abcdef12"),
            Some(("2026-01-02", "host", "20260102T000000Z-abcdef12"))
        );
        for bad in [
            "2026-01-02/host",
            "2026-13-02/host/x",
            "2026-01-02/../x",
            "2026-01-02/host/x/y",
            "2026-01-02/.h/x",
        ] {
            assert_eq!(split_run(bad), None, "{bad}");
        }
    }
}
