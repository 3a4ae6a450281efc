//! Seeds moto through the real AWS SDK (the same calls an administrator would make).
//!
//! The helpers are synchronous (each runs its own small runtime) so plain `#[test]`s and the
//! `moto_seed` example can call them; do not call them from inside a tokio runtime.
//!
//! Accounts: moto keeps separate IAM state per account id. The default account
//! (`DEFAULT_ACCOUNT`) is reached with any credentials; another account is reached with the
//! credentials of an `AssumeRole` on a role ARN in it (moto does not require the role to exist,
//! and keys the assumed credentials to the ARN's account).
//!
//! What moto cannot model: access keys and users are always created "now" (no back-dating, so
//! "key older than 90 days" cannot be seeded — unit-test ages on report text instead); the
//! credential report has no `<root_account>` row and a fixed GeneratedTime; `AccountMFAEnabled`
//! is always 0; last-used dates are never set.

use aws_sdk_iam::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_iam::error::DisplayErrorContext;
use aws_sdk_iam::types::StatusType;
use futures_util::StreamExt;

/// The account moto serves by default.
pub const DEFAULT_ACCOUNT: &str = "123456789012";
/// The second account the tests use.
pub const SECOND_ACCOUNT: &str = "111111111111";
/// The role name the collector assumes in each account.
pub const READER_ROLE: &str = "evidence-reader";
/// The access key moto is called with (any value works; tests set the same in the environment).
pub const ACCESS_KEY: &str = "testing";
/// The region everything runs in.
pub const REGION: &str = "us-east-1";

/// `arn:aws:iam::ACCOUNT:role/evidence-reader`.
pub fn reader_role_arn(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/{READER_ROLE}")
}

/// One user to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedUser {
    /// The IAM user name.
    pub name: String,
    /// Give the user a console password (CreateLoginProfile).
    pub console: bool,
    /// Give the user an enabled virtual MFA device.
    pub mfa: bool,
    /// Active access keys to create (AWS allows at most 2 per user).
    pub active_keys: usize,
    /// Inactive access keys to create (counted in the same limit of 2).
    pub inactive_keys: usize,
}

impl SeedUser {
    /// A user with no credentials at all.
    pub fn new(name: &str) -> SeedUser {
        SeedUser {
            name: name.to_string(),
            console: false,
            mfa: false,
            active_keys: 0,
            inactive_keys: 0,
        }
    }
}

/// What was created for one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeededUser {
    /// The IAM user name.
    pub name: String,
    /// Access key ids, active ones first.
    pub access_key_ids: Vec<String>,
    /// The virtual MFA device's serial (its ARN), when one was enabled.
    pub mfa_serial: Option<String>,
}

/// The standard population, one user per case the collector must tell apart:
/// - `alice`: console password with MFA, one active key (compliant);
/// - `bob`: console password without MFA (finding), one active key;
/// - `carol`: no console, two keys, one active and one inactive (programmatic user);
/// - `dave`: no credentials at all.
pub fn standard_users() -> Vec<SeedUser> {
    vec![
        SeedUser {
            console: true,
            mfa: true,
            active_keys: 1,
            ..SeedUser::new("alice")
        },
        SeedUser {
            console: true,
            active_keys: 1,
            ..SeedUser::new("bob")
        },
        SeedUser {
            active_keys: 1,
            inactive_keys: 1,
            ..SeedUser::new("carol")
        },
        SeedUser::new("dave"),
    ]
}

/// `n` users `user-0000`…, cycling through the standard cases (for the benchmark): a quarter
/// each with console+MFA+key, console without MFA+key, two keys, nothing.
pub fn many_users(n: usize) -> Vec<SeedUser> {
    let cases = standard_users();
    (0..n)
        .map(|i| SeedUser {
            name: format!("user-{i:04}"),
            ..cases[i % cases.len()].clone()
        })
        .collect()
}

/// The account password policy to set (UpdateAccountPasswordPolicy).
#[derive(Clone, Debug)]
pub struct PasswordPolicy {
    /// MinimumPasswordLength.
    pub min_length: i32,
    /// RequireSymbols.
    pub require_symbols: bool,
    /// RequireNumbers.
    pub require_numbers: bool,
    /// RequireUppercaseCharacters.
    pub require_uppercase: bool,
    /// RequireLowercaseCharacters.
    pub require_lowercase: bool,
    /// MaxPasswordAge in days, if passwords expire.
    pub max_age_days: Option<i32>,
    /// PasswordReusePrevention: how many earlier passwords cannot be reused.
    pub reuse_prevention: Option<i32>,
}

impl Default for PasswordPolicy {
    /// A strong policy (CIS AWS Foundations): 14 characters, every class, 90 days, 24 remembered.
    fn default() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 14,
            require_symbols: true,
            require_numbers: true,
            require_uppercase: true,
            require_lowercase: true,
            max_age_days: Some(90),
            reuse_prevention: Some(24),
        }
    }
}

/// Creates `users` in `account` (up to 8 at a time); returns what was created, in input order.
pub fn seed_users(
    endpoint: &str,
    account: &str,
    users: &[SeedUser],
) -> Result<Vec<SeededUser>, String> {
    block_on(async {
        let iam = iam_client(endpoint, account).await?;
        let created: Vec<Result<SeededUser, String>> = futures_util::stream::iter(users)
            .map(|user| create_user(&iam, user))
            .buffered(8)
            .collect()
            .await;
        created.into_iter().collect()
    })
}

/// Sets the account password policy of `account`.
pub fn seed_password_policy(
    endpoint: &str,
    account: &str,
    policy: &PasswordPolicy,
) -> Result<(), String> {
    block_on(async {
        let iam = iam_client(endpoint, account).await?;
        iam.update_account_password_policy()
            .minimum_password_length(policy.min_length)
            .require_symbols(policy.require_symbols)
            .require_numbers(policy.require_numbers)
            .require_uppercase_characters(policy.require_uppercase)
            .require_lowercase_characters(policy.require_lowercase)
            .set_max_password_age(policy.max_age_days)
            .set_password_reuse_prevention(policy.reuse_prevention)
            .send()
            .await
            .map_err(|e| failed("UpdateAccountPasswordPolicy", e))?;
        Ok(())
    })
}

/// Creates the `evidence-reader` role in `account` (trusting the default account); returns its
/// ARN. Moto lets `AssumeRole` succeed without it, but a real setup has it, so tests do too.
pub fn create_reader_role(endpoint: &str, account: &str) -> Result<String, String> {
    block_on(async {
        let iam = iam_client(endpoint, account).await?;
        let trust = format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{DEFAULT_ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        );
        let created = iam
            .create_role()
            .role_name(READER_ROLE)
            .assume_role_policy_document(trust)
            .send()
            .await
            .map_err(|e| failed("CreateRole", e))?;
        Ok(created
            .role()
            .map_or_else(|| reader_role_arn(account), |r| r.arn().to_string()))
    })
}

/// The user names in `account` (ListUsers, all pages), sorted (moto's order is not).
pub fn list_user_names(endpoint: &str, account: &str) -> Result<Vec<String>, String> {
    block_on(async {
        let iam = iam_client(endpoint, account).await?;
        let mut names = Vec::new();
        let mut pages = iam.list_users().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| failed("ListUsers", e))?;
            names.extend(page.users().iter().map(|u| u.user_name().to_string()));
        }
        names.sort();
        Ok(names)
    })
}

async fn create_user(iam: &aws_sdk_iam::Client, user: &SeedUser) -> Result<SeededUser, String> {
    let name = user.name.as_str();
    iam.create_user()
        .user_name(name)
        .send()
        .await
        .map_err(|e| failed("CreateUser", e))?;
    if user.console {
        iam.create_login_profile()
            .user_name(name)
            .password("Correct-Horse-Battery-Staple-1")
            .send()
            .await
            .map_err(|e| failed("CreateLoginProfile", e))?;
    }
    let mut mfa_serial = None;
    if user.mfa {
        let device = iam
            .create_virtual_mfa_device()
            .virtual_mfa_device_name(name)
            .send()
            .await
            .map_err(|e| failed("CreateVirtualMFADevice", e))?;
        let serial = device
            .virtual_mfa_device()
            .map(|d| d.serial_number().to_string())
            .ok_or("CreateVirtualMFADevice returned no device")?;
        iam.enable_mfa_device()
            .user_name(name)
            .serial_number(&serial)
            .authentication_code1("123456")
            .authentication_code2("654321")
            .send()
            .await
            .map_err(|e| failed("EnableMFADevice", e))?;
        mfa_serial = Some(serial);
    }
    let mut access_key_ids = Vec::new();
    for index in 0..user.active_keys + user.inactive_keys {
        let key = iam
            .create_access_key()
            .user_name(name)
            .send()
            .await
            .map_err(|e| failed("CreateAccessKey", e))?;
        let id = key
            .access_key()
            .map(|k| k.access_key_id().to_string())
            .ok_or("CreateAccessKey returned no key")?;
        if index >= user.active_keys {
            iam.update_access_key()
                .user_name(name)
                .access_key_id(&id)
                .status(StatusType::Inactive)
                .send()
                .await
                .map_err(|e| failed("UpdateAccessKey", e))?;
        }
        access_key_ids.push(id);
    }
    Ok(SeededUser {
        name: user.name.clone(),
        access_key_ids,
        mfa_serial,
    })
}

/// An IAM client for `account`: the base credentials for the default account, else those of
/// an `AssumeRole` on `reader_role_arn(account)`.
pub async fn iam_client(endpoint: &str, account: &str) -> Result<aws_sdk_iam::Client, String> {
    let base = Credentials::new(ACCESS_KEY, ACCESS_KEY, None, None, "moto");
    let credentials = if account == DEFAULT_ACCOUNT {
        base
    } else {
        let sts = aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::Config::builder()
                .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
                .region(aws_sdk_sts::config::Region::new(REGION))
                .endpoint_url(endpoint)
                .credentials_provider(base)
                .build(),
        );
        let assumed = sts
            .assume_role()
            .role_arn(reader_role_arn(account))
            .role_session_name("moto-seed")
            .send()
            .await
            .map_err(|e| failed("AssumeRole", e))?;
        let c = assumed
            .credentials()
            .ok_or("AssumeRole returned no credentials")?;
        Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_string()),
            None,
            "moto-assumed",
        )
    };
    Ok(aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(endpoint)
            .credentials_provider(credentials)
            .build(),
    ))
}

fn failed<E: std::error::Error>(action: &str, error: E) -> String {
    format!("{action} failed: {}", DisplayErrorContext(error))
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("seeding runtime")
        .block_on(future)
}
