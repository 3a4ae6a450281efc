//! REST bodies, shaped like the recorded octokit fixtures (read from ../shared, names rewritten).

use std::sync::OnceLock;

use serde_json::{Value, json};

use super::model::{Org, Protection, Repo};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/fixtures/github/octokit-fixtures"
);

/// The recorded exchanges of one octokit scenario (`branch-protection`, `paginate-issues`, …).
pub fn fixture(name: &str) -> Vec<Value> {
    let path = format!("{FIXTURES}/{name}/normalized-fixture.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fake GitHub: cannot read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fake GitHub: {path}: {e}"))
}

/// The branch-protection fixture: [404 GET, minimal PUT, full PUT, DELETE].
fn protection_fixture() -> &'static [Value] {
    static FIXTURE: OnceLock<Vec<Value>> = OnceLock::new();
    FIXTURE.get_or_init(|| fixture("branch-protection"))
}

/// The 404 body for an unprotected branch, exactly as recorded.
pub fn not_protected() -> Value {
    protection_fixture()[0]["response"].clone()
}

/// Replaces every `from` in every string of `value`.
fn rewrite(value: &mut Value, pairs: &[(&str, &str)]) {
    match value {
        Value::String(s) => {
            for (from, to) in pairs {
                if s.contains(from) {
                    *s = s.replace(from, to);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite(v, pairs)),
        Value::Object(map) => map.values_mut().for_each(|v| rewrite(v, pairs)),
        _ => {}
    }
}

/// The protection object of `repo`'s `branch`: the fixture's full PUT response with the
/// organisation, repository, branch and API root rewritten and the settings of `p` applied.
/// Blocks the model leaves out are absent, as GitHub omits them.
pub fn protection(api: &str, org: &str, repo: &str, branch: &str, p: &Protection) -> Value {
    let mut body = protection_fixture()[2]["response"].clone();
    let full = format!("{org}/{repo}");
    let branch_path = format!("/branches/{branch}/");
    rewrite(
        &mut body,
        &[
            (
                "octokit-fixture-org/tmp-scenario-branch-protection-20220719043700727-wbo1k",
                &full,
            ),
            ("octokit-fixture-org/branch-protection", &full),
            ("/branches/main/", &branch_path),
            ("https://api.github.com", api),
        ],
    );
    let Some(map) = body.as_object_mut() else {
        panic!("fake GitHub: branch-protection fixture is not an object")
    };
    map.remove("restrictions");
    match &p.required_status_checks {
        Some(contexts) => {
            let checks: Vec<Value> = contexts
                .iter()
                .map(|c| json!({ "context": c, "app_id": null }))
                .collect();
            let rsc = &mut map["required_status_checks"];
            rsc["contexts"] = json!(contexts);
            rsc["checks"] = json!(checks);
            rsc["strict"] = json!(p.strict);
        }
        None => {
            map.remove("required_status_checks");
        }
    }
    match p.required_approving_review_count {
        Some(count) => {
            let reviews = &mut map["required_pull_request_reviews"];
            reviews["required_approving_review_count"] = json!(count);
            reviews["dismiss_stale_reviews"] = json!(p.dismiss_stale_reviews);
            reviews["require_code_owner_reviews"] = json!(p.require_code_owner_reviews);
            // Newer than the 2022 recording; GitHub sends it today.
            reviews["require_last_push_approval"] = json!(p.require_last_push_approval);
        }
        None => {
            map.remove("required_pull_request_reviews");
        }
    }
    map["enforce_admins"]["enabled"] = json!(p.enforce_admins);
    body
}

/// A repository as `GET /orgs/{org}/repos` lists it.
pub fn repo(api: &str, org: &Org, repo: &Repo) -> Value {
    let full = format!("{}/{}", org.login, repo.name);
    json!({
        "id": repo.database_id,
        "node_id": format!("R_{}", repo.database_id),
        "name": repo.name,
        "full_name": full,
        "private": true,
        "owner": {
            "login": org.login,
            "id": org.database_id,
            "node_id": format!("O_{}", org.database_id),
            "url": format!("{api}/users/{}", org.login),
            "html_url": format!("https://github.com/{}", org.login),
            "type": "Organization",
            "site_admin": false
        },
        "html_url": format!("https://github.com/{full}"),
        "description": null,
        "fork": repo.fork,
        "url": format!("{api}/repos/{full}"),
        "archived": repo.archived,
        "disabled": false,
        "visibility": "private",
        "default_branch": repo.default_branch,
        "pushed_at": "2026-01-01T00:00:00Z",
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "permissions": { "admin": false, "maintain": false, "push": false, "triage": false, "pull": true }
    })
}

/// The `Link` header of page `page` of `last` pages, in the fixture's order
/// (prev, next, last, first).
pub fn link(url_base: &str, per_page: usize, page: usize, last: usize) -> Option<String> {
    let at =
        |n: usize, rel: &str| format!("<{url_base}?per_page={per_page}&page={n}>; rel=\"{rel}\"");
    let mut parts = vec![];
    if page > 1 {
        parts.push(at(page - 1, "prev"));
    }
    if page < last {
        parts.push(at(page + 1, "next"));
        parts.push(at(last, "last"));
    }
    if page > 1 {
        parts.push(at(1, "first"));
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// GitHub's body for a REST error.
pub fn error(message: &str, status: u16) -> Value {
    json!({
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": status.to_string()
    })
}

/// Decodes base64url without padding (JWT segments).
pub fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut out = vec![];
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Checks a GitHub App JWT's header and claims (not its signature: no RSA here).
pub fn check_app_jwt(jwt: &str, app_id: u64, now: i64) -> Result<(), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    let decode = |s: &str| -> Option<Value> { serde_json::from_slice(&base64url(s)?).ok() };
    let (Some(header), Some(claims)) = (
        parts.first().and_then(|p| decode(p)),
        parts.get(1).and_then(|p| decode(p)),
    ) else {
        return Err("A JSON web token could not be decoded".into());
    };
    if parts.len() != 3 || parts[2].is_empty() {
        return Err("A JSON web token could not be decoded".into());
    }
    if header["alg"] != "RS256" {
        return Err("A JSON web token could not be decoded".into());
    }
    let iss = match &claims["iss"] {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    if iss != Some(app_id) {
        return Err("Integration not found".into());
    }
    let (iat, exp) = (claims["iat"].as_i64(), claims["exp"].as_i64());
    match (iat, exp) {
        (Some(iat), _) if iat > now + 60 => {
            Err("'Issued at' claim ('iat') must be an Integer representing a time in the past.".into())
        }
        (Some(iat), Some(exp)) if exp - iat > 600 => {
            Err("'Expiration time' claim ('exp') is too far in the future.".into())
        }
        (Some(_), Some(exp)) if exp <= now => Err("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires.".into()),
        (Some(_), Some(_)) => Ok(()),
        _ => Err("A JSON web token could not be decoded".into()),
    }
}
