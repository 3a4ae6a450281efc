//! `run`: the daemon.

use std::sync::Arc;
use std::time::Duration;

use super::{Failure, Outcome, new_metrics, open_vault_for_writing, registry, runtime};
use crate::config::Config;
use crate::exit;
use crate::runner::Runner;
use crate::shutdown::Shutdown;

pub fn run(config: Arc<Config>) -> Outcome {
    let registry = registry(&config)?;
    let vault = open_vault_for_writing(&config)?;
    let metrics = new_metrics();
    let runner = Runner {
        config: config.clone(),
        vault,
        metrics: metrics.clone(),
    };
    let rt = runtime()?;
    rt.block_on(async move {
        let shutdown = Shutdown::on_signals(Duration::from_secs(config.agent.shutdown_grace_secs))
            .map_err(|e| Failure::evidence(anyhow::Error::new(e).context("cannot listen for signals")))?;
        let server = if config.http.enabled {
            let s = crate::telemetry::http::serve(config.http.listen, metrics, shutdown.stop.clone()).await.map_err(|e| {
                Failure::usage(anyhow::Error::new(e).context(format!("cannot listen on http.listen = {}", config.http.listen)))
            })?;
            Some(s)
        } else {
            None
        };
        tracing::info!(message = "Daemon started.", vault = %runner.vault.root().display(), collectors = registry.names().join(","));
        crate::scheduler::run_daemon(runner, registry, shutdown).await;
        if let Some(s) = server {
            let _ = s.await;
        }
        Ok(exit::OK)
    })
}
