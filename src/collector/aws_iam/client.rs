//! AWS clients for one account: credentials (the standard chain, or a role assumed with it),
//! the request counter, and AWS errors turned into sentences that say what to do.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_config::default_provider::credentials::DefaultCredentialsChain;
use aws_sdk_iam::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_iam::config::retry::RetryConfig;
use aws_sdk_iam::config::timeout::TimeoutConfig;
use aws_sdk_iam::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, ProvideCredentials, Region,
    RuntimeComponents,
};
use aws_sdk_iam::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::config::AwsSettings;

/// The region used when neither `[aws] region` nor `AWS_REGION` says one.
const DEFAULT_REGION: &str = "us-east-1";

/// A failed AWS request, as the run record states it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AwsError {
    #[error(
        "access denied on {action}: grant the permission `{action}` to the agent's role or user (docs/collectors/aws-iam-policy.json lists them all); AWS said: {message}"
    )]
    AccessDenied { action: String, message: String },
    #[error(
        "{action} was throttled by AWS ({code}) through every retry; the next run tries again, or raise `[aws] max_attempts`"
    )]
    Throttled { action: String, code: String },
    #[error(
        "{action}: AWS rejected the credentials ({code}): check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile and that they are not expired; AWS said: {message}"
    )]
    Credentials {
        action: String,
        code: String,
        message: String,
    },
    #[error("{action} failed ({code}): {message}")]
    Service {
        action: String,
        code: String,
        message: String,
    },
    #[error("{action} could not reach AWS: {detail}")]
    Transport { action: String, detail: String },
}

impl AwsError {
    /// The error code AWS returned, if it was an answer from AWS.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::AccessDenied { .. } => Some("AccessDenied"),
            AwsError::Throttled { code, .. }
            | AwsError::Credentials { code, .. }
            | AwsError::Service { code, .. } => Some(code),
            AwsError::Transport { .. } => None,
        }
    }
}

/// Names an SDK error after the action (`iam:ListUsers`) that failed.
pub fn classify<E, R>(action: &str, e: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let action = action.to_string();
    if !matches!(e, SdkError::ServiceError(_)) {
        return AwsError::Transport {
            action,
            detail: DisplayErrorContext(&e).to_string(),
        };
    }
    let code = e.code().unwrap_or("Unknown").to_string();
    let message = e.message().unwrap_or("no message").to_string();
    match code.as_str() {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" => {
            AwsError::AccessDenied { action, message }
        }
        "Throttling"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "TooManyRequestsException" => AwsError::Throttled { action, code },
        "InvalidClientTokenId"
        | "SignatureDoesNotMatch"
        | "ExpiredToken"
        | "UnrecognizedClientException" => AwsError::Credentials {
            action,
            code,
            message,
        },
        _ => AwsError::Service {
            action,
            code,
            message,
        },
    }
}

/// Counts HTTP requests sent (retries included), the figure the benchmark reports.
#[derive(Debug, Clone, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl Intercept for Counter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// The region requests are signed for.
pub fn region(settings: &AwsSettings) -> Region {
    let name = settings
        .region
        .clone()
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    Region::new(name)
}

/// The agent's own credentials from the standard chain (environment, profile and SSO, web
/// identity, container, instance role). The instance metadata service gets one short attempt
/// and the whole search `credentials_timeout_secs`, so a host without credentials is told so
/// in about a second instead of after the SDK's default retries.
pub async fn default_credentials(settings: &AwsSettings) -> Result<Credentials, String> {
    let imds = aws_config::imds::Client::builder()
        .max_attempts(1)
        .connect_timeout(Duration::from_secs(1))
        .read_timeout(Duration::from_secs(1))
        .build();
    let chain = DefaultCredentialsChain::builder()
        .region(region(settings))
        .imds_client(imds)
        .build()
        .await;
    let wait = Duration::from_secs(settings.credentials_timeout_secs);
    match tokio::time::timeout(wait, chain.provide_credentials()).await {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(e)) => Err(DisplayErrorContext(&e).to_string()),
        Err(_) => Err(format!(
            "no credentials provider answered within {}s",
            settings.credentials_timeout_secs
        )),
    }
}

/// One account's IAM and STS clients, sharing the request counter.
pub struct Clients {
    pub iam: aws_sdk_iam::Client,
    pub sts: aws_sdk_sts::Client,
}

impl Clients {
    pub fn new(settings: &AwsSettings, credentials: Credentials, counter: &Counter) -> Clients {
        let retry = RetryConfig::standard().with_max_attempts(settings.max_attempts);
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(Duration::from_secs(10))
            .operation_attempt_timeout(Duration::from_secs(60))
            .build();
        let mut iam = aws_sdk_iam::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(region(settings))
            .credentials_provider(credentials.clone())
            .retry_config(retry.clone())
            .timeout_config(timeouts.clone())
            .interceptor(counter.clone());
        let mut sts = aws_sdk_sts::Config::builder()
            .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
            .region(aws_sdk_sts::config::Region::new(
                region(settings).to_string(),
            ))
            .credentials_provider(credentials)
            .retry_config(retry)
            .timeout_config(timeouts)
            .interceptor(counter.clone());
        if let Some(url) = &settings.endpoint_url {
            iam = iam.endpoint_url(url);
            sts = sts.endpoint_url(url);
        }
        Clients {
            iam: aws_sdk_iam::Client::from_conf(iam.build()),
            sts: aws_sdk_sts::Client::from_conf(sts.build()),
        }
    }

    /// The account of these credentials (`sts:GetCallerIdentity`).
    pub async fn account_id(&self) -> Result<String, AwsError> {
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| classify("sts:GetCallerIdentity", e))?;
        out.account
            .filter(|a| !a.is_empty())
            .ok_or_else(|| AwsError::Service {
                action: "sts:GetCallerIdentity".into(),
                code: "NoAccount".into(),
                message: "the answer names no account".into(),
            })
    }

    /// Temporary credentials of `role_arn` (`sts:AssumeRole`).
    pub async fn assume(
        &self,
        role_arn: &str,
        external_id: Option<&str>,
    ) -> Result<Credentials, AwsError> {
        let out = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name("evidence-agent")
            .set_external_id(external_id.map(str::to_string))
            .send()
            .await
            .map_err(|e| classify("sts:AssumeRole", e))?;
        let Some(c) = out.credentials else {
            return Err(AwsError::Service {
                action: "sts:AssumeRole".into(),
                code: "NoCredentials".into(),
                message: format!("the answer for `{role_arn}` holds no credentials"),
            });
        };
        let expiry = std::time::SystemTime::try_from(c.expiration).ok();
        Ok(Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            Some(c.session_token),
            expiry,
            "sts-assume-role",
        ))
    }
}
