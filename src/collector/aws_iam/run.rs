//! One run: the agent's own account and every assumed one, each into `accounts/<id>/`.
//! One account failing (or one action denied) is recorded and the rest is still collected.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::{AssignmentStatusType, ReportStateType};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::client::{self, AwsError, Clients, Counter};
use super::config::{AwsSettings, account_of_role};
use super::findings::{self, PasswordPolicy};
use super::report::{self, Flag, Key, Row, Stamp};
use super::users::{self, Extra};
use crate::collector::{CollectError, Collected, RunContext};
use crate::evidence::{Finding, Severity};
use crate::vault::{StagedRun, VaultError, canonical};

/// Times a report is (re)generated after AWS says it is missing or expired.
const MAX_GENERATIONS: u32 = 3;
/// The longest pause between two polls of a report being generated.
const MAX_POLL_PAUSE: Duration = Duration::from_secs(10);

pub async fn collect(
    ctx: &RunContext,
    staged: &mut StagedRun,
    settings: &AwsSettings,
) -> Result<Collected, CollectError> {
    let base = match client::default_credentials(settings).await {
        Ok(c) => c,
        Err(detail) => {
            tracing::debug!(message = "No AWS credentials.", error = %detail);
            return Err(CollectError::Skipped(
                "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE naming a profile (SSO included), in the agent's environment, or run it with a container or instance role; see docs/collectors/aws-iam.md"
                    .to_string(),
            ));
        }
    };
    let counter = Counter::default();
    let mut collected = Collected {
        parameters: parameters(settings),
        ..Collected::default()
    };
    let mut accounts = serde_json::Map::new();
    let mut failures = Vec::new();
    let work = collect_accounts(
        settings,
        Clients::new(settings, base, &counter),
        &counter,
        staged,
        &mut collected.findings,
        &mut accounts,
        &mut failures,
    );
    let outcome = tokio::select! {
        r = work => Some(r),
        _ = ctx.cancel.cancelled() => None,
    };
    collected
        .summary
        .insert("requests".into(), json!(counter.get()));
    collected
        .summary
        .insert("accounts".into(), Value::Object(accounts));
    match outcome {
        None => Err(CollectError::Interrupted {
            reason: "stopped while reading AWS IAM".into(),
            partial: Box::new(collected),
        }),
        Some(Err(e)) => Err(CollectError::Vault(e)),
        Some(Ok(())) => {
            tracing::info!(
                message = "AWS IAM collection done.",
                requests = counter.get(),
                failed_accounts = failures.len()
            );
            if failures.is_empty() {
                Ok(collected)
            } else {
                Err(CollectError::Failed {
                    reason: format!(
                        "{} AWS account(s) not fully collected (the rest is stored): {}",
                        failures.len(),
                        failures.join("; ")
                    ),
                    partial: Box::new(collected),
                })
            }
        }
    }
}

/// Collects each account in turn, recording its outcome under its id.
async fn collect_accounts(
    settings: &AwsSettings,
    base: Clients,
    counter: &Counter,
    staged: &mut StagedRun,
    found: &mut Vec<Finding>,
    accounts: &mut serde_json::Map<String, Value>,
    failures: &mut Vec<String>,
) -> Result<(), VaultError> {
    let record = |accounts: &mut serde_json::Map<String, Value>,
                  failures: &mut Vec<String>,
                  id: String,
                  errors: Vec<String>,
                  mut entry: serde_json::Map<String, Value>| {
        let status = if errors.is_empty() {
            "succeeded"
        } else {
            "failed"
        };
        if !errors.is_empty() {
            failures.push(format!("account {id}: {}", errors.join("; ")));
        }
        entry.insert("status".into(), json!(status));
        entry.insert("errors".into(), json!(errors));
        accounts.insert(id, Value::Object(entry));
    };
    if settings.include_default_account {
        match base.account_id().await {
            Ok(id) => {
                let (errors, entry) = Account::new(&base, &id, settings)
                    .collect(staged, found)
                    .await?;
                record(accounts, failures, id, errors, entry);
            }
            Err(e) => record(
                accounts,
                failures,
                "default".into(),
                vec![e.to_string()],
                Default::default(),
            ),
        }
    }
    for a in &settings.accounts {
        // Config validation has checked the ARN.
        let id = account_of_role(&a.role_arn)
            .unwrap_or("unknown")
            .to_string();
        let mut entry = serde_json::Map::new();
        entry.insert("role_arn".into(), json!(a.role_arn));
        if accounts.contains_key(&id) {
            record(
                accounts,
                failures,
                format!("{id} ({})", a.role_arn),
                vec![format!(
                    "account {id} is already collected in this run; list each account once"
                )],
                entry,
            );
            continue;
        }
        let clients = match base.assume(&a.role_arn, a.external_id.as_deref()).await {
            Ok(creds) => Clients::new(settings, creds, counter),
            Err(e) => {
                record(accounts, failures, id, vec![e.to_string()], entry);
                continue;
            }
        };
        let (errors, mut more) = Account::new(&clients, &id, settings)
            .collect(staged, found)
            .await?;
        entry.append(&mut more);
        record(accounts, failures, id, errors, entry);
    }
    Ok(())
}

/// One account being collected.
struct Account<'a> {
    clients: &'a Clients,
    id: &'a str,
    settings: &'a AwsSettings,
    /// What could not be collected; the account is failed if any.
    errors: Vec<String>,
    now: DateTime<Utc>,
}

impl<'a> Account<'a> {
    fn new(clients: &'a Clients, id: &'a str, settings: &'a AwsSettings) -> Self {
        Account {
            clients,
            id,
            settings,
            errors: Vec::new(),
            now: Utc::now(),
        }
    }

    fn path(&self, name: &str) -> String {
        format!("accounts/{}/{name}", self.id)
    }

    async fn collect(
        mut self,
        staged: &mut StagedRun,
        found: &mut Vec<Finding>,
    ) -> Result<(Vec<String>, serde_json::Map<String, Value>), VaultError> {
        let mut entry = serde_json::Map::new();
        let mut rows: Option<Vec<Row>> = None;
        let mut generated = None;
        match credential_report(&self.clients.iam, self.settings).await {
            Ok((csv, at)) => {
                let path = self.path("credential-report.csv");
                staged.add_bytes(&path, "text/csv", &csv)?;
                generated = at;
                match report::parse(&csv) {
                    Ok(r) => rows = Some(r),
                    Err(e) => self.errors.push(format!(
                        "{e}; the report is stored as AWS returned it at artifacts/{path}"
                    )),
                }
            }
            Err(e) => self.errors.push(e.to_string()),
        }
        entry.insert(
            "credential_report_generated_at".into(),
            json!(generated.map(canonical::timestamp)),
        );

        let summary = self.account_summary(staged).await?;
        let policy_finding = self.password_policy(staged).await?;

        let listed = self.list_users().await;
        let devices = self.virtual_mfa_devices().await;
        let mut merged: Vec<(Row, Extra)> = Vec::new();
        let from_report = rows.is_some();
        for row in rows.unwrap_or_default() {
            let user = listed.iter().flatten().find(|u| u.arn == row.arn);
            let extra = Extra {
                user_id: user.map_or(String::new(), |u| u.user_id.clone()),
                mfa_devices: devices.get(&row.arn).cloned().unwrap_or_default(),
                source: "credential-report",
            };
            merged.push((row, extra));
        }
        // Users the report lacks (created after it, or no report at all): per-user APIs.
        for user in listed.iter().flatten() {
            if merged.iter().any(|(r, _)| r.arn == user.arn) {
                continue;
            }
            if let Some(row) = self.per_user(user).await {
                let extra = Extra {
                    user_id: user.user_id.clone(),
                    mfa_devices: devices.get(&user.arn).cloned().unwrap_or_default(),
                    source: "per-user-api",
                };
                merged.push((row, extra));
            }
        }
        let users_path = self.path("users.json");
        let only_rows: Vec<Row> = merged.iter().map(|(r, _)| r.clone()).collect();
        let mut account_findings =
            findings::for_rows(&only_rows, self.settings, self.now, &users_path);
        if !only_rows.iter().any(Row::is_root)
            && let Some(summary) = &summary
        {
            account_findings.extend(self.root_from_summary(summary));
        }
        account_findings.extend(policy_finding);
        let entries = users::entries(&merged, &account_findings, self.now);
        let doc = json!({
            "account": self.id,
            "collected_at": canonical::timestamp(self.now),
            "credential_report_generated_at": generated.map(canonical::timestamp),
            "source": if from_report { "credential-report" } else { "per-user-api" },
            "users": entries,
        });
        staged.add_bytes(&users_path, "application/json", &canonical::pretty(&doc))?;
        staged.add_bytes(&self.path("users.csv"), "text/csv", &users::csv(&entries))?;
        entry.insert(
            "users".into(),
            json!(listed.as_ref().map_or(entries.len(), Vec::len)),
        );
        entry.insert("findings".into(), json!(account_findings.len()));
        found.extend(account_findings);
        Ok((self.errors, entry))
    }

    async fn account_summary(
        &mut self,
        staged: &mut StagedRun,
    ) -> Result<Option<BTreeMap<String, i32>>, VaultError> {
        match self.clients.iam.get_account_summary().send().await {
            Ok(out) => {
                let map: BTreeMap<String, i32> = out
                    .summary_map
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k.as_str().to_string(), v))
                    .collect();
                staged.add_bytes(
                    &self.path("account-summary.json"),
                    "application/json",
                    &canonical::pretty(&map),
                )?;
                Ok(Some(map))
            }
            Err(e) => {
                self.errors
                    .push(client::classify("iam:GetAccountSummary", e).to_string());
                Ok(None)
            }
        }
    }

    /// Root findings from the account summary, when the report has no root row.
    fn root_from_summary(&self, summary: &BTreeMap<String, i32>) -> Vec<Finding> {
        let subject = format!("arn:aws:iam::{}:root", self.id);
        let artifact = Some(self.path("account-summary.json"));
        let mut out = Vec::new();
        if summary.get("AccountMFAEnabled") == Some(&0) {
            out.push(Finding {
                rule: "aws-root-without-mfa".into(),
                severity: Severity::Critical,
                subject: subject.clone(),
                message: "The root account has no MFA device (AccountMFAEnabled is 0).".into(),
                artifact: artifact.clone(),
            });
        }
        if summary
            .get("AccountAccessKeysPresent")
            .is_some_and(|n| *n > 0)
        {
            out.push(Finding {
                rule: "aws-root-access-keys".into(),
                severity: Severity::Critical,
                subject,
                message: "The root account has access keys (AccountAccessKeysPresent is 1).".into(),
                artifact,
            });
        }
        out
    }

    /// Stores the policy (or its absence) and returns its finding, if any.
    async fn password_policy(
        &mut self,
        staged: &mut StagedRun,
    ) -> Result<Option<Finding>, VaultError> {
        let path = self.path("password-policy.json");
        let policy = match self.clients.iam.get_account_password_policy().send().await {
            Ok(out) => out.password_policy.map(|p| PasswordPolicy {
                minimum_password_length: p.minimum_password_length.unwrap_or(0).max(0) as u32,
                require_uppercase_characters: p.require_uppercase_characters,
                require_lowercase_characters: p.require_lowercase_characters,
                require_numbers: p.require_numbers,
                require_symbols: p.require_symbols,
                max_password_age: p.max_password_age.unwrap_or(0).max(0) as u32,
                password_reuse_prevention: p.password_reuse_prevention.unwrap_or(0).max(0) as u32,
            }),
            // No policy is itself the evidence.
            Err(e) if e.code() == Some("NoSuchEntity") => None,
            Err(e) => {
                self.errors
                    .push(client::classify("iam:GetAccountPasswordPolicy", e).to_string());
                return Ok(None);
            }
        };
        let doc = json!({ "present": policy.is_some(), "policy": policy });
        staged.add_bytes(&path, "application/json", &canonical::pretty(&doc))?;
        Ok(findings::for_policy(
            policy.as_ref(),
            &self.settings.password_policy,
            self.id,
            &path,
        ))
    }

    /// Every user (`iam:ListUsers`, 1,000 a page); `None` if it failed.
    async fn list_users(&mut self) -> Option<Vec<aws_sdk_iam::types::User>> {
        let mut pages = self
            .clients
            .iam
            .list_users()
            .max_items(1000)
            .into_paginator()
            .page_size(1000)
            .items()
            .send();
        let mut out = Vec::new();
        while let Some(item) = pages.next().await {
            match item {
                Ok(u) => out.push(u),
                Err(e) => {
                    self.errors
                        .push(client::classify("iam:ListUsers", e).to_string());
                    return None;
                }
            }
        }
        Some(out)
    }

    /// Serial numbers of the assigned virtual MFA devices by user ARN: one call for all users.
    async fn virtual_mfa_devices(&mut self) -> BTreeMap<String, Vec<String>> {
        let mut pages = self
            .clients
            .iam
            .list_virtual_mfa_devices()
            .assignment_status(AssignmentStatusType::Assigned)
            .into_paginator()
            .page_size(1000)
            .items()
            .send();
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        while let Some(item) = pages.next().await {
            match item {
                Ok(d) => {
                    if let Some(user) = d.user {
                        out.entry(user.arn).or_default().push(d.serial_number);
                    }
                }
                Err(e) => {
                    self.errors
                        .push(client::classify("iam:ListVirtualMFADevices", e).to_string());
                    break;
                }
            }
        }
        out
    }

    /// A report-like row from the per-user APIs, for a user the report lacks.
    async fn per_user(&mut self, user: &aws_sdk_iam::types::User) -> Option<Row> {
        let iam = &self.clients.iam;
        let name = user.user_name.as_str();
        let password = match iam.get_login_profile().user_name(name).send().await {
            Ok(out) => out.login_profile.map(|p| stamp(p.create_date)),
            Err(e) if e.code() == Some("NoSuchEntity") => None,
            Err(e) => {
                self.errors
                    .push(client::classify("iam:GetLoginProfile", e).to_string());
                return None;
            }
        };
        let mfa = match iam.list_mfa_devices().user_name(name).send().await {
            Ok(out) => !out.mfa_devices.is_empty(),
            Err(e) => {
                self.errors
                    .push(client::classify("iam:ListMFADevices", e).to_string());
                return None;
            }
        };
        let keys = match iam.list_access_keys().user_name(name).send().await {
            Ok(out) => out.access_key_metadata,
            Err(e) => {
                self.errors
                    .push(client::classify("iam:ListAccessKeys", e).to_string());
                return None;
            }
        };
        let keys = keys
            .iter()
            .take(2)
            .enumerate()
            .map(|(i, k)| Key {
                slot: i as u8 + 1,
                active: k.status.as_ref().is_some_and(|s| s.as_str() == "Active"),
                last_rotated: k.create_date.map_or(Stamp::NotApplicable, stamp),
                last_used: Stamp::NoInformation,
                last_used_service: "N/A".into(),
            })
            .collect();
        Some(Row {
            user: name.to_string(),
            arn: user.arn.clone(),
            created: stamp(user.create_date),
            password_enabled: if password.is_some() {
                Flag::True
            } else {
                Flag::False
            },
            password_last_used: user.password_last_used.map_or(
                if password.is_some() {
                    Stamp::NoInformation
                } else {
                    Stamp::NotApplicable
                },
                stamp,
            ),
            password_last_changed: password.unwrap_or(Stamp::NotApplicable),
            mfa_active: mfa,
            keys,
        })
    }
}

fn stamp(t: aws_sdk_iam::primitives::DateTime) -> Stamp {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos()).map_or(Stamp::NoInformation, Stamp::At)
}

/// The credential report's bytes and generation time. `GenerateCredentialReport` answers
/// COMPLETE at once when a report under 4 hours old exists (AWS then reuses it), else the
/// report is polled until ready.
async fn credential_report(
    iam: &aws_sdk_iam::Client,
    settings: &AwsSettings,
) -> Result<(Vec<u8>, Option<DateTime<Utc>>), AwsError> {
    let give_up = tokio::time::Instant::now() + Duration::from_secs(settings.report_timeout_secs);
    let mut generations = 0;
    let mut generate = true;
    let mut pause = Duration::from_secs(1);
    loop {
        if generate {
            generations += 1;
            generate = false;
            let out = iam
                .generate_credential_report()
                .send()
                .await
                .map_err(|e| client::classify("iam:GenerateCredentialReport", e))?;
            if out.state != Some(ReportStateType::Complete) {
                tokio::time::sleep(pause).await;
            }
        }
        match iam.get_credential_report().send().await {
            Ok(out) => {
                let bytes = out.content.map(|b| b.into_inner()).unwrap_or_default();
                let at = out.generated_time.map(stamp).and_then(Stamp::at);
                return Ok((bytes, at));
            }
            Err(e) => match e.code() {
                Some("ReportInProgress") => {}
                Some("ReportNotPresent" | "ReportExpired") if generations < MAX_GENERATIONS => {
                    generate = true;
                }
                _ => return Err(client::classify("iam:GetCredentialReport", e)),
            },
        }
        if tokio::time::Instant::now() + pause > give_up {
            return Err(AwsError::Service {
                action: "iam:GetCredentialReport".into(),
                code: "ReportInProgress".into(),
                message: format!(
                    "AWS did not finish the credential report within {}s; raise `[aws] report_timeout_secs`",
                    settings.report_timeout_secs
                ),
            });
        }
        if !generate {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_POLL_PAUSE);
        }
    }
}

fn parameters(s: &AwsSettings) -> serde_json::Map<String, Value> {
    let mut p = serde_json::Map::new();
    p.insert("endpoint_url".into(), json!(s.endpoint_url));
    p.insert("region".into(), json!(client::region(s).to_string()));
    p.insert(
        "include_default_account".into(),
        json!(s.include_default_account),
    );
    p.insert(
        "role_arns".into(),
        json!(s.accounts.iter().map(|a| &a.role_arn).collect::<Vec<_>>()),
    );
    p.insert("max_key_age_days".into(), json!(s.max_key_age_days));
    p.insert("max_unused_days".into(), json!(s.max_unused_days));
    p
}
