//! Secret references: the config names where a secret is, never the secret itself.

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

/// Where to find a secret: `env:NAME` or `file:/absolute/path`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    Env(String),
    File(PathBuf),
}

/// A resolved secret value. It never prints itself.
#[derive(Clone)]
pub struct Secret(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("environment variable {0} is not set: export it, or remove the grant from the config")]
    EnvMissing(String),
    #[error("environment variable {0} is empty: set it to the secret's value")]
    EnvEmpty(String),
    #[error("secret file {path} cannot be read: {reason}")]
    FileUnreadable { path: PathBuf, reason: String },
    #[error("secret file {0} is empty")]
    FileEmpty(PathBuf),
}

/// A POSIX-portable environment variable name: letters, digits and `_`, not starting with a digit.
pub fn valid_env_name(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

impl SecretRef {
    pub fn parse(text: &str) -> Result<SecretRef, String> {
        if let Some(name) = text.strip_prefix("env:") {
            if valid_env_name(name) {
                return Ok(SecretRef::Env(name.to_string()));
            }
            return Err(format!(
                "`env:{name}` does not name a valid environment variable: use letters, digits and `_`, \
                 not starting with a digit"
            ));
        }
        if let Some(path) = text.strip_prefix("file:") {
            let path = PathBuf::from(path);
            if path.is_absolute() {
                return Ok(SecretRef::File(path));
            }
            return Err(format!(
                "`file:` needs an absolute path, got `{}`",
                path.display()
            ));
        }
        // Deliberately not echoing the value: it may be a secret pasted inline by mistake.
        Err(
            "a secret must be a reference, `env:NAME` or `file:/path`; inline values are not \
             accepted so that secrets never sit in the config file"
                .to_string(),
        )
    }

    /// Reads the secret now. The error names where it looked, never a value.
    pub fn resolve(&self) -> Result<Secret, SecretError> {
        match self {
            SecretRef::Env(name) => match std::env::var(name) {
                Ok(v) if v.is_empty() => Err(SecretError::EnvEmpty(name.clone())),
                Ok(v) => Ok(Secret(v)),
                Err(_) => Err(SecretError::EnvMissing(name.clone())),
            },
            SecretRef::File(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| SecretError::FileUnreadable {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                let value = text.trim_end_matches(['\n', '\r']);
                if value.is_empty() {
                    return Err(SecretError::FileEmpty(path.clone()));
                }
                Ok(Secret(value.to_string()))
            }
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(n) => write!(f, "env:{n}"),
            SecretRef::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

impl<'de> Deserialize<'de> for SecretRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SecretRef::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Secret {
    /// The value, for handing to a collector. Callers must not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}
