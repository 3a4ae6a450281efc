//! Keeps the vault's own report current: the daemon refreshes it after each run, `collect` after
//! its runs. A report that cannot be written is logged, never a failed run: it is a derived view.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::Utc;

use super::{PlannedCollector, Selection, plan};
use crate::collector::Registry;
use crate::config::Config;

#[derive(Clone)]
pub struct Refresher {
    config: Arc<Config>,
    collectors: Arc<Vec<PlannedCollector>>,
    /// One report write at a time: runs finishing together would otherwise race on the swap.
    lock: Arc<Mutex<()>>,
}

impl Refresher {
    pub fn new(config: Arc<Config>, registry: &Registry) -> Refresher {
        let collectors = Arc::new(plan::collectors(&config, registry));
        Refresher {
            config,
            collectors,
            lock: Arc::new(Mutex::new(())),
        }
    }

    /// Rewrites `<vault>/<window>/derived/report/`; returns its index page when written.
    pub fn refresh(&self, window: &str) -> Option<PathBuf> {
        let _one = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let req = plan::request_for(
            &self.config,
            self.collectors.as_ref().clone(),
            window,
            Selection::default(),
            None,
            Utc::now(),
        );
        match super::write(&req) {
            Ok(summary) => {
                tracing::debug!(message = "Report refreshed.", window, index = %summary.index.display());
                Some(summary.index)
            }
            Err(error) => {
                tracing::warn!(message = "Could not refresh the report; the evidence is unaffected. Run `evidence-agent report` to see why.", window, %error);
                None
            }
        }
    }

    /// [`Refresher::refresh`] off the async workers.
    pub async fn refresh_async(&self, window: String) -> Option<PathBuf> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || me.refresh(&window))
            .await
            .ok()
            .flatten()
    }
}
