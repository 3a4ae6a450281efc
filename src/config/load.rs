//! Reading the config file. Every problem is collected and reported at once: the TOML is parsed
//! into spanned values first, then each key is read on its own, so one bad key hides no other.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::de::{DeserializeOwned, IntoDeserializer};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::problem::{
    ConfigError, Positions, Problem, Source, join, key_segment, polish, unknown_key,
};
use super::secret::{SecretRef, valid_env_name};
use super::{AgentSettings, CollectorSettings, Config, HttpSettings, Window, validate};

/// The top-level tables of the file.
pub(super) const SECTIONS: &[&str] = &[
    "agent",
    "http",
    "windows",
    "collectors",
    "github",
    "aws",
    "tls",
    "scan_reports",
];

/// A config is a page of settings; anything larger is the wrong file.
const MAX_BYTES: u64 = 1 << 20;

/// Reads and validates `path`, without checking `[collectors.<name>]` names (for commands that
/// run no collector).
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    load_checked(path, |_| None)
}

/// Reads and validates `path`. `installed` gets the resolved collectors folder and returns the
/// collector names found there (`None` when it cannot tell), so that a `[collectors.<name>]`
/// table naming none of them is reported with every other problem, not after they are fixed.
pub fn load_checked(
    path: &Path,
    installed: impl FnOnce(&Path) -> Option<Vec<String>>,
) -> Result<Config, ConfigError> {
    let unreadable = |reason: String| ConfigError::Unreadable {
        path: path.to_path_buf(),
        reason,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| unreadable(io_reason(&e)))?
        .len();
    if size > MAX_BYTES {
        return Err(unreadable(format!(
            "it is {size} bytes, larger than the {MAX_BYTES} a config file may be; is it the right file?"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|e| unreadable(io_reason(&e)))?;
    parse_checked(path, &text, installed)
}

fn io_reason(e: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::NotFound => "no such file; pass the right path with `--config PATH` (or set \
                                EVIDENCE_AGENT_CONFIG), or start from the documented config.example.toml"
            .to_string(),
        ErrorKind::PermissionDenied => {
            "permission denied; run as a user that can read it, or make it readable (chmod 0640)".to_string()
        }
        ErrorKind::IsADirectory => "it is a directory; pass the config file itself with `--config PATH`".to_string(),
        ErrorKind::InvalidData => "it is not UTF-8 text; a config file is TOML, which is UTF-8".to_string(),
        _ => e.to_string(),
    }
}

/// Validates `text` as if read from `path`, without checking collector names.
pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
    parse_checked(path, text, |_| None)
}

/// Validates `text` as if read from `path`; `installed` as for [`load_checked`].
pub fn parse_checked(
    path: &Path,
    text: &str,
    installed: impl FnOnce(&Path) -> Option<Vec<String>>,
) -> Result<Config, ConfigError> {
    let src = Source::new(text);
    let (root, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        // A file that is not TOML gives no trustworthy keys: report the syntax alone.
        // After the first error on a line the parser is guessing: keep one per line.
        let mut problems: Vec<Problem> = errors.iter().map(|e| syntax_problem(&src, e)).collect();
        sort(&mut problems);
        problems.dedup_by_key(|p| p.line);
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        });
    }
    let mut r = Reader {
        src,
        positions: Positions::default(),
        problems: Vec::new(),
    };
    r.record_positions("", root.get_ref());

    let mut agent = AgentSettings::default();
    let mut http = HttpSettings::default();
    let mut windows = Windows::default();
    let mut collectors = BTreeMap::new();
    let mut github: Option<crate::collector::github::GithubSettings> = None;
    let mut aws: Option<crate::collector::aws_iam::AwsSettings> = None;
    let mut tls: Option<crate::collector::tls::TlsSettings> = None;
    let mut scan_reports: Option<crate::collector::scan_reports::ScanReportSettings> = None;
    for (key, value) in root.get_ref().iter() {
        match key.get_ref().as_ref() {
            "agent" => agent = r.typed("agent", value, &[]).unwrap_or(agent),
            "http" => http = r.typed("http", value, &[]).unwrap_or(http),
            "windows" => windows = r.windows(value),
            "collectors" => collectors = r.collectors(value),
            "github" => github = r.typed("github", value, &[]),
            "aws" => aws = r.typed("aws", value, &[]),
            "tls" => tls = r.typed("tls", value, &[]),
            "scan_reports" => scan_reports = r.typed("scan_reports", value, &[]),
            other => {
                let message = unknown_key(other, SECTIONS);
                r.problems.push(
                    r.src
                        .problem(Some(key_segment(other)), Some(key.span()), message),
                );
            }
        }
    }

    let mut checks = validate::Checks {
        positions: &r.positions,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    checks.agent(&agent);
    checks.http(&http);
    checks.windows(&windows.read, &windows.names);
    checks.collectors(&collectors);
    if let Some(g) = &github {
        checks.section("github", g.problems());
    }
    if let Some(a) = &aws {
        checks.section("aws", a.problems());
    }
    if let Some(t) = &tls {
        checks.section("tls", t.problems());
    }
    if let Some(s) = &scan_reports {
        checks.section("scan_reports", s.problems());
    }
    let collectors_dir = super::resolve(path, &agent.collectors_dir);
    if let Some(known) = installed(&collectors_dir) {
        checks.collector_names(&collector_names(root.get_ref()), &known, &collectors_dir);
    }
    let mut problems = r.problems;
    problems.append(&mut checks.problems);
    sort(&mut problems);
    let mut warnings = checks.warnings;
    sort(&mut warnings);
    ConfigError::check(path, problems)?;
    Ok(Config {
        path: path.to_path_buf(),
        agent,
        http,
        windows: windows.read.into_iter().map(|(_, w)| w).collect(),
        collectors,
        github,
        aws,
        tls,
        scan_reports,
        warnings,
    })
}

/// The names of the `[collectors.<name>]` tables, whether or not their settings were valid.
fn collector_names(root: &DeTable) -> Vec<String> {
    match root.get("collectors").map(|v| v.get_ref()) {
        Some(DeValue::Table(t)) => t.iter().map(|(k, _)| k.get_ref().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// Problems in file order; those without a place last.
fn sort(problems: &mut [Problem]) {
    problems.sort_by_key(|p| (p.line.is_none(), p.line, p.column));
}

fn syntax_problem(src: &Source, e: &toml::de::Error) -> Problem {
    let mut message = e.message().trim_end().to_string();
    if message == "duplicate key"
        && let Some(span) = e.span()
    {
        let key = src.slice(&span);
        message = format!("duplicate key `{key}`: a key may be set only once in a table");
    }
    src.problem(None, e.span(), message)
}

/// Reads the spanned document into typed settings, collecting problems.
struct Reader<'a> {
    src: Source<'a>,
    positions: Positions,
    problems: Vec<Problem>,
}

type Value<'i> = Spanned<DeValue<'i>>;

/// The `[[windows]]` of the file, each with its index.
#[derive(Default)]
struct Windows {
    /// The windows read in full.
    read: Vec<(usize, Window)>,
    /// The name of every window that has a string one, including windows not read in full.
    names: Vec<(usize, String)>,
}

impl Reader<'_> {
    fn record_positions(&mut self, prefix: &str, table: &DeTable) {
        for (key, value) in table.iter() {
            let path = join(prefix, key.get_ref());
            self.positions
                .insert(path.clone(), self.src.position(value.span().start));
            self.record_value(&path, value);
        }
    }

    fn record_value(&mut self, path: &str, value: &Value) {
        match value.get_ref() {
            DeValue::Table(t) => self.record_positions(path, t),
            DeValue::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{path}[{i}]");
                    self.positions
                        .insert(path.clone(), self.src.position(item.span().start));
                    self.record_value(&path, item);
                }
            }
            _ => {}
        }
    }

    fn error(&mut self, key: &str, span: Range<usize>, message: String) {
        self.problems
            .push(self.src.problem(Some(key.to_string()), Some(span), message));
    }

    /// Reads a table into `T`, one key at a time so every bad key is reported, then whole (for
    /// missing required keys). Keys in `skip` are read by the caller. When some keys are bad, `T`
    /// is still built from the good ones where it can be, so later checks see those values.
    fn typed<T: DeserializeOwned>(
        &mut self,
        path: &str,
        value: &Value,
        skip: &[&str],
    ) -> Option<T> {
        let DeValue::Table(table) = value.get_ref() else {
            let message = format!("must be a table, not {}", a(value.get_ref()));
            self.error(path, value.span(), message);
            return None;
        };
        let mut bad: Vec<&str> = skip.to_vec();
        for (k, v) in table.iter() {
            let key = k.get_ref().as_ref();
            if skip.contains(&key) {
                continue;
            }
            let one = std::iter::once((k.clone(), v.clone())).collect();
            if let Err(e) = deserialize::<T>(Spanned::new(value.span(), DeValue::Table(one))) {
                // Alone, a key cannot bring its required siblings; the whole read below can.
                if !e.inner().message().starts_with("missing field") {
                    self.de_error(path, &e);
                    bad.push(key);
                }
            }
        }
        let good = table
            .iter()
            .filter(|(k, _)| !bad.contains(&k.get_ref().as_ref()));
        let good = good.map(|(k, v)| (k.clone(), v.clone())).collect();
        match deserialize::<T>(Spanned::new(value.span(), DeValue::Table(good))) {
            Ok(t) => Some(t),
            // A required key that was bad is already reported; its absence is no news.
            Err(_) if bad.len() > skip.len() => None,
            Err(e) => {
                self.de_error(path, &e);
                None
            }
        }
    }

    fn de_error(&mut self, prefix: &str, e: &serde_path_to_error::Error<toml::de::Error>) {
        use serde_path_to_error::Segment;
        let mut key = prefix.to_string();
        for segment in e.path().iter() {
            match segment {
                Segment::Seq { index } => key.push_str(&format!("[{index}]")),
                Segment::Map { key: k } | Segment::Enum { variant: k } => key = join(&key, k),
                Segment::Unknown => {}
            }
        }
        let message = polish(e.inner().message());
        self.problems
            .push(self.src.problem(Some(key), e.inner().span(), message));
    }

    /// `[[windows]]`, with each window's index in the file (for locating later checks).
    fn windows(&mut self, value: &Value) -> Windows {
        let DeValue::Array(items) = value.get_ref() else {
            let message = format!(
                "must be an array of tables, not {}: write each window as a `[[windows]]` table with \
                 `name`, `start` and `end`",
                a(value.get_ref())
            );
            self.error("windows", value.span(), message);
            return Windows::default();
        };
        let mut out = Windows::default();
        for (i, item) in items.iter().enumerate() {
            if let Some(w) = self.typed::<Window>(&format!("windows[{i}]"), item, &[]) {
                out.read.push((i, w));
            }
            if let Some(name) = item
                .get_ref()
                .get("name")
                .and_then(|n| n.get_ref().as_str())
            {
                out.names.push((i, name.to_string()));
            }
        }
        out
    }

    /// `[collectors.<name>]` tables. Secrets are read here, entry by entry, so that no error
    /// message can quote a value that may be a secret pasted inline.
    fn collectors(&mut self, value: &Value) -> BTreeMap<String, CollectorSettings> {
        let DeValue::Table(table) = value.get_ref() else {
            let message = format!(
                "must be a table of collector names, not {}: write `[collectors.NAME]`",
                a(value.get_ref())
            );
            self.error("collectors", value.span(), message);
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        for (name, settings) in table.iter() {
            let path = join("collectors", name.get_ref());
            let typed = self.typed::<CollectorSettings>(&path, settings, &["secrets"]);
            let secrets = match settings.get_ref().get("secrets") {
                Some(s) => self.secrets(&join(&path, "secrets"), s),
                None => Some(BTreeMap::new()),
            };
            // With bad secrets the file is refused anyway; the rest still gets its checks.
            if let Some(mut c) = typed {
                c.secrets = secrets.unwrap_or_default();
                out.insert(name.get_ref().to_string(), c);
            }
        }
        out
    }

    fn secrets(&mut self, path: &str, value: &Value) -> Option<BTreeMap<String, SecretRef>> {
        let how = "grant each secret as `VARIABLE = \"env:NAME\"` or `VARIABLE = \"file:/path\"`";
        let DeValue::Table(table) = value.get_ref() else {
            let message = format!("must be a table, not {}; {how}", a(value.get_ref()));
            self.error(path, value.span(), message);
            return None;
        };
        let before = self.problems.len();
        let mut out = BTreeMap::new();
        for (var, reference) in table.iter() {
            let key = join(path, var.get_ref());
            let var = var.get_ref().as_ref();
            if !valid_env_name(var) {
                let message = format!(
                    "`{var}` cannot be an environment variable name: use letters, digits and `_`, not \
                     starting with a digit, e.g. `GITHUB_TOKEN`"
                );
                self.error(&key, reference.span(), message);
                continue;
            }
            if var.starts_with(RESERVED_ENV_PREFIX) {
                let message = format!(
                    "`{var}` starts with `{RESERVED_ENV_PREFIX}`, which the agent reserves for the variables \
                     it gives collectors; choose another name"
                );
                self.error(&key, reference.span(), message);
                continue;
            }
            // Never echo the value: a mistake here is most likely a pasted secret.
            let parsed = match reference.get_ref().as_str() {
                Some(text) => SecretRef::parse(text),
                None => Err(format!(
                    "must be a string, not {}; {how}",
                    a(reference.get_ref())
                )),
            };
            match parsed {
                Ok(r) => {
                    out.insert(var.to_string(), r);
                }
                Err(message) => self.error(&key, reference.span(), message),
            }
        }
        (self.problems.len() == before).then_some(out)
    }
}

/// Environment variables of this prefix are the agent's own (`EVIDENCE_OUT_DIR`, …).
const RESERVED_ENV_PREFIX: &str = "EVIDENCE_";

/// "a string", "an integer": the value's TOML type with its article.
fn a(value: &DeValue) -> String {
    let t = value.type_str();
    let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {t}")
}

fn deserialize<T: DeserializeOwned>(
    value: Value,
) -> Result<T, serde_path_to_error::Error<toml::de::Error>> {
    serde_path_to_error::deserialize(value.into_deserializer())
}
