//! Reading and validating the config file. Every problem is collected and reported at once.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{AgentSettings, CollectorSettings, Config, HttpSettings, Window};

/// One thing wrong with the config, located in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line and column, when the problem has a place in the file.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The dotted key path, e.g. `agent.timezone`.
    pub key: Option<String>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{}", render(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

fn render(path: &Path, problems: &[Problem]) -> String {
    let mut out = format!(
        "config file {} has {} problem{}:",
        path.display(),
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        out.push_str("\n  ");
        out.push_str(&p.to_string_in(path));
    }
    out
}

impl Problem {
    fn to_string_in(&self, path: &Path) -> String {
        let mut s = path.display().to_string();
        if let (Some(l), Some(c)) = (self.line, self.column) {
            s.push_str(&format!(":{l}:{c}"));
        }
        if let Some(k) = &self.key {
            s.push_str(&format!(": `{k}`"));
        }
        s.push_str(": ");
        s.push_str(&self.message);
        s
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_in(Path::new("config")))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    agent: AgentSettings,
    #[serde(default)]
    http: HttpSettings,
    #[serde(default)]
    windows: Vec<Window>,
    #[serde(default)]
    collectors: BTreeMap<String, CollectorSettings>,
}

/// Reads and validates `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    parse(path, &text)
}

/// Validates `text` as if read from `path`.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let invalid = |problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let de = toml::de::Deserializer::parse(text)
        .map_err(|e| invalid(vec![problem_from(text, &e, None)]))?;
    let raw: RawConfig = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let key = (key != ".").then_some(key);
        invalid(vec![problem_from(text, e.inner(), key)])
    })?;
    let mut problems = Vec::new();
    for (i, w) in raw.windows.iter().enumerate() {
        if w.end < w.start {
            problems.push(Problem {
                line: None,
                column: None,
                key: Some(format!("windows[{i}].end")),
                message: format!(
                    "window `{}` ends ({}) before it starts ({})",
                    w.name, w.end, w.start
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(invalid(problems));
    }
    Ok(Config {
        path: path.to_path_buf(),
        agent: raw.agent,
        http: raw.http,
        windows: raw.windows,
        collectors: raw.collectors,
    })
}

fn problem_from(text: &str, e: &toml::de::Error, key: Option<String>) -> Problem {
    let (line, column) = match e.span() {
        Some(span) => {
            let (l, c) = line_col(text, span.start);
            (Some(l), Some(c))
        }
        None => (None, None),
    };
    Problem {
        line,
        column,
        key,
        message: e.message().to_string(),
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}
