//! `collect`: run collectors once, now, and exit.

use std::sync::Arc;

use super::{Failure, Outcome, new_metrics, open_vault_for_writing, registry, runtime};
use crate::collector::Collector;
use crate::config::Config;
use crate::exit;
use crate::progress::Display;
use crate::runner::Runner;
use crate::shutdown::Shutdown;

pub fn run(config: Arc<Config>, names: &[String]) -> Outcome {
    let registry = registry(&config)?;
    let selected: Vec<Arc<dyn Collector>> = if names.is_empty() {
        registry
            .iter()
            .filter(|c| config.settings_for(&c.descriptor().name).enabled)
            .cloned()
            .collect()
    } else {
        names
            .iter()
            .map(|n| registry.get(n))
            .collect::<Result<_, _>>()
            .map_err(Failure::usage)?
    };
    if selected.is_empty() {
        return Err(Failure::usage(anyhow::anyhow!(
            "no collectors to run: add a folder to {} or enable one in the config",
            config.collectors_dir().display()
        )));
    }
    let vault = open_vault_for_writing(&config)?;
    let runner = Runner {
        config: config.clone(),
        vault,
        metrics: new_metrics(),
    };
    let reports = crate::report::Refresher::new(config.clone());
    let rt = runtime()?;
    rt.block_on(async move {
        let shutdown = Shutdown::on_signals(std::time::Duration::from_secs(
            config.agent.shutdown_grace_secs,
        ))
        .map_err(|e| {
            Failure::evidence(anyhow::Error::new(e).context("cannot listen for signals"))
        })?;
        let display = Display::detect();
        let limit = Arc::new(tokio::sync::Semaphore::new(
            config.agent.max_concurrent_runs.max(1),
        ));
        let mut tasks = tokio::task::JoinSet::new();
        for c in selected {
            let (runner, display, limit, stop, hard) = (
                runner.clone(),
                display.clone(),
                limit.clone(),
                shutdown.stop.clone(),
                shutdown.hard.clone(),
            );
            tasks.spawn(async move {
                let name = c.descriptor().name.clone();
                let _permit = tokio::select! {
                    p = limit.acquire_owned() => p.ok(),
                    _ = stop.cancelled() => None,
                };
                if stop.is_cancelled() {
                    return (name, None);
                }
                let progress = display.start(&name);
                let r = runner.run(c, hard.clone(), progress.clone()).await;
                match &r {
                    Ok(res) => progress.finish(&match &res.error {
                        Some(e) => format!("{} — {e}", res.status),
                        None => format!(
                            "{} — {} artifact(s), {} finding(s) → {}",
                            res.status,
                            res.committed.artifacts,
                            res.findings,
                            res.committed.dir.display()
                        ),
                    }),
                    Err(e) => progress.finish(&format!("not recorded — {e}")),
                }
                (name, Some(r))
            });
        }
        let mut code = exit::OK;
        let mut windows = std::collections::BTreeSet::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((_, Some(Ok(res)))) = &joined {
                windows.insert(res.committed.window.clone());
            }
            match joined {
                Ok((_, Some(Ok(res)))) if !res.status.is_problem() => {}
                Ok((name, None)) => {
                    eprintln!("{name}: not started — shutdown requested");
                    code = exit::EVIDENCE;
                }
                _ => code = exit::EVIDENCE,
            }
        }
        for window in windows {
            if let Some(index) = reports.refresh(window).await {
                eprintln!("report: {}", index.display());
            }
        }
        Ok(code)
    })
}
