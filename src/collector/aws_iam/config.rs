//! `[aws]`: the accounts the `aws-iam` collector reads and what it expects of them.

use serde::Deserialize;

/// `[aws]`, read by the `aws-iam` collector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSettings {
    /// Send every AWS request here instead of AWS's own endpoints: a test server, or a
    /// partition's IAM endpoint (GovCloud, China). Unset: the SDK's endpoint for `region`.
    #[serde(default)]
    pub endpoint_url: Option<String>,
    /// The region requests are signed for; IAM is global, so only the partition matters
    /// (`us-east-1`, `us-gov-west-1`, `cn-north-1`). Unset: `AWS_REGION`, else `us-east-1`.
    #[serde(default)]
    pub region: Option<String>,
    /// Collect the account of the agent's own credentials (the standard chain) too, not only
    /// the assumed `accounts`.
    #[serde(default = "default_true")]
    pub include_default_account: bool,
    /// Further accounts, each reached by assuming a role with the agent's credentials.
    #[serde(default)]
    pub accounts: Vec<AssumedAccount>,
    /// An active access key not rotated for more days than this is a finding.
    #[serde(default = "default_days")]
    pub max_key_age_days: u32,
    /// A user whose password and keys were all unused for more days than this is a finding.
    #[serde(default = "default_days")]
    pub max_unused_days: u32,
    /// The password policy expected of every account; a missing or weaker one is a finding.
    #[serde(default)]
    pub password_policy: ExpectedPasswordPolicy,
    /// Looking for credentials (environment, profile, SSO, container or instance role) may
    /// take this long before the run is skipped as having none.
    #[serde(default = "default_credentials_timeout_secs")]
    pub credentials_timeout_secs: u64,
    /// Attempts per request, the first included, before throttling or a server error fails it.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
    /// How long to wait for AWS to finish generating a credential report.
    #[serde(default = "default_report_timeout_secs")]
    pub report_timeout_secs: u64,
}

/// `[[aws.accounts]]`: one account reached through `sts:AssumeRole`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssumedAccount {
    /// The role to assume, `arn:aws:iam::ACCOUNT:role/NAME`; its account is the one collected.
    pub role_arn: String,
    /// The external id the role's trust policy asks for, if any.
    #[serde(default)]
    pub external_id: Option<String>,
}

/// `[aws.password_policy]`: the least an account's password policy must require.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedPasswordPolicy {
    /// Minimum password length.
    #[serde(default = "default_min_password_length")]
    pub min_password_length: u32,
    /// Passwords must contain an uppercase letter.
    #[serde(default = "default_true")]
    pub require_uppercase: bool,
    /// Passwords must contain a lowercase letter.
    #[serde(default = "default_true")]
    pub require_lowercase: bool,
    /// Passwords must contain a digit.
    #[serde(default = "default_true")]
    pub require_numbers: bool,
    /// Passwords must contain a symbol.
    #[serde(default = "default_true")]
    pub require_symbols: bool,
    /// Passwords must expire after at most this many days; 0 does not require expiry.
    #[serde(default)]
    pub max_password_age_days: u32,
    /// At least this many previous passwords may not be reused; 0 does not require it.
    #[serde(default)]
    pub password_reuse_prevention: u32,
}

fn default_true() -> bool {
    true
}
fn default_days() -> u32 {
    90
}
fn default_min_password_length() -> u32 {
    14
}
fn default_credentials_timeout_secs() -> u64 {
    5
}
fn default_max_attempts() -> u32 {
    5
}
fn default_report_timeout_secs() -> u64 {
    300
}

impl Default for ExpectedPasswordPolicy {
    fn default() -> Self {
        ExpectedPasswordPolicy {
            min_password_length: default_min_password_length(),
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            max_password_age_days: 0,
            password_reuse_prevention: 0,
        }
    }
}

impl Default for AwsSettings {
    fn default() -> Self {
        AwsSettings {
            endpoint_url: None,
            region: None,
            include_default_account: true,
            accounts: Vec::new(),
            max_key_age_days: default_days(),
            max_unused_days: default_days(),
            password_policy: ExpectedPasswordPolicy::default(),
            credentials_timeout_secs: default_credentials_timeout_secs(),
            max_attempts: default_max_attempts(),
            report_timeout_secs: default_report_timeout_secs(),
        }
    }
}

impl AwsSettings {
    /// Every problem as (key under `aws`, message), all at once.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some(url) = &self.endpoint_url {
            let ok = url
                .split_once("://")
                .is_some_and(|(s, rest)| matches!(s, "http" | "https") && !rest.is_empty());
            if !ok {
                out.push((
                    "endpoint_url".into(),
                    format!("`{url}` is not an http(s) URL; write e.g. `https://iam.us-gov.amazonaws.com`"),
                ));
            }
        }
        if !self.include_default_account && self.accounts.is_empty() {
            out.push((
                "include_default_account".into(),
                "with `include_default_account = false` there is nothing to collect; add `[[aws.accounts]]` with a `role_arn`".into(),
            ));
        }
        for (i, a) in self.accounts.iter().enumerate() {
            if account_of_role(&a.role_arn).is_none() {
                out.push((
                    format!("accounts[{i}].role_arn"),
                    format!(
                        "`{}` is not a role ARN; write `arn:aws:iam::123456789012:role/NAME`",
                        a.role_arn
                    ),
                ));
            }
        }
        for (key, value, range) in [
            ("max_key_age_days", self.max_key_age_days, 1..=3650),
            ("max_unused_days", self.max_unused_days, 1..=3650),
            ("max_attempts", self.max_attempts, 1..=20),
            (
                "password_policy.min_password_length",
                self.password_policy.min_password_length,
                6..=128,
            ),
        ] {
            if !range.contains(&value) {
                out.push((
                    key.into(),
                    format!(
                        "must be from {} to {}, got {value}",
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }
        for (key, value, range) in [
            (
                "credentials_timeout_secs",
                self.credentials_timeout_secs,
                1..=120,
            ),
            ("report_timeout_secs", self.report_timeout_secs, 1..=3600),
        ] {
            if !range.contains(&value) {
                out.push((
                    key.into(),
                    format!(
                        "must be from {} to {}, got {value}",
                        range.start(),
                        range.end()
                    ),
                ));
            }
        }
        out
    }
}

/// The account id in a role ARN (`arn:PARTITION:iam::ACCOUNT:role/NAME`).
pub fn account_of_role(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "iam", "", account, resource]
            if !partition.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.starts_with("role/")
                && resource.len() > 5 =>
        {
            Some(account)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_name_their_account() {
        assert_eq!(
            account_of_role("arn:aws:iam::111122223333:role/audit"),
            Some("111122223333")
        );
        assert_eq!(
            account_of_role("arn:aws-us-gov:iam::111122223333:role/a/b"),
            Some("111122223333")
        );
        for bad in [
            "arn:aws:iam::1111:role/audit",
            "arn:aws:iam::111122223333:user/audit",
            "arn:aws:s3:::bucket",
            "role/audit",
        ] {
            assert_eq!(account_of_role(bad), None, "{bad}");
        }
    }

    #[test]
    fn problems_are_reported_together() {
        let s = AwsSettings {
            endpoint_url: Some("localhost:5000".into()),
            accounts: vec![AssumedAccount {
                role_arn: "arn:aws:iam::1:role/x".into(),
                external_id: None,
            }],
            max_key_age_days: 0,
            ..AwsSettings::default()
        };
        let keys: Vec<String> = s.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            ["endpoint_url", "accounts[0].role_arn", "max_key_age_days"]
        );
        assert!(AwsSettings::default().problems().is_empty());
    }
}
