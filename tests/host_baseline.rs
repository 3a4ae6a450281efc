//! Tests: host_baseline, the shipped custom collector in `collectors/host-baseline/`, run the way
//! the agent runs it (a process with a cleared environment and an empty output folder), on this
//! host and on fake roots given through its documented `HOST_BASELINE_ROOT` variable.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::str::FromStr;

use evidence_agent::evidence::{Finding, Severity};
use serde::Deserialize;

use crate::util;

/// The stdout contract of a custom collector: nothing but findings and a summary.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Report {
    findings: Vec<Finding>,
    summary: serde_json::Map<String, serde_json::Value>,
}

/// The files every run writes, whatever the host has installed.
const ARTIFACTS: &[&str] = &[
    "hostname.txt",
    "os-release.txt",
    "uname.txt",
    "uptime.txt",
    "sshd.txt",
    "firewall.txt",
    "automatic-updates.txt",
    "disk-encryption.txt",
    "listening-ports.txt",
    "accounts.txt",
    "uid0-accounts.txt",
    "time-sync.txt",
];

/// The summary keys, one per check.
const SUMMARY_KEYS: &[&str] = &[
    "host",
    "os",
    "kernel",
    "boot_time",
    "sshd_source",
    "sshd_password_authentication",
    "sshd_permit_root_login",
    "firewall",
    "automatic_updates",
    "disk_encryption",
    "listening_sockets",
    "accounts_with_login_shell",
    "uid0_accounts",
    "container",
    "time_sync",
];

fn collector_dir() -> PathBuf {
    util::repo().join("collectors").join("host-baseline")
}

struct Run {
    out: tempfile::TempDir,
    report: Report,
    stdout: String,
}

impl Run {
    fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.path().join(name))
            .unwrap_or_else(|e| panic!("artifact {name}: {e}"))
    }
    fn summary(&self, key: &str) -> &serde_json::Value {
        self.report
            .summary
            .get(key)
            .unwrap_or_else(|| panic!("summary has no `{key}`: {:?}", self.report.summary))
    }
    fn summary_str(&self, key: &str) -> &str {
        self.summary(key)
            .as_str()
            .unwrap_or_else(|| panic!("summary `{key}` is not a string"))
    }
    fn rules(&self) -> BTreeSet<&str> {
        self.report
            .findings
            .iter()
            .map(|f| f.rule.as_str())
            .collect()
    }
    fn finding(&self, rule: &str) -> &Finding {
        self.report
            .findings
            .iter()
            .find(|f| f.rule == rule)
            .unwrap_or_else(|| panic!("no `{rule}` finding in {:?}", self.report.findings))
    }
}

/// Runs the script under dash as the agent would: cleared environment, working directory = its
/// folder, stdin from /dev/null, an empty output folder. `path` is the PATH it gets.
fn spawn(root: Option<&Path>, out: Option<&Path>, path: &OsStr) -> Output {
    let home = tempfile::tempdir().unwrap();
    let mut command = Command::new(dash());
    command
        .arg(collector_dir().join("collect.sh"))
        .current_dir(collector_dir())
        .env_clear()
        .env("PATH", path)
        .env("LANG", "C.UTF-8")
        .env("HOME", home.path())
        .env("EVIDENCE_RUN_ID", "20250101T030000Z-0123abcd")
        .env("EVIDENCE_COLLECTOR", "host-baseline")
        .env("EVIDENCE_WINDOW", "test-window")
        .env("EVIDENCE_WINDOW_START", "2025-01-01")
        .env("EVIDENCE_WINDOW_END", "2025-12-31")
        .env("EVIDENCE_DEADLINE", "2099-01-01T00:00:00Z")
        .stdin(Stdio::null());
    if let Some(out) = out {
        command.env("EVIDENCE_OUT_DIR", out);
    }
    if let Some(root) = root {
        command.env("HOST_BASELINE_ROOT", root);
    }
    command.output().expect("run collect.sh under dash")
}

/// dash, the plain POSIX sh the script must run under (tests/run.sh installs it).
fn dash() -> PathBuf {
    ["/usr/bin/dash", "/bin/dash"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("dash is not installed: run tests/run.sh, which installs it")
}

/// The PATH of the live host as the agent passes it (the script adds the sbin folders itself).
const HOST_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The basic utilities the script uses; anything else it runs is optional.
const BASIC_TOOLS: &[&str] = &[
    "awk", "cat", "cp", "cut", "date", "dirname", "grep", "head", "id", "mkdir", "mktemp", "paste",
    "rm", "sed", "sort", "timeout", "tr", "uname", "wc",
];

/// A folder for PATH holding links to the basic utilities only, plus fake tools given as
/// `(name, sh script body)`: so a test decides which of nft, ss, lsblk… exist and what they say.
struct Tools {
    dir: tempfile::TempDir,
}

impl Tools {
    fn new(fakes: &[(&str, &str)]) -> Tools {
        let dir = tempfile::tempdir().unwrap();
        for tool in BASIC_TOOLS {
            let real = ["/usr/bin", "/bin"]
                .iter()
                .map(|d| Path::new(d).join(tool))
                .find(|p| p.is_file())
                .unwrap_or_else(|| panic!("{tool} is not installed in /usr/bin or /bin"));
            std::os::unix::fs::symlink(real, dir.path().join(tool)).unwrap();
        }
        for (name, body) in fakes {
            let path = dir.path().join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        Tools { dir }
    }
    fn path(&self) -> &OsStr {
        self.dir.path().as_os_str()
    }
}

fn run(root: Option<&Path>) -> Run {
    match root {
        Some(root) => run_with(Some(root), Tools::new(&[]).path()),
        None => run_with(None, OsStr::new(HOST_PATH)),
    }
}

fn run_with(root: Option<&Path>, path: &OsStr) -> Run {
    let out = tempfile::tempdir().unwrap();
    let output = spawn(root, Some(out.path()), path);
    let stdout = String::from_utf8(output.stdout).expect("stdout is UTF-8");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "collect.sh failed: {:?}\nstderr: {stderr}",
        output.status
    );
    assert_eq!(stderr, "", "the collector should be quiet on stderr");
    let report: Report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout breaks the contract: {e}\n{stdout}"));
    let run = Run {
        out,
        report,
        stdout,
    };
    for name in ARTIFACTS {
        let path = run.out.path().join(name);
        let meta = std::fs::symlink_metadata(&path)
            .unwrap_or_else(|e| panic!("artifact {name} missing: {e}"));
        assert!(meta.file_type().is_file(), "{name} is not a regular file");
        assert!(meta.len() > 0, "{name} is empty");
    }
    for key in SUMMARY_KEYS {
        run.summary(key);
    }
    for finding in &run.report.findings {
        let artifact = finding
            .artifact
            .as_deref()
            .unwrap_or_else(|| panic!("finding without artifact: {finding:?}"));
        assert!(
            run.out.path().join(artifact).is_file(),
            "finding names missing artifact {artifact}"
        );
    }
    run
}

/// A fake root: the files the script reads, under a temporary folder.
struct FakeRoot {
    dir: tempfile::TempDir,
}

impl FakeRoot {
    /// The parts of a host every test shares: identity, a visible process list, one disk, apt.
    fn new() -> FakeRoot {
        let root = FakeRoot {
            dir: tempfile::tempdir().unwrap(),
        };
        root.file("etc/hostname", "fakehost\n");
        root.file("etc/os-release", "PRETTY_NAME=\"Fake Linux 1\"\nID=fake\n");
        root.file("proc/uptime", "1234.56 2000.00\n");
        root.file("proc/stat", "cpu 1 2 3\nbtime 1700000000\n");
        root.file("proc/1/comm", "systemd\n");
        std::fs::create_dir_all(root.path().join("sys/block/vda")).unwrap();
        root.file("usr/bin/unattended-upgrade", "");
        root
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn file(&self, rel: &str, content: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

#[test]
fn this_host_yields_every_artifact_and_the_contract_json() {
    let run = run(None);
    assert!(run.stdout.ends_with("}\n"), "one JSON object on stdout");
    assert!(!run.summary_str("host").is_empty());
    let ports = run.summary("listening_sockets");
    assert!(
        ports.is_u64() || ports.as_str().is_some_and(|s| s.starts_with("unknown")),
        "listening_sockets: {ports}"
    );
    // Every check ends in a result or an honest unknown, never an empty string.
    for key in SUMMARY_KEYS {
        let value = run.summary(key);
        assert!(
            value.as_str().is_none_or(|s| !s.is_empty()),
            "summary `{key}` is empty"
        );
    }
    // Nothing but regular files in the output folder (the agent refuses anything else).
    for entry in walk(run.out.path()) {
        let meta = std::fs::symlink_metadata(&entry).unwrap();
        assert!(
            meta.is_file() || meta.is_dir(),
            "{} is neither a file nor a folder",
            entry.display()
        );
    }
    if let Ok(os_release) = std::fs::read("/etc/os-release") {
        assert_eq!(
            std::fs::read(run.out.path().join("os-release.txt")).unwrap(),
            os_release,
            "os-release.txt is an exact copy"
        );
    }
}

#[test]
fn bad_settings_in_a_fake_root_give_exactly_the_expected_findings() {
    let root = FakeRoot::new();
    root.file("etc/ssh/sshd_config", "# sshd config\nInclude /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication yes\nPermitRootLogin yes\n");
    root.file("etc/ssh/sshd_config.d/10-port.conf", "Port 2222\n");
    root.file(
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0:second root:/root:/bin/sh\nalice:$6$salt$SECRETHASHVALUE:1000:1000:Alice:/home/alice:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n",
    );
    root.file(
        "etc/apt/apt.conf.d/20auto-upgrades",
        "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"0\";\n",
    );

    let run = run(Some(root.path()));

    let expected: BTreeSet<&str> = [
        "sshd-password-authentication",
        "sshd-permit-root-login",
        "extra-uid0-account",
        "automatic-updates-not-configured",
        "disk-encryption-not-found",
        "time-sync-inactive",
    ]
    .into();
    assert_eq!(run.rules(), expected, "{:#?}", run.report.findings);
    let uid0: Vec<&Finding> = run
        .report
        .findings
        .iter()
        .filter(|f| f.rule == "extra-uid0-account")
        .collect();
    assert_eq!(uid0.len(), 1, "only toor is an extra UID 0 account");
    assert_eq!(uid0[0].subject, "fakehost: account toor");
    assert_eq!(uid0[0].severity, Severity::High);
    assert_eq!(uid0[0].artifact.as_deref(), Some("uid0-accounts.txt"));
    let password = run.finding("sshd-password-authentication");
    assert_eq!(password.severity, Severity::High);
    assert_eq!(password.artifact.as_deref(), Some("sshd.txt"));
    assert_eq!(
        run.finding("sshd-permit-root-login").severity,
        Severity::High
    );
    assert_eq!(
        run.finding("automatic-updates-not-configured").severity,
        Severity::Medium
    );
    let disk = run.finding("disk-encryption-not-found");
    assert_eq!(disk.severity, Severity::Medium);
    assert!(
        disk.message.contains("provider"),
        "the message says cloud volumes may be encrypted at the provider: {}",
        disk.message
    );
    assert_eq!(run.finding("time-sync-inactive").severity, Severity::Low);

    assert_eq!(run.summary_str("sshd_source"), "files");
    assert_eq!(run.summary_str("sshd_password_authentication"), "yes");
    assert_eq!(run.summary_str("sshd_permit_root_login"), "yes");
    assert_eq!(run.summary_str("uid0_accounts"), "root,toor");
    assert_eq!(run.summary_str("host"), "fakehost");
    assert_eq!(run.summary_str("os"), "Fake Linux 1");
    assert_eq!(run.summary_str("boot_time"), "2023-11-14T22:13:20Z");
    assert_eq!(
        run.summary_str("automatic_updates"),
        "not configured: APT::Periodic::Unattended-Upgrade is 0"
    );
    // No firewall tool on PATH: recorded as unavailable, which is not a finding.
    assert!(
        run.summary_str("firewall").starts_with("unavailable:"),
        "{}",
        run.summary_str("firewall")
    );
    assert_eq!(
        run.summary("accounts_with_login_shell"),
        &serde_json::json!(3)
    );

    // The config files read are kept as exact copies, in the order sshd reads them.
    assert_eq!(
        run.file("files/etc/ssh/sshd_config"),
        std::fs::read_to_string(root.path().join("etc/ssh/sshd_config")).unwrap()
    );
    assert_eq!(
        run.file("files/etc/ssh/sshd_config.d/10-port.conf"),
        "Port 2222\n"
    );
    let sshd = run.file("sshd.txt");
    let include = sshd
        .find("/etc/ssh/sshd_config.d/10-port.conf")
        .expect("included file listed");
    assert!(
        sshd.find("#   /etc/ssh/sshd_config\n")
            .is_some_and(|main| main < include),
        "{sshd}"
    );
    assert!(
        sshd.contains("\nport 2222\n") && sshd.contains("\npasswordauthentication yes\n"),
        "{sshd}"
    );

    // The password field of /etc/passwd never reaches the evidence or stdout.
    assert!(!run.stdout.contains("SECRETHASHVALUE"));
    for path in walk(run.out.path()) {
        if path.is_file() {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                !text.contains("SECRETHASHVALUE"),
                "{} holds a password hash",
                path.display()
            );
        }
    }
    assert!(
        run.file("accounts.txt")
            .contains("\nalice:1000:1000:Alice:/home/alice:/bin/bash:yes\n")
    );
}

#[test]
fn a_clean_fake_root_gives_no_findings_and_reads_sshd_first_value_wins() {
    let root = FakeRoot::new();
    // As on Debian cloud images: the drop-in is read first (Include at the top), so its `no`
    // wins over the later `yes`; the Match block is conditional and is left out.
    root.file(
        "etc/ssh/sshd_config",
        "Include sshd_config.d/*.conf\nPasswordAuthentication yes\nPermitRootLogin yes\nMatch User deploy\n    PasswordAuthentication yes\n    PermitRootLogin yes\n    X11Forwarding yes\n",
    );
    root.file(
        "etc/ssh/sshd_config.d/50-cloud.conf",
        "PasswordAuthentication=no\n  permitrootlogin   Prohibit-Password\n",
    );
    root.file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\nsync:x:4:65534:sync:/bin:/bin/sync\n");
    root.file("proc/2/comm", "chronyd\n");
    root.file("etc/crypttab", "# <target> <source> <key> <options>\ncryptroot UUID=0f6b6c1e-0000-4000-8000-000000000000 none luks\n");
    root.file(
        "etc/apt/apt.conf.d/20auto-upgrades",
        "APT::Periodic::Update-Package-Lists \"1\";\nAPT::Periodic::Unattended-Upgrade \"1\";\n",
    );
    root.file(
        "proc/net/tcp",
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11111 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 11112 1 0000000000000000 20 4 30 10 -1\n",
    );
    root.file(
        "proc/net/tcp6",
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000001000000:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 22222 1 0000000000000000 100 0 0 10 0\n",
    );
    root.file(
        "proc/net/udp",
        "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n  100: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 33333 2 0000000000000000 0\n",
    );

    let run = run(Some(root.path()));

    assert!(run.report.findings.is_empty(), "{:#?}", run.report.findings);
    assert_eq!(run.summary_str("sshd_source"), "files");
    assert_eq!(run.summary_str("sshd_password_authentication"), "no");
    assert_eq!(
        run.summary_str("sshd_permit_root_login"),
        "prohibit-password"
    );
    let sshd = run.file("sshd.txt");
    assert!(sshd.contains("\npasswordauthentication no\n"), "{sshd}");
    assert!(
        !sshd.contains("passwordauthentication yes"),
        "only the first value is effective: {sshd}"
    );
    assert!(
        !sshd.contains("x11forwarding"),
        "Match blocks are not global settings: {sshd}"
    );
    assert_eq!(run.summary_str("uid0_accounts"), "root");
    assert!(
        run.summary_str("automatic_updates")
            .starts_with("configured: unattended-upgrades"),
        "{}",
        run.summary_str("automatic_updates")
    );
    assert_eq!(
        run.summary_str("disk_encryption"),
        "encrypted: 1 /etc/crypttab entries"
    );
    assert_eq!(run.summary_str("time_sync"), "active: chronyd running");
    assert_eq!(
        run.summary("accounts_with_login_shell"),
        &serde_json::json!(2)
    );
    assert_eq!(
        run.file("files/etc/crypttab"),
        std::fs::read_to_string(root.path().join("etc/crypttab")).unwrap()
    );

    // /proc/net parsed without ss: two listeners and one bound UDP socket; the connection is not one.
    assert_eq!(run.summary("listening_sockets"), &serde_json::json!(3));
    let ports = run.file("listening-ports.txt");
    assert!(
        ports.contains("\ntcp 127.0.0.1 8080 0 root 11111\n"),
        "{ports}"
    );
    assert!(
        ports.contains("\ntcp6 ::1 443 1000 alice 22222\n"),
        "{ports}"
    );
    assert!(ports.contains("\nudp 0.0.0.0 53 0 root 33333\n"), "{ports}");
    assert!(!ports.contains("11112"), "{ports}");
}

#[test]
fn unset_sshd_settings_take_the_openssh_defaults() {
    let root = FakeRoot::new();
    root.file("etc/ssh/sshd_config", "Port 22\n");
    root.file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");

    let run = run(Some(root.path()));

    assert_eq!(
        run.summary_str("sshd_password_authentication"),
        "yes (default)"
    );
    assert_eq!(
        run.summary_str("sshd_permit_root_login"),
        "prohibit-password (default)"
    );
    assert!(run.rules().contains("sshd-password-authentication"));
    assert!(!run.rules().contains("sshd-permit-root-login"));
    assert!(
        run.finding("sshd-password-authentication")
            .message
            .contains("yes (default)")
    );
}

#[test]
fn strings_with_quotes_backslashes_and_tabs_are_escaped_in_the_json() {
    let root = FakeRoot::new();
    let name = "we\"ird\\na\tme";
    root.file(
        "etc/passwd",
        &format!("root:x:0:0:root:/root:/bin/bash\n{name}:x:0:0::/root:/bin/sh\n"),
    );
    root.file("etc/hostname", "host \"with\" quotes\n");

    let run = run(Some(root.path()));

    assert_eq!(
        run.finding("extra-uid0-account").subject,
        format!("host \"with\" quotes: account {name}")
    );
    assert_eq!(run.summary_str("uid0_accounts"), format!("root,{name}"));
    assert_eq!(run.summary_str("host"), "host \"with\" quotes");
}

#[test]
fn without_an_output_folder_it_exits_2_and_says_what_is_missing() {
    let output = spawn(None, None, OsStr::new(HOST_PATH));
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("EVIDENCE_OUT_DIR"), "{stderr}");
    assert!(output.stdout.is_empty());

    let output = spawn(
        Some(Path::new("/nonexistent/host-baseline-root")),
        Some(&std::env::temp_dir()),
        OsStr::new(HOST_PATH),
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("HOST_BASELINE_ROOT"));
}

#[test]
fn missing_tools_are_recorded_as_unavailable_not_as_a_failure() {
    // A bare host: no nft, iptables, ufw, firewalld, ss, lsblk, timedatectl, sshd; no /proc/net.
    let root = FakeRoot::new();
    root.file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");

    let run = run(Some(root.path()));

    assert_eq!(
        run.summary_str("firewall"),
        "unavailable: none of nft, iptables-save, ip6tables-save, ufw, firewall-cmd is installed"
    );
    let firewall = run.file("firewall.txt");
    for line in [
        "## nftables: not installed (no nft)",
        "## iptables-save: not installed",
        "## ip6tables-save: not installed",
        "## ufw: not installed",
        "## firewalld: not installed (no firewall-cmd)",
    ] {
        assert!(
            firewall.contains(line),
            "{line:?} missing from:\n{firewall}"
        );
    }
    assert!(!run.rules().contains("firewall-no-rules"));
    assert_eq!(
        run.summary_str("listening_sockets"),
        "unknown: neither ss nor /proc/net/tcp available"
    );
    assert_eq!(
        run.summary_str("sshd_source"),
        "none: sshd not installed or not configured"
    );
    assert!(!run.rules().contains("sshd-password-authentication"));
}

/// A ruleset as `nft list ruleset` prints it: a drop policy and two accept rules.
const NFT_RULESET: &str = "table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		tcp dport 22 accept
	}
}";

#[test]
fn firewall_tools_on_path_are_run_and_their_output_kept() {
    let root = FakeRoot::new();
    root.file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
    let tools = Tools::new(&[
        (
            "nft",
            &format!("[ \"$*\" = 'list ruleset' ] || exit 64\ncat <<'EOF'\n{NFT_RULESET}\nEOF"),
        ),
        (
            "iptables-save",
            "echo 'iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)' >&2\nexit 4",
        ),
    ]);

    let run = run_with(Some(root.path()), tools.path());

    assert_eq!(
        run.summary_str("firewall"),
        "active: nftables: 3 rules or drop policies"
    );
    assert!(!run.rules().contains("firewall-no-rules"));
    let firewall = run.file("firewall.txt");
    assert!(
        firewall.contains(&format!(
            "## `nft list ruleset` (exit status 0)\n{NFT_RULESET}\n"
        )),
        "{firewall}"
    );
    assert!(
        firewall.contains("## `iptables-save` (exit status 4)\n## stderr:\niptables-save v1.8.9"),
        "{firewall}"
    );
}

#[test]
fn an_empty_ruleset_is_a_finding_and_a_refused_one_is_unknown() {
    let root = FakeRoot::new();
    root.file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");

    let empty = Tools::new(&[(
        "nft",
        "echo 'table inet filter {'\necho '	chain input {'\necho '		type filter hook input priority filter; policy accept;'\necho '	}'\necho '}'",
    )]);
    let run = run_with(Some(root.path()), empty.path());
    assert_eq!(
        run.summary_str("firewall"),
        "no rules (nftables: empty ruleset)"
    );
    let finding = run.finding("firewall-no-rules");
    assert_eq!(finding.severity, Severity::Medium);
    assert_eq!(finding.subject, "fakehost: host firewall");
    assert_eq!(finding.artifact.as_deref(), Some("firewall.txt"));

    let refused = Tools::new(&[(
        "nft",
        "echo 'Error: Could not process rule: Operation not permitted' >&2\nexit 1",
    )]);
    let run = run_with(Some(root.path()), refused.path());
    assert_eq!(
        run.summary_str("firewall"),
        "unknown: not permitted (nftables; run as root or with CAP_NET_ADMIN)"
    );
    assert!(
        !run.rules().contains("firewall-no-rules"),
        "{:?}",
        run.rules()
    );
}

#[test]
fn ss_and_lsblk_on_path_give_ports_and_disk_encryption() {
    let root = FakeRoot::new();
    root.file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
    let ss = "Netid State  Recv-Q Send-Q Local Address:Port Peer Address:PortProcess
udp   UNCONN 0      0          127.0.0.1:323        0.0.0.0:*
tcp   LISTEN 0      128          0.0.0.0:22         0.0.0.0:*";
    let lsblk = "NAME          TYPE  FSTYPE      SIZE MOUNTPOINT
vda           disk                20G
└─vda1        part  crypto_LUKS   20G
  └─cryptroot crypt ext4          20G /";
    let tools = Tools::new(&[
        (
            "ss",
            &format!("[ \"$*\" = '-tulpn' ] || exit 64\ncat <<'EOF'\n{ss}\nEOF"),
        ),
        ("lsblk", &format!("cat <<'EOF'\n{lsblk}\nEOF")),
    ]);

    let run = run_with(Some(root.path()), tools.path());

    assert_eq!(run.summary("listening_sockets"), &serde_json::json!(2));
    assert!(
        run.file("listening-ports.txt")
            .contains(&format!("## `ss -tulpn` (exit status 0)\n{ss}\n"))
    );
    assert_eq!(
        run.summary_str("disk_encryption"),
        "encrypted: dm-crypt device in lsblk"
    );
    assert!(!run.rules().contains("disk-encryption-not-found"));
    assert!(run.file("disk-encryption.txt").contains(lsblk));
}

#[test]
fn collector_toml_follows_the_contract() {
    let text = std::fs::read_to_string(collector_dir().join("collector.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let allowed: BTreeSet<&str> = [
        "name",
        "description",
        "version",
        "criteria",
        "command",
        "schedule",
        "timeout_secs",
        "max_output_bytes",
        "max_files",
        "secrets",
        "environment",
    ]
    .into();
    for key in table.keys() {
        assert!(
            allowed.contains(key.as_str()),
            "unknown key `{key}` in collector.toml"
        );
    }
    assert_eq!(
        table["name"].as_str(),
        Some("host-baseline"),
        "name = folder name"
    );
    let criteria: Vec<&str> = table["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c.as_str())
        .collect();
    assert_eq!(criteria, ["CC6.1", "CC6.6", "CC6.8", "CC7.1"]);
    assert_eq!(table["timeout_secs"].as_integer(), Some(120));
    let schedule = table["schedule"].as_str().unwrap();
    assert_eq!(schedule, "0 0 3 * * *");
    cron::Schedule::from_str(schedule).expect("schedule is a cron expression with seconds");
    let command = table["command"].as_array().unwrap();
    let program = collector_dir().join(command[0].as_str().unwrap());
    let mode = std::fs::metadata(&program).unwrap().permissions().mode();
    assert!(mode & 0o111 != 0, "{} is not executable", program.display());
    assert!(
        std::fs::read_to_string(&program)
            .unwrap()
            .starts_with("#!/bin/sh\n"),
        "POSIX sh"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if std::fs::symlink_metadata(&path).unwrap().is_dir() {
            found.extend(walk(&path));
        }
        found.push(path);
    }
    found
}
