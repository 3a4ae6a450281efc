//! GitHub App authentication: a JWT (RS256) signed with the app's private key buys an
//! installation token for the run.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::RsaPrivateKey;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::json;

use super::client::{Client, GithubError};
use super::config::APP_KEY_SECRET;

/// An installation token for `installation` of app `app_id`.
pub async fn installation_token(
    client: &Client,
    app_id: u64,
    installation: u64,
    private_key_pem: &str,
) -> Result<String, GithubError> {
    let jwt = jwt(app_id, private_key_pem, chrono::Utc::now().timestamp())?;
    let path = format!("/app/installations/{installation}/access_tokens");
    let v = client
        .rest_post_as(&path, &jwt)
        .await
        .map_err(|e| match e {
            GithubError::NotFound { .. } => GithubError::NotFound {
                what: format!(
                    "installation {installation} of GitHub App {app_id} (`installation_id`)"
                ),
            },
            e => e,
        })?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| GithubError::Malformed {
            url: path,
            reason: "no `token` in the installation token response".into(),
        })
}

/// The app's JWT: issued a minute in the past (clock drift), valid nine minutes.
fn jwt(app_id: u64, pem: &str, now: i64) -> Result<String, GithubError> {
    let key = RsaPrivateKey::from_pkcs1_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
        .map_err(|_| GithubError::Malformed {
            url: APP_KEY_SECRET.to_string(),
            reason: "the secret is not an RSA private key in PEM form; use the .pem file GitHub \
                     generated for the app"
                .into(),
        })?;
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "typ": "JWT"}).to_string());
    let claims = json!({"iat": now - 60, "exp": now + 540, "iss": app_id.to_string()});
    let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{header}.{claims}");
    let signature = SigningKey::<sha2::Sha256>::new(key).sign(signing_input.as_bytes());
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;

    /// A fresh key from the real `openssl`, PKCS#8 or (`-traditional`) PKCS#1 as GitHub hands out.
    fn openssl_key(traditional: bool) -> String {
        let mut cmd = std::process::Command::new("openssl");
        cmd.arg("genrsa");
        if traditional {
            cmd.arg("-traditional");
        }
        let out = cmd.arg("2048").output().expect("openssl is installed");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    #[test]
    fn the_jwt_verifies_with_the_public_key_and_names_the_app() {
        for traditional in [true, false] {
            check_jwt(&openssl_key(traditional));
        }
        let e = jwt(42, "not a key", 0).unwrap_err();
        assert!(e.to_string().contains("not an RSA private key"), "{e}");
    }

    fn check_jwt(pem: &str) {
        let key = RsaPrivateKey::from_pkcs1_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs8_pem(pem))
            .unwrap();
        let token = jwt(42, pem, 1_800_000_000).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            claims,
            json!({"iat": 1_799_999_940, "exp": 1_800_000_540, "iss": "42"})
        );
        let sig =
            Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
        let verifier = VerifyingKey::<sha2::Sha256>::new(key.to_public_key());
        verifier
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .expect("signature verifies");
    }
}
