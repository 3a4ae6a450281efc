//! Branch protection: classic protection (REST) and rulesets (GraphQL) folded into what a
//! branch effectively requires, and compared with what `[github]` expects.

use serde::Serialize;
use serde_json::Value;

use super::config::GithubSettings;

/// What merging into one branch effectively requires, from every source that applies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Effective {
    /// Any classic protection or active ruleset applies to the branch.
    pub protected: bool,
    /// Approving reviews required.
    pub required_approving_reviews: u64,
    /// A code owner must approve.
    pub require_code_owner_review: bool,
    /// New pushes dismiss approvals.
    pub dismiss_stale_reviews: bool,
    /// The last push must be approved by someone other than its pusher.
    pub require_last_push_approval: bool,
    /// Admins are held to the rules too (classic `enforce_admins`).
    pub enforce_admins: bool,
    /// Required status check contexts, sorted.
    pub required_checks: Vec<String>,
    /// Where each requirement came from: `classic`, `ruleset NAME`.
    pub sources: Vec<String>,
}

impl Effective {
    /// Folds classic protection (the REST object; `None` when the branch is not protected).
    pub fn add_classic(&mut self, p: &Value) {
        self.protected = true;
        self.sources.push("classic".into());
        let reviews = &p["required_pull_request_reviews"];
        if reviews.is_object() {
            self.required_approving_reviews = self.required_approving_reviews.max(
                reviews["required_approving_review_count"]
                    .as_u64()
                    .unwrap_or(0),
            );
            self.require_code_owner_review |= reviews["require_code_owner_reviews"] == true;
            self.dismiss_stale_reviews |= reviews["dismiss_stale_reviews"] == true;
            self.require_last_push_approval |= reviews["require_last_push_approval"] == true;
        }
        self.enforce_admins |= p["enforce_admins"]["enabled"] == true;
        let checks = &p["required_status_checks"];
        let contexts = checks["contexts"].as_array().into_iter().flatten();
        let named = checks["checks"].as_array().into_iter().flatten();
        let names = contexts.chain(named.map(|c| &c["context"]));
        self.add_checks(names.filter_map(Value::as_str));
    }

    /// Folds the active rulesets (GraphQL `rulesets.nodes`) that target `branch`.
    pub fn add_rulesets(&mut self, rulesets: &Value, branch: &str, default_branch: Option<&str>) {
        for rs in rulesets.as_array().into_iter().flatten() {
            if rs["enforcement"] != "ACTIVE" || rs["target"].as_str().is_some_and(|t| t != "BRANCH")
            {
                continue;
            }
            let refs = &rs["conditions"]["refName"];
            if !ruleset_targets(refs, branch, default_branch) {
                continue;
            }
            self.protected = true;
            self.sources
                .push(format!("ruleset {}", rs["name"].as_str().unwrap_or("?")));
            // Rules without an admin bypass bind admins too; bypass lists are not read here.
            for rule in rs["rules"]["nodes"].as_array().into_iter().flatten() {
                let p = &rule["parameters"];
                match p["__typename"].as_str() {
                    Some("PullRequestParameters") => {
                        self.required_approving_reviews = self
                            .required_approving_reviews
                            .max(p["requiredApprovingReviewCount"].as_u64().unwrap_or(0));
                        self.require_code_owner_review |= p["requireCodeOwnerReview"] == true;
                        self.dismiss_stale_reviews |= p["dismissStaleReviewsOnPush"] == true;
                        self.require_last_push_approval |= p["requireLastPushApproval"] == true;
                    }
                    Some("RequiredStatusChecksParameters") => {
                        let checks = p["requiredStatusChecks"].as_array().into_iter().flatten();
                        self.add_checks(checks.filter_map(|c| c["context"].as_str()));
                    }
                    _ => {}
                }
            }
        }
    }

    fn add_checks<'a>(&mut self, names: impl Iterator<Item = &'a str>) {
        self.required_checks.extend(names.map(str::to_string));
        self.required_checks.sort();
        self.required_checks.dedup();
    }

    /// How this falls short of `expected`, one phrase per gap.
    pub fn shortfalls(&self, expected: &GithubSettings) -> Vec<String> {
        let mut out = Vec::new();
        if self.required_approving_reviews < expected.required_approving_reviews {
            out.push(format!(
                "requires {} approving review(s), {} expected",
                self.required_approving_reviews, expected.required_approving_reviews
            ));
        }
        if expected.require_code_owner_review && !self.require_code_owner_review {
            out.push("does not require code owner review".to_string());
        }
        if expected.dismiss_stale_reviews && !self.dismiss_stale_reviews {
            out.push("does not dismiss stale approvals on new pushes".to_string());
        }
        for check in &expected.required_checks {
            if !self.required_checks.contains(check) {
                out.push(format!("does not require the check `{check}`"));
            }
        }
        out
    }
}

/// Whether a ruleset's `refName` condition covers `branch`. GitHub's patterns: `~ALL`,
/// `~DEFAULT_BRANCH`, `refs/heads/NAME` and fnmatch globs (`*` within a segment, `**` across).
fn ruleset_targets(refs: &Value, branch: &str, default_branch: Option<&str>) -> bool {
    let matches = |list: &Value| {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|pattern| match pattern {
                "~ALL" => true,
                "~DEFAULT_BRANCH" => default_branch == Some(branch),
                p => glob(p.strip_prefix("refs/heads/").unwrap_or(p), branch),
            })
    };
    matches(&refs["include"]) && !matches(&refs["exclude"])
}

fn glob(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == name,
        Some((prefix, rest)) => {
            let Some(tail) = name.strip_prefix(prefix) else {
                return false;
            };
            let (crosses, rest) = match rest.strip_prefix('*') {
                Some(r) => (true, r),
                None => (false, rest),
            };
            (0..=tail.len())
                .filter(|&i| tail.is_char_boundary(i))
                .any(|i| (crosses || !tail[..i].contains('/')) && glob(rest, &tail[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The two PUT responses recorded from GitHub: bare protection, then full protection.
    fn recorded_protections() -> Vec<Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/fixtures/github/octokit-fixtures/branch-protection/normalized-fixture.json"
        );
        let all: Value = serde_json::from_slice(&std::fs::read(path).expect("../shared fixtures"))
            .expect("fixture JSON");
        let puts = all.as_array().expect("a list of exchanges").iter();
        puts.filter(|x| x["method"] == "put" && x["status"] == 200)
            .map(|x| x["response"].clone())
            .collect()
    }

    #[test]
    fn classic_protection_from_the_recorded_responses() {
        let recorded = recorded_protections();
        assert_eq!(recorded.len(), 2);
        let mut bare = Effective::default();
        bare.add_classic(&recorded[0]);
        assert!(bare.protected && bare.required_checks.is_empty());
        assert_eq!(
            bare.shortfalls(&GithubSettings::default()),
            ["requires 0 approving review(s), 1 expected"]
        );
        let mut full = Effective::default();
        full.add_classic(&recorded[1]);
        assert_eq!(full.required_checks, ["foo/bar"]);
        assert_eq!(
            (
                full.required_approving_reviews,
                full.dismiss_stale_reviews,
                full.enforce_admins
            ),
            (1, true, true)
        );
        assert!(full.shortfalls(&GithubSettings::default()).is_empty());
    }

    #[test]
    fn active_rulesets_for_the_branch_count_and_others_do_not() {
        let rulesets = json!([
            {"name": "main-rules", "enforcement": "ACTIVE", "target": "BRANCH",
             "conditions": {"refName": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
             "rules": {"nodes": [
                {"type": "PULL_REQUEST", "parameters": {"__typename": "PullRequestParameters",
                  "requiredApprovingReviewCount": 2, "dismissStaleReviewsOnPush": true,
                  "requireCodeOwnerReview": false, "requireLastPushApproval": true}},
                {"type": "REQUIRED_STATUS_CHECKS", "parameters": {"__typename": "RequiredStatusChecksParameters",
                  "requiredStatusChecks": [{"context": "ci/test", "integrationId": null}]}}]}},
            {"name": "evaluate-only", "enforcement": "EVALUATE", "target": "BRANCH",
             "conditions": {"refName": {"include": ["~ALL"], "exclude": []}},
             "rules": {"nodes": [{"type": "PULL_REQUEST", "parameters": {"__typename": "PullRequestParameters",
                  "requiredApprovingReviewCount": 5, "dismissStaleReviewsOnPush": false,
                  "requireCodeOwnerReview": true, "requireLastPushApproval": false}}]}},
            {"name": "releases", "enforcement": "ACTIVE", "target": "BRANCH",
             "conditions": {"refName": {"include": ["refs/heads/release/*"], "exclude": []}},
             "rules": {"nodes": []}}
        ]);
        let mut e = Effective::default();
        e.add_rulesets(&rulesets, "main", Some("main"));
        assert_eq!(e.sources, ["ruleset main-rules"]);
        assert_eq!(
            (
                e.required_approving_reviews,
                e.dismiss_stale_reviews,
                e.require_code_owner_review
            ),
            (2, true, false)
        );
        assert_eq!(e.required_checks, ["ci/test"]);
        let mut r = Effective::default();
        r.add_rulesets(&rulesets, "release/1.0", Some("main"));
        assert_eq!(r.sources, ["ruleset releases"]);
    }

    #[test]
    fn shortfalls_name_each_gap() {
        let expected = GithubSettings {
            required_approving_reviews: 2,
            require_code_owner_review: true,
            required_checks: vec!["ci/test".into(), "lint".into()],
            ..GithubSettings::default()
        };
        let e = Effective {
            protected: true,
            required_approving_reviews: 1,
            required_checks: vec!["ci/test".into()],
            ..Effective::default()
        };
        assert_eq!(
            e.shortfalls(&expected),
            [
                "requires 1 approving review(s), 2 expected",
                "does not require code owner review",
                "does not require the check `lint`"
            ]
        );
    }

    #[test]
    fn ruleset_globs() {
        assert!(glob("release/*", "release/1.0"));
        assert!(!glob("release/*", "release/1.0/hotfix"));
        assert!(glob("release/**", "release/1.0/hotfix"));
        assert!(glob("main", "main") && !glob("main", "mainline"));
    }
}
