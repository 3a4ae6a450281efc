//! Tests: systemd/check.sh, run for real on the shipped unit and on a weakened copy.

use std::path::Path;
use std::process::{Command, Output};

use crate::util;

fn check(unit: Option<&Path>) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(util::repo().join("systemd").join("check.sh"))
        .env("EVIDENCE_AGENT_BIN", util::bin());
    if let Some(unit) = unit {
        command.arg(unit);
    }
    command.output().expect("run systemd/check.sh")
}

#[test]
fn the_shipped_unit_verifies_and_rates_at_most_2_0() {
    let output = check(None);
    let text = util::text(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("ok: systemd-analyze verify"), "{text}");
    let exposure: f64 = stdout
        .lines()
        .find_map(|l| l.split(" exposure ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure figure: {text}"));
    assert!(exposure <= 2.0, "{text}");
    assert!(stdout.contains("ok: TimeoutStopSec="), "{text}");
    assert!(stdout.contains("ok: systemd-sysusers"), "{text}");
}

#[test]
fn a_weakened_unit_fails_with_what_weakens_it() {
    let unit =
        std::fs::read_to_string(util::repo().join("systemd/evidence-agent.service")).unwrap();
    let weak: String = unit
        .lines()
        .filter(|l| {
            ![
                "Protect",
                "Private",
                "CapabilityBoundingSet",
                "SystemCallFilter",
            ]
            .iter()
            .any(|p| l.starts_with(p))
        })
        .map(|l| {
            if l.starts_with("TimeoutStopSec=") {
                "TimeoutStopSec=20s"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evidence-agent.service");
    std::fs::write(&path, weak + "\n").unwrap();

    let output = check(Some(&path));

    let text = util::text(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is over 2.0; what weakens it:"), "{text}");
    assert!(stderr.contains("✗ ProtectSystem="), "{text}");
    assert!(
        stderr.contains("TimeoutStopSec=20s is shorter than shutdown_grace_secs (30)"),
        "{text}"
    );
}
