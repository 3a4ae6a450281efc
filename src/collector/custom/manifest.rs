//! `collector.toml`: what a custom collector says about itself, read and validated at discovery.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::config::{Problem, Schedule, valid_env_name};
use crate::vault::layout;

/// The file every collector folder must hold.
pub const MANIFEST: &str = "collector.toml";

const DEFAULT_SCHEDULE: &str = "0 0 3 * * *";
const DEFAULT_TIMEOUT_SECS: u64 = 300;
const DEFAULT_MAX_OUTPUT_BYTES: u64 = 100 * 1024 * 1024;
const DEFAULT_MAX_FILES: u64 = 1000;

/// `collector.toml` as written. Unknown keys are an error so a typo never goes unnoticed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: Spanned<String>,
    description: Spanned<String>,
    version: Spanned<String>,
    #[serde(default)]
    criteria: Vec<String>,
    command: Spanned<Vec<String>>,
    #[serde(default)]
    schedule: Option<Schedule>,
    #[serde(default)]
    timeout_secs: Option<Spanned<u64>>,
    #[serde(default)]
    max_output_bytes: Option<Spanned<u64>>,
    #[serde(default)]
    max_files: Option<Spanned<u64>>,
    #[serde(default)]
    secrets: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    environment: Option<Spanned<BTreeMap<String, String>>>,
}

/// A validated `collector.toml`, with its command resolved against the collector folder.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The collector folder (absolute); the process runs in it.
    pub folder: PathBuf,
    /// Equal to the folder name.
    pub name: String,
    pub description: String,
    pub version: String,
    /// SOC 2 criteria the evidence supports.
    pub criteria: Vec<String>,
    /// The argv as written in `collector.toml`, for the run's provenance.
    pub command: Vec<String>,
    /// The program to start: `command[0]`, resolved against the folder when it contains a `/`.
    pub program: PathBuf,
    /// Cron expression with seconds.
    pub schedule: String,
    pub timeout: Duration,
    /// Default limits; `[collectors.<name>]` in the config overrides them.
    pub max_output_bytes: u64,
    pub max_files: u64,
    /// Environment variable names of the secrets the collector needs.
    pub secrets: Vec<String>,
    /// Non-secret environment variables set for the process.
    pub environment: BTreeMap<String, String>,
    /// SHA-256 of `collector.toml` as read, for the run's provenance.
    pub sha256: String,
}

/// Reads and validates `<folder>/collector.toml`, returning every problem found.
pub fn read(folder: &Path) -> Result<Manifest, Vec<Problem>> {
    let path = folder.join(MANIFEST);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| vec![unplaced(format!("cannot read it: {e}"))])?;
    let raw: RawManifest = parse_toml(&text).map_err(|p| vec![p])?;
    let folder_name = folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut problems = Vec::new();
    let problem = |offset: usize, key: &str, message: String| {
        at(&text, offset, Some(key.to_string()), message)
    };

    let name = raw.name.get_ref();
    if !layout::valid_name(name) {
        problems.push(problem(raw.name.span().start, "name", format!("`{name}` is not a valid collector name: use A-Z a-z 0-9 - _ . only, not starting with `.`")));
    } else if *name != folder_name {
        problems.push(problem(
            raw.name.span().start,
            "name",
            format!("`{name}` must equal the folder name `{folder_name}`: rename one of them"),
        ));
    }
    for (key, value) in [("description", &raw.description), ("version", &raw.version)] {
        if value.get_ref().trim().is_empty() {
            problems.push(problem(
                value.span().start,
                key,
                format!("`{key}` must not be empty"),
            ));
        }
    }

    let command = raw.command.get_ref().clone();
    let mut program = PathBuf::new();
    match command.first() {
        None => problems.push(problem(
            raw.command.span().start,
            "command",
            "`command` is empty: give the program and its arguments, e.g. [\"./collect.sh\"]"
                .into(),
        )),
        Some(first) if first.is_empty() => problems.push(problem(
            raw.command.span().start,
            "command",
            "the program (first element) is empty".into(),
        )),
        Some(first) if first.contains('/') => {
            // Collecting the components drops inner `.` parts: `/c/x/./run.sh` is `/c/x/run.sh`.
            program = folder.join(first).components().collect();
            if let Err(why) = check_executable(&program) {
                problems.push(problem(
                    raw.command.span().start,
                    "command",
                    format!(
                        "`{first}` {why} (paths with a `/` are relative to {})",
                        folder.display()
                    ),
                ));
            }
        }
        // A bare name is looked up in PATH when the collector runs.
        Some(first) => program = PathBuf::from(first),
    }

    let positive = |value: &Option<Spanned<u64>>,
                    key: &str,
                    default: u64,
                    problems: &mut Vec<Problem>| match value {
        Some(v) if *v.get_ref() == 0 => {
            problems.push(problem(
                v.span().start,
                key,
                format!("`{key}` must be at least 1"),
            ));
            default
        }
        Some(v) => *v.get_ref(),
        None => default,
    };
    let timeout_secs = positive(
        &raw.timeout_secs,
        "timeout_secs",
        DEFAULT_TIMEOUT_SECS,
        &mut problems,
    );
    let max_output_bytes = positive(
        &raw.max_output_bytes,
        "max_output_bytes",
        DEFAULT_MAX_OUTPUT_BYTES,
        &mut problems,
    );
    let max_files = positive(
        &raw.max_files,
        "max_files",
        DEFAULT_MAX_FILES,
        &mut problems,
    );

    let secrets = raw
        .secrets
        .as_ref()
        .map(|s| s.get_ref().clone())
        .unwrap_or_default();
    if let Some(s) = &raw.secrets {
        for (i, n) in secrets.iter().enumerate() {
            if let Err(why) = check_var_name(n) {
                problems.push(problem(s.span().start, &format!("secrets[{i}]"), why));
            } else if secrets[..i].contains(n) {
                problems.push(problem(
                    s.span().start,
                    &format!("secrets[{i}]"),
                    format!("`{n}` is listed twice"),
                ));
            }
        }
    }
    let environment = raw
        .environment
        .as_ref()
        .map(|e| e.get_ref().clone())
        .unwrap_or_default();
    if let Some(e) = &raw.environment {
        for n in environment.keys() {
            let key = format!("environment.{n}");
            if let Err(why) = check_var_name(n) {
                problems.push(problem(e.span().start, &key, why));
            } else if secrets.contains(n) {
                problems.push(problem(e.span().start, &key, format!("`{n}` is also listed in `secrets`: a secret's value comes only from the config's grant")));
            }
        }
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Manifest {
        folder: folder.to_path_buf(),
        name: name.clone(),
        description: raw.description.into_inner(),
        version: raw.version.into_inner(),
        criteria: raw.criteria,
        command,
        program,
        schedule: raw
            .schedule
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| DEFAULT_SCHEDULE.to_string()),
        timeout: Duration::from_secs(timeout_secs),
        max_output_bytes,
        max_files,
        secrets,
        environment,
        sha256: crate::vault::canonical::sha256_hex(text.as_bytes()),
    })
}

/// Deserializes TOML `text`; the error is located (line, column) and names the key.
fn parse_toml<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, Problem> {
    let located = |e: &toml::de::Error, key: Option<String>| match e.span() {
        Some(span) => at(text, span.start, key, e.message().to_string()),
        None => Problem {
            line: None,
            column: None,
            key,
            message: e.message().to_string(),
        },
    };
    let de = toml::de::Deserializer::parse(text).map_err(|e| located(&e, None))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        // `toml::Spanned` values add a private segment to the path: not part of the key.
        let key = e
            .path()
            .to_string()
            .replace(".$__serde_spanned_private_value", "");
        located(e.inner(), (key != ".").then_some(key))
    })
}

/// A problem at byte `offset` of `text`: 1-based line and column (in characters).
fn at(text: &str, offset: usize, key: Option<String>, message: String) -> Problem {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    Problem {
        line: Some(line),
        column: Some(column),
        key,
        message,
    }
}

/// A problem with the file as a whole (no line to point at).
pub fn unplaced(message: String) -> Problem {
    Problem {
        line: None,
        column: None,
        key: None,
        message,
    }
}

fn check_executable(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("does not exist".into()),
        Err(e) => Err(format!("cannot be read: {e}")),
        Ok(m) if !m.is_file() => Err("is not a file".into()),
        Ok(m) if m.permissions().mode() & 0o111 == 0 => {
            Err("is not executable: run `chmod +x` on it".into())
        }
        Ok(_) => Ok(()),
    }
}

/// Environment variable names the process gets: plain, and not the agent's own `EVIDENCE_*`.
fn check_var_name(name: &str) -> Result<(), String> {
    let plain = valid_env_name(name);
    if !plain {
        return Err(format!(
            "`{name}` is not a valid environment variable name (A-Z a-z 0-9 _, not starting with a digit)"
        ));
    }
    if name.starts_with("EVIDENCE_") {
        return Err(format!(
            "`{name}`: names starting with EVIDENCE_ are set by the agent"
        ));
    }
    Ok(())
}
