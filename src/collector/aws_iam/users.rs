//! `users.json` and `users.csv`: one entry per user (and root), what the auditor reads.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::findings::last_activity;
use super::report::{Key, Row, Stamp};
use crate::evidence::Finding;

/// One user as stored in users.json.
#[derive(Debug, Clone, Serialize)]
pub struct User<'a> {
    pub user: &'a str,
    pub arn: &'a str,
    /// `ListUsers`'s stable id; empty for root.
    pub user_id: String,
    pub created: Stamp,
    pub console_access: bool,
    pub password_last_used: Stamp,
    pub password_last_changed: Stamp,
    pub mfa_active: bool,
    /// Serial numbers of the virtual MFA devices assigned to the user.
    pub mfa_devices: Vec<String>,
    pub access_keys: Vec<AccessKey<'a>>,
    /// The latest use of a credential (or issue of a never-used one); absent without any.
    pub last_activity: Option<Stamp>,
    /// `credential-report`, or `per-user-api` for users created after the report.
    pub source: &'static str,
    /// Rules of the findings about this user.
    pub findings: Vec<&'a str>,
}

/// One access key slot.
#[derive(Debug, Clone, Serialize)]
pub struct AccessKey<'a> {
    #[serde(flatten)]
    pub key: &'a Key,
    /// Days since it was created or rotated.
    pub age_days: Option<i64>,
}

/// Builds the entries, row order kept.
pub fn entries<'a>(
    rows: &'a [(Row, Extra)],
    findings: &'a [Finding],
    now: DateTime<Utc>,
) -> Vec<User<'a>> {
    rows.iter()
        .map(|(row, extra)| User {
            user: &row.user,
            arn: &row.arn,
            user_id: extra.user_id.clone(),
            created: row.created,
            console_access: row.password_enabled.is_true(),
            password_last_used: row.password_last_used,
            password_last_changed: row.password_last_changed,
            mfa_active: row.mfa_active,
            mfa_devices: extra.mfa_devices.clone(),
            access_keys: row
                .keys
                .iter()
                .map(|key| AccessKey {
                    key,
                    age_days: key.last_rotated.at().map(|t| (now - t).num_days()),
                })
                .collect(),
            last_activity: last_activity(row).map(Stamp::At),
            source: extra.source,
            findings: findings
                .iter()
                .filter(|f| f.subject == row.arn)
                .map(|f| f.rule.as_str())
                .collect(),
        })
        .collect()
}

/// What is known of a user beyond the report.
#[derive(Debug, Clone, Default)]
pub struct Extra {
    pub user_id: String,
    pub mfa_devices: Vec<String>,
    pub source: &'static str,
}

/// The header row; docs/collectors/aws-iam.md explains each column.
pub const COLUMNS: &[&str] = &[
    "user",
    "arn",
    "created",
    "console_access",
    "password_last_used",
    "mfa_active",
    "mfa_devices",
    "key_1_active",
    "key_1_age_days",
    "key_1_last_used",
    "key_2_active",
    "key_2_age_days",
    "key_2_last_used",
    "last_activity",
    "findings",
];

/// users.csv (RFC 4180, `\r\n` line ends).
pub fn csv(users: &[User]) -> Vec<u8> {
    let mut out = String::new();
    crate::collector::github::population::line(&mut out, COLUMNS.iter().map(|c| c.to_string()));
    for u in users {
        let mut cells = vec![
            u.user.to_string(),
            u.arn.to_string(),
            u.created.text(),
            u.console_access.to_string(),
            u.password_last_used.text(),
            u.mfa_active.to_string(),
            u.mfa_devices.join(" "),
        ];
        for slot in 1..=2 {
            match u.access_keys.iter().find(|k| k.key.slot == slot) {
                Some(k) => cells.extend([
                    k.key.active.to_string(),
                    k.age_days.map_or(String::new(), |d| d.to_string()),
                    k.key.last_used.text(),
                ]),
                None => cells.extend([String::new(), String::new(), String::new()]),
            }
        }
        cells.push(u.last_activity.map_or(String::new(), |s| s.text()));
        cells.push(u.findings.join(" "));
        crate::collector::github::population::line(&mut out, cells.into_iter());
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::super::report::{self, tests::REPORT};
    use super::*;

    #[test]
    fn csv_rows_follow_the_report() {
        let now: DateTime<Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
        let rows: Vec<(Row, Extra)> = report::parse(REPORT.as_bytes())
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    r,
                    Extra {
                        source: "credential-report",
                        ..Extra::default()
                    },
                )
            })
            .collect();
        let findings = vec![Finding {
            rule: "aws-console-without-mfa".into(),
            severity: crate::evidence::Severity::High,
            subject: "arn:aws:iam::111122223333:user/bob".into(),
            message: String::new(),
            artifact: None,
        }];
        let users = entries(&rows, &findings, now);
        let text = String::from_utf8(csv(&users)).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], COLUMNS.join(","));
        assert_eq!(
            lines[3],
            "bob,arn:aws:iam::111122223333:user/bob,2023-06-01T09:00:00.000Z,true,no_information,false,,true,1095,N/A,true,31,2026-05-02T00:00:00.000Z,2026-05-02T00:00:00.000Z,aws-console-without-mfa"
        );
        assert_eq!(lines.len(), 6, "header, 4 rows, and the empty tail");
        let json = serde_json::to_value(&users[2]).unwrap();
        assert_eq!(json["access_keys"][1]["last_used_service"], "iam");
        assert_eq!(json["access_keys"][0]["age_days"], 1095);
    }
}
