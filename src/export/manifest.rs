//! `export.json`: what an export holds and how it was selected (docs/vault-format.md, "Exports").
//! Read back by `verify` to tell an export from a vault and to check the subset rule.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::report::Selection;

/// The manifest's file name at the bundle's root.
pub const FILE: &str = "export.json";
/// `kind` of every export manifest.
pub const KIND: &str = "evidence-agent-export";
/// `format` this agent writes and reads.
pub const FORMAT: u64 = 1;

/// The manifest as written: canonical JSON, pretty, final newline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `1`.
    pub format: u64,
    /// `evidence-agent-export`.
    pub kind: String,
    /// The exported window.
    pub window: WindowInfo,
    /// What was asked for.
    pub selection: SelectionInfo,
    /// When the bundle was written (RFC 3339 UTC).
    pub created_at: String,
    /// Which agent wrote it, where.
    pub agent: AgentInfo,
    /// The ledger as exported (whole), to compare with a copy kept elsewhere.
    pub ledger: LedgerInfo,
    /// Run folders in the bundle, relative to the window folder, sorted.
    pub runs: Vec<String>,
}

/// The window's name and dates (`null` for `outside-window`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowInfo {
    /// The window folder's name.
    pub name: String,
    /// First day of the window.
    pub start: Option<NaiveDate>,
    /// Last day of the window.
    pub end: Option<NaiveDate>,
}

/// The selection: run-folder dates (inclusive) and collectors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionInfo {
    /// First run-folder date included; `null`: no lower bound.
    pub from: Option<NaiveDate>,
    /// Last run-folder date included; `null`: no upper bound.
    pub to: Option<NaiveDate>,
    /// Criteria asked for (empty: no criteria filter).
    pub criteria: Vec<String>,
    /// Collectors whose runs were taken; `null`: every collector.
    pub collectors: Option<BTreeSet<String>>,
}

impl SelectionInfo {
    pub fn selection(&self) -> Selection {
        Selection {
            from: self.from,
            to: self.to,
            collectors: self.collectors.clone(),
        }
    }
}

/// The agent that wrote the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentInfo {
    /// evidence-agent's version.
    pub version: String,
    /// The host name.
    pub host: String,
}

/// The whole ledger's size and head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerInfo {
    /// Number of lines.
    pub lines: u64,
    /// SHA-256 of the last line without its newline.
    pub last_line_sha256: String,
}

impl Manifest {
    /// Parses a manifest and checks its `format` and `kind`; the error says what is wrong.
    pub fn parse(bytes: &[u8]) -> Result<Manifest, String> {
        let m: Manifest =
            serde_json::from_slice(bytes).map_err(|e| format!("not an export manifest: {e}"))?;
        if m.kind != KIND || m.format != FORMAT {
            return Err(format!(
                "unknown export format `{}` {}: this agent reads `{KIND}` {FORMAT}",
                m.kind, m.format
            ));
        }
        Ok(m)
    }
}
