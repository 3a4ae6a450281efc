//! Checks that need more than one key, or a value's meaning rather than its type: windows that
//! overlap, limits that would stop the agent working, an endpoint exposed by accident, and
//! collector tables that name no known collector.

use std::collections::BTreeMap;
use std::path::Path;

use super::problem::{Positions, Problem, join, suggest};
use super::{AgentSettings, CollectorSettings, HttpSettings, OUTSIDE_WINDOW, Window};
use crate::vault::layout;

/// Longest run deadline: a week. Bounded so deadline arithmetic cannot overflow.
const MAX_DEADLINE_SECS: u64 = 7 * 24 * 3600;
/// Longest jitter: a day; schedules run at most daily-ish anyway and more would skip slots.
const MAX_JITTER_SECS: u64 = 24 * 3600;
/// Longest shutdown grace: an hour; systemd and Kubernetes kill well before that.
const MAX_SHUTDOWN_GRACE_SECS: u64 = 3600;
/// Most output bytes of one custom collector run: 1 TiB; evidence is documents, not backups.
const MAX_OUTPUT_BYTES: u64 = 1 << 40;
/// Most output files of one custom collector run.
const MAX_FILES: u64 = 1_000_000;
/// Most concurrent runs: each is a process or a set of API calls; more is a typo.
const MAX_CONCURRENT_RUNS: u64 = 256;

/// The problems and warnings found by the checks, located through the file's key positions.
pub(super) struct Checks<'a> {
    pub(super) positions: &'a Positions,
    pub(super) problems: Vec<Problem>,
    pub(super) warnings: Vec<Problem>,
}

impl Checks<'_> {
    fn error(&mut self, key: &str, message: String) {
        self.problems.push(self.positions.problem(key, message));
    }

    fn warn(&mut self, key: &str, message: String) {
        self.warnings.push(self.positions.problem(key, message));
    }

    /// `value` must lie in `min..=max`; `why` says what breaks otherwise.
    fn range(&mut self, key: &str, value: u64, min: u64, max: u64, why: &str) {
        if value < min {
            self.error(key, format!("must be at least {min}, got {value}: {why}"));
        } else if value > max {
            self.error(key, format!("must be at most {max}, got {value}: {why}"));
        }
    }

    pub(super) fn agent(&mut self, a: &AgentSettings) {
        let runs = u64::try_from(a.max_concurrent_runs).unwrap_or(u64::MAX);
        self.range(
            "agent.max_concurrent_runs",
            runs,
            1,
            MAX_CONCURRENT_RUNS,
            "with 0 no run could ever start",
        );
        self.range(
            "agent.deadline_secs",
            a.deadline_secs,
            1,
            MAX_DEADLINE_SECS,
            "a run needs time, and a week at most",
        );
        self.range(
            "agent.jitter_secs",
            a.jitter_secs,
            0,
            MAX_JITTER_SECS,
            "jitter spreads runs by seconds or minutes",
        );
        let why =
            "in-flight runs get this long after SIGTERM before they are recorded as interrupted";
        self.range(
            "agent.shutdown_grace_secs",
            a.shutdown_grace_secs,
            0,
            MAX_SHUTDOWN_GRACE_SECS,
            why,
        );
        for (key, dir) in [
            ("agent.vault_dir", &a.vault_dir),
            ("agent.collectors_dir", &a.collectors_dir),
        ] {
            if dir.as_os_str().is_empty() {
                self.error(
                    key,
                    "must not be empty: name a folder, e.g. `vault`".to_string(),
                );
            }
        }
    }

    pub(super) fn http(&mut self, h: &HttpSettings) {
        if !h.enabled || h.listen.ip().is_loopback() {
            return;
        }
        if h.allow_remote {
            let message = format!(
                "`{}` serves /healthz and /metrics to other hosts (allowed by `http.allow_remote`); \
                 keep the port behind a firewall",
                h.listen
            );
            self.warn("http.listen", message);
        } else {
            let message = format!(
                "`{}` is not a loopback address, so /healthz and /metrics would be reachable from other \
                 hosts; listen on `127.0.0.1:{}`, or set `http.allow_remote = true` to expose them on purpose",
                h.listen,
                h.listen.port()
            );
            self.error("http.listen", message);
        }
    }

    /// `windows` holds each window that was read, with its index in the file; `names` the name
    /// of every window that has one, read or not, so a bad date hides no bad name.
    pub(super) fn windows(&mut self, windows: &[(usize, Window)], names: &[(usize, String)]) {
        if windows.is_empty() && names.is_empty() {
            let message = "no `[[windows]]` are configured, so every run is filed under `outside-window`; \
                           add the audit window you are observing";
            self.warn("windows", message.to_string());
        }
        let mut first_use: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, name) in names {
            let name_key = format!("windows[{i}].name");
            if !layout::valid_name(name) {
                let message = format!(
                    "window name `{name}` cannot be a folder name in the vault: use letters, digits, \
                     `-`, `_` and `.` (not first), at most 100 characters, e.g. `soc2-2026`"
                );
                self.error(&name_key, message);
            } else if name == OUTSIDE_WINDOW || name == layout::MARKER {
                let message =
                    format!("window name `{name}` is reserved by the vault; choose another");
                self.error(&name_key, message);
            }
            if let Some(first) = first_use.get(name.as_str()) {
                let message = format!(
                    "window name `{name}` is already used by windows[{first}]; names must be unique"
                );
                self.error(&name_key, message);
            } else {
                first_use.insert(name, *i);
            }
        }
        for (i, w) in windows {
            if w.end < w.start {
                let message = format!(
                    "window `{}` ends on {}, before it starts on {}; swap the dates",
                    w.name, w.end, w.start
                );
                self.error(&format!("windows[{i}].end"), message);
            }
        }
        let valid: Vec<&(usize, Window)> =
            windows.iter().filter(|(_, w)| w.start <= w.end).collect();
        for (n, (i, a)) in valid.iter().enumerate() {
            for (j, b) in &valid[n + 1..] {
                if a.start <= b.end && b.start <= a.end {
                    let message = format!(
                        "window `{}` ({} to {}) overlaps window `{}` (windows[{i}], {} to {}) from {} to {}; \
                         a date must belong to one window, so end one the day before the next starts",
                        b.name,
                        b.start,
                        b.end,
                        a.name,
                        a.start,
                        a.end,
                        a.start.max(b.start),
                        a.end.min(b.end)
                    );
                    self.error(&format!("windows[{j}].start"), message);
                }
            }
        }
    }

    pub(super) fn collectors(&mut self, collectors: &BTreeMap<String, CollectorSettings>) {
        for (name, c) in collectors {
            let key = |field: &str| join(&join("collectors", name), field);
            if let Some(d) = c.deadline_secs {
                self.range(
                    &key("deadline_secs"),
                    d,
                    1,
                    MAX_DEADLINE_SECS,
                    "a run needs time, and a week at most",
                );
            }
            if let Some(n) = c.max_output_bytes {
                let why = "a custom collector's output, all of it kept in the vault";
                self.range(&key("max_output_bytes"), n, 1, MAX_OUTPUT_BYTES, why);
            }
            if let Some(n) = c.max_files {
                let why = "a custom collector's output files, each one an artifact";
                self.range(&key("max_files"), n, 1, MAX_FILES, why);
            }
            if let Some(s) = &c.schedule
                && s.next_after(&chrono::Utc::now()).is_none()
            {
                let message = format!(
                    "cron expression `{}` never fires from now on (a date that does not exist, or \
                     a year in the past); check the day-of-month, month and year fields",
                    s.as_str()
                );
                self.error(&key("schedule"), message);
            }
        }
    }

    /// A built-in collector's section: its own checks, each at its key.
    /// Keys may carry indexes (`accounts[0].role_arn`), so they are appended as written.
    pub(super) fn section<K: AsRef<str>>(&mut self, section: &str, problems: Vec<(K, String)>) {
        for (key, message) in problems {
            self.error(&format!("{section}.{}", key.as_ref()), message);
        }
    }

    /// One problem per `[collectors.<name>]` table whose name is not in `known` (the collectors
    /// installed: built-in ones and the folders of `dir`), located at the table.
    pub(super) fn collector_names(&mut self, names: &[String], known: &[String], dir: &Path) {
        let listed = if known.is_empty() {
            "no collectors are installed".to_string()
        } else {
            let names: Vec<String> = known.iter().map(|n| format!("`{n}`")).collect();
            format!("known collectors are {}", names.join(", "))
        };
        for name in names.iter().filter(|n| !known.contains(n)) {
            let hint = match suggest(name, known.iter().map(String::as_str)) {
                Some(s) => format!(" (did you mean `{s}`?)"),
                None => String::new(),
            };
            let message = format!(
                "there is no collector named `{name}`{hint}; {listed}; custom collectors are the \
                 folders with a `collector.toml` in {} (`agent.collectors_dir`)",
                dir.display()
            );
            self.error(&join("collectors", name), message);
        }
    }
}
