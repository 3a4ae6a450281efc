//! Keeps the vault's own report current: the daemon refreshes it after each run, `collect` after
//! its runs. The report is written by a child `evidence-agent report` process, so the memory a
//! large window needs is given back when it ends instead of staying with the long-lived daemon.
//! A report that cannot be written is logged, never a failed run: it is a derived view.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::Mutex;

use super::default_out;
use crate::config::Config;

#[derive(Clone)]
pub struct Refresher {
    config: Arc<Config>,
    /// One report write at a time: runs finishing together would otherwise race on the swap.
    lock: Arc<Mutex<()>>,
}

impl Refresher {
    pub fn new(config: Arc<Config>) -> Refresher {
        Refresher {
            config,
            lock: Arc::new(Mutex::new(())),
        }
    }

    /// Rewrites `<vault>/<window>/derived/report/`; returns its index page when written.
    pub async fn refresh(&self, window: String) -> Option<PathBuf> {
        let _one = self.lock.lock().await;
        let exe = match std::env::current_exe() {
            Ok(exe) => exe,
            Err(error) => {
                tracing::warn!(message = "Could not refresh the report: the agent's own binary cannot be found; the evidence is unaffected. Run `evidence-agent report`.", %error);
                return None;
            }
        };
        let out = tokio::process::Command::new(&exe)
            .arg("--config")
            .arg(&self.config.path)
            .args(["report", "--window", &window])
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output()
            .await;
        match out {
            Ok(out) if out.status.success() => {
                let index = default_out(&self.config.vault_dir(), &window).join("index.html");
                tracing::debug!(message = "Report refreshed.", window, index = %index.display());
                Some(index)
            }
            Ok(out) => {
                let error = String::from_utf8_lossy(&out.stderr);
                let error = error
                    .lines()
                    .rfind(|l| l.starts_with("error:"))
                    .unwrap_or("")
                    .trim();
                tracing::warn!(message = "Could not refresh the report; the evidence is unaffected. Run `evidence-agent report` to see why.", window, status = %out.status, %error);
                None
            }
            Err(error) => {
                tracing::warn!(message = "Could not start `evidence-agent report`; the evidence is unaffected.", window, exe = %exe.display(), %error);
                None
            }
        }
    }
}
