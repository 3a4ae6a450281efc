//! `population.csv`: one row per PR stored by the run, what an auditor samples from.

use super::findings::Verdict;
use super::model::PullRequest;

/// The header row; docs/collectors/github.md explains each column.
pub const COLUMNS: &[&str] = &[
    "repository",
    "number",
    "url",
    "title",
    "author",
    "merged_by",
    "merged_at",
    "window",
    "base",
    "head_sha",
    "merge_commit",
    "approvals",
    "approved_on_head",
    "checks_state",
    "findings",
    "evidence",
];

/// Builds the CSV (RFC 4180, `\r\n` line ends) from rows in the order given.
pub fn csv<'a>(rows: impl IntoIterator<Item = (&'a PullRequest, &'a Verdict, &'a str)>) -> Vec<u8> {
    let mut out = String::new();
    line(&mut out, COLUMNS.iter().map(|c| c.to_string()));
    for (pr, v, evidence) in rows {
        let login =
            |a: &Option<super::model::Actor>| a.as_ref().map_or(String::new(), |a| a.login.clone());
        let findings: Vec<&str> = v.findings.iter().map(|f| f.rule.as_str()).collect();
        line(
            &mut out,
            [
                pr.repository.name_with_owner.clone(),
                pr.number.to_string(),
                pr.url.clone(),
                pr.title.clone(),
                login(&pr.author),
                login(&pr.merged_by),
                pr.merged_at.clone().unwrap_or_default(),
                pr.window.clone().unwrap_or_default(),
                pr.base_ref_name.clone(),
                pr.head_ref_oid.clone(),
                pr.merge_commit
                    .as_ref()
                    .map_or(String::new(), |c| c.oid.clone()),
                v.approvals.to_string(),
                v.approved_on_head.to_string(),
                v.checks_state.clone(),
                findings.join(" "),
                evidence.to_string(),
            ]
            .into_iter(),
        );
    }
    out.into_bytes()
}

/// One CSV record, `\r\n` ended; users.csv of `aws-iam` is written with it too.
pub(crate) fn line(out: &mut String, cells: impl Iterator<Item = String>) {
    let cells: Vec<String> = cells.map(|c| field(&c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

/// Quotes a field when needed. A title starting with `=`, `+`, `-` or `@` gets a leading `'`
/// so a spreadsheet shows it instead of running it as a formula; the JSON keeps the original.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_exact_and_escaped() {
        let pr: PullRequest = serde_json::from_value(json!({
            "id": "PR_1", "databaseId": 1, "number": 7, "url": "https://github.com/acme/api/pull/7",
            "title": "Fix \"quotes\", commas\nand lines", "author": {"login": "alice"},
            "authorAssociation": "MEMBER", "mergedBy": null, "mergedAt": "2026-08-01T10:00:00Z",
            "baseRefName": "main", "headRefName": "fix", "headRefOid": "abc",
            "mergeCommit": {"oid": "def"}, "repository": {"nameWithOwner": "acme/api"},
            "reviews": {"nodes": []}, "commits": {"nodes": []}, "window": "2026-h2"
        }))
        .unwrap();
        let v = Verdict {
            approvals: 0,
            approved_on_head: false,
            checks_state: "NONE".into(),
            findings: vec![crate::evidence::Finding {
                rule: "no-independent-approval".into(),
                severity: crate::evidence::Severity::High,
                subject: "acme/api#7".into(),
                message: "m".into(),
                artifact: None,
            }],
        };
        let text = String::from_utf8(csv([(&pr, &v, "artifacts/prs/acme/api/7.json")])).unwrap();
        assert_eq!(
            text,
            "repository,number,url,title,author,merged_by,merged_at,window,base,head_sha,merge_commit,approvals,approved_on_head,checks_state,findings,evidence\r\n\
             acme/api,7,https://github.com/acme/api/pull/7,\"Fix \"\"quotes\"\", commas\nand lines\",alice,,2026-08-01T10:00:00Z,2026-h2,main,abc,def,0,false,NONE,no-independent-approval,artifacts/prs/acme/api/7.json\r\n"
        );
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(field("-1,2"), "\"'-1,2\"");
    }
}
