//! Problems found in a config file, where they are, and the error that carries them all.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One thing wrong with the config, located in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// 1-based column in characters, when the problem has a place in the file.
    pub column: Option<usize>,
    /// The dotted key path, e.g. `agent.timezone` or `windows[0].end`.
    pub key: Option<String>,
    /// What is wrong and what to do about it. Never contains a secret's value.
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("{}", render(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    /// `Ok` when there are no problems, else the error listing them all.
    pub fn check(path: &Path, problems: Vec<Problem>) -> Result<(), ConfigError> {
        if problems.is_empty() {
            return Ok(());
        }
        Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }
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
        out.push_str(&p.render(path));
    }
    out
}

impl Problem {
    /// `file:line:column: `key`: message`, the form editors and terminals link to.
    pub fn render(&self, path: &Path) -> String {
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
        f.write_str(&self.render(Path::new("config")))
    }
}

/// Line and column of every key in the file, by dotted path, kept after parsing so that checks
/// made later (unknown collector names) can still point into the file.
#[derive(Debug, Clone, Default)]
pub(super) struct Positions(BTreeMap<String, (usize, usize)>);

impl Positions {
    pub(super) fn insert(&mut self, key: String, at: (usize, usize)) {
        self.0.entry(key).or_insert(at);
    }

    pub(super) fn problem(&self, key: &str, message: String) -> Problem {
        let at = self.0.get(key).copied();
        Problem {
            line: at.map(|a| a.0),
            column: at.map(|a| a.1),
            key: Some(key.to_string()),
            message,
        }
    }
}

/// The config text with its line starts, to turn byte offsets into line and column.
pub(super) struct Source<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> Source<'a> {
    pub(super) fn new(text: &'a str) -> Source<'a> {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source { text, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset; never panics.
    pub(super) fn position(&self, offset: usize) -> (usize, usize) {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count())
            + 1;
        (line, column)
    }

    /// The text of a span, or "" when the span does not fit the text.
    pub(super) fn slice(&self, span: &Range<usize>) -> &'a str {
        self.text.get(span.clone()).unwrap_or("")
    }

    pub(super) fn problem(
        &self,
        key: Option<String>,
        span: Option<Range<usize>>,
        message: String,
    ) -> Problem {
        let at = span.map(|s| self.position(s.start));
        Problem {
            line: at.map(|a| a.0),
            column: at.map(|a| a.1),
            key,
            message,
        }
    }
}

/// A key as written in a dotted path: bare when TOML allows it, quoted otherwise.
pub(super) fn key_segment(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare {
        key.to_string()
    } else {
        serde_json::Value::from(key).to_string()
    }
}

/// `prefix.key`, quoting `key` when it is not a bare TOML key.
pub fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key_segment(key)
    } else {
        format!("{prefix}.{}", key_segment(key))
    }
}

/// The candidate closest to `word` when it is close enough to be a typo of it.
pub(super) fn suggest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Edits (insert, delete, substitute, swap two neighbours) between `a` and `b`: swapped letters
/// are the commonest typo, so they count as one.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between the first i chars of a and the first j of b.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j - 1] + cost)
                .min(d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

/// "unknown key `x` (did you mean `y`?); valid keys are `a`, `b`".
pub(super) fn unknown_key(key: &str, valid: &[&str]) -> String {
    let listed = valid
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match suggest(key, valid.iter().copied()) {
        Some(s) => format!("unknown key `{key}` (did you mean `{s}`?); valid keys are {listed}"),
        None => format!("unknown key `{key}`; valid keys are {listed}"),
    }
}

/// Rewrites serde's wording into the config's: keys rather than fields, plain number names.
pub(super) fn polish(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((key, expected)) = rest.split_once('`')
    {
        let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return unknown_key(key, &valid);
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let key = rest.trim_end_matches('`');
        return format!("missing required key `{key}`");
    }
    let mut out = message.to_string();
    for int in ["usize", "u64", "u32", "u16", "u8"] {
        out = out.replace(
            &format!("expected {int}"),
            "expected a whole number (0 or more)",
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let src = Source::new("a = 1\nbé = \"x\"\n");
        assert_eq!(src.position(0), (1, 1));
        assert_eq!(src.position(6), (2, 1));
        // `=` after the two-byte é is the 4th character of line 2.
        assert_eq!(src.position(10), (2, 4));
        // Past the end and inside a multi-byte character: clamped, no panic.
        assert_eq!(src.position(1000), (3, 1));
        assert_eq!(src.position(8), (2, 2));
    }

    #[test]
    fn typos_get_a_suggestion_and_strangers_do_not() {
        assert_eq!(
            suggest("timezon", ["timezone", "jitter_secs"]),
            Some("timezone")
        );
        assert_eq!(
            suggest("host-baselin", ["host-baseline"]),
            Some("host-baseline")
        );
        assert_eq!(suggest("colour", ["timezone", "jitter_secs"]), None);
        assert_eq!(suggest("agnet", ["agent", "http"]), Some("agent"));
        assert_eq!(edit_distance("agnet", "agent"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn serde_wording_becomes_config_wording() {
        assert_eq!(
            polish("unknown field `timezon`, expected one of `vault_dir`, `timezone`"),
            "unknown key `timezon` (did you mean `timezone`?); valid keys are `vault_dir`, `timezone`"
        );
        assert_eq!(polish("missing field `end`"), "missing required key `end`");
        assert_eq!(
            polish("invalid value: integer `-1`, expected usize"),
            "invalid value: integer `-1`, expected a whole number (0 or more)"
        );
        assert_eq!(join("collectors", "a.b"), "collectors.\"a.b\"");
        assert_eq!(join("", "agent"), "agent");
    }
}
