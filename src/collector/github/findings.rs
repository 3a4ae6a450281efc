//! The exceptions an auditor asks about, per merged PR and per protected branch.

use std::collections::BTreeMap;

use crate::evidence::{Finding, Severity};

use super::model::PullRequest;
use super::protection::Effective;

pub const NO_APPROVAL: &str = "no-independent-approval";
pub const SELF_APPROVAL: &str = "self-approval-only";
pub const STALE_APPROVAL: &str = "stale-approval";
pub const CHECKS_NOT_PASSING: &str = "required-checks-not-passing";
pub const UNPROTECTED: &str = "branch-unprotected";
pub const WEAKER: &str = "branch-protection-weaker";

/// What the population row and the findings say about one PR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Reviewers other than the author whose latest decisive review approves.
    pub approvals: usize,
    /// One of those approvals was given on the merged head commit.
    pub approved_on_head: bool,
    /// The head commit's rollup state, or `NONE` when it has no checks.
    pub checks_state: String,
    pub findings: Vec<Finding>,
}

/// Judges one merged PR. `required` is every check that had to pass on its base branch
/// (protection and `[github] required_checks`); `artifact` is its evidence file.
pub fn judge(pr: &PullRequest, required: &[String], artifact: &str) -> Verdict {
    let author = pr.author_login();
    // A reviewer's latest APPROVED / CHANGES_REQUESTED / DISMISSED decides; comments do not.
    let mut latest: BTreeMap<&str, (&str, Option<&str>)> = BTreeMap::new();
    let mut self_approved = false;
    for r in pr.reviews.items() {
        let Some(login) = r.author.as_ref().map(|a| a.login.as_str()) else {
            continue;
        };
        if !matches!(
            r.state.as_str(),
            "APPROVED" | "CHANGES_REQUESTED" | "DISMISSED"
        ) {
            continue;
        }
        if Some(login) == author {
            self_approved |= r.state == "APPROVED";
            continue;
        }
        latest.insert(
            login,
            (r.state.as_str(), r.commit.as_ref().map(|c| c.oid.as_str())),
        );
    }
    let approvals: Vec<Option<&str>> = latest
        .values()
        .filter(|(state, _)| *state == "APPROVED")
        .map(|(_, commit)| *commit)
        .collect();
    let approved_on_head = approvals.contains(&Some(pr.head_ref_oid.as_str()));
    let subject = pr.subject();
    let finding = |rule: &str, severity, message: String| Finding {
        rule: rule.to_string(),
        severity,
        subject: subject.clone(),
        message,
        artifact: Some(artifact.to_string()),
    };
    let by = |who: Option<&str>| who.unwrap_or("a deleted account").to_string();
    let mut findings = Vec::new();
    if approvals.is_empty() && self_approved {
        findings.push(finding(
            SELF_APPROVAL,
            Severity::High,
            format!(
                "{subject} was merged by {} with only its author's own approval ({}).",
                by(pr.merged_by.as_ref().map(|m| m.login.as_str())),
                by(author)
            ),
        ));
    } else if approvals.is_empty() {
        findings.push(finding(
            NO_APPROVAL,
            Severity::High,
            format!(
                "{subject} was merged by {} without an approval from anyone other than its author ({}).",
                by(pr.merged_by.as_ref().map(|m| m.login.as_str())),
                by(author)
            ),
        ));
    } else if !approved_on_head {
        findings.push(finding(
            STALE_APPROVAL,
            Severity::Medium,
            format!(
                "{subject} was approved only on an older commit; the merged head {} has no approval.",
                short(&pr.head_ref_oid)
            ),
        ));
    }
    let rollup = pr.rollup();
    let failing: Vec<String> = required
        .iter()
        .filter_map(|name| {
            let check = rollup.and_then(|r| r.contents_named(name));
            match check {
                Some(c) if c.passed() => None,
                Some(c) => Some(format!("`{name}` {}", c.outcome())),
                None => Some(format!("`{name}` did not run")),
            }
        })
        .collect();
    if !failing.is_empty() {
        findings.push(finding(
            CHECKS_NOT_PASSING,
            Severity::High,
            format!(
                "{subject} was merged with required checks not passing on {}: {}.",
                short(&pr.head_ref_oid),
                failing.join(", ")
            ),
        ));
    }
    Verdict {
        approvals: approvals.len(),
        approved_on_head,
        checks_state: rollup.map_or("NONE".to_string(), |r| r.state.clone()),
        findings,
    }
}

/// Findings about one branch's protection, `subject` as `OWNER/NAME:BRANCH`.
pub fn protection(
    subject: &str,
    effective: &Effective,
    shortfalls: &[String],
    artifact: &str,
) -> Option<Finding> {
    let (rule, severity, message) = if !effective.protected {
        (
            UNPROTECTED,
            Severity::High,
            format!(
                "{subject} has no branch protection and no active ruleset: changes can be merged without review."
            ),
        )
    } else if !shortfalls.is_empty() {
        (
            WEAKER,
            Severity::Medium,
            format!(
                "{subject} is protected more weakly than configured: {}.",
                shortfalls.join("; ")
            ),
        )
    } else {
        return None;
    };
    Some(Finding {
        rule: rule.to_string(),
        severity,
        subject: subject.to_string(),
        message,
        artifact: Some(artifact.to_string()),
    })
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const HEAD: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const OLD: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn pr(reviews: serde_json::Value, checks: serde_json::Value) -> PullRequest {
        serde_json::from_value(json!({
            "id": "PR_1", "databaseId": 1, "number": 7, "url": "https://github.com/acme/api/pull/7",
            "title": "Fix", "author": {"login": "alice"}, "authorAssociation": "MEMBER",
            "mergedBy": {"login": "bob"}, "mergedAt": "2026-08-01T10:00:00Z",
            "baseRefName": "main", "headRefName": "fix", "headRefOid": HEAD,
            "mergeCommit": {"oid": "cccccccccccccccccccccccccccccccccccccccc"},
            "repository": {"nameWithOwner": "acme/api"},
            "reviews": {"totalCount": 0, "nodes": reviews},
            "commits": {"nodes": [{"commit": {"oid": HEAD, "statusCheckRollup":
                if checks.is_null() { json!(null) } else { json!({"state": "FAILURE", "contexts": {"nodes": checks}}) }}}]}
        }))
        .unwrap()
    }

    fn review(who: &str, state: &str, commit: &str) -> serde_json::Value {
        json!({"author": {"login": who}, "state": state, "submittedAt": "2026-08-01T09:00:00Z",
               "authorAssociation": "MEMBER", "commit": {"oid": commit}})
    }

    fn rules(v: &Verdict) -> Vec<&str> {
        v.findings.iter().map(|f| f.rule.as_str()).collect()
    }

    #[test]
    fn approval_by_another_on_the_head_is_clean() {
        let v = judge(
            &pr(json!([review("carol", "APPROVED", HEAD)]), json!(null)),
            &[],
            "a.json",
        );
        assert_eq!(
            (v.approvals, v.approved_on_head, rules(&v).len()),
            (1, true, 0)
        );
        assert_eq!(v.checks_state, "NONE");
    }

    #[test]
    fn no_reviews_self_approval_and_stale_approval() {
        let v = judge(&pr(json!([]), json!(null)), &[], "a.json");
        assert_eq!(rules(&v), [NO_APPROVAL]);
        assert_eq!(
            v.findings[0].message,
            "acme/api#7 was merged by bob without an approval from anyone other than its author (alice)."
        );
        assert_eq!(v.findings[0].subject, "acme/api#7");
        let v = judge(
            &pr(json!([review("alice", "APPROVED", HEAD)]), json!(null)),
            &[],
            "a.json",
        );
        assert_eq!(rules(&v), [SELF_APPROVAL]);
        let v = judge(
            &pr(json!([review("carol", "APPROVED", OLD)]), json!(null)),
            &[],
            "a.json",
        );
        assert_eq!(
            (rules(&v), v.approvals, v.approved_on_head),
            (vec![STALE_APPROVAL], 1, false)
        );
    }

    #[test]
    fn a_later_change_request_or_dismissal_withdraws_an_approval() {
        let reviews = json!([
            review("carol", "APPROVED", HEAD),
            review("carol", "CHANGES_REQUESTED", HEAD),
            review("dave", "APPROVED", HEAD),
            review("dave", "COMMENTED", HEAD),
        ]);
        let v = judge(&pr(reviews, json!(null)), &[], "a.json");
        assert_eq!((v.approvals, rules(&v).len()), (1, 0));
        let v = judge(
            &pr(json!([review("carol", "DISMISSED", HEAD)]), json!(null)),
            &[],
            "a.json",
        );
        assert_eq!(rules(&v), [NO_APPROVAL]);
    }

    #[test]
    fn required_checks_must_have_passed() {
        let checks = json!([
            {"__typename": "CheckRun", "name": "test", "conclusion": "FAILURE", "status": "COMPLETED"},
            {"__typename": "StatusContext", "context": "ci/lint", "state": "SUCCESS"},
            {"__typename": "CheckRun", "name": "optional", "conclusion": "FAILURE", "status": "COMPLETED"}
        ]);
        let p = pr(json!([review("carol", "APPROVED", HEAD)]), checks);
        let required = [
            "test".to_string(),
            "ci/lint".to_string(),
            "build".to_string(),
        ];
        let v = judge(&p, &required, "a.json");
        assert_eq!(rules(&v), [CHECKS_NOT_PASSING]);
        assert_eq!(
            v.findings[0].message,
            "acme/api#7 was merged with required checks not passing on aaaaaaaaaaaa: `test` FAILURE, `build` did not run."
        );
        assert_eq!(v.checks_state, "FAILURE");
        assert!(
            judge(&p, &["ci/lint".to_string()], "a.json")
                .findings
                .is_empty()
        );
    }

    #[test]
    fn protection_findings() {
        let none = Effective::default();
        let f = protection("acme/api:main", &none, &[], "p.json").unwrap();
        assert_eq!((f.rule.as_str(), f.severity), (UNPROTECTED, Severity::High));
        let on = Effective {
            protected: true,
            ..Effective::default()
        };
        let f = protection(
            "acme/api:main",
            &on,
            &["does not require code owner review".into()],
            "p.json",
        )
        .unwrap();
        assert_eq!(
            f.message,
            "acme/api:main is protected more weakly than configured: does not require code owner review."
        );
        assert!(protection("acme/api:main", &on, &[], "p.json").is_none());
    }
}
