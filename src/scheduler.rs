//! When collectors run: cron schedules in the configured time zone, jitter, catch-up at start-up,
//! a bound on concurrent runs, and the daemon loop that ties them to the runner.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use crate::collector::{Collector, Registry};
use crate::config::{Config, Schedule};
use crate::evidence::RunStatus;
use crate::progress::RunProgress;
use crate::runner::Runner;
use crate::shutdown::Shutdown;
use crate::vault::ledger::Entry;

/// The schedule a collector runs on: the config's, else the collector's default.
pub fn schedule_for(config: &Config, collector: &dyn Collector) -> Result<Schedule, String> {
    match config.settings_for(&collector.descriptor().name).schedule {
        Some(s) => Ok(s),
        None => Schedule::parse(&collector.descriptor().default_schedule),
    }
}

/// The next fire time strictly after `after`, reading the schedule in `tz`.
pub fn next_fire(
    schedule: &Schedule,
    tz: chrono_tz::Tz,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    schedule
        .next_after(&after.with_timezone(&tz))
        .map(|t| t.with_timezone(&Utc))
}

/// A catch-up run is due when there was never a success, or when a scheduled time has passed
/// since the last success (the last success is older than one period).
pub fn needs_catch_up(
    schedule: &Schedule,
    tz: chrono_tz::Tz,
    last_success: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    match last_success {
        None => true,
        Some(last) => next_fire(schedule, tz, last).is_some_and(|t| t <= now),
    }
}

/// The last successful run per collector, from the vault's ledgers.
pub fn last_successes(entries: &[Entry]) -> BTreeMap<String, DateTime<Utc>> {
    let mut out: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    for e in entries.iter().filter(|e| e.status == RunStatus::Succeeded) {
        if let Ok(t) = DateTime::parse_from_rfc3339(&e.started_at) {
            let t = t.with_timezone(&Utc);
            let slot = out.entry(e.collector.clone()).or_insert(t);
            if t > *slot {
                *slot = t;
            }
        }
    }
    out
}

/// Sleeps until `at` (wall clock), waking at least every minute so clock changes are noticed.
/// Returns false if `stop` fired first.
async fn sleep_until(at: DateTime<Utc>, stop: &tokio_util::sync::CancellationToken) -> bool {
    loop {
        let left = at - Utc::now();
        let Ok(left) = left.to_std() else { return true };
        if left.is_zero() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(left.min(Duration::from_secs(60))) => {}
            _ = stop.cancelled() => return false,
        }
    }
}

/// The daemon: runs every enabled collector on its schedule until `shutdown.stop`, then waits
/// for in-flight runs (which `shutdown.hard` interrupts after the grace period).
pub async fn run_daemon(runner: Runner, registry: Registry, shutdown: Shutdown) {
    let config = runner.config.clone();
    let tz = config.agent.timezone.0;
    let limit = Arc::new(Semaphore::new(config.agent.max_concurrent_runs.max(1)));
    let successes = match crate::vault::index::entries(runner.vault.root()) {
        Ok(entries) => last_successes(&entries),
        Err(error) => {
            tracing::warn!(message = "Could not read the vault's ledgers; treating every collector as never run.", %error);
            BTreeMap::new()
        }
    };
    for (name, at) in &successes {
        runner.metrics.set_last_success(name, *at);
    }
    let reports = crate::report::Refresher::new(config.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for collector in registry.iter() {
        let name = collector.descriptor().name.clone();
        if !config.settings_for(&name).enabled {
            tracing::info!(message = "Collector disabled in the config.", collector = %name);
            continue;
        }
        let schedule = match schedule_for(&config, collector.as_ref()) {
            Ok(s) => s,
            Err(error) => {
                tracing::error!(message = "Collector has an invalid default schedule; it will not run.", collector = %name, %error);
                continue;
            }
        };
        let catch_up = needs_catch_up(&schedule, tz, successes.get(&name).copied(), Utc::now());
        let (runner, collector, limit, shutdown, reports) = (
            runner.clone(),
            collector.clone(),
            limit.clone(),
            shutdown.clone(),
            reports.clone(),
        );
        let jitter = config.agent.jitter_secs;
        tasks.spawn(async move {
            if catch_up {
                tracing::info!(message = "Catch-up run: the last successful run is older than one period.", collector = %name);
            }
            let mut due_now = catch_up;
            loop {
                if !due_now {
                    let Some(next) = next_fire(&schedule, tz, Utc::now()) else {
                        tracing::warn!(message = "Schedule has no future fire time; collector stops.", collector = %name);
                        return;
                    };
                    let at = next + chrono::Duration::seconds(crate::random::up_to(jitter) as i64);
                    tracing::debug!(message = "Next run scheduled.", collector = %name, at = %at);
                    if !sleep_until(at, &shutdown.stop).await {
                        return;
                    }
                }
                due_now = false;
                let permit = tokio::select! {
                    p = limit.clone().acquire_owned() => p,
                    _ = shutdown.stop.cancelled() => return,
                };
                let Ok(_permit) = permit else { return };
                if shutdown.stop.is_cancelled() {
                    return;
                }
                match runner.run(collector.clone(), shutdown.hard.clone(), RunProgress::none(&name)).await {
                    Ok(done) => {
                        reports.refresh(done.committed.window).await;
                    }
                    Err(error) => {
                        tracing::error!(message = "Run could not be recorded in the vault.", collector = %name, %error);
                    }
                }
            }
        });
    }
    if tasks.is_empty() {
        tracing::warn!(
            message =
                "No enabled collectors: the daemon has nothing to do until the config changes."
        );
    }
    while tasks.join_next().await.is_some() {}
    tracing::info!(message = "All runs finished; daemon stopped.");
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).single().unwrap()
    }

    #[test]
    fn next_fire_reads_the_schedule_in_the_configured_zone() {
        let daily_3am = Schedule::parse("0 0 3 * * *").unwrap();
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        // 03:00 in Berlin in winter (UTC+1) is 02:00 UTC.
        assert_eq!(
            next_fire(&daily_3am, berlin, utc(2026, 11, 23, 0, 0)),
            Some(utc(2026, 11, 23, 2, 0))
        );
        assert_eq!(
            next_fire(&daily_3am, chrono_tz::UTC, utc(2026, 11, 23, 3, 0)),
            Some(utc(2026, 11, 24, 3, 0))
        );
    }

    #[test]
    fn catch_up_is_due_only_after_a_missed_period() {
        let daily_3am = Schedule::parse("0 0 3 * * *").unwrap();
        let tz = chrono_tz::UTC;
        let now = utc(2026, 11, 23, 12, 0);
        assert!(needs_catch_up(&daily_3am, tz, None, now), "never run");
        assert!(
            !needs_catch_up(&daily_3am, tz, Some(utc(2026, 11, 23, 3, 0)), now),
            "ran at today's slot"
        );
        assert!(
            needs_catch_up(&daily_3am, tz, Some(utc(2026, 11, 22, 3, 0)), now),
            "missed today's 03:00"
        );
    }

    #[test]
    fn last_success_ignores_failed_runs() {
        let entry = |collector: &str, status, at: &str| Entry {
            seq: 1,
            prev: String::new(),
            time: at.into(),
            window: "w".into(),
            run: "r".into(),
            collector: collector.into(),
            status,
            started_at: at.into(),
            finished_at: at.into(),
            run_json_sha256: String::new(),
            sums_sha256: String::new(),
            note: None,
        };
        let entries = vec![
            entry("a", RunStatus::Succeeded, "2026-11-20T03:00:00.000Z"),
            entry("a", RunStatus::Failed, "2026-11-22T03:00:00.000Z"),
            entry("a", RunStatus::Succeeded, "2026-11-21T03:00:00.000Z"),
        ];
        assert_eq!(
            last_successes(&entries).get("a"),
            Some(&utc(2026, 11, 21, 3, 0))
        );
    }
}
