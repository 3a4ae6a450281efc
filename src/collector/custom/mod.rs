//! Custom collectors: folders in `collectors/` run as external processes under the contract
//! written down in `collectors/README.md`.
//!
//! - [`manifest`]: reading and validating `collector.toml`.
//! - [`process`]: running the command: process group, cleared environment, capped pipes,
//!   output limits, the kill on cancellation, and leftovers of an agent that died.
//! - [`intake`]: what it wrote and printed becomes artifacts, refusals, findings and a summary.

mod intake;
mod manifest;
mod process;

pub use process::reap_orphans;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::Utc;
use serde_json::json;

use super::{CollectError, Collected, Collector, Descriptor, Kind, RunContext};
use crate::config::{OUTSIDE_WINDOW, Problem};
use crate::vault::{StagedRun, VaultError, canonical, fsutil};
use intake::SecretValue;
use manifest::Manifest;
use process::{Ending, Exceeded, Finished, Limits, Spec, Usage};

/// PATH when the agent has none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// Inside the run's scratch folder: the output folder and the private HOME.
const OUT: &str = "out";
const HOME: &str = "home";
/// Secret values shorter than this are not searched for (as in the runner's redaction): they
/// would match ordinary text.
const MIN_SECRET_LEN: usize = 4;

/// Why the custom collectors could not be loaded. Every broken folder is named at once.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("cannot read the custom collectors folder {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{}", render(dir, problems))]
    Invalid {
        dir: PathBuf,
        /// The file or folder each problem is in.
        problems: Vec<(PathBuf, Problem)>,
    },
}

fn render(dir: &Path, problems: &[(PathBuf, Problem)]) -> String {
    let mut out = format!(
        "custom collectors in {} have {} problem(s):",
        dir.display(),
        problems.len()
    );
    for (path, p) in problems {
        let _ = write!(out, "\n  {}", p.render(path));
    }
    out
}

/// A collector folder, validated and ready to run.
pub struct CustomCollector {
    descriptor: Descriptor,
    manifest: Manifest,
}

/// Finds the collectors in `dir`: every folder not starting with `.`. A missing `dir` means no
/// custom collectors; a folder without a valid `collector.toml` is an error, never skipped.
pub fn discover(dir: &Path) -> Result<Vec<CustomCollector>, DiscoverError> {
    let unreadable = |e: std::io::Error| DiscoverError::Unreadable {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    };
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(unreadable(e)),
    };
    let mut folders = Vec::new();
    for e in rd {
        let e = e.map_err(unreadable)?;
        let hidden = e.file_name().as_encoded_bytes().starts_with(b".");
        if !hidden && e.path().is_dir() {
            folders.push(e.path());
        }
    }
    folders.sort();
    let mut found = Vec::new();
    let mut problems = Vec::new();
    for folder in folders {
        let toml = folder.join(manifest::MANIFEST);
        if !toml.is_file() {
            let message = format!(
                "this folder has no {}: every folder in the collectors folder is a collector; add the file (see collectors/README.md) or remove the folder",
                manifest::MANIFEST
            );
            problems.push((folder, manifest::unplaced(message)));
            continue;
        }
        let absolute = std::path::absolute(&folder).unwrap_or_else(|_| folder.clone());
        match manifest::read(&absolute) {
            Ok(m) => found.push(CustomCollector::new(m)),
            Err(ps) => problems.extend(ps.into_iter().map(|p| (toml.clone(), p))),
        }
    }
    if !problems.is_empty() {
        return Err(DiscoverError::Invalid {
            dir: dir.to_path_buf(),
            problems,
        });
    }
    Ok(found)
}

impl CustomCollector {
    fn new(manifest: Manifest) -> CustomCollector {
        let descriptor = Descriptor {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            description: manifest.description.clone(),
            kind: Kind::Custom,
            criteria: manifest.criteria.clone(),
            default_schedule: manifest.schedule.clone(),
            timeout: Some(manifest.timeout),
            required_secrets: manifest.secrets.clone(),
        };
        CustomCollector {
            descriptor,
            manifest,
        }
    }

    /// The process's whole environment: nothing of the agent's but PATH.
    fn environment(&self, ctx: &RunContext, out: &Path, home: &Path) -> Vec<(String, OsString)> {
        let path = std::env::var_os("PATH")
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| DEFAULT_PATH.into());
        let mut env: Vec<(String, OsString)> = vec![
            ("PATH".into(), path),
            ("LANG".into(), "C.UTF-8".into()),
            ("HOME".into(), home.into()),
        ];
        env.extend(
            self.manifest
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), v.into())),
        );
        env.extend(
            ctx.secrets
                .iter()
                .map(|(k, s)| (k.clone(), s.expose().into())),
        );
        let (window, start, end) = match &ctx.window {
            Some(w) => (w.name.clone(), w.start.to_string(), w.end.to_string()),
            None => (OUTSIDE_WINDOW.to_string(), String::new(), String::new()),
        };
        let left = ctx
            .deadline
            .saturating_duration_since(tokio::time::Instant::now());
        let deadline = Utc::now() + chrono::Duration::from_std(left).unwrap_or_default();
        // Last, so neither the collector's table nor a grant can change what the agent says.
        for (k, v) in [
            ("EVIDENCE_OUT_DIR", out.as_os_str().to_owned()),
            ("EVIDENCE_RUN_ID", ctx.run_id.clone().into()),
            ("EVIDENCE_COLLECTOR", self.manifest.name.clone().into()),
            ("EVIDENCE_WINDOW", window.into()),
            ("EVIDENCE_WINDOW_START", start.into()),
            ("EVIDENCE_WINDOW_END", end.into()),
            ("EVIDENCE_DEADLINE", canonical::timestamp(deadline).into()),
        ] {
            env.push((k.to_string(), v));
        }
        env
    }

    /// Provenance for run.json: what ran, where, with which limits; secret names, never values.
    fn parameters(
        &self,
        ctx: &RunContext,
        limits: &Limits,
    ) -> serde_json::Map<String, serde_json::Value> {
        let m = &self.manifest;
        let program_sha256 = m
            .program
            .is_absolute()
            .then(|| fsutil::hash_file(&m.program).ok().map(|(h, _)| h))
            .flatten();
        let params = json!({
            "command": m.command,
            "manifest_sha256": m.sha256,
            "version": m.version,
            "program": m.program.to_string_lossy(),
            "program_sha256": program_sha256,
            "folder": m.folder.to_string_lossy(),
            "timeout_secs": m.timeout.as_secs(),
            "max_output_bytes": limits.max_bytes,
            "max_files": limits.max_files,
            "secrets": ctx.secrets.keys().collect::<Vec<_>>(),
            "environment": m.environment,
        });
        match params {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }

    fn over_limit(&self, exceeded: Exceeded, usage: Usage) -> String {
        let (what, key) = match exceeded {
            Exceeded::Bytes(n) => (format!("more than {n} bytes"), "max_output_bytes"),
            Exceeded::Files(n) => (format!("more than {n} files"), "max_files"),
        };
        format!(
            "the collector wrote {what} (at least {} files, {} bytes when stopped); it was killed and its output discarded: raise {key} in [collectors.{}] if this is expected",
            usage.files, usage.bytes, self.manifest.name
        )
    }
}

#[async_trait]
impl Collector for CustomCollector {
    fn descriptor(&self) -> &Descriptor {
        &self.descriptor
    }

    async fn collect(
        &self,
        ctx: &RunContext,
        run: &mut StagedRun,
    ) -> Result<Collected, CollectError> {
        let m = &self.manifest;
        let scratch = run.scratch_dir()?;
        let scratch =
            std::path::absolute(&scratch).map_err(VaultError::io("cannot resolve", &scratch))?;
        let (out, home) = (scratch.join(OUT), scratch.join(HOME));
        fsutil::create_dirs(&out)?;
        fsutil::create_dirs(&home)?;
        let limits = Limits {
            watch: scratch.clone(),
            max_bytes: ctx.max_output_bytes.unwrap_or(m.max_output_bytes),
            max_files: ctx.max_files.unwrap_or(m.max_files),
        };
        let mut collected = Collected {
            parameters: self.parameters(ctx, &limits),
            ..Collected::default()
        };
        let spec = Spec {
            program: &m.program,
            args: &m.command[1..],
            dir: &m.folder,
            env: self.environment(ctx, &out, &home),
        };
        ctx.progress
            .message(&format!("running {}", m.command.join(" ")));
        let finished = match process::run(spec, &limits, &ctx.cancel).await {
            Ok(f) => f,
            Err(e) => {
                let reason = format!(
                    "cannot start `{}` in {}: {e}{}",
                    m.program.display(),
                    m.folder.display(),
                    start_hint(&e)
                );
                return Err(CollectError::Failed {
                    reason,
                    partial: Box::new(collected),
                });
            }
        };
        let Finished {
            ending,
            stdout,
            stderr,
        } = finished;
        log_stderr(&m.name, &stderr.bytes, ctx);
        let mut log = stderr.bytes.clone();
        note_pipe(&mut log, "stderr", &stderr);
        note_pipe(&mut log, "stdout", &stdout);
        let status = match ending {
            Ending::Cancelled { forced } => {
                collected.log = log;
                let how = if forced {
                    "SIGTERM, then SIGKILL after 2 s"
                } else {
                    "SIGTERM"
                };
                let reason = format!("the collector's process group was stopped with {how}");
                return Err(CollectError::Interrupted {
                    reason,
                    partial: Box::new(collected),
                });
            }
            Ending::OverLimit { exceeded, usage } => {
                collected.log = log;
                return Err(CollectError::Failed {
                    reason: self.over_limit(exceeded, usage),
                    partial: Box::new(collected),
                });
            }
            Ending::Exited(status) => status,
        };
        // A last measure: the watch samples, and the final writes come just before exit.
        let usage = process::measure(&scratch, limits.max_files).await;
        if let Some(exceeded) = limits.exceeded(usage) {
            collected.log = log;
            return Err(CollectError::Failed {
                reason: self.over_limit(exceeded, usage),
                partial: Box::new(collected),
            });
        }

        let secrets: Vec<SecretValue> = ctx
            .secrets
            .iter()
            .filter(|(_, s)| s.expose().len() >= MIN_SECRET_LEN)
            .map(|(name, s)| SecretValue {
                name,
                value: s.expose().as_bytes(),
            })
            .collect();
        let run_dir = scratch.parent().unwrap_or(&scratch).to_path_buf();
        let mut refused = intake::sweep_outside(&run_dir, &scratch, &[OUT, HOME], &secrets)?;
        let taken = intake::take_files(run, &out, &secrets)?;
        refused.extend(taken.refused);
        collected.refused = refused;

        let report = if stdout.truncated() {
            Err(format!("it is larger than {} bytes", process::PIPE_CAP))
        } else if stdout.abandoned {
            Err("a process outside the collector's process group still held it open".to_string())
        } else {
            intake::parse_report(&stdout.bytes)
        };
        match report {
            Ok((findings, summary)) => {
                for f in &findings {
                    if let Some(a) = f
                        .artifact
                        .as_deref()
                        .filter(|a| !taken.paths.iter().any(|p| p == a))
                    {
                        agent_note(
                            &mut log,
                            &format!(
                                "finding `{}` names artifact `{a}`, which the run does not contain.",
                                f.rule
                            ),
                        );
                    }
                }
                collected.findings = findings;
                collected.summary = summary;
            }
            Err(why) => {
                agent_note(
                    &mut log,
                    &format!("stdout is not valid ({why}); it follows as received:"),
                );
                log.extend_from_slice(&stdout.bytes);
                let reason = format!(
                    "its stdout is not valid: {why}; print nothing, or one JSON object {{\"findings\": [...], \"summary\": {{...}}}} (see collectors/README.md)"
                );
                let reason = if status.success() {
                    reason
                } else {
                    format!("{} and {reason}", failure(status, &stderr.bytes))
                };
                collected.log = log;
                return Err(CollectError::Failed {
                    reason,
                    partial: Box::new(collected),
                });
            }
        }
        collected.log = log;
        if !status.success() {
            return Err(CollectError::Failed {
                reason: failure(status, &stderr.bytes),
                partial: Box::new(collected),
            });
        }
        Ok(collected)
    }
}

/// "exited with status 3; last stderr line: …"
fn failure(status: std::process::ExitStatus, stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let last = text.lines().rev().map(str::trim).find(|l| !l.is_empty());
    let last = match last {
        Some(l) if l.chars().count() > 300 => format!(
            "last stderr line: {}…",
            l.chars().take(300).collect::<String>()
        ),
        Some(l) => format!("last stderr line: {l}"),
        None => "nothing on stderr".to_string(),
    };
    format!("the collector {}; {last}", process::describe_status(status))
}

fn start_hint(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            " (check `command` in collector.toml; bare names are looked up in PATH)"
        }
        std::io::ErrorKind::PermissionDenied => " (make the program executable: chmod +x)",
        _ if e.raw_os_error() == Some(libc::ENOEXEC) => {
            " (a script needs a `#!` line naming its interpreter)"
        }
        _ => "",
    }
}

/// At most this many stderr lines go to the agent's log; all of stderr is in `run.log`.
const STDERR_LOG_LINES: usize = 100;

/// Passes the collector's stderr on to the agent's log, with granted secret values masked.
fn log_stderr(collector: &str, stderr: &[u8], ctx: &RunContext) {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    for line in lines.iter().take(STDERR_LOG_LINES) {
        let mut line = line.to_string();
        for (name, secret) in &ctx.secrets {
            if secret.expose().len() >= MIN_SECRET_LEN {
                line = line.replace(secret.expose(), &format!("[redacted secret {name}]"));
            }
        }
        tracing::info!(message = "Collector wrote to stderr.", collector, run_id = %ctx.run_id, %line);
    }
    if lines.len() > STDERR_LOG_LINES {
        tracing::info!(message = "Collector stderr continues in run.log.", collector, run_id = %ctx.run_id, more_lines = lines.len() - STDERR_LOG_LINES);
    }
}

/// Adds an agent note to the run log, on a line of its own.
fn agent_note(log: &mut Vec<u8>, note: &str) {
    if log.last().is_some_and(|&b| b != b'\n') {
        log.push(b'\n');
    }
    log.extend_from_slice(format!("[evidence-agent] {note}\n").as_bytes());
}

fn note_pipe(log: &mut Vec<u8>, name: &str, c: &process::Captured) {
    if c.truncated() {
        let dropped = c.total - c.bytes.len() as u64;
        agent_note(
            log,
            &format!(
                "{name} was cut at {} bytes; {dropped} more bytes were read and discarded.",
                process::PIPE_CAP
            ),
        );
    }
    if c.abandoned {
        agent_note(
            log,
            &format!(
                "{name} was still held open by a process that left the collector's process group; the agent stopped reading it."
            ),
        );
    }
}
