//! Prometheus metrics: runs, failures, last success per collector, artifacts and bytes written.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::evidence::RunStatus;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    collector: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CollectorLabel {
    collector: String,
}

/// The agent's metrics; one instance per process.
pub struct Metrics {
    registry: Mutex<Registry>,
    runs: Family<RunLabels, Counter>,
    commit_failures: Family<CollectorLabel, Counter>,
    last_success: Family<CollectorLabel, Gauge>,
    artifacts: Family<CollectorLabel, Counter>,
    bytes: Family<CollectorLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("evidence_agent");
        let runs = Family::<RunLabels, Counter>::default();
        let commit_failures = Family::<CollectorLabel, Counter>::default();
        let last_success = Family::<CollectorLabel, Gauge>::default();
        let artifacts = Family::<CollectorLabel, Counter>::default();
        let bytes = Family::<CollectorLabel, Counter>::default();
        registry.register(
            "runs",
            "Runs committed to the vault, by collector and status",
            runs.clone(),
        );
        registry.register(
            "commit_failures",
            "Runs that could not be written to the vault",
            commit_failures.clone(),
        );
        registry.register(
            "last_success_timestamp_seconds",
            "Unix time of the last successful run per collector",
            last_success.clone(),
        );
        registry.register(
            "artifacts_written",
            "Files written to the vault (artifacts, run.log)",
            artifacts.clone(),
        );
        registry.register("bytes_written", "Bytes written to the vault", bytes.clone());
        Metrics {
            registry: Mutex::new(registry),
            runs,
            commit_failures,
            last_success,
            artifacts,
            bytes,
        }
    }

    pub fn record_run(
        &self,
        collector: &str,
        status: RunStatus,
        artifacts: u64,
        bytes: u64,
        at: DateTime<Utc>,
    ) {
        self.runs
            .get_or_create(&RunLabels {
                collector: collector.to_string(),
                status: status.as_str().to_string(),
            })
            .inc();
        let c = CollectorLabel {
            collector: collector.to_string(),
        };
        self.artifacts.get_or_create(&c).inc_by(artifacts);
        self.bytes.get_or_create(&c).inc_by(bytes);
        if status == RunStatus::Succeeded {
            self.last_success.get_or_create(&c).set(at.timestamp());
        }
    }

    /// Seeds the last-success gauge from the vault at start-up, so a restart does not reset it.
    pub fn set_last_success(&self, collector: &str, at: DateTime<Utc>) {
        self.last_success
            .get_or_create(&CollectorLabel {
                collector: collector.to_string(),
            })
            .set(at.timestamp());
    }

    pub fn record_failure_to_commit(&self, collector: &str) {
        self.commit_failures
            .get_or_create(&CollectorLabel {
                collector: collector.to_string(),
            })
            .inc();
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        let registry = self.registry.lock().unwrap_or_else(|p| p.into_inner());
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}
