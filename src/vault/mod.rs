//! The evidence vault on a local directory. The format is specified in `docs/vault-format.md`.
//!
//! - [`layout`]: every path of the vault, in one place.
//! - [`canonical`]: canonical JSON, hashing and timestamps for anything hashed.
//! - [`fsutil`]: durable writes: create-exclusive, fsync, no-clobber rename, permissions.
//! - [`ledger`]: the per-window hash chain.
//! - [`writer`]: staging a run and committing it.
//! - [`recover`]: start-up recovery after a crash.
//! - [`verify`]: the read-only integrity check.
//! - [`index`]: the read side for status and scheduling.

pub mod canonical;
pub mod fsutil;
pub mod index;
pub mod layout;
pub mod ledger;
pub mod recover;
pub mod verify;
mod writer;

pub(crate) use writer::hostname;
pub use writer::{CollectorInfo, Committed, Outcome, RunMeta, StagedRun, Vault, WindowRef};

use std::path::PathBuf;

/// What can go wrong writing or reading the vault. Every variant names the path.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("{action} {path}: {source}{hint}", hint = io_hint(source))]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{path} is not an evidence-agent vault (vault.json: {reason}); point `agent.vault_dir` at an empty or existing vault folder"
    )]
    NotAVault { path: PathBuf, reason: String },
    #[error("artifact name `{name}` refused: {reason}")]
    BadName { name: String, reason: String },
    #[error("run folder {0} exists already; the vault never replaces committed evidence")]
    Exists(PathBuf),
    #[error("ledger {path} line {line}: {reason}")]
    Ledger {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

impl VaultError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> VaultError {
        let path = path.into();
        move |source| VaultError::Io {
            action,
            path,
            source,
        }
    }
}

fn io_hint(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::ENOSPC) => {
            " (the vault's disk is full: free space; everything committed before is intact)"
        }
        Some(libc::EDQUOT) => {
            " (disk quota exceeded: raise the quota; everything committed before is intact)"
        }
        Some(libc::EACCES) | Some(libc::EPERM) => {
            " (permission denied: the agent's user needs write access to the vault folder)"
        }
        Some(libc::EROFS) => {
            " (read-only file system: with systemd, add the vault to ReadWritePaths=)"
        }
        _ => "",
    }
}
