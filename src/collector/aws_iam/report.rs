//! The IAM credential report: the CSV AWS returns from `GetCredentialReport`, parsed into rows.
//! The raw bytes are stored as they came; this only reads them for users.json and the findings.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The user name AWS gives the root account's row.
pub const ROOT_USER: &str = "<root_account>";

/// Columns the parser needs; AWS documents more (certificates), which are kept in the raw CSV.
const REQUIRED: &[&str] = &[
    "user",
    "arn",
    "user_creation_time",
    "password_enabled",
    "password_last_used",
    "password_last_changed",
    "mfa_active",
    "access_key_1_active",
    "access_key_1_last_rotated",
    "access_key_1_last_used_date",
    "access_key_1_last_used_service",
    "access_key_2_active",
    "access_key_2_last_rotated",
    "access_key_2_last_used_date",
    "access_key_2_last_used_service",
];

/// Why a credential report could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the credential report is empty")]
    Empty,
    #[error("the credential report is not UTF-8 text (byte {0})")]
    NotText(usize),
    #[error("the credential report's header lacks the column(s) {0}")]
    MissingColumns(String),
    #[error(
        "line {line} of the credential report has {found} fields where the header has {expected} (truncated or malformed)"
    )]
    FieldCount {
        line: usize,
        found: usize,
        expected: usize,
    },
    #[error("line {line} of the credential report has an unterminated quoted field (truncated)")]
    Unterminated { line: usize },
    #[error("line {line}, column `{column}` of the credential report: `{value}` is {expected}")]
    Value {
        line: usize,
        column: String,
        value: String,
        expected: &'static str,
    },
}

/// A date cell: a time, or one of AWS's words for its absence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    At(DateTime<Utc>),
    /// `N/A`: the credential does not exist (or was never used).
    NotApplicable,
    /// `no_information`: used before AWS started tracking it (or never).
    NoInformation,
    /// `not_supported`: the root account's password dates.
    NotSupported,
}

impl Stamp {
    pub fn at(self) -> Option<DateTime<Utc>> {
        match self {
            Stamp::At(t) => Some(t),
            _ => None,
        }
    }

    /// The time as RFC 3339, or AWS's word.
    pub fn text(self) -> String {
        match self {
            Stamp::At(t) => crate::vault::canonical::timestamp(t),
            Stamp::NotApplicable => "N/A".into(),
            Stamp::NoInformation => "no_information".into(),
            Stamp::NotSupported => "not_supported".into(),
        }
    }
}

impl Serialize for Stamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

/// `password_enabled`: the root row says `not_supported`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    True,
    False,
    NotSupported,
}

impl Flag {
    pub fn is_true(self) -> bool {
        self == Flag::True
    }
}

/// One access key slot of a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Key {
    /// 1 or 2, as in the report's columns.
    pub slot: u8,
    pub active: bool,
    /// When the key was created or last rotated.
    pub last_rotated: Stamp,
    pub last_used: Stamp,
    /// The service the key last called (`N/A` when unused).
    pub last_used_service: String,
}

/// One row of the report: a user, or the root account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub user: String,
    pub arn: String,
    pub created: Stamp,
    pub password_enabled: Flag,
    pub password_last_used: Stamp,
    pub password_last_changed: Stamp,
    pub mfa_active: bool,
    pub keys: Vec<Key>,
}

impl Row {
    pub fn is_root(&self) -> bool {
        self.user == ROOT_USER
    }

    /// The active keys.
    pub fn active_keys(&self) -> impl Iterator<Item = &Key> {
        self.keys.iter().filter(|k| k.active)
    }
}

/// Parses the whole report. AWS writes plain comma-separated lines, but quoted fields
/// (RFC 4180) are read too so a user name can never shift a column.
pub fn parse(bytes: &[u8]) -> Result<Vec<Row>, ReportError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ReportError::NotText(e.valid_up_to()))?;
    let records = records(text)?;
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(ReportError::Empty);
    };
    let index = |name: &str| header.iter().position(|h| h == name);
    let missing: Vec<String> = REQUIRED
        .iter()
        .filter(|c| index(c).is_none())
        .map(|c| format!("`{c}`"))
        .collect();
    if !missing.is_empty() {
        return Err(ReportError::MissingColumns(missing.join(", ")));
    }
    let mut rows = Vec::new();
    for (line, fields) in records {
        if fields.len() != header.len() {
            return Err(ReportError::FieldCount {
                line,
                found: fields.len(),
                expected: header.len(),
            });
        }
        let cell = |name: &str| -> (&str, String) {
            // Every REQUIRED column was found above.
            let i = index(name).unwrap_or_default();
            (fields[i].as_str(), name.to_string())
        };
        let stamp = |name: &str| stamp(line, cell(name));
        let flag = |name: &str| flag(line, cell(name));
        let boolean = |name: &str| match flag(name)? {
            Flag::True => Ok(true),
            Flag::False => Ok(false),
            Flag::NotSupported => Err(value_error(line, cell(name), "not `true` or `false`")),
        };
        let key = |slot: u8| -> Result<Key, ReportError> {
            let col = |what: &str| format!("access_key_{slot}_{what}");
            Ok(Key {
                slot,
                active: boolean(&col("active"))?,
                last_rotated: stamp(&col("last_rotated"))?,
                last_used: stamp(&col("last_used_date"))?,
                last_used_service: cell(&col("last_used_service")).0.to_string(),
            })
        };
        rows.push(Row {
            user: cell("user").0.to_string(),
            arn: cell("arn").0.to_string(),
            created: stamp("user_creation_time")?,
            password_enabled: flag("password_enabled")?,
            password_last_used: stamp("password_last_used")?,
            password_last_changed: stamp("password_last_changed")?,
            mfa_active: boolean("mfa_active")?,
            keys: vec![key(1)?, key(2)?],
        });
    }
    Ok(rows)
}

fn value_error(
    line: usize,
    (value, column): (&str, String),
    expected: &'static str,
) -> ReportError {
    ReportError::Value {
        line,
        column,
        value: value.to_string(),
        expected,
    }
}

fn stamp(line: usize, cell: (&str, String)) -> Result<Stamp, ReportError> {
    Ok(match cell.0 {
        "N/A" | "" => Stamp::NotApplicable,
        "no_information" => Stamp::NoInformation,
        "not_supported" => Stamp::NotSupported,
        v => match DateTime::parse_from_rfc3339(v) {
            Ok(t) => Stamp::At(t.with_timezone(&Utc)),
            Err(_) => {
                return Err(value_error(
                    line,
                    cell,
                    "not an ISO 8601 time, `N/A`, `no_information` or `not_supported`",
                ));
            }
        },
    })
}

fn flag(line: usize, cell: (&str, String)) -> Result<Flag, ReportError> {
    match cell.0 {
        "true" | "TRUE" => Ok(Flag::True),
        "false" | "FALSE" => Ok(Flag::False),
        "not_supported" => Ok(Flag::NotSupported),
        _ => Err(value_error(
            line,
            cell,
            "not `true`, `false` or `not_supported`",
        )),
    }
}

/// Splits the text into records of fields, each with its 1-based line number. Blank lines are
/// skipped; a quoted field may hold commas, quotes (doubled) and line breaks.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, ReportError> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    let mut end_record = |fields: &mut Vec<String>, field: &mut String, start: usize| {
        fields.push(std::mem::take(field));
        let record = std::mem::take(fields);
        if !(record.len() == 1 && record[0].is_empty()) {
            out.push((start, record));
        }
    };
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                end_record(&mut fields, &mut field, start);
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(ReportError::Unterminated { line: start });
    }
    if !field.is_empty() || !fields.is_empty() {
        end_record(&mut fields, &mut field, start);
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A report as AWS documents it (every column, certificates included), with a root row.
    pub(crate) const REPORT: &str = "\
user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated
<root_account>,arn:aws:iam::111122223333:root,2019-03-01T10:00:00+00:00,not_supported,2026-05-20T08:00:00+00:00,not_supported,not_supported,false,true,2020-01-01T00:00:00+00:00,2026-05-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
alice,arn:aws:iam::111122223333:user/alice,2024-01-10T09:00:00+00:00,true,2026-05-30T12:00:00+00:00,2026-01-10T09:00:00+00:00,N/A,true,true,2026-04-01T00:00:00+00:00,2026-05-31T00:00:00+00:00,eu-west-1,ec2,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
bob,arn:aws:iam::111122223333:user/bob,2023-06-01T09:00:00+00:00,true,no_information,2023-06-01T09:00:00+00:00,N/A,false,true,2023-06-01T09:00:00+00:00,N/A,N/A,N/A,true,2026-05-01T00:00:00+00:00,2026-05-02T00:00:00+00:00,us-east-1,iam,false,N/A,false,N/A
deploy,arn:aws:iam::111122223333:user/ci/deploy,2025-11-01T09:00:00+00:00,false,N/A,N/A,N/A,false,false,2025-11-01T09:00:00+00:00,2025-12-01T00:00:00+00:00,us-east-1,sts,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A
";

    fn t(s: &str) -> Stamp {
        Stamp::At(DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc))
    }

    #[test]
    fn reads_every_row_with_aws_words_for_missing_dates() {
        let rows = parse(REPORT.as_bytes()).unwrap();
        assert_eq!(rows.len(), 4);
        let root = &rows[0];
        assert!(root.is_root());
        assert_eq!(root.password_enabled, Flag::NotSupported);
        assert_eq!(root.password_last_changed, Stamp::NotSupported);
        assert!(!root.mfa_active);
        assert_eq!(root.active_keys().count(), 1);
        let bob = &rows[2];
        assert_eq!(bob.password_last_used, Stamp::NoInformation);
        assert_eq!(
            bob.keys[0],
            Key {
                slot: 1,
                active: true,
                last_rotated: t("2023-06-01T09:00:00Z"),
                last_used: Stamp::NotApplicable,
                last_used_service: "N/A".into(),
            }
        );
        assert_eq!(bob.keys[1].last_used, t("2026-05-02T00:00:00Z"));
        assert_eq!(rows[3].arn, "arn:aws:iam::111122223333:user/ci/deploy");
        assert_eq!(rows[3].password_enabled, Flag::False);
    }

    #[test]
    fn quoted_fields_and_crlf_are_read() {
        let mut text = REPORT.replace('\n', "\r\n");
        text = text.replace("bob,arn", "\"b,o\"\"b\",arn");
        let rows = parse(text.as_bytes()).unwrap();
        assert_eq!(rows[2].user, "b,o\"b");
    }

    #[test]
    fn a_truncated_report_names_the_line() {
        let cut = &REPORT[..REPORT.find("bob").unwrap() + 60];
        assert_eq!(
            parse(cut.as_bytes()),
            Err(ReportError::FieldCount {
                line: 4,
                found: 3,
                expected: 22
            })
        );
        assert_eq!(
            parse(b"user,arn\n\"open"),
            Err(ReportError::Unterminated { line: 2 })
        );
    }

    #[test]
    fn malformed_reports_say_what_is_wrong() {
        assert_eq!(parse(b""), Err(ReportError::Empty));
        assert_eq!(parse(b"\xff\xfe"), Err(ReportError::NotText(0)));
        match parse(b"user,arn,mfa_active\nx,y,true\n") {
            Err(ReportError::MissingColumns(c)) => {
                assert!(c.contains("`password_enabled`"), "{c}")
            }
            other => panic!("{other:?}"),
        }
        let bad = REPORT.replace("2024-01-10T09:00:00+00:00", "yesterday");
        assert_eq!(
            parse(bad.as_bytes()),
            Err(ReportError::Value {
                line: 3,
                column: "user_creation_time".into(),
                value: "yesterday".into(),
                expected: "not an ISO 8601 time, `N/A`, `no_information` or `not_supported`",
            })
        );
        let bad = REPORT.replace(",N/A,true,true,2026-04-01", ",N/A,maybe,true,2026-04-01");
        assert!(matches!(
            parse(bad.as_bytes()),
            Err(ReportError::Value { line: 3, ref column, .. }) if column == "mfa_active"
        ));
    }
}
