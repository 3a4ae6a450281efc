//! What verification found: problems (the vault is not intact) and notes (worth knowing, not wrong).

use std::fmt;

use serde::Serialize;

/// The class of a problem, printed first on its line so scripts can filter on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A file or ledger line differs from the hash or record that vouches for it.
    Modified,
    /// Something a ledger line or run record names is not there (including a removed ledger line).
    Missing,
    /// Something no ledger line accounts for (including an inserted or repeated ledger line).
    Extra,
    /// Ledger lines out of `seq` order (moved or swapped).
    Reordered,
    /// A ledger's last line has no final newline: an append was cut short.
    Torn,
    /// A file that cannot be parsed as what the format says it is.
    Malformed,
    /// A file or folder that could not be read, so it could not be checked.
    Unreadable,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Modified => "MODIFIED",
            Kind::Missing => "MISSING",
            Kind::Extra => "EXTRA",
            Kind::Reordered => "REORDERED",
            Kind::Torn => "TORN",
            Kind::Malformed => "MALFORMED",
            Kind::Unreadable => "UNREADABLE",
        }
    }
}

/// One thing wrong with the vault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What class of problem this is.
    pub kind: Kind,
    /// The file or folder, relative to the vault folder, `/`-separated.
    pub path: String,
    /// For ledger problems, the 1-based line number in the ledger.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// What is wrong, in words.
    pub detail: String,
}

impl Problem {
    pub fn new(kind: Kind, path: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            kind,
            path: path.into(),
            line: None,
            detail: detail.into(),
        }
    }

    pub fn at_line(
        kind: Kind,
        path: impl Into<String>,
        line: u64,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            kind,
            path: path.into(),
            line: Some(line),
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(
                f,
                "{} {}:{line}: {}",
                self.kind.as_str(),
                self.path,
                self.detail
            ),
            None => write!(f, "{} {}: {}", self.kind.as_str(), self.path, self.detail),
        }
    }
}

/// Something worth knowing that does not make the vault fail verification (e.g. a run in staging).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    /// The file or folder, relative to the vault folder.
    pub path: String,
    /// What it is and what will happen to it.
    pub detail: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NOTE {}: {}", self.path, self.detail)
    }
}

/// The outcome of verifying a vault.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Every problem found, sorted by path and line.
    pub problems: Vec<Problem>,
    /// Notes, sorted by path.
    pub notes: Vec<Note>,
    /// Ledger lines whose run folder was checked.
    pub runs: u64,
    /// Files read and hashed (artifacts, run records, SHA256SUMS, ledgers, vault.json).
    pub files: u64,
    /// Bytes read and hashed.
    pub bytes: u64,
    /// Hashing threads used.
    pub threads: usize,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }

    pub(super) fn sort(&mut self) {
        self.problems.sort_by(|a, b| {
            (&a.path, a.line, a.kind, &a.detail).cmp(&(&b.path, b.line, b.kind, &b.detail))
        });
        self.problems.dedup();
        self.notes.sort_by(|a, b| a.path.cmp(&b.path));
    }
}
