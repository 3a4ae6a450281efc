//! Graceful shutdown: the first SIGTERM/SIGINT stops new runs; in-flight runs get a grace period,
//! after which (or at a second signal) they are interrupted and recorded as such.

use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Two stages of stopping, handed to whatever runs collectors.
#[derive(Clone, Default)]
pub struct Shutdown {
    /// Cancelled at the first signal: start nothing new.
    pub stop: CancellationToken,
    /// Cancelled when the grace period ends or at a second signal: interrupt in-flight runs.
    pub hard: CancellationToken,
}

impl Shutdown {
    /// Listens for SIGTERM and SIGINT in the background.
    pub fn on_signals(grace: Duration) -> std::io::Result<Shutdown> {
        let s = Shutdown::default();
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let (stop, hard) = (s.stop.clone(), s.hard.clone());
        tokio::spawn(async move {
            tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
            tracing::info!(
                message = "Shutdown requested: starting no new runs.",
                grace_secs = grace.as_secs()
            );
            stop.cancel();
            tokio::select! {
                _ = tokio::time::sleep(grace) => tracing::warn!(message = "Grace period over: interrupting runs still in flight."),
                _ = term.recv() => tracing::warn!(message = "Second signal: interrupting runs now."),
                _ = int.recv() => tracing::warn!(message = "Second signal: interrupting runs now."),
            }
            hard.cancel();
        });
        Ok(s)
    }
}
