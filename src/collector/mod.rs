//! Collectors: the `Collector` trait every evidence source implements, and the registry.
//!
//! Built-in collectors are Rust modules; custom collectors are folders in `collectors/` run as
//! external processes under the contract in `collectors/README.md` (see [`custom`]).

pub mod aws_iam;
pub mod custom;
pub mod github;
mod registry;
pub mod scan_reports;
pub mod tls;

pub use registry::{Registry, RegistryError};

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use crate::config::{Secret, Window};
use crate::evidence::{Finding, Refusal};
use crate::vault::StagedRun;

/// Where a collector comes from, as shown by `collectors` and recorded in run.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    BuiltIn,
    Custom,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BuiltIn => "built-in",
            Kind::Custom => "custom",
        }
    }
}

/// What a collector says about itself.
#[derive(Debug, Clone)]
pub struct Descriptor {
    pub name: String,
    pub version: String,
    pub description: String,
    pub kind: Kind,
    /// SOC 2 criteria the evidence supports, e.g. `CC6.1`.
    pub criteria: Vec<String>,
    /// Cron expression (with seconds) used when the config gives none.
    pub default_schedule: String,
    /// The collector's own time limit, if it declares one; the config may override it.
    pub timeout: Option<Duration>,
    /// Secrets the collector needs (environment variable names); a run without them is skipped.
    pub required_secrets: Vec<String>,
}

/// Everything a run gets from the agent.
pub struct RunContext {
    pub run_id: String,
    /// The audit window the run is filed under (`None`: outside every configured window).
    pub window: Option<Window>,
    /// The run must be done by then; collectors should check `cancel` too.
    pub deadline: tokio::time::Instant,
    /// Cancelled at the deadline or when the agent shuts down.
    pub cancel: CancellationToken,
    /// Secrets granted to this collector by the config, by environment variable name.
    pub secrets: BTreeMap<String, Secret>,
    /// Per-run limits from the config (custom collectors).
    pub max_output_bytes: Option<u64>,
    pub max_files: Option<u64>,
    /// Progress messages for the terminal display.
    pub progress: crate::progress::RunProgress,
    /// `state` of this collector's latest committed run in the same window that has one, or, on
    /// the first run of a window, of the window just before it (see `state_window`): where an
    /// incremental collector resumes. `None` when neither has one.
    pub previous_state: Option<serde_json::Value>,
    /// The window `previous_state` belongs to: the run's own window, except when the state was
    /// handed over from the window before it. `None` only outside every window.
    pub state_window: Option<Window>,
    /// The whole config, for built-in collectors with a section of their own (`[github]`).
    pub config: std::sync::Arc<crate::config::Config>,
}

/// What a collector hands back besides the artifacts it wrote into the staged run.
#[derive(Debug, Default)]
pub struct Collected {
    pub findings: Vec<Finding>,
    pub summary: serde_json::Map<String, serde_json::Value>,
    /// Provenance: what the collector was run with (never secret values).
    pub parameters: serde_json::Map<String, serde_json::Value>,
    pub refused: Vec<Refusal>,
    /// Text for `run.log` (a custom collector's stderr, notes).
    pub log: Vec<u8>,
    /// Where the next run resumes, written into run.json as `state` (succeeded and failed runs
    /// only: an interrupted run keeps no artifacts, so it cannot move a resume point).
    pub state: Option<serde_json::Value>,
}

/// Why a run did not succeed. The message says what happened and what to do.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    /// The collector ran and failed; whatever it produced is kept with the failed record.
    #[error("{reason}")]
    Failed {
        reason: String,
        partial: Box<Collected>,
    },
    /// The run cannot start as configured (e.g. the collector has no targets); the reason says
    /// what to set. Recorded as `skipped`, which is not an evidence problem.
    #[error("{0}")]
    Skipped(String),
    /// Stopped by the deadline or shutdown before it finished.
    #[error("{reason}")]
    Interrupted {
        reason: String,
        partial: Box<Collected>,
    },
    /// Could not write into the vault (disk full, permissions).
    #[error("vault: {0}")]
    Vault(#[from] crate::vault::VaultError),
}

impl CollectError {
    /// A built-in collector whose config section is missing: skipped, saying what to add
    /// (`what`), where its page is (docs/collectors/`doc`.md) and how to turn it off instead.
    pub fn not_configured(name: &str, what: &str, doc: &str) -> CollectError {
        CollectError::Skipped(format!(
            "not configured: add {what} (see docs/collectors/{doc}.md), or set \
             `enabled = false` in `[collectors.{name}]`"
        ))
    }
}

/// The resume state handed to a run (`RunContext::previous_state`) as `T`, when it is one this
/// version reads (`current`); otherwise `None`, logged with what starting afresh means
/// (`consequence`): evidence may then be stored again, never skipped.
pub fn previous_state<T: serde::de::DeserializeOwned>(
    v: Option<&serde_json::Value>,
    current: impl Fn(&T) -> bool,
    consequence: &str,
) -> Option<T> {
    match serde_json::from_value::<T>(v?.clone()) {
        Ok(s) if current(&s) => Some(s),
        _ => {
            tracing::warn!(
                message = "The previous run's state is not readable; starting afresh.",
                consequence
            );
            None
        }
    }
}

/// An evidence source. Implementations write artifacts into `run` and return the rest.
#[async_trait]
pub trait Collector: Send + Sync {
    fn descriptor(&self) -> &Descriptor;

    async fn collect(
        &self,
        ctx: &RunContext,
        run: &mut StagedRun,
    ) -> Result<Collected, CollectError>;
}
