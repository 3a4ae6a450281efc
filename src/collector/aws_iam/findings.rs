//! The exceptions of one account: from its credential report rows and its password policy.

use chrono::{DateTime, Utc};

use super::config::{AwsSettings, ExpectedPasswordPolicy};
use super::report::{Row, Stamp};
use crate::evidence::{Finding, Severity};

/// The password policy as `GetAccountPasswordPolicy` returned it (the fields that are checked).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PasswordPolicy {
    pub minimum_password_length: u32,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    /// 0: passwords do not expire.
    pub max_password_age: u32,
    /// 0: reuse is not prevented.
    pub password_reuse_prevention: u32,
}

/// Findings about users and root, in row order. `artifact` is where the rows are stored.
pub fn for_rows(
    rows: &[Row],
    settings: &AwsSettings,
    now: DateTime<Utc>,
    artifact: &str,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let finding = |rule: &str, severity, subject: &str, message: String| Finding {
        rule: rule.into(),
        severity,
        subject: subject.into(),
        message,
        artifact: Some(artifact.into()),
    };
    let days = |t: DateTime<Utc>| (now - t).num_days();
    for row in rows {
        if row.is_root() {
            if !row.mfa_active {
                out.push(finding(
                    "aws-root-without-mfa",
                    Severity::Critical,
                    &row.arn,
                    "The root account has no MFA device.".into(),
                ));
            }
            let keys: Vec<String> = row.active_keys().map(|k| k.slot.to_string()).collect();
            if !keys.is_empty() {
                out.push(finding(
                    "aws-root-access-keys",
                    Severity::Critical,
                    &row.arn,
                    format!(
                        "The root account has active access keys (slot {}).",
                        keys.join(", ")
                    ),
                ));
            }
            continue;
        }
        if row.password_enabled.is_true() && !row.mfa_active {
            out.push(finding(
                "aws-console-without-mfa",
                Severity::High,
                &row.arn,
                format!(
                    "User `{}` can sign in to the console without MFA.",
                    row.user
                ),
            ));
        }
        for key in row.active_keys() {
            if let Some(age) = key.last_rotated.at().map(days)
                && age > i64::from(settings.max_key_age_days)
            {
                out.push(finding(
                    "aws-access-key-too-old",
                    Severity::Medium,
                    &row.arn,
                    format!(
                        "User `{}` has active access key {} last rotated {age} days ago (more than {}).",
                        row.user, key.slot, settings.max_key_age_days
                    ),
                ));
            }
        }
        if let Some(last) = last_activity(row)
            && days(last) > i64::from(settings.max_unused_days)
        {
            out.push(finding(
                "aws-credentials-unused",
                Severity::Medium,
                &row.arn,
                format!(
                    "User `{}` has a password or active access key and used none of them for {} days (more than {}).",
                    row.user,
                    days(last),
                    settings.max_unused_days
                ),
            ));
        }
    }
    out
}

/// The latest use of any of the user's credentials, or when a never-used one was issued.
/// `None` when the user has no console password and no active key.
pub fn last_activity(row: &Row) -> Option<DateTime<Utc>> {
    let mut times = Vec::new();
    let mut any = false;
    if row.password_enabled.is_true() {
        any = true;
        times.push(used_or_issued(
            row.password_last_used,
            row.password_last_changed,
            row.created,
        ));
    }
    for key in row.active_keys() {
        any = true;
        times.push(used_or_issued(key.last_used, key.last_rotated, row.created));
    }
    if !any {
        return None;
    }
    times.into_iter().flatten().max()
}

fn used_or_issued(used: Stamp, issued: Stamp, created: Stamp) -> Option<DateTime<Utc>> {
    used.at().or(issued.at()).or(created.at())
}

/// The password policy finding, if any; `None` policy means the account has none.
pub fn for_policy(
    policy: Option<&PasswordPolicy>,
    expected: &ExpectedPasswordPolicy,
    account: &str,
    artifact: &str,
) -> Option<Finding> {
    let subject = format!("arn:aws:iam::{account}:root");
    let Some(p) = policy else {
        return Some(Finding {
            rule: "aws-password-policy-missing".into(),
            severity: Severity::High,
            subject,
            message: format!(
                "Account {account} has no password policy, so IAM's defaults apply (8 characters, nothing else required)."
            ),
            artifact: Some(artifact.into()),
        });
    };
    let mut weaker = Vec::new();
    if p.minimum_password_length < expected.min_password_length {
        weaker.push(format!(
            "minimum length {} (expected at least {})",
            p.minimum_password_length, expected.min_password_length
        ));
    }
    for (want, has, what) in [
        (
            expected.require_uppercase,
            p.require_uppercase_characters,
            "uppercase letters",
        ),
        (
            expected.require_lowercase,
            p.require_lowercase_characters,
            "lowercase letters",
        ),
        (expected.require_numbers, p.require_numbers, "numbers"),
        (expected.require_symbols, p.require_symbols, "symbols"),
    ] {
        if want && !has {
            weaker.push(format!("{what} not required"));
        }
    }
    if expected.max_password_age_days > 0
        && (p.max_password_age == 0 || p.max_password_age > expected.max_password_age_days)
    {
        weaker.push(format!(
            "passwords expire after {} (expected at most {} days)",
            match p.max_password_age {
                0 => "never".to_string(),
                d => format!("{d} days"),
            },
            expected.max_password_age_days
        ));
    }
    if p.password_reuse_prevention < expected.password_reuse_prevention {
        weaker.push(format!(
            "reuse prevented for {} previous passwords (expected at least {})",
            p.password_reuse_prevention, expected.password_reuse_prevention
        ));
    }
    if weaker.is_empty() {
        return None;
    }
    Some(Finding {
        rule: "aws-password-policy-weaker".into(),
        severity: Severity::Medium,
        subject,
        message: format!(
            "Account {account}'s password policy is weaker than configured: {}.",
            weaker.join("; ")
        ),
        artifact: Some(artifact.into()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::report::{self, tests::REPORT};
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-06-01T00:00:00Z".parse().unwrap()
    }

    fn rules(findings: &[Finding]) -> Vec<(String, String)> {
        findings
            .iter()
            .map(|f| (f.rule.clone(), f.subject.clone()))
            .collect()
    }

    #[test]
    fn each_user_finding_names_its_user() {
        let rows = report::parse(REPORT.as_bytes()).unwrap();
        let found = for_rows(&rows, &AwsSettings::default(), now(), "a/users.json");
        let pair = |r: &str, s: &str| (r.to_string(), s.to_string());
        assert_eq!(
            rules(&found),
            vec![
                pair("aws-root-without-mfa", "arn:aws:iam::111122223333:root"),
                pair("aws-root-access-keys", "arn:aws:iam::111122223333:root"),
                pair(
                    "aws-console-without-mfa",
                    "arn:aws:iam::111122223333:user/bob"
                ),
                pair(
                    "aws-access-key-too-old",
                    "arn:aws:iam::111122223333:user/bob"
                ),
            ]
        );
        assert!(
            found[3]
                .message
                .contains("key 1 last rotated 1095 days ago"),
            "{}",
            found[3].message
        );
        assert!(
            found
                .iter()
                .all(|f| f.artifact.as_deref() == Some("a/users.json"))
        );
    }

    #[test]
    fn unused_credentials_count_from_the_last_use_or_issue() {
        let rows = report::parse(REPORT.as_bytes()).unwrap();
        let deploy = &rows[3];
        // Key inactive and no password: nothing to be unused.
        assert_eq!(last_activity(deploy), None);
        let bob = &rows[2];
        assert_eq!(
            last_activity(bob),
            Some("2026-05-02T00:00:00Z".parse().unwrap())
        );
        let mut stale = bob.clone();
        stale.keys[1].active = false;
        // Password never used: counted from its last change, 2023-06-01.
        let found = for_rows(&[stale], &AwsSettings::default(), now(), "u");
        assert!(
            found
                .iter()
                .any(|f| f.rule == "aws-credentials-unused" && f.message.contains("1095 days")),
            "{found:?}"
        );
        let lenient = AwsSettings {
            max_unused_days: 2000,
            max_key_age_days: 2000,
            ..AwsSettings::default()
        };
        let found = for_rows(&rows[1..], &lenient, now(), "u");
        assert_eq!(rules(&found).len(), 1, "only bob's missing MFA: {found:?}");
    }

    #[test]
    fn password_policy_missing_or_weaker() {
        let expected = ExpectedPasswordPolicy {
            max_password_age_days: 90,
            password_reuse_prevention: 5,
            ..ExpectedPasswordPolicy::default()
        };
        let missing = for_policy(None, &expected, "111122223333", "p.json").unwrap();
        assert_eq!(missing.rule, "aws-password-policy-missing");
        assert_eq!(missing.subject, "arn:aws:iam::111122223333:root");
        let strong = PasswordPolicy {
            minimum_password_length: 16,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            require_numbers: true,
            require_symbols: true,
            max_password_age: 60,
            password_reuse_prevention: 24,
        };
        assert_eq!(for_policy(Some(&strong), &expected, "1", "p"), None);
        let weak = PasswordPolicy {
            minimum_password_length: 8,
            require_symbols: false,
            max_password_age: 0,
            ..strong
        };
        let f = for_policy(Some(&weak), &expected, "1", "p").unwrap();
        assert_eq!(f.rule, "aws-password-policy-weaker");
        assert_eq!(
            f.message,
            "Account 1's password policy is weaker than configured: minimum length 8 (expected at least 14); symbols not required; passwords expire after never (expected at most 90 days)."
        );
    }
}
