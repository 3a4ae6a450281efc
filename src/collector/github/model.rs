//! GitHub's GraphQL objects as the collector reads them. Field names are GitHub's own
//! (camelCase), so a PR's evidence file reads like the API response it came from.

use serde::{Deserialize, Serialize};

/// A login-bearing actor; `None` where GitHub says the account was deleted (`ghost`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The account's login.
    pub login: String,
}

/// A commit reference: only the SHA matters here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitRef {
    /// The full commit SHA.
    pub oid: String,
}

/// `pageInfo` of a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// More nodes follow.
    pub has_next_page: bool,
    /// The cursor to pass as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// A connection page of `T`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection<T> {
    /// All nodes GitHub has, not only this page's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    /// Paging; dropped from stored evidence once every page is merged in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_info: Option<PageInfo>,
    /// The nodes; GitHub may put `null` for an item it cannot show.
    pub nodes: Vec<Option<T>>,
}

impl<T> Connection<T> {
    /// The non-null nodes.
    pub fn items(&self) -> impl Iterator<Item = &T> {
        self.nodes.iter().flatten()
    }

    /// The cursor of the next page, if there is one.
    pub fn next_cursor(&self) -> Option<String> {
        self.page_info
            .as_ref()
            .filter(|p| p.has_next_page)
            .and_then(|p| p.end_cursor.clone())
    }
}

/// One review of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Review {
    /// The reviewer (`None`: a deleted account).
    pub author: Option<Actor>,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED` or `PENDING`.
    pub state: String,
    /// When it was submitted (`None` while pending).
    pub submitted_at: Option<String>,
    /// The reviewer's relation to the repository (`MEMBER`, `OWNER`, …).
    pub author_association: String,
    /// The commit the review was given on.
    pub commit: Option<CommitRef>,
}

/// One status check context of the merged head: a check run or a commit status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "__typename")]
pub enum Check {
    /// A GitHub Actions job or another app's check run.
    CheckRun {
        /// The check's name.
        name: String,
        /// `SUCCESS`, `FAILURE`, `NEUTRAL`, `SKIPPED`, … (`None` until completed).
        conclusion: Option<String>,
        /// `COMPLETED`, `IN_PROGRESS`, `QUEUED`, …
        status: String,
    },
    /// A commit status set through the statuses API.
    StatusContext {
        /// The status's context name.
        context: String,
        /// `SUCCESS`, `FAILURE`, `ERROR`, `PENDING` or `EXPECTED`.
        state: String,
    },
}

impl StatusCheckRollup {
    /// The context named `name` (the last one, if a check ran more than once).
    pub fn contents_named(&self, name: &str) -> Option<&Check> {
        self.contexts.items().filter(|c| c.name() == name).last()
    }
}

impl Check {
    /// Its result in GitHub's words, for findings.
    pub fn outcome(&self) -> &str {
        match self {
            Check::CheckRun {
                conclusion, status, ..
            } => conclusion.as_deref().unwrap_or(status),
            Check::StatusContext { state, .. } => state,
        }
    }

    /// The name protection rules use for it.
    pub fn name(&self) -> &str {
        match self {
            Check::CheckRun { name, .. } => name,
            Check::StatusContext { context, .. } => context,
        }
    }

    /// Whether it counts as passed for a required check, as GitHub decides at merge.
    pub fn passed(&self) -> bool {
        match self {
            Check::CheckRun { conclusion, .. } => matches!(
                conclusion.as_deref(),
                Some("SUCCESS" | "NEUTRAL" | "SKIPPED")
            ),
            Check::StatusContext { state, .. } => state == "SUCCESS",
        }
    }
}

/// The combined status of a commit's checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCheckRollup {
    /// `SUCCESS`, `FAILURE`, `ERROR`, `PENDING` or `EXPECTED`.
    pub state: String,
    /// Each check.
    pub contexts: Connection<Check>,
}

/// The head commit of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeadCommit {
    /// The commit's SHA.
    pub oid: String,
    /// Its checks, `None` when it has none.
    pub status_check_rollup: Option<StatusCheckRollup>,
}

/// `commits(last: 1)` node wrapper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullRequestCommit {
    /// The commit itself.
    pub commit: HeadCommit,
}

/// `repository { nameWithOwner }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepositoryName {
    /// `OWNER/NAME`.
    pub name_with_owner: String,
}

/// A merged pull request with its reviews and checks: the evidence of one change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PullRequest {
    /// GraphQL node id, stable across renames.
    pub id: String,
    /// REST id.
    pub database_id: Option<u64>,
    /// The PR number within its repository.
    pub number: u64,
    /// The PR's page.
    pub url: String,
    /// Its title.
    pub title: String,
    /// Who opened it (`None`: a deleted account).
    pub author: Option<Actor>,
    /// The author's relation to the repository.
    pub author_association: String,
    /// Who merged it.
    pub merged_by: Option<Actor>,
    /// When it was merged (RFC 3339).
    pub merged_at: Option<String>,
    /// The branch it was merged into.
    pub base_ref_name: String,
    /// The branch it came from.
    pub head_ref_name: String,
    /// The head commit at merge.
    pub head_ref_oid: String,
    /// The commit the merge created on the base branch.
    pub merge_commit: Option<CommitRef>,
    /// Its repository.
    pub repository: RepositoryName,
    /// Every review, all pages merged.
    pub reviews: Connection<Review>,
    /// The last commit and its checks.
    pub commits: Connection<PullRequestCommit>,
    /// Not GitHub's: the audit window its merge falls in, set by the collector (the run's own
    /// window, or the one before it for merges in that window's last hours).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
}

impl PullRequest {
    /// `OWNER/NAME#NUMBER`, how findings name it.
    pub fn subject(&self) -> String {
        format!("{}#{}", self.repository.name_with_owner, self.number)
    }

    pub fn author_login(&self) -> Option<&str> {
        self.author.as_ref().map(|a| a.login.as_str())
    }

    /// The rollup of the head commit, if it has checks.
    pub fn rollup(&self) -> Option<&StatusCheckRollup> {
        self.commits
            .items()
            .next()
            .and_then(|c| c.commit.status_check_rollup.as_ref())
    }

    pub fn rollup_mut(&mut self) -> Option<&mut StatusCheckRollup> {
        self.commits
            .nodes
            .iter_mut()
            .flatten()
            .next()
            .and_then(|c| c.commit.status_check_rollup.as_mut())
    }
}

/// A repository in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    /// GraphQL node id.
    pub id: String,
    /// The name without owner.
    pub name: String,
    /// `OWNER/NAME`.
    pub name_with_owner: String,
    /// Its page.
    pub url: String,
    /// Archived repositories are read-only now, but their merged PRs are still evidence.
    pub is_archived: bool,
    /// A fork.
    pub is_fork: bool,
    /// `None` for an empty repository.
    pub default_branch_ref: Option<BranchRef>,
}

/// `defaultBranchRef { name }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchRef {
    /// The branch name.
    pub name: String,
}

/// GraphQL's `rateLimit` object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimit {
    /// Points this query cost.
    pub cost: u64,
    /// Points left in the hour.
    pub remaining: u64,
    /// When the points are restored.
    pub reset_at: Option<String>,
}
