//! The read-only integrity check of a whole vault (docs/vault-format.md, "Verification").
//!
//! - [`check`]: the walk over the vault: `vault.json`, each window, staging notes.
//! - [`export`]: an unpacked export: which ledger runs its manifest says are present.
//! - [`ledger`]: one window's hash chain and `seq` order.
//! - [`run`]: one run folder against its ledger line, run record and SHA256SUMS.
//! - [`tree`]: walking a folder against what should be in it (extras).
//! - [`hash`]: hashing files on several threads, streamed.
//! - [`report`]: problems, notes and totals.

mod check;
mod export;
mod hash;
mod ledger;
mod report;
mod run;
mod tree;

pub use check::{VerifyError, verify};
pub use report::{Kind, Note, Problem, Report};
