//! Carries out one run of one collector: window, secrets, deadline, cancellation, and the run's
//! record in the vault, whatever happens.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::collector::{CollectError, Collected, Collector, RunContext};
use crate::config::OUTSIDE_WINDOW;
use crate::config::{Config, Secret, Window};
use crate::evidence::RunStatus;
use crate::progress::RunProgress;
use crate::telemetry::Metrics;
use crate::vault::{
    CollectorInfo, Committed, Outcome, RunMeta, Vault, VaultError, WindowRef, layout,
};

/// How long a collector gets after its cancellation before the agent stops waiting for it.
const CANCEL_GRACE: Duration = Duration::from_secs(10);

/// What the caller learns about a finished run.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub collector: String,
    pub status: RunStatus,
    pub error: Option<String>,
    pub findings: usize,
    pub committed: Committed,
}

/// Runs collectors against one vault with one config.
#[derive(Clone)]
pub struct Runner {
    pub config: Arc<Config>,
    pub vault: Vault,
    pub metrics: Arc<Metrics>,
}

impl Runner {
    /// Runs `collector` now. `interrupt` ends the run early (shutdown); the run is recorded in the
    /// vault in every case but one: the vault itself cannot be written (the error says why).
    pub async fn run(
        &self,
        collector: Arc<dyn Collector>,
        interrupt: CancellationToken,
        progress: RunProgress,
    ) -> Result<RunResult, VaultError> {
        let d = collector.descriptor();
        let started = Utc::now();
        let run_id = layout::new_run_id(started);
        let window = self.config.window_for(started.date_naive()).cloned();
        let window_ref = match &window {
            Some(w) => WindowRef {
                name: w.name.clone(),
                start: Some(w.start),
                end: Some(w.end),
            },
            None => WindowRef {
                name: OUTSIDE_WINDOW.to_string(),
                start: None,
                end: None,
            },
        };
        if window.is_none() {
            tracing::warn!(message = "No audit window covers today; filing the run under `outside-window`.", collector = %d.name, date = %started.date_naive());
        }
        let meta = RunMeta {
            run_id: run_id.clone(),
            collector: CollectorInfo {
                name: d.name.clone(),
                version: d.version.clone(),
                kind: d.kind.as_str().to_string(),
            },
            criteria: d.criteria.clone(),
            window: window_ref,
            started_at: started,
        };
        let mut staged = self.vault.begin(meta)?;
        tracing::info!(message = "Run started.", collector = %d.name, run_id = %run_id);
        let settings = self.config.settings_for(&d.name);

        let outcome = match resolve_secrets(&d.name, &d.required_secrets, &settings.secrets) {
            Err(reason) => Outcome::new(RunStatus::Skipped, Some(reason)),
            Ok(secrets) => {
                let limit = settings
                    .deadline_secs
                    .map(Duration::from_secs)
                    .or(d.timeout)
                    .unwrap_or(Duration::from_secs(self.config.agent.deadline_secs));
                let cancel = interrupt.child_token();
                let (previous_state, state_window) = match &window {
                    Some(w) => self.previous_state(w, &d.name),
                    None => (None, None),
                };
                let ctx = RunContext {
                    run_id: run_id.clone(),
                    window,
                    deadline: tokio::time::Instant::now() + limit,
                    cancel: cancel.clone(),
                    secrets,
                    max_output_bytes: settings.max_output_bytes,
                    max_files: settings.max_files,
                    progress: progress.clone(),
                    previous_state,
                    state_window,
                    config: self.config.clone(),
                };
                let result = {
                    let work = collector.collect(&ctx, &mut staged);
                    tokio::pin!(work);
                    tokio::select! {
                        r = &mut work => Some(r),
                        _ = tokio::time::sleep(limit) => {
                            cancel.cancel();
                            tokio::time::timeout(CANCEL_GRACE, &mut work).await.ok()
                        }
                    }
                };
                let deadline_hit = !interrupt.is_cancelled() && cancel.is_cancelled();
                let why_interrupted = if deadline_hit {
                    format!(
                        "the run passed its deadline of {}s (raise `deadline_secs` for this collector if it needs longer)",
                        limit.as_secs()
                    )
                } else {
                    "the agent was shut down before the run finished".to_string()
                };
                let mut outcome = match result {
                    Some(Ok(collected)) => {
                        with_collected(Outcome::new(RunStatus::Succeeded, None), collected)
                    }
                    Some(Err(CollectError::Failed { reason, partial })) => {
                        with_collected(Outcome::new(RunStatus::Failed, Some(reason)), *partial)
                    }
                    Some(Err(CollectError::Skipped(reason))) => {
                        Outcome::new(RunStatus::Skipped, Some(reason))
                    }
                    Some(Err(CollectError::Interrupted { reason, partial })) => {
                        let reason = if cancel.is_cancelled() {
                            format!("{why_interrupted}: {reason}")
                        } else {
                            reason
                        };
                        interrupted(&mut staged, reason, *partial)?
                    }
                    Some(Err(CollectError::Vault(e))) => Outcome::new(
                        RunStatus::Failed,
                        Some(format!("could not write evidence: {e}")),
                    ),
                    None => interrupted(
                        &mut staged,
                        format!(
                            "{why_interrupted}; the collector did not stop within {}s of being cancelled",
                            CANCEL_GRACE.as_secs()
                        ),
                        Collected::default(),
                    )?,
                };
                redact(&mut outcome, &ctx.secrets);
                outcome
            }
        };
        let (status, error, findings) = (
            outcome.status,
            outcome.error.clone(),
            outcome.findings.len(),
        );
        let committed = match staged.commit(outcome) {
            Ok(c) => c,
            Err(e) => {
                self.metrics.record_failure_to_commit(&d.name);
                tracing::error!(message = "Could not commit the run; it stays in staging and is recorded as interrupted at the next start.", collector = %d.name, run_id = %run_id, error = %e);
                return Err(e);
            }
        };
        self.metrics.record_run(
            &d.name,
            status,
            committed.artifacts as u64,
            committed.bytes,
            Utc::now(),
        );
        match status {
            RunStatus::Succeeded => {
                tracing::info!(message = "Run succeeded.", collector = %d.name, run = %committed.dir.display(), artifacts = committed.artifacts, findings)
            }
            RunStatus::Skipped => {
                tracing::warn!(message = "Run skipped.", collector = %d.name, reason = error.as_deref().unwrap_or(""))
            }
            _ => {
                tracing::error!(message = "Run did not succeed.", collector = %d.name, %status, error = error.as_deref().unwrap_or(""))
            }
        }
        Ok(RunResult {
            collector: d.name.clone(),
            status,
            error,
            findings,
            committed,
        })
    }

    /// Where `collector` resumes in `window`: its own latest state there, or else the state left
    /// in the window just before, so merges on that window's last hours are still collected.
    fn previous_state(
        &self,
        window: &Window,
        collector: &str,
    ) -> (Option<serde_json::Value>, Option<Window>) {
        let root = self.vault.root();
        if let Some(state) = crate::vault::index::latest_state(root, &window.name, collector) {
            return (Some(state), Some(window.clone()));
        }
        let handed = self.config.window_before(window).and_then(|before| {
            crate::vault::index::latest_state(root, &before.name, collector)
                .map(|state| (Some(state), Some(before.clone())))
        });
        handed.unwrap_or_else(|| (None, Some(window.clone())))
    }
}

fn with_collected(mut o: Outcome, c: Collected) -> Outcome {
    o.findings = c.findings;
    o.summary = c.summary;
    o.parameters = c.parameters;
    o.refused = c.refused;
    o.log = c.log;
    o.state = c.state;
    o.finished_at = Utc::now();
    o
}

/// An interrupted run keeps no partial artifacts, only its log and what was refused.
fn interrupted(
    staged: &mut crate::vault::StagedRun,
    reason: String,
    partial: Collected,
) -> Result<Outcome, VaultError> {
    let (files, bytes) = staged.discard_artifacts()?;
    let reason = if files > 0 {
        format!("{reason}; {files} partial file(s), {bytes} byte(s) discarded")
    } else {
        reason
    };
    let mut o = with_collected(Outcome::new(RunStatus::Interrupted, Some(reason)), partial);
    o.findings.clear();
    o.state = None;
    Ok(o)
}

/// Resolves the secrets granted to a collector; a missing one skips the run with what to set.
fn resolve_secrets(
    collector: &str,
    required: &[String],
    granted: &BTreeMap<String, crate::config::SecretRef>,
) -> Result<BTreeMap<String, Secret>, String> {
    for name in required {
        if !granted.contains_key(name) {
            return Err(format!(
                "needs secret {name}: grant it in the config, e.g. `[collectors.{collector}.secrets] {name} = \"env:{name}\"`, and set that variable"
            ));
        }
    }
    let mut out = BTreeMap::new();
    for (name, reference) in granted {
        let secret = reference
            .resolve()
            .map_err(|e| format!("secret {name} ({reference}) is not available: {e}"))?;
        out.insert(name.clone(), secret);
    }
    Ok(out)
}

/// Replaces any secret value that a collector echoed into its log or record text.
fn redact(o: &mut Outcome, secrets: &BTreeMap<String, Secret>) {
    for (name, secret) in secrets {
        let value = secret.expose();
        if value.len() < 4 {
            continue; // too short to tell from ordinary text
        }
        let mask = format!("[redacted secret {name}]");
        if let Some(e) = &mut o.error {
            *e = e.replace(value, &mask);
        }
        if o.log.windows(value.len()).any(|w| w == value.as_bytes()) {
            o.log = String::from_utf8_lossy(&o.log)
                .replace(value, &mask)
                .into_bytes();
        }
        for part in [&mut o.summary, &mut o.parameters] {
            let text = serde_json::Value::Object(std::mem::take(part)).to_string();
            if let Ok(serde_json::Value::Object(m)) =
                serde_json::from_str(&text.replace(value, &mask))
            {
                *part = m;
            }
        }
        for f in &mut o.findings {
            for s in [&mut f.subject, &mut f.message] {
                *s = s.replace(value, &mask);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collector::{Descriptor, Kind};
    use crate::evidence::{Finding, Severity};
    use crate::vault::StagedRun;
    use async_trait::async_trait;

    /// A built-in-style collector whose behaviour each test picks.
    struct Fake {
        d: Descriptor,
        behaviour: Behaviour,
    }

    enum Behaviour {
        Succeed,
        /// Ignores cancellation entirely: the runner must stop waiting for it.
        Hang,
        /// Writes a file, then stops when cancelled, as a well-behaved collector does.
        WriteThenWaitForCancel,
        EchoSecret,
        /// Counts runs through `state`; fails (keeping state) or is interrupted when told.
        Resume(ResumeEnd),
    }

    #[derive(Clone, Copy)]
    enum ResumeEnd {
        Succeed,
        Fail,
        Interrupt,
    }

    fn fake(behaviour: Behaviour, required_secrets: Vec<String>) -> Arc<dyn Collector> {
        Arc::new(Fake {
            d: Descriptor {
                name: "fake".into(),
                version: "1".into(),
                description: "test".into(),
                kind: Kind::BuiltIn,
                criteria: vec!["CC8.1".into()],
                default_schedule: "0 0 3 * * *".into(),
                timeout: Some(Duration::from_secs(5)),
                required_secrets,
            },
            behaviour,
        })
    }

    #[async_trait]
    impl Collector for Fake {
        fn descriptor(&self) -> &Descriptor {
            &self.d
        }
        async fn collect(
            &self,
            ctx: &RunContext,
            run: &mut StagedRun,
        ) -> Result<Collected, CollectError> {
            match self.behaviour {
                Behaviour::Succeed => {
                    run.add_bytes("prs.csv", "text/csv", b"repo,number\nx,1\n")?;
                    Ok(Collected {
                        findings: vec![Finding {
                            rule: "r".into(),
                            severity: Severity::High,
                            subject: "x#1".into(),
                            message: "m".into(),
                            artifact: Some("prs.csv".into()),
                        }],
                        ..Collected::default()
                    })
                }
                Behaviour::Hang => {
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    Ok(Collected::default())
                }
                Behaviour::WriteThenWaitForCancel => {
                    run.add_bytes("partial.json", "application/json", b"{}")?;
                    ctx.cancel.cancelled().await;
                    Err(CollectError::Interrupted {
                        reason: "stopped on request".into(),
                        partial: Box::default(),
                    })
                }
                Behaviour::Resume(end) => {
                    let n = ctx
                        .previous_state
                        .as_ref()
                        .and_then(|s| s["n"].as_u64())
                        .unwrap_or(0);
                    let from = ctx.state_window.as_ref().map(|w| w.name.clone());
                    let collected = Collected {
                        state: Some(serde_json::json!({ "n": n + 1, "from": from })),
                        ..Collected::default()
                    };
                    match end {
                        ResumeEnd::Succeed => Ok(collected),
                        ResumeEnd::Fail => Err(CollectError::Failed {
                            reason: "half done".into(),
                            partial: Box::new(collected),
                        }),
                        ResumeEnd::Interrupt => Err(CollectError::Interrupted {
                            reason: "stopped".into(),
                            partial: Box::new(collected),
                        }),
                    }
                }
                Behaviour::EchoSecret => {
                    let value = ctx.secrets["TOKEN"].expose().to_string();
                    Ok(Collected {
                        log: format!("token is {value}\n").into_bytes(),
                        summary: [("t".to_string(), serde_json::json!(value))]
                            .into_iter()
                            .collect(),
                        ..Collected::default()
                    })
                }
            }
        }
    }

    /// One run of `collector` that nothing cancels.
    async fn run_fake(runner: &Runner, collector: Arc<dyn Collector>) -> RunResult {
        runner
            .run(
                collector,
                CancellationToken::new(),
                RunProgress::none("fake"),
            )
            .await
            .unwrap()
    }

    fn runner(dir: &std::path::Path, extra: &str) -> Runner {
        runner_in(dir, &[("w", "2000-01-01", "2099-12-31")], extra)
    }

    /// A runner whose config has `windows` as (name, start, end).
    fn runner_in(dir: &std::path::Path, windows: &[(&str, &str, &str)], extra: &str) -> Runner {
        let windows: String = windows
            .iter()
            .map(|(name, start, end)| {
                format!("[[windows]]\nname = \"{name}\"\nstart = \"{start}\"\nend = \"{end}\"\n")
            })
            .collect();
        let text = format!("[agent]\nvault_dir = \"vault\"\n{windows}{extra}");
        let config =
            crate::config::parse(&dir.join("config.toml"), &text).expect("test config parses");
        let vault = Vault::open(&dir.join("vault")).unwrap();
        Runner {
            config: Arc::new(config),
            vault,
            metrics: Arc::new(Metrics::new()),
        }
    }

    fn record(r: &RunResult) -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(r.committed.dir.join("run.json")).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn a_successful_run_records_artifacts_and_findings() {
        let dir = tempfile::tempdir().unwrap();
        let r = run_fake(&runner(dir.path(), ""), fake(Behaviour::Succeed, vec![])).await;
        assert_eq!(r.status, RunStatus::Succeeded);
        let rec = record(&r);
        assert_eq!(rec["artifacts"][0]["path"], "artifacts/prs.csv");
        assert_eq!(rec["findings_summary"]["high"], 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_collector_that_ignores_its_deadline_is_recorded_as_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let r = run_fake(&runner(dir.path(), ""), fake(Behaviour::Hang, vec![])).await;
        assert_eq!(r.status, RunStatus::Interrupted);
        let err = r.error.unwrap();
        assert!(
            err.contains("deadline of 5s") && err.contains("did not stop"),
            "{err}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn shutdown_interrupts_and_discards_partial_artifacts() {
        let dir = tempfile::tempdir().unwrap();
        let stop = CancellationToken::new();
        let trigger = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            trigger.cancel();
        });
        let r = runner(dir.path(), "")
            .run(
                fake(Behaviour::WriteThenWaitForCancel, vec![]),
                stop,
                RunProgress::none("fake"),
            )
            .await
            .unwrap();
        assert_eq!(r.status, RunStatus::Interrupted);
        assert!(
            r.error
                .as_deref()
                .unwrap()
                .starts_with("the agent was shut down"),
            "{:?}",
            r.error
        );
        assert_eq!(
            record(&r)["artifacts"],
            serde_json::json!([]),
            "no partial evidence kept"
        );
        assert!(r.error.unwrap().contains("1 partial file(s)"));
    }

    #[tokio::test]
    async fn a_missing_secret_skips_the_run_saying_what_to_set() {
        let dir = tempfile::tempdir().unwrap();
        let r = run_fake(
            &runner(dir.path(), ""),
            fake(Behaviour::Succeed, vec!["GITHUB_TOKEN".into()]),
        )
        .await;
        assert_eq!(r.status, RunStatus::Skipped);
        assert!(
            r.error
                .unwrap()
                .contains("[collectors.fake.secrets] GITHUB_TOKEN = \"env:GITHUB_TOKEN\"")
        );

        let granted = "[collectors.fake.secrets]\nGITHUB_TOKEN = \"env:EVIDENCE_AGENT_TEST_UNSET_VARIABLE\"\n";
        let r = run_fake(
            &runner(dir.path(), granted),
            fake(Behaviour::Succeed, vec!["GITHUB_TOKEN".into()]),
        )
        .await;
        assert_eq!(r.status, RunStatus::Skipped);
        assert!(
            r.error
                .unwrap()
                .contains("EVIDENCE_AGENT_TEST_UNSET_VARIABLE is not set")
        );
    }

    #[tokio::test]
    async fn secret_values_echoed_by_a_collector_are_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let secret_file = dir.path().join("token");
        std::fs::write(&secret_file, "s3cr3t-value-123\n").unwrap();
        let granted = format!(
            "[collectors.fake.secrets]\nTOKEN = \"file:{}\"\n",
            secret_file.display()
        );
        let r = run_fake(
            &runner(dir.path(), &granted),
            fake(Behaviour::EchoSecret, vec![]),
        )
        .await;
        assert_eq!(r.status, RunStatus::Succeeded);
        for entry in std::fs::read_dir(&r.committed.dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(!String::from_utf8_lossy(&bytes).contains("s3cr3t-value-123"));
        }
        assert_eq!(record(&r)["summary"]["t"], "[redacted secret TOKEN]");
    }

    #[tokio::test]
    async fn state_is_handed_to_the_next_run_of_the_window_but_not_from_an_interrupted_one() {
        let dir = tempfile::tempdir().unwrap();
        let r = runner(dir.path(), "");
        let mut seen = Vec::new();
        for end in [
            ResumeEnd::Succeed,
            ResumeEnd::Fail,
            ResumeEnd::Interrupt,
            ResumeEnd::Succeed,
        ] {
            let result = r
                .run(
                    fake(Behaviour::Resume(end), vec![]),
                    CancellationToken::new(),
                    RunProgress::none("fake"),
                )
                .await
                .unwrap();
            seen.push(record(&result).get("state").cloned());
        }
        let n = |v: u64| Some(serde_json::json!({ "n": v, "from": "w" }));
        // The failed run keeps its state; the interrupted one records none and is passed over.
        assert_eq!(seen, [n(1), n(2), None, n(3)]);
        // A run of another collector does not see this one's state.
        assert_eq!(
            crate::vault::index::latest_state(r.vault.root(), "w", "other"),
            None
        );
    }

    #[tokio::test]
    async fn a_tampered_record_does_not_hand_on_its_state() {
        let dir = tempfile::tempdir().unwrap();
        let r = runner(dir.path(), "");
        let run = || {
            r.run(
                fake(Behaviour::Resume(ResumeEnd::Succeed), vec![]),
                CancellationToken::new(),
                RunProgress::none("fake"),
            )
        };
        let first = run().await.unwrap();
        let second = run().await.unwrap();
        let path = second.committed.dir.join("run.json");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replace("\"n\": 2", "\"n\": 99")).unwrap();
        assert_eq!(record(&first)["state"]["n"], 1);
        assert_eq!(
            crate::vault::index::latest_state(r.vault.root(), "w", "fake"),
            Some(serde_json::json!({ "n": 1, "from": "w" }))
        );
    }

    #[tokio::test]
    async fn the_first_run_of_a_window_resumes_from_the_window_just_before() {
        let today = Utc::now().date_naive();
        let day = |offset: i64| (today + chrono::Duration::days(offset)).to_string();
        let run = |dir: &std::path::Path, windows: &[(&str, &str, &str)]| {
            let r = runner_in(dir, windows, "");
            async move {
                let result = r
                    .run(
                        fake(Behaviour::Resume(ResumeEnd::Succeed), vec![]),
                        CancellationToken::new(),
                        RunProgress::none("fake"),
                    )
                    .await
                    .unwrap();
                record(&result)["state"].clone()
            }
        };
        let state = |n: u64, from: &str| serde_json::json!({ "n": n, "from": from });
        let (past, yesterday, today, far) = (day(-3), day(-1), day(0), "2099-12-31");

        // Two runs in `old`; then `old` ends three days ago and `new` starts today, after a gap.
        let dir = tempfile::tempdir().unwrap();
        let all_time = [("old", "2000-01-01", far)];
        assert_eq!(run(dir.path(), &all_time).await, state(1, "old"));
        assert_eq!(run(dir.path(), &all_time).await, state(2, "old"));
        let split = [("old", "2000-01-01", past.as_str()), ("new", &today, far)];
        assert_eq!(
            run(dir.path(), &split).await,
            state(3, "old"),
            "handed over"
        );
        assert_eq!(
            run(dir.path(), &split).await,
            state(4, "new"),
            "its own after"
        );

        // Only the window immediately before hands over: `mid` has no state, so `new` starts afresh.
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(run(dir.path(), &all_time).await, state(1, "old"));
        let three = [
            ("old", "2000-01-01", past.as_str()),
            ("mid", &day(-2), &yesterday),
            ("new", &today, far),
        ];
        assert_eq!(run(dir.path(), &three).await, state(1, "new"));
    }
}
